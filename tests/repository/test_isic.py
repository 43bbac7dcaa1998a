"""ISIC-compatible metadata: PixGen rows written in ISIC's vocabulary pass the isic-metadata
package's rules, and ISIC metadata CSVs import, with every problem named by row and column."""

import pytest
from django.core.management import CommandError, call_command

from repository import isic
from repository.models import LesionImage
from tests.conftest import DEMO_DIR, demo_rows

ROW = {
    "uid": "real-1",
    "origin": "real",
    "diagnosis": "mel",
    "diagnosis_confirmation": "histopathology",
    "fitzpatrick": 5,
    "modality": "dermoscopic",
    "body_site": "back",
    "age_bin": 45,
    "sex": "female",
    "licence": "CC-BY-4.0",
    "lesion_identifier": "L1",
    "width": 600,
    "height": 450,
}


@pytest.mark.parametrize("code", sorted(isic.DIAGNOSES))
def test_every_pixgen_diagnosis_exports_to_a_valid_isic_diagnosis(code):
    out = isic.isic_row({**ROW, "diagnosis": code})
    assert out["diagnosis_1"] in ("Benign", "Malignant", "Indeterminate")
    assert isic.validate_isic_row(out) == []


@pytest.mark.parametrize("site", sorted(isic.BODY_SITES))
def test_every_body_site_exports_to_valid_isic_site_columns(site):
    assert isic.validate_isic_row(isic.isic_row({**ROW, "body_site": site})) == []


def test_an_isic_row_carries_licence_type_age_and_tone():
    out = isic.isic_row(ROW, file_name="images/real-00000001.jpg", attribution="Dr A")
    assert out["copyright_license"] == "CC-BY"
    assert out["fitzpatrick_skin_type"] == "V"
    assert out["image_type"] == "dermoscopic"
    assert out["age_approx"] == 45
    assert (out["anatom_site_general"], out["anatom_site_1"], out["anatom_site_2"]) == (
        "posterior torso",
        "Trunk",
        "Posterior trunk",
    )
    assert out["diagnosis_3"] == "Melanoma, NOS"
    assert out["image_manipulation"] == ""
    assert out["filename"] == "images/real-00000001.jpg" and out["attribution"] == "Dr A"


def test_a_synthetic_row_is_marked_synthetic_and_keeps_its_lesion():
    out = isic.isic_row({**ROW, "uid": "synthetic-3", "origin": "synthetic", "lesion_key": "L1"})
    assert out["image_manipulation"] == "synthetic"
    assert out["lesion_id"] == "L1"
    assert isic.validate_isic_row(out) == []


def test_unknown_columns_are_each_reported_by_row_and_column():
    with pytest.raises(isic.IsicCsvError) as exc:
        isic.read_isic_csv("isic_id,colour,fitzpatrick_skin_type,mood\nA,red,V,calm\n")
    assert exc.value.problems == [
        (1, "colour", "is not an ISIC metadata column PixGen knows"),
        (1, "mood", "is not an ISIC metadata column PixGen knows"),
    ]


def test_values_outside_the_vocabulary_are_reported_by_row_and_column():
    text = (
        "isic_id,sex,anatom_site_general,diagnosis_1,diagnosis_2,fitzpatrick_skin_type,"
        "copyright_license\n"
        "A,female,posterior torso,Malignant,Malignant melanocytic proliferations (Melanoma),V,"
        "CC-BY\n"
        "B,alien,backside,Benign,Benign melanocytic proliferations,VII,CC-BY-SA\n"
    )
    good, bad = isic.read_isic_csv(text)
    assert good.errors == [] and good.values["diagnosis"] == "mel"
    columns = {column for column, _message in bad.errors}
    assert columns == {"sex", "anatom_site_general", "fitzpatrick_skin_type", "copyright_license"}
    assert bad.row == 3


def test_a_diagnosis_without_a_pixgen_code_and_a_missing_tone_are_row_errors():
    text = "isic_id,diagnosis_1,diagnosis_2\nA,Benign,Inflammatory or infectious diseases\n"
    [row] = isic.read_isic_csv(text)
    assert {c for c, _m in row.errors} == {"diagnosis", "fitzpatrick_skin_type"}


def test_a_synthetic_image_cannot_be_imported_as_a_contribution():
    text = "isic_id,diagnosis,fitzpatrick_skin_type,image_manipulation\nA,Nevus,V,synthetic\n"
    [row] = isic.read_isic_csv(text)
    assert [c for c, _m in row.errors] == ["image_manipulation"]


def test_terminal_and_deeper_isic_diagnoses_map_to_the_nearest_pixgen_code():
    assert isic.diagnosis_code("Benign:Benign melanocytic proliferations:Nevus:Blue nevus") == "nv"
    assert (
        isic.diagnosis_code(
            "Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ"
        )
        == "akiec"
    )


def _isic_csv(rows):
    lines = [
        "isic_id,attribution,copyright_license,age_approx,sex,anatom_site_general,"
        "diagnosis_1,diagnosis_2,diagnosis_3,fitzpatrick_skin_type,image_type,lesion_id"
    ]
    lines += [r if isinstance(r, str) else ",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _import(csv_path, clinician):
    call_command(
        "import_images",
        "--csv",
        str(csv_path),
        "--images",
        str(DEMO_DIR / "images"),
        "--contributor",
        clinician.username,
        "--consent-attested",
    )


@pytest.mark.django_db
def test_import_images_reads_an_isic_csv(tmp_path, clinician, capsys):
    picks = demo_rows()[:2]
    rows = [
        [
            p["image_id"],
            "Clinic of Lagos",
            "CC-BY",
            "45",
            "female",
            "posterior torso",
            "Benign",
            "Benign melanocytic proliferations",
            "Nevus",
            "V",
            "dermoscopic",
            f"IL_{i}",
        ]
        for i, p in enumerate(picks)
    ]
    csv_path = tmp_path / "isic.csv"
    csv_path.write_text(_isic_csv(rows))
    _import(csv_path, clinician)
    images = LesionImage.objects.order_by("pk")
    assert images.count() == 2
    first = images[0]
    assert (first.diagnosis.code, first.fitzpatrick, first.body_site, first.licence) == (
        "nv",
        5,
        "back",
        "CC-BY-4.0",
    )
    assert (first.age_bin, first.sex, first.lesion_identifier, first.source_note) == (
        45,
        "female",
        "IL_0",
        "Clinic of Lagos",
    )


@pytest.mark.django_db
def test_import_images_names_the_row_and_column_of_each_bad_isic_value(tmp_path, clinician, capsys):
    good, bad = demo_rows()[:2]
    text = _isic_csv(
        [
            f"{good['image_id']},,CC-BY,45,female,posterior torso,Benign,"
            "Benign melanocytic proliferations,Nevus,V,dermoscopic,L1",
            f"{bad['image_id']},,CC-BY,45,female,backside,Benign,"
            "Benign melanocytic proliferations,Nevus,VII,dermoscopic,L2",
        ]
    )
    csv_path = tmp_path / "isic.csv"
    csv_path.write_text(text)
    _import(csv_path, clinician)
    err = capsys.readouterr().err
    assert "row 3, column anatom_site_general: Unsupported value" in err
    assert "row 3, column fitzpatrick_skin_type: Unsupported value" in err
    assert LesionImage.objects.count() == 1


@pytest.mark.django_db
def test_import_images_refuses_an_isic_csv_with_unknown_columns(tmp_path, clinician):
    row = demo_rows()[0]
    csv_path = tmp_path / "isic.csv"
    csv_path.write_text(
        "isic_id,fitzpatrick_skin_type,diagnosis,favourite_colour\n"
        f"{row['image_id']},V,Nevus,blue\n"
    )
    with pytest.raises(CommandError, match="Row 1, column favourite_colour"):
        _import(csv_path, clinician)
    assert LesionImage.objects.count() == 0
