"""Map skill demand against supply, so skill programmes go where the need really is.

The map is a set of slices of one cube (skill × community × language ×
region): the skill total, then each skill by one dimension at a time. A full
cross product would be mostly empty cells no organiser can act on; slices
answer the questions organisers ask ("which skills lack mentors in Arabic?",
"what does arwiki need most?").

Per cell:
* learners: distinct people whose signup wants the skill (or a sub-skill);
* recorded: needs communities recorded for the skill, each counted as
  priority weight (high 3, medium 2, low 1) × estimated learners (default 1);
* demand = learners + recorded;
* capacity: places active mentors offer (sum of `capacity`);
* resources: learning resources for the skill (in that language, for the
  language slice);
* gap = demand − capacity (negative: more places than learners).

Each skill is rolled up to its ancestors, counting a person or a place once
per cell even when they name several sub-skills of the same parent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import PRIORITY_WEIGHT, Need, Offer, ParseResult, Resource, Signup

ALL = ""  # the value of a dimension a slice does not split on


@dataclass
class Cell:
    skill: str
    community: str = ALL
    lang: str = ALL
    region: str = ALL
    learners: set[str] = field(default_factory=set)
    capacity: dict[str, int] = field(default_factory=dict)  # offer key → places
    recorded: dict[str, float] = field(default_factory=dict)  # need key → weighted count
    resources: set[str] = field(default_factory=set)

    @property
    def demand(self) -> float:
        return len(self.learners) + sum(self.recorded.values())

    @property
    def mentor_capacity(self) -> int:
        return sum(self.capacity.values())

    @property
    def gap(self) -> float:
        return self.demand - self.mentor_capacity


@dataclass(frozen=True)
class Suggestion:
    code: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedsRow:
    skill: str
    community: str
    lang: str
    region: str
    learners: int
    mentor_capacity: int
    recorded_need: int
    resources: int
    demand: float
    gap: float
    rank: int
    suggestion: Suggestion

    def as_store_row(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "community": self.community,
            "lang": self.lang,
            "region": self.region,
            "learners": self.learners,
            "mentor_capacity": self.mentor_capacity,
            "recorded_need": self.recorded_need,
            "resources": self.resources,
            "demand": self.demand,
            "gap": self.gap,
            "rank": self.rank,
            "suggestion": self.suggestion.code,
            "suggestion_params": list(self.suggestion.params),
        }


def _is_available(status: str) -> bool:
    return status == "active"


class NeedsMap:
    """Accumulates cells; `rows()` gives the ranked, suggested result."""

    def __init__(self, ancestors: Callable[[str], Sequence[str]]) -> None:
        self._ancestors = ancestors
        self.cells: dict[tuple[str, str, str, str], Cell] = {}
        self.resource_langs: dict[str, set[str]] = defaultdict(set)

    def _up(self, skills: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for s in skills:
            out.add(s)
            out.update(self._ancestors(s))
        return out

    def _cells(
        self, skill: str, community: str | None, langs: Iterable[str], region: str | None
    ) -> list[Cell]:
        keys = [(skill, ALL, ALL, ALL)]
        if community:
            keys.append((skill, community, ALL, ALL))
        if region:
            keys.append((skill, ALL, ALL, region))
        keys.extend((skill, ALL, lang, ALL) for lang in langs)
        out = []
        for key in keys:
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = Cell(*key)
            out.append(cell)
        return out

    def add_learner(self, s: Signup) -> None:
        if not _is_available(s.status):
            return
        for skill in self._up(w.skill for w in s.wants):
            for cell in self._cells(skill, s.community, s.languages, s.region):
                cell.learners.add(s.user)

    def add_offer(self, o: Offer, community: str | None) -> None:
        if not _is_available(o.status) or o.capacity <= 0:
            return
        key = f"{o.owner}\x1f{o.origin.wiki}\x1f{o.origin.page}\x1f{o.origin.line}"
        for skill in self._up(s.skill for s in o.skills):
            for cell in self._cells(skill, community, o.languages, o.region):
                cell.capacity[key] = max(cell.capacity.get(key, 0), o.capacity)

    def add_need(self, n: Need) -> None:
        weight = PRIORITY_WEIGHT.get(n.priority, 2) * max(1, n.learners or 1)
        key = f"{n.community}\x1f{n.skill}\x1f{n.by}"
        for skill in self._up([n.skill]):
            for cell in self._cells(skill, n.community, n.languages, None):
                cell.recorded[key] = max(cell.recorded.get(key, 0), weight)

    def add_resource(self, r: Resource) -> None:
        key = f"{r.title}\x1f{r.link}"
        for skill in self._up(r.skills):
            self.resource_langs[skill].update(r.languages)
            for cell in self._cells(skill, None, r.languages, None):
                cell.resources.add(key)

    def rows(self) -> list[NeedsRow]:
        cells = sorted(
            self.cells.values(),
            key=lambda c: (-c.gap, -c.demand, c.skill, c.community, c.lang, c.region),
        )
        out = []
        for rank, cell in enumerate(cells, start=1):
            out.append(
                NeedsRow(
                    skill=cell.skill,
                    community=cell.community,
                    lang=cell.lang,
                    region=cell.region,
                    learners=len(cell.learners),
                    mentor_capacity=cell.mentor_capacity,
                    recorded_need=len(cell.recorded),
                    resources=len(cell.resources),
                    demand=round(cell.demand, 2),
                    gap=round(cell.gap, 2),
                    rank=rank,
                    suggestion=self._suggest(cell),
                )
            )
        return out

    def _suggest(self, cell: Cell) -> Suggestion:
        """One actionable idea per cell, most specific first."""
        if cell.gap <= 0:
            return Suggestion("covered")
        total = self.cells.get((cell.skill, ALL, ALL, ALL))
        if cell.lang and not cell.resources:
            elsewhere = sorted(self.resource_langs.get(cell.skill, set()) - {cell.lang})
            if elsewhere:
                return Suggestion("translate", (", ".join(elsewhere[:3]),))
        if cell.mentor_capacity == 0 and total is not None and total.mentor_capacity == 0:
            return Suggestion("recruit")
        if len(cell.learners) >= 5 and len(cell.learners) >= 3 * max(1, cell.mentor_capacity):
            return Suggestion("training")
        if cell.mentor_capacity == 0:
            return Suggestion("global")
        return Suggestion("mentorship")


def build(data: ParseResult, ancestors: Callable[[str], Sequence[str]]) -> list[NeedsRow]:
    """The needs map of everything gathered; mentors' community comes from their signup."""
    nm = NeedsMap(ancestors)
    community_of = {s.user: s.community for s in data.signups if s.community}
    for s in data.signups:
        nm.add_learner(s)
    for o in data.offers:
        nm.add_offer(o, community_of.get(o.user or ""))
    for n in data.needs:
        nm.add_need(n)
    for r in data.resources:
        nm.add_resource(r)
    return nm.rows()
