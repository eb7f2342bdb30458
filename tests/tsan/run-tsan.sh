#!/bin/sh
# The core's thread pool under ThreadSanitizer: builds the `cnn` tool with -fsanitize=thread
# (a meson build of cnn-core alone, in $CNN_TSAN_BUILD_DIR), then runs at 2 threads
#   - the whole-network checks (check-networks.py: each small network at 1 and 2 threads
#     against PyTorch), which cover every conv algorithm, pooling, Concat and the Gemm head;
#   - `cnn bench --precision bf16 --threads 2` on two of them, for the bf16 GEMMs;
#   - test-kernels, whose convs include threads sharing one block's input matrix.
# Any data race report fails the run (halt_on_error). The pool hands out work through C11
# atomics, which TSAN follows and helgrind does not (see tests/gst/meson.build).
#
#   tests/tsan/run-tsan.sh [BUILD_DIR]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${CNN_TSAN_BUILD_DIR:-$here/build}}
networks=$top/tests/networks

if [ ! -f "$build/build.ninja" ]; then
  # clang: gcc's TSAN instruments the target_clones resolvers, which then run before its
  # runtime is up and crash at load. debugoptimized: the AVX-512 kernels at -O0 would make
  # the networks minutes long under TSAN.
  CC=${CNN_TSAN_CC:-clang-14} meson setup "$build" "$top" -Db_sanitize=thread -Dgst-plugin=disabled \
    -Dintrospection=disabled --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" cnn-core/tool/cnn tests/core/test-kernels >/dev/null
cnn=$build/cnn-core/tool/cnn

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
/usr/bin/python3 "$networks/check-networks.py" --cnn "$cnn"
for net in resnet_tiny_bottleneck mobilenet_v2_w025; do
  "$cnn" bench "$networks/$net.onnx" --threads 2 --precision bf16 --iterations 3 --warmup 1 \
    >/dev/null
  echo "ok   $net bf16, 2 threads"
done
# The kernels at 1 and 2 threads, with convs whose threads build one input matrix together
# (Winograd's V, im2col's) before each runs its output channels: no network above has one.
"$build/tests/core/test-kernels" >/dev/null
echo "ok   test-kernels, 1 and 2 threads"
