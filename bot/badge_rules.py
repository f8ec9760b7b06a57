"""Which badges people have earned, computed from confirmed facts alone.

Pure: no wiki, no database. The caller gathers *all* facts it currently believes (completed
mentorships and peer exchanges, event attendance, recorded needs), calls `compute_awards`,
and diffs the result against what it stored before with `diff_awards`. Because award ids are
stable hashes, running the same facts twice yields the same ids, so "award once" is a set
difference and a withdrawn confirmation shows up as an award that is no longer computed.

Two kinds of rules (see config/badges.yaml):

* Per-fact rules (``mentorship-learner``, ``peer-exchange``, ``event-participant``,
  ``event-trainer``): one award per triggering fact (per skill for per-skill classes). The id
  hashes (class, user, skill, the fact's evidence key), so withdrawing that one fact revokes
  exactly that one award and nothing else.
* Milestone rules (``mentorship-mentor`` with thresholds 1/3/10, ``needs-recorder``): one award
  per (class, user). The id hashes (class, user) only, *not* the qualifying facts, so the award
  survives when one qualifying fact is withdrawn but enough others remain (e.g. a mentor with
  four completed mentorships loses one: mentor-3 stays). It is revoked only when the count
  drops below the threshold. Its evidence is the earliest `threshold` qualifying facts; when
  that set changes the diff reports the award under `evidence_changed` (same id, keep the
  original issue date, refresh the evidence list).

A revoked award whose facts come back (a confirmation restored) recomputes to the same id;
`diff_awards` reports it as `reinstated` so the caller can clear the revoked flag instead of
publishing a second assertion for the same achievement.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.usernames import normalize_user

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "badges.yaml"
IMAGE_DIR = CONFIG_PATH.parent / "badge-images"

#: Rules the engine knows; each configured badge class names one.
RULES: tuple[str, ...] = (
    "mentorship-learner",
    "mentorship-mentor",
    "peer-exchange",
    "event-participant",
    "event-trainer",
    "needs-recorder",
)
PER_FACT_RULES = frozenset(
    {"mentorship-learner", "peer-exchange", "event-participant", "event-trainer"}
)
MILESTONE_RULES = frozenset({"mentorship-mentor", "needs-recorder"})
REQUIRED_LANGUAGES: tuple[str, ...] = ("en", "ja", "ar", "es", "fr")
SKILL_PLACEHOLDER = "{skill}"

REASON_EVIDENCE_WITHDRAWN = "evidence-withdrawn"
REASON_BELOW_THRESHOLD = "below-threshold"

_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_AWARD_ID_VERSION = "skillmatch-award-v1"


# -- facts -------------------------------------------------------------------------------------


def _norm_skills(skills: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({s.strip() for s in skills if s and s.strip()}))


@dataclass(frozen=True)
class CompletedMentorship:
    """A mentorship both sides confirmed as completed."""

    match_id: str
    learner: str
    mentor: str
    skills: tuple[str, ...]
    completed_on: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))


@dataclass(frozen=True)
class CompletedPeerExchange:
    """A two-way peer exchange confirmed as completed."""

    pair_id: str
    a: str
    b: str
    skills: tuple[str, ...]
    completed_on: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))


@dataclass(frozen=True)
class Attendance:
    """One attendee of one event, as recorded by the event's organizer."""

    event_id: str
    user: str
    organizer: str
    format: str  # "online" or "offline"; "both" (hybrid) counts as online, see below
    skills: tuple[str, ...]
    date: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))


@dataclass(frozen=True)
class RecordedNeed:
    """A community skill need recorded by `user` with {{Skill need}}."""

    user: str
    community: str
    skill: str
    recorded_on: date


@dataclass(frozen=True)
class Facts:
    """Everything the rules look at; pass all current facts, not just new ones."""

    mentorships: Sequence[CompletedMentorship] = ()
    peer_exchanges: Sequence[CompletedPeerExchange] = ()
    attendances: Sequence[Attendance] = ()
    needs: Sequence[RecordedNeed] = ()


# -- output ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Award:
    """One earned badge: `badge_class` is the configured class (e.g. ``learner``, ``mentor-3``);
    per-skill classes carry the skill, and the published BadgeClass id is `badge_class_id`."""

    id: str
    user: str
    badge_class: str
    skill: str | None
    date: date
    evidence: tuple[str, ...]

    @property
    def badge_class_id(self) -> str:
        return badge_class_id(self.badge_class, self.skill)


@dataclass(frozen=True)
class Revocation:
    """A stored award that the current facts no longer support."""

    award: Award
    code: str  # REASON_EVIDENCE_WITHDRAWN or REASON_BELOW_THRESHOLD
    reason: str  # English sentence for the assertion's revocationReason


@dataclass(frozen=True)
class AwardDiff:
    """What the caller must do to make its store match the current facts."""

    new: tuple[Award, ...] = ()  # award these (store, publish, notify)
    revoked: tuple[Revocation, ...] = ()  # mark revoked; keep the URL answering
    kept: tuple[Award, ...] = ()  # stored versions, unchanged
    evidence_changed: tuple[Award, ...] = ()  # current versions; keep the stored issue date
    reinstated: tuple[Award, ...] = ()  # were revoked, supported again: clear the flag


# -- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeText:
    name: str
    description: str
    criteria: str


@dataclass(frozen=True)
class BadgeKind:
    """A configured badge class (a template when `per_skill`)."""

    id: str
    rule: str
    per_skill: bool = False
    threshold: int = 1
    format: str | None = None  # event-participant only
    min_attendees: int = 1  # event-trainer only
    confirmed_needs: bool = False  # needs-recorder only: count needs others confirmed
    image: str = ""
    tags: tuple[str, ...] = ()
    text: Mapping[str, BadgeText] = field(default_factory=dict)

    def localized(self, lang: str, skill_label: str | None = None) -> BadgeText:
        """Name, description and criteria in `lang` (falling back to English)."""
        t = self.text.get(lang) or self.text["en"]
        if not self.per_skill:
            return t
        label = skill_label or ""
        return BadgeText(
            name=t.name.replace(SKILL_PLACEHOLDER, label),
            description=t.description.replace(SKILL_PLACEHOLDER, label),
            criteria=t.criteria.replace(SKILL_PLACEHOLDER, label),
        )

    def image_path(self) -> Path:
        return IMAGE_DIR / self.image


@dataclass(frozen=True)
class BadgeCatalog:
    """All configured badge classes, in config order."""

    kinds: tuple[BadgeKind, ...]
    languages: tuple[str, ...] = REQUIRED_LANGUAGES

    def get(self, kind_id: str) -> BadgeKind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise KeyError(kind_id)

    def parse_class_id(self, class_id: str) -> tuple[BadgeKind, str | None]:
        """Split a published BadgeClass id (``learner-sparql``) into kind and skill.

        Used by the web tool to answer /badges/classes/<id>. Raises KeyError when unknown.
        """
        for k in self.kinds:
            if not k.per_skill and k.id == class_id:
                return k, None
        for k in self.kinds:
            prefix = k.id + "-"
            if k.per_skill and class_id.startswith(prefix) and len(class_id) > len(prefix):
                return k, class_id[len(prefix) :]
        raise KeyError(class_id)


def badge_class_id(kind_id: str, skill: str | None) -> str:
    """Published BadgeClass id: the kind for general badges, ``<kind>-<skill>`` per skill."""
    return f"{kind_id}-{skill}" if skill else kind_id


class BadgeConfigError(ValueError):
    """config/badges.yaml is malformed; the message says where."""


def catalog_from_dict(data: Mapping[str, Any], *, check_images: bool = True) -> BadgeCatalog:
    """Validate and build a catalog; strict so a typo fails at start-up, not mid-run."""
    langs = tuple(data.get("languages") or REQUIRED_LANGUAGES)
    raw = data.get("classes")
    if not isinstance(raw, list) or not raw:
        raise BadgeConfigError("badges: 'classes' must be a non-empty list")
    kinds: list[BadgeKind] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"badges: classes[{i}]"
        if not isinstance(entry, dict):
            raise BadgeConfigError(f"{where} must be a mapping")
        kid = str(entry.get("id", ""))
        where = f"badges: class {kid!r}"
        if not _ID_RE.match(kid) or len(kid) > 32:
            raise BadgeConfigError(f"{where}: id must be lower-case words joined by '-'")
        if kid in seen:
            raise BadgeConfigError(f"{where}: duplicate id")
        seen.add(kid)
        rule = entry.get("rule")
        if rule not in RULES:
            raise BadgeConfigError(f"{where}: rule must be one of {', '.join(RULES)}")
        per_skill = bool(entry.get("per_skill", False))
        if per_skill and rule not in ("mentorship-learner", "peer-exchange"):
            raise BadgeConfigError(f"{where}: only learner and peer-exchange rules are per skill")
        threshold = int(entry.get("threshold", 1))
        if threshold < 1:
            raise BadgeConfigError(f"{where}: threshold must be at least 1")
        fmt = entry.get("format")
        if rule == "event-participant" and fmt not in ("online", "offline"):
            raise BadgeConfigError(f"{where}: event-participant needs format online or offline")
        min_att = int(entry.get("min_attendees", 1))
        if min_att < 1:
            raise BadgeConfigError(f"{where}: min_attendees must be at least 1")
        confirmed = entry.get("confirmed_needs", False)
        if not isinstance(confirmed, bool):
            raise BadgeConfigError(f"{where}: confirmed_needs must be true or false")
        if confirmed and rule != "needs-recorder":
            raise BadgeConfigError(f"{where}: confirmed_needs is for the needs-recorder rule")
        image = str(entry.get("image") or f"{kid}.svg")
        if check_images and not (IMAGE_DIR / image).is_file():
            raise BadgeConfigError(f"{where}: image {image} not found in {IMAGE_DIR}")
        text_raw = entry.get("text")
        if not isinstance(text_raw, dict):
            raise BadgeConfigError(f"{where}: 'text' must map languages to texts")
        text: dict[str, BadgeText] = {}
        for lang in langs:
            t = text_raw.get(lang)
            if not isinstance(t, dict):
                raise BadgeConfigError(f"{where}: missing text in {lang}")
            values = {}
            for key in ("name", "description", "criteria"):
                v = t.get(key)
                if not isinstance(v, str) or not v.strip():
                    raise BadgeConfigError(f"{where}: {lang}.{key} is missing")
                if per_skill and key == "name" and SKILL_PLACEHOLDER not in v:
                    raise BadgeConfigError(f"{where}: {lang}.name must contain {{skill}}")
                if not per_skill and SKILL_PLACEHOLDER in v:
                    raise BadgeConfigError(
                        f"{where}: {lang}.{key} uses {{skill}} in a general class"
                    )
                values[key] = " ".join(v.split())
            text[lang] = BadgeText(**values)
        kinds.append(
            BadgeKind(
                id=kid,
                rule=str(rule),
                per_skill=per_skill,
                threshold=threshold,
                format=fmt if rule == "event-participant" else None,
                min_attendees=min_att,
                confirmed_needs=confirmed,
                image=image,
                tags=tuple(str(t) for t in entry.get("tags") or ()),
                text=text,
            )
        )
    # A per-skill prefix must not swallow another class id, or parse_class_id is ambiguous.
    for k in kinds:
        if k.per_skill:
            for other in kinds:
                if other is not k and other.id.startswith(k.id + "-"):
                    raise BadgeConfigError(
                        f"badges: class {other.id!r} clashes with per-skill prefix {k.id!r}-"
                    )
    return BadgeCatalog(kinds=tuple(kinds), languages=langs)


def load_catalog(path: Path | str | None = None) -> BadgeCatalog:
    """Read config/badges.yaml (or `path`)."""
    p = Path(path) if path is not None else CONFIG_PATH
    with p.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise BadgeConfigError(f"{p}: expected a mapping")
    return catalog_from_dict(data)


@lru_cache(maxsize=1)
def default_catalog() -> BadgeCatalog:
    """The shipped catalog, read once per process."""
    return load_catalog()


# -- computing awards --------------------------------------------------------------------------


def award_id(badge_class: str, user: str, skill: str | None, evidence_key: Sequence[str]) -> str:
    """Stable id: 32 hex digits of SHA-256 over a canonical JSON of the award's identity.

    Milestone awards pass an empty `evidence_key` (see the module docstring).
    """
    payload = json.dumps(
        [_AWARD_ID_VERSION, badge_class, normalize_user(user), skill, sorted(evidence_key)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _make(
    kind: BadgeKind, user: str, skill: str | None, day: date, ev: tuple[str, ...], key: bool
) -> Award:
    user = normalize_user(user)
    return Award(
        id=award_id(kind.id, user, skill, ev if key else ()),
        user=user,
        badge_class=kind.id,
        skill=skill,
        date=day,
        evidence=ev,
    )


def _attendance_mode(fmt: str) -> str:
    """Hybrid events count as online: the record does not say the person was in the room."""
    f = fmt.strip().lower()
    return "offline" if f == "offline" else "online"


def compute_awards(facts: Facts, catalog: BadgeCatalog | None = None) -> list[Award]:
    """Every award the facts support, each once, sorted by (date, class, user, skill, id)."""
    cat = catalog or default_catalog()
    found: dict[str, Award] = {}

    def add(a: Award) -> None:
        old = found.get(a.id)
        # Duplicate facts (same id twice) keep the earliest date: deterministic either way.
        if old is None or (a.date, a.evidence) < (old.date, old.evidence):
            found[a.id] = a

    mentorships = sorted(set(facts.mentorships), key=lambda m: (m.completed_on, m.match_id))
    exchanges = sorted(set(facts.peer_exchanges), key=lambda p: (p.completed_on, p.pair_id))
    attendances = sorted(set(facts.attendances), key=lambda a: (a.date, a.event_id, a.user))
    needs = sorted(set(facts.needs), key=lambda n: (n.recorded_on, n.community, n.skill))

    for kind in cat.kinds:
        if kind.rule == "mentorship-learner":
            for m in mentorships:
                if normalize_user(m.learner) == normalize_user(m.mentor):
                    continue
                ev = (f"match:{m.match_id}",)
                skills = _norm_skills(m.skills) if kind.per_skill else (None,)
                for s in skills:
                    add(_make(kind, m.learner, s, m.completed_on, ev, True))
        elif kind.rule == "peer-exchange":
            for p in exchanges:
                if normalize_user(p.a) == normalize_user(p.b):
                    continue
                ev = (f"pair:{p.pair_id}",)
                skills = _norm_skills(p.skills) if kind.per_skill else (None,)
                for user in (p.a, p.b):
                    for s in skills:
                        add(_make(kind, user, s, p.completed_on, ev, True))
        elif kind.rule == "event-participant":
            for a in attendances:
                if normalize_user(a.user) == normalize_user(a.organizer):
                    continue
                if _attendance_mode(a.format) != kind.format:
                    continue
                add(_make(kind, a.user, None, a.date, (f"event:{a.event_id}",), True))
        elif kind.rule == "event-trainer":
            attendees: dict[tuple[str, str], set[str]] = defaultdict(set)
            first: dict[tuple[str, str], date] = {}
            for a in attendances:
                if normalize_user(a.user) == normalize_user(a.organizer):
                    continue
                k = (a.event_id, normalize_user(a.organizer))
                attendees[k].add(normalize_user(a.user))
                first.setdefault(k, a.date)
            for (event_id, organizer), people in attendees.items():
                if len(people) >= kind.min_attendees:
                    add(
                        _make(
                            kind,
                            organizer,
                            None,
                            first[(event_id, organizer)],
                            (f"event:{event_id}",),
                            True,
                        )
                    )
        elif kind.rule == "mentorship-mentor":
            by_mentor: dict[str, dict[str, date]] = defaultdict(dict)
            for m in mentorships:  # sorted: the first date seen for a match id is its earliest
                if normalize_user(m.learner) != normalize_user(m.mentor):
                    by_mentor[normalize_user(m.mentor)].setdefault(
                        f"match:{m.match_id}", m.completed_on
                    )
            _milestones(kind, by_mentor, add)
        elif kind.rule == "needs-recorder":
            by_user: dict[str, dict[str, date]] = defaultdict(dict)
            counted = needs
            if kind.confirmed_needs:
                is_confirmed = _confirmed_needs(facts)
                counted = [n for n in needs if is_confirmed(n)]
            for n in counted:
                by_user[normalize_user(n.user)].setdefault(
                    f"need:{n.community}:{n.skill}", n.recorded_on
                )
            _milestones(kind, by_user, add)

    return sorted(found.values(), key=_award_order)


def _confirmed_needs(facts: Facts) -> Callable[[RecordedNeed], bool]:
    """Whether a need is one someone other than its recorder confirmed or acted on.

    Confirmed: another account recorded the same need (same community and skill). Acted on:
    an event covering the skill, organized and attended by others than the recorder, or a
    completed mentorship or peer exchange covering it between two others. Anything the
    recorder can do alone (recording many needs, one per edit) proves nothing. Counted once
    per call: a fact is "by others" when the skill's facts outnumber those the recorder is in.
    """
    recorders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for n in facts.needs:
        recorders[(n.community.strip().casefold(), n.skill.strip())].add(normalize_user(n.user))
    total: dict[str, int] = defaultdict(int)
    involving: dict[tuple[str, str], int] = defaultdict(int)

    def acted(skills: Iterable[str], *users: str) -> None:
        people = {normalize_user(u) for u in users}
        for skill in _norm_skills(skills):
            total[skill] += 1
            for u in people:
                involving[(skill, u)] += 1

    for a in facts.attendances:
        if normalize_user(a.user) != normalize_user(a.organizer):
            acted(a.skills, a.user, a.organizer)
    for m in facts.mentorships:
        acted(m.skills, m.learner, m.mentor)
    for p in facts.peer_exchanges:
        acted(p.skills, p.a, p.b)

    def confirmed(need: RecordedNeed) -> bool:
        me, skill = normalize_user(need.user), need.skill.strip()
        if recorders[(need.community.strip().casefold(), skill)] - {me}:
            return True
        return total.get(skill, 0) > involving.get((skill, me), 0)

    return confirmed


def _award_order(a: Award) -> tuple[date, str, str, str, str]:
    return (a.date, a.badge_class, a.user, a.skill or "", a.id)


def _milestones(
    kind: BadgeKind, per_user: Mapping[str, Mapping[str, date]], add: Callable[[Award], None]
) -> None:
    """One award per user with at least `threshold` distinct facts; evidence = the earliest."""
    for user, facts in per_user.items():
        entries = sorted((d, ev) for ev, d in facts.items())
        if len(entries) >= kind.threshold:
            qualifying = entries[: kind.threshold]
            add(_make(kind, user, None, qualifying[-1][0], tuple(e for _, e in qualifying), False))


# -- reconciling with what was stored ----------------------------------------------------------


def revocation_for(award: Award, catalog: BadgeCatalog | None = None) -> Revocation:
    """Why `award` no longer holds, in words fit for an assertion's revocationReason."""
    cat = catalog or default_catalog()
    try:
        kind: BadgeKind | None = cat.get(award.badge_class)
    except KeyError:
        kind = None
    if kind is not None and kind.rule in MILESTONE_RULES:
        return Revocation(
            award,
            REASON_BELOW_THRESHOLD,
            f"Fewer than {kind.threshold} qualifying confirmations remain on the wiki.",
        )
    return Revocation(
        award,
        REASON_EVIDENCE_WITHDRAWN,
        "The confirmation this badge was based on ("
        + ", ".join(award.evidence)
        + ") was withdrawn on the wiki.",
    )


def diff_awards(
    stored: Iterable[Award],
    current: Iterable[Award],
    *,
    stored_revoked: Iterable[Award] = (),
    catalog: BadgeCatalog | None = None,
) -> AwardDiff:
    """Compare active stored awards (and revoked ones) with `compute_awards` output."""
    cur = {a.id: a for a in current}
    old = {a.id: a for a in stored}
    gone = {a.id: a for a in stored_revoked if a.id not in old}
    new, kept, changed, back = [], [], [], []
    for aid, a in cur.items():
        if aid in old:
            kept.append(old[aid])
            if tuple(old[aid].evidence) != a.evidence:
                changed.append(a)
        elif aid in gone:
            back.append(a)
        else:
            new.append(a)
    revoked = [revocation_for(a, catalog) for aid, a in old.items() if aid not in cur]
    key = _award_order
    return AwardDiff(
        new=tuple(sorted(new, key=key)),
        revoked=tuple(sorted(revoked, key=lambda r: key(r.award))),
        kept=tuple(sorted(kept, key=key)),
        evidence_changed=tuple(sorted(changed, key=key)),
        reinstated=tuple(sorted(back, key=key)),
    )


def revoked_awards(
    previous: Iterable[Award], current: Iterable[Award], catalog: BadgeCatalog | None = None
) -> list[Revocation]:
    """Shorthand for `diff_awards(previous, current).revoked`."""
    return list(diff_awards(previous, current, catalog=catalog).revoked)
