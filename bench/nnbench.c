/* nnbench: time a network's inference or training step, layer by layer.
 *
 *   nnbench [-t threads] [-n iters] [-b batch] [-s HxW] [-k kernels] [--train] cfg
 *
 * Builds the network from cfg with random weights and inputs, runs one
 * warm-up pass and then iters timed passes, and prints one machine-readable
 * summary line (images/s, GFLOP/s from the layers' own multiply-add counts,
 * the same per CPU-second of all threads, the BLAS core) and a per-layer
 * table of milliseconds per pass. Wall times are the median pass, as
 * bench/peers.py reports its peers' (a shared machine's stray load hits
 * a pass, not the median); CPU times and the layer table are means. -k
 * picks the kernels: avx2, portable or naive (default: the best the CPU
 * runs). A benchmark, not a test: nothing here is checked. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../lib/kernel/tensor.h"
#include "../lib/nn/layer.h"

/* CPU seconds of the whole process, all threads: on a shared machine the
 * wall clock also counts time spent waiting for a core */
static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *
slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* forward multiply-adds of one image through a conv layer */
static double
macs(const struct layer *l)
{
	if (l->kind != &nn_conv)
		return 0;
	return (double)l->out.h * l->out.w * l->out.c * l->opt.conv.size * l->opt.conv.size *
	       l->in[0]->out.c;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "train", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct net net;
	struct nn_error err;
	struct rng r;
	struct rusage ru;
	size_t h = 300, w = 300, batch = 32, i, nin, nout;
	int threads = 2, iters = 3, train = 0, c, k, kern = -1;
	static const char *kname[] = { "naive", "portable", "avx2" };
	double t0, c0, t, total = 0, ctotal = 0, fl = 0, *ts;
	float *target;
	struct adam_hp hp = { 1e-3f, 0.9f, 0.999f, 1e-7f };

	while ((c = getopt_long(argc, argv, "t:n:b:s:k:", longopts, NULL)) != -1) {
		switch (c) {
		case 't': threads = atoi(optarg); break;
		case 'n': iters = atoi(optarg); break;
		case 'b': batch = (size_t)atol(optarg); break;
		case 's':
			if (sscanf(optarg, "%zux%zu", &h, &w) != 2) {
				fprintf(stderr, "nnbench: -s HxW\n");
				return 2;
			}
			break;
		case 'T': train = 1; break;
		case 'k':
			for (kern = 2; kern >= 0 && strcmp(optarg, kname[kern]) != 0; kern--)
				;
			if (kern < 0) {
				fprintf(stderr, "nnbench: -k avx2|portable|naive\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: nnbench [-t threads] [-n iters] [-b batch] [-s HxW] [-k kernels] [--train] cfg\n");
			return 2;
		}
	}
	if (optind != argc - 1 || threads < 1 || iters < 1 || batch < 1) {
		fprintf(stderr, "usage: nnbench [-t threads] [-n iters] [-b batch] [-s HxW] [-k kernels] [--train] cfg\n");
		return 2;
	}
	t_set_blas_threads(1);
	if (nn_build(&net, slurp(argv[optind]), h, w, batch, train ? NN_TRAIN : NN_INFER, &err) != 0) {
		fprintf(stderr, "nnbench: %s:%d: %s\n", argv[optind], err.line, err.msg);
		return 1;
	}
	if ((kern >= 0 && nn_set_kernels(&net, (enum nn_kernels)kern, &err) != 0) ||
	    nn_set_threads(&net, threads, &err) != 0) {
		fprintf(stderr, "nnbench: %s\n", err.msg);
		return 1;
	}
	rng_seed(&r, 1);
	nn_init(&net, &r);
	nin = batch * h * w * net.in.c;
	nout = batch * net.l[net.nl - 1].out.h * net.l[net.nl - 1].out.w * net.l[net.nl - 1].out.c;
	target = malloc(nout * sizeof *target);
	for (i = 0; i < nin; i++)
		nn_input(&net)[i] = (float)rng_uniform(&r);
	for (i = 0; i < nout; i++)
		target[i] = (float)rng_uniform(&r);
	net.prof = calloc(2 * (size_t)net.nl, sizeof *net.prof);
	if (!(ts = malloc((size_t)iters * sizeof *ts))) {
		fprintf(stderr, "nnbench: out of memory\n");
		return 1;
	}
	for (k = 0; k <= iters; k++) {
		if (k == 1)
			memset(net.prof, 0, 2 * (size_t)net.nl * sizeof *net.prof);
		t0 = t_now();
		c0 = cpu();
		nn_forward(&net, batch, train);
		if (train) {
			nn_mse(&net, target, batch);
			nn_zero_grad(&net);
			nn_backward(&net, batch);
			nn_adam(&net, &hp);
		}
		t = t_now() - t0;
		if (k > 0) {
			ts[k - 1] = t;
			ctotal += cpu() - c0;
		}
	}
	qsort(ts, (size_t)iters, sizeof *ts, cmp_double);
	/* the median pass, as iters passes of it */
	total = iters * (iters % 2 ? ts[iters / 2] : (ts[iters / 2 - 1] + ts[iters / 2]) / 2);
	free(ts);
	for (k = 1; k < net.nl; k++)
		fl += 2 * macs(&net.l[k]) * (train ? 3 : 1);
	getrusage(RUSAGE_SELF, &ru);
	printf("engine=dae mode=%s threads=%d batch=%zu size=%zux%zu img_per_s=%.2f "
	       "ms_per_batch=%.1f gflops=%.1f cpu_ms_per_batch=%.1f gflops_per_cpu_s=%.1f "
	       "peak_rss_mb=%.0f blas=%s kernels=%s\n",
	       train ? "train" : "infer", threads, batch, h, w, (double)batch * iters / total,
	       1e3 * total / iters, fl * (double)batch * iters / total / 1e9, 1e3 * ctotal / iters,
	       fl * (double)batch * iters / ctotal / 1e9,
	       (double)ru.ru_maxrss / 1024, t_blas_corename(), kname[net.kernels]);
	printf("# layer            kind        out            fwd ms   bwd ms  GFLOP/s fwd\n");
	for (k = 1; k < net.nl; k++) {
		const struct layer *l = &net.l[k];
		double f = 1e3 * net.prof[2 * k] / iters, b = 1e3 * net.prof[2 * k + 1] / iters;
		printf("# %-16s %-11s %4zux%4zux%-4zu %8.1f %8.1f %8.1f\n", l->name, l->kind->name,
		       l->out.h, l->out.w, l->out.c, f, b,
		       f > 0 ? 2 * macs(l) * (double)batch / (f / 1e3) / 1e9 : 0);
	}
	free(net.prof);
	net.prof = NULL;
	free(target);
	nn_free(&net);
	return 0;
}
