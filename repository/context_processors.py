"""What every page needs to draw the language and theme switchers."""

from django.conf import settings
from django.utils.translation import get_language_info

from repository.models.user import Theme

THEME_COOKIE_NAME = "pixgen_theme"


def current_theme(request) -> str:
    """The signed-in user's saved theme, else the visitor's cookie, else the system's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.theme:
        return user.theme
    theme = request.COOKIES.get(THEME_COOKIE_NAME, "")
    return theme if theme in Theme.values else Theme.SYSTEM


def preferences(request) -> dict:
    return {
        "theme": current_theme(request),
        "theme_choices": Theme.choices,
        # Each language by its own name, so a reader finds theirs whatever the page's language.
        "language_choices": [
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ],
    }
