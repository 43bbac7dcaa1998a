import pytest
from rest_framework.test import APIClient

from repository.services.moderation import image_publish
from synthesis.models import SynthesisJob
from tests.conftest import ingest
from tests.factories import ReviewerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_api(clinician, moderator):
    image_publish(image=ingest(clinician, diagnosis="mel"), moderator=moderator)
    api = APIClient()
    api.force_authenticate(ReviewerFactory())
    return api


def test_reviewer_creates_lists_and_cancels_a_tone_transfer_job(reviewer_api):
    created = reviewer_api.post(
        "/api/v1/jobs/",
        {
            "targets": [
                {"kind": "fitzpatrick", "fitzpatrick": "V"},
                {"kind": "ita", "ita_deg": -40},
            ],
            "image_filter": {"diagnosis": "mel"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "tone_transfer" and body["items_total"] == 2
    assert [j["id"] for j in reviewer_api.get("/api/v1/jobs/").json()] == [body["id"]]
    cancelled = reviewer_api.post(f"/api/v1/jobs/{body['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"targets": [{"kind": "fitzpatrick", "fitzpatrick": "VII"}]}, "targets"),
        ({"targets": []}, "targets"),
        (
            {"targets": [{"kind": "templates", "template_a": "x", "template_b": "y", "alpha": 2}]},
            "targets",
        ),
        ({"targets": [{"kind": "fitzpatrick", "fitzpatrick": 5}], "backend": "crayon"}, "backend"),
    ],
)
def test_bad_job_requests_are_400_and_create_nothing(reviewer_api, payload, field):
    response = reviewer_api.post("/api/v1/jobs/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not SynthesisJob.objects.exists()


def test_clinicians_and_anonymous_cannot_use_jobs(clinician):
    api = APIClient()
    assert api.get("/api/v1/jobs/").status_code in (401, 403)
    api.force_authenticate(clinician)
    assert api.post("/api/v1/jobs/", {"targets": []}, format="json").status_code == 403
