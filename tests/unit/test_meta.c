/* test_meta.c: EXIF, XMP and ICC carried from a photo to its re-encoding. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../t.h"
#include "../../lib/image/image.h"
#include "../../lib/image/meta.h"

/* an encoded 16x16 image of fmt in a malloc'd buffer */
static unsigned char *
encode(enum img_format fmt, size_t *n)
{
	unsigned char px[16 * 16 * 3];
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, n);
	size_t i;

	for (i = 0; i < sizeof px; i++)
		px[i] = (unsigned char)(i * 31 % 253);
	if (!fp || img_write(fp, fmt, px, 16, 16, 3, 90) != IMG_OK)
		abort();
	fclose(fp);
	return (unsigned char *)buf;
}

/* an EXIF APP1 segment, little-endian TIFF, IFD0 holding a make and the
 * orientation o */
static size_t
exif_segment(unsigned char *s, unsigned o)
{
	static const unsigned char tiff[] = {
		'I', 'I', 42, 0, 8, 0, 0, 0,
		2, 0,
		0x0F, 0x01, 2, 0, 4, 0, 0, 0, 'd', 'a', 'e', 0,         /* Make "dae" */
		0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,               /* Orientation */
		0, 0, 0, 0,
	};
	size_t len = 2 + 6 + sizeof tiff;

	memcpy(s, "\xFF\xE1", 2);
	s[2] = (unsigned char)(len >> 8);
	s[3] = (unsigned char)len;
	memcpy(s + 4, "Exif\0\0", 6);
	memcpy(s + 10, tiff, sizeof tiff);
	s[10 + 8 + 2 + 12 + 8] = (unsigned char)o;
	return 2 + len;
}

static size_t
icc_segment(unsigned char *s)
{
	size_t len = 2 + 14 + 40, i;

	memcpy(s, "\xFF\xE2", 2);
	s[2] = 0;
	s[3] = (unsigned char)len;
	memcpy(s + 4, "ICC_PROFILE\0\1\1", 14);
	for (i = 0; i < 40; i++)
		s[18 + i] = (unsigned char)(i * 7);
	return 2 + len;
}

static void
test_jpeg_exif_and_icc_copied_orientation_reset(void)
{
	size_t n1, n2, ne, ni, k;
	unsigned char *a = encode(IMG_JPEG, &n1), *b = encode(IMG_JPEG, &n2);
	unsigned char exif[128], icc[128], *in = malloc(n1 + 256), *want;
	char *out = NULL;
	size_t outlen;
	struct img_meta m;
	FILE *fp;

	ne = exif_segment(exif, 6);
	ni = icc_segment(icc);
	/* SOI, EXIF, ICC, then the rest of a JPEG */
	memcpy(in, a, 2);
	memcpy(in + 2, exif, ne);
	memcpy(in + 2 + ne, icc, ni);
	memcpy(in + 2 + ne + ni, a + 2, n1 - 2);
	CHECK(meta_read(&m, IMG_JPEG, in, n1 + ne + ni) == 0, "read");
	CHECK(m.len == ne + ni, "%zu bytes of metadata, want %zu", m.len, ne + ni);
	want = malloc(ne + ni);
	exif_segment(want, 1);
	memcpy(want + ne, icc, ni);
	CHECK(m.len == ne + ni && memcmp(m.data, want, ne + ni) == 0,
	      "the copy differs from the input with orientation 1");
	fp = open_memstream(&out, &outlen);
	CHECK(meta_splice(fp, IMG_JPEG, b, n2, &m) == 0, "splice");
	fclose(fp);
	/* SOI, the JFIF APP0 as the encoder wrote it, then the metadata */
	k = 4 + ((size_t)b[4] << 8 | b[5]);
	CHECK(outlen == n2 + m.len, "%zu bytes out", outlen);
	CHECK(memcmp(out, b, k) == 0 && memcmp(out + k, want, m.len) == 0 &&
	      memcmp(out + k + m.len, b + k, n2 - k) == 0, "not spliced after APP0");
	meta_free(&m);
	meta_free(&m);
	free(a);
	free(b);
	free(in);
	free(want);
	free(out);
}

static void
test_png_iccp_and_exif_chunks_copied_after_ihdr(void)
{
	size_t n1, n2, k;
	unsigned char *a = encode(IMG_PNG, &n1), *b = encode(IMG_PNG, &n2);
	unsigned char chunk[64], *in = malloc(n1 + 2 * sizeof chunk);
	char *out = NULL;
	size_t outlen, clen = 12 + 20;
	uLong crc;
	struct img_meta m;
	FILE *fp;

	/* an iCCP chunk: 20 bytes of data, the CRC over type and data */
	memset(chunk, 0, sizeof chunk);
	chunk[3] = 20;
	memcpy(chunk + 4, "iCCPsRGB-ish\0\0", 14);
	memcpy(chunk + 18, "\x78\x9c\x03\x00\x00\x00", 6);
	crc = crc32(crc32(0, NULL, 0), chunk + 4, 24);
	chunk[28] = (unsigned char)(crc >> 24);
	chunk[29] = (unsigned char)(crc >> 16);
	chunk[30] = (unsigned char)(crc >> 8);
	chunk[31] = (unsigned char)crc;
	k = 8 + 25;
	memcpy(in, a, k);
	memcpy(in + k, chunk, clen);
	memcpy(in + k + clen, a + k, n1 - k);
	CHECK(meta_read(&m, IMG_PNG, in, n1 + clen) == 0, "read");
	CHECK(m.len == clen && memcmp(m.data, chunk, clen) == 0, "%zu bytes of metadata", m.len);
	fp = open_memstream(&out, &outlen);
	CHECK(meta_splice(fp, IMG_PNG, b, n2, &m) == 0, "splice");
	fclose(fp);
	CHECK(outlen == n2 + clen && memcmp(out, b, k) == 0 && memcmp(out + k, chunk, clen) == 0 &&
	      memcmp(out + k + clen, b + k, n2 - k) == 0, "not spliced after IHDR");
	meta_free(&m);
	free(a);
	free(b);
	free(in);
	free(out);
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
test_png_exif_orientation_reset_and_its_crc_made_again(void)
{
	size_t n1, ne, k = 8 + 25, clen;
	unsigned char *a = encode(IMG_PNG, &n1), seg[128], *in = malloc(n1 + 256), *c;
	struct img_meta m;
	uLong crc;

	/* the TIFF data of an APP1 segment, orientation 6, as an eXIf */
	ne = exif_segment(seg, 6) - 10;
	clen = 12 + ne;
	memcpy(in, a, k);
	c = in + k;
	c[0] = c[1] = c[2] = 0;
	c[3] = (unsigned char)ne;
	memcpy(c + 4, "eXIf", 4);
	memcpy(c + 8, seg + 10, ne);
	crc = crc32(0, c + 4, 4 + (uInt)ne);
	c[8 + ne] = (unsigned char)(crc >> 24);
	c[9 + ne] = (unsigned char)(crc >> 16);
	c[10 + ne] = (unsigned char)(crc >> 8);
	c[11 + ne] = (unsigned char)crc;
	memcpy(in + k + clen, a + k, n1 - k);
	CHECK(meta_read(&m, IMG_PNG, in, n1 + clen) == 0 && m.len == clen, "%zu bytes", m.len);
	CHECK(m.exif && m.orientation == 1, "exif %d orientation %u", m.exif, m.orientation);
	if (m.len == clen) {
		/* only the orientation's value changed, and the CRC with it */
		CHECK(m.data[8 + 8 + 2 + 12 + 8] == 1, "orientation %u", m.data[8 + 8 + 2 + 12 + 8]);
		m.data[8 + 8 + 2 + 12 + 8] = 6;
		CHECK(memcmp(m.data, c, 8 + ne) == 0, "other bytes changed");
		m.data[8 + 8 + 2 + 12 + 8] = 1;
		crc = crc32(0, m.data + 4, 4 + (uInt)ne);
		CHECK(be32(m.data + 8 + ne) == crc, "CRC %08x, want %08lx", be32(m.data + 8 + ne),
		      (unsigned long)crc);
	}
	meta_free(&m);
	free(a);
	free(in);
}

static void
test_orientation_that_does_not_fit_is_copied_as_it_is(void)
{
	unsigned char exif[128], in[256];
	size_t ne = exif_segment(exif, 6);
	struct img_meta m;

	/* two SHORTs where one belongs: not reset */
	exif[10 + 8 + 2 + 12 + 4] = 2;
	memcpy(in, "\xFF\xD8", 2);
	memcpy(in + 2, exif, ne);
	CHECK(meta_read(&m, IMG_JPEG, in, 2 + ne) == 0 && m.len == ne &&
	      memcmp(m.data, exif, ne) == 0, "%zu bytes, changed", m.len);
	CHECK(m.exif && m.orientation == 6, "orientation left %u", m.orientation);
	meta_free(&m);
}

static void
test_segments_past_the_bytes_are_left_out(void)
{
	unsigned char exif[128], in[256];
	size_t ne = exif_segment(exif, 6);
	struct img_meta m;

	memcpy(in, "\xFF\xD8", 2);
	memcpy(in + 2, exif, ne);
	/* cut inside the segment */
	CHECK(meta_read(&m, IMG_JPEG, in, 2 + ne - 1) == 0 && m.len == 0, "%zu bytes", m.len);
	meta_free(&m);
	/* an IFD0 offset past the segment: copied, unchanged */
	exif[10 + 4] = 0xF0;
	memcpy(in + 2, exif, ne);
	CHECK(meta_read(&m, IMG_JPEG, in, 2 + ne) == 0 && m.len == ne &&
	      memcmp(m.data, exif, ne) == 0, "%zu bytes", m.len);
	meta_free(&m);
	CHECK(meta_read(&m, IMG_PPM, in, 2 + ne) == 0 && m.len == 0, "a PPM has none");
}

int
main(void)
{
	RUN(test_jpeg_exif_and_icc_copied_orientation_reset);
	RUN(test_png_iccp_and_exif_chunks_copied_after_ihdr);
	RUN(test_png_exif_orientation_reset_and_its_crc_made_again);
	RUN(test_orientation_that_does_not_fit_is_copied_as_it_is);
	RUN(test_segments_past_the_bytes_are_left_out);
	return t_done();
}
