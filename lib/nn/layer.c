/* layer.c: what the layer kinds share: the activation key and functions,
 * a parallel loop over ranges, Keras' initialiser limit, and who reads a
 * layer. Declared in layer.h. */
#include "layer.h"

#include <math.h>
#include <string.h>

#include "../kernel/tensor.h"

const char *
nn_act_name(enum nn_act a)
{
	return a == ACT_RELU ? "relu" : a == ACT_SIGMOID ? "sigmoid" : "linear";
}

int
nn_parse_act(struct cfg_section *s, enum nn_act *a, struct nn_error *err)
{
	const char *v = cfg_get(s, "activation");
	int i;

	*a = ACT_LINEAR;
	if (!v)
		return 0;
	for (i = ACT_LINEAR; i <= ACT_SIGMOID; i++)
		if (strcmp(v, nn_act_name((enum nn_act)i)) == 0) {
			*a = (enum nn_act)i;
			return 0;
		}
	for (i = 0; i < s->nkv && strcmp(s->kv[i].key, "activation") != 0; i++)
		;
	return nn_errorf(err, s->kv[i].line, "activation: expected linear, relu or sigmoid, not '%s'",
	                 v);
}

void
nn_act_forward(float *y, size_t n, enum nn_act a)
{
	size_t i;

	if (a == ACT_RELU) {
		for (i = 0; i < n; i++)
			y[i] = y[i] > 0 ? y[i] : 0;
	} else if (a == ACT_SIGMOID) {
		for (i = 0; i < n; i++)
			y[i] = 1.0f / (1.0f + expf(-y[i]));
	}
}

/* dy *= f'(x), written in terms of the output y = f(x) */
void
nn_act_backward(float *dy, const float *y, size_t n, enum nn_act a)
{
	size_t i;

	if (a == ACT_RELU) {
		for (i = 0; i < n; i++)
			dy[i] = y[i] > 0 ? dy[i] : 0;
	} else if (a == ACT_SIGMOID) {
		for (i = 0; i < n; i++)
			dy[i] *= y[i] * (1 - y[i]);
	}
}

struct range_job {
	void (*fn)(void *, size_t, size_t);
	void *arg;
	size_t n, chunk;
};

static void
range_item(void *p, size_t i, int thread)
{
	struct range_job *j = p;
	size_t i0 = i * j->chunk, i1 = i0 + j->chunk < j->n ? i0 + j->chunk : j->n;

	(void)thread;
	j->fn(j->arg, i0, i1);
}

void
nn_parallel_range(const struct nn_ctx *x, size_t n, size_t chunk,
                  void (*fn)(void *arg, size_t i0, size_t i1), void *arg)
{
	struct range_job j = { fn, arg, n, chunk ? chunk : 1 };

	t_parallel_for(x->kernels == NN_NAIVE ? 1 : x->nthreads, (n + j.chunk - 1) / j.chunk,
	               range_item, &j);
}

/* Keras' GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) */
float
nn_glorot_limit(size_t fan_in, size_t fan_out)
{
	return (float)sqrt(6.0 / (double)(fan_in + fan_out));
}

struct layer *
nn_sole_reader(const struct net *net, const struct layer *l)
{
	struct layer *r = NULL;
	int i = (int)(l - net->l), j, k;

	if (i == net->nl - 1)
		return NULL;
	for (j = i + 1; j < net->nl; j++)
		for (k = 0; k < net->l[j].nin; k++)
			if (net->l[j].from[k] == i) {
				if (r)
					return NULL;
				r = &net->l[j];
			}
	return r;
}
