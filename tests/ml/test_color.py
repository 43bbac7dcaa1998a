"""sRGB conversions: the uint8 lookup gives exactly what the formula gives."""

import numpy as np
from PIL import Image

from synthesis.ml import color
from tests.ml.tone_fixtures import DEMO


def test_uint8_lookup_matches_the_formula_for_every_value_and_a_real_image():
    every = np.arange(256, dtype=np.uint8)
    assert np.array_equal(color.srgb_to_linear(every), color._srgb_to_linear(every))
    rgb = np.asarray(Image.open(DEMO / "images" / "ISIC_0024306.jpg").convert("RGB"))
    linear = color.srgb_to_linear(rgb)
    assert linear.dtype == np.float32 and linear.shape == rgb.shape
    assert np.array_equal(linear, color._srgb_to_linear(rgb))
    # Float input still goes through the formula (0.5 is not one of the 256 uint8 levels).
    half = color.srgb_to_linear(np.array([0.5], dtype=np.float32))
    assert np.isclose(half[0], 0.21404, atol=1e-5)
