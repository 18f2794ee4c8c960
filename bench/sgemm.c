/* sgemm: the machine's roof for this project, sgemm GFLOP/s on an n x n x n
 * single-precision product through OpenBLAS, with the kernel it ran.
 *   sgemm [n] [threads]      defaults 2048 and 2 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char *argv[])
{
	int n = argc > 1 ? atoi(argv[1]) : 2048, threads = argc > 2 ? atoi(argv[2]) : 2, it, reps = 5;
	size_t i, nn = (size_t)n * (size_t)n;
	float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
	struct timespec t0, t1;
	double s, best = 1e30;

	if (!a || !b || !c || n < 1 || threads < 1)
		return 1;
	openblas_set_num_threads(threads);
	for (i = 0; i < nn; i++) {
		a[i] = (float)(i % 7) * 0.25f;
		b[i] = (float)(i % 5) * 0.5f;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
	for (it = 0; it < reps; it++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		if (s < best)
			best = s;
	}
	printf("sgemm n=%d threads=%d gflops=%.1f blas=%s\n", n, threads,
	       2.0 * n * (double)n * n / best / 1e9, openblas_get_corename());
	free(a);
	free(b);
	free(c);
	return 0;
}
