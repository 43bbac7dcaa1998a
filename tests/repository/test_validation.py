"""A service's ValidationError reads the same on a page, in the API, in a command and in a
batch report."""

from django.core.exceptions import ValidationError

from repository.validation import message_lines, messages_by_field


def test_an_error_naming_fields_reads_per_field():
    exc = ValidationError({"fitzpatrick": ["Unknown type 9.", "Give 1-6."], "licence": ["No."]})
    assert messages_by_field(exc) == {
        "fitzpatrick": ["Unknown type 9.", "Give 1-6."],
        "licence": ["No."],
    }
    assert message_lines(exc) == [
        "fitzpatrick: Unknown type 9.",
        "fitzpatrick: Give 1-6.",
        "licence: No.",
    ]


def test_an_error_naming_no_field_goes_under_the_general_key_or_alone():
    messages = ["The archive is too large.", "Narrow the filters."]
    exc = ValidationError(messages)
    assert messages_by_field(exc) == {"detail": messages}
    assert messages_by_field(exc, general="") == {"": messages}
    assert message_lines(exc) == messages
