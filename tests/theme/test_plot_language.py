"""Server-drawn plots read in the page's language: axis labels, titles and legends are
translated, Japanese is drawn with a Japanese font (no empty boxes), and a machine without
one draws English labels instead."""

import io
import warnings

import numpy as np
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from synthesis.ml import plot_theme
from synthesis.ml.audit.plots import reliability_png
from synthesis.ml.dcgan.plots import plot_losses
from synthesis.models import GanModel

HISTORY = [{"step": s, "loss_d": 1.0 / s, "loss_g": 0.5 + 0.01 * s} for s in range(1, 30)]
BINS = [{"mean_probability": p, "observed": p * 0.9, "n": 10} for p in (0.1, 0.4, 0.8)]


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _draw(language: str) -> bytes:
    with translation.override(language):
        return reliability_png(BINS, title=gettext("reliability (overall)"), gettext=gettext)


def test_the_machine_has_a_japanese_font_for_plots():
    # `make test` installs fonts-ipafont-gothic (make cjk-font); it is found without a download.
    assert plot_theme.cjk_font() is not None


@pytest.mark.parametrize("language", ["ja", "id"])
def test_labels_are_drawn_in_the_language_with_every_glyph(language):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drawn = _draw(language)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    english = _draw("en")
    assert drawn != english  # the labels changed, not only the file's metadata
    a, b = _pixels(drawn), _pixels(english)
    assert a.shape != b.shape or np.abs(a.astype(int) - b.astype(int)).sum() > 0


def test_the_catalogue_translates_the_plot_labels():
    with translation.override("ja"):
        assert gettext("observed frequency") != "observed frequency"
    with translation.override("id"):
        assert gettext("predicted probability") != "predicted probability"


def test_without_a_japanese_font_the_labels_fall_back_to_english(monkeypatch):
    monkeypatch.setattr(plot_theme, "cjk_font", lambda: None)
    assert plot_theme.plot_language("ja") == "en"
    assert plot_theme.plot_language("id") == "id"  # Latin script: DejaVu Sans draws it


@pytest.mark.django_db
def test_the_loss_plot_follows_lang_and_says_its_language(client, moderator):
    model = GanModel.objects.create(version="gan-lang", image_size=64, history=HISTORY)
    client.force_login(moderator)
    url = reverse("synthesis-gan-image", args=[model.version, "losses"])
    ja = client.get(url, {"lang": "ja"})
    en = client.get(url, {"lang": "en"})
    assert ja.status_code == en.status_code == 200
    assert ja["Content-Language"] == "ja" and en["Content-Language"] == "en"
    assert ja.content != en.content
    # Without ?lang= the request's language decides, and caches are told so.
    guessed = client.get(url, headers={"accept-language": "id"})
    assert guessed["Content-Language"] == "id" and "Cookie" in guessed["Vary"]
    with translation.override("id"):
        title = gettext("%(version)s training losses") % {"version": model.version}
        expected = plot_losses(HISTORY, title=title, gettext=gettext)
    assert guessed.content == expected


def test_an_unknown_lang_is_the_request_language_not_an_error(client, moderator, db):
    model = GanModel.objects.create(version="gan-lang2", image_size=64, history=HISTORY)
    client.force_login(moderator)
    url = reverse("synthesis-gan-image", args=[model.version, "losses"])
    response = client.get(url, {"lang": "xx'"})
    assert response.status_code == 200 and response["Content-Language"] == "en"
