"""The demo's loop end to end in headless Chromium: the demo is loaded, the worker makes
darker-skin tone transfers, two demo reviewers approve one through the review pages, and it
shows up in the gallery and, counted apart from real images, in the coverage matrix."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from repository.models import User
from repository.services.demo import DEMO_ACCOUNTS
from synthesis.models import GanModel, SyntheticImage
from synthesis.services.demo_gan import DEMO_GAN_VERSION
from synthesis.services.demo_loop import demo_jobs_start, demo_jobs_wait
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker]

PASSWORDS = {spec.username: spec.password for spec in DEMO_ACCOUNTS}


def _sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORDS[username])
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/")


def _approve(page, base: str, username: str, synthetic: SyntheticImage) -> None:
    _sign_in(page, base, username)
    item = f"{base}{reverse('synthesis-review-item', args=[synthetic.pk])}"
    page.goto(item)
    page.wait_for_selector("#review-image")
    for key in ("4", "t", "f", "a"):
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    # The review page itself matches /synthesis/review/: wait until the browser has left it
    # (for the next item or the queue), or a later goto is cut short by that navigation.
    page.wait_for_url(lambda url: re.search(r"/synthesis/review/", url) and url != item)
    page.wait_for_load_state()
    wait_for(lambda: synthetic.reviews.filter(reviewer__username=username).exists(), timeout=15)


def test_a_darker_skin_image_approved_by_two_reviewers_reaches_gallery_and_coverage(
    seeded_db, celery_worker_process, live_server, page
):
    call_command("load_demo", no_accounts=True)
    moderator = User.objects.get(username="moderator")
    gan = GanModel.objects.get(version=DEMO_GAN_VERSION)
    assert demo_jobs_wait(demo_jobs_start(moderator=moderator, gan_model=gan), timeout_s=400)
    synthetic = (
        SyntheticImage.objects.pending_review()
        .filter(method="tone_transfer", fitzpatrick=5)
        .select_related("diagnosis")
        .first()
    )
    assert synthetic is not None  # the worker made darker-skin images from the demo set
    code = synthetic.diagnosis.code
    base = live_server.url

    page.goto(f"{base}/coverage/")
    cell = page.locator(f'td[data-diagnosis="{code}"][data-fitzpatrick="5"]')
    assert (
        cell.locator(".count").inner_text() == "0" and cell.locator(".synthetic-count").count() == 0
    )

    _approve(page, base, "reviewer", synthetic)
    synthetic.refresh_from_db()
    assert synthetic.status == SyntheticImage.Status.PENDING_REVIEW  # one review is not enough
    _approve(page, base, "reviewer2", synthetic)
    synthetic.refresh_from_db()
    assert synthetic.status == SyntheticImage.Status.APPROVED

    _sign_in(page, base, "researcher")
    thumbnail = reverse("synthesis-image-file", args=[synthetic.pk, "thumbnail"])
    page.goto(f"{base}{reverse('image-list')}?origin=synthetic&fitzpatrick=5&diagnosis={code}")
    tile = page.locator(f'ul.gallery li:has(img[src^="{thumbnail}"])')
    assert tile.count() == 1 and tile.locator(".badge.synthetic").count() == 1  # badged
    page.goto(f"{base}/coverage/")
    cell = page.locator(f'td[data-diagnosis="{code}"][data-fitzpatrick="5"]')
    assert cell.locator(".count").inner_text() == "0"  # no real image: counted apart
    assert cell.locator(".synthetic-count").inner_text().startswith("+1")
