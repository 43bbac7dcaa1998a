"""The API's metadata CSV: PixGen's columns or the ISIC Archive's, for the filtered catalogue."""

import csv
import io

import pytest

from repository import isic
from repository.models import LesionImage
from tests.repository.test_exports import make_catalogue

pytestmark = pytest.mark.django_db


def _csv(client, query) -> list[dict]:
    response = client.get(f"/api/v1/metadata.csv?{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_isic_layout_lists_public_images_in_isics_valid_vocabulary(
    client, clinician, moderator
):
    catalogue = make_catalogue(clinician, moderator)
    rows = _csv(client, "layout=isic")
    assert sorted(r["isic_id"] for r in rows) == sorted(catalogue["public"])
    assert list(rows[0]) == isic.ISIC_COLUMNS
    for row in rows:
        assert isic.validate_isic_row(row) == [], row
        assert row["fitzpatrick_skin_type"] in ("IV", "V", "VI")
        assert row["copyright_license"] == "CC-BY"


def test_a_synthetic_row_is_marked_synthetic_and_carries_its_sources_lesion(
    client, clinician, moderator
):
    make_catalogue(clinician, moderator)
    rows = {r["isic_id"]: r for r in _csv(client, "layout=isic")}
    [synthetic] = [r for uid, r in rows.items() if uid.startswith("synthetic-")]
    assert synthetic["image_manipulation"] == "synthetic"
    source = LesionImage.objects.get(synthetic_images__pk=int(synthetic["isic_id"].split("-")[1]))
    assert synthetic["lesion_id"] == f"real-{source.pk}" == rows[f"real-{source.pk}"]["lesion_id"]


def test_the_pixgen_layout_filters_like_the_catalogue(client, clinician, moderator):
    make_catalogue(clinician, moderator)
    rows = _csv(client, "diagnosis=bcc&origin=real")
    assert rows and {r["diagnosis"] for r in rows} == {"bcc"}
    assert {r["origin"] for r in rows} == {"real"}


def test_a_cell_that_looks_like_a_formula_stays_text(client, clinician, moderator):
    from repository.services.moderation import image_publish
    from tests.conftest import ingest

    image = ingest(clinician, lesion_identifier='=HYPERLINK("http://x")')
    image_publish(image=image, moderator=moderator)
    [row] = _csv(client, "layout=pixgen")
    assert row["lesion_identifier"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("query", ["layout=excel", "colour=red", "fitzpatrick=9"])
def test_bad_parameters_are_400_with_a_message(client, query):
    response = client.get(f"/api/v1/metadata.csv?{query}")
    assert response.status_code == 400
    assert response.json()
