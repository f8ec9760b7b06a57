"""Recognition on the real local wikis: confirmations from history, badges once, revocation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_match_wiki import slow_writes_env
from tests.wikirun import WikiRun, kill_loop, write_config

pytestmark = pytest.mark.wiki


def add(wiki, user: str, title: str, text: str) -> None:
    wiki.client(user).edit(title, text + "\n", summary="test", append=True)


def confirm(match_id: str, user: str, outcome: str) -> str:
    return f"{{{{Skill match confirm|id={match_id}|user={user}|outcome={outcome}}}}}"


def badge_rows(text: str | None) -> list[str]:
    return re.findall(r"\{\{Skill badge\|[^}]*\|id=([0-9a-f]+)\|", text or "")


def test_confirmations_drive_the_match_and_badges_once(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    add(meta_wiki, "Alice", page, "{{Skill signup|user=Alice|wants=Lua|languages=en}}")
    add(meta_wiki, "Carol", w.title("Offers"), "{{Skill offer|user=Carol|skills=Lua|languages=en}}")
    _, _, runner = w.run()
    (match,) = runner.store.load_matches()
    mid = match["id"]
    assert match["state"] == "proposed"

    # Mallory confirms for Alice: ignored and reported.
    add(meta_wiki, "Mallory", page, confirm(mid, "Alice", "completed"))
    add(meta_wiki, "Alice", page, confirm(mid, "Alice", "accepted"))
    add(meta_wiki, "Carol", page, confirm(mid, "Carol", "accepted"))
    report, _, runner = w.run()
    (match,) = runner.store.load_matches()
    assert match["state"] == "active"
    problems = runner.store.load_entries().problems
    assert [(p.code, p.params) for p in problems] == [("not-own-entry", ("Alice", "Mallory"))]
    assert "Mallory" in (meta_wiki.client("Alice").text(w.title("Problems")) or "")
    table = meta_wiki.client("Alice").text(w.title("Matches")) or ""
    assert "active" in table

    add(meta_wiki, "Alice", page, confirm(mid, "Alice", "completed"))
    add(meta_wiki, "Carol", page, confirm(mid, "Carol", "completed"))
    report, _, runner = w.run()
    (match,) = runner.store.load_matches()
    assert match["state"] == "completed"
    awards = {(a["username"], a["badge_class"], a["skill"]) for a in runner.store.load_awards()}
    assert awards == {("Alice", "learner", "lua"), ("Carol", "mentor-1", None)}
    assert report.new_awards == 2
    rows = badge_rows(meta_wiki.client("Alice").text(w.title("Badges")))
    assert sorted(rows) == sorted(a["id"] for a in runner.store.load_awards())
    for user in ("Alice", "Carol"):
        talk = meta_wiki.client(user).text(f"User talk:{user}") or ""
        ids = [a["id"] for a in runner.store.load_awards() if a["username"] == user]
        assert talk.count(f"skillmatch:badge:{ids[0]}") == 1

    again, _, _ = w.run()
    assert again.new_awards == 0 and again.edits == 0

    # Alice withdraws her completion: both badges that rested on it are revoked.
    text = meta_wiki.client("Alice").text(page) or ""
    meta_wiki.client("Alice").edit(
        page, text.replace(confirm(mid, "Alice", "completed"), confirm(mid, "Alice", "withdrawn"))
    )
    report, _, runner = w.run()
    assert report.revoked_awards == 2
    assert all(a["revoked"] for a in runner.store.load_awards())
    (match,) = runner.store.load_matches()
    assert match["state"] == "active"
    assert badge_rows(meta_wiki.client("Alice").text(w.title("Badges"))) == []


def test_attendance_badges_only_from_organizer(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    event = (
        "{{Skill event|id=ev-wd|title=Wikidata day|organizer=Grace|skills=Wikidata|date=2026-11-01"
        "|format=offline|region=KE|languages=en}}"
    )
    add(meta_wiki, "Grace", page, event)
    for user in ("Heidi", "Alice", "Bob"):  # a trainer needs three attendees
        add(meta_wiki, "Grace", page, f"{{{{Skill attendee|event=ev-wd|user={user}}}}}")
    add(meta_wiki, "Mallory", page, "{{Skill attendee|event=ev-wd|user=Mallory}}")
    _, _, runner = w.run()
    awards = {(a["username"], a["badge_class"]) for a in runner.store.load_awards()}
    assert awards == {
        ("Heidi", "event-offline"),
        ("Alice", "event-offline"),
        ("Bob", "event-offline"),
        ("Grace", "trainer"),
    }
    codes = [p.code for p in runner.store.load_entries().problems]
    assert codes == ["not-own-entry"]


def test_killed_awarding_leaves_each_badge_once(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    attendees = [
        "Alice",
        "Bob",
        "Carol",
        "Dave",
        "Erin",
        "Frank",
        "Heidi",
        "Trent",
        "さくら",
        "ليلى",
    ]
    # Four events of ten attendees: 40 participant badges and 4 trainer badges, so the
    # announcement phase (one post a second) outlasts all twenty kills.
    lines = []
    for n in range(4):
        lines.append(
            f"{{{{Skill event|id=ev-k{n}|title=Lua clinic {n}|organizer=Grace|skills=Lua"
            f"|date=2026-10-0{n + 1}|format=online}}}}"
        )
        lines += [f"{{{{Skill attendee|event=ev-k{n}|user={u}}}}}" for u in attendees]
    add(meta_wiki, "Grace", page, "\n".join(lines))
    config = write_config(w, tmp_path / "config.yaml")
    env = slow_writes_env(tmp_path)
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    kills = kill_loop(cmd, env, tmp_path / "store.db", times=20, seed=6)
    assert kills == 20
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    report, _, runner = w.run()
    awards = runner.store.load_awards()
    assert len(awards) == 44 and report.edits == 0
    rows = badge_rows(meta_wiki.client("Alice").text(w.title("Badges")))
    assert sorted(rows) == sorted(a["id"] for a in awards)  # each badge row exactly once
    for a in awards:
        talk = meta_wiki.client("Alice").text(f"User talk:{a['username']}") or ""
        assert talk.count(f"skillmatch:badge:{a['id']} ") == 1, a["username"]
