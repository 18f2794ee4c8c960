/* train.c: epochs, batches, validation, early stopping and checkpoints for
 * a denoiser; see train.h. All randomness is derived from (seed, epoch,
 * draw) with noise_key3, never from a running generator, which is what
 * makes resuming exact. */
#include "train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/le.h"
#include "../io/pack.h"
#include "../kernel/tensor.h"

/* domains for noise_key3, so crop, order and noise draws never coincide */
enum { K_ORDER = 0x4f52, K_CROP = 0x4352, K_NOISE = 0x4e53, K_VAL = 0x5641, K_SIGMA = 0x5347,
       K_COLOR = 0x434c };

/* ---------------------------------------------------------------------- */
/* an in-memory dataset */

struct memds {
	int is_u8;
	void *data;
	size_t *dims;                   /* mixed: height, width of each sample */
	size_t *off;                    /* mixed: where each sample starts, in values */
};

static int
mem_get(const struct dataset *ds, size_t i, float *out, size_t *h, size_t *w, char *msg,
        size_t len)
{
	const struct memds *m = ds->impl;
	size_t n, k, at;

	(void)msg;
	(void)len;
	*h = m->dims ? m->dims[2 * i] : ds->h;
	*w = m->dims ? m->dims[2 * i + 1] : ds->w;
	n = *h * *w * ds->c;
	at = m->off ? m->off[i] : i * n;
	if (m->is_u8) {
		const unsigned char *p = (const unsigned char *)m->data + at;
		for (k = 0; k < n; k++)
			out[k] = p[k];
	} else {
		memcpy(out, (const float *)m->data + at, n * sizeof(float));
	}
	return 0;
}

static void
mem_release(struct dataset *ds)
{
	struct memds *m = ds->impl;

	if (m) {
		free(m->data);
		free(m->dims);
		free(m->off);
	}
	free(m);
	ds->impl = NULL;
}

void
ds_memory(struct dataset *ds, size_t n, size_t h, size_t w, size_t c, int is_u8, void *data)
{
	struct memds *m = calloc(1, sizeof *m);

	memset(ds, 0, sizeof *ds);
	ds->n = n;
	ds->h = ds->minh = h;
	ds->w = ds->minw = w;
	ds->c = c;
	ds->get = mem_get;
	ds->release = mem_release;
	ds->impl = m;
	if (m) {
		m->is_u8 = is_u8;
		m->data = data;
	}
}

void
ds_memory_mixed(struct dataset *ds, size_t n, size_t c, int is_u8, void *data, size_t *dims)
{
	struct memds *m;
	size_t i, at = 0, most = 0;

	ds_memory(ds, n, 0, 0, c, is_u8, data);
	if (!(m = ds->impl) || !(m->off = malloc((n ? n : 1) * sizeof *m->off))) {
		free(dims);
		mem_release(ds);
		return;
	}
	m->dims = dims;
	ds->mixed = 1;
	ds->minh = ds->minw = SIZE_MAX;
	for (i = 0; i < n; i++) {
		size_t h = dims[2 * i], w = dims[2 * i + 1];
		m->off[i] = at;
		at += h * w * c;
		if (h * w > most) {
			most = h * w;
			ds->h = h;
			ds->w = w;
		}
		ds->minh = h < ds->minh ? h : ds->minh;
		ds->minw = w < ds->minw ? w : ds->minw;
	}
}

/* a pack, read one sample at a time */

struct packds {
	struct pk_reader *pk;
	int is_u8;
	void *raw, *scratch;
	size_t rawlen, scratchlen;
};

static int
pack_get(const struct dataset *ds, size_t i, float *out, size_t *h, size_t *w, char *msg,
         size_t len)
{
	const struct packds *p = ds->impl;
	size_t n = ds->h * ds->w * ds->c, k;
	enum pk_err e;

	*h = ds->h;
	*w = ds->w;
	if ((e = pk_read_with(p->pk, i, p->raw, p->rawlen, p->scratch, p->scratchlen)) != PK_OK) {
		snprintf(msg, len, "%s", pk_strerror(e));
		return -1;
	}
	if (p->is_u8)
		for (k = 0; k < n; k++)
			out[k] = ((const unsigned char *)p->raw)[k];
	else
		memcpy(out, p->raw, n * sizeof(float));
	return 0;
}

static void
pack_release(struct dataset *ds)
{
	struct packds *p = ds->impl;

	if (p) {
		free(p->raw);
		free(p->scratch);
	}
	free(p);
	ds->impl = NULL;
}

int
ds_pack(struct dataset *ds, struct pk_reader *pk)
{
	struct packds *p;
	struct ts_header h;

	memset(ds, 0, sizeof *ds);
	if (pk_count(pk) == 0 || pk_sample_header(pk, 0, &h) != PK_OK || h.rank != 3)
		return -1;
	if (!(p = calloc(1, sizeof *p)))
		return -1;
	p->pk = pk;
	p->is_u8 = h.dtype == TS_U8;
	p->rawlen = pk_sample_size(pk);
	p->scratchlen = pk_scratch_size(pk);
	p->raw = malloc(p->rawlen);
	p->scratch = malloc(p->scratchlen ? p->scratchlen : 1);
	ds->n = (size_t)pk_count(pk);
	ds->h = ds->minh = h.dims[0];
	ds->w = ds->minw = h.dims[1];
	ds->c = h.dims[2];
	ds->get = pack_get;
	ds->release = pack_release;
	ds->impl = p;
	if (!p->raw || !p->scratch) {
		pack_release(ds);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

void
tr_free(struct trainer *tr)
{
	free(tr->train);
	free(tr->val);
	free(tr->order);
	free(tr->hist);
	free(tr->x);
	free(tr->t);
	free(tr->a);
	free(tr->b);
	memset(tr, 0, sizeof *tr);
}

int
tr_init(struct trainer *tr, struct net *net, const struct tr_opt *o,
        const struct dataset *clean, const struct dataset *noisy,
        const struct dataset *vclean, const struct dataset *vnoisy, struct nn_error *err)
{
	size_t i, nval = 0, full, s;

	memset(tr, 0, sizeof *tr);
	tr->o = *o;
	tr->net = net;
	tr->clean = clean;
	tr->noisy = noisy;
	tr->vclean = vclean;
	tr->vnoisy = vnoisy;
	if (!tr->o.repeat)
		tr->o.repeat = 1;
	if (clean->n == 0)
		return nn_errorf(err, 0, "no training images");
	if (clean->c != net->in.c)
		return nn_errorf(err, 0, "images have %zu channels, the network takes %zu", clean->c,
		                 net->in.c);
	if (noisy && (noisy->n != clean->n || noisy->h != clean->h || noisy->w != clean->w ||
	              noisy->c != clean->c))
		return nn_errorf(err, 0, "noisy set is %zu x %zux%zux%zu, clean set %zu x %zux%zux%zu",
		                 noisy->n, noisy->h, noisy->w, noisy->c, clean->n, clean->h,
		                 clean->w, clean->c);
	if (vclean && vnoisy && (vnoisy->n != vclean->n || vnoisy->h != vclean->h ||
	                         vnoisy->w != vclean->w || vnoisy->c != vclean->c))
		return nn_errorf(err, 0, "validation noisy and clean sets differ in count or shape");
	if ((clean->mixed || (noisy && noisy->mixed) || (vclean && vclean->mixed)) && !o->patch)
		return nn_errorf(err, 0, "images differ in size: train on patches of them (--patch)");
	if (vclean && (vclean->h != clean->h || vclean->w != clean->w || vclean->c != clean->c) &&
	    !o->patch)
		return nn_errorf(err, 0, "validation images are %zux%zu, training images %zux%zu",
		                 vclean->h, vclean->w, clean->h, clean->w);
	if (nn_noise(net) && (noisy || vnoisy || o->noise.poisson_peak > 0 || o->noise.salt_pepper > 0))
		return nn_errorf(err, 0, "the network takes the noise level ([noisemap]): train it on "
		                 "clean images with Gaussian noise alone, whose level is known");
	tr->h = o->patch ? o->patch : clean->h;
	tr->w = o->patch ? o->patch : clean->w;
	tr->c = clean->c;
	if (o->patch && (o->patch > clean->minh || o->patch > clean->minw ||
	                 (vclean && (o->patch > vclean->minh || o->patch > vclean->minw))))
		return nn_errorf(err, 0, "patch %zu is larger than the images", o->patch);
	if (net->in.h != tr->h || net->in.w != tr->w || net->n < o->batch)
		return nn_errorf(err, 0, "network built for %zux%zu batch %zu, samples are %zux%zu batch %zu",
		                 net->in.h, net->in.w, net->n, tr->h, tr->w, o->batch);
	if (!vclean && o->val_split > 0) {
		/* as Keras' validation_split: the last fraction, before shuffling */
		nval = (size_t)floor(o->val_split * (double)clean->n);
		if (nval == 0 || nval >= clean->n)
			return nn_errorf(err, 0, "validation split leaves %zu of %zu images", nval,
			                 clean->n);
	}
	tr->ntrain = clean->n - nval;
	tr->nval = vclean ? vclean->n : nval;
	full = tr->ntrain * tr->o.repeat;
	s = tr->h * tr->w * tr->c;
	tr->train = malloc(tr->ntrain * sizeof *tr->train);
	tr->val = malloc((tr->nval ? tr->nval : 1) * sizeof *tr->val);
	tr->order = malloc(full * sizeof *tr->order);
	tr->hist = calloc(o->epochs ? o->epochs : 1, sizeof *tr->hist);
	tr->x = malloc(o->batch * s * sizeof(float));
	tr->t = malloc(o->batch * s * sizeof(float));
	/* sample scratch holds a whole image, before cropping */
	i = clean->h * clean->w * clean->c;
	if (vclean && vclean->h * vclean->w * vclean->c > i)
		i = vclean->h * vclean->w * vclean->c;
	tr->a = malloc(i * sizeof(float));
	tr->b = malloc(i * sizeof(float));
	if (!tr->train || !tr->val || !tr->order || !tr->hist || !tr->x || !tr->t || !tr->a ||
	    !tr->b) {
		tr_free(tr);
		return nn_errorf(err, 0, "out of memory for batches of %zu", o->batch);
	}
	for (i = 0; i < tr->ntrain; i++)
		tr->train[i] = i;
	for (i = 0; i < tr->nval; i++)
		tr->val[i] = vclean ? i : tr->ntrain + i;
	tr->best = INFINITY;
	return 0;
}

/* crop (y0, x0, size h x w) out of img (ih, iw, c), then flip/rotate by
 * op 0..7 (bit 0: transpose, bit 1: flip rows, bit 2: flip columns) */
static void
crop(float *dst, const float *img, size_t iw, size_t c, size_t y0, size_t x0, size_t h,
     size_t w, int op)
{
	size_t y, x, sy, sx;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			sy = (op & 1) ? x : y;
			sx = (op & 1) ? y : x;
			if (op & 2)
				sy = h - 1 - sy;
			if (op & 4)
				sx = w - 1 - sx;
			memcpy(dst + (y * w + x) * c, img + ((y0 + sy) * iw + x0 + sx) * c,
			       c * sizeof(float));
		}
}

/* colour augmentation of n RGB pixels in place: channel order perm[] and
 * saturation scaled by sat about the pixel's mean (then clipped to 0..255),
 * so a set poor in some hue or in strong colours is seen with them */
static void
recolour(float *p, size_t n, const int perm[3], float sat)
{
	size_t i;
	float v[3], m;
	int k;

	for (i = 0; i < n; i++, p += 3) {
		for (k = 0; k < 3; k++)
			v[k] = p[perm[k]];
		m = (v[0] + v[1] + v[2]) * (1.0f / 3);
		for (k = 0; k < 3; k++) {
			float y = m + sat * (v[k] - m);
			p[k] = y < 0 ? 0 : y > 255 ? 255 : y;
		}
	}
}

/* make training draw k (or validation sample k when val) of this epoch
 * into slot j of the batch buffers */
static int
make_sample(struct trainer *tr, size_t k, size_t j, int val, struct nn_error *err)
{
	const struct dataset *cl = val ? (tr->vclean ? tr->vclean : tr->clean) : tr->clean;
	const struct dataset *no = val ? (tr->vclean ? tr->vnoisy : tr->noisy) : tr->noisy;
	size_t img = val ? tr->val[k] : tr->train[k % tr->ntrain];
	size_t s = tr->h * tr->w * tr->c, i, y0 = 0, x0 = 0, ih, iw, nh, nw;
	uint64_t e = tr->o.fixed_noise || val ? 0 : tr->epoch + 1;
	uint64_t draw = tr->o.fixed_noise || val ? img : k;
	uint64_t seed = val ? tr->o.seed ^ K_VAL : tr->o.seed;
	float *x = tr->x + j * s, *t = tr->t + j * s;
	char msg[200] = "";
	int op = 0;

	if (cl->get(cl, img, tr->a, &ih, &iw, msg, sizeof msg) != 0 ||
	    (no && no->get(no, img, tr->b, &nh, &nw, msg, sizeof msg) != 0))
		return nn_errorf(err, 0, "sample %zu: %s", img + 1, msg);
	if (no && (nh != ih || nw != iw))
		return nn_errorf(err, 0, "sample %zu: noisy image is %zux%zu, clean %zux%zu", img + 1,
		                 nh, nw, ih, iw);
	if (tr->o.patch) {
		struct rng r;
		rng_seed(&r, noise_key3(seed ^ K_CROP, val ? 0 : tr->epoch + 1, val ? img : k));
		if (val) {
			y0 = (ih - tr->h) / 2;
			x0 = (iw - tr->w) / 2;
		} else {
			y0 = (size_t)rng_below(&r, ih - tr->h + 1);
			x0 = (size_t)rng_below(&r, iw - tr->w + 1);
			if (tr->o.augment)
				op = (int)rng_below(&r, 8);
		}
	} else if (tr->o.augment && !val) {
		struct rng r;
		rng_seed(&r, noise_key3(seed ^ K_CROP, tr->epoch + 1, k));
		op = (int)rng_below(&r, 8);
	}
	if (tr->h != tr->w)
		op &= 6;        /* a transpose would change the shape */
	crop(t, tr->a, iw, tr->c, y0, x0, tr->h, tr->w, op);
	if (no)
		crop(x, tr->b, iw, tr->c, y0, x0, tr->h, tr->w, op);
	if (tr->o.augment_color && !val && tr->c == 3) {
		static const int perms[6][3] = {
			{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
		};
		struct rng r;
		const int *pm;
		float sat;

		rng_seed(&r, noise_key3(seed ^ K_COLOR, tr->epoch + 1, k));
		pm = perms[rng_below(&r, 6)];
		/* a noisy set's noise must keep its statistics: permute only */
		sat = no ? 1 : (float)(0.5 + rng_uniform(&r));
		recolour(t, tr->h * tr->w, pm, sat);
		if (no)
			recolour(x, tr->h * tr->w, pm, 1);
	}
	if (!no) {
		struct noise_opt nopt = tr->o.noise;
		memcpy(x, t, s * sizeof(float));
		if (tr->o.sigma_max > 0) {
			struct rng r;
			rng_seed(&r, noise_key3(seed ^ K_SIGMA, e, draw));
			nopt.std = tr->o.sigma_min +
			           (float)rng_uniform(&r) * (tr->o.sigma_max - tr->o.sigma_min);
		}
		/* a [noisemap] is told the level drawn (tr_init allows Gaussian
		 * noise alone there) */
		if (nn_noise(tr->net))
			nn_noise(tr->net)[j] = nopt.std / 255;
		noise_apply(&nopt, noise_key3(seed ^ K_NOISE, e, draw), x, s);
		/* the tools hand the network u8 images: clip and round as addnoise does */
		if (!tr->o.sigma_max)
			for (i = 0; i < s; i++)
				x[i] = x[i] <= 0 ? 0 : x[i] >= 255 ? 255 : floorf(x[i] + 0.5f);
	}
	for (i = 0; i < s; i++) {
		x[i] *= 1.0f / 255;
		t[i] *= 1.0f / 255;
	}
	return 0;
}

/* validation loss and mean PSNR (output rounded to u8, as daeinfer writes);
 * with o.dist, batch b is process b mod P's and the sums are reduced */
static int
validate(struct trainer *tr, double *loss, double *psnr, struct nn_error *err)
{
	const struct tr_dist *d = tr->o.dist;
	size_t s = tr->h * tr->w * tr->c, k, j, n, i, b;
	double sum[2] = { 0, 0 };       /* loss x samples, PSNR */

	for (k = 0, b = 0; k < tr->nval; k += n, b++) {
		n = tr->nval - k < tr->o.batch ? tr->nval - k : tr->o.batch;
		if (d && b % (size_t)d->size != (size_t)d->rank)
			continue;
		for (j = 0; j < n; j++)
			if (make_sample(tr, k + j, j, 1, err) != 0)
				return -1;
		memcpy(nn_input(tr->net), tr->x, n * s * sizeof(float));
		nn_forward(tr->net, n, 0);
		sum[0] += nn_mse(tr->net, tr->t, n) * (double)n;
		for (j = 0; j < n; j++) {
			const float *y = nn_output(tr->net) + j * s, *t = tr->t + j * s;
			double se = 0, dd;
			for (i = 0; i < s; i++) {
				float v = y[i] * 255 + 0.5f;
				dd = (v <= 0 ? 0 : v >= 255 ? 255 : floorf(v)) - t[i] * 255.0;
				se += dd * dd;
			}
			sum[1] += se == 0 ? 100 : 10 * log10(255.0 * 255.0 / (se / (double)s));
		}
	}
	if (d && d->sum_d(d->arg, sum, 2) != 0)
		return nn_errorf(err, 0, "validation: reduction across processes failed");
	*loss = sum[0] / (double)tr->nval;
	*psnr = sum[1] / (double)tr->nval;
	return 0;
}

/* samples a step takes over all processes */
static size_t
global_batch(const struct trainer *tr)
{
	return tr->o.batch * (tr->o.dist ? (size_t)tr->o.dist->size : 1);
}

float
tr_rate(const struct trainer *tr)
{
	size_t gb = global_batch(tr), per = (tr->ntrain * tr->o.repeat + gb - 1) / gb;
	double at, total;

	if (tr->o.lr_min <= 0)
		return tr->o.adam.lr;
	/* the step's place in the planned run, from the saved progress, so a
	 * resumed run follows the same curve */
	at = (double)(tr->epoch * per + tr->pos / gb);
	total = (double)(tr->o.epochs * per);
	return tr->o.lr_min + (float)(0.5 * (tr->o.adam.lr - tr->o.lr_min) *
	                              (1 + cos(3.14159265358979323846 * at / total)));
}

/* One training step on the global batch of gn samples at tr->pos: this
 * process's slice of it forward and backward, the sums over processes, then
 * Adam. Adds the batch's loss x samples to tr->run_loss. */
static int
train_step(struct trainer *tr, size_t gn, volatile sig_atomic_t *stop, struct nn_error *err)
{
	const struct tr_dist *d = tr->o.dist;
	struct net *net = tr->net;
	size_t s = tr->h * tr->w * tr->c, lo = 0, n = gn, j;
	double sum[3] = { 0, 0, 0 };    /* loss x samples, stop requests, processes with samples */
	struct adam_hp hp;

	if (d) {
		lo = (size_t)d->rank * tr->o.batch;
		lo = lo < gn ? lo : gn;
		n = gn - lo < tr->o.batch ? gn - lo : tr->o.batch;
	}
	for (j = 0; j < n; j++)
		if (make_sample(tr, tr->order[tr->pos + lo + j], j, 0, err) != 0)
			return -1;
	nn_zero_grad(net);
	if (n) {
		memcpy(nn_input(net), tr->x, n * s * sizeof(float));
		nn_forward(net, n, 1);
		sum[0] = nn_mse(net, tr->t, n) * (double)n;
		if (n != gn) {
			/* the loss is the mean over the global batch: weight
			 * this slice's gradient by its share of it */
			float *g = nn_output_grad(net), share = (float)n / (float)gn;
			for (j = 0; j < n * s; j++)
				g[j] *= share;
		}
		nn_backward(net, n);
	}
	if (d) {
		sum[1] = stop && *stop;
		sum[2] = n > 0;
		if (!n)
			memset(net->state, 0, net->nstate * sizeof(float));
		if (d->sum_f(d->arg, net->grads, net->nparams) != 0 ||
		    d->sum_d(d->arg, sum, 3) != 0 ||
		    (net->nstate && d->sum_f(d->arg, net->state, net->nstate) != 0))
			return nn_errorf(err, 0, "reduction across processes failed");
		for (j = 0; j < net->nstate; j++)
			net->state[j] /= (float)sum[2];
		tr->stopping = sum[1] > 0;
	}
	hp = tr->o.adam;
	hp.lr = tr_rate(tr);
	nn_adam(net, &hp);
	tr->run_loss += sum[0];
	return 0;
}

enum tr_status
tr_epoch(struct trainer *tr, volatile sig_atomic_t *stop,
         void (*progress)(void *arg, size_t done, size_t total, double loss), void *arg,
         struct nn_error *err)
{
	size_t full = tr->ntrain * tr->o.repeat, n, j;
	size_t gbatch = global_batch(tr);
	struct tr_epoch *ep;
	double t0 = t_now(), cur;
	struct rng r;

	if (tr->done || tr->epoch >= tr->o.epochs)
		return TR_DONE;
	for (j = 0; j < full; j++)
		tr->order[j] = j;
	rng_seed(&r, noise_key3(tr->o.seed ^ K_ORDER, tr->epoch + 1, 0));
	rng_shuffle(&r, tr->order, full);
	while (tr->pos < full) {
		if (tr->o.dist ? tr->stopping : stop && *stop) {
			tr->run_seconds += t_now() - t0;
			return TR_STOPPED;
		}
		n = full - tr->pos < gbatch ? full - tr->pos : gbatch;
		if (train_step(tr, n, stop, err) != 0)
			return TR_ERROR;
		tr->pos += n;
		if (progress)
			progress(arg, tr->pos, full, tr->run_loss / (double)tr->pos);
	}
	ep = &tr->hist[tr->epoch];
	ep->loss = tr->run_loss / (double)full;
	ep->val_loss = ep->val_psnr = NAN;
	if (tr->nval && validate(tr, &ep->val_loss, &ep->val_psnr, err) != 0)
		return TR_ERROR;
	ep->seconds = tr->run_seconds + (t_now() - t0);
	tr->epoch++;
	tr->pos = 0;
	tr->run_loss = 0;
	tr->run_seconds = 0;
	/* Keras' EarlyStopping, min_delta 0 */
	cur = tr->o.monitor_val && tr->nval ? ep->val_loss : ep->loss;
	tr->wait++;
	if (cur < tr->best) {
		tr->best = cur;
		tr->wait = 0;
	}
	if (tr->o.patience && tr->wait >= tr->o.patience)
		tr->done = 1;
	return tr->done || tr->epoch >= tr->o.epochs ? TR_DONE : TR_EPOCH;
}

/* ---------------------------------------------------------------------- */
/* checkpoints: the model plus "train.*" tensors */

#define META_WORDS 16

static uint64_t
dbits(double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return v;
}

static double
bitsd(uint64_t v)
{
	double d;

	memcpy(&d, &v, 8);
	return d;
}

/* what a checkpoint must agree on to continue the same run */
static void
meta_words(const struct trainer *tr, uint64_t *m)
{
	memset(m, 0, META_WORDS * sizeof *m);
	m[0] = 1;                       /* layout version */
	m[1] = tr->epoch;
	m[2] = tr->pos;
	m[3] = dbits(tr->run_loss);
	m[4] = dbits(tr->best);
	m[5] = tr->wait;
	m[6] = (uint64_t)tr->done;
	m[7] = (uint64_t)tr->net->step;
	m[8] = tr->o.seed;
	m[9] = global_batch(tr);
	m[10] = tr->ntrain;
	m[11] = tr->o.patch;
	m[12] = tr->o.repeat;
	m[13] = dbits(tr->run_seconds);
}

int
tr_save(const struct trainer *tr, const char *path, int *errnum)
{
	unsigned char meta[META_WORDS * 8];
	uint64_t m[META_WORDS];
	float *hist = malloc((tr->epoch ? tr->epoch : 1) * 4 * sizeof *hist);
	struct model_extra ex[4];
	size_t i;
	int rc, nex = 3;

	if (!hist) {
		*errnum = ENOMEM;
		return -1;
	}
	/* the moments are one tensor, and a model(5) dimension is 32 bits */
	if (tr->net->nparams > UINT32_MAX) {
		free(hist);
		*errnum = EFBIG;
		return -1;
	}
	meta_words(tr, m);
	for (i = 0; i < META_WORDS; i++)
		le_put64(meta + 8 * i, m[i]);
	for (i = 0; i < tr->epoch; i++) {
		hist[4 * i] = (float)tr->hist[i].loss;
		hist[4 * i + 1] = (float)tr->hist[i].val_loss;
		hist[4 * i + 2] = (float)tr->hist[i].val_psnr;
		hist[4 * i + 3] = (float)tr->hist[i].seconds;
	}
	memset(ex, 0, sizeof ex);
	strcpy(ex[0].name, "train.meta");
	ex[0].is_u8 = 1;
	ex[0].rank = 1;
	ex[0].dims[0] = sizeof meta;
	ex[0].n = sizeof meta;
	ex[0].data = meta;
	strcpy(ex[1].name, "train.adam_m");
	strcpy(ex[2].name, "train.adam_v");
	ex[1].rank = ex[2].rank = 1;
	ex[1].dims[0] = ex[2].dims[0] = (uint32_t)tr->net->nparams;
	ex[1].n = ex[2].n = tr->net->nparams;
	ex[1].data = tr->net->m;
	ex[2].data = tr->net->v;
	if (tr->epoch) {
		strcpy(ex[3].name, "train.history");
		ex[3].rank = 2;
		ex[3].dims[0] = (uint32_t)tr->epoch;
		ex[3].dims[1] = 4;
		ex[3].n = tr->epoch * 4;
		ex[3].data = hist;
		nex = 4;
	}
	rc = model_save(path, tr->net, ex, nex, errnum);
	free(hist);
	return rc;
}

int
tr_restore(struct trainer *tr, const char *path, struct nn_error *err)
{
	struct model_extra *ex;
	uint64_t want[META_WORDS], got[META_WORDS];
	static const char *const names[] = { "", "", "", "", "", "", "", "", "seed",
	                                     "global batch size (processes x -b)",
	                                     "number of training images", "patch size", "repeat" };
	const void *meta, *am, *av, *hist;
	uint32_t dmeta = META_WORDS * 8, dn = (uint32_t)tr->net->nparams, dhist[2];
	int nex, rc;
	size_t k;

	if (model_load_into(path, tr->net, &ex, &nex, err) != 0)
		return -1;
	meta_words(tr, want);
	/* every extra is checked for type and shape before it is read: a u8
	 * tensor of the right length is not nparams floats */
	if ((rc = model_extra_get(ex, nex, "train.meta", 1, 1, &dmeta, &meta, path, err)) < 0 ||
	    (rc && (rc = model_extra_get(ex, nex, "train.adam_m", 0, 1, &dn, &am, path, err)) < 0) ||
	    (rc && (rc = model_extra_get(ex, nex, "train.adam_v", 0, 1, &dn, &av, path, err)) < 0))
		goto fail;
	if (!rc || tr->net->nparams > UINT32_MAX) {
		nn_errorf(err, 0, "%s: a model, not a training checkpoint", path);
		goto fail;
	}
	for (k = 0; k < META_WORDS; k++)
		got[k] = le_get64((const unsigned char *)meta + 8 * k);
	for (k = 8; k <= 12; k++)
		if (got[k] != want[k]) {
			nn_errorf(err, 0, "%s: checkpoint has %s %llu, this run %llu", path, names[k],
			          (unsigned long long)got[k], (unsigned long long)want[k]);
			goto fail;
		}
	if (got[1] > tr->o.epochs) {
		nn_errorf(err, 0, "%s: checkpoint is past epoch %llu, more than -e", path,
		          (unsigned long long)got[1]);
		goto fail;
	}
	/* the rest of the state must be one this trainer could have written */
	if (got[0] != 1 || got[2] > tr->ntrain * tr->o.repeat || got[5] > got[1] || got[6] > 1 ||
	    got[7] > (uint64_t)LONG_MAX) {
		nn_errorf(err, 0, "%s: checkpoint state out of range", path);
		goto fail;
	}
	dhist[0] = (uint32_t)got[1];
	dhist[1] = 4;
	if (model_extra_get(ex, nex, "train.history", 0, 2, dhist, &hist, path, err) < 0)
		goto fail;
	memcpy(tr->net->m, am, tr->net->nparams * sizeof(float));
	memcpy(tr->net->v, av, tr->net->nparams * sizeof(float));
	tr->epoch = got[1];
	tr->pos = got[2];
	tr->run_loss = bitsd(got[3]);
	tr->best = bitsd(got[4]);
	tr->wait = got[5];
	tr->done = (int)got[6];
	tr->net->step = (long)got[7];
	tr->run_seconds = bitsd(got[13]);
	if (hist) {
		const float *h = hist;
		for (k = 0; k < tr->epoch; k++) {
			tr->hist[k].loss = h[4 * k];
			tr->hist[k].val_loss = h[4 * k + 1];
			tr->hist[k].val_psnr = h[4 * k + 2];
			tr->hist[k].seconds = h[4 * k + 3];
		}
	}
	model_free_extras(ex, nex);
	return 0;
fail:
	model_free_extras(ex, nex);
	return -1;
}
