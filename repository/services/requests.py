"""Image requests: what clinicians and researchers need, and how close we are to it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.models import Diagnosis, ImageRequest, User
from repository.services.notifications import notify
from repository.services.permissions import require_requester
from repository.vocabulary import BodySite, Modality
from synthesis.ml.fitzpatrick import parse_type

MAX_QUANTITY = 10_000


def _is_fitzpatrick(value) -> bool:
    try:
        parse_type(value)
    except ValueError:
        return False
    return True


def request_create(
    *,
    requester: User,
    diagnosis: Diagnosis,
    fitzpatrick_min: int | str,
    fitzpatrick_max: int | str,
    modality: str,
    quantity: int,
    reason: str,
    body_site: str = "",
) -> ImageRequest:
    require_requester(requester)
    errors = {}
    try:
        lo, hi = parse_type(fitzpatrick_min), parse_type(fitzpatrick_max)
        if lo > hi:
            errors["fitzpatrick_max"] = _("The range must run from lighter to darker (min ≤ max).")
    except ValueError:
        bad = fitzpatrick_max if _is_fitzpatrick(fitzpatrick_min) else fitzpatrick_min
        errors["fitzpatrick_min"] = _("Fitzpatrick type must be I–VI (1–6), not %(v)r.") % {
            "v": bad
        }
        lo = hi = None
    if modality not in Modality.values:
        errors["modality"] = _("Unknown modality.")
    if body_site and body_site not in BodySite.values:
        errors["body_site"] = _("Unknown body site.")
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = _("Ask for between 1 and %(max)s images.") % {"max": MAX_QUANTITY}
    if not (reason or "").strip():
        errors["reason"] = _("Say why these images are needed.")
    if not diagnosis.is_active:
        errors["diagnosis"] = _("This diagnosis is no longer in use.")
    if errors:
        raise ValidationError(errors)
    return ImageRequest.objects.create(
        requester=requester,
        diagnosis=diagnosis,
        fitzpatrick_min=lo,
        fitzpatrick_max=hi,
        modality=modality,
        quantity=quantity,
        reason=reason.strip(),
        body_site=body_site,
    )


def request_refresh(*, request: ImageRequest) -> ImageRequest:
    """Close the request as fulfilled once enough linked images are public; tell the requester."""
    with transaction.atomic():
        if request.public_count() < request.quantity:
            return request
        updated = ImageRequest.objects.filter(
            pk=request.pk, status=ImageRequest.Status.OPEN
        ).update(status=ImageRequest.Status.FULFILLED, fulfilled_at=timezone.now())
        request.refresh_from_db()
        if updated:
            url = reverse("request-detail", args=[request.pk])
            notify(
                user=request.requester,
                subject=gettext_lazy("Your image request is fulfilled"),
                body=gettext_lazy(
                    "Your request for %(request)s now has %(n)s public images: %(url)s"
                ),
                params={"request": request, "n": request.public_count(), "url": url},
            )
    return request


def request_close(*, request: ImageRequest, user: User) -> ImageRequest:
    if request.requester_id != user.pk and not user.is_moderator:
        raise PermissionDenied(_("Only the requester or a moderator can close this request."))
    updated = ImageRequest.objects.filter(pk=request.pk, status=ImageRequest.Status.OPEN).update(
        status=ImageRequest.Status.CLOSED
    )
    if not updated:
        raise ValidationError(_("This request is not open."))
    request.refresh_from_db()
    return request
