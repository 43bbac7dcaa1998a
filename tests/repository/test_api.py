import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from repository.models import LesionImage
from repository.services.accounts import api_token_revoke, data_terms_accept
from repository.services.moderation import image_publish
from tests.conftest import demo_bytes, demo_rows, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_list_shows_public_images_only_and_filters(api, clinician, moderator):
    rows = demo_rows()
    public = ingest(clinician, rows[0]["image_id"], diagnosis="mel", fitzpatrick=6)
    image_publish(image=public, moderator=moderator)
    pending = ingest(clinician, rows[1]["image_id"], diagnosis="mel", fitzpatrick=6)
    body = api.get("/api/v1/images/?diagnosis=mel&fitzpatrick=VI").json()
    assert [r["id"] for r in body["results"]] == [public.pk]
    assert body["results"][0]["origin"] == "real"
    assert api.get(f"/api/v1/images/{pending.pk}/").status_code == 404
    assert api.get("/api/v1/images/?fitzpatrick=VIII").status_code == 400
    response = api.get("/api/v1/images/?colour=blue")
    assert response.status_code == 400 and "colour" in response.json()["detail"]


def test_clinician_uploads_with_a_token(api, clinician):
    _token, key = data_terms_accept(user=clinician)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/images/upload/",
        {
            "image": SimpleUploadedFile("a.jpg", demo_bytes()),
            "diagnosis": "acne",
            "fitzpatrick": "V",
            "modality": "clinical",
            "diagnosis_confirmation": "clinical",
            "body_site": "face",
            "licence": "CC-BY-4.0",
            "consent_attested": True,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"


def test_api_upload_errors_are_400_with_messages(api, clinician):
    api.force_authenticate(clinician)
    response = api.post(
        "/api/v1/images/upload/",
        {
            "image": SimpleUploadedFile("a.jpg", b"not an image"),
            "diagnosis": "nope",
            "fitzpatrick": "9",
            "modality": "clinical",
            "diagnosis_confirmation": "clinical",
            "body_site": "face",
            "licence": "CC-BY-4.0",
            "consent_attested": True,
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert {"diagnosis", "fitzpatrick"} <= response.json().keys()
    assert LesionImage.objects.count() == 0


def test_unverified_token_holder_cannot_upload(api, researcher):
    _token, key = data_terms_accept(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/images/upload/",
        {"image": SimpleUploadedFile("a.jpg", demo_bytes())},
        format="multipart",
    )
    assert response.status_code in (400, 403)


def test_revoked_or_unknown_token_is_401(api, researcher):
    token, key = data_terms_accept(user=researcher)
    api_token_revoke(token=token, user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/v1/coverage/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    api.credentials(HTTP_AUTHORIZATION="Token pxg_nonsense")
    assert api.get("/api/v1/coverage/").status_code == 401


def test_coverage_endpoint(api):
    cells = api.get("/api/v1/coverage/").json()["cells"]
    assert {
        "diagnosis": "mel",
        "fitzpatrick": 6,
        "count": 0,
        "level": "empty",
        "open_requests": 0,
    } in cells
