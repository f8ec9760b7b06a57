"""Pytest plugin: two real local wikis for tests marked ``@pytest.mark.wiki``.

Wire it in with ``pytest_plugins = ["tests.wikiharness"]`` in tests/conftest.py.

Pywikibot reads user-config.py when it is first imported, so ``pytest_configure`` (which runs
before any test module is imported) reserves two loopback ports, writes user-config.py into a
private temporary directory and points ``PYWIKIBOT_DIR`` at it. The wikis themselves start
lazily, on the first test that needs them (session-scoped ``wiki_farm``), and the BotPassword
file is written then. Consequences for test authors:

* never import pywikibot in conftest.py at module level (import it in tests or fixtures);
* a test that uses Pywikibot against the local wikis must be marked ``@pytest.mark.wiki``
  (or request ``wiki_farm``/``meta_wiki``/``ja_wiki``), which starts the servers first.

Wikis: ``smmeta`` (English, stands in for Meta-Wiki) and ``smja`` (Japanese); Pywikibot site
``pywikibot.Site("smmeta", "smmeta")``. The servers are stopped at session end, also when
tests fail or the run is interrupted (fixture finaliser, atexit, and a watchdog that stops them
if the pytest process dies).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import localwiki
from devtools.localwiki import LocalWiki, WikiFarm, WikiSpec

META = WikiSpec("smmeta", "en")
JA = WikiSpec("smja", "ja")
SPECS = (META, JA)
USER_AGENT = "SkillMatch test suite (tests/wikiharness.py; loopback only)"

_state: dict[str, object] = {}


def _reservations() -> dict[str, socket.socket]:
    value = _state.setdefault("reservations", {})
    assert isinstance(value, dict)
    return value


def pytest_configure(config: pytest.Config) -> None:
    """Point Pywikibot at a private config dir for wikis on ports reserved now."""
    _state["pywikibot_imported_early"] = "pywikibot" in sys.modules
    _state["old_env"] = {k: os.environ.get(k) for k in ("PYWIKIBOT_DIR", "NO_PROXY", "no_proxy")}
    pwb_dir = Path(tempfile.mkdtemp(prefix="skillmatch-pwb-"))
    _state["pywikibot_dir"] = pwb_dir
    ports: dict[str, int] = {}
    for spec in SPECS:
        sock = localwiki.reserve_port(0)
        _reservations()[spec.name] = sock
        ports[spec.name] = sock.getsockname()[1]
    _state["ports"] = ports
    localwiki.write_user_config(
        pwb_dir,
        {name: f"http://127.0.0.1:{port}/api.php" for name, port in ports.items()},
        user_agent_description=USER_AGENT,
    )
    os.environ["PYWIKIBOT_DIR"] = str(pwb_dir)
    # Pywikibot uses requests, which honours proxy variables; loopback must never be proxied.
    for var in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(var, "")
        os.environ[var] = ",".join(x for x in (current, "127.0.0.1", "localhost") if x)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Release port reservations, restore the environment, remove the config dir."""
    for sock in _reservations().values():
        sock.close()
    _reservations().clear()
    old = _state.get("old_env")
    if isinstance(old, dict):
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    pwb_dir = _state.get("pywikibot_dir")
    if isinstance(pwb_dir, Path):
        shutil.rmtree(pwb_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def wiki_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WikiFarm]:
    """The two local wikis (started once per session, stopped at its end)."""
    if not localwiki.mediawiki_available():
        pytest.fail(localwiki.MEDIAWIKI_MISSING.format(mw_dir=localwiki.MW_DIR), pytrace=False)
    if _state.get("pywikibot_imported_early"):
        pytest.fail(
            "pywikibot was imported before tests.wikiharness set PYWIKIBOT_DIR (e.g. "
            "at the top of conftest.py); import it lazily",
            pytrace=False,
        )
    wanted = _state["ports"]
    assert isinstance(wanted, dict)
    for sock in _reservations().values():
        sock.close()  # hand the reserved ports over to the PHP servers
    _reservations().clear()
    farm = WikiFarm.start(list(SPECS), tmp_path_factory.mktemp("localwiki"), ports=wanted)
    try:
        pwb_dir = _state["pywikibot_dir"]
        assert isinstance(pwb_dir, Path)
        farm.write_pywikibot_config(pwb_dir, user_agent_description=USER_AGENT)
        _follow_port_changes(farm, wanted)
        _state["start_seconds"] = farm.start_seconds
        yield farm
    finally:
        farm.stop()


def _follow_port_changes(farm: WikiFarm, wanted: dict[str, int]) -> None:
    """If a reserved port was taken anyway, tell an already-imported Pywikibot."""
    moved = {w.name: w.api_url for w in farm if w.port != wanted.get(w.name)}
    if moved and "pywikibot" in sys.modules:
        config = sys.modules["pywikibot"].config
        config.family_files.update(moved)


@pytest.fixture(scope="session")
def meta_wiki(wiki_farm: WikiFarm) -> LocalWiki:
    """English wiki standing in for Meta-Wiki (Pywikibot family and code ``smmeta``)."""
    return wiki_farm[META.name]


@pytest.fixture(scope="session")
def ja_wiki(wiki_farm: WikiFarm) -> LocalWiki:
    """Japanese wiki (Pywikibot family and code ``smja``)."""
    return wiki_farm[JA.name]


@pytest.fixture(autouse=True)
def _start_wikis_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """Tests marked ``wiki`` get running servers even if they only use Pywikibot."""
    if request.node.get_closest_marker("wiki") is not None:
        request.getfixturevalue("wiki_farm")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how long the wikis took to start (the harness is meant to stay fast)."""
    seconds = _state.get("start_seconds")
    if isinstance(seconds, float):
        terminalreporter.write_line(
            f"localwiki: started {', '.join(s.name for s in SPECS)} in {seconds:.2f} s"
        )
