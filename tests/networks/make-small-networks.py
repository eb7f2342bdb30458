#!/usr/bin/python3
"""Exports small versions of the five torchvision classifiers the project is measured on
(ResNet-18/50, MobileNetV2, MobileNetV3-small, SqueezeNet 1.1) and of ConvNeXt (its LayerNorm
and GELU patterns at opsets 11 and 17) for check-networks.py.

Each small network is built from torchvision's own building blocks, so it has the same layer
types as the full model (7x7 stem, ceil-mode pooling, depthwise convs, squeeze-excitation,
hardswish, residual adds, fire-module concats ...) with fewer channels and a smaller input.
Weights are random but seeded. Randomly initialised BatchNorm has mean 0 / variance 1, which
would make BN folding look right even when it is wrong, so every BN gets random statistics.

Needs: apt-get install python3-torch python3-torchvision python3-onnx
Usage: /usr/bin/python3 make-small-networks.py [OUTDIR [NAME...]]   (default: this script's
directory, every network)
Writes OUTDIR/NAME.onnx, NAME.input.npy (float32) and NAME.torch.npy (PyTorch's output, eval mode).
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.squeezenet import Fire, SqueezeNet


class TinyResNet(ResNet):
    """torchvision's ResNet with stage widths 12/24/48/96 instead of 64/128/256/512 (not
    multiples of 8, so kernels' remainder paths run too): same stem (7x7 stride 2 + 3x3 max
    pool), same _make_layer (1x1 stride-2 downsample convs), same forward."""

    def __init__(self, block, layers, num_classes=10, widths=(12, 24, 48, 96)):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


class HalfSqueezeNet11(SqueezeNet):
    """torchvision's SqueezeNet 1.1 with every channel count halved (the full one with 10
    classes is 2.9 MB); same ceil-mode max pools, fire modules and conv/ReLU/avg-pool head."""

    def __init__(self, num_classes=10):
        super().__init__("1_1", num_classes)
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, kernel_size=3, stride=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(32, 8, 32, 32),
            Fire(64, 8, 32, 32),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(64, 16, 64, 64),
            Fire(128, 16, 64, 64),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(128, 24, 96, 96),
            Fire(192, 24, 96, 96),
            Fire(192, 32, 128, 128),
            Fire(256, 32, 128, 128),
        )
        final_conv = nn.Conv2d(256, num_classes, kernel_size=1)
        self.classifier[1] = final_conv
        for m in self.features.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight)
                nn.init.constant_(m.bias, 0)
        nn.init.normal_(final_conv.weight, mean=0.0, std=0.01)
        # A positive bias keeps the head's ReLU from zeroing most classes (ties in the top 5).
        nn.init.uniform_(final_conv.bias, 0.0, 0.05)


class ShapeOpsNet(nn.Module):
    """A small conv net whose export keeps the shape arithmetic: exported with dynamic
    batch/height/width and without constant folding, x.view(x.size(0), -1) becomes
    Shape -> Gather -> Unsqueeze -> Concat -> Reshape, which the loader must fold. Exported
    with its BatchNormalization nodes kept (one after a conv, one standalone on the input) so the
    core's own BN folding runs too."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(3)
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.conv3 = nn.Conv2d(16, 32, 1)
        self.bn3 = nn.BatchNorm2d(32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(self.bn_in(x))))
        x = x + torch.relu(self.conv2(x))
        x = torch.relu(self.bn3(self.conv3(x)))
        x = self.pool(x)
        return self.fc(x.view(x.size(0), -1))


def randomize_batchnorm(model, gen):
    """Random running statistics and affine parameters, so folding BN is really exercised;
    random LayerNorm scales and shifts likewise."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)


def tiny_convnext():
    """torchvision's ConvNeXt (patchify stem, 7x7 depthwise, LayerNorm over channels, GELU,
    layer scale, LayerNorm2d head) with two stages of 16 and 32 channels. Layer scale 0.5
    instead of 1e-6, so the blocks are not nearly the identity."""
    return ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 2)],
                    layer_scale=0.5, num_classes=10)


# name: (constructor, input shape for the check, export options)
NETWORKS = {
    "mobilenet_v2_w025": (
        lambda: torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=10),
        (1, 3, 96, 96), {}),
    "mobilenet_v3_small_w05": (
        lambda: torchvision.models.mobilenet_v3_small(width_mult=0.5, num_classes=10),
        (1, 3, 96, 96), {}),
    # 100x100 so that the ceil-mode max pools really produce an extra, partial window.
    "squeezenet1_1_w05": (HalfSqueezeNet11, (1, 3, 100, 100), {}),
    "resnet_tiny_basic": (lambda: TinyResNet(BasicBlock, [2, 2, 2, 2]), (1, 3, 64, 64), {}),
    # An odd size: stride-2 convs and pools see odd extents.
    "resnet_tiny_bottleneck": (lambda: TinyResNet(Bottleneck, [1, 2, 2, 1]), (1, 3, 61, 61), {}),
    # Exported at 1x3x32x32 but checked at 2x3x40x48: the dims must come from the input.
    "shape_ops_dynamic": (ShapeOpsNet, (2, 3, 40, 48), {
        "export_shape": (1, 3, 32, 32),
        "do_constant_folding": False,
        "training": torch.onnx.TrainingMode.PRESERVE,
        "dynamic_axes": {"input": {0: "batch", 2: "height", 3: "width"},
                         "logits": {0: "batch"}},
    }),
    # ConvNeXt's LayerNorm and GELU: at opset 11 exporters write them as ReduceMean / Sub / Pow
    # / Sqrt / Div and Div / Erf / Add / Mul chains, at 17 LayerNormalization is one op.
    "convnext_tiny_opset11": (tiny_convnext, (1, 3, 64, 64), {"opset": 11}),
    "convnext_tiny_opset17": (tiny_convnext, (1, 3, 64, 64), {"opset": 17}),
}

SHAPE_OPS = {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"}


def export(name, make, shape, opts, out):
    torch.manual_seed(0)
    model = make()
    randomize_batchnorm(model, torch.Generator().manual_seed(2))
    model.eval()
    opts = dict(opts)
    export_shape = opts.pop("export_shape", shape)
    folding = opts.pop("do_constant_folding", True)
    opset = opts.pop("opset", 14)
    dummy = torch.randn(*export_shape, generator=torch.Generator().manual_seed(3))
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], do_constant_folding=folding, **opts)

    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        y = model(x).numpy()
    np.save(os.path.join(out, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, name + ".torch.npy"), y.astype(np.float32))

    graph = onnx.load(path).graph
    ops = sorted({n.op_type for n in graph.node})
    if "dynamic_axes" in opts:
        missing = SHAPE_OPS - set(ops)
        if missing or "BatchNormalization" not in ops:
            sys.exit(f"{path}: expected shape ops and BatchNormalization, missing "
                     f"{sorted(missing) or ['BatchNormalization']}")
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, input {list(shape)}, "
          f"output {list(y.shape)}, max|y| {np.abs(y).max():.3g}, ops {' '.join(ops)}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    names = sys.argv[2:] or list(NETWORKS)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for name in names:
        make, shape, opts = NETWORKS[name]
        export(name, make, shape, opts, out)


if __name__ == "__main__":
    main()
