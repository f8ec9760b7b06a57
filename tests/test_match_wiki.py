"""Matching on the real local wikis: tables, talk-page messages exactly once, refusals reported."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devtools.dataset import Edit
from devtools.seed import append_as, create_accounts, dump_xml
from tests.wikirun import WikiRun, kill_loop, slow_writes_env, write_config

pytestmark = pytest.mark.wiki


def signup(user: str, wants: str, offers: str = "", extra: str = "") -> str:
    off = f"|offers={offers}" if offers else ""
    return f"{{{{Skill signup|user={user}|wants={wants}{off}|languages=en{extra}}}}}"


def offer(user: str, skills: str, capacity: int) -> str:
    return f"{{{{Skill offer|user={user}|skills={skills}|languages=en|capacity={capacity}}}}}"


def add(wiki, user: str, title: str, text: str) -> None:
    wiki.client(user).edit(title, text + "\n", summary="signup", append=True)


def markers(text: str | None, scope_ids: set[str]) -> list[str]:
    found = re.findall(
        r"<!-- skillmatch:((?:match|reminder|badge):[^ ]+) [0-9a-f]{32} -->", text or ""
    )
    return [m for m in found if m.split(":")[1] in scope_ids or m.startswith("badge:")]


def test_one_run_writes_tables_and_messages_second_run_makes_no_edit(
    meta_wiki, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    add(meta_wiki, "Alice", page, signup("Alice", "Lua"))
    add(meta_wiki, "Bob", page, signup("Bob", "SPARQL"))
    add(meta_wiki, "Erin", page, signup("Erin", "Lua", extra="|notify=no"))
    add(meta_wiki, "Heidi", page, signup("Heidi", "Lua"))
    add(meta_wiki, "Frank", page, signup("Frank", "GLAM", offers="Wikidata"))
    add(meta_wiki, "Grace", page, signup("Grace", "Wikidata", offers="GLAM"))
    add(meta_wiki, "Carol", w.title("Offers"), offer("Carol", "Lua", 2))
    add(meta_wiki, "Dave", w.title("Offers"), offer("Dave", "SPARQL", 1))

    _, _, runner = w.run()
    rows = runner.store.load_matches()
    pairs = sorted((r["kind"], r["a"], r["b"]) for r in rows)
    assert ("mentor", "Bob", "Dave") in pairs and ("peer", "Frank", "Grace") in pairs
    lua = [r for r in rows if r["kind"] == "mentor" and r["b"] == "Carol"]
    assert len(lua) == 2  # capacity 2 of three Lua learners
    waiting = runner.store.load_waiting()
    assert [(x["why"]) for x in waiting] == ["all_at_capacity"]
    table = meta_wiki.client("Alice").text(w.title("Matches"))
    assert table is not None
    for r in rows:
        assert r["id"] in table
    assert "[[User:Dave|Dave]]" in table and "SPARQL" in table
    wait_page = meta_wiki.client("Alice").text(w.title("Waiting"))
    assert wait_page is not None and waiting[0]["username"] in wait_page

    ids = {r["id"] for r in rows}
    notified = {u for r in rows for u in (r["a"], r["b"]) if u != "Erin"}
    for user in notified:
        talk = meta_wiki.client("Alice").text(f"User talk:{user}")
        mine = markers(talk, ids)
        assert len(mine) == len(set(mine)) >= 1, (user, mine)
    if "Erin" in {r["a"] for r in rows}:
        assert markers(meta_wiki.client("Alice").text("User talk:Erin"), ids) == []  # notify=no

    second, _, _ = w.run()
    assert second.edits == 0
    assert second.new_matches == 0


def test_refusing_talk_pages_are_reported_and_the_rest_completes(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    admin = meta_wiki.client("Admin")
    add(meta_wiki, "Carol", w.title("Offers"), offer("Carol", "Lua", 10))
    for user in ("Alice", "Bob", "Trent", "Frank", "Dave"):
        add(meta_wiki, user, page, signup(user, "Lua"))
    alice_talk = meta_wiki.client("Alice").text("User talk:Alice") or ""
    bob_talk = meta_wiki.client("Bob").text("User talk:Bob") or ""
    meta_wiki.client("Alice").edit("User talk:Alice", "{{nobots}}\n" + alice_talk)
    meta_wiki.client("Bob").edit("User talk:Bob", "{{bots|deny=SkillBot}}\n" + bob_talk)
    meta_wiki.client("Trent").edit(
        "User talk:Trent", (meta_wiki.client("Trent").text("User talk:Trent") or "") + "\nhi"
    )
    admin.protect("User talk:Trent", edit="sysop")
    filter_id = meta_wiki.add_abuse_filter(
        "never-used", "No bot posts to Frank", rules='page_namespace == 3 & page_title == "Frank"'
    )
    try:
        report, _, runner = w.run()
        statuses = {o.title: o.status for o in report.outcomes}
        assert statuses["User talk:Alice"] == "skipped-nobots"
        assert statuses["User talk:Bob"] == "skipped-nobots"
        assert statuses["User talk:Trent"] == "failed"
        assert statuses["User talk:Frank"] == "failed"
        assert statuses["User talk:Dave"] == "saved" and statuses["User talk:Carol"] == "saved"
        failed = {o.title: o.reason for o in report.outcomes if o.status == "failed"}
        assert failed == {"User talk:Trent": "protected", "User talk:Frank": "abusefilter"}
        problems = meta_wiki.client("Dave").text(w.title("Problems")) or ""
        for user in ("Alice", "Bob", "Trent", "Frank"):
            assert f"User talk:{user}" in problems
        assert meta_wiki.client("Alice").text("User talk:Alice").startswith("{{nobots}}")
        # Carol got all five announcements despite the refusals around them.
        ids = {r["id"] for r in runner.store.load_matches()}
        assert len(markers(meta_wiki.client("Carol").text("User talk:Carol"), ids)) == 5
    finally:
        meta_wiki.disable_abuse_filter(filter_id)
        admin.protect("User talk:Trent", edit="all")
        meta_wiki.client("Alice").edit("User talk:Alice", alice_talk or "-")
        meta_wiki.client("Bob").edit("User talk:Bob", bob_talk or "-")


def test_killed_runs_post_every_message_exactly_once(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    learners = [f"{w.prefix}L{i:02d}" for i in range(30)]
    mentors = [f"{w.prefix}M{i}" for i in range(3)]
    create_accounts(meta_wiki, learners + mentors)
    for m in mentors:
        append_as(meta_wiki, m, w.title("Offers"), offer(m, "Lua", 10) + "\n")
    for user in learners:
        append_as(meta_wiki, user, page, signup(user, "Lua") + "\n")
    config = write_config(w, tmp_path / "config.yaml")
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    env = slow_writes_env(tmp_path)
    # 60 messages at one save a second; each run is killed soon after it starts posting.
    kills = kill_loop(cmd, env, tmp_path / "store.db", times=20, seed=20261125)
    assert kills == 20, "every run must have been killed mid-way"
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    report, _, runner = w.run()
    rows = runner.store.load_matches()
    assert len(rows) == 30
    ids = {r["id"] for r in rows}
    expected = {f"match:{r['id']}:{u}" for r in rows for u in (r["a"], r["b"])}
    seen: list[str] = []
    for user in learners + mentors:
        seen.extend(markers(meta_wiki.client("Carol").text(f"User talk:{user}"), ids))
    assert sorted(seen) == sorted(expected)  # every message, each exactly once
    assert report.edits == 0


def test_inactive_mentor_gets_no_new_learner_and_quiet_runs_ask_no_activity(
    meta_wiki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mentor whose only edit is 400 days old is inactive (inactive_days=90): no learner.

    Activity comes from the page histories first; the wikis are asked only about mentors who
    look inactive, and not again about the same ones within a day.
    """
    from bot.wiki import Wiki

    w = WikiRun(tmp_path)
    olga, maria = f"{w.prefix}Olga", f"{w.prefix}Maria"
    create_accounts(meta_wiki, [olga, maria, "Alice", "Bob"])
    old = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    dump = tmp_path / "old.xml"
    dump.write_text(
        dump_xml({w.title("More/Olga"): [Edit(olga, offer(olga, "Lua", 3) + "\n")]}, old),
        encoding="utf-8",
    )
    meta_wiki.maintenance("importDump", "--no-updates", str(dump))
    add(meta_wiki, maria, w.title("Offers"), offer(maria, "Lua", 1))
    add(meta_wiki, "Alice", w.title("Signups"), signup("Alice", "Lua"))
    add(meta_wiki, "Bob", w.title("Signups"), signup("Bob", "Lua"))

    asked: list[list[str]] = []
    real = Wiki.last_edits

    def spy(self: Wiki, users):  # observes the real API call, changes nothing
        asked.append(sorted(users))
        return real(self, users)

    monkeypatch.setattr(Wiki, "last_edits", spy)
    _, _, runner = w.run()
    assert runner.cfg.inactive_days == 90
    pairs = {(r["a"], r["b"]) for r in runner.store.load_matches()}
    assert len(pairs) == 1 and next(iter(pairs))[1] == maria  # Olga has room but is inactive
    assert [x["username"] for x in runner.store.load_waiting()] in (["Alice"], ["Bob"])
    assert asked == [[olga]], "only the mentor without a recent edit in the histories is asked"
    known = runner.store.last_edits([olga, maria])
    assert known[olga] < datetime.now(UTC) - timedelta(days=300)
    assert known[maria] > datetime.now(UTC) - timedelta(days=1)

    asked.clear()
    second, _, _ = w.run()
    assert second.edits == 0 and second.revisions_fetched == 0
    assert asked == []  # Olga was looked up less than a day ago
