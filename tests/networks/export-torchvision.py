#!/usr/bin/python3
"""Exports torchvision classifiers to ONNX at a chosen opset, with non-trivial normalisation
statistics, and PyTorch's own output for a fixed input.

    /usr/bin/python3 tests/networks/export-torchvision.py OUTDIR --opset 11 [NAME ...]

Writes OUTDIR/NAME-opsetN.onnx, OUTDIR/NAME-opsetN.input.npy and OUTDIR/NAME-opsetN.torch.npy,
the layout check-networks.py --full reads. Weights are random but seeded. Freshly built
networks have BatchNormalization statistics of mean 0 and variance 1 and LayerNorm scales of
1, which hide mistakes in how they are applied; here every BatchNorm gets running means,
variances, scales and shifts, and every LayerNorm scales and shifts, drawn at random.
Needs python3-torch, python3-torchvision, python3-onnx (Debian's /usr/bin/python3).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

# The classifiers a user is likely to bring (issue 11), by torchvision builder name.
NETWORKS = [
    "alexnet", "vgg11_bn", "googlenet", "inception_v3", "densenet121", "shufflenet_v2_x1_0",
    "mnasnet1_0", "efficientnet_b0", "efficientnet_v2_s", "regnet_x_400mf", "regnet_y_400mf",
    "mobilenet_v3_large", "resnext50_32x4d", "squeezenet1_0", "convnext_tiny",
]
# Input side per network (inception_v3 is built for 299).
SIZES = {"inception_v3": 299}


def build(name):
    kwargs = {}
    if name in ("googlenet", "inception_v3"):
        kwargs = {"aux_logits": False, "init_weights": True}
    m = getattr(torchvision.models, name)(**kwargs)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                c = mod.num_features
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                mod.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                mod.weight.copy_(torch.rand(c, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(c, generator=g) * 0.1)
            elif isinstance(mod, torch.nn.LayerNorm) and mod.elementwise_affine:
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
    return m.eval()


def export(name, opset, out):
    torch.manual_seed(0)
    m = build(name)
    side = SIZES.get(name, 224)
    x = torch.randn(1, 3, side, side, generator=torch.Generator().manual_seed(1))
    base = os.path.join(out, f"{name}-opset{opset}")
    torch.onnx.export(m, x, base + ".onnx", opset_version=opset, input_names=["input"],
                      output_names=["logits"], do_constant_folding=True)
    with torch.inference_mode():
        y = m(x)
    np.save(base + ".input.npy", x.numpy().astype(np.float32))
    np.save(base + ".torch.npy", y.numpy().astype(np.float32))
    return base + ".onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--opset", type=int, action="append",
                    help="opset(s) to export at (default: 11 and 17)")
    ap.add_argument("names", nargs="*", help="torchvision builder names (default: all)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for name in args.names or NETWORKS:
        for opset in args.opset or [11, 17]:
            print(export(name, opset, args.outdir), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
