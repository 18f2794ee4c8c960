#!/usr/bin/python3
"""daeconvert.py: the importer of daeconvert(1). Reads an ONNX (.onnx) or
Keras (.keras, legacy .h5) model and writes it to stdout as a model(5)
file: the cfg(5) text of the same network and its weights.

    daeconvert.py IN > OUT.bin      (daeconvert runs it; errors exit 1)

What it is: a translator from the operators and layers whose arithmetic the
engine has (cfg(5)) to its layer kinds, refusing anything else by name and
node. The files are parsed by their own libraries (onnx's protobuf classes,
h5py over libhdf5, json and zipfile); what they hand back is still the
file's word, so every type, shape, attribute value and reference is checked
here before it is used. What it is not: an optimiser, a general graph
rewriter or a runner; nothing is guessed, and an operator whose arithmetic
differs from the engine's in any case is refused rather than approximated.

Runs on Debian's /usr/bin/python3 with python3-onnx, python3-h5py and
python3-numpy (pipelines/install-deps.sh); nothing else in dae needs Python.
"""
import json
import os
import re
import signal
import struct
import sys
import zlib

PROG = "daeconvert"

# the engine's limits (cfg(5), model(5), lib/nn.h), checked here so that a
# refusal names the node rather than a line of generated cfg
MAX_LAYERS = 199                # NN_MAX_LAYERS sections, one of them [net]
MAX_IN = 4
MAX_CHANNELS_IN = 64
MAX_FILTERS = 4096
MAX_KERNEL = 15
MAX_DILATION = 64
MAX_POOL = 16
MAX_SCALE = 16
MAX_FILE = 1 << 30
MAX_TENSOR = 1 << 28            # floats in one weight tensor
NAME_RE = re.compile(r"^[A-Za-z_-][A-Za-z0-9_-]{0,30}$")


class Refuse(Exception):
    """A file the importer will not convert; the message says why."""


def die(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.exit(1)


# ----------------------------------------------------------------------------
# the network being built: cfg(5) layers with their parameters

class Layer:
    def __init__(self, kind, hint, inputs, channels, keys=None, params=None):
        self.kind = kind            # cfg section name
        self.hint = hint            # a name from the file, used if it is a valid cfg name
        self.inputs = inputs        # indices into Net.layers; -1 is the input
        self.channels = channels    # output channels
        self.keys = keys or {}      # cfg keys, in order
        self.params = params or []  # [(suffix, float32 array)] in arena order


class Net:
    def __init__(self, channels):
        self.channels = channels
        self.layers = []

    def channels_of(self, i):
        return self.channels if i < 0 else self.layers[i].channels

    def add(self, layer, where):
        if len(layer.inputs) > MAX_IN:
            raise Refuse("%s: more than %d inputs" % (where, MAX_IN))
        self.layers.append(layer)
        return len(self.layers) - 1

    def build(self, out):
        """cfg text and [(name, array)] for the layers that out depends on,
        in file order (a topological order, out last)."""
        if out < 0:
            raise Refuse("the output is the input: the graph computes nothing")
        need, todo = set(), [out]
        while todo:
            i = todo.pop()
            if i >= 0 and i not in need:
                need.add(i)
                todo.extend(self.layers[i].inputs)
        order = sorted(need)
        if len(order) > MAX_LAYERS:
            raise Refuse("%d layers; the engine takes at most %d" % (len(order), MAX_LAYERS))
        pos = {i: k for k, i in enumerate(order)}
        kept = {}
        for i in order:
            h = self.layers[i].hint
            if h and NAME_RE.match(h) and h != "input" and h not in kept:
                kept[h] = i
        names, used = {}, set(kept)
        for i in order:
            h = self.layers[i].hint
            if kept.get(h) == i:
                names[i] = h
                continue
            name, k = "L%d" % pos[i], 0
            while name in used:
                k += 1
                name = "L%d_%d" % (pos[i], k)
            used.add(name)
            names[i] = name
        lines = ["# converted by daeconvert", "[net]", "channels = %d" % self.channels, ""]
        tensors = []
        for i in order:
            l = self.layers[i]
            lines.append("[%s]" % l.kind)
            if names[i] != "L%d" % pos[i]:
                lines.append("name = %s" % names[i])
            prev = [order[pos[i] - 1] if pos[i] > 0 else -1]
            if l.inputs != prev:
                lines.append("from = " + ", ".join("input" if j < 0 else names[j] for j in l.inputs))
            for k, v in l.keys.items():
                lines.append("%s = %s" % (k, v))
            for suffix, a in l.params:
                tensors.append(("%s.%s" % (names[i], suffix), a))
        return "\n".join(lines) + "\n", tensors


def model_bytes(cfg, tensors):
    """model(5): magic, version, cfg, tensors, CRC-32 of all before it."""
    import numpy as np
    out = [b"DAEMODEL", struct.pack("<II", 1, len(cfg.encode())), cfg.encode(),
           struct.pack("<I", len(tensors))]
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        if not 1 <= a.ndim <= 4:
            raise Refuse("tensor %s: rank %d" % (name, a.ndim))
        out.append(struct.pack("<H", len(name)) + name.encode() + struct.pack("<BB", a.ndim, 2))
        out.append(struct.pack("<%dI" % a.ndim, *a.shape))
        out.append(a.tobytes())
    body = b"".join(out)
    if len(body) > MAX_FILE - 4:
        raise Refuse("the model would be larger than 1 GiB")
    return body + struct.pack("<I", zlib.crc32(body) & 0xffffffff)


def fmt_float(x):
    """a float32 as text that reads back to the same float32"""
    return "%.9g" % x


def check_int(where, what, v, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise Refuse("%s: %s %r is not in %d..%d" % (where, what, v, lo, hi))
    return v


def float_array(np, where, what, a, shape=None):
    """a, checked to be finite float32 of the given shape (None: any)"""
    if a.dtype != np.float32:
        raise Refuse("%s: %s is %s, not float32" % (where, what, a.dtype))
    if shape is not None and tuple(a.shape) != tuple(shape):
        raise Refuse("%s: %s has shape %s, expected %s" % (where, what, list(a.shape), list(shape)))
    if not np.all(np.isfinite(a)):
        raise Refuse("%s: %s holds a NaN or infinity" % (where, what))
    return a


def conv_layer(np, net, where, hint, src, kernel, bias, pad, dilation):
    """kernel (Cout, Cin, K, K), as ONNX and PyTorch store it"""
    cout, cin, kh, kw = kernel.shape
    if kh != kw:
        raise Refuse("%s: kernel %dx%d; the engine's are square" % (where, kh, kw))
    check_int(where, "kernel size", int(kh), 1, MAX_KERNEL)
    check_int(where, "filters", int(cout), 1, MAX_FILTERS)
    check_int(where, "dilation", dilation, 1, MAX_DILATION)
    if cin != net.channels_of(src):
        raise Refuse("%s: kernel takes %d channels, its input has %d" % (where, cin, net.channels_of(src)))
    keys = {"filters": int(cout), "size": int(kh), "pad": pad}
    if dilation != 1:
        keys["dilation"] = dilation
    if bias is None:
        keys["bias"] = 0
    params = [("weight", np.ascontiguousarray(kernel.transpose(2, 3, 1, 0)))]
    if bias is not None:
        params.append(("bias", bias))
    return net.add(Layer("conv", hint, [src], int(cout), keys, params), where)


def bn_layer(net, where, hint, src, gamma, beta, mean, var, eps, momentum):
    if not 1e-12 <= eps <= 1:
        raise Refuse("%s: epsilon %g is not in 1e-12..1" % (where, eps))
    if not 0 <= momentum <= 1:
        raise Refuse("%s: momentum %g is not in 0..1" % (where, momentum))
    if (var < 0).any():
        raise Refuse("%s: a negative moving variance" % where)
    keys = {"momentum": fmt_float(momentum), "eps": fmt_float(eps)}
    params = [("gamma", gamma), ("beta", beta), ("moving_mean", mean), ("moving_var", var)]
    return net.add(Layer("batchnorm", hint, [src], net.channels_of(src), keys, params), where)


def pool_layer(net, where, hint, src, size, stride, pad):
    check_int(where, "pool size", size, 1, MAX_POOL)
    check_int(where, "stride", stride, 1, MAX_POOL)
    keys = {"size": size, "stride": stride, "pad": pad}
    return net.add(Layer("maxpool", hint, [src], net.channels_of(src), keys), where)


def scale_layer(net, where, hint, kind, src, size):
    check_int(where, "factor", size, 1, MAX_SCALE)
    c = net.channels_of(src)
    if kind == "space_to_depth":
        c *= size * size
    elif kind == "depth_to_space":
        if c % (size * size):
            raise Refuse("%s: %d channels are not a multiple of %d" % (where, c, size * size))
        c //= size * size
    return net.add(Layer(kind, hint, [src], c, {"size": size}), where)


def merge_layer(net, where, hint, kind, srcs):
    if not 2 <= len(srcs) <= MAX_IN:
        raise Refuse("%s: %d inputs; the engine's %s takes 2 to %d" % (where, len(srcs), kind, MAX_IN))
    cs = [net.channels_of(s) for s in srcs]
    if kind == "add" and len(set(cs)) != 1:
        raise Refuse("%s: inputs of %s channels differ" % (where, cs))
    return net.add(Layer(kind, hint, list(srcs), cs[0] if kind == "add" else sum(cs)), where)


def fuse_activation(net, src, act, sole_reader):
    """src's conv takes the activation when it is linear and only this reads it"""
    if src >= 0 and sole_reader:
        l = net.layers[src]
        if l.kind == "conv" and "activation" not in l.keys:
            l.keys["activation"] = act
            return True
    return False


# ----------------------------------------------------------------------------
# ONNX

ONNX_OPSETS = range(13, 19)
FLOAT = 1


class OnnxGraph:
    """The graph's tensors and who reads them, checked for order and types."""

    def __init__(self, np, onnx, model):
        from onnx import numpy_helper
        self.np, self.onnx, self.nh = np, onnx, numpy_helper
        g = model.graph
        opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
        if len(opset) != 1 or opset[0] not in ONNX_OPSETS:
            raise Refuse("opset %s: daeconvert reads ONNX opsets %d to %d"
                         % (opset[0] if opset else "none", ONNX_OPSETS[0], ONNX_OPSETS[-1]))
        self.opset = opset[0]
        if len(g.sparse_initializer):
            raise Refuse("sparse initializers are not supported")
        self.consts = {}
        for t in g.initializer:
            self.consts[t.name] = t
        inputs = [v for v in g.input if v.name not in self.consts]
        if len(inputs) != 1:
            raise Refuse("%d graph inputs; the engine takes one image" % len(inputs))
        if len(g.output) != 1:
            raise Refuse("%d graph outputs; the engine gives one image" % len(g.output))
        self.input, self.output = inputs[0], g.output[0].name
        tt = self.input.type.tensor_type
        if not self.input.type.HasField("tensor_type") or tt.elem_type != FLOAT:
            raise Refuse("input '%s' is not a float32 tensor" % self.input.name)
        dims = tt.shape.dim
        if len(dims) != 4:
            raise Refuse("input '%s' has rank %d, not 4 (NCHW)" % (self.input.name, len(dims)))
        if not dims[1].HasField("dim_value") or not 1 <= dims[1].dim_value <= MAX_CHANNELS_IN:
            raise Refuse("input '%s': channels must be a number from 1 to %d"
                         % (self.input.name, MAX_CHANNELS_IN))
        self.channels = dims[1].dim_value
        self.readers = {}
        known = set(self.consts) | {self.input.name}
        for k, n in enumerate(g.node):
            where = self.where(n)
            if n.domain not in ("", "ai.onnx"):
                raise Refuse("%s: operator domain '%s' is not supported" % (where, n.domain))
            for t in n.input:
                if t and t not in known:
                    raise Refuse("%s: reads '%s' before anything writes it" % (where, t))
                if t:
                    self.readers.setdefault(t, []).append(k)
            for t in n.output:
                if t in known:
                    raise Refuse("%s: writes '%s' a second time" % (where, t))
                if t:
                    known.add(t)
            if n.op_type == "Constant":
                self.constant(n)
        if self.output not in known:
            raise Refuse("the graph output '%s' is never written" % self.output)

    @staticmethod
    def where(n):
        return "%s node '%s'" % (n.op_type, n.name or (n.output[0] if n.output else "?"))

    def constant(self, n):
        where = self.where(n)
        if len(n.output) != 1 or len(n.attribute) != 1 or n.attribute[0].name != "value" \
                or n.attribute[0].type != self.onnx.AttributeProto.TENSOR:
            raise Refuse("%s: only a 'value' tensor is supported" % where)
        self.consts[n.output[0]] = n.attribute[0].t

    def const(self, n, i, what, required=True):
        """input i of node n as a numpy array, or None when it is absent"""
        where = self.where(n)
        name = n.input[i] if i < len(n.input) else ""
        if not name:
            if required:
                raise Refuse("%s: %s is missing" % (where, what))
            return None
        t = self.consts.get(name)
        if t is None:
            raise Refuse("%s: %s '%s' must be a constant, not computed" % (where, what, name))
        if t.data_location == self.onnx.TensorProto.EXTERNAL:
            raise Refuse("%s: %s '%s' is stored in an external file" % (where, what, name))
        if len(t.dims) > 4 or any(d < 0 for d in t.dims):
            raise Refuse("%s: %s '%s' has bad dimensions %s" % (where, what, name, list(t.dims)))
        count = 1
        for d in t.dims:
            count *= d
        if count > MAX_TENSOR:
            raise Refuse("%s: %s '%s' claims %d values" % (where, what, name, count))
        try:
            return self.nh.to_array(t)
        except Exception as e:
            raise Refuse("%s: %s '%s': %s" % (where, what, name, e))

    def sole_reader(self, layer):
        """layer's output (under all its names) is read once, and is not the
        graph's output: then the one reader may change it in place"""
        names = [t for t, i in self.at.items() if i == layer]
        return layer >= 0 and self.output not in names and \
            sum(len(self.readers.get(t, [])) for t in names) == 1


def onnx_attrs(g, n, allowed):
    """the node's attributes as Python values; any name not allowed is refused"""
    from onnx import helper
    where, out = g.where(n), {}
    for a in n.attribute:
        if a.name not in allowed:
            raise Refuse("%s: attribute '%s' is not supported" % (where, a.name))
        if a.name in out:
            raise Refuse("%s: attribute '%s' given twice" % (where, a.name))
        try:
            v = helper.get_attribute_value(a)
        except Exception as e:
            raise Refuse("%s: attribute '%s': %s" % (where, a.name, e))
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, list):
            v = [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in v]
        want = allowed[a.name]
        if want is list and not isinstance(v, list) or want is not list and not isinstance(v, want):
            raise Refuse("%s: attribute '%s' has the wrong type" % (where, a.name))
        out[a.name] = v
    return out


def onnx_pair(where, what, v, default):
    """a per-axis attribute that must be the same on both axes"""
    if v is None:
        return default
    if len(v) != 2 or v[0] != v[1]:
        raise Refuse("%s: %s %s; the engine's are the same on both axes" % (where, what, v))
    return v[0]


def onnx_conv(g, net, n, k, src, where):
    np = g.np
    at = onnx_attrs(g, n, {"kernel_shape": list, "strides": list, "pads": list, "dilations": list,
                           "group": int, "auto_pad": str})
    w = float_array(np, where, "the kernel", g.const(n, 1, "the kernel"))
    if w.ndim != 4:
        raise Refuse("%s: a %d-dimensional kernel; only 2-D convolutions are supported" % (where, w.ndim))
    b = g.const(n, 2, "the bias", required=False)
    if b is not None:
        b = float_array(np, where, "the bias", b, (w.shape[0],))
    if at.get("group", 1) != 1:
        raise Refuse("%s: group %d; only group 1 is supported" % (where, at["group"]))
    if onnx_pair(where, "strides", at.get("strides"), 1) != 1:
        raise Refuse("%s: strides %s; the engine's convolutions have stride 1" % (where, at["strides"]))
    if "kernel_shape" in at and list(at["kernel_shape"]) != list(w.shape[2:]):
        raise Refuse("%s: kernel_shape %s does not match the kernel %s" % (where, at["kernel_shape"], list(w.shape)))
    dil = onnx_pair(where, "dilations", at.get("dilations"), 1)
    span = (w.shape[2] - 1) * dil
    same = [span // 2, span // 2, span - span // 2, span - span // 2]
    auto = at.get("auto_pad", "NOTSET")
    pads = at.get("pads", [0, 0, 0, 0])
    if auto == "NOTSET":
        if pads == [0, 0, 0, 0]:
            pad = "valid"
        elif pads == same:
            pad = "same"
        else:
            raise Refuse("%s: pads %s are neither none nor TensorFlow's 'same' (%s)" % (where, pads, same))
    elif "pads" in at:
        raise Refuse("%s: both pads and auto_pad" % where)
    elif auto == "VALID":
        pad = "valid"
    elif auto == "SAME_UPPER" or auto == "SAME_LOWER" and span % 2 == 0:
        pad = "same"
    else:
        raise Refuse("%s: auto_pad %s is not supported" % (where, auto))
    return conv_layer(np, net, where, n.name, src, w, b, pad, dil)


def onnx_maxpool(g, net, n, k, src, where):
    at = onnx_attrs(g, n, {"kernel_shape": list, "strides": list, "pads": list, "dilations": list,
                           "auto_pad": str, "ceil_mode": int, "storage_order": int})
    if len(n.output) > 1 and n.output[1]:
        raise Refuse("%s: the Indices output is not supported" % where)
    if "kernel_shape" not in at:
        raise Refuse("%s: kernel_shape is missing" % where)
    size = onnx_pair(where, "kernel_shape", at["kernel_shape"], None)
    stride = onnx_pair(where, "strides", at.get("strides"), 1)
    if onnx_pair(where, "dilations", at.get("dilations"), 1) != 1:
        raise Refuse("%s: dilations %s are not supported" % (where, at["dilations"]))
    pads, auto, ceil = at.get("pads", [0, 0, 0, 0]), at.get("auto_pad", "NOTSET"), at.get("ceil_mode", 0)
    if pads != [0, 0, 0, 0]:
        raise Refuse("%s: pads %s; PyTorch-style padding is not Keras' 'same'" % (where, pads))
    if auto == "SAME_UPPER":
        pad = "same"
    elif auto in ("NOTSET", "VALID") and ceil == 0:
        pad = "valid"
    elif auto == "NOTSET" and ceil == 1 and size == stride and size <= 2:
        # windows of 2 at stride 2 from the first pixel: ceil_mode's last
        # window hangs over the edge as Keras' 'same' has it; from size 3 on
        # 'same' would pad before the image too
        pad = "same"
    else:
        raise Refuse("%s: auto_pad %s with ceil_mode %d is not supported for a %dx%d window at stride %d"
                     % (where, auto, ceil, size, size, stride))
    return pool_layer(net, where, n.name, src, size, stride, pad)


def onnx_resize(g, net, n, k, src, where):
    np = g.np
    at = onnx_attrs(g, n, {"mode": str, "coordinate_transformation_mode": str, "nearest_mode": str,
                           "cubic_coeff_a": float, "exclude_outside": int, "extrapolation_value": float,
                           "antialias": int, "axes": list, "keep_aspect_ratio_policy": str,
                           "scales": list})
    if at.get("mode", "nearest") != "nearest":
        raise Refuse("%s: mode '%s'; only nearest is supported" % (where, at["mode"]))
    ctm = at.get("coordinate_transformation_mode", "half_pixel" if n.op_type == "Resize" else "asymmetric")
    nm = at.get("nearest_mode", "round_prefer_floor" if n.op_type == "Resize" else "floor")
    # output y reads input floor(y / f) for an integer factor f under these
    # (half_pixel's (y + 0.5) / f - 0.5 never ties, so either rounding works)
    exact = {("asymmetric", "floor"), ("tf_half_pixel_for_nn", "floor"),
             ("half_pixel", "round_prefer_floor"), ("half_pixel", "round_prefer_ceil"),
             ("pytorch_half_pixel", "round_prefer_floor"), ("pytorch_half_pixel", "round_prefer_ceil")}
    if n.op_type == "Upsample":
        ctm, nm = "asymmetric", "floor"
    if (ctm, nm) not in exact:
        raise Refuse("%s: coordinate_transformation_mode %s with nearest_mode %s is not UpSampling2D's nearest"
                     % (where, ctm, nm))
    if at.get("exclude_outside", 0) != 0:
        raise Refuse("%s: exclude_outside is not supported" % where)
    if n.op_type == "Upsample" and "scales" in at:
        scales = np.array(at["scales"], dtype=np.float32)
    elif n.op_type == "Upsample":
        scales = g.const(n, 1, "the scales")
    else:
        if len(n.input) > 3 and n.input[3]:
            raise Refuse("%s: resizing to given sizes is not supported, only by integer scales" % where)
        scales = g.const(n, 2, "the scales")
    axes = at.get("axes")
    scales = np.asarray(scales)
    scales = float_array(np, where, "the scales", scales.reshape(-1))
    if axes is not None:
        if sorted(axes) not in ([2, 3], [0, 1, 2, 3], [-2, -1]) or len(axes) != len(scales):
            raise Refuse("%s: axes %s are not supported" % (where, axes))
        full = [1.0, 1.0] + [float(s) for s in scales[-2:]]
    else:
        full = [float(s) for s in scales]
    if len(full) != 4 or full[0] != 1 or full[1] != 1 or full[2] != full[3] or full[2] != int(full[2]):
        raise Refuse("%s: scales %s; the engine upsamples height and width by one integer factor"
                     % (where, full))
    return scale_layer(net, where, n.name, "upsample", src, int(full[2]))


def onnx_bn(g, net, n, k, src, where):
    np = g.np
    at = onnx_attrs(g, n, {"epsilon": float, "momentum": float, "training_mode": int, "spatial": int})
    if at.get("training_mode", 0) != 0 or len([t for t in n.output if t]) != 1:
        raise Refuse("%s: training mode is not supported" % where)
    if at.get("spatial", 1) != 1:
        raise Refuse("%s: spatial 0 is not supported" % where)
    c = net.channels_of(src)
    p = [float_array(np, where, what, g.const(n, i, what), (c,))
         for i, what in enumerate(("the scale", "the bias", "the mean", "the variance"), 1)]
    return bn_layer(net, where, n.name, src, *p, at.get("epsilon", 1e-5), at.get("momentum", 0.9))


def layer_named(n):
    """a node that daeconvert exported from a layer of its own carries the
    layer's name (a valid cfg name); the exporter's other nodes and
    PyTorch's ("/net/net.1/Relu") do not. Such a node stays a layer, so a
    model comes back from ONNX with the layers it had."""
    return bool(NAME_RE.match(n.name)) and n.name != "input"


def onnx_activation(kind):
    def f(g, net, n, k, src, where):
        onnx_attrs(g, n, {})
        if not layer_named(n) and fuse_activation(net, src, kind, g.sole_reader(src)):
            return src
        return net.add(Layer(kind, n.name, [src], net.channels_of(src)), where)
    return f


def onnx_identity(g, net, n, k, src, where):
    onnx_attrs(g, n, {})
    if layer_named(n):
        return net.add(Layer("linear", n.name, [src], net.channels_of(src)), where)
    return src


def onnx_blocks(kind):
    def f(g, net, n, k, src, where):
        at = onnx_attrs(g, n, {"blocksize": int, "mode": str})
        if "blocksize" not in at:
            raise Refuse("%s: blocksize is missing" % where)
        mode = at.get("mode", "DCR")
        if mode == "CRD":
            crd_to_dcr(g, net, src, at["blocksize"], where)
        elif mode != "DCR":
            raise Refuse("%s: mode %s is not supported" % (where, mode))
        return scale_layer(net, where, n.name, kind, src, at["blocksize"])
    return f


def crd_to_dcr(g, net, src, b, where):
    """PyTorch's PixelShuffle is DepthToSpace in CRD order: output channel c
    of block (by, bx) is input channel c * b * b + by * b + bx; the engine's
    (TensorFlow's) DCR takes it from (by * b + bx) * C + c. When a conv that
    nothing else reads makes those channels, it can make them in DCR order."""
    l = net.layers[src] if src >= 0 else None
    if l is None or l.kind != "conv" or not g.sole_reader(src):
        raise Refuse("%s: mode CRD on a tensor that is not a Conv's read by nothing else; "
                     "the engine's depth_to_space is DCR (TensorFlow's order)" % where)
    check_int(where, "blocksize", b, 1, MAX_SCALE)
    if l.channels % (b * b):
        raise Refuse("%s: %d channels are not a multiple of %d" % (where, l.channels, b * b))
    c = l.channels // (b * b)
    perm = [ch * b * b + blk for blk in range(b * b) for ch in range(c)]
    l.params = [(s, a[..., perm]) for s, a in l.params]


def onnx_concat(g, net, n, k, srcs, where):
    at = onnx_attrs(g, n, {"axis": int})
    if at.get("axis") not in (1, -3):
        raise Refuse("%s: axis %s; the engine concatenates channels (axis 1)" % (where, at.get("axis")))
    return merge_layer(net, where, n.name, "concat", srcs)


def onnx_add(g, net, n, k, srcs, where):
    onnx_attrs(g, n, {})
    return merge_layer(net, where, n.name, "add", srcs)


def onnx_sub(g, net, n, k, srcs, where):
    """a - b as a + (-b), when b is a linear conv that only this reads: its
    kernel and bias change sign (DnCNN's x - net(x))"""
    onnx_attrs(g, n, {})
    if len(srcs) != 2:
        raise Refuse("%s: %d inputs" % (where, len(srcs)))
    b = srcs[1]
    l = net.layers[b] if b >= 0 else None
    if l is None or l.kind != "conv" or "activation" in l.keys or not g.sole_reader(b):
        raise Refuse("%s: subtracts '%s', which is not a linear Conv read by nothing else; "
                     "the engine has no subtraction" % (where, n.input[1]))
    l.params = [(s, -a) for s, a in l.params]
    return merge_layer(net, where, n.name, "add", srcs)


# op type -> (handler, takes several inputs)
ONNX_OPS = {
    "Conv": (onnx_conv, False),
    "MaxPool": (onnx_maxpool, False),
    "Resize": (onnx_resize, False),
    "Upsample": (onnx_resize, False),
    "BatchNormalization": (onnx_bn, False),
    "Relu": (onnx_activation("relu"), False),
    "Sigmoid": (onnx_activation("sigmoid"), False),
    "Identity": (onnx_identity, False),
    "SpaceToDepth": (onnx_blocks("space_to_depth"), False),
    "DepthToSpace": (onnx_blocks("depth_to_space"), False),
    "Add": (onnx_add, True),
    "Sum": (onnx_add, True),
    "Sub": (onnx_sub, True),
    "Concat": (onnx_concat, True),
}


def import_onnx(path):
    import numpy as np
    import onnx
    from google.protobuf.message import DecodeError
    if os.path.getsize(path) > MAX_FILE:
        raise Refuse("larger than 1 GiB")
    try:
        model = onnx.load(path, load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, UnicodeDecodeError) as e:
        raise Refuse("not an ONNX model (%s)" % (str(e) or type(e).__name__))
    g = OnnxGraph(np, onnx, model)
    net = Net(g.channels)
    at = g.at = {g.input.name: -1}
    for k, n in enumerate(model.graph.node):
        if n.op_type == "Constant":
            continue
        where = g.where(n)
        if n.op_type not in ONNX_OPS:
            raise Refuse("%s: operator %s is not supported" % (where, n.op_type))
        handler, several = ONNX_OPS[n.op_type]
        outs = [t for t in n.output if t]
        if not outs:
            raise Refuse("%s: no output" % where)
        ins = [t for t in n.input if t]
        first = n.input[0] if n.input else ""
        for t in ins if several else [first]:
            if t not in at:
                raise Refuse("%s: input '%s' is a constant, not an image" % (where, t or "(none)"))
        if several:
            at[outs[0]] = handler(g, net, n, k, [at[t] for t in ins], where)
        else:
            at[outs[0]] = handler(g, net, n, k, at[first], where)
    if g.output not in at:
        raise Refuse("the graph output '%s' is a constant" % g.output)
    return net, at[g.output]


# ----------------------------------------------------------------------------
# Keras: the architecture is JSON (config.json in a .keras zip, the
# model_config attribute of a legacy .h5), the weights HDF5

MAX_JSON = 16 << 20

# keys that do not change what a trained layer computes at inference
KERAS_IGNORED = {"name", "trainable", "dtype", "kernel_initializer", "bias_initializer",
                 "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                 "kernel_constraint", "bias_constraint", "beta_initializer", "gamma_initializer",
                 "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
                 "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized",
                 "renorm_clipping", "renorm_momentum", "fused", "lora_rank", "lora_alpha",
                 "quantization_config"}


def keras_keys(where, cfg, known):
    """cfg with every key checked: each must be known or harmless"""
    if not isinstance(cfg, dict):
        raise Refuse("%s: the layer's config is not an object" % where)
    for k in cfg:
        if k not in known and k not in KERAS_IGNORED:
            raise Refuse("%s: option '%s' is not supported" % (where, k))
    dt = cfg.get("dtype")
    name = dt.get("config", {}).get("name") if isinstance(dt, dict) else dt
    if dt is not None and name != "float32":
        raise Refuse("%s: dtype policy %s; only float32 is supported" % (where, name))
    return cfg


def keras_want(where, cfg, key, allowed, default):
    v = cfg.get(key, default)
    if v not in allowed:
        raise Refuse("%s: %s %r is not supported (only %s)" % (where, key, v, ", ".join(map(repr, allowed))))
    return v


def keras_pair(where, cfg, key, default):
    v = cfg.get(key, default)
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v, v]
    if not isinstance(v, list) or len(v) != 2 or v[0] != v[1] or not isinstance(v[0], int) \
            or isinstance(v[0], bool):
        raise Refuse("%s: %s %r; the engine's are one integer for both axes" % (where, key, v))
    return v[0]


def keras_act(where, cfg):
    a = cfg.get("activation", "linear")
    if a is None:
        a = "linear"
    if a not in ("linear", "relu", "sigmoid"):
        raise Refuse("%s: activation %r is not supported (linear, relu, sigmoid)" % (where, a))
    return a


def keras_channels_last(where, cfg):
    keras_want(where, cfg, "data_format", ("channels_last", None), "channels_last")


class KerasWeights:
    """a layer's weights: .keras files keep them as layers/<class>_<k>/vars/<i>,
    legacy .h5 as model_weights/<layer name>/<weight name> in the order of
    the group's weight_names attribute"""

    def __init__(self, np, h5, legacy):
        self.np, self.h5, self.legacy = np, h5, legacy
        self.counts = {}

    @staticmethod
    def snake(name):
        """keras.src.utils.naming.to_snake_case"""
        name = re.sub(r"\W+", "", name)
        name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
        return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()

    def dataset(self, where, what, d):
        import h5py
        if not isinstance(d, h5py.Dataset):
            raise Refuse("%s: %s is not a dataset" % (where, what))
        if d.dtype != self.np.float32:
            raise Refuse("%s: %s is %s, not float32" % (where, what, d.dtype))
        count = 1
        for n in d.shape:
            count *= n
        if len(d.shape) > 4 or count > MAX_TENSOR:
            raise Refuse("%s: %s has shape %s" % (where, what, list(d.shape)))
        try:
            return self.np.asarray(d[()], dtype=self.np.float32)
        except Exception as e:
            raise Refuse("%s: %s: %s" % (where, what, e))

    def take(self, where, cls, name, what):
        """the layer's weights, what: the names in order"""
        key = self.snake(cls)
        k = self.counts.get(key, -1) + 1
        self.counts[key] = k
        if not what:
            return []
        try:
            if self.legacy:
                g = self.h5["model_weights"][name]
                names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs["weight_names"]]
                by = {}
                for n in names:
                    last = n.split("/")[-1].split(":")[0]
                    by[last] = g[n]
                if sorted(by) != sorted(what) or len(names) != len(what):
                    raise Refuse("%s: weights %s, expected %s" % (where, names, list(what)))
                return [self.dataset(where, w, by[w]) for w in what]
            g = self.h5["layers"]["%s_%d" % (key, k) if k else key]["vars"]
            if sorted(g.keys()) != sorted(str(i) for i in range(len(what))):
                raise Refuse("%s: %d weights stored, expected %d (%s)" % (where, len(g.keys()), len(what), ", ".join(what)))
            return [self.dataset(where, w, g[str(i)]) for i, w in enumerate(what)]
        except Refuse:
            raise
        except Exception as e:
            raise Refuse("%s: weights not found in the file (%s)" % (where, e))


def keras_layer(net, kw, where, cls, name, cfg, srcs):
    """one Keras layer onto net; returns the index of its output"""
    np = kw.np
    single = cls not in ("Add", "Concatenate", "Subtract")
    if single and len(srcs) != 1:
        raise Refuse("%s: %d inputs" % (where, len(srcs)))
    src = srcs[0]
    if cls == "Conv2D":
        keras_keys(where, cfg, {"filters", "kernel_size", "strides", "padding", "data_format",
                                "dilation_rate", "groups", "activation", "use_bias"})
        keras_channels_last(where, cfg)
        if keras_pair(where, cfg, "strides", 1) != 1:
            raise Refuse("%s: strides %r; the engine's convolutions have stride 1" % (where, cfg["strides"]))
        if cfg.get("groups", 1) != 1:
            raise Refuse("%s: groups %r; only 1 is supported" % (where, cfg["groups"]))
        pad = keras_want(where, cfg, "padding", ("same", "valid"), "valid")
        dil = keras_pair(where, cfg, "dilation_rate", 1)
        k = keras_pair(where, cfg, "kernel_size", None)
        act = keras_act(where, cfg)
        bias = cfg.get("use_bias", True)
        if not isinstance(bias, bool):
            raise Refuse("%s: use_bias %r" % (where, bias))
        w = kw.take(where, cls, name, ["kernel", "bias"] if bias else ["kernel"])
        cout = check_int(where, "filters", cfg.get("filters"), 1, MAX_FILTERS)
        cin = net.channels_of(src)
        float_array(np, where, "the kernel", w[0], (k, k, cin, cout))
        if bias:
            float_array(np, where, "the bias", w[1], (cout,))
        i = conv_layer(np, net, where, name, src, w[0].transpose(3, 2, 0, 1), w[1] if bias else None, pad, dil)
        if act != "linear":
            net.layers[i].keys["activation"] = act
        return i
    if cls == "MaxPooling2D":
        keras_keys(where, cfg, {"pool_size", "strides", "padding", "data_format"})
        keras_channels_last(where, cfg)
        kw.take(where, cls, name, [])
        size = keras_pair(where, cfg, "pool_size", 2)
        stride = size if cfg.get("strides") is None else keras_pair(where, cfg, "strides", None)
        pad = keras_want(where, cfg, "padding", ("same", "valid"), "valid")
        return pool_layer(net, where, name, src, size, stride, pad)
    if cls == "UpSampling2D":
        keras_keys(where, cfg, {"size", "data_format", "interpolation"})
        keras_channels_last(where, cfg)
        keras_want(where, cfg, "interpolation", ("nearest",), "nearest")
        kw.take(where, cls, name, [])
        return scale_layer(net, where, name, "upsample", src, keras_pair(where, cfg, "size", 2))
    if cls == "BatchNormalization":
        keras_keys(where, cfg, {"axis", "momentum", "epsilon", "center", "scale", "renorm",
                                "virtual_batch_size", "adjustment"})
        if cfg.get("axis", -1) not in (-1, 3, [-1], [3]):
            raise Refuse("%s: axis %r; only the channels (-1) are supported" % (where, cfg["axis"]))
        for key in ("renorm", "virtual_batch_size", "adjustment"):
            if cfg.get(key) not in (None, False):
                raise Refuse("%s: %s %r is not supported" % (where, key, cfg[key]))
        center, scale = cfg.get("center", True), cfg.get("scale", True)
        if not isinstance(center, bool) or not isinstance(scale, bool):
            raise Refuse("%s: center and scale must be true or false" % where)
        what = (["gamma"] if scale else []) + (["beta"] if center else []) + ["moving_mean", "moving_variance"]
        w = dict(zip(what, kw.take(where, cls, name, what)))
        c = net.channels_of(src)
        for key in what:
            float_array(np, where, key, w[key], (c,))
        eps, mom = cfg.get("epsilon", 1e-3), cfg.get("momentum", 0.99)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (eps, mom)):
            raise Refuse("%s: epsilon and momentum must be numbers" % where)
        return bn_layer(net, where, name, src, w.get("gamma", np.ones(c, np.float32)),
                        w.get("beta", np.zeros(c, np.float32)), w["moving_mean"], w["moving_variance"],
                        float(np.float32(eps)), float(np.float32(mom)))
    if cls in ("Activation", "ReLU"):
        if cls == "ReLU":
            keras_keys(where, cfg, {"max_value", "negative_slope", "threshold"})
            if cfg.get("max_value") is not None or cfg.get("negative_slope", 0) != 0 or cfg.get("threshold", 0) != 0:
                raise Refuse("%s: max_value, negative_slope and threshold are not supported" % where)
            act = "relu"
        else:
            keras_keys(where, cfg, {"activation"})
            act = keras_act(where, cfg)
        kw.take(where, cls, name, [])
        if act == "linear":
            return src
        return net.add(Layer(act, name, [src], net.channels_of(src)), where)
    if cls in ("Add", "Concatenate", "Subtract"):
        keras_keys(where, cfg, {"axis"} if cls == "Concatenate" else set())
        kw.take(where, cls, name, [])
        if cls == "Concatenate":
            if cfg.get("axis", -1) not in (-1, 3):
                raise Refuse("%s: axis %r; the engine concatenates channels (-1)" % (where, cfg["axis"]))
            return merge_layer(net, where, name, "concat", srcs)
        if cls == "Subtract":
            b = srcs[1] if len(srcs) == 2 else -1
            l = net.layers[b] if b >= 0 else None
            if l is None or l.kind != "conv" or "activation" in l.keys or not kw.sole_reader(b):
                raise Refuse("%s: subtracts a tensor that is not a linear Conv2D read by nothing else; "
                             "the engine has no subtraction" % where)
            l.params = [(s, -a) for s, a in l.params]
        return merge_layer(net, where, name, "add", srcs)
    raise Refuse("%s: layer %s is not supported" % (where, cls))


def keras_history(where, arg):
    """the layer names a node's arguments refer to (Keras 3's __keras_tensor__
    objects, or Keras 2's [name, node, tensor, kwargs] lists)"""
    out = []
    if isinstance(arg, dict):
        h = arg.get("config", {}).get("keras_history") if arg.get("class_name") == "__keras_tensor__" else None
        if not isinstance(h, list) or len(h) != 3 or not isinstance(h[0], str) or h[1:] != [0, 0]:
            raise Refuse("%s: an input that is not another layer's only output" % where)
        out.append(h[0])
    elif isinstance(arg, list) and len(arg) in (3, 4) and isinstance(arg[0], str):
        if list(arg[1:3]) != [0, 0]:
            raise Refuse("%s: an input from a shared layer" % where)
        out.append(arg[0])
    elif isinstance(arg, list):
        for a in arg:
            out += keras_history(where, a)
    else:
        raise Refuse("%s: an input that is not a layer's output" % where)
    return out


def keras_inbound(where, nodes):
    if not isinstance(nodes, list) or len(nodes) != 1:
        raise Refuse("%s: used %d times; shared layers are not supported" % (where, len(nodes) if isinstance(nodes, list) else 0))
    node = nodes[0]
    if isinstance(node, dict):            # Keras 3
        kwargs = node.get("kwargs", {})
        if any(v is not None for k, v in kwargs.items() if k != "training"):
            raise Refuse("%s: call arguments %s are not supported" % (where, sorted(kwargs)))
        return keras_history(where, node.get("args", []))
    return keras_history(where, node)     # Keras 2


def import_keras(path):
    import numpy as np
    import h5py
    import io
    import zipfile
    legacy = path.endswith(".h5")
    try:
        if legacy:
            h5 = h5py.File(path, "r")
            if "model_config" not in h5.attrs or "model_weights" not in h5:
                raise Refuse("a weights-only HDF5 file; the architecture is missing (save the whole model)")
            text = h5.attrs["model_config"]
            if isinstance(text, bytes):
                text = text.decode("utf-8")
            if not isinstance(text, str) or len(text) > MAX_JSON:
                raise Refuse("model_config is not JSON text")
        else:
            z = zipfile.ZipFile(path)
            members = {i.filename: i for i in z.infolist()}
            for m, cap in (("config.json", MAX_JSON), ("model.weights.h5", MAX_FILE)):
                if m not in members:
                    raise Refuse("no %s: not a Keras 3 model file" % m)
                if members[m].file_size > cap:
                    raise Refuse("%s claims %d bytes" % (m, members[m].file_size))
            text = z.read("config.json").decode("utf-8")
            h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        conf = json.loads(text)
    except Refuse:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, RuntimeError, EOFError) as e:
        raise Refuse("not a Keras model file (%s)" % (str(e) or type(e).__name__))
    if not isinstance(conf, dict) or not isinstance(conf.get("config"), dict) \
            or not isinstance(conf["config"].get("layers"), list):
        raise Refuse("the architecture has no layer list")
    cls, layers = conf.get("class_name"), conf["config"]["layers"]
    if cls not in ("Sequential", "Functional", "Model"):
        raise Refuse("model class %r is not supported (Sequential or functional)" % cls)
    kw = KerasWeights(np, h5, legacy)
    net = None
    at = {}
    # who reads each layer, over the whole model (Sequential: the next one)
    refs = {}
    for i, l in enumerate(layers):
        try:
            names = keras_inbound("", l["inbound_nodes"]) if cls != "Sequential" else \
                [layers[i - 1]["config"]["name"]] if i > 0 else []
        except (Refuse, KeyError, TypeError):
            names = []
        for n in names:
            refs[n] = refs.get(n, 0) + 1
    outs = conf["config"].get("output_layers")
    if isinstance(outs, list) and len(outs) == 1 and isinstance(outs[0], list):
        outs = outs[0]
    out_name = outs[0] if isinstance(outs, list) and outs else None

    def sole_reader(idx):
        names = [n for n, i in at.items() if i == idx]
        return idx >= 0 and out_name not in names and sum(refs.get(n, 0) for n in names) == 1
    kw.sole_reader = sole_reader
    prev = None
    for i, l in enumerate(layers):
        if not isinstance(l, dict) or not isinstance(l.get("config"), dict):
            raise Refuse("layer %d: not an object" % i)
        lcls, cfg = l.get("class_name"), l["config"]
        name = cfg.get("name", l.get("name"))
        if not isinstance(name, str) or not isinstance(lcls, str):
            raise Refuse("layer %d: no class or name" % i)
        where = "%s layer '%s'" % (lcls, name)
        if name in at:
            raise Refuse("%s: the name is used twice" % where)
        if lcls == "InputLayer":
            keras_keys(where, cfg, {"batch_shape", "batch_input_shape", "sparse", "ragged", "optional"})
            shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
            if net is not None:
                raise Refuse("%s: a second input; the engine takes one image" % where)
            if not isinstance(shape, list) or len(shape) != 4:
                raise Refuse("%s: shape %r is not (batch, height, width, channels)" % (where, shape))
            net = Net(check_int(where, "channels", shape[3], 1, MAX_CHANNELS_IN))
            kw.take(where, lcls, name, [])
            at[name] = prev = -1
            continue
        if net is None:
            shape = cfg.get("batch_input_shape") if cls == "Sequential" else None
            if not isinstance(shape, list) or len(shape) != 4:
                raise Refuse("%s: the model has no input layer before it" % where)
            net = Net(check_int(where, "channels", shape[3], 1, MAX_CHANNELS_IN))
            cfg = dict(cfg)
            del cfg["batch_input_shape"]
            prev = -1
        if cls == "Sequential":
            srcs = [prev]
        else:
            srcs = [at[n] if n in at else None for n in keras_inbound(where, l.get("inbound_nodes"))]
            if None in srcs:
                raise Refuse("%s: reads a layer that comes later or does not exist" % where)
        at[name] = prev = keras_layer(net, kw, where, lcls, name, cfg, srcs)
    if net is None:
        raise Refuse("the model has no layers")
    if cls == "Sequential":
        return net, prev
    if not isinstance(outs, list) or len(outs) != 3 or outs[0] not in at:
        raise Refuse("output_layers %r: the engine gives one image" % (outs,))
    return net, at[outs[0]]


# ----------------------------------------------------------------------------

def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) != 2:
        sys.stderr.write("usage: daeconvert.py in > out.bin\n")
        sys.exit(2)
    path = sys.argv[1]
    try:
        if path.endswith(".onnx"):
            net, out = import_onnx(path)
        elif path.endswith(".keras") or path.endswith(".h5"):
            net, out = import_keras(path)
        else:
            raise Refuse("not .onnx, .keras or .h5")
        cfg, tensors = net.build(out)
        data = model_bytes(cfg, tensors)
    except Refuse as e:
        die("%s: %s" % (path, e))
    except ImportError as e:
        die("%s: %s (the importers need Debian's python3-onnx, python3-h5py and python3-numpy)" % (path, e))
    except MemoryError:
        die("%s: out of memory" % path)
    except OSError as e:
        die("%s: %s" % (path, e.strerror or e))
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as e:
        die("write: %s" % (e.strerror or e))


if __name__ == "__main__":
    main()
