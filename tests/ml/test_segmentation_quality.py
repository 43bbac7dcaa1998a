"""Post-processing and the quality check of automatic masks, on the demo set's expert masks."""

import numpy as np
import pytest

from synthesis.ml.segmentation_quality import (
    EMPTY,
    FILLS_FRAME,
    PASSED,
    TOUCHES_BORDER,
    keep_central_component,
    postprocess,
    quality_check,
)


def test_every_expert_mask_of_the_demo_set_passes_the_check(demo_set):
    assert [quality_check(mask) for _, _, mask in demo_set] == [PASSED] * len(demo_set)


def test_postprocessing_drops_an_off_centre_blob_and_fills_holes(full_res_pair):
    _, truth = full_res_pair
    noisy = truth.copy()
    noisy[:40, :40] = True  # a dark corner the segmenter mistook for lesion
    ys, xs = np.nonzero(truth)
    cy, cx = int(ys.mean()), int(xs.mean())
    noisy[cy - 5 : cy + 5, cx - 5 : cx + 5] = False  # a hole in the lesion
    cleaned = postprocess(noisy)
    assert not cleaned[:40, :40].any()
    assert cleaned[cy - 5 : cy + 5, cx - 5 : cx + 5].all()
    assert (cleaned == truth).mean() > 0.999


def test_a_large_central_lesion_beats_a_larger_component_in_the_corner():
    mask = np.zeros((100, 100), dtype=bool)
    mask[:40, :40] = True  # 1600 px, a corner shadow
    mask[40:60, 55:75] = True  # 400 px near the centre
    kept = keep_central_component(mask)
    assert kept[50, 65] and not kept[10, 10]


def test_an_empty_or_speck_mask_fails_as_empty(full_res_pair):
    _, truth = full_res_pair
    assert quality_check(np.zeros_like(truth)) == EMPTY
    speck = np.zeros_like(truth)
    speck[200:205, 300:305] = True
    assert quality_check(speck) == EMPTY


def test_a_mask_covering_the_frame_fails(full_res_pair):
    _, truth = full_res_pair
    assert quality_check(np.ones_like(truth)) == FILLS_FRAME


def test_a_ring_along_the_border_fails_as_touching_the_border(full_res_pair):
    _, truth = full_res_pair
    vignette = np.ones_like(truth)
    vignette[30:-30, 30:-30] = False  # the dark lens vignette taken for lesion
    assert quality_check(vignette) == TOUCHES_BORDER


def test_a_mask_that_is_not_two_dimensional_is_an_error():
    with pytest.raises(ValueError, match="HxW"):
        quality_check(np.zeros((4, 4, 3), dtype=bool))
