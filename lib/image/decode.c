/* decode.c: reading JPEG, PNG and PPM/PGM images (image.h), one after
 * another from one stream.
 *
 * Decoding is libjpeg-turbo's and libpng's; what is ours is the buffered
 * reader under them (so images can follow one another in one stream), the
 * conversions to RGB or RGBA of 8 or 16 bits, EXIF orientation and the
 * resync rules in image.h. Resizing (resize.c) and encoding (encode.c) share nothing with
 * it but image.h. */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#define READ_CHUNK 65536
/* What one image may hold of the input while it is decoded, so that a
 * failed image can be followed again from its first byte: HOLD_BASE, plus
 * 4 bytes a pixel once the header has given the size (more than any JPEG
 * or PNG of real pixels takes). Past that the image lets its start go
 * (fill), and memory stays bounded whatever follows: a JPEG without an
 * end marker followed by gigabytes, a PNG of endless empty deflate blocks,
 * a header of a million APP segments. */
#define HOLD_BASE ((uint64_t)8 << 20)

struct img_reader;

/* One entry per container format; PPM and PGM share the PNM entry. */
struct codec {
	enum img_format format;
	enum img_err (*header)(struct img_reader *r);
	enum img_err (*pixels)(struct img_reader *r, unsigned char *rgb);
	/* after an error or to skip: free decoder state, then move to where
	 * the next image starts (see "Where the next image starts" in image.h) */
	void (*abort)(struct img_reader *r);
	void (*resync)(struct img_reader *r);
	void (*skip)(struct img_reader *r);
};

struct img_reader {
	uint64_t max_pixels;
	int fd;

	/* input buffer: buf[keep..len) is held, pos is the next byte to use.
	 * keep is the start of the current image while it is being decoded, so
	 * a failed image can be followed again from its first byte. */
	unsigned char *buf;
	size_t cap, len, pos, keep;
	uint64_t base;          /* input offset of buf[0] */
	int eof;
	/* while decoding (decoding set), keep stays at the image's start
	 * until more than hold bytes are held; then lost is set, keep follows
	 * pos, and a failure rescans from where the decoder stopped */
	uint64_t hold;
	int decoding, lost;

	enum img_err sticky;
	int errnum;
	size_t ninputs;
	unsigned warnings;
	char msg[256];
	char detail[JMSG_LENGTH_MAX + 64];

	/* the image between img_read_header and img_read_pixels */
	const struct codec *codec;
	int pending;
	enum img_format format;
	uint32_t sh, sw;        /* stored size, before orientation */
	uint64_t claim_h, claim_w;      /* as the header has it, for messages */
	uint32_t oh, ow;        /* decoded size, stored orientation */
	unsigned orientation, channels, depth;
	int alpha;              /* the file has an alpha channel or tRNS */
	unsigned out_ch, out_depth;     /* what img_read_samples asked for */
	unsigned scale_num;     /* JPEG DCT scaling: scale_num / 8 */
	enum img_err fail;      /* set by a callback before it longjmps */
	unsigned char *row;
	size_t rowcap;

	jmp_buf jmp;
	struct jpeg_decompress_struct jd;
	struct jpeg_error_mgr jerr;
	struct jpeg_source_mgr jsrc;
	struct jpeg_progress_mgr jprog;
	int jd_made;

	png_structp png;
	png_infop pinfo;
	unsigned passes;
	/* the chunk structure of the bytes given to libpng, so that the end of
	 * the image can be found without it (png_track, png_finish) */
	unsigned png_sig, png_hdr_got;
	unsigned char png_hdr[8];
	uint64_t png_left;      /* bytes left of the current chunk, CRC included */
	int png_iend, png_done;
	/* rows libpng has decoded, of png_rows_all (png_row_done) */
	size_t png_rows, png_rows_all;
	/* a whole interlaced PNG, before its orientation is applied */
	unsigned char *full;

	/* the first Exif APP1 segment's orientation (japp1) */
	int exif_seen;
	unsigned char app1[65535];

	unsigned maxval;
	int in_payload;
};

static const struct codec jpeg_codec, png_codec, pnm_codec;

/* ---------------------------------------------------------------------- */
/* messages */

static const char *const errstr[] = {
	[IMG_OK] = "success",
	[IMG_END] = "end of input",
	[IMG_EIO] = "read error",
	[IMG_ENOMEM] = "out of memory",
	[IMG_EFORMAT] = "not a JPEG, PNG or PPM",
	[IMG_ETRUNC] = "truncated image",
	[IMG_ECORRUPT] = "corrupt image",
	[IMG_EUNSUP] = "unsupported image",
	[IMG_ELIMIT] = "image over the size limit",
	[IMG_EARG] = "invalid argument",
	[IMG_ESTATE] = "call out of order or wrong buffer size",
};

const char *
img_strerror(enum img_err err)
{
	if ((unsigned)err < sizeof errstr / sizeof errstr[0] && errstr[err])
		return errstr[err];
	return "unknown error";
}

static void
setmsg(struct img_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof r->msg, fmt, ap);
	va_end(ap);
}

/* "Bogus marker length" reads better as "bogus marker length" after a
 * colon; "IDAT: ..." and "JPEG ..." keep their capitals */
static const char *
lowerfirst(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z')
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

/* the message for an image-level error, naming the format */
static enum img_err
image_error(struct img_reader *r, enum img_err err)
{
	const char *fmt = img_format_name(r->format);

	if (err == IMG_ETRUNC)
		setmsg(r, "truncated %s", fmt);
	else if (err == IMG_ELIMIT && r->claim_h && r->claim_w)
		setmsg(r, "%s of %llu x %llu pixels is over the limit of %llu", fmt,
		       (unsigned long long)r->claim_w, (unsigned long long)r->claim_h,
		       (unsigned long long)r->max_pixels);
	else if (err == IMG_EUNSUP)
		setmsg(r, "unsupported %s: %s", fmt, lowerfirst(r->detail));
	else if (err == IMG_EIO)
		setmsg(r, "read error: %s", strerror(r->errnum));
	else if (err == IMG_ENOMEM)
		setmsg(r, "out of memory");
	else if (r->detail[0])
		setmsg(r, "corrupt %s: %s", fmt, lowerfirst(r->detail));
	else
		setmsg(r, "corrupt %s", fmt);
	return err;
}

const char *
img_reader_message(const struct img_reader *r)
{
	return r->msg;
}

int
img_reader_errno(const struct img_reader *r)
{
	return r->errnum;
}

unsigned
img_reader_warnings(const struct img_reader *r)
{
	return r->warnings;
}

/* ---------------------------------------------------------------------- */
/* the buffered reader */

/* fill reads more input after len: IMG_OK when some arrived, IMG_END at the
 * end of input, IMG_EIO or IMG_ENOMEM (sticky). Bytes before keep are
 * dropped first; the buffer doubles only when what is held fills it. read(2)
 * returns what a pipe has, so an image is decoded as soon as it is whole. */
static enum img_err
fill(struct img_reader *r)
{
	ssize_t n;

	if (r->sticky)
		return r->sticky;
	if (r->eof)
		return IMG_END;
	if (r->decoding && r->len - r->keep > r->hold) {
		/* two bytes stay: the marker a JPEG decoder has just read
		 * (FF D8, another image's start) is where rescanning begins */
		r->keep = r->pos - (r->pos - r->keep < 2 ? r->pos - r->keep : 2);
		r->lost = 1;
	}
	if (r->cap - r->len < READ_CHUNK / 4 && r->keep > 0) {
		memmove(r->buf, r->buf + r->keep, r->len - r->keep);
		r->base += r->keep;
		r->len -= r->keep;
		r->pos -= r->keep;
		r->keep = 0;
	}
	if (r->cap - r->len < READ_CHUNK / 4) {
		size_t ncap = r->cap ? r->cap * 2 : READ_CHUNK;
		unsigned char *p;

		if (ncap < r->cap || !(p = realloc(r->buf, ncap))) {
			r->sticky = IMG_ENOMEM;
			return IMG_ENOMEM;
		}
		r->buf = p;
		r->cap = ncap;
	}
	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->errnum = errno;
		r->sticky = IMG_EIO;
		return IMG_EIO;
	}
	if (n == 0) {
		r->eof = 1;
		return IMG_END;
	}
	r->len += (size_t)n;
	return IMG_OK;
}

/* need makes k bytes at keep + rel available if the input has them;
 * returns how many of the k there are (0 at the end), or -1 on a sticky
 * error. Offsets are relative to keep because fill may move the buffer. */
static long
need(struct img_reader *r, size_t rel, size_t k)
{
	enum img_err e;

	while (r->len - r->keep < rel + k) {
		e = fill(r);
		if (e == IMG_END)
			break;
		if (e != IMG_OK)
			return -1;
	}
	if (r->len - r->keep <= rel)
		return 0;
	return (long)(r->len - r->keep - rel < k ? r->len - r->keep - rel : k);
}

/* get copies n bytes from pos: IMG_OK, IMG_ETRUNC at the end, or sticky */
static enum img_err
get(struct img_reader *r, unsigned char *dst, size_t n)
{
	size_t k;
	enum img_err e;

	while (n > 0) {
		if (r->pos == r->len) {
			e = fill(r);
			if (e == IMG_END)
				return IMG_ETRUNC;
			if (e != IMG_OK)
				return e;
		}
		k = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(dst, r->buf + r->pos, k);
		r->pos += k;
		dst += k;
		n -= k;
	}
	return IMG_OK;
}

/* getbyte: the next byte, -1 at the end, -2 on a sticky error */
static int
getbyte(struct img_reader *r)
{
	enum img_err e;

	if (r->pos == r->len) {
		e = fill(r);
		if (e == IMG_END)
			return -1;
		if (e != IMG_OK)
			return -2;
	}
	return r->buf[r->pos++];
}

static int
isspace_pnm(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* sniff names the codec whose signature starts p (n bytes), or NULL.
 * JPEG: SOI and the FF of a next marker (C0..FF). PNG: its 8 bytes. PNM:
 * "P5" or "P6", then a comment, or whitespace and then whitespace, a digit
 * or a comment. */
static const struct codec *
sniff(const unsigned char *p, size_t n)
{
	static const unsigned char pngsig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff && p[3] >= 0xc0)
		return &jpeg_codec;
	if (n >= 8 && memcmp(p, pngsig, 8) == 0)
		return &png_codec;
	if (n >= 4 && p[0] == 'P' && (p[1] == '5' || p[1] == '6') &&
	    (p[2] == '#' || (isspace_pnm(p[2]) &&
	     (isspace_pnm(p[3]) || (p[3] >= '0' && p[3] <= '9') || p[3] == '#'))))
		return &pnm_codec;
	return NULL;
}

/* pnm_whole: does p (n bytes) start a complete P5/P6 header, three
 * numbers and maxval's single whitespace byte? */
static int
pnm_whole(const unsigned char *p, size_t n)
{
	size_t i = 2;
	int k, digits;

	for (k = 0; k < 3; k++) {
		while (i < n && (isspace_pnm(p[i]) || p[i] == '#'))
			if (p[i++] == '#')
				while (i < n && p[i] != '\n' && p[i] != '\r')
					i++;
		for (digits = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			digits++;
		if (!digits || i >= n || (!isspace_pnm(p[i]) && p[i] != '#'))
			return 0;
	}
	return 1;
}

/* sniff_strict: sniff, with a PNM header only when it is complete in the
 * SCAN_AHEAD bytes, so that "P6 " in garbage or in compressed data is
 * not taken for an image while scanning */
#define SCAN_AHEAD 64

static const struct codec *
sniff_strict(const unsigned char *p, size_t n)
{
	const struct codec *c = sniff(p, n);

	return c == &pnm_codec && !pnm_whole(p, n) ? NULL : c;
}

/* scan moves pos to the next signature at or after keep + rel, or to the
 * end of the input, dropping the bytes passed over. */
static void
scan(struct img_reader *r, size_t rel)
{
	const unsigned char *p;
	size_t i, avail, lim;
	long n;

	for (;;) {
		n = need(r, rel, SCAN_AHEAD);
		if (n < 0)
			return;
		if (n == 0) {
			r->pos = r->keep = r->len;
			return;
		}
		p = r->buf + r->keep + rel;
		avail = r->len - r->keep - rel;
		/* a position can be judged once SCAN_AHEAD bytes follow it, or at
		 * the end; need() gave that many unless the input has ended */
		lim = r->eof ? avail : avail - (SCAN_AHEAD - 1);
		for (i = 0; i < lim; i++)
			if ((p[i] == 0xff || p[i] == 0x89 || p[i] == 'P') &&
			    sniff_strict(p + i, avail - i < SCAN_AHEAD ? avail - i : SCAN_AHEAD)) {
				r->pos = r->keep = r->keep + rel + i;
				return;
			}
		r->pos = r->keep = r->keep + rel + i;
		rel = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* EXIF orientation */

static unsigned
rd16(const unsigned char *p, int le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

static uint32_t
rd32(const unsigned char *p, int le)
{
	return le ? (uint32_t)rd16(p, 1) | (uint32_t)rd16(p + 2, 1) << 16
	          : (uint32_t)rd16(p, 0) << 16 | rd16(p + 2, 0);
}

/* tiff_orientation reads tag 0x0112 of IFD0 from TIFF data (an APP1
 * "Exif" payload after its 6 bytes, or a PNG eXIf chunk); 1 when absent or
 * out of range */
static unsigned
tiff_orientation(const unsigned char *t, size_t tn)
{
	size_t e;
	uint32_t ifd;
	unsigned cnt, i, v;
	int le;

	if (tn < 8)
		return 1;
	if (t[0] == 'I' && t[1] == 'I')
		le = 1;
	else if (t[0] == 'M' && t[1] == 'M')
		le = 0;
	else
		return 1;
	if (rd16(t + 2, le) != 42)
		return 1;
	ifd = rd32(t + 4, le);
	if (ifd < 8 || ifd > tn - 2)
		return 1;
	cnt = rd16(t + ifd, le);
	for (i = 0; i < cnt; i++) {
		e = ifd + 2 + (size_t)12 * i;
		if (e + 12 > tn)
			break;
		if (rd16(t + e, le) != 0x0112)
			continue;
		v = rd16(t + e + 2, le) == 4 ? (unsigned)rd32(t + e + 8, le) : rd16(t + e + 8, le);
		return v >= 1 && v <= 8 ? v : 1;
	}
	return 1;
}

/* exif_orientation: the same for an APP1 payload; 0 when it is not Exif */
static unsigned
exif_orientation(const unsigned char *d, size_t n)
{
	if (n < 14 || memcmp(d, "Exif\0\0", 6) != 0)
		return 0;
	return tiff_orientation(d + 6, n - 6);
}

/* store16 puts v at sample i of a row of 16-bit samples in host order */
static void
store16(unsigned char *row, size_t i, unsigned v)
{
	uint16_t s = (uint16_t)v;

	memcpy(row + 2 * i, &s, 2);
}

/* expand_row turns w 8-bit RGB pixels at the start of row into w pixels of
 * ch (3 or 4, alpha opaque) samples of depth 8 or 16 (v * 257), in place:
 * from the last pixel back, as pixel i is read before it is written over */
static void
expand_row(unsigned char *row, size_t w, unsigned ch, unsigned depth)
{
	size_t i = w;
	unsigned c, v[4] = { 0, 0, 0, 255 };

	if (ch == 3 && depth == 8)
		return;
	while (i-- > 0) {
		for (c = 0; c < 3; c++)
			v[c] = row[3 * i + c];
		for (c = 0; c < ch; c++) {
			if (depth == 16)
				store16(row, i * ch + c, v[c] * 257);
			else
				row[i * ch + c] = (unsigned char)v[c];
		}
	}
}

/* put_row places stored row y (w pixels of bpp bytes) of a stored h x w
 * image into dst as shown under EXIF orientation o: 2 mirrors, 3 turns
 * 180, 4 flips, 5 transposes, 6 turns 90 clockwise, 7 transverses, 8 turns
 * 90 counter-clockwise (the TIFF/EXIF definitions; PIL's exif_transpose). */
static void
put_row(unsigned char *dst, const unsigned char *row, size_t y, size_t h, size_t w, unsigned o,
        size_t bpp)
{
	ptrdiff_t step;
	size_t base, dw = o >= 5 ? h : w, x;
	unsigned char *d;

	switch (o) {
	case 2: base = y * dw + w - 1; step = -1; break;
	case 3: base = (h - 1 - y) * dw + w - 1; step = -1; break;
	case 4: base = (h - 1 - y) * dw; step = 1; break;
	case 5: base = y; step = (ptrdiff_t)dw; break;
	case 6: base = h - 1 - y; step = (ptrdiff_t)dw; break;
	case 7: base = (w - 1) * dw + h - 1 - y; step = -(ptrdiff_t)dw; break;
	case 8: base = (w - 1) * dw + y; step = -(ptrdiff_t)dw; break;
	default: base = y * dw; step = 1; break;
	}
	d = dst + base * bpp;
	if (step == 1) {
		memcpy(d, row, w * bpp);
		return;
	}
	for (x = 0; x < w; x++, d += step * (ptrdiff_t)bpp, row += bpp)
		memcpy(d, row, bpp);
}

static enum img_err
grow_row(struct img_reader *r, size_t n)
{
	unsigned char *p;

	if (n <= r->rowcap)
		return IMG_OK;
	if (!(p = realloc(r->row, n)))
		return IMG_ENOMEM;
	r->row = p;
	r->rowcap = n;
	return IMG_OK;
}

static enum img_err
check_size(struct img_reader *r, uint64_t h, uint64_t w)
{
	r->claim_h = h;
	r->claim_w = w;
	if (h == 0 || w == 0) {
		snprintf(r->detail, sizeof r->detail, "width or height is 0");
		return IMG_ECORRUPT;
	}
	if (h > IMG_MAX_DIM || w > IMG_MAX_DIM || h * w > r->max_pixels)
		return IMG_ELIMIT;
	return IMG_OK;
}

/* ---------------------------------------------------------------------- */
/* JPEG, through libjpeg with our source manager */

static struct img_reader *
jreader(j_common_ptr c)
{
	return c->client_data;
}

static void
jerr_exit(j_common_ptr c)
{
	struct img_reader *r = jreader(c);

	(*c->err->format_message)(c, r->detail);
	longjmp(r->jmp, 1);
}

/* the library prints nothing; warnings are counted */
static void
jerr_output(j_common_ptr c)
{
	(void)c;
}

/* libjpeg-turbo decodes a scan whose data runs out (it hits a marker) as
 * zeros after one warning, so a 400-byte file claiming 10000 x 10000 came
 * out as a flat image. A scan that ends before its last row of MCUs is a
 * truncated file; a few bits short in the last row is decoded past, as
 * OpenCV does. */
static void
jerr_emit(j_common_ptr c, int level)
{
	struct img_reader *r = jreader(c);

	if (level >= 0)
		return;
	if (c->err->msg_code == JWRN_HIT_MARKER && r->jd.input_iMCU_row + 1 < r->jd.total_iMCU_rows) {
		r->fail = IMG_ETRUNC;
		longjmp(r->jmp, 1);
	}
	c->err->num_warnings++;
	r->warnings++;
}

static void
jsrc_init(j_decompress_ptr c)
{
	(void)c;
}

static void
jsrc_term(j_decompress_ptr c)
{
	(void)c;
}

/* libjpeg calls this when it has used every byte it was given; the end of
 * input inside an image is an error here, not libjpeg's fake EOI */
static boolean
jsrc_fill(j_decompress_ptr c)
{
	struct img_reader *r = jreader((j_common_ptr)c);
	enum img_err e;

	r->pos = r->len;
	e = fill(r);
	if (e != IMG_OK) {
		r->fail = e == IMG_END ? IMG_ETRUNC : e;
		longjmp(r->jmp, 1);
	}
	c->src->next_input_byte = r->buf + r->pos;
	c->src->bytes_in_buffer = r->len - r->pos;
	return TRUE;
}

static void
jsrc_skip(j_decompress_ptr c, long n)
{
	struct jpeg_source_mgr *s = c->src;

	if (n <= 0)
		return;
	while ((size_t)n > s->bytes_in_buffer) {
		n -= (long)s->bytes_in_buffer;
		s->bytes_in_buffer = 0;
		jsrc_fill(c);
	}
	s->next_input_byte += n;
	s->bytes_in_buffer -= (size_t)n;
}

static unsigned
jgetc(j_decompress_ptr c)
{
	struct jpeg_source_mgr *s = c->src;

	if (s->bytes_in_buffer == 0)
		s->fill_input_buffer(c);        /* returns only with data */
	s->bytes_in_buffer--;
	return *s->next_input_byte++;
}

/* APP1: the orientation of the first Exif segment. Read here rather than
 * saved by jpeg_save_markers, which keeps every APP1 of the file in memory
 * however many there are. */
static boolean
japp1(j_decompress_ptr c)
{
	struct img_reader *r = jreader((j_common_ptr)c);
	size_t len, i;
	unsigned o;

	len = jgetc(c) << 8;
	len |= jgetc(c);
	if (len < 2) {
		snprintf(r->detail, sizeof r->detail, "bad APP1 length");
		r->fail = IMG_ECORRUPT;
		longjmp(r->jmp, 1);
	}
	len -= 2;
	for (i = 0; i < len; i++)
		r->app1[i] = (unsigned char)jgetc(c);
	if (!r->exif_seen && (o = exif_orientation(r->app1, len)) != 0) {
		r->orientation = o;
		r->exif_seen = 1;
	}
	return TRUE;
}

static void
jprogress(j_common_ptr c)
{
	struct img_reader *r = jreader(c);

	if (r->jd.input_scan_number > IMG_MAX_SCANS) {
		snprintf(r->detail, sizeof r->detail, "more than %d scans", IMG_MAX_SCANS);
		r->fail = IMG_EUNSUP;
		longjmp(r->jmp, 1);
	}
}

/* jpeg_fail turns what libjpeg or a callback said into an error code */
static enum img_err
jpeg_fail(struct img_reader *r)
{
	enum img_err e = r->fail;

	if (e != IMG_OK)
		return e;
	switch (r->jerr.msg_code) {
	case JERR_OUT_OF_MEMORY:
		return IMG_ENOMEM;
	case JERR_SOI_DUPLICATE:
		/* another image began before this one reached its EOI */
		return IMG_ETRUNC;
	case JERR_BAD_PRECISION:
	case JERR_ARITH_NOTIMPL:
	case JERR_NOT_COMPILED:
	case JERR_CONVERSION_NOTIMPL:
		return IMG_EUNSUP;
	case JERR_IMAGE_TOO_BIG:
		return IMG_ELIMIT;
	default:
		return IMG_ECORRUPT;
	}
}

static enum img_err
jpeg_header(struct img_reader *r)
{
	j_decompress_ptr c = &r->jd;
	enum img_err e;

	r->exif_seen = 0;
	if (setjmp(r->jmp))
		return jpeg_fail(r);
	r->jsrc.next_input_byte = r->buf + r->pos;
	r->jsrc.bytes_in_buffer = r->len - r->pos;
	c->src = &r->jsrc;
	jpeg_set_marker_processor(c, JPEG_APP0 + 1, japp1);
	if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK) {
		snprintf(r->detail, sizeof r->detail, "tables but no image");
		return IMG_ECORRUPT;
	}
	r->sw = c->image_width;
	r->sh = c->image_height;
	if ((e = check_size(r, r->sh, r->sw)) != IMG_OK)
		return e;
	r->depth = (unsigned)c->data_precision;
	r->channels = c->num_components == 4 ? 4 : c->num_components == 1 ? 1 : 3;
	/* Adobe inverted CMYK whatever the Adobe transform says, as OpenCV and
	 * browsers do: every CMYK JPEG seen in practice is Photoshop's */
	if (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK)
		c->out_color_space = JCS_CMYK;
	else
		c->out_color_space = JCS_RGB;
	r->scale_num = 8;
	r->oh = r->sh;
	r->ow = r->sw;
	r->pos = r->len - r->jsrc.bytes_in_buffer;
	/* CMYK, or 4 samples of 16 bits out */
	return grow_row(r, (size_t)r->sw * 8);
}

static enum img_err
jpeg_pixels(struct img_reader *r, unsigned char *rgb)
{
	j_decompress_ptr c = &r->jd;
	JSAMPROW rows[8];
	size_t bpp = r->out_ch * r->out_depth / 8, y, stride = (size_t)r->ow * bpp, i, n;
	int direct = r->orientation == 1 && c->out_color_space == JCS_RGB && bpp == 3;
	unsigned char *p;

	if (setjmp(r->jmp))
		return jpeg_fail(r);
	c->scale_num = r->scale_num;
	c->scale_denom = 8;
	jpeg_start_decompress(c);
	if (c->output_width != r->ow || c->output_height != r->oh) {
		snprintf(r->detail, sizeof r->detail, "unexpected scaled size");
		return IMG_ECORRUPT;
	}
	while (c->output_scanline < c->output_height) {
		y = c->output_scanline;
		if (direct) {
			n = c->output_height - y < 8 ? c->output_height - y : 8;
			for (i = 0; i < n; i++)
				rows[i] = rgb + (y + i) * stride;
			jpeg_read_scanlines(c, rows, (JDIMENSION)n);
			continue;
		}
		rows[0] = r->row;
		if (jpeg_read_scanlines(c, rows, 1) != 1)
			continue;
		if (c->out_color_space == JCS_CMYK) {
			/* in place: pixel i moves from 4i to 3i */
			for (i = 0, p = r->row; i < r->ow; i++, p += 4) {
				unsigned k = p[3];
				r->row[3 * i + 0] = (unsigned char)((p[0] * k + 127) / 255);
				r->row[3 * i + 1] = (unsigned char)((p[1] * k + 127) / 255);
				r->row[3 * i + 2] = (unsigned char)((p[2] * k + 127) / 255);
			}
		}
		expand_row(r->row, r->ow, r->out_ch, r->out_depth);
		put_row(rgb, r->row, y, r->oh, r->ow, r->orientation, bpp);
	}
	jpeg_finish_decompress(c);
	r->pos = r->len - r->jsrc.bytes_in_buffer;
	return IMG_OK;
}

static void
jpeg_abort_(struct img_reader *r)
{
	jpeg_abort_decompress(&r->jd);
	/* where libjpeg stopped: what it has not taken of the last fill */
	r->pos = r->len - r->jsrc.bytes_in_buffer;
}

/* drop lets the bytes before keep + rel go (a walk never looks back),
 * reading up to there first; at the end of the input, all of them */
static void
drop(struct img_reader *r, size_t rel)
{
	if (need(r, rel, 0) < 0)
		return;
	if (rel > r->len - r->keep)
		rel = r->len - r->keep;
	r->keep += rel;
	if (r->pos < r->keep)
		r->pos = r->keep;
}

/* jpeg_walk follows the marker structure from keep + rel, in entropy-coded
 * data if in_scan: segments by their lengths, entropy-coded data to the
 * next marker other than RSTn or a stuffed FF00, dropping what it has
 * passed. Returns the offset (from the new keep) just past EOI with *whole
 * set, else the offset at which the structure stops making sense: a marker
 * that cannot be there (a second SOI), or a PNG or whole PNM header in the
 * entropy-coded data, where a truncated JPEG runs into the next image. A
 * segment whose end does not land on FF is taken as cut short: the walk
 * stops inside it, 4 bytes past its marker, for scan to go on from. It
 * holds at most one segment (64 KiB), whatever the length of the data. */
static size_t
jpeg_walk(struct img_reader *r, size_t rel, int in_scan, int *whole)
{
	const unsigned char *p;
	size_t end, seglen;
	int m;
	long n;

	*whole = 0;
	for (;;) {
		drop(r, rel);
		rel = 0;
		if ((n = need(r, 0, 4)) < 2)
			return n < 0 ? 0 : r->len - r->keep;
		p = r->buf + r->keep;
		if (in_scan) {
			/* entropy-coded data: to the next marker, or to an image of
			 * another format that starts here because this one was cut */
			if (p[0] == 0x89 || p[0] == 'P') {
				if ((n = need(r, 0, SCAN_AHEAD)) < 0)
					return 0;
				if (sniff_strict(r->buf + r->keep, (size_t)n))
					return 0;
				rel = 1;
				continue;
			}
			if (p[0] != 0xff) {
				rel = 1;
				continue;
			}
			if (p[1] == 0x00 || (p[1] >= 0xd0 && p[1] <= 0xd7) || p[1] == 0xff) {
				rel = p[1] == 0xff ? 1 : 2;
				continue;
			}
			in_scan = 0;
			continue;
		}
		if (p[0] != 0xff)
			return 0;
		m = p[1];
		if (m == 0xff) {
			rel = 1;
			continue;
		}
		if (m == 0xd9) {
			*whole = 1;
			return 2;
		}
		if (m == 0xd8 || m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) || n < 4)
			return 0;
		seglen = (size_t)p[2] << 8 | p[3];
		if (seglen < 2)
			return 0;
		end = 2 + seglen;
		if (m == 0xda) {
			in_scan = 1;
			rel = end;
			continue;
		}
		if ((n = need(r, end, 1)) < 0)
			return 0;
		if (n == 1 && r->buf[r->keep + end] != 0xff)
			return 4;
		rel = end;
	}
}

static void
jpeg_walk_on(struct img_reader *r, size_t rel, int in_scan)
{
	int whole;
	size_t end = jpeg_walk(r, rel, in_scan, &whole);

	if (r->sticky)
		return;
	if (whole) {
		r->pos = r->keep = r->keep + end;
		return;
	}
	scan(r, end);
}

/* after an error: from the SOI at keep */
static void
jpeg_resync(struct img_reader *r)
{
	jpeg_walk_on(r, 2, 0);
}

/* after the header: from the first scan's data, where libjpeg stopped */
static void
jpeg_skip(struct img_reader *r)
{
	jpeg_walk_on(r, r->pos - r->keep, 1);
}

static const struct codec jpeg_codec = {
	IMG_JPEG, jpeg_header, jpeg_pixels, jpeg_abort_, jpeg_resync, jpeg_skip,
};

/* ---------------------------------------------------------------------- */
/* PNG, through libpng reading from our buffer */

static void
png_err_cb(png_structp png, png_const_charp msg)
{
	struct img_reader *r = png_get_error_ptr(png);

	snprintf(r->detail, sizeof r->detail, "%s", msg);
	png_longjmp(png, 1);
}

static void
png_warn_cb(png_structp png, png_const_charp msg)
{
	struct img_reader *r = png_get_error_ptr(png);

	(void)msg;
	r->warnings++;
}

/* png_track follows the chunks of the n bytes at p, the next of the
 * image: the signature, then for each chunk its 8-byte header and its
 * length + 4 bytes of data and CRC. Returns -1 for a length over 2^31 - 1. */
static int
png_track(struct img_reader *r, const unsigned char *p, size_t n)
{
	size_t k;
	uint32_t len;

	while (n > 0) {
		if (r->png_sig || r->png_left) {
			k = r->png_sig ? r->png_sig : r->png_left < n ? (size_t)r->png_left : n;
			k = k < n ? k : n;
			if (r->png_sig)
				r->png_sig -= (unsigned)k;
			else
				r->png_left -= k;
			p += k;
			n -= k;
			if (r->png_iend && !r->png_left)
				r->png_done = 1;
			continue;
		}
		if (r->png_done)
			return 0;
		r->png_hdr[r->png_hdr_got++] = *p++;
		n--;
		if (r->png_hdr_got < 8)
			continue;
		r->png_hdr_got = 0;
		if ((len = rd32(r->png_hdr, 0)) > 0x7fffffffu)
			return -1;
		r->png_left = (uint64_t)len + 4;
		r->png_iend = memcmp(r->png_hdr + 4, "IEND", 4) == 0;
	}
	return 0;
}

/* libpng asks for exact sizes (chunk headers, data, CRCs) and never reads
 * past IEND, so no read-ahead is to be given back */
static void
png_read_cb(png_structp png, png_bytep out, size_t n)
{
	struct img_reader *r = png_get_io_ptr(png);
	enum img_err e;

	/* past the last row libpng would inflate the rest (png_finish) */
	if (r->png_rows == r->png_rows_all)
		png_error(png, "all rows read");
	if ((e = get(r, out, n)) != IMG_OK) {
		r->fail = e;
		png_error(png, "read failed");
	}
	png_track(r, out, n);
}

/* a user transform that does nothing but count the rows decoded: libpng
 * calls it for each row (of each pass) before the row is stored, and the
 * last row's store comes before libpng goes on to inflate what is left */
static void
png_row_done(png_structp png, png_row_infop info, png_bytep row)
{
	struct img_reader *r = png_get_io_ptr(png);

	(void)info;
	(void)row;
	r->png_rows++;
}

/* png_finish passes over what is left of the image after its last row, to
 * the end of IEND, by the chunk lengths alone: libpng's png_read_end would
 * inflate the rest of the image data, and a deflate stream that goes on
 * after the last row costs seconds of CPU a megabyte. The data after the
 * last row is neither inflated nor its CRCs checked (it is not pixels). */
static enum img_err
png_finish(struct img_reader *r)
{
	size_t k;
	int c, d = r->decoding;
	unsigned char b;

	/* what is passed over is held no longer than the reader's bound */
	r->decoding = 1;
	while (!r->png_done) {
		if (r->png_sig || r->png_left) {
			if (r->pos == r->len && fill(r) != IMG_OK)
				break;
			k = r->len - r->pos;
			k = r->png_sig ? (k < r->png_sig ? k : r->png_sig)
			               : (k < r->png_left ? k : (size_t)r->png_left);
			png_track(r, r->buf + r->pos, k);
			r->pos += k;
			continue;
		}
		if ((c = getbyte(r)) < 0)
			break;
		b = (unsigned char)c;
		if (png_track(r, &b, 1) != 0) {
			r->decoding = d;
			snprintf(r->detail, sizeof r->detail, "chunk length over 2^31 - 1");
			return IMG_ECORRUPT;
		}
	}
	r->decoding = d;
	if (r->png_done)
		return IMG_OK;
	return r->sticky ? r->sticky : IMG_ETRUNC;
}

static enum img_err
png_fail(struct img_reader *r)
{
	if (r->fail != IMG_OK)
		return r->fail;
	if (strstr(r->detail, "exceeds user limit"))
		return IMG_ELIMIT;
	if (strstr(r->detail, "ut of memory") || strstr(r->detail, "nsufficient memory"))
		return IMG_ENOMEM;
	return IMG_ECORRUPT;
}

static enum img_err
png_header(struct img_reader *r)
{
	png_uint_32 w, h;
	int depth, ctype, interlace, pass;
	enum img_err e;

	r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, png_err_cb, png_warn_cb);
	if (!r->png)
		return IMG_ENOMEM;
	if (!(r->pinfo = png_create_info_struct(r->png)))
		return IMG_ENOMEM;
	if (setjmp(png_jmpbuf(r->png)))
		return png_fail(r);
	r->png_sig = 8;
	r->png_hdr_got = 0;
	r->png_left = 0;
	r->png_iend = r->png_done = 0;
	r->png_rows = 0;
	r->png_rows_all = SIZE_MAX;
	png_set_read_fn(r->png, r, png_read_cb);
	png_set_user_limits(r->png, IMG_MAX_DIM, IMG_MAX_DIM);
	/* No ancillary chunk but eXIf is used (gamma and profiles are
	 * ignored), so no other is read: libpng would otherwise inflate and
	 * keep every zTXt, iTXt and iCCP, up to 8 MB each, a thousand of
	 * them. tRNS is read whatever this says. */
	png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
#ifdef PNG_eXIf_SUPPORTED
	png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_AS_DEFAULT,
	                            (png_const_bytep) "eXIf", 1);
#endif
	png_read_info(r->png, r->pinfo);
	png_get_IHDR(r->png, r->pinfo, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
	r->sw = w;
	r->sh = h;
	if ((e = check_size(r, h, w)) != IMG_OK)
		return e;
	r->depth = (unsigned)depth;
	r->channels = (ctype & PNG_COLOR_MASK_COLOR) ? 3 : 1;
	r->alpha = (ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(r->png, r->pinfo, PNG_INFO_tRNS);
#ifdef PNG_eXIf_SUPPORTED
	{
		png_bytep exif;
		png_uint_32 n;

		/* an eXIf before the first IDAT: one after it comes too late
		 * to say the size */
		if (png_get_eXIf_1(r->png, r->pinfo, &n, &exif) && exif)
			r->orientation = tiff_orientation(exif, n);
	}
#endif
	r->oh = r->sh;
	r->ow = r->sw;
	if (interlace == PNG_INTERLACE_NONE) {
		r->png_rows_all = h;
	} else {
		/* Adam7: the rows of the passes that have pixels */
		r->png_rows_all = 0;
		for (pass = 0; pass < 7; pass++)
			if (PNG_PASS_COLS(w, pass) > 0)
				r->png_rows_all += PNG_PASS_ROWS(h, pass);
	}
	return grow_row(r, (size_t)w * 8);
}

/* png_layout asks libpng for rows of out_ch samples of out_depth bits */
static void
png_layout(struct img_reader *r)
{
	static const uint16_t one = 1;
	int depth = png_get_bit_depth(r->png, r->pinfo);
	int ctype = png_get_color_type(r->png, r->pinfo);

	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(r->png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(r->png);
	/* libpng's 16-to-8 reduction is the rounded (v * 255 + 32767) / 65535
	 * (tests/unit/test_image.c checks all 65536 values), where OpenCV's
	 * png_set_strip_16 truncates to v >> 8 */
	if (depth == 16 && r->out_depth == 8)
		png_set_scale_16(r->png);
	/* v * 257: the byte repeated */
	if (depth < 16 && r->out_depth == 16)
		png_set_expand_16(r->png);
	if (r->out_ch == 3) {
		png_set_strip_alpha(r->png);
	} else if (png_get_valid(r->png, r->pinfo, PNG_INFO_tRNS)) {
		png_set_tRNS_to_alpha(r->png);
	} else if (!(ctype & PNG_COLOR_MASK_ALPHA)) {
		png_set_add_alpha(r->png, 0xffff, PNG_FILLER_AFTER);
	}
	if (!(ctype & PNG_COLOR_MASK_COLOR))
		png_set_gray_to_rgb(r->png);
	/* PNG is big-endian; samples are given in the host's order */
	if (r->out_depth == 16 && *(const unsigned char *)&one == 1)
		png_set_swap(r->png);
}

static enum img_err
png_pixels(struct img_reader *r, unsigned char *px)
{
	size_t bpp = r->out_ch * r->out_depth / 8, y, stride = (size_t)r->ow * bpp;
	unsigned pass;

	if (setjmp(png_jmpbuf(r->png))) {
		if (r->png_rows != r->png_rows_all || r->fail != IMG_OK) {
			free(r->full);
			r->full = NULL;
			return png_fail(r);
		}
		/* every row is stored: libpng was stopped on its way to the
		 * end, inside the last png_read_row, so a turned image's last
		 * row is still to be placed */
		if (r->orientation != 1 && !r->full)
			put_row(px, r->row, r->oh - 1, r->oh, r->ow, r->orientation, bpp);
		goto done;
	}
	png_layout(r);
	r->passes = (unsigned)png_set_interlace_handling(r->png);
	png_set_read_user_transform_fn(r->png, png_row_done);
	png_read_update_info(r->png, r->pinfo);
	if (png_get_rowbytes(r->png, r->pinfo) != stride) {
		snprintf(r->detail, sizeof r->detail, "unexpected row layout");
		return IMG_ECORRUPT;
	}
	if (r->orientation == 1) {
		/* interlaced images come in several passes over the same rows,
		 * so rows go straight into the caller's buffer */
		for (pass = 0; pass < r->passes; pass++)
			for (y = 0; y < r->oh; y++)
				png_read_row(r->png, px + y * stride, NULL);
	} else if (r->passes == 1) {
		for (y = 0; y < r->oh; y++) {
			png_read_row(r->png, r->row, NULL);
			put_row(px, r->row, y, r->oh, r->ow, r->orientation, bpp);
		}
	} else {
		/* turned and interlaced: the passes need the whole image as
		 * stored, which is then turned */
		if (!(r->full = malloc(r->oh * stride))) {
			r->fail = IMG_ENOMEM;
			png_error(r->png, "out of memory");
		}
		for (pass = 0; pass < r->passes; pass++)
			for (y = 0; y < r->oh; y++)
				png_read_row(r->png, r->full + y * stride, NULL);
	}
done:
	if (r->full) {
		for (y = 0; y < r->oh; y++)
			put_row(px, r->full + y * stride, y, r->oh, r->ow, r->orientation, bpp);
		free(r->full);
		r->full = NULL;
	}
	png_destroy_read_struct(&r->png, &r->pinfo, NULL);
	return png_finish(r);
}

static void
png_abort_(struct img_reader *r)
{
	free(r->full);
	r->full = NULL;
	if (r->png)
		png_destroy_read_struct(&r->png, r->pinfo ? &r->pinfo : NULL, NULL);
	r->png = NULL;
	r->pinfo = NULL;
}

static void
png_resync(struct img_reader *r)
{
	scan(r, 8);
}

/* png_skip passes over the image to the end of IEND without decoding */
static void
png_skip(struct img_reader *r)
{
	if (png_finish(r) == IMG_ECORRUPT)
		scan(r, r->pos - r->keep);
	else
		r->keep = r->pos;
}

static const struct codec png_codec = {
	IMG_PNG, png_header, png_pixels, png_abort_, png_resync, png_skip,
};

/* ---------------------------------------------------------------------- */
/* PPM (P6) and PGM (P5), binary, maxval 1..65535 */

/* pnm_getc: the next byte, a comment ('#' to the end of its line) read as
 * the newline that ends it, as netpbm's pm_getc does; -1 at the end, -2 on
 * a sticky error */
static int
pnm_getc(struct img_reader *r)
{
	int c = getbyte(r);

	if (c == '#')
		while ((c = getbyte(r)) >= 0 && c != '\n' && c != '\r')
			;
	return c;
}

/* pnm_number reads whitespace and comments, then a decimal number ended by
 * one whitespace byte or a comment, which is consumed. The number is read
 * whole, in 64 bits, so that a message names it as written. */
static enum img_err
pnm_number(struct img_reader *r, uint64_t *v)
{
	int c, digits = 0, over = 0;
	unsigned d;

	do
		c = pnm_getc(r);
	while (c >= 0 && isspace_pnm(c));
	for (*v = 0; c >= '0' && c <= '9'; c = getbyte(r), digits++) {
		d = (unsigned)(c - '0');
		over |= *v > (UINT64_MAX - d) / 10;
		*v = *v * 10 + d;
	}
	if (over) {
		snprintf(r->detail, sizeof r->detail, "number over 2^64 in the header");
		return IMG_ECORRUPT;
	}
	if (c == '#')
		while ((c = getbyte(r)) >= 0 && c != '\n' && c != '\r')
			;
	if (c == -2)
		return r->sticky;
	if (c == -1)
		return IMG_ETRUNC;
	if (!digits || !isspace_pnm(c)) {
		snprintf(r->detail, sizeof r->detail, "bad header");
		return IMG_ECORRUPT;
	}
	return IMG_OK;
}

static enum img_err
pnm_header(struct img_reader *r)
{
	uint64_t w, h, maxval;
	enum img_err e;

	r->in_payload = 0;
	r->format = r->buf[r->pos + 1] == '6' ? IMG_PPM : IMG_PGM;
	r->channels = r->format == IMG_PPM ? 3 : 1;
	r->pos += 2;
	if ((e = pnm_number(r, &w)) != IMG_OK || (e = pnm_number(r, &h)) != IMG_OK ||
	    (e = pnm_number(r, &maxval)) != IMG_OK)
		return e;
	r->sw = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
	r->sh = h > UINT32_MAX ? UINT32_MAX : (uint32_t)h;
	if (maxval < 1 || maxval > 65535) {
		snprintf(r->detail, sizeof r->detail, "maxval %llu not in 1..65535",
		         (unsigned long long)maxval);
		return IMG_ECORRUPT;
	}
	if ((e = check_size(r, h, w)) != IMG_OK)
		return e;
	r->maxval = (unsigned)maxval;
	r->depth = maxval > 255 ? 16 : 8;
	r->oh = r->sh;
	r->ow = r->sw;
	/* the row as read, or 4 samples of 16 bits out */
	return grow_row(r, (size_t)w * 8);
}

static enum img_err
pnm_pixels(struct img_reader *r, unsigned char *px)
{
	size_t rowbytes = (size_t)r->sw * r->channels * (r->depth / 8), y, i, x, n;
	size_t bpp = r->out_ch * r->out_depth / 8;
	unsigned m = r->maxval, lut[256], c, v;
	const unsigned char *s;
	unsigned char *d;
	enum img_err e;

	/* the pixels are not rescanned after an error: nothing to hold */
	r->in_payload = 1;
	for (i = 0; i < 256 && m < 256; i++)
		lut[i] = i > m ? 255 : (i * 255 + m / 2) / m;
	for (y = 0; y < r->sh; y++) {
		r->keep = r->pos;
		if ((e = get(r, r->row, rowbytes)) != IMG_OK)
			return e;
		s = r->row;
		d = px + y * r->sw * bpp;
		n = (size_t)r->sw * r->channels;
		if (r->out_depth == 16) {
			/* straight to 16 bits, v * 65535 / maxval rounded, with
			 * no 8-bit step between */
			for (x = 0; x < r->sw; x++) {
				for (c = 0; c < 3; c++) {
					i = x * r->channels + (r->channels == 3 ? c : 0);
					v = r->depth == 16 ? (unsigned)s[2 * i] << 8 | s[2 * i + 1] : s[i];
					store16(d, x * r->out_ch + c, v > m ? 65535 : (v * 65535u + m / 2) / m);
				}
				if (r->out_ch == 4)
					store16(d, x * 4 + 3, 65535);
			}
			continue;
		}
		if (r->depth == 16) {
			for (i = 0; i < n; i++, s += 2) {
				v = (unsigned)s[0] << 8 | s[1];
				r->row[i] = (unsigned char)(v > m ? 255 : (v * 255 + m / 2) / m);
			}
		} else if (m != 255) {
			for (i = 0; i < n; i++)
				r->row[i] = (unsigned char)lut[r->row[i]];
		}
		/* gray to RGB in place, from the last sample back */
		if (r->channels == 1)
			for (i = n; i-- > 0;)
				r->row[3 * i] = r->row[3 * i + 1] = r->row[3 * i + 2] = r->row[i];
		expand_row(r->row, r->sw, r->out_ch, 8);
		memcpy(d, r->row, r->sw * bpp);
	}
	return IMG_OK;
}

static void
pnm_abort(struct img_reader *r)
{
	(void)r;
}

static void
pnm_resync(struct img_reader *r)
{
	if (r->in_payload)
		r->keep = r->pos;
	else
		scan(r, 2);
}

static void
pnm_skip(struct img_reader *r)
{
	uint64_t left = (uint64_t)r->sh * r->sw * r->channels * (r->depth / 8);
	size_t k;

	while (left > 0) {
		if (r->pos == r->len && fill(r) != IMG_OK)
			break;
		k = r->len - r->pos < left ? r->len - r->pos : (size_t)left;
		r->pos += k;
		r->keep = r->pos;
		left -= k;
	}
	r->keep = r->pos;
}

static const struct codec pnm_codec = {
	IMG_PPM, pnm_header, pnm_pixels, pnm_abort, pnm_resync, pnm_skip,
};

/* ---------------------------------------------------------------------- */
/* the reader's public face */

/* libjpeg reports running out of memory in create through error_exit */
static int
jd_create(struct img_reader *r)
{
	if (setjmp(r->jmp))
		return -1;
	jpeg_create_decompress(&r->jd);
	r->jd_made = 1;
	return 0;
}

struct img_reader *
img_reader_new(const struct img_opt *opt)
{
	struct img_reader *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->max_pixels = opt && opt->max_pixels ? opt->max_pixels : IMG_DEFAULT_MAX_PIXELS;
	r->fd = -1;
	r->jd.err = jpeg_std_error(&r->jerr);
	r->jerr.error_exit = jerr_exit;
	r->jerr.output_message = jerr_output;
	r->jerr.emit_message = jerr_emit;
	r->jd.client_data = r;
	if (jd_create(r) != 0) {
		free(r);
		return NULL;
	}
	r->jsrc.init_source = jsrc_init;
	r->jsrc.fill_input_buffer = jsrc_fill;
	r->jsrc.skip_input_data = jsrc_skip;
	r->jsrc.resync_to_restart = jpeg_resync_to_restart;
	r->jsrc.term_source = jsrc_term;
	r->jprog.progress_monitor = jprogress;
	r->jd.progress = &r->jprog;
	return r;
}

void
img_reader_free(struct img_reader *r)
{
	if (!r)
		return;
	if (r->jd_made)
		jpeg_destroy_decompress(&r->jd);
	png_abort_(r);
	free(r->buf);
	free(r->row);
	free(r);
}

void
img_reader_start(struct img_reader *r, int fd)
{
	if (r->pending)
		r->codec->abort(r);
	r->fd = fd;
	r->decoding = 0;
	r->len = r->pos = r->keep = 0;
	r->base = 0;
	r->eof = 0;
	r->sticky = IMG_OK;
	r->errnum = 0;
	r->pending = 0;
	r->msg[0] = '\0';
}

/* failed ends the current image after an error and positions the reader at
 * the next one */
static enum img_err
failed(struct img_reader *r, enum img_err err)
{
	r->pending = 0;
	r->decoding = 0;
	r->codec->abort(r);
	if (r->sticky)
		err = r->sticky;
	image_error(r, err);
	if (err == IMG_EIO || err == IMG_ENOMEM) {
		r->sticky = err;
		return err;
	}
	if (r->lost) {
		/* the image's start is gone: go on from where the decoder
		 * stopped, less the marker it may have just read */
		r->keep = r->pos - (r->pos - r->keep < 2 ? r->pos - r->keep : 2);
		scan(r, 0);
		return err;
	}
	r->codec->resync(r);
	return err;
}

enum img_err
img_read_header(struct img_reader *r, struct img_info *info)
{
	const struct codec *c;
	enum img_err e;
	long n;

	memset(info, 0, sizeof *info);
	if (r->sticky)
		return r->sticky;
	if (r->pending && (e = img_skip_image(r)) != IMG_OK)
		return e;
	r->keep = r->pos;
	r->msg[0] = r->detail[0] = '\0';
	r->warnings = 0;
	r->fail = IMG_OK;
	if ((n = need(r, 0, 8)) < 0)
		return r->sticky;
	if (n == 0)
		return IMG_END;
	info->index = ++r->ninputs;
	info->offset = r->base + r->pos;
	info->orientation = 1;
	r->sh = r->sw = 0;
	r->alpha = 0;
	r->claim_h = r->claim_w = 0;
	r->orientation = 1;
	if (!(c = sniff(r->buf + r->pos, (size_t)n))) {
		r->format = IMG_UNKNOWN;
		setmsg(r, "%s", img_strerror(IMG_EFORMAT));
		scan(r, 1);
		return r->sticky ? r->sticky : IMG_EFORMAT;
	}
	r->codec = c;
	r->format = c->format;
	r->hold = HOLD_BASE;
	r->lost = 0;
	r->decoding = 1;
	e = c->header(r);
	info->format = r->format;
	info->channels = r->channels;
	info->depth = r->depth;
	info->alpha = r->alpha;
	if (e != IMG_OK)
		return failed(r, e);
	r->pending = 1;
	r->hold = HOLD_BASE + 4 * (uint64_t)r->sh * r->sw;
	info->orientation = r->orientation;
	info->height = r->orientation >= 5 ? r->sw : r->sh;
	info->width = r->orientation >= 5 ? r->sh : r->sw;
	return IMG_OK;
}

static uint32_t
ceil_scaled(uint32_t v, unsigned num)
{
	return (uint32_t)(((uint64_t)v * num + 7) / 8);
}

/* Only the power-of-two reductions are used. Measured with libjpeg-turbo
 * 2.1 on 500 x 375 photos, ms per image: 1/8 0.41, 2/8 0.50, 3/8 0.66,
 * 4/8 0.61, 5/8 1.03, 6/8 1.24, 7/8 1.56, 8/8 0.97. The odd scales use
 * plain-C IDCTs and are slower than a full SIMD decode, so 3/8 never beats
 * 4/8 and 5/8..7/8 never beat 8/8. */
enum img_err
img_set_target(struct img_reader *r, uint32_t min_h, uint32_t min_w, uint32_t *h, uint32_t *w)
{
	uint32_t th = min_h, tw = min_w;
	unsigned num = 8, m;

	if (r->sticky)
		return r->sticky;
	if (!r->pending)
		return IMG_ESTATE;
	if (r->codec == &jpeg_codec) {
		if (r->orientation >= 5) {
			th = min_w;
			tw = min_h;
		}
		for (m = 1; m < 8; m *= 2)
			if (ceil_scaled(r->sh, m) >= th && ceil_scaled(r->sw, m) >= tw) {
				num = m;
				break;
			}
		r->scale_num = num;
		r->oh = ceil_scaled(r->sh, num);
		r->ow = ceil_scaled(r->sw, num);
	}
	*h = r->orientation >= 5 ? r->ow : r->oh;
	*w = r->orientation >= 5 ? r->oh : r->ow;
	return IMG_OK;
}

enum img_err
img_read_samples(struct img_reader *r, void *px, size_t n, unsigned ch, unsigned depth)
{
	enum img_err e;

	if (r->sticky)
		return r->sticky;
	if ((ch != 3 && ch != 4) || (depth != 8 && depth != 16))
		return IMG_EARG;
	if (!r->pending || n != (size_t)r->oh * r->ow * ch * (depth / 8))
		return IMG_ESTATE;
	r->fail = IMG_OK;
	r->out_ch = ch;
	r->out_depth = depth;
	e = r->codec->pixels(r, px);
	if (e != IMG_OK)
		return failed(r, e);
	r->pending = 0;
	r->decoding = 0;
	r->keep = r->pos;
	return IMG_OK;
}

enum img_err
img_read_pixels(struct img_reader *r, unsigned char *rgb, size_t n)
{
	return img_read_samples(r, rgb, n, 3, 8);
}

enum img_err
img_skip_image(struct img_reader *r)
{
	if (r->sticky)
		return r->sticky;
	if (!r->pending)
		return IMG_ESTATE;
	r->pending = 0;
	r->decoding = 0;
	r->codec->abort(r);
	r->codec->skip(r);
	return r->sticky;
}
