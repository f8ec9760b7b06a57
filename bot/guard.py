"""The large-change guard: a run may not end or revoke much of what people hold at once.

A configuration mistake (a typo'd key, a wrong prefix, a wiki left out) looks to the bot
exactly like every volunteer leaving: their entries vanish, so their matches end and their
badges are revoked, with messages and bot edits to follow. A real exodus is rare and slow.
So a run stops, before the phase concerned writes anything, when it would end more than
`max_change_share` of the live matches, revoke that share of the live badges, or forget that
share of the signup pages the store holds because the configuration no longer names them
(the earliest sign, checked before anything is read) -- and more than `max_change_floor` of
them, so tiny stores are not blocked. It waits for the operator to confirm
(`--confirm-large-change`, or `confirm_large_change: true`). Pure: counts in, verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """What one phase would take away: `removed` of the `live` items of one `kind`."""

    kind: str  # "matches" (ended by the bot), "badges" (revoked), "signup pages" (forgotten)
    live: int
    removed: int

    @property
    def share(self) -> float:
        return self.removed / self.live if self.live else 0.0


_VERBS = {"matches": "end", "badges": "revoke", "signup pages": "forget"}
_NOUNS = {
    "matches": "live matches",
    "badges": "live badges",
    "signup pages": "signup pages it holds (the configuration no longer names them)",
}


def too_large(change: Change, *, max_share: float, floor: int) -> bool:
    """Whether `change` needs the operator's confirmation.

    Both limits must be passed: more than `floor` items (so a store of five matches may lose
    three) and more than `max_share` of the live ones (so a big store may lose a few).
    """
    return change.removed > floor and change.removed > max_share * change.live


def message(change: Change, *, max_share: float, floor: int) -> str:
    """Why the run stopped, with the counts the operator needs to judge it (English: this
    is for the operator's terminal and log, not for the wiki)."""
    return (
        f"this run would {_VERBS.get(change.kind, 'remove')} {change.removed} of {change.live} "
        f"{_NOUNS.get(change.kind, change.kind)} ({change.share:.0%}; the limit is "
        f"{max_share:.0%} and more than {floor}). None of it was written. If this is intended "
        "(check the configuration first: a missing or misspelt signup page looks exactly "
        "like everyone leaving), run again with --confirm-large-change or set "
        "confirm_large_change: true"
    )
