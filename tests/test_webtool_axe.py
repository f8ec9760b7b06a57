"""axe-core (WCAG 2.1 A/AA) on the web tool's main pages, in headless Chromium.

Why: hand-written checks only catch what we thought of; axe is what outside auditors run. Each
main page is loaded in English, Arabic (RTL), Japanese and Spanish at 320 px and 1280 px width,
axe.min.js (installed by devtools/install-deps.sh, pinned there) is injected and ``axe.run``
checks the WCAG 2.0/2.1 A and AA rules. Serious or critical violations fail the test; lesser
ones are printed for a human to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browserharness import chromium, serve_sample_store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGS = ["en", "ar", "ja", "es"]
WIDTHS = [320, 1280]
WIKI = {
    "id": "meta",
    "name": "Meta-Wiki",
    "index_url": "https://meta.wikimedia.org/w/index.php",
    "article_url": "https://meta.wikimedia.org/wiki/",
    "signup_page": "Skill-sharing/Signups",
    "preload": "Skill-sharing/Preload/Signup",
    "offer_preload": "Skill-sharing/Preload/Offer",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with serve_sample_store(tmp_path_factory.mktemp("axe"), WIKI) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run devtools/install-deps.sh")
    with chromium(ARGS) as b:
        yield b


def main_pages(summary: dict[str, Any]) -> list[str]:
    person = summary["people"][0].replace(" ", "_")
    return [
        "/",
        "/skills",
        "/skills/sparql",
        "/needs",
        f"/people/{person}",
        "/matches",
        "/events",
        "/status",
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_serious_violation(
    browser: Any, server: dict[str, Any], lang: str, width: int
) -> None:
    script = AXE.read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    serious: list[str] = []
    checked = 0
    try:
        for path in main_pages(server["summary"]):
            url = f"{server['base']}{path}?uselang={lang}"
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            page.wait_for_load_state("load")
            page.evaluate(script)
            result = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
            )
            assert result["passes"], url  # axe really ran its rules on this page
            checked += 1
            for v in result["violations"]:
                nodes = "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                line = f"{path} [{lang}, {width}px] {v['impact']} {v['id']}: {v['help']} at {nodes}"
                if v["impact"] in ("serious", "critical"):
                    serious.append(line)
                else:
                    print(line)
    finally:
        context.close()
    assert checked == len(main_pages(server["summary"]))
    assert serious == [], "\n".join(serious)


def test_axe_reports_a_planted_violation(browser: Any, server: dict[str, Any]) -> None:
    """The check above can fail: an image without alt text planted in a page is caught."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{server['base']}/skills")
        page.evaluate(AXE.read_text(encoding="utf-8"))
        page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
        )
    finally:
        context.close()
    found = {(v["id"], v["impact"]) for v in result["violations"]}
    assert ("image-alt", "critical") in found
