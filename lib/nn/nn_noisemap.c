/* nn_noisemap.c: the noise level as an input, as FFDNet (Zhang, Zuo and
 * Zhang, 2018) gives it: one channel the size of its input holding each
 * image's noise level, the standard deviation on the 0..1 scale the images
 * are fed on, which the program sets per image through nn_noise before
 * nn_forward. A [concat] puts it beside the image, so that the layers after
 * it can weigh their work by it; one network then serves every noise level
 * without guessing it. The level takes no gradient and the map passes none
 * back: its input is read only for its size. No parameters. */
#include "layer.h"

static int
noisemap_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[%s] takes one input", s->kind);
	return 0;
}

static int
noisemap_shape(struct layer *l, struct nn_error *err)
{
	(void)err;
	l->out = l->in[0]->out;
	l->out.c = 1;
	return 0;
}

static void
noisemap_forward(struct layer *l, const struct nn_ctx *x)
{
	size_t m = l->out.h * l->out.w, i, k;

	for (i = 0; i < x->n; i++)
		for (k = 0; k < m; k++)
			l->act[i * m + k] = x->noise[i];
}

static void
noisemap_backward(struct layer *l, const struct nn_ctx *x)
{
	(void)l;
	(void)x;
}

const struct layer_kind nn_noisemap = {
	.name = "noisemap",
	.parse = noisemap_parse,
	.shape = noisemap_shape,
	.forward = noisemap_forward,
	.backward = noisemap_backward,
};
