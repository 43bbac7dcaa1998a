"""Chromophore backend: every pixel's melanin and blood re-rendered through the skin model.

Each pixel's colour is read as a point of the skin model (skin_optics: eumelanin, Jacques
1998/2013; haemoglobin, Prahl; an epidermis that scatters as well as absorbs, so darker skin
goes towards the low-chroma brown real dark skin has, not towards orange-red) plus a residual
that holds shading, exposure, the camera's cast and whatever the model does not explain
(hair, glare, the model's error). The source camera's white-balance error (read off the skin
as the chroma by which it differs from the model skin it is read as) is taken out of the
output, so the drawn standard colour is seen as such, not through a dermoscope's pink. The
pixel's place in the model is the source skin's (the skin-tone estimator's posterior) moved by
its chroma difference through the model's local inverse, so neighbouring pixels get
neighbouring chromophores. The backend adds one melanosome fraction to every pixel (a new
epidermis over skin and lesion alike) and, to reach the target's hue, scales blood; it
re-renders the spectrum and keeps the residual. So:
- added melanin has melanin's real hue, computed at that pixel's blood: brown, not mauve;
- erythema is seen through the new epidermis: more melanin hides more of the haemoglobin
  band, so red areas shift towards violaceous/dark brown but still differ from the skin;
- shading, vignette and texture, which live in the residual, are carried over unchanged.
The lesion then gets the least extra (or, for a lesion lighter than the skin, less) melanin
that keeps the lesion fidelity rule (lesion_fidelity), in proportion to how far each of its
pixels is from the skin's colour, faded in inside its border; no lesion pixel is taken past
the darkest epidermis the model covers, the rest of its darkening is neutral (black).

The target is a standard colour (ITA and hue, drawn per output from skin_colorimetry or given
as an ITA); the change is solved on the model's standard colour of the source skin, not on a
reading of the rendered image, so measuring the output (skin_tone.measure_skin_tone) is an
independent check of where the skin landed.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import Any

import numpy as np
from scipy import ndimage

from synthesis.ml.color import linear_to_srgb, to_uint8
from synthesis.ml.skin_detection import CLINICAL, DERMOSCOPIC
from synthesis.ml.skin_optics import (
    REFERENCE_BLOOD,
    SCATTERING_EPIDERMIS,
    chroma_basis,
    scattering_epidermis_reflectance,
    skin_model_grid,
    skin_posterior,
    spectrum_to_linear_rgb,
    standard_colour,
)
from synthesis.ml.skin_tone import PRIORS
from synthesis.ml.tone_backends.base import ToneBackend, ToneTarget
from synthesis.ml.tone_backends.fitting import feather

CODE_VERSION = "chromophore-2"
# The skin the backend renders: the epidermis scatters as well as absorbs (skin_optics), so
# added melanin darkens towards the low-chroma brown of real dark skin, not towards red.
MODEL = SCATTERING_EPIDERMIS
skin_reflectance = scattering_epidermis_reflectance

_MEL_AXIS = np.geomspace(0.003, 2.0, 150)
_BLOOD_AXIS = np.geomspace(0.0005, 0.12, 56)
_D_MEL = math.log(_MEL_AXIS[1] / _MEL_AXIS[0])
_D_BLOOD = math.log(_BLOOD_AXIS[1] / _BLOOD_AXIS[0])
_LN_MIN, _LN_STEPS_PER_UNIT = -9.0, 256

# Surface (Fresnel) reflection of the stratum corneum as the camera sees it: a polarised
# dermoscope removes most of it; a clinical photograph keeps the ~4% at normal incidence.
SURFACE = {DERMOSCOPIC: 0.01, CLINICAL: 0.04}

INVERSION_SHRINK = 0.5
# A lesion's extra melanin stops at the darkest epidermis measured: Jacques 1998 reports up
# to 43% melanosomes in darkly pigmented skin. Past it the scattering epidermis's colour tends
# to its own reflectance, a low-chroma grey leaning yellow-green: pigment far beyond any real
# epidermis turned lesions grey-olive (and, in the non-scattering model, blue-black), where
# real ones on dark skin are dark brown to black. The rest of the darkening is neutral.
LESION_MAX_MELANIN = 0.43
SOLVER_MARGIN_RETENTION = 0.1
SOLVER_MARGIN_DELTA_E = 1.5

DEFAULTS: dict[str, Any] = {
    "lesion_gain": None,  # lesion's added melanin as a multiple of the skin's; None: solved
    "feather_px": None,  # lesion border blur; None: 1.5 % of the image diagonal
    "min_lesion_retention": 0.6,  # share of the source's lesion-to-skin delta E kept at least
    "min_lesion_delta_e": 5.0,  # and never below this
    # Take the source camera's white-balance error (cast and tint, read off the skin) out of
    # the output: the drawn colour is a standard (D65) colour and is shown as such.
    "white_balance": True,
}


def _srgb_lut() -> np.ndarray:
    ln = _LN_MIN + np.arange(int(-_LN_MIN * _LN_STEPS_PER_UNIT) + 2) / _LN_STEPS_PER_UNIT
    return to_uint8(linear_to_srgb(np.exp(np.minimum(ln, 0.0))))


_SRGB_FROM_LN = _srgb_lut()
_LN_FROM_U8 = np.log(
    np.maximum(
        np.where((v := np.arange(256) / 255.0) <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4),
        1.0 / (255.0 * 12.92 * 2),
    )
).astype(np.float32)


@cache
def _model_table(surface: float) -> np.ndarray:
    """ln linear RGB of the model over the melanin x blood axes (log-spaced)."""
    mel, blood = np.meshgrid(_MEL_AXIS, _BLOOD_AXIS, indexing="ij")
    return np.log(spectrum_to_linear_rgb(skin_reflectance(mel, blood, surface))).astype(np.float32)


def _model_ln_rgb(melanin: float, blood: float, surface: float) -> np.ndarray:
    return np.log(spectrum_to_linear_rgb(skin_reflectance(melanin, blood, surface)))


def chroma_jacobian(melanin: float, blood: float, surface: float) -> np.ndarray:
    """(2, 2): change of chroma per unit ln melanin (column 0) and ln blood (column 1)."""
    basis = chroma_basis()
    h = 0.05
    base = _model_ln_rgb(melanin, blood, surface) @ basis.T
    d_mel = (_model_ln_rgb(melanin * math.exp(h), blood, surface) @ basis.T - base) / h
    d_blood = (_model_ln_rgb(melanin, blood * math.exp(h), surface) @ basis.T - base) / h
    return np.stack([d_mel, d_blood], axis=1)


def _shifted(table: np.ndarray, shift_mel: np.ndarray, shift_blood: float) -> np.ndarray:
    """The model table re-read at melanin x e^shift_mel (one shift per melanin row) and blood
    x e^shift_blood: linear interpolation along each log-spaced axis, clamped at the ends."""
    n_mel, n_blood = table.shape[:2]
    im = np.clip(np.arange(n_mel) + np.ravel(shift_mel) / _D_MEL, 0, n_mel - 1)
    i0 = np.minimum(np.floor(im).astype(int), n_mel - 2)
    fi = (im - i0).astype(np.float32)[:, None, None]
    rows = table[i0] * (1 - fi) + table[i0 + 1] * fi
    jb = np.clip(np.arange(n_blood) + shift_blood / _D_BLOOD, 0, n_blood - 1)
    j0 = np.minimum(np.floor(jb).astype(int), n_blood - 2)
    fj = (jb - j0).astype(np.float32)[None, :, None]
    return rows[:, j0] * (1 - fj) + rows[:, j0 + 1] * fj


@lru_cache(maxsize=16)
def _blood_shifted(surface: float, ln_blood: float) -> np.ndarray:
    """The model table with blood x e^ln_blood: one per image (its blood change is fixed)."""
    return _shifted(_model_table(surface), np.zeros(len(_MEL_AXIS)), ln_blood)


@cache
def _standard_table() -> np.ndarray:
    """Standard CIELAB (D65, reference surface) of the model over the table's axes."""
    mel, blood = np.meshgrid(_MEL_AXIS, _BLOOD_AXIS, indexing="ij")
    return standard_colour(np.minimum(mel, 0.95), blood, MODEL).astype(np.float32)


def _standard_at(melanin: np.ndarray, blood: np.ndarray) -> np.ndarray:
    """Bilinear read of the standard-colour table at arbitrary melanin and blood."""
    table = _standard_table()
    im = np.clip(np.log(melanin / _MEL_AXIS[0]) / _D_MEL, 0, len(_MEL_AXIS) - 1.001)
    ib = np.clip(np.log(blood / _BLOOD_AXIS[0]) / _D_BLOOD, 0, len(_BLOOD_AXIS) - 1.001)
    i0, j0 = np.floor(im).astype(int), np.floor(ib).astype(int)
    fi, fj = (im - i0)[..., None], (ib - j0)[..., None]
    return (
        table[i0, j0] * (1 - fi) * (1 - fj)
        + table[i0 + 1, j0] * fi * (1 - fj)
        + table[i0, j0 + 1] * (1 - fi) * fj
        + table[i0 + 1, j0 + 1] * fi * fj
    )


def skin_sample(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of a subsample of the healthy skin: outside the lesion, with hair, the
    dermoscope's dark rim (darkest fifth) and glare (brightest 3%) left out by brightness."""
    step = max(1, int(math.sqrt(mask.size / 40000)))
    rows, cols = np.nonzero(~mask[::step, ::step])
    rows, cols = rows * step, cols * step
    lum = _LN_FROM_U8[rgb[rows, cols]].mean(axis=1)
    lo, hi = np.percentile(lum, [20, 97])
    keep = (lum >= lo) & (lum <= hi)
    if keep.sum() > 50:
        rows, cols = rows[keep], cols[keep]
    return rows, cols


def source_skin(
    ln_pixels: np.ndarray, modality: str
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(melanin, blood, ln colour, white-balance error) of skin pixels: the posterior of the
    backend's skin model for their median colour, read as measure_skin_tone reads it
    (exposure and cast marginalised, the same priors) but through the model the backend
    renders with. The white-balance error is the chroma (grey axis removed, so exposure and
    shading stay) by which the skin's colour differs from the model's skin it is read as: the
    camera's cast and tint, e.g. the pink of a polarised dermoscope's LEDs."""
    colour = np.median(ln_pixels, axis=0).astype(np.float64)
    grid = skin_model_grid(model=MODEL)
    posterior = skin_posterior(colour, PRIORS[modality], grid)
    melanin = float(np.exp(posterior.weights @ np.log(grid.melanin)))
    blood = float(np.exp(posterior.weights @ np.log(grid.blood)))
    basis = chroma_basis()
    cast = basis.T @ (basis @ (colour - posterior.weights @ grid.ln_rgb))
    return melanin, blood, colour, cast


def model_ita(pixels: np.ndarray, modality: str) -> float:
    """Standard ITA of skin pixels (uint8 ...x3) through the backend's model: the median colour
    inverted as skin_tone.skin_pixels_tone does (same priors, weighted median of the
    posterior), on the grid of MODEL. Skin that starts to clip reads 90 (as there)."""
    from synthesis.ml.skin_tone import CLIP_LEVEL, SOLVER_CLIP_SHARE

    pixels = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    if float((pixels.max(axis=1) >= CLIP_LEVEL).mean()) >= SOLVER_CLIP_SHARE:
        return 90.0
    colour = np.median(_LN_FROM_U8[pixels], axis=0).astype(np.float64)
    grid = skin_model_grid(model=MODEL)
    weights = skin_posterior(colour, PRIORS[modality], grid).weights
    order = _ita_order()
    w = weights[order]
    cdf = np.cumsum(w) - 0.5 * w
    return float(np.interp(0.5, cdf, grid.ita[order]))


@cache
def _ita_order() -> np.ndarray:
    return np.argsort(skin_model_grid(model=MODEL).ita)


def _ita_hue(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ita = np.degrees(np.arctan((lab[..., 0] - 50.0) / np.maximum(lab[..., 2], 1e-6)))
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    return ita, hue


def solve_change(
    melanin: float, blood: float, ita: float, hue: float | None
) -> tuple[float, float]:
    """(added melanosome fraction, ln blood multiplier) that give the source skin the target's
    standard ITA and (when given) hue in the model: a coarse grid, then finer ones."""
    lo_m, hi_m = 0.003 - melanin, 0.7 - melanin
    lo_b, hi_b = math.log(0.0008 / blood), math.log(0.08 / blood)
    centre = (0.0, 0.0)
    span_m, span_b = (hi_m - lo_m) / 2, (hi_b - lo_b) / 2
    grid_m = np.linspace(lo_m, hi_m, 64)
    grid_b = np.linspace(lo_b, hi_b, 24) if hue is not None else np.zeros(1)
    for _ in range(3):
        gm, gb = np.meshgrid(grid_m, grid_b, indexing="ij")
        lab = _standard_at(melanin + gm, blood * np.exp(gb))
        g_ita, g_hue = _ita_hue(lab)
        cost = (g_ita - ita) ** 2
        if hue is not None:
            # A degree of ITA weighs as much as two of hue: ITA is what the type is defined by;
            # the last term keeps blood near the source's when hue barely depends on it.
            cost = cost + ((g_hue - hue) / 2.0) ** 2 + 0.05 * gb**2
        k = np.unravel_index(np.argmin(cost), cost.shape)
        centre = (float(gm[k]), float(gb[k]))
        span_m, span_b = span_m / 8, span_b / 6
        grid_m = np.linspace(max(lo_m, centre[0] - span_m), min(hi_m, centre[0] + span_m), 25)
        if hue is not None:
            grid_b = np.linspace(max(lo_b, centre[1] - span_b), min(hi_b, centre[1] + span_b), 25)
    return centre


_LN_INDEX = np.rint((_LN_FROM_U8 - _LN_MIN) * _LN_STEPS_PER_UNIT).astype(np.int32)


class ChromophoreRenderer:
    """Per-image state: each pixel's melanin and blood (a smooth, local inversion of the model
    around the source skin) as a cell of the model table, and the table of colour changes.

    Everything per pixel is a sum of per-channel lookups (ln RGB, chroma and the inversion are
    linear in ln RGB), in integers where it can be: a 600x450 image costs a few passes."""

    def __init__(self, rgb: np.ndarray, surface: float):
        self.surface = surface
        self.table = _model_table(surface)
        self.rgb = np.ascontiguousarray(rgb)
        self.channels = [self.rgb[..., c] for c in range(3)]

    @property
    def ln(self) -> np.ndarray:
        return _LN_FROM_U8[self.rgb]

    def locate(
        self,
        melanin: float,
        blood: float,
        skin_chroma: np.ndarray,
        white_balance: np.ndarray | None = None,
    ) -> None:
        """Each pixel's (ln melanin, ln blood): the skin's plus the chroma difference through
        the inverse Jacobian of the model at the skin. Continuous and monotone, so the texture
        of melanin and blood in the skin maps onto smooth changes, never onto jumps.
        white_balance: ln RGB taken off every output pixel (the source camera's cast)."""
        self.melanin, self.blood, self.skin_chroma = melanin, blood, skin_chroma
        self.white_balance = (
            np.zeros(3, dtype=np.float32)
            if white_balance is None
            else np.asarray(white_balance, dtype=np.float32)
        )
        inverse = np.linalg.inv(chroma_jacobian(melanin, blood, self.surface))
        weights = inverse @ chroma_basis()  # (2, 3): d = weights @ ln_rgb - offset
        offset = inverse @ np.asarray(skin_chroma, dtype=np.float64)
        # Beyond these bounds the local inversion means nothing (glare, hair, the dermoscope's
        # rim, a lesion far from skin colour): such pixels take the change of the nearest
        # plausible skin, so nothing jumps; their own colour stays in the residual. Pixel
        # noise (JPEG, sensor) is chroma noise that the inversion turns into chromophore noise
        # and added melanin would amplify into speckle: only INVERSION_SHRINK of each
        # deviation is read as chromophore, the rest stays in the residual.
        axes = (
            (_MEL_AXIS, _D_MEL, melanin, (-1.0, 2.5)),
            (_BLOOD_AXIS, _D_BLOOD, blood, (-0.7, 0.7)),
        )
        index = []
        for row, (axis, step, value, (lo, hi)) in enumerate(axes):
            tables = [(weights[row, c] * _LN_FROM_U8).astype(np.float32) for c in range(3)]
            d = tables[0][self.channels[0]]
            d += tables[1][self.channels[1]]
            d += tables[2][self.channels[2]]
            d -= np.float32(offset[row])
            np.clip(d, lo, hi, out=d)
            d *= np.float32(INVERSION_SHRINK / step)
            d += np.float32(math.log(value / axis[0]) / step)
            np.rint(d, out=d)
            np.clip(d, 0, len(axis) - 1, out=d)
            index.append(d.astype(np.int32))
        self.cells = index[0] * len(_BLOOD_AXIS) + index[1]

    def delta_table(
        self, added: float, ln_blood: float, ceiling: float | None = None
    ) -> np.ndarray:
        """(cells, 3) change of ln RGB per model cell when `added` melanosome fraction joins
        each pixel's own (the new epidermis lies over skin and lesion alike) and blood is
        multiplied by e^ln_blood. ceiling: no cell is taken past this melanosome fraction
        (a cell already past it keeps its own)."""
        table = _blood_shifted(self.surface, float(ln_blood))
        new = np.maximum(_MEL_AXIS + added, _MEL_AXIS[0])
        excess = np.zeros(len(_MEL_AXIS), dtype=np.float32)
        if ceiling is not None:
            capped = np.minimum(new, np.maximum(ceiling, _MEL_AXIS))
            excess = (new - capped).astype(np.float32)
            new = capped
        im = np.clip(np.arange(len(_MEL_AXIS)) + np.log(new / _MEL_AXIS) / _D_MEL, 0, None)
        im = np.minimum(im, len(_MEL_AXIS) - 1)
        i0 = np.minimum(np.floor(im).astype(int), len(_MEL_AXIS) - 2)
        fi = (im - i0).astype(np.float32)[:, None, None]
        shifted = table[i0] * (1 - fi) + table[i0 + 1] * fi
        # Melanin past the ceiling darkens without a hue of its own (a column of pigment the
        # epidermis cannot hold reads as black): the same ln attenuation in every channel, at
        # the model's rate of darkening (luminance) at the ceiling.
        shifted -= (excess * _neutral_od_per_melanin(self.surface))[:, None, None]
        return (shifted - self.table - self.white_balance).reshape(-1, 3)

    def render(self, deltas: list[np.ndarray], level: np.ndarray | None) -> np.ndarray:
        """Apply one delta table (level None) or several, picked per pixel by level."""
        if level is None:
            cells, table = self.cells, deltas[0]
        else:
            cells, table = level * len(deltas[0]) + self.cells, np.concatenate(deltas)
        steps = np.rint(table * _LN_STEPS_PER_UNIT).astype(np.int32)
        out = np.empty(self.rgb.shape, dtype=np.uint8)
        top = len(_SRGB_FROM_LN) - 1
        for c in range(3):
            index = _LN_INDEX[self.channels[c]]
            index += steps[:, c][cells]
            np.clip(index, 0, top, out=index)
            out[..., c] = _SRGB_FROM_LN[index]
        return out


@cache
def _neutral_od_per_melanin(surface: float) -> float:
    """-d ln(Y)/d melanin of the model just below LESION_MAX_MELANIN (reference blood)."""
    step = 0.05
    mel = np.array([LESION_MAX_MELANIN - step, LESION_MAX_MELANIN])
    rgb = spectrum_to_linear_rgb(skin_reflectance(mel, REFERENCE_BLOOD, surface))
    y = rgb @ np.array([0.2126, 0.7152, 0.0722])
    return float(np.log(y[0] / y[1]) / step)


def _lesion_ceiling(gain: float) -> float | None:
    """The lesion's extra melanin stops at LESION_MAX_MELANIN (only where it gets extra)."""
    return LESION_MAX_MELANIN if gain > 1.0 else None


def target_standard(target: ToneTarget) -> tuple[float, float | None]:
    """(ITA, hue or None) the skin is rendered at."""
    drawn = target.skin_colour
    if drawn is not None:
        return float(drawn.ita_deg), float(drawn.hue_deg)
    stats = target.template_lab_stats()
    if stats is not None:
        mean, _ = stats
        return target.target_ita_deg, float(np.degrees(np.arctan2(mean[2], mean[1])))
    return target.target_ita_deg, None


def _fast_feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """fitting.feather at a quarter of the resolution, enlarged by repetition (the weights are
    quantised to LESION_LEVELS steps anyway; ~1/10 of the time)."""
    h, w = mask.shape
    k = 4 if min(h, w) >= 64 else 1
    if k == 1:
        return feather(mask, radius)
    hh, ww = -(-h // k), -(-w // k)
    padded = np.zeros((hh * k, ww * k), dtype=np.float32)
    padded[:h, :w] = mask
    small = padded.reshape(hh, k, ww, k).mean(axis=(1, 3))
    soft = _blur(small, radius / k)
    big = np.repeat(np.repeat(soft, k, axis=0), k, axis=1)
    return big[:h, :w]


def _blur(soft: np.ndarray, radius: float) -> np.ndarray:
    size = max(1, int(round(radius)))
    for _ in range(3):
        soft = ndimage.uniform_filter(soft, size=size, mode="nearest")
    return soft


class ChromophoreBackend(ToneBackend):
    name = "chromophore"
    code_version = CODE_VERSION
    uses_modality = True

    def _render(self, rgb, mask, target: ToneTarget, *, seed: int, modality=DERMOSCOPIC, **params):
        from synthesis.ml.lesion_fidelity import LESION_LEVELS

        unknown = set(params) - set(DEFAULTS) - {"lesion_kind"}
        if unknown:
            raise ValueError(
                f"unknown chromophore parameters {sorted(unknown)}; known: {list(DEFAULTS)}"
            )
        p = {**DEFAULTS, **params}
        if not isinstance(p["white_balance"], (bool, np.bool_)):
            raise ValueError(f"white_balance must be true or false, got {p['white_balance']!r}")
        lesion_kind = p.pop("lesion_kind", None)
        surface = SURFACE[modality]
        renderer = ChromophoreRenderer(rgb, surface)
        rows, cols = skin_sample(rgb, mask)
        melanin, blood, colour, cast = source_skin(_LN_FROM_U8[rgb[rows, cols]], modality)
        skin_chroma = colour @ chroma_basis().T
        balance = cast if p["white_balance"] else None
        renderer.locate(melanin, blood, skin_chroma, balance)
        ita, hue = target_standard(target)
        added, ln_blood = solve_change(melanin, blood, ita, hue)
        few = slice(None, None, max(1, len(rows) // 3000))  # a median needs no more
        added, corrections = self._correct(
            rgb[rows[few], cols[few]][None],
            renderer,
            modality,
            melanin,
            blood,
            added,
            ln_blood,
            ita,
        )
        skin_delta = renderer.delta_table(added, ln_blood)
        radius = p["feather_px"] or 0.015 * float(np.hypot(*rgb.shape[:2]))
        soft = _fast_feather(mask, radius)
        gain, fidelity = self._lesion_gain(
            rgb, mask, soft, renderer, skin_delta, added, ln_blood, lesion_kind, p
        )
        if gain != 1.0:
            out = self._with_gain(renderer, mask, soft, colour, added, ln_blood, gain)
        else:
            out = renderer.render([skin_delta], None)
        used = {
            **p,
            "modality": modality,
            "lesion_kind": lesion_kind,
            "surface_reflectance": surface,
            "feather_px": round(float(radius), 3),
            "source_melanin": round(melanin, 4),
            "source_blood": round(blood, 4),
            "added_melanin": round(added, 4),
            "blood_multiplier": round(math.exp(ln_blood), 4),
            "model": MODEL,
            "white_balance_ln_rgb": [round(float(v), 4) for v in renderer.white_balance],
            "target_ita_deg": round(ita, 2),
            "target_hue_deg": None if hue is None else round(hue, 2),
            "ita_corrections": corrections,
            "lesion_gain": round(gain, 4),
            "lesion_levels": LESION_LEVELS,
            "solver_lesion_fidelity": fidelity,
        }
        return out, used

    @staticmethod
    def _correct(pixels, renderer, modality, melanin, blood, added, ln_blood, ita):
        """The model's standard colour of the rendered skin can differ from the plan: the
        camera's cast and exposure ride along in the residual and read differently on darker
        skin. Read the rendered skin sample through the backend's own model (model_ita, the
        estimator's statistic and priors) and move the added melanin by secant steps, at most
        three readings. The output is then measured by the estimator, which is not this."""
        sample = ChromophoreRenderer(pixels, renderer.surface)
        sample.locate(
            renderer.melanin, renderer.blood, renderer.skin_chroma, renderer.white_balance
        )

        def reading(value: float) -> float:
            delta = sample.delta_table(value, ln_blood)
            return model_ita(sample.render([delta], None), modality)

        lo, hi = 0.003 - melanin, 0.7 - melanin
        x0, r0 = added, reading(added)
        history = [[round(x0, 4), round(r0, 2)]]
        # The model's own slope of ITA against added melanin starts the secant.
        step = 0.01
        lab = _standard_at(np.array([melanin + x0, melanin + x0 + step]), np.array([blood] * 2))
        itas, _ = _ita_hue(lab * np.array([1, 1, 1]))
        slope = float(itas[1] - itas[0]) / step or -100.0
        for _ in range(2):
            if abs(r0 - ita) <= 2.0:
                break
            x1 = float(np.clip(x0 + (ita - r0) / slope, lo, hi))
            r1 = reading(x1)
            history.append([round(x1, 4), round(r1, 2)])
            if x1 != x0 and r1 != r0:
                slope = (r1 - r0) / (x1 - x0)
            if abs(r1 - ita) < abs(r0 - ita):
                x0, r0 = x1, r1
            if slope >= 0:  # ITA must fall as melanin rises; anything else is noise
                break
        return x0, history

    @staticmethod
    def _lesion_gain(rgb, mask, soft, renderer, skin_delta, added, ln_blood, lesion_kind, p):
        """Solve the lesion's melanin gain on sampled pixels: the lesion's core against skin
        beyond the feathered border."""
        from synthesis.ml.lesion_fidelity import colour_stats, contrast_of, solve_lesion_gain

        core = mask & (soft > 0.75)
        core = core if core.sum() >= 30 else mask
        far = soft < 0.01
        if core.sum() < 30 or far.sum() < 100:
            return 1.0, {"skipped": "too few lesion or skin pixels"}
        rng = np.random.default_rng(0)  # a fixed sample: the result must not depend on seed

        def sample(where: np.ndarray, n: int) -> np.ndarray:
            k = 2 if where[::2, ::2].sum() >= n else 1
            rows, cols = np.nonzero(where[::k, ::k])
            rows, cols = rows * k, cols * k
            pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
            return rgb[rows[pick], cols[pick]][None]

        skin_px, lesion_px = sample(far, 2000), sample(core, 1000)
        skin_r = ChromophoreRenderer(skin_px, renderer.surface)
        lesion_r = ChromophoreRenderer(lesion_px, renderer.surface)
        for sampled in (skin_r, lesion_r):
            sampled.locate(
                renderer.melanin, renderer.blood, renderer.skin_chroma, renderer.white_balance
            )
        skin_out = colour_stats(skin_r.render([skin_delta], None))

        def measure(gain: float) -> dict:
            delta = renderer.delta_table(added * gain, ln_blood, _lesion_ceiling(gain))
            return contrast_of(skin_out, lesion_r.render([delta], None))

        return solve_lesion_gain(
            contrast_of(skin_px, lesion_px),
            measure,
            lesion_kind=lesion_kind,
            fixed_gain=p["lesion_gain"],
            # A margin over the rule: the solver reads sampled pixels, the rule is checked
            # independently on the whole output, and the two differ by a few per cent.
            min_retention=float(p["min_lesion_retention"]) + SOLVER_MARGIN_RETENTION,
            min_delta_e=float(p["min_lesion_delta_e"]) + SOLVER_MARGIN_DELTA_E,
        )

    @staticmethod
    def _with_gain(renderer, mask, soft, colour, added, ln_blood, gain):
        """The lesion gets up to gain x the skin's added melanin: in proportion to how far each
        pixel's colour is from the skin's (so lesion structure, not the mask's outline, takes
        it) and faded in at the border."""
        from synthesis.ml.lesion_fidelity import LESION_LEVELS

        squared = [((_LN_FROM_U8 - np.float32(colour[c])) ** 2) for c in range(3)]
        distance = squared[0][renderer.channels[0]]
        distance += squared[1][renderer.channels[1]]
        distance += squared[2][renderer.channels[2]]
        np.sqrt(distance, out=distance)
        typical = float(np.median(distance[::3, ::3][mask[::3, ::3]])) or 1.0
        soft = soft * np.clip(distance / typical, 0.0, 1.0)
        # The transition lies inside the lesion's border (0 at the border, 1 deeper in): gain
        # outside it would paint a dark halo of the mask's shape.
        inside = np.clip(2.0 * soft - 1.0, 0.0, 1.0)
        level = np.rint(inside * (LESION_LEVELS - 1)).astype(np.int32)
        deltas = []
        for k in range(LESION_LEVELS):
            level_gain = 1 + (gain - 1) * k / (LESION_LEVELS - 1)
            deltas.append(
                renderer.delta_table(added * level_gain, ln_blood, _lesion_ceiling(level_gain))
            )
        return renderer.render(deltas, level)
