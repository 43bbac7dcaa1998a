"""Targets, templates, results and the backend base class shared by the tone-transfer backends."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthesis.ml.color import srgb_to_lab
from synthesis.ml.metrics import lesion_skin_contrast, ssim_luminance
from synthesis.ml.skin_colorimetry import (
    SkinColourDraw,
    TargetDistributions,
    published_distributions,
)
from synthesis.ml.skin_detection import DERMOSCOPIC, MODALITIES
from synthesis.ml.skin_tone import (
    FITZPATRICK_ITA_BANDS,
    fitzpatrick_band_centre,
    measure_skin_tone,
    measure_tone,
)

# An ITA target counts as reached within this many degrees. The Fitzpatrick ITA bands are
# 10-20 degrees wide; 5 degrees either side keeps an ITA target inside roughly one band.
ITA_TOLERANCE_DEG = 5.0
# A drawn colour is reached within twice that: the estimator's own 90% interval on a
# photograph is 10-20 degrees wide.
DRAWN_TOLERANCE_DEG = 10.0


def check_rgb(rgb: np.ndarray, name: str = "image") -> np.ndarray:
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"{name} must be HxWx3 RGB, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8, got dtype {rgb.dtype}")
    if min(rgb.shape[:2]) < 8:
        raise ValueError(f"{name} is too small: {rgb.shape[1]}x{rgb.shape[0]} (at least 8x8)")
    return rgb


def check_mask(mask: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """A bool (or {0,1}/{0,255}) HxW mask the size of the image -> bool HxW."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        got = getattr(mask, "shape", type(mask).__name__)
        raise ValueError(f"lesion mask must be a 2-D HxW array, got {got}")
    if mask.shape != rgb.shape[:2]:
        raise ValueError(
            f"lesion mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
            f"{rgb.shape[1]}x{rgb.shape[0]} (width x height); they must match"
        )
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"lesion mask must be bool or integer, got dtype {mask.dtype}")
    mask = mask > 0 if mask.dtype != bool else mask
    if mask.all():
        raise ValueError("lesion mask covers the whole image: no healthy skin to measure")
    return mask


@dataclass(frozen=True)
class StyleTemplate:
    """A patch of healthy skin with the tone statistics a target is mixed from."""

    patch: np.ndarray = field(repr=False, compare=False)
    ita_deg: float
    lab_mean: tuple[float, float, float]
    lab_std: tuple[float, float, float]
    name: str = ""

    @classmethod
    def from_patch(cls, rgb: np.ndarray, *, name: str = "") -> StyleTemplate:
        check_rgb(rgb, "template patch")
        lab = srgb_to_lab(rgb).reshape(-1, 3)
        return cls(
            patch=np.ascontiguousarray(rgb),
            ita_deg=float(measure_tone(rgb).ita_deg),
            lab_mean=tuple(float(v) for v in lab.mean(axis=0)),
            lab_std=tuple(float(v) for v in lab.std(axis=0)),
            name=name,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ita_deg": round(self.ita_deg, 3),
            "lab_mean": [round(v, 3) for v in self.lab_mean],
            "lab_std": [round(v, 3) for v in self.lab_std],
            "patch_size": [int(self.patch.shape[1]), int(self.patch.shape[0])],
        }


@dataclass(frozen=True)
class ToneTarget:
    """Exactly one of: a Fitzpatrick type, an ITA angle, or two templates mixed by alpha."""

    fitzpatrick: int | None = None
    ita_deg: float | None = None
    template_a: StyleTemplate | None = None
    template_b: StyleTemplate | None = None
    alpha: float | None = None
    # A Fitzpatrick target's skin colour drawn from real skin of that type (skin_colorimetry);
    # None aims at the type's band centre (the behaviour before issue 14).
    skin_colour: SkinColourDraw | None = None

    def __post_init__(self) -> None:
        templated = (self.template_a, self.template_b, self.alpha) != (None, None, None)
        given = [self.fitzpatrick is not None, self.ita_deg is not None, templated]
        if sum(given) != 1:
            raise ValueError(
                "give exactly one target: a Fitzpatrick type, an ITA angle, or two templates "
                f"with alpha (got {sum(given)})"
            )
        if self.fitzpatrick is not None and (
            isinstance(self.fitzpatrick, bool) or self.fitzpatrick not in FITZPATRICK_ITA_BANDS
        ):
            raise ValueError(f"Fitzpatrick type must be 1..6 (I-VI), got {self.fitzpatrick!r}")
        if self.ita_deg is not None and not -90.0 <= float(self.ita_deg) <= 90.0:
            raise ValueError(f"ITA must be within -90..90 degrees, got {self.ita_deg!r}")
        if templated:
            if self.template_a is None or self.template_b is None:
                raise ValueError("a templates target needs both template_a and template_b")
            if self.alpha is None or not 0.0 <= float(self.alpha) <= 1.0:
                raise ValueError(f"alpha must be within [0, 1], got {self.alpha!r}")
        if self.skin_colour is not None and self.skin_colour.fitzpatrick != self.fitzpatrick:
            raise ValueError("a drawn skin colour belongs to a Fitzpatrick target of its type")

    @classmethod
    def for_fitzpatrick(cls, skin_type: int) -> ToneTarget:
        return cls(fitzpatrick=skin_type)

    @classmethod
    def drawn(
        cls, skin_type: int, seed: int, distributions: TargetDistributions | None = None
    ) -> ToneTarget:
        """A Fitzpatrick target whose skin colour is drawn, with this seed, from real skin."""
        cls(fitzpatrick=skin_type)  # the type's own checks first
        dists = distributions or published_distributions()
        return cls(fitzpatrick=skin_type, skin_colour=dists.draw(skin_type, seed))

    @classmethod
    def for_ita(cls, ita_deg: float) -> ToneTarget:
        return cls(ita_deg=float(ita_deg))

    @classmethod
    def mix(cls, template_a: StyleTemplate, template_b: StyleTemplate, alpha: float) -> ToneTarget:
        return cls(template_a=template_a, template_b=template_b, alpha=float(alpha))

    @property
    def kind(self) -> str:
        if self.fitzpatrick is not None:
            return "fitzpatrick"
        return "ita" if self.ita_deg is not None else "templates"

    @property
    def target_ita_deg(self) -> float:
        """The ITA a backend aims the healthy skin at."""
        if self.skin_colour is not None:
            return float(self.skin_colour.ita_deg)
        if self.fitzpatrick is not None:
            return float(fitzpatrick_band_centre(self.fitzpatrick))
        if self.ita_deg is not None:
            return float(self.ita_deg)
        # Mix the (b*, L*-50) vectors: exactly template A's/B's ITA at alpha 0/1, and the ITA of
        # the mixed colour in between (mixing angles would ignore how saturated each tone is).
        vec = np.zeros(2)
        for template, weight in ((self.template_a, 1 - self.alpha), (self.template_b, self.alpha)):
            radius = math.hypot(template.lab_mean[2], template.lab_mean[0] - 50.0)
            angle = math.radians(template.ita_deg)
            vec += weight * radius * np.array([math.cos(angle), math.sin(angle)])
        return math.degrees(math.atan2(vec[1], vec[0]))

    @property
    def band(self) -> tuple[float, float]:
        """ITA interval counted as reaching the target."""
        if self.skin_colour is not None:
            # A drawn colour may sit past its type's band (types overlap in real skin): the
            # output is judged against the colour it was drawn to have.
            centre = self.target_ita_deg
            return centre - DRAWN_TOLERANCE_DEG, centre + DRAWN_TOLERANCE_DEG
        if self.fitzpatrick is not None:
            lo, hi = FITZPATRICK_ITA_BANDS[self.fitzpatrick]
            return float(lo), float(hi)
        centre = self.target_ita_deg
        return centre - ITA_TOLERANCE_DEG, centre + ITA_TOLERANCE_DEG

    def template_lab_stats(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Alpha-mixed Lab mean and std of the templates, or None for other targets."""
        if self.kind != "templates":
            return None
        a, b, w = self.template_a, self.template_b, self.alpha
        mean = (1 - w) * np.array(a.lab_mean) + w * np.array(b.lab_mean)
        std = (1 - w) * np.array(a.lab_std) + w * np.array(b.lab_std)
        return mean.astype(np.float32), std.astype(np.float32)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "target_ita_deg": round(self.target_ita_deg, 3)}
        out["band"] = [round(v, 3) for v in self.band]
        if self.kind == "fitzpatrick":
            out["fitzpatrick"] = int(self.fitzpatrick)
            if self.skin_colour is not None:
                out["drawn"] = self.skin_colour.as_dict()
        elif self.kind == "ita":
            out["ita_deg"] = float(self.ita_deg)
        else:
            out.update(
                alpha=float(self.alpha),
                template_a=self.template_a.as_dict(),
                template_b=self.template_b.as_dict(),
            )
        return out


@dataclass(frozen=True)
class TransferResult:
    """Output image plus everything needed to store its provenance and judge it."""

    image: np.ndarray = field(repr=False)
    backend: str
    code_version: str
    target: ToneTarget = field(repr=False)
    params: dict[str, Any]
    seed: int
    measurements: dict[str, Any]

    @property
    def in_band(self) -> bool | None:
        value = self.measurements["in_band"]
        return None if value is None else bool(value)

    @property
    def skin_ita_after(self) -> float | None:
        value = self.measurements["skin_ita_after"]
        return None if value is None else float(value)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable provenance (the image itself is left out)."""
        return {
            "backend": self.backend,
            "code_version": self.code_version,
            "target": self.target.as_dict(),
            "params": self.params,
            "seed": self.seed,
            "measurements": self.measurements,
            "image_size": [int(self.image.shape[1]), int(self.image.shape[0])],
        }


class ToneBackend:
    """Validates inputs, calls `_render`, then measures the output; subclasses do `_render`."""

    name = ""
    code_version = ""
    # Backends that render dermoscopic and clinical sources differently take modality (and the
    # lesion's kind, for lesion fidelity) as keyword arguments of _render.
    uses_modality = False

    def transfer(
        self,
        rgb: np.ndarray,
        lesion_mask: np.ndarray,
        target: ToneTarget,
        *,
        seed: int = 0,
        measure: bool = True,
        modality: str = DERMOSCOPIC,
        lesion_kind: str | None = None,
        texture_template: np.ndarray | None = None,
        texture_references: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> TransferResult:
        check_rgb(rgb)
        mask = check_mask(lesion_mask, rgb)
        if not isinstance(target, ToneTarget):
            raise ValueError(f"target must be a ToneTarget, got {type(target).__name__}")
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}")
        started = time.perf_counter()
        if self.uses_modality:
            params = {**params, "modality": modality, "lesion_kind": lesion_kind}
        if texture_template is not None:
            check_rgb(texture_template, "texture template")
        out, used = self._render(rgb, mask, target, seed=seed, **params)
        if texture_template is not None:
            out, used["texture"] = apply_texture(
                out, mask, texture_template, seed=seed, modality=modality
            )
        render_ms = (time.perf_counter() - started) * 1000.0
        measurements: dict[str, Any] = {"render_ms": round(render_ms, 3)}
        if measure:
            measurements.update(
                measure_transfer(
                    rgb,
                    out,
                    mask,
                    target,
                    modality=modality,
                    lesion_kind=lesion_kind,
                    texture_references=texture_references,
                )
            )
        return TransferResult(
            image=out,
            backend=self.name,
            code_version=self.code_version,
            target=target,
            params=used,
            seed=int(seed),
            measurements=measurements,
        )

    def _render(self, rgb, mask, target, *, seed, **params):  # pragma: no cover - abstract
        raise NotImplementedError


def apply_texture(
    out: np.ndarray, mask: np.ndarray, template: np.ndarray, *, seed: int, modality: str
) -> tuple[np.ndarray, dict[str, Any]]:
    """Real skin's fine structure from the template onto the healthy skin only: full weight
    beyond the lesion's border zone, fading to none at the lesion (skin_texture)."""
    from synthesis.ml.skin_texture import transfer_texture
    from synthesis.ml.tone_backends.fitting import feather

    radius = 0.02 * float(np.hypot(*mask.shape))
    near = feather(mask, radius)
    healthy = np.clip(1.0 - 2.0 * near, 0.0, 1.0)
    return transfer_texture(out, template, healthy, seed=seed, dermoscopic=modality == DERMOSCOPIC)


def measure_transfer(
    before: np.ndarray,
    after: np.ndarray,
    mask: np.ndarray,
    target: ToneTarget,
    *,
    modality: str = DERMOSCOPIC,
    lesion_kind: str | None = None,
    texture_references: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The output measured on its own, by the skin-tone estimator on the whole image (never
    the solver's reading): skin tone, band hit, lesion fidelity, realism; SSIM beside them."""
    from synthesis.ml.lesion_fidelity import measure_lesion_fidelity
    from synthesis.ml.realism import realism_score

    tone_before = measure_skin_tone(before, modality=modality, lesion_mask=mask)
    tone_after = measure_skin_tone(after, modality=modality, lesion_mask=mask)
    lo, hi = target.band
    out: dict[str, Any] = {
        "skin_ita_before": _rounded(tone_before.ita_deg),
        "skin_ita_after": _rounded(tone_after.ita_deg),
        "target_ita": round(target.target_ita_deg, 3),
        "target_band": [round(lo, 3), round(hi, 3)],
        "in_band": None if tone_after.ita_deg is None else bool(lo <= tone_after.ita_deg <= hi),
        "skin_tone": skin_tone_summary(tone_after),
        "contrast_before": round(float(lesion_skin_contrast(before, mask)), 4),
        "contrast_after": round(float(lesion_skin_contrast(after, mask)), 4),
        "ssim_luminance": round(float(ssim_luminance(before, after)), 4),
    }
    try:
        out["lesion_fidelity"] = measure_lesion_fidelity(
            before, after, mask, modality=modality, lesion_kind=lesion_kind
        )
    except ValueError as exc:
        out["lesion_fidelity"] = {"passes": None, "not_measured": str(exc)}
    if target.fitzpatrick is not None and tone_after.gradable:
        out["realism"] = realism_score(
            after,
            mask,
            tone_after,
            target.fitzpatrick,
            texture_references=texture_references,
            modality=modality,
        )
    return out


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def skin_tone_summary(tone) -> dict[str, Any]:
    """What is stored of the output's independent skin-tone measurement."""
    if not tone.gradable:
        return {"gradable": False, "reasons": [r["message"] for r in tone.not_gradable]}
    return {
        "gradable": True,
        "method_version": tone.method_version,
        "ita_deg": tone.ita_deg,
        "ita_interval": list(tone.ita_interval),
        "l_star": tone.l_star,
        "a_star": tone.a_star,
        "b_star": tone.b_star,
        "hue_deg": round(math.degrees(math.atan2(tone.b_star, tone.a_star)), 2),
        "as_imaged": tone.as_imaged,
        "fitzpatrick_estimate": tone.estimated_fitzpatrick,
        "monk_estimate": tone.monk["estimate"],
    }
