# dae: a convolutional denoising autoencoder as Unix filters. See README.md.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

include config.mk

BIN = \
	addnoise \
	daeconvert \
	daeeval \
	daeinfer \
	daemontage \
	daetrain \
	imgresize \
	packtensor \
	unpack
# man pages by name; they live in man/man1 and man/man5
MAN1 = \
	addnoise.1 \
	daeconvert.1 \
	daeeval.1 \
	daeinfer.1 \
	daemontage.1 \
	daetrain.1 \
	imgresize.1 \
	packtensor.1 \
	unpack.1
MAN5 = \
	cfg.5 \
	model.5 \
	pack.5 \
	tensor.5

# lib/ is one folder per part (lib/README.md); listed by part
LIBHDR = \
	lib/io/afile.h \
	lib/io/cfg.h \
	lib/io/le.h \
	lib/io/pack.h \
	lib/io/source.h \
	lib/io/stream.h \
	lib/kernel/rng.h \
	lib/kernel/tensor.h \
	lib/image/image.h \
	lib/image/metrics.h \
	lib/image/noise.h \
	lib/nn/denoise.h \
	lib/nn/model.h \
	lib/nn/onnx.h \
	lib/nn/nn.h \
	lib/nn/train.h
LIBOBJ = \
	lib/io/afile.o \
	lib/io/cfg.o \
	lib/io/pack.o \
	lib/io/source.o \
	lib/io/stream.o \
	lib/kernel/parallel.o \
	lib/kernel/rng.o \
	lib/kernel/tensor.o \
	lib/kernel/tensor_avx2.o \
	lib/image/image.o \
	lib/image/metrics.o \
	lib/image/noise.o \
	lib/nn/denoise.o \
	lib/nn/model.o \
	lib/nn/onnx.o \
	lib/nn/nn.o \
	lib/nn/nn_act.o \
	lib/nn/nn_bn.o \
	lib/nn/nn_conv.o \
	lib/nn/nn_merge.o \
	lib/nn/nn_pool.o \
	lib/nn/nn_scale.o \
	lib/nn/train.o
CMDOBJ = \
	cmd/addnoise.o \
	cmd/daeconvert.o \
	cmd/daeeval.o \
	cmd/daeinfer.o \
	cmd/daetrain.o \
	cmd/daemontage.o \
	cmd/dist.o \
	cmd/imgresize.o \
	cmd/packtensor.o \
	cmd/unpack.o \
	cmd/util.o

TESTS = \
	tests/unit/test_bad \
	tests/unit/test_golden \
	tests/unit/test_image \
	tests/unit/test_metrics \
	tests/unit/test_model \
	tests/unit/test_nn \
	tests/unit/test_noise \
	tests/unit/test_pack \
	tests/unit/test_source \
	tests/unit/test_stream

all: $(BIN)

# Every object depends on every header and on the flags it was built with
# (.cflags), so make SAN=1 after a plain build rebuilds everything.
$(LIBOBJ) $(CMDOBJ): $(LIBHDR) cmd/util.h config.mk .cflags
cmd/daetrain.o cmd/dist.o: cmd/dist.h
.cflags: FORCE
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS) $(LDLIBS_TOOL) $(DISTCC_$(MPI)) $(DISTFLAGS_$(MPI)) $(LIBEXECDIR) $(PYTHON)' > .cflags.tmp; \
	if cmp -s .cflags.tmp .cflags; then rm -f .cflags.tmp; else mv .cflags.tmp .cflags; fi
FORCE:

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

libdae.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# daeconvert finds its importer, cmd/daeconvert.py, under LIBEXECDIR once
# installed, and runs it with PYTHON
cmd/daeconvert.o: cmd/daeconvert.c
	$(CC) $(CPPFLAGS) -DLIBEXECDIR=\"$(LIBEXECDIR)\" -DPYTHON=\"$(PYTHON)\" $(CFLAGS) -c -o $@ \
		cmd/daeconvert.c
daeconvert: cmd/daeconvert.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/daeconvert.o cmd/util.o libdae.a $(LDLIBS)
daeinfer: cmd/daeinfer.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/daeinfer.o cmd/util.o libdae.a $(LDLIBS)
# the MPI glue, and the program that links it, go through $(MPICC) with MPI=1
cmd/dist.o: cmd/dist.c
	$(DISTCC_$(MPI)) $(CPPFLAGS) $(DISTFLAGS_$(MPI)) $(CFLAGS) -c -o $@ cmd/dist.c
daetrain: cmd/daetrain.o cmd/dist.o cmd/util.o libdae.a
	$(DISTCC_$(MPI)) $(LDFLAGS) -o $@ cmd/daetrain.o cmd/dist.o cmd/util.o libdae.a $(LDLIBS)
imgresize: cmd/imgresize.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/imgresize.o cmd/util.o libdae.a $(LDLIBS_TOOL)
addnoise: cmd/addnoise.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/addnoise.o cmd/util.o libdae.a $(LDLIBS_TOOL)
packtensor: cmd/packtensor.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/packtensor.o cmd/util.o libdae.a $(LDLIBS_TOOL)
unpack: cmd/unpack.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/unpack.o cmd/util.o libdae.a $(LDLIBS_TOOL)
daeeval: cmd/daeeval.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/daeeval.o cmd/util.o libdae.a $(LDLIBS_TOOL)
daemontage: cmd/daemontage.o cmd/util.o libdae.a
	$(CC) $(LDFLAGS) -o $@ cmd/daemontage.o cmd/util.o libdae.a $(LDLIBS_TOOL)

# unit tests: one program per module
tests/unit/test_stream: tests/unit/test_stream.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_stream.c libdae.a $(LDLIBS)
tests/unit/test_noise: tests/unit/test_noise.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_noise.c libdae.a $(LDLIBS)
tests/unit/test_nn: tests/unit/test_nn.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_nn.c libdae.a $(LDLIBS)
tests/unit/test_golden: tests/unit/test_golden.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_golden.c libdae.a $(LDLIBS)
tests/unit/test_model: tests/unit/test_model.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_model.c libdae.a $(LDLIBS)
tests/unit/test_metrics: tests/unit/test_metrics.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_metrics.c libdae.a $(LDLIBS)
tests/unit/test_pack: tests/unit/test_pack.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_pack.c libdae.a $(LDLIBS)
tests/unit/test_source: tests/unit/test_source.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_source.c libdae.a $(LDLIBS)
tests/unit/test_bad: tests/unit/test_bad.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_bad.c libdae.a $(LDLIBS)
tests/unit/test_image: tests/unit/test_image.c tests/t.h libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit/test_image.c libdae.a $(LDLIBS)

test: check-deps all $(TESTS)
	sh tests/run $(TESTS)

# lib/'s parts depend one way (lib/README.md)
check-deps:
	sh tests/deps.sh

# the fast part of the command-line tests under valgrind's memcheck (see
# tests/cli/common.bash): the bad-input table and the plain filters
VALGRIND_TESTS = badinput|addnoise|unpack|daeeval
test-valgrind: all
	VALGRIND=1 TESTS_FILTER='$(VALGRIND_TESTS)' sh tests/run

# libFuzzer targets (tests/fuzz/README.md). Each is linked from the library
# sources it exercises, compiled by clang with the fuzzer's instrumentation,
# not from libdae.a; make fuzz runs each for FUZZ_SECONDS.
FUZZ = \
	tests/fuzz/fuzz_image \
	tests/fuzz/fuzz_model \
	tests/fuzz/fuzz_pack \
	tests/fuzz/fuzz_resume \
	tests/fuzz/fuzz_stream \
	tests/fuzz/fuzz_train
NNSRC = lib/nn/nn.c lib/nn/nn_act.c lib/nn/nn_bn.c lib/nn/nn_conv.c lib/nn/nn_merge.c lib/nn/nn_pool.c \
	lib/nn/nn_scale.c lib/kernel/tensor.c lib/kernel/tensor_avx2.c lib/kernel/parallel.c lib/kernel/rng.c
tests/fuzz/fuzz_stream: tests/fuzz/fuzz_stream.c tests/fuzz/fuzz.h lib/io/stream.c lib/image/noise.c \
		lib/kernel/tensor_avx2.c $(LIBHDR) config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz/fuzz_stream.c lib/io/stream.c lib/image/noise.c \
		lib/kernel/tensor_avx2.c -lm
tests/fuzz/fuzz_pack: tests/fuzz/fuzz_pack.c tests/fuzz/fuzz.h lib/io/pack.c lib/io/source.c lib/io/stream.c $(LIBHDR) config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz/fuzz_pack.c lib/io/pack.c lib/io/source.c \
		lib/io/stream.c -lz
tests/fuzz/fuzz_image: tests/fuzz/fuzz_image.c tests/fuzz/fuzz.h lib/image/image.c lib/kernel/tensor_avx2.c \
		$(LIBHDR) config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -o $@ tests/fuzz/fuzz_image.c lib/image/image.c \
		lib/kernel/tensor_avx2.c -ljpeg -lpng -lm
tests/fuzz/fuzz_model: tests/fuzz/fuzz_model.c tests/fuzz/fuzz.h lib/nn/model.c lib/io/afile.c lib/io/cfg.c \
		lib/nn/onnx.c $(NNSRC) $(LIBHDR) config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -pthread -o $@ tests/fuzz/fuzz_model.c lib/nn/model.c \
		lib/io/afile.c lib/io/cfg.c lib/nn/onnx.c $(NNSRC) -lz -lopenblas -lm
tests/fuzz/fuzz_train: tests/fuzz/fuzz_train.c tests/fuzz/fuzz.h lib/io/cfg.c $(NNSRC) $(LIBHDR) config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -pthread -o $@ tests/fuzz/fuzz_train.c lib/io/cfg.c \
		$(NNSRC) -lopenblas -lm
TRAINSRC = lib/nn/train.c lib/nn/model.c lib/io/afile.c lib/io/cfg.c lib/io/pack.c \
	lib/io/stream.c lib/image/noise.c
tests/fuzz/fuzz_resume: tests/fuzz/fuzz_resume.c tests/fuzz/fuzz.h $(TRAINSRC) $(NNSRC) $(LIBHDR) \
		config.mk
	$(FUZZCC) $(CPPFLAGS) $(FUZZFLAGS) -pthread -o $@ tests/fuzz/fuzz_resume.c $(TRAINSRC) \
		$(NNSRC) -lz -lopenblas -lm
fuzz: $(FUZZ)
	sh tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ)

# the pipelines (pipelines/*.mk); variables given on the command line
# (PHOTOS=, EPOCHS=, ...) reach them through MAKEFLAGS
demo: all
	$(MAKE) -f pipelines/demo.mk
data train eval: all
	$(MAKE) -f pipelines/tutorial.mk $@
# the blind colour denoiser models/denoise-color.bin, from CBSD432
train-color: all
	$(MAKE) -f pipelines/color.mk $@
# every shipped model on CBSD68 and Kodak24 at sigma 15, 25, 50 -> docs/quality.md
benchmark-quality: all
	sh pipelines/quality.sh

# benchmarks (bench/): not tests, nothing is checked; see bench/run.sh
BENCH = bench/nnbench bench/sgemm bench/memcpy
bench/nnbench: bench/nnbench.c libdae.a .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/nnbench.c libdae.a $(LDLIBS)
bench/sgemm: bench/sgemm.c .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/sgemm.c $(LDLIBS)
bench/memcpy: bench/memcpy.c .cflags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ bench/memcpy.c $(LDLIBS)
bench: all $(BENCH)
	sh bench/run.sh
# what daetrain's allreduces cost a step (docs/cluster.md); not in BENCH,
# since it needs MPI: make bench/allreduce, then mpirun -np 2 bench/allreduce
bench/allreduce: bench/allreduce.c
	$(MPICC) $(CFLAGS) $(LDFLAGS) -o $@ bench/allreduce.c

# Debian 12 packages to build, test and run the pipelines (as root)
deps:
	sh pipelines/install-deps.sh

# data-parallel training under mpirun; needs daetrain built with MPI, so
# run it as make MPI=1 test-mpi (.ci/run does)
test-mpi: all
	TESTS_BATS=tests/mpi sh tests/run

# the Slurm job scripts of pipelines/slurm, submitted to a private Slurm that
# tests/slurm/run starts for the run and stops after it; needs root,
# slurm-wlm and munge, and daetrain built with MPI: make MPI=1 test-slurm
test-slurm: all
	sh tests/slurm/run

lint: check-man check-deps
check-man:
	cd man/man1 && mandoc -T lint -W warning $(MAN1)
	cd man/man5 && mandoc -T lint -W warning $(MAN5)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(LIBEXECDIR)
	cp -f $(BIN) $(DESTDIR)$(PREFIX)/bin
	cd $(DESTDIR)$(PREFIX)/bin && chmod 755 $(BIN)
	cp -f cmd/daeconvert.py $(DESTDIR)$(LIBEXECDIR)
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/daeconvert.py
	for f in $(MAN1); do cp -f man/man1/$$f $(DESTDIR)$(MANPREFIX)/man1; done
	for f in $(MAN5); do cp -f man/man5/$$f $(DESTDIR)$(MANPREFIX)/man5; done
	cd $(DESTDIR)$(MANPREFIX)/man1 && chmod 644 $(MAN1)
	cd $(DESTDIR)$(MANPREFIX)/man5 && chmod 644 $(MAN5)

uninstall:
	cd $(DESTDIR)$(PREFIX)/bin && rm -f $(BIN)
	rm -f $(DESTDIR)$(LIBEXECDIR)/daeconvert.py
	cd $(DESTDIR)$(MANPREFIX)/man1 && rm -f $(MAN1)
	cd $(DESTDIR)$(MANPREFIX)/man5 && rm -f $(MAN5)

clean:
	rm -f $(BIN) $(LIBOBJ) $(CMDOBJ) libdae.a $(TESTS) $(BENCH) bench/allreduce $(FUZZ) .cflags .cflags.tmp

.PHONY: all test test-valgrind test-mpi test-slurm fuzz lint check-man check-deps install uninstall clean FORCE demo \
	data train eval train-color deps bench benchmark-quality
