#!/usr/bin/python3
"""Renders the README's pictures with the project's own pipeline and pngenc.

    docs/cnnoverlay-topk-heatmap.png   a held-out digit, off centre in a larger frame:
                                       cnnclassify activation-map=true ! cnnoverlay
    docs/cnnoverlay-regions.png        six held-out digits, each in a region of interest:
                                       cnnclassify inference-region=roi-list
                                       activation-map=true ! cnnoverlay

The inputs are the shipped held-out digits (models/digits/heldout-digits.gray8), scaled
up and placed into frames here; the regions are what a detector upstream would attach
(GstVideoRegionOfInterestMeta). Needs the plugin on GST_PLUGIN_PATH and the GstCnn
typelib on GI_TYPELIB_PATH: meson devenv -C build scripts/make-readme-pictures.py
"""
import os
import re
import sys

import numpy as np
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "models", "digits")
OUT = os.path.join(ROOT, "docs")
FRAME_DIGIT = int(os.environ.get("FRAME_DIGIT", "1000"))
REGION_DIGITS = (23, 250, 611, 905, 1210, 1830)


def load_digits():
    pixels = np.fromfile(os.path.join(DIGITS, "heldout-digits.gray8"), dtype=np.uint8)
    labels = open(os.path.join(DIGITS, "heldout-labels.txt")).read().split()
    return pixels.reshape(-1, 28, 28), labels


def scaled(digit, factor):
    return np.kron(digit, np.ones((factor, factor), dtype=np.uint8))


def render(frame, regions, element_props, path):
    """Pushes one GRAY8 @frame with @regions [(x, y, w, h)] through cnnclassify and
    cnnoverlay into a PNG at @path; returns the cnnclassify messages' structures."""
    h, w = frame.shape
    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=GRAY8,width=%d,height=%d,"
        "framerate=1/1 ! videoconvert ! video/x-raw,format=RGBx ! "
        "cnnclassify name=classify post-messages=true top-k=3 activation-map=true %s ! "
        "cnnoverlay font=\"Sans Bold 11\" ! videoconvert ! pngenc ! "
        "filesink name=sink" % (w, h, element_props))
    pipeline.get_by_name("classify").set_property(
        "model", os.path.join(DIGITS, "digits.onnx"))
    pipeline.get_by_name("sink").set_property("location", path)
    buf = Gst.Buffer.new_wrapped(frame.tobytes())
    for i, (x, y, rw, rh) in enumerate(regions):
        roi = GstVideo.buffer_add_video_region_of_interest_meta(buf, "digit", x, y, rw, rh)
        roi.id = i
    buf.pts = 0
    buf.duration = Gst.SECOND
    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    bus = pipeline.get_bus()
    results = []
    while True:
        msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT |
                                     Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            sys.exit("error: %s" % msg.parse_error()[0].message)
        if msg.type == Gst.MessageType.EOS:
            break
        results.append(msg.get_structure().copy())
    pipeline.set_state(Gst.State.NULL)
    return results


def main():
    Gst.init(None)
    os.makedirs(OUT, exist_ok=True)
    digits, labels = load_digits()

    # One digit, 5x (140x140), off centre in a 224x224 frame: the heatmap finds it.
    index = FRAME_DIGIT
    frame = np.zeros((224, 224), dtype=np.uint8)
    frame[80:220, 80:220] = scaled(digits[index], 5)
    path = os.path.join(OUT, "cnnoverlay-topk-heatmap.png")
    s = render(frame, [], "", path)[0]
    print("%s: held-out digit %d (a %s) classified as %s (%.1f%%)" % (
        os.path.relpath(path, ROOT), index, labels[index], s.get_value("label"),
        100 * s.get_value("confidence")))

    # Six digits of different sizes in a 480x270 frame, one region each.
    frame = np.zeros((270, 480), dtype=np.uint8)
    regions = []
    for index, factor, x, y in zip(REGION_DIGITS, (3, 2, 3, 2, 3, 2),
                                   (20, 150, 210, 330, 380, 40), (40, 150, 30, 170, 40, 190)):
        side = 28 * factor
        frame[y:y + side, x:x + side] = scaled(digits[index], factor)
        regions.append((x - 4, y - 4, side + 8, side + 8))
    path = os.path.join(OUT, "cnnoverlay-regions.png")
    s = render(frame, regions, "inference-region=roi-list", path)[0]
    # PyGObject without gst-python cannot unpack GstValueArray: read the labels as text.
    found = re.findall(r'[^-]label\\?=\\?\(string\\?\)(\w+)', s.to_string())
    print("%s: %d regions classified as %s (true: %s)" % (
        os.path.relpath(path, ROOT), len(found), " ".join(found),
        " ".join(labels[i] for i in REGION_DIGITS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
