#!/usr/bin/python3
"""make_data.py: write the tiny test images in tests/data and tests/bad.

Run from anywhere with Debian's /usr/bin/python3 (python3-pil, python3-opencv,
python3-numpy); the outputs are committed, so the tests never need Python.

tests/data/expected.ts holds, for each image, the 8-bit RGB a decoder must
produce, as tensor(5) records named after the file: cv2.imread (which
applies EXIF orientation, as we do) for the JPEGs, our own arithmetic for the
CMYK JPEG (OpenCV's CMYK formula is off by up to 1), and the source arrays
for the lossless formats, with 16-bit values reduced as
(v * 255 + 32767) // 65535. gray16_ramp.png (every 16-bit value once) is
checked by formula in the test instead.
"""
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(HERE, "..", "bad")
H, W = 5, 7


def record(name, a):
    a = np.ascontiguousarray(a, dtype=np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    nb = name.encode()
    hdr = b"TNSR" + struct.pack("<BBBBHH", 1, 1, 3, 0, len(nb), 0)
    return hdr + struct.pack("<3I", *a.shape) + nb + a.tobytes()


def base():
    """7 x 5 RGB with a different colour in each corner, so every EXIF
    orientation gives a different picture"""
    a = np.zeros((H, W, 3), np.uint8)
    a[:, :] = (40, 40, 40)
    a[:2, :3] = (250, 30, 30)
    a[:2, 4:] = (30, 250, 30)
    a[3:, :3] = (30, 30, 250)
    a[3:, 4:] = (250, 250, 30)
    a[2, 3] = (255, 255, 255)
    return a


def cv_rgb(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def write_interlaced_png(path, a):
    """PIL and OpenCV write no Adam7 PNG; build one by hand (filter 0)"""
    h, w, _ = a.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
              (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\0" + row.tobytes()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def write_ramp16_png(path):
    """256 x 256 16-bit gray holding 0..65535 in order; the Sub filter makes
    it compress to almost nothing"""
    raw = b""
    for y in range(256):
        row = np.arange(y * 256, y * 256 + 256, dtype=">u2").tobytes()
        sub = bytes([row[i] if i < 2 else (row[i] - row[i - 2]) & 255 for i in range(len(row))])
        raw += b"\1" + sub
    ihdr = struct.pack(">IIBBBBB", 256, 256, 16, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def jpeg_with_thumbnail(path, main, thumb):
    """a JPEG whose APP1 "Exif" segment holds a whole JPEG (as cameras
    store thumbnails), to show resync never takes it for an image"""
    data = open(main, "rb").read()
    th = open(thumb, "rb").read()
    payload = b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 0) + b"\0" * 4 + th
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    with open(path, "wb") as f:
        f.write(data[:2] + app1 + data[2:])


def main():
    os.makedirs(BAD, exist_ok=True)
    out = []
    d = lambda n: os.path.join(HERE, n)
    b = base()
    rng = np.random.RandomState(7)
    noise = rng.randint(0, 256, (H, W, 3)).astype(np.uint8)

    # JPEG: baseline 4:2:0, gray, CMYK (Adobe, inverted), progressive,
    # restart markers, larger smooth one for DCT scaling
    Image.fromarray(noise).save(d("rgb.jpg"), quality=90, optimize=True)
    out.append(record("rgb.jpg", cv_rgb(d("rgb.jpg"))))
    g = (np.arange(H * W).reshape(H, W) * 7).astype(np.uint8)
    Image.fromarray(g, "L").save(d("gray.jpg"), quality=90, optimize=True)
    out.append(record("gray.jpg", cv_rgb(d("gray.jpg"))))
    Image.fromarray(b).convert("CMYK").save(d("cmyk.jpg"), quality=95, optimize=True)
    # PIL gives ink values; the file holds 255 - ink (Adobe inverted)
    ink = np.asarray(Image.open(d("cmyk.jpg"))).astype(np.int64)
    st = 255 - ink
    rgb = (st[:, :, :3] * st[:, :, 3:4] + 127) // 255
    out.append(record("cmyk.jpg", rgb))
    Image.fromarray(noise).save(d("progressive.jpg"), quality=90, progressive=True, optimize=True)
    out.append(record("progressive.jpg", cv_rgb(d("progressive.jpg"))))
    yy, xx = np.mgrid[0:24, 0:32]
    smooth = np.stack([xx * 8, yy * 10, (xx + yy) * 4], axis=2).astype(np.uint8)
    cv2.imwrite(d("restart.jpg"), cv2.cvtColor(smooth, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_RST_INTERVAL, 1])
    out.append(record("restart.jpg", cv_rgb(d("restart.jpg"))))

    # EXIF orientation 1..8: the stored pixels are turned so that, shown
    # with the tag applied, every file looks like base()
    inverse = {1: None, 2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180,
               4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE, 6: Image.ROTATE_90,
               7: Image.TRANSVERSE, 8: Image.ROTATE_270}
    for o in range(1, 9):
        im = Image.fromarray(b)
        if inverse[o] is not None:
            im = im.transpose(inverse[o])
        ex = Image.Exif()
        ex[0x0112] = o
        name = "exif%d.jpg" % o
        im.save(d(name), quality=95, subsampling=0, optimize=True, exif=ex.tobytes())
        got = cv_rgb(d(name))
        assert got.shape == b.shape and np.abs(got.astype(int) - b).max() < 16, name
        out.append(record(name, got))

    # a JPEG with a JPEG thumbnail inside its APP1
    jpeg_with_thumbnail(d("thumb.jpg"), d("rgb.jpg"), d("gray.jpg"))
    out.append(record("thumb.jpg", cv_rgb(d("rgb.jpg"))))

    # PNG: RGB, RGBA, palette with tRNS, gray 8 / 1 bit, gray+alpha, RGB 16,
    # Adam7 interlaced
    Image.fromarray(noise).save(d("rgb.png"))
    out.append(record("rgb.png", noise))
    alpha = rng.randint(0, 256, (H, W)).astype(np.uint8)
    Image.fromarray(np.dstack([noise, alpha]), "RGBA").save(d("rgba.png"))
    out.append(record("rgba.png", noise))
    pal = Image.fromarray(b).quantize(colors=8)
    pal.save(d("palette.png"), transparency=0)
    out.append(record("palette.png", np.asarray(pal.convert("RGB"))))
    Image.fromarray(g, "L").save(d("gray.png"))
    out.append(record("gray.png", g))
    bits = (noise[:, :, 0] > 127)
    Image.fromarray(bits).convert("1").save(d("gray1.png"))
    out.append(record("gray1.png", bits.astype(np.uint8) * 255))
    Image.fromarray(np.dstack([g, alpha]), "LA").save(d("graya.png"))
    out.append(record("graya.png", g))
    v16 = rng.randint(0, 65536, (H, W, 3)).astype(np.uint16)
    v16[0, :3, 0] = (0, 65535, 32896)   # 32896 sits on a rounding boundary
    cv2.imwrite(d("rgb16.png"), cv2.cvtColor(v16, cv2.COLOR_RGB2BGR))
    out.append(record("rgb16.png", (v16.astype(np.int64) * 255 + 32767) // 65535))
    write_interlaced_png(d("interlaced.png"), noise)
    out.append(record("interlaced.png", noise))
    write_ramp16_png(d("gray16_ramp.png"))

    # PPM and PGM: 8 bit, 16 bit, maxval 4095 and 100, a comment in the header
    with open(d("rgb.ppm"), "wb") as f:
        f.write(b"P6\n# a comment\n%d %d\n255\n" % (W, H) + noise.tobytes())
    out.append(record("rgb.ppm", noise))
    with open(d("gray.pgm"), "wb") as f:
        f.write(b"P5 %d %d 255\n" % (W, H) + g.tobytes())
    out.append(record("gray.pgm", g))
    g16 = v16[:, :, 1]
    with open(d("gray16.pgm"), "wb") as f:
        f.write(b"P5\n%d %d\n65535\n" % (W, H) + g16.astype(">u2").tobytes())
    out.append(record("gray16.pgm", (g16.astype(np.int64) * 255 + 32767) // 65535))
    g12 = (g16 >> 4).astype(np.int64)
    with open(d("gray12.pgm"), "wb") as f:
        f.write(b"P5\n%d %d\n4095\n" % (W, H) + g12.astype(">u2").tobytes())
    out.append(record("gray12.pgm", (g12 * 255 + 2047) // 4095))

    g100 = (g.astype(np.int64) * 100 // 255)
    with open(d("gray100.pgm"), "wb") as f:
        f.write(b"P5\n%d %d\n100\n" % (W, H) + g100.astype(np.uint8).tobytes())
    out.append(record("gray100.pgm", (g100 * 255 + 50) // 100))

    with open(d("expected.ts"), "wb") as f:
        f.write(b"".join(out))

    # tests/bad: one small input per defect
    with open(os.path.join(BAD, "huge_dims.ppm"), "wb") as f:
        f.write(b"P6\n100000 100000\n255\n" + b"\0" * 30)
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    with open(os.path.join(BAD, "huge_dims.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))
    jpg = bytearray(open(d("gray.jpg"), "rb").read())
    i = jpg.index(b"\xff\xc0")
    if i < 0:
        i = jpg.index(b"\xff\xc2")
    jpg[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
    with open(os.path.join(BAD, "huge_dims.jpg"), "wb") as f:
        f.write(jpg)
    with open(os.path.join(BAD, "zero_width.ppm"), "wb") as f:
        f.write(b"P6\n0 5\n255\n")
    png = bytearray(open(d("rgb.png"), "rb").read())
    png[20] ^= 0x55     # inside IHDR: its CRC no longer matches
    with open(os.path.join(BAD, "bad_crc.png"), "wb") as f:
        f.write(png)
    with open(os.path.join(BAD, "not_an_image.txt"), "wb") as f:
        f.write(b"this is not an image\n")


if __name__ == "__main__":
    main()
