#!/usr/bin/env bats
# imgresize: behaviour of the command line program

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# records: one line per record of the stream on stdin, "HxWxC name"
records() {
	perl -e '
		local $/; my $d = <STDIN>; my $i = 0;
		while ($i < length $d) {
			my ($t, $r, $nl) = unpack("x5 C C x v", substr($d, $i, 10));
			my @dims = unpack("V$r", substr($d, $i + 12, 4 * $r));
			my $name = substr($d, $i + 12 + 4 * $r, $nl);
			my $n = $t == 2 ? 4 : 1; $n *= $_ for @dims;
			print join("x", @dims), " $name\n";
			$i += 12 + 4 * $r + $nl + $n;
		}'
}

@test "imgresize --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr imgresize --help
	assert_output --partial "usage: imgresize"
	[ -z "$stderr" ]
}

@test "imgresize --version prints name and version" {
	run -0 imgresize --version
	assert_output --regexp '^imgresize [0-9]+\.[0-9]+$'
}

@test "imgresize usage line and man page list the same options" {
	usage=$(imgresize --help | head -1 | grep -o -- '-[a-zA-Z-]*' | sort -u | tr '\n' ' ')
	page=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$ROOT/man/man1/imgresize.1" |
		sed -n 's/^\.Op Fl \([^ ]*\).*/-\1/p' | sort -u | tr '\n' ' ')
	[ "$usage" = "$page" ]
}

@test "imgresize rejects an unknown option with exit 2 and nothing on stdout" {
	run -2 --separate-stderr imgresize -x 300 "$DATA/rgb.png"
	[ -z "$output" ]
	[[ "$stderr" == *"usage: imgresize"* ]]
}

@test "imgresize without a size is a usage error" {
	run -2 --separate-stderr imgresize
	[[ "$stderr" == "imgresize: missing size"* ]]
}

@test "imgresize rejects malformed sizes with exit 2" {
	for s in 0 abc 300x x5 3x0 0% 1001% % 1e3 1048577; do
		run -2 --separate-stderr imgresize "$s" "$DATA/rgb.png"
		[[ "$stderr" == "imgresize: size"* ]]
		[ -z "$output" ]
	done
}

@test "imgresize refuses a size over --max-pixels with exit 2" {
	run -2 --separate-stderr imgresize --max-pixels 100 11x10 "$DATA/rgb.png"
	[[ "$stderr" == "imgresize: size: 11 x 10 is over --max-pixels 100"* ]]
}

@test "imgresize --max-pixels must be a number in range" {
	run -2 --separate-stderr imgresize --max-pixels 0 300
	[[ "$stderr" == "imgresize: --max-pixels: must be in"* ]]
	run -2 --separate-stderr imgresize --max-pixels lots 300
	[[ "$stderr" == "imgresize: --max-pixels: not an integer"* ]]
}

@test "imgresize N makes N x N records named after the file" {
	imgresize 300 "$DATA/rgb.jpg" | records > out
	[ "$(cat out)" = "300x300x3 rgb.jpg" ]
}

@test "imgresize WxH is W wide and H high" {
	imgresize 4x3 "$DATA/rgb.png" | records > out
	[ "$(cat out)" = "3x4x3 rgb.png" ]
}

@test "imgresize P% scales each image, rounding to the nearest pixel" {
	imgresize 50% "$DATA/rgb.png" "$DATA/restart.jpg" | records > out
	[ "$(cat out)" = "$(printf '3x4x3 rgb.png\n12x16x3 restart.jpg')" ]
	imgresize 1% "$DATA/rgb.png" | records > out
	[ "$(cat out)" = "1x1x3 rgb.png" ]
}

@test "imgresize 100% keeps every pixel: the record equals the expected decode" {
	for f in rgb.png palette.png gray16.pgm rgb.jpg cmyk.jpg exif6.jpg interlaced.png; do
		imgresize 100% "$DATA/$f" > got.ts
		perl -e '
			local $/; my $d = <STDIN>; my ($want, $i) = ($ARGV[0], 0);
			while ($i < length $d) {
				my $nl = unpack("v", substr($d, $i + 8, 2));
				my @dims = unpack("V3", substr($d, $i + 12, 12));
				my $len = 24 + $nl + $dims[0] * $dims[1] * $dims[2];
				if (substr($d, $i + 24, $nl) eq $want) { print substr($d, $i, $len); exit 0 }
				$i += $len;
			}' "$f" < "$DATA/expected.ts" > want.ts
		cmp got.ts want.ts
	done
}

@test "imgresize reads concatenated images of mixed formats from stdin, unnamed" {
	cat "$DATA/rgb.jpg" "$DATA/rgb.png" "$DATA/rgb.ppm" "$DATA/gray16.pgm" |
		imgresize 8 | records > out
	[ "$(cat out)" = "$(printf '8x8x3 \n8x8x3 \n8x8x3 \n8x8x3 ')" ]
}

@test "imgresize reads files in order, and - is stdin" {
	imgresize 2 "$DATA/gray.png" - "$DATA/cmyk.jpg" < "$DATA/rgb.ppm" | records > out
	[ "$(cat out)" = "$(printf '2x2x3 gray.png\n2x2x3 \n2x2x3 cmyk.jpg')" ]
}

@test "imgresize gives grayscale images three channels" {
	imgresize 100% "$DATA/gray.jpg" "$DATA/gray1.png" | records > out
	[ "$(cat out)" = "$(printf '5x7x3 gray.jpg\n5x7x3 gray1.png')" ]
}

@test "imgresize applies EXIF orientation before resizing" {
	imgresize 100% "$DATA/exif1.jpg" "$DATA/exif6.jpg" "$DATA/exif8.jpg" | records > out
	[ "$(cat out)" = "$(printf '5x7x3 exif1.jpg\n5x7x3 exif6.jpg\n5x7x3 exif8.jpg')" ]
}

@test "imgresize on empty stdin writes nothing and exits 0" {
	run -0 --separate-stderr imgresize 300 < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "imgresize skips a zero-byte file and exits 0" {
	: > empty.jpg
	run -0 --separate-stderr imgresize 300 empty.jpg
	[ -z "$output" ]
	[ "$stderr" = "$(printf 'imgresize: empty.jpg: empty file, skipped\nimgresize: 1 of 1 inputs skipped')" ]
}

@test "imgresize skips a missing file and goes on" {
	run -0 --separate-stderr bash -c "imgresize 4 nosuch.png '$DATA/rgb.png' | wc -c"
	[ "$output" -eq $((24 + 7 + 48)) ]
	[[ "$stderr" == "imgresize: nosuch.png: No such file or directory, skipped"* ]]
}

@test "imgresize skips a directory given as a file" {
	mkdir d
	run -0 --separate-stderr imgresize 4 d
	[[ "$stderr" == "imgresize: d: read: Is a directory, skipped"* ]]
}

@test "imgresize skips a truncated JPEG, PNG and PPM by name" {
	for f in rgb.jpg rgb.png rgb.ppm; do
		head -c -20 "$DATA/$f" > "cut.${f#*.}"
	done
	run -0 --separate-stderr bash -c "imgresize 4 cut.jpg cut.png '$DATA/gray.png' cut.ppm | wc -c"
	[ "$output" -eq $((24 + 8 + 48)) ]
	[ "$stderr" = "$(printf '%s\n' \
		'imgresize: cut.jpg: truncated JPEG, skipped' \
		'imgresize: cut.png: truncated PNG, skipped' \
		'imgresize: cut.ppm: truncated PPM, skipped' \
		'imgresize: 3 of 4 inputs skipped')" ]
}

@test "imgresize on stdin goes on after a truncated image with the next one" {
	{ head -c -40 "$DATA/rgb.jpg"; cat "$DATA/rgb.png"; } > in
	run -0 --separate-stderr bash -c "imgresize 4 < in | wc -c"
	[ "$output" -eq $((24 + 48)) ]
	[[ "$stderr" == "imgresize: input 1 (byte 0): "*", skipped"* ]]
}

@test "imgresize reads a JPEG followed by garbage, then reports the garbage" {
	{ cat "$DATA/rgb.jpg"; echo "trailing garbage"; } > in.jpg
	size=$(stat -c %s "$DATA/rgb.jpg")
	run -0 --separate-stderr bash -c "imgresize 4 < in.jpg | wc -c"
	[ "$output" -eq $((24 + 48)) ]
	[ "$stderr" = "$(printf 'imgresize: input 2 (byte %d): not a JPEG, PNG or PPM, skipped\nimgresize: 1 of 2 inputs skipped' "$size")" ]
	run -0 --separate-stderr bash -c "imgresize 4 in.jpg | wc -c"
	[[ "$stderr" == "imgresize: in.jpg (byte $size): not a JPEG, PNG or PPM, skipped"* ]]
}

@test "imgresize reports a file that is not an image" {
	run -0 --separate-stderr imgresize 4 "$BAD/not_an_image.txt"
	[ -z "$output" ]
	[[ "$stderr" == *"not_an_image.txt: not a JPEG, PNG or PPM, skipped"* ]]
}

@test "imgresize refuses huge dimensions in a tiny file without allocating" {
	for f in huge_dims.png huge_dims.jpg huge_dims.ppm; do
		run -0 --separate-stderr imgresize 300 "$BAD/$f"
		[ -z "$output" ]
		[[ "$stderr" == *"$f: "*" x "*" pixels is over the limit of 100000000, skipped"* ]]
	done
}

@test "imgresize reports corrupt images with the decoder's reason" {
	run -0 --separate-stderr imgresize 4 "$BAD/bad_crc.png" "$BAD/zero_width.ppm"
	[ -z "$output" ]
	[[ "$stderr" == *"bad_crc.png: corrupt PNG: "*", skipped"* ]]
	[[ "$stderr" == *"zero_width.ppm: corrupt PPM: width or height is 0, skipped"* ]]
}

@test "imgresize --max-pixels refuses larger images" {
	run -0 --separate-stderr imgresize --max-pixels 34 4 "$DATA/rgb.png"
	[ -z "$output" ]
	[[ "$stderr" == *"rgb.png: PNG of 7 x 5 pixels is over the limit of 34, skipped"* ]]
	imgresize --max-pixels 35 4 "$DATA/rgb.png" | records > out
	[ "$(cat out)" = "4x4x3 rgb.png" ]
}

@test "imgresize --max-pixels also bounds the output of P%" {
	run -0 --separate-stderr imgresize --max-pixels 100 200% "$DATA/rgb.png"
	[ -z "$output" ]
	[[ "$stderr" == *"rgb.png: output of 14 x 10 pixels is over the limit of 100, skipped"* ]]
}

@test "imgresize --strict makes a bad input fatal with exit 1 and no output" {
	run -1 --separate-stderr imgresize --strict 4 "$BAD/huge_dims.png" "$DATA/rgb.png"
	[ -z "$output" ]
	[ "$stderr" = "imgresize: $BAD/huge_dims.png: PNG of 100000 x 100000 pixels is over the limit of 100000000" ]
	run -1 --separate-stderr bash -c "cat '$DATA/rgb.png' '$BAD/not_an_image.txt' | imgresize --strict 4 > /dev/null"
	[ "$stderr" = "imgresize: input 2 (byte $(stat -c %s "$DATA/rgb.png")): not a JPEG, PNG or PPM" ]
}

@test "imgresize on threads writes the bytes and messages of one thread, in order" {
	for f in rgb.jpg rgb.png rgb.ppm; do
		head -c -20 "$DATA/$f" > "cut.${f#*.}"
	done
	: > empty.jpg
	set -- "$DATA"/*.jpg cut.jpg "$DATA"/*.png nosuch.png cut.png empty.jpg "$DATA"/*.ppm cut.ppm
	imgresize -t 1 17 "$@" > one.ts 2> one.err
	imgresize -t 3 17 "$@" > three.ts 2> three.err
	imgresize -t 64 17 "$@" > many.ts 2> many.err
	cmp one.ts three.ts
	cmp one.ts many.ts
	cmp one.err three.err
	cmp one.err many.err
	[ "$(grep -c skipped one.err)" -eq 6 ]
	run -2 imgresize -t 0 4 "$DATA/rgb.png"
}

@test "imgresize --strict on threads stops at the first bad file, after the good ones" {
	imgresize -t 1 4 "$DATA/rgb.png" "$DATA/gray.png" > want.ts
	run -1 --separate-stderr bash -c "imgresize -t 2 --strict 4 '$DATA/rgb.png' '$DATA/gray.png' \
		'$BAD/huge_dims.png' '$DATA/rgb.jpg' '$DATA/rgb.ppm' > got.ts"
	[ "$stderr" = "imgresize: $BAD/huge_dims.png: PNG of 100000 x 100000 pixels is over the limit of 100000000" ]
	cmp want.ts got.ts
}

@test "imgresize -a averages where bilinear samples" {
	imgresize -F 5x4 "$DATA/restart.jpg" > lin.ts
	imgresize -F -a 5x4 "$DATA/restart.jpg" > area.ts
	imgresize --antialias -F 5x4 "$DATA/restart.jpg" > area2.ts
	run ! cmp -s lin.ts area.ts
	cmp area.ts area2.ts
	[ "$(records < area.ts)" = "4x5x3 restart.jpg" ]
}

@test "imgresize -a and the default agree where nothing shrinks" {
	imgresize 20x13 "$DATA/rgb.png" > lin.ts
	imgresize -a 20x13 "$DATA/rgb.png" > area.ts
	cmp lin.ts area.ts
}

@test "imgresize uses DCT scaling for large reductions and -F turns it off" {
	imgresize 4x3 "$DATA/restart.jpg" > dct.ts
	imgresize -F 4x3 "$DATA/restart.jpg" > full.ts
	imgresize --full-decode 4x3 "$DATA/restart.jpg" > full2.ts
	run ! cmp -s dct.ts full.ts
	cmp full.ts full2.ts
	[ "$(records < dct.ts)" = "3x4x3 restart.jpg" ]
	# DCT scaling changes nothing when the image is not much larger
	imgresize 20x15 "$DATA/restart.jpg" > a.ts
	imgresize -F 20x15 "$DATA/restart.jpg" > b.ts
	cmp a.ts b.ts
}

@test "imgresize -v reports progress on stderr, quiet without it" {
	run -0 --separate-stderr bash -c "imgresize -v 4 '$DATA/rgb.png' '$DATA/gray.png' > /dev/null"
	[[ "$stderr" == *"imgresize: 2 images"* ]]
	run -0 --separate-stderr bash -c "imgresize 4 '$DATA/rgb.png' > /dev/null"
	[ -z "$stderr" ]
}

@test "imgresize to /dev/full is an error" {
	run -1 --separate-stderr sh -c "imgresize 100 '$DATA/rgb.png' > /dev/full"
	[[ "$stderr" == "imgresize: "*"No space left on device"* ]]
}

@test "imgresize with an unreadable stdin exits 1" {
	run -1 --separate-stderr sh -c 'imgresize 4 <&-'
	[[ "$stderr" == "imgresize: <stdin>: read: Bad file descriptor" ]]
	[ -z "$output" ]
}

@test "imgresize exits 0 quietly when the reader goes away" {
	run -0 --separate-stderr bash -c "set -o pipefail; imgresize 200 '$DATA'/*.jpg '$DATA'/*.png | head -c 10 > /dev/null"
	[ -z "$stderr" ]
}

@test "imgresize streams: the first record comes out before the input ends" {
	# the input stays open until record 1 has come out: a filter that waited
	# for the end of its input would deadlock here, and timeout says so
	run -0 timeout 30 bash -c "{ cat '$DATA/rgb.jpg'; while [ ! -s out.ts ]; do sleep 0.1; done; } | imgresize 2 > out.ts"
	[ "$(stat -c %s out.ts)" -eq $((24 + 12)) ]
}

# bounded ENV... CMD: run CMD where one allocation of over MB megabytes
# fails: ASan's max_allocation_size_mb in a sanitizer build, else an
# address-space limit of MB + 60 MB (the program and its libraries), with
# one malloc arena so that threads do not reserve 64 MB each
bounded() {
	local mb=$1
	shift
	if grep -q fsanitize=address "$ROOT/.cflags"; then
		run --separate-stderr env \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1:max_allocation_size_mb=$mb" "$@"
	else
		run --separate-stderr sh -c 'ulimit -v $(($1 * 1024 + 61440)); shift; exec env MALLOC_ARENA_MAX=1 "$@"' \
			sh "$mb" "$@"
	fi
}

@test "imgresize on threads holds an image at a time, not a named file's whole output" {
	# 45 records of 3 MB from one file: 135 MB, where the bound is 40 MB
	perl -e 'print "P6\n2 2\n255\n", "\x10" x 12 for 1..45' > many.ppm
	printf 'P6\n1 1\n255\nabc' > one.ppm
	imgresize -t 1 1000 many.ppm one.ppm | cksum > want
	bounded 40 sh -c 'imgresize -t 2 1000 many.ppm one.ppm | cksum'
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	[ "$output" = "$(cat want)" ]
	# and a stream named as a file
	bounded 40 sh -c 'imgresize -t 2 1000 /dev/stdin one.ppm < many.ppm | cksum'
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
}

@test "imgresize: a JPEG without an end marker followed by 100 MB holds a bounded buffer" {
	head -c $(($(stat -c %s "$DATA/rgb.jpg") - 2)) "$DATA/rgb.jpg" > noeoi.jpg
	bounded 40 sh -c '{ cat noeoi.jpg; head -c 100000000 /dev/zero; } | imgresize --strict 4'
	[ "$status" -eq 1 ]
	[ "$stderr" = "imgresize: input 1 (byte 0): truncated JPEG" ]
	[ -z "$output" ]
}

@test "imgresize does not inflate a PNG's deflate stream past its last row" {
	# 4 MB that inflate to 4 GB after the one row: a second of CPU a
	# megabyte for a reader that inflates it all, none for one that stops
	perl "$BAD/pngtail.pl" 4 > tail.png
	run -0 --separate-stderr sh -c 'ulimit -t 2; imgresize --strict 1 tail.png | wc -c'
	[ -z "$stderr" ]
	[ "$output" -eq $((12 + 12 + 8 + 3)) ]
}

@test "imgresize: a JPEG whose scan ends long before its claimed size is truncated" {
	cp "$BAD/jpeg_scan_ends_early.jpg" .
	run -1 --separate-stderr imgresize --strict 300 jpeg_scan_ends_early.jpg
	[ "$stderr" = "imgresize: jpeg_scan_ends_early.jpg: truncated JPEG" ]
	[ -z "$output" ]
	run -0 --separate-stderr imgresize -F 300 jpeg_scan_ends_early.jpg
	[ "${stderr_lines[0]}" = "imgresize: jpeg_scan_ends_early.jpg: truncated JPEG, skipped" ]
	[ -z "$output" ]
	# a scan a few bits short in its last row of blocks is decoded, as before
	imgresize --strict 8 "$DATA/rgb.jpg" > /dev/null
}

@test "imgresize reads a PNM comment right after a number, as netpbm does" {
	printf 'P5\n2 2\n255\nabcd' > plain.pgm
	printf 'P5\n2#c\n2 255\nabcd' > c1.pgm
	printf 'P5#x\n2 2#y\n255#z\nabcd' > c2.pgm
	imgresize --strict 2 plain.pgm > want.ts
	for f in c1 c2; do
		imgresize --strict 2 $f.pgm > $f.ts
		cmp <(tail -c 12 want.ts) <(tail -c 12 $f.ts)
	done
}

@test "imgresize names a PNM size that does not fit 32 bits as written" {
	cp "$BAD/ppm_width_over_32_bits.ppm" .
	run -1 --separate-stderr imgresize --strict 4 ppm_width_over_32_bits.ppm
	[ "$stderr" = "imgresize: ppm_width_over_32_bits.ppm: PPM of 4294967297 x 2 pixels is over the limit of 100000000" ]
	printf 'P6\n99999999999999999999 2\n255\n' > w.ppm
	run -1 --separate-stderr imgresize --strict 4 w.ppm
	[ "$stderr" = "imgresize: w.ppm: corrupt PPM: number over 2^64 in the header" ]
}
