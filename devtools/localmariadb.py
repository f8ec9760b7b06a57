"""A private, throwaway MariaDB server for tests and benchmarks.

Why: Toolforge's ToolsDB is MariaDB, and SQLite alone hides dialect bugs (charset,
collation, upsert syntax, strict mode).  This module runs a *separate* ``mariadbd`` in a
directory of our choosing -- its own datadir, unix socket, pid file and a free loopback
port -- so it never touches the system instance, ``/etc/mysql`` or ``/var/lib/mysql``.

Usage::

    with LocalMariaDB.start(Path("/tmp/x")) as db:
        engine = sqlalchemy.create_engine(db.url)

    python -m devtools.localmariadb start --root /tmp/x   # prints the URL, keeps running
    python -m devtools.localmariadb stop --root /tmp/x
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pymysql

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_USER",
    "LocalMariaDB",
    "MariaDBError",
    "MariaDBNotInstalledError",
    "find_binary",
    "main",
]

DEFAULT_DATABASE = "skillmatch_test"
DEFAULT_USER = "skillmatch"
DEFAULT_COLLATION = "utf8mb4_unicode_ci"

# Debian puts mariadbd in /usr/sbin, which is not on a non-login root PATH in some
# containers; tarball installs use /usr/local/mysql/bin.
EXTRA_BIN_DIRS: tuple[str, ...] = (
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/bin",
    "/usr/local/bin",
    "/usr/local/mysql/bin",
    "/usr/local/mariadb/bin",
)
SERVER_NAMES = ("mariadbd", "mysqld")
INSTALL_DB_NAMES = ("mariadb-install-db", "mysql_install_db")

STATE_FILE = "state.json"
ERROR_LOG = "mariadb.err"
# sun_path is 108 bytes on Linux; leave room for the NUL and be conservative.
_MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1

# Shared by mariadb-install-db's bootstrap server and the real server: the InnoDB
# file sizes must agree, and a tiny footprint keeps start-up around a second.
_SPEED_OPTIONS: tuple[str, ...] = (
    "--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=8M",
    "--innodb-log-buffer-size=2M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--innodb-flush-method=nosync",
    "--key-buffer-size=1M",
    "--aria-pagecache-buffer-size=8M",
    "--performance-schema=OFF",
    "--skip-log-bin",
)

INSTALL_HINT = "Run `make test` (it installs mariadb-server/mariadb-client) and retry."


class MariaDBError(RuntimeError):
    """The private server could not be installed, started or stopped."""


class MariaDBNotInstalledError(MariaDBError):
    """MariaDB binaries are missing; tests must fail loudly rather than skip."""


def find_binary(names: Sequence[str], extra_dirs: Sequence[str] | None = None) -> Path:
    """Return the first of ``names`` found on PATH or in well-known sbin/bin dirs."""
    dirs = EXTRA_BIN_DIRS if extra_dirs is None else tuple(extra_dirs)
    search = os.pathsep.join([os.environ.get("PATH", ""), *dirs])
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return Path(found)
    raise MariaDBNotInstalledError(
        f"MariaDB binary not found (looked for {', '.join(names)} on PATH and in "
        f"{', '.join(dirs)}). {INSTALL_HINT}"
    )


def _free_port() -> int:
    """Ask the kernel for an unused loopback port (racy; start() retries on clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _die_with_parent_hook() -> Callable[[], None] | None:
    """preexec_fn making the server get SIGTERM if we die (even by SIGKILL).

    atexit cannot run on SIGKILL or an unhandled SIGTERM; PR_SET_PDEATHSIG can.  Note
    it fires when the *thread* that forked exits, so start() from the main thread.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


def _is_our_server(pid: int, datadir: Path) -> bool:
    """Guard against pid reuse: only signal a mariadbd serving *our* datadir."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not cmdline or Path(os.fsdecode(cmdline[0])).name not in SERVER_NAMES:
        return False
    return f"--datadir={datadir}".encode() in cmdline


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` runs; a zombie counts as dead (some inits reap slowly)."""
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class LocalMariaDB:
    """Handle to one private mariadbd; build it with :meth:`start` or :meth:`attach`."""

    root: Path
    port: int
    pid: int
    socket_path: Path
    user: str = DEFAULT_USER
    password: str = ""
    database: str = DEFAULT_DATABASE
    startup_seconds: float = 0.0
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _socket_tmpdir: Path | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ paths
    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def error_log(self) -> Path:
        return self.root / ERROR_LOG

    @property
    def url(self) -> str:
        """SQLAlchemy URL for the test database (TCP, so it behaves like ToolsDB)."""
        return (
            f"mysql+pymysql://{self.user}:{self.password}@127.0.0.1:{self.port}/"
            f"{self.database}?charset=utf8mb4"
        )

    @property
    def running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return _pid_alive(self.pid) and _is_our_server(self.pid, self.datadir)

    # ------------------------------------------------------------------ start
    @classmethod
    def start(
        cls,
        root: Path,
        *,
        database: str = DEFAULT_DATABASE,
        user: str = DEFAULT_USER,
        password: str | None = None,
        collation: str = DEFAULT_COLLATION,
        detach: bool = False,
        timeout: float = 60.0,
    ) -> LocalMariaDB:
        """Initialise ``root/data`` if needed, start mariadbd and create db + user.

        ``detach=True`` lets the server outlive this process (used by the CLI); the
        default ties it to us via atexit and PR_SET_PDEATHSIG so tests cannot leak it.
        """
        t0 = time.monotonic()
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        existing = cls.attach(root)
        if existing is not None:
            raise MariaDBError(f"a server is already running from {root}: {existing.url}")
        server = find_binary(SERVER_NAMES)
        install_db = find_binary(INSTALL_DB_NAMES)
        datadir = root / "data"
        if not (datadir / "mysql").is_dir():
            cls._install(install_db, datadir, root)

        socket_path, socket_tmpdir = cls._socket_location(root)
        password = password or secrets.token_hex(16)
        last_error = ""
        for _attempt in range(3):  # the free-port probe can race with other processes
            port = _free_port()
            log_offset = cls._log_size(root / ERROR_LOG)
            proc = cls._spawn(server, root, datadir, socket_path, port, collation, detach)
            db = cls(
                root=root,
                port=port,
                pid=proc.pid,
                socket_path=socket_path,
                user=user,
                password=password,
                database=database,
                _proc=proc,
                _socket_tmpdir=socket_tmpdir,
            )
            if not detach:
                atexit.register(db.stop)
            try:
                db._wait_ready(t0 + timeout, log_offset)
            except MariaDBError as exc:
                db.stop()
                last_error = str(exc)
                if "Address already in use" in last_error or "Bind on TCP/IP" in last_error:
                    continue
                raise
            try:
                db._bootstrap(collation)
            except BaseException:
                db.stop()
                raise
            db._write_state()
            db.startup_seconds = time.monotonic() - t0
            return db
        raise MariaDBError(f"could not bind a free port after 3 attempts:\n{last_error}")

    @classmethod
    def attach(cls, root: Path) -> LocalMariaDB | None:
        """Reconnect to a server started (e.g. by the CLI) from ``root``; None if gone."""
        root = Path(root).resolve()
        try:
            state: dict[str, Any] = json.loads((root / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        db = cls(
            root=root,
            port=int(state["port"]),
            pid=int(state["pid"]),
            socket_path=Path(state["socket"]),
            user=str(state["user"]),
            password=str(state["password"]),
            database=str(state["database"]),
            _socket_tmpdir=Path(state["socket_tmpdir"]) if state.get("socket_tmpdir") else None,
        )
        return db if db.running else None

    @staticmethod
    def _install(install_db: Path, datadir: Path, root: Path) -> None:
        """Run mariadb-install-db with --no-defaults so /etc/mysql is never read."""
        cmd = [
            str(install_db),
            "--no-defaults",  # must be first
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            *(["--user=root"] if os.geteuid() == 0 else []),
            *_SPEED_OPTIONS,
        ]
        log = root / "install.log"
        with log.open("wb") as out:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
        if rc != 0:
            shutil.rmtree(datadir, ignore_errors=True)  # half-initialised dirs break retries
            tail = log.read_text(errors="replace")[-3000:]
            raise MariaDBError(f"{install_db.name} failed (rc={rc}), see {log}:\n{tail}")

    @staticmethod
    def _socket_location(root: Path) -> tuple[Path, Path | None]:
        """Socket in root/run, or a short private tmpdir if that path is too long."""
        run = root / "run"
        run.mkdir(mode=0o700, exist_ok=True)
        candidate = run / "mysqld.sock"
        if len(os.fsencode(candidate)) <= _MAX_SOCKET_PATH:
            return candidate, None
        tmp = Path(tempfile.mkdtemp(prefix="lmdb-"))  # 0700
        return tmp / "mysqld.sock", tmp

    @staticmethod
    def _log_size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    @staticmethod
    def _spawn(
        server: Path,
        root: Path,
        datadir: Path,
        socket_path: Path,
        port: int,
        collation: str,
        detach: bool,
    ) -> subprocess.Popen[bytes]:
        cmd = [
            str(server),
            "--no-defaults",  # must be first: ignore /etc/mysql/my.cnf entirely
            f"--datadir={datadir}",
            f"--socket={socket_path}",
            f"--pid-file={root / 'mariadbd.pid'}",
            f"--log-error={root / ERROR_LOG}",
            f"--tmpdir={root / 'run'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            f"--collation-server={collation}",
            "--max-connections=200",
            "--event-scheduler=OFF",
            *(["--user=root"] if os.geteuid() == 0 else []),
            *_SPEED_OPTIONS,
        ]
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in pytest must not hit the server directly
            preexec_fn=None if detach else _die_with_parent_hook(),
            close_fds=True,
        )

    def _connect_root(self, timeout: float = 2.0) -> Any:
        """Root over the 0700 unix socket: root has no TCP account after bootstrap."""
        return pymysql.connect(
            unix_socket=str(self.socket_path),
            user="root",
            password="",
            charset="utf8mb4",
            connect_timeout=timeout,
            autocommit=True,
        )

    def _log_tail(self, offset: int = 0, limit: int = 4000) -> str:
        try:
            with self.error_log.open("rb") as fh:
                fh.seek(offset)
                text = fh.read().decode(errors="replace")
        except OSError:
            return "(no error log)"
        return text[-limit:]

    def _wait_ready(self, deadline: float, log_offset: int) -> None:
        """Poll the socket until the server answers, failing fast if it died."""
        while True:
            if not self.running:
                raise MariaDBError(
                    f"mariadbd exited during start-up, see {self.error_log}:\n"
                    f"{self._log_tail(log_offset)}"
                )
            if self.socket_path.exists():
                try:
                    conn = self._connect_root(timeout=1.0)
                except pymysql.err.OperationalError:
                    pass
                else:
                    conn.close()
                    return
            if time.monotonic() > deadline:
                raise MariaDBError(
                    f"mariadbd did not answer in time, see {self.error_log}:\n"
                    f"{self._log_tail(log_offset)}"
                )
            time.sleep(0.02)

    def _bootstrap(self, collation: str) -> None:
        """Create the database and app user; drop root's TCP accounts (empty password)."""
        conn = self._connect_root()
        try:
            with conn.cursor() as cur:
                charset = collation.split("_", 1)[0]
                cur.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                    f"CHARACTER SET {charset} COLLATE {collation}"
                )
                cur.execute(
                    "CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s",
                    (self.user, self.password),
                )
                cur.execute(
                    "ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (self.user, self.password)
                )
                cur.execute(
                    f"GRANT ALL PRIVILEGES ON `{self.database}`.* TO %s@'127.0.0.1'",
                    (self.user,),
                )
                cur.execute(
                    "SELECT host FROM mysql.user WHERE user = 'root' AND host <> 'localhost'"
                )
                for (host,) in cur.fetchall():
                    cur.execute("DROP USER IF EXISTS 'root'@%s", (host,))
        finally:
            conn.close()

    def _write_state(self) -> None:
        state = {
            "pid": self.pid,
            "port": self.port,
            "socket": str(self.socket_path),
            "socket_tmpdir": str(self._socket_tmpdir) if self._socket_tmpdir else None,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            "url": self.url,
        }
        path = self.root / STATE_FILE
        path.write_text(json.dumps(state, indent=2) + "\n")
        path.chmod(0o600)

    # ------------------------------------------------------------------- stop
    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (mariadbd's clean shutdown), then SIGKILL after ``timeout``. Idempotent."""
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
        elif _pid_alive(self.pid) and _is_our_server(self.pid, self.datadir):
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _pid_alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _pid_alive(self.pid) and _is_our_server(self.pid, self.datadir):
                os.kill(self.pid, signal.SIGKILL)
                while _pid_alive(self.pid):
                    time.sleep(0.02)
        (self.root / STATE_FILE).unlink(missing_ok=True)
        if self._socket_tmpdir is not None:
            shutil.rmtree(self._socket_tmpdir, ignore_errors=True)

    def __enter__(self) -> LocalMariaDB:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ----------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``start`` prints the URL and leaves the server running; ``stop`` ends it."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.localmariadb", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["start", "stop", "url"])
    parser.add_argument("--root", type=Path, required=True, help="directory for data/socket/logs")
    args = parser.parse_args(argv)
    root: Path = args.root
    try:
        if args.command == "start":
            running = LocalMariaDB.attach(root)
            if running is not None:
                print(f"already running (pid {running.pid})", file=sys.stderr)
                print(running.url)
                return 0
            db = LocalMariaDB.start(root, detach=True)
            print(f"started pid {db.pid} in {db.startup_seconds:.2f}s", file=sys.stderr)
            print(db.url)
            return 0
        running = LocalMariaDB.attach(root)
        if running is None:
            print(f"no server running from {root}", file=sys.stderr)
            return 0 if args.command == "stop" else 1
        if args.command == "stop":
            running.stop()
            print(f"stopped pid {running.pid}", file=sys.stderr)
        else:
            print(running.url)
        return 0
    except MariaDBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
