# pipelines/demo.mk: the README's first command. Resizes the bundled sample
# photos to 300 x 300, adds the tutorial's noise, denoises them with the
# shipped model, scores both and lays clean | noisy | denoised side by side
# in $(OUT)/montage.png.
.POSIX:
.SUFFIXES:

BIN = .
OUT = demo
MODEL = models/seed.bin
SAMPLES = samples/dog.1.jpg samples/dog.13.jpg samples/dog.27.jpg samples/dog.143.jpg \
	samples/dog.185.jpg samples/dog.243.jpg

all: $(OUT)/montage.png $(OUT)/report.txt
	@cat $(OUT)/report.txt
	@echo "demo: the figure is $(OUT)/montage.png; denoised photos are in $(OUT)/denoised/"

$(OUT)/clean.ts: $(SAMPLES)
	mkdir -p $(OUT)
	$(BIN)/imgresize 300 $(SAMPLES) > $@.tmp
	mv $@.tmp $@

$(OUT)/noisy.ts: $(OUT)/clean.ts
	$(BIN)/addnoise -m 10 -s 50 < $(OUT)/clean.ts > $@.tmp
	mv $@.tmp $@

$(OUT)/denoised.ts: $(OUT)/noisy.ts $(MODEL)
	$(BIN)/daeinfer -w $(MODEL) < $(OUT)/noisy.ts > $@.tmp
	mv $@.tmp $@

$(OUT)/report.txt: $(OUT)/clean.ts $(OUT)/noisy.ts $(OUT)/denoised.ts
	{ echo "noisy vs clean:"; $(BIN)/daeeval $(OUT)/clean.ts $(OUT)/noisy.ts; \
	  echo "denoised vs clean:"; $(BIN)/daeeval $(OUT)/clean.ts $(OUT)/denoised.ts; } > $@.tmp
	mv $@.tmp $@

$(OUT)/montage.png: $(OUT)/clean.ts $(OUT)/noisy.ts $(OUT)/denoised.ts
	rm -rf $(OUT)/denoised $@.d
	$(BIN)/unpack $(OUT)/denoised < $(OUT)/denoised.ts
	$(BIN)/daemontage -n 6 -l clean,noisy,denoised $(OUT)/clean.ts $(OUT)/noisy.ts \
		$(OUT)/denoised.ts | $(BIN)/unpack $@.d
	mv $@.d/montage.png $@
	rm -rf $@.d

clean:
	rm -rf $(OUT)

.PHONY: all clean
