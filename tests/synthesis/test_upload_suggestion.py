"""The upload page's diagnosis suggestion: shown to the contributor, never stored as the label."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from repository.models import Diagnosis, LesionImage
from synthesis.services.suggestion import diagnosis_suggest_for_upload
from tests.conftest import demo_bytes, demo_rows, stored_files
from tests.synthesis.classifier_fixtures import (
    _one_thread_and_few_resamples,  # noqa: F401 (autouse fixture)
    repository_images,  # noqa: F401 (fixture)
    train,
)

pytestmark = pytest.mark.django_db
URL = "/contribute/suggest/"


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 80, 60)).save(out, format="GIF")
    return out.getvalue()


def jpeg(name="lesion.jpg", image_id=None):
    return SimpleUploadedFile(name, demo_bytes(image_id), content_type="image/jpeg")


def test_the_url_is_named():
    assert reverse("upload-suggest") == URL


def test_without_a_model_the_suggestion_is_null(client, clinician):
    client.force_login(clinician)
    response = client.post(URL, {"image": jpeg()})
    assert response.status_code == 200 and response.json() == {"suggestion": None}


def test_a_ready_dx7_model_suggests_its_top_three(
    client,
    clinician,
    moderator,
    repository_images,  # noqa: F811
):
    model = train(moderator)
    images_before, files_before = LesionImage.objects.count(), stored_files()
    client.force_login(clinician)
    # The image is already in the repository: a suggestion needs no dedupe, and stores nothing.
    response = client.post(URL, {"image": jpeg(image_id=demo_rows()[3]["image_id"])})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == model.version == "dx7-0001"
    assert body["note"] == "A suggestion from model dx7-0001, not a diagnosis"
    suggestions = body["suggestions"]
    assert len(suggestions) == 3
    codes = set(Diagnosis.objects.values_list("code", flat=True))
    assert {s["code"] for s in suggestions} <= codes
    assert all(s["name"] == Diagnosis.objects.get(code=s["code"]).name for s in suggestions)
    assert all(0 <= s["probability"] <= 1 for s in suggestions)
    assert sum(s["probability"] for s in suggestions) <= 1.0 + 1e-3  # rounded to 3 places
    probabilities = [s["probability"] for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    # Nothing is stored: no row, no file.
    assert LesionImage.objects.count() == images_before and stored_files() == files_before


def test_the_suggestion_is_never_the_stored_label(
    client,
    clinician,
    moderator,
    repository_images,  # noqa: F811
):
    train(moderator)
    LesionImage.objects.all().delete()  # make the demo image a fresh upload again
    client.force_login(clinician)
    suggested = client.post(URL, {"image": jpeg()}).json()["suggestions"]
    chosen = Diagnosis.objects.exclude(code__in=[s["code"] for s in suggested]).first()
    response = client.post(
        reverse("upload"),
        {
            "diagnosis": chosen.pk,
            "diagnosis_confirmation": "histopathology",
            "fitzpatrick": 5,
            "modality": "clinical",
            "body_site": "face",
            "sex": "male",
            "licence": "CC-BY-4.0",
            "consent_attested": "on",
            "image": jpeg(),
        },
    )
    assert response.status_code == 302
    assert LesionImage.objects.get().diagnosis == chosen


def test_nothing_is_stored_when_suggesting(client, clinician):
    client.force_login(clinician)
    assert client.post(URL, {"image": jpeg()}).status_code == 200
    assert LesionImage.objects.count() == 0 and stored_files() == set()


def test_the_upload_page_carries_the_suggestion_box(client, clinician):
    client.force_login(clinician)
    page = client.get(reverse("upload")).content.decode()
    assert 'id="dx-suggestion"' in page and f'data-url="{URL}"' in page
    assert "Suggestion from model __MODEL__ — not a diagnosis; choose the label yourself" in page
    assert "csrfmiddlewaretoken" in page and "<script src=" not in page


@pytest.mark.parametrize("user", [None, "plain_user", "researcher", "moderator"])
def test_only_verified_clinicians_may_ask(client, request, user):
    if user:
        client.force_login(request.getfixturevalue(user))
    response = client.post(URL, {"image": jpeg()})
    assert response.status_code == 403 and response.json()["error"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Choose an image file"),
        (SimpleUploadedFile("x.jpg", b"hello", content_type="image/jpeg"), "not an image"),
        (SimpleUploadedFile("x.gif", gif_bytes(), content_type="image/gif"), "not accepted"),
        (SimpleUploadedFile("x.jpg", b"", content_type="image/jpeg"), "empty"),
    ],
    ids=["missing", "not-an-image", "gif", "empty"],
)
def test_a_bad_file_is_a_400_with_a_message(client, clinician, upload, message):
    client.force_login(clinician)
    response = client.post(URL, {"image": upload} if upload is not None else {})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert LesionImage.objects.count() == 0 and stored_files() == set()


def test_the_size_and_pixel_caps_of_ingest_apply(client, clinician, settings):
    client.force_login(clinician)
    settings.PIXGEN_MAX_IMAGE_PIXELS = 1000
    response = client.post(URL, {"image": jpeg()})
    assert response.status_code == 400 and "the limit is 1,000 pixels" in response.json()["error"]
    settings.PIXGEN_MAX_IMAGE_PIXELS = 40_000_000
    settings.PIXGEN_MAX_UPLOAD_BYTES = 1024
    response = client.post(URL, {"image": jpeg()})
    assert response.status_code == 400 and "the limit is" in response.json()["error"]


def test_a_get_is_refused(client, clinician):
    client.force_login(clinician)
    assert client.get(URL).status_code == 405


def test_the_service_refuses_a_non_clinician(plain_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        diagnosis_suggest_for_upload(user=plain_user, fileobj=jpeg())
