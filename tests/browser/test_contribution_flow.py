"""A clinician signs in, uploads an image with metadata, a moderator publishes it, and it
counts in coverage — in headless Chromium, on a phone-sized screen."""

import pytest

from tests.conftest import DEMO_DIR, demo_rows
from tests.factories import ClinicianFactory, ModeratorFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{base}/")


def _open_menu(page) -> None:
    toggle = page.locator("button.nav-toggle")
    if toggle.is_visible():
        toggle.click()


def _cell_count(page, base: str, code: str, fitzpatrick: int) -> int:
    page.goto(f"{base}/coverage/")
    cell = page.locator(f'td[data-diagnosis="{code}"][data-fitzpatrick="{fitzpatrick}"] .count')
    return int(cell.inner_text())


def test_upload_publish_and_coverage(seeded_db, live_server, page):
    clinician = ClinicianFactory(username="dr-okafor")
    ModeratorFactory(username="mod-ana")
    base = live_server.url
    row = demo_rows()[0]
    assert _cell_count(page, base, "mel", 5) == 0

    _sign_in(page, base, clinician.username)
    _open_menu(page)
    page.click("text=Contribute")
    page.set_input_files("#id_image", str(DEMO_DIR / "images" / f"{row['image_id']}.jpg"))
    page.select_option("#id_diagnosis", label="Melanoma (mel)")
    page.select_option("#id_diagnosis_confirmation", "histopathology")
    page.check("#id_fitzpatrick_4")  # type V
    page.select_option("#id_modality", "dermoscopic")
    page.select_option("#id_body_site", "back")
    page.select_option("#id_age_bin", "45")
    page.check("#id_consent_attested")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=awaits moderation")
    image_url = page.url
    assert "/images/" in image_url

    page.context.clear_cookies()
    _sign_in(page, base, "mod-ana")
    page.goto(f"{base}/moderation/")
    item = page.locator("article.moderation-item").first
    item.locator("button[value=publish]").click()
    page.wait_for_selector("text=is public")

    page.context.clear_cookies()
    assert _cell_count(page, base, "mel", 5) == 1
    page.click('td[data-diagnosis="mel"][data-fitzpatrick="5"] .count')
    page.wait_for_selector("ul.gallery img")
    assert page.locator("ul.gallery li a").count() == 1
