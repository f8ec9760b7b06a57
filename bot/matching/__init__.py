"""SkillMatch's matcher: learners to mentors, and peers to peers (``python -m bot match``).

Entry points: :func:`match_json` (the contract's JSON in and out) and :func:`solve` (typed).

Hard rules (the contract's): a learner and a mentor share a language and a skill the learner
wants and the mentor offers; their formats share a mode (``both`` = online and offline) and, when
offline is the only shared mode, the same non-empty region (compared trimmed, case-insensitively);
a mentor gets at most ``capacity`` learners and a learner at most one mentor. Peers pair only when
the exchange goes both ways, under the same language and format rules, each in at most one pair.

Objective, lexicographic:

1. keep ``existing`` pairs that still obey the hard rules. A mentor who is not ``available``
   keeps them (marked ``paused``) but gets no new learner; if kept pairs exceed a capacity, the
   most pairs the capacities allow are kept, higher quality first (a small min-cost flow);
2. the **maximum number of matched learners — exact**;
3. the best total quality (points defined in :mod:`bot.matching.quality`: community 500, skills
   covered 200, level fit 120, time zones 100, methods 80; a same-community mentor never scores
   below one from elsewhere).

Formulation (why it scales). With skewed skills and languages the compatible pairs number in the
hundreds of millions at 100k learners × 20k mentors, so no step ever lists them. A pair is
compatible exactly when both are attached to a common *hub* (skill, language, mode[, region]),
so the max flow of ``source → learner → hub → mentor (capacity) → sink`` — a graph linear in the
input, built from the inverted index in numpy — is the exact maximum cardinality F, and its flow
decomposes into a valid assignment (the *backbone*). Quality is pairwise (skills covered, levels,
methods, time zones), which hubs cannot carry without multiplying the graph, and OR-Tools'
min-cost flow on the hub graph is slow (its high-degree hubs; ~5 s at 100k before any quality
term). So each learner gets a *shortlist* of candidate mentors from sorted runs of the index —
same community nearest in time zone, any community nearest in time zone — scored exactly and cut
to the best ``SHORTLIST`` (all of them when its hubs list at most ``FULL_LIMIT`` mentors). A
min-cost flow of value F on shortlist ∪ backbone (direct arcs, cost = −points) then picks the
assignment: F is reachable through the backbone, so cardinality stays exact.

What is exactly optimal: existing pairs kept, and the number of matched learners — always. Total
quality is optimal **among assignments that use only shortlisted pairs**; it is globally optimal
whenever every learner's compatible mentors are all shortlisted (every learner with at most
``FULL_LIMIT`` mentor entries in its hubs — all small instances; the property tests check this
against a dense exact solver). On large instances it is a heuristic whose bound is per pair: a
learner matched outside its shortlist loses at most the points of its best non-shortlisted mentor
(the bench reports the measured gap to the exact optimum at 1k and 10k).

Peers: exact maximum-cardinality matching (Edmonds' blossom algorithm over a greedy,
best-quality-first start); quality is a heuristic (see :mod:`bot.matching.peers`).

Output is deterministic and independent of input order: inputs are sorted by id first, every
tie is broken by id, and the OR-Tools solvers are deterministic for a given graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot import languages
from bot.gcpause import paused_gc
from bot.matching.mentors import FULL_LIMIT, SHORTLIST, SolverError, assign_mentors
from bot.matching.model import (
    Instance,
    Learner,
    Match,
    MatchInputError,
    MatchResult,
    Mentor,
    Peer,
    PeerPair,
    Reason,
    Waiting,
    WaitingCode,
    check_unique,
    instance_from_json,
    sorted_by_id,
)
from bot.matching.peers import assign_peers
from bot.matching.quality import compatible, describe_match, describe_peer_pair, peers_compatible
from bot.matching.vector import vocabs

__all__ = [
    "FULL_LIMIT",
    "SHORTLIST",
    "Instance",
    "Learner",
    "Match",
    "MatchInputError",
    "MatchResult",
    "Mentor",
    "Peer",
    "PeerPair",
    "Reason",
    "SolverError",
    "Waiting",
    "WaitingCode",
    "compatible",
    "instance_from_json",
    "match_json",
    "peers_compatible",
    "solve",
]


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return items if len(set(items)) == len(items) else tuple(dict.fromkeys(items))


def _langs(items: tuple[str, ...]) -> tuple[str, ...]:
    """Languages as matching compares them: ``de-formal`` is German, ``zh-tw`` reads ``zh-hant``."""
    keyed = tuple(dict.fromkeys(languages.match_key(g) for g in items))
    return items if keyed == items else keyed


def _check_levels(x: Learner | Mentor) -> None:
    for skill, level in x.levels.items():
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 4:
            raise MatchInputError(f"{x.id}: level of {skill!r} must be 1-4, not {level!r}")


def _clean_learner(x: Learner) -> Learner:
    """Duplicates in lists would skew the 'covered / wanted' fractions."""
    _check_levels(x)
    w, g, m = _dedupe(x.wants), _langs(x.languages), _dedupe(x.methods)
    if w is x.wants and g is x.languages and m is x.methods:
        return x
    return replace(x, wants=w, languages=g, methods=m)


def _without(x: Learner, own: set[str]) -> Learner:
    if not own or own.isdisjoint(x.wants):
        return x
    return replace(x, wants=tuple(w for w in x.wants if w not in own))


def _clean_mentor(x: Mentor) -> Mentor:
    _check_levels(x)
    o, g, m = _dedupe(x.offers), _langs(x.languages), _dedupe(x.methods)
    if o is x.offers and g is x.languages and m is x.methods and x.capacity >= 0:
        return x
    return replace(x, offers=o, languages=g, methods=m, capacity=max(0, x.capacity))


def _clean_peer(x: Peer) -> Peer:
    w, o, g = _dedupe(x.wants), _dedupe(x.offers), _langs(x.languages)
    if w is x.wants and o is x.offers and g is x.languages:
        return x
    return replace(x, wants=w, offers=o, languages=g)


def solve(
    learners: Sequence[Learner],
    mentors: Sequence[Mentor],
    peers: Sequence[Peer] = (),
    existing: Sequence[tuple[str, str]] = (),
    existing_peers: Sequence[tuple[str, str]] = (),
    *,
    forbidden: Sequence[tuple[str, str]] = (),
    forbidden_peers: Sequence[tuple[str, str]] = (),
) -> MatchResult:
    """Match learners to mentors and peers to peers; ``existing`` pairs are (learner, mentor).

    ``forbidden`` (learner, mentor) and ``forbidden_peers`` pairs are never proposed anew
    (a pair that declined); they do not constrain ``existing`` pairs.
    """
    with paused_gc():
        return _solve(
            learners,
            mentors,
            peers,
            existing,
            existing_peers,
            forbidden=forbidden,
            forbidden_peers=forbidden_peers,
        )


def _solve(
    learners: Sequence[Learner],
    mentors: Sequence[Mentor],
    peers: Sequence[Peer],
    existing: Sequence[tuple[str, str]],
    existing_peers: Sequence[tuple[str, str]],
    *,
    clean: bool = False,
    forbidden: Sequence[tuple[str, str]] = (),
    forbidden_peers: Sequence[tuple[str, str]] = (),
) -> MatchResult:
    """`clean`: the people come from :func:`instance_from_json`, which already dropped
    repeated list items and checked levels."""
    check_unique((x.id for x in learners), "learner")
    check_unique((x.id for x in mentors), "mentor")
    check_unique((x.id for x in peers), "peer")
    if not clean:  # typed callers: lists may repeat, levels may be out of range
        learners = [_clean_learner(x) for x in learners]
        mentors = [_clean_mentor(x) for x in mentors]
        peers = [_clean_peer(x) for x in peers]
    ms = sorted_by_id(mentors)
    # Nobody is their own mentor: what someone offers as a mentor, they are not matched to
    # learn (the bot's own input never asks; `python -m bot match` input may).
    offered = {m.id: set(m.offers) for m in ms}
    ls = sorted_by_id([_without(x, offered.get(x.id, set())) for x in learners])
    ps = sorted_by_id(peers)
    v = vocabs(ls, ms, ps)

    assignment = assign_mentors(ls, ms, existing, v, forbidden)
    matches = tuple(describe_match(ls[i], ms[j], existing=old) for i, j, old in assignment.pairs)
    peer_result = assign_peers(ps, existing_peers, v, forbidden_peers)
    peer_pairs = tuple(
        describe_peer_pair(ps[i], ps[j], existing=old) for i, j, old in peer_result.pairs
    )
    waiting = tuple(Waiting(ls[i].id, why) for i, why in assignment.waiting)
    return MatchResult(
        matches=matches,
        peer_pairs=peer_pairs,
        unmatched=tuple(w.id for w in waiting),
        waiting=waiting,
        unmatched_peers=tuple(ps[i].id for i in peer_result.unmatched),
    )


def match_json(data: object) -> dict[str, Any]:
    """The contract's ``python -m bot match``: instance JSON in, result JSON out.

    The result holds only JSON types (typed ``Any`` so that callers can index it freely).
    Raises :class:`MatchInputError` (a ValueError) on a malformed instance.
    """
    with paused_gc():
        inst = instance_from_json(data)
        return _solve(
            inst.learners, inst.mentors, inst.peers, inst.existing, inst.existing_peers, clean=True
        ).to_json()
