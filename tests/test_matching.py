"""Worked examples of the matcher: hard rules, capacity, stability, quality, reasons, JSON."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest

from bench.bench_matching import generate
from bot.matching import (
    Learner,
    MatchInputError,
    Mentor,
    Peer,
    instance_from_json,
    match_json,
    solve,
)
from bot.matching.quality import compatible, describe_match


def L(lid="ana", wants=("lua",), languages=("en",), **kw) -> Learner:  # noqa: N802
    return Learner(id=lid, wants=tuple(wants), languages=tuple(languages), **kw)


def M(mid="mo", offers=("lua",), languages=("en",), **kw) -> Mentor:  # noqa: N802
    return Mentor(id=mid, offers=tuple(offers), languages=tuple(languages), **kw)


def pairs(result):
    return {(m.learner, m.mentor) for m in result.matches}


def why(result):
    return {w.id: w.why for w in result.waiting}


# --- hard rules ------------------------------------------------------------------------------


def test_language_must_be_shared():
    r = solve([L(languages=("ar",))], [M(languages=("en",))])
    assert not r.matches
    assert why(r) == {"ana": "no_mentor_in_language"}


def test_skill_must_be_wanted_and_offered():
    r = solve([L(wants=("sparql",))], [M(offers=("lua",))])
    assert why(r) == {"ana": "no_mentor_for_skill"}


def test_online_learner_cannot_meet_offline_mentor():
    r = solve([L(format="online")], [M(format="offline", region="KE")])
    assert why(r) == {"ana": "format_or_region"}


def test_offline_needs_the_same_region():
    mentor = M(format="offline", region="KE")
    assert why(solve([L(format="offline", region="EG")], [mentor])) == {"ana": "format_or_region"}
    assert why(solve([L(format="offline", region=None)], [mentor])) == {"ana": "format_or_region"}
    r = solve([L(format="offline", region=" ke")], [mentor])  # trimmed, case-insensitive
    assert pairs(r) == {("ana", "mo")}
    assert r.matches[0].reasons[-1].params == {"mode": "offline", "region": "ke"}
    assert r.matches[0].reasons[-1].text == "meets offline in ke"


def test_both_meets_online_or_offline():
    r = solve([L(format="both", region="KE")], [M(format="online")])
    assert r.matches[0].reasons[-1].params == {"mode": "online"}
    r = solve([L(format="both", region="KE")], [M(format="offline", region="KE")])
    assert r.matches[0].reasons[-1].params == {"mode": "offline", "region": "KE"}
    r = solve([L(format="both", region="KE")], [M(format="offline", region="EG")])
    assert not r.matches
    # Both sides "both" in different regions still meet online.
    r = solve([L(format="both", region="KE")], [M(format="both", region="EG")])
    assert r.matches[0].reasons[-1].params == {"mode": "online"}


def test_capacity_is_respected_and_the_rest_wait():
    learners = [L(f"l{i}") for i in range(3)]
    r = solve(learners, [M(capacity=2)])
    assert len(r.matches) == 2
    assert list(why(r).values()) == ["all_at_capacity"]
    assert why(solve(learners, [M(capacity=0)])) == dict.fromkeys(
        ["l0", "l1", "l2"], "all_at_capacity"
    )


def test_learner_gets_at_most_one_mentor():
    r = solve([L()], [M("m1"), M("m2")])
    assert len(r.matches) == 1


def test_cardinality_beats_quality():
    """Greedy would give ana her favourite (same community) and leave bo without a mentor."""
    ana = L("ana", community="arwiki")
    bo = L("bo", wants=("lua",), languages=("fr",))
    local = M("local", languages=("en", "fr"), community="arwiki")
    other = M("other", languages=("en",), community="dewiki")
    r = solve([ana, bo], [local, other])
    assert pairs(r) == {("ana", "other"), ("bo", "local")}


# --- stability --------------------------------------------------------------------------------


def test_valid_existing_pairs_are_kept_even_if_a_better_mentor_exists():
    ana = L(community="arwiki")
    r = solve([ana], [M("far"), M("near", community="arwiki")], existing=[("ana", "far")])
    assert pairs(r) == {("ana", "far")}
    assert r.matches[0].existing
    assert r.matches[0].reasons[1].key == "existing"


def test_existing_pairs_that_break_a_rule_are_dropped():
    r = solve([L(languages=("ar",))], [M("old"), M("new", languages=("ar",))], [], [("ana", "old")])
    assert pairs(r) == {("ana", "new")}
    assert not r.matches[0].existing


def test_existing_pairs_over_capacity_keep_the_best():
    learners = [L("a", community="x"), L("b"), L("c", community="x")]
    mentor = M(capacity=2, community="x")
    existing = [("a", "mo"), ("b", "mo"), ("c", "mo")]
    r = solve(learners, [mentor], existing=existing)
    assert pairs(r) == {("a", "mo"), ("c", "mo")}
    assert all(m.existing for m in r.matches)


def test_paused_mentor_keeps_learners_but_takes_no_new_ones():
    mentor = M(capacity=3, available=False)
    r = solve([L("a"), L("b")], [mentor], existing=[("a", "mo")])
    assert pairs(r) == {("a", "mo")}
    assert r.matches[0].paused
    assert r.matches[0].reasons[-1].key == "paused"
    assert why(r) == {"b": "all_at_capacity"}
    assert match_json(
        {
            "learners": [{"id": "a", "wants": ["lua"], "languages": ["en"]}],
            "mentors": [{"id": "mo", "offers": ["lua"], "languages": ["en"], "available": False}],
            "existing": [{"learner": "a", "mentor": "mo"}],
        }
    )["matches"][0]["paused"]


# --- quality ----------------------------------------------------------------------------------


def test_local_first_then_global():
    ana = L(community="arwiki", timezone_offset=180, wants=("lua", "sparql"))
    local = M("local", community="arwiki", timezone_offset=-300)
    better_elsewhere = M(
        "global", offers=("lua", "sparql"), community="enwiki", timezone_offset=180
    )
    assert pairs(solve([ana], [local, better_elsewhere])) == {("ana", "local")}
    assert pairs(solve([ana], [better_elsewhere])) == {("ana", "global")}


def test_quality_prefers_coverage_level_time_zone_and_methods():
    ana = L(
        wants=("lua", "sparql"),
        levels={"lua": 3},
        timezone_offset=60,
        methods=("training",),
    )
    weak = M("weak", offers=("lua",), levels={"lua": 2}, timezone_offset=600)
    strong = M(
        "strong",
        offers=("lua", "sparql"),
        levels={"lua": 4},
        timezone_offset=120,
        methods=("training", "mentorship"),
    )
    assert pairs(solve([ana], [weak, strong])) == {("ana", "strong")}


def test_points_and_reasons_of_a_pair():
    ana = L(
        wants=("sparql", "lua", "templates", "commons"),
        languages=("ar", "en"),
        community="arwiki",
        levels={"lua": 3, "sparql": 2},
        timezone_offset=180,
        methods=("training", "event"),
    )
    mo = M(
        offers=("lua", "sparql"),
        languages=("en", "ar"),
        community="arwiki",
        levels={"lua": 4, "sparql": 1},
        timezone_offset=60,
        methods=("training",),
    )
    m = describe_match(ana, mo)
    # community 500 + coverage 200*2//4 + level 120*1//2 + tz 100*(720-120)//720 + methods 80*1//2
    assert m.points == 500 + 100 + 60 + 83 + 40
    assert m.score == 78.3
    assert m.skills == ("sparql", "lua")
    assert [r.text for r in m.reasons] == [
        "teaches sparql, lua",
        "same community: arwiki",
        "shares languages: ar, en",
        "level fits: lua",
        "preferred method: training",
        "time zones 2 h apart",
        "meets online",
    ]
    assert [r.to_json() for r in m.reasons][:3] == [
        {"key": "teaches", "params": {"skills": ["sparql", "lua"]}},
        {"key": "same_community", "params": {"community": "arwiki"}},
        {"key": "shares_language", "params": {"languages": ["ar", "en"]}},
    ]
    assert m.reasons[5].to_json() == {"key": "time_zones", "params": {"minutes": 120}}


def test_time_zones_wrap_around_the_date_line():
    m = describe_match(L(timezone_offset=13 * 60), M(timezone_offset=-11 * 60))
    assert m.reasons[-2].text == "same time zone"
    assert describe_match(L(timezone_offset=330), M(timezone_offset=0)).reasons[-2].text == (
        "time zones 5.5 h apart"
    )


def test_offsets_beyond_a_day_wrap_consistently():
    ana, mo = L(timezone_offset=13 * 60 + 3 * 1440), M(timezone_offset=-11 * 60)
    (m,) = solve([ana], [mo]).matches
    assert m.points == describe_match(ana, mo).points
    assert m.reasons[-2].text == "same time zone"


def test_levels_must_be_1_to_4():
    with pytest.raises(MatchInputError, match="level"):
        solve([L(levels={"lua": 5})], [M()])
    with pytest.raises(MatchInputError, match="level"):
        solve([], [M(levels={"lua": 0})])


def test_unknown_time_zone_counts_half():
    assert describe_match(L(), M()).points == 200 + 120 + 50 + 80


# --- waiting ----------------------------------------------------------------------------------


def test_waiting_picks_the_most_specific_reason():
    mentors = [
        M("lua-fr", offers=("lua",), languages=("fr",)),
        M(
            "sparql-ar-offline",
            offers=("sparql",),
            languages=("ar",),
            format="offline",
            region="EG",
        ),
        M("wd", offers=("wikidata",), capacity=1),
    ]
    learners = [
        L("a", wants=("commons",)),
        L("b", wants=("lua",)),
        L("c", wants=("sparql",), languages=("ar",)),
        L("d", wants=("wikidata",)),
        L("e", wants=("wikidata",)),
    ]
    r = solve(learners, mentors)
    codes = why(r)
    assert {k: v for k, v in codes.items() if k in "abc"} == {
        "a": "no_mentor_for_skill",
        "b": "no_mentor_in_language",
        "c": "format_or_region",
    }
    # One of d and e gets the only wikidata seat; the other waits for capacity.
    assert len(r.matches) == 1
    assert {k: v for k, v in codes.items() if k in "de"} == {
        ({"d", "e"} - {r.matches[0].learner}).pop(): "all_at_capacity"
    }
    assert r.unmatched == tuple(sorted(codes))


# --- peers ------------------------------------------------------------------------------------


def P(pid, wants, offers, languages=("en",), **kw) -> Peer:  # noqa: N802
    return Peer(id=pid, wants=tuple(wants), offers=tuple(offers), languages=tuple(languages), **kw)


def test_peers_pair_only_when_the_exchange_goes_both_ways():
    r = solve([], [], [P("a", ["lua"], ["sparql"]), P("b", ["sparql"], ["commons"])])
    assert not r.peer_pairs
    assert r.unmatched_peers == ("a", "b")
    r = solve([], [], [P("b", ["sparql"], ["lua"]), P("a", ["lua"], ["sparql"])])
    (pair,) = r.peer_pairs
    assert (pair.a, pair.b, pair.a_learns, pair.b_learns) == ("a", "b", ("lua",), ("sparql",))
    assert pair.reasons[0].text == "a learns lua; b learns sparql"


def test_peers_maximum_pairs_and_existing_kept():
    peers = [
        P("a", ["lua"], ["sparql"], community="x"),
        P("b", ["sparql"], ["lua"], community="x"),
        P("c", ["sparql"], ["lua"]),
        P("d", ["lua"], ["sparql"], languages=("fr",)),
    ]
    r = solve([], [], peers)
    assert {(p.a, p.b) for p in r.peer_pairs} == {("a", "b")}
    r = solve([], [], peers, existing_peers=[("c", "a")])
    assert {(p.a, p.b) for p in r.peer_pairs} == {("a", "c")}
    assert r.peer_pairs[0].existing


def test_peers_need_a_shared_language_and_format():
    a = P("a", ["lua"], ["sparql"], format="offline", region="KE")
    b = P("b", ["sparql"], ["lua"], format="offline", region="EG")
    assert not solve([], [], [a, b]).peer_pairs


# --- JSON, determinism, input checks ---------------------------------------------------------

INSTANCE = {
    "learners": [
        {
            "id": "Ana",
            "wants": ["Q1", "Q2"],
            "languages": ["ar", "en"],
            "community": "arwiki",
            "region": "EG",
            "format": "both",
            "levels": {"Q1": "advanced"},
            "timezone": "UTC+2",
            "methods": ["training"],
        },
        {"id": "Bo", "wants": ["Q3"], "languages": ["fr"], "community": None, "format": None},
    ],
    "mentors": [
        {
            "id": "Mo",
            "offers": ["Q1"],
            "languages": ["ar"],
            "community": "arwiki",
            "region": "EG",
            "format": "offline",
            "capacity": 2,
            "levels": {"Q1": 4},
            "timezone": "Africa/Cairo",
        }
    ],
    "peers": [
        {"id": "p1", "wants": ["Q1"], "offers": ["Q2"], "languages": ["en"]},
        {"id": "p2", "wants": ["Q2"], "offers": ["Q1"], "languages": ["en"], "timezone_offset": 60},
    ],
    "existing": [],
}


def test_json_output_shape_and_round_trip():
    out = match_json(INSTANCE)
    assert set(out) == {"matches", "peer_pairs", "unmatched", "waiting"}
    (m,) = out["matches"]
    assert set(m) == {"learner", "mentor", "skills", "score", "reasons", "reason_codes", "paused"}
    assert (m["learner"], m["mentor"], m["skills"], m["paused"]) == ("Ana", "Mo", ["Q1"], False)
    assert len(m["reasons"]) == len(m["reason_codes"])
    assert "same time zone" in m["reasons"]  # UTC+2 and Cairo
    (p,) = out["peer_pairs"]
    assert set(p) == {
        "a",
        "b",
        "a_learns",
        "b_learns",
        "score",
        "reasons",
        "reason_codes",
        "paused",
    }
    assert out["unmatched"] == ["Bo"]
    assert out["waiting"] == [{"id": "Bo", "why": "no_mentor_for_skill"}]
    assert json.loads(json.dumps(out)) == out


def test_json_optional_fields_are_parsed():
    inst = instance_from_json(INSTANCE)
    ana = inst.learners[0]
    assert ana.levels == {"Q1": 3}
    assert ana.timezone_offset == 120
    assert inst.mentors[0].timezone_offset == 120  # Cairo at the fixed reference date
    assert inst.mentors[0].methods == ("mentorship",)
    assert inst.learners[1].format == "online"
    assert inst.peers[1].timezone_offset == 60


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"learners": [{"wants": ["x"], "languages": ["en"]}]},
        {"learners": [{"id": "a", "wants": "x", "languages": [1]}]},
        {"mentors": [{"id": "m", "offers": ["x"], "languages": ["en"], "capacity": -1}]},
        {"mentors": [{"id": "m", "offers": ["x"], "languages": ["en"], "format": "hybrid"}]},
        {"learners": [{"id": "a", "wants": ["x"], "languages": ["en"], "levels": {"x": 9}}]},
        {"existing": [{"learner": "a"}]},
    ],
)
def test_malformed_input_is_a_value_error(bad):
    with pytest.raises(MatchInputError):
        match_json(bad)


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate learner"):
        solve([L("a"), L("a")], [])


def test_output_is_deterministic_and_independent_of_input_order():
    data = generate(300, 120, 80, seed=11)
    first = match_json(data)
    assert match_json(json.loads(json.dumps(data))) == first
    rng = random.Random(3)
    for key in ("learners", "mentors", "peers"):
        rng.shuffle(data[key])
    assert match_json(data) == first
    assert [m["learner"] for m in first["matches"]] == sorted(
        m["learner"] for m in first["matches"]
    )


# --- beyond the exact shortlist: cardinality must stay exact ---------------------------------


@pytest.mark.parametrize(("n_learners", "n_mentors", "seed"), [(400, 60, 1), (900, 120, 2)])
def test_cardinality_is_exact_on_larger_skewed_instances(n_learners, n_mentors, seed):
    """Here most learners have more candidate mentors than the shortlist keeps."""
    inst = instance_from_json(generate(n_learners, n_mentors, 0, seed=seed))
    r = solve(inst.learners, inst.mentors)
    g = nx.DiGraph()
    for lrn in inst.learners:
        g.add_edge("s", lrn.id, capacity=1)
        for mentor in inst.mentors:
            if compatible(lrn, mentor):
                g.add_edge(lrn.id, ("m", mentor.id), capacity=1)
    for mentor in inst.mentors:
        g.add_edge(("m", mentor.id), "t", capacity=mentor.capacity)
    assert len(r.matches) == nx.maximum_flow_value(g, "s", "t")
    assert len(r.matches) < n_learners  # oversubscribed: the choice matters
    mentors = {m.id: m for m in inst.mentors}
    learners = {x.id: x for x in inst.learners}
    load: dict[str, int] = {}
    for match in r.matches:
        assert compatible(learners[match.learner], mentors[match.mentor])
        load[match.mentor] = load.get(match.mentor, 0) + 1
    assert all(k <= mentors[mid].capacity for mid, k in load.items())


def test_away_learner_keeps_their_mentor_paused_and_gets_no_new_one():
    away = L("ana", available=False)
    r = solve([away, L("bo")], [M(capacity=3)], existing=[("ana", "mo")])
    (kept,) = [m for m in r.matches if m.learner == "ana"]
    assert kept.paused and kept.existing and kept.reasons[-1].key == "learner_away"
    assert pairs(r) == {("ana", "mo"), ("bo", "mo")}
    r = solve([away], [M(capacity=3)])
    assert pairs(r) == set() and r.waiting == ()  # away: not waiting for anyone either


def test_away_peer_keeps_the_exchange_paused_and_starts_no_new_one():
    a, b = P("a", ["lua"], ["sparql"], available=False), P("b", ["sparql"], ["lua"])
    (kept,) = solve([], [], [a, b], existing_peers=[("a", "b")]).peer_pairs
    assert kept.paused and kept.existing
    assert solve([], [], [a, b]).peer_pairs == ()


def test_learner_availability_from_json():
    inst = instance_from_json(
        {"learners": [{"id": "x", "wants": ["lua"], "languages": ["en"], "available": False}]}
    )
    assert inst.learners[0].available is False
    with pytest.raises(MatchInputError, match="available"):
        instance_from_json({"peers": [{"id": "p", "languages": ["en"], "available": "no"}]})


def test_nobody_is_matched_with_themselves():
    me = L("x", wants=("lua", "sparql"), community="c")
    both = solve([me], [M("x", offers=("lua",), community="c"), M("y", ("sparql", "lua"))])
    assert pairs(both) == {("x", "y")}  # x's own offer would score best, but is x
    assert both.matches[0].skills == ("sparql",)  # and Lua, which x mentors, is not asked
    alone = solve([L("x", wants=("lua",))], [M("x", offers=("lua",))])
    assert pairs(alone) == set() and why(alone) == {"x": "no_mentor_for_skill"}
