/* nn_act.c: standalone activations, for when one is not fused into a conv:
 * relu, sigmoid and linear (the identity, useful as a named tap point). */
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

static int
act_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[%s] takes one input", s->kind);
	return 0;
}

static int
act_shape(struct layer *l, struct nn_error *err)
{
	(void)err;
	l->out = l->in[0]->out;
	return 0;
}

/* elementwise work goes in chunks of 16k floats over the threads */
#define ACT_CHUNK 16384

struct act_job {
	struct layer *l;
	enum nn_act a;
	int avx2;
};

static void
act_forward_range(void *arg, size_t i0, size_t i1)
{
	struct act_job *j = arg;
	float *y = j->l->act + i0;
	const float *x = j->l->in[0]->act + i0;

	if (j->avx2) {
		t_act_avx2(y, x, i1 - i0, (int)j->a);
		return;
	}
	memcpy(y, x, (i1 - i0) * sizeof(float));
	nn_act_forward(y, i1 - i0, j->a);
}

/* din += dout f'(x), from the output y = f(x) */
static void
act_backward_range(void *arg, size_t i0, size_t i1)
{
	struct act_job *j = arg;
	float *din = j->l->in[0]->dact + i0, *dy = j->l->dact + i0;
	size_t i;

	if (j->avx2) {
		t_act_grad_avx2(din, dy, j->l->act + i0, i1 - i0, (int)j->a, 1);
		return;
	}
	nn_act_backward(dy, j->l->act + i0, i1 - i0, j->a);
	for (i = 0; i < i1 - i0; i++)
		din[i] += dy[i];
}

static void
act_forward(struct layer *l, enum nn_act a, const struct nn_ctx *x)
{
	struct act_job j = { l, a, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->out.h * l->out.w * l->out.c, ACT_CHUNK, act_forward_range,
	                  &j);
}

static void
act_backward(struct layer *l, enum nn_act a, const struct nn_ctx *x)
{
	struct act_job j = { l, a, x->kernels == NN_AVX2 };

	if (!l->in[0]->dact)
		return;
	nn_parallel_range(x, x->n * l->out.h * l->out.w * l->out.c, ACT_CHUNK, act_backward_range,
	                  &j);
}

static void relu_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_RELU, x); }
static void relu_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_RELU, x); }
static void sigmoid_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_SIGMOID, x); }
static void sigmoid_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_SIGMOID, x); }
static void linear_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_LINEAR, x); }
static void linear_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_LINEAR, x); }

const struct layer_kind nn_relu = {
	.name = "relu",
	.parse = act_parse,
	.shape = act_shape,
	.forward = relu_forward,
	.backward = relu_backward,
};

const struct layer_kind nn_sigmoid = {
	.name = "sigmoid",
	.parse = act_parse,
	.shape = act_shape,
	.forward = sigmoid_forward,
	.backward = sigmoid_backward,
};

const struct layer_kind nn_linear = {
	.name = "linear",
	.parse = act_parse,
	.shape = act_shape,
	.forward = linear_forward,
	.backward = linear_backward,
};
