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
 *   t_set_blas_threads(n), t_blas_corename()
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

void t_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
            size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void t_gemm_naive(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                  size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);
void t_im2col(float *col, const float *in, const struct conv_geom *g);
void t_col2im_add(float *din, const float *col, const struct conv_geom *g);
void t_parallel_for(int nthreads, size_t n, void (*fn)(void *arg, size_t i, int thread),
                    void *arg);
void t_set_blas_threads(int n);
const char *t_blas_corename(void);

#endif
