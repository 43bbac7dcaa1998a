import numpy as np
import pytest

from synthesis.ml.metrics import dice, jaccard, lesion_skin_contrast, ssim_luminance
from synthesis.ml.segmentation_classical import segment_lesion


def _rect(shape, top, left, bottom, right):
    mask = np.zeros(shape, bool)
    mask[top:bottom, left:right] = True
    return mask


def test_dice_and_jaccard_of_overlapping_rectangles_match_hand_counts():
    a = _rect((10, 10), 0, 0, 4, 5)  # 20 px
    b = _rect((10, 10), 2, 0, 6, 5)  # 20 px, 10 shared
    assert dice(a, b) == pytest.approx(2 * 10 / 40)
    assert jaccard(a, b) == pytest.approx(10 / 30)


def test_identical_disjoint_and_empty_masks():
    a = _rect((8, 8), 1, 1, 4, 4)
    empty = np.zeros((8, 8), bool)
    assert dice(a, a) == jaccard(a, a) == 1.0
    assert dice(a, ~a) == jaccard(a, ~a) == 0.0
    assert dice(empty, empty) == jaccard(empty, empty) == 1.0
    assert dice(a, empty) == jaccard(a, empty) == 0.0


def test_dice_and_jaccard_agree_on_real_segmentations(demo_set):
    for _, rgb, mask in demo_set[::5]:
        pred = segment_lesion(rgb)
        d, j = dice(pred, mask), jaccard(pred, mask)
        assert 0.0 < j <= d < 1.0
        assert d == pytest.approx(2 * j / (1 + j))


def test_masks_of_different_shapes_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        dice(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="shape"):
        jaccard(np.zeros((4, 4), bool), np.zeros((5, 4), bool))


def test_a_dark_lesion_has_positive_contrast_that_fades_as_it_is_lightened(full_res_pair):
    rgb, mask = full_res_pair
    before = lesion_skin_contrast(rgb, mask)
    assert before > 10  # a clearly visible naevus: well over 10 L* units darker than skin
    faded = rgb.copy()
    skin_colour = np.median(rgb[~mask], axis=0)
    faded[mask] = (0.5 * rgb[mask] + 0.5 * skin_colour).astype(np.uint8)
    after = lesion_skin_contrast(faded, mask)
    assert 0 < after < 0.7 * before


def test_contrast_is_zero_when_the_lesion_looks_like_the_skin():
    rgb = np.full((120, 160, 3), (220, 170, 160), np.uint8)
    assert lesion_skin_contrast(rgb, _rect((120, 160), 40, 60, 80, 100)) == pytest.approx(0.0)


def test_contrast_rejects_an_empty_or_mismatched_mask(full_res_pair):
    rgb, mask = full_res_pair
    with pytest.raises(ValueError, match="empty"):
        lesion_skin_contrast(rgb, np.zeros_like(mask))
    with pytest.raises(ValueError, match="shape"):
        lesion_skin_contrast(rgb, mask[:100])


def test_ssim_is_one_for_identical_images_and_symmetric(full_res_pair, small_pair):
    rgb, _ = full_res_pair
    assert ssim_luminance(rgb, rgb) == pytest.approx(1.0)
    small, _ = small_pair
    noisy = np.clip(small + np.random.default_rng(0).normal(0, 12, small.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    assert ssim_luminance(small, noisy) == pytest.approx(ssim_luminance(noisy, small))


def test_ssim_keeps_structure_under_a_tone_shift_but_not_under_noise_or_shuffling(small_pair):
    rgb, _ = small_pair
    rng = np.random.default_rng(0)
    darker = (rgb * 0.85).astype(np.uint8)  # same structure, lower luminance
    noisy = np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8)
    shuffled = rng.permutation(rgb.reshape(-1, 3)).reshape(rgb.shape)
    kept, noise, scrambled = (ssim_luminance(rgb, x) for x in (darker, noisy, shuffled))
    assert kept > 0.9
    assert scrambled < 0.2
    assert scrambled < noise < kept


def test_ssim_rejects_images_of_different_shapes(full_res_pair, small_pair):
    with pytest.raises(ValueError, match="shape"):
        ssim_luminance(full_res_pair[0], small_pair[0])
