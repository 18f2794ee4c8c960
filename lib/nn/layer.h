/* layer.h: inside the network library: struct layer, the kind interface,
 * and the helpers the kinds share. nn.c, the kinds (nn_*.c, one a file) and
 * the ONNX exporter (onnx.c) include it, and so do the tests and
 * bench/nnbench, which look at layers; programs include nn.h alone.
 *
 * ABOUT
 *   A layer is a small common head (its kind, inputs, output shape, views
 *   into the net's arenas) and a union of its kind's options. A kind is a
 *   table of functions (struct layer_kind, written with named fields); nn.c
 *   finds it by name in its list of kinds and calls through it, never
 *   asking which kind a layer is. A new kind is a file with its table and
 *   one entry in that list (README.md's checklist).
 *
 * USAGE (for the kinds)
 *   nn_parse_act(s, &a, err)     the "activation" key: linear, relu, sigmoid
 *   nn_act_forward(y, n, a)      y = f(y) in place
 *   nn_act_backward(dy, y, n, a) dy *= f'(x), from the output y
 *   nn_act_name(a)
 *   nn_parallel_range(x, n, chunk, fn, arg)  fn(arg, i0, i1) over [0, n)
 *   nn_glorot_limit(fan_in, fan_out)         Keras' GlorotUniform limit
 *   nn_sole_reader(net, l)       the one layer that reads l, or NULL
 *   nn_pool_halves(l)            l is a 2 x 2, stride 2 unpadded max pool
 *   nn_bn_fold(scale, gamma, var, c, eps)    gamma / sqrt(var + eps)
 */
#ifndef NN_LAYER_H
#define NN_LAYER_H

#include "nn.h"

enum nn_act { ACT_LINEAR, ACT_RELU, ACT_SIGMOID };

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
	/* the questions below may be NULL, meaning 0 or nothing */
	/* floats an NN_INFER layer keeps from call to call (l->keep) */
	size_t (*keep_size)(const struct layer *l);
	/* NN_INFER: take in the neighbours this layer can run itself
	 * (struct layer's pool, bn and upsrc), marking them absorbed */
	void (*fuse)(struct layer *l, const struct net *net);
	/* 1 when this layer, as the sole reader of its input, writes every
	 * value of the input's gradient itself on kernels k (zero_late) */
	int (*sets_dx)(const struct layer *l, enum nn_kernels k);
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
	const float *noise;     /* n noise levels ([noisemap]), or NULL */
};

/* the kinds, one file each; nn.c holds the list */
extern const struct layer_kind nn_conv, nn_maxpool, nn_upsample, nn_batchnorm, nn_relu,
	nn_sigmoid, nn_linear, nn_add, nn_concat, nn_space_to_depth, nn_depth_to_space,
	nn_noisemap;

/* shared by the kinds (layer.c) */
const char *nn_act_name(enum nn_act a);
int nn_parse_act(struct cfg_section *s, enum nn_act *a, struct nn_error *err);
void nn_act_forward(float *y, size_t n, enum nn_act a);
void nn_act_backward(float *dy, const float *y, size_t n, enum nn_act a);
/* fn(arg, i0, i1) over [0, n) in chunks, over the threads (one for naive) */
void nn_parallel_range(const struct nn_ctx *x, size_t n, size_t chunk,
                       void (*fn)(void *arg, size_t i0, size_t i1), void *arg);
float nn_glorot_limit(size_t fan_in, size_t fan_out);
/* the one layer that reads l, or NULL if none or several (the output
 * counts as a reader) */
struct layer *nn_sole_reader(const struct net *net, const struct layer *l);

/* a max pool of 2 x 2 windows, stride 2, unpadded: output row y reads
 * input rows 2y and 2y + 1 alone (its fast rows; see zero_late) */
int nn_pool_halves(const struct layer *l);

/* BatchNorm's inference scale, scale[k] = gamma[k] / sqrt(var[k] + eps),
 * for batchnorm's own passes and the conv that applies one it absorbed */
void nn_bn_fold(float *scale, const float *gamma, const float *var, size_t c, float eps);

/* for tests: one conv forward through the optimized path (out) and the
 * naive seven loops (ref); ws holds the column matrix */
void nn_conv_forward_check(float *out, float *ref, const float *in, const float *w,
                           const float *b, size_t h, size_t wd, size_t c, size_t k, size_t size,
                           size_t dil, int same, float *ws);

#endif
