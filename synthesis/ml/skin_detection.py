"""Which pixels of a photograph are healthy skin, decided from what skin physically is.

Per pixel, in chromaticity (ln RGB with shading projected out, skin_optics.chroma_of):
- skin-like: within three standard deviations (white-balance error along the Planckian locus,
  tint, model error) of the melanin x blood surface the skin model spans. Blue ink, drapes,
  greens, khaki and saturated clothing fall outside; paper and walls fall near its light end,
  so they are left to the clustering and brightness tests below;
- usable: not clipped (glare), not near black (no chroma left), not a thin dark structure
  (hair: a grey closing of ln brightness rises above it, the hair-removal idea of DullRazor,
  Lee et al. 1997);
Per image:
- the healthy skin is the dominant cluster of usable skin-like pixels in (chromaticity,
  brightness), found as the mode of a weighted histogram (centre-weighted for clinical
  photographs, where the lesion is framed in the middle and the background at the edges),
  then trimmed by robust spread: shadows, highlights, the lesion and other discoloured skin
  fall outside it;
- the lesion and a ring around it are left out: the given mask dilated, and for clinical
  photographs also every off-cluster blob inside the skin (what an opening leaves of it: hair
  is too thin to survive), dilated by the same ring.
Dermoscopic images keep the dermoscope's field of view; nothing dermoscopic runs on a
clinical photograph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import ndimage as ndi

from synthesis.ml.skin_optics import (
    ColourPriors,
    chroma_of,
    mired_per_chroma_unit,
    skin_model_grid,
)

CLINICAL = "clinical"
DERMOSCOPIC = "dermoscopic"
MODALITIES = (CLINICAL, DERMOSCOPIC)

RING_FRACTION = 0.03  # ring left out around a lesion, as a share of the shorter side
DARK_LIMIT = 0.004  # linear G below this (sRGB ~12): noise dominates the chromaticity
_HAIR_RADIUS = 1  # px at the working size (160 px: a hair is a pixel wide or less)
_HAIR_DEPTH_LN = 0.35  # a hair pixel is this much darker (ln) than its closed surroundings
_LOCUS_SIGMAS = 3.0
_TABLE_RANGE = ((-1.5, 3.0), (-1.5, 1.0))
_TABLE_STEP = 0.025
# Cluster windows (chromaticity units, ln brightness) and trimming limits.
_BIN = np.array([0.06, 0.06, 0.3])
_WINDOW = np.array([0.3, 0.15, 0.9])
_TRIM_SIGMAS = 3.0
_TRIM_FLOOR = np.array([0.08, 0.05, 0.35])
_CENTRE_SD = 0.4  # clinical centre weighting, in half-diagonals (framing puts skin there)
# The least chromatic skin the model allows (1% melanosomes, 0.2% blood: the lightest Jacques
# reports) sits ~47 mired from grey along the Planckian locus. In a clinical photograph a pixel
# within 20 mired of grey is paper, gauze, a wall or grey cloth -- or light skin under a cool
# cast we cannot tell from them; we prefer "not gradable" to reading a wall as skin.
_ACHROMATIC_MIRED = 20.0
# Pixels on a boundary between two materials (ink on paper, a drape's edge) mix their colours,
# and a mixture of white and blue can look like light skin under a cool light. Skin's own
# chromaticity varies little from pixel to pixel (texture is mostly shading, which chroma
# ignores), so a pixel whose 3x3 neighbourhood spreads more than this is not read.
_MIXED_CHROMA_SD = 0.1


@dataclass(frozen=True)
class LocusTable:
    """Chromaticity bins -> inside the skin locus (bool)."""

    inside: np.ndarray
    origin: np.ndarray
    step: float

    def lookup(self, chroma: np.ndarray) -> np.ndarray:
        idx = np.floor((chroma - self.origin) / self.step).astype(np.intp)
        shape = np.array(self.inside.shape)
        ok = ((idx >= 0) & (idx < shape)).all(axis=-1)
        idx = np.clip(idx, 0, shape - 1)
        return ok & self.inside[idx[..., 0], idx[..., 1]]


@cache
def skin_locus_table(cast_sd_mired: float, tint_sd: float, model_sd: float) -> LocusTable:
    """Bins of chromaticity within _LOCUS_SIGMAS of the model surface (any melanin/blood)."""
    grid = skin_model_grid()
    model = np.unique(np.round(chroma_of(grid.ln_rgb), 3), axis=0)
    sd = np.array(
        [
            np.hypot(cast_sd_mired / mired_per_chroma_unit(), model_sd),
            np.hypot(tint_sd, model_sd),
        ]
    )
    (a0, a1), (b0, b1) = _TABLE_RANGE
    axis_a = np.arange(a0, a1, _TABLE_STEP) + _TABLE_STEP / 2
    axis_b = np.arange(b0, b1, _TABLE_STEP) + _TABLE_STEP / 2
    inside = np.zeros((len(axis_a), len(axis_b)), bool)
    for i, a in enumerate(axis_a):  # row by row keeps memory small
        d2 = ((a - model[:, 0:1]) / sd[0]) ** 2 + ((axis_b[None, :] - model[:, 1:2]) / sd[1]) ** 2
        inside[i] = d2.min(axis=0) <= _LOCUS_SIGMAS**2
    return LocusTable(inside=inside, origin=np.array([a0, b0]), step=_TABLE_STEP)


def hair_mask(ln_y: np.ndarray) -> np.ndarray:
    """Thin dark structures: a grey closing fills them; what it lifts a lot is hair or a mark."""
    y, x = np.ogrid[-_HAIR_RADIUS : _HAIR_RADIUS + 1, -_HAIR_RADIUS : _HAIR_RADIUS + 1]
    disk = x * x + y * y <= _HAIR_RADIUS * _HAIR_RADIUS
    return ndi.grey_closing(ln_y, footprint=disk) - ln_y > _HAIR_DEPTH_LN


def ring_around(mask: np.ndarray, radius: int) -> np.ndarray:
    """The mask dilated by a square of the given radius (a box filter: O(N))."""
    if not mask.any():
        return mask
    box = ndi.uniform_filter(mask.astype(np.float32), size=2 * radius + 1)
    return box > 1e-6


def mixed_pixels(chroma: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood spreads in chromaticity: boundaries between materials."""
    spread = np.zeros(chroma.shape[:2], np.float32)
    for i in range(2):
        channel = chroma[..., i].astype(np.float32)
        mean = ndi.uniform_filter(channel, 3)
        spread += np.maximum(ndi.uniform_filter(channel * channel, 3) - mean * mean, 0.0)
    return np.sqrt(spread) > _MIXED_CHROMA_SD


def box_opening(mask: np.ndarray, size: int) -> np.ndarray:
    """Opening by a size x size square with box filters (erosion, then dilation): drops
    anything thinner than the square, such as hair, and keeps blobs whole."""
    eroded = ndi.uniform_filter(mask.astype(np.float32), size=size) > 1.0 - 1e-4
    return ndi.uniform_filter(eroded.astype(np.float32), size=size) > 1e-4


def centre_weights(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    yy = (np.arange(h) - (h - 1) / 2) / (h / 2)
    xx = (np.arange(w) - (w - 1) / 2) / (w / 2)
    r2 = (yy[:, None] ** 2 + xx[None, :] ** 2) / 2.0  # 1 at the corners
    return np.exp(-0.5 * r2 / _CENTRE_SD**2)


def _within(features: np.ndarray, centre: np.ndarray, limit: np.ndarray) -> np.ndarray:
    out = np.abs(features[:, 0] - centre[0]) <= limit[0]
    for i in (1, 2):
        out &= np.abs(features[:, i] - centre[i]) <= limit[i]
    return out


_SAMPLE = 6000  # the mode and spreads are read on a regular sample of at most this many


def dominant_cluster(features: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """Mode of a smoothed, weighted 3-D histogram of (chroma a, chroma b, ln brightness);
    returns the members' bool index into features, or None when there are none."""
    if len(features) == 0:
        return None
    stride = max(1, len(features) // _SAMPLE)
    sample, sample_w = features[::stride], weights[::stride]
    lo = sample.min(axis=0)
    idx = np.floor((sample - lo) / _BIN).astype(np.intp)
    shape = tuple(int(v) + 1 for v in idx.max(axis=0))
    flat = np.ravel_multi_index(tuple(idx.T), shape)
    hist = np.bincount(flat, weights=sample_w, minlength=int(np.prod(shape))).reshape(shape)
    # The centre whose window holds the most weight: a box filter the size of the window, so
    # textured skin spread over many bins counts as fully as a flat wall in one bin.
    size = tuple(int(2 * round(w / b) + 1) for w, b in zip(_WINDOW, _BIN, strict=True))
    hist = ndi.uniform_filter(hist, size=size, mode="constant")
    peak = np.array(np.unravel_index(int(np.argmax(hist)), shape))
    centre = lo + (peak + 0.5) * _BIN
    members = _within(sample, centre, _WINDOW)
    if not members.any():
        return None
    # Trim by robust spread around the members' median (twice: the first pass may be wide).
    for _ in range(2):
        med = np.median(sample[members], axis=0)
        mad = 1.4826 * np.median(np.abs(sample[members] - med), axis=0)
        limit = np.maximum(_TRIM_SIGMAS * mad, _TRIM_FLOOR)
        members = _within(sample, med, limit)
        if not members.any():
            return None
    return _within(features, med, limit)


@dataclass(frozen=True)
class SkinPixels:
    """The healthy-skin mask at the working size and what was left out, as pixel counts."""

    mask: np.ndarray
    candidates: int  # skin-like, usable pixels before clustering
    excluded_lesion: int
    excluded_hair: int
    excluded_glare: int
    excluded_dark: int


def select_skin(
    ln_rgb: np.ndarray,
    clipped: np.ndarray,
    *,
    modality: str,
    priors: ColourPriors,
    lesion: np.ndarray | None,
    field_of_view: np.ndarray | None = None,
) -> SkinPixels:
    """Healthy-skin pixels of a working-size image given its (cast-corrected) ln linear RGB."""
    h, w = ln_rgb.shape[:2]
    chroma = chroma_of(ln_rgb)
    ln_y = ln_rgb.mean(axis=-1)
    dark = ln_rgb[..., 1] < np.log(DARK_LIMIT)
    hair = hair_mask(ln_y)
    table = skin_locus_table(priors.cast_sd_mired, priors.tint_sd, priors.model_sd)
    skin_like = table.lookup(chroma)
    if modality == CLINICAL:
        radius = _ACHROMATIC_MIRED / mired_per_chroma_unit()
        skin_like &= np.hypot(chroma[..., 0], 2.0 * chroma[..., 1]) > radius
    ring = max(1, round(RING_FRACTION * min(h, w)))
    excluded = np.zeros((h, w), bool)
    if lesion is not None and lesion.any():
        excluded = ring_around(lesion, ring)
    usable = skin_like & ~clipped & ~dark & ~hair & ~excluded & ~mixed_pixels(chroma)
    if field_of_view is not None:
        usable &= field_of_view
    features = np.concatenate([chroma, ln_y[..., None]], axis=-1)[usable]
    weights = centre_weights((h, w))[usable] if modality == CLINICAL else np.ones(int(usable.sum()))
    members = dominant_cluster(features, weights)
    mask = np.zeros((h, w), bool)
    if members is not None:
        mask[usable] = members
    if modality == CLINICAL and mask.any():
        # Lesions and other discoloured skin inside the frame: off-cluster blobs that survive
        # an opening (hair does not), with the ring around them.
        blobs = box_opening(~mask & ~hair & ~clipped, size=5)
        trimmed = mask & ~ring_around(blobs & _inside_skin_hull(mask), ring)
        if trimmed.sum() >= 0.5 * mask.sum():
            excluded |= mask & ~trimmed
            mask = trimmed
    return SkinPixels(
        mask=mask,
        candidates=int(usable.sum()),
        excluded_lesion=int((excluded & skin_like).sum()),
        excluded_hair=int(hair.sum()),
        excluded_glare=int(clipped.sum()),
        excluded_dark=int(dark.sum()),
    )


def _inside_skin_hull(mask: np.ndarray) -> np.ndarray:
    """Holes and bays of the skin region (what a lesion makes), not the background around it:
    pixels whose surroundings are mostly skin."""
    share = ndi.uniform_filter(mask.astype(np.float32), size=max(9, min(mask.shape) // 6))
    return ndi.binary_fill_holes(mask) | (share >= 0.5)
