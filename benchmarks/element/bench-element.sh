#!/bin/sh
# The element's own cost per frame against the network's: conversion, scaling and
# normalisation of a 1280x720 I420 frame into MobileNetV2's 1x3x224x224 input, plus the
# output activation, top-k and meta, as a share of MobileNetV2's inference time on one
# thread. The requirement is at most 5%.
#
#   benchmarks/element/bench-element.sh [BUILD_DIR] [ROUNDS]
#
# Prints a Markdown table. Each figure is the best median over ROUNDS rounds, so a burst
# of noise on a shared machine does not decide it. Not a test: timings never gate CI.
# Needs python3-torch and python3-torchvision to export MobileNetV2 (via ../shared/anchors)
# unless MODEL points at an existing export.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ROUNDS=${2:-3}
ANCHORS=${CNN_ANCHORS:-$ROOT/../shared/anchors}
MODEL=${MODEL:-/tmp/cnn-bench-models/mobilenet_v2.onnx}
CNN=$BUILD/cnn-core/tool/cnn
BENCH=$BUILD/benchmarks/element/bench-element

for f in "$CNN" "$BENCH"; do
  [ -x "$f" ] || { echo "build first: $f is missing" >&2; exit 1; }
done
if [ ! -f "$MODEL" ]; then
  mkdir -p "$(dirname "$MODEL")"
  /usr/bin/python3 "$ANCHORS/gen-torchvision-onnx.py" "$(dirname "$MODEL")" mobilenet_v2 \
    >/dev/null
fi

# Only the build dir's plugin, in a throwaway registry.
REGISTRY=$(mktemp)
LOG=$(mktemp)
trap 'rm -f "$REGISTRY" "$LOG"' EXIT
export GST_PLUGIN_SYSTEM_PATH_1_0=
export GST_PLUGIN_PATH_1_0="$BUILD/gst-plugin"
export GST_REGISTRY_1_0="$REGISTRY"

for round in $(seq "$ROUNDS"); do
  "$CNN" bench "$MODEL" --threads 1 --iterations 50 --warmup 5 --json >>"$LOG"
  "$BENCH" --model "$MODEL" --width 1280 --height 720 --format I420 --iterations 2000 \
    --frames 50 --json >>"$LOG"
done

/usr/bin/python3 - "$LOG" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def best(key):
    return min(r[key] for r in rows if key in r)
infer = best("median_ms")
own = best("element_own_median_ms")
print("| 1280x720 I420 -> 1x3x224x224, one thread | ms per frame |")
print("|---|---|")
print(f"| preprocessing, frame in cache | {best('preprocess_median_ms'):.3f} |")
print(f"| preprocessing, frame evicted (as after inference) | "
      f"{best('preprocess_cold_median_ms'):.3f} |")
print(f"| preprocessing, plain reference path | {best('reference_median_ms'):.3f} |")
print(f"| element's own work (push time - inference time) | {own:.3f} |")
print(f"| MobileNetV2 inference inside the element | "
      f"{best('element_inference_median_ms'):.2f} |")
print(f"| MobileNetV2 inference, `cnn bench --threads 1` | {infer:.2f} |")
print(f"| **element's own work / inference** | **{100 * own / infer:.1f}%** (limit 5%) |")
PY
