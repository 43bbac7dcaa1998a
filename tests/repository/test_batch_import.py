import io

import pytest
from django.core.exceptions import ValidationError

from repository.models import LesionImage
from repository.services.batch_import import batch_import
from tests.conftest import DEMO_DIR, demo_rows, stored_files

pytestmark = pytest.mark.django_db

HEADER = "lesion_id,image_id,dx,dx_type,age,sex,localization,fitzpatrick\n"


def _files(*image_ids):
    return {
        f"{i}.jpg": io.BytesIO((DEMO_DIR / "images" / f"{i}.jpg").read_bytes()) for i in image_ids
    }


def _run(contributor, csv_text: str, files):
    return batch_import(
        contributor=contributor,
        csv_data=csv_text.encode(),
        files=files,
        modality="dermoscopic",
        licence="CC-BY-NC-4.0",
        consent_attested=True,
    )


def test_ham10000_layout_with_fitzpatrick_imports(clinician):
    rows = demo_rows()[:3]
    csv_text = HEADER + "".join(
        f"{r['lesion_id']},{r['image_id']},{r['dx']},{r['dx_type']},{r['age']},{r['sex']},"
        f"{r['localization']},{roman}\n"
        for r, roman in zip(rows, ["IV", "5", "vi"], strict=True)
    )
    report = _run(clinician, csv_text, _files(*(r["image_id"] for r in rows)))
    assert (report.created, report.failed) == (3, 0)
    images = LesionImage.objects.order_by("pk")
    assert [i.fitzpatrick for i in images] == [4, 5, 6]
    first = images[0]
    assert first.lesion_identifier == rows[0]["lesion_id"]
    assert first.diagnosis.code == rows[0]["dx"]
    assert first.diagnosis_confirmation == "histopathology"
    assert first.age_bin == int(float(rows[0]["age"])) // 5 * 5


def test_row_naming_a_missing_file_is_reported_and_the_rest_imports(clinician):
    rows = demo_rows()[:2]
    csv_text = HEADER + (
        f"HAM_X,{rows[0]['image_id']},mel,histo,50,male,back,5\n"
        "HAM_Y,ISIC_9999999,mel,histo,50,male,back,5\n"
        f"HAM_Z,{rows[1]['image_id']},nv,histo,50,male,back,9\n"
    )
    report = _run(clinician, csv_text, _files(rows[0]["image_id"], rows[1]["image_id"]))
    assert [r.ok for r in report.rows] == [True, False, False]
    assert report.rows[1].row == 3 and "ISIC_9999999" in report.rows[1].errors[0]
    assert "fitzpatrick" in report.rows[2].errors[0]
    assert LesionImage.objects.count() == 1
    assert len(stored_files()) == 2  # one master, one thumbnail


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("image_id,dx\nA,mel\n", "fitzpatrick"),
        (HEADER, "no rows"),
    ],
)
def test_unusable_csv_is_refused_whole(clinician, csv_text, message):
    with pytest.raises(ValidationError) as exc:
        _run(clinician, csv_text, {})
    assert message in str(exc.value)


def test_non_utf8_csv_is_refused(clinician):
    with pytest.raises(ValidationError, match="UTF-8"):
        batch_import(
            contributor=clinician,
            csv_data=b"\xff\xfe\x00bad",
            files={},
            modality="dermoscopic",
            licence="CC0-1.0",
            consent_attested=True,
        )
