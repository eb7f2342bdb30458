#!/usr/bin/python3
"""Run the ONNX backend node tests that use only our ops through `cnn run`.

    run-onnx-backend.py --cnn PATH/TO/cnn [--update] [-v] [-j 2] [--timeout 60] [PATTERN...]

For every test directory under /usr/share/libonnx-testdata/data/{node,pytorch-converted}
whose model uses only supported ops (default domain, any opset) and float/int64 inputs, the
inputs of each test_data_set_* are converted to .npy, `cnn run` computes the outputs, and
they are compared with the reference outputs: |a - b| <= atol + rtol * |b| (rtol 1e-3,
atol 1e-5). Inputs that set shapes (Reshape's shape, Slice's starts/ends/axes/steps, axes,
pads, split sizes) are graph inputs like any other: `cnn run` gives every integer input to
the core as a value before prepare (cnn_model_set_input_value). Each test is PASS, FAIL (with
the largest error), ERROR (cnn's message) or SKIP (with the reason).

The tests listed in expected-pass.txt (next to this script) must pass; anything else that
passes is reported as a new pass. --update rewrites the list from this run. PATTERNs
(fnmatch, matched against "node/test_abs" style names) select a subset.

Exit status: 0 all expected passes held, 1 a regression, 2 usage error, 77 (meson's "skip")
when onnx/numpy or the test data are missing.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "pytorch-converted"]
RTOL = 1e-3
ATOL = 1e-5

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
except ImportError as e:  # pragma: no cover - environment problem, not a test failure
    print("conformance: skipped, %s (install python3-onnx and python3-numpy)" % e)
    sys.exit(77)

INPUT_DTYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64, onnx.TensorProto.UINT8}
OUTPUT_DTYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64, onnx.TensorProto.INT32,
                 onnx.TensorProto.BOOL, onnx.TensorProto.UINT8}


def dtype_name(elem_type):
    return onnx.TensorProto.DataType.Name(elem_type).lower()


class Test:
    def __init__(self, suite, path):
        self.path = path
        self.name = suite + "/" + os.path.basename(path)
        self.ops = []
        self.status = None      # PASS FAIL ERROR SKIP
        self.detail = ""


def classify(test, supported):
    """Returns a skip reason, or None if the test is runnable. Fills test.ops."""
    model_path = os.path.join(test.path, "model.onnx")
    try:
        model = onnx.load(model_path)
    except Exception as e:  # a broken test file is not our failure
        return "onnx cannot load the model (%s)" % type(e).__name__
    opset = None
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
    graph = model.graph
    test.ops = sorted({n.op_type for n in graph.node})
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            return "uses op %s:%s" % (node.domain, node.op_type)
        if node.op_type not in supported:
            return "uses op %s" % node.op_type
    if opset is not None and opset < 1:
        return "opset %s" % opset
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "BatchNormalization" and (attrs.get("training_mode", 0)
                                                     or len([o for o in node.output if o]) > 1):
            return "training-mode output"
        if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
            return "training-mode output"

    inits = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    for vi in inputs:
        if not vi.type.HasField("tensor_type"):
            return "input type %s" % vi.type.WhichOneof("value")
        if vi.type.tensor_type.elem_type not in INPUT_DTYPES:
            return "input dtype %s" % dtype_name(vi.type.tensor_type.elem_type)
    for vi in graph.output:
        if not vi.type.HasField("tensor_type"):
            return "output type %s" % vi.type.WhichOneof("value")
        if vi.type.tensor_type.elem_type not in OUTPUT_DTYPES:
            return "output dtype %s" % dtype_name(vi.type.tensor_type.elem_type)

    sets = sorted(glob.glob(os.path.join(test.path, "test_data_set_*")))
    if not sets:
        return "no test data"
    for s in sets:
        if len(glob.glob(os.path.join(s, "input_*.pb"))) != len(inputs):
            return "input data does not match the graph inputs"
    return None


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def pb_files(dirname, prefix):
    files = glob.glob(os.path.join(dirname, prefix + "_*.pb"))
    return sorted(files, key=lambda p: int(os.path.basename(p)[len(prefix) + 1:-3]))


def compare(got, want):
    """None if equal within tolerance, else a description of the difference."""
    if got.shape != want.shape:
        return "shape %s, expected %s" % (list(got.shape), list(want.shape))
    if want.dtype == np.bool_ or got.dtype == np.bool_:
        bad = np.count_nonzero(got.astype(bool) != want.astype(bool))
        return None if bad == 0 else "%d of %d booleans differ" % (bad, want.size)
    if got.size == 0:
        return None
    a = got.astype(np.float64)
    b = want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        err = np.abs(a - b)
        ok = (err <= ATOL + RTOL * np.abs(b)) | (np.isnan(a) & np.isnan(b)) | (a == b)
    if ok.all():
        return None
    bad = np.flatnonzero(~ok.ravel())
    worst = bad[np.nanargmax(np.where(np.isnan(err.ravel()[bad]), np.inf, err.ravel()[bad]))]
    return ("max abs error %.3g at flat index %d (got %.6g, expected %.6g; %d of %d elements "
            "out of tolerance)" % (err.ravel()[worst], worst, a.ravel()[worst], b.ravel()[worst],
                                   len(bad), want.size))


def run_test(test, cnn, timeout, threads):
    deadline = time.monotonic() + timeout
    model_path = os.path.join(test.path, "model.onnx")
    with tempfile.TemporaryDirectory(prefix="cnn-conformance-") as tmp:
        for ds in sorted(glob.glob(os.path.join(test.path, "test_data_set_*"))):
            values = [load_pb(p) for p in pb_files(ds, "input")]
            cmd = [cnn, "run", model_path]
            if threads:
                cmd += ["--threads", str(threads)]
            for k, v in enumerate(values):
                npy = os.path.join(tmp, "in%d.npy" % k)
                # Not ascontiguousarray: it turns 0-d arrays into 1-d ones.
                np.save(npy, np.require(v, requirements="C"))
                cmd += ["-i", npy]
            wants = [load_pb(p) for p in pb_files(ds, "output")]
            outs = [os.path.join(tmp, "out%d.npy" % k) for k in range(len(wants))]
            for o in outs:
                cmd += ["-o", o]
            remaining = deadline - time.monotonic()
            try:
                r = subprocess.run(cmd, capture_output=True, timeout=max(remaining, 1))
            except subprocess.TimeoutExpired:
                return "FAIL", "timeout after %g s" % timeout
            if r.returncode != 0:
                msg = r.stderr.decode("utf-8", "replace").strip().splitlines()
                if r.returncode < 0:
                    return "ERROR", "killed by signal %d %s" % (-r.returncode,
                                                                  msg[-1] if msg else "")
                return "ERROR", msg[0] if msg else "exit status %d" % r.returncode
            for k, (o, want) in enumerate(zip(outs, wants)):
                try:
                    got = np.load(o)
                except Exception as e:
                    return "FAIL", "output %d unreadable: %s" % (k, e)
                diff = compare(got, want)
                if diff:
                    return "FAIL", "%s output %d: %s" % (os.path.basename(ds), k, diff)
    return "PASS", ""


def read_expected(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cnn", default=os.environ.get("CNN"), help="the cnn tool (or env CNN)")
    ap.add_argument("--data", default=DATA, help="libonnx-testdata data directory")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected-pass.txt"))
    ap.add_argument("--update", action="store_true", help="rewrite the expected-pass list")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per test")
    ap.add_argument("--threads", type=int, default=0,
                    help="pass --threads N to cnn (default: its own default)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list passes and skips")
    ap.add_argument("patterns", nargs="*", help="fnmatch patterns on test names")
    args = ap.parse_args()

    if not args.cnn:
        ap.error("give the cnn tool with --cnn PATH or the CNN environment variable")
    if not os.access(args.cnn, os.X_OK):
        ap.error("%s is not an executable" % args.cnn)
    if not all(os.path.isdir(os.path.join(args.data, s)) for s in SUITES):
        print("conformance: skipped, test data not found in %s (install libonnx-testdata)"
              % args.data)
        return 77
    if args.update and args.patterns:
        ap.error("--update rewrites the whole list; do not combine it with patterns")

    tests = []
    for suite in SUITES:
        for path in sorted(glob.glob(os.path.join(args.data, suite, "test_*"))):
            t = Test(suite, path)
            if args.patterns and not any(fnmatch.fnmatch(t.name, p) for p in args.patterns):
                continue
            tests.append(t)

    # The ops the library runs, as it reports them: a new op needs no change here.
    supported = set(subprocess.run([args.cnn, "ops"], check=True, capture_output=True,
                                   text=True).stdout.split())
    start = time.monotonic()
    runnable = []
    for t in tests:
        reason = classify(t, supported)
        if reason:
            t.status, t.detail = "SKIP", reason
        else:
            runnable.append(t)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(run_test, t, args.cnn, args.timeout, args.threads): t
                   for t in runnable}
        for fut in concurrent.futures.as_completed(futures):
            t = futures[fut]
            try:
                t.status, t.detail = fut.result()
            except Exception as e:  # a runner bug should show, not hide the other results
                t.status, t.detail = "ERROR", "runner: %s: %s" % (type(e).__name__, e)

    for t in tests:
        if t.status in ("FAIL", "ERROR") or args.verbose:
            print("%-5s %s%s" % (t.status, t.name, ": " + t.detail if t.detail else ""))

    count = {s: sum(1 for t in tests if t.status == s) for s in ("PASS", "FAIL", "ERROR", "SKIP")}
    failed = [t for t in tests if t.status in ("FAIL", "ERROR")]
    if failed:
        by_op = {}
        for t in failed:
            key = "+".join(op for op in t.ops if op not in ("Constant", "Identity")) or "-"
            by_op.setdefault(key, []).append(t.name.split("/", 1)[1])
        print("\nfailures by op:")
        for key in sorted(by_op):
            print("  %s: %s" % (key, " ".join(sorted(by_op[key]))))

    reasons = {}
    for t in tests:
        if t.status == "SKIP":
            reasons[t.detail] = reasons.get(t.detail, 0) + 1
    if reasons:
        print("\nskipped:")
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            print("  %4d  %s" % (n, reason))

    status = 0
    passed = {t.name for t in tests if t.status == "PASS"}
    if args.update:
        with open(args.expected, "w") as f:
            f.write("# ONNX backend tests that must pass (tests/conformance/run-onnx-backend.py"
                    " --update)\n")
            for name in sorted(passed):
                f.write(name + "\n")
        print("\nwrote %d names to %s" % (len(passed), args.expected))
    else:
        expected = read_expected(args.expected)
        if expected is None:
            print("\nno %s yet: nothing gates this run (create it with --update)"
                  % args.expected)
        else:
            selected = {t.name: t for t in tests}
            if args.patterns:
                expected = {n for n in expected if n in selected}
            for name in sorted(expected):
                t = selected.get(name)
                if t is None:
                    print("REGRESSION %s: expected to pass but the test is missing" % name)
                    status = 1
                elif t.status != "PASS":
                    print("REGRESSION %s: expected to pass, got %s %s" % (name, t.status,
                                                                          t.detail))
                    status = 1
            new = sorted(passed - expected)
            for name in new:
                print("new pass (add to expected-pass.txt): %s" % name)

    print("\nconformance: %d passed, %d failed, %d skipped (%d FAIL, %d ERROR; %.0f s)"
          % (count["PASS"], count["FAIL"] + count["ERROR"], count["SKIP"], count["FAIL"],
             count["ERROR"], time.monotonic() - start))
    return status


if __name__ == "__main__":
    sys.exit(main())
