/* noise.c: counter-based noise. Each random number is a pure function of
 * (key, stream, index): splitmix64's finaliser over a counter, so any element
 * can be drawn without drawing the ones before it. Gaussians come in pairs
 * from Box-Muller. Not a cryptographic generator, and not numpy's: the noise
 * has the same distribution as the tutorial's np.random.normal, not its bits. */
#include "noise.h"
#include "../kernel/tensor.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2 1
#define AVX2 __attribute__((target("avx2")))
#endif

#define GOLDEN 0x9E3779B97F4A7C15ull

/* stream ids keep the three kinds of noise independent of each other */
enum { S_GAUSS = 1, S_POISSON = 2, S_SALT = 3 };

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t
rnd(uint64_t key, uint64_t stream, uint64_t i)
{
	return mix64(key ^ mix64(stream * GOLDEN + i * 0xD1B54A32D192ED03ull));
}

/* uniform in (0, 1], 24 bits, never 0 so log() is finite */
static float
unit24(uint32_t bits)
{
	return ((float)(bits >> 8) + 1.0f) * (1.0f / 16777216.0f);
}

uint64_t
noise_key(uint64_t seed, const char *name, size_t namelen, const uint32_t *dims,
          unsigned rank, const void *payload, size_t nbytes)
{
	const unsigned char *p = payload;
	uint64_t h = mix64(seed ^ 0x6E6F697365ull), w;
	size_t i;

	for (i = 0; i < namelen; i++)
		h = mix64(h ^ (unsigned char)name[i]) + i;
	for (i = 0; i < rank; i++)
		h = mix64(h ^ dims[i] ^ (uint64_t)i << 40);
	/* eight bytes a step; the words are independent so this stays fast */
	for (i = 0; i + 8 <= nbytes; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ mix64(w + i)) * GOLDEN;
	}
	for (; i < nbytes; i++)
		h = (h ^ p[i]) * GOLDEN;
	return mix64(h ^ nbytes);
}

uint64_t
noise_key3(uint64_t seed, uint64_t a, uint64_t b)
{
	return mix64(mix64(mix64(seed ^ 0x6B657933ull) ^ a) + b * GOLDEN);
}

/* standard normals for elements [start, start + n) of the key's sequence;
 * start is even, since Box-Muller makes them in pairs */
static void
gauss_range(float *out, uint64_t key, size_t start, size_t n)
{
	const float two_pi = 6.283185307179586f;
	size_t i;

	for (i = 0; i < n; i += 2) {
		uint64_t r = rnd(key, S_GAUSS, (start + i) / 2);
		float u1 = unit24((uint32_t)(r >> 32));
		float u2 = unit24((uint32_t)r);
		float rad = sqrtf(-2.0f * logf(u1));
		out[i] = rad * cosf(two_pi * u2);
		if (i + 1 < n)
			out[i + 1] = rad * sinf(two_pi * u2);
	}
}

void
noise_gauss(float *out, size_t n, uint64_t key)
{
	gauss_range(out, key, 0, n);
}

static float
poisson(float lambda, uint64_t key, size_t i)
{
	uint64_t r;
	float L, p;
	unsigned k, j;

	if (lambda <= 0)
		return 0;
	if (lambda >= 64) {
		float z;
		gauss_range(&z, key ^ 0x706F6973ull, 2 * i, 1);
		z = lambda + sqrtf(lambda) * z;
		return z < 0 ? 0 : floorf(z + 0.5f);
	}
	/* Knuth: multiply uniforms until the product falls below e^-lambda */
	L = expf(-lambda);
	p = 1;
	k = 0;
	for (j = 0;; j++) {
		r = rnd(key, S_POISSON, (uint64_t)i * 1024 + j);
		p *= unit24((uint32_t)r);
		if (p <= L || j >= 1023)
			break;
		k++;
	}
	return (float)k;
}

void
noise_apply(const struct noise_opt *o, uint64_t key, float *x, size_t n)
{
	float g[256];
	size_t i, j, k;

	if (o->poisson_peak > 0) {
		float s = o->poisson_peak / 255.0f;
		for (i = 0; i < n; i++)
			x[i] = poisson(x[i] * s, key, i) / s;
	}
	if (o->std > 0 || o->mean != 0) {
		/* blocks of an even size, so pairs never straddle a block edge */
		for (i = 0; i < n; i += k) {
			k = n - i < sizeof g / sizeof g[0] ? n - i : sizeof g / sizeof g[0];
			gauss_range(g, key, i, k);
			for (j = 0; j < k; j++)
				x[i + j] += o->mean + o->std * g[j];
		}
	}
	if (o->salt_pepper > 0) {
		uint64_t thresh = (uint64_t)((double)o->salt_pepper * 4294967296.0);
		for (i = 0; i < n; i++) {
			uint64_t r = rnd(key, S_SALT, i);
			if ((r >> 32) < thresh)
				x[i] = (r & 1) ? 255.0f : 0.0f;
		}
	}
}

void
noise_to_u8(unsigned char *out, const float *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float v = x[i] + 0.5f;
		/* written so that NaN, which fails every comparison, becomes 0 */
		out[i] = v > 0 ? (v < 255 ? (unsigned char)v : 255) : 0;
	}
}

int
noise_none(const struct noise_opt *o)
{
	return o->std == 0 && o->mean == 0 && o->poisson_peak == 0 && o->salt_pepper == 0;
}

/* ---------------------------------------------------------------------- */
/* Gaussian noise on u8 images, by table.
 *
 * v + mean + std z, rounded half up and clipped, is v + r clipped, where
 * r = floor(mean + std z + 1/2): v is an integer, so rounding commutes with
 * adding it. r has a discrete distribution, P(r = k) = Phi((k + 1/2 - mean) /
 * std) - Phi((k - 1/2 - mean) / std), and every r <= -255 (>= 255) clips any
 * v to 0 (255), so r needs only the 511 values -255 .. 255, the two ends
 * taking the tails. Walker's alias method draws it from one 32-bit uniform
 * u: the top 9 bits pick one of 512 slots, the low 23 bits are compared with
 * the slot's threshold to keep the slot's value or take its alias. The
 * distribution is exact to the table's 2^-32 resolution; the work per pixel
 * is a hash, a table load, a compare and a clip, with no transcendental
 * function. The uniform is lowbias32 (Chris Wellons' integer hash) over the
 * element's index mixed with the key: counter-based like the float path, so
 * element i's noise depends only on (key, i), but a different sequence. */

#define SLOTS 512
#define TBITS 23

static double
phi(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

int
noise_table_init(struct noise_table *t, const struct noise_opt *o)
{
	double p, lo, hi, q[SLOTS];
	int small[SLOTS], large[SLOTS], alias[SLOTS], ns = 0, nl = 0, k;

	if (o->poisson_peak > 0 || o->salt_pepper > 0 || !(o->std > 0 || o->mean != 0))
		return -1;
	for (k = 0; k < SLOTS; k++) {
		/* slot k is r = k - 255; slot 511 never happens */
		double r = k - 255;
		if (k == SLOTS - 1) {
			p = 0;
		} else if (o->std == 0) {
			double m = floor((double)o->mean + 0.5);
			m = m < -255 ? -255 : m > 255 ? 255 : m;
			p = r == m;
		} else {
			lo = k == 0 ? 0 : phi((r - 0.5 - o->mean) / o->std);
			hi = k == SLOTS - 2 ? 1 : phi((r + 0.5 - o->mean) / o->std);
			p = hi - lo;
		}
		q[k] = p * SLOTS;
		alias[k] = k;
	}
	/* Vose's alias construction */
	for (k = 0; k < SLOTS; k++) {
		if (q[k] < 1)
			small[ns++] = k;
		else
			large[nl++] = k;
	}
	while (ns && nl) {
		int s = small[--ns], l = large[--nl];
		alias[s] = l;
		q[l] -= 1 - q[s];
		if (q[l] < 1)
			small[ns++] = l;
		else
			large[nl++] = l;
	}
	/* what is left is 1 up to rounding: it keeps itself */
	while (ns)
		q[small[--ns]] = 1;
	while (nl)
		q[large[--nl]] = 1;
	for (k = 0; k < SLOTS; k++) {
		double th = floor(q[k] * (1 << TBITS) + 0.5);
		if (th >= (1 << TBITS)) {
			th = (1 << TBITS) - 1;
			alias[k] = k;   /* the one u that fails the compare keeps k too */
		}
		t->e[k] = (uint32_t)th << 9 | (uint32_t)alias[k];
	}
	return 0;
}

static inline uint32_t
bits32(uint32_t i, uint32_t k0, uint32_t k1)
{
	uint32_t x = i + k0;

	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= (x >> 15) ^ k1;
	x *= 0x846ca68bu;
	return x ^ (x >> 16);
}

/* elements [i, n) of one block of at most 2^32 */
static void
apply_u8_c(const struct noise_table *t, uint32_t k0, uint32_t k1, const unsigned char *in,
           unsigned char *out, size_t i, size_t n)
{
	for (; i < n; i++) {
		uint32_t u = bits32((uint32_t)i, k0, k1), e = t->e[u >> TBITS];
		int r = (int)((u & ((1u << TBITS) - 1)) < (e >> 9) ? u >> TBITS : e & 511);
		int v = in[i] + r - 255;
		out[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

#ifdef HAVE_AVX2
static inline AVX2 __m256i
bits32_avx2(__m256i i, __m256i k0, __m256i k1)
{
	__m256i x = _mm256_add_epi32(i, k0);

	x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
	x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
	x = _mm256_xor_si256(x, _mm256_xor_si256(_mm256_srli_epi32(x, 15), k1));
	x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bu));
	return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}

/* 8 noisy values, v + r - 255, as int32 */
static inline AVX2 __m256i
eight_avx2(const struct noise_table *t, __m256i i, __m256i k0, __m256i k1, __m128i v8)
{
	const __m256i low = _mm256_set1_epi32((1 << TBITS) - 1), m9 = _mm256_set1_epi32(511);
	__m256i u = bits32_avx2(i, k0, k1), slot = _mm256_srli_epi32(u, TBITS);
	__m256i e = _mm256_i32gather_epi32((const int *)t->e, slot, 4);
	/* keep the slot where (u & low) < threshold, else take the alias */
	__m256i keep = _mm256_cmpgt_epi32(_mm256_srli_epi32(e, 9), _mm256_and_si256(u, low));
	__m256i r = _mm256_blendv_epi8(_mm256_and_si256(e, m9), slot, keep);
	__m256i v = _mm256_cvtepu8_epi32(v8);
	return _mm256_sub_epi32(_mm256_add_epi32(v, r), _mm256_set1_epi32(255));
}

/* elements [i, n) of one block, 32 at a time; returns where it stopped */
static AVX2 size_t
apply_u8_avx2(const struct noise_table *t, uint32_t k0, uint32_t k1, const unsigned char *in,
              unsigned char *out, size_t i, size_t n)
{
	const __m256i step = _mm256_set1_epi32(8), order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	__m256i ka = _mm256_set1_epi32((int)k0), kb = _mm256_set1_epi32((int)k1);
	__m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)i),
	                               _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));

	for (; i + 32 <= n; i += 32) {
		__m256i a, b, c, d;
		__m128i lo = _mm_loadu_si128((const __m128i *)(in + i));
		__m128i hi = _mm_loadu_si128((const __m128i *)(in + i + 16));
		a = eight_avx2(t, idx, ka, kb, lo);
		idx = _mm256_add_epi32(idx, step);
		b = eight_avx2(t, idx, ka, kb, _mm_srli_si128(lo, 8));
		idx = _mm256_add_epi32(idx, step);
		c = eight_avx2(t, idx, ka, kb, hi);
		idx = _mm256_add_epi32(idx, step);
		d = eight_avx2(t, idx, ka, kb, _mm_srli_si128(hi, 8));
		idx = _mm256_add_epi32(idx, step);
		/* saturating packs clip to 0..255; the permute undoes their lane order */
		a = _mm256_packus_epi16(_mm256_packus_epi32(a, b), _mm256_packus_epi32(c, d));
		_mm256_storeu_si256((__m256i *)(out + i), _mm256_permutevar8x32_epi32(a, order));
	}
	return i;
}

#endif

void
noise_apply_u8_range(const struct noise_table *t, uint64_t key, const unsigned char *in,
                     unsigned char *out, size_t start, size_t end, int simd)
{
	/* the index hashed is 32 bits: each block of 2^32 elements has its own key */
	const uint64_t B = (uint64_t)1 << 32;
	uint64_t b, at, lo, hi, i;

	for (; start < end; start = (size_t)(at + hi)) {
		uint64_t k = key;
		b = (uint64_t)start / B;
		at = b * B;
		if (b)
			k = mix64(key + b * GOLDEN);
		lo = (uint64_t)start - at;
		hi = (uint64_t)end - at < B ? (uint64_t)end - at : B;
		i = lo;
#ifdef HAVE_AVX2
		if (simd && t_cpu_avx2())
			i = apply_u8_avx2(t, (uint32_t)k, (uint32_t)(k >> 32), in + at, out + at, lo, hi);
#endif
		(void)simd;
		apply_u8_c(t, (uint32_t)k, (uint32_t)(k >> 32), in + at, out + at, i, hi);
	}
}

void
noise_apply_u8(const struct noise_table *t, uint64_t key, const unsigned char *in,
               unsigned char *out, size_t n)
{
	noise_apply_u8_range(t, key, in, out, 0, n, 1);
}
