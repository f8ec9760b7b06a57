"""A store with awards of every kind, written the way the bot writes them, for the badge tests.

``webtool.sampledata`` gives the realistic bulk (its awards carry ``{"match": id}`` evidence);
``add_awards`` adds awards through ``Store.save_award`` in the bot's own row shape (evidence
strings ``match:…``, ``event:…``, ``need:…``, salts from ``bot.openbadges.new_salt``), with
the event and need entries their evidence points at, a per-skill award for a skill the
taxonomy no longer has, awards of two classes the badge configuration no longer has, a hostile
user name, a right-to-left name and a revoked award.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot import ob3
from bot import openbadges as ob
from bot.badge_rules import award_id
from bot.models import Event, Need, Origin, ParseResult
from bot.store import Store
from webtool import sampledata

HOSTILE_USER = '"><img src=x onerror=alert(1)>'
RTL_USER = "سارة"
REVOKE_REASON = "Mentorship withdrawn <script>alert(1)</script>"
PAGE = "Skill-sharing/Badge tests"
EVENT_ID = "wd-nairobi-2026"
EVENT_TITLE = "Wikidata day <b>Nairobi</b>"
MATCHES_PAGE = "Skill-sharing/Matches"
GONE_CLASS = "translator"  # a general class removed from config/badges.yaml after awarding
GONE_SKILL_CLASS = "reviewer"  # a per-skill one: its class id is reviewer-lua
ISSUER = {
    "name": "SkillMatch test issuer",
    "url": "https://meta.wikimedia.org/wiki/SkillMatch",
    "email": "skillmatch@example.org",
}
WIKIS: list[dict[str, Any]] = [
    {
        "id": "meta",
        "name": "Meta-Wiki",
        "index_url": "https://meta.wikimedia.org/w/index.php",
        "article_url": "https://meta.wikimedia.org/wiki/",
        "signup_page": "Skill-sharing/Signups",
        "preload": "Skill-sharing/Preload/Signup",
        "matches_page": MATCHES_PAGE,
    },
    {
        "id": "jawiki",
        "name": "ウィキペディア日本語版",
        "index_url": "https://ja.wikipedia.org/w/index.php",
        "article_url": "https://ja.wikipedia.org/wiki/",
        "signup_page": "Wikipedia:スキル共有/登録",
        "languages": ["ja"],
    },
    {
        "id": "local",
        "name": "A local wiki",
        "index_url": "http://127.0.0.1:9/index.php",
        "article_url": "http://127.0.0.1:9/index.php?title=",
        "signup_page": "Signups",
    },
]


def _row(
    kind: str,
    user: str,
    skill: str | None,
    evidence: list[str],
    *,
    wiki: str = "meta",
    days_ago: int = 10,
    revoked: str | None = None,
) -> dict[str, Any]:
    return {
        "id": award_id(kind, user, skill, evidence),
        "username": user,
        "wiki": wiki,
        "badge_class": kind,
        "skill": skill,
        "issued_on": date.today() - timedelta(days=days_ago),
        "evidence": evidence,
        "salt": ob.new_salt(),
        "revoked": revoked is not None,
        "revocation_reason": revoked,
    }


def badge_store(directory: Path, people: int, seed: int) -> tuple[str, dict[str, dict[str, Any]]]:
    """A SQLite store in `directory`: sampledata's crowd plus the named awards; (url, awards)."""
    url = f"sqlite:///{directory / 'store.db'}"
    store = Store(url)
    sampledata.populate(store, people, seed=seed, today=date.today())
    rows = add_awards(store)
    store.engine.dispose()
    return url, rows


def add_awards(store: Store) -> dict[str, dict[str, Any]]:
    """Write the named awards (and the entries they cite); return them by a short name."""
    origin = Origin("meta", PAGE, 1, 777, "Grace")
    entries = ParseResult()
    entries.add(
        Event(
            id=EVENT_ID,
            title=EVENT_TITLE,
            organizer="Grace",
            skills=("wikidata",),
            date=date.today() - timedelta(days=20),
            format="offline",
            region="KE",
            origin=origin,
        )
    )
    entries.add(
        Need(community="arwiki", skill="sparql", by="Farid", origin=Origin("meta", PAGE, 2, 778))
    )
    rows = {
        "learner": _row("learner", "Alice Example", "sparql", ["match:M3F2A9C01BD"]),
        "mentor": _row("mentor-3", "Bob", None, ["match:M1", "match:M2", "match:M3"]),
        "event": _row("event-offline", "Heidi", None, [f"event:{EVENT_ID}"], wiki="jawiki"),
        "needs": _row("needs-recorder", "Farid", None, ["need:arwiki:sparql"]),
        "peer": _row("peer-exchange", RTL_USER, "lua", ["pair:P77"], wiki="local"),
        "retired": _row("learner", "Carol", "retired-skill", ["match:M9"]),
        "hostile": _row("trainer", HOSTILE_USER, None, ["event:<script>x</script>"]),
        "revoked": _row("mentor-1", "Dave", None, ["match:M5"], revoked=REVOKE_REASON),
        # classes that config/badges.yaml no longer has: their URLs must keep answering
        "gone": _row(GONE_CLASS, "Erin", None, ["match:M7"]),
        "gone-skill": _row(GONE_SKILL_CLASS, "Frank", "lua", ["pair:P8"]),
    }
    with store.transaction() as conn:
        store.replace_entries(conn, entries, [("meta", PAGE)])
        for row in rows.values():
            store.save_award(conn, row)
    return rows


def write_key(directory: Path) -> Path:
    """A fresh EC P-256 (ES256) key as the operator would keep it: a private PEM file, mode 600."""
    private, _public = ob3.generate_key()
    path = directory / "ob3-signing-key.pem"
    path.write_bytes(private)
    path.chmod(0o600)
    return path
