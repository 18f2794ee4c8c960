/* nn_conv.c: 2-D convolution, stride 1, with optional dilation, bias and a
 * fused activation, as Keras' Conv2D: kernel (KH, KW, Cin, Cout), 'same'
 * padding puts the odd pixel of padding after the image (TF's rule: pad
 * before = total / 2), glorot-uniform (he-uniform, zero) kernels, zero biases.
 *
 * Three implementations, as nn_set_kernels picks: the seven naive loops
 * (the reference), im2col + sgemm in bands of output rows (portable), and
 * AVX2 kernels on flat padded bands (tensor_avx2.c): a register-blocked
 * direct convolution, a dot-product one for at most 4 outputs, and Winograd
 * F(4x4, 3x3) for 3x3 kernels over a multiple of 8 channels. The input
 * gradient is a convolution of the output gradient with the kernel turned
 * by 180 degrees, so it goes through the same kernels; the weight gradient
 * has kernels of its own (Winograd's in the transformed domain). */
#include <math.h>
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

_Static_assert((int)T_LINEAR == (int)ACT_LINEAR && (int)T_RELU == (int)ACT_RELU &&
               (int)T_SIGMOID == (int)ACT_SIGMOID,
               "the kernels take nn_act values");

static int
conv_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	struct conv_opt *o = &l->opt.conv;
	const char *pad, *init;
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
	init = cfg_get(s, "init");
	if (init && strcmp(init, "glorot") != 0 && strcmp(init, "he") != 0 &&
	    strcmp(init, "zero") != 0)
		return nn_errorf(err, s->line, "init: expected glorot, he or zero, not '%s'", init);
	o->init = !init || strcmp(init, "glorot") == 0 ? 0 : strcmp(init, "he") == 0 ? 1 : 2;
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
	/* Keras' HeUniform keeps the variance through ReLUs: sqrt(6 / fan_in);
	 * zeros make a residual branch start as the identity */
	float lim = l->opt.conv.init == 1 ? (float)sqrt(6.0 / (double)(k * l->in[0]->out.c))
	          : l->opt.conv.init == 2 ? 0
	                                  : nn_glorot_limit(k * l->in[0]->out.c, k * l->out.c);

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

/* din (H, W, C) +=, dw (KH, KW, C, K) +=, db (K) +=, from dout (OH, OW, K)
 * already multiplied by the activation's derivative: the same seven loops */
static void
conv2d_backward_naive(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, const struct conv_geom *g, size_t k)
{
	size_t oy, ox, ky, kx, c, f;

	for (oy = 0; oy < g->oh; oy++)
		for (ox = 0; ox < g->ow; ox++)
			for (f = 0; f < k; f++) {
				float d = dout[(oy * g->ow + ox) * k + f];
				if (db)
					db[f] += d;
				for (ky = 0; ky < g->kh; ky++)
					for (kx = 0; kx < g->kw; kx++) {
						size_t iy = g->y0 + oy + ky * g->dil - g->pad_top;
						size_t ix = ox + kx * g->dil - g->pad_left;
						size_t at = (iy * g->w + ix) * g->c, wt = (ky * g->kw + kx) * g->c;
						if (iy >= g->h || ix >= g->w)
							continue;
						for (c = 0; c < g->c; c++) {
							dw[(wt + c) * k + f] += in[at + c] * d;
							if (din)
								din[at + c] += w[(wt + c) * k + f] * d;
						}
					}
			}
}

/* ---------------------------------------------------------------------- */
/* portable: im2col + sgemm */

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
gemm_ws(const struct layer *l, int train)
{
	struct conv_geom g = geom(l);
	size_t col = band_rows(&g) * g.ow * g.kh * g.kw * g.c;

	return train ? 2 * col + l->nw + l->nb : col;
}

struct gemm_job {
	struct layer *l;
	const struct nn_ctx *x;
	struct conv_geom g;
	size_t rows, nbands;
};

static void
gemm_forward_band(void *arg, size_t item, int thread)
{
	struct gemm_job *j = arg;
	struct layer *l = j->l;
	struct conv_geom g = j->g;
	size_t n = item / j->nbands, k = l->out.c, isz = g.h * g.w * g.c;
	size_t osz = l->out.h * l->out.w * k;
	float *out;

	g.y0 = (item % j->nbands) * j->rows;
	g.oh = g.y0 + j->rows <= l->out.h ? j->rows : l->out.h - g.y0;
	out = l->act + n * osz + g.y0 * g.ow * k;
	conv2d_forward(out, l->in[0]->act + n * isz, l->w, l->b,
	               j->x->ws + (size_t)thread * gemm_ws(l, j->x->train), &g, k);
	nn_act_forward(out, g.oh * g.ow * k, l->opt.conv.act);
}

static void
gemm_forward(struct layer *l, const struct nn_ctx *x)
{
	struct gemm_job j = { l, x, geom(l), 0, 0 };

	j.rows = band_rows(&j.g);
	j.nbands = (l->out.h + j.rows - 1) / j.rows;
	t_parallel_for(x->nthreads, x->n * j.nbands, gemm_forward_band, &j);
}

/* one image a work item, its bands in order, so col2im never races */
static void
gemm_backward_image(void *arg, size_t n, int thread)
{
	struct gemm_job *j = arg;
	struct layer *l = j->l;
	struct conv_geom g = j->g;
	size_t k = l->out.c, isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * k, b;
	size_t col = j->rows * g.ow * g.kh * g.kw * g.c;
	float *ws = j->x->ws + (size_t)thread * gemm_ws(l, 1);
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

/* the threads' own dw and db, each at stride per from ws + off, summed in
 * thread order: deterministic for a given thread count */
static void
sum_grads(struct layer *l, const float *ws, size_t per, int nt)
{
	size_t i;
	int t;

	for (t = 0; t < nt; t++) {
		const float *dw = ws + (size_t)t * per;
		for (i = 0; i < l->nw; i++)
			l->dw[i] += dw[i];
		for (i = 0; i < l->nb; i++)
			l->db[i] += dw[l->nw + i];
	}
}

static int
threads_for(const struct nn_ctx *x, size_t items)
{
	return x->nthreads < 1 ? 1 : (size_t)x->nthreads > items ? (int)items : x->nthreads;
}

static void
gemm_backward(struct layer *l, const struct nn_ctx *x)
{
	struct gemm_job j = { l, x, geom(l), 0, 0 };
	size_t per = gemm_ws(l, 1), col;
	int t, nt = threads_for(x, x->n);

	j.rows = band_rows(&j.g);
	j.nbands = (l->out.h + j.rows - 1) / j.rows;
	col = j.rows * j.g.ow * j.g.kh * j.g.kw * j.g.c;
	for (t = 0; t < nt; t++)
		memset(x->ws + (size_t)t * per + 2 * col, 0, (l->nw + l->nb) * sizeof(float));
	t_parallel_for(nt, x->n, gemm_backward_image, &j);
	sum_grads(l, x->ws + 2 * col, per, nt);
}

/* ---------------------------------------------------------------------- */
/* AVX2: direct convolution of flat bands (tensor.h's struct t_flat), no
 * column matrix. The input gradient is a convolution too, of the output
 * gradient with the kernel turned by 180 degrees and its channel axes
 * swapped, padded by span - pad; so one plan serves both. */

struct flat_plan {
	size_t ih, iw, ic;      /* the image convolved */
	size_t oh, ow, oc;      /* the result */
	long pad_top, pad_left;
	size_t span, cs, pw, rows, nbands, ntaps;
	int thin;               /* oc <= 4: the dot-product kernel */
	int wino;               /* 3 x 3, no dilation, ic a multiple of 8: Winograd
	                         * F(4x4, 3x3), the side of its output tiles, 4;
	                         * else 0 */
	size_t off[15 * 15];
};

/* About 32k floats (128 KB) of flat input a band, so the band, the packed
 * weights and the outputs written stay in a core's L2 */
#define FLAT_BAND 32768

static void
flat_plan(struct flat_plan *p, const struct layer *l, int grad)
{
	const struct shape *in = &l->in[0]->out;
	const struct conv_opt *o = &l->opt.conv;
	size_t size = (size_t)o->size, dil = (size_t)o->dilation, ky, kx, r;

	p->span = (size - 1) * dil;
	p->ntaps = size * size;
	if (!grad) {
		p->ih = in->h, p->iw = in->w, p->ic = in->c;
		p->oh = l->out.h, p->ow = l->out.w, p->oc = l->out.c;
		p->pad_top = o->pad_top, p->pad_left = o->pad_left;
	} else {
		p->ih = l->out.h, p->iw = l->out.w, p->ic = l->out.c;
		p->oh = in->h, p->ow = in->w, p->oc = in->c;
		p->pad_top = (long)p->span - o->pad_top, p->pad_left = (long)p->span - o->pad_left;
	}
	p->thin = p->oc <= 4;
	p->wino = !p->thin && size == 3 && dil == 1 && p->ic % 8 == 0 ? 4 : 0;
	p->cs = p->thin ? (p->ic + 7) / 8 * 8 : p->ic;
	p->pw = p->ow + p->span;
	r = FLAT_BAND / (p->pw * p->cs);
	r = r > p->span + 1 ? r - p->span : 1;
	/* the direct kernel sweeps the band's outputs once per 16 channels:
	 * keep them in cache too (a thin input makes a wide output) */
	if (!p->wino && r > FLAT_BAND / (p->ow * p->oc))
		r = FLAT_BAND / (p->ow * p->oc) ? FLAT_BAND / (p->ow * p->oc) : 1;
	/* bands start on a row of Winograd tiles, or of fused 2 x 2 windows */
	if (p->wino)
		r = r < (size_t)p->wino ? (size_t)p->wino : r / (size_t)p->wino * (size_t)p->wino;
	else if (!grad && l->pool)
		r = r < 2 ? 2 : r / 2 * 2;
	p->rows = r < p->oh ? r : p->oh;
	p->nbands = (p->oh + p->rows - 1) / p->rows;
	for (ky = 0; ky < size; ky++)
		for (kx = 0; kx < size; kx++)
			p->off[ky * size + kx] = (ky * p->pw + kx) * dil * p->cs;
}

/* flat input rows a band copies: Winograd's last tile row may read up to
 * tile side - 1 rows past the kernel's span */
static size_t
flat_rows(const struct flat_plan *p, size_t rows)
{
	return rows + p->span + (p->wino ? (size_t)p->wino - 1 : 0);
}

/* floats of one band's flat input, and for Winograd its scratch */
static size_t
flat_size(const struct flat_plan *p)
{
	return (flat_rows(p, p->rows) * p->pw + p->span + 8) * p->cs +
	       (p->wino ? t_wino4_ws(p->ic, (p->oc + 15) / 16 * 16) : 0);
}

/* floats a pixel of the output gradient laid out flat for t_conv_dw*: a
 * multiple of 16, or for the thin kernel just k (it reads four floats a
 * pixel and ignores those past k, which flat_copy's zero tail keeps in
 * bounds) */
static size_t
dflat_stride(const struct flat_plan *p)
{
	return p->thin ? p->oc : (p->oc + 15) / 16 * 16;
}

/* pixels a row of a band's flat output gradient: the input's pw for the
 * direct kernels, which pair them pixel for pixel; Winograd's tiles may
 * reach up to a multiple of the tile side, which must be zero */
static size_t
dflat_pw(const struct flat_plan *p)
{
	size_t m = (size_t)p->wino, w = m ? (p->ow + m - 1) / m * m : 0;

	return w > p->pw ? w : p->pw;
}

/* rows of it: one more than the band's, or for Winograd the last tile
 * row's tile side - 1 more, zero or the image's next */
static size_t
dflat_rows(const struct flat_plan *p, size_t rows)
{
	return rows + (p->wino ? (size_t)p->wino - 1 : 1);
}

/* floats of a band's flat output gradient, with flat_copy's zero tail */
static size_t
dflat_size(const struct flat_plan *p)
{
	return (dflat_rows(p, p->rows) * dflat_pw(p) + 8) * dflat_stride(p);
}

/* floats of a thread's own weight and bias gradients: for Winograd, the
 * weight gradient in the transformed domain (36, ic, oc) */
static size_t
part_size(const struct layer *l, const struct flat_plan *p)
{
	return (p->wino ? 36 * p->ic * p->oc : l->nw) + l->nb;
}

/* Winograd F(4x4, 3x3)'s kernel transform G (tensor_avx2.c has the others) */
static const double wino4_G[6][3] = {
	{ 1 / 4., 0, 0 },          { -1 / 6., -1 / 6., -1 / 6. }, { -1 / 6., 1 / 6., -1 / 6. },
	{ 1 / 24., 1 / 12., 1 / 6. }, { 1 / 24., -1 / 12., 1 / 6. }, { 0, 0, 1 },
};

/* u (6, 6) = G g G^T, in double */
static void
wino4_kernel(float *u, const float *g)
{
	const double (*G)[3] = wino4_G;
	double t[6][3];
	size_t i, j;

	for (i = 0; i < 6; i++)
		for (j = 0; j < 3; j++)
			t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
	for (i = 0; i < 6; i++)
		for (j = 0; j < 6; j++)
			u[i * 6 + j] = (float)(G[j][0] * t[i][0] + G[j][1] * t[i][1] + G[j][2] * t[i][2]);
}

/* dw (3, 3, ic, oc) += G^T du G for each channel pair, du (36, ic, oc):
 * the weight gradient back from the transformed domain, in double */
static void
wino_kernel_grad(float *dw, const float *du, size_t ic, size_t oc)
{
	const double (*G)[3] = wino4_G;
	size_t n = ic * oc, i, a, b, x, v;
	double t[3][6], sum;

	for (i = 0; i < n; i++) {
		for (a = 0; a < 3; a++)
			for (v = 0; v < 6; v++) {
				t[a][v] = 0;
				for (x = 0; x < 6; x++)
					t[a][v] += G[x][a] * du[(x * 6 + v) * n + i];
			}
		for (a = 0; a < 3; a++)
			for (b = 0; b < 3; b++) {
				for (sum = 0, v = 0; v < 6; v++)
					sum += G[v][b] * t[a][v];
				dw[(a * 3 + b) * n + i] += (float)sum;
			}
	}
}

/* packed weights: (ceil(oc / 16), taps, ic, 16), or (4, taps, cs) thin, or
 * for Winograd (16 or 36, ceil(oc / 16), ic, 16) */
static size_t
pack_size(const struct flat_plan *p)
{
	size_t pos = p->wino ? 36 : p->ntaps;

	return p->thin ? 4 * p->ntaps * p->cs : (p->oc + 15) / 16 * 16 * pos * p->ic;
}

static void
pack(float *wp, const struct layer *l, const struct flat_plan *p, int grad)
{
	size_t nt = p->ntaps, C = l->in[0]->out.c, K = l->out.c, t, i, o;

	memset(wp, 0, pack_size(p) * sizeof(float));
	if (p->wino) {
		size_t kp = (p->oc + 15) / 16 * 16, pos;
		float g[9], u[36];
		for (i = 0; i < p->ic; i++)
			for (o = 0; o < p->oc; o++) {
				for (t = 0; t < 9; t++)
					g[t] = grad ? l->w[((8 - t) * C + o) * K + i] : l->w[(t * C + i) * K + o];
				wino4_kernel(u, g);
				for (pos = 0; pos < 36; pos++)
					wp[(pos * kp + o / 16 * 16) * p->ic + i * 16 + o % 16] = u[pos];
			}
		return;
	}
	for (t = 0; t < nt; t++)
		for (i = 0; i < p->ic; i++)
			for (o = 0; o < p->oc; o++) {
				/* grad: tap turned, channels swapped */
				float v = grad ? l->w[((nt - 1 - t) * C + o) * K + i] : l->w[(t * C + i) * K + o];
				if (p->thin)
					wp[(o * nt + t) * p->cs + i] = v;
				else
					wp[((o / 16 * nt + t) * p->ic + i) * 16 + o % 16] = v;
			}
}

/* dst: rows flat rows of pw pixels, cs floats each, from src (h, w, c)
 * starting at row y and column x (negative: padding), zero outside and
 * past c, then span + 8 zero pixels; with y_act, src times the derivative
 * of act at its output y_act. Only the AVX2 path uses flat bands. */
static void
flat_copy(float *dst, size_t rows, size_t pw, size_t cs, size_t span, const float *src,
          const float *y_act, enum nn_act act, size_t h, size_t w, size_t c, long y, long x)
{
	size_t r, i, x0 = x < 0 ? (size_t)-x : 0;
	size_t x1 = (long)w - x < (long)pw ? (size_t)((long)w - x) : pw;

	if (x1 < x0)
		x1 = x0;
	for (r = 0; r < rows; r++) {
		long iy = y + (long)r;
		size_t at = ((size_t)iy * w + (size_t)(x + (long)x0)) * c;
		float *d = dst + r * pw * cs;
		if (iy < 0 || iy >= (long)h || x1 == x0) {
			memset(d, 0, pw * cs * sizeof(float));
			continue;
		}
		memset(d, 0, x0 * cs * sizeof(float));
		memset(d + x1 * cs, 0, (pw - x1) * cs * sizeof(float));
		d += x0 * cs;
		/* a row's pixels are one run when there is no channel padding */
		for (i = 0; i < (cs == c ? 1 : x1 - x0); i++, at += c, d += cs) {
			size_t n = cs == c ? (x1 - x0) * c : c;
			if (y_act && act != ACT_LINEAR)
				t_act_grad_avx2(d, src + at, y_act + at, n, (int)act, 0);
			else
				memcpy(d, src + at, n * sizeof(float));
			if (cs != c)
				memset(d + c, 0, (cs - c) * sizeof(float));
		}
	}
	memset(dst + rows * pw * cs, 0, (span + 8) * cs * sizeof(float));
}

/* flat_copy of the upsample, by f, of src (h / f, w / f, c) (the fused
 * upsample): the same flat rows without the upsampled image */
static void
flat_copy_up(float *dst, size_t rows, size_t pw, size_t cs, size_t span, const float *src,
             size_t f, size_t h, size_t w, size_t c, long y, long x)
{
	size_t r, i, sw = w / f, row = pw * cs;

	for (r = 0; r < rows; r++) {
		long iy = y + (long)r;
		float *d = dst + r * row;
		if (iy < 0 || iy >= (long)h) {
			memset(d, 0, row * sizeof(float));
			continue;
		}
		/* rows that come from the same source row are the same */
		if (r > 0 && iy > 0 && (size_t)(iy - 1) / f == (size_t)iy / f) {
			memcpy(d, d - row, row * sizeof(float));
			continue;
		}
		for (i = 0; i < pw; i++, d += cs) {
			long ix = x + (long)i;
			if (ix < 0 || ix >= (long)w) {
				memset(d, 0, cs * sizeof(float));
				continue;
			}
			memcpy(d, src + ((size_t)iy / f * sw + (size_t)ix / f) * c, c * sizeof(float));
			if (cs != c)
				memset(d + c, 0, (cs - c) * sizeof(float));
		}
	}
	memset(dst + rows * row, 0, (span + 8) * cs * sizeof(float));
}

/* thinner bands when a small image would leave threads without work
 * (two bands a thread at least): the scratch fits, and bands still start
 * on rows of tiles or windows, so the outputs are the same */
static void
spread(struct flat_plan *p, const struct layer *l, const struct nn_ctx *x)
{
	size_t want = 2 * (size_t)(x->nthreads > 1 ? x->nthreads : 1), step, r, per;

	if (x->n * p->nbands >= want || p->oh < 2)
		return;
	step = p->wino ? (size_t)p->wino : l->pool ? 2 : 1;
	per = (want + x->n - 1) / x->n;         /* bands an image */
	r = (p->oh + per - 1) / per;
	r = (r + step - 1) / step * step;
	if (r < p->rows) {
		p->rows = r;
		p->nbands = (p->oh + r - 1) / r;
	}
}

struct flat_job {
	struct layer *l;
	const struct nn_ctx *x;
	struct flat_plan p;
	const float *wp;        /* packed weights */
	size_t per;             /* per-thread scratch floats */
	float *ws;              /* the threads' scratch */
	int fuse;               /* l->pool, l->bn and l->upsrc apply */
	const float *bn_scale;  /* the fused batchnorm's gamma / sqrt(var + eps) */
};

/* the fused maxpool (and batchnorm): from a band's output ob, rows y0 ..
 * y0 + rows of (ow, oc), y0 even, the pool's output rows they make into
 * the pool's activations, or the batchnorm's. The same kernels, in the
 * same order, as the layers on their own: the results are the same bits. */
static void
pool_epilogue(const struct flat_job *j, size_t n, size_t y0, size_t rows, const float *ob)
{
	const struct flat_plan *p = &j->p;
	const struct layer *P = j->l->pool, *B = j->l->bn;
	size_t c = p->oc, row = p->ow * c, pw = P->out.w, nx = p->ow / 2, py, k;
	float *base = (B ? B->act : P->act) + n * P->out.h * pw * c;

	for (py = y0 / 2; py < P->out.h && 2 * py < y0 + rows; py++) {
		const float *r0 = ob + (2 * py - y0) * row;
		/* 'same' on an odd height: the last window has one row */
		const float *r1 = 2 * py + 1 < y0 + rows ? r0 + row : r0;
		float *o = base + py * pw * c;
		t_maxpool2_avx2(o, r0, r1, nx, c);
		/* and on an odd width one column */
		for (k = 0; pw > nx && k < c; k++) {
			float a = r0[2 * nx * c + k], b = r1[2 * nx * c + k];
			o[nx * c + k] = a > b ? a : b;
		}
		if (B)
			t_affine_avx2(o, o, B->state, j->bn_scale, B->b, pw, c);
	}
}

/* a band of the forward pass (grad 0) or of the input gradient (grad 1) */
static void
flat_band(struct flat_job *j, size_t item, int thread, int grad)
{
	const struct flat_plan *p = &j->p;
	struct layer *l = j->l;
	size_t n = item / p->nbands, y0 = item % p->nbands * p->rows;
	size_t isz = p->ih * p->iw * p->ic, osz = p->oh * p->ow * p->oc;
	float *buf = j->ws + (size_t)thread * j->per, *out;
	struct t_flat f = { buf, p->cs, p->ic, 0, p->ow, p->pw, p->ntaps, p->off };
	const float *src = grad ? l->dact : l->in[0]->act;
	int act = grad ? T_LINEAR : (int)l->opt.conv.act;
	/* the input gradient is added into, or stored when this conv is its
	 * only reader and nn_backward left it unzeroed (zero_late) */
	int add = grad && !l->in[0]->zero_late;

	f.rows = y0 + p->rows <= p->oh ? p->rows : p->oh - y0;
	if (!grad && j->fuse && l->upsrc) {
		const struct layer *u = l->upsrc->in[0];
		flat_copy_up(buf, flat_rows(p, f.rows), p->pw, p->cs, p->span,
		             u->act + n * u->out.h * u->out.w * u->out.c, (size_t)l->upsrc->up,
		             p->ih, p->iw, p->ic, (long)y0 - p->pad_top, -p->pad_left);
	} else {
		flat_copy(buf, flat_rows(p, f.rows), p->pw, p->cs, p->span, src + n * isz,
		          grad ? l->act + n * isz : NULL, l->opt.conv.act, p->ih, p->iw, p->ic,
		          (long)y0 - p->pad_top, -p->pad_left);
	}
	out = (grad ? l->in[0]->dact : l->act) + n * osz + y0 * p->ow * p->oc;
	/* a fused pool takes the band's output from the scratch after the input */
	if (!grad && j->fuse && l->pool)
		out = buf + flat_size(p);
	if (p->wino)
		t_wino4_avx2(out, &f, j->wp, p->oc, grad ? NULL : l->b, act, add,
		             buf + (flat_rows(p, p->rows) * p->pw + p->span + 8) * p->cs);
	else if (p->thin)
		t_conv_thin_avx2(out, &f, j->wp, p->oc, grad ? NULL : l->b, act, add);
	else
		t_conv_avx2(out, &f, j->wp, p->oc, grad ? NULL : l->b, act, add);
	if (!grad && j->fuse && l->pool)
		pool_epilogue(j, n, y0, f.rows, out);
}

static void flat_forward_band(void *a, size_t i, int t) { flat_band(a, i, t, 0); }
static void flat_dx_band(void *a, size_t i, int t) { flat_band(a, i, t, 1); }

/* a band's share of dw and db, into the thread's own */
static void
flat_dw_band(void *arg, size_t item, int thread)
{
	struct flat_job *j = arg;
	const struct flat_plan *p = &j->p;
	struct layer *l = j->l;
	size_t n = item / p->nbands, y0 = item % p->nbands * p->rows, ks = dflat_stride(p);
	size_t dpw = dflat_pw(p);
	size_t isz = p->ih * p->iw * p->ic, osz = p->oh * p->ow * p->oc;
	float *buf = j->ws + (size_t)thread * j->per, *d = buf + flat_size(p);
	float *dw = d + dflat_size(p), *db = dw + part_size(l, p) - l->nb;
	struct t_flat f = { buf, p->cs, p->ic, 0, p->ow, p->pw, p->ntaps, p->off };

	f.rows = y0 + p->rows <= p->oh ? p->rows : p->oh - y0;
	flat_copy(buf, flat_rows(p, f.rows), p->pw, p->cs, p->span, l->in[0]->act + n * isz, NULL,
	          ACT_LINEAR, p->ih, p->iw, p->ic, (long)y0 - p->pad_top, -p->pad_left);
	flat_copy(d, dflat_rows(p, f.rows), dpw, ks, 0, l->dact + n * osz, l->act + n * osz,
	          l->opt.conv.act, p->oh, p->ow, p->oc, (long)y0, 0);
	if (l->db)
		t_colsum_avx2(db, d, f.rows * dpw, ks, p->oc);
	if (p->wino)
		t_wino4_dw_avx2(dw, &f, d, dpw, ks, p->oc,
		                buf + (flat_rows(p, p->rows) * p->pw + p->span + 8) * p->cs);
	else if (p->thin)
		t_conv_dw_thin_avx2(dw, &f, d, ks, p->oc);
	else
		t_conv_dw_avx2(dw, &f, d, ks, p->oc);
}

/* per thread: a band of flat input; in training also the band's flat
 * output gradient and the thread's own dw and db. Shared, in front: the
 * packed weights. */
static size_t
flat_ws(const struct layer *l, int train, size_t *shared)
{
	struct flat_plan p, g;
	size_t per;

	flat_plan(&p, l, 0);
	per = flat_size(&p);
	*shared = pack_size(&p);
	/* a fused pool's band output; a fused batchnorm's scale */
	if (!train && l->pool)
		per += p.rows * p.ow * p.oc;
	if (!train && l->bn)
		*shared += p.oc;
	if (train) {
		per += dflat_size(&p) + part_size(l, &p);
		flat_plan(&g, l, 1);
		per = per > flat_size(&g) ? per : flat_size(&g);
		*shared = *shared > pack_size(&g) ? *shared : pack_size(&g);
	}
	return per;
}

static void
flat_forward(struct layer *l, const struct nn_ctx *x)
{
	struct flat_job j = { l, x, { 0 }, x->ws, 0, NULL, x->fuse, NULL };
	size_t shared;

	flat_plan(&j.p, l, 0);
	j.per = flat_ws(l, x->train, &shared);
	j.ws = x->ws + shared;
	spread(&j.p, l, x);
	if (l->keep) {
		/* inference packs once, again only when the weights change */
		float *raw = l->keep + pack_size(&j.p);
		if (!l->kept || memcmp(raw, l->w, l->nw * sizeof *raw) != 0) {
			pack(l->keep, l, &j.p, 0);
			memcpy(raw, l->w, l->nw * sizeof *raw);
			l->kept = 1;
		}
		j.wp = l->keep;
	} else {
		pack(x->ws, l, &j.p, 0);
	}
	if (x->fuse && l->bn) {
		/* as batchnorm's own inference pass folds them */
		const struct layer *b = l->bn;
		float *s = x->ws + pack_size(&j.p);
		nn_bn_fold(s, b->w, b->state + b->out.c, b->out.c, b->opt.bn.eps);
		j.bn_scale = s;
	}
	t_parallel_for(x->nthreads, x->n * j.p.nbands, flat_forward_band, &j);
}

static void
flat_backward(struct layer *l, const struct nn_ctx *x)
{
	struct flat_job j = { l, x, { 0 }, x->ws, 0, NULL, 0, NULL };
	size_t shared, at, part, i;
	int t, nt;

	j.per = flat_ws(l, 1, &shared);
	j.ws = x->ws + shared;
	if (l->in[0]->dact) {
		flat_plan(&j.p, l, 1);
		pack(x->ws, l, &j.p, 1);
		t_parallel_for(x->nthreads, x->n * j.p.nbands, flat_dx_band, &j);
	}
	flat_plan(&j.p, l, 0);
	at = flat_size(&j.p) + dflat_size(&j.p);
	part = part_size(l, &j.p);
	nt = threads_for(x, x->n * j.p.nbands);
	for (t = 0; t < nt; t++)
		memset(j.ws + (size_t)t * j.per + at, 0, part * sizeof(float));
	t_parallel_for(nt, x->n * j.p.nbands, flat_dw_band, &j);
	/* the threads' gradients, added in thread order: deterministic for a
	 * given thread count */
	for (t = 1; t < nt; t++)
		for (i = 0; i < part; i++)
			j.ws[at + i] += j.ws[(size_t)t * j.per + at + i];
	if (j.p.wino)
		wino_kernel_grad(l->dw, j.ws + at, j.p.ic, j.p.oc);
	else
		for (i = 0; i < l->nw; i++)
			l->dw[i] += j.ws[at + i];
	for (i = 0; i < l->nb; i++)
		l->db[i] += j.ws[at + part - l->nb + i];
}

/* ---------------------------------------------------------------------- */
/* the layer */

/* inference keeps the weights packed, and a copy as they were packed */
static size_t
conv_keep_size(const struct layer *l)
{
	struct flat_plan p;

	flat_plan(&p, l, 0);
	return pack_size(&p) + l->nw;
}

/* struct layer: a 2 x 2, stride 2 maxpool that alone reads this conv, and
 * the batchnorm that alone reads the pool; an upsample only this conv reads */
static void
conv_fuse(struct layer *l, const struct net *net)
{
	struct layer *r = nn_sole_reader(net, l), *b, *u = l->in[0];

	if (r && nn_pool_halves(r)) {
		l->pool = r;
		r->absorbed = 1;
		b = nn_sole_reader(net, r);
		if (b && b->kind == &nn_batchnorm) {
			l->bn = b;
			b->absorbed = 1;
		}
	}
	if (u->kind == &nn_upsample && nn_sole_reader(net, u) == l) {
		l->upsrc = u;
		u->absorbed = 1;
	}
}

/* the AVX2 input gradient stores every value (flat_band's add) */
static int
conv_sets_dx(const struct layer *l, enum nn_kernels k)
{
	(void)l;
	return k == NN_AVX2;
}

static size_t
conv_workspace(const struct layer *l, const struct nn_ctx *x)
{
	size_t nt = (size_t)(x->nthreads > 0 ? x->nthreads : 1), shared, a, b;

	switch (x->kernels) {
	case NN_NAIVE:
		return 0;
	case NN_AVX2:
		/* a training net also runs inference passes: take the larger */
		a = nt * flat_ws(l, 0, &shared) + shared;
		b = x->train ? nt * flat_ws(l, 1, &shared) + shared : 0;
		return a > b ? a : b;
	default:
		a = nt * gemm_ws(l, 0);
		b = x->train ? nt * gemm_ws(l, 1) : 0;
		return a > b ? a : b;
	}
}

static void
conv_forward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_geom g = geom(l);
	size_t isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * l->out.c, n;

	switch (x->kernels) {
	case NN_NAIVE:
		for (n = 0; n < x->n; n++) {
			conv2d_forward_naive(l->act + n * osz, l->in[0]->act + n * isz, l->w, l->b, &g,
			                     l->out.c);
			nn_act_forward(l->act + n * osz, osz, l->opt.conv.act);
		}
		break;
	case NN_AVX2:
		flat_forward(l, x);
		break;
	default:
		gemm_forward(l, x);
	}
}

static void
conv_backward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_geom g = geom(l);
	size_t isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * l->out.c, n;

	switch (x->kernels) {
	case NN_NAIVE:
		for (n = 0; n < x->n; n++) {
			nn_act_backward(l->dact + n * osz, l->act + n * osz, osz, l->opt.conv.act);
			conv2d_backward_naive(l->in[0]->dact ? l->in[0]->dact + n * isz : NULL, l->dw,
			                      l->db, l->dact + n * osz, l->in[0]->act + n * isz, l->w, &g,
			                      l->out.c);
		}
		break;
	case NN_AVX2:
		flat_backward(l, x);
		break;
	default:
		gemm_backward(l, x);
	}
}

/* exposed for tests: the im2col + sgemm forward against the naive one */
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
	.name = "conv",
	.parse = conv_parse,
	.shape = conv_shape,
	.init = conv_init,
	.forward = conv_forward,
	.backward = conv_backward,
	.workspace = conv_workspace,
	.keep_size = conv_keep_size,
	.fuse = conv_fuse,
	.sets_dx = conv_sets_dx,
	.wname = "weight",
	.bname = "bias",
};
