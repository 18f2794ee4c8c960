/* nn_scale.c: layers that change the grid without weights. upsample is
 * Keras' UpSampling2D (nearest); space_to_depth and depth_to_space are TF's
 * tf.nn.space_to_depth / depth_to_space in NHWC with DCR order: output
 * channel (by * b + bx) * C + c holds input pixel (y * b + by, x * b + bx). */
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

static int
scale_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	long size;

	if (cfg_int(s, "size", 2, 1, 16, &size, err) != 0)
		return -1;
	l->opt.scale.size = (int)size;
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[%s] takes one input", s->kind);
	return 0;
}

static int
up_shape(struct layer *l, struct nn_error *err)
{
	size_t f = (size_t)l->opt.scale.size;

	(void)err;
	l->out.h = l->in[0]->out.h * f;
	l->out.w = l->in[0]->out.w * f;
	l->out.c = l->in[0]->out.c;
	l->up = (int)f;
	return 0;
}

/* out (H*f, W*f, C), in (H, W, C), input rows y0 .. y1 */
static void
upsample_forward(float *out, const float *in, size_t w, size_t c, size_t f, size_t y0,
                 size_t y1)
{
	size_t y, x, i, ow = w * f, row = ow * c;

	for (y = y0; y < y1; y++) {
		float *o = out + y * f * row;
		for (x = 0; x < w; x++)
			for (i = 0; i < f; i++)
				memcpy(o + (x * f + i) * c, in + (y * w + x) * c, c * sizeof(float));
		for (i = 1; i < f; i++)
			memcpy(o + i * row, o, row * sizeof(float));
	}
}

/* din (H, W, C) += the sum of each f x f block of dout, input rows y0 .. y1 */
static void
upsample_backward(float *din, const float *dout, size_t w, size_t c, size_t f, size_t y0,
                  size_t y1, int avx2)
{
	size_t y, x, k, i, j, ow = w * f;

	for (y = y0; y < y1; y++) {
		const float *r = dout + y * f * ow * c;
		if (avx2 && f == 2) {
			t_sumpool2_avx2(din + y * w * c, r, r + ow * c, w, c);
			continue;
		}
		for (x = 0; x < w; x++) {
			float *d = din + (y * w + x) * c;
			for (i = 0; i < f; i++)
				for (j = 0; j < f; j++)
					for (k = 0; k < c; k++)
						d[k] += r[(i * ow + x * f + j) * c + k];
		}
	}
}

struct up_job {
	struct layer *l;
	int backward, avx2;
};

/* input rows i0 .. i1 counted over the whole batch */
static void
up_range(void *arg, size_t i0, size_t i1)
{
	struct up_job *j = arg;
	struct layer *l = j->l;
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, osz = l->out.h * l->out.w * l->out.c;
	size_t f = (size_t)l->opt.scale.size, i, n, y1;

	for (i = i0; i < i1; i = n * in->h + y1) {
		n = i / in->h;
		y1 = i1 - n * in->h < in->h ? i1 - n * in->h : in->h;
		if (!j->backward)
			upsample_forward(l->act + n * osz, l->in[0]->act + n * isz, in->w, in->c, f,
			                 i % in->h, y1);
		else
			upsample_backward(l->in[0]->dact + n * isz, l->dact + n * osz, in->w, in->c, f,
			                  i % in->h, y1, j->avx2);
	}
}

static void
up_forward(struct layer *l, const struct nn_ctx *x)
{
	struct up_job j = { l, 0, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->in[0]->out.h, 8, up_range, &j);
}

static void
up_backward(struct layer *l, const struct nn_ctx *x)
{
	struct up_job j = { l, 1, x->kernels == NN_AVX2 };

	if (!l->in[0]->dact)
		return;
	nn_parallel_range(x, x->n * l->in[0]->out.h, 8, up_range, &j);
}

const struct layer_kind nn_upsample = {
	.name = "upsample",
	.parse = scale_parse,
	.shape = up_shape,
	.forward = up_forward,
	.backward = up_backward,
};

/* The two rearrangements are one loop: s2d copies image -> blocks, d2s
 * blocks -> image; backward runs the same loop the other way round, adding. */
static void
rearrange(float *img, float *blk, size_t h, size_t w, size_t c, size_t b, int to_blocks,
          int add)
{
	size_t y, x, k, ow = w / b;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			float *p = img + (y * w + x) * c;
			float *q = blk + ((y / b) * ow + x / b) * (b * b * c) + ((y % b) * b + x % b) * c;
			if (to_blocks && !add)
				memcpy(q, p, c * sizeof(float));
			else if (!to_blocks && !add)
				memcpy(p, q, c * sizeof(float));
			else if (to_blocks)
				for (k = 0; k < c; k++)
					q[k] += p[k];
			else
				for (k = 0; k < c; k++)
					p[k] += q[k];
		}
}

static int
s2d_shape(struct layer *l, struct nn_error *err)
{
	size_t b = (size_t)l->opt.scale.size;
	const struct shape *in = &l->in[0]->out;

	if (in->h % b || in->w % b)
		return nn_errorf(err, l->line, "[space_to_depth] %s: %zux%zu is not a multiple of %zu",
		                 l->name, in->h, in->w, b);
	l->out.h = in->h / b;
	l->out.w = in->w / b;
	l->out.c = in->c * b * b;
	l->down = (int)b;
	return 0;
}

static int
d2s_shape(struct layer *l, struct nn_error *err)
{
	size_t b = (size_t)l->opt.scale.size;
	const struct shape *in = &l->in[0]->out;

	if (in->c % (b * b))
		return nn_errorf(err, l->line, "[depth_to_space] %s: %zu channels not a multiple of %zu",
		                 l->name, in->c, b * b);
	l->out.h = in->h * b;
	l->out.w = in->w * b;
	l->out.c = in->c / (b * b);
	l->up = (int)b;
	return 0;
}

static void
s2d_forward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, n;

	for (n = 0; n < x->n; n++)
		rearrange(l->in[0]->act + n * isz, l->act + n * isz, in->h, in->w, in->c,
		          (size_t)l->opt.scale.size, 1, 0);
}

static void
s2d_backward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, n;

	if (!l->in[0]->dact)
		return;
	for (n = 0; n < x->n; n++)
		rearrange(l->in[0]->dact + n * isz, l->dact + n * isz, in->h, in->w, in->c,
		          (size_t)l->opt.scale.size, 0, 1);
}

static void
d2s_forward(struct layer *l, const struct nn_ctx *x)
{
	size_t osz = l->out.h * l->out.w * l->out.c, n;

	for (n = 0; n < x->n; n++)
		rearrange(l->act + n * osz, l->in[0]->act + n * osz, l->out.h, l->out.w, l->out.c,
		          (size_t)l->opt.scale.size, 0, 0);
}

static void
d2s_backward(struct layer *l, const struct nn_ctx *x)
{
	size_t osz = l->out.h * l->out.w * l->out.c, n;

	if (!l->in[0]->dact)
		return;
	for (n = 0; n < x->n; n++)
		rearrange(l->dact + n * osz, l->in[0]->dact + n * osz, l->out.h, l->out.w, l->out.c,
		          (size_t)l->opt.scale.size, 1, 1);
}

const struct layer_kind nn_space_to_depth = {
	.name = "space_to_depth",
	.parse = scale_parse,
	.shape = s2d_shape,
	.forward = s2d_forward,
	.backward = s2d_backward,
};

const struct layer_kind nn_depth_to_space = {
	.name = "depth_to_space",
	.parse = scale_parse,
	.shape = d2s_shape,
	.forward = d2s_forward,
	.backward = d2s_backward,
};
