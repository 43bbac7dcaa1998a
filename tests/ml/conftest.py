"""Shipped demo images and their expert masks as NumPy arrays, for the ml tests."""

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DEMO_DIR = Path(__file__).resolve().parents[2] / "repository" / "demo_data"
FULL_RES_ID = "ISIC_0024306"  # 600x450 naevus on light skin with a clearly darker lesion
SMALL_ID = "ISIC_0024973"  # one of the 200x150 images


@cache
def load_pair(image_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 HxWx3 image, bool HxW mask), read-only so no test can alter the cached copy."""
    rgb = np.asarray(Image.open(DEMO_DIR / "images" / f"{image_id}.jpg").convert("RGB"))
    mask = np.asarray(Image.open(DEMO_DIR / "masks" / f"{image_id}.png").convert("L")) >= 128
    rgb.flags.writeable = False
    mask.flags.writeable = False
    return rgb, mask


def demo_pairs() -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(image_id, rgb, mask) for every demo image, in file-name order."""
    for path in sorted((DEMO_DIR / "images").glob("ISIC_*.jpg")):
        yield (path.stem, *load_pair(path.stem))


@pytest.fixture(scope="session")
def demo_set() -> list[tuple[str, np.ndarray, np.ndarray]]:
    pairs = list(demo_pairs())
    assert len(pairs) == 35, "the shipped demo set should hold 35 images"
    return pairs


@pytest.fixture(scope="session")
def full_res_pair() -> tuple[np.ndarray, np.ndarray]:
    return load_pair(FULL_RES_ID)


@pytest.fixture(scope="session")
def small_pair() -> tuple[np.ndarray, np.ndarray]:
    return load_pair(SMALL_ID)
