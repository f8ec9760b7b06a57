"""Benchmark of the matcher against baselines: ``python -m bench.bench_matching [--quick]``.

Each (case, method) runs in a fresh subprocess so that peak memory (``ru_maxrss``) belongs to
that run alone; the instance is generated inside the worker (seeded, same for every method) and
the timer covers only the method. Methods:

- ``skillmatch``: :func:`bot.matching.match_json` (JSON dict in, JSON dict out, reasons included);
- ``matchbot``: each learner in random order takes a random mentor with free capacity among
  those compatible (skill, language and format) — the behaviour of simple matching bots;
- ``greedy``: best quality first. Up to 10k learners: all compatible pairs sorted by quality
  (global greedy). At 100k the 6·10⁸ pairs do not fit, so each learner in random order takes
  its best mentor with free capacity (per-learner greedy, marked ``*``);
- ``exact``: OR-Tools min-cost max-flow on the dense pairwise graph — the true optimum, for the
  quality gap (not a contender: it lists every compatible pair);
- ``networkx``: ``networkx.max_flow_min_cost`` on the same dense graph (capped in time and at
  8 GB of address space);
- ``nx-solver``: the matcher itself with networkx's flow solvers in place of OR-Tools'
  (:mod:`bench.nxflow`): the same hub and shortlist graphs, so only the solver differs;
- peers: ``skillmatch`` vs ``networkx.max_weight_matching(maxcardinality=True)`` on the dense
  compatibility graph.

``skillmatch`` runs ``--repeat`` times (default 3, each in a fresh process): the table shows the
median and the range, since wall times on a shared 2-core VM vary by ±15 %.

Figures are printed, not asserted. ``--quick`` runs the small cases only (CI smoke test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench import machine
from bench.nxflow import networkx_solvers
from bot.matching import Learner, Mentor, Peer, instance_from_json, match_json
from bot.matching.quality import describe_match, peer_points
from bot.matching.vector import (
    intersects,
    learner_arrays,
    mentor_arrays,
    mentor_points,
    peer_side,
    vocabs,
)

CASES: dict[str, tuple[int, int, int]] = {
    "1k x 2k": (1_000, 2_000, 0),
    "10k x 5k": (10_000, 5_000, 0),
    "100k x 20k": (100_000, 20_000, 0),
    "peers 1k": (0, 0, 1_000),
    "peers 10k": (0, 0, 10_000),
}
QUICK = ("1k x 2k", "peers 1k")
QUICK_SKIP = ("networkx",)
"""networkx needs minutes even at 1k: left out of the CI smoke run."""
PLAN: dict[str, tuple[str, ...]] = {
    "1k x 2k": ("skillmatch", "matchbot", "greedy", "exact", "networkx", "nx-solver"),
    "10k x 5k": ("skillmatch", "matchbot", "greedy", "exact", "networkx", "nx-solver"),
    "100k x 20k": ("skillmatch", "matchbot", "greedy"),
    "peers 1k": ("skillmatch", "networkx"),
    "peers 10k": ("skillmatch", "networkx"),
}
TIMEOUT = {"networkx": 900.0, "exact": 900.0, "nx-solver": 900.0}
"""Seconds before a run is reported as "> N s"."""
DEFAULT_TIMEOUT = 900.0
NETWORKX_MEMORY = 8 << 30

SKILLS = [f"skill{i:02d}" for i in range(50)]
LANGS = [
    "en", "es", "fr", "ar", "de", "ru", "pt", "zh", "ja", "hi",
    "id", "it", "fa", "tr", "sw", "bn", "uk", "pl", "ko", "nl",
]  # fmt: skip
COMMUNITIES = [f"c{i:03d}wiki" for i in range(200)]
REGIONS = [f"R{i:02d}" for i in range(30)]
METHODS = ["mentorship", "training", "consulting", "online-course", "peer-support", "event"]


# --- instances ------------------------------------------------------------------------------


def _zipf(n: int, a: float) -> list[float]:
    return [1.0 / (i + 1) ** a for i in range(n)]


def generate(n_learners: int, n_mentors: int, n_peers: int, seed: int = 1) -> dict[str, Any]:
    """A seeded instance with Zipf-like popularity of skills, languages, communities, regions."""
    rng = random.Random(seed)
    sw, lw, cw, rw = _zipf(50, 1.1), _zipf(20, 1.3), _zipf(200, 1.0), _zipf(30, 0.9)
    region_tz = {r: rng.randrange(-10, 13) * 60 for r in REGIONS}

    def pick(pop: Sequence[str], w: Sequence[float] | None, k: int) -> list[str]:
        out: set[str] = set()
        while len(out) < k:
            out.add(rng.choices(pop, w)[0])
        return sorted(out)

    def person(pid: str) -> dict[str, Any]:
        region = rng.choices(REGIONS, rw)[0] if rng.random() < 0.8 else None
        fmt = rng.choices(["online", "offline", "both"], [0.7, 0.1, 0.2])[0] if region else "online"
        if region and rng.random() < 0.9:
            tz: int | None = region_tz[region] + rng.choice([-60, 0, 0, 60])
        else:
            tz = rng.randrange(-10, 13) * 60 if rng.random() < 0.5 else None
        return {
            "id": pid,
            "languages": pick(LANGS, lw, rng.choice([1, 1, 2, 2, 3])),
            "community": rng.choices(COMMUNITIES, cw)[0] if rng.random() < 0.8 else None,
            "region": region,
            "format": fmt,
            "timezone_offset": tz,
        }

    learners = []
    for i in range(n_learners):
        d = person(f"L{i}")
        wants = pick(SKILLS, sw, rng.randint(3, 7))
        d["wants"] = wants
        d["levels"] = {s: rng.randint(1, 4) for s in wants if rng.random() < 0.5}
        d["methods"] = pick(METHODS, None, rng.randint(0, 2)) if rng.random() < 0.6 else []
        learners.append(d)
    mentors = []
    for i in range(n_mentors):
        d = person(f"M{i}")
        offers = pick(SKILLS, sw, rng.randint(2, 6))
        d["offers"] = offers
        d["levels"] = {s: rng.randint(2, 4) for s in offers}
        d["capacity"] = rng.randint(1, 5)
        d["methods"] = pick(METHODS, None, rng.randint(1, 3))
        mentors.append(d)
    peers = []
    for i in range(n_peers):
        d = person(f"P{i}")
        d["wants"] = pick(SKILLS, sw, rng.randint(2, 4))
        d["offers"] = pick(SKILLS, sw, rng.randint(2, 4))
        peers.append(d)
    return {"learners": learners, "mentors": mentors, "peers": peers, "existing": []}


# --- baselines ------------------------------------------------------------------------------

Pairs = list[tuple[int, int]]


class Dense:
    """Coded arrays of an instance, for baselines that look at every pair."""

    def __init__(self, learners: Sequence[Learner], mentors: Sequence[Mentor]) -> None:
        self.learners, self.mentors = learners, mentors
        v = vocabs(learners, mentors, [])
        self.la, self.ma = learner_arrays(learners, v), mentor_arrays(mentors, v)
        self.cap = np.asarray([m.capacity for m in mentors], dtype=np.int64)

    def compatible_with(self, rows: np.ndarray) -> np.ndarray:
        """Boolean (len(rows), n_mentors): hard rules between learners ``rows`` and mentors."""
        ls, ms = self.la.side, self.ma.side
        ok = intersects(ls.skill_bits[rows, None, :], ms.skill_bits[None, :, :])
        ok &= intersects(ls.lang_bits[rows, None, :], ms.lang_bits[None, :, :])
        reg = ls.offline_region[rows, None]
        ok &= (ls.online[rows, None] & ms.online[None, :]) | (
            (reg >= 0) & (reg == ms.offline_region[None, :])
        )
        return ok

    def all_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every compatible pair and its points (blocks of learners)."""
        out_l, out_m = [], []
        n, m = len(self.learners), len(self.mentors)
        step = max(1, (1 << 22) // max(1, m))
        for lo in range(0, n, step):
            rows = np.arange(lo, min(n, lo + step))
            li, mi = np.nonzero(self.compatible_with(rows))
            out_l.append(rows[li])
            out_m.append(mi)
        li = np.concatenate(out_l).astype(np.int64)
        mi = np.concatenate(out_m).astype(np.int64)
        return li, mi, mentor_points(self.la, self.ma, li, mi)


def matchbot(learners: Sequence[Learner], mentors: Sequence[Mentor]) -> Pairs:
    dense = Dense(learners, mentors)
    rng = np.random.default_rng(7)
    cap = dense.cap.copy()
    out = []
    for i in rng.permutation(len(learners)).tolist():
        ok = np.flatnonzero(dense.compatible_with(np.asarray([i]))[0] & (cap > 0))
        if len(ok):
            j = int(ok[rng.integers(len(ok))])
            cap[j] -= 1
            out.append((i, j))
    return out


def greedy(learners: Sequence[Learner], mentors: Sequence[Mentor]) -> Pairs:
    dense = Dense(learners, mentors)
    cap = dense.cap.copy()
    out = []
    if len(learners) * len(mentors) <= 10**8:  # global best-first
        li, mi, pts = dense.all_pairs()
        order = np.lexsort((mi, li, -pts))
        taken = np.zeros(len(learners), dtype=np.bool_)
        for a, b in zip(li[order].tolist(), mi[order].tolist(), strict=True):
            if not taken[a] and cap[b] > 0:
                taken[a] = True
                cap[b] -= 1
                out.append((a, b))
        return out
    rng = np.random.default_rng(7)
    for i in rng.permutation(len(learners)).tolist():
        ok = np.flatnonzero(dense.compatible_with(np.asarray([i]))[0] & (cap > 0))
        if len(ok):
            pts = mentor_points(dense.la, dense.ma, np.full(len(ok), i, dtype=np.int64), ok)
            j = int(ok[np.lexsort((ok, -pts))[0]])
            cap[j] -= 1
            out.append((i, j))
    return out


def exact(learners: Sequence[Learner], mentors: Sequence[Mentor]) -> Pairs:
    from ortools.graph.python import min_cost_flow

    dense = Dense(learners, mentors)
    li, mi, pts = dense.all_pairs()
    nl = len(learners)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        (2 + li).astype(np.int32), (2 + nl + mi).astype(np.int32), np.ones(len(li), np.int64), -pts
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.zeros(nl, np.int32), (2 + np.arange(nl)).astype(np.int32), np.ones(nl, np.int64),
        np.zeros(nl, np.int64),
    )  # fmt: skip
    nm = len(mentors)
    flow.add_arcs_with_capacity_and_unit_cost(
        (2 + nl + np.arange(nm)).astype(np.int32), np.ones(nm, np.int32), dense.cap,
        np.zeros(nm, np.int64),
    )  # fmt: skip
    flow.set_node_supply(0, nl)
    flow.set_node_supply(1, -nl)
    assert flow.solve_max_flow_with_min_cost() == flow.OPTIMAL
    used = np.asarray(flow.flows(arcs)) > 0
    return list(zip(li[used].tolist(), mi[used].tolist(), strict=True))


def networkx_flow(learners: Sequence[Learner], mentors: Sequence[Mentor]) -> Pairs:
    import networkx as nx

    dense = Dense(learners, mentors)
    li, mi, pts = dense.all_pairs()
    g = nx.DiGraph()
    for i in range(len(learners)):
        g.add_edge("s", ("l", i), capacity=1, weight=0)
    for j, c in enumerate(dense.cap.tolist()):
        g.add_edge(("m", j), "t", capacity=c, weight=0)
    for a, b, p in zip(li.tolist(), mi.tolist(), pts.tolist(), strict=True):
        g.add_edge(("l", a), ("m", b), capacity=1, weight=-p)
    flow = nx.max_flow_min_cost(g, "s", "t")
    return [
        (u[1], v[1])
        for u, out in flow.items()
        if isinstance(u, tuple) and u[0] == "l"
        for v, f in out.items()
        if f > 0
    ]


def networkx_peers(peers: Sequence[Peer]) -> list[tuple[int, int]]:
    import networkx as nx

    v = vocabs([], [], peers)
    side, _, offers = peer_side(peers, v)
    g = nx.Graph()
    g.add_nodes_from(range(len(peers)))
    for i in range(len(peers)):
        rows = np.arange(i + 1, len(peers))
        if not len(rows):
            break
        ok = intersects(side.skill_bits[i], offers[rows]) & intersects(
            offers[i], side.skill_bits[rows]
        )
        ok &= intersects(side.lang_bits[i], side.lang_bits[rows])
        ok &= (side.online[i] & side.online[rows]) | (
            (side.offline_region[i] >= 0) & (side.offline_region[i] == side.offline_region[rows])
        )
        for j in rows[ok].tolist():
            g.add_edge(i, j, weight=peer_points(peers[i], peers[j]))
    return [(min(a, b), max(a, b)) for a, b in nx.max_weight_matching(g, maxcardinality=True)]


# --- worker -------------------------------------------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(case: str, method: str) -> dict[str, Any]:
    if method == "networkx":
        resource.setrlimit(resource.RLIMIT_AS, (NETWORKX_MEMORY, NETWORKX_MEMORY))
    nl, nm, npeers = CASES[case]
    data = generate(nl, nm, npeers)
    before = _maxrss_mb()
    if method in ("skillmatch", "nx-solver"):
        solvers = networkx_solvers() if method == "nx-solver" else contextlib.nullcontext()
        with solvers:
            t0 = time.perf_counter()
            out = match_json(data)
            wall = time.perf_counter() - t0
        if npeers:
            scores = [p["score"] for p in out["peer_pairs"]]
        else:
            scores = [m["score"] for m in out["matches"]]
        return _report(wall, before, len(scores), scores)
    inst = instance_from_json(data)
    learners = sorted(inst.learners, key=lambda x: x.id)
    mentors = sorted(inst.mentors, key=lambda x: x.id)
    peers = sorted(inst.peers, key=lambda x: x.id)
    if npeers:
        t0 = time.perf_counter()
        pp = networkx_peers(peers)
        wall = time.perf_counter() - t0
        scores = [peer_points(peers[a], peers[b]) / 10 for a, b in pp]
        return _report(wall, before, len(pp), scores)
    fn: Callable[[Sequence[Learner], Sequence[Mentor]], Pairs] = {
        "matchbot": matchbot,
        "greedy": greedy,
        "exact": exact,
        "networkx": networkx_flow,
    }[method]
    t0 = time.perf_counter()
    pairs = fn(learners, mentors)
    wall = time.perf_counter() - t0
    scores = [describe_match(learners[a], mentors[b]).score for a, b in pairs]
    return _report(wall, before, len(pairs), scores)


def _report(wall: float, before: float, matched: int, scores: Sequence[float]) -> dict[str, Any]:
    return {
        "wall": wall,
        "rss_before": before,
        "rss_peak": _maxrss_mb(),
        "matched": matched,
        "mean": sum(scores) / len(scores) if scores else 0.0,
        "total": sum(scores),
    }


def run(case: str, method: str) -> dict[str, Any]:
    timeout = TIMEOUT.get(method, DEFAULT_TIMEOUT)
    cmd = [sys.executable, "-m", "bench.bench_matching", "--worker", case, method]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": "out of memory" if "MemoryError" in tail else tail[:60]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small cases only (CI smoke)")
    parser.add_argument("--cases", nargs="*", choices=list(CASES), help="cases to run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of skillmatch per case")
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    cases = args.cases or (list(QUICK) if args.quick else list(CASES))
    print(f"python {sys.version.split()[0]}; {machine.describe()}")
    head = f"{'case':<11} {'method':<11} {'time s':>8} {'peak MB':>8} {'matched':>8} {'mean q':>7}"
    print(head + "  vs skillmatch")
    print("-" * (len(head) + 40))
    for case in cases:
        results: dict[str, dict[str, Any]] = {}
        for method in PLAN[case]:
            if args.quick and method in QUICK_SKIP:
                continue
            r = results[method] = run(case, method)
            if method == "skillmatch" and "error" not in r and args.repeat > 1:
                runs = [r] + [run(case, method) for _ in range(args.repeat - 1)]
                walls = sorted(x["wall"] for x in runs if "error" not in x)
                r["wall"] = statistics.median(walls)
                r["rss_peak"] = max(x["rss_peak"] for x in runs if "error" not in x)
                r["range"] = f"{len(walls)} runs {walls[0]:.2f}-{walls[-1]:.2f} s"
            label = method + ("*" if method == "greedy" and case == "100k x 20k" else "")
            if "error" in r:
                print(f"{case:<11} {label:<11} {r['error']:>8}", flush=True)
                continue
            note = r.get("range", "")
            mine = results.get("skillmatch")
            if method != "skillmatch" and mine and "error" not in mine:
                note = f"time x{r['wall'] / mine['wall']:.1f}"
                note += f", matched {r['matched'] - mine['matched']:+d}"
                if method == "exact" and r["total"]:
                    note += (
                        f", skillmatch quality gap {100 * (1 - mine['total'] / r['total']):.2f}%"
                    )
            print(
                f"{case:<11} {label:<11} {r['wall']:>8.2f} {r['rss_peak']:>8.0f} "
                f"{r['matched']:>8} {r['mean']:>7.1f}  {note}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
