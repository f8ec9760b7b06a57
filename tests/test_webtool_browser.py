"""The web tool in a real browser: headless Chromium (Debian's) through Playwright.

A real WSGI server (werkzeug's, in a thread) serves the app on a free 127.0.0.1 port. Every page
must load without a console error (a CSP violation is one) in English and in Arabic, filters work
by clicking, the sign-up button carries the right preload URL, and the keyboard reaches the skip
link first. Screenshots land in build/screenshots/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browserharness import chromium, serve_sample_store

pytestmark = pytest.mark.browser

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
WIKI = {
    "id": "meta",
    "name": "Meta-Wiki",
    "index_url": "https://meta.wikimedia.org/w/index.php",
    "article_url": "https://meta.wikimedia.org/wiki/",
    "signup_page": "Skill-sharing/Signups",
    "preload": "Skill-sharing/Preload/Signup",
    "preload_by_lang": {"ar": "Skill-sharing/Preload/Signup/ar"},
    "offer_preload": "Skill-sharing/Preload/Offer",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with serve_sample_store(tmp_path_factory.mktemp("browser"), WIKI) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(ARGS) as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    try:
        yield pg
    finally:
        context.close()


def pages(summary: dict[str, Any]) -> list[tuple[str, str]]:
    person = summary["people"][0].replace(" ", "_")
    return [
        ("home", "/"),
        ("skills", "/skills"),
        ("skill", "/skills/sparql"),
        ("person", f"/people/{person}"),
        ("matches", "/matches"),
        ("needs", "/needs"),
        ("communities", "/communities"),
        ("events", "/events"),
        ("status", "/status"),
        ("award", f"/badges/awards/{summary['awards'][0]}"),
        ("award-revoked", f"/badges/awards/{summary['awards'][-1]}"),  # sampledata revokes it
        ("not-found", "/skills/no-such-skill"),
    ]


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_every_page_loads_cleanly(
    server: dict[str, Any], page: Any, lang: str, direction: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages(server["summary"]):
        sep = "&" if "?" in path else "?"
        response = page.goto(f"{server['base']}{path}{sep}uselang={lang}")
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), path
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == direction
        assert page.locator("main#content h1").count() == 1
        assert page.evaluate("getComputedStyle(document.body).fontFamily")  # the stylesheet loaded
        page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)
        if name == "not-found":  # Chromium logs the document's own 404 status; nothing else
            assert len(page.errors) == 1 and "404" in page.errors[0], page.errors
            page.errors.clear()
        assert page.errors == [], (path, page.errors)


def test_filter_by_clicking(server: dict[str, Any], page: Any) -> None:
    page.goto(f"{server['base']}/skills")
    before = page.locator("table.skills-table tbody tr").count()
    page.select_option("#f-method", "mentorship")
    page.select_option("#f-sort", "learners")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["method"] == ["mentorship"] and query["sort"] == ["learners"]
    assert page.input_value("#f-method") == "mentorship"
    after = page.locator("table.skills-table tbody tr").count()
    assert 0 < after < before
    learners = [
        int(t)
        for t in page.locator("table.skills-table tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert learners == sorted(learners, reverse=True)
    assert page.errors == []


def test_language_menu_switches_to_arabic(server: dict[str, Any], page: Any) -> None:
    page.goto(f"{server['base']}/needs")
    page.select_option("#uselang", "ar")
    with page.expect_navigation():
        page.locator("form.lang-form button").click()
    assert page.get_attribute("html", "dir") == "rtl"
    assert "uselang=ar" in page.url
    assert page.locator("svg.chart[direction=rtl]").count() == 2


def test_signup_link_has_the_preload_url(server: dict[str, Any], page: Any) -> None:
    page.goto(f"{server['base']}/skills/sparql?uselang=ar")
    href = page.get_attribute("a[data-kind=signup]", "href")
    assert href is not None
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == WIKI["index_url"]
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["title"] == [WIKI["signup_page"]]
    assert query["action"] == ["edit"] and query["section"] == ["new"]
    assert query["preload"] == ["Skill-sharing/Preload/Signup/ar"]
    label = page.inner_text("h1")
    assert query["preloadparams[]"] == [label, "ar"]
    assert query["uselang"] == ["ar"]


def test_keyboard_reaches_the_skip_link_first(server: dict[str, Any], page: Any) -> None:
    page.goto(f"{server['base']}/skills")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0  # visible once focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")
    page.keyboard.press("Tab")
    tag = page.evaluate("document.activeElement.tagName")
    assert tag in ("A", "SELECT", "BUTTON")  # focus continues inside the main content
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_scrolling_tables_take_keyboard_focus_at_320px(
    browser: Any, server: dict[str, Any]
) -> None:
    """axe's scrollable-region-focusable: at 320 px a wide table scrolls, so the keyboard must
    reach its region, which is named by the table's caption, and the arrows scroll it."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(f"{server['base']}/skills/sparql")
        overflowing = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')]"
            ".filter(e => e.scrollWidth > e.clientWidth).length"
        )
        assert overflowing > 0
        caption = page.locator(".table-wrap caption").first.inner_text()
        region = page.get_by_role("region", name=caption)
        assert region.count() == 1
        for _ in range(200):  # Tab until the first scrolling region has focus
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('table-wrap')"):
                break
        else:
            pytest.fail("the keyboard never reached a table region")
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
        before = page.evaluate("document.activeElement.scrollLeft")
        page.keyboard.press("ArrowRight")
        # Polled from Python: wait_for_function's string predicate is run through eval, which
        # the tool's Content-Security-Policy (script-src 'self') rightly forbids.
        for _ in range(50):
            if page.evaluate("document.activeElement.scrollLeft") != before:
                break
            page.wait_for_timeout(100)
        else:
            pytest.fail("the arrow key did not scroll the focused table region")
    finally:
        context.close()


def test_award_page_shows_the_badge_and_its_downloads(server: dict[str, Any], page: Any) -> None:
    award_id = server["summary"]["awards"][0]
    page.goto(f"{server['base']}/badges/awards/{award_id}?uselang=ar")
    page.wait_for_load_state("load")
    assert page.evaluate("document.querySelector('img.badge-image').naturalWidth") > 0
    for selector in ("a.button.primary[download]", "a.button[download][href$='.svg']"):
        href = page.get_attribute(selector, "href")
        assert href is not None and href.startswith(f"/badges/assertions/{award_id}.")
        response = page.request.get(f"{server['base']}{href}")
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/")
    assert page.errors == []
