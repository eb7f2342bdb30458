#!/usr/bin/python3
"""Runs gst-plugin/examples/read-meta.py (PyGObject + the GstCnn typelib) on held-out
digits and checks what it printed against the true labels: every frame and region is
reported, at least 90% of the top-1 labels are right, each region's meta is where its
digit was put, the label in the region's params equals the one in its meta, and each
region's activation map (read through the typelib as a float array) is for its top class
and, mapped back through its area, peaks inside the region.

Needs GI_TYPELIB_PATH, the library path and GST_PLUGIN_PATH of the build tree (the meson
test sets them, as `meson devenv` does).
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "gst-plugin", "examples", "read-meta.py")
LABELS = os.path.join(ROOT, "models", "digits", "heldout-labels.txt")
STEP = 37

FRAME_RE = re.compile(r"^frame (\d+): digits top-1 (\S+) \(([\d.]+)%\), top-3 (\S+ \S+ \S+), "
                      r"([\d.]+) ms$")
REGION_RE = re.compile(r"^frame (\d+) region (\d) at (\d+),(\d+) 28x28: digits top-1 (\S+) "
                       r"\(([\d.]+)%\), top-3 \S+ \S+ \S+, [\d.]+ ms, params label (\S+)$")
MAP_RE = re.compile(r", map of class (\d+) 7x7 peak at ([\d.]+),([\d.]+),")


def run(*args):
    out = subprocess.run([sys.executable, EXAMPLE, "--step", str(STEP)] + list(args),
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit("read-meta.py %s failed (%d):\n%s%s" % (" ".join(args), out.returncode,
                                                         out.stdout, out.stderr))
    return out.stdout.splitlines()


def main():
    truth = open(LABELS).read().split()
    failures = []

    # Whole frames: one line per frame, in order.
    lines = run("--num-frames", "50")
    if len(lines) != 50:
        failures.append("full-frame: %d lines for 50 frames" % len(lines))
    right = 0
    for i, line in enumerate(lines):
        m = FRAME_RE.match(line)
        if not m or int(m.group(1)) != i:
            failures.append("full-frame: unexpected line %r" % line)
            continue
        right += m.group(2) == truth[i * STEP]
    print("full-frame: %d/50 right" % right)
    if right < 45:
        failures.append("full-frame: only %d/50 right" % right)

    # Regions: four per frame, at the mosaic positions, params agreeing with the meta,
    # and each region's activation map (read from Python) peaking inside its quadrant.
    lines = run("--num-frames", "12", "--regions", "--activation-map")
    if len(lines) != 48:
        failures.append("regions: %d lines for 48 regions" % len(lines))
    right = 0
    in_quadrant = 0
    seen = set()
    for line in lines:
        cam = MAP_RE.search(line)
        if not cam:
            failures.append("regions: no activation map in %r" % line)
            continue
        line = MAP_RE.sub(",", line)
        m = REGION_RE.match(line)
        if not m:
            failures.append("regions: unexpected line %r" % line)
            continue
        frame, k, x, y = (int(m.group(i)) for i in range(1, 5))
        seen.add((frame, k))
        if (x, y) != ((k % 2) * 28, (k // 2) * 28):
            failures.append("regions: region %d of frame %d at %d,%d" % (k, frame, x, y))
        if m.group(7) != m.group(5):
            failures.append("regions: params say %s, meta %s" % (m.group(7), m.group(5)))
        right += m.group(5) == truth[(4 * frame + k) * STEP]
        if cam.group(1) != m.group(5):
            failures.append("regions: map of class %s for top-1 %s" % (cam.group(1),
                                                                     m.group(5)))
        px, py = float(cam.group(2)), float(cam.group(3))
        in_quadrant += (k % 2) * 0.5 <= px < (k % 2) * 0.5 + 0.5 and \
            (k // 2) * 0.5 <= py < (k // 2) * 0.5 + 0.5
    if len(seen) != 48:
        failures.append("regions: %d distinct regions reported" % len(seen))
    print("regions: %d/48 right, map peak inside the region for %d/48" % (right,
                                                                         in_quadrant))
    if in_quadrant < 43:
        failures.append("regions: map peak inside the region for only %d/48" % in_quadrant)
    if right < 43:
        failures.append("regions: only %d/48 right" % right)

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
