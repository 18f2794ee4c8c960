"""make_golden.py: golden tensors for the C network engine, computed with Keras
(the tutorial's framework) and cross-checked with PyTorch.

What it writes (tensor(5) streams, float32, NHWC; see README.md for every name):
  tests/golden/layers.ts  one case per layer kind on small odd shapes (N=2, H=5,
                          W=7): inputs, parameters, a random upstream gradient
                          dy, the output and the gradients (vector-Jacobian
                          products with dy) of inputs and parameters; also the
                          MSE loss, BatchNormalization's moving-statistics
                          update and three Keras Adam steps.
  tests/golden/seed.ts    the tutorial's network at N=2, H=12, W=20: initial
                          weights, input, target, training-mode output, loss,
                          every gradient, the parameters after one and after
                          three Keras Adam steps (train_on_batch, as fit()
                          does), and the inference-mode output after three.

What it is not: a test. The C tests read the files and never run Python. The
PyTorch cross-check below only prints (and asserts) that an independent
framework, given the same weights, agrees with Keras: the files encode the
semantics, not one framework's quirks. Nothing from PyTorch is written.

How to run, from the top of the repository:
    /work/venv/bin/python tests/golden/make_golden.py          write both files
    /work/venv/bin/python tests/golden/make_golden.py --check  compare, write nothing
It is deterministic: fixed numpy seeds, weights drawn by numpy (glorot uniform,
as Keras draws them, but not from Keras' generator), TensorFlow on one thread
with op determinism and without oneDNN (the Eigen kernels TF ships are
compiled for one ISA, so the bytes do not depend on the CPU's dispatch). A
rerun reproduces the committed files byte for byte with the versions in
README.md; --check says so, or prints the largest difference per record.
Tested with tensorflow-cpu 2.21, Keras 3.15, torch 2.15, numpy 2.4.
"""
import argparse
import os
import sys

# Before TensorFlow is imported: one thread, deterministic kernels, no oneDNN
# (its kernels are chosen at run time by CPU, which would make bytes machine
# dependent), no GPU, quiet logs.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_DETERMINISTIC_OPS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# torch.optim and use_deterministic_algorithms load triton, which carries its
# own LLVM; loaded after TensorFlow's, the two register the same options and
# the process aborts ("LLVM ERROR: inconsistency in registered CommandLine
# options"). Loading them first is fine.
torch.use_deterministic_algorithms(True)
_p = torch.zeros(1, requires_grad=True)
_p.grad = torch.ones(1)
torch.optim.Adam([_p]).step()
del _p

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsio  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32

# The tutorial's training hyperparameters: Keras defaults for Adam and
# BatchNormalization, MSE loss.
LR, BETA1, BETA2, ADAM_EPS = 1e-3, 0.9, 0.999, 1e-7
BN_MOMENTUM, BN_EPS = 0.99, 1e-3

# Agreement asked of PyTorch (float32) against Keras (float32): max |a-b| over
# max |b|, per tensor.
XTOL = 1e-5
# ... and, absolutely, for parameters after Adam steps (see seed_cases)
STEP_ATOL = 1e-5


def rel(a, b):
    """max |a-b| / max |b|, the figure every comparison below prints."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def t2n(t):
    return t.detach().cpu().numpy()


class Report:
    """Collects cross-check figures, prints them, remembers the worst."""

    def __init__(self):
        self.failed = []

    def check(self, what, got, want, tol=XTOL):
        r = rel(got, want)
        ok = r <= tol
        print("  %-34s rel %.2e %s" % (what, r, "ok" if ok else "FAIL (tol %.0e)" % tol))
        if not ok:
            self.failed.append(what)
        return r


REPORT = Report()


# ----------------------------------------------------------------------------
# layer cases: Keras computes, PyTorch cross-checks

N, H, W = 2, 5, 7


def keras_vjp(fn, inputs, params, dy_seed):
    """Run fn(inputs) under a tape; return y, dy, d inputs, d params.
    inputs, params: lists of tf.Variable. dy ~ N(0,1) from dy_seed."""
    with tf.GradientTape() as tape:
        y = fn()
    dy = np.random.default_rng(dy_seed).standard_normal(y.shape).astype(F32)
    g = tape.gradient(y, inputs + params, output_gradients=tf.constant(dy))
    return y.numpy(), dy, [x.numpy() for x in g[:len(inputs)]], [x.numpy() for x in g[len(inputs):]]


def torch_vjp(fn, inputs, params, dy, dtype=torch.float32):
    """The same with PyTorch: fn takes NHWC tensors and Keras-layout params."""
    ti = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in inputs]
    tp = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in params]
    y = fn(ti, tp)
    y.backward(torch.tensor(dy, dtype=dtype))
    return t2n(y), [t2n(x.grad) for x in ti], [t2n(x.grad) for x in tp]


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def torch_conv(x, w, b, padding, dilation=1, act=None):
    """x NHWC, w Keras (KH, KW, Cin, Cout) -> torch (Cout, Cin, KH, KW)."""
    y = F.conv2d(nchw(x), w.permute(3, 2, 0, 1), b, padding=padding, dilation=dilation)
    if act == "relu":
        y = torch.relu(y)
    elif act == "sigmoid":
        y = torch.sigmoid(y)
    return nhwc(y)


def torch_maxpool_same(x):
    """Keras MaxPooling2D((2,2), padding='same'): an odd size is padded by
    one at the end (bottom, right) with -inf, never at the start."""
    x = nchw(x)
    x = F.pad(x, (0, x.shape[3] % 2, 0, x.shape[2] % 2), value=float("-inf"))
    return nhwc(F.max_pool2d(x, 2, 2))


def torch_upsample(x):
    return nhwc(F.interpolate(nchw(x), scale_factor=2, mode="nearest"))


def torch_d2s(x, r=2):
    """tf.nn.depth_to_space, NHWC, DCR: out[h*r+i, w*r+j, c] = in[h, w, (i*r+j)*C + c]."""
    n, h, w, c = x.shape
    return x.reshape(n, h, w, r, r, c // (r * r)).permute(0, 1, 3, 2, 4, 5).reshape(n, h * r, w * r, c // (r * r))


def torch_s2d(x, r=2):
    """tf.nn.space_to_depth, NHWC: the inverse of torch_d2s."""
    n, h, w, c = x.shape
    return x.reshape(n, h // r, r, w // r, r, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h // r, w // r, c * r * r)


def conv_case(name, seed, cin, cout, k, padding, dilation=1, act=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, H, W, cin)).astype(F32)
    w = rng.uniform(-0.5, 0.5, (k, k, cin, cout)).astype(F32)
    b = rng.uniform(-0.5, 0.5, (cout,)).astype(F32)
    layer = layers.Conv2D(cout, (k, k), padding=padding, dilation_rate=dilation, activation=act)
    layer.build((None, H, W, cin))
    layer.kernel.assign(w)
    layer.bias.assign(b)
    xv = tf.Variable(x)
    y, dy, (dx,), (dw, db) = keras_vjp(lambda: layer(xv), [xv], [layer.kernel, layer.bias], seed + 1)
    tpad = "same" if padding == "same" else 0
    ty, (tdx,), (tdw, tdb) = torch_vjp(lambda i, p: torch_conv(i[0], p[0], p[1], tpad, dilation, act), [x], [w, b], dy)
    print(name)
    for what, a, e in (("y", ty, y), ("dx", tdx, dx), ("dweight", tdw, dw), ("dbias", tdb, db)):
        REPORT.check(name + "." + what, a, e)
    return [("x", x), ("weight", w), ("bias", b), ("y", y), ("dy", dy), ("dx", dx), ("dweight", dw), ("dbias", db)]


def unary_case(name, seed, keras_layer, torch_fn, shape=(N, H, W, 3), scale=1.0):
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal(shape)).astype(F32)
    xv = tf.Variable(x)
    y, dy, (dx,), _ = keras_vjp(lambda: keras_layer(xv), [xv], [], seed + 1)
    ty, (tdx,), _ = torch_vjp(lambda i, p: torch_fn(i[0]), [x], [], dy)
    print(name)
    REPORT.check(name + ".y", ty, y)
    REPORT.check(name + ".dx", tdx, dx)
    return [("x", x), ("y", y), ("dy", dy), ("dx", dx)]


def binary_case(name, seed, keras_layer, torch_fn, c0, c1):
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((N, H, W, c0)).astype(F32)
    x1 = rng.standard_normal((N, H, W, c1)).astype(F32)
    v0, v1 = tf.Variable(x0), tf.Variable(x1)
    y, dy, (dx0, dx1), _ = keras_vjp(lambda: keras_layer([v0, v1]), [v0, v1], [], seed + 1)
    ty, (tdx0, tdx1), _ = torch_vjp(lambda i, p: torch_fn(i[0], i[1]), [x0, x1], [], dy)
    print(name)
    REPORT.check(name + ".y", ty, y)
    REPORT.check(name + ".dx0", tdx0, dx0)
    REPORT.check(name + ".dx1", tdx1, dx1)
    return [("x0", x0), ("x1", x1), ("y", y), ("dy", dy), ("dx0", dx0), ("dx1", dx1)]


def bn_case(name, seed, training, c=4):
    rng = np.random.default_rng(seed)
    x = (2.0 * rng.standard_normal((N, H, W, c)) + 0.7).astype(F32)
    gamma = rng.uniform(0.5, 1.5, c).astype(F32)
    beta = rng.uniform(-0.5, 0.5, c).astype(F32)
    mm = rng.uniform(-0.5, 0.5, c).astype(F32)
    mv = rng.uniform(0.5, 2.0, c).astype(F32)
    layer = layers.BatchNormalization()
    layer.build((None, H, W, c))
    for var, val in ((layer.gamma, gamma), (layer.beta, beta), (layer.moving_mean, mm), (layer.moving_variance, mv)):
        var.assign(val)
    xv = tf.Variable(x)
    y, dy, (dx,), (dg, db) = keras_vjp(lambda: layer(xv, training=training), [xv], [layer.gamma, layer.beta], seed + 1)
    new_mm, new_mv = layer.moving_mean.numpy(), layer.moving_variance.numpy()

    rm, rv = torch.tensor(mm), torch.tensor(mv)

    def tfn(i, p):
        # torch's momentum is the weight of the new batch: 1 - Keras' 0.99
        return nhwc(F.batch_norm(nchw(i[0]), rm, rv, p[0], p[1], training=training,
                                 momentum=1 - BN_MOMENTUM, eps=BN_EPS))
    ty, (tdx,), (tdg, tdb) = torch_vjp(tfn, [x], [gamma, beta], dy)
    print(name)
    for what, a, e in (("y", ty, y), ("dx", tdx, dx), ("dgamma", tdg, dg), ("dbeta", tdb, db)):
        REPORT.check(name + "." + what, a, e)
    out = [("x", x), ("gamma", gamma), ("beta", beta), ("moving_mean", mm), ("moving_var", mv),
           ("y", y), ("dy", dy), ("dx", dx), ("dgamma", dg), ("dbeta", db)]
    if training:
        n = N * H * W
        REPORT.check(name + ".new_moving_mean", t2n(rm), new_mm)
        # Keras feeds the biased batch variance into the moving average;
        # torch feeds the unbiased one. Undo torch's n/(n-1) to agree.
        # Compared: the increments (new - 0.99 * old), which differ by n/(n-1).
        raw = rel(t2n(rv) - BN_MOMENTUM * mv, new_mv - BN_MOMENTUM * mv)
        fixed = BN_MOMENTUM * mv + (t2n(rv) - BN_MOMENTUM * mv) * (n - 1) / n
        print("  %-34s rel %.2e (torch's increment, unbiased: n/(n-1) = %.4f)"
              % (name + ".new_moving_var", raw, n / (n - 1)))
        REPORT.check(name + ".new_moving_var*(n-1)/n", fixed, new_mv)
        assert raw > 0.5 / n, "expected Keras' moving variance to use the biased batch variance"
        bvar = x.astype(np.float64).var(axis=(0, 1, 2))
        REPORT.check(name + ".new_moving_var(numpy)", BN_MOMENTUM * mv + (1 - BN_MOMENTUM) * bvar, new_mv)
        out += [("new_moving_mean", new_mm), ("new_moving_var", new_mv)]
    return out


def mse_case(name, seed):
    rng = np.random.default_rng(seed)
    pred = rng.uniform(0, 1, (N, H, W, 3)).astype(F32)
    target = rng.uniform(0, 1, (N, H, W, 3)).astype(F32)
    pv = tf.Variable(pred)
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(tf.constant(target), pv)
    dpred = tape.gradient(loss, pv).numpy()
    loss = np.array([loss.numpy()], F32)
    tp = torch.tensor(pred, requires_grad=True)
    tl = F.mse_loss(tp, torch.tensor(target))
    tl.backward()
    print(name)
    REPORT.check(name + ".loss", t2n(tl).reshape(1), loss)
    REPORT.check(name + ".dpred", t2n(tp.grad), dpred)
    REPORT.check(name + ".loss(numpy)", np.mean((pred.astype(np.float64) - target) ** 2), loss)
    return [("pred", pred), ("target", target), ("loss", loss), ("dpred", dpred)]


def keras_adam_form(p, grads):
    """Keras 3 Adam, float32, written out: the reference for both frameworks."""
    p = torch.tensor(p)
    m = torch.zeros_like(p)
    v = torch.zeros_like(p)
    out = []
    for t, g in enumerate(grads, 1):
        g = torch.tensor(g)
        b1t = torch.tensor(BETA1, dtype=torch.float32) ** t
        b2t = torch.tensor(BETA2, dtype=torch.float32) ** t
        alpha = torch.tensor(LR, dtype=torch.float32) * torch.sqrt(1 - b2t) / (1 - b1t)
        m += (g - m) * (1 - BETA1)
        v += (g * g - v) * (1 - BETA2)
        p -= m * alpha / (torch.sqrt(v) + ADAM_EPS)
        out.append(t2n(p).copy())
    return out


def adam_case(name, seed, n=64):
    """Three Keras Adam steps on one vector; gradient magnitudes from 1e-9 to
    1, some exactly 0, so that where epsilon enters shows."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(-1, 1, n).astype(F32)
    grads = []
    for _ in range(3):
        g = (np.sign(rng.standard_normal(n)) * 10.0 ** rng.uniform(-9, 0, n)).astype(F32)
        g[rng.integers(0, n, 4)] = 0
        grads.append(g)
    opt = keras.optimizers.Adam(learning_rate=LR, beta_1=BETA1, beta_2=BETA2, epsilon=ADAM_EPS)
    var = keras.Variable(p0)
    steps = []
    for g in grads:
        opt.apply([tf.constant(g)], [var])
        steps.append(var.numpy().copy())
    print(name)
    ref = keras_adam_form(p0, grads)
    for t in range(3):
        # the changes are about 1e-3 on values about 1, so one ulp of p is
        # about 3e-5 of the change
        REPORT.check("%s.p%d (Keras form, torch)" % (name, t + 1), ref[t] - p0, steps[t] - p0, tol=1e-4)
    tp = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.Adam([tp], lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
    print("  %-34s rel %.2e (torch.optim.Adam: eps after bias correction)" % (name + ".p3", rel(t2n(tp) - p0, steps[2] - p0)))
    out = [("p0", p0)] + [("g%d" % (t + 1), g) for t, g in enumerate(grads)]
    out += [("p%d" % (t + 1), s) for t, s in enumerate(steps)]
    out += [("lr", np.array([LR], F32)), ("beta1", np.array([BETA1], F32)),
            ("beta2", np.array([BETA2], F32)), ("epsilon", np.array([ADAM_EPS], F32))]
    return out


def layer_cases():
    """Every case as (prefix, [(suffix, array)]). Seeds are fixed per case so a
    new case never changes an old one."""
    cases = [
        ("conv_same", conv_case("conv_same", 100, 3, 4, 3, "same")),
        ("conv_valid", conv_case("conv_valid", 110, 3, 4, 3, "valid")),
        ("conv_dil2", conv_case("conv_dil2", 120, 3, 4, 3, "same", dilation=2)),
        ("conv5_same", conv_case("conv5_same", 130, 3, 4, 5, "same")),
        ("conv1x1", conv_case("conv1x1", 140, 3, 4, 1, "same")),
        ("conv_relu", conv_case("conv_relu", 150, 3, 4, 3, "same", act="relu")),
        ("conv_sigmoid", conv_case("conv_sigmoid", 160, 3, 4, 3, "same", act="sigmoid")),
        ("maxpool_same", unary_case("maxpool_same", 200, layers.MaxPooling2D((2, 2), padding="same"),
                                    torch_maxpool_same)),
        ("maxpool_valid", unary_case("maxpool_valid", 210, layers.MaxPooling2D((2, 2), padding="valid"),
                                     lambda x: nhwc(F.max_pool2d(nchw(x), 2, 2)))),
        ("upsample", unary_case("upsample", 220, layers.UpSampling2D((2, 2)), torch_upsample)),
        ("bn_train", bn_case("bn_train", 300, True)),
        ("bn_infer", bn_case("bn_infer", 310, False)),
        ("relu", unary_case("relu", 400, layers.Activation("relu"), torch.relu)),
        ("sigmoid", unary_case("sigmoid", 410, layers.Activation("sigmoid"), torch.sigmoid, scale=3.0)),
        ("add", binary_case("add", 420, layers.Add(), lambda a, b: a + b, 3, 3)),
        ("concat", binary_case("concat", 430, layers.Concatenate(axis=-1), lambda a, b: torch.cat([a, b], 3), 3, 5)),
        ("mse", mse_case("mse", 500)),
        ("d2s", unary_case("d2s", 600, lambda x: tf.nn.depth_to_space(x, 2), torch_d2s, shape=(N, H, W, 12))),
        ("s2d", unary_case("s2d", 610, lambda x: tf.nn.space_to_depth(x, 2), torch_s2d, shape=(N, 6, 8, 3))),
        ("adam", adam_case("adam", 700)),
    ]
    # The pooling pad side shows: padding at the start, or with 0 instead of
    # -inf, gives other numbers on these inputs (which are partly negative).
    mp = dict(cases[7][1])
    x = nchw(torch.tensor(mp["x"]))
    start = nhwc(F.max_pool2d(F.pad(x, (1, 0, 1, 0), value=float("-inf")), 2, 2))
    zero = nhwc(F.max_pool2d(F.pad(x, (0, 1, 0, 1), value=0.0), 2, 2))
    print("maxpool_same, pad at the start:   rel %.2e (differs: Keras pads at the end)" % rel(t2n(start), mp["y"]))
    print("maxpool_same, pad with 0:         rel %.2e (differs: the pad is -inf)" % rel(t2n(zero), mp["y"]))
    assert rel(t2n(start), mp["y"]) > 0.1 and rel(t2n(zero), mp["y"]) > 0.01
    # torch's pixel_shuffle (NCHW) orders channels C,r,r ("CRD"), TF's
    # depth_to_space r,r,C ("DCR"): the same only for one output channel.
    x = torch.tensor(cases[-3][1][0][1])
    ps = nhwc(F.pixel_shuffle(nchw(x), 2))
    print("d2s vs torch pixel_shuffle (CRD):  rel %.2e (differs: TF is DCR)" % rel(t2n(ps), cases[-3][1][1][1]))
    return [(p + "." + s, a) for p, recs in cases for s, a in recs]


# ----------------------------------------------------------------------------
# the tutorial's network

# (index, kind, options); kinds: conv (filters, activation, padding), pool,
# bn, up. The order and options are the tutorial's create_model().
SEED_NET = [
    (0, "conv", (64, "relu", "same")), (1, "pool", None), (2, "bn", None),
    (3, "conv", (32, "relu", "same")), (4, "pool", None), (5, "bn", None),
    (6, "conv", (16, "relu", "same")), (7, "pool", None),
    (8, "conv", (64, "relu", "same")), (9, "up", None),
    (10, "conv", (32, "relu", "same")), (11, "up", None),
    (12, "conv", (16, "relu", "valid")), (13, "up", None),
    (14, "conv", (3, "sigmoid", "same")),
]
SN, SH, SW = 2, 12, 20
BN_NAMES = ("gamma", "beta", "moving_mean", "moving_var")


def seed_param_shapes():
    """[(name, shape, trainable)] in layer order: the order of the files too."""
    out = []
    c = 3
    for i, kind, opt in SEED_NET:
        if kind == "conv":
            out += [("L%d.weight" % i, (3, 3, c, opt[0]), True), ("L%d.bias" % i, (opt[0],), True)]
            c = opt[0]
        elif kind == "bn":
            out += [("L%d.%s" % (i, n), (c,), n in ("gamma", "beta")) for n in BN_NAMES]
    return out


def seed_init(seed=1):
    """Glorot uniform kernels (limit sqrt(6 / (fan_in + fan_out)), fan =
    KH*KW*C), zero biases, BatchNormalization's defaults."""
    rng = np.random.default_rng(seed)
    p = {}
    for name, shape, _ in seed_param_shapes():
        kind = name.split(".")[1]
        if kind == "weight":
            kh, kw, cin, cout = shape
            lim = np.sqrt(6.0 / (kh * kw * cin + kh * kw * cout))
            p[name] = rng.uniform(-lim, lim, shape).astype(F32)
        elif kind in ("gamma", "moving_var"):
            p[name] = np.ones(shape, F32)
        else:
            p[name] = np.zeros(shape, F32)
    return p


def keras_seed_model():
    x = keras.Input((SH, SW, 3))
    y = x
    for i, kind, opt in SEED_NET:
        if kind == "conv":
            y = layers.Conv2D(opt[0], (3, 3), activation=opt[1], padding=opt[2], name="L%d" % i)(y)
        elif kind == "pool":
            y = layers.MaxPooling2D((2, 2), padding="same", name="L%d" % i)(y)
        elif kind == "bn":
            y = layers.BatchNormalization(name="L%d" % i)(y)
        else:
            y = layers.UpSampling2D((2, 2), name="L%d" % i)(y)
    return keras.Model(x, y)


def keras_vars(model):
    """Our names -> the model's variables."""
    v = {}
    for i, kind, _ in SEED_NET:
        layer = model.get_layer("L%d" % i)
        if kind == "conv":
            v["L%d.weight" % i], v["L%d.bias" % i] = layer.kernel, layer.bias
        elif kind == "bn":
            v["L%d.gamma" % i], v["L%d.beta" % i] = layer.gamma, layer.beta
            v["L%d.moving_mean" % i], v["L%d.moving_var" % i] = layer.moving_mean, layer.moving_variance
    return v


def set_params(model, p):
    for name, var in keras_vars(model).items():
        var.assign(p[name])


def get_params(model):
    return {name: var.numpy().copy() for name, var in keras_vars(model).items()}


def keras_train_forward(model, p, x, t):
    """Training-mode output, loss and gradients at parameters p. The call
    updates the moving statistics; p is put back afterwards."""
    set_params(model, p)
    v = keras_vars(model)
    names = [n for n, _, tr in seed_param_shapes() if tr]
    with tf.GradientTape() as tape:
        y = model(tf.constant(x), training=True)
        loss = keras.losses.MeanSquaredError()(tf.constant(t), y)
    grads = tape.gradient(loss, [v[n] for n in names])
    set_params(model, p)
    return y.numpy(), np.array([loss.numpy()], F32), {n: g.numpy() for n, g in zip(names, grads)}


class TorchSeed(torch.nn.Module):
    """The same network in PyTorch, NCHW inside, NHWC at the edges."""

    def __init__(self, p, dtype=torch.float32, ceil_pool=False):
        super().__init__()
        self.ceil_pool = ceil_pool
        self.prev_var = {}
        self.mods = torch.nn.ModuleDict()
        c = 3
        for i, kind, opt in SEED_NET:
            if kind == "conv":
                m = torch.nn.Conv2d(c, opt[0], 3, padding=1 if opt[2] == "same" else 0)
                m.weight.data = torch.tensor(p["L%d.weight" % i]).permute(3, 2, 0, 1).contiguous().to(dtype)
                m.bias.data = torch.tensor(p["L%d.bias" % i]).to(dtype)
                c = opt[0]
            elif kind == "bn":
                # torch's momentum weighs the new batch: 1 - 0.99
                m = torch.nn.BatchNorm2d(c, eps=BN_EPS, momentum=1 - BN_MOMENTUM)
                m.weight.data = torch.tensor(p["L%d.gamma" % i]).to(dtype)
                m.bias.data = torch.tensor(p["L%d.beta" % i]).to(dtype)
                m.running_mean.data = torch.tensor(p["L%d.moving_mean" % i]).to(dtype)
                m.running_var.data = torch.tensor(p["L%d.moving_var" % i]).to(dtype)
            else:
                continue
            self.mods["L%d" % i] = m

    def forward(self, x):
        x = nchw(x)
        for i, kind, opt in SEED_NET:
            if kind == "conv":
                x = self.mods["L%d" % i](x)
                x = torch.relu(x) if opt[1] == "relu" else torch.sigmoid(x)
            elif kind == "pool":
                if self.ceil_pool:
                    x = F.max_pool2d(x, 2, 2, ceil_mode=True)
                else:
                    x = nchw(torch_maxpool_same(nhwc(x)))
            elif kind == "bn":
                m = self.mods["L%d" % i]
                if self.training:
                    self.prev_var[i] = (m.running_var.clone(), x.numel() // x.shape[1])
                x = m(x)
            else:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
        return nhwc(x)

    def keras_moving_var(self):
        """Keras feeds the biased batch variance into the moving variance,
        torch the unbiased one: undo torch's n/(n-1). Called after backward,
        which still needs running_var as it was."""
        with torch.no_grad():
            for i, (prev, n) in self.prev_var.items():
                rv = self.mods["L%d" % i].running_var
                rv.copy_(BN_MOMENTUM * prev + (rv - BN_MOMENTUM * prev) * (n - 1) / n)
        self.prev_var = {}

    def params(self):
        """Our names -> tensors, Keras layout (views, for reading)."""
        out = {}
        for i, kind, _ in SEED_NET:
            m = self.mods["L%d" % i] if "L%d" % i in self.mods else None
            if kind == "conv":
                out["L%d.weight" % i] = m.weight.permute(2, 3, 1, 0)
                out["L%d.bias" % i] = m.bias
            elif kind == "bn":
                out["L%d.gamma" % i], out["L%d.beta" % i] = m.weight, m.bias
                out["L%d.moving_mean" % i], out["L%d.moving_var" % i] = m.running_mean, m.running_var
        return out

    def grads(self):
        out = {}
        for i, kind, _ in SEED_NET:
            if kind == "conv":
                m = self.mods["L%d" % i]
                out["L%d.weight" % i] = m.weight.grad.permute(2, 3, 1, 0)
                out["L%d.bias" % i] = m.bias.grad
            elif kind == "bn":
                m = self.mods["L%d" % i]
                out["L%d.gamma" % i], out["L%d.beta" % i] = m.weight.grad, m.bias.grad
        return out


def torch_train(p, x, t, steps, dtype=torch.float32, ceil_pool=False):
    """Forward, loss, gradients at p, then `steps` Keras-form Adam steps on
    the same batch. Returns (y, loss, grads) before the first step, {step:
    params} after each, and the inference-mode output after the last."""
    net = TorchSeed(p, dtype, ceil_pool).train()
    tx, tt = torch.tensor(x, dtype=dtype), torch.tensor(t, dtype=dtype)
    trainable = [n for n, _, tr in seed_param_shapes() if tr]
    state = {}
    snaps = {}
    first = None
    for step in range(1, steps + 1):
        net.zero_grad()
        y = net(tx)
        loss = F.mse_loss(y, tt)
        loss.backward()
        net.keras_moving_var()
        if first is None:
            first = (t2n(y), t2n(loss).reshape(1), {n: t2n(g).copy() for n, g in net.grads().items()})
        pv, gv = net.params(), net.grads()
        with torch.no_grad():
            one = torch.tensor(1.0, dtype=dtype)
            b1t = torch.tensor(BETA1, dtype=dtype) ** step
            b2t = torch.tensor(BETA2, dtype=dtype) ** step
            alpha = torch.tensor(LR, dtype=dtype) * torch.sqrt(one - b2t) / (one - b1t)
            for n in trainable:
                g = gv[n]
                m, v = state.setdefault(n, (torch.zeros_like(g), torch.zeros_like(g)))
                m += (g - m) * (1 - BETA1)
                v += (g * g - v) * (1 - BETA2)
                pv[n] -= m * alpha / (torch.sqrt(v) + ADAM_EPS)
        snaps[step] = {n: t2n(a).copy() for n, a in net.params().items()}
    net.eval()
    with torch.no_grad():
        infer_y = t2n(net(tx))
    return first, snaps, infer_y


def seed_cases(step3_params):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (SN, SH, SW, 3)).astype(F32)
    t = rng.uniform(0, 1, (SN, SH, SW, 3)).astype(F32)
    p0 = seed_init()
    shapes = seed_param_shapes()
    names = [n for n, _, _ in shapes]
    trainable = [n for n, _, tr in shapes if tr]

    model = keras_seed_model()
    nparams = model.count_params()
    assert nparams == 58067, nparams
    set_params(model, p0)
    infer0 = model(tf.constant(x), training=False).numpy()
    y0, loss0, g0 = keras_train_forward(model, p0, x, t)

    # What fit() does, one batch at a time.
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR, beta_1=BETA1, beta_2=BETA2, epsilon=ADAM_EPS),
                  loss="mse", jit_compile=False)
    set_params(model, p0)
    snaps = {}
    fit_loss = []
    for step in range(1, 4):
        fit_loss.append(model.train_on_batch(x, t))
        snaps[step] = get_params(model)
    infer3 = model(tf.constant(x), training=False).numpy()
    # the training-mode loss at the parameters after each step, computed as
    # "loss" was (train_on_batch reports the loss before its step)
    loss1 = keras_train_forward(model, snaps[1], x, t)[1]
    loss3 = keras_train_forward(model, snaps[3], x, t)[1]
    infer_loss3 = np.array([np.mean((infer3.astype(np.float64) - t) ** 2)], F32)

    print("seed network, Keras: %d parameters; loss %.7f, after 1 step %.7f, after 3 %.7f"
          % (nparams, loss0[0], loss1[0], loss3[0]))
    REPORT.check("train_on_batch loss, step 1", np.float32(fit_loss[0]), loss0[0])
    REPORT.check("train_on_batch loss, step 2", np.float32(fit_loss[1]), loss1[0])

    # The cross-check: the same weights in PyTorch, float32 and float64.
    print("seed network, PyTorch float32 vs Keras float32:")
    (ty, tloss, tg), tsnaps, tinfer = torch_train(p0, x, t, 3)
    REPORT.check("y (training mode)", ty, y0)
    REPORT.check("loss", tloss, loss0)
    worst = max(REPORT.check("grad." + n, tg[n], g0[n]) for n in trainable)
    print("  worst gradient rel %.2e" % worst)
    for step in (1, 3):
        # Adam's first steps move each parameter by about lr = 1e-3 whatever
        # the size of its gradient, so a gradient that is float noise (L0 and
        # L3 biases feed max pooling and batch normalisation, which cancel a
        # per-channel shift: many of their gradients are 1e-9 where the exact
        # value is 0) still moves by up to about 3e-7. Compared absolutely.
        worst = max(float(np.max(np.abs(tsnaps[step][n] - snaps[step][n]))) for n in names)
        ok = worst <= STEP_ATOL
        print("  %-34s max |diff| %.2e %s" % ("step%d.* (all parameters)" % step, worst,
                                              "ok" if ok else "FAIL (tol %.0e)" % STEP_ATOL))
        if not ok:
            REPORT.failed.append("step%d" % step)
    REPORT.check("step3.infer_y", tinfer, infer3, tol=1e-4)
    (cy, _, _), _, _ = torch_train(p0, x, t, 1, ceil_pool=True)
    REPORT.check("y with ceil_mode pooling", cy, y0)

    print("seed network, float64 (PyTorch) as the exact answer:")
    (dy64, dl64, dg64), dsnaps, dinfer = torch_train(p0, x, t, 3, dtype=torch.float64)
    print("  %-34s Keras %.2e  torch f32 %.2e" % ("y", rel(y0, dy64), rel(ty, dy64)))
    print("  %-34s Keras %.2e  torch f32 %.2e" % ("loss", rel(loss0, dl64), rel(tloss, dl64)))
    print("  %-34s Keras %.2e  torch f32 %.2e" % ("worst gradient", max(rel(g0[n], dg64[n]) for n in trainable),
                                                   max(rel(tg[n], dg64[n]) for n in trainable)))
    print("  %-34s Keras %.2e  torch f32 %.2e (max |diff|)" % (
        "step3 params", max(float(np.max(np.abs(snaps[3][n] - dsnaps[3][n]))) for n in names),
        max(float(np.max(np.abs(tsnaps[3][n] - dsnaps[3][n]))) for n in names)))
    print("  %-34s Keras %.2e  torch f32 %.2e" % ("step3.infer_y", rel(infer3, dinfer), rel(tinfer, dinfer)))

    recs = [("x", x), ("t", t)]
    recs += [(n, p0[n]) for n in names]
    recs += [("infer_y", infer0), ("y", y0), ("loss", loss0)]
    recs += [("grad." + n, g0[n]) for n in trainable]
    recs += [("step1." + n, snaps[1][n]) for n in names] + [("step1.loss", loss1)]
    # All of step3's parameters would add 232 kB (the three sets above are
    # already 0.7 MB); by default only the moving statistics are kept and the
    # three steps are checked through step3.loss and step3.infer_y, with the
    # adam case of layers.ts pinning down the optimizer itself.
    recs += [("step3." + n, snaps[3][n]) for n, _, tr in shapes if step3_params or not tr]
    recs += [("step3.loss", loss3)]
    recs += [("step3.infer_y", infer3), ("step3.infer_loss", infer_loss3)]
    return recs


# ----------------------------------------------------------------------------


def check_records(path, recs):
    """Round trip: what is on disk is exactly recs."""
    back = tsio.loads(open(path, "rb").read())
    assert [n for n, _ in back] == [n for n, _ in recs], path
    for (n, a), (_, b) in zip(recs, back):
        a = np.asarray(a, F32).reshape(np.shape(a) or (1,))
        assert a.shape == b.shape and a.tobytes() == b.tobytes(), "%s: %s differs after reading back" % (path, n)


def emit(path, recs, check):
    for n, a in recs:
        assert np.asarray(a).dtype == F32, n
    data = tsio.dumps(recs)
    if check:
        try:
            old = open(path, "rb").read()
        except OSError as e:
            print("%s: %s" % (path, e.strerror))
            return False
        if old == data:
            print("%s: identical (%d bytes)" % (path, len(data)))
            return True
        print("%s: differs" % path)
        oldr = dict(tsio.loads(old))
        for n, a in recs:
            a = np.asarray(a).reshape(np.shape(a) or (1,))
            if n not in oldr or oldr[n].shape != a.shape:
                print("  %s: missing or reshaped" % n)
            elif oldr[n].tobytes() != a.tobytes():
                print("  %s: max |diff| %.3e, rel %.3e" % (n, np.max(np.abs(oldr[n] - a)), rel(oldr[n], a)))
        return False
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    check_records(path, recs)
    print("%s: %d records, %d bytes" % (path, len(recs), len(data)))
    return True


def main():
    ap = argparse.ArgumentParser(description="write the golden tensor files (see the top of this file)")
    ap.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    ap.add_argument("--step3-params", action="store_true",
                    help="also write every parameter after step 3 (232 kB more; not in the committed file)")
    ap.add_argument("--outdir", default=HERE, help="where to write (default: beside this script)")
    args = ap.parse_args()
    tsio.selftest()
    print("versions: tensorflow %s, keras %s, torch %s, numpy %s"
          % (tf.__version__, keras.__version__, torch.__version__, np.__version__))
    lrecs = layer_cases()
    srecs = seed_cases(args.step3_params)
    ok = emit(os.path.join(args.outdir, "layers.ts"), lrecs, args.check)
    ok = emit(os.path.join(args.outdir, "seed.ts"), srecs, args.check) and ok
    if REPORT.failed:
        print("cross-check FAILED: " + ", ".join(REPORT.failed))
        return 1
    print("cross-check: PyTorch agrees with Keras everywhere")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
