/* denoise.c: padding, cropping and tiling around nn_forward; see denoise.h
 * for why the windows sit where they do. */
#include "denoise.h"

#include <stdlib.h>
#include <string.h>

/* mirror index i into 0..n-1 without repeating the edge: -1 -> 1, n -> n-2 */
static size_t
reflect(long i, size_t n)
{
	long p;

	if (n == 1)
		return 0;
	p = 2 * ((long)n - 1);
	i %= p;
	if (i < 0)
		i += p;
	return (size_t)(i < (long)n ? i : p - i);
}

void
dn_open(struct denoiser *d, struct net *net, size_t window)
{
	d->net = net;
	d->window = window;
	d->period = nn_period(net);
	/* the margin, rounded up to whole periods so windows stay aligned */
	d->margin = (nn_reach(net) + d->period - 1) / d->period * d->period;
	d->progress = NULL;
	d->arg = NULL;
}

void
dn_progress(struct denoiser *d, int (*fn)(void *arg, size_t done, size_t total), void *arg)
{
	d->progress = fn;
	d->arg = arg;
}

void
dn_close(struct denoiser *d)
{
	memset(d, 0, sizeof *d);
}

int
dn_fits(struct denoiser *d, size_t h, size_t w)
{
	size_t H, W;

	return nn_fit_size(d->net, h, w, &H, &W) == 0 && H <= d->window && W <= d->window;
}

/* copy the window [y0, y0 + wh) x [x0, x0 + ww) of the image, mirrored
 * outside it, into the network input at slot k */
static void
fill(struct net *net, size_t k, const float *in, size_t h, size_t w, size_t c, size_t y0,
     size_t x0, size_t wh, size_t ww)
{
	float *dst = nn_input(net) + k * wh * ww * c;
	size_t y, x;

	for (y = 0; y < wh; y++) {
		size_t sy = reflect((long)(y0 + y), h);
		for (x = 0; x < ww; x++) {
			size_t sx = reflect((long)(x0 + x), w);
			memcpy(dst + (y * ww + x) * c, in + (sy * w + sx) * c, c * sizeof(float));
		}
	}
}

/* copy rows [ry, ry + rh) and columns [rx, rx + rw) of the output of slot
 * k, a window at (y0, x0), into the image */
static void
drain(struct net *net, size_t k, float *out, size_t w, size_t c, size_t y0, size_t x0,
      size_t wh, size_t ww, size_t ry, size_t rh, size_t rx, size_t rw)
{
	const float *src = nn_output(net) + k * wh * ww * c;
	size_t y;

	for (y = ry; y < ry + rh; y++)
		memcpy(out + (y * w + rx) * c, src + ((y - y0) * ww + (rx - x0)) * c,
		       rw * c * sizeof(float));
}

int
dn_batch(struct denoiser *d, float *out, const float *in, size_t n, size_t h, size_t w,
         struct nn_error *err)
{
	struct net *net = d->net;
	size_t H, W, c = net->in.c, k;

	if (nn_fit_size(net, h, w, &H, &W) != 0)
		return nn_errorf(err, 0, "no input size near %zux%zu suits this network", h, w);
	if ((net->in.h != H || net->in.w != W || net->n < n) && nn_reshape(net, H, W, n, err) != 0)
		return -1;
	for (k = 0; k < n; k++)
		fill(net, k, in + k * h * w * c, h, w, c, 0, 0, H, W);
	nn_forward(net, n, 0);
	for (k = 0; k < n; k++)
		drain(net, k, out + k * h * w * c, w, c, 0, 0, H, W, 0, h, 0, w);
	return 0;
}

/* the window along one axis for the core [core, core + len) of an image
 * padded to size full: start on a period, keep the margin, stay inside */
static size_t
window_start(size_t core, size_t margin, size_t win, size_t full)
{
	size_t s = core > margin ? core - margin : 0;

	if (s + win > full)
		s = full - win;
	return s;
}

/* the core side that splits n pixels into as few cores of at most core
 * (a multiple of period) as possible, evenly, rounded up to a period */
static size_t
share(size_t n, size_t core, size_t period)
{
	size_t k = (n + core - 1) / core;

	return ((n + k - 1) / k + period - 1) / period * period;
}

int
dn_image(struct denoiser *d, float *out, const float *in, size_t h, size_t w,
         struct nn_error *err)
{
	struct net *net = d->net;
	size_t H, W, wh, ww, core_h, core_w, cy, cx, c = net->in.c, done = 0, total;

	if (dn_fits(d, h, w)) {
		if (dn_batch(d, out, in, 1, h, w, err) != 0)
			return -1;
		return d->progress && d->progress(d->arg, 1, 1) ? DN_CANCELLED : 0;
	}
	if (nn_fit_size(net, h, w, &H, &W) != 0)
		return nn_errorf(err, 0, "no input size near %zux%zu suits this network", h, w);
	/* the largest fitting window no larger than asked (or than the image) */
	if (nn_fit_size(net, (H < d->window ? H : d->window) - d->period + 1,
	                (W < d->window ? W : d->window) - d->period + 1, &wh, &ww) != 0)
		return nn_errorf(err, 0, "no window size suits this network");
	if (wh > H)
		wh = H;
	if (ww > W)
		ww = W;
	if ((H - wh) % d->period || (W - ww) % d->period)
		return nn_errorf(err, 0, "this network's sizes do not step by its downsampling %zu",
		                 d->period);
	core_h = wh >= H ? H : (wh - 2 * d->margin) / d->period * d->period;
	core_w = ww >= W ? W : (ww - 2 * d->margin) / d->period * d->period;
	if ((wh < H && wh <= 2 * d->margin + d->period) ||
	    (ww < W && ww <= 2 * d->margin + d->period))
		return nn_errorf(err, 0, "a %zu-pixel window leaves no core inside the %zu-pixel margins",
		                 d->window, d->margin);
	/* as few windows as that size needs, each then just large enough for
	 * an even share of the photo: 1080 rows in windows of up to 512 take
	 * three cores of 360, not two of 486 and a third of 108 in a window
	 * that is mostly margin */
	core_h = share(h, core_h, d->period);
	core_w = share(w, core_w, d->period);
	if (nn_fit_size(net, wh < H ? core_h + 2 * d->margin : H,
	                ww < W ? core_w + 2 * d->margin : W, &wh, &ww) != 0)
		return nn_errorf(err, 0, "no window size suits this network");
	if ((net->in.h != wh || net->in.w != ww) && nn_reshape(net, wh, ww, 1, err) != 0)
		return -1;
	total = (h + core_h - 1) / core_h * ((w + core_w - 1) / core_w);
	for (cy = 0; cy < h; cy += core_h)
		for (cx = 0; cx < w; cx += core_w) {
			size_t y0 = window_start(cy, d->margin, wh, H);
			size_t x0 = window_start(cx, d->margin, ww, W);
			size_t rh = cy + core_h < h ? core_h : h - cy;
			size_t rw = cx + core_w < w ? core_w : w - cx;
			fill(net, 0, in, h, w, c, y0, x0, wh, ww);
			nn_forward(net, 1, 0);
			drain(net, 0, out, w, c, y0, x0, wh, ww, cy, rh, cx, rw);
			if (d->progress && d->progress(d->arg, ++done, total))
				return DN_CANCELLED;
		}
	return 0;
}

/* the pixel of (h, w) image position (y, x) after op: bit 0 transposes,
 * bit 1 flips rows, bit 2 flips columns (of the transposed image); the
 * result is (w, h) when transposed */
static void
geo(float *dst, const float *src, size_t h, size_t w, size_t c, int op, int inverse)
{
	size_t th = op & 1 ? w : h, tw = op & 1 ? h : w, y, x, sy, sx;

	for (y = 0; y < th; y++)
		for (x = 0; x < tw; x++) {
			size_t ty = op & 2 ? th - 1 - y : y, tx = op & 4 ? tw - 1 - x : x;
			sy = op & 1 ? tx : ty;
			sx = op & 1 ? ty : tx;
			if (inverse)
				memcpy(dst + (sy * w + sx) * c, src + (y * tw + x) * c, c * sizeof(float));
			else
				memcpy(dst + (y * tw + x) * c, src + (sy * w + sx) * c, c * sizeof(float));
		}
}

int
dn_image_x8(struct denoiser *d, float *out, const float *in, size_t h, size_t w,
            struct nn_error *err)
{
	size_t n = h * w * d->net->in.c, i;
	float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *back = malloc(n * sizeof *b);
	int op, rc = 0;

	if (!a || !b || !back) {
		rc = nn_errorf(err, 0, "out of memory for a %zux%zu image", h, w);
		goto done;
	}
	memset(out, 0, n * sizeof *out);
	for (op = 0; op < 8 && rc == 0; op++) {
		geo(a, in, h, w, d->net->in.c, op, 0);
		if ((rc = dn_image(d, b, a, op & 1 ? w : h, op & 1 ? h : w, err)) != 0)
			break;
		geo(back, b, h, w, d->net->in.c, op, 1);
		for (i = 0; i < n; i++)
			out[i] += back[i];
	}
	for (i = 0; i < n; i++)
		out[i] *= 0.125f;
done:
	free(a);
	free(b);
	free(back);
	return rc;
}
