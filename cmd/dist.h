/* dist.h: daetrain's processes under mpirun or srun (docs/cluster.md).
 *
 * ABOUT
 *   The only MPI in the project. Built with make MPI=1, dist.c starts MPI
 *   and reduces with MPI_Allreduce over MPI_COMM_WORLD; in the default build
 *   it is one process, and refuses to run as one of several that a launcher
 *   started (each would train alone and overwrite the others' files).
 *
 * USAGE
 *   dist_init(&d)        start; d.rank, d.size, d.local (processes on this
 *                        machine), d.td for tr_opt.dist when d.size > 1
 *   dist_finish(&d)      stop; every process calls it before exiting 0
 *
 * ERRORS
 *   dist_init dies with a message; a failed reduction returns -1 to
 *   lib/nn/train.c, which reports it. Open MPI's default error handler aborts
 *   the whole job before that can happen.
 *
 * MEMORY
 *   None of its own; the sums work in place.
 *
 * LIMITS
 *   A sum of more than INT_MAX values fails: MPI counts are int.
 */
#ifndef DIST_H
#define DIST_H

#include "../lib/nn/train.h"

struct dist {
	int rank, size, local;
	struct tr_dist td;
};

void dist_init(struct dist *d);
void dist_finish(struct dist *d);

#endif
