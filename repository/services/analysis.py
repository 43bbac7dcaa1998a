"""Lesion mask and skin-tone measurement of a stored image (run by a worker after ingest)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from repository.imaging import ImageRejected, decode_mask, decode_rgb, encode_mask
from repository.models import LesionImage
from synthesis.ml.skin_tone import measure_tone

logger = logging.getLogger(__name__)


def _store_mask(image: LesionImage, mask) -> str:
    name = f"masks/{image.sha256[:2]}/{image.sha256}.png"
    # Overwrite in place so a retried analysis leaves one mask, not a trail of copies.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(encode_mask(mask)))


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
        # The best trained U-Net when there is one, else the classical segmenter.
        from synthesis.services.segmenters import segmenter_default

        segmenter = segmenter_default()
        mask = segmenter.segment(rgb)
        image.mask = _store_mask(image, mask)
        image.mask_source = segmenter.mask_source
    try:
        tone = measure_tone(rgb, mask)
    except ValueError as exc:
        image.analysis_status = LesionImage.AnalysisStatus.FAILED
        image.analysis_error = str(exc)
    else:
        image.ita_deg = tone.ita_deg
        image.measured_fitzpatrick = tone.estimated_fitzpatrick
        image.tone_measurement = tone.as_dict()
        distance = abs(tone.estimated_fitzpatrick - image.fitzpatrick)
        image.tone_flagged = distance >= settings.PIXGEN_TONE_FLAG_DISTANCE
        image.analysis_status = LesionImage.AnalysisStatus.DONE
        image.analysis_error = ""
    image.analysed_at = timezone.now()
    image.save(
        update_fields=[
            "mask",
            "mask_source",
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
    try:
        mask = decode_mask(mask_data, size=(image.width, image.height))
    except ImageRejected as exc:
        raise ValidationError({"mask": str(exc)}) from None
    if not mask.any():
        raise ValidationError({"mask": _("The mask is empty: mark the lesion in white.")})
    image.mask = _store_mask(image, mask)
    image.mask_source = LesionImage.MaskSource.MANUAL
    image.save(update_fields=["mask", "mask_source", "updated_at"])
    return image_analyse(image_id=image.pk)
