"""The upload form cannot mislabel an image silently: nothing that labels the lesion is
pre-selected, a missing choice is refused with a message, and the page carries its references."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from repository.models import Diagnosis, LesionImage
from repository.services.batch_import import TEMPLATE_COLUMNS, batch_import
from tests.conftest import demo_bytes, demo_rows, ingest, stored_files

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "diagnosis": Diagnosis.objects.get(code="bcc").pk,
        "diagnosis_confirmation": "histopathology",
        "fitzpatrick": 5,
        "modality": "clinical",
        "body_site": "face",
        "sex": "male",
        "licence": "CC-BY-4.0",
        "consent_attested": "on",
        "image": SimpleUploadedFile("lesion.jpg", demo_bytes(), content_type="image/jpeg"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_nothing_that_labels_the_lesion_is_preselected(client, clinician):
    client.force_login(clinician)
    page = client.get(reverse("upload")).content.decode()
    radios = re.findall(r'<input type="radio" name="fitzpatrick"[^>]*>', page)
    assert len(radios) == 6 and not any("checked" in r for r in radios)
    for name in ("diagnosis", "diagnosis_confirmation", "body_site", "modality"):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        first = re.search(r"<option[^>]*>", select).group(0)
        assert 'value=""' in first and "selected" in first, name
        assert select.count("selected") == 1, name


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("fitzpatrick", "Choose the Fitzpatrick type"),
        ("body_site", "Choose the body site"),
        ("diagnosis_confirmation", "Choose how the diagnosis was confirmed"),
        ("diagnosis", "Choose the diagnosis"),
    ],
)
def test_upload_without_a_choice_is_refused_with_a_message(client, clinician, missing, message):
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form(**{missing: None}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert LesionImage.objects.count() == 0 and stored_files() == set()


def test_upload_page_has_the_tone_reference_preview_and_accept(client, clinician):
    client.force_login(clinician)
    page = client.get(reverse("upload")).content.decode()
    assert 'accept="image/jpeg,image/png,image/webp' in page
    assert 'id="upload-preview"' in page and 'id="upload-bar"' in page
    assert page.count("var(--monk-") >= 10 and page.count("var(--fitz-") == 6
    assert "always burns, never tans" in page and "never burns, deeply pigmented" in page
    assert 'data-question="eye_colour"' in page and 'data-bounds="' in page
    assert reverse("upload-batch-template") in page


def test_script_upload_is_told_where_to_go_next(client, clinician):
    client.force_login(clinician)
    response = client.post(
        reverse("upload"), _form(), headers={"X-Requested-With": "XMLHttpRequest"}
    )
    image = LesionImage.objects.get()
    assert response.status_code == 200
    assert response["X-Upload-Location"] == reverse("image-detail", args=[image.pk])
    # the thank-you message waits for the page the browser then loads
    assert "awaits moderation" in client.get(response["X-Upload-Location"]).content.decode()


def test_duplicate_message_links_to_the_image(client, clinician):
    existing = ingest(clinician)
    client.force_login(clinician)
    body = client.post(reverse("upload"), _form()).content.decode()
    assert f'<a href="/images/{existing.pk}/">image #{existing.pk}</a>' in body


def test_batch_template_downloads_and_imports_as_it_stands(clinician):
    from django.test import Client

    client = Client()
    response = client.get(reverse("upload-batch-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == TEMPLATE_COLUMNS and len(rows) == 2
    demo = demo_rows()[:2]
    files = {
        row["image_id"]: io.BytesIO(demo_bytes(d["image_id"]))
        for row, d in zip(rows, demo, strict=True)
    }
    report = batch_import(
        contributor=clinician,
        csv_data=text.encode(),
        files=files,
        modality="dermoscopic",
        licence="CC-BY-4.0",
        consent_attested=True,
    )
    assert report.created == 2, report
    image = LesionImage.objects.order_by("pk").first()
    assert (image.fitzpatrick, image.monk_tone, image.body_site) == (5, 8, "back")


def test_batch_form_does_not_preselect_modality_or_confirmation(client, clinician):
    client.force_login(clinician)
    page = client.get(reverse("upload-batch")).content.decode()
    for name in ("modality", "diagnosis_confirmation"):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        assert select.count("selected") == 1 and re.search(r'value=""[^>]*selected', select)
