/* noise.h: reproducible synthetic noise on the 0..255 scale, and an
 * estimate of the noise an image carries.
 *
 * ABOUT
 *   Gaussian (the tutorial's mean 10, std 50), Poisson (shot noise at a given
 *   peak) and salt-and-pepper, drawn in float from a counter-based generator:
 *   element i of a record gets noise that depends only on (key, i). The key
 *   comes from the seed and the record itself (its name, shape and bytes), so
 *   a record's noise does not depend on where it sits in the stream, how the
 *   stream was split, or how many threads drew it. daetrain keys fresh noise
 *   by (seed, epoch, sample) instead.
 *
 * USAGE
 *   key = noise_key(seed, name, namelen, dims, rank, payload, nbytes)
 *   key = noise_key3(seed, a, b)            key from three numbers
 *   noise_apply(&opt, key, x, n)            x (float, 0..255) += noise, in place
 *   noise_gauss(out, n, key)                n standard normals (for tests)
 *   noise_to_u8(out, x, n)                  round half up, clip to 0..255;
 *                                           NaN becomes 0
 *   noise_none(&opt)                        true when opt adds nothing
 *   noise_table_init(&t, &opt)              for Gaussian noise alone: 0 and
 *                                           a table for noise_apply_u8; -1
 *                                           for other kinds (use noise_apply)
 *   noise_apply_u8(&t, key, in, out, n)     out = in + noise, rounded and
 *                                           clipped to u8: the distribution
 *                                           of noise_apply then noise_to_u8,
 *                                           drawn exactly from a table and
 *                                           about 50 times faster (another
 *                                           sequence, the same for every CPU)
 *   noise_apply_u8_range(&t, key, in, out, start, end, simd)
 *                                           elements [start, end) only (in and
 *                                           out still point at element 0), for
 *                                           splitting a record over threads;
 *                                           simd 0 forces plain C
 *   s = noise_estimate(x, h, w, c)          the std of the white Gaussian
 *                                           noise in x (h, w, c floats, on
 *                                           any scale: s is on the same), by
 *                                           the patch-covariance method of
 *                                           Chen, Zhu and Heng, on a colour
 *                                           image's colour differences
 *                                           (estimate.c); -1 for an image
 *                                           under 8 x 8 or too small for
 *                                           128 patches
 *
 * ERRORS / MEMORY
 *   No errors; no allocation: the caller provides the buffers
 *   (noise_estimate keeps about 35 KB on the stack).
 *
 * LIMITS
 *   Poisson draws are exact (Knuth) for lambda < 64 and use the normal
 *   approximation above that, where the two agree to well under 1%.
 */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>

struct noise_opt {
	float mean, std;        /* Gaussian, 0..255 scale; std 0 disables */
	float poisson_peak;     /* photons at value 255; 0 disables */
	float salt_pepper;      /* fraction of elements set to 0 or 255; 0 disables */
};

/* Walker alias table for rounded Gaussian noise: 512 slots of threshold << 9 | alias */
struct noise_table {
	uint32_t e[512];
};

uint64_t noise_key(uint64_t seed, const char *name, size_t namelen, const uint32_t *dims,
                   unsigned rank, const void *payload, size_t nbytes);
uint64_t noise_key3(uint64_t seed, uint64_t a, uint64_t b);
void noise_apply(const struct noise_opt *o, uint64_t key, float *x, size_t n);
void noise_gauss(float *out, size_t n, uint64_t key);
void noise_to_u8(unsigned char *out, const float *x, size_t n);
int noise_none(const struct noise_opt *o);
int noise_table_init(struct noise_table *t, const struct noise_opt *o);
void noise_apply_u8(const struct noise_table *t, uint64_t key, const unsigned char *in,
                    unsigned char *out, size_t n);
void noise_apply_u8_range(const struct noise_table *t, uint64_t key, const unsigned char *in,
                          unsigned char *out, size_t start, size_t end, int simd);
double noise_estimate(const float *x, size_t h, size_t w, size_t c);

#endif
