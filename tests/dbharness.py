"""Pytest plugin: run DB tests on SQLite *and* a private MariaDB (ToolsDB's dialect).

Why: SQLite is fast but forgiving; MariaDB catches charset, collation, strict-mode and
upsert-syntax bugs before Toolforge does.  Load it from ``tests/conftest.py`` with
``pytest_plugins = ["tests.dbharness"]``.

Fixtures:
  * ``mariadb_url`` (session) -- one throwaway server per session, stopped at the end
    even when tests fail.  Started lazily, so ``-m "not mariadb"`` never starts it.
  * ``db_url`` (function) -- parametrized ``sqlite`` / ``mariadb``; the MariaDB case
    starts from an empty database and carries ``@pytest.mark.mariadb``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from devtools.localmariadb import LocalMariaDB, MariaDBError, MariaDBNotInstalledError

BACKENDS = (
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
)


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMariaDB]:
    """The session's private server; fails (never skips) when MariaDB is missing."""
    root = tmp_path_factory.mktemp("mariadb")
    try:
        server = LocalMariaDB.start(root)
    except MariaDBNotInstalledError as exc:
        pytest.fail(f"MariaDB is required for @mariadb tests: {exc}", pytrace=False)
    except MariaDBError as exc:
        pytest.fail(f"could not start the private MariaDB server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb_url(mariadb_server: LocalMariaDB) -> str:
    """SQLAlchemy URL of the session's private MariaDB test database."""
    return mariadb_server.url


def drop_all_tables(url: str) -> None:
    """Drop every table and view in the URL's database (FK checks off, so any order)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT table_name, table_type FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()"
                )
            ).all()
            if not rows:
                return
            quote = engine.dialect.identifier_preparer.quote
            views = [quote(name) for name, kind in rows if kind == "VIEW"]
            tables = [quote(name) for name, kind in rows if kind != "VIEW"]
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
            if views:
                conn.execute(sa.text(f"DROP VIEW IF EXISTS {', '.join(views)}"))
            if tables:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {', '.join(tables)}"))
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A URL to an empty database on each backend; MariaDB is only started if selected."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("mariadb_url")
    drop_all_tables(url)
    return url
