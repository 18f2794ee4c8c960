/* test_dae.c: the public library, dae.h, as a program sees it: only dae_
 * calls, linked from the public static library. Uses models/seed.bin. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../t.h"
#include "../../lib/api/dae.h"

#define MODEL "models/seed.bin"

static unsigned char *
pattern(size_t w, size_t h, size_t stride)
{
	unsigned char *p = calloc(h, stride);
	size_t x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w * 3; x++)
			p[y * stride + x] = (unsigned char)((x * 7 + y * 13 + (x * y) % 29) % 256);
	return p;
}

static int
count(void *user, size_t done, size_t total)
{
	size_t *calls = user;

	calls[0]++;
	calls[1] = done;
	calls[2] = total;
	return 0;
}

static int
cancel(void *user, size_t done, size_t total)
{
	(void)user;
	(void)total;
	return done >= 1;
}

static void
test_stride_in_place_and_float_agree(void)
{
	size_t w = 37, h = 23, i, y;
	unsigned char *a = pattern(w, h, w * 3), *b = pattern(w, h, w * 3 + 5);
	unsigned char *c = malloc(w * h * 3);
	float *f = malloc(w * h * 3 * sizeof *f);
	struct dae_image in = { a, DAE_U8, w, h, 0 }, out = { c, DAE_U8, w, h, 0 };
	struct dae_image pad = { b, DAE_U8, w, h, w * 3 + 5 }, fl = { f, DAE_F32, w, h, 0 };
	dae_model *m;
	char err[256] = "";
	int bad = 0;

	CHECK(dae_model_load(&m, MODEL, err, sizeof err) == DAE_OK, "%s", err);
	if (!m)
		return;
	CHECK(dae_denoise(m, &out, &in, NULL, err, sizeof err) == DAE_OK, "%s", err);
	/* a strided buffer, in place, gives the same bytes */
	CHECK(dae_denoise(m, &pad, &pad, NULL, err, sizeof err) == DAE_OK, "%s", err);
	for (y = 0; y < h; y++)
		bad += memcmp(b + y * (w * 3 + 5), c + y * w * 3, w * 3) != 0;
	CHECK(bad == 0, "%d rows differ between packed and strided", bad);
	/* u8 in, f32 out: rounding the floats gives the u8 result */
	CHECK(dae_denoise(m, &fl, &in, NULL, err, sizeof err) == DAE_OK, "%s", err);
	for (bad = 0, i = 0; i < w * h * 3; i++) {
		float v = f[i] * 255 + 0.5f;
		unsigned char u = v > 0 ? (v < 255 ? (unsigned char)v : 255) : 0;
		bad += u != c[i];
	}
	CHECK(bad == 0, "%d samples of the float result round to other bytes", bad);
	dae_model_free(m);
	free(a);
	free(b);
	free(c);
	free(f);
}

static void
test_tiles_report_progress_and_match_untiled(void)
{
	size_t w = 200, h = 150, calls[3] = { 0, 0, 0 }, i, worst = 0;
	unsigned char *a = pattern(w, h, w * 3), *b = malloc(w * h * 3), *c = malloc(w * h * 3);
	struct dae_image in = { a, DAE_U8, w, h, 0 }, o1 = { b, DAE_U8, w, h, 0 };
	struct dae_image o2 = { c, DAE_U8, w, h, 0 };
	struct dae_options o;
	dae_model *m;
	char err[256] = "";

	CHECK(dae_model_load(&m, MODEL, err, sizeof err) == DAE_OK, "%s", err);
	if (!m)
		return;
	dae_options_init(&o);
	CHECK(dae_denoise(m, &o1, &in, &o, err, sizeof err) == DAE_OK, "%s", err);
	/* seed.bin's margins are 64 pixels, so 192 leaves cores of 64 */
	o.tile = 192;
	o.threads = 2;
	o.progress = count;
	o.user = calls;
	CHECK(dae_denoise(m, &o2, &in, &o, err, sizeof err) == DAE_OK, "%s", err);
	CHECK(calls[0] > 1 && calls[1] == calls[2] && calls[0] == calls[2],
	      "%zu calls, last %zu of %zu", calls[0], calls[1], calls[2]);
	for (i = 0; i < w * h * 3; i++) {
		size_t d = b[i] > c[i] ? (size_t)(b[i] - c[i]) : (size_t)(c[i] - b[i]);
		worst = d > worst ? d : worst;
	}
	/* tiles agree with one pass to float rounding: at most one step */
	CHECK(worst <= 1, "tiled and untiled differ by %zu", worst);
	dae_model_free(m);
	free(a);
	free(b);
	free(c);
}

static void
test_cancel_leaves_output_untouched(void)
{
	size_t w = 200, h = 150;
	unsigned char *a = pattern(w, h, w * 3), *b = pattern(w, h, w * 3);
	struct dae_image img = { a, DAE_U8, w, h, 0 };
	struct dae_options o;
	dae_model *m;
	char err[256] = "";

	CHECK(dae_model_load(&m, MODEL, err, sizeof err) == DAE_OK, "%s", err);
	if (!m)
		return;
	dae_options_init(&o);
	o.tile = 192;
	o.progress = cancel;
	CHECK(dae_denoise(m, &img, &img, &o, err, sizeof err) == DAE_ECANCEL, "%s", err);
	CHECK(memcmp(a, b, w * h * 3) == 0, "a cancelled call changed the image");
	dae_model_free(m);
	free(a);
	free(b);
}

static void
test_memory_load_matches_file_and_strength_zero_is_identity(void)
{
	size_t w = 12, h = 12, n;
	unsigned char *a = pattern(w, h, w * 3), *b = malloc(w * h * 3), *c = malloc(w * h * 3);
	struct dae_image in = { a, DAE_U8, w, h, 0 }, o1 = { b, DAE_U8, w, h, 0 };
	struct dae_image o2 = { c, DAE_U8, w, h, 0 };
	struct dae_options o;
	dae_model *m1, *m2;
	char err[256] = "", *buf;
	FILE *fp = fopen(MODEL, "rb");

	CHECK(fp != NULL, "%s", MODEL);
	if (!fp)
		return;
	buf = malloc(1 << 22);
	n = fread(buf, 1, 1 << 22, fp);
	fclose(fp);
	CHECK(dae_model_load(&m1, MODEL, err, sizeof err) == DAE_OK, "%s", err);
	CHECK(dae_model_load_memory(&m2, buf, n, err, sizeof err) == DAE_OK, "%s", err);
	free(buf);
	if (!m1 || !m2)
		return;
	CHECK(dae_denoise(m1, &o1, &in, NULL, err, sizeof err) == DAE_OK, "%s", err);
	CHECK(dae_denoise(m2, &o2, &in, NULL, err, sizeof err) == DAE_OK, "%s", err);
	CHECK(memcmp(b, c, w * h * 3) == 0, "memory and file loads differ");
	dae_options_init(&o);
	o.strength = 0;
	CHECK(dae_denoise(m1, &o2, &in, &o, err, sizeof err) == DAE_OK, "%s", err);
	CHECK(memcmp(a, c, w * h * 3) == 0, "strength 0 changed the image");
	dae_model_free(m1);
	dae_model_free(m2);
	free(a);
	free(b);
	free(c);
}

static void
test_bad_arguments_are_refused_by_code(void)
{
	unsigned char px[12 * 12 * 3] = { 0 }, junk[64] = "a text, not a model";
	struct dae_image in = { px, DAE_U8, 12, 12, 0 }, small = { px, DAE_U8, 6, 12, 0 };
	struct dae_image shifted = { px + 3, DAE_U8, 11, 12, 0 };
	struct dae_image narrow = { px, DAE_U8, 12, 12, 10 };
	struct dae_options o;
	dae_model *m = NULL;
	char err[256] = "";

	CHECK(dae_model_load(&m, "tests/no/such.bin", err, sizeof err) == DAE_EIO, "%s", err);
	CHECK(m == NULL, "a failed load left a handle");
	CHECK(dae_model_load_memory(&m, junk, sizeof junk, err, sizeof err) == DAE_EMODEL, "%s",
	      err);
	CHECK(strstr(err, "not a model") != NULL, "%s", err);
	CHECK(dae_model_load(&m, MODEL, NULL, 0) == DAE_OK, "load without a message buffer");
	if (!m)
		return;
	CHECK(dae_denoise(m, &small, &in, NULL, err, sizeof err) == DAE_EINVAL, "sizes differ");
	CHECK(dae_denoise(m, &shifted, &small, NULL, err, sizeof err) == DAE_EINVAL, "overlap");
	CHECK(dae_denoise(m, &narrow, &narrow, NULL, err, sizeof err) == DAE_EINVAL, "stride");
	dae_options_init(&o);
	o.strength = 2;
	CHECK(dae_denoise(m, &in, &in, &o, err, sizeof err) == DAE_EINVAL, "strength 2");
	CHECK(dae_denoise(NULL, &in, &in, NULL, err, sizeof err) == DAE_EINVAL, "no model");
	/* a blind model takes no level; negative (estimate) is the default */
	CHECK(dae_model_set_sigma(m, 25) == DAE_EINVAL, "a blind model took a level");
	CHECK(dae_model_set_sigma(m, -1) == DAE_OK, "a blind model refused to estimate");
	CHECK(dae_model_set_sigma(m, NAN) == DAE_EINVAL, "NaN taken");
	CHECK(dae_model_set_sigma(NULL, -1) == DAE_EINVAL, "no model");
	CHECK(strcmp(dae_strerror(DAE_ECANCEL), "cancelled") == 0, "%s", dae_strerror(DAE_ECANCEL));
	CHECK(strcmp(dae_strerror(99), "unknown error") == 0, "%s", dae_strerror(99));
	dae_model_free(m);
	dae_model_free(NULL);
}

int
main(void)
{
	RUN(test_stride_in_place_and_float_agree);
	RUN(test_tiles_report_progress_and_match_untiled);
	RUN(test_cancel_leaves_output_untouched);
	RUN(test_memory_load_matches_file_and_strength_zero_is_identity);
	RUN(test_bad_arguments_are_refused_by_code);
	return t_done();
}
