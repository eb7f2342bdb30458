#!/usr/bin/python3
"""Generate the tiny ONNX models the core tests use, with numpy reference outputs.

    /usr/bin/python3 tests/models/make-test-models.py [--out-dir DIR]

Writes next to this script (the outputs are committed; rerun after changing this file):

  conv3x3-stack.onnx      three 3x3 convs, stride 1, pad 1: last receptive field 7, jump 1
  conv3x3-stride2.onnx    three 3x3 convs, stride 2, pad 1: receptive fields 3, 7, 15,
                          jumps 2, 4, 8
  winograd-shared.onnx    three 3x3 convs, 16 channels on 30x30 (Winograd F(4x4)), the first
                          two sharing one weights initializer, the third with its own
  classifier.onnx         Conv+BN+Relu, Conv(stride 2)+Relu, GlobalAveragePool, Flatten, Gemm;
                          dynamic batch dim "N", cnn.* metadata
  unsupported-lstm.onnx   a valid ONNX model whose only op (LSTM) the core does not implement
  unknown-op.onnx         a node of op type "Foo" in the default domain
  odd-names.onnx          a Relu whose tensor and node names need JSON escaping
  se-block.onnx           a squeeze-excitation block as EfficientNet writes it: depthwise 3x3
                          conv + SiLU, GlobalAveragePool, 1x1 conv + Relu, 1x1 conv + Sigmoid,
                          Mul (x, gate), 1x1 projection; batch 2, 131 channels (odd), 67 out,
                          map H x W from the input (16 x 13 here): the Mul folds into the
                          projection (fp32)
  se-shared-gate.onnx     the same, the gate also scaling the block's input for a second
                          projection: the gate has two readers, neither Mul folds
  se-shared-product.onnx  the same, the gated tensor read by two projections: no fold
  se-stride2.onnx         the same with a 1x1 stride-2 projection to 37 channels on 11 x 11:
                          folded, and run through im2col on a scaled copy of the input (two
                          threads split its 37 channels)
  <model>-input.npy, <model>-expected.npy
                          a deterministic input and the output computed here with numpy

Weights are deterministic functions of their index (no RNG), so the files are reproducible.
"""

import argparse
import os

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper as onh
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13


def det(shape, seed, scale=0.5):
    """Deterministic pseudo-random float32 values in [-scale, scale]."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return (scale * np.sin(i * 0.7311 + seed * 1.618 + 0.25)).astype(np.float32).reshape(shape)


def np_conv(x, w, b, pad, stride):
    n, c, h, wd = x.shape
    co, ci, kh, kw = w.shape
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh_ = (x.shape[2] - kh) // stride + 1
    ow_ = (x.shape[3] - kw) // stride + 1
    cols = np.empty((n, c, kh, kw, oh_, ow_))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + stride * oh_:stride, j:j + stride * ow_:stride]
    y = np.einsum("okij,nkijhw->nohw", w.astype(np.float64), cols)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


def make_model(name, nodes, inputs, outputs, inits, metadata=None):
    graph = oh.make_graph(nodes, name, inputs, outputs,
                          [onh.from_array(v, k) for k, v in inits.items()])
    m = oh.make_model(graph, producer_name="gst-cnn tests/models/make-test-models.py",
                      opset_imports=[oh.make_opsetid("", OPSET)])
    m.ir_version = 7
    if metadata:
        oh.set_model_props(m, metadata)
    return m


def conv_stack(name, stride, size):
    """Three 3x3 convs (2→4→4→3 channels), ReLU between them."""
    chans = [2, 4, 4, 3]
    inits, nodes = {}, []
    x = "input"
    ref_w = []
    for k in range(3):
        w = det((chans[k + 1], chans[k], 3, 3), seed=10 * k + 1, scale=0.4)
        b = det((chans[k + 1],), seed=10 * k + 2, scale=0.1)
        inits["conv%d.weight" % k] = w
        inits["conv%d.bias" % k] = b
        ref_w.append((w, b))
        y = "conv%d" % k
        nodes.append(oh.make_node("Conv", [x, "conv%d.weight" % k, "conv%d.bias" % k], [y],
                                  name="conv%d" % k, kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                  strides=[stride, stride]))
        x = y
        if k < 2:
            nodes.append(oh.make_node("Relu", [x], ["relu%d" % k], name="relu%d" % k))
            x = "relu%d" % k
    nodes[-1].output[0] = "output"
    out = size
    for _ in range(3):
        out = (out + 2 - 3) // stride + 1
    m = make_model(name, nodes,
                   [oh.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, size, size])],
                   [oh.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, out, out])],
                   inits)

    x = det((1, 2, size, size), seed=99, scale=1.0)
    y = x.astype(np.float64)
    for k, (w, b) in enumerate(ref_w):
        y = np_conv(y, w, b, 1, stride)
        if k < 2:
            y = np.maximum(y, 0)
    return m, x, y.astype(np.float32)


def winograd_shared():
    """Conv(W)+Relu, Conv(W)+Relu, Conv(W2): conv.c replaces constant weights by their
    Winograd transform only when the conv is their only reader; W has two."""
    w = det((16, 16, 3, 3), seed=3, scale=0.15)
    w2 = det((16, 16, 3, 3), seed=4, scale=0.15)
    b = det((16,), seed=5, scale=0.1)
    inits = {"w": w, "w2": w2, "b": b}
    nodes = [
        oh.make_node("Conv", ["input", "w", "b"], ["c0"], name="conv0", pads=[1, 1, 1, 1]),
        oh.make_node("Relu", ["c0"], ["r0"], name="relu0"),
        oh.make_node("Conv", ["r0", "w", "b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        oh.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        oh.make_node("Conv", ["r1", "w2"], ["output"], name="conv2", pads=[1, 1, 1, 1]),
    ]
    m = make_model("winograd-shared", nodes,
                   [oh.make_tensor_value_info("input", TensorProto.FLOAT, [1, 16, 30, 30])],
                   [oh.make_tensor_value_info("output", TensorProto.FLOAT, [1, 16, 30, 30])],
                   inits)
    x = det((1, 16, 30, 30), seed=98, scale=1.0)
    y = np.maximum(np_conv(x, w, b, 1, 1), 0)
    y = np.maximum(np_conv(y, w, b, 1, 1), 0)
    y = np_conv(y, w2, None, 1, 1)
    return m, x, y.astype(np.float32)


def se_block(name, variant):
    """Depthwise conv + SiLU -> squeeze-excitation -> 1x1 projection (see the docstring)."""
    c, mid, m = 131, 9, 37 if variant == "stride2" else 67
    stride = 2 if variant == "stride2" else 1
    inits = {
        "dw.w": det((c, 1, 3, 3), seed=21, scale=0.5),
        "dw.b": det((c,), seed=22, scale=0.1),
        "fc1.w": det((mid, c, 1, 1), seed=23, scale=0.3),
        "fc1.b": det((mid,), seed=24, scale=0.1),
        "fc2.w": det((c, mid, 1, 1), seed=25, scale=0.8),
        "fc2.b": det((c,), seed=26, scale=0.3),
        "proj.w": det((m, c, 1, 1), seed=27, scale=0.2),
        "proj.b": det((m,), seed=28, scale=0.1),
        "proj2.w": det((m, c, 1, 1), seed=29, scale=0.2),
    }
    nodes = [
        oh.make_node("Conv", ["input", "dw.w", "dw.b"], ["dw"], name="dw", group=c,
                     pads=[1, 1, 1, 1]),
        oh.make_node("Sigmoid", ["dw"], ["dw.sig"], name="dw.sigmoid"),
        oh.make_node("Mul", ["dw", "dw.sig"], ["a"], name="dw.silu"),
        oh.make_node("GlobalAveragePool", ["a"], ["pooled"], name="se.pool"),
        oh.make_node("Conv", ["pooled", "fc1.w", "fc1.b"], ["f1"], name="se.fc1"),
        oh.make_node("Relu", ["f1"], ["r1"], name="se.relu"),
        oh.make_node("Conv", ["r1", "fc2.w", "fc2.b"], ["f2"], name="se.fc2"),
        oh.make_node("Sigmoid", ["f2"], ["gate"], name="se.gate"),
        oh.make_node("Mul", ["a", "gate"], ["gated"], name="se.mul"),
        oh.make_node("Conv", ["gated", "proj.w", "proj.b"],
                     ["output" if variant in ("fold", "stride2") else "p1"], name="proj",
                     strides=[stride, stride]),
    ]
    if variant == "shared-gate":
        nodes += [oh.make_node("Mul", ["gate", "input"], ["gated2"], name="se.mul2"),
                  oh.make_node("Conv", ["gated2", "proj2.w"], ["p2"], name="proj2")]
    elif variant == "shared-product":
        nodes += [oh.make_node("Conv", ["gated", "proj2.w"], ["p2"], name="proj2")]
    if variant in ("shared-gate", "shared-product"):
        nodes.append(oh.make_node("Add", ["p1", "p2"], ["output"], name="sum"))
    mdl = make_model(name, nodes,
                     [oh.make_tensor_value_info("input", TensorProto.FLOAT, [2, c, "H", "W"])],
                     [oh.make_tensor_value_info("output", TensorProto.FLOAT,
                                                [2, m, "OH", "OW"])],
                     inits)

    x = det((2, c, 11, 11) if variant == "stride2" else (2, c, 16, 13), seed=97, scale=1.5)
    dw = np.concatenate([np_conv(x[:, i:i + 1], inits["dw.w"][i:i + 1], inits["dw.b"][i:i + 1],
                                 1, 1) for i in range(c)], axis=1)
    a = dw / (1.0 + np.exp(-dw))
    pooled = a.mean(axis=(2, 3), keepdims=True)
    r1 = np.maximum(np_conv(pooled, inits["fc1.w"], inits["fc1.b"], 0, 1), 0)
    gate = 1.0 / (1.0 + np.exp(-np_conv(r1, inits["fc2.w"], inits["fc2.b"], 0, 1)))
    y = np_conv(a * gate, inits["proj.w"], inits["proj.b"], 0, stride)
    if variant == "shared-gate":
        y = y + np_conv(x * gate, inits["proj2.w"], None, 0, 1)
    elif variant == "shared-product":
        y = y + np_conv(a * gate, inits["proj2.w"], None, 0, 1)
    return mdl, x, y.astype(np.float32)


def classifier():
    inits = {
        "conv1.weight": det((8, 3, 3, 3), 1, 0.4),
        "conv1.bias": det((8,), 2, 0.1),
        "bn1.scale": 1.0 + det((8,), 3, 0.2),
        "bn1.bias": det((8,), 4, 0.1),
        "bn1.mean": det((8,), 5, 0.1),
        "bn1.var": 1.0 + det((8,), 6, 0.3),
        "conv2.weight": det((16, 8, 3, 3), 7, 0.2),
        "conv2.bias": det((16,), 8, 0.1),
        "fc.weight": det((5, 16), 9, 0.5),
        "fc.bias": det((5,), 10, 0.1),
    }
    nodes = [
        oh.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="conv1",
                     kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        oh.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
                     ["b1"], name="bn1", epsilon=1e-5),
        oh.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        oh.make_node("Conv", ["r1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2",
                     kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        oh.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        oh.make_node("GlobalAveragePool", ["r2"], ["gap"], name="pool"),
        oh.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        oh.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    m = make_model("classifier", nodes,
                   [oh.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 16, 16])],
                   [oh.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])],
                   inits,
                   metadata={"cnn.model_name": "classifier", "cnn.labels": "a\nb\nc\nd\ne",
                             "cnn.mean": "0.5", "cnn.std": "0.25"})

    p = {k: v.astype(np.float64) for k, v in inits.items()}
    x = det((1, 3, 16, 16), seed=42, scale=1.0)
    y = np_conv(x, p["conv1.weight"], p["conv1.bias"], 1, 1)
    c = {k: p["bn1." + k].reshape(1, -1, 1, 1) for k in ("scale", "bias", "mean", "var")}
    y = (y - c["mean"]) / np.sqrt(c["var"] + 1e-5) * c["scale"] + c["bias"]
    y = np.maximum(y, 0)
    y = np.maximum(np_conv(y, p["conv2.weight"], p["conv2.bias"], 1, 2), 0)
    y = y.mean(axis=(2, 3))
    y = y @ p["fc.weight"].T + p["fc.bias"]
    return m, x, y.astype(np.float32)


def unsupported_lstm():
    inits = {"W": det((1, 12, 4), 1), "R": det((1, 12, 3), 2)}
    nodes = [oh.make_node("LSTM", ["X", "W", "R"], ["Y"], name="lstm", hidden_size=3)]
    return make_model("unsupported-lstm", nodes,
                      [oh.make_tensor_value_info("X", TensorProto.FLOAT, [2, 1, 4])],
                      [oh.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 1, 1, 3])],
                      inits)


def unknown_op():
    nodes = [oh.make_node("Relu", ["input"], ["r"], name="relu"),
             oh.make_node("Foo", ["r"], ["output"], name="foo")]
    return make_model("unknown-op", nodes,
                      [oh.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 4, 4])],
                      [oh.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 4, 4])],
                      {})


ODD_INPUT = 'in"put\\ \u00fcber\ttab'
ODD_OUTPUT = "out\nput \u2192 \U0001f600"
ODD_NODE = "relu \x01 'quoted'"


def odd_names():
    nodes = [oh.make_node("Relu", [ODD_INPUT], [ODD_OUTPUT], name=ODD_NODE)]
    return make_model("odd-names", nodes,
                      [oh.make_tensor_value_info(ODD_INPUT, TensorProto.FLOAT, [1, 2, 3, 3])],
                      [oh.make_tensor_value_info(ODD_OUTPUT, TensorProto.FLOAT, [1, 2, 3, 3])],
                      {}, metadata={"cnn.labels": "x\ny", "cnn.model_name": "odd \"names\""})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=HERE)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    def save(name, m, check=True):
        if check:
            onnx.checker.check_model(m, full_check=True)
        onnx.save(m, os.path.join(args.out_dir, name + ".onnx"))

    for name, m, x, y in [("conv3x3-stack",) + conv_stack("conv3x3-stack", 1, 12),
                          ("conv3x3-stride2",) + conv_stack("conv3x3-stride2", 2, 32),
                          ("winograd-shared",) + winograd_shared(),
                          ("classifier",) + classifier(),
                          ("se-block",) + se_block("se-block", "fold"),
                          ("se-shared-gate",) + se_block("se-shared-gate", "shared-gate"),
                          ("se-shared-product",) + se_block("se-shared-product",
                                                            "shared-product"),
                          ("se-stride2",) + se_block("se-stride2", "stride2")]:
        save(name, m)
        np.save(os.path.join(args.out_dir, name + "-input.npy"), x)
        np.save(os.path.join(args.out_dir, name + "-expected.npy"), y)
    save("unsupported-lstm", unsupported_lstm())
    save("unknown-op", unknown_op(), check=False)  # "Foo" is not an ONNX op
    save("odd-names", odd_names())


if __name__ == "__main__":
    main()
