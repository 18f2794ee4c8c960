/* dae.c: the public library (dae.h) over the network, the tiler and the
 * model loader. It adds argument checks, the caller's pixel layouts and
 * error codes; the arithmetic is daeinfer's, so outputs agree byte for byte.
 * Not a place for new behaviour: anything here beyond layout belongs in
 * lib/nn and is then shared with the programs. */
#include "dae.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../image/noise.h"
#include "../kernel/tensor.h"
#include "../nn/denoise.h"
#include "../nn/model.h"

#ifndef VERSION
#define VERSION "0"
#endif

/* files larger than this are not models (lib/nn/model.c's limit too) */
#define MAX_MODEL ((size_t)1 << 30)
#define MAX_SIDE ((size_t)1 << 30)

struct dae_model {
	struct net net;
	int threads;
	float sigma;            /* the level it is told, or -1: estimate it */
};

static int
fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *
dae_strerror(int code)
{
	static const char *const msg[] = {
		[DAE_OK] = "success",
		[DAE_EINVAL] = "invalid argument",
		[DAE_EMODEL] = "not a usable model",
		[DAE_EIO] = "input/output error",
		[DAE_ENOMEM] = "out of memory",
		[DAE_ECANCEL] = "cancelled",
	};

	if (code < 0 || (size_t)code >= sizeof msg / sizeof msg[0])
		return "unknown error";
	return msg[code];
}

const char *
dae_version(void)
{
	return VERSION;
}

void
dae_options_init(struct dae_options *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	o->threads = 1;
	o->tile = 1024;
	o->strength = 1;
}

/* load a model from len bytes at buf; name is what messages call it */
static int
load(dae_model **out, const void *buf, size_t len, const char *name, char *err, size_t errlen)
{
	struct nn_error e;
	dae_model *m;

	if (!(m = calloc(1, sizeof *m)))
		return fail(DAE_ENOMEM, err, errlen, "out of memory");
	/* built for a 64x64 tile, as daeinfer starts; dn_image reshapes */
	if (model_load_mem(buf, len, name, &m->net, 64, 64, 1, NN_INFER, &e) != 0) {
		free(m);
		return fail(DAE_EMODEL, err, errlen, "%s", e.msg);
	}
	m->threads = 1;
	m->sigma = -1;
	*out = m;
	return DAE_OK;
}

int
dae_model_load_memory(dae_model **out, const void *buf, size_t len, char *err, size_t errlen)
{
	if (!out)
		return fail(DAE_EINVAL, err, errlen, "no place for the model");
	*out = NULL;
	if (!buf)
		return fail(DAE_EINVAL, err, errlen, "no buffer");
	return load(out, buf, len, "<memory>", err, errlen);
}

int
dae_model_load(dae_model **out, const char *path, char *err, size_t errlen)
{
	struct stat st;
	unsigned char *buf;
	size_t n;
	FILE *fp;
	int rc;

	if (!out || !path)
		return fail(DAE_EINVAL, err, errlen, "no model path");
	*out = NULL;
	if (!(fp = fopen(path, "rb")))
		return fail(DAE_EIO, err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uintmax_t)st.st_size > MAX_MODEL) {
		fclose(fp);
		return fail(DAE_EMODEL, err, errlen, "%s: not a model file", path);
	}
	n = (size_t)st.st_size;
	if (!(buf = malloc(n ? n : 1))) {
		fclose(fp);
		return fail(DAE_ENOMEM, err, errlen, "out of memory");
	}
	if (fread(buf, 1, n, fp) != n) {
		int e = ferror(fp) ? errno : 0;
		fclose(fp);
		free(buf);
		return fail(DAE_EIO, err, errlen, "%s: %s", path, e ? strerror(e) : "short read");
	}
	fclose(fp);
	rc = load(out, buf, n, path, err, errlen);
	free(buf);
	return rc;
}

void
dae_model_free(dae_model *m)
{
	if (!m)
		return;
	nn_free(&m->net);
	free(m);
}

/* bytes a row of img takes, or 0 when its sizes are unusable */
static size_t
row_bytes(const struct dae_image *img)
{
	size_t s = img->format == DAE_U8 ? 1 : sizeof(float);

	if (img->format != DAE_U8 && img->format != DAE_F32)
		return 0;
	if (img->width == 0 || img->height == 0 || img->width > MAX_SIDE || img->height > MAX_SIDE)
		return 0;
	return img->width * 3 * s;
}

static size_t
stride_of(const struct dae_image *img)
{
	return img->stride ? img->stride : row_bytes(img);
}

/* do the two images share any byte? */
static int
overlap(const struct dae_image *a, const struct dae_image *b)
{
	uintptr_t a0 = (uintptr_t)a->data, b0 = (uintptr_t)b->data;
	uintptr_t a1 = a0 + stride_of(a) * (a->height - 1) + row_bytes(a);
	uintptr_t b1 = b0 + stride_of(b) * (b->height - 1) + row_bytes(b);

	return a0 < b1 && b0 < a1;
}

struct progress {
	int (*fn)(void *, size_t, size_t);
	void *user;
};

static int
on_tile(void *arg, size_t done, size_t total)
{
	struct progress *p = arg;

	return p->fn(p->user, done, total);
}

int
dae_model_set_sigma(dae_model *m, float sigma)
{
	if (!m || !(sigma <= 255))
		return DAE_EINVAL;
	if (sigma >= 0 && !nn_noise(&m->net))
		return DAE_EINVAL;
	m->sigma = sigma < 0 ? -1 : sigma;
	return DAE_OK;
}

int
dae_denoise(dae_model *m, const struct dae_image *out, const struct dae_image *in,
            const struct dae_options *opt, char *err, size_t errlen)
{
	struct dae_options def;
	struct denoiser d;
	struct progress pr;
	struct nn_error e;
	size_t h, w, n, y, i;
	float *x = NULL, *r = NULL;
	int rc;

	if (!opt) {
		dae_options_init(&def);
		opt = &def;
	}
	if (!m || !out || !in || !in->data || !out->data)
		return fail(DAE_EINVAL, err, errlen, "a NULL model or image");
	if (!row_bytes(in) || !row_bytes(out))
		return fail(DAE_EINVAL, err, errlen, "an image of no pixels, over 2^30 a side, or of "
		            "an unknown format");
	if (in->width != out->width || in->height != out->height)
		return fail(DAE_EINVAL, err, errlen, "input %zux%zu and output %zux%zu differ",
		            in->width, in->height, out->width, out->height);
	if (stride_of(in) < row_bytes(in) || stride_of(out) < row_bytes(out))
		return fail(DAE_EINVAL, err, errlen, "a stride shorter than a row");
	if (in->data != out->data && overlap(in, out))
		return fail(DAE_EINVAL, err, errlen, "input and output overlap without being the same");
	if (in->data == out->data && (in->format != out->format || stride_of(in) != stride_of(out)))
		return fail(DAE_EINVAL, err, errlen, "in place needs the same format and stride");
	if (opt->threads < 1 || opt->threads > 256 || opt->tile < 16 || opt->tile > 16384 ||
	    !(opt->strength >= 0 && opt->strength <= 1))
		return fail(DAE_EINVAL, err, errlen, "options out of range: threads 1..256, tile "
		            "16..16384, strength 0..1");
	if (m->net.in.c != 3)
		return fail(DAE_EINVAL, err, errlen, "the model takes %zu channels, not RGB",
		            (size_t)m->net.in.c);
	h = in->height;
	w = in->width;
	/* at most 2^60 floats, which fits size_t on the 64-bit machines that
	 * could hold them; elsewhere malloc refuses */
	n = h * w * 3;
	if (n > SIZE_MAX / sizeof(float) || !(x = malloc(n * sizeof *x)) ||
	    !(r = malloc(n * sizeof *r))) {
		free(x);
		return fail(DAE_ENOMEM, err, errlen, "out of memory for a %zux%zu image", w, h);
	}
	for (y = 0; y < h; y++) {
		const unsigned char *row = (const unsigned char *)in->data + y * stride_of(in);
		float *xr = x + y * w * 3;
		if (in->format == DAE_U8)
			for (i = 0; i < w * 3; i++)
				xr[i] = row[i] * (1.0f / 255);
		else
			memcpy(xr, row, w * 3 * sizeof *xr);
	}
	/* the engine splits work over its own threads; BLAS runs inside each
	 * of them single-threaded, as in daeinfer */
	t_set_blas_threads(1);
	rc = DAE_OK;
	if (opt->threads != m->threads) {
		if (nn_set_threads(&m->net, opt->threads, &e) != 0) {
			rc = fail(DAE_ENOMEM, err, errlen, "%s", e.msg);
			goto out;
		}
		m->threads = opt->threads;
	}
	if (nn_noise(&m->net)) {
		double s = m->sigma >= 0 ? m->sigma / 255.0 : noise_estimate(x, h, w, 3);
		/* too small to estimate: as if clean; NaN or past 1 from a
		 * hostile f32 image: within 0..255 */
		nn_noise(&m->net)[0] = s >= 0 ? (s <= 1 ? (float)s : 1) : 0;
	}
	dn_open(&d, &m->net, opt->tile);
	if (opt->progress) {
		pr.fn = opt->progress;
		pr.user = opt->user;
		dn_progress(&d, on_tile, &pr);
	}
	switch (dn_image(&d, r, x, h, w, &e)) {
	case 0: break;
	case DN_CANCELLED: rc = fail(DAE_ECANCEL, err, errlen, "cancelled"); break;
	default: rc = fail(DAE_EINVAL, err, errlen, "%s", e.msg); break;
	}
	dn_close(&d);
	if (rc != DAE_OK)
		goto out;
	if (opt->strength != 1)
		for (i = 0; i < n; i++)
			r[i] = x[i] + opt->strength * (r[i] - x[i]);
	for (y = 0; y < h; y++) {
		unsigned char *row = (unsigned char *)out->data + y * stride_of(out);
		float *rr = r + y * w * 3;
		if (out->format == DAE_U8) {
			for (i = 0; i < w * 3; i++)
				rr[i] *= 255;
			noise_to_u8(row, rr, w * 3);
		} else {
			memcpy(row, rr, w * 3 * sizeof *rr);
		}
	}
out:
	free(x);
	free(r);
	return rc;
}
