"""Stored archives resume: byte ranges, a stable checksum in the headers, and 416 for a Range
header that is malformed or outside the file."""

import base64
import hashlib

import pytest

from repository import http_range
from repository.models import Release
from repository.services.releases import release_cut
from repository.tasks import build_release_task
from tests.repository.test_exports import make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def release(clinician, moderator) -> Release:
    make_catalogue(clinician, moderator)
    release = release_cut(moderator=moderator, tag="2026.11", title="PixGen 2026.11")
    build_release_task(release.pk)
    release.refresh_from_db()
    assert release.is_published
    return release


def _get(client, release, **headers):
    return client.get(f"/releases/{release.tag}/download/", headers=headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_archive_carries_its_checksum_and_says_it_takes_ranges(client, release):
    response = _get(client, release)
    body = _body(response)
    assert response.status_code == 200
    assert hashlib.sha256(body).hexdigest() == release.sha256
    assert response["ETag"] == f'"{release.sha256}"'
    assert response["X-Checksum-SHA256"] == release.sha256
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == len(body) == release.size


def test_an_interrupted_download_resumes_from_where_it_stopped(client, release):
    whole = _body(_get(client, release))
    cut = len(whole) // 3
    rest = _get(client, release, Range=f"bytes={cut}-")
    assert rest.status_code == 206
    assert rest["Content-Range"] == f"bytes {cut}-{len(whole) - 1}/{len(whole)}"
    assert whole[:cut] + _body(rest) == whole


def test_a_middle_range_and_a_suffix_range(client, release):
    whole = _body(_get(client, release))
    middle = _get(client, release, Range="bytes=10-19")
    assert (middle.status_code, _body(middle)) == (206, whole[10:20])
    assert middle["Content-Length"] == "10"
    tail = _get(client, release, Range="bytes=-100")
    assert _body(tail) == whole[-100:]


def test_a_range_past_the_end_is_clipped_to_the_file(client, release):
    whole = _body(_get(client, release))
    response = _get(client, release, Range=f"bytes={len(whole) - 5}-{len(whole) + 1000}")
    assert response.status_code == 206 and _body(response) == whole[-5:]


MALFORMED = [
    "bytes=abc-def",
    "bytes=10-5",
    "pages=0-10",
    "bytes=",
    "bytes=-0",
    "bytes=0-1,5-6",
    "0-10",
]


def test_a_malformed_range_is_416_not_500(client, release):
    for header in MALFORMED:
        response = _get(client, release, Range=header)
        assert response.status_code == 416, header
        assert response["Content-Range"] == f"bytes */{release.size}"
        assert response.content


def test_a_range_starting_past_the_end_is_416(client, release):
    response = _get(client, release, Range=f"bytes={release.size}-")
    assert response.status_code == 416
    assert str(release.size) in response.content.decode()


def test_if_range_with_another_checksum_sends_the_whole_new_file(client, release):
    response = _get(client, release, Range="bytes=0-9", If_Range='"0000"')
    assert response.status_code == 200
    assert hashlib.sha256(_body(response)).hexdigest() == release.sha256


def test_if_range_with_this_checksum_honours_the_range(client, release):
    response = _get(client, release, Range="bytes=0-9", If_Range=f'"{release.sha256}"')
    assert response.status_code == 206 and len(_body(response)) == 10


def test_parse_range_reads_open_closed_and_suffix_ranges():
    assert http_range.parse_range(None, 100) is None
    assert http_range.parse_range("bytes=0-", 100) == http_range.ByteRange(0, 99)
    assert http_range.parse_range("bytes=5-9", 100) == http_range.ByteRange(5, 9)
    assert http_range.parse_range("bytes=-10", 100) == http_range.ByteRange(90, 99)
    assert http_range.parse_range("bytes=-500", 100) == http_range.ByteRange(0, 99)


def test_a_release_offers_schema_valid_datacite_json_and_a_citation_file(client, release, settings):
    import json

    import yaml

    from repository.exporting.citation import datacite_errors

    settings.PIXGEN_DOI_PREFIX = "10.5072"
    response = client.get(f"/releases/{release.tag}/datacite.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert datacite_errors(data) == []
    assert data["doi"] == "10.5072/pixgen.2026.11"
    assert data["version"] == "2026.11"
    assert {"name": "PixGen", "nameType": "Organizational"} in data["creators"]
    assert len(data["creators"]) == 2  # PixGen and the one contributing clinician
    cff = yaml.safe_load(client.get(f"/releases/{release.tag}/CITATION.cff").content)
    assert cff["doi"] == "10.5072/pixgen.2026.11" and cff["version"] == "2026.11"
    api = client.get(f"/api/v1/releases/{release.tag}/").json()
    assert api["datacite"].endswith(f"/releases/{release.tag}/datacite.json")
    assert api["citation_cff"].endswith(f"/releases/{release.tag}/CITATION.cff")
