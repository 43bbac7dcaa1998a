"""Synthetic images in the API: labelled, filtered, and never visible before approval."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from repository.services.moderation import image_publish, image_withdraw
from synthesis.models import SyntheticImage
from tests.conftest import demo_bytes, demo_rows, ingest
from tests.factories import ReviewerFactory

pytestmark = pytest.mark.django_db


def _synthetic(source, *, status, fitzpatrick=6, created_by):
    data = demo_bytes(demo_rows()[5]["image_id"])
    name = default_storage.save("synthetic/test.jpg", ContentFile(data))
    return SyntheticImage.objects.create(
        image=name,
        thumbnail=name,
        sha256=hashlib.sha256(data + status.encode()).hexdigest(),
        width=600,
        height=450,
        method="tone_transfer",
        backend="melanin",
        model_version="melanin-1",
        source_image=source,
        diagnosis=source.diagnosis,
        fitzpatrick=fitzpatrick,
        target={"kind": "fitzpatrick", "fitzpatrick": fitzpatrick},
        body_site=source.body_site,
        sex=source.sex,
        licence=source.licence,
        seed=7,
        created_by=created_by,
        status=status,
    )


@pytest.fixture
def setting(clinician, moderator):
    source = ingest(clinician, diagnosis="mel", fitzpatrick=2)
    image_publish(image=source, moderator=moderator)
    made = {
        s: _synthetic(source, status=s, created_by=moderator)
        for s in ("approved", "pending_review", "rejected")
    }
    return source, made


def test_catalogue_labels_and_filters_synthetic_rows(setting):
    source, made = setting
    api = APIClient()
    rows = api.get("/api/v1/images/").json()["results"]
    assert {(r["origin"], r["id"]) for r in rows} == {
        ("real", source.pk),
        ("synthetic", made["approved"].pk),
    }
    synthetic = api.get(
        "/api/v1/images/?origin=synthetic&method=tone_transfer&model_version=melanin-1"
    )
    [row] = synthetic.json()["results"]
    assert row["uid"] == f"synthetic-{made['approved'].pk}" and row["source_image"] == source.pk
    assert row["files"]["image"].endswith(f"/synthesis/images/{row['id']}/image/")
    assert api.get("/api/v1/images/?fitzpatrick=6").json()["results"] == [row]
    assert api.get("/api/v1/images/?monk_tone=4").json()["results"] == []  # real-only attribute


def test_unapproved_synthetic_is_hidden_on_every_path(setting, researcher, clinician):
    _source, made = setting
    for status in ("pending_review", "rejected"):
        pk = made[status].pk
        for user in (None, researcher, clinician):
            api = APIClient()
            if user:
                api.force_authenticate(user)
            assert api.get(f"/api/v1/synthetic-images/{pk}/").status_code == 404
            assert all(
                r["id"] != pk or r["origin"] != "synthetic"
                for r in api.get("/api/v1/images/?origin=synthetic").json()["results"]
            )
            assert api.get(f"/synthesis/images/{pk}/image/").status_code in (302, 403, 404)


def test_reviewers_see_pending_synthetic_detail(setting):
    _source, made = setting
    api = APIClient()
    api.force_authenticate(ReviewerFactory())
    body = api.get(f"/api/v1/synthetic-images/{made['pending_review'].pk}/").json()
    assert body["status"] == "pending_review" and body["target"]["fitzpatrick"] == 6


def test_withdrawing_the_source_hides_its_synthetic_derivatives(setting, clinician):
    source, made = setting
    api = APIClient()
    assert api.get(f"/api/v1/synthetic-images/{made['approved'].pk}/").status_code == 200
    image_withdraw(image=source, user=clinician)
    assert api.get("/api/v1/images/").json()["results"] == []
    assert api.get(f"/api/v1/synthetic-images/{made['approved'].pk}/").status_code == 404


def test_coverage_counts_synthetic_apart(setting):
    cells = APIClient().get("/api/v1/coverage/").json()
    mel6 = next(c for c in cells if c["diagnosis"] == "mel" and c["fitzpatrick"] == 6)
    mel2 = next(c for c in cells if c["diagnosis"] == "mel" and c["fitzpatrick"] == 2)
    assert (mel6["count"], mel6["synthetic"]) == (0, 1)
    assert (mel2["count"], mel2["synthetic"]) == (1, 0)
