/* resize.c: resizing 8-bit images (img_resize in image.h), after OpenCV's
 * cv2.resize.
 *
 * It reproduces OpenCV 4's cv2.resize (modules/imgproc/src/resize.cpp:
 * resizeGeneric_ with HResizeLinear/VResizeLinear for INTER_LINEAR,
 * ResizeArea_Invoker and ResizeAreaFast for INTER_AREA), to its bits; it is
 * not a general-purpose filter bank. img_resize_naive is its reference. */
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/tensor.h"

/* SSE2 is part of x86-64; elsewhere the plain loops below do all the work.
 * AVX2, where the CPU has it, takes the horizontal resize of RGB rows. */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2 1
#endif

/* INTER_RESIZE_COEF_BITS: OpenCV's 8-bit linear resize weighs with 11-bit
 * fixed-point coefficients */
#define COEF_BITS 11
#define COEF_ONE (1 << COEF_BITS)

struct tap {
	int d, s;       /* output index, source index */
	float w;
};

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* linear_coef: INTER_LINEAR's geometry for one axis. OpenCV computes the
 * scale as 1 / (dn / sn) in double and the position in float; edge_fix
 * applies its horizontal rule (outside the image the weight goes to the
 * edge pixel). Vertically it keeps the weights and clips the rows. */
static void
linear_coef(int *lo, int *hi, int16_t *w0, int16_t *w1, uint32_t dn, uint32_t sn, int edge_fix)
{
	double scale = 1.0 / ((double)dn / sn);
	uint32_t d;
	float f;
	int s;

	for (d = 0; d < dn; d++) {
		f = (float)((d + 0.5) * scale - 0.5);
		s = (int)floorf(f);
		f -= (float)s;
		if (edge_fix && s < 0) {
			f = 0;
			s = 0;
		}
		if (edge_fix && s >= (int)sn - 1) {
			f = 0;
			s = (int)sn - 1;
		}
		lo[d] = clampi(s, 0, (int)sn - 1);
		hi[d] = clampi(s + 1, 0, (int)sn - 1);
		w0[d] = (int16_t)lrintf((1.f - f) * COEF_ONE);
		w1[d] = (int16_t)lrintf(f * COEF_ONE);
	}
}

/* hresize3: one source row of 3-channel pixels to dw pixels, each value
 * (a * w0 + b * w1) >> 4: OpenCV's HResizeLinear sum, which its
 * VResizeLinear takes >> 4 (so it fits 16 bits). boff holds the byte
 * offsets of a and b, wpair (w0, w1) as 16-bit halves. xsafe is the first
 * output pixel whose right neighbour is the last source pixel: before it, a
 * 4-byte load at either pixel stays inside the row. */
#ifdef HAVE_AVX2
/* hresize3's first n pixels (a multiple of 4), all before xsafe, where b
 * is a's right neighbour: one 8-byte load holds both. Each 128-bit lane
 * takes one pixel, its bytes shuffled into (a_c, b_c) 16-bit pairs for
 * one multiply-add with (w0, w1): the same sums as the SSE2 loop, twice
 * the pixels a turn. Stores as there: 4 values a pixel, the 4th junk. */
__attribute__((target("avx2"))) static void
hresize3_avx2(int16_t *out, const unsigned char *src, const size_t *boff,
              const int32_t *wpair, uint32_t n)
{
	const __m256i pairs = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1,
	                                       -1, 0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1,
	                                       -1, -1);
	uint32_t x;

#define PIXEL(k) _mm_loadl_epi64((const __m128i *)(const void *)(src + boff[2 * (x + (k))]))
	for (x = 0; x < n; x += 4, out += 12) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(wpair + x)), lo, hi;
		__m256i v01 = _mm256_inserti128_si256(_mm256_castsi128_si256(PIXEL(0)), PIXEL(1), 1);
		__m256i v23 = _mm256_inserti128_si256(_mm256_castsi128_si256(PIXEL(2)), PIXEL(3), 1);
		__m256i w01 = _mm256_inserti128_si256(
			_mm256_castsi128_si256(_mm_shuffle_epi32(w, 0x00)), _mm_shuffle_epi32(w, 0x55), 1);
		__m256i w23 = _mm256_inserti128_si256(
			_mm256_castsi128_si256(_mm_shuffle_epi32(w, 0xaa)), _mm_shuffle_epi32(w, 0xff), 1);
		v01 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v01, pairs), w01), 4);
		v23 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v23, pairs), w23), 4);
		/* lanes: (pixel 0, pixel 2), (pixel 1, pixel 3) */
		v01 = _mm256_packs_epi32(v01, v23);
		lo = _mm256_castsi256_si128(v01);
		hi = _mm256_extracti128_si256(v01, 1);
		_mm_storel_epi64((__m128i *)(void *)out, lo);
		_mm_storel_epi64((__m128i *)(void *)(out + 3), hi);
		_mm_storel_epi64((__m128i *)(void *)(out + 6), _mm_unpackhi_epi64(lo, lo));
		_mm_storel_epi64((__m128i *)(void *)(out + 9), _mm_unpackhi_epi64(hi, hi));
	}
#undef PIXEL
}
#endif

static void
hresize3(int16_t *out, const unsigned char *src, const int *lo, const int *hi,
         const int16_t *w0, const int16_t *w1, const size_t *boff, const int32_t *wpair,
         uint32_t dw, uint32_t xsafe)
{
	const unsigned char *a, *b;
	uint32_t x = 0;
	int p, q;

#ifdef HAVE_AVX2
	/* before xsafe, b is always a's right neighbour (see linear_coef) */
	if (t_cpu_avx2()) {
		x = xsafe & ~3u;
		hresize3_avx2(out, src, boff, wpair, x);
		out += 3 * (size_t)x;
	}
#endif
#ifdef __SSE2__
	/* as OpenCV's HResizeLinearVec_8u32s: pixel pairs (a_c, b_c) as 16-bit
	 * lanes, one multiply-add with (w0, w1) per channel, 2 pixels a turn.
	 * Each pixel stores 4 values; the 4th is junk that the next pixel
	 * overwrites (rows have room for one more at the end). */
	const __m128i zero = _mm_setzero_si128();
	const uint32_t end = xsafe & ~1u;
	uint32_t v;

	for (; x < end; x += 2, out += 6) {
		__m128i a0, b0, a1, b1, m0, m1, d0, d1, w;

		memcpy(&v, src + boff[2 * x], 4);
		a0 = _mm_cvtsi32_si128((int)v);
		memcpy(&v, src + boff[2 * x + 1], 4);
		b0 = _mm_cvtsi32_si128((int)v);
		memcpy(&v, src + boff[2 * x + 2], 4);
		a1 = _mm_cvtsi32_si128((int)v);
		memcpy(&v, src + boff[2 * x + 3], 4);
		b1 = _mm_cvtsi32_si128((int)v);
		w = _mm_loadl_epi64((const __m128i *)(const void *)(wpair + x));
		m0 = _mm_unpacklo_epi8(_mm_unpacklo_epi8(a0, b0), zero);
		m1 = _mm_unpacklo_epi8(_mm_unpacklo_epi8(a1, b1), zero);
		d0 = _mm_srai_epi32(_mm_madd_epi16(m0, _mm_shuffle_epi32(w, 0x00)), 4);
		d1 = _mm_srai_epi32(_mm_madd_epi16(m1, _mm_shuffle_epi32(w, 0x55)), 4);
		d0 = _mm_packs_epi32(d0, d1);
		_mm_storel_epi64((__m128i *)(void *)out, d0);
		_mm_storel_epi64((__m128i *)(void *)(out + 3), _mm_unpackhi_epi64(d0, d0));
	}
#else
	(void)boff;
	(void)wpair;
	(void)xsafe;
#endif
	for (; x < dw; x++, out += 3) {
		a = src + lo[x] * 3;
		b = src + hi[x] * 3;
		p = w0[x];
		q = w1[x];
		out[0] = (int16_t)((a[0] * p + b[0] * q) >> 4);
		out[1] = (int16_t)((a[1] * p + b[1] * q) >> 4);
		out[2] = (int16_t)((a[2] * p + b[2] * q) >> 4);
	}
}

static void
hresize_n(int16_t *out, const unsigned char *src, const int *lo, const int *hi,
          const int16_t *w0, const int16_t *w1, uint32_t dw, unsigned ch)
{
	uint32_t x;
	unsigned c;

	for (x = 0; x < dw; x++)
		for (c = 0; c < ch; c++)
			*out++ = (int16_t)((src[lo[x] * (int)ch + (int)c] * w0[x] +
			                    src[hi[x] * (int)ch + (int)c] * w1[x]) >> 4);
}

/* vresize: OpenCV's VResizeLinear<uchar, int, short, FixedPtCast<..., 22>>,
 * ((b0 * s0) >> 16) + ((b1 * s1) >> 16) rounded by (+ 2) >> 2, with its
 * VResizeLinearVec_32s8u's 16-bit multiply-highs */
static void
vresize(unsigned char *dst, const int16_t *s0, const int16_t *s1, int b0, int b1, size_t n)
{
	size_t i = 0;
	int v;

#ifdef __SSE2__
	const __m128i vb0 = _mm_set1_epi16((short)b0), vb1 = _mm_set1_epi16((short)b1);
	const __m128i two = _mm_set1_epi16(2);

	for (; i + 16 <= n; i += 16) {
		__m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(s0 + i));
		__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(s0 + i + 8));
		__m128i y0 = _mm_loadu_si128((const __m128i *)(const void *)(s1 + i));
		__m128i y1 = _mm_loadu_si128((const __m128i *)(const void *)(s1 + i + 8));

		x0 = _mm_add_epi16(_mm_mulhi_epi16(x0, vb0), _mm_mulhi_epi16(y0, vb1));
		x1 = _mm_add_epi16(_mm_mulhi_epi16(x1, vb0), _mm_mulhi_epi16(y1, vb1));
		x0 = _mm_srai_epi16(_mm_add_epi16(x0, two), 2);
		x1 = _mm_srai_epi16(_mm_add_epi16(x1, two), 2);
		_mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_packus_epi16(x0, x1));
	}
#endif
	for (; i < n; i++) {
		v = (((b0 * s0[i]) >> 16) + ((b1 * s1[i]) >> 16) + 2) >> 2;
		dst[i] = (unsigned char)(v > 255 ? 255 : v);
	}
}

struct lin_scratch {
	int *xlo, *xhi, *ylo, *yhi;
	size_t *xoff;           /* byte offsets of the 3-channel pixels lo, hi */
	int32_t *xpair;         /* (w0, w1) as two 16-bit halves */
	int16_t *xw0, *xw1, *yw0, *yw1, *row[2];
};

static size_t
lin_layout(struct lin_scratch *s, void *base, uint32_t dh, uint32_t dw, unsigned ch)
{
	char *p = base;
	size_t n = 0;

#define CARVE(ptr, count) do { \
		if (p) (ptr) = (void *)(p + n); \
		n += (size_t)(count) * sizeof *(ptr); \
	} while (0)
	CARVE(s->xoff, 2 * (size_t)dw);
	CARVE(s->xlo, dw);
	CARVE(s->xhi, dw);
	CARVE(s->ylo, dh);
	CARVE(s->yhi, dh);
	CARVE(s->xpair, dw);
	CARVE(s->xw0, dw);
	CARVE(s->xw1, dw);
	CARVE(s->yw0, dh);
	CARVE(s->yw1, dh);
	n = (n + 15) & ~(size_t)15;
	CARVE(s->row[0], (size_t)dw * ch + 1);
	n = (n + 15) & ~(size_t)15;
	CARVE(s->row[1], (size_t)dw * ch + 1);
#undef CARVE
	return n;
}

static void
resize_linear(unsigned char *dst, uint32_t dh, uint32_t dw, const unsigned char *src,
              uint32_t sh, uint32_t sw, unsigned ch, void *scratch)
{
	struct lin_scratch s;
	size_t srow = (size_t)sw * ch, drow = (size_t)dw * ch;
	int have[2] = { -1, -1 }, need2[2], slot[2], k, j;
	uint32_t y, x, xsafe;

	lin_layout(&s, scratch, dh, dw, ch);
	linear_coef(s.xlo, s.xhi, s.xw0, s.xw1, dw, sw, 1);
	linear_coef(s.ylo, s.yhi, s.yw0, s.yw1, dh, sh, 0);
	for (x = 0, xsafe = dw; x < dw; x++) {
		s.xpair[x] = (int32_t)((uint32_t)(uint16_t)s.xw0[x] | (uint32_t)(uint16_t)s.xw1[x] << 16);
		s.xoff[2 * x] = (size_t)s.xlo[x] * 3;
		s.xoff[2 * x + 1] = (size_t)s.xhi[x] * 3;
		if (xsafe == dw && s.xhi[x] >= (int)sw - 1)
			xsafe = x;
	}
	for (y = 0; y < dh; y++) {
		/* each source row is resized across once: keep the last two */
		need2[0] = s.ylo[y];
		need2[1] = s.yhi[y];
		for (k = 0; k < 2; k++) {
			slot[k] = have[0] == need2[k] ? 0 : have[1] == need2[k] ? 1 : -1;
			if (slot[k] >= 0)
				continue;
			/* overwrite the slot the other row does not use */
			if (k == 1)
				j = 1 - slot[0];
			else
				j = have[0] == need2[1] ? 1 : 0;
			if (ch == 3)
				hresize3(s.row[j], src + (size_t)need2[k] * srow, s.xlo, s.xhi,
				         s.xw0, s.xw1, s.xoff, s.xpair, dw, xsafe);
			else
				hresize_n(s.row[j], src + (size_t)need2[k] * srow, s.xlo, s.xhi,
				          s.xw0, s.xw1, dw, ch);
			have[j] = need2[k];
			slot[k] = j;
		}
		vresize(dst + y * drow, s.row[slot[0]], s.row[slot[1]], s.yw0[y], s.yw1[y], drow);
	}
}

/* area_taps: OpenCV's computeResizeAreaTab, the share of each source
 * pixel in each output pixel of a shrinking axis; returns the count
 * (at most 2 * sn) */
static size_t
area_taps(struct tap *t, uint32_t dn, uint32_t sn)
{
	double scale = 1.0 / ((double)dn / sn), fs1, fs2, cell;
	size_t k = 0;
	uint32_t d;
	int s, s1, s2;

	for (d = 0; d < dn; d++) {
		fs1 = d * scale;
		fs2 = fs1 + scale;
		cell = fmin(scale, sn - fs1);
		s1 = (int)ceil(fs1);
		s2 = (int)floor(fs2);
		s2 = s2 < (int)sn - 1 ? s2 : (int)sn - 1;
		s1 = s1 < s2 ? s1 : s2;
		if (s1 - fs1 > 1e-3)
			t[k++] = (struct tap){ (int)d, s1 - 1, (float)((s1 - fs1) / cell) };
		for (s = s1; s < s2; s++)
			t[k++] = (struct tap){ (int)d, s, (float)(1.0 / cell) };
		if (fs2 - s2 > 1e-3)
			t[k++] = (struct tap){ (int)d, s2, (float)(fmin(fmin(fs2 - s2, 1.), cell) / cell) };
	}
	return k;
}

/* linear_taps: the bilinear taps of a growing axis for IMG_AREA, with
 * INTER_LINEAR's geometry and horizontal edge rule, as floats */
static size_t
linear_taps(struct tap *t, uint32_t dn, uint32_t sn)
{
	double scale = 1.0 / ((double)dn / sn);
	size_t k = 0;
	uint32_t d;
	float f;
	int s;

	for (d = 0; d < dn; d++) {
		f = (float)((d + 0.5) * scale - 0.5);
		s = (int)floorf(f);
		f -= (float)s;
		if (s < 0) {
			f = 0;
			s = 0;
		}
		if (s >= (int)sn - 1) {
			f = 0;
			s = (int)sn - 1;
		}
		t[k++] = (struct tap){ (int)d, s, 1.f - f };
		if (f != 0)
			t[k++] = (struct tap){ (int)d, s + 1, f };
	}
	return k;
}

static size_t
ntaps_max(uint32_t dn, uint32_t sn)
{
	return 2 * (size_t)(dn > sn ? dn : sn) + 2;
}

static size_t
area_layout(struct tap **xt, struct tap **yt, float **buf, float **sum, void *base,
            uint32_t dh, uint32_t dw, uint32_t sh, uint32_t sw, unsigned ch)
{
	char *p = base;
	size_t n = 0;

#define CARVE(ptr, count) do { \
		if (p) *(ptr) = (void *)(p + n); \
		n += (size_t)(count) * sizeof **(ptr); \
	} while (0)
	CARVE(xt, ntaps_max(dw, sw));
	CARVE(yt, ntaps_max(dh, sh));
	CARVE(buf, (size_t)dw * ch);
	CARVE(sum, (size_t)dw * ch);
#undef CARVE
	return n;
}

static int
is_integer_scale(uint32_t dn, uint32_t sn, int *k)
{
	double scale = 1.0 / ((double)dn / sn);
	int i = (int)lrint(scale);

	*k = i;
	return fabs(scale - i) < 2.220446049250313e-16;
}

/* area_fast: OpenCV's ResizeAreaFast for whole-number factors kx, ky. The
 * 2 x 2 case is ResizeAreaFastVec's (sum + 2) >> 2, in its SIMD body and
 * its scalar tail alike; others are cvRound(sum * (1.f / area)), which
 * rounds half to even. */
static void
area_fast(unsigned char *dst, uint32_t dh, uint32_t dw, const unsigned char *src,
          uint32_t sw, unsigned ch, int kx, int ky)
{
	size_t srow = (size_t)sw * ch, i;
	float scale = 1.f / (float)(kx * ky);
	uint32_t y, x;
	int a, b, sum;
	unsigned c;

	for (y = 0; y < dh; y++)
		for (x = 0; x < dw; x++)
			for (c = 0; c < ch; c++) {
				const unsigned char *s = src + (size_t)y * ky * srow +
				                         (size_t)x * kx * ch + c;

				sum = 0;
				for (b = 0; b < ky; b++)
					for (a = 0; a < kx; a++)
						sum += s[(size_t)b * srow + (size_t)a * ch];
				i = ((size_t)y * dw + x) * ch + c;
				if (kx == 2 && ky == 2)
					dst[i] = (unsigned char)((sum + 2) >> 2);
				else
					dst[i] = (unsigned char)clampi((int)lrintf((float)sum * scale), 0, 255);
			}
}

/* area_row sums one source row across into buf, tap by tap */
static void
area_row(float *buf, const unsigned char *s, const struct tap *xt, size_t nx, size_t n,
         unsigned ch)
{
	size_t i, k;
	unsigned c;

	for (i = 0; i < n; i++)
		buf[i] = 0;
	if (ch == 3) {
		for (k = 0; k < nx; k++) {
			float a = xt[k].w;
			float *b = buf + (size_t)xt[k].d * 3;
			const unsigned char *p = s + (size_t)xt[k].s * 3;

			b[0] = b[0] + p[0] * a;
			b[1] = b[1] + p[1] * a;
			b[2] = b[2] + p[2] * a;
		}
		return;
	}
	for (k = 0; k < nx; k++) {
		float a = xt[k].w;
		float *b = buf + (size_t)xt[k].d * ch;
		const unsigned char *p = s + (size_t)xt[k].s * ch;

		for (c = 0; c < ch; c++)
			b[c] = b[c] + p[c] * a;
	}
}

/* resize_area: OpenCV's ResizeArea_Invoker, in its float arithmetic and
 * order of operations: a row's taps are summed across into buf, rows are
 * weighed into sum, and an output row is rounded when the next begins */
static void
resize_area(unsigned char *dst, uint32_t dh, uint32_t dw, const unsigned char *src,
            uint32_t sh, uint32_t sw, unsigned ch, void *scratch)
{
	struct tap *xt, *yt;
	float *buf, *sum;
	size_t nx, ny, j, n = (size_t)dw * ch, i;
	int prev;

	area_layout(&xt, &yt, &buf, &sum, scratch, dh, dw, sh, sw, ch);
	nx = dw <= sw ? area_taps(xt, dw, sw) : linear_taps(xt, dw, sw);
	ny = dh <= sh ? area_taps(yt, dh, sh) : linear_taps(yt, dh, sh);
	for (i = 0; i < n; i++)
		sum[i] = 0;
	prev = yt[0].d;
	for (j = 0; j < ny; j++) {
		const unsigned char *s = src + (size_t)yt[j].s * sw * ch;
		float beta = yt[j].w;

		/* a source row across two output rows is summed across once */
		if (j == 0 || yt[j].s != yt[j - 1].s)
			area_row(buf, s, xt, nx, n, ch);
		if (yt[j].d != prev) {
			unsigned char *d = dst + (size_t)prev * n;

			for (i = 0; i < n; i++) {
				d[i] = (unsigned char)clampi((int)lrintf(sum[i]), 0, 255);
				sum[i] = beta * buf[i];
			}
			prev = yt[j].d;
		} else {
			for (i = 0; i < n; i++)
				sum[i] += beta * buf[i];
		}
	}
	for (i = 0; i < n; i++)
		dst[(size_t)prev * n + i] = (unsigned char)clampi((int)lrintf(sum[i]), 0, 255);
}

static enum img_err
resize_args(uint32_t dh, uint32_t dw, uint32_t sh, uint32_t sw, unsigned ch,
            enum img_filter filter)
{
	if (!dh || !dw || !sh || !sw || dh > IMG_MAX_DIM || dw > IMG_MAX_DIM ||
	    sh > IMG_MAX_DIM || sw > IMG_MAX_DIM || ch < 1 || ch > 4 ||
	    (filter != IMG_LINEAR && filter != IMG_AREA))
		return IMG_EARG;
	return IMG_OK;
}

/* the cases that need no scratch: a copy, and OpenCV's whole-number area
 * shortcut (which INTER_LINEAR also takes at exactly 2 x 2) */
static int
resize_direct(uint32_t dh, uint32_t dw, uint32_t sh, uint32_t sw, enum img_filter filter,
              int *kx, int *ky)
{
	if (dh == sh && dw == sw)
		return 1;
	if (!is_integer_scale(dw, sw, kx) || !is_integer_scale(dh, sh, ky))
		return 0;
	if (filter == IMG_LINEAR)
		return *kx == 2 && *ky == 2;
	return *kx >= 1 && *ky >= 1;
}

size_t
img_resize_scratch(uint32_t dh, uint32_t dw, uint32_t sh, uint32_t sw, unsigned ch,
                   enum img_filter filter)
{
	struct lin_scratch s;
	struct tap *xt, *yt;
	float *b, *u;
	int kx, ky;

	if (resize_args(dh, dw, sh, sw, ch, filter) != IMG_OK ||
	    resize_direct(dh, dw, sh, sw, filter, &kx, &ky))
		return 0;
	if (filter == IMG_AREA && (dh <= sh || dw <= sw))
		return area_layout(&xt, &yt, &b, &u, NULL, dh, dw, sh, sw, ch);
	return lin_layout(&s, NULL, dh, dw, ch);
}

enum img_err
img_resize(unsigned char *dst, uint32_t dh, uint32_t dw, const unsigned char *src,
           uint32_t sh, uint32_t sw, unsigned ch, enum img_filter filter,
           void *scratch, size_t size)
{
	size_t want;
	void *own = NULL;
	int kx, ky;
	enum img_err e;

	if ((e = resize_args(dh, dw, sh, sw, ch, filter)) != IMG_OK)
		return e;
	if (resize_direct(dh, dw, sh, sw, filter, &kx, &ky)) {
		if (dh == sh && dw == sw)
			memcpy(dst, src, (size_t)sh * sw * ch);
		else
			area_fast(dst, dh, dw, src, sw, ch, kx, ky);
		return IMG_OK;
	}
	want = img_resize_scratch(dh, dw, sh, sw, ch, filter);
	if (!scratch) {
		if (!(own = scratch = malloc(want)))
			return IMG_ENOMEM;
	} else if (size < want) {
		return IMG_EARG;
	}
	/* OpenCV's INTER_AREA averages only when neither axis grows; we also
	 * average an axis that shrinks while the other grows */
	if (filter == IMG_AREA && (dh <= sh || dw <= sw))
		resize_area(dst, dh, dw, src, sh, sw, ch, scratch);
	else
		resize_linear(dst, dh, dw, src, sh, sw, ch, scratch);
	free(own);
	return IMG_OK;
}

/* naive_weights: one axis in double precision. Linear: half-pixel centres,
 * OpenCV's horizontal edge rule when edge_fix, else rows clipped with the
 * weights kept. Area (shrinking): the exact overlap of each source pixel
 * with the output pixel's footprint. w is dn x sn, dense. */
static void
naive_weights(double *w, uint32_t dn, uint32_t sn, int area, int edge_fix)
{
	double scale = (double)sn / dn, f, lo, hi, ov;
	uint32_t d, s;
	int i;

	memset(w, 0, sizeof *w * dn * sn);
	for (d = 0; d < dn; d++) {
		if (area) {
			lo = d * scale;
			hi = lo + scale;
			for (s = (uint32_t)floor(lo); s < sn && s < hi; s++) {
				ov = fmin(hi, s + 1.0) - fmax(lo, (double)s);
				if (ov > 0)
					w[(size_t)d * sn + s] += ov / scale;
			}
			continue;
		}
		f = (d + 0.5) * scale - 0.5;
		i = (int)floor(f);
		f -= i;
		if (edge_fix && i < 0) {
			i = 0;
			f = 0;
		}
		if (edge_fix && i >= (int)sn - 1) {
			i = (int)sn - 1;
			f = 0;
		}
		w[(size_t)d * sn + clampi(i, 0, (int)sn - 1)] += 1 - f;
		w[(size_t)d * sn + clampi(i + 1, 0, (int)sn - 1)] += f;
	}
}

enum img_err
img_resize_naive(unsigned char *dst, uint32_t dh, uint32_t dw, const unsigned char *src,
                 uint32_t sh, uint32_t sw, unsigned ch, enum img_filter filter)
{
	double *wx, *wy, v;
	uint32_t y, x, sy, sx;
	unsigned c;
	int area = filter == IMG_AREA && (dh <= sh || dw <= sw);
	enum img_err e;

	if ((e = resize_args(dh, dw, sh, sw, ch, filter)) != IMG_OK)
		return e;
	wx = malloc(sizeof *wx * dw * sw);
	wy = malloc(sizeof *wy * dh * sh);
	if (!wx || !wy) {
		free(wx);
		free(wy);
		return IMG_ENOMEM;
	}
	naive_weights(wx, dw, sw, area && dw <= sw, 1);
	naive_weights(wy, dh, sh, area && dh <= sh, area);
	for (y = 0; y < dh; y++)
		for (x = 0; x < dw; x++)
			for (c = 0; c < ch; c++) {
				v = 0;
				for (sy = 0; sy < sh; sy++) {
					if (wy[(size_t)y * sh + sy] == 0)
						continue;
					for (sx = 0; sx < sw; sx++)
						v += wy[(size_t)y * sh + sy] * wx[(size_t)x * sw + sx] *
						     src[((size_t)sy * sw + sx) * ch + c];
				}
				dst[((size_t)y * dw + x) * ch + c] =
					(unsigned char)clampi((int)floor(v + 0.5), 0, 255);
			}
	free(wx);
	free(wy);
	return IMG_OK;
}
