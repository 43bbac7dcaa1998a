"""The language and theme switchers in every page's header."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_POST

from repository.context_processors import THEME_COOKIE_NAME
from repository.services.preferences import preference_check, user_preferences_set
from repository.views.common import is_local_url, local_next

COOKIE_AGE = 365 * 24 * 3600


def _next_url(request) -> str:
    referer = request.META.get("HTTP_REFERER") or ""
    return local_next(request, referer if is_local_url(request, referer) else "/")


@require_POST
def preferences_update(request):
    """Remember the choice in a cookie (everyone) and on the profile (signed-in users); the
    reader comes back to the same URL."""
    language = request.POST.get("language") or None
    theme = request.POST.get("theme") or None
    response = HttpResponseRedirect(_next_url(request))
    try:
        if request.user.is_authenticated:
            user_preferences_set(user=request.user, language=language, theme=theme)
        else:
            preference_check(language=language, theme=theme)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return response
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    if theme:
        response.set_cookie(THEME_COOKIE_NAME, theme, max_age=COOKIE_AGE, samesite="Lax")
    return response
