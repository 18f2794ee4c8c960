/* nn_merge.c: layers with several inputs, for skip connections: add
 * (element-wise sum, as Keras' Add; DnCNN's residual) and concat (channels
 * of each input in "from" order, as Keras' Concatenate(axis=-1); U-Net). */
#include <string.h>

#include "nn.h"

static int
merge_parse(struct layer *l, struct cfg_section *s, struct nn_error *err)
{
	if (l->nin < 2)
		return nn_errorf(err, s->line, "[%s] needs 'from' with two or more layers", s->kind);
	return 0;
}

static int
add_shape(struct layer *l, struct nn_error *err)
{
	int k;

	l->out = l->in[0]->out;
	for (k = 1; k < l->nin; k++) {
		const struct shape *s = &l->in[k]->out;
		if (s->h != l->out.h || s->w != l->out.w || s->c != l->out.c)
			return nn_errorf(err, l->line, "[add] %s: inputs %zux%zux%zu and %zux%zux%zu differ",
			                 l->name, l->out.h, l->out.w, l->out.c, s->h, s->w, s->c);
	}
	return 0;
}

static void
add_forward(struct layer *l, const struct nn_ctx *x)
{
	size_t n = x->n * l->out.h * l->out.w * l->out.c, i;
	int k;

	memcpy(l->act, l->in[0]->act, n * sizeof(float));
	for (k = 1; k < l->nin; k++)
		for (i = 0; i < n; i++)
			l->act[i] += l->in[k]->act[i];
}

static void
add_backward(struct layer *l, const struct nn_ctx *x)
{
	size_t n = x->n * l->out.h * l->out.w * l->out.c, i;
	int k;

	for (k = 0; k < l->nin; k++)
		if (l->in[k]->dact)
			for (i = 0; i < n; i++)
				l->in[k]->dact[i] += l->dact[i];
}

static int
concat_shape(struct layer *l, struct nn_error *err)
{
	int k;

	l->out = l->in[0]->out;
	l->out.c = 0;
	for (k = 0; k < l->nin; k++) {
		const struct shape *s = &l->in[k]->out;
		if (s->h != l->out.h || s->w != l->out.w)
			return nn_errorf(err, l->line, "[concat] %s: inputs %zux%zu and %zux%zu differ",
			                 l->name, l->out.h, l->out.w, s->h, s->w);
		l->out.c += s->c;
	}
	return 0;
}

/* out (M, sum C_k) from in_k (M, C_k); backward adds the slices back */
static void
concat_run(struct layer *l, const struct nn_ctx *x, int backward)
{
	size_t m = x->n * l->out.h * l->out.w, i, j, off = 0;
	int k;

	for (k = 0; k < l->nin; k++) {
		size_t c = l->in[k]->out.c;
		if (!backward) {
			for (i = 0; i < m; i++)
				memcpy(l->act + i * l->out.c + off, l->in[k]->act + i * c, c * sizeof(float));
		} else if (l->in[k]->dact) {
			for (i = 0; i < m; i++)
				for (j = 0; j < c; j++)
					l->in[k]->dact[i * c + j] += l->dact[i * l->out.c + off + j];
		}
		off += c;
	}
}

static void concat_forward(struct layer *l, const struct nn_ctx *x) { concat_run(l, x, 0); }
static void concat_backward(struct layer *l, const struct nn_ctx *x) { concat_run(l, x, 1); }

const struct layer_kind nn_add = {
	"add", merge_parse, add_shape, NULL, add_forward, add_backward, NULL,
	NULL, NULL, { NULL, NULL },
};

const struct layer_kind nn_concat = {
	"concat", merge_parse, concat_shape, NULL, concat_forward, concat_backward, NULL,
	NULL, NULL, { NULL, NULL },
};
