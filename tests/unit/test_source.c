/* test_source.c: one reader over streams and packs (lib/io/source.c), from
 * files and from stdin as a pipe. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../t.h"
#include "../../lib/io/pack.h"
#include "../../lib/io/source.h"
#include "../../lib/io/stream.h"

#define NREC 7
#define H 5
#define W 4
#define C 3

static void
record(uint64_t i, struct ts_header *h, unsigned char *px)
{
	char name[32];
	size_t j;

	snprintf(name, sizeof name, "r%llu.png", (unsigned long long)i);
	ts_image_header(h, H, W, C, TS_U8, name);
	for (j = 0; j < H * W * C; j++)
		px[j] = (unsigned char)(j * 3 + i * 11);
}

/* the test set as a stream into buf; returns its length */
static size_t
make_stream(unsigned char *buf, size_t cap)
{
	unsigned char px[H * W * C];
	struct ts_writer w;
	struct ts_header h;
	FILE *fp = fmemopen(buf, cap, "w");
	uint64_t i;
	long n;

	ts_writer_init(&w, fp);
	for (i = 0; i < NREC; i++) {
		record(i, &h, px);
		ts_write_header(&w, &h);
		ts_write_payload(&w, px, sizeof px);
	}
	ts_writer_finish(&w);
	n = ftell(fp);
	fclose(fp);
	return (size_t)n;
}

/* the test set as a pack with K samples a chunk, in a new temp file */
static void
make_pack(char *path, uint32_t k)
{
	struct pk_wopt opt = { k, 3, PK_FILTER_AUTO };
	unsigned char px[H * W * C];
	struct pk_writer *w;
	struct ts_header h;
	uint64_t i;
	FILE *fp;
	int fd;

	strcpy(path, "/tmp/test_source.XXXXXX");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	CHECK(pk_writer_open(&w, fp, &opt) == PK_OK, "writer");
	for (i = 0; i < NREC; i++) {
		record(i, &h, px);
		CHECK(pk_write(w, &h, px) == PK_OK, "write");
	}
	CHECK(pk_writer_finish(w) == PK_OK, "finish");
	pk_writer_free(w);
	fclose(fp);
}

static void
write_file(char *path, const void *buf, size_t n)
{
	int fd;

	strcpy(path, "/tmp/test_source.XXXXXX");
	fd = mkstemp(path);
	CHECK(write(fd, buf, n) == (ssize_t)n, "write %s", path);
	close(fd);
}

/* make stdin a pipe holding buf (small enough for the pipe's buffer) */
static void
stdin_pipe(const void *buf, size_t n)
{
	int fds[2];

	CHECK(pipe(fds) == 0, "pipe");
	CHECK(write(fds[1], buf, n) == (ssize_t)n, "fill pipe");
	close(fds[1]);
	CHECK(dup2(fds[0], 0) == 0, "dup2");
	close(fds[0]);
	clearerr(stdin);
}

/* read every record and compare with the set; returns mismatches */
static int
read_all(struct src *s)
{
	unsigned char px[H * W * C], want[H * W * C];
	struct ts_header h, wh;
	enum src_err err;
	uint64_t i = 0;
	int bad = 0;

	while ((err = src_read_header(s, &h)) == SRC_OK) {
		record(i, &wh, want);
		if (strcmp(h.name, wh.name) != 0 || ts_payload_size(&h) != sizeof px)
			bad++;
		else if (src_read_payload(s, px, sizeof px) != SRC_OK || memcmp(px, want, sizeof px))
			bad++;
		i++;
	}
	if (err != SRC_END || i != NREC)
		bad++;
	return bad;
}

static void
test_stream_file_reads_in_order(void)
{
	unsigned char buf[4096];
	char path[64];
	struct src *s;

	write_file(path, buf, make_stream(buf, sizeof buf));
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open: %s", src_strerror(s));
	CHECK(src_kind(s) == SRC_STREAM && src_pack(s) == NULL, "a stream");
	CHECK(src_count(s) == -1, "a stream's count is unknown");
	CHECK(read_all(s) == 0, "records differ");
	CHECK(src_nrecords(s) == NREC, "nrecords");
	CHECK(strcmp(src_name(s), path) == 0, "name");
	src_close(s);
	unlink(path);
}

static void
test_pack_file_reads_in_order_any_chunking(void)
{
	static const uint32_t ks[] = { 1, 2, 3, 7, 100 };
	char path[64];
	struct src *s;
	size_t i;

	for (i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		make_pack(path, ks[i]);
		CHECK(src_open(&s, path, NULL) == SRC_OK, "open: %s", src_strerror(s));
		CHECK(src_kind(s) == SRC_PACK && src_pack(s) != NULL, "a pack");
		CHECK(src_count(s) == NREC, "count %lld", (long long)src_count(s));
		CHECK(read_all(s) == 0, "K = %u: records differ", ks[i]);
		src_close(s);
		unlink(path);
	}
}

static void
test_pack_skip_payload_then_read(void)
{
	unsigned char px[H * W * C], want[H * W * C];
	struct ts_header h;
	char path[64];
	struct src *s;
	uint64_t i;

	make_pack(path, 3);
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open");
	for (i = 0; i < NREC; i++) {
		CHECK(src_read_header(s, &h) == SRC_OK, "header %llu", (unsigned long long)i);
		if (i % 2 == 0) {
			CHECK(src_skip_payload(s) == SRC_OK, "skip");
			continue;
		}
		record(i, &h, want);
		CHECK(src_read_payload(s, px, sizeof px) == SRC_OK && memcmp(px, want, sizeof px) == 0,
		      "sample %llu after skips", (unsigned long long)i);
	}
	CHECK(src_read_header(s, &h) == SRC_END, "end");
	CHECK(src_read_header(s, &h) == SRC_END, "end again");
	src_close(s);
	unlink(path);
}

static void
test_stdin_pipe_stream_loses_no_bytes(void)
{
	unsigned char buf[4096];
	struct src *s;

	stdin_pipe(buf, make_stream(buf, sizeof buf));
	CHECK(src_open(&s, "-", NULL) == SRC_OK, "open stdin: %s", src_strerror(s));
	CHECK(strcmp(src_name(s), "<stdin>") == 0, "name %s", src_name(s));
	CHECK(read_all(s) == 0, "records differ");
	src_close(s);
}

static void
test_stdin_pipe_pack_is_refused(void)
{
	unsigned char buf[4096];
	char path[64];
	struct src *s;
	FILE *fp;
	size_t n;

	make_pack(path, 1);
	fp = fopen(path, "rb");
	n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	unlink(path);
	stdin_pipe(buf, n);
	CHECK(src_open(&s, "-", NULL) == SRC_EFAIL, "a pack on a pipe");
	CHECK(src_pack_error(s) == PK_ESEEK, "PK_ESEEK, got %d", src_pack_error(s));
	CHECK(strstr(src_strerror(s), "seekable") != NULL, "message '%s'", src_strerror(s));
	src_close(s);
}

static void
test_stdin_redirected_pack_is_read(void)
{
	char path[64];
	struct src *s;
	FILE *fp;

	make_pack(path, 2);
	fp = freopen(path, "rb", stdin);
	CHECK(fp != NULL, "freopen");
	CHECK(src_open(&s, "-", NULL) == SRC_OK, "open: %s", src_strerror(s));
	CHECK(read_all(s) == 0, "records differ");
	src_close(s);
	unlink(path);
}

static void
test_empty_input_is_an_empty_stream(void)
{
	struct ts_header h;
	char path[64];
	struct src *s;

	write_file(path, "", 0);
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open");
	CHECK(src_read_header(s, &h) == SRC_END, "no records");
	CHECK(src_count(s) == -1, "count");
	src_close(s);
	unlink(path);
}

static void
test_garbage_is_neither(void)
{
	static const char *inputs[] = { "P6\n4 4\n255\n", "PAK", "x" };
	char path[64];
	struct src *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		write_file(path, inputs[i], strlen(inputs[i]));
		CHECK(src_open(&s, path, NULL) == SRC_EFAIL, "input %zu", i);
		CHECK(strstr(src_strerror(s), "not a tensor stream or pack") != NULL, "'%s'",
		      src_strerror(s));
		src_close(s);
		unlink(path);
	}
}

static void
test_missing_file(void)
{
	struct src *s;

	CHECK(src_open(&s, "/nonexistent/x.pack", NULL) == SRC_EFAIL, "missing");
	CHECK(strcmp(src_strerror(s), strerror(ENOENT)) == 0, "'%s'", src_strerror(s));
	CHECK(strcmp(src_where(s), "") == 0, "no record to name: '%s'", src_where(s));
	src_close(s);
	src_close(NULL);
}

static void
test_truncated_stream_is_sticky_and_placed(void)
{
	unsigned char buf[4096], px[H * W * C];
	struct ts_header h;
	char path[64], want[64];
	struct src *s;
	size_t n = make_stream(buf, sizeof buf), rec = n / NREC;

	write_file(path, buf, rec + 20);
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open");
	CHECK(src_read_header(s, &h) == SRC_OK && src_read_payload(s, px, sizeof px) == SRC_OK,
	      "record 1");
	CHECK(src_read_header(s, &h) == SRC_EFAIL, "record 2 is cut");
	CHECK(src_stream_error(s) == TS_ETRUNC, "TS_ETRUNC");
	snprintf(want, sizeof want, "record 2 (byte %zu)", rec);
	CHECK(strcmp(src_where(s), want) == 0, "'%s'", src_where(s));
	CHECK(src_read_header(s, &h) == SRC_EFAIL, "sticky");
	src_close(s);
	unlink(path);
}

static void
test_corrupt_pack_sample_is_skippable(void)
{
	unsigned char px[H * W * C], b;
	struct ts_header h;
	char path[64];
	unsigned char t[8], e[8];
	uint64_t ioff = 0, off = 0;
	struct src *s;
	int fd, i;

	/* flip a byte inside chunk 2 (sample 2, 1-based), whose entry is the
	 * second in the index, found through the trailer as pack(5) says */
	make_pack(path, 1);
	fd = open(path, O_RDWR);
	CHECK(pread(fd, t, 8, lseek(fd, 0, SEEK_END) - 64) == 8, "trailer");
	for (i = 7; i >= 0; i--)
		ioff = ioff << 8 | t[i];
	CHECK(pread(fd, e, 8, (off_t)ioff + 24) == 8, "entry");
	for (i = 7; i >= 0; i--)
		off = off << 8 | e[i];
	CHECK(pread(fd, &b, 1, (off_t)off + 3) == 1, "read byte");
	b ^= 0x55;
	CHECK(pwrite(fd, &b, 1, (off_t)off + 3) == 1, "write byte");
	close(fd);
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open");
	CHECK(src_read_header(s, &h) == SRC_OK && src_read_payload(s, px, sizeof px) == SRC_OK,
	      "sample 1");
	CHECK(src_read_header(s, &h) == SRC_OK, "header 2");
	CHECK(src_read_payload(s, px, sizeof px) == SRC_EBAD, "sample 2 is bad");
	CHECK(src_pack_error(s) == PK_ECRC, "PK_ECRC");
	CHECK(strcmp(src_where(s), "sample 2 (r1.png)") == 0, "'%s'", src_where(s));
	CHECK(strcmp(src_strerror(s), "sample data checksum mismatch") == 0, "'%s'",
	      src_strerror(s));
	CHECK(src_read_header(s, &h) == SRC_OK && src_read_payload(s, px, sizeof px) == SRC_OK,
	      "sample 3 reads after it");
	src_close(s);
	unlink(path);
}

static void
test_payload_size_mismatch_is_not_sticky(void)
{
	unsigned char px[H * W * C];
	struct ts_header h;
	char path[64];
	struct src *s;

	make_pack(path, 1);
	CHECK(src_open(&s, path, NULL) == SRC_OK, "open");
	CHECK(src_read_payload(s, px, sizeof px) == SRC_EFAIL, "payload before header");
	CHECK(src_read_header(s, &h) == SRC_OK, "header");
	CHECK(src_read_payload(s, px, sizeof px - 1) == SRC_EFAIL, "short buffer");
	CHECK(src_read_payload(s, px, sizeof px) == SRC_OK, "right size");
	src_close(s);
	unlink(path);
}

static void
test_limits_apply_to_packs(void)
{
	struct ts_limits lim = { 4, 1 << 20 };
	char path[64];
	struct src *s;

	make_pack(path, 1);
	CHECK(src_open(&s, path, &lim) == SRC_EFAIL, "dimension 5 over 4");
	CHECK(src_pack_error(s) == PK_ELIMIT, "PK_ELIMIT");
	src_close(s);
	unlink(path);
}

int
main(void)
{
	RUN(test_stream_file_reads_in_order);
	RUN(test_pack_file_reads_in_order_any_chunking);
	RUN(test_pack_skip_payload_then_read);
	RUN(test_stdin_pipe_stream_loses_no_bytes);
	RUN(test_stdin_pipe_pack_is_refused);
	RUN(test_stdin_redirected_pack_is_read);
	RUN(test_empty_input_is_an_empty_stream);
	RUN(test_garbage_is_neither);
	RUN(test_missing_file);
	RUN(test_truncated_stream_is_sticky_and_placed);
	RUN(test_corrupt_pack_sample_is_skippable);
	RUN(test_payload_size_mismatch_is_not_sticky);
	RUN(test_limits_apply_to_packs);
	return t_done();
}
