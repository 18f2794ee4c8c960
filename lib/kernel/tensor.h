/* tensor.h: the shared kernels under the layers: matrix multiply, im2col
 * and col2im for NHWC images, and a parallel for.
 *
 * ABOUT
 *   Convolutions run as im2col + sgemm: for an NHWC image the column matrix
 *   has one row per output pixel and KH*KW*C columns in (kh, kw, c) order,
 *   which is exactly the row order of a Keras (KH, KW, C, K) kernel, so the
 *   output (OH*OW x K) is NHWC without any transpose. Each optimized kernel
 *   keeps a naive twin (t_gemm_naive) that tests compare it with.
 *
 * USAGE
 *   t_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
 *        C = alpha op(A) op(B) + beta C, row-major; OpenBLAS sgemm
 *   t_gemm_naive(...)                       the same, three plain loops
 *   t_im2col(col, in, &g)                   in (H, W, C) -> col (OH*OW, KH*KW*C),
 *                                           the band's rows only
 *   t_col2im_add(din, col, &g)              din += the transpose of im2col
 *   t_parallel_for(nthreads, n, fn, arg)    fn(arg, i, thread) for i < n
 *   t_now()                                 seconds on the monotonic clock
 *   t_set_blas_threads(n), t_blas_corename()
 *   t_cpu_avx2()                            1 when the CPU has AVX2 and FMA
 *   t_conv_avx2(out, &f, wp, k, bias, act, add)
 *                                           direct convolution of a flat band
 *                                           (below) into k >= 5 outputs
 *   t_conv_thin_avx2(...)                   the same for k <= 4
 *   t_wino4_avx2(out, &f, u, k, bias, act, add, ws)
 *                                           the same for 3 x 3 kernels through
 *                                           Winograd F(4x4, 3x3); t_wino4_ws
 *                                           floats of scratch
 *   t_wino4_dw_avx2(du, &f, d, dpw, ks, k, ws)
 *                                           its weight gradient, transformed
 *   t_conv_dw_avx2(dw, &f, d, ks, k)        dw += its weight gradient, k >= 5
 *   t_conv_dw_thin_avx2(...)                the same for k <= 4
 *   t_act_avx2(dst, src, n, act)            dst = f(src)
 *   t_act_grad_avx2(dst, src, y, n, act, add)
 *                                           dst (+)= src f'(x), from y = f(x)
 *   t_add_avx2(dst, src, n)                 dst += src
 *   t_sumpool2_avx2(d, r0, r1, nx, c)       d += sums of 2 x 2 blocks (upsample's
 *                                           gradient)
 *   t_colsum_avx2(sum, x, rows, ld, n)      sum += the column sums of x
 *   t_maxpool2_avx2, t_maxpool2_grad_avx2   a row of 2 x 2 stride 2 max pooling
 *   t_affine_avx2(y, x, m, s, b, rows, c)   y = (x - m) s + b per channel
 *   t_bn_sums_avx2, t_bn_dx_avx2            batchnorm's channel sums, input
 *                                           gradient
 *
 * The _avx2 kernels (tensor_avx2.c) may only be called when t_cpu_avx2()
 * is 1; their plain-C twins live in the layer files.
 *
 * ERRORS / MEMORY
 *   None returned; the caller owns every buffer. t_parallel_for falls back
 *   to running inline if a thread cannot be created.
 *
 * LIMITS
 *   Matrix dimensions are size_t here; OpenBLAS takes int, so each operand
 *   must stay under 2^31 elements per dimension.
 */
#ifndef TENSOR_H
#define TENSOR_H

#include <stddef.h>

/* geometry of a stride-1 convolution over one NHWC image, or over the
 * band of output rows y0 .. y0 + oh - 1 of it */
struct conv_geom {
	size_t h, w, c;         /* input */
	size_t oh, ow;          /* output rows in the band, output columns */
	size_t kh, kw, dil;
	size_t pad_top, pad_left;
	size_t y0;              /* first output row of the band */
};

/* A band of a stride-1 convolution as a flat image: the input rows the
 * band needs, zero-padded, in rows of pw = ow + (kw - 1) * dil pixels of cs
 * floats, so that output pixel (r, x) is flat pixel q = r * pw + x and its
 * tap t reads the channels at x + q * cs + off[t]. The buffer must hold
 * (rows + kh - 1) * pw + (kw - 1) * dil + 8 pixels, the last ones zero. */
struct t_flat {
	const float *x;
	size_t cs, c;           /* floats a pixel; channels used (c <= cs) */
	size_t rows, ow, pw;    /* output rows and columns of the band, flat width */
	size_t ntaps;
	const size_t *off;      /* per tap, in floats */
};

/* activations the conv kernels fuse; the same order as lib/nn/layer.h's enum nn_act */
enum { T_LINEAR, T_RELU, T_SIGMOID };

void t_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
            size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void t_gemm_naive(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                  size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void t_im2col(float *col, const float *in, const struct conv_geom *g);
void t_col2im_add(float *din, const float *col, const struct conv_geom *g);
void t_parallel_for(int nthreads, size_t n, void (*fn)(void *arg, size_t i, int thread),
                    void *arg);
double t_now(void);
void t_set_blas_threads(int n);
const char *t_blas_corename(void);

int t_cpu_avx2(void);
void t_conv_avx2(float *out, const struct t_flat *f, const float *wp, size_t k,
                 const float *bias, int act, int add);
void t_conv_thin_avx2(float *out, const struct t_flat *f, const float *wt, size_t k,
                      const float *bias, int act, int add);
void t_conv_dw_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks, size_t k);
void t_conv_dw_thin_avx2(float *dw, const struct t_flat *f, const float *d, size_t ks,
                         size_t k);
void t_act_avx2(float *dst, const float *src, size_t n, int act);
void t_act_grad_avx2(float *dst, const float *src, const float *y, size_t n, int act, int add);
void t_add_avx2(float *dst, const float *src, size_t n);
void t_sumpool2_avx2(float *d, const float *r0, const float *r1, size_t nx, size_t c);
void t_wino4_avx2(float *out, const struct t_flat *f, const float *u, size_t k,
                  const float *bias, int act, int add, float *ws);
void t_wino4_dw_avx2(float *du, const struct t_flat *f, const float *d, size_t dpw, size_t ks,
                     size_t k, float *ws);
size_t t_wino4_ws(size_t cin, size_t ks);
void t_colsum_avx2(float *sum, const float *x, size_t rows, size_t ld, size_t n);
void t_maxpool2_avx2(float *out, const float *r0, const float *r1, size_t nx, size_t c);
void t_maxpool2_grad_avx2(float *d0, float *d1, const float *r0, const float *r1,
                          const float *out, const float *dout, size_t nx, size_t c);
void t_affine_avx2(float *y, const float *x, const float *m, const float *s, const float *b,
                   size_t rows, size_t c);
void t_bn_sums_avx2(double *acc, const float *x, const float *dy, const float *m,
                    const float *s, size_t rows, size_t c);
void t_bn_dx_avx2(float *dx, const float *dy, const float *x, const float *m, const float *s,
                  const float *g, const float *mdy, const float *mdx, size_t rows, size_t c);

#endif
