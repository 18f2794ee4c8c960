/* meta.h: carry EXIF, XMP and ICC profiles from a photo to its re-encoding.
 *
 * ABOUT
 *   A JPEG keeps them in APP1 (EXIF "Exif\0\0", XMP
 *   "http://ns.adobe.com/xap/1.0/\0") and APP2 ("ICC_PROFILE\0") segments,
 *   a PNG in iCCP, eXIf and iTXt "XML:com.adobe.xmp" chunks. meta_read
 *   collects those segments or chunks, byte for byte, from an input's
 *   first bytes; meta_splice writes a freshly encoded image of the same
 *   format with them inserted: after SOI and a JFIF APP0 for JPEG, after
 *   IHDR for PNG. Nothing is decoded or re-encoded, so profiles and tags
 *   come through exactly, with one change: the decoder applies the EXIF
 *   orientation to the pixels, so the first EXIF copied (the one the
 *   decoder reads) has its orientation set to 1, where the tag holds one
 *   SHORT or one LONG (a PNG eXIf then gets its CRC made again). Where it
 *   does not, the EXIF is copied as it is and m.orientation says what it
 *   still holds, for the caller to report.
 *
 * USAGE
 *   meta_read(&m, fmt, buf, n)      0, or -1 when out of memory; finds
 *                                   nothing (m.len 0) in another format or
 *                                   in malformed bytes
 *   meta_splice(fp, fmt, img, n, &m)   write img (n bytes of fmt) to fp
 *                                   with m inserted; 0, or -1 with errno
 *                                   (EINVAL: img is not such a file)
 *   meta_free(&m)                   a zeroed struct is fine
 *
 * LIMITS
 *   Only what lies in buf: a segment or chunk that runs past it is left
 *   out (cmd/daedenoise.c reads the first 4 MiB). PNG chunks after the
 *   first IDAT are not looked at; their CRCs are not checked, as the
 *   decoder would have refused a damaged file. Other formats have none.
 */
#ifndef META_H
#define META_H

#include <stddef.h>
#include <stdio.h>

#include "image.h"

struct img_meta {
	unsigned char *data;    /* the segments or chunks, back to back */
	size_t len;
	int exif;               /* an EXIF is among them */
	unsigned orientation;   /* what its orientation is left at: 1 after a
	                           reset or when there is none */
};

int meta_read(struct img_meta *m, enum img_format fmt, const unsigned char *buf, size_t n);
int meta_splice(FILE *fp, enum img_format fmt, const unsigned char *img, size_t n,
                const struct img_meta *m);
void meta_free(struct img_meta *m);

#endif
