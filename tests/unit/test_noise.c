/* test_noise.c: the noise generators (lib/noise.c). */
#include <string.h>

#include "../t.h"
#include "../../lib/noise.h"

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
	return t_done();
}
