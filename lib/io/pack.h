/* pack.h: the dataset ("pack") file, writer and random-access reader. See pack(5).
 *
 * ABOUT
 *   A pack holds N samples of one shape and element type (say N x 300 x 300
 *   x 3 u8) with their names. Payloads are stored in chunks of K consecutive
 *   samples, each chunk one zlib stream with a CRC-32, so that one sample
 *   costs one pread and one small inflate (K = 1, the default) and larger K
 *   trade random-access cost for a better ratio. u8 samples go through a
 *   gradient filter first (each byte minus left + up - upper left), which
 *   about halves photos. An index of chunk offsets, sizes, CRCs and names
 *   sits at the end, followed by a fixed 64-byte trailer that points at it,
 *   as zip's central directory does: a writer goes through the samples once,
 *   never seeks (it can write to a pipe) and need not know N ahead.
 *   A tensor stream (tensor(5), stream.h) is the other way to hold a dataset;
 *   a pack adds random access and compression and needs a seekable file.
 *
 *     offset       size     what
 *     0            8        head: magic "PAKT", version 1, 3 reserved 0
 *     8            ...      chunks, each a zlib stream of <= K payloads
 *     I            S        index: C = (N-1)/K+1 chunk entries of 24 bytes
 *                           (offset u64, size u64, CRC u32, method 1, 3 x 0),
 *                           then N names (length u8, bytes)
 *     end - 64     64       trailer: I u64, S u64, N u64, K u32, index CRC
 *                           u32, type u8, rank u8, filter u8, 0, dims 4 x u32,
 *                           flags u32 0, trailer CRC u32, magic "TKAP"
 *
 * USAGE
 *   pk_writer_open(&w, fp, &opt)   start a pack on fp (opt NULL: K = 1,
 *                                  level 3, filter auto); writes the head
 *   pk_write(w, &h, payload)       append one sample; the first fixes shape
 *                                  and type, a later one that differs is
 *                                  PK_ESHAPE and is not written
 *   pk_writer_finish(w)            end the chunk, write index and trailer,
 *                                  flush; does not close fp
 *   pk_writer_stat(w, &st)         counts and sizes so far
 *   pk_writer_free(w)              free; NULL is a no-op
 *
 *   pk_open(&p, path, &lim)        open and check a pack (lim NULL: defaults)
 *   pk_open_fp(&p, fp, &lim)       the same on an open FILE, which must stay
 *                                  open until pk_close; read with pread on
 *                                  fileno(fp), so fp's position is untouched
 *   pk_count(p)                    number of samples N
 *   pk_sample_header(p, i, &h)     shape, type and name of sample i (0-based)
 *   pk_sample_size(p)              payload bytes of one sample
 *   pk_read(p, i, buf, n)          payload of sample i into buf; n must be
 *                                  pk_sample_size(p); f32 in host order
 *   pk_scratch_size(p)             bytes of scratch pk_read_with needs
 *   pk_read_with(p, i, buf, n, scratch, len)   pk_read with caller scratch
 *   pk_chunk_count(p), pk_chunk_samples(p, c)  chunks; samples in chunk c
 *   pk_read_chunk(p, c, buf, n, scratch, len)  all samples of chunk c, n =
 *                                  pk_chunk_samples(p, c) * pk_sample_size(p);
 *                                  scratch may be NULL (allocated per call)
 *   pk_stat(p, &st)                counts, chunking, sizes (for ratios)
 *   pk_close(p)                    close; NULL is a no-op
 *   pk_strerror(err)               a short, lower-case phrase
 *
 * ERRORS
 *   Every call that can fail returns an enum pk_err; nothing is printed. For
 *   PK_EIO errno holds the cause when the call returns. A reader error from
 *   pk_read concerns that sample only (a bad chunk does not spoil the
 *   others), so the caller names sample i. pk_write checks a sample
 *   before it writes any of it: PK_ESHAPE, PK_ETYPE, PK_ENAME, PK_ELIMIT
 *   and a failed allocation for the index leave the pack as it was. A
 *   failed write (PK_EIO) or zlib error is sticky: later calls return it. A
 *   file without a valid trailer (a cut-off copy, a writer that died) is
 *   PK_ETRUNC. Every trailer and index field is checked before anything
 *   is allocated: counts and sizes must fit inside the file, so a hostile
 *   index claiming 2^40 samples is PK_EINDEX, not a huge malloc, and so is
 *   a chunk claiming more than 1032 times its stored size (deflate's best).
 *
 * MEMORY
 *   Writer: the index (24 bytes a chunk, 1 + name length a sample) grows in
 *   memory until pk_writer_finish. Payloads are deflated as they come, so no
 *   sample or chunk is buffered: besides the index, zlib's deflate state
 *   (about 256 KiB), a 64 KiB output buffer and one filtered row of a u8
 *   sample. pk_writer_free frees it all.
 *   Reader: pk_open reads the index (its size S bytes) and keeps it plus 8
 *   bytes a sample of name offsets; nothing else. pk_read allocates one
 *   scratch buffer of pk_scratch_size(p) bytes (the largest stored chunk) and
 *   zlib's inflate state (about 40 KiB) per call and frees them before it
 *   returns; pk_read_with takes the scratch from the caller. The caller owns
 *   payload buffers and scratch.
 *
 * THREADS
 *   After pk_open returns, the reader is never written to: pk_read,
 *   pk_read_with, pk_read_chunk, pk_sample_header and the other queries may
 *   be called from several threads at once on one reader (each call uses
 *   pread, its own zlib stream and its own scratch). pk_close must not race
 *   them. A writer is for one thread.
 *
 * LIMITS
 *   struct pk_limits bounds the sample shape as tensor(5) does (each
 *   dimension, the bytes of one sample), the bytes of one chunk (K samples
 *   inflated, what a sequential reader holds) and the index. Defaults:
 *   TS_DEFAULT_MAX_DIM, TS_DEFAULT_MAX_BYTES for a sample and a chunk,
 *   PK_DEFAULT_MAX_INDEX for the index. N is at most 2^63.
 */
#ifndef PACK_H
#define PACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stream.h"

#define PK_MAGIC "PAKT"
#define PK_END_MAGIC "TKAP"
#define PK_VERSION 1
#define PK_HEAD_SIZE 8
#define PK_TRAILER_SIZE 64
#define PK_CHUNK_ENTRY_SIZE 24
#define PK_METHOD_ZLIB 1
#define PK_DEFAULT_LEVEL 3
#define PK_DEFAULT_MAX_INDEX ((uint64_t)1 << 32)

enum pk_err {
	PK_OK = 0,
	PK_EIO,         /* read or write failed; errno holds the cause */
	PK_ENOMEM,      /* out of memory */
	PK_EMAGIC,      /* not a pack (bad magic) */
	PK_EVERSION,    /* unknown format version */
	PK_ESEEK,       /* not a seekable file */
	PK_ETRUNC,      /* no valid trailer: truncated or unfinished */
	PK_EHEADER,     /* trailer or index checksum mismatch */
	PK_EINDEX,      /* an index or trailer field is out of range */
	PK_ECRC,        /* a chunk's checksum does not match */
	PK_EZLIB,       /* a chunk does not inflate, or not to its size */
	PK_ESHAPE,      /* writer: shape or type differs from the first sample */
	PK_ETYPE,       /* bad element type, rank or dimension */
	PK_ELIMIT,      /* a sample, chunk or the index is over the limits */
	PK_ENAME,       /* bad sample name */
	PK_EEMPTY,      /* writer: finish with no samples */
	PK_ERANGE,      /* sample or chunk number out of range */
	PK_ESIZE,       /* buffer or scratch size does not match */
	PK_ESTATE,      /* writer: call after finish, or an argument is bad */
};

struct pk_limits {
	uint32_t max_dim;       /* largest single dimension */
	uint64_t max_bytes;     /* largest payload of one sample */
	uint64_t max_chunk;     /* largest inflated chunk */
	uint64_t max_index;     /* largest index */
};

/* the filter applied to each sample before zlib; trailer byte 34 */
enum pk_filter {
	PK_FILTER_NONE = 0,
	PK_FILTER_GRADIENT = 1, /* u8 only: byte - (left + up - upper left) */
	PK_FILTER_AUTO = -1,    /* writer: gradient for u8, none for f32 */
};

struct pk_wopt {
	uint32_t chunk_samples; /* K, samples per chunk, >= 1 */
	int level;              /* zlib level 0..9 */
	int filter;             /* an enum pk_filter */
};

struct pk_stat {
	uint64_t count;         /* samples */
	uint32_t chunk_samples; /* K */
	uint64_t nchunks;
	size_t sample_bytes;    /* payload bytes of one sample */
	uint64_t raw_bytes;     /* count * sample_bytes */
	uint64_t stored_bytes;  /* chunk bytes on disk */
	uint64_t file_bytes;    /* head + chunks + index + trailer */
	struct ts_header shape; /* dtype, rank, dims; the name is empty */
	int filter;             /* PK_FILTER_NONE or PK_FILTER_GRADIENT */
};

struct pk_writer;
struct pk_reader;

enum pk_err pk_writer_open(struct pk_writer **wp, FILE *fp, const struct pk_wopt *opt);
enum pk_err pk_write(struct pk_writer *w, const struct ts_header *h, const void *payload);
enum pk_err pk_writer_finish(struct pk_writer *w);
void pk_writer_stat(const struct pk_writer *w, struct pk_stat *st);
void pk_writer_free(struct pk_writer *w);

enum pk_err pk_open(struct pk_reader **pp, const char *path, const struct pk_limits *lim);
enum pk_err pk_open_fp(struct pk_reader **pp, FILE *fp, const struct pk_limits *lim);
uint64_t pk_count(const struct pk_reader *p);
enum pk_err pk_sample_header(const struct pk_reader *p, uint64_t i, struct ts_header *h);
size_t pk_sample_size(const struct pk_reader *p);
enum pk_err pk_read(const struct pk_reader *p, uint64_t i, void *buf, size_t n);
size_t pk_scratch_size(const struct pk_reader *p);
enum pk_err pk_read_with(const struct pk_reader *p, uint64_t i, void *buf, size_t n,
                         void *scratch, size_t len);
uint64_t pk_chunk_count(const struct pk_reader *p);
uint64_t pk_chunk_samples(const struct pk_reader *p, uint64_t c);
enum pk_err pk_read_chunk(const struct pk_reader *p, uint64_t c, void *buf, size_t n,
                          void *scratch, size_t len);
void pk_stat(const struct pk_reader *p, struct pk_stat *st);
void pk_close(struct pk_reader *p);
const char *pk_strerror(enum pk_err err);

#endif
