#!/usr/bin/python3
"""Streams the held-out MNIST digits through cnnclassify as video and reports what it saw.

The digits (models/digits/heldout-digits.gray8: 28x28 GRAY8 frames, never used in training)
go through a real GStreamer pipeline:

    filesrc ! rawvideoparse (GRAY8 28x28) ! [videoscale ! videoconvert !] cnnclassify ! sink

and every frame's classification comes back as a bus message. Prints, per frame, the
predicted label and confidence next to the true label, a digit drawn in the terminal now and
then, and a closing accuracy line. With --min-accuracy it is a test: exit 1 below the bar.

Needs the plugin on GST_PLUGIN_PATH (run-demo.sh and the meson test set it).
"""
import argparse
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "models", "digits")
FRAME = 28 * 28


def draw_digit(frame):
    """Two pixel rows per text line, with half blocks, so a digit fits in 14 lines."""
    shades = " .:-=+*#%@"
    lines = []
    for y in range(0, 28, 2):
        row = ""
        for x in range(28):
            v = max(frame[y * 28 + x], frame[(y + 1) * 28 + x])
            row += shades[v * (len(shades) - 1) // 255]
        lines.append("    " + row)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.path.join(DIGITS, "digits.onnx"))
    parser.add_argument("--frames", default=os.path.join(DIGITS, "heldout-digits.gray8"))
    parser.add_argument("--labels", default=os.path.join(DIGITS, "heldout-labels.txt"))
    parser.add_argument("--format", default="GRAY8",
                        help="convert frames to this video format first (e.g. I420, RGB)")
    parser.add_argument("--size", default="",
                        help="scale frames to WxH first (e.g. 320x240), as a camera would")
    parser.add_argument("--fps", type=int, default=0,
                        help="play in real time at this rate (default: as fast as possible)")
    parser.add_argument("--every", type=int, default=200,
                        help="draw every Nth digit in the terminal (0: never)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                        help="cnnclassify's precision property")
    parser.add_argument("--quiet", action="store_true", help="no per-frame lines")
    parser.add_argument("--min-accuracy", type=float, default=None,
                        help="exit 1 if accuracy (percent) is below this")
    args = parser.parse_args()

    truth = [int(line) for line in open(args.labels) if line.strip()]
    with open(args.frames, "rb") as f:
        frames = f.read()
    if len(frames) != len(truth) * FRAME:
        sys.exit(f"{args.frames}: {len(frames)} bytes, expected {len(truth)} frames of 28x28")

    Gst.init(None)
    convert = ""
    if args.size:
        w, h = args.size.split("x")
        convert += f"videoscale ! video/x-raw,width={w},height={h} ! "
    if args.format != "GRAY8":
        convert += f"videoconvert ! video/x-raw,format={args.format} ! "
    rate = args.fps if args.fps > 0 else 30
    pipeline = Gst.parse_launch(
        f"filesrc location={args.frames} blocksize={FRAME} ! "
        f"rawvideoparse format=gray8 width=28 height=28 framerate={rate}/1 ! {convert}"
        f"cnnclassify name=classify model={args.model} precision={args.precision} "
        f"post-messages=true top-k=1 ! "
        f"fakesink sync={'true' if args.fps > 0 else 'false'}")

    frame_ns = Gst.SECOND // rate
    state = {"seen": 0, "correct": 0, "error": None}
    start = time.monotonic()
    loop = GLib.MainLoop()

    def on_message(bus, message):
        t = message.type
        if t == Gst.MessageType.ELEMENT and message.get_structure().get_name() == "cnnclassify":
            s = message.get_structure()
            index = int(round(s.get_value("timestamp") / frame_ns))
            if index >= len(truth):
                return
            label, confidence = s.get_value("label"), s.get_value("confidence")
            ok = label == str(truth[index])
            state["seen"] += 1
            state["correct"] += ok
            if not args.quiet:
                mark = "ok" if ok else "MISS"
                print(f"[{state['seen']:5d}/{len(truth)}] frame {index:5d}: predicted {label} "
                      f"({100 * confidence:5.1f}%)  true {truth[index]}  {mark}", flush=True)
                if args.every and index % args.every == 0:
                    print(draw_digit(frames[index * FRAME:(index + 1) * FRAME]), flush=True)
        elif t == Gst.MessageType.ERROR:
            err, debug = message.parse_error()
            state["error"] = f"{err.message} ({debug})"
            loop.quit()
        elif t == Gst.MessageType.EOS:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        bus.poll(Gst.MessageType.ERROR, 0)
    loop.run()
    pipeline.set_state(Gst.State.NULL)

    if state["error"]:
        sys.exit(f"pipeline error: {state['error']}")
    seconds = time.monotonic() - start
    seen, correct = state["seen"], state["correct"]
    accuracy = 100.0 * correct / len(truth)
    print(f"accuracy: {correct}/{len(truth)} = {accuracy:.2f}% on the held-out digits "
          f"({seen} frames classified in {seconds:.1f} s through cnnclassify)")
    if seen != len(truth):
        sys.exit(f"only {seen} of {len(truth)} frames produced a classification")
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        sys.exit(f"accuracy {accuracy:.2f}% is below {args.min_accuracy}%")


if __name__ == "__main__":
    main()
