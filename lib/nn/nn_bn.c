/* nn_bn.c: batch normalisation over N, H, W per channel, as Keras'
 * BatchNormalization: eps 1e-3 and momentum 0.99 by default; training
 * normalises with the batch mean and the biased batch variance and moves
 * moving = moving * momentum + batch * (1 - momentum), with that same biased
 * variance (PyTorch would use the unbiased one there); inference uses the
 * moving statistics. Forward keeps the batch mean and 1/std for backward. */
#include <math.h>
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

void
nn_bn_fold(float *scale, const float *gamma, const float *var, size_t c, float eps)
{
	size_t k;

	for (k = 0; k < c; k++)
		scale[k] = gamma[k] / sqrtf(var[k] + eps);
}

static int
bn_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	double mom, eps;

	if (cfg_float(s, "momentum", 0.99, 0, 1, &mom, err) != 0 ||
	    cfg_float(s, "eps", 1e-3, 1e-12, 1, &eps, err) != 0)
		return -1;
	l->opt.bn.momentum = (float)mom;
	l->opt.bn.eps = (float)eps;
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[batchnorm] takes one input");
	return 0;
}

static int
bn_shape(struct layer *l, struct nn_error *err)
{
	(void)err;
	l->out = l->in[0]->out;
	l->nw = l->nb = l->out.c;
	l->wrank = 1;
	l->wdims[0] = (uint32_t)l->out.c;
	l->nstate = 2 * l->out.c;
	l->ncache = 2 * l->out.c;
	return 0;
}

static void
bn_init(struct layer *l, struct rng *r)
{
	size_t c;

	(void)r;
	for (c = 0; c < l->out.c; c++) {
		l->w[c] = 1;                    /* gamma */
		l->state[l->out.c + c] = 1;     /* moving variance */
	}
}

/* out (M, C), in (M, C) with M = N*H*W; gamma, beta, moving (2C): mean
 * then variance; cache (2C): batch mean then 1/sqrt(var + eps), or in
 * inference the folded scale and shift; acc (2C doubles) scratch. The
 * reference, one thread. */
static void
batchnorm_forward_naive(float *out, const float *in, const float *gamma, const float *beta,
                        float *moving, float *cache, double *acc, size_t m, size_t c, int train,
                        const struct bn_opt *o)
{
	size_t i, k;

	if (train) {
		/* two passes in double, row by row: the mean, then squared deviations */
		memset(acc, 0, 2 * c * sizeof *acc);
		for (i = 0; i < m; i++)
			for (k = 0; k < c; k++)
				acc[k] += in[i * c + k];
		for (k = 0; k < c; k++)
			cache[k] = (float)(acc[k] / (double)m);
		for (i = 0; i < m; i++)
			for (k = 0; k < c; k++) {
				double d = (double)in[i * c + k] - cache[k];
				acc[c + k] += d * d;
			}
		for (k = 0; k < c; k++) {
			float var = (float)(acc[c + k] / (double)m);
			cache[c + k] = 1.0f / sqrtf(var + o->eps);
			moving[k] = moving[k] * o->momentum + cache[k] * (1 - o->momentum);
			moving[c + k] = moving[c + k] * o->momentum + var * (1 - o->momentum);
		}
		for (i = 0; i < m; i++)
			for (k = 0; k < c; k++)
				out[i * c + k] = gamma[k] * (in[i * c + k] - cache[k]) * cache[c + k] + beta[k];
		return;
	}
	/* y = a x + b, folded once per channel */
	nn_bn_fold(cache, gamma, moving + c, c, o->eps);
	for (k = 0; k < c; k++)
		cache[c + k] = beta[k] - cache[k] * moving[k];
	for (i = 0; i < m; i++)
		for (k = 0; k < c; k++)
			out[i * c + k] = cache[k] * in[i * c + k] + cache[c + k];
}

/* din (M, C) +=, dgamma, dbeta (C) +=, from dout, in and the cache of a
 * training forward; acc (2C doubles) scratch. The reference. */
static void
batchnorm_backward_naive(float *din, float *dgamma, float *dbeta, const float *dout,
                         const float *in, const float *gamma, const float *cache, double *acc,
                         size_t m, size_t c)
{
	size_t i, k;

	memset(acc, 0, 2 * c * sizeof *acc);
	for (i = 0; i < m; i++)
		for (k = 0; k < c; k++) {
			float xhat = (in[i * c + k] - cache[k]) * cache[c + k];
			acc[k] += dout[i * c + k];
			acc[c + k] += (double)dout[i * c + k] * xhat;
		}
	for (k = 0; k < c; k++) {
		dbeta[k] += (float)acc[k];
		dgamma[k] += (float)acc[c + k];
	}
	if (!din)
		return;
	/* dx = gamma istd (dy - mean(dy) - xhat mean(dy xhat)) */
	for (i = 0; i < m; i++)
		for (k = 0; k < c; k++) {
			float xhat = (in[i * c + k] - cache[k]) * cache[c + k];
			din[i * c + k] += gamma[k] * cache[c + k] *
			                  (dout[i * c + k] - (float)(acc[k] / (double)m) -
			                   xhat * (float)(acc[c + k] / (double)m));
		}
}

/* The optimized passes cut the M rows into chunks of BN_CHUNK, spread over
 * the threads; each chunk's channel sums go to its own slot in double, and
 * the slots are added in chunk order, so results do not depend on the
 * thread count. Per channel: y = (x - mean) s + b. */
#define BN_CHUNK 1024

/* the portable twins of t_bn_sums_avx2, t_affine_avx2, t_bn_dx_avx2 */
static void
bn_sums(double *acc, const float *x, const float *dy, const float *m, const float *s,
        size_t rows, size_t c)
{
	size_t i, k;

	for (i = 0; i < rows; i++)
		for (k = 0; k < c; k++) {
			double v = x[i * c + k];
			if (dy) {
				acc[k] += dy[i * c + k];
				acc[c + k] += (double)dy[i * c + k] * ((x[i * c + k] - m[k]) * s[k]);
			} else {
				acc[k] += m ? (v - m[k]) * (v - m[k]) : v;
			}
		}
}

static void
affine(float *y, const float *x, const float *m, const float *s, const float *b, size_t rows,
       size_t c)
{
	size_t i, k;

	for (i = 0; i < rows; i++)
		for (k = 0; k < c; k++)
			y[i * c + k] = (x[i * c + k] - m[k]) * s[k] + b[k];
}

static void
bn_dx(float *dx, const float *dy, const float *x, const float *m, const float *s,
      const float *g, const float *mdy, const float *mdx, size_t rows, size_t c)
{
	size_t i, k;

	for (i = 0; i < rows; i++)
		for (k = 0; k < c; k++) {
			float xhat = (x[i * c + k] - m[k]) * s[k];
			dx[i * c + k] += g[k] * (dy[i * c + k] - mdy[k] - xhat * mdx[k]);
		}
}

enum bn_pass { SUM, SUMSQ, NORM, GRADSUMS, GRADX };

struct bn_job {
	struct layer *l;
	const struct nn_ctx *x;
	enum bn_pass pass;
	size_t m;
	double *acc;            /* 2C doubles a chunk */
	const float *mean, *s, *b, *g, *mdy, *mdx;
};

static void
bn_chunk(void *arg, size_t i, int thread)
{
	struct bn_job *j = arg;
	struct layer *l = j->l;
	size_t c = l->out.c, r0 = i * BN_CHUNK, rows = j->m - r0 < BN_CHUNK ? j->m - r0 : BN_CHUNK;
	const float *x = l->in[0]->act + r0 * c, *dy = l->dact ? l->dact + r0 * c : NULL;
	double *acc = j->acc + i * 2 * c;
	int avx2 = j->x->kernels == NN_AVX2;

	(void)thread;
	switch (j->pass) {
	case SUM:
	case SUMSQ:
	case GRADSUMS:
		memset(acc, 0, 2 * c * sizeof *acc);
		(avx2 ? t_bn_sums_avx2 : bn_sums)(acc, x, j->pass == GRADSUMS ? dy : NULL,
		                                   j->pass == SUM ? NULL : j->mean, j->s, rows, c);
		break;
	case NORM:
		(avx2 ? t_affine_avx2 : affine)(l->act + r0 * c, x, j->mean, j->s, j->b, rows, c);
		break;
	case GRADX:
		(avx2 ? t_bn_dx_avx2 : bn_dx)(l->in[0]->dact + r0 * c, dy, x, j->mean, j->s, j->g,
		                              j->mdy, j->mdx, rows, c);
		break;
	}
}

/* run one pass over every chunk; for the sums, add the chunks' slots in
 * order into sum (2C doubles) */
static void
bn_pass(struct bn_job *j, enum bn_pass pass, double *sum)
{
	size_t nch = (j->m + BN_CHUNK - 1) / BN_CHUNK, c = j->l->out.c, i, k;

	j->pass = pass;
	t_parallel_for(j->x->nthreads, nch, bn_chunk, j);
	if (!sum)
		return;
	memset(sum, 0, 2 * c * sizeof *sum);
	for (i = 0; i < nch; i++)
		for (k = 0; k < 2 * c; k++)
			sum[k] += j->acc[i * 2 * c + k];
}

/* scratch: 2C doubles of sums, 4C floats, then 2C doubles a chunk */
static size_t
bn_workspace(const struct layer *l, const struct nn_ctx *x)
{
	size_t m = x->n * l->out.h * l->out.w, c = l->out.c;

	if (x->kernels == NN_NAIVE)
		return 4 * c;   /* 2C doubles */
	return 4 * c + 4 * c + 2 * 2 * c * ((m + BN_CHUNK - 1) / BN_CHUNK);
}

static void
bn_forward(struct layer *l, const struct nn_ctx *x)
{
	size_t m = x->n * l->out.h * l->out.w, c = l->out.c, k;
	double *sum = (double *)x->ws;
	float *s = x->ws + 4 * c, *mean = l->cache, *istd = l->cache + c;
	struct bn_job j = { l, x, SUM, m, (double *)(x->ws + 8 * c), NULL, s, l->b, NULL, NULL, NULL };
	const struct bn_opt *o = &l->opt.bn;
	if (x->kernels == NN_NAIVE) {
		batchnorm_forward_naive(l->act, l->in[0]->act, l->w, l->b, l->state, l->cache,
		                        (double *)x->ws, m, c, x->train, o);
		return;
	}
	if (!x->train) {
		/* the moving statistics, folded into a scale */
		nn_bn_fold(s, l->w, l->state + c, c, o->eps);
		j.mean = l->state;
		bn_pass(&j, NORM, NULL);
		return;
	}
	bn_pass(&j, SUM, sum);
	for (k = 0; k < c; k++)
		mean[k] = (float)(sum[k] / (double)m);
	j.mean = mean;
	bn_pass(&j, SUMSQ, sum);
	for (k = 0; k < c; k++) {
		float var = (float)(sum[k] / (double)m);
		istd[k] = 1.0f / sqrtf(var + o->eps);
		s[k] = l->w[k] * istd[k];
		l->state[k] = l->state[k] * o->momentum + mean[k] * (1 - o->momentum);
		l->state[c + k] = l->state[c + k] * o->momentum + var * (1 - o->momentum);
	}
	bn_pass(&j, NORM, NULL);
}

static void
bn_backward(struct layer *l, const struct nn_ctx *x)
{
	size_t m = x->n * l->out.h * l->out.w, c = l->out.c, k;
	double *sum = (double *)x->ws;
	float *g = x->ws + 4 * c, *mdy = g + c, *mdx = g + 2 * c;
	struct bn_job j = { l, x, GRADSUMS, m, (double *)(x->ws + 8 * c), l->cache, l->cache + c,
	                    NULL, g, mdy, mdx };

	if (x->kernels == NN_NAIVE) {
		batchnorm_backward_naive(l->in[0]->dact, l->dw, l->db, l->dact, l->in[0]->act, l->w,
		                         l->cache, (double *)x->ws, m, c);
		return;
	}
	bn_pass(&j, GRADSUMS, sum);
	for (k = 0; k < c; k++) {
		l->db[k] += (float)sum[k];
		l->dw[k] += (float)sum[c + k];
		g[k] = l->w[k] * l->cache[c + k];
		mdy[k] = (float)(sum[k] / (double)m);
		mdx[k] = (float)(sum[c + k] / (double)m);
	}
	if (l->in[0]->dact)
		bn_pass(&j, GRADX, NULL);
}

const struct layer_kind nn_batchnorm = {
	.name = "batchnorm",
	.parse = bn_parse,
	.shape = bn_shape,
	.init = bn_init,
	.forward = bn_forward,
	.backward = bn_backward,
	.workspace = bn_workspace,
	.wname = "gamma",
	.bname = "beta",
	.state_names = { "moving_mean", "moving_var" },
};
