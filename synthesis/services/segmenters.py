"""Which lesion segmenter to use. The default learned segmenter is the model shipped with the
code, unless a model trained here beat it on the same held-out images (then that one); the
classical segmenter needs no weights and is the fallback. Loaded models are cached."""

import logging
import threading

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from synthesis.ml import lesion_masks
from synthesis.ml.lesion_masks import MaskResult, Segmenter
from synthesis.models import SegmenterModel
from synthesis.services.files import read_stored

logger = logging.getLogger(__name__)

CLASSICAL = lesion_masks.CLASSICAL
SHIPPED = "shipped"
_cache: dict[tuple[int, str], object] = {}
_lock = threading.Lock()


def _load(row: SegmenterModel):
    key = (row.pk, row.weights.name)
    with _lock:
        if key not in _cache:
            from synthesis.ml.segmentation_training import load_checkpoint

            _cache[key] = load_checkpoint(read_stored(row.weights.name))
        return _cache[key]


def segmenter_for(row: SegmenterModel) -> Segmenter:
    """A repository-trained model, loaded now so that a broken file is a clear error."""
    from synthesis.ml.segmentation_inference import predict_mask

    try:
        trained = _load(row)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("Segmenter %(version)s cannot be loaded: %(error)s")
            % {"version": row.version, "error": exc}
        ) from None
    return Segmenter(row.version, lambda rgb: predict_mask(trained, rgb, postprocess=False))


def shipped() -> Segmenter:
    """The shipped model, its checksum verified now."""
    from synthesis.ml.shipped_segmenter import WeightsError, load_shipped

    try:
        load_shipped()
    except WeightsError as exc:
        raise ValidationError(_("The shipped segmenter cannot be used: %s") % exc) from None
    return lesion_masks.shipped_segmenter()


def learned_default() -> Segmenter:
    """A promoted repository model when one loads, else the shipped model. The shipped
    model's own load errors surface at the first mask, as a failed attempt."""
    row = SegmenterModel.objects.promoted()
    if row is not None:
        try:
            return segmenter_for(row)
        except ValidationError:
            logger.exception("the promoted segmenter %s does not load; using the shipped one", row)
    return lesion_masks.shipped_segmenter()


def segmenter_default() -> Segmenter:
    """The checked dermoscopy chain as one segmenter named for its learned model: a mask that
    fails every check comes back empty (callers that can ask a person use lesion_mask_make)."""
    learned = learned_default()

    def segment(rgb: np.ndarray) -> np.ndarray:
        chain = lesion_masks.chain_for(lesion_masks.DERMOSCOPIC, learned)
        result = lesion_masks.segment_checked(rgb, chain)
        return result.mask if result.mask is not None else np.zeros(rgb.shape[:2], dtype=bool)

    return Segmenter(learned.name, segment)


def segmenter_get(name: str | None) -> Segmenter:
    """'default', 'shipped', 'classical', 'best', 'latest' or a model version."""
    name = (name or "default").strip()
    if name == "default":
        return learned_default()
    if name == SHIPPED:
        return shipped()
    if name == CLASSICAL:
        return lesion_masks.classical_segmenter()
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
                _("No trained segmenter yet: run train_segmenter, or use the shipped one.")
            )
        raise ValidationError(
            _("No segmenter version %(name)s; known: %(known)s.")
            % {
                "name": repr(name),
                "known": ", ".join(
                    [
                        "default",
                        SHIPPED,
                        CLASSICAL,
                        *SegmenterModel.objects.values_list("version", flat=True),
                    ]
                ),
            }
        )
    return segmenter_for(row)


def lesion_mask_make(*, rgb: np.ndarray, modality: str, model: str | None = None) -> MaskResult:
    """The checked automatic mask: `model` (default: the default learned one) first for
    dermoscopy, then the other; clinical photographs take the clinical path only."""
    name = (model or "default").strip()
    if modality == lesion_masks.CLINICAL:
        if name not in ("default", CLASSICAL):
            raise ValidationError(
                _(
                    "%(name)s is a dermoscopy segmenter; clinical photographs are segmented "
                    "without dermoscopy priors (or get a mask from a person)."
                )
                % {"name": name}
            )
        chain = lesion_masks.chain_for(modality)
    elif name == CLASSICAL:
        chain = lesion_masks.chain_for(modality, learned_default(), prefer_classical=True)
    else:
        chain = lesion_masks.chain_for(modality, segmenter_get(name))
    try:
        return lesion_masks.segment_checked(rgb, chain)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
