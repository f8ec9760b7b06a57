"""networkx behind OR-Tools' flow API, so the matcher can run its own graphs on networkx.

Why: the issue compares the matcher with "networkx min-cost flow at 10k". A dense pairwise
graph does not fit in memory at 10k (tens of millions of arcs), which says more about the
formulation than about the solver. Swapping the solver under the very same graphs (hub max
flow, shortlist min-cost flow) measures the solver choice alone. Only the calls that
``bot.matching.mentors`` makes are provided.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import networkx as nx
import numpy as np


class _Arcs:
    """Arcs in OR-Tools' numbering; a parallel arc goes through a node of its own."""

    OPTIMAL = 1

    def __init__(self) -> None:
        self.graph = nx.DiGraph()
        self.ends: list[tuple[Any, Any]] = []  # arc index -> (tail, node the flow enters)
        self.flow: dict[Any, dict[Any, int]] = {}

    def _add(self, tails: Sequence[int], heads: Sequence[int], caps: Sequence[int],
             costs: Sequence[int] | None) -> np.ndarray:  # fmt: skip
        first = len(self.ends)
        g = self.graph
        costs = costs if costs is not None else [0] * len(tails)
        for t, h, c, w in zip(
            np.asarray(tails).tolist(), np.asarray(heads).tolist(),
            np.asarray(caps).tolist(), np.asarray(costs).tolist(), strict=True,
        ):  # fmt: skip
            if g.has_edge(t, h):  # keep a simple digraph: split the parallel arc
                mid = ("arc", len(self.ends))
                g.add_edge(t, mid, capacity=c, weight=w)
                g.add_edge(mid, h, capacity=c, weight=0)
                self.ends.append((t, mid))
            else:
                g.add_edge(t, h, capacity=c, weight=w)
                self.ends.append((t, h))
        return np.arange(first, len(self.ends))

    def flows(self, arcs: Sequence[int]) -> list[int]:
        return [self.flow.get(t, {}).get(h, 0) for t, h in (self.ends[i] for i in arcs)]


class NxMinCostFlow(_Arcs):
    def __init__(self) -> None:
        super().__init__()
        self.supply: dict[int, int] = {}

    def add_arcs_with_capacity_and_unit_cost(
        self, tails: Sequence[int], heads: Sequence[int], caps: Sequence[int],
        costs: Sequence[int],
    ) -> np.ndarray:  # fmt: skip
        return self._add(tails, heads, caps, costs)

    def set_node_supply(self, node: int, supply: int) -> None:
        self.supply[node] = supply

    def solve(self) -> int:
        for node, supply in self.supply.items():
            self.graph.add_node(node, demand=-supply)
        _, self.flow = nx.network_simplex(self.graph)
        return self.OPTIMAL

    def solve_max_flow_with_min_cost(self) -> int:
        src = next(n for n, s in self.supply.items() if s > 0)
        snk = next(n for n, s in self.supply.items() if s < 0)
        self.flow = nx.max_flow_min_cost(self.graph, src, snk)
        return self.OPTIMAL


class NxMaxFlow(_Arcs):
    def add_arcs_with_capacity(
        self, tails: Sequence[int], heads: Sequence[int], caps: Sequence[int]
    ) -> np.ndarray:
        return self._add(tails, heads, caps, None)

    def solve(self, src: int, snk: int) -> int:
        _, self.flow = nx.maximum_flow(self.graph, src, snk)
        return self.OPTIMAL


@contextmanager
def networkx_solvers() -> Iterator[None]:
    """Run ``bot.matching`` with networkx in place of OR-Tools' flow solvers."""
    from bot.matching import mentors

    names = vars(mentors)  # the module's globals, where its solver modules are bound
    saved = names["min_cost_flow"], names["max_flow"]

    class _MinCost:
        SimpleMinCostFlow = NxMinCostFlow

    class _Max:
        SimpleMaxFlow = NxMaxFlow

    names["min_cost_flow"], names["max_flow"] = _MinCost, _Max
    try:
        yield
    finally:
        names["min_cost_flow"], names["max_flow"] = saved
