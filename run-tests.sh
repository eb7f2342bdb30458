#!/bin/sh
# Sets up a fresh Debian 12 machine (packages), builds, and runs every test.
# Ends with one line: "N passed, N failed".
set -e
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
set +e
meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?
set -e
python3 scripts/test-summary.py build/meson-logs/testlog.json
exit $status
