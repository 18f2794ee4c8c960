#!/bin/sh
# bench/run.sh: `make bench`. Measures, in one run on this machine, the
# tools beside the programs a user would pick instead, and the machine's own
# sgemm roof, and writes the table to bench/RESULTS.md (and stdout).
#
#   sh bench/run.sh                  # everything (about 15 minutes on 2 cores)
#   PEERS=0 sh bench/run.sh          # without the Python peers
#   THREADS=1 sh bench/run.sh
#
# Environment: PY (a python with tensorflow, torch, onnxruntime, openvino,
# numpy; default /work/venv-bench/bin/python or /work/venv/bin/python if
# present, else python3), DEBPY (Debian's
# python3 with torch 1.13 and cv2; default /usr/bin/python3), DOGS (photos;
# default ../shared/data/dogs/train). A benchmark, not a test: nothing here
# passes or fails on a number.
set -u
cd "$(dirname "$0")/.." || exit 1
THREADS=${THREADS:-2}
PEERS=${PEERS:-1}
DOGS=${DOGS:-../shared/data/dogs/train}
DEBPY=${DEBPY:-/usr/bin/python3}
if [ -z "${PY:-}" ]; then
	PY=python3
	for p in /work/venv/bin/python /work/venv-bench/bin/python; do
		[ -x "$p" ] && PY=$p
	done
fi
OUT=bench/RESULTS.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
MODEL=models/seed.bin
[ -s "$MODEL" ] || MODEL=$TMP/init.bin
# 2 x 0.858 GMAC per 300 x 300 image forward; training about 3 times that
GF_INFER=1.7166
GF_TRAIN=5.1498
GF_PER_MP=19.07
# models/denoise-color-fast.cfg: 209,952 multiply-adds a pixel
GF_DC_PER_MP=419.9

say() { printf '%s\n' "$*" | tee -a "$TMP/table"; }
rss() { awk '/Maximum resident set size/ { printf "%.0f", $6 / 1024 }' "$1"; }
gflops() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a * b }'; }
pct() { awk -v a="$1" -v r="$ROOF" 'BEGIN { printf "%.0f%%", 100 * a / r }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

make -s all bench/nnbench bench/sgemm bench/memcpy >/dev/null || exit 1
# ONNX Runtime and OpenVINO run the shipped models as daeconvert exports them
./daeconvert models/seed.bin "$TMP/seed.onnx" || exit 1
./daeconvert models/denoise-color-fast.bin "$TMP/denoise-color-fast.onnx" || exit 1

# inputs: 32 dogs at 300 x 300, noisy; one 1920 x 1080 photo
ls "$DOGS"/*.jpg | head -32 | tr '\n' '\0' | xargs -0 ./imgresize 300 | ./addnoise -m 10 -s 50 > "$TMP/noisy32.ts"
./imgresize 1920x1080 "$(ls "$DOGS"/*.jpg | head -1)" | ./addnoise -m 10 -s 50 > "$TMP/hd.ts"
if [ "$MODEL" = "$TMP/init.bin" ]; then
	./daetrain -q -c models/seed.cfg -o "$MODEL" -e 1 -s 25 "$TMP/noisy32.ts" 2>/dev/null
fi
# the engine's own outputs, f32 on the 0..255 scale, to check the runtimes by
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./daeinfer --float -w models/seed.bin < "$TMP/noisy32.ts" > "$TMP/seed32.ref.ts"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./daeinfer --float -w models/denoise-color-fast.bin < "$TMP/hd.ts" > "$TMP/dchd.ref.ts"

# runtime ONNX INPUT REF BATCH ITERS: one bench/runtimes.py line, or nothing
runtime() {
	$U "$PY" bench/runtimes.py --runtime "$1" --model "$2" --input "$3" --check "$4" \
		--batch "$5" --threads "$THREADS" --iters "$6" --warmup 1 2>/dev/null | tail -1
}

: > "$TMP/table"
say "# Benchmarks"
say ""
say "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, $THREADS threads, OpenBLAS core $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./bench/sgemm 64 1 | tr ' ' '\n' | sed -n 's/^blas=//p'), by \`make bench\` (bench/run.sh)."
say "Load average (1, 5, 15 minutes) when it started: $(cut -d' ' -f1-3 /proc/loadavg); other work on the machine slows every row alike only roughly, so compare rows within one run."
say "Every row of a table comes from the same run on the same files. Engines and peers report the median of their timed passes, after a warm-up one."
say ""
say "## The roof: sgemm 2048^3"
say ""
say "| OpenBLAS environment | kernel | GFLOP/s |"
say "| --- | --- | --- |"
line=$(./bench/sgemm 2048 "$THREADS")
say "| as exported here (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}) | $(field "$line" blas) | $(field "$line" gflops) |"
line2=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./bench/sgemm 2048 "$THREADS")
say "| both variables unset | $(field "$line2" blas) | $(field "$line2" gflops) |"
ROOF=$(printf '%s\n%s\n' "$(field "$line" gflops)" "$(field "$line2" gflops)" | sort -g | tail -1)
say ""
say "The roof below is the better of the two, $ROOF GFLOP/s. The tools ran with the environment unset; \`daeinfer\` output with and without it: $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ./daeinfer -w "$MODEL" -t "$THREADS" < "$TMP/noisy32.ts" | cksum | cut -d' ' -f1) vs $(./daeinfer -w "$MODEL" -t "$THREADS" < "$TMP/noisy32.ts" | cksum | cut -d' ' -f1) (cksum; equal when the kernels agree bit for bit)."
say ""

say "## Inference, the seed network, 300 x 300, batch 32"
say ""
say "| engine | images/s | GFLOP/s | % of roof | peak RSS MB | notes |"
say "| --- | --- | --- | --- | --- | --- |"
U="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
t0=$(date +%s.%N)
$U /usr/bin/time -v ./daeinfer -w "$MODEL" -t "$THREADS" < "$TMP/noisy32.ts" > /dev/null 2> "$TMP/time"
t1=$(date +%s.%N)
ips=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 32 / (b - a) }')
say "| daeinfer (tool, whole run) | $ips | $(gflops "$ips" $GF_INFER) | $(pct "$(gflops "$ips" $GF_INFER)") | $(rss "$TMP/time") | includes start-up and I/O |"
line=$($U ./bench/nnbench -t "$THREADS" -n 3 -b 32 models/seed.cfg | head -1)
say "| dae engine (nnbench) | $(field "$line" img_per_s) | $(field "$line" gflops) | $(pct "$(field "$line" gflops)") | $(field "$line" peak_rss_mb) | forward only |"
if [ "$PEERS" = 1 ]; then
	for spec in "$PY keras" "$PY torch" "$PY onnx" "$DEBPY torch"; do
		set -- $spec
		line=$($U "$1" bench/peers.py --framework "$2" --mode infer --batch 32 --size 300 \
			--threads "$THREADS" --iters 3 --warmup 1 2>/dev/null | tail -1)
		[ -n "$line" ] || continue
		v=$(field "$line" img_per_s)
		say "| $2 $(field "$line" version) | $v | $(gflops "$v" $GF_INFER) | $(pct "$(gflops "$v" $GF_INFER)") | $(field "$line" peak_rss_mb) | $(field "$line" layout) |"
	done
	for rt in onnxruntime openvino; do
		line=$(runtime $rt "$TMP/seed.onnx" "$TMP/noisy32.ts" "$TMP/seed32.ref.ts" 32 3)
		[ -n "$line" ] || continue
		v=$(field "$line" img_per_s)
		say "| $rt $(field "$line" version), daeconvert's export of models/seed.bin | $v | $(gflops "$v" $GF_INFER) | $(pct "$(gflops "$v" $GF_INFER)") | $(field "$line" peak_rss_mb) | nchw; max \\|y - daeinfer --float\\| $(field "$line" maxdiff) of 255 |"
	done
fi
say ""

say "## Inference, one 1920 x 1080 photo"
say ""
say "| engine | megapixels/s | GFLOP/s | peak RSS MB | notes |"
say "| --- | --- | --- | --- | --- |"
t0=$(date +%s.%N)
$U /usr/bin/time -v ./daeinfer -w "$MODEL" -t "$THREADS" < "$TMP/hd.ts" > /dev/null 2> "$TMP/time"
t1=$(date +%s.%N)
mps=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 1920 * 1080 / 1e6 / (b - a) }')
say "| daeinfer, default 1024-pixel tiles | $mps | $(gflops "$mps" $GF_PER_MP) | $(rss "$TMP/time") | whole run; memory follows the tile |"
t0=$(date +%s.%N)
$U /usr/bin/time -v ./daeinfer -w "$MODEL" -t "$THREADS" --tile 2048 < "$TMP/hd.ts" > /dev/null 2> "$TMP/time"
t1=$(date +%s.%N)
mps=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 1920 * 1080 / 1e6 / (b - a) }')
say "| daeinfer, untiled (--tile 2048) | $mps | $(gflops "$mps" $GF_PER_MP) | $(rss "$TMP/time") | whole run |"
line=$($U ./bench/nnbench -t "$THREADS" -n 3 -b 1 -s 1080x1920 models/seed.cfg | head -1)
mps=$(awk -v i="$(field "$line" img_per_s)" 'BEGIN { printf "%.2f", i * 1920 * 1080 / 1e6 }')
say "| dae engine (nnbench), untiled | $mps | $(field "$line" gflops) | $(field "$line" peak_rss_mb) | forward only, warm, as the peers are timed |"
if [ "$PEERS" = 1 ]; then
	for spec in "$PY keras" "$PY torch" "$PY onnx" "$DEBPY torch"; do
		set -- $spec
		line=$($U "$1" bench/peers.py --framework "$2" --mode infer --hw 1080x1920 \
			--threads "$THREADS" --iters 2 --warmup 1 2>/dev/null | tail -1)
		[ -n "$line" ] || continue
		v=$(field "$line" mpix_per_s)
		say "| $2 $(field "$line" version) | $v | $(gflops "$v" $GF_PER_MP) | $(field "$line" peak_rss_mb) | $(field "$line" layout) |"
	done
fi
say ""

say "## The fast colour denoiser (models/denoise-color-fast.bin), one 1920 x 1080 photo"
say ""
say "| engine | megapixels/s | GFLOP/s | peak RSS MB | notes |"
say "| --- | --- | --- | --- | --- |"
t0=$(date +%s.%N)
$U /usr/bin/time -v ./daeinfer -w models/denoise-color-fast.bin -t "$THREADS" < "$TMP/hd.ts" > /dev/null 2> "$TMP/time"
t1=$(date +%s.%N)
mps=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", 1920 * 1080 / 1e6 / (b - a) }')
say "| daeinfer, default 1024-pixel tiles | $mps | $(gflops "$mps" $GF_DC_PER_MP) | $(rss "$TMP/time") | whole run |"
line=$($U ./bench/nnbench -t "$THREADS" -n 3 -b 1 -s 1080x1920 models/denoise-color-fast.cfg | head -1)
mps=$(awk -v i="$(field "$line" img_per_s)" 'BEGIN { printf "%.3f", i * 1920 * 1080 / 1e6 }')
say "| dae engine (nnbench), untiled | $mps | $(field "$line" gflops) | $(field "$line" peak_rss_mb) | forward only, warm |"
if [ "$PEERS" = 1 ]; then
	for rt in onnxruntime openvino; do
		line=$(runtime $rt "$TMP/denoise-color-fast.onnx" "$TMP/hd.ts" "$TMP/dchd.ref.ts" 1 2)
		[ -n "$line" ] || continue
		v=$(field "$line" mpix_per_s)
		say "| $rt $(field "$line" version), daeconvert's export | $v | $(gflops "$v" $GF_DC_PER_MP) | $(field "$line" peak_rss_mb) | nchw, untiled, warm; max \\|y - daeinfer --float\\| $(field "$line" maxdiff) of 255 |"
	done
fi
say ""

say "## Training step, 300 x 300, batch 32 (forward, MSE, backward, Adam)"
say ""
say "| engine | images/s | GFLOP/s | % of roof | peak RSS MB |"
say "| --- | --- | --- | --- | --- |"
line=$($U ./bench/nnbench -t "$THREADS" -n 3 -b 32 --train models/seed.cfg | head -1)
say "| dae engine (nnbench) | $(field "$line" img_per_s) | $(field "$line" gflops) | $(pct "$(field "$line" gflops)") | $(field "$line" peak_rss_mb) |"
if [ "$PEERS" = 1 ]; then
	for spec in "$PY keras" "$PY torch" "$DEBPY torch"; do
		set -- $spec
		line=$($U "$1" bench/peers.py --framework "$2" --mode train --batch 32 --size 300 \
			--threads "$THREADS" --iters 3 --warmup 1 2>/dev/null | tail -1)
		[ -n "$line" ] || continue
		v=$(field "$line" img_per_s)
		say "| $2 $(field "$line" version) | $v | $(gflops "$v" $GF_TRAIN) | $(pct "$(gflops "$v" $GF_TRAIN)") | $(field "$line" peak_rss_mb) |"
	done
fi
say ""

say "## Preprocessing"
say ""
say "| step | rate | beside |"
say "| --- | --- | --- |"
ls "$DOGS"/*.jpg | head -500 > "$TMP/500.list"
# rate N CMD...: N divided by the seconds CMD takes
rate() {
	n=$1
	shift
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }'
}
tr '\n' '\0' < "$TMP/500.list" > "$TMP/500.nul"
xargs -0 -a "$TMP/500.nul" cat > "$TMP/500.jpgs"
ir=$(rate 500 sh -c "./imgresize 300 < '$TMP/500.jpgs' > /dev/null")
ir1=$(rate 500 sh -c "xargs -0 -a '$TMP/500.nul' ./imgresize -t 1 300 > /dev/null")
irt=$(rate 500 sh -c "xargs -0 -a '$TMP/500.nul' ./imgresize -t $THREADS 300 > /dev/null")
peers=$("$DEBPY" - "$TMP/500.list" <<'PYEOF' 2>/dev/null
import sys, time
import cv2
from PIL import Image
files = open(sys.argv[1]).read().split('\n')[:-1]
cv2.setNumThreads(1)
t = time.perf_counter()
for f in files:
    cv2.resize(cv2.imread(f, cv2.IMREAD_COLOR), (300, 300), interpolation=cv2.INTER_LINEAR)
a = len(files) / (time.perf_counter() - t)
t = time.perf_counter()
for f in files:
    Image.open(f).convert('RGB').resize((300, 300), Image.BILINEAR)
b = len(files) / (time.perf_counter() - t)
print("cv2 %.0f images/s, PIL %.0f images/s" % (a, b))
PYEOF
)
say "| imgresize 300, 500 dog JPEGs concatenated on stdin (one thread) | $ir images/s | ${peers:-python3-opencv/PIL not available} (one thread each) |"
say "| imgresize -t 1 300, the 500 as files | $ir1 images/s | |"
say "| imgresize -t $THREADS 300, the 500 as files | $irt images/s | |"
cat "$TMP/noisy32.ts" "$TMP/noisy32.ts" "$TMP/noisy32.ts" "$TMP/noisy32.ts" > "$TMP/big.ts"
bytes=$(wc -c < "$TMP/big.ts")
cat "$TMP/big.ts" > /dev/null
mb=$(awk -v n="$bytes" 'BEGIN { print n / 1e6 }')
an1=$(rate "$mb" sh -c "./addnoise -t 1 -m 10 -s 50 < '$TMP/big.ts' > /dev/null")
an=$(rate "$mb" sh -c "./addnoise -t $THREADS -m 10 -s 50 < '$TMP/big.ts' > /dev/null")
anf=$(rate "$mb" sh -c "./addnoise --float -m 10 -s 50 < '$TMP/big.ts' > /dev/null")
mc=$(./bench/memcpy $((bytes >> 20)))
say "| addnoise -t $THREADS -m 10 -s 50, u8 (file to /dev/null) | $an MB/s | memcpy of the same size: $(field "$mc" mb_per_s) MB/s |"
say "| addnoise -t 1 -m 10 -s 50, u8 | $an1 MB/s | |"
say "| addnoise --float -m 10 -s 50 (Box-Muller, f32 out; MB of input) | $anf MB/s | |"
say ""
cp "$TMP/table" "$OUT"
echo "bench: wrote $OUT" >&2
