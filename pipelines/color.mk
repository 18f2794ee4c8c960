# pipelines/color.mk: train models/denoise-color.bin, the blind colour
# denoiser, from a folder of clean photos (CBSD432, the field's usual colour
# training set, by default).
#
#   make train-color                      (the top-level Makefile forwards it)
#   make train-color TRAIN_OPTS=--resume  continue after an interruption
#   cp work/denoise-color.bin models/
#
# Photos of any size go into one stream at their own size; daetrain draws
# PATCH x PATCH crops (REPEAT per photo per epoch, flipped and rotated at
# random) with Gaussian noise of a standard deviation drawn afresh, uniform
# in SIGMA, unclipped; Adam at RATE decayed along a cosine to RATE_MIN over
# EPOCHS, no early stopping. The shipped model is this recipe's output with
# the defaults below (models/README.md gives the run). Every target is
# written via daetrain's atomic save or $@.tmp and a rename.
.POSIX:
.SUFFIXES:

BIN = .
WORK = work
TRAIN_SET = ../shared/data/train/CBSD432
CFG = models/denoise-color.cfg
MODEL = $(WORK)/denoise-color.bin
EPOCHS = 32
PATCH = 48
REPEAT = 16
BATCH = 8
RATE = 1e-3
RATE_MIN = 1e-5
SIGMA = 0:55
SEED = 1
THREADS = 2
TRAIN_OPTS =

train-color: $(MODEL)

$(WORK)/color-train.ts:
	mkdir -p $(WORK)
	find $(TRAIN_SET) -name '*.jpg' -o -name '*.png' | LC_ALL=C sort | tr '\n' '\0' | \
		xargs -0 $(BIN)/imgresize 100% > $@.tmp
	mv $@.tmp $@

$(MODEL): $(WORK)/color-train.ts $(CFG)
	$(BIN)/daetrain -v -c $(CFG) -o $@ --sigma $(SIGMA) --patch $(PATCH) \
		--repeat $(REPEAT) --augment -b $(BATCH) -e $(EPOCHS) -l $(RATE) \
		--lr-min $(RATE_MIN) --patience 0 --seed $(SEED) -t $(THREADS) \
		--log $(WORK)/denoise-color.csv --checkpoint $(WORK)/denoise-color.ckpt \
		$(TRAIN_OPTS) $(WORK)/color-train.ts

.PHONY: train-color
