#!/usr/bin/env python3
"""make_metrics_golden.py: golden images and expected PSNR/SSIM for lib/metrics.

Writes, next to this script:
  metrics_ref.ts     reference images, one tensor(5) record per case
  metrics_test.ts    test images, record i paired with record i of metrics_ref.ts
  metrics_expected.txt   one line per case: name h w c mse psnr ssim

The expected numbers come from the numpy implementation below, written from
Wang et al. 2004 (Gaussian window 11x11, sigma 1.5, K1 0.01, K2 0.03, L 255,
population moments, windows wholly inside the image, channels averaged) with
direct 2-D window sums, not the separable ring buffer of lib/image/metrics.c. Along
a dimension n < 11 the window shrinks to the largest odd size <= n, as
lib/image/metrics.h documents. When scikit-image is importable, every case at least
11 x 11 is cross-checked against skimage.metrics.structural_similarity(...,
channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=255) and peak_signal_noise_ratio(..., data_range=255), and the
largest differences are printed; the script fails if they exceed 1e-9.

Needs numpy; scikit-image is optional (the project's venv has it:
/work/venv/bin/python tests/golden/make_metrics_golden.py). The C tests read
the files and need no Python.
"""
import math
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SIGMA, K1, K2, L, WIN = 1.5, 0.01, 0.03, 255.0, 11
U8, F32 = 1, 2


def record(name, img, dtype):
    """one tensor(5) record: rank-3 H x W x C, little-endian"""
    h, w, c = img.shape
    nb = name.encode()
    head = b"TNSR" + struct.pack("<BBBBHH", 1, dtype, 3, 0, len(nb), 0)
    head += struct.pack("<III", h, w, c) + nb
    if dtype == U8:
        assert img.min() >= 0 and img.max() <= 255 and np.all(img == np.round(img))
        return head + img.astype(np.uint8).tobytes()
    return head + img.astype("<f4").tobytes()


def window(n):
    r = WIN // 2 if n >= WIN else (n - 1) // 2
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-x * x / (2 * SIGMA * SIGMA))
    return g / g.sum()


def ssim_channel(x, y):
    win = np.outer(window(x.shape[0]), window(x.shape[1]))
    X = np.lib.stride_tricks.sliding_window_view(x, win.shape)
    Y = np.lib.stride_tricks.sliding_window_view(y, win.shape)

    def mean(v):
        return np.einsum("ijkl,kl->ij", v, win)

    mx, my = mean(X), mean(Y)
    vx = mean(X * X) - mx * mx
    vy = mean(Y * Y) - my * my
    cxy = mean(X * Y) - mx * my
    c1, c2 = (K1 * L) ** 2, (K2 * L) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean()


def ssim(a, b):
    return float(np.mean([ssim_channel(a[:, :, i], b[:, :, i]) for i in range(a.shape[2])]))


def mse(a, b):
    return float(np.mean((a - b) ** 2))


def psnr(a, b):
    m = mse(a, b)
    return math.inf if m == 0 else 10 * math.log10(L * L / m)


def smooth_image(rng, h, w, c):
    """photo-like: gradients, a disc edge and a little texture, u8"""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, c))
    for i in range(c):
        img[:, :, i] = 60 + 120 * xx / max(w - 1, 1) + 40 * np.sin(yy / 3 + i)
    disc = (yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 3) ** 2
    img[disc] = 230 - img[disc] / 3
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255)


def cases():
    rng = np.random.default_rng(20261125)
    clean = smooth_image(rng, 40, 52, 3)
    noisy = np.clip(np.round(clean + rng.normal(0, 25, clean.shape)), 0, 255)
    yield "noisy_u8", clean, U8, noisy, U8
    # the benchmark protocol: f32 noisy, unclipped, values outside 0..255
    noisy_f = (clean + rng.normal(0, 50, clean.shape)).astype(np.float32).astype(np.float64)
    assert noisy_f.min() < 0 and noisy_f.max() > 255
    yield "noisy_f32_out_of_range", clean, U8, noisy_f, F32
    # a denoiser-like output: blurred, fractional f32
    k = np.array([1, 2, 1]) / 4
    den = clean.copy()
    for ax in (0, 1):
        den = np.apply_along_axis(lambda v: np.convolve(np.pad(v, 1, mode="edge"), k, "valid"), ax, den)
    den = den.astype(np.float32).astype(np.float64)
    yield "blurred_f32", clean, U8, den, F32
    yield "identical", clean, U8, clean, U8
    yield "constant_equal", np.full((16, 16, 3), 100.0), U8, np.full((16, 16, 3), 100.0), U8
    yield "constant_differ", np.full((16, 16, 3), 100.0), U8, np.full((16, 16, 3), 50.0), U8
    yield "constant_vs_texture", np.full((16, 16, 3), 128.0), U8, smooth_image(rng, 16, 16, 3), U8
    yield "black_vs_white", np.zeros((12, 12, 3)), U8, np.full((12, 12, 3), 255.0), U8
    g = smooth_image(rng, 24, 20, 1)
    yield "gray", g, U8, np.clip(g + rng.integers(-30, 31, g.shape), 0, 255), U8
    t = smooth_image(rng, 11, 11, 3)
    yield "exactly_11x11", t, U8, np.clip(t + rng.integers(-20, 21, t.shape), 0, 255), U8
    t = smooth_image(rng, 10, 10, 3)
    yield "tiny_10x10", t, U8, np.clip(t + rng.integers(-20, 21, t.shape), 0, 255), U8
    t = smooth_image(rng, 5, 7, 3)
    yield "tiny_5x7", t, U8, np.clip(t + rng.integers(-20, 21, t.shape), 0, 255), U8
    t = smooth_image(rng, 3, 30, 3)
    yield "thin_3x30", t, U8, np.clip(t + rng.integers(-20, 21, t.shape), 0, 255), U8
    t = smooth_image(rng, 1, 1, 3)
    yield "single_pixel", t, U8, np.clip(t + 17, 0, 255), U8
    a = rng.uniform(-40, 300, (13, 17, 3)).astype(np.float32).astype(np.float64)
    b = rng.uniform(-40, 300, (13, 17, 3)).astype(np.float32).astype(np.float64)
    yield "both_f32_out_of_range", a, F32, b, F32


def cross_check(name, a, b, p, s):
    try:
        from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    except ImportError:
        return None
    if min(a.shape[:2]) < WIN:
        return None
    ks = structural_similarity(a, b, channel_axis=2, gaussian_weights=True, sigma=1.5,
                               use_sample_covariance=False, data_range=255)
    if math.isinf(p):
        kp = p
    else:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kp = peak_signal_noise_ratio(a, b, data_range=255)
    dp = 0.0 if math.isinf(p) and kp == p else abs(kp - p)
    ds = abs(ks - s)
    assert dp <= 1e-9 and ds <= 1e-9, (name, p, kp, s, ks)
    return dp, ds


def main():
    ref, test, lines = [], [], []
    maxdp = maxds = 0.0
    nchecked = 0
    for name, a, ta, b, tb in cases():
        p, s = psnr(a, b), ssim(a, b)
        m = mse(a, b)
        ref.append(record(name, a, ta))
        test.append(record(name, b, tb))
        lines.append("%s %d %d %d %.17g %s %.17g" % (name, *a.shape, m,
                     "inf" if math.isinf(p) else "%.17g" % p, s))
        d = cross_check(name, a, b, p, s)
        if d:
            nchecked += 1
            maxdp, maxds = max(maxdp, d[0]), max(maxds, d[1])
    with open(os.path.join(HERE, "metrics_ref.ts"), "wb") as f:
        f.write(b"".join(ref))
    with open(os.path.join(HERE, "metrics_test.ts"), "wb") as f:
        f.write(b"".join(test))
    with open(os.path.join(HERE, "metrics_expected.txt"), "w") as f:
        f.write("# written by make_metrics_golden.py: name h w c mse psnr_db ssim\n")
        f.write("\n".join(lines) + "\n")
    if nchecked:
        print("skimage agrees on %d cases: max |dPSNR| %.3g dB, max |dSSIM| %.3g"
              % (nchecked, maxdp, maxds))
    else:
        print("skimage not available or no case >= 11x11: not cross-checked")


if __name__ == "__main__":
    main()
