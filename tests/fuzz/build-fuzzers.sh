#!/bin/sh
# Builds the model fuzzer from the repository sources, independent of the meson build:
#   BUILD/fuzz-model         clang-14 + libFuzzer + ASan + UBSan
#   BUILD/fuzz-model-replay  gcc + ASan + UBSan, replay-main.c instead of libFuzzer
# Usage: tests/fuzz/build-fuzzers.sh [BUILD_DIR]   (default: $CNN_FUZZ_BUILD_DIR or
#        tests/fuzz/build). Objects are rebuilt only when a source or header changed.
# CNN_FUZZ_TARGETS="fuzz-model" (or "replay") builds just one of the two; CNN_FUZZ_CFLAGS adds
# compiler flags (e.g. -fno-sanitize=... to look past a known report while its fix is pending),
# CNN_FUZZ_LDFLAGS linker flags.
# tests/fuzz/build-fuzzers.sh --check: exit 0 when clang can link a libFuzzer target here.
set -eu

if [ "${1:-}" = "--check" ]; then
  CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}
  [ -n "$CLANG" ] || exit 1
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { return 0; }' > "$tmp/t.c"
  "$CLANG" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1
  exit $?
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${CNN_FUZZ_BUILD_DIR:-$here/build}}
targets=${CNN_FUZZ_TARGETS:-"fuzz-model replay"}
core=$top/cnn-core

mkdir -p "$build/obj-fuzz" "$build/obj-replay" "$build/gen"
build=$(cd "$build" && pwd)

# Meson may run the regression replay and the smoke run at the same time: one builder at once.
if [ -z "${CNN_FUZZ_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
  CNN_FUZZ_LOCKED=1 exec flock "$build/.build-lock" "$0" "$build"
fi

CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}
GCC=${GCC:-$(command -v gcc || command -v cc || true)}
PROTOC_C=$(command -v protoc-c || true)
[ -n "$PROTOC_C" ] || { echo "build-fuzzers: protoc-c not found" >&2; exit 1; }

pb_cflags=$(pkg-config --cflags libprotobuf-c)
pb_libs=$(pkg-config --libs libprotobuf-c)
openblas_libdir=$(pkg-config --variable=libdir openblas 2>/dev/null || true)

# The core's sources as the meson build lists them (files(...) block in cnn-core/meson.build).
sources=$(sed -n '/^cnn_core_sources = files(/,/^)/p' "$core/meson.build" \
  | grep -o "'src/[^']*\.c'" | tr -d "'" | sed "s|^|$core/|")
for s in $sources; do
  [ -f "$s" ] || { echo "build-fuzzers: missing $s (listed in cnn-core/meson.build)" >&2; exit 1; }
done

# Generated protobuf code.
if [ ! -f "$build/gen/onnx.pb-c.c" ] || [ "$core/src/onnx.proto" -nt "$build/gen/onnx.pb-c.c" ]; then
  "$PROTOC_C" --proto_path="$core/src" --c_out="$build/gen" "$core/src/onnx.proto"
fi
sources="$sources $build/gen/onnx.pb-c.c"

headers="$core/include/cnn/cnn.h $(find "$core/src" -name '*.h') $build/gen/onnx.pb-c.h"
common="-std=c11 -D_GNU_SOURCE -DCNN_BUILDING_LIBRARY -DCNN_OPENBLAS_LIBDIR=\"$openblas_libdir\"
  -I$core/include -I$core/src -I$build/gen $pb_cflags -g -O1 -fno-omit-frame-pointer
  -Wno-unused-parameter"
extra=${CNN_FUZZ_CFLAGS:-}
# Sources compiled at -O0: the AVX-512 depthwise and GEMM kernels (always_inline, unrolled for
# every block shape) take minutes at -O1 with clang and the sanitizers (gemm.c with its 12-row
# tiles: over 3 minutes and 2.4 GB, 24 s at -O0), and -O0 is still sanitized.
slow_sources=${CNN_FUZZ_O0_SOURCES-kernels/x86-avx512/depthwise.c kernels/x86-avx512/gemm.c}
libs="$pb_libs -lm -ldl -lpthread ${CNN_FUZZ_LDFLAGS:-}"

# Different flags than last time: start from clean objects.
if [ "$(cat "$build/flags" 2>/dev/null || true)" != "$common $extra $slow_sources" ]; then
  rm -f "$build"/obj-fuzz/*.o "$build"/obj-replay/*.o
  printf '%s' "$common $extra $slow_sources" > "$build/flags"
fi

# newer FILE THAN...: true when FILE is missing or older than any of the others.
stale () {
  out=$1
  shift
  [ -f "$out" ] || return 0
  for f in "$@"; do
    [ "$f" -nt "$out" ] && return 0
  done
  return 1
}

# compile CC FLAGS OBJDIR SOURCE...: prints the objects.
compile () {
  cc=$1 flags=$2 objdir=$3
  shift 3
  objs=""
  for src in "$@"; do
    # Paths below src/ name objects and -O0 sources: two folders may hold a gemm.c.
    rel=${src#"$core"/src/}
    obj=$objdir/$(printf '%s' "${rel%.c}" | tr / -).o
    opt=""
    case " $slow_sources " in
      *" $rel "*) opt=-O0 ;;
    esac
    if stale "$obj" "$src" $headers; then
      echo "  CC $rel $opt" >&2
      # shellcheck disable=SC2086
      $cc $common $flags $extra $opt -c "$src" -o "$obj" >&2
    fi
    objs="$objs $obj"
  done
  echo "$objs"
}

for t in $targets; do
  case $t in
    fuzz-model)
      [ -n "$CLANG" ] || { echo "build-fuzzers: clang not found" >&2; exit 1; }
      echo "build-fuzzers: $CLANG (libFuzzer) -> $build/fuzz-model" >&2
      san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
      objs=$(compile "$CLANG" "$san -fsanitize=fuzzer-no-link" "$build/obj-fuzz" \
        $sources "$here/fuzz-model.c")
      # shellcheck disable=SC2086
      stale "$build/fuzz-model" $objs && \
        $CLANG $san -fsanitize=fuzzer -o "$build/fuzz-model" $objs $libs
      ;;
    replay)
      [ -n "$GCC" ] || { echo "build-fuzzers: gcc not found" >&2; exit 1; }
      echo "build-fuzzers: $GCC (replay) -> $build/fuzz-model-replay" >&2
      san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
      objs=$(compile "$GCC" "$san" "$build/obj-replay" \
        $sources "$here/fuzz-model.c" "$here/replay-main.c")
      # shellcheck disable=SC2086
      stale "$build/fuzz-model-replay" $objs && \
        $GCC $san -o "$build/fuzz-model-replay" $objs $libs
      ;;
    *)
      echo "build-fuzzers: unknown target $t" >&2
      exit 1
      ;;
  esac
done
exit 0
