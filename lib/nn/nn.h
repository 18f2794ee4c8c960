/* nn.h: a small convolutional network library, described by a cfg(5) file.
 *
 * ABOUT
 *   Layers (conv, maxpool, upsample, batchnorm, relu, sigmoid, linear, add,
 *   concat, space_to_depth, depth_to_space), their forward and backward
 *   passes, MSE loss and Adam, with Keras semantics where the tutorial this
 *   project reproduces relies on them (padding, BatchNorm, Adam; see each
 *   layer's file). Activations are NHWC floats; images are fed on the 0..1
 *   scale. Every parameter is a named tensor ("L0.weight", or "enc1.weight"
 *   when the layer has a name), in the same layouts as Keras stores them.
 *   This is the clean reference engine: plain loops beside the optimized
 *   kernels, checked against Keras golden files and finite differences.
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
enum nn_act { ACT_LINEAR, ACT_RELU, ACT_SIGMOID };

struct shape {
	size_t h, w, c;
};

struct conv_opt {
	int filters, size, dilation, same, bias;
	int init;               /* 0 glorot_uniform, 1 he_uniform, 2 zeros */
	enum nn_act act;
	int pad_top, pad_left;  /* pixels before the first row and column */
};

struct pool_opt {
	int size, stride, same;
	int pad_top, pad_left;
};

struct bn_opt {
	float momentum, eps;
};

struct scale_opt {
	int size;               /* upsample factor, or space/depth block size */
};

struct act_opt {
	enum nn_act act;
};

struct nn_ctx;
struct layer;

struct layer_kind {
	const char *name;
	/* read this kind's keys from the cfg section */
	int (*parse)(struct layer *l, struct cfg_section *s, struct nn_error *err);
	/* from the input shapes set l->out and nw, wrank, wdims, nb, nstate,
	 * ncache; down, up and reach when they are not 1, 1 and 0 */
	int (*shape)(struct layer *l, struct nn_error *err);
	void (*init)(struct layer *l, struct rng *r);
	void (*forward)(struct layer *l, const struct nn_ctx *x);
	void (*backward)(struct layer *l, const struct nn_ctx *x);
	/* scratch floats one forward or backward call needs */
	size_t (*workspace)(const struct layer *l, const struct nn_ctx *x);
	const char *wname, *bname;      /* parameter names, NULL if none */
	const char *state_names[2];     /* state halves, each out.c long */
};

struct layer {
	const struct layer_kind *kind;  /* NULL for the input pseudo-layer */
	char name[NN_NAME_MAX];
	int line;
	int nin;
	int from[NN_MAX_IN];            /* indices into net.l; 0 is the input */
	struct layer *in[NN_MAX_IN];
	struct shape out;               /* per image; the batch belongs to the net */
	float *act, *dact;              /* n x out; dact is NULL when not needed */
	size_t nw, nb, nstate, ncache;  /* set by the kind's shape() */
	unsigned wrank;                 /* shape of w as saved: conv (kh, kw, cin, cout) */
	int down, up;                   /* grid scale: output pixel = down/up input pixels */
	int reach;                      /* how far an output pixel sees beyond the input
	                                 * pixel at its place, in input pixels */
	uint32_t wdims[4];
	float *w, *b, *dw, *db;         /* views into the net's arenas */
	float *state;
	float *cache;                   /* per-channel values backward needs */
	/* inference fusion (NN_INFER nets on the AVX2 kernels; nn_build finds
	 * it): a conv whose output only a 2 x 2, stride 2 maxpool reads pools
	 * its bands itself, and applies the batchnorm that alone reads the
	 * pool; a conv whose input is an upsample only it reads copies from
	 * the upsample's input. The layers taken in are marked absorbed and
	 * skipped; their activations are never written. */
	struct layer *pool, *bn, *upsrc;        /* on the conv, or NULL */
	int absorbed;
	/* an NN_INFER conv's weights as its kernels want them, packed once and
	 * kept while the weights stay the same bits (kept: keep is filled) */
	float *keep;
	int kept;
	/* training: this layer's sole reader zeroes its dact band by band as
	 * it adds into it (a 2 x 2, stride 2 maxpool on the optimized kernels)
	 * or stores every value of it (a conv on the AVX2 ones), so
	 * nn_backward leaves it alone */
	int zero_late;
	union {
		struct conv_opt conv;
		struct pool_opt pool;
		struct bn_opt bn;
		struct scale_opt scale;
		struct act_opt act;
	} opt;
};

/* what forward and backward get besides the layer */
struct nn_ctx {
	size_t n;               /* images in this batch */
	int train;
	float *ws;              /* scratch, net.nws floats */
	int nthreads;
	enum nn_kernels kernels;
	int fuse;               /* run the fusion nn_build found (inference) */
};

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
const char *nn_act_name(enum nn_act a);

/* the kinds, one file each; nn.c holds the table */
extern const struct layer_kind nn_conv, nn_maxpool, nn_upsample, nn_batchnorm, nn_relu,
	nn_sigmoid, nn_linear, nn_add, nn_concat, nn_space_to_depth, nn_depth_to_space;

/* floats an NN_INFER conv keeps (struct layer's keep) */
size_t nn_conv_keep_size(const struct layer *l);

/* a max pool of 2 x 2 windows, stride 2, unpadded: output row y reads
 * input rows 2y and 2y + 1 alone (its fast rows; see zero_late) */
int nn_pool_halves(const struct layer *l);

/* for tests: one conv forward through the optimized path (out) and the
 * naive seven loops (ref); ws holds the column matrix */
void nn_conv_forward_check(float *out, float *ref, const float *in, const float *w,
                           const float *b, size_t h, size_t wd, size_t c, size_t k, size_t size,
                           size_t dil, int same, float *ws);

/* shared by the kinds */
int nn_parse_act(struct cfg_section *s, enum nn_act *a, struct nn_error *err);
void nn_act_forward(float *y, size_t n, enum nn_act a);
void nn_act_backward(float *dy, const float *y, size_t n, enum nn_act a);
/* fn(arg, i0, i1) over [0, n) in chunks, over the threads (one for naive) */
void nn_parallel_range(const struct nn_ctx *x, size_t n, size_t chunk,
                       void (*fn)(void *arg, size_t i0, size_t i1), void *arg);
float nn_glorot_limit(size_t fan_in, size_t fan_out);

#endif
