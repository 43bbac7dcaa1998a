"""Each main page in English, Japanese and Indonesian, light and dark, at a phone's and a
desktop's width: nothing overflows the screen sideways, and axe-core finds no serious colour
contrast problem in the dark theme. Also the switchers themselves, in a real browser."""

from pathlib import Path

import pytest
from django.test import Client

from repository.services.moderation import image_publish
from repository.services.requests import request_create
from tests.conftest import demo_rows, ingest
from tests.factories import ReviewerFactory

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
LANGUAGES = ("en", "ja", "id")
WIDTHS = (390, 1280)
PAGES = (
    "/",
    "/images/",
    "/images/{image}/",
    "/coverage/",
    "/requests/",
    "/requests/new/",
    "/releases/",
    "/account/",
    "/contribute/",
    "/moderation/",
    "/synthesis/",
    "/synthesis/jobs/new/",
    "/synthesis/review/",
    "/synthesis/audits/",
    "/synthesis/images/",
    "/synthesis/experiments/",
    "/moderation/near-duplicates/",
    "/tone/agreement/",
    "/contributions/",
)
# Elements whose right edge must stay on screen (tables may scroll inside their own box).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const boxed = ['BUTTON', 'TH', 'TD'];
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-scroll, .table-wrap, pre') || !el.getClientRects().length) continue;
    const off = el.getBoundingClientRect().right > width + 1;
    const spills = boxed.includes(el.tagName) && el.scrollWidth > el.clientWidth + 1;
    if (off || spills) {
      bad.push(el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, bad: bad.slice(0, 10)};
}
"""


@pytest.fixture
def site(seeded_db, live_server):
    """A public image, a pending one, an open request, and a user with every role (the widest
    menu), signed in through a session cookie."""
    user = ReviewerFactory(username="dr-widest-menu", is_moderator=True)
    rows = demo_rows()
    public = ingest(user, rows[0]["image_id"], diagnosis="mel", fitzpatrick=5)
    image_publish(image=public, moderator=user)
    ingest(user, rows[1]["image_id"], diagnosis="bcc", fitzpatrick=6)
    from repository.models import Diagnosis

    request = request_create(
        requester=user,
        diagnosis=Diagnosis.objects.get(code="pih"),
        fitzpatrick_min=4,
        fitzpatrick_max=6,
        modality="clinical",
        quantity=20,
        reason="Post-inflammatory hyperpigmentation on darker skin is rare in public data.",
    )
    client = Client()
    client.force_login(user)
    return {
        "base": live_server.url,
        "session": client.cookies["sessionid"].value,
        "ids": {"image": public.pk, "request": request.pk},
    }


def _context(browser, site, *, width: int, language: str, theme: str, color_scheme="light"):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=color_scheme
    )
    host = site["base"].split("//")[1].split(":")[0]
    cookies = [("sessionid", site["session"]), ("pixgen_language", language)]
    if theme:
        cookies.append(("pixgen_theme", theme))
    context.add_cookies([{"name": n, "value": v, "domain": host, "path": "/"} for n, v in cookies])
    return context


def _axe_contrast(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['color-contrast']})).violations"
    )
    return [
        f"{v['id']} {[n['target'][0] + ' ' + n['failureSummary'][-80:] for n in v['nodes'][:5]]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_fit_and_read_well_in_both_themes(browser, site, language):
    """Each page is rendered dark (as the server sends it to a reader who chose dark), checked,
    run through axe-core at desktop width, then switched to light and checked again."""
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci)"
    problems = []
    for width in WIDTHS:
        context = _context(browser, site, width=width, language=language, theme="dark")
        page = context.new_page()
        page.set_default_timeout(20_000)
        for path in PAGES:
            url = site["base"] + path.format(**site["ids"])
            response = page.goto(url)
            assert response.status == 200, f"{url}: {response.status}"
            assert page.get_attribute("html", "lang") == language
            assert page.get_attribute("html", "data-theme") == "dark"
            toggle = page.locator("button.nav-toggle")
            if toggle.is_visible():
                toggle.click()  # the open menu must fit too
            for theme in ("dark", "light"):
                page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
                found = page.evaluate(OVERFLOW_JS)
                if found["scroll"] > found["width"] + 1 or found["bad"]:
                    problems.append(f"{path} [{language} {theme} {width}px] overflows: {found}")
                if theme == "dark" and width == max(WIDTHS):
                    problems += [f"{path} [{language} dark]: {v}" for v in _axe_contrast(page)]
        context.close()
    assert not problems, "\n".join(problems)


def test_switchers_keep_the_url_and_remember_the_choice(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(site["base"] + "/coverage/?diagnosis=mel")
    page.click("button.nav-toggle")
    page.click('button[name="language"][value="ja"]')
    page.wait_for_url("**/coverage/?diagnosis=mel")
    assert page.get_attribute("html", "lang") == "ja"
    assert "カバレッジ" in page.inner_text("h1")
    page.click("button.nav-toggle")
    page.click('button[name="theme"][value="dark"]')
    page.wait_for_url("**/coverage/?diagnosis=mel")
    assert page.get_attribute("html", "data-theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 17, 16)"
    page.goto(site["base"] + "/requests/")  # remembered on the next page
    assert page.get_attribute("html", "lang") == "ja"
    assert page.get_attribute("html", "data-theme") == "dark"
    context.close()


def test_system_theme_follows_the_browsers_dark_preference(browser, site):
    for scheme, background in (("dark", "rgb(21, 17, 16)"), ("light", "rgb(251, 248, 245)")):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(site["base"] + "/")
        assert page.get_attribute("html", "data-theme") == "system"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background
        context.close()
