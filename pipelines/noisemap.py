"""noisemap.py: a trained blind conv stack, told the noise level as an input.

    python3 noisemap.py BLIND.bin MAP.cfg MAP.bin

BLIND.bin is a model(5) of a plain stack as grow.py takes it
(models/dncnn17-color.cfg). MAP.cfg is the same stack reading the image and
its noise level: `[noisemap]` and `[concat] from = input, -1` before the
first convolution (models/denoise-color.cfg). MAP.bin gets BLIND.bin's
weights, the first convolution a fourth input channel, the level, with
weights of zero: it computes what BLIND.bin computes whatever level it is
told, so training it (daetrain --init MAP.bin) starts where the blind net's
training ended and teaches it to use the level (FFDNet's input, Zhang, Zuo
and Zhang 2018, given to a DnCNN stack).

A converter for the training recipe (pipelines/color.mk), on numpy only,
with grow.py's reader and checks; MAP.bin is written via a temporary file
and a rename.
"""
import struct
import sys

import numpy as np

from grow import Refuse, die, read_model, stack, write_model


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: noisemap.py BLIND.bin MAP.cfg MAP.bin")
    cfg, t = read_model(sys.argv[1])
    blind = stack(cfg, sys.argv[1])
    with open(sys.argv[2]) as f:
        map_cfg = f.read()
    if stack(map_cfg, sys.argv[2], noisemap=True) != blind:
        die("%s: not %s's stack after a noise map" % (sys.argv[2], sys.argv[1]))
    tensors = []
    for i, (f, _) in enumerate(blind):
        w, b = t["L%d.weight" % i], t["L%d.bias" % i]
        cin = 3 if i == 0 else blind[i - 1][0]
        if w.shape != (3, 3, cin, f) or b.shape != (f,):
            die("%s: L%d: shape does not match its cfg" % (sys.argv[1], i))
        if i == 0:
            w = np.concatenate([w, np.zeros((3, 3, 1, f), np.float32)], axis=2)
        # [noisemap] and [concat] are L0 and L1: every conv moves up two
        tensors += [("L%d.weight" % (i + 2), w), ("L%d.bias" % (i + 2), b)]
    write_model(sys.argv[3], map_cfg, tensors)


if __name__ == "__main__":
    try:
        main()
    except Refuse as e:
        die(str(e))
    except (struct.error, KeyError, UnicodeDecodeError, ValueError, OSError) as e:
        die("%s: %s" % (type(e).__name__, e))
