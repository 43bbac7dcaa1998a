"""Training on image/mask folders (how the shipped weights are made): cached reduced-size
arrays in, a checkpoint file out."""

from collections.abc import Callable
from pathlib import Path

import torch

from synthesis.ml.bundles import write_bundle
from synthesis.ml.segmentation_config import SegmenterConfig
from synthesis.ml.segmentation_data import load_folder
from synthesis.ml.segmentation_training import (
    TrainedSegmenter,
    checkpoint_payload,
    train_segmenter,
)

# Validation masks are kept at twice the input size: closer to the full-resolution score than
# scoring at the input size, at a quarter of the cost of 512 px.
VAL_MASK_SCALE = 2


def train_on_folders(
    train_dir: str | Path,
    val_dir: str | Path,
    config: dict,
    *,
    out: str | Path,
    cache_dir: str | Path | None,
    device: str | torch.device | None = None,
    progress: Callable[[dict], None] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainedSegmenter:
    """Train on train_dir, keep the epoch with the best Dice on val_dir, write it to `out`
    (and each new best to `out`.partial while it runs)."""
    settings = SegmenterConfig.from_dict(config)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    size = settings.image_size
    images, masks, ids = load_folder(train_dir, size, cache_dir=cache_dir)
    val_images, val_masks, val_ids = load_folder(
        val_dir, size, mask_size=size * VAL_MASK_SCALE, cache_dir=cache_dir
    )
    trained = train_segmenter(
        list(zip(images, masks, strict=True)),
        settings,
        val_pairs=list(zip(val_images, val_masks, strict=True)),
        device=device,
        progress=progress,
        on_step=on_step,
        on_best=lambda partial: write_bundle(checkpoint_payload(partial), f"{out}.partial"),
    )
    trained.metrics.update(
        train_dir=str(train_dir),
        val_dir=str(val_dir),
        train_ids_count=len(ids),
        val_ids_count=len(val_ids),
    )
    write_bundle(checkpoint_payload(trained), out)
    return trained
