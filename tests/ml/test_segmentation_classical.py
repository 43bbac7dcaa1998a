import numpy as np
import pytest
from PIL import Image, ImageDraw

from synthesis.ml.metrics import dice
from synthesis.ml.segmentation_classical import field_of_view_mask, segment_lesion

# Measured on the 35 demo images: mean Dice 0.82, median 0.86 (bench/segmentation_dice.py
# reports 0.84 over the 404 images of ../shared/data).
MIN_MEAN_DICE = 0.78
MIN_MEDIAN_DICE = 0.82
SKIN = (222, 170, 160)


def _skin_with_disc(size=(240, 180), radius=40, vignette=False, seed=0):
    """A textured skin-coloured image with a brown disc in the middle, and its true mask."""
    w, h = size
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, SKIN)
    draw = ImageDraw.Draw(img)
    box = (w // 2 - radius, h // 2 - radius, w // 2 + radius, h // 2 + radius)
    draw.ellipse(box, fill=(120, 70, 50))
    rgb = np.asarray(img).astype(np.int16) + rng.integers(-6, 7, (h, w, 3))
    if vignette:  # the dark corners a round dermoscope lens leaves
        yy, xx = np.mgrid[:h, :w]
        rgb[np.hypot(yy - h / 2, xx - w / 2) > 0.55 * w] = 12
    canvas = Image.new("L", size, 0)
    ImageDraw.Draw(canvas).ellipse(box, fill=255)
    truth = np.asarray(canvas) > 0
    return np.clip(rgb, 0, 255).astype(np.uint8), truth


def test_mean_dice_over_the_demo_set_reaches_the_measured_level(demo_set):
    scores = np.array([dice(segment_lesion(rgb), mask) for _, rgb, mask in demo_set])
    assert scores.mean() >= MIN_MEAN_DICE
    assert np.median(scores) >= MIN_MEDIAN_DICE


def test_mask_is_boolean_and_the_size_of_the_image(full_res_pair, small_pair):
    for rgb, _ in (full_res_pair, small_pair):
        mask = segment_lesion(rgb)
        assert mask.dtype == bool and mask.shape == rgb.shape[:2]
        assert 0 < mask.mean() < 0.9


def test_a_dark_disc_on_skin_is_found_and_the_vignette_is_not():
    rgb, truth = _skin_with_disc(vignette=True)
    mask = segment_lesion(rgb)
    assert dice(mask, truth) > 0.9
    corners = np.zeros_like(truth)
    corners[:10, :10] = corners[-10:, -10:] = True
    assert not (mask & corners).any()


def test_field_of_view_excludes_the_dark_lens_corners():
    rgb, truth = _skin_with_disc(vignette=True)
    fov = field_of_view_mask(rgb)
    assert not fov[:5, :5].any() and not fov[-5:, -5:].any()
    assert fov[truth].all()  # the lesion itself is well inside the view


def test_hairs_drawn_over_a_lesion_barely_change_the_mask(full_res_pair):
    rgb, truth = full_res_pair
    hairy = Image.fromarray(np.array(rgb))
    draw = ImageDraw.Draw(hairy)
    rng = np.random.default_rng(1)
    for _ in range(25):
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, 600, 4) * [1, 0.75, 1, 0.75])
        draw.line((x0, y0, x1, y1), fill=(35, 25, 20), width=3)
    clean, with_hair = (
        dice(segment_lesion(rgb), truth),
        dice(segment_lesion(np.asarray(hairy)), truth),
    )
    assert with_hair > clean - 0.05


@pytest.mark.parametrize("colour", [(0, 0, 0), (128, 128, 128), (230, 180, 170), (255, 255, 255)])
@pytest.mark.parametrize("size", [(16, 16), (150, 200), (450, 600)])
def test_a_uniform_image_gives_an_empty_mask(colour, size):
    rgb = np.empty((*size, 3), np.uint8)
    rgb[:] = colour
    mask = segment_lesion(rgb)
    assert mask.shape == size and not mask.any()


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (7, 5), (16, 16), (16, 40), (33, 17), (300, 16)])
def test_tiny_and_odd_sized_images_never_crash(shape):
    rng = np.random.default_rng(sum(shape))
    for rgb in (rng.integers(0, 256, (*shape, 3), dtype=np.uint8), _gradient(shape)):
        mask = segment_lesion(rgb)
        assert mask.shape == shape and mask.dtype == bool


def _gradient(shape):
    ramp = np.linspace(40, 220, shape[0] * shape[1]).reshape(shape)
    return np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8)


def test_a_16px_thumbnail_of_a_lesion_still_finds_it():
    rgb, truth = _skin_with_disc(size=(16, 16), radius=4)
    assert dice(segment_lesion(rgb), truth) > 0.6


@pytest.mark.parametrize("bad", [np.zeros((10, 10)), np.zeros((10, 10, 4)), np.zeros((0, 5, 3))])
def test_non_rgb_input_is_rejected(bad):
    with pytest.raises(ValueError, match="HxWx3"):
        segment_lesion(bad)
