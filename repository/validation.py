"""A service's ValidationError read the same way by pages, the API, commands and batch jobs:
its messages per field, or as "field: message" lines. (Forms take theirs through
repository.views.common.apply_errors.)"""

from django.core.exceptions import ValidationError


def messages_by_field(exc: ValidationError, *, general: str = "detail") -> dict[str, list[str]]:
    """{field: [messages]}; an error that names no field lists its messages under `general`."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {general: list(exc.messages)}


def message_lines(exc: ValidationError) -> list[str]:
    """One line per message: "field: message", or the bare message when it names no field."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [f"{name}: {m}" for name, messages in exc.message_dict.items() for m in messages]
