"""Credit inside the files (XMP) and citable releases (DataCite JSON, CITATION.cff)."""

import datetime as dt
import io

import pytest
import yaml
from PIL import Image

from repository.exporting import citation, xmp
from tests.conftest import demo_bytes

PACKET = dict(
    identifier="real-12",
    licence="CC-BY-NC-4.0",
    licence_url="https://creativecommons.org/licenses/by-nc/4.0/",
    credit='Images contributed by Dr "A" & B to PixGen',
    url="https://pixgen.example/images/12/",
)


def _png() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_bytes())).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_xmp_carries_licence_and_credit_and_leaves_the_pixels_alone(kind):
    original = demo_bytes() if kind == "jpeg" else _png()
    tagged = xmp.embed_xmp(original, xmp.xmp_packet(**PACKET))
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(tagged)) as b:
        assert a.tobytes() == b.tobytes()
        raw = b.info["xmp"]
    text = raw.decode() if isinstance(raw, bytes) else raw
    assert 'cc:license="https://creativecommons.org/licenses/by-nc/4.0/"' in text
    assert "Dr &quot;A&quot; &amp; B" in text
    assert "<dc:identifier>real-12</dc:identifier>" in text


def test_the_xmp_packet_says_nothing_about_the_patient():
    text = xmp.xmp_packet(**PACKET).decode()
    for word in ("diagnosis", "age", "sex", "fitzpatrick", "body", "mel"):
        assert word not in text.lower().replace("usage", "").replace("image", "")


RELEASE = citation.Citable(
    title="PixGen 2026.11: November 2026",
    version="2026.11",
    published=dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC),
    url="https://pixgen.example/releases/2026.11/",
    creators=("Dr Adaeze Obi", "clinician7"),
    licences=("CC-BY-4.0", "CC-BY-NC-4.0"),
    previous_url="https://pixgen.example/releases/2026.10/",
    item_count=35,
    size_bytes=123456,
)


def test_datacite_metadata_is_valid_against_the_datacite_4_5_schema():
    data = citation.datacite_metadata(RELEASE)
    assert citation.datacite_errors(data) == []
    assert data["types"]["resourceTypeGeneral"] == "Dataset"
    assert data["relatedIdentifiers"][0]["relationType"] == "IsNewVersionOf"
    assert [r["rightsIdentifier"] for r in data["rightsList"]] == ["CC-BY-4.0", "CC-BY-NC-4.0"]


def test_a_doi_is_written_once_a_prefix_is_configured():
    data = citation.datacite_metadata(
        citation.Citable(**{**RELEASE.__dict__, "doi": "10.5072/pixgen.2026.11"})
    )
    assert (data["doi"], data["prefix"], data["suffix"]) == (
        "10.5072/pixgen.2026.11",
        "10.5072",
        "pixgen.2026.11",
    )
    assert citation.datacite_errors(data) == []


def test_schema_violations_are_reported_not_written():
    data = citation.datacite_metadata(RELEASE)
    del data["titles"]
    data["types"]["resourceTypeGeneral"] = "Spreadsheet"
    errors = citation.datacite_errors(data)
    assert any("titles" in e for e in errors) and any("Spreadsheet" in e for e in errors)


def test_citation_cff_is_yaml_with_the_required_fields():
    cff = yaml.safe_load(citation.citation_cff(RELEASE))
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "dataset"
    assert cff["version"] == "2026.11"
    assert str(cff["date-released"]) == "2026-11-30"
    assert [a["name"] for a in cff["authors"]] == ["PixGen", "Dr Adaeze Obi", "clinician7"]
    assert cff["license"] == ["CC-BY-4.0", "CC-BY-NC-4.0"]
    assert cff["message"]
