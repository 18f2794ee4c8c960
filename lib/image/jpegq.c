/* jpegq.c: jpeg_quality (jpegq.h). Walks the marker segments from SOI to
 * the first SOS, bounds-checked at every step; nothing is allocated. */
#include "jpegq.h"

/* libjpeg's std_luminance_quant_tbl (jcparam.c), in natural order */
static const unsigned char std_lum[64] = {
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
};

/* the natural position of each entry of a DQT, which is in zigzag order */
static const unsigned char zigzag[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
};

/* q from the sums of a table's entries and of the standard ones where the
 * table is not clipped at 1 or at 255 (baseline tables stop there, so at
 * low and high qualities only the others tell the scale) */
static int
from_sums(unsigned long sum, unsigned long std, int all_ones)
{
	double scale;
	int q;

	if (all_ones || std == 0)
		return 100;
	scale = 100.0 * (double)sum / (double)std;
	q = scale <= 100 ? (int)((200 - scale) / 2 + 0.5) : (int)(5000 / scale + 0.5);
	return q < 1 ? 1 : q > 100 ? 100 : q;
}

int
jpeg_quality(const unsigned char *b, size_t n)
{
	size_t p = 2;

	if (n < 4 || b[0] != 0xFF || b[1] != 0xD8)
		return 0;
	while (p + 4 <= n) {
		unsigned marker, len;
		size_t end;
		if (b[p] != 0xFF)
			return 0;
		marker = b[p + 1];
		if (marker == 0xFF) {   /* fill byte */
			p++;
			continue;
		}
		if (marker == 0xDA || marker == 0xD9)
			return 0;
		len = (unsigned)b[p + 2] << 8 | b[p + 3];
		if (len < 2)
			return 0;
		end = p + 2 + len;
		if (end > n)
			return 0;
		if (marker == 0xDB) {
			size_t t = p + 4;
			while (t < end) {
				unsigned pq = b[t] >> 4, tq = b[t] & 15, i;
				size_t size = 64 * (pq ? 2 : 1);
				unsigned long sum = 0, std = 0;
				int ones = 1;
				if (pq > 1 || t + 1 + size > end)
					return 0;
				for (i = 0; i < 64; i++) {
					unsigned v = pq ? (unsigned)b[t + 1 + 2 * i] << 8 | b[t + 2 + 2 * i]
					                : b[t + 1 + i];
					ones &= v == 1;
					if (v > 1 && v < 255) {
						sum += v;
						std += std_lum[zigzag[i]];
					}
				}
				if (tq == 0)
					return from_sums(sum, std, ones);
				t += 1 + size;
			}
		}
		p = end;
	}
	return 0;
}
