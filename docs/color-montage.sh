#!/bin/sh
# docs/color-montage.sh: docs/color-montage.jpg, two CBSD68 photos at sigma
# 25 (noise added in float, unclipped, as make benchmark-quality does):
# clean | noisy | seed.bin | denoise-color.bin. Run from the top directory
# after make; TEST_SET=dir for another copy of CBSD68.
set -eu
TEST_SET=${TEST_SET:-../shared/data/test/CBSD68}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
./imgresize 100% "$TEST_SET"/102061.png "$TEST_SET"/108005.png > "$tmp/clean.ts"
./addnoise --float -s 25 --seed 1 < "$tmp/clean.ts" > "$tmp/noisy.ts"
./daeinfer -w models/seed.bin < "$tmp/noisy.ts" > "$tmp/seed.ts"
./daeinfer -w models/denoise-color.bin < "$tmp/noisy.ts" > "$tmp/color.ts"
./daemontage -n 2 -l 'clean,noisy (sigma 25),seed.bin,denoise-color.bin' \
	"$tmp/clean.ts" "$tmp/noisy.ts" "$tmp/seed.ts" "$tmp/color.ts" |
	./unpack -f jpg -q 75 --force "$tmp/out"
mv "$tmp/out/montage.jpg" docs/color-montage.jpg
