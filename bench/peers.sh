#!/bin/sh
# bench/peers.sh: run bench/peers.py over the table the C engine is compared
# with, one result line per run on stdout (diagnostics on stderr).
# Not a test: the numbers depend on the machine and its load.
#
#   sh bench/peers.sh                      # venv peers, 2 threads
#   THREADS=1 ITERS=3 sh bench/peers.sh
#   PY=/work/venv/bin/python DEBPY=/usr/bin/python3 HW=1080x1920
#
# DEBPY (Debian's python3 with its torch) adds torch rows for that torch;
# set it empty to skip them.
PY=${PY:-/work/venv/bin/python}
DEBPY=${DEBPY-/usr/bin/python3}
THREADS=${THREADS:-2}
ITERS=${ITERS:-5}
WARMUP=${WARMUP:-2}
HW=${HW:-1080x1920}
cd "$(dirname "$0")/.." || exit 1
status=0
run() {
	"$@" --threads "$THREADS" --iters "$ITERS" --warmup "$WARMUP" || status=1
}
for fw in keras torch onnx; do
	run "$PY" bench/peers.py --framework "$fw" --mode infer --batch 32 --size 300
	[ "$fw" = onnx ] || run "$PY" bench/peers.py --framework "$fw" --mode train --batch 32 --size 300
	run "$PY" bench/peers.py --framework "$fw" --mode infer --hw "$HW"
done
if [ -n "$DEBPY" ] && "$DEBPY" -c 'import torch' 2>/dev/null; then
	run "$DEBPY" bench/peers.py --framework torch --mode infer --batch 32 --size 300
	run "$DEBPY" bench/peers.py --framework torch --mode train --batch 32 --size 300
	run "$DEBPY" bench/peers.py --framework torch --mode infer --hw "$HW"
fi
exit $status
