#!/bin/sh
# Side by side with ONNX Runtime: exports the seven reference architectures, then times
# `cnn bench` and ONNX Runtime alternately (same model, same input size, batch 1) at 1 and 2
# threads, and prints a Markdown table of medians, ratios and cnn's peak RSS, in fp32 and (cnn
# only: ONNX Runtime's CPU provider has no bf16 path on x86) with --precision bf16.
#
#   benchmarks/perf/bench-vs-ort.sh [MODELS_DIR] [ROUNDS]
#
# BASELINE=path/to/an/older/cnn adds that build to every round, for before/after tables.
#
# Not a test: timings never gate CI. Needs python3-torch, python3-torchvision (exports) and
# npm (ONNX Runtime's CPU build from the onnxruntime-node package, via ../shared/anchors).
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANCHORS=${CNN_ANCHORS:-$ROOT/../shared/anchors}
DIR=${1:-/tmp/cnn-bench-models}
ROUNDS=${2:-3}
ITERATIONS=${ITERATIONS:-30}
CNN=${CNN:-$ROOT/build/cnn-core/tool/cnn}
BASELINE=${BASELINE:-}
MODELS=${MODELS:-"resnet18 resnet50 mobilenet_v2 squeezenet1_1 mobilenet_v3_small efficientnet_b0 googlenet"}

[ -x "$CNN" ] || { echo "build first: $CNN is missing" >&2; exit 1; }
mkdir -p "$DIR"
for m in $MODELS; do
  [ -f "$DIR/$m.onnx" ] || /usr/bin/python3 "$ANCHORS/gen-torchvision-onnx.py" "$DIR" "$m" >/dev/null
done
eval "$(sh "$ANCHORS/ort-setup.sh" "${ORT_DIR:-/tmp/ort-anchor}")"
export ORT_NODE_MODULES

# Timings mean nothing without the machine: name the CPU (and what cnn reports it ran).
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs online"
"$CNN" bench "$DIR/$(echo $MODELS | cut -d' ' -f1).onnx" --iterations 1 --warmup 0 2>/dev/null |
  grep -E '^(cpu|openblas|threads|precision)' || true

# One JSON line per measurement; the best median over ROUNDS alternating rounds is kept,
# so a burst of noise on this shared machine hits both engines alike.
LOG=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for m in $MODELS; do
    for t in 1 2; do
      "$CNN" bench "$DIR/$m.onnx" --threads "$t" --iterations "$ITERATIONS" --warmup 5 --json |
        sed "s/^{/{\"engine\":\"cnn\",\"name\":\"$m\",/" >>"$LOG"
      "$CNN" bench "$DIR/$m.onnx" --threads "$t" --iterations "$ITERATIONS" --warmup 5 --json \
          --precision bf16 2>/dev/null |
        sed "s/^{/{\"engine\":\"cnn-bf16\",\"name\":\"$m\",/" >>"$LOG"
      [ -z "$BASELINE" ] || "$BASELINE" bench "$DIR/$m.onnx" --threads "$t" \
          --iterations "$ITERATIONS" --warmup 5 --json |
        sed "s/^{/{\"engine\":\"baseline\",\"name\":\"$m\",/" >>"$LOG"
      node "$ANCHORS/ort-bench.js" "$DIR/$m.onnx" "$t" "$ITERATIONS" |
        sed "s/^{/{\"name\":\"$m\",/" >>"$LOG"
    done
  done
done

/usr/bin/python3 - "$LOG" "$MODELS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {}
for r in rows:
    key = (r.get("engine", "onnxruntime"), r["name"], int(r["threads"]))
    best[key] = min(best.get(key, float("inf")), r["median_ms"])
rss = {}
for r in rows:
    if r.get("engine") == "cnn":
        rss[r["name"]] = max(rss.get(r["name"], 0), r.get("peak_rss_kb", 0))
base = any(k[0] == "baseline" for k in best)
extra = " baseline/ORT 1T | baseline/ORT 2T |" if base else ""
bf16 = [r for r in rows if r.get("engine") == "cnn-bf16"]
bf16_ran = bf16[0].get("precision", "?") if bf16 else None   # an older cnn has no bf16
if bf16_ran:
    extra += f" cnn {bf16_ran} 1T ms | {bf16_ran}/ORT 1T | cnn {bf16_ran} 2T ms | {bf16_ran}/ORT 2T |"
def geomean(xs):
    p = 1.0
    for x in xs:
        p *= x
    return p ** (1.0 / len(xs)) if xs else float("nan")
print("| model | cnn 1T ms | ORT 1T ms | ratio 1T | cnn 2T ms | ORT 2T ms | ratio 2T | cnn peak RSS MB |"
      + extra)
print("|---|---|---|---|---|---|---|---|" + ("---|---|" if base else "")
      + ("---|---|---|---|" if bf16_ran else ""))
for m in sys.argv[2].split():
    c1, o1 = best[("cnn", m, 1)], best[("onnxruntime", m, 1)]
    c2, o2 = best[("cnn", m, 2)], best[("onnxruntime", m, 2)]
    cells = ""
    if base:
        cells = f" {best[('baseline', m, 1)] / o1:.2f} | {best[('baseline', m, 2)] / o2:.2f} |"
    if bf16_ran:
        b1, b2 = best[("cnn-bf16", m, 1)], best[("cnn-bf16", m, 2)]
        cells += f" {b1:.2f} | {b1 / o1:.2f} | {b2:.2f} | {b2 / o2:.2f} |"
    print(f"| {m} | {c1:.2f} | {o1:.2f} | {c1 / o1:.2f} | {c2:.2f} | {o2:.2f} | {c2 / o2:.2f} "
          f"| {rss.get(m, 0) / 1024:.0f} |" + cells)
ms = sys.argv[2].split()
g = [geomean([best[("cnn", m, t)] / best[("onnxruntime", m, t)] for m in ms]) for t in (1, 2)]
gbase = [geomean([best[("baseline", m, t)] / best[("onnxruntime", m, t)] for m in ms])
         for t in (1, 2)] if base else None
row = f"| geometric mean | | | {g[0]:.3f} | | | {g[1]:.3f} | |"
if base:
    row += f" {gbase[0]:.3f} | {gbase[1]:.3f} |"
if bf16_ran:
    gb = [geomean([best[("cnn-bf16", m, t)] / best[("onnxruntime", m, t)] for m in ms])
          for t in (1, 2)]
    row += f" | {gb[0]:.3f} | | {gb[1]:.3f} |"
print(row)
PY
rm -f "$LOG"
