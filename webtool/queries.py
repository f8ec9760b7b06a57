"""Every read the web tool makes: SQLAlchemy Core SELECTs on the bot's tables, nothing else.

Why this shape: the tool reads only what ``bot.store`` defines, through indexed lookups
(``entries.owner``, ``entry_skills(skill, role)``, ``matches.a``/``.b``, ``awards.username``,
``needs_map.skill``) and a fixed number of statements per page (no query per row). The one
thing SQL cannot filter portably is a record's ``methods``, which lives only in the JSON
``data`` column; the skills index therefore works on ``Facets``, a compact in-memory digest of
all entries built with three SELECTs once per bot run (the caller caches it, see ``cache.py``).
The statements use only portable Core constructs, so they run on SQLite and on ToolsDB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.store import (
    activity,
    awards,
    entries,
    entry_languages,
    entry_skills,
    matches,
    needs_map,
    people,
    runs,
    waiting,
)

MATCH_STATES: tuple[str, ...] = ("proposed", "active", "completed", "declined", "ended")
MATCH_KINDS: tuple[str, ...] = ("mentor", "peer")
SHARER_ROLES: tuple[str, ...] = ("offer", "mentor")
FACT_KINDS: tuple[str, ...] = ("signup", "offer", "need", "resource", "event")


def run_key(conn: Connection) -> tuple[Any, ...]:
    """What changes whenever the bot starts or finishes a run (the cache key)."""
    row = conn.execute(
        sa.select(runs.c.id, runs.c.status, runs.c.finished).order_by(runs.c.id.desc()).limit(1)
    ).first()
    return tuple(row) if row is not None else ()


def last_run(conn: Connection) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(runs.c.id, runs.c.started, runs.c.finished, runs.c.status)
            .where(runs.c.status == "ok")
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def ping(conn: Connection) -> int:
    """One cheap statement that touches a real table: the health check."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one())


# -- record views ------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _skill_levels(raw: Any) -> list[dict[str, Any]]:
    out = []
    for item in raw or ():
        if isinstance(item, Mapping):
            out.append({"skill": str(item.get("skill", "")), "level": item.get("level")})
        else:
            out.append({"skill": str(item), "level": None})
    return out


def _strs(raw: Any) -> list[str]:
    return [str(x) for x in raw or ()]


def entry_view(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The public fields of one stored record, JSON-ready; origin reduced to a link target."""
    origin = data.get("origin") or {}
    view: dict[str, Any] = {
        "kind": kind,
        "origin": {
            "wiki": str(origin.get("wiki", "")),
            "page": str(origin.get("page", "")),
            "revid": int(origin.get("revid", 0) or 0),
        },
    }
    if kind == "signup":
        view.update(
            user=str(data.get("user", "")),
            wants=_skill_levels(data.get("wants")),
            offers=_skill_levels(data.get("offers")),
            languages=_strs(data.get("languages")),
            community=data.get("community"),
            region=data.get("region"),
            timezone=data.get("timezone"),
            methods=_strs(data.get("methods")),
            format=data.get("format", "online"),
            status=data.get("status", "active"),
            away_until=data.get("away_until"),
        )
    elif kind == "offer":
        view.update(
            owner=str(data.get("user") or data.get("organization") or ""),
            user=data.get("user"),
            organization=data.get("organization"),
            skills=_skill_levels(data.get("skills")),
            languages=_strs(data.get("languages")),
            methods=_strs(data.get("methods")),
            format=data.get("format", "online"),
            region=data.get("region"),
            capacity=int(data.get("capacity", 1) or 0),
            status=data.get("status", "active"),
            away_until=data.get("away_until"),
            description=str(data.get("description", "")),
        )
    elif kind == "need":
        view.update(
            community=str(data.get("community", "")),
            skill=str(data.get("skill", "")),
            by=str(data.get("by", "")),
            priority=data.get("priority", "medium"),
            learners=data.get("learners"),
            languages=_strs(data.get("languages")),
            notes=str(data.get("notes", "")),
        )
    elif kind == "resource":
        view.update(
            skills=_strs(data.get("skills")),
            title=str(data.get("title", "")),
            link=str(data.get("link", "")),
            languages=_strs(data.get("languages")),
            method=data.get("method", "online-course"),
            by=data.get("by"),
        )
    elif kind == "event":
        view.update(
            id=str(data.get("id", "")),
            title=str(data.get("title", "")),
            organizer=str(data.get("organizer", "")),
            skills=_strs(data.get("skills")),
            date=data.get("date"),
            format=data.get("format", "online"),
            region=data.get("region"),
            languages=_strs(data.get("languages")),
        )
    elif kind == "attendee":
        view.update(event=str(data.get("event", "")), user=str(data.get("user", "")))
    elif kind == "confirm":
        view.update(
            match_id=str(data.get("match_id", "")),
            user=str(data.get("user", "")),
            outcome=str(data.get("outcome", "")),
        )
    return view


def match_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    skills = row["skills"]
    if isinstance(skills, Mapping):
        skill_ids = sorted({*_strs(skills.get("a_learns")), *_strs(skills.get("b_learns"))})
        detail: Any = {
            "a_learns": _strs(skills.get("a_learns")),
            "b_learns": _strs(skills.get("b_learns")),
        }
    else:
        skill_ids = _strs(skills)
        detail = skill_ids
    return {
        "id": row["id"],
        "kind": row["kind"],
        "a": row["a"],
        "b": row["b"],
        "a_wiki": row["a_wiki"],
        "b_wiki": row["b_wiki"],
        "skills": skill_ids,
        "skill_detail": detail,
        "score": float(row["score"]),
        "reasons": list(row["reasons"] or []),
        "state": row["state"],
        "paused": bool(row["paused"]),
        "created": _iso(row["created"]),
        "updated": _iso(row["updated"]),
    }


def award_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "username": row["username"],
        "wiki": row["wiki"],
        "badge_class": row["badge_class"],
        "skill": row["skill"],
        "issued_on": _iso(row["issued_on"]),
        "revoked": bool(row["revoked"]),
    }


# -- facets: the skills index ----------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One entry, reduced to what the skills index filters and counts on."""

    kind: str
    owner: str
    community: str | None
    region: str | None
    languages: frozenset[str]
    methods: frozenset[str]
    active: bool
    capacity: int
    learners: int


@dataclass
class SkillCounts:
    learners: int = 0
    sharers: int = 0
    mentors: int = 0
    capacity: int = 0
    needs: int = 0
    need_learners: int = 0
    resources: int = 0
    events: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def total(self) -> int:
        return self.learners + self.sharers + self.needs + self.resources + self.events


@dataclass
class Facets:
    """All entries' skills, languages, communities, regions and methods, held in memory."""

    facts: dict[int, Fact] = field(default_factory=dict)
    skill_rows: list[tuple[int, str, str]] = field(default_factory=list)  # entry, skill, role
    languages: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    def counts(
        self,
        *,
        lang: str | None = None,
        community: str | None = None,
        region: str | None = None,
        method: str | None = None,
    ) -> dict[str, SkillCounts]:
        """Per skill: distinct active learners and sharers, capacity, needs, resources, events."""
        owners: dict[tuple[str, str], set[str]] = defaultdict(set)
        out: dict[str, SkillCounts] = defaultdict(SkillCounts)
        for entry_id, skill, role in self.skill_rows:
            fact = self.facts.get(entry_id)
            if fact is None:
                continue
            if lang is not None and lang not in fact.languages:
                continue
            if community is not None and fact.community != community:
                continue
            if region is not None and fact.region != region:
                continue
            if method is not None and method not in fact.methods:
                continue
            counts = out[skill]
            if role == "want":
                if fact.active:
                    owners[(skill, "want")].add(fact.owner)
            elif role in SHARER_ROLES:
                if fact.active:
                    owners[(skill, "share")].add(fact.owner)
                    if role == "mentor":
                        counts.mentors += 1
                        counts.capacity += fact.capacity
            elif role == "need":
                counts.needs += 1
                counts.need_learners += fact.learners
            elif role == "resource":
                counts.resources += 1
            elif role == "event":
                counts.events += 1
        for (skill, what), who in owners.items():
            if what == "want":
                out[skill].learners = len(who)
            else:
                out[skill].sharers = len(who)
        return dict(out)


def load_facets(conn: Connection) -> Facets:
    """Three SELECTs over all entries; the JSON is decoded here once per bot run."""
    langs: dict[int, set[str]] = defaultdict(set)
    for entry_id, lang in conn.execute(
        sa.select(entry_languages.c.entry_id, entry_languages.c.lang)
    ):
        langs[int(entry_id)].add(str(lang))
    facets = Facets()
    all_langs: set[str] = set()
    all_communities: set[str] = set()
    all_regions: set[str] = set()
    rows = conn.execute(
        sa.select(
            entries.c.id,
            entries.c.kind,
            entries.c.owner,
            entries.c.community,
            entries.c.region,
            entries.c.data,
        ).where(entries.c.kind.in_(FACT_KINDS))
    )
    for entry_id, kind, owner, community, region, data in rows:
        data = data or {}
        methods: Iterable[str] = data.get("methods") or ()
        if kind == "resource":
            methods = (data.get("method") or "online-course",)
        learners = data.get("learners") if kind == "need" else 0
        entry_langs = frozenset(langs.get(int(entry_id), ()))
        facets.facts[int(entry_id)] = Fact(
            kind=kind,
            owner=owner,
            community=community,
            region=region,
            languages=entry_langs,
            methods=frozenset(str(m) for m in methods),
            active=data.get("status", "active") != "closed",
            capacity=int(data.get("capacity", 1) or 0) if kind == "offer" else 0,
            learners=int(learners or 0),
        )
        if kind in ("signup", "offer"):
            all_langs |= entry_langs
        if community:
            all_communities.add(community)
        if region:
            all_regions.add(region)
    facets.skill_rows = [
        (int(e), str(s), str(r))
        for e, s, r in conn.execute(
            sa.select(entry_skills.c.entry_id, entry_skills.c.skill, entry_skills.c.role)
        )
    ]
    facets.languages = sorted(all_langs)
    facets.communities = sorted(all_communities, key=str.casefold)
    facets.regions = sorted(all_regions, key=str.casefold)
    return facets


# -- home ---------------------------------------------------------------------------------------


def headline(conn: Connection) -> dict[str, Any]:
    """The numbers on the home page: a handful of aggregate statements."""

    def distinct_owners(*roles: str) -> int:
        q = (
            sa.select(sa.func.count(sa.distinct(entries.c.owner)))
            .select_from(entry_skills.join(entries, entries.c.id == entry_skills.c.entry_id))
            .where(entry_skills.c.role.in_(roles))
        )
        return int(conn.execute(q).scalar_one())

    participants = conn.execute(
        sa.select(sa.func.count(sa.distinct(entries.c.owner))).where(
            entries.c.kind.in_(("signup", "offer")), entries.c.owner != ""
        )
    ).scalar_one()
    skills = conn.execute(
        sa.select(sa.func.count(sa.distinct(entry_skills.c.skill))).where(
            entry_skills.c.role.in_(("want", "offer", "mentor", "need"))
        )
    ).scalar_one()
    communities = conn.execute(
        sa.select(sa.func.count(sa.distinct(entries.c.community))).where(
            entries.c.community.is_not(None)
        )
    ).scalar_one()
    kinds: dict[str, int] = {
        str(kind): int(n)
        for kind, n in conn.execute(
            sa.select(entries.c.kind, sa.func.count()).group_by(entries.c.kind)
        )
    }
    waiting_count = conn.execute(sa.select(sa.func.count()).select_from(waiting)).scalar_one()
    badge_count = conn.execute(
        sa.select(sa.func.count()).select_from(awards).where(awards.c.revoked.is_(False))
    ).scalar_one()
    return {
        "participants": int(participants),
        "learners": distinct_owners("want"),
        "sharers": distinct_owners(*SHARER_ROLES),
        "skills": int(skills),
        "communities": int(communities),
        "needs": int(kinds.get("need", 0)),
        "resources": int(kinds.get("resource", 0)),
        "events": int(kinds.get("event", 0)),
        "matches": match_state_counts(conn),
        "waiting": int(waiting_count),
        "badges": int(badge_count),
    }


# -- needs map ----------------------------------------------------------------------------------

_NEEDS_SUMS = (
    sa.func.sum(needs_map.c.learners).label("learners"),
    sa.func.sum(needs_map.c.mentor_capacity).label("mentor_capacity"),
    sa.func.sum(needs_map.c.recorded_need).label("recorded_need"),
    sa.func.sum(needs_map.c.resources).label("resources"),
    sa.func.sum(needs_map.c.demand).label("demand"),
    sa.func.sum(needs_map.c.gap).label("gap"),
)


def _sums(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "learners": int(row["learners"] or 0),
        "mentor_capacity": int(row["mentor_capacity"] or 0),
        "recorded_need": int(row["recorded_need"] or 0),
        "resources": int(row["resources"] or 0),
        "demand": round(float(row["demand"] or 0), 3),
        "gap": round(float(row["gap"] or 0), 3),
    }


DIMENSIONS: tuple[str, ...] = ("community", "lang", "region")
ALL = ""  # the bot's needs map marks "not split on this dimension" with an empty string


def skill_totals(conn: Connection, limit: int, *, unmet_only: bool = False) -> list[dict[str, Any]]:
    """Each skill's whole-map cell (no community/language/region split), largest gap first."""
    q = sa.select(needs_map).where(*(needs_map.c[d] == ALL for d in DIMENSIONS))
    if unmet_only:
        q = q.where(needs_map.c.gap > 0)
    q = q.order_by(needs_map.c.gap.desc(), needs_map.c.skill).limit(limit)
    return [_cell(row) for row in conn.execute(q).mappings()]


def totals_by(
    conn: Connection, dimension: str, limit: int, roots: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Cells split on one dimension only, summed over root skills (so roll-ups count once)."""
    col = needs_map.c[dimension]
    others = [needs_map.c[d] == ALL for d in DIMENSIONS if d != dimension]
    q = sa.select(col.label("key"), *_NEEDS_SUMS).where(col != ALL, *others)
    if roots is not None:
        q = q.where(needs_map.c.skill.in_(list(roots)))
    q = q.group_by(col).order_by(sa.func.sum(needs_map.c.gap).desc(), col).limit(limit)
    return [{dimension: row["key"], **_sums(row)} for row in conn.execute(q).mappings()]


def _cell(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "skill": row["skill"],
        "community": row["community"],
        "lang": row["lang"],
        "region": row["region"],
        "learners": int(row["learners"]),
        "mentor_capacity": int(row["mentor_capacity"]),
        "recorded_need": int(row["recorded_need"]),
        "resources": int(row["resources"]),
        "demand": round(float(row["demand"]), 3),
        "gap": round(float(row["gap"]), 3),
        "rank": int(row["rank"]),
        "suggestion": row["suggestion"],
        "suggestion_params": [str(p) for p in row["suggestion_params"] or []],
    }


@dataclass(frozen=True)
class NeedsFilter:
    skill: str | None = None
    community: str | None = None
    lang: str | None = None
    region: str | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conds = []
        for name in ("skill", "community", "lang", "region"):
            value = getattr(self, name)
            if value is not None:
                conds.append(needs_map.c[name] == value)
        return conds


def needs_facets(conn: Connection) -> dict[str, list[str]]:
    out = {}
    for name in ("skill", "community", "lang", "region"):
        col = needs_map.c[name]
        values = [str(v) for (v,) in conn.execute(sa.select(col).distinct()) if v != ALL]
        out[name] = sorted(values, key=str.casefold)
    return out


def needs_rows(
    conn: Connection, flt: NeedsFilter, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = flt.where()
    total = conn.execute(
        sa.select(sa.func.count()).select_from(needs_map).where(*where)
    ).scalar_one()
    q = (
        sa.select(needs_map)
        .where(*where)
        .order_by(needs_map.c.rank, needs_map.c.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [_cell(row) for row in conn.execute(q).mappings()]
    return rows, int(total)


# -- one skill ------------------------------------------------------------------------------


def skill_detail(conn: Connection, skill: str) -> dict[str, list[dict[str, Any]]]:
    """Everything that names one skill, grouped by role; one indexed SELECT plus the needs map."""
    q = (
        sa.select(
            entries.c.id, entries.c.kind, entries.c.data, entry_skills.c.role, entry_skills.c.level
        )
        .select_from(entry_skills.join(entries, entries.c.id == entry_skills.c.entry_id))
        .where(entry_skills.c.skill == skill)
        .order_by(entries.c.owner, entries.c.id)
    )
    grouped: dict[str, list[dict[str, Any]]] = {
        role: [] for role in ("want", "offer", "mentor", "need", "resource", "event")
    }
    for row in conn.execute(q).mappings():
        view = entry_view(row["kind"], row["data"] or {})
        view["level"] = row["level"]
        grouped.setdefault(row["role"], []).append(view)
    cells, _total = needs_rows(conn, NeedsFilter(skill=skill), limit=1000, offset=0)
    grouped["cells"] = cells
    return grouped


# -- one person -----------------------------------------------------------------------------


def person(conn: Connection, username: str) -> dict[str, Any] | None:
    """A person's entries, matches, waiting state and badges; None if the store never saw them."""
    entry_rows = conn.execute(
        sa.select(entries.c.kind, entries.c.data)
        .where(entries.c.owner == username)
        .order_by(entries.c.kind, entries.c.id)
    ).all()
    by_a = sa.select(matches).where(matches.c.a == username)
    by_b = sa.select(matches).where(matches.c.b == username, matches.c.a != username)
    union = sa.union_all(by_a, by_b).subquery()
    match_rows = (
        conn.execute(sa.select(union).order_by(union.c.updated.desc(), union.c.id)).mappings().all()
    )
    award_rows = (
        conn.execute(
            sa.select(awards)
            .where(awards.c.username == username)
            .order_by(awards.c.issued_on, awards.c.id)
        )
        .mappings()
        .all()
    )
    waiting_row = (
        conn.execute(sa.select(waiting).where(waiting.c.username == username)).mappings().first()
    )
    person_row = (
        conn.execute(sa.select(people).where(people.c.username == username)).mappings().first()
    )
    last_edit = conn.execute(
        sa.select(activity.c.last_edit).where(activity.c.username == username)
    ).scalar()
    if not (entry_rows or match_rows or award_rows or waiting_row or person_row):
        return None
    views = [entry_view(kind, data or {}) for kind, data in entry_rows]
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for view in views:
        grouped[view["kind"]].append(view)
    return {
        "username": username,
        "wiki": person_row["wiki"] if person_row else None,
        "last_edit": _iso(last_edit),
        "signups": grouped.get("signup", []),
        "offers": grouped.get("offer", []),
        "needs": grouped.get("need", []),
        "resources": grouped.get("resource", []),
        "events": grouped.get("event", []),
        "attending": [v["event"] for v in grouped.get("attendee", [])],
        "matches": [match_view(r) for r in match_rows],
        "waiting": (
            {
                "wiki": waiting_row["wiki"],
                "skills": _strs(waiting_row["skills"]),
                "why": waiting_row["why"],
            }
            if waiting_row
            else None
        ),
        "awards": [award_view(r) for r in award_rows],
    }


# -- matches --------------------------------------------------------------------------------


def match_state_counts(conn: Connection) -> dict[str, int]:
    counts = {state: 0 for state in MATCH_STATES}
    for state, n in conn.execute(
        sa.select(matches.c.state, sa.func.count()).group_by(matches.c.state)
    ):
        counts[str(state)] = int(n)
    counts["paused"] = int(
        conn.execute(
            sa.select(sa.func.count()).select_from(matches).where(matches.c.paused.is_(True))
        ).scalar_one()
    )
    return counts


@dataclass(frozen=True)
class MatchFilter:
    state: str | None = None
    kind: str | None = None
    paused: bool | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conds: list[sa.ColumnElement[bool]] = []
        if self.state is not None:
            conds.append(matches.c.state == self.state)
        if self.kind is not None:
            conds.append(matches.c.kind == self.kind)
        if self.paused is not None:
            conds.append(matches.c.paused.is_(self.paused))
        return conds


def match_rows(
    conn: Connection, flt: MatchFilter, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = flt.where()
    total = conn.execute(sa.select(sa.func.count()).select_from(matches).where(*where)).scalar_one()
    q = (
        sa.select(matches)
        .where(*where)
        .order_by(matches.c.updated.desc(), matches.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [match_view(r) for r in conn.execute(q).mappings()], int(total)


# -- events and communities --------------------------------------------------------------------


def events(conn: Connection) -> list[dict[str, Any]]:
    """All events with their attendee counts; two SELECTs (events are few, attendees many)."""
    attendance: dict[str, int] = defaultdict(int)
    for (data,) in conn.execute(sa.select(entries.c.data).where(entries.c.kind == "attendee")):
        attendance[str((data or {}).get("event", ""))] += 1
    out = []
    for (data,) in conn.execute(
        sa.select(entries.c.data).where(entries.c.kind == "event").order_by(entries.c.id)
    ):
        view = entry_view("event", data or {})
        view["attendees"] = attendance.get(view["id"], 0)
        out.append(view)
    out.sort(key=lambda e: (str(e["date"] or ""), e["id"]))
    return out


def communities(conn: Connection, roots: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Per community: active people by role, recorded needs, and the needs map's sums."""
    table: dict[str, dict[str, Any]] = {}

    def row_for(name: str) -> dict[str, Any]:
        return table.setdefault(
            name,
            {
                "community": name,
                "learners": 0,
                "sharers": 0,
                "needs": 0,
                "demand": 0.0,
                "mentor_capacity": 0,
                "gap": 0.0,
            },
        )

    q = (
        sa.select(
            entries.c.community,
            entry_skills.c.role,
            sa.func.count(sa.distinct(entries.c.owner)),
        )
        .select_from(entry_skills.join(entries, entries.c.id == entry_skills.c.entry_id))
        .where(entries.c.community.is_not(None), entry_skills.c.role.in_(("want", "offer")))
        .group_by(entries.c.community, entry_skills.c.role)
    )
    for name, role, n in conn.execute(q):
        row_for(name)["learners" if role == "want" else "sharers"] = int(n)
    q2 = (
        sa.select(entries.c.community, sa.func.count())
        .where(entries.c.kind == "need", entries.c.community.is_not(None))
        .group_by(entries.c.community)
    )
    for name, n in conn.execute(q2):
        row_for(name)["needs"] = int(n)
    for item in totals_by(conn, "community", 100_000, roots):
        row = row_for(item["community"])
        row["demand"] = item["demand"]
        row["mentor_capacity"] = item["mentor_capacity"]
        row["gap"] = item["gap"]
    return sorted(
        table.values(), key=lambda r: (-r["gap"], -r["learners"], r["community"].casefold())
    )


# -- Open Badges -------------------------------------------------------------------------------


def evidence_keys(raw: Any) -> list[str]:
    """An award's evidence as ``kind:value`` strings (``match:M1``, ``event:wd-2026``).

    The bot stores strings of that form; older or hand-made rows may hold ``{"match": "M1"}``
    objects, which mean the same thing.
    """
    out: list[str] = []
    for item in raw or ():
        if isinstance(item, Mapping):
            out.extend(f"{k}:{v}" for k, v in sorted(item.items()))
        else:
            out.append(str(item))
    return out


def award(conn: Connection, award_id: str) -> dict[str, Any] | None:
    """One award with everything its Open Badges documents need (salt, evidence, revocation)."""
    row = conn.execute(sa.select(awards).where(awards.c.id == award_id)).mappings().first()
    if row is None:
        return None
    issued = row["issued_on"]
    if isinstance(issued, datetime):
        issued = issued.date()
    elif isinstance(issued, str):
        issued = date.fromisoformat(issued[:10])
    return {
        **award_view(row),
        "issued_date": issued,
        "evidence": evidence_keys(row["evidence"]),
        "salt": str(row["salt"]),
        "revocation_reason": row["revocation_reason"],
    }


def revocations(conn: Connection) -> list[tuple[str, str | None]]:
    """Every revoked award as (id, reason): what the OB 3.0 revocation list publishes."""
    q = (
        sa.select(awards.c.id, awards.c.revocation_reason)
        .where(awards.c.revoked.is_(True))
        .order_by(awards.c.id)
    )
    return [(str(aid), str(reason) if reason else None) for aid, reason in conn.execute(q)]


def awarded_class(conn: Connection, class_id: str) -> tuple[str, str | None] | None:
    """The (badge class, skill) a published class id was ever awarded as, or None.

    A class id is ``<class>`` or ``<class>-<skill>`` and both may contain '-', so every split
    is tried in one query (ids are at most 16 words); the stored awards decide, whatever the
    configuration and taxonomy say today.
    """
    general = sa.and_(
        awards.c.badge_class == class_id, sa.or_(awards.c.skill.is_(None), awards.c.skill == "")
    )
    splits = [
        sa.and_(awards.c.badge_class == class_id[:i], awards.c.skill == class_id[i + 1 :])
        for i, char in enumerate(class_id)
        if char == "-"
    ]
    found = conn.execute(
        sa.select(awards.c.badge_class, awards.c.skill).where(sa.or_(general, *splits)).distinct()
    ).all()
    if not found:
        return None
    # Two readings of one id cannot both come from the bot's rules; prefer the general one.
    badge_class, skill = min(found, key=lambda r: (bool(r[1]), len(str(r[0]))))
    return str(badge_class), (str(skill) if skill else None)


def event_sources(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every event entry (title and origin) by its evidence key ``event:<id>``; events are few,
    so one SELECT serves every badge that rests on an event."""
    out: dict[str, dict[str, Any]] = {}
    for (data,) in conn.execute(
        sa.select(entries.c.data).where(entries.c.kind == "event").order_by(entries.c.id)
    ):
        view = entry_view("event", data or {})
        out.setdefault(f"event:{view['id']}", view)
    return out


def need_sources(conn: Connection, username: str) -> dict[str, dict[str, Any]]:
    """A person's own need entries by evidence key ``need:<community>:<skill>`` (one SELECT
    on indexed columns)."""
    out: dict[str, dict[str, Any]] = {}
    for (data,) in conn.execute(
        sa.select(entries.c.data)
        .where(entries.c.owner == username, entries.c.kind == "need")
        .order_by(entries.c.id)
    ):
        view = entry_view("need", data or {})
        out.setdefault(f"need:{view['community']}:{view['skill']}", view)
    return out


# -- operator status -----------------------------------------------------------------------------


def recent_runs(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` rows of ``runs`` (newest first), with the stats the bot wrote."""
    rows = conn.execute(
        sa.select(runs.c.id, runs.c.started, runs.c.finished, runs.c.status, runs.c.stats)
        .order_by(runs.c.id.desc())
        .limit(limit)
    ).mappings()
    return [dict(row) for row in rows]
