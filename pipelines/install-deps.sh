#!/bin/sh
# install-deps.sh: the Debian 12 packages this project builds, tests and runs
# its pipelines with. Run as root (or through sudo). Python is needed only by
# daeconvert's importer (cmd/daeconvert.py: Debian's python3 with its onnx,
# h5py and numpy), which its tests run; no other tool or test uses it.
set -eu
[ "$(id -u)" -eq 0 ] && SUDO= || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
	build-essential make ca-certificates \
	libjpeg62-turbo-dev libpng-dev zlib1g-dev libopenblas-dev \
	bats bats-assert bats-support mandoc valgrind clang libclang-rt-14-dev \
	gnuplot-nox zip unzip curl time parallel openmpi-bin libopenmpi-dev \
	slurm-wlm munge \
	python3 python3-onnx python3-h5py python3-numpy
