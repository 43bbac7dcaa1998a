"""Choose a trained segmenter's inference settings on held-out images: the probability cut (a
fixed one, or per image where the mask's area is most stable) and how many symmetric views of
the image to average (1, 2: with its mirror image, 8: the quarter turns of both; one network
pass each).

Each image of ISIC 2018 Task 1 test/ (never trained on) is predicted once per number of views
at its own size; every cut is then made, post-processed as the site does (central component,
holes filled) and scored. The setting with the best thresholded Jaccard wins (ties: fewer
views, then a fixed cut before the stable one, then the cut nearest 0.5). With --out, the checkpoint
is written again with the chosen settings (and this table in its metrics), ready to checksum
and ship.

    .venv/bin/python bench/segmentation_choose.py --weights var/lite128-v2.pt \\
        [--out synthesis/ml/weights/NAME.pt] [--thresholds 0.4 0.45 0.5 0.55 0.6] [--limit N]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from synthesis.ml.bundles import write_bundle  # noqa: E402
from synthesis.ml.metrics import dice, jaccard  # noqa: E402
from synthesis.ml.segmentation_config import VIEWS, SegmenterConfig  # noqa: E402
from synthesis.ml.segmentation_data import folder_pairs, read_pair  # noqa: E402
from synthesis.ml.segmentation_inference import (  # noqa: E402
    cut_probability,
    predict_probabilities,
)
from synthesis.ml.segmentation_quality import postprocess  # noqa: E402
from synthesis.ml.segmentation_scores import per_image_summary  # noqa: E402
from synthesis.ml.segmentation_training import checkpoint_payload, load_checkpoint  # noqa: E402


def choose(trained, cases, thresholds: list[float]) -> tuple[dict, list[dict]]:
    """(best setting, one row per views x cut with its scores); a cut is a fixed threshold or
    None for the per-image stable cut."""
    settings = [*thresholds, None]
    scores = {(v, t): ([], []) for v in VIEWS for t in settings}
    for rgb, truth in cases:
        for views in VIEWS:
            prob = predict_probabilities(trained, [rgb], views=views)[0]
            for t in settings:
                if t is None:
                    mask = postprocess(cut_probability(prob, cut="stable"))
                else:
                    mask = postprocess(cut_probability(prob, cut="fixed", threshold=t))
                scores[views, t][0].append(dice(mask, truth))
                scores[views, t][1].append(jaccard(mask, truth))
    rows = [
        {
            "views": v,
            "cut": "fixed" if t is not None else "stable",
            "threshold": t,
            **per_image_summary(np.array(d), np.array(j)),
        }
        for (v, t), (d, j) in scores.items()
    ]
    best = max(
        rows,
        key=lambda r: (
            round(r["thresholded_jaccard"], 4),
            -r["views"],
            r["cut"] == "fixed",
            -abs((r["threshold"] or 0.5) - 0.5),
        ),
    )
    return best, rows


def _cut(row: dict) -> str:
    return "stable" if row["cut"] == "stable" else f"{row['threshold']:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, required=True, help="a train_segmenter checkpoint")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
    )
    parser.add_argument("--limit", type=int, help="first N images (a quick look)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, help="write the checkpoint with the chosen settings")
    args = parser.parse_args(argv)
    if any(not 0 < t < 1 for t in args.thresholds):
        parser.error("thresholds must be between 0 and 1")
    torch.set_num_threads(args.threads)
    try:
        trained = load_checkpoint(args.weights.read_bytes())
    except (OSError, ValueError) as exc:
        parser.error(f"cannot use {args.weights}: {exc}")
    pairs = folder_pairs(args.data / "isic2018-task1" / "test")[: args.limit]
    cases = (read_pair(image, mask) for image, mask in pairs)
    best, rows = choose(trained, cases, sorted(args.thresholds))
    print(f"ISIC 2018 Task 1 test/, {best['images']} images at their own size")
    print("| views | cut | Dice mean | Jaccard mean | thresholded Jaccard | below 0.65 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['views']} | {_cut(r)} "
            f"| {r['dice_mean']:.4f} | {r['jaccard_mean']:.4f} "
            f"| {r['thresholded_jaccard']:.4f} | {100 * r['below_065']:.1f}% |"
        )
    print(f"chosen: {best['views']} views, cut {_cut(best)}")
    if args.out:
        config = SegmenterConfig.from_dict(
            {
                **trained.config.as_dict(),
                "cut": best["cut"],
                "threshold": best["threshold"] or trained.config.threshold,
                "views": best["views"],
            }
        )
        trained.config = config
        trained.metrics["inference_choice"] = {"set": "isic2018-task1/test", "rows": rows}
        write_bundle(checkpoint_payload(trained), args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
