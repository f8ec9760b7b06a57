"""Match lifecycle: proposed → active (both accepted) → completed (both completed).

Or declined (either party) / ended (the pair no longer obeys the hard rules).

The state is derived from the confirmations standing on the wiki now, not
accumulated: a confirmation that is withdrawn (``outcome=withdrawn``, or the
line removed by its author) takes its effect back, which is what lets a badge
be revoked. Only a confirmation written by the named party counts; the gather
phase has already checked that from the page history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.models import Confirmation, Problem

FINAL = ("completed", "declined")


@dataclass
class Lifecycle:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reminders: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (match, user)


def party_outcomes(
    match: Mapping[str, Any], confirmations: Sequence[Confirmation]
) -> dict[str, str]:
    """Each party's standing word on this match.

    A party's newest confirmation counts. ``withdrawn`` takes back a completion or a
    refusal made before it; a completion taken back still shows that the person had
    accepted, so "we did not finish after all" returns a completed match to active, not to
    a fresh proposal.
    """
    said: dict[str, list[tuple[tuple[str, str, int], str]]] = {}
    for c in confirmations:
        if c.match_id == match["id"] and c.user in (match["a"], match["b"]):
            # By revision time: the two parties may answer on different wikis, whose
            # revision ids are not comparable.
            said.setdefault(c.user, []).append((c.origin.order(), c.outcome))
    out: dict[str, str] = {}
    for user, items in said.items():
        items.sort()
        withdrawals = [when for when, o in items if o == "withdrawn"]
        withdrawn_at = max(withdrawals) if withdrawals else None
        standing = []
        for when, o in items:
            before = withdrawn_at is not None and when < withdrawn_at
            if o == "withdrawn" or (o == "declined" and before):
                continue
            if o == "completed" and before:
                o = "accepted"
            standing.append(o)
        if standing:
            out[user] = standing[-1]
    return out


def derive_state(match: Mapping[str, Any], outcomes: Mapping[str, str]) -> str:
    said = [outcomes.get(match["a"]), outcomes.get(match["b"])]
    if match["state"] == "ended":
        # The pair no longer obeys the hard rules: it stays ended, unless both say they
        # finished what they started (a completion still earns its badges).
        return "completed" if said == ["completed", "completed"] else "ended"
    if "declined" in said:
        return "declined"
    if said == ["completed", "completed"]:
        return "completed"
    if all(s in ("accepted", "completed") for s in said):
        return "active"
    return "proposed"


def apply(
    rows: Sequence[Mapping[str, Any]],
    confirmations: Sequence[Confirmation],
    *,
    now: datetime,
    reminder_days: int,
) -> Lifecycle:
    """New states for stored matches; problems for stray confirmations; reminders due."""
    out = Lifecycle()
    by_id = {r["id"]: r for r in rows}
    for c in confirmations:
        match = by_id.get(c.match_id)
        if match is None:
            out.problems.append(
                Problem(c.origin, "Skill match confirm", "unknown-match", (c.match_id,))
            )
        elif c.user not in (match["a"], match["b"]):
            out.problems.append(
                Problem(c.origin, "Skill match confirm", "not-match-party", (c.user, c.match_id))
            )
    due = now - timedelta(days=reminder_days)
    spoke: dict[str, set[str]] = {}
    for c in confirmations:
        spoke.setdefault(c.match_id, set()).add(c.user)
    for row in rows:
        outcomes = party_outcomes(row, confirmations)
        state = derive_state(row, outcomes)
        new = dict(row)
        if state != row["state"]:
            new["state"] = state
            new["updated"] = now
        out.rows.append(new)
        # A proposal that never moved: one that was active once (its ``updated`` differs
        # from ``created``) is not nagged, nor is anyone who answered and took it back.
        untouched = row.get("updated") in (None, row["created"])
        if state == "proposed" and untouched and not row.get("reminded") and row["created"] <= due:
            for user in (row["a"], row["b"]):
                if user not in spoke.get(row["id"], ()):
                    out.reminders.append((new, user))
    return out
