/* metrics.c: PSNR and SSIM between two images; see metrics.h for the protocol.
 *
 * SSIM follows Wang et al. 2004 and agrees with skimage's structural_similarity
 * (Gaussian weights, population moments, valid windows only). It is not a
 * general filtering library: the separable Gaussian here serves SSIM alone.
 * qm_ssim streams over rows with a ring of row-filtered statistics;
 * qm_ssim_naive, below it, sums each 2-D window directly and is the reference.
 */
#include "metrics.h"

#include <math.h>
#include <stdint.h>

#define NSTAT 5                 /* a, b, a*a, b*b, a*b */

double
qm_mse(const float *a, const float *b, size_t n)
{
	double s = 0, d;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		d = (double)a[i] - b[i];
		s += d * d;
	}
	return s / (double)n;
}

double
qm_mse_to_psnr(double mse)
{
	if (mse == 0)
		return INFINITY;
	return 10 * log10(QM_PEAK * QM_PEAK / mse);
}

double
qm_psnr(const float *a, const float *b, size_t n)
{
	return qm_mse_to_psnr(qm_mse(a, b, n));
}

/* Window radius along a dimension of n pixels: 5, or for n < 11 the largest
 * that fits, so a small image keeps at least one window position. */
static size_t
win_radius(size_t n)
{
	return n >= QM_SSIM_WIN ? QM_SSIM_WIN / 2 : (n - 1) / 2;
}

/* g (2r+1): the sampled Gaussian, normalised to sum 1, as scipy's
 * gaussian_filter1d builds it (and MATLAB's fspecial('gaussian')) */
static void
gauss_taps(double *g, size_t r)
{
	double s = 0, x;
	size_t i;

	for (i = 0; i <= 2 * r; i++) {
		x = (double)i - (double)r;
		g[i] = exp(-x * x / (2 * QM_SSIM_SIGMA * QM_SSIM_SIGMA));
		s += g[i];
	}
	for (i = 0; i <= 2 * r; i++)
		g[i] /= s;
}

/* SSIM of one window from its weighted moments E[a], E[b], E[a^2], E[b^2],
 * E[ab]; population variances (use_sample_covariance=False in skimage) */
static double
ssim_of_moments(const double *m)
{
	const double c1 = (QM_SSIM_K1 * QM_PEAK) * (QM_SSIM_K1 * QM_PEAK);
	const double c2 = (QM_SSIM_K2 * QM_PEAK) * (QM_SSIM_K2 * QM_PEAK);
	double va = m[2] - m[0] * m[0];
	double vb = m[3] - m[1] * m[1];
	double cov = m[4] - m[0] * m[1];

	return ((2 * m[0] * m[1] + c1) * (2 * cov + c2)) /
	       ((m[0] * m[0] + m[1] * m[1] + c1) * (va + vb + c2));
}

size_t
qm_ssim_work_size(size_t h, size_t w)
{
	size_t kh, wv;

	if (h == 0 || w == 0)
		return 0;
	kh = 2 * win_radius(h) + 1;
	wv = w - 2 * win_radius(w);
	if (wv > SIZE_MAX / (NSTAT * kh))
		return 0;
	return NSTAT * kh * wv;
}

/* a, b (h,w,c) interleaved; work (kh, NSTAT, wv): row y of the image,
 * filtered along x, sits in slot y % kh. Once kh rows are in, each output
 * row filters the slots along y and adds its SSIM values to the sum. */
double
qm_ssim(const float *a, const float *b, size_t h, size_t w, size_t c, double *work)
{
	double gy[QM_SSIM_WIN], gx[QM_SSIM_WIN], m[NSTAT], total = 0, sum, va, vb, g;
	const double *slot[QM_SSIM_WIN];
	const float *pa, *pb;
	double *row;
	size_t ry, rx, kh, kw, hv, wv, ch, y, x, k, i;

	if (h == 0 || w == 0 || c == 0)
		return NAN;
	ry = win_radius(h);
	rx = win_radius(w);
	kh = 2 * ry + 1;
	kw = 2 * rx + 1;
	hv = h - 2 * ry;
	wv = w - 2 * rx;
	gauss_taps(gy, ry);
	gauss_taps(gx, rx);
	for (ch = 0; ch < c; ch++) {
		sum = 0;
		for (y = 0; y < h; y++) {
			row = work + (y % kh) * NSTAT * wv;
			pa = a + y * w * c + ch;
			pb = b + y * w * c + ch;
			for (x = 0; x < wv; x++) {
				for (i = 0; i < NSTAT; i++)
					m[i] = 0;
				for (k = 0; k < kw; k++) {
					va = pa[(x + k) * c];
					vb = pb[(x + k) * c];
					g = gx[k];
					m[0] += g * va;
					m[1] += g * vb;
					m[2] += g * (va * va);
					m[3] += g * (vb * vb);
					m[4] += g * (va * vb);
				}
				for (i = 0; i < NSTAT; i++)
					row[i * wv + x] = m[i];
			}
			if (y + 1 < kh)
				continue;
			/* rows y-kh+1 .. y, oldest first */
			for (k = 0; k < kh; k++)
				slot[k] = work + ((y + 1 + k) % kh) * NSTAT * wv;
			for (x = 0; x < wv; x++) {
				for (i = 0; i < NSTAT; i++)
					m[i] = 0;
				for (k = 0; k < kh; k++)
					for (i = 0; i < NSTAT; i++)
						m[i] += gy[k] * slot[k][i * wv + x];
				sum += ssim_of_moments(m);
			}
		}
		total += sum / (double)(hv * wv);
	}
	return total / (double)c;
}

double
qm_ssim_naive(const float *a, const float *b, size_t h, size_t w, size_t c)
{
	double gy[QM_SSIM_WIN], gx[QM_SSIM_WIN], m[NSTAT], total = 0, sum, va, vb, g;
	size_t ry, rx, hv, wv, ch, oy, ox, ky, kx, i, at;

	if (h == 0 || w == 0 || c == 0)
		return NAN;
	ry = win_radius(h);
	rx = win_radius(w);
	hv = h - 2 * ry;
	wv = w - 2 * rx;
	gauss_taps(gy, ry);
	gauss_taps(gx, rx);
	for (ch = 0; ch < c; ch++) {
		sum = 0;
		for (oy = 0; oy < hv; oy++) {
			for (ox = 0; ox < wv; ox++) {
				for (i = 0; i < NSTAT; i++)
					m[i] = 0;
				for (ky = 0; ky <= 2 * ry; ky++) {
					for (kx = 0; kx <= 2 * rx; kx++) {
						at = ((oy + ky) * w + ox + kx) * c + ch;
						va = a[at];
						vb = b[at];
						g = gy[ky] * gx[kx];
						m[0] += g * va;
						m[1] += g * vb;
						m[2] += g * (va * va);
						m[3] += g * (vb * vb);
						m[4] += g * (va * vb);
					}
				}
				sum += ssim_of_moments(m);
			}
		}
		total += sum / (double)(hv * wv);
	}
	return total / (double)c;
}
