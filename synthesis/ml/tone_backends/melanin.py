"""Default backend: add epidermal melanin in optical density (OD = -ln reflectance) space.

Skin reflectance is modelled as a surface reflection that melanin does not touch plus a body
reflection filtered by the epidermis: R = r_s + (R0 - r_s) * exp(-c_m * MELANIN_OD). Adding
melanin adds the same OD increment to every pixel's body reflection, lesion included (the
epidermis lies over both), so haemoglobin, shading, hair and texture, which live in the rest of
the OD, are carried over unchanged. Only one scalar, the increment, is solved for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthesis.ml.color import linear_to_srgb, srgb_to_lab, srgb_to_linear, to_uint8
from synthesis.ml.skin_optics import melanin_od_direction
from synthesis.ml.skin_tone import ita_from_lab
from synthesis.ml.tone_backends.base import ToneBackend, ToneTarget
from synthesis.ml.tone_backends.fitting import SkinSample, feather, skin_ita, solve_monotone

CODE_VERSION = "melanin-2"  # 2: OD directions from skin_optics; solved on skin-tone-2.0

# Melanin's RGB OD direction (a unit vector), from the one skin colour model
# (synthesis.ml.skin_optics): eumelanin's lambda^-3.33 absorption integrated over the sRGB
# bands under D65 at light skin (2% melanosomes, 1% blood).
MELANIN_OD = melanin_od_direction()

_LINEAR_LUT = srgb_to_linear(np.arange(256, dtype=np.uint8)).astype(np.float32)
_LINEAR_LUT[0] = 1.0 / (255.0 * 12.92 * 2)  # keep OD finite for black pixels
_OD_LUT = -np.log(_LINEAR_LUT)
_INCREMENT_RANGE = (-1.5, 8.0)  # OD units along MELANIN_OD; negative lightens
_WEIGHT_LEVELS = 32

DEFAULTS: dict[str, Any] = {
    # Reflection off the stratum corneum (~4 % Fresnel, less what a dermoscope's polariser
    # removes). Without it very dark skin turns orange; at 0.03 it looks washed out.
    "surface_reflectance": 0.02,
    # Melanin increment on the lesion relative to the skin. Above 1 it paints a mask-shaped dark
    # patch (the look we want to avoid); it is a knob for experiments, not for production.
    "lesion_gain": 1.0,
    "feather_px": None,  # border blur for lesion_gain != 1; None: 2.5 % of the image diagonal
    "max_evals": 8,  # skin readings while solving
    "tolerance_deg": 1.0,
}


def optical_density(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB -> float32 OD of linear reflectance, per channel."""
    return _OD_LUT[rgb]


def _apply_increment(linear: np.ndarray, increment: np.ndarray, floor: float) -> np.ndarray:
    """Body reflection above the surface floor is attenuated by exp(-increment * MELANIN_OD)."""
    body = np.maximum(linear - floor, 0.0)
    return np.minimum(linear, floor) + body * np.exp(-increment[..., None] * MELANIN_OD)


def _skin_colour(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-channel median linear reflectance of a subsample of the healthy skin."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 20000)))
    skin = rgb[::step, ::step][~mask[::step, ::step]]
    return _LINEAR_LUT[np.median(skin, axis=0).astype(np.uint8)]


def solve_increment(skin_linear: np.ndarray, target_ita: float, floor: float) -> float:
    """Melanin OD increment that brings one skin colour to the target ITA (grid + refine)."""
    lo, hi = _INCREMENT_RANGE
    for _ in range(3):
        grid = np.linspace(lo, hi, 64, dtype=np.float32)
        lab = srgb_to_lab(linear_to_srgb(_apply_increment(skin_linear[None], grid, floor)))
        ita = ita_from_lab(lab[:, 0], lab[:, 2])
        above = ita > target_ita  # ITA falls as melanin rises
        if above.all():
            return float(hi)
        if not above.any():
            return float(lo)
        i = int(np.argmin(above))  # first grid point at or below the target
        lo, hi = float(grid[max(i - 1, 0)]), float(grid[i])
    return 0.5 * (lo + hi)


def _render_with_increment(
    rgb: np.ndarray, increment: float, weight_map: np.ndarray | None, floor: float
) -> np.ndarray:
    """Per-channel lookup tables: one per quantised weight level, so no per-pixel exp/pow."""
    if weight_map is None:
        levels = np.array([1.0], dtype=np.float32)
        index = None
    else:
        lo, hi = float(weight_map.min()), float(weight_map.max())
        levels = np.linspace(lo, hi, _WEIGHT_LEVELS, dtype=np.float32)
        scale = (_WEIGHT_LEVELS - 1) / max(hi - lo, 1e-6)
        index = (np.rint((weight_map - lo) * scale).astype(np.intp)) * 256
    body = np.maximum(_LINEAR_LUT - floor, 0.0)
    kept = np.minimum(_LINEAR_LUT, floor)
    out = np.empty_like(rgb)
    for c in range(3):
        atten = np.exp(-increment * levels * MELANIN_OD[c])  # (levels,)
        table = to_uint8(linear_to_srgb(kept[None] + body[None] * atten[:, None])).ravel()
        out[..., c] = table[rgb[..., c]] if index is None else table[index + rgb[..., c]]
    return out


class MelaninBackend(ToneBackend):
    name = "melanin"
    code_version = CODE_VERSION

    def _render(self, rgb, mask, target: ToneTarget, *, seed: int, **params):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise ValueError(
                f"unknown melanin parameters {sorted(unknown)}; known: {list(DEFAULTS)}"
            )
        p = {**DEFAULTS, **params}
        floor = float(p["surface_reflectance"])
        if not 0.0 <= floor < 0.5:
            raise ValueError(f"surface_reflectance must be within [0, 0.5), got {floor}")
        gain = float(p["lesion_gain"])
        if not 0.0 <= gain <= 3.0:
            raise ValueError(f"lesion_gain must be within [0, 3], got {gain}")
        radius = p["feather_px"] or 0.025 * float(np.hypot(*rgb.shape[:2]))
        weight = None if gain == 1.0 else 1.0 + (gain - 1.0) * feather(mask, radius)

        # A one-colour proxy gives the starting point; the solve reads the rendered skin the way
        # measure_tone does, on a subsample of the pixels it looks at.
        sample = SkinSample.of(rgb, mask)
        pixels = sample.take(rgb)
        pixel_weight = None if weight is None else sample.take(weight)

        def reading(inc: float) -> float:
            return skin_ita(_render_with_increment(pixels, inc, pixel_weight, floor))

        wanted = target.target_ita_deg
        start = solve_increment(_skin_colour(rgb, mask), wanted, floor)
        increment, _ = solve_monotone(
            reading,
            wanted,
            start,
            _INCREMENT_RANGE,
            increasing=False,
            tolerance=float(p["tolerance_deg"]),
            max_evals=int(p["max_evals"]),
        )
        out = _render_with_increment(rgb, increment, weight, floor)
        used = {**p, "feather_px": round(float(radius), 3), "increment_od": round(increment, 5)}
        used["melanin_od"] = [round(float(v), 4) for v in MELANIN_OD]
        return out, used
