"""Skin-tone transfer: re-render a lesion image's healthy skin at a darker (or lighter) tone.

Input an sRGB uint8 image, its lesion mask and a ToneTarget (Fitzpatrick type, ITA angle, or
an alpha-mix of two StyleTemplates); get a TransferResult with the image, the parameters and
code version for provenance, and measurements (skin ITA, band hit, contrast, SSIM).

    result = transfer(rgb, mask, ToneTarget.for_fitzpatrick(5))            # melanin backend
    result = get_backend("lab-stats").transfer(rgb, mask, ToneTarget.for_ita(-20.0))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synthesis.ml.tone_backends.base import (
    ITA_TOLERANCE_DEG,
    StyleTemplate,
    ToneBackend,
    ToneTarget,
    TransferResult,
)
from synthesis.ml.tone_backends.chromophore import ChromophoreBackend
from synthesis.ml.tone_backends.lab_stats import LabStatsBackend
from synthesis.ml.tone_backends.magenta import MagentaBackend
from synthesis.ml.tone_backends.melanin import MelaninBackend

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "ITA_TOLERANCE_DEG",
    "StyleTemplate",
    "ToneBackend",
    "ToneTarget",
    "TransferResult",
    "get_backend",
    "transfer",
]

# chromophore since issue 14: on bench/tone_transfer.py it lands on the same drawn ITAs as
# melanin, with browner skin as imaged and the lesion rule kept on ~all images where melanin
# keeps it on almost none at types V-VI (README, "Synthesis").
DEFAULT_BACKEND = "chromophore"
BACKENDS: dict[str, ToneBackend] = {
    "melanin": MelaninBackend(),
    "lab-stats": LabStatsBackend(),
    "magenta": MagentaBackend(),
    "chromophore": ChromophoreBackend(),
}


def get_backend(name: str) -> ToneBackend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}"
        ) from None


def transfer(
    rgb: np.ndarray,
    lesion_mask: np.ndarray,
    target: ToneTarget,
    *,
    backend: str = DEFAULT_BACKEND,
    seed: int = 0,
    **params: Any,
) -> TransferResult:
    """Run one backend; params are backend-specific (see each backend's DEFAULTS)."""
    return get_backend(backend).transfer(rgb, lesion_mask, target, seed=seed, **params)
