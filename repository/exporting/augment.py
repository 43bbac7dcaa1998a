"""Training augmentations for imperfect images: noise, blur, random crop, JPEG quality.

Each image's parameters are drawn from the export's seed and the row's uid, so the same seed
gives the same files, whatever else is in the export; the parameters go into the metadata."""

import hashlib
import io

import numpy as np
from PIL import Image, ImageFilter

KINDS = ("crop", "blur", "noise", "jpeg")  # applied in this order


def rng_for(seed: int, uid: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{uid}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def draw(kinds, *, seed: int, uid: str, size: tuple[int, int]) -> dict:
    """The parameters for one image; empty when no augmentation was asked for."""
    kinds = [k for k in KINDS if k in set(kinds)]
    if not kinds:
        return {}
    rng = rng_for(seed, uid)
    width, height = size
    params: dict = {"seed": seed, "order": kinds}
    # Draw every parameter whatever is asked, so adding one kind does not change the others.
    scale = float(rng.uniform(0.8, 0.95))
    fx, fy = float(rng.random()), float(rng.random())
    radius = round(float(rng.uniform(0.5, 2.0)), 3)
    sigma = round(float(rng.uniform(2.0, 12.0)), 3)
    noise_seed = int(rng.integers(0, 2**31 - 1))
    quality = int(rng.integers(30, 91))
    if "crop" in kinds:
        cw, ch = max(1, round(width * scale)), max(1, round(height * scale))
        left, top = round((width - cw) * fx), round((height - ch) * fy)
        params["crop"] = {"box": [left, top, left + cw, top + ch], "from_size": [width, height]}
    if "blur" in kinds:
        params["blur"] = {"gaussian_radius": radius}
    if "noise" in kinds:
        params["noise"] = {"gaussian_sigma": sigma, "noise_seed": noise_seed}
    if "jpeg" in kinds:
        params["jpeg"] = {"quality": quality}
    return params


def apply(data: bytes, params: dict, *, extension: str) -> tuple[bytes, str, tuple[int, int]]:
    """Augmented image bytes, their extension and size. PNG stays PNG unless `jpeg` was drawn;
    other JPEGs are written at quality 95."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    if "crop" in params:
        image = image.crop(tuple(params["crop"]["box"]))
    if "blur" in params:
        image = image.filter(ImageFilter.GaussianBlur(params["blur"]["gaussian_radius"]))
    if "noise" in params:
        noise_rng = np.random.default_rng(params["noise"]["noise_seed"])
        pixels = np.asarray(image, dtype=np.float32)
        pixels = pixels + noise_rng.normal(0.0, params["noise"]["gaussian_sigma"], pixels.shape)
        image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    out = io.BytesIO()
    if "jpeg" in params or extension in ("jpg", "jpeg"):
        quality = params["jpeg"]["quality"] if "jpeg" in params else 95
        image.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
        extension = "jpg"
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue(), extension, image.size


def apply_to_mask(data: bytes, params: dict) -> bytes:
    """Masks follow the geometry (the crop) only."""
    if "crop" not in params:
        return data
    with Image.open(io.BytesIO(data)) as opened:
        mask = opened.crop(tuple(params["crop"]["box"]))
        out = io.BytesIO()
        mask.save(out, "PNG", optimize=False)
    return out.getvalue()
