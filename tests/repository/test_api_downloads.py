import io
import zipfile

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from repository.models import Export
from repository.services.moderation import image_publish
from tests.conftest import demo_rows, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(clinician, moderator):
    rows = demo_rows()
    images = [
        ingest(clinician, rows[i]["image_id"], diagnosis=dx) for i, dx in enumerate(["mel", "nv"])
    ]
    for image in images:
        image_publish(image=image, moderator=moderator)
    return images


def test_small_export_streams_a_zip_of_the_filter(published):
    response = APIClient().get("/api/v1/exports/?diagnosis=mel&layout=imagefolder")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    images = [n for n in archive.namelist() if n.startswith("images/")]
    assert len(images) == 1 and images[0].startswith("images/mel/")
    assert {"metadata.csv", "SHA256SUMS", "croissant.json"} <= set(archive.namelist())


def test_large_export_is_a_job(published, researcher, settings):
    settings.PIXGEN_EXPORT_STREAM_MAX = 1
    api = APIClient()
    response = api.get("/api/v1/exports/")
    assert response.status_code == 413 and "POST" in response.json()["detail"]
    assert api.post("/api/v1/exports/").status_code == 401
    api.force_authenticate(researcher)
    created = api.post("/api/v1/exports/?layout=flat&seed=3")
    assert created.status_code == 202 and created.json()["status"] == "queued"
    export = Export.objects.get()
    assert api.get(f"/api/v1/exports/{export.pk}/").json()["download"] is None


@pytest.mark.parametrize("query", ["layout=pile", "augment=sepia", "seed=x", "colour=red"])
def test_bad_export_queries_are_400(published, query):
    response = APIClient().get(f"/api/v1/exports/?{query}")
    assert response.status_code == 400 and response.json()


def test_someone_elses_export_is_404(published, researcher, clinician, settings):
    settings.PIXGEN_EXPORT_STREAM_MAX = 1
    api = APIClient()
    api.force_authenticate(researcher)
    pk = api.post("/api/v1/exports/").json()["id"]
    api.force_authenticate(clinician)
    assert api.get(f"/api/v1/exports/{pk}/").status_code == 404


def test_releases_are_listed_with_their_checksum(published, moderator, capsys):
    call_command(
        "cut_release", "--tag", "2026.11", "--title", "November", "--moderator", moderator.username
    )
    sha = capsys.readouterr().out.strip().splitlines()[-1]
    api = APIClient()
    [release] = api.get("/api/v1/releases/").json()
    assert release["tag"] == "2026.11" and release["sha256"] == sha and release["item_count"] == 2
    assert (
        api.get("/api/v1/releases/2026.11/")
        .json()["download"]
        .endswith("/releases/2026.11/download/")
    )
    assert api.get("/api/v1/releases/1999.01/").status_code == 404
