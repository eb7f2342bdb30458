#!/bin/sh
# Sets up a fresh Debian 12 machine (packages), builds, and streams the held-out handwritten
# digits through the cnnclassify element, printing each prediction and the final accuracy.
# Extra arguments go to scripts/digits-demo.py (try --help, --fps 25, --format I420).
set -e
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
GST_PLUGIN_PATH="$PWD/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  exec /usr/bin/python3 scripts/digits-demo.py "$@"
