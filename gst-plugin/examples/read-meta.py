#!/usr/bin/python3
"""Reads cnnclassify's results in a Python pad probe, through the GstCnn typelib.

Feeds held-out MNIST digits (models/digits/heldout-digits.gray8) through

    appsrc ! cnnclassify model=models/digits/digits.onnx ! fakesink

and prints, from a probe on fakesink's pad, what GstCnn.buffer_get_cnn_classification_meta()
finds on each buffer. With --regions, each frame is a 2x2 mosaic of four digits with one
GstVideoRegionOfInterestMeta per digit (as a detector upstream would attach), cnnclassify
runs with inference-region=roi-list, and the probe prints each region's results: from
the region's own meta and from the structure cnnclassify added to the region's params.

Output, one line per result:

    frame 3: digits top-1 0 (99.2%), top-3 0 6 2, 0.05 ms
    frame 3 region 1 at 28,0 28x28: digits top-1 7 (98.0%), params label 7

With --activation-map, each result also says where its class's activation map peaks,
as fractions of the frame's width and height: ", map of class 7 7x7 peak at 0.39,0.61".

From the build tree: meson devenv -C build gst-plugin/examples/read-meta.py
(meson devenv sets GST_PLUGIN_PATH, GI_TYPELIB_PATH and the library path).
"""
import argparse
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstCnn", "1.0")
from gi.repository import GLib, Gst, GstCnn, GstVideo  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "models", "digits")
SIDE = 28


def describe(meta):
    """'digits top-1 7 (98.0%), top-3 7 2 3, 0.05 ms' from a GstCnnClassificationMeta,
    and with activation-map=true ', map of 7 7x7 peak at 12,20'."""
    entries = [meta.get_entry(i) for i in range(meta.get_n_entries())]
    if not entries:
        return "%s: nothing above the threshold" % meta.get_model_name()
    best = entries[0]
    text = "%s top-1 %s (%.1f%%), top-%d %s, %.2f ms" % (
        meta.get_model_name(), best.label, 100 * best.confidence, len(entries),
        " ".join(e.label for e in entries), meta.get_inference_time() / 1e6)
    values, width, height, class_id = meta.get_activation_map()
    if values:
        # The peak cell's centre, in fractions of the frame (the area the map covers).
        ok, x, y, w, h = meta.get_activation_map_area()
        peak = max(range(len(values)), key=values.__getitem__)
        text += ", map of class %d %dx%d peak at %.2f,%.2f" % (
            class_id, width, height, x + (peak % width + 0.5) / width * w,
            y + (peak // width + 0.5) / height * h)
    return text


def on_buffer(pad, info, state):
    buf = info.get_buffer()
    frame = state["frame"]
    state["frame"] += 1

    # The whole frame's result (inference-region=full-frame).
    meta = GstCnn.buffer_get_cnn_classification_meta(buf)
    if meta is not None:
        print("frame %d: %s" % (frame, describe(meta)))

    # Every result on the buffer, whole frame and regions, in attachment order.
    for i in range(GstCnn.buffer_get_n_cnn_classification_metas(buf)):
        meta = GstCnn.buffer_get_nth_cnn_classification_meta(buf, i)
        roi_id = meta.get_roi_id()
        if roi_id < 0:
            continue
        roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, roi_id)
        params = roi.get_param(meta.get_model_name())
        print("frame %d region %d at %d,%d %dx%d: %s, params label %s" % (
            frame, roi_id, roi.x, roi.y, roi.w, roi.h, describe(meta),
            params.get_string("label") if params is not None else "-"))
    return Gst.PadProbeReturn.OK


def digit(digits, index):
    return digits[index * SIDE * SIDE:(index + 1) * SIDE * SIDE]


def make_buffer(digits, index, step, regions, pts):
    """One GRAY8 frame: digit @index * @step, or with @regions a 2x2 mosaic of digits
    (4 @index + k) * @step."""
    if not regions:
        buf = Gst.Buffer.new_wrapped(bytes(digit(digits, index * step)))
    else:
        mosaic = bytearray(4 * SIDE * SIDE)
        for k in range(4):
            src = digit(digits, (4 * index + k) * step)
            ox, oy = (k % 2) * SIDE, (k // 2) * SIDE
            for y in range(SIDE):
                row = (oy + y) * 2 * SIDE + ox
                mosaic[row:row + SIDE] = src[y * SIDE:(y + 1) * SIDE]
        buf = Gst.Buffer.new_wrapped(bytes(mosaic))
        for k in range(4):
            roi = GstVideo.buffer_add_video_region_of_interest_meta(
                buf, "digit", (k % 2) * SIDE, (k // 2) * SIDE, SIDE, SIDE)
            roi.id = k
    buf.pts = pts
    buf.duration = Gst.SECOND // 25
    return buf


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.path.join(DIGITS, "digits.onnx"))
    parser.add_argument("--frames", default=os.path.join(DIGITS, "heldout-digits.gray8"))
    parser.add_argument("--num-frames", type=int, default=10)
    parser.add_argument("--step", type=int, default=1,
                        help="use every STEP-th digit (the file is sorted by class)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--regions", action="store_true",
                        help="four digits per frame, each in a region of interest")
    parser.add_argument("--activation-map", action="store_true",
                        help="also attach and print the top class's activation map")
    args = parser.parse_args()

    Gst.init(None)
    with open(args.frames, "rb") as f:
        digits = f.read()
    per_frame = 4 if args.regions else 1
    available = len(digits) // (SIDE * SIDE) // per_frame // args.step
    n = min(args.num_frames, available)
    side = SIDE * (2 if args.regions else 1)

    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=GRAY8,width=%d,height=%d,"
        "framerate=25/1 ! cnnclassify name=classify top-k=%d %s %s ! fakesink name=sink" % (
            side, side, args.top_k,
            "inference-region=roi-list" if args.regions else "",
            "activation-map=true" if args.activation_map else ""))
    pipeline.get_by_name("classify").set_property("model", args.model)
    state = {"frame": 0}
    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, on_buffer, state)

    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    for i in range(n):
        src.emit("push-buffer", make_buffer(digits, i, args.step, args.regions, i * Gst.SECOND // 25))
    src.emit("end-of-stream")

    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        print("error: %s (%s)" % (err.message, debug), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
