/* stream.c: tensor stream reader and writer; the format is tensor(5).
 * Byte order is converted through le.h. Not a container: no index,
 * no seeking; see pack.c for the random-access dataset file. */
#include "stream.h"

#include <errno.h>
#include <string.h>

#include "le.h"

static const struct ts_limits default_limits = {
	TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES
};

size_t
ts_dtype_size(enum ts_dtype t)
{
	switch (t) {
	case TS_U8: return 1;
	case TS_F32: return 4;
	}
	return 0;
}

const char *
ts_dtype_name(enum ts_dtype t)
{
	switch (t) {
	case TS_U8: return "u8";
	case TS_F32: return "f32";
	}
	return "?";
}

const char *
ts_strerror(enum ts_err err)
{
	switch (err) {
	case TS_OK: return "success";
	case TS_END: return "end of stream";
	case TS_EIO: return "i/o error";
	case TS_ETRUNC: return "stream ends inside a record";
	case TS_EMAGIC: return "not a tensor stream (bad magic)";
	case TS_EVERSION: return "unsupported format version";
	case TS_ETYPE: return "unknown element type";
	case TS_ERANK: return "rank must be 1..4";
	case TS_EZERO: return "a dimension is 0";
	case TS_ELIMIT: return "dimensions over the limits";
	case TS_ENAME: return "bad record name";
	case TS_ERESERVED: return "reserved header field is not 0";
	case TS_ESTATE: return "call out of order or payload size mismatch";
	}
	return "unknown error";
}

size_t
ts_nelem(const struct ts_header *h)
{
	size_t n = 1;
	unsigned i;

	for (i = 0; i < h->rank; i++)
		n *= h->dims[i];
	return n;
}

size_t
ts_payload_size(const struct ts_header *h)
{
	return ts_nelem(h) * ts_dtype_size(h->dtype);
}

enum ts_err
ts_check_header(const struct ts_header *h, const struct ts_limits *lim)
{
	uint64_t bytes;
	unsigned i;

	if (!lim)
		lim = &default_limits;
	if (h->dtype != TS_U8 && h->dtype != TS_F32)
		return TS_ETYPE;
	if (h->rank < 1 || h->rank > TS_MAX_RANK)
		return TS_ERANK;
	bytes = ts_dtype_size(h->dtype);
	for (i = 0; i < h->rank; i++) {
		if (h->dims[i] == 0)
			return TS_EZERO;
		if (h->dims[i] > lim->max_dim)
			return TS_ELIMIT;
		/* dims are at most 2^32 and bytes stays under max_bytes, so the
		 * product is checked before it can wrap */
		if (bytes > lim->max_bytes / h->dims[i])
			return TS_ELIMIT;
		bytes *= h->dims[i];
	}
#if SIZE_MAX < UINT64_MAX
	if (bytes > SIZE_MAX)
		return TS_ELIMIT;
#endif
	if (h->namelen > TS_NAME_MAX || memchr(h->name, '/', h->namelen) ||
	    memchr(h->name, '\0', h->namelen))
		return TS_ENAME;
	return TS_OK;
}

void
ts_reader_init(struct ts_reader *r, FILE *fp, const struct ts_limits *lim)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->lim = lim ? *lim : default_limits;
}

/* read exactly n bytes; at_start tells a clean end from a truncation */
static enum ts_err
read_full(struct ts_reader *r, void *buf, size_t n, int at_start)
{
	size_t got = fread(buf, 1, n, r->fp);

	r->offset += got;
	if (got == n)
		return TS_OK;
	if (ferror(r->fp)) {
		r->errnum = errno;
		return TS_EIO;
	}
	return (got == 0 && at_start) ? TS_END : TS_ETRUNC;
}

static enum ts_err
fail(struct ts_reader *r, enum ts_err err)
{
	r->err_record = r->in_record ? r->nrecords : r->nrecords + 1;
	r->sticky = err;
	return err;
}

enum ts_err
ts_read_header(struct ts_reader *r, struct ts_header *h)
{
	unsigned char b[12 + 4 * TS_MAX_RANK];
	enum ts_err err;
	size_t got;
	unsigned i;

	if (r->sticky)
		return r->sticky;
	if (r->in_record)
		return TS_ESTATE;
	r->record_offset = r->offset;
	memset(h, 0, sizeof *h);
	if ((err = read_full(r, b, 12, 1)) != TS_OK) {
		/* a few stray bytes after the last record are not a record cut
		 * short: when what did arrive already differs from the magic, that
		 * is the error to report */
		got = (size_t)(r->offset - r->record_offset);
		if (err == TS_ETRUNC && memcmp(b, TS_MAGIC, got < 4 ? got : 4) != 0)
			err = TS_EMAGIC;
		return err == TS_END ? TS_END : fail(r, err);
	}
	if (memcmp(b, TS_MAGIC, 4) != 0)
		return fail(r, TS_EMAGIC);
	if (b[4] != TS_VERSION)
		return fail(r, TS_EVERSION);
	if (b[5] != TS_U8 && b[5] != TS_F32)
		return fail(r, TS_ETYPE);
	if (b[6] < 1 || b[6] > TS_MAX_RANK)
		return fail(r, TS_ERANK);
	if (b[7] != 0 || le_get16(b + 10) != 0)
		return fail(r, TS_ERESERVED);
	h->dtype = (enum ts_dtype)b[5];
	h->rank = b[6];
	h->namelen = le_get16(b + 8);
	if (h->namelen > TS_NAME_MAX)
		return fail(r, TS_ENAME);
	if ((err = read_full(r, b + 12, 4 * h->rank, 0)) != TS_OK)
		return fail(r, err);
	for (i = 0; i < h->rank; i++)
		h->dims[i] = le_get32(b + 12 + 4 * i);
	if ((err = read_full(r, h->name, h->namelen, 0)) != TS_OK)
		return fail(r, err);
	h->name[h->namelen] = '\0';
	if ((err = ts_check_header(h, &r->lim)) != TS_OK)
		return fail(r, err);
	r->nrecords++;
	r->in_record = 1;
	r->payload_left = ts_payload_size(h);
	r->dtype = h->dtype;
	return TS_OK;
}

enum ts_err
ts_read_payload(struct ts_reader *r, void *buf, size_t n)
{
	enum ts_err err;

	if (r->sticky)
		return r->sticky;
	if (!r->in_record || n != r->payload_left)
		return TS_ESTATE;
	if ((err = read_full(r, buf, n, 0)) != TS_OK)
		return fail(r, err);
	if (r->dtype == TS_F32)
		le_f32(buf, n);
	r->in_record = 0;
	r->payload_left = 0;
	return TS_OK;
}

enum ts_err
ts_skip_payload(struct ts_reader *r)
{
	unsigned char buf[8192];
	size_t k;
	enum ts_err err;

	if (r->sticky)
		return r->sticky;
	if (!r->in_record)
		return TS_ESTATE;
	while (r->payload_left > 0) {
		k = r->payload_left < sizeof buf ? r->payload_left : sizeof buf;
		if ((err = read_full(r, buf, k, 0)) != TS_OK)
			return fail(r, err);
		r->payload_left -= k;
	}
	r->in_record = 0;
	return TS_OK;
}

void
ts_writer_init(struct ts_writer *w, FILE *fp)
{
	memset(w, 0, sizeof *w);
	w->fp = fp;
}

static enum ts_err
write_full(struct ts_writer *w, const void *buf, size_t n)
{
	if (n && fwrite(buf, 1, n, w->fp) != n) {
		w->errnum = errno;
		w->sticky = TS_EIO;
		return TS_EIO;
	}
	return TS_OK;
}

enum ts_err
ts_write_header(struct ts_writer *w, const struct ts_header *h)
{
	unsigned char b[12 + 4 * TS_MAX_RANK];
	enum ts_err err;
	unsigned i;

	if (w->sticky)
		return w->sticky;
	if (w->in_record)
		return TS_ESTATE;
	/* the writer holds itself to the default limits' shape rules but not
	 * their size caps: what it may write is bounded by what fits in memory */
	{
		struct ts_limits lim = { UINT32_MAX, UINT64_MAX };
		if ((err = ts_check_header(h, &lim)) != TS_OK)
			return err;
	}
	memcpy(b, TS_MAGIC, 4);
	b[4] = TS_VERSION;
	b[5] = (unsigned char)h->dtype;
	b[6] = (unsigned char)h->rank;
	b[7] = 0;
	le_put16(b + 8, (uint16_t)h->namelen);
	le_put16(b + 10, 0);
	for (i = 0; i < h->rank; i++)
		le_put32(b + 12 + 4 * i, h->dims[i]);
	if ((err = write_full(w, b, 12 + 4 * h->rank)) != TS_OK ||
	    (err = write_full(w, h->name, h->namelen)) != TS_OK)
		return err;
	w->nrecords++;
	w->in_record = 1;
	w->payload_left = ts_payload_size(h);
	w->dtype = h->dtype;
	return TS_OK;
}

enum ts_err
ts_write_payload(struct ts_writer *w, const void *buf, size_t n)
{
	enum ts_err err;

	if (w->sticky)
		return w->sticky;
	if (!w->in_record || n != w->payload_left)
		return TS_ESTATE;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	if (w->dtype == TS_F32) {
		unsigned char tmp[4096];
		size_t off, k;
		for (off = 0; off < n; off += k) {
			k = n - off < sizeof tmp ? n - off : sizeof tmp;
			memcpy(tmp, (const unsigned char *)buf + off, k);
			le_f32(tmp, k);
			if ((err = write_full(w, tmp, k)) != TS_OK)
				return err;
		}
		w->in_record = 0;
		w->payload_left = 0;
		return TS_OK;
	}
#endif
	if ((err = write_full(w, buf, n)) != TS_OK)
		return err;
	w->in_record = 0;
	w->payload_left = 0;
	return TS_OK;
}

enum ts_err
ts_writer_finish(struct ts_writer *w)
{
	if (!w->fp)
		return TS_OK;
	if (w->sticky)
		return w->sticky;
	if (w->in_record)
		return TS_ESTATE;
	if (fflush(w->fp) == EOF) {
		w->errnum = errno;
		return w->sticky = TS_EIO;
	}
	return TS_OK;
}

enum ts_err
ts_image_header(struct ts_header *h, uint32_t height, uint32_t width, uint32_t channels,
                enum ts_dtype dtype, const char *name)
{
	memset(h, 0, sizeof *h);
	h->dtype = dtype;
	h->rank = 3;
	h->dims[0] = height;
	h->dims[1] = width;
	h->dims[2] = channels;
	if (name)
		ts_set_name(h, name);
	return ts_check_header(h, NULL);
}

void
ts_set_name(struct ts_header *h, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > TS_NAME_MAX)
		n = TS_NAME_MAX;
	memcpy(h->name, base, n);
	h->name[n] = '\0';
	h->namelen = n;
}
