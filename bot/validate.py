"""Turn raw template parameters into typed records, or into reasons a volunteer can act on.

Pure and total: every input yields records or `Problem`s, never an exception.
Each field has one small parser that either returns a value or records an
issue; an entry with any issue is rejected as a whole (a half-read signup
would match people on data its author did not mean), and all its issues are
reported at once so one fix-up edit is enough.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import languages
from bot.models import (
    Attendee,
    Confirmation,
    Event,
    Need,
    Offer,
    Origin,
    ParseResult,
    Problem,
    Record,
    Resource,
    Signup,
    SkillLevel,
)
from bot.usernames import normalize_user
from bot.wikitext import Issue, RawTemplate, Stray, snippet

MAX_VALUE = 1000  # characters in any one parameter
MAX_NAME = 85  # MediaWiki's username limit in characters
MAX_SHORT = 200  # titles, communities, regions
MAX_CAPACITY = 50
MAX_LEARNERS = 1_000_000
USERNAME_FORBIDDEN = re.compile(r"[#<>\[\]|{}/@:=\n\t]|~~~")
_SPLIT = re.compile(r"[,;、，،؛]")
_PARENS = re.compile(r"[(（)）]")
_LIST_MARKS = re.compile(r"[(（)）,;、，،؛]")
_LEVEL = re.compile(r"^(.*?)[(（]([^()（）]*)[)）]\s*$")
_UTC = re.compile(r"^(?:UTC|GMT)\s*(?:([+\-−])\s*(\d{1,2})(?::?(\d{2}))?)?$", re.IGNORECASE)
_EVENT_ID = re.compile(r"^[\w.\-]{1,64}$")
_URL = re.compile(r"^https?://[^\s<>\"'{}|\\^`]+$", re.IGNORECASE)
USER_PREFIXES = ("user:", "利用者:", "ユーザー:", "مستخدم:", "usuario:", "utilisateur:", "u:")

REQUIRED: dict[str, tuple[str, ...]] = {
    "Skill signup": ("user", "languages"),
    "Skill offer": ("skills", "languages"),
    "Skill need": ("community", "skill", "by"),
    "Skill resource": ("skill", "title"),
    "Skill event": ("id", "title", "organizer", "skills", "date"),
    "Skill attendee": ("event", "user"),
    "Skill match confirm": ("id", "user", "outcome"),
}
ALLOWED: dict[str, frozenset[str]] = {
    "Skill signup": frozenset(
        [
            "user",
            "wants",
            "offers",
            "languages",
            "community",
            "region",
            "timezone",
            "methods",
            "format",
            "status",
            "away_until",
            "notify",
        ]
    ),
    "Skill offer": frozenset(
        [
            "user",
            "organization",
            "skills",
            "methods",
            "format",
            "region",
            "languages",
            "capacity",
            "status",
            "away_until",
            "notify",
            "description",
        ]
    ),
    "Skill need": frozenset(
        ["community", "skill", "priority", "learners", "languages", "by", "notes"]
    ),
    "Skill resource": frozenset(["skill", "title", "link", "languages", "method", "by"]),
    "Skill event": frozenset(
        ["id", "title", "organizer", "skills", "date", "format", "region", "languages"]
    ),
    "Skill attendee": frozenset(["event", "user"]),
    "Skill match confirm": frozenset(["id", "user", "outcome", "note"]),
}


class SkillResolver(Protocol):
    def __hash__(self) -> int: ...  # lookups are memoized per resolver

    def resolve(self, text: str) -> str | None: ...

    def suggest(self, text: str, limit: int = 3) -> list[str]: ...


class VocabResolver(Protocol):
    def __hash__(self) -> int: ...

    def resolve(self, kind: str, text: str) -> str | None: ...


@dataclass(frozen=True)
class Context:
    taxonomy: SkillResolver
    vocabulary: VocabResolver
    wiki: str
    page: str
    today: date


@dataclass
class Fields:
    """Reads one template's parameters, collecting issues instead of raising."""

    raw: RawTemplate
    ctx: Context
    issues: list[Issue] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.raw.params.get(name, "").strip()

    def fail(self, code: str, *params: str) -> None:
        self.issues.append(_issue(code, *params))

    def text(self, name: str, limit: int = MAX_SHORT) -> str | None:
        value = self.get(name)
        if not value:
            return None
        if len(value) > limit:
            self.fail("value-too-long", name, str(limit))
            return None
        return value

    def user(self, name: str) -> str | None:
        value = self.get(name)
        if not value:
            return None
        return self.check_user(name, value)

    def check_user(self, name: str, value: str) -> str | None:
        lowered = value.lower()
        if lowered.startswith(USER_PREFIXES):
            prefix = next(p for p in USER_PREFIXES if lowered.startswith(p))
            value = value[len(prefix) :].strip()
        value = normalize_user(value)
        if not value or len(value) > MAX_NAME or USERNAME_FORBIDDEN.search(value):
            self.fail("bad-username", name, value)
            return None
        return value

    def vocab(self, kind: str, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if not value:
            return default
        canonical = self.ctx.vocabulary.resolve(kind, value)
        if canonical is None:
            self.fail(f"bad-{kind}", value)
        return canonical

    def vocab_list(self, kind: str, name: str) -> tuple[str, ...]:
        out: list[str] = []
        for item in split_list(self.get(name)):
            canonical = self.ctx.vocabulary.resolve(kind, item)
            if canonical is None:
                self.fail(f"bad-{kind}", item)
            elif canonical not in out:
                out.append(canonical)
        return tuple(out)

    def skills(self, name: str, *, with_levels: bool = True) -> tuple[SkillLevel, ...]:
        out: dict[str, SkillLevel] = {}
        for item in split_list(self.get(name)):
            found, issue = _skill_item(self.ctx.taxonomy, self.ctx.vocabulary, item, with_levels)
            if issue is not None:
                self.issues.append(issue)
            elif found is not None:
                out.setdefault(found.skill, found)
        return tuple(out.values())

    def languages(self, name: str) -> tuple[str, ...]:
        codes, issues = _language_list(self.get(name))
        self.issues.extend(issues)
        return codes

    def integer(self, name: str, default: int | None, lo: int, hi: int) -> int | None:
        value = self.get(name)
        if not value:
            return default
        try:
            number = int(value.replace("−", "-"))
        except ValueError:
            self.fail("bad-number", name, value)
            return default
        if number < lo:
            self.fail("negative-number" if number < 0 else "number-too-small", name, value)
            return default
        if number > hi:
            self.fail("number-too-large", name, value, str(hi))
            return default
        return number

    def day(self, name: str) -> date | None:
        value = self.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail("bad-date", name, value)
            return None

    def timezone(self, name: str) -> tuple[str | None, int | None]:
        value = self.get(name)
        if not value:
            return None, None
        offset = parse_utc_offset(value, self.ctx.today)
        if offset is None:
            self.fail("bad-timezone", value)
            return None, None
        return value, offset

    def region_rule(self, fmt: str | None, region: str | None) -> None:
        if fmt in ("offline", "both") and not region:
            self.fail("offline-without-region", fmt)


@lru_cache(maxsize=8192)
def _skill_item(
    taxonomy: SkillResolver, vocabulary: VocabResolver, item: str, with_levels: bool
) -> tuple[SkillLevel | None, Issue | None]:
    """One list item such as `Lua (expert)`: the skill and level, or why not.

    Memoized: the same few hundred items make up most lists, and an unknown one costs a
    fuzzy search for suggestions.
    """
    label, level = item, None
    m = _LEVEL.match(item)
    if m and with_levels:
        label = m.group(1).strip()
        level = vocabulary.resolve("levels", m.group(2).strip())
        if level is None:
            return None, _issue("bad-levels", m.group(2).strip())
    skill = taxonomy.resolve(label)
    if skill is not None:
        return SkillLevel(skill, level), None
    suggestions = taxonomy.suggest(label, 3)
    if suggestions:
        return None, _issue("unknown-skill-suggest", label, ", ".join(suggestions))
    return None, _issue("unknown-skill", label)


def _issue(code: str, *params: str) -> Issue:
    return Issue(code, tuple(snippet(p, 60) for p in params))


@lru_cache(maxsize=4096)
def _language_list(value: str) -> tuple[tuple[str, ...], tuple[Issue, ...]]:
    """Known language codes in a list, and an issue per unknown one (memoized: few lists)."""
    out: list[str] = []
    issues: list[Issue] = []
    for item in split_list(value):
        code = languages.normalize(item)
        if not languages.is_known(code):
            hint = languages.suggestion(code)
            if hint:
                issues.append(_issue("bad-language-suggest", item, hint))
            else:
                issues.append(_issue("bad-language", item))
            continue
        code = languages.canonical(code)  # be-x-old → be-tarask
        if code not in out:
            out.append(code)
    return tuple(out), tuple(issues)


def split_list(value: str) -> list[str]:
    """Comma lists, also with Japanese, Chinese and Arabic commas; parentheses keep their commas."""
    return list(_split_list(value))


@lru_cache(maxsize=8192)
def _split_list(value: str) -> tuple[str, ...]:
    # Memoized: the same lists ("en, fr", "Lua (expert), Templates") recur across entries
    # and across the revisions of a page.
    if not _PARENS.search(value):
        return tuple(i.strip() for i in _SPLIT.split(value) if i.strip())
    items: list[str] = []
    depth = 0
    start = 0
    for m in _LIST_MARKS.finditer(value):
        ch = m.group(0)
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        elif depth == 0:
            items.append(value[start : m.start()])
            start = m.end()
    items.append(value[start:])
    return tuple(i.strip() for i in items if i.strip())


@lru_cache(maxsize=1024)
def parse_utc_offset(value: str, today: date) -> int | None:
    """Minutes east of UTC for `UTC+9`, `UTC-3:30` or an IANA name, as of `today`."""
    m = _UTC.match(value.strip())
    if m:
        if m.group(1) is None:
            return 0
        sign = -1 if m.group(1) in "-−" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        total = sign * (hours * 60 + minutes)
        if minutes >= 60 or not -12 * 60 <= total <= 14 * 60:
            return None
        return total
    if not re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+){0,2}", value.strip()):
        return None
    try:
        zone = ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    offset = datetime.combine(today, time(12), tzinfo=zone).utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _status(f: Fields) -> tuple[str, date | None]:
    status = f.vocab("statuses", "status", "active") or "active"
    away_until = f.day("away_until")
    return status, away_until


def _notify(f: Fields) -> bool:
    return f.vocab("booleans", "notify", "yes") != "no"


def _signup(f: Fields, origin: Origin) -> Record | None:
    user = f.user("user")
    wants, offers = f.skills("wants"), f.skills("offers")
    langs = f.languages("languages")
    region = f.text("region")
    fmt = f.vocab("formats", "format", "online")
    f.region_rule(fmt, region)
    tz, offset = f.timezone("timezone")
    status, away_until = _status(f)
    if not wants and not offers and not f.get("wants") and not f.get("offers"):
        f.fail("nothing-wanted-or-offered")
    if f.issues or user is None:
        return None
    return Signup(
        user=user,
        languages=langs,
        wants=wants,
        offers=offers,
        community=f.text("community"),
        region=region,
        timezone=tz,
        utc_offset=offset,
        methods=f.vocab_list("methods", "methods"),
        format=fmt or "online",
        status=status,
        away_until=away_until,
        notify=_notify(f),
        origin=origin,
    )


def _offer(f: Fields, origin: Origin) -> Record | None:
    user = f.user("user")
    org = f.text("organization")
    if user is None and org is None and not f.get("user"):
        f.fail("missing-user-or-organization")
    skills = f.skills("skills")
    langs = f.languages("languages")
    region = f.text("region")
    fmt = f.vocab("formats", "format", "online")
    f.region_rule(fmt, region)
    capacity = f.integer("capacity", 1, 0, MAX_CAPACITY)
    status, away_until = _status(f)
    methods = f.vocab_list("methods", "methods") or ("mentorship",)
    description = f.text("description", MAX_VALUE) or ""
    notify = _notify(f)
    if f.issues:
        return None
    return Offer(
        skills=skills,
        languages=langs,
        user=user,
        organization=org,
        methods=methods,
        format=fmt or "online",
        region=region,
        capacity=1 if capacity is None else capacity,
        status=status,
        away_until=away_until,
        notify=notify,
        description=description,
        origin=origin,
    )


def _need(f: Fields, origin: Origin) -> Record | None:
    community = f.text("community")
    skills = f.skills("skill", with_levels=False)
    if len(skills) > 1:
        f.fail("one-skill-only", f.get("skill"))
    by = f.user("by")
    priority = f.vocab("priorities", "priority", "medium") or "medium"
    learners = f.integer("learners", None, 0, MAX_LEARNERS)
    langs = f.languages("languages")
    notes = f.text("notes", MAX_VALUE) or ""
    if f.issues or community is None or by is None or not skills:
        return None
    return Need(community, skills[0].skill, by, priority, learners, langs, notes, origin)


def _resource(f: Fields, origin: Origin) -> Record | None:
    skills = tuple(s.skill for s in f.skills("skill", with_levels=False))
    title = f.text("title")
    link = f.text("link", MAX_VALUE) or ""
    if (link and "://" in link and not _URL.match(link)) or (
        link and "://" not in link and not _is_title(link)
    ):
        f.fail("bad-link", link)
    langs = f.languages("languages")
    method = f.vocab("methods", "method", "online-course") or "online-course"
    by = f.user("by")
    if f.issues or title is None or not skills:
        return None
    return Resource(skills, title, link, langs, method, by, origin)


_BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript|file)\s*:", re.IGNORECASE)


def _is_title(link: str) -> bool:
    if _BAD_SCHEME.match(link) or link.startswith(":"):
        return False
    return not re.search(r"[#<>\[\]|{}]", link.split("#", 1)[0])


def _event(f: Fields, origin: Origin) -> Record | None:
    event_id = f.get("id")
    if event_id and not _EVENT_ID.match(event_id):
        f.fail("bad-event-id", event_id)
    title = f.text("title")
    organizer = f.user("organizer")
    skills = tuple(s.skill for s in f.skills("skills", with_levels=False))
    day = f.day("date")
    region = f.text("region")
    fmt = f.vocab("formats", "format", "online")
    f.region_rule(fmt, region)
    langs = f.languages("languages")
    if f.issues or title is None or organizer is None or day is None or not skills:
        return None
    return Event(event_id, title, organizer, skills, day, fmt or "online", region, langs, origin)


def _attendee(f: Fields, origin: Origin) -> Record | None:
    event_id = f.get("event")
    if event_id and not _EVENT_ID.match(event_id):
        f.fail("bad-event-id", event_id)
    user = f.user("user")
    if f.issues or user is None:
        return None
    return Attendee(event_id, user, origin)


def _confirm(f: Fields, origin: Origin) -> Record | None:
    match_id = f.get("id")
    if match_id and not re.fullmatch(r"[A-Za-z0-9\-]{1,32}", match_id):
        f.fail("bad-match-id", match_id)
    user = f.user("user")
    outcome = f.vocab("outcomes", "outcome")
    note = f.text("note", MAX_VALUE) or ""
    if f.issues or user is None or outcome is None:
        return None
    return Confirmation(match_id, user, outcome, note, origin)


BUILDERS: dict[str, Callable[[Fields, Origin], Record | None]] = {
    "Skill signup": _signup,
    "Skill offer": _offer,
    "Skill need": _need,
    "Skill resource": _resource,
    "Skill event": _event,
    "Skill attendee": _attendee,
    "Skill match confirm": _confirm,
}


def validate(raw: RawTemplate, ctx: Context, origin: Origin) -> tuple[Record | None, list[Problem]]:
    """One template → a record, or the list of reasons it was rejected."""
    builder = BUILDERS.get(raw.kind)
    if builder is None:  # e.g. {{Skill badge}}: written by the bot, not an entry
        return None, []
    f = Fields(raw, ctx, list(raw.issues))
    for name in REQUIRED[raw.kind]:
        if not raw.params.get(name, "").strip():
            f.fail("missing-param", name)
    for name, value in raw.params.items():
        if name not in ALLOWED[raw.kind]:
            f.fail("param-not-for-template", name)
        elif len(value) > MAX_VALUE:
            f.fail("value-too-long", name, str(MAX_VALUE))
    record = builder(f, origin) if not any(i.code == "value-too-long" for i in f.issues) else None
    if f.issues:
        return None, [
            Problem(origin, raw.kind, i.code, i.params, snippet(raw.text))
            for i in _unique(f.issues)
        ]
    return record, []


def _unique(issues: Sequence[Issue]) -> list[Issue]:
    seen: set[Issue] = set()
    out: list[Issue] = []
    for issue in issues:
        if issue not in seen:
            seen.add(issue)
            out.append(issue)
    return out


def duplicate_key(record: Record) -> tuple[str, ...] | None:
    """What makes two entries on one page the same entry, where the contract says so."""
    if isinstance(record, Signup):
        return ("signup", record.user)
    if isinstance(record, Need):
        return ("need", record.community.casefold(), record.skill, record.by)
    if isinstance(record, Event):
        return ("event", record.id)
    if isinstance(record, Attendee):
        return ("attendee", record.event, record.user)
    if isinstance(record, Offer):
        skills = ",".join(sorted(s.skill for s in record.skills))
        return ("offer", record.owner, skills)
    if isinstance(record, Confirmation):
        return ("confirm", record.match_id, record.user, record.outcome)
    return None


def stray_problem(stray: Stray, wiki: str, page: str, revid: int = 0) -> Problem:
    origin = Origin(wiki, page, stray.line, revid)
    return Problem(origin, stray.kind, "malformed-template", (), stray.snippet)


def validate_all(
    raws: Sequence[RawTemplate],
    strays: Sequence[Stray],
    ctx: Context,
    origins: Sequence[Origin],
) -> ParseResult:
    """Validate a page's templates; later duplicates of an entry are rejected, the first kept."""
    result = ParseResult()
    seen: dict[tuple[str, ...], int] = {}
    for raw, origin in zip(raws, origins, strict=True):
        record, problems = validate(raw, ctx, origin)
        result.problems.extend(problems)
        if record is None:
            continue
        key = duplicate_key(record)
        if key is not None and key in seen:
            result.problems.append(
                Problem(origin, raw.kind, "duplicate-entry", (str(seen[key]),), snippet(raw.text))
            )
            continue
        if key is not None:
            seen[key] = origin.line
        result.add(record)
    for stray in strays:
        result.problems.append(stray_problem(stray, ctx.wiki, ctx.page))
    return result
