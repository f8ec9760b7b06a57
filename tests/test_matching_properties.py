"""Property tests of the matcher against independent, dense formulations (networkx).

The matcher never lists compatible pairs; these tests do, on small random instances, and check
the hard rules, stability, exact maximum cardinality (max flow on the dense pairwise graph),
exact quality where the matcher claims it (min-cost flow on the dense graph), the peer matching
size (networkx blossom) and that the vectorized scores equal the one-pair reference.
"""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching import Learner, Mentor, Peer, solve
from bot.matching.peers import max_matching
from bot.matching.quality import describe_match, peer_points
from bot.matching.vector import learner_arrays, mentor_arrays, mentor_points, vocabs

SKILLS = ["lua", "sparql", "templates", "wikidata", "commons"]
LANGS = ["ar", "en", "fr"]
COMMUNITIES = [None, "arwiki", "frwiki"]
REGIONS = [None, "KE", "ke ", "EG"]
FORMATS = ["online", "offline", "both"]
TZS = [None, -180, 0, 60, 540, 780, -660, 1500, -2000]  # typed API: offsets beyond a day
METHODS = ["mentorship", "training", "event"]

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _subset(draw, pool, lo=0, hi=3):
    return tuple(draw(st.lists(st.sampled_from(pool), min_size=lo, max_size=hi, unique=True)))


@st.composite
def learners_st(draw, i):
    wants = _subset(draw, SKILLS, 0, 3)
    return Learner(
        id=f"l{i}",
        wants=wants,
        languages=_subset(draw, LANGS, 0, 2),
        community=draw(st.sampled_from(COMMUNITIES)),
        region=draw(st.sampled_from(REGIONS)),
        format=draw(st.sampled_from(FORMATS)),
        levels={s: draw(st.integers(1, 4)) for s in wants if draw(st.booleans())},
        timezone_offset=draw(st.sampled_from(TZS)),
        methods=_subset(draw, METHODS, 0, 2),
    )


@st.composite
def mentors_st(draw, i):
    offers = _subset(draw, SKILLS, 0, 3)
    return Mentor(
        id=f"m{i}",
        offers=offers,
        languages=_subset(draw, LANGS, 0, 2),
        community=draw(st.sampled_from(COMMUNITIES)),
        region=draw(st.sampled_from(REGIONS)),
        format=draw(st.sampled_from(FORMATS)),
        capacity=draw(st.integers(0, 3)),
        levels={s: draw(st.integers(1, 4)) for s in offers if draw(st.booleans())},
        timezone_offset=draw(st.sampled_from(TZS)),
        methods=_subset(draw, METHODS, 1, 2),
        available=draw(st.sampled_from([True, True, True, False])),
    )


@st.composite
def peers_st(draw, i):
    return Peer(
        id=f"p{i}",
        wants=_subset(draw, SKILLS[:3], 0, 2),
        offers=_subset(draw, SKILLS[:3], 0, 2),
        languages=_subset(draw, LANGS[:2], 1, 2),
        community=draw(st.sampled_from(COMMUNITIES)),
        region=draw(st.sampled_from(REGIONS)),
        format=draw(st.sampled_from(FORMATS)),
        timezone_offset=draw(st.sampled_from(TZS)),
    )


@st.composite
def instances(draw):
    nl = draw(st.integers(0, 12))
    nm = draw(st.integers(0, 7))
    npeers = draw(st.integers(0, 14))
    learners = [draw(learners_st(i)) for i in range(nl)]
    mentors = [draw(mentors_st(i)) for i in range(nm)]
    peers = [draw(peers_st(i)) for i in range(npeers)]
    existing = []
    if nl and nm:
        existing = draw(
            st.lists(st.tuples(st.integers(0, nl - 1), st.integers(0, nm - 1)), max_size=min(6, nl))
        )
        existing = [(f"l{a}", f"m{b}") for a, b in existing]
    existing_peers = []
    if npeers > 1:
        existing_peers = draw(
            st.lists(st.tuples(st.integers(0, npeers - 1), st.integers(0, npeers - 1)), max_size=4)
        )
        existing_peers = [(f"p{a}", f"p{b}") for a, b in existing_peers]
    return learners, mentors, peers, existing, existing_peers


# --- an independent statement of the hard rules ------------------------------------------


def _region(r):
    return r.strip().lower() if r and r.strip() else None


def ok_format(a, b):
    online = {"online", "both"}
    offline = {"offline", "both"}
    if a.format in online and b.format in online:
        return True
    return (
        a.format in offline
        and b.format in offline
        and _region(a.region) is not None
        and _region(a.region) == _region(b.region)
    )


def ok_pair(lrn, mnt):
    return (
        bool(set(lrn.wants) & set(mnt.offers))
        and bool(set(lrn.languages) & set(mnt.languages))
        and ok_format(lrn, mnt)
    )


def ok_peers(a, b):
    return (
        a.id != b.id
        and bool(set(a.wants) & set(b.offers))
        and bool(set(b.wants) & set(a.offers))
        and bool(set(a.languages) & set(b.languages))
        and ok_format(a, b)
    )


def dense_max_flow(learners, mentors, caps, skip):
    """Maximum number of learners (not in skip) matchable, on the dense pairwise graph."""
    g = nx.DiGraph()
    for lrn in learners:
        if lrn.id in skip:
            continue
        g.add_edge("S", ("l", lrn.id), capacity=1)
        for m in mentors:
            if caps[m.id] > 0 and ok_pair(lrn, m):
                g.add_edge(("l", lrn.id), ("m", m.id), capacity=1)
    for m in mentors:
        if caps[m.id] > 0:
            g.add_edge(("m", m.id), "T", capacity=caps[m.id])
    if "S" not in g or "T" not in g:
        return 0, g
    return nx.maximum_flow_value(g, "S", "T"), g


@SETTINGS
@given(instances())
def test_matching_properties(inst):
    learners, mentors, peers, existing, existing_peers = inst
    result = solve(learners, mentors, peers, existing, existing_peers)
    lby = {x.id: x for x in learners}
    mby = {x.id: x for x in mentors}
    pby = {x.id: x for x in peers}

    # Hard rules.
    per_mentor: dict[str, int] = {}
    seen_learners: set[str] = set()
    for m in result.matches:
        lrn, mnt = lby[m.learner], mby[m.mentor]
        assert ok_pair(lrn, mnt), m
        assert m.learner not in seen_learners
        seen_learners.add(m.learner)
        per_mentor[m.mentor] = per_mentor.get(m.mentor, 0) + 1
        assert m.paused == (not mnt.available)
        if not mnt.available:
            assert m.existing, "a paused mentor got a new learner"
        assert m.points == describe_match(lrn, mnt).points
        assert set(m.skills) == set(lrn.wants) & set(mnt.offers)
    for mid, k in per_mentor.items():
        assert k <= mby[mid].capacity

    # Stability: as many valid existing pairs as capacities allow are kept.
    valid_old = {(a, b) for a, b in existing if ok_pair(lby[a], mby[b]) and mby[b].capacity > 0}
    kept = {(m.learner, m.mentor) for m in result.matches if m.existing}
    assert kept <= valid_old
    g = nx.DiGraph()
    for a, b in valid_old:
        g.add_edge("S", ("l", a), capacity=1)
        g.add_edge(("l", a), ("m", b), capacity=1)
        g.add_edge(("m", b), "T", capacity=mby[b].capacity)
    best_kept = nx.maximum_flow_value(g, "S", "T") if valid_old else 0
    assert len(kept) == best_kept
    learners_once = len({a for a, _ in valid_old}) == len(valid_old)
    within_caps = all(sum(1 for _, b in valid_old if b == mid) <= mby[mid].capacity for mid in mby)
    if learners_once and within_caps:
        assert kept == valid_old

    # Exact maximum cardinality, against networkx max flow on the dense graph.
    caps = {
        m.id: (m.capacity - sum(1 for _, b in kept if b == m.id)) if m.available else 0
        for m in mentors
    }
    kept_learners = {a for a, _ in kept}
    best, _ = dense_max_flow(learners, mentors, caps, kept_learners)
    new = [m for m in result.matches if not m.existing]
    assert len(new) == best

    # Exact quality on small instances (every learner's mentors are all shortlisted):
    # min-cost max-flow on the dense graph with costs -points.
    if best:
        _, dense = dense_max_flow(learners, mentors, caps, kept_learners)
        for u, v in dense.edges:
            if u != "S" and v != "T":
                dense.edges[u, v]["weight"] = -describe_match(lby[u[1]], mby[v[1]]).points
        flow = nx.max_flow_min_cost(dense, "S", "T")
        assert sum(m.points for m in new) == -nx.cost_of_flow(dense, flow)

    # Waiting: exactly the unmatched learners, with the most specific reason.
    assert set(result.unmatched) == set(lby) - seen_learners
    assert [w.id for w in result.waiting] == sorted(result.unmatched)
    for w in result.waiting:
        lrn = lby[w.id]
        by_skill = [m for m in mentors if set(lrn.wants) & set(m.offers)]
        by_lang = [m for m in by_skill if set(lrn.languages) & set(m.languages)]
        by_format = [m for m in by_lang if ok_format(lrn, m)]
        expected = (
            "no_mentor_for_skill"
            if not by_skill
            else "no_mentor_in_language"
            if not by_lang
            else "format_or_region"
            if not by_format
            else "all_at_capacity"
        )
        assert w.why == expected

    # Peers: hard rules, stability, exact maximum cardinality (networkx blossom).
    in_pair: set[str] = set()
    for p in result.peer_pairs:
        assert p.a < p.b
        assert ok_peers(pby[p.a], pby[p.b])
        assert p.a not in in_pair and p.b not in in_pair
        in_pair |= {p.a, p.b}
        assert p.points == peer_points(pby[p.a], pby[p.b])
    valid_old_peers = {
        frozenset((a, b)) for a, b in existing_peers if a != b and ok_peers(pby[a], pby[b])
    }
    kept_peers = {frozenset((p.a, p.b)) for p in result.peer_pairs if p.existing}
    assert kept_peers <= valid_old_peers
    old_graph = nx.Graph([tuple(e) for e in valid_old_peers])
    assert len(kept_peers) == len(nx.max_weight_matching(old_graph, maxcardinality=True))
    taken = {x for e in kept_peers for x in e}
    rest = [p for p in peers if p.id not in taken]
    dense_peers = nx.Graph()
    dense_peers.add_nodes_from(p.id for p in rest)
    for i, a in enumerate(rest):
        for b in rest[i + 1 :]:
            if ok_peers(a, b):
                dense_peers.add_edge(a.id, b.id)
    expected_pairs = len(nx.max_weight_matching(dense_peers, maxcardinality=True))
    assert len(result.peer_pairs) - len(kept_peers) == expected_pairs
    assert set(result.unmatched_peers) == set(pby) - in_pair


@SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_order_does_not_matter(inst, rnd: random.Random):
    learners, mentors, peers, existing, existing_peers = inst
    first = solve(learners, mentors, peers, existing, existing_peers).to_json()
    for items in (learners, mentors, peers, existing, existing_peers):
        rnd.shuffle(items)
    assert solve(learners, mentors, peers, existing, existing_peers).to_json() == first


@settings(max_examples=60, deadline=None)
@given(st.lists(learners_st(0), min_size=1, max_size=8), st.lists(mentors_st(0), max_size=8))
def test_vector_points_equal_reference(learners, mentors):
    learners = [Learner(**{**_fields(x), "id": f"l{i}"}) for i, x in enumerate(learners)]
    mentors = [Mentor(**{**_fields(x), "id": f"m{i}"}) for i, x in enumerate(mentors)]
    pairs = [(i, j) for i, a in enumerate(learners) for j, b in enumerate(mentors) if ok_pair(a, b)]
    if not pairs:
        return
    v = vocabs(learners, mentors, [])
    got = mentor_points(
        learner_arrays(learners, v),
        mentor_arrays(mentors, v),
        np.asarray([p[0] for p in pairs], dtype=np.int64),
        np.asarray([p[1] for p in pairs], dtype=np.int64),
    )
    want = [describe_match(learners[i], mentors[j]).points for i, j in pairs]
    assert got.tolist() == want


def _fields(x):
    return {f: getattr(x, f) for f in x.__slots__}


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
            st.lists(st.integers(0, 1000), min_size=3 * n, max_size=3 * n),
        )
    )
)
def test_general_matching_is_maximum(case):
    """The blossom code on arbitrary graphs (odd cycles, nested blossoms), not only peer graphs."""
    n, edges, weights = case
    edges = sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})
    ei = np.asarray([e[0] for e in edges], dtype=np.int64)
    ej = np.asarray([e[1] for e in edges], dtype=np.int64)
    pts = np.asarray(weights[: len(edges)], dtype=np.int64)
    mate = max_matching(n, ei, ej, pts)
    pairs = {(i, mate[i]) for i in range(n) if i < mate[i]}
    assert all(mate[mate[i]] == i for i in range(n) if mate[i] >= 0)
    assert pairs <= set(edges)
    g = nx.Graph(edges)
    assert len(pairs) == len(nx.max_weight_matching(g, maxcardinality=True))
