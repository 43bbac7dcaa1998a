"""DCGAN benchmarks: training throughput and generation latency; --train-demo scores a short run.

.venv/bin/python bench/dcgan_throughput.py                    # throughput, 64 and 128 px
.venv/bin/python bench/dcgan_throughput.py --train-demo --demo-steps 300 --out /tmp/dcgan
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "repository" / "demo_data"
HAM_SMALL = ROOT.parent / "shared" / "data" / "ham10000-small"


def load_records(source: str):
    from synthesis.ml.dcgan.data import read_records

    if source == "demo":
        return read_records(DEMO / "metadata.csv", DEMO / "images")
    return read_records(HAM_SMALL / "HAM10000_metadata_subset.csv", HAM_SMALL / "images")


def throughput(records, size: int, batch: int, steps: int, device: str, width: int) -> dict:
    from synthesis.ml.dcgan.config import GanConfig
    from synthesis.ml.dcgan.generation import generate
    from synthesis.ml.dcgan.training import train_gan

    config = GanConfig(
        image_size=size,
        batch_size=batch,
        steps=steps + 2,
        g_width=width,
        d_width=width,
        log_every=1,
        sample_every=10**6,
        checkpoint_every=10**6,
    )
    times = []
    trained = train_gan(
        records, config, device=device, progress=lambda e: times.append(e["elapsed_s"])
    )
    timed = times[2:]  # the first two steps include allocator and kernel warm-up
    train_ips = (len(timed) - 1) * batch / (timed[-1] - timed[0])
    condition = {"diagnosis": "nv", "fitzpatrick": 2}
    for count in (1, 64):  # warm-up: kernels are picked per batch shape
        generate(trained, condition, count, seed=0)
    latency = {}
    for count in (1, 64):
        started = time.perf_counter()
        generate(trained, condition, count, seed=1)
        if device == "cuda":
            import torch

            torch.cuda.synchronize()
        latency[count] = (time.perf_counter() - started) / count * 1000
    return {"train_img_s": train_ips, "gen_ms_1": latency[1], "gen_ms_per_img_64": latency[64]}


def train_demo(args) -> None:
    import numpy as np
    from PIL import Image

    from synthesis.ml.dcgan.baseline import train_baseline
    from synthesis.ml.dcgan.config import GanConfig
    from synthesis.ml.dcgan.data import ImageRecord
    from synthesis.ml.dcgan.evaluation import (
        default_tone_measure,
        evaluate,
        sampler_for,
        side_by_side,
        train_feature_encoder,
    )
    from synthesis.ml.dcgan.generation import save
    from synthesis.ml.dcgan.plots import plot_losses
    from synthesis.ml.dcgan.training import train_gan

    records = load_records(args.data)
    measure = default_tone_measure()
    if args.label_tone and measure is not None:  # condition on measured rather than stored type
        records = [
            ImageRecord(r.rgb, {**r.conditions, "fitzpatrick": int(measure(r.rgb))})
            for r in records
        ]
    config = GanConfig(
        image_size=args.demo_size,
        batch_size=args.demo_batch,
        steps=args.demo_steps,
        g_width=args.width,
        d_width=args.width,
        log_every=max(1, args.demo_steps // 20),
        sample_every=max(1, args.demo_steps // 4),
        checkpoint_every=max(1, args.demo_steps // 2),
    )
    print(f"{len(records)} records ({args.data}); config {config.as_dict()}", flush=True)
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)

    def report(event: dict) -> None:
        if "loss_d" in event:
            print(
                f"step {event['step']:>5}/{event['steps']} epoch {event['epoch']:>4} "
                f"loss_d {event['loss_d']:.3f} loss_g {event['loss_g']:.3f} "
                f"{event['images_per_s']:.1f} img/s",
                flush=True,
            )
        if out and "sample_grid" in event:
            Image.fromarray(event["sample_grid"]).save(out / f"grid_{event['step']:06d}.png")

    started = time.perf_counter()
    checkpoint = (lambda b: save(b, out / "checkpoint.pt")) if out else None
    gan = train_gan(records, config, progress=report, checkpoint=checkpoint)
    gan_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = train_baseline(records, config)
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    encoder = train_feature_encoder(records, steps=args.encoder_steps)
    enc_s = time.perf_counter() - started
    print(
        f"trained GAN {gan_s:.0f}s, baseline {base_s:.0f}s, encoder {enc_s:.0f}s "
        f"(encoder train accuracy {encoder.train_accuracy:.2f})"
    )
    results = {}
    for name, model in (("dcgan", gan), ("baseline", baseline)):
        results[name] = evaluate(
            sampler_for(model), records, encoder=encoder, measure=measure, per_condition=16
        )
    print(f"tone measure: {'skin_tone.measure_tone' if measure else 'unavailable'}")
    print(f"feature space: {encoder.description}")
    print(side_by_side(results))
    if out:
        (out / "losses.png").write_bytes(plot_losses(gan.history, "DCGAN"))
        (out / "baseline_losses.png").write_bytes(plot_losses(baseline.history, "baseline"))
        save(gan, out / "model.pt")
        row = np.concatenate(sampler_for(baseline)({"diagnosis": "nv", "fitzpatrick": 2}, 4, 0), 1)
        Image.fromarray(row).save(out / "baseline_nv.png")
        print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per size")
    parser.add_argument("--width", type=int, default=64, help="g_width = d_width")
    parser.add_argument("--threads", type=int, default=1, help="2 is far slower on a busy host")
    parser.add_argument("--train-demo", action="store_true")
    parser.add_argument("--data", choices=["demo", "ham-small"], default="demo")
    parser.add_argument("--demo-steps", type=int, default=300)
    parser.add_argument("--demo-size", type=int, default=64)
    parser.add_argument("--demo-batch", type=int, default=32)
    parser.add_argument("--encoder-steps", type=int, default=300)
    parser.add_argument("--label-tone", action="store_true")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import torch

    torch.set_num_threads(args.threads)
    if args.train_demo:
        train_demo(args)
        return
    records = load_records("demo")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {args.threads} CPU threads, width {args.width}")
    for device in devices:
        for size in args.sizes:
            r = throughput(records, size, args.batch, args.steps, device, args.width)
            print(
                f"{device:>4} {size:>3}px batch {args.batch}: train {r['train_img_s']:7.1f} img/s"
                f" | generate 1 image {r['gen_ms_1']:7.1f} ms"
                f" | batch of 64 {r['gen_ms_per_img_64']:6.2f} ms/image",
                flush=True,
            )


if __name__ == "__main__":
    main()
