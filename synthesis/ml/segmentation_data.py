"""Image/mask folders (`images/<id>.jpg`, `masks/<id>_segmentation.png`, the ISIC 2018 Task 1
layout) read once at a reduced size into a NumPy cache, so a training epoch costs no decoding."""

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def folder_pairs(folder: str | Path) -> list[tuple[Path, Path]]:
    """(image, mask) paths of a folder in id order; a missing mask is an error, not a skip."""
    folder = Path(folder)
    images_dir, masks_dir = folder / "images", folder / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise ValueError(f"{folder} needs images/ and masks/ subfolders")
    pairs = []
    for image in sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        candidates = [masks_dir / f"{image.stem}_segmentation.png", masks_dir / f"{image.stem}.png"]
        mask = next((c for c in candidates if c.exists()), None)
        if mask is None:
            raise ValueError(f"no mask for {image.name} in {masks_dir}")
        pairs.append((image, mask))
    if not pairs:
        raise ValueError(f"no images in {images_dir}")
    return pairs


def read_pair(image: Path, mask: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 HxWx3 RGB and bool HxW mask (threshold at half), checked to be the same size."""
    with Image.open(image) as im:
        rgb = np.asarray(im.convert("RGB"))
    with Image.open(mask) as m:
        truth = np.asarray(m.convert("L")) >= 128
    if truth.shape != rgb.shape[:2]:
        raise ValueError(f"{mask.name} is {truth.shape[::-1]}, its image {rgb.shape[1::-1]}")
    return rgb, truth


def resize_rgb(rgb: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR))


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    small = Image.fromarray(mask.astype(np.uint8) * 255).resize(
        (size, size), Image.Resampling.BILINEAR
    )
    return np.asarray(small) >= 128


def _cache_key(pairs: list[tuple[Path, Path]], size: int, mask_size: int) -> str:
    digest = hashlib.sha256(f"v1 {size} {mask_size}".encode())
    for image, mask in pairs:
        for path in (image, mask):
            stat = path.stat()
            digest.update(f"{path.name} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def load_folder(
    folder: str | Path, size: int, *, mask_size: int | None = None, cache_dir: str | Path | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, size, size, 3) uint8 images, (N, m, m) bool masks at mask_size (default size), ids.

    With cache_dir the arrays are written once as .npz and reused while the files are unchanged.
    """
    pairs = folder_pairs(folder)
    mask_size = mask_size or size
    ids = [image.stem for image, _ in pairs]
    cache = None
    if cache_dir is not None:
        key = _cache_key(pairs, size, mask_size)
        cache = Path(cache_dir) / f"seg-{Path(folder).name}-{size}-{mask_size}-{key}.npz"
        if cache.exists():
            with np.load(cache) as data:
                return data["images"], data["masks"], ids
    images = np.empty((len(pairs), size, size, 3), dtype=np.uint8)
    masks = np.empty((len(pairs), mask_size, mask_size), dtype=bool)
    for index, (image_path, mask_path) in enumerate(pairs):
        rgb, truth = read_pair(image_path, mask_path)
        images[index] = resize_rgb(rgb, size)
        masks[index] = resize_mask(truth, mask_size)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, masks=masks)
        tmp.replace(cache)
    return images, masks, ids
