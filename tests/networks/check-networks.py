#!/usr/bin/python3
"""Whole-network correctness against PyTorch: runs `cnn run` on each network and compares its
output with PyTorch's (NAME.torch.npy) for the same input (NAME.input.npy).

A network passes when, with 1 and with 2 threads,
  max|cnn - torch| / max|torch| <= 1e-4, and
  the top-5 classes agree (as a set and in order; near-ties are lenient, see top5_agree).

Usage:
  check-networks.py [--cnn PATH] [NAME ...]
      the small networks committed next to this script (make-small-networks.py made them);
  check-networks.py [--cnn PATH] --full DIR [NAME ...]
      the full-size torchvision networks (ResNet-18/50, MobileNetV2, MobileNetV3-small,
      SqueezeNet 1.1) in DIR; missing ones are generated there first with the anchor script
      gen-torchvision-onnx.py (../shared/anchors/ next to the repository, or $CNN_ANCHORS).
      Names of the form NET-opsetN (e.g. convnext_tiny-opset11) are made instead by
      export-torchvision.py (next to this script), with random BatchNorm statistics;
  check-networks.py [--cnn PATH] --full DIR --others
      every classifier export-torchvision.py knows (AlexNet, VGG, GoogLeNet, Inception v3,
      DenseNet, ShuffleNet, MnasNet, EfficientNet, RegNet, MobileNetV3-large, ResNeXt,
      SqueezeNet 1.0, ConvNeXt) at opsets 11 and 17.
The cnn tool is --cnn, else $CNN, else build/cnn-core/tool/cnn. Needs numpy.
Prints one line per network and `networks: N passed, N failed`; exits 1 on any failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FULL_NETWORKS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1"]
# export-torchvision.py's NETWORKS: the classifiers users bring beyond the five above.
OTHER_NETWORKS = [
    "alexnet", "vgg11_bn", "googlenet", "inception_v3", "densenet121", "shufflenet_v2_x1_0",
    "mnasnet1_0", "efficientnet_b0", "efficientnet_v2_s", "regnet_x_400mf", "regnet_y_400mf",
    "mobilenet_v3_large", "resnext50_32x4d", "squeezenet1_0", "convnext_tiny",
]
REL_TOLERANCE = 1e-4
# Reference logits closer than this (relative to max|ref|) count as tied for the top-5 check.
TIE_TOLERANCE = 1e-5
THREADS = [1, 2]


def relative_error(out, ref):
    scale = float(np.abs(ref).max())
    diff = float(np.abs(out.astype(np.float64) - ref.astype(np.float64)).max())
    return diff / scale if scale > 0 else diff


def top5_agree(out, ref):
    """Top-5 of each row of out equals that of ref, as a set and in order. Where reference
    logits are tied, any order among them is right: the k-th class cnn ranks must have a
    reference logit within the tie tolerance of the k-th largest reference logit. Exact ties
    are real (random weights, a ReLU before the pooled head as in SqueezeNet leaves several
    classes at exactly 0), and two logits closer than the float rounding of two different but
    correct summation orders may swap without either implementation being wrong; a gap of
    1e-5 relative is well below the 1e-4 error allowed, so a swap across a real gap still fails.
    Returns (ok, cnn's top-5 of the first row, the reference's)."""
    out2 = out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(1, -1)
    ref2 = ref.reshape(out2.shape)
    tie = TIE_TOLERANCE * float(np.abs(ref).max())
    ok = True
    first = None
    for o, r in zip(out2, ref2):
        k = min(5, r.size)
        top_out = np.argsort(-o, kind="stable")[:k]
        top_ref = np.argsort(-r, kind="stable")[:k]
        if first is None:
            first = (top_out, top_ref)
        for i in range(k):
            if abs(float(r[top_out[i]]) - float(r[top_ref[i]])) > tie:
                ok = False
    return ok, first[0], first[1]


def run_cnn(cnn, model, inp, threads, workdir):
    out = os.path.join(workdir, f"out-{os.path.basename(model)}-t{threads}.npy")
    cmd = [cnn, "run", model, "-i", inp, "-o", out, "--threads", str(threads)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "timed out: " + " ".join(cmd)
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}"
    return np.load(out), None


def check(cnn, directory, name, workdir):
    """Returns True when the network passes; prints its line."""
    model = os.path.join(directory, name + ".onnx")
    inp = os.path.join(directory, name + ".input.npy")
    ref = np.load(os.path.join(directory, name + ".torch.npy"))
    errors = []
    problems = []
    top = None
    outputs = []
    for threads in THREADS:
        out, err = run_cnn(cnn, model, inp, threads, workdir)
        if err:
            problems.append(f"threads {threads}: {err}")
            continue
        if out.shape != ref.shape:
            problems.append(f"threads {threads}: output shape {list(out.shape)}, "
                            f"PyTorch's {list(ref.shape)}")
            continue
        rel = relative_error(out, ref)
        errors.append(f"{rel:.2e}")
        if not np.isfinite(out).all() or not rel <= REL_TOLERANCE:
            problems.append(f"threads {threads}: relative error {rel:.2e} > {REL_TOLERANCE:g}")
        ok, top_out, top_ref = top5_agree(out, ref)
        if top is None:
            top = (top_out, top_ref)
        if not ok:
            problems.append(f"threads {threads}: top-5 {top_out.tolist()}, "
                            f"PyTorch's {top_ref.tolist()}")
        outputs.append(out)
    line = f"{name:24s} rel error (1/2 threads) {' / '.join(errors) or '-':21s}"
    if top is not None:
        line += f" top-5 {top[0].tolist()}"
    if len(outputs) == 2:
        line += f" 1-vs-2-thread max|diff| {np.abs(outputs[0] - outputs[1]).max():.1e}"
    if problems:
        print(f"FAIL {line}")
        for p in problems:
            print(f"     {name}: {p}")
        return False
    print(f"ok   {line}")
    return True


def find_anchor_script():
    candidates = []
    if os.environ.get("CNN_ANCHORS"):
        candidates.append(os.path.join(os.environ["CNN_ANCHORS"], "gen-torchvision-onnx.py"))
    candidates.append(os.path.join(ROOT, "..", "shared", "anchors", "gen-torchvision-onnx.py"))
    for c in candidates:
        if os.path.isfile(c):
            return c
    sys.exit("check-networks: gen-torchvision-onnx.py not found in $CNN_ANCHORS or "
             "../shared/anchors/; set CNN_ANCHORS to its directory")


def generate_full(directory, names):
    missing = [n for n in names
               if not all(os.path.isfile(os.path.join(directory, n + suffix))
                          for suffix in (".onnx", ".input.npy", ".torch.npy"))]
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    for n in [n for n in missing if "-opset" in n]:
        net, opset = n.rsplit("-opset", 1)
        print(f"generating {n} in {directory} with export-torchvision.py", flush=True)
        subprocess.run([python, os.path.join(HERE, "export-torchvision.py"), directory,
                        "--opset", opset, net], check=True, stdout=subprocess.DEVNULL)
    missing = [n for n in missing if "-opset" not in n]
    if not missing:
        return
    script = find_anchor_script()
    print(f"generating {' '.join(missing)} in {directory} with {script}", flush=True)
    # The anchor script needs torch; it runs under the system Python that has it.
    subprocess.run([python, script, directory, *missing, "--reference"], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cnn", default=os.environ.get("CNN",
                        os.path.join(ROOT, "build", "cnn-core", "tool", "cnn")))
    parser.add_argument("--full", metavar="DIR",
                        help="check the full-size torchvision networks in DIR (made if missing)")
    parser.add_argument("--others", action="store_true",
                        help="with --full: the classifiers of export-torchvision.py at opsets "
                        "11 and 17")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()

    if args.full:
        directory = args.full
        names = args.names or FULL_NETWORKS
        if args.others:
            names = [f"{n}-opset{o}" for n in OTHER_NETWORKS for o in (11, 17)]
        os.makedirs(directory, exist_ok=True)
        generate_full(directory, names)
    else:
        directory = HERE
        names = args.names or sorted(f[:-len(".torch.npy")] for f in os.listdir(HERE)
                                     if f.endswith(".torch.npy"))
    if not names:
        sys.exit(f"check-networks: no networks in {directory}")
    if not os.access(args.cnn, os.X_OK):
        sys.exit(f"check-networks: cnn tool '{args.cnn}' not found; give --cnn or $CNN")

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="check-networks-") as workdir:
        for name in names:
            if check(args.cnn, directory, name, workdir):
                passed += 1
            else:
                failed += 1
    print(f"networks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
