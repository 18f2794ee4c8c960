#!/usr/bin/env bats
# The public library, dae(3): what an installed copy gives a program.
# Installs into a temporary PREFIX as tests/cli/install.bats does (make
# test's variables reach make through MAKEFLAGS).

load common

setup_file() {
	P=$BATS_FILE_TMPDIR/prefix
	make -C "$ROOT" install PREFIX="$P" > "$BATS_FILE_TMPDIR/install.log" 2>&1
	# a library built with make SAN=1 needs its programs built so too
	SAN=
	if readelf -d "$ROOT/libdae.so.0" | grep -q libasan; then
		SAN="-fsanitize=address,undefined"
	fi
	export P SAN
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# the example program of dae(3), as the page shows it
example() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$ROOT/man/man3/dae.3" |
		sed -n '/^\.Bd -literal$/,/^\.Ed$/p' | sed '1d;$d' | sed 's/\\e/\\/g; s/^\\&//'
}

@test "libdae.so has a soname and exports only dae_ symbols" {
	run -0 readelf -d "$ROOT/libdae.so.0"
	assert_output --partial "Library soname: [libdae.so.0]"
	nm -D --defined-only "$ROOT/libdae.so.0" | awk '{ print $3 }' > syms
	[ -s syms ]
	run grep -v '^dae_' syms
	[ -z "$output" ]
}

@test "the static libdae.a leaves only dae_ symbols global" {
	nm -g --defined-only "$P/lib/libdae.a" | awk 'NF == 3 { print $3 }' > syms
	grep -q '^dae_denoise$' syms
	run grep -v '^dae_' syms
	[ -z "$output" ]
}

@test "every function dae.h declares is on dae(3)" {
	for f in $(sed -n 's/^DAE_API [^(]*[ *]\(dae_[a-z_]*\)(.*/\1/p' "$P/include/dae.h"); do
		grep -q "^\.Fn $f " "$ROOT/man/man3/dae.3" || { echo "$f not on dae.3"; false; }
	done
}

@test "dae(3)'s example, built with pkg-config against the installed copy, gives daeinfer's bytes" {
	example > denoise.c
	export PKG_CONFIG_PATH=$P/lib/pkgconfig
	cc -std=c17 -Wall -Wextra -Werror $SAN -o denoise denoise.c $(pkg-config --cflags --libs dae) \
		-Wl,-rpath,"$P/lib"
	# the installed shared library, not the tree's
	ldd ./denoise | grep -q "$P/lib/libdae.so.0"
	mkppm 130 97 > in.ppm
	./denoise "$P/share/dae/models/denoise-color.bin" < in.ppm > got.ppm 2> /dev/null
	imgresize 100% in.ppm | daeinfer -t 1 -w "$ROOT/models/denoise-color.bin" | unpack -f ppm out
	cmp out/in.ppm got.ppm
}

@test "the example also links statically" {
	example > denoise.c
	export PKG_CONFIG_PATH=$P/lib/pkgconfig
	cc -std=c17 $SAN -o denoise denoise.c $(pkg-config --cflags dae) "$P/lib/libdae.a" \
		$(pkg-config --static --libs-only-l dae | sed 's/-ldae//')
	! ldd ./denoise | grep -q libdae
	mkppm 40 30 > in.ppm
	./denoise "$P/share/dae/models/seed.bin" < in.ppm > got.ppm 2> /dev/null
	imgresize 100% in.ppm | daeinfer -t 1 -w "$ROOT/models/seed.bin" | unpack -f ppm out
	cmp out/in.ppm got.ppm
}

@test "the example reports a missing model by the library's message" {
	example > denoise.c
	export PKG_CONFIG_PATH=$P/lib/pkgconfig
	cc -std=c17 $SAN -o denoise denoise.c $(pkg-config --cflags --libs dae) -Wl,-rpath,"$P/lib"
	mkppm 8 8 > in.ppm
	run -1 --separate-stderr ./denoise nosuch.bin < in.ppm
	[ "${stderr%%$'\n'*}" = "denoise: nosuch.bin: No such file or directory" ]
	[ -z "$output" ]
}
