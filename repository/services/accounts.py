"""Accounts, clinician verification, roles and researcher tokens."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.models import ApiToken, ClinicianApplication, User
from repository.services.notifications import notify
from repository.services.permissions import require_moderator, require_researcher

APPLICATION_FIELDS = ("licence_number", "issuing_authority", "country", "institution", "specialty")
ROLES = ("reviewer", "moderator")


def clinician_apply(*, user: User, **fields: str) -> ClinicianApplication:
    """Create or renew the user's application; a verified clinician cannot re-apply."""
    missing = [name for name in APPLICATION_FIELDS if not str(fields.get(name, "")).strip()]
    if missing:
        raise ValidationError({name: _("This field is required.") for name in missing})
    with transaction.atomic():
        application = ClinicianApplication.objects.select_for_update().filter(user=user).first()
        if application and application.status == ClinicianApplication.Status.VERIFIED:
            raise ValidationError(_("You are already a verified clinician."))
        if application is None:
            application = ClinicianApplication(user=user)
        for name in APPLICATION_FIELDS:
            setattr(application, name, str(fields[name]).strip())
        application.status = ClinicianApplication.Status.PENDING
        application.decided_by = None
        application.decided_at = None
        application.decision_reason = ""
        application.save()
    return application


def clinician_decide(
    *, application: ClinicianApplication, moderator: User, approve: bool, reason: str = ""
) -> ClinicianApplication:
    require_moderator(moderator)
    reason = reason.strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Give the applicant a reason for the rejection.")})
    new_status = (
        ClinicianApplication.Status.VERIFIED if approve else ClinicianApplication.Status.REJECTED
    )
    with transaction.atomic():
        updated = ClinicianApplication.objects.filter(
            pk=application.pk, status=ClinicianApplication.Status.PENDING
        ).update(
            status=new_status,
            decided_by=moderator,
            decided_at=timezone.now(),
            decision_reason=reason,
        )
        if not updated:
            raise ValidationError(_("This application has already been decided."))
        application.refresh_from_db()
        if approve:
            notify(
                user=application.user,
                subject=gettext_lazy("You are verified"),
                body=gettext_lazy(
                    "Your clinician verification was approved. You can now contribute images."
                ),
            )
        else:
            notify(
                user=application.user,
                subject=gettext_lazy("Your verification was not approved"),
                body=gettext_lazy("Your clinician verification was rejected: %(reason)s"),
                params={"reason": reason},
            )
    return application


def role_set(*, user: User, role: str, granted: bool, moderator: User) -> User:
    """Grant or revoke the reviewer or moderator role. Moderators also get the Django admin."""
    require_moderator(moderator)
    if role not in ROLES:
        raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
    if role == "moderator" and not granted and user == moderator:
        raise ValidationError(_("You cannot remove your own moderator role."))
    if role == "reviewer":
        user.is_reviewer = granted
        user.save(update_fields=["is_reviewer"])
    else:
        user.is_moderator = granted
        user.is_staff = granted
        user.save(update_fields=["is_moderator", "is_staff"])
    return user


def data_terms_accept(*, user: User) -> tuple[ApiToken, str]:
    """Accept the data-use terms (once) and issue a first API token, whose key is returned once."""
    if user.data_terms_accepted_at is None:
        user.data_terms_accepted_at = timezone.now()
        user.save(update_fields=["data_terms_accepted_at"])
    return api_token_issue(user=user, name="default")


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    require_researcher(user)
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def api_token_revoke(*, token: ApiToken, user: User) -> None:
    if token.user_id != user.pk and not user.is_moderator:
        raise ValidationError(_("You can only revoke your own tokens."))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
