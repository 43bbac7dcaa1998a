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
skintone.google "Get started", the same ten sRGB hex values in the scale's Wikipedia table),
as sRGB (IEC 61966-2-1, D65) hex, converted to CIELAB. The MST is an appearance scale, not a
colorimetric one: its swatches run from L* 94 to L* 15, far wider than skin measured with a
colorimeter (Del Bino & Bernerd 2013: L* ~30-72), and much lighter at the light end than any
skin photographed at standard exposure. Matching the skin's colour to the nearest swatch in
Delta E is therefore ruled by L* and reads every light skin several steps too dark (HAM10000's
light skin, L* ~55-70 as imaged, landed on MST 6-7). Instead the chain goes through the ITA
of each swatch, an angle in the L*-b* plane that keeps the swatches' order (83, 80, 72, 65, 50,
11, -20, -55, -78, -84 deg for MST 1-10) and is what the skin's posterior already gives: the
MST bands are the ITA intervals between the midpoints of neighbouring swatches, edges blurred
by BAND_EDGE_SD_DEG like the Fitzpatrick bands, and P(MST k) is the posterior mass of the
skin's standard ITA in band k. Consequences, not tuned: measured very light skin (ITA ~55-70)
reads MST 4-5, light II-III skin MST 5, tan IV MST 6, brown V MST 6-7, dark VI MST 7-8; MST
1-3 (ITA above ~68 deg) and 9-10 (below ~-67 deg) lie beyond most colorimetric skin and are
rarely given.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from synthesis.ml.color import srgb_to_lab
from synthesis.ml.fitzpatrick import GROUPS, TYPES

METHOD_VERSION = "skin-tone-2.3"  # 2.1: Monk from the ITA posterior; 2.2: 128 px working size;
# 2.3: inverts the two-layer and the scattering-epidermis models side by side
# (skin_optics.ESTIMATOR_MODEL)

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
    t: band for t, band in zip(TYPES, ITA_CATEGORIES.values(), strict=True)
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
MONK_SWATCHES_ITA = np.degrees(
    np.arctan((MONK_SWATCHES_LAB[:, 0] - 50.0) / np.maximum(MONK_SWATCHES_LAB[:, 2], 1e-6))
)
# (lo, hi] in degrees for MST 1..10: midpoints between neighbouring swatches' ITA.
_MONK_EDGES = (MONK_SWATCHES_ITA[:-1] + MONK_SWATCHES_ITA[1:]) / 2
MONK_ITA_BANDS: dict[int, tuple[float, float]] = {
    k: (
        float(_MONK_EDGES[k - 1]) if k < 10 else -90.0,
        float(_MONK_EDGES[k - 2]) if k > 1 else 90.0,
    )
    for k in range(1, 11)
}


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
    return _band_membership(ita_values, FITZPATRICK_ITA_BANDS)


def group_probabilities(type_probs: np.ndarray) -> dict[str, float]:
    return {name: float(sum(type_probs[t - 1] for t in types)) for name, types in GROUPS.items()}


def _band_membership(ita_values: np.ndarray, bands: dict) -> np.ndarray:
    ita = np.asarray(ita_values, dtype=np.float64)[:, None]
    lo = np.array([b[0] for b in bands.values()])[None, :]
    hi = np.array([b[1] for b in bands.values()])[None, :]
    lo[0, -1], hi[0, 0] = -np.inf, np.inf  # the outer bands are open-ended
    return ndtr((hi - ita) / BAND_EDGE_SD_DEG) - ndtr((lo - ita) / BAND_EDGE_SD_DEG)


def monk_membership(ita_values: np.ndarray) -> np.ndarray:
    """(n, 10): how much of each MST band (from the swatches' ITA) an ITA belongs to."""
    return _band_membership(ita_values, MONK_ITA_BANDS)


def monk_of_ita(ita_deg: float) -> int:
    """The MST step whose ITA band holds this angle (no uncertainty)."""
    for k, (lo, _hi) in MONK_ITA_BANDS.items():
        if ita_deg > lo:
            return k
    return 10
