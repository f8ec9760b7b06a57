"""RunCache under concurrency: one store query per check interval, however many threads ask."""

from __future__ import annotations

import threading

from webtool.cache import RunCache


def test_one_thread_checks_the_run_key_while_the_others_use_the_cache() -> None:
    now = [0.0]
    calls: list[int] = []
    asked = threading.Event()
    release = threading.Event()

    def key_source() -> int:
        calls.append(1)
        if len(calls) > 1:  # the second check (after the interval) is slow, like a busy DB
            asked.set()
            release.wait(5)
        return 1

    cache = RunCache(key_source, check_seconds=5.0, clock=lambda: now[0])
    assert cache.get("k", lambda: "v") == "v" and len(calls) == 1
    now[0] = 10.0  # the interval has passed
    slow = threading.Thread(target=cache.get, args=("k", lambda: "v"))
    slow.start()
    assert asked.wait(5)
    answers = [cache.get("k", lambda: "recomputed") for _ in range(20)]
    release.set()
    slow.join(5)
    assert answers == ["v"] * 20  # served from the cache while the check was running
    assert len(calls) == 2  # and nobody else queried the store


def test_a_new_run_key_empties_the_cache() -> None:
    now = [0.0]
    key = [1]
    cache = RunCache(lambda: key[0], check_seconds=5.0, clock=lambda: now[0])
    assert cache.get("k", lambda: "old") == "old"
    key[0] = 2
    now[0] = 3.0
    assert cache.get("k", lambda: "new") == "old"  # not checked yet
    now[0] = 6.0
    assert cache.get("k", lambda: "new") == "new"
