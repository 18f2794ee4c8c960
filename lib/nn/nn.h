/* nn.h: a small convolutional network library, described by a cfg(5) file.
 *
 * ABOUT
 *   Layers (conv, maxpool, upsample, batchnorm, relu, sigmoid, linear, add,
 *   concat, space_to_depth, depth_to_space, noisemap), their forward and backward
 *   passes, MSE loss and Adam, with Keras semantics where the tutorial this
 *   project reproduces relies on them (padding, BatchNorm, Adam; see each
 *   layer's file). Activations are NHWC floats; images are fed on the 0..1
 *   scale. Every parameter is a named tensor ("L0.weight", or "enc1.weight"
 *   when the layer has a name), in the same layouts as Keras stores them.
 *   This is the clean reference engine: plain loops beside the optimized
 *   kernels, checked against Keras golden files and finite differences.
 *   Programs see struct net and the calls below; the layers themselves
 *   (struct layer, the kind interface) are in layer.h, for the kinds, nn.c,
 *   the ONNX exporter (onnx.c) and the tests.
 *
 * USAGE
 *   nn_build(&net, cfg_text, h, w, n, mode, &err)   parse, infer shapes,
 *                               allocate every arena once; mode NN_TRAIN
 *                               also makes gradients and Adam moments
 *   nn_reshape(&net, h, w, n, &err)   new input size or batch; grows the
 *                               activation arena only when needed
 *   nn_set_threads(&net, t, &err)   split the work over t threads (default 1);
 *                               grows the workspace, which is per thread
 *   nn_set_kernels(&net, k, &err)   NN_AVX2 (the default where the CPU has
 *                               AVX2 and FMA), NN_PORTABLE (plain C and
 *                               BLAS, the default elsewhere) or NN_NAIVE
 *                               (the reference loops, for tests); -1 if
 *                               the CPU cannot run k
 *   nn_init(&net, &rng)         glorot-uniform kernels, zero biases, BN 1/0
 *   nn_input(&net)              the input buffer, n x h x w x c
 *   nn_noise(&net)              for a net with a [noisemap]: image i's noise
 *                               level (std on the input's 0..1 scale) goes
 *                               in [i] before nn_forward; NULL for a blind
 *                               net (none)
 *   nn_output(&net)             the output, after nn_forward
 *   nn_output_grad(&net)        d loss / d output, for a loss of your own
 *   nn_forward(&net, n, train)  train: BatchNorm uses and updates batch stats
 *   nn_mse(&net, target, n)     loss; also seeds the output gradient
 *   nn_backward(&net, n)        accumulate parameter gradients
 *   nn_zero_grad(&net)
 *   nn_adam(&net, &hp)          one Adam step over every trainable parameter
 *   nn_param(&net, name)        a named tensor or NULL
 *   nn_fit_size(&net, h, w, &H, &W)   smallest H >= h, W >= w the network
 *                               maps to the same size (for padding)
 *   nn_period(&net)             the total downsampling: the network commutes
 *                               with shifts by multiples of it (for tiling)
 *   nn_reach(&net)              a bound on how far, in input pixels, an output
 *                               pixel sees (the receptive field radius)
 *   nn_free(&net)
 *   net.prof = calloc(2 * net.nl, sizeof(double))   time every layer (the
 *                               caller owns and frees the array)
 *
 * ERRORS
 *   nn_build and nn_reshape return 0 or -1 with a struct nn_error (cfg line
 *   and message). Forward, backward and Adam cannot fail: they do not
 *   allocate.
 *
 * MEMORY
 *   One arena each for parameters, gradients, Adam m and v, layer state
 *   (BN moving statistics), activations (and their gradients in training)
 *   for the batch and size given, and one scratch workspace sized to the
 *   hungriest layer. nn_free frees exactly these. Training the seed network
 *   at 300 x 300, batch 32 takes about 3 GB, mostly activations. An
 *   NN_INFER net keeps an activation only while a later layer may read it
 *   (the input and the output throughout), so its arena is a few layers'
 *   worth: the seed network at 300 x 300, batch 32, about 370 MB in all.
 *
 * LIMITS
 *   NN_MAX_LAYERS layers; kernels up to 15 x 15; stride 1 convolutions.
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "../io/cfg.h"
#include "../kernel/rng.h"

#define NN_MAX_LAYERS 200
#define NN_MAX_IN 4
#define NN_NAME_MAX 32

enum nn_mode { NN_INFER = 0, NN_TRAIN = 1 };
/* which kernels the layers run; results agree to float rounding and are
 * deterministic for a given choice and thread count */
enum nn_kernels { NN_NAIVE, NN_PORTABLE, NN_AVX2 };

struct shape {
	size_t h, w, c;
};

struct layer;           /* lib/nn/layer.h: for the kinds, nn.c and tests */

struct nn_param {
	char name[NN_NAME_MAX + 16];
	float *data, *grad;     /* grad NULL for state such as moving means */
	size_t n;
	unsigned rank;
	uint32_t dims[4];
};

struct adam_hp {
	float lr, beta1, beta2, eps;
};

struct net {
	char *cfg;              /* the cfg text, as saved in model files */
	struct layer *l;        /* l[0] is the input, l[nl - 1] the output */
	int nl;
	struct shape in;
	struct shape out;       /* the output's, per image (l[nl - 1].out) */
	size_t n;               /* batch the activation arena holds */
	enum nn_mode mode;
	int nthreads;
	enum nn_kernels kernels;
	float *params, *grads, *m, *v;
	size_t nparams;
	float *state;
	size_t nstate;
	float *cache;
	size_t ncache;
	float *keep;            /* the layers' keep, NN_INFER */
	float *acts;
	size_t nacts;
	float *ws;
	size_t nws;
	float *noise;           /* NN_MAX_BATCH levels if a [noisemap] reads them */
	struct nn_param *p;     /* every named tensor, in arena order */
	int np;
	int fuse;               /* 1 (NN_INFER): fuse layers as struct layer says;
	                         * 0 runs every layer on its own (for tests) */
	long step;              /* Adam steps taken */
	double *prof;           /* when not NULL: seconds per layer, forward in
	                         * [2i], backward in [2i + 1], accumulated */
};

int nn_build(struct net *net, const char *cfg_text, size_t h, size_t w, size_t n,
             enum nn_mode mode, struct nn_error *err);
int nn_reshape(struct net *net, size_t h, size_t w, size_t n, struct nn_error *err);
int nn_set_threads(struct net *net, int nthreads, struct nn_error *err);
int nn_set_kernels(struct net *net, enum nn_kernels k, struct nn_error *err);
void nn_init(struct net *net, struct rng *r);
float *nn_input(struct net *net);
float *nn_noise(struct net *net);
float *nn_output(struct net *net);
float *nn_output_grad(struct net *net);
void nn_forward(struct net *net, size_t n, int train);
double nn_mse(struct net *net, const float *target, size_t n);
void nn_backward(struct net *net, size_t n);
void nn_zero_grad(struct net *net);
void nn_adam(struct net *net, const struct adam_hp *hp);
struct nn_param *nn_param(struct net *net, const char *name);
int nn_fit_size(struct net *net, size_t h, size_t w, size_t *H, size_t *W);
size_t nn_period(const struct net *net);
size_t nn_reach(const struct net *net);
void nn_free(struct net *net);
#endif
