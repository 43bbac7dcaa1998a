"""Baseline backend: match the healthy skin's CIELAB mean/std to the target (Reinhard-style).

Skin pixels get out = mean_t + (x - mean_s) * std_t / std_s per channel. The lesion gets the same
shift but a lightness scale of at least `lesion_contrast_keep`, so it keeps most of its contrast;
the two scales are blended across the border with a feathered mask.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from synthesis.ml.color import lab_to_srgb, srgb_to_lab, to_uint8
from synthesis.ml.skin_tone import ita_from_lab
from synthesis.ml.tone_backends.base import ToneBackend, ToneTarget
from synthesis.ml.tone_backends.fitting import SkinSample, feather, skin_ita, solve_monotone

CODE_VERSION = "lab-stats-1"

# Monk Skin Tone scale swatches 1-10: a published, ordered set of skin colours used here as the
# locus of plausible skin (L*, b*) for a target ITA when no template is given.
MONK_SKIN_TONES = (
    *("f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96"),
    *("a07e56", "825c43", "604134", "3a312a", "292420"),
)

DEFAULTS: dict[str, Any] = {
    "lesion_contrast_keep": 0.75,  # minimum L* scale applied to the lesion
    "feather_px": None,  # None: 2.5 % of the image diagonal
    "max_evals": 8,  # skin readings while solving
    "tolerance_deg": 1.0,
}


@cache
def _skin_locus() -> tuple[np.ndarray, np.ndarray]:
    """(ITA ascending, Lab rows) of the Monk swatches, for interpolation."""
    rgb = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in MONK_SKIN_TONES])
    lab = srgb_to_lab(rgb.astype(np.uint8))
    ita = ita_from_lab(lab[:, 0], lab[:, 2])
    order = np.argsort(ita)
    return ita[order], lab[order]


def locus_lab(ita_deg: float) -> np.ndarray:
    """A plausible skin L*, a*, b* for an ITA, interpolated along the Monk swatches."""
    ita, lab = _skin_locus()
    return np.array([np.interp(ita_deg, ita, lab[:, k]) for k in range(3)], dtype=np.float32)


def _target_stats(target: ToneTarget, aim: float, mean_s, std_s) -> tuple[np.ndarray, np.ndarray]:
    stats = target.template_lab_stats()
    if stats is not None and aim == target.target_ita_deg:
        return stats
    if stats is not None:  # a correction round: keep the templates' chroma, move L* to the aim
        mean_t, std_t = stats
        mean_t = mean_t.copy()
        mean_t[0] = np.clip(50.0 + mean_t[2] * np.tan(np.radians(aim)), 5.0, 95.0)
        return mean_t, std_t
    loc = locus_lab(aim)
    ratio = loc[0] / max(float(mean_s[0]), 1.0)
    # The image's own redness, scaled with lightness (darker skin shows less of it).
    mean_t = np.array([loc[0], mean_s[1] * ratio, loc[2]], dtype=np.float32)
    std_t = np.array([std_s[0] * ratio, std_s[1] * ratio, std_s[2]], dtype=np.float32)
    return mean_t, std_t


class LabStatsBackend(ToneBackend):
    name = "lab-stats"
    code_version = CODE_VERSION

    def _render(self, rgb, mask, target: ToneTarget, *, seed: int, **params):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise ValueError(
                f"unknown lab-stats parameters {sorted(unknown)}; known: {list(DEFAULTS)}"
            )
        p = {**DEFAULTS, **params}
        keep = float(p["lesion_contrast_keep"])
        if not 0.0 <= keep <= 1.5:
            raise ValueError(f"lesion_contrast_keep must be within [0, 1.5], got {keep}")
        radius = p["feather_px"] or 0.025 * float(np.hypot(*rgb.shape[:2]))
        soft = feather(mask, radius)[..., None]
        lab = srgb_to_lab(rgb)
        skin = lab[~mask]
        mean_s = skin.mean(axis=0)
        std_s = np.maximum(skin.std(axis=0), 1e-3)

        def render(lab_part, soft_part, aim):
            mean_t, std_t = _target_stats(target, aim, mean_s, std_s)
            scale = std_t / std_s
            lesion_scale = scale.copy()
            lesion_scale[0] = max(scale[0], keep)
            per_pixel = scale + (lesion_scale - scale) * soft_part
            return to_uint8(lab_to_srgb(mean_t + (lab_part - mean_s) * per_pixel)), (mean_t, std_t)

        sample = SkinSample.of(rgb, mask)
        sample_lab, sample_soft = sample.take(lab), sample.take(soft)

        def reading(aim: float) -> float:
            return skin_ita(render(sample_lab, sample_soft, aim)[0])

        # The aim is the ITA fed to the target statistics; solve it so the output reads right.
        wanted = target.target_ita_deg
        aim, _ = solve_monotone(
            reading,
            wanted,
            wanted,
            (-90.0, 90.0),
            increasing=True,
            tolerance=float(p["tolerance_deg"]),
            max_evals=int(p["max_evals"]),
            step=4.0,
        )
        out, (mean_t, std_t) = render(lab, soft, aim)
        used = {**p, "feather_px": round(float(radius), 3), "aim_ita_deg": round(aim, 3)}
        used["target_lab_mean"] = [round(float(v), 3) for v in mean_t]
        used["target_lab_std"] = [round(float(v), 3) for v in std_t]
        return out, used
