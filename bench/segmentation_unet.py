"""Benchmark: U-Net lesion segmentation vs the classical segmenter on held-out HAM10000 images.

Trains on ham10000-small plus most of ham10000-fullres, holds out whole lesions (every image of
a held-out lesion_id) of ham10000-fullres, and reports Dice/Jaccard at 600x450.

    .venv/bin/python bench/segmentation_unet.py --epochs 25 --image-size 128
"""

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from synthesis.ml.metrics import dice, jaccard  # noqa: E402
from synthesis.ml.segmentation_classical import segment_lesion  # noqa: E402
from synthesis.ml.segmentation_inference import predict_mask, predict_masks  # noqa: E402
from synthesis.ml.segmentation_training import (  # noqa: E402
    SegmenterConfig,
    save_checkpoint,
    train_segmenter,
)

Pair = tuple[np.ndarray, np.ndarray]


def _lesions(folder: Path) -> dict[str, str]:
    with open(folder / "HAM10000_metadata_subset.csv", newline="") as fh:
        return {row["image_id"]: row["lesion_id"] for row in csv.DictReader(fh)}


def _load(image_path: Path, mask_path: Path) -> Pair:
    rgb = np.asarray(Image.open(image_path).convert("RGB"))
    mask = np.asarray(Image.open(mask_path).convert("L")) >= 128
    return rgb, mask


def load_data(data: Path, held_out: int, seed: int) -> tuple[list[Pair], list[Pair], list[str]]:
    """(training pairs, held-out full-res pairs, held-out ids); no lesion is on both sides."""
    full, small = data / "ham10000-fullres", data / "ham10000-small"
    full_lesions, small_lesions = _lesions(full), _lesions(small)
    full_ids = sorted(p.stem for p in (full / "images").glob("*.jpg"))
    order = np.random.default_rng(seed).permutation(len(full_ids))
    test_ids = sorted(full_ids[i] for i in order[:held_out])
    test_lesions = {full_lesions[i] for i in test_ids}

    def mask_of(folder: Path, image_id: str) -> Path:
        return folder / f"{image_id}_segmentation.png"

    train, test = [], []
    for image_id in full_ids:
        pair = _load(full / "images" / f"{image_id}.jpg", mask_of(full / "masks", image_id))
        if image_id in test_ids:
            test.append(pair)
        elif full_lesions[image_id] not in test_lesions:
            train.append(pair)
    for path in sorted((small / "images").glob("*.jpg")):
        if small_lesions[path.stem] not in test_lesions:
            train.append(_load(path, mask_of(small / "masks_200x150", path.stem)))
    return train, test, test_ids


def summarise(name: str, preds: list[np.ndarray], truths: list[np.ndarray]) -> dict[str, float]:
    dices = [dice(p, t) for p, t in zip(preds, truths, strict=True)]
    jaccards = [jaccard(p, t) for p, t in zip(preds, truths, strict=True)]
    # ISIC 2018 Task 1 scored a per-image Jaccard below 0.65 as 0.
    thresholded = [j if j >= 0.65 else 0.0 for j in jaccards]
    row = {
        "dice_mean": float(np.mean(dices)),
        "dice_median": float(statistics.median(dices)),
        "jaccard_mean": float(np.mean(jaccards)),
        "jaccard_median": float(statistics.median(jaccards)),
        "jaccard_thresholded": float(np.mean(thresholded)),
        "dice_min": float(np.min(dices)),
    }
    print(
        f"{name:<10} Dice mean {row['dice_mean']:.3f} median {row['dice_median']:.3f} "
        f"min {row['dice_min']:.3f} | Jaccard mean {row['jaccard_mean']:.3f} "
        f"median {row['jaccard_median']:.3f} thresholded(ISIC) {row['jaccard_thresholded']:.3f}"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--held-out", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    # The machine is shared: with the other core busy, 2 threads ran 2-3x slower per step than 1.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", type=Path, help="write the trained checkpoint here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train, test, test_ids = load_data(args.data, args.held_out, args.seed)
    print(f"training pool {len(train)} pairs; held out {len(test)} full-res images")
    config = SegmenterConfig(
        image_size=args.image_size,
        base_channels=args.base_channels,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        val_fraction=0.1,
        seed=args.seed,
    )
    print("config", config.as_dict())

    def report(record: dict) -> None:
        val = "-" if record["val_dice"] is None else f"{record['val_dice']:.3f}"
        print(
            f"  epoch {record['epoch']:>3}/{record['epochs']} step {record['step']:>5} "
            f"loss {record['loss']:.4f} val_dice {val}",
            flush=True,
        )

    trained = train_segmenter(train, config, progress=report)
    m = trained.metrics
    seen = m["steps"] * config.batch_size
    print(
        f"trained on {m['train_size']} (val {m['val_size']}) for {m['epochs_run']} epochs on "
        f"{m['device']} in {m['wall_seconds']:.0f} s: {seen / m['wall_seconds']:.1f} images/s "
        f"(incl. validation); best val Dice {m['val_dice']:.3f} at epoch {m['best_epoch']}"
    )
    if args.save:
        with open(args.save, "wb") as fh:
            save_checkpoint(trained, fh)

    truths = [mask for _, mask in test]
    images = [rgb for rgb, _ in test]
    model = trained.build_model()
    predict_mask(model, images[0], image_size=config.image_size)  # warm-up
    latencies, unet_preds = [], []
    for rgb in images:
        started = time.perf_counter()
        unet_preds.append(predict_mask(model, rgb, image_size=config.image_size))
        latencies.append(time.perf_counter() - started)
    batched = predict_masks(model, images, image_size=config.image_size)
    assert all(np.array_equal(a, b) for a, b in zip(batched, unet_preds, strict=True))
    classical_latencies, classical_preds = [], []
    for rgb in images:
        started = time.perf_counter()
        classical_preds.append(segment_lesion(rgb))
        classical_latencies.append(time.perf_counter() - started)

    print(f"\nheld-out {len(test)} full-res images (600x450): {' '.join(test_ids)}")
    unet = summarise("U-Net", unet_preds, truths)
    classical = summarise("classical", classical_preds, truths)
    raw = predict_masks(model, images, image_size=config.image_size, postprocess=False)
    summarise("U-Net raw", raw, truths)
    print(
        f"latency per 600x450 image: U-Net {1000 * statistics.median(latencies):.0f} ms, "
        f"classical {1000 * statistics.median(classical_latencies):.0f} ms (median, "
        f"{args.threads} threads)"
    )
    wins = sum(
        dice(u, t) > dice(c, t) for u, c, t in zip(unet_preds, classical_preds, truths, strict=True)
    )
    print(
        f"U-Net better on {wins}/{len(test)} images; Dice gain "
        f"{unet['dice_mean'] - classical['dice_mean']:+.3f}"
    )


if __name__ == "__main__":
    main()
