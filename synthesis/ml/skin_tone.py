"""Skin tone of the healthy skin around a lesion: Individual Typology Angle (ITA) and an
estimated Fitzpatrick type.

ITA = arctan((L* - 50) / b*) in degrees (Chardon et al. 1991; Del Bino et al. 2013). The
Fitzpatrick type is an *approximation* read off the ITA category (very light -> I, light ->
II, intermediate -> III, tan -> IV, brown -> V, dark -> VI): Fitzpatrick describes response
to sun, not colour, so the two agree only roughly and this is never a clinician's label.
Many dermoscopes give skin a bluish cast (b* <= 0 in about a third of the demo images); the
formula then reads +90 (L* > 50) or -90 (L* < 50).
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

from synthesis.ml.color import srgb_to_lab, to_float_rgb, to_uint8
from synthesis.ml.fitzpatrick import check_type
from synthesis.ml.segmentation_classical import field_of_view_mask, segment_lesion

# Category -> (lo, hi] in degrees, light to dark. The outer bounds are the ITA's own limits.
ITA_CATEGORIES: dict[str, tuple[float, float]] = {
    "very light": (55.0, 90.0),
    "light": (41.0, 55.0),
    "intermediate": (28.0, 41.0),
    "tan": (10.0, 28.0),
    "brown": (-30.0, 10.0),
    "dark": (-90.0, -30.0),
}
FITZPATRICK_ITA_BANDS: dict[int, tuple[float, float]] = {
    t: band for t, band in zip(range(1, 7), ITA_CATEGORIES.values(), strict=True)
}
# Targets for tone transfer: the middle of each inner band; the open-ended outer bands get a
# value typical of measured skin (very light skin reads ~60-65, very dark ~-40 to -50) rather
# than the midpoint of a range that mostly holds no real skin.
_BAND_CENTRES = {1: 62.0, 2: 48.0, 3: 34.5, 4: 19.0, 5: -10.0, 6: -45.0}

MIN_SKIN_FRACTION = 0.01  # below 1% of the image, the "skin" is too small to be trusted
_MARGIN_FRACTION = 0.02  # ring around the lesion left out: its border is neither lesion nor skin
_MAX_SAMPLES = 50_000  # pixels converted to Lab at most (a regular sample of the skin)
_MAD_LIMIT = 3.0  # robust z-score beyond which a pixel is hair/shadow (dark) or glare (bright)


def ita_from_lab(l_star: float | np.ndarray, b_star: float | np.ndarray) -> float | np.ndarray:
    """ITA in degrees; b* is floored just above 0 so grey/bluish input stays within [-90, 90]."""
    b = np.maximum(np.asarray(b_star, dtype=np.float64), 1e-6)
    ita = np.degrees(np.arctan((np.asarray(l_star, dtype=np.float64) - 50.0) / b))
    return float(ita) if np.ndim(ita) == 0 else ita


def ita_category(ita_deg: float) -> str:
    """Chardon category; bands are (lo, hi], so 55.0 is "light" and 55.1 "very light"."""
    for name, (lo, _hi) in ITA_CATEGORIES.items():
        if ita_deg > lo:
            return name
    return "dark"


def ita_to_fitzpatrick(ita_deg: float) -> int:
    """Estimated Fitzpatrick type 1-6 for an ITA (an approximation, see the module docstring)."""
    for t, (lo, _hi) in FITZPATRICK_ITA_BANDS.items():
        if ita_deg > lo:
            return t
    return 6


def fitzpatrick_band_centre(t: int) -> float:
    """A representative ITA inside type t's band, for use as a tone-transfer target."""
    return _BAND_CENTRES[check_type(t)]


@dataclass(frozen=True)
class ToneMeasurement:
    """Medians of the healthy skin; skin_pixels is scaled from a sample of at most 50k."""

    ita_deg: float
    l_star: float
    b_star: float
    estimated_fitzpatrick: int
    ita_category: str
    skin_pixels: int

    def as_dict(self) -> dict[str, float | int | str]:
        """JSON-ready copy with floats rounded to 0.01."""
        out = asdict(self)
        for key in ("ita_deg", "l_star", "b_star"):
            out[key] = round(float(out[key]), 2)
        return out


def _check_inputs(rgb: np.ndarray, lesion_mask: np.ndarray | None) -> np.ndarray | None:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        shape = getattr(rgb, "shape", type(rgb).__name__)
        raise ValueError(f"expected an HxWx3 RGB image, got {shape}")
    if rgb.dtype != np.uint8 and not np.issubdtype(rgb.dtype, np.floating):
        raise ValueError(f"expected a uint8 (or float 0..1) RGB image, got dtype {rgb.dtype}")
    if min(rgb.shape[:2]) < 1:
        raise ValueError(f"the image is empty: shape {rgb.shape}")
    if lesion_mask is None:
        return None
    mask = np.asarray(lesion_mask)
    if mask.shape != rgb.shape[:2]:
        h, w = rgb.shape[:2]
        got = f"{mask.shape[1]}x{mask.shape[0]}" if mask.ndim == 2 else f"of shape {mask.shape}"
        raise ValueError(f"lesion mask is {got} but the image is {w}x{h} (width x height)")
    return mask > 0


def healthy_skin_mask(rgb: np.ndarray, lesion_mask: np.ndarray) -> np.ndarray:
    """Pixels that may be healthy skin: inside the lens view and away from the lesion border."""
    h, w = lesion_mask.shape
    margin = max(1, round(_MARGIN_FRACTION * min(h, w)))
    # A box filter is a square dilation in O(N), much cheaper than repeated binary dilation.
    near_lesion = ndi.uniform_filter(lesion_mask.astype(np.float32), size=2 * margin + 1) > 1e-6
    return field_of_view_mask(rgb) & ~near_lesion


def measure_tone(rgb: np.ndarray, lesion_mask: np.ndarray | None = None) -> ToneMeasurement:
    """ITA and estimated Fitzpatrick type of the healthy skin (lesion segmented if no mask)."""
    mask = _check_inputs(rgb, lesion_mask)
    if rgb.dtype != np.uint8:
        rgb = to_uint8(to_float_rgb(rgb))
    if mask is None:
        mask = segment_lesion(rgb)
    pixels = rgb[healthy_skin_mask(rgb, mask)]
    # Medians of 50k pixels match those of all of them to ~0.01 L*; the Lab conversion of a
    # full frame would dominate the cost (tone-transfer solvers call this repeatedly).
    stride = max(1, int(np.ceil(len(pixels) / _MAX_SAMPLES)))
    lab = srgb_to_lab(pixels[::stride]).astype(np.float64)
    if len(lab):
        # Hair and shadow sit far below the skin's lightness, glare far above: drop both by a
        # robust z-score relative to this image, so darker skin is never mistaken for hair.
        l_star = lab[:, 0]
        centre = np.median(l_star)
        spread = max(1.4826 * np.median(np.abs(l_star - centre)), 1.0)
        lab = lab[np.abs(l_star - centre) <= _MAD_LIMIT * spread]
    skin_pixels = min(len(pixels), len(lab) * stride)  # counted on the sample, scaled back
    needed = max(1, int(np.ceil(MIN_SKIN_FRACTION * mask.size)))
    if skin_pixels < needed:
        raise ValueError(
            f"too little healthy skin to measure: {skin_pixels} pixels remain after leaving out "
            f"the lesion, its border, the vignette, hair and glare; at least {needed} "
            f"(1% of the image) are needed"
        )
    l_med, b_med = float(np.median(lab[:, 0])), float(np.median(lab[:, 2]))
    ita = float(ita_from_lab(l_med, b_med))
    return ToneMeasurement(
        ita_deg=ita,
        l_star=l_med,
        b_star=b_med,
        estimated_fitzpatrick=ita_to_fitzpatrick(ita),
        ita_category=ita_category(ita),
        skin_pixels=int(skin_pixels),
    )
