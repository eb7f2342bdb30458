#!/usr/bin/python3
"""Live pipelines with a model slower than the frame rate, and result flicker (not a test).

Part 1 (--live): a live 640x480 I420 source at 30 fps (videotestsrc is-live=true) through
cnnclassify into a synchronising sink (fakesink sync=true, max-lateness 20 ms like a video
sink, qos=true), with a model 2-3x slower than real time (ResNet-50), in three modes:

    sync       cnnclassify as it always was: every frame waits for the network
    async      async-inference=true: the network runs on the element's thread
    interval4  inference-interval=4: every 4th frame waits for the network

For each mode it prints frames out, frames the sink dropped as late (its `stats`), frames
rendered late (> 5 ms behind the clock, from the sink's handoff), results per second, wall
time (first to last frame out of cnnclassify, plus one frame) against the stream's real time, the pipeline's latency (the last one, after latency messages), and the mean inference time, and the age of the
results (the `age` field of the messages: how far behind the carrying frame the classified
frame is; 0 when a result rides on its own frame).

Part 2 (--flicker): noisy real input. Held-out MNIST digits (models/digits), each shown for
50 frames, every frame with fresh Gaussian noise (sigma 0.08 of full scale), through the
digits model, with and without `smoothing`. Prints top-1 changes per 100 frames within a
digit (a change between two frames of the same digit is flicker) and accuracy.

    /usr/bin/python3 benchmarks/live/bench-live.py [--build build] [--model /tmp/tv/resnet50.onnx]
        [--frames 90] [--threads 1] [--live] [--flicker]

Export ResNet-50 first if needed:
    /usr/bin/python3 ../shared/anchors/gen-torchvision-onnx.py /tmp/tv resnet50
"""

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--model", default="/tmp/tv/resnet50.onnx")
    p.add_argument("--frames", type=int, default=90, help="live frames per mode (30 fps)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--modes", default="sync,async,interval4")
    p.add_argument("--live", action="store_true", help="only part 1")
    p.add_argument("--flicker", action="store_true", help="only part 2")
    p.add_argument("--digits", type=int, default=40, help="digits in the flicker run")
    p.add_argument("--smoothing", default="0,0.5,0.8")
    p.add_argument("--noise", type=float, default=0.08, help="noise sigma, share of 255")
    return p.parse_args()


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


LATE = 5 * 1000 * 1000  # rendered this much behind its time counts as late (ns)

MODES = {
    "sync": "",
    "async": "async-inference=true",
    "interval4": "inference-interval=4",
}


def run_live(Gst, args, mode):
    props = MODES[mode]
    desc = (f"videotestsrc is-live=true pattern=ball num-buffers={args.frames} ! "
            "video/x-raw,format=I420,width=640,height=480,framerate=30/1 ! "
            f"cnnclassify name=c model=\"{args.model}\" threads={args.threads} "
            f"post-messages=true {props} ! "
            "fakesink name=sink sync=true qos=true max-lateness=20000000 "
            "signal-handoffs=true")
    pipeline = Gst.parse_launch(desc)
    sink = pipeline.get_by_name("sink")
    st = {"out": 0, "late": 0, "results": 0, "ages": [], "inference": []}

    def on_handoff(element, buf, pad):
        st["out"] += 1
        clock = element.get_clock()
        if clock is None:
            return
        rt = buf.pts  # segment starts at 0: running time = PTS
        now = clock.get_time() - element.get_base_time()
        if now > rt + element.get_latency() + LATE:
            st["late"] += 1

    sink.connect("handoff", on_handoff)

    def on_out(pad, info):
        st["last"] = time.monotonic()
        if st["first"] is None:
            st["first"] = st["last"]
        st["elem_out"] += 1
        return Gst.PadProbeReturn.OK

    st.update({"first": None, "elem_out": 0})
    pipeline.get_by_name("c").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_out)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    latency = None
    while True:
        msg = bus.timed_pop_filtered(
            60 * Gst.SECOND, Gst.MessageType.ELEMENT | Gst.MessageType.EOS |
            Gst.MessageType.ERROR | Gst.MessageType.ASYNC_DONE | Gst.MessageType.LATENCY)
        if msg is None:
            sys.exit(f"{mode}: timeout")
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            sys.exit(f"{mode}: {err.message} ({dbg})")
        if msg.type == Gst.MessageType.EOS:
            break
        if msg.type == Gst.MessageType.LATENCY:
            # As gst-launch-1.0 does: the element asks for it when inference slows down.
            pipeline.recalculate_latency()
            q = Gst.Query.new_latency()
            if pipeline.query(q):
                latency = q.parse_latency()[1]
            continue
        if msg.type == Gst.MessageType.ASYNC_DONE and latency is None:
            q = Gst.Query.new_latency()
            if pipeline.query(q):
                latency = q.parse_latency()[1]
            continue
        s = msg.get_structure()
        if s is not None and s.get_name() == "cnnclassify":
            st["results"] += 1
            st["inference"].append(s.get_uint64("inference-time")[1] / Gst.MSECOND)
            ok, age = s.get_uint64("age")
            if ok and age != Gst.CLOCK_TIME_NONE:
                st["ages"].append(age / Gst.MSECOND)
    # From the first frame out of cnnclassify to the last, plus one frame's duration.
    wall = st["last"] - st["first"] + 1 / 30.0
    stats = sink.get_property("stats")
    dropped = stats.get_uint64("dropped")[1]
    rendered = stats.get_uint64("rendered")[1]
    pipeline.set_state(Gst.State.NULL)
    ages = st["ages"] or [0.0]
    return {
        "mode": mode, "out": st["elem_out"], "rendered": rendered, "dropped": dropped,
        "late": st["late"], "results": st["results"], "rps": st["results"] / wall,
        "wall": wall, "real": args.frames / 30.0,
        "latency": (latency or 0) / Gst.MSECOND,
        "age_mean": sum(ages) / len(ages), "age_max": max(ages),
        "inference": sum(st["inference"]) / max(1, len(st["inference"])),
    }


def part_live(Gst, args):
    if not os.path.isfile(args.model):
        sys.exit(f"{args.model} is missing: /usr/bin/python3 ../shared/anchors/"
                 "gen-torchvision-onnx.py /tmp/tv resnet50")
    print(f"## Live {args.frames} frames 640x480 I420 @ 30 fps, {os.path.basename(args.model)},"
          f" threads={args.threads}; CPU: {cpu_name()}, {os.cpu_count()} vCPUs,"
          f" load average before: {os.getloadavg()[0]:.1f}\n")
    print("| mode | frames out | dropped late by sink | rendered late | on time | results/s |"
          " wall s | real s | wall/real | latency ms | result age mean / max ms |"
          " inference ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        r = run_live(Gst, args, mode)
        on_time = 100.0 * (r["rendered"] - r["late"]) / args.frames
        print(f"| {r['mode']} | {r['out']} | {r['dropped']} | {r['late']} | {on_time:.0f}% |"
              f" {r['rps']:.1f} | {r['wall']:.2f} | {r['real']:.2f} |"
              f" {r['wall'] / r['real']:.3f} | {r['latency']:.0f} |"
              f" {r['age_mean']:.0f} / {r['age_max']:.0f} | {r['inference']:.0f} |", flush=True)


def part_flicker(Gst, args):
    import numpy as np

    digits_dir = os.path.join(ROOT, "models", "digits")
    raw = np.fromfile(os.path.join(digits_dir, "heldout-digits.gray8"), dtype=np.uint8)
    frames = raw.reshape(-1, 28, 28)
    with open(os.path.join(digits_dir, "heldout-labels.txt")) as f:
        truth = [int(x) for x in f.read().split()]
    rng = np.random.default_rng(12)
    # Every 50th held-out digit, 50 noisy frames each; the same frames for every setting.
    picks = list(range(0, len(frames), max(1, len(frames) // args.digits)))[:args.digits]
    per = 50
    video = []
    labels = []
    for i in picks:
        base = frames[i].astype(np.float32)
        for _ in range(per):
            noisy = base + rng.normal(0, args.noise * 255, base.shape)
            video.append(np.clip(noisy, 0, 255).astype(np.uint8))
            labels.append(truth[i])

    print(f"\n## Flicker: {len(picks)} held-out digits x {per} frames, Gaussian noise sigma {args.noise},"
          f" digits model; CPU: {cpu_name()}\n")
    print("| smoothing | top-1 changes per 100 frames (within a digit) | accuracy |")
    print("|---|---|---|")
    for sm in [float(x) for x in args.smoothing.split(",")]:
        desc = ("appsrc name=src format=time is-live=false "
                "caps=video/x-raw,format=GRAY8,width=28,height=28,framerate=30/1 ! "
                f"cnnclassify model=\"{os.path.join(digits_dir, 'digits.onnx')}\" "
                f"smoothing={sm} post-messages=true ! fakesink sync=false")
        pipeline = Gst.parse_launch(desc)
        src = pipeline.get_by_name("src")
        bus = pipeline.get_bus()
        pipeline.set_state(Gst.State.PLAYING)
        for n, fr in enumerate(video):
            buf = Gst.Buffer.new_wrapped(fr.tobytes())
            buf.pts = n * Gst.SECOND // 30
            buf.duration = Gst.SECOND // 30
            src.emit("push-buffer", buf)
        src.emit("end-of-stream")
        top1 = []
        while True:
            msg = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.ELEMENT |
                                         Gst.MessageType.EOS | Gst.MessageType.ERROR)
            if msg is None or msg.type != Gst.MessageType.ELEMENT:
                if msg is not None and msg.type == Gst.MessageType.ERROR:
                    sys.exit(msg.parse_error()[0].message)
                break
            s = msg.get_structure()
            if s.get_name() == "cnnclassify":
                top1.append(int(s.get_string("label")))
        pipeline.set_state(Gst.State.NULL)
        assert len(top1) == len(video), (len(top1), len(video))
        if os.environ.get("BENCH_DEBUG"):
            print(top1[:200], labels[:200])
        changes = sum(1 for n in range(1, len(top1))
                      if n % per != 0 and top1[n] != top1[n - 1])
        within = len(picks) * (per - 1)
        acc = sum(1 for a, b in zip(top1, labels) if a == b) / len(labels)
        print(f"| {sm:g} | {100.0 * changes / within:.1f} | {100 * acc:.1f}% |", flush=True)


def main():
    args = parse_args()
    plugin_dir = os.path.join(os.path.abspath(args.build), "gst-plugin")
    os.environ["GST_PLUGIN_PATH_1_0"] = plugin_dir
    os.environ.setdefault("GST_REGISTRY_1_0", os.path.join(args.build, "bench-live.registry"))
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstBase", "1.0")
    from gi.repository import Gst, GstBase  # noqa: F401 (GstBase: the sink's get_latency)
    Gst.init(None)
    if Gst.ElementFactory.find("cnnclassify") is None:
        sys.exit(f"cnnclassify not found in {plugin_dir}")
    both = not args.live and not args.flicker
    if args.live or both:
        part_live(Gst, args)
    if args.flicker or both:
        part_flicker(Gst, args)


if __name__ == "__main__":
    main()
