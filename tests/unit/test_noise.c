/* test_noise.c: the noise generators (lib/image/noise.c). */
#include <string.h>

#include "../t.h"
#include "../../lib/image/noise.h"

#define N 200000

static float a[N], b[N];

static void
moments(const float *x, size_t n, double *mean, double *sd)
{
	double s = 0, s2 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		s += x[i];
		s2 += (double)x[i] * x[i];
	}
	*mean = s / n;
	*sd = sqrt(s2 / n - *mean * *mean);
}

static void
test_gauss_has_unit_moments(void)
{
	double m, sd;

	noise_gauss(a, N, 42);
	moments(a, N, &m, &sd);
	/* standard error of the mean is 1/sqrt(N) = 0.0022 */
	CHECK(fabs(m) < 0.01, "mean %g", m);
	CHECK(fabs(sd - 1) < 0.01, "sd %g", sd);
}

static void
test_gaussian_mean_and_std_on_the_255_scale(void)
{
	struct noise_opt o = { 10, 50, 0, 0 };
	double m, sd;

	memset(a, 0, sizeof a);
	noise_apply(&o, 7, a, N);
	moments(a, N, &m, &sd);
	CHECK(fabs(m - 10) < 0.5, "mean %g", m);
	CHECK(fabs(sd - 50) < 0.5, "sd %g", sd);
}

static void
test_same_key_same_noise(void)
{
	struct noise_opt o = { 10, 50, 0, 0 };

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	noise_apply(&o, 99, a, N);
	noise_apply(&o, 99, b, N);
	CHECK(memcmp(a, b, sizeof a) == 0, "noise differs for one key");
	memset(b, 0, sizeof b);
	noise_apply(&o, 100, b, N);
	CHECK(memcmp(a, b, sizeof a) != 0, "noise equal for two keys");
}

static void
test_prefix_does_not_depend_on_length(void)
{
	struct noise_opt o = { 0, 25, 0, 0 };

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	noise_apply(&o, 5, a, 1001);
	noise_apply(&o, 5, b, N);
	CHECK(memcmp(a, b, 1001 * sizeof(float)) == 0, "element noise depends on n");
}

static void
test_key_depends_on_content_and_name(void)
{
	unsigned char p1[6] = { 1, 2, 3, 4, 5, 6 }, p2[6] = { 1, 2, 3, 4, 5, 7 };
	uint32_t d[3] = { 1, 2, 3 };
	uint64_t k1 = noise_key(1, "a", 1, d, 3, p1, 6);

	CHECK(k1 == noise_key(1, "a", 1, d, 3, p1, 6), "key not a function");
	CHECK(k1 != noise_key(1, "a", 1, d, 3, p2, 6), "key ignores bytes");
	CHECK(k1 != noise_key(1, "b", 1, d, 3, p1, 6), "key ignores name");
	CHECK(k1 != noise_key(2, "a", 1, d, 3, p1, 6), "key ignores seed");
}

static void
test_to_u8_rounds_and_clips(void)
{
	float x[7] = { -20.0f, 0.49f, 0.5f, 127.5f, 254.6f, 400.0f, NAN };
	unsigned char u[7];

	noise_to_u8(u, x, 7);
	CHECK(u[0] == 0 && u[1] == 0 && u[2] == 1 && u[3] == 128 && u[4] == 255 && u[5] == 255,
	      "%d %d %d %d %d %d", u[0], u[1], u[2], u[3], u[4], u[5]);
	CHECK(u[6] == 0, "NaN became %d", u[6]);
}

static void
test_poisson_mean_and_variance(void)
{
	/* value 51 at peak 255 is lambda 51 photons: mean 51, sd sqrt(51)
	 * photons, i.e. sd sqrt(51) on the 0..255 scale too */
	struct noise_opt o = { 0, 0, 255, 0 };
	double m, sd;
	size_t i;

	for (i = 0; i < N; i++)
		a[i] = 51;
	noise_apply(&o, 3, a, N);
	moments(a, N, &m, &sd);
	CHECK(fabs(m - 51) < 0.2, "mean %g", m);
	CHECK(fabs(sd - sqrt(51)) < 0.1, "sd %g", sd);
}

static void
test_salt_and_pepper_fraction(void)
{
	struct noise_opt o = { 0, 0, 0, 0.1f };
	size_t i, salt = 0, pepper = 0;

	for (i = 0; i < N; i++)
		a[i] = 100;
	noise_apply(&o, 4, a, N);
	for (i = 0; i < N; i++) {
		salt += a[i] == 255;
		pepper += a[i] == 0;
	}
	CHECK(fabs((double)(salt + pepper) / N - 0.1) < 0.005, "fraction %g",
	      (double)(salt + pepper) / N);
	CHECK(fabs((double)salt / (salt + pepper) - 0.5) < 0.02, "salt share %g",
	      (double)salt / (salt + pepper));
}

/* u8 images through the table: the histogram of out for a constant input
 * must be that of noise_apply then noise_to_u8, computed exactly from the
 * normal distribution (and seen in a float-path sample) */
static unsigned char ua[N], ub[N];

static void
u8_hist(const struct noise_opt *o, unsigned char v, double *h)
{
	struct noise_table t;
	size_t i;

	memset(ua, v, sizeof ua);
	CHECK(noise_table_init(&t, o) == 0, "no table");
	noise_apply_u8(&t, 17, ua, ub, N);
	for (i = 0; i < 256; i++)
		h[i] = 0;
	for (i = 0; i < N; i++)
		h[ub[i]] += 1.0 / N;
}

static double
cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

static void
test_u8_table_matches_the_rounded_gaussian(void)
{
	static const struct { float mean, std; unsigned char v; } cases[] = {
		{ 10, 50, 128 }, { 0, 50, 0 }, { 10, 50, 250 }, { -3, 2.5f, 7 }, { 0, 0.3f, 200 },
	};
	double h[256], worst, p, lo, hi;
	size_t c, k;

	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct noise_opt o = { cases[c].mean, cases[c].std, 0, 0 };
		u8_hist(&o, cases[c].v, h);
		worst = 0;
		for (k = 0; k < 256; k++) {
			/* out = k when v + mean + std z rounds to k, ends taking the tails */
			lo = k == 0 ? 0 : cdf((k - 0.5 - cases[c].v - cases[c].mean) / cases[c].std);
			hi = k == 255 ? 1 : cdf((k + 0.5 - cases[c].v - cases[c].mean) / cases[c].std);
			p = hi - lo;
			/* within 5 standard errors of the binomial count, give or
			 * take 3 counts where a bin is too rare for the normal
			 * approximation */
			if (fabs(h[k] - p) > 5 * sqrt(p * (1 - p) / N) + 3.0 / N)
				worst = fabs(h[k] - p) / sqrt(p * (1 - p) / N + 1e-18);
		}
		CHECK(worst == 0, "case %zu: a frequency is %.1f standard errors off", c, worst);
	}
}

static void
test_u8_table_agrees_with_the_float_path(void)
{
	struct noise_opt o = { 10, 50, 0, 0 };
	double h[256], g[256] = { 0 }, chi = 0;
	size_t i, k, used = 0;

	u8_hist(&o, 90, h);
	for (i = 0; i < N; i++)
		a[i] = 90;
	noise_apply(&o, 23, a, N);
	noise_to_u8(ua, a, N);
	for (i = 0; i < N; i++)
		g[ua[i]] += 1.0 / N;
	/* two-sample chi-square over the bins both fill well; 5 sigma above
	 * its degrees of freedom */
	for (k = 0; k < 256; k++)
		if (h[k] + g[k] > 20.0 / N) {
			chi += (h[k] - g[k]) * (h[k] - g[k]) / (h[k] + g[k]) * N;
			used++;
		}
	CHECK(chi < used + 5 * sqrt(2.0 * used), "chi-square %g over %zu bins", chi, used);
}

static void
test_u8_simd_and_plain_c_agree(void)
{
	struct noise_opt o = { 10, 50, 0, 0 };
	struct noise_table t;
	static unsigned char x[N], y[N];
	size_t i, n;

	for (i = 0; i < N; i++)
		ua[i] = (unsigned char)(i * 7 % 256);
	noise_table_init(&t, &o);
	for (n = N - 1; n > 0; n /= 3) {
		noise_apply_u8_range(&t, 5, ua, x, 0, n, 1);
		noise_apply_u8_range(&t, 5, ua, y, 0, n, 0);
		CHECK(memcmp(x, y, n) == 0, "paths differ at n = %zu", n);
	}
	/* element i depends on (key, i) only */
	noise_apply_u8(&t, 5, ua, x, N);
	noise_apply_u8(&t, 5, ua + 1000, y, 5000);
	CHECK(memcmp(x + 1000, y, 5000) != 0, "noise follows the data, not the index");
	noise_apply_u8(&t, 5, ua, y, 5000);
	CHECK(memcmp(x, y, 5000) == 0, "a prefix depends on the length");
	/* ranges at odd places, as threads split a record, give the same bytes */
	memset(y, 0, N);
	noise_apply_u8_range(&t, 5, ua, y, 0, 77, 1);
	noise_apply_u8_range(&t, 5, ua, y, 77, 100003, 1);
	noise_apply_u8_range(&t, 5, ua, y, 100003, N, 0);
	CHECK(memcmp(x, y, N) == 0, "split ranges differ");
}

static void
test_u8_table_only_for_gaussian(void)
{
	struct noise_table t;
	struct noise_opt p = { 0, 0, 255, 0 }, s = { 0, 10, 0, 0.1f }, none = { 0, 0, 0, 0 };
	struct noise_opt shift = { -3.5f, 0, 0, 0 };

	CHECK(noise_table_init(&t, &p) == -1, "table for Poisson");
	CHECK(noise_table_init(&t, &s) == -1, "table for salt and pepper");
	CHECK(noise_table_init(&t, &none) == -1, "table for no noise");
	/* std 0: a shift by the rounded mean, as the float path: -3.5 + 0.5 floors to -3 */
	CHECK(noise_table_init(&t, &shift) == 0, "no table for a shift");
	memset(ua, 100, 64);
	noise_apply_u8(&t, 1, ua, ub, 64);
	CHECK(ub[0] == 97 && ub[63] == 97, "shifted to %d", ub[0]);
}

/* noise_estimate: on a smooth picture with edges, within 5% + 0.3 of the
 * level added (the method's own finite-sample error on 200 x 150 x 3);
 * 0 for a flat image, -1 for one too small */
static void
test_estimate_finds_the_level(void)
{
	static const float levels[] = { 2, 5, 15, 25, 50 };
	size_t h = 150, w = 200, n = h * w * 3, y, x, c, k;
	float *img = malloc(n * sizeof *img), *g = malloc(n * sizeof *g);
	double est;

	noise_gauss(g, n, 77);
	for (k = 0; k < sizeof levels / sizeof levels[0]; k++) {
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				for (c = 0; c < 3; c++)
					img[(y * w + x) * 3 + c] =
						(float)(100 + 40 * sin(0.05 * (double)x + (double)c) +
						        30 * cos(0.03 * (double)y) + (x > w / 2 ? 50 : 0)) +
						levels[k] * g[(y * w + x) * 3 + c];
		est = noise_estimate(img, h, w, 3);
		printf("#   level %g: %g\n", (double)levels[k], est);
		CHECK(fabs(est - levels[k]) <= 0.05 * levels[k] + 0.3, "level %g: estimated %g",
		      (double)levels[k], est);
	}
	for (k = 0; k < n; k++)
		img[k] = 128;
	CHECK(noise_estimate(img, h, w, 3) == 0, "flat: %g", noise_estimate(img, h, w, 3));
	CHECK(noise_estimate(img, 7, 200, 3) == -1, "7 rows");
	CHECK(noise_estimate(img, 10, 10, 1) == -1, "9 patches");
	CHECK(noise_estimate(NULL, h, w, 3) == -1, "NULL");
	free(img);
	free(g);
}

int
main(void)
{
	RUN(test_gauss_has_unit_moments);
	RUN(test_gaussian_mean_and_std_on_the_255_scale);
	RUN(test_same_key_same_noise);
	RUN(test_prefix_does_not_depend_on_length);
	RUN(test_key_depends_on_content_and_name);
	RUN(test_to_u8_rounds_and_clips);
	RUN(test_poisson_mean_and_variance);
	RUN(test_salt_and_pepper_fraction);
	RUN(test_u8_table_matches_the_rounded_gaussian);
	RUN(test_u8_table_agrees_with_the_float_path);
	RUN(test_u8_simd_and_plain_c_agree);
	RUN(test_u8_table_only_for_gaussian);
	RUN(test_estimate_finds_the_level);
	return t_done();
}
