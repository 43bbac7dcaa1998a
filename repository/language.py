"""Which language a request is answered in.

Django's LocaleMiddleware has already chosen from the language cookie, else Accept-Language.
Here a signed-in user's saved language wins on pages, and the API follows Accept-Language only
(its machine-readable fields never change; only human-readable messages are translated).
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

API_PREFIX = "/api/"


def language_from_accept_header(header: str) -> str:
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class PreferredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        if request.path.startswith(API_PREFIX):
            language = language_from_accept_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        else:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.language:
                language = user.language
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
