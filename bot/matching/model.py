"""Plain input and output types of the matcher, and their JSON form.

The matcher works on these small frozen dataclasses so that it can be called from the bot, the web
tool and the tests without any wiki machinery. JSON keys follow the command-line contract
(``python -m bot match``); the optional extras (``levels``, ``timezone``/``timezone_offset``,
``methods``, ``available``, ``existing_peers``) take defaults when missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Format = Literal["online", "offline", "both"]
JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]

LEVEL_NAMES: Mapping[str, int] = {"beginner": 1, "intermediate": 2, "advanced": 3, "expert": 4}
"""Level names of the contract, in order; levels are stored as 1-4."""

DEFAULT_MENTOR_METHODS: tuple[str, ...] = ("mentorship",)
"""The contract's default for ``{{Skill offer|methods=}}``."""

# An IANA zone is turned into one fixed offset so that the output does not change with the
# date the bot runs on (daylight saving time would otherwise make runs non-deterministic).
_TZ_REFERENCE = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
_UTC_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


class MatchInputError(ValueError):
    """The JSON instance does not have the shape the contract describes."""


@dataclass(frozen=True, slots=True)
class Learner:
    """Someone who wants to learn ``wants`` (canonical skill ids) from a mentor."""

    id: str
    wants: tuple[str, ...]
    languages: tuple[str, ...]
    community: str | None = None
    region: str | None = None
    format: Format = "online"
    levels: Mapping[str, int] = field(default_factory=dict)
    """Target level (1-4) per wanted skill; a skill without one accepts any mentor level."""
    timezone_offset: int | None = None
    """Minutes east of UTC."""
    methods: tuple[str, ...] = ()
    """Preferred ways to learn; empty means no preference."""
    available: bool = True
    """False while away: keeps an existing mentor (shown as paused) but gets no new one."""


@dataclass(frozen=True, slots=True)
class Mentor:
    """Someone (or an affiliate programme) who offers ``offers`` to up to ``capacity`` learners."""

    id: str
    offers: tuple[str, ...]
    languages: tuple[str, ...]
    community: str | None = None
    region: str | None = None
    format: Format = "online"
    capacity: int = 1
    levels: Mapping[str, int] = field(default_factory=dict)
    """The mentor's own level (1-4) per offered skill; unknown means "not shown to fit"."""
    timezone_offset: int | None = None
    methods: tuple[str, ...] = DEFAULT_MENTOR_METHODS
    available: bool = True
    """False while away: keeps existing learners (shown as paused) but gets no new ones."""


@dataclass(frozen=True, slots=True)
class Peer:
    """Someone who wants to swap skills: learns ``wants`` and teaches ``offers``."""

    id: str
    wants: tuple[str, ...]
    offers: tuple[str, ...]
    languages: tuple[str, ...]
    community: str | None = None
    region: str | None = None
    format: Format = "online"
    timezone_offset: int | None = None
    available: bool = True
    """False while away: keeps an existing partner (shown as paused) but gets no new one."""


class Reason(NamedTuple):
    """One reason for a pair, as a stable key plus parameters, so that it can be localized.

    A named tuple rather than a frozen dataclass: a big run creates a few hundred thousand.
    """

    key: str
    params: dict[str, JSONValue]
    """Treat as read-only: :meth:`to_json` hands out this very dict."""
    text: str
    """The English sentence, for logs and wikis that have no translation yet."""

    def to_json(self) -> dict[str, JSONValue]:
        return {"key": self.key, "params": self.params}


@dataclass(frozen=True, slots=True)
class Match:
    """A learner–mentor pair in the result."""

    learner: str
    mentor: str
    skills: tuple[str, ...]
    """Skills the learner wants and the mentor offers, in the learner's order."""
    points: int
    """Quality in 0-1000 (``score`` is ``points / 10``)."""
    reasons: tuple[Reason, ...]
    paused: bool
    existing: bool
    """True when the pair came from ``existing`` (so the bot need not announce it again)."""

    @property
    def score(self) -> float:
        return self.points / 10

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "learner": self.learner,
            "mentor": self.mentor,
            "skills": list(self.skills),
            "score": self.score,
            "reasons": [r.text for r in self.reasons],
            # Inline rather than Reason.to_json: a big run writes hundreds of thousands.
            "reason_codes": [{"key": r.key, "params": r.params} for r in self.reasons],
            "paused": self.paused,
        }


@dataclass(frozen=True, slots=True)
class PeerPair:
    """Two peers who teach each other; ``a`` sorts before ``b``."""

    a: str
    b: str
    a_learns: tuple[str, ...]
    b_learns: tuple[str, ...]
    points: int
    reasons: tuple[Reason, ...]
    existing: bool
    paused: bool = False
    """One of the two is away: the pair is kept, nothing new is started."""

    @property
    def score(self) -> float:
        return self.points / 10

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "a": self.a,
            "b": self.b,
            "paused": self.paused,
            "a_learns": list(self.a_learns),
            "b_learns": list(self.b_learns),
            "score": self.score,
            "reasons": [r.text for r in self.reasons],
            "reason_codes": [r.to_json() for r in self.reasons],
        }


WaitingCode = Literal[
    "no_mentor_for_skill", "no_mentor_in_language", "format_or_region", "all_at_capacity"
]


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why a learner got no mentor: the first of the hard rules that no mentor passes."""

    id: str
    why: WaitingCode


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Everything one matching run decides, sorted by ids."""

    matches: tuple[Match, ...]
    peer_pairs: tuple[PeerPair, ...]
    unmatched: tuple[str, ...]
    """Learners without a mentor."""
    waiting: tuple[Waiting, ...]
    unmatched_peers: tuple[str, ...]

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "matches": [m.to_json() for m in self.matches],
            "peer_pairs": [p.to_json() for p in self.peer_pairs],
            "unmatched": list(self.unmatched),
            "waiting": [{"id": w.id, "why": w.why} for w in self.waiting],
        }


# --- JSON input ----------------------------------------------------------------------------


def _str(record: Mapping[str, object], key: str, where: str) -> str:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise MatchInputError(f"{where}: {key!r} must be a non-empty string")
    return str(value)


def _opt_str(record: Mapping[str, object], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MatchInputError(f"{where}: {key!r} must be a string or null")
    return value.strip() or None


def _str_list(record: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):  # tolerate "ar, en"
        value = value.split(",")
    if not isinstance(value, list):
        raise MatchInputError(f"{where}: {key!r} must be a list of strings")
    try:  # of the JSON types only strings have .strip(): one pass checks and cleans
        items = [v.strip() for v in value]
    except AttributeError:
        raise MatchInputError(f"{where}: {key!r} must be a list of strings") from None
    if "" in items or len(set(items)) != len(items):
        items = [v for v in dict.fromkeys(items) if v]
    return tuple(items)


def _format(record: Mapping[str, object], where: str) -> Format:
    value = record.get("format")
    if value is None or value == "":
        return "online"
    if not isinstance(value, str) or value.strip().lower() not in ("online", "offline", "both"):
        raise MatchInputError(f"{where}: 'format' must be online, offline or both")
    return cast(Format, value.strip().lower())


def parse_level(value: object) -> int:
    """A level as 1-4 from an int or a contract level name."""
    if isinstance(value, bool):
        raise MatchInputError(f"bad level {value!r}")
    if isinstance(value, int) and 1 <= value <= 4:
        return value
    if isinstance(value, str) and value.strip().lower() in LEVEL_NAMES:
        return LEVEL_NAMES[value.strip().lower()]
    raise MatchInputError(f"bad level {value!r} (1-4 or beginner/intermediate/advanced/expert)")


def _levels(record: Mapping[str, object], where: str) -> dict[str, int]:
    value = record.get("levels")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MatchInputError(f"{where}: 'levels' must be an object skill -> level")
    try:
        return {str(k): parse_level(v) for k, v in value.items() if v is not None}
    except MatchInputError as exc:
        raise MatchInputError(f"{where}: {exc}") from None


def parse_timezone(value: object) -> int | None:
    """Minutes east of UTC from minutes, ``UTC+9``, ``UTC-3:30``, ``+05:30`` or an IANA name.

    Unknown names give None (the parser has already reported them); an IANA zone is read at a
    fixed reference date so that daylight saving time never changes a run's result.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        minutes = int(value)
        return minutes if -1440 <= minutes <= 1440 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.upper() in ("UTC", "GMT", "Z"):
        return 0
    m = _UTC_OFFSET.match(text)
    if m:
        sign = -1 if m.group(1) in "-−" else 1
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return sign * minutes if minutes <= 14 * 60 else None
    try:
        offset = _TZ_REFERENCE.astimezone(ZoneInfo(text)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return None if offset is None else int(offset.total_seconds() // 60)


def _tz(record: Mapping[str, object]) -> int | None:
    if record.get("timezone_offset") is not None:
        return parse_timezone(record.get("timezone_offset"))
    return parse_timezone(record.get("timezone"))


def _records(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise MatchInputError(f"{key!r} must be a list of objects")
    return cast(list[Mapping[str, object]], value)


def _available(record: Mapping[str, object], where: str) -> bool:
    available = record.get("available", True)
    if not isinstance(available, bool):
        raise MatchInputError(f"{where}: 'available' must be true or false")
    return available


def learner_from_json(record: Mapping[str, object], where: str = "learner") -> Learner:
    lid = _str(record, "id", where)
    where = f"{where} {lid}"
    return Learner(
        id=lid,
        wants=_str_list(record, "wants", where),
        languages=_str_list(record, "languages", where),
        community=_opt_str(record, "community", where),
        region=_opt_str(record, "region", where),
        format=_format(record, where),
        levels=_levels(record, where),
        timezone_offset=_tz(record),
        methods=_str_list(record, "methods", where),
        available=_available(record, where),
    )


def mentor_from_json(record: Mapping[str, object], where: str = "mentor") -> Mentor:
    mid = _str(record, "id", where)
    where = f"{where} {mid}"
    capacity = record.get("capacity", 1)
    if capacity is None:
        capacity = 1
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise MatchInputError(f"{where}: 'capacity' must be an integer >= 0")
    available = _available(record, where)
    methods = _str_list(record, "methods", where)
    return Mentor(
        id=mid,
        offers=_str_list(record, "offers", where),
        languages=_str_list(record, "languages", where),
        community=_opt_str(record, "community", where),
        region=_opt_str(record, "region", where),
        format=_format(record, where),
        capacity=capacity,
        levels=_levels(record, where),
        timezone_offset=_tz(record),
        methods=methods or DEFAULT_MENTOR_METHODS,
        available=available,
    )


def peer_from_json(record: Mapping[str, object], where: str = "peer") -> Peer:
    pid = _str(record, "id", where)
    where = f"{where} {pid}"
    return Peer(
        id=pid,
        wants=_str_list(record, "wants", where),
        offers=_str_list(record, "offers", where),
        languages=_str_list(record, "languages", where),
        community=_opt_str(record, "community", where),
        region=_opt_str(record, "region", where),
        format=_format(record, where),
        timezone_offset=_tz(record),
        available=_available(record, where),
    )


def _pairs(data: Mapping[str, object], key: str, left: str, right: str) -> list[tuple[str, str]]:
    out = []
    for i, record in enumerate(_records(data, key)):
        where = f"{key}[{i}]"
        out.append((_str(record, left, where), _str(record, right, where)))
    return out


@dataclass(frozen=True, slots=True)
class Instance:
    """A whole matching instance, as read from the contract's JSON."""

    learners: tuple[Learner, ...]
    mentors: tuple[Mentor, ...]
    peers: tuple[Peer, ...] = ()
    existing: tuple[tuple[str, str], ...] = ()
    existing_peers: tuple[tuple[str, str], ...] = ()


def instance_from_json(data: object) -> Instance:
    """Read the contract's JSON instance; raises MatchInputError on a malformed one."""
    if not isinstance(data, dict):
        raise MatchInputError("the instance must be a JSON object")
    d = cast(Mapping[str, object], data)
    learners = tuple(
        learner_from_json(r, f"learners[{i}]") for i, r in enumerate(_records(d, "learners"))
    )
    mentors = tuple(
        mentor_from_json(r, f"mentors[{i}]") for i, r in enumerate(_records(d, "mentors"))
    )
    peers = tuple(peer_from_json(r, f"peers[{i}]") for i, r in enumerate(_records(d, "peers")))
    return Instance(
        learners=learners,
        mentors=mentors,
        peers=peers,
        existing=tuple(_pairs(d, "existing", "learner", "mentor")),
        existing_peers=tuple(_pairs(d, "existing_peers", "a", "b")),
    )


def check_unique(ids: Iterable[str], what: str) -> None:
    """Ids must be unique per role: a duplicate would make the output ambiguous."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise MatchInputError(f"duplicate {what} id {i!r}")
        seen.add(i)


_Entity = TypeVar("_Entity", Learner, Mentor, Peer)


def sorted_by_id(items: Sequence[_Entity]) -> list[_Entity]:
    """Everything downstream depends only on the set of inputs, never on their order."""
    return sorted(items, key=lambda x: x.id)
