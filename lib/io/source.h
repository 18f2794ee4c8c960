/* source.h: read the records of a tensor stream or a pack, in order.
 *
 * ABOUT
 *   Programs that consume a dataset (unpack, daeinfer, daetrain, daeeval,
 *   packtensor) accept either a tensor stream (tensor(5)) or a pack (pack(5))
 *   through this one reader. src_open looks at the first byte: a stream
 *   starts with 'T', a pack with 'P' ("PAKT"). That byte is pushed back with
 *   ungetc, which C guarantees for one byte, so a stream on a pipe loses
 *   nothing; a pack is then read with pread and needs a seekable file (a
 *   pack on a pipe is refused with a message saying so). An empty input is an
 *   empty stream. Records come out as ts_header + payload exactly as
 *   stream.h gives them; a pack's samples come out in order with their names.
 *
 * USAGE
 *   src_open(&s, path, &lim)    open path, "-" for stdin (lim NULL: defaults);
 *                               on failure s may still be set: report with
 *                               src_strerror(s), then src_close(s)
 *   src_read_header(s, &h)      SRC_OK, SRC_END after the last record, or an
 *                               error
 *   src_read_payload(s, buf, n) the current record's payload; n must be
 *                               ts_payload_size(&h); f32 in host order
 *   src_skip_payload(s)         go on without the payload (free for a pack)
 *   src_count(s)                records in all: a pack's N, -1 for a stream
 *   src_nrecords(s)             headers read so far
 *   src_kind(s)                 SRC_STREAM or SRC_PACK
 *   src_pack(s)                 the pack reader (random access, pk_stat) or
 *                               NULL for a stream; owned by s
 *   src_name(s)                 the path, or "<stdin>" for "-"
 *   src_where(s)                where the current or failing record is, for
 *                               messages: "record 3 (byte 1234)" in a stream,
 *                               "sample 3 (dog.3.jpg)" in a pack (1-based);
 *                               "" when no record is concerned (open failed)
 *   src_strerror(s)             what went wrong last, a short phrase (with
 *                               the errno text for i/o errors); s may be NULL
 *   src_stream_error(s), src_pack_error(s)  the underlying code, or 0
 *   src_close(s)                close (stdin stays open); NULL is a no-op
 *
 *   Reading looks like reading a stream:
 *     if (src_open(&s, path, NULL) != SRC_OK)
 *         die("%s: %s", path, src_strerror(s));
 *     while ((err = src_read_header(s, &h)) == SRC_OK) {
 *         ...grow buf to ts_payload_size(&h)...
 *         if ((err = src_read_payload(s, buf, ts_payload_size(&h))) != SRC_OK)
 *             break;
 *     }
 *     if (err != SRC_END)
 *         die("%s: %s: %s", src_name(s), src_where(s), src_strerror(s));
 *
 * ERRORS
 *   Calls return an enum src_err. SRC_EFAIL is sticky (a stream that is
 *   malformed or truncated, an i/o error, a pack that does not open): later
 *   calls return it again. SRC_EBAD concerns one record only (a pack sample
 *   whose chunk fails its checksum or does not inflate): the next
 *   src_read_header goes on with the next record, so a program may skip it.
 *   Call-order and size errors are SRC_EFAIL without being sticky. Nothing is
 *   printed.
 *
 * MEMORY
 *   A stream source holds nothing but its FILE. A pack source holds the
 *   pack's index (see pack.h), one scratch buffer as large as the largest
 *   stored chunk, and, when K > 1, one inflated chunk (K samples) so that a
 *   chunk is inflated once however many of its samples are read. The caller
 *   owns payload buffers.
 *
 * LIMITS
 *   struct ts_limits bounds a record as in stream.h; for a pack the same
 *   bounds apply to its shape, and pack.h's defaults to its chunks and index.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stdint.h>

#include "pack.h"
#include "stream.h"

enum src_err {
	SRC_OK = 0,
	SRC_END,        /* no more records */
	SRC_EBAD,       /* this record is unreadable; the next one may be read */
	SRC_EFAIL,      /* the source cannot go on */
};

enum src_kind { SRC_STREAM = 1, SRC_PACK };

struct src;

enum src_err src_open(struct src **sp, const char *path, const struct ts_limits *lim);
enum src_err src_read_header(struct src *s, struct ts_header *h);
enum src_err src_read_payload(struct src *s, void *buf, size_t n);
enum src_err src_skip_payload(struct src *s);
int64_t src_count(const struct src *s);
uint64_t src_nrecords(const struct src *s);
enum src_kind src_kind(const struct src *s);
struct pk_reader *src_pack(const struct src *s);
const char *src_name(const struct src *s);
const char *src_where(struct src *s);
const char *src_strerror(const struct src *s);
enum ts_err src_stream_error(const struct src *s);
enum pk_err src_pack_error(const struct src *s);
void src_close(struct src *s);

#endif
