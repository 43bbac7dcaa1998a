"""Multi-scale statistics of skin texture, and their transfer from a template onto healthy skin.

Skin's fine structure (pores, follicular pigment, fine lines, the sheen of a clinical
photograph) is band-pass energy of log luminance and of colour at a few scales. Stats are
the standard deviations of difference-of-Gaussian bands (sigma 1, 2, 4, 8 px) of ln Y and of
the two chroma channels (skin_optics.chroma_basis) over the healthy skin. The transfer adds the
template's own band-pass detail (tiled from the real patch with a seeded offset, mirrored at
its edges) where the output's energy falls short of the template's, on healthy skin only and
faded to nothing at the lesion border; the lowest band is left alone on dermoscopic sources,
whose flat polarised light and vignette must stay as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from synthesis.ml.skin_optics import chroma_basis

SIGMAS = (1.0, 2.0, 4.0, 8.0)
_EPS = 1.0 / (255.0 * 12.92 * 2)
# Smallest patch that holds the coarsest band: 4 sigma on each side of the 8 px band.
MIN_TEMPLATE_SIDE = 48


def _channels(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32: ln luminance and the two chroma coordinates of ln linear RGB."""
    from synthesis.ml.color import srgb_to_linear

    ln = np.log(np.maximum(srgb_to_linear(rgb), _EPS))
    lum = ln.mean(axis=-1, keepdims=True)
    chroma = ln @ chroma_basis().T.astype(np.float32)
    return np.concatenate([lum, chroma], axis=-1).astype(np.float32)


def _bands(channels: np.ndarray) -> list[np.ndarray]:
    out, previous = [], channels
    for sigma in SIGMAS:
        blurred = ndimage.gaussian_filter(channels, sigma=(sigma, sigma, 0), mode="reflect")
        out.append(previous - blurred)
        previous = blurred
    return out


def texture_stats(rgb: np.ndarray, where: np.ndarray | None = None) -> dict[str, list[float]]:
    """Std of each band (rows: sigma 1, 2, 4, 8) for luminance and both chroma channels."""
    bands = _bands(_channels(rgb))
    if where is None:
        where = np.ones(rgb.shape[:2], dtype=bool)
    if where.sum() < 16:
        raise ValueError("too few skin pixels for texture statistics")
    stds = np.array([band[where].std(axis=0) for band in bands])
    return {
        "sigmas": list(SIGMAS),
        "luminance": [round(float(v), 5) for v in stds[:, 0]],
        "chroma": [round(float(v), 5) for v in np.hypot(stds[:, 1], stds[:, 2])],
    }


def texture_distance(stats: dict[str, Any], reference: dict[str, Any]) -> float:
    """RMS of ln(output / reference) band energies, in units of ln 2 (0: same texture)."""
    a = np.array(stats["luminance"] + stats["chroma"], dtype=np.float64)
    b = np.array(reference["luminance"] + reference["chroma"], dtype=np.float64)
    ratio = np.log(np.maximum(a, 1e-5) / np.maximum(b, 1e-5))
    return float(np.sqrt(np.mean(ratio**2)) / np.log(2.0))


def _tile(patch: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Patch mirrored into a seamless tile and repeated over shape, at a seeded offset."""
    tile = np.concatenate([patch, patch[::-1]], axis=0)
    tile = np.concatenate([tile, tile[:, ::-1]], axis=1)
    th, tw = tile.shape[:2]
    dy, dx = int(rng.integers(th)), int(rng.integers(tw))
    reps = (shape[0] // th + 2, shape[1] // tw + 2) + (1,) * (patch.ndim - 2)
    big = np.tile(tile, reps)
    return big[dy : dy + shape[0], dx : dx + shape[1]]


def transfer_texture(
    rgb: np.ndarray,
    template: np.ndarray,
    healthy_weight: np.ndarray,
    *,
    seed: int,
    dermoscopic: bool,
    strength: float = 1.0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Top up each band of the output's skin to the template's energy with the template's
    detail; healthy_weight (0..1) is 1 on healthy skin and fades to 0 at the lesion."""
    from synthesis.ml.color import linear_to_srgb, to_uint8

    if min(template.shape[:2]) < MIN_TEMPLATE_SIDE:
        raise ValueError(
            f"the texture template is {template.shape[1]}x{template.shape[0]}; it must be at "
            f"least {MIN_TEMPLATE_SIDE} px a side for the {SIGMAS[-1]:g} px band"
        )
    rng = np.random.default_rng([int(seed), 14])
    src_channels = _channels(rgb)
    src_bands = _bands(src_channels)
    tpl_bands = _bands(_channels(template))
    skin = healthy_weight > 0.99
    if skin.sum() < 64:
        return rgb, {"applied": False, "reason": "too little healthy skin"}
    tiled = _tile(np.stack(tpl_bands, axis=0).transpose(1, 2, 0, 3), rgb.shape[:2], rng)
    added = np.zeros_like(src_channels)
    gains = []
    last = len(SIGMAS) - 1 if dermoscopic else len(SIGMAS)  # flat light: no coarse shading
    for k in range(last):
        have = src_bands[k][skin].std(axis=0)
        want = tpl_bands[k].reshape(-1, 3).std(axis=0)
        tpl_std = np.maximum(want, 1e-6)
        gain = np.sqrt(np.maximum(want**2 - have**2, 0.0)) / tpl_std * strength
        gains.append([round(float(g), 3) for g in gain])
        added += tiled[:, :, k, :] * gain
    added *= healthy_weight[..., None]
    out_channels = src_channels + added
    # Back to ln RGB: luminance shifts all three channels; chroma along its basis rows.
    basis = chroma_basis().astype(np.float32)
    delta_ln = added[..., :1] + added[..., 1:] @ basis
    from synthesis.ml.color import srgb_to_linear

    ln = np.log(np.maximum(srgb_to_linear(rgb), _EPS)) + delta_ln
    del out_channels
    out = to_uint8(linear_to_srgb(np.exp(ln)))
    return out, {"applied": True, "band_gains": gains, "sigmas": list(SIGMAS)[:last]}
