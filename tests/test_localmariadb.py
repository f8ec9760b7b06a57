"""Tests for the private MariaDB harness and for the SQL we rely on in both dialects.

Why: the store must behave identically on SQLite (dev/tests) and MariaDB (ToolsDB).
These tests pin the cross-dialect facts it depends on: utf8mb4 round-trips, autoincrement,
a portable upsert, and collation pitfalls; plus the server's lifecycle guarantees.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from devtools import localmariadb
from devtools.localmariadb import LocalMariaDB, MariaDBNotInstalledError, port_is_open

# Loads db_url/mariadb_url even before tests/conftest.py wires the plugin; a no-op after.
pytest_plugins = ["tests.dbharness"]

REPO = Path(__file__).resolve().parent.parent

TEXTS = {
    "arabic": "تطوير المهارات المحلية — ويكيبيديا",
    "japanese": "地域のスキル開発（ウィキメディア）",
    "emoji": "🎓📚 skills 👩🏽‍💻 ✨",
    "cjk_ext_b": "𠮷野家 𩸽",  # 4-byte CJK: breaks MySQL's 3-byte "utf8"
    "mixed": "Ünïcødé ✓ 😀 ﷽",
}

# Binary collation on MariaDB so keys compare like SQLite does (exactly, case-sensitive,
# emoji-distinct).  SQLite rejects unknown COLLATE names, hence the variant.
KeyString = sa.String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    values: Sequence[Mapping[str, Any]],
    key_cols: Sequence[str],
) -> None:
    """INSERT rows, updating non-key columns where ``key_cols`` already exist.

    SQLAlchemy has no generic upsert, so dispatch on dialect: SQLite/PostgreSQL use
    ``ON CONFLICT (keys) DO UPDATE SET c = excluded.c``; MariaDB uses
    ``ON DUPLICATE KEY UPDATE c = VALUES(c)``.  ``key_cols`` must carry a UNIQUE/PK
    constraint on both.  Caveat: MariaDB fires on *any* unique key, SQLite only on the
    named one (another unique clash raises IntegrityError there).
    """
    rows = [dict(row) for row in values]
    if not rows:
        return
    update_cols = [col for col in rows[0] if col not in key_cols]
    name = conn.dialect.name
    stmt: sa.Insert
    if name in ("sqlite", "postgresql"):
        ins = sqlite.insert(table) if name == "sqlite" else postgresql.insert(table)
        if update_cols:
            stmt = ins.on_conflict_do_update(
                index_elements=list(key_cols),
                set_={col: ins.excluded[col] for col in update_cols},
            )
        else:
            stmt = ins.on_conflict_do_nothing(index_elements=list(key_cols))
    elif name in ("mysql", "mariadb"):
        my = mysql.insert(table)
        # With nothing to update, "k = VALUES(k)" is the idiomatic no-op.
        targets = update_cols or list(key_cols[:1])
        stmt = my.on_duplicate_key_update({col: my.inserted[col] for col in targets})
    else:
        raise NotImplementedError(f"upsert not implemented for dialect {name!r}")
    conn.execute(stmt, rows)


def skills_table(metadata: sa.MetaData) -> sa.Table:
    """Typical store table: autoincrement id, unique key, unicode text, an index."""
    return sa.Table(
        "skills",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", KeyString, nullable=False),
        sa.Column("lang", sa.String(20), nullable=False, server_default="en"),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("score", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("title", name="uq_skills_title"),
        sa.Index("ix_skills_lang_score", "lang", "score"),
    )


@pytest.fixture
def engine(db_url: str):
    eng = sa.create_engine(db_url)
    yield eng
    eng.dispose()


# --------------------------------------------------------------- both dialects
def test_unicode_roundtrip_and_index(engine: sa.Engine) -> None:
    md = sa.MetaData()
    skills = skills_table(md)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            skills.insert(),
            [{"title": key, "lang": key[:2], "body": text} for key, text in TEXTS.items()]
            + [{"title": text, "lang": "xx", "body": key} for key, text in TEXTS.items()],
        )
    with engine.connect() as conn:
        got = dict(conn.execute(sa.select(skills.c.title, skills.c.body)).tuples().all())
        for key, text in TEXTS.items():
            assert got[key] == text
            assert got[text] == key  # unicode in the UNIQUE key column too
        # Lookup through the unique index with a 4-byte key.
        hit = conn.execute(sa.select(skills.c.body).where(skills.c.title == TEXTS["emoji"]))
        assert hit.scalar_one() == "emoji"
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("skills")}
        assert "ix_skills_lang_score" in names
        if engine.dialect.name in ("mysql", "mariadb"):
            # Characters, not bytes, survived: utf8mb4 end to end (no '?' or mojibake).
            row = conn.execute(
                sa.select(sa.func.char_length(skills.c.body), sa.func.length(skills.c.body)).where(
                    skills.c.title == "cjk_ext_b"
                )
            ).one()
            assert row == (len(TEXTS["cjk_ext_b"]), len(TEXTS["cjk_ext_b"].encode()))
            charsets = conn.execute(
                sa.text(
                    "SELECT DISTINCT character_set_name FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND table_name = 'skills' "
                    "AND character_set_name IS NOT NULL"
                )
            ).scalars()
            assert set(charsets) == {"utf8mb4"}


def test_autoincrement_ids(engine: sa.Engine) -> None:
    md = sa.MetaData()
    skills = skills_table(md)
    md.create_all(engine)
    with engine.begin() as conn:
        first = conn.execute(skills.insert().values(title="a", body="x")).inserted_primary_key
        conn.execute(skills.insert(), [{"title": "b", "body": "y"}, {"title": "c", "body": "z"}])
        ids = conn.execute(sa.select(skills.c.id).order_by(skills.c.id)).scalars().all()
    assert first is not None and first[0] == 1
    assert ids == [1, 2, 3]


def test_upsert_inserts_then_updates(engine: sa.Engine) -> None:
    md = sa.MetaData()
    skills = skills_table(md)
    md.create_all(engine)
    with engine.begin() as conn:
        upsert(
            conn,
            skills,
            [
                {"title": "Foo", "body": "v1", "score": 1},
                {"title": "😀", "body": "grin", "score": 1},
            ],
            ["title"],
        )
        upsert(
            conn,
            skills,
            [
                {"title": "Foo", "body": "v2", "score": 2},  # update
                {"title": "foo", "body": "lower", "score": 3},  # distinct key (case)
                {"title": "😃", "body": "smile", "score": 4},  # distinct key (emoji)
                {"title": "مهارة", "body": "ar", "score": 5},  # new
            ],
            ["title"],
        )
        upsert(conn, skills, [], ["title"])  # no-op
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(skills.c.id, skills.c.title, skills.c.body, skills.c.score).order_by(
                skills.c.id
            )
        ).all()
    by_title = {title: (body, score) for _id, title, body, score in rows}
    assert by_title == {
        "Foo": ("v2", 2),
        "😀": ("grin", 1),
        "foo": ("lower", 3),
        "😃": ("smile", 4),
        "مهارة": ("ar", 5),
    }
    # Updates keep the row id (no delete+insert as REPLACE INTO would do).
    assert [title for _id, title, *_ in rows][:2] == ["Foo", "😀"]
    assert rows[0][0] == 1


def test_upsert_with_only_key_columns_ignores_duplicates(engine: sa.Engine) -> None:
    md = sa.MetaData()
    tags = sa.Table("tags", md, sa.Column("name", KeyString, primary_key=True))
    md.create_all(engine)
    with engine.begin() as conn:
        upsert(conn, tags, [{"name": "a"}, {"name": "😀"}], ["name"])
        upsert(conn, tags, [{"name": "a"}, {"name": "b"}, {"name": "b"}], ["name"])
        names = conn.execute(sa.select(tags.c.name)).scalars().all()
    assert sorted(names) == sorted(["a", "b", "😀"])


def test_default_collation_conflates_keys_on_mariadb_only(engine: sa.Engine) -> None:
    """Pins the pitfall that motivates KeyString: *_ci collations merge keys SQLite keeps."""
    md = sa.MetaData()
    plain = sa.Table(
        "plain",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(255), nullable=False, unique=True),
    )
    md.create_all(engine)
    for pair in (["😀", "😃"], ["Foo", "foo"]):
        with engine.begin() as conn:
            conn.execute(plain.delete())
        try:
            with engine.begin() as conn:
                conn.execute(plain.insert(), [{"title": t} for t in pair])
        except sa.exc.IntegrityError:
            conflated = True
        else:
            conflated = False
        assert conflated is (engine.dialect.name != "sqlite"), pair


def test_leaves_fk_tables_and_a_view_behind(engine: sa.Engine) -> None:
    """Creates objects that a naive DROP would trip on; the next test must not see them."""
    md = sa.MetaData()
    parent = sa.Table("parent", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "child",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id"), nullable=False),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(parent.insert().values(id=1))
        conn.execute(sa.text("INSERT INTO child (id, parent_id) VALUES (1, 1)"))
        conn.execute(sa.text("CREATE VIEW parent_view AS SELECT id FROM parent"))


def test_each_test_starts_with_an_empty_database(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    assert inspector.get_table_names() == []
    assert inspector.get_view_names() == []


# ----------------------------------------------------------- server lifecycle
def _connect_ok(url: str) -> bool:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as conn:
            one: int = conn.execute(sa.text("SELECT 1")).scalar_one()
            return one == 1
    finally:
        eng.dispose()


@pytest.mark.mariadb
def test_start_and_clean_stop_closes_port(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    with LocalMariaDB.start(root) as db:
        assert db.running and port_is_open(db.port)
        assert _connect_ok(db.url)
        assert db.url.startswith("mysql+pymysql://skillmatch:")
        assert db.url.endswith(f"@127.0.0.1:{db.port}/skillmatch_test?charset=utf8mb4")
        assert db.startup_seconds < 30, db.startup_seconds
        assert json.loads((root / "state.json").read_text())["url"] == db.url
        port, pid = db.port, db.pid
    assert not db.running
    assert not port_is_open(port)
    assert not Path(f"/proc/{pid}").exists() or not localmariadb._pid_alive(pid)
    assert not (root / "state.json").exists()
    assert "Shutdown complete" in db.error_log.read_text()
    db.stop()  # idempotent


@pytest.mark.mariadb
def test_restart_reuses_datadir(tmp_path: Path) -> None:
    with LocalMariaDB.start(tmp_path) as db:
        eng = sa.create_engine(db.url)
        with eng.begin() as conn:
            conn.execute(sa.text("CREATE TABLE kept (v VARCHAR(10))"))
            conn.execute(sa.text("INSERT INTO kept VALUES ('🙂')"))
        eng.dispose()
    with LocalMariaDB.start(tmp_path) as db2:
        eng = sa.create_engine(db2.url)
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT v FROM kept")).scalar_one() == "🙂"
        eng.dispose()


@pytest.mark.mariadb
def test_root_has_no_tcp_login(mariadb_server: LocalMariaDB) -> None:
    url = f"mysql+pymysql://root@127.0.0.1:{mariadb_server.port}/mysql"
    with pytest.raises(sa.exc.OperationalError, match="Access denied"):
        _connect_ok(url)


@pytest.mark.mariadb
def test_long_root_path_uses_short_socket_dir(tmp_path: Path) -> None:
    root = tmp_path / ("x" * 60) / ("y" * 60)
    with LocalMariaDB.start(root) as db:
        assert not db.socket_path.is_relative_to(root)
        assert db.socket_path.exists()
        assert _connect_ok(db.url)
        sock_dir = db.socket_path.parent
    assert not sock_dir.exists()


@pytest.mark.mariadb
def test_cli_start_detaches_and_stop_ends_it(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devtools.localmariadb", *args, "--root", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    url = cli("start").stdout.strip()
    try:
        assert url.startswith("mysql+pymysql://")
        assert _connect_ok(url)  # still up although the CLI process has exited
        assert cli("start").stdout.strip() == url  # idempotent
        assert cli("url").stdout.strip() == url
    finally:
        cli("stop")
    state = LocalMariaDB.attach(tmp_path)
    assert state is None
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    assert not port_is_open(port)


@pytest.mark.mariadb
def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """atexit cannot run on SIGKILL; PR_SET_PDEATHSIG must still take the server down."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from devtools.localmariadb import LocalMariaDB
        db = LocalMariaDB.start(Path({str(tmp_path)!r}))
        print(db.pid, db.port, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pid, port = map(int, proc.stdout.split())
    deadline = time.monotonic() + 30
    while localmariadb._pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not localmariadb._pid_alive(pid)
    assert not port_is_open(port)
    assert "Shutdown complete" in (tmp_path / "mariadb.err").read_text()


# ------------------------------------------------------------ missing binaries
def test_missing_binaries_raise_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(localmariadb, "EXTRA_BIN_DIRS", ())
    with pytest.raises(MariaDBNotInstalledError, match="make test"):
        LocalMariaDB.start(tmp_path / "srv")
    assert not (tmp_path / "srv" / "data").exists()


def test_harness_fails_rather_than_skips_without_mariadb(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    mariadb: needs a local MariaDB server\n"
    )
    (tmp_path / "conftest.py").write_text(
        "import devtools.localmariadb as m\n"
        "m.EXTRA_BIN_DIRS = ()\n"
        'pytest_plugins = ["tests.dbharness"]\n'
    )
    (tmp_path / "test_probe.py").write_text("def test_probe(db_url):\n    assert db_url\n")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**os.environ, "PATH": str(empty_bin), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 passed" in out and "1 error" in out, out
    assert "skipped" not in out, out
    assert "make test" in out, out
