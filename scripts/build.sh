#!/bin/sh
# Configures (once) and builds gst-cnn into ./build.
set -e
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=release
ninja -C build
