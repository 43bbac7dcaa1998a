"""A dermatologist reviews synthetic images from the keyboard alone, and runs a blinded
session, in headless Chromium on a phone-sized screen."""

import re

import pytest

from repository.services.moderation import image_publish
from synthesis.models import Review
from tests.conftest import demo_rows, ingest
from tests.factories import ClinicianFactory, ModeratorFactory, ReviewerFactory
from tests.repository.test_api_synthetic import _synthetic

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/")


def _pending_items(count: int, *, status: str = "pending_review"):
    """Public sources and synthetic images made by a moderator, so a reviewer may judge them."""
    clinician, moderator = ClinicianFactory(), ModeratorFactory()
    rows = demo_rows()
    made = []
    for i in range(count):
        source = ingest(clinician, rows[i]["image_id"], diagnosis="mel", fitzpatrick=2)
        image_publish(image=source, moderator=moderator)
        made.append(_synthetic(source, status=status, created_by=moderator))
    return made


def test_keyboard_review_saves_and_moves_to_the_next_item(seeded_db, live_server, page):
    first, second = sorted(_pending_items(2), key=lambda s: (s.created_at, s.pk))
    reviewer = ReviewerFactory(username="dr-adeyemi")
    base = live_server.url

    _sign_in(page, base, reviewer.username)
    page.goto(f"{base}/synthesis/review/")
    page.click("#start-review")
    page.wait_for_url(re.compile(rf"/synthesis/review/{first.pk}/"))
    page.wait_for_selector("#review-image")

    for key in ("4", "t", "f", "a"):
        page.keyboard.press(key)
    assert page.is_checked('input[name="realism"][value="4"]')
    assert page.is_checked('input[name="decision"][value="approve"]')
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(rf"/synthesis/review/{second.pk}/"))
    page.wait_for_selector("#review-image")
    review = Review.objects.get(synthetic=first, reviewer=reviewer)
    assert (review.decision, review.realism, review.tone_correct, review.features_preserved) == (
        "approve",
        4,
        True,
        True,
    )
    assert not Review.objects.filter(synthetic=second).exists()


def test_blinded_session_from_the_keyboard(seeded_db, live_server, page):
    from synthesis.models import BlindJudgement

    _pending_items(2)  # two synthetic images; their sources are never shown beside them
    clinician, moderator = ClinicianFactory(), ModeratorFactory()
    for row in demo_rows()[2:4]:
        image_publish(image=ingest(clinician, row["image_id"]), moderator=moderator)
    reviewer = ReviewerFactory(username="dr-nwosu")
    base = live_server.url

    _sign_in(page, base, reviewer.username)
    page.goto(f"{base}/synthesis/review/")
    page.click("details.blind-start summary")
    page.fill("#id_size", "4")
    page.click("#start-blind")
    for position in range(1, 5):
        page.wait_for_url(re.compile(rf"/synthesis/review/blind/\d+/{position}/$"))
        page.wait_for_selector("#blind-image")
        html = page.content()
        assert "synthetic-" not in html and "/synthesis/images/" not in html
        for key in ("s" if position % 2 else "e", "3", "T", "f"):
            page.keyboard.press(key)
        page.keyboard.press("Enter")
    page.wait_for_selector("#blind-summary")
    judged = BlindJudgement.objects.filter(session__reviewer=reviewer).judged()
    assert judged.count() == 4
    assert sorted(j.is_real for j in judged) == [False, False, True, True]
