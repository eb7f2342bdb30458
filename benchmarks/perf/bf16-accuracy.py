#!/usr/bin/python3
"""bf16 against fp32, through the core (libcnn-core.so via ctypes), on real networks.

    benchmarks/perf/bf16-accuracy.py [--lib build/cnn-core/libcnn-core.so] [--tv DIR] [--n 200]

- the digits model (models/digits): held-out accuracy over the 2,004 held-out digits in fp32
  and in bf16, and the difference in percentage points;
- every DIR/*.onnx (torchvision exports, [1, 3, 224, 224]): N random images (uniform pixels,
  ImageNet mean/std), the share of them whose top-1 class is the same in bf16 as in fp32, and
  the relative error of the logits, max|bf16 - fp32| / max|fp32|, median and worst.

Prints the CPU and what precision actually ran (fp32 where the CPU lacks AVX512_BF16).
Not a test: a report for the README and the issue.
"""
import argparse
import ctypes
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Options(ctypes.Structure):
    _fields_ = [("threads", ctypes.c_int), ("max_memory_bytes", ctypes.c_uint64),
                ("max_file_bytes", ctypes.c_uint64), ("precision", ctypes.c_int)]


class Error(ctypes.Structure):
    _fields_ = [("message", ctypes.c_char * 512)]


class Model:
    def __init__(self, lib, path, precision, out_size):
        self.lib = lib
        opts = lib.cnn_options_default()
        opts.precision = precision
        self.handle = ctypes.c_void_p()
        err = Error()
        if lib.cnn_model_load_file(path.encode(), ctypes.byref(opts), ctypes.byref(self.handle),
                                   ctypes.byref(err)) != 0 \
                or lib.cnn_model_prepare(self.handle, ctypes.byref(err)) != 0:
            sys.exit("cnn: " + err.message.decode())
        self.out = np.zeros(out_size, np.float32)
        self.precision = lib.cnn_precision_name(lib.cnn_model_precision(self.handle)).decode()

    def run(self, x):
        x = np.ascontiguousarray(x, np.float32)
        ins = (ctypes.c_void_p * 1)(x.ctypes.data)
        outs = (ctypes.c_void_p * 1)(self.out.ctypes.data)
        err = Error()
        if self.lib.cnn_model_run(self.handle, ins, outs, ctypes.byref(err)) != 0:
            sys.exit("cnn: " + err.message.decode())
        return self.out.copy()

    def close(self):
        self.lib.cnn_model_destroy(self.handle)


def load_lib(path):
    lib = ctypes.CDLL(path)
    lib.cnn_options_default.restype = Options
    lib.cnn_model_load_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(Options),
                                        ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Error)]
    lib.cnn_model_prepare.argtypes = [ctypes.c_void_p, ctypes.POINTER(Error)]
    lib.cnn_model_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.POINTER(Error)]
    lib.cnn_model_precision.argtypes = [ctypes.c_void_p]
    lib.cnn_precision_name.restype = ctypes.c_char_p
    lib.cnn_model_destroy.argtypes = [ctypes.c_void_p]
    lib.cnn_cpu_description.restype = ctypes.c_char_p
    return lib


def digits(lib):
    d = os.path.join(ROOT, "models", "digits")
    pixels = np.fromfile(os.path.join(d, "heldout-digits.gray8"), np.uint8).reshape(-1, 1, 28, 28)
    labels = np.array([int(l) for l in open(os.path.join(d, "heldout-labels.txt"))])
    x = (pixels.astype(np.float32) / 255.0 - 0.1307) / 0.3081   # the model's cnn.* metadata
    acc = {}
    for prec in (0, 1):
        m = Model(lib, os.path.join(d, "digits.onnx"), prec, 10)
        pred = np.array([m.run(x[i:i + 1]).argmax() for i in range(len(x))])
        acc[m.precision] = (pred == labels).mean() * 100
        m.close()
    names = list(acc)
    print(f"digits held-out accuracy ({len(x)} digits): " + ", ".join(
        f"{k} {v:.2f}%" for k, v in acc.items())
        + (f"; difference {acc[names[1]] - acc[names[0]]:+.2f} pp" if len(names) == 2 else
           " (both ran fp32)"))


def torchvision(lib, tv, n):
    rng = np.random.default_rng(0)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    images = (rng.random((n, 1, 3, 224, 224), dtype=np.float32) - mean) / std
    print(f"| model | top-1 agreement bf16 vs fp32 ({n} random images) "
          "| rel. error median | rel. error worst |")
    print("|---|---|---|---|")
    for path in sorted(glob.glob(os.path.join(tv, "*.onnx"))):
        m32, m16 = Model(lib, path, 0, 1000), Model(lib, path, 1, 1000)
        same, errs = 0, []
        for x in images:
            a, b = m32.run(x), m16.run(x)
            same += a.argmax() == b.argmax()
            errs.append(np.abs(a - b).max() / np.abs(a).max())
        print(f"| {os.path.basename(path)[:-5]} | {same}/{n} = {100 * same / n:.1f}% "
              f"| {np.median(errs):.2e} | {max(errs):.2e} |"
              + ("" if m16.precision == "bf16" else " (bf16 not available: fp32)"))
        m32.close()
        m16.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", default=os.path.join(ROOT, "build", "cnn-core", "libcnn-core.so"))
    ap.add_argument("--tv", default="/tmp/tv")
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    lib = load_lib(args.lib)
    print("CPU:", lib.cnn_cpu_description().decode())
    digits(lib)
    if os.path.isdir(args.tv):
        torchvision(lib, args.tv, args.n)


if __name__ == "__main__":
    main()
