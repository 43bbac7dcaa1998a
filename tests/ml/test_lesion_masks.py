"""The modality-aware entry point: fallback order, needs-a-mask, clinical path, bad input."""

import numpy as np
import pytest

from synthesis.ml import lesion_masks
from synthesis.ml.lesion_masks import (
    CLINICAL,
    DERMOSCOPIC,
    Segmenter,
    chain_for,
    segment_checked,
)
from synthesis.ml.metrics import dice


def _frame_filler(rgb):
    return np.ones(rgb.shape[:2], dtype=bool)


def _broken(rgb):
    raise ValueError("weights do not load")


def test_a_mask_failing_the_check_falls_back_to_the_classical_segmenter(full_res_pair):
    rgb, truth = full_res_pair
    chain = [Segmenter("bad-model", _frame_filler), lesion_masks.classical_segmenter()]
    result = segment_checked(rgb, chain)
    assert result.segmenter == "classical" and result.fell_back
    assert result.attempts == (("bad-model", "fills_frame"), ("classical", "passed"))
    assert dice(result.mask, truth) > 0.8


def test_a_segmenter_that_raises_is_a_failed_attempt_not_a_crash(full_res_pair):
    rgb, _ = full_res_pair
    result = segment_checked(rgb, [Segmenter("m", _broken), lesion_masks.classical_segmenter()])
    assert result.attempts[0] == ("m", "error: weights do not load")
    assert result.segmenter == "classical"


def test_when_every_mask_fails_the_image_needs_a_mask(full_res_pair):
    rgb, _ = full_res_pair
    chain = [Segmenter("a", _frame_filler), Segmenter("b", lambda x: np.zeros(x.shape[:2], bool))]
    result = segment_checked(rgb, chain)
    assert result.needs_mask and result.mask is None and result.check == "needs_mask"
    assert result.as_dict()["attempts"] == [
        {"segmenter": "a", "outcome": "fills_frame"},
        {"segmenter": "b", "outcome": "empty"},
    ]


def test_clinical_photographs_never_get_the_dermoscopy_segmenters():
    names = [s.name for s in chain_for(CLINICAL, Segmenter("model", _frame_filler))]
    assert names == ["classical-clinical"]
    assert [s.name for s in chain_for(DERMOSCOPIC, Segmenter("model", _frame_filler))] == [
        "model",
        "classical",
    ]


def test_the_clinical_path_still_finds_a_clear_lesion_without_the_priors(full_res_pair):
    rgb, truth = full_res_pair
    result = lesion_masks.segment_for_modality(rgb, CLINICAL)
    assert result.segmenter == "classical-clinical" and dice(result.mask, truth) > 0.6


def test_an_unknown_modality_and_a_tiny_image_are_clear_errors(full_res_pair):
    rgb, _ = full_res_pair
    with pytest.raises(ValueError, match="unknown modality"):
        chain_for("x-ray")
    with pytest.raises(ValueError, match="too small to segment"):
        segment_checked(np.ascontiguousarray(rgb[:20, :20]), chain_for(CLINICAL))
