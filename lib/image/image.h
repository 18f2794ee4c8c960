/* image.h: JPEG, PNG and PPM/PGM decoding (decode.c), resizing (resize.c)
 * and encoding (encode.c).
 *
 * ABOUT
 *   Reads images from a byte stream in which several images may follow one
 *   another, of mixed formats ("cat a.jpg b.png c.ppm"), and yields each as
 *   8-bit RGB, H x W x 3, interleaved, row-major, top row first, or on
 *   request with alpha (RGBA) and in 16 bits (img_read_samples). Decoding is
 *   done by libjpeg(-turbo) and libpng through a buffered reader of our own
 *   that gives back what the decoders do not consume, so each image starts at
 *   the right byte; PPM (P6) and PGM (P5, 8 or 16 bit) are read here.
 *
 *   Conversions, chosen to agree with OpenCV's cv2.imread(IMREAD_COLOR):
 *     grayscale               replicated to R = G = B
 *     CMYK and YCCK JPEG      taken as Adobe (inverted) CMYK, as Photoshop
 *                             writes it: R = round(C * K / 255), etc.
 *     palette PNG             expanded
 *     alpha, tRNS (PNG)       dropped, not composited; with 4 channels
 *                             asked for, alpha (tRNS made alpha), and
 *                             opaque for an image without
 *     16-bit PNG and PGM      v8 = (v16 * 255 + 32767) / 65535, and for PGM
 *                             of another maxval m: (v * 255 + m / 2) / m;
 *                             with 16 bits asked for, PNG samples as they
 *                             are and PGM's (v * 65535 + m / 2) / m
 *     8 bits asked as 16      v16 = v8 * 257
 *     EXIF orientation        applied (JPEG APP1 and a PNG eXIf chunk
 *                             before the first IDAT, all 8 values)
 *     gamma, ICC profiles     ignored
 *
 *   Resizing follows OpenCV's cv2.resize: IMG_LINEAR is INTER_LINEAR (pixel
 *   centres at +0.5, its edge clamping and its 11-bit fixed-point
 *   arithmetic); IMG_AREA is INTER_AREA's pixel-area averaging on an axis
 *   that shrinks and bilinear on one that grows. See img_resize.
 *
 *   Encoding writes PNG, JPEG or binary PPM/PGM from 8-bit RGB or gray.
 *
 * USAGE
 *   r = img_reader_new(&opt)            a reader; opt NULL: defaults. NULL
 *                                       when out of memory
 *   img_reader_start(r, fd)             read a new input from fd, byte 0
 *   img_read_header(r, &info)           find and parse the next image: IMG_OK,
 *                                       IMG_END at the end of the input, or an
 *                                       error for this input (see ERRORS)
 *   img_set_target(r, h, w, &oh, &ow)   optional: decode at the smallest
 *                                       reduced size (JPEG DCT scaling by 1/2,
 *                                       1/4, 1/8) that is still >= h x w;
 *                                       oh x ow is what img_read_pixels gives
 *   img_read_pixels(r, rgb, n)          decode into rgb; n must be oh*ow*3
 *                                       (info.height*info.width*3 without
 *                                       img_set_target)
 *   img_read_samples(r, px, n, ch, depth)
 *                                       the same as ch 3 (RGB) or 4 (RGBA)
 *                                       samples of depth 8 (bytes) or 16
 *                                       (uint16_t, host byte order); n is
 *                                       oh*ow*ch*depth/8 bytes
 *   img_skip_image(r)                   pass over the image without decoding
 *   img_reader_message(r)               the last error in words: "truncated
 *                                       JPEG", "not a JPEG, PNG or PPM"
 *   img_reader_errno(r)                 errno of the last IMG_EIO
 *   img_reader_warnings(r)              libjpeg/libpng warnings about the
 *                                       last image (data decoded past)
 *   img_reader_free(r)                  NULL is fine
 *
 *   img_resize(dst, dh, dw, src, sh, sw, ch, filter, scratch, size)
 *                                       resize 8-bit images of ch channels
 *   img_resize_scratch(dh, dw, sh, sw, ch, filter)
 *                                       bytes of scratch img_resize needs
 *   img_resize_naive(dst, dh, dw, src, sh, sw, ch, filter)
 *                                       the same in double precision, per
 *                                       pixel: the reference for tests
 *
 *   img_write(fp, fmt, px, h, w, ch, quality)
 *                                       encode 8-bit gray (ch 1) or RGB (ch 3)
 *                                       as IMG_PNG, IMG_JPEG (quality 1..100)
 *                                       or IMG_PPM (P6, or P5 for gray)
 *   img_write_samples(fp, fmt, px, h, w, ch, depth, quality)
 *                                       the same for ch 1 gray, 2 gray and
 *                                       alpha, 3 RGB, 4 RGBA, of depth 8 or
 *                                       16 (uint16_t, host order); alpha
 *                                       and 16 bits only as IMG_PNG, 16 bits
 *                                       also as IMG_PPM (maxval 65535)
 *   img_format_name(fmt)                "JPEG", "PNG", "PPM", "PGM"
 *   img_format_ext(fmt, ch)             "jpg", "png", "ppm", or "pgm" for
 *                                       IMG_PPM with ch 1
 *   img_format_parse(s)                 "png", "jpg"/"jpeg", "ppm" or
 *                                       IMG_UNKNOWN
 *   img_strerror(err)                   a short, lower-case phrase
 *
 *   A typical loop (cmd/imgresize.c):
 *     img_reader_start(r, 0);
 *     while ((err = img_read_header(r, &info)) != IMG_END) {
 *         if (err == IMG_OK && (err = img_set_target(r, th, tw, &h, &w)) == IMG_OK)
 *             err = img_read_pixels(r, buf, (size_t)h * w * 3);    (grow buf first)
 *         if (err == IMG_EIO || err == IMG_ENOMEM) fatal;
 *         if (err) report info.index, info.offset, img_reader_message(r); skip
 *     }
 *
 * ERRORS
 *   Every call returns an enum img_err; nothing is printed. An error in one
 *   image (IMG_EFORMAT, IMG_ETRUNC, IMG_ECORRUPT, IMG_EUNSUP, IMG_ELIMIT) is
 *   confined to it: the reader has already moved on and the next
 *   img_read_header continues with the next image. IMG_EIO and IMG_ENOMEM
 *   are sticky: every later call returns them until img_reader_start.
 *
 *   Where the next image starts after a bad one:
 *     - bytes that start no known image (garbage between or after images)
 *       make one IMG_EFORMAT input, running to the next signature: a JPEG
 *       SOI and marker (FF D8 FF xx), the 8-byte PNG signature, or a P5/P6
 *       header whose three numbers are all there within 64 bytes (so "P6"
 *       in text or compressed data is not taken for one); or to the end;
 *     - a JPEG in error: its marker structure is followed from the SOI
 *       (segment lengths, entropy-coded data to the next marker, where a
 *       second SOI or another format's signature means it was cut). If
 *       that reaches EOI the next image starts after it; otherwise the
 *       reader scans, silently, for the next signature from where the
 *       structure broke. So a truncated JPEG followed by another image
 *       loses only itself, and an EXIF thumbnail is never mistaken for an
 *       image;
 *     - a PNG in error: scanning resumes 8 bytes after its signature;
 *     - a PPM/PGM with a bad header: scanning resumes 2 bytes after its
 *       start. Its pixels have no end marker: a truncated PPM followed by
 *       another image takes the start of that image as pixels.
 *   libjpeg's warnings (corrupt entropy data that it can decode past) are
 *   not errors, as in OpenCV; the count is in img_reader_warnings(r). A
 *   JPEG that ends before its EOI is IMG_ETRUNC, and so is one whose scan
 *   data runs out before its last row of MCUs (libjpeg would fill the rest
 *   with grey: a small file claiming a large size). A PNG ends at its IEND,
 *   found by the chunk lengths: the image data after the last row is not
 *   inflated, and the CRCs from there on are not checked.
 *
 * MEMORY
 *   The reader owns an input buffer, grown to hold the compressed bytes of
 *   the largest image (so a failed image can be rescanned) up to 8 MiB plus
 *   4 bytes a pixel of the image; past that it keeps only what the decoder
 *   has not read, and an image that then fails is rescanned from where the
 *   decoder stopped. So the buffer is bounded by the largest image the
 *   limits allow, whatever follows a header. Also a row of scratch, the
 *   first Exif APP1 segment (64 KiB) and the decoders' state (no PNG
 *   ancillary chunk but eXIf is read); an interlaced PNG with an EXIF
 *   orientation other than 1 is decoded whole before it is turned, the
 *   one case where the reader holds a full-size copy, freed before
 *   img_read_samples returns. img_reader_free releases all of it. The caller
 *   owns the file descriptor, the pixel buffers and the resize scratch:
 *   img_set_target and img_resize_scratch say what to provide. img_resize
 *   with scratch NULL allocates and frees its own.
 *
 * LIMITS
 *   opt.max_pixels (default IMG_DEFAULT_MAX_PIXELS) bounds height x width,
 *   and IMG_MAX_DIM each side, checked from the header before anything is
 *   allocated: a small file that claims gigapixels is IMG_ELIMIT. A JPEG
 *   with more than IMG_MAX_SCANS scans is refused (libjpeg-turbo's advice
 *   against progressive-JPEG denial of service). Only 8-bit JPEG; binary
 *   PNM only (P5, P6, not P1-P4 or PAM); a PNG's eXIf after its first IDAT
 *   is not read.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IMG_DEFAULT_MAX_PIXELS 100000000u
/* the tensor stream's largest dimension, so every image fits a record */
#define IMG_MAX_DIM (1u << 20)
#define IMG_MAX_SCANS 500

enum img_format { IMG_UNKNOWN = 0, IMG_JPEG, IMG_PNG, IMG_PPM, IMG_PGM };

enum img_filter {
	IMG_LINEAR,     /* cv2.resize INTER_LINEAR */
	IMG_AREA,       /* INTER_AREA averaging where shrinking, else linear */
};

enum img_err {
	IMG_OK = 0,
	IMG_END,        /* no more images in this input */
	IMG_EIO,        /* read failed; errno in img_reader_errno */
	IMG_ENOMEM,     /* out of memory */
	IMG_EFORMAT,    /* not a JPEG, PNG or PPM */
	IMG_ETRUNC,     /* the input ends inside an image */
	IMG_ECORRUPT,   /* malformed image data */
	IMG_EUNSUP,     /* well-formed but not supported (12-bit JPEG, ...) */
	IMG_ELIMIT,     /* over max_pixels or IMG_MAX_DIM */
	IMG_EARG,       /* bad argument: size, channels, quality, format */
	IMG_ESTATE,     /* call out of order, or wrong buffer size */
};

struct img_opt {
	uint64_t max_pixels;    /* largest height x width; 0: the default */
};

struct img_info {
	enum img_format format; /* IMG_UNKNOWN for an IMG_EFORMAT input */
	uint32_t height, width; /* as shown: after EXIF orientation */
	unsigned channels;      /* in the file: 1 gray, 3 colour, 4 CMYK (alpha not counted) */
	unsigned depth;         /* bits per sample in the file: 1..16 */
	int alpha;              /* 1: a PNG with an alpha channel or tRNS */
	unsigned orientation;   /* EXIF orientation 1..8; 1 when absent */
	size_t index;           /* 1-based number of this input since img_reader_new */
	uint64_t offset;        /* byte offset of its first byte in the input */
};

struct img_reader;

struct img_reader *img_reader_new(const struct img_opt *opt);
void img_reader_free(struct img_reader *r);
void img_reader_start(struct img_reader *r, int fd);
enum img_err img_read_header(struct img_reader *r, struct img_info *info);
enum img_err img_set_target(struct img_reader *r, uint32_t min_h, uint32_t min_w,
                            uint32_t *h, uint32_t *w);
enum img_err img_read_pixels(struct img_reader *r, unsigned char *rgb, size_t n);
enum img_err img_read_samples(struct img_reader *r, void *px, size_t n, unsigned ch,
                              unsigned depth);
enum img_err img_skip_image(struct img_reader *r);
const char *img_reader_message(const struct img_reader *r);
int img_reader_errno(const struct img_reader *r);
unsigned img_reader_warnings(const struct img_reader *r);

size_t img_resize_scratch(uint32_t dh, uint32_t dw, uint32_t sh, uint32_t sw,
                          unsigned ch, enum img_filter filter);
enum img_err img_resize(unsigned char *dst, uint32_t dh, uint32_t dw,
                        const unsigned char *src, uint32_t sh, uint32_t sw,
                        unsigned ch, enum img_filter filter, void *scratch, size_t size);
enum img_err img_resize_naive(unsigned char *dst, uint32_t dh, uint32_t dw,
                              const unsigned char *src, uint32_t sh, uint32_t sw,
                              unsigned ch, enum img_filter filter);

enum img_err img_write(FILE *fp, enum img_format fmt, const unsigned char *px,
                       uint32_t h, uint32_t w, unsigned ch, int quality);
enum img_err img_write_samples(FILE *fp, enum img_format fmt, const void *px, uint32_t h,
                               uint32_t w, unsigned ch, unsigned depth, int quality);
const char *img_format_name(enum img_format fmt);
const char *img_format_ext(enum img_format fmt, unsigned ch);
enum img_format img_format_parse(const char *s);
const char *img_strerror(enum img_err err);

#endif
