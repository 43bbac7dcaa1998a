"""Impossible dates and NUL bytes: a 400 (or 404) with a message, JSON on the API and the site's
own page on the web, never a 500. The campaign of issue 11 found each of these."""

import pytest
from rest_framework.test import APIClient

from repository.services.moderation import image_publish
from tests.conftest import ingest

pytestmark = pytest.mark.django_db

IMPOSSIBLE_DATES = [
    "2020-13-45",
    "2020-01-01T25:00:00",
    "0000-01-01",
    "2020-01-01T00:00:00+99:00",
    "2020-02-30",
    "0001-01-01T00:00:00+05:00",  # a real instant before year 1 in UTC
    "9999-12-31T23:59:59-05:00",  # and one after year 9999
]


@pytest.fixture
def catalogue(clinician, moderator):
    image_publish(image=ingest(clinician), moderator=moderator)


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("name", ["created_after", "created_before"])
@pytest.mark.parametrize("path", ["/api/v1/images/", "/api/v1/exports/"])
def test_an_impossible_date_is_a_400_with_a_message(catalogue, path, name, value):
    response = APIClient().get(path, {name: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert value in response.json()[name][0]


def test_an_impossible_date_on_a_large_export_is_a_400(catalogue, researcher):
    api = APIClient()
    api.force_authenticate(researcher)
    response = api.post("/api/v1/exports/?created_before=2020-02-30")
    assert response.status_code == 400 and "created_before" in response.json()


def test_a_possible_date_still_filters(catalogue):
    api = APIClient()
    assert len(api.get("/api/v1/images/", {"created_after": "2000-01-01"}).json()["results"]) == 1
    assert api.get("/api/v1/images/", {"created_before": "2000-01-01"}).json()["results"] == []
    far_east = api.get("/api/v1/images/", {"created_after": "2000-01-01T00:00+23:59"})
    assert far_east.status_code == 200 and len(far_east.json()["results"]) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/images/?contributor=%00",
        "/api/v1/images/?diagnosis=mel%00",
        "/api/v1/images/?%00=1",
        "/api/v1/releases/%00/",
        "/api/v1/exports/?lesion_identifier=a%00b",
    ],
)
def test_a_nul_byte_on_the_api_is_a_json_400(catalogue, url):
    response = APIClient().get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/releases/%00/",
        "/requests/?diagnosis=%00",
        "/synthesis/classifiers/%00/",
        "/synthesis/gans/%00/",
        "/moderation/users/?q=%00",
        "/images/?page=%00",
    ],
)
def test_a_nul_byte_on_a_page_is_the_sites_400_page(client, moderator, url):
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "NUL" in page and 'class="brand"' in page  # the site's own layout, not a bare page


def test_a_nul_byte_in_an_export_form_is_a_400_page(client, catalogue):
    response = client.post("/images/export/", {"contributor": "x\x00"})
    assert response.status_code == 400 and "NUL" in response.content.decode()


def test_an_unknown_api_address_is_a_json_404_and_a_page_the_sites_404(client):
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and "nothing at this address" in api.json()["detail"]
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and 'class="brand"' in page.content.decode()


def test_a_refusal_on_a_page_says_why_on_the_sites_403_page(client, clinician):
    client.force_login(clinician)
    response = client.get("/moderation/")
    assert response.status_code == 403
    assert "for moderators" in response.content.decode()
    assert 'class="brand"' in response.content.decode()


def test_the_500_page_needs_no_database_and_the_api_gets_json(rf):
    from repository.views.errors import server_error

    api = server_error(rf.get("/api/v1/images/"))
    assert api.status_code == 500 and "try again" in api.content.decode()
    page = server_error(rf.get("/images/"))
    assert page.status_code == 500 and "<h1>" in page.content.decode()
