"""Lesion mask and skin-tone measurement of a stored image (run by a worker after ingest)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from repository.imaging import ImageRejected, decode_mask, decode_rgb, encode_mask
from repository.models import LesionImage
from repository.services.ingest import too_large_message
from repository.vocabulary import Modality
from synthesis.ml.fitzpatrick import group_of
from synthesis.ml.skin_tone import METHOD_VERSION, SkinTone, measure_skin_tone

logger = logging.getLogger(__name__)

TONE_FLAG_MAX_LABEL_GROUP_PROBABILITY = 0.1


def _store_mask(image: LesionImage, mask) -> str:
    name = f"masks/{image.sha256[:2]}/{image.sha256}.png"
    # Overwrite in place so a retried analysis leaves one mask, not a trail of copies.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(encode_mask(mask)))


def _measure(image: LesionImage, rgb, mask) -> SkinTone:
    # A clinical photograph's lesion is measured with a person's mask only: the automatic
    # segmenters are dermoscopy models (measure_skin_tone finds the lesion itself otherwise).
    trusted = (
        image.modality != Modality.CLINICAL or image.mask_source == LesionImage.MaskSource.MANUAL
    )
    return measure_skin_tone(rgb, modality=image.modality, lesion_mask=mask if trusted else None)


def _automatic_mask(image: LesionImage, rgb):
    """The checked automatic mask (stored), or None with the image marked "needs a mask" when
    every segmenter's mask failed the check; the caller saves the fields set here."""
    from synthesis.services.segmenters import lesion_mask_make

    try:
        result = lesion_mask_make(rgb=rgb, modality=image.modality)
    except ValidationError as exc:  # e.g. an image too small to outline a lesion in
        image.mask, image.mask_source, image.mask_segmenter = "", "", ""
        image.mask_check = {"check": "needs_mask", "error": " ".join(exc.messages)}
        image.needs_mask = True
        return None
    image.mask_check = result.as_dict()
    image.needs_mask = result.needs_mask
    if result.mask is None:
        if image.mask:
            default_storage.delete(image.mask.name)
        image.mask, image.mask_source, image.mask_segmenter = "", "", ""
        return None
    image.mask = _store_mask(image, result.mask)
    image.mask_source = (
        LesionImage.MaskSource.CLASSICAL
        if result.segmenter.startswith("classical")
        else LesionImage.MaskSource.LEARNED
    )
    image.mask_segmenter = result.segmenter
    return result.mask


def analysis_queue(*, image_id: int) -> None:
    """Queue an image's analysis after commit. A broker that is down leaves the image pending
    (analysis_dispatched_at null) for the job sweep, never an error for the uploader."""
    from django.db import transaction

    transaction.on_commit(lambda: analysis_send(image_id=image_id))


def analysis_send(*, image_id: int) -> bool:
    from repository.tasks import analyse_image_task

    try:
        analyse_image_task.apply_async((image_id,), retry=False)
    except Exception as exc:  # the broker's client raises many types for "unreachable"
        logger.warning("the analysis of image %s waits for the broker: %s", image_id, exc)
        return False
    LesionImage.objects.filter(pk=image_id).update(analysis_dispatched_at=timezone.now())
    return True


def analyses_waiting(older_than):
    """Pending analyses never sent, or sent so long ago that the message must have been lost."""
    sent_long_ago = Q(analysis_dispatched_at__lt=timezone.now() - older_than)
    return LesionImage.objects.filter(
        Q(analysis_dispatched_at__isnull=True) | sent_long_ago,
        analysis_status=LesionImage.AnalysisStatus.PENDING,
    ).order_by("pk")


def tone_stale_images():
    """Analysed images measured by another method version than the current one."""
    current = Q(tone_measurement__method_version=METHOD_VERSION)
    missing = Q(tone_measurement__method_version__isnull=True)  # older records had no version
    return LesionImage.objects.filter(analysis_status=LesionImage.AnalysisStatus.DONE).filter(
        ~current | missing
    )


def image_tone_remeasure(*, image_id: int) -> LesionImage | None:
    """Measure the skin again with the current method, reusing the stored mask (no new
    segmentation). Safe to repeat; returns None for a vanished image."""
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        return None
    with default_storage.open(image.image.name, "rb") as fh:
        rgb = decode_rgb(fh.read())
    mask = None
    if image.mask:
        with default_storage.open(image.mask.name, "rb") as fh:
            mask = decode_mask(fh.read(), size=(image.width, image.height))
    image_tone_apply(image=image, tone=_measure(image, rgb, mask))
    image.analysed_at = timezone.now()
    image.save(
        update_fields=[
            "ita_deg",
            "measured_fitzpatrick",
            "tone_measurement",
            "tone_flagged",
            "analysed_at",
            "updated_at",
        ]
    )
    return image


def image_analyse(*, image_id: int) -> LesionImage | None:
    """Segment the lesion (unless a person supplied the mask) and measure the healthy skin.

    Safe to repeat: it rewrites the same mask file and the same fields."""
    image = LesionImage.objects.filter(pk=image_id).first()
    if image is None:
        logger.warning("image %s vanished before its analysis", image_id)
        return None
    with default_storage.open(image.image.name, "rb") as fh:
        rgb = decode_rgb(fh.read())
    if image.mask and image.mask_source == LesionImage.MaskSource.MANUAL:
        with default_storage.open(image.mask.name, "rb") as fh:
            mask = decode_mask(fh.read(), size=(image.width, image.height))
    else:
        mask = _automatic_mask(image, rgb)
    image_tone_apply(image=image, tone=_measure(image, rgb, mask))
    image.analysis_status = LesionImage.AnalysisStatus.DONE
    image.analysis_error = ""
    image.analysed_at = timezone.now()
    image.save(
        update_fields=[
            "mask",
            "mask_source",
            "mask_segmenter",
            "mask_check",
            "needs_mask",
            "ita_deg",
            "measured_fitzpatrick",
            "tone_measurement",
            "tone_flagged",
            "analysis_status",
            "analysis_error",
            "analysed_at",
            "updated_at",
        ]
    )
    return image


def tone_flag_decide(*, measurement: dict, label: int) -> bool:
    """The fair flag: only a gradable, confident measurement that clearly disagrees.

    Flag when the measurement calls a Fitzpatrick group (not "cannot tell"), puts less than
    10% on the labelled type's group, and its best type is PIXGEN_TONE_FLAG_DISTANCE or more
    types from the label. Never on "not gradable"."""
    if not measurement.get("gradable"):
        return False
    fitz = measurement.get("fitzpatrick") or {}
    if fitz.get("call", "cannot tell") == "cannot tell":
        return False
    label_group = group_of(int(label))
    if fitz["group_probabilities"].get(label_group, 1.0) >= TONE_FLAG_MAX_LABEL_GROUP_PROBABILITY:
        return False
    return abs(int(fitz["estimate"]) - int(label)) >= settings.PIXGEN_TONE_FLAG_DISTANCE


def image_tone_apply(*, image: LesionImage, tone: SkinTone) -> None:
    """Copy one measurement onto the image's fields (the caller saves)."""
    measurement = tone.as_dict()
    image.tone_measurement = measurement
    image.ita_deg = tone.ita_deg
    image.measured_fitzpatrick = tone.estimated_fitzpatrick
    image.tone_flagged = tone_flag_decide(measurement=measurement, label=image.fitzpatrick)


def image_analysis_fail(*, image_id: int, reason: str) -> None:
    LesionImage.objects.filter(pk=image_id).update(
        analysis_status=LesionImage.AnalysisStatus.FAILED,
        analysis_error=reason[:2000],
        analysed_at=timezone.now(),
    )


def image_mask_replace(*, image: LesionImage, user, mask_data: bytes) -> LesionImage:
    """A moderator or the contributor uploads a corrected mask; tone is measured again."""
    if not (user.is_moderator or image.contributor_id == user.pk):
        raise PermissionDenied(_("Only the contributor or a moderator can correct the mask."))
    if len(mask_data) > settings.PIXGEN_MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"mask": too_large_message(len(mask_data), settings.PIXGEN_MAX_UPLOAD_BYTES)}
        )
    try:
        mask = decode_mask(
            mask_data,
            size=(image.width, image.height),
            max_pixels=settings.PIXGEN_MAX_IMAGE_PIXELS,
            binary=True,
        )
    except ImageRejected as exc:
        raise ValidationError({"mask": exc.translated(_)}) from None
    if not mask.any():
        raise ValidationError({"mask": _("The mask is empty: mark the lesion in white.")})
    image.mask = _store_mask(image, mask)
    image.mask_source = LesionImage.MaskSource.MANUAL
    image.mask_segmenter = ""
    image.mask_check = {"check": "manual", "by": user.username}
    image.needs_mask = False
    image.save(
        update_fields=[
            "mask",
            "mask_source",
            "mask_segmenter",
            "mask_check",
            "needs_mask",
            "updated_at",
        ]
    )
    return image_analyse(image_id=image.pk)
