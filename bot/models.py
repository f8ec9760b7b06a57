"""Plain records shared by the pure core, the store and the web tool.

Nothing here knows about Pywikibot or SQL: the parser produces these, the
aggregation and matching consume them, the store persists them. Keeping them
frozen makes a run's data safe to share between phases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced", "expert")
METHODS: tuple[str, ...] = (
    "mentorship",
    "training",
    "consulting",
    "online-course",
    "peer-support",
    "event",
)
FORMATS: tuple[str, ...] = ("online", "offline", "both")
STATUSES: tuple[str, ...] = ("active", "away", "closed")
PRIORITIES: tuple[str, ...] = ("high", "medium", "low")
PRIORITY_WEIGHT: dict[str, int] = {"high": 3, "medium": 2, "low": 1}
OUTCOMES: tuple[str, ...] = ("accepted", "completed", "declined", "withdrawn")


@dataclass(frozen=True)
class Origin:
    """Where an entry was written, so every report can link back to it."""

    wiki: str
    page: str
    line: int = 0
    revid: int = 0
    author: str = ""  # the account whose edit wrote this version of the entry
    timestamp: str = ""  # ISO 8601 time of that revision; "" when unknown (older stores)

    def order(self) -> tuple[str, str, int]:
        """Sort key for "which edit came first" across wikis.

        Revision ids are per wiki (wiki B's revid 20 may be newer than wiki A's 500), so the
        revision's time decides; the revision id only breaks ties within one wiki.
        """
        return (self.timestamp, self.wiki, self.revid)


@dataclass(frozen=True)
class SkillLevel:
    """A canonical skill id with the level the person gave, if any."""

    skill: str
    level: str | None = None


@dataclass(frozen=True)
class Signup:
    user: str
    languages: tuple[str, ...]
    wants: tuple[SkillLevel, ...] = ()
    offers: tuple[SkillLevel, ...] = ()
    community: str | None = None
    region: str | None = None
    timezone: str | None = None
    utc_offset: int | None = None  # minutes east of UTC, derived from timezone
    methods: tuple[str, ...] = ()
    format: str = "online"
    status: str = "active"
    away_until: date | None = None
    notify: bool = True
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Offer:
    skills: tuple[SkillLevel, ...]
    languages: tuple[str, ...]
    user: str | None = None
    organization: str | None = None
    methods: tuple[str, ...] = ("mentorship",)
    format: str = "online"
    region: str | None = None
    capacity: int = 1
    status: str = "active"
    away_until: date | None = None
    notify: bool = True
    description: str = ""
    origin: Origin = field(default_factory=lambda: Origin("", ""))

    @property
    def owner(self) -> str:
        return self.user or self.organization or ""


@dataclass(frozen=True)
class Need:
    community: str
    skill: str
    by: str
    priority: str = "medium"
    learners: int | None = None
    languages: tuple[str, ...] = ()
    notes: str = ""
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Resource:
    skills: tuple[str, ...]
    title: str
    link: str = ""
    languages: tuple[str, ...] = ()
    method: str = "online-course"
    by: str | None = None
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Event:
    id: str
    title: str
    organizer: str
    skills: tuple[str, ...]
    date: date
    format: str = "online"
    region: str | None = None
    languages: tuple[str, ...] = ()
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Attendee:
    event: str
    user: str
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Confirmation:
    """One party's word on a match: accepted, completed, declined or withdrawn."""

    match_id: str
    user: str
    outcome: str
    note: str = ""
    origin: Origin = field(default_factory=lambda: Origin("", ""))


@dataclass(frozen=True)
class Problem:
    """A rejected entry and why, as a message key so each wiki reads it in its language."""

    origin: Origin
    template: str
    code: str
    params: tuple[str, ...] = ()
    snippet: str = ""


Record = Signup | Offer | Need | Resource | Event | Attendee | Confirmation


@dataclass
class ParseResult:
    signups: list[Signup] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    attendees: list[Attendee] = field(default_factory=list)
    confirmations: list[Confirmation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, record: Record) -> None:
        getattr(self, _BUCKETS[type(record)]).append(record)

    def extend(self, other: ParseResult) -> None:
        for name in (*_BUCKETS.values(), "problems"):
            getattr(self, name).extend(getattr(other, name))

    def records(self) -> Iterator[Record]:
        """Every accepted entry, kind by kind."""
        for name in _BUCKETS.values():
            yield from getattr(self, name)


_BUCKETS: dict[type, str] = {
    Signup: "signups",
    Offer: "offers",
    Need: "needs",
    Resource: "resources",
    Event: "events",
    Attendee: "attendees",
    Confirmation: "confirmations",
}
