# pipelines/tutorial.mk: the tutorial, end to end, as make targets.
#
#   make -f pipelines/tutorial.mk data  PHOTOS=../shared/data/dogs/train
#   make -f pipelines/tutorial.mk train
#   make -f pipelines/tutorial.mk eval
#
# (the top-level Makefile forwards `make data train eval` here.) Every
# target is a file under $(WORK); recipes write $@.tmp and rename it, so an
# interrupted run leaves no half-made target and a rerun redoes only what is
# missing or older than its inputs, or made with another SIZE or noise (see
# the stamps below). Variables can be set on the command line; programs are
# taken from $(BIN), so an installed copy works too (BIN=/usr/local/bin).
.POSIX:
.SUFFIXES:

BIN = .
WORK = work
# photos to use; empty: download the Microsoft Cats vs Dogs archive
PHOTOS =
CATS_DOGS_URL = https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip
SIZE = 300
NOISE_MEAN = 10
NOISE_STD = 50
NOISE_SEED = 1
# the tutorial: 3000 training and 1000 test images at most, split by a
# seeded hash of each file name (TEST_PERCENT of the photos go to test)
N_TRAIN = 3000
N_TEST = 1000
TEST_PERCENT = 10
SPLIT_SEED = 1
CFG = models/seed.cfg
MODEL = $(WORK)/model.bin
EPOCHS = 50
BATCH = 32
PATIENCE = 3
SEED = 1
THREADS = 2
# extra daetrain options, e.g. TRAIN_OPTS='--patch 100' to train on crops
TRAIN_OPTS =
FRESH_NOISE =
MONTAGE_ROWS = 4

all: data train eval

# ---------------------------------------------------------------------------
# stamps: the settings the data are made with, as files. A stamp's name
# holds the values, so a new value is a missing file, made afresh (and
# newer than what was made with the old one), and its recipe removes the
# stamps of other values, so that going back to one remakes too; unchanged
# values leave everything up to date, make -q included.

SIZE_STAMP = $(WORK)/size-$(SIZE).stamp
NOISE_STAMP = $(WORK)/noise-$(NOISE_MEAN)_$(NOISE_STD)_$(NOISE_SEED).stamp

# A size the network does not keep is refused here, before any photo is
# read: daetrain --dry-run builds $(CFG) for one blank SIZE x SIZE image and
# names the nearest sizes it keeps (models/seed.cfg pools by 2 three times
# and has one valid 3x3 convolution: sizes of 4 mod 8, such as 300). With
# --patch in TRAIN_OPTS training takes crops, and any SIZE goes; a SIZE of
# WxH or P% is not checked.
$(SIZE_STAMP):
	mkdir -p $(WORK)
	case "$(SIZE)/ $(TRAIN_OPTS) " in *" --patch"*|*[!0-9]*/*|/*) ;; *) \
		{ printf 'P5\n%s %s\n255\n' "$(SIZE)" "$(SIZE)" && \
		  head -c $$(($(SIZE) * $(SIZE))) /dev/zero; } | $(BIN)/imgresize 100% > $@.ts && \
		$(BIN)/daetrain --dry-run -q -t 1 -b 1 -c $(CFG) -o $(MODEL) -m 0 -s 1 $@.ts || \
		{ rm -f $@.ts; echo "tutorial.mk: SIZE=$(SIZE) does not fit $(CFG)" >&2; exit 1; } ;; \
	esac
	rm -f $@.ts $(WORK)/size-*.stamp
	echo "SIZE=$(SIZE)" > $@

$(NOISE_STAMP):
	mkdir -p $(WORK)
	rm -f $(WORK)/noise-*.stamp
	echo "NOISE_MEAN=$(NOISE_MEAN) NOISE_STD=$(NOISE_STD) NOISE_SEED=$(NOISE_SEED)" > $@

# ---------------------------------------------------------------------------
# data: photo list -> decodable photos -> split -> resized streams

$(WORK)/photos.list:
	mkdir -p $(WORK)
	if [ -n "$(PHOTOS)" ]; then \
		find "$(PHOTOS)" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | \
			LC_ALL=C sort > $@.tmp; \
	else \
		sh pipelines/fetch-dogs.sh "$(CATS_DOGS_URL)" $(WORK)/download && \
		find $(WORK)/download/PetImages/Dog -type f -iname '*.jpg' | LC_ALL=C sort > $@.tmp; \
	fi
	[ -s $@.tmp ] || { echo "tutorial.mk: no photos found" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

# a seeded split: cksum (POSIX CRC) of "seed:name", so it is the same on
# every machine and does not change when photos are added
$(WORK)/split.list: $(WORK)/photos.list
	while read -r f; do \
		h=$$(printf '%s:%s' "$(SPLIT_SEED)" "$${f##*/}" | cksum | cut -d' ' -f1); \
		if [ $$((h % 100)) -lt $(TEST_PERCENT) ]; then echo "test $$f"; else echo "train $$f"; fi; \
	done < $(WORK)/photos.list > $@.tmp
	mv $@.tmp $@

# imgresize reports unreadable photos (the archive has zero-byte and corrupt
# ones) by name and skips them
$(WORK)/train.ts: $(SIZE_STAMP) $(WORK)/split.list
	sed -n 's/^train //p' $(WORK)/split.list | head -n $(N_TRAIN) > $@.files
	tr '\n' '\0' < $@.files | xargs -0 $(BIN)/imgresize $(SIZE) > $@.tmp
	rm -f $@.files
	mv $@.tmp $@

$(WORK)/test.ts: $(SIZE_STAMP) $(WORK)/split.list
	sed -n 's/^test //p' $(WORK)/split.list | head -n $(N_TEST) > $@.files
	tr '\n' '\0' < $@.files | xargs -0 $(BIN)/imgresize $(SIZE) > $@.tmp
	rm -f $@.files
	mv $@.tmp $@

# the tutorial's fixed noise, drawn once, rounded and clipped
$(WORK)/train-noisy.ts: $(NOISE_STAMP) $(WORK)/train.ts
	$(BIN)/addnoise -m $(NOISE_MEAN) -s $(NOISE_STD) --seed $(NOISE_SEED) < $(WORK)/train.ts > $@.tmp
	mv $@.tmp $@

$(WORK)/test-noisy.ts: $(NOISE_STAMP) $(WORK)/test.ts
	$(BIN)/addnoise -m $(NOISE_MEAN) -s $(NOISE_STD) --seed $(NOISE_SEED) < $(WORK)/test.ts > $@.tmp
	mv $@.tmp $@

data: $(SIZE_STAMP) $(WORK)/train.ts $(WORK)/test.ts $(WORK)/train-noisy.ts $(WORK)/test-noisy.ts

# ---------------------------------------------------------------------------
# train: daetrain with the tutorial's settings, then the loss curve

# FRESH_NOISE=1: daetrain draws the noise afresh every epoch instead of
# using the fixed noisy set (the tutorial's way)
$(MODEL): $(WORK)/train.ts $(WORK)/train-noisy.ts $(CFG) $(NOISE_STAMP)
	if [ "$(FRESH_NOISE)" = 1 ]; then \
		set -- -m $(NOISE_MEAN) -s $(NOISE_STD) $(WORK)/train.ts; \
	else \
		set -- $(WORK)/train.ts $(WORK)/train-noisy.ts; \
	fi; \
	$(BIN)/daetrain -c $(CFG) -o $(MODEL) -e $(EPOCHS) -b $(BATCH) --patience $(PATIENCE) \
		--seed $(SEED) -t $(THREADS) --log $(WORK)/train.csv $(TRAIN_OPTS) "$$@"

$(WORK)/train.csv: $(MODEL)

$(WORK)/loss.png: $(WORK)/train.csv pipelines/loss.gp
	gnuplot -e "csv='$(WORK)/train.csv'; out='$@.tmp'" pipelines/loss.gp
	mv $@.tmp $@

train: $(MODEL) $(WORK)/loss.png

# ---------------------------------------------------------------------------
# eval: denoise the test split, score it, draw the figure

$(WORK)/test-denoised.ts: $(WORK)/test-noisy.ts $(MODEL)
	$(BIN)/daeinfer -w $(MODEL) -t $(THREADS) < $(WORK)/test-noisy.ts > $@.tmp
	mv $@.tmp $@

$(WORK)/eval/noisy.csv: $(WORK)/test.ts $(WORK)/test-noisy.ts
	mkdir -p $(WORK)/eval
	$(BIN)/daeeval --csv $(WORK)/test.ts $(WORK)/test-noisy.ts > $@.tmp
	mv $@.tmp $@

$(WORK)/eval/denoised.csv: $(WORK)/test.ts $(WORK)/test-denoised.ts
	mkdir -p $(WORK)/eval
	$(BIN)/daeeval --csv $(WORK)/test.ts $(WORK)/test-denoised.ts > $@.tmp
	mv $@.tmp $@

$(WORK)/eval/report.txt: $(WORK)/eval/noisy.csv $(WORK)/eval/denoised.csv pipelines/report.sh
	sh pipelines/report.sh $(WORK)/eval/noisy.csv $(WORK)/eval/denoised.csv \
		"$(MODEL)" "$(NOISE_MEAN)" "$(NOISE_STD)" > $@.tmp
	mv $@.tmp $@

$(WORK)/eval/montage.png: $(WORK)/test.ts $(WORK)/test-noisy.ts $(WORK)/test-denoised.ts
	mkdir -p $(WORK)/eval
	rm -rf $@.d
	$(BIN)/daemontage -n $(MONTAGE_ROWS) -l clean,noisy,denoised $(WORK)/test.ts \
		$(WORK)/test-noisy.ts $(WORK)/test-denoised.ts | $(BIN)/unpack $@.d
	mv $@.d/montage.png $@
	rm -rf $@.d

eval: $(WORK)/eval/report.txt $(WORK)/eval/montage.png
	cat $(WORK)/eval/report.txt

clean:
	rm -rf $(WORK)

.PHONY: all data train eval clean
