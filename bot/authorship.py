"""Decide, from a page's history, which entries their named owner really wrote.

A template saying ``user=Alice`` proves nothing; the revision that added it
does. We replay revisions oldest first and compare the multiset of entries
before and after each one:

* an entry added by its owner (or one that names no owner, like an
  affiliate's offer) is accepted, as that revision's version;
* an entry added or changed by anyone else is rejected and reported, and the
  owner's previous version stays in force (a change is a removal plus an
  addition, so both rules apply);
* an entry removed by someone else stays in force until the owner's own next
  edit of the page leaves it out, so nobody loses data to another's edit;
* removing an entry that was never accepted is always fine (that is how a
  forgery is cleaned up);
* putting back the exact text of an owner's entry that someone else removed (a
  revert) restores it: that is the owner's own version again, not a forgery;
* a revision whose text is hidden (revision deletion) is skipped, and the next
  visible revision's changes count as made by either of their authors.

The state is plain JSON so the store can keep it and a later run continues
from the last revision it saw, reading only newer ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.models import Origin, Problem
from bot.usernames import normalize_user
from bot.wikitext import RawTemplate, snippet

STATE_VERSION = 1


@dataclass(frozen=True)
class Revision:
    revid: int
    parentid: int
    user: str
    timestamp: str
    text: str | None  # None when the content is hidden (revision deletion)


@dataclass(frozen=True)
class InForce:
    """An accepted entry: its wikitext, the revision that wrote it, and its line now (0 if gone)."""

    key: str
    text: str
    revid: int
    author: str
    line: int
    timestamp: str = ""  # when the revision that wrote it was saved (ISO 8601)


def owner_of(raw: RawTemplate, organizers: Mapping[str, str]) -> str | None:
    """Whose own edit an entry needs; None when anyone may add it."""
    p = raw.params
    if raw.kind == "Skill attendee":
        return organizers.get(p.get("event", "").strip(), "")
    field = {
        "Skill signup": "user",
        "Skill offer": "user",
        "Skill match confirm": "user",
        "Skill need": "by",
        "Skill resource": "by",
        "Skill event": "organizer",
    }.get(raw.kind)
    if field is None:
        return None
    value = p.get(field, "").strip()
    if not value:
        return "" if raw.kind in ("Skill signup", "Skill need", "Skill event") else None
    lowered = value.lower()
    if lowered.startswith("user:"):
        value = value[5:]
    return normalize_user(value)


def empty_state() -> dict[str, Any]:
    return {"v": STATE_VERSION, "prev": {}, "accepted": {}, "rejected": {}, "kept": {}}


Extractor = Callable[[str], list[RawTemplate]]


@dataclass
class PageHistory:
    """Replays revisions of one page over a stored state."""

    state: dict[str, Any]
    extract: Extractor
    organizers: dict[str, str]

    def apply(self, revisions: Iterable[Revision]) -> None:
        hidden: set[str] = set()  # authors of hidden revisions since the last visible one
        for rev in revisions:
            if rev.text is None:
                hidden.add(normalize_user(rev.user))
                continue
            self._apply_one(rev, hidden)
            hidden = set()

    def _apply_one(self, rev: Revision, hidden: set[str]) -> None:
        raws = self.extract(rev.text or "")
        author = normalize_user(rev.user)
        authors = {author} | hidden  # whose edits the changes since `prev` may be
        by_key: dict[str, RawTemplate] = {}
        for raw in raws:
            if raw.kind == "Skill event":
                owner = owner_of(raw, {})
                if owner == author and raw.params.get("id"):
                    self.organizers.setdefault(raw.params["id"].strip(), author)
        for key, raw in ((r.key_text(), r) for r in raws):
            by_key.setdefault(key, raw)
        now = Counter(r.key_text() for r in raws)
        prev = Counter(self.state["prev"])
        accepted: dict[str, Any] = self.state["accepted"]
        rejected: dict[str, Any] = self.state["rejected"]
        kept: dict[str, Any] = self.state["kept"]
        owner_touched = False
        for key in set(now) | set(prev):
            delta = now[key] - prev[key]
            if delta > 0:
                raw = by_key[key]
                owner = owner_of(raw, self.organizers)
                owner_touched = owner_touched or owner == author
                if owner is None or owner in authors:
                    by = owner if owner in authors else author
                    entry = accepted.setdefault(key, {"count": 0})
                    if key in kept:  # the owner's own copy, back on the page
                        kept.pop(key)
                        delta -= 1
                    entry.update(
                        text=raw.text, revid=rev.revid, author=by, owner=owner, ts=rev.timestamp
                    )
                    entry["count"] += delta
                    continue
                if key in kept:  # a revert put the owner's removed entry back as it was
                    kept.pop(key)
                    delta -= 1
                if delta > 0:
                    bad = rejected.setdefault(key, {"count": 0})
                    bad.update(text=raw.text, revid=rev.revid, author=author, owner=owner or "")
                    bad["count"] += delta
            elif delta < 0:
                removed_own = self._remove(key, -delta, authors, author, rev.revid)
                owner_touched = removed_own or owner_touched
        # An owner who edits their own entries and leaves out one that someone else removed
        # has seen the page as it is: that confirms the removal.
        if owner_touched:
            for key in [k for k, v in kept.items() if v["owner"] == author and now[k] == 0]:
                kept.pop(key)
                accepted.pop(key, None)
        self.state["prev"] = dict(now)

    def _remove(self, key: str, count: int, authors: set[str], author: str, revid: int) -> bool:
        """Take `count` copies of an entry off; True when the author removed their own entry.

        The owner's removal takes their accepted copy first (editing one's entry next to a
        verbatim forgery of it must not leave the old version in force); anyone else's
        removal takes rejected copies first.
        """
        rejected, accepted = self.state["rejected"], self.state["accepted"]
        entry = accepted.get(key)
        owner: str | None = entry.get("owner") if entry is not None else None
        own = entry is not None and (owner is None or owner in authors)
        if own and entry is not None:
            taken = min(count, entry["count"])
            entry["count"] -= taken
            count -= taken
            if entry["count"] <= 0:
                del accepted[key]
        if count and key in rejected:
            taken = min(count, rejected[key]["count"])
            rejected[key]["count"] -= taken
            count -= taken
            if rejected[key]["count"] == 0:
                del rejected[key]
        if own:
            return owner == author
        if count == 0 or entry is None:
            return False
        self.state["kept"][key] = {"owner": owner, "by": author, "revid": revid}
        return False

    def in_force(self, current: list[RawTemplate]) -> list[InForce]:
        """Accepted entries, placed at their line in the current text where they still stand."""
        lines: dict[str, int] = {}
        for raw in current:
            lines.setdefault(raw.key_text(), raw.line)
        out = []
        for key, entry in self.state["accepted"].items():
            out.append(
                InForce(
                    key,
                    entry["text"],
                    entry["revid"],
                    entry["author"],
                    lines.get(key, 0),
                    entry.get("ts", ""),
                )
            )
        out.sort(key=lambda e: (e.line == 0, e.line, e.revid, e.key))
        return out

    def problems(self, wiki: str, page: str, current: list[RawTemplate]) -> list[Problem]:
        """Forged entries still on the page, and owners' entries kept after another's removal."""
        lines: dict[str, int] = {}
        for raw in current:
            lines.setdefault(raw.key_text(), raw.line)
        out: list[Problem] = []
        for key, bad in sorted(self.state["rejected"].items()):
            if key not in lines:
                continue
            kind = key.split("|", 1)[0]
            origin = Origin(wiki, page, lines[key], bad["revid"], bad["author"])
            code = "not-own-entry" if bad["owner"] else "unknown-event-organizer"
            params = (bad["owner"], bad["author"]) if bad["owner"] else (bad["author"],)
            out.append(Problem(origin, kind, code, params, snippet(bad["text"])))
        for key, info in sorted(self.state["kept"].items()):
            entry = self.state["accepted"].get(key)
            if entry is None:
                continue
            kind = key.split("|", 1)[0]
            origin = Origin(wiki, page, 0, info["revid"], info["by"])
            out.append(
                Problem(
                    origin,
                    kind,
                    "removed-by-other",
                    (info["owner"], info["by"]),
                    snippet(entry["text"]),
                )
            )
        return out
