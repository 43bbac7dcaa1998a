"""The skin colour model: melanin and blood in skin, seen by an sRGB camera.

One module owns it for the tone measurement (skin_tone) and the tone-transfer backends. Two
reflectance models live here: the two-layer one below and a scattering epidermis
(`scattering_epidermis_reflectance`); the measurement inverts both (ESTIMATOR_MODEL). The
two-layer reflectance R(lambda) of skin with an epidermal melanosome volume fraction f_mel, a
dermal blood volume fraction f_blood and a surface (Fresnel) reflection r_s:

    R = r_s + (1 - r_s) * T_epi^2 * R_dermis
    T_epi^2 = exp(-2 * d_epi * (f_mel * mua_mel + (1 - f_mel) * mua_base))
    R_dermis: diffuse reflectance of a semi-infinite dermis (Farrell, Patterson & Wilson 1992,
              Med. Phys. 19:879, total diffuse reflectance with A from n = 1.4)

with mua_mel = 6.6e11 * lambda^-3.33 cm^-1 (eumelanin inside melanosomes; Jacques, "Skin
optics", Oregon Medical Laser Center News 1998; the power law of Jacques 2013, Phys. Med.
Biol. 58:R37), mua_base = 0.244 + 85.3 * exp(-(lambda - 154) / 66.2) cm^-1 (bloodless,
melanin-free tissue, same source), blood from Prahl's haemoglobin extinction at 150 g/L and
75% oxygen saturation, reduced scattering mus' = 46.0 * (lambda / 500)^-1.421 cm^-1 (skin,
Jacques 2013, table 2), d_epi = 60 um. Jacques gives melanosome fractions of 1-3% for light
skin, 11-16% for moderately pigmented and 18-43% for darkly pigmented skin; through this model
those fall in the light/very light, tan/brown and brown/dark ITA categories of Del Bino &
Bernerd 2013 (tests/ml/test_skin_optics.py checks it).

Colour: spectra are integrated against CIE 1931 colour-matching functions under D65 and
converted to linear sRGB (IEC 61966-2-1), so a perfect white is (1, 1, 1).

In optical density (OD = -ln of linear reflectance) exposure and shading add the same amount
to all three channels, and a white-balance error adds a fixed vector (`cast_basis`). Skin
colours, whatever the tone, lie on the two-parameter surface this model spans (Tsumura et al.,
"Image-based skin color and texture analysis/synthesis by extracting hemoglobin and melanin
information in the skin", SIGGRAPH 2003); `skin_model_grid` tabulates it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from synthesis.ml.skin_spectra import (
    CMF_XYZ,
    D65_SPD,
    EPSILON_HB,
    EPSILON_HBO2,
    WAVELENGTHS_NM,
)

EPIDERMIS_CM = 0.006  # 60 um
BLOOD_HB_G_PER_L = 150.0  # whole blood (Prahl)
HB_G_PER_MOL = 64_500.0
BLOOD_SATURATION = 0.75  # mixed arterial/venous dermal blood
FRESNEL_A = 3.25  # internal reflection parameter for n = 1.4 (Groenhuis et al. 1983)
REFERENCE_SURFACE = 0.02  # r_s used for "standard" colours: a colorimeter excludes most gloss
REFERENCE_BLOOD = 0.01  # 1% dermal blood: typical of unirritated skin (Jacques 1998)
MI_WAVELENGTH_NM = 660  # melanin index = 100 log10(1/R_red) (Diffey, Oliver & Farr 1984)

_WL = WAVELENGTHS_NM
MUA_MELANIN = 6.6e11 * _WL**-3.33
MUA_BASELINE = 0.244 + 85.3 * np.exp(-(_WL - 154.0) / 66.2)
_MI_COLUMN = int(np.flatnonzero(_WL == MI_WAVELENGTH_NM)[0])
_MUA_PER_BLOOD = (
    2.303
    * (BLOOD_SATURATION * EPSILON_HBO2 + (1 - BLOOD_SATURATION) * EPSILON_HB)
    * BLOOD_HB_G_PER_L
    / HB_G_PER_MOL
)
MUS_REDUCED = 46.0 * (_WL / 500.0) ** -1.421

_XYZ_TO_LINEAR_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)
_Y_NORM = 1.0 / float((D65_SPD * CMF_XYZ[:, 1]).sum())
# Spectral weights straight to linear sRGB under D65: (n_wavelengths, 3).
_SPECTRUM_TO_RGB = (_Y_NORM * D65_SPD[:, None] * CMF_XYZ) @ _XYZ_TO_LINEAR_SRGB.T
_WHITE_RGB = np.ones(len(_WL)) @ _SPECTRUM_TO_RGB
_SPECTRUM_TO_RGB = _SPECTRUM_TO_RGB / _WHITE_RGB  # white -> exactly (1, 1, 1)
_LINEAR_SRGB_TO_XYZ = np.linalg.inv(_XYZ_TO_LINEAR_SRGB)
_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])  # as synthesis.ml.color


def dermis_reflectance(blood: np.ndarray | float) -> np.ndarray:
    """Diffuse reflectance spectrum of the dermis for a blood volume fraction (Farrell 1992)."""
    blood = np.asarray(blood, dtype=np.float64)[..., None]
    mua = blood * _MUA_PER_BLOOD + (1 - blood) * MUA_BASELINE
    albedo = MUS_REDUCED / (mua + MUS_REDUCED)
    root = np.sqrt(3.0 * (1.0 - albedo))
    return 0.5 * albedo * (1.0 + np.exp(-4.0 / 3.0 * FRESNEL_A * root)) * np.exp(-root)


def skin_reflectance(
    melanin: np.ndarray | float,
    blood: np.ndarray | float,
    surface: np.ndarray | float = REFERENCE_SURFACE,
) -> np.ndarray:
    """Reflectance spectra (..., n_wavelengths) for melanosome and blood volume fractions."""
    melanin = np.asarray(melanin, dtype=np.float64)[..., None]
    surface = np.asarray(surface, dtype=np.float64)[..., None]
    mua_epi = melanin * MUA_MELANIN + (1 - melanin) * MUA_BASELINE
    transmission = np.exp(-2.0 * EPIDERMIS_CM * mua_epi)
    return surface + (1 - surface) * transmission * dermis_reflectance(blood)


# Kubelka-Munk coefficients of diffuse light from the transport ones: K = 2 mua, S = 3/4 mus'
# (van Gemert & Star 1987, Lasers Life Sci. 1:287; Star, Marijnissen & van Gemert 1988).
KM_K_PER_MUA = 2.0
KM_S_PER_MUS = 0.75
TWO_LAYER = "two-layer"
SCATTERING_EPIDERMIS = "scattering-epidermis"


def scattering_epidermis_reflectance(
    melanin: np.ndarray | float,
    blood: np.ndarray | float,
    surface: np.ndarray | float = REFERENCE_SURFACE,
) -> np.ndarray:
    """Reflectance spectra like skin_reflectance, but the epidermis scatters as well as absorbs.

    skin_reflectance treats the epidermis as a pure absorber crossed twice (Beer-Lambert):
    fine for light skin, but at the melanin of brown and dark skin almost only red light
    survives two straight passes, so the model's dark skin is far too chromatic (C* ~30 at
    L* ~35) and turns red (hue ~45). Real dark skin is the opposite: a flatter spectrum and a
    lower chroma as it darkens ("blackness"; Xiao et al. 2017 and Del Bino & Bernerd 2013 put
    type VI near L* 38, C* 17, hue ~60). The epidermis scatters like the rest of the skin
    (Jacques 2013's skin mus'), melanin in darker skin lies through its whole thickness, and
    light turned back inside it meets less melanin. Here the epidermis is a Kubelka-Munk layer
    (Kubelka & Munk 1931) of thickness d_epi with K = 2 mua_epi and S = 3/4 mus' over the same
    Farrell dermis, combined by the adding rule R = R_e + T_e^2 R_d / (1 - R_e R_d)."""
    melanin = np.asarray(melanin, dtype=np.float64)[..., None]
    surface = np.asarray(surface, dtype=np.float64)[..., None]
    mua_epi = melanin * MUA_MELANIN + (1 - melanin) * MUA_BASELINE
    k = KM_K_PER_MUA * mua_epi
    s = KM_S_PER_MUS * MUS_REDUCED
    a = 1.0 + k / s
    b = np.sqrt(a * a - 1.0)
    x = b * s * EPIDERMIS_CM
    # sinh/cosh scaled by e^-x: the same ratios without overflow at high melanin.
    e2 = np.exp(-2.0 * x)
    sinh, cosh = 0.5 * (1.0 - e2), 0.5 * (1.0 + e2)
    denominator = a * sinh + b * cosh
    r_epi = sinh / denominator
    t_epi = b * np.exp(-x) / denominator
    r_dermis = dermis_reflectance(blood)
    body = r_epi + t_epi**2 * r_dermis / (1.0 - r_epi * r_dermis)
    return surface + (1 - surface) * body


REFLECTANCE_MODELS = {
    TWO_LAYER: skin_reflectance,
    SCATTERING_EPIDERMIS: scattering_epidermis_reflectance,
}
# The model closest to real skin, used where one model must be named (standard colours,
# renders with known answers). The two-layer model's brown and dark skin is far more
# chromatic than real skin (at L* 47 it gives b* ~29 where Del Bino & Bernerd 2013 measure
# type V skin near b* 18.5, and at L* 38 b* ~27 against ~15); the scattering epidermis follows
# the published L*-b* locus of every type within a few units (tests/ml/test_skin_optics.py).
SKIN_MODEL = SCATTERING_EPIDERMIS
# What the tone measurement inverts: both models, half the prior each. Which one real skin in
# a given photograph follows is uncertain (the scattering one fits published colorimetry, the
# two-layer one is the classic inversion of Tsumura et al.), and inverting only the two-layer
# model read real brown skin, whose chromaticity only lighter two-layer skin has, as lighter
# skin photographed darker: ~10 degrees of ITA too light at type V.
BOTH_MODELS = "two-layer+scattering-epidermis"
ESTIMATOR_MODEL = BOTH_MODELS


def spectrum_to_linear_rgb(reflectance: np.ndarray) -> np.ndarray:
    """Linear sRGB (white = 1) of reflectance spectra lit by D65."""
    return np.asarray(reflectance) @ _SPECTRUM_TO_RGB


def linear_rgb_to_lab(linear: np.ndarray) -> np.ndarray:
    """(..., 3) linear sRGB -> CIELAB (D65), unclipped, float64."""
    xyz = np.asarray(linear, dtype=np.float64) @ _LINEAR_SRGB_TO_XYZ.T / _WHITE_XYZ
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(np.maximum(xyz, 0)), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def ita_of_lab(lab: np.ndarray) -> np.ndarray:
    """ITA = arctan((L* - 50) / b*) in degrees, b* floored just above 0 (Chardon 1991)."""
    lab = np.asarray(lab, dtype=np.float64)
    return np.degrees(np.arctan((lab[..., 0] - 50.0) / np.maximum(lab[..., 2], 1e-6)))


def melanin_index(
    melanin: np.ndarray | float, blood: np.ndarray | float, model: str = SKIN_MODEL
) -> np.ndarray:
    """100 log10(1/R) at 660 nm of the model skin (reference surface): a narrow-band
    melanin index in the convention of Diffey et al. 1984 (the DSM family of meters)."""
    spectrum = REFLECTANCE_MODELS[model](melanin, blood, REFERENCE_SURFACE)
    return 100.0 * np.log10(1.0 / spectrum[..., _MI_COLUMN])


def standard_colour(melanin, blood, model: str = SKIN_MODEL) -> np.ndarray:
    """CIELAB of the model skin under D65 with the reference surface reflection."""
    reflectance = REFLECTANCE_MODELS[model]
    return linear_rgb_to_lab(spectrum_to_linear_rgb(reflectance(melanin, blood)))


def melanin_for_ita(ita: float, blood: float = REFERENCE_BLOOD, model: str = SKIN_MODEL) -> float:
    """The melanosome fraction whose standard colour (at `blood`) has this ITA in `model`."""
    fine = np.geomspace(*MELANIN_RANGE, 2000)
    curve = ita_of_lab(standard_colour(fine, blood, model))  # falls with melanin
    return float(np.interp(-ita, -curve, fine))


def illuminant_rgb(temperature_k: float) -> np.ndarray:
    """Linear sRGB of a white surface lit by a black body at T, relative to D65 (ln gains)."""
    wl_m = _WL * 1e-9
    planck = 1.0 / (wl_m**5 * (np.exp(1.4388e-2 / (wl_m * temperature_k)) - 1.0))
    rgb = (planck / D65_SPD) @ _SPECTRUM_TO_RGB  # camera balanced for D65, light is T
    return rgb / rgb[1]


@cache
def cast_basis() -> tuple[np.ndarray, np.ndarray]:
    """Unit OD directions of a white-balance error: along the Planckian locus (per 1000/T,
    i.e. per "kilo-mired") and the green-magenta tint orthogonal to it and to shading."""
    lo, hi = 6000.0, 7000.0
    warm = -np.log(illuminant_rgb(lo)) + np.log(illuminant_rgb(hi))  # OD change, + = warmer
    per_kilo_mired = warm / (1000.0 / lo - 1000.0 / hi)
    grey = np.ones(3) / np.sqrt(3.0)
    along = per_kilo_mired - per_kilo_mired @ grey * grey
    tint = np.cross(grey, along / np.linalg.norm(along))
    return along, tint / np.linalg.norm(tint)


def _od_direction(rgb_a: np.ndarray, rgb_b: np.ndarray) -> np.ndarray:
    od = np.log(rgb_a) - np.log(rgb_b)
    return (od / np.linalg.norm(od)).astype(np.float32)


def melanin_od_direction(melanin: float = 0.02, blood: float = REFERENCE_BLOOD) -> np.ndarray:
    """Unit OD direction of added melanin in linear sRGB, at a given skin (model derivative)."""
    surface = 0.0  # the body reflection only: the surface reflection is not filtered
    step = 0.01
    a = spectrum_to_linear_rgb(skin_reflectance(melanin, blood, surface))
    b = spectrum_to_linear_rgb(skin_reflectance(melanin + step, blood, surface))
    return _od_direction(a, b)


def haemoglobin_od_direction(melanin: float = 0.02, blood: float = REFERENCE_BLOOD) -> np.ndarray:
    """Unit OD direction of added dermal blood in linear sRGB, at a given skin."""
    a = spectrum_to_linear_rgb(skin_reflectance(melanin, blood, 0.0))
    b = spectrum_to_linear_rgb(skin_reflectance(melanin, blood * 1.5, 0.0))
    return _od_direction(a, b)


@dataclass(frozen=True)
class SkinModelGrid:
    """The model tabulated over melanin x blood x surface, with what the estimator needs.

    Arrays are flat over the grid (n points): the parameters, ln linear sRGB of each point
    (camera at exposure 1), its standard CIELAB/ITA/melanin index, and a prior weight that
    gives each Fitzpatrick ITA band the same mass (no skin type favoured; flat in ITA within a
    band), log-normal in blood and fixed over the surface reflections."""

    melanin: np.ndarray
    blood: np.ndarray
    surface: np.ndarray
    ln_rgb: np.ndarray
    lab: np.ndarray
    ita: np.ndarray
    melanin_index: np.ndarray
    log_prior: np.ndarray


MELANIN_RANGE = (0.004, 0.60)  # below the lightest and above the darkest skin Jacques reports
BLOOD_RANGE = (0.001, 0.08)  # 0.1-8% dermal blood (Jacques 1998: 0.2-7%)
BLOOD_PRIOR_SD = 0.8  # in ln units around REFERENCE_BLOOD
# Surface reflection: cross-polarised or soft light ... direct light on oily skin. Fresnel
# reflection of the stratum corneum is ~4% at normal incidence and more at grazing angles;
# on dark skin it is much of what the camera sees (the near-grey Monk swatches 9-10).
SURFACES = (0.01, 0.02, 0.04, 0.07)
_SURFACE_PRIOR = (0.2, 0.4, 0.25, 0.15)


def _equal_type_prior(ita_steps: np.ndarray) -> np.ndarray:
    """ln prior per melanin step: each Fitzpatrick band shares 1/6, evenly over its steps."""
    from synthesis.ml.tone_scales import ita_to_fitzpatrick

    types = np.array([ita_to_fitzpatrick(float(v)) for v in ita_steps])
    counts = np.bincount(types, minlength=7)
    return -np.log(counts[types].astype(np.float64))


@cache
def skin_model_grid(
    n_melanin: int = 56, n_blood: int = 14, model: str = ESTIMATOR_MODEL
) -> SkinModelGrid:
    """Tabulate the model; melanin steps are even in standard ITA so the prior is flat in it.
    `model` names the reflectance (REFLECTANCE_MODELS), or BOTH_MODELS: the two grids side by
    side, each with half the prior mass (what the estimator inverts, ESTIMATOR_MODEL)."""
    if model == BOTH_MODELS:
        parts = [skin_model_grid(n_melanin, n_blood, m) for m in REFLECTANCE_MODELS]
        joined = {
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in SkinModelGrid.__dataclass_fields__
        }
        joined["log_prior"] = joined["log_prior"] - np.log(len(parts))
        return SkinModelGrid(**joined)
    reflectance = REFLECTANCE_MODELS[model]
    fine = np.geomspace(*MELANIN_RANGE, 600)
    fine_ita = ita_of_lab(standard_colour(fine, REFERENCE_BLOOD, model))  # falls with melanin
    steps = np.linspace(fine_ita[0], fine_ita[-1], n_melanin)
    melanin_axis = np.interp(-steps, -fine_ita, fine)
    blood_axis = np.geomspace(*BLOOD_RANGE, n_blood)
    mel, blood, surface = np.meshgrid(melanin_axis, blood_axis, np.array(SURFACES), indexing="ij")
    surface_prior = np.broadcast_to(np.log(np.array(_SURFACE_PRIOR))[None, None, :], mel.shape)
    blood_prior = -0.5 * (np.log(blood / REFERENCE_BLOOD) / BLOOD_PRIOR_SD) ** 2
    melanin_prior = _equal_type_prior(steps)[:, None, None]
    mel, blood, surface = mel.ravel(), blood.ravel(), surface.ravel()
    rgb = spectrum_to_linear_rgb(reflectance(mel, blood, surface))
    lab = standard_colour(mel, blood, model)
    log_prior = (surface_prior + blood_prior + melanin_prior).ravel()
    return SkinModelGrid(
        melanin=mel,
        blood=blood,
        surface=surface,
        ln_rgb=np.log(rgb),
        lab=lab,
        ita=ita_of_lab(lab),
        melanin_index=melanin_index(mel, blood, model),
        log_prior=log_prior - np.logaddexp.reduce(log_prior),
    )


# --- Chromaticity: OD with shading and exposure projected out ---------------------------------

GREY_DIRECTION = np.ones(3) / np.sqrt(3.0)


@cache
def chroma_basis() -> np.ndarray:
    """(2, 3) orthonormal rows spanning ln-RGB with the grey axis removed: row 0 points along
    a warmer illuminant (Planckian locus), row 1 along the green-magenta tint."""
    along, tint = cast_basis()
    warm = -along / np.linalg.norm(along)  # ln RGB rises in red, falls in blue
    return np.stack([warm, -tint])  # tint sign: + is greener (skin's blood pulls it to -)


def chroma_of(ln_rgb: np.ndarray) -> np.ndarray:
    """(..., 3) ln linear RGB -> (..., 2) chromaticity; independent of exposure and shading."""
    ln_rgb = np.asarray(ln_rgb)
    if ln_rgb.dtype == np.float32:  # image arrays stay single precision (speed)
        return ln_rgb @ chroma_basis().T.astype(np.float32)
    return ln_rgb.astype(np.float64) @ chroma_basis().T


def mired_per_chroma_unit() -> float:
    """How many mired of white-balance error move chromaticity by 1 along the warm axis."""
    along, _ = cast_basis()
    return 1000.0 / float(np.linalg.norm(along))


@dataclass(frozen=True)
class ColourPriors:
    """How far a photograph's colour may stray from the model before it stops being skin.

    exposure_sd: ln units of exposure around the ISO 12232 standard output (18% grey at sRGB
    118, i.e. white at 1.0); 0.7 is about one stop. cast_sd_mired: white-balance error along the
    Planckian locus. tint_sd: green-magenta error (ln units). model_sd: per-channel error of the
    model and the camera's rendering (tone curve, colour matrix, JPEG). exposure_floor: ln
    exposure that a neutral reference proves is at least reached (None: no bound)."""

    exposure_sd: float = 0.7
    cast_sd_mired: float = 30.0
    tint_sd: float = 0.05
    model_sd: float = 0.04
    exposure_floor: float | None = None

    def covariance(self) -> np.ndarray:
        along, tint = cast_basis()
        warm = along / np.linalg.norm(along)
        cast_sd = self.cast_sd_mired / mired_per_chroma_unit()
        return (
            self.exposure_sd**2 * np.ones((3, 3))
            + cast_sd**2 * np.outer(warm, warm)
            + self.tint_sd**2 * np.outer(tint, tint)
            + self.model_sd**2 * np.eye(3)
        )


@dataclass(frozen=True)
class SkinPosterior:
    """Posterior weights over the model grid for one observed skin colour, and the nuisances."""

    weights: np.ndarray
    ln_exposure: float  # posterior mean ln exposure (0: standard)
    cast_mired: float  # posterior mean white-balance error (+: the light was warmer than D65)
    fit_distance: float  # Mahalanobis distance of the best grid point: large = not skin-like


def skin_posterior(
    ln_rgb: np.ndarray, priors: ColourPriors, grid: SkinModelGrid | None = None
) -> SkinPosterior:
    """Bayesian inversion of one ln linear RGB colour: which melanin/blood/surface explain it,
    marginalising exposure, white-balance error and model error (all Gaussian, in closed form).
    `grid`: the tabulated model to invert (default: the estimator's, skin_model_grid())."""
    from scipy.special import log_ndtr

    grid = grid if grid is not None else skin_model_grid()
    cov = priors.covariance()
    inv = np.linalg.inv(cov)
    residual = np.asarray(ln_rgb, dtype=np.float64)[None, :] - grid.ln_rgb
    mahal = np.einsum("ni,ij,nj->n", residual, inv, residual)
    log_post = grid.log_prior - 0.5 * mahal
    one = np.ones(3)
    # Posterior mean of ln exposure at each grid point: prior N(0, sd^2) conditioned on r.
    k_mean = priors.exposure_sd**2 * (residual @ inv @ one)
    if priors.exposure_floor is not None:
        k_var = priors.exposure_sd**2 - priors.exposure_sd**4 * float(one @ inv @ one)
        log_post += log_ndtr((k_mean - priors.exposure_floor) / np.sqrt(max(k_var, 1e-9)))
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    along, _ = cast_basis()
    warm = along / np.linalg.norm(along)
    cast_sd = priors.cast_sd_mired / mired_per_chroma_unit()
    # A warmer light lowers OD in red and raises it in blue: ln RGB moves along -warm.
    cast_units = -(cast_sd**2) * (residual @ inv @ warm)
    return SkinPosterior(
        weights=weights,
        ln_exposure=float(weights @ k_mean),
        cast_mired=float(weights @ cast_units) * mired_per_chroma_unit(),
        fit_distance=float(np.sqrt(mahal.min())),
    )
