#!/usr/bin/env bats
# daemontage: behaviour of the command line program

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# dims FILE : "H W C" of the daemontage record
dims() {
	od -An -tu4 -j12 -N12 "$1" | awk '{ print $1, $2, $3 }'
}

# payload FILE : the daemontage's bytes, space-separated, one line
payload() {
	od -An -tu1 -v -j31 "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

# count_not FILE Y0 Y1 X0 X1 R G B : pixels in rows Y0..Y1-1, columns
# X0..X1-1 that are not R G B
count_not() {
	perl -e '
		my ($f, $y0, $y1, $x0, $x1, @bg) = @ARGV;
		open my $fh, "<:raw", $f or die; local $/; my $b = <$fh>;
		my ($h, $w) = unpack("V2", substr($b, 12, 8));
		my $n = 0;
		for my $y ($y0..$y1-1) { for my $x ($x0..$x1-1) {
			my @p = unpack("C3", substr($b, 31 + ($y * $w + $x) * 3, 3));
			$n++ if "@p" ne "@bg";
		} }
		print "$n\n";
	' "$@"
}

@test "daemontage --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr daemontage --help
	assert_line --index 0 "usage: daemontage [-n rows] [-l label,...] [-g gap] [-b background] input ..."
	[ -z "$stderr" ]
}

@test "daemontage --version prints name and version" {
	run -0 daemontage --version
	assert_output --regexp '^daemontage [0-9]+\.[0-9]+$'
}

@test "daemontage usage and man page SYNOPSIS list the same options" {
	run -0 daemontage --help
	man=$(mandoc -T ascii "$ROOT/man/man1/daemontage.1" | perl -pe 's/.\x08//g' | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')
	[ "usage: $man" = "${lines[0]}" ]
}

@test "daemontage rejects an unknown option with exit 2" {
	run -2 --separate-stderr daemontage -x a.ts
	[ -z "$output" ]
	[[ "$stderr" == *"usage: daemontage"* ]]
}

@test "daemontage rejects a missing operand with exit 2" {
	run -2 --separate-stderr daemontage -g 2
	[[ "$stderr" == "daemontage: missing operand"* ]]
}

@test "daemontage rejects -n 0 with exit 2 naming the option" {
	run -2 --separate-stderr daemontage -n 0 a.ts
	[[ "$stderr" == "daemontage: -n: must be in 1..10000: '0'"* ]]
}

@test "daemontage rejects a negative or huge gap with exit 2" {
	run -2 --separate-stderr daemontage -g -1 a.ts
	[[ "$stderr" == "daemontage: -g: must be in 0..1000"* ]]
	run -2 daemontage -g 1001 a.ts
}

@test "daemontage rejects a malformed background with exit 2" {
	run -2 --separate-stderr daemontage -b 1,2 a.ts
	[[ "$stderr" == "daemontage: -b: want a grey level or R,G,B"* ]]
	run -2 --separate-stderr daemontage -b 256 a.ts
	[[ "$stderr" == "daemontage: -b: must be in 0..255: '256'"* ]]
	run -2 daemontage -b red a.ts
}

@test "daemontage rejects more labels than inputs with exit 2" {
	run -2 --separate-stderr daemontage -l a,b,c x.ts y.ts
	[[ "$stderr" == "daemontage: -l: more labels than inputs (2)"* ]]
	[ -z "$output" ]
}

@test "daemontage rejects stdin for two inputs with exit 2" {
	run -2 --separate-stderr daemontage - -
	[[ "$stderr" == "daemontage: only one input can be '-'"* ]]
}

@test "daemontage writes one u8 H x W x 3 record named montage" {
	{ mkrecord u8 a 4 5 3; mkrecord u8 b 4 5 3; } > a.ts
	daemontage -g 2 a.ts a.ts > out.ts
	# 2 + 2 x (5 + 2) wide, 2 + 2 x (4 + 2) high
	[ "$(dims out.ts)" = "14 16 3" ]
	[ "$(od -An -tu1 -j4 -N4 out.ts | tr -s ' ')" = " 1 1 3 0" ]
	[ "$(tail -c +25 out.ts | head -c 7)" = montage ]
	[ "$(stat -c %s out.ts)" -eq $((31 + 14 * 16 * 3)) ]
}

@test "daemontage places an image in its cell with the gap around it" {
	mkrecord u8 a 2 2 3 > a.ts
	daemontage -g 1 -b 7 a.ts > out.ts
	[ "$(dims out.ts)" = "4 4 3" ]
	[ "$(payload out.ts)" = "7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 0 1 2 3 4 5 7 7 7 7 7 7 6 7 8 9 10 11 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7" ]
}

@test "daemontage centres a narrower image and expands grey to RGB" {
	{ mkvals u8 a 1 3 1 10 20 30; mkvals u8 b 1 1 1 40; } > a.ts
	daemontage -g 0 -b 0 a.ts > out.ts
	[ "$(dims out.ts)" = "2 3 3" ]
	[ "$(payload out.ts)" = "10 10 10 20 20 20 30 30 30 0 0 0 40 40 40 0 0 0" ]
}

@test "daemontage widens a column for a later row and moves the rows above" {
	{ mkvals u8 a 1 1 1 50; mkvals u8 a 1 3 1 60 70 80; } > a.ts
	{ mkvals u8 b 3 1 1 1 2 3; mkvals u8 b 1 1 1 9; } > b.ts
	daemontage -g 0 -b 0 a.ts b.ts > out.ts
	[ "$(dims out.ts)" = "4 4 3" ]
	# grey levels, row by row: the 1x1 of row 1 is centred in the now
	# 3-wide column and vertically in the 3-high row
	want="0 0 0 1 0 50 0 2 0 0 0 3 60 70 80 9"
	got=$(payload out.ts | awk '{ for (i = 1; i <= NF; i += 3) printf "%s%s", (i > 1 ? " " : ""), $i; print "" }')
	[ "$got" = "$want" ]
}

@test "daemontage rounds and clips f32 values" {
	mkvals f32 a 1 6 1 -3.2 0.5 254.5 300 1.49 nan > a.ts
	daemontage -g 0 a.ts > out.ts
	[ "$(payload out.ts)" = "0 0 0 1 1 1 255 255 255 255 255 255 1 1 1 0 0 0" ]
}

@test "daemontage -b takes R,G,B" {
	mkrecord u8 a 2 2 3 > a.ts
	daemontage -g 1 -b 10,20,30 a.ts > out.ts
	[ "$(payload out.ts | cut -d' ' -f1-6)" = "10 20 30 10 20 30" ]
}

@test "daemontage -n limits the rows" {
	for i in 1 2 3; do mkrecord u8 a 4 5 3; done > a.ts
	daemontage -n 2 -g 1 a.ts > out.ts
	[ "$(dims out.ts)" = "11 7 3" ]
}

@test "daemontage stops after 8 rows by default" {
	for i in 1 2 3 4 5 6 7 8 9 10; do mkrecord u8 a 1 1 3; done > a.ts
	daemontage -g 0 a.ts > out.ts
	[ "$(dims out.ts)" = "8 1 3" ]
}

@test "daemontage does not read records past the last row" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > a.ts
	run -0 daemontage -n 1 a.ts
	run -1 daemontage -n 2 a.ts
}

@test "daemontage -l draws labels above the columns and nowhere else" {
	mkrecord u8 a 10 20 3 > a.ts
	daemontage -g 2 -l A,B a.ts a.ts > out.ts
	# a band of 14 + 4 lines under the top gap: rows start at y = 20
	[ "$(dims out.ts)" = "32 46 3" ]
	[ "$(count_not out.ts 2 16 2 22 255 255 255)" -gt 0 ]
	[ "$(count_not out.ts 2 16 24 44 255 255 255)" -gt 0 ]
	[ "$(count_not out.ts 0 2 0 46 255 255 255)" -eq 0 ]
	[ "$(count_not out.ts 16 20 0 46 255 255 255)" -eq 0 ]
	[ "$(count_not out.ts 0 20 22 24 255 255 255)" -eq 0 ]
	# the text is black on white: every pixel there is one or the other
	[ $(($(count_not out.ts 2 16 2 22 255 255 255) + $(count_not out.ts 2 16 2 22 0 0 0))) -eq 280 ]
}

@test "daemontage without -l has no label band" {
	mkrecord u8 a 10 20 3 > a.ts
	daemontage -g 2 a.ts a.ts > out.ts
	[ "$(dims out.ts)" = "14 46 3" ]
}

@test "daemontage draws labels light on a dark background" {
	mkrecord u8 a 10 20 3 > a.ts
	daemontage -g 2 -b 0 -l A a.ts > out.ts
	n=$(count_not out.ts 2 16 2 22 0 0 0)
	[ "$n" -gt 0 ]
	[ "$(count_not out.ts 2 16 2 22 255 255 255)" -eq $((14 * 20 - n)) ]
}

@test "daemontage widens a column to fit its label" {
	mkrecord u8 a 2 2 3 > a.ts
	daemontage -g 0 -l abcdefghij a.ts > out.ts
	# 10 glyphs of 6 x 2 pixels, less the last blank column
	[ "$(dims out.ts)" = "20 118 3" ]
	[ "$(count_not out.ts 18 20 58 60 255 255 255)" -eq 4 ]
}

@test "daemontage leaves columns beyond the labels unlabelled" {
	mkrecord u8 a 10 20 3 > a.ts
	daemontage -g 2 -l A a.ts a.ts > out.ts
	[ "$(count_not out.ts 0 20 24 46 255 255 255)" -eq 0 ]
}

@test "daemontage reads one input from stdin with -" {
	mkrecord u8 a 4 5 3 > a.ts
	mkrecord u8 b 3 3 3 > b.ts
	daemontage a.ts b.ts > want.ts
	daemontage a.ts - < b.ts > got.ts
	cmp want.ts got.ts
}

@test "daemontage rejects inputs of different lengths, naming the row" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3; } > a.ts
	mkrecord u8 a 2 2 3 > b.ts
	run -1 --separate-stderr daemontage a.ts b.ts
	[ "$stderr" = "daemontage: row 2: b.ts has only 1 records, the other inputs have more" ]
	[ -z "$output" ]
}

@test "daemontage rejects a record that is not a 1- or 3-channel image" {
	mkrecord u8 a 2 2 2 > a.ts
	run -1 --separate-stderr daemontage a.ts
	[ "$stderr" = "daemontage: a.ts: record 1 (byte 0): not an H x W x 1 or H x W x 3 image" ]
	[ -z "$output" ]
	mkrecord u8 a 2 2 > b.ts
	run -1 daemontage b.ts
}

@test "daemontage on empty inputs is an error" {
	: > a.ts
	run -1 --separate-stderr daemontage a.ts - < /dev/null
	[ "$stderr" = "daemontage: the inputs hold no records" ]
	[ -z "$output" ]
}

@test "daemontage reports a truncated record by number and exits 1" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > a.ts
	run -1 --separate-stderr daemontage a.ts
	[ "$stderr" = "daemontage: a.ts: record 2 (byte 37): stream ends inside a record" ]
	[ -z "$output" ]
}

@test "daemontage reports a missing file and exits 1" {
	run -1 --separate-stderr daemontage nosuch.ts
	[ "$stderr" = "daemontage: nosuch.ts: No such file or directory" ]
	[ -z "$output" ]
}

@test "daemontage to /dev/full is an error" {
	mkrecord u8 a 64 64 3 > a.ts
	run -1 --separate-stderr sh -c 'daemontage a.ts > /dev/full'
	[[ "$stderr" == "daemontage: "*"No space left on device" ]]
}

@test "daemontage exits 0 quietly when the reader goes away" {
	mkrecord u8 a 300 300 3 > a.ts
	run -0 --separate-stderr bash -c 'set -o pipefail; daemontage a.ts a.ts | head -c 10 > /dev/null'
	[ -z "$stderr" ]
}
