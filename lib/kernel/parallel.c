/* parallel.c: t_parallel_for and the clock t_now (declared in tensor.h),
 * apart from the BLAS wrappers so that programs that only want threads,
 * such as addnoise, do not load OpenBLAS: its thread pool starts when the
 * library loads, and its idle threads spin on the cores a program's own
 * threads want. */
#include "tensor.h"

#include <pthread.h>
#include <time.h>

struct job {
	void (*fn)(void *, size_t, int);
	void *arg;
	size_t n;
	int nthreads, thread;
};

/* thread t takes i = t, t + nthreads, ...: static, so results never depend
 * on timing */
static void *
run(void *p)
{
	struct job *j = p;
	size_t i;

	for (i = (size_t)j->thread; i < j->n; i += (size_t)j->nthreads)
		j->fn(j->arg, i, j->thread);
	return NULL;
}

void
t_parallel_for(int nthreads, size_t n, void (*fn)(void *arg, size_t i, int thread), void *arg)
{
	pthread_t tid[64];
	struct job jobs[64];
	int t, started[64];

	if (nthreads > 64)
		nthreads = 64;
	if ((size_t)nthreads > n)
		nthreads = (int)n;
	if (nthreads <= 1) {
		size_t i;
		for (i = 0; i < n; i++)
			fn(arg, i, 0);
		return;
	}
	for (t = 0; t < nthreads; t++) {
		jobs[t] = (struct job){ fn, arg, n, nthreads, t };
		started[t] = t > 0 && pthread_create(&tid[t], NULL, run, &jobs[t]) == 0;
	}
	run(&jobs[0]);
	for (t = 1; t < nthreads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			run(&jobs[t]);
	}
}

double
t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
