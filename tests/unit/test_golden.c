/* test_golden.c: the network engine against Keras, the tutorial's framework.
 *
 * tests/golden/make_golden.py (run by hand, never by the tests) builds each
 * layer and the whole seed network in Keras with known weights, cross-checks
 * them with PyTorch, and writes inputs, outputs, gradients, BatchNorm moving
 * statistics and Adam steps to tests/golden/{layers,seed}.ts. This program
 * builds the same networks from cfg text, loads the same numbers, and
 * compares. Tolerances are those tests/golden/README.md recommends from
 * the measured Keras-vs-PyTorch agreement: relative 1e-5 for layers, 1e-4 per
 * tensor for the seed network's gradients, 1e-5 absolute for parameters
 * after an Adam step. */
#include <string.h>

#include "../t.h"
#include "../../lib/io/stream.h"
#include "../../lib/nn/layer.h"

/* ---------------------------------------------------------------------- */
/* golden files: every record in memory, looked up by name */

struct rec {
	struct ts_header h;
	float *x;
};

struct golden {
	struct rec *r;
	size_t n;
};

static struct golden layers, seed;

static int
load_golden(struct golden *g, const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct ts_reader rd;
	struct ts_header h;
	enum ts_err e;

	if (!fp)
		return -1;
	ts_reader_init(&rd, fp, NULL);
	while ((e = ts_read_header(&rd, &h)) == TS_OK) {
		g->r = realloc(g->r, (g->n + 1) * sizeof *g->r);
		g->r[g->n].h = h;
		g->r[g->n].x = malloc(ts_payload_size(&h));
		if (h.dtype != TS_F32 || ts_read_payload(&rd, g->r[g->n].x, ts_payload_size(&h)) != TS_OK)
			break;
		g->n++;
	}
	fclose(fp);
	return e == TS_END ? 0 : -1;
}

static const struct rec *
find(const struct golden *g, const char *fmt, const char *name)
{
	char key[TS_NAME_MAX + 1];
	size_t i;

	snprintf(key, sizeof key, fmt, name);
	for (i = 0; i < g->n; i++)
		if (strcmp(g->r[i].h.name, key) == 0)
			return &g->r[i];
	printf("#   golden record '%s' is missing\n", key);
	return NULL;
}

static int
copy_in(float *dst, const struct rec *r, size_t n, const char *what)
{
	if (!r)
		return -1;
	if (ts_nelem(&r->h) != n) {
		CHECK(0, "%s: golden has %zu values, the network %zu", what, ts_nelem(&r->h), n);
		return -1;
	}
	memcpy(dst, r->x, n * sizeof(float));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* single layers: [linear] in front, so the layer's input has a gradient */

static size_t
out_size(struct net *net, size_t n)
{
	const struct layer *o = &net->l[net->nl - 1];
	return n * o->out.h * o->out.w * o->out.c;
}

/* build "[net] channels = C, [linear], body" for the golden case's x */
static int
build_case(struct net *net, const char *body, const char *cas, struct nn_error *err)
{
	const struct rec *x = find(&layers, "%s.x", cas);
	char cfg[1024];

	if (!x)
		return -1;
	snprintf(cfg, sizeof cfg, "[net]\nchannels = %u\n[linear]\n%s", x->h.dims[3], body);
	if (nn_build(net, cfg, x->h.dims[1], x->h.dims[2], x->h.dims[0], NN_TRAIN, err) != 0) {
		CHECK(0, "%s: %s", cas, err->msg);
		return -1;
	}
	return copy_in(nn_input(net), x, x->h.dims[0] * x->h.dims[1] * x->h.dims[2] * x->h.dims[3],
	               "x");
}

static void
layer_case(const char *cas, const char *body, int has_w, int has_b, double tol)
{
	struct net net;
	struct nn_error err;
	const struct rec *y, *dy, *dx, *r;
	struct nn_param *p;
	char what[96];
	size_t n;

	if (build_case(&net, body, cas, &err) != 0)
		return;
	n = (size_t)net.n;
	if (has_w && (p = nn_param(&net, "L1.weight")))
		copy_in(p->data, find(&layers, "%s.weight", cas), p->n, "weight");
	if (has_b && (p = nn_param(&net, "L1.bias")))
		copy_in(p->data, find(&layers, "%s.bias", cas), p->n, "bias");
	nn_forward(&net, n, 1);
	y = find(&layers, "%s.y", cas);
	dy = find(&layers, "%s.dy", cas);
	dx = find(&layers, "%s.dx", cas);
	if (!y || !dy || !dx || ts_nelem(&y->h) != out_size(&net, n)) {
		CHECK(0, "%s: output shape differs from Keras", cas);
		nn_free(&net);
		return;
	}
	snprintf(what, sizeof what, "%s.y", cas);
	t_check_scaled(what, nn_output(&net), y->x, ts_nelem(&y->h), tol, 0);
	memcpy(nn_output_grad(&net), dy->x, ts_nelem(&dy->h) * sizeof(float));
	nn_zero_grad(&net);
	nn_backward(&net, n);
	snprintf(what, sizeof what, "%s.dx", cas);
	t_check_scaled(what, net.l[1].dact, dx->x, ts_nelem(&dx->h), tol, 0);
	if (has_w && (r = find(&layers, "%s.dweight", cas))) {
		snprintf(what, sizeof what, "%s.dweight", cas);
		t_check_scaled(what, nn_param(&net, "L1.weight")->grad, r->x, ts_nelem(&r->h), tol, 0);
	}
	if (has_b && (r = find(&layers, "%s.dbias", cas))) {
		snprintf(what, sizeof what, "%s.dbias", cas);
		t_check_scaled(what, nn_param(&net, "L1.bias")->grad, r->x, ts_nelem(&r->h), tol, 0);
	}
	nn_free(&net);
}

#define CONV(f, extra) "[conv]\nfilters = " #f "\n" extra

static void test_keras_conv_same(void)
{ layer_case("conv_same", CONV(4, "size = 3\npad = same\n"), 1, 1, 1e-5); }
static void test_keras_conv_valid(void)
{ layer_case("conv_valid", CONV(4, "size = 3\npad = valid\n"), 1, 1, 1e-5); }
static void test_keras_conv_dilation_2(void)
{ layer_case("conv_dil2", CONV(4, "size = 3\npad = same\ndilation = 2\n"), 1, 1, 1e-5); }
static void test_keras_conv_5x5(void)
{ layer_case("conv5_same", CONV(4, "size = 5\npad = same\n"), 1, 1, 1e-5); }
static void test_keras_conv_1x1(void)
{ layer_case("conv1x1", CONV(4, "size = 1\n"), 1, 1, 1e-5); }
static void test_keras_conv_relu(void)
{ layer_case("conv_relu", CONV(4, "size = 3\npad = same\nactivation = relu\n"), 1, 1, 1e-5); }
static void test_keras_conv_sigmoid(void)
{ layer_case("conv_sigmoid", CONV(4, "size = 3\npad = same\nactivation = sigmoid\n"), 1, 1, 1e-5); }
static void test_keras_maxpool_same_pads_at_the_end(void)
{ layer_case("maxpool_same", "[maxpool]\nsize = 2\npad = same\n", 0, 0, 1e-6); }
static void test_keras_maxpool_valid(void)
{ layer_case("maxpool_valid", "[maxpool]\nsize = 2\n", 0, 0, 1e-6); }
static void test_keras_upsample(void)
{ layer_case("upsample", "[upsample]\nsize = 2\n", 0, 0, 1e-6); }
static void test_keras_relu(void)
{ layer_case("relu", "[relu]\n", 0, 0, 1e-6); }
static void test_keras_sigmoid(void)
{ layer_case("sigmoid", "[sigmoid]\n", 0, 0, 1e-5); }
static void test_keras_depth_to_space(void)
{ layer_case("d2s", "[depth_to_space]\nsize = 2\n", 0, 0, 1e-6); }
static void test_keras_space_to_depth(void)
{ layer_case("s2d", "[space_to_depth]\nsize = 2\n", 0, 0, 1e-6); }

/* BatchNorm: gamma and beta are "weight" and "bias" of the layer; the
 * moving statistics are its state */
static void
bn_case(const char *cas, int train)
{
	struct net net;
	struct nn_error err;
	struct nn_param *p;
	const struct rec *r;
	char what[64];
	size_t n;

	if (build_case(&net, "[batchnorm]\n", cas, &err) != 0)
		return;
	n = net.n;
	copy_in(nn_param(&net, "L1.gamma")->data, find(&layers, "%s.gamma", cas), 4, "gamma");
	copy_in(nn_param(&net, "L1.beta")->data, find(&layers, "%s.beta", cas), 4, "beta");
	copy_in(nn_param(&net, "L1.moving_mean")->data, find(&layers, "%s.moving_mean", cas), 4, "mm");
	copy_in(nn_param(&net, "L1.moving_var")->data, find(&layers, "%s.moving_var", cas), 4, "mv");
	nn_forward(&net, n, train);
	if ((r = find(&layers, "%s.y", cas))) {
		snprintf(what, sizeof what, "%s.y", cas);
		t_check_scaled(what, nn_output(&net), r->x, ts_nelem(&r->h), 1e-5, 0);
	}
	if (!train) {
		/* the engine trains only in training mode, so gradients through
		 * the moving statistics are not part of it */
		nn_free(&net);
		return;
	}
	p = nn_param(&net, "L1.moving_mean");
	if ((r = find(&layers, "%s.new_moving_mean", cas)))
		t_check_scaled("bn_train.new_moving_mean", p->data, r->x, 4, 1e-5, 0);
	p = nn_param(&net, "L1.moving_var");
	if ((r = find(&layers, "%s.new_moving_var", cas)))
		t_check_scaled("bn_train.new_moving_var (biased variance)", p->data, r->x, 4, 1e-5, 0);
	memcpy(nn_output_grad(&net), find(&layers, "%s.dy", cas)->x, out_size(&net, n) * sizeof(float));
	nn_zero_grad(&net);
	nn_backward(&net, n);
	if ((r = find(&layers, "%s.dx", cas)))
		t_check_scaled("bn_train.dx", net.l[1].dact, r->x, ts_nelem(&r->h), 1e-5, 0);
	if ((r = find(&layers, "%s.dgamma", cas)))
		t_check_scaled("bn_train.dgamma", nn_param(&net, "L1.gamma")->grad, r->x, 4, 1e-5, 0);
	if ((r = find(&layers, "%s.dbeta", cas)))
		t_check_scaled("bn_train.dbeta", nn_param(&net, "L1.beta")->grad, r->x, 4, 1e-5, 0);
	nn_free(&net);
}

static void test_keras_batchnorm_training(void) { bn_case("bn_train", 1); }
static void test_keras_batchnorm_inference(void) { bn_case("bn_infer", 0); }

/* add and concat take two inputs; the network has one, so x0 and x1 come
 * in side by side as channels and two 1x1 convolutions with 0/1 kernels
 * pick them apart exactly */
static void
merge_case(const char *cas, const char *kind)
{
	const struct rec *x0 = find(&layers, "%s.x0", cas), *x1 = find(&layers, "%s.x1", cas);
	const struct rec *y = find(&layers, "%s.y", cas), *dy = find(&layers, "%s.dy", cas);
	const struct rec *dx0 = find(&layers, "%s.dx0", cas), *dx1 = find(&layers, "%s.dx1", cas);
	struct net net;
	struct nn_error err;
	struct nn_param *p;
	char cfg[1024], what[64];
	size_t n, h, w, c0, c1, m, i, k;

	if (!x0 || !x1 || !y || !dy || !dx0 || !dx1)
		return;
	n = x0->h.dims[0], h = x0->h.dims[1], w = x0->h.dims[2];
	c0 = x0->h.dims[3], c1 = x1->h.dims[3];
	snprintf(cfg, sizeof cfg,
	         "[net]\nchannels = %zu\n"
	         "[conv]\nname = a\nfilters = %zu\nsize = 1\nbias = 0\nfrom = input\n"
	         "[conv]\nname = b\nfilters = %zu\nsize = 1\nbias = 0\nfrom = input\n"
	         "[%s]\nfrom = a, b\n", c0 + c1, c0, c1, kind);
	if (nn_build(&net, cfg, h, w, n, NN_TRAIN, &err) != 0) {
		CHECK(0, "%s", err.msg);
		return;
	}
	m = n * h * w;
	for (i = 0; i < m; i++)
		for (k = 0; k < c0 + c1; k++)
			nn_input(&net)[i * (c0 + c1) + k] = k < c0 ? x0->x[i * c0 + k] : x1->x[i * c1 + k - c0];
	p = nn_param(&net, "a.weight");
	for (i = 0; i < c0 + c1; i++)
		for (k = 0; k < c0; k++)
			p->data[i * c0 + k] = i == k;
	p = nn_param(&net, "b.weight");
	for (i = 0; i < c0 + c1; i++)
		for (k = 0; k < c1; k++)
			p->data[i * c1 + k] = i == k + c0;
	nn_forward(&net, n, 1);
	snprintf(what, sizeof what, "%s.y", cas);
	t_check_scaled(what, nn_output(&net), y->x, ts_nelem(&y->h), 1e-6, 0);
	memcpy(nn_output_grad(&net), dy->x, ts_nelem(&dy->h) * sizeof(float));
	nn_zero_grad(&net);
	nn_backward(&net, n);
	snprintf(what, sizeof what, "%s.dx0", cas);
	t_check_scaled(what, net.l[1].dact, dx0->x, ts_nelem(&dx0->h), 1e-6, 0);
	snprintf(what, sizeof what, "%s.dx1", cas);
	t_check_scaled(what, net.l[2].dact, dx1->x, ts_nelem(&dx1->h), 1e-6, 0);
	nn_free(&net);
}

static void test_keras_add(void) { merge_case("add", "add"); }
static void test_keras_concat(void) { merge_case("concat", "concat"); }

static void
test_keras_mse(void)
{
	const struct rec *pred = find(&layers, "%s.pred", "mse"), *t = find(&layers, "%s.target", "mse");
	const struct rec *loss = find(&layers, "%s.loss", "mse"), *dp = find(&layers, "%s.dpred", "mse");
	struct net net;
	struct nn_error err;
	char cfg[128];
	double l;

	if (!pred || !t || !loss || !dp)
		return;
	snprintf(cfg, sizeof cfg, "[net]\nchannels = %u\n[linear]\n", pred->h.dims[3]);
	nn_build(&net, cfg, pred->h.dims[1], pred->h.dims[2], pred->h.dims[0], NN_TRAIN, &err);
	memcpy(nn_input(&net), pred->x, ts_payload_size(&pred->h));
	nn_forward(&net, net.n, 1);
	l = nn_mse(&net, t->x, net.n);
	CHECK_CLOSE(l, loss->x[0], 1e-6);
	t_check_scaled("mse.dpred", nn_output_grad(&net), dp->x, ts_nelem(&dp->h), 1e-6, 0);
	nn_free(&net);
}

static void
test_keras_adam_three_steps(void)
{
	const struct rec *p0 = find(&layers, "adam.%s", "p0");
	const struct rec *lr = find(&layers, "adam.%s", "lr"), *b1 = find(&layers, "adam.%s", "beta1");
	const struct rec *b2 = find(&layers, "adam.%s", "beta2"), *eps = find(&layers, "adam.%s", "epsilon");
	struct net net;
	struct nn_error err;
	struct adam_hp hp;
	int k;

	if (!p0 || !lr || !b1 || !b2 || !eps || ts_nelem(&p0->h) != 64)
		return;
	/* any network with 64 parameters will do: a bias-free 8 -> 8 1x1 conv */
	nn_build(&net, "[net]\nchannels = 8\n[conv]\nfilters = 8\nsize = 1\nbias = 0\n", 1, 1, 1,
	         NN_TRAIN, &err);
	memcpy(net.params, p0->x, 64 * sizeof(float));
	hp = (struct adam_hp){ lr->x[0], b1->x[0], b2->x[0], eps->x[0] };
	for (k = 1; k <= 3; k++) {
		char g[8], p[8];
		const struct rec *gr, *pr;
		snprintf(g, sizeof g, "g%d", k);
		snprintf(p, sizeof p, "p%d", k);
		if (!(gr = find(&layers, "adam.%s", g)) || !(pr = find(&layers, "adam.%s", p)))
			break;
		memcpy(net.grads, gr->x, 64 * sizeof(float));
		nn_adam(&net, &hp);
		t_check_tensor(p, net.params, pr->x, 64, 2e-7);
	}
	nn_free(&net);
}

/* ---------------------------------------------------------------------- */
/* the seed network, end to end */

static void
train_step(struct net *net, const float *x, const float *t, const struct adam_hp *hp, double *loss)
{
	memcpy(nn_input(net), x, net->n * net->in.h * net->in.w * net->in.c * sizeof(float));
	nn_forward(net, net->n, 1);
	*loss = nn_mse(net, t, net->n);
	nn_zero_grad(net);
	nn_backward(net, net->n);
	nn_adam(net, hp);
}

static void
test_keras_seed_network(void)
{
	const struct rec *x = find(&seed, "%s", "x"), *t = find(&seed, "%s", "t"), *r;
	struct adam_hp hp = { 1e-3f, 0.9f, 0.999f, 1e-7f };
	struct net net;
	struct nn_error err;
	size_t n, i;
	double loss;
	int k;
	char name[96];

	if (!x || !t)
		return;
	CHECK(nn_build(&net, t_read_text("models/seed.cfg"), 12, 20, 2, NN_TRAIN, &err) == 0, "%s",
	      err.msg);
	n = net.n;
	for (k = 0; k < net.np; k++)
		copy_in(net.p[k].data, find(&seed, "%s", net.p[k].name), net.p[k].n, net.p[k].name);
	memcpy(nn_input(&net), x->x, ts_payload_size(&x->h));

	nn_forward(&net, n, 0);
	if ((r = find(&seed, "%s", "infer_y")))
		t_check_scaled("infer_y", nn_output(&net), r->x, ts_nelem(&r->h), 1e-5, 0);

	/* step 1: the training forward also moves the BatchNorm statistics */
	memcpy(nn_input(&net), x->x, ts_payload_size(&x->h));
	nn_forward(&net, n, 1);
	if ((r = find(&seed, "%s", "y")))
		t_check_scaled("y (training mode)", nn_output(&net), r->x, ts_nelem(&r->h), 1e-5, 0);
	loss = nn_mse(&net, t->x, n);
	if ((r = find(&seed, "%s", "loss")))
		CHECK_CLOSE(loss, r->x[0], 1e-5);
	nn_zero_grad(&net);
	nn_backward(&net, n);
	for (k = 0; k < net.np; k++) {
		if (!net.p[k].grad)
			continue;
		snprintf(name, sizeof name, "grad.%s", net.p[k].name);
		if ((r = find(&seed, "%s", name)))
			t_check_scaled(name, net.p[k].grad, r->x, net.p[k].n, 1e-4, 0);
	}
	nn_adam(&net, &hp);
	for (k = 0; k < net.np; k++) {
		snprintf(name, sizeof name, "step1.%s", net.p[k].name);
		if ((r = find(&seed, "%s", name))) {
			double worst = 0;
			for (i = 0; i < net.p[k].n; i++)
				worst = fmax(worst, fabs((double)net.p[k].data[i] - r->x[i]));
			CHECK(worst <= 1e-5, "%s: max abs diff %.3g", name, worst);
		}
	}
	printf("#   step1: every parameter within 1e-5 absolute\n");

	/* steps 2 and 3 on the same batch; step 2's forward reports step1.loss */
	train_step(&net, x->x, t->x, &hp, &loss);
	if ((r = find(&seed, "%s", "step1.loss")))
		CHECK_CLOSE(loss, r->x[0], 1e-4);
	train_step(&net, x->x, t->x, &hp, &loss);
	for (k = 0; k < net.np; k++) {
		if (net.p[k].grad)
			continue;
		snprintf(name, sizeof name, "step3.%s", net.p[k].name);
		if ((r = find(&seed, "%s", name)))
			t_check_scaled(name, net.p[k].data, r->x, net.p[k].n, 1e-4, 0);
	}
	memcpy(nn_input(&net), x->x, ts_payload_size(&x->h));
	nn_forward(&net, n, 0);
	if ((r = find(&seed, "%s", "step3.infer_y")))
		t_check_scaled("step3.infer_y", nn_output(&net), r->x, ts_nelem(&r->h), 1e-4, 0);
	if ((r = find(&seed, "%s", "step3.infer_loss")))
		CHECK_CLOSE(nn_mse(&net, t->x, n), r->x[0], 1e-4);
	memcpy(nn_input(&net), x->x, ts_payload_size(&x->h));
	nn_forward(&net, n, 1);
	if ((r = find(&seed, "%s", "step3.loss")))
		CHECK_CLOSE(nn_mse(&net, t->x, n), r->x[0], 1e-4);
	nn_free(&net);
}

int
main(void)
{
	if (load_golden(&layers, "tests/golden/layers.ts") != 0 ||
	    load_golden(&seed, "tests/golden/seed.ts") != 0) {
		printf("not ok 1 - cannot read tests/golden/layers.ts and seed.ts\n");
		return 1;
	}
	RUN(test_keras_conv_same);
	RUN(test_keras_conv_valid);
	RUN(test_keras_conv_dilation_2);
	RUN(test_keras_conv_5x5);
	RUN(test_keras_conv_1x1);
	RUN(test_keras_conv_relu);
	RUN(test_keras_conv_sigmoid);
	RUN(test_keras_maxpool_same_pads_at_the_end);
	RUN(test_keras_maxpool_valid);
	RUN(test_keras_upsample);
	RUN(test_keras_relu);
	RUN(test_keras_sigmoid);
	RUN(test_keras_depth_to_space);
	RUN(test_keras_space_to_depth);
	RUN(test_keras_batchnorm_training);
	RUN(test_keras_batchnorm_inference);
	RUN(test_keras_add);
	RUN(test_keras_concat);
	RUN(test_keras_mse);
	RUN(test_keras_adam_three_steps);
	RUN(test_keras_seed_network);
	return t_done();
}
