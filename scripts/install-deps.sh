#!/bin/sh
# Installs what gst-cnn needs to build, test and run its demo, from Debian 12's packages.
# Skips apt entirely when everything is already there.
set -e
PACKAGES="meson ninja-build pkg-config gcc libopenblas-dev libprotobuf-c-dev protobuf-c-compiler
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good python3-numpy python3-onnx python3-gi
  gir1.2-gstreamer-1.0 libonnx-testdata valgrind clang-14 libclang-rt-14-dev
  gobject-introspection libgirepository1.0-dev gir1.2-gst-plugins-base-1.0
  libpango1.0-dev libcairo2-dev fonts-dejavu-core"
[ -n "$CNN_EXTRA_PACKAGES" ] && PACKAGES="$PACKAGES $CNN_EXTRA_PACKAGES"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing:$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
