#!/usr/bin/env bats
# unpack: behaviour of the command line program

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# payload FILE: the bytes after the header of a one-record stream
payload() {
	perl -e '
		local $/; my $d = <STDIN>;
		my ($r, $nl) = unpack("x6 C x v", substr($d, 0, 10));
		print substr($d, 12 + 4 * $r + $nl);' < "$1"
}

# f32rec NAME H W C V... : one f32 record holding the values V
f32rec() {
	perl -e '
		my ($name, $h, $w, $c, @v) = @ARGV;
		print "TNSR", pack("CCCCvv", 1, 2, 3, 0, length $name, 0), pack("V3", $h, $w, $c), $name;
		print pack("f<*", map { $_ eq "nan" ? 9**9**9 / 9**9**9 : $_ } @v);' "$@"
}

@test "unpack --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr unpack --help
	assert_output --partial "usage: unpack"
	[ -z "$stderr" ]
}

@test "unpack --version prints name and version" {
	run -0 unpack --version
	assert_output --regexp '^unpack [0-9]+\.[0-9]+$'
}

@test "unpack usage line and man page list the same options" {
	usage=$(unpack --help | head -1 | grep -o -- '-[a-zA-Z-]*' | sort -u | tr '\n' ' ')
	page=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$ROOT/man/man1/unpack.1" |
		sed -n 's/^\.Op Fl \([^ ]*\).*/-\1/p' | sort -u | tr '\n' ' ')
	[ "$usage" = "$page" ]
}

@test "unpack rejects an unknown option with exit 2" {
	run -2 --separate-stderr unpack -x out < /dev/null
	[ -z "$output" ]
	[ ! -e out ]
}

@test "unpack needs exactly one directory" {
	run -2 --separate-stderr unpack < /dev/null
	[[ "$stderr" == "unpack: missing directory"* ]]
	run -2 --separate-stderr unpack a b < /dev/null
	[[ "$stderr" == "unpack: unexpected operand 'b'"* ]]
	run -2 --separate-stderr unpack "" < /dev/null
}

@test "unpack rejects an unknown format and a quality out of range" {
	run -2 --separate-stderr unpack -f gif out < /dev/null
	[[ "$stderr" == "unpack: -f: not png, jpg or ppm: 'gif'"* ]]
	run -2 --separate-stderr unpack -q 0 out < /dev/null
	[[ "$stderr" == "unpack: -q: must be in 1..100"* ]]
	run -2 --separate-stderr unpack -q 101 out < /dev/null
}

@test "unpack writes a PNG per record named after it, lossless" {
	mkrecord u8 dog.7.jpg 5 7 3 > in.ts
	run -0 --separate-stderr unpack out < in.ts
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(ls out)" = "dog.7.png" ]
	imgresize 100% out/dog.7.png > back.ts
	cmp <(payload in.ts) <(payload back.ts)
}

@test "unpack names unnamed records by their position" {
	{ mkrecord u8 "" 2 2 3; mkrecord u8 b.jpg 2 2 3; mkrecord u8 "" 2 2 3; } | unpack out
	[ "$(ls out | tr '\n' ' ')" = "000001.png 000003.png b.png " ]
}

@test "unpack gives a repeated name a suffix" {
	{ mkrecord u8 a.jpg 2 2 3; mkrecord u8 a.png 2 2 3; mkrecord u8 a 2 2 3; } | unpack out
	[ "$(ls out | tr '\n' ' ')" = "a-2.png a-3.png a.png " ]
}

@test "unpack keeps a leading dot and replaces only the last extension" {
	{ mkrecord u8 .hidden 2 2 3; mkrecord u8 x.tar.gz 2 2 3; } | unpack out
	[ "$(ls -A out | tr '\n' ' ')" = ".hidden.png x.tar.png " ]
}

@test "unpack never replaces an existing file without --force" {
	mkdir out
	echo keep > out/a.png
	mkrecord u8 a.jpg 2 2 3 > in.ts
	run -0 --separate-stderr unpack out < in.ts
	[ "$stderr" = "$(printf 'unpack: out/a.png: file exists, skipped\nunpack: 1 of 1 records skipped')" ]
	[ "$(cat out/a.png)" = keep ]
}

@test "unpack --strict makes an existing file fatal" {
	mkdir out
	echo keep > out/a.png
	run -1 --separate-stderr unpack --strict out < <(mkrecord u8 a 2 2 3)
	[ "$stderr" = "unpack: out/a.png: file exists" ]
	[ "$(cat out/a.png)" = keep ]
}

@test "unpack --force replaces existing files" {
	mkdir out
	echo old > out/a.png
	mkrecord u8 a 2 2 3 | unpack --force out
	[ "$(head -c 4 out/a.png | od -An -c | tr -d ' ')" = '211PNG' ]
}

@test "unpack -f jpg writes JPEG files and -q sets their quality" {
	mkrecord u8 a 32 32 3 | unpack -f jpg -q 10 lo
	mkrecord u8 a 32 32 3 | unpack -f jpeg -q 100 hi
	[ "$(od -An -tx1 -N3 lo/a.jpg | tr -d ' ')" = ffd8ff ]
	[ "$(stat -c %s lo/a.jpg)" -lt "$(stat -c %s hi/a.jpg)" ]
	imgresize 100% hi/a.jpg > /dev/null
}

@test "unpack -f ppm writes PPM for RGB and PGM for gray" {
	{ mkrecord u8 rgb 2 3 3; mkrecord u8 gray 2 3 1; } | unpack -f ppm out
	[ "$(ls out | tr '\n' ' ')" = "gray.pgm rgb.ppm " ]
	[ "$(head -c 2 out/rgb.ppm)" = P6 ]
	[ "$(head -c 2 out/gray.pgm)" = P5 ]
}

@test "unpack writes 1-channel records as gray images" {
	mkrecord u8 g 4 5 1 > in.ts
	unpack out < in.ts
	imgresize 100% out/g.png > back.ts
	# back as RGB: each gray value three times
	cmp <(payload in.ts | perl -e 'local $/; print map { $_ x 3 } split //, <STDIN>') <(payload back.ts)
}

@test "unpack rounds and clips f32 records, NaN to 0" {
	f32rec v 1 6 1 -5 300 127.5 127.49 nan 254.6 | unpack out
	imgresize 100% out/v.png > back.ts
	[ "$(payload back.ts | od -An -tu1 -w1 -v | awk 'NR % 3 == 1' | tr -d ' ' | tr '\n' ' ')" = "0 255 128 127 0 255 " ]
}

@test "unpack skips a record that is not an image and goes on" {
	{ mkrecord u8 flat 6 7; mkrecord u8 rgba 2 2 4; mkrecord u8 ok 2 2 3; } > in.ts
	run -0 --separate-stderr unpack out < in.ts
	[ "$(ls out)" = "ok.png" ]
	[ "$stderr" = "$(printf '%s\n' \
		'unpack: <stdin>: record 1 (byte 0): not an image (rank 3, 1 or 3 channels), skipped' \
		'unpack: <stdin>: record 2 (byte 66): not an image (rank 3, 1 or 3 channels), skipped' \
		'unpack: 2 of 3 records skipped')" ]
}

@test "unpack --strict makes a record that is not an image fatal" {
	run -1 --separate-stderr unpack --strict out < <(mkrecord u8 flat 6 7)
	[ "$stderr" = "unpack: <stdin>: record 1 (byte 0): not an image (rank 3, 1 or 3 channels)" ]
}

@test "unpack makes the directory and its parents" {
	mkrecord u8 a 2 2 3 | unpack a/b/c/
	[ -f a/b/c/a.png ]
}

@test "unpack on an empty stream makes the directory and exits 0" {
	run -0 --separate-stderr unpack out < /dev/null
	[ -d out ]
	[ -z "$(ls -A out)" ]
	[ -z "$stderr" ]
}

@test "unpack into a path that is a file is an error" {
	: > f
	run -1 --separate-stderr unpack f < <(mkrecord u8 a 2 2 3)
	[ "$stderr" = "unpack: f: not a directory" ]
	run -1 --separate-stderr unpack f/sub < <(mkrecord u8 a 2 2 3)
	[[ "$stderr" == "unpack: f/sub: mkdir: Not a directory" ]]
}

@test "unpack into an unwritable directory is an error" {
	if [ "$(id -u)" -ne 0 ]; then
		mkdir ro && chmod 555 ro && dir=ro
	elif [ -d /sys/kernel ] && ! : 2> /dev/null > /sys/kernel/.unpack-test; then
		dir=/sys/kernel
	else
		skip "no directory this user cannot write to"
	fi
	run -1 --separate-stderr unpack "$dir" < <(mkrecord u8 a 2 2 3)
	[ "$stderr" = "unpack: $dir/a.png: create: Permission denied" ]
}

@test "unpack leaves no temporary file behind" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 8 3; } | unpack out
	[ "$(ls -A out | tr '\n' ' ')" = "a.png b.png " ]
}

@test "unpack reports a truncated stream by record and exits 1, keeping whole files" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > in.ts
	run -1 --separate-stderr unpack out < in.ts
	[ "$stderr" = "unpack: <stdin>: record 2 (byte 37): stream ends inside a record" ]
	[ "$(ls -A out)" = "a.png" ]
}

@test "unpack reports bad magic and exits 1" {
	run -1 --separate-stderr unpack out < "$DATA/rgb.ppm"
	[[ "$stderr" == *"record 1 (byte 0): not a tensor stream (bad magic)"* ]]
}

@test "unpack -v reports progress on stderr, quiet without it" {
	run -0 --separate-stderr unpack -v out < <(mkrecord u8 a 2 2 3)
	[[ "$stderr" == *"unpack: 1 files"* ]]
	run -0 --separate-stderr unpack out2 < <(mkrecord u8 a 2 2 3)
	[ -z "$stderr" ]
}

@test "unpack writes each file before the input ends" {
	mkrecord u8 a 4 4 3 > a.ts
	run -0 timeout 30 bash -c '{ cat a.ts; while [ ! -e out/a.png ]; do sleep 0.1; done; } | unpack out'
}

@test "unpack writes what imgresize read, named after the files" {
	imgresize 6x4 "$DATA/rgb.jpg" "$DATA/gray.png" "$DATA/exif6.jpg" | unpack -f ppm out
	[ "$(ls out | tr '\n' ' ')" = "exif6.ppm gray.ppm rgb.ppm " ]
	[ "$(head -c 7 out/exif6.ppm | tr '\n' ' ')" = "P6 6 4 " ]
}

# killed: noisy 500 x 500 records, slow to encode, so that the kill comes
# while files are being written; whatever the moment, every file under its
# final name must decode whole
killed_mid_stream() {
	perl -e 'srand(7); my $px = pack("C*", map { int rand 256 } 1 .. 500 * 500 * 3);
		print "TNSR", pack("CCCCvv", 1, 1, 3, 0, length("n$_"), 0), pack("V3", 500, 500, 3),
		      "n$_", $px for 1 .. 12' > in.ts
	unpack out < in.ts &
	pid=$!
	while [ ! -e out/n1.png ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
	kill -"$1" $pid 2>/dev/null || true
	wait $pid || true
	for f in $(ls out); do
		imgresize --strict 100% "out/$f" > /dev/null
	done
}

@test "unpack killed by SIGTERM mid-stream leaves whole files and no temporary file" {
	killed_mid_stream TERM
	[ -z "$(ls -A out | grep '^\.')" ]
}

@test "unpack killed by SIGKILL mid-stream leaves whole files under their names" {
	killed_mid_stream KILL
	# a hidden temporary file may stay after SIGKILL; a file named n*.png is whole
	[ -z "$(ls -A out | grep -v -e '^n[0-9]*\.png$' -e '^\.n[0-9]*\.png\.......$')" ]
}

@test "unpack writes a record whose name is too long for a file name, shortened, and goes on" {
	# 250 + .png fits 255; 253 + .png does not, nor do 127 two-byte
	# characters and a z (255 bytes) + .png, nor their temporary names
	a250=$(printf 'a%.0s' $(seq 1 250))
	e127=$(printf '\303\251%.0s' $(seq 1 127))
	{ mkrecord u8 first 2 2 3; mkrecord u8 "$a250.jpg" 2 2 3; mkrecord u8 "${a250}bcd" 2 2 3
	  mkrecord u8 "${e127}z" 2 2 3; mkrecord u8 "${e127}z" 2 2 3; mkrecord u8 last 2 2 3; } > in.ts
	run -0 --separate-stderr unpack out < in.ts
	[ "${#stderr_lines[@]}" -eq 3 ]
	[[ "${stderr_lines[0]}" == "unpack: <stdin>: record 3 (byte "*"): name and extension over 255 bytes, written as ${a250}b.png" ]]
	[[ "${stderr_lines[1]}" == "unpack: <stdin>: record 4 (byte "*"): name and extension over 255 bytes, written as "*".png" ]]
	[[ "${stderr_lines[2]}" == "unpack: <stdin>: record 5 (byte "*"): name and extension over 255 bytes, written as "*"-2.png" ]]
	[ "$(ls out | wc -l)" -eq 6 ]
	[ -e out/first.png ] && [ -e out/last.png ] && [ -e "out/$a250.png" ]
	# cut at a character boundary: every name is valid UTF-8, none over 255
	for f in out/*; do
		[ "$(printf '%s' "${f#out/}" | wc -c)" -le 255 ]
		printf '%s' "$f" | iconv -f UTF-8 -t UTF-8 > /dev/null
	done
	[ -z "$(ls -A out | grep '^\.')" ]
}

@test "unpack --force does not replace a FIFO or a directory" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3; mkrecord u8 c 2 2 3; } > in.ts
	mkdir -p out/b.png
	mkfifo out/a.png
	run -0 --separate-stderr unpack --force out < in.ts
	[ "${stderr_lines[0]}" = "unpack: out/a.png: not a regular file, skipped" ]
	[ "${stderr_lines[1]}" = "unpack: out/b.png: not a regular file, skipped" ]
	[ -p out/a.png ] && [ -d out/b.png ] && [ -f out/c.png ]
	run -1 --separate-stderr unpack --force --strict out < in.ts
	[ "$stderr" = "unpack: out/a.png: not a regular file" ]
}
