"""Who may run synthesis: moderators and reviewers (dermatologist SMEs)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from repository.services.permissions import require_authenticated, require_moderator


def is_synthesis_staff(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_moderator or user.is_reviewer))


def require_synthesis_staff(user) -> None:
    require_authenticated(user)
    if not is_synthesis_staff(user):
        raise PermissionDenied(_("Synthesis is for moderators and reviewers."))


__all__ = ["is_synthesis_staff", "require_moderator", "require_synthesis_staff"]
