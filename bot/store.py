"""The one SQL layer: SQLite by default, ToolsDB (MariaDB) on Toolforge.

Everything the bot learns lands here, and the web tool reads only this. The
schema sticks to SQLAlchemy Core types that both dialects map well (bounded
VARCHARs for indexed columns so utf8mb4 keys fit MariaDB's index limit, JSON
for small lists), and every multi-row write happens in one transaction so a
killed run leaves either the old or the new state, never half of each.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine

from bot.models import (
    Attendee,
    Confirmation,
    Event,
    Need,
    Offer,
    Origin,
    ParseResult,
    Problem,
    Record,
    Resource,
    Signup,
    SkillLevel,
)

SCHEMA_VERSION = 1
LOCK_KEY = "run_lock"

metadata = sa.MetaData()

NAME = 255  # titles and names; 255 utf8mb4 chars stay under MariaDB's 3072-byte key limit


def Key(length: int) -> sa.types.TypeEngine[str]:  # noqa: N802 - reads like a column type
    """A string that compares exactly: MariaDB's default `_ci` collations would merge
    "Foo"/"foo" and different emoji into one key, SQLite would not."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started", sa.DateTime, nullable=False),
    sa.Column("finished", sa.DateTime),
    sa.Column("status", Key(20), nullable=False),
    sa.Column("stats", sa.JSON),
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", Key(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Authorship state per signup page: what the bot has already read of its history.
pages = sa.Table(
    "pages",
    metadata,
    sa.Column("wiki", Key(64), primary_key=True),
    sa.Column("title", Key(NAME), primary_key=True),
    sa.Column("last_revid", sa.Integer, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated", sa.DateTime, nullable=False),
)

# Every accepted entry. `data` holds the whole record; skills and languages are
# broken out so the web tool can filter without parsing JSON in SQL.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", Key(20), nullable=False),
    sa.Column("wiki", Key(64), nullable=False),
    sa.Column("page", Key(NAME), nullable=False),
    sa.Column("owner", Key(NAME), nullable=False),
    sa.Column("community", Key(NAME)),
    sa.Column("region", Key(NAME)),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("revid", sa.Integer, nullable=False),
    sa.Column("author", Key(NAME), nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Index("ix_entries_owner", "owner"),
    sa.Index("ix_entries_page", "wiki", "page"),
    sa.Index("ix_entries_kind", "kind"),
)

# role: want | offer (signup offers, peer) | mentor (Skill offer) | need | resource | event
entry_skills = sa.Table(
    "entry_skills",
    metadata,
    sa.Column(
        "entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("skill", Key(64), primary_key=True),
    sa.Column("role", Key(12), primary_key=True),
    sa.Column("level", Key(16)),
    sa.Index("ix_entry_skills_skill", "skill", "role"),
)

entry_languages = sa.Table(
    "entry_languages",
    metadata,
    sa.Column(
        "entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("lang", Key(32), primary_key=True),
    sa.Index("ix_entry_languages_lang", "lang"),
)

problems = sa.Table(
    "problems",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("wiki", Key(64), nullable=False),
    sa.Column("page", Key(NAME), nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("revid", sa.Integer, nullable=False),
    sa.Column("author", Key(NAME), nullable=False),
    sa.Column("template", Key(64), nullable=False),
    sa.Column("code", Key(64), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("snippet", sa.Text, nullable=False),
    sa.Index("ix_problems_page", "wiki", "page"),
)

# The aggregated needs map, one row per (skill, community, language, region) cell.
needs_map = sa.Table(
    "needs_map",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("skill", Key(64), nullable=False),
    sa.Column("community", Key(NAME), nullable=False),
    sa.Column("lang", Key(32), nullable=False),
    sa.Column("region", Key(NAME), nullable=False),
    sa.Column("learners", sa.Integer, nullable=False),
    sa.Column("mentor_capacity", sa.Integer, nullable=False),
    sa.Column("recorded_need", sa.Integer, nullable=False),
    sa.Column("resources", sa.Integer, nullable=False),
    sa.Column("demand", sa.Float, nullable=False),
    sa.Column("gap", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("suggestion", Key(32), nullable=False),
    sa.Column("suggestion_params", sa.JSON, nullable=False),
    sa.Index("ix_needs_map_skill", "skill"),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("id", Key(32), primary_key=True),
    sa.Column("kind", Key(8), nullable=False),  # mentor | peer
    sa.Column("a", Key(NAME), nullable=False),  # learner (or peer a)
    sa.Column("b", Key(NAME), nullable=False),  # mentor (or peer b)
    sa.Column("a_wiki", Key(64), nullable=False),
    sa.Column("b_wiki", Key(64), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),  # mentor: skills; peer: {"a_learns", "b_learns"}
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("state", Key(16), nullable=False),  # proposed active completed declined ended
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("updated", sa.DateTime, nullable=False),
    sa.Column("reminded", sa.DateTime),
    sa.Index("ix_matches_a", "a"),
    sa.Index("ix_matches_b", "b"),
)

waiting = sa.Table(
    "waiting",
    metadata,
    sa.Column("username", Key(NAME), primary_key=True),
    sa.Column("wiki", Key(64), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("why", Key(32), nullable=False),
)

# Talk-page messages: queued in the same transaction as the fact they announce,
# then posted; the marker written into each message makes a retried post detectable.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", Key(64), primary_key=True),
    sa.Column("wiki", Key(64), nullable=False),
    sa.Column("title", Key(NAME), nullable=False),
    sa.Column("kind", Key(16), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("state", Key(12), nullable=False),  # pending posted skipped failed
    sa.Column("reason", Key(NAME)),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("done", sa.DateTime),
    sa.Column("revid", sa.Integer),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),  # passing faults so far
    sa.Index("ix_outbox_state", "state"),
)

awards = sa.Table(
    "awards",
    metadata,
    sa.Column("id", Key(64), primary_key=True),
    sa.Column("username", Key(NAME), nullable=False),
    sa.Column("wiki", Key(64), nullable=False),
    sa.Column("badge_class", Key(64), nullable=False),
    sa.Column("skill", Key(64)),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("salt", Key(64), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
    sa.Column("revocation_reason", Key(NAME)),
    sa.Index("ix_awards_user", "username"),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("username", Key(NAME), primary_key=True),
    sa.Column("wiki", Key(64), nullable=False),  # where they signed up first
    sa.Column("notify", sa.Boolean, nullable=False, default=True),
)

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("username", Key(NAME), primary_key=True),
    sa.Column("last_edit", sa.DateTime),  # newest edit seen on any wiki, UTC; None: none yet
    sa.Column("checked", sa.DateTime),  # when the wikis were last asked (contributions)
)

# What each wiki said of an account name (bot.accounts statuses), cached for a while so an
# hourly run does not ask again about the same names; `checked` says when it was asked.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("wiki", Key(64), primary_key=True),
    sa.Column("username", Key(NAME), primary_key=True),
    sa.Column("status", Key(16), nullable=False),
    sa.Column("registration", sa.String(32)),
    sa.Column("editcount", sa.Integer),
    sa.Column("checked", sa.DateTime, nullable=False),
)

# The public OB 3.0 signing keys the web tool has signed with (RFC 7638 thumbprint, JWK
# JSON), so the JWKS keeps every key that credentials already issued still need after the
# operator rotates; `withdrawn` (UTC) takes a retired key out of the JWKS on purpose.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("thumbprint", Key(64), primary_key=True),
    sa.Column("alg", Key(16), nullable=False),
    sa.Column("jwk", sa.Text, nullable=False),
    sa.Column("first_used", sa.DateTime, nullable=False),
    sa.Column("withdrawn", sa.DateTime),
)

KIND_OF: dict[type, str] = {
    Signup: "signup",
    Offer: "offer",
    Need: "need",
    Resource: "resource",
    Event: "event",
    Attendee: "attendee",
    Confirmation: "confirm",
}
TYPE_OF: dict[str, type] = {v: k for k, v in KIND_OF.items()}
BUCKET_OF: dict[str, str] = {
    "signup": "signups",
    "offer": "offers",
    "need": "needs",
    "resource": "resources",
    "event": "events",
    "attendee": "attendees",
    "confirm": "confirmations",
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def record_to_dict(record: Record) -> dict[str, Any]:
    """A JSON-ready dict; the inverse of `record_from_dict`."""
    data: dict[str, Any] = _jsonable(record)
    return data


def record_from_dict(kind: str, data: Mapping[str, Any]) -> Record:
    cls = TYPE_OF[kind]
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        raw = data[f.name]
        if f.name == "origin":
            values[f.name] = Origin(**raw)
        elif f.name in ("wants", "offers") or (f.name == "skills" and cls is Offer):
            values[f.name] = tuple(SkillLevel(**s) for s in raw)
        elif f.name in ("away_until", "date") and raw is not None:
            values[f.name] = date.fromisoformat(raw)
        elif isinstance(raw, list):
            values[f.name] = tuple(raw)
        else:
            values[f.name] = raw
    record: Record = cls(**values)
    return record


def _skill_rows(kind: str, record: Record) -> list[tuple[str, str, str | None]]:
    """(skill, role, level) triples indexed for the web tool's filters."""
    if isinstance(record, Signup):
        rows = [(s.skill, "want", s.level) for s in record.wants]
        return rows + [(s.skill, "offer", s.level) for s in record.offers]
    if isinstance(record, Offer):
        return [(s.skill, "mentor", s.level) for s in record.skills]
    if isinstance(record, Need):
        return [(record.skill, "need", None)]
    if isinstance(record, Resource):
        return [(s, "resource", None) for s in record.skills]
    if isinstance(record, Event):
        return [(s, "event", None) for s in record.skills]
    return []


def _owner(record: Record) -> str:
    if isinstance(record, Offer):
        return record.owner
    if isinstance(record, Need):
        return record.by
    if isinstance(record, Resource):
        return record.by or ""
    if isinstance(record, Event):
        return record.organizer
    return record.user


class Store:
    """SQLAlchemy Core over one URL; `sqlite:///path` or `mysql+pymysql://…`."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("mysql"):
            kwargs["pool_recycle"] = 280  # ToolsDB drops idle connections
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = sa.create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            self._upsert(
                conn, meta, {"key": "schema_version", "value": str(SCHEMA_VERSION)}, ("key",)
            )

    def copy_to(self, other: Store) -> None:
        """Every row of this store into `other` (an empty one), for a dry run's scratch copy."""
        other.create_schema()
        with self.engine.connect() as src, other.engine.begin() as dst:
            for table in metadata.sorted_tables:
                dst.execute(table.delete())
                rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
                if rows:
                    dst.execute(table.insert(), rows)

    def drop_schema(self) -> None:
        metadata.drop_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- generic helpers -------------------------------------------------

    def _upsert(
        self, conn: Connection, table: sa.Table, values: Mapping[str, Any], key: Sequence[str]
    ) -> None:
        """Insert or update by primary key; portable because it avoids dialect upserts."""
        cond = sa.and_(*(table.c[k] == values[k] for k in key))
        updated = conn.execute(
            table.update().where(cond).values({k: v for k, v in values.items() if k not in key})
        )
        if updated.rowcount == 0:
            conn.execute(table.insert().values(dict(values)))

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, meta, {"key": key, "value": value}, ("key",))

    # -- runs --------------------------------------------------------------

    def take_lock(self, holder: Mapping[str, Any], stale: Callable[[dict[str, Any]], bool]) -> bool:
        """Hold the one run lock (a row keyed ``run_lock``); False if a live run has it.

        A lock whose holder ``stale`` declares dead (its process is gone, or it is too old)
        is broken. The insert of the primary key is what decides between two starters.
        """
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(meta.c.value).where(meta.c.key == LOCK_KEY)).scalar()
            if row is not None:
                if not stale(json.loads(row)):
                    return False
                conn.execute(meta.delete().where(meta.c.key == LOCK_KEY, meta.c.value == row))
        try:
            with self.engine.begin() as conn:
                conn.execute(meta.insert().values(key=LOCK_KEY, value=json.dumps(dict(holder))))
        except sa.exc.IntegrityError:
            return False
        return True

    def drop_lock(self, holder: Mapping[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                meta.delete().where(
                    meta.c.key == LOCK_KEY, meta.c.value == json.dumps(dict(holder))
                )
            )

    def begin_run(self) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(runs.insert().values(started=_now(), status="running", stats={}))
            return int(res.inserted_primary_key[0])

    def finish_run(self, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
        """Close a run's row: ok, failed, partial (a wiki stopped answering) or stopped."""
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(finished=_now(), status=status, stats=dict(stats))
            )

    def mark_killed_runs(self) -> list[int]:
        """Rows still `running` once this process holds the run lock belong to runs that
        died without closing them (SIGKILL, power loss): mark them `killed`."""
        with self.engine.begin() as conn:
            ids = list(
                conn.execute(sa.select(runs.c.id).where(runs.c.status == "running")).scalars()
            )
            if ids:
                conn.execute(runs.update().where(runs.c.id.in_(ids)).values(status="killed"))
        return ids

    def runs(self) -> list[dict[str, Any]]:
        """Every run's row, oldest first (for the operator and tests)."""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(runs).order_by(runs.c.id)).mappings()]

    def last_run(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(runs).where(runs.c.status == "ok").order_by(runs.c.id.desc()).limit(1)
                )
                .mappings()
                .first()
            )
            return dict(row) if row else None

    # -- page history state -----------------------------------------------

    def page_states(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, Any]]:
        wanted = set(keys)
        out: dict[tuple[str, str], tuple[int, Any]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(
                sa.select(pages.c.wiki, pages.c.title, pages.c.last_revid, pages.c.state)
            ):
                if (row.wiki, row.title) in wanted:
                    out[(row.wiki, row.title)] = (row.last_revid, row.state)
        return out

    def page_rows(self, wiki: str) -> dict[str, tuple[int, Any]]:
        """Every page of `wiki` whose history the store follows: title → (last revid, state).
        The state holds the page id, the page's identity across moves."""
        with self.engine.connect() as conn:
            return {
                row.title: (row.last_revid, row.state)
                for row in conn.execute(
                    sa.select(pages.c.title, pages.c.last_revid, pages.c.state).where(
                        pages.c.wiki == wiki
                    )
                )
            }

    def page_titles(self, wiki: str) -> list[str]:
        """Titles of `wiki` whose history the store has followed."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(sa.select(pages.c.title).where(pages.c.wiki == wiki)).scalars()
            )

    def forget_pages(self, conn: Connection, keys: Iterable[tuple[str, str]]) -> None:
        """Drop pages the bot no longer reads (moved away, or left the configuration)."""
        keys = list(keys)
        self.replace_entries(conn, ParseResult(), keys)
        for wiki, title in keys:
            conn.execute(pages.delete().where(pages.c.wiki == wiki, pages.c.title == title))

    def save_page_state(
        self, conn: Connection, wiki: str, title: str, revid: int, state: Any
    ) -> None:
        self._upsert(
            conn,
            pages,
            {"wiki": wiki, "title": title, "last_revid": revid, "state": state, "updated": _now()},
            ("wiki", "title"),
        )

    # -- entries -------------------------------------------------------------

    def replace_entries(
        self, conn: Connection, result: ParseResult, page_keys: Iterable[tuple[str, str]]
    ) -> None:
        """Swap in the entries of the given pages; the other pages' entries stay."""
        for wiki, title in page_keys:
            ids = sa.select(entries.c.id).where(entries.c.wiki == wiki, entries.c.page == title)
            conn.execute(entry_skills.delete().where(entry_skills.c.entry_id.in_(ids)))
            conn.execute(entry_languages.delete().where(entry_languages.c.entry_id.in_(ids)))
            conn.execute(entries.delete().where(entries.c.wiki == wiki, entries.c.page == title))
            conn.execute(problems.delete().where(problems.c.wiki == wiki, problems.c.page == title))
        for kind, bucket in BUCKET_OF.items():
            for record in getattr(result, bucket):
                self._insert_entry(conn, kind, record)
        if result.problems:
            conn.execute(
                problems.insert(),
                [
                    {
                        "wiki": p.origin.wiki,
                        "page": p.origin.page,
                        "line": p.origin.line,
                        "revid": p.origin.revid,
                        "author": p.origin.author,
                        "template": p.template[:64],
                        "code": p.code,
                        "params": list(p.params),
                        "snippet": p.snippet,
                    }
                    for p in result.problems
                ],
            )

    def _insert_entry(self, conn: Connection, kind: str, record: Record) -> None:
        origin = record.origin
        res = conn.execute(
            entries.insert().values(
                kind=kind,
                wiki=origin.wiki,
                page=origin.page,
                owner=_owner(record),
                community=getattr(record, "community", None),
                region=getattr(record, "region", None),
                data=record_to_dict(record),
                revid=origin.revid,
                author=origin.author,
                line=origin.line,
            )
        )
        entry_id = res.inserted_primary_key[0]
        skill_rows = {(s, role): level for s, role, level in _skill_rows(kind, record)}
        if skill_rows:
            conn.execute(
                entry_skills.insert(),
                [
                    {"entry_id": entry_id, "skill": s, "role": role, "level": level}
                    for (s, role), level in skill_rows.items()
                ],
            )
        langs = sorted(set(getattr(record, "languages", ()) or ()))
        if langs:
            conn.execute(
                entry_languages.insert(), [{"entry_id": entry_id, "lang": lang} for lang in langs]
            )

    def load_entries(self) -> ParseResult:
        result = ParseResult()
        with self.engine.connect() as conn:
            for row in conn.execute(
                sa.select(entries.c.kind, entries.c.data).order_by(entries.c.id)
            ):
                result.add(record_from_dict(row.kind, row.data))
            for p in conn.execute(sa.select(problems).order_by(problems.c.id)).mappings():
                result.problems.append(
                    Problem(
                        origin=Origin(p["wiki"], p["page"], p["line"], p["revid"], p["author"]),
                        template=p["template"],
                        code=p["code"],
                        params=tuple(p["params"]),
                        snippet=p["snippet"],
                    )
                )
        return result

    # -- needs map -------------------------------------------------------------

    def replace_needs_map(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        conn.execute(needs_map.delete())
        if rows:
            conn.execute(needs_map.insert(), [dict(r) for r in rows])

    # -- matches ---------------------------------------------------------------

    def load_matches(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(sa.select(matches).order_by(matches.c.id)).mappings()
            ]

    def save_match(self, conn: Connection, row: Mapping[str, Any]) -> None:
        values = dict(row)
        values.setdefault("updated", _now())
        values.setdefault("created", _now())
        self._upsert(conn, matches, values, ("id",))

    def replace_waiting(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        conn.execute(waiting.delete())
        if rows:
            conn.execute(waiting.insert(), [dict(r) for r in rows])

    def load_waiting(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r)
                for r in conn.execute(sa.select(waiting).order_by(waiting.c.username)).mappings()
            ]

    # -- outbox ------------------------------------------------------------------

    def enqueue(self, conn: Connection, item: Mapping[str, Any]) -> bool:
        """Queue a message once; False when the same id was queued before."""
        exists = conn.execute(sa.select(outbox.c.id).where(outbox.c.id == item["id"])).first()
        if exists:
            return False
        conn.execute(outbox.insert().values(state="pending", created=_now(), **dict(item)))
        return True

    def pending_messages(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox)
                .where(outbox.c.state == "pending")
                .order_by(outbox.c.created, outbox.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def mark_message(
        self, msg_id: str, state: str, reason: str | None = None, revid: int | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.id == msg_id)
                .values(state=state, reason=reason, revid=revid, done=_now())
            )

    def retry_message(self, msg_id: str, reason: str, give_up_after: int) -> bool:
        """Count a passing fault; the message stays pending until `give_up_after` of them.
        True when it is given up (marked failed)."""
        with self.engine.begin() as conn:
            attempts = (
                conn.execute(sa.select(outbox.c.attempts).where(outbox.c.id == msg_id)).scalar()
                or 0
            ) + 1
            gave_up = attempts >= give_up_after
            values: dict[str, Any] = {"attempts": attempts, "reason": reason[:NAME]}
            if gave_up:
                values.update(state="failed", done=_now())
            conn.execute(outbox.update().where(outbox.c.id == msg_id).values(**values))
        return gave_up

    def undelivered(self, wiki: str) -> list[dict[str, Any]]:
        """Messages the wiki refused (protected page, edit filter, block, nobots)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.title, outbox.c.reason)
                .where(outbox.c.wiki == wiki, outbox.c.state.in_(("failed", "skipped")))
                .order_by(outbox.c.title, outbox.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    # -- people and awards --------------------------------------------------------

    def upsert_person(self, conn: Connection, username: str, wiki: str, notify: bool) -> None:
        self._upsert(
            conn, people, {"username": username, "wiki": wiki, "notify": notify}, ("username",)
        )

    def last_edits(self, usernames: Iterable[str]) -> dict[str, datetime]:
        """The newest edit known of each user (UTC), for those the store has seen edit."""
        return {u: t for u, (t, _) in self.activity(usernames).items() if t is not None}

    def activity(
        self, usernames: Iterable[str]
    ) -> dict[str, tuple[datetime | None, datetime | None]]:
        """(newest edit known, when the wikis were last asked) per user the store knows."""
        wanted = set(usernames)

        def utc(value: datetime | None) -> datetime | None:
            return value.replace(tzinfo=UTC) if value is not None else None

        out: dict[str, tuple[datetime | None, datetime | None]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunked(sorted(wanted), 500):
                query = sa.select(activity).where(activity.c.username.in_(chunk))
                for row in conn.execute(query):
                    out[row.username] = (utc(row.last_edit), utc(row.checked))
        return out

    def note_edits(
        self, conn: Connection, edits: Mapping[str, datetime], checked: Iterable[str] = ()
    ) -> None:
        """Remember edits seen (page histories, contributions); a user's newest one wins.
        Users in `checked` were just looked up on the wikis, edits found or not."""
        asked = set(checked)
        if not edits and not asked:
            return
        now = _now()
        known: dict[str, datetime | None] = {}
        for chunk in _chunked(sorted(set(edits) | asked), 500):
            query = sa.select(activity.c.username, activity.c.last_edit).where(
                activity.c.username.in_(chunk)
            )
            for row in conn.execute(query):
                known[row.username] = row.last_edit.replace(tzinfo=UTC) if row.last_edit else None
        for user in sorted(set(edits) | asked):
            values: dict[str, Any] = {"username": user}
            when = edits.get(user)
            old = known.get(user)
            if when is not None and (old is None or when > old):
                values["last_edit"] = when.astimezone(UTC).replace(tzinfo=None, microsecond=0)
            if user in asked:
                values["checked"] = now
            if len(values) > 1:
                self._upsert(conn, activity, values, ("username",))

    def load_awards(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(sa.select(awards).order_by(awards.c.id)).mappings()
            ]

    def save_award(self, conn: Connection, row: Mapping[str, Any]) -> None:
        self._upsert(conn, awards, row, ("id",))

    # -- accounts and secrets -------------------------------------------------------

    def load_accounts(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str, datetime]]:
        """(status, when checked, UTC) of each (wiki, name) the store has looked up."""
        wanted: dict[str, list[str]] = {}
        for wiki, name in set(keys):
            wanted.setdefault(wiki, []).append(name)
        out: dict[tuple[str, str], tuple[str, datetime]] = {}
        with self.engine.connect() as conn:
            for wiki, names in wanted.items():
                for chunk in _chunked(sorted(names), 500):
                    query = sa.select(accounts).where(
                        accounts.c.wiki == wiki, accounts.c.username.in_(chunk)
                    )
                    for row in conn.execute(query):
                        out[(wiki, row.username)] = (row.status, row.checked.replace(tzinfo=UTC))
        return out

    def save_accounts(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Remember look-ups: dicts of wiki, username, status, registration, editcount."""
        now = _now()
        for row in rows:
            self._upsert(
                conn,
                accounts,
                {
                    "wiki": row["wiki"],
                    "username": row["username"],
                    "status": row["status"],
                    "registration": row.get("registration"),
                    "editcount": row.get("editcount"),
                    "checked": now,
                },
                ("wiki", "username"),
            )

    def marker_key(self) -> bytes:
        """The store's own secret for talk-page markers, made on first use.

        A fallback for when the operator gives none (SKILLMATCH_MARKER_KEY): the key only
        has to be unknown to wiki editors and stable for this store, and whoever can read
        the store can already read and change the outbox the markers protect.
        """
        return self._own_secret("marker_key")

    # -- OB 3.0 signing keys ------------------------------------------------

    def _ensure_signing_keys(self) -> None:
        """Create the table a store made before it existed lacks (two workers may race)."""
        try:
            signing_keys.create(self.engine, checkfirst=True)
        except sa.exc.DBAPIError:
            if not sa.inspect(self.engine).has_table(signing_keys.name):
                raise

    def remember_signing_key(self, thumbprint: str, alg: str, jwk: str) -> None:
        """Record a public key the tool signs with (once; a withdrawn key stays withdrawn).

        The table is created on first use, so a store made before it existed needs no
        migration step before the web tool signs.
        """
        self._ensure_signing_keys()
        try:
            with self.engine.begin() as conn:
                found = conn.execute(
                    sa.select(signing_keys.c.thumbprint).where(
                        signing_keys.c.thumbprint == thumbprint
                    )
                ).first()
                if found is None:
                    conn.execute(
                        signing_keys.insert().values(
                            thumbprint=thumbprint, alg=alg, jwk=jwk, first_used=_now()
                        )
                    )
        except sa.exc.IntegrityError:
            pass  # another web worker recorded the same key at the same moment

    def signing_keys(self) -> list[dict[str, Any]]:
        """Every recorded signing key, oldest first, withdrawn ones included."""
        self._ensure_signing_keys()
        with self.engine.connect() as conn:
            query = sa.select(signing_keys).order_by(
                signing_keys.c.first_used, signing_keys.c.thumbprint
            )
            return [dict(r) for r in conn.execute(query).mappings()]

    def withdraw_signing_key(self, thumbprint: str) -> bool:
        """Take a retired key out of the JWKS; False when no such key is recorded."""
        self._ensure_signing_keys()
        with self.engine.begin() as conn:
            done = conn.execute(
                signing_keys.update()
                .where(signing_keys.c.thumbprint == thumbprint)
                .values(withdrawn=_now())
            )
        return bool(done.rowcount)

    def subject_key(self) -> bytes:
        """The store's secret for OB 3.0 subject ids (``credentialSubject.id``), made once.

        Subject ids must be stable per recipient and reveal nothing without it; it lives with
        the awards it names, like `marker_key`.
        """
        return self._own_secret("ob3_subject_key")

    def _own_secret(self, name: str) -> bytes:
        """A random secret kept under `name` in the meta table, made on first use."""
        query = sa.select(meta.c.value).where(meta.c.key == name)
        try:
            with self.engine.begin() as conn:
                found = conn.execute(query).scalar()
                if found is None:
                    found = secrets.token_hex(32)
                    conn.execute(meta.insert().values(key=name, value=found))
        except sa.exc.IntegrityError:  # another process made it first: use theirs
            with self.engine.connect() as conn:
                found = conn.execute(query).scalar()
        return str(found).encode("ascii")


def store_fault(exc: BaseException) -> str | None:
    """What the database said, if `exc` is the store failing (read-only file, full disk,
    lost connection) rather than a bug; each transaction was rolled back whole."""
    if isinstance(exc, sa.exc.DBAPIError):
        return str(exc.orig).splitlines()[0][:300]
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return str(exc).splitlines()[0][:300]
    return None


def _chunked(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Bounded IN lists (SQLite allows a few hundred variables per statement, safely)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)
