"""Two bot runs on one store at once could post a message twice: the second one must stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.run import RunLockedError, Runner, _process_start
from bot.store import Store
from tests.wikirun import WikiRun


def lock(store: Store, pid: int, started: float | None = None) -> None:
    holder = {
        "host": os.uname().nodename,
        "pid": pid,
        "since": _process_start(pid),
        "started": time.time() if started is None else started,
    }
    assert store.take_lock(holder, stale=lambda _: True)


def test_a_second_run_stops_while_a_live_one_holds_the_store(tmp_path: Path) -> None:
    runner = Runner(WikiRun(tmp_path).config())
    lock(runner.store, os.getpid())  # this very process: alive
    with pytest.raises(RunLockedError):
        runner.run()


def test_the_lock_of_a_killed_run_is_broken(tmp_path: Path) -> None:
    runner = Runner(WikiRun(tmp_path).config())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock(runner.store, gone.pid)
    assert runner._lock_is_stale(_holder(runner.store))
    lock(runner.store, os.getpid(), started=time.time() - 4 * 3600)  # older than lock_hours
    assert runner._lock_is_stale(_holder(runner.store))
    lock(runner.store, os.getpid())
    assert not runner._lock_is_stale(_holder(runner.store))


def _holder(store: Store) -> dict:
    import json

    value = store.get_meta("run_lock")
    assert value is not None
    return dict(json.loads(value))
