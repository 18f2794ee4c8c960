#!/usr/bin/env bats
# Sharded inference (docs/cluster.md): GNU parallel and make -j over shards
# of a set give, byte for byte, what one serial pipeline gives.

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir in
	# six shards of 1 to 6 images of two sizes; names unique across shards
	for s in 1 2 3 4 5 6; do
		for i in $(seq 1 "$s"); do
			mkrecord u8 "s$s.$i" $((8 + 4 * (i % 2))) 8 3
		done > "in/shard$s.ts"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do mkrecord u8 "t$i" 8 8 3; done > train.ts
	daetrain -q -t 1 -c "$DATA/tiny.cfg" -o m.bin -e 1 -b 4 -s 25 train.ts
	cat in/shard*.ts | addnoise -s 25 | daeinfer -w m.bin > serial.ts
}

@test "GNU parallel with 2 jobs and --keep-order writes the serial pipeline's bytes" {
	parallel --will-cite -j 2 --keep-order 'addnoise -s 25 < {} | daeinfer -t 1 -w m.bin' \
		::: in/shard*.ts > par.ts
	cmp serial.ts par.ts
}

@test "GNU parallel with several shards a job writes the serial pipeline's bytes" {
	parallel --will-cite -j 2 -n 2 --keep-order 'cat {} | addnoise -s 25 | daeinfer -t 1 -w m.bin' \
		::: in/shard*.ts > par.ts
	cmp serial.ts par.ts
}

@test "make -j 2 -f pipelines/shards.mk writes the serial pipeline's bytes" {
	make -s -j 2 -f "$ROOT/pipelines/shards.mk" BIN="$ROOT" MODEL=m.bin NOISE='-s 25' \
		OUT=made.ts PARTS="$(echo in/shard*.ts | sed 's/\.ts/.den/g')"
	cmp serial.ts made.ts
	[ -z "$(ls in | grep tmp)" ]
	# a rerun has nothing to do (-q: exit 0 when every target is up to date,
	# 1 when something would run; make's own message would depend on the
	# MAKEFLAGS a calling make -s passes down)
	run -0 make -q -f "$ROOT/pipelines/shards.mk" BIN="$ROOT" MODEL=m.bin NOISE='-s 25' \
		OUT=made.ts PARTS="$(echo in/shard*.ts | sed 's/\.ts/.den/g')"
	touch m.bin
	run -1 make -q -f "$ROOT/pipelines/shards.mk" BIN="$ROOT" MODEL=m.bin NOISE='-s 25' \
		OUT=made.ts PARTS="$(echo in/shard*.ts | sed 's/\.ts/.den/g')"
}

@test "pipelines/shards.mk refuses an empty PARTS" {
	run -2 make -s -f "$ROOT/pipelines/shards.mk" MODEL=m.bin
	[[ "$output" == *"shards.mk: PARTS is empty"* ]]
}
