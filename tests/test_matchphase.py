"""From gathered records to matcher input and stored rows: availability and stability rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.matching import solve
from bot.matchphase import build_inputs, plan
from bot.models import Offer, Origin, ParseResult, Signup, SkillLevel

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def signup(user: str, status: str = "active", **kw) -> Signup:
    return Signup(
        user=user,
        languages=("en",),
        wants=(SkillLevel("lua"),),
        status=status,
        origin=Origin("meta", "P", 1, 1, user),
        **kw,
    )


def offer(user: str, capacity: int = 1, status: str = "active") -> Offer:
    return Offer(
        skills=(SkillLevel("lua"),),
        languages=("en",),
        user=user,
        capacity=capacity,
        status=status,
        origin=Origin("meta", "O", 1, 2, user),
    )


def inputs(data: ParseResult, **kw):
    return build_inputs(data, today=TODAY, last_edits={}, inactive_days=90, **kw)


def test_someone_away_stays_in_the_input_unavailable() -> None:
    data = ParseResult(signups=[signup("Ana", "away", away_until=date(2027, 1, 1)), signup("Bo")])
    learners = {x.id: x for x in inputs(data).learners}
    assert learners["Ana"].available is False and learners["Bo"].available is True
    back = ParseResult(signups=[signup("Ana", "away", away_until=date(2026, 11, 1))])
    assert inputs(back).learners[0].available is True  # the date has passed


def test_a_mentor_at_capacity_zero_keeps_the_learners_they_have() -> None:
    data = ParseResult(signups=[signup("Ana"), signup("Bo")], offers=[offer("Mo", capacity=0)])
    (mo,) = inputs(data, held={"Mo": 1}).mentors
    assert (mo.capacity, mo.available) == (1, False)
    result = solve(inputs(data).learners, [mo], existing=[("Ana", "Mo")])
    assert [(m.learner, m.paused) for m in result.matches] == [("Ana", True)]
    (closed,) = inputs(ParseResult(offers=[offer("Mo", 3, "closed")])).mentors
    assert (closed.capacity, closed.available) == (3, False)


def row(mid: str, a: str, b: str, state: str = "active") -> dict:
    return {"id": mid, "kind": "mentor", "a": a, "b": b, "state": state}


def test_a_rejected_entry_does_not_end_its_authors_matches() -> None:
    empty = solve([], [])
    stored = [row("M1", "Ana", "Mo"), row("M2", "Bo", "Mo")]
    ended = {r["id"]: r["state"] for r in plan(empty, stored, {}, unsure={"Ana"}).rows}
    assert ended == {"M2": "ended"}  # Ana's entry has a typo this run: M1 waits
