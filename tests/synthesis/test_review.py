"""Dermatologist review: the rules of review_submit, the publication rule, disputes settled by
a moderator, the pages with their errors, and unapproved images hidden on every path."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from repository.services.moderation import image_publish
from synthesis.models import Review, ReviewSettlement, SynthesisJob, SyntheticImage
from synthesis.services.review import (
    disputed_queue,
    review_in_queue,
    review_queue,
    review_queue_position,
    review_settle,
    review_submit,
)
from tests.conftest import ingest
from tests.factories import ModeratorFactory, ReviewerFactory
from tests.repository.test_api_synthetic import _synthetic

pytestmark = pytest.mark.django_db

APPROVE = dict(decision="approve", realism=4, tone_correct=True, features_preserved=True)
REJECT = dict(
    decision="reject", realism=2, tone_correct=False, features_preserved=True, comment="blotchy"
)


@pytest.fixture
def item(clinician, moderator):
    source = ingest(clinician, diagnosis="mel", fitzpatrick=2)
    image_publish(image=source, moderator=moderator)
    return _synthetic(source, status="pending_review", created_by=moderator)


@pytest.fixture
def reviewers(db):
    return ReviewerFactory(), ReviewerFactory()


def test_two_approvals_publish_an_item(item, reviewers):
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    item.refresh_from_db()
    assert item.status == "pending_review"
    review_submit(synthetic=item, reviewer=reviewers[1], **APPROVE)
    item.refresh_from_db()
    assert item.status == "approved" and SyntheticImage.objects.public().filter(pk=item.pk)


def test_a_split_goes_to_a_moderator_who_settles_it(item, reviewers):
    moderator = ModeratorFactory()  # not the one who made the item
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **REJECT)
    item.refresh_from_db()
    assert item.status == "disputed"
    with pytest.raises(ValidationError):
        review_settle(synthetic=item, moderator=moderator, decision="approve", comment=" ")
    with pytest.raises(PermissionDenied):
        review_settle(synthetic=item, moderator=reviewers[0], decision="approve", comment="ok")
    review_settle(synthetic=item, moderator=moderator, decision="reject", comment="tone off")
    assert item.status == "rejected"
    with pytest.raises(ValidationError, match="not awaiting"):
        review_settle(synthetic=item, moderator=moderator, decision="approve", comment="again")


def test_settling_follows_the_conflict_of_interest_rule_of_reviewing(
    client, item, reviewers, moderator
):
    """Who started the job, made the image or reviewed it may not settle its dispute."""
    job_starter, moderator_reviewer, independent = (
        ModeratorFactory(),
        ModeratorFactory(is_reviewer=True),
        ModeratorFactory(),
    )
    item.job = SynthesisJob.objects.create(kind="tone_transfer", created_by=job_starter)
    item.save(update_fields=["job"])
    review_submit(synthetic=item, reviewer=moderator_reviewer, **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **REJECT)
    item.refresh_from_db()
    assert item.status == "disputed"
    url = reverse("synthesis-review-settle", args=[item.pk])
    for conflicted in (moderator, job_starter, moderator_reviewer):
        with pytest.raises(PermissionDenied, match="conflict of interest"):
            review_settle(synthetic=item, moderator=conflicted, decision="approve", comment="ok")
        assert item not in disputed_queue(user=conflicted)
        client.force_login(conflicted)
        page = client.post(url, {f"{item.pk}-decision": "approve", f"{item.pk}-comment": "ok"})
        assert page.status_code == 403
    item.refresh_from_db()
    assert item.status == "disputed" and not ReviewSettlement.objects.exists()
    assert item in disputed_queue(user=independent)
    review_settle(synthetic=item, moderator=independent, decision="approve", comment="fine")
    assert item.status == "approved"


def test_two_rejections_reject_and_the_item_stays_for_audit(item, reviewers):
    for reviewer in reviewers:
        review_submit(synthetic=item, reviewer=reviewer, **REJECT)
    item.refresh_from_db()
    assert item.status == "rejected" and item.reviews.count() == 2


@override_settings(PIXGEN_REVIEWS_REQUIRED=3, PIXGEN_REVIEW_PUBLISH_RULE="majority")
def test_the_number_of_reviews_and_the_rule_are_configurable(item, reviewers):
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **REJECT)
    item.refresh_from_db()
    assert item.status == "pending_review"
    review_submit(synthetic=item, reviewer=ReviewerFactory(), **APPROVE)
    item.refresh_from_db()
    assert item.status == "approved"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"realism": 6}, "realism"),
        ({"realism": 0}, "realism"),
        ({"realism": "x"}, "realism"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "reject", "comment": "  "}, "comment"),
        ({"tone_correct": None}, "tone_correct"),
    ],
)
def test_bad_scores_are_refused_and_nothing_is_written(item, reviewers, overrides, field):
    with pytest.raises(ValidationError) as exc:
        review_submit(synthetic=item, reviewer=reviewers[0], **{**APPROVE, **overrides})
    assert field in exc.value.message_dict
    assert not Review.objects.exists()


def test_reviewing_without_the_role_twice_own_job_or_decided_is_refused(
    item, reviewers, moderator, clinician
):
    with pytest.raises(PermissionDenied, match="reviewer role"):
        review_submit(synthetic=item, reviewer=clinician, **APPROVE)
    moderator.is_reviewer = True
    moderator.save()
    with pytest.raises(PermissionDenied, match="job you started"):
        review_submit(synthetic=item, reviewer=moderator, **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    with pytest.raises(ValidationError, match="already reviewed"):
        review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **APPROVE)
    with pytest.raises(ValidationError, match="already been decided"):
        review_submit(synthetic=item, reviewer=ReviewerFactory(), **APPROVE)
    assert Review.objects.count() == 2


def test_the_queue_is_oldest_first_filterable_and_leaves_out_reviewed_and_own(
    item, reviewers, moderator, clinician
):
    source = item.source_image
    newer = _synthetic(source, status="pending_review", created_by=reviewers[1], fitzpatrick=5)
    mine = review_queue(user=reviewers[0])
    assert list(mine) == [item, newer]
    assert list(review_queue(user=reviewers[0], fitzpatrick=5)) == [newer]
    assert list(review_queue(user=reviewers[0], diagnosis="bcc")) == []
    assert list(review_queue(user=reviewers[0], method="tone_transfer")) == [item, newer]
    assert list(review_queue(user=reviewers[1])) == [item]  # not their own output
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    assert list(review_queue(user=reviewers[0])) == [newer]


def test_an_items_place_in_the_queue_counts_only_what_this_reviewer_may_still_review(
    item, reviewers
):
    newer = _synthetic(item.source_image, status="pending_review", created_by=reviewers[1])
    first, second = reviewers
    assert review_queue_position(user=first, synthetic=item) == (1, 2)
    assert review_queue_position(user=first, synthetic=newer) == (2, 2)
    # Filtered out, or the reviewer's own output: not in that queue, though it has a length.
    assert review_queue_position(user=first, synthetic=item, fitzpatrick=5) == (None, 0)
    assert review_queue_position(user=second, synthetic=newer) == (None, 1)
    assert review_in_queue(user=first, pk=newer.pk)
    assert not review_in_queue(user=second, pk=newer.pk)
    review_submit(synthetic=item, reviewer=first, **APPROVE)
    assert not review_in_queue(user=first, pk=item.pk)
    assert review_queue_position(user=first, synthetic=newer) == (1, 1)


def test_the_item_page_says_where_the_item_stands_and_links_the_next(client, item, reviewers):
    newer = _synthetic(item.source_image, status="pending_review", created_by=item.created_by)
    client.force_login(reviewers[0])
    page = client.get(reverse("synthesis-review-item", args=[item.pk])).content.decode()
    assert "1 of 2" in page and reverse("synthesis-review-item", args=[newer.pk]) in page
    last = client.get(reverse("synthesis-review-item", args=[newer.pk])).content.decode()
    assert "2 of 2" in last
    assert client.get(reverse("synthesis-review-item", args=[999999])).status_code == 404


def post(client, pk, **data):
    values = {
        "decision": "approve",
        "realism": "4",
        "tone_correct": "yes",
        "features_preserved": "yes",
    }
    values.update(data)
    return client.post(reverse("synthesis-review-item", args=[pk]), values)


def test_the_item_page_shows_the_claim_and_hides_other_decisions(client, item, reviewers):
    review_submit(synthetic=item, reviewer=reviewers[0], **REJECT)
    client.force_login(reviewers[1])
    queue = client.get(reverse("synthesis-review-queue"))
    assert queue.status_code == 200 and reverse("synthesis-review-item", args=[item.pk]) in (
        queue.content.decode()
    )
    page = client.get(reverse("synthesis-review-item", args=[item.pk])).content.decode()
    assert "Melanoma" in page and "Fitzpatrick VI" in page and "Measured tone" in page
    assert reverse("image-file", args=[item.source_image_id, "image"]) in page
    assert "blotchy" not in page and reviewers[0].username not in page
    response = post(client, item.pk)
    assert response.status_code == 302 and response.url == reverse("synthesis-review-queue")
    item.refresh_from_db()
    assert item.status == "disputed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"realism": "9"}, "Select a valid choice"),
        ({"decision": "reject", "comment": ""}, "A comment is required"),
        ({"tone_correct": ""}, "This field is required"),
    ],
)
def test_bad_input_on_the_item_page_is_a_form_error(client, item, reviewers, data, message):
    client.force_login(reviewers[0])
    response = post(client, item.pk, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Review.objects.exists()


def test_the_item_page_refuses_twice_own_job_and_no_role(client, item, reviewers, moderator):
    client.force_login(reviewers[0])
    assert post(client, item.pk).status_code == 302
    again = post(client, item.pk)
    assert again.status_code == 400 and "already reviewed" in again.content.decode()
    assert client.get(reverse("synthesis-review-item", args=[item.pk])).status_code == 404
    moderator.is_reviewer = True
    moderator.save()
    client.force_login(moderator)
    own = post(client, item.pk)
    assert own.status_code == 403 and "job you started" in own.content.decode()
    assert client.get(reverse("synthesis-review-item", args=[item.pk])).status_code == 404
    client.force_login(ModeratorFactory())
    assert post(client, item.pk).status_code == 403
    assert client.get(reverse("synthesis-review-queue")).status_code == 403
    assert client.get(reverse("synthesis-review-queue") + "?fitzpatrick=9").status_code == 403
    client.force_login(reviewers[1])
    bad = client.get(reverse("synthesis-review-queue") + "?fitzpatrick=9")
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    assert Review.objects.count() == 1


def test_the_moderator_settles_from_the_disputed_page(client, item, reviewers):
    moderator = ModeratorFactory()  # not the one who made the item
    review_submit(synthetic=item, reviewer=reviewers[0], **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **REJECT)
    client.force_login(reviewers[0])
    assert client.get(reverse("synthesis-review-disputed")).status_code == 403
    client.force_login(moderator)
    page = client.get(reverse("synthesis-review-disputed")).content.decode()
    assert f'id="disputed-{item.pk}"' in page and "blotchy" in page
    url = reverse("synthesis-review-settle", args=[item.pk])
    empty = client.post(url, {f"{item.pk}-decision": "approve", f"{item.pk}-comment": ""})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    ok = client.post(url, {f"{item.pk}-decision": "approve", f"{item.pk}-comment": "fine"})
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.status == "approved"
    again = client.post(url, {f"{item.pk}-decision": "reject", f"{item.pk}-comment": "no"})
    assert again.status_code == 400 and "not awaiting" in again.content.decode()


def test_the_report_shows_throughput_rates_and_kappa(client, item, reviewers, moderator):
    other = _synthetic(item.source_image, status="pending_review", created_by=moderator)
    for synthetic in (item, other):
        review_submit(synthetic=synthetic, reviewer=reviewers[0], **APPROVE)
    review_submit(synthetic=item, reviewer=reviewers[1], **APPROVE)
    review_submit(synthetic=other, reviewer=reviewers[1], **REJECT)
    client.force_login(reviewers[0])
    assert client.get(reverse("synthesis-review-report")).status_code == 403
    client.force_login(moderator)
    page = client.get(reverse("synthesis-review-report")).content.decode()
    assert reviewers[0].username in page and "3 / 4" in page and "75%" in page
    # Decisions: (A, A) and (A, R): po = 0.5, pe = 1 * 0.5 = 0.5 → kappa 0.00.
    assert "0.00" in page


@pytest.mark.parametrize("who", [None, "clinician", "researcher"])
@pytest.mark.parametrize("status", ["pending_review", "disputed", "rejected"])
def test_an_unapproved_synthetic_image_is_hidden_on_every_path(client, request, item, who, status):
    from repository.services.catalogue import catalogue_query
    from repository.services.coverage import coverage_matrix

    SyntheticImage.objects.filter(pk=item.pk).update(status=status)
    api = APIClient()
    if who:
        user = request.getfixturevalue(who)
        client.force_login(user)
        api.force_authenticate(user)
    for kind in ("image", "thumbnail"):
        assert client.get(reverse("synthesis-image-file", args=[item.pk, kind])).status_code == 404
    assert client.get(reverse("synthesis-image-detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("synthesis-review-queue")).status_code in (302, 403)
    assert client.get(reverse("synthesis-review-item", args=[item.pk])).status_code in (302, 403)
    assert api.get(f"/api/v1/synthetic-images/{item.pk}/").status_code == 404
    assert api.get("/api/v1/images/?origin=synthetic").json()["results"] == []
    assert not catalogue_query({"origin": "synthetic"}).querysets()["synthetic"].exists()
    export = client.post("/images/export/", {"origin": "any"})
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content)))
    assert not [n for n in archive.namelist() if "synthetic" in n]
    assert f"synthetic-{item.pk}" not in archive.read("metadata.csv").decode()
    assert sum(c.synthetic for row in coverage_matrix() for c in row.cells) == 0


def test_staff_see_a_pending_image_a_researcher_sees_it_once_approved(client, item, reviewers):
    client.force_login(reviewers[0])
    assert client.get(reverse("synthesis-image-detail", args=[item.pk])).status_code == 200
    for reviewer in reviewers:
        review_submit(synthetic=item, reviewer=reviewer, **APPROVE)
    rows = APIClient().get("/api/v1/images/?origin=synthetic").json()["results"]
    assert [(r["origin"], r["id"]) for r in rows] == [("synthetic", item.pk)]
