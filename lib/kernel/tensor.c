/* tensor.c: sgemm through OpenBLAS with its naive twin, im2col/col2im for
 * NHWC, and a fork-join parallel for over pthreads. */
#include "tensor.h"

#include <cblas.h>
#include <string.h>

void
t_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
       const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
	            (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void
t_gemm_naive(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
             size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
	size_t i, j, p;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			double s = 0;
			for (p = 0; p < k; p++)
				s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
				     (tb ? b[j * ldb + p] : b[p * ldb + j]);
			c[i * ldc + j] = (float)(alpha * s + (beta != 0 ? beta * c[i * ldc + j] : 0));
		}
}

void
t_im2col(float *col, const float *in, const struct conv_geom *g)
{
	size_t oy, ox, ky, kx, row = g->kh * g->kw * g->c;

	for (oy = 0; oy < g->oh; oy++)
		for (ox = 0; ox < g->ow; ox++) {
			float *dst = col + (oy * g->ow + ox) * row;
			for (ky = 0; ky < g->kh; ky++) {
				/* unsigned wrap makes negative coordinates huge */
				size_t iy = g->y0 + oy + ky * g->dil - g->pad_top;
				for (kx = 0; kx < g->kw; kx++, dst += g->c) {
					size_t ix = ox + kx * g->dil - g->pad_left;
					if (iy < g->h && ix < g->w)
						memcpy(dst, in + (iy * g->w + ix) * g->c, g->c * sizeof(float));
					else
						memset(dst, 0, g->c * sizeof(float));
				}
			}
		}
}

void
t_col2im_add(float *din, const float *col, const struct conv_geom *g)
{
	size_t oy, ox, ky, kx, c, row = g->kh * g->kw * g->c;

	for (oy = 0; oy < g->oh; oy++)
		for (ox = 0; ox < g->ow; ox++) {
			const float *src = col + (oy * g->ow + ox) * row;
			for (ky = 0; ky < g->kh; ky++) {
				size_t iy = g->y0 + oy + ky * g->dil - g->pad_top;
				for (kx = 0; kx < g->kw; kx++, src += g->c) {
					size_t ix = ox + kx * g->dil - g->pad_left;
					float *dst;
					if (iy >= g->h || ix >= g->w)
						continue;
					dst = din + (iy * g->w + ix) * g->c;
					for (c = 0; c < g->c; c++)
						dst[c] += src[c];
				}
			}
		}
}

void
t_set_blas_threads(int n)
{
	openblas_set_num_threads(n);
}

const char *
t_blas_corename(void)
{
	return openblas_get_corename();
}
