/* nn_conv.c: 2-D convolution, stride 1, with optional dilation, bias and a
 * fused activation, as Keras' Conv2D: kernel (KH, KW, Cin, Cout), 'same'
 * padding puts the odd pixel of padding after the image (TF's rule: pad
 * before = total / 2), glorot-uniform kernels, zero biases. */
#include <string.h>

#include "nn.h"
#include "tensor.h"

static int
conv_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	struct conv_opt *o = &l->opt.conv;
	const char *pad;
	long filters, size, dil, bias;

	if (!cfg_get(s, "filters"))
		return nn_errorf(err, s->line, "[conv] needs 'filters'");
	if (cfg_int(s, "filters", 0, 1, 4096, &filters, err) != 0 ||
	    cfg_int(s, "size", 3, 1, 15, &size, err) != 0 ||
	    cfg_int(s, "dilation", 1, 1, 64, &dil, err) != 0 ||
	    cfg_int(s, "bias", 1, 0, 1, &bias, err) != 0 || nn_parse_act(s, &o->act, err) != 0)
		return -1;
	pad = cfg_get(s, "pad");
	if (pad && strcmp(pad, "same") != 0 && strcmp(pad, "valid") != 0)
		return nn_errorf(err, s->line, "pad: expected same or valid, not '%s'", pad);
	o->filters = (int)filters;
	o->size = (int)size;
	o->dilation = (int)dil;
	o->bias = (int)bias;
	o->same = pad && strcmp(pad, "same") == 0;
	if (l->nin != 1)
		return nn_errorf(err, s->line, "[conv] takes one input");
	return 0;
}

static int
conv_shape(struct layer *l, struct nn_error *err)
{
	struct conv_opt *o = &l->opt.conv;
	const struct shape *in = &l->in[0]->out;
	size_t span = (size_t)(o->size - 1) * (size_t)o->dilation;

	if (o->same) {
		l->out.h = in->h;
		l->out.w = in->w;
		o->pad_top = o->pad_left = (int)(span / 2);
	} else {
		if (in->h <= span || in->w <= span)
			return nn_errorf(err, l->line, "[conv] %s: input %zux%zu smaller than the kernel",
			                 l->name, in->h, in->w);
		l->out.h = in->h - span;
		l->out.w = in->w - span;
		o->pad_top = o->pad_left = 0;
	}
	l->out.c = (size_t)o->filters;
	l->nw = (size_t)o->size * (size_t)o->size * in->c * (size_t)o->filters;
	l->wrank = 4;
	l->wdims[0] = l->wdims[1] = (uint32_t)o->size;
	l->wdims[2] = (uint32_t)in->c;
	l->wdims[3] = (uint32_t)o->filters;
	l->nb = o->bias ? (size_t)o->filters : 0;
	/* 'same' sees span - pad_top past the centre; 'valid' output pixel j
	 * sees input j .. j + span, so the far side is the whole span */
	l->reach = (int)span - o->pad_top;
	return 0;
}

static void
conv_init(struct layer *l, struct rng *r)
{
	size_t k = (size_t)l->opt.conv.size * (size_t)l->opt.conv.size, i;
	float lim = nn_glorot_limit(k * l->in[0]->out.c, k * l->out.c);

	for (i = 0; i < l->nw; i++)
		l->w[i] = (float)((2 * rng_uniform(r) - 1) * lim);
}

static struct conv_geom
geom(const struct layer *l)
{
	const struct shape *in = &l->in[0]->out;
	const struct conv_opt *o = &l->opt.conv;
	struct conv_geom g = {
		in->h, in->w, in->c, l->out.h, l->out.w, (size_t)o->size, (size_t)o->size,
		(size_t)o->dilation, (size_t)o->pad_top, (size_t)o->pad_left, 0,
	};
	return g;
}

/* Work is cut into bands of output rows, so a band's column matrix stays
 * near the size of a core's L2 cache and both cores get work even for one
 * image. About 128k floats (512 KB) a band, at least one row. */
static size_t
band_rows(const struct conv_geom *g)
{
	size_t row = g->ow * g->kh * g->kw * g->c, r = ((size_t)1 << 17) / (row ? row : 1);

	return r < 1 ? 1 : r > g->oh ? g->oh : r;
}

/* a 1x1 convolution needs no column matrix: the image is one already */
static int
direct(const struct conv_geom *g)
{
	return g->kh == 1 && g->kw == 1;
}

/* out (OH, OW, K), in (H, W, C), w (KH, KW, C, K), b (K): seven loops, the
 * reference the others are tested against */
static void
conv2d_forward_naive(float *out, const float *in, const float *w, const float *b,
                     const struct conv_geom *g, size_t k)
{
	size_t oy, ox, ky, kx, c, f;

	for (oy = 0; oy < g->oh; oy++)
		for (ox = 0; ox < g->ow; ox++)
			for (f = 0; f < k; f++) {
				double s = b ? b[f] : 0;
				for (ky = 0; ky < g->kh; ky++)
					for (kx = 0; kx < g->kw; kx++) {
						size_t iy = g->y0 + oy + ky * g->dil - g->pad_top;
						size_t ix = ox + kx * g->dil - g->pad_left;
						if (iy >= g->h || ix >= g->w)
							continue;
						for (c = 0; c < g->c; c++)
							s += (double)in[(iy * g->w + ix) * g->c + c] *
							     w[((ky * g->kw + kx) * g->c + c) * k + f];
					}
				out[(oy * g->ow + ox) * k + f] = (float)s;
			}
}

/* the band of g: out (OH, OW, K) rows y0.., in (H, W, C) whole, through
 * im2col and one sgemm; col is scratch */
static void
conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col,
               const struct conv_geom *g, size_t k)
{
	size_t p = g->oh * g->ow, j = g->kh * g->kw * g->c, i;

	if (direct(g))
		col = (float *)in + g->y0 * g->w * g->c;
	else
		t_im2col(col, in, g);
	if (b)
		for (i = 0; i < p; i++)
			memcpy(out + i * k, b, k * sizeof(float));
	t_gemm(0, 0, p, k, j, 1, col, j, w, k, b ? 1 : 0, out, k);
}

/* the band of g: din (H, W, C) +=, dw (KH, KW, C, K) +=, db (K) +=, from
 * dout (OH, OW, K) of the band, already multiplied by the activation's
 * derivative; col, dcol scratch */
static void
conv2d_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                const float *w, float *col, float *dcol, const struct conv_geom *g, size_t k)
{
	size_t p = g->oh * g->ow, j = g->kh * g->kw * g->c, i, c;

	if (db)
		for (i = 0; i < p; i++)
			for (c = 0; c < k; c++)
				db[c] += dout[i * k + c];
	if (direct(g))
		col = (float *)in + g->y0 * g->w * g->c;
	else
		t_im2col(col, in, g);
	t_gemm(1, 0, j, k, p, 1, col, j, dout, k, 1, dw, k);
	if (!din)
		return;
	if (direct(g)) {
		t_gemm(0, 1, p, j, k, 1, dout, k, w, k, 1, din + g->y0 * g->w * g->c, j);
		return;
	}
	t_gemm(0, 1, p, j, k, 1, dout, k, w, k, 0, dcol, j);
	t_col2im_add(din, dcol, g);
}

/* per-thread scratch: a band's columns, in training also their gradient
 * and the thread's own dw and db, summed after the parallel part */
static size_t
thread_ws(const struct layer *l, int train)
{
	struct conv_geom g = geom(l);
	size_t col = band_rows(&g) * g.ow * g.kh * g.kw * g.c;

	return train ? 2 * col + l->nw + l->nb : col;
}

static size_t
conv_workspace(const struct layer *l, const struct nn_ctx *x)
{
	return (size_t)(x->nthreads > 0 ? x->nthreads : 1) * thread_ws(l, x->train);
}

struct conv_job {
	struct layer *l;
	const struct nn_ctx *x;
	struct conv_geom g;
	size_t rows, nbands;
};

static void
forward_band(void *arg, size_t item, int thread)
{
	struct conv_job *j = arg;
	struct layer *l = j->l;
	struct conv_geom g = j->g;
	size_t n = item / j->nbands, k = l->out.c, isz = g.h * g.w * g.c;
	size_t osz = l->out.h * l->out.w * k;
	float *out;

	g.y0 = (item % j->nbands) * j->rows;
	g.oh = g.y0 + j->rows <= l->out.h ? j->rows : l->out.h - g.y0;
	out = l->act + n * osz + g.y0 * g.ow * k;
	conv2d_forward(out, l->in[0]->act + n * isz, l->w, l->b,
	               j->x->ws + (size_t)thread * thread_ws(l, j->x->train), &g, k);
	nn_act_forward(out, g.oh * g.ow * k, l->opt.conv.act);
}

static void
conv_forward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_job j = { l, x, geom(l), 0, 0 };

	j.rows = band_rows(&j.g);
	j.nbands = (l->out.h + j.rows - 1) / j.rows;
	t_parallel_for(x->nthreads, x->n * j.nbands, forward_band, &j);
}

/* one image a work item, its bands in order, so col2im never races */
static void
backward_image(void *arg, size_t n, int thread)
{
	struct conv_job *j = arg;
	struct layer *l = j->l;
	struct conv_geom g = j->g;
	size_t k = l->out.c, isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * k, b;
	size_t col = j->rows * g.ow * g.kh * g.kw * g.c;
	float *ws = j->x->ws + (size_t)thread * thread_ws(l, 1);
	float *din = l->in[0]->dact ? l->in[0]->dact + n * isz : NULL;

	nn_act_backward(l->dact + n * osz, l->act + n * osz, osz, l->opt.conv.act);
	for (b = 0; b < j->nbands; b++) {
		g.y0 = b * j->rows;
		g.oh = g.y0 + j->rows <= l->out.h ? j->rows : l->out.h - g.y0;
		conv2d_backward(din, ws + 2 * col, l->db ? ws + 2 * col + l->nw : NULL,
		                l->dact + n * osz + g.y0 * g.ow * k, l->in[0]->act + n * isz, l->w,
		                ws, ws + col, &g, k);
	}
}

static void
conv_backward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_job j = { l, x, geom(l), 0, 0 };
	size_t per = thread_ws(l, 1), col, i;
	int t, nt = x->nthreads < 1 ? 1 : (size_t)x->nthreads > x->n ? (int)x->n : x->nthreads;

	j.rows = band_rows(&j.g);
	j.nbands = (l->out.h + j.rows - 1) / j.rows;
	col = j.rows * j.g.ow * j.g.kh * j.g.kw * j.g.c;
	for (t = 0; t < nt; t++)
		memset(x->ws + (size_t)t * per + 2 * col, 0, (l->nw + l->nb) * sizeof(float));
	t_parallel_for(nt, x->n, backward_image, &j);
	/* sum the threads' gradients in thread order: deterministic for a
	 * given thread count */
	for (t = 0; t < nt; t++) {
		const float *dw = x->ws + (size_t)t * per + 2 * col;
		for (i = 0; i < l->nw; i++)
			l->dw[i] += dw[i];
		for (i = 0; i < l->nb; i++)
			l->db[i] += dw[l->nw + i];
	}
}

/* exposed for tests: the optimized forward against the naive one */
void
nn_conv_forward_check(float *out, float *ref, const float *in, const float *w, const float *b,
                      size_t h, size_t wd, size_t c, size_t k, size_t size, size_t dil, int same,
                      float *ws)
{
	size_t span = (size - 1) * dil;
	struct conv_geom g = { h, wd, c, same ? h : h - span, same ? wd : wd - span, size, size,
	                       dil, same ? span / 2 : 0, same ? span / 2 : 0, 0 };

	conv2d_forward(out, in, w, b, ws, &g, k);
	conv2d_forward_naive(ref, in, w, b, &g, k);
}

const struct layer_kind nn_conv = {
	"conv", conv_parse, conv_shape, conv_init, conv_forward, conv_backward, conv_workspace,
	"weight", "bias", { NULL, NULL },
};
