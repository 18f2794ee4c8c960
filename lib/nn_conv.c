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
		(size_t)o->dilation, (size_t)o->pad_top, (size_t)o->pad_left,
	};
	return g;
}

/* a 1x1 convolution needs no column matrix: the image is one already */
static int
direct(const struct conv_geom *g)
{
	return g->kh == 1 && g->kw == 1;
}

/* out (OH, OW, K), in (H, W, C), w (KH, KW, C, K), b (K); col is scratch */
static void
conv2d_forward(float *out, const float *in, const float *w, const float *b, float *col,
               const struct conv_geom *g, size_t k)
{
	size_t p = g->oh * g->ow, j = g->kh * g->kw * g->c, i;

	if (direct(g))
		col = (float *)in;
	else
		t_im2col(col, in, g);
	if (b)
		for (i = 0; i < p; i++)
			memcpy(out + i * k, b, k * sizeof(float));
	t_gemm(0, 0, p, k, j, 1, col, j, w, k, b ? 1 : 0, out, k);
}

/* din (H, W, C) +=, dw (KH, KW, C, K) +=, db (K) +=, from dout (OH, OW, K)
 * already multiplied by the activation's derivative; col, dcol scratch */
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
		col = (float *)in;
	else
		t_im2col(col, in, g);
	t_gemm(1, 0, j, k, p, 1, col, j, dout, k, 1, dw, k);
	if (!din)
		return;
	if (direct(g)) {
		t_gemm(0, 1, p, j, k, 1, dout, k, w, k, 1, din, j);
		return;
	}
	t_gemm(0, 1, p, j, k, 1, dout, k, w, k, 0, dcol, j);
	t_col2im_add(din, dcol, g);
}

static size_t
conv_workspace(const struct layer *l, const struct nn_ctx *x)
{
	struct conv_geom g = geom(l);
	size_t colsz = g.oh * g.ow * g.kh * g.kw * g.c;

	return x->train ? 2 * colsz : colsz;
}

static void
conv_forward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_geom g = geom(l);
	size_t isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * l->out.c, n;

	for (n = 0; n < x->n; n++)
		conv2d_forward(l->act + n * osz, l->in[0]->act + n * isz, l->w, l->b, x->ws, &g,
		               l->out.c);
	nn_act_forward(l->act, x->n * osz, l->opt.conv.act);
}

static void
conv_backward(struct layer *l, const struct nn_ctx *x)
{
	struct conv_geom g = geom(l);
	size_t isz = g.h * g.w * g.c, osz = l->out.h * l->out.w * l->out.c, n;
	size_t colsz = g.oh * g.ow * g.kh * g.kw * g.c;
	float *din = l->in[0]->dact;

	nn_act_backward(l->dact, l->act, x->n * osz, l->opt.conv.act);
	for (n = 0; n < x->n; n++)
		conv2d_backward(din ? din + n * isz : NULL, l->dw, l->db, l->dact + n * osz,
		                l->in[0]->act + n * isz, l->w, x->ws, x->ws + colsz, &g, l->out.c);
}

const struct layer_kind nn_conv = {
	"conv", conv_parse, conv_shape, conv_init, conv_forward, conv_backward, conv_workspace,
	"weight", "bias", { NULL, NULL },
};
