/* sgemmroof: the "roof" the engine is measured against: OpenBLAS sgemm on
 * square n x n matrices with t threads, in GFLOP/s (2 n^3 per call).
 *
 *   sgemmroof [-t threads] [-n size] [-r reps]
 *
 * A benchmark, not a test. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../lib/tensor.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	size_t n = 2048, i;
	int t = 2, reps = 5, c, r;
	float *a, *b, *d;
	double best = 1e30, t0;

	while ((c = getopt(argc, argv, "t:n:r:")) != -1) {
		switch (c) {
		case 't': t = atoi(optarg); break;
		case 'n': n = (size_t)atol(optarg); break;
		case 'r': reps = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sgemmroof [-t threads] [-n size] [-r reps]\n");
			return 2;
		}
	}
	a = malloc(n * n * sizeof *a);
	b = malloc(n * n * sizeof *b);
	d = malloc(n * n * sizeof *d);
	if (!a || !b || !d)
		return 1;
	for (i = 0; i < n * n; i++) {
		a[i] = (float)(i % 7) * 0.1f;
		b[i] = (float)(i % 5) * 0.1f;
	}
	t_set_blas_threads(t);
	t_gemm(0, 0, n, n, n, 1, a, n, b, n, 0, d, n);
	for (r = 0; r < reps; r++) {
		t0 = now();
		t_gemm(0, 0, n, n, n, 1, a, n, b, n, 0, d, n);
		t0 = now() - t0;
		best = t0 < best ? t0 : best;
	}
	printf("sgemm n=%zu threads=%d best_gflops=%.1f blas=%s\n", n, t,
	       2.0 * (double)n * n * n / best / 1e9, t_blas_corename());
	free(a);
	free(b);
	free(d);
	return 0;
}
