"""The one way an image enters PixGen: web form, batch CSV, API and CLI all call image_ingest."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

from repository import perceptual
from repository.imaging import CleanImage, ImageRejected, deidentify
from repository.models import LesionImage, NearDuplicatePair, User
from repository.services.metadata import ImageMetadata
from repository.services.near_duplicates import near_duplicates_record
from repository.services.permissions import require_verified_clinician

logger = logging.getLogger(__name__)


def read_limited(fileobj, *, max_bytes: int, field: str = "image") -> bytes:
    """Read at most one byte past the cap, so an oversized upload is refused without loading
    it; the refusal gives the file's real size when the upload knows it."""
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({field: too_large_message(getattr(fileobj, "size", None), max_bytes)})
    return data


def too_large_message(size: int | None, max_bytes: int) -> str:
    limit = filesizeformat(max_bytes)
    if size is None or size <= max_bytes:
        return _("The file is larger than allowed; the limit is %(limit)s.") % {"limit": limit}
    return _("The file is %(size)s; the limit is %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": limit,
    }


def upload_deidentify(data: bytes, *, field: str = "image") -> CleanImage:
    """Check and de-identify uploaded bytes under this site's caps; a refusal is a
    ValidationError on `field`. Every upload path (images, templates, suggestions) uses it."""
    try:
        return deidentify(
            data,
            max_bytes=settings.PIXGEN_MAX_UPLOAD_BYTES,
            max_pixels=settings.PIXGEN_MAX_IMAGE_PIXELS,
            thumbnail_size=settings.PIXGEN_THUMBNAIL_SIZE,
        )
    except ImageRejected as exc:
        raise ValidationError({field: exc.translated(_)}, code="invalid_image") from None


def _duplicate_error(existing: LesionImage) -> ValidationError:
    url = reverse("image-detail", args=[existing.pk])
    message = _("This image is already in PixGen as image #%(id)s (%(url)s).") % {
        "id": existing.pk,
        "url": url,
    }
    # params carry the image so a page can show the message with a link (see views/upload.py).
    return ValidationError(
        {"image": ValidationError(message, code="duplicate", params={"existing": existing.pk})}
    )


def image_ingest(*, contributor: User, fileobj, metadata: ImageMetadata) -> LesionImage:
    """Validate, de-identify and store one image, then queue its analysis after commit.

    Either both the row and its files exist afterwards, or neither does."""
    require_verified_clinician(contributor)
    values = metadata.cleaned()
    clean = upload_deidentify(read_limited(fileobj, max_bytes=settings.PIXGEN_MAX_UPLOAD_BYTES))
    existing = LesionImage.objects.filter(sha256=clean.sha256).first()
    if existing is not None:
        raise _duplicate_error(existing)
    prints = perceptual.fingerprint(clean.content)

    stem = f"{clean.sha256[:2]}/{clean.sha256}"
    written: list[str] = []
    try:
        written.append(
            default_storage.save(f"images/{stem}.{clean.extension}", ContentFile(clean.content))
        )
        written.append(default_storage.save(f"thumbnails/{stem}.jpg", ContentFile(clean.thumbnail)))
        with transaction.atomic():
            image = LesionImage.objects.create(
                image=written[0],
                thumbnail=written[1],
                sha256=clean.sha256,
                width=clean.width,
                height=clean.height,
                file_format=clean.file_format,
                file_size=len(clean.content),
                contributor=contributor,
                **values,
            )
            # Near-duplicates are recorded for moderators and shown to the contributor; they
            # do not refuse the upload (another photograph of one lesion is welcome).
            near_duplicates_record(
                origin="real",
                object_id=image.pk,
                prints=prints,
                found=NearDuplicatePair.Found.INGEST,
            )
            from repository.services.analysis import analysis_queue

            analysis_queue(image_id=image.pk)
    except IntegrityError:
        _delete_files(written)
        existing = LesionImage.objects.filter(sha256=clean.sha256).first()
        if existing is not None:  # a concurrent upload of the same pixels won the race
            raise _duplicate_error(existing) from None
        raise
    except BaseException:
        _delete_files(written)
        raise
    return image


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # the original error matters more than a failed clean-up
            logger.exception("could not delete %s after a failed ingest", name)
