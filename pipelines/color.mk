# pipelines/color.mk: train the colour denoiser from folders of clean
# photos: CBSD432, the field's usual colour training set, and the shared dog
# photos downscaled by 2 (which removes most of their JPEG artefacts).
#
#   make train-color                      (the top-level Makefile forwards it)
#   make train-color TRAIN_OPTS=--resume  continue stage 1 after an interruption
#   make train-color TRAIN2_OPTS=--resume continue stage 2, TRAIN3_OPTS stage 3,
#                                         TRAIN4_OPTS stage 4, TRAIN5_OPTS 5
#   make train-color INIT4=x.ckpt TRAIN4_OPTS=--resume
#                     continue stage 4 from work/denoise-color-4.ckpt, its
#                     weights from a checkpoint (x.ckpt, a copy of it) in
#                     place of stages 1 to 3
#   cp work/denoise-color.bin models/
#
# Five stages, each from the one before. Stage 1 trains a 12 x 48 stack
# (SMALL_CFG) from scratch on CBSD432: PATCH x PATCH crops (REPEAT per photo
# per epoch, flipped and rotated) with Gaussian noise of a standard deviation
# drawn afresh, uniform in SIGMA, unclipped; Adam at RATE decayed along a
# cosine to RATE_MIN over EPOCHS, no early stopping. Stage 2 trains it on
# larger PATCH2 crops, in which fewer pixels see the zero padding beyond a
# crop's edge, at a lower rate (RATE2 to RATE2_MIN over EPOCHS2, another
# SEED2 for new crops and noise). pipelines/grow.py then grows that net into
# the 17 x 64 stack of CFG computing the same function (Net2Net: copied
# channels, identity layers), and stage 3 trains the big net on CBSD432 and
# the halved dog photos, in a random channel order and with their saturation
# scaled by 0.5 to 1.5 (AUGMENT3), at RATE3 to RATE3_MIN over EPOCHS3: a peak
# of 1e-3 undoes the grown net's start within a thousand crops. Stage 4 goes
# on from there on larger PATCH4 crops at RATE4 to RATE4_MIN over EPOCHS4.
# pipelines/noisemap.py then gives that blind net a second input, the noise
# level ([noisemap], MAP_CFG), with weights of zero, and stage 5 trains it,
# told each crop's level, on PATCH5 crops at RATE5 to RATE5_MIN over EPOCHS5.
#
# Stage 3's stream holds CBSD432 twice (so its photos are two fifths of the
# crops) and every dog photo whose half size is at least MIN_SIDE both ways,
# each at its own size. models/README.md gives each stage's run. Every target
# is written via daetrain's atomic save or $@.tmp and a rename.
.POSIX:
.SUFFIXES:

BIN = .
WORK = work
TRAIN_SET = ../shared/data/train/CBSD432
DOGS = ../shared/data/dogs/train
MIN_SIDE = 96
SMALL_CFG = models/denoise-color-fast.cfg
CFG = models/dncnn17-color.cfg
MAP_CFG = models/denoise-color.cfg
PYTHON = /usr/bin/python3
STAGE1 = $(WORK)/denoise-color-1.bin
STAGE2 = $(WORK)/denoise-color-2.bin
GROWN = $(WORK)/denoise-color-grown.bin
STAGE3 = $(WORK)/denoise-color-3.bin
INIT4 = $(STAGE3)
STAGE4 = $(WORK)/denoise-color-4.bin
MAPPED = $(WORK)/denoise-color-map.bin
MODEL = $(WORK)/denoise-color.bin
EPOCHS = 32
PATCH = 48
REPEAT = 16
BATCH = 8
RATE = 1e-3
RATE_MIN = 1e-5
SIGMA = 0:55
SEED = 1
PATCH2 = 96
REPEAT2 = 4
EPOCHS2 = 7
RATE2 = 1e-4
RATE2_MIN = 1e-6
SEED2 = 2
GROW_SEED = 1
PATCH3 = 64
REPEAT3 = 8
EPOCHS3 = 4
RATE3 = 3e-4
RATE3_MIN = 1e-6
SEED3 = 3
THREADS = 2
PATCH4 = 96
REPEAT4 = 4
EPOCHS4 = 8
RATE4 = 2e-4
RATE4_MIN = 1e-6
SEED4 = 4
PATCH5 = 64
REPEAT5 = 8
EPOCHS5 = 3
RATE5 = 1e-4
RATE5_MIN = 1e-6
SEED5 = 5
AUGMENT3 = --augment --augment-color
TRAIN_OPTS =
TRAIN2_OPTS =
TRAIN3_OPTS =
TRAIN4_OPTS =
TRAIN5_OPTS =

# what every stage shares
DAETRAIN = $(BIN)/daetrain -v --sigma $(SIGMA) -b $(BATCH) --patience 0 -t $(THREADS)

train-color: $(MODEL)

$(WORK)/color-bsd.ts:
	mkdir -p $(WORK)
	find $(TRAIN_SET) -name '*.jpg' -o -name '*.png' | LC_ALL=C sort | tr '\n' '\0' | \
		xargs -0 $(BIN)/imgresize 100% > $@.tmp
	mv $@.tmp $@

# halve every dog photo, keep those still MIN_SIDE x MIN_SIDE or larger;
# DOGS= (or a missing folder) trains on TRAIN_SET alone
$(WORK)/color-dogs.ts:
	mkdir -p $(WORK)
	: > $@.tmp
	if [ -n "$(DOGS)" ] && [ -d "$(DOGS)" ]; then \
		find $(DOGS) -name '*.jpg' | LC_ALL=C sort | tr '\n' '\0' | \
		xargs -0 $(BIN)/imgresize -a 50% | $(BIN)/packtensor -t - | \
		awk -F'\t' -v d=$(DOGS) -v m=$(MIN_SIDE) '{ split($$3, s, "x") } \
			s[1] >= m && s[2] >= m { print d "/" $$2 }' | tr '\n' '\0' | \
		xargs -0 $(BIN)/imgresize -a 50% > $@.tmp || exit 1; \
	fi
	mv $@.tmp $@

$(WORK)/color-train.ts: $(WORK)/color-bsd.ts $(WORK)/color-dogs.ts
	cat $(WORK)/color-bsd.ts $(WORK)/color-bsd.ts $(WORK)/color-dogs.ts > $@.tmp
	mv $@.tmp $@

$(STAGE1): $(WORK)/color-bsd.ts $(SMALL_CFG)
	$(DAETRAIN) -c $(SMALL_CFG) -o $@ --patch $(PATCH) --repeat $(REPEAT) --augment \
		-e $(EPOCHS) -l $(RATE) --lr-min $(RATE_MIN) --seed $(SEED) \
		--log $(WORK)/denoise-color-1.csv --checkpoint $(WORK)/denoise-color-1.ckpt \
		$(TRAIN_OPTS) $(WORK)/color-bsd.ts

$(STAGE2): $(STAGE1)
	$(DAETRAIN) -c $(SMALL_CFG) -o $@ --init $(STAGE1) --patch $(PATCH2) \
		--repeat $(REPEAT2) --augment -e $(EPOCHS2) -l $(RATE2) --lr-min $(RATE2_MIN) \
		--seed $(SEED2) \
		--log $(WORK)/denoise-color-2.csv --checkpoint $(WORK)/denoise-color-2.ckpt \
		$(TRAIN2_OPTS) $(WORK)/color-bsd.ts

$(GROWN): $(STAGE2) $(CFG) pipelines/grow.py
	$(PYTHON) pipelines/grow.py $(STAGE2) $(CFG) $(GROW_SEED) $@

$(STAGE3): $(GROWN) $(WORK)/color-train.ts
	$(DAETRAIN) -c $(CFG) -o $@ --init $(GROWN) --patch $(PATCH3) \
		--repeat $(REPEAT3) $(AUGMENT3) -e $(EPOCHS3) -l $(RATE3) --lr-min $(RATE3_MIN) \
		--seed $(SEED3) \
		--log $(WORK)/denoise-color-3.csv --checkpoint $(WORK)/denoise-color-3.ckpt \
		$(TRAIN3_OPTS) $(WORK)/color-train.ts

$(STAGE4): $(INIT4) $(WORK)/color-train.ts
	$(DAETRAIN) -c $(CFG) -o $@ --init $(INIT4) --patch $(PATCH4) \
		--repeat $(REPEAT4) $(AUGMENT3) -e $(EPOCHS4) -l $(RATE4) --lr-min $(RATE4_MIN) \
		--seed $(SEED4) \
		--log $(WORK)/denoise-color-4.csv --checkpoint $(WORK)/denoise-color-4.ckpt \
		$(TRAIN4_OPTS) $(WORK)/color-train.ts

$(MAPPED): $(STAGE4) $(MAP_CFG) pipelines/noisemap.py
	$(PYTHON) pipelines/noisemap.py $(STAGE4) $(MAP_CFG) $@

$(MODEL): $(MAPPED) $(WORK)/color-train.ts
	$(DAETRAIN) -c $(MAP_CFG) -o $@ --init $(MAPPED) --patch $(PATCH5) \
		--repeat $(REPEAT5) $(AUGMENT3) -e $(EPOCHS5) -l $(RATE5) --lr-min $(RATE5_MIN) \
		--seed $(SEED5) \
		--log $(WORK)/denoise-color.csv --checkpoint $(WORK)/denoise-color.ckpt \
		$(TRAIN5_OPTS) $(WORK)/color-train.ts

.PHONY: train-color
