#!/usr/bin/env python3
"""check-layers.py — the core's architecture, checked on the objects the build produced.

Reads which file defines and which file uses every symbol of the internal static library
(`nm`), then checks that
  - no source file calls, directly or through others, back into itself (no dependency circle);
  - each file calls only files of its own layer or lower ones (LAYERS below, bottom first).

    check-layers.py LIBCNN_CORE_INTERNAL.a
"""
import collections
import pathlib
import re
import subprocess
import sys

# Bottom first. A file may use symbols of files in its own layer or a lower one.
LAYERS = [
    ("common", [r"common\.c", r"cpu\.c"]),
    ("graph and runtime services", [r"graph\.c", r"threadpool\.c", r"blas\.c"]),
    ("kernels", [r"kernels/.*"]),
    ("ops", [r"ops/.*"]),
    ("graph stages", [r"onnx-loader\.c", r"onnx-skeleton\.c", r"onnx-tensor\.c",
                      r"passes\.c", r"fusion\.c", r"planner\.c", r"receptive-field\.c",
                      r"onnx\.pb-c\.c"]),
    ("model", [r"model\.c", r"prepare\.c", r"executor\.c", r"cam\.c"]),
    ("builder", [r"builder\.c"]),
]


def flat_name(member):
    """'libcnn-core-internal.a.p/src_ops_conv.c.o' -> 'ops_conv.c'."""
    name = member.rsplit("/", 1)[-1][:-2]
    if name.startswith("meson-generated_"):
        return name.rsplit("_", 1)[-1]
    return name[4:] if name.startswith("src_") else name


def layer_of(path):
    for rank, (_, patterns) in enumerate(LAYERS):
        if any(re.fullmatch(p, path) for p in patterns):
            return rank
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = subprocess.run(["nm", "-A", sys.argv[1]], check=True, capture_output=True,
                         text=True).stdout
    defined, used = {}, collections.defaultdict(set)
    members = {}
    for line in out.splitlines():
        m = re.match(r"[^:]+:([^:]+):\s*(?:[0-9a-f]+)?\s+(\w)\s+(\S+)$", line)
        if not m:
            continue
        member, kind, symbol = m.groups()
        members.setdefault(member, None)
        if kind == "U":
            used[member].add(symbol)
        elif kind.isupper():
            defined[symbol] = member

    # meson flattens "src/ops/conv.c" to "src_ops_conv.c": map members back to real paths.
    src = pathlib.Path(__file__).resolve().parents[2] / "cnn-core" / "src"
    real = {str(p.relative_to(src)).replace("/", "_"): str(p.relative_to(src))
            for p in src.rglob("*.c")}
    path = {}
    for member in members:
        flat = flat_name(member)
        path[member] = real.get(flat, flat)

    calls = collections.defaultdict(set)
    for member, symbols in used.items():
        for s in symbols:
            if s in defined and defined[s] != member:
                calls[path[member]].add((path[defined[s]], s))

    failures = 0
    for f in sorted(path.values()):
        if layer_of(f) is None:
            print(f"FAIL {f}: in no layer; add it to LAYERS in {sys.argv[0]}")
            failures += 1
    for f, targets in sorted(calls.items()):
        for t, s in sorted(targets):
            lf, lt = layer_of(f), layer_of(t)
            if lf is not None and lt is not None and lt > lf:
                print(f"FAIL {f} ({LAYERS[lf][0]}) calls up into {t} ({LAYERS[lt][0]}): {s}")
                failures += 1

    # Circles: depth-first search over the file graph.
    graph = {f: {t for t, _ in ts} for f, ts in calls.items()}
    state, stack = {}, []

    def visit(f):
        nonlocal failures
        state[f] = 1
        stack.append(f)
        for t in sorted(graph.get(f, ())):
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                print("FAIL dependency circle: " + " -> ".join(cycle))
                failures += 1
            elif t not in state:
                visit(t)
        stack.pop()
        state[f] = 2

    for f in sorted(graph):
        if f not in state:
            visit(f)

    print(f"{len(path)} files, {sum(len(v) for v in graph.values())} file-to-file uses checked")
    print("PASS" if failures == 0 else f"FAIL: {failures} problem(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
