"""Faults are handled, not raised (issue 11, point 10): a flaky wiki, a killed run, a store
that cannot be written. Real local wiki; the only mock is the fault-injecting proxy in front
of it (tests/faultproxy.py), for faults a real server cannot be made to produce on demand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import messages
from bot.wiki import READ_TRIES
from devtools.seed import append_as
from tests.faultproxy import FaultProxy
from tests.wikirun import WikiRun, bot_process, crashed, kill_loop, slow_writes_env, write_config

pytestmark = pytest.mark.wiki
ROOT = Path(__file__).resolve().parent.parent
REPORTS = ("Needs map", "Problems", "Matches", "Waiting", "Badges")
VOLATILE = frozenset(
    {
        "id",
        "entry_id",
        "revid",
        "last_revid",
        "created",
        "updated",
        "reminded",
        "done",
        "attempts",
        "salt",
        "issued_on",
        "checked",
        "last_edit",
        "timestamp",
    }
)
"""Columns that differ between two stores holding the same facts: row ids, revision ids of
different pages, clocks (an entry's `origin.timestamp` is when its edit was saved), and how
many passing faults a message met."""
MARKER_KEY = "the marker key of both stores"
"""Talk-page markers are keyed; one key for both sides lets `snapshot` check every mark."""

TABLES = (
    "entries",
    "problems",
    "needs_map",
    "matches",
    "waiting",
    "outbox",
    "awards",
    "people",
)


def populate(wiki: Any, w: WikiRun) -> list[str]:
    """The same small community under `w`'s prefix: mentors, learners, a need, a typo."""
    p = w.prefix
    people = [f"{p}M0", f"{p}M1", *(f"{p}L{i}" for i in range(4)), f"{p}X"]
    offers = w.title("Offers")
    signups = w.title("Signups")
    skill = "{{Skill offer|user=%s|skills=%s|languages=en|capacity=%d}}\n"
    append_as(wiki, people[0], offers, skill % (people[0], "Lua", 2))
    append_as(wiki, people[1], offers, skill % (people[1], "SPARQL", 1))
    for i, wants in enumerate(("Lua", "Lua", "SPARQL", "Lua")):
        user = f"{p}L{i}"
        append_as(
            wiki, user, signups, f"{{{{Skill signup|user={user}|wants={wants}|languages=en}}}}\n"
        )
    append_as(
        wiki, f"{p}L0", signups, f"{{{{Skill need|community=arwiki|skill=SPARQL|by={p}L0}}}}\n"
    )
    append_as(wiki, f"{p}X", signups, f"{{{{Skill signup|user={p}X|wants=Sparq|languages=en}}}}\n")
    return people


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _clean(json.loads(value))
        except ValueError:
            return value
    return value


def snapshot(store: Path, wiki: Any, w: WikiRun, people: list[str]) -> dict[str, Any]:
    """Store rows and wiki pages with this run's own names made generic, for comparison."""
    with sqlite3.connect(store) as conn:
        conn.row_factory = sqlite3.Row
        tables = {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in TABLES}  # noqa: S608
    names = {m["id"]: f"MATCH[{m['kind']}:{m['a']}:{m['b']}]" for m in tables["matches"]}
    names |= {
        a["id"]: f"AWARD[{a['username']}:{a['badge_class']}:{a['skill']}]" for a in tables["awards"]
    }
    client = wiki.client("Admin")
    pages = {name: client.text(w.title(name)) or "" for name in REPORTS}
    for user in people:
        talk = client.text(f"User talk:{user}") or ""
        pages[f"talk:{user}"] = "\n".join(sorted(map(_checked_marker, _MARKER.findall(talk))))

    def generic(text: str) -> str:
        for match_id, name in names.items():
            text = text.replace(match_id, name)
        text = re.sub(r"(oldid=|Special:Diff/|Special:PermanentLink/)\d+(\|\d+)?", r"\1N", text)
        return text.replace(w.prefix, "P")

    rows = {
        t: sorted(generic(json.dumps(_clean(r), sort_keys=True)) for r in tables[t]) for t in TABLES
    }
    pages = {generic(k): generic(v) for k, v in pages.items()}
    talk = {k: "\n".join(sorted(v.splitlines())) for k, v in pages.items() if k.startswith("talk:")}
    return {"store": rows, "pages": pages | talk}


_MARKER = re.compile(r"<!-- skillmatch:[^>]*-->")


def _checked_marker(found: str) -> str:
    """A talk-page marker with its MAC checked against `MARKER_KEY` and then made generic
    (the MAC is of the real message id, which differs between the two sides)."""
    msg_id = found.removeprefix("<!-- skillmatch:").split()[0]
    assert found == messages.marker(msg_id, MARKER_KEY.encode()), found
    return f"<!-- skillmatch:{msg_id} MAC -->"


def proxied_env(tmp: Path, proxy_url: str, read_timeout: float = 45) -> dict[str, str]:
    """A copy of the test Pywikibot config whose smmeta goes through the proxy."""
    src = Path(os.environ["PYWIKIBOT_DIR"])
    dst = tmp / "pywikibot-faulty"
    shutil.copytree(
        src, dst, ignore=shutil.ignore_patterns("*.lwp", "logs", "apicache*", "throttle.ctrl")
    )
    with (dst / "user-config.py").open("a", encoding="utf-8") as fh:
        fh.write(f"\nfamily_files['smmeta'] = {proxy_url + '/api.php'!r}\n")
        fh.write(f"socket_timeout = (6.05, {read_timeout})\n")
    return {**os.environ, "PYWIKIBOT_DIR": str(dst)}


def faulty_config(w: WikiRun, path: Path) -> Path:
    write_config(w, path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(retry_wait=0.2, retry_max=0.5)  # Pywikibot's waits, kept short for the test
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def bot(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return bot_process(config, env, timeout=600)


def bot_behind_failing(
    wiki: Any, w: WikiRun, tmp: Path, fails: Callable[[bytes], bool]
) -> tuple[subprocess.CompletedProcess[str], int]:
    """One `python -m bot run` on `w`'s pages through the fault proxy, which answers 503 to
    every request `fails` picks and passes the rest. Returns the process and how many
    requests were failed."""
    config = faulty_config(w, tmp / "config.yaml")
    with FaultProxy(wiki.base_url, share=0, seed=1, always=fails) as proxy:
        proc = bot(config, proxied_env(tmp, proxy.url))
        failed = proxy.counts["always"]
    return proc, failed


def test_a_third_of_requests_failing_never_crashes_and_a_clean_run_converges(
    meta_wiki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(messages.KEY_ENV, MARKER_KEY)  # in-process runs and the bot's own
    base = WikiRun(tmp_path / "base")
    (tmp_path / "base").mkdir()
    base_people = populate(meta_wiki, base)
    base.run()
    base.run()  # a second clean run: what the faulty side must also reach

    w = WikiRun(tmp_path / "faulty")
    (tmp_path / "faulty").mkdir()
    people = populate(meta_wiki, w)
    config = faulty_config(w, tmp_path / "faulty.yaml")
    codes = []
    with FaultProxy(meta_wiki.base_url, share=1 / 3, seed=20261206, stall=4) as proxy:
        env = proxied_env(tmp_path, proxy.url, read_timeout=3)
        for _ in range(4):
            proc = bot(config, env)
            assert not crashed(proc), proc.stderr[-3000:]
            assert proc.returncode in (0, 5), proc.stderr[-3000:]
            report = json.loads(proc.stdout)
            if proc.returncode == 5:
                assert report["stopped"] and "stopped part-way" in proc.stderr
            codes.append(proc.returncode)
            print(
                "RUN",
                proc.returncode,
                report.get("stopped"),
                report.get("failed"),
                report.get("retrying"),
                report.get("edits"),
            )
        counts = dict(proxy.counts)
    assert counts["503"] > 10 and counts["maxlag"] > 0 and counts["timeout"] > 0, counts
    assert counts["readonly"] > 0, counts  # refused edits too
    assert counts["requests"] > 100
    statuses = [r for r in _runs(tmp_path / "faulty" / "store.db")]
    assert [s for s, _ in statuses] == [("ok" if c == 0 else "partial") for c in codes]

    w.run()  # clean: no proxy
    last, _, _ = w.run()
    assert last.edits == 0
    assert_same(
        snapshot(tmp_path / "faulty" / "store.db", meta_wiki, w, people),
        snapshot(tmp_path / "base" / "store.db", meta_wiki, base, base_people),
    )


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal snapshots, or a unified diff of the parts that differ."""
    import difflib

    a = json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(want, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    diff = "\n".join(difflib.unified_diff(b, a, "fault-free", "after faults", lineterm=""))
    assert not diff, diff[:6000]


def _runs(store: Path) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(store) as conn:
        return [
            (s, json.loads(x or "{}")) for s, x in conn.execute("SELECT status, stats FROM runs")
        ]


def _store_rows(store: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


def test_a_page_the_wiki_withholds_is_skipped_reported_and_kept(meta_wiki, tmp_path: Path) -> None:
    """One page's history never comes (every request for it answers 503): the run goes on
    with the other pages, the page keeps its stored state and entries (no match ends), the
    problems page and the summary say so, and the next run reads it."""
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)
    w.run()
    store = tmp_path / "store.db"
    offers = w.title("Offers")
    seen = _store_rows(store, f"SELECT last_revid FROM pages WHERE title = '{offers}'")  # noqa: S608
    matches = _store_rows(store, "SELECT id, state FROM matches ORDER BY id")
    assert len(matches) == 3 and seen
    newcomer = f"{w.prefix}M2"
    append_as(
        meta_wiki,
        newcomer,
        offers,
        f"{{{{Skill offer|user={newcomer}|skills=Lua|languages=en|capacity=1}}}}\n",
    )
    append_as(meta_wiki, newcomer, offers, "<!-- two edits: the history is asked for -->\n")
    # The history is asked for by page id (a moved page stays the same page).
    info = meta_wiki.client("Admin").get({"action": "query", "titles": offers})
    (page,) = info["query"]["pages"]
    asks_for_it = re.compile(rb"(?:^|[?&])pageids=%d(?:&|$)" % page["pageid"])

    def history_of_offers(request: bytes) -> bool:
        return b"rvdir=older" in request and asks_for_it.search(request) is not None

    proc, withheld = bot_behind_failing(meta_wiki, w, tmp_path, history_of_offers)
    assert proc.returncode == 0 and not crashed(proc), proc.stderr[-3000:]
    # The batch, then the page alone: each READ_TRIES times by the bot, each of those
    # retried by Pywikibot (max_retries = 2 in the harness): 2 * 3 * 3.
    assert withheld == 2 * READ_TRIES * 3
    report = json.loads(proc.stdout)
    (line,) = report["unread"]
    assert line.startswith(f"smmeta:{offers}: ")
    assert _store_rows(store, f"SELECT last_revid FROM pages WHERE title = '{offers}'") == seen  # noqa: S608
    assert _store_rows(store, "SELECT id, state FROM matches ORDER BY id") == matches
    assert not _store_rows(store, f"SELECT 1 FROM entries WHERE owner = '{newcomer}'")  # noqa: S608
    problems = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert "could not be read this run" in problems and offers in problems

    again, _, _ = w.run()
    assert "unread" not in again.as_dict()
    assert _store_rows(store, f"SELECT 1 FROM entries WHERE owner = '{newcomer}'")  # noqa: S608
    problems = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert "could not be read this run" not in problems


def test_a_killed_run_is_marked_killed_on_the_next_start(meta_wiki, tmp_path: Path) -> None:
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)
    config = write_config(w, tmp_path / "config.yaml")
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    store = tmp_path / "store.db"
    assert kill_loop(cmd, slow_writes_env(tmp_path), store, times=1, seed=3) == 1
    assert [r[0] for r in _store_rows(store, "SELECT status FROM runs")] == ["running"]
    w.run()
    assert [r[0] for r in _store_rows(store, "SELECT status FROM runs ORDER BY id")] == [
        "killed",
        "ok",
    ]


def test_a_store_that_cannot_be_written_stops_the_run_with_nothing_written(
    meta_wiki, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    people = populate(meta_wiki, w)
    _, _, runner = w.run()
    runner.store.engine.dispose()
    store = tmp_path / "store.db"
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    late = f"{w.prefix}L9"
    append_as(
        meta_wiki,
        late,
        w.title("Signups"),
        f"{{{{Skill signup|user={late}|wants=SPARQL|languages=en}}}}\n",
    )
    client = meta_wiki.client("Admin")
    titles = [w.title(n) for n in REPORTS] + [f"User talk:{u}" for u in [*people, late]]
    before = {t: client.text(t) for t in titles}
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    config = write_config(w, tmp_path / "config.yaml")
    locked = subprocess.run(["chattr", "+i", str(store)], capture_output=True, text=True)
    assert locked.returncode == 0, f"cannot make the store read-only: {locked.stderr}"
    try:
        proc = bot(config, dict(os.environ))
    finally:
        subprocess.run(["chattr", "-i", str(store)], check=True)
    assert proc.returncode == 1 and not crashed(proc), proc.stderr[-3000:]
    assert "the store cannot be used" in proc.stderr and "readonly" in proc.stderr
    assert {t: client.text(t) for t in titles} == before  # no edit anywhere
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest
    proc = bot(config, dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _store_rows(store, f"SELECT 1 FROM entries WHERE owner = '{late}'")  # noqa: S608


def test_an_unexpected_error_is_one_line_and_a_failed_run_row(meta_wiki, tmp_path: Path) -> None:
    """A fault the bot has no rule for (here a badge catalog that is not a mapping, met in the
    recognise phase) ends the run with exit 1, one line on stderr naming the phase, and the
    details in its `runs` row; the phases before it stay committed."""
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)
    config = write_config(w, tmp_path / "config.yaml")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    (tmp_path / "badges.yaml").write_text("- not a catalog\n", encoding="utf-8")
    data["badges"] = str(tmp_path / "badges.yaml")
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = bot(config, dict(os.environ))
    assert proc.returncode == 1 and not crashed(proc), proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m bot run: failed: recognise: BadgeConfigError")
    store = tmp_path / "store.db"
    ((status, stats),) = _store_rows(store, "SELECT status, stats FROM runs")
    details = json.loads(stats)
    assert status == "failed" and "BadgeConfigError" in details["traceback"]
    assert len(_store_rows(store, "SELECT id FROM matches")) == 3  # the match phase committed


def assert_partial_then_done(w: WikiRun, store: Path) -> None:
    """The stopped run left one row, `partial`; the next run does the work: the three
    matches `populate` makes."""
    assert [r[0] for r in _store_rows(store, "SELECT status FROM runs")] == ["partial"]
    w.run()
    assert len(_store_rows(store, "SELECT id FROM matches")) == 3


def test_a_wiki_that_stops_answering_stops_the_run_as_partial(meta_wiki, tmp_path: Path) -> None:
    """Every listing of the signup prefix answers 503: after Pywikibot's retries the run
    stops in the gather phase with exit 5, its summary and stderr say why, its row is
    `partial`, nothing is stored from it, and the next run does the work."""
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)

    def listing(request: bytes) -> bool:
        return b"allpages" in request

    proc, failed = bot_behind_failing(meta_wiki, w, tmp_path, listing)
    assert failed >= 2
    assert proc.returncode == 5 and not crashed(proc), proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["stopped"].startswith("gather: ") and report["edits"] == 0
    assert proc.stderr.strip().splitlines()[-1].startswith("python -m bot run: stopped part-way")
    store = tmp_path / "store.db"
    assert _store_rows(store, "SELECT count(*) FROM entries") == [(0,)]
    assert meta_wiki.client("Admin").text(w.title("Matches")) is None
    assert_partial_then_done(w, store)


def test_a_wiki_that_does_not_say_who_is_logged_in_stops_the_run_as_partial(
    meta_wiki, tmp_path: Path
) -> None:
    """Pywikibot asks who is logged in before the run begins (the default site in
    handle_args) and again when the run connects. A wiki that never answers that is a
    passing fault like any other: exit 5 with a `partial` row, not a failure (exit 1)
    before the run has a row."""
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)

    def userinfo(request: bytes) -> bool:
        return b"meta=userinfo" in request

    proc, failed = bot_behind_failing(meta_wiki, w, tmp_path, userinfo)
    assert failed >= 2
    assert proc.returncode == 5 and not crashed(proc), proc.stderr[-3000:]
    assert "the default site did not answer" in proc.stderr
    assert json.loads(proc.stdout)["stopped"].startswith("gather: ")
    assert_partial_then_done(w, tmp_path / "store.db")


def test_accounts_the_wiki_will_not_look_up_wait_and_the_run_goes_on(
    meta_wiki, tmp_path: Path
) -> None:
    """Every `list=users` look-up answers 503: after the retries the newcomer's entry is
    held out as unchecked (reported), the run ends normally with every other entry and match
    as it was (their accounts are cached), and the next run checks and uses it."""
    w = WikiRun(tmp_path)
    populate(meta_wiki, w)
    w.run()
    store = tmp_path / "store.db"
    matches = _store_rows(store, "SELECT id, state FROM matches ORDER BY id")
    entries = _store_rows(store, "SELECT kind, owner FROM entries ORDER BY kind, owner")
    assert len(matches) == 3
    late = f"{w.prefix}L9"
    append_as(
        meta_wiki,
        late,
        w.title("Signups"),
        f"{{{{Skill signup|user={late}|wants=SPARQL|languages=en}}}}\n",
    )

    def account_lookup(request: bytes) -> bool:
        return b"list=users" in request

    proc, failed = bot_behind_failing(meta_wiki, w, tmp_path, account_lookup)
    assert failed == READ_TRIES * 3  # the bot's tries, Pywikibot's each
    assert proc.returncode == 0 and not crashed(proc), proc.stderr[-3000:]
    assert "could not look up 1 accounts" in proc.stderr
    assert _store_rows(store, "SELECT id, state FROM matches ORDER BY id") == matches
    assert _store_rows(store, "SELECT kind, owner FROM entries ORDER BY kind, owner") == entries
    problems = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert "could not check the account" in problems and late in problems

    w.run()
    assert _store_rows(store, f"SELECT 1 FROM entries WHERE owner = '{late}'")  # noqa: S608
    problems = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert "could not check the account" not in problems
