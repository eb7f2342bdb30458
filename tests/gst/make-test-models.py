#!/usr/bin/python3
"""Generate the tiny ONNX models used by the cnnclassify element tests.

Run from anywhere: `/usr/bin/python3 tests/gst/make-test-models.py`. The output is
deterministic (no random weights), and the .onnx files are committed next to this script.

The colour models average each input channel over the image and score six classes with a
fixed linear layer, so a solid frame's top-1 is known in advance and colour order matters.
With the channel means r, g, b in [0, 1]:

    red   = 2r - g - b          green = 2g - r - b          blue = 2b - r - g
    gray  = 0.2                 black = 0.3 - (r + g + b)   white = (r + g + b) - 2.4

Pure red/green/blue frames pick their colour, mid gray picks "gray", black and white pick
themselves. The 1-channel model scores "dark" (mean luma < 0.5) and "bright".
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models")

COLOR_LABELS = ["red", "green", "blue", "gray", "black", "white"]
COLOR_W = np.array([
    [2, -1, -1],
    [-1, 2, -1],
    [-1, -1, 2],
    [0, 0, 0],
    [-1, -1, -1],
    [1, 1, 1],
], dtype=np.float32)
COLOR_B = np.array([0, 0, 0, 0.2, 0.3, -2.4], dtype=np.float32)


def save(model, name):
    onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    print("wrote", os.path.relpath(path))


def make_model(graph, metadata=None, opset=13):
    model = helper.make_model(graph, producer_name="gst-cnn make-test-models.py",
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = value
    return model


def pool_gemm(name, in_shape, weights, bias, softmax=False, metadata=None):
    """input → GlobalAveragePool → Flatten → Gemm (→ Softmax)."""
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
    ]
    output = "logits"
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1))
        output = "probs"
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, weights.shape[0]])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B")])
    return make_model(graph, metadata)


def main():
    os.makedirs(OUT, exist_ok=True)
    labels = "\n".join(COLOR_LABELS)

    save(pool_gemm("color", [1, 3, 16, 16], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels, "cnn.model_name": "colour-test"}),
         "color.onnx")
    # Same network, no metadata at all: labels fall back to class numbers.
    save(pool_gemm("color-plain", [1, 3, 16, 16], COLOR_W, COLOR_B), "color-plain.onnx")
    # Dynamic height/width: the element picks 224x224.
    save(pool_gemm("color-dynamic", [1, 3, "height", "width"], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels}),
         "color-dynamic.onnx")
    # Ends in Softmax: output=auto must not apply a second softmax.
    save(pool_gemm("color-softmax", [1, 3, 16, 16], COLOR_W, COLOR_B, softmax=True,
                   metadata={"cnn.labels": labels}),
         "color-softmax.onnx")
    # Metadata defaults: BGR input order, letterbox with white padding, model name.
    save(pool_gemm("color-bgr", [1, 3, 16, 16], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels, "cnn.color_order": "BGR",
                             "cnn.resize_mode": "letterbox", "cnn.pad_value": "255",
                             "cnn.value_range": "0,1", "cnn.mean": "0", "cnn.std": "1",
                             "cnn.output": "softmax", "cnn.model_name": "colour-bgr"}),
         "color-bgr.onnx")

    # Invalid metadata: each bad key is ignored with a warning and the plain default used.
    save(pool_gemm("color-bad-metadata", [1, 3, 16, 16], COLOR_W, COLOR_B,
                   metadata={"cnn.color_order": "PURPLE", "cnn.mean": "abc"}),
         "color-bad-metadata.onnx")

    # 1-channel model: class 0 "dark" when mean luma < 0.5, class 1 "bright" otherwise.
    save(pool_gemm("luma", [1, 1, 16, 16], np.array([[-1], [1]], dtype=np.float32),
                   np.array([0.5, -0.5], dtype=np.float32),
                   metadata={"cnn.labels": "dark\nbright"}),
         "luma.onnx")

    # ---- Model forms (issue 11): each has a twin the element must treat the same way.
    # The opset-6 classic: legacy broadcast with axis on Mul, Gemm's broadcast attribute;
    # its opset-13 twin does the same with numpy broadcasting.
    scale = np.array([1.5, 1.0, 0.5], dtype=np.float32)
    graph = helper.make_graph([
        helper.make_node("Mul", ["image", "S"], ["scaled"], name="scale", broadcast=1, axis=1),
        helper.make_node("GlobalAveragePool", ["scaled"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1,
                         broadcast=1),
    ], "color-opset6",
        # IR 3: initializers are graph inputs too, as old exporters wrote them.
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16]),
         helper.make_tensor_value_info("S", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("W", TensorProto.FLOAT, [6, 3]),
         helper.make_tensor_value_info("B", TensorProto.FLOAT, [6])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(scale, "S"), numpy_helper.from_array(COLOR_W, "W"),
         numpy_helper.from_array(COLOR_B, "B")])
    model = make_model(graph, {"cnn.labels": labels}, opset=6)
    model.ir_version = 3
    save(model, "color-opset6.onnx")
    graph = helper.make_graph([
        helper.make_node("Mul", ["image", "S"], ["scaled"], name="scale"),
        helper.make_node("GlobalAveragePool", ["scaled"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
    ], "color-opset13",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(scale.reshape(3, 1, 1), "S"),
         numpy_helper.from_array(COLOR_W, "W"), numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels}), "color-opset13.onnx")

    # NHWC input as tf2onnx writes it (a Transpose to NCHW inside); twin: color.onnx.
    graph = helper.make_graph([
        helper.make_node("Transpose", ["image"], ["nchw"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("GlobalAveragePool", ["nchw"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
    ], "color-nhwc",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 16, 16, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(COLOR_W, "W"), numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels}), "color-nhwc.onnx")

    # uint8 input fed raw 0-255, normalised inside (Cast, Mul); twin: color.onnx.
    graph = helper.make_graph([
        helper.make_node("Cast", ["image"], ["f"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["f", "inv255"], ["unit"], name="scale"),
        helper.make_node("GlobalAveragePool", ["unit"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
    ], "color-uint8",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(np.array(1 / 255, np.float32), "inv255"),
         numpy_helper.from_array(COLOR_W, "W"), numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels}), "color-uint8.onnx")

    # Three outputs: a feature map (not a class vector), the logits, the probabilities.
    # Default: the logits (twin: color.onnx); output-name=probs (twin: color-softmax.onnx).
    graph = helper.make_graph([
        helper.make_node("Relu", ["image"], ["features"], name="relu"),
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ], "color-outputs",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 3, 16, 16]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6]),
         helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(COLOR_W, "W"), numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels}), "color-outputs.onnx")

    # A fixed 32x24 (WxH) twin of color-dynamic.onnx run at input-size=32x24, and the dynamic
    # model again with that size in its cnn.input_size metadata.
    save(pool_gemm("color-32x24", [1, 3, 24, 32], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels}), "color-32x24.onnx")
    save(pool_gemm("color-32x16", [1, 3, 16, 32], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels}), "color-32x16.onnx")
    save(pool_gemm("color-dynamic-sized", [1, 3, "height", "width"], COLOR_W, COLOR_B,
                   metadata={"cnn.labels": labels, "cnn.input_size": "32x24"}),
         "color-dynamic-sized.onnx")

    # Position matters: only the top half of the image is scored, so where letterbox puts
    # the picture (centred or top-left) changes the result.
    graph = helper.make_graph([
        helper.make_node("Slice", ["image", "starts", "ends", "axes"], ["top"], name="top"),
        helper.make_node("GlobalAveragePool", ["top"], ["pooled"], name="pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1),
    ], "color-top-half",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(np.array([0], np.int64), "starts"),
         numpy_helper.from_array(np.array([8], np.int64), "ends"),
         numpy_helper.from_array(np.array([2], np.int64), "axes"),
         numpy_helper.from_array(COLOR_W, "W"), numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels}), "color-top-half.onnx")

    # The colour model behind a slow, exact identity: Conv 3→32 (each channel copies input
    # channel c % 3), Conv 32→32 3×3 (identity: centre tap only), Conv 32→3 (averages the
    # copies back). About 10 MMAC at 32×32: a run takes ten times as long as pushing a
    # small frame, and the async-inference tests need a worker that is busy while frames
    # arrive (yet fast enough under valgrind).
    ch = 32
    expand = np.zeros((ch, 3, 1, 1), np.float32)
    expand[np.arange(ch), np.arange(ch) % 3, 0, 0] = 1
    ident = np.zeros((ch, ch, 3, 3), np.float32)
    ident[np.arange(ch), np.arange(ch), 1, 1] = 1
    merge = np.zeros((3, ch, 1, 1), np.float32)
    for o in range(ch):
        merge[o % 3, o, 0, 0] = 1.0 / len(range(o % 3, ch, 3))
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "E"], ["wide"], name="expand", kernel_shape=[1, 1]),
         helper.make_node("Conv", ["wide", "I"], ["same"], name="identity", kernel_shape=[3, 3],
                          pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["same", "M"], ["rgb"], name="merge", kernel_shape=[1, 1]),
         helper.make_node("GlobalAveragePool", ["rgb"], ["pooled"], name="pool"),
         helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
         helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], name="fc", transB=1)],
        "slow",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 6])],
        [numpy_helper.from_array(expand, "E"), numpy_helper.from_array(ident, "I"),
         numpy_helper.from_array(merge, "M"), numpy_helper.from_array(COLOR_W, "W"),
         numpy_helper.from_array(COLOR_B, "B")])
    save(make_model(graph, {"cnn.labels": labels, "cnn.model_name": "colour-slow"}),
         "slow.onnx")

    # Not an image: rank-2 input.
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "B"], ["y"], name="fc", transB=1)], "rank2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 48])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [numpy_helper.from_array(np.ones((4, 48), np.float32), "W"),
         numpy_helper.from_array(np.zeros(4, np.float32), "B")])
    save(make_model(graph), "bad-input-rank2.onnx")

    # Not a classifier: the output is a feature map [1, 3, 8, 8].
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "W"], ["y"], name="conv", kernel_shape=[1, 1])],
        "featuremap",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
        [numpy_helper.from_array(np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1), "W")])
    save(make_model(graph), "bad-output-featuremap.onnx")

    # Not ONNX at all.
    with open(os.path.join(OUT, "corrupt.onnx"), "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff\xff\xff\x0fthis is not an ONNX model\n")
    print("wrote", os.path.relpath(os.path.join(OUT, "corrupt.onnx")))

    # A labels file with the wrong number of lines for the colour models (6 classes).
    with open(os.path.join(OUT, "four-labels.txt"), "w") as f:
        f.write("one\ntwo\nthree\nfour\n")
    with open(os.path.join(OUT, "color-labels.txt"), "w") as f:
        f.write("Red\nGreen\nBlue\nGray\nBlack\nWhite\n")


if __name__ == "__main__":
    main()
