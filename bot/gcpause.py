"""Pause Python's cyclic garbage collector around one bulk, allocation-heavy step.

Parsing thousands of entries or matching 100k learners allocates millions of small containers
(records, dicts, tuples) that form no reference cycles. Each burst of allocations triggers
collections that rescan every live object: a third of the parse time and most of the time
spent building the matcher's output went there. Reference counting still frees everything as
usual; only the search for cycles waits until the step is over.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic GC inside the block (nesting is fine); re-enable it after.

    On the way out, everything allocated meanwhile is handed straight to the oldest
    generation (freeze, then unfreeze): otherwise the first allocation after ``gc.enable()``
    scans all of it as "young" (half a second at 100k learners) to find no cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
