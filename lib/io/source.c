/* source.c: one in-order reader over a tensor stream or a pack. A thin
 * dispatcher: the formats live in stream.c and pack.c. Not for random
 * access; use pack.h directly for that. */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct src {
	enum src_kind kind;
	FILE *fp;
	int own_fp;
	char *name;
	struct ts_reader r;
	struct pk_reader *pk;
	uint64_t next;          /* pack: the sample the next header reads */
	uint64_t cur;           /* pack: the current sample */
	int in_record;
	uint64_t nrecords;
	unsigned char *scratch; /* pack: a stored chunk */
	size_t scratchlen;
	unsigned char *chunk;   /* pack with K > 1: the inflated chunk */
	size_t chunklen;
	uint64_t loaded;        /* the chunk in chunk, or UINT64_MAX */
	enum ts_err ts_err;
	enum pk_err pk_err;
	enum src_err sticky;
	char err[160];
	char where[TS_NAME_MAX + 64];
};

static enum src_err
fail_errno(struct src *s, const char *what, int errnum)
{
	snprintf(s->err, sizeof s->err, "%s%s%s", what, *what ? ": " : "", strerror(errnum));
	return s->sticky = SRC_EFAIL;
}

static enum src_err
fail_ts(struct src *s, enum ts_err err)
{
	s->ts_err = err;
	if (err == TS_EIO)
		return fail_errno(s, "read", s->r.errnum);
	snprintf(s->err, sizeof s->err, "%s", ts_strerror(err));
	if (err == TS_ESTATE)
		return SRC_EFAIL;
	return s->sticky = SRC_EFAIL;
}

/* a bad chunk spoils its samples only; anything else stops the source */
static enum src_err
fail_pk(struct src *s, enum pk_err err)
{
	s->pk_err = err;
	if (err == PK_EIO)
		return fail_errno(s, "read", errno);
	snprintf(s->err, sizeof s->err, "%s", pk_strerror(err));
	if (err == PK_ECRC || err == PK_EZLIB)
		return SRC_EBAD;
	if (err == PK_ESIZE)
		return SRC_EFAIL;
	return s->sticky = SRC_EFAIL;
}

enum src_err
src_open(struct src **sp, const char *path, const struct ts_limits *lim)
{
	struct pk_limits pl = {
		TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES, TS_DEFAULT_MAX_BYTES, PK_DEFAULT_MAX_INDEX
	};
	unsigned char magic[4];
	struct src *s;
	enum pk_err err;
	int c;

	if (!(*sp = s = calloc(1, sizeof *s)))
		return SRC_EFAIL;
	s->loaded = UINT64_MAX;
	/* kind stays 0 until there is a file to read, so src_where says nothing */
	if (strcmp(path, "-") == 0) {
		s->fp = stdin;
		s->name = strdup("<stdin>");
	} else {
		s->name = strdup(path);
		if (!(s->fp = fopen(path, "rb")))
			return fail_errno(s, "", errno);
		s->own_fp = 1;
	}
	if (!s->name)
		return fail_errno(s, "", ENOMEM);
	if (lim) {
		pl.max_dim = lim->max_dim;
		pl.max_bytes = lim->max_bytes;
	}

	/* sniff: one byte of lookahead, which ungetc can always give back */
	s->kind = SRC_STREAM;
	ts_reader_init(&s->r, s->fp, lim);
	if ((c = getc(s->fp)) == EOF) {
		if (ferror(s->fp))
			return fail_errno(s, "read", errno);
		return SRC_OK;  /* an empty stream */
	}
	if (c == TS_MAGIC[0]) {
		if (ungetc(c, s->fp) == EOF)
			return fail_errno(s, "read", errno);
		return SRC_OK;
	}
	/* not a stream, so the bytes after the first are ours to take */
	magic[0] = (unsigned char)c;
	if (fread(magic + 1, 1, 3, s->fp) != 3 || memcmp(magic, PK_MAGIC, 4) != 0) {
		if (ferror(s->fp))
			return fail_errno(s, "read", errno);
		snprintf(s->err, sizeof s->err, "not a tensor stream or pack (bad magic)");
		return s->sticky = SRC_EFAIL;
	}
	s->kind = SRC_PACK;
	if ((err = pk_open_fp(&s->pk, s->fp, &pl)) != PK_OK)
		return fail_pk(s, err);
	s->scratchlen = pk_scratch_size(s->pk);
	if (!(s->scratch = malloc(s->scratchlen)))
		return fail_errno(s, "", ENOMEM);
	return SRC_OK;
}

enum src_err
src_read_header(struct src *s, struct ts_header *h)
{
	enum ts_err terr;
	enum pk_err perr;

	if (s->sticky)
		return s->sticky;
	if (s->kind == SRC_STREAM) {
		if ((terr = ts_read_header(&s->r, h)) == TS_END)
			return SRC_END;
		if (terr != TS_OK)
			return fail_ts(s, terr);
		s->nrecords++;
		return SRC_OK;
	}
	if (s->next >= pk_count(s->pk)) {
		s->in_record = 0;
		return SRC_END;
	}
	if ((perr = pk_sample_header(s->pk, s->next, h)) != PK_OK)
		return fail_pk(s, perr);
	s->cur = s->next++;
	s->in_record = 1;
	s->nrecords++;
	return SRC_OK;
}

enum src_err
src_read_payload(struct src *s, void *buf, size_t n)
{
	uint64_t k, c;
	size_t sb;
	enum ts_err terr;
	enum pk_err perr;

	if (s->sticky)
		return s->sticky;
	if (s->kind == SRC_STREAM) {
		if ((terr = ts_read_payload(&s->r, buf, n)) != TS_OK)
			return fail_ts(s, terr);
		return SRC_OK;
	}
	sb = pk_sample_size(s->pk);
	if (!s->in_record || n != sb)
		return fail_ts(s, TS_ESTATE);
	s->in_record = 0;
	k = pk_chunk_samples(s->pk, 0);
	if (k == 1) {
		if ((perr = pk_read_with(s->pk, s->cur, buf, n, s->scratch, s->scratchlen)) != PK_OK)
			return fail_pk(s, perr);
		return SRC_OK;
	}
	/* K > 1: inflate each chunk once, hand out its samples in turn */
	c = s->cur / k;
	if (s->loaded != c) {
		if (!s->chunk) {
			s->chunklen = (size_t)k * sb;   /* pk_open checked it against max_chunk */
			if (!(s->chunk = malloc(s->chunklen)))
				return fail_errno(s, "", ENOMEM);
		}
		s->loaded = UINT64_MAX;
		if ((perr = pk_read_chunk(s->pk, c, s->chunk, (size_t)pk_chunk_samples(s->pk, c) * sb,
		                          s->scratch, s->scratchlen)) != PK_OK)
			return fail_pk(s, perr);
		s->loaded = c;
	}
	memcpy(buf, s->chunk + (size_t)(s->cur - c * k) * sb, n);
	return SRC_OK;
}

enum src_err
src_skip_payload(struct src *s)
{
	enum ts_err terr;

	if (s->sticky)
		return s->sticky;
	if (s->kind == SRC_STREAM) {
		if ((terr = ts_skip_payload(&s->r)) != TS_OK)
			return fail_ts(s, terr);
		return SRC_OK;
	}
	if (!s->in_record)
		return fail_ts(s, TS_ESTATE);
	s->in_record = 0;
	return SRC_OK;
}

int64_t
src_count(const struct src *s)
{
	return s->kind == SRC_PACK && s->pk ? (int64_t)pk_count(s->pk) : -1;
}

uint64_t
src_nrecords(const struct src *s)
{
	return s->nrecords;
}

enum src_kind
src_kind(const struct src *s)
{
	return s->kind;
}

struct pk_reader *
src_pack(const struct src *s)
{
	return s->pk;
}

const char *
src_name(const struct src *s)
{
	return s && s->name ? s->name : "<input>";
}

const char *
src_where(struct src *s)
{
	struct ts_header h;

	s->where[0] = '\0';
	if (s->kind == SRC_STREAM) {
		/* after an error the reader knows which record it concerns */
		snprintf(s->where, sizeof s->where, "record %zu (byte %llu)",
		         s->r.sticky ? s->r.err_record : s->r.nrecords ? s->r.nrecords : 1,
		         (unsigned long long)s->r.record_offset);
	} else if (s->kind == SRC_PACK && s->nrecords > 0 &&
	           pk_sample_header(s->pk, s->cur, &h) == PK_OK) {
		snprintf(s->where, sizeof s->where, h.namelen ? "sample %llu (%s)" : "sample %llu%s",
		         (unsigned long long)s->cur + 1, h.name);
	}
	return s->where;
}

const char *
src_strerror(const struct src *s)
{
	if (!s)
		return strerror(ENOMEM);
	return s->err[0] ? s->err : "success";
}

enum ts_err
src_stream_error(const struct src *s)
{
	return s->ts_err;
}

enum pk_err
src_pack_error(const struct src *s)
{
	return s->pk_err;
}

void
src_close(struct src *s)
{
	if (!s)
		return;
	pk_close(s->pk);
	if (s->own_fp && s->fp)
		fclose(s->fp);
	free(s->scratch);
	free(s->chunk);
	free(s->name);
	free(s);
}
