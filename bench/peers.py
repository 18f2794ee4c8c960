"""peers.py: time the tutorial's network in Keras, PyTorch and ONNX Runtime,
the peers the C engine is measured against.

What it is: one run, one framework, one mode, printed as one line on stdout
for a results table (diagnostics go to stderr):

    peer=torch version=2.15.0 mode=infer threads=2 batch=32 size=300 layout=nchw
    img_per_s=... mpix_per_s=... ms_per_batch=... best_ms=... peak_rss_mb=...

What it is not: a correctness test (tests/golden/make_golden.py is), nor
tuned beyond each framework's own best ordinary settings.

    python bench/peers.py --framework keras|torch|onnx [--mode infer|train]
        [--threads 2] [--batch 32] [--size 300] [--hw HxW] [--iters 5] [--warmup 2]

The network is the tutorial's (Conv 64/32/16 with max pooling and batch
normalisation, then Conv 64/32/16 with nearest upsampling, Conv 3 sigmoid),
random weights, input U[0,1]. Each framework gets its native layout: Keras
NHWC; PyTorch NCHW and channels_last, both timed, the faster reported
(layout=); ONNX Runtime runs the PyTorch network exported to ONNX (opset 17,
in a child process so that PyTorch's memory is not counted) and its output is
checked against PyTorch's first. Inference: Keras through a tf.function call
in inference mode, PyTorch under torch.inference_mode() in eval mode, ONNX
Runtime with every graph optimisation. Training step: forward, MSE, backward
and an Adam step (Keras: train_on_batch after compile, as fit() does;
PyTorch: torch.optim.Adam). ONNX Runtime is inference only here.

Threads: --threads sets TensorFlow's intra-op pool (inter-op 1),
torch.set_num_threads (inter-op 1), ORT's intra_op_num_threads (inter-op 1)
and OMP/MKL/OpenBLAS variables, all before the framework loads.

--hw HxW (e.g. 1080x1920) times one image of that size (batch 1 unless
--batch is given) for a megapixel/s figure. The network maps H x W to H x W
when H and W are 4 mod 8 (300 is); other sizes give a smaller output (1080 x
1920 gives 1076 x 1916), reported as out=.

Times: ms_per_batch is the median of --iters timed calls after --warmup
untimed ones; best_ms the fastest. img_per_s and mpix_per_s (input pixels)
follow from the median. peak_rss_mb is the process's peak resident set
(getrusage ru_maxrss), framework included; for PyTorch it covers both layouts.

Runs under /work/venv/bin/python (all three) and Debian's /usr/bin/python3
(torch 1.13; --framework torch only).
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

LR, BETA1, BETA2, ADAM_EPS = 1e-3, 0.9, 0.999, 1e-7   # Keras' Adam defaults, as the tutorial
BN_MOMENTUM, BN_EPS = 0.99, 1e-3                      # Keras' BatchNormalization defaults

# (filters, activation, padding) per conv, None for the layer kinds between
NET = [("conv", 64, "relu", "same"), ("pool",), ("bn",),
       ("conv", 32, "relu", "same"), ("pool",), ("bn",),
       ("conv", 16, "relu", "same"), ("pool",),
       ("conv", 64, "relu", "same"), ("up",),
       ("conv", 32, "relu", "same"), ("up",),
       ("conv", 16, "relu", "valid"), ("up",),
       ("conv", 3, "sigmoid", "same")]


def die(msg, status=1):
    sys.stderr.write("peers.py: %s\n" % msg)
    sys.exit(status)


def out_size(n):
    """Spatial size after the network, as 'same' pooling and one valid conv give it."""
    for _ in range(3):
        n = (n + 1) // 2
    return (n * 4 - 2) * 2


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


def timeit(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def set_thread_env(n):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(n)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""


def inputs(np, a):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (a.batch, a.h, a.w, 3)).astype(np.float32)
    t = rng.uniform(0, 1, (a.batch, out_size(a.h), out_size(a.w), 3)).astype(np.float32)
    return x, t


# ----------------------------------------------------------------------------
# Keras


def run_keras(a):
    import numpy as np
    try:
        import tensorflow as tf
        import keras
    except ImportError as e:
        die("keras: %s (use /work/venv/bin/python)" % e)
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    L = keras.layers
    keras.utils.set_random_seed(0)
    x_in = keras.Input((a.h, a.w, 3))
    y = x_in
    for spec in NET:
        if spec[0] == "conv":
            y = L.Conv2D(spec[1], (3, 3), activation=spec[2], padding=spec[3])(y)
        elif spec[0] == "pool":
            y = L.MaxPooling2D((2, 2), padding="same")(y)
        elif spec[0] == "bn":
            y = L.BatchNormalization()(y)
        else:
            y = L.UpSampling2D((2, 2))(y)
    model = keras.Model(x_in, y)
    x, t = inputs(np, a)
    xt, tt = tf.constant(x), tf.constant(t)
    if a.mode == "infer":
        f = tf.function(lambda v: model(v, training=False))
        med, best = timeit(lambda: f(xt).numpy(), a.warmup, a.iters)
    else:
        model.compile(optimizer=keras.optimizers.Adam(LR, BETA1, BETA2, ADAM_EPS), loss="mse")
        med, best = timeit(lambda: model.train_on_batch(xt, tt), a.warmup, a.iters)
    return dict(peer="keras", version="%s/tf%s" % (keras.__version__, tf.__version__), layout="nhwc"), med, best


# ----------------------------------------------------------------------------
# PyTorch


def torch_model(torch):
    F = torch.nn.functional

    class DAE(torch.nn.Module):
        """NCHW. 'same' max pooling is ceil_mode: Keras pads odd sizes at the
        end with -inf, which ceil_mode's last, partial window equals."""

        def __init__(self):
            super().__init__()
            mods, c = [], 3
            for spec in NET:
                if spec[0] == "conv":
                    mods.append(torch.nn.Conv2d(c, spec[1], 3, padding=1 if spec[3] == "same" else 0))
                    c = spec[1]
                elif spec[0] == "bn":
                    mods.append(torch.nn.BatchNorm2d(c, eps=BN_EPS, momentum=1 - BN_MOMENTUM))
            self.mods = torch.nn.ModuleList(mods)

        def forward(self, x):
            k = 0
            for spec in NET:
                if spec[0] in ("conv", "bn"):
                    x = self.mods[k](x)
                    k += 1
                    if spec[0] == "conv":
                        x = torch.relu(x) if spec[2] == "relu" else torch.sigmoid(x)
                elif spec[0] == "pool":
                    x = F.max_pool2d(x, 2, 2, ceil_mode=True)
                else:
                    x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            return x

    torch.manual_seed(0)
    return DAE()


def torch_setup(a):
    try:
        import torch
    except ImportError as e:
        die("torch: %s" % e)
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


def run_torch(a):
    import numpy as np
    torch = torch_setup(a)
    x, t = inputs(np, a)
    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    t = torch.from_numpy(t).permute(0, 3, 1, 2).contiguous()
    results = {}
    for layout in ("nchw", "channels_last"):
        model = torch_model(torch)
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = model.to(memory_format=fmt)
        xl, tl = x.contiguous(memory_format=fmt), t.contiguous(memory_format=fmt)
        if a.mode == "infer":
            model.eval()

            def step():
                with torch.inference_mode():
                    model(xl)
        else:
            model.train()
            opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(BETA1, BETA2), eps=ADAM_EPS)

            def step():
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.mse_loss(model(xl), tl)
                loss.backward()
                opt.step()
        results[layout] = timeit(step, a.warmup, a.iters)
        sys.stderr.write("peers.py: torch %s: median %.1f ms, best %.1f ms\n"
                         % (layout, 1e3 * results[layout][0], 1e3 * results[layout][1]))
    layout = min(results, key=lambda k: results[k][0])
    med, best = results[layout]
    return dict(peer="torch", version=torch.__version__.split("+")[0], layout=layout), med, best


# ----------------------------------------------------------------------------
# ONNX Runtime


def export_onnx(a, path):
    """Child process: export the PyTorch network and save a check pair."""
    import numpy as np
    torch = torch_setup(a)
    model = torch_model(torch).eval()
    x, _ = inputs(np, a)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    kw = dict(input_names=["x"], output_names=["y"], opset_version=17)
    with warnings.catch_warnings():
        # the TorchScript exporter, deprecated but needing no onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            torch.onnx.export(model, (xt,), path, dynamo=False, **kw)
        except TypeError:
            torch.onnx.export(model, (xt,), path, **kw)     # torch before 2.5 has no dynamo=
    with torch.inference_mode():
        y = model(xt).numpy()
    np.save(path + ".y.npy", y)


def run_onnx(a):
    import numpy as np
    try:
        import onnxruntime as ort
    except ImportError as e:
        die("onnx: %s (use /work/venv/bin/python)" % e)
    if a.mode == "train":
        die("onnx: only --mode infer (ONNX Runtime is measured for inference only)", 2)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "dae.onnx")
        cmd = [sys.executable, os.path.abspath(__file__), "--framework", "onnx", "--export-to", path,
               "--threads", str(a.threads), "--batch", str(a.batch), "--hw", "%dx%d" % (a.h, a.w)]
        if subprocess.call(cmd) != 0:
            die("onnx: export failed")
        so = ort.SessionOptions()
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        want = np.load(path + ".y.npy")
    x, _ = inputs(np, a)
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    got = sess.run(["y"], {"x": x})[0]
    diff = float(np.max(np.abs(got - want)))
    sys.stderr.write("peers.py: onnx: max |ORT - torch| = %.2e\n" % diff)
    if got.shape != want.shape or diff > 1e-4:
        die("onnx: ONNX Runtime disagrees with PyTorch (max diff %.2e)" % diff)
    med, best = timeit(lambda: sess.run(["y"], {"x": x}), a.warmup, a.iters)
    return dict(peer="onnx", version=ort.__version__, layout="nchw"), med, best


# ----------------------------------------------------------------------------


def parse():
    ap = argparse.ArgumentParser(description="time the tutorial's network in a peer framework")
    ap.add_argument("--framework", required=True, choices=("keras", "torch", "onnx"))
    ap.add_argument("--mode", default="infer", choices=("infer", "train"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=None, help="default 32, or 1 with --hw")
    ap.add_argument("--size", type=int, default=300, help="square input side (default 300)")
    ap.add_argument("--hw", default=None, help="HxW input instead of --size, e.g. 1080x1920")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--export-to", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.hw:
        try:
            a.h, a.w = (int(v) for v in a.hw.lower().split("x"))
        except ValueError:
            ap.error("--hw: expected HxW, e.g. 1080x1920")
    else:
        a.h = a.w = a.size
    if a.batch is None:
        a.batch = 1 if a.hw else 32
    for name in ("threads", "batch", "iters", "h", "w"):
        if getattr(a, name) < 1:
            ap.error("--%s: must be >= 1" % name)
    if a.warmup < 0:
        ap.error("--warmup: must be >= 0")
    if min(a.h, a.w) < 12:
        ap.error("input must be at least 12x12")
    return a


def main():
    a = parse()
    set_thread_env(a.threads)
    if a.export_to:
        export_onnx(a, a.export_to)
        return 0
    info, med, best = {"keras": run_keras, "torch": run_torch, "onnx": run_onnx}[a.framework](a)
    size = str(a.h) if a.h == a.w else "%dx%d" % (a.h, a.w)
    oh, ow = out_size(a.h), out_size(a.w)
    fields = [("peer", info["peer"]), ("version", info["version"]), ("mode", a.mode), ("threads", a.threads),
              ("batch", a.batch), ("size", size)]
    if (oh, ow) != (a.h, a.w):
        fields.append(("out", "%dx%d" % (oh, ow)))
    fields += [("layout", info["layout"]), ("img_per_s", "%.2f" % (a.batch / med)),
               ("mpix_per_s", "%.3f" % (a.batch * a.h * a.w / 1e6 / med)),
               ("ms_per_batch", "%.1f" % (1e3 * med)), ("best_ms", "%.1f" % (1e3 * best)),
               ("iters", a.iters), ("peak_rss_mb", "%.0f" % peak_rss_mb())]
    print(" ".join("%s=%s" % kv for kv in fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
