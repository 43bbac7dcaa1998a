"""The datasheet inside an export follows the reader's language; a release's stays English."""

import datetime as dt
import io
import zipfile

import pytest

from repository.exporting.datasheet import readme
from repository.exporting.spec import ArchiveSpec, Tally

WHEN = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def _tally() -> Tally:
    tally = Tally()
    row = {"origin": "real", "diagnosis": "mel", "fitzpatrick": 5, "licence": "CC-BY-4.0"}
    tally.count({**row, "contributor": "dr-a"})
    return tally


@pytest.mark.parametrize(
    ("language", "heading", "counts"),
    [
        ("en", "## What is in it", "1 image(s): 1 real, 0 synthetic"),
        ("ja", "## 収録内容", "画像 1 枚：実画像 1 枚、合成画像 0 枚"),
        ("id", "## Isi arsip", "1 gambar: 1 asli, 0 sintetis"),
    ],
)
def test_datasheet_is_written_in_the_specs_language(language, heading, counts):
    text = readme(spec=ArchiveSpec(title="t", created_at=WHEN, language=language), tally=_tally())
    assert heading in text and counts in text
    assert "| mel | 1 | 1 |" in text  # codes and counts are the same in every language


def test_a_release_datasheet_is_english_whatever_the_active_language():
    from django.utils import translation

    spec = ArchiveSpec(title="t", created_at=WHEN, release_tag="2026.11")
    with translation.override("ja"):
        text = readme(spec=spec, tally=_tally())
    assert "## What is in it" in text and "This is the first release." in text


@pytest.mark.django_db
def test_a_streamed_export_has_its_datasheet_in_the_requested_language(client):
    response = client.get("/api/v1/exports/", headers={"accept-language": "id"})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read("README.md").decode()
    assert text.startswith("# Ekspor dataset PixGen") and "## Cara pembuatan" in text


@pytest.mark.django_db
def test_an_export_carries_the_datasheet_in_every_language_beside_its_own(client):
    response = client.get("/api/v1/exports/", headers={"accept-language": "ja"})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"README.md", "README.en.md", "README.id.md"} <= names and "README.ja.md" not in names
    assert archive.read("README.md").decode().startswith("# ")
    assert "## 収録内容" in archive.read("README.md").decode()
    assert "## What is in it" in archive.read("README.en.md").decode()
    assert "## Isi arsip" in archive.read("README.id.md").decode()
    # Every datasheet is listed in SHA256SUMS like any other member.
    sums = archive.read("SHA256SUMS").decode()
    assert all(f"  {name}\n" in sums for name in ("README.md", "README.en.md", "README.id.md"))


def test_a_release_has_the_same_datasheets_whatever_the_active_language():
    from django.utils import translation

    from repository.exporting.datasheet import readmes

    spec = ArchiveSpec(title="t", created_at=WHEN, release_tag="2026.11")
    with translation.override("ja"):
        in_japanese = readmes(spec=spec, tally=_tally())
    with translation.override("id"):
        in_indonesian = readmes(spec=spec, tally=_tally())
    assert in_japanese == in_indonesian
    files = dict(in_japanese)
    assert list(files) == ["README.md", "README.ja.md", "README.id.md"]
    assert "## What is in it" in files["README.md"]
    assert "## 収録内容" in files["README.ja.md"] and "## Isi arsip" in files["README.id.md"]
    assert "`README.ja.md`, `README.id.md`" in files["README.md"]
