/* pack.c: the pack file, pack(5): a one-pass writer and a random-access
 * reader. Byte order of the head, index and trailer is converted here and
 * nowhere else; payloads are converted as in stream.c. Not a general archive:
 * one shape per pack, no appending, no deletion. The index-at-the-end layout
 * follows zip's central directory. */
#define _POSIX_C_SOURCE 200809L
#include "pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "le.h"

#define OUTBUF (64 * 1024)
/* zlib counts in uInt; feed and drain it in pieces well under 4 GiB */
#define ZPIECE ((size_t)1 << 30)

/* trailer field offsets, pack(5) */
enum {
	TR_INDEX_OFF = 0, TR_INDEX_SIZE = 8, TR_COUNT = 16, TR_K = 24, TR_INDEX_CRC = 28,
	TR_DTYPE = 32, TR_RANK = 33, TR_FILTER = 34, TR_RESERVED = 35, TR_DIMS = 36, TR_FLAGS = 52,
	TR_CRC = 56, TR_MAGIC = 60,
};
/* chunk entry field offsets */
enum { CE_OFF = 0, CE_SIZE = 8, CE_CRC = 16, CE_METHOD = 20, CE_RESERVED = 21 };

static const struct pk_limits default_limits = {
	TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES, TS_DEFAULT_MAX_BYTES, PK_DEFAULT_MAX_INDEX
};

/* zlib's crc32 takes a uInt length */
static uint32_t
crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = n < ZPIECE ? n : ZPIECE;
		crc = (uint32_t)crc32(crc, p, (uInt)k);
		p += k;
		n -= k;
	}
	return crc;
}

const char *
pk_strerror(enum pk_err err)
{
	switch (err) {
	case PK_OK: return "success";
	case PK_EIO: return "i/o error";
	case PK_ENOMEM: return "out of memory";
	case PK_EMAGIC: return "not a pack (bad magic)";
	case PK_EVERSION: return "unsupported pack version";
	case PK_ESEEK: return "a pack needs a seekable file";
	case PK_ETRUNC: return "no pack trailer: truncated or unfinished";
	case PK_EHEADER: return "pack index or trailer checksum mismatch";
	case PK_EINDEX: return "pack index field out of range";
	case PK_ECRC: return "sample data checksum mismatch";
	case PK_EZLIB: return "corrupt compressed sample data";
	case PK_ESHAPE: return "shape or type differs from the first sample";
	case PK_ETYPE: return "bad element type, rank or dimension";
	case PK_ELIMIT: return "sample, chunk or index over the limits";
	case PK_ENAME: return "bad sample name";
	case PK_EEMPTY: return "no samples";
	case PK_ERANGE: return "sample number out of range";
	case PK_ESIZE: return "buffer size mismatch";
	case PK_ESTATE: return "call out of order or bad argument";
	}
	return "unknown error";
}

/* a*b into *r unless it wraps or passes max */
static int
mul_le(uint64_t a, uint64_t b, uint64_t max, uint64_t *r)
{
	if (b != 0 && a > max / b)
		return 0;
	*r = a * b;
	return 1;
}

static enum pk_err
from_ts(enum ts_err e)
{
	switch (e) {
	case TS_OK: return PK_OK;
	case TS_ELIMIT: return PK_ELIMIT;
	case TS_ENAME: return PK_ENAME;
	default: return PK_ETYPE;
	}
}

static int
same_shape(const struct ts_header *a, const struct ts_header *b)
{
	return a->dtype == b->dtype && a->rank == b->rank &&
	       memcmp(a->dims, b->dims, a->rank * sizeof a->dims[0]) == 0;
}

/* The gradient filter, for u8 samples: each byte is stored as its
 * difference, mod 256, from left + up - upper-left, the neighbours being the
 * same channel of the pixels around it (0 outside the image). This is the
 * unclamped planar predictor of lossless JPEG (predictor 4); on photos it
 * lets zlib store about half of what it stores unfiltered (pack(5)).
 * A sample is rows of len bytes of pixels of c bytes. */
static void
filter_geometry(const struct ts_header *h, size_t *rows, size_t *len, size_t *c)
{
	unsigned i;

	if (h->rank == 1) {
		*rows = 1;
		*len = h->dims[0];
		*c = 1;
		return;
	}
	*rows = h->dims[0];
	*c = 1;
	for (i = 2; i < h->rank; i++)
		*c *= h->dims[i];
	*len = (size_t)h->dims[1] * *c;
}

static void
gradient_encode_row(unsigned char *out, const unsigned char *cur, const unsigned char *prev,
                    size_t len, size_t c)
{
	size_t j;

	if (!prev) {
		for (j = 0; j < c; j++)
			out[j] = cur[j];
		for (; j < len; j++)
			out[j] = (unsigned char)(cur[j] - cur[j - c]);
		return;
	}
	for (j = 0; j < c; j++)
		out[j] = (unsigned char)(cur[j] - prev[j]);
	for (; j < len; j++)
		out[j] = (unsigned char)(cur[j] - (cur[j - c] + prev[j] - prev[j - c]));
}

/* In place: every neighbour is decoded before the byte that needs it. One
 * channel at a time, so that left and upper-left stay in registers rather
 * than going through memory at every byte; that is what makes this pass
 * cheap next to inflate. */
static void
gradient_decode(unsigned char *p, size_t rows, size_t len, size_t c)
{
	const unsigned char *prev = NULL;
	unsigned l, u, ul;
	size_t y, j, k;

	for (y = 0; y < rows; y++, prev = p, p += len) {
		for (k = 0; k < c; k++) {
			l = ul = 0;
			for (j = k; j < len; j += c) {
				u = prev ? prev[j] : 0;
				l = (p[j] + l + u - ul) & 0xff;
				p[j] = (unsigned char)l;
				ul = u;
			}
		}
	}
}

/* ---------------------------------------------------------------- writer */

struct pk_writer {
	FILE *fp;
	uint32_t k;
	int level;
	int want_filter;                /* as asked */
	int filter;                     /* as chosen by the first sample */
	unsigned char *row;             /* one filtered row */
	z_stream zs;
	int zinit;
	unsigned char *out;             /* OUTBUF bytes of deflate output */
	uint64_t offset;                /* bytes written to fp */
	uint64_t count;
	struct ts_header shape;
	size_t sample_bytes;
	uint32_t in_chunk;              /* samples in the open chunk */
	uint64_t chunk_off, chunk_size;
	uint32_t chunk_crc;
	unsigned char *chunks;          /* chunk entries, as on disk */
	size_t nchunks, chunkcap;
	unsigned char *names;           /* length byte + name, as on disk */
	size_t nameslen, namescap;
	uint64_t stored;                /* bytes of finished chunks */
	enum pk_err sticky;
	int finished;
};

static enum pk_err
wfail(struct pk_writer *w, enum pk_err err)
{
	int e = errno;

	w->sticky = err;
	errno = e;
	return err;
}

static enum pk_err
emit(struct pk_writer *w, const void *buf, size_t n)
{
	if (n && fwrite(buf, 1, n, w->fp) != n)
		return wfail(w, PK_EIO);
	w->offset += n;
	return PK_OK;
}

enum pk_err
pk_writer_open(struct pk_writer **wp, FILE *fp, const struct pk_wopt *opt)
{
	static const unsigned char head[PK_HEAD_SIZE] = { 'P', 'A', 'K', 'T', PK_VERSION, 0, 0, 0 };
	struct pk_writer *w;
	enum pk_err err;

	*wp = NULL;
	if (!fp || (opt && (opt->chunk_samples < 1 || opt->level < 0 || opt->level > 9 ||
	                    (opt->filter != PK_FILTER_AUTO && opt->filter != PK_FILTER_NONE &&
	                     opt->filter != PK_FILTER_GRADIENT))))
		return PK_ESTATE;
	if (!(w = calloc(1, sizeof *w)) || !(w->out = malloc(OUTBUF))) {
		free(w);
		return PK_ENOMEM;
	}
	w->fp = fp;
	w->k = opt ? opt->chunk_samples : 1;
	w->level = opt ? opt->level : PK_DEFAULT_LEVEL;
	w->want_filter = opt ? opt->filter : PK_FILTER_AUTO;
	if ((err = emit(w, head, sizeof head)) != PK_OK) {
		pk_writer_free(w);
		return err;
	}
	*wp = w;
	return PK_OK;
}

/* grow *buf so that it holds need bytes */
static int
reserve(unsigned char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	unsigned char *p;

	if (need <= *cap)
		return 1;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return 0;
		n *= 2;
	}
	if (!(p = realloc(*buf, n)))
		return 0;
	*buf = p;
	*cap = n;
	return 1;
}

/* run deflate over n bytes (flush Z_NO_FLUSH) or to the end (Z_FINISH),
 * writing what it makes and summing its CRC */
static enum pk_err
deflate_run(struct pk_writer *w, const unsigned char *in, size_t n, int flush)
{
	size_t k, made;
	int ret;

	do {
		k = n < ZPIECE ? n : ZPIECE;
		w->zs.next_in = (unsigned char *)in;
		w->zs.avail_in = (uInt)k;
		in += k;
		n -= k;
		do {
			w->zs.next_out = w->out;
			w->zs.avail_out = OUTBUF;
			ret = deflate(&w->zs, n == 0 ? flush : Z_NO_FLUSH);
			if (ret == Z_STREAM_ERROR)
				return wfail(w, PK_ESTATE);
			made = OUTBUF - w->zs.avail_out;
			if (emit(w, w->out, made) != PK_OK)
				return PK_EIO;
			w->chunk_crc = crc_update(w->chunk_crc, w->out, made);
			w->chunk_size += made;
		} while (w->zs.avail_out == 0 || (flush == Z_FINISH && n == 0 && ret != Z_STREAM_END));
	} while (n > 0);
	return PK_OK;
}

static enum pk_err
chunk_begin(struct pk_writer *w)
{
	int ret;

	if (!w->zinit) {
		ret = deflateInit(&w->zs, w->level);
		if (ret != Z_OK)
			return wfail(w, ret == Z_MEM_ERROR ? PK_ENOMEM : PK_ESTATE);
		w->zinit = 1;
	} else if (deflateReset(&w->zs) != Z_OK) {
		return wfail(w, PK_ESTATE);
	}
	w->chunk_off = w->offset;
	w->chunk_size = 0;
	w->chunk_crc = (uint32_t)crc32(0, NULL, 0);
	return PK_OK;
}

/* the entry's room was reserved by pk_write */
static enum pk_err
chunk_end(struct pk_writer *w)
{
	unsigned char *e;
	enum pk_err err;

	if ((err = deflate_run(w, NULL, 0, Z_FINISH)) != PK_OK)
		return err;
	e = w->chunks + w->nchunks * PK_CHUNK_ENTRY_SIZE;
	memset(e, 0, PK_CHUNK_ENTRY_SIZE);
	le_put64(e + CE_OFF, w->chunk_off);
	le_put64(e + CE_SIZE, w->chunk_size);
	le_put32(e + CE_CRC, w->chunk_crc);
	e[CE_METHOD] = PK_METHOD_ZLIB;
	w->nchunks++;
	w->stored += w->chunk_size;
	w->in_chunk = 0;
	return PK_OK;
}

enum pk_err
pk_write(struct pk_writer *w, const struct ts_header *h, const void *payload)
{
	/* the writer holds itself to the default limits, so that it never
	 * writes a pack that a default reader refuses */
	const struct ts_limits lim = { default_limits.max_dim, default_limits.max_bytes };
	const unsigned char *in = payload;
	uint64_t chunk_bytes;
	size_t rows, len, c, y;
	enum pk_err err;
	int filter;

	if (!w)
		return PK_ESTATE;
	if (w->sticky)
		return w->sticky;
	if (w->finished || !h || !payload)
		return PK_ESTATE;
	if ((err = from_ts(ts_check_header(h, &lim))) != PK_OK)
		return err;
	if (w->count == 0) {
		/* the first sample fixes shape and filter; a refused one fixes nothing */
		filter = w->want_filter;
		if (filter == PK_FILTER_AUTO)
			filter = h->dtype == TS_U8 ? PK_FILTER_GRADIENT : PK_FILTER_NONE;
		if (filter == PK_FILTER_GRADIENT && h->dtype != TS_U8)
			return PK_ETYPE;
		if (!mul_le(1, ts_payload_size(h), default_limits.max_chunk, &chunk_bytes))
			return PK_ELIMIT;
		free(w->row);
		w->row = NULL;
		if (filter == PK_FILTER_GRADIENT) {
			filter_geometry(h, &rows, &len, &c);
			if (!(w->row = malloc(len)))
				return PK_ENOMEM;
		}
		w->filter = filter;
		w->shape = *h;
		w->shape.namelen = 0;
		w->shape.name[0] = '\0';
		w->sample_bytes = ts_payload_size(h);
	} else if (!same_shape(h, &w->shape)) {
		return PK_ESHAPE;
	}
	if (!mul_le((uint64_t)w->in_chunk + 1, w->sample_bytes, default_limits.max_chunk,
	            &chunk_bytes))
		return PK_ELIMIT;
	if (w->count == (uint64_t)1 << 63)
		return PK_ELIMIT;
	/* room for the name and the chunk entry first, so running out of
	 * memory leaves the pack as it was */
	if (!reserve(&w->names, &w->namescap, w->nameslen + 1 + h->namelen) ||
	    !reserve(&w->chunks, &w->chunkcap, (w->nchunks + 1) * PK_CHUNK_ENTRY_SIZE))
		return PK_ENOMEM;
	if (w->in_chunk == 0 && (err = chunk_begin(w)) != PK_OK)
		return err;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	if (w->shape.dtype == TS_F32) {
		unsigned char tmp[4096];
		size_t off, k;

		for (off = 0; off < w->sample_bytes; off += k) {
			k = w->sample_bytes - off < sizeof tmp ? w->sample_bytes - off : sizeof tmp;
			memcpy(tmp, (const unsigned char *)payload + off, k);
			le_f32(tmp, k);
			if ((err = deflate_run(w, tmp, k, Z_NO_FLUSH)) != PK_OK)
				return err;
		}
	} else
#endif
	if (w->filter == PK_FILTER_GRADIENT) {
		filter_geometry(&w->shape, &rows, &len, &c);
		for (y = 0; y < rows; y++) {
			gradient_encode_row(w->row, in + y * len, y ? in + (y - 1) * len : NULL, len, c);
			if ((err = deflate_run(w, w->row, len, Z_NO_FLUSH)) != PK_OK)
				return err;
		}
	} else if ((err = deflate_run(w, in, w->sample_bytes, Z_NO_FLUSH)) != PK_OK) {
		return err;
	}
	w->names[w->nameslen] = (unsigned char)h->namelen;
	memcpy(w->names + w->nameslen + 1, h->name, h->namelen);
	w->nameslen += 1 + h->namelen;
	w->count++;
	if (++w->in_chunk == w->k)
		return chunk_end(w);
	return PK_OK;
}

enum pk_err
pk_writer_finish(struct pk_writer *w)
{
	unsigned char t[PK_TRAILER_SIZE];
	uint64_t index_off;
	uint32_t crc;
	enum pk_err err;
	unsigned i;

	if (!w)
		return PK_ESTATE;
	if (w->sticky)
		return w->sticky;
	if (w->finished)
		return PK_ESTATE;
	if (w->count == 0)
		return PK_EEMPTY;
	if (w->in_chunk > 0 && (err = chunk_end(w)) != PK_OK)
		return err;
	index_off = w->offset;
	crc = crc_update((uint32_t)crc32(0, NULL, 0), w->chunks, w->nchunks * PK_CHUNK_ENTRY_SIZE);
	crc = crc_update(crc, w->names, w->nameslen);
	if ((err = emit(w, w->chunks, w->nchunks * PK_CHUNK_ENTRY_SIZE)) != PK_OK ||
	    (err = emit(w, w->names, w->nameslen)) != PK_OK)
		return err;
	memset(t, 0, sizeof t);
	le_put64(t + TR_INDEX_OFF, index_off);
	le_put64(t + TR_INDEX_SIZE, w->offset - index_off);
	le_put64(t + TR_COUNT, w->count);
	le_put32(t + TR_K, w->k);
	le_put32(t + TR_INDEX_CRC, crc);
	t[TR_DTYPE] = (unsigned char)w->shape.dtype;
	t[TR_RANK] = (unsigned char)w->shape.rank;
	t[TR_FILTER] = (unsigned char)w->filter;
	for (i = 0; i < w->shape.rank; i++)
		le_put32(t + TR_DIMS + 4 * i, w->shape.dims[i]);
	le_put32(t + TR_CRC, (uint32_t)crc32(0, t, TR_CRC));
	memcpy(t + TR_MAGIC, PK_END_MAGIC, 4);
	if ((err = emit(w, t, sizeof t)) != PK_OK)
		return err;
	if (fflush(w->fp) == EOF)
		return wfail(w, PK_EIO);
	w->finished = 1;
	return PK_OK;
}

void
pk_writer_stat(const struct pk_writer *w, struct pk_stat *st)
{
	memset(st, 0, sizeof *st);
	st->count = w->count;
	st->chunk_samples = w->k;
	st->nchunks = w->nchunks + (w->in_chunk > 0);
	st->sample_bytes = w->sample_bytes;
	st->raw_bytes = w->count * w->sample_bytes;
	st->stored_bytes = w->stored + (w->in_chunk > 0 ? w->chunk_size : 0);
	st->file_bytes = w->offset;
	st->shape = w->shape;
	st->filter = w->filter;
}

void
pk_writer_free(struct pk_writer *w)
{
	if (!w)
		return;
	if (w->zinit)
		deflateEnd(&w->zs);
	free(w->out);
	free(w->row);
	free(w->chunks);
	free(w->names);
	free(w);
}

/* ---------------------------------------------------------------- reader */

struct pk_reader {
	int fd, own_fd;
	uint64_t file_size;
	uint64_t count, nchunks;
	uint32_t k;
	struct ts_header shape;
	size_t sample_bytes;
	int filter;
	unsigned char *index;           /* the index as on disk */
	uint64_t index_off, index_size;
	size_t *name_at;                /* per sample: its length byte in index */
	size_t scratch;                 /* largest stored chunk */
	uint64_t stored;
};

/* read exactly n bytes at off; a short file is PK_ETRUNC */
static enum pk_err
pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = pread(fd, p, n < ZPIECE ? n : ZPIECE, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == ESPIPE ? PK_ESEEK : PK_EIO;
		if (got == 0)
			return PK_ETRUNC;
		p += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return PK_OK;
}

/* the most a zlib stream of n bytes can take: on data it cannot shrink
 * deflate falls back to stored blocks, 5 bytes a block; a block holds 16 KiB
 * with zlib's defaults and at least 128 bytes whatever memLevel a writer
 * chose, so an eighth plus the 6-byte wrapper is a generous bound */
static uint64_t
stored_bound(uint64_t n)
{
	return n + (n >> 3) + 1024;
}

static uint64_t
chunk_samples(const struct pk_reader *p, uint64_t c)
{
	uint64_t first = c * p->k;

	return p->count - first < p->k ? p->count - first : p->k;
}

static enum pk_err
check_head(const struct pk_reader *p)
{
	unsigned char b[PK_HEAD_SIZE];
	size_t n = p->file_size < sizeof b ? (size_t)p->file_size : sizeof b;
	enum pk_err err;

	if ((err = pread_full(p->fd, b, n, 0)) != PK_OK)
		return err;
	if (n < 4 || memcmp(b, PK_MAGIC, 4) != 0)
		return PK_EMAGIC;
	if (n < sizeof b)
		return PK_ETRUNC;
	if (b[4] != PK_VERSION)
		return PK_EVERSION;
	if (b[5] || b[6] || b[7])
		return PK_EINDEX;
	return PK_OK;
}

/* the trailer: every field checked against the file size and the limits
 * before the index is allocated */
static enum pk_err
read_trailer(struct pk_reader *p, const struct pk_limits *lim, uint32_t *index_crc)
{
	const struct ts_limits tl = { lim->max_dim, lim->max_bytes };
	unsigned char t[PK_TRAILER_SIZE];
	uint64_t names_min, names_max, chunk_bytes, nfirst;
	enum pk_err err;
	unsigned i;

	if (p->file_size < PK_HEAD_SIZE + PK_TRAILER_SIZE)
		return PK_ETRUNC;
	if ((err = pread_full(p->fd, t, sizeof t, p->file_size - sizeof t)) != PK_OK)
		return err;
	if (memcmp(t + TR_MAGIC, PK_END_MAGIC, 4) != 0)
		return PK_ETRUNC;
	if (le_get32(t + TR_CRC) != (uint32_t)crc32(0, t, TR_CRC))
		return PK_EHEADER;
	p->index_off = le_get64(t + TR_INDEX_OFF);
	p->index_size = le_get64(t + TR_INDEX_SIZE);
	p->count = le_get64(t + TR_COUNT);
	p->k = le_get32(t + TR_K);
	*index_crc = le_get32(t + TR_INDEX_CRC);
	p->filter = t[TR_FILTER];
	if (t[TR_RESERVED] || le_get32(t + TR_FLAGS))
		return PK_EINDEX;

	memset(&p->shape, 0, sizeof p->shape);
	p->shape.dtype = (enum ts_dtype)t[TR_DTYPE];
	p->shape.rank = t[TR_RANK];
	if (p->shape.rank < 1 || p->shape.rank > TS_MAX_RANK)
		return PK_ETYPE;
	for (i = 0; i < TS_MAX_RANK; i++) {
		if (i < p->shape.rank)
			p->shape.dims[i] = le_get32(t + TR_DIMS + 4 * i);
		else if (le_get32(t + TR_DIMS + 4 * i) != 0)
			return PK_EINDEX;
	}
	if ((err = from_ts(ts_check_header(&p->shape, &tl))) != PK_OK)
		return err;
	p->sample_bytes = ts_payload_size(&p->shape);
	if (p->filter != PK_FILTER_NONE && p->filter != PK_FILTER_GRADIENT)
		return PK_EINDEX;
	if (p->filter == PK_FILTER_GRADIENT && p->shape.dtype != TS_U8)
		return PK_ETYPE;

	/* the index lies between the chunks and the trailer, exactly */
	if (p->count < 1 || p->count > (uint64_t)1 << 63 || p->k < 1)
		return PK_EINDEX;
	if (p->index_off < PK_HEAD_SIZE || p->index_off > p->file_size - PK_TRAILER_SIZE ||
	    p->index_size != p->file_size - PK_TRAILER_SIZE - p->index_off)
		return PK_EINDEX;
	if (p->index_size > lim->max_index)
		return PK_ELIMIT;
	/* each chunk takes 24 bytes and each name 1 to 256, so the counts are
	 * bounded by the index size, itself bounded by the file */
	p->nchunks = (p->count - 1) / p->k + 1;
	if (p->nchunks > p->index_size / PK_CHUNK_ENTRY_SIZE)
		return PK_EINDEX;
	names_min = p->count;
	if (names_min > p->index_size - p->nchunks * PK_CHUNK_ENTRY_SIZE)
		return PK_EINDEX;
	names_max = names_min * (1 + TS_NAME_MAX);
	if (p->index_size - p->nchunks * PK_CHUNK_ENTRY_SIZE > names_max)
		return PK_EINDEX;
	nfirst = p->count < p->k ? p->count : p->k;
	if (!mul_le(nfirst, p->sample_bytes, lim->max_chunk, &chunk_bytes) ||
	    chunk_bytes > SIZE_MAX)
		return PK_ELIMIT;
#if SIZE_MAX < UINT64_MAX
	if (p->index_size > SIZE_MAX || p->count > SIZE_MAX / sizeof(size_t))
		return PK_ELIMIT;
#endif
	return PK_OK;
}

static enum pk_err
parse_index(struct pk_reader *p)
{
	const unsigned char *e;
	uint64_t c, off, size, bytes;
	size_t pos, i, len;

	p->scratch = 0;
	p->stored = 0;
	for (c = 0; c < p->nchunks; c++) {
		e = p->index + c * PK_CHUNK_ENTRY_SIZE;
		off = le_get64(e + CE_OFF);
		size = le_get64(e + CE_SIZE);
		bytes = chunk_samples(p, c) * p->sample_bytes;
		if (e[CE_METHOD] != PK_METHOD_ZLIB || e[CE_RESERVED] || e[CE_RESERVED + 1] ||
		    e[CE_RESERVED + 2])
			return PK_EINDEX;
		if (off < PK_HEAD_SIZE || off > p->index_off || size < 1 ||
		    size > p->index_off - off || size > stored_bound(bytes))
			return PK_EINDEX;
		/* nor can a chunk be too small: deflate does at best 1032:1 (a
		 * 258-byte match in 2 bits), so a 100-byte chunk claiming 4 GB
		 * is refused here, before a reader allocates for its samples */
		if (bytes / 1032 > size)
			return PK_EINDEX;
		if (size > SIZE_MAX)
			return PK_ELIMIT;
		if (size > p->scratch)
			p->scratch = (size_t)size;
		p->stored += size;
	}
	if (!(p->name_at = malloc((size_t)p->count * sizeof *p->name_at)))
		return PK_ENOMEM;
	pos = (size_t)(p->nchunks * PK_CHUNK_ENTRY_SIZE);
	for (i = 0; i < p->count; i++) {
		if (pos >= p->index_size)
			return PK_EINDEX;
		len = p->index[pos];
		if (len > p->index_size - pos - 1)
			return PK_EINDEX;
		if (memchr(p->index + pos + 1, '/', len) || memchr(p->index + pos + 1, '\0', len))
			return PK_ENAME;
		p->name_at[i] = pos;
		pos += 1 + len;
	}
	if (pos != p->index_size)
		return PK_EINDEX;
	return PK_OK;
}

static enum pk_err
open_fd(struct pk_reader **pp, int fd, int own_fd, const struct pk_limits *lim)
{
	struct pk_reader *p;
	struct stat st;
	uint32_t index_crc;
	off_t end;
	enum pk_err err;
	int e;

	*pp = NULL;
	if (!lim)
		lim = &default_limits;
	if (!(p = calloc(1, sizeof *p))) {
		if (own_fd)
			close(fd);
		return PK_ENOMEM;
	}
	p->fd = fd;
	p->own_fd = own_fd;
	if (fstat(fd, &st) != 0) {
		err = PK_EIO;
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		p->file_size = (uint64_t)st.st_size;
	} else if ((end = lseek(fd, 0, SEEK_END)) < 0) {
		err = errno == ESPIPE ? PK_ESEEK : PK_EIO;
		goto fail;
	} else {
		p->file_size = (uint64_t)end;
	}
	if ((err = check_head(p)) != PK_OK || (err = read_trailer(p, lim, &index_crc)) != PK_OK)
		goto fail;
	if (!(p->index = malloc(p->index_size))) {
		err = PK_ENOMEM;
		goto fail;
	}
	if ((err = pread_full(fd, p->index, p->index_size, p->index_off)) != PK_OK)
		goto fail;
	if (crc_update((uint32_t)crc32(0, NULL, 0), p->index, p->index_size) != index_crc) {
		err = PK_EHEADER;
		goto fail;
	}
	if ((err = parse_index(p)) != PK_OK)
		goto fail;
	*pp = p;
	return PK_OK;
fail:
	e = errno;
	pk_close(p);
	errno = e;
	return err;
}

enum pk_err
pk_open(struct pk_reader **pp, const char *path, const struct pk_limits *lim)
{
	int fd;

	*pp = NULL;
	if ((fd = open(path, O_RDONLY)) < 0)
		return PK_EIO;
	return open_fd(pp, fd, 1, lim);
}

enum pk_err
pk_open_fp(struct pk_reader **pp, FILE *fp, const struct pk_limits *lim)
{
	int fd = fileno(fp);

	*pp = NULL;
	if (fd < 0)
		return PK_ESEEK;
	return open_fd(pp, fd, 0, lim);
}

void
pk_close(struct pk_reader *p)
{
	if (!p)
		return;
	if (p->own_fd)
		close(p->fd);
	free(p->index);
	free(p->name_at);
	free(p);
}

uint64_t
pk_count(const struct pk_reader *p)
{
	return p->count;
}

size_t
pk_sample_size(const struct pk_reader *p)
{
	return p->sample_bytes;
}

size_t
pk_scratch_size(const struct pk_reader *p)
{
	return p->scratch;
}

uint64_t
pk_chunk_count(const struct pk_reader *p)
{
	return p->nchunks;
}

uint64_t
pk_chunk_samples(const struct pk_reader *p, uint64_t c)
{
	return c < p->nchunks ? chunk_samples(p, c) : 0;
}

enum pk_err
pk_sample_header(const struct pk_reader *p, uint64_t i, struct ts_header *h)
{
	size_t pos;

	if (i >= p->count)
		return PK_ERANGE;
	*h = p->shape;
	pos = p->name_at[i];
	h->namelen = p->index[pos];
	memcpy(h->name, p->index + pos + 1, h->namelen);
	h->name[h->namelen] = '\0';
	return PK_OK;
}

void
pk_stat(const struct pk_reader *p, struct pk_stat *st)
{
	memset(st, 0, sizeof *st);
	st->count = p->count;
	st->chunk_samples = p->k;
	st->nchunks = p->nchunks;
	st->sample_bytes = p->sample_bytes;
	st->raw_bytes = p->count * p->sample_bytes;
	st->stored_bytes = p->stored;
	st->file_bytes = p->file_size;
	st->shape = p->shape;
	st->filter = p->filter;
}

/* inflate exactly n bytes into out, feeding from *in / *inleft */
static enum pk_err
inflate_out(z_stream *zs, unsigned char *out, size_t n, const unsigned char **in, size_t *inleft)
{
	size_t k;
	int ret;

	while (n > 0) {
		if (zs->avail_in == 0 && *inleft > 0) {
			k = *inleft < ZPIECE ? *inleft : ZPIECE;
			zs->next_in = (unsigned char *)*in;
			zs->avail_in = (uInt)k;
			*in += k;
			*inleft -= k;
		}
		k = n < ZPIECE ? n : ZPIECE;
		zs->next_out = out;
		zs->avail_out = (uInt)k;
		ret = inflate(zs, Z_NO_FLUSH);
		k -= zs->avail_out;
		out += k;
		n -= k;
		if (ret == Z_MEM_ERROR)
			return PK_ENOMEM;
		if (ret == Z_STREAM_END ? n > 0 : ret != Z_OK && ret != Z_BUF_ERROR)
			return PK_EZLIB;
		if (k == 0 && zs->avail_in == 0 && *inleft == 0)
			return PK_EZLIB;        /* input ran out before the chunk did */
	}
	return PK_OK;
}

/* Chunk c: read its stored bytes into scratch, check the CRC, inflate,
 * throwing away the first skip samples (into buf, which is at least a
 * sample long), then fill buf with n bytes. Reading the whole chunk also
 * checks that it ends where it should, with zlib's own Adler-32. */
static enum pk_err
read_chunk(const struct pk_reader *p, uint64_t c, uint64_t skip, unsigned char *buf, size_t n,
           unsigned char *scratch)
{
	const unsigned char *e = p->index + c * PK_CHUNK_ENTRY_SIZE, *in = scratch;
	size_t size = (size_t)le_get64(e + CE_SIZE), inleft = size;
	unsigned char end;
	z_stream zs;
	enum pk_err err;
	int ret;

	if ((err = pread_full(p->fd, scratch, size, le_get64(e + CE_OFF))) != PK_OK)
		return err;
	if (crc_update((uint32_t)crc32(0, NULL, 0), scratch, size) != le_get32(e + CE_CRC))
		return PK_ECRC;
	memset(&zs, 0, sizeof zs);
	if ((ret = inflateInit(&zs)) != Z_OK)
		return ret == Z_MEM_ERROR ? PK_ENOMEM : PK_EZLIB;
	for (; skip > 0; skip--)
		if ((err = inflate_out(&zs, buf, p->sample_bytes, &in, &inleft)) != PK_OK)
			goto out;
	if ((err = inflate_out(&zs, buf, n, &in, &inleft)) != PK_OK)
		goto out;
	if (n == chunk_samples(p, c) * p->sample_bytes) {
		/* the stream must end here: only its Adler-32 may be left */
		if (zs.avail_in == 0 && inleft > 0) {
			zs.next_in = (unsigned char *)in;
			zs.avail_in = (uInt)(inleft < ZPIECE ? inleft : ZPIECE);
			inleft -= zs.avail_in;
		}
		zs.next_out = &end;
		zs.avail_out = 1;
		ret = inflate(&zs, Z_FINISH);
		if (ret != Z_STREAM_END || zs.avail_out != 1 || zs.avail_in != 0 || inleft != 0)
			err = PK_EZLIB;
	}
	if (err == PK_OK && p->shape.dtype == TS_F32)
		le_f32(buf, n);
	if (err == PK_OK && p->filter == PK_FILTER_GRADIENT) {
		size_t rows, len, cc, off;

		filter_geometry(&p->shape, &rows, &len, &cc);
		for (off = 0; off < n; off += p->sample_bytes)
			gradient_decode(buf + off, rows, len, cc);
	}
out:
	inflateEnd(&zs);
	return err;
}

enum pk_err
pk_read_with(const struct pk_reader *p, uint64_t i, void *buf, size_t n, void *scratch,
             size_t len)
{
	if (i >= p->count)
		return PK_ERANGE;
	if (n != p->sample_bytes || !buf || !scratch || len < p->scratch)
		return PK_ESIZE;
	return read_chunk(p, i / p->k, i % p->k, buf, n, scratch);
}

enum pk_err
pk_read(const struct pk_reader *p, uint64_t i, void *buf, size_t n)
{
	unsigned char *scratch;
	enum pk_err err;
	int e;

	if (i >= p->count)
		return PK_ERANGE;
	if (n != p->sample_bytes || !buf)
		return PK_ESIZE;
	if (!(scratch = malloc(p->scratch)))
		return PK_ENOMEM;
	err = read_chunk(p, i / p->k, i % p->k, buf, n, scratch);
	e = errno;
	free(scratch);
	errno = e;
	return err;
}

enum pk_err
pk_read_chunk(const struct pk_reader *p, uint64_t c, void *buf, size_t n, void *scratch,
              size_t len)
{
	unsigned char *own = NULL;
	enum pk_err err;
	int e;

	if (c >= p->nchunks)
		return PK_ERANGE;
	if (n != chunk_samples(p, c) * p->sample_bytes || !buf)
		return PK_ESIZE;
	if (scratch && len < p->scratch)
		return PK_ESIZE;
	if (!scratch && !(scratch = own = malloc(p->scratch)))
		return PK_ENOMEM;
	err = read_chunk(p, c, 0, buf, n, scratch);
	e = errno;
	free(own);
	errno = e;
	return err;
}
