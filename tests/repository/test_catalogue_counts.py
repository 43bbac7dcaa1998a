"""The gallery's kept facet counts (CatalogueCount): every service that publishes, withdraws,
reviews or relabels an image leaves them equal to a recount, the command recounts and checks
them, and facets drawn from them equal facets counted from the rows."""

import pytest
from django.core.management import CommandError, call_command
from django.http import QueryDict

from repository.models import CatalogueCount, LesionImage
from repository.services.catalogue_counts import (
    catalogue_counts_rebuild,
    catalogue_counts_recount,
    catalogue_counts_stored,
)
from repository.services.gallery import _facets, gallery_query
from repository.services.metadata_history import image_metadata_update
from repository.services.moderation import image_publish, image_reject, image_withdraw
from synthesis.models import SyntheticImage
from synthesis.services.review import review_settle, review_submit
from tests.conftest import ingest
from tests.factories import ModeratorFactory, ReviewerFactory
from tests.repository.test_exports import _synthetic, make_catalogue

pytestmark = pytest.mark.django_db

APPROVE = dict(decision="approve", realism=4, tone_correct=True, features_preserved=True)
REJECT = dict(
    decision="reject", realism=2, tone_correct=False, features_preserved=True, comment="blotchy"
)


def assert_counts_match():
    stored, recount = catalogue_counts_stored(), catalogue_counts_recount()
    assert stored == recount
    return stored


def _total(origin: str) -> int:
    return catalogue_counts_stored()[("", "", origin, "*", "")]


def test_publish_reject_and_withdraw_keep_the_counts_equal_to_a_recount(clinician, moderator):
    images = [
        ingest(clinician, "ISIC_0024312", diagnosis="mel", fitzpatrick=5, body_site="back"),
        ingest(clinician, "ISIC_0024324", diagnosis="bcc", fitzpatrick=6, body_site="face"),
        ingest(clinician, "ISIC_0024332", diagnosis="mel", fitzpatrick=4, body_site="face"),
    ]
    assert assert_counts_match() == {}  # pending images count nowhere
    image_publish(image=images[0], moderator=moderator)
    image_publish(image=images[1], moderator=moderator)
    image_reject(image=images[2], moderator=moderator, reason="Face visible")
    stored = assert_counts_match()
    assert _total("real") == 2
    assert stored[("", "", "real", "fitzpatrick", "5")] == 1
    mel = str(images[0].diagnosis_id)
    assert stored[("diagnosis", mel, "real", "body_site", "back")] == 1
    image_withdraw(image=images[0], user=clinician)
    stored = assert_counts_match()
    assert _total("real") == 1 and ("diagnosis", mel, "real", "body_site", "back") not in stored


def test_reviews_a_settlement_and_a_withdrawn_source_move_synthetic_counts(clinician, moderator):
    source = ingest(clinician, diagnosis="mel", fitzpatrick=2, modality="clinical")
    image_publish(image=source, moderator=moderator)
    approved = _synthetic(source, status="pending_review", user=moderator)
    disputed = _synthetic(source, status="pending_review", user=moderator, image_id="ISIC_0024403")
    first, second = ReviewerFactory(), ReviewerFactory()
    review_submit(synthetic=approved, reviewer=first, **APPROVE)
    assert _total("synthetic") == 0 and assert_counts_match()
    review_submit(synthetic=approved, reviewer=second, **APPROVE)
    stored = assert_counts_match()
    assert _total("synthetic") == 1
    # a synthetic image's modality is its source's
    assert stored[("", "", "synthetic", "modality", "clinical")] == 1
    review_submit(synthetic=disputed, reviewer=first, **APPROVE)
    review_submit(synthetic=disputed, reviewer=second, **REJECT)
    assert _total("synthetic") == 1
    review_settle(
        synthetic=disputed, moderator=ModeratorFactory(), decision="approve", comment="fine"
    )
    assert_counts_match()
    assert _total("synthetic") == 2
    # withdrawing the source takes its derivatives out of the catalogue, and out of the counts
    image_withdraw(image=source, user=clinician)
    assert_counts_match()
    assert _total("synthetic") == 0 and _total("real") == 0


def test_a_relabelled_source_moves_itself_and_its_derivatives(clinician, moderator):
    source = ingest(clinician, diagnosis="mel", fitzpatrick=5, body_site="back")
    image_publish(image=source, moderator=moderator)
    _synthetic(source, status="approved", user=moderator)
    catalogue_counts_rebuild()  # the synthetic row was written directly
    image_metadata_update(
        image=source,
        user=clinician,
        changes={"body_site": "face", "fitzpatrick": 6},
        reason="Wrong site and type entered.",
    )
    stored = assert_counts_match()
    assert stored[("", "", "real", "body_site", "face")] == 1
    assert ("", "", "real", "body_site", "back") not in stored
    # the derivative follows the source's body site (it keeps its own target type)
    assert stored[("", "", "synthetic", "body_site", "face")] == 1
    # a changed diagnosis sends it back to review: out of the counts
    image_metadata_update(
        image=source, user=clinician, changes={"diagnosis": "nv"}, reason="Histopathology."
    )
    assert_counts_match()
    assert _total("synthetic") == 0 and _total("real") == 1


def test_a_failed_write_leaves_the_counts_alone(clinician, moderator):
    image = ingest(clinician, diagnosis="mel", fitzpatrick=5)
    image_publish(image=image, moderator=moderator)
    before = assert_counts_match()
    with pytest.raises(Exception):  # noqa: B017 - already public: publishing again is refused
        image_publish(image=image, moderator=moderator)
    assert assert_counts_match() == before


def test_the_command_finds_rows_written_by_other_means_and_recounts_them(
    clinician, moderator, capsys
):
    image = ingest(clinician, diagnosis="mel", fitzpatrick=5)
    image_publish(image=image, moderator=moderator)
    call_command("rebuild_catalogue_counts", "--check")
    LesionImage.objects.filter(pk=image.pk).update(fitzpatrick=6)  # behind the services' back
    with pytest.raises(CommandError, match="differ from a recount"):
        call_command("rebuild_catalogue_counts", "--check")
    assert "real fitzpatrick=6: stored 0, counted 1" in capsys.readouterr().err
    call_command("rebuild_catalogue_counts")
    call_command("rebuild_catalogue_counts", "--check")
    assert CatalogueCount.objects.get(given_facet="", facet="fitzpatrick", value="6").n == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "diagnosis=akiec",
        "diagnosis=akiec,bkl",
        "fitzpatrick=6",
        "fitzpatrick_min=5",
        "fitzpatrick_min=4&fitzpatrick_max=5&fitzpatrick=5",
        "body_site=back,face",
        "age_min=40&age_max=60",
        "origin=synthetic",
        "origin=real&sex=male",
        "monk_tone_min=3",
        "licence=CC-BY-NC-4.0",
        "diagnosis=akiec&fitzpatrick=6",
        "diagnosis=akiec,bkl&fitzpatrick_min=5&origin=any",
        "sex=female,male&age_min=30&licence=CC-BY-NC-4.0",  # three facets: from the rows
        "fitzpatrick=6&q=synthetic-1",  # an id search: from the rows
        "method=tone_transfer",  # no facet: from the rows
    ],
)
def test_facets_from_the_kept_counts_equal_facets_counted_from_the_rows(
    clinician, moderator, query
):
    make_catalogue(clinician, moderator)
    catalogue = gallery_query(QueryDict(query))
    kept, kept_total = _facets(catalogue)
    counted, counted_total = _facets(catalogue, summary=False)
    assert kept == counted and kept_total == counted_total


def test_synthetic_counts_follow_review_and_show_in_the_gallery(client, clinician, moderator):
    make_catalogue(clinician, moderator)
    item = SyntheticImage.objects.get(status="pending_review")
    for reviewer in (ReviewerFactory(), ReviewerFactory()):
        review_submit(synthetic=item, reviewer=reviewer, **APPROVE)
    assert_counts_match()
    body = client.get("/images/?origin=synthetic").content.decode()
    assert "2 images" in body
