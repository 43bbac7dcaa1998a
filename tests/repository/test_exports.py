"""Dataset exports: what the ZIP holds, what it never holds, and how it is delivered."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from PIL import Image

from repository.exporting.archive import archive_stream
from repository.exporting.spec import ArchiveSpec
from repository.models import Export
from repository.services.archives import open_stored as _open
from repository.services.catalogue import catalogue_query
from repository.services.catalogue_counts import catalogue_counts_rebuild
from repository.services.exports import (
    catalogue_rows,
    export_create,
    export_plan,
    export_stream,
)
from repository.services.moderation import image_publish, image_reject, image_withdraw
from repository.tasks import build_export_task
from synthesis.models import SyntheticImage
from tests.conftest import DEMO_DIR, demo_bytes, ingest, stored_files

pytestmark = pytest.mark.django_db

# (image_id, diagnosis): three diagnoses, full-resolution and small files.
PICKS = [
    ("ISIC_0024329", "akiec"),
    ("ISIC_0024579", "akiec"),
    ("ISIC_0024331", "bcc"),
    ("ISIC_0024312", "bkl"),
    ("ISIC_0024324", "bkl"),
    ("ISIC_0024332", "bcc"),
    ("ISIC_0024345", "bcc"),
]


def _synthetic(source, *, status, user, image_id="ISIC_0024360"):
    data = demo_bytes(image_id)
    name = default_storage.save(f"synthetic/{image_id}-{status}.jpg", ContentFile(data))
    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
    return SyntheticImage.objects.create(
        image=name,
        thumbnail=name,
        sha256=hashlib.sha256(data + status.encode() + str(source.pk).encode()).hexdigest(),
        width=width,
        height=height,
        method=SyntheticImage.Method.TONE_TRANSFER,
        backend="reinhard",
        model_version="test-1",
        source_image=source,
        diagnosis=source.diagnosis,
        fitzpatrick=6,
        licence=source.licence,
        created_by=user,
        status=status,
        seed=11,
    )


def make_catalogue(clinician, moderator) -> dict:
    """4 public real images (one with a mask), 1 pending, 1 rejected, 1 withdrawn; synthetic:
    1 approved, 1 pending review, 1 approved from the withdrawn source."""
    images = [
        ingest(clinician, image_id, diagnosis=dx, fitzpatrick=4 + i % 3, source_note=note)
        for i, ((image_id, dx), note) in enumerate(
            zip(PICKS, ["HAM10000 (Tschandl et al. 2018)"] * 7, strict=True)
        )
    ]
    public, pending, rejected, withdrawn = images[:4], images[4], images[5], images[6]
    for image in [*public, withdrawn]:
        image_publish(image=image, moderator=moderator)
    image_reject(image=rejected, moderator=moderator, reason="Face visible")
    image_withdraw(image=withdrawn, user=clinician)
    mask = (DEMO_DIR / "masks" / f"{PICKS[0][0]}.png").read_bytes()
    public[0].mask = default_storage.save("masks/test/first.png", ContentFile(mask))
    public[0].save(update_fields=["mask"])
    approved = _synthetic(public[1], status="approved", user=moderator)
    hidden = [
        _synthetic(public[2], status="pending_review", user=moderator),
        _synthetic(withdrawn, status="approved", user=moderator, image_id="ISIC_0024403"),
    ]
    # The synthetic rows were written directly, not through the review service that keeps
    # the gallery's facet counts: recount them as the command would.
    catalogue_counts_rebuild()
    return {
        "public": [f"real-{i.pk}" for i in public] + [f"synthetic-{approved.pk}"],
        "hidden": [f"real-{i.pk}" for i in (pending, rejected, withdrawn)]
        + [f"synthetic-{s.pk}" for s in hidden],
        "masked": f"real-{public[0].pk}",
    }


@pytest.fixture
def catalogue(clinician, moderator):
    return make_catalogue(clinician, moderator)


def _zip(params=None, **options) -> zipfile.ZipFile:
    plan = export_plan(params={**(params or {}), **options})
    _name, stream, _count = export_stream(
        query=plan.query, layout=plan.layout, augment=plan.augment, seed=plan.seed
    )
    return zipfile.ZipFile(io.BytesIO(b"".join(stream)))


def _metadata(archive: zipfile.ZipFile) -> tuple[list[dict], list[dict]]:
    table = list(csv.DictReader(io.StringIO(archive.read("metadata.csv").decode())))
    lines = [json.loads(line) for line in archive.read("metadata.jsonl").decode().splitlines()]
    return table, lines


def test_archive_holds_every_part_and_its_checksums_verify(catalogue):
    archive = _zip({"origin": "any"})
    names = archive.namelist()
    for member in ("metadata.csv", "metadata.jsonl", "LICENSES.md", "README.md"):
        assert member in names
    assert names[-1] == "SHA256SUMS" and archive.testzip() is None
    sums = dict(
        reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines()
    )
    assert set(sums) == set(names) - {"SHA256SUMS"}
    for member, digest in sums.items():
        assert hashlib.sha256(archive.read(member)).hexdigest() == digest
    table, lines = _metadata(archive)
    assert [r["uid"] for r in table] == [r["uid"] for r in lines]
    assert sorted(r["uid"] for r in table) == sorted(catalogue["public"])
    for row, line in zip(table, lines, strict=True):
        assert row["file_name"] == line["file_name"] and row["file_name"] in names
        assert row["file_sha256"] == sums[row["file_name"]]
        assert (
            row["diagnosis"] == line["diagnosis"] and int(row["fitzpatrick"]) == line["fitzpatrick"]
        )
    masked = next(r for r in lines if r["uid"] == catalogue["masked"])
    assert masked["mask_file_name"] in names and masked["mask_file_name"].startswith("masks/")
    synthetic = next(r for r in lines if r["origin"] == "synthetic")
    assert synthetic["method"] == "tone_transfer" and synthetic["source_image"]
    readme = archive.read("README.md").decode()
    assert "4 real, 1 synthetic" in readme and "reviewed and approved" in readme
    assert "| akiec |" in readme and "PixGen 0." in readme
    licences = archive.read("LICENSES.md").decode()
    assert "https://creativecommons.org/licenses/by/4.0/" in licences
    assert "### " + "user" in licences and "Tschandl" in licences and "Credit line" in licences


def test_hidden_images_never_leave_in_any_export(catalogue, client):
    for params in ({"origin": "any"}, {"origin": "synthetic"}, {"diagnosis": "bcc,bkl"}):
        uids = {r["uid"] for r in _metadata(_zip(params))[1]}
        assert not uids & set(catalogue["hidden"])
    response = client.post("/images/export/", {"origin": "any", "layout": "imagefolder"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    uids = {r["uid"] for r in _metadata(archive)[1]}
    assert uids == set(catalogue["public"])
    for uid in catalogue["hidden"]:
        assert not any(
            uid.split("-")[1].zfill(8) in n and uid.split("-")[0] in n for n in archive.namelist()
        )


def test_imagefolder_layout_loads_with_torchvision(catalogue, tmp_path):
    from torchvision.datasets import ImageFolder

    _zip({"origin": "any"}, layout="imagefolder").extractall(tmp_path)
    dataset = ImageFolder(root=tmp_path / "images")
    assert dataset.classes == ["akiec", "bcc", "bkl"]
    assert len(dataset) == 5
    image, label = dataset[0]
    assert image.size[0] > 0 and dataset.classes[label] == "akiec"
    masks = list((tmp_path / "masks").rglob("*.png"))
    assert [m.parent.name for m in masks] == ["akiec"]


def _members(archive, prefix):
    return {n: archive.read(n) for n in archive.namelist() if n.startswith(prefix)}


def test_augmentations_are_deterministic_per_seed_and_recorded(catalogue):
    options = {"augment": "noise,blur,crop,jpeg", "seed": "7"}
    first, again = _zip(**options), _zip(**options)
    other = _zip(augment="noise,blur,crop,jpeg", seed="8")
    assert _members(first, "images/") == _members(again, "images/")
    assert _members(first, "masks/") == _members(again, "masks/")
    assert _members(first, "images/") != _members(other, "images/")
    plain = _zip()
    assert set(_members(plain, "images/")) == set(_members(first, "images/"))
    for row in _metadata(first)[1]:
        params = row["augmentation"]
        assert params["seed"] == 7 and set(params) >= {"noise", "blur", "crop", "jpeg"}
        with Image.open(io.BytesIO(first.read(row["file_name"]))) as im:
            assert im.size == (row["width"], row["height"])
            box = params["crop"]["box"]
            assert im.size == (box[2] - box[0], box[3] - box[1])
        if row["mask_file_name"]:
            with Image.open(io.BytesIO(first.read(row["mask_file_name"]))) as mask:
                assert mask.size == im.size
    csv_row = _metadata(first)[0][0]
    assert json.loads(csv_row["augmentation"])["jpeg"]["quality"] >= 30
    assert "seed 7" in first.read("README.md").decode()


def test_croissant_metadata_validates_and_loads_with_mlcroissant(catalogue, tmp_path):
    import mlcroissant as mlc

    _zip({"origin": "any"}, layout="imagefolder").extractall(tmp_path)
    dataset = mlc.Dataset(jsonld=str(tmp_path / "croissant.json"))
    records = list(dataset.records(record_set="records"))
    assert len(records) == 5
    uids = {r["records/uid"].decode() for r in records}
    assert uids == set(catalogue["public"])
    meta = json.loads((tmp_path / "croissant.json").read_text())
    csv_sha = hashlib.sha256((tmp_path / "metadata.csv").read_bytes()).hexdigest()
    assert meta["distribution"][0]["sha256"] == csv_sha


def test_the_stream_yields_bounded_chunks_not_a_whole_archive(catalogue):
    _name, stream, count = export_stream(
        query=catalogue_query({"origin": "any"}), layout="flat", augment=(), seed=0
    )
    sizes = [len(chunk) for chunk in stream]
    assert count == 5 and len(sizes) > 20
    assert max(sizes) <= 80 * 1024 < sum(sizes)


def test_same_rows_and_spec_give_byte_identical_archives(catalogue):
    import datetime as dt

    spec = ArchiveSpec(title="t", created_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC))

    def build() -> bytes:
        rows = catalogue_rows(catalogue_query({"origin": "any"}), layout="flat")
        return b"".join(archive_stream(rows=rows, spec=spec, open_file=_open))

    first = build()
    assert first == build()
    info = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert {i.date_time for i in info} == {(2026, 11, 1, 12, 0, 0)}
    images = [i.filename for i in info if i.filename.startswith("images/")]
    assert images == sorted(images)
    assert {i.compress_type for i in info if i.filename.endswith(".jpg")} == {zipfile.ZIP_STORED}
    assert zipfile.ZipFile(io.BytesIO(first)).getinfo("metadata.csv").compress_type == 8


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"colour": "red"}, "Unknown filter"),
        ({"fitzpatrick": "9"}, "Fitzpatrick"),
        ({"diagnosis": "nosuch"}, "Unknown diagnosis"),
        ({"layout": "tree"}, "layout is flat or imagefolder"),
        ({"augment": "rotate"}, "Unknown augmentation"),
        ({"seed": "abc"}, "not a whole number"),
        ({"seed": "-1"}, "seed is between"),
    ],
)
def test_bad_input_is_a_400_with_a_message(db, client, params, message):
    with pytest.raises(ValidationError):
        export_plan(params=params)
    response = client.post("/images/export/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    with pytest.raises(CommandError, match=message):
        if set(params) <= {"layout", "augment", "seed"}:
            key, value = next(iter(params.items()))
            call_command("export_dataset", "--out", "/tmp/x.zip", f"--{key}={value}")
        else:
            key, value = next(iter(params.items()))
            call_command("export_dataset", "--out", "/tmp/x.zip", "--filter", f"{key}={value}")


def test_large_export_becomes_a_job_that_builds_a_download(
    catalogue, client, clinician, researcher, settings, django_capture_on_commit_callbacks
):
    settings.PIXGEN_EXPORT_STREAM_MAX = 2
    response = client.post("/images/export/", {"origin": "any"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "csrf" not in response["Location"]
    client.force_login(researcher)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/images/export/", {"origin": "any", "layout": "imagefolder"})
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{export.pk}/"
    assert len(callbacks) == 1 and export.status == Export.Status.QUEUED
    page = client.get(f"/exports/{export.pk}/")
    assert page.status_code == 200 and page["Refresh"] == "5"
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404

    build_export_task(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.SUCCEEDED and export.item_count == 5
    body = b"".join(client.get(f"/exports/{export.pk}/download/").streaming_content)
    assert hashlib.sha256(body).hexdigest() == export.sha256 and len(body) == export.size
    assert "Refresh" not in client.get(f"/exports/{export.pk}/")
    finished, name = export.finished_at, export.file.name
    build_export_task(export.pk)  # idempotent: nothing happens to a finished export
    export.refresh_from_db()
    assert (export.finished_at, export.file.name) == (finished, name)
    client.force_login(clinician)
    assert client.get(f"/exports/{export.pk}/").status_code == 404
    assert client.get(f"/exports/{export.pk}/download/").status_code == 404


def test_a_failing_build_leaves_no_file_and_a_failed_status(catalogue, researcher, monkeypatch):
    export = export_create(user=researcher, params={"origin": "any"})
    calls = []

    def flaky(name):
        calls.append(name)
        if len(calls) > 2:
            raise OSError("storage went away")
        return default_storage.open(name, "rb")

    monkeypatch.setattr("repository.services.archives.open_stored", flaky)
    with pytest.raises(OSError):
        build_export_task(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and "storage went away" in export.error
    assert not export.file and not any(f.startswith("exports/") for f in stored_files())


def test_export_jobs_need_a_signed_in_user(catalogue):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_create(user=AnonymousUser(), params={})


def test_export_dataset_command_writes_the_zip_atomically(catalogue, tmp_path):
    out = tmp_path / "akiec.zip"
    call_command(
        "export_dataset",
        "--filter",
        "diagnosis=akiec",
        "--filter",
        "origin=any",
        "--out",
        str(out),
        "--layout",
        "imagefolder",
        "--augment",
        "crop",
        "--seed",
        "3",
    )
    archive = zipfile.ZipFile(out)
    rows = _metadata(archive)[1]
    assert {r["diagnosis"] for r in rows} == {"akiec"} and len(rows) == 3
    assert {r["origin"] for r in rows} == {"real", "synthetic"}
    assert all(r["file_name"].startswith("images/akiec/") for r in rows)
    assert all(r["augmentation"]["crop"] for r in rows)
    assert [p.name for p in tmp_path.iterdir()] == ["akiec.zip"]


def test_the_image_list_offers_the_current_filter_as_a_download(catalogue, client):
    page = client.get("/images/?diagnosis=akiec&fitzpatrick=&origin=real&page=1").content.decode()
    assert "Download these 2 images" in page
    assert 'name="diagnosis" value="akiec"' in page and 'name="page"' not in page
    assert '<option value="real" selected>' in page  # the count above is of real images
    every = client.get("/images/?diagnosis=akiec").content.decode()
    assert "Download these 3 images" in every and '<option value="any" selected>' in every
    form = {"diagnosis": "akiec", "fitzpatrick": "", "origin": "real", "layout": "flat"}
    response = client.post("/images/export/", {**form, "augment": ["crop", "blur"], "seed": "5"})
    rows = _metadata(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))))[1]
    assert [r["diagnosis"] for r in rows] == ["akiec", "akiec"]
    assert all(set(r["augmentation"]["order"]) == {"crop", "blur"} for r in rows)
