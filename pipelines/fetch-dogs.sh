#!/bin/sh
# fetch-dogs.sh URL DIR: download the Microsoft Cats vs Dogs archive (a
# file:// URL works too) into DIR and unpack its dog photos to
# DIR/PetImages/Dog. The archive holds zero-byte and corrupt files on
# purpose; imgresize reports and skips them later.
set -u
url=$1 dir=$2
mkdir -p "$dir" || exit 1
zip=$dir/cats-dogs.zip
if [ ! -s "$zip" ]; then
	if ! curl -fsSL --retry 2 -o "$zip.tmp" "$url"; then
		rm -f "$zip.tmp"
		echo "fetch-dogs.sh: cannot download $url (offline?); give a folder of photos with PHOTOS=dir" >&2
		exit 1
	fi
	mv "$zip.tmp" "$zip"
fi
rm -rf "$dir/PetImages.tmp"
if ! unzip -q -o "$zip" 'PetImages/Dog/*' -d "$dir/PetImages.tmp"; then
	rm -rf "$dir/PetImages.tmp"
	echo "fetch-dogs.sh: $zip: not the Cats vs Dogs archive (no PetImages/Dog)" >&2
	exit 1
fi
rm -rf "$dir/PetImages"
mv "$dir/PetImages.tmp/PetImages" "$dir/PetImages"
rmdir "$dir/PetImages.tmp"
