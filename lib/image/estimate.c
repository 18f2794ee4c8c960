/* estimate.c: how much white Gaussian noise an image carries, by the method
 * of Chen, Zhu and Heng, "An Efficient Statistical Method for Image Noise
 * Level Estimation" (ICCV 2015). The covariance of an image's 8 x 8 patches
 * has, in every direction the content leaves empty, the noise variance as
 * its eigenvalue; natural content fills only some directions. Sorted from
 * the smallest, the eigenvalues that are noise alone are those whose mean is
 * also their median (as many above it as below), and that mean is the
 * estimate. A colour image is read in orthonormal opponent colours, which
 * keep white noise of one level in each channel white and at that level,
 * and only its two colour-difference channels are used: natural texture
 * lies mostly in the luminance, where it would pass for noise (on 24
 * CBSD432 photos the estimate from R, G and B ran 1.1 over at sigma 25 and
 * 6.9 on the clean photos; from the differences, within 0.1 and 0.5).
 * Patches come from every third row and column, sparser on large images
 * so that the work stays under about a hundred million multiply-adds. */
#include "noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define P 8                     /* patch side */
#define D (P * P)               /* patch length */
#define MAX_PATCHES 60000.0

/* the eigenvalues of the symmetric n x n matrix a (destroyed), by cyclic
 * Jacobi rotations, in ev[] unsorted */
static void
eigenvalues(double *a, int n, double *ev)
{
	int sweep, p, q, k;

	for (sweep = 0; sweep < 60; sweep++) {
		double off = 0, diag = 0;
		for (p = 0; p < n; p++) {
			diag += a[p * n + p] * a[p * n + p];
			for (q = p + 1; q < n; q++)
				off += a[p * n + q] * a[p * n + q];
		}
		if (off <= 1e-24 * diag || off == 0)
			break;
		for (p = 0; p < n - 1; p++)
			for (q = p + 1; q < n; q++) {
				double apq = a[p * n + q], app = a[p * n + p], aqq = a[q * n + q];
				double th, t, c, s;
				if (fabs(apq) <= 1e-15 * (fabs(app) + fabs(aqq))) {
					a[p * n + q] = a[q * n + p] = 0;
					continue;
				}
				th = (aqq - app) / (2 * apq);
				t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (k = 0; k < n; k++) {       /* columns p and q */
					double kp = a[k * n + p], kq = a[k * n + q];
					a[k * n + p] = c * kp - s * kq;
					a[k * n + q] = s * kp + c * kq;
				}
				for (k = 0; k < n; k++) {       /* rows p and q */
					double pk = a[p * n + k], qk = a[q * n + k];
					a[p * n + k] = c * pk - s * qk;
					a[q * n + k] = s * pk + c * qk;
				}
			}
	}
	for (p = 0; p < n; p++)
		ev[p] = a[p * n + p];
}

/* channel ch of pixel p; of three, the orthonormal opponent colours
 * (luminance, red - blue, green - magenta), which keep white noise white
 * at the same level while natural texture stays mostly in the first */
static double
px(const float *p, size_t c, size_t ch)
{
	if (c != 3)
		return p[ch];
	switch (ch) {
	case 0: return ((double)p[0] + p[1] + p[2]) * 0.57735026918962576;
	case 1: return ((double)p[0] - p[2]) * 0.70710678118654752;
	default: return ((double)p[0] - 2.0 * p[1] + p[2]) * 0.40824829046386302;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
noise_estimate(const float *x, size_t h, size_t w, size_t c)
{
	double sum[D], cov[D * D], ev[D], v[D], mean = 0, cells, npatch = 0;
	size_t step, y, xx, ch, i, j;
	int cnt;

	if (!x || h < P || w < P || c == 0)
		return -1;
	/* every third row and column, or sparser to stay near MAX_PATCHES */
	cells = (double)c * (double)(h - P + 1) * (double)(w - P + 1);
	step = 3;
	if (cells / 9 > MAX_PATCHES)
		step = (size_t)ceil(sqrt(cells / MAX_PATCHES));
	memset(sum, 0, sizeof sum);
	memset(cov, 0, sizeof cov);
	for (ch = (c == 3 ? 1 : 0); ch < c; ch++)
		for (y = 0; y + P <= h; y += step)
			for (xx = 0; xx + P <= w; xx += step) {
				for (i = 0; i < P; i++)
					for (j = 0; j < P; j++)
						v[i * P + j] = px(x + ((y + i) * w + xx + j) * c, c, ch);
				for (i = 0; i < D; i++) {
					sum[i] += v[i];
					for (j = i; j < D; j++)
						cov[i * D + j] += v[i] * v[j];
				}
				npatch++;
			}
	if (npatch < 2 * D)
		return -1;
	for (i = 0; i < D; i++)
		for (j = i; j < D; j++) {
			cov[i * D + j] = (cov[i * D + j] - sum[i] * sum[j] / npatch) / npatch;
			cov[j * D + i] = cov[i * D + j];
		}
	eigenvalues(cov, D, ev);
	qsort(ev, D, sizeof ev[0], cmp_double);
	/* the smallest cnt eigenvalues, fewer each time, until as many lie
	 * above their mean as below it (cnt = 1 always qualifies) */
	for (cnt = D; cnt >= 1; cnt--) {
		int above = 0, below = 0, k;
		mean = 0;
		for (k = 0; k < cnt; k++)
			mean += ev[k];
		mean /= cnt;
		for (k = 0; k < cnt; k++) {
			above += ev[k] > mean;
			below += ev[k] < mean;
		}
		if (above == below)
			break;
	}
	return mean > 0 ? sqrt(mean) : 0;
}
