"""cbm3d.py: the classical anchor of make benchmark-quality, CBM3D.

    python cbm3d.py SIGMA N NOISY.ts OUT.ts

Denoises the first N records of NOISY.ts (a tensor(5) stream of H x W x 3
images on the 0..255 scale, u8 or f32, as addnoise --float writes) with
CBM3D at the known noise level SIGMA (bm3d.bm3d_rgb from PyPI's bm3d,
Makinen, Azzari and Foi's reference implementation, in its default YCbCr
profile), rounds to u8 as daeinfer does, and writes them to OUT.ts with
their names. Prints the seconds it took to stderr, one line: "cbm3d: S s".

A benchmark helper, not part of the tools: it needs numpy and bm3d, which
quality.sh finds in a venv (BM3D_PYTHON), and skips the row without them.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "golden"))
import tsio  # noqa: E402


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: cbm3d.py SIGMA N NOISY.ts OUT.ts")
    sigma, n = float(sys.argv[1]), int(sys.argv[2])
    import bm3d
    with open(sys.argv[3], "rb") as f:
        recs = tsio.loads(f.read())[:n]
    t0 = time.time()
    out = []
    for name, a in recs:
        if a.ndim != 3 or a.shape[2] != 3:
            sys.exit("cbm3d.py: record %s is not H x W x 3" % name)
        y = bm3d.bm3d_rgb(a.astype(np.float64) / 255.0, sigma / 255.0)
        out.append((name, np.clip(np.floor(y * 255.0 + 0.5), 0, 255).astype(np.uint8)))
    secs = time.time() - t0
    tmp = sys.argv[4] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(tsio.dumps(out))
    os.replace(tmp, sys.argv[4])
    print("cbm3d: %.3f s" % secs, file=sys.stderr)


if __name__ == "__main__":
    main()
