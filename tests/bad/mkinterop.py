"""mkinterop.py: the ONNX and Keras files daeconvert must refuse, one defect a
file, named for it (tests/cli/daeconvert.bats says what each must answer).

ONNX files are built here node by node with onnx.helper, or by damaging the
bytes of a good one; Keras files by editing the committed
tests/golden/interop/functional.keras and tutorial.h5 (their JSON, their
HDF5 datasets, their zip directory). Runs on Debian's python3 with
python3-onnx, python3-h5py and python3-numpy, the importer's own modules:

    /usr/bin/python3 tests/bad/mkinterop.py        (writes into tests/bad)
"""
import io
import json
import os
import struct
import zipfile

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
GOLD = os.path.join(HERE, "..", "golden", "interop")
rng = np.random.default_rng(7)


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def w(shape, dtype=np.float32):
    return rng.normal(0, 0.1, shape).astype(dtype)


def model(nodes, inits, opset=13, inputs=None, outputs=None):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3, "h", "w"])
    g = helper.make_graph(nodes, "bad", inputs or [x], outputs or [y],
                          [numpy_helper.from_array(a, n) for n, a in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)


def conv(name, inp, out, cin=3, cout=3, k=3, **attrs):
    attrs.setdefault("pads", [k // 2] * 4)
    return ([helper.make_node("Conv", [inp, name + ".w", name + ".b"], [out], name=name, **attrs)],
            {name + ".w": w((cout, cin, k, k)), name + ".b": w((cout,))})


def save(name, nodes, inits, **kw):
    put(name, model(nodes, inits, **kw).SerializeToString())


def onnx_files():
    n, i = conv("c0", "x", "y")
    good = model(n, i).SerializeToString()
    save("onnx_unknown_op.onnx", [helper.make_node("LeakyRelu", ["x"], ["y"], name="lrelu")], {})
    save("onnx_opset11.onnx", n, i, opset=11)
    n, i = conv("c0", "x", "y", strides=[2, 2])
    save("onnx_conv_stride2.onnx", n, i)
    n, i = conv("c0", "x", "y", pads=[0, 0, 1, 1])
    save("onnx_conv_asym_pads.onnx", n, i)
    n, i = conv("c0", "x", "y", cin=4)
    save("onnx_conv_shape_mismatch.onnx", n, i)
    n, i = conv("c0", "x", "y")
    i["c0.w"] = i["c0.w"].astype(np.float64)
    save("onnx_conv_float64_weight.onnx", n, i)
    n, i = conv("c0", "x", "y")
    i["c0.w"][0, 0, 1, 1] = np.nan
    save("onnx_conv_nan_weight.onnx", n, i)
    n, i = conv("c0", "x", "y", cin=1, group=3)
    save("onnx_conv_group3.onnx", n, i)
    n, i = conv("c0", "x", "t")
    n.append(helper.make_node("Relu", ["t"], ["y"], name="r0", alpha=0.1))
    save("onnx_unknown_attr.onnx", n, i)
    # a kernel that the graph computes instead of storing
    n, i = conv("c0", "x", "y")
    del i["c0.w"]
    n.insert(0, helper.make_node("Relu", ["x"], ["c0.w"], name="kernel_maker"))
    save("onnx_computed_weight.onnx", n, i)

    up = lambda name, **attrs: helper.make_node("Resize", ["x", "", "s"], ["y"], name=name, **attrs)
    two = {"s": np.array([1, 1, 2, 2], np.float32)}
    save("onnx_resize_linear.onnx", [up("up", mode="linear")], two)
    save("onnx_resize_half_pixel_floor.onnx",
         [up("up", mode="nearest", coordinate_transformation_mode="half_pixel", nearest_mode="floor")], two)
    save("onnx_resize_fractional.onnx", [up("up", mode="nearest", coordinate_transformation_mode="asymmetric",
                                            nearest_mode="floor")], {"s": np.array([1, 1, 1.5, 1.5], np.float32)})
    save("onnx_resize_sizes.onnx", [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], name="up", mode="nearest")],
         {"sz": np.array([1, 3, 64, 64], np.int64)})
    save("onnx_maxpool_pads.onnx", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3],
                                                     pads=[1, 1, 1, 1], strides=[1, 1])], {})
    bn = {"g": w(3) + 1, "b": w(3), "m": w(3), "v": np.abs(w(3)) + 1}
    save("onnx_bn_training.onnx", [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"],
                                                    name="bn", training_mode=1)], bn)
    bn["v"] = bn["v"][:2]
    save("onnx_bn_shape.onnx", [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"],
                                                 name="bn")], bn)
    n, i = conv("c0", "x", "t", cout=12)
    n += [helper.make_node("BatchNormalization", ["t", "g", "b", "m", "v"], ["u"], name="bn"),
          helper.make_node("DepthToSpace", ["u"], ["y"], name="shuffle", blocksize=2, mode="CRD")]
    i.update({"g": w(12) + 1, "b": w(12), "m": w(12), "v": np.abs(w(12)) + 1})
    save("onnx_d2s_crd_not_conv.onnx", n, i)
    n, i = conv("c0", "x", "t")
    n += [helper.make_node("Relu", ["t"], ["r"], name="r0"), helper.make_node("Sub", ["x", "r"], ["y"], name="minus")]
    save("onnx_sub_not_conv.onnx", n, i)
    n, i = conv("c0", "x", "t")
    n.append(helper.make_node("Add", ["t", "bias3"], ["y"], name="plus"))
    i["bias3"] = w((1, 3, 1, 1))
    save("onnx_add_constant.onnx", n, i)
    # order: a node that reads what a later node writes
    n, i = conv("c0", "t", "y")
    n.append(helper.make_node("Relu", ["x"], ["t"], name="late"))
    save("onnx_out_of_order.onnx", n, i)
    n, i = conv("c0", "x", "y")
    y2 = helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["n", 3, "h", "w"])
    n.append(helper.make_node("Relu", ["x"], ["x2"], name="second"))
    save("onnx_two_outputs.onnx", n, i,
         outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, None), y2])
    x3 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, "h", "w"])
    n, i = conv("c0", "x", "y")
    save("onnx_input_rank3.onnx", n, i, inputs=[x3])
    xi = helper.make_tensor_value_info("x", TensorProto.UINT8, ["n", 3, "h", "w"])
    save("onnx_input_uint8.onnx", n, i, inputs=[xi])

    # tensors whose headers lie: dims with no data, data shorter than dims
    m = model(*conv("c0", "x", "y"))
    t = m.graph.initializer[0]
    del t.dims[:]
    t.dims.extend([1 << 20, 1 << 20, 3, 3])
    put("onnx_huge_dims.onnx", m.SerializeToString())
    m = model(*conv("c0", "x", "y"))
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:10]
    put("onnx_short_raw_data.onnx", m.SerializeToString())
    m = model(*conv("c0", "x", "y"))
    t = m.graph.initializer[0]
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    t.external_data.add(key="location", value="/etc/passwd")
    put("onnx_external_data.onnx", m.SerializeToString())

    # bytes: cut short, garbage, a length field claiming 2^40 bytes
    put("onnx_truncated.onnx", good[:len(good) // 2])
    put("onnx_garbage.onnx", bytes(rng.integers(0, 256, 4096, dtype=np.uint8)))
    graph_tag = good.index(b"\x3a")          # field 7 (graph), length-delimited
    huge = b"\x3a" + bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0x20])
    put("onnx_huge_length.onnx", good[:graph_tag] + huge + good[graph_tag + 2:])


def zip_with(src, replace):
    """src's members with some replaced (None drops one)"""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as o:
        for m in z.namelist():
            data = replace.get(m, z.read(m))
            if data is not None:
                # a fixed date, so a rerun writes the same bytes
                o.writestr(zipfile.ZipInfo(m, (1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def edit_config(src, fn):
    with zipfile.ZipFile(src) as z:
        conf = json.loads(z.read("config.json"))
    fn(conf)
    return zip_with(src, {"config.json": json.dumps(conf)})


def layer(conf, name):
    return next(l for l in conf["config"]["layers"] if l["config"]["name"] == name)


def edit_weights(src, fn):
    with zipfile.ZipFile(src) as z:
        buf = io.BytesIO(z.read("model.weights.h5"))
    with h5py.File(buf, "r+") as f:
        fn(f)
    return zip_with(src, {"model.weights.h5": buf.getvalue()})


def keras_files():
    fk = os.path.join(GOLD, "functional.keras")
    th5 = os.path.join(GOLD, "tutorial.h5")

    def unknown(c):
        layer(c, "relu")["class_name"] = "PReLU"
    put("keras_unknown_layer.keras", edit_config(fk, unknown))

    def act(c):
        layer(c, "act")["config"]["activation"] = "swish"
    put("keras_unknown_activation.keras", edit_config(fk, act))

    def stride(c):
        layer(c, "enc")["config"]["strides"] = [2, 2]
    put("keras_conv_stride2.keras", edit_config(fk, stride))

    def interp(c):
        layer(c, "up")["config"]["interpolation"] = "bilinear"
    put("keras_upsample_bilinear.keras", edit_config(fk, interp))

    def option(c):
        layer(c, "enc")["config"]["depth_multiplier"] = 2
    put("keras_unknown_option.keras", edit_config(fk, option))

    def shared(c):
        # the head layer called a second time, on its own output's input
        h = layer(c, "head")
        h["inbound_nodes"].append(h["inbound_nodes"][0])
    put("keras_shared_layer.keras", edit_config(fk, shared))

    def missing(f):
        del f["layers/conv2d_1/vars/1"]
    put("keras_missing_weight.keras", edit_weights(fk, missing))

    def shape(f):
        del f["layers/conv2d/vars/0"]
        f["layers/conv2d/vars"].create_dataset("0", data=np.zeros((3, 3, 4, 8), np.float32))
    put("keras_weight_shape.keras", edit_weights(fk, shape))

    def f64(f):
        d = f["layers/conv2d/vars/0"][()]
        del f["layers/conv2d/vars/0"]
        f["layers/conv2d/vars"].create_dataset("0", data=d.astype(np.float64))
    put("keras_weight_float64.keras", edit_weights(fk, f64))

    put("keras_no_config.keras", zip_with(fk, {"config.json": None}))
    put("keras_not_zip.keras", b"PK\x03\x04 this is not a zip archive at all" * 10)
    # the central directory claims a 2 GiB weights file
    data = bytearray(zip_with(fk, {}))
    cd = data.find(b"PK\x01\x02")
    while cd >= 0:
        namelen = struct.unpack_from("<H", data, cd + 28)[0]
        if data[cd + 46:cd + 46 + namelen] == b"model.weights.h5":
            struct.pack_into("<I", data, cd + 24, 0x7fffffff)
        cd = data.find(b"PK\x01\x02", cd + 4)
    put("keras_zip_claims_2GB.keras", bytes(data))

    with open(th5, "rb") as f:
        h5 = f.read()
    put("keras_truncated.h5", h5[:len(h5) // 2])
    # every object header address in the root symbol table pointed past the end
    bad = bytearray(h5)
    at = bad.find(b"SNOD")
    while at >= 0:
        struct.pack_into("<Q", bad, at + 8 + 8, 0x7fffffffffff)
        at = bad.find(b"SNOD", at + 4)
    put("keras_bad_offset.h5", bytes(bad))
    buf = io.BytesIO()
    with h5py.File(th5, "r") as src, h5py.File(buf, "w") as dst:
        src.copy("model_weights", dst)
    put("keras_weights_only.h5", buf.getvalue())


if __name__ == "__main__":
    onnx_files()
    keras_files()
