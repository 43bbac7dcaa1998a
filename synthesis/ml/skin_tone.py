"""Skin tone of the healthy skin in a photograph: ITA, CIELAB, a melanin index, Fitzpatrick
and Monk estimates, each with its uncertainty, or "not gradable" with its reasons.

The one entry point is `measure_skin_tone(rgb, modality=..., lesion_mask=...)`; the worker's
analysis, the measure_tone command, the API and the tone-transfer solvers all read skin
through it. The method (METHOD_VERSION):
1. refuse what cannot be graded: a tiny, greyscale, nearly black or blown-out image;
2. work at <= 128 px; linearise sRGB; find the healthy skin (skin_detection): skin-like in
   optical density, not hair/glare/shadow, not the lesion and its ring, the dominant cluster;
   dermoscopic images keep the dermoscope's field of view, clinical photographs never do;
3. correct white balance from a neutral reference when the frame has one (illumination);
4. invert the median skin colour through the skin model (skin_optics.skin_posterior): a
   posterior over melanin, blood and surface reflection with exposure and white-balance error
   marginalised, so auto-exposure that brightens dark skin moves the estimate far less than it
   moves the photograph's L*;
5. report the posterior of the skin's standard colour (D65, exposure 1): ITA with a 90%
   interval, L*, a*, b*, melanin index and melanosome fraction; Fitzpatrick probabilities from
   the ITA posterior and the Del Bino bands (tone_scales); Monk probabilities from the same
   posterior and the ITA of Google's published MST swatches (tone_scales); and the colour as
   imaged (the classic photometric ITA) beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

from synthesis.ml.color import srgb_to_linear, to_float_rgb, to_uint8
from synthesis.ml.fitzpatrick import ROMAN, check_type
from synthesis.ml.illumination import CLIP_LEVEL, Illumination, find_illumination, is_greyscale
from synthesis.ml.skin_detection import (
    CLINICAL,
    DARK_LIMIT,
    DERMOSCOPIC,
    MODALITIES,
    frame_maps,
    select_skin,
)
from synthesis.ml.skin_optics import (
    ColourPriors,
    chroma_of,
    linear_rgb_to_lab,
    skin_model_grid,
    skin_posterior,
)
from synthesis.ml.tone_scales import (
    FITZPATRICK_ITA_BANDS,
    GROUP_CALL_PROBABILITY,
    ITA_CATEGORIES,
    METHOD_VERSION,
    group_probabilities,
    ita_category,
    ita_to_fitzpatrick,
    monk_membership,
    type_membership,
)

__all__ = [
    "FITZPATRICK_ITA_BANDS",
    "ITA_CATEGORIES",
    "METHOD_VERSION",
    "MODALITIES",
    "SkinTone",
    "ToneNotGradable",
    "fitzpatrick_band_centre",
    "healthy_skin_mask",
    "ita_category",
    "ita_from_lab",
    "ita_to_fitzpatrick",
    "measure_skin_tone",
    "measure_tone",
]

WORK_SIDE = 128  # px: ~12k pixels of a 600x450 frame; the median needs far fewer
MIN_SIDE = 32  # px: smaller images hold too few skin pixels to grade
MIN_SKIN_SHARE = 0.02  # of the frame, after everything is left out
MIN_SKIN_PIXELS = 150  # at the working size
DARK_IMAGE_SHARE = 0.9  # share of near-black pixels that makes a frame "nearly black"
BLOWN_IMAGE_SHARE = 0.6  # share of clipped pixels that makes a frame "blown out"
SKIN_TOO_DARK = 0.01  # median linear G of the skin (sRGB ~25): the sensor's floor, not skin
HEAVY_CAST_SIGMAS = 3.0  # a cast the camera would have needed beyond 3 sd: not correctable
SOLVER_CLIP_SHARE = 0.02  # share of clipped skin pixels at which skin_pixels_tone says 90
FIT_LIMIT = 4.0  # Mahalanobis distance: no plausible skin under any plausible light

PRIORS = {
    CLINICAL: ColourPriors(exposure_sd=0.7, cast_sd_mired=30.0),
    # Dermoscopes touch the skin and light it with their own LEDs: exposure is steady, but
    # white LEDs are not Planckian (a magenta/green tint) and are often cool, and polarised
    # views render skin far pinker than a colorimeter: wide cast and tint priors.
    DERMOSCOPIC: ColourPriors(exposure_sd=0.35, cast_sd_mired=50.0, tint_sd=0.25),
}
REFERENCE_CAST_SD_MIRED = 10.0  # after correcting from a neutral reference

REASONS = {
    "too_small": "the image is too small to grade (under {min_side} px on a side)",
    "greyscale": "the image is greyscale: skin tone cannot be read without colour",
    "too_dark": "the image is nearly black: the skin is too dark to read (underexposed)",
    "overexposed": "the image is blown out: too much of it is clipped white",
    "too_little_skin": (
        "too little healthy skin: {pixels} pixels remain after leaving out the lesion, its "
        "border, hair, glare, shadow and the background; at least {needed} are needed"
    ),
    "heavy_cast": (
        "a heavy colour cast ({cast:.0f} mired from daylight) that no neutral reference in the "
        "frame lets us correct"
    ),
    "not_skin_coloured": "no part of the image has a colour skin can have under plausible light",
}
_BAND_CENTRES = {1: 62.0, 2: 48.0, 3: 34.5, 4: 19.0, 5: -10.0, 6: -45.0}
_LINEAR_LUT = srgb_to_linear(np.arange(256, dtype=np.uint8)).astype(np.float32)
_LINEAR_LUT[0] = 1.0 / (255.0 * 12.92 * 2)  # keep ln finite for black pixels
_LN_LUT = np.log(_LINEAR_LUT)


class ToneNotGradable(ValueError):
    """measure_tone's error for an image that cannot be graded; .result holds the reasons."""

    def __init__(self, result: SkinTone):
        self.result = result
        super().__init__("; ".join(r["message"] for r in result.not_gradable))


def ita_from_lab(l_star: float | np.ndarray, b_star: float | np.ndarray) -> float | np.ndarray:
    """ITA in degrees; b* is floored just above 0 so grey/bluish input stays within [-90, 90]."""
    b = np.maximum(np.asarray(b_star, dtype=np.float64), 1e-6)
    ita = np.degrees(np.arctan((np.asarray(l_star, dtype=np.float64) - 50.0) / b))
    return float(ita) if np.ndim(ita) == 0 else ita


def fitzpatrick_band_centre(t: int) -> float:
    """A representative ITA inside type t's band, for use as a tone-transfer target."""
    return _BAND_CENTRES[check_type(t)]


@dataclass(frozen=True)
class SkinTone:
    """One measurement; `as_dict()` is what the API, the command and the database store."""

    method_version: str
    modality: str
    gradable: bool
    not_gradable: list[dict[str, str]] = field(default_factory=list)
    ita_deg: float | None = None
    ita_interval: tuple[float, float] | None = None
    l_star: float | None = None
    a_star: float | None = None
    b_star: float | None = None
    melanin_index: float | None = None
    melanin_index_sd: float | None = None
    melanosome_fraction: float | None = None
    as_imaged: dict[str, float] | None = None
    fitzpatrick: dict[str, Any] | None = None
    monk: dict[str, Any] | None = None
    illumination: dict[str, Any] | None = None
    exposure: dict[str, Any] | None = None
    skin: dict[str, Any] | None = None

    @property
    def estimated_fitzpatrick(self) -> int | None:
        return None if self.fitzpatrick is None else int(self.fitzpatrick["estimate"])

    @property
    def skin_pixels(self) -> int:
        return 0 if self.skin is None else int(self.skin["pixels"])

    @property
    def ita_category(self) -> str | None:
        return None if self.ita_deg is None else ita_category(self.ita_deg)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out["ita_interval"] is not None:
            out["ita_interval"] = list(out["ita_interval"])
        out["estimated_fitzpatrick"] = self.estimated_fitzpatrick
        out["ita_category"] = self.ita_category
        return out


def _reason(code: str, **values: Any) -> dict[str, str]:
    return {"code": code, "message": REASONS[code].format(**values)}


def _not_gradable(modality: str, *reasons: dict[str, str], **extra: Any) -> SkinTone:
    return SkinTone(
        method_version=METHOD_VERSION,
        modality=modality,
        gradable=False,
        not_gradable=list(reasons),
        **extra,
    )


def _check_inputs(rgb: Any, lesion_mask: Any, modality: str) -> tuple[np.ndarray, Any]:
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}")
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        shape = getattr(rgb, "shape", type(rgb).__name__)
        raise ValueError(f"expected an HxWx3 RGB image, got {shape}")
    if rgb.dtype != np.uint8 and not np.issubdtype(rgb.dtype, np.floating):
        raise ValueError(f"expected a uint8 (or float 0..1) RGB image, got dtype {rgb.dtype}")
    if min(rgb.shape[:2]) < 1:
        raise ValueError(f"the image is empty: shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        rgb = to_uint8(to_float_rgb(rgb))
    if lesion_mask is None:
        return rgb, None
    mask = np.asarray(lesion_mask)
    if mask.shape != rgb.shape[:2]:
        h, w = rgb.shape[:2]
        got = f"{mask.shape[1]}x{mask.shape[0]}" if mask.ndim == 2 else f"of shape {mask.shape}"
        raise ValueError(f"lesion mask is {got} but the image is {w}x{h} (width x height)")
    return rgb, mask > 0


def _working_size(rgb: np.ndarray, mask: np.ndarray | None):
    h, w = rgb.shape[:2]
    scale = WORK_SIDE / max(h, w)
    if scale >= 1:
        return rgb, mask, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.BOX))
    if mask is not None:
        # Any lesion pixel in a block marks the block: the lesion is never shrunk away.
        box = Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.BOX)
        mask = np.asarray(box) > 0
    return small, mask, (h * w) / (size[0] * size[1])


def lesion_for_measurement(
    rgb: np.ndarray, modality: str, lesion_mask: np.ndarray | None
) -> tuple[np.ndarray | None, str]:
    """The lesion to leave out, and where it came from. The one switch for segmentation: a
    given mask wins; dermoscopic images get the checked automatic mask of lesion_masks (the
    shipped model, the classical segmenter when its mask fails the check); clinical
    photographs, and dermoscopic ones whose every mask failed, have their lesion found as
    off-cluster skin instead."""
    if lesion_mask is not None:
        return lesion_mask, "given"
    if modality == DERMOSCOPIC:
        from synthesis.ml.lesion_masks import segment_for_modality

        result = segment_for_modality(rgb, DERMOSCOPIC)
        if result.mask is not None:
            return result.mask, f"dermoscopy-segmenter:{result.segmenter}"
    return None, "colour-outliers"


def _field_of_view(rgb_small: np.ndarray, modality: str) -> np.ndarray | None:
    if modality != DERMOSCOPIC:
        return None
    from synthesis.ml.segmentation_classical import field_of_view_mask

    return field_of_view_mask(rgb_small)


COLOUR_SAMPLE = 4000  # pixels: the median's standard error is then ~2% of the skin's spread


def _skin_colour(ln_rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """ln of the per-channel median linear colour of the skin (the median commutes with ln),
    read on a regular sample of at most COLOUR_SAMPLE pixels."""
    pixels = ln_rgb[mask]
    return np.median(pixels[:: max(1, len(pixels) // COLOUR_SAMPLE)], axis=0).astype(np.float64)


def _find_skin(rgb_small, ln_rgb, clipped, modality, lesion, fov):
    """Skin pixels, the illumination used and the priors that go with it."""
    priors = PRIORS[modality]
    maps = frame_maps(ln_rgb)
    skin = select_skin(
        ln_rgb,
        clipped,
        modality=modality,
        priors=priors,
        lesion=lesion,
        field_of_view=fov,
        maps=maps,
    )
    illumination = Illumination("camera", np.zeros(2), 0.0, None)
    if modality == CLINICAL and skin.mask.sum() >= MIN_SKIN_PIXELS:
        colour = _skin_colour(ln_rgb, skin.mask)
        illumination = find_illumination(
            chroma_of(ln_rgb),
            maps.ln_y,
            clipped,
            ~skin.mask,
            chroma_of(colour),
            float(colour.mean()),
        )
        if illumination.method == "neutral-reference":
            priors = ColourPriors(
                exposure_sd=priors.exposure_sd,
                cast_sd_mired=REFERENCE_CAST_SD_MIRED,
                tint_sd=priors.tint_sd,
                model_sd=priors.model_sd,
            )
            ln_rgb = illumination.correct(ln_rgb)
            skin = select_skin(
                ln_rgb,
                clipped,
                modality=modality,
                priors=priors,
                lesion=lesion,
                field_of_view=fov,
                maps=maps,
            )
    if illumination.exposure_floor is not None:
        priors = ColourPriors(
            exposure_sd=priors.exposure_sd,
            cast_sd_mired=priors.cast_sd_mired,
            tint_sd=priors.tint_sd,
            model_sd=priors.model_sd,
            exposure_floor=illumination.exposure_floor,
        )
    return skin, ln_rgb, illumination, priors


@cache
def _grid_tables() -> dict[str, np.ndarray]:
    """What every estimate reads off the model grid, computed once: sort orders for the
    weighted quantiles and each grid point's Fitzpatrick band membership."""
    grid = skin_model_grid()
    return {
        "ita_order": np.argsort(grid.ita),
        "lab_order": np.argsort(grid.lab, axis=0),
        "types": type_membership(grid.ita),
        "monk": monk_membership(grid.ita),
    }


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, order, qs) -> np.ndarray:
    w = weights[order]
    cdf = np.cumsum(w) - 0.5 * w
    return np.interp(qs, cdf, values[order])


def measure_skin_tone(
    rgb: np.ndarray, *, modality: str = DERMOSCOPIC, lesion_mask: np.ndarray | None = None
) -> SkinTone:
    """Measure the healthy skin of an HxWx3 image. Bad arguments raise ValueError; an image
    that cannot be graded returns gradable=False with its reasons, never a guess."""
    rgb, mask = _check_inputs(rgb, lesion_mask, modality)
    if min(rgb.shape[:2]) < MIN_SIDE:
        return _not_gradable(modality, _reason("too_small", min_side=MIN_SIDE))
    lesion, lesion_source = lesion_for_measurement(rgb, modality, mask)
    small, lesion, scale = _working_size(rgb, lesion)
    ln_rgb = _LN_LUT[small]
    clipped = (small >= CLIP_LEVEL).any(axis=-1)
    if float((ln_rgb[..., 1] < np.float32(np.log(DARK_LIMIT))).mean()) >= DARK_IMAGE_SHARE:
        return _not_gradable(modality, _reason("too_dark"))
    if float(clipped.mean()) >= BLOWN_IMAGE_SHARE:
        return _not_gradable(modality, _reason("overexposed"))
    if is_greyscale(small):
        return _not_gradable(modality, _reason("greyscale"))
    fov = _field_of_view(small, modality)
    skin, ln_rgb, illumination, priors = _find_skin(small, ln_rgb, clipped, modality, lesion, fov)
    n_skin = int(skin.mask.sum())
    needed = max(MIN_SKIN_PIXELS, int(np.ceil(MIN_SKIN_SHARE * skin.mask.size)))
    skin_info = {
        "pixels": int(round(n_skin * scale)),
        "share": round(n_skin / skin.mask.size, 4),
        "lesion_source": lesion_source,
        "candidates": int(round(skin.candidates * scale)),
        "left_out": {
            "lesion_and_ring": int(round(skin.excluded_lesion * scale)),
            "hair": int(round(skin.excluded_hair * scale)),
            "glare": int(round(skin.excluded_glare * scale)),
            "too_dark": int(round(skin.excluded_dark * scale)),
        },
    }
    if n_skin < needed:
        reason = _reason("too_little_skin", pixels=int(n_skin * scale), needed=int(needed * scale))
        return _not_gradable(modality, reason, skin=skin_info)
    colour = _skin_colour(ln_rgb, skin.mask)
    if float(np.exp(colour[1])) < SKIN_TOO_DARK:
        return _not_gradable(modality, _reason("too_dark"), skin=skin_info)
    return _estimate(colour, priors, modality, illumination, skin_info)


def _estimate(colour, priors, modality, illumination, skin_info) -> SkinTone:
    posterior = skin_posterior(colour, priors)
    if posterior.fit_distance > FIT_LIMIT:
        return _not_gradable(modality, _reason("not_skin_coloured"), skin=skin_info)
    cast = illumination.cast_mired + posterior.cast_mired
    if abs(posterior.cast_mired) > HEAVY_CAST_SIGMAS * priors.cast_sd_mired:
        return _not_gradable(modality, _reason("heavy_cast", cast=cast), skin=skin_info)
    grid = skin_model_grid()
    tables = _grid_tables()
    w = posterior.weights
    ita_lo, ita_med, ita_hi = _weighted_quantiles(
        grid.ita, w, tables["ita_order"], [0.05, 0.5, 0.95]
    )
    lab = np.array(
        [
            _weighted_quantiles(grid.lab[:, i], w, tables["lab_order"][:, i], [0.5])[0]
            for i in range(3)
        ]
    )
    mi = float(w @ grid.melanin_index)
    mi_sd = float(np.sqrt(max(w @ (grid.melanin_index - mi) ** 2, 0.0)))
    types = w @ tables["types"]
    types = types / types.sum()
    groups = group_probabilities(types)
    best_group = max(groups, key=groups.get)
    estimate = int(np.argmax(types)) + 1
    imaged = linear_rgb_to_lab(np.exp(colour))
    monk = w @ tables["monk"]
    monk = monk / monk.sum()
    return SkinTone(
        method_version=METHOD_VERSION,
        modality=modality,
        gradable=True,
        ita_deg=round(float(ita_med), 2),
        ita_interval=(round(float(ita_lo), 2), round(float(ita_hi), 2)),
        l_star=round(float(lab[0]), 2),
        a_star=round(float(lab[1]), 2),
        b_star=round(float(lab[2]), 2),
        melanin_index=round(mi, 2),
        melanin_index_sd=round(mi_sd, 2),
        melanosome_fraction=round(float(w @ grid.melanin), 4),
        as_imaged={
            "l_star": round(float(imaged[0]), 2),
            "a_star": round(float(imaged[1]), 2),
            "b_star": round(float(imaged[2]), 2),
            "ita_deg": round(float(ita_from_lab(imaged[0], imaged[2])), 2),
        },
        fitzpatrick={
            "estimate": estimate,
            "label": ROMAN[estimate],
            "confidence": round(float(types[estimate - 1]), 3),
            "probabilities": [round(float(p), 3) for p in types],
            "group": best_group,
            "group_confidence": round(groups[best_group], 3),
            "group_probabilities": {k: round(v, 3) for k, v in groups.items()},
            "call": best_group if groups[best_group] >= GROUP_CALL_PROBABILITY else "cannot tell",
        },
        monk={
            "estimate": int(np.argmax(monk)) + 1,
            "confidence": round(float(monk.max()), 3),
            "probabilities": [round(float(p), 3) for p in monk],
        },
        illumination={**illumination.as_dict(), "residual_cast_mired": round(cast, 1)},
        exposure={
            "ln_exposure": round(posterior.ln_exposure, 3),
            "stops": round(posterior.ln_exposure / float(np.log(2)), 2),
        },
        skin=skin_info,
    )


def measure_tone(
    rgb: np.ndarray, lesion_mask: np.ndarray | None = None, *, modality: str = DERMOSCOPIC
) -> SkinTone:
    """measure_skin_tone for callers that need a gradable result: ToneNotGradable otherwise."""
    result = measure_skin_tone(rgb, modality=modality, lesion_mask=lesion_mask)
    if not result.gradable:
        raise ToneNotGradable(result)
    return result


def skin_mask(
    rgb: np.ndarray, *, modality: str = DERMOSCOPIC, lesion_mask: np.ndarray | None = None
) -> np.ndarray:
    """Full-size bool mask of the pixels measure_skin_tone reads as healthy skin."""
    rgb, mask = _check_inputs(rgb, lesion_mask, modality)
    lesion, _ = lesion_for_measurement(rgb, modality, mask)
    small, lesion_small, _ = _working_size(rgb, lesion)
    ln_rgb = _LN_LUT[small]
    clipped = (small >= CLIP_LEVEL).any(axis=-1)
    fov = _field_of_view(small, modality)
    skin, *_ = _find_skin(small, ln_rgb, clipped, modality, lesion_small, fov)
    if skin.mask.shape == rgb.shape[:2]:
        return skin.mask
    up = Image.fromarray(skin.mask.astype(np.uint8) * 255).resize(
        (rgb.shape[1], rgb.shape[0]), Image.NEAREST
    )
    return np.asarray(up) > 0


def healthy_skin_mask(rgb: np.ndarray, lesion_mask: np.ndarray) -> np.ndarray:
    """The dermoscopic skin mask for a given lesion (kept for the metrics and solvers)."""
    return skin_mask(rgb, modality=DERMOSCOPIC, lesion_mask=lesion_mask)


def skin_pixels_tone(pixels: np.ndarray, *, modality: str = DERMOSCOPIC) -> float:
    """Standard ITA of a set of skin pixels (uint8 ...x3) already chosen by skin_mask: the
    same colour statistic and posterior as measure_skin_tone, for tone-transfer solvers."""
    pixels = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    if float((pixels.max(axis=1) >= CLIP_LEVEL).mean()) >= SOLVER_CLIP_SHARE:
        # Skin starts to clip: read it as light as ITA can say, so a solver lightening skin
        # (reading rises monotonically) stops before the photograph blows out.
        return 90.0
    ln_rgb = _LN_LUT[pixels]
    colour = np.median(ln_rgb, axis=0).astype(np.float64)
    posterior = skin_posterior(colour, PRIORS[modality])
    grid = skin_model_grid()
    order = _grid_tables()["ita_order"]
    return float(_weighted_quantiles(grid.ita, posterior.weights, order, [0.5])[0])
