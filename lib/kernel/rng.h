/* rng.h: a seeded random number generator passed by pointer, never global.
 *
 * ABOUT
 *   xoshiro256** (Blackman and Vigna), seeded through splitmix64. Used for
 *   weight initialisation, shuffling and patch sampling; the noise of
 *   lib/image/noise.c is counter-based instead so it can be drawn out of order.
 *
 * USAGE
 *   rng_seed(&r, seed)       any 64-bit seed
 *   rng_u64(&r)              64 random bits
 *   rng_uniform(&r)          double in [0, 1)
 *   rng_below(&r, n)         integer in [0, n), unbiased
 *   rng_shuffle(&r, a, n)    Fisher-Yates shuffle of n size_t values
 *
 * ERRORS / MEMORY / LIMITS
 *   None: the state is four words in the caller's struct.
 */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
double rng_uniform(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n);
void rng_shuffle(struct rng *r, size_t *a, size_t n);

#endif
