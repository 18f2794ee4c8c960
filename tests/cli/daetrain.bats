#!/usr/bin/env bats
# daetrain: behaviour of the command line program

load common

setup() {
	cd "$BATS_TEST_TMPDIR"
	for i in 1 2 3 4 5 6 7 8 9 10; do mkrecord u8 "img$i" 8 8 3; done > clean.ts
	addnoise -s 30 < clean.ts > noisy.ts
	CFG=$DATA/tiny.cfg
}

@test "daetrain --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr daetrain --help
	assert_output --partial "usage: daetrain"
}

@test "daetrain --version prints name and version" {
	run -0 daetrain --version
	assert_output --regexp '^daetrain [0-9]+\.[0-9]+$'
}

@test "daetrain synopsis in usage matches the man page" {
	usage_matches_man daetrain
}

@test "daetrain without -c or -o is a usage error" {
	run -2 --separate-stderr daetrain -o m.bin -s 25 clean.ts
	[[ "$stderr" == *"daetrain: -c: a network cfg is required"* ]]
	run -2 --separate-stderr daetrain -c "$CFG" -s 25 clean.ts
	[[ "$stderr" == *"daetrain: -o: an output model path is required"* ]]
}

@test "daetrain needs a noisy set or noise to draw, not both" {
	run -2 --separate-stderr daetrain -c "$CFG" -o m.bin clean.ts
	[[ "$stderr" == *"give a noisy set, or the noise to draw"* ]]
	run -2 --separate-stderr daetrain -c "$CFG" -o m.bin -s 25 clean.ts noisy.ts
	[[ "$stderr" == *"exclude each other"* ]]
}

@test "daetrain rejects bad numbers with exit 2" {
	run -2 daetrain -c "$CFG" -o m.bin -s 25 -e 0 clean.ts
	run -2 daetrain -c "$CFG" -o m.bin -s 25 -b x clean.ts
	run -2 daetrain -c "$CFG" -o m.bin --sigma 5 clean.ts
	run -2 daetrain -c "$CFG" -o m.bin -s 25 --monitor acc clean.ts
	run -2 daetrain -c "$CFG" -o m.bin -s 25 --monitor val_loss clean.ts
}

@test "daetrain trains on a noisy/clean pair and daeinfer uses the model" {
	run -0 --separate-stderr daetrain -q -c "$CFG" -o m.bin -e 2 -b 4 clean.ts noisy.ts
	[ -s m.bin ]
	[ -s m.bin.ckpt ]
	[ "$(head -c 8 m.bin)" = DAEMODEL ]
	daeinfer -w m.bin < noisy.ts > out.ts
	[ "$(stat -c %s out.ts)" -eq "$(stat -c %s noisy.ts)" ]
}

@test "daetrain prints one line per epoch with loss, validation and speed" {
	run -0 --separate-stderr daetrain -c "$CFG" -o m.bin -e 2 -b 4 -s 25 --val-split 0.2 clean.ts
	[ "$(printf '%s\n' "$stderr" | grep -c '^daetrain: epoch [12]/2: loss [0-9.]*, val_loss [0-9.]*, val_psnr [0-9.]* dB, [0-9.]* img/s')" -eq 2 ]
}

@test "daetrain --log writes a CSV row per epoch" {
	daetrain -q -c "$CFG" -o m.bin -e 3 --patience 0 -b 4 -s 25 --log log.csv clean.ts
	[ "$(head -1 log.csv)" = "epoch,loss,val_loss,val_psnr,seconds,images_per_s" ]
	[ "$(wc -l < log.csv)" -eq 4 ]
	[ "$(tail -1 log.csv | cut -d, -f1)" = 3 ]
}

@test "daetrain --val validates on another set" {
	head -c $((3 * (12 + 12 + 4 + 192))) clean.ts > val.ts
	run -0 --separate-stderr daetrain -c "$CFG" -o m.bin -e 1 -b 4 -s 25 --val val.ts clean.ts
	[[ "$stderr" == *"val_psnr"* ]]
}

@test "daetrain trains from packs exactly as from streams" {
	packtensor -o clean.pack < clean.ts
	packtensor -o noisy.pack < noisy.ts
	daetrain -q -t 1 -c "$CFG" -o a.bin -e 2 -b 4 clean.ts noisy.ts
	daetrain -q -t 1 -c "$CFG" -o b.bin -e 2 -b 4 clean.pack noisy.pack
	cmp a.bin b.bin
}

@test "daetrain is deterministic for a seed" {
	daetrain -q -t 1 -c "$CFG" -o a.bin -e 2 -b 4 -s 25 --seed 7 clean.ts
	daetrain -q -t 1 -c "$CFG" -o b.bin -e 2 -b 4 -s 25 --seed 7 clean.ts
	daetrain -q -t 1 -c "$CFG" -o c.bin -e 2 -b 4 -s 25 --seed 8 clean.ts
	cmp a.bin b.bin
	! cmp -s a.bin c.bin
}

@test "daetrain --augment-color recolours colour samples only, reproducibly" {
	for i in 1 2 3 4 5 6; do mkvals u8 "g$i" 8 8 3 20 20 20 200 200 200 9$i 9$i 9$i; done > gray.ts
	daetrain -q -t 1 -c "$CFG" -o a.bin -e 2 -b 4 -s 25 gray.ts
	daetrain -q -t 1 -c "$CFG" -o b.bin -e 2 -b 4 -s 25 --augment-color gray.ts
	cmp a.bin b.bin
	daetrain -q -t 1 -c "$CFG" -o c.bin -e 2 -b 4 -s 25 clean.ts
	daetrain -q -t 1 -c "$CFG" -o d.bin -e 2 -b 4 -s 25 --augment-color clean.ts
	daetrain -q -t 1 -c "$CFG" -o e.bin -e 2 -b 4 -s 25 --augment-color clean.ts
	run ! cmp -s c.bin d.bin
	cmp d.bin e.bin
}

@test "daetrain --resume continues bit for bit" {
	daetrain -q -t 1 -c "$CFG" -o full.bin -e 3 --patience 0 -b 4 -s 25 clean.ts
	daetrain -q -t 1 -c "$CFG" -o part.bin -e 1 --patience 0 -b 4 -s 25 clean.ts
	daetrain -q -t 1 -c "$CFG" -o part.bin -e 3 --patience 0 -b 4 -s 25 --resume clean.ts
	cmp full.bin part.bin
}

@test "daetrain on SIGINT keeps a checkpoint that resumes bit for bit" {
	for i in $(seq 1 40); do mkrecord u8 "b$i" 16 16 3; done > big.ts
	daetrain -q -t 1 -c "$CFG" -o full.bin -e 4 --patience 0 -b 2 -s 25 big.ts
	daetrain -q -t 1 -c "$CFG" -o cut.bin -e 4 --patience 0 -b 2 -s 25 big.ts 2> err.txt &
	pid=$!
	# as soon as epoch 1 is checkpointed, interrupt; the run may finish first
	while [ ! -e cut.bin.ckpt ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
	kill -INT $pid 2>/dev/null || true
	status=0
	wait $pid || status=$?
	if [ $status -ne 0 ]; then
		[ $status -eq 1 ]
		grep -q "daetrain: interrupted in epoch [0-9]*; checkpoint cut.bin.ckpt; continue with --resume" err.txt
		[ ! -e cut.bin ]
		daetrain -q -t 1 -c "$CFG" -o cut.bin -e 4 --patience 0 -b 2 -s 25 --resume big.ts
	fi
	cmp full.bin cut.bin
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "daetrain on SIGTERM keeps the last good checkpoint and no temporary file" {
	for i in $(seq 1 40); do mkrecord u8 "b$i" 16 16 3; done > big.ts
	daetrain -q -t 1 -c "$CFG" -o full.bin -e 4 --patience 0 -b 2 -s 25 big.ts
	daetrain -q -t 1 -c "$CFG" -o cut.bin -e 4 --patience 0 -b 2 -s 25 big.ts 2> err.txt &
	pid=$!
	while [ ! -e cut.bin.ckpt ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
	kill -TERM $pid 2>/dev/null || true
	status=0
	wait $pid || status=$?
	if [ $status -ne 0 ]; then
		[ $status -eq 1 ]
		[ "$(wc -l < err.txt)" -eq 1 ]
		grep -q "^daetrain: interrupted in epoch [0-9]*; checkpoint cut.bin.ckpt; continue with --resume$" err.txt
		[ ! -e cut.bin ]
		daetrain -q -t 1 -c "$CFG" -o cut.bin -e 4 --patience 0 -b 2 -s 25 --resume big.ts
	fi
	cmp full.bin cut.bin
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "daetrain --resume refuses a checkpoint of another network" {
	daetrain -q -c "$CFG" -o m.bin -e 1 -b 4 -s 25 clean.ts
	sed 's/filters = 8/filters = 6/' "$CFG" > other.cfg
	run -1 --separate-stderr daetrain -q -c other.cfg -o m.bin -e 2 -b 4 -s 25 --resume clean.ts
	[[ "$stderr" == "daetrain: --resume: m.bin.ckpt: tensor 'L0.weight' is f32 3x3x3x8, the network wants f32 3x3x3x6" ]]
}

@test "daetrain --resume without a checkpoint is an error" {
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -e 2 -s 25 --resume clean.ts
	[[ "$stderr" == "daetrain: --resume: m.bin.ckpt: No such file or directory" ]]
}

@test "daetrain --init starts from another model's weights, with a fresh run" {
	daetrain -q -t 1 -c "$CFG" -o a.bin -e 4 --patience 0 -b 2 -s 25 clean.ts
	daetrain -q -t 1 -c "$CFG" -o fresh.bin -e 1 --patience 0 -b 2 -s 25 --log fresh.csv clean.ts
	daetrain -q -t 1 -c "$CFG" -o warm.bin -e 1 --patience 0 -b 2 -s 25 --log warm.csv \
		--init a.bin clean.ts
	# the same data, order and noise: only the starting weights differ
	fresh=$(sed -n 2p fresh.csv | cut -d, -f2)
	warm=$(sed -n 2p warm.csv | cut -d, -f2)
	awk -v f="$fresh" -v w="$warm" 'BEGIN { exit !(w < f) }'
	run ! cmp -s a.bin warm.bin
	# and such a run resumes bit for bit
	daetrain -q -t 1 -c "$CFG" -o full.bin -e 3 --patience 0 -b 2 -s 25 --init a.bin clean.ts
	daetrain -q -t 1 -c "$CFG" -o part.bin -e 1 --patience 0 -b 2 -s 25 --init a.bin clean.ts
	daetrain -q -t 1 -c "$CFG" -o part.bin -e 3 --patience 0 -b 2 -s 25 --init a.bin \
		--resume clean.ts
	cmp full.bin part.bin
	sed 's/filters = 8/filters = 6/' "$CFG" > other.cfg
	run -1 --separate-stderr daetrain -q -c other.cfg -o m.bin -e 1 -s 25 --init a.bin clean.ts
	[[ "$stderr" == "daetrain: --init: a.bin: tensor 'L0.weight' is f32 3x3x3x8, the network wants f32 3x3x3x6" ]]
	[ ! -e m.bin ]
}

@test "daetrain refuses noisy and clean sets of different counts" {
	head -c $((9 * 220)) noisy.ts > short.ts
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -e 1 clean.ts short.ts
	[[ "$stderr" == "daetrain: noisy set is 9 x 8x8x3, clean set 10 x 8x8x3" ]]
	[ ! -e m.bin ]
}

@test "daetrain trains on patches of images of mixed sizes, not on the whole images" {
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 10 3; mkrecord u8 c 12 6 3; } > mixed.ts
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 mixed.ts
	[[ "$stderr" == "daetrain: images differ in size: train on patches of them (--patch)" ]]
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 --patch 8 mixed.ts
	[[ "$stderr" == "daetrain: patch 8 is larger than the images" ]]
	run -0 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 --patch 6 -b 2 -e 2 mixed.ts
	[ -s m.bin ]
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 8 1; } > chans.ts
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 --patch 6 chans.ts
	[[ "$stderr" == "daetrain: chans.ts: record 2: 1 channels u8, record 1 was 3 channels u8" ]]
}

@test "daetrain --lr-min decays the rate and must be below it" {
	run -2 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 -l 1e-3 --lr-min 1e-3 clean.ts
	[[ "$stderr" == *"--lr-min: must be below the rate (-l)"* ]]
	daetrain -q -c "$CFG" -o a.bin -e 2 -b 4 -s 25 clean.ts
	daetrain -q -c "$CFG" -o b.bin -e 2 -b 4 -s 25 --lr-min 1e-5 clean.ts
	! cmp -s a.bin b.bin
}

@test "daetrain refuses an empty stream" {
	: > empty.ts
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 empty.ts
	[[ "$stderr" == "daetrain: empty.ts: no images" ]]
}

@test "daetrain reports a truncated stream by record" {
	head -c 500 clean.ts > trunc.ts
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m.bin -s 25 trunc.ts
	[[ "$stderr" == "daetrain: trunc.ts: record 3 (byte 440): stream ends inside a record" ]]
}

@test "daetrain reports a cfg error with its file and line" {
	printf '[net]\n[conv]\nfilters = 4\nkernel = 3\n' > bad.cfg
	run -1 --separate-stderr daetrain -q -c bad.cfg -o m.bin -s 25 clean.ts
	[[ "$stderr" == "daetrain: bad.cfg:4: unknown key 'kernel' in [conv]" ]]
}

@test "daetrain refuses a network that changes the image shape" {
	printf '[net]\n[conv]\nfilters = 4\nsize = 3\npad = same\n' > four.cfg
	run -1 --separate-stderr daetrain -q -c four.cfg -o m.bin -s 25 clean.ts
	[[ "$stderr" == *"a denoiser keeps the shape"* ]]
}

@test "daetrain into an unwritable directory fails and leaves nothing" {
	mkdir ro
	chmod 555 ro
	if [ "$(id -u)" -eq 0 ]; then
		# root ignores permissions; a missing directory fails for everyone
		run -1 --separate-stderr daetrain -q -c "$CFG" -o nodir/m.bin -e 1 -s 25 clean.ts
		[[ "$stderr" == "daetrain: nodir/m.bin.ckpt: No such file or directory" ]]
	else
		run -1 --separate-stderr daetrain -q -c "$CFG" -o ro/m.bin -e 1 -s 25 clean.ts
		[[ "$stderr" == *"Permission denied"* ]]
	fi
	[ -z "$(ls -A ro)" ]
}

@test "daetrain built without MPI refuses to be one of several processes" {
	if ldd "$ROOT/daetrain" | grep -q libmpi; then
		skip "daetrain is built with MPI; tests/mpi covers it"
	fi
	run -1 --separate-stderr env OMPI_COMM_WORLD_SIZE=2 daetrain -q -c "$CFG" -o m.bin -s 25 clean.ts
	[[ "$stderr" == "daetrain: started as one of 2 processes, but built without MPI; build with make MPI=1" ]]
	run -1 --separate-stderr env PMI_SIZE=4 daetrain -q -c "$CFG" -o m.bin -s 25 clean.ts
	[[ "$stderr" == *"one of 4 processes"* ]]
	[ ! -e m.bin ]
	OMPI_COMM_WORLD_SIZE=1 daetrain -q -c "$CFG" -o m.bin -e 1 -s 25 clean.ts
}

@test "daetrain on SIGHUP checkpoints and stops, leaving no temporary file" {
	for i in $(seq 1 40); do mkrecord u8 "b$i" 16 16 3; done > big.ts
	daetrain -q -t 1 -c "$CFG" -o cut.bin -e 1000 --patience 0 -b 2 -s 25 big.ts 2> err.txt &
	pid=$!
	while [ ! -e cut.bin.ckpt ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
	kill -HUP $pid
	status=0
	wait $pid || status=$?
	[ $status -eq 1 ]
	grep -q "^daetrain: interrupted in epoch [0-9]*; checkpoint cut.bin.ckpt; continue with --resume$" err.txt
	[ ! -e cut.bin ]
	[ -z "$(ls -A | grep '^\.')" ]
	# the checkpoint is whole: it loads as a model
	daeinfer -w cut.bin.ckpt clean.ts > /dev/null
}

@test "daetrain refuses to replace a FIFO or a directory with -o, --log or --checkpoint, before training" {
	mkfifo fifo
	mkdir dir
	for args in "-o fifo" "-o dir" "-o m.bin --log fifo" "-o m.bin --checkpoint fifo" \
		"-o m.bin --checkpoint dir"; do
		run -1 --separate-stderr daetrain -q -c "$CFG" $args -e 1 -s 25 clean.ts
		[[ "$stderr" == "daetrain: "*": not a regular file" ]]
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	# the default checkpoint name too
	mkfifo m2.bin.ckpt
	run -1 --separate-stderr daetrain -q -c "$CFG" -o m2.bin -e 1 -s 25 clean.ts
	[ "$stderr" = "daetrain: m2.bin.ckpt: not a regular file" ]
	[ -p fifo ] && [ -d dir ] && [ -p m2.bin.ckpt ] && [ ! -e m.bin ] && [ ! -e m2.bin ]
}

@test "daetrain --dry-run checks the run and writes nothing" {
	run -0 --separate-stderr daetrain --dry-run -c "$CFG" -o m.bin --log log.csv -s 25 clean.ts
	[ -z "$output" ] && [ -z "$stderr" ]
	[ ! -e m.bin ] && [ ! -e m.bin.ckpt ] && [ ! -e log.csv ]
	[ -z "$(find . -name '*.tmp*')" ]
	run -1 --separate-stderr daetrain --dry-run -c "$CFG" -o m.bin --val-split 0.5 --patch 12 \
		-s 25 clean.ts
	[[ "$stderr" == "daetrain: "* ]]
	[ ! -e m.bin ]
}

@test "daetrain names the nearest sizes a network keeps" {
	# the seed network keeps sizes of 4 mod 8
	for i in 1 2; do mkrecord u8 "s$i" 13 13 3; done > s13.ts
	run -1 --separate-stderr daetrain --dry-run -c "$ROOT/models/seed.cfg" -o m.bin -s 25 s13.ts
	[[ "$stderr" == *"maps 13x13x3 to 12x12x3; a denoiser keeps the shape; the nearest sizes it keeps are 12x12 and 20x20" ]]
	for i in 1 2; do mkrecord u8 "s$i" 12 20 3; done > s12.ts
	run -0 daetrain --dry-run -c "$ROOT/models/seed.cfg" -o m.bin -s 25 s12.ts
}

@test "daetrain: a [noisemap] network trains on noise it draws, not on a noisy set" {
	run -1 --separate-stderr daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o m.bin -e 1 -b 4 \
		clean.ts noisy.ts
	[[ "$stderr" == "daetrain: the network takes the noise level ([noisemap]): train it on"* ]]
	[ ! -e m.bin ]
	run -1 daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o m.bin -e 1 -b 4 --val clean.ts,noisy.ts \
		-s 25 clean.ts
	[ ! -e m.bin ]
	daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o m.bin -e 1 -b 4 -s 25 clean.ts
	daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o m2.bin -e 1 -b 4 --sigma 5:50 clean.ts
}
