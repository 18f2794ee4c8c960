#!/usr/bin/python3
"""bench/resize.py: imgresize throughput beside OpenCV and PIL, and what
libjpeg DCT scaling gains and costs.

    /usr/bin/python3 bench/resize.py [-n runs] [dir]

dir defaults to ../shared/data/dogs/train (the 1,500 dog JPEGs). Run from
the repository root after make. Each contender decodes every JPEG and resizes
it to 300 x 300 (stretched), single-threaded:

  imgresize      cat dir/*.jpg | ./imgresize 300 > /dev/null
  ... files      ./imgresize 300 dir/*.jpg > /dev/null (no cat)
  imgresize -F   the same without DCT scaling (full-size decode, as cv2)
  cv2            cv2.imread(IMREAD_COLOR) + cv2.resize(INTER_LINEAR),
                 cv2.setNumThreads(1)
  PIL            Image.open().convert('RGB').resize((300, 300), BILINEAR)

Rates are images per second of wall time and of CPU time (user + system,
for imgresize including cat); the machine may be shared, so CPU time is the
steadier number. Contenders take turns; the best of -n runs is kept. Then, where DCT scaling does
apply (imgresize 150 on the same files: 500 x 375 decodes at 1/2), the speed
with and without it and the pixel differences between the two outputs and
an anti-aliased reference, full decode + area averaging (-F -a): at a 3x
reduction bilinear from the full image aliases, the DCT-scaled one less.
"""
import argparse
import glob
import os
import resource
import struct
import subprocess
import time

import numpy as np


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_shell(cmd):
    c0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(cmd, shell=True, check=True)
    return time.perf_counter() - t0, children_cpu() - c0


def run_py(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def best(runs, fn):
    wall, cpu = zip(*(fn() for _ in range(runs)))
    return min(wall), min(cpu)


def read_ts(path):
    """the u8 records of a tensor(5) stream, as arrays"""
    data = open(path, "rb").read()
    out, i = [], 0
    while i < len(data):
        _, _, dtype, rank, _, namelen, _ = struct.unpack_from("<4sBBBBHH", data, i)
        dims = struct.unpack_from("<%dI" % rank, data, i + 12)
        i += 12 + 4 * rank + namelen
        n = int(np.prod(dims))
        out.append(np.frombuffer(data, np.uint8, n, i).reshape(dims))
        i += n
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3, help="runs of each, best kept")
    ap.add_argument("dir", nargs="?", default="../shared/data/dogs/train")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.dir, "*.jpg")))
    n = len(files)
    glob_arg = os.path.join(a.dir, "*.jpg")
    for f in files:    # warm the page cache
        open(f, "rb").read()

    import cv2
    from PIL import Image
    cv2.setNumThreads(1)

    def cv():
        for f in files:
            cv2.resize(cv2.imread(f, cv2.IMREAD_COLOR), (300, 300),
                       interpolation=cv2.INTER_LINEAR)

    def pil():
        for f in files:
            Image.open(f).convert("RGB").resize((300, 300), Image.BILINEAR)

    # contenders take turns, round by round, so that a change in the load
    # of a shared machine falls on all of them
    contenders = {
        "imgresize 300": lambda: run_shell(
            "cat %s | ./imgresize 300 > /dev/null" % glob_arg),
        "imgresize 300 files": lambda: run_shell(
            "./imgresize 300 %s > /dev/null" % glob_arg),
        "imgresize -F 300": lambda: run_shell(
            "cat %s | ./imgresize -F 300 > /dev/null" % glob_arg),
        "cv2 imread+resize": lambda: run_py(cv),
        "PIL open+resize": lambda: run_py(pil),
    }
    runs = {k: [] for k in contenders}
    for _ in range(a.n):
        for k, fn in contenders.items():
            runs[k].append(fn())
    res = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in runs.items()}
    print("%d images, 300 x 300, best of %d runs" % (n, a.n))
    print("%-20s %12s %12s" % ("", "img/s wall", "img/s CPU"))
    for k, (w, c) in res.items():
        print("%-20s %12.0f %12.0f" % (k, n / w, n / c))
    w, c = res["cv2 imread+resize"]
    w1, c1 = res["imgresize 300"]
    print("imgresize / cv2: %.2fx wall, %.2fx CPU" % (w / w1, c / c1))

    tmp = "/tmp/bench-resize.%d" % os.getpid()
    d = best(a.n, lambda: run_shell("cat %s | ./imgresize 150 > %s.dct" % (glob_arg, tmp)))
    f = best(a.n, lambda: run_shell("cat %s | ./imgresize -F 150 > %s.full" % (glob_arg, tmp)))
    run_shell("cat %s | ./imgresize -F -a 150 > %s.area" % (glob_arg, tmp))
    out = {k: read_ts(tmp + "." + k) for k in ("dct", "full", "area")}
    print("imgresize 150: DCT scaling %.0f img/s CPU, full decode %.0f img/s CPU: %.2fx"
          % (n / d[1], n / f[1], f[1] / d[1]))
    print("  pixel differences (max, mean, PSNR):")
    for x, y, what in (("dct", "full", "DCT-scaled vs full decode (both bilinear)"),
                       ("dct", "area", "DCT-scaled vs full decode + area average"),
                       ("full", "area", "full decode bilinear vs + area average")):
        diff = np.concatenate([np.abs(p.astype(int) - q).ravel()
                               for p, q in zip(out[x], out[y])])
        mse = np.mean(diff.astype(float) ** 2)
        print("  %-44s %4d %6.2f %6.1f dB"
              % (what, diff.max(), diff.mean(), 10 * np.log10(255 ** 2 / mse)))
    for k in out:
        os.remove(tmp + "." + k)


if __name__ == "__main__":
    main()
