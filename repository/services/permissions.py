"""Role checks used by services; views rely on these, not on what templates show."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_authenticated(user) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Please sign in first."))


def require_verified_clinician(user) -> None:
    require_authenticated(user)
    if not user.is_verified_clinician:
        raise PermissionDenied(_("Only verified clinicians may contribute images."))


def require_moderator(user) -> None:
    require_authenticated(user)
    if not user.is_moderator:
        raise PermissionDenied(_("This needs the moderator role."))


def require_requester(user) -> None:
    require_authenticated(user)
    if not (user.is_verified_clinician or user.is_researcher or user.is_moderator):
        raise PermissionDenied(
            _(
                "Only verified clinicians, and researchers who accepted the data-use terms, "
                "may post requests."
            )
        )


def require_researcher(user) -> None:
    require_authenticated(user)
    if not user.is_researcher:
        raise PermissionDenied(_("Accept the data-use terms first to get an API token."))
