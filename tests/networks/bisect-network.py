#!/usr/bin/python3
"""Finds the first node where `cnn run` departs from a plain numpy evaluation of an ONNX model:
a diagnosis aid for check-networks.py failures (not a test).

Evaluates the whole graph in float64 with numpy (the ops the torchvision classifiers use),
checks that evaluation against NAME.torch.npy when it is given, then bisects over the nodes in
graph order: for a candidate node it writes a copy of the model cut after that node's first
output, runs `cnn run` on it and compares that tensor with the numpy one
(max|diff| / max|ref| <= tolerance).

Usage: bisect-network.py [--cnn PATH] [--threads N] [--tolerance T] MODEL.onnx INPUT.npy
                         [TORCH.npy]
Needs: numpy, python3-onnx.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def pad_input(x, pads, value):
    n = len(pads) // 2
    width = [(0, 0), (0, 0)] + [(pads[i], pads[i + n]) for i in range(n)]
    return np.pad(x, width, constant_values=value)


def windows(x, kernel, strides, dilations):
    """x: N,C,H,W (padded) -> N,C,OH,OW,KH,KW view."""
    n, c, h, w = x.shape
    kh, kw = kernel
    oh = (h - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, c, oh, ow, kh, kw),
        (s[0], s[1], s[2] * strides[0], s[3] * strides[1], s[2] * dilations[0], s[3] * dilations[1]))


def auto_pads(a, in_hw, kernel, strides, dilations):
    pads = list(a.get("pads", [0] * 4))
    ap = a.get("auto_pad", b"NOTSET")
    ap = ap.decode() if isinstance(ap, bytes) else ap
    if ap in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * 4
        for i in range(2):
            out = -(-in_hw[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - in_hw[i])
            small, big = total // 2, total - total // 2
            pads[i], pads[i + 2] = (small, big) if ap == "SAME_UPPER" else (big, small)
    return pads


def conv(x, w, b, a):
    kernel = w.shape[2:]
    strides = a.get("strides", [1, 1])
    dilations = a.get("dilations", [1, 1])
    group = a.get("group", 1)
    pads = auto_pads(a, x.shape[2:], kernel, strides, dilations)
    xp = np.ascontiguousarray(pad_input(x, pads, 0.0))
    win = windows(xp, kernel, strides, dilations)  # N,C,OH,OW,KH,KW
    cg = x.shape[1] // group
    mg = w.shape[0] // group
    outs = []
    for g in range(group):
        wg = w[g * mg:(g + 1) * mg]
        outs.append(np.einsum("ncijkl,mckl->nmij", win[:, g * cg:(g + 1) * cg], wg,
                              optimize=True))
    y = np.concatenate(outs, axis=1)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


def pool(x, a, kind):
    kernel = a["kernel_shape"]
    strides = a.get("strides", [1, 1])
    dilations = a.get("dilations", [1, 1])
    pads = auto_pads(a, x.shape[2:], kernel, strides, dilations)
    if a.get("ceil_mode", 0):
        # Extra bottom/right padding for the ceil-mode windows that start inside the input.
        for i in range(2):
            size = x.shape[2 + i] + pads[i] + pads[i + 2]
            span = dilations[i] * (kernel[i] - 1) + 1
            out = -(-(size - span) // strides[i]) + 1
            if (out - 1) * strides[i] >= x.shape[2 + i] + pads[i]:
                out -= 1
            pads[i + 2] += max(0, (out - 1) * strides[i] + span - size)
    if kind == "max":
        xp = pad_input(x, pads, -np.inf)
        return windows(np.ascontiguousarray(xp), kernel, strides, dilations).max(axis=(4, 5))
    xp = np.ascontiguousarray(pad_input(x, pads, 0.0))
    s = windows(xp, kernel, strides, dilations).sum(axis=(4, 5))
    if a.get("count_include_pad", 0):
        return s / (kernel[0] * kernel[1])
    ones = np.ascontiguousarray(pad_input(np.ones((1, 1) + x.shape[2:]), pads, 0.0))
    return s / windows(ones, kernel, strides, dilations).sum(axis=(4, 5))


def evaluate(model, feeds):
    """Returns {tensor name: numpy value} for every tensor of the graph."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for k, v in feeds.items():
        env[k] = v.astype(np.float64) if v.dtype == np.float32 else v
    for k, v in list(env.items()):
        if v.dtype == np.float32:
            env[k] = v.astype(np.float64)
    for node in model.graph.node:
        a = attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            y = conv(x[0], x[1], x[2] if len(x) > 2 else None, a)
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else a.get("min", -np.inf)
            hi = x[2] if len(x) > 2 and x[2] is not None else a.get("max", np.inf)
            y = np.clip(x[0], lo, hi)
        elif op == "HardSigmoid":
            y = np.clip(a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = x[0] * np.clip(x[0] / 6 + 0.5, 0, 1)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x[0]))
        elif op in ("Add", "Mul", "Sub", "Div"):
            y = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract,
                 "Div": np.divide}[op](x[0], x[1])
        elif op == "MaxPool":
            y = pool(x[0], a, "max")
        elif op == "AveragePool":
            y = pool(x[0], a, "avg")
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True)
        elif op == "GlobalMaxPool":
            y = x[0].max(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op == "BatchNormalization":
            s = (1, -1) + (1,) * (x[0].ndim - 2)
            y = ((x[0] - x[3].reshape(s)) / np.sqrt(x[4].reshape(s) + a.get("epsilon", 1e-5))
                 * x[1].reshape(s) + x[2].reshape(s))
        elif op in ("Identity", "Dropout"):
            y = x[0]
        elif op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Shape":
            y = np.array(x[0].shape, dtype=np.int64)
        elif op == "Gather":
            y = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            y = x[0]
            for ax in sorted(int(v) for v in x[1]):
                y = np.expand_dims(y, ax if ax >= 0 else ax + y.ndim + 1)
        elif op == "Squeeze":
            y = np.squeeze(x[0], axis=tuple(int(v) for v in x[1]) if len(x) > 1 else None)
        elif op == "Reshape":
            shape = [int(d) if d != 0 else x[0].shape[i] for i, d in enumerate(x[1])]
            y = x[0].reshape(shape)
        elif op == "Softmax":
            e = np.exp(x[0] - x[0].max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        elif op == "Transpose":
            y = np.transpose(x[0], a.get("perm"))
        else:
            raise SystemExit(f"bisect-network: no numpy version of {op} (node {node.name})")
        env[node.output[0]] = np.asarray(y)
    return env


def cut_model(model, tensor, path):
    """A copy of model whose only output is tensor, without the nodes it does not need."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    needed = {tensor}
    keep = []
    for node in reversed(list(m.graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    keep.reverse()
    del m.graph.node[:]
    m.graph.node.extend(keep)
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    onnx.save(m, path)


def relative(a, b):
    scale = float(np.abs(b).max()) or 1.0
    return float(np.abs(a.astype(np.float64) - b).max()) / scale


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cnn", default=os.environ.get("CNN", "build/cnn-core/tool/cnn"))
    p.add_argument("--threads", default="1")
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("torch", nargs="?")
    args = p.parse_args()

    model = onnx.load(args.model)
    x = np.load(args.input)
    env = evaluate(model, {model.graph.input[0].name: x})
    out_name = model.graph.output[0].name
    if args.torch:
        print(f"numpy evaluation vs PyTorch: relative error "
              f"{relative(env[out_name], np.load(args.torch).astype(np.float64)):.2e}")

    nodes = [n for n in model.graph.node
             if n.op_type != "Constant" and env[n.output[0]].dtype == np.float64]
    with tempfile.TemporaryDirectory(prefix="bisect-network-") as tmp:
        cache = {}

        def error_at(i):
            if i in cache:
                return cache[i]
            node = nodes[i]
            path = os.path.join(tmp, "cut.onnx")
            cut_model(model, node.output[0], path)
            out = os.path.join(tmp, "out.npy")
            proc = subprocess.run([args.cnn, "run", path, "-i", args.input, "-o", out,
                                   "--threads", args.threads], capture_output=True, text=True)
            if proc.returncode != 0:
                err = float("inf")
                print(f"  [{i}] {node.op_type} {node.name}: cnn failed: {proc.stderr.strip()}")
            else:
                err = relative(np.load(out), env[node.output[0]])
                print(f"  [{i}] {node.op_type} {node.name} -> {node.output[0]}: {err:.2e}")
            cache[i] = err
            return err

        lo, hi = 0, len(nodes) - 1
        if error_at(hi) <= args.tolerance:
            print("output agrees with the numpy evaluation")
            return 0
        # Invariant: nodes[hi] is bad; find the first bad node (assuming errors persist).
        while lo < hi:
            mid = (lo + hi) // 2
            if error_at(mid) > args.tolerance:
                hi = mid
            else:
                lo = mid + 1
        node = nodes[hi]
        a = {k: v for k, v in attrs(node).items() if k != "value"}
        shapes = [list(env[i].shape) if i in env else None for i in node.input]
        print(f"first divergent node: {node.op_type} '{node.name}' inputs {list(node.input)} "
              f"shapes {shapes} attrs {a} -> {list(env[node.output[0]].shape)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
