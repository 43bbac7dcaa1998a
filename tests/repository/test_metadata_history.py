"""Metadata history: corrections after publication keep who, when, what and why, and a changed
diagnosis sends the synthetic images made from the image back to review."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from repository.models import Diagnosis, MetadataRevision
from repository.services.metadata_history import image_metadata_update
from repository.services.moderation import image_publish
from synthesis.models import Review, SyntheticImage
from tests.conftest import ingest
from tests.factories import ClinicianFactory, ReviewerFactory
from tests.repository.test_exports import _synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_image(clinician, moderator):
    image = ingest(clinician, diagnosis="mel", fitzpatrick=5, body_site="back")
    image_publish(image=image, moderator=moderator)
    image.refresh_from_db()
    return image


def _approved_with_reviews(source, user):
    synthetic = _synthetic(source, status=SyntheticImage.Status.APPROVED, user=user)
    for _ in range(2):
        Review.objects.create(
            synthetic=synthetic,
            reviewer=ReviewerFactory(),
            decision="approve",
            realism=4,
            tone_correct=True,
            features_preserved=True,
        )
    return synthetic


def test_a_correction_after_publication_keeps_who_when_what_and_why(public_image, clinician):
    revision = image_metadata_update(
        image=public_image,
        user=clinician,
        changes={"diagnosis": "nv", "fitzpatrick": 6},
        reason="Histopathology came back: a naevus.",
    )
    public_image.refresh_from_db()
    assert public_image.diagnosis.code == "nv" and public_image.fitzpatrick == 6
    assert revision.changed_by == clinician and revision.after_publication
    assert revision.changes == {
        "diagnosis": {"from": "mel", "to": "nv"},
        "fitzpatrick": {"from": 5, "to": 6},
    }
    assert revision.changed_at is not None


def test_a_published_image_needs_a_reason(public_image, clinician):
    with pytest.raises(ValidationError) as exc:
        image_metadata_update(image=public_image, user=clinician, changes={"sex": "male"})
    assert "reason" in exc.value.message_dict
    assert not MetadataRevision.objects.exists()


def test_nothing_changed_and_bad_values_are_refused(public_image, clinician):
    with pytest.raises(ValidationError, match="Nothing changed"):
        image_metadata_update(
            image=public_image, user=clinician, changes={"fitzpatrick": 5}, reason="x"
        )
    with pytest.raises(ValidationError) as exc:
        image_metadata_update(
            image=public_image, user=clinician, changes={"fitzpatrick": 9}, reason="x"
        )
    assert "fitzpatrick" in exc.value.message_dict
    with pytest.raises(ValidationError):
        image_metadata_update(
            image=public_image, user=clinician, changes={"licence": "CC0-1.0"}, reason="x"
        )


def test_only_the_contributor_or_a_moderator_corrects(public_image, moderator, client):
    stranger = ClinicianFactory()
    with pytest.raises(PermissionDenied):
        image_metadata_update(
            image=public_image, user=stranger, changes={"sex": "male"}, reason="x"
        )
    image_metadata_update(image=public_image, user=moderator, changes={"sex": "male"}, reason="x")
    client.force_login(stranger)
    assert client.get(reverse("image-metadata", args=[public_image.pk])).status_code == 403


def test_a_diagnosis_change_sends_its_synthetic_images_back_to_review(
    public_image, clinician, moderator
):
    approved = _approved_with_reviews(public_image, moderator)
    rejected = _synthetic(public_image, status=SyntheticImage.Status.REJECTED, user=moderator)
    revision = image_metadata_update(
        image=public_image, user=clinician, changes={"diagnosis": "bcc"}, reason="Re-read."
    )
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert approved.status == SyntheticImage.Status.PENDING_REVIEW
    assert approved.diagnosis == Diagnosis.objects.get(code="bcc")
    assert rejected.status == SyntheticImage.Status.REJECTED
    assert revision.sent_back_for_review == [approved.pk]
    assert len(revision.superseded_reviews) == 2
    assert not Review.objects.filter(synthetic=approved).exists()


def test_a_body_site_change_follows_to_synthetic_images_without_a_new_review(
    public_image, clinician, moderator
):
    approved = _approved_with_reviews(public_image, moderator)
    revision = image_metadata_update(
        image=public_image, user=clinician, changes={"body_site": "face"}, reason="Typo."
    )
    approved.refresh_from_db()
    assert approved.body_site == "face"
    assert approved.status == SyntheticImage.Status.APPROVED
    assert revision.sent_back_for_review == []


def test_the_correction_page_saves_and_the_image_page_shows_the_history(
    public_image, clinician, client
):
    client.force_login(clinician)
    url = reverse("image-metadata", args=[public_image.pk])
    assert client.get(url).status_code == 200
    data = {
        "diagnosis": Diagnosis.objects.get(code="nv").pk,
        "diagnosis_confirmation": public_image.diagnosis_confirmation,
        "fitzpatrick": 5,
        "modality": public_image.modality,
        "body_site": "back",
        "sex": public_image.sex,
        "age_bin": public_image.age_bin,
        "lesion_identifier": "",
        "reason": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    response = client.post(url, {**data, "reason": "Biopsy result."}, follow=True)
    page = response.content.decode()
    assert "Metadata history" in page and "Biopsy result." in page
    assert "Diagnosis: Melanoma → Melanocytic nevus" in page


def test_the_api_shows_an_images_history(public_image, clinician, client):
    image_metadata_update(
        image=public_image, user=clinician, changes={"body_site": "face"}, reason="Typo."
    )
    [entry] = client.get(f"/api/v1/images/{public_image.pk}/").json()["history"]
    assert entry["changed_by"] == clinician.username
    assert entry["changes"] == {"body_site": {"from": "back", "to": "face"}}
    assert entry["reason"] == "Typo." and entry["after_publication"] is True
