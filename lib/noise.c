/* noise.c: counter-based noise. Each random number is a pure function of
 * (key, stream, index): splitmix64's finaliser over a counter, so any element
 * can be drawn without drawing the ones before it. Gaussians come in pairs
 * from Box-Muller. Not a cryptographic generator, and not numpy's: the noise
 * has the same distribution as the tutorial's np.random.normal, not its bits. */
#include "noise.h"

#include <math.h>
#include <string.h>

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
