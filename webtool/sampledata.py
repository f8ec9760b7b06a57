"""Realistic store contents for tests, demos and benchmarks, before the bot has written any.

Everything goes through the bot's own write path (``Store.replace_entries`` with ``bot.models``
records, ``replace_needs_map``, ``save_match``, ``replace_waiting``, ``save_award``) so the web
tool is tested on exactly the rows the bot will produce. Deterministic for a given seed; names
mix scripts (Latin, Arabic, Japanese) so right-to-left and CJK rendering get exercised, and
skill popularity is skewed the way real signups are. Scales to 10,000 participants.

    python -m webtool.sampledata sqlite:///var/skillmatch.db 500
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot import needsmap
from bot.badge_rules import award_id
from bot.models import (
    METHODS,
    Attendee,
    Event,
    Need,
    Offer,
    Origin,
    ParseResult,
    Resource,
    Signup,
    SkillLevel,
)
from bot.store import Store

DEFAULT_SKILLS: tuple[str, ...] = (
    "wikidata-sparql",
    "wikidata-editing",
    "lua-modules",
    "templates",
    "citations",
    "copyediting",
    "translation",
    "commons-upload",
    "photography",
    "licensing",
    "event-organizing",
    "grant-writing",
    "pywikibot",
    "javascript-gadgets",
    "abuse-filters",
    "patrolling",
    "teaching-wikipedia",
    "outreach-dashboard",
    "video-editing",
    "accessibility",
)

FIRST = (
    "Amina",
    "Kenji",
    "فاطمة",
    "María",
    "Jean",
    "Aiko",
    "Omar",
    "Lucía",
    "Chidi",
    "Sofía",
    "Hiro",
    "ليلى",
    "Pierre",
    "Wanjiru",
    "Diego",
    "Yui",
    "Karim",
    "Élodie",
    "Tunde",
    "Camila",
    "さくら",
    "Youssef",
    "Ana",
    "Baraka",
    "Nour",
    "Mateo",
    "Haruto",
    "Zainab",
    "Louis",
    "Imani",
)
LAST = (
    "Yusuf",
    "Sato",
    "الحسن",
    "García",
    "Dupont",
    "Tanaka",
    "Haddad",
    "Fernández",
    "Okafor",
    "Mwangi",
    "Ito",
    "Martin",
    "Njoroge",
    "López",
    "Suzuki",
    "Mansour",
    "Bernard",
    "Adeyemi",
    "Rojas",
    "山田",
    "Kamau",
    "Benali",
    "Moreau",
    "Otieno",
    "Castro",
)
COMMUNITIES = (
    "arwiki",
    "jawiki",
    "eswiki",
    "frwiki",
    "swwiki",
    "enwiki",
    "Wikimedia Kenya",
    "Wikimedians of the Levant",
    "Wikimedia México",
    "Wikimédia France",
)
COMMUNITY_LANG = {
    "arwiki": "ar",
    "jawiki": "ja",
    "eswiki": "es",
    "frwiki": "fr",
    "swwiki": "sw",
    "enwiki": "en",
    "Wikimedia Kenya": "sw",
    "Wikimedians of the Levant": "ar",
    "Wikimedia México": "es",
    "Wikimédia France": "fr",
}
REGIONS = ("KE", "NG", "JP", "EG", "MX", "FR", "JO", "IN", "East Africa", "BR")
LANGS = ("en", "ar", "ja", "es", "fr", "sw", "hi", "pt")
ORGS = ("Wikimedia Kenya", "Wikimedians of the Levant", "Wikimedia México")
WIKI = "meta"  # the key of Meta-Wiki in the operator configuration
PAGES = {
    "signup": "Skill-sharing/Signups",
    "offer": "Skill-sharing/Offers",
    "need": "Skill-sharing/Needs",
    "resource": "Skill-sharing/Resources",
    "event": "Skill-sharing/Events",
}
WAITING = ("no_mentor_for_skill", "no_mentor_in_language", "format_or_region", "all_at_capacity")
DESCRIPTIONS = (
    "Weekly video calls; bring your own questions.",
    "Hands-on sessions with real tasks from your wiki.",
    "I answer on my talk page within two days.",
    "Short clinics during the weekend.",
)


def _taxonomy(explicit: Sequence[str] | None) -> tuple[list[str], Callable[[str], Sequence[str]]]:
    """Skill ids to draw from, and the parent chain the needs map rolls up along."""
    try:
        from webtool.config import ToolConfig
        from webtool.skills import Skills

        loaded = Skills.load(ToolConfig().taxonomy_path)
    except Exception:  # the taxonomy is optional for sample data
        loaded = None
    if explicit:
        ids = list(explicit)
    elif loaded is not None and len(loaded) >= 5:
        ids = loaded.ids()
    else:
        ids = list(DEFAULT_SKILLS)
    if loaded is None:
        return ids, lambda _skill: ()
    return ids, loaded.ancestors


def _usernames(n: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    combos = [f"{a} {b}" for a in FIRST for b in LAST]
    rng.shuffle(combos)
    i = 0
    while len(names) < n:
        base = combos[i % len(combos)]
        name = base if i < len(combos) else f"{base} {i // len(combos) + 1}"
        i += 1
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _weighted_skill(rng: random.Random, skills: Sequence[str]) -> str:
    # Zipf-like skew: a few skills are very popular.
    weights = [1.0 / (rank + 1) for rank in range(len(skills))]
    return rng.choices(skills, weights=weights, k=1)[0]


def _levels(
    rng: random.Random, skills: Sequence[str], k: int, *, high: bool
) -> tuple[SkillLevel, ...]:
    chosen: list[str] = []
    while len(chosen) < k:
        skill = _weighted_skill(rng, skills)
        if skill not in chosen:
            chosen.append(skill)
    pool = ("advanced", "expert", None) if high else ("beginner", "intermediate", None)
    return tuple(SkillLevel(s, rng.choice(pool)) for s in chosen)


def populate(
    store: Store,
    n_people: int,
    seed: int = 0,
    *,
    skills: Sequence[str] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Write a consistent data set for ``n_people`` participants; return what was written.

    The returned summary names some rows (usernames, skills, event ids, match ids) so tests
    can ask for pages that must exist.
    """
    rng = random.Random(seed)
    skill_ids, ancestors = _taxonomy(skills)
    today = today or date.today()
    store.create_schema()
    run_id = store.begin_run()
    names = _usernames(n_people, rng)
    result = ParseResult()
    revid = 1000
    line = 0

    def origin(kind: str, author: str) -> Origin:
        nonlocal revid, line
        revid += 1
        line += 1
        return Origin(WIKI, PAGES[kind], line, revid, author)

    person_info: dict[str, dict[str, Any]] = {}
    for name in names:
        community = rng.choice(COMMUNITIES)
        home = COMMUNITY_LANG[community]
        langs = tuple(sorted({home, *rng.sample(LANGS, k=rng.choice((0, 1, 1, 2)))}))
        fmt = rng.choice(("online", "online", "online", "both", "offline"))
        region = rng.choice(REGIONS)
        wants = _levels(rng, skill_ids, rng.choice((1, 1, 2, 3)), high=False)
        offers = _levels(rng, skill_ids, rng.choice((0, 0, 1, 2)), high=True)
        offers = tuple(o for o in offers if o.skill not in {w.skill for w in wants})
        status = rng.choices(("active", "away", "closed"), weights=(90, 7, 3), k=1)[0]
        methods = tuple(sorted(set(rng.sample(METHODS, k=rng.choice((1, 2))))))
        signup = Signup(
            user=name,
            languages=langs,
            wants=wants,
            offers=offers,
            community=community,
            region=region,
            timezone=None,
            methods=methods,
            format=fmt,
            status=status,
            away_until=today + timedelta(days=30) if status == "away" else None,
            origin=origin("signup", name),
        )
        result.add(signup)
        person_info[name] = {
            "langs": langs,
            "wants": wants,
            "community": community,
            "region": region,
        }
        if rng.random() < 0.2:
            offer = Offer(
                skills=_levels(rng, skill_ids, rng.choice((1, 2)), high=True),
                languages=langs,
                user=name,
                methods=tuple(sorted(set(rng.sample(METHODS, k=2)))),
                format=fmt,
                region=region if fmt != "online" else None,
                capacity=rng.choice((0, 1, 1, 2, 3)),
                description=rng.choice(DESCRIPTIONS),
                origin=origin("offer", name),
            )
            result.add(offer)
            person_info[name]["mentor"] = offer
    for org in ORGS:
        result.add(
            Offer(
                skills=_levels(rng, skill_ids, 3, high=True),
                languages=(COMMUNITY_LANG[org], "en"),
                organization=org,
                methods=("training", "event"),
                format="both",
                region=rng.choice(REGIONS),
                capacity=10,
                description="Monthly training programme for new editors.",
                origin=origin("offer", names[0]),
            )
        )
    organisers = names[: max(3, n_people // 50)]
    for i, community in enumerate(COMMUNITIES):
        for j in range(3):
            skill = skill_ids[(i * 3 + j) % len(skill_ids)]
            by = organisers[(i + j) % len(organisers)]
            result.add(
                Need(
                    community=community,
                    skill=skill,
                    by=by,
                    priority=("high", "medium", "low")[j],
                    learners=rng.randint(3, 60),
                    languages=(COMMUNITY_LANG[community],),
                    notes="Recorded at the community call.",
                    origin=origin("need", by),
                )
            )
    for k, skill in enumerate(skill_ids):
        for j in range(k % 3):
            result.add(
                Resource(
                    skills=(skill,),
                    title=f"{skill} — guide {j + 1}",
                    link=f"https://meta.wikimedia.org/wiki/Skill-sharing/Guides/{skill}/{j + 1}",
                    languages=(LANGS[(k + j) % len(LANGS)],),
                    method="online-course",
                    by=organisers[k % len(organisers)],
                    origin=origin("resource", organisers[k % len(organisers)]),
                )
            )
    event_ids: list[str] = []
    for e in range(max(4, n_people // 100)):
        organiser = organisers[e % len(organisers)]
        event_id = f"ev-{e + 1:04d}"
        event_ids.append(event_id)
        fmt = "online" if e % 3 else "offline"
        result.add(
            Event(
                id=event_id,
                title=f"Skill clinic {e + 1}",
                organizer=organiser,
                skills=(skill_ids[e % len(skill_ids)], skill_ids[(e + 5) % len(skill_ids)]),
                date=today + timedelta(days=(e * 7) % 120 - 40),
                format=fmt,
                region=REGIONS[e % len(REGIONS)] if fmt == "offline" else None,
                languages=(LANGS[e % len(LANGS)],),
                origin=origin("event", organiser),
            )
        )
        for attendee in rng.sample(names, k=min(len(names), rng.randint(2, 12))):
            result.add(Attendee(event=event_id, user=attendee, origin=origin("event", organiser)))

    matches, waiting_rows = _matches(rng, person_info, today)
    needs_rows = [row.as_store_row() for row in needsmap.build(result, ancestors)]
    awards = _awards(rng, matches, today)
    with store.transaction() as conn:
        store.replace_entries(conn, result, [(WIKI, page) for page in PAGES.values()])
        store.replace_needs_map(conn, needs_rows)
        for row in matches:
            store.save_match(conn, row)
        store.replace_waiting(conn, waiting_rows)
        for award in awards:
            store.save_award(conn, award)
        for name in names:
            store.upsert_person(conn, name, WIKI, True)
    store.finish_run(run_id, "ok", {"people": n_people, "matches": len(matches)})
    return {
        "people": names,
        "skills": skill_ids,
        "events": event_ids,
        "matches": [m["id"] for m in matches],
        "awards": [a["id"] for a in awards],
        "communities": list(COMMUNITIES),
        "run": run_id,
    }


def _matches(
    rng: random.Random, info: dict[str, dict[str, Any]], today: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Greedy learner→mentor pairs on a shared skill and language, then peers; the rest wait."""
    capacity: dict[str, int] = {}
    by_skill: dict[str, list[str]] = defaultdict(list)
    for name, data in info.items():
        offer = data.get("mentor")
        if offer is not None and offer.capacity > 0:
            capacity[name] = offer.capacity
            for skill in offer.skills:
                by_skill[skill.skill].append(name)
    states = ("proposed", "active", "active", "completed", "declined", "ended")
    rows: list[dict[str, Any]] = []
    waiting_rows: list[dict[str, Any]] = []
    created = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(tzinfo=None)
    for name, data in info.items():
        found = None
        for want in data["wants"]:
            for mentor in by_skill.get(want.skill, ()):
                if (
                    mentor != name
                    and capacity.get(mentor, 0) > 0
                    and set(info[mentor]["langs"]) & set(data["langs"])
                ):
                    found = (mentor, want.skill)
                    break
            if found:
                break
        if found is None:
            if rng.random() < 0.5:
                waiting_rows.append(
                    {
                        "username": name,
                        "wiki": WIKI,
                        "skills": [w.skill for w in data["wants"]],
                        "why": rng.choice(WAITING),
                    }
                )
            continue
        mentor, skill = found
        capacity[mentor] -= 1
        state = rng.choice(states)
        stamp = created - timedelta(days=rng.randint(0, 90))
        rows.append(
            {
                "id": f"m{len(rows) + 1:06d}",
                "kind": "mentor",
                "a": name,
                "b": mentor,
                "a_wiki": WIKI,
                "b_wiki": WIKI,
                "skills": [skill],
                "score": round(rng.uniform(0.4, 1.0), 3),
                "reasons": [
                    {"key": "shared-language", "params": {"lang": data["langs"][0]}},
                    {"key": "same-community", "params": {}},
                ][: rng.randint(1, 2)],
                "state": state,
                "paused": state == "active" and rng.random() < 0.1,
                "created": stamp,
                "updated": stamp + timedelta(days=rng.randint(0, 20)),
            }
        )
    peers = [n for n, d in info.items() if d["wants"]][:: max(1, len(info) // 40)]
    for a, b in zip(peers[::2], peers[1::2], strict=False):
        stamp = created - timedelta(days=rng.randint(0, 30))
        rows.append(
            {
                "id": f"p{len(rows) + 1:06d}",
                "kind": "peer",
                "a": a,
                "b": b,
                "a_wiki": WIKI,
                "b_wiki": WIKI,
                "skills": {
                    "a_learns": [info[a]["wants"][0].skill],
                    "b_learns": [info[b]["wants"][0].skill],
                },
                "score": round(rng.uniform(0.3, 0.9), 3),
                "reasons": [{"key": "mutual-exchange", "params": {}}],
                "state": rng.choice(("proposed", "active")),
                "paused": False,
                "created": stamp,
                "updated": stamp,
            }
        )
    return rows, waiting_rows


def _awards(rng: random.Random, matches: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    out = []
    for row in matches:
        if row["state"] != "completed" or row["kind"] != "mentor":
            continue
        skill = row["skills"][0]
        for who, badge, per_skill in ((row["a"], "learner", skill), (row["b"], "mentor-1", None)):
            out.append(
                {
                    "id": award_id(badge, who, per_skill, [row["id"]] if per_skill else []),
                    "username": who,
                    "wiki": WIKI,
                    "badge_class": badge,
                    "skill": per_skill,
                    "issued_on": today - timedelta(days=rng.randint(0, 60)),
                    "evidence": [{"match": row["id"]}],
                    "salt": f"{rng.getrandbits(64):016x}",
                    "revoked": False,
                    "revocation_reason": None,
                }
            )
        if len(out) >= 200:
            break
    if out:
        out[-1]["revoked"] = True
        out[-1]["revocation_reason"] = "duplicate"
    return out


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m webtool.sampledata STORE_URL N_PEOPLE [SEED]", file=sys.stderr)
        return 2
    store = Store(argv[0])
    summary = populate(store, int(argv[1]), int(argv[2]) if len(argv) > 2 else 0)
    print(f"wrote {len(summary['people'])} people, {len(summary['matches'])} matches")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
