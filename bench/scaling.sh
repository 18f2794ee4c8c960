#!/bin/sh
# scaling.sh: daetrain's training speed at one global batch, in one process
# of 1 and 2 threads and in 2 MPI processes of 1 thread each. Needs daetrain
# built with make MPI=1; run from the top directory.
#
#   sh bench/scaling.sh [size [images [batch [repeats [cfg]]]]]
#
# Trains cfg (models/seed.cfg) for one epoch over `images` synthetic
# size x size photos (default 100, 64) at global batch `batch` (32), each
# setup `repeats` times (3) in turn, and prints the best images/s of each:
# on a machine shared with other jobs the best run is the one least
# disturbed. A benchmark, not a test: nothing is checked.
set -eu
size=${1:-100} n=${2:-64} batch=${3:-32} reps=${4:-3} cfg=${5:-models/seed.cfg}
MPIRUN=${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
perl -e '
	my ($n, $s) = @ARGV;
	for my $k (1..$n) {
		my $name = "p$k";
		print "TNSR", pack("CCCCvv", 1, 1, 3, 0, length $name, 0), pack("V3", $s, $s, 3), $name;
		print pack("C*", map { my ($y, $x, $c) = (int($_ / 3 / $s), int($_ / 3) % $s, $_ % 3);
			int(127 + 60 * sin(0.03 * $x * (1 + $k % 5) + 0.02 * $y + $c) +
			    60 * cos(0.05 * $y * (1 + $k % 3) - $k)) } 0 .. $s * $s * 3 - 1);
	}' "$n" "$size" > "$dir/clean.ts"

# run NAME LAUNCHER... : one epoch; prints images/s from the log
run() {
	name=$1
	shift
	"$@" -q -c "$cfg" -o "$dir/m.bin" -e 1 -s 25 --log "$dir/log.csv" "$dir/clean.ts"
	tail -1 "$dir/log.csv" | cut -d, -f6
}

half=$((batch / 2))
for r in $(seq 1 "$reps"); do
	echo "1proc-1thread $(run a ./daetrain -t 1 -b "$batch")"
	echo "1proc-2threads $(run b ./daetrain -t 2 -b "$batch")"
	echo "2procs-1thread $(run c $MPIRUN -np 2 ./daetrain -t 1 -b "$half")"
done | awk -v s="$size" -v b="$batch" -v n="$n" '
	{ if ($2 > best[$1]) best[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	END {
		printf "%dx%d, %d images, global batch %d: best images/s\n", s, s, n, b
		for (i = 1; i <= k; i++)
			printf "  %-16s %8.2f  (x%.2f)\n", order[i], best[order[i]],
			       best[order[i]] / best[order[1]]
	}'
