#!/bin/sh
# infer.sh: denoise a large set of photos under Slurm. The list of photos is
# cut into shards of PER photos, a job array runs one task a shard
# (infer.sbatch, pipelines/shards.mk's recipe, one CPU a task), and a final
# job (check.sbatch) checks that every shard arrived and concatenates them
# in order: byte for byte the stream the serial pipeline
#
#   imgresize $SIZE $(cat LIST) | addnoise $NOISE | daeinfer -w MODEL
#
# writes (docs/cluster.md). Run it on the login node:
#
#   find photos -name '*.jpg' | LC_ALL=C sort > photos.list
#   sh pipelines/slurm/infer.sh photos.list model.bin denoised.ts [sbatch option ...]
#   ... and when the check job has succeeded: unpack out/ < denoised.ts
#
# The shards, the tasks' logs and the settings go to OUT.shards/. If tasks
# failed, the check job says which; after fixing the cause,
#
#   sh pipelines/slurm/infer.sh denoised.ts.shards [sbatch option ...]
#
# runs the missing shards alone, and the check again. Settings, from the
# environment: BIN (where the programs are; default: on PATH on the nodes),
# SIZE (300), NOISE (-m 10 -s 50; empty to denoise the photos as they are),
# PER (200 photos a shard). Paths must be the same on every node (a shared
# file system). Prints the array's job id and the check's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: infer.sh list model out [sbatch option ...] | infer.sh out.shards [sbatch option ...]" >&2
	exit 2
}

# q WORD : WORD quoted for sh
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}

[ $# -ge 1 ] || usage
if [ -d "$1" ]; then
	dir=$(abs "$1")
	shift
	[ -e "$dir/job.env" ] || { echo "infer.sh: $dir: no job.env, not a shard folder" >&2; exit 1; }
	. "$dir/job.env"
else
	[ $# -ge 3 ] || usage
	list=$1 model=$(abs "$2") OUT=$(abs "$3")
	shift 3
	[ -s "$list" ] || { echo "infer.sh: $list: no photos" >&2; exit 1; }
	[ -e "$model" ] || { echo "infer.sh: $model: no such model" >&2; exit 1; }
	dir=$OUT.shards
	[ ! -e "$dir" ] || { echo "infer.sh: $dir exists; give it alone to rerun what is missing" >&2; exit 1; }
	bin=
	[ -z "${BIN:-}" ] || bin=$(abs "$BIN")
	mkdir "$dir"
	split -l "${PER:-200}" -d -a 4 --additional-suffix=.list "$list" "$dir/shard."
	NSHARDS=0
	for f in "$dir"/shard.*.list; do
		NSHARDS=$((NSHARDS + 1))
	done
	{
		echo "# written by infer.sh; read by infer.sbatch and check.sbatch"
		echo "PIPELINES=$(q "$(dirname "$here")")"
		echo "BIN=$(q "$bin")"
		echo "MODEL=$(q "$model")"
		echo "SIZE=$(q "${SIZE:-300}")"
		echo "NOISE=$(q "${NOISE--m 10 -s 50}")"
		echo "OUT=$(q "$OUT")"
		echo "NSHARDS=$NSHARDS"
	} > "$dir/job.env"
fi

# the shards still to do: all of them the first time
todo=
i=0
while [ $i -lt "$NSHARDS" ]; do
	[ -e "$(printf '%s/shard.%04d.den' "$dir" $i)" ] || todo="$todo${todo:+,}$i"
	i=$((i + 1))
done
dep=
aid=-
if [ -n "$todo" ]; then
	aid=$(sbatch --parsable --array="$todo" --output="$dir/shard.%4a.log" "$@" \
		"$here/infer.sbatch" "$dir")
	aid=${aid%%;*}
	dep=--dependency=afterany:$aid
fi
# shellcheck disable=SC2086 # $dep is one word or none
cid=$(sbatch --parsable $dep --output="$dir/check.log" "$@" "$here/check.sbatch" "$dir")
cid=${cid%%;*}
echo "infer.sh: $NSHARDS shards in $dir; array job $aid (shards ${todo:-none}), check job $cid" >&2
echo "$aid $cid"
