"""Shipped demo images and masks for the tone-transfer tests (loaded once per session)."""

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"

# Full-resolution demo images with varied skin (pink, bluish cast, beige with hair, tan) and a
# lesion darker than the skin around it.
TONE_CASES = ("ISIC_0024306", "ISIC_0024312", "ISIC_0024331", "ISIC_0024318")
SMALL_CASE = "ISIC_0024973"  # one of the 200x150 demo images


@cache
def demo_case(image_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 HxWx3 image, bool HxW lesion mask); read-only so tests cannot alter the cache."""
    rgb = np.asarray(Image.open(DEMO / "images" / f"{image_id}.jpg").convert("RGB"))
    mask = np.asarray(Image.open(DEMO / "masks" / f"{image_id}.png").convert("L")) > 127
    rgb.flags.writeable = False
    mask.flags.writeable = False
    return rgb, mask


def skin_patch(rgb: np.ndarray, mask: np.ndarray, size: int = 64) -> np.ndarray:
    """The lesion-free window whose darkest tenth is brightest (so no hair, no vignette)."""
    height, width = mask.shape
    best, best_score = None, -1.0
    for y in range(0, height - size, size // 2):
        for x in range(0, width - size, size // 2):
            if mask[y : y + size, x : x + size].any():
                continue
            window = rgb[y : y + size, x : x + size]
            score = float(np.percentile(window.mean(axis=2), 10))
            if score > best_score:
                best, best_score = window, score
    if best is None:
        raise AssertionError("no lesion-free patch in this image")
    return np.ascontiguousarray(best)
