import json

import numpy as np
import pytest

from synthesis.ml import skin_optics as so
from synthesis.ml.segmentation_classical import field_of_view_mask
from synthesis.ml.skin_renders import add_melanin, apply_cast, clinical_composite, recolour_skin
from synthesis.ml.skin_tone import (
    FITZPATRICK_ITA_BANDS,
    ITA_CATEGORIES,
    METHOD_VERSION,
    ToneNotGradable,
    fitzpatrick_band_centre,
    ita_category,
    ita_from_lab,
    ita_to_fitzpatrick,
    measure_skin_tone,
    measure_tone,
    skin_mask,
)
from synthesis.ml.tone_scales import (
    MONK_ITA_BANDS,
    MONK_SWATCHES_HEX,
    MONK_SWATCHES_ITA,
    MONK_SWATCHES_LAB,
    monk_of_ita,
)
from tests.ml.tone_fixtures import demo_case

# Demo images whose lesion is small, so a crop of them is mostly skin (as a clinical close-up).
COMPOSITE_CASES = ("ISIC_0024329", "ISIC_0024360")


def skin_crop(image_id: str, melanin: float) -> tuple[np.ndarray, np.ndarray]:
    """Central crop of a demo image recoloured to model skin of a known melanin fraction."""
    rgb, mask = demo_case(image_id)
    healthy = ~mask & field_of_view_mask(rgb)
    window = (slice(60, 390), slice(80, 520))
    render = recolour_skin(rgb[window], healthy[window], melanin, model=so.TWO_LAYER)
    return render, healthy[window]


def truth_ita(melanin: float) -> float:
    return float(so.ita_of_lab(so.standard_colour(melanin, so.REFERENCE_BLOOD, so.TWO_LAYER)))


def test_ita_from_lab_is_the_arctangent_formula():
    assert ita_from_lab(60.0, 10.0) == pytest.approx(45.0)
    assert ita_from_lab(50.0, 12.0) == pytest.approx(0.0)
    assert ita_from_lab(70.0, 0.0) == pytest.approx(90.0)
    assert ita_from_lab(30.0, -5.0) == pytest.approx(-90.0)


@pytest.mark.parametrize(
    "ita, category, fitzpatrick",
    [
        (90.0, "very light", 1),
        (55.01, "very light", 1),
        (55.0, "light", 2),
        (41.0, "intermediate", 3),
        (28.0, "tan", 4),
        (10.0, "brown", 5),
        (-30.0, "dark", 6),
        (-90.0, "dark", 6),
    ],
)
def test_category_and_fitzpatrick_type_at_the_band_edges(ita, category, fitzpatrick):
    assert ita_category(ita) == category
    assert ita_to_fitzpatrick(ita) == fitzpatrick


def test_fitzpatrick_bands_tile_the_ita_range_and_their_centres_fall_inside():
    assert list(ITA_CATEGORIES) == ["very light", "light", "intermediate", "tan", "brown", "dark"]
    for t, (lo, hi) in FITZPATRICK_ITA_BANDS.items():
        assert lo < fitzpatrick_band_centre(t) < hi
    for bad in (0, 7, True):
        with pytest.raises(ValueError, match="1-6"):
            fitzpatrick_band_centre(bad)


def test_demo_dermoscopy_reads_as_light_skin(demo_set):
    # HAM10000 holds almost only light skin; the dermoscopic path must never call it V-VI.
    results = [measure_skin_tone(rgb, lesion_mask=mask) for _, rgb, mask in demo_set]
    assert all(r.gradable for r in results)
    assert all(r.fitzpatrick["group_probabilities"]["V-VI"] < 0.3 for r in results)
    assert sum(r.estimated_fitzpatrick <= 3 for r in results) >= 0.8 * len(results)


def test_monk_swatches_are_google_published_values_in_order_of_ita():
    # skintone.google: MST 1 #f6ede4 ... MST 10 #292420, light to dark.
    assert MONK_SWATCHES_HEX[0] == "#f6ede4" and MONK_SWATCHES_HEX[-1] == "#292420"
    assert len(MONK_SWATCHES_HEX) == 10
    assert np.all(np.diff(MONK_SWATCHES_ITA) < 0)
    assert MONK_SWATCHES_LAB[0][0] > 90 and MONK_SWATCHES_LAB[-1][0] < 20
    for k, (lo, hi) in MONK_ITA_BANDS.items():
        assert lo < MONK_SWATCHES_ITA[k - 1] <= hi
        assert monk_of_ita(float(MONK_SWATCHES_ITA[k - 1])) == k


def test_light_skin_reads_a_light_monk_tone_not_a_mid_brown_one(demo_set):
    # HAM10000 is light skin (standard ITA ~35-57 deg); nearest-swatch Delta E read it as MST
    # 6-7 because the swatches are far lighter than any photographed skin.
    for _, rgb, mask in demo_set:
        result = measure_skin_tone(rgb, lesion_mask=mask)
        assert result.monk["estimate"] <= 5
        assert sum(result.monk["probabilities"]) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("image_id", COMPOSITE_CASES)
def test_monk_follows_the_same_posterior_as_fitzpatrick(image_id):
    rgb, mask = demo_case(image_id)
    readings = [
        measure_skin_tone(add_melanin(rgb, extra, where=~mask), lesion_mask=mask)
        for extra in (0.0, 0.08, 0.2, 0.4)
    ]
    monks = [r.monk["estimate"] for r in readings]
    assert monks == sorted(monks) and monks[-1] >= monks[0] + 2
    assert readings[-1].monk["estimate"] >= 7  # type V-VI skin: MST 7 or darker
    for r in readings:
        assert abs(monk_of_ita(r.ita_deg) - r.monk["estimate"]) <= 1


@pytest.mark.parametrize("image_id", COMPOSITE_CASES)
def test_added_melanin_lowers_ita_and_raises_the_melanin_index_step_by_step(image_id):
    rgb, mask = demo_case(image_id)
    readings = [
        measure_skin_tone(add_melanin(rgb, extra, where=~mask), lesion_mask=mask)
        for extra in (0.0, 0.08, 0.2, 0.4)
    ]
    itas = [r.ita_deg for r in readings]
    indices = [r.melanin_index for r in readings]
    assert all(np.diff(itas) < -3) and all(np.diff(indices) > 3)
    assert readings[-1].fitzpatrick["group"] == "V-VI"


@pytest.mark.parametrize(
    "background", ["blue drape", "white paper", "grey clothing", "red clothing"]
)
@pytest.mark.parametrize("melanin", [0.013, 0.11, 0.3])
def test_clinical_skin_on_a_background_is_found_and_read_like_the_skin_alone(background, melanin):
    skin, _ = skin_crop(COMPOSITE_CASES[0], melanin)
    image, where = clinical_composite(skin, background, ruler=background == "white paper")
    result = measure_skin_tone(image, modality="clinical")
    assert result.gradable
    found = skin_mask(image, modality="clinical")
    assert (found & where).sum() >= 0.97 * found.sum()  # nothing of the background
    assert abs(result.ita_deg - truth_ita(melanin)) < 15


@pytest.mark.parametrize("background", ["beige wall", "khaki clothing"])
@pytest.mark.parametrize("melanin", [0.044, 0.11, 0.3, 0.43])
def test_skin_is_found_beside_a_skin_coloured_wall_or_cloth(background, melanin):
    # A beige wall and khaki cloth lie inside the skin locus (the colour of nearly bloodless
    # skin under a greenish light); where the frame also holds skin with a usual blood supply,
    # the skin is what is read, at every melanin level from type III to VI.
    skin, _ = skin_crop(COMPOSITE_CASES[0], melanin)
    for seed in range(3):
        image, where = clinical_composite(skin, background, seed=seed)
        found = skin_mask(image, modality="clinical")
        assert (found & where).sum() >= 0.97 * found.sum(), seed
        assert found.sum() >= 0.3 * where.sum(), seed
        result = measure_skin_tone(image, modality="clinical")
        assert abs(result.ita_deg - truth_ita(melanin)) < 15, seed


# Published sRGB (D65) values of the X-Rite ColorChecker Classic patches (BabelColor averages,
# from measured spectral reflectances): two skin patches and every chromatic non-skin patch.
COLORCHECKER_SKIN = {"dark skin": (115, 82, 68), "light skin": (194, 150, 130)}
COLORCHECKER_NOT_SKIN = {
    "blue sky": (98, 122, 157),
    "foliage": (87, 108, 67),
    "blue flower": (133, 128, 177),
    "bluish green": (103, 189, 170),
    "purplish blue": (80, 91, 166),
    "moderate red": (193, 90, 99),
    "purple": (94, 60, 108),
    "yellow green": (157, 188, 64),
    "orange yellow": (224, 163, 46),
    "blue": (56, 61, 150),
    "green": (70, 148, 73),
    "red": (175, 54, 60),
    "yellow": (231, 199, 31),
    "magenta": (187, 86, 149),
    "cyan": (8, 133, 161),
}


def _patch(colour, shape=(150, 200)):
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 2, (*shape, 3))  # sensor noise, independent per channel
    return np.clip(np.array(colour, np.float32) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", sorted(COLORCHECKER_NOT_SKIN))
def test_colorchecker_patches_that_are_not_skin_are_not_read_as_skin(name):
    result = measure_skin_tone(_patch(COLORCHECKER_NOT_SKIN[name]), modality="clinical")
    assert not result.gradable, name
    assert result.not_gradable[0]["code"] in {"too_little_skin", "not_skin_coloured"}


@pytest.mark.parametrize("name", sorted(COLORCHECKER_SKIN))
def test_colorchecker_skin_patches_are_read_as_skin(name):
    result = measure_skin_tone(_patch(COLORCHECKER_SKIN[name]), modality="clinical")
    assert result.gradable, name


@pytest.mark.parametrize("image_id", COMPOSITE_CASES)
@pytest.mark.parametrize("extra", [0.2, 0.4])
def test_real_skin_with_much_added_melanin_is_still_found(image_id, extra):
    # The darkest renders of real images (melanosome fraction raised by 20-40 points, type V-VI)
    # keep nearly all their healthy skin: darker skin is no less skin to the detector.
    rgb, mask = demo_case(image_id)
    window = (slice(60, 390), slice(80, 520))
    healthy = (~mask & field_of_view_mask(rgb))[window]
    dark = add_melanin(rgb, extra, where=~mask)[window]
    found = skin_mask(dark, modality="clinical")
    assert (found & healthy).sum() >= 0.6 * healthy.sum()
    assert measure_skin_tone(dark, modality="clinical").fitzpatrick["group"] == "V-VI"


def test_the_90_percent_ita_interval_holds_the_truth_about_as_often_as_it_says():
    # Calibration of the stated uncertainty, not of any threshold: renders of known ITA under
    # casts and exposures inside the clinical priors (+-20 mired, half a stop).
    hits, total, widths = 0, 0, []
    for melanin in (0.013, 0.044, 0.11, 0.2, 0.3, 0.43):
        skin, _ = skin_crop(COMPOSITE_CASES[0], melanin)
        image, _ = clinical_composite(skin, "blue drape")
        for mired, stops in ((0.0, 0.0), (20.0, 0.0), (-20.0, 0.0), (0.0, 0.5), (0.0, -0.5)):
            result = measure_skin_tone(apply_cast(image, mired, stops=stops), modality="clinical")
            lo, hi = result.ita_interval
            hits += lo <= truth_ita(melanin) <= hi
            total += 1
            widths.append(hi - lo)
    # An interval, not "anything". Not knowing which skin model a photograph follows
    # (skin_optics.BOTH_MODELS) widens it, most on light skin photographed half a stop dark.
    assert np.median(widths) < 60 and max(widths) < 90
    assert 0.75 <= hits / total <= 1.0


def test_clinical_photographs_never_use_the_dermoscope_field_of_view():
    # Dark skin filling the frame up to its edges: the field-of-view finder would discard it.
    skin, _ = skin_crop(COMPOSITE_CASES[1], 0.43)
    found = skin_mask(skin, modality="clinical")
    assert found[:10].mean() > 0.3 and found[-10:].mean() > 0.3
    assert measure_skin_tone(skin, modality="clinical").fitzpatrick["group"] == "V-VI"


def test_a_white_reference_in_the_frame_corrects_a_colour_cast():
    skin, _ = skin_crop(COMPOSITE_CASES[0], 0.11)
    image, _ = clinical_composite(skin, "grey-white wall")
    plain = measure_skin_tone(image, modality="clinical")
    warm = measure_skin_tone(apply_cast(image, 30.0), modality="clinical")
    assert warm.illumination["method"] == "neutral-reference"
    assert warm.illumination["cast_mired"] == pytest.approx(
        plain.illumination["cast_mired"] + 30, abs=10
    )
    assert abs(warm.ita_deg - plain.ita_deg) < 6


def test_overexposed_dark_skin_still_reads_dark():
    skin, _ = skin_crop(COMPOSITE_CASES[0], 0.3)
    image, _ = clinical_composite(skin, "blue drape")
    brighter = measure_skin_tone(apply_cast(image, 0.0, stops=1.0), modality="clinical")
    assert brighter.as_imaged["ita_deg"] > truth_ita(0.3) + 15  # the photograph says "tan"
    assert brighter.fitzpatrick["group"] == "V-VI"


def _paper(shape=(300, 400)):
    rng = np.random.default_rng(1)
    return np.clip(236 + rng.normal(0, 2, (*shape, 1)), 0, 255).repeat(3, axis=2).astype(np.uint8)


def _ruler_on_paper():
    image = _paper()
    image[100:160] = (245, 235, 120)  # a yellow ruler
    image[100:130, ::15] = (15, 15, 15)
    return image


def _blue_ink_on_paper():
    image = _paper()
    for row in range(40, 260, 30):
        image[row : row + 6, 30:370] = (30, 50, 170)
    return image


def _thin_ink_lines_on_paper():
    # Lines thinner than the working size's pixels blend with the paper into bluish greys.
    image = _paper((450, 600))
    for row in range(40, 420, 40):
        image[row : row + 6, 40:560] = (30, 50, 170)
    return image


def _clothing():
    image = np.zeros((300, 400, 3), np.uint8)
    colours = [(40, 45, 80), (170, 35, 45), (70, 130, 110), (60, 110, 160), (120, 120, 118)]
    for i, colour in enumerate(colours):
        image[:, i * 80 : (i + 1) * 80] = colour
    return image


@pytest.mark.parametrize(
    "name, make",
    [
        ("ruler on paper", _ruler_on_paper),
        ("blue ink", _blue_ink_on_paper),
        ("thin blue ink lines", _thin_ink_lines_on_paper),
        ("clothing", _clothing),
    ],
)
def test_no_skin_in_the_frame_is_not_gradable(name, make):
    result = measure_skin_tone(make(), modality="clinical")
    assert not result.gradable, name
    assert result.estimated_fitzpatrick is None and result.ita_deg is None
    assert result.not_gradable[0]["code"] in {"too_little_skin", "not_skin_coloured"}


def test_bad_photographs_are_not_gradable_with_their_reason(full_res_pair):
    rgb, mask = full_res_pair
    grey = np.repeat(rgb.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    cases = {
        "greyscale": grey,
        "too_small": rgb[:20, :20],
        "too_dark": (rgb // 40).astype(np.uint8),
        "overexposed": np.clip(rgb.astype(np.int32) * 4, 0, 255).astype(np.uint8),
    }
    for code, image in cases.items():
        result = measure_skin_tone(image, modality="clinical")
        assert not result.gradable and result.not_gradable[0]["code"] == code, code
        with pytest.raises(ToneNotGradable, match=result.not_gradable[0]["message"][:20]):
            measure_tone(image, modality="clinical")


def test_a_lesion_covering_the_whole_frame_leaves_too_little_skin(full_res_pair):
    rgb, _ = full_res_pair
    result = measure_skin_tone(rgb, lesion_mask=np.ones(rgb.shape[:2], bool))
    assert not result.gradable and result.not_gradable[0]["code"] == "too_little_skin"


def test_a_mask_of_another_size_is_rejected_naming_both_sizes(full_res_pair, small_pair):
    rgb, _ = full_res_pair
    _, small_mask = small_pair
    with pytest.raises(ValueError, match="200x150.*600x450"):
        measure_skin_tone(rgb, lesion_mask=small_mask)


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
        measure_skin_tone(bad)


def test_an_unknown_modality_is_rejected(full_res_pair):
    with pytest.raises(ValueError, match="modality"):
        measure_skin_tone(full_res_pair[0], modality="xray")


def test_a_measurement_serialises_with_its_uncertainty_and_method(full_res_pair):
    rgb, mask = full_res_pair
    record = json.loads(json.dumps(measure_skin_tone(rgb, lesion_mask=mask).as_dict()))
    assert record["method_version"] == METHOD_VERSION and record["gradable"] is True
    lo, hi = record["ita_interval"]
    assert lo <= record["ita_deg"] <= hi
    fitz = record["fitzpatrick"]
    assert sum(fitz["probabilities"]) == pytest.approx(1.0, abs=0.01)
    assert fitz["confidence"] == max(fitz["probabilities"])
    assert fitz["call"] in {"I-II", "III-IV", "V-VI", "cannot tell"}
    assert 1 <= record["monk"]["estimate"] <= 10
    assert record["illumination"]["method"] in {"camera", "neutral-reference"}
    assert record["ita_category"] in ITA_CATEGORIES


_FRAME_FILLING_DARK_SKIN = pytest.mark.xfail(
    strict=True,
    reason="known bias: a clinical close-up of type V-VI skin with nothing else in the frame "
    "(no neutral reference to bound the exposure) is read 20-35 degrees light",
)


@pytest.mark.parametrize(
    "skin_type, modality",
    [
        (4, "dermoscopic"),
        (5, "dermoscopic"),
        (6, "dermoscopic"),
        (4, "clinical"),
        pytest.param(5, "clinical", marks=_FRAME_FILLING_DARK_SKIN),
        pytest.param(6, "clinical", marks=_FRAME_FILLING_DARK_SKIN),
    ],
)
def test_brown_and_dark_skin_with_the_published_colour_is_read_at_its_ita(skin_type, modality):
    """Skin coloured as colorimetry measures each type (skin_colorimetry.PUBLISHED; the
    scattering-epidermis model follows that locus) is read in its group and within the 10-20
    degrees by which neighbouring types overlap. Inverting the two-layer model alone read
    these 10-18 degrees too light on dermoscopic frames; both models still read them ~8-13
    degrees light there (the remaining bias, in the README)."""
    from synthesis.ml.fitzpatrick import group_of
    from synthesis.ml.skin_colorimetry import PUBLISHED

    p = PUBLISHED[skin_type]
    published_ita = float(ita_from_lab(p["l_mean"], p["b_mean"]))
    melanin = so.melanin_for_ita(published_ita, model=so.SCATTERING_EPIDERMIS)
    lab = so.standard_colour(melanin, so.REFERENCE_BLOOD, so.SCATTERING_EPIDERMIS)
    truth = float(so.ita_of_lab(lab))
    rgb, mask = demo_case(COMPOSITE_CASES[0])
    healthy = ~mask & field_of_view_mask(rgb)
    render = recolour_skin(rgb, healthy, melanin, model=so.SCATTERING_EPIDERMIS)
    lesion = mask if modality == "dermoscopic" else None
    result = measure_skin_tone(render, modality=modality, lesion_mask=lesion)
    assert abs(result.ita_deg - truth) < 14.0, (result.ita_deg, truth)
    assert result.fitzpatrick["group"] == group_of(skin_type)
