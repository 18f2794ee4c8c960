/* nn_pool.c: max pooling as Keras' MaxPooling2D: window size, stride
 * (default: the size), 'valid' or 'same'. 'same' gives ceil(H / stride)
 * rows and pads after the image when the total padding is odd (TF's rule),
 * so 75 rows pool to 38 with the last window hanging over the edge; padded
 * cells never win. Backward finds the winner again instead of storing it:
 * the first maximum in row-major window order, as TF and PyTorch pick. */
#include <float.h>
#include <string.h>

#include "nn.h"

static int
pool_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	struct pool_opt *o = &l->opt.pool;
	const char *pad;
	long size, stride;

	if (cfg_int(s, "size", 2, 1, 16, &size, err) != 0 ||
	    cfg_int(s, "stride", size, 1, 16, &stride, err) != 0)
		return -1;
	pad = cfg_get(s, "pad");
	if (pad && strcmp(pad, "same") != 0 && strcmp(pad, "valid") != 0)
		return nn_errorf(err, s->line, "pad: expected same or valid, not '%s'", pad);
	o->size = (int)size;
	o->stride = (int)stride;
	o->same = pad && strcmp(pad, "same") == 0;
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[maxpool] takes one input");
	return 0;
}

static size_t
pool_axis(size_t in, size_t size, size_t stride, int same, int *pad_before)
{
	size_t out, total;

	if (!same) {
		*pad_before = 0;
		return in < size ? 0 : (in - size) / stride + 1;
	}
	out = (in + stride - 1) / stride;
	total = (out - 1) * stride + size;
	*pad_before = total > in ? (int)((total - in) / 2) : 0;
	return out;
}

static int
pool_shape(struct layer *l, struct nn_error *err)
{
	struct pool_opt *o = &l->opt.pool;
	const struct shape *in = &l->in[0]->out;

	(void)err;
	l->out.h = pool_axis(in->h, (size_t)o->size, (size_t)o->stride, o->same, &o->pad_top);
	l->out.w = pool_axis(in->w, (size_t)o->size, (size_t)o->stride, o->same, &o->pad_left);
	l->out.c = in->c;
	l->down = o->stride;
	l->reach = o->size - 1;
	return 0;
}

/* the window of output (oy, ox), clipped to the image */
static void
window(const struct pool_opt *o, size_t h, size_t w, size_t oy, size_t ox, size_t *y0,
       size_t *y1, size_t *x0, size_t *x1)
{
	long a = (long)(oy * (size_t)o->stride) - o->pad_top;
	long b = (long)(ox * (size_t)o->stride) - o->pad_left;

	*y0 = a < 0 ? 0 : (size_t)a;
	*x0 = b < 0 ? 0 : (size_t)b;
	*y1 = (size_t)(a + o->size) < h ? (size_t)(a + o->size) : h;
	*x1 = (size_t)(b + o->size) < w ? (size_t)(b + o->size) : w;
}

/* out (OH, OW, C), in (H, W, C) */
static void
maxpool_forward(float *out, const float *in, const struct pool_opt *o, size_t h, size_t w,
                size_t c, size_t oh, size_t ow)
{
	size_t oy, ox, y, x, y0, y1, x0, x1, k;

	for (oy = 0; oy < oh; oy++)
		for (ox = 0; ox < ow; ox++) {
			float *dst = out + (oy * ow + ox) * c;
			window(o, h, w, oy, ox, &y0, &y1, &x0, &x1);
			for (k = 0; k < c; k++)
				dst[k] = -FLT_MAX;
			for (y = y0; y < y1; y++)
				for (x = x0; x < x1; x++) {
					const float *src = in + (y * w + x) * c;
					for (k = 0; k < c; k++)
						dst[k] = src[k] > dst[k] ? src[k] : dst[k];
				}
		}
}

/* din (H, W, C) +=, from dout and out (OH, OW, C) and in */
static void
maxpool_backward(float *din, const float *dout, const float *out, const float *in,
                 const struct pool_opt *o, size_t h, size_t w, size_t c, size_t oh, size_t ow)
{
	size_t oy, ox, y, x, y0, y1, x0, x1, k;

	for (oy = 0; oy < oh; oy++)
		for (ox = 0; ox < ow; ox++) {
			size_t at = (oy * ow + ox) * c;
			window(o, h, w, oy, ox, &y0, &y1, &x0, &x1);
			for (k = 0; k < c; k++) {
				int done = 0;
				for (y = y0; y < y1 && !done; y++)
					for (x = x0; x < x1 && !done; x++)
						if (in[(y * w + x) * c + k] == out[at + k]) {
							din[(y * w + x) * c + k] += dout[at + k];
							done = 1;
						}
			}
		}
}

static void
pool_forward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, osz = l->out.h * l->out.w * l->out.c, n;

	for (n = 0; n < x->n; n++)
		maxpool_forward(l->act + n * osz, l->in[0]->act + n * isz, &l->opt.pool, in->h,
		                in->w, in->c, l->out.h, l->out.w);
}

static void
pool_backward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, osz = l->out.h * l->out.w * l->out.c, n;

	if (!l->in[0]->dact)
		return;
	for (n = 0; n < x->n; n++)
		maxpool_backward(l->in[0]->dact + n * isz, l->dact + n * osz, l->act + n * osz,
		                 l->in[0]->act + n * isz, &l->opt.pool, in->h, in->w, in->c,
		                 l->out.h, l->out.w);
}

const struct layer_kind nn_maxpool = {
	"maxpool", pool_parse, pool_shape, NULL, pool_forward, pool_backward, NULL,
	NULL, NULL, { NULL, NULL },
};
