#!/usr/bin/env bats
# pipelines/slurm/train.sbatch under sbatch: 2 MPI ranks, checkpoint and
# requeue. The job runs on one node of 2 CPUs, one rank a CPU.

load slurm

setup_file() {
	slurm_check
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkset 30 8 > clean.ts
	# what the job script reads; sbatch passes the environment on
	export BIN=$ROOT CFG=$DATA/tiny.cfg CLEAN=clean.ts NOISY='' BATCH=4 OUT=job.bin
	export TRAIN_ARGS="-q -e 3 --patience 0 -s 25"
}

# submit [SBATCH OPTION...] : train.sbatch on 2 ranks of 1 CPU, its job id
# printed; a time limit far from the test's seconds, so the warning signal
# (sent up to a minute early) cannot arrive by itself
submit() {
	sbatch --parsable --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
		--signal=B:USR1@60 "$@" "$SLURM/train.sbatch"
}

@test "train.sbatch with srun trains the model a 2-process mpirun trains" {
	id=$(submit)
	[ "$(wait_job "$id")" = COMPLETED ]
	cat dae-train-$id.out
	grep -q "2 ranks of 1 threads" dae-train-$id.out
	$MPIRUN -np 2 daetrain -q -t 1 -c "$CFG" -o ref.bin -e 3 --patience 0 -b 4 -s 25 clean.ts
	cmp job.bin ref.bin
	# one process at -b 4 trains another model (global batch 4, not 8)
	daetrain -q -t 1 -c "$CFG" -o one.bin -e 3 --patience 0 -b 4 -s 25 clean.ts
	run -1 cmp -s job.bin one.bin
}

@test "train.sbatch with mpirun in the allocation trains the same model" {
	id=$(LAUNCH=mpirun submit)
	[ "$(wait_job "$id")" = COMPLETED ]
	cat dae-train-$id.out
	$MPIRUN -np 2 daetrain -q -t 1 -c "$CFG" -o ref.bin -e 3 --patience 0 -b 4 -s 25 clean.ts
	cmp job.bin ref.bin
}

# interrupt HOW : train 400 epochs on 40 images (enough that a fast machine
# is still training when the signal comes) in the job, interrupt it with
# HOW once the first epoch is checkpointed, and check that it was stopped,
# requeued, resumed from the checkpoint, and ended with the model of an
# uninterrupted run, bit for bit
interrupt() {
	mkset 40 16 > big.ts
	export CLEAN=big.ts BATCH=1 TRAIN_ARGS="-q -e 400 --patience 0 -s 25"
	id=$(submit)
	wait_file job.bin.ckpt
	"$@" "$id"
	[ "$(wait_job "$id" 180)" = COMPLETED ]
	cat dae-train-$id.out
	[ "$(job_field "$id" Restarts)" -eq 1 ]
	grep -q "^daetrain: interrupted in epoch [0-9]*; checkpoint job.bin.ckpt" dae-train-$id.out
	grep -q "restart 1, 2 ranks of 1 threads, resuming from job.bin.ckpt" dae-train-$id.out
	$MPIRUN -np 2 daetrain -q -t 1 -c "$CFG" -o ref.bin -e 400 --patience 0 -b 1 -s 25 big.ts
	cmp job.bin ref.bin
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "SIGTERM mid-training (preemption, scontrol requeue): the requeued job resumes" {
	interrupt scontrol requeue
	grep -q "dae-train: stopped (SIGTERM)" dae-train-$id.out
}

@test "SIGUSR1 mid-training (the time-limit warning): the job requeues itself and resumes" {
	interrupt scancel --batch --signal=USR1
	grep -q "dae-train: stopped (SIGUSR1) with status 1; requeueing" dae-train-$id.out
}

@test "SIGUSR1 mid-training with mpirun as the launcher: the job requeues itself and resumes" {
	export LAUNCH=mpirun
	interrupt scancel --batch --signal=USR1
	grep -q "dae-train: stopped (SIGUSR1) with status 1; requeueing" dae-train-$id.out
}
