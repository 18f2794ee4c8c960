"""runtimes.py: run an ONNX file that daeconvert exported in ONNX Runtime or
OpenVINO, on the images of a tensor stream, to time it beside the engine
(make bench) and to check its output against daeinfer's.

What it is: one runtime, one model, one input, one result line on stdout
(diagnostics on stderr):

    runtime=openvino version=2026.4.1 threads=2 batch=32 hw=300x300
    img_per_s=... mpix_per_s=... ms_per_batch=... best_ms=... peak_rss_mb=...
    [maxdiff=...]

What it is not: a test (nothing passes or fails on a number; --check only
reports), nor tuned beyond each runtime's ordinary settings.

    python bench/runtimes.py --runtime onnxruntime|openvino --model m.onnx
        --input images.ts [--batch 32] [--threads 2] [--iters 3] [--warmup 1]
        [--check ref.ts] [--out out.ts]

The input is a tensor(5) stream of H x W x C images (u8 or f32, 0..255), all
of one size, as imgresize and addnoise write them; the first --batch are run
as one NCHW batch on the 0..1 scale, as the exported model takes them.
--check compares the output, on the 0..255 scale, with a stream of the same
images from `daeinfer --float` and reports the largest absolute difference
(maxdiff=). --out writes the output as such a stream.

ONNX Runtime: every graph optimisation, intra-op threads --threads, inter-op
1, sequential. OpenVINO: the model reshaped to the input's static shape (as
its documentation advises for CPU), INFERENCE_NUM_THREADS --threads, the
LATENCY hint. Times: ms_per_batch is the median of --iters calls after
--warmup untimed ones; peak_rss_mb the process's peak resident set.
"""
import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))


def die(msg):
    sys.stderr.write("runtimes.py: %s\n" % msg)
    sys.exit(1)


def load_images(np, tsio, path, batch):
    with open(path, "rb") as f:
        recs = tsio.loads(f.read())
    if not recs:
        die("%s: no records" % path)
    imgs = [a.astype(np.float32) for _, a in recs[:batch]]
    if any(a.ndim != 3 or a.shape != imgs[0].shape for a in imgs):
        die("%s: the images must be H x W x C and of one size" % path)
    return np.stack(imgs), [n for n, _ in recs[:batch]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", required=True, choices=["onnxruntime", "openvino"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--check")
    ap.add_argument("--out")
    a = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(a.threads)
    import numpy as np
    import tsio

    x255, names = load_images(np, tsio, a.input, a.batch)
    n, h, w, c = x255.shape
    x = np.ascontiguousarray((x255 / 255).transpose(0, 3, 1, 2), dtype=np.float32)
    if a.runtime == "onnxruntime":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
        version = ort.__version__

        def run():
            return sess.run(None, {"x": x})[0]
    else:
        import openvino as ov
        core = ov.Core()
        model = core.read_model(a.model)
        model.reshape({"x": [n, c, h, w]})
        cm = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": a.threads,
                                               "PERFORMANCE_HINT": "LATENCY"})
        req = cm.create_infer_request()
        version = ov.get_version().split("-")[0]

        def run():
            return req.infer({"x": x})[cm.output(0)].copy()
    for _ in range(a.warmup):
        y = run()
    ts = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        y = run()
        ts.append(time.perf_counter() - t0)
    med = statistics.median(ts)
    y255 = np.asarray(y, dtype=np.float32).transpose(0, 2, 3, 1) * 255
    line = ("runtime=%s version=%s threads=%d batch=%d hw=%dx%d img_per_s=%.2f mpix_per_s=%.3f "
            "ms_per_batch=%.1f best_ms=%.1f peak_rss_mb=%.0f"
            % (a.runtime, version, a.threads, n, h, w, n / med, n * h * w / 1e6 / med,
               med * 1e3, min(ts) * 1e3,
               resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
    if a.check:
        ref, _ = load_images(np, tsio, a.check, a.batch)
        if ref.shape != y255.shape:
            die("--check: %s is %s, the output %s" % (a.check, ref.shape, y255.shape))
        line += " maxdiff=%.6f" % float(np.max(np.abs(ref - y255)))
    if a.out:
        with open(a.out, "wb") as f:
            for name, img in zip(names, y255):
                tsio.write(f, name, np.ascontiguousarray(img, dtype=np.float32))
    print(line)


if __name__ == "__main__":
    main()
