"""Illumination of a photograph before its skin is read: greyscale, neutral references, casts.

Colour constancy here is deliberately narrow. Grey-world and its relatives (shades of grey,
Finlayson & Trezzi 2004; grey edge, van de Weijer et al. 2007) assume the scene averages to
grey; a close-up of skin does not, and in optical density the melanin direction is almost
parallel to a shift along the Planckian locus (skin_optics.cast_basis), so they would remove
the very colour we measure, most of all on dark skin. We therefore:
1. correct white balance only from a neutral reference in the frame (paper, gauze, a white
   ruler, a wall): a large, smooth, unclipped region that is brighter than the skin by at least
   half a stop (ln 0.4) and clearly less warm than it (20 mired) -- a highlight on skin fails
   the size and smoothness tests, light skin fails the warmth test;
2. otherwise keep the camera's white balance and let the skin-colour posterior carry its
   uncertainty (skin_optics.ColourPriors), reporting the cast it implies;
3. take from the brightest large neutral region, clipped or not, a floor on the exposure: no
   diffuse surface reflects more than about 95%, so if it reads y, exposure is at least y/0.95.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from synthesis.ml.skin_optics import chroma_basis, mired_per_chroma_unit

GREYSCALE_MAX_DIFF = 3  # uint8 levels between channels
GREYSCALE_SHARE = 0.98  # share of pixels that must be grey for the image to count as greyscale
CLIP_LEVEL = 254  # uint8: at the top code value (one level for JPEG rounding) a channel is clipped
MAX_WHITE_REFLECTANCE = 0.95
_REF_MIN_SHARE = 0.005  # a reference covers at least 0.5% of the frame
_REF_BRIGHTER_LN = 0.4  # ... is at least this much brighter than the skin (ln units)
_REF_COOLER = 20.0 / mired_per_chroma_unit()  # ... and this much less warm (20 mired)
_REF_MAX_TINT = 0.08  # ... with little green-magenta tint
_REF_MAX_CAST = 40.0 / mired_per_chroma_unit()  # beyond: a coloured object (a beige wall)
_REF_SMOOTH_LN = 0.06  # local standard deviation of ln brightness (paper is smooth)


def is_greyscale(rgb: np.ndarray) -> bool:
    """True when (nearly) every pixel has equal channels: a greyscale photograph."""
    rgb = rgb.astype(np.int16)
    diff = np.maximum(np.abs(rgb[..., 0] - rgb[..., 1]), np.abs(rgb[..., 2] - rgb[..., 1]))
    return float((diff <= GREYSCALE_MAX_DIFF).mean()) >= GREYSCALE_SHARE


@dataclass(frozen=True)
class Illumination:
    """What was found and done: the chroma offset removed and the exposure floor proved."""

    method: str  # "neutral-reference" or "camera"
    chroma_offset: np.ndarray  # (2,) removed from every pixel's chromaticity
    reference_share: float  # share of the frame used as the neutral reference
    exposure_floor: float | None  # ln exposure proved by a white region, or None

    @property
    def cast_mired(self) -> float:
        """Cast of the light relative to D65 along the Planckian locus (+: warmer)."""
        return float(self.chroma_offset[0]) * mired_per_chroma_unit()

    @property
    def tint(self) -> float:
        return float(self.chroma_offset[1])

    def correct(self, ln_rgb: np.ndarray) -> np.ndarray:
        """ln linear RGB with the cast removed (shading and exposure untouched)."""
        return ln_rgb - (self.chroma_offset @ chroma_basis()).astype(ln_rgb.dtype)

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "cast_mired": round(self.cast_mired, 1),
            "tint": round(self.tint, 4),
            "reference_share": round(self.reference_share, 4),
            "exposure_floor_ln": None
            if self.exposure_floor is None
            else round(self.exposure_floor, 3),
        }


def _smooth(ln_y: np.ndarray) -> np.ndarray:
    mean = ndi.uniform_filter(ln_y, 5)
    var = np.maximum(ndi.uniform_filter(ln_y * ln_y, 5) - mean * mean, 0.0)
    return np.sqrt(var) <= _REF_SMOOTH_LN


def _large(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    labels, n = ndi.label(mask)
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[labels]


def find_illumination(
    chroma: np.ndarray,
    ln_y: np.ndarray,
    clipped: np.ndarray,
    usable: np.ndarray,
    skin_chroma: np.ndarray,
    skin_ln_y: float,
) -> Illumination:
    """Look for a neutral reference given a first guess of the skin's colour and brightness."""
    min_pixels = max(20, int(_REF_MIN_SHARE * ln_y.size))
    smooth = _smooth(ln_y)
    bright = ln_y >= skin_ln_y + _REF_BRIGHTER_LN
    neutral = (
        (chroma[..., 0] <= skin_chroma[0] - _REF_COOLER)
        & (np.abs(chroma[..., 0]) <= _REF_MAX_CAST)
        & (np.abs(chroma[..., 1]) <= _REF_MAX_TINT)
    )
    reference = _large(usable & ~clipped & bright & neutral & smooth, min_pixels)
    offset, share, method = np.zeros(2), 0.0, "camera"
    if reference.sum() >= min_pixels:
        offset = np.median(chroma[reference], axis=0)
        share = float(reference.mean())
        method = "neutral-reference"
    # Exposure floor: the brightest large white-ish region, clipped pixels included (their
    # chroma is lost but their brightness is a lower bound).
    white = _large((reference | (clipped & bright & smooth)), min_pixels)
    floor = None
    if white.sum() >= min_pixels:
        floor = float(np.percentile(ln_y[white], 50)) - float(np.log(MAX_WHITE_REFLECTANCE))
    return Illumination(
        method=method, chroma_offset=offset, reference_share=share, exposure_floor=floor
    )
