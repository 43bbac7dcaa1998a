import json
import math

import numpy as np
import pytest

from synthesis.ml.color import lab_to_srgb, srgb_to_lab, to_uint8
from synthesis.ml.skin_tone import (
    FITZPATRICK_ITA_BANDS,
    ITA_CATEGORIES,
    fitzpatrick_band_centre,
    ita_category,
    ita_from_lab,
    ita_to_fitzpatrick,
    measure_tone,
)


def _lab_patch(l_star, a_star, b_star, size=(120, 160)):
    """A uniform sRGB patch of the given colour, and the Lab it really has after rounding."""
    rgb = to_uint8(lab_to_srgb(np.array([[[l_star, a_star, b_star]]], np.float32)))
    patch = np.broadcast_to(rgb, (*size, 3)).copy()
    return patch, srgb_to_lab(rgb)[0, 0]


def _no_lesion(rgb):
    return np.zeros(rgb.shape[:2], bool)


def test_ita_from_lab_is_the_arctangent_formula():
    assert ita_from_lab(60.0, 10.0) == pytest.approx(45.0)
    assert ita_from_lab(50.0, 12.0) == pytest.approx(0.0)
    assert ita_from_lab(30.0, 20.0) == pytest.approx(math.degrees(math.atan(-1.0)))
    # No yellowness at all: the angle's limit, never outside -90..90.
    assert ita_from_lab(70.0, 0.0) == pytest.approx(90.0)
    assert ita_from_lab(30.0, -5.0) == pytest.approx(-90.0)


@pytest.mark.parametrize(
    "lab", [(75, 8, 12), (65, 12, 18), (55, 14, 20), (45, 12, 22), (35, 10, 18), (25, 8, 14)]
)
def test_measured_ita_of_a_synthetic_skin_patch_matches_the_formula(lab):
    patch, true_lab = _lab_patch(*lab)
    tone = measure_tone(patch, lesion_mask=_no_lesion(patch))
    expected = math.degrees(math.atan((true_lab[0] - 50) / true_lab[2]))
    assert tone.ita_deg == pytest.approx(expected, abs=0.05)
    assert tone.l_star == pytest.approx(true_lab[0], abs=0.05)
    assert tone.b_star == pytest.approx(true_lab[2], abs=0.05)
    assert tone.skin_pixels > 0.9 * patch.shape[0] * patch.shape[1]


@pytest.mark.parametrize(
    "ita, category, fitzpatrick",
    [
        (90.0, "very light", 1),
        (55.01, "very light", 1),
        (55.0, "light", 2),
        (41.01, "light", 2),
        (41.0, "intermediate", 3),
        (28.01, "intermediate", 3),
        (28.0, "tan", 4),
        (10.01, "tan", 4),
        (10.0, "brown", 5),
        (-29.99, "brown", 5),
        (-30.0, "dark", 6),
        (-90.0, "dark", 6),
    ],
)
def test_category_and_fitzpatrick_type_at_the_band_edges(ita, category, fitzpatrick):
    assert ita_category(ita) == category
    assert ita_to_fitzpatrick(ita) == fitzpatrick


def test_fitzpatrick_bands_tile_the_ita_range_and_their_centres_fall_inside():
    assert list(ITA_CATEGORIES) == ["very light", "light", "intermediate", "tan", "brown", "dark"]
    bands = [FITZPATRICK_ITA_BANDS[t] for t in range(1, 7)]
    assert bands[0][1] == 90.0 and bands[-1][0] == -90.0
    for (lo, _), (_, next_hi) in zip(bands, bands[1:], strict=False):
        assert lo == next_hi  # no gap and no overlap between neighbours
    for t, (lo, hi) in FITZPATRICK_ITA_BANDS.items():
        centre = fitzpatrick_band_centre(t)
        assert lo < centre < hi and ita_to_fitzpatrick(centre) == t


def test_demo_images_measure_as_light_skin(demo_set):
    # HAM10000 holds almost only light skin; that is the gap PixGen exists to fill.
    types = [measure_tone(rgb, mask).estimated_fitzpatrick for _, rgb, mask in demo_set]
    assert all(1 <= t <= 3 for t in types)


def test_a_darkened_copy_measures_a_lower_ita_and_a_darker_type(full_res_pair):
    rgb, mask = full_res_pair
    original = measure_tone(rgb, mask)
    darker = measure_tone((rgb * 0.6).astype(np.uint8), mask)
    assert 1 <= original.estimated_fitzpatrick <= 3
    assert darker.ita_deg < original.ita_deg - 30
    assert darker.estimated_fitzpatrick > original.estimated_fitzpatrick


def test_without_a_mask_the_lesion_is_segmented_and_the_reading_agrees(demo_set):
    # Measured: median gap 0.04 degrees, same type on all 35; ISIC_0024973 differs by 17
    # degrees because its expert mask leaves a pigmented patch outside the lesion.
    own, given = zip(
        *((measure_tone(rgb), measure_tone(rgb, mask)) for _, rgb, mask in demo_set), strict=True
    )
    gaps = [abs(a.ita_deg - b.ita_deg) for a, b in zip(own, given, strict=True)]
    assert np.median(gaps) < 1.0
    disagree = sum(
        a.estimated_fitzpatrick != b.estimated_fitzpatrick for a, b in zip(own, given, strict=True)
    )
    assert disagree <= 2


def test_a_lesion_covering_most_of_the_frame_is_left_out_of_the_reading():
    skin, skin_lab = _lab_patch(70, 10, 14, size=(150, 200))
    lesion_colour, lesion_lab = _lab_patch(45, 15, 25, size=(1, 1))
    rgb = skin.copy()
    mask = np.zeros(rgb.shape[:2], bool)
    mask[15:135, 20:180] = True  # 64% of the image: the lesion dominates any plain median
    rgb[mask] = lesion_colour[0, 0]
    tone = measure_tone(rgb, mask)
    assert tone.ita_deg == pytest.approx(float(ita_from_lab(skin_lab[0], skin_lab[2])), abs=0.05)
    assert tone.skin_pixels < (~mask).sum()  # the ring around the lesion is left out too
    lesion_ita = float(ita_from_lab(lesion_lab[0], lesion_lab[2]))
    assert ita_to_fitzpatrick(tone.ita_deg) < ita_to_fitzpatrick(lesion_ita)


@pytest.mark.parametrize("lab", [(70, 10, 14), (32, 9, 16)])
def test_hair_glare_and_vignette_are_left_out_on_light_and_dark_skin(lab):
    patch, true_lab = _lab_patch(*lab, size=(225, 300))
    expected = math.degrees(math.atan((true_lab[0] - 50) / true_lab[2]))
    noisy = patch.copy()
    yy, xx = np.mgrid[:225, :300]
    noisy[np.hypot(yy - 112, xx - 150) > 170] = 5  # lens vignette
    noisy[40:200:16, 20:280] = (20, 14, 12)  # hairs, 1 px wide
    noisy[100:106, 100:160] = 255  # specular glare
    clean = (noisy == patch).all(axis=2).sum()
    tone = measure_tone(noisy, lesion_mask=_no_lesion(noisy))
    assert tone.ita_deg == pytest.approx(expected, abs=0.05)
    # Dark skin is not mistaken for hair: nearly all of the clean skin is kept, nothing else
    # (the count is scaled from a sample, hence the 1% slack).
    assert 0.9 * clean <= tone.skin_pixels <= 1.01 * clean


def test_a_mask_of_another_size_is_rejected_naming_both_sizes(full_res_pair, small_pair):
    rgb, _ = full_res_pair
    _, small_mask = small_pair
    with pytest.raises(ValueError, match="200x150.*600x450"):
        measure_tone(rgb, small_mask)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((10, 10), np.uint8), "HxWx3"),
        (np.zeros((10, 10, 4), np.uint8), "HxWx3"),
        (np.zeros((10, 10, 3), np.int64), "dtype"),
        ([[[0, 0, 0]]], "HxWx3"),
    ],
)
def test_a_bad_image_is_rejected(bad, message):
    with pytest.raises(ValueError, match=message):
        measure_tone(bad)


def test_too_little_skin_is_rejected_with_a_reason(full_res_pair):
    rgb, _ = full_res_pair
    with pytest.raises(ValueError, match="too little healthy skin"):
        measure_tone(rgb, np.ones(rgb.shape[:2], bool))


def test_a_measurement_serialises_to_rounded_json(full_res_pair):
    rgb, mask = full_res_pair
    record = json.loads(json.dumps(measure_tone(rgb, mask).as_dict()))
    assert set(record) == {
        "ita_deg", "l_star", "b_star", "estimated_fitzpatrick", "ita_category", "skin_pixels"
    }  # fmt: skip
    assert record["ita_deg"] == round(record["ita_deg"], 2)
    assert (
        isinstance(record["estimated_fitzpatrick"], int)
        and 1 <= record["estimated_fitzpatrick"] <= 6
    )
    assert record["ita_category"] in ITA_CATEGORIES
