#!/usr/bin/env bats
# daeinfer: behaviour of the command line program

load common

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	for i in 1 2 3 4 5 6 7 8; do mkrecord u8 "img$i" 8 8 3; done > clean.ts
	daetrain -q -t 1 -c "$DATA/tiny.cfg" -o tiny.bin -e 1 -b 4 -s 25 clean.ts
	daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o tinymap.bin -e 2 -b 4 --sigma 0:55 clean.ts
	# a smooth picture, where all a patch's detail beyond its content is noise
	perl -e 'print "P6\n96 64\n255\n"; for $y (0..63) { for $x (0..95) {
		print pack("C3", 128 + 60 * sin($x / 9), 128 + 60 * cos($y / 7),
		           128 + 40 * sin(($x + $y) / 11)) } }' > smooth.ppm
	# the seed network with its initial weights: enough to test shapes and tiling
	daetrain -q -t 1 -c "$ROOT/models/seed.cfg" -o seed.bin -e 1 -b 2 -s 25 \
		<(for i in 1 2; do mkrecord u8 "s$i" 12 12 3; done)
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	M=$BATS_FILE_TMPDIR/tiny.bin
	SEED=$BATS_FILE_TMPDIR/seed.bin
	MAP=$BATS_FILE_TMPDIR/tinymap.bin
}

@test "daeinfer --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr daeinfer --help
	assert_output --partial "usage: daeinfer"
}

@test "daeinfer --version prints name and version" {
	run -0 daeinfer --version
	assert_output --regexp '^daeinfer [0-9]+\.[0-9]+$'
}

@test "daeinfer synopsis in usage matches the man page" {
	usage_matches_man daeinfer
}

@test "daeinfer --help lists every option of the man page" {
	run -0 daeinfer --help
	for o in $(sed -n 's/^\.It Fl \([a-z-]*\).*/\1/p' "$ROOT/man/man1/daeinfer.1"); do
		[[ "$output" == *" -$o"[\ ,]* ]] || { echo "missing -$o"; false; }
	done
}

@test "daeinfer -w NAME finds NAME.bin in DAE_MODEL_PATH, in order" {
	mkdir -p a b
	cp "$M" b/mine.bin
	cp "$SEED" a/mine
	{ mkrecord u8 x 8 8 3; } > in.ts
	daeinfer -w "$M" < in.ts > want.ts
	DAE_MODEL_PATH=$PWD/none:$PWD/b daeinfer -w mine < in.ts > got.ts
	cmp want.ts got.ts
	# NAME itself before NAME.bin, and the first folder first
	daeinfer -w "$SEED" < in.ts > want2.ts
	DAE_MODEL_PATH=$PWD/a:$PWD/b daeinfer -w mine < in.ts > got2.ts
	cmp want2.ts got2.ts
}

@test "daeinfer -w NAME finds a model in the user's data folder" {
	mkdir -p xdg/dae/models home/.local/share/dae/models
	cp "$M" xdg/dae/models/mine.bin
	cp "$M" home/.local/share/dae/models/other.bin
	mkrecord u8 x 8 8 3 > in.ts
	daeinfer -w "$M" < in.ts > want.ts
	XDG_DATA_HOME=$PWD/xdg HOME=$PWD/home daeinfer -w mine < in.ts > got.ts
	cmp want.ts got.ts
	env -u XDG_DATA_HOME HOME=$PWD/home daeinfer -w other < in.ts > got.ts
	cmp want.ts got.ts
}

@test "daeinfer: a file in the working folder wins over a name" {
	mkdir -p b
	cp "$SEED" b/mine.bin
	cp "$M" mine.bin
	mkrecord u8 x 8 8 3 > in.ts
	daeinfer -w "$M" < in.ts > want.ts
	DAE_MODEL_PATH=$PWD/b daeinfer -w mine.bin < in.ts > got.ts
	cmp want.ts got.ts
}

@test "daeinfer -w: a model found nowhere names the folders searched" {
	run -1 --separate-stderr env DAE_MODEL_PATH=/nonexistent XDG_DATA_HOME=/nowhere \
		daeinfer -w nosuchmodel < /dev/null
	[[ "$stderr" == "daeinfer: nosuchmodel: no such model file, nor a model of that name in /nonexistent:/nowhere/dae/models:"* ]]
	[ -z "$output" ]
}

@test "daeinfer without -w uses the denoise-color model" {
	mkdir -p d
	cp "$SEED" d/denoise-color.bin
	mkrecord u8 x 8 8 3 > in.ts
	daeinfer -w "$SEED" < in.ts > want.ts
	DAE_MODEL_PATH=$PWD/d daeinfer < in.ts > got.ts
	cmp want.ts got.ts
}

@test "daeinfer rejects bad option values with exit 2" {
	run -2 daeinfer -w "$M" -t 0
	run -2 daeinfer -w "$M" --tile 8
	run -2 daeinfer -w "$M" --max-pixels -1
	run -2 daeinfer -w "$M" one two
}

@test "daeinfer keeps every image's size and name" {
	{ mkrecord u8 a.jpg 5 7 3; mkrecord u8 b 31 17 3; mkrecord u8 c 1 1 3; } > in.ts
	daeinfer -w "$SEED" < in.ts > out.ts
	[ "$(stat -c %s out.ts)" -eq "$(stat -c %s in.ts)" ]
	cmp -n 29 in.ts out.ts
}

@test "daeinfer reads a pack or a stream file as it reads stdin" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 8 3; } > in.ts
	packtensor -o in.pack < in.ts
	daeinfer -w "$M" < in.ts > want.ts
	daeinfer -w "$M" in.ts > got1.ts
	daeinfer -w "$M" in.pack > got2.ts
	cmp want.ts got1.ts
	cmp want.ts got2.ts
}

@test "daeinfer -b batches images of one size with the same result" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 8 3; mkrecord u8 c 6 10 3; mkrecord u8 d 8 8 3; } > in.ts
	daeinfer -w "$M" < in.ts > one.ts
	daeinfer -w "$M" -b 3 < in.ts > three.ts
	cmp one.ts three.ts
	run -2 daeinfer -w "$M" -b 0
}

@test "daeinfer -x averages the 8 turns of each image, keeping its size" {
	{ mkrecord u8 a.jpg 5 7 3; mkrecord u8 b 31 17 3; mkrecord u8 c 8 8 3; } > in.ts
	daeinfer -w "$SEED" -x < in.ts > x8.ts
	daeinfer -w "$SEED" -x -b 4 < in.ts > x8b.ts
	daeinfer -w "$SEED" < in.ts > one.ts
	[ "$(stat -c %s x8.ts)" -eq "$(stat -c %s in.ts)" ]
	cmp x8.ts x8b.ts
	! cmp -s x8.ts one.ts
}

@test "daeinfer reports an unreadable input file" {
	run -1 --separate-stderr daeinfer -w "$M" nothere.ts
	[[ "$stderr" == "daeinfer: nothere.ts: "*"No such file or directory"* ]]
}

@test "daeinfer --float writes f32 in 0..255" {
	mkrecord u8 a 8 8 3 > in.ts
	daeinfer -w "$M" --float < in.ts > out.ts
	[ "$(stat -c %s out.ts)" -eq $((25 + 8 * 8 * 3 * 4)) ]
	od -An -f -j25 -w4 -v out.ts | awk '$1 < 0 || $1 > 255 { bad++ } END { exit bad > 0 }'
}

@test "daeinfer accepts f32 input" {
	mkrecord f32 a 8 8 3 > in.ts
	run -0 --separate-stderr daeinfer -w "$M" < in.ts
}

@test "daeinfer tiled and untiled agree within 1/255" {
	mkrecord u8 big 230 190 3 > in.ts
	daeinfer -w "$SEED" --float --tile 4096 < in.ts > whole.ts
	daeinfer -w "$SEED" --float --tile 176 < in.ts > tiled.ts
	paste <(od -An -f -j27 -w4 -v whole.ts) <(od -An -f -j27 -w4 -v tiled.ts) |
		awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1) bad++ } END { exit bad > 0 }'
}

@test "daeinfer refuses a window too small for the network's margins" {
	mkrecord u8 big 300 300 3 > in.ts
	run -1 --separate-stderr daeinfer -w "$SEED" --tile 64 < in.ts
	[[ "$stderr" == "daeinfer: <stdin>: record 1: a 64-pixel window leaves no core inside the 64-pixel margins" ]]
}

@test "daeinfer skips a record that is not an image and says so" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 flat 8 8; mkrecord u8 b 8 8 3; } > in.ts
	run -0 --separate-stderr daeinfer -w "$M" < in.ts
	[[ "$stderr" == *"daeinfer: <stdin>: record 2 (flat): not an image with the model's channels, skipped"* ]]
	[[ "$stderr" == *"daeinfer: 1 of 3 records skipped"* ]]
}

@test "daeinfer --strict makes a bad record fatal" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 gray 8 8 1; } > in.ts
	run -1 --separate-stderr daeinfer -w "$M" --strict < in.ts
	[[ "$stderr" == "daeinfer: <stdin>: record 2 (gray): 3-dimensional u8 tensor: not an image with the model's channels" ]]
}

@test "daeinfer --max-pixels skips larger images" {
	{ mkrecord u8 small 8 8 3; mkrecord u8 large 20 20 3; } > in.ts
	run -0 --separate-stderr daeinfer -w "$M" --max-pixels 100 < in.ts
	[[ "$stderr" == *"record 2 (large): more pixels than --max-pixels, skipped"* ]]
}

@test "daeinfer refuses a model with a flipped byte" {
	cp "$M" flipped.bin
	printf '\x55' | dd of=flipped.bin bs=1 seek=200 conv=notrunc 2> /dev/null
	run -1 --separate-stderr daeinfer -w flipped.bin < /dev/null
	[[ "$stderr" == "daeinfer: flipped.bin: corrupt or truncated (CRC mismatch)" ]]
	[ -z "$output" ]
}

@test "daeinfer refuses a truncated model" {
	head -c 300 "$M" > short.bin
	run -1 --separate-stderr daeinfer -w short.bin < /dev/null
	[[ "$stderr" == "daeinfer: short.bin: corrupt or truncated (CRC mismatch)" ]]
}

@test "daeinfer refuses a file that is not a model" {
	mkrecord u8 a 2 2 3 > notmodel.bin
	run -1 --separate-stderr daeinfer -w notmodel.bin < /dev/null
	[[ "$stderr" == "daeinfer: notmodel.bin: not a model file" ]]
	run -1 --separate-stderr daeinfer -w ./missing.bin < /dev/null
	[[ "$stderr" == "daeinfer: ./missing.bin: No such file or directory" ]]
	run -1 --separate-stderr daeinfer -w missing.bin < /dev/null
	[[ "$stderr" == "daeinfer: missing.bin: no such model file, nor a model of that name in "* ]]
}

@test "daeinfer reports a truncated stream by record" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 8 3 | head -c 50; } > in.ts
	run -1 --separate-stderr daeinfer -w "$M" < in.ts
	[[ "$stderr" == "daeinfer: <stdin>: record 2 (byte 217): stream ends inside a record" ]]
}

@test "daeinfer on an empty stream writes nothing and exits 0" {
	run -0 --separate-stderr daeinfer -w "$M" < /dev/null
	[ -z "$output" ]
}

@test "daeinfer to /dev/full is an error" {
	mkrecord u8 a 64 64 3 > in.ts
	run -1 --separate-stderr sh -c 'daeinfer -w "$1" < in.ts > /dev/full' sh "$M"
	[[ "$stderr" == "daeinfer: "*"No space left on device"* ]]
}

@test "daeinfer exits 0 quietly when the reader goes away" {
	for i in 1 2 3 4 5 6; do mkrecord u8 a 64 64 3; done > in.ts
	run -0 --separate-stderr bash -c 'set -o pipefail; daeinfer -w "$1" < in.ts | head -c 10 > /dev/null' sh "$M"
	[ -z "$stderr" ]
}

@test "daeinfer streams: the first image comes out before the input ends" {
	mkrecord u8 a 8 8 3 > a.ts
	run -0 timeout 30 bash -c '{ cat a.ts; while [ ! -s out.ts ]; do sleep 0.1; done; } | daeinfer -w "$1" > out.ts' sh "$M"
	[ "$(stat -c %s out.ts)" -eq "$(stat -c %s a.ts)" ]
}

@test "daeinfer --sigma: a blind model refuses it, a level outside 0..255 is a usage error" {
	mkrecord u8 a 8 8 3 > in.ts
	run -1 --separate-stderr daeinfer -t 1 -w "$M" --sigma 25 in.ts
	[[ "$stderr" == "daeinfer: "*": this model takes no noise level (it is blind): drop --sigma" ]]
	run -2 daeinfer -t 1 -w "$MAP" --sigma 256 in.ts
	run -2 daeinfer -t 1 -w "$MAP" --sigma -1 in.ts
	run -2 daeinfer -t 1 -w "$MAP" --sigma nan in.ts
}

@test "daeinfer tells a [noisemap] model --sigma, or each image's estimated level" {
	imgresize 100% "$BATS_FILE_TMPDIR/smooth.ppm" | addnoise --float -s 25 --seed 1 > n25.ts
	imgresize 100% "$BATS_FILE_TMPDIR/smooth.ppm" | addnoise --float -s 10 --seed 1 > n10.ts
	cat n25.ts n10.ts > both.ts
	daeinfer -t 1 -w "$MAP" --sigma 5 n25.ts > s5.ts
	daeinfer -t 1 -w "$MAP" --sigma 50 n25.ts > s50.ts
	# the level reaches the network
	! cmp -s s5.ts s50.ts
	# the estimates, each within 10% of the level added
	run -0 sh -c "daeinfer -v -t 1 -w '$MAP' both.ts 2>&1 >/dev/null |
		grep -o 'noise level [0-9.]* (estimated)' | awk '{ print \$3 }'"
	[ "${#lines[@]}" -eq 2 ]
	awk -v a="${lines[0]}" -v b="${lines[1]}" 'BEGIN { exit !(a > 22.5 && a < 27.5 && b > 9 && b < 11) }'
	# told the estimate, the model gives what it gives when estimating
	est=${lines[0]}
	daeinfer -t 1 -w "$MAP" n25.ts > est.ts
	daeinfer -t 1 -w "$MAP" --sigma "$est" n25.ts > told.ts
	daeeval -q est.ts told.ts > psnr
	awk -F, '$1 == "mean" && $3 < 60 { exit 1 }' psnr
}

@test "daeinfer: a hostile f32 record cannot push the estimated level out of 0..255" {
	mkvals f32 huge 64 64 3 $(perl -e 'srand(1); print join(" ", map { (rand() - 0.5) * 1e38 } 1 .. 12288)') \
		> huge.ts
	run -0 --separate-stderr daeinfer -v -t 1 -w "$MAP" huge.ts
	[[ "$stderr" == *"noise level 255.00 (estimated)"* ]]
	mkvals f32 nan 64 64 3 $(perl -e 'print "nan " x 768') > nan.ts
	run -0 --separate-stderr daeinfer -v -t 1 -w "$MAP" nan.ts
	[[ "$stderr" == *"noise level 0.00 (estimated)"* ]]
}
