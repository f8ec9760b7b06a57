"""Decide, from a page's history, which entries their named owner really wrote.

A template saying ``user=Alice`` proves nothing; the revision that added it
does. We replay revisions oldest first and compare the multiset of entries
before and after each one:

* an entry added by its owner (or one that names no owner, like an
  affiliate's offer) is accepted, as that revision's version;
* an entry added or changed by anyone else is rejected and reported, and the
  owner's previous version stays in force (a change is a removal plus an
  addition, so both rules apply);
* an entry removed by someone else stays in force, reported, until its owner
  ends it themselves: by an edit that adds a new version of that same entry
  (same kind and owner, and the same match id, event, skills, … where the
  kind has one), or by removing it once it is back on the page. The owner's
  edits of *other* entries never make someone else's removal final;
* removing an entry that was never accepted is always fine (that is how a
  forgery is cleaned up);
* putting back the exact text of an owner's entry that someone else removed (a
  revert) restores it: that is the owner's own version again, not a forgery;
* hidden revisions (revision deletion): what changed between the last visible
  revision and the next one cannot be told apart from the hidden edit, so it
  is credited to nobody. Every entry stays as the last visible version its
  owner wrote; entries that appeared meanwhile are reported, not accepted,
  until their owner writes them in a visible edit;
* scope: only revisions made while the page was inside the configured signup
  pages count. Revisions made elsewhere (a user-space draft, or after a move
  out) are skipped, and the move that brings the page (back) into scope is
  read as an edit by the mover that turns the last in-scope text into the
  moved-in text. So a draft moved into the signup prefix publishes only the
  mover's own entries; everyone else's are reported until they edit them
  there themselves. That is the safe rule: nobody is signed up by someone
  else's move.

Usernames in ``user=`` may carry any of the wiki's own user-namespace names
(``Utilisateur:Erin``, ``利用者:…``); the caller passes those names in, this
module does no I/O.

The state is plain JSON so the store can keep it and a later run continues
from the last revision it saw, reading only newer ones. Each accepted entry
keeps its parsed parameters, so entries in force are never parsed again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Origin, Problem
from bot.usernames import DEFAULT_USER_PREFIXES, normalize_user, strip_user_prefix
from bot.wikitext import Issue, RawTemplate, snippet

STATE_VERSION = 1
HIDDEN = "hidden"
"""Why-mark of a change made across a hidden revision (credited to nobody)."""


@dataclass(frozen=True)
class Revision:
    revid: int
    parentid: int
    user: str
    timestamp: str
    text: str | None  # None when the content is hidden (revision deletion)
    in_scope: bool = True  # False: made while the page was outside the signup pages


@dataclass(frozen=True)
class InForce:
    """An accepted entry: its wikitext, the revision that wrote it, and its line now (0 if gone).

    `raw` is the entry as parsed when it was accepted (None in a state written before
    it was kept), so validating it again needs no parsing.
    """

    key: str
    text: str
    revid: int
    author: str
    line: int
    raw: RawTemplate | None = field(default=None, compare=False)
    timestamp: str = ""  # when the revision that wrote it was saved (ISO 8601)


OWNER_FIELD = {
    "Skill signup": "user",
    "Skill offer": "user",
    "Skill match confirm": "user",
    "Skill need": "by",
    "Skill resource": "by",
    "Skill event": "organizer",
}
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "Skill offer": ("skills",),
    "Skill match confirm": ("id",),
    "Skill event": ("id",),
    "Skill attendee": ("event", "user"),
    "Skill need": ("community", "skill"),
    "Skill resource": ("link", "title"),
}
"""Besides kind and owner, what makes a new version "the same entry" as an older one."""


def owner_of(
    raw: RawTemplate,
    organizers: Mapping[str, str],
    prefixes: Sequence[str] = DEFAULT_USER_PREFIXES,
) -> str | None:
    """Whose own edit an entry needs; None when anyone may add it."""
    p = raw.params
    if raw.kind == "Skill attendee":
        return organizers.get(p.get("event", "").strip(), "")
    field_name = OWNER_FIELD.get(raw.kind)
    if field_name is None:
        return None
    value = p.get(field_name, "").strip()
    if not value:
        return "" if raw.kind in ("Skill signup", "Skill need", "Skill event") else None
    return normalize_user(strip_user_prefix(value, prefixes))


def identity(kind: str, params: Mapping[str, str], owner: str | None) -> list[str]:
    """What an entry is an entry *of*: a new version with the same identity replaces it."""

    def norm(name: str) -> str:
        return " ".join(params.get(name, "").split()).casefold()

    return [kind, owner or "", *(norm(f) for f in IDENTITY_FIELDS.get(kind, ()))]


def empty_state() -> dict[str, Any]:
    return {"v": STATE_VERSION, "prev": {}, "accepted": {}, "rejected": {}, "kept": {}}


Extractor = Callable[[str], list[RawTemplate]]


def raw_from_entry(entry: Mapping[str, Any], line: int) -> RawTemplate | None:
    """The parsed entry kept in the state, placed at `line`; None for an older state."""
    if "params" not in entry or "kind" not in entry:
        return None
    issues = [Issue(code, tuple(params)) for code, params in entry.get("issues", ())]
    return RawTemplate(entry["kind"], dict(entry["params"]), line, entry["text"], issues)


@dataclass
class PageHistory:
    """Replays revisions of one page over a stored state."""

    state: dict[str, Any]
    extract: Extractor
    organizers: dict[str, str]
    prefixes: Sequence[str] = DEFAULT_USER_PREFIXES

    def apply(self, revisions: Iterable[Revision]) -> None:
        # A hidden revision since the last visible one: remembered across runs, so a visible
        # revision read by the next run is not credited with what the hidden one changed.
        hidden = bool(self.state.get("hidden"))
        for rev in revisions:
            if not rev.in_scope:
                continue  # the move back into scope is read as the mover's edit
            if rev.text is None:
                hidden = True
                continue
            self._apply_one(rev, hidden)
            hidden = False
        self.state["hidden"] = hidden

    def owner(self, raw: RawTemplate) -> str | None:
        return owner_of(raw, self.organizers, self.prefixes)

    def _apply_one(self, rev: Revision, hidden: bool) -> None:
        raws = self.extract(rev.text or "")
        author = normalize_user(rev.user)
        authors = set() if hidden else {author}  # whose edits the changes since `prev` are
        by_key: dict[str, RawTemplate] = {}
        for raw in raws:
            if raw.kind == "Skill event":
                owner = owner_of(raw, {}, self.prefixes)
                if owner in authors and raw.params.get("id"):
                    self.organizers.setdefault(raw.params["id"].strip(), author)
        for key, raw in ((r.key_text(), r) for r in raws):
            by_key.setdefault(key, raw)
        now = Counter(r.key_text() for r in raws)
        prev = Counter(self.state["prev"])
        accepted: dict[str, Any] = self.state["accepted"]
        rejected: dict[str, Any] = self.state["rejected"]
        kept: dict[str, Any] = self.state["kept"]
        why = HIDDEN if hidden else ""
        for key in sorted(set(now) | set(prev)):
            delta = now[key] - prev[key]
            if delta > 0:
                raw = by_key[key]
                owner = self.owner(raw)
                if owner is None or owner in authors:
                    if owner is not None:
                        self._supersede(key, identity(raw.kind, raw.params, owner))
                    entry = accepted.setdefault(key, {"count": 0})
                    if key in kept:  # the owner's own copy, back on the page
                        kept.pop(key)
                        delta -= 1
                    entry.update(
                        text=raw.text,
                        revid=rev.revid,
                        author=author,
                        owner=owner,
                        kind=raw.kind,
                        params=raw.params,
                        issues=[[i.code, list(i.params)] for i in raw.issues],
                        ts=rev.timestamp,
                    )
                    entry["count"] += delta
                    continue
                if key in kept:  # a revert put the owner's removed entry back as it was
                    kept.pop(key)
                    delta -= 1
                if delta > 0:
                    bad = rejected.setdefault(key, {"count": 0})
                    bad.update(
                        text=raw.text,
                        revid=rev.revid,
                        author="" if hidden else author,
                        owner=owner or "",
                        why=why,
                    )
                    bad["count"] += delta
            elif delta < 0:
                self._remove(key, -delta, authors, "" if hidden else author, rev.revid, why)
        self.state["prev"] = dict(now)

    def _supersede(self, key: str, ident: list[str]) -> None:
        """The owner wrote a new version of an entry someone else had removed: the removed
        version ends (it is this same entry, rewritten by its owner)."""
        kept, accepted = self.state["kept"], self.state["accepted"]
        for old in [k for k in kept if k != key]:
            entry = accepted.get(old)
            if entry is None:
                kept.pop(old)
                continue
            if self._identity(entry) == ident:
                kept.pop(old)
                accepted.pop(old)

    def _identity(self, entry: Mapping[str, Any]) -> list[str]:
        raw = raw_from_entry(entry, 0)
        if raw is None:  # a state from before entries kept their parameters
            found = self.extract(entry["text"])
            if not found:
                return []
            raw = found[0]
        return identity(raw.kind, raw.params, entry.get("owner"))

    def _remove(
        self, key: str, count: int, authors: set[str], by: str, revid: int, why: str
    ) -> None:
        """Take `count` copies of an entry off.

        The owner's removal takes their accepted copy first (editing one's entry next to a
        verbatim forgery of it must not leave the old version in force); anyone else's
        removal takes rejected copies first, and leaves the owner's entry in force.
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
        if own or count == 0 or entry is None:
            return
        self.state["kept"][key] = {"owner": owner, "by": by, "revid": revid, "why": why}

    def in_force(self, lines: Mapping[str, int]) -> list[InForce]:
        """Accepted entries, placed at their line in the current text where they still stand."""
        out = []
        for key, entry in self.state["accepted"].items():
            line = lines.get(key, 0)
            out.append(
                InForce(
                    key,
                    entry["text"],
                    entry["revid"],
                    entry["author"],
                    line,
                    raw_from_entry(entry, line),
                    entry.get("ts", ""),
                )
            )
        out.sort(key=lambda e: (e.line == 0, e.line, e.revid, e.key))
        return out

    def problems(self, wiki: str, page: str, lines: Mapping[str, int]) -> list[Problem]:
        """Forged entries still on the page, and owners' entries kept after another's removal
        or across a hidden revision."""
        out: list[Problem] = []
        for key, bad in sorted(self.state["rejected"].items()):
            if key not in lines:
                continue
            kind = key.split("|", 1)[0]
            origin = Origin(wiki, page, lines[key], bad["revid"], bad["author"])
            params: tuple[str, ...]
            if bad.get("why") == HIDDEN:
                code, params = "changed-in-hidden-revision", (bad["owner"],)
            elif bad["owner"]:
                code, params = "not-own-entry", (bad["owner"], bad["author"])
            else:
                code, params = "unknown-event-organizer", (bad["author"],)
            out.append(Problem(origin, kind, code, params, snippet(bad["text"])))
        for key, info in sorted(self.state["kept"].items()):
            entry = self.state["accepted"].get(key)
            if entry is None:
                continue
            kind = key.split("|", 1)[0]
            origin = Origin(wiki, page, 0, info["revid"], info["by"])
            kept_params: tuple[str, ...]
            if info.get("why") == HIDDEN:
                code, kept_params = "changed-in-hidden-revision", (info["owner"],)
            else:
                code, kept_params = "removed-by-other", (info["owner"], info["by"])
            out.append(Problem(origin, kind, code, kept_params, snippet(entry["text"])))
        return out


def current_lines(raws: Iterable[RawTemplate]) -> dict[str, int]:
    """Each entry's first line in a text, by its canonical form."""
    lines: dict[str, int] = {}
    for raw in raws:
        lines.setdefault(raw.key_text(), raw.line)
    return lines
