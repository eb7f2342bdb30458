#!/bin/sh
# The library never changes the environment: setenv/unsetenv/putenv/clearenv are not
# thread-safe in the multi-threaded hosts (GStreamer applications) that load it.
#   check-no-setenv.sh LIBCNN_CORE.so
set -e
lib=$1
[ -f "$lib" ] || { echo "FAIL no library at '$lib'"; exit 1; }
found=$(nm -D -u "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -E '^(setenv|unsetenv|putenv|clearenv)$' || true)
if [ -n "$found" ]; then
  echo "FAIL $lib calls: $found"
  exit 1
fi
echo "PASS $lib calls none of setenv, unsetenv, putenv, clearenv"
