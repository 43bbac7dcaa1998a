"""Labelled image records, the lesion-grouped stratified split, and image tensors for training."""

import csv
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms.v2 import functional as TF

from synthesis.ml.classifier.tasks import label_index
from synthesis.ml.fitzpatrick import group_of, parse_type_or_group

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True, eq=False)
class LabelledImage:
    """One image with its labels. A synthetic image carries the lesion_id of its real source."""

    record_id: str
    image: "str | Path | np.ndarray | Image.Image"
    dx: str | None = None
    malignant: int | None = None
    lesion_id: str | None = None
    fitzpatrick: int | None = None
    fitzpatrick_group: str | None = None
    synthetic: bool = False

    def __post_init__(self):
        if self.fitzpatrick is not None and self.fitzpatrick_group is None:
            object.__setattr__(self, "fitzpatrick_group", group_of(self.fitzpatrick))

    def label(self, task) -> int:
        return label_index(task, dx=self.dx, malignant=self.malignant)

    @property
    def stratum(self) -> str:
        return self.dx if self.dx is not None else f"malignant={self.malignant}"


@dataclass(frozen=True)
class Split:
    """Record ids per part. Synthetic images of a held-out lesion are excluded, never trained on."""

    seed: int
    test_fraction: float
    train: tuple[str, ...]
    test: tuple[str, ...]
    excluded: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "train": list(self.train),
            "test": list(self.test),
            "excluded": list(self.excluded),
        }


def split_records(records, *, seed: int, test_fraction: float = 0.2) -> Split:
    """Stratified (by diagnosis) split of the real images, whole lesions on one side only.

    The test part depends on the real records and the seed alone, so adding synthetic images
    only adds to the training part: real-only and real+synthetic models meet the same test.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    ids = Counter(r.record_id for r in records)
    duplicates = sorted(k for k, n in ids.items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate record ids: {', '.join(duplicates[:5])}")
    lesions: dict[str, list] = defaultdict(list)
    for r in records:
        if not r.synthetic:
            lesions[r.lesion_id or f"record:{r.record_id}"].append(r)
    strata: dict[str, list[str]] = defaultdict(list)
    for key, members in lesions.items():
        # A lesion with mixed labels goes by its most common one (ties: alphabetical).
        counts = Counter(m.stratum for m in members)
        strata[min(counts, key=lambda s: (-counts[s], s))].append(key)
    test_lesions = set()
    for stratum, keys in strata.items():
        keys.sort()
        n_test = min(max(round(len(keys) * test_fraction), 1), len(keys) - 1)
        rng = np.random.default_rng([seed, zlib.crc32(stratum.encode())])
        test_lesions.update(keys[i] for i in rng.permutation(len(keys))[:n_test])
    train, test, excluded = [], [], []
    for r in records:
        lesion = r.lesion_id or f"record:{r.record_id}"
        if r.synthetic:
            (excluded if r.lesion_id in test_lesions else train).append(r.record_id)
        else:
            (test if lesion in test_lesions else train).append(r.record_id)
    return Split(
        seed, test_fraction, tuple(sorted(train)), tuple(sorted(test)), tuple(sorted(excluded))
    )


def load_rgb(image) -> Image.Image:
    """A path, PIL image or HxWx3 uint8 array -> RGB PIL image; ValueError naming what failed."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image array must be HxWx3, got shape {image.shape}")
        return Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    try:
        with Image.open(image) as img:
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"cannot decode image {Path(image).name}: {exc}") from exc


def square_uint8(image, size: int) -> torch.Tensor:
    """Resize the shorter side to `size`, centre-crop a square: 3xSxS uint8 tensor."""
    img = load_rgb(image)
    scale = size / min(img.size)
    w, h = max(size, round(img.width * scale)), max(size, round(img.height * scale))
    img = img.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    left, top = (w - size) // 2, (h - size) // 2
    img = img.crop((left, top, left + size, top + size))
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)


def load_images(images, size: int) -> torch.Tensor:
    """Decode and square a list of images (or records) once: Nx3xSxS uint8."""
    tensors = [square_uint8(getattr(im, "image", im), size) for im in images]
    if not tensors:
        return torch.empty((0, 3, size, size), dtype=torch.uint8)
    return torch.stack(tensors)


def normalise(batch: torch.Tensor, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> torch.Tensor:
    """uint8 or 0..1 float batch -> normalised float32."""
    x = batch.float() / 255.0 if batch.dtype == torch.uint8 else batch.float()
    mean_t = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    std_t = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean_t) / std_t


def augment(batch: torch.Tensor, generator: torch.Generator, *, min_scale: float = 0.75):
    """Flips, quarter turns and a random resized crop; no colour jitter (tone is the subject)."""
    n, _, size, _ = batch.shape
    out = []
    draws = torch.rand((n, 6), generator=generator)
    for img, (flip_h, flip_v, turn, scale, py, px) in zip(batch, draws.tolist(), strict=True):
        # Crop area is min_scale..1 of the image; position uniform over what is left.
        side = min(size, max(8, round(size * (min_scale + (1.0 - min_scale) * scale) ** 0.5)))
        top, left = int(py * (size - side + 1)), int(px * (size - side + 1))
        img = TF.resized_crop(img, top, left, side, side, [size, size], antialias=True)
        if flip_h < 0.5:
            img = img.flip(-1)
        if flip_v < 0.5:
            img = img.flip(-2)
        out.append(torch.rot90(img, int(turn * 4) % 4, dims=(-2, -1)))
    return torch.stack(out)


def records_from_metadata(
    csv_path, images_dir, *, default_fitzpatrick: int | None = None
) -> list[LabelledImage]:
    """HAM10000-style metadata.csv (lesion_id, image_id, dx, optional fitzpatrick) -> records."""
    images_dir = Path(images_dir)
    records = []
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            path = next(
                (
                    images_dir / f"{row['image_id']}{s}"
                    for s in IMAGE_SUFFIXES
                    if (images_dir / f"{row['image_id']}{s}").is_file()
                ),
                None,
            )
            if path is None:
                raise ValueError(f"no image file for {row['image_id']} in {images_dir}")
            skin_type, group = default_fitzpatrick, None
            if (row.get("fitzpatrick") or "").strip():
                skin_type, group = parse_type_or_group(row["fitzpatrick"])
            records.append(
                LabelledImage(
                    record_id=row["image_id"],
                    image=path,
                    dx=row["dx"].strip().lower(),
                    lesion_id=row.get("lesion_id") or None,
                    fitzpatrick=skin_type,
                    fitzpatrick_group=group,
                )
            )
    return records
