/* model.c: the model file of model(5). Writes go through afile, so a
 * killed run leaves the previous model whole; reads check the CRC first and
 * every size against the buffer before touching it. */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../io/afile.h"
#include "../io/le.h"

#define MAX_FILE ((size_t)1 << 30)
#define MAX_CFG ((size_t)1 << 20)
#define MAX_TENSORS 4096

/* ---------------------------------------------------------------------- */
/* writing: every byte goes through put(), which also feeds the CRC */

struct out {
	FILE *fp;
	uLong crc;
	int err;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->err || n == 0)
		return;
	o->crc = crc32(o->crc, p, (uInt)n);
	if (fwrite(p, 1, n, o->fp) != n)
		o->err = errno ? errno : EIO;
}

static void
put_u32(struct out *o, uint32_t v)
{
	unsigned char b[4];

	le_put32(b, v);
	put(o, b, 4);
}

static void
put_floats(struct out *o, const float *x, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	size_t i;
	for (i = 0; i < n; i++) {
		uint32_t v;
		memcpy(&v, &x[i], 4);
		put_u32(o, v);
	}
#else
	/* in chunks, since crc32 takes a uInt length */
	size_t k;
	for (; n > 0; n -= k, x += k) {
		k = n < ((size_t)1 << 26) ? n : ((size_t)1 << 26);
		put(o, x, k * sizeof(float));
	}
#endif
}

static void
put_tensor(struct out *o, const char *name, int is_u8, unsigned rank, const uint32_t *dims,
           const void *data, size_t n)
{
	unsigned char hdr[4];
	size_t len = strlen(name);
	unsigned i;

	hdr[0] = len & 0xff;
	hdr[1] = len >> 8;
	put(o, hdr, 2);
	put(o, name, len);
	hdr[0] = (unsigned char)rank;
	hdr[1] = is_u8 ? 1 : 2;
	put(o, hdr, 2);
	for (i = 0; i < rank; i++)
		put_u32(o, dims[i]);
	if (is_u8)
		put(o, data, n);
	else
		put_floats(o, data, n);
}

int
model_save(const char *path, const struct net *net, const struct model_extra *extras,
           int nextras, int *errnum)
{
	struct afile af;
	struct out o;
	int i, rc;

	if ((rc = afile_open(&af, path)) != 0) {
		*errnum = rc;
		return -1;
	}
	o.fp = af.fp;
	o.crc = crc32(0, NULL, 0);
	o.err = 0;
	put(&o, MODEL_MAGIC, 8);
	put_u32(&o, MODEL_VERSION);
	put_u32(&o, (uint32_t)strlen(net->cfg));
	put(&o, net->cfg, strlen(net->cfg));
	put_u32(&o, (uint32_t)(net->np + nextras));
	for (i = 0; i < net->np; i++)
		put_tensor(&o, net->p[i].name, 0, net->p[i].rank, net->p[i].dims, net->p[i].data,
		           net->p[i].n);
	for (i = 0; i < nextras; i++)
		put_tensor(&o, extras[i].name, extras[i].is_u8, extras[i].rank, extras[i].dims,
		           extras[i].data, extras[i].n);
	put_u32(&o, (uint32_t)o.crc);
	if (o.err) {
		afile_abort(&af);
		*errnum = o.err;
		return -1;
	}
	if ((rc = afile_commit(&af, AFILE_SYNC)) != 0) {
		*errnum = rc;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* reading: a cursor over the file in memory; every take is bounds-checked */

struct in {
	const unsigned char *p;
	size_t n, off;
};

static const unsigned char *
take(struct in *in, size_t n)
{
	const unsigned char *p;

	if (n > in->n - in->off)
		return NULL;
	p = in->p + in->off;
	in->off += n;
	return p;
}

static int
take_u32(struct in *in, uint32_t *v)
{
	const unsigned char *b = take(in, 4);

	if (!b)
		return -1;
	*v = le_get32(b);
	return 0;
}

/* little-endian f32 on disk to host floats */
static void
get_floats(float *x, const unsigned char *b, size_t n)
{
	memcpy(x, b, n * sizeof *x);
	le_f32(x, n * sizeof *x);
}

static int
read_file(const char *path, unsigned char **buf, size_t *n, struct nn_error *err)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;

	*buf = NULL;
	if (!fp)
		return nn_errorf(err, 0, "%s: %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return nn_errorf(err, 0, "%s: not a regular file", path);
	}
	if ((size_t)st.st_size > MAX_FILE) {
		fclose(fp);
		return nn_errorf(err, 0, "%s: larger than 1 GiB, not a model", path);
	}
	*n = (size_t)st.st_size;
	if (!(*buf = malloc(*n ? *n : 1))) {
		fclose(fp);
		return nn_errorf(err, 0, "%s: out of memory", path);
	}
	if (fread(*buf, 1, *n, fp) != *n) {
		int e = ferror(fp) ? errno : 0;
		fclose(fp);
		free(*buf);
		*buf = NULL;
		return nn_errorf(err, 0, "%s: read: %s", path, e ? strerror(e) : "short read");
	}
	fclose(fp);
	return 0;
}

/* check magic, version and CRC; leave the cursor after the version */
static int
open_checked(struct in *in, const char *path, struct nn_error *err)
{
	uint32_t version, stored;
	struct in tail;

	if (in->n < 16 || memcmp(in->p, MODEL_MAGIC, 8) != 0)
		return nn_errorf(err, 0, "%s: not a model file", path);
	in->off = 8;
	take_u32(in, &version);
	if (version != MODEL_VERSION)
		return nn_errorf(err, 0, "%s: model format version %u, this build reads %d", path,
		                 version, MODEL_VERSION);
	tail = *in;
	tail.off = in->n - 4;
	take_u32(&tail, &stored);
	if (crc32(crc32(0, NULL, 0), in->p, (uInt)(in->n - 4)) != stored)
		return nn_errorf(err, 0, "%s: corrupt or truncated (CRC mismatch)", path);
	in->n -= 4;
	return 0;
}

static int
take_cfg(struct in *in, char **cfg, const char *path, struct nn_error *err)
{
	const unsigned char *b;
	uint32_t len;

	if (take_u32(in, &len) != 0 || len > MAX_CFG || !(b = take(in, len)))
		return nn_errorf(err, 0, "%s: bad cfg length", path);
	if (memchr(b, '\0', len))
		return nn_errorf(err, 0, "%s: cfg text holds a NUL byte", path);
	if (!(*cfg = malloc(len + 1)))
		return nn_errorf(err, 0, "out of memory");
	memcpy(*cfg, b, len);
	(*cfg)[len] = '\0';
	return 0;
}

/* "f32 3x3x16x64": a tensor's type and shape, for messages */
static void
type_shape_text(char *buf, size_t n, int is_u8, unsigned rank, const uint32_t *dims)
{
	size_t off;
	unsigned i;

	off = (size_t)snprintf(buf, n, "%s ", is_u8 ? "u8" : "f32");
	for (i = 0; i < rank && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, i ? "x%u" : "%u", dims[i]);
}

/* The one check of a tensor read from a model or checkpoint against what
 * its reader wants, type as well as shape: 0, or -1 with err naming both. */
static int
check_tensor(const char *path, const char *name, int is_u8, unsigned rank,
             const uint32_t *dims, int want_u8, unsigned want_rank, const uint32_t *want_dims,
             const char *who, struct nn_error *err)
{
	char have[80], want[80];

	if (is_u8 == want_u8 && rank == want_rank && memcmp(dims, want_dims, rank * 4) == 0)
		return 0;
	type_shape_text(have, sizeof have, is_u8, rank, dims);
	type_shape_text(want, sizeof want, want_u8, want_rank, want_dims);
	return nn_errorf(err, 0, "%s: tensor '%s' is %s, %s wants %s", path, name, have, who, want);
}

int
model_extra_get(const struct model_extra *ex, int nex, const char *name, int is_u8,
                unsigned rank, const uint32_t *dims, const void **data, const char *path,
                struct nn_error *err)
{
	int i;

	*data = NULL;
	for (i = 0; i < nex; i++)
		if (strcmp(ex[i].name, name) == 0) {
			if (check_tensor(path, name, ex[i].is_u8, ex[i].rank, ex[i].dims, is_u8, rank,
			                 dims, "the trainer", err) != 0)
				return -1;
			*data = ex[i].data;
			return 1;
		}
	return 0;
}

void
model_free_extras(struct model_extra *extras, int nextras)
{
	int i;

	for (i = 0; i < nextras; i++)
		free(extras[i].data);
	free(extras);
}

/* read the tensors into net and extras */
static int
take_tensors(struct in *in, struct net *net, struct model_extra **extras, int *nextras,
             const char *path, struct nn_error *err)
{
	uint32_t count, dims[4];
	char name[64];
	unsigned char *seen = calloc((size_t)net->np + 1, 1);
	struct model_extra *ex = NULL;
	int nex = 0, i, rc = -1;

	if (!seen)
		return nn_errorf(err, 0, "out of memory");
	if (take_u32(in, &count) != 0 || count > MAX_TENSORS) {
		nn_errorf(err, 0, "%s: bad tensor count", path);
		goto out;
	}
	for (i = 0; i < (int)count; i++) {
		const unsigned char *b;
		size_t len, n = 1, size;
		unsigned rank, type, k;
		struct nn_param *p;

		if (!(b = take(in, 2)) || (len = (size_t)(b[0] | b[1] << 8)) == 0 || len > 63 ||
		    !(b = take(in, len))) {
			nn_errorf(err, 0, "%s: tensor %d: bad name", path, i + 1);
			goto out;
		}
		if (memchr(b, '\0', len)) {
			nn_errorf(err, 0, "%s: tensor %d: a NUL byte in its name", path, i + 1);
			goto out;
		}
		memcpy(name, b, len);
		name[len] = '\0';
		if (!(b = take(in, 2)) || (rank = b[0]) < 1 || rank > 4 || ((type = b[1]) != 1 && type != 2)) {
			nn_errorf(err, 0, "%s: tensor '%s': bad rank or type", path, name);
			goto out;
		}
		for (k = 0; k < rank; k++) {
			if (take_u32(in, &dims[k]) != 0 || dims[k] == 0 || dims[k] > MAX_FILE / n) {
				nn_errorf(err, 0, "%s: tensor '%s': bad dimensions", path, name);
				goto out;
			}
			n *= dims[k];
		}
		size = n * (type == 1 ? 1 : 4);
		if (!(b = take(in, size))) {
			nn_errorf(err, 0, "%s: tensor '%s': truncated", path, name);
			goto out;
		}
		if ((p = nn_param(net, name))) {
			if (check_tensor(path, name, type == 1, rank, dims, 0, p->rank, p->dims,
			                 "the network", err) != 0)
				goto out;
			if (seen[p - net->p]++) {
				nn_errorf(err, 0, "%s: tensor '%s' appears twice", path, name);
				goto out;
			}
			get_floats(p->data, b, n);
			continue;
		}
		if (strncmp(name, "train.", 6) != 0) {
			nn_errorf(err, 0, "%s: tensor '%s' is not part of this network", path, name);
			goto out;
		}
		if (!extras)
			continue;
		{
			struct model_extra *t = realloc(ex, (size_t)(nex + 1) * sizeof *ex);
			if (!t) {
				nn_errorf(err, 0, "out of memory");
				goto out;
			}
			ex = t;
		}
		memset(&ex[nex], 0, sizeof ex[nex]);
		strcpy(ex[nex].name, name);
		ex[nex].is_u8 = type == 1;
		ex[nex].rank = rank;
		memcpy(ex[nex].dims, dims, rank * 4);
		ex[nex].n = n;
		if (!(ex[nex].data = malloc(size))) {
			nn_errorf(err, 0, "out of memory");
			goto out;
		}
		if (type == 1)
			memcpy(ex[nex].data, b, size);
		else
			get_floats(ex[nex].data, b, n);
		nex++;
	}
	if (in->off != in->n) {
		nn_errorf(err, 0, "%s: %zu stray bytes after the last tensor", path, in->n - in->off);
		goto out;
	}
	for (i = 0; i < net->np; i++)
		if (!seen[i]) {
			nn_errorf(err, 0, "%s: tensor '%s' is missing", path, net->p[i].name);
			goto out;
		}
	rc = 0;
out:
	free(seen);
	if (rc == 0 && extras) {
		*extras = ex;
		*nextras = nex;
	} else {
		model_free_extras(ex, nex);
	}
	return rc;
}

/* build (if build) and fill net from the model file image in; path names
 * it in messages */
static int
load_buf(struct in *in, const char *path, struct net *net, int build, size_t h, size_t w,
         size_t n, enum nn_mode mode, struct model_extra **extras, int *nextras,
         struct nn_error *err)
{
	char *cfg = NULL;
	int rc = -1;

	if (open_checked(in, path, err) != 0 || take_cfg(in, &cfg, path, err) != 0)
		goto out;
	if (build && nn_build(net, cfg, h, w, n, mode, err) != 0) {
		char msg[sizeof err->msg + 512];
		snprintf(msg, sizeof msg, "%s: stored cfg line %d: %s", path, err->line, err->msg);
		msg[sizeof err->msg - 1] = '\0';
		memcpy(err->msg, msg, sizeof err->msg);
		goto out;
	}
	if (take_tensors(in, net, extras, nextras, path, err) != 0) {
		if (build)
			nn_free(net);
		goto out;
	}
	rc = 0;
out:
	free(cfg);
	return rc;
}

static int
load(const char *path, struct net *net, int build, size_t h, size_t w, size_t n,
     enum nn_mode mode, struct model_extra **extras, int *nextras, struct nn_error *err)
{
	unsigned char *buf;
	struct in in;
	int rc;

	memset(err, 0, sizeof *err);
	if (extras) {
		*extras = NULL;
		*nextras = 0;
	}
	if (read_file(path, &buf, &in.n, err) != 0)
		return -1;
	in.p = buf;
	in.off = 0;
	rc = load_buf(&in, path, net, build, h, w, n, mode, extras, nextras, err);
	free(buf);
	return rc;
}

int
model_load_mem(const void *buf, size_t len, const char *name, struct net *net, size_t h,
               size_t w, size_t n, enum nn_mode mode, struct nn_error *err)
{
	struct in in;

	memset(err, 0, sizeof *err);
	if (len > MAX_FILE)
		return nn_errorf(err, 0, "%s: larger than 1 GiB, not a model", name);
	in.p = buf;
	in.n = len;
	in.off = 0;
	return load_buf(&in, name, net, 1, h, w, n, mode, NULL, NULL, err);
}

int
model_load(const char *path, struct net *net, size_t h, size_t w, size_t n, enum nn_mode mode,
           struct model_extra **extras, int *nextras, struct nn_error *err)
{
	return load(path, net, 1, h, w, n, mode, extras, nextras, err);
}

int
model_load_into(const char *path, struct net *net, struct model_extra **extras, int *nextras,
                struct nn_error *err)
{
	return load(path, net, 0, 0, 0, 0, NN_INFER, extras, nextras, err);
}
