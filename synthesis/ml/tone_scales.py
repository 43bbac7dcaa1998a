"""Skin-tone scales and how a measured tone maps onto them, with their sources.

Fitzpatrick from ITA. The six colorimetric ITA categories of Chardon et al. 1991 (Int. J.
Cosmet. Sci. 13:191) as extended by Del Bino et al. 2006 and Del Bino & Bernerd 2013 (Br. J.
Dermatol. 169 s3:33): very light > 55 deg, light 41-55, intermediate 28-41, tan 10-28, brown
-30-10, dark < -30; read as Fitzpatrick I-VI in that order, the correspondence used by most
image studies since Kinyanjui et al. 2020. Fitzpatrick describes response to sun, not colour:
Wilkes et al. 2015 (JAMA Dermatol. 151:902) and Osto et al. 2022 (Photochem. Photobiol.) find
ITA falling steadily with type but with wide overlap between neighbours. The boundaries are
therefore soft: a type's probability is the posterior mass of the skin's standard ITA inside
its band, with each edge blurred by BAND_EDGE_SD_DEG (half of the narrowest band, 13 deg).
We never tuned these numbers to images.

Monk Skin Tone (MST). The ten swatches Google published with the scale (Monk 2019, 2023;
skintone.google), as sRGB hex. The MST is designed to be matched to skin as it appears in an
image, so the estimate compares the white-balanced skin colour as imaged with each swatch in
CIELAB (Delta E 1976); probabilities fall off with the distance on the scale of the swatch
spacing.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from synthesis.ml.color import srgb_to_lab
from synthesis.ml.fitzpatrick import GROUPS

METHOD_VERSION = "skin-tone-2.0"

# (lo, hi] in degrees, light to dark: Del Bino & Bernerd 2013.
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
BAND_EDGE_SD_DEG = 6.5
# A group is called when the posterior puts at least this much on it; below: "cannot tell".
GROUP_CALL_PROBABILITY = 0.6

MONK_SWATCHES_HEX = (
    "#f6ede4",
    "#f3e7db",
    "#f7ead0",
    "#eadaba",
    "#d7bd96",
    "#a07e56",
    "#825c43",
    "#604134",
    "#3a312a",
    "#292420",
)


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))


MONK_SWATCHES_LAB = srgb_to_lab(
    np.array([[_hex_to_rgb(h) for h in MONK_SWATCHES_HEX]], dtype=np.uint8)
)[0].astype(np.float64)
_MONK_SPACING = float(np.median(np.linalg.norm(np.diff(MONK_SWATCHES_LAB, axis=0), axis=1)))


def ita_category(ita_deg: float) -> str:
    """Del Bino category; bands are (lo, hi], so 55.0 is "light" and 55.1 "very light"."""
    for name, (lo, _hi) in ITA_CATEGORIES.items():
        if ita_deg > lo:
            return name
    return "dark"


def ita_to_fitzpatrick(ita_deg: float) -> int:
    """The Fitzpatrick type whose ITA band holds this angle (no uncertainty)."""
    for t, (lo, _hi) in FITZPATRICK_ITA_BANDS.items():
        if ita_deg > lo:
            return t
    return 6


def type_membership(ita_values: np.ndarray) -> np.ndarray:
    """(n, 6): how much of each Fitzpatrick band an ITA belongs to, band edges blurred."""
    ita = np.asarray(ita_values, dtype=np.float64)[:, None]
    lo = np.array([b[0] for b in FITZPATRICK_ITA_BANDS.values()])[None, :]
    hi = np.array([b[1] for b in FITZPATRICK_ITA_BANDS.values()])[None, :]
    lo[0, -1], hi[0, 0] = -np.inf, np.inf  # the outer bands are open-ended
    return ndtr((hi - ita) / BAND_EDGE_SD_DEG) - ndtr((lo - ita) / BAND_EDGE_SD_DEG)


def group_probabilities(type_probs: np.ndarray) -> dict[str, float]:
    return {name: float(sum(type_probs[t - 1] for t in types)) for name, types in GROUPS.items()}


def monk_probabilities(lab: np.ndarray) -> np.ndarray:
    """P(MST 1..10) for a skin colour (CIELAB as imaged): Gaussian in Delta E, swatch scale."""
    dist = np.linalg.norm(MONK_SWATCHES_LAB - np.asarray(lab, dtype=np.float64)[None, :], axis=1)
    logits = -0.5 * (dist / (0.5 * _MONK_SPACING)) ** 2
    probs = np.exp(logits - logits.max())
    return probs / probs.sum()
