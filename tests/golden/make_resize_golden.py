#!/usr/bin/python3
"""make_resize_golden.py: OpenCV's resize outputs for tests/unit/test_image.c.

Run with Debian's /usr/bin/python3 (python3-opencv 4.6); the outputs are
committed. Each file is a tensor(5) stream of record pairs: the source image
("src <case>") then cv2.resize's output ("dst <case>"), u8, H x W x C.

  resize_linear.ts   cv2.INTER_LINEAR: down, up, stretch, one axis kept,
                     exactly 2x (where OpenCV switches to its area code),
                     1-pixel images, gray
  resize_area.ts     cv2.INTER_AREA where no axis grows (elsewhere OpenCV's
                     INTER_AREA is a variant of linear that img_resize does
                     not copy): fractional and whole-number factors

Sources are seeded noise, the worst case for rounding, and a smooth ramp.
"""
import os
import struct

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

LINEAR = [
    ((23, 37, 3), (11, 17)),
    ((23, 37, 3), (50, 61)),
    ((23, 37, 3), (23, 18)),
    ((20, 30, 3), (10, 15)),
    ((5, 7, 3), (1, 1)),
    ((1, 1, 3), (3, 4)),
    ((1, 9, 3), (4, 3)),
    ((37, 23, 3), (30, 30)),
    ((23, 37, 1), (11, 17)),
    ((45, 60, 3), (7, 9)),
    ((5, 7, 3), (15, 21)),
    ((20, 30, 3), (20, 31)),
]

AREA = [
    ((23, 37, 3), (11, 17)),
    ((20, 30, 3), (10, 15)),
    ((30, 45, 3), (10, 15)),
    ((45, 60, 3), (7, 9)),
    ((23, 37, 3), (23, 18)),
    ((23, 37, 1), (11, 17)),
    ((5, 7, 3), (1, 1)),
]


def record(name, a):
    if a.ndim == 2:
        a = a[:, :, None]
    nb = name.encode()
    return (b"TNSR" + struct.pack("<BBBBHH", 1, 1, 3, 0, len(nb), 0) +
            struct.pack("<3I", *a.shape) + nb + np.ascontiguousarray(a).tobytes())


def source(shape, seed):
    h, w, c = shape
    if seed % 2:
        yy, xx = np.mgrid[0:h, 0:w]
        a = np.stack([(xx * 255 // max(w - 1, 1) + yy * 3 + k * 40) % 256
                      for k in range(c)], axis=2)
        return a.astype(np.uint8)
    return np.random.RandomState(seed).randint(0, 256, shape).astype(np.uint8)


def write(path, cases, interp):
    out = []
    for i, (shape, (dh, dw)) in enumerate(cases):
        src = source(shape, i)
        dst = cv2.resize(src, (dw, dh), interpolation=interp)
        tag = "%dx%dx%d->%dx%d" % (shape[0], shape[1], shape[2], dh, dw)
        out.append(record("src " + tag, src))
        out.append(record("dst " + tag, dst))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    cv2.setNumThreads(1)
    write(os.path.join(HERE, "resize_linear.ts"), LINEAR, cv2.INTER_LINEAR)
    write(os.path.join(HERE, "resize_area.ts"), AREA, cv2.INTER_AREA)


if __name__ == "__main__":
    main()
