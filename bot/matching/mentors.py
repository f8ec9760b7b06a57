"""Learner–mentor assignment: exact maximum cardinality, then quality (see the package docstring).

Phases:

1. keep valid ``existing`` pairs (a small min-cost flow picks the most that capacities allow);
2. **backbone** — a max flow on the hub graph
   ``source → learner → hub (skill, language, mode[, region]) → mentor → sink``, linear in the
   input, gives the exact maximum number of newly matched learners F and one assignment reaching
   it;
3. **shortlist** — candidate mentors per learner from sorted runs of the inverted index:
   per (learner, hub), the ``SAME_COMMUNITY_WINDOW`` same-community mentors nearest in time
   zone, the ``ANY_WINDOW`` nearest of any community, and the ``SAME_COMMUNITY_TOP`` /
   ``ANY_TOP`` best by :func:`_appeal`; every mentor of a hub with at most ``SMALL_HUB``
   entries, and of every hub of a learner with at most ``FULL_LIMIT`` entries in all. All are
   scored exactly; the best ``SHORTLIST`` per learner are kept (all of them for the latter).
   The knobs were tuned on the bench: wider windows cut the quality gap at a linear time cost.
4. **quality** — a min-cost flow of value F on backbone ∪ shortlist (direct learner → mentor
   arcs, cost = −points): the best assignment among those candidate pairs. The backbone is in the
   graph, so value F is always reachable and cardinality stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from bot.matching.model import Learner, Mentor, WaitingCode
from bot.matching.quality import MAX_POINTS, compatible
from bot.matching.vector import (
    I64,
    Bool,
    LearnerArrays,
    MentorArrays,
    Side,
    Vocabs,
    csr_product,
    learner_arrays,
    mentor_arrays,
    mentor_points,
    popcount,
    sort_keys,
)

SHORTLIST = 8
"""Candidate mentors kept per learner besides its backbone mentor."""
FULL_LIMIT = 64
"""A learner whose hubs hold at most this many mentor entries keeps every compatible mentor."""
SAME_COMMUNITY_WINDOW = 8
"""Same-community mentors taken per (learner, hub), nearest in time zone."""
ANY_WINDOW = 4
"""Mentors of any community taken per (learner, hub), nearest in time zone."""
SMALL_HUB = 32
"""A (learner, hub) whose hub lists at most this many mentors takes all of them."""
SAME_COMMUNITY_TOP = 2
"""Same-community mentors taken per (learner, hub) by :func:`_appeal`."""
ANY_TOP = 1
"""Mentors of any community taken per (learner, hub) by :func:`_appeal`."""

_TZR = 2 * 1440 + 2  # time-zone key range: normalised offsets shifted by +1440 stay inside


class SolverError(RuntimeError):
    """OR-Tools reported something other than an optimum (a bug, not bad input)."""


@dataclass(frozen=True, slots=True)
class MentorAssignment:
    """Indices into the id-sorted learners and mentors."""

    pairs: list[tuple[int, int, bool]]
    """(learner, mentor, existing)."""
    waiting: list[tuple[int, WaitingCode]]
    """Unmatched learners and why."""
    max_new: int
    """The exact maximum number of new matches (the backbone's flow)."""


def hub_rows(side: Side, n_langs: int, n_regions: int, keep: Bool | None) -> tuple[I64, I64]:
    """(person, hub code) for every (skill, language, mode[, region]) the person can meet in."""
    owner, s, g = csr_product(side.skills, side.langs, keep)
    sg = s * n_langs + g
    nmk = n_regions + 1
    on = side.online[owner]
    reg = side.offline_region[owner]
    off = reg >= 0
    persons = np.concatenate([owner[on], owner[off]])
    codes = np.concatenate([sg[on] * nmk, sg[off] * nmk + 1 + reg[off]])
    return persons, codes


def _select_existing(
    learners: Sequence[Learner],
    mentors: Sequence[Mentor],
    la: LearnerArrays,
    ma: MentorArrays,
    existing: Sequence[tuple[str, str]],
) -> list[tuple[int, int]]:
    """The most valid existing pairs that capacities allow (ties: higher quality)."""
    lidx = {x.id: i for i, x in enumerate(learners)}
    midx = {x.id: i for i, x in enumerate(mentors)}
    pairs = sorted(
        {
            (lidx[a], midx[b])
            for a, b in existing
            if a in lidx
            and b in midx
            and mentors[midx[b]].capacity > 0
            and compatible(learners[lidx[a]], mentors[midx[b]])
        }
    )
    if not pairs:
        return []
    li = np.asarray([p[0] for p in pairs], dtype=np.int64)
    mi = np.asarray([p[1] for p in pairs], dtype=np.int64)
    if len(set(li.tolist())) == len(li):
        per_mentor = np.bincount(mi, minlength=len(mentors))
        caps = np.asarray([m.capacity for m in mentors], dtype=np.int64)
        if bool((per_mentor <= caps).all()):
            return pairs
    pts = mentor_points(la, ma, li, mi)
    ul, linv = np.unique(li, return_inverse=True)
    um, minv = np.unique(mi, return_inverse=True)
    src, snk = 0, 1
    lnode, mnode = 2 + linv, 2 + len(ul) + minv
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        lnode.astype(np.int32), mnode.astype(np.int32), np.ones(len(li), dtype=np.int64), -pts
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(len(ul), src, dtype=np.int32),
        (2 + np.arange(len(ul))).astype(np.int32),
        np.ones(len(ul), dtype=np.int64),
        np.zeros(len(ul), dtype=np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        (2 + len(ul) + np.arange(len(um))).astype(np.int32),
        np.full(len(um), snk, dtype=np.int32),
        np.asarray([mentors[m].capacity for m in um.tolist()], dtype=np.int64),
        np.zeros(len(um), dtype=np.int64),
    )
    flow.set_node_supply(src, len(ul))
    flow.set_node_supply(snk, -len(ul))
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise SolverError("min-cost flow on existing pairs failed")
    used = np.asarray(flow.flows(arcs)) > 0
    return [pairs[k] for k in np.flatnonzero(used).tolist()]


def _backbone(
    l_rows: I64, l_hub: I64, m_rows: I64, m_hub: I64, nl: int, cap: I64
) -> tuple[I64, I64]:
    """Exact max flow on the hub graph, decomposed into (learner, mentor) pairs."""
    nm = len(cap)
    src, snk = 0, 1
    lbase, mbase, hbase = 2, 2 + nl, 2 + nl + nm
    learners = np.unique(l_rows)
    mentors = np.flatnonzero(cap > 0)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.full(len(learners), src, dtype=np.int32),
        (lbase + learners).astype(np.int32),
        np.ones(len(learners), dtype=np.int64),
    )
    l_arcs = flow.add_arcs_with_capacity(
        (lbase + l_rows).astype(np.int32),
        (hbase + l_hub).astype(np.int32),
        np.ones(len(l_rows), dtype=np.int64),
    )
    m_arcs = flow.add_arcs_with_capacity(
        (hbase + m_hub).astype(np.int32), (mbase + m_rows).astype(np.int32), cap[m_rows]
    )
    flow.add_arcs_with_capacity(
        (mbase + mentors).astype(np.int32), np.full(len(mentors), snk, dtype=np.int32), cap[mentors]
    )
    if flow.solve(src, snk) != flow.OPTIMAL:
        raise SolverError("max flow on the hub graph failed")
    lf = np.asarray(flow.flows(l_arcs)) > 0
    mf = np.asarray(flow.flows(m_arcs))
    # Any pairing of the learners that enter a hub with the mentor units that leave it is valid:
    # every learner and mentor of a hub share its skill, language and mode. Sorting both sides
    # by hub, then by learner/mentor index, pairs them up position by position.
    bl, bh = l_rows[lf], l_hub[lf]
    order = np.lexsort((bl, bh))
    bl, bh = bl[order], bh[order]
    units = np.repeat(np.arange(len(m_rows)), mf)
    uh, um = m_hub[units], m_rows[units]
    order = np.lexsort((um, uh))
    uh, um = uh[order], um[order]
    if not np.array_equal(bh, uh):
        raise SolverError("hub flow is not conserved")
    return bl, um


def _windows(pos: I64, lo: I64, hi: I64, width: int) -> tuple[I64, I64]:
    """(query row, sorted position) for up to ``width`` entries of [lo, hi) nearest ``pos``."""
    start = np.clip(pos - width // 2, lo, np.maximum(lo, hi - width))
    q = np.repeat(np.arange(len(pos), dtype=np.int64), width)
    idx = np.repeat(start, width) + np.tile(np.arange(width, dtype=np.int64), len(pos))
    ok = idx < np.repeat(hi, width)
    return q[ok], idx[ok]


class _Runs:
    """Mentor rows sorted by (block, value): the inverted index as searchable sorted runs."""

    def __init__(self, block: I64, value: I64, rows: I64, span: int) -> None:
        key = block * span + value
        order = np.argsort(key, kind="stable")
        self.key, self.rows, self.span = key[order], rows[order], span

    def bounds(self, block: I64) -> tuple[I64, I64]:
        return (
            np.searchsorted(self.key, block * self.span, "left"),
            np.searchsorted(self.key, (block + 1) * self.span, "left"),
        )

    def near(self, block: I64, value: I64, width: int) -> tuple[I64, I64]:
        """(query, mentor) for the ``width`` entries of each query's block nearest its value."""
        lo, hi = self.bounds(block)
        pos = np.searchsorted(self.key, block * self.span + value, "left")
        q, idx = _windows(pos, lo, hi, width)
        return q, self.rows[idx]

    def top(self, block: I64, width: int) -> tuple[I64, I64]:
        """(query, mentor) for the first ``width`` entries of each query's block."""
        lo, hi = self.bounds(block)
        q, idx = _windows(lo + width // 2, lo, hi, width)
        return q, self.rows[idx]


def _appeal(ma: MentorArrays) -> I64:
    """A learner-independent guess at how well a mentor scores: skills offered, levels, methods.

    Ranks mentors inside a run for the "top" candidates, which find the mentors that the
    nearest-time-zone windows miss (coverage, level and methods outweigh time zones).
    """
    ms = ma.side
    high = popcount(ma.at_least[:, 2, :])  # skills at advanced or expert
    return np.asarray(
        np.minimum(ms.skills.counts, 50) * 40
        + np.minimum(high, 50) * 8
        + np.minimum(popcount(ma.method_bits), 50),
        dtype=np.int64,
    )


def _candidates(
    la: LearnerArrays,
    ma: MentorArrays,
    l_rows: I64,
    l_hub: I64,
    m_rows: I64,
    m_hub: I64,
    every: I64 | None = None,
) -> tuple[I64, I64, Bool]:
    """Candidate (learner, mentor) pairs from the inverted index, and which learners are full.

    Learners in `every` get every mentor entry of their hubs, as small learners do.
    """
    ls, ms = la.side, ma.side
    ncom = int(max(ls.community.max(initial=-1), ms.community.max(initial=-1))) + 1
    ltz = np.where(ls.tz_known, ls.tz + 1440, 1440)[l_rows]
    lc = ls.community[l_rows]
    # Queries in key order make every searchsorted below cache-friendly (2x faster).
    order = np.argsort((l_hub * (ncom + 1) + lc + 1) * _TZR + ltz)
    l_rows, l_hub, ltz, lc = l_rows[order], l_hub[order], ltz[order], lc[order]
    mtz = np.where(ms.tz_known, ms.tz + 1440, 1440)[m_rows]
    by_tz = _Runs(m_hub, mtz, m_rows, _TZR)
    lo, hi = by_tz.bounds(l_hub)
    size = hi - lo
    full = np.bincount(l_rows, weights=size, minlength=ls.n) <= FULL_LIMIT
    if every is not None:
        full[every] = True
    parts_l: list[I64] = []
    parts_m: list[I64] = []
    # Small learners, and small hubs (rare skills, whose mentors often cover several of the
    # learner's skills): every mentor entry.
    fr = np.flatnonzero(full[l_rows] | (size <= SMALL_HUB))
    if len(fr):
        counts = size[fr]
        start = np.repeat(np.cumsum(counts) - counts, counts)
        idx = np.repeat(lo[fr], counts) + np.arange(int(counts.sum()), dtype=np.int64) - start
        parts_l.append(np.repeat(l_rows[fr], counts))
        parts_m.append(by_tz.rows[idx])
    # Others: nearest time zones and most appealing, in the hub and in the hub's community run.
    br = np.flatnonzero(~full[l_rows] & (size > SMALL_HUB))
    if len(br):
        appeal = _appeal(ma)
        span = int(appeal.max(initial=0)) + 1
        by_appeal = _Runs(m_hub, span - 1 - appeal[m_rows], m_rows, span)
        for q, m in (
            by_tz.near(l_hub[br], ltz[br], ANY_WINDOW),
            by_appeal.top(l_hub[br], ANY_TOP),
        ):
            parts_l.append(l_rows[br[q]])
            parts_m.append(m)
        rows = br[lc[br] >= 0]
        mc = ms.community[m_rows]
        has = mc >= 0
        if len(rows) and bool(has.any()):
            block = m_hub[has] * ncom + mc[has]
            lblock = l_hub[rows] * ncom + lc[rows]
            same_tz = _Runs(block, mtz[has], m_rows[has], _TZR)
            same_appeal = _Runs(block, span - 1 - appeal[m_rows[has]], m_rows[has], span)
            for q, m in (
                same_tz.near(lblock, ltz[rows], SAME_COMMUNITY_WINDOW),
                same_appeal.top(lblock, SAME_COMMUNITY_TOP),
            ):
                parts_l.append(l_rows[rows[q]])
                parts_m.append(m)
    if not parts_l:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, full
    return np.concatenate(parts_l), np.concatenate(parts_m), full


def _shortlist(
    la: LearnerArrays, ma: MentorArrays, cl: I64, cm: I64, full: Bool, bl: I64, bm: I64
) -> tuple[I64, I64, I64]:
    """Deduplicated candidate arcs with their points: top SHORTLIST per learner + backbone."""
    nm = ma.side.n
    # Sorting packed int64 keys (SIMD quicksort) is ~10x faster than argsort here.
    keys = sort_keys(np.concatenate([cl * nm + cm, bl * nm + bm]))
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    cl, cm = keys // nm, keys % nm
    pts = mentor_points(la, ma, cl, cm)
    # Re-sort by learner, best first, then mentor: (learner, 1000 - points, mentor) packed.
    packed = sort_keys((cl * (MAX_POINTS + 1) + (MAX_POINTS - pts)) * nm + cm)
    cm = packed % nm
    rest = packed // nm
    pts = MAX_POINTS - rest % (MAX_POINTS + 1)
    cl = rest // (MAX_POINTS + 1)
    # A learner has at most one backbone mentor: look it up by learner, no search needed.
    backbone_of = np.full(la.side.n, -1, dtype=np.int64)
    backbone_of[bl] = bm
    backbone = backbone_of[cl] == cm
    # Rank inside each learner's run (cl is sorted): position minus the run's start.
    starts = np.flatnonzero(np.concatenate([[True], cl[1:] != cl[:-1]]))
    rank = np.arange(len(cl)) - np.repeat(starts, np.diff(np.append(starts, len(cl))))
    keep = (rank < SHORTLIST) | full[cl] | backbone
    return cl[keep], cm[keep], pts[keep]


def _best_flow(
    cl: I64, cm: I64, pts: I64, nl: int, cap: I64, value: int, exact: bool = True
) -> tuple[I64, I64]:
    """Min-cost flow of the given value on the shortlist graph (at most `value` if not exact)."""
    src, snk = 0, 1
    learners = np.unique(cl)
    mentors = np.unique(cm)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        (2 + cl).astype(np.int32),
        (2 + nl + cm).astype(np.int32),
        np.ones(len(cl), dtype=np.int64),
        -pts,
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(len(learners), src, dtype=np.int32),
        (2 + learners).astype(np.int32),
        np.ones(len(learners), dtype=np.int64),
        np.zeros(len(learners), dtype=np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        (2 + nl + mentors).astype(np.int32),
        np.full(len(mentors), snk, dtype=np.int32),
        cap[mentors],
        np.zeros(len(mentors), dtype=np.int64),
    )
    flow.set_node_supply(src, value)
    flow.set_node_supply(snk, -value)
    status = flow.solve() if exact else flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverError("min-cost flow on the shortlist failed")
    used = np.asarray(flow.flows(arcs)) > 0
    return cl[used], cm[used]


def _waiting_codes(ls: Side, ms: Side, v: Vocabs, l_codes: I64, l_owner: I64) -> list[WaitingCode]:
    """For every learner, the most specific hard rule that no mentor at all passes."""
    n_langs, n_regions = len(v.langs), len(v.regions)
    offered = np.zeros(len(v.skills) + 1, dtype=np.bool_)
    offered[ms.skills.flat] = True
    has_skill = np.bincount(ls.skills.owner, weights=offered[ls.skills.flat], minlength=ls.n) > 0
    _, s, g = csr_product(ms.skills, ms.langs)
    m_sg = np.unique(s * n_langs + g)
    owner, s, g = csr_product(ls.skills, ls.langs)
    in_sg = np.isin(s * n_langs + g, m_sg)
    has_sg = np.bincount(owner, weights=in_sg, minlength=ls.n) > 0
    _, m_codes = hub_rows(ms, n_langs, n_regions, None)
    in_hub = np.isin(l_codes, np.unique(m_codes))
    has_hub = np.bincount(l_owner, weights=in_hub, minlength=ls.n) > 0
    out: list[WaitingCode] = []
    for a, b, c in zip(has_skill.tolist(), has_sg.tolist(), has_hub.tolist(), strict=True):
        if not a:
            out.append("no_mentor_for_skill")
        elif not b:
            out.append("no_mentor_in_language")
        elif not c:
            out.append("format_or_region")
        else:
            out.append("all_at_capacity")
    return out


def _pair_keys(
    learners: Sequence[Learner], mentors: Sequence[Mentor], pairs: Sequence[tuple[str, str]]
) -> I64:
    """Packed (learner index × mentors + mentor index) keys of the named pairs present."""
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    lidx = {x.id: i for i, x in enumerate(learners)}
    midx = {x.id: i for i, x in enumerate(mentors)}
    keys = [lidx[a] * len(mentors) + midx[b] for a, b in pairs if a in lidx and b in midx]
    return np.asarray(keys, dtype=np.int64)


def assign_mentors(
    learners: Sequence[Learner],
    mentors: Sequence[Mentor],
    existing: Sequence[tuple[str, str]],
    v: Vocabs,
    forbidden: Sequence[tuple[str, str]] = (),
) -> MentorAssignment:
    """Assign id-sorted ``learners`` to id-sorted ``mentors`` (indices in the result).

    ``forbidden`` (learner, mentor) pairs (pairs that declined) are taken out of the shortlist;
    their learners get every mentor of their hubs in it instead of the cut. The hub backbone
    cannot leave single pairs out, so the final flow is the most the remaining shortlist can
    carry: the count is exact unless an augmenting path needs another learner's
    non-shortlisted mentor (bench/bench_declines.py: 1 pair short of 11,908 with 596
    forbidden pairs, none with 60).
    """
    la = learner_arrays(learners, v)
    ma = mentor_arrays(mentors, v)
    ls, ms = la.side, ma.side
    kept = _select_existing(learners, mentors, la, ma, existing)
    cap = np.asarray([m.capacity for m in mentors], dtype=np.int64)
    if kept:
        cap -= np.bincount([m for _, m in kept], minlength=len(mentors))
    cap[~np.asarray([m.available for m in mentors], dtype=np.bool_)] = 0
    # Who may get a new mentor: not those already kept with one, nor anyone away.
    here = np.asarray([x.available for x in learners], dtype=np.bool_)
    pool = here.copy()
    pool[[lrn for lrn, _ in kept]] = False

    n_langs, n_regions = len(v.langs), len(v.regions)
    l_owner, l_codes = hub_rows(ls, n_langs, n_regions, None)
    m_rows, m_codes = hub_rows(ms, n_langs, n_regions, cap > 0)
    hubs = np.unique(m_codes)
    m_hub = np.searchsorted(hubs, m_codes)
    sel = pool[l_owner]
    l_rows, lc = l_owner[sel], l_codes[sel]
    if len(hubs):
        l_hub = np.minimum(np.searchsorted(hubs, lc), len(hubs) - 1)
        ok = hubs[l_hub] == lc
        l_rows, l_hub = l_rows[ok], l_hub[ok]
    else:
        l_rows = l_hub = np.zeros(0, dtype=np.int64)

    new_l = new_m = np.zeros(0, dtype=np.int64)
    value = 0
    if len(l_rows):
        bl, bm = _backbone(l_rows, l_hub, m_rows, m_hub, ls.n, cap)
        value = len(bl)
        if value:
            banned = _pair_keys(learners, mentors, forbidden)
            # A learner who declined someone sees all their mentors, so that the next best
            # one is there whatever the shortlist's cut.
            every = np.unique(banned // ms.n) if len(banned) else None
            cl, cm, full = _candidates(la, ma, l_rows, l_hub, m_rows, m_hub, every)
            cl, cm, pts = _shortlist(la, ma, cl, cm, full, bl, bm)
            exact = True
            if len(banned):
                keep = ~np.isin(cl * ms.n + cm, banned)
                exact = bool(keep.all())
                cl, cm, pts = cl[keep], cm[keep], pts[keep]
            new_l, new_m = _best_flow(cl, cm, pts, ls.n, cap, value, exact)
            if exact and len(new_l) != value:
                raise SolverError("the shortlist flow lost cardinality")

    pairs = [(lrn, m, True) for lrn, m in kept]
    pairs += [(lrn, m, False) for lrn, m in zip(new_l.tolist(), new_m.tolist(), strict=True)]
    pairs.sort()
    matched = np.zeros(ls.n, dtype=np.bool_)
    matched[[p[0] for p in pairs]] = True
    codes = _waiting_codes(ls, ms, v, l_codes, l_owner)
    waiting = [(i, codes[i]) for i in np.flatnonzero(~matched & here).tolist()]
    return MentorAssignment(pairs=pairs, waiting=waiting, max_new=value)
