"""Mask overlap, lesion visibility and luminance-structure metrics on NumPy arrays."""

import numpy as np
from scipy import ndimage as ndi

from synthesis.ml.color import srgb_to_lab
from synthesis.ml.skin_tone import healthy_skin_mask

# Wang et al. (2004): 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03.
_SSIM_SIGMA = 1.5
_SSIM_TRUNCATE = 5 / _SSIM_SIGMA  # radius 5 px -> an 11x11 window
_L_RANGE = 100.0  # L* spans 0..100
_C1 = (0.01 * _L_RANGE) ** 2
_C2 = (0.03 * _L_RANGE) ** 2


def _pair(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, truth = np.asarray(pred, dtype=bool), np.asarray(truth, dtype=bool)
    if pred.shape != truth.shape:
        raise ValueError(f"masks differ in shape: {pred.shape} vs {truth.shape}")
    return pred, truth


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    """2|A∩B| / (|A|+|B|); 1.0 when both masks are empty."""
    pred, truth = _pair(pred, truth)
    total = int(pred.sum()) + int(truth.sum())
    return 1.0 if total == 0 else 2.0 * int((pred & truth).sum()) / total


def jaccard(pred: np.ndarray, truth: np.ndarray) -> float:
    """|A∩B| / |A∪B|; 1.0 when both masks are empty."""
    pred, truth = _pair(pred, truth)
    union = int((pred | truth).sum())
    return 1.0 if union == 0 else int((pred & truth).sum()) / union


def lesion_skin_contrast(rgb: np.ndarray, lesion_mask: np.ndarray) -> float:
    """Median L* of the healthy skin minus that of the lesion (positive: lesion darker)."""
    mask = np.asarray(lesion_mask) > 0
    if rgb.ndim != 3 or mask.shape != rgb.shape[:2]:
        raise ValueError(f"lesion mask shape {mask.shape} does not match image {rgb.shape}")
    if not mask.any():
        raise ValueError("the lesion mask is empty: no lesion to compare with the skin")
    skin = healthy_skin_mask(rgb, mask)
    if not skin.any():
        raise ValueError("no healthy skin left outside the lesion and its border")
    lesion_l = np.median(srgb_to_lab(rgb[mask])[:, 0])
    skin_l = np.median(srgb_to_lab(rgb[skin])[:, 0])
    return float(skin_l - lesion_l)


def ssim_luminance(a_rgb: np.ndarray, b_rgb: np.ndarray) -> float:
    """Mean SSIM (Gaussian window) of the two images' L* channels; 1.0 when identical."""
    if a_rgb.shape != b_rgb.shape or a_rgb.ndim != 3:
        raise ValueError(f"images must be HxWx3 of one shape, got {a_rgb.shape} and {b_rgb.shape}")
    x = srgb_to_lab(a_rgb)[..., 0].astype(np.float64)
    y = srgb_to_lab(b_rgb)[..., 0].astype(np.float64)

    def blur(v: np.ndarray) -> np.ndarray:
        return ndi.gaussian_filter(v, _SSIM_SIGMA, truncate=_SSIM_TRUNCATE)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + _C1) * (2 * cov + _C2)) / (
        (mu_x**2 + mu_y**2 + _C1) * (var_x + var_y + _C2)
    )
    return float(ssim.mean())
