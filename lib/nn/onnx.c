/* onnx.c: a network as an ONNX model (onnx.h). The first half is a
 * protobuf writer for the wire types ONNX uses (varints, length-delimited
 * fields, fixed32 floats); nested messages are built in their own buffers
 * and appended with their length. The second half walks the layers in
 * order; each kind has one emitter in a table keyed by the kind. Field
 * numbers are those of onnx/onnx.proto (IR version 7, opset 13). */
#include "onnx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

/* ---------------------------------------------------------------------- */
/* protobuf */

struct pb {
	unsigned char *p;
	size_t n, cap;
	int oom;
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static void
pb_raw(struct pb *b, const void *s, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (n > b->cap - b->n) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *q;
		while (cap - b->n < n) {
			if (cap > SIZE_MAX / 2) {
				b->oom = 1;
				return;
			}
			cap *= 2;
		}
		if (!(q = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
pb_varint(struct pb *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	pb_raw(b, t, n);
}

static void
pb_key(struct pb *b, unsigned field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* int32 and int64 fields: negative numbers as their 64-bit two's complement */
static void
pb_int(struct pb *b, unsigned field, int64_t v)
{
	pb_key(b, field, WIRE_VARINT);
	pb_varint(b, (uint64_t)v);
}

static void
pb_bytes(struct pb *b, unsigned field, const void *s, size_t n)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, n);
	pb_raw(b, s, n);
}

static void
pb_str(struct pb *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

static void
pb_float(struct pb *b, unsigned field, float f)
{
	unsigned char t[4];
	uint32_t u;

	memcpy(&u, &f, 4);
	t[0] = u & 0xff, t[1] = u >> 8 & 0xff, t[2] = u >> 16 & 0xff, t[3] = u >> 24;
	pb_key(b, field, WIRE_FIXED32);
	pb_raw(b, t, 4);
}

/* append m as a length-delimited field of b and free m */
static void
pb_msg(struct pb *b, unsigned field, struct pb *m)
{
	if (m->oom)
		b->oom = 1;
	pb_bytes(b, field, m->p, m->n);
	free(m->p);
	memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------------- */
/* ONNX messages (onnx.proto field numbers) */

enum {
	MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
	MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
	OPSET_DOMAIN = 1, OPSET_VERSION = 2,
	GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
	NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
	ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_INTS = 8, ATTR_TYPE = 20,
	ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS_TYPE = 7,
	TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
	DTYPE_FLOAT = 1,
	VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TTYPE_ELEM = 1, TTYPE_SHAPE = 2,
	SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2,
};

/* a node under construction: inputs, outputs, attributes */
struct node {
	struct pb pb;
};

static void
node_begin(struct node *n, const char *op, const char *name)
{
	memset(n, 0, sizeof *n);
	pb_str(&n->pb, NODE_OP_TYPE, op);
	pb_str(&n->pb, NODE_NAME, name);
}

static void
node_in(struct node *n, const char *tensor)
{
	pb_str(&n->pb, NODE_INPUT, tensor);
}

static void
node_out(struct node *n, const char *tensor)
{
	pb_str(&n->pb, NODE_OUTPUT, tensor);
}

static void
attr_int(struct node *n, const char *name, int64_t v)
{
	struct pb a = { 0 };

	pb_str(&a, ATTR_NAME, name);
	pb_int(&a, ATTR_TYPE, ATTR_INT);
	pb_int(&a, ATTR_I, v);
	pb_msg(&n->pb, NODE_ATTRIBUTE, &a);
}

static void
attr_float(struct node *n, const char *name, float v)
{
	struct pb a = { 0 };

	pb_str(&a, ATTR_NAME, name);
	pb_int(&a, ATTR_TYPE, ATTR_FLOAT);
	pb_float(&a, ATTR_F, v);
	pb_msg(&n->pb, NODE_ATTRIBUTE, &a);
}

static void
attr_str(struct node *n, const char *name, const char *v)
{
	struct pb a = { 0 };

	pb_str(&a, ATTR_NAME, name);
	pb_int(&a, ATTR_TYPE, ATTR_STRING);
	pb_bytes(&a, ATTR_S, v, strlen(v));
	pb_msg(&n->pb, NODE_ATTRIBUTE, &a);
}

/* repeated int64, unpacked: every reader accepts that form */
static void
attr_ints(struct node *n, const char *name, const int64_t *v, int k)
{
	struct pb a = { 0 };
	int i;

	pb_str(&a, ATTR_NAME, name);
	pb_int(&a, ATTR_TYPE, ATTR_INTS_TYPE);
	for (i = 0; i < k; i++)
		pb_int(&a, ATTR_INTS, v[i]);
	pb_msg(&n->pb, NODE_ATTRIBUTE, &a);
}

/* the graph being written: nodes and initializers in file order */
struct graph {
	struct pb body;                 /* GraphProto fields so far */
	const struct net *net;
};

static void
node_end(struct graph *g, struct node *n)
{
	pb_msg(&g->body, GRAPH_NODE, &n->pb);
}

/* a float initializer: dims, then x as little-endian raw data */
static void
initializer(struct graph *g, const char *name, const int64_t *dims, int rank, const float *x,
            size_t count)
{
	struct pb t = { 0 };
	size_t i;
	int k;

	for (k = 0; k < rank; k++)
		pb_int(&t, TENSOR_DIMS, dims[k]);
	pb_int(&t, TENSOR_DATA_TYPE, DTYPE_FLOAT);
	pb_str(&t, TENSOR_NAME, name);
	pb_key(&t, TENSOR_RAW_DATA, WIRE_LEN);
	pb_varint(&t, count * 4);
	for (i = 0; i < count; i++) {
		unsigned char le[4];
		uint32_t u;
		memcpy(&u, &x[i], 4);
		le[0] = u & 0xff, le[1] = u >> 8 & 0xff, le[2] = u >> 16 & 0xff, le[3] = u >> 24;
		pb_raw(&t, le, 4);
	}
	pb_msg(&g->body, GRAPH_INITIALIZER, &t);
}

/* ---------------------------------------------------------------------- */
/* tensor names: the input is "x", the last layer's output "y", any other
 * layer's output "NAME.out"; a cfg name has no '.', so none of these can
 * clash with each other or with a parameter ("NAME.weight") */

struct tname {
	char s[NN_NAME_MAX + 16];
};

static struct tname
out_name(const struct net *net, const struct layer *l)
{
	struct tname t;

	if (l == &net->l[0])
		strcpy(t.s, "x");
	else if (l == &net->l[net->nl - 1])
		strcpy(t.s, "y");
	else
		snprintf(t.s, sizeof t.s, "%s.out", l->name);
	return t;
}

static struct tname
suffixed(const struct layer *l, const char *suffix)
{
	struct tname t;

	snprintf(t.s, sizeof t.s, "%s.%s", l->name, suffix);
	return t;
}

/* an activation node, called node, from tensor in to the layer's output */
static void
emit_act(struct graph *g, const struct layer *l, enum nn_act a, const char *in,
         const char *node)
{
	static const char *const op[] = { [ACT_LINEAR] = "Identity", [ACT_RELU] = "Relu",
	                                  [ACT_SIGMOID] = "Sigmoid" };
	struct node n;

	node_begin(&n, op[a], node);
	node_in(&n, in);
	node_out(&n, out_name(g->net, l).s);
	node_end(g, &n);
}

static void
emit_conv(struct graph *g, const struct layer *l)
{
	const struct conv_opt *o = &l->opt.conv;
	int64_t k = o->size, cin = l->wdims[2], cout = l->wdims[3], span = (k - 1) * o->dilation;
	int64_t dims[4] = { cout, cin, k, k }, ks[2] = { k, k }, dil[2] = { o->dilation, o->dilation };
	int64_t ones[2] = { 1, 1 }, pads[4] = { 0, 0, 0, 0 };
	struct tname w = suffixed(l, "weight"), b = suffixed(l, "bias"), pre = suffixed(l, "conv");
	size_t n = (size_t)(cout * cin * k * k), i;
	float *t = malloc(n * sizeof *t);
	struct node nd;
	int64_t co, ci, y, x;

	if (!t) {
		g->body.oom = 1;
		return;
	}
	/* (KH, KW, Cin, Cout) -> (Cout, Cin, KH, KW) */
	for (i = 0, co = 0; co < cout; co++)
		for (ci = 0; ci < cin; ci++)
			for (y = 0; y < k; y++)
				for (x = 0; x < k; x++)
					t[i++] = l->w[((y * k + x) * cin + ci) * cout + co];
	initializer(g, w.s, dims, 4, t, n);
	free(t);
	if (o->bias)
		initializer(g, b.s, &cout, 1, l->b, (size_t)cout);
	/* 'same': TF's rule, the odd pixel after the image; stride 1 makes
	 * the pads the same for every input size */
	if (o->same) {
		pads[0] = pads[1] = span / 2;
		pads[2] = pads[3] = span - span / 2;
	}
	node_begin(&nd, "Conv", l->name);
	node_in(&nd, out_name(g->net, l->in[0]).s);
	node_in(&nd, w.s);
	if (o->bias)
		node_in(&nd, b.s);
	node_out(&nd, o->act == ACT_LINEAR ? out_name(g->net, l).s : pre.s);
	attr_ints(&nd, "kernel_shape", ks, 2);
	attr_ints(&nd, "dilations", dil, 2);
	attr_ints(&nd, "strides", ones, 2);
	attr_ints(&nd, "pads", pads, 4);
	attr_int(&nd, "group", 1);
	node_end(g, &nd);
	if (o->act != ACT_LINEAR)
		emit_act(g, l, o->act, pre.s, suffixed(l, nn_act_name(o->act)).s);
}

static void
emit_maxpool(struct graph *g, const struct layer *l)
{
	const struct pool_opt *o = &l->opt.pool;
	int64_t ks[2] = { o->size, o->size }, st[2] = { o->stride, o->stride };
	int64_t pads[4] = { 0, 0, 0, 0 };
	struct node n;

	node_begin(&n, "MaxPool", l->name);
	node_in(&n, out_name(g->net, l->in[0]).s);
	node_out(&n, out_name(g->net, l).s);
	attr_ints(&n, "kernel_shape", ks, 2);
	attr_ints(&n, "strides", st, 2);
	/* Keras 'same' pads by an amount that depends on the input size:
	 * SAME_UPPER is that rule (ceil(H / stride) rows, the odd pixel after,
	 * padding never the maximum) */
	if (o->same)
		attr_str(&n, "auto_pad", "SAME_UPPER");
	else
		attr_ints(&n, "pads", pads, 4);
	node_end(g, &n);
}

static void
emit_upsample(struct graph *g, const struct layer *l)
{
	float f = (float)l->opt.scale.size, scales[4] = { 1, 1, f, f };
	int64_t four = 4;
	struct tname s = suffixed(l, "scales");
	struct node n;

	initializer(g, s.s, &four, 1, scales, 4);
	node_begin(&n, "Resize", l->name);
	node_in(&n, out_name(g->net, l->in[0]).s);
	node_in(&n, "");                /* roi: unused by these modes */
	node_in(&n, s.s);
	node_out(&n, out_name(g->net, l).s);
	/* output pixel y reads input floor(y / f): UpSampling2D's nearest */
	attr_str(&n, "mode", "nearest");
	attr_str(&n, "coordinate_transformation_mode", "asymmetric");
	attr_str(&n, "nearest_mode", "floor");
	node_end(g, &n);
}

static void
emit_batchnorm(struct graph *g, const struct layer *l)
{
	int64_t c = (int64_t)l->out.c;
	struct tname gm = suffixed(l, "gamma"), bt = suffixed(l, "beta");
	struct tname mm = suffixed(l, "moving_mean"), mv = suffixed(l, "moving_var");
	struct node n;

	initializer(g, gm.s, &c, 1, l->w, (size_t)c);
	initializer(g, bt.s, &c, 1, l->b, (size_t)c);
	initializer(g, mm.s, &c, 1, l->state, (size_t)c);
	initializer(g, mv.s, &c, 1, l->state + c, (size_t)c);
	node_begin(&n, "BatchNormalization", l->name);
	node_in(&n, out_name(g->net, l->in[0]).s);
	node_in(&n, gm.s);
	node_in(&n, bt.s);
	node_in(&n, mm.s);
	node_in(&n, mv.s);
	node_out(&n, out_name(g->net, l).s);
	attr_float(&n, "epsilon", l->opt.bn.eps);
	/* ONNX's momentum is Keras': moving = moving * momentum + batch * (1 - momentum) */
	attr_float(&n, "momentum", l->opt.bn.momentum);
	node_end(g, &n);
}

static void
emit_relu(struct graph *g, const struct layer *l)
{
	emit_act(g, l, ACT_RELU, out_name(g->net, l->in[0]).s, l->name);
}

static void
emit_sigmoid(struct graph *g, const struct layer *l)
{
	emit_act(g, l, ACT_SIGMOID, out_name(g->net, l->in[0]).s, l->name);
}

static void
emit_linear(struct graph *g, const struct layer *l)
{
	emit_act(g, l, ACT_LINEAR, out_name(g->net, l->in[0]).s, l->name);
}

static void
emit_merge(struct graph *g, const struct layer *l, const char *op)
{
	struct node n;
	int k;

	node_begin(&n, op, l->name);
	for (k = 0; k < l->nin; k++)
		node_in(&n, out_name(g->net, l->in[k]).s);
	node_out(&n, out_name(g->net, l).s);
	if (strcmp(op, "Concat") == 0)
		attr_int(&n, "axis", 1);        /* NCHW channels */
	node_end(g, &n);
}

static void
emit_add(struct graph *g, const struct layer *l)
{
	/* Add takes two inputs; Sum any number, summed left to right */
	emit_merge(g, l, l->nin == 2 ? "Add" : "Sum");
}

static void
emit_concat(struct graph *g, const struct layer *l)
{
	emit_merge(g, l, "Concat");
}

static void
emit_blocks(struct graph *g, const struct layer *l, const char *op)
{
	struct node n;

	node_begin(&n, op, l->name);
	node_in(&n, out_name(g->net, l->in[0]).s);
	node_out(&n, out_name(g->net, l).s);
	attr_int(&n, "blocksize", l->opt.scale.size);
	/* TF's NHWC order is ONNX's DCR: channel (by * b + bx) * C + c */
	if (strcmp(op, "DepthToSpace") == 0)
		attr_str(&n, "mode", "DCR");
	node_end(g, &n);
}

static void
emit_s2d(struct graph *g, const struct layer *l)
{
	emit_blocks(g, l, "SpaceToDepth");
}

static void
emit_d2s(struct graph *g, const struct layer *l)
{
	emit_blocks(g, l, "DepthToSpace");
}

static const struct emitter {
	const struct layer_kind *kind;
	void (*emit)(struct graph *g, const struct layer *l);
} emitters[] = {
	{ .kind = &nn_conv, .emit = emit_conv },
	{ .kind = &nn_maxpool, .emit = emit_maxpool },
	{ .kind = &nn_upsample, .emit = emit_upsample },
	{ .kind = &nn_batchnorm, .emit = emit_batchnorm },
	{ .kind = &nn_relu, .emit = emit_relu },
	{ .kind = &nn_sigmoid, .emit = emit_sigmoid },
	{ .kind = &nn_linear, .emit = emit_linear },
	{ .kind = &nn_add, .emit = emit_add },
	{ .kind = &nn_concat, .emit = emit_concat },
	{ .kind = &nn_space_to_depth, .emit = emit_s2d },
	{ .kind = &nn_depth_to_space, .emit = emit_d2s },
};

/* ValueInfoProto for a float NCHW tensor: batch, height, width symbolic */
static void
value_info(struct pb *graph, unsigned field, const char *name, size_t c, const char *h,
           const char *w)
{
	struct pb v = { 0 }, type = { 0 }, tt = { 0 }, shape = { 0 }, dim = { 0 };

	pb_str(&v, VALUE_NAME, name);
	pb_int(&tt, TTYPE_ELEM, DTYPE_FLOAT);
	pb_str(&dim, DIM_PARAM, "N");
	pb_msg(&shape, SHAPE_DIM, &dim);
	pb_int(&dim, DIM_VALUE, (int64_t)c);
	pb_msg(&shape, SHAPE_DIM, &dim);
	pb_str(&dim, DIM_PARAM, h);
	pb_msg(&shape, SHAPE_DIM, &dim);
	pb_str(&dim, DIM_PARAM, w);
	pb_msg(&shape, SHAPE_DIM, &dim);
	pb_msg(&tt, TTYPE_SHAPE, &shape);
	pb_msg(&type, TYPE_TENSOR, &tt);
	pb_msg(&v, VALUE_TYPE, &type);
	pb_msg(graph, field, &v);
}

int
onnx_export(const struct net *net, unsigned char **buf, size_t *n, struct nn_error *err)
{
	struct graph g = { { 0 }, net };
	struct pb model = { 0 }, opset = { 0 };
	const struct layer *last = &net->l[net->nl - 1];
	size_t i;
	int k;

	memset(err, 0, sizeof *err);
	*buf = NULL;
	*n = 0;
	pb_str(&g.body, GRAPH_NAME, "dae");
	for (k = 1; k < net->nl; k++) {
		const struct layer *l = &net->l[k];
		for (i = 0; i < sizeof emitters / sizeof emitters[0]; i++)
			if (emitters[i].kind == l->kind)
				break;
		if (i == sizeof emitters / sizeof emitters[0]) {
			free(g.body.p);
			return nn_errorf(err, l->line, "[%s] %s: no ONNX form for this layer kind",
			                 l->kind->name, l->name);
		}
		emitters[i].emit(&g, l);
	}
	value_info(&g.body, GRAPH_INPUT, "x", net->in.c, "H", "W");
	value_info(&g.body, GRAPH_OUTPUT, "y", last->out.c, "H_out", "W_out");

	pb_int(&model, MODEL_IR_VERSION, ONNX_IR_VERSION);
	pb_str(&model, MODEL_PRODUCER_NAME, "dae");
	pb_str(&model, MODEL_PRODUCER_VERSION, VERSION);
	pb_msg(&model, MODEL_GRAPH, &g.body);
	pb_str(&opset, OPSET_DOMAIN, "");
	pb_int(&opset, OPSET_VERSION, ONNX_OPSET);
	pb_msg(&model, MODEL_OPSET_IMPORT, &opset);
	if (model.oom) {
		free(model.p);
		return nn_errorf(err, 0, "out of memory writing the ONNX model");
	}
	*buf = model.p;
	*n = model.n;
	return 0;
}
