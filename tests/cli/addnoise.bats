#!/usr/bin/env bats
# addnoise: behaviour of the command line program

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "addnoise --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr addnoise --help
	assert_output --partial "usage: addnoise"
	[ -z "$stderr" ]
}

@test "addnoise --version prints name and version" {
	run -0 addnoise --version
	assert_output --regexp '^addnoise [0-9]+\.[0-9]+$'
}

@test "addnoise rejects an unknown option with exit 2" {
	run -2 --separate-stderr addnoise -x
	[ -z "$output" ]
}

@test "addnoise rejects a negative std with exit 2 naming the option" {
	run -2 --separate-stderr addnoise -s -1
	[[ "$stderr" == *"addnoise: -s: must be in"* ]]
}

@test "addnoise rejects an operand" {
	run -2 addnoise file
}

@test "addnoise keeps shape, name and type u8" {
	mkrecord u8 dog.jpg 4 5 3 > in.ts
	addnoise -m 10 -s 50 < in.ts > out.ts
	[ "$(stat -c %s out.ts)" -eq "$(stat -c %s in.ts)" ]
	cmp -n 31 in.ts out.ts
	! cmp -s in.ts out.ts
}

@test "addnoise is deterministic for a seed and differs across seeds" {
	mkrecord u8 a 8 8 3 > in.ts
	addnoise --seed 3 < in.ts > a.ts
	addnoise --seed 3 < in.ts > b.ts
	addnoise --seed 4 < in.ts > c.ts
	cmp a.ts b.ts
	! cmp -s a.ts c.ts
}

@test "addnoise noise of a record does not depend on the records before it" {
	mkrecord u8 a 8 8 3 > a.ts
	mkrecord u8 b 6 6 3 > b.ts
	cat a.ts b.ts | addnoise > ab.noisy
	addnoise < b.ts > b.noisy
	tail -c "$(stat -c %s b.noisy)" ab.noisy > tail.noisy
	cmp b.noisy tail.noisy
}

@test "addnoise gives the same bytes for any thread count" {
	mkrecord u8 big 300 300 3 > in.ts
	addnoise -t 1 -m 10 -s 50 < in.ts > a.ts
	addnoise -t 3 -m 10 -s 50 < in.ts > b.ts
	addnoise -m 10 -s 50 < in.ts > c.ts
	cmp a.ts b.ts
	cmp a.ts c.ts
	run -2 addnoise -t 0 < in.ts
}

@test "addnoise u8 noise has the asked mean and spread" {
	mkvals u8 grey 200 200 3 100 > in.ts
	addnoise -m 10 -s 20 < in.ts | tail -c 120000 |
		od -An -v -tu1 | tr -s ' ' '\n' | grep . |
		awk '{ s += $1; q += $1 * $1; n++ } END { m = s / n; sd = sqrt(q / n - m * m);
			if (m < 109.7 || m > 110.3 || sd < 19.7 || sd > 20.3) { print m, sd; exit 1 } }'
}

@test "addnoise -s 0 -m 0 is the identity on u8" {
	mkrecord u8 a 5 7 3 > in.ts
	addnoise -s 0 -m 0 < in.ts > out.ts
	cmp in.ts out.ts
}

@test "addnoise --float writes f32 of four times the payload" {
	mkrecord u8 a 5 7 3 > in.ts
	addnoise --float -s 25 < in.ts > out.ts
	[ "$(stat -c %s out.ts)" -eq $((12 + 12 + 1 + 105 * 4)) ]
	[ "$(od -An -tu1 -j5 -N1 out.ts | tr -d ' ')" = 2 ]
}

@test "addnoise --float keeps values outside 0..255" {
	mkrecord u8 a 16 16 3 > in.ts
	addnoise --float -s 100 < in.ts | od -An -f -j25 -w4 -v > vals
	awk '$1 < 0 || $1 > 255 { n++ } END { exit n > 0 ? 0 : 1 }' vals
}

@test "addnoise -S 1 makes every element 0 or 255" {
	mkrecord u8 a 4 4 3 > in.ts
	addnoise -S 1 < in.ts | od -An -tu1 -j25 -v -w1 | sort -u | tr -d ' ' > vals
	[ "$(cat vals | tr '\n' ' ')" = "0 255 " ]
}

@test "addnoise -P adds Poisson noise only" {
	mkrecord u8 a 8 8 3 > in.ts
	addnoise -P 10 < in.ts > out.ts
	! cmp -s in.ts out.ts
}

@test "addnoise on an empty stream writes nothing and exits 0" {
	run -0 --separate-stderr addnoise < /dev/null
	[ -z "$output" ]
}

@test "addnoise reports a truncated record by number and exits 1" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > in.ts
	run -1 --separate-stderr addnoise < in.ts
	[[ "$stderr" == "addnoise: <stdin>: record 2 (byte 37): stream ends inside a record" ]]
}

@test "addnoise reports bad magic and exits 1" {
	run -1 --separate-stderr addnoise <<< "P6 not a stream"
	[[ "$stderr" == *"record 1 (byte 0): not a tensor stream (bad magic)"* ]]
}

@test "addnoise to /dev/full is an error" {
	mkrecord u8 a 64 64 3 > in.ts
	run -1 --separate-stderr sh -c 'addnoise < in.ts > /dev/full'
	[[ "$stderr" == "addnoise: "*"No space left on device"* ]]
}

@test "addnoise exits 0 quietly when the reader goes away" {
	for i in 1 2 3 4 5 6 7 8; do mkrecord u8 a 100 100 3; done > in.ts
	run -0 --separate-stderr bash -c 'set -o pipefail; addnoise < in.ts | head -c 10 > /dev/null'
	[ -z "$stderr" ]
}

@test "addnoise streams: the first record comes out before the input ends" {
	mkrecord u8 a 4 4 3 > a.ts
	# the input stays open until record 1 has come out: a filter that waited
	# for the end of its input would deadlock here, and timeout says so
	run -0 timeout 30 bash -c '{ cat a.ts; while [ ! -s out.ts ]; do sleep 0.1; done; } | addnoise > out.ts'
	[ "$(stat -c %s out.ts)" -eq 73 ]
}
