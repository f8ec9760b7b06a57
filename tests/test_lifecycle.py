"""Match lifecycle rules (pure): states from standing confirmations, one reminder."""

from __future__ import annotations

from datetime import datetime

from bot.lifecycle import apply
from bot.models import Confirmation, Origin

NOW = datetime(2026, 11, 25, 12, 0)


def row(state: str = "proposed", created: datetime = NOW, **kw) -> dict:
    return {
        "id": "M1",
        "kind": "mentor",
        "a": "Alice",
        "b": "Carol",
        "state": state,
        "created": created,
        **kw,
    }


def said(user: str, outcome: str, revid: int, match: str = "M1") -> Confirmation:
    return Confirmation(match, user, outcome, origin=Origin("w", "P", 1, revid, user))


def state(confs, **kw) -> str:
    return apply([row(**kw)], confs, now=NOW, reminder_days=14).rows[0]["state"]


def test_states() -> None:
    assert state([]) == "proposed"
    assert state([said("Alice", "accepted", 1)]) == "proposed"
    assert state([said("Alice", "accepted", 1), said("Carol", "accepted", 2)]) == "active"
    assert state([said("Alice", "completed", 1), said("Carol", "accepted", 2)]) == "active"
    assert state([said("Alice", "completed", 1), said("Carol", "completed", 2)]) == "completed"
    assert state([said("Alice", "accepted", 1), said("Carol", "declined", 2)]) == "declined"


def test_withdrawal_takes_back_completion_but_keeps_acceptance() -> None:
    confs = [
        said("Alice", "accepted", 1),
        said("Carol", "completed", 2),
        said("Alice", "withdrawn", 4),
    ]
    assert state([*confs, said("Alice", "completed", 3)]) == "active"
    # A completion taken back still shows the person had accepted: active, not proposed.
    assert (
        state(
            [
                said("Alice", "completed", 3),
                said("Carol", "completed", 2),
                said("Alice", "withdrawn", 4),
            ]
        )
        == "active"
    )
    # A refusal taken back leaves no word at all: the proposal stands again.
    assert state([said("Alice", "declined", 1), said("Alice", "withdrawn", 2)]) == "proposed"


def test_an_ended_match_stays_ended_unless_both_completed() -> None:
    both_accepted = [said("Alice", "accepted", 1), said("Carol", "accepted", 2)]
    assert state(both_accepted, state="ended") == "ended"
    assert state([said("Alice", "declined", 1)], state="ended") == "ended"
    done = [said("Alice", "completed", 1), said("Carol", "completed", 2)]
    assert state(done, state="ended") == "completed"
    out = apply([row(state="ended", updated=NOW)], both_accepted, now=NOW, reminder_days=14)
    assert out.rows[0] == row(state="ended", updated=NOW)  # no change, no new timestamp


def test_confirmations_of_others_and_unknown_ids_are_problems() -> None:
    out = apply(
        [row()],
        [said("Mallory", "accepted", 1), said("Alice", "accepted", 2, match="M9")],
        now=NOW,
        reminder_days=14,
    )
    assert sorted(p.code for p in out.problems) == ["not-match-party", "unknown-match"]
    assert out.rows[0]["state"] == "proposed"


def test_one_reminder_to_the_silent_party_after_the_delay() -> None:
    old = datetime(2026, 11, 1)
    out = apply([row(created=old)], [said("Alice", "accepted", 1)], now=NOW, reminder_days=14)
    assert [(r["id"], user) for r, user in out.reminders] == [("M1", "Carol")]
    again = apply([row(created=old, reminded=NOW)], [], now=NOW, reminder_days=14)
    assert again.reminders == []
    fresh = apply([row(created=datetime(2026, 11, 20))], [], now=NOW, reminder_days=14)
    assert fresh.reminders == []


def test_no_reminder_for_who_answered_or_for_a_proposal_that_moved() -> None:
    old = datetime(2026, 11, 1)
    took_back = [said("Alice", "declined", 1), said("Alice", "withdrawn", 2)]
    out = apply([row(created=old, updated=old)], took_back, now=NOW, reminder_days=14)
    assert out.rows[0]["state"] == "proposed"
    assert [user for _, user in out.reminders] == ["Carol"]  # Alice answered, then took it back
    was_active = row(created=old, updated=datetime(2026, 11, 10))  # active once, then not
    assert apply([was_active], [], now=NOW, reminder_days=14).reminders == []
