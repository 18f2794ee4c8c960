/* fuzz_stream.c: libFuzzer target for the tensor stream reader (lib/io/stream.c).
 *
 * The input is read as a stream, record by record, the way the filters read
 * stdin: header, then the payload into a buffer the harness allocates (or
 * ts_skip_payload for every third record, the path of a skipped record).
 * Limits are small (1 MiB a record), so a header can make the harness
 * allocate at most that: anything larger must be refused before allocation.
 * Each record read is written back with the writer and read again, and must
 * come back the same; f32 payloads go through noise_to_u8, as in addnoise
 * and daeinfer, where NaN and infinities must not be undefined behaviour.
 * Checked besides: a header error is sticky, err_record names a record that
 * was reached, and the reader never claims more bytes than the input has.
 * Not a test of the writer's own error paths (see tests/unit/test_stream.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/image/noise.h"
#include "../../lib/io/stream.h"
#include "fuzz.h"

#define MAX_BYTES (1u << 20)

/* abort with a message, so libFuzzer records the input as a crash */

static FILE *
open_input(const uint8_t *data, size_t size, void **copy)
{
	/* fmemopen may refuse a size of 0, and wants a writable buffer */
	*copy = NULL;
	if (size == 0)
		return fopen("/dev/null", "rb");
	*copy = malloc(size);
	REQUIRE(*copy);
	memcpy(*copy, data, size);
	return fmemopen(*copy, size, "rb");
}

/* write h and payload with the writer and read them back */
static void
roundtrip(const struct ts_header *h, const void *payload, size_t n)
{
	struct ts_writer w;
	struct ts_reader r;
	struct ts_header back;
	char *buf = NULL;
	size_t len = 0;
	void *got;
	FILE *fp = open_memstream(&buf, &len);

	REQUIRE(fp);
	ts_writer_init(&w, fp);
	REQUIRE(ts_write_header(&w, h) == TS_OK);
	REQUIRE(ts_write_payload(&w, payload, n) == TS_OK);
	REQUIRE(ts_writer_finish(&w) == TS_OK);
	fclose(fp);

	fp = fmemopen(buf, len, "rb");
	REQUIRE(fp);
	ts_reader_init(&r, fp, NULL);
	REQUIRE(ts_read_header(&r, &back) == TS_OK);
	REQUIRE(back.dtype == h->dtype && back.rank == h->rank && back.namelen == h->namelen);
	REQUIRE(memcmp(back.dims, h->dims, sizeof h->dims) == 0);
	REQUIRE(memcmp(back.name, h->name, h->namelen + 1) == 0);
	got = malloc(n ? n : 1);
	REQUIRE(got);
	REQUIRE(ts_read_payload(&r, got, n) == TS_OK);
	REQUIRE(memcmp(got, payload, n) == 0);
	REQUIRE(ts_read_header(&r, &back) == TS_END);
	free(got);
	fclose(fp);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ts_limits lim = { 1u << 16, MAX_BYTES };
	struct ts_reader r;
	struct ts_header h;
	enum ts_err err, again;
	unsigned char *buf = NULL, *u8 = NULL;
	size_t n, cap = 0;
	void *copy;
	FILE *fp = open_input(data, size, &copy);

	REQUIRE(fp);
	ts_reader_init(&r, fp, &lim);
	while ((err = ts_read_header(&r, &h)) == TS_OK) {
		REQUIRE(ts_check_header(&h, &lim) == TS_OK);
		n = ts_payload_size(&h);
		REQUIRE(n > 0 && n <= MAX_BYTES);
		if (r.nrecords % 3 == 0) {
			if ((err = ts_skip_payload(&r)) != TS_OK)
				break;
			continue;
		}
		if (n > cap) {
			free(buf);
			free(u8);
			REQUIRE((buf = malloc(n)) && (u8 = malloc(n)));
			cap = n;
		}
		if ((err = ts_read_payload(&r, buf, n)) != TS_OK)
			break;
		if (h.dtype == TS_F32) {
			float *x = malloc(n);
			REQUIRE(x);
			memcpy(x, buf, n);
			noise_to_u8(u8, x, ts_nelem(&h));
			free(x);
		}
		roundtrip(&h, buf, n);
	}
	REQUIRE(r.offset <= size);
	if (err != TS_END) {
		/* the error names a record that exists, and stays */
		REQUIRE(r.err_record >= 1 && r.err_record <= r.nrecords + 1);
		REQUIRE(r.record_offset <= size);
		again = ts_read_header(&r, &h);
		REQUIRE(again == err);
	}
	fclose(fp);
	free(copy);
	free(buf);
	free(u8);
	return 0;
}
