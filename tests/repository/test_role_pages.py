"""Pages for every role: a home page that shows each person their own work, a researcher's
account page that opens with research access, review with its "x of N", releases with BibTeX,
and an export README that describes what the export holds."""

import io
import zipfile

import pytest

from repository.exporting.citation import Citable, citation_bibtex
from repository.models import ImageRequest
from repository.services.releases import release_cut
from repository.tasks import build_release_task
from synthesis.models import SyntheticImage
from tests.conftest import demo_rows, ingest
from tests.factories import ImageRequestFactory, ResearcherFactory, ReviewerFactory
from tests.repository.test_exports import _synthetic, make_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return ReviewerFactory(username="derm")


def test_contributor_home_lists_pending_uploads_and_requests_to_fulfil(client, clinician):
    pending = ingest(clinician)
    wanted = ImageRequestFactory(quantity=7)
    client.force_login(clinician)
    body = client.get("/").content.decode()
    assert "1 upload awaits moderation." in body
    assert f'href="/images/{pending.pk}/"' in body
    assert "Requests you could fulfil" in body
    assert f'href="/contribute/?request={wanted.pk}"' in body and "7 more" in body


def test_reviewer_home_says_how_many_images_wait(client, reviewer, clinician, moderator):
    source = ingest(clinician)
    from repository.services.moderation import image_publish

    image_publish(image=source, moderator=moderator)
    for _ in range(3):
        _synthetic(source, status="pending_review", user=moderator)
    client.force_login(reviewer)
    assert "3 images to review" in client.get("/").content.decode()


def test_moderator_home_shows_the_queues(client, moderator, clinician):
    ingest(clinician)
    client.force_login(moderator)
    body = client.get("/").content.decode()
    assert "1 image awaiting moderation" in body and "clinician application" in body
    assert "near-duplicate pair" in body and "disputed synthetic image" in body


def test_researcher_home_has_the_api_quick_start_and_token(client):
    researcher = ResearcherFactory(username="res")
    client.force_login(researcher)
    client.post("/account/tokens/new/", {"name": "laptop"})
    body = client.get("/").content.decode()
    token = researcher.api_tokens.get()
    assert "API quick start" in body and f"{token.prefix}…" in body
    assert "Authorization: Token $PIXGEN_TOKEN" in body


def test_anonymous_home_has_no_role_panels(client):
    body = client.get("/").content.decode()
    assert "Welcome," not in body and "API quick start" not in body


def test_researcher_account_opens_with_research_access(client):
    researcher = ResearcherFactory(username="res2")
    client.force_login(researcher)
    body = client.get("/account/").content.decode()
    assert body.index("Research access") < body.index("clinician")
    assert '<a class="button" href="/account/verification/">' not in body


def test_review_page_shows_both_images_and_x_of_n(client, reviewer, clinician, moderator):
    from repository.services.moderation import image_publish

    source = ingest(clinician)
    image_publish(image=source, moderator=moderator)
    items = [_synthetic(source, status="pending_review", user=moderator) for _ in range(3)]
    client.force_login(reviewer)
    body = client.get(f"/synthesis/review/{items[1].pk}/").content.decode()
    assert "2 of 3" in body
    sides = body[body.index('class="review-sides') : body.index('class="review-grid')]
    assert (
        f"/images/{source.pk}/image/" in sides
        and f"/synthesis/images/{items[1].pk}/image/" in sides
    )


def test_bibtex_escapes_and_braces_every_author():
    import datetime as dt

    entry = citation_bibtex(
        Citable(
            title="PixGen 2026.12: 50% of {darker} skin & more",
            version="2026.12",
            published=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            url="https://pixgen.example/releases/2026.12/",
            creators=("Okafor, Ada", "Bo Lee"),
            licences=("CC-BY-4.0",),
            doi="10.1234/pixgen.2026.12",
        )
    )
    assert entry.startswith("@misc{pixgen_2026_12,\n")
    assert r"title = {{PixGen 2026.12: 50\% of \{darker\} skin \& more}}" in entry
    assert "author = {{Okafor, Ada} and {Bo Lee}}" in entry
    assert "year = {2026}" in entry and "doi = {10.1234/pixgen.2026.12}" in entry


def test_release_page_and_file_give_bibtex_and_the_citation(client, clinician, moderator):
    make_catalogue(clinician, moderator)
    release = release_cut(moderator=moderator, tag="2026.12", title="PixGen 2026.12")
    build_release_task(release.pk)
    release.refresh_from_db()
    body = client.get(f"/releases/{release.tag}/").content.decode()
    assert 'id="bibtex"' in body and "@misc{pixgen_2026_12," in body
    assert 'id="citation-string"' in body
    bib = client.get(f"/releases/{release.tag}/citation.bib")
    assert bib.status_code == 200 and bib.content.decode().startswith("@misc{pixgen_2026_12,")


def test_export_readme_says_whose_skin_it_shows(client, clinician, moderator):
    from repository.services.moderation import image_publish

    rows = demo_rows()
    for i, fitzpatrick in enumerate((1, 2, 5)):
        image_publish(
            image=ingest(clinician, rows[i]["image_id"], fitzpatrick=fitzpatrick),
            moderator=moderator,
        )

    def readme(query: str) -> str:
        response = client.get(f"/api/v1/exports/?{query}")
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        return archive.read("README.md").decode()

    light = readme("fitzpatrick_max=3")
    assert "lighter skin (Fitzpatrick I-III)" in light and "darker skin" not in light
    assert "Images per Fitzpatrick type: I 1, II 1, III 0, IV 0, V 0, VI 0." in light
    assert "on darker skin (Fitzpatrick IV-VI) from PixGen" in readme("fitzpatrick_min=4")
    mixed = readme("")
    assert "1 on darker skin (Fitzpatrick IV-VI), 2 on lighter skin" in mixed
    assert ImageRequest.objects.count() == 0 and SyntheticImage.objects.count() == 0
