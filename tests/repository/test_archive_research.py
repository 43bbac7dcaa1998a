"""What every archive now carries for research use: metadata.parquet, the ISIC-layout CSV, a
manifest of every file, and licence credit as XMP inside each image."""

import csv
import hashlib
import io

import pandas as pd
import pytest
from PIL import Image

from repository import isic
from tests.repository.test_exports import _zip, make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(clinician, moderator):
    catalogue = make_catalogue(clinician, moderator)
    return catalogue, _zip({"origin": "any"})


def test_metadata_parquet_has_one_typed_row_per_image(archive):
    catalogue, zf = archive
    frame = pd.read_parquet(io.BytesIO(zf.read("metadata.parquet")))
    table = list(csv.DictReader(io.StringIO(zf.read("metadata.csv").decode())))
    assert sorted(frame["uid"]) == sorted(catalogue["public"]) == sorted(r["uid"] for r in table)
    assert str(frame["fitzpatrick"].dtype) == "int8"
    assert str(frame["width"].dtype) == "int32"
    assert str(frame["created_at"].dtype).startswith("datetime64")
    assert list(frame.columns) == list(table[0])


def test_the_isic_csv_is_in_isics_vocabulary_and_names_each_file(archive):
    catalogue, zf = archive
    rows = list(csv.DictReader(io.StringIO(zf.read("isic_metadata.csv").decode())))
    assert sorted(r["isic_id"] for r in rows) == sorted(catalogue["public"])
    for row in rows:
        assert isic.validate_isic_row(row) == []
        assert row["filename"] in zf.namelist()
        expected = "Synthetic image made by PixGen" if row["image_manipulation"] else "Image"
        assert row["attribution"].startswith(expected)


def test_the_manifest_lists_every_file_with_size_and_checksum(archive):
    import json

    _catalogue, zf = archive
    manifest = json.loads(zf.read("manifest.json"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(zf.namelist()) - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        data = zf.read(path)
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert "url" not in entry  # a streamed export is not stored: no per-file URLs
    assert "manifest.json" in zf.read("SHA256SUMS").decode()


def test_every_exported_image_carries_its_licence_as_xmp(archive):
    _catalogue, zf = archive
    images = [n for n in zf.namelist() if n.startswith("images/")]
    assert images
    for name in images:
        with Image.open(io.BytesIO(zf.read(name))) as image:
            xmp = image.info.get("xmp")
        text = xmp.decode() if isinstance(xmp, bytes) else xmp
        assert "creativecommons.org/licenses/by/4.0/" in text
        assert "contributed by" in text
        for private in ("diagnosis", "fitzpatrick", "sex", "age_bin"):
            assert private not in text.lower()
