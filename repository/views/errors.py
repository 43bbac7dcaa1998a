"""The site's own error pages, and JSON with a message under /api/: never a bare
"Bad Request (400)" page, and never a page that needs the database to say the server failed."""

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponseServerError, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def wants_json(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request_message(exception) -> str:
    """What the client sent wrong, in words (Django's own messages name its settings)."""
    if isinstance(exception, TooManyFilesSent):
        return _("Too many files in one request: the limit is %(n)s.") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exception, TooManyFieldsSent):
        return _("Too many fields in one request: the limit is %(n)s.") % {
            "n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exception, RequestDataTooBig):
        return _("The request is too large: fields other than files may total %(mb)s MB.") % {
            "mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        }
    if isinstance(exception, MultiPartParserError):
        return _(
            "The upload could not be read (a malformed multipart body, or a file name or "
            "header that is too long)."
        )
    if isinstance(exception, BadRequest) and str(exception):
        return str(exception)  # PixGen raises these with a message meant for the client
    return _("The request could not be understood.")


def _error(request, status: int, title: str, message: str):
    if wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), bad_request_message(exception))


def permission_denied(request, exception=None):
    message = str(exception) if exception is not None and str(exception) else ""
    return _error(request, 403, _("Not allowed"), message or _("You may not see or do this here."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Not found"), _("There is nothing at this address."))


def server_error(request):
    """Nothing here may touch the database or the session: either may be what failed."""
    message = _("Something went wrong on our side; it was logged. Please try again later.")
    if wants_json(request):
        return JsonResponse({"detail": message}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render({"message": message}))
