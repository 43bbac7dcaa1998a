from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from synthesis.services.permissions import is_synthesis_staff


def require_staff(request) -> None:
    if not is_synthesis_staff(request.user):
        raise PermissionDenied(_("These pages are for moderators and reviewers."))


def require_moderator(request) -> None:
    if not request.user.is_moderator:
        raise PermissionDenied(_("This needs the moderator role."))
