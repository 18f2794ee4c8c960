# slurm.bash: loaded by tests/slurm/*.bats, which run in the private Slurm
# that tests/slurm/run starts (make MPI=1 test-slurm) and fail without it.
load ../cli/common

SLURM=$ROOT/pipelines/slurm
# mpirun as root, inside a job as well as outside (Open MPI reads these)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=${MPIRUN:-mpirun --oversubscribe}

slurm_check() {
	if [ -z "${DAE_SLURM_DIR:-}" ] || [ ! -e "${SLURM_CONF:-}" ]; then
		echo "no private Slurm: run make MPI=1 test-slurm (tests/slurm/run)" >&2
		return 1
	fi
}

# mkset N SIZE : N different SIZE x SIZE RGB u8 images, a tensor(5) stream
mkset() {
	perl -e '
		my ($n, $s) = @ARGV;
		for my $k (1..$n) {
			my $name = "img$k";
			print "TNSR", pack("CCCCvv", 1, 1, 3, 0, length $name, 0), pack("V3", $s, $s, 3), $name;
			print pack("C*", map { int(127 + 100 * sin(0.05 * $_ * (1 + $k % 7) + $k)) } 0..$s*$s*3-1);
		}
	' "$@"
}

# job_field ID FIELD : a field of scontrol show job (JobState, Restarts, ...)
job_field() {
	scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_job ID [SECONDS] : wait until job ID has ended for good (a requeued
# job runs again) and print its final state; after SECONDS (default 120)
# cancel it, show its output and fail
wait_job() {
	local id=$1 limit=${2:-120} t=0 state
	while :; do
		state=$(job_field "$id" JobState)
		case $state in
		COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)
			echo "$state"
			return 0 ;;
		esac
		if [ $t -ge $((limit * 10)) ]; then
			echo "job $id still $state after $limit s; cancelled" >&2
			scontrol show job "$id" >&2
			scancel "$id"
			return 1
		fi
		sleep 0.1
		t=$((t + 1))
	done
}

# wait_file PATH [SECONDS] : wait until PATH exists
wait_file() {
	local t=0
	while [ ! -e "$1" ]; do
		[ $t -lt $((${2:-60} * 10)) ] || { echo "$1 did not appear in ${2:-60} s" >&2; return 1; }
		sleep 0.1
		t=$((t + 1))
	done
}
