# pipelines/color.mk: train the blind colour denoiser from folders of clean
# photos: CBSD432, the field's usual colour training set, and the shared dog
# photos downscaled by 2 (which removes most of their JPEG artefacts).
#
#   make train-color                      (the top-level Makefile forwards it)
#   make train-color TRAIN_OPTS=--resume  continue stage 1 after an interruption
#   make train-color TRAIN2_OPTS=--resume continue stage 2
#   cp work/denoise-color.bin models/
#
# The training stream holds CBSD432 twice (so its photos are two fifths of
# the crops) and every dog photo whose half size is at least MIN_SIDE both
# ways, each at its own size. daetrain draws PATCH x PATCH crops (REPEAT per
# photo per epoch, flipped and rotated, in a random channel order and with
# their saturation scaled by 0.5 to 1.5) with Gaussian noise of a standard
# deviation drawn afresh, uniform in SIGMA, unclipped; Adam at RATE decayed
# along a cosine to RATE_MIN over EPOCHS, no early stopping. Stage 2 starts
# from that model (--init) and trains it on larger PATCH2 crops, in which
# fewer pixels see the zero padding beyond a crop's edge, at a lower rate
# (RATE2 to RATE2_MIN over EPOCHS2, another SEED2 for new crops and noise).
# models/README.md gives each stage's run. Every target is written via
# daetrain's atomic save or $@.tmp and a rename.
.POSIX:
.SUFFIXES:

BIN = .
WORK = work
TRAIN_SET = ../shared/data/train/CBSD432
DOGS = ../shared/data/dogs/train
MIN_SIDE = 96
CFG = models/dncnn17-color.cfg
STAGE1 = $(WORK)/denoise-color-1.bin
MODEL = $(WORK)/denoise-color.bin
EPOCHS = 30
PATCH = 64
REPEAT = 8
BATCH = 8
RATE = 1e-3
RATE_MIN = 1e-5
SIGMA = 0:55
SEED = 1
PATCH2 = 128
REPEAT2 = 2
EPOCHS2 = 4
RATE2 = 1e-4
RATE2_MIN = 1e-6
SEED2 = 2
THREADS = 2
AUGMENT = --augment --augment-color
TRAIN_OPTS =
TRAIN2_OPTS =

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

$(STAGE1): $(WORK)/color-train.ts $(CFG)
	$(BIN)/daetrain -v -c $(CFG) -o $@ --sigma $(SIGMA) --patch $(PATCH) \
		--repeat $(REPEAT) $(AUGMENT) -b $(BATCH) -e $(EPOCHS) -l $(RATE) \
		--lr-min $(RATE_MIN) --patience 0 --seed $(SEED) -t $(THREADS) \
		--log $(WORK)/denoise-color-1.csv --checkpoint $(WORK)/denoise-color-1.ckpt \
		$(TRAIN_OPTS) $(WORK)/color-train.ts

$(MODEL): $(STAGE1)
	$(BIN)/daetrain -v -c $(CFG) -o $@ --init $(STAGE1) --sigma $(SIGMA) \
		--patch $(PATCH2) --repeat $(REPEAT2) $(AUGMENT) -b $(BATCH) -e $(EPOCHS2) \
		-l $(RATE2) --lr-min $(RATE2_MIN) --patience 0 --seed $(SEED2) -t $(THREADS) \
		--log $(WORK)/denoise-color.csv --checkpoint $(WORK)/denoise-color.ckpt \
		$(TRAIN2_OPTS) $(WORK)/color-train.ts

.PHONY: train-color
