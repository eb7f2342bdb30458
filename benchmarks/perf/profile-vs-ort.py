#!/usr/bin/python3
"""Layer by layer against ONNX Runtime: where a network's time goes in cnn and in ORT.

    benchmarks/perf/profile-vs-ort.py MODEL.onnx [--threads N] [--runs K] [--precision P]

Runs `cnn bench --profile --json` and ORT's own profiler (ort-profile.js) on the same model
and input, matches ORT's nodes to cnn's layers through the ONNX graph, and prints a Markdown
table: each cnn layer with both times and their ratio, then the totals per cnn op.

ORT names a node after its own fusions (Conv+Relu is named after Relu's output, NCHWc
rewrites add "_nchwc"), so each ORT node is traced back through the ONNX graph, along first
inputs and through the ops both engines fuse into a conv, to the node cnn names its layer
after. ORT's layout conversions (ReorderInput/ReorderOutput) have no cnn layer and are listed
on their own. Not a test: timings never gate CI. Needs python3-onnx and ../shared/anchors'
ORT (`sh ../shared/anchors/ort-setup.sh /tmp/ort-anchor`).
"""
import argparse
import json
import os
import subprocess
import sys

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Ops that either engine may fold into the layer that produces their first input.
FOLDED = {"Relu", "Clip", "Add", "Sum", "Sigmoid", "Mul", "HardSigmoid", "HardSwish",
          "LeakyRelu", "BatchNormalization", "Identity", "Dropout"}
MAX_HOPS = 4


def cnn_layers(args):
    cmd = [args.cnn, "bench", args.model, "--threads", str(args.threads), "--iterations",
           str(args.runs), "--warmup", "5", "--json", "--profile", "--precision", args.precision]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ort_nodes(args):
    env = dict(os.environ, ORT_NODE_MODULES=args.ort_modules)
    script = os.path.join(ROOT, "benchmarks", "perf", "ort-profile.js")
    out = subprocess.run(["node", script, args.model, str(args.threads), str(args.runs)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def layer_of(name, nodes_by_name, producer, layers):
    """The cnn layer an ORT node belongs to, or None."""
    base = name[:-len("_nchwc")] if name.endswith("_nchwc") else name
    node = nodes_by_name.get(base) or producer.get(base)
    for _ in range(MAX_HOPS):
        if node is None:
            return None
        if node.name in layers:
            return node.name
        if node.op_type not in FOLDED or not node.input:
            return None
        node = producer.get(node.input[0])
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--cnn", default=os.path.join(ROOT, "build", "cnn-core", "tool", "cnn"))
    p.add_argument("--ort-modules", default=os.environ.get("ORT_NODE_MODULES",
                                                           "/tmp/ort-anchor/node_modules"))
    args = p.parse_args()

    graph = onnx.load(args.model, load_external_data=False).graph
    nodes_by_name = {n.name: n for n in graph.node if n.name}
    producer = {out: n for n in graph.node for out in n.output}

    ours = cnn_layers(args)
    order = [layer["name"] for layer in ours["layers"]]
    op_of = {layer["name"]: layer["op"] for layer in ours["layers"]}
    cnn_ms = {layer["name"]: layer["ms"] for layer in ours["layers"]}
    ort_ms, unmatched = {}, {}
    for n in ort_nodes(args):
        layer = layer_of(n["name"], nodes_by_name, producer, cnn_ms)
        if layer is None:
            unmatched[n["op"]] = unmatched.get(n["op"], 0.0) + n["ms"]
        else:
            ort_ms[layer] = ort_ms.get(layer, 0.0) + n["ms"]

    print(f"model: {args.model}")
    print(f"cpu: {ours['cpu']}, openblas core: {ours['openblas_core']}")
    print(f"threads: {args.threads}, cnn precision: {ours['precision']}, runs: {args.runs}")
    print(f"whole run, median: cnn {ours['median_ms']:.2f} ms\n")
    print("| # | layer | cnn op | cnn ms | ORT ms | cnn/ORT |")
    print("|---|---|---|---|---|---|")
    for i, name in enumerate(order):
        o = ort_ms.get(name)
        ratio = f"{cnn_ms[name] / o:.2f}" if o else "-"
        ort = f"{o:.3f}" if o is not None else "-"
        print(f"| {i} | {name} | {op_of[name]} | {cnn_ms[name]:.3f} | {ort} | {ratio} |")

    print("\n| cnn op | layers | cnn ms | ORT ms | cnn/ORT |")
    print("|---|---|---|---|---|")
    kinds = {}
    for name in order:
        k = kinds.setdefault(op_of[name], [0, 0.0, 0.0])
        k[0] += 1
        k[1] += cnn_ms[name]
        k[2] += ort_ms.get(name, 0.0)
    for op, (count, c, o) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        print(f"| {op} | {count} | {c:.3f} | {o:.3f} | {c / o:.2f} |" if o
              else f"| {op} | {count} | {c:.3f} | 0 | - |")
    for op, ms in sorted(unmatched.items(), key=lambda kv: -kv[1]):
        print(f"| (ORT only) {op} | | 0 | {ms:.3f} | - |")
    c_total = sum(cnn_ms.values())
    o_total = sum(ort_ms.values()) + sum(unmatched.values())
    print(f"| total of layers | {len(order)} | {c_total:.3f} | {o_total:.3f} | "
          f"{c_total / o_total:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
