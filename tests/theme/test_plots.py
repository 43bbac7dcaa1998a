"""Server-drawn plots come in the page's light or dark look; images are never recoloured."""

import io

import numpy as np
import pytest
from django.template import Context, Template
from django.utils import translation
from PIL import Image

from synthesis.ml.audit.plots import confusion_matrix_png, reliability_png
from synthesis.ml.dcgan.plots import plot_losses
from synthesis.ml.plot_theme import THEMES

HISTORY = [{"step": s, "loss_d": 1.0 / s, "loss_g": 0.5 + 0.01 * s} for s in range(1, 30)]
BINS = [{"mean_probability": p, "observed": p * 0.9, "n": 10} for p in (0.1, 0.4, 0.8)]


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _hex(h: str) -> np.ndarray:
    return np.array([int(h[i : i + 2], 16) for i in (1, 3, 5)])


def _draw(kind: str, theme: str) -> bytes:
    if kind == "losses":
        return plot_losses(HISTORY, theme=theme)
    if kind == "reliability":
        return reliability_png(BINS, theme=theme)
    return confusion_matrix_png([[5, 1], [2, 7]], ["mel", "nv"], title="overall", theme=theme)


@pytest.mark.parametrize("kind", ["losses", "reliability", "confusion"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_plot_background_and_text_follow_the_theme(kind, theme):
    rgb = _rgb(_draw(kind, theme))
    assert (rgb[0, 0] == _hex(THEMES[theme]["face"])).all()  # the corner is the page's surface
    ink = _hex(THEMES[theme]["ink"])
    # Some pixels are (nearly) the theme's text colour: labels are readable on that background.
    assert (np.abs(rgb - ink).sum(axis=2) < 60).sum() > 50


def test_confusion_cells_keep_one_colour_scale_in_both_themes():
    light, dark = _rgb(_draw("confusion", "light")), _rgb(_draw("confusion", "dark"))
    assert light.shape == dark.shape
    h, w, _ = light.shape
    # The middle of the matrix (cells, not margins) has the same colours: a share means one colour.
    centre = (slice(h // 3, 2 * h // 3), slice(w // 3, 2 * w // 3))
    assert np.abs(light[centre] - dark[centre]).mean() < 20


@pytest.mark.parametrize(
    ("theme", "expected"),
    [
        ("light", '<img class="plot" src="/p.png?lang=en" alt="Loss">'),
        ("dark", '<img class="plot" src="/p.png?theme=dark&amp;lang=en" alt="Loss">'),
        (
            "system",
            '<picture><source media="(prefers-color-scheme: dark)" '
            'srcset="/p.png?theme=dark&amp;lang=en">'
            '<img class="plot" src="/p.png?lang=en" alt="Loss"></picture>',
        ),
    ],
)
def test_themed_plot_tag_serves_the_version_of_the_theme(theme, expected):
    with translation.override("en"):
        html = Template('{% load theme %}{% themed_plot "/p.png" "Loss" %}').render(
            Context({"theme": theme})
        )
    assert html == expected


def test_themed_plot_tag_puts_the_page_language_in_the_address():
    with translation.override("ja"):
        html = Template('{% load theme %}{% themed_plot "/p.png?step=3" "Loss" %}').render(
            Context({"theme": "light"})
        )
    assert 'src="/p.png?step=3&amp;lang=ja"' in html
