"""What real skin of each Fitzpatrick type measures, as distributions to draw tone targets from.

A target type is a spread of colours, not a point. Each type has a bivariate normal in
(L*, b*) of the skin's standard colour (D65, colorimeter geometry) and a normal hue angle
h = atan2(b*, a*); an output draws one (L*, b*, h) with its own seed, so outputs of one type
vary as real people of that type do.

Where the numbers come from (read from the published tables and figures; the spreads are
population spreads of single measurements, not errors of a mean):
- Chardon, Cretois & Hourseau 1991, Int. J. Cosmet. Sci. 13:191 and Del Bino & Bernerd 2013,
  Br. J. Dermatol. 169 s3:33 (colorimetry of ~3,500 subjects of European, Asian, Latin
  American, Indian and African origin): the six ITA categories and where each population sits
  in the L*-b* plane. Dark (ITA < -30) skin measures L* ~30-45 with b* ~10-20; brown skin
  L* ~42-55 with b* ~15-22; b* falls again in the darkest skin, so L* and b* correlate there.
- Wilkes, Wright, du Plessis & Reeder 2015, JAMA Dermatol. 151:902 (Fitzpatrick type, ITA and
  melanin index of black South Africans) and Osto et al. 2022, Photochem. Photobiol. 98:1035:
  ITA falls steadily with Fitzpatrick type but neighbouring types overlap by 10-20 degrees;
  self-reported type VI skin centres in the dark category near -35 to -45 degrees, well inside
  it, not at the -30 edge nor at the -90 end.
- A draw stays inside its type's published ITA range (the Del Bino & Bernerd 2013 category
  the type maps to, tone_scales.FITZPATRICK_ITA_BANDS; type VI: below -30 degrees): the
  L*-b* normal alone reaches into the neighbouring category (a type VI draw at L* 47, b* 18
  is brown, type V skin), and an output of one type must not read as the next.
- Xiao et al. 2017, Skin Res. Technol. 23:21 (spectrophotometry of four ethnic groups, several
  body sites) and de Rigal et al. 2007, Skin Res. Technol. 13:101: hue angles of 55-70 degrees
  for brown and dark skin (darker skin is browner, not redder), a* of about 8-12.

Types I-III are given so that a distribution file is complete; PixGen aims at IV-VI.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthesis.ml.fitzpatrick import TYPES

DISTRIBUTION_VERSION = "published-colorimetry-2"
_FIELDS = ("l_mean", "l_sd", "b_mean", "b_sd", "lb_corr", "hue_mean", "hue_sd")
# Draws further than this many sd from the mean are redrawn: the normal's tails would give
# colours no colorimetry study reports.
_TRUNCATE_SD = 2.0

PUBLISHED: dict[int, dict[str, float]] = {
    1: {"l_mean": 69.0, "l_sd": 2.5, "b_mean": 12.5, "b_sd": 2.0, "lb_corr": -0.2,
        "hue_mean": 58.0, "hue_sd": 5.0},
    2: {"l_mean": 65.0, "l_sd": 2.5, "b_mean": 15.0, "b_sd": 2.0, "lb_corr": -0.2,
        "hue_mean": 60.0, "hue_sd": 5.0},
    3: {"l_mean": 61.0, "l_sd": 2.5, "b_mean": 17.0, "b_sd": 2.0, "lb_corr": -0.2,
        "hue_mean": 62.0, "hue_sd": 5.0},
    4: {"l_mean": 56.0, "l_sd": 3.5, "b_mean": 19.0, "b_sd": 2.5, "lb_corr": 0.0,
        "hue_mean": 64.0, "hue_sd": 4.0},
    5: {"l_mean": 47.0, "l_sd": 4.5, "b_mean": 18.5, "b_sd": 2.5, "lb_corr": 0.3,
        "hue_mean": 63.0, "hue_sd": 4.0},
    6: {"l_mean": 38.5, "l_sd": 4.5, "b_mean": 15.0, "b_sd": 3.0, "lb_corr": 0.5,
        "hue_mean": 61.0, "hue_sd": 5.0},
}  # fmt: skip


class DistributionError(ValueError):
    """A target distribution file that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class SkinColourDistribution:
    """One type's distribution of standard skin colour."""

    l_mean: float
    l_sd: float
    b_mean: float
    b_sd: float
    lb_corr: float
    hue_mean: float
    hue_sd: float

    def covariance(self) -> np.ndarray:
        c = self.lb_corr * self.l_sd * self.b_sd
        return np.array([[self.l_sd**2, c], [c, self.b_sd**2]])

    def mahalanobis(self, l_star: float, b_star: float, hue: float) -> float:
        """Distance of one colour from the type's centre, in sd (L*-b* jointly, and hue)."""
        d = np.array([l_star - self.l_mean, b_star - self.b_mean])
        lb = float(d @ np.linalg.inv(self.covariance()) @ d)
        return math.sqrt(lb + ((hue - self.hue_mean) / self.hue_sd) ** 2)


@dataclass(frozen=True)
class SkinColourDraw:
    """One drawn target colour (standard L*, a*, b*, hue and ITA) and how it was drawn."""

    fitzpatrick: int
    l_star: float
    a_star: float
    b_star: float
    hue_deg: float
    ita_deg: float
    seed: int
    distribution: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "fitzpatrick": self.fitzpatrick,
            "l_star": round(self.l_star, 2),
            "a_star": round(self.a_star, 2),
            "b_star": round(self.b_star, 2),
            "hue_deg": round(self.hue_deg, 2),
            "ita_deg": round(self.ita_deg, 2),
            "seed": self.seed,
            "distribution": self.distribution,
        }


@dataclass(frozen=True)
class TargetDistributions:
    """The per-type distributions in use and the name they are recorded under."""

    types: dict[int, SkinColourDistribution]
    name: str = DISTRIBUTION_VERSION

    def __getitem__(self, skin_type: int) -> SkinColourDistribution:
        if skin_type not in self.types:
            raise DistributionError(
                f"the target distribution {self.name!r} has no Fitzpatrick type {skin_type}"
            )
        return self.types[skin_type]

    def draw(self, skin_type: int, seed: int) -> SkinColourDraw:
        """One colour of this type, inside the type's ITA range (ita_range); the same seed
        always gives the same colour."""
        seed = check_seed(seed)
        dist = self[skin_type]
        lo, hi = ita_range(skin_type)
        rng = np.random.default_rng([seed, skin_type])
        mean = np.array([dist.l_mean, dist.b_mean])
        for _ in range(256):
            l_star, b_star = rng.multivariate_normal(mean, dist.covariance())
            hue = rng.normal(dist.hue_mean, dist.hue_sd)
            ita = math.degrees(math.atan((l_star - 50.0) / max(b_star, 1.0)))
            if (
                dist.mahalanobis(l_star, b_star, dist.hue_mean) <= _TRUNCATE_SD
                and abs(hue - dist.hue_mean) <= _TRUNCATE_SD * dist.hue_sd
                and lo < ita <= hi
            ):
                break
        else:
            raise DistributionError(
                f"the target distribution {self.name!r} puts (almost) no colour of type "
                f"{skin_type} inside its ITA range {lo:g}..{hi:g} degrees"
            )
        b_star = max(float(b_star), 1.0)
        return SkinColourDraw(
            fitzpatrick=skin_type,
            l_star=float(l_star),
            a_star=float(b_star / math.tan(math.radians(hue))),
            b_star=b_star,
            hue_deg=float(hue),
            ita_deg=math.degrees(math.atan((float(l_star) - 50.0) / b_star)),
            seed=seed,
            distribution=self.name,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "types": {str(t): vars(d) for t, d in sorted(self.types.items())},
        }


def ita_range(skin_type: int) -> tuple[float, float]:
    """(lo, hi] ITA of a type: its Del Bino & Bernerd 2013 category (tone_scales)."""
    from synthesis.ml.tone_scales import FITZPATRICK_ITA_BANDS

    lo, hi = FITZPATRICK_ITA_BANDS[skin_type]
    return float(lo), float(hi)


def check_seed(seed: Any) -> int:
    """A seed is a whole number >= 0 (bools and 1.5 are refused, "7" is read as 7)."""
    if isinstance(seed, bool):
        raise ValueError(f"the seed must be a whole number, got {seed!r}")
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    if isinstance(seed, str) and seed.strip().lstrip("-").isdigit():
        seed = int(seed.strip())
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"the seed must be a whole number, got {seed!r}")
    if seed < 0 or seed >= 2**63:
        raise ValueError(f"the seed must be between 0 and 2^63 - 1, got {seed}")
    return int(seed)


def distributions_from_dict(data: Any, *, name: str | None = None) -> TargetDistributions:
    """Parse {"name": ..., "types": {"1": {...}, ..., "6": {...}}}; every type must be there."""
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise DistributionError(
            'a target distribution is a JSON object with "types": {"1": {...}, ..., "6": {...}}'
        )
    raw = data["types"]
    missing = [t for t in TYPES if str(t) not in raw and t not in raw]
    if missing:
        roman = ", ".join(str(t) for t in missing)
        raise DistributionError(f"the target distribution lacks Fitzpatrick type(s) {roman}")
    types: dict[int, SkinColourDistribution] = {}
    for t in TYPES:
        entry = raw.get(str(t), raw.get(t))
        if not isinstance(entry, dict):
            raise DistributionError(f"type {t}: expected an object with {', '.join(_FIELDS)}")
        absent = [f for f in _FIELDS if f not in entry]
        if absent:
            raise DistributionError(f"type {t}: missing {', '.join(absent)}")
        try:
            values = {f: float(entry[f]) for f in _FIELDS}
        except (TypeError, ValueError):
            raise DistributionError(f"type {t}: every field must be a number") from None
        if not all(math.isfinite(v) for v in values.values()):
            raise DistributionError(f"type {t}: every field must be finite")
        if min(values["l_sd"], values["b_sd"], values["hue_sd"]) <= 0:
            raise DistributionError(f"type {t}: standard deviations must be above 0")
        if not -1 < values["lb_corr"] < 1:
            raise DistributionError(f"type {t}: lb_corr must be within (-1, 1)")
        if not (0 < values["l_mean"] < 100 and 0 < values["hue_mean"] < 90):
            raise DistributionError(f"type {t}: l_mean must be in (0, 100), hue_mean in (0, 90)")
        lo, hi = ita_range(t)
        centre = math.degrees(math.atan((values["l_mean"] - 50.0) / max(values["b_mean"], 1.0)))
        if not lo < centre <= hi:
            raise DistributionError(
                f"type {t}: the mean colour (L* {values['l_mean']:g}, b* {values['b_mean']:g}) "
                f"has ITA {centre:.1f} degrees, outside the type's range {lo:g}..{hi:g}"
            )
        types[t] = SkinColourDistribution(**values)
    return TargetDistributions(types=types, name=str(name or data.get("name") or "custom"))


def distributions_from_file(path: str | Path) -> TargetDistributions:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DistributionError(f"no such target distribution file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DistributionError(f"the target distribution file is not JSON: {exc}") from None
    return distributions_from_dict(data, name=data.get("name") or path.stem)


def published_distributions() -> TargetDistributions:
    return distributions_from_dict(
        {"name": DISTRIBUTION_VERSION, "types": {str(t): v for t, v in PUBLISHED.items()}}
    )
