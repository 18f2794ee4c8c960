#!/usr/bin/env bats
# pipelines/tutorial.mk and demo.mk: the make-driven pipelines, end to end on
# a tiny archive built here (no network)

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p PetImages/Dog PetImages/Cat
	i=0
	for f in "$DATA"/rgb.jpg "$DATA"/gray.jpg "$DATA"/progressive.jpg "$DATA"/exif6.jpg \
		"$DATA"/cmyk.jpg "$DATA"/restart.jpg "$DATA"/exif3.jpg "$DATA"/thumb.jpg; do
		i=$((i + 1))
		cp "$f" "PetImages/Dog/$i.jpg"
	done
	: > PetImages/Dog/666.jpg                       # the real archive has a zero-byte dog
	head -c 100 "$DATA"/rgb.jpg > PetImages/Dog/667.jpg
	cp "$DATA"/rgb.jpg PetImages/Cat/1.jpg
	zip -qr cats-dogs.zip PetImages
	rm -rf PetImages
	MK="make -s -C $ROOT -f pipelines/tutorial.mk BIN=$ROOT WORK=$BATS_TEST_TMPDIR/work \
		CATS_DOGS_URL=file://$BATS_TEST_TMPDIR/cats-dogs.zip SIZE=12 TEST_PERCENT=30 \
		CFG=tests/data/tiny.cfg EPOCHS=2 BATCH=4 THREADS=1"
}

@test "make data downloads, drops unreadable photos, splits and resizes" {
	run -0 --separate-stderr $MK data
	[[ "$stderr" == *"666.jpg"*"skipped"* ]]
	[ "$(grep -c '^train ' work/split.list)" -gt 0 ]
	[ "$(grep -c '^test ' work/split.list)" -gt 0 ]
	[ "$(wc -l < work/split.list)" -eq 10 ]
	run ! grep -q Cat work/photos.list
	n=$(packtensor -t work/train.ts | grep -c '12x12x3')
	m=$(packtensor -t work/test.ts | grep -c '12x12x3')
	[ $((n + m)) -eq 8 ]
	[ "$(stat -c %s work/train-noisy.ts)" -eq "$(stat -c %s work/train.ts)" ]
}

@test "make data is incremental: a second run does nothing" {
	$MK data 2> /dev/null
	# -q: exit 0 when every target is up to date, 1 when something would run
	W=$BATS_TEST_TMPDIR/work
	run -0 $MK -q $W/train.ts $W/test.ts $W/train-noisy.ts $W/test-noisy.ts
	touch $W/split.list
	run -1 $MK -q $W/train.ts
}

@test "make data offline says what to do" {
	run -2 --separate-stderr make -s -C "$ROOT" -f pipelines/tutorial.mk BIN="$ROOT" \
		WORK="$BATS_TEST_TMPDIR/work" CATS_DOGS_URL=file:///nonexistent/x.zip data
	[[ "$stderr" == *"fetch-dogs.sh: cannot download file:///nonexistent/x.zip (offline?); give a folder of photos with PHOTOS=dir"* ]]
	[ ! -e work/photos.list ]
}

@test "make train eval writes the model, the log, the curve, the report and the figure" {
	$MK data 2> /dev/null
	run -0 --separate-stderr $MK train eval
	[ "$(head -c 8 work/model.bin)" = DAEMODEL ]
	[ "$(wc -l < work/train.csv)" -ge 2 ]
	[ "$(head -c 8 work/loss.png | od -An -c | tr -d ' ')" = "211PNG\r\n032\n" ]
	grep -q '^denoised .* dB' work/eval/report.txt
	grep -q '^noisy .* dB' work/eval/report.txt
	[ -s work/eval/montage.png ]
	[ -z "$(find work -name '*.tmp')" ]
}

@test "make -f pipelines/demo.mk denoises the samples with a model" {
	$MK data 2> /dev/null
	$MK train 2> /dev/null
	run -0 make -s -C "$ROOT" -f pipelines/demo.mk BIN="$ROOT" OUT="$BATS_TEST_TMPDIR/demo" \
		MODEL="$BATS_TEST_TMPDIR/work/model.bin"
	[[ "$output" == *"demo: the figure is"* ]]
	[ -s demo/montage.png ]
	[ "$(ls demo/denoised | wc -l)" -eq 6 ]
}

@test "make -f pipelines/color.mk trains the colour denoiser on photos of mixed sizes" {
	imgresize 12x10 "$DATA"/rgb.jpg | unpack photos
	imgresize 10x14 "$DATA"/progressive.jpg | unpack photos
	cp "$DATA"/rgb.jpg photos/small.jpg     # 7x5: too small for the patches, an error
	# the second set is halved; only photos still MIN_SIDE both ways are kept
	imgresize 24x20 "$DATA"/rgb.jpg | unpack -f jpg dogs
	imgresize 12x30 "$DATA"/progressive.jpg | unpack -f jpg dogs
	run -2 --separate-stderr make -s -C "$ROOT" -f pipelines/color.mk BIN="$ROOT" \
		WORK="$BATS_TEST_TMPDIR/cw" TRAIN_SET="$BATS_TEST_TMPDIR/photos" \
		DOGS="$BATS_TEST_TMPDIR/dogs" MIN_SIDE=8 PATCH=8 THREADS=1
	[[ "$stderr" == *"daetrain: patch 8 is larger than the images"* ]]
	rm photos/small.jpg cw/color-*.ts
	ls photos/*.png
	run -0 --separate-stderr make -s -C "$ROOT" -f pipelines/color.mk BIN="$ROOT" \
		WORK="$BATS_TEST_TMPDIR/cw" TRAIN_SET="$BATS_TEST_TMPDIR/photos" \
		DOGS="$BATS_TEST_TMPDIR/dogs" MIN_SIDE=8 EPOCHS=2 PATCH=8 \
		REPEAT=2 BATCH=2 THREADS=1 PATCH2=10 REPEAT2=1 EPOCHS2=1 \
		PATCH3=8 REPEAT3=1 EPOCHS3=1 PATCH4=10 REPEAT4=1 EPOCHS4=1 \
		PATCH5=8 REPEAT5=1 EPOCHS5=1
	# stages 1 and 2 train the small net on the photos once; stages 3 to 5
	# the grown net on the photos twice, then the one halved photo of 12x10
	[ "$(packtensor -t cw/color-bsd.ts | grep -c '^[0-9]')" -eq 2 ]
	packtensor -t cw/color-train.ts | grep '^[0-9]' | cut -f2,3 > list
	[ "$(wc -l < list)" -eq 5 ]
	[ "$(tail -1 list)" = "$(printf 'rgb.jpg\t10x12x3')" ]
	[ "$(wc -l < cw/denoise-color-1.csv)" -eq 3 ]
	[ "$(wc -l < cw/denoise-color-2.csv)" -eq 2 ]
	[ "$(wc -l < cw/denoise-color-3.csv)" -eq 2 ]
	[ "$(wc -l < cw/denoise-color-4.csv)" -eq 2 ]
	[ "$(wc -l < cw/denoise-color.csv)" -eq 2 ]
	for m in 1 2 grown 3 4 map; do [ "$(head -c 8 cw/denoise-color-$m.bin)" = DAEMODEL ]; done
	run ! cmp -s cw/denoise-color-1.bin cw/denoise-color-2.bin
	run ! cmp -s cw/denoise-color-grown.bin cw/denoise-color-3.bin
	run ! cmp -s cw/denoise-color-3.bin cw/denoise-color-4.bin
	# stage 5's net is told the noise level: its cfg has a [noisemap]
	run -1 --separate-stderr daeinfer -w cw/denoise-color-4.bin --sigma 25 /dev/null
	imgresize 100% "$DATA"/rgb.jpg | daeinfer -w cw/denoise-color.bin --sigma 25 > /dev/null
	# the small net's stages, then the big net's
	[ "$(stat -c %s cw/denoise-color-2.bin)" -lt "$(stat -c %s cw/denoise-color.bin)" ]
	[ -z "$(find cw -name '*.tmp')" ]
	# stage 4 continues from a copy of its checkpoint without stages 1 to 3
	mkdir cw2
	cp -p cw/color-*.ts cw/denoise-color-4.ckpt cw2/
	cp cw/denoise-color-4.ckpt saved.ckpt
	run -0 --separate-stderr make -s -C "$ROOT" -f pipelines/color.mk BIN="$ROOT" \
		WORK="$BATS_TEST_TMPDIR/cw2" INIT4="$BATS_TEST_TMPDIR/saved.ckpt" \
		PATCH4=10 REPEAT4=1 EPOCHS4=2 PATCH5=8 REPEAT5=1 EPOCHS5=1 BATCH=2 THREADS=1 \
		TRAIN4_OPTS=--resume
	[ ! -e cw2/denoise-color-1.bin ] && [ ! -e cw2/denoise-color-3.bin ]
	[ "$(wc -l < cw2/denoise-color-4.csv)" -eq 3 ]
	[ "$(head -c 8 cw2/denoise-color.bin)" = DAEMODEL ]
	# the model runs on an image of any size
	imgresize 100% "$DATA"/rgb.jpg | daeinfer -w cw/denoise-color.bin > out.ts
	[ "$(stat -c %s out.ts)" -eq "$(imgresize 100% "$DATA"/rgb.jpg | wc -c)" ]
}

@test "pipelines/grow.py grows the fast net into the big stack, same function" {
	imgresize 40x30 "$DATA"/rgb.jpg | addnoise -s 25 --seed 1 > in.ts
	/usr/bin/python3 "$ROOT"/pipelines/grow.py "$ROOT"/models/denoise-color-fast.bin \
		"$ROOT"/models/dncnn17-color.cfg 1 big.bin
	[ -z "$(find . -name '*.tmp')" ]
	daeinfer -t 1 -w "$ROOT"/models/denoise-color-fast.bin < in.ts > small.ts
	daeinfer -t 1 -w big.bin < in.ts > big.ts
	# 17 layers of 64 where there were 12 of 48: the file grows 2.7-fold
	[ "$(stat -c %s big.bin)" -gt "$(( 2 * $(stat -c %s "$ROOT"/models/denoise-color-fast.bin) ))" ]
	# the outputs agree to within rounding and the copies' 1% noise
	run -0 daeeval -c -q small.ts big.ts
	awk -F, '{ exit !($3 > 45) }' <<< "$output"
	# anything but a plain stack of 3 x 3 convolutions is refused
	run -1 /usr/bin/python3 "$ROOT"/pipelines/grow.py "$ROOT"/models/denoise-color-fast.bin \
		"$ROOT"/models/seed.cfg 1 no.bin
	[[ "$output" == "grow.py: $ROOT/models/seed.cfg: does not end with [add] from = -1, input" ]]
	head -c 100 "$ROOT"/models/denoise-color-fast.bin > cut.bin
	run -1 /usr/bin/python3 "$ROOT"/pipelines/grow.py cut.bin "$ROOT"/models/dncnn17-color.cfg 1 no.bin
	[[ "$output" == "grow.py: cut.bin: CRC mismatch" ]]
	[ ! -e no.bin ]
}

@test "pipelines/noisemap.py tells the fast net the noise level, same function" {
	imgresize 40x30 "$DATA"/rgb.jpg | addnoise -s 25 --seed 1 > in.ts
	sed '/^channels = 3$/a [noisemap]\n[concat]\nfrom = input, -1' \
		"$ROOT"/models/denoise-color-fast.cfg > map.cfg
	/usr/bin/python3 "$ROOT"/pipelines/noisemap.py "$ROOT"/models/denoise-color-fast.bin map.cfg map.bin
	[ -z "$(find . -name '*.tmp')" ]
	# the level's weights are zero: whatever the level, the blind net's output
	daeinfer -t 1 -w "$ROOT"/models/denoise-color-fast.bin < in.ts > blind.ts
	daeinfer -t 1 -w map.bin < in.ts > est.ts
	daeinfer -t 1 -w map.bin --sigma 50 < in.ts > s50.ts
	cmp blind.ts est.ts
	cmp blind.ts s50.ts
	# the cfg must be the model's stack after a noise map
	run -1 /usr/bin/python3 "$ROOT"/pipelines/noisemap.py "$ROOT"/models/denoise-color-fast.bin \
		"$ROOT"/models/denoise-color-fast.cfg no.bin
	[[ "$output" == "noisemap.py: $ROOT/models/denoise-color-fast.cfg: does not start with [noisemap] and [concat] from = input, -1" ]]
	run -1 /usr/bin/python3 "$ROOT"/pipelines/noisemap.py "$ROOT"/models/denoise-color-fast.bin \
		"$ROOT"/models/denoise-color.cfg no.bin
	[[ "$output" == "noisemap.py: $ROOT/models/denoise-color.cfg: not $ROOT/models/denoise-color-fast.bin's stack after a noise map" ]]
	[ ! -e no.bin ]
}

@test "pipelines/quality.sh scores every model on each set and sigma, -x rows for ENSEMBLE, --sigma rows and estimates for a noise-map model" {
	mkdir -p sets/A sets/B
	imgresize 16x12 "$DATA"/rgb.jpg "$DATA"/progressive.jpg | unpack sets/A
	imgresize 20x8 "$DATA"/exif3.jpg | unpack sets/B
	imgresize 12x12 "$DATA"/rgb.jpg > t.ts
	daetrain -q -c "$ROOT"/tests/data/tiny.cfg -o m.bin -e 1 -s 25 -b 1 -t 1 t.ts
	cp m.bin other.bin
	daetrain -q -c "$ROOT"/tests/data/tinymap.cfg -o map.bin -e 1 --sigma 0:55 -b 1 -t 1 t.ts
	run -0 --separate-stderr env BIN="$ROOT" TESTDATA="$PWD"/sets SETS="A B" SIGMAS="15 50" THREADS=1 \
		ENSEMBLE=m OUT="$PWD"/q.md sh "$ROOT"/pipelines/quality.sh "$PWD"/m.bin "$PWD"/other.bin \
		"$PWD"/map.bin
	[ "$(cat q.md)" = "$output" ]
	# noisy, m, m -x and other for each set, each with a PSNR per sigma
	[ "$(grep -c '^| noisy input | [AB] | [0-9.]* | [0-9.]* | |$' q.md)" -eq 2 ]
	[ "$(grep -c '^| m | [AB] | [0-9.]* | [0-9.]* | [0-9.]* |$' q.md)" -eq 2 ]
	[ "$(grep -c '^| m -x | [AB] | [0-9.]* | [0-9.]* | [0-9.]* |$' q.md)" -eq 2 ]
	[ "$(grep -c '^| other | [AB] |' q.md)" -eq 2 ]
	run ! grep -q "other -x" q.md
	# the noise-map model on its estimates, then told sigma; the estimates'
	# errors in a table of their own, for it alone
	[ "$(grep -c '^| map | [AB] | [0-9.]* | [0-9.]* | [0-9.]* |$' q.md)" -eq 2 ]
	[ "$(grep -c '^| map --sigma | [AB] | [0-9.]* | [0-9.]* | [0-9.]* |$' q.md)" -eq 2 ]
	[ "$(grep -c '^| map | [AB] | [-+][0-9.]* / [0-9.]* | [-+][0-9.]* / [0-9.]* |$' q.md)" -eq 2 ]
	run ! grep -q -e "m --sigma" -e "other --sigma" -e '^| m | A | [-+]' q.md
	# a missing set is an error
	run -1 --separate-stderr env BIN="$ROOT" TESTDATA="$PWD"/sets SETS=C OUT="$PWD"/q2.md \
		sh "$ROOT"/pipelines/quality.sh "$PWD"/m.bin
	[[ "$stderr" == *"/sets/C: no such test set"* ]]
	[ ! -e q2.md ]
}
