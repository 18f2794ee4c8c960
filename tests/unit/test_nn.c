/* test_nn.c: the network library (lib/nn/nn*.c): cfg errors, shapes, and a
 * central-difference gradient check of every layer kind and of the whole
 * seed network.
 *
 * The engine computes in float, so the check cannot use double throughout
 * as a double engine could: it takes a random linear functional of the
 * output (L = sum r_i y_i, accumulated in double) and a step of 1e-2 on
 * values of order 1, where float rounding costs about 1e-5 relative, and
 * asks for agreement within 1e-2 relative (floor 5e-3 absolute, the noise
 * measured where the true gradient is 0, as for a bias before BatchNorm). Shapes are
 * small and odd (5 x 7, 3 channels) so padding off-by-ones show. */
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../t.h"
#include "../../lib/kernel/tensor.h"
#include "../../lib/nn/layer.h"

#define EPS 1e-3

static double
functional(struct net *net, const float *r, size_t n)
{
	size_t i;
	double s = 0;

	for (i = 0; i < n; i++)
		s += (double)r[i] * nn_output(net)[i];
	return s;
}

/* perturb p[i], return (L(p + eps) - L(p - eps)) / 2 eps */
static double
numeric(struct net *net, float *p, const float *x, const float *r, size_t nin, size_t nout,
        size_t batch, double eps)
{
	float keep = *p;
	double lp, lm;

	*p = keep + (float)eps;
	memcpy(nn_input(net), x, nin * sizeof(float));
	nn_forward(net, batch, 1);
	lp = functional(net, r, nout);
	*p = keep - (float)eps;
	memcpy(nn_input(net), x, nin * sizeof(float));
	nn_forward(net, batch, 1);
	lm = functional(net, r, nout);
	*p = keep;
	return (lp - lm) / (2 * eps);
}

static int
close_enough(double a, double b)
{
	return fabs(a - b) <= 1e-2 * fmax(fabs(a), fabs(b)) + 5e-3;
}

/* Build cfg at h x w, batch n; compare analytic gradients of every
 * parameter (up to 25 entries each) and of the first layer's input with
 * central differences. The cfg's first layer must be [linear], so the
 * input of the layer under test has a gradient buffer. */
static void
gradcheck_nudged(const char *what, const char *cfg, size_t h, size_t w, size_t batch,
                 double nudge, double eps)
{
	struct net net;
	struct nn_error err;
	struct rng rng;
	float *x, *r, *g;
	size_t nin, nout, i, k, bad = 0, checked = 0;
	int pi;

	if (nn_build(&net, cfg, h, w, batch, NN_TRAIN, &err) != 0) {
		CHECK(0, "%s: build failed: line %d: %s", what, err.line, err.msg);
		return;
	}
	/* the threaded paths, with more work items than threads */
	CHECK(nn_set_threads(&net, 2, &err) == 0, "%s", err.msg);
	rng_seed(&rng, 1234);
	nn_init(&net, &rng);
	/* make biases, gammas and betas non-trivial */
	for (i = 0; i < net.nparams; i++)
		net.params[i] += (float)(nudge * (rng_uniform(&rng) - 0.5));
	nin = batch * h * w * net.in.c;
	nout = batch * net.l[net.nl - 1].out.h * net.l[net.nl - 1].out.w * net.l[net.nl - 1].out.c;
	x = malloc(nin * sizeof *x);
	r = malloc(nout * sizeof *r);
	g = malloc(net.nparams * sizeof *g);
	for (i = 0; i < nin; i++)
		x[i] = (float)(2 * rng_uniform(&rng) - 1);
	for (i = 0; i < nout; i++)
		r[i] = (float)(2 * rng_uniform(&rng) - 1);
	/* a level of its own for each image */
	for (i = 0; nn_noise(&net) && i < batch; i++)
		nn_noise(&net)[i] = 0.1f * (float)(i + 1);

	memcpy(nn_input(&net), x, nin * sizeof(float));
	nn_forward(&net, batch, 1);
	memcpy(nn_output_grad(&net), r, nout * sizeof(float));
	nn_zero_grad(&net);
	nn_backward(&net, batch);
	memcpy(g, net.grads, net.nparams * sizeof *g);

	for (pi = 0; pi < net.np; pi++) {
		struct nn_param *p = &net.p[pi];
		if (!p->grad)
			continue;
		for (k = 0; k < 25 && k < p->n; k++) {
			size_t j = p->n <= 25 ? k : (size_t)rng_below(&rng, p->n);
			double num = numeric(&net, &p->data[j], x, r, nin, nout, batch, eps);
			double ana = g[(size_t)(p->grad - net.grads) + j];
			checked++;
			if (!close_enough(num, ana) && bad++ < 5)
				printf("#   %s: %s[%zu]: numeric %.6g analytic %.6g\n", what, p->name, j,
				       num, ana);
		}
	}
	/* the gradient that reached layer 1's output is d L / d input */
	if (net.l[1].dact && net.l[1].kind == &nn_linear) {
		float *dx = malloc(nin * sizeof *dx);
		memcpy(dx, net.l[1].dact, nin * sizeof *dx);
		for (k = 0; k < 25; k++) {
			size_t j = (size_t)rng_below(&rng, nin);
			float keep = x[j];
			double lp, lm, num;
			x[j] = keep + (float)eps;
			memcpy(nn_input(&net), x, nin * sizeof(float));
			nn_forward(&net, batch, 1);
			lp = functional(&net, r, nout);
			x[j] = keep - (float)eps;
			memcpy(nn_input(&net), x, nin * sizeof(float));
			nn_forward(&net, batch, 1);
			lm = functional(&net, r, nout);
			x[j] = keep;
			num = (lp - lm) / (2 * eps);
			checked++;
			if (!close_enough(num, dx[j]) && bad++ < 5)
				printf("#   %s: input[%zu]: numeric %.6g analytic %.6g\n", what, j, num,
				       (double)dx[j]);
		}
		free(dx);
	}
	CHECK(bad == 0, "%s: %zu of %zu gradients differ", what, bad, checked);
	printf("#   %s: %zu gradients checked\n", what, checked);
	free(x);
	free(r);
	free(g);
	nn_free(&net);
}

/* every parameter nudged by up to +-0.1, enough to move biases, gammas and
 * betas off their initial values in a small network */
static void
gradcheck(const char *what, const char *cfg, size_t h, size_t w, size_t batch)
{
	gradcheck_nudged(what, cfg, h, w, batch, 0.2, EPS);
}

#define PRE "[net]\nchannels = 3\n[linear]\n"

static void test_gradcheck_conv_same(void)
{ gradcheck("conv 3x3 same", PRE "[conv]\nfilters = 4\nsize = 3\npad = same\n", 5, 7, 2); }
static void test_gradcheck_conv_valid(void)
{ gradcheck("conv 3x3 valid", PRE "[conv]\nfilters = 4\nsize = 3\npad = valid\n", 5, 7, 2); }
static void test_gradcheck_conv_dilated(void)
{ gradcheck("conv 3x3 same dilation 2", PRE "[conv]\nfilters = 4\nsize = 3\npad = same\ndilation = 2\n", 5, 7, 2); }
static void test_gradcheck_conv_5x5_relu(void)
{ gradcheck("conv 5x5 same relu", PRE "[conv]\nfilters = 2\nsize = 5\npad = same\nactivation = relu\n", 5, 7, 2); }
static void test_gradcheck_conv_even_kernel(void)
{ gradcheck("conv 2x2 same", PRE "[conv]\nfilters = 3\nsize = 2\npad = same\n", 5, 7, 2); }
static void test_gradcheck_conv_1x1_sigmoid(void)
{ gradcheck("conv 1x1 sigmoid", PRE "[conv]\nfilters = 5\nsize = 1\nactivation = sigmoid\n", 5, 7, 2); }
static void test_gradcheck_conv_no_bias(void)
{ gradcheck("conv no bias", PRE "[conv]\nfilters = 2\nsize = 3\npad = same\nbias = 0\n", 5, 7, 2); }
static void test_gradcheck_maxpool_same(void)
{ gradcheck("maxpool 2 same", PRE "[maxpool]\nsize = 2\npad = same\n", 5, 7, 2); }
static void test_gradcheck_maxpool_valid(void)
{ gradcheck("maxpool 2 valid", PRE "[maxpool]\nsize = 2\n", 5, 7, 2); }
static void test_gradcheck_maxpool_3_stride_2(void)
{ gradcheck("maxpool 3/2 same", PRE "[maxpool]\nsize = 3\nstride = 2\npad = same\n", 5, 7, 2); }
static void test_gradcheck_upsample(void)
{ gradcheck("upsample 2", PRE "[upsample]\nsize = 2\n", 5, 7, 2); }
static void test_gradcheck_batchnorm(void)
{ gradcheck("batchnorm", PRE "[batchnorm]\n", 5, 7, 2); }
static void test_gradcheck_relu(void)
{ gradcheck("relu", PRE "[relu]\n", 5, 7, 2); }
static void test_gradcheck_sigmoid(void)
{ gradcheck("sigmoid", PRE "[sigmoid]\n", 5, 7, 2); }
static void test_gradcheck_add(void)
{ gradcheck("add", PRE "[conv]\nfilters = 3\nsize = 3\npad = same\n[add]\nfrom = -1, 0\n", 5, 7, 2); }
static void test_gradcheck_concat(void)
{ gradcheck("concat", PRE "[conv]\nfilters = 2\nsize = 3\npad = same\n[concat]\nfrom = 0, -1\n[conv]\nfilters = 2\nsize = 1\n", 5, 7, 2); }
static void test_gradcheck_space_to_depth(void)
{ gradcheck("space_to_depth", PRE "[space_to_depth]\nsize = 2\n[conv]\nfilters = 2\nsize = 3\npad = same\n", 6, 8, 2); }
static void test_gradcheck_noisemap(void)
{ gradcheck("noisemap", PRE "[noisemap]\n[concat]\nfrom = 0, -1\n[conv]\nfilters = 3\nsize = 3\npad = same\n[add]\nfrom = -1, 0\n", 5, 7, 2); }
static void test_gradcheck_depth_to_space(void)
{ gradcheck("depth_to_space", PRE "[conv]\nfilters = 8\nsize = 1\n[depth_to_space]\nsize = 2\n", 5, 7, 2); }

/* the shipped cfg at path with a [linear] in front of its first layer,
 * whose section starts with first, so that d input is checked too; NULL
 * when it cannot be read. The buffer is static: one network at a time. */
static char *
linear_in_front(const char *path, const char *first)
{
	static char buf[1 << 16];
	const char *cfg = t_read_text(path);

	CHECK(cfg != NULL && strstr(cfg, first), "%s not readable", path);
	if (!cfg || !strstr(cfg, first))
		return NULL;
	snprintf(buf, sizeof buf, "[net]\nchannels = 3\n[linear]\n%s", strstr(cfg, first));
	return buf;
}

static void
test_gradcheck_seed_network(void)
{
	const char *cfg = linear_in_front("models/seed.cfg", "[conv]");

	/* 4 x 4 is the smallest size the network maps to itself; at 12 x 20 the
	 * thousands of ReLU and max-pool kinks, amplified by BatchNorm over few
	 * samples, make single-entry float differences unreliable there, so the
	 * larger size is checked against Keras' gradients (test_golden) instead */
	if (cfg)
		gradcheck("seed network 4x4", cfg, 4, 4, 2);
}

/* a whole network with every ReLU made linear and a [linear] in front that
 * the residual [add] takes instead of the input, so that what reaches it is
 * all of d input. With ReLU, a 1e-3 step in an early weight flips some of
 * the thousands of units downstream, whose kinks spoil the central
 * difference (71 of 462 entries off by up to 40% on the U-Net); without
 * them the network is smooth and every route a gradient takes (skip,
 * concat, residual) is checked to float rounding. The weights stay near
 * their glorot start (nudge 0.01): nudged by 0.1 every layer of this width
 * grows the signal threefold, and float sums of a 10^4 loss drown the
 * central differences. Linear in every weight and input, the functional's
 * central difference is exact at any step: a step of 0.25 lifts it far
 * above the forward pass's rounding (Winograd F(4x4)'s is the largest) */
static void
gradcheck_linearized(const char *what, const char *path, const char *first, size_t h, size_t w)
{
	char *buf = linear_in_front(path, first), *p;

	if (!buf)
		return;
	if ((p = strstr(buf, "from = -1, input")) != NULL)
		memcpy(p + 11, "L0   ", 5);
	for (p = buf; (p = strstr(p, "activation = relu")) != NULL; p += 19) {
		memmove(p + 19, p + 17, strlen(p + 17) + 1);
		memcpy(p, "activation = linear", 19);
	}
	gradcheck_nudged(what, buf, h, w, 2, 0.01, 0.25);
}

/* the shipped colour denoiser whole, and the U-Net fixture at the smallest
 * size its two space_to_depth steps allow: skips, concat, residual and all */
static void
test_gradcheck_color_network(void)
{
	gradcheck_linearized("colour network 6x5, linear", "models/denoise-color-fast.cfg", "[conv]", 6, 5);
	gradcheck_linearized("U-Net 8x8, linear", "tests/data/unet.cfg", "[space_to_depth]", 8, 8);
}

static void
test_seed_has_58067_numbers(void)
{
	struct net net;
	struct nn_error err;
	const char *cfg = t_read_text("models/seed.cfg");

	CHECK(nn_build(&net, cfg, 300, 300, 1, NN_INFER, &err) == 0, "%d: %s", err.line, err.msg);
	CHECK(net.nparams == 57875, "trainable %zu", net.nparams);
	CHECK(net.nstate == 192, "state %zu", net.nstate);
	nn_free(&net);
}

static void
test_seed_shapes_at_300(void)
{
	static const size_t want[] = { 300, 300, 150, 150, 150, 75, 75, 75, 38,
	                               38, 76, 76, 152, 150, 300, 300 };
	struct net net;
	struct nn_error err;
	int i;

	CHECK(nn_build(&net, t_read_text("models/seed.cfg"), 300, 300, 1, NN_INFER, &err) == 0,
	      "%s", err.msg);
	CHECK(net.nl == 16, "%d layers", net.nl);
	for (i = 0; i < net.nl && i < 16; i++)
		CHECK(net.l[i].out.h == want[i] && net.l[i].out.w == want[i], "layer %d: %zux%zu", i,
		      net.l[i].out.h, net.l[i].out.w);
	CHECK(net.l[15].out.c == 3, "output channels %zu", net.l[15].out.c);
	nn_free(&net);
}

static void
test_seed_fit_size_pads_to_4_mod_8(void)
{
	struct net net;
	struct nn_error err;
	size_t H, W;

	nn_build(&net, t_read_text("models/seed.cfg"), 300, 300, 1, NN_INFER, &err);
	CHECK(nn_fit_size(&net, 300, 301, &H, &W) == 0 && H == 300 && W == 308, "%zu %zu", H, W);
	CHECK(nn_fit_size(&net, 1, 5, &H, &W) == 0 && H == 4 && W == 12, "%zu %zu", H, W);
	CHECK(net.l[15].out.h == 300, "fit_size disturbed the shapes");
	CHECK(nn_period(&net) == 8, "period %zu", nn_period(&net));
	CHECK(nn_reach(&net) >= 40 && nn_reach(&net) < 200, "reach %zu", nn_reach(&net));
	nn_free(&net);
}

static void
expect_error(const char *cfg, int line, const char *msg)
{
	struct net net;
	struct nn_error err;

	CHECK(nn_build(&net, cfg, 16, 16, 1, NN_INFER, &err) == -1, "accepted: %s", cfg);
	CHECK(err.line == line, "line %d, want %d (%s)", err.line, line, err.msg);
	CHECK(strstr(err.msg, msg) != NULL, "message '%s' lacks '%s'", err.msg, msg);
}

/* [noisemap]: image i's level everywhere, one channel; none on a blind net */
static void
test_noisemap_spreads_each_level(void)
{
	struct net net;
	struct nn_error err;
	size_t i, k;
	int ok = 1;

	CHECK(nn_build(&net, "[net]\nchannels = 3\n[noisemap]\n", 5, 7, 3, NN_INFER, &err) == 0,
	      "%s", err.msg);
	CHECK(net.out.h == 5 && net.out.w == 7 && net.out.c == 1, "shape %zux%zux%zu", net.out.h,
	      net.out.w, net.out.c);
	CHECK(nn_noise(&net) != NULL, "no levels to set");
	for (i = 0; i < 3; i++)
		nn_noise(&net)[i] = 0.05f * (float)(i + 1);
	nn_forward(&net, 3, 0);
	for (i = 0; i < 3; i++)
		for (k = 0; k < 35; k++)
			ok &= nn_output(&net)[i * 35 + k] == 0.05f * (float)(i + 1);
	CHECK(ok, "a map differs from its level");
	nn_free(&net);
	nn_build(&net, t_read_text("models/denoise-color-fast.cfg"), 16, 16, 1, NN_INFER, &err);
	CHECK(nn_noise(&net) == NULL, "a blind net has levels");
	nn_free(&net);
	expect_error("[net]\n[conv]\nfilters = 3\n[noisemap]\nfrom = input, -1\n", 4, "takes one input");
	expect_error("[net]\n[noisemap]\nsize = 2\n", 3, "size");
}

/* conv init: glorot by default, he = U(+-sqrt(6 / fan_in)), zero = 0 */
static void
test_conv_init_kinds(void)
{
	static const char *const init[] = { "glorot", "he", "zero" };
	char cfg[200];
	struct net net;
	struct nn_error err;
	struct rng rng;
	size_t i;
	int k;

	for (k = 0; k < 3; k++) {
		/* fan_in 3 x 3 x 16 = 144, fan_out 3 x 3 x 32 = 288 */
		snprintf(cfg, sizeof cfg, "[net]\nchannels = 16\n[conv]\nfilters = 32\ninit = %s\n",
		         init[k]);
		if (nn_build(&net, cfg, 8, 8, 1, NN_TRAIN, &err) != 0) {
			CHECK(0, "%s: %s", init[k], err.msg);
			continue;
		}
		rng_seed(&rng, 5);
		nn_init(&net, &rng);
		{
			const struct layer *l = &net.l[1];
			double lim = k == 0 ? sqrt(6.0 / 432) : k == 1 ? sqrt(6.0 / 144) : 0, m = 0;
			for (i = 0; i < l->nw; i++)
				m = fabs(l->w[i]) > m ? fabs(l->w[i]) : m;
			/* 4,608 draws come within 1% of the limit, never past it */
			CHECK(m <= lim && m >= 0.99 * lim, "%s: max |w| %g, limit %g", init[k], m, lim);
		}
		nn_free(&net);
	}
}

static void
test_cfg_errors_carry_line_and_reason(void)
{
	expect_error("[net]\n[bogus]\n", 2, "unknown layer kind [bogus]");
	expect_error("[net]\n[conv]\nfilters = 4\nsizes = 3\n", 4, "unknown key 'sizes'");
	expect_error("[net]\n[conv]\nsize = 3\n", 2, "needs 'filters'");
	expect_error("[net]\n[conv]\nfilters = 4x\n", 3, "not an integer");
	expect_error("[net]\n[conv]\nfilters = 0\n", 3, "must be in");
	expect_error("[net]\n[conv]\nfilters = 4\npad = full\n", 2, "expected same or valid");
	expect_error("[net]\n[conv]\nfilters = 4\ninit = orthogonal\n", 2, "expected glorot, he or zero");
	expect_error("[net]\n[conv]\nfilters = 4\nactivation = tanh\n", 4, "activation");
	expect_error("[conv]\nfilters = 4\n", 1, "must start with [net]");
	expect_error("[net]\n", 1, "no layers");
	expect_error("[net]\n[add]\nfrom = -1, nope\n", 3, "no earlier layer named 'nope'");
	expect_error("[net]\n[add]\nfrom = -1\n", 2, "two or more");
	expect_error("[net]\nchannels = 3\n[conv]\nfilters = 2\nsize = 3\n[add]\nfrom = -1, input\n",
	             6, "differ");
	expect_error("[net]\nfilters = 3\n", 2, "unknown key 'filters' in [net]");
	expect_error("[net]\n[conv]\nfilters = 4\nfilters = 5\n", 4, "duplicate key");
	expect_error("[net]\n[conv]\nfilters 4\n", 3, "expected 'key = value'");
	expect_error("[net]\n[conv]\nfilters = 4\nsize = 9\ndilation = 2\npad = valid\n", 2, "smaller than the kernel");
}

/* the two bounds on activations: all layers together within 4,096 floats an
 * input pixel (tests/bad holds the crafted chains), and each layer within
 * NN_MAX_SIDE a side, which only an input that large can reach */
static void
test_activation_bounds(void)
{
	struct net net;
	struct nn_error err;

	expect_error("[net]\nchannels = 3\n[conv]\nfilters = 2048\nsize = 1\n"
	             "[conv]\nfilters = 2048\nsize = 1\n", 6, "over 4096 numbers a pixel");
	CHECK(nn_build(&net, "[net]\nchannels = 3\n[conv]\nfilters = 2000\nsize = 1\n"
	               "[conv]\nfilters = 2000\nsize = 1\n", 2, 2, 1, NN_INFER, &err) == 0,
	      "%s", err.msg);
	nn_free(&net);
	CHECK(nn_build(&net, "[net]\nchannels = 1\n[upsample]\nsize = 2\n", (size_t)1 << 20, 1, 1,
	               NN_INFER, &err) == -1 && strstr(err.msg, "is too large"), "%s", err.msg);
}

/* numbers are checked in the width they were parsed in: a 'from' that
 * wraps to the layer itself when narrowed to int, a momentum that
 * underflows to 0 */
static void
test_cfg_numbers_are_checked_before_narrowing(void)
{
	static const char *const from[] = { "-4294967296", "4294967295", "2147483648",
	                                    "-2147483649", "99999999999999999999", "1" };
	char cfg[256];
	long v = 7;
	double d = 7;
	size_t i;

	for (i = 0; i < sizeof from / sizeof from[0]; i++) {
		snprintf(cfg, sizeof cfg, "[net]\n[conv]\nfilters = 3\npad = same\n[concat]\n"
		         "from = -1, %s\n", from[i]);
		expect_error(cfg, 6, "is not an earlier layer");
	}
	CHECK(cfg_parse_int("4294967296", -10, 10, &v) == CFG_ERANGE && v == 7, "%ld", v);
	CHECK(cfg_parse_int("-9223372036854775809", LONG_MIN, 0, &v) == CFG_ERANGE, "ERANGE");
	CHECK(cfg_parse_int("12a", 0, 100, &v) == CFG_ENOTNUM, "12a");
	CHECK(cfg_parse_int("-3", -3, 3, &v) == 0 && v == -3, "%ld", v);
	CHECK(cfg_parse_num("1e-400", 0, 1, &d) == CFG_ERANGE && d == 7, "underflow: %g", d);
	CHECK(cfg_parse_num("1e400", 0, 1e300, &d) == CFG_ENOTNUM, "overflow");
	expect_error("[net]\n[batchnorm]\nmomentum = 1e-400\n", 3, "momentum: must be in");
}

static void
conv_case(size_t h, size_t w, size_t c, size_t k, size_t size, size_t dil, int same)
{
	size_t span = (size - 1) * dil, oh = same ? h : h - span, ow = same ? w : w - span, i;
	size_t nin = h * w * c, nw = size * size * c * k, nout = oh * ow * k;
	float *in = malloc(nin * sizeof *in), *wt = malloc(nw * sizeof *wt), *b = malloc(k * sizeof *b);
	float *out = malloc(nout * sizeof *out), *ref = malloc(nout * sizeof *ref);
	float *ws = malloc(oh * ow * size * size * c * sizeof *ws);
	struct rng r;
	char what[64];

	rng_seed(&r, h * 131 + c);
	for (i = 0; i < nin; i++)
		in[i] = (float)(rng_uniform(&r) - 0.5);
	for (i = 0; i < nw; i++)
		wt[i] = (float)(rng_uniform(&r) - 0.5);
	for (i = 0; i < k; i++)
		b[i] = (float)(rng_uniform(&r) - 0.5);
	nn_conv_forward_check(out, ref, in, wt, b, h, w, c, k, size, dil, same, ws);
	snprintf(what, sizeof what, "conv %zux%zux%zu -> %zu, %zux%zu dil %zu %s", h, w, c, k, size,
	         size, dil, same ? "same" : "valid");
	t_check_tensor(what, out, ref, nout, 1e-5);
	free(in);
	free(wt);
	free(b);
	free(out);
	free(ref);
	free(ws);
}

/* the thin shapes of the seed network's first and last layers, and others */
static void
test_conv_matches_naive(void)
{
	conv_case(9, 11, 3, 64, 3, 1, 1);
	conv_case(9, 11, 16, 3, 3, 1, 1);
	conv_case(7, 13, 8, 8, 3, 2, 1);
	conv_case(8, 8, 5, 7, 3, 1, 0);
	conv_case(6, 5, 4, 6, 1, 1, 1);
	conv_case(10, 9, 3, 16, 5, 1, 1);
	conv_case(6, 9, 2, 3, 2, 1, 1);
}

static int
have_avx2(const char *what)
{
	if (!t_cpu_avx2())
		printf("#   %s: no AVX2 here, skipped\n", what);
	return t_cpu_avx2();
}

/* the reference network of the *_agrees tests: cfg on the naive kernels,
 * initialised from seed and nudged off the initialiser's patterns (BatchNorm
 * gammas off 1, biases off 0); rng is left ready for the inputs */
static int
reference(struct net *ref, const char *what, const char *cfg, size_t h, size_t w, size_t batch,
          enum nn_mode mode, struct rng *rng, uint64_t seed)
{
	struct nn_error err;
	size_t i;

	if (nn_build(ref, cfg, h, w, batch, mode, &err) != 0) {
		CHECK(0, "%s: build failed: line %d: %s", what, err.line, err.msg);
		return -1;
	}
	nn_set_kernels(ref, NN_NAIVE, &err);
	rng_seed(rng, seed);
	nn_init(ref, rng);
	for (i = 0; i < ref->nparams; i++)
		ref->params[i] += (float)(0.2 * (rng_uniform(rng) - 0.5));
	return 0;
}

/* Run cfg's forward (training mode) and backward through the naive
 * kernels and through kernels k with 1 and 2 threads, on the same inputs,
 * weights and output gradient; compare the output, every parameter
 * gradient, the BatchNorm statistics and the input gradient ([linear]
 * first, as for gradcheck). The optimized kernels sum in other orders, so
 * the tolerance is float rounding over the longest sums involved. */
static void
paths_agree(const char *what, const char *cfg, size_t h, size_t w, size_t batch,
            enum nn_kernels k)
{
	struct net ref, opt;
	struct nn_error err;
	struct rng rng;
	size_t nin, nout, i;
	float *r, *state;
	char name[160];
	int t, pi;

	if ((k == NN_AVX2 && !have_avx2(what)) ||
	    reference(&ref, what, cfg, h, w, batch, NN_TRAIN, &rng, 99) != 0)
		return;
	nin = batch * h * w * ref.in.c;
	nout = batch * ref.l[ref.nl - 1].out.h * ref.l[ref.nl - 1].out.w * ref.l[ref.nl - 1].out.c;
	r = malloc(nout * sizeof *r);
	state = malloc((ref.nstate + 1) * sizeof *state);
	memcpy(state, ref.state, ref.nstate * sizeof *state);
	for (i = 0; i < nin; i++)
		nn_input(&ref)[i] = (float)(2 * rng_uniform(&rng) - 1);
	for (i = 0; i < nout; i++)
		r[i] = (float)(2 * rng_uniform(&rng) - 1);
	nn_forward(&ref, batch, 1);
	memcpy(nn_output_grad(&ref), r, nout * sizeof *r);
	nn_zero_grad(&ref);
	nn_backward(&ref, batch);
	for (t = 1; t <= 2; t++) {
		nn_build(&opt, cfg, h, w, batch, NN_TRAIN, &err);
		CHECK(nn_set_kernels(&opt, k, &err) == 0 && nn_set_threads(&opt, t, &err) == 0, "%s",
		      err.msg);
		memcpy(opt.params, ref.params, ref.nparams * sizeof(float));
		memcpy(opt.state, state, ref.nstate * sizeof(float));
		memcpy(nn_input(&opt), nn_input(&ref), nin * sizeof(float));
		nn_forward(&opt, batch, 1);
		snprintf(name, sizeof name, "%s, kernels %d, %d threads: output", what, (int)k, t);
		t_check_tensor(name, nn_output(&opt), nn_output(&ref), nout, 2e-5);
		memcpy(nn_output_grad(&opt), r, nout * sizeof *r);
		nn_zero_grad(&opt);
		nn_backward(&opt, batch);
		for (pi = 0; pi < ref.np; pi++) {
			struct nn_param *a = &opt.p[pi], *b = &ref.p[pi];
			snprintf(name, sizeof name, "%s, kernels %d, %d threads: %s", what, (int)k, t,
			         b->name);
			t_check_scaled(name, a->grad ? a->grad : a->data, b->grad ? b->grad : b->data, b->n,
			               1e-5, 1e-3);
		}
		if (ref.l[1].dact) {
			snprintf(name, sizeof name, "%s, kernels %d, %d threads: d input", what, (int)k, t);
			t_check_tensor(name, opt.l[1].dact, ref.l[1].dact, nin, 2e-5);
		}
		nn_free(&opt);
	}
	free(r);
	free(state);
	nn_free(&ref);
}

static void
paths_agree_all(const char *what, const char *cfg, size_t h, size_t w, size_t batch)
{
	paths_agree(what, cfg, h, w, batch, NN_PORTABLE);
	paths_agree(what, cfg, h, w, batch, NN_AVX2);
}

#define CONV(f, rest) PRE "[conv]\nfilters = " #f "\n" rest

/* odd sizes, thin inputs and outputs, valid and same, even kernels,
 * dilation, each activation, channel counts around the 8 and 16 of the
 * vector kernels */
static void
test_conv_paths_agree(void)
{
	paths_agree_all("conv 3->64 same relu", CONV(64, "size = 3\npad = same\nactivation = relu\n"), 5, 7, 2);
	paths_agree_all("conv 3->3 same sigmoid", CONV(3, "size = 3\npad = same\nactivation = sigmoid\n"), 5, 7, 2);
	paths_agree_all("conv 3->17 valid", CONV(17, "size = 3\npad = valid\n"), 6, 9, 3);
	paths_agree_all("conv 3->5 dilation 2", CONV(5, "size = 3\npad = same\ndilation = 2\n"), 9, 7, 2);
	paths_agree_all("conv 3->8 2x2 same", CONV(8, "size = 2\npad = same\n"), 5, 7, 2);
	paths_agree_all("conv 3->12 4x4 valid", CONV(12, "size = 4\npad = valid\n"), 7, 8, 1);
	paths_agree_all("conv 3->2 5x5 same", CONV(2, "size = 5\npad = same\n"), 5, 7, 2);
	paths_agree_all("conv 3->1 1x1", CONV(1, "size = 1\n"), 5, 7, 2);
	paths_agree_all("conv 3->33 no bias", CONV(33, "size = 3\npad = same\nbias = 0\n"), 5, 7, 2);
	paths_agree_all("conv 16->3 sigmoid", PRE "[conv]\nfilters = 16\nsize = 3\npad = same\n"
	                "[conv]\nfilters = 3\nsize = 3\npad = same\nactivation = sigmoid\n", 8, 5, 2);
	paths_agree_all("conv 9->4 valid relu", PRE "[conv]\nfilters = 9\nsize = 1\n"
	                "[conv]\nfilters = 4\nsize = 3\npad = valid\nactivation = relu\n", 7, 6, 2);
	paths_agree_all("conv 32->16 same relu", PRE "[conv]\nfilters = 32\nsize = 1\n"
	                "[conv]\nfilters = 16\nsize = 3\npad = same\nactivation = relu\n", 5, 7, 2);
	paths_agree_all("conv 64->24 dilation 3", PRE "[conv]\nfilters = 64\nsize = 1\n"
	                "[conv]\nfilters = 24\nsize = 3\npad = same\ndilation = 3\n", 11, 7, 1);
	paths_agree_all("conv tall 40x3", CONV(16, "size = 3\npad = same\nactivation = relu\n"), 40, 3, 2);
}

/* the Winograd path: 3x3, no dilation, input channels a multiple of 8;
 * odd sizes leave partial 4x4 tiles at the far edges, a tall image makes
 * several bands, and output channels off the 16 of the product kernel */
static void
test_conv_winograd_paths_agree(void)
{
	paths_agree_all("winograd 8->8 same 5x7", PRE "[conv]\nfilters = 8\nsize = 1\n"
	                "[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n", 5, 7, 2);
	paths_agree_all("winograd 16->12 valid 9x6", PRE "[conv]\nfilters = 16\nsize = 1\n"
	                "[conv]\nfilters = 12\nsize = 3\npad = valid\n", 9, 6, 2);
	paths_agree_all("winograd 24->40 same 3x3", PRE "[conv]\nfilters = 24\nsize = 1\n"
	                "[conv]\nfilters = 40\nsize = 3\npad = same\nactivation = sigmoid\n", 3, 3, 3);
	paths_agree_all("winograd 64->32 same 61x11", PRE "[conv]\nfilters = 64\nsize = 1\n"
	                "[conv]\nfilters = 32\nsize = 3\npad = same\nactivation = relu\n", 61, 11, 1);
	paths_agree_all("winograd 8->5 valid 4x4", PRE "[conv]\nfilters = 8\nsize = 1\n"
	                "[conv]\nfilters = 5\nsize = 3\npad = valid\n", 4, 4, 2);
}

/* inference (forward only, moving statistics) through kernels k against the
 * naive ones, on sizes and networks of its own (the AVX2 path runs its 3 x 3
 * convolutions through Winograd F(4x4, 3x3), which rounds coarser than a
 * direct sum) */
static void
infer_agrees(const char *what, const char *cfg, size_t h, size_t w, size_t batch, double tol)
{
	struct net ref, opt;
	struct nn_error err;
	struct rng rng;
	size_t nin, nout, i;
	char name[160];
	double worst;
	int t;

	if (!have_avx2(what) || reference(&ref, what, cfg, h, w, batch, NN_INFER, &rng, 7) != 0)
		return;
	nin = batch * h * w * ref.in.c;
	nout = batch * ref.l[ref.nl - 1].out.h * ref.l[ref.nl - 1].out.w * ref.l[ref.nl - 1].out.c;
	for (i = 0; i < nin; i++)
		nn_input(&ref)[i] = (float)rng_uniform(&rng);
	nn_forward(&ref, batch, 0);
	for (t = 1; t <= 2; t++) {
		nn_build(&opt, cfg, h, w, batch, NN_INFER, &err);
		CHECK(nn_set_kernels(&opt, NN_AVX2, &err) == 0 && nn_set_threads(&opt, t, &err) == 0,
		      "%s", err.msg);
		memcpy(opt.params, ref.params, ref.nparams * sizeof(float));
		memcpy(opt.state, ref.state, ref.nstate * sizeof(float));
		memcpy(nn_input(&opt), nn_input(&ref), nin * sizeof(float));
		nn_forward(&opt, batch, 0);
		snprintf(name, sizeof name, "%s, inference, %d threads", what, t);
		t_check_scaled(name, nn_output(&opt), nn_output(&ref), nout, tol, 1e-3);
		for (i = 0, worst = 0; i < nout; i++)
			worst = fmax(worst, fabs((double)nn_output(&opt)[i] - nn_output(&ref)[i]));
		printf("#   %s: %zu values, max diff %.3g\n", name, nout, worst);
		nn_free(&opt);
	}
	nn_free(&ref);
}

/* F(4x4, 3x3) tiles: sizes off a multiple of 4 leave partial tiles at the
 * far edges; 70 columns make several chunks of tiles; a tall image several
 * bands; output channels off the product kernel's 16; two in a row, as in
 * the shipped networks, so rounding compounds */
static void
test_conv_winograd4_inference_agrees(void)
{
	infer_agrees("winograd4 8->8 same 5x7", PRE "[conv]\nfilters = 8\nsize = 1\n"
	             "[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n", 5, 7, 2, 1e-5);
	infer_agrees("winograd4 16->12 valid 9x6", PRE "[conv]\nfilters = 16\nsize = 1\n"
	             "[conv]\nfilters = 12\nsize = 3\npad = valid\n", 9, 6, 2, 1e-5);
	infer_agrees("winograd4 64->32 same 61x70", PRE "[conv]\nfilters = 64\nsize = 1\n"
	             "[conv]\nfilters = 32\nsize = 3\npad = same\nactivation = relu\n", 61, 70, 1, 1e-5);
	infer_agrees("winograd4 24->40->16 3x3, 4x4", PRE "[conv]\nfilters = 24\nsize = 1\n"
	             "[conv]\nfilters = 40\nsize = 3\npad = same\nactivation = relu\n"
	             "[conv]\nfilters = 16\nsize = 3\npad = same\n", 4, 4, 3, 1e-5);
	infer_agrees("models/seed.cfg", t_read_text("models/seed.cfg"), 44, 52, 2, 1e-5);
	infer_agrees("models/denoise-color-fast.cfg", t_read_text("models/denoise-color-fast.cfg"), 40, 76, 1,
	             1e-5);
	infer_agrees("tests/data/unet.cfg", t_read_text("tests/data/unet.cfg"), 40, 76, 1, 1e-5);
}

/* inference fusion (struct layer): the net as nn_build fuses it against
 * the same net with every layer on its own (fuse = 0), same kernels, same
 * threads. The fused path runs the same kernels in the same order, so the
 * outputs must be the same bits. absorbed: the layers fusion should take
 * in, to check it happened (or, at 0, that it did not). */
static void
fused_agrees(const char *what, const char *cfg, size_t h, size_t w, size_t batch, int absorbed)
{
	struct net a, b;
	struct nn_error err;
	struct rng rng;
	size_t nin, nout, i, diff;
	int t, got;

	if (!have_avx2(what))
		return;
	for (t = 1; t <= 2; t++) {
		if (nn_build(&a, cfg, h, w, batch, NN_INFER, &err) != 0 ||
		    nn_build(&b, cfg, h, w, batch, NN_INFER, &err) != 0) {
			CHECK(0, "%s: build failed: line %d: %s", what, err.line, err.msg);
			return;
		}
		CHECK(nn_set_kernels(&a, NN_AVX2, &err) == 0 && nn_set_threads(&a, t, &err) == 0 &&
		      nn_set_kernels(&b, NN_AVX2, &err) == 0 && nn_set_threads(&b, t, &err) == 0,
		      "%s", err.msg);
		b.fuse = 0;
		rng_seed(&rng, 77);
		nn_init(&a, &rng);
		/* gammas of both signs, biases off 0, moving statistics off 0 and 1 */
		for (i = 0; i < a.nparams; i++)
			a.params[i] += (float)(2.5 * (rng_uniform(&rng) - 0.5));
		for (i = 0; i < a.nstate; i++)
			a.state[i] = (float)(0.5 + rng_uniform(&rng));
		memcpy(b.params, a.params, a.nparams * sizeof(float));
		memcpy(b.state, a.state, a.nstate * sizeof(float));
		nin = batch * h * w * a.in.c;
		nout = batch * a.l[a.nl - 1].out.h * a.l[a.nl - 1].out.w * a.l[a.nl - 1].out.c;
		for (i = 0; i < nin; i++)
			nn_input(&a)[i] = nn_input(&b)[i] = (float)(2 * rng_uniform(&rng) - 1);
		nn_forward(&a, batch, 0);
		nn_forward(&b, batch, 0);
		for (i = 0, diff = 0; i < nout; i++)
			diff += memcmp(&nn_output(&a)[i], &nn_output(&b)[i], sizeof(float)) != 0;
		for (i = 1, got = 0; i < (size_t)a.nl; i++)
			got += a.l[i].absorbed;
		CHECK(diff == 0, "%s, %d threads: %zu of %zu outputs differ from the unfused net",
		      what, t, diff, nout);
		CHECK(got == absorbed, "%s: %d layers absorbed, expected %d", what, got, absorbed);
		nn_free(&a);
		nn_free(&b);
	}
}

/* an inference net packs its weights once (struct layer's keep): weights
 * changed between passes must be packed again. The same net after new
 * weights against a fresh net built with them, bit for bit. */
static void
test_inference_repacks_changed_weights(void)
{
	const char *cfg = t_read_text("models/seed.cfg");
	struct net a, b;
	struct nn_error err;
	struct rng rng;
	size_t nin, nout, i, diff = 0;

	if (!have_avx2("repack"))
		return;
	CHECK(nn_build(&a, cfg, 20, 28, 1, NN_INFER, &err) == 0 &&
	      nn_build(&b, cfg, 20, 28, 1, NN_INFER, &err) == 0, "%s", err.msg);
	rng_seed(&rng, 5);
	nn_init(&a, &rng);
	nin = 20 * 28 * 3;
	nout = 20 * 28 * 3;
	for (i = 0; i < nin; i++)
		nn_input(&a)[i] = nn_input(&b)[i] = (float)rng_uniform(&rng);
	nn_forward(&a, 1, 0);
	for (i = 0; i < a.nparams; i++)
		a.params[i] = b.params[i] = (float)(rng_uniform(&rng) - 0.5);
	memcpy(b.state, a.state, a.nstate * sizeof(float));
	nn_forward(&a, 1, 0);
	nn_forward(&b, 1, 0);
	for (i = 0; i < nout; i++)
		diff += memcmp(&nn_output(&a)[i], &nn_output(&b)[i], sizeof(float)) != 0;
	CHECK(diff == 0, "%zu of %zu outputs kept the old weights' packing", diff, nout);
	nn_free(&a);
	nn_free(&b);
}

static void
test_inference_fusion_is_exact(void)
{
	fused_agrees("conv 3->16 + maxpool same + batchnorm, 7x9", PRE "[conv]\nfilters = 16\n"
	             "size = 3\npad = same\nactivation = relu\n[maxpool]\nsize = 2\npad = same\n"
	             "[batchnorm]\n", 7, 9, 2, 2);
	fused_agrees("conv 3->64 + maxpool + batchnorm, tall, many bands", PRE "[conv]\n"
	             "filters = 64\nsize = 3\npad = same\nactivation = relu\n[maxpool]\nsize = 2\n"
	             "pad = same\n[batchnorm]\n", 61, 40, 1, 2);
	fused_agrees("winograd 8->24 + maxpool valid, 9x11", PRE "[conv]\nfilters = 8\nsize = 1\n"
	             "[conv]\nfilters = 24\nsize = 3\npad = same\n[maxpool]\nsize = 2\n", 9, 11,
	             2, 1);
	fused_agrees("winograd 16->8 + maxpool same + batchnorm, 13x5", PRE "[conv]\nfilters = 16\n"
	             "size = 1\n[conv]\nfilters = 8\nsize = 3\npad = same\nactivation = relu\n"
	             "[maxpool]\nsize = 2\npad = same\n[batchnorm]\n", 13, 5, 2, 2);
	fused_agrees("thin 8->3 + maxpool same", PRE "[conv]\nfilters = 8\nsize = 1\n[conv]\n"
	             "filters = 3\nsize = 3\npad = same\n[maxpool]\nsize = 2\npad = same\n",
	             5, 5, 2, 1);
	fused_agrees("upsample 2 + winograd 16->16", PRE "[conv]\nfilters = 16\nsize = 1\n"
	             "[upsample]\nsize = 2\n[conv]\nfilters = 16\nsize = 3\npad = same\n",
	             5, 7, 2, 1);
	fused_agrees("upsample 3 + conv 3->5 valid", PRE "[upsample]\nsize = 3\n[conv]\n"
	             "filters = 5\nsize = 3\npad = valid\n", 4, 5, 2, 1);
	fused_agrees("upsample 2 + thin 16->3 sigmoid", PRE "[conv]\nfilters = 16\nsize = 1\n"
	             "[upsample]\nsize = 2\n[conv]\nfilters = 3\nsize = 3\npad = same\n"
	             "activation = sigmoid\n", 9, 6, 2, 1);
	/* read twice: nothing to fuse */
	fused_agrees("conv read by maxpool and concat", PRE "[conv]\nfilters = 8\nsize = 3\n"
	             "pad = same\n[maxpool]\nsize = 2\n[upsample]\nsize = 2\n[concat]\n"
	             "from = -1, -3\n", 6, 8, 1, 0);
	/* conv -> maxpool -> batchnorm twice, maxpool once more, three upsamples */
	fused_agrees("models/seed.cfg", t_read_text("models/seed.cfg"), 44, 52, 2, 8);
}

/* the other layers: odd sizes for the pooling edges, channel counts off
 * the vector width, windows that overlap */
static void
test_layer_paths_agree(void)
{
	paths_agree_all("maxpool 2 same 64", PRE "[conv]\nfilters = 64\nsize = 1\n[maxpool]\nsize = 2\npad = same\n", 5, 7, 2);
	paths_agree_all("maxpool 2 same 3", PRE "[maxpool]\nsize = 2\npad = same\n", 9, 11, 3);
	paths_agree_all("maxpool 2 valid 13", PRE "[conv]\nfilters = 13\nsize = 1\n[maxpool]\nsize = 2\n", 7, 5, 2);
	paths_agree_all("maxpool 3/2 same", PRE "[maxpool]\nsize = 3\nstride = 2\npad = same\n", 9, 7, 2);
	paths_agree_all("maxpool 3/1 valid", PRE "[maxpool]\nsize = 3\nstride = 1\n", 6, 7, 2);
	paths_agree_all("batchnorm 3", PRE "[batchnorm]\n", 5, 7, 2);
	/* no bias before BatchNorm: its gradient is 0 plus rounding noise */
	paths_agree_all("batchnorm 20, many chunks", PRE "[conv]\nfilters = 20\nsize = 1\nbias = 0\n[batchnorm]\n", 41, 37, 2);
	paths_agree_all("upsample 2", PRE "[conv]\nfilters = 19\nsize = 1\n[upsample]\nsize = 2\n", 5, 7, 2);
	paths_agree_all("upsample 3", PRE "[upsample]\nsize = 3\n", 5, 7, 2);
	paths_agree_all("relu", PRE "[relu]\n", 5, 7, 2);
	paths_agree_all("sigmoid", PRE "[sigmoid]\n", 5, 7, 2);
	paths_agree_all("add", PRE "[conv]\nfilters = 3\nsize = 3\npad = same\n[add]\nfrom = -1, 0\n", 5, 7, 2);
	paths_agree_all("concat", PRE "[conv]\nfilters = 9\nsize = 3\npad = same\n[concat]\nfrom = 0, -1\n[conv]\nfilters = 2\nsize = 1\n", 5, 7, 2);
	paths_agree_all("space_to_depth", PRE "[space_to_depth]\nsize = 2\n[conv]\nfilters = 2\nsize = 3\npad = same\n", 6, 8, 2);
	paths_agree_all("depth_to_space", PRE "[conv]\nfilters = 8\nsize = 1\n[depth_to_space]\nsize = 2\n", 5, 7, 2);
	/* ties: ReLU zeros make whole pooling windows equal */
	paths_agree_all("conv relu maxpool", PRE "[conv]\nfilters = 16\nsize = 3\npad = same\nactivation = relu\n[maxpool]\nsize = 2\npad = same\n", 7, 9, 2);
}

static void
test_seed_paths_agree(void)
{
	const char *cfg = linear_in_front("models/seed.cfg", "[conv]");

	if (cfg)
		paths_agree_all("seed network 20x12", cfg, 20, 12, 2);
}

static void
test_gemm_matches_naive(void)
{
	float a[7 * 5], b[5 * 6], c1[7 * 6], c2[7 * 6];
	struct rng r;
	size_t i;
	int ta, tb;

	rng_seed(&r, 9);
	for (i = 0; i < 35; i++)
		a[i] = (float)rng_uniform(&r);
	for (i = 0; i < 30; i++)
		b[i] = (float)rng_uniform(&r);
	for (ta = 0; ta < 2; ta++)
		for (tb = 0; tb < 2; tb++) {
			for (i = 0; i < 42; i++)
				c1[i] = c2[i] = (float)i;
			t_gemm(ta, tb, 7, 6, 5, 0.5f, a, ta ? 7 : 5, b, tb ? 5 : 6, 1, c1, 6);
			t_gemm_naive(ta, tb, 7, 6, 5, 0.5f, a, ta ? 7 : 5, b, tb ? 5 : 6, 1, c2, 6);
			t_check_tensor("gemm", c1, c2, 42, 1e-5);
		}
}

int
main(void)
{
	RUN(test_seed_has_58067_numbers);
	RUN(test_seed_shapes_at_300);
	RUN(test_seed_fit_size_pads_to_4_mod_8);
	RUN(test_cfg_errors_carry_line_and_reason);
	RUN(test_cfg_numbers_are_checked_before_narrowing);
	RUN(test_conv_init_kinds);
	RUN(test_gemm_matches_naive);
	RUN(test_conv_matches_naive);
	RUN(test_conv_paths_agree);
	RUN(test_conv_winograd_paths_agree);
	RUN(test_conv_winograd4_inference_agrees);
	RUN(test_inference_fusion_is_exact);
	RUN(test_inference_repacks_changed_weights);
	RUN(test_layer_paths_agree);
	RUN(test_seed_paths_agree);
	RUN(test_gradcheck_conv_same);
	RUN(test_gradcheck_conv_valid);
	RUN(test_gradcheck_conv_dilated);
	RUN(test_gradcheck_conv_5x5_relu);
	RUN(test_gradcheck_conv_even_kernel);
	RUN(test_gradcheck_conv_1x1_sigmoid);
	RUN(test_gradcheck_conv_no_bias);
	RUN(test_gradcheck_maxpool_same);
	RUN(test_gradcheck_maxpool_valid);
	RUN(test_gradcheck_maxpool_3_stride_2);
	RUN(test_gradcheck_upsample);
	RUN(test_gradcheck_batchnorm);
	RUN(test_gradcheck_relu);
	RUN(test_gradcheck_sigmoid);
	RUN(test_gradcheck_add);
	RUN(test_activation_bounds);
	RUN(test_gradcheck_concat);
	RUN(test_gradcheck_space_to_depth);
	RUN(test_gradcheck_depth_to_space);
	RUN(test_gradcheck_noisemap);
	RUN(test_noisemap_spreads_each_level);
	RUN(test_gradcheck_seed_network);
	RUN(test_gradcheck_color_network);
	return t_done();
}
