"""Balanced exports: at most N per diagnosis × Fitzpatrick cell, synthetic fill up to a share,
the sample and its seed in the manifest, and a clear refusal when more is asked than exists."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from repository.models import Export
from repository.tasks import build_export_task
from tests.repository.test_exports import make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(clinician, moderator):
    # public real: akiec/4, akiec/5, bcc/6, bkl/4; approved synthetic of akiec/5 targeting VI
    return make_catalogue(clinician, moderator)


def _export(client, query) -> zipfile.ZipFile:
    response = client.get(f"/api/v1/exports/?{query}")
    assert response.status_code == 200, response.content
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _uids(zf) -> list[str]:
    return sorted(json.loads(line)["uid"] for line in zf.read("metadata.jsonl").splitlines())


def test_a_balanced_export_takes_at_most_n_per_cell_and_records_the_sample(catalogue, client):
    zf = _export(client, "origin=real&balance=1&seed=3")
    manifest = json.loads(zf.read("manifest.json"))
    sampling = manifest["sampling"]
    assert sampling["per_cell"] == 1 and sampling["seed"] == 3
    assert sum(c["real_taken"] for c in sampling["cells"].values()) == len(_uids(zf)) == 4
    assert all(c["real_taken"] <= 1 for c in sampling["cells"].values())
    assert _uids(_export(client, "origin=real&balance=1&seed=3")) == _uids(zf)


def test_thin_cells_fill_with_synthetic_images_only_when_asked(catalogue, client):
    without = _export(client, "origin=any&balance=1")
    assert not [u for u in _uids(without) if u.startswith("synthetic-")]
    # The synthetic image sits alone in its cell (akiec × VI): with no real image there,
    # no share of synthetic images is allowed short of 1.
    half = _export(client, "origin=any&balance=1&synthetic_ratio=0.5")
    assert not [u for u in _uids(half) if u.startswith("synthetic-")]
    full = _export(client, "origin=any&balance=1&synthetic_ratio=1")
    assert [u for u in _uids(full) if u.startswith("synthetic-")] == catalogue["public"][-1:]


def test_asking_for_more_than_exists_is_400_saying_what_exists(catalogue, client):
    response = client.get("/api/v1/exports/?origin=real&balance=5")
    assert response.status_code == 400
    message = json.dumps(response.json())
    assert "up to 5" in message and "akiec" in message and "1 real" in message


@pytest.mark.parametrize(
    "query",
    ["balance=x", "balance=0", "balance=1&synthetic_ratio=2", "synthetic_ratio=0.5"],
)
def test_bad_balance_options_are_400(catalogue, client, query):
    response = client.get(f"/api/v1/exports/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_the_command_line_says_what_exists(catalogue, tmp_path):
    with pytest.raises(CommandError, match="up to 9"):
        call_command("export_dataset", "--out", str(tmp_path / "x.zip"), "--balance", "9")
    assert not list(tmp_path.iterdir())


def test_a_built_balanced_export_keeps_its_sample_and_serves_each_file(
    catalogue, client, researcher, settings
):
    settings.PIXGEN_EXPORT_STREAM_MAX = 1
    settings.PIXGEN_SITE_URL = "http://testserver"
    client.force_login(researcher)
    response = client.post("/api/v1/exports/?origin=real&balance=1&seed=5")
    assert response.status_code == 202, response.content
    export = Export.objects.get()
    build_export_task(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.SUCCEEDED and export.item_count == 4
    body = b"".join(client.get(f"/exports/{export.pk}/download/").streaming_content)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("manifest.json"))
    assert manifest["sampling"]["seed"] == 5
    entry = manifest["files"][0]
    got = client.get(entry["url"].removeprefix("http://testserver"))
    assert got.status_code == 200 and got["X-Checksum-SHA256"] == entry["sha256"]
