/* nn.c: building a network from its cfg, the arenas, the forward and
 * backward loops, MSE and Adam. The layers live in nn_*.c, one kind a file,
 * and what they share in layer.c; this file never looks inside a kind's
 * options or asks which kind a layer is: it calls through the kind's table
 * (layer.h). */
#include "layer.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/tensor.h"

static const struct layer_kind *const kinds[] = {
	&nn_conv, &nn_maxpool, &nn_upsample, &nn_batchnorm, &nn_relu, &nn_sigmoid,
	&nn_linear, &nn_add, &nn_concat, &nn_space_to_depth, &nn_depth_to_space, &nn_noisemap,
};

static const struct layer_kind *
find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* building */

static int
valid_name(const char *s)
{
	if (!*s || strlen(s) >= NN_NAME_MAX || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* resolve one "from" reference for layer index i (in net.l; 0 is input) */
static int
resolve(struct net *net, int i, const char *ref, int line, struct nn_error *err)
{
	long k;
	int j, rc;

	if (strcmp(ref, "input") == 0)
		return 0;
	/* -1 is the previous layer (-i the input); 0, 1, ... count layers
	 * from the first, i - 2 being the previous one */
	if ((rc = cfg_parse_int(ref, -(long)i, (long)i - 2, &k)) == CFG_ERANGE)
		return nn_errorf(err, line, "from: '%s' is not an earlier layer", ref);
	if (rc == 0)
		return k < 0 ? i + (int)k : (int)k + 1;
	for (j = 1; j < i; j++)
		if (strcmp(net->l[j].name, ref) == 0)
			return j;
	return nn_errorf(err, line, "from: no earlier layer named '%s'", ref);
}

static int
parse_from(struct net *net, int i, struct cfg_section *s, struct nn_error *err)
{
	struct layer *l = &net->l[i];
	const char *v = cfg_get(s, "from");
	char buf[256], *tok, *save;
	int line = s->line, k;

	l->nin = 1;
	l->from[0] = i - 1;
	if (!v)
		return 0;
	for (k = 0; k < s->nkv; k++)
		if (strcmp(s->kv[k].key, "from") == 0)
			line = s->kv[k].line;
	if (strlen(v) >= sizeof buf)
		return nn_errorf(err, line, "from: too long");
	strcpy(buf, v);
	l->nin = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (l->nin == NN_MAX_IN)
			return nn_errorf(err, line, "from: more than %d inputs", NN_MAX_IN);
		if ((k = resolve(net, i, tok, line, err)) < 0)
			return -1;
		l->from[l->nin++] = k;
	}
	if (l->nin == 0)
		return nn_errorf(err, line, "from: no layer given");
	return 0;
}

static int
parse_layers(struct net *net, struct cfg *c, struct nn_error *err)
{
	long channels;
	int i, j;

	if (c->nsec == 0 || strcmp(c->sec[0].kind, "net") != 0)
		return nn_errorf(err, c->nsec ? c->sec[0].line : 1, "the cfg must start with [net]");
	if (cfg_int(&c->sec[0], "channels", 3, 1, 64, &channels, err) != 0 ||
	    cfg_unused(&c->sec[0], err) != 0)
		return -1;
	if (c->nsec < 2)
		return nn_errorf(err, c->sec[0].line, "the network has no layers");
	if (c->nsec > NN_MAX_LAYERS)
		return nn_errorf(err, c->sec[NN_MAX_LAYERS].line, "more than %d layers",
		                 NN_MAX_LAYERS);
	net->in.c = (size_t)channels;
	net->nl = c->nsec;
	if (!(net->l = calloc((size_t)net->nl, sizeof *net->l)))
		return nn_errorf(err, 0, "out of memory");
	strcpy(net->l[0].name, "input");
	for (i = 1; i < net->nl; i++) {
		struct cfg_section *s = &c->sec[i];
		struct layer *l = &net->l[i];
		const char *name;

		l->line = s->line;
		if (!(l->kind = find_kind(s->kind)))
			return nn_errorf(err, s->line, "unknown layer kind [%s]", s->kind);
		if ((name = cfg_get(s, "name"))) {
			if (!valid_name(name) || strcmp(name, "input") == 0)
				return nn_errorf(err, s->line, "name: '%s' is not a valid layer name",
				                 name);
			for (j = 1; j < i; j++)
				if (strcmp(net->l[j].name, name) == 0)
					return nn_errorf(err, s->line, "name: '%s' used twice", name);
			strcpy(l->name, name);
		} else {
			snprintf(l->name, sizeof l->name, "L%d", i - 1);
		}
		if (parse_from(net, i, s, err) != 0 || l->kind->parse(l, s, err) != 0 ||
		    cfg_unused(s, err) != 0)
			return -1;
	}
	return 0;
}

/* Bounds on shapes, so that the size arithmetic of this file cannot wrap:
 * with at most NN_MAX_BATCH images of NN_MAX_ELEMS floats, the 2 x
 * NN_MAX_LAYERS activations and gradients stay under 2^61 floats. */
#define NN_MAX_SIDE ((size_t)1 << 20)
#define NN_MAX_ELEMS ((size_t)1 << 40)
#define NN_MAX_BATCH 4096
/* The activations of all layers together, in floats per input pixel: a
 * crafted cfg (upsample or concat chains) could otherwise claim gigabytes
 * for a 16 x 16 input. The 17 x 64 colour stack holds 1,091 a pixel. */
#define NN_MAX_PER_PIXEL ((size_t)4096)

static size_t
image_size(const struct shape *s)
{
	return s->h * s->w * s->c;
}

/* infer every layer's output shape for an h x w input */
static int
infer_shapes(struct net *net, size_t h, size_t w, struct nn_error *err)
{
	size_t sum = h * w * net->in.c;
	int i, k;

	net->l[0].out.h = h;
	net->l[0].out.w = w;
	net->l[0].out.c = net->in.c;
	for (i = 1; i < net->nl; i++) {
		struct layer *l = &net->l[i];
		for (k = 0; k < l->nin; k++)
			l->in[k] = &net->l[l->from[k]];
		l->down = l->up = 1;
		l->reach = 0;
		if (l->kind->shape(l, err) != 0) {
			err->line = l->line;
			return -1;
		}
		if (l->out.h == 0 || l->out.w == 0)
			return nn_errorf(err, l->line, "[%s] %s: input %zux%zu is too small",
			                 l->kind->name, l->name, h, w);
		/* upsample and concat grow shapes without bound: keep every layer
		 * within NN_MAX_ELEMS, so that no arena size below can wrap */
		if (l->out.h > NN_MAX_SIDE || l->out.w > NN_MAX_SIDE || l->out.c > NN_MAX_SIDE ||
		    l->out.h * l->out.w > NN_MAX_ELEMS / l->out.c)
			return nn_errorf(err, l->line, "[%s] %s: output %zux%zux%zu is too large",
			                 l->kind->name, l->name, l->out.h, l->out.w, l->out.c);
		/* each term is under 2^40 and there are at most 200 */
		if ((sum += image_size(&l->out)) > NN_MAX_PER_PIXEL * h * w)
			return nn_errorf(err, l->line, "[%s] %s: the layers so far hold over %zu "
			                 "numbers a pixel", l->kind->name, l->name, NN_MAX_PER_PIXEL);
	}
	net->out = net->l[net->nl - 1].out;
	return 0;
}

/* the noise levels a [noisemap] reads, one per image of the largest batch */
static int
plan_noise(struct net *net, struct nn_error *err)
{
	int i;

	for (i = 1; i < net->nl; i++)
		if (net->l[i].kind == &nn_noisemap) {
			if (!(net->noise = calloc(NN_MAX_BATCH, sizeof *net->noise)))
				return nn_errorf(err, 0, "out of memory");
			break;
		}
	return 0;
}

static float *
grow(float *p, size_t n)
{
	void *q = realloc(p, (n ? n : 1) * sizeof(float));

	if (!q)
		free(p);
	return q;
}

/* Inference keeps an activation only while something may still read it.
 * Layer i's interval runs from the first layer that may write it (itself,
 * or the conv that writes a fused pool or batchnorm) to the last that may
 * read it (its readers, the conv that reads through a fused upsample; the
 * input and the output to the end, for the caller), so that it holds for
 * the fused order and the unfused one alike. First fit puts each at the
 * lowest offset no overlapping interval holds. Returns the arena's size. */
static size_t
plan_reuse(struct net *net, size_t *off)
{
	int first[NN_MAX_LAYERS + 1], last[NN_MAX_LAYERS + 1], nl = net->nl, i, j, k;
	size_t size[NN_MAX_LAYERS + 1], total = 0, at;

	for (i = 0; i < nl; i++) {
		first[i] = last[i] = i;
		/* whole cache lines */
		size[i] = (net->n * image_size(&net->l[i].out) + 15) / 16 * 16;
	}
	last[0] = last[nl - 1] = nl;
	for (j = 1; j < nl; j++) {
		const struct layer *l = &net->l[j];
		for (k = 0; k < l->nin; k++)
			last[l->from[k]] = last[l->from[k]] > j ? last[l->from[k]] : j;
		if (l->pool)
			first[l->pool - net->l] = j;
		if (l->bn)
			first[l->bn - net->l] = j;
		if (l->upsrc) {
			k = l->upsrc->from[0];
			last[k] = last[k] > j ? last[k] : j;
		}
	}
#define LIVE_TOGETHER(a, b) (first[a] <= last[b] && last[a] >= first[b])
	for (i = 0; i < nl; i++) {
		/* the lowest of 0 and the ends of the placed blocks live with it
		 * that clashes with none of them (the highest end always fits) */
		off[i] = SIZE_MAX;
		for (j = -1; j < i; j++) {
			if (j >= 0 && !LIVE_TOGETHER(j, i))
				continue;
			at = j < 0 ? 0 : off[j] + size[j];
			for (k = 0; k < i && at < off[i]; k++)
				if (LIVE_TOGETHER(k, i) && at < off[k] + size[k] && off[k] < at + size[i])
					break;
			if (k == i)
				off[i] = at;
		}
		total = total > off[i] + size[i] ? total : off[i] + size[i];
	}
#undef LIVE_TOGETHER
	return total;
}

/* lay out activations (and their gradients) for the current shapes and n */
static int
plan_activations(struct net *net, struct nn_error *err)
{
	struct nn_ctx x = { .n = net->n, .train = net->mode == NN_TRAIN, .nthreads = net->nthreads,
	                    .kernels = net->kernels, .fuse = net->fuse };
	size_t total = 0, ws = 0, k, off[NN_MAX_LAYERS + 1];
	int i;
	float *p;

	for (i = 0; i < net->nl; i++) {
		total += net->n * image_size(&net->l[i].out);
		if (net->mode == NN_TRAIN && i > 0)
			total += net->n * image_size(&net->l[i].out);
		if (i > 0 && net->l[i].kind->workspace &&
		    (k = net->l[i].kind->workspace(&net->l[i], &x)) > ws)
			ws = k;
	}
	if (net->mode == NN_INFER)
		total = plan_reuse(net, off);
	if (total > net->nacts) {
		free(net->acts);
		if (!(net->acts = malloc(total * sizeof(float)))) {
			net->nacts = 0;
			return nn_errorf(err, 0, "out of memory for %zu activations", total);
		}
		net->nacts = total;
	}
	if (ws > net->nws) {
		if (!(net->ws = grow(net->ws, ws))) {
			net->nws = 0;
			return nn_errorf(err, 0, "out of memory for a %zu-float workspace", ws);
		}
		net->nws = ws;
	}
	p = net->acts;
	for (i = 0; i < net->nl; i++) {
		struct layer *l = &net->l[i];
		size_t n = net->n * image_size(&l->out);
		if (net->mode == NN_INFER) {
			l->act = net->acts + off[i];
			l->dact = NULL;
			continue;
		}
		l->act = p;
		p += n;
		l->dact = NULL;
		if (net->mode == NN_TRAIN && i > 0) {
			l->dact = p;
			p += n;
		}
	}
	return 0;
}

static int
add_param(struct net *net, const struct layer *l, const char *what, float *data, float *grad,
          size_t n, unsigned rank, const uint32_t *dims)
{
	struct nn_param *p = &net->p[net->np++];

	snprintf(p->name, sizeof p->name, "%s.%s", l->name, what);
	p->data = data;
	p->grad = grad;
	p->n = n;
	p->rank = rank;
	memcpy(p->dims, dims, rank * sizeof *dims);
	return 0;
}

/* carve parameters, gradients, Adam moments and state out of one arena each */
static int
plan_params(struct net *net, struct nn_error *err)
{
	size_t np = 0, ns = 0, nc = 0, op = 0, os = 0, oc = 0;
	int i, train = net->mode == NN_TRAIN;

	for (i = 1; i < net->nl; i++) {
		np += net->l[i].nw + net->l[i].nb;
		ns += net->l[i].nstate;
		nc += net->l[i].ncache;
	}
	net->nparams = np;
	net->nstate = ns;
	net->ncache = nc;
	net->params = calloc(np ? np : 1, sizeof(float));
	net->state = calloc(ns ? ns : 1, sizeof(float));
	net->cache = calloc(nc ? nc : 1, sizeof(float));
	net->p = calloc((size_t)net->nl * 4, sizeof *net->p);
	if (train) {
		net->grads = calloc(np ? np : 1, sizeof(float));
		net->m = calloc(np ? np : 1, sizeof(float));
		net->v = calloc(np ? np : 1, sizeof(float));
	}
	if (!net->params || !net->state || !net->cache || !net->p ||
	    (train && (!net->grads || !net->m || !net->v)))
		return nn_errorf(err, 0, "out of memory for %zu parameters", np);
	if (!train) {
		size_t nk = 0, ok = 0;
		for (i = 1; i < net->nl; i++)
			if (net->l[i].kind->keep_size)
				nk += net->l[i].kind->keep_size(&net->l[i]);
		if (nk && !(net->keep = malloc(nk * sizeof(float))))
			return nn_errorf(err, 0, "out of memory for %zu packed weights", nk);
		for (i = 1; i < net->nl; i++)
			if (net->l[i].kind->keep_size) {
				net->l[i].keep = net->keep + ok;
				ok += net->l[i].kind->keep_size(&net->l[i]);
			}
	}
	for (i = 1; i < net->nl; i++) {
		struct layer *l = &net->l[i];
		uint32_t c = (uint32_t)l->out.c;
		if (l->nw) {
			l->w = net->params + op;
			l->dw = train ? net->grads + op : NULL;
			add_param(net, l, l->kind->wname, l->w, l->dw, l->nw, l->wrank, l->wdims);
			op += l->nw;
		}
		if (l->nb) {
			uint32_t d = (uint32_t)l->nb;
			l->b = net->params + op;
			l->db = train ? net->grads + op : NULL;
			add_param(net, l, l->kind->bname, l->b, l->db, l->nb, 1, &d);
			op += l->nb;
		}
		if (l->nstate) {
			l->state = net->state + os;
			add_param(net, l, l->kind->state_names[0], l->state, NULL, c, 1, &c);
			add_param(net, l, l->kind->state_names[1], l->state + c, NULL, c, 1, &c);
			os += l->nstate;
		}
		if (l->ncache) {
			l->cache = net->cache + oc;
			oc += l->ncache;
		}
	}
	return 0;
}

/* inference: each kind takes in the neighbours it can run itself (struct
 * layer); cannot fail */
static int
plan_fusion(struct net *net)
{
	int i;

	net->fuse = net->mode == NN_INFER;
	if (!net->fuse)
		return 0;
	for (i = 1; i < net->nl; i++)
		if (net->l[i].kind->fuse)
			net->l[i].kind->fuse(&net->l[i], net);
	return 0;
}

int
nn_build(struct net *net, const char *cfg_text, size_t h, size_t w, size_t n,
         enum nn_mode mode, struct nn_error *err)
{
	struct cfg c;

	memset(net, 0, sizeof *net);
	memset(err, 0, sizeof *err);
	net->mode = mode;
	net->nthreads = 1;
	net->kernels = t_cpu_avx2() ? NN_AVX2 : NN_PORTABLE;
	net->n = n ? n : 1;
	if (net->n > NN_MAX_BATCH || h > NN_MAX_SIDE || w > NN_MAX_SIDE)
		return nn_errorf(err, 0, "batch %zu of %zux%zu is over the limits", net->n, h, w);
	if (cfg_parse(&c, cfg_text, err) != 0)
		return -1;
	if (!(net->cfg = strdup(cfg_text))) {
		cfg_free(&c);
		return nn_errorf(err, 0, "out of memory");
	}
	if (parse_layers(net, &c, err) != 0 || plan_noise(net, err) != 0 ||
	    infer_shapes(net, h, w, err) != 0 || plan_fusion(net) != 0 ||
	    plan_params(net, err) != 0 || plan_activations(net, err) != 0) {
		cfg_free(&c);
		nn_free(net);
		return -1;
	}
	cfg_free(&c);
	net->in.h = h;
	net->in.w = w;
	return 0;
}

int
nn_reshape(struct net *net, size_t h, size_t w, size_t n, struct nn_error *err)
{
	memset(err, 0, sizeof *err);
	if ((n ? n : 1) > NN_MAX_BATCH || h > NN_MAX_SIDE || w > NN_MAX_SIDE)
		return nn_errorf(err, 0, "batch %zu of %zux%zu is over the limits", n, h, w);
	if (infer_shapes(net, h, w, err) != 0) {
		/* put the old shapes back so the net stays usable */
		infer_shapes(net, net->in.h, net->in.w, &(struct nn_error){ 0 });
		return -1;
	}
	net->in.h = h;
	net->in.w = w;
	net->n = n ? n : 1;
	return plan_activations(net, err);
}

int
nn_set_threads(struct net *net, int nthreads, struct nn_error *err)
{
	memset(err, 0, sizeof *err);
	net->nthreads = nthreads < 1 ? 1 : nthreads;
	return plan_activations(net, err);
}

int
nn_set_kernels(struct net *net, enum nn_kernels k, struct nn_error *err)
{
	memset(err, 0, sizeof *err);
	if (k == NN_AVX2 && !t_cpu_avx2())
		return nn_errorf(err, 0, "this CPU lacks AVX2 or FMA");
	net->kernels = k;
	return plan_activations(net, err);
}

void
nn_init(struct net *net, struct rng *r)
{
	int i;

	memset(net->params, 0, net->nparams * sizeof(float));
	memset(net->state, 0, net->nstate * sizeof(float));
	if (net->m) {
		memset(net->m, 0, net->nparams * sizeof(float));
		memset(net->v, 0, net->nparams * sizeof(float));
	}
	net->step = 0;
	for (i = 1; i < net->nl; i++)
		if (net->l[i].kind->init)
			net->l[i].kind->init(&net->l[i], r);
}

float *
nn_input(struct net *net)
{
	return net->l[0].act;
}

float *
nn_noise(struct net *net)
{
	return net->noise;
}

float *
nn_output(struct net *net)
{
	return net->l[net->nl - 1].act;
}

float *
nn_output_grad(struct net *net)
{
	return net->l[net->nl - 1].dact;
}

void
nn_forward(struct net *net, size_t n, int train)
{
	struct nn_ctx x = { .n = n, .train = train, .ws = net->ws, .nthreads = net->nthreads,
	                    .kernels = net->kernels,
	                    .fuse = net->fuse && !train && net->kernels == NN_AVX2,
	                    .noise = net->noise };
	double t = net->prof ? t_now() : 0, u;
	int i;

	for (i = 1; i < net->nl; i++) {
		if (!(x.fuse && net->l[i].absorbed))
			net->l[i].kind->forward(&net->l[i], &x);
		if (net->prof) {
			u = t_now();
			net->prof[2 * i] += u - t;
			t = u;
		}
	}
}

double
nn_mse(struct net *net, const float *target, size_t n)
{
	struct layer *o = &net->l[net->nl - 1];
	size_t i, count = n * image_size(&o->out);
	double sum = 0, d;
	float scale = 2.0f / (float)count;

	for (i = 0; i < count; i++) {
		d = (double)o->act[i] - target[i];
		sum += d * d;
		if (o->dact)
			o->dact[i] = scale * (o->act[i] - target[i]);
	}
	return sum / (double)count;
}

static void
zero_range(void *p, size_t i0, size_t i1)
{
	memset((float *)p + i0, 0, (i1 - i0) * sizeof(float));
}

void
nn_backward(struct net *net, size_t n)
{
	struct nn_ctx x = { .n = n, .train = 1, .ws = net->ws, .nthreads = net->nthreads,
	                    .kernels = net->kernels };
	double t, u;
	int i;

	/* gradients flow into inputs with +=, since an output may feed
	 * several layers; the output's gradient comes from the loss. Zeroing
	 * them all is a pass over memory as large as the activations: the
	 * threads share it. */
	for (i = 1; i < net->nl - 1; i++) {
		struct layer *l = &net->l[i], *r = nn_sole_reader(net, l);
		l->zero_late = r && r->kind->sets_dx && r->kind->sets_dx(r, net->kernels);
		if (!l->zero_late)
			nn_parallel_range(&x, n * image_size(&l->out), 1 << 16, zero_range, l->dact);
	}
	t = net->prof ? t_now() : 0;
	for (i = net->nl - 1; i >= 1; i--) {
		net->l[i].kind->backward(&net->l[i], &x);
		if (net->prof) {
			u = t_now();
			net->prof[2 * i + 1] += u - t;
			t = u;
		}
	}
}

void
nn_zero_grad(struct net *net)
{
	if (net->grads)
		memset(net->grads, 0, net->nparams * sizeof(float));
}

/* Keras' Adam: the bias correction is folded into the step size, so eps is
 * added to sqrt(v), not to sqrt(v_hat); the moments update as m += (g - m) *
 * (1 - beta1), the form Keras 3 writes, for bit-level closeness. */
void
nn_adam(struct net *net, const struct adam_hp *hp)
{
	double t = (double)++net->step;
	float alpha = (float)(hp->lr * sqrt(1 - pow(hp->beta2, t)) / (1 - pow(hp->beta1, t)));
	float b1 = 1 - hp->beta1, b2 = 1 - hp->beta2;
	size_t i;

	for (i = 0; i < net->nparams; i++) {
		float g = net->grads[i];
		net->m[i] += (g - net->m[i]) * b1;
		net->v[i] += (g * g - net->v[i]) * b2;
		net->params[i] -= net->m[i] * alpha / (sqrtf(net->v[i]) + hp->eps);
	}
}

struct nn_param *
nn_param(struct net *net, const char *name)
{
	int i;

	for (i = 0; i < net->np; i++)
		if (strcmp(net->p[i].name, name) == 0)
			return &net->p[i];
	return NULL;
}

/* smallest s >= s0 that the network maps to itself along one axis */
static int
fit_axis(struct net *net, size_t s0, int axis, size_t *s)
{
	struct nn_error e;
	size_t t;

	for (t = s0; t < s0 + 1024; t++) {
		size_t h = axis == 0 ? t : net->in.h, w = axis == 0 ? net->in.w : t;
		struct layer *o = &net->l[net->nl - 1];
		if (infer_shapes(net, h, w, &e) == 0 && (axis == 0 ? o->out.h : o->out.w) == t) {
			*s = t;
			return 0;
		}
	}
	return -1;
}

int
nn_fit_size(struct net *net, size_t h, size_t w, size_t *H, size_t *W)
{
	struct nn_error e;
	int rc = fit_axis(net, h, 0, H) == 0 && fit_axis(net, w, 1, W) == 0 ? 0 : -1;

	infer_shapes(net, net->in.h, net->in.w, &e);
	return rc;
}

/* the scale of each layer's grid relative to the input, as a fraction:
 * one pixel of layer i covers num[i] / den[i] input pixels */
static void
scales(const struct net *net, size_t *num, size_t *den)
{
	int i;

	num[0] = den[0] = 1;
	for (i = 1; i < net->nl; i++) {
		const struct layer *l = &net->l[i];
		num[i] = num[l->from[0]] * (size_t)l->down;
		den[i] = den[l->from[0]] * (size_t)l->up;
	}
}

size_t
nn_period(const struct net *net)
{
	size_t num[NN_MAX_LAYERS], den[NN_MAX_LAYERS], p = 1;
	int i;

	scales(net, num, den);
	for (i = 0; i < net->nl; i++)
		if (num[i] / den[i] > p)
			p = num[i] / den[i];
	return p;
}

size_t
nn_reach(const struct net *net)
{
	size_t num[NN_MAX_LAYERS], den[NN_MAX_LAYERS], r[NN_MAX_LAYERS];
	int i, k;

	scales(net, num, den);
	r[0] = 0;
	for (i = 1; i < net->nl; i++) {
		const struct layer *l = &net->l[i];
		size_t in_px = (num[l->from[0]] + den[l->from[0]] - 1) / den[l->from[0]];
		r[i] = 0;
		for (k = 0; k < l->nin; k++)
			if (r[l->from[k]] > r[i])
				r[i] = r[l->from[k]];
		/* plus a cell for the rounding of a change of scale */
		r[i] += (size_t)l->reach * in_px;
		if (l->down > 1 || l->up > 1)
			r[i] += (size_t)l->down * in_px;
	}
	return r[net->nl - 1];
}

void
nn_free(struct net *net)
{
	free(net->cfg);
	free(net->l);
	free(net->params);
	free(net->keep);
	free(net->grads);
	free(net->m);
	free(net->v);
	free(net->state);
	free(net->cache);
	free(net->acts);
	free(net->ws);
	free(net->noise);
	free(net->p);
	memset(net, 0, sizeof *net);
}
