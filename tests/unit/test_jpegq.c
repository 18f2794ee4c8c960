/* test_jpegq.c: jpeg_quality gives back the quality libjpeg wrote at. */
#include <stdio.h>
#include <stdlib.h>

#include "../t.h"
#include "../../lib/image/image.h"
#include "../../lib/image/jpegq.h"

static void
test_quality_of_libjpeg_files_is_recovered(void)
{
	static const int qs[] = { 5, 20, 37, 50, 60, 75, 85, 92, 98, 100 };
	unsigned char px[16 * 16 * 3];
	size_t i, n;

	for (i = 0; i < sizeof px; i++)
		px[i] = (unsigned char)(i * 37 % 251);
	for (i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		char *buf = NULL;
		FILE *fp = open_memstream(&buf, &n);
		int q;
		CHECK(fp && img_write(fp, IMG_JPEG, px, 16, 16, 3, qs[i]) == IMG_OK, "write q %d", qs[i]);
		fclose(fp);
		q = jpeg_quality((unsigned char *)buf, n);
		CHECK(q >= qs[i] - 1 && q <= qs[i] + 1, "wrote at %d, estimated %d", qs[i], q);
		free(buf);
	}
}

static void
test_not_a_jpeg_or_cut_short_is_zero(void)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };
	static const unsigned char cut[] = { 0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 1, 2 };
	static const unsigned char zero_len[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xDB };

	CHECK(jpeg_quality(png, sizeof png) == 0, "a PNG");
	CHECK(jpeg_quality(cut, sizeof cut) == 0, "a DQT cut short");
	CHECK(jpeg_quality(zero_len, sizeof zero_len) == 0, "a segment of length 0");
	CHECK(jpeg_quality(cut, 0) == 0, "nothing");
}

int
main(void)
{
	RUN(test_quality_of_libjpeg_files_is_recovered);
	RUN(test_not_a_jpeg_or_cut_short_is_zero);
	return t_done();
}
