"""Renders with known answers for the skin-tone bench and tests (plain NumPy, no Django).

- recolour_skin: skin of a known melanin and blood fraction with a real image's texture, hair
  and lesion: every pixel keeps its ln-RGB offset from the healthy skin's median, and the
  median becomes the model's colour, so the answer (standard ITA, melanin index) is exact;
- add_melanin: more epidermal melanin through the skin model (skin_optics): the body
  reflection above the surface reflection is filtered by the model's epidermal transmission,
  integrated over the sRGB bands, so hair, blood, shading and texture are kept;
- apply_cast / apply_exposure: a white-balance error along the Planckian locus (plus tint) and
  an exposure change, as per-channel gains on linear RGB;
- clinical_composite: a skin crop laid on a clinical-looking background (paper, wall, drape,
  ruler, clothing), the way a close-up clinical photograph frames skin.
"""

from __future__ import annotations

import numpy as np

from synthesis.ml.color import linear_to_srgb, srgb_to_linear, to_uint8
from synthesis.ml.skin_optics import (
    REFERENCE_BLOOD,
    REFLECTANCE_MODELS,
    SKIN_MODEL,
    chroma_basis,
    mired_per_chroma_unit,
    spectrum_to_linear_rgb,
)

BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "white paper": (238, 238, 232),
    "grey-white wall": (214, 212, 206),
    "beige wall": (222, 206, 178),
    "blue drape": (60, 110, 160),
    "green drape": (70, 130, 110),
    "navy clothing": (40, 45, 80),
    "red clothing": (170, 35, 45),
    "grey clothing": (120, 120, 118),
    "khaki clothing": (190, 180, 140),
    "wood": (150, 105, 65),
}


def band_transmission(
    added_melanin: float, base_melanin: float = 0.02, *, model: str = SKIN_MODEL
) -> np.ndarray:
    """Per-channel factor by which the body reflection of skin at base_melanin falls when
    added_melanin (melanosome volume fraction) is added: the model's bands, no surface."""
    reflectance = REFLECTANCE_MODELS[model]
    before = spectrum_to_linear_rgb(reflectance(base_melanin, REFERENCE_BLOOD, 0.0))
    after = spectrum_to_linear_rgb(reflectance(base_melanin + added_melanin, REFERENCE_BLOOD, 0.0))
    return after / before


def add_melanin(
    rgb: np.ndarray,
    added_melanin: float,
    *,
    where: np.ndarray | None = None,
    surface: float = 0.02,
) -> np.ndarray:
    """uint8 image with added_melanin more melanosome fraction in the skin (where: bool mask
    of the pixels that are skin; default all)."""
    linear = srgb_to_linear(rgb)
    body = np.maximum(linear - surface, 0.0)
    out = np.minimum(linear, surface) + body * band_transmission(added_melanin).astype(np.float32)
    if where is not None:
        out = np.where(where[..., None], out, linear)
    return to_uint8(linear_to_srgb(out))


def recolour_skin(
    rgb: np.ndarray,
    healthy: np.ndarray,
    melanin: float,
    blood: float = REFERENCE_BLOOD,
    *,
    surface: float = 0.02,
    model: str = SKIN_MODEL,
) -> np.ndarray:
    """uint8 image whose healthy skin (bool mask) has the colour of (melanin, blood) in
    `model` (skin_optics.REFLECTANCE_MODELS); texture, hair and lesion keep their contrast."""
    ln = np.log(np.maximum(srgb_to_linear(rgb), 1e-4))
    offset = ln - np.median(ln[healthy], axis=0)
    target = np.log(spectrum_to_linear_rgb(REFLECTANCE_MODELS[model](melanin, blood, surface)))
    return to_uint8(linear_to_srgb(np.exp(offset + target.astype(np.float32))))


def cast_gains(mired: float, tint: float = 0.0) -> np.ndarray:
    """Per-channel linear gains of a white-balance error (+mired: warmer light)."""
    offset = np.array([mired / mired_per_chroma_unit(), tint]) @ chroma_basis()
    return np.exp(offset)


def apply_cast(rgb: np.ndarray, mired: float, tint: float = 0.0, stops: float = 0.0) -> np.ndarray:
    """uint8 image under a cast and an exposure change (stops: +1 doubles the light)."""
    gains = cast_gains(mired, tint) * 2.0**stops
    return to_uint8(linear_to_srgb(srgb_to_linear(rgb) * gains.astype(np.float32)))


def _texture(shape: tuple[int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
    noise = rng.normal(0.0, amount, size=shape).astype(np.float32)
    return noise


def clinical_composite(
    skin: np.ndarray,
    background: str,
    *,
    size: tuple[int, int] = (600, 450),
    skin_share: float = 0.55,
    ruler: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 image, bool mask of where the skin crop lies) on a named background."""
    rng = np.random.default_rng(seed)
    width, height = size
    colour = np.array(BACKGROUNDS[background], dtype=np.float32)
    canvas = colour[None, None, :] + _texture((height, width, 1), rng, 3.0)
    canvas = np.clip(canvas, 0, 255)
    # The skin crop keeps its aspect ratio and covers skin_share of the frame, off-centre a
    # little, the way a hand-held close-up frames a limb.
    scale = np.sqrt(skin_share * width * height / (skin.shape[0] * skin.shape[1]))
    sh, sw = min(height, int(skin.shape[0] * scale)), min(width, int(skin.shape[1] * scale))
    from PIL import Image

    crop = np.asarray(Image.fromarray(skin).resize((sw, sh), Image.BILINEAR), dtype=np.float32)
    top = int(rng.integers(0, max(1, height - sh + 1)))
    left = int(rng.integers(0, max(1, width - sw + 1)))
    canvas[top : top + sh, left : left + sw] = crop
    where = np.zeros((height, width), bool)
    where[top : top + sh, left : left + sw] = True
    if ruler:
        strip = slice(max(0, height - 40), height)
        canvas[strip] = 240.0
        canvas[strip, ::12] = 20.0
        canvas[max(0, height - 40) : max(0, height - 25), ::60] = 20.0
        where[strip] = False
    return canvas.round().astype(np.uint8), where
