"""A release's splits and the check that refuses to publish near-duplicates across them."""

import io

import pytest
from PIL import Image

from repository.models import NearDuplicatePair
from repository.services.ingest import image_ingest
from repository.services.moderation import image_publish
from repository.services.near_duplicates import near_duplicate_pair_decide
from repository.services.release_checks import release_leakage, release_splits
from repository.services.releases import release_cut
from tests.conftest import demo_bytes, demo_rows, ingest, metadata

pytestmark = pytest.mark.django_db


def _copy_of(image_id: str) -> bytes:
    image = Image.open(io.BytesIO(demo_bytes(image_id))).convert("RGB")
    w, h = image.size
    out = io.BytesIO()
    image.crop((0, 0, int(w * 0.9), int(h * 0.9))).save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def released(clinician, moderator):
    """Twelve public images, one of them also uploaded as a cropped copy under no lesion id."""
    ids = [r["image_id"] for r in demo_rows()[:12]]
    images = [ingest(clinician, image_id, diagnosis="nv", fitzpatrick=5) for image_id in ids]
    copy = image_ingest(
        contributor=clinician,
        fileobj=io.BytesIO(_copy_of(ids[0])),
        metadata=metadata(diagnosis="nv", fitzpatrick=5),
    )
    for image in [*images, copy]:
        image_publish(image=image, moderator=moderator)
    release = release_cut(moderator=moderator, tag="2026.11", title="November")
    return release, images[0], copy


def _seed_that_separates(release, a, b) -> int:
    for seed in range(200):
        splits = release_splits(release, seed=seed)
        if splits.assignment[f"real-{a.pk}"].split != splits.assignment[f"real-{b.pk}"].split:
            return seed
    raise AssertionError("no seed separates them")


def test_every_image_of_a_release_has_a_split_by_lesion(released):
    release, original, copy = released
    splits = release_splits(release)
    assert len(splits.assignment) == 13
    assert {a.split for a in splits.assignment.values()} <= {"train", "validation", "test"}
    assert release_splits(release).assignment == splits.assignment


def test_near_duplicates_on_two_sides_of_a_split_block_the_release(released, moderator):
    release, original, copy = released
    splits = release_splits(release, seed=_seed_that_separates(release, original, copy))
    problems = release_leakage(release, splits)
    assert len(problems) == 1
    message, params = problems[0]
    text = message % params  # a catalogued message, worded in the reader's language when shown
    assert f"real-{original.pk}" in text and f"real-{copy.pk}" in text
    assert "/moderation/near-duplicates/" in text


def test_calling_the_pair_the_same_lesion_puts_it_on_one_side(released, moderator):
    release, original, copy = released
    seed = _seed_that_separates(release, original, copy)
    pair = NearDuplicatePair.objects.get()
    near_duplicate_pair_decide(pair=pair, moderator=moderator, decision="same_lesion")
    splits = release_splits(release, seed=seed)
    a, b = splits.assignment[f"real-{original.pk}"], splits.assignment[f"real-{copy.pk}"]
    assert a.split == b.split and a.lesion_group == b.lesion_group
    assert release_leakage(release, splits) == []


def test_a_pair_called_different_does_not_block(released, moderator):
    release, original, copy = released
    seed = _seed_that_separates(release, original, copy)
    near_duplicate_pair_decide(
        pair=NearDuplicatePair.objects.get(), moderator=moderator, decision="different"
    )
    assert release_leakage(release, release_splits(release, seed=seed)) == []


def test_a_release_with_near_duplicates_across_splits_is_not_published(
    released, moderator, monkeypatch
):
    from repository.services import release_checks
    from repository.tasks import build_release_task

    release, original, copy = released
    monkeypatch.setattr(release_checks, "SPLIT_SEED", _seed_that_separates(release, original, copy))
    build_release_task(release.pk)
    release.refresh_from_db()
    assert release.status == release.Status.FAILED
    assert f"real-{original.pk}" in release.error and "near-duplicates" in release.error
    assert not release.file


def test_a_published_release_carries_its_splits_citation_and_a_manifest_of_urls(
    client, clinician, moderator, settings
):
    import csv
    import hashlib
    import json
    import zipfile

    import pandas as pd
    import yaml

    from repository.exporting.citation import datacite_errors
    from repository.tasks import build_release_task
    from tests.repository.test_exports import make_catalogue

    make_catalogue(clinician, moderator)
    settings.PIXGEN_SITE_URL = "http://testserver"
    release = release_cut(moderator=moderator, tag="2026.12", title="December")
    build_release_task(release.pk)
    release.refresh_from_db()
    assert release.is_published, release.error
    body = b"".join(client.get(f"/releases/{release.tag}/download/").streaming_content)
    zf = zipfile.ZipFile(io.BytesIO(body))
    table = list(csv.DictReader(io.StringIO(zf.read("metadata.csv").decode())))
    assert {r["split"] for r in table} <= {"train", "validation", "test"}
    assert all(r["holdout_light_to_dark"] in ("train", "test", "excluded") for r in table)
    synthetic = [r for r in table if r["origin"] == "synthetic"]
    source = next(r for r in table if r["uid"] == f"real-{synthetic[0]['source_image']}")
    assert synthetic[0]["split"] == source["split"]
    assert synthetic[0]["lesion_key"] == source["lesion_key"]
    frame = pd.read_parquet(io.BytesIO(zf.read("metadata.parquet")))
    assert list(frame["split"]) == [r["split"] for r in table]
    assert json.loads(zf.read("splits.json"))["seed"]
    assert datacite_errors(json.loads(zf.read("datacite.json"))) == []
    assert yaml.safe_load(zf.read("CITATION.cff"))["version"] == "2026.12"
    manifest = json.loads(zf.read("manifest.json"))
    for entry in manifest["files"][:3] + manifest["files"][-3:]:
        response = client.get(entry["url"].removeprefix("http://testserver"))
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
    assert client.get(f"/releases/{release.tag}/files/no/such.jpg").status_code == 404
    first = manifest["files"][0]
    part = client.get(
        first["url"].removeprefix("http://testserver"), headers={"Range": "bytes=0-9"}
    )
    assert part.status_code == 206 and len(part.content) == 10
