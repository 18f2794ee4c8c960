/* test_metrics.c: PSNR and SSIM (lib/image/metrics.c) against the golden numbers of
 * tests/golden/make_metrics_golden.py, which were cross-checked there against
 * scikit-image. Tolerance: 1e-9 absolute on SSIM and MSE-relative, 1e-9 dB on
 * PSNR; the two implementations agree to about 1e-13. */
#include <stdint.h>
#include <string.h>

#include "../t.h"
#include "../../lib/image/metrics.h"
#include "../../lib/io/stream.h"

#define TOL 1e-9
#define GOLDEN "tests/golden/"

/* reads the next record of r as float into *buf; returns 0 at the end */
static int
next_image(struct ts_reader *r, float **buf, size_t *h, size_t *w, size_t *c)
{
	struct ts_header hd;
	size_t n, i;
	enum ts_err err;

	if ((err = ts_read_header(r, &hd)) != TS_OK) {
		CHECK(err == TS_END, "read header: %s", ts_strerror(err));
		return 0;
	}
	CHECK(hd.rank == 3, "rank %u", hd.rank);
	*h = hd.dims[0];
	*w = hd.dims[1];
	*c = hd.dims[2];
	n = ts_nelem(&hd);
	*buf = realloc(*buf, n * sizeof(float));
	if (!*buf)
		abort();
	err = ts_read_payload(r, *buf, ts_payload_size(&hd));
	CHECK(err == TS_OK, "read payload: %s", ts_strerror(err));
	if (hd.dtype == TS_U8)
		for (i = n; i-- > 0;)
			(*buf)[i] = ((unsigned char *)*buf)[i];
	return 1;
}

static void
test_golden_mse_psnr_ssim(void)
{
	FILE *fa = fopen(GOLDEN "metrics_ref.ts", "rb");
	FILE *fb = fopen(GOLDEN "metrics_test.ts", "rb");
	FILE *fe = fopen(GOLDEN "metrics_expected.txt", "r");
	struct ts_reader ra, rb;
	float *a = NULL, *b = NULL;
	double *work = NULL, mse, psnr, ssim, got, dpsnr = 0, dssim = 0, dmse = 0;
	size_t h, w, c, hb, wb, cb, eh, ew, ec, ncases = 0;
	char name[64], line[256];

	CHECK(fa && fb && fe, "golden files missing: run from the top directory");
	if (!fa || !fb || !fe)
		return;
	ts_reader_init(&ra, fa, NULL);
	ts_reader_init(&rb, fb, NULL);
	if (!fgets(line, sizeof line, fe))	/* the comment line */
		CHECK(0, "empty expected file");
	while (fscanf(fe, "%63s %zu %zu %zu %lf %lf %lf", name, &eh, &ew, &ec, &mse, &psnr, &ssim) == 7) {
		CHECK(next_image(&ra, &a, &h, &w, &c), "%s: no reference record", name);
		CHECK(next_image(&rb, &b, &hb, &wb, &cb), "%s: no test record", name);
		CHECK(h == eh && w == ew && c == ec && hb == h && wb == w && cb == c,
		      "%s: dims %zux%zux%zu", name, h, w, c);
		work = realloc(work, qm_ssim_work_size(h, w) * sizeof *work);
		if (!work)
			abort();

		got = qm_mse(a, b, h * w * c);
		CHECK(fabs(got - mse) <= TOL * fmax(1, mse), "%s: mse %.17g want %.17g", name, got, mse);
		dmse = fmax(dmse, fabs(got - mse) / fmax(1, mse));

		got = qm_psnr(a, b, h * w * c);
		if (isinf(psnr)) {
			CHECK(isinf(got) && got > 0, "%s: psnr %g want inf", name, got);
		} else {
			CHECK(fabs(got - psnr) <= TOL, "%s: psnr %.17g want %.17g", name, got, psnr);
			dpsnr = fmax(dpsnr, fabs(got - psnr));
		}

		got = qm_ssim(a, b, h, w, c, work);
		CHECK(fabs(got - ssim) <= TOL, "%s: ssim %.17g want %.17g", name, got, ssim);
		dssim = fmax(dssim, fabs(got - ssim));
		got = qm_ssim_naive(a, b, h, w, c);
		CHECK(fabs(got - ssim) <= TOL, "%s: naive ssim %.17g want %.17g", name, got, ssim);
		ncases++;
	}
	CHECK(ncases == 15, "%zu golden cases", ncases);
	CHECK(!next_image(&ra, &a, &h, &w, &c), "extra reference records");
	printf("#   %zu cases: max |dPSNR| %.3g dB, max |dSSIM| %.3g, max rel dMSE %.3g (tol %g)\n",
	       ncases, dpsnr, dssim, dmse, TOL);
	free(a);
	free(b);
	free(work);
	fclose(fa);
	fclose(fb);
	fclose(fe);
}

/* a deterministic pseudo-random image on -50..300 */
static void
fill(float *x, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)(seed >> 8) / (float)(1u << 24) * 350.0f - 50.0f;
	}
}

static void
test_ssim_matches_naive_on_odd_shapes(void)
{
	static const size_t shapes[][3] = {
		{ 13, 17, 3 }, { 11, 12, 1 }, { 30, 1, 2 }, { 1, 30, 3 }, { 2, 2, 4 },
		{ 25, 14, 3 }, { 12, 11, 3 }, { 9, 40, 1 },
	};
	float a[40 * 40 * 4], b[40 * 40 * 4];
	double work[55 * 40], fast, naive;
	size_t i, n;

	for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		n = shapes[i][0] * shapes[i][1] * shapes[i][2];
		fill(a, n, (uint32_t)i);
		fill(b, n, (uint32_t)i + 100);
		fast = qm_ssim(a, b, shapes[i][0], shapes[i][1], shapes[i][2], work);
		naive = qm_ssim_naive(a, b, shapes[i][0], shapes[i][1], shapes[i][2]);
		CHECK(fabs(fast - naive) <= 1e-12, "%zux%zux%zu: ring %.17g naive %.17g",
		      shapes[i][0], shapes[i][1], shapes[i][2], fast, naive);
	}
}

static void
test_identical_images_give_inf_psnr_and_ssim_one(void)
{
	float a[20 * 15 * 3];
	double work[55 * 15];

	fill(a, 20 * 15 * 3, 7);
	CHECK(qm_mse(a, a, 20 * 15 * 3) == 0, "mse not 0");
	CHECK(isinf(qm_psnr(a, a, 20 * 15 * 3)) && qm_psnr(a, a, 20 * 15 * 3) > 0, "psnr not +inf");
	CHECK(qm_ssim(a, a, 20, 15, 3, work) == 1.0, "ssim %.17g", qm_ssim(a, a, 20, 15, 3, work));
}

static void
test_constant_equal_images_give_ssim_one(void)
{
	float a[16 * 16];
	double work[55 * 16];
	size_t i;

	for (i = 0; i < 16 * 16; i++)
		a[i] = 0;
	CHECK(qm_ssim(a, a, 16, 16, 1, work) == 1.0, "black: ssim %.17g", qm_ssim(a, a, 16, 16, 1, work));
}

static void
test_ssim_is_symmetric(void)
{
	float a[14 * 13 * 3], b[14 * 13 * 3];
	double work[55 * 13];

	fill(a, sizeof a / sizeof a[0], 1);
	fill(b, sizeof b / sizeof b[0], 2);
	CHECK_CLOSE(qm_ssim(a, b, 14, 13, 3, work), qm_ssim(b, a, 14, 13, 3, work), 1e-15);
}

static void
test_psnr_of_known_mse(void)
{
	CHECK_CLOSE(qm_mse_to_psnr(255.0 * 255.0), 0.0, 1e-15);
	CHECK_CLOSE(qm_mse_to_psnr(255.0 * 255.0 / 100), 20.0, 1e-15);
	CHECK(isinf(qm_mse_to_psnr(0)), "mse 0: %g", qm_mse_to_psnr(0));
}

static void
test_psnr_does_not_clip_out_of_range_values(void)
{
	float a[2] = { 255, 0 }, b[2] = { 300, -45 };

	CHECK_CLOSE(qm_mse(a, b, 2), 45.0 * 45.0, 1e-15);
}

static void
test_empty_images_are_nan(void)
{
	float a[1] = { 0 };
	double work[1];

	CHECK(isnan(qm_mse(a, a, 0)), "mse of nothing");
	CHECK(isnan(qm_psnr(a, a, 0)), "psnr of nothing");
	CHECK(isnan(qm_ssim(a, a, 0, 1, 1, work)), "ssim h 0");
	CHECK(isnan(qm_ssim(a, a, 1, 1, 0, work)), "ssim c 0");
	CHECK(isnan(qm_ssim_naive(a, a, 1, 0, 1)), "naive ssim w 0");
	CHECK(qm_ssim_work_size(0, 5) == 0, "work size for h 0");
}

static void
test_work_size_is_at_most_55_doubles_per_column(void)
{
	CHECK(qm_ssim_work_size(1000, 300) == 55 * 290, "%zu", qm_ssim_work_size(1000, 300));
	CHECK(qm_ssim_work_size(11, 11) == 55, "%zu", qm_ssim_work_size(11, 11));
	CHECK(qm_ssim_work_size(1, 1) == 5, "%zu", qm_ssim_work_size(1, 1));
	CHECK(qm_ssim_work_size(4, 7) == 5 * 3 * 1, "%zu", qm_ssim_work_size(4, 7));
	CHECK(qm_ssim_work_size(11, SIZE_MAX) == 0, "overflow not reported");
}

static void
test_one_workspace_serves_a_narrower_image(void)
{
	float a[20 * 30 * 3], b[20 * 30 * 3];
	double work[55 * 30];

	fill(a, sizeof a / sizeof a[0], 3);
	fill(b, sizeof b / sizeof b[0], 4);
	CHECK(qm_ssim_work_size(15, 12) <= qm_ssim_work_size(20, 30), "sizes");
	CHECK_CLOSE(qm_ssim(a, b, 15, 12, 3, work), qm_ssim_naive(a, b, 15, 12, 3), 1e-12);
}

int
main(void)
{
	RUN(test_golden_mse_psnr_ssim);
	RUN(test_ssim_matches_naive_on_odd_shapes);
	RUN(test_identical_images_give_inf_psnr_and_ssim_one);
	RUN(test_constant_equal_images_give_ssim_one);
	RUN(test_ssim_is_symmetric);
	RUN(test_psnr_of_known_mse);
	RUN(test_psnr_does_not_clip_out_of_range_values);
	RUN(test_empty_images_are_nan);
	RUN(test_work_size_is_at_most_55_doubles_per_column);
	RUN(test_one_workspace_serves_a_narrower_image);
	return t_done();
}
