"""grow.py: a trained plain conv stack, grown deeper and wider, same function.

    python3 grow.py SMALL.bin BIG.cfg SEED BIG.bin

SMALL.bin is a model(5) of a plain stack: 3 x 3 "same" convolutions, all
but the last followed by ReLU, the last linear, then `[add] from = -1,
input` (models/denoise-color-fast.cfg). BIG.cfg is a stack of the same kind
with as many or more layers and as many or more channels
(models/dncnn17-color.cfg).
BIG.bin is a model of BIG.cfg that computes what SMALL.bin computes, up to
float rounding, so that training it (daetrain --init BIG.bin) starts where
the small net's training ended instead of from noise. Net2Net (Chen,
Goodfellow and Shlens, 2016):

- wider: each new channel copies the incoming weights and bias of an
  existing channel (drawn at random), and the copied channel's outgoing
  weights are split evenly among it and its copies; a little noise on the
  copies' incoming weights (1% of that layer's weight spread) lets them
  drift apart in training;
- deeper: a new layer is an identity convolution (centre tap 1 on its own
  channel, bias 0), which ReLU leaves unchanged because its input, another
  layer's ReLU output, is never negative. New layers are spread evenly
  among the hidden ones.

A converter for the training recipe (pipelines/color.mk), on numpy only. It
refuses anything but the stack described, and writes BIG.bin with
cmd/daeconvert.py's model(5) writer via a temporary file and a rename.
"""
import os
import struct
import sys
import zlib

import numpy as np

# the model(5) writer and its limits, shared with the importer
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cmd"))
from daeconvert import MAX_FILE, Refuse, model_bytes  # noqa: E402


def die(msg):
    """the message, after the running script's name (grow.py, noisemap.py)"""
    sys.exit("%s: %s" % (os.path.basename(sys.argv[0]), msg))


def read_model(path):
    with open(path, "rb") as f:
        b = f.read(MAX_FILE)
    if len(b) < 24 or b[:8] != b"DAEMODEL":
        die("%s: not a model" % path)
    if struct.unpack_from("<I", b, len(b) - 4)[0] != zlib.crc32(b[:-4]) & 0xffffffff:
        die("%s: CRC mismatch" % path)
    version, n = struct.unpack_from("<II", b, 8)
    if version != 1 or n > len(b) - 24:
        die("%s: bad header" % path)
    o = 16 + n
    cfg = b[16:o].decode()
    count, = struct.unpack_from("<I", b, o)
    o += 4
    tensors = {}
    for _ in range(count):
        ln, = struct.unpack_from("<H", b, o)
        name = b[o + 2:o + 2 + ln].decode()
        o += 2 + ln
        nd, dtype = struct.unpack_from("<BB", b, o)
        if dtype != 2 or not 1 <= nd <= 4:
            die("%s: tensor %s: not float32 of rank 1..4" % (path, name))
        shape = struct.unpack_from("<%dI" % nd, b, o + 2)
        o += 2 + 4 * nd
        size = int(np.prod(shape)) * 4
        if o + size > len(b) - 4:
            die("%s: tensor %s: past the end" % (path, name))
        tensors[name] = np.frombuffer(b, "<f4", size // 4, o).reshape(shape).copy()
        o += size
    return cfg, tensors


def write_model(path, cfg, tensors):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model_bytes(cfg, tensors))
    os.rename(tmp, path)


def sections(cfg):
    """the cfg's sections as dicts, each header under the empty key"""
    out, cur = [], None
    for line in cfg.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            cur = {"": line}
            out.append(cur)
        elif cur is not None and "=" in line:
            k, v = line.split("=", 1)
            cur[k.strip()] = v.strip()
    return out


NOISEMAP = [{"": "[noisemap]"}, {"": "[concat]", "from": "input, -1"}]


def stack(cfg, what, noisemap=False):
    """[(filters, activation)] of a plain conv stack with a residual add;
    with noisemap, the stack reads the image and its noise level
    ([noisemap] and [concat] from = input, -1 before the first conv)"""
    secs = sections(cfg)
    if noisemap:
        if secs[1:3] != NOISEMAP:
            die("%s: does not start with [noisemap] and [concat] from = input, -1" % what)
        del secs[1:3]
    if len(secs) < 3 or secs[0][""] != "[net]" or secs[0].get("channels") != "3":
        die("%s: not a 3-channel net" % what)
    if secs[-1] != {"": "[add]", "from": "-1, input"}:
        die("%s: does not end with [add] from = -1, input" % what)
    layers = []
    for s in secs[1:-1]:
        if s[""] != "[conv]" or s.get("pad") != "same" or s.get("size", "3") != "3" \
                or set(s) - {"", "filters", "pad", "size", "activation", "init"}:
            die("%s: only 3 x 3 same convolutions are grown" % what)
        layers.append((int(s["filters"]), s.get("activation", "linear")))
    if any(a != "relu" for _, a in layers[:-1]) or layers[-1] != (3, "linear"):
        die("%s: not relu convolutions ending in a linear one of 3" % what)
    return layers


def widen(w, b, nxt, width, rng):
    """layer (w, b) to width outputs; nxt, the next weight, gets as many inputs"""
    old = w.shape[3]
    pick = np.concatenate([np.arange(old), rng.integers(0, old, width - old)])
    copies = np.bincount(pick, minlength=old).astype(np.float32)
    w2, b2 = w[..., pick].copy(), b[pick].copy()
    w2[..., old:] += rng.normal(0, 0.01 * w.std(), w2[..., old:].shape).astype(np.float32)
    n2 = nxt[:, :, pick, :] / copies[pick][None, None, :, None]
    return w2, b2, n2.astype(np.float32)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: grow.py SMALL.bin BIG.cfg SEED BIG.bin")
    cfg, t = read_model(sys.argv[1])
    small = stack(cfg, sys.argv[1])
    with open(sys.argv[2]) as f:
        big_cfg = f.read()
    big = stack(big_cfg, sys.argv[2])
    rng = np.random.default_rng(int(sys.argv[3]))
    if len(big) < len(small) or len({f for f, _ in big[:-1]}) != 1 \
            or len({f for f, _ in small[:-1]}) != 1 or big[0][0] < small[0][0] \
            or (len(small) < 2 and len(big) > len(small)):
        die("%s: not a deeper or wider stack of one width" % sys.argv[2])
    width = big[0][0]
    ws = [t["L%d.weight" % i] for i in range(len(small))]
    bs = [t["L%d.bias" % i] for i in range(len(small))]
    for i, (f, _) in enumerate(small):
        cin = 3 if i == 0 else small[i - 1][0]
        if ws[i].shape != (3, 3, cin, f) or bs[i].shape != (f,):
            die("%s: L%d: shape does not match its cfg" % (sys.argv[1], i))
    for i in range(len(small) - 1):
        ws[i], bs[i], ws[i + 1] = widen(ws[i], bs[i], ws[i + 1], width, rng)
    extra = len(big) - len(small)
    hidden = len(small) - 1
    eye = np.zeros((3, 3, width, width), np.float32)
    eye[1, 1] = np.eye(width, dtype=np.float32)
    out = []
    for i in range(len(small)):
        out.append((ws[i], bs[i]))
        # after hidden layer i, the identities due by then
        if i < hidden:
            due = (i + 1) * extra // hidden - i * extra // hidden
            out += [(eye, np.zeros(width, np.float32))] * due
    tensors = []
    for i, (w, b) in enumerate(out):
        tensors += [("L%d.weight" % i, w), ("L%d.bias" % i, b)]
    write_model(sys.argv[4], big_cfg, tensors)


if __name__ == "__main__":
    try:
        main()
    except Refuse as e:
        die(str(e))
    except (struct.error, KeyError, UnicodeDecodeError, ValueError, OSError) as e:
        die("%s: %s" % (type(e).__name__, e))
