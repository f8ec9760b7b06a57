"""The on-wiki templates install and render, also under their localized names."""

from __future__ import annotations

import pytest

from devtools.wikitemplates import install

pytestmark = pytest.mark.wiki


def rendered(wiki, text: str) -> str:
    data = wiki.client("Alice").post(
        {"action": "parse", "text": text, "contentmodel": "wikitext", "prop": "text"}, token=False
    )
    html = data["parse"]["text"]
    return html["*"] if isinstance(html, dict) else html


def test_templates_render_under_canonical_and_localized_names(ja_wiki) -> None:
    assert install(ja_wiki) >= 8
    html = rendered(ja_wiki, "{{スキル登録|利用者=さくら|学びたい=SPARQL|言語=ja}}")
    assert "さくら" in html and "SPARQL" in html and "Template:" not in html
    row = rendered(
        ja_wiki,
        "{|\n{{Skill badge|user=Alice|badge=Learner|skill=Lua|date=2026-11-25|id=abc|url=http://127.0.0.1/x}}\n|}",
    )
    assert "<td>" in row and "Learner" in row
