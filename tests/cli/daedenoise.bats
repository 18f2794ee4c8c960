#!/usr/bin/env bats
# daedenoise: files and folders of photos, names and formats kept

load common

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	# the seed network's initial weights: quick, and enough to test wiring
	daetrain -q -t 1 -c "$ROOT/models/seed.cfg" -o seed.bin -e 1 -b 2 -s 25 \
		<(for i in 1 2; do mkrecord u8 "s$i" 12 12 3; done)
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	M=$BATS_FILE_TMPDIR/seed.bin
	mkdir -p in
	cp "$DATA/rgb.jpg" "$DATA/rgb.png" "$DATA/rgb.ppm" in/
}

# pixels IMG : the decoded pixels of an image, as one unnamed record
pixels() {
	imgresize 100% < "$1"
}

# orientation JPEG : the EXIF orientation of a JPEG, or "none"
orientation() {
	perl -0777 -ne '
		my $p = index($_, "Exif\0\0");
		if ($p < 0) { print "none\n"; exit }
		my $t = $p + 6;
		my $le = substr($_, $t, 2) eq "II";
		my ($u16, $u32) = $le ? ("v", "V") : ("n", "N");
		my $ifd = $t + unpack($u32, substr($_, $t + 4, 4));
		my $n = unpack($u16, substr($_, $ifd, 2));
		for my $i (0 .. $n - 1) {
			my $e = $ifd + 2 + 12 * $i;
			if (unpack($u16, substr($_, $e, 2)) == 0x112) {
				print unpack($u16, substr($_, $e + 8, 2)), "\n";
				exit;
			}
		}
		print "none\n";
	' "$1"
}

@test "daedenoise --help prints usage and every option" {
	run -0 --separate-stderr daedenoise --help
	assert_line --index 0 --partial "usage: daedenoise"
	for o in $(sed -n 's/^\.It Fl \([a-z-]*\).*/\1/p' "$ROOT/man/man1/daedenoise.1"); do
		[[ "$output" == *" -$o"[\ ,]* ]] || { echo "missing -$o"; false; }
	done
}

@test "daedenoise --version prints name and version" {
	run -0 daedenoise --version
	assert_output --regexp '^daedenoise [0-9]+\.[0-9]+$'
}

@test "daedenoise synopsis in usage matches the man page" {
	usage_matches_man daedenoise
}

@test "daedenoise usage errors exit 2" {
	run -2 daedenoise
	run -2 daedenoise -q 0 in
	run -2 daedenoise --strength 1.5 in
	run -2 daedenoise --sigma 10 --strength 0.5 in
}

@test "daedenoise -o folder keeps names and formats of a folder's images" {
	run -0 daedenoise -t 1 -w "$M" -o out in
	[ "$(ls out)" = "$(printf 'rgb.jpg\nrgb.png\nrgb.ppm')" ]
	[ "$(head -c 3 out/rgb.jpg | od -An -tx1 | tr -d ' ')" = ffd8ff ]
	[ "$(head -c 4 out/rgb.png | tail -c 3)" = PNG ]
	[ "$(head -c 2 out/rgb.ppm)" = P6 ]
}

@test "daedenoise gives the pixels of imgresize | daeinfer | unpack" {
	daedenoise -t 1 -w "$M" -o got.png in/rgb.png
	imgresize 100% in/rgb.png | daeinfer -t 1 -w "$M" | unpack -f png want
	pixels got.png > got.ts
	pixels want/rgb.png > want.ts
	cmp got.ts want.ts
}

@test "daedenoise --strength 0 gives a PNG's pixels back" {
	daedenoise -t 1 -w "$M" --strength 0 -o same.png in/rgb.png
	pixels in/rgb.png > want.ts
	pixels same.png > got.ts
	cmp got.ts want.ts
}

@test "daedenoise: gray in, gray out" {
	cp "$DATA/gray.png" "$DATA/gray.jpg" "$DATA/gray.pgm" .
	daedenoise -t 1 -w "$M" -o g gray.png gray.jpg gray.pgm
	# PNG colour type 0 (gray) at byte 25, a one-component JPEG, P5
	[ "$(od -An -tu1 -j25 -N1 g/gray.png | tr -d ' ')" = 0 ]
	[ "$(head -c 2 g/gray.pgm)" = P5 ]
	run -0 file g/gray.jpg
	assert_output --partial "components 1"
	# the gray is the mean of what the model gives for R = G = B
	daedenoise -t 1 -w "$M" --strength 0 -o same.png gray.png
	pixels gray.png > want.ts
	pixels same.png > got.ts
	cmp want.ts got.ts
}

@test "daedenoise copies EXIF with the orientation applied and reset to 1" {
	cp "$DATA/exif6.jpg" .
	[ "$(orientation exif6.jpg)" = 6 ]
	daedenoise -t 1 -w "$M" --strength 0 -o out.jpg exif6.jpg
	[ "$(orientation out.jpg)" = 1 ]
	# the pixels were turned: the same size as the decoder shows the input
	imgresize 100% exif6.jpg | head -c 24 | tail -c 8 > want
	imgresize 100% out.jpg | head -c 24 | tail -c 8 > got
	cmp want got
}

@test "daedenoise copies a JPEG's ICC profile byte for byte" {
	# an APP2 ICC_PROFILE segment, put after the SOI of a JPEG
	perl -0777 -pe 'my $icc = "ICC_PROFILE\0\1\1" . join("", map { chr($_ * 7 % 256) } 0..299);
		substr($_, 2, 0) = "\xFF\xE2" . pack("n", 2 + length $icc) . $icc' \
		"$DATA/rgb.jpg" > icc.jpg
	daedenoise -t 1 -w "$M" -o out.jpg icc.jpg
	perl -0777 -ne 'my $icc = "ICC_PROFILE\0\1\1" . join("", map { chr($_ * 7 % 256) } 0..299);
		exit(index($_, "\xFF\xE2" . pack("n", 2 + length $icc) . $icc) < 0)' out.jpg
}

@test "daedenoise without -o writes beside the input" {
	daedenoise -t 1 -w "$M" in/rgb.png
	[ -f in/rgb.denoised.png ]
}

@test "daedenoise checks outputs before any work: nothing written" {
	# the model is checked after the outputs, so its error would show
	# that work had started
	run -1 --separate-stderr daedenoise -w /nonexistent/model -o no/such/x.png in/rgb.png
	[ "$stderr" = "daedenoise: no/such: cannot write in this folder: No such file or directory" ]
	run -1 --separate-stderr daedenoise -w /nonexistent/model -o out/ in/rgb.png in/nosuch.png
	[[ "$stderr" == "daedenoise: /nonexistent/model: "* ]]
}

@test "daedenoise refuses an existing output before any work, and -f replaces it" {
	mkdir out
	echo old > out/rgb.png
	run -1 --separate-stderr daedenoise -w /nonexistent/model -o out in
	[ "$stderr" = "daedenoise: out/rgb.png: file exists (-f replaces it)" ]
	[ ! -e out/rgb.jpg ]
	run -0 daedenoise -f -t 1 -w "$M" -o out in
	[ "$(head -c 4 out/rgb.png | tail -c 3)" = PNG ]
}

@test "daedenoise refuses two inputs that would write one file" {
	mkdir b
	cp in/rgb.png b/
	run -1 --separate-stderr daedenoise -w "$M" -o out in/rgb.png b/rgb.png
	[[ "$stderr" == *"would both be written to out/rgb.png" ]]
	[ ! -e out/rgb.png ]
}

@test "daedenoise: a bad input fails alone, and the run exits 1" {
	printf 'not an image' > in/bad.jpg
	run -1 --separate-stderr daedenoise -t 1 -w "$M" -o out in
	[[ "$stderr" == *"daedenoise: in/bad.jpg: "* ]]
	[[ "$stderr" == *"1 of 4 images failed"* ]]
	[ -f out/rgb.jpg ] && [ -f out/rgb.png ] && [ -f out/rgb.ppm ] && [ ! -e out/bad.jpg ]
	[ -z "$(ls -A out | grep '^\.')" ]
}

@test "daedenoise keeps a JPEG's quality, or takes -q" {
	# a JPEG saved at quality 60
	imgresize 100% "$DATA/rgb.jpg" | unpack -f jpg -q 60 q60
	daedenoise -t 1 -w "$M" --strength 0 -o keep.jpg q60/rgb.jpg
	daedenoise -t 1 -w "$M" --strength 0 -q 95 -o high.jpg q60/rgb.jpg
	# the same tables as the input's: the same size give or take the pixels
	[ "$(stat -c %s high.jpg)" -gt "$(stat -c %s keep.jpg)" ]
}

@test "daedenoise --sigma: the shipped models are blind" {
	run -1 --separate-stderr daedenoise -t 1 -w "$M" --sigma 25 -o out in/rgb.png
	[[ "$stderr" == *"takes no noise level (it is blind); use --strength" ]]
}

@test "daedenoise finds the model by name" {
	mkdir -p models
	cp "$M" models/mine.bin
	DAE_MODEL_PATH=$PWD/models daedenoise -t 1 -w mine -o a.png in/rgb.png
	daedenoise -t 1 -w "$M" -o b.png in/rgb.png
	cmp a.png b.png
}
