"""The one entry point for automatic lesion masks, by modality.

Dermoscopy: the learned segmenter (the shipped model unless another is given), then the
classical one; each mask is post-processed and must pass the quality check, else the next
segmenter is tried, else the image "needs a mask" from a person. Clinical photographs never
see the dermoscopy model or the dermoscopy priors: the classical pipeline without them, the
same check, and a person's mask when it fails. Every result says who made it and what the
check said about each attempt."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from synthesis.ml import segmentation_quality as quality
from synthesis.ml.segmentation_classical import segment_clinical, segment_lesion

DERMOSCOPIC = "dermoscopic"
CLINICAL = "clinical"
MODALITIES = (DERMOSCOPIC, CLINICAL)
CLASSICAL = "classical"
CLINICAL_CLASSICAL = "classical-clinical"
NEEDS_MASK = "needs_mask"
# Below this a lesion outline means nothing (a 32 px side is about 1.5 mm under a dermoscope).
MIN_SIDE = 32


@dataclass(frozen=True)
class Segmenter:
    """A named function from uint8 HxWx3 RGB to a bool HxW mask."""

    name: str
    segment: Callable[[np.ndarray], np.ndarray]

    @property
    def version(self) -> str:
        return self.name

    @property
    def mask_source(self) -> str:
        """LesionImage.MaskSource of its masks."""
        return "classical" if self.name.startswith(CLASSICAL) else "learned"


@dataclass(frozen=True)
class MaskResult:
    """The mask (None when every attempt failed its check), who made it, and every attempt
    as (segmenter, outcome): a check name, "passed", or "error: ..."."""

    mask: np.ndarray | None
    segmenter: str
    check: str
    attempts: tuple[tuple[str, str], ...] = field(default=())

    @property
    def needs_mask(self) -> bool:
        return self.mask is None

    @property
    def fell_back(self) -> bool:
        return self.mask is not None and len(self.attempts) > 1

    def as_dict(self) -> dict:
        return {
            "segmenter": self.segmenter,
            "check": self.check,
            "attempts": [{"segmenter": s, "outcome": o} for s, o in self.attempts],
        }


def classical_segmenter() -> Segmenter:
    return Segmenter(CLASSICAL, segment_lesion)


def clinical_segmenter() -> Segmenter:
    return Segmenter(CLINICAL_CLASSICAL, segment_clinical)


def shipped_segmenter() -> Segmenter:
    """The shipped model; loading (and its checksum) happens at the first mask."""
    from synthesis.ml.segmentation_inference import predict_mask
    from synthesis.ml.shipped_segmenter import SHIPPED_VERSION, load_shipped

    return Segmenter(
        SHIPPED_VERSION, lambda rgb: predict_mask(load_shipped(), rgb, postprocess=False)
    )


def check_image(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 HxWx3 RGB image, got {rgb.dtype} {rgb.shape}")
    if min(rgb.shape[:2]) < MIN_SIDE:
        h, w = rgb.shape[:2]
        raise ValueError(f"the image is {w}x{h}: too small to segment (at least {MIN_SIDE} px)")
    return rgb


def chain_for(
    modality: str, learned: Segmenter | None = None, *, prefer_classical: bool = False
) -> list[Segmenter]:
    """Segmenters to try, in order, for a modality."""
    if modality == CLINICAL:
        return [clinical_segmenter()]
    if modality != DERMOSCOPIC:
        raise ValueError(f"unknown modality {modality!r}: expected {' or '.join(MODALITIES)}")
    chain = [learned or shipped_segmenter(), classical_segmenter()]
    return chain[::-1] if prefer_classical else chain


def segment_checked(rgb: np.ndarray, chain: list[Segmenter]) -> MaskResult:
    """Try each segmenter in turn; the first post-processed mask that passes the check wins.

    A segmenter that raises (weights that do not load, a numerical failure) counts as a
    failed attempt, so the next one runs instead of the worker crashing."""
    rgb = check_image(rgb)
    attempts: list[tuple[str, str]] = []
    for segmenter in chain:
        try:
            mask = quality.postprocess(segmenter.segment(rgb))
        except (ValueError, RuntimeError, OSError) as exc:
            attempts.append((segmenter.name, f"error: {exc}"[:300]))
            continue
        outcome = quality.quality_check(mask)
        attempts.append((segmenter.name, outcome))
        if outcome == quality.PASSED:
            return MaskResult(mask, segmenter.name, outcome, tuple(attempts))
    return MaskResult(None, "", NEEDS_MASK, tuple(attempts))


def segment_for_modality(
    rgb: np.ndarray, modality: str, learned: Segmenter | None = None
) -> MaskResult:
    """The checked automatic mask of an image of this modality (see the module docstring)."""
    return segment_checked(rgb, chain_for(modality, learned))
