"""Helpers the backends share: where the skin is read, a monotone 1-D solver, mask feathering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from synthesis.ml.skin_tone import healthy_skin_mask, skin_pixels_tone


@dataclass(frozen=True)
class SkinSample:
    """Where measure_tone reads the skin (healthy_skin_mask), subsampled for fast solving."""

    rows: np.ndarray
    cols: np.ndarray

    @classmethod
    def of(cls, rgb: np.ndarray, mask: np.ndarray, max_pixels: int = 12000) -> SkinSample:
        stride = 2 if min(mask.shape) >= 300 else 1  # the vignette finder is the slow part
        small = healthy_skin_mask(rgb[::stride, ::stride], mask[::stride, ::stride])
        rows, cols = np.nonzero(small)
        if len(rows) < 100:  # measure_tone will refuse such an image; solve on all skin
            rows, cols = np.nonzero(~mask[::stride, ::stride])
        step = max(1, len(rows) // max_pixels)
        return cls(rows=rows[::step] * stride, cols=cols[::step] * stride)

    def take(self, image: np.ndarray) -> np.ndarray:
        """The sampled pixels as a 1xN image (or 1xN map)."""
        return image[self.rows, self.cols][None]


def skin_ita(pixels: np.ndarray) -> float:
    """measure_skin_tone's reading of skin pixels (uint8 ...x3): the standard ITA of their
    median colour through the skin model (skin_tone.skin_pixels_tone), the same path."""
    return skin_pixels_tone(pixels)


def solve_monotone(
    measure: Callable[[float], float],
    wanted: float,
    start: float,
    bounds: tuple[float, float],
    *,
    increasing: bool,
    tolerance: float = 1.0,
    max_evals: int = 10,
    step: float = 0.25,
) -> tuple[float, float]:
    """Find x with measure(x) ~ wanted for a monotone measure: bracket from start, then
    regula falsi (Illinois). Returns (x, measure(x)) of the best point tried."""
    lo_b, hi_b = bounds
    sign = 1.0 if increasing else -1.0

    def err(x: float) -> float:
        return sign * (measure(x) - wanted)  # < 0: x must grow

    x0 = float(np.clip(start, lo_b, hi_b))
    e0 = err(x0)
    best = (abs(e0), x0, e0)
    evals = 1
    # Bracket: walk away from x0 with a doubling step until the error changes sign.
    x1, e1 = x0, e0
    direction = -1.0 if e0 > 0 else 1.0
    while abs(e1) > tolerance and np.sign(e1) == np.sign(e0) and evals < max_evals:
        nxt = float(np.clip(x1 + direction * step, lo_b, hi_b))
        if nxt == x1:
            break
        x0, e0 = x1, e1
        x1, e1 = nxt, err(nxt)
        evals += 1
        step *= 2
        best = min(best, (abs(e1), x1, e1))
    if np.sign(e1) != np.sign(e0):
        a, fa, b, fb = x0, e0, x1, e1
        while best[0] > tolerance and evals < max_evals and fb != fa:
            c = b - fb * (b - a) / (fb - fa)
            fc = err(c)
            evals += 1
            best = min(best, (abs(fc), c, fc))
            if fc * fb < 0:
                a, fa = b, fb
            else:
                fa /= 2  # Illinois: keeps the stale end from sticking
            b, fb = c, fc
    _, x_best, e_best = best
    return x_best, wanted + sign * e_best


def feather(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Soft 0..1 version of a bool mask: three box blurs (~Gaussian of sigma ~radius/2)."""
    soft = mask.astype(np.float32)
    size = max(1, int(round(radius_px)))
    for _ in range(3):
        soft = ndimage.uniform_filter(soft, size=size, mode="nearest")
    return soft
