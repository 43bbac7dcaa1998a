"""Training records held in memory, batched by step so a resumed run sees the same batches."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .conditions import ConditionSpace, normalise

DEFAULT_FITZPATRICK = 2  # HAM10000-like rows without a measured type are mostly light skin


@dataclass(frozen=True)
class ImageRecord:
    """One training image (H x W x 3 uint8) and its conditions (see conditions.normalise)."""

    rgb: np.ndarray
    conditions: Mapping


def check_rgb(rgb: object) -> np.ndarray:
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8):
        raise ValueError("an image must be a uint8 numpy array")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 8:
        raise ValueError(f"an image must be H x W x 3 with sides >= 8, got shape {rgb.shape}")
    return rgb


def square_resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """Centre square crop then resize to size x size (lesions sit near the centre)."""
    h, w = check_rgb(rgb).shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(rgb[top : top + side, left : left + side])
    return np.asarray(crop.resize((size, size), Image.Resampling.BICUBIC))


def to_tensor(rgb: np.ndarray, size: int) -> torch.Tensor:
    """uint8 H x W x 3 -> float32 3 x size x size in [-1, 1]."""
    arr = square_resize(rgb, size).astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def to_uint8(images: torch.Tensor) -> list[np.ndarray]:
    """float N x 3 x H x W in [-1, 1] -> list of H x W x 3 uint8."""
    arr = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return list(arr.permute(0, 2, 3, 1).numpy())


def records_fingerprint(records: Sequence[ImageRecord]) -> str:
    """sha256 over pixels and normalised conditions, in order: identifies a training set."""
    digest = hashlib.sha256()
    for record in records:
        rgb = check_rgb(record.rgb)
        digest.update(repr(rgb.shape).encode())
        digest.update(np.ascontiguousarray(rgb).tobytes())
        digest.update(json.dumps(normalise(record.conditions), sort_keys=True).encode())
    return digest.hexdigest()


class GanDataset:
    """All images resized once to a tensor; batches are a pure function of (seed, step)."""

    def __init__(
        self,
        records: Sequence[ImageRecord],
        space: ConditionSpace,
        image_size: int,
        *,
        flips: bool = True,
    ):
        if not records:
            raise ValueError("no training records")
        self.images = torch.stack([to_tensor(r.rgb, image_size) for r in records])
        self.cond = space.encode_many(r.conditions for r in records)
        self.flips = flips
        self._perms: dict[tuple[int, int], torch.Tensor] = {}

    def __len__(self) -> int:
        return self.images.shape[0]

    def epoch_of(self, step: int, batch_size: int) -> int:
        return step * batch_size // len(self)

    def _perm(self, seed: int, epoch: int) -> torch.Tensor:
        key = (seed, epoch)
        if key not in self._perms:
            self._perms = {k: v for k, v in self._perms.items() if k[1] >= epoch - 1}
            rng = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            self._perms[key] = torch.randperm(len(self), generator=rng)
        return self._perms[key]

    def indices(self, step: int, batch_size: int, seed: int) -> torch.Tensor:
        """Batch `step` of an endless stream of per-epoch shuffles (batches may span epochs)."""
        n, start = len(self), step * batch_size
        positions = range(start, start + batch_size)
        return torch.stack([self._perm(seed, p // n)[p % n] for p in positions])

    def batch(
        self, indices: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        images = self.images[indices]
        if self.flips:
            flip_h = torch.rand(len(indices), generator=generator) < 0.5
            flip_v = torch.rand(len(indices), generator=generator) < 0.5
            images = torch.where(flip_h[:, None, None, None], images.flip(3), images)
            images = torch.where(flip_v[:, None, None, None], images.flip(2), images)
        return images, self.cond[indices]


def read_records(
    metadata_csv: str | Path,
    image_dir: str | Path,
    *,
    default_fitzpatrick: int = DEFAULT_FITZPATRICK,
    limit: int | None = None,
) -> list[ImageRecord]:
    """Records from a HAM10000-style CSV (image_id, dx, age, sex, localization[, fitzpatrick])."""
    image_dir = Path(image_dir)
    records = []
    with open(metadata_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            matches = sorted(image_dir.glob(f"{row['image_id']}.*"))
            if not matches:
                raise ValueError(f"no image file for {row['image_id']} in {image_dir}")
            with Image.open(matches[0]) as img:
                rgb = np.asarray(img.convert("RGB"))
            fitz = (row.get("fitzpatrick") or "").strip() or default_fitzpatrick
            conditions = {
                "diagnosis": row["dx"],
                "fitzpatrick": int(float(fitz)),
                "age": row.get("age") or None,
                "sex": row.get("sex"),
                "body_site": row.get("localization"),
            }
            records.append(ImageRecord(rgb, conditions))
            if limit is not None and len(records) >= limit:
                break
    return records
