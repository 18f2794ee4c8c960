/* tensor_avx2.c: the AVX2 + FMA kernels. The file builds for any x86-64
 * without -march flags: each function carries target("avx2,fma") and the
 * layers call them only when t_cpu_avx2() says the CPU has both. On other
 * machines or compilers the kernels are absent and t_cpu_avx2() is 0.
 * Every kernel here has a plain-C twin or reference in the layer that uses
 * it, which the tests compare it against (test_nn's *_paths_agree).
 *
 * The convolutions work on a flat band (struct t_flat in tensor.h): output
 * pixel (r, x) of the band is flat pixel q = r * pw + x, and its tap t reads
 * flat input pixel q + off[t] / cs. Blocks of pixels run straight across row
 * ends; the pw - ow pixels past each row's end are computed and dropped.
 * So every pixel, border or not, goes through the same register-blocked
 * loop and is summed in the same order whatever the band, tile or thread
 * count.
 *
 * AMD Zen 1, the machine these were tuned on, splits every 256-bit operation
 * in two and peaks at one 8-wide FMA a cycle; the register blocks aim at
 * 12 FMAs per 8 or fewer loads, using 15 of the 16 ymm registers. */
#include "tensor.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))

int
t_cpu_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* lanes 0 .. n-1 on, n in 0 .. 8 */
static inline AVX2 __m256i
mask8(size_t n)
{
	static const int32_t m[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

	return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

/* e^x for x in about -87 .. 88, Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2,
 * e^r by a degree-7 polynomial, 2^n put into the exponent bits; about 2
 * ulp, against expf's 1 */
static inline AVX2 __m256
exp8(__m256 x)
{
	__m256 n, r, p;
	__m256i e;

	x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
	n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
	                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
	p = _mm256_set1_ps(1.9875691500e-4f);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
	p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
	e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
	return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline AVX2 __m256
act8(__m256 v, int act)
{
	if (act == T_RELU)
		return _mm256_max_ps(v, _mm256_setzero_ps());
	if (act == T_SIGMOID) {
		__m256 one = _mm256_set1_ps(1.0f);
		return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), v))));
	}
	return v;
}

/* dst[0 .. n) = v, or += v; n in 0 .. 8. A partial vector goes through
 * the stack: vmaskmovps stores are microcoded and slow on AMD Zen */
static inline AVX2 void
put8(float *dst, __m256 v, size_t n, int add)
{
	float t[8];
	size_t i;

	if (n >= 8) {
		if (add)
			v = _mm256_add_ps(v, _mm256_loadu_ps(dst));
		_mm256_storeu_ps(dst, v);
		return;
	}
	_mm256_storeu_ps(t, v);
	for (i = 0; i < n; i++)
		dst[i] = add ? dst[i] + t[i] : t[i];
}

static inline AVX2 __m256
get8(const float *src, size_t n)
{
	return n >= 8 ? _mm256_loadu_ps(src) : n > 0 ? _mm256_maskload_ps(src, mask8(n))
	                                             : _mm256_setzero_ps();
}

/* dst = f(src) */
AVX2 void
t_act_avx2(float *dst, const float *src, size_t n, int act)
{
	size_t i;

	for (i = 0; i < n; i += 8) {
		size_t m = n - i < 8 ? n - i : 8;
		put8(dst + i, act8(get8(src + i, m), act), m, 0);
	}
}

/* dst = src f'(x), or += that, f' written in terms of f's output y */
AVX2 void
t_act_grad_avx2(float *dst, const float *src, const float *y, size_t n, int act, int add)
{
	__m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
	size_t i;

	for (i = 0; i < n; i += 8) {
		size_t m = n - i < 8 ? n - i : 8;
		__m256 s = get8(src + i, m), v = get8(y + i, m);
		if (act == T_RELU)
			s = _mm256_and_ps(s, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
		else if (act == T_SIGMOID)
			s = _mm256_mul_ps(s, _mm256_mul_ps(v, _mm256_sub_ps(one, v)));
		put8(dst + i, s, m, add);
	}
}

/* dst += src */
AVX2 void
t_add_avx2(float *dst, const float *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 8) {
		size_t m = n - i < 8 ? n - i : 8;
		put8(dst + i, get8(src + i, m), m, 1);
	}
}

/* upsampling's gradient for a factor of 2, one input row: d (nx, c) += the
 * sum of each 2 x 2 block of the two gradient rows r0, r1 (2 nx, c) */
AVX2 void
t_sumpool2_avx2(float *d, const float *r0, const float *r1, size_t nx, size_t c)
{
	size_t x, k;

	for (x = 0; x < nx; x++, r0 += 2 * c, r1 += 2 * c, d += c)
		for (k = 0; k < c; k += 8) {
			size_t m = c - k < 8 ? c - k : 8;
			__m256 a = _mm256_add_ps(get8(r0 + k, m), get8(r0 + c + k, m));
			__m256 b = _mm256_add_ps(get8(r1 + k, m), get8(r1 + c + k, m));
			put8(d + k, _mm256_add_ps(a, b), m, 1);
		}
}

/* sum[j] += sum over r < rows of x[r * ld + j], for j < n */
AVX2 void
t_colsum_avx2(float *sum, const float *x, size_t rows, size_t ld, size_t n)
{
	size_t j, r;

	for (j = 0; j < n; j += 32) {
		size_t m = n - j < 32 ? n - j : 32;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (r = 0; r < rows; r++) {
			const float *p = x + r * ld + j;
			a0 = _mm256_add_ps(a0, get8(p, m));
			if (m > 8)
				a1 = _mm256_add_ps(a1, get8(p + 8, m - 8));
			if (m > 16)
				a2 = _mm256_add_ps(a2, get8(p + 16, m - 16 < 8 ? m - 16 : 8));
			if (m > 24)
				a3 = _mm256_add_ps(a3, get8(p + 24, m - 24));
		}
		put8(sum + j, a0, m < 8 ? m : 8, 1);
		put8(sum + j + 8, a1, m > 8 ? (m - 8 < 8 ? m - 8 : 8) : 0, 1);
		put8(sum + j + 16, a2, m > 16 ? (m - 16 < 8 ? m - 16 : 8) : 0, 1);
		put8(sum + j + 24, a3, m > 24 ? m - 24 : 0, 1);
	}
}

/* one output row of a 2 x 2, stride 2 max pool: out (nx, c) from the two
 * input rows r0, r1 (2 nx, c) */
AVX2 void
t_maxpool2_avx2(float *out, const float *r0, const float *r1, size_t nx, size_t c)
{
	size_t x, k;

	for (x = 0; x < nx; x++, r0 += 2 * c, r1 += 2 * c, out += c)
		for (k = 0; k < c; k += 8) {
			size_t m = c - k < 8 ? c - k : 8;
			__m256 a = _mm256_max_ps(get8(r0 + k, m), get8(r0 + c + k, m));
			__m256 b = _mm256_max_ps(get8(r1 + k, m), get8(r1 + c + k, m));
			put8(out + k, _mm256_max_ps(a, b), m, 0);
		}
}

/* its gradient: d0, d1 (2 nx, c) += dout (nx, c) at the first of each
 * window's four inputs, in row-major order, that equals out */
AVX2 void
t_maxpool2_grad_avx2(float *d0, float *d1, const float *r0, const float *r1, const float *out,
                     const float *dout, size_t nx, size_t c)
{
	size_t x, k;

	for (x = 0; x < nx; x++, r0 += 2 * c, r1 += 2 * c, d0 += 2 * c, d1 += 2 * c, out += c,
	     dout += c)
		for (k = 0; k < c; k += 8) {
			size_t m = c - k < 8 ? c - k : 8;
			__m256 o = get8(out + k, m), g = get8(dout + k, m);
			__m256 e0 = _mm256_cmp_ps(get8(r0 + k, m), o, _CMP_EQ_OQ);
			__m256 e1 = _mm256_andnot_ps(e0, _mm256_cmp_ps(get8(r0 + c + k, m), o, _CMP_EQ_OQ));
			__m256 taken = _mm256_or_ps(e0, e1);
			__m256 e2 = _mm256_andnot_ps(taken, _mm256_cmp_ps(get8(r1 + k, m), o, _CMP_EQ_OQ));
			__m256 e3;
			taken = _mm256_or_ps(taken, e2);
			e3 = _mm256_andnot_ps(taken, _mm256_cmp_ps(get8(r1 + c + k, m), o, _CMP_EQ_OQ));
			put8(d0 + k, _mm256_and_ps(e0, g), m, 1);
			put8(d0 + c + k, _mm256_and_ps(e1, g), m, 1);
			put8(d1 + k, _mm256_and_ps(e2, g), m, 1);
			put8(d1 + c + k, _mm256_and_ps(e3, g), m, 1);
		}
}

/* y (rows, c) = (x - m) s + b, per channel */
AVX2 void
t_affine_avx2(float *y, const float *x, const float *m, const float *s, const float *b,
              size_t rows, size_t c)
{
	size_t i, k;

	for (i = 0; i < rows; i++, x += c, y += c)
		for (k = 0; k < c; k += 8) {
			size_t n = c - k < 8 ? c - k : 8;
			__m256 v = _mm256_sub_ps(get8(x + k, n), get8(m + k, n));
			put8(y + k, _mm256_fmadd_ps(v, get8(s + k, n), get8(b + k, n)), n, 0);
		}
}

/* per channel over x (rows, c), in double: acc[k] += x, or with m,
 * acc[k] += (x - m)^2; with dy, acc[k] += dy and acc[c + k] += dy (x - m) s,
 * the sums batchnorm's backward needs. Channels past the last multiple of
 * 4 go one at a time. */
AVX2 void
t_bn_sums_avx2(double *acc, const float *x, const float *dy, const float *m, const float *s,
               size_t rows, size_t c)
{
	size_t i, k, c4 = c / 4 * 4;

	for (i = 0; i < rows; i++, x += c, dy = dy ? dy + c : NULL) {
		for (k = 0; k < c4; k += 4) {
			__m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + k)), a = _mm256_loadu_pd(acc + k);
			if (dy) {
				__m128 xhat = _mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(x + k), _mm_loadu_ps(m + k)),
				                         _mm_loadu_ps(s + k));
				__m256d g = _mm256_cvtps_pd(_mm_loadu_ps(dy + k));
				__m256d b = _mm256_loadu_pd(acc + c + k);
				_mm256_storeu_pd(acc + c + k, _mm256_fmadd_pd(g, _mm256_cvtps_pd(xhat), b));
				a = _mm256_add_pd(a, g);
			} else if (m) {
				__m256d d = _mm256_sub_pd(v, _mm256_cvtps_pd(_mm_loadu_ps(m + k)));
				a = _mm256_fmadd_pd(d, d, a);
			} else {
				a = _mm256_add_pd(a, v);
			}
			_mm256_storeu_pd(acc + k, a);
		}
		for (; k < c; k++) {
			if (dy) {
				acc[k] += dy[k];
				acc[c + k] += (double)dy[k] * ((x[k] - m[k]) * s[k]);
			} else if (m) {
				double d = (double)x[k] - m[k];
				acc[k] += d * d;
			} else {
				acc[k] += x[k];
			}
		}
	}
}

/* batchnorm's input gradient: dx (rows, c) += g (dy - mdy - xhat mdx),
 * xhat = (x - m) s, per channel */
AVX2 void
t_bn_dx_avx2(float *dx, const float *dy, const float *x, const float *m, const float *s,
             const float *g, const float *mdy, const float *mdx, size_t rows, size_t c)
{
	size_t i, k;

	for (i = 0; i < rows; i++, dx += c, dy += c, x += c)
		for (k = 0; k < c; k += 8) {
			size_t n = c - k < 8 ? c - k : 8;
			__m256 xhat = _mm256_mul_ps(_mm256_sub_ps(get8(x + k, n), get8(m + k, n)),
			                            get8(s + k, n));
			__m256 t = _mm256_fnmadd_ps(xhat, get8(mdx + k, n),
			                            _mm256_sub_ps(get8(dy + k, n), get8(mdy + k, n)));
			put8(dx + k, _mm256_mul_ps(get8(g + k, n), t), n, 1);
		}
}

/* out (rows, ow, k) of the band = act(bias + sum over taps t, channels c of
 * x[q + t][c] wp[k/16][t][c][k%16]), or += that sum (add, for input
 * gradients: no bias, no activation). 6 pixels x 16 channels of
 * accumulators: two weight loads and six broadcasts feed twelve FMAs.
 * Inlined with cin a constant for thin inputs, whose channel loop would
 * otherwise be all overhead. Needs f->cs == f->c. */
static inline __attribute__((always_inline)) AVX2 void
conv_body(float *out, const struct t_flat *f, const float *wp, size_t k, const float *bias,
          int act, int add, size_t cin)
{
	/* pixels are cin floats apart here (f->cs == f->c): with cin a
	 * constant every input address is an immediate offset */
	size_t npix = f->rows * f->pw, cs = cin, kb, q0, t, c, p;

	for (kb = 0; kb < k; kb += 16) {
		const float *w = wp + kb * f->ntaps * cin;
		size_t nk = k - kb < 16 ? k - kb : 16, n0 = nk < 8 ? nk : 8, n1 = nk - n0;
		__m256 b0 = bias ? get8(bias + kb, n0) : _mm256_setzero_ps();
		__m256 b1 = bias ? get8(bias + kb + 8, n1) : _mm256_setzero_ps();
		size_t r = 0, x = 0;    /* where flat pixel q0 sits in the band */

		for (q0 = 0; q0 < npix; q0 += 6) {
			__m256 a[6][2];
			const float *xq = f->x + q0 * cs;
#pragma GCC unroll 6
			for (p = 0; p < 6; p++) {
				a[p][0] = b0;
				a[p][1] = b1;
			}
			for (t = 0; t < f->ntaps; t++) {
				const float *xt = xq + f->off[t], *wt = w + t * cin * 16;
#pragma GCC unroll 4
				for (c = 0; c < cin; c++) {
					__m256 w0 = _mm256_loadu_ps(wt + 16 * c), w1 = _mm256_loadu_ps(wt + 16 * c + 8);
#pragma GCC unroll 6
					for (p = 0; p < 6; p++) {
						__m256 v = _mm256_broadcast_ss(xt + p * cs + c);
						a[p][0] = _mm256_fmadd_ps(v, w0, a[p][0]);
						a[p][1] = _mm256_fmadd_ps(v, w1, a[p][1]);
					}
				}
			}
#pragma GCC unroll 6
			for (p = 0; p < 6; p++) {
				if (r < f->rows && x < f->ow) {
					float *dst = out + (r * f->ow + x) * k + kb;
					put8(dst, act8(a[p][0], act), n0, add);
					put8(dst + 8, act8(a[p][1], act), n1, add);
				}
				if (++x == f->pw) {
					x = 0;
					r++;
				}
			}
		}
	}
}

AVX2 void
t_conv_avx2(float *out, const struct t_flat *f, const float *wp, size_t k, const float *bias,
            int act, int add)
{
	switch (f->c) {
	case 1: conv_body(out, f, wp, k, bias, act, add, 1); break;
	case 2: conv_body(out, f, wp, k, bias, act, add, 2); break;
	case 3: conv_body(out, f, wp, k, bias, act, add, 3); break;
	case 4: conv_body(out, f, wp, k, bias, act, add, 4); break;
	default: conv_body(out, f, wp, k, bias, act, add, f->c);
	}
}

/* Winograd F(4x4, 3x3) (Lavin and Gray, 2015): a 4 x 4 block of outputs of
 * a 3 x 3 convolution is A^T [(G g G^T) . (B^T d B)] A over its 6 x 6 input
 * patch d, 36 products per channel pair for 16 outputs (2.25 an output, a
 * direct sum's 9), with the interpolation points 0, +-1, +-2:
 *   B^T = (4 0 -5 0 1 0) (0 -4 -4 1 1 0) (0 4 -4 -1 1 0) (0 -2 -1 2 1 0)
 *         (0 2 -1 -2 1 0) (0 4 0 -5 0 1)
 *   A^T = (1 1 1 1 1 0) (0 1 -1 2 -2 0) (0 1 1 4 4 0) (0 1 -1 8 -8 1)
 * Its transforms multiply by up to 8 (and the kernel's by 1/24), so it
 * rounds worse than a direct sum: about 1e-6 relative in the output and a
 * few 1e-6 in the weight gradient, which training affords. WINO4_TILES
 * tiles of a tile row at a time keep V and M in L2. */
#define WINO4_TILES 16

/* o = B^T d over six vectors */
static inline AVX2 void
bt6(__m256 *o, __m256 d0, __m256 d1, __m256 d2, __m256 d3, __m256 d4, __m256 d5)
{
	const __m256 four = _mm256_set1_ps(4), five = _mm256_set1_ps(5), two = _mm256_set1_ps(2);
	__m256 a = _mm256_add_ps(d1, d2), b = _mm256_sub_ps(d1, d2), c = _mm256_sub_ps(d3, d1);
	__m256 e = _mm256_sub_ps(d4, d2);

	o[0] = _mm256_fmadd_ps(four, d0, _mm256_fnmadd_ps(five, d2, d4));
	o[1] = _mm256_fnmadd_ps(four, a, _mm256_add_ps(d3, d4));
	o[2] = _mm256_fmadd_ps(four, b, _mm256_sub_ps(d4, d3));
	o[3] = _mm256_fmadd_ps(two, c, e);
	o[4] = _mm256_fnmadd_ps(two, c, e);
	o[5] = _mm256_fmadd_ps(four, d1, _mm256_fnmadd_ps(five, d3, d5));
}

/* o = A^T m over six vectors */
static inline AVX2 void
at6(__m256 *o, __m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4, __m256 m5)
{
	__m256 a = _mm256_add_ps(m1, m2), b = _mm256_sub_ps(m1, m2);
	__m256 c = _mm256_add_ps(m3, m4), d = _mm256_sub_ps(m3, m4);

	o[0] = _mm256_add_ps(_mm256_add_ps(m0, a), c);
	o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2), d, b);
	o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4), c, a);
	o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8), d, b), m5);
}

/* V[pos][tile][c] = B^T d B for tiles j0 .. j0 + nt of tile row i */
static inline AVX2 void
wino4_in(float *v, size_t ldv, const struct t_flat *f, size_t i, size_t j0, size_t nt)
{
	size_t cs = f->cs, row = f->pw * cs, j, c, a, r;

	for (j = 0; j < nt; j++) {
		const float *d = f->x + (4 * i * f->pw + 4 * (j0 + j)) * cs;
		for (c = 0; c < f->c; c += 8) {
			__m256 t[6][6], u[6];
			for (a = 0; a < 6; a++) {
				const float *p = d + a * cs + c;
				bt6(u, _mm256_loadu_ps(p), _mm256_loadu_ps(p + row),
				    _mm256_loadu_ps(p + 2 * row), _mm256_loadu_ps(p + 3 * row),
				    _mm256_loadu_ps(p + 4 * row), _mm256_loadu_ps(p + 5 * row));
				for (r = 0; r < 6; r++)
					t[r][a] = u[r];
			}
			for (r = 0; r < 6; r++) {
				bt6(u, t[r][0], t[r][1], t[r][2], t[r][3], t[r][4], t[r][5]);
				for (a = 0; a < 6; a++)
					_mm256_storeu_ps(v + ((6 * r + a) * ldv + j) * f->c + c, u[a]);
			}
		}
	}
}

/* out for tile row i, tiles j0 .. j0 + nt: the 4 x 4 block A^T M A, plus
 * bias, through act, or added */
static inline AVX2 void
wino4_out(float *out, const float *m, size_t ldm, const struct t_flat *f, size_t k,
          const float *bias, int act, int add, size_t i, size_t j0, size_t nt)
{
	size_t j, kb, a, y, x, pk = ldm * k;

	for (j = 0; j < nt; j++)
		for (kb = 0; kb < k; kb += 8) {
			size_t n = k - kb < 8 ? k - kb : 8;
			__m256 t[4][6], r[4], b = bias ? get8(bias + kb, n) : _mm256_setzero_ps();
			const float *p = m + j * k + kb;
			for (a = 0; a < 6; a++) {
				__m256 u[4];
				at6(u, get8(p + a * pk, n), get8(p + (6 + a) * pk, n),
				    get8(p + (12 + a) * pk, n), get8(p + (18 + a) * pk, n),
				    get8(p + (24 + a) * pk, n), get8(p + (30 + a) * pk, n));
				for (y = 0; y < 4; y++)
					t[y][a] = u[y];
			}
			for (y = 0; y < 4; y++) {
				size_t oy = 4 * i + y;
				at6(r, t[y][0], t[y][1], t[y][2], t[y][3], t[y][4], t[y][5]);
				if (oy >= f->rows)
					break;
				for (x = 0; x < 4; x++) {
					size_t ox = 4 * (j0 + j) + x;
					if (ox < f->ow)
						put8(out + (oy * f->ow + ox) * k + kb,
						     act8(_mm256_add_ps(r[x], b), act), n, add);
				}
			}
		}
}

/* the band of t_conv_avx2 for a 3 x 3 kernel without dilation, cin a
 * multiple of 8, through F(4x4, 3x3): u (36, k/16, cin, 16) the transformed
 * kernel; ws scratch of t_wino4_ws floats. Each chunk of tiles of a tile
 * row is transformed in, multiplied at each of the 36 positions (a small
 * matrix product, tiles x cin times cin x k: conv_body with one tap), and
 * transformed out. The flat band needs three rows more than t_conv_avx2's,
 * read by the last tile row. */
AVX2 void
t_wino4_avx2(float *out, const struct t_flat *f, const float *u, size_t k, const float *bias,
             int act, int add, float *ws)
{
	size_t ld = WINO4_TILES + 6, kp = (k + 15) / 16 * 16, tr = (f->rows + 3) / 4;
	size_t tc = (f->ow + 3) / 4, i, j0, nt, pos, zero = 0;
	float *v = ws, *mm = ws + 36 * ld * f->c;

	/* the product reads six tiles at a time: keep the tail finite */
	memset(v, 0, 36 * ld * f->c * sizeof(float));
	for (i = 0; i < tr; i++)
		for (j0 = 0; j0 < tc; j0 += nt) {
			nt = tc - j0 < WINO4_TILES ? tc - j0 : WINO4_TILES;
			wino4_in(v, ld, f, i, j0, nt);
			for (pos = 0; pos < 36; pos++) {
				struct t_flat g = { v + pos * ld * f->c, f->c, f->c, 1, nt, nt, 1, &zero };
				conv_body(mm + pos * ld * k, &g, u + pos * kp * f->c, k, NULL, T_LINEAR, 0,
				          f->c);
			}
			wino4_out(out, mm, ld, f, k, bias, act, add, i, j0, nt);
		}
}

/* o = A y over four vectors, A = (A^T)^T: the output gradient's transform */
static inline AVX2 void
a6(__m256 *o, __m256 y0, __m256 y1, __m256 y2, __m256 y3)
{
	__m256 e = _mm256_add_ps(y0, y2), f = _mm256_add_ps(y1, y3);
	__m256 g = _mm256_fmadd_ps(_mm256_set1_ps(4), y2, y0);
	__m256 h = _mm256_fmadd_ps(_mm256_set1_ps(8), y3, _mm256_add_ps(y1, y1));

	o[0] = y0;
	o[1] = _mm256_add_ps(e, f);
	o[2] = _mm256_sub_ps(e, f);
	o[3] = _mm256_add_ps(g, h);
	o[4] = _mm256_sub_ps(g, h);
	o[5] = y3;
}

/* Z[pos][tile][k] = A dY A^T for tiles j0 .. j0 + nt of tile row i of d,
 * the band's output gradient laid out flat (ks floats a pixel, pw pixels a
 * row): the transform the weight gradient needs */
static inline AVX2 void
wino4_dout(float *z, size_t ldz, const float *d, size_t pw, size_t ks, size_t k, size_t i,
           size_t j0, size_t nt)
{
	size_t j, kb, a, r;

	for (j = 0; j < nt; j++)
		for (kb = 0; kb < k; kb += 8) {
			const float *p = d + (4 * i * pw + 4 * (j0 + j)) * ks + kb;
			__m256 t[4][6], u[6];
			for (r = 0; r < 4; r++) {
				const float *q = p + r * pw * ks;
				a6(t[r], _mm256_loadu_ps(q), _mm256_loadu_ps(q + ks),
				   _mm256_loadu_ps(q + 2 * ks), _mm256_loadu_ps(q + 3 * ks));
			}
			for (a = 0; a < 6; a++) {
				a6(u, t[0][a], t[1][a], t[2][a], t[3][a]);
				for (r = 0; r < 6; r++)
					_mm256_storeu_ps(z + ((6 * r + a) * ldz + j) * ks + kb, u[r]);
			}
		}
}

/* the weight gradient of a band through F(4x4, 3x3): du (36, cin, k) +=
 * sum over tiles of V[pos]^T Z[pos], V the input's transform as in the
 * forward pass, Z the output gradient's; dw = G^T du G per channel pair
 * afterwards (the caller). d as for t_conv_dw_avx2 but dpw pixels a row,
 * zero from the band's width to a multiple of 4 and for 3 rows past its
 * last; ws scratch of t_wino4_ws floats. */
AVX2 void
t_wino4_dw_avx2(float *du, const struct t_flat *f, const float *d, size_t dpw, size_t ks,
                size_t k, float *ws)
{
	size_t ld = WINO4_TILES + 6, tr = (f->rows + 3) / 4, tc = (f->ow + 3) / 4, i, j0, nt;
	size_t pos, zero = 0;
	float *v = ws, *z = ws + 36 * ld * f->c;

	for (i = 0; i < tr; i++)
		for (j0 = 0; j0 < tc; j0 += nt) {
			nt = tc - j0 < WINO4_TILES ? tc - j0 : WINO4_TILES;
			wino4_in(v, ld, f, i, j0, nt);
			wino4_dout(z, ld, d, dpw, ks, k, i, j0, nt);
			for (pos = 0; pos < 36; pos++) {
				struct t_flat g = { v + pos * ld * f->c, f->c, f->c, 1, nt, nt, 1, &zero };
				t_conv_dw_avx2(du + pos * f->c * k, &g, z + pos * ld * ks, ks, k);
			}
		}
}

/* scratch of t_wino4_avx2 and t_wino4_dw_avx2; ks as there, at least k */
size_t
t_wino4_ws(size_t cin, size_t ks)
{
	return 36 * (WINO4_TILES + 6) * (cin + ks);
}

/* sums of a0 .. a3, as lanes 0 .. 3 */
static inline AVX2 __m128
hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
	__m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));

	return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

/* The thin-output twin of conv_body, for j = k <= 4 outputs: each output
 * is a dot product over taps and channels, so vectorise along the channels
 * (cs a multiple of 8, zero-padded; wt (4, taps, cs)) and reduce at the
 * end. Twelve accumulators: 12 / j pixels x j outputs, whose sums come out
 * in the output's own order, so a block whose pixels share a row is three
 * 4-float stores. The activation runs afterwards over the whole band, 8
 * values a vector, rather than once per pixel. */
static inline __attribute__((always_inline)) AVX2 void
thin_body(float *out, const struct t_flat *f, const float *wt, const float *bias, int act,
          int add, const size_t j)
{
	const size_t P = 12 / j;
	size_t npix = f->rows * f->pw, cs = f->cs, ld = f->ntaps * cs, q0, t, c, p, i, r = 0, x = 0;
	float b12[12], s12[12];
	__m128 bv[3];

	for (i = 0; i < 12; i++)
		b12[i] = bias ? bias[i % j] : 0;
	for (i = 0; i < 3; i++)
		bv[i] = _mm_loadu_ps(b12 + 4 * i);
	for (q0 = 0; q0 < npix; q0 += P) {
		__m256 a[12];
		__m128 v[3];
		const float *xq = f->x + q0 * cs;
#pragma GCC unroll 12
		for (i = 0; i < 12; i++)
			a[i] = _mm256_setzero_ps();
		for (t = 0; t < f->ntaps; t++) {
			const float *x0 = xq + f->off[t], *w = wt + t * cs;
			for (c = 0; c < cs; c += 8) {
				/* keep the fewer of inputs and weights in registers */
				if (j <= P) {
					__m256 wj[4];
#pragma GCC unroll 4
					for (i = 0; i < j; i++)
						wj[i] = _mm256_loadu_ps(w + i * ld + c);
#pragma GCC unroll 12
					for (p = 0; p < P; p++) {
						__m256 u = _mm256_loadu_ps(x0 + p * cs + c);
#pragma GCC unroll 4
						for (i = 0; i < j; i++)
							a[p * j + i] = _mm256_fmadd_ps(u, wj[i], a[p * j + i]);
					}
				} else {
					__m256 u[4];
#pragma GCC unroll 4
					for (p = 0; p < P; p++)
						u[p] = _mm256_loadu_ps(x0 + p * cs + c);
#pragma GCC unroll 4
					for (i = 0; i < j; i++) {
						__m256 wi = _mm256_loadu_ps(w + i * ld + c);
#pragma GCC unroll 4
						for (p = 0; p < P; p++)
							a[p * j + i] = _mm256_fmadd_ps(u[p], wi, a[p * j + i]);
					}
				}
			}
		}
		v[0] = _mm_add_ps(hsum4(a[0], a[1], a[2], a[3]), bv[0]);
		v[1] = _mm_add_ps(hsum4(a[4], a[5], a[6], a[7]), bv[1]);
		v[2] = _mm_add_ps(hsum4(a[8], a[9], a[10], a[11]), bv[2]);
		if (r < f->rows && x + P <= f->ow) {
			float *dst = out + (r * f->ow + x) * j;
			for (i = 0; i < 3; i++) {
				if (add)
					v[i] = _mm_add_ps(v[i], _mm_loadu_ps(dst + 4 * i));
				_mm_storeu_ps(dst + 4 * i, v[i]);
			}
		} else {
			for (i = 0; i < 3; i++)
				_mm_storeu_ps(s12 + 4 * i, v[i]);
			for (p = 0; p < P; p++) {
				size_t rr = r + (x + p) / f->pw, xx = (x + p) % f->pw;
				if (rr < f->rows && xx < f->ow)
					for (i = 0; i < j; i++) {
						float *dst = out + (rr * f->ow + xx) * j + i;
						*dst = add ? *dst + s12[p * j + i] : s12[p * j + i];
					}
			}
		}
		for (x += P; x >= f->pw; x -= f->pw)
			r++;
	}
	if (act != T_LINEAR)
		t_act_avx2(out, out, f->rows * f->ow * j, act);
}

AVX2 void
t_conv_thin_avx2(float *out, const struct t_flat *f, const float *wt, size_t k,
                 const float *bias, int act, int add)
{
	switch (k) {
	case 1: thin_body(out, f, wt, bias, act, add, 1); break;
	case 2: thin_body(out, f, wt, bias, act, add, 2); break;
	case 3: thin_body(out, f, wt, bias, act, add, 3); break;
	default: thin_body(out, f, wt, bias, act, add, 4);
	}
}

/* Weight gradients sum over a band's pixels in chunks of DW_CHUNK, every
 * block of accumulators over one chunk, so the chunk's gradients and
 * inputs stay in L1 while the blocks take turns; each block's sum is then
 * added into dw, which also keeps float sums short. */
#define DW_CHUNK 96

/* dw (taps, c, k) += sum over the band's flat pixels q of x[q + t][c] d[q][k]:
 * d is the output gradient laid out flat like the band (ks floats a pixel,
 * ks a multiple of 16, zero in the dropped columns). Six (tap, channel)
 * rows x 16 outputs of accumulators. */
AVX2 void
t_conv_dw_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks, size_t k)
{
	size_t nrow = f->ntaps * f->c, npix = f->rows * f->pw, cs = f->cs, q0, q1, r0, kb, q, i;

	for (q0 = 0; q0 < npix; q0 = q1) {
		q1 = q0 + DW_CHUNK < npix ? q0 + DW_CHUNK : npix;
		for (r0 = 0; r0 < nrow; r0 += 6) {
			const float *xr[6];
#pragma GCC unroll 6
			for (i = 0; i < 6; i++) {
				size_t r = r0 + i < nrow ? r0 + i : nrow - 1;
				xr[i] = f->x + f->off[r / f->c] + r % f->c;
			}
			for (kb = 0; kb < k; kb += 16) {
				size_t nk = k - kb < 16 ? k - kb : 16, n0 = nk < 8 ? nk : 8, n1 = nk - n0;
				__m256 a[6][2];
				const float *dq = d + q0 * ks + kb;
#pragma GCC unroll 6
				for (i = 0; i < 6; i++)
					a[i][0] = a[i][1] = _mm256_setzero_ps();
				for (q = q0; q < q1; q++, dq += ks) {
					__m256 d0 = _mm256_loadu_ps(dq), d1 = _mm256_loadu_ps(dq + 8);
#pragma GCC unroll 6
					for (i = 0; i < 6; i++) {
						__m256 v = _mm256_broadcast_ss(xr[i] + q * cs);
						a[i][0] = _mm256_fmadd_ps(v, d0, a[i][0]);
						a[i][1] = _mm256_fmadd_ps(v, d1, a[i][1]);
					}
				}
#pragma GCC unroll 6
				for (i = 0; i < 6; i++)
					if (r0 + i < nrow) {
						put8(dw + (r0 + i) * k + kb, a[i][0], n0, 1);
						put8(dw + (r0 + i) * k + kb + 8, a[i][1], n1, 1);
					}
			}
		}
	}
}

/* the thin-output twin for k <= 4: vectorise along the channels of x (cs a
 * multiple of 8), broadcast the four gradients of a pixel (d has ks >= 4
 * floats a pixel, zero past k). Three channel vectors x four outputs. */
AVX2 void
t_conv_dw_thin_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks, size_t k)
{
	size_t cv = f->cs / 8, nv = f->ntaps * cv, npix = f->rows * f->pw, cs = f->cs;
	size_t q0, q1, v0, q, i, j, l;

	for (q0 = 0; q0 < npix; q0 = q1) {
		q1 = q0 + DW_CHUNK < npix ? q0 + DW_CHUNK : npix;
		for (v0 = 0; v0 < nv; v0 += 3) {
			const float *xv[3];
			__m256 a[3][4];
			float o[8];
#pragma GCC unroll 3
			for (i = 0; i < 3; i++) {
				size_t v = v0 + i < nv ? v0 + i : nv - 1;
				xv[i] = f->x + f->off[v / cv] + v % cv * 8;
#pragma GCC unroll 4
				for (j = 0; j < 4; j++)
					a[i][j] = _mm256_setzero_ps();
			}
			for (q = q0; q < q1; q++) {
				const float *dq = d + q * ks;
				__m256 e0 = _mm256_broadcast_ss(dq), e1 = _mm256_broadcast_ss(dq + 1);
				__m256 e2 = _mm256_broadcast_ss(dq + 2), e3 = _mm256_broadcast_ss(dq + 3);
#pragma GCC unroll 3
				for (i = 0; i < 3; i++) {
					__m256 u = _mm256_loadu_ps(xv[i] + q * cs);
					a[i][0] = _mm256_fmadd_ps(u, e0, a[i][0]);
					a[i][1] = _mm256_fmadd_ps(u, e1, a[i][1]);
					a[i][2] = _mm256_fmadd_ps(u, e2, a[i][2]);
					a[i][3] = _mm256_fmadd_ps(u, e3, a[i][3]);
				}
			}
#pragma GCC unroll 3
			for (i = 0; i < 3; i++) {
				size_t v = v0 + i, t = v / cv, c0 = v % cv * 8;
				if (v >= nv)
					continue;
#pragma GCC unroll 4
				for (j = 0; j < 4; j++) {
					_mm256_storeu_ps(o, a[i][j]);
					for (l = 0; l < 8 && c0 + l < f->c && j < k; l++)
						dw[(t * f->c + c0 + l) * k + j] += o[l];
				}
			}
		}
	}
}

#else

int
t_cpu_avx2(void)
{
	return 0;
}

/* never called: t_cpu_avx2() is 0 here */
void t_conv_avx2(float *out, const struct t_flat *f, const float *wp, size_t k,
                 const float *bias, int act, int add)
{ (void)out; (void)f; (void)wp; (void)k; (void)bias; (void)act; (void)add; }
void t_conv_thin_avx2(float *out, const struct t_flat *f, const float *wt, size_t k,
                      const float *bias, int act, int add)
{ (void)out; (void)f; (void)wt; (void)k; (void)bias; (void)act; (void)add; }
void t_conv_dw_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks, size_t k)
{ (void)dw; (void)f; (void)d; (void)ks; (void)k; }
void t_conv_dw_thin_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks, size_t k)
{ (void)dw; (void)f; (void)d; (void)ks; (void)k; }
void t_act_avx2(float *dst, const float *src, size_t n, int act)
{ (void)dst; (void)src; (void)n; (void)act; }
void t_act_grad_avx2(float *dst, const float *src, const float *y, size_t n, int act, int add)
{ (void)dst; (void)src; (void)y; (void)n; (void)act; (void)add; }
void t_add_avx2(float *dst, const float *src, size_t n)
{ (void)dst; (void)src; (void)n; }
void t_sumpool2_avx2(float *d, const float *r0, const float *r1, size_t nx, size_t c)
{ (void)d; (void)r0; (void)r1; (void)nx; (void)c; }
void t_wino4_avx2(float *out, const struct t_flat *f, const float *u, size_t k,
                  const float *bias, int act, int add, float *ws)
{ (void)out; (void)f; (void)u; (void)k; (void)bias; (void)act; (void)add; (void)ws; }
size_t t_wino4_ws(size_t cin, size_t k) { (void)cin; (void)k; return 0; }
void t_wino4_dw_avx2(float *du, const struct t_flat *f, const float *d, size_t dpw, size_t ks,
                     size_t k, float *ws)
{ (void)du; (void)f; (void)d; (void)dpw; (void)ks; (void)k; (void)ws; }
void t_colsum_avx2(float *sum, const float *x, size_t rows, size_t ld, size_t n)
{ (void)sum; (void)x; (void)rows; (void)ld; (void)n; }
void t_maxpool2_avx2(float *out, const float *r0, const float *r1, size_t nx, size_t c)
{ (void)out; (void)r0; (void)r1; (void)nx; (void)c; }
void t_maxpool2_grad_avx2(float *d0, float *d1, const float *r0, const float *r1,
                          const float *out, const float *dout, size_t nx, size_t c)
{ (void)d0; (void)d1; (void)r0; (void)r1; (void)out; (void)dout; (void)nx; (void)c; }
void t_affine_avx2(float *y, const float *x, const float *m, const float *s, const float *b,
                   size_t rows, size_t c)
{ (void)y; (void)x; (void)m; (void)s; (void)b; (void)rows; (void)c; }
void t_bn_sums_avx2(double *acc, const float *x, const float *dy, const float *m,
                    const float *s, size_t rows, size_t c)
{ (void)acc; (void)x; (void)dy; (void)m; (void)s; (void)rows; (void)c; }
void t_bn_dx_avx2(float *dx, const float *dy, const float *x, const float *m, const float *s,
                  const float *g, const float *mdy, const float *mdx, size_t rows, size_t c)
{ (void)dx; (void)dy; (void)x; (void)m; (void)s; (void)g; (void)mdy; (void)mdx; (void)rows; (void)c; }

#endif
