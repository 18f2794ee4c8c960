/* nn_act.c: standalone activations, for when one is not fused into a conv:
 * relu, sigmoid and linear (the identity, useful as a named tap point). */
#include <string.h>

#include "nn.h"

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

static void
act_forward(struct layer *l, enum nn_act a, const struct nn_ctx *x)
{
	size_t n = x->n * l->out.h * l->out.w * l->out.c;

	memcpy(l->act, l->in[0]->act, n * sizeof(float));
	nn_act_forward(l->act, n, a);
}

/* din += dout * f'(x), from the output y = f(x) */
static void
act_backward(struct layer *l, enum nn_act a, const struct nn_ctx *x)
{
	size_t n = x->n * l->out.h * l->out.w * l->out.c, i;
	float *din = l->in[0]->dact;

	if (!din)
		return;
	nn_act_backward(l->dact, l->act, n, a);
	for (i = 0; i < n; i++)
		din[i] += l->dact[i];
}

static void relu_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_RELU, x); }
static void relu_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_RELU, x); }
static void sigmoid_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_SIGMOID, x); }
static void sigmoid_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_SIGMOID, x); }
static void linear_forward(struct layer *l, const struct nn_ctx *x) { act_forward(l, ACT_LINEAR, x); }
static void linear_backward(struct layer *l, const struct nn_ctx *x) { act_backward(l, ACT_LINEAR, x); }

const struct layer_kind nn_relu = {
	"relu", act_parse, act_shape, NULL, relu_forward, relu_backward, NULL,
	NULL, NULL, { NULL, NULL },
};

const struct layer_kind nn_sigmoid = {
	"sigmoid", act_parse, act_shape, NULL, sigmoid_forward, sigmoid_backward, NULL,
	NULL, NULL, { NULL, NULL },
};

const struct layer_kind nn_linear = {
	"linear", act_parse, act_shape, NULL, linear_forward, linear_backward, NULL,
	NULL, NULL, { NULL, NULL },
};
