#!/bin/sh
# report.sh: the evaluation report of pipelines/tutorial.mk, from two
# daeeval --csv tables of the same test images: noisy vs clean and
# denoised vs clean. Usage: report.sh noisy.csv denoised.csv model mean std
set -eu
noisy=$1 denoised=$2 model=$3 mean=$4 std=$5
n=$(grep -vc -e '^index,' -e '^mean,' "$denoised")
printf 'Denoising report: %s on %s test images, noise mean %s std %s (0..255)\n' \
	"$model" "$n" "$mean" "$std"
printf 'Protocol: RGB, 0..255, denoised output rounded to u8, no border crop (daeeval(1))\n\n'
awk -F, '$1 == "mean" { printf "%-10s %8.2f dB  SSIM %.4f\n", FILENAME ~ /noisy/ ? "noisy" : "denoised", $3, $4 }' \
	"$noisy" "$denoised"
printf '\n%-6s %-24s %10s %10s %10s %10s\n' index name noisy_dB denoised_dB noisy_SSIM denoised_SSIM
awk -F, 'NR == FNR { if ($1 != "index" && $1 != "mean") { p[$1] = $3; s[$1] = $4 } next }
	$1 != "index" && $1 != "mean" {
		printf "%-6s %-24s %10.2f %10.2f %10.4f %10.4f\n", $1, $2, p[$1], $3, s[$1], $4
	}' "$noisy" "$denoised"
