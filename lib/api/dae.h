/* dae.h - v0.1 - denoise photos with a trained convolutional autoencoder
 *
 * ABOUT
 *   The library behind daeinfer(1), for programs: load a model file (from
 *   a path or from memory), then denoise RGB images held in the caller's
 *   buffers, 8-bit or float, with any row stride, in place or into another
 *   buffer. Large images are cut into overlapping tiles whose result
 *   matches an untiled run to float rounding; a callback reports progress
 *   tile by tile and can cancel. Every exported symbol starts with dae_;
 *   the library prints nothing, exits never and reads no environment.
 *   The manual page dae(3) has a complete example program.
 *
 * BUILDING
 *   cc prog.c $(pkg-config --cflags --libs dae)
 *   (static: pkg-config --static --libs dae)
 *
 * USAGE
 *   int dae_model_load(dae_model **m, const char *path, char *err, size_t errlen)
 *   int dae_model_load_memory(dae_model **m, const void *buf, size_t len,
 *                             char *err, size_t errlen)
 *   void dae_model_free(dae_model *m)           NULL is a no-op
 *   void dae_options_init(struct dae_options *o)   the defaults below
 *   int dae_denoise(dae_model *m, const struct dae_image *out,
 *                   const struct dae_image *in, const struct dae_options *o,
 *                   char *err, size_t errlen)
 *   const char *dae_strerror(int code)          names a DAE_E* code
 *   const char *dae_version(void)               "0.1"
 *   int dae_model_set_sigma(dae_model *m, float sigma)   for a model that
 *                               takes the noise level ([noisemap] in its
 *                               cfg): the level, the noise std on 0..255,
 *                               to denoise at from now on; negative, the
 *                               default, estimates each image's own from
 *                               its 8 x 8 patches (Chen, Zhu and Heng
 *                               2015). DAE_EINVAL for a level over 255 or
 *                               a blind model (every model but such a one
 *                               finds the level itself).
 *
 * IMAGES
 *   struct dae_image { void *data; enum dae_format format; size_t width,
 *   height, stride; }: width x height RGB pixels, left to right, top to
 *   bottom, 3 interleaved channels; stride is the bytes from one row's first
 *   pixel to the next row's (0 means packed: width * 3 * sample size).
 *   DAE_U8 samples are 0..255; DAE_F32 samples are on 0..1 and may stray
 *   outside it (they are not clipped on output). out and in may be the same
 *   image (in place) or not overlap at all; they must have the same size,
 *   not necessarily the same format or stride. A u8 result is rounded to
 *   nearest and clipped, exactly as daeinfer does.
 *
 * OPTIONS
 *   threads   threads to compute with (default 1)
 *   tile      largest tile side in pixels, 16..16384 (default 1024); memory
 *             follows the tile, not the image (see MEMORY)
 *   strength  0..1: out = in + strength * (denoised - in); default 1
 *   progress  if not NULL, called after each tile with done and total
 *             tiles and user; a non-zero return cancels (DAE_ECANCEL)
 *
 * ERRORS
 *   Every int call returns 0 (DAE_OK) or a DAE_E* code, and if err is not
 *   NULL writes a one-line message there (errlen bytes at most, always
 *   terminated): DAE_EINVAL (a NULL pointer, a bad size, format or option),
 *   DAE_EMODEL (not a model, corrupt, truncated, or its network cannot be
 *   built; the message says which), DAE_EIO (the file could not be read),
 *   DAE_ENOMEM, DAE_ECANCEL. A failed or cancelled dae_denoise leaves out
 *   untouched: the result is written only once every tile is done.
 *
 * MEMORY
 *   dae_model_load* allocate the model and the network's activations for
 *   one tile; dae_model_free frees them. dae_denoise borrows the caller's
 *   buffers and allocates two float copies of the image (24 bytes a pixel)
 *   for the call; the network's memory grows to the largest tile used.
 *
 * LIMITS
 *   A model handle is used by one thread at a time (two threads: two
 *   handles). Images up to 2^30 pixels a side, 3 channels (every shipped
 *   model). dae_denoise sets OpenBLAS to one thread, since it splits the
 *   work over its own threads.
 *
 * LICENSE
 *   As the rest of dae (see its README).
 */
#ifndef DAE_H
#define DAE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DAE_API __attribute__((visibility("default")))
#else
#define DAE_API
#endif

enum dae_error {
	DAE_OK = 0,
	DAE_EINVAL,
	DAE_EMODEL,
	DAE_EIO,
	DAE_ENOMEM,
	DAE_ECANCEL
};

enum dae_format {
	DAE_U8,
	DAE_F32
};

struct dae_image {
	void *data;
	enum dae_format format;
	size_t width, height;
	size_t stride;          /* bytes from row to row; 0: packed */
};

struct dae_options {
	int threads;
	size_t tile;
	float strength;
	int (*progress)(void *user, size_t done, size_t total);
	void *user;
};

typedef struct dae_model dae_model;

DAE_API int dae_model_load(dae_model **m, const char *path, char *err, size_t errlen);
DAE_API int dae_model_load_memory(dae_model **m, const void *buf, size_t len, char *err,
                                  size_t errlen);
DAE_API void dae_model_free(dae_model *m);
DAE_API int dae_model_set_sigma(dae_model *m, float sigma);
DAE_API void dae_options_init(struct dae_options *o);
DAE_API int dae_denoise(dae_model *m, const struct dae_image *out, const struct dae_image *in,
                        const struct dae_options *o, char *err, size_t errlen);
DAE_API const char *dae_strerror(int code);
DAE_API const char *dae_version(void);

#ifdef __cplusplus
}
#endif

#endif
