"""Moderation of contributions: publish, reject, withdraw. Conditional updates make each
decision happen once, even with two moderators on the same item."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.models import LesionImage, User
from repository.services.catalogue_counts import catalogue_change
from repository.services.notifications import notify
from repository.services.permissions import require_authenticated, require_moderator
from repository.services.requests import request_refresh
from synthesis.ml.fitzpatrick import DARKER

Status = LesionImage.Status


def _decide(*, image: LesionImage, moderator: User, status: str, reason: str = "") -> LesionImage:
    with catalogue_change(real=[image.pk]):
        updated = LesionImage.objects.filter(pk=image.pk, status=Status.PENDING).update(
            status=status,
            moderated_by=moderator,
            moderated_at=timezone.now(),
            rejection_reason=reason,
            updated_at=timezone.now(),
        )
        if not updated:
            raise ValidationError(_("Image #%(id)s is no longer pending.") % {"id": image.pk})
        image.refresh_from_db()
        if image.request_id:
            request_refresh(request=image.request)
    return image


def image_publish(*, image: LesionImage, moderator: User) -> LesionImage:
    require_moderator(moderator)
    if not image.image or not default_storage.exists(image.image.name):
        # Never publish (and so never export) a row whose file is gone.
        raise ValidationError(
            _("Image #%(id)s has no stored file; it cannot be published.") % {"id": image.pk}
        )
    with transaction.atomic():
        image = _decide(image=image, moderator=moderator, status=Status.PUBLIC)
        # A published image of a darker type offers its healthy skin as a style template.
        if image.fitzpatrick in DARKER:
            from synthesis.services.job_harness import task_send
            from synthesis.tasks import propose_style_template_task

            # A suggestion, not a job: with the broker down it is skipped, never a 500.
            transaction.on_commit(lambda: task_send(propose_style_template_task, image.pk))
    return image


def image_reject(*, image: LesionImage, moderator: User, reason: str) -> LesionImage:
    require_moderator(moderator)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the contributor a reason for the rejection.")})
    image = _decide(image=image, moderator=moderator, status=Status.REJECTED, reason=reason)
    notify(
        user=image.contributor,
        subject=gettext_lazy("Image #%(id)s was not published"),
        body=gettext_lazy("A moderator rejected image #%(id)s: %(reason)s"),
        params={"id": image.pk, "reason": reason},
    )
    return image


def image_withdraw(*, image: LesionImage, user: User) -> LesionImage:
    """The contributor (or a moderator) takes an image out of listings and future exports."""
    require_authenticated(user)
    if image.contributor_id != user.pk and not user.is_moderator:
        raise PermissionDenied(_("Only the contributor or a moderator can withdraw this image."))
    with catalogue_change(real=[image.pk]):
        updated = LesionImage.objects.filter(
            pk=image.pk, status__in=[Status.PENDING, Status.PUBLIC]
        ).update(status=Status.WITHDRAWN, withdrawn_at=timezone.now(), updated_at=timezone.now())
    if not updated:
        raise ValidationError(_("Image #%(id)s cannot be withdrawn now.") % {"id": image.pk})
    image.refresh_from_db()
    return image
