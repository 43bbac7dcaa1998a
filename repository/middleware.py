"""Request checks that apply to every URL, before any view or database sees the request."""

import sys

from django.core.exceptions import BadRequest
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
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


class RetryReadAfterLostConnection:
    """A GET or HEAD that failed because the database connection was lost (a restarted or
    terminated backend) is run once more on a fresh connection instead of answering 500.
    Reads are idempotent; writes are never repeated."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 500
            and request.method in ("GET", "HEAD")
            and getattr(request, "_pixgen_lost_connection", False)
        ):
            request._pixgen_lost_connection = False
            for conn in connections.all(initialized_only=True):
                if conn.connection is not None and not conn.is_usable():
                    conn.close()
            response = self.get_response(request)
        return response


@receiver(got_request_exception)
def _note_lost_connection(sender, request=None, **kwargs):
    if request is not None and isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        request._pixgen_lost_connection = True
