"""make_interop.py: small models made by PyTorch and Keras themselves, and
their own predictions, for daeconvert's import tests (tests/cli/daeconvert.bats).

What it writes, in tests/golden/interop/ (tensor(5) streams are f32 NHWC on
the 0..255 scale, as daeinfer --float writes them):
  input.ts            two 28 x 36 RGB images, integer values 0..255
  dncnn_opsetN.onnx   a DnCNN-style residual denoiser, y = x - net(x), exported
                      by torch.onnx at opsets 13, 17 and 18: Conv + ReLU, a
                      bias-free dilated Conv, ReLU, BatchNorm (after the ReLU,
                      so the exporter cannot fold it into the conv), Conv, Sub
  unet_opset13.onnx   MaxPool(2, ceil_mode), Upsample(2, nearest), Concat,
                      1x1 Conv, Sigmoid
  shuffle_opset17.onnx  MaxPool, Conv, PixelShuffle (DepthToSpace, CRD order)
  tutorial.keras      the tutorial's network (Sequential, default layer names:
  tutorial.h5         Conv2D, MaxPooling2D 'same', BatchNormalization,
                      UpSampling2D, a 'valid' Conv2D, sigmoid), Keras 3 format
                      and legacy HDF5
  functional.keras    a functional model: Conv2D, BatchNormalization, dilated
                      Conv2D, Add, Activation, MaxPooling2D, UpSampling2D,
                      Concatenate, ReLU, Activation('sigmoid'), Subtract
                      (of a linear Conv2D, as a residual denoiser's x - net(x))
  NAME.ref.ts         each model's output for input.ts, from its framework

Weights are random (fixed seeds), BatchNorm statistics too, so a wrong
transpose or a swapped mean and variance shows. What it is not: a test; the
bats tests read these files and need no Python beyond daeconvert's importer.

    /work/venv-bench/bin/python tests/golden/make_interop.py
Tested with torch 2.15, tensorflow-cpu 2.21, Keras 3.15, numpy 2.4.
"""
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tsio  # noqa: E402

OUT = os.path.join(HERE, "interop")
N, H, W = 2, 28, 36


def write_ts(name, nhwc255):
    with open(os.path.join(OUT, name), "wb") as f:
        for i, img in enumerate(nhwc255):
            tsio.write(f, "img%d" % i, np.ascontiguousarray(img, dtype=np.float32))


def randomize_bn(bn, rng):
    c = bn.num_features
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c).astype(np.float32)))
        bn.bias.copy_(torch.from_numpy(rng.normal(0, 0.1, c).astype(np.float32)))
        bn.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.2, c).astype(np.float32)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, c).astype(np.float32)))


class DnCNN(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=2, dilation=2, bias=False), nn.ReLU(),
            nn.BatchNorm2d(16, eps=1e-3),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 3, 3, padding=1))
        randomize_bn(self.net[4], rng)

    def forward(self, x):
        return x - self.net(x)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.out = nn.Conv2d(16, 3, 1)

    def forward(self, x):
        e = torch.relu(self.enc(x))
        m = torch.relu(self.mid(self.pool(e)))
        return torch.sigmoid(self.out(torch.cat([self.up(m), e], 1)))


class Shuffle(nn.Module):
    """PixelShuffle, which torch.onnx writes as DepthToSpace in CRD order"""
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dec = nn.Conv2d(8, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return torch.sigmoid(self.shuffle(self.dec(self.pool(torch.relu(self.enc(x))))))


def torch_case(name, model, x, opsets):
    model.eval()
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2) / 255).float()
    with torch.no_grad():
        y = model(xt).numpy().transpose(0, 2, 3, 1) * 255
    for opset in opsets:
        path = os.path.join(OUT, "%s_opset%d.onnx" % (name, opset))
        torch.onnx.export(model, xt, path, opset_version=opset, input_names=["x"],
                          output_names=["y"], dynamo=False,
                          dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}, "y": {0: "n", 2: "h", 3: "w"}})
    write_ts("%s.ref.ts" % name, y)


def keras_randomize(model, rng):
    for layer in model.layers:
        for v in layer.weights:
            shape = tuple(v.shape)
            if "moving_variance" in v.path or "gamma" in v.path:
                v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
            elif "kernel" in v.path:
                # He's scale, so activations stay near 1 through the layers
                fan_in = shape[0] * shape[1] * shape[2]
                v.assign(rng.normal(0, np.sqrt(2.0 / fan_in), shape).astype(np.float32))
            else:
                v.assign(rng.normal(0, 0.1, shape).astype(np.float32))


def tutorial_model():
    """the tutorial's create_model(), as its notebook builds it"""
    return keras.Sequential([
        keras.Input((None, None, 3)),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.BatchNormalization(),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.BatchNormalization(),
        layers.Conv2D(16, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2), padding="same"),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
        layers.UpSampling2D((2, 2)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
        layers.UpSampling2D((2, 2)),
        layers.Conv2D(16, (3, 3), activation="relu", padding="valid"),
        layers.UpSampling2D((2, 2)),
        layers.Conv2D(3, (3, 3), activation="sigmoid", padding="same"),
    ])


def functional_model():
    x = keras.Input((None, None, 3), name="image")
    a = layers.Conv2D(8, 3, padding="same", activation="relu", name="enc")(x)
    b = layers.BatchNormalization(epsilon=1e-3, name="bn")(a)
    b = layers.Conv2D(8, 3, padding="same", dilation_rate=2, name="dil")(b)
    s = layers.Add(name="skip")([a, b])
    s = layers.Activation("relu", name="act")(s)
    p = layers.MaxPooling2D(2, padding="same", name="pool")(s)
    u = layers.UpSampling2D(2, name="up")(p)
    c = layers.Concatenate(name="cat")([u, a])
    y = layers.Conv2D(3, 1, name="head")(c)
    y = layers.ReLU(name="relu")(y)
    y = layers.Activation("sigmoid", name="out")(y)
    r = layers.Conv2D(3, 3, padding="same", name="res")(c)
    y = layers.Subtract(name="minus")([y, r])
    return keras.Model(x, y)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20)
    x = rng.integers(0, 256, (N, H, W, 3)).astype(np.float32)
    write_ts("input.ts", x)

    torch.manual_seed(20)
    torch_case("dncnn", DnCNN(rng), x, (13, 17, 18))
    torch.manual_seed(21)
    torch_case("unet", UNet(), x, (13,))
    torch.manual_seed(22)
    torch_case("shuffle", Shuffle(), x, (17,))

    keras.utils.set_random_seed(20)
    for name, build in (("tutorial", tutorial_model), ("functional", functional_model)):
        model = build()
        keras_randomize(model, rng)
        y = model.predict(x / 255, verbose=0) * 255
        write_ts("%s.ref.ts" % name, y)
        model.save(os.path.join(OUT, name + ".keras"))
        if name == "tutorial":
            model.save(os.path.join(OUT, name + ".h5"))
    for f in sorted(os.listdir(OUT)):
        print("%-24s %8d bytes" % (f, os.path.getsize(os.path.join(OUT, f))))


if __name__ == "__main__":
    main()
