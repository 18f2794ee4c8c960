/* stream.h: the tensor stream, reader and writer. See tensor(5).
 *
 * ABOUT
 *   A tensor stream is a concatenation of self-describing records, one tensor
 *   each, so "cat a.ts b.ts" is a stream and no reader needs a count up front.
 *   An image is a rank-3 record H x W x C, interleaved, row-major, u8 or f32
 *   (f32 on the same 0..255 scale). All fields are little-endian:
 *
 *     offset  size      field
 *     0       4         magic "TNSR"
 *     4       1         version, 1
 *     5       1         element type: 1 = u8, 2 = f32
 *     6       1         rank, 1..4
 *     7       1         flags, 0
 *     8       2         name length L, 0..255
 *     10      2         reserved, 0
 *     12      4*rank    dims, u32 each, outermost first
 *     12+4r   L         name: base name of the source, no '/' or NUL
 *     ...     prod(dims)*size   payload
 *
 * USAGE
 *   ts_reader_init(&r, fp, &lim)    start reading fp (lim NULL: defaults)
 *   ts_read_header(&r, &h)          TS_OK, TS_END at a clean end, or an error
 *   ts_read_payload(&r, buf, n)     read the record's payload; n must be
 *                                   ts_payload_size(&h); f32 comes in host order
 *   ts_skip_payload(&r)             discard the payload of the current record
 *   ts_writer_init(&w, fp)          start writing fp
 *   ts_write_header(&w, &h)         validate and write a header
 *   ts_write_payload(&w, buf, n)    write the payload, all of it at once
 *   ts_writer_finish(&w)            flush; a zeroed writer is fine. Filters
 *                                   call it after each record, so a record
 *                                   reaches the next program at once
 *   ts_image_header(&h, H, W, C, dtype, name)  fill a rank-3 image header
 *   ts_check_header(&h, &lim)       validate a header built in memory
 *   ts_payload_size(&h), ts_nelem(&h), ts_dtype_size(t)
 *   ts_strerror(err)                a short, lower-case phrase
 *
 * ERRORS
 *   Every call returns an enum ts_err. Nothing is printed. For TS_EIO the
 *   reader or writer keeps errno in errnum. An error that leaves the reader
 *   inside a record (TS_EIO, TS_ETRUNC and every header error) is sticky:
 *   later calls return it again. A stream that ends inside a record is
 *   TS_ETRUNC, never a shorter dataset; bytes after the last record that do
 *   not start with the magic are TS_EMAGIC, however few. r.nrecords counts headers read;
 *   r.err_record is the 1-based record an error concerns and r.record_offset
 *   the byte offset at which that record starts.
 *
 * MEMORY
 *   The caller owns the FILE and the payload buffer. The library allocates
 *   nothing: ts_payload_size tells the caller what to provide.
 *
 * LIMITS
 *   struct ts_limits bounds each dimension and the payload bytes of one
 *   record; both are checked, with overflow-checked arithmetic, before the
 *   caller allocates. Defaults: TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TS_MAGIC "TNSR"
#define TS_VERSION 1
#define TS_MAX_RANK 4
#define TS_NAME_MAX 255
#define TS_DEFAULT_MAX_DIM (1u << 20)
#define TS_DEFAULT_MAX_BYTES ((uint64_t)1 << 32)

enum ts_dtype { TS_U8 = 1, TS_F32 = 2 };

enum ts_err {
	TS_OK = 0,
	TS_END,         /* clean end of stream, between records */
	TS_EIO,         /* read or write failed; errno in errnum */
	TS_ETRUNC,      /* stream ends inside a record */
	TS_EMAGIC,      /* not a tensor stream record */
	TS_EVERSION,    /* unknown format version */
	TS_ETYPE,       /* unknown element type */
	TS_ERANK,       /* rank 0 or over TS_MAX_RANK */
	TS_EZERO,       /* a dimension is 0 */
	TS_ELIMIT,      /* a dimension or the payload is over the limits */
	TS_ENAME,       /* name too long or holds '/' or NUL */
	TS_ERESERVED,   /* a reserved field is not 0 */
	TS_ESTATE,      /* call out of order, or payload size mismatch */
};

struct ts_limits {
	uint32_t max_dim;       /* largest single dimension */
	uint64_t max_bytes;     /* largest payload of one record */
};

struct ts_header {
	enum ts_dtype dtype;
	unsigned rank;
	uint32_t dims[TS_MAX_RANK];
	size_t namelen;
	char name[TS_NAME_MAX + 1];     /* NUL-terminated */
};

struct ts_reader {
	FILE *fp;
	struct ts_limits lim;
	size_t nrecords;        /* headers read so far */
	uint64_t offset;        /* bytes consumed so far */
	uint64_t record_offset; /* where the current or failing record starts */
	size_t err_record;      /* 1-based record the last error concerns */
	int errnum;
	enum ts_err sticky;
	int in_record;
	size_t payload_left;
	enum ts_dtype dtype;
};

struct ts_writer {
	FILE *fp;
	size_t nrecords;
	int errnum;
	enum ts_err sticky;
	int in_record;
	size_t payload_left;
	enum ts_dtype dtype;
};

void ts_reader_init(struct ts_reader *r, FILE *fp, const struct ts_limits *lim);
enum ts_err ts_read_header(struct ts_reader *r, struct ts_header *h);
enum ts_err ts_read_payload(struct ts_reader *r, void *buf, size_t n);
enum ts_err ts_skip_payload(struct ts_reader *r);

void ts_writer_init(struct ts_writer *w, FILE *fp);
enum ts_err ts_write_header(struct ts_writer *w, const struct ts_header *h);
enum ts_err ts_write_payload(struct ts_writer *w, const void *buf, size_t n);
enum ts_err ts_writer_finish(struct ts_writer *w);

enum ts_err ts_image_header(struct ts_header *h, uint32_t height, uint32_t width,
                            uint32_t channels, enum ts_dtype dtype, const char *name);
enum ts_err ts_check_header(const struct ts_header *h, const struct ts_limits *lim);
size_t ts_payload_size(const struct ts_header *h);
size_t ts_nelem(const struct ts_header *h);
size_t ts_dtype_size(enum ts_dtype t);
const char *ts_dtype_name(enum ts_dtype t);
const char *ts_strerror(enum ts_err err);
/* ts_set_name copies the last path component of path into h->name,
 * truncated to TS_NAME_MAX bytes */
void ts_set_name(struct ts_header *h, const char *path);

#endif
