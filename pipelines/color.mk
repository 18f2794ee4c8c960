# pipelines/color.mk: train models/denoise-color.bin, the blind colour
# denoiser, from a folder of clean photos (CBSD432, the field's usual colour
# training set, by default).
#
#   make train-color                      (the top-level Makefile forwards it)
#   make train-color TRAIN_OPTS=--resume  continue stage 1 after an interruption
#   make train-color TRAIN2_OPTS=--resume continue stage 2
#   cp work/denoise-color.bin models/
#
# Photos of any size go into one stream at their own size; daetrain draws
# PATCH x PATCH crops (REPEAT per photo per epoch, flipped and rotated at
# random) with Gaussian noise of a standard deviation drawn afresh, uniform
# in SIGMA, unclipped; Adam at RATE decayed along a cosine to RATE_MIN over
# EPOCHS, no early stopping. Stage 2 starts from that model (--init) and
# trains it on larger PATCH2 crops, in which fewer pixels see the zero
# padding beyond a crop's edge, at a lower rate (RATE2 to RATE2_MIN over
# EPOCHS2, another SEED2 for new crops and noise). The shipped model is this
# recipe's output with the defaults below (models/README.md gives the run).
# Every target is written via daetrain's atomic save or $@.tmp and a rename.
.POSIX:
.SUFFIXES:

BIN = .
WORK = work
TRAIN_SET = ../shared/data/train/CBSD432
CFG = models/denoise-color.cfg
STAGE1 = $(WORK)/denoise-color-1.bin
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
THREADS = 2
TRAIN_OPTS =
TRAIN2_OPTS =

train-color: $(MODEL)

$(WORK)/color-train.ts:
	mkdir -p $(WORK)
	find $(TRAIN_SET) -name '*.jpg' -o -name '*.png' | LC_ALL=C sort | tr '\n' '\0' | \
		xargs -0 $(BIN)/imgresize 100% > $@.tmp
	mv $@.tmp $@

$(STAGE1): $(WORK)/color-train.ts $(CFG)
	$(BIN)/daetrain -v -c $(CFG) -o $@ --sigma $(SIGMA) --patch $(PATCH) \
		--repeat $(REPEAT) --augment -b $(BATCH) -e $(EPOCHS) -l $(RATE) \
		--lr-min $(RATE_MIN) --patience 0 --seed $(SEED) -t $(THREADS) \
		--log $(WORK)/denoise-color-1.csv --checkpoint $(WORK)/denoise-color-1.ckpt \
		$(TRAIN_OPTS) $(WORK)/color-train.ts

$(MODEL): $(STAGE1)
	$(BIN)/daetrain -v -c $(CFG) -o $@ --init $(STAGE1) --sigma $(SIGMA) \
		--patch $(PATCH2) --repeat $(REPEAT2) --augment -b $(BATCH) -e $(EPOCHS2) \
		-l $(RATE2) --lr-min $(RATE2_MIN) --patience 0 --seed $(SEED2) -t $(THREADS) \
		--log $(WORK)/denoise-color.csv --checkpoint $(WORK)/denoise-color.ckpt \
		$(TRAIN2_OPTS) $(WORK)/color-train.ts

.PHONY: train-color
