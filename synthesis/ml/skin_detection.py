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
- the healthy skin is the heaviest cluster of usable skin-like pixels in (chromaticity,
  brightness): candidates are modes of a weighted histogram, each grown to its own robust
  spread; shadows, highlights, the lesion and other discoloured skin fall outside it. In
  clinical photographs a pixel weighs by where it is (centre-weighted: a close-up frames the
  skin in the middle, the background at the edges) and by how typical its colour is of skin
  (LocusTable.typicality: the blood it needs, judged by the blood prior; any melanin equally).
  Colour alone cannot tell a beige wall, khaki cloth or wood from skin -- a beige wall is pale,
  nearly bloodless skin under a greenish light, wood is brown skin -- so a frame holding only
  such a material is still read as skin; where it holds skin too, the skin wins;
- the lesion and a ring around it are left out: the given mask dilated, and for clinical
  photographs also every off-cluster blob inside the skin (what an opening leaves of it: hair
  is too thin to survive), dilated by the same ring.
Dermoscopic images keep the dermoscope's field of view; nothing dermoscopic runs on a
clinical photograph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
from scipy import ndimage as ndi

from synthesis.ml.skin_optics import (
    BLOOD_PRIOR_SD,
    REFERENCE_BLOOD,
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
_HAIR_RADIUS = 1  # px at the working size (128 px: a hair is a pixel wide or less)
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
    """Chromaticity bins -> inside the skin locus (bool), and (computed on first use, by the
    clinical path only) how typical of skin each bin is, 0..1 (skin_locus_table)."""

    inside: np.ndarray
    origin: np.ndarray
    step: float
    sd: np.ndarray  # (2,) chromaticity blur: white-balance and model error

    def _index(self, chroma: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        idx = np.floor((chroma - self.origin) / self.step).astype(np.intp)
        shape = np.array(self.inside.shape)
        ok = ((idx >= 0) & (idx < shape)).all(axis=-1)
        idx = np.clip(idx, 0, shape - 1)
        return ok, (idx[..., 0], idx[..., 1])

    def lookup(self, chroma: np.ndarray) -> np.ndarray:
        ok, idx = self._index(chroma)
        return ok & self.inside[idx]

    def typicality(self, chroma: np.ndarray) -> np.ndarray:
        ok, idx = self._index(chroma)
        return np.where(ok, self.density[idx], np.float32(0.0))

    def lookup_both(self, chroma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(inside, typicality) from one binning of the chromaticities."""
        ok, idx = self._index(chroma)
        return ok & self.inside[idx], np.where(ok, self.density[idx], np.float32(0.0))

    @cached_property
    def density(self) -> np.ndarray:
        """Each bin's typicality: the likelihood of its best explanation by skin of *any*
        melanin (no tone favoured: a maximum over melanin, not a sum) with its blood judged by
        the blood prior (log-normal around 1% of the dermis, Jacques 1998), blurred by the
        table's white-balance and model errors, relative to the most typical bin. A beige wall
        or khaki cloth can sit inside the locus -- it is the colour of nearly bloodless skin
        under a greenish light -- but it needs far less blood than skin has, so where a frame
        holds both, the skin outweighs it (select_skin)."""
        grid = skin_model_grid()
        points = chroma_of(grid.ln_rgb).astype(np.float32)
        blood = (-0.5 * (np.log(grid.blood / REFERENCE_BLOOD) / BLOOD_PRIOR_SD) ** 2).astype(
            np.float32
        )
        rows, cols = self.inside.shape
        axis_a = (self.origin[0] + (np.arange(rows) + 0.5) * self.step).astype(np.float32)
        axis_b = (self.origin[1] + (np.arange(cols) + 0.5) * self.step).astype(np.float32)
        sd = self.sd.astype(np.float32)
        log_density = np.empty((rows, cols), np.float32)
        for i, a in enumerate(axis_a):
            term = blood - 0.5 * ((a - points[:, 0]) / sd[0]) ** 2
            near = term > term.max() - 32.0  # the rest add less than e^-32 of the best
            d2 = ((axis_b[None, :] - points[near, 1:2]) / sd[1]) ** 2
            log_density[i] = (term[near, None] - 0.5 * d2).max(axis=0)
        density = np.exp(log_density - log_density.max()).astype(np.float32)
        density.flags.writeable = False
        return density


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
    return LocusTable(inside=inside, origin=np.array([a0, b0]), step=_TABLE_STEP, sd=sd)


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


@cache
def centre_weights(shape: tuple[int, int]) -> np.ndarray:
    """Gaussian weight of each pixel by its distance from the middle (float32, read-only)."""
    h, w = shape
    yy = (np.arange(h) - (h - 1) / 2) / (h / 2)
    xx = (np.arange(w) - (w - 1) / 2) / (w / 2)
    r2 = (yy[:, None] ** 2 + xx[None, :] ** 2) / 2.0  # 1 at the corners
    weights = np.exp(-0.5 * r2 / _CENTRE_SD**2).astype(np.float32)
    weights.flags.writeable = False
    return weights


def _within(features: np.ndarray, centre: np.ndarray, limit: np.ndarray) -> np.ndarray:
    out = np.abs(features[:, 0] - centre[0]) <= limit[0]
    for i in (1, 2):
        out &= np.abs(features[:, i] - centre[i]) <= limit[i]
    return out


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-column weighted median of (n, k) values."""
    order = np.argsort(values, axis=0)
    w = weights[order]
    cdf = np.cumsum(w, axis=0)
    half = 0.5 * cdf[-1]
    columns = np.arange(values.shape[1])
    at = np.minimum((cdf < half).sum(axis=0), len(values) - 1)
    return values[order[at, columns], columns]


_SAMPLE = 3000  # the mode and spreads are read on a regular sample of at most this many


_CANDIDATES = 3  # clusters compared: the frame's skin, and up to two other materials


def _peak(sample: np.ndarray, sample_w: np.ndarray, lo: np.ndarray, size) -> np.ndarray:
    """The centre whose window holds the most weight (a box filter the size of the window)."""
    idx = np.floor((sample - lo) / _BIN).astype(np.intp)
    shape = tuple(int(v) + 1 for v in idx.max(axis=0))
    flat = np.ravel_multi_index(tuple(idx.T), shape)
    hist = np.bincount(flat, weights=sample_w, minlength=int(np.prod(shape))).reshape(shape)
    hist = ndi.uniform_filter(hist, size=size, mode="constant")
    peak = np.array(np.unravel_index(int(np.argmax(hist)), shape))
    return lo + (peak + 0.5) * _BIN


def _trimmed(sample, sample_w, centre):
    """(median, limits, member weight) of the cluster around a centre, trimmed by its robust
    spread (twice: the first pass may be wide); None when nothing is left."""
    members = _within(sample, centre, _WINDOW)
    if not members.any():
        return None
    for _ in range(2):
        # Weighted, so that a flat wall sharing the window with skin (many pixels in one bin)
        # does not pull the centre onto itself when the skin carries more weight.
        med = weighted_median(sample[members], sample_w[members])
        mad = 1.4826 * weighted_median(np.abs(sample[members] - med), sample_w[members])
        limit = np.maximum(_TRIM_SIGMAS * mad, _TRIM_FLOOR)
        members = _within(sample, med, limit)
        if not members.any():
            return None
    return med, limit, members, float(sample_w[members].sum())


def dominant_cluster(features: np.ndarray, weights: np.ndarray) -> np.ndarray | None:
    """The heaviest cluster of (chroma a, chroma b, ln brightness); returns the members' bool
    index into features, or None when there are none.

    Candidates are the modes of a smoothed, weighted 3-D histogram, found one after another
    with the previous cluster taken out; each grows to its own robust spread, and the one
    holding the most weight wins. A fixed window alone favours a flat wall or cloth (all its
    pixels in one bin) over skin, whose texture, shading and lesion spread it wider."""
    if len(features) == 0:
        return None
    stride = max(1, len(features) // _SAMPLE)
    sample, sample_w = features[::stride], weights[::stride].astype(np.float64)
    lo = sample.min(axis=0)
    size = tuple(int(2 * round(w / b) + 1) for w, b in zip(_WINDOW, _BIN, strict=True))
    best, left = None, sample_w.copy()
    for _ in range(_CANDIDATES):
        if left.sum() <= 0 or (best is not None and left.sum() <= best[3]):
            break
        cluster = _trimmed(sample, sample_w, _peak(sample, left, lo, size))
        if cluster is None:
            break
        if best is None or cluster[3] > best[3]:
            best = cluster
        left = np.where(cluster[2], 0.0, left)
    if best is None:
        return None
    return _within(features, best[0], best[1])


@dataclass(frozen=True)
class SkinPixels:
    """The healthy-skin mask at the working size and what was left out, as pixel counts."""

    mask: np.ndarray
    candidates: int  # skin-like, usable pixels before clustering
    excluded_lesion: int
    excluded_hair: int
    excluded_glare: int
    excluded_dark: int


@dataclass(frozen=True)
class FrameMaps:
    """What select_skin reads that a white-balance correction does not change: brightness
    (the correction is orthogonal to grey), hair and mixed pixels (chroma differences)."""

    ln_y: np.ndarray
    hair: np.ndarray
    mixed: np.ndarray


def frame_maps(ln_rgb: np.ndarray, chroma: np.ndarray | None = None) -> FrameMaps:
    ln_y = ln_rgb.mean(axis=-1)
    chroma = chroma_of(ln_rgb) if chroma is None else chroma
    return FrameMaps(ln_y=ln_y, hair=hair_mask(ln_y), mixed=mixed_pixels(chroma))


def select_skin(
    ln_rgb: np.ndarray,
    clipped: np.ndarray,
    *,
    modality: str,
    priors: ColourPriors,
    lesion: np.ndarray | None,
    field_of_view: np.ndarray | None = None,
    maps: FrameMaps | None = None,
) -> SkinPixels:
    """Healthy-skin pixels of a working-size image given its (cast-corrected) ln linear RGB;
    maps: frame_maps of the same image before or after correction (computed when None)."""
    h, w = ln_rgb.shape[:2]
    chroma = chroma_of(ln_rgb)
    maps = frame_maps(ln_rgb, chroma) if maps is None else maps
    ln_y, hair = maps.ln_y, maps.hair
    dark = ln_rgb[..., 1] < np.float32(np.log(DARK_LIMIT))
    table = skin_locus_table(priors.cast_sd_mired, priors.tint_sd, priors.model_sd)
    if modality == CLINICAL:
        skin_like, typical = table.lookup_both(chroma)
    else:
        skin_like, typical = table.lookup(chroma), None
    if modality == CLINICAL:
        radius = _ACHROMATIC_MIRED / mired_per_chroma_unit()
        skin_like &= np.hypot(chroma[..., 0], 2.0 * chroma[..., 1]) > radius
    ring = max(1, round(RING_FRACTION * min(h, w)))
    excluded = np.zeros((h, w), bool)
    if lesion is not None and lesion.any():
        excluded = ring_around(lesion, ring)
    usable = skin_like & ~clipped & ~dark & ~hair & ~excluded & ~maps.mixed
    if field_of_view is not None:
        usable &= field_of_view
    features = np.concatenate([chroma, ln_y[..., None]], axis=-1)[usable]
    if modality == CLINICAL:
        # Where the frame holds several skin-coloured materials, the one most typical of skin
        # (and nearest the middle, where a close-up frames it) is the skin.
        weights = (centre_weights((h, w)) * typical)[usable]
    else:
        weights = np.ones(int(usable.sum()))
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
