/* le.h: little-endian fields, the byte order of every file format here
 * (tensor(5), pack(5), model(5), checkpoints), read and written in one place.
 *
 *   le_get16/32/64(p), le_put16/32/64(p, v)   unaligned fields, any host
 *   le_f32(buf, n)   n bytes of f32 between disk and host order: a no-op on
 *                    little-endian hosts, a byte swap on big-endian ones
 */
#ifndef LE_H
#define LE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
le_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
le_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t
le_get64(const unsigned char *p)
{
	return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

static inline void
le_put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static inline void
le_put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static inline void
le_put64(unsigned char *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

static inline void
le_f32(void *buf, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	unsigned char *p = buf, t;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		t = p[i], p[i] = p[i + 3], p[i + 3] = t;
		t = p[i + 1], p[i + 1] = p[i + 2], p[i + 2] = t;
	}
#else
	(void)buf;
	(void)n;
#endif
}

#endif
