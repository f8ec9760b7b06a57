"""Match phase: gathered records → matcher input → stored matches and queued messages.

Pure functions build the matcher's input from records (one learner, mentor or
peer per person, merging what they wrote on several pages) and turn its result
into store rows. Match ids are stable: the same pair keeps its id from run to
run, and a pair that ended and is matched again gets a new one. New matches
and the messages announcing them are written in one transaction, so a crash
leaves either both or neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.matching import Learner, MatchResult, Mentor, Peer
from bot.matching.model import Format
from bot.models import Confirmation, Offer, ParseResult, Signup
from bot.vocabulary import Level

OPEN_STATES = ("proposed", "active")


@dataclass(frozen=True)
class Person:
    """Where to reach someone: the wiki they signed up on first, and whether they want messages."""

    user: str
    wiki: str
    notify: bool


@dataclass
class Inputs:
    learners: list[Learner] = field(default_factory=list)
    mentors: list[Mentor] = field(default_factory=list)
    peers: list[Peer] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)


def _level(value: str | None) -> int | None:
    return int(Level.parse(value)) if value else None


def _available(status: str, away_until: date | None, today: date) -> bool:
    if status == "active":
        return True
    return status == "away" and away_until is not None and away_until < today


def _merge_format(formats: Iterable[str]) -> Format:
    found = set(formats)
    if "both" in found or {"online", "offline"} <= found:
        return "both"
    one = found.pop() if len(found) == 1 else "online"
    return "offline" if one == "offline" else "online"


def build_inputs(
    data: ParseResult,
    *,
    today: date,
    last_edits: Mapping[str, datetime | None],
    inactive_days: int,
    learned: Mapping[str, set[str]] | None = None,
    held: Mapping[str, int] | None = None,
) -> Inputs:
    """One node per person; several signups or offers of one person are merged.

    Someone away or closed stays in the input, marked unavailable: their existing matches
    are kept (paused), they get no new ones. `held` counts each mentor's open matches, so
    that a mentor who set capacity 0 keeps the learners they have.
    """
    out = Inputs()
    signups: dict[str, list[Signup]] = {}
    for s in data.signups:
        signups.setdefault(s.user, []).append(s)
    offers: dict[str, list[Offer]] = {}
    for o in data.offers:
        if o.user:  # an organization's programme is not a one-to-one mentor
            offers.setdefault(o.user, []).append(o)
    for user, items in signups.items():
        # Their home is where they signed up first, by time: page order follows the
        # configuration, and revision ids cannot be compared across wikis.
        first = min(items, key=lambda s: s.origin.timestamp)
        out.people[user] = Person(user, first.origin.wiki, all(s.notify for s in items))
    for user, mine in offers.items():
        if user not in out.people:
            home = min(mine, key=lambda o: o.origin.timestamp).origin.wiki
            out.people[user] = Person(user, home, all(o.notify for o in mine))
        elif not all(o.notify for o in mine):
            out.people[user] = Person(user, out.people[user].wiki, False)
    cutoff = datetime.now().astimezone() - timedelta(days=inactive_days)
    for user, items in sorted(signups.items()):
        available = [s for s in items if _available(s.status, s.away_until, today)]
        active = available or items
        first = active[0]
        wants = tuple(dict.fromkeys(w.skill for s in active for w in s.wants))
        langs = tuple(dict.fromkeys(lang for s in active for lang in s.languages))
        levels = {w.skill: lv for s in active for w in s.wants if (lv := _level(w.level))}
        methods = tuple(dict.fromkeys(m for s in active for m in s.methods))
        fmt = _merge_format(s.format for s in active)
        # Nobody needs a mentor for what they mentor themselves; this also makes a
        # self-match (the same person as learner and mentor) impossible.
        # A completed mentorship or exchange means the skill was learned: no new mentor for it.
        mentored = {sk.skill for o in offers.get(user, []) for sk in o.skills}
        done = (learned or {}).get(user, set())
        wants = tuple(w for w in wants if w not in mentored and w not in done)
        if wants:
            out.learners.append(
                Learner(
                    user,
                    wants,
                    langs,
                    first.community,
                    first.region,
                    fmt,
                    levels,
                    first.utc_offset,
                    methods,
                    available=bool(available),
                )
            )
        peer_offers = tuple(dict.fromkeys(o.skill for s in active for o in s.offers))
        peer_wants = tuple(
            w for w in dict.fromkeys(w.skill for s in active for w in s.wants) if w not in done
        )
        if peer_wants and peer_offers:
            out.peers.append(
                Peer(
                    user,
                    peer_wants,
                    peer_offers,
                    langs,
                    first.community,
                    first.region,
                    fmt,
                    first.utc_offset,
                    available=bool(available),
                )
            )
    for user, mine in sorted(offers.items()):
        signup = signups[user][0] if user in signups else None
        seen = last_edits.get(user)
        recent = (seen is None and user not in last_edits) or (seen is not None and seen >= cutoff)
        open_items = [
            o for o in mine if _available(o.status, o.away_until, today) and o.capacity > 0
        ]
        chosen = open_items or mine
        taking = bool(open_items) and recent
        capacity = max(o.capacity for o in chosen)
        if not taking:  # no new learners, but room for those already matched
            capacity = max(capacity, (held or {}).get(user, 0))
        out.mentors.append(
            Mentor(
                id=user,
                offers=tuple(dict.fromkeys(s.skill for o in chosen for s in o.skills)),
                languages=tuple(dict.fromkeys(lang for o in chosen for lang in o.languages)),
                community=signup.community if signup else None,
                region=next((o.region for o in chosen if o.region), None),
                format=_merge_format(o.format for o in chosen),
                capacity=capacity,
                levels={s.skill: lv for o in chosen for s in o.skills if (lv := _level(s.level))},
                timezone_offset=signup.utc_offset if signup else None,
                methods=tuple(dict.fromkeys(m for o in chosen for m in o.methods)),
                available=taking,
            )
        )
    return out


def learned_skills(rows: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Skills each person learned in a completed mentorship or peer exchange."""
    out: dict[str, set[str]] = {}
    for r in rows:
        if r["state"] != "completed":
            continue
        if r["kind"] == "mentor":
            out.setdefault(r["a"], set()).update(r["skills"])
        else:
            out.setdefault(r["a"], set()).update(r["skills"]["a_learns"])
            out.setdefault(r["b"], set()).update(r["skills"]["b_learns"])
    return out


def newest_entries(data: ParseResult) -> dict[str, str]:
    """Each person's newest signup or offer entry, as the time of the revision that wrote it."""
    out: dict[str, str] = {}
    entries: list[Signup | Offer] = [*data.signups, *data.offers]
    for rec in entries:
        if rec.user and rec.origin.timestamp > out.get(rec.user, ""):
            out[rec.user] = rec.origin.timestamp
    return out


def declined_pairs(
    rows: Iterable[Mapping[str, Any]],
    confirmations: Sequence[Confirmation],
    newest: Mapping[str, str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(learner, mentor) and (peer, peer) pairs the matcher must not propose again.

    A "no" is remembered by its match row, which stays ``declined`` in the store while the
    refusal stands on the wiki. The same pair is proposed again only once *both* people
    wrote a signup or offer entry after the refusal: a fresh signup by one of them (or an
    edit of an unrelated page) must not bring back someone the other already turned down.
    """
    said: dict[tuple[str, str], str] = {}  # (match, party) → their newest refusal
    for c in confirmations:
        key = (c.match_id, c.user)
        if c.outcome == "declined" and c.origin.timestamp > said.get(key, ""):
            said[key] = c.origin.timestamp
    mentor: set[tuple[str, str]] = set()
    peer: set[tuple[str, str]] = set()
    for r in rows:
        if r["state"] != "declined":
            continue
        when = max(said.get((r["id"], r["a"]), ""), said.get((r["id"], r["b"]), ""))
        if not when and isinstance(r.get("updated"), datetime):
            when = r["updated"].strftime("%Y-%m-%dT%H:%M:%SZ")
        if newest.get(r["a"], "") > when and newest.get(r["b"], "") > when:
            continue  # both signed up anew since
        (mentor if r["kind"] == "mentor" else peer).add((r["a"], r["b"]))
    return sorted(mentor), sorted(peer)


def match_id(kind: str, a: str, b: str, generation: int, scope: str = "") -> str:
    """Stable per pair and generation: 'M' for mentorships, 'P' for peer exchanges.

    `scope` names the deployment (its central match page), so two SkillMatch set-ups
    posting on one wiki never mistake each other's messages for their own.
    """
    key = f"{kind}\x1f{a}\x1f{b}\x1f{generation}\x1f{scope}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return ("M" if kind == "mentor" else "P") + digest[:10].upper()


def _reasons(reasons: Iterable[Any]) -> list[dict[str, Any]]:
    """Reasons as stored; "continues an existing match" is left out so a kept match reads
    the same on every run (and its table row does not change)."""
    return [r.to_json() for r in reasons if r.key != "existing"]


@dataclass
class Plan:
    """Store rows to write and messages to queue, decided from one matcher result."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)


def plan(
    result: MatchResult,
    existing: Sequence[Mapping[str, Any]],
    people: Mapping[str, Person],
    scope: str = "",
    unsure: Iterable[str] = (),
) -> Plan:
    """Compare the result with stored matches: keep ids, create new rows, end vanished ones.

    A match of someone in `unsure` (whose own entry was rejected this run, say for a typo)
    is left as it is rather than ended: one bad edit should not cost a mentorship.
    """
    unsure = set(unsure)
    by_pair: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    generations: dict[tuple[str, str, str], int] = {}
    for row in existing:
        key = (row["kind"], row["a"], row["b"])
        generations[key] = generations.get(key, 0) + 1
        if row["state"] in OPEN_STATES:
            by_pair[key] = row
    out = Plan()
    seen: set[str] = set()

    def home(user: str) -> str:
        p = people.get(user)
        return p.wiki if p else ""

    for m in result.matches:
        key = ("mentor", m.learner, m.mentor)
        reasons = _reasons(m.reasons)
        old = by_pair.get(key)
        if old is not None:
            seen.add(old["id"])
            out.rows.append(
                {
                    **old,
                    "score": m.score,
                    "reasons": reasons,
                    "paused": m.paused,
                    "skills": list(m.skills),
                }
            )
            continue
        row = {
            "id": match_id("mentor", m.learner, m.mentor, generations.get(key, 0), scope),
            "kind": "mentor",
            "a": m.learner,
            "b": m.mentor,
            "a_wiki": home(m.learner),
            "b_wiki": home(m.mentor),
            "skills": list(m.skills),
            "score": m.score,
            "reasons": reasons,
            "state": "proposed",
            "paused": m.paused,
        }
        out.rows.append(row)
        out.new.append(row)
    for p in result.peer_pairs:
        key = ("peer", p.a, p.b)
        reasons = _reasons(p.reasons)
        skills = {"a_learns": list(p.a_learns), "b_learns": list(p.b_learns)}
        old = by_pair.get(key)
        if old is not None:
            seen.add(old["id"])
            out.rows.append(
                {**old, "score": p.score, "reasons": reasons, "skills": skills, "paused": p.paused}
            )
            continue
        row = {
            "id": match_id("peer", p.a, p.b, generations.get(key, 0), scope),
            "kind": "peer",
            "a": p.a,
            "b": p.b,
            "a_wiki": home(p.a),
            "b_wiki": home(p.b),
            "skills": skills,
            "score": p.score,
            "reasons": reasons,
            "state": "proposed",
            "paused": p.paused,
        }
        out.rows.append(row)
        out.new.append(row)
    for row in existing:
        if row["state"] in OPEN_STATES and row["id"] not in seen:
            if row["a"] in unsure or row["b"] in unsure:
                continue  # their entry will be fixed; nothing to decide meanwhile
            # The pair no longer obeys the hard rules (a signup was withdrawn or changed).
            out.rows.append({**row, "state": "ended"})
    return out
