/* test_stream.c: the tensor stream reader and writer (lib/io/stream.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../t.h"
#include "../../lib/io/stream.h"

/* a stream in memory: write with fmemopen-backed buffers */
static unsigned char mem[1 << 16];

static FILE *
mem_open(size_t n, const char *mode)
{
	return fmemopen(mem, n, mode);
}

static size_t
write_image(const char *name, uint32_t h, uint32_t w, uint32_t c, enum ts_dtype t,
            const void *payload)
{
	struct ts_writer wr;
	struct ts_header hd;
	FILE *fp = mem_open(sizeof mem, "w");
	long n;

	ts_writer_init(&wr, fp);
	ts_image_header(&hd, h, w, c, t, name);
	ts_write_header(&wr, &hd);
	ts_write_payload(&wr, payload, ts_payload_size(&hd));
	ts_writer_finish(&wr);
	n = ftell(fp);
	fclose(fp);
	return (size_t)n;
}

static void
test_roundtrip_u8_image(void)
{
	unsigned char px[2 * 3 * 3], got[sizeof px];
	struct ts_reader r;
	struct ts_header h;
	size_t i, n;
	FILE *fp;

	for (i = 0; i < sizeof px; i++)
		px[i] = (unsigned char)(i * 7);
	n = write_image("dog.1.jpg", 2, 3, 3, TS_U8, px);
	CHECK(n == 12 + 12 + 9 + sizeof px, "stream is %zu bytes", n);
	fp = mem_open(n, "r");
	ts_reader_init(&r, fp, NULL);
	CHECK(ts_read_header(&r, &h) == TS_OK, "header");
	CHECK(h.rank == 3 && h.dims[0] == 2 && h.dims[1] == 3 && h.dims[2] == 3, "dims");
	CHECK(strcmp(h.name, "dog.1.jpg") == 0, "name '%s'", h.name);
	CHECK(ts_read_payload(&r, got, sizeof got) == TS_OK, "payload");
	CHECK(memcmp(px, got, sizeof px) == 0, "payload bytes differ");
	CHECK(ts_read_header(&r, &h) == TS_END, "end");
	CHECK(r.nrecords == 1, "nrecords %zu", r.nrecords);
	fclose(fp);
}

static void
test_header_bytes_are_little_endian(void)
{
	float v = 1.0f;
	size_t n = write_image("", 1, 1, 1, TS_F32, &v);
	static const unsigned char want[] = {
		'T', 'N', 'S', 'R', 1, 2, 3, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
		0x00, 0x00, 0x80, 0x3f,
	};

	CHECK(n == sizeof want, "%zu bytes", n);
	CHECK(memcmp(mem, want, sizeof want) == 0, "bytes differ from tensor(5)");
}

static void
test_writer_output_concatenates(void)
{
	unsigned char a[3] = { 1, 2, 3 }, b[6] = { 4, 5, 6, 7, 8, 9 }, got[6];
	struct ts_writer w;
	struct ts_reader r;
	struct ts_header h;
	FILE *fp = mem_open(sizeof mem, "w");
	long n;

	ts_writer_init(&w, fp);
	ts_image_header(&h, 1, 1, 3, TS_U8, "a");
	ts_write_header(&w, &h);
	ts_write_payload(&w, a, 3);
	ts_image_header(&h, 1, 2, 3, TS_U8, "b");
	ts_write_header(&w, &h);
	CHECK(ts_write_payload(&w, b, 6) == TS_OK, "second payload");
	CHECK(ts_writer_finish(&w) == TS_OK, "finish");
	n = ftell(fp);
	fclose(fp);
	fp = mem_open((size_t)n, "r");
	ts_reader_init(&r, fp, NULL);
	CHECK(ts_read_header(&r, &h) == TS_OK && h.dims[1] == 1, "first");
	CHECK(ts_skip_payload(&r) == TS_OK, "skip");
	CHECK(ts_read_header(&r, &h) == TS_OK && h.dims[1] == 2 && strcmp(h.name, "b") == 0,
	      "second");
	CHECK(ts_read_payload(&r, got, 6) == TS_OK && memcmp(got, b, 6) == 0, "second payload");
	CHECK(ts_read_header(&r, &h) == TS_END, "end");
	fclose(fp);
}

static enum ts_err
read_bytes(const unsigned char *bytes, size_t n, struct ts_reader *r, struct ts_header *h)
{
	FILE *fp;
	enum ts_err err;

	memcpy(mem, bytes, n);
	fp = mem_open(n, "r");
	ts_reader_init(r, fp, NULL);
	err = ts_read_header(r, h);
	if (err == TS_OK) {
		unsigned char buf[64];
		err = ts_payload_size(h) <= sizeof buf ?
		      ts_read_payload(r, buf, ts_payload_size(h)) : TS_OK;
	}
	fclose(fp);
	return err;
}

#define HDR(ver, type, rank) 'T', 'N', 'S', 'R', ver, type, rank, 0, 0, 0, 0, 0

static void
test_reader_rejects_bad_magic(void)
{
	static const unsigned char b[] = { 'P', '6', '\n', '1', ' ', '1', '\n', '2', '5', '5',
	                                   '\n', 0 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_EMAGIC, "magic");
	CHECK(r.nrecords == 0, "no record counted");
}

static void
test_reader_rejects_unknown_version(void)
{
	static const unsigned char b[] = { HDR(2, 1, 1), 1, 0, 0, 0, 7 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_EVERSION, "version");
}

static void
test_reader_rejects_unknown_type(void)
{
	static const unsigned char b[] = { HDR(1, 9, 1), 1, 0, 0, 0, 7 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_ETYPE, "type");
}

static void
test_reader_rejects_bad_rank(void)
{
	static const unsigned char b0[] = { HDR(1, 1, 0) };
	static const unsigned char b5[] = { HDR(1, 1, 5), 1, 0, 0, 0 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b0, sizeof b0, &r, &h) == TS_ERANK, "rank 0");
	CHECK(read_bytes(b5, sizeof b5, &r, &h) == TS_ERANK, "rank 5");
}

static void
test_reader_rejects_zero_width(void)
{
	static const unsigned char b[] = { HDR(1, 1, 3), 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_EZERO, "zero width");
}

static void
test_reader_refuses_2_40_pixels(void)
{
	/* 2^20 x 2^20 x 1 fits the per-dim limit; the product does not */
	static const unsigned char b[] = { HDR(1, 1, 3), 0, 0, 0x10, 0, 0, 0, 0x10, 0,
	                                   1, 0, 0, 0 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_ELIMIT, "2^40 pixels");
}

static void
test_reader_refuses_product_overflowing_64_bits(void)
{
	struct ts_limits lim = { UINT32_MAX, UINT64_MAX };
	struct ts_header h;

	memset(&h, 0, sizeof h);
	h.dtype = TS_F32;
	h.rank = 4;
	h.dims[0] = h.dims[1] = h.dims[2] = h.dims[3] = UINT32_MAX;
	CHECK(ts_check_header(&h, &lim) == TS_ELIMIT, "2^128 elements accepted");
}

static void
test_reader_truncated_payload_is_sticky(void)
{
	static const unsigned char b[] = { HDR(1, 1, 1), 4, 0, 0, 0, 1, 2 };
	struct ts_reader r;
	struct ts_header h;
	unsigned char buf[4];
	FILE *fp;

	memcpy(mem, b, sizeof b);
	fp = mem_open(sizeof b, "r");
	ts_reader_init(&r, fp, NULL);
	CHECK(ts_read_header(&r, &h) == TS_OK, "header");
	CHECK(ts_read_payload(&r, buf, 4) == TS_ETRUNC, "truncated payload");
	CHECK(ts_read_header(&r, &h) == TS_ETRUNC, "error is sticky");
	CHECK(r.nrecords == 1, "record 1");
	fclose(fp);
}

static void
test_reader_truncated_header(void)
{
	static const unsigned char b[] = { 'T', 'N', 'S' };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_ETRUNC, "truncated header");
}

static void
test_reader_empty_stream_is_end(void)
{
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(mem, 0, &r, &h) == TS_END, "empty");
}

static void
test_reader_rejects_slash_in_name(void)
{
	static const unsigned char b[] = { 'T', 'N', 'S', 'R', 1, 1, 1, 0, 3, 0, 0, 0,
	                                   1, 0, 0, 0, 'a', '/', 'b', 9 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_ENAME, "slash");
}

static void
test_reader_rejects_reserved_bits(void)
{
	static const unsigned char b[] = { 'T', 'N', 'S', 'R', 1, 1, 1, 1, 0, 0, 0, 0,
	                                   1, 0, 0, 0, 9 };
	struct ts_reader r;
	struct ts_header h;

	CHECK(read_bytes(b, sizeof b, &r, &h) == TS_ERESERVED, "flags");
}

static void
test_reader_honours_custom_limits(void)
{
	static const unsigned char b[] = { HDR(1, 1, 1), 5, 0, 0, 0, 1, 2, 3, 4, 5 };
	struct ts_limits lim = { 4, 1000 };
	struct ts_reader r;
	struct ts_header h;
	FILE *fp;

	memcpy(mem, b, sizeof b);
	fp = mem_open(sizeof b, "r");
	ts_reader_init(&r, fp, &lim);
	CHECK(ts_read_header(&r, &h) == TS_ELIMIT, "dim 5 over max_dim 4");
	fclose(fp);
}

static void
test_payload_size_mismatch_is_state_error(void)
{
	unsigned char px[3] = { 1, 2, 3 };
	struct ts_writer w;
	struct ts_header h;
	FILE *fp = mem_open(sizeof mem, "w");

	ts_writer_init(&w, fp);
	ts_image_header(&h, 1, 1, 3, TS_U8, NULL);
	CHECK(ts_write_payload(&w, px, 3) == TS_ESTATE, "payload before header");
	ts_write_header(&w, &h);
	CHECK(ts_write_payload(&w, px, 2) == TS_ESTATE, "short payload");
	CHECK(ts_write_payload(&w, px, 3) == TS_OK, "right payload");
	fclose(fp);
}

static void
test_writer_reports_enospc(void)
{
	unsigned char px[3] = { 1, 2, 3 };
	struct ts_writer w;
	struct ts_header h;
	FILE *fp = fopen("/dev/full", "w");

	if (!fp) {
		CHECK(0, "cannot open /dev/full");
		return;
	}
	ts_writer_init(&w, fp);
	ts_image_header(&h, 1, 1, 3, TS_U8, NULL);
	ts_write_header(&w, &h);
	ts_write_payload(&w, px, 3);
	CHECK(ts_writer_finish(&w) == TS_EIO, "write to /dev/full succeeded");
	CHECK(w.errnum == ENOSPC, "errnum %d", w.errnum);
	fclose(fp);
}

static void
test_set_name_takes_base_name(void)
{
	struct ts_header h;

	ts_image_header(&h, 1, 1, 3, TS_U8, "/a/b/dog.7.jpg");
	CHECK(strcmp(h.name, "dog.7.jpg") == 0 && h.namelen == 9, "name '%s'", h.name);
}

int
main(void)
{
	RUN(test_roundtrip_u8_image);
	RUN(test_header_bytes_are_little_endian);
	RUN(test_writer_output_concatenates);
	RUN(test_reader_rejects_bad_magic);
	RUN(test_reader_rejects_unknown_version);
	RUN(test_reader_rejects_unknown_type);
	RUN(test_reader_rejects_bad_rank);
	RUN(test_reader_rejects_zero_width);
	RUN(test_reader_refuses_2_40_pixels);
	RUN(test_reader_refuses_product_overflowing_64_bits);
	RUN(test_reader_truncated_payload_is_sticky);
	RUN(test_reader_truncated_header);
	RUN(test_reader_empty_stream_is_end);
	RUN(test_reader_rejects_slash_in_name);
	RUN(test_reader_rejects_reserved_bits);
	RUN(test_reader_honours_custom_limits);
	RUN(test_payload_size_mismatch_is_state_error);
	RUN(test_writer_reports_enospc);
	RUN(test_set_name_takes_base_name);
	return t_done();
}
