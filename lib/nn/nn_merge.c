/* nn_merge.c: layers with several inputs, for skip connections: add
 * (element-wise sum, as Keras' Add; DnCNN's residual) and concat (channels
 * of each input in "from" order, as Keras' Concatenate(axis=-1); U-Net). */
#include <string.h>

#include "layer.h"
#include "../kernel/tensor.h"

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

/* elementwise work goes in chunks of 16k floats (rows, for concat) over
 * the threads */
#define MERGE_CHUNK 16384

struct merge_job {
	struct layer *l;
	int avx2;
};

/* dst += src, the portable twin of t_add_avx2 */
static void
add_to(float *dst, const float *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += src[i];
}

static void
add_forward_range(void *arg, size_t i0, size_t i1)
{
	struct merge_job *j = arg;
	struct layer *l = j->l;
	int k;

	memcpy(l->act + i0, l->in[0]->act + i0, (i1 - i0) * sizeof(float));
	for (k = 1; k < l->nin; k++)
		(j->avx2 ? t_add_avx2 : add_to)(l->act + i0, l->in[k]->act + i0, i1 - i0);
}

static void
add_backward_range(void *arg, size_t i0, size_t i1)
{
	struct merge_job *j = arg;
	struct layer *l = j->l;
	int k;

	for (k = 0; k < l->nin; k++)
		if (l->in[k]->dact)
			(j->avx2 ? t_add_avx2 : add_to)(l->in[k]->dact + i0, l->dact + i0, i1 - i0);
}

static void
add_forward(struct layer *l, const struct nn_ctx *x)
{
	struct merge_job j = { l, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->out.h * l->out.w * l->out.c, MERGE_CHUNK, add_forward_range,
	                  &j);
}

static void
add_backward(struct layer *l, const struct nn_ctx *x)
{
	struct merge_job j = { l, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->out.h * l->out.w * l->out.c, MERGE_CHUNK,
	                  add_backward_range, &j);
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

/* out (M, sum C_k) from in_k (M, C_k), rows i0 .. i1; backward adds the
 * slices back */
static void
concat_rows(struct layer *l, size_t i0, size_t i1, int backward, int avx2)
{
	size_t i, off = 0;
	int k;

	for (k = 0; k < l->nin; k++) {
		size_t c = l->in[k]->out.c;
		if (!backward) {
			for (i = i0; i < i1; i++)
				memcpy(l->act + i * l->out.c + off, l->in[k]->act + i * c, c * sizeof(float));
		} else if (l->in[k]->dact) {
			for (i = i0; i < i1; i++)
				(avx2 ? t_add_avx2 : add_to)(l->in[k]->dact + i * c,
				                             l->dact + i * l->out.c + off, c);
		}
		off += c;
	}
}

static void
concat_forward_range(void *arg, size_t i0, size_t i1)
{
	struct merge_job *j = arg;

	concat_rows(j->l, i0, i1, 0, j->avx2);
}

static void
concat_backward_range(void *arg, size_t i0, size_t i1)
{
	struct merge_job *j = arg;

	concat_rows(j->l, i0, i1, 1, j->avx2);
}

static void
concat_forward(struct layer *l, const struct nn_ctx *x)
{
	struct merge_job j = { l, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->out.h * l->out.w, MERGE_CHUNK / l->out.c + 1,
	                  concat_forward_range, &j);
}

static void
concat_backward(struct layer *l, const struct nn_ctx *x)
{
	struct merge_job j = { l, x->kernels == NN_AVX2 };

	nn_parallel_range(x, x->n * l->out.h * l->out.w, MERGE_CHUNK / l->out.c + 1,
	                  concat_backward_range, &j);
}

const struct layer_kind nn_add = {
	.name = "add",
	.parse = merge_parse,
	.shape = add_shape,
	.forward = add_forward,
	.backward = add_backward,
};

const struct layer_kind nn_concat = {
	.name = "concat",
	.parse = merge_parse,
	.shape = concat_shape,
	.forward = concat_forward,
	.backward = concat_backward,
};
