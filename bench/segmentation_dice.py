"""Benchmark: classical lesion segmentation against the HAM10000 expert masks in ../shared/data.

Reports Dice and Jaccard (mean, median) on the 124 full-resolution and 280 small images, mean
Dice per diagnosis, and the latency of one 600x450 image (median, p95).

    .venv/bin/python bench/segmentation_dice.py [--data ../shared/data]
"""

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from synthesis.ml.metrics import dice, jaccard  # noqa: E402
from synthesis.ml.segmentation_classical import segment_lesion  # noqa: E402

# (folder, mask path pattern): the small set's 200x150 masks have soft edges, cut at 128.
SETS = {
    "fullres": ("ham10000-fullres", "masks/{}_segmentation.png"),
    "small": ("ham10000-small", "masks_200x150/{}_segmentation.png"),
}


def _cases(data: Path, name: str):
    """(image_id, dx, rgb, mask) for every image of one set, in id order."""
    folder, mask_pattern = SETS[name]
    with open(data / folder / "HAM10000_metadata_subset.csv", newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["image_id"])
    for row in rows:
        image_id = row["image_id"]
        rgb = np.asarray(Image.open(data / folder / "images" / f"{image_id}.jpg").convert("RGB"))
        mask = np.asarray(Image.open(data / folder / mask_pattern.format(image_id)).convert("L"))
        yield image_id, row["dx"], rgb, mask >= 128


def _summary(values: list[float]) -> str:
    return f"mean {np.mean(values):.3f}  median {np.median(values):.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)

    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_dx: dict[str, list[float]] = defaultdict(list)
    latencies: list[float] = []
    for name in SETS:
        for _, dx, rgb, truth in _cases(args.data, name):
            if not latencies and rgb.shape[:2] == (450, 600):
                segment_lesion(rgb)  # warm-up: first-call imports and allocations
            start = time.perf_counter()
            pred = segment_lesion(rgb)
            elapsed = time.perf_counter() - start
            if rgb.shape[:2] == (450, 600):
                latencies.append(elapsed)
            scores[name].append((dice(pred, truth), jaccard(pred, truth)))
            by_dx[dx].append(scores[name][-1][0])
    scores["all"] = scores["fullres"] + scores["small"]

    for name, pairs in scores.items():
        d, j = zip(*pairs, strict=True)
        print(f"{name:8s} n={len(pairs):3d}  Dice {_summary(d)}   Jaccard {_summary(j)}")
    print(
        "Dice by diagnosis: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in sorted(by_dx.items()))
    )
    ms = np.array(latencies) * 1000
    print(
        f"latency per 600x450 image (n={len(ms)}): median {np.median(ms):.1f} ms, "
        f"p95 {np.percentile(ms, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
