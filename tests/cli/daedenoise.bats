#!/usr/bin/env bats
# daedenoise: files and folders of photos, names and formats kept

load common

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	# the seed network's initial weights: quick, and enough to test wiring
	daetrain -q -t 1 -c "$ROOT/models/seed.cfg" -o seed.bin -e 1 -b 2 -s 25 \
		<(for i in 1 2; do mkrecord u8 "s$i" 12 12 3; done)
	daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o tinymap.bin -e 1 -b 2 --sigma 0:55 \
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

# mkpng W H DEPTH CTYPE : a PNG (ctype 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA)
# whose samples are pseudo-random
mkpng() {
	perl -MCompress::Zlib -e '
		my ($w, $h, $d, $ct) = @ARGV;
		my $ch = { 0 => 1, 2 => 3, 4 => 2, 6 => 4 }->{$ct};
		my ($raw, $s) = ("", 7);
		for my $y (1 .. $h) {
			$raw .= "\0";
			for (1 .. $w * $ch) {
				$s = ($s * 1103515245 + 12345) % 2147483648;
				$raw .= $d == 16 ? pack("n", $s >> 15) : chr($s >> 23);
			}
		}
		sub chunk { pack("N", length $_[1]) . $_[0] . $_[1] . pack("N", crc32($_[0] . $_[1])) }
		print "\x89PNG\r\n\x1a\n", chunk("IHDR", pack("NNCCCCC", $w, $h, $d, $ct, 0, 0, 0)),
			chunk("IDAT", compress($raw)), chunk("IEND", "");
	' "$@"
}

# pngraw PNG [alpha] : "W H DEPTH CTYPE" on a line, then the samples as
# stored, unfiltered (non-interlaced PNGs); with alpha, the alpha samples
# only. Checks every chunk's CRC.
pngraw() {
	perl -MCompress::Zlib -0777 -e '
		my ($f, $only) = @ARGV;
		open my $fh, "<:raw", $f or die; local $/; $_ = <$fh>;
		my ($p, $z, $w, $h, $d, $ct) = (8, "");
		while ($p < length) {
			my ($len, $type) = unpack("Na4", substr($_, $p, 8));
			my $data = substr($_, $p + 8, $len);
			die "$type: bad CRC\n" if crc32($type . $data) != unpack("N", substr($_, $p + 8 + $len, 4));
			($w, $h, $d, $ct) = unpack("NNCC", $data) if $type eq "IHDR";
			$z .= $data if $type eq "IDAT";
			$p += 12 + $len;
		}
		my $ch = { 0 => 1, 2 => 3, 4 => 2, 6 => 4 }->{$ct};
		my $bpp = $ch * $d / 8;
		my $stride = $w * $bpp;
		my $raw = uncompress($z);
		my @prev = (0) x $stride;
		my $out = "";
		for my $y (0 .. $h - 1) {
			my $f = ord substr($raw, $y * ($stride + 1), 1);
			my @c = unpack("C*", substr($raw, $y * ($stride + 1) + 1, $stride));
			for my $i (0 .. $stride - 1) {
				my $a = $i >= $bpp ? $c[$i - $bpp] : 0;
				my $b = $prev[$i];
				my $cc = $i >= $bpp ? $prev[$i - $bpp] : 0;
				my $v = $c[$i];
				if ($f == 1) { $v += $a }
				elsif ($f == 2) { $v += $b }
				elsif ($f == 3) { $v += int(($a + $b) / 2) }
				elsif ($f == 4) {
					my $q = $a + $b - $cc;
					my ($pa, $pb, $pc) = (abs($q - $a), abs($q - $b), abs($q - $cc));
					$v += $pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $cc;
				}
				$c[$i] = $v & 255;
			}
			@prev = @c;
			if ($only) {
				my $s = $d / 8;
				for (my $i = ($ch - 1) * $s; $i < $stride; $i += $ch * $s) {
					$out .= pack("C*", @c[$i .. $i + $s - 1]);
				}
			} else {
				$out .= pack("C*", @c);
			}
		}
		print "$w $h $d $ct\n", $out;
	' "$@"
}

# with_exif PNG O [COUNT] : PNG with an eXIf chunk of orientation O after
# its IHDR, a tag of COUNT (default 1) SHORTs
with_exif() {
	perl -MCompress::Zlib -0777 -e '
		my ($f, $o, $count) = (@ARGV, 1);
		open my $fh, "<:raw", $f or die; local $/; $_ = <$fh>;
		my $tiff = "MM\0\x2a" . pack("N", 8) . pack("n", 1) .
			pack("nnNnn", 0x112, 3, $count, $o, 0) . pack("N", 0);
		substr($_, 33, 0) = pack("N", length $tiff) . "eXIf" . $tiff . pack("N", crc32("eXIf" . $tiff));
		print;
	' "$@"
}

# pngexif PNG : the orientation in a PNG eXIf chunk, or "none"
pngexif() {
	perl -0777 -ne '
		my $p = index($_, "eXIf");
		if ($p < 0) { print "none\n"; exit }
		my $t = $p + 4;
		my ($u16, $u32) = substr($_, $t, 2) eq "II" ? ("v", "V") : ("n", "N");
		my $ifd = $t + unpack($u32, substr($_, $t + 4, 4));
		for my $i (0 .. unpack($u16, substr($_, $ifd, 2)) - 1) {
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

@test "daedenoise --sigma: a blind model refuses it" {
	run -1 --separate-stderr daedenoise -t 1 -w "$M" --sigma 25 -o out in/rgb.png
	[[ "$stderr" == *"takes no noise level (it is blind); use --strength" ]]
}

@test "daedenoise --sigma: a [noisemap] model denoises at that level, as daeinfer does" {
	MAP=$BATS_FILE_TMPDIR/tinymap.bin
	daedenoise -t 1 -w "$MAP" --sigma 5 -o s5.png in/rgb.png
	daedenoise -t 1 -w "$MAP" --sigma 50 -o s50.png in/rgb.png
	! cmp -s s5.png s50.png
	pixels in/rgb.png | daeinfer -t 1 -w "$MAP" --sigma 50 | unpack -f png want
	[ "$(pixels s50.png | od -An -tx1)" = "$(pixels want/*.png | od -An -tx1)" ]
	# without --sigma, the level it estimates (here about 12): both
	# programs estimate alike
	mkppm 96 64 > big.ppm
	daedenoise -t 1 -w "$MAP" -o est.png big.ppm
	pixels big.ppm | daeinfer -t 1 -w "$MAP" | unpack -f png want2
	[ "$(pixels est.png | od -An -tx1)" = "$(pixels want2/*.png | od -An -tx1)" ]
}

@test "daedenoise finds the model by name" {
	mkdir -p models
	cp "$M" models/mine.bin
	DAE_MODEL_PATH=$PWD/models daedenoise -t 1 -w mine -o a.png in/rgb.png
	daedenoise -t 1 -w "$M" -o b.png in/rgb.png
	cmp a.png b.png
}

@test "daedenoise in a build tree takes the tree's recommended model with no -w" {
	HOME=$PWD XDG_DATA_HOME= DAE_MODEL_PATH= daedenoise -t 1 -o a.png in/rgb.png
	daedenoise -t 1 -w "$ROOT/models/denoise-color.bin" -o b.png in/rgb.png
	cmp a.png b.png
	run -1 --separate-stderr env HOME="$PWD" DAE_MODEL_PATH= daedenoise -w nosuch -o c.png in/rgb.png
	[[ "$stderr" == *"nor a model of that name in $PWD/.local/share/dae/models:"*":$ROOT/models" ]]
}

@test "a folder of photos keeps names, formats, orientation, profile, channels and depth" {
	mkdir photos
	cp "$DATA"/exif6.jpg "$DATA"/gray.png "$DATA"/rgba.png "$DATA"/rgb16.png photos/
	perl -0777 -pe 'substr($_, 2, 0) = "\xFF\xE2\x00\x13ICC_PROFILE\0\1\1abc"' \
		"$DATA/rgb.jpg" > photos/icc.jpg
	daedenoise -t 1 -w "$M" -o out/ photos/
	[ "$(cd out && ls | tr '\n' ' ')" = "exif6.jpg gray.png icc.jpg rgb16.png rgba.png " ]
	[ "$(orientation out/exif6.jpg)" = 1 ]
	[ "$(file -b out/exif6.jpg | grep -o 'precision 8, 7x5')" = "precision 8, 7x5" ]
	perl -0777 -ne 'exit(index($_, "\xFF\xE2\x00\x13ICC_PROFILE\0\1\1abc") < 0)' out/icc.jpg
	file -b out/gray.png | grep -q '8-bit grayscale'
	file -b out/rgba.png | grep -q '8-bit/color RGBA'
	file -b out/rgb16.png | grep -q '16-bit/color RGB'
}

@test "daedenoise passes an RGBA PNG's alpha through byte for byte" {
	mkpng 13 9 8 6 > rgba.png
	daedenoise -t 1 -w "$M" -o out.png rgba.png
	[ "$(pngraw out.png | head -1)" = "13 9 8 6" ]
	pngraw rgba.png alpha > want
	pngraw out.png alpha > got
	cmp want got
	# the colour is what the stream tools make of it
	imgresize 100% rgba.png | daeinfer -t 1 -w "$M" | unpack -f png s
	pixels s/rgba.png > want.ts
	pixels out.png > got.ts
	cmp want.ts got.ts
}

@test "daedenoise passes a gray+alpha PNG's alpha through, and keeps it gray" {
	cp "$DATA/graya.png" .
	daedenoise -t 1 -w "$M" -o out.png graya.png
	[ "$(pngraw out.png | head -1)" = "7 5 8 4" ]
	pngraw graya.png alpha > want
	pngraw out.png alpha > got
	cmp want got
}

@test "daedenoise: a 16-bit PNG comes back 16-bit, through the float path" {
	mkpng 11 7 16 6 > rgba16.png
	cp "$DATA/gray16_ramp.png" .
	daedenoise -t 1 -w "$M" --strength 0 -o same rgba16.png gray16_ramp.png
	# every sample back as it was: none went through 8 bits
	for f in rgba16.png gray16_ramp.png; do
		pngraw $f > want
		pngraw same/$f > got
		cmp want got
	done
	daedenoise -t 1 -w "$M" -o out.png rgba16.png
	[ "$(pngraw out.png | head -1)" = "11 7 16 6" ]
	pngraw rgba16.png alpha > want
	pngraw out.png alpha > got
	cmp want got
	# the model's float output, not 8 bits times 257
	pngraw out.png | perl -0777 -ne '
		my @v = unpack("n*", substr($_, index($_, "\n") + 1));
		exit !grep { $_ % 257 } @v'
}

@test "daedenoise applies a PNG's eXIf orientation and resets it to 1" {
	with_exif "$DATA/rgb.png" 6 > turned.png
	[ "$(pngexif turned.png)" = 6 ]
	daedenoise -t 1 -w "$M" --strength 0 -o out.png turned.png
	[ "$(pngexif out.png)" = 1 ]
	# turned: 7 wide and 5 high stored, 5 wide and 7 high shown; pngraw
	# checks the CRC made again
	[ "$(pngraw out.png | head -1)" = "5 7 8 2" ]
	pixels turned.png > want.ts
	pixels out.png > got.ts
	cmp want.ts got.ts
}

@test "daedenoise says so when an orientation cannot be reset, and copies it as it is" {
	# two SHORTs where one belongs: the decoder reads the first
	with_exif "$DATA/rgb.png" 6 2 > odd.png
	run -0 --separate-stderr daedenoise -t 1 -w "$M" -o out.png odd.png
	[ "$stderr" = "daedenoise: odd.png: EXIF orientation 6 applied to the pixels, but the tag could not be reset: copied as it is" ]
	[ "$(pngexif out.png)" = 6 ]
	[ "$(pngraw out.png | head -1)" = "5 7 8 2" ]
}
