"""Realism score of a tone-transfer output: how far its skin is from real skin of the type.

Colour: the output's standard skin colour, as the skin-tone estimator reads it on the whole
output, against the published colorimetry of the target type (skin_colorimetry): the ITA and
hue angle, each in standard deviations of real people of that type (the spread of the type's
distribution), combined as a root sum of squares. L* and b* are not scored one by one: the
estimator reads standard colour off the skin model, whose darkest skin is ~8 b* more
saturated than colorimetry at the same ITA (bench/tone_transfer.py shows it), so they would
score the model, not the output; ITA and hue are what the model and colorimetry share.
Texture, when references are given (the multi-scale statistics of accepted templates cut
from real skin of the type): the RMS log-ratio of band energies (skin_texture). The score is
the root sum of squares of the two; lower is more like real skin. Bands for the review
report: within 1.5 (as close as most real people of the type), up to 3, beyond 3.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthesis.ml.skin_colorimetry import TargetDistributions, published_distributions

BANDS = ((1.5, "close"), (3.0, "plausible"), (math.inf, "far"))


def score_band(score: float | None) -> str | None:
    if score is None:
        return None
    return next(name for limit, name in BANDS if score <= limit)


_SPREADS: dict[tuple[str, int], tuple[float, ...]] = {}


def _type_spread(dists: TargetDistributions, skin_type: int) -> tuple[float, ...]:
    """Mean and sd of ITA and hue over 2,000 draws of the type (cached per distribution)."""
    key = (repr(sorted(dists.types.items())), skin_type)
    if key not in _SPREADS:
        draws = [dists.draw(skin_type, seed) for seed in range(2000)]
        ita = np.array([d.ita_deg for d in draws])
        hue = np.array([d.hue_deg for d in draws])
        _SPREADS[key] = (float(ita.mean()), float(ita.std()), float(hue.mean()), float(hue.std()))
    return _SPREADS[key]


def realism_score(
    rgb: np.ndarray,
    mask: np.ndarray,
    tone,
    fitzpatrick: int,
    *,
    texture_references: list[dict[str, Any]] | None = None,
    distributions: TargetDistributions | None = None,
    modality: str | None = None,
) -> dict[str, Any]:
    """tone: the output's gradable SkinTone. texture_references: texture_stats of real skin."""
    from synthesis.ml.skin_texture import texture_distance, texture_stats

    dists = distributions or published_distributions()
    ita_mean, ita_sd, hue_mean, hue_sd = _type_spread(dists, fitzpatrick)
    hue = math.degrees(math.atan2(tone.b_star, tone.a_star))
    colour = math.hypot((tone.ita_deg - ita_mean) / ita_sd, (hue - hue_mean) / hue_sd)
    out: dict[str, Any] = {
        "colour_distance": round(colour, 3),
        "reference": f"{dists.name}, Fitzpatrick {fitzpatrick}",
    }
    total = colour**2
    if texture_references:
        from synthesis.ml.skin_tone import skin_mask

        skin = skin_mask(rgb, modality=modality or "dermoscopic", lesion_mask=mask)
        stats = texture_stats(rgb, skin)
        texture = float(np.median([texture_distance(stats, ref) for ref in texture_references]))
        out["texture_distance"] = round(texture, 3)
        out["texture_references"] = len(texture_references)
        total += texture**2
    else:
        out["texture_distance"] = None
        out["texture_references"] = 0
    out["score"] = round(math.sqrt(total), 3)
    out["band"] = score_band(out["score"])
    return out
