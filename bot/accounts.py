"""Who may hold an entry: registered, unblocked accounts that exist on the wiki named.

Anyone can type any name into a template. A match, a badge or a talk-page message for a
name that is no account (or an IP, a temporary account, a blocked vandal) is worth nothing
and, for messages, creates pages on the wiki in that name. So after gathering, every name
an entry gives (signup, mentor, need recorder, resource author, organiser, attendee,
confirming party) is checked against the wiki it was written on, and entries whose name
fails are held out with a reason. Pure rules only: the API look-up is `bot.wiki`, the cache
`bot.store`; this module decides from their answers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from bot.models import (
    Attendee,
    Confirmation,
    Event,
    Need,
    Offer,
    ParseResult,
    Problem,
    Record,
    Resource,
    Signup,
)

RECHECK = timedelta(hours=6)
"""How long a looked-up account's state is trusted: a block takes effect within this."""

OK = "ok"
STATUSES = ("ok", "missing", "invalid", "blocked", "ip", "temporary", "unchecked")
"""`unchecked`: the wiki could not be asked and nothing is known yet (retried next run)."""

TEMPLATE = {
    Signup: "Skill signup",
    Offer: "Skill offer",
    Need: "Skill need",
    Resource: "Skill resource",
    Event: "Skill event",
    Attendee: "Skill attendee",
    Confirmation: "Skill match confirm",
}
# MediaWiki's User::isIP: dotted quads (also with the "xxx" of hidden addresses) and IPv6.
_IPV4_LIKE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.(?:xxx|\d{1,3})$", re.IGNORECASE)
# Temporary accounts (MediaWiki 1.42+, Wikimedia's pattern): "~2026-12345", "~2026-1-23".
_TEMPORARY = re.compile(r"^~\d{4}-")
# Characters no username can hold, and that would break a `|`-separated API batch.
_NEVER = re.compile(r"[|#<>\[\]{}\x00-\x1f\x7f]")


def by_rule(name: str) -> str | None:
    """The status a name has by its spelling alone, without asking the wiki (None: ask)."""
    if not name.strip() or _NEVER.search(name):
        return "invalid"
    if _IPV4_LIKE.match(name):
        return "ip"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return "ip"
    if _TEMPORARY.match(name):
        return "temporary"
    return None


def from_api(row: Mapping[str, Any]) -> str:
    """A `list=users` row (blockinfo) as a status. A partial block (some pages only) leaves
    the account free to take part; a sitewide one does not."""
    if row.get("invalid"):
        return "invalid"
    if row.get("missing") or "userid" not in row:
        return "missing"
    if row.get("temp"):
        return "temporary"
    if row.get("blockid") and not row.get("blockpartial"):
        return "blocked"
    return OK


def names_of(record: Record) -> Iterator[str]:
    """The account names one entry gives (an organisation's offer names none)."""
    if isinstance(record, Signup | Attendee | Confirmation):
        yield record.user
    elif isinstance(record, Offer):
        if record.user:
            yield record.user
    elif isinstance(record, Need):
        yield record.by
    elif isinstance(record, Resource):
        if record.by:
            yield record.by
    elif isinstance(record, Event):
        yield record.organizer


def wanted(result: ParseResult) -> set[tuple[str, str]]:
    """(wiki, name) of every account the entries name, each on the wiki it was written on."""
    return {(r.origin.wiki, n) for r in result.records() for n in names_of(r)}


def filter(result: ParseResult, known: Mapping[tuple[str, str], str]) -> ParseResult:
    """The entries whose every name is an account in good standing; the others as problems.

    `known` maps (wiki, name) to a status; a name it lacks counts as `unchecked`, so a
    look-up that failed holds entries out rather than letting them through. Problems keep the
    entry's origin, so the report links the revision and the author's matches stay as they
    are while it is unresolved.
    """
    out = ParseResult(problems=list(result.problems))
    for record in result.records():
        bad = [
            (name, status)
            for name in names_of(record)
            if (status := known.get((record.origin.wiki, name), "unchecked")) != OK
        ]
        if not bad:
            out.add(record)
            continue
        for name, status in bad:
            out.problems.append(
                Problem(record.origin, TEMPLATE[type(record)], f"account-{status}", (name,))
            )
    return out
