/* nn_pool.c: max pooling as Keras' MaxPooling2D: window size, stride
 * (default: the size), 'valid' or 'same'. 'same' gives ceil(H / stride)
 * rows and pads after the image when the total padding is odd (TF's rule),
 * so 75 rows pool to 38 with the last window hanging over the edge; padded
 * cells never win. Backward finds the winner again instead of storing it:
 * the first maximum in row-major window order, as TF and PyTorch pick. */
#include <float.h>
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

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

/* out (OH, OW, C), in (H, W, C): the reference */
static void
maxpool_forward_naive(float *out, const float *in, const struct pool_opt *o, size_t h,
                      size_t w, size_t c, size_t oh, size_t ow)
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

/* din (H, W, C) +=, from dout and out (OH, OW, C) and in: the reference */
static void
maxpool_backward_naive(float *din, const float *dout, const float *out, const float *in,
                       const struct pool_opt *o, size_t h, size_t w, size_t c, size_t oh,
                       size_t ow)
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

/* The optimized passes split each image into bands of output rows over the
 * threads. Pooling 2 x 2 with stride 2 and no padding before, by far the
 * common case, takes whole windows a row at a time; partial windows at the
 * far edges and every other geometry go through the reference loops, one
 * output pixel at a time (a 1 x 1 band). */

/* the portable twins of t_maxpool2_avx2 and t_maxpool2_grad_avx2 */
static void
maxpool2_row(float *out, const float *r0, const float *r1, size_t nx, size_t c)
{
	size_t x, k;

	for (x = 0; x < nx; x++, r0 += 2 * c, r1 += 2 * c, out += c)
		for (k = 0; k < c; k++) {
			float a = r0[k] > r0[c + k] ? r0[k] : r0[c + k];
			float b = r1[k] > r1[c + k] ? r1[k] : r1[c + k];
			out[k] = a > b ? a : b;
		}
}

static void
maxpool2_grad_row(float *d0, float *d1, const float *r0, const float *r1, const float *out,
                  const float *dout, size_t nx, size_t c)
{
	size_t x, k;

	for (x = 0; x < nx; x++, r0 += 2 * c, r1 += 2 * c, d0 += 2 * c, d1 += 2 * c, out += c,
	     dout += c)
		for (k = 0; k < c; k++) {
			if (r0[k] == out[k])
				d0[k] += dout[k];
			else if (r0[c + k] == out[k])
				d0[c + k] += dout[k];
			else if (r1[k] == out[k])
				d1[k] += dout[k];
			else if (r1[c + k] == out[k])
				d1[c + k] += dout[k];
		}
}

struct pool_job {
	struct layer *l;
	const struct nn_ctx *x;
	size_t rows, nbands;
	int fast;               /* 2 x 2, stride 2, nothing padded before */
	int backward;
};

/* the pixel (oy, ox) of one image through the reference loops */
static void
pool_pixel(const struct layer *l, float *out, const float *in, size_t oy, size_t ox,
           const float *dout, float *din)
{
	const struct shape *s = &l->in[0]->out;
	struct pool_opt o = l->opt.pool;
	size_t at = (oy * l->out.w + ox) * s->c;

	/* move the window's origin so that it is output pixel (0, 0) */
	o.pad_top -= (int)(oy * (size_t)o.stride);
	o.pad_left -= (int)(ox * (size_t)o.stride);
	if (!dout)
		maxpool_forward_naive(out + at, in, &o, s->h, s->w, s->c, 1, 1);
	else
		maxpool_backward_naive(din, dout + at, out + at, in, &o, s->h, s->w, s->c, 1, 1);
}

static void
pool_band(void *arg, size_t item, int thread)
{
	struct pool_job *j = arg;
	struct layer *l = j->l;
	const struct shape *s = &l->in[0]->out;
	size_t c = s->c, isz = s->h * s->w * c, osz = l->out.h * l->out.w * c, n = item / j->nbands;
	size_t oy0 = item % j->nbands * j->rows, oy1 = oy0 + j->rows, oy, ox, nx = 0;
	const float *in = l->in[0]->act + n * isz, *out = l->act + n * osz;
	const float *dout = j->backward ? l->dact + n * osz : NULL;
	float *din = dout ? l->in[0]->dact + n * isz : NULL;
	int avx2 = j->x->kernels == NN_AVX2;

	(void)thread;
	oy1 = oy1 < l->out.h ? oy1 : l->out.h;
	if (din && l->in[0]->zero_late) {
		/* the rows of din this band's windows cover, the last band's to
		 * the end (nn_backward left them to us: see zero_late) */
		size_t y1 = oy1 == l->out.h ? s->h : 2 * oy1;
		memset(din + 2 * oy0 * s->w * c, 0, (y1 - 2 * oy0) * s->w * c * sizeof(float));
	}
	for (oy = oy0; oy < oy1; oy++) {
		const float *r0 = in + 2 * oy * s->w * c, *r1 = r0 + s->w * c;
		float *o = l->act + n * osz + oy * l->out.w * c;
		nx = j->fast && 2 * oy + 1 < s->h ? s->w / 2 : 0;
		if (nx && !dout)
			(avx2 ? t_maxpool2_avx2 : maxpool2_row)(o, r0, r1, nx, c);
		else if (nx)
			(avx2 ? t_maxpool2_grad_avx2 : maxpool2_grad_row)(
				din + 2 * oy * s->w * c, din + (2 * oy + 1) * s->w * c, r0, r1,
				out + oy * l->out.w * c, dout + oy * l->out.w * c, nx, c);
		for (ox = nx; ox < l->out.w; ox++)
			pool_pixel(l, l->act + n * osz, in, oy, ox, dout, din);
	}
}

int
nn_pool_halves(const struct layer *l)
{
	const struct pool_opt *o = &l->opt.pool;

	return l->kind == &nn_maxpool && o->size == 2 && o->stride == 2 && o->pad_top == 0 &&
	       o->pad_left == 0;
}

/* the optimized kernels zero a halving pool's input gradient band by band
 * before adding into it (pool_band) */
static int
pool_sets_dx(const struct layer *l, enum nn_kernels k)
{
	return k != NN_NAIVE && nn_pool_halves(l);
}

/* bands of about 32k output floats; one band an image when windows
 * overlap, so no two threads add into the same input gradient */
static void
pool_run(struct layer *l, const struct nn_ctx *x, int backward)
{
	const struct pool_opt *o = &l->opt.pool;
	struct pool_job j = { l, x, 1, 1, 0, backward };
	size_t row = l->out.w * l->out.c;

	j.fast = nn_pool_halves(l);
	j.rows = o->size > o->stride && backward ? l->out.h : 32768 / row ? 32768 / row : 1;
	j.nbands = (l->out.h + j.rows - 1) / j.rows;
	t_parallel_for(x->nthreads, x->n * j.nbands, pool_band, &j);
}

static void
pool_forward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, osz = l->out.h * l->out.w * l->out.c, n;

	if (x->kernels != NN_NAIVE) {
		pool_run(l, x, 0);
		return;
	}
	for (n = 0; n < x->n; n++)
		maxpool_forward_naive(l->act + n * osz, l->in[0]->act + n * isz, &l->opt.pool, in->h,
		                      in->w, in->c, l->out.h, l->out.w);
}

static void
pool_backward(struct layer *l, const struct nn_ctx *x)
{
	const struct shape *in = &l->in[0]->out;
	size_t isz = in->h * in->w * in->c, osz = l->out.h * l->out.w * l->out.c, n;

	if (!l->in[0]->dact)
		return;
	if (x->kernels != NN_NAIVE) {
		pool_run(l, x, 1);
		return;
	}
	for (n = 0; n < x->n; n++)
		maxpool_backward_naive(l->in[0]->dact + n * isz, l->dact + n * osz, l->act + n * osz,
		                       l->in[0]->act + n * isz, &l->opt.pool, in->h, in->w, in->c,
		                       l->out.h, l->out.w);
}

const struct layer_kind nn_maxpool = {
	.name = "maxpool",
	.parse = pool_parse,
	.shape = pool_shape,
	.forward = pool_forward,
	.backward = pool_backward,
	.sets_dx = pool_sets_dx,
};
