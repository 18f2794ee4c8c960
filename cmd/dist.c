/* dist.c: the MPI glue of daetrain; see dist.h. Two sums over
 * MPI_COMM_WORLD are all lib/nn/train.c asks for. Not a general MPI layer:
 * no point-to-point, no communicators of our own, no threads inside MPI. */
#include <limits.h>
#include <stdlib.h>

#include "dist.h"
#include "util.h"

#ifdef DAE_MPI
#include <mpi.h>

static int
sum(void *x, size_t n, MPI_Datatype type)
{
	if (n > INT_MAX)
		return -1;
	return MPI_Allreduce(MPI_IN_PLACE, x, (int)n, type, MPI_SUM, MPI_COMM_WORLD) ==
	       MPI_SUCCESS ? 0 : -1;
}

/* Open MPI's allreduce algorithms (ring, recursive doubling, reduce then
 * broadcast) leave every rank the same bits, which keeps the copies of the
 * weights identical without ever sending them. */
static int
sum_f(void *arg, float *x, size_t n)
{
	(void)arg;
	return sum(x, n, MPI_FLOAT);
}

static int
sum_d(void *arg, double *x, size_t n)
{
	(void)arg;
	return sum(x, n, MPI_DOUBLE);
}

void
dist_init(struct dist *d)
{
	MPI_Comm node;

	/* MPI-2 allows NULL arguments; ours are never MPI's */
	if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
		die("MPI_Init failed");
	MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &d->size);
	MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	MPI_Comm_size(node, &d->local);
	MPI_Comm_free(&node);
	d->td.rank = d->rank;
	d->td.size = d->size;
	d->td.sum_f = sum_f;
	d->td.sum_d = sum_d;
	d->td.arg = NULL;
}

void
dist_finish(struct dist *d)
{
	(void)d;
	MPI_Finalize();
}

#else

void
dist_init(struct dist *d)
{
	/* what Open MPI's mpirun and MPICH's or Slurm's PMI tell each process */
	static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE" };
	size_t i;
	char *v;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if ((v = getenv(vars[i])) && strtol(v, NULL, 10) > 1)
			die("started as one of %s processes, but built without MPI; "
			    "build with make MPI=1", v);
	d->rank = 0;
	d->size = d->local = 1;
	d->td.rank = 0;
	d->td.size = 1;
	d->td.sum_f = NULL;
	d->td.sum_d = NULL;
	d->td.arg = NULL;
}

void
dist_finish(struct dist *d)
{
	(void)d;
}

#endif
