/* meta.c: meta_read, meta_splice (meta.h). Every length is checked
 * against the bytes there before it is used; nothing is parsed beyond the
 * segment and chunk framing, and the one EXIF field that changes. */
#include "meta.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };

static int
append(struct img_meta *m, const unsigned char *p, size_t n)
{
	unsigned char *d = realloc(m->data, m->len + n);

	if (!d)
		return -1;
	memcpy(d + m->len, p, n);
	m->data = d;
	m->len += n;
	return 0;
}

static unsigned
get16(const unsigned char *p, int le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p, int le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
	          : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* the IFD0 entry of the orientation (tag 0x0112) in the TIFF data t (n
 * bytes), or NULL; *le says its byte order */
static unsigned char *
orientation_entry(unsigned char *t, size_t n, int *le)
{
	uint32_t ifd;
	unsigned count, i;

	if (n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
		return NULL;
	*le = t[0] == 'I';
	if (get16(t + 2, *le) != 42)
		return NULL;
	ifd = get32(t + 4, *le);
	if (ifd > n || n - ifd < 2)
		return NULL;
	count = get16(t + ifd, *le);
	for (i = 0; i < count; i++) {
		unsigned char *e = t + ifd + 2 + 12 * (size_t)i;
		if ((size_t)(e - t) + 12 > n)
			return NULL;
		if (get16(e, *le) == 0x0112)
			return e;
	}
	return NULL;
}

/* the orientation as the decoder reads it (lib/image/decode.c): a LONG's
 * value, the first 16 bits of another type's; 1 when absent or not 1..8 */
static unsigned
orientation(unsigned char *t, size_t n)
{
	unsigned char *e;
	uint32_t v;
	int le;

	if (!(e = orientation_entry(t, n, &le)))
		return 1;
	v = get16(e + 2, le) == 4 ? get32(e + 8, le) : get16(e + 8, le);
	return v >= 1 && v <= 8 ? (unsigned)v : 1;
}

/* reset_orientation sets the orientation in the TIFF data t (n bytes) to
 * 1 where that fits cleanly, one SHORT or one LONG, and returns what is
 * left there */
static unsigned
reset_orientation(unsigned char *t, size_t n)
{
	unsigned char *e;
	unsigned type;
	int le;

	if (!(e = orientation_entry(t, n, &le)))
		return 1;
	type = get16(e + 2, le);
	if ((type == 3 || type == 4) && get32(e + 4, le) == 1) {
		memset(e + 8, 0, type == 3 ? 2 : 4);
		e[le ? 8 : type == 3 ? 9 : 11] = 1;
	}
	return orientation(t, n);
}

static int
prefix(const unsigned char *p, size_t n, const char *s, size_t len)
{
	return n >= len && memcmp(p, s, len) == 0;
}

static int
read_jpeg(struct img_meta *m, const unsigned char *b, size_t n)
{
	size_t p = 2;

	if (n < 4 || b[0] != 0xFF || b[1] != 0xD8)
		return 0;
	while (p + 4 <= n && b[p] == 0xFF) {
		unsigned marker = b[p + 1], len;
		const unsigned char *body;
		size_t blen;
		if (marker == 0xFF) {
			p++;
			continue;
		}
		if (marker == 0xDA || marker == 0xD9)
			break;
		len = get16(b + p + 2, 0);
		if (len < 2 || p + 2 + len > n)
			break;
		body = b + p + 4;
		blen = len - 2;
		if ((marker == 0xE1 && (prefix(body, blen, "Exif\0\0", 6) ||
		                        prefix(body, blen, "http://ns.adobe.com/xap/1.0/\0", 29))) ||
		    (marker == 0xE2 && prefix(body, blen, "ICC_PROFILE\0", 12))) {
			size_t at = m->len;
			if (append(m, b + p, 2 + len) != 0)
				return -1;
			if (marker == 0xE1 && body[0] == 'E' && !m->exif) {
				m->orientation = reset_orientation(m->data + at + 10, blen - 6);
				m->exif = 1;
			}
		}
		p += 2 + len;
	}
	return 0;
}

static int
read_png(struct img_meta *m, const unsigned char *b, size_t n)
{
	size_t p = 8;

	if (n < 8 || memcmp(b, png_sig, 8) != 0)
		return 0;
	while (p + 12 <= n) {
		uint32_t len = get32(b + p, 0);
		const unsigned char *type = b + p + 4;
		if (len > n - p - 12)
			break;
		if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0)
			break;
		if (memcmp(type, "iCCP", 4) == 0 || memcmp(type, "eXIf", 4) == 0 ||
		    (memcmp(type, "iTXt", 4) == 0 && prefix(b + p + 8, len, "XML:com.adobe.xmp\0", 18))) {
			size_t at = m->len;
			if (append(m, b + p, 12 + (size_t)len) != 0)
				return -1;
			/* libpng keeps the first eXIf: its orientation is reset
			 * and its CRC made again */
			if (type[0] == 'e' && !m->exif) {
				unsigned char *c = m->data + at;
				uint32_t crc;
				m->orientation = reset_orientation(c + 8, len);
				crc = (uint32_t)crc32(0, c + 4, 4 + len);
				c[8 + len] = (unsigned char)(crc >> 24);
				c[9 + len] = (unsigned char)(crc >> 16);
				c[10 + len] = (unsigned char)(crc >> 8);
				c[11 + len] = (unsigned char)crc;
				m->exif = 1;
			}
		}
		p += 12 + (size_t)len;
	}
	return 0;
}

int
meta_read(struct img_meta *m, enum img_format fmt, const unsigned char *buf, size_t n)
{
	m->data = NULL;
	m->len = 0;
	m->exif = 0;
	m->orientation = 1;
	if (fmt == IMG_JPEG)
		return read_jpeg(m, buf, n);
	if (fmt == IMG_PNG)
		return read_png(m, buf, n);
	return 0;
}

int
meta_splice(FILE *fp, enum img_format fmt, const unsigned char *img, size_t n,
            const struct img_meta *m)
{
	size_t at;

	if (fmt == IMG_JPEG) {
		if (n < 4 || img[0] != 0xFF || img[1] != 0xD8)
			goto bad;
		at = 2;
		/* after a JFIF APP0, which must come first */
		if (n >= 6 && img[2] == 0xFF && img[3] == 0xE0)
			at = 4 + get16(img + 4, 0);
	} else if (fmt == IMG_PNG) {
		/* after the signature and IHDR, before PLTE and IDAT as iCCP must */
		if (n < 33 || memcmp(img, png_sig, 8) != 0 || memcmp(img + 12, "IHDR", 4) != 0)
			goto bad;
		at = 8 + 12 + get32(img + 8, 0);
	} else {
		at = 0;
	}
	if (at > n)
		goto bad;
	if (!m || m->len == 0 || at == 0)
		return fwrite(img, 1, n, fp) == n ? 0 : -1;
	if (fwrite(img, 1, at, fp) != at || fwrite(m->data, 1, m->len, fp) != m->len ||
	    fwrite(img + at, 1, n - at, fp) != n - at)
		return -1;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
meta_free(struct img_meta *m)
{
	free(m->data);
	m->data = NULL;
	m->len = 0;
	m->exif = 0;
	m->orientation = 1;
}
