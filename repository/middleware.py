"""Request checks that apply to every URL, before any view or database sees the request."""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


def reject_nul_bytes(get_response):
    """A NUL byte in the path or the query string is refused with a 400: no URL or filter of
    PixGen contains one, and PostgreSQL cannot store or compare text that does."""

    def middleware(request):
        query = request.GET
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            raise BadRequest(_("NUL characters are not allowed in a URL or its query string."))
        return get_response(request)

    return middleware
