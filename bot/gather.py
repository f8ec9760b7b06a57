"""Gather phase: signup pages → authorship-checked, validated records.

Pure apart from the `Wiki` it is handed: the page texts and histories come in,
records and problems go out, with the per-page history state the store keeps
so the next run reads only revisions it has not seen.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from bot.authorship import (
    PageHistory,
    Revision,
    current_lines,
    empty_state,
    owner_of,
)
from bot.gcpause import paused_gc
from bot.models import Event, Origin, ParseResult, Problem
from bot.taxonomy import Taxonomy
from bot.usernames import DEFAULT_USER_PREFIXES, normalize_user, strip_user_prefix
from bot.validate import Context, stray_problem, validate_all
from bot.vocabulary import TemplateNames, Vocabulary
from bot.wikitext import USER_PARAMS, RawTemplate, Stray, extract

log = logging.getLogger("skillmatch.gather")


@dataclass(frozen=True)
class Core:
    """What parsing needs, loaded once per run."""

    taxonomy: Taxonomy
    vocabulary: Vocabulary
    names: TemplateNames

    @classmethod
    def load(cls, taxonomy: Path, vocabulary: Path, templates: Path) -> Core:
        return cls(
            Taxonomy.load(taxonomy), Vocabulary.load(vocabulary), TemplateNames.load(templates)
        )

    def extractor(self, lang: str) -> Extractor:
        """Memoized per text: a page's history repeats most of its entries revision after
        revision, and the pre-pass for events reads the same revisions as the replay."""
        run = _extract_cached(self.names, lang)
        return lambda text: list(run(text)[0])

    def extract_all(self, text: str, lang: str) -> tuple[list[RawTemplate], list[Stray]]:
        """Templates and strays of one text, from the same memo as `extractor`."""
        raws, strays = _extract_cached(self.names, lang)(text)
        return list(raws), list(strays)


Extractor = Callable[[str], list[RawTemplate]]


@dataclass
class ParseCounter:
    """How many texts were actually parsed (memo misses) in this process: a run that reads
    no new revision must parse none, whatever the size of the pages."""

    texts: int = 0


PARSED = ParseCounter()


@lru_cache(maxsize=16)
def _extract_cached(
    names: TemplateNames, lang: str
) -> Callable[[str], tuple[tuple[RawTemplate, ...], tuple[Stray, ...]]]:
    @lru_cache(maxsize=8192)
    def run(text: str) -> tuple[tuple[RawTemplate, ...], tuple[Stray, ...]]:
        PARSED.texts += 1
        raws, strays = extract(text, names, lang)
        return tuple(raws), tuple(strays)

    return run


def forget_parses() -> None:
    """Drop the per-process memo (a new process starts with none; tests use this)."""
    _extract_cached.cache_clear()


class LatestLike(Protocol):
    revid: int
    parentid: int
    text: str


@dataclass
class PageResult:
    wiki: str
    title: str
    revid: int
    state: dict[str, Any]
    result: ParseResult
    fetched_revisions: int = 0


@dataclass
class GatherResult:
    pages: list[PageResult] = field(default_factory=list)

    def merged(self) -> ParseResult:
        out = ParseResult()
        for p in self.pages:
            out.extend(p.result)
        return out


def parse_text(
    text: str, core: Core, lang: str, wiki: str, page: str, today: date, revid: int = 0
) -> ParseResult:
    """Parse one text without history: what `python -m bot parse` does for files."""
    with paused_gc():
        PARSED.texts += 1
        raws, strays = extract(text, core.names, lang)
        ctx = Context(core.taxonomy, core.vocabulary, wiki, page, today)
        origins = [Origin(wiki, page, r.line, revid) for r in raws]
        return validate_all(raws, strays, ctx, origins)


def check_page(
    *,
    wiki: str,
    title: str,
    lang: str,
    core: Core,
    state: dict[str, Any] | None,
    revisions: Sequence[Revision],
    current_text: str,
    organizers: dict[str, str],
    today: date,
    current_revid: int = 0,
    user_prefixes: Sequence[str] = DEFAULT_USER_PREFIXES,
) -> tuple[dict[str, Any], ParseResult]:
    """Replay new revisions over the stored state; validate the entries now in force.

    The current text's entry lines and malformed look-alikes are kept in the state with
    the revision they belong to, and each accepted entry keeps its parameters: a page with
    no new revision (`current_revid` is the one the state was built from) is not parsed
    at all, however big it is, and yields the same result as the run that parsed it.
    """
    with paused_gc():
        history = PageHistory(
            state or empty_state(), core.extractor(lang), organizers, user_prefixes
        )
        history.apply(revisions)
        snap = history.state.get("current")
        if revisions or not snap or snap.get("revid") != current_revid or not current_revid:
            current, found = core.extract_all(current_text, lang)
            snap = {
                "revid": current_revid,
                "lines": current_lines(current),
                "strays": [[s.kind, s.line, s.snippet] for s in found],
            }
            history.state["current"] = snap
        lines: dict[str, int] = snap["lines"]
        strays = [Stray(kind, line, text) for kind, line, text in snap["strays"]]
        ctx = Context(core.taxonomy, core.vocabulary, wiki, title, today)
        raws: list[RawTemplate] = []
        origins: list[Origin] = []
        extractor = core.extractor(lang)
        for entry in history.in_force(lines):
            raw = entry.raw
            if raw is None:  # a state from before entries kept their parameters
                found_raws = extractor(entry.text)
                if not found_raws:
                    continue
                raw = dataclasses.replace(found_raws[0], line=entry.line)
            raws.append(_bare_usernames(raw, user_prefixes))
            origins.append(
                Origin(wiki, title, entry.line, entry.revid, entry.author, entry.timestamp)
            )
        result = validate_all(raws, [], ctx, origins)
        # Remembered in the state: a run that reads no new revision must still link the same
        # revision, or the problems page would change (and be re-saved) on every quiet run.
        if revisions:
            history.state["latest_revid"] = revisions[-1].revid
        latest_revid = int(history.state.get("latest_revid", 0))
        result.problems.extend(stray_problem(s, wiki, title, latest_revid) for s in strays)
        result.problems.extend(history.problems(wiki, title, lines))
        _check_attendees(result, organizers)
        return history.state, result


def _bare_usernames(raw: RawTemplate, prefixes: Sequence[str]) -> RawTemplate:
    """`user=Utilisateur:Erin` read as `Erin` with the wiki's own user-namespace names, so
    validation and authorship agree on whose entry it is."""
    params = dict(raw.params)
    changed = False
    for name in USER_PARAMS | {"user"}:
        value = params.get(name)
        if value is None:
            continue
        bare = strip_user_prefix(value.strip(), prefixes)
        if bare != value.strip():
            params[name] = bare
            changed = True
    return dataclasses.replace(raw, params=params) if changed else raw


class MetaLike(Protocol):
    @property
    def revid(self) -> int: ...
    @property
    def parentid(self) -> int: ...
    @property
    def user(self) -> str: ...
    @property
    def timestamp(self) -> str: ...


def scoped_revisions(
    metas: Sequence[MetaLike],
    texts: Mapping[int, str | None],
    moves: Mapping[int, tuple[str, str]],
    title_now: str,
    reads: Callable[[str], bool],
) -> list[Revision]:
    """Revisions oldest first, each marked with whether the page was a signup page then.

    The title after each revision is found walking back from the current title: a move
    (revid → (from, to), its null revision) means the page had its `from` title before.
    """
    title = title_now
    out: list[Revision] = []
    for m in reversed(metas):
        out.append(
            Revision(m.revid, m.parentid, m.user, m.timestamp, texts.get(m.revid), reads(title))
        )
        move = moves.get(m.revid)
        if move is not None:
            title = move[0]
    out.reverse()
    return out


Claim = tuple[tuple[str, str, int], str, str]
"""(edit order as `Origin.order`, event id, organizer): one organizer's claim on an event id."""


def new_organizers(
    core: Core,
    lang: str,
    revisions: Iterable[Revision],
    wiki: str = "",
    user_prefixes: Sequence[str] = DEFAULT_USER_PREFIXES,
) -> list[Claim]:
    """Claims on event ids by events written by their own organizer's edit.

    Read before any page is replayed, so an attendance list may sit on another
    page than its event, in any order.
    """
    extractor = core.extractor(lang)
    out = []
    for rev in revisions:
        if rev.text is None or not rev.in_scope or "{{" not in rev.text:
            continue
        for raw in extractor(rev.text):
            if raw.kind != "Skill event":
                continue
            organizer = owner_of(raw, {}, user_prefixes)
            event_id = raw.params.get("id", "").strip()
            if event_id and organizer and organizer == normalize_user(rev.user):
                out.append(((rev.timestamp, wiki, rev.revid), event_id, organizer))
    return out


def claims_from(events: Iterable[Event]) -> list[Claim]:
    """Claims of events already accepted, written by their organizer's own edit."""
    return [
        (e.origin.order(), e.id, e.organizer)
        for e in events
        if not e.origin.author or e.origin.author == e.organizer
    ]


def event_owners(claims: Iterable[Claim]) -> dict[str, str]:
    """Event id → organizer of its first claim, over every configured wiki.

    First by revision time, not by revision id: ids are per wiki, and a hijacker on a
    younger wiki (lower ids) must not take over an older event.
    """
    out: dict[str, str] = {}
    for _order, event_id, organizer in sorted(claims):
        out.setdefault(event_id, organizer)
    return out


def drop_duplicate_events(result: ParseResult, owners: Mapping[str, str]) -> None:
    """Keep one event per id: its owner's first; report every other one.

    A second `{{Skill event}}` with a taken id, by anyone on any wiki, yields no fact and no
    badge: otherwise the trainer badge and the attendees' badges would follow whoever wrote
    the id last.
    """
    ordered = sorted(result.events, key=lambda e: e.origin.order())
    owner = dict(owners)
    for e in ordered:  # an id nobody claimed yet (no history read): its first event's
        owner.setdefault(e.id, e.organizer)
    first: dict[str, Event] = {}
    for e in ordered:
        if e.id not in first and e.organizer == owner[e.id]:
            first[e.id] = e
    kept = []
    for e in result.events:
        if first.get(e.id) is e:
            kept.append(e)
            continue
        result.problems.append(
            Problem(e.origin, "Skill event", "duplicate-event-id", (e.id, owner[e.id]))
        )
    result.events = kept


def _check_attendees(result: ParseResult, organizers: Mapping[str, str]) -> None:
    """Attendance counts only for a known event, written by that event's organizer."""
    kept = []
    for a in result.attendees:
        organizer = organizers.get(a.event)
        if organizer is None:
            result.problems.append(Problem(a.origin, "Skill attendee", "unknown-event", (a.event,)))
        elif a.origin.author and a.origin.author != organizer:
            result.problems.append(
                Problem(a.origin, "Skill attendee", "unknown-event-organizer", (a.origin.author,))
            )
        else:
            kept.append(a)
    result.attendees = kept


def organizers_from(events: Sequence[Event]) -> dict[str, str]:
    """Event id → organizer, from events whose organizer's own edit wrote them (first wins)."""
    return event_owners(claims_from(events))
