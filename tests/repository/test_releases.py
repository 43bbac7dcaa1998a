"""Releases: cut by moderators only, frozen, downloadable as the same bytes every time, and
each lists what was withdrawn since the previous one."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from repository.models import Release
from repository.services.moderation import image_publish, image_withdraw
from repository.services.releases import release_cut, release_stream
from repository.tasks import build_release_task
from synthesis.models import SyntheticImage
from tests.conftest import ingest
from tests.repository.test_exports import make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(clinician, moderator):
    return make_catalogue(clinician, moderator)


def _cut(moderator, tag="2026.11", **kwargs) -> Release:
    release = release_cut(moderator=moderator, tag=tag, title=f"PixGen {tag}", **kwargs)
    build_release_task(release.pk)
    release.refresh_from_db()
    return release


def _download(client, tag) -> bytes:
    response = client.get(f"/releases/{tag}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_only_moderators_cut_releases(catalogue, clinician, researcher, client):
    with pytest.raises(PermissionDenied):
        release_cut(moderator=clinician, tag="2026.11", title="x")
    client.force_login(researcher)
    assert client.get("/releases/new/").status_code == 403
    assert client.post("/releases/new/", {"tag": "2026.11", "title": "x"}).status_code == 403
    assert not Release.objects.exists()


@pytest.mark.parametrize("tag", ["2026-11", "2026.13", "26.11", "2026.11.0", "2026.11/x", ""])
def test_tags_are_validated(db, moderator, tag):
    with pytest.raises(ValidationError) as caught:
        release_cut(moderator=moderator, tag=tag, title="A release")
    assert "tag" in caught.value.message_dict


def test_the_cut_form_shows_bad_and_duplicate_tags(catalogue, moderator, client):
    client.force_login(moderator)
    assert client.get("/releases/new/").status_code == 200
    response = client.post("/releases/new/", {"tag": "2026-11", "title": "November"})
    assert response.status_code == 400 and "YEAR.MONTH" in response.content.decode()
    response = client.post("/releases/new/", {"tag": "2026.11", "title": "November"})
    assert response.status_code == 302 and response["Location"] == "/releases/2026.11/"
    response = client.post("/releases/new/", {"tag": "2026.11", "title": "Again"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert Release.objects.count() == 1


def test_a_release_downloads_as_identical_bytes_every_time(catalogue, moderator, client):
    release = _cut(moderator, citation="Cite us like this.")
    assert release.status == Release.Status.SUCCEEDED and release.item_count == 5
    first, second = _download(client, "2026.11"), _download(client, "2026.11")
    assert first == second and hashlib.sha256(first).hexdigest() == release.sha256
    # The archive is a pure function of the frozen items: rebuilding gives the same bytes.
    assert b"".join(release_stream(release)) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {i.date_time for i in archive.infolist()} == {release.created_at.timetuple()[:6]}
    frozen = sorted(release.items.values_list("path", flat=True))
    assert frozen == sorted(n for n in archive.namelist() if n.startswith("images/"))
    readme = archive.read("README.md").decode()
    assert "Cite us like this." in readme and "first release" in readme
    build_release_task(release.pk)  # a second build leaves the published bytes alone
    assert _download(client, "2026.11") == first


def test_a_release_is_frozen_at_the_cut(catalogue, clinician, moderator, client):
    release = release_cut(moderator=moderator, tag="2026.11", title="November")
    late = ingest(clinician, "ISIC_0024336", diagnosis="df")
    image_publish(image=late, moderator=moderator)
    build_release_task(release.pk)
    archive = zipfile.ZipFile(io.BytesIO(_download(client, "2026.11")))
    assert not any(n.startswith("images/df/") for n in archive.namelist())


def test_a_withdrawal_after_a_release_is_listed_in_the_next(
    catalogue, clinician, moderator, client
):
    first = _cut(moderator, tag="2026.11")
    derived = SyntheticImage.objects.public().get(source_image__status="public")
    gone = derived.source_image
    image_withdraw(image=gone, user=clinician)
    second = _cut(moderator, tag="2026.12")
    uid = f"real-{gone.pk}"
    assert second.previous == first
    # Its synthetic derivative leaves too, as its source is no longer public.
    assert second.withdrawn == [
        {"uid": uid, "sha256": gone.sha256, "reason": "withdrawn"},
        {"uid": f"synthetic-{derived.pk}", "sha256": derived.sha256, "reason": "source withdrawn"},
    ]
    assert second.item_count == first.item_count - 2
    archive = zipfile.ZipFile(io.BytesIO(_download(client, "2026.12")))
    assert uid in archive.read("README.md").decode()
    assert f"real-{gone.pk:08d}" not in " ".join(archive.namelist())
    page = client.get("/releases/2026.12/").content.decode()
    assert uid in page and "2026.11" in page
    assert first.items.filter(uid=uid).exists()


def test_release_pages_are_public_once_published(catalogue, moderator, client):
    release = release_cut(moderator=moderator, tag="2026.11", title="November")
    assert client.get("/releases/").status_code == 200
    assert client.get("/releases/2026.11/").status_code == 404  # not built yet
    build_release_task(release.pk)
    page = client.get("/releases/2026.11/")
    assert page.status_code == 200 and "November" in page.content.decode()
    assert "2026.11" in client.get("/releases/").content.decode()
    assert client.get("/releases/2099.01/").status_code == 404


def test_a_failed_build_can_be_run_again(catalogue, moderator, client, monkeypatch):
    release = release_cut(moderator=moderator, tag="2026.11", title="November")

    def broken(name):
        raise OSError("disk full")

    monkeypatch.setattr("repository.services.archives.open_stored", broken)
    with pytest.raises(OSError):
        build_release_task(release.pk)
    release.refresh_from_db()
    assert release.status == Release.Status.FAILED and "disk full" in release.error
    assert not release.file
    monkeypatch.undo()
    client.force_login(moderator)
    assert client.post("/releases/2026.11/rebuild/").status_code == 302
    build_release_task(release.pk)
    release.refresh_from_db()
    assert release.status == Release.Status.SUCCEEDED


def test_cut_release_command_prints_the_sha256_last(catalogue, moderator, clinician, capsys):
    call_command(
        "cut_release", "--tag", "2026.11", "--title", "November", "--moderator", moderator.username
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == Release.objects.get(tag="2026.11").sha256
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "cut_release", "--tag", "2026.11", "--title", "x", "--moderator", moderator.username
        )
    with pytest.raises(CommandError, match="moderator role"):
        call_command(
            "cut_release", "--tag", "2026.12", "--title", "x", "--moderator", clinician.username
        )
    with pytest.raises(CommandError, match="No user"):
        call_command("cut_release", "--tag", "2026.12", "--title", "x", "--moderator", "nobody")
