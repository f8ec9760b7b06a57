"""Global identity and order on the real local wikis: event ids anyone could claim,
cross-wiki order by time (not per-wiki revision ids), declines that stick, and badges
one person cannot farm alone (issue 11, points 4, 5 and 7)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.wikirun import WikiRun

pytestmark = pytest.mark.wiki


def add(wiki: Any, user: str, title: str, text: str) -> int:
    return int(wiki.client(user).edit(title, text + "\n", summary="test", append=True))


def event(eid: str, organizer: str, fmt: str = "online", skills: str = "Lua") -> str:
    return (
        f"{{{{Skill event|id={eid}|title=Clinic {eid}|organizer={organizer}|skills={skills}"
        f"|date=2026-11-01|format={fmt}|region=KE|languages=en}}}}"
    )


def attendee(eid: str, user: str) -> str:
    return f"{{{{Skill attendee|event={eid}|user={user}}}}}"


def confirm(match_id: str, user: str, outcome: str) -> str:
    return f"{{{{Skill match confirm|id={match_id}|user={user}|outcome={outcome}}}}}"


def next_second() -> None:
    """Revision times have one-second resolution: "later" must be a later second."""
    time.sleep(1.1)


def awards_of(runner: Any) -> set[tuple[str, str]]:
    return {
        (a["username"], a["badge_class"]) for a in runner.store.load_awards() if not a["revoked"]
    }


def problems(runner: Any, code: str) -> list[tuple[str, ...]]:
    return [p.params for p in runner.store.load_entries().problems if p.code == code]


def assert_graces_event_stands(runner: Any, attendees: tuple[str, ...]) -> None:
    """Mallory's hijack of Grace's event id took nothing over: her attendee line (Trent) is
    refused as not her own entry, and only Grace's online event gives badges: the trainer
    badge to her, the online-event badge to each of her attendees."""
    assert problems(runner, "not-own-entry") == [("Grace", "Mallory")]
    assert awards_of(runner) == {("Grace", "trainer")} | {(u, "event-online") for u in attendees}


def assert_reported_then_quiet(wiki: Any, w: WikiRun, report: str, says: str) -> Any:
    """The report page `report` on `wiki` says `says`; one more run edits nothing and gives
    or takes no badge. Returns that run's runner."""
    text = wiki.client("Alice").text(w.title(report)) or ""
    assert says in text
    again, _, runner = w.run()
    assert again.edits == 0 and again.new_awards == 0 and again.revoked_awards == 0
    return runner


def ahead(of: Any, behind: Any, user: str, title: str, margin: int = 30) -> None:
    """Edit `of` until its revision ids pass `behind`'s by `margin` (room for the report
    pages a run writes on `behind`), so that an order by revision id would be the wrong
    one: the test then fails unless the bot orders by time."""
    top = add(behind, user, title, "<!-- tick -->") + margin
    for _ in range(2000):
        if add(of, user, title, "<!-- tick -->") > top:
            return
    raise AssertionError("could not get the revision ids ahead")


def test_hijacked_event_id_on_the_same_wiki(meta_wiki: Any, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page, more = w.title("Signups"), w.title("More/Events")
    add(meta_wiki, "Grace", page, event("ev-h1", "Grace", "online"))
    next_second()
    # Mallory writes an event with Grace's id (her own entry, so authorship lets it in),
    # offline, so that attendees would get the wrong badge if it took the event over.
    add(meta_wiki, "Mallory", more, event("ev-h1", "Mallory", "offline"))
    add(meta_wiki, "Mallory", more, attendee("ev-h1", "Trent"))
    add(
        meta_wiki, "Grace", page, "\n".join(attendee("ev-h1", u) for u in ("Alice", "Bob", "Carol"))
    )
    _, _, runner = w.run()

    assert problems(runner, "duplicate-event-id") == [("ev-h1", "Grace")]
    assert [(e.organizer, e.format) for e in runner.store.load_entries().events] == [
        ("Grace", "online")
    ]
    assert_graces_event_stands(runner, ("Alice", "Bob", "Carol"))
    runner = assert_reported_then_quiet(
        meta_wiki, w, "Problems", '"ev&#45;h1" already belongs to an earlier event by Grace'
    )
    assert problems(runner, "duplicate-event-id") == [("ev-h1", "Grace")]


def test_hijacked_event_id_on_the_other_wiki_and_own_attendees_across_wikis(
    meta_wiki: Any, ja_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path, with_ja=True)
    page, ja_page = w.title("Signups"), w.title("登録")
    add(meta_wiki, "Grace", page, event("ev-h2", "Grace", "online"))
    ahead(meta_wiki, ja_wiki, "Grace", w.title("Ticks"))
    next_second()
    # Later in time, but with a smaller revision id on the younger wiki.
    hijack = add(ja_wiki, "Mallory", ja_page, event("ev-h2", "Mallory", "offline"))
    grace = add(meta_wiki, "Grace", page, "\n".join(attendee("ev-h2", u) for u in ("Alice", "Bob")))
    assert hijack < grace  # an order by revision id would make Mallory the first
    add(ja_wiki, "Grace", ja_page, attendee("ev-h2", "さくら"))  # her own line, on the other wiki
    add(ja_wiki, "Mallory", ja_page, attendee("ev-h2", "Trent"))
    _, _, runner = w.run()

    dup = [p for p in runner.store.load_entries().problems if p.code == "duplicate-event-id"]
    assert [(p.origin.wiki, p.params) for p in dup] == [("smja", ("ev-h2", "Grace"))]
    attendees = {(a.user, a.origin.wiki) for a in runner.store.load_entries().attendees}
    assert attendees == {("Alice", "smmeta"), ("Bob", "smmeta"), ("さくら", "smja")}
    assert_graces_event_stands(runner, ("Alice", "Bob", "さくら"))
    assert_reported_then_quiet(
        ja_wiki, w, "問題", "イベント ID「ev&#45;h2」は Grace さんの先のイベント"
    )


def test_withdrawal_on_the_other_wiki_after_a_completion_wins(
    meta_wiki: Any, ja_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path, with_ja=True)
    page, ja_page = w.title("Signups"), w.title("登録")
    add(meta_wiki, "Alice", page, "{{Skill signup|user=Alice|wants=Lua|languages=en}}")
    add(meta_wiki, "Carol", w.title("Offers"), "{{Skill offer|user=Carol|skills=Lua|languages=en}}")
    _, _, runner = w.run()
    (match,) = runner.store.load_matches()
    mid = match["id"]
    add(meta_wiki, "Alice", page, confirm(mid, "Alice", "accepted"))
    add(meta_wiki, "Carol", page, confirm(mid, "Carol", "accepted"))
    ahead(meta_wiki, ja_wiki, "Alice", w.title("Ticks"))
    done = add(meta_wiki, "Alice", page, confirm(mid, "Alice", "completed"))
    add(meta_wiki, "Carol", page, confirm(mid, "Carol", "completed"))
    _, _, runner = w.run()
    assert runner.store.load_matches()[0]["state"] == "completed"
    assert awards_of(runner) == {("Alice", "learner"), ("Carol", "mentor-1")}

    next_second()
    withdrawn = add(ja_wiki, "Alice", ja_page, confirm(mid, "Alice", "withdrawn"))
    assert withdrawn < done  # later in time, smaller revision id
    report, _, runner = w.run()
    assert runner.store.load_matches()[0]["state"] == "active"
    assert report.revoked_awards == 2 and awards_of(runner) == set()


def test_a_decline_sticks_until_both_sign_up_anew(meta_wiki: Any, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page, offers = w.title("Signups"), w.title("Offers")
    signup = "{{Skill signup|user=Alice|wants=Lua|languages=en}}"
    offer = "{{Skill offer|user=Carol|skills=Lua|languages=en}}"
    add(meta_wiki, "Alice", page, signup)
    add(meta_wiki, "Carol", offers, offer)
    _, _, runner = w.run()
    (first,) = runner.store.load_matches()
    talk_before = meta_wiki.client("Alice").text("User talk:Carol") or ""

    next_second()
    add(meta_wiki, "Alice", page, confirm(first["id"], "Alice", "declined"))
    report, _, runner = w.run()  # the same run must not propose the pair again
    assert [(m["id"], m["state"]) for m in runner.store.load_matches()] == [
        (first["id"], "declined")
    ]
    assert report.new_matches == 0
    assert [r["username"] for r in runner.store.load_waiting()] == ["Alice"]
    again, _, runner = w.run()  # nor the next
    assert again.new_matches == 0 and again.edits == 0
    assert len(runner.store.load_matches()) == 1

    # One of them signing up anew is not enough: the other said no.
    next_second()
    text = meta_wiki.client("Alice").text(page) or ""
    meta_wiki.client("Alice").edit(page, text.replace(signup, signup[:-2] + "|region=KE}}"))
    report, _, runner = w.run()
    assert report.new_matches == 0 and len(runner.store.load_matches()) == 1
    assert (meta_wiki.client("Alice").text("User talk:Carol") or "").count("skillmatch:") == (
        talk_before.count("skillmatch:")
    )

    # Both wrote a new entry after the refusal: the pair may meet again, under a new id.
    text = meta_wiki.client("Carol").text(offers) or ""
    meta_wiki.client("Carol").edit(offers, text.replace(offer, offer[:-2] + "|capacity=2}}"))
    report, _, runner = w.run()
    rows = {m["id"]: m["state"] for m in runner.store.load_matches()}
    assert report.new_matches == 1 and len(rows) == 2
    assert rows[first["id"]] == "declined"
    (second,) = [m for m in runner.store.load_matches() if m["id"] != first["id"]]
    assert (second["a"], second["b"], second["state"]) == ("Alice", "Carol", "proposed")


def test_self_attended_event_earns_no_trainer_badge(meta_wiki: Any, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    add(meta_wiki, "Mallory", page, event("ev-sock", "Mallory"))
    add(meta_wiki, "Mallory", page, attendee("ev-sock", "Mallory"))
    add(meta_wiki, "Mallory", page, attendee("ev-sock", "Trent"))  # one sock puppet
    _, _, runner = w.run()
    assert len(runner.store.load_entries().attendees) == 2  # read, but not enough
    assert awards_of(runner) == {("Trent", "event-online")}
    # Nor does a second sock: a trainer needs three attendees other than themself.
    add(meta_wiki, "Mallory", page, attendee("ev-sock", "Heidi"))
    _, _, runner = w.run()
    assert ("Mallory", "trainer") not in awards_of(runner)
