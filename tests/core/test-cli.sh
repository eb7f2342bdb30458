#!/bin/bash
# test-cli.sh — the `cnn` tool end to end on the tiny models in tests/models/.
#
#     tests/core/test-cli.sh BUILD/cnn-core/tool/cnn tests/models
#
# Checks receptive fields and jumps from `cnn inspect --json`, `cnn run` against the numpy
# references made by make-test-models.py, bench's JSON line and the threads it reports, and
# that bad input gives exit status 1 (2 for usage errors) with a message naming the file, op
# or option at fault.
set -u

CNN=${1:?usage: test-cli.sh CNN MODELS_DIR}
MODELS=${2:?usage: test-cli.sh CNN MODELS_DIR}
PYTHON=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cnn-test-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

fail () {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# expect STATUS PATTERN CMD...: CMD exits with STATUS and its stderr matches PATTERN (ERE).
expect () {
  local want=$1 pattern=$2 status
  shift 2
  checks=$((checks + 1))
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  status=$?
  if [ "$status" -ne "$want" ]; then
    fail "'$*' exited with $status, expected $want; stderr: $(head -c 500 "$TMP/stderr")"
  elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$TMP/stderr"; then
    fail "'$*': stderr does not match /$pattern/: $(head -c 500 "$TMP/stderr")"
  elif [ "$want" -eq 1 ] && ! grep -q '^cnn: ' "$TMP/stderr"; then
    fail "'$*': error message lacks the 'cnn: ' prefix: $(head -c 500 "$TMP/stderr")"
  fi
}

# check_py SCRIPT ARGS...: a Python assertion script; its output explains a failure.
check_py () {
  local script=$1
  shift
  checks=$((checks + 1))
  if ! "$PYTHON" -c "$script" "$@" >"$TMP/py" 2>&1; then
    fail "$(cat "$TMP/py")"
  fi
}

if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  echo "SKIP: $PYTHON with numpy is needed"
  exit 77
fi

# ---- usage ----------------------------------------------------------------------------------
expect 0 '' "$CNN" --help
expect 0 '' "$CNN" help run
expect 0 '' "$CNN" bench --help
expect 2 'Usage' "$CNN"
expect 2 "unknown command 'frobnicate'" "$CNN" frobnicate
expect 2 'missing MODEL' "$CNN" inspect
expect 2 '\-\-iterations' "$CNN" bench "$MODELS/classifier.onnx" --iterations abc
expect 2 '\-\-threads' "$CNN" inspect "$MODELS/classifier.onnx" --threads -3
expect 2 '\-\-shape' "$CNN" inspect "$MODELS/classifier.onnx" --shape input=1,x,16,16
expect 2 "unknown option '--bogus'" "$CNN" inspect "$MODELS/classifier.onnx" --bogus
expect 2 "unknown option '-i'" "$CNN" inspect "$MODELS/classifier.onnx" -i x.npy
expect 2 'missing -o' "$CNN" run "$MODELS/classifier.onnx" -i x.npy

# ---- inspect: receptive fields, jumps, totals ------------------------------------------------
expect 0 '' "$CNN" inspect "$MODELS/conv3x3-stack.onnx" --json
cp "$TMP/stdout" "$TMP/stack.json"
check_py '
import json, sys
d = json.load(open(sys.argv[1]))
convs = [l for l in d["layers"] if l["op"].startswith("Conv")]
assert len(convs) == 3, "expected 3 conv layers, got %r" % [l["op"] for l in d["layers"]]
rf = [c["receptive_field"] for c in convs]
assert rf[-1] == [7, 7], "last conv receptive field %r, expected [7, 7]" % rf[-1]
assert convs[-1]["jump"] == [1, 1], "last conv jump %r, expected [1, 1]" % convs[-1]["jump"]
assert [r[0] for r in rf] == [3, 5, 7], "receptive fields %r" % rf
assert convs[-1]["output_shape"] == [1, 3, 12, 12], "output shape %r" % convs[-1]["output_shape"]
# 2*4*9+4 + 4*4*9+4 + 4*3*9+3 weights and biases; MACs = output elements * C_in * 9.
assert d["totals"]["params"] == 335, "params %r, expected 335" % d["totals"]["params"]
assert d["totals"]["macs"] == 46656, "MACs %r, expected 46656" % d["totals"]["macs"]
assert d["totals"]["arena_bytes"] > 0, "no arena planned"
assert d["inputs"][0]["name"] == "input" and d["inputs"][0]["shape"] == [1, 2, 12, 12], d["inputs"]
assert d["outputs"][0]["dtype"] == "float32", d["outputs"]
' "$TMP/stack.json"

expect 0 '' "$CNN" inspect "$MODELS/conv3x3-stride2.onnx" --json
cp "$TMP/stdout" "$TMP/stride2.json"
check_py '
import json, sys
d = json.load(open(sys.argv[1]))
convs = [l for l in d["layers"] if l["op"].startswith("Conv")]
rf = [c["receptive_field"] for c in convs]
jump = [c["jump"] for c in convs]
assert rf == [[3, 3], [7, 7], [15, 15]], "stride-2 receptive fields %r, expected 3, 7, 15" % rf
assert jump == [[2, 2], [4, 4], [8, 8]], "stride-2 jumps %r, expected 2, 4, 8" % jump
assert convs[-1]["output_shape"] == [1, 3, 4, 4], "output shape %r" % convs[-1]["output_shape"]
' "$TMP/stride2.json"

expect 0 '' "$CNN" inspect "$MODELS/conv3x3-stack.onnx"
checks=$((checks + 1))
grep -q "7×7" "$TMP/stdout" || fail "inspect table lacks 7×7: $(cat "$TMP/stdout")"

# Dynamic batch defaults to 1; metadata is reported; --shape sets the batch.
expect 0 '' "$CNN" inspect "$MODELS/classifier.onnx" --json
cp "$TMP/stdout" "$TMP/classifier.json"
expect 0 '' "$CNN" inspect "$MODELS/classifier.onnx" --json --shape input=2,3,16,16
cp "$TMP/stdout" "$TMP/classifier32.json"
check_py '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["inputs"][0]["shape"] == [1, 3, 16, 16], "input shape %r" % d["inputs"][0]["shape"]
assert d["outputs"][0]["shape"] == [1, 5], "output shape %r" % d["outputs"][0]["shape"]
assert d["metadata"].get("cnn.model_name") == "classifier", "metadata %r" % d["metadata"]
assert d["metadata"].get("cnn.labels") == "a\nb\nc\nd\ne", "labels %r" % d["metadata"]
ops = [l["op"] for l in d["layers"]]
assert not any(o.startswith("BatchNormalization") for o in ops), "BN not folded: %r" % ops
d = json.load(open(sys.argv[2]))
assert d["inputs"][0]["shape"] == [2, 3, 16, 16], "--shape ignored: %r" % d["inputs"][0]["shape"]
assert d["outputs"][0]["shape"] == [2, 5], "output shape with --shape %r" % d["outputs"][0]["shape"]
' "$TMP/classifier.json" "$TMP/classifier32.json"

# Names that need escaping come back intact through the JSON.
expect 0 '' "$CNN" inspect "$MODELS/odd-names.onnx" --json
cp "$TMP/stdout" "$TMP/odd.json"
check_py '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
names = d["inputs"][0]["name"], d["outputs"][0]["name"]
assert names == ("in\"put\\ \u00fcber\ttab", "out\nput \u2192 \U0001f600"), "names %r" % (names,)
assert d["metadata"]["cnn.model_name"] == "odd \"names\"", d["metadata"]
' "$TMP/odd.json"
expect 0 '' "$CNN" inspect "$MODELS/odd-names.onnx"

# ---- run: outputs match numpy -----------------------------------------------------------------
for m in conv3x3-stack conv3x3-stride2 winograd-shared classifier se-block se-shared-gate \
    se-shared-product se-stride2; do
  for threads in 1 2; do
    expect 0 '' "$CNN" run "$MODELS/$m.onnx" -i "$MODELS/$m-input.npy" -o "$TMP/$m-$threads.npy" \
      --threads $threads
    check_py '
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
assert got.dtype == np.float32, "%s: dtype %s" % (sys.argv[1], got.dtype)
assert got.shape == want.shape, "%s: shape %r, expected %r" % (sys.argv[1], got.shape, want.shape)
err = np.abs(got - want).max()
assert np.allclose(got, want, rtol=1e-4, atol=1e-5), "%s: max error %g" % (sys.argv[1], err)
' "$TMP/$m-$threads.npy" "$MODELS/$m-expected.npy"
  done
done

# ---- bench ------------------------------------------------------------------------------------
expect 0 '' "$CNN" bench "$MODELS/classifier.onnx" --iterations 3 --warmup 1 --json --threads 1
cp "$TMP/stdout" "$TMP/bench.json"
check_py '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "bench --json printed %d lines" % len(lines)
d = json.loads(lines[0])
for k in ("model", "threads", "median_ms", "min_ms", "peak_rss_kb", "cpu", "openblas_core"):
    assert k in d, "bench JSON lacks %r: %r" % (k, d)
assert d["threads"] == 1 and 0 <= d["min_ms"] <= d["median_ms"] and d["peak_rss_kb"] > 0, d
# What ran: the CPU with its family and model, and the OpenBLAS kernels the run loaded.
assert "family" in d["cpu"] and d["openblas_core"] not in ("", "not loaded", "unknown"), d
' "$TMP/bench.json"
# bench reports the threads run used: 1 without --threads (the core's default), one per online
# CPU for --threads 0 (the core caps that at 64), else the number given.
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
[ "$cpus" -gt 64 ] && cpus=64
# bench_threads WANT [OPTION]...: `cnn bench --json` with the options reports "threads":WANT.
bench_threads () {
  local want=$1
  shift
  expect 0 '' "$CNN" bench "$MODELS/classifier.onnx" --iterations 1 --warmup 0 --json "$@"
  check_py '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["threads"] == int(sys.argv[2]), "bench --json %s reports threads %r, expected %s" % (
    sys.argv[3] or "(no --threads)", d["threads"], sys.argv[2])
' "$TMP/stdout" "$want" "$*"
}
bench_threads 1
bench_threads "$cpus" --threads 0
bench_threads 3 --threads 3
expect 0 '' "$CNN" bench "$MODELS/classifier.onnx" --iterations 1 --warmup 0
checks=$((checks + 1))
grep -q '^threads: 1,' "$TMP/stdout" || fail "bench without --threads: $(grep threads "$TMP/stdout")"
checks=$((checks + 1))
grep -q '^cpu: .*family' "$TMP/stdout" && grep -q '^openblas core: ..' "$TMP/stdout" ||
  fail "bench does not name the CPU and OpenBLAS core: $(head -3 "$TMP/stdout")"
# --precision bf16 runs bf16 on AVX512_BF16 CPUs; elsewhere fp32, with a warning. Both bench
# and run report/accept it; anything but fp32 and bf16 is a usage error.
expect 2 'precision.*fp32 or bf16' "$CNN" bench "$MODELS/classifier.onnx" --precision fp16
if grep -qw avx512_bf16 /proc/cpuinfo; then bf16_runs=bf16; bf16_warns=''; else
  bf16_runs=fp32; bf16_warns='warning: bf16 needs AVX512_BF16'; fi
expect 0 "$bf16_warns" "$CNN" bench "$MODELS/classifier.onnx" --iterations 1 --warmup 0 --json \
    --precision bf16
check_py '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["precision"] == sys.argv[2], "bench --precision bf16 reports %r, expected %r" % (
    d["precision"], sys.argv[2])
' "$TMP/stdout" "$bf16_runs"
expect 0 "$bf16_warns" "$CNN" run "$MODELS/classifier.onnx" --precision bf16 \
    -i "$MODELS/classifier-input.npy" -o "$TMP/bf16.npy"
# bfloat16 keeps 8 significant bits: the logits stay within 2^-6 of their range, same top-1.
check_py '
import numpy as np, sys
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(got - want).max() / np.abs(want).max()
assert err <= 2.0 ** -6 and (got.argmax(-1) == want.argmax(-1)).all(), (err, got, want)
' "$TMP/bf16.npy" "$MODELS/classifier-expected.npy"
expect 0 '' "$CNN" bench "$MODELS/conv3x3-stack.onnx" --iterations 2 --warmup 0 --profile
checks=$((checks + 1))
grep -q 'per op type' "$TMP/stdout" || fail "bench --profile printed no per-op totals"

# ---- errors name what is wrong ----------------------------------------------------------------
expect 1 '/nonexistent/model\.onnx' "$CNN" inspect /nonexistent/model.onnx
head -c 1000 "$MODELS/classifier.onnx" >"$TMP/truncated.onnx"
expect 1 'truncated\.onnx' "$CNN" inspect "$TMP/truncated.onnx"
: >"$TMP/empty.onnx"
expect 1 'empty\.onnx' "$CNN" run "$TMP/empty.onnx" -i "$MODELS/classifier-input.npy" \
  -o "$TMP/o.npy"
expect 1 'LSTM' "$CNN" inspect "$MODELS/unsupported-lstm.onnx"
expect 1 'Foo' "$CNN" inspect "$MODELS/unknown-op.onnx"
expect 1 "'nope'" "$CNN" inspect "$MODELS/classifier.onnx" --shape nope=1,3,16,16

"$PYTHON" - "$TMP" <<'EOF'
import sys, numpy as np
t = sys.argv[1]
np.save(t + "/channels.npy", np.zeros((1, 4, 16, 16), np.float32))
np.save(t + "/rank.npy", np.zeros((3, 16, 16), np.float32))
np.save(t + "/int64.npy", np.zeros((1, 3, 16, 16), np.int64))
np.save(t + "/float64.npy", np.zeros((1, 3, 16, 16), np.float64))
np.save(t + "/fortran.npy", np.asfortranarray(np.zeros((1, 3, 16, 16), np.float32)))
raw = open(t + "/channels.npy", "rb").read()
open(t + "/short.npy", "wb").write(raw[:-10])
open(t + "/garbage.npy", "wb").write(b"this is not a numpy file at all")
EOF
run_classifier () {
  "$CNN" run "$MODELS/classifier.onnx" -i "$1" -o "$TMP/out.npy"
}
expect 1 'channels\.npy|conv1|input' run_classifier "$TMP/channels.npy"
expect 1 'rank\.npy|input' run_classifier "$TMP/rank.npy"
expect 1 'int64\.npy.*int64' run_classifier "$TMP/int64.npy"
expect 1 'float64\.npy.*<f8' run_classifier "$TMP/float64.npy"
expect 1 'fortran\.npy.*Fortran' run_classifier "$TMP/fortran.npy"
expect 1 'short\.npy' run_classifier "$TMP/short.npy"
expect 1 'garbage\.npy' run_classifier "$TMP/garbage.npy"
expect 1 'missing\.npy' run_classifier "$TMP/missing.npy"
expect 1 '1 input.* 2 -i' "$CNN" run "$MODELS/classifier.onnx" -i "$MODELS/classifier-input.npy" \
  -i "$MODELS/classifier-input.npy" -o "$TMP/out.npy"
expect 1 '/nonexistent/out\.npy' "$CNN" run "$MODELS/classifier.onnx" \
  -i "$MODELS/classifier-input.npy" -o /nonexistent/out.npy

# --cam CLASS FILE: the class activation map of classifier.onnx (conv → pool → Gemm); the
# maps' means follow the logits (mean of map c = logit c - bias c, the bias read from the
# file with onnx when it is there, else only the shape is checked).
for c in 0 4; do
  expect 0 '' "$CNN" run "$MODELS/classifier.onnx" -i "$MODELS/classifier-input.npy" \
    -o "$TMP/logits.npy" --cam $c "$TMP/cam$c.npy"
done
check_py '
import sys, numpy as np
logits = np.load(sys.argv[1]).ravel()
maps = [np.load(sys.argv[2]), np.load(sys.argv[3])]
assert all(m.shape == (8, 8) and m.dtype == np.float32 for m in maps), [m.shape for m in maps]
try:
    import onnx
    from onnx import numpy_helper
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(sys.argv[4]).graph.initializer}
    fc = [n for n in onnx.load(sys.argv[4]).graph.node if n.op_type == "Gemm"][0]
    bias = init[fc.input[2]]
    for m, c in zip(maps, (0, 4)):
        assert abs(m.mean() + bias[c] - logits[c]) < 1e-4, (c, m.mean(), bias[c], logits[c])
except ImportError:
    pass
' "$TMP/logits.npy" "$TMP/cam0.npy" "$TMP/cam4.npy" "$MODELS/classifier.onnx"
# --cam CLASS FILE.png: a valid PNG (signature, chunk CRCs, zlib stream) of the input
# scaled to 224 pixels, with the heatmap where the map is hottest.
top=$("$PYTHON" -c 'import sys, numpy; print(numpy.load(sys.argv[1]).argmax())' \
  "$TMP/logits.npy")
expect 0 '' "$CNN" run "$MODELS/classifier.onnx" -i "$MODELS/classifier-input.npy" \
  -o "$TMP/logits.npy" --cam "$top" "$TMP/top.png"
expect 0 '' "$CNN" run "$MODELS/classifier.onnx" -i "$MODELS/classifier-input.npy" \
  -o "$TMP/logits.npy" --cam "$top" "$TMP/top.npy"
check_py '
import struct, sys, zlib, numpy as np
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", d[:8]
i, chunks, idat = 8, [], b""
while i < len(d):
    n = struct.unpack(">I", d[i:i + 4])[0]
    t, c = d[i + 4:i + 8], d[i + 8:i + 8 + n]
    assert zlib.crc32(t + c) & 0xffffffff == struct.unpack(">I", d[i + 8 + n:i + 12 + n])[0], t
    chunks.append(t)
    idat += c if t == b"IDAT" else b""
    i += 12 + n
assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
w, h, depth, colour = struct.unpack(">IIBB", d[16:26])
assert (w, h, depth, colour) == (224, 224, 8, 2), (w, h, depth, colour)
rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 3 * w)
assert (rows[:, 0] == 0).all()
rgb = rows[:, 1:].reshape(h, w, 3).astype(int)
m = np.load(sys.argv[2])
assert m.max() > 0, "the top class has no positive evidence"
hot = np.unravel_index(m.argmax(), m.shape)
y, x = (int((hot[0] + 0.5) * h / m.shape[0]), int((hot[1] + 0.5) * w / m.shape[1]))
r, g, b = rgb[y, x]
assert r > b + 60, ("the hottest cell is not red", rgb[y, x])
' "$TMP/top.png" "$TMP/top.npy"
expect 1 'class 5 is not in 0\.\.4' "$CNN" run "$MODELS/classifier.onnx" \
  -i "$MODELS/classifier-input.npy" -o "$TMP/logits.npy" --cam 5 "$TMP/cam.npy"
expect 1 'conv3x3-stack\.onnx: no class activation map' "$CNN" run \
  "$MODELS/conv3x3-stack.onnx" -i "$MODELS/conv3x3-stack-input.npy" -o "$TMP/out.npy" \
  --cam 0 "$TMP/cam.npy"
expect 2 '\-\-cam needs a class and a file' "$CNN" run "$MODELS/classifier.onnx" \
  -i "$MODELS/classifier-input.npy" -o "$TMP/logits.npy" --cam 1
expect 2 '\-\-cam' "$CNN" run "$MODELS/classifier.onnx" \
  -i "$MODELS/classifier-input.npy" -o "$TMP/logits.npy" --cam x "$TMP/cam.npy"

# `cnn ops` lists the library's op table, one ONNX op type a line.
checks=$((checks + 1))
ops=$("$CNN" ops)
for op in Conv MaxPool GlobalAveragePool Gemm Relu Softmax LRN; do
  grep -qx "$op" <<<"$ops" || fail "'cnn ops' does not list $op"
done
[ "$(sort <<<"$ops" | uniq -d)" = "" ] || fail "'cnn ops' lists an op twice"
expect 2 'no arguments' "$CNN" ops extra

# ---- inspect: how the cnnclassify element reads a model (issue 11) -------------------------
GST_MODELS="$MODELS/../gst/models"
# expect_stdout PATTERN: the last command's stdout matches PATTERN (ERE).
expect_stdout () {
  checks=$((checks + 1))
  grep -Eq -- "$1" "$TMP/stdout" || fail "stdout lacks /$1/: $(head -c 800 "$TMP/stdout")"
}
expect 0 '' "$CNN" inspect "$GST_MODELS/color-opset6.onnx"
expect_stdout '^opset: 6$'
expect_stdout '^element input: NCHW float32$'
expect 0 '' "$CNN" inspect "$GST_MODELS/color-nhwc.onnx"
expect_stdout '^element input: NHWC float32$'
expect 0 '' "$CNN" inspect "$GST_MODELS/color-uint8.onnx"
expect_stdout '^element input: NCHW uint8'
expect 0 '' "$CNN" inspect "$GST_MODELS/color-nhwc.onnx" --json
check_py 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["opset"] == 13 and d["element_input"] == {"layout": "NHWC", "dtype": "float32"}, d
' "$TMP/stdout"
expect 0 '' "$CNN" inspect "$GST_MODELS/bad-input-rank2.onnx" --json
check_py 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["element_input"] is None, d
' "$TMP/stdout"
expect 0 '' "$CNN" inspect "$GST_MODELS/bad-input-rank2.onnx"
expect_stdout '^element input: not an image'
# A dynamic model: inspect no longer needs --shape; it lists the sizes that prepare and
# says that global pooling makes the output independent of them.
expect 0 '' "$CNN" inspect "$GST_MODELS/color-dynamic.onnx"
expect_stdout 'prepares at \(WxH\):.* 224x224 ok.* 320x48 ok'
expect_stdout 'does not depend on the size'
expect_stdout 'height=224, width=224'
# Integer inputs given to `cnn run` are values the core folds (Reshape's shape as an input).
RESHAPE=/usr/share/libonnx-testdata/data/node/test_reshape_reordered_all_dims
"$PYTHON" -c "import numpy as np; np.save('$TMP/data.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4)); np.save('$TMP/shape.npy', np.array([4, -1, 2], dtype=np.int64))"
expect 0 '' "$CNN" run "$RESHAPE/model.onnx" -i "$TMP/data.npy" -i "$TMP/shape.npy" -o "$TMP/reshaped.npy"
check_py 'import sys, numpy as np
y = np.load(sys.argv[1])
assert y.shape == (4, 3, 2) and (y.ravel() == np.arange(24)).all(), y.shape
' "$TMP/reshaped.npy"

echo "test-cli: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
