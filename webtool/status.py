"""The operator's view of the bot: how the last runs went and when the next one starts.

Why a pure module: the rows come from ``queries.recent_runs`` (the store's ``runs`` table and
the stats JSON ``bot.run.RunReport.as_dict`` writes); turning them into what the status page
and ``/api/v1/status`` show, and reading the schedule from ``jobs.yaml``, needs no database and
no request, so it is tested on plain values. The schedule is read from the same ``jobs.yaml``
that ``toolforge jobs load`` reads, so the page cannot drift from what is deployed from it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

# Every status the bot writes in ``runs.status`` (bot/run.py, bot/store.py).
RUN_STATUSES: tuple[str, ...] = (
    "running",
    "ok",
    "partial",
    "stopped",
    "failed",
    "interrupted",
    "killed",
)
BOT_JOB = "skillmatch-run"
# Message outcomes that mean the message reached its talk page (or would have: dry run).
_DELIVERED = frozenset({"saved", "unchanged", "dry-run"})
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
}


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple | dict):
        return len(value)
    return 0


def run_summary(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One ``runs`` row as the operator reads it; a run still open counts its time up to now."""
    stats: Mapping[str, Any] = row.get("stats") if isinstance(row.get("stats"), dict) else {}  # type: ignore[assignment]
    started = _utc(row.get("started"))
    finished = _utc(row.get("finished"))
    status = str(row.get("status") or "")
    end = finished or (now if status == "running" else None)
    duration = (end - started).total_seconds() if started and end else None
    messages = stats.get("messages") if isinstance(stats.get("messages"), dict) else {}
    undelivered = sum(
        _count(n) for outcome, n in (messages or {}).items() if outcome not in _DELIVERED
    )
    error = stats.get("error") or stats.get("stopped") or None
    return {
        "id": row.get("id"),
        "started": started.isoformat() if started else None,
        "finished": finished.isoformat() if finished else None,
        "duration_seconds": round(duration, 1) if duration is not None else None,
        "status": status,
        "pages_read": _count(stats.get("pages_read")),
        "edits": _count(stats.get("edits")),
        "problems": _count(stats.get("problems")),
        "undelivered": undelivered,
        "refused": _count(stats.get("refused")),
        "unread": _count(stats.get("unread")),
        "failed_edits": _count(stats.get("failed")),
        "error": str(error)[:300] if error else None,
    }


def _field(spec: str, low: int, high: int) -> set[int]:
    """The values one cron field allows: ``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n`` and lists."""
    out: set[int] = set()
    for part in spec.split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if rng == "*":
            first, last = low, high
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = int(a), int(b)
        else:
            first = last = int(rng)
            if step_text:
                last = high
        if step < 1 or not low <= first <= last <= high:
            raise ValueError(f"cron field out of range: {spec!r}")
        out.update(range(first, last + 1, step))
    return out


def next_run(schedule: str, now: datetime) -> datetime | None:
    """The first minute after ``now`` that a five-field cron ``schedule`` (UTC) selects.

    Day-of-month and day-of-week follow cron's rule (either matches when both are restricted).
    None when the schedule is not understood; the page then shows the schedule text only.
    """
    text = _MACROS.get(schedule.strip(), schedule.strip())
    fields = text.split()
    if len(fields) != 5:
        return None
    try:
        minutes = _field(fields[0], 0, 59)
        hours = _field(fields[1], 0, 23)
        days = _field(fields[2], 1, 31)
        months = _field(fields[3], 1, 12)
        weekdays = {d % 7 for d in _field(fields[4], 0, 7)}
    except ValueError:
        return None
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    t = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = t + timedelta(days=366)
    while t < limit:
        if t.month not in months:
            t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        dom_ok, dow_ok = t.day in days, (t.isoweekday() % 7) in weekdays
        day_ok = dom_ok and dow_ok if dom_any or dow_any else dom_ok or dow_ok
        if not day_ok:
            t = t.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if t.hour not in hours:
            t = t.replace(minute=0) + timedelta(hours=1)
            continue
        if t.minute in minutes:
            return t
        t += timedelta(minutes=1)
    return None


@functools.lru_cache(maxsize=4)
def job_schedule(path: Path, job: str = BOT_JOB) -> str | None:
    """The ``schedule`` of ``job`` in a jobs.yaml (None when the file or the job is missing)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    for item in data if isinstance(data, list) else ():
        if isinstance(item, dict) and item.get("name") == job:
            schedule = item.get("schedule")
            return str(schedule) if schedule else None
    return None


def status_document(
    rows: Sequence[Mapping[str, Any]], schedule: str | None, now: datetime
) -> dict[str, Any]:
    """What /status shows and /api/v1/status returns."""
    upcoming = next_run(schedule, now) if schedule else None
    return {
        "now": now.astimezone(UTC).isoformat(),
        "schedule": schedule,
        "next_run": upcoming.isoformat() if upcoming else None,
        "runs": [run_summary(row, now) for row in rows],
    }
