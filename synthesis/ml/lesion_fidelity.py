"""Does the lesion stay visible on the new skin? Lesion-to-skin colour difference, measured.

The rule (issue 14): every lesion keeps at least 60% of its source lesion-to-skin Delta E
(CIE 1976, the colour as imaged) and never less than Delta E 5 (about the smallest colour
difference a viewer reliably notices between two areas of a clinical photograph); a
pigmented or melanocytic lesion stays darker than the skin around it, by at least the same
share of the skin's luminance as before (on real darker skin a pigmented lesion is dark brown
to black). `measure_lesion_fidelity` reads both images with the skin detector of
skin_tone.measure_skin_tone on the whole image, independently of any backend's solver;
`solve_lesion_gain` is the backends' search for the least lesion change that meets the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from synthesis.ml.color import srgb_to_lab, srgb_to_linear

MIN_RETENTION = 0.6
MIN_DELTA_E = 5.0
LESION_LEVELS = 8  # quantised steps of the feathered lesion gain
# Diagnosis codes of melanocytic lesions (PixGen's vocabulary; ISIC's "melanocytic" classes).
MELANOCYTIC_CODES = frozenset({"mel", "nv"})
_MIN_PIXELS = 30
_DARKNESS_TOLERANCE = 0.02  # luminance ratio: JPEG and median noise


def lesion_kind_for(diagnosis_code: str | None) -> str | None:
    if not diagnosis_code:
        return None
    return "melanocytic" if diagnosis_code in MELANOCYTIC_CODES else "other"


def colour_stats(pixels: np.ndarray) -> tuple[np.ndarray, float]:
    """Median CIELAB (as imaged) and median relative luminance of some pixels."""
    pixels = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    weights = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    return np.median(srgb_to_lab(pixels), axis=0), float(
        np.median(srgb_to_linear(pixels) @ weights)
    )


def contrast_of(skin, lesion) -> dict[str, float]:
    """Delta E 1976 of the median colours (as imaged), L* difference (+: lesion darker) and
    the lesion's luminance relative to the skin's (< 1: darker). Either argument may be
    pixels or colour_stats of pixels."""
    skin_lab, skin_y = skin if isinstance(skin, tuple) else colour_stats(skin)
    lesion_lab, lesion_y = lesion if isinstance(lesion, tuple) else colour_stats(lesion)
    return {
        "delta_e": float(np.linalg.norm(skin_lab - lesion_lab)),
        "delta_l": float(skin_lab[0] - lesion_lab[0]),
        "luminance_ratio": lesion_y / max(skin_y, 1e-6),
    }


def must_stay_darker(before: dict[str, float], lesion_kind: str | None) -> bool:
    return lesion_kind == "melanocytic" or before["delta_l"] > 0


def verdict(
    before: dict[str, float],
    after: dict[str, float],
    lesion_kind: str | None,
    *,
    min_retention: float = MIN_RETENTION,
    min_delta_e: float = MIN_DELTA_E,
) -> dict[str, Any]:
    required = max(min_retention * before["delta_e"], min_delta_e)
    darker_needed = must_stay_darker(before, lesion_kind)
    darker_ok = not darker_needed or (
        after["delta_l"] > 0
        and after["luminance_ratio"] <= before["luminance_ratio"] + _DARKNESS_TOLERANCE
    )
    return {
        "delta_e_before": round(before["delta_e"], 2),
        "delta_e_after": round(after["delta_e"], 2),
        "retention": round(after["delta_e"] / max(before["delta_e"], 1e-6), 3),
        "required_delta_e": round(required, 2),
        "delta_l_before": round(before["delta_l"], 2),
        "delta_l_after": round(after["delta_l"], 2),
        "luminance_ratio_before": round(before["luminance_ratio"], 3),
        "luminance_ratio_after": round(after["luminance_ratio"], 3),
        "must_stay_darker": darker_needed,
        "stays_darker": bool(darker_ok),
        "lesion_kind": lesion_kind,
        "passes": bool(after["delta_e"] >= required - 1e-6 and darker_ok),
    }


def _lesion_core(mask: np.ndarray) -> np.ndarray:
    core = ndimage.binary_erosion(mask, iterations=2)
    return core if core.sum() >= _MIN_PIXELS else mask


def measure_lesion_fidelity(
    before: np.ndarray,
    after: np.ndarray,
    mask: np.ndarray,
    *,
    modality: str,
    lesion_kind: str | None = None,
) -> dict[str, Any]:
    """The rule checked on the two whole images; each image's healthy skin is found by the
    skin-tone estimator's detector on that image. Raises ValueError without skin or lesion."""
    from synthesis.ml.skin_tone import skin_mask

    mask = np.asarray(mask, dtype=bool)
    if mask.sum() < _MIN_PIXELS:
        raise ValueError("the lesion mask is too small to measure the lesion's contrast")
    core = _lesion_core(mask)
    readings = []
    for rgb in (before, after):
        skin = skin_mask(rgb, modality=modality, lesion_mask=mask)
        if skin.sum() < _MIN_PIXELS:
            raise ValueError("too little healthy skin to measure the lesion's contrast")
        readings.append(contrast_of(rgb[skin], rgb[core]))
    result = verdict(readings[0], readings[1], lesion_kind)
    result["method"] = "skin-tone skin detector, whole image, median CIELAB as imaged"
    return result


def solve_lesion_gain(
    before: dict[str, float],
    measure: Callable[[float], dict[str, float]],
    *,
    lesion_kind: str | None,
    fixed_gain: float | None = None,
    min_retention: float = MIN_RETENTION,
    min_delta_e: float = MIN_DELTA_E,
    max_gain: float = 12.0,
    min_gain: float = 0.05,
) -> tuple[float, dict[str, Any]]:
    """Smallest change of the lesion's melanin (a multiplier over the skin's) that meets the
    rule on sampled pixels: above 1 for pigmented lesions, below 1 for lighter ones."""

    def check(gain: float) -> dict[str, Any]:
        return verdict(
            before,
            measure(gain),
            lesion_kind,
            min_retention=min_retention,
            min_delta_e=min_delta_e,
        )

    if fixed_gain is not None:
        return float(fixed_gain), check(float(fixed_gain))
    first = check(1.0)
    if first["passes"]:
        return 1.0, first
    darker = must_stay_darker(before, lesion_kind)
    limit = max_gain if darker else min_gain
    factor = 1.6 if darker else 1 / 1.6
    failing, gain, found = 1.0, 1.0, None
    while (gain < limit) if darker else (gain > limit):
        gain = min(gain * factor, limit) if darker else max(gain * factor, limit)
        result = check(gain)
        if result["passes"]:
            found = (gain, result)
            break
        failing = gain
    if found is None:
        return gain, {**check(gain), "gain_limited": True}
    passing, best = found
    for _ in range(2):  # bisect in log gain between the last failing and the first passing
        mid = float(np.sqrt(failing * passing))
        result = check(mid)
        if result["passes"]:
            passing, best = mid, result
        else:
            failing = mid
    return passing, best
