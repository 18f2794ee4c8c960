#!/usr/bin/env bats
# make install: an installed copy finds its models with no source tree.
# Runs make in the source tree with a temporary PREFIX; make test's own
# variables (SAN=1) reach it through MAKEFLAGS, so nothing else rebuilds,
# though the tree's cmd/modelpath.o and the programs linking it are relinked
# for that PREFIX (the next make relinks them back).

load common

@test "make install PREFIX= installs programs, pages and models" {
	p=$BATS_TEST_TMPDIR/prefix
	run make -C "$ROOT" install PREFIX="$p"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	for f in bin/daeinfer share/man/man1/daeinfer.1 share/man/man5/model.5 \
		share/dae/models/denoise-color.bin share/dae/models/denoise-color.cfg \
		share/dae/models/denoise-color-fast.bin share/dae/models/denoise-color-fast.cfg \
		share/dae/models/seed.bin share/dae/models/seed.cfg; do
		[ -f "$p/$f" ] || { echo "missing $f"; false; }
	done
	[ "$(stat -c %a "$p/share/dae/models/denoise-color.bin")" = 644 ]
	[ "$(stat -c %a "$p/bin/daeinfer")" = 755 ]
}

@test "an installed daeinfer denoises with no -w, away from the source tree" {
	p=$BATS_TEST_TMPDIR/prefix
	make -C "$ROOT" install PREFIX="$p" > /dev/null
	cd "$BATS_TEST_TMPDIR"
	mkrecord u8 x 24 20 3 > in.ts
	"$ROOT/daeinfer" -t 1 -w "$ROOT/models/denoise-color.bin" < in.ts > want.ts
	env -u DAE_MODEL_PATH HOME=$BATS_TEST_TMPDIR XDG_DATA_HOME= PATH=/usr/bin:/bin \
		"$p/bin/daeinfer" -t 1 < in.ts > got.ts
	cmp want.ts got.ts
	env -u DAE_MODEL_PATH HOME=$BATS_TEST_TMPDIR "$p/bin/daeinfer" -t 1 -w seed < in.ts > seed.ts
	"$ROOT/daeinfer" -t 1 -w "$ROOT/models/seed.bin" < in.ts > want.ts
	cmp want.ts seed.ts
}

@test "make install honours DESTDIR and make uninstall removes what it put" {
	d=$BATS_TEST_TMPDIR/stage
	make -C "$ROOT" install DESTDIR="$d" PREFIX=/opt/dae > /dev/null
	[ -f "$d/opt/dae/share/dae/models/denoise-color.bin" ]
	[ -x "$d/opt/dae/bin/daeinfer" ]
	make -C "$ROOT" uninstall DESTDIR="$d" PREFIX=/opt/dae > /dev/null
	[ -z "$(find "$d" -type f)" ]
}

@test "make keeps CFLAGS and LDFLAGS from the environment, then its own" {
	run -0 env CFLAGS=-DDAE_FROM_ENV LDFLAGS=-Wl,-z,relro make -n -C "$ROOT" -B cmd/util.o daeinfer
	[[ "$output" == *"-DDAE_FROM_ENV"*"-std=c17"* ]]
	[[ "$output" == *"-Wl,-z,relro"*"-pthread"* ]]
}

@test "make help names the targets" {
	run -0 make -s -C "$ROOT" help
	for t in all test install uninstall lint fuzz clean; do
		printf '%s\n' "$output" | grep -qw -- "$t" || { echo "no $t"; false; }
	done
}
