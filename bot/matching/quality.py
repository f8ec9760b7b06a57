"""Hard rules and pair quality, one pair at a time (the reference the vector code must equal).

Quality is an integer number of points in 0-1000 (``score`` = points / 10), the sum of:

=================  ======  ==================================================================
term               points  how
=================  ======  ==================================================================
same community       500   both name the same community. It weighs as much as all other terms
                           together, so for one learner a same-community mentor never scores
                           below a mentor from elsewhere ("local first, global when no local
                           match exists").
skills covered       200   ``200 * covered // wanted``: covered = skills the learner wants and
                           the mentor offers, wanted = all the learner's wanted skills.
level fit            120   ``120 * fit // covered``: a covered skill fits when the learner set no
                           target level for it, or the mentor's level is at least the target
                           (an unknown mentor level does not fit a stated target).
time zones           100   ``100 * (720 - d) // 720``, d = circular distance in minutes (so 0 h
                           apart = 100, 12 h apart = 0); 50 when either time zone is unknown.
methods               80   ``80 * offered // preferred`` over the learner's preferred methods;
                           80 when the learner states no preference.
=================  ======  ==================================================================

Peers (no levels or methods): same community 500, skills covered 150 each way
(``150 * covered // wanted`` for a's wants and for b's wants), time zones 200
(``200 * (720 - d) // 720``, 100 when unknown).

Every pair also carries its reasons as :class:`~bot.matching.model.Reason` (a key, parameters and
an English sentence); the keys are: ``teaches``, ``exchange``, ``existing``, ``same_community``,
``shares_language``, ``level_fits``, ``methods``, ``time_zones``, ``format``, ``paused``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.matching.model import Format, JSONValue, Learner, Match, Mentor, Peer, PeerPair, Reason

W_COMMUNITY = 500
W_COVERAGE = 200
W_LEVEL = 120
W_TIMEZONE = 100
W_METHODS = 80
MAX_POINTS = W_COMMUNITY + W_COVERAGE + W_LEVEL + W_TIMEZONE + W_METHODS

P_COMMUNITY = 500
P_COVERAGE = 150  # per direction
P_TIMEZONE = 200

HALF_DAY = 720
DAY = 1440

Mode = Literal["online", "offline"]


def region_key(region: str | None) -> str | None:
    """Regions are compared trimmed and case-insensitively (``KE`` = ``ke``)."""
    if region is None:
        return None
    key = region.strip().casefold()
    return key or None


def _modes(fmt: Format) -> tuple[bool, bool]:
    return fmt in ("online", "both"), fmt in ("offline", "both")


def shared_mode(
    fmt_a: Format, region_a: str | None, fmt_b: Format, region_b: str | None
) -> Mode | None:
    """The mode two people can meet in, or None (hard rule: formats and, offline, regions)."""
    on_a, off_a = _modes(fmt_a)
    on_b, off_b = _modes(fmt_b)
    if on_a and on_b:
        return "online"
    if off_a and off_b:
        ra = region_key(region_a)
        if ra is not None and ra == region_key(region_b):
            return "offline"
    return None


def _common(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """Items of ``first`` that are in ``second``, in ``first``'s order."""
    other = set(second)
    return tuple(x for x in first if x in other)


def compatible(learner: Learner, mentor: Mentor) -> bool:
    """The contract's hard rules for one pair (capacity aside)."""
    return (
        bool(_common(learner.wants, mentor.offers))
        and bool(_common(learner.languages, mentor.languages))
        and shared_mode(learner.format, learner.region, mentor.format, mentor.region) is not None
    )


def peers_compatible(a: Peer, b: Peer) -> bool:
    """Hard rules for peers: the exchange goes both ways, plus language and format."""
    return (
        a.id != b.id
        and bool(_common(a.wants, b.offers))
        and bool(_common(b.wants, a.offers))
        and bool(_common(a.languages, b.languages))
        and shared_mode(a.format, a.region, b.format, b.region) is not None
    )


def tz_distance(a: int | None, b: int | None) -> int | None:
    """Minutes between two UTC offsets around the clock (UTC+13 and UTC-11 are 0 h apart)."""
    if a is None or b is None:
        return None
    d = abs(a - b) % DAY
    return min(d, DAY - d)


def _hours(minutes: int) -> str:
    h = minutes / 60
    return f"{h:.0f}" if minutes % 60 == 0 else f"{h:.1f}"


_new_reason = tuple.__new__
"""Builds a :class:`Reason` without the named tuple's Python-level ``__new__``: a large run
creates hundreds of thousands of them and this halves the time spent on reasons."""


def _r(key: str, params: dict[str, JSONValue], text: str) -> Reason:
    return _new_reason(Reason, (key, params, text))


def _common_reasons(
    community_a: str | None,
    community_b: str | None,
    langs: tuple[str, ...],
    out: list[Reason],
) -> None:
    """Append the community and language reasons (shared by mentor and peer pairs)."""
    if community_a is not None and community_a == community_b:
        out.append(
            _r("same_community", {"community": community_a}, f"same community: {community_a}")
        )
    noun = "language" if len(langs) == 1 else "languages"
    out.append(
        _r("shares_language", {"languages": list(langs)}, f"shares {noun}: {', '.join(langs)}")
    )


def _tail_reasons(distance: int | None, mode: Mode, region: str | None, out: list[Reason]) -> None:
    """Append the time-zone and format reasons."""
    if distance is not None:
        text = "same time zone" if distance == 0 else f"time zones {_hours(distance)} h apart"
        out.append(_r("time_zones", {"minutes": distance}, text))
    if mode == "online":
        out.append(_r("format", {"mode": "online"}, "meets online"))
    else:
        where = (region or "").strip()
        out.append(_r("format", {"mode": "offline", "region": where}, f"meets offline in {where}"))


def describe_match(learner: Learner, mentor: Mentor, *, existing: bool = False) -> Match:
    """Score one compatible pair and explain it; raises ValueError for an incompatible pair."""
    offers = set(mentor.offers)
    skills = tuple([s for s in learner.wants if s in offers])
    mlangs = set(mentor.languages)
    langs = tuple([g for g in learner.languages if g in mlangs])
    mode = shared_mode(learner.format, learner.region, mentor.format, mentor.region)
    if not skills or not langs or mode is None:
        raise ValueError(f"{learner.id} and {mentor.id} break a hard rule")
    reasons = [_r("teaches", {"skills": list(skills)}, f"teaches {', '.join(skills)}")]
    if existing:
        reasons.append(_r("existing", {}, "continues an existing match"))
    _common_reasons(learner.community, mentor.community, langs, reasons)

    points = (
        W_COMMUNITY
        if learner.community is not None and (learner.community == mentor.community)
        else 0
    )
    points += W_COVERAGE * len(skills) // len(learner.wants)
    targets, levels = learner.levels, mentor.levels
    if targets:
        fits = [s for s in skills if levels.get(s, 0) >= targets.get(s, 0)]
        points += W_LEVEL * len(fits) // len(skills)
        stated = [s for s in fits if s in targets]
        if stated:
            reasons.append(
                _r("level_fits", {"skills": list(stated)}, f"level fits: {', '.join(stated)}")
            )
    else:
        points += W_LEVEL
    distance = tz_distance(learner.timezone_offset, mentor.timezone_offset)
    points += (
        W_TIMEZONE // 2 if distance is None else W_TIMEZONE * (HALF_DAY - distance) // HALF_DAY
    )
    if learner.methods:
        offered = set(mentor.methods)
        methods = [x for x in learner.methods if x in offered]
        points += W_METHODS * len(methods) // len(learner.methods)
        if methods:
            noun = "method" if len(methods) == 1 else "methods"
            reasons.append(
                _r("methods", {"methods": list(methods)}, f"preferred {noun}: {', '.join(methods)}")
            )
    else:
        points += W_METHODS
    _tail_reasons(distance, mode, learner.region, reasons)
    paused = not (mentor.available and learner.available)
    if not mentor.available:
        reasons.append(_r("paused", {}, "mentor is paused: no new learners"))
    elif not learner.available:
        reasons.append(_r("learner_away", {}, "learner is away: paused"))
    return Match(learner.id, mentor.id, skills, points, tuple(reasons), paused, existing)


def peer_points(a: Peer, b: Peer) -> int:
    """Quality of a compatible peer pair (see the module docstring)."""
    points = P_COMMUNITY if a.community is not None and a.community == b.community else 0
    points += P_COVERAGE * len(_common(a.wants, b.offers)) // len(a.wants)
    points += P_COVERAGE * len(_common(b.wants, a.offers)) // len(b.wants)
    distance = tz_distance(a.timezone_offset, b.timezone_offset)
    points += (
        P_TIMEZONE // 2 if distance is None else P_TIMEZONE * (HALF_DAY - distance) // HALF_DAY
    )
    return points


def describe_peer_pair(a: Peer, b: Peer, *, existing: bool = False) -> PeerPair:
    """Score and explain a compatible peer pair, ``a`` and ``b`` ordered by id."""
    if b.id < a.id:
        a, b = b, a
    if not peers_compatible(a, b):
        raise ValueError(f"{a.id} and {b.id} break a hard rule")
    a_learns = _common(a.wants, b.offers)
    b_learns = _common(b.wants, a.offers)
    langs = _common(a.languages, b.languages)
    mode = shared_mode(a.format, a.region, b.format, b.region)
    assert mode is not None
    distance = tz_distance(a.timezone_offset, b.timezone_offset)
    text = f"{a.id} learns {', '.join(a_learns)}; {b.id} learns {', '.join(b_learns)}"
    params: dict[str, JSONValue] = {
        "a": a.id,
        "b": b.id,
        "a_learns": list(a_learns),
        "b_learns": list(b_learns),
    }
    reasons = [_r("exchange", params, text)]
    if existing:
        reasons.append(_r("existing", {}, "continues an existing pair"))
    _common_reasons(a.community, b.community, langs, reasons)
    _tail_reasons(distance, mode, a.region, reasons)
    paused = not (a.available and b.available)
    if paused:
        reasons.append(_r("peer_away", {}, "one of the two is away: paused"))
    return PeerPair(
        a=a.id,
        b=b.id,
        a_learns=a_learns,
        b_learns=b_learns,
        points=peer_points(a, b),
        reasons=tuple(reasons),
        existing=existing,
        paused=paused,
    )
