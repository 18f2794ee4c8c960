# config.mk: paths and flags; any of these can be overridden on the command
# line, e.g. make install PREFIX=$HOME/.local, or make test SAN=1.
VERSION = 0.1

PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
# the shipped models (models/*.bin and their cfgs), where -w NAME finds them
# last (daeinfer(1)); compiled into the programs, so an installed copy needs
# no source tree
MODELDIR = $(PREFIX)/share/dae/models
# the library (dae(3)): libdae.so.$(SOVERSION), libdae.a, dae.h and dae.pc
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
# the soname's number: bump it when dae.h changes incompatibly
SOVERSION = 0
# daeconvert's importer (cmd/daeconvert.py) is installed in LIBEXECDIR and run
# by PYTHON, which needs the onnx, h5py and numpy modules (Debian's
# python3-onnx, python3-h5py, python3-numpy); no other program uses Python
LIBEXECDIR = $(PREFIX)/libexec/dae
PYTHON = /usr/bin/python3

CC = cc
AR = ar
# the public static library is one relocatable object (ld -r) whose hidden
# symbols objcopy makes local, so they cannot clash with a host's
LD = ld
OBJCOPY = objcopy
# -Werror is on so CI and developers see every warning as an error; a user
# on another compiler can build with make WERROR=
WERROR = -Werror
OPT = -O2
# SAN=1 builds with AddressSanitizer and UBSan. The nested expansion
# $(SANFLAGS_$(SAN)) is POSIX.1-2024 make and GNU make; unset SAN expands to
# the empty SANFLAGS_.
SAN =
SANFLAGS_1 = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# MPI=1 builds daetrain for mpirun and srun (docs/cluster.md): cmd/dist.c is
# compiled with -DDAE_MPI and daetrain linked by the MPI compiler wrapper,
# selected by the same nested expansion as SAN. Nothing else uses MPI, and
# the default build does not need it.
MPI =
MPICC = mpicc
DISTCC_ = $(CC)
DISTCC_1 = $(MPICC)
DISTFLAGS_1 = -DDAE_MPI
# The project's flags are DAE_*; CPPFLAGS, CFLAGS and LDFLAGS are left
# undefined here, so those a packager puts in the environment
# (dpkg-buildflags: hardening, -ffile-prefix-map) or on the command line are
# kept, and the project's are appended after them. After, because make's
# built-in CFLAGS (-O1 under .POSIX in GNU make 4.4) must not undo $(OPT);
# for another optimisation level set OPT.
DAE_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DVERSION=\"$(VERSION)\"
# -fPIC and hidden visibility for the shared library: only what dae.h marks
# DAE_API is exported from it
DAE_CFLAGS = -std=c17 $(OPT) -g -pthread -fPIC -fvisibility=hidden -Wall -Wextra -pedantic \
	$(WERROR) $(SANFLAGS_$(SAN))
DAE_LDFLAGS = -pthread $(SANFLAGS_$(SAN))
# Only the programs that run networks link OpenBLAS: loading it starts its
# thread pool, whose idle threads spin on the cores the other programs'
# own threads want (addnoise -t 2 ran slower than -t 1 with it loaded).
# The Makefile adds LDLIBS_BLAS for those programs only (daeinfer_LDLIBS);
# LDLIBS, all of it, is for the tests, benchmarks and fuzzers.
LDLIBS_TOOL = -ljpeg -lpng -lz -lm
LDLIBS_BLAS = -lopenblas
LDLIBS = $(LDLIBS_TOOL) $(LDLIBS_BLAS)

# make fuzz: libFuzzer targets need clang (Debian: clang, libclang-rt-14-dev);
# each runs FUZZ_SECONDS seconds
FUZZCC = clang
FUZZFLAGS = -std=c17 -g -O1 -Wall -Wextra -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS = 60
