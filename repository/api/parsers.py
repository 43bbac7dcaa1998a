"""Request body parsers of the API: DRF's, with every malformed body a 400 with a message."""

from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from repository.views.errors import bad_request_message


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser turns a ValueError into a 400 but lets a RecursionError through, which
    is what a body of a few thousand nested brackets raises: a 500 without this."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error: the document is nested too deeply.")) from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's, with Django's refusals (too many fields or files, a file name or part header
    too long) said in words rather than in the names of Django settings."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            cause = exc.__context__
            if isinstance(cause, MultiPartParserError):
                raise ParseError(bad_request_message(cause)) from None
            raise
