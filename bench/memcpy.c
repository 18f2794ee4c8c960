/* memcpy: memory bandwidth as a plain memcpy of `mb` megabytes, MB/s of
 * bytes copied (best of 5), the peer addnoise is measured against.
 *   memcpy [mb]      default 256 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
main(int argc, char *argv[])
{
	size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 256) << 20;
	char *a = malloc(n), *b = malloc(n);
	struct timespec t0, t1;
	double s, best = 1e30;
	int it;

	if (!a || !b)
		return 1;
	memset(a, 1, n);
	memset(b, 2, n);
	for (it = 0; it < 5; it++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		memcpy(b, a, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		if (s < best)
			best = s;
		a[it] = b[n - 1 - (size_t)it];
	}
	printf("memcpy mb=%zu mb_per_s=%.0f\n", n >> 20, (double)n / best / 1e6);
	free(a);
	free(b);
	return 0;
}
