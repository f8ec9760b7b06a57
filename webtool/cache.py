"""A small per-process cache that empties itself when the bot finishes a run.

Why: the store changes only when the bot runs (hourly or so) while the tool may be read many
times a second; every answer is a pure function of (store state, request), so answers are kept
until the latest run's id or finish time changes. The store is asked for that key at most once
every ``check_seconds``, so a page costs no query at all between checks. Size is bounded (LRU)
because keys include filter values chosen by readers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class RunCache:
    """Memoise computed values until the store's run key changes."""

    def __init__(
        self,
        key_source: Callable[[], Hashable],
        *,
        check_seconds: float = 5.0,
        max_items: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key_source = key_source
        self._check_seconds = check_seconds
        self._max_items = max_items
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._run_key: Hashable = object()
        self._checked_at = float("-inf")

    def _refresh(self) -> None:
        now = self._clock()
        with self._lock:
            if self._check_seconds > 0 and now - self._checked_at < self._check_seconds:
                return
            if self._check_seconds > 0:
                # One thread asks the store; under load the others keep answering from the
                # cache instead of all sending the same query at once.
                self._checked_at = now
        key = self._key_source()
        with self._lock:
            self._checked_at = now
            if key != self._run_key:
                self._run_key = key
                self._items.clear()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value for ``key``, computing it (outside the lock) when missing."""
        self._refresh()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                value: T = self._items[key]
                return value
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._checked_at = float("-inf")
