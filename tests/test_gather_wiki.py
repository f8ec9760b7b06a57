"""Data gathering end to end on the real local MediaWiki wikis (no HTTP mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wikirun import WikiRun

pytestmark = pytest.mark.wiki

SIGNUP = "{{{{Skill signup|user={user}|wants={wants}|languages=en|community=enwiki}}}}"


def signup(user: str, wants: str = "Lua") -> str:
    return SIGNUP.format(user=user, wants=wants)


def append(wiki, user: str, title: str, text: str) -> int:
    return wiki.client(user).edit(title, text + "\n", summary="signup", append=True)


def test_impersonation_rejected_reported_and_owner_version_kept(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    append(meta_wiki, "Alice", page, signup("Alice", "Lua"))
    append(meta_wiki, "Bob", page, signup("Bob", "SPARQL"))
    # Mallory signs Carol up, and rewrites Alice's entry.
    append(meta_wiki, "Mallory", page, signup("Carol", "Commons"))
    text = meta_wiki.client("Mallory").text(page)
    meta_wiki.client("Mallory").edit(
        page, text.replace("user=Alice|wants=Lua", "user=Alice|wants=GLAM")
    )

    report, _, runner = w.run()
    data = runner.store.load_entries()
    wants = {s.user: [x.skill for x in s.wants] for s in data.signups}
    assert wants == {"Alice": ["lua"], "Bob": ["sparql"]}
    not_own = sorted(p.params for p in data.problems if p.code == "not-own-entry")
    assert not_own == [("Alice", "Mallory"), ("Carol", "Mallory")]
    problems_page = meta_wiki.client("Alice").text(w.title("Problems"))
    assert problems_page is not None
    assert "Mallory" in problems_page and "Special:Diff/" in problems_page
    assert report.edits == 5  # needs map, problems, matches, waiting, badges

    # Carol signs herself up later: her own edit counts.
    text = meta_wiki.client("Carol").text(page)
    meta_wiki.client("Carol").edit(
        page, text.replace("user=Carol|wants=Commons", "user=Carol|wants=Lua")
    )
    _, _, runner = w.run()
    wants = {s.user: [x.skill for x in s.wants] for s in runner.store.load_entries().signups}
    assert wants == {"Alice": ["lua"], "Bob": ["sparql"], "Carol": ["lua"]}


def test_second_run_makes_no_edit_and_fetches_no_seen_revision(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    for i, user in enumerate(["Alice", "Bob", "Dave"]):
        append(meta_wiki, user, w.title("Signups"), signup(user, ["Lua", "SPARQL", "Commons"][i]))
    append(
        meta_wiki,
        "Erin",
        w.title("Offers"),
        "{{Skill offer|user=Erin|skills=Lua|languages=en|capacity=2}}",
    )
    append(meta_wiki, "Frank", w.title("More/1"), signup("Frank", "Wikidata"))
    first, _, _ = w.run()
    # Five report pages, and Erin's match with one Lua learner announced to both.
    assert first.edits == 7 and first.revisions_fetched == 5
    assert first.new_matches == 1 and first.messages["saved"] == 2
    assert first.entries["signups"] == 4 and first.entries["offers"] == 1
    second, _, _ = w.run()
    assert second.edits == 0
    assert second.revisions_fetched == 0
    # One new revision on one page: exactly one revision read, from the batched preload.
    append(meta_wiki, "Grace", w.title("Signups"), signup("Grace", "Lua"))
    third, _, _ = w.run()
    assert third.revisions_fetched == 1
    assert third.entries["signups"] == 5
    assert (tmp_path / "out" / "needs-map.json").exists() and (
        tmp_path / "out" / "needs-map.csv"
    ).exists()


def test_dry_run_prints_diff_and_edits_nothing(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    append(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "Lua"))
    report, out, _ = w.run(dry_run=True)
    assert report.edits == 0
    assert f"+++ smmeta:{w.title('Needs map')} (proposed)" in out
    assert meta_wiki.client("Alice").text(w.title("Needs map")) is None
    # The dry run left the store as it was: a real run still has everything to do.
    real, _, _ = w.run()
    assert real.edits == 5 and real.new_matches == 0


def test_nobots_on_report_page_is_honoured(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    append(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "Lua"))
    meta_wiki.client("Admin").edit(w.title("Problems"), "{{nobots}}\nHands off.")
    report, _, _ = w.run()
    assert [o.title for o in report.outcomes if o.status == "skipped-nobots"] == [
        w.title("Problems")
    ]
    assert meta_wiki.client("Alice").text(w.title("Problems")) == "{{nobots}}\nHands off."


def test_hostile_values_render_inert_on_the_real_wiki(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    hostile = [
        "{{Skill signup|user=Alice|wants=<script>alert(1)</script>]]|languages=en}}",
        "{{Skill signup|user=Alice|wants=Lua|languages=en"
        "|community=[[Category:Spam]] {{{{!}}}} ~~~~ <b>x</b>}}",
        "{{Skill signup|user=Alice|wants=Lua}}{{subst:x}}|languages=en}}",
        "{{Skill signup|user=Alice|wants=x'''y'''__NOTOC__|languages=en}}",
    ]
    for text in hostile:
        append(meta_wiki, "Alice", page, text)
    w.run()
    client = meta_wiki.client("Alice")
    for title in (w.title("Problems"), w.title("Needs map")):
        parsed = client.get(
            {
                "action": "parse",
                "page": title,
                "prop": "text|links|categories|templates|externallinks",
            }
        )["parse"]
        html = parsed["text"]["*"] if isinstance(parsed["text"], dict) else parsed["text"]
        assert "<script" not in html
        assert parsed["categories"] == []
        assert parsed["templates"] == []
        assert parsed["externallinks"] == []
        namespaces = {link["ns"] for link in parsed["links"]}
        assert namespaces <= {0, 2, -1}, parsed["links"]


def test_japanese_wiki_with_localized_templates(meta_wiki, ja_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path, with_ja=True)
    append(
        ja_wiki,
        "さくら",
        w.title("登録"),
        "{{スキル登録|利用者=さくら|学びたい=SPARQL（初級）|言語=ja}}",
    )
    append(
        ja_wiki,
        "Bob",
        w.title("登録"),
        "{{スキル提供|利用者=Bob|提供スキル=SPARQL|言語=ja、en|定員=2}}",
    )
    append(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "SPARQL"))
    report, _, runner = w.run()
    data = runner.store.load_entries()
    assert {(s.user, s.origin.wiki) for s in data.signups} == {
        ("さくら", "smja"),
        ("Alice", "smmeta"),
    }
    assert [(o.user, o.capacity) for o in data.offers] == [("Bob", 2)]
    ja_map = ja_wiki.client("Bob").text(w.title("ニーズマップ"))
    assert ja_map is not None and "SPARQL" in ja_map
    # Bob mentors both SPARQL learners (capacity 2): five report pages on smmeta, two on
    # smja, and four messages, each on the recipient's home wiki.
    assert report.new_matches == 2
    assert report.edits == 11
    sakura_talk = ja_wiki.client("Bob").text("User talk:さくら")
    assert sakura_talk is not None and "Bob" in sakura_talk
