"""A user's language and colour theme, saved on their profile."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository.models import User
from repository.models.user import Theme

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def preference_check(*, language: str | None = None, theme: str | None = None) -> None:
    """Refuse a language or theme the site does not offer."""
    if language is not None and language not in LANGUAGE_CODES:
        raise ValidationError(
            _("Unknown language %(value)s: choose one of %(choices)s.")
            % {"value": language, "choices": ", ".join(LANGUAGE_CODES)},
            code="language",
        )
    if theme is not None and theme not in Theme.values:
        raise ValidationError(
            _("Unknown theme %(value)s: choose one of %(choices)s.")
            % {"value": theme, "choices": ", ".join(Theme.values)},
            code="theme",
        )


def user_preferences_set(
    *, user: User, language: str | None = None, theme: str | None = None
) -> User:
    """Save the given preferences (None leaves one unchanged) on the user's profile."""
    preference_check(language=language, theme=theme)
    fields = []
    if language is not None:
        user.language = language
        fields.append("language")
    if theme is not None:
        user.theme = theme
        fields.append("theme")
    if fields:
        user.save(update_fields=fields)
    return user
