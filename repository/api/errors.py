"""Service errors become 4xx JSON with a message, never a 500."""

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from repository.validation import messages_by_field
from repository.views.errors import bad_request_message


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(messages_by_field(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, SuspiciousOperation | BadRequest | MultiPartParserError):
        # Too many fields or files, an oversized body, an unreadable multipart upload.
        exc = exceptions.ParseError(bad_request_message(exc))
    return drf_exception_handler(exc, context)
