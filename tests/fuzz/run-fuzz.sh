#!/bin/sh
# Fuzzes the model loader and executor with libFuzzer on one core.
#
#   tests/fuzz/run-fuzz.sh SECONDS        replay tests/fuzz/regressions/, then fuzz SECONDS
#   tests/fuzz/run-fuzz.sh --replay       only replay tests/fuzz/regressions/ (with the gcc
#                                         replay driver when clang has no libFuzzer)
#
# Builds with build-fuzzers.sh into $CNN_FUZZ_BUILD_DIR (default tests/fuzz/build), seeds
# from the ONNX backend test models, tests/models and tests/fuzz/seeds (make-seeds.py), and
# keeps the growing corpus there.
# New crash reproducers are written to $CNN_FUZZ_ARTIFACTS (default tests/fuzz/regressions/):
# keep the small ones, they replay on every test run. Exits non-zero on any crash, leak,
# timeout or out-of-memory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${CNN_FUZZ_BUILD_DIR:-$here/build}
artifacts=${CNN_FUZZ_ARTIFACTS:-$here/regressions}
testdata=${CNN_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
max_seed=102400

usage () {
  echo "Usage: $0 SECONDS | --replay" >&2
  exit 2
}

[ $# -eq 1 ] || usage
case $1 in
  --replay) seconds=0 ;;
  *[!0-9]*|'') usage ;;
  *) seconds=$1 ;;
esac

mkdir -p "$build" "$artifacts"
build=$(cd "$build" && pwd)
artifacts=$(cd "$artifacts" && pwd)

# One core: no OpenBLAS threads; fail hard on any sanitizer report.
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}print_stacktrace=1:halt_on_error=1"

if [ "$seconds" -eq 0 ] && ! "$here/build-fuzzers.sh" --check; then
  echo "run-fuzz: clang with libFuzzer not found; replaying with the gcc driver"
  CNN_FUZZ_TARGETS=replay "$here/build-fuzzers.sh" "$build"
  if ! "$build/fuzz-model-replay" "$artifacts" > "$build/replay.log" 2>&1; then
    tail -n 60 "$build/replay.log"
    echo "run-fuzz: FAILED: a regression input crashes again (log: $build/replay.log)"
    exit 1
  fi
  echo "run-fuzz: all regressions pass"
  exit 0
fi

CNN_FUZZ_TARGETS=fuzz-model "$here/build-fuzzers.sh" "$build"
fuzzer=$build/fuzz-model

limits="-timeout=10 -rss_limit_mb=2048 -max_len=$max_seed"

# Regressions first: each file must now pass. One process per file, so all failures show.
# (CNN_FUZZ_SKIP_REPLAY=1: the meson smoke test, whose sibling test does the replay.)
set -- "$artifacts"/*
if [ -e "$1" ] && [ -z "${CNN_FUZZ_SKIP_REPLAY:-}" ]; then
  echo "run-fuzz: replaying $# file(s) from $artifacts"
  : > "$build/replay.log"
  failed=0
  for f in "$@"; do
    # shellcheck disable=SC2086
    if ! "$fuzzer" $limits "$f" > "$build/replay-one.log" 2>&1; then
      failed=$((failed + 1))
      echo "run-fuzz: FAIL $f"
      grep -E 'ERROR|runtime error|fuzz-model:|^    #[0-9] ' "$build/replay-one.log" | head -n 12
    fi
    cat "$build/replay-one.log" >> "$build/replay.log"
  done
  if [ "$failed" -gt 0 ]; then
    echo "run-fuzz: FAILED: $failed regression input(s) crash again (log: $build/replay.log)"
    exit 1
  fi
  echo "run-fuzz: all regressions pass"
fi
[ "$seconds" -gt 0 ] || exit 0

# Seed corpus: the small ONNX backend test models and our own test models (built once).
seeds=$build/seeds
if [ ! -f "$seeds/.done" ]; then
  rm -rf "$seeds"
  mkdir -p "$seeds"
  for kind in node pytorch-converted simple; do
    for m in "$testdata/$kind"/*/model.onnx; do
      [ -f "$m" ] || continue
      [ "$(wc -c < "$m")" -lt "$max_seed" ] || continue
      cp "$m" "$seeds/$kind-$(basename "$(dirname "$m")").onnx"
    done
  done
  for m in "$top"/tests/models/*.onnx "$top"/models/digits/*.onnx; do
    [ -f "$m" ] || continue
    [ "$(wc -c < "$m")" -lt "$max_seed" ] || continue
    cp "$m" "$seeds/local-$(basename "$m")"
  done
  touch "$seeds/.done"
fi
corpus=$build/corpus
mkdir -p "$corpus"
echo "run-fuzz: $(ls "$seeds" "$here/seeds" | grep -c onnx) seeds, $(ls "$corpus" | wc -l) corpus files," \
  "fuzzing for $seconds s (log: $build/fuzz.log)"

status=0
# shellcheck disable=SC2086
# A fixed seed (CNN_FUZZ_SEED, default 1) makes the CI smoke run explore the same inputs in the
# same order every time; long campaigns pass CNN_FUZZ_SEED=0 for a random one.
"$fuzzer" $limits -seed="${CNN_FUZZ_SEED:-1}" -max_total_time="$seconds" -print_final_stats=1 \
  -dict="$here/onnx.dict" -artifact_prefix="$artifacts/" \
  "$corpus" "$seeds" "$here/seeds" > "$build/fuzz.log" 2>&1 || status=$?

# The last progress line (execs, cov, ft, corpus) and libFuzzer's final stats.
grep -E '^#[0-9]+' "$build/fuzz.log" | tail -n 1 || true
grep -E '^stat::' "$build/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  grep -n -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' \
    "$build/fuzz.log" | head -n 5 || true
  tail -n 60 "$build/fuzz.log"
  echo "run-fuzz: FAILED (exit $status): reproducer in $artifacts/, log in $build/fuzz.log"
  exit 1
fi
echo "run-fuzz: no crashes in $seconds s"
