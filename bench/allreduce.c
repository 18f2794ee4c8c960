/* allreduce.c: how long the sums daetrain makes each step take between the
 * ranks of one MPI job: the gradients and the BatchNorm moving statistics
 * (MPI_FLOAT, counts given) and the 3-double loss/stop/count sum, as
 * lib/train.c asks them of cmd/dist.c. A benchmark, not a test.
 *
 *   make bench/allreduce      (needs Open MPI's mpicc)
 *   mpirun -np 2 bench/allreduce [grads [stats [steps]]]
 *
 * Defaults: the seed network's 57,875 gradients and 192 statistics, 2000
 * steps after 100 of warm-up. Rank 0 prints the bytes summed a step and
 * the median and mean time a step over the steps. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	long grads = argc > 1 ? strtol(argv[1], NULL, 10) : 57875;
	long stats = argc > 2 ? strtol(argv[2], NULL, 10) : 192;
	long steps = argc > 3 ? strtol(argv[3], NULL, 10) : 2000;
	float *g, *s;
	double d[3] = { 1, 0, 1 }, *t, sum = 0, t0;
	int rank, size;
	long i, k;

	if (grads < 1 || stats < 0 || steps < 1 || grads > 1L << 28 || stats > 1L << 28) {
		fprintf(stderr, "allreduce: bad counts\n");
		return 1;
	}
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	g = malloc((size_t)grads * sizeof *g);
	s = malloc((size_t)(stats ? stats : 1) * sizeof *s);
	t = malloc((size_t)steps * sizeof *t);
	if (!g || !s || !t) {
		fprintf(stderr, "allreduce: out of memory\n");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	for (i = 0; i < grads; i++)
		g[i] = (float)(i % 97) * 1e-3f;
	for (i = 0; i < stats; i++)
		s[i] = 1;
	for (k = -100; k < steps; k++) {
		MPI_Barrier(MPI_COMM_WORLD);
		t0 = MPI_Wtime();
		MPI_Allreduce(MPI_IN_PLACE, g, (int)grads, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
		MPI_Allreduce(MPI_IN_PLACE, d, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		if (stats)
			MPI_Allreduce(MPI_IN_PLACE, s, (int)stats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
		if (k >= 0)
			t[k] = MPI_Wtime() - t0;
	}
	if (rank == 0) {
		for (k = 0; k < steps; k++)
			sum += t[k];
		qsort(t, (size_t)steps, sizeof *t, cmp);
		printf("%d ranks, %ld bytes a step: median %.3f ms, mean %.3f ms, over %ld steps\n",
		       size, (grads + stats) * 4 + 24, t[steps / 2] * 1e3, sum / steps * 1e3, steps);
	}
	free(g);
	free(s);
	free(t);
	MPI_Finalize();
	return 0;
}
