/* test_image.c: decoding, resync, limits, resizing and encoding (lib/image/).
 *
 * Inputs are tests/data (made by tests/data/make_data.py), tests/bad and
 * tests/golden (made by tests/golden/make_resize_golden.py with OpenCV 4.6).
 * Run from the repository root, as tests/run does.
 *
 * Measured against OpenCV 4.6 on the golden cases (seeded noise and ramps,
 * down, up, stretched, 1-pixel, exactly 2x, gray): max difference 0 for
 * INTER_LINEAR and for INTER_AREA, so img_resize is bit-exact there. The
 * tests allow 1, for another OpenCV version, and print what they see.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "../t.h"
#include "../../lib/image/image.h"
#include "../../lib/io/stream.h"

#define DATA "tests/data/"
#define BAD "tests/bad/"

/* ---------------------------------------------------------------------- */
/* helpers */

struct dec {
	enum img_err err;
	struct img_info info;
	unsigned char *px;
	uint32_t h, w;
};

static long
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* decode decodes the next image, at full size or at the reduced size
 * img_set_target picks for th x tw */
static enum img_err
decode(struct img_reader *r, struct dec *d, int full, uint32_t th, uint32_t tw)
{
	free(d->px);
	d->px = NULL;
	d->h = d->w = 0;
	if ((d->err = img_read_header(r, &d->info)) != IMG_OK)
		return d->err;
	if (full) {
		d->h = d->info.height;
		d->w = d->info.width;
	} else {
		d->err = img_set_target(r, th, tw, &d->h, &d->w);
	}
	if (d->err != IMG_OK)
		return d->err;
	d->px = malloc((size_t)d->h * d->w * 3);
	return d->err = img_read_pixels(r, d->px, (size_t)d->h * d->w * 3);
}

static enum img_err
next(struct img_reader *r, struct dec *d)
{
	return decode(r, d, 1, 0, 0);
}

static enum img_err
next_at(struct img_reader *r, struct dec *d, uint32_t th, uint32_t tw)
{
	return decode(r, d, 0, th, tw);
}

/* an input assembled from files and bytes in a temporary file */
static FILE *
in_begin(void)
{
	FILE *f = tmpfile();

	if (!f) {
		perror("tmpfile");
		exit(1);
	}
	return f;
}

/* in_file appends a file; keep < 0 drops that many bytes from its end */
static void
in_file(FILE *f, const char *path, long keep)
{
	FILE *src = fopen(path, "rb");
	long n = fsize(path), i;
	int c;

	if (!src) {
		perror(path);
		exit(1);
	}
	if (keep < 0)
		keep = n + keep;
	for (i = 0; (c = getc(src)) != EOF && i < keep; i++)
		putc(c, f);
	fclose(src);
}

static void
in_bytes(FILE *f, const char *s)
{
	fputs(s, f);
}

static int
in_end(FILE *f)
{
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	return fileno(f);
}

static struct img_reader *
reader_on(int fd, uint64_t max_pixels)
{
	struct img_opt o = { max_pixels };
	struct img_reader *r = img_reader_new(&o);

	if (!r) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	img_reader_start(r, fd);
	return r;
}

static struct img_reader *
reader_file(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY);
	if (*fd < 0) {
		perror(path);
		exit(1);
	}
	return reader_on(*fd, 0);
}

static int
maxdiff(const unsigned char *a, const unsigned char *b, size_t n, size_t *first)
{
	int m = 0, d;
	size_t i;

	*first = (size_t)-1;
	for (i = 0; i < n; i++) {
		d = abs((int)a[i] - (int)b[i]);
		if (d > m)
			m = d;
		if (d && *first == (size_t)-1)
			*first = i;
	}
	return m;
}

/* a record of a tensor stream file, payload in a malloc'd buffer */
struct rec {
	struct ts_header h;
	unsigned char *p;
};

static int
read_rec(struct ts_reader *tr, struct rec *rc)
{
	free(rc->p);
	rc->p = NULL;
	if (ts_read_header(tr, &rc->h) != TS_OK)
		return 0;
	rc->p = malloc(ts_payload_size(&rc->h));
	return ts_read_payload(tr, rc->p, ts_payload_size(&rc->h)) == TS_OK;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcmp(s + n - k, suf) == 0;
}

/* ---------------------------------------------------------------------- */
/* decoding */

static void
test_decodes_every_kind_as_expected(void)
{
	FILE *fp = fopen(DATA "expected.ts", "rb");
	struct ts_reader tr;
	struct rec rc = { 0 };
	struct dec d = { 0 };
	char path[512];
	size_t first, n = 0;
	int fd, m, tol;
	struct img_reader *r;

	CHECK(fp != NULL, "cannot open expected.ts");
	if (!fp)
		return;
	ts_reader_init(&tr, fp, NULL);
	while (read_rec(&tr, &rc)) {
		snprintf(path, sizeof path, DATA "%s", rc.h.name);
		r = reader_file(path, &fd);
		CHECK(next(r, &d) == IMG_OK, "%s: %s", rc.h.name, img_reader_message(r));
		if (d.err == IMG_OK) {
			CHECK(d.h == rc.h.dims[0] && d.w == rc.h.dims[1], "%s: %ux%u, want %ux%u",
			      rc.h.name, (unsigned)d.h, (unsigned)d.w, (unsigned)rc.h.dims[0],
			      (unsigned)rc.h.dims[1]);
			if (d.h == rc.h.dims[0] && d.w == rc.h.dims[1]) {
				/* JPEG against cv2.imread on the same libjpeg-turbo: 0 here;
				 * 1 allowed for another libjpeg-turbo version */
				tol = has_suffix(rc.h.name, ".jpg") ? 1 : 0;
				m = maxdiff(d.px, rc.p, ts_payload_size(&rc.h), &first);
				CHECK(m <= tol, "%s: max diff %d at [%zu]", rc.h.name, m, first);
				printf("#   %s: %ux%u, max diff %d\n", rc.h.name, (unsigned)d.h,
				       (unsigned)d.w, m);
			}
		}
		CHECK(next(r, &d) == IMG_END, "%s: more than one image", rc.h.name);
		img_reader_free(r);
		close(fd);
		n++;
	}
	CHECK(n >= 25, "only %zu expected records", n);
	free(rc.p);
	free(d.px);
	fclose(fp);
}

static void
test_info_reports_format_channels_depth(void)
{
	static const struct {
		const char *name;
		enum img_format fmt;
		unsigned ch, depth;
	} want[] = {
		{ "rgb.jpg", IMG_JPEG, 3, 8 },
		{ "gray.jpg", IMG_JPEG, 1, 8 },
		{ "cmyk.jpg", IMG_JPEG, 4, 8 },
		{ "rgba.png", IMG_PNG, 3, 8 },
		{ "gray1.png", IMG_PNG, 1, 1 },
		{ "rgb16.png", IMG_PNG, 3, 16 },
		{ "rgb.ppm", IMG_PPM, 3, 8 },
		{ "gray16.pgm", IMG_PGM, 1, 16 },
	};
	struct img_info info;
	struct img_reader *r;
	char path[256];
	size_t i;
	int fd;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(path, sizeof path, DATA "%s", want[i].name);
		r = reader_file(path, &fd);
		CHECK(img_read_header(r, &info) == IMG_OK, "%s", want[i].name);
		CHECK(info.format == want[i].fmt && info.channels == want[i].ch &&
		      info.depth == want[i].depth && info.index == 1 && info.offset == 0,
		      "%s: format %d channels %u depth %u", want[i].name, info.format,
		      info.channels, info.depth);
		CHECK(info.height == 5 && info.width == 7, "%s: %ux%u", want[i].name,
		      (unsigned)info.height, (unsigned)info.width);
		img_reader_free(r);
		close(fd);
	}
}

static void
test_png_16_bit_reduction_is_exact_for_every_value(void)
{
	struct dec d = { 0 };
	int fd, bad = 0;
	uint32_t i, v;
	struct img_reader *r = reader_file(DATA "gray16_ramp.png", &fd);

	CHECK(next(r, &d) == IMG_OK && d.h == 256 && d.w == 256, "%s", img_reader_message(r));
	for (i = 0; d.px && i < 65536; i++) {
		v = (i * 255 + 32767) / 65535;
		if (d.px[3 * i] != v || d.px[3 * i + 1] != v || d.px[3 * i + 2] != v) {
			if (!bad)
				CHECK(0, "value %u gives %u, want %u", (unsigned)i, d.px[3 * i],
				      (unsigned)v);
			bad++;
		}
	}
	CHECK(bad == 0, "%d of 65536 values wrong", bad);
	free(d.px);
	img_reader_free(r);
	close(fd);
}

static void
test_orientation_all_eight_show_the_same_picture(void)
{
	struct dec ref = { 0 }, d = { 0 };
	struct img_reader *r;
	char path[64];
	size_t first;
	int fd, o, m;

	r = reader_file(DATA "exif1.jpg", &fd);
	next(r, &ref);
	img_reader_free(r);
	close(fd);
	for (o = 1; o <= 8; o++) {
		snprintf(path, sizeof path, DATA "exif%d.jpg", o);
		r = reader_file(path, &fd);
		CHECK(next(r, &d) == IMG_OK, "%s", path);
		CHECK(d.info.orientation == (unsigned)o, "%s: orientation %u", path,
		      d.info.orientation);
		CHECK(d.h == 5 && d.w == 7, "%s: %ux%u", path, (unsigned)d.h, (unsigned)d.w);
		if (d.px && d.h == 5 && d.w == 7) {
			/* a wrong turn moves the corner colours: a difference near 200 */
			m = maxdiff(d.px, ref.px, 5 * 7 * 3, &first);
			CHECK(m < 24, "%s: max diff %d from exif1.jpg at [%zu]", path, m, first);
		}
		img_reader_free(r);
		close(fd);
	}
	free(ref.px);
	free(d.px);
}

static void
test_concatenated_mixed_formats_give_each_image_and_offset(void)
{
	static const char *files[] = {
		"rgb.jpg", "rgb.png", "rgb.ppm", "gray16.pgm", "progressive.jpg",
		"interlaced.png", "cmyk.jpg", "gray.pgm", "exif6.jpg",
	};
	enum { N = sizeof files / sizeof files[0] };
	struct dec alone = { 0 }, d = { 0 };
	struct img_reader *r, *one;
	char path[256];
	FILE *f = in_begin();
	uint64_t off = 0;
	size_t i, first;
	int fd, m;

	for (i = 0; i < N; i++) {
		snprintf(path, sizeof path, DATA "%s", files[i]);
		in_file(f, path, LONG_MAX);
	}
	r = reader_on(in_end(f), 0);
	for (i = 0; i < N; i++) {
		snprintf(path, sizeof path, DATA "%s", files[i]);
		CHECK(next(r, &d) == IMG_OK, "image %zu (%s): %s", i + 1, files[i],
		      img_reader_message(r));
		CHECK(d.info.index == i + 1 && d.info.offset == off,
		      "%s: index %zu offset %llu, want %zu, %llu", files[i], d.info.index,
		      (unsigned long long)d.info.offset, i + 1, (unsigned long long)off);
		one = reader_file(path, &fd);
		next(one, &alone);
		if (d.px && alone.px && d.h == alone.h && d.w == alone.w) {
			m = maxdiff(d.px, alone.px, (size_t)d.h * d.w * 3, &first);
			CHECK(m == 0, "%s: differs from its own decode by %d", files[i], m);
		} else {
			CHECK(0, "%s: %ux%u alone, %ux%u concatenated", files[i],
			      (unsigned)alone.h, (unsigned)alone.w, (unsigned)d.h, (unsigned)d.w);
		}
		img_reader_free(one);
		close(fd);
		off += (uint64_t)fsize(path);
	}
	CHECK(next(r, &d) == IMG_END, "extra input after %d images", N);
	img_reader_free(r);
	fclose(f);
	free(d.px);
	free(alone.px);
}

static void
test_empty_input_is_the_end(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r = reader_on(in_end(f), 0);

	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	CHECK(next(r, &d) == IMG_END, "second call: err %d", d.err);
	img_reader_free(r);
	fclose(f);
}

static void
test_limit_refuses_huge_dimensions_in_a_tiny_file(void)
{
	static const char *files[] = { BAD "huge_dims.ppm", BAD "huge_dims.png", BAD "huge_dims.jpg" };
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i;
	int fd;

	for (i = 0; i < 3; i++) {
		r = reader_file(files[i], &fd);
		CHECK(next(r, &d) == IMG_ELIMIT, "%s: err %d (%s)", files[i], d.err,
		      img_reader_message(r));
		CHECK(strstr(img_reader_message(r), "over the limit of 100000000") != NULL,
		      "%s: message '%s'", files[i], img_reader_message(r));
		img_reader_free(r);
		close(fd);
	}
	free(d.px);
}

static void
test_limit_is_height_times_width(void)
{
	struct dec d = { 0 };
	int fd = open(DATA "rgb.png", O_RDONLY);
	struct img_reader *r = reader_on(fd, 34);

	CHECK(next(r, &d) == IMG_ELIMIT, "7 x 5 under a limit of 34: err %d", d.err);
	img_reader_free(r);
	lseek(fd, 0, SEEK_SET);
	r = reader_on(fd, 35);
	CHECK(next(r, &d) == IMG_OK, "7 x 5 under a limit of 35: err %d", d.err);
	img_reader_free(r);
	close(fd);
	free(d.px);
}

static void
test_limit_error_lets_the_next_image_through(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r;

	in_file(f, BAD "huge_dims.png", LONG_MAX);
	in_file(f, BAD "huge_dims.jpg", LONG_MAX);
	in_file(f, DATA "rgb.ppm", LONG_MAX);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_ELIMIT, "png: err %d", d.err);
	CHECK(next(r, &d) == IMG_ELIMIT, "jpg: err %d", d.err);
	CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PPM, "ppm: err %d", d.err);
	CHECK(d.info.offset == (uint64_t)(fsize(BAD "huge_dims.png") + fsize(BAD "huge_dims.jpg")),
	      "ppm at %llu", (unsigned long long)d.info.offset);
	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

/* one truncated image of each format, then a whole one. Once cut, the
 * image runs into the next one, so its decoder may see a truncated image
 * or a corrupt one (libpng: a wrong zlib checksum); either way the next
 * image must come through whole. */
static void
test_truncated_image_then_the_next_one(void)
{
	static const char *files[] = { DATA "rgb.jpg", DATA "progressive.jpg", DATA "rgb.png",
	                               DATA "interlaced.png", DATA "thumb.jpg" };
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		f = in_begin();
		in_file(f, files[i], -40);
		in_file(f, DATA "gray.png", LONG_MAX);
		r = reader_on(in_end(f), 0);
		next(r, &d);
		CHECK(d.err == IMG_ETRUNC || d.err == IMG_ECORRUPT, "%s: err %d (%s)", files[i],
		      d.err, img_reader_message(r));
		CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PNG,
		      "%s: then err %d (%s)", files[i], d.err, img_reader_message(r));
		CHECK(d.info.offset == (uint64_t)fsize(files[i]) - 40, "%s: next at %llu",
		      files[i], (unsigned long long)d.info.offset);
		CHECK(next(r, &d) == IMG_END, "%s: err %d", files[i], d.err);
		img_reader_free(r);
		fclose(f);
	}
	free(d.px);
}

static void
test_truncated_at_the_end_of_input(void)
{
	static const char *files[] = { DATA "rgb.jpg", DATA "rgb.png", DATA "rgb.ppm",
	                               DATA "gray16.pgm" };
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		f = in_begin();
		in_file(f, files[i], -7);
		r = reader_on(in_end(f), 0);
		CHECK(next(r, &d) == IMG_ETRUNC, "%s: err %d (%s)", files[i], d.err,
		      img_reader_message(r));
		CHECK(next(r, &d) == IMG_END, "%s: then err %d", files[i], d.err);
		img_reader_free(r);
		fclose(f);
	}
	free(d.px);
}

static void
test_jpeg_followed_by_garbage_gives_the_jpeg_then_a_bad_input(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r;

	in_file(f, DATA "rgb.jpg", LONG_MAX);
	in_bytes(f, "some trailing garbage\n");
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_OK, "err %d", d.err);
	CHECK(next(r, &d) == IMG_EFORMAT, "err %d", d.err);
	CHECK(d.info.index == 2 && d.info.offset == (uint64_t)fsize(DATA "rgb.jpg"),
	      "garbage as input %zu at %llu", d.info.index, (unsigned long long)d.info.offset);
	CHECK(strcmp(img_reader_message(r), "not a JPEG, PNG or PPM") == 0, "'%s'",
	      img_reader_message(r));
	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

static void
test_garbage_between_images_is_one_bad_input(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r;

	in_bytes(f, "junk\xff\xd8 more P6 junk ");
	in_file(f, DATA "rgb.png", LONG_MAX);
	in_bytes(f, "x");
	in_file(f, DATA "rgb.jpg", LONG_MAX);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_EFORMAT && d.info.offset == 0, "err %d", d.err);
	CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PNG && d.info.offset == 20,
	      "err %d at %llu", d.err, (unsigned long long)d.info.offset);
	CHECK(next(r, &d) == IMG_EFORMAT, "err %d", d.err);
	CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_JPEG && d.info.index == 4,
	      "err %d index %zu", d.err, d.info.index);
	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

static void
test_exif_thumbnail_is_never_taken_for_an_image(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r;
	long n = fsize(DATA "thumb.jpg");

	/* whole: one image */
	in_file(f, DATA "thumb.jpg", LONG_MAX);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_OK, "err %d", d.err);
	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	/* cut in its scan: one error, no thumbnail, then the next image */
	f = in_begin();
	in_file(f, DATA "thumb.jpg", n - 60);
	in_file(f, DATA "rgb.ppm", LONG_MAX);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_ETRUNC, "err %d (%s)", d.err, img_reader_message(r));
	CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PPM, "err %d format %d", d.err,
	      d.info.format);
	CHECK(next(r, &d) == IMG_END, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

static void
test_corrupt_png_is_reported_and_skipped(void)
{
	FILE *f = in_begin();
	struct dec d = { 0 };
	struct img_reader *r;

	in_file(f, BAD "bad_crc.png", LONG_MAX);
	in_file(f, DATA "rgb.ppm", LONG_MAX);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_ECORRUPT, "err %d", d.err);
	CHECK(strncmp(img_reader_message(r), "corrupt PNG: ", 13) == 0, "'%s'",
	      img_reader_message(r));
	CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PPM, "err %d", d.err);
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

static void
test_zero_width_ppm_is_corrupt(void)
{
	struct dec d = { 0 };
	int fd;
	struct img_reader *r = reader_file(BAD "zero_width.ppm", &fd);

	CHECK(next(r, &d) == IMG_ECORRUPT, "err %d", d.err);
	CHECK(strstr(img_reader_message(r), "width or height is 0") != NULL, "'%s'",
	      img_reader_message(r));
	img_reader_free(r);
	close(fd);
}

static void
test_skip_and_unread_pixels_move_to_the_next_image(void)
{
	static const char *files[] = { DATA "rgb.jpg", DATA "restart.jpg", DATA "rgb.png",
	                               DATA "rgb.ppm", DATA "thumb.jpg" };
	struct img_info info;
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		f = in_begin();
		in_file(f, files[i], LONG_MAX);
		in_file(f, files[i], LONG_MAX);
		in_file(f, DATA "gray.pgm", LONG_MAX);
		r = reader_on(in_end(f), 0);
		CHECK(img_read_header(r, &info) == IMG_OK, "%s", files[i]);
		CHECK(img_skip_image(r) == IMG_OK, "%s: skip", files[i]);
		/* the second copy: header only, the next header passes it over */
		CHECK(img_read_header(r, &info) == IMG_OK &&
		      info.offset == (uint64_t)fsize(files[i]), "%s: second at %llu", files[i],
		      (unsigned long long)info.offset);
		CHECK(next(r, &d) == IMG_OK && d.info.format == IMG_PGM, "%s: then err %d",
		      files[i], d.err);
		CHECK(img_skip_image(r) == IMG_ESTATE, "%s: skip with nothing pending", files[i]);
		img_reader_free(r);
		fclose(f);
	}
	free(d.px);
}

static void
test_pixels_with_the_wrong_size_is_a_state_error(void)
{
	struct img_info info;
	unsigned char px[7 * 5 * 3];
	int fd;
	struct img_reader *r = reader_file(DATA "rgb.png", &fd);

	CHECK(img_read_pixels(r, px, sizeof px) == IMG_ESTATE, "pixels before header");
	CHECK(img_read_header(r, &info) == IMG_OK, "header");
	CHECK(img_read_pixels(r, px, sizeof px - 1) == IMG_ESTATE, "short buffer");
	CHECK(img_read_pixels(r, px, sizeof px) == IMG_OK, "right size");
	img_reader_free(r);
	close(fd);
}

static void
test_read_error_is_sticky(void)
{
	struct img_info info;
	int fd = open("tests", O_RDONLY);       /* read(2) on a directory: EISDIR */
	struct img_reader *r = reader_on(fd, 0);

	CHECK(img_read_header(r, &info) == IMG_EIO, "first call");
	CHECK(img_reader_errno(r) == EISDIR, "errno %d", img_reader_errno(r));
	CHECK(img_read_header(r, &info) == IMG_EIO, "second call");
	close(fd);
	fd = open(DATA "rgb.png", O_RDONLY);
	img_reader_start(r, fd);
	CHECK(img_read_header(r, &info) == IMG_OK, "after img_reader_start");
	CHECK(info.index == 1, "inputs count across starts: index %zu", info.index);
	img_reader_free(r);
	close(fd);
}

static void
on_alarm(int sig)
{
	(void)sig;
	printf("not ok - the reader waited for the end of its input\n");
	exit(1);
}

/* the first image is decoded while its writer still holds the pipe open */
static void
test_decodes_an_image_before_the_input_ends(void)
{
	static const char *files[] = { DATA "rgb.jpg", DATA "rgb.png", DATA "rgb.ppm" };
	unsigned char buf[4096];
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i, n;
	int p[2];
	FILE *f;

	signal(SIGALRM, on_alarm);
	for (i = 0; i < 3; i++) {
		if (pipe(p) != 0)
			return;
		f = fopen(files[i], "rb");
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		CHECK(write(p[1], buf, n) == (ssize_t)n, "write");
		r = reader_on(p[0], 0);
		alarm(10);
		CHECK(next(r, &d) == IMG_OK, "%s: err %d", files[i], d.err);
		alarm(0);
		close(p[1]);
		CHECK(next(r, &d) == IMG_END, "%s: then err %d", files[i], d.err);
		img_reader_free(r);
		close(p[0]);
	}
	free(d.px);
}

static void
test_dct_scaling_picks_the_largest_reduction_that_still_covers(void)
{
	static const struct {
		uint32_t th, tw, h, w;
	} want[] = {
		{ 0, 0, 3, 4 },     /* restart.jpg is 24 x 32 */
		{ 3, 4, 3, 4 },
		{ 4, 4, 6, 8 },
		{ 6, 8, 6, 8 },
		{ 6, 9, 12, 16 },
		{ 12, 16, 12, 16 },
		{ 13, 16, 24, 32 },
		{ 100, 100, 24, 32 },
	};
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i;
	int fd;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		r = reader_file(DATA "restart.jpg", &fd);
		CHECK(next_at(r, &d, want[i].th, want[i].tw) == IMG_OK, "err %d", d.err);
		CHECK(d.h == want[i].h && d.w == want[i].w, "target %ux%u: %ux%u, want %ux%u",
		      (unsigned)want[i].th, (unsigned)want[i].tw, (unsigned)d.h, (unsigned)d.w,
		      (unsigned)want[i].h, (unsigned)want[i].w);
		img_reader_free(r);
		close(fd);
	}
	free(d.px);
}

static void
test_dct_scaled_decode_is_close_to_a_block_average(void)
{
	struct dec full = { 0 }, q = { 0 };
	struct img_reader *r;
	int fd, m = 0, v, dv;
	uint32_t y, x, c, a, b;

	r = reader_file(DATA "restart.jpg", &fd);
	next(r, &full);
	img_reader_free(r);
	close(fd);
	r = reader_file(DATA "restart.jpg", &fd);
	CHECK(next_at(r, &q, 6, 8) == IMG_OK && q.h == 6 && q.w == 8, "1/4 decode");
	for (y = 0; q.px && y < 6; y++)
		for (x = 0; x < 8; x++)
			for (c = 0; c < 3; c++) {
				for (v = 0, b = 0; b < 4; b++)
					for (a = 0; a < 4; a++)
						v += full.px[((y * 4 + b) * 32 + x * 4 + a) * 3 + c];
				dv = abs((v + 8) / 16 - q.px[(y * 8 + x) * 3 + c]);
				m = dv > m ? dv : m;
			}
	/* the scaled IDCT is a low-pass filter, not a box: close, not equal */
	CHECK(m <= 12, "1/4 decode differs from 4 x 4 means by %d", m);
	printf("#   1/4 DCT decode vs 4x4 block means: max diff %d\n", m);
	img_reader_free(r);
	close(fd);
	free(full.px);
	free(q.px);
}

static void
test_dct_scaling_follows_exif_orientation(void)
{
	struct dec d = { 0 };
	int fd;
	/* exif6.jpg is stored 7 high and 5 wide, shown 5 x 7 */
	struct img_reader *r = reader_file(DATA "exif6.jpg", &fd);

	CHECK(next_at(r, &d, 3, 4) == IMG_OK, "err %d", d.err);
	CHECK(d.h == 3 && d.w == 4, "target 3x4: %ux%u", (unsigned)d.h, (unsigned)d.w);
	img_reader_free(r);
	close(fd);
	free(d.px);
}

static void
test_set_target_leaves_other_formats_full_size(void)
{
	struct dec d = { 0 };
	int fd;
	struct img_reader *r = reader_file(DATA "rgb.png", &fd);

	CHECK(next_at(r, &d, 1, 1) == IMG_OK && d.h == 5 && d.w == 7, "%ux%u",
	      (unsigned)d.h, (unsigned)d.w);
	img_reader_free(r);
	close(fd);
	free(d.px);
}

/* ---------------------------------------------------------------------- */
/* resizing */

static void
fill_noise(unsigned char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (unsigned char)(seed >> 24);
	}
}

static void
golden(const char *path, enum img_filter filter, int tol)
{
	FILE *fp = fopen(path, "rb");
	struct ts_reader tr;
	struct rec src = { 0 }, dst = { 0 };
	unsigned char *out;
	size_t n = 0, first, ndiff, i;
	int m, worst = 0;

	CHECK(fp != NULL, "cannot open %s", path);
	if (!fp)
		return;
	ts_reader_init(&tr, fp, NULL);
	while (read_rec(&tr, &src) && read_rec(&tr, &dst)) {
		size_t bytes = ts_payload_size(&dst.h);

		out = malloc(bytes);
		CHECK(img_resize(out, dst.h.dims[0], dst.h.dims[1], src.p, src.h.dims[0],
		                 src.h.dims[1], src.h.dims[2], filter, NULL, 0) == IMG_OK,
		      "%s", dst.h.name);
		m = maxdiff(out, dst.p, bytes, &first);
		for (ndiff = 0, i = 0; i < bytes; i++)
			ndiff += out[i] != dst.p[i];
		CHECK(m <= tol, "%s: max diff %d at [%zu]", dst.h.name, m, first);
		printf("#   %s: %s: %zu of %zu values differ, max diff %d\n", path, dst.h.name,
		       ndiff, bytes, m);
		worst = m > worst ? m : worst;
		free(out);
		n++;
	}
	CHECK(n >= 7, "%s: only %zu cases", path, n);
	printf("#   %s: max diff %d over %zu cases\n", path, worst, n);
	free(src.p);
	free(dst.p);
	fclose(fp);
}

static void
test_resize_linear_matches_opencv(void)
{
	golden("tests/golden/resize_linear.ts", IMG_LINEAR, 1);
}

static void
test_resize_area_matches_opencv(void)
{
	golden("tests/golden/resize_area.ts", IMG_AREA, 1);
}

static void
test_resize_matches_its_naive_twin(void)
{
	static const uint32_t sz[][4] = {
		{ 5, 7, 3, 2 }, { 5, 7, 13, 11 }, { 7, 5, 7, 9 }, { 1, 1, 4, 3 },
		{ 31, 17, 8, 29 }, { 16, 16, 5, 5 }, { 9, 40, 27, 13 }, { 6, 6, 3, 3 },
	};
	unsigned char src[40 * 40 * 3], a[40 * 40 * 3], b[40 * 40 * 3];
	size_t i, first, n;
	unsigned ch;
	int f, m;

	for (i = 0; i < sizeof sz / sizeof sz[0]; i++)
		for (ch = 1; ch <= 3; ch += 2)
			for (f = IMG_LINEAR; f <= IMG_AREA; f++) {
				fill_noise(src, sizeof src, (uint32_t)i * 7 + ch);
				n = (size_t)sz[i][2] * sz[i][3] * ch;
				img_resize(a, sz[i][2], sz[i][3], src, sz[i][0], sz[i][1], ch,
				           (enum img_filter)f, NULL, 0);
				img_resize_naive(b, sz[i][2], sz[i][3], src, sz[i][0], sz[i][1], ch,
				                 (enum img_filter)f);
				m = maxdiff(a, b, n, &first);
				CHECK(m <= 1, "%ux%u -> %ux%u, %u channels, filter %d: max diff %d at [%zu]",
				      (unsigned)sz[i][0], (unsigned)sz[i][1], (unsigned)sz[i][2],
				      (unsigned)sz[i][3], ch, f, m, first);
			}
}

static void
test_resize_to_the_same_size_copies(void)
{
	unsigned char src[5 * 7 * 3], dst[5 * 7 * 3];

	fill_noise(src, sizeof src, 3);
	CHECK(img_resize(dst, 5, 7, src, 5, 7, 3, IMG_LINEAR, NULL, 0) == IMG_OK, "linear");
	CHECK(memcmp(src, dst, sizeof src) == 0, "linear changed pixels");
	CHECK(img_resize(dst, 5, 7, src, 5, 7, 3, IMG_AREA, NULL, 0) == IMG_OK, "area");
	CHECK(memcmp(src, dst, sizeof src) == 0, "area changed pixels");
}

static void
test_resize_with_given_scratch_equals_its_own(void)
{
	unsigned char src[23 * 37 * 3], a[50 * 61 * 3], b[50 * 61 * 3];
	size_t n;
	void *s;
	int f;

	fill_noise(src, sizeof src, 5);
	for (f = IMG_LINEAR; f <= IMG_AREA; f++) {
		n = img_resize_scratch(11, 61, 23, 37, 3, (enum img_filter)f);
		s = malloc(n);
		CHECK(img_resize(a, 11, 61, src, 23, 37, 3, (enum img_filter)f, s, n) == IMG_OK,
		      "with scratch");
		CHECK(img_resize(b, 11, 61, src, 23, 37, 3, (enum img_filter)f, NULL, 0) == IMG_OK,
		      "without");
		CHECK(memcmp(a, b, 11 * 61 * 3) == 0, "filter %d differs", f);
		CHECK(img_resize(a, 11, 61, src, 23, 37, 3, (enum img_filter)f, s, n - 1) == IMG_EARG,
		      "short scratch accepted");
		free(s);
	}
}

static void
test_resize_rejects_bad_arguments(void)
{
	unsigned char px[16];

	CHECK(img_resize(px, 0, 1, px, 1, 1, 3, IMG_LINEAR, NULL, 0) == IMG_EARG, "zero height");
	CHECK(img_resize(px, 1, 1, px, 1, 0, 3, IMG_LINEAR, NULL, 0) == IMG_EARG, "zero width");
	CHECK(img_resize(px, 1, 1, px, 1, 1, 0, IMG_LINEAR, NULL, 0) == IMG_EARG, "0 channels");
	CHECK(img_resize(px, 1, 1, px, 1, 1, 5, IMG_LINEAR, NULL, 0) == IMG_EARG, "5 channels");
	CHECK(img_resize(px, 1, 1, px, 1, 1, 3, (enum img_filter)7, NULL, 0) == IMG_EARG,
	      "unknown filter");
	CHECK(img_resize_scratch(1, IMG_MAX_DIM + 1, 1, 1, 3, IMG_LINEAR) == 0, "huge width");
}

static void
test_resize_keeps_a_flat_image_flat(void)
{
	unsigned char src[9 * 13 * 3], dst[31 * 4 * 3];
	size_t i;
	int f, ok;

	memset(src, 255, sizeof src);
	for (f = IMG_LINEAR; f <= IMG_AREA; f++) {
		img_resize(dst, 31, 4, src, 9, 13, 3, (enum img_filter)f, NULL, 0);
		for (ok = 1, i = 0; i < sizeof dst; i++)
			ok &= dst[i] == 255;
		CHECK(ok, "filter %d: white is not white", f);
	}
}

/* ---------------------------------------------------------------------- */
/* encoding */

static void
roundtrip(enum img_format fmt, unsigned ch, int quality, int tol)
{
	unsigned char px[5 * 7 * 3], want[5 * 7 * 3];
	struct dec d = { 0 };
	struct img_reader *r;
	size_t i, first;
	FILE *f = in_begin();
	int m;

	fill_noise(px, sizeof px, 11);
	if (fmt == IMG_JPEG)    /* smooth, so JPEG can be judged by a tolerance */
		for (i = 0; i < sizeof px; i++)
			px[i] = (unsigned char)(i % (5 * ch) * 9);
	CHECK(img_write(f, fmt, px, 5, 7, ch, quality) == IMG_OK, "%s %u: write",
	      img_format_name(fmt), ch);
	r = reader_on(in_end(f), 0);
	CHECK(next(r, &d) == IMG_OK && d.h == 5 && d.w == 7, "%s %u: read back: %s",
	      img_format_name(fmt), ch, img_reader_message(r));
	for (i = 0; i < 35; i++) {
		if (ch == 1)
			memset(want + 3 * i, px[i], 3);
		else
			memcpy(want + 3 * i, px + 3 * i, 3);
	}
	if (d.px) {
		m = maxdiff(d.px, want, sizeof want, &first);
		CHECK(m <= tol, "%s %u: max diff %d at [%zu]", img_format_name(fmt), ch, m, first);
		CHECK(d.info.channels == ch, "%s: %u channels in the file", img_format_name(fmt),
		      d.info.channels);
	}
	img_reader_free(r);
	fclose(f);
	free(d.px);
}

/* ---------------------------------------------------------------------- */
/* samples: alpha, 16 bits, PNG eXIf orientation */

/* samples decodes the first image of path as ch samples of depth bits;
 * a malloc'd buffer, NULL when that fails */
static void *
samples(const char *path, unsigned ch, unsigned depth, struct img_info *info)
{
	struct img_reader *r;
	size_t n;
	void *px = NULL;
	int fd;

	r = reader_file(path, &fd);
	if (img_read_header(r, info) == IMG_OK) {
		n = (size_t)info->height * info->width * ch * depth / 8;
		px = malloc(n);
		if (img_read_samples(r, px, n, ch, depth) != IMG_OK) {
			CHECK(0, "%s: %s", path, img_reader_message(r));
			free(px);
			px = NULL;
		}
	}
	img_reader_free(r);
	close(fd);
	return px;
}

static unsigned
s16(const void *px, size_t i)
{
	uint16_t v;

	memcpy(&v, (const unsigned char *)px + 2 * i, 2);
	return v;
}

static void
test_samples_16_bit_png_are_the_file_s(void)
{
	struct img_info info;
	uint16_t *px = samples(DATA "gray16_ramp.png", 3, 16, &info);
	size_t i;
	int bad = 0;

	/* the ramp's pixel i holds i (test_png_16_bit_reduction_...) */
	for (i = 0; px && i < 65536; i++)
		if (s16(px, 3 * i) != i || s16(px, 3 * i + 1) != i || s16(px, 3 * i + 2) != i)
			bad++;
	CHECK(px && bad == 0, "%d of 65536 values wrong", bad);
	free(px);
}

static void
test_samples_16_bit_reduce_to_the_8_bit_decode(void)
{
	static const char *files[] = { "rgb16.png", "gray16.pgm" };
	struct img_info info;
	unsigned char *p8;
	void *p16;
	size_t i, k;
	int bad;

	for (k = 0; k < 2; k++) {
		char path[64];
		snprintf(path, sizeof path, DATA "%s", files[k]);
		p8 = samples(path, 3, 8, &info);
		p16 = samples(path, 4, 16, &info);
		bad = 0;
		for (i = 0; p8 && p16 && i < 35; i++) {
			unsigned c, v;
			for (c = 0; c < 3; c++) {
				v = s16(p16, 4 * i + c);
				/* PNG: libpng's rounding; PGM: two roundings */
				if (abs((int)((v * 255u + 32767) / 65535) - p8[3 * i + c]) > (int)k)
					bad++;
			}
			if (s16(p16, 4 * i + 3) != 65535)
				bad++;
		}
		CHECK(p8 && p16 && bad == 0, "%s: %d samples off", files[k], bad);
		free(p8);
		free(p16);
	}
}

static void
test_samples_8_bit_as_16_is_times_257_and_opaque(void)
{
	static const char *files[] = { "rgb.jpg", "exif6.jpg", "rgb.png", "rgb.ppm", "gray.pgm" };
	struct img_info info;
	unsigned char *p8;
	void *p16;
	size_t i, k, c;
	int bad;

	for (k = 0; k < sizeof files / sizeof files[0]; k++) {
		char path[64];
		snprintf(path, sizeof path, DATA "%s", files[k]);
		p8 = samples(path, 3, 8, &info);
		p16 = samples(path, 4, 16, &info);
		bad = 0;
		for (i = 0; p8 && p16 && i < 35; i++) {
			for (c = 0; c < 3; c++)
				bad += s16(p16, 4 * i + c) != p8[3 * i + c] * 257u;
			bad += s16(p16, 4 * i + 3) != 65535;
		}
		CHECK(p8 && p16 && bad == 0 && !info.alpha, "%s: %d samples off", files[k], bad);
		free(p8);
		free(p16);
	}
}

static void
test_samples_alpha_of_rgba_gray_alpha_and_trns(void)
{
	struct img_info info;
	unsigned char *rgba, *ga, *rgb, *pal, *g;
	size_t i;
	int bad = 0, clear = 0, opaque = 0;

	rgb = samples(DATA "rgba.png", 3, 8, &info);
	rgba = samples(DATA "rgba.png", 4, 8, &info);
	CHECK(info.alpha == 1 && info.channels == 3, "rgba.png: alpha %d", info.alpha);
	g = samples(DATA "graya.png", 3, 8, &info);
	ga = samples(DATA "graya.png", 4, 8, &info);
	CHECK(info.alpha == 1 && info.channels == 1, "graya.png: alpha %d", info.alpha);
	/* make_data.py gives both the same alpha */
	for (i = 0; rgb && rgba && g && ga && i < 35; i++) {
		bad += memcmp(rgba + 4 * i, rgb + 3 * i, 3) != 0;
		bad += memcmp(ga + 4 * i, g + 3 * i, 3) != 0;
		bad += rgba[4 * i + 3] != ga[4 * i + 3];
		opaque += rgba[4 * i + 3] == 255;
	}
	CHECK(rgb && rgba && g && ga && bad == 0 && opaque < 35, "%d pixels off", bad);
	free(rgb);
	free(g);
	free(ga);
	free(rgba);
	/* palette.png: colour 0 is transparent (tRNS) */
	rgb = samples(DATA "palette.png", 3, 8, &info);
	pal = samples(DATA "palette.png", 4, 8, &info);
	CHECK(info.alpha == 1, "palette.png: alpha %d", info.alpha);
	for (i = 0, bad = 0; rgb && pal && i < 35; i++) {
		bad += memcmp(pal + 4 * i, rgb + 3 * i, 3) != 0;
		clear += pal[4 * i + 3] == 0;
		bad += pal[4 * i + 3] != 0 && pal[4 * i + 3] != 255;
	}
	CHECK(rgb && pal && bad == 0 && clear > 0, "%d pixels off, %d clear", bad, clear);
	free(rgb);
	free(pal);
}

static void
test_samples_bad_arguments(void)
{
	struct img_info info;
	unsigned char px[5 * 7 * 8];
	struct img_reader *r;
	int fd;

	r = reader_file(DATA "rgb.png", &fd);
	CHECK(img_read_header(r, &info) == IMG_OK, "header");
	CHECK(img_read_samples(r, px, 5 * 7 * 2, 2, 8) == IMG_EARG, "2 channels");
	CHECK(img_read_samples(r, px, 5 * 7 * 3, 3, 12) == IMG_EARG, "12 bits");
	CHECK(img_read_samples(r, px, 5 * 7 * 3, 3, 16) == IMG_ESTATE, "size for 8 bits");
	CHECK(img_read_samples(r, px, 5 * 7 * 8, 4, 16) == IMG_OK, "4 x 16");
	img_reader_free(r);
	close(fd);
}

/* with_exif writes path with an eXIf chunk of orientation o after IHDR */
static int
with_exif(const char *path, unsigned o)
{
	static const unsigned char tiff[] = {
		'M', 'M', 0, 42, 0, 0, 0, 8,            /* big-endian, IFD0 at 8 */
		0, 1,                                   /* one entry */
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,       /* orientation SHORT */
		0, 0, 0, 0,                             /* no next IFD */
	};
	unsigned char chunk[12 + sizeof tiff];
	FILE *f = in_begin();
	FILE *src = fopen(path, "rb");
	uint32_t crc;
	int c, i;

	chunk[0] = chunk[1] = chunk[2] = 0;
	chunk[3] = sizeof tiff;
	memcpy(chunk + 4, "eXIf", 4);
	memcpy(chunk + 8, tiff, sizeof tiff);
	chunk[8 + 19] = (unsigned char)o;
	crc = (uint32_t)crc32(0, chunk + 4, 4 + sizeof tiff);
	for (i = 0; i < 4; i++)
		chunk[8 + sizeof tiff + i] = (unsigned char)(crc >> (24 - 8 * i));
	/* the signature and IHDR are 33 bytes */
	for (i = 0; i < 33 && (c = getc(src)) != EOF; i++)
		putc(c, f);
	fwrite(chunk, 1, sizeof chunk, f);
	while ((c = getc(src)) != EOF)
		putc(c, f);
	fclose(src);
	return in_end(f);
}

static void
test_png_exif_orientation_is_applied(void)
{
	static const char *files[] = { "rgb.png", "interlaced.png" };
	struct img_info info;
	unsigned char *ref, *px;
	struct img_reader *r;
	size_t k, y, x, bpp;
	unsigned depth;
	int fd, bad;

	/* both hold the same pixels, the second interlaced */
	ref = samples(DATA "rgb.png", 3, 8, &info);
	for (k = 0; ref && k < 2; k++)
		for (depth = 8; depth <= 16; depth += 8) {
			char path[64];
			snprintf(path, sizeof path, DATA "%s", files[k]);
			fd = with_exif(path, 6);
			r = reader_on(fd, 0);
			bpp = 4 * depth / 8;
			px = malloc(35 * bpp);
			CHECK(img_read_header(r, &info) == IMG_OK && info.orientation == 6 &&
			      info.height == 7 && info.width == 5, "%s: orientation %u, %ux%u",
			      files[k], info.orientation, (unsigned)info.height, (unsigned)info.width);
			CHECK(img_read_samples(r, px, 35 * bpp, 4, depth) == IMG_OK, "%s: %s",
			      files[k], img_reader_message(r));
			/* turned 90 clockwise: shown (y, x) is stored (4 - x, y) */
			for (y = 0, bad = 0; y < 7; y++)
				for (x = 0; x < 5; x++) {
					const unsigned char *s = ref + ((4 - x) * 7 + y) * 3;
					size_t i = (y * 5 + x) * 4;
					if (depth == 8)
						bad += memcmp(px + i, s, 3) != 0 || px[i + 3] != 255;
					else
						bad += s16(px, i) != s[0] * 257u ||
						       s16(px, i + 1) != s[1] * 257u ||
						       s16(px, i + 2) != s[2] * 257u ||
						       s16(px, i + 3) != 65535;
				}
			CHECK(bad == 0, "%s, %u bits: %d pixels off", files[k], depth, bad);
			free(px);
			img_reader_free(r);
			close(fd);
		}
	free(ref);
}

static void
test_write_samples_round_trip_every_layout(void)
{
	unsigned char px[5 * 7 * 8];
	struct img_reader *r;
	struct img_info info;
	unsigned ch, depth, c, want, got;
	size_t i;
	int bad;
	FILE *f;

	fill_noise(px, sizeof px, 5);
	for (depth = 8; depth <= 16; depth += 8)
		for (ch = 1; ch <= 4; ch++) {
			unsigned char back[5 * 7 * 8];
			f = in_begin();
			CHECK(img_write_samples(f, IMG_PNG, px, 5, 7, ch, depth, 0) == IMG_OK,
			      "PNG %u x %u: write", ch, depth);
			r = reader_on(in_end(f), 0);
			CHECK(img_read_header(r, &info) == IMG_OK && info.depth == depth &&
			      info.alpha == (ch % 2 == 0), "%u x %u: depth %u alpha %d", ch, depth,
			      info.depth, info.alpha);
			CHECK(img_read_samples(r, back, 35 * 4 * depth / 8, 4, depth) == IMG_OK,
			      "%u x %u: read", ch, depth);
			for (i = 0, bad = 0; i < 35; i++)
				for (c = 0; c < 4; c++) {
					/* gray replicated; alpha last, or opaque */
					size_t src = i * ch + (c == 3 ? ch - 1 : ch <= 2 ? 0 : c);
					if (c == 3 && ch % 2)
						want = depth == 8 ? 255 : 65535;
					else
						want = depth == 8 ? px[src] : s16(px, src);
					got = depth == 8 ? back[i * 4 + c] : s16(back, i * 4 + c);
					bad += got != want;
				}
			CHECK(bad == 0, "%u x %u: %d samples off", ch, depth, bad);
			img_reader_free(r);
			fclose(f);
		}
	f = in_begin();
	CHECK(img_write_samples(f, IMG_JPEG, px, 5, 7, 4, 8, 90) == IMG_EARG, "JPEG RGBA");
	CHECK(img_write_samples(f, IMG_JPEG, px, 5, 7, 3, 16, 90) == IMG_EARG, "JPEG 16");
	CHECK(img_write_samples(f, IMG_PPM, px, 5, 7, 2, 8, 0) == IMG_EARG, "PPM gray+alpha");
	CHECK(img_write_samples(f, IMG_PNG, px, 5, 7, 3, 12, 0) == IMG_EARG, "12 bits");
	fclose(f);
}

static void
test_write_samples_16_bit_ppm_reads_back(void)
{
	unsigned char px[5 * 7 * 6], back[5 * 7 * 8];
	struct img_reader *r;
	struct img_info info;
	size_t i;
	int bad = 0;
	FILE *f = in_begin();

	fill_noise(px, sizeof px, 9);
	CHECK(img_write_samples(f, IMG_PPM, px, 5, 7, 3, 16, 0) == IMG_OK, "write");
	r = reader_on(in_end(f), 0);
	CHECK(img_read_header(r, &info) == IMG_OK && info.depth == 16, "depth %u", info.depth);
	CHECK(img_read_samples(r, back, sizeof back, 4, 16) == IMG_OK, "read");
	for (i = 0; i < 35 * 3; i++)
		bad += s16(back, i / 3 * 4 + i % 3) != s16(px, i);
	CHECK(bad == 0, "%d samples off", bad);
	img_reader_free(r);
	fclose(f);
}

static void
test_write_png_ppm_and_pgm_are_lossless(void)
{
	roundtrip(IMG_PNG, 3, 0, 0);
	roundtrip(IMG_PNG, 1, 0, 0);
	roundtrip(IMG_PPM, 3, 0, 0);
	roundtrip(IMG_PPM, 1, 0, 0);
}

static void
test_write_jpeg_is_close_at_high_quality(void)
{
	roundtrip(IMG_JPEG, 3, 100, 12);
	roundtrip(IMG_JPEG, 1, 100, 4);
}

static void
test_write_jpeg_quality_changes_the_size(void)
{
	unsigned char px[32 * 32 * 3];
	FILE *a = in_begin(), *b = in_begin();

	fill_noise(px, sizeof px, 1);
	img_write(a, IMG_JPEG, px, 32, 32, 3, 10);
	img_write(b, IMG_JPEG, px, 32, 32, 3, 95);
	CHECK(ftell(a) < ftell(b), "q10 %ld bytes, q95 %ld", ftell(a), ftell(b));
	fclose(a);
	fclose(b);
}

static void
test_write_rejects_bad_arguments(void)
{
	unsigned char px[12] = { 0 };
	FILE *f = in_begin();

	CHECK(img_write(f, IMG_PNG, px, 2, 2, 2, 0) == IMG_EARG, "2 channels");
	CHECK(img_write(f, IMG_PNG, px, 0, 2, 3, 0) == IMG_EARG, "zero height");
	CHECK(img_write(f, IMG_JPEG, px, 2, 2, 3, 0) == IMG_EARG, "quality 0");
	CHECK(img_write(f, IMG_JPEG, px, 2, 2, 3, 101) == IMG_EARG, "quality 101");
	CHECK(img_write(f, IMG_UNKNOWN, px, 2, 2, 3, 90) == IMG_EARG, "no format");
	fclose(f);
}

static void
test_write_to_a_full_disk_is_an_io_error(void)
{
	unsigned char px[64 * 64 * 3];
	FILE *f = fopen("/dev/full", "wb");
	enum img_format fmt;

	if (!f)
		return;
	fill_noise(px, sizeof px, 2);
	for (fmt = IMG_JPEG; fmt <= IMG_PPM; fmt++) {
		enum img_err e = img_write(f, fmt, px, 64, 64, 3, 90);

		/* stdio may hold the tail back until the flush; then ferror tells */
		CHECK(e == IMG_EIO || fflush(f) == EOF, "%s: err %d", img_format_name(fmt), e);
		clearerr(f);
	}
	fclose(f);
}

static void
test_format_names_extensions_and_parsing(void)
{
	CHECK(strcmp(img_format_name(IMG_JPEG), "JPEG") == 0, "JPEG");
	CHECK(strcmp(img_format_name(IMG_PGM), "PGM") == 0, "PGM");
	CHECK(strcmp(img_format_ext(IMG_PNG, 3), "png") == 0, "png");
	CHECK(strcmp(img_format_ext(IMG_JPEG, 1), "jpg") == 0, "jpg");
	CHECK(strcmp(img_format_ext(IMG_PPM, 3), "ppm") == 0, "ppm");
	CHECK(strcmp(img_format_ext(IMG_PPM, 1), "pgm") == 0, "pgm for gray");
	CHECK(img_format_parse("jpg") == IMG_JPEG && img_format_parse("jpeg") == IMG_JPEG,
	      "jpg, jpeg");
	CHECK(img_format_parse("png") == IMG_PNG && img_format_parse("ppm") == IMG_PPM,
	      "png, ppm");
	CHECK(img_format_parse("gif") == IMG_UNKNOWN && img_format_parse("") == IMG_UNKNOWN,
	      "gif");
}

static void
test_strerror_names_every_code(void)
{
	int e;

	for (e = IMG_OK; e <= IMG_ESTATE; e++)
		CHECK(strcmp(img_strerror((enum img_err)e), "unknown error") != 0, "code %d", e);
	CHECK(strcmp(img_strerror((enum img_err)99), "unknown error") == 0, "99");
}

static void
test_free_null_is_a_no_op(void)
{
	img_reader_free(NULL);
}

int
main(void)
{
	RUN(test_decodes_every_kind_as_expected);
	RUN(test_info_reports_format_channels_depth);
	RUN(test_png_16_bit_reduction_is_exact_for_every_value);
	RUN(test_orientation_all_eight_show_the_same_picture);
	RUN(test_concatenated_mixed_formats_give_each_image_and_offset);
	RUN(test_empty_input_is_the_end);
	RUN(test_limit_refuses_huge_dimensions_in_a_tiny_file);
	RUN(test_limit_is_height_times_width);
	RUN(test_limit_error_lets_the_next_image_through);
	RUN(test_truncated_image_then_the_next_one);
	RUN(test_truncated_at_the_end_of_input);
	RUN(test_jpeg_followed_by_garbage_gives_the_jpeg_then_a_bad_input);
	RUN(test_garbage_between_images_is_one_bad_input);
	RUN(test_exif_thumbnail_is_never_taken_for_an_image);
	RUN(test_corrupt_png_is_reported_and_skipped);
	RUN(test_zero_width_ppm_is_corrupt);
	RUN(test_skip_and_unread_pixels_move_to_the_next_image);
	RUN(test_pixels_with_the_wrong_size_is_a_state_error);
	RUN(test_read_error_is_sticky);
	RUN(test_decodes_an_image_before_the_input_ends);
	RUN(test_dct_scaling_picks_the_largest_reduction_that_still_covers);
	RUN(test_dct_scaled_decode_is_close_to_a_block_average);
	RUN(test_dct_scaling_follows_exif_orientation);
	RUN(test_set_target_leaves_other_formats_full_size);
	RUN(test_resize_linear_matches_opencv);
	RUN(test_resize_area_matches_opencv);
	RUN(test_resize_matches_its_naive_twin);
	RUN(test_resize_to_the_same_size_copies);
	RUN(test_resize_with_given_scratch_equals_its_own);
	RUN(test_resize_rejects_bad_arguments);
	RUN(test_resize_keeps_a_flat_image_flat);
	RUN(test_samples_16_bit_png_are_the_file_s);
	RUN(test_samples_16_bit_reduce_to_the_8_bit_decode);
	RUN(test_samples_8_bit_as_16_is_times_257_and_opaque);
	RUN(test_samples_alpha_of_rgba_gray_alpha_and_trns);
	RUN(test_samples_bad_arguments);
	RUN(test_png_exif_orientation_is_applied);
	RUN(test_write_samples_round_trip_every_layout);
	RUN(test_write_samples_16_bit_ppm_reads_back);
	RUN(test_write_png_ppm_and_pgm_are_lossless);
	RUN(test_write_jpeg_is_close_at_high_quality);
	RUN(test_write_jpeg_quality_changes_the_size);
	RUN(test_write_rejects_bad_arguments);
	RUN(test_write_to_a_full_disk_is_an_io_error);
	RUN(test_format_names_extensions_and_parsing);
	RUN(test_strerror_names_every_code);
	RUN(test_free_null_is_a_no_op);
	return t_done();
}
