"""Server-drawn plots in the reader's language: `?lang=` (the pages add it, so a cached figure
never answers in another language), else the request's language; Japanese falls back to English
labels on a machine without a Japanese font (synthesis/ml/plot_theme.py)."""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from synthesis.ml.plot_theme import plot_language


def requested_language(request) -> str:
    asked = request.GET.get("lang")
    if asked in {code for code, _name in settings.LANGUAGES}:
        return asked
    return translation.get_language() or settings.LANGUAGE_CODE


@contextmanager
def plot_translation(request):
    """Draw inside the block: Django's gettext then gives the labels in the plot's language."""
    with translation.override(plot_language(requested_language(request))):
        yield translation.get_language()


def plot_headers(request, response, language: str):
    """Say the language; without `?lang=` the figure depends on the cookie and Accept-Language."""
    response["Content-Language"] = language
    if "lang" not in request.GET:
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
