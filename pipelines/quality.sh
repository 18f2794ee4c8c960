#!/bin/sh
# quality.sh: `make benchmark-quality`. Denoises the standard colour test
# sets at sigma 15, 25 and 50 with each shipped model and prints the table
# beside the published figures; writes it to docs/quality.md.
#
# Protocol (the one denoising papers use): clean PNG, Gaussian noise of
# standard deviation sigma (0..255 scale, mean 0) added in float without
# clipping (addnoise --float), denoised, rounded to u8 (daeinfer's default
# output), PSNR over all RGB values against the clean image, averaged over
# the set (daeeval).
#
#   sh pipelines/quality.sh [model...]     default: every models/*.bin
# Environment: TESTDATA (default ../shared/data/test), SETS (default
# "CBSD68 Kodak24"), SIGMAS (default "15 25 50"), THREADS (default 2),
# BIN (default .), OUT (default docs/quality.md), ENSEMBLE (models, by
# name without .bin, that get a second row denoised with daeinfer -x, the
# mean over the 8 flips and rotations, at 8 times the time; default none),
# CBM3D_IMAGES (default 3: CBM3D, the classical anchor, is measured in the
# same run on the first that many images of each set at each sigma, about
# 150 s a megapixel, and every model gets a row on the same images beside
# it), CBM3D_PY (a python with PyPI's bm3d and numpy; default
# /work/venv/bin/python, then python3; without bm3d the rows are skipped
# with a message). A model told the noise level ([noisemap] in its cfg)
# runs as a user runs it, on its own estimate of each image's level, and
# again told the true sigma (its row says --sigma); a last table gives the
# estimator's mean error and mean absolute error on each set and sigma.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-.}
TESTDATA=${TESTDATA:-../shared/data/test}
SETS=${SETS:-CBSD68 Kodak24}
SIGMAS=${SIGMAS:-15 25 50}
THREADS=${THREADS:-2}
OUT=${OUT:-docs/quality.md}
ENSEMBLE=${ENSEMBLE:-}
CBM3D_IMAGES=${CBM3D_IMAGES:-3}
if [ -z "${CBM3D_PY:-}" ]; then
	CBM3D_PY=python3
	[ -x /work/venv/bin/python ] && CBM3D_PY=/work/venv/bin/python
fi
[ $# -gt 0 ] || set -- models/*.bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

now() { date +%s.%N; }
mean_psnr() { awk -F, '$1 == "mean" { printf "%.2f", $3 }' "$1"; }
# pixels in a stream of RGB records, from their dimensions
pixels() {
	$BIN/packtensor -t "$1" | awk -F'\t' '$3 ~ /^[0-9]+x[0-9]+x3$/ {
		split($3, d, "x"); p += d[1] * d[2] } END { print p + 0 }'
}
# -x for a model ENSEMBLE names, else nothing
ensemble_opt() {
	for e in $ENSEMBLE; do [ "$e" = "$(basename "$1" .bin)" ] && { echo -x; return; }; done
}
# --sigma for a model told the noise level (a blind one refuses it), else nothing
sigma_opt() {
	$BIN/daeinfer -w "$1" --sigma 0 < /dev/null > /dev/null 2>&1 && echo --sigma
}
# mean PSNR of the first $2 images of a daeeval -c file
head_psnr() {
	awk -F, -v n="$2" '$1 ~ /^[0-9]+$/ && $1 <= n { s += $3; k++ }
		END { if (k) printf "%.2f", s / k; else printf "?" }' "$1"
}

{
	echo "# Denoising quality on the standard colour test sets"
	echo
	echo "Measured $(date -u '+%Y-%m-%d') by \`make benchmark-quality\` (pipelines/quality.sh) on"
	echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $THREADS threads."
	echo "Protocol: clean PNG; Gaussian noise of the given sigma (0..255) added in float,"
	echo "unclipped (\`addnoise --float -s sigma\`, seed 1); denoised and rounded to u8;"
	echo "PSNR over RGB, no border crop, mean over the set (dB)."
	echo
} > "$TMP/out"

for set in $SETS; do
	dir=$TESTDATA/$set
	if [ ! -d "$dir" ]; then
		echo "quality.sh: $dir: no such test set" >&2
		exit 1
	fi
	$BIN/imgresize 100% "$dir"/*.png > "$TMP/$set.ts" || exit 1
	# shellcheck disable=SC2012
	ls "$dir"/*.png | head -n "$CBM3D_IMAGES" | tr '\n' '\0' |
		xargs -0 $BIN/imgresize 100% > "$TMP/$set.head.ts" || exit 1
	for s in $SIGMAS; do
		$BIN/addnoise --float -s "$s" --seed 1 < "$TMP/$set.ts" > "$TMP/$set-$s.noisy"
	done
done

{
	printf '| method | set |'
	for s in $SIGMAS; do printf ' sigma %s |' "$s"; done
	printf ' s/MP |\n| --- | --- |'
	for s in $SIGMAS; do printf ' --- |'; done
	printf ' --- |\n'
} >> "$TMP/out"

for set in $SETS; do
	row="| noisy input | $set |"
	for s in $SIGMAS; do
		$BIN/daeeval -c "$TMP/$set.ts" "$TMP/$set-$s.noisy" > "$TMP/n.csv" || exit 1
		row="$row $(mean_psnr "$TMP/n.csv") |"
	done
	echo "$row |" >> "$TMP/out"
	# megapixels in the set, from the records' dimensions
	px=$(pixels "$TMP/$set.ts")
	for m in "$@"; do
		x=$(ensemble_opt "$m")
		told=$(sigma_opt "$m")
		for opt in "" $x $told; do
			row="| $(basename "$m" .bin)${opt:+ $opt} | $set |"
			secs=0
			for s in $SIGMAS; do
				case $opt in
				--sigma) args="--sigma $s" ;;
				"") args=${told:+-v} ;;
				*) args=$opt ;;
				esac
				t0=$(now)
				# shellcheck disable=SC2086
				$BIN/daeinfer $args -w "$m" -t "$THREADS" < "$TMP/$set-$s.noisy" \
					> "$TMP/d.ts" 2> "$TMP/d.err" || { cat "$TMP/d.err" >&2; exit 1; }
				t1=$(now)
				# the estimates, against the level added
				[ "$args" = -v ] && grep -o 'noise level [0-9.]* (estimated)' "$TMP/d.err" |
					awk -v s="$s" -v m="$(basename "$m" .bin)" -v set="$set" \
					'{ d = $3 - s; e += d; a += d < 0 ? -d : d; n++ }
					END { if (n) printf "%s %s %s %.2f %.2f\n", m, set, s, e / n, a / n }' \
					>> "$TMP/estimates"
				secs=$(awk -v a="$secs" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
				csv=$TMP/$set-$(basename "$m" .bin)$opt-$s.csv
				$BIN/daeeval -c "$TMP/$set.ts" "$TMP/d.ts" > "$csv" || exit 1
				row="$row $(mean_psnr "$csv") |"
			done
			spm=$(awk -v t="$secs" -v p="$px" -v k="$(echo $SIGMAS | wc -w)" \
				'BEGIN { if (p > 0) printf "%.2f", t / k / (p / 1e6); else printf "?" }')
			echo "$row $spm |" >> "$TMP/out"
		done
	done
done

# CBM3D in this run, on the first CBM3D_IMAGES images, beside the models
# on the same images
if [ "$CBM3D_IMAGES" -gt 0 ] && "$CBM3D_PY" -c 'import bm3d, numpy' 2>/dev/null; then
	{
		echo
		echo "CBM3D measured in this run (PyPI \`bm3d\`, \`bm3d_rgb\` at the true sigma) on the"
		echo "first $CBM3D_IMAGES images of each set, beside every model on the same images:"
		echo
		printf '| method | set (first %s) |' "$CBM3D_IMAGES"
		for s in $SIGMAS; do printf ' sigma %s |' "$s"; done
		printf ' s/MP |\n| --- | --- |'
		for s in $SIGMAS; do printf ' --- |'; done
		printf ' --- |\n'
	} >> "$TMP/out"
	for set in $SETS; do
		px=$(pixels "$TMP/$set.head.ts")
		row="| CBM3D | $set |"
		secs=0
		for s in $SIGMAS; do
			"$CBM3D_PY" pipelines/cbm3d.py "$s" "$CBM3D_IMAGES" "$TMP/$set-$s.noisy" \
				"$TMP/c.ts" 2> "$TMP/c.err" || { cat "$TMP/c.err" >&2; exit 1; }
			secs=$(awk -v a="$secs" '$1 == "cbm3d:" { print a + $2 }' "$TMP/c.err")
			$BIN/daeeval -c "$TMP/$set.head.ts" "$TMP/c.ts" > "$TMP/c.csv" || exit 1
			row="$row $(mean_psnr "$TMP/c.csv") |"
		done
		spm=$(awk -v t="$secs" -v p="$px" -v k="$(echo $SIGMAS | wc -w)" \
			'BEGIN { if (p > 0) printf "%.1f", t / k / (p / 1e6); else printf "?" }')
		echo "$row $spm |" >> "$TMP/out"
		for m in "$@"; do
			x=$(ensemble_opt "$m")
			told=$(sigma_opt "$m")
			for opt in "" $x $told; do
				row="| $(basename "$m" .bin)${opt:+ $opt} | $set |"
				for s in $SIGMAS; do
					csv=$TMP/$set-$(basename "$m" .bin)$opt-$s.csv
					row="$row $(head_psnr "$csv" "$CBM3D_IMAGES") |"
				done
				echo "$row |" >> "$TMP/out"
			done
		done
	done
else
	echo "quality.sh: no bm3d in $CBM3D_PY (pip install bm3d in a venv, set CBM3D_PY):" \
		"CBM3D not measured" >&2
	printf '\nCBM3D was not measured in this run (no bm3d in %s).\n' "$CBM3D_PY" >> "$TMP/out"
fi

if [ -s "$TMP/estimates" ]; then
	{
		echo
		echo "The noise level models told it estimate (noise_estimate, daeinfer -v), against"
		echo "the sigma added: mean error / mean absolute error over the set:"
		echo
		printf '| model | set |'
		for s in $SIGMAS; do printf ' sigma %s |' "$s"; done
		printf '\n| --- | --- |'
		for s in $SIGMAS; do printf ' --- |'; done
		echo
		awk '{ k = $1 " " $2; if (!(k in row)) { order[++n] = k; row[k] = "| " $1 " | " $2 " |" }
			row[k] = row[k] sprintf(" %+.2f / %.2f |", $4, $5) }
			END { for (i = 1; i <= n; i++) print row[order[i]] }' "$TMP/estimates"
	} >> "$TMP/out"
fi

cat >> "$TMP/out" <<'EOF'

Published figures for comparison (same protocol, from the papers):

| method | set | sigma 15 | sigma 25 | sigma 50 |
| --- | --- | --- | --- | --- |
| CBM3D | CBSD68 | 33.52 | 30.71 | 27.38 |
| CDnCNN-B | CBSD68 | 33.90 | 31.24 | 27.95 |
| FFDNet | CBSD68 | 33.87 | 31.21 | 27.96 |
| DRUNet | CBSD68 | 34.30 | 31.69 | 28.51 |
| CBM3D | Kodak24 | 34.28 | 31.68 | 28.46 |
| FFDNet | Kodak24 | 34.63 | 32.13 | 28.98 |
EOF
mkdir -p "$(dirname "$OUT")"
cp "$TMP/out" "$OUT"
cat "$OUT"
