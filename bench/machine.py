"""How fast this machine is right now, so figures taken at different moments can be compared.

The development VM shares its host: the same code has measured 27,000 and 17,000 parsed
entries/s an hour apart. Every bench prints this reference next to its figures: a fixed
pure-Python loop (what the parser and validator mostly are), best of five.
"""

from __future__ import annotations

import os
import time

LOOP = 5_000_000


def reference_seconds() -> float:
    """Best of five timings of a 5,000,000-step pure-Python loop."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        total = 0
        for i in range(LOOP):
            total += i
        best = min(best, time.perf_counter() - t0)
    return best


def describe() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPUs, load average {load}; "
        f"reference loop ({LOOP:,} Python steps) {reference_seconds():.3f} s"
    )
