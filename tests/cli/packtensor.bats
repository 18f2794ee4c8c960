#!/usr/bin/env bats
# packtensor: behaviour of the command line program

load common

# a directory of its own: bats keeps files of its own in BATS_TEST_TMPDIR,
# and the tests check that packtensor leaves nothing behind
setup() {
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
}

# three u8 records of one shape, with names, as a stream
mkset() {
	mkrecord u8 dog.1.jpg 6 5 3
	mkrecord u8 dog.2.jpg 6 5 3
	mkrecord u8 "" 6 5 3
}

# flip FILE OFFSET: xor one byte with 0x40, in place
flip() {
	perl -e 'open my $f, "+<:raw", $ARGV[0] or die; seek $f, $ARGV[1], 0;
		read $f, my $b, 1; seek $f, $ARGV[1], 0; print $f chr(ord($b) ^ 0x40)' "$1" "$2"
}

# no file or temp file is left in the current directory but these
only_files() {
	[ "$(ls -A | sort | tr '\n' ' ')" = "${*:+$* }" ]
}

@test "packtensor --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr packtensor --help
	assert_output --partial "usage: packtensor"
	[ -z "$stderr" ]
}

@test "packtensor --version prints name and version" {
	run -0 packtensor --version
	assert_output --regexp '^packtensor [0-9]+\.[0-9]+$'
}

@test "packtensor rejects an unknown option with exit 2" {
	run -2 --separate-stderr packtensor -q
	[ -z "$output" ]
}

@test "packtensor without -o, -t or -x is a usage error naming -o" {
	run -2 --separate-stderr packtensor
	[[ "$stderr" == "packtensor: -o: a pack file is required"* ]]
}

@test "packtensor -t and -x together are a usage error" {
	run -2 packtensor -t -x
}

@test "packtensor -o with -t or -x is a usage error" {
	run -2 packtensor -t -o a.pack
	run -2 packtensor -x -o a.pack
}

@test "packtensor -c and -l only go with -o" {
	run -2 --separate-stderr packtensor -x -c 2
	[[ "$stderr" == "packtensor: -c: only when packing (-o)"* ]]
	run -2 packtensor -t -l 1
}

@test "packtensor rejects out-of-range -c and -l" {
	run -2 --separate-stderr packtensor -c 0 -o a.pack
	[[ "$stderr" == "packtensor: -c: must be in"* ]]
	run -2 packtensor -c 4294967296 -o a.pack
	run -2 --separate-stderr packtensor -l 10 -o a.pack
	[[ "$stderr" == "packtensor: -l: must be in 0..9"* ]]
	only_files
}

@test "packtensor rejects malformed -n" {
	for n in 5 :3 0:1 1:0 a:b 1:x -1:2; do
		run -2 packtensor -x -n "$n" /dev/null
	done
}

@test "packtensor rejects a second operand" {
	run -2 packtensor -t a b
}

@test "packtensor usage, SYNOPSIS and OPTIONS name the same options" {
	page=$ROOT/man/man1/packtensor.1
	usage=$(packtensor --help | head -3 | grep -o -- '-[a-z]' | sort -u | tr -d '\n')
	synopsis=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "$page" | grep -o '^\.Op Fl [a-z]\|^\.Fl [a-z]' |
		sed 's/.* //' | sort -u | tr -d '\n')
	options=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh/p' "$page" | grep -o '^\.It Fl [a-z]' |
		sed 's/.* //' | sort -u | tr -d '\n')
	[ "$usage" = "-c-l-n-o-t-v-x" ]
	[ "$synopsis" = "clnotvx" ]
	[ "$options" = "chlnotvx" ]
}

@test "packtensor stream to pack to stream is byte for byte" {
	mkset > in.ts
	packtensor -o a.pack < in.ts
	packtensor -x a.pack > out.ts
	cmp in.ts out.ts
}

@test "packtensor round trip keeps f32 bytes exactly" {
	{ mkrecord f32 x 4 4 3; mkrecord f32 y 4 4 3; } > in.ts
	packtensor -o a.pack < in.ts
	packtensor -x a.pack | cmp - in.ts
}

@test "packtensor reads a pack from redirected stdin and a file operand" {
	mkset > in.ts
	packtensor -o a.pack in.ts
	packtensor -x < a.pack | cmp - in.ts
	packtensor -x - < a.pack | cmp - in.ts
}

@test "packtensor -c stores several samples per chunk" {
	{ mkset; mkset; } > in.ts
	packtensor -c 4 -o a.pack < in.ts
	packtensor -x a.pack | cmp - in.ts
	run -0 packtensor -t a.pack
	assert_line --regexp $'^pack\t4 per chunk\t2 chunks\t'
}

@test "packtensor -l 0 stores and -l 9 compresses, both round trip" {
	for i in 1 2 3 4; do mkrecord u8 "r$i" 40 40 3; done > in.ts
	packtensor -l 0 -o a0.pack < in.ts
	packtensor -l 9 -o a9.pack < in.ts
	packtensor -x a0.pack | cmp - in.ts
	packtensor -x a9.pack | cmp - in.ts
	[ "$(stat -c %s a9.pack)" -lt "$(stat -c %s a0.pack)" ]
	[ "$(stat -c %s a0.pack)" -gt "$(stat -c %s in.ts)" ]
}

@test "packtensor compresses smooth u8 images well" {
	perl -e 'print "TNSR", pack("CCCCvv", 1, 1, 3, 0, 1, 0), pack("V3", 64, 64, 3), "s";
		for $y (0..63) { for $x (0..63) { print pack("C3", $x * 4, $y * 4, ($x + $y) * 2) } }' > in.ts
	packtensor -o a.pack < in.ts
	[ "$(stat -c %s a.pack)" -lt $(( $(stat -c %s in.ts) / 10 )) ]
	packtensor -x a.pack | cmp - in.ts
}

@test "packtensor -x -n first:count extracts a slice" {
	for i in 1 2 3 4 5; do mkrecord u8 "r$i" 2 2 3 > "r$i.ts"; done
	cat r1.ts r2.ts r3.ts r4.ts r5.ts | packtensor -o a.pack
	packtensor -x -n 2:2 a.pack > out.ts
	cat r2.ts r3.ts | cmp - out.ts
	packtensor -x -n 4: a.pack > out.ts
	cat r4.ts r5.ts | cmp - out.ts
	packtensor -x -n 5:100 a.pack | cmp - r5.ts
}

@test "packtensor -n on a stream input skips and stops" {
	for i in 1 2 3 4 5; do mkrecord u8 "r$i" 2 2 3 > "r$i.ts"; done
	cat r1.ts r2.ts r3.ts r4.ts r5.ts | packtensor -x -n 3:1 > out.ts
	cmp r3.ts out.ts
}

@test "packtensor -n past the end gives no records" {
	mkset | packtensor -o a.pack
	run -0 --separate-stderr packtensor -x -n 4: a.pack
	[ -z "$output" ]
	run -1 --separate-stderr packtensor -n 4: -o b.pack a.pack
	[ "$stderr" = "packtensor: a.pack: no records" ]
}

@test "packtensor -n with -o packs a slice, and -t lists a slice" {
	mkset > in.ts
	packtensor -n 2:2 -o a.pack < in.ts
	packtensor -x -n 2:2 < in.ts > want.ts
	packtensor -x a.pack | cmp - want.ts
	run -0 packtensor -t -n 2:1 in.ts
	assert_line --index 0 --regexp $'^2\tdog.2.jpg\t'
	assert_line --index 1 --regexp $'^total\t1 records\t'
}

@test "packtensor repacks a pack with another chunking" {
	{ mkset; mkset; mkset; } > in.ts
	packtensor -o a.pack < in.ts
	packtensor -c 3 -o b.pack a.pack
	packtensor -x b.pack | cmp - in.ts
}

@test "packtensor -v reports the pack on stderr and writes nothing on stdout" {
	mkset > in.ts
	run -0 --separate-stderr packtensor -v -o a.pack < in.ts
	[ -z "$output" ]
	[[ "$stderr" == *"packtensor: a.pack: 3 samples 6x5x3 u8, 3 chunks, 270 bytes in "* ]]
}

@test "packtensor -v reports progress when extracting" {
	mkset | packtensor -o a.pack
	run -0 --separate-stderr packtensor -v -x a.pack
	[[ "$stderr" == *"packtensor: 3 records"* ]]
}

@test "packtensor replaces an existing pack" {
	mkrecord u8 a 2 2 3 | packtensor -o a.pack
	mkset | packtensor -o a.pack
	[ "$(packtensor -t a.pack | grep -c '^[0-9]')" -eq 3 ]
	only_files a.pack
}

@test "packtensor refuses a record of another shape, naming it, and leaves no file" {
	{ mkrecord u8 a 4 4 3; mkrecord u8 b 4 4 3; mkrecord u8 c 5 4 3; } > in.ts
	run -1 --separate-stderr packtensor -o a.pack < in.ts
	[ "$stderr" = "packtensor: <stdin>: record 3 (byte 146): shape 5x4x3 u8 differs from the first record's 4x4x3 u8" ]
	only_files in.ts
}

@test "packtensor refuses a record of another type" {
	{ mkrecord u8 a 4 4 3; mkrecord f32 b 4 4 3; } > in.ts
	run -1 --separate-stderr packtensor -o a.pack < in.ts
	[[ "$stderr" == *"record 2 (byte 73): shape 4x4x3 f32 differs from the first record's 4x4x3 u8" ]]
	only_files in.ts
}

@test "packtensor leaves an existing pack untouched when packing fails" {
	mkset | packtensor -o a.pack
	cp a.pack before.pack
	{ mkrecord u8 a 4 4 3; mkrecord u8 b 3 3 3; } > bad.ts
	run -1 packtensor -o a.pack < bad.ts
	cmp a.pack before.pack
	only_files a.pack bad.ts before.pack
}

@test "packtensor on empty input is an error and leaves no file" {
	run -1 --separate-stderr packtensor -o a.pack < /dev/null
	[ "$stderr" = "packtensor: <stdin>: no records" ]
	only_files
}

@test "packtensor on a truncated stream names the record and leaves no file" {
	{ mkrecord u8 a 2 2 3; mkrecord u8 b 2 2 3 | head -c 30; } > in.ts
	run -1 --separate-stderr packtensor -o a.pack < in.ts
	[ "$stderr" = "packtensor: <stdin>: record 2 (byte 37): stream ends inside a record" ]
	only_files in.ts
}

@test "packtensor on a stream with a flipped magic byte names the record" {
	mkset > in.ts
	flip in.ts 123
	run -1 --separate-stderr packtensor -o a.pack < in.ts
	[ "$stderr" = "packtensor: <stdin>: record 2 (byte 123): not a tensor stream (bad magic)" ]
	only_files in.ts
}

@test "packtensor refuses input that is neither a stream nor a pack" {
	run -1 --separate-stderr packtensor -t <<< "P6 not a stream"
	[ "$stderr" = "packtensor: <stdin>: record 1 (byte 0): not a tensor stream or pack (bad magic)" ]
}

@test "packtensor refuses a pack on a pipe" {
	mkset | packtensor -o a.pack
	run -1 --separate-stderr bash -c 'cat a.pack | packtensor -x'
	[ "$stderr" = "packtensor: <stdin>: a pack needs a seekable file" ]
	[ -z "$output" ]
}

@test "packtensor reports a missing input file" {
	run -1 --separate-stderr packtensor -t nope.pack
	[ "$stderr" = "packtensor: nope.pack: No such file or directory" ]
}

@test "packtensor into a directory that does not exist or is not writable fails cleanly" {
	mkset > in.ts
	run -1 --separate-stderr packtensor -o nodir/a.pack < in.ts
	[ "$stderr" = "packtensor: nodir/a.pack: No such file or directory" ]
	if [ "$(id -u)" -eq 0 ]; then
		out=/proc/1/a.pack     # root writes anywhere but here
	else
		mkdir ro
		chmod 555 ro
		out=ro/a.pack
	fi
	run -1 --separate-stderr packtensor -o "$out" < in.ts
	[[ "$stderr" == "packtensor: $out: "* ]]
	[ ! -e "$out" ]
}

@test "packtensor refuses to replace what is not a regular file" {
	mkset > in.ts
	mkfifo fifo
	mkdir dir
	run -1 --separate-stderr packtensor -o fifo < in.ts
	[ "$stderr" = "packtensor: fifo: not a regular file" ]
	run -1 --separate-stderr packtensor -o dir < in.ts
	[ "$stderr" = "packtensor: dir: not a regular file" ]
	[ -p fifo ] && [ -d dir ]
}

@test "packtensor interrupted by SIGINT leaves no file" {
	mkrecord u8 a 4 4 3 > a.ts
	mkfifo in.fifo
	# the writer end stays open after record 1, so packtensor waits for
	# more with its temp file made; the loops are bounded, not timed
	run -0 timeout 60 bash -c '
		packtensor -o out.pack < in.fifo & pid=$!
		exec 3> in.fifo
		cat a.ts >&3
		for i in $(seq 600); do
			ls -A | grep -q "^\.out\.pack\." && break
			sleep 0.1
		done
		ls -A | grep -q "^\.out\.pack\." || exit 3
		kill -INT $pid
		wait $pid
		[ $? -eq 130 ] || exit 4
		exec 3>&-'
	only_files a.ts in.fifo
}

@test "packtensor -t lists each record and a total" {
	mkset > in.ts
	run -0 --separate-stderr packtensor -t in.ts
	assert_line --index 0 $'1\tdog.1.jpg\t6x5x3\tu8\t0\t89\t44.500'
	assert_line --index 2 $'3\t\t6x5x3\tu8\t0\t89\t44.500'
	assert_line --index 3 --regexp $'^total\t3 records\t270 bytes\tu8\t0\t89\t'
	[ "${#lines[@]}" -eq 4 ]
}

@test "packtensor --list of a pack adds chunking and compression" {
	mkset | packtensor -o a.pack
	run -0 packtensor --list a.pack
	assert_line --index 0 $'1\tdog.1.jpg\t6x5x3\tu8\t0\t89\t44.500'
	assert_line --index 4 --regexp $'^pack\t1 per chunk\t3 chunks\tgradient filter\t270 bytes in [0-9]+\t[0-9.]+:1$'
}

@test "packtensor -t of f32 values and of mixed types" {
	{ mkrecord f32 f 2 3 1; mkrecord u8 u 2 3 1; } > in.ts
	run -0 packtensor -t in.ts
	assert_line --index 0 $'1\tf\t2x3x1\tf32\t0\t5\t2.500'
	assert_line --index 2 --regexp $'^total\t2 records\t30 bytes\tmixed\t0\t5\t2.500$'
}

@test "packtensor -t of an empty stream prints an empty total" {
	run -0 packtensor -t < /dev/null
	assert_output $'total\t0 records\t0 bytes\t-\t-\t-\t-'
}

@test "packtensor --cat is -x" {
	mkset > in.ts
	packtensor -o a.pack < in.ts
	packtensor --cat a.pack | cmp - in.ts
}

@test "packtensor -x streams: the first record comes out before the input ends" {
	mkrecord u8 a 4 4 3 > a.ts
	run -0 timeout 30 bash -c '{ cat a.ts; while [ ! -s out.ts ]; do sleep 0.1; done; } | packtensor -x > out.ts'
	cmp a.ts out.ts
}

@test "packtensor -x to /dev/full is an error" {
	for i in 1 2 3; do mkrecord u8 a 64 64 3; done | packtensor -o a.pack
	run -1 --separate-stderr sh -c 'packtensor -x a.pack > /dev/full'
	[ "$stderr" = "packtensor: <stdout>: write: No space left on device" ]
}

@test "packtensor -t to /dev/full is an error" {
	mkset | packtensor -o a.pack
	run -1 --separate-stderr sh -c 'packtensor -t a.pack > /dev/full'
	[[ "$stderr" == "packtensor: "*"No space left on device" ]]
}

@test "packtensor -x exits 0 quietly when the reader goes away" {
	for i in 1 2 3 4 5 6 7 8; do mkrecord u8 "r$i" 100 100 3; done | packtensor -o a.pack
	run -0 --separate-stderr bash -c 'set -o pipefail; packtensor -x a.pack | head -c 10 > /dev/null'
	[ -z "$stderr" ]
}

@test "packtensor -x of a pack with a flipped data byte names the sample" {
	mkset | packtensor -o a.pack
	flip a.pack 12
	run -1 --separate-stderr packtensor -x a.pack
	[ "$stderr" = "packtensor: a.pack: sample 1 (dog.1.jpg): sample data checksum mismatch" ]
	[ -z "$output" ]
}

@test "packtensor -x of a truncated pack is an error" {
	mkset | packtensor -o a.pack
	head -c -10 a.pack > t.pack
	run -1 --separate-stderr packtensor -x t.pack
	[ "$stderr" = "packtensor: t.pack: no pack trailer: truncated or unfinished" ]
	[ -z "$output" ]
}

@test "packtensor reads a pack from the independent writer in tests/bad/mkpacks.pl" {
	perl -e 'for $i (0..2) { print "TNSR", pack("CCCCvv", 1, 1, 3, 0, 1, 0), pack("V3", 2, 2, 3),
		("a".."c")[$i], pack("C*", map { ($_ * 20 + $i * 7) % 256 } 0..11) }' > want.ts
	packtensor -x "$DATA/pack_ok_stored.pack" | cmp - want.ts
}

@test "packtensor names the sample of a bad chunk in tests/bad" {
	run -1 --separate-stderr packtensor -x "$BAD/pack_bad_crc.pack"
	[ "$stderr" = "packtensor: $BAD/pack_bad_crc.pack: sample 2 (b): sample data checksum mismatch" ]
	run -1 --separate-stderr packtensor -x "$BAD/pack_bad_inflate.pack"
	[ "$stderr" = "packtensor: $BAD/pack_bad_inflate.pack: sample 2 (b): corrupt compressed sample data" ]
}

@test "packtensor refuses hostile indexes in tests/bad without allocating them" {
	for f in pack_huge_count pack_huge_index pack_chunk_beyond_file pack_zero_chunk_samples; do
		run -1 --separate-stderr packtensor -t "$BAD/$f.pack"
		[ "$stderr" = "packtensor: $BAD/$f.pack: pack index field out of range" ]
	done
}

@test "packtensor gives exit 1 and one line on stderr for every bad pack" {
	for f in "$BAD"/pack_*.pack; do
		for mode in -t -x; do
			run -1 --separate-stderr packtensor $mode "$f"
			[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$f $mode: $stderr"; false; }
			[[ "$stderr" == "packtensor: $f: "* ]]
		done
	done
}

@test "the packs in tests/bad and tests/data are what mkpacks.pl writes" {
	mkdir gen
	perl "$BAD/mkpacks.pl" gen
	for f in gen/*; do
		name=${f#gen/}
		if [ -e "$BAD/$name" ]; then cmp "$f" "$BAD/$name"; else cmp "$f" "$DATA/$name"; fi
	done
	[ "$(ls gen | wc -l)" -eq "$(ls "$BAD"/pack_*.pack "$DATA"/pack_*.pack | wc -l)" ]
}
