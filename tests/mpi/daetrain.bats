#!/usr/bin/env bats
# daetrain under mpirun: data-parallel training with 2 processes.
# Needs daetrain built with MPI: make MPI=1 test-mpi (docs/cluster.md).
# MPIRUN overrides the launcher; CI runs as root, hence --allow-run-as-root.

load ../cli/common

MPIRUN=${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}

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

# maxdiff A B : the largest difference between two f32 tensor streams with
# the same records
maxdiff() {
	perl -e '
		sub vals {
			open my $fh, "<:raw", $_[0] or die "$_[0]: $!";
			local $/; my $s = <$fh>; my ($p, @v) = (0);
			while ($p < length $s) {
				my (undef, undef, $dt, $rank, undef, $nl) = unpack "a4CCCCv", substr $s, $p, 10;
				my @d = unpack "V$rank", substr $s, $p + 12, 4 * $rank;
				$p += 12 + 4 * $rank + $nl;
				my $n = 1; $n *= $_ for @d;
				die "$_[0]: not f32\n" unless $dt == 2;
				push @v, unpack "f<$n", substr $s, $p, 4 * $n;
				$p += 4 * $n;
			}
			@v;
		}
		my @a = vals($ARGV[0]); my @b = vals($ARGV[1]);
		die "different sizes\n" unless @a == @b;
		my $m = 0;
		for (0..$#a) { my $d = abs($a[$_] - $b[$_]); $m = $d if $d > $m || $d != $d; }
		print "$m\n";
	' "$@"
}

setup() {
	ldd "$ROOT/daetrain" | grep -q libmpi || {
		echo "daetrain was built without MPI: make MPI=1 test-mpi" >&2
		return 1
	}
	cd "$BATS_TEST_TMPDIR"
	mkset 30 8 > clean.ts
	addnoise -s 25 < clean.ts > noisy.ts
}

@test "2 processes at batch 5 train as 1 at batch 10, without BatchNorm" {
	# 27 training images: global batches of 10, 10 and 7, the last split 5 and 2
	$MPIRUN -np 2 daetrain -q -c "$DATA/nobn.cfg" -o two.bin -e 5 --patience 0 -l 0.01 \
		-b 5 -s 25 --val-split 0.1 clean.ts
	daetrain -q -c "$DATA/nobn.cfg" -o one.bin -e 5 --patience 0 -l 0.01 \
		-b 10 -s 25 --val-split 0.1 clean.ts
	daetrain -q -c "$DATA/nobn.cfg" -o half.bin -e 5 --patience 0 -l 0.01 \
		-b 5 -s 25 --val-split 0.1 clean.ts
	daeinfer -t 1 --float -w two.bin < noisy.ts > two.ts
	daeinfer -t 1 --float -w one.bin < noisy.ts > one.ts
	daeinfer -t 1 --float -w half.bin < noisy.ts > half.ts
	# on the 0..255 scale: about 1e-4 is float rounding; a wrongly weighted
	# short batch is off by about 20, batch 5 alone by about 100
	d=$(maxdiff two.ts one.ts)
	echo "2 x 5 vs 10: max difference $d"
	perl -e 'exit !($ARGV[0] <= 0.01)' "$d"
	d=$(maxdiff half.ts one.ts)
	perl -e 'exit !($ARGV[0] > 1)' "$d"
}

@test "2 processes train the BatchNorm network and rank 0 alone reports" {
	# 24 training images: three global batches of 2 x 4
	run -0 --separate-stderr $MPIRUN -np 2 daetrain -c "$DATA/tiny.cfg" -o m.bin -e 6 \
		--patience 0 -l 0.01 -b 4 -s 25 --val-split 0.2 --log log.csv clean.ts
	[ "$(printf '%s\n' "$stderr" | grep -c '^daetrain: epoch [1-6]/6: loss')" -eq 6 ]
	[ "$(wc -l < log.csv)" -eq 7 ]
	first=$(sed -n 2p log.csv | cut -d, -f2)
	last=$(sed -n 7p log.csv | cut -d, -f2)
	echo "loss $first -> $last"
	perl -e 'exit !($ARGV[1] < 0.8 * $ARGV[0])' "$first" "$last"
	[ "$(head -c 8 m.bin)" = DAEMODEL ]
	[ -s m.bin.ckpt ]
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "2 processes finish an epoch whose last batch leaves one idle" {
	# 16 training images in global batches of 2 x 7: the last has 2, split 2
	# and 0; the moving statistics are those of the rank that had samples
	mkset 17 8 > c17.ts
	$MPIRUN -np 2 daetrain -q -c "$DATA/tiny.cfg" -o m.bin -e 2 -b 7 -s 25 --val-split 0.1 \
		--log log.csv c17.ts
	[ "$(wc -l < log.csv)" -eq 3 ]
	! cut -d, -f2,3,4 log.csv | grep -qi nan
}

@test "--resume under mpirun continues bit for bit" {
	$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o full.bin -e 3 --patience 0 -b 4 -s 25 clean.ts
	$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o part.bin -e 1 --patience 0 -b 4 -s 25 clean.ts
	$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o part.bin -e 3 --patience 0 -b 4 -s 25 \
		--resume clean.ts
	cmp full.bin part.bin
}

@test "SIGUSR1 to mpirun checkpoints every rank's run, which resumes bit for bit" {
	mkset 40 16 > big.ts
	$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o full.bin -e 20 --patience 0 -b 1 -s 25 big.ts
	$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o cut.bin -e 20 --patience 0 -b 1 -s 25 \
		big.ts 2> err.txt &
	pid=$!
	# as soon as epoch 1 is checkpointed, interrupt; the run may finish first
	while [ ! -e cut.bin.ckpt ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
	kill -USR1 $pid 2>/dev/null || true
	status=0
	wait $pid || status=$?
	echo "mpirun exited $status"
	if [ $status -ne 0 ]; then
		[ $status -eq 1 ]
		grep -q "daetrain: interrupted in epoch [0-9]*; checkpoint cut.bin.ckpt; continue with --resume" err.txt
		[ "$(grep -c 'daetrain: interrupted' err.txt)" -eq 1 ]
		[ ! -e cut.bin ]
		$MPIRUN -np 2 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o cut.bin -e 20 --patience 0 -b 1 -s 25 \
			--resume big.ts
	fi
	cmp full.bin cut.bin
	[ -z "$(ls -A | grep '^\.')" ]
}

@test "a checkpoint carries on with any process count of the same global batch" {
	$MPIRUN -np 2 daetrain -q -c "$DATA/tiny.cfg" -o m.bin -e 1 --patience 0 -b 4 -s 25 clean.ts
	run -1 --separate-stderr daetrain -q -c "$DATA/tiny.cfg" -o m.bin -e 2 --patience 0 -b 4 -s 25 \
		--resume clean.ts
	[[ "$stderr" == "daetrain: --resume: m.bin.ckpt: checkpoint has global batch size (processes x -b) 8, this run 4" ]]
	daetrain -q -c "$DATA/tiny.cfg" -o m.bin -e 2 --patience 0 -b 8 -s 25 --resume clean.ts
	[ -s m.bin ]
}

@test "under mpirun the sets must be files, not standard input" {
	run -1 $MPIRUN -np 2 daetrain -q -c "$DATA/tiny.cfg" -o m.bin -e 1 -s 25 - < clean.ts
	[[ "$output" == *"daetrain: -: standard input reaches one process only; give the sets as files"* ]]
	[ ! -e m.bin ]
}

@test "daetrain built with MPI still runs alone, without mpirun" {
	daetrain -q -t 1 -c "$DATA/tiny.cfg" -o a.bin -e 2 -b 4 -s 25 --seed 7 clean.ts
	$MPIRUN -np 1 daetrain -q -t 1 -c "$DATA/tiny.cfg" -o b.bin -e 2 -b 4 -s 25 --seed 7 clean.ts
	cmp a.bin b.bin
}
