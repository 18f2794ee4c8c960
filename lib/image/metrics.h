/* metrics.h: image quality metrics, PSNR and SSIM, as denoising papers report them.
 *
 * ABOUT
 *   Full-reference metrics between two images of the same shape H x W x C,
 *   interleaved and row-major as in tensor(5), given as float on the 0..255
 *   scale (callers convert u8). Nothing is rounded or clipped: values outside
 *   0..255 (f32 noisy images) take part as they are.
 *
 *   PSNR: 10 log10(255^2 / MSE), MSE over every element of every channel,
 *   peak 255, no border crop. Identical images give +inf.
 *
 *   SSIM: Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from
 *   error visibility to structural similarity", IEEE TIP 13(4), 2004, with
 *   the paper's constants: Gaussian window 11 x 11, sigma 1.5, K1 0.01,
 *   K2 0.03, L 255. Local statistics are population (1/N-weighted) moments;
 *   the SSIM map is computed at every position where the window lies wholly
 *   inside the image (MATLAB's 'valid', as Wang's ssim_index.m) and averaged;
 *   each channel is done on its own and the channel means are averaged. No
 *   image border is cropped and nothing is downsampled (ssim_index.m's
 *   automatic downsampling is not applied). This equals
 *     skimage.metrics.structural_similarity(a, b, channel_axis=2,
 *         gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 *         data_range=255)
 *   (skimage's map is "same"-size but it averages only the positions at
 *   least 5 pixels from every edge, which are exactly the valid ones) and
 *   the calculate_ssim of the KAIR/BasicSR benchmark scripts with border 0.
 *
 *   Images smaller than the window: along a dimension n < 11 the window is
 *   shrunk to the largest odd size <= n (the same Gaussian, truncated there
 *   and renormalised), so such an image still has at least one window
 *   position and every image of at least 1 x 1 has an SSIM. At n >= 11 this
 *   is the standard 11-tap window; skimage refuses such images instead.
 *
 * USAGE
 *   qm_mse(a, b, n)                 mean squared error over n values
 *   qm_psnr(a, b, n)                PSNR in dB, peak 255; +inf if equal
 *   qm_mse_to_psnr(mse)             the same from an MSE (e.g. one summed
 *                                   over a validation set)
 *   qm_ssim_work_size(h, w)         doubles of workspace qm_ssim needs
 *   qm_ssim(a, b, h, w, c, work)    mean SSIM of two h x w x c images
 *   qm_ssim_naive(a, b, h, w, c)    the same by direct window sums: slow,
 *                                   no workspace; the reference for tests
 *
 * ERRORS
 *   Nothing is printed. A metric that is undefined returns NaN: n == 0, or
 *   h, w or c == 0. qm_ssim_work_size returns 0 when the size would not fit
 *   in a size_t. NaN or inf in the inputs propagate to the result.
 *
 * MEMORY
 *   The library allocates nothing. qm_ssim streams over the image rows and
 *   keeps 5 window statistics for 11 rows: qm_ssim_work_size(h, w) is at
 *   most 55 * w doubles (440 KiB for w = 1000), whatever h and c are. The
 *   caller provides and frees it; one workspace serves any image of that
 *   width or narrower.
 *
 * LIMITS
 *   Inputs are float; every product and sum is in double. Measured against
 *   the golden numbers (tests/golden/make_metrics_golden.py, itself within
 *   2e-14 of skimage 0.26): differences below 1e-13 in SSIM and in dB.
 *   qm_ssim costs about 110 multiply-adds per element.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#define QM_PEAK 255.0
#define QM_SSIM_WIN 11          /* window size; radius 5 */
#define QM_SSIM_SIGMA 1.5
#define QM_SSIM_K1 0.01
#define QM_SSIM_K2 0.03

double qm_mse(const float *a, const float *b, size_t n);
double qm_psnr(const float *a, const float *b, size_t n);
double qm_mse_to_psnr(double mse);

size_t qm_ssim_work_size(size_t h, size_t w);
double qm_ssim(const float *a, const float *b, size_t h, size_t w, size_t c, double *work);
double qm_ssim_naive(const float *a, const float *b, size_t h, size_t w, size_t c);

#endif
