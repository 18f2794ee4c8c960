/* denoise.h: run a trained network over images of any size.
 *
 * ABOUT
 *   A network like the tutorial's only maps some sizes to themselves (4 mod
 *   8 for models/seed.cfg), so an image is mirrored out at its bottom and
 *   right edges to the next such size (reflect, without repeating the edge
 *   pixel, as numpy's 'reflect') and the result cropped back. An image too
 *   large for one window is cut into overlapping windows: each starts on a
 *   multiple of the network's total downsampling, so pooling grids line up
 *   with an untiled run, and keeps a margin of at least the receptive-field
 *   radius, so only the centre of each window, where the network saw
 *   everything an untiled run would, is kept. Tiled and untiled output then
 *   agree to float rounding, and memory follows the window, not the photo.
 *
 * USAGE
 *   dn_open(&d, &net, window)       window: largest window side in pixels
 *   dn_image(&d, out, in, h, w, &err)   in, out (h, w, c) on 0..1; out may
 *                                   not alias in
 *   dn_image_x8(&d, out, in, h, w, &err)   the mean of dn_image over the 8
 *                                   flips and rotations of the image, each
 *                                   turned back: the geometric self-ensemble
 *                                   of the denoising papers' "x8" figures,
 *                                   8 times the work
 *   dn_batch(&d, out, in, n, h, w, &err)   n images of one size that fits a
 *                                   window, in one forward pass
 *   dn_fits(&d, h, w)               true when an h x w image needs no tiling
 *   dn_progress(&d, fn, arg)        call fn(arg, done, total) after each
 *                                   window of dn_image; a non-zero return
 *                                   stops it with DN_CANCELLED
 *   dn_close(&d)                    frees the scratch, not the network
 *
 * ERRORS
 *   dn_image returns 0 or -1 with a struct nn_error: a window smaller than
 *   twice the margin, or out of memory (dn_image_x8 allocates three image
 *   buffers of its own); or DN_CANCELLED when the progress function asked
 *   to stop, with out part written.
 *
 * MEMORY
 *   The network's activation arena for one window (or one batch), and one
 *   window of scratch. The image buffers belong to the caller.
 *
 * LIMITS
 *   Networks whose fitting sizes step by the total downsampling (every
 *   network in models/ does): dn_image says so when a network does not.
 */
#ifndef DENOISE_H
#define DENOISE_H

#include <stddef.h>

#include "nn.h"

/* dn_image's return when the progress function stops it */
#define DN_CANCELLED (-2)

struct denoiser {
	struct net *net;
	size_t window, period, margin;
	int (*progress)(void *arg, size_t done, size_t total);
	void *arg;
};

void dn_open(struct denoiser *d, struct net *net, size_t window);
int dn_fits(struct denoiser *d, size_t h, size_t w);
void dn_progress(struct denoiser *d, int (*fn)(void *arg, size_t done, size_t total), void *arg);
int dn_image(struct denoiser *d, float *out, const float *in, size_t h, size_t w,
             struct nn_error *err);
int dn_image_x8(struct denoiser *d, float *out, const float *in, size_t h, size_t w,
                struct nn_error *err);
int dn_batch(struct denoiser *d, float *out, const float *in, size_t n, size_t h, size_t w,
             struct nn_error *err);
void dn_close(struct denoiser *d);

#endif
