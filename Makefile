# dae: a convolutional denoising autoencoder as Unix filters. See README.md.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o .fz

include config.mk

BIN = \
	addnoise \
	daeconvert \
	daedenoise \
	daeeval \
	daeinfer \
	daemontage \
	daetrain \
	imgresize \
	packtensor \
	unpack
# A program is cmd/NAME.c, man/man1/NAME.1 and tests/cli/NAME.bats, linked
# from cmd/NAME.o, cmd/util.o, libdae.a and $(LDLIBS_TOOL). NAME_OBJ and
# NAME_LDLIBS add to that; NAME_MPI = $(MPI) links it through $(MPICC)
# under MPI=1.
daeconvert_LDLIBS = $(LDLIBS_BLAS)
daedenoise_LDLIBS = $(LDLIBS_BLAS)
# daedenoise is built on the public library, as a program outside would be
daedenoise_OBJ = cmd/modelpath.o libdae-public.a
daeinfer_LDLIBS = $(LDLIBS_BLAS)
daeinfer_OBJ = cmd/modelpath.o
daetrain_LDLIBS = $(LDLIBS_BLAS)
daetrain_OBJ = cmd/dist.o
daetrain_MPI = $(MPI)

# the shipped models, installed in MODELDIR with their cfgs
MODELS = \
	denoise-color \
	denoise-color-fast \
	seed

# man pages: one a program, and the formats
MAN1 = $(BIN:=.1)
MAN3 = dae.3
MAN5 = \
	cfg.5 \
	model.5 \
	pack.5 \
	tensor.5

# lib/ is one folder per part (lib/README.md)
LIBSRC = \
	lib/io/afile.c \
	lib/io/cfg.c \
	lib/io/pack.c \
	lib/io/source.c \
	lib/io/stream.c \
	lib/kernel/parallel.c \
	lib/kernel/rng.c \
	lib/kernel/tensor.c \
	lib/kernel/tensor_avx2.c \
	lib/image/decode.c \
	lib/image/encode.c \
	lib/image/estimate.c \
	lib/image/jpegq.c \
	lib/image/meta.c \
	lib/image/metrics.c \
	lib/image/noise.c \
	lib/image/resize.c \
	lib/nn/denoise.c \
	lib/nn/layer.c \
	lib/nn/model.c \
	lib/nn/onnx.c \
	lib/nn/nn.c \
	lib/nn/nn_act.c \
	lib/nn/nn_bn.c \
	lib/nn/nn_conv.c \
	lib/nn/nn_merge.c \
	lib/nn/nn_noisemap.c \
	lib/nn/nn_pool.c \
	lib/nn/nn_scale.c \
	lib/nn/train.c
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
	lib/image/jpegq.h \
	lib/image/meta.h \
	lib/image/metrics.h \
	lib/image/noise.h \
	lib/nn/denoise.h \
	lib/nn/layer.h \
	lib/nn/model.h \
	lib/nn/onnx.h \
	lib/nn/nn.h \
	lib/nn/train.h
LIBOBJ = $(LIBSRC:.c=.o)
# $(BIN:%=cmd/%.o) is a pattern macro expansion: POSIX since 2024, GNU make
# and bmake long before; a suffix substitution cannot put cmd/ in front.
CMDOBJ = $(BIN:%=cmd/%.o) cmd/dist.o cmd/modelpath.o cmd/util.o

# unit tests, one program a module, each from tests/unit/test_NAME.c
TESTS = \
	tests/unit/test_bad \
	tests/unit/test_dae \
	tests/unit/test_golden \
	tests/unit/test_image \
	tests/unit/test_jpegq \
	tests/unit/test_meta \
	tests/unit/test_metrics \
	tests/unit/test_model \
	tests/unit/test_nn \
	tests/unit/test_noise \
	tests/unit/test_pack \
	tests/unit/test_source \
	tests/unit/test_stream
# benchmarks (bench/): not tests, nothing is checked; see bench/run.sh
BENCH = bench/nnbench bench/sgemm bench/memcpy
# libFuzzer targets (tests/fuzz/README.md), each from tests/fuzz/fuzz_NAME.c
FUZZ = \
	tests/fuzz/fuzz_image \
	tests/fuzz/fuzz_model \
	tests/fuzz/fuzz_pack \
	tests/fuzz/fuzz_resume \
	tests/fuzz/fuzz_stream \
	tests/fuzz/fuzz_train

# the public library, lib/api/dae.h (dae(3))
LIBS = libdae.so.$(SOVERSION) libdae-public.a

all: $(BIN) $(LIBS)

# Every object depends on every header and on the flags it was built with
# (.cflags), so make SAN=1 after a plain build rebuilds everything.
$(LIBOBJ) $(CMDOBJ): $(LIBHDR) cmd/util.h config.mk .cflags
cmd/daetrain.o cmd/dist.o: cmd/dist.h
cmd/daeinfer.o cmd/daedenoise.o cmd/modelpath.o: cmd/modelpath.h
cmd/daedenoise.o: lib/api/dae.h
daedenoise: libdae-public.a
.cflags: FORCE
	@echo '$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(CFLAGS) $(DAE_CFLAGS) $(LDFLAGS) $(DAE_LDFLAGS) $(LDLIBS) $(LDLIBS_TOOL) $(DISTCC_$(MPI)) $(DISTFLAGS_$(MPI)) $(LIBEXECDIR) $(PYTHON)' > .cflags.tmp; \
	if cmp -s .cflags.tmp .cflags; then rm -f .cflags.tmp; else mv .cflags.tmp .cflags; fi
FORCE:

.c.o:
	$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(CFLAGS) $(DAE_CFLAGS) -c -o $@ $<

libdae.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

# The public library: lib/api/dae.o and the objects of libdae.a it needs.
# Everything is compiled with hidden visibility, so the shared library
# exports only dae.h's functions; the static one is the same objects linked
# into one (ld -r) with the hidden symbols made local, so a host's own
# cfg_* or t_* cannot clash with them. -Wl,--as-needed (GNU ld, gold, lld)
# keeps libjpeg and libpng, which it does not use, out of its NEEDED list.
lib/api/dae.o: lib/api/dae.c lib/api/dae.h $(LIBHDR) config.mk .cflags
libdae.so.$(SOVERSION): lib/api/dae.o libdae.a
	$(CC) $(LDFLAGS) $(DAE_LDFLAGS) -shared -Wl,-soname,libdae.so.$(SOVERSION) -Wl,--as-needed \
		-o $@ lib/api/dae.o libdae.a $(LDLIBS)
libdae-public.a: lib/api/dae.o libdae.a
	$(LD) -r -o lib/api/dae-all.o lib/api/dae.o libdae.a
	$(OBJCOPY) --localize-hidden lib/api/dae-all.o
	rm -f $@
	$(AR) rcs $@ lib/api/dae-all.o

# daeconvert finds its importer, cmd/daeconvert.py, under LIBEXECDIR once
# installed, and runs it with PYTHON
cmd/daeconvert.o: cmd/daeconvert.c
	$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) -DLIBEXECDIR=\"$(LIBEXECDIR)\" -DPYTHON=\"$(PYTHON)\" $(CFLAGS) $(DAE_CFLAGS) -c -o $@ \
		cmd/daeconvert.c
# -w NAME looks in MODELDIR last; only this object follows PREFIX (through
# .modeldir), so an install elsewhere rebuilds it and relinks, nothing more
cmd/modelpath.o: cmd/modelpath.c .modeldir
	$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) -DMODELDIR=\"$(MODELDIR)\" $(CFLAGS) $(DAE_CFLAGS) -c -o $@ \
		cmd/modelpath.c
.modeldir: FORCE
	@echo '$(MODELDIR)' > .modeldir.tmp; \
	if cmp -s .modeldir.tmp .modeldir; then rm -f .modeldir.tmp; else mv .modeldir.tmp .modeldir; fi
# the MPI glue goes through $(MPICC) with MPI=1, as does daetrain's link
cmd/dist.o: cmd/dist.c
	$(DISTCC_$(MPI)) $(CPPFLAGS) $(DAE_CPPFLAGS) $(DISTFLAGS_$(MPI)) $(CFLAGS) $(DAE_CFLAGS) -c -o $@ cmd/dist.c

# One link rule for every program. Each waits for all of cmd/'s objects (a
# rule's prerequisites are the same for all its targets), which can cost a
# relink, never a stale program.
$(BIN): $(CMDOBJ) libdae.a
	$(DISTCC_$($@_MPI)) $(LDFLAGS) $(DAE_LDFLAGS) -o $@ cmd/$@.o $($@_OBJ) cmd/util.o libdae.a $(LDLIBS_TOOL) $($@_LDLIBS)

# unit tests and benchmarks: a program from its one source and libdae.a
.c:
	$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(CFLAGS) $(DAE_CFLAGS) $(LDFLAGS) $(DAE_LDFLAGS) -o $@ $< libdae.a $(LDLIBS)
$(TESTS) $(BENCH): libdae.a .cflags
$(TESTS): tests/t.h
# the public library's test links it as a program outside would
tests/unit/test_dae: tests/unit/test_dae.c libdae-public.a lib/api/dae.h
	$(CC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(CFLAGS) $(DAE_CFLAGS) $(LDFLAGS) $(DAE_LDFLAGS) -o $@ \
		tests/unit/test_dae.c libdae-public.a $(LDLIBS)

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

# The fuzzers link the library built from the same LIBSRC by $(FUZZCC) with
# the fuzzer's instrumentation (lib/*/NAME.fz, archived as
# tests/fuzz/libdae.a), and the unit tests' libraries, so a library file
# that starts calling another needs no change here. make fuzz runs each
# target for FUZZ_SECONDS.
FUZZOBJ = $(LIBSRC:.c=.fz)
.c.fz:
	$(FUZZCC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(FUZZFLAGS) -c -o $@ $<
$(FUZZOBJ): $(LIBHDR) config.mk
tests/fuzz/libdae.a: $(FUZZOBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZOBJ)
$(FUZZ): $(FUZZ:=.c) tests/fuzz/fuzz.h tests/fuzz/libdae.a
	$(FUZZCC) $(CPPFLAGS) $(DAE_CPPFLAGS) $(FUZZFLAGS) -pthread -o $@ $@.c tests/fuzz/libdae.a $(LDLIBS)
fuzz: $(FUZZ)
	sh tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ)

# the pipelines (pipelines/*.mk); variables given on the command line
# (PHOTOS=, EPOCHS=, ...) reach them through MAKEFLAGS
demo: all
	$(MAKE) -f pipelines/demo.mk
data train eval: all
	$(MAKE) -f pipelines/tutorial.mk $@
# the colour denoiser models/denoise-color.bin, from CBSD432 and dogs
train-color: all
	$(MAKE) -f pipelines/color.mk $@
# every shipped model on CBSD68 and Kodak24 at sigma 15, 25, 50 -> docs/quality.md
benchmark-quality: all
	sh pipelines/quality.sh

bench: all $(BENCH)
	sh bench/run.sh
# what daetrain's allreduces cost a step (docs/cluster.md); not in BENCH,
# since it needs MPI: make bench/allreduce, then mpirun -np 2 bench/allreduce
bench/allreduce: bench/allreduce.c
	$(MPICC) $(CFLAGS) $(DAE_CFLAGS) $(LDFLAGS) $(DAE_LDFLAGS) -o $@ bench/allreduce.c

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
	cd man/man3 && mandoc -T lint -W warning $(MAN3)
	cd man/man5 && mandoc -T lint -W warning $(MAN5)

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
		$(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MODELDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANPREFIX)/man3
	cp -f $(BIN) $(DESTDIR)$(PREFIX)/bin
	cd $(DESTDIR)$(PREFIX)/bin && chmod 755 $(BIN)
	cp -f cmd/daeconvert.py $(DESTDIR)$(LIBEXECDIR)
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/daeconvert.py
	for f in $(MAN1); do cp -f man/man1/$$f $(DESTDIR)$(MANPREFIX)/man1; done
	for f in $(MAN5); do cp -f man/man5/$$f $(DESTDIR)$(MANPREFIX)/man5; done
	cd $(DESTDIR)$(MANPREFIX)/man1 && chmod 644 $(MAN1)
	cd $(DESTDIR)$(MANPREFIX)/man5 && chmod 644 $(MAN5)
	cp -f libdae.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)
	chmod 755 $(DESTDIR)$(LIBDIR)/libdae.so.$(SOVERSION)
	cd $(DESTDIR)$(LIBDIR) && ln -sf libdae.so.$(SOVERSION) libdae.so
	cp -f libdae-public.a $(DESTDIR)$(LIBDIR)/libdae.a
	cp -f lib/api/dae.h $(DESTDIR)$(INCLUDEDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' lib/api/dae.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/dae.pc
	cp -f man/man3/$(MAN3) $(DESTDIR)$(MANPREFIX)/man3
	cd $(DESTDIR)$(LIBDIR) && chmod 644 libdae.a pkgconfig/dae.pc
	chmod 644 $(DESTDIR)$(INCLUDEDIR)/dae.h $(DESTDIR)$(MANPREFIX)/man3/$(MAN3)
	for m in $(MODELS); do \
		cp -f models/$$m.bin models/$$m.cfg $(DESTDIR)$(MODELDIR) && \
		chmod 644 $(DESTDIR)$(MODELDIR)/$$m.bin $(DESTDIR)$(MODELDIR)/$$m.cfg || exit 1; \
	done

uninstall:
	cd $(DESTDIR)$(PREFIX)/bin && rm -f $(BIN)
	rm -f $(DESTDIR)$(LIBEXECDIR)/daeconvert.py
	cd $(DESTDIR)$(MANPREFIX)/man1 && rm -f $(MAN1)
	cd $(DESTDIR)$(MANPREFIX)/man5 && rm -f $(MAN5)
	cd $(DESTDIR)$(LIBDIR) && rm -f libdae.so libdae.so.$(SOVERSION) libdae.a pkgconfig/dae.pc
	rm -f $(DESTDIR)$(INCLUDEDIR)/dae.h $(DESTDIR)$(MANPREFIX)/man3/$(MAN3)
	for m in $(MODELS); do rm -f $(DESTDIR)$(MODELDIR)/$$m.bin $(DESTDIR)$(MODELDIR)/$$m.cfg; done

help:
	@echo 'make [VAR=value ...] target; the targets:'
	@echo '  all            build the programs and the library, dae(3) (default)'
	@echo '  test           unit and command-line tests; SAN=1 under ASan and UBSan'
	@echo '  test-valgrind  the fast command-line tests under valgrind'
	@echo '  test-mpi, test-slurm   data-parallel training tests (build with MPI=1)'
	@echo '  fuzz           the libFuzzer targets, FUZZ_SECONDS each (clang)'
	@echo '  lint           man pages (mandoc -T lint) and lib/ dependencies'
	@echo '  install, uninstall     programs, library, man pages and models under'
	@echo '                 DESTDIR PREFIX (now $(DESTDIR)$(PREFIX)); models in $(MODELDIR)'
	@echo '  demo, data, train, eval, train-color   the pipelines (README.md)'
	@echo '  bench, benchmark-quality   speed and quality figures'
	@echo '  deps           install the Debian 12 packages (as root)'
	@echo '  clean          remove what make built'
	@echo 'variables (config.mk): PREFIX MANPREFIX MODELDIR LIBDIR INCLUDEDIR DESTDIR CC OPT'
	@echo 'WERROR SAN MPI;'
	@echo 'CPPFLAGS, CFLAGS, LDFLAGS from the environment or command line are kept, with'
	@echo 'the project'"'"'s flags (config.mk) after them'

clean:
	rm -f $(BIN) $(LIBOBJ) $(CMDOBJ) libdae.a $(LIBS) lib/api/dae.o lib/api/dae-all.o $(TESTS) $(BENCH) bench/allreduce $(FUZZ) \
		$(FUZZOBJ) tests/fuzz/libdae.a .cflags .cflags.tmp .modeldir .modeldir.tmp

.PHONY: all help test test-valgrind test-mpi test-slurm fuzz lint check-man check-deps install uninstall clean FORCE demo \
	data train eval train-color deps bench benchmark-quality
