#!/usr/bin/env bats
# pipelines/slurm/infer.sh: a folder of photos denoised by a job array, one
# task a shard, and a final check job; the output is the serial pipeline's.

load slurm

setup_file() {
	slurm_check
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 11 colour photos of kinds imgresize reads (JPEG, CMYK, EXIF-rotated,
	# progressive, PNG palette, alpha, interlaced), in 4 shards of 3
	mkdir photos
	for f in rgb.jpg rgb.png exif3.jpg exif6.jpg progressive.jpg restart.jpg \
		interlaced.png palette.png rgba.png cmyk.jpg thumb.jpg; do
		cp "$DATA/$f" "photos/${f%.*}-${f#*.}.${f#*.}"
	done
	ls photos/* | LC_ALL=C sort > photos.list
	mkset 10 8 > train.ts
	daetrain -q -t 1 -c "$DATA/tiny.cfg" -o m.bin -e 1 -b 4 -s 25 train.ts
	tr '\n' '\0' < photos.list | xargs -0 imgresize 32 | addnoise -m 10 -s 50 |
		daeinfer -w m.bin > serial.ts
	export BIN=$ROOT SIZE=32 PER=3
}

@test "a job array and its check write the serial pipeline's bytes" {
	set -- $(sh "$SLURM/infer.sh" photos.list m.bin out.ts)
	[ "$(wait_job "$2")" = COMPLETED ]
	cat out.ts.shards/check.log
	for i in 0 1 2 3; do
		[ "$(job_field "${1}_$i" JobState)" = COMPLETED ]
	done
	[ "$(ls out.ts.shards/*.den | wc -l)" -eq 4 ]
	cmp serial.ts out.ts
	[ -z "$(ls out.ts.shards | grep tmp)" ]
}

@test "the check names a missing shard, writes nothing, and a rerun does that shard alone" {
	set -- $(sh "$SLURM/infer.sh" photos.list m.bin out.ts)
	[ "$(wait_job "$2")" = COMPLETED ]
	# a lost part, as from a task that failed
	rm out.ts out.ts.shards/shard.0002.den
	sleep 1
	touch stamp
	id=$(sbatch --parsable --output=check.log "$SLURM/check.sbatch" out.ts.shards)
	[ "$(wait_job "$id")" = FAILED ]
	cat check.log
	grep -q "dae-check: shards 2 of 4 missing" check.log
	[ ! -e out.ts ]
	set -- $(sh "$SLURM/infer.sh" out.ts.shards)
	[ "$(wait_job "$2")" = COMPLETED ]
	# the array ran shard 2 alone
	[ "$(job_field "$1" ArrayTaskId)" = 2 ]
	[ "$(job_field "${1}_2" JobState)" = COMPLETED ]
	[ out.ts.shards/shard.0002.den -nt stamp ]
	for i in 0 1 3; do [ "out.ts.shards/shard.000$i.den" -ot stamp ]; done
	cmp serial.ts out.ts
}

@test "infer.sh refuses to start over an existing shard folder" {
	mkdir out.ts.shards
	run -1 sh "$SLURM/infer.sh" photos.list m.bin out.ts
	[[ "$output" == *"out.ts.shards exists; give it alone to rerun what is missing"* ]]
}
