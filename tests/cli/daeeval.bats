#!/usr/bin/env bats
# daeeval: behaviour of the command line program

load common

GOLDEN=$ROOT/tests/golden

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# mkmany N H W C : N u8 records named rN, element i of each being i % 251
mkmany() {
	perl -e '
		my ($n, $h, $w, $c) = @ARGV;
		my $p = pack("C*", map { $_ % 251 } 0..$h*$w*$c-1);
		for my $i (1..$n) {
			my $name = "r$i";
			print "TNSR", pack("CCCCvv", 1, 1, 3, 0, length $name, 0),
			      pack("V*", $h, $w, $c), $name, $p;
		}
	' "$@"
}

@test "daeeval --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr daeeval --help
	assert_line --index 0 "usage: daeeval [-v] [-c] [-q] reference test"
	[ -z "$stderr" ]
}

@test "daeeval --version prints name and version" {
	run -0 daeeval --version
	assert_output --regexp '^daeeval [0-9]+\.[0-9]+$'
}

@test "daeeval usage and man page SYNOPSIS list the same options" {
	run -0 daeeval --help
	man=$(mandoc -T ascii "$ROOT/man/man1/daeeval.1" | perl -pe 's/.\x08//g' | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')
	[ "usage: $man" = "${lines[0]}" ]
}

@test "daeeval rejects an unknown option with exit 2" {
	run -2 --separate-stderr daeeval -x a b
	[ -z "$output" ]
	[[ "$stderr" == *"usage: daeeval"* ]]
}

@test "daeeval rejects a missing operand with exit 2" {
	run -2 --separate-stderr daeeval a.ts
	[ -z "$output" ]
	[[ "$stderr" == "daeeval: missing operand"* ]]
}

@test "daeeval rejects a third operand with exit 2" {
	run -2 --separate-stderr daeeval a b c
	[[ "$stderr" == "daeeval: unexpected operand 'c'"* ]]
}

@test "daeeval rejects stdin for both operands with exit 2" {
	run -2 --separate-stderr daeeval - -
	[[ "$stderr" == "daeeval: only one of reference and test can be '-'"* ]]
}

@test "daeeval matches the golden PSNR and SSIM of every case" {
	run -0 --separate-stderr daeeval --csv "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts"
	printf '%s\n' "$output" > got.csv
	# printed to 4 and 6 decimals: agree within half a unit of the last one
	grep -v '^#' "$GOLDEN/metrics_expected.txt" | awk -F'[ ,]' '
		NR == FNR { p[NR] = $6; s[NR] = $7; name[NR] = $1; n = NR; next }
		FNR == 1 { if ($0 != "index,name,psnr_db,ssim") bad = 1; next }
		$1 == "mean" { next }
		{
			i = $1
			if ($2 != name[i]) bad = 1
			if (p[i] == "inf") { if ($3 != "inf") bad = 1 }
			else if ((($3 - p[i]) ^ 2) ^ 0.5 > 0.0000501) bad = 1
			if ((($4 - s[i]) ^ 2) ^ 0.5 > 0.000000501) bad = 1
			seen++
		}
		END { exit bad || seen != n }' - got.csv
}

@test "daeeval prints an aligned table: header, one row per pair, mean" {
	run -0 --separate-stderr daeeval "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts"
	[ "${lines[0]}" = "index    PSNR_dB      SSIM  name" ]
	[ "${lines[1]}" = "1        20.2635  0.513579  noisy_u8" ]
	[ "${lines[4]}" = "4            inf  1.000000  identical" ]
	[ "${lines[15]}" = "15        5.5777 -0.040717  both_f32_out_of_range" ]
	[ "${lines[16]}" = "mean         inf  0.635871  15 images" ]
	[ "${#lines[@]}" -eq 17 ]
}

@test "daeeval --csv prints CSV rows and a mean row" {
	run -0 --separate-stderr daeeval --csv "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts"
	[ "${lines[0]}" = "index,name,psnr_db,ssim" ]
	[ "${lines[1]}" = "1,noisy_u8,20.2635,0.513579" ]
	[ "${lines[16]}" = "mean,,inf,0.635871" ]
}

@test "daeeval -c is --csv" {
	daeeval -c "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts" > a
	daeeval --csv "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts" > b
	cmp a b
}

@test "daeeval --quiet prints only the mean line" {
	run -0 --separate-stderr daeeval --quiet "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts"
	assert_output "mean         inf  0.635871  15 images"
	run -0 --separate-stderr daeeval -q -c "$GOLDEN/metrics_ref.ts" "$GOLDEN/metrics_test.ts"
	assert_output "mean,,inf,0.635871"
}

@test "daeeval averages per-image PSNR, not the PSNR of the mean MSE" {
	# MSE 1 (48.1308 dB) and MSE 100 (28.1308 dB): mean 38.1308, not 31.1411
	{ mkvals u8 a 2 2 3 10; mkvals u8 b 2 2 3 10; } > ref.ts
	{ mkvals u8 a 2 2 3 11; mkvals u8 b 2 2 3 20; } > test.ts
	run -0 --separate-stderr daeeval -q ref.ts test.ts
	[[ "$output" == "mean     38.1308 "* ]]
}

@test "daeeval scores f32 as given, unrounded" {
	mkvals u8 a 3 4 3 100 > ref.ts
	mkvals f32 a 3 4 3 100.25 > test.ts
	run -0 --separate-stderr daeeval -c -q ref.ts test.ts
	# 10 log10(255^2 / 0.0625) = 60.1720
	assert_output "mean,,60.1720,0.999997"
}

@test "daeeval scores f32 outside 0..255 unclipped" {
	mkvals u8 a 3 4 3 255 > ref.ts
	mkvals f32 a 3 4 3 300 > test.ts
	run -0 --separate-stderr daeeval -c -q ref.ts test.ts
	# MSE 45^2: 10 log10(255^2 / 2025) = 15.0666
	[[ "$output" == "mean,,15.0666,"* ]]
}

@test "daeeval compares u8 with the same values in f32 as identical" {
	mkrecord u8 a 5 6 3 > ref.ts
	mkrecord f32 a 5 6 3 > test.ts
	run -0 --separate-stderr daeeval -c ref.ts test.ts
	[ "${lines[1]}" = "1,a,inf,1.000000" ]
}

@test "daeeval reads the reference from stdin with -" {
	run -0 --separate-stderr bash -c "daeeval -q - '$GOLDEN/metrics_test.ts' < '$GOLDEN/metrics_ref.ts'"
	assert_output "mean         inf  0.635871  15 images"
}

@test "daeeval reads the test stream from stdin with -" {
	run -0 --separate-stderr bash -c "daeeval -q '$GOLDEN/metrics_ref.ts' - < '$GOLDEN/metrics_test.ts'"
	assert_output "mean         inf  0.635871  15 images"
}

@test "daeeval names a row by the reference, else the test record" {
	{ mkvals u8 dog.1 2 2 1 5; mkvals u8 "" 2 2 1 5; mkvals u8 "" 2 2 1 5; } > ref.ts
	{ mkvals u8 out.1 2 2 1 5; mkvals u8 out.2 2 2 1 5; mkvals u8 "" 2 2 1 5; } > test.ts
	run -0 --separate-stderr daeeval ref.ts test.ts
	[[ "${lines[1]}" == *"  dog.1" ]]
	[[ "${lines[2]}" == *"  out.2" ]]
	[[ "${lines[3]}" == *"  -" ]]
}

@test "daeeval quotes a name holding a comma in CSV" {
	mkvals u8 'a,"b"' 2 2 1 5 > ref.ts
	run -0 --separate-stderr daeeval -c ref.ts ref.ts
	[ "${lines[1]}" = '1,"a,""b""",inf,1.000000' ]
}

@test "daeeval rejects different record counts, naming the record" {
	{ mkrecord u8 a 4 4 3; mkrecord u8 b 4 4 3; } > ref.ts
	mkrecord u8 a 4 4 3 > test.ts
	run -1 --separate-stderr daeeval ref.ts test.ts
	[ "$stderr" = "daeeval: record 2: test.ts has only 1 records, ref.ts has more" ]
	[[ "$output" != *mean* ]]
}

@test "daeeval rejects a test stream longer than the reference" {
	mkrecord u8 a 4 4 3 > ref.ts
	{ mkrecord u8 a 4 4 3; mkrecord u8 b 4 4 3; } > test.ts
	run -1 --separate-stderr daeeval -q ref.ts test.ts
	[ "$stderr" = "daeeval: record 2: ref.ts has only 1 records, test.ts has more" ]
	[ -z "$output" ]
}

@test "daeeval rejects different dimensions, naming the record" {
	mkrecord u8 dog 4 5 3 > ref.ts
	mkrecord u8 dog 4 6 3 > test.ts
	run -1 --separate-stderr daeeval ref.ts test.ts
	[ "$stderr" = "daeeval: record 1 (dog): dims differ: 4x5x3 in ref.ts, 4x6x3 in test.ts" ]
	[ -z "$output" ]
}

@test "daeeval rejects a record that is not an image" {
	mkrecord u8 a 4 5 > ref.ts
	run -1 --separate-stderr daeeval ref.ts ref.ts
	[ "$stderr" = "daeeval: ref.ts: record 1 (byte 0): not an H x W x C image (rank 2)" ]
	[ -z "$output" ]
}

@test "daeeval on two empty streams is an error" {
	: > a.ts
	run -1 --separate-stderr daeeval a.ts - < /dev/null
	[ "$stderr" = "daeeval: a.ts and <stdin> hold no records" ]
	[ -z "$output" ]
}

@test "daeeval with one empty stream is a count mismatch" {
	: > a.ts
	mkrecord u8 a 4 4 3 > b.ts
	run -1 --separate-stderr daeeval a.ts b.ts
	[ "$stderr" = "daeeval: record 1: a.ts has only 0 records, b.ts has more" ]
	[ -z "$output" ]
}

@test "daeeval reports a truncated record by number and exits 1" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > test.ts
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3; } > ref.ts
	run -1 --separate-stderr daeeval -q ref.ts test.ts
	[ "$stderr" = "daeeval: test.ts: record 2 (byte 37): stream ends inside a record" ]
	[ -z "$output" ]
}

@test "daeeval reports bad magic and exits 1" {
	echo "P6 not a stream" > bad.ts
	run -1 --separate-stderr daeeval bad.ts bad.ts
	[[ "$stderr" == "daeeval: bad.ts: record 1 (byte 0): not a tensor stream (bad magic)" ]]
	[ -z "$output" ]
}

@test "daeeval reports a missing file and exits 1" {
	run -1 --separate-stderr daeeval nosuch.ts nosuch.ts
	[ "$stderr" = "daeeval: nosuch.ts: No such file or directory" ]
	[ -z "$output" ]
}

@test "daeeval to /dev/full is an error" {
	mkrecord u8 a 4 4 3 > a.ts
	run -1 --separate-stderr sh -c 'daeeval a.ts a.ts > /dev/full'
	[[ "$stderr" == "daeeval: "*"No space left on device" ]]
	run -1 --separate-stderr sh -c 'daeeval -q a.ts a.ts > /dev/full'
	[[ "$stderr" == "daeeval: "*"No space left on device" ]]
}

@test "daeeval exits 0 quietly when the reader goes away" {
	mkmany 4000 1 1 3 > a.ts
	run -0 --separate-stderr bash -c 'set -o pipefail; daeeval a.ts a.ts | head -c 10 > /dev/null'
	[ -z "$stderr" ]
}

@test "daeeval -v reports progress on stderr" {
	mkmany 3 4 4 3 > a.ts
	run -0 --separate-stderr daeeval -v -q a.ts a.ts
	[[ "$stderr" == *"daeeval: 3 records" ]]
	assert_output "mean         inf  1.000000  3 images"
}

@test "daeeval prints a row before the test stream ends" {
	mkrecord u8 a 4 4 3 > ref.ts
	# the test stream stays open until row 1 has come out: a program that
	# waited for the end of its input would deadlock here, and timeout says so
	run -0 timeout 30 bash -c '{ cat ref.ts; while [ ! -s out.txt ]; do sleep 0.1; done; } | daeeval ref.ts - > out.txt'
	[ "$(wc -l < out.txt)" -eq 3 ]
}

@test "daeeval - with standard input closed is a read error, not another file read twice" {
	run -1 --separate-stderr sh -c 'daeeval - "$1" <&-' sh "$DATA/expected.ts"
	[ "$stderr" = "daeeval: <stdin>: record 1 (byte 0): read: Bad file descriptor" ]
	run -1 --separate-stderr sh -c 'daeeval "$1" - <&-' sh "$DATA/expected.ts"
	[ "$stderr" = "daeeval: <stdin>: record 1 (byte 0): read: Bad file descriptor" ]
}

@test "daeeval with standard output closed is a write error" {
	run -1 --separate-stderr sh -c 'daeeval "$1" "$1" >&-' sh "$DATA/expected.ts"
	[ "$stderr" = "daeeval: <stdout>: write: Bad file descriptor" ]
}
