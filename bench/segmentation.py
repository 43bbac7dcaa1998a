"""Benchmark: the classical segmenter and the shipped model side by side on held-out images.

Sets: ISIC 2018 Task 1 test/ (594 images, 512x512, never trained on) and the 35 HAM10000
images of the shipped demo set (not in ISIC 2018 Task 1). The HAM folders of ../shared/data
are left out: many of their masks do not line up with their images (from index 10 of the
sorted full-resolution ids on; the 200x150 frames are shifted), so a score there measures the
data, not the segmenter. For each
segmenter: Dice and Jaccard (mean, median), thresholded Jaccard (ISIC 2018: an image below
0.65 scores 0), the share below 0.65, and the CPU time per image on one thread (process
time, so that other people's jobs on a shared machine do not count).
"checked" is what the site does: the shipped model, the classical segmenter when its mask
fails the quality check, and "needs a mask" (scored 0) when both fail.

    .venv/bin/python bench/segmentation.py [--data ../shared/data] [--limit N] [--json out.json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "repository" / "demo_data"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from synthesis.ml import lesion_masks  # noqa: E402
from synthesis.ml.segmentation_data import folder_pairs, read_pair  # noqa: E402
from synthesis.ml.segmentation_inference import predict_mask  # noqa: E402
from synthesis.ml.segmentation_quality import PASSED, postprocess, quality_check  # noqa: E402
from synthesis.ml.segmentation_scores import score_masks  # noqa: E402
from synthesis.ml.shipped_segmenter import (  # noqa: E402
    SHIPPED_FILE,
    SHIPPED_SHA256,
    SHIPPED_VERSION,
    load_weights,
)


def isic_cases(data: Path, limit: int | None):
    for image, mask in folder_pairs(data / "isic2018-task1" / "test")[:limit]:
        yield read_pair(image, mask)


def demo_cases(limit: int | None):
    """The shipped demo set: HAM10000 images whose masks were checked against them."""
    for image in sorted((DEMO_DIR / "images").glob("ISIC_*.jpg"))[:limit]:
        rgb = np.asarray(Image.open(image).convert("RGB"))
        mask = np.asarray(Image.open(DEMO_DIR / "masks" / f"{image.stem}.png").convert("L"))
        yield rgb, mask >= 128


def run_set(cases, trained) -> dict:
    """Each segmenter once per image; "checked" reuses their masks as the site would."""
    names = ("classical", "shipped", "checked")
    preds = {name: [] for name in names}
    cpu_ms = {name: [] for name in names}
    made_by = []
    truths = []
    for rgb, truth in cases:
        truths.append(truth)
        masks = {}
        for name, segment in (
            ("shipped", lambda x: predict_mask(trained, x, postprocess=False)),
            ("classical", lesion_masks.segment_lesion),
        ):
            # CPU time of this process, not wall time: the machine is shared, and a wall clock
            # would measure the neighbours.
            start = time.process_time()
            masks[name] = postprocess(segment(rgb))
            cpu_ms[name].append(1000 * (time.process_time() - start))
            preds[name].append(masks[name])
        start = time.process_time()
        checks = {name: quality_check(masks[name]) for name in ("shipped", "classical")}
        check_ms = 1000 * (time.process_time() - start)
        if checks["shipped"] == PASSED:
            who, mask, spent = SHIPPED_VERSION, masks["shipped"], cpu_ms["shipped"][-1]
        elif checks["classical"] == PASSED:
            who, mask = "classical", masks["classical"]
            spent = cpu_ms["shipped"][-1] + cpu_ms["classical"][-1]
        else:
            who, mask = "needs a mask", np.zeros_like(truth)
            spent = cpu_ms["shipped"][-1] + cpu_ms["classical"][-1]
        preds["checked"].append(mask)
        cpu_ms["checked"].append(spent + check_ms)
        made_by.append(who)
    out = {}
    for name in names:
        scores = score_masks(preds[name], truths)
        scores["cpu_ms_median"] = float(np.median(cpu_ms[name]))
        scores["cpu_ms_p95"] = float(np.percentile(cpu_ms[name], 95))
        out[name] = scores
    out["checked"]["made_by"] = {w: made_by.count(w) for w in sorted(set(made_by))}
    return out


def print_table(title: str, shape: str, results: dict) -> None:
    print(f"\n{title} ({results['classical']['images']} images, {shape})")
    print(
        "| segmenter | Dice mean / median | Jaccard mean / median | thresholded Jaccard "
        "| below 0.65 | CPU ms median / p95 |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['dice_mean']:.3f} / {r['dice_median']:.3f} "
            f"| {r['jaccard_mean']:.3f} / {r['jaccard_median']:.3f} "
            f"| {r['thresholded_jaccard']:.3f} | {100 * r['below_065']:.1f}% "
            f"| {r['cpu_ms_median']:.0f} / {r['cpu_ms_p95']:.0f} |"
        )
    made_by = results["checked"]["made_by"]
    print("checked: mask made by " + ", ".join(f"{k} {v}" for k, v in made_by.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--weights", type=Path, default=SHIPPED_FILE)
    parser.add_argument("--sha256", default=SHIPPED_SHA256, help="of --weights")
    parser.add_argument("--limit", type=int, help="first N images of each set (a quick look)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    trained = load_weights(args.weights, args.sha256)
    sets = {
        "isic2018-test": (
            "ISIC 2018 Task 1 test/",
            "512x512",
            isic_cases(args.data, args.limit),
        ),
        "ham-demo": (
            "HAM10000, the shipped demo set",
            "600x450 and 200x150",
            demo_cases(args.limit),
        ),
    }
    weights = args.weights.resolve()
    # Relative to the checkout where it can be, so a committed report names no one's machine.
    shown = weights.relative_to(ROOT) if weights.is_relative_to(ROOT) else weights
    report = {"weights": str(shown), "threads": args.threads}
    for key, (title, shape, cases) in sets.items():
        report[key] = run_set(cases, trained)
        print_table(title, shape, report[key])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
