"""Data gathering end to end on the real local MediaWiki wikis (no HTTP mocks)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.run import Runner
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


def test_moved_page_is_read_at_its_new_title_and_forgotten_at_the_old(
    meta_wiki, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    old, new = w.title("More/Spring"), w.title("More/Spring 2026")
    append(meta_wiki, "Alice", old, signup("Alice", "Lua"))
    _, _, runner = w.run()
    assert [(s.user, s.origin.page) for s in runner.store.load_entries().signups] == [
        ("Alice", old)
    ]
    admin = meta_wiki.client(meta_wiki.admin_user)
    admin.post({"action": "move", "from": old, "to": new, "reason": "rename"})  # leaves a redirect

    report, _, runner = w.run()
    data = runner.store.load_entries()
    assert [(s.user, s.origin.page) for s in data.signups] == [("Alice", new)]
    assert [p.code for p in data.problems] == []  # no "removed by the mover"
    assert report.entries["signups"] == 1 and runner.store.page_titles("smmeta") == [new]


def test_deleted_signup_page_keeps_its_entries_and_is_reported(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    append(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "Lua"))
    append(meta_wiki, "Bob", w.title("Offers"), signup("Bob", "SPARQL"))
    w.run()
    admin = meta_wiki.client(meta_wiki.admin_user)
    admin.post({"action": "delete", "title": w.title("Offers"), "reason": "oops"})

    report, _, runner = w.run()
    assert report.entries["signups"] == 2  # Bob's entry stays in force
    problems = meta_wiki.client("Alice").text(w.title("Problems")) or ""
    assert w.title("Offers") in problems and "1" in problems
    assert len(runner.store.load_entries().signups) == 2
    again, _, _ = w.run()
    assert again.edits == 0  # reported once, not re-saved on every run


def test_a_batch_too_big_for_one_answer_is_read_in_parts(meta_wiki, tmp_path: Path) -> None:
    """MediaWiki cuts a big prop=revisions answer short ($wgAPIMaxResultSize) and says where
    to continue; no page of the batch may be taken for missing."""
    import pywikibot

    from bot.wiki import Wiki

    w = WikiRun(tmp_path)
    titles = [w.title(f"More/Big {i}") for i in range(3)]
    filler = "<!-- " + "x" * 12000 + " -->\n"
    for t in titles:
        append(meta_wiki, "Alice", t, filler + signup("Alice"))
    wiki = Wiki("smmeta", pywikibot.Site("smmeta", "smmeta"))
    with meta_wiki.settings_override("$wgAPIMaxResultSize = 20000;"):
        found = wiki.latest(titles)
    assert all(found[t] is not None and "Skill signup" in found[t].text for t in titles)
    assert wiki.requests >= 3  # it took continuations


def test_a_read_only_wiki_delays_messages_without_losing_them(
    meta_wiki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pywikibot

    monkeypatch.setattr(pywikibot.config, "max_retries", 0)  # Pywikibot's own waits: skip
    w = WikiRun(tmp_path)
    append(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "Lua"))
    append(meta_wiki, "Bob", w.title("Offers"), "{{Skill offer|user=Bob|skills=Lua|languages=en}}")
    runner = Runner(w.config(), out=io.StringIO())
    runner.wiki(runner.cfg.wikis[0])  # logged in before the wiki locks (logins need writes)
    with meta_wiki.settings_override("$wgReadOnly = 'Database maintenance';"):
        report = runner.run()
    assert report.messages.get("retry") == 2 and report.edits == 0
    with runner.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT state, attempts FROM outbox")).all()
    assert sorted(rows) == [("pending", 1), ("pending", 1)]
    report, _, _ = w.run()
    assert report.messages.get("saved") == 2
    talk = meta_wiki.client("Alice").text("User talk:Bob") or ""
    assert talk.count("<!-- skillmatch:match:") >= 1
