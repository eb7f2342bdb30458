#!/usr/bin/python3
"""Soak test for cnnclassify (not a CI test): does the element's memory stay flat?

Pushes 100,000 frames of 320x240 video (videotestsrc, not live, as fast as possible)
through cnnclassify with the digits model into a fakesink, reads this process's resident
set size (VmRSS in /proc/self/status) every 10,000 frames, and reports the growth between
the 10,000-frame sample (after warm-up) and the last one. The requirement is < 1 MB.

    tests/soak/soak-element.py [--build BUILD_DIR] [--frames N] [--every K]
                               [--pattern ball|snow|...] [--model PATH]

Prints a Markdown table and exits with status 1 if the growth is 1 MB or more. Every
frame's classification meta is checked too; a frame without one fails the run.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIMIT_KB = 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"),
                   help="build dir with gst-plugin/libgstcnn.so (default: build)")
    p.add_argument("--frames", type=int, default=100000)
    p.add_argument("--every", type=int, default=10000, help="frames between RSS samples")
    p.add_argument("--pattern", default="ball", help="videotestsrc pattern (default ball)")
    p.add_argument("--model", default=os.path.join(ROOT, "models", "digits", "digits.onnx"))
    p.add_argument("--async", dest="async_inference", action="store_true",
                   help="cnnclassify async-inference=true: results ride on later frames, "
                   "so frames without a meta are expected; at least one result per 100 "
                   "frames is required instead")
    return p.parse_args()


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main():
    args = parse_args()
    plugin_dir = os.path.join(os.path.abspath(args.build), "gst-plugin")
    if not os.path.isfile(os.path.join(plugin_dir, "libgstcnn.so")):
        sys.exit(f"build first: {plugin_dir}/libgstcnn.so is missing")
    # The build dir's plugin before any installed one; set before Gst.init().
    os.environ["GST_PLUGIN_PATH_1_0"] = plugin_dir
    os.environ.setdefault("GST_REGISTRY_1_0", os.path.join(args.build, "soak.registry"))

    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import GObject, Gst

    Gst.init(None)
    if Gst.ElementFactory.find("cnnclassify") is None:
        sys.exit(f"cnnclassify not found in {plugin_dir}")

    pipeline = Gst.parse_launch(
        f"videotestsrc pattern={args.pattern} is-live=false num-buffers={args.frames} ! "
        "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
        f"cnnclassify model=\"{args.model}\" async-inference={str(args.async_inference).lower()}"
        " ! fakesink name=sink sync=false")
    sink = pipeline.get_by_name("sink")
    state = {"frames": 0, "missing_meta": 0, "meta_api": None,
             "samples": [(0, rss_kb())]}

    # Counting in a pad probe costs a few microseconds per frame; the RSS is read every
    # K frames from the streaming thread, so each sample is exact in frames.
    def on_buffer(pad, info):
        if state["meta_api"] is None:
            # Registered by the meta library when cnnclassify attaches its first meta
            # (with async-inference, not before the second frame). An exception here
            # would return None, i.e. DROP, from the probe.
            try:
                state["meta_api"] = GObject.type_from_name("GstCnnClassificationMetaAPI")
            except RuntimeError:
                pass
        state["frames"] += 1
        if (state["meta_api"] is None or
                info.get_buffer().get_n_meta(state["meta_api"]) != 1):
            state["missing_meta"] += 1
        if state["frames"] % args.every == 0:
            state["samples"].append((state["frames"], rss_kb()))
        return Gst.PadProbeReturn.OK

    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        sys.exit(f"pipeline error: {err.message} ({debug})")

    samples = state["samples"]
    print(f"| frames (320x240 I420, {os.path.basename(args.model)}) | RSS KB |")
    print("|---|---|")
    for frames, kb in samples:
        print(f"| {frames} | {kb} |")
    warm = next((kb for frames, kb in samples if frames == args.every), None)
    last_frames, last_kb = samples[-1]
    with_meta = state["frames"] - state["missing_meta"]
    if args.async_inference:
        ok = state["frames"] == args.frames and with_meta * 100 >= state["frames"]
    else:
        ok = state["frames"] == args.frames and state["missing_meta"] == 0
    if warm is not None and last_frames > args.every:
        growth = last_kb - warm
        ok = ok and growth < LIMIT_KB
        print(f"\nRSS growth from {args.every} to {last_frames} frames: {growth} KB "
              f"(limit < {LIMIT_KB} KB)")
    print(f"{state['frames']} frames, {state['missing_meta']} without a classification meta"
          + (" (async-inference: results ride on later frames)" if args.async_inference
             else ""))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
