from django.conf import settings
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission


class CatalogueReadable(BasePermission):
    """Anonymous clients may read the open catalogue unless PIXGEN_API_ANONYMOUS is "none"."""

    message = gettext_lazy(
        "Sign in or send an API token: anonymous access is turned off on this server."
    )

    def has_permission(self, request, view):
        return request.user.is_authenticated or settings.PIXGEN_API_ANONYMOUS == "read"
