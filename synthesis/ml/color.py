"""sRGB <-> CIELAB (D65) conversions on NumPy arrays, vectorised and dependency-free."""

import numpy as np

_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float32,
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ).astype(np.float32)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)
_EPS = 216 / 24389
_KAPPA = 24389 / 27


def to_float_rgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 0..255 or float 0..1 RGB -> float32 0..1."""
    if rgb.dtype == np.uint8:
        return rgb.astype(np.float32) / 255.0
    return np.clip(rgb.astype(np.float32), 0.0, 1.0)


def _srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    rgb = to_float_rgb(rgb)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


# uint8 input has 256 values: looking them up gives the same float32s as computing them, at a
# tenth of the time (every skin measurement and Lab conversion starts here).
_UINT8_TO_LINEAR = _srgb_to_linear(np.arange(256, dtype=np.uint8))


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return _UINT8_TO_LINEAR[rgb]
    return _srgb_to_linear(rgb)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    out = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
    return out.astype(np.float32)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB (uint8 or float 0..1) -> (..., 3) float32 L* a* b*."""
    xyz = srgb_to_linear(rgb) @ _RGB_TO_XYZ.T / _WHITE_D65
    f = np.where(xyz > _EPS, np.cbrt(xyz), (_KAPPA * xyz + 16) / 116)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab.astype(np.float32)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """(..., 3) L* a* b* -> (..., 3) float32 sRGB in 0..1 (clipped)."""
    lab = lab.astype(np.float32)
    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > _EPS, f**3, (116 * f - 16) / _KAPPA) * _WHITE_D65
    return linear_to_srgb(xyz @ _XYZ_TO_RGB.T)


def to_uint8(rgb01: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rgb01 * 255.0), 0, 255).astype(np.uint8)
