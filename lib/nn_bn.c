/* nn_bn.c: batch normalisation over N, H, W per channel, as Keras'
 * BatchNormalization: eps 1e-3 and momentum 0.99 by default; training
 * normalises with the batch mean and the biased batch variance and moves
 * moving = moving * momentum + batch * (1 - momentum), with that same biased
 * variance (PyTorch would use the unbiased one there); inference uses the
 * moving statistics. Forward keeps the batch mean and 1/std for backward. */
#include <math.h>
#include <string.h>

#include "nn.h"

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
 * inference the folded scale and shift; acc (2C doubles) scratch */
static void
batchnorm_forward(float *out, const float *in, const float *gamma, const float *beta,
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
	for (k = 0; k < c; k++) {
		/* y = a x + b, folded once per channel */
		float a = gamma[k] / sqrtf(moving[c + k] + o->eps);
		cache[k] = a;
		cache[c + k] = beta[k] - a * moving[k];
	}
	for (i = 0; i < m; i++)
		for (k = 0; k < c; k++)
			out[i * c + k] = cache[k] * in[i * c + k] + cache[c + k];
}

/* din (M, C) +=, dgamma, dbeta (C) +=, from dout, in and the cache of a
 * training forward; acc (2C doubles) scratch */
static void
batchnorm_backward(float *din, float *dgamma, float *dbeta, const float *dout,
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

static size_t
bn_workspace(const struct layer *l, const struct nn_ctx *x)
{
	(void)x;
	return 4 * l->out.c;    /* 2C doubles */
}

static void
bn_forward(struct layer *l, const struct nn_ctx *x)
{
	batchnorm_forward(l->act, l->in[0]->act, l->w, l->b, l->state, l->cache, (double *)x->ws,
	                  x->n * l->out.h * l->out.w, l->out.c, x->train, &l->opt.bn);
}

static void
bn_backward(struct layer *l, const struct nn_ctx *x)
{
	batchnorm_backward(l->in[0]->dact, l->dw, l->db, l->dact, l->in[0]->act, l->w, l->cache,
	                   (double *)x->ws, x->n * l->out.h * l->out.w, l->out.c);
}

const struct layer_kind nn_batchnorm = {
	"batchnorm", bn_parse, bn_shape, bn_init, bn_forward, bn_backward, bn_workspace,
	"gamma", "beta", { "moving_mean", "moving_var" },
};
