"""The web gallery: the API's filters as facets with counts, chips, sort, search by id, approved
synthetic images badged with their source, and previous/next on an image's page."""

import re

import pytest

from repository.models import LesionImage
from synthesis.models import SyntheticImage
from tests.repository.test_exports import make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(clinician, moderator):
    return make_catalogue(clinician, moderator)


def _uids(body: str) -> set[str]:
    real = {f"real-{n}" for n in re.findall(r'<li><a href="/images/(\d+)/\?in=', body)}
    synthetic = {
        f"synthetic-{n}" for n in re.findall(r'<li><a href="/synthesis/images/(\d+)/\?in=', body)
    }
    return real | synthetic


def _facet(body: str, label: str) -> dict[str, int]:
    block = re.search(rf"<summary>{label}</summary>(.*?)</details>", body, re.S).group(1)
    found = re.findall(
        r'<span class="facet-label">(?:<span class="visually-hidden">[^<]*</span>)?([^<]+)'
        r'</span> <span class="facet-count">(\d+)</span>',
        block,
    )
    return {name.strip(): int(n) for name, n in found}


def test_gallery_lists_real_and_approved_synthetic_images_badged(client, catalogue):
    body = client.get("/images/").content.decode()
    assert _uids(body) == set(catalogue["public"])
    assert "5 images" in body
    synthetic = SyntheticImage.objects.public().get()
    assert "Skin-tone transfer" in body and f"from real-{synthetic.source_image_id}" in body


@pytest.mark.parametrize(
    "query",
    [
        "diagnosis=akiec",
        "fitzpatrick=6",
        "diagnosis=akiec,bkl&fitzpatrick_min=5",
        "origin=synthetic",
        "origin=real&fitzpatrick_max=5",
    ],
)
def test_gallery_and_api_give_the_same_images_for_the_same_query(client, catalogue, query):
    page = _uids(client.get(f"/images/?{query}").content.decode())
    api = {r["uid"] for r in client.get(f"/api/v1/images/?{query}&fields=uid").json()["results"]}
    assert page == api and page


def test_facets_count_the_results_of_the_other_filters(client, catalogue):
    body = client.get("/images/?diagnosis=akiec").content.decode()
    assert "3 images" in body
    # the diagnosis facet ignores its own filter, so another diagnosis can be added
    assert _facet(body, "Diagnosis") == {
        "Actinic keratosis / intraepithelial carcinoma": 3,
        "Basal cell carcinoma": 1,
        "Benign keratosis": 1,
    }
    assert _facet(body, "Fitzpatrick type") == {"IV": 1, "V": 1, "VI": 1}
    assert _facet(body, "Real or synthetic") == {"Real images": 2, "Synthetic (reviewed)": 1}


def test_chips_remove_one_filter_and_clear_all_removes_every_one(client, catalogue):
    body = client.get("/images/?diagnosis=akiec&fitzpatrick=6").content.decode()
    chips = re.search(r'<ul class="chips".*?</ul>', body, re.S).group(0)
    assert 'href="/images/?fitzpatrick=6"' in chips  # removes the diagnosis
    assert 'href="/images/?diagnosis=akiec"' in chips  # removes the type
    assert '<a href="/images/" class="chip clear">Clear all</a>' in chips


def test_search_by_id_and_sort(client, catalogue):
    synthetic = SyntheticImage.objects.public().get()
    body = client.get(f"/images/?q=synthetic-{synthetic.pk}").content.decode()
    assert _uids(body) == {f"synthetic-{synthetic.pk}"}
    darkest = client.get("/images/?sort=darkest").content.decode()
    first = re.search(r'<ul class="gallery">\s*<li>.*?<span>([^<]*)</span></a></li>', darkest, re.S)
    assert first.group(1).endswith("· VI")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("fitzpatrick=9", "Fitzpatrick type must be I–VI"),
        ("colour=red", "Unknown filter"),
        ("sort=sideways", "Sort by one of"),
        ("q=drop+table", "Search by an image id"),
    ],
)
def test_a_bad_filter_is_a_400_page_that_says_why(client, catalogue, query, message):
    response = client.get(f"/images/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_image_page_steps_through_the_results(client, catalogue):
    body = client.get("/images/?origin=real&sort=oldest").content.decode()
    links = re.findall(r'<li><a href="(/images/\d+/\?in=[^"]+)"', body)
    assert len(links) == 4
    middle = client.get(links[1].replace("&amp;", "&")).content.decode()
    assert 'rel="prev"' in middle and 'rel="next"' in middle
    assert links[0].split("?")[0] in middle and links[2].split("?")[0] in middle
    last = client.get(links[3].replace("&amp;", "&")).content.decode()
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_image_page_mask_off_by_default_downloads_citation_and_same_lesion(
    client, catalogue, clinician, moderator
):
    image = LesionImage.objects.get(pk=int(catalogue["masked"].split("-")[1]))
    body = client.get(f"/images/{image.pk}/").content.decode()
    assert re.search(r'<input type="checkbox" id="toggle-mask">', body)
    assert re.search(r'id="mask-overlay" hidden', body)
    assert f'href="/images/{image.pk}/image/" download' in body
    assert f'href="/images/{image.pk}/mask/" download' in body
    assert f"PixGen image real-{image.pk}" in body and "Licence CC-BY-4.0" in body
    assert 'id="toggle-zoom"' in body
    others = LesionImage.objects.public().exclude(pk=image.pk)[:2]
    LesionImage.objects.filter(pk__in=[image.pk, *[o.pk for o in others]]).update(
        lesion_identifier="L-1"
    )
    body = client.get(f"/images/{image.pk}/").content.decode()
    assert "Other images of the same lesion" in body
    for other in others:
        assert f'href="/images/{other.pk}/"' in body


def test_facet_counts_of_a_query_are_kept_for_the_configured_time(
    client, catalogue, settings, django_assert_num_queries
):
    from django.core.cache import cache
    from django.http import QueryDict

    from repository.services.gallery import gallery_facets, gallery_query

    settings.PIXGEN_GALLERY_FACET_CACHE_SECONDS = 30
    cache.clear()
    query = gallery_query(QueryDict("fitzpatrick=6"))
    first, total = gallery_facets(query)
    with django_assert_num_queries(0):
        again, again_total = gallery_facets(gallery_query(QueryDict("fitzpatrick=6&sort=oldest")))
    assert (again_total, [f["name"] for f in again]) == (total, [f["name"] for f in first])
    assert all("sort=oldest" in v["url"] for f in again for v in f["values"])
    cache.clear()
