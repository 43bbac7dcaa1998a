"""WCAG 2.1 AA in a real browser: axe-core on every main page for every role (no serious or
critical violation), the whole menu reachable by keyboard alone on a phone, and an upload
without a Fitzpatrick type refused with a message."""

from pathlib import Path

import pytest
from django.test import Client

from repository.services.moderation import image_publish
from tests.conftest import DEMO_DIR, demo_rows, ingest
from tests.factories import (
    ClinicianFactory,
    ModeratorFactory,
    ResearcherFactory,
    ReviewerFactory,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC = ("/", "/images/", "/images/{image}/", "/coverage/", "/requests/", "/releases/")
PAGES = {
    "anonymous": (*PUBLIC, "/accounts/login/", "/accounts/signup/", "/synthesis/audits/"),
    "contributor": (*PUBLIC, "/contribute/", "/contribute/batch/", "/contributions/", "/account/"),
    "reviewer": ("/", "/synthesis/review/", "/synthesis/", "/account/"),
    "moderator": ("/", "/moderation/", "/synthesis/", "/synthesis/jobs/new/", "/account/"),
    "researcher": ("/", "/account/", "/images/?diagnosis=mel"),
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def people(seeded_db, live_server):
    contributor = ClinicianFactory(username="dr-ada")
    moderator = ModeratorFactory(username="mod-bo")
    users = {
        "contributor": contributor,
        "reviewer": ReviewerFactory(username="derm-chi"),
        "moderator": moderator,
        "researcher": ResearcherFactory(username="res-dee"),
    }
    rows = demo_rows()
    public = ingest(contributor, rows[0]["image_id"], diagnosis="mel", fitzpatrick=5)
    image_publish(image=public, moderator=moderator)
    ingest(contributor, rows[1]["image_id"], diagnosis="bcc", fitzpatrick=6)
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies["sessionid"].value
    return {"base": live_server.url, "sessions": sessions, "ids": {"image": public.pk}}


def _context(browser, people, role: str, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    if role != "anonymous":
        host = people["base"].split("//")[1].split(":")[0]
        context.add_cookies(
            [{"name": "sessionid", "value": people["sessions"][role], "domain": host, "path": "/"}]
        )
    return context


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'][0] for n in v['nodes'][:4]]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_passes_axe_for_every_role(browser, people, role):
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    context = _context(browser, people, role)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = []
    for path in PAGES[role]:
        response = page.goto(people["base"] + path.format(**people["ids"]))
        assert response.status == 200, f"{path}: {response.status}"
        problems += [f"{role} {path}: {v}" for v in _axe(page)]
    context.close()
    assert not problems, "\n".join(problems)


def test_keyboard_alone_reaches_every_menu_item_at_phone_width(browser, people):
    context = _context(browser, people, "moderator", width=390)
    page = context.new_page()
    page.goto(people["base"] + "/")
    items = page.evaluate(
        "() => Array.from(document.querySelectorAll('#site-nav a, #site-nav button'))"
        ".map(e => e.textContent.trim() + '|' + (e.getAttribute('href') || e.value || ''))"
    )
    assert len(items) > 8
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return {id: e.id, inNav: !!e.closest("
            "'#site-nav'), key: e.textContent.trim() + '|' + (e.getAttribute('href') || e.value"
            " || '')}; }"
        )
        if (
            focused["id"] == "nav-toggle"
            and page.get_attribute("#nav-toggle", "aria-expanded") == "false"
        ):
            page.keyboard.press("Enter")  # opens the menu
            assert page.is_visible("#site-nav")
        if focused["inNav"]:
            reached.add(focused["key"])
        if reached == set(items):
            break
    context.close()
    assert reached == set(items), f"not reached by Tab: {set(items) - reached}"


def test_upload_without_a_fitzpatrick_type_is_refused_with_a_message(browser, people):
    context = _context(browser, people, "contributor", width=390)
    page = context.new_page()
    page.goto(people["base"] + "/contribute/")
    row = demo_rows()[2]
    page.set_input_files("#id_image", str(DEMO_DIR / "images" / f"{row['image_id']}.jpg"))
    assert page.is_visible("#upload-preview")
    page.select_option("#id_diagnosis", label="Melanoma (mel)")
    page.select_option("#id_diagnosis_confirmation", "histopathology")
    page.select_option("#id_modality", "dermoscopic")
    page.select_option("#id_body_site", "back")
    page.check("#id_consent_attested")
    assert page.locator('input[name="fitzpatrick"]:checked').count() == 0
    page.click("#upload-form button[type=submit]")
    # the browser refuses first, and says why on the Fitzpatrick field
    message = page.evaluate("document.getElementById('id_fitzpatrick_0').validationMessage")
    assert message and page.url.endswith("/contribute/")
    # and so does the server, should a browser send it anyway
    page.evaluate("document.getElementById('upload-form').noValidate = true")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("text=Choose the Fitzpatrick type")
    from repository.models import LesionImage

    assert LesionImage.objects.count() == 2  # the fixture's two, nothing new
    context.close()
