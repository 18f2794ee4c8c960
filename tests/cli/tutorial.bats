#!/usr/bin/env bats
# pipelines/tutorial.mk and its settings: SIZE and NOISE_* remake what they
# change, and a SIZE the network cannot keep is refused before any work
# (the whole pipeline is in pipeline.bats)

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir photos
	for f in rgb.jpg gray.jpg progressive.jpg exif6.jpg cmyk.jpg restart.jpg; do
		cp "$DATA/$f" photos/
	done
	W=$BATS_TEST_TMPDIR/work
	MK="make -s -C $ROOT -f pipelines/tutorial.mk BIN=$ROOT WORK=$W PHOTOS=$BATS_TEST_TMPDIR/photos \
		SIZE=12 TEST_PERCENT=30 CFG=tests/data/tiny.cfg THREADS=1"
}

@test "make data remakes what SIZE or the noise changes, and only that" {
	$MK data 2> /dev/null
	run -0 $MK -q SIZE=12 NOISE_STD=50 $W/train.ts $W/train-noisy.ts
	run -1 $MK -q SIZE=20 $W/train.ts
	run -0 $MK -q NOISE_STD=30 $W/train.ts
	run -1 $MK -q NOISE_STD=30 $W/train-noisy.ts
	run -1 $MK -q NOISE_SEED=2 $W/test-noisy.ts
	$MK SIZE=20 data 2> /dev/null
	[ "$(packtensor -t work/train.ts | grep -c '20x20x3')" -gt 0 ]
	run -0 $MK -q SIZE=20 $W/train.ts $W/test.ts $W/train-noisy.ts $W/test-noisy.ts
	# and back: the first size's data were replaced, so they are made again
	run -1 $MK -q $W/train.ts
	$MK data 2> /dev/null
	[ "$(packtensor -t work/train.ts | grep -c '12x12x3')" -gt 0 ]
	run -0 $MK -q $W/train.ts $W/test.ts $W/train-noisy.ts $W/test-noisy.ts
}

@test "make data refuses a SIZE the network cannot keep, before reading photos" {
	run -2 --separate-stderr $MK CFG=models/seed.cfg SIZE=301 data
	[[ "$stderr" == *"maps 301x301x3 to 300x300x3"*"the nearest sizes it keeps are 300x300 and 308x308"* ]]
	[[ "$stderr" == *"tutorial.mk: SIZE=301 does not fit models/seed.cfg"* ]]
	[ ! -e work/photos.list ]
	[ -z "$(ls work)" ]
	# with --patch training takes crops, and any size goes
	run -0 $MK CFG=models/seed.cfg SIZE=301 TRAIN_OPTS='--patch 12' "$W/size-301.stamp"
	[ "$(cat work/size-301.stamp)" = SIZE=301 ]
}
