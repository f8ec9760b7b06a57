"""Talk-page messages, composed once when queued so a retried post is byte-identical.

Each message carries a hidden marker with its outbox id and a keyed MAC of it; the
poster checks for it before posting, which is what makes delivery exactly-once across
crashes. The MAC is what makes the marker the bot's own: anyone can write
``<!-- skillmatch:match:… -->`` on a talk page, nobody without the key can write one
that suppresses a message.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from bot import render
from bot.i18n import Messages
from bot.render import esc, user_link

SkillLabel = Callable[[str], str]


KEY_ENV = "SKILLMATCH_MARKER_KEY"
KEY_FILE_ENV = "SKILLMATCH_MARKER_KEY_FILE"


def marker(msg_id: str, key: bytes) -> str:
    """`<!-- skillmatch:<id> <mac> -->`: HMAC-SHA256 of the id, 128 bits shown."""
    mac = hmac.new(key, msg_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"<!-- skillmatch:{msg_id} {mac} -->"


def plain_marker(msg_id: str) -> str:
    """Where the marker goes, as queued: the key stays out of the outbox, and messages
    queued by versions before MACs look the same."""
    return f"<!-- skillmatch:{msg_id} -->"


def with_marker(body: str, msg_id: str, key: bytes) -> str:
    """The text to post: the body with its keyed marker (an older plain one replaced)."""
    plain = "\n" + plain_marker(msg_id)
    if body.endswith(plain):
        body = body[: -len(plain)]
    return f"{body}\n{marker(msg_id, key)}"


def talk_title(user: str) -> str:
    return f"User talk:{user}"


def _payload(
    msg_id: str, wiki: str, user: str, kind: str, heading: str, body: str, summary: str
) -> dict[str, Any]:
    return {
        "id": msg_id,
        "wiki": wiki,
        "title": talk_title(user),
        "kind": kind,
        "payload": {
            "heading": heading,
            "body": f"{body}\n{plain_marker(msg_id)}",  # keyed when posted: `with_marker`
            "summary": summary,
            "user": user,
        },
    }


def match_message(
    match: Mapping[str, Any],
    recipient: str,
    wiki: str,
    msgs: Messages,
    label: SkillLabel,
    pages: Mapping[str, str],
    words: render.Words | None = None,
) -> dict[str, Any]:
    """The announcement of a new match to one of its two people, in their wiki's language."""
    other = match["b"] if recipient == match["a"] else match["a"]
    confirm_page = pages.get("confirmations", pages.get("matches", ""))
    matches_page = pages.get("matches", confirm_page)
    msg_id = f"match:{match['id']}:{recipient}"
    if match["kind"] == "peer":
        skills = match["skills"]
        learns = skills["a_learns"] if recipient == match["a"] else skills["b_learns"]
        teaches = skills["b_learns"] if recipient == match["a"] else skills["a_learns"]
        heading = msgs(
            "skillmatch-notify-peer-heading", esc(render.join_list(map(label, learns), msgs))
        )
        body = msgs(
            "skillmatch-notify-peer-body",
            esc(recipient),
            user_link(other),
            esc(render.join_list(map(label, learns), msgs)),
            esc(render.join_list(map(label, teaches), msgs)),
            esc(match["id"]),
            esc(recipient),
            confirm_page,
            f"{matches_page}#{match['id']}",
        )
        summary = msgs("skillmatch-summary-peer", other)
        return _payload(msg_id, wiki, recipient, "match", heading, body, summary)
    role = "learner" if recipient == match["a"] else "mentor"
    skills_text = esc(render.join_list(map(label, match["skills"]), msgs))
    reasons = render.join_reasons(msgs, match["reasons"], label, words)
    heading = msgs(f"skillmatch-notify-{role}-heading", skills_text)
    body = msgs(
        f"skillmatch-notify-{role}-body",
        esc(recipient),
        user_link(other),
        skills_text,
        reasons,
        esc(match["id"]),
        esc(recipient),
        confirm_page,
        f"{matches_page}#{match['id']}",
    )
    return _payload(
        msg_id, wiki, recipient, "match", heading, body, msgs("skillmatch-summary-notify", other)
    )


def reminder_message(
    match: Mapping[str, Any], recipient: str, wiki: str, msgs: Messages, pages: Mapping[str, str]
) -> dict[str, Any]:
    other = match["b"] if recipient == match["a"] else match["a"]
    confirm_page = pages.get("confirmations", pages.get("matches", ""))
    msg_id = f"reminder:{match['id']}:{recipient}"
    heading = msgs("skillmatch-reminder-heading", esc(match["id"]))
    body = msgs(
        "skillmatch-reminder-body",
        esc(recipient),
        user_link(other),
        esc(match["id"]),
        esc(recipient),
        confirm_page,
    )
    return _payload(
        msg_id,
        wiki,
        recipient,
        "reminder",
        heading,
        body,
        msgs("skillmatch-summary-reminder", match["id"]),
    )


def badge_message(
    award_id: str,
    recipient: str,
    wiki: str,
    badge_name: str,
    skill_label: str | None,
    award_url: str,
    msgs: Messages,
    pages: Mapping[str, str],
) -> dict[str, Any]:
    msg_id = f"badge:{award_id}"
    for_skill = msgs("skillmatch-badge-for-skill", esc(skill_label)) if skill_label else ""
    heading = msgs("skillmatch-badge-heading", esc(badge_name))
    body = msgs(
        "skillmatch-badge-body",
        esc(recipient),
        esc(badge_name),
        for_skill,
        award_url,
        pages.get("badges", ""),
    )
    return _payload(
        msg_id,
        wiki,
        recipient,
        "badge",
        heading,
        body,
        msgs("skillmatch-summary-badge-notify", badge_name),
    )
