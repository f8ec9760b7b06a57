"""Throwaway MediaWiki wikis on loopback, for tests, the demo and benchmarks.

SkillMatch edits real wikis, so its tests need real MediaWiki behaviour (BotPasswords, page
protection, {{bots}}, AbuseFilter, Unicode user names) rather than mocks. This module runs
Debian's MediaWiki 1.39 with SQLite under PHP's built-in web server, one private directory per
wiki, and never touches /etc or /var.

Speed: a wiki is installed once into a cache directory (keyed by MediaWiki version, wiki name,
language, accounts, extensions and this file's settings); each farm then only copies the SQLite
files and writes a small LocalSettings.php: two wikis start in about 0.5 s (about 3.5 s the
first time on a machine, while the cache is filled).

Library::

    with WikiFarm.start([WikiSpec("smmeta", "en")], Path(tmp)) as farm:
        alice = farm["smmeta"].client("Alice")
        alice.edit("Sandbox", "hello", "test")

CLI::

    python -m devtools.localwiki start --root var/localwiki --wiki smmeta:en:8080 --wiki smja:ja
    python -m devtools.localwiki status --root var/localwiki
    python -m devtools.localwiki stop --root var/localwiki
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests

#: Bump when the way templates are built changes in a way the cache key cannot see.
HARNESS_VERSION = "1"

MW_DIR = Path(os.environ.get("SKILLMATCH_MEDIAWIKI_DIR", "/usr/share/mediawiki"))
PHP = os.environ.get("SKILLMATCH_PHP", "php")

ADMIN_USER = "Admin"
BOT_USER = "SkillBot"
#: BotPassword application id used for every account (log in as ``User@pwb``).
APP_ID = "pwb"

#: Human accounts: ASCII names plus Japanese and Arabic script names, so that user-name
#: handling (normalisation, signatures, attribution) is exercised with Unicode.
DEFAULT_HUMANS: tuple[str, ...] = (
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Grace",
    "Heidi",
    "Mallory",
    "Trent",
    "さくら",
    "ليلى",
)
DEFAULT_EXTENSIONS: tuple[str, ...] = ("ParserFunctions", "AbuseFilter")

#: The bot gets what a real SkillBot BotPassword would get; notably *not* editprotected,
#: so protected pages refuse its edits as they would on Wikimedia wikis.
BOT_GRANTS = ("basic", "highvolume", "editpage", "createeditmovepage")
HUMAN_GRANTS = ("basic", "highvolume", "editpage", "createeditmovepage", "editmyoptions")
ADMIN_GRANTS = (
    "basic",
    "highvolume",
    "editpage",
    "editprotected",
    "createeditmovepage",
    "protect",
    "blockusers",
    "delete",
    "editinterface",
    "editsiteconfig",
    "patrol",
    "rollback",
)

MEDIAWIKI_MISSING = (
    "MediaWiki is not installed at {mw_dir} (or `php` is missing). The wiki tests need a real "
    "MediaWiki: apt-get install --no-install-recommends mediawiki php-cli php-sqlite3 php-intl "
    "php-mbstring php-xml (the project's Makefile does this), or point "
    "SKILLMATCH_MEDIAWIKI_DIR at a MediaWiki 1.39 tree."
)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")
_SERVER_MARK = "localwiki-server"
_RESULT_MARK = "LOCALWIKI-RESULT:"
_STATE_FILE = "farm.json"
_PLACEHOLDER_PORT = 9

# Appended to the LocalSettings.php written by install.php. $smRoot, $smPort and $smNonce are
# set by the small per-farm LocalSettings.php that includes this file.
_LOCAL_SETTINGS_ADDITIONS = r"""
# ---- devtools/localwiki.py: settings for a throwaway test wiki ----
$wgCacheDirectory = "$smRoot/cache";
$wgEnableEmail = false;
$wgEnableUserEmail = false;
$wgShowExceptionDetails = true;
$wgRateLimits = [];
$wgPasswordAttemptThrottle = [];
$wgJobRunRate = 0;
$wgUseImageMagick = false;
# Cheap password hashing: test passwords need no protection, and logins get ~4x faster.
$wgPasswordConfig['pbkdf2']['cost'] = '1000';
# A throwaway database needs no fsync (about 1.5x faster writes).
$wgDBservers = [ [
	'host' => '', 'user' => '', 'password' => '', 'dbname' => $wgDBname,
	'type' => 'sqlite', 'dbDirectory' => $wgSQLiteDataDir, 'load' => 1,
	'variables' => [ 'synchronous' => 'OFF' ],
] ];
$wgObjectCaches[CACHE_DB]['server']['variables']['synchronous'] = 'OFF';
$wgJobTypeConf['default']['server']['variables']['synchronous'] = 'OFF';
$wgLocalisationCacheConf['storeServer']['variables']['synchronous'] = 'OFF';
# Lets the harness check that the server answering on its port is really this wiki.
$wgHooks['APIQuerySiteInfoGeneralInfo'][] = static function ( $module, array &$results )
	use ( $smNonce ) {
	$results['localwikinonce'] = $smNonce;
};
"""


# Group leader of each server (run as `python -I -c _SUPERVISOR mark --port=N php mwdir owner`).
# PHP's built-in server with PHP_CLI_SERVER_WORKERS forks workers that outlive their parent,
# and some machines' init never reaps orphans. So this supervisor makes itself the
# "child subreaper" (orphaned workers come back to it), and on SIGTERM, on the server's exit
# or when its owner dies (its parent pid changes; owner 0 = detached) it terminates its whole
# process group and reaps every descendant before exiting.
_SUPERVISOR = r"""
import ctypes, os, signal, subprocess, sys, time
_, _mark, port_arg, php, mw_dir, owner_arg = sys.argv
owner = int(owner_arg)
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except Exception:
    pass
stopping = []
for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(signum, lambda n, f: stopping.append(n))
with open("server.log", "ab") as log:
    server = subprocess.Popen(
        [php, "-d", "opcache.enable_cli=1", "-d", "memory_limit=512M",
         "-S", "127.0.0.1:" + port_arg.split("=", 1)[1], "-t", mw_dir],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
with open("php.pid", "w") as fh:
    fh.write("%d\n" % server.pid)
while not stopping and server.poll() is None and (not owner or os.getppid() == owner):
    time.sleep(0.05)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
try:
    os.killpg(0, signal.SIGTERM)
except OSError:
    pass
deadline = time.monotonic() + 5
killed = False
while True:
    try:
        pid, _status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        continue
    if time.monotonic() > deadline and not killed:
        killed = True
        me, group = os.getpid(), os.getpgid(0)
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != me:
                try:
                    with open("/proc/%s/stat" % entry) as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    if int(fields[2]) == group:
                        os.kill(int(entry), signal.SIGKILL)
                except (OSError, IndexError, ValueError):
                    pass
    time.sleep(0.01)
"""


class LocalWikiError(RuntimeError):
    """The harness could not build, start or drive a wiki."""


class MediaWikiMissingError(LocalWikiError):
    """MediaWiki or PHP is not installed on this machine."""


class WikiAPIError(LocalWikiError):
    """The wiki's API answered with an error (``code`` is the API error code)."""

    def __init__(self, code: str, info: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
        self.data: Mapping[str, Any] = data or {}


@dataclass(frozen=True)
class WikiSpec:
    """What to create: ``name`` is the DB name, Pywikibot family name and site code."""

    name: str
    lang: str

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"wiki name must match {_NAME_RE.pattern}: {self.name!r}")
        if not _LANG_RE.match(self.lang):
            raise ValueError(f"not a language code: {self.lang!r}")


# --------------------------------------------------------------------------- helpers


def mediawiki_available(mw_dir: Path = MW_DIR) -> bool:
    """True when MediaWiki and the PHP CLI are installed (tests fail loudly otherwise)."""
    return (mw_dir / "maintenance" / "install.php").is_file() and shutil.which(PHP) is not None


def mediawiki_version(mw_dir: Path = MW_DIR) -> str:
    """MediaWiki version string from includes/Defines.php, part of the template cache key."""
    if not mediawiki_available(mw_dir):
        raise MediaWikiMissingError(MEDIAWIKI_MISSING.format(mw_dir=mw_dir))
    text = (mw_dir / "includes" / "Defines.php").read_text(encoding="utf-8")
    match = re.search(r"define\(\s*'MW_VERSION',\s*'([^']+)'", text)
    if not match:
        raise LocalWikiError(f"cannot read MW_VERSION from {mw_dir}/includes/Defines.php")
    return match.group(1)


def default_cache_dir() -> Path:
    """Where installed wiki templates are kept between runs (SKILLMATCH_WIKI_CACHE overrides)."""
    env = os.environ.get("SKILLMATCH_WIKI_CACHE")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"skillmatch-localwiki-{os.getuid()}"


def _php_str(value: str) -> str:
    """A PHP single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _new_secret() -> str:
    """A BotPassword secret: MediaWiki only accepts exactly [0-9a-w], 32 characters."""
    return secrets.token_hex(16)


def port_is_free(port: int) -> bool:
    """True when nothing listens on (or has bound) 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def reserve_port(port: int = 0) -> socket.socket:
    """Bind (without listening) a loopback port so nobody else takes it until we close it.

    Used when the port must be known early (Pywikibot reads its config at import) but the
    server starts later: close the socket right before starting the server.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def free_port(exclude: Iterable[int] = ()) -> int:
    """A loopback port nobody uses right now (chosen by the kernel)."""
    excluded = set(exclude)
    for _ in range(50):
        with reserve_port(0) as sock:
            port: int = sock.getsockname()[1]
        if port not in excluded and port_is_free(port):
            return port
    raise LocalWikiError("could not find a free loopback port")


def _run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 300,
) -> str:
    """Run a command, returning stdout; raise with both streams when it fails."""
    proc = subprocess.run(
        list(cmd),
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise LocalWikiError(
            f"{' '.join(cmd[:3])} ... failed with exit code {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


def _php_env(config_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["MW_CONFIG_FILE"] = str(config_file)
    return env


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _php_eval(config_file: Path, mw_dir: Path, cwd: Path, code: str, payload: Any) -> Any:
    """Run PHP inside MediaWiki (maintenance/eval.php) with ``$__a`` = payload; return its JSON.

    The code must ``echo LOCALWIKI_RESULT . json_encode(...)``. eval.php reads stdin line by
    line, 1024 bytes at most, so code and payload go through files and the line only requires
    them.
    """
    with tempfile.TemporaryDirectory(prefix="eval-", dir=cwd) as tmp:
        code_file, payload_file = Path(tmp) / "code.php", Path(tmp) / "payload.json"
        code_file.write_text("<?php\n" + code, encoding="utf-8")
        _write_private(payload_file, json.dumps(payload))
        line = (
            f"define('LOCALWIKI_RESULT', {_php_str(_RESULT_MARK)}); "
            f"$__a = json_decode(file_get_contents({_php_str(str(payload_file))}), true); "
            f"require {_php_str(str(code_file))};"
        )
        if len(line.encode()) >= 1000:
            raise LocalWikiError(f"path too long for eval.php: {tmp}")
        out = _run(
            [PHP, str(mw_dir / "maintenance" / "eval.php")],
            env=_php_env(config_file),
            cwd=cwd,
            stdin=line + "\n",
        )
    for out_line in out.splitlines():
        if out_line.startswith(_RESULT_MARK):
            return json.loads(out_line[len(_RESULT_MARK) :])
    raise LocalWikiError(f"eval.php gave no result:\n{out[-4000:]}")


# Creates accounts ($__a['accounts']: name, password|null, groups, grants, secret) with a
# BotPassword each; echoes the list of problems (empty on success).
_CREATE_ACCOUNTS_PHP = r"""
$__s = \MediaWiki\MediaWikiServices::getInstance(); $__out = [];
foreach ( $__a['accounts'] as $__acc ) {
    $__u = $__s->getUserFactory()->newFromName( $__acc['name'] );
    if ( !$__u ) { $__out[] = [ $__acc['name'], 'invalid name' ]; continue; }
    if ( $__u->idForName() === 0 ) {
        $__st = $__s->getAuthManager()->autoCreateUser( $__u,
            \MediaWiki\Auth\AuthManager::AUTOCREATE_SOURCE_MAINT, false );
        if ( !$__st->isGood() ) { $__out[] = [ $__acc['name'], $__st->getWikiText() ]; continue; }
        \SiteStatsUpdate::factory( [ 'users' => 1 ] )->doUpdate();
    }
    if ( $__acc['password'] !== null ) {
        $__st = $__u->changeAuthenticationData( [ 'username' => $__u->getName(),
            'password' => $__acc['password'], 'retype' => $__acc['password'] ] );
        if ( !$__st->isGood() ) { $__out[] = [ $__acc['name'], $__st->getWikiText() ]; continue; }
    }
    $__s->getUserGroupManager()->addUserToMultipleGroups( $__u, $__acc['groups'] );
    $__bp = \BotPassword::newUnsaved( [ 'username' => $__u->getName(),
        'appId' => $__a['appid'], 'grants' => $__acc['grants'] ] );
    $__st = $__bp->save( 'insert',
        $__s->getPasswordFactory()->newFromPlaintext( $__acc['secret'] ) );
    if ( !$__st->isGood() ) { $__out[] = [ $__acc['name'], $__st->getWikiText() ]; }
}
echo LOCALWIKI_RESULT . json_encode( $__out ) . "\n";
"""


# AbuseFilter has no API to create filters: use its FilterStore service like
# Special:AbuseFilter does ($__a: rules, name, comments, admin). Echoes ok/value/errors.
_ADD_FILTER_PHP = r"""
use MediaWiki\Extension\AbuseFilter\AbuseFilterServices;
use MediaWiki\Extension\AbuseFilter\Filter\MutableFilter;
$__f = MutableFilter::newDefault();
$__f->setRules( $__a['rules'] );
$__f->setName( $__a['name'] );
$__f->setComments( $__a['comments'] );
$__f->setGroup( 'default' );
$__f->setEnabled( true );
$__f->setActions( [ 'disallow' => [ 'abusefilter-disallowed' ] ] );
$__s = AbuseFilterServices::getFilterStore()->saveFilter(
    User::newFromName( $__a['admin'] ), null, $__f, MutableFilter::newDefault() );
echo LOCALWIKI_RESULT . json_encode( [ 'ok' => $__s->isGood(), 'value' => $__s->getValue(),
    'errors' => $__s->getErrors() ] ) . "\n";
"""

# Disables filter $__a['id'] (as $__a['admin']).
_DISABLE_FILTER_PHP = r"""
use MediaWiki\Extension\AbuseFilter\AbuseFilterServices;
use MediaWiki\Extension\AbuseFilter\Filter\MutableFilter;
$__o = AbuseFilterServices::getFilterLookup()->getFilter( $__a['id'], false );
$__n = MutableFilter::newFromParentFilter( $__o );
$__n->setEnabled( false );
$__s = AbuseFilterServices::getFilterStore()->saveFilter(
    User::newFromName( $__a['admin'] ), $__a['id'], $__n, $__o );
echo LOCALWIKI_RESULT . json_encode( [ 'ok' => $__s->isOK(), 'errors' => $__s->getErrors() ] )
    . "\n";
"""


def _write_wrapper_settings(conf: Path, root: Path, port: int, nonce: str) -> Path:
    """The per-farm LocalSettings.php: three values, then the template's settings."""
    path = conf / "LocalSettings.php"
    path.write_text(
        "<?php\n"
        "# Written by devtools/localwiki.py: values for this copy of a cached wiki template.\n"
        f"$smRoot = {_php_str(str(root))};\n"
        f"$smPort = {int(port)};\n"
        f"$smNonce = {_php_str(nonce)};\n"
        "require __DIR__ . '/LocalSettings.base.php';\n"
        "# Temporary settings a test puts in place (LocalWiki.settings_override).\n"
        "if ( is_file( __DIR__ . '/LocalSettings.override.php' ) ) {\n"
        "\trequire __DIR__ . '/LocalSettings.override.php';\n"
        "}\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- templates


@dataclass
class _Template:
    """An installed, never-served wiki in the cache, plus its account credentials."""

    path: Path
    meta: dict[str, Any]


def _template_key(
    spec: WikiSpec, humans: Sequence[str], extensions: Sequence[str], mw_version: str
) -> str:
    blob = json.dumps(
        {
            "harness": HARNESS_VERSION,
            "mw": mw_version,
            "name": spec.name,
            "lang": spec.lang,
            "humans": list(humans),
            "extensions": list(extensions),
            "settings": _LOCAL_SETTINGS_ADDITIONS,
            "accounts_php": _CREATE_ACCOUNTS_PHP,
            "grants": [BOT_GRANTS, HUMAN_GRANTS, ADMIN_GRANTS],
            "users": [ADMIN_USER, BOT_USER, APP_ID],
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _ensure_template(
    spec: WikiSpec, humans: Sequence[str], extensions: Sequence[str], cache_dir: Path, mw_dir: Path
) -> _Template:
    """Return the cached template for this spec, installing it first if needed.

    A lock file serialises concurrent builders (parallel test runs); the build happens in a
    temporary directory renamed into place, so a half-built template is never used.
    """
    mw_version = mediawiki_version(mw_dir)
    key = _template_key(spec, humans, extensions, mw_version)
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if cache_dir.stat().st_uid != os.getuid():
        raise LocalWikiError(f"{cache_dir} belongs to another user; set SKILLMATCH_WIKI_CACHE")
    final = cache_dir / f"{spec.name}-{spec.lang}-mw{mw_version}-{key}"

    def complete() -> _Template | None:
        # Files in /tmp may be aged out one by one: check every file a copy needs.
        needed = [
            final / "meta.json",
            final / "conf" / "LocalSettings.base.php",
            final / "data" / f"{spec.name}.sqlite",
            final / "cache",
        ]
        if all(p.exists() for p in needed):
            return _Template(final, json.loads(needed[0].read_text(encoding="utf-8")))
        return None

    if template := complete():
        return template
    with open(cache_dir / f"{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template := complete():
            return template
        shutil.rmtree(final, ignore_errors=True)
        build = Path(tempfile.mkdtemp(prefix=f"build-{spec.name}-", dir=cache_dir))
        try:
            meta = _build_template(spec, humans, extensions, build, mw_dir, mw_version)
            _write_private(build / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
            build.rename(final)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
    return _Template(final, meta)


def _build_template(
    spec: WikiSpec,
    humans: Sequence[str],
    extensions: Sequence[str],
    build: Path,
    mw_dir: Path,
    mw_version: str,
) -> dict[str, Any]:
    """Install MediaWiki into ``build`` and create the accounts; return the credentials."""
    conf, data, cache = build / "conf", build / "data", build / "cache"
    for d in (conf, data, cache):
        d.mkdir()
    admin_password = f"Admin-{secrets.token_hex(8)}!"
    _write_private(build / "adminpass", admin_password)
    env = _php_env(conf / "LocalSettings.php")
    maint = mw_dir / "maintenance"
    _run(
        [
            PHP,
            str(maint / "install.php"),
            "--dbtype",
            "sqlite",
            "--dbpath",
            str(data),
            "--dbname",
            spec.name,
            "--server",
            f"http://127.0.0.1:{_PLACEHOLDER_PORT}",
            "--scriptpath",
            "",
            "--confpath",
            str(conf),
            "--passfile",
            str(build / "adminpass"),
            "--lang",
            spec.lang,
            "--skins",
            "Vector",
            spec.name,
            ADMIN_USER,
        ],
        env=env,
        cwd=build,
    )
    (build / "adminpass").unlink()

    # Turn install.php's settings into a template: per-farm values become variables.
    generated = (conf / "LocalSettings.php").read_text(encoding="utf-8")
    replacements = {
        r'^\$wgServer = ".*";$': '$wgServer = "http://127.0.0.1:$smPort";',
        r'^\$wgSQLiteDataDir = ".*";$': '$wgSQLiteDataDir = "$smRoot/data";',
    }
    for pattern, repl in replacements.items():
        generated, count = re.subn(pattern, repl.replace("\\", "\\\\"), generated, flags=re.M)
        if count != 1:
            raise LocalWikiError(f"unexpected LocalSettings.php from install.php ({pattern})")
    if str(build) in generated:
        raise LocalWikiError("install.php wrote another absolute path into LocalSettings.php")
    loads = "".join(f"wfLoadExtension( {_php_str(ext)} );\n" for ext in extensions)
    (conf / "LocalSettings.base.php").write_text(
        generated + _LOCAL_SETTINGS_ADDITIONS + loads, encoding="utf-8"
    )
    (conf / "LocalSettings.php").unlink()
    _write_wrapper_settings(conf, build, _PLACEHOLDER_PORT, "template")

    _run([PHP, str(maint / "update.php"), "--quick"], env=env, cwd=build)

    # One PHP process for all accounts (what createAndPromote.php and createBotPassword.php
    # do, without booting MediaWiki 28 times: about 3 s saved per wiki).
    passwords = {ADMIN_USER: admin_password, BOT_USER: f"Bot-{secrets.token_hex(8)}!"}
    accounts: list[dict[str, Any]] = [
        {"name": ADMIN_USER, "password": None, "groups": [], "grants": list(ADMIN_GRANTS)},
        {
            "name": BOT_USER,
            "password": passwords[BOT_USER],
            "groups": ["bot"],
            "grants": list(BOT_GRANTS),
        },
    ]
    for human in humans:
        passwords[human] = f"Pw-{secrets.token_hex(8)}!"
        accounts.append(
            {
                "name": human,
                "password": passwords[human],
                "groups": [],
                "grants": list(HUMAN_GRANTS),
            }
        )
    for account in accounts:
        account["secret"] = _new_secret()
    problems = _php_eval(
        conf / "LocalSettings.php",
        mw_dir,
        build,
        _CREATE_ACCOUNTS_PHP,
        {"accounts": accounts, "appid": APP_ID},
    )
    if problems:
        raise LocalWikiError(f"creating accounts failed: {problems}")
    app_passwords = {a["name"]: a["secret"] for a in accounts}
    # Warm the localisation cache, so the first request of every farm is fast too.
    _run(
        [
            PHP,
            str(maint / "rebuildLocalisationCache.php"),
            "--lang",
            ",".join(sorted({spec.lang, "en"})),
        ],
        env=env,
        cwd=build,
    )
    return {
        "mw_version": mw_version,
        "name": spec.name,
        "lang": spec.lang,
        "humans": list(humans),
        "extensions": list(extensions),
        "passwords": passwords,
        "app_passwords": app_passwords,
    }


# --------------------------------------------------------------------------- API client


ParamValue = str | int | bool | None | Sequence[str]


def _encode(params: Mapping[str, ParamValue]) -> dict[str, str]:
    """API parameters as strings: booleans are flags, lists are pipe-joined, None is dropped."""
    out: dict[str, str] = {"format": "json", "formatversion": "2"}
    for key, value in params.items():
        if value is None or value is False:
            continue
        if value is True:
            out[key] = "1"
        elif isinstance(value, str):
            out[key] = value
        elif isinstance(value, int):
            out[key] = str(value)
        else:
            out[key] = "|".join(value)
    return out


class WikiClient:
    """A logged-in raw API client (one ``requests`` session) acting as one account.

    Faster than Pywikibot for seeding and checking wikis, and it lets tests act as humans
    (edits are attributed to e.g. "Alice"), which Pywikibot's single bot account cannot.
    """

    def __init__(
        self,
        api_url: str,
        username: str,
        secret: str,
        *,
        app_id: str = APP_ID,
        timeout: float = 60.0,
        login: bool = True,
    ) -> None:
        self.api_url = api_url
        self.username = username
        self.timeout = timeout
        self._secret = secret
        self._app_id = app_id
        self._csrf: str | None = None
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback through a proxy from the env
        self.session.headers["User-Agent"] = "SkillMatch-localwiki/1 (test harness; loopback)"
        if login:
            self.login()

    def __repr__(self) -> str:
        return f"WikiClient({self.api_url!r}, {self.username!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- raw requests

    def _check(self, response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        error = data.get("error")
        if error:
            raise WikiAPIError(str(error.get("code")), str(error.get("info", "")), error)
        return data

    def get(self, params: Mapping[str, ParamValue]) -> dict[str, Any]:
        """GET api.php (formatversion 2); raise WikiAPIError on an API error."""
        return self._check(
            self.session.get(self.api_url, params=_encode(params), timeout=self.timeout)
        )

    def post(self, params: Mapping[str, ParamValue], *, token: bool = True) -> dict[str, Any]:
        """POST api.php with the CSRF token (fetched once, refreshed on badtoken)."""
        if not token or "token" in params:
            return self._check(
                self.session.post(self.api_url, data=_encode(params), timeout=self.timeout)
            )
        for attempt in (1, 2):
            data = dict(params)
            data["token"] = self.csrf_token(refresh=attempt == 2)
            try:
                return self._check(
                    self.session.post(self.api_url, data=_encode(data), timeout=self.timeout)
                )
            except WikiAPIError as exc:
                if exc.code != "badtoken" or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def csrf_token(self, *, refresh: bool = False) -> str:
        """The session's CSRF token."""
        if self._csrf is None or refresh:
            data = self.get({"action": "query", "meta": "tokens", "type": "csrf"})
            self._csrf = str(data["query"]["tokens"]["csrftoken"])
        return self._csrf

    def login(self) -> None:
        """Log in with the account's BotPassword (``User@pwb``)."""
        data = self.get({"action": "query", "meta": "tokens", "type": "login"})
        login_token = data["query"]["tokens"]["logintoken"]
        result = self.post(
            {
                "action": "login",
                "lgname": f"{self.username}@{self._app_id}",
                "lgpassword": self._secret,
                "lgtoken": login_token,
            },
            token=False,
        )["login"]
        if result.get("result") != "Success":
            raise WikiAPIError("loginfailed", str(result.get("reason", result)), result)
        self.username = str(result["lgusername"])
        self._csrf = None

    # -- convenience

    def edit(
        self,
        title: str,
        text: str,
        summary: str = "",
        *,
        section: int | str | None = None,
        append: bool = False,
        minor: bool = False,
        extra: Mapping[str, ParamValue] | None = None,
    ) -> int:
        """Save ``text`` (or append it) and return the new revision id."""
        params: dict[str, ParamValue] = {
            "action": "edit",
            "title": title,
            "summary": summary,
            "minor": minor,
            "section": None if section is None else str(section),
        }
        params["appendtext" if append else "text"] = text
        if self.username == BOT_USER:
            params["bot"] = True
        params.update(extra or {})
        result = self.post(params)["edit"]
        if result.get("result") != "Success":
            raise WikiAPIError("editfailed", json.dumps(result, ensure_ascii=False), result)
        if "newrevid" in result:
            return int(result["newrevid"])
        return self.latest_revid(title) or 0  # a null edit: the page is unchanged

    def latest_revid(self, title: str) -> int | None:
        """Current revision id of a page, None when it does not exist."""
        page = self.get({"action": "query", "prop": "info", "titles": title})["query"]["pages"][0]
        return None if page.get("missing") else int(page["lastrevid"])

    def text(self, title: str) -> str | None:
        """Current wikitext of a page, None when it does not exist."""
        page = self.get(
            {
                "action": "query",
                "prop": "revisions",
                "titles": title,
                "rvprop": "content",
                "rvslots": "main",
            }
        )["query"]["pages"][0]
        if page.get("missing") or page.get("invalid"):
            return None
        return str(page["revisions"][0]["slots"]["main"]["content"])

    def revisions(self, title: str) -> list[dict[str, Any]]:
        """All revisions, oldest first: revid, parentid, user, timestamp, comment, content."""
        out: list[dict[str, Any]] = []
        params: dict[str, ParamValue] = {
            "action": "query",
            "prop": "revisions",
            "titles": title,
            "rvdir": "newer",
            "rvlimit": "max",
            "rvslots": "main",
            "rvprop": "ids|user|timestamp|comment|content",
        }
        while True:
            data = self.get(params)
            page = data["query"]["pages"][0]
            for rev in page.get("revisions", []):
                out.append(
                    {
                        "revid": rev["revid"],
                        "parentid": rev["parentid"],
                        "user": rev.get("user"),
                        "timestamp": rev["timestamp"],
                        "comment": rev.get("comment", ""),
                        "content": rev.get("slots", {}).get("main", {}).get("content"),
                    }
                )
            if "continue" not in data:
                return out
            params.update(data["continue"])

    def protect(
        self,
        title: str,
        edit: str = "sysop",
        *,
        move: str | None = None,
        expiry: str = "infinite",
        reason: str = "test",
    ) -> dict[str, Any]:
        """Protect a page (create-protect it if missing); needs the admin's client."""
        if self.latest_revid(title) is None:
            protections = f"create={edit}"
        else:
            protections = f"edit={edit}|move={move or edit}"
        return self.post(
            {
                "action": "protect",
                "title": title,
                "protections": protections,
                "expiry": expiry,
                "reason": reason,
            }
        )

    def block(
        self, user: str, *, expiry: str = "infinite", reason: str = "test", nocreate: bool = True
    ) -> dict[str, Any]:
        """Block a user (never an autoblock: every test account shares 127.0.0.1)."""
        return self.post(
            {
                "action": "block",
                "user": user,
                "expiry": expiry,
                "reason": reason,
                "nocreate": nocreate,
                "reblock": True,
            }
        )

    def unblock(self, user: str, *, reason: str = "test") -> dict[str, Any]:
        """Lift a block."""
        return self.post({"action": "unblock", "user": user, "reason": reason})


# --------------------------------------------------------------------------- one wiki


@dataclass
class LocalWiki:
    """One running wiki: where it lives, its port and every account's credentials."""

    name: str
    lang: str
    port: int
    root: Path
    passwords: dict[str, str]
    app_passwords: dict[str, str]
    humans: dict[str, str]
    nonce: str
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    pgid: int | None = None
    mw_dir: Path = MW_DIR
    bot_user: str = BOT_USER
    admin_user: str = ADMIN_USER
    bot_app_id: str = APP_ID
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    _clients: dict[str, WikiClient] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The action API endpoint (what Pywikibot's family_files points at)."""
        return f"{self.base_url}/api.php"

    @property
    def index_url(self) -> str:
        """index.php, for browser tests and page views."""
        return f"{self.base_url}/index.php"

    @property
    def bot_secret(self) -> str:
        """SkillBot's 32-character BotPassword secret (log in as SkillBot@pwb)."""
        return self.app_passwords[self.bot_user]

    @property
    def admin_password(self) -> str:
        """The admin's account password (for Special:UserLogin in a browser)."""
        return self.passwords[self.admin_user]

    @property
    def config_file(self) -> Path:
        """The LocalSettings.php that the server and maintenance scripts read."""
        return self.root / "conf" / "LocalSettings.php"

    @contextlib.contextmanager
    def settings_override(self, php: str) -> Iterator[None]:
        """Extra LocalSettings lines while the block runs, e.g. ``$wgReadOnly = 'x';``.

        For faults a real wiki produces (read-only mode, small API result limits): PHP's
        server reads LocalSettings on every request, so the change is live at once.
        """
        path = self.root / "conf" / "LocalSettings.override.php"
        path.write_text("<?php\n" + php + "\n", encoding="utf-8")
        try:
            yield
        finally:
            path.unlink(missing_ok=True)

    def client(self, username: str, *, fresh: bool = False) -> WikiClient:
        """A logged-in API client for a human, the admin or the bot (cached unless fresh)."""
        if username not in self.app_passwords:
            raise KeyError(
                f"{username!r} has no account on {self.name}; known: {sorted(self.app_passwords)}"
            )
        if fresh:
            return WikiClient(self.api_url, username, self.app_passwords[username])
        with self._lock:
            if username not in self._clients:
                self._clients[username] = WikiClient(
                    self.api_url, username, self.app_passwords[username]
                )
            return self._clients[username]

    def maintenance(self, script: str, *args: str, stdin: str | None = None) -> str:
        """Run maintenance/<script>.php against this wiki and return its output."""
        path = (
            self.mw_dir / "maintenance" / (script if script.endswith(".php") else f"{script}.php")
        )
        return _run(
            [PHP, str(path), *args], env=_php_env(self.config_file), cwd=self.root, stdin=stdin
        )

    def php_eval(self, code: str, payload: Any = None) -> Any:
        """Run PHP code inside this wiki's MediaWiki; ``$__a`` holds ``payload``.

        For things that have no API (AbuseFilter filters). The code (a PHP file body without
        ``<?php``) must ``echo LOCALWIKI_RESULT . json_encode(...)``; the decoded JSON is
        returned.
        """
        return _php_eval(self.config_file, self.mw_dir, self.root, code, payload)

    def add_abuse_filter(
        self, pattern: str, description: str = "Disallowed by a test", *, rules: str | None = None
    ) -> int:
        """Create an enabled AbuseFilter that disallows edits adding ``pattern``.

        AbuseFilter has no API for creating filters, so this goes through its FilterStore
        service (same code path as Special:AbuseFilter, caches purged). Pass ``rules`` to use
        an arbitrary filter expression instead. Returns the filter id.
        """
        if "AbuseFilter" not in self.extensions:
            raise LocalWikiError(f"{self.name} was started without the AbuseFilter extension")
        if rules is None:
            quoted = pattern.replace("\\", "\\\\").replace('"', '\\"')
            rules = f'added_lines contains "{quoted}"'
        result = self.php_eval(
            _ADD_FILTER_PHP,
            {
                "rules": rules,
                "name": description,
                "comments": "Created by devtools/localwiki.py",
                "admin": self.admin_user,
            },
        )
        if not result["ok"]:
            raise LocalWikiError(f"AbuseFilter refused the filter: {result['errors']}")
        return int(result["value"][0])

    def disable_abuse_filter(self, filter_id: int) -> None:
        """Switch a filter off again (tests share the session's wikis)."""
        result = self.php_eval(_DISABLE_FILTER_PHP, {"id": filter_id, "admin": self.admin_user})
        if not result["ok"]:
            raise LocalWikiError(f"could not disable filter {filter_id}: {result['errors']}")

    # -- server lifecycle

    def _launch(self, workers: int, owner_pid: int | None) -> None:
        """Start PHP's built-in server under a supervisor in a new process group.

        See _SUPERVISOR: it stops and reaps the server and its workers on SIGTERM, or when
        the owning Python process dies (unless detached), so nothing leaks or turns zombie.
        """
        if not port_is_free(self.port):
            raise LocalWikiError(f"port {self.port} is already in use")
        env = _php_env(self.config_file)
        env["PHP_CLI_SERVER_WORKERS"] = str(workers)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                _SUPERVISOR,
                _SERVER_MARK,
                f"--port={self.port}",
                PHP,
                str(self.mw_dir),
                str(owner_pid or 0),
            ],
            cwd=self.root,
            env=env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.pgid = self._proc.pid
        (self.root / "server.pid").write_text(f"{self.pgid}\n", encoding="utf-8")

    def _wait_ready(self, deadline: float) -> None:
        """Wait until *our* server answers (checked with the nonce in siteinfo)."""
        session = requests.Session()
        session.trust_env = False
        params = {"action": "query", "meta": "siteinfo", "format": "json", "formatversion": "2"}
        last = ""
        try:
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    raise LocalWikiError(f"the server for {self.name} exited:\n{self.server_log()}")
                try:
                    resp = session.get(self.api_url, params=params, timeout=5)
                    general = resp.json()["query"]["general"]
                except (requests.RequestException, ValueError, KeyError) as exc:
                    last = repr(exc)
                    time.sleep(0.05)
                    continue
                if general.get("localwikinonce") != self.nonce:
                    raise LocalWikiError(
                        f"port {self.port} is answered by another server "
                        f"({general.get('sitename')!r}), not {self.name}"
                    )
                return
        finally:
            session.close()
        raise LocalWikiError(
            f"{self.name} did not answer on port {self.port}: {last}\n{self.server_log()}"
        )

    def server_log(self, lines: int = 40) -> str:
        """The tail of PHP's server log (for error messages)."""
        path = self.root / "server.log"
        if not path.exists():
            return "(no server.log)"
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def is_running(self) -> bool:
        """True when this wiki's server process group is alive and answers as this wiki."""
        if self.pgid is None or not _is_our_server(self.pgid, self.port):
            return False
        session = requests.Session()
        session.trust_env = False
        try:
            resp = session.get(
                self.api_url,
                params={
                    "action": "query",
                    "meta": "siteinfo",
                    "format": "json",
                    "formatversion": "2",
                },
                timeout=5,
            )
            return bool(resp.json()["query"]["general"].get("localwikinonce") == self.nonce)
        except (requests.RequestException, ValueError, KeyError):
            return False
        finally:
            session.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server: its supervisor terminates and reaps the whole process group."""
        for c in self._clients.values():
            c.close()
        self._clients.clear()
        pgid, self.pgid = self.pgid, None
        proc, self._proc = self._proc, None
        if pgid is None:
            return
        if proc is None and not _is_our_server(pgid, self.port):
            return  # stale state file: that pid is gone or belongs to someone else now
        _killpg(pgid, signal.SIGTERM)
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _killpg(pgid, signal.SIGKILL)
                proc.wait(timeout)
        else:  # started by another process (CLI): we cannot wait(), so watch the group
            deadline = time.monotonic() + timeout
            while process_group_alive(pgid):
                if time.monotonic() > deadline:
                    _killpg(pgid, signal.SIGKILL)
                    break
                time.sleep(0.02)
        with contextlib.suppress(FileNotFoundError):
            (self.root / "server.pid").unlink()

    def to_dict(self) -> dict[str, Any]:
        """Serialisable state (for farm.json, so the CLI can stop or attach later)."""
        return {
            "name": self.name,
            "lang": self.lang,
            "port": self.port,
            "root": str(self.root),
            "passwords": self.passwords,
            "app_passwords": self.app_passwords,
            "humans": self.humans,
            "nonce": self.nonce,
            "extensions": list(self.extensions),
            "pgid": self.pgid,
            "mw_dir": str(self.mw_dir),
            "api_url": self.api_url,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LocalWiki:
        """Inverse of to_dict."""
        return cls(
            name=data["name"],
            lang=data["lang"],
            port=int(data["port"]),
            root=Path(data["root"]),
            passwords=dict(data["passwords"]),
            app_passwords=dict(data["app_passwords"]),
            humans=dict(data["humans"]),
            nonce=data["nonce"],
            extensions=tuple(data["extensions"]),
            pgid=data.get("pgid"),
            mw_dir=Path(data["mw_dir"]),
        )


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def process_group_alive(pgid: int) -> bool:
    """True while the group has a live (non-zombie) member.

    Zombies count as dead: on machines whose init does not reap orphans (some containers and
    micro-VMs) a detached server's supervisor may linger as a zombie after it exits.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return bool(_group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _is_our_server(pid: int, port: int) -> bool:
    """Guard against pid reuse: the group leader must be our supervisor for this port."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return _SERVER_MARK in args and f"--port={port}" in args


# --------------------------------------------------------------------------- farm


def write_user_config(
    dirpath: Path,
    family_urls: Mapping[str, str],
    *,
    user_agent_description: str = "SkillMatch test suite (localwiki harness)",
    bot_user: str = BOT_USER,
) -> Path:
    """Write Pywikibot's user-config.py for these families (no secrets in it).

    Separate from the password file because the plugin must write it before Pywikibot is
    imported, when ports are known but the wikis are not built yet.
    """
    if not family_urls:
        raise ValueError("no wikis")
    dirpath.mkdir(parents=True, exist_ok=True)
    first = next(iter(family_urls))
    lines = [
        "# Written by devtools/localwiki.py for throwaway loopback wikis.",
        f"family = {first!r}",
        f"mylang = {first!r}",
    ]
    for name, url in family_urls.items():
        lines.append(f"family_files[{name!r}] = {url!r}")
        lines.append(f"usernames[{name!r}]['*'] = {bot_user!r}")
    lines += [
        f"password_file = {str(dirpath / 'user-password.cfg')!r}",
        "put_throttle = 0",
        "minthrottle = 0",
        "maxthrottle = 0",
        "write_maxlag = 5",
        "max_retries = 2",
        "retry_wait = 1",
        "retry_max = 2",
        f"user_agent_description = {user_agent_description!r}",
        "",
    ]
    path = dirpath / "user-config.py"
    path.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def write_password_file(dirpath: Path, wikis: Iterable[LocalWiki]) -> Path:
    """Write user-password.cfg: one BotPassword line per account and wiki."""
    lines = ["# Written by devtools/localwiki.py: BotPasswords of throwaway loopback wikis."]
    for wiki in wikis:
        for user, secret in wiki.app_passwords.items():
            lines.append(f"({wiki.name!r}, {user!r}, BotPassword({wiki.bot_app_id!r}, {secret!r}))")
    path = dirpath / "user-password.cfg"
    _write_private(path, "\n".join(lines) + "\n")
    return path


_LIVE_FARMS: list[WikiFarm] = []


def _stop_live_farms() -> None:
    for farm in list(_LIVE_FARMS):
        farm.stop()


atexit.register(_stop_live_farms)


class WikiFarm:
    """A set of local wikis started together (e.g. a Meta stand-in and a Japanese wiki)."""

    def __init__(self, root: Path, wikis: Sequence[LocalWiki], *, detached: bool = False) -> None:
        self.root = root
        self.wikis: dict[str, LocalWiki] = {w.name: w for w in wikis}
        self.detached = detached
        #: Seconds spent in start() (template builds included); for reports and benchmarks.
        self.start_seconds: float = 0.0

    # -- construction

    @classmethod
    def start(
        cls,
        specs: Sequence[WikiSpec],
        root: Path,
        humans: Sequence[str] = DEFAULT_HUMANS,
        extensions: Sequence[str] = DEFAULT_EXTENSIONS,
        *,
        ports: Mapping[str, int] | None = None,
        cache_dir: Path | None = None,
        strict_ports: bool = False,
        workers: int = 4,
        detached: bool = False,
        timeout: float = 60.0,
        mw_dir: Path = MW_DIR,
    ) -> WikiFarm:
        """Create and start one wiki per spec under ``root/<name>``.

        ``ports`` maps names to wanted ports (0 or missing: a free one); a busy wanted port is
        an error with ``strict_ports``, otherwise another free port is used. Unless ``detached``
        (the CLI), the servers die with this Python process: via stop(), atexit, or the
        watchdog shell if the process is killed.
        """
        began = time.monotonic()
        if not mediawiki_available(mw_dir):
            raise MediaWikiMissingError(MEDIAWIKI_MISSING.format(mw_dir=mw_dir))
        names = [s.name for s in specs]
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"wiki names must be unique and non-empty: {names}")
        cache_dir = cache_dir or default_cache_dir()
        root = root.resolve()
        root.mkdir(parents=True, exist_ok=True)
        _refuse_running_farm(root)

        with ThreadPoolExecutor(max_workers=len(specs)) as pool:
            templates = list(
                pool.map(
                    lambda s: _ensure_template(s, humans, extensions, cache_dir, mw_dir), specs
                )
            )

        wikis: list[LocalWiki] = []
        used: set[int] = set()
        for spec, template in zip(specs, templates, strict=True):
            port = (ports or {}).get(spec.name) or 0
            if port == 0 or not port_is_free(port):
                if port and strict_ports:
                    raise LocalWikiError(f"port {port} for {spec.name} is in use")
                port = free_port(exclude=used)
            used.add(port)
            wikis.append(_copy_template(template, spec, root / spec.name, port, mw_dir))

        farm = cls(root, wikis, detached=detached)
        if not detached:
            _LIVE_FARMS.append(farm)
        try:
            for wiki in wikis:
                wiki._launch(workers, None if detached else os.getpid())
            farm._save_state()
            deadline = time.monotonic() + timeout
            for wiki in wikis:
                wiki._wait_ready(deadline)
        except BaseException:
            farm.stop()
            raise
        farm.start_seconds = time.monotonic() - began
        return farm

    @classmethod
    def attach(cls, root: Path) -> WikiFarm:
        """A farm object for servers started earlier (e.g. by the CLI), from root/farm.json."""
        state = json.loads((root / _STATE_FILE).read_text(encoding="utf-8"))
        return cls(root, [LocalWiki.from_dict(w) for w in state["wikis"]], detached=True)

    # -- access

    def __getitem__(self, name: str) -> LocalWiki:
        return self.wikis[name]

    def __iter__(self) -> Iterator[LocalWiki]:
        return iter(self.wikis.values())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def write_pywikibot_config(
        self,
        dirpath: Path,
        user_agent_description: str = "SkillMatch test suite (localwiki harness)",
    ) -> Path:
        """Write user-config.py and user-password.cfg; return the dir to use as PYWIKIBOT_DIR."""
        write_user_config(
            dirpath,
            {w.name: w.api_url for w in self},
            user_agent_description=user_agent_description,
        )
        write_password_file(dirpath, self)
        return dirpath

    def stop(self) -> None:
        """Stop every server of the farm (idempotent)."""
        for wiki in self:
            wiki.stop()
        with contextlib.suppress(ValueError):
            _LIVE_FARMS.remove(self)
        state = self.root / _STATE_FILE
        if state.exists():
            self._save_state()

    def _save_state(self) -> None:
        _write_private(
            self.root / _STATE_FILE,
            json.dumps(
                {"version": HARNESS_VERSION, "wikis": [w.to_dict() for w in self]},
                ensure_ascii=False,
                indent=1,
            ),
        )


def _refuse_running_farm(root: Path) -> None:
    state = root / _STATE_FILE
    if not state.exists():
        return
    with contextlib.suppress(ValueError, KeyError, OSError):
        old = WikiFarm.attach(root)
        running = [w.name for w in old if w.pgid is not None and _is_our_server(w.pgid, w.port)]
        if running:
            raise LocalWikiError(f"{root} already has running wikis {running}; stop them first")


def _copy_template(
    template: _Template, spec: WikiSpec, wiki_root: Path, port: int, mw_dir: Path
) -> LocalWiki:
    """Materialise a cached template as a new wiki directory serving on ``port``."""
    if wiki_root.exists():
        if not (wiki_root / "conf" / "LocalSettings.base.php").exists() and any(
            wiki_root.iterdir()
        ):
            raise LocalWikiError(f"{wiki_root} exists and is not a local wiki; not touching it")
        shutil.rmtree(wiki_root)
    (wiki_root / "conf").mkdir(parents=True)
    shutil.copytree(template.path / "data", wiki_root / "data")
    shutil.copytree(template.path / "cache", wiki_root / "cache")
    shutil.copy2(template.path / "conf" / "LocalSettings.base.php", wiki_root / "conf")
    nonce = secrets.token_hex(8)
    _write_wrapper_settings(wiki_root / "conf", wiki_root, port, nonce)
    meta = template.meta
    passwords: dict[str, str] = dict(meta["passwords"])
    return LocalWiki(
        name=spec.name,
        lang=spec.lang,
        port=port,
        root=wiki_root,
        passwords=passwords,
        app_passwords=dict(meta["app_passwords"]),
        humans={h: passwords[h] for h in meta["humans"]},
        nonce=nonce,
        extensions=tuple(meta["extensions"]),
        mw_dir=mw_dir,
    )


# --------------------------------------------------------------------------- CLI


def _parse_wiki(value: str) -> tuple[WikiSpec, int]:
    parts = value.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError("expected NAME:LANG or NAME:LANG:PORT")
    try:
        spec = WikiSpec(parts[0], parts[1])
        port = int(parts[2]) if len(parts) == 3 else 0
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return spec, port


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: start, stop or inspect a farm that outlives the command."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.localwiki",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="create wikis and leave their servers running")
    start.add_argument(
        "--wiki",
        action="append",
        type=_parse_wiki,
        required=True,
        metavar="NAME:LANG[:PORT]",
        help="e.g. smmeta:en:8080 or smja:ja",
    )
    start.add_argument(
        "--pywikibot-dir", type=Path, help="where to write user-config.py (default: ROOT/pywikibot)"
    )
    start.add_argument("--cache-dir", type=Path, help="template cache (default: %(default)s)")
    start.add_argument("--workers", type=int, default=4, help="PHP_CLI_SERVER_WORKERS")
    for p in (
        start,
        sub.add_parser("stop", help="stop the servers of a farm"),
        sub.add_parser("status", help="show wikis and whether they answer"),
    ):
        p.add_argument(
            "--root",
            type=Path,
            default=Path("var/localwiki"),
            help="farm directory (default: %(default)s)",
        )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()

    if args.command == "start":
        specs = [s for s, _ in args.wiki]
        ports = {s.name: p for s, p in args.wiki}
        farm = WikiFarm.start(
            specs,
            root,
            ports=ports,
            cache_dir=args.cache_dir,
            strict_ports=True,
            workers=args.workers,
            detached=True,
        )
        pwb = farm.write_pywikibot_config((args.pywikibot_dir or root / "pywikibot").resolve())
        for wiki in farm:
            print(
                f"{wiki.name} ({wiki.lang}): {wiki.api_url}  bot {wiki.bot_user}@"
                f"{wiki.bot_app_id}  admin {wiki.admin_user} / {wiki.admin_password}"
            )
        print(f"started in {farm.start_seconds:.1f} s; credentials in {root / _STATE_FILE}")
        print(f"export PYWIKIBOT_DIR={shlex.quote(str(pwb))}")
        return 0
    if not (root / _STATE_FILE).exists():
        print(f"no farm in {root}", file=sys.stderr)
        return 1 if args.command == "status" else 0
    farm = WikiFarm.attach(root)
    if args.command == "stop":
        farm.stop()
        print(f"stopped {', '.join(farm.wikis)}")
        return 0
    all_up = True
    for wiki in farm:
        up = wiki.is_running()
        all_up &= up
        print(f"{wiki.name} ({wiki.lang}) {wiki.api_url} {'running' if up else 'stopped'}")
    return 0 if all_up else 3


if __name__ == "__main__":
    sys.exit(main())
