"""The smaller input rules of issue 11 item 9: digits only in ASCII, strict checkboxes, job
parameters checked at creation, magenta handles only local, e-mail addresses unique whatever
their case, and one rule for who sees an export."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from repository.models import Export, LesionImage, User
from repository.services.moderation import image_publish
from synthesis.models import SynthesisJob
from tests.conftest import ingest
from tests.factories import ResearcherFactory, ReviewerFactory
from tests.repository.test_pages import _form

pytestmark = pytest.mark.django_db

NOT_ASCII_DIGITS = ["²", "①", "٣", "５"]


@pytest.fixture
def published(clinician, moderator):
    image = ingest(clinician, diagnosis="mel")
    image_publish(image=image, moderator=moderator)
    return image


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(
    "url",
    [
        "/requests/?fitzpatrick={}",
        "/images/?fitzpatrick={}",
        "/api/v1/images/?fitzpatrick={}",
        "/api/v1/images/?page_size={}",
        "/api/v1/images/?monk_tone={}",
        "/api/v1/metadata.csv?fitzpatrick={}",
        "/api/v1/exports/?balance={}",
        "/api/v1/requests/?status={}",
    ],
)
def test_digits_of_other_scripts_are_never_a_500_or_pythons_text(client, published, url, value):
    response = client.get(url.format(value))
    assert response.status_code in (200, 302, 400), response.status_code
    assert "invalid literal" not in response.content.decode()


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
def test_a_fitzpatrick_in_another_script_is_a_clear_message(value, published):
    response = APIClient().get(f"/api/v1/images/?fitzpatrick={value}")
    assert response.status_code == 400
    assert "Fitzpatrick type must be I–VI (1–6)" in response.json()["fitzpatrick"][0]


@pytest.fixture
def reviewer_api(published):
    api = APIClient()
    api.force_authenticate(ReviewerFactory())
    return api


FITZ_V = [{"kind": "fitzpatrick", "fitzpatrick": 5}]


@pytest.mark.parametrize(
    ("backend", "params", "words"),
    [
        ("melanin", {"strength": 2}, "has no parameter strength"),
        ("melanin", {"handle": "/tmp", "x": 1}, "has no parameter x"),
        ("lab-stats", {"surface_reflectance": 0.02}, "has no parameter surface_reflectance"),
        ("melanin", {"lesion_gain": 9}, "lesion_gain must be a number from 0.0 to 3.0"),
        ("melanin", {"lesion_gain": "abc"}, "lesion_gain must be a number"),
        ("melanin", {"max_evals": 2.5}, "max_evals must be a whole number"),
        ("melanin", {"tolerance_deg": True}, "tolerance_deg must be a number"),
        ("magenta", {"style_template": 1}, "has no parameter style_template"),
    ],
)
def test_unknown_or_bad_backend_parameters_are_refused_at_creation(
    reviewer_api, backend, params, words
):
    response = reviewer_api.post(
        "/api/v1/jobs/",
        {"targets": FITZ_V, "backend": backend, "backend_params": params},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()["backend_params"])
    assert not SynthesisJob.objects.exists()


def test_good_backend_parameters_are_kept_on_the_job(reviewer_api):
    response = reviewer_api.post(
        "/api/v1/jobs/",
        {
            "targets": FITZ_V,
            "backend": "melanin",
            "backend_params": {"lesion_gain": "1.2", "max_evals": 6},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["params"]["backend_params"] == {"lesion_gain": 1.2, "max_evals": 6}


@pytest.mark.parametrize(
    "handle",
    [
        "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2",
        "http://127.0.0.1:9/model",
        "gs://bucket/model",
        "file:///etc",
        "HTTPS://example.org/m",
    ],
)
def test_a_magenta_handle_is_never_a_url(reviewer_api, handle):
    response = reviewer_api.post(
        "/api/v1/jobs/",
        {"targets": FITZ_V, "backend": "magenta", "backend_params": {"handle": handle}},
        format="json",
    )
    assert response.status_code == 400
    assert "not a URL" in " ".join(response.json()["handle"])
    assert not SynthesisJob.objects.exists()


def test_a_magenta_handle_may_be_a_local_model_folder(tmp_path):
    from synthesis.services.targets import backend_check

    (tmp_path / "saved_model.pb").write_bytes(b"\x08\x01")
    assert backend_check("magenta", {"handle": str(tmp_path)}) == (
        "magenta",
        {"handle": str(tmp_path.resolve())},
    )


@pytest.mark.parametrize(
    ("image_filter", "words"),
    [
        ({"fitzpatrick": "abc"}, "fitzpatrick must be a Fitzpatrick type"),
        ({"fitzpatrick": "²"}, "fitzpatrick must be a Fitzpatrick type"),
        ({"request": "abc"}, "request must be a request number"),
        ({"request": "1.5"}, "request must be a request number"),
        ({"colour": "red"}, "Unknown image filter colour"),
    ],
)
def test_an_image_filter_that_cannot_match_is_a_400(reviewer_api, image_filter, words):
    response = reviewer_api.post(
        "/api/v1/jobs/", {"targets": FITZ_V, "image_filter": image_filter}, format="json"
    )
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()["image_filter"])


def test_a_job_form_with_image_numbers_in_another_script_is_a_form_error(client, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("synthesis-job-create"),
        {"image_ids": "²", "mode": "types", "fitzpatrick_targets": [5], "backend": "melanin"},
    )
    assert response.status_code in (200, 400)
    assert "Give image numbers separated by commas" in response.content.decode()


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "", "nope"])
def test_a_consent_box_sent_as_zero_is_not_attested(client, clinician, value):
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form(consent_attested=value))
    assert response.status_code == 400
    assert not LesionImage.objects.exists()


@pytest.mark.parametrize("value", ["on", "true", "1", "yes"])
def test_a_ticked_consent_box_is_attested(client, clinician, value):
    client.force_login(clinician)
    response = client.post(reverse("upload"), _form(consent_attested=value))
    assert response.status_code == 302
    assert LesionImage.objects.get().consent_attested is True


def test_an_email_differing_only_in_case_is_taken(client, clinician):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "someone-else",
            "email": clinician.email.upper(),
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
        },
    )
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.content.decode()
    assert not User.objects.filter(username="someone-else").exists()


def test_the_database_refuses_an_email_differing_only_in_case(clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="twin", email=clinician.email.swapcase())


def _export(owner) -> Export:
    return Export.objects.create(created_by=owner, params={}, status=Export.Status.QUEUED)


@pytest.mark.parametrize("viewer", ["moderator", "other_researcher"])
def test_someone_elses_export_is_404_on_the_page_and_the_api(client, moderator, viewer):
    owner = ResearcherFactory()
    export = _export(owner)
    who = moderator if viewer == "moderator" else ResearcherFactory()
    client.force_login(who)
    assert client.get(reverse("export-detail", args=[export.pk])).status_code == 404
    assert client.get(reverse("export-download", args=[export.pk])).status_code == 404
    assert client.get(f"/api/v1/exports/{export.pk}/").status_code == 404
    client.force_login(owner)
    assert client.get(reverse("export-detail", args=[export.pk])).status_code == 200
    assert client.get(f"/api/v1/exports/{export.pk}/").status_code == 200
