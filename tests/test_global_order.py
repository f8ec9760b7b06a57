"""Global identity and order (pure): event ids owned by their first claim in time over all
wikis, cross-wiki order by revision time, declined pairs the matcher must not propose."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bench.bench_matching import generate
from bot.authorship import Revision
from bot.gather import (
    claims_from,
    drop_duplicate_events,
    event_owners,
    new_organizers,
    organizers_from,
)
from bot.lifecycle import party_outcomes
from bot.matching import Learner, Mentor, Peer, instance_from_json, solve
from bot.matchphase import build_inputs, declined_pairs, newest_entries
from bot.models import Confirmation, Event, Offer, Origin, ParseResult, Signup, SkillLevel
from tests.helpers import TODAY, core

T0 = "2026-11-01T10:00:00Z"
T1 = "2026-11-01T10:00:01Z"
T2 = "2026-11-02T09:00:00Z"
T3 = "2026-11-03T09:00:00Z"


def ev(eid: str, organizer: str, wiki: str, revid: int, ts: str, fmt: str = "online") -> Event:
    origin = Origin(wiki, "Events", 1, revid, organizer, ts)
    return Event(eid, "Clinic", organizer, ("lua",), date(2026, 11, 1), fmt, origin=origin)


# -- order -------------------------------------------------------------------------------------


def test_time_decides_across_wikis_and_revision_ids_only_within_one() -> None:
    older_on_big_wiki = Origin("smmeta", "P", 1, 500, "A", T0)
    newer_on_small_wiki = Origin("smja", "P", 1, 20, "B", T2)
    assert older_on_big_wiki.order() < newer_on_small_wiki.order()
    same_second = [Origin("smmeta", "P", 1, 501, "A", T0), Origin("smmeta", "P", 1, 500, "A", T0)]
    assert min(same_second, key=Origin.order).revid == 500


def said(user: str, outcome: str, wiki: str, revid: int, ts: str) -> Confirmation:
    return Confirmation("M1", user, outcome, origin=Origin(wiki, "P", 1, revid, user, ts))


MATCH = {"id": "M1", "a": "Alice", "b": "Carol", "state": "active"}


def test_withdrawal_on_wiki_b_after_completion_on_wiki_a_wins() -> None:
    confs = [
        said("Alice", "completed", "smmeta", 500, T0),
        said("Alice", "withdrawn", "smja", 20, T2),  # later, though its revid is smaller
        said("Carol", "completed", "smmeta", 501, T1),
    ]
    assert party_outcomes(MATCH, confs) == {"Alice": "accepted", "Carol": "completed"}
    # And the other way round: a completion after a withdrawal on another wiki stands.
    later = [
        said("Alice", "withdrawn", "smja", 20, T0),
        said("Alice", "completed", "smmeta", 5, T2),
    ]
    assert party_outcomes(MATCH, later) == {"Alice": "completed"}


def test_declined_then_withdrawn_across_wikis() -> None:
    confs = [
        said("Carol", "declined", "smja", 900, T0),
        said("Carol", "withdrawn", "smmeta", 3, T2),
    ]
    assert party_outcomes(MATCH, confs) == {}


# -- event ids ---------------------------------------------------------------------------------


def test_first_claim_in_time_owns_an_id_over_all_wikis() -> None:
    claims = [
        ((T2, "smja", 20), "ev1", "Mallory"),  # smaller revid, later in time
        ((T0, "smmeta", 500), "ev1", "Grace"),
        ((T1, "smmeta", 7), "ev2", "Bob"),
        ((T1, "smmeta", 6), "ev2", "Erin"),  # same second, same wiki: the revid decides
    ]
    assert event_owners(claims) == {"ev1": "Grace", "ev2": "Erin"}


def test_new_organizers_carry_time_and_wiki_and_skip_others_edits() -> None:
    text = "{{Skill event|id=ev1|title=T|organizer=Grace|skills=Lua|date=2026-11-01}}"
    revs = [
        Revision(7, 0, "Mallory", T0, text),  # Mallory writing Grace's event claims nothing
        Revision(8, 7, "Grace", T1, text),
        Revision(9, 8, "Grace", T2, None),  # hidden
    ]
    assert new_organizers(core(), "en", revs, "smja") == [((T1, "smja", 8), "ev1", "Grace")]


def test_hijacked_id_is_dropped_and_reported_wherever_it_is() -> None:
    grace = ev("ev1", "Grace", "smmeta", 500, T0)
    same_wiki = ev("ev1", "Mallory", "smmeta", 501, T1, "offline")
    other_wiki = ev("ev1", "Mallory", "smja", 20, T2, "offline")
    result = ParseResult(events=[other_wiki, same_wiki, grace])
    owners = event_owners(claims_from(result.events))
    assert owners == {"ev1": "Grace"}
    drop_duplicate_events(result, owners)
    assert result.events == [grace]
    assert sorted((p.origin.wiki, p.code, p.params) for p in result.problems) == [
        ("smja", "duplicate-event-id", ("ev1", "Grace")),
        ("smmeta", "duplicate-event-id", ("ev1", "Grace")),
    ]
    # Dropping again changes nothing (the second call in a run, after kept pages join).
    drop_duplicate_events(result, owners)
    assert len(result.problems) == 2


def test_owner_whose_event_is_gone_keeps_the_id() -> None:
    """The claim stands (read from history this run); a later event by another is reported."""
    result = ParseResult(events=[ev("ev1", "Mallory", "smja", 20, T2)])
    drop_duplicate_events(result, {"ev1": "Grace"})
    assert result.events == [] and [p.params for p in result.problems] == [("ev1", "Grace")]


def test_same_organizer_twice_keeps_the_first() -> None:
    first, copy = ev("ev1", "Grace", "smja", 3, T0), ev("ev1", "Grace", "smmeta", 900, T2)
    result = ParseResult(events=[copy, first])
    drop_duplicate_events(result, organizers_from(result.events))
    assert result.events == [first] and [p.origin.wiki for p in result.problems] == ["smmeta"]


def test_an_unclaimed_id_goes_to_its_first_event_in_time() -> None:
    a, b = ev("ev9", "Bob", "smmeta", 900, T2), ev("ev9", "Erin", "smja", 2, T1)
    result = ParseResult(events=[a, b])
    drop_duplicate_events(result, {})
    assert result.events == [b] and [p.params for p in result.problems] == [("ev9", "Erin")]


# -- declines ----------------------------------------------------------------------------------


def signup(user: str, ts: str, wiki: str = "smmeta") -> Signup:
    return Signup(
        user, ("en",), wants=(SkillLevel("lua"),), origin=Origin(wiki, "S", 1, 1, user, ts)
    )


def offer(user: str, ts: str) -> Offer:
    return Offer(
        (SkillLevel("lua"),), ("en",), user=user, origin=Origin("smmeta", "O", 1, 1, user, ts)
    )


DECLINED = {
    "id": "M1",
    "kind": "mentor",
    "a": "Alice",
    "b": "Carol",
    "state": "declined",
    "updated": datetime(2026, 11, 2, 12, 0),
}
NO = Confirmation("M1", "Alice", "declined", origin=Origin("smja", "P", 1, 4, "Alice", T2))


@pytest.mark.parametrize(
    ("alice", "carol", "forbidden"),
    [
        (T0, T0, True),  # nobody signed up since
        (T3, T0, True),  # only one of them did
        (T0, T3, True),
        (T2, T3, True),  # "since" means strictly after the refusal
        (T3, T3, False),  # both did: they may be proposed again
    ],
)
def test_a_declined_pair_stays_apart_until_both_sign_up_anew(
    alice: str, carol: str, forbidden: bool
) -> None:
    data = ParseResult(signups=[signup("Alice", alice)], offers=[offer("Carol", carol)])
    mentors, peers = declined_pairs([DECLINED], [NO], newest_entries(data))
    assert mentors == ([("Alice", "Carol")] if forbidden else []) and peers == []


def test_decline_time_falls_back_to_the_stored_change_and_covers_peers() -> None:
    row = {**DECLINED, "kind": "peer", "updated": datetime(2026, 11, 2, 12, 0)}
    newest = {"Alice": "2026-11-02T12:00:01Z", "Carol": "2026-11-02T11:59:59Z"}
    assert declined_pairs([row], [], newest) == ([], [("Alice", "Carol")])
    newest["Carol"] = "2026-11-02T12:00:01Z"
    assert declined_pairs([row], [], newest) == ([], [])
    # Only a party's refusal dates the decline: someone else's later "declined" does not.
    other = Confirmation("M1", "Mallory", "declined", origin=Origin("w", "P", 1, 9, "Mallory", T3))
    newest = {"Alice": T3, "Carol": T3}
    assert declined_pairs([DECLINED], [NO, other], newest) == ([], [])
    # Open and ended rows are not refusals.
    for state in ("proposed", "active", "completed", "ended"):
        assert declined_pairs([{**DECLINED, "state": state}], [NO], {}) == ([], [])


def test_newest_entry_is_per_person_over_signups_and_offers() -> None:
    data = ParseResult(
        signups=[signup("Alice", T0), signup("Alice", T2, "smja")],
        offers=[offer("Alice", T1), offer("Carol", T3)],
    )
    assert newest_entries(data) == {"Alice": T2, "Carol": T3}


def test_home_wiki_is_where_someone_signed_up_first_in_time() -> None:
    data = ParseResult(signups=[signup("Alice", T2, "smmeta"), signup("Alice", T0, "smja")])
    inputs = build_inputs(data, today=TODAY, last_edits={}, inactive_days=90)
    assert inputs.people["Alice"].wiki == "smja"


# -- the matcher -------------------------------------------------------------------------------


def test_forbidden_mentor_pair_goes_to_the_next_best_or_waits() -> None:
    ana = Learner("ana", ("lua",), ("en",), community="x")
    best, other = Mentor("mo", ("lua",), ("en",), community="x"), Mentor("mz", ("lua",), ("en",))
    assert [(m.learner, m.mentor) for m in solve([ana], [best, other]).matches] == [("ana", "mo")]
    again = solve([ana], [best, other], forbidden=[("ana", "mo")])
    assert [(m.learner, m.mentor) for m in again.matches] == [("ana", "mz")]
    alone = solve([ana], [best], forbidden=[("ana", "mo")])
    assert alone.matches == () and [w.id for w in alone.waiting] == ["ana"]
    # An existing pair is kept: only new proposals are forbidden.
    kept = solve([ana], [best], existing=[("ana", "mo")], forbidden=[("ana", "mo")])
    assert [(m.learner, m.mentor) for m in kept.matches] == [("ana", "mo")]


def test_forbidden_peer_pair_in_either_order() -> None:
    a = Peer("a", ("lua",), ("sql",), ("en",))
    b = Peer("b", ("sql",), ("lua",), ("en",))
    c = Peer("c", ("sql",), ("lua",), ("en",))
    assert [(p.a, p.b) for p in solve([], [], [a, b]).peer_pairs] == [("a", "b")]
    assert solve([], [], [a, b], forbidden_peers=[("b", "a")]).peer_pairs == ()
    other = solve([], [], [a, b, c], forbidden_peers=[("a", "b")])
    assert [(p.a, p.b) for p in other.peer_pairs] == [("a", "c")]


def test_forbidden_pairs_on_a_generated_instance() -> None:
    inst = instance_from_json(generate(400, 150, 120, seed=5))
    before = solve(inst.learners, inst.mentors, inst.peers)
    banned = [(m.learner, m.mentor) for m in before.matches[::7]]
    banned_peers = [(p.b, p.a) for p in before.peer_pairs[::5]]
    assert banned and banned_peers
    after = solve(
        inst.learners,
        inst.mentors,
        inst.peers,
        forbidden=banned,
        forbidden_peers=banned_peers,
    )
    assert not {(m.learner, m.mentor) for m in after.matches} & set(banned)
    assert not {(p.b, p.a) for p in after.peer_pairs} & set(banned_peers)
    # Forbidding a few pairs costs at most one match each.
    assert len(after.matches) >= len(before.matches) - len(banned)
    assert len(after.peer_pairs) >= len(before.peer_pairs) - len(banned_peers)
