/* fuzz_pack.c: libFuzzer target for the pack reader (lib/io/pack.c) and the
 * in-order reader over it (lib/io/source.c).
 *
 * A pack is read with pread, so the input goes to a temporary file first
 * (fmemopen has no file descriptor). It is then opened twice: with pk_open
 * and small limits, reading every sample with pk_read and every chunk with
 * pk_read_chunk, as daetrain does; and with src_open, reading every record
 * in order, as packtensor -x and daeinfer do (src_open applies pack.h's
 * default chunk and index limits, so this is also where a tiny file that
 * claims huge chunks would make a reader allocate). A sample error must
 * concern that sample only: later samples are still read.
 * Mutations rarely keep a CRC right, so each input is read twice: as it is,
 * and with the trailer, index and chunk CRCs recomputed where the trailer
 * and index say they are, which lets mutated fields reach the checks after
 * the checksums.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../lib/io/pack.h"
#include "../../lib/io/source.h"
#include "fuzz.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_open("fuzz_pack");
	return 0;
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/* recompute the CRCs of pack(5) in d (n bytes) wherever the trailer and the
 * index point inside the file; fields out of range are left for the reader */
static void
fix_crcs(unsigned char *d, size_t n)
{
	unsigned char *t, *e;
	uint64_t ioff, isize, off, size, i;

	if (n < PK_HEAD_SIZE + PK_TRAILER_SIZE)
		return;
	t = d + n - PK_TRAILER_SIZE;
	ioff = get_u64(t);
	isize = get_u64(t + 8);
	if (ioff <= n && isize <= n - ioff) {
		for (i = 0; i + PK_CHUNK_ENTRY_SIZE <= isize; i += PK_CHUNK_ENTRY_SIZE) {
			e = d + ioff + i;
			off = get_u64(e);
			size = get_u64(e + 8);
			if (off > n || size > n - off)
				break;
			put_u32(e + 16, (uint32_t)crc32(0, d + off, (uInt)size));
		}
		put_u32(t + 28, (uint32_t)crc32(0, d + ioff, (uInt)isize));
	}
	put_u32(t + 56, (uint32_t)crc32(0, t, 56));
}

static void
read_pack(void)
{
	const struct pk_limits lim = { 1u << 16, 1u << 20, 4u << 20, 1u << 20 };
	struct pk_reader *p;
	struct ts_header h;
	struct pk_stat st;
	unsigned char *buf, *chunk, *scratch;
	uint64_t i, c, k;
	size_t n;

	if (pk_open(&p, fuzz_path, &lim) != PK_OK) {
		REQUIRE(p == NULL);
		return;
	}
	pk_stat(p, &st);
	n = pk_sample_size(p);
	REQUIRE(n > 0 && n <= (1u << 20));
	REQUIRE(pk_count(p) >= 1 && pk_count(p) <= st.file_bytes);
	REQUIRE((buf = malloc(n)) && (scratch = malloc(pk_scratch_size(p) + 1)));
	/* a file of a few KiB may hold thousands of empty-named samples; a few
	 * hundred are enough to reach every code path */
	for (i = 0; i < pk_count(p) && i < 300; i++) {
		REQUIRE(pk_sample_header(p, i, &h) == PK_OK);
		REQUIRE(ts_check_header(&h, NULL) == TS_OK);
		(void)pk_read(p, i, buf, n);
		(void)pk_read_with(p, i, buf, n, scratch, pk_scratch_size(p));
	}
	REQUIRE(pk_sample_header(p, pk_count(p), &h) == PK_ERANGE);
	for (c = 0; c < pk_chunk_count(p) && c < 300; c++) {
		k = pk_chunk_samples(p, c);
		REQUIRE(k >= 1 && k <= st.chunk_samples);
		REQUIRE(k * n <= lim.max_chunk);
		REQUIRE((chunk = malloc((size_t)(k * n))));
		(void)pk_read_chunk(p, c, chunk, (size_t)(k * n), NULL, 0);
		free(chunk);
	}
	free(buf);
	free(scratch);
	pk_close(p);
}

static void
read_source(void)
{
	const struct ts_limits lim = { 1u << 16, 1u << 20 };
	struct src *s;
	struct ts_header h;
	unsigned char *buf = NULL;
	size_t n, cap = 0, nread = 0;
	enum src_err e;

	if (src_open(&s, fuzz_path, &lim) != SRC_OK) {
		src_close(s);
		return;
	}
	while (nread++ < 300 && (e = src_read_header(s, &h)) == SRC_OK) {
		n = ts_payload_size(&h);
		REQUIRE(n > 0 && n <= lim.max_bytes);
		if (n > cap) {
			free(buf);
			REQUIRE((buf = malloc(n)));
			cap = n;
		}
		e = src_read_payload(s, buf, n);
		REQUIRE(e == SRC_OK || e == SRC_EBAD || e == SRC_EFAIL);
		if (e == SRC_EFAIL)
			break;
		(void)src_where(s);
	}
	(void)src_strerror(s);
	free(buf);
	src_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;

	fuzz_file_put(data, size);
	read_pack();
	read_source();
	REQUIRE((copy = malloc(size ? size : 1)));
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	fuzz_file_put(copy, size);
	read_pack();
	read_source();
	free(copy);
	return 0;
}
