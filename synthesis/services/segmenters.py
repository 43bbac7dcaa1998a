"""Which lesion segmenter to use: the best trained U-Net when there is one, else the classical
segmenter (no weights). Loaded models are cached per process."""

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from synthesis.ml.segmentation_classical import segment_lesion
from synthesis.models import SegmenterModel
from synthesis.services.files import read_stored

logger = logging.getLogger(__name__)

CLASSICAL = "classical"
_cache: dict[tuple[int, str], Any] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Segmenter:
    """A ready segmenter: `segment(rgb)` -> bool HxW mask."""

    version: str  # "classical" or a SegmenterModel version
    trained: Any = None  # TrainedSegmenter, None for classical

    @property
    def mask_source(self) -> str:
        return "classical" if self.trained is None else "learned"

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        if self.trained is None:
            return segment_lesion(rgb)
        from synthesis.ml.segmentation_inference import predict_mask

        return predict_mask(self.trained, rgb)


def _load(row: SegmenterModel):
    key = (row.pk, row.checkpoint.name)
    with _lock:
        if key not in _cache:
            from synthesis.ml.segmentation_training import load_checkpoint

            _cache[key] = load_checkpoint(read_stored(row.checkpoint.name))
        return _cache[key]


def segmenter_for(row: SegmenterModel) -> Segmenter:
    try:
        trained = _load(row)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("Segmenter %(version)s cannot be loaded: %(error)s")
            % {"version": row.version, "error": exc}
        ) from None
    return Segmenter(version=row.version, trained=trained)


def segmenter_default() -> Segmenter:
    """The best active trained model, or the classical segmenter when none loads."""
    row = SegmenterModel.objects.best()
    if row is None:
        return Segmenter(version=CLASSICAL)
    try:
        return segmenter_for(row)
    except ValidationError:
        logger.exception("the best segmenter %s does not load; using the classical one", row)
        return Segmenter(version=CLASSICAL)


def segmenter_get(name: str | None) -> Segmenter:
    """'default' (best or classical), 'classical', 'best', 'latest' or a model version."""
    name = (name or "default").strip()
    if name == "default":
        return segmenter_default()
    if name == CLASSICAL:
        return Segmenter(version=CLASSICAL)
    models = SegmenterModel.objects.active()
    if name == "best":
        row = models.best()
    elif name == "latest":
        row = models.order_by("-created_at", "-id").first()
    else:
        row = SegmenterModel.objects.filter(version=name).first()
    if row is None:
        if name in ("best", "latest"):
            raise ValidationError(
                _("No trained segmenter yet: run train_segmenter, or use the classical one.")
            )
        raise ValidationError(
            _("No segmenter version %(name)s; known: %(known)s.")
            % {
                "name": repr(name),
                "known": ", ".join(
                    ["classical", *SegmenterModel.objects.values_list("version", flat=True)]
                ),
            }
        )
    return segmenter_for(row)
