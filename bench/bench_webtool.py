"""Benchmark the web tool as Toolforge runs it: gunicorn on loopback, 10,000 participants.

For each backend (SQLite, then a private local MariaDB server from ``devtools.localmariadb``:
ToolsDB's engine, over TCP as on Toolforge) builds the store with ``webtool.sampledata``
(through the bot's write path), starts the
same gunicorn command as the ``Procfile`` on a free 127.0.0.1 port, warms the caches, then
drives it with a bounded load client (processes × threads, one keep-alive ``http.client``
connection each; a fixed number of requests and a time limit) and prints requests per second
and p50/p99 latency for the JSON API and for the HTML pages. Targets (printed, not asserted):
JSON ≥ 1,000 req/s with p99 < 50 ms, HTML ≥ 300 req/s. The client runs on the same two cores
as the server, so the figures are a floor.

    python -m bench.bench_webtool [--people 10000] [--requests 20000] [--seconds 60]
                                  [--backends sqlite,mariadb]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
TARGETS: dict[str, tuple[float, float | None]] = {
    "JSON API": (1000.0, 50.0),
    "HTML pages": (300.0, None),
}


@dataclass
class Result:
    ok: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def report(name: str, result: Result, note: str) -> str:
    return (
        f"{name:10s}: {result.ok} ok, {result.errors} errors in {result.seconds:.1f} s"
        f" = {result.rate:,.0f} req/s; p50 {result.percentile(50):.1f} ms,"
        f" p99 {result.percentile(99):.1f} ms ({note})"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _thread_load(
    port: int,
    paths: Sequence[str],
    quota: int,
    deadline: float,
    seed: int,
    out: list[float],
    errors: list[int],
) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(quota):
        if time.monotonic() > deadline:
            break
        path = paths[rng.randrange(len(paths))]
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors[0] += 1
            else:
                out.append(time.perf_counter() - start)
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        except (OSError, http.client.HTTPException):
            errors[0] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.close()


def _process_load(args: tuple[int, list[str], int, int, float, int]) -> tuple[list[float], int]:
    port, paths, threads, quota, seconds, seed = args
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [[0] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_thread_load,
            args=(port, paths, quota, deadline, seed * 100 + i, latencies[i], errors[i]),
        )
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [x for lat in latencies for x in lat], sum(e[0] for e in errors)


def load(
    port: int, paths: Sequence[str], total: int, processes: int, threads: int, seconds: float
) -> Result:
    """Send ``total`` GETs (at most ``seconds`` long) from processes × threads connections."""
    quota = max(1, total // (processes * threads))
    ctx = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with ctx.Pool(processes) as pool:
        parts = pool.map(
            _process_load,
            [(port, list(paths), threads, quota, seconds, p) for p in range(processes)],
        )
    elapsed = time.perf_counter() - start
    latencies = [x for lat, _ in parts for x in lat]
    return Result(len(latencies), sum(e for _, e in parts), elapsed, latencies)


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


def run_backend(backend: str, store_url: str, args: argparse.Namespace) -> None:
    """Fill the store at ``store_url``, serve it with gunicorn, print each scenario's figures."""
    from bot.store import Store
    from webtool import sampledata

    proc: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        store = Store(store_url)
        summary = sampledata.populate(store, args.people, seed=1)
        store.engine.dispose()
        print(
            f"[{backend}] store: {args.people} participants, {len(summary['matches'])} matches, "
            f"{len(summary['events'])} events ({time.perf_counter() - started:.1f} s to build)"
        )
        port = free_port()
        env = {**os.environ, "SKILLMATCH_STORE_URL": store_url, "SKILLMATCH_CACHE_SECONDS": "5"}
        env.pop("SKILLMATCH_CONFIG", None)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "webtool.app:create_app()",
        ]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True)
        wait_healthy(port, proc)
        rng = random.Random(7)
        people = [quote(p) for p in rng.sample(summary["people"], min(200, len(summary["people"])))]
        skills = rng.sample(summary["skills"], min(20, len(summary["skills"])))
        api = [
            "/api/v1/skills",
            "/api/v1/skills?method=mentorship",
            "/api/v1/needs?limit=50",
            "/api/v1/matches?limit=50",
            "/api/v1/matches?state=active&limit=50",
            "/api/v1/events",
            *(f"/api/v1/skills/{s}" for s in skills),
            *(f"/api/v1/people/{p}" for p in people),
        ]
        pages = [
            "/",
            "/skills",
            "/skills?lang=ar",
            "/needs",
            "/matches",
            "/matches?page=2",
            "/communities",
            "/events",
            "/?uselang=ja",
            "/needs?uselang=ar",
            *(f"/skills/{s}" for s in skills),
            *(f"/people/{p}" for p in people),
        ]
        print(
            f"[{backend}] server: gunicorn gthread, {args.workers} workers x 4 threads on "
            f"127.0.0.1:{port}; client: {args.processes} processes x {args.threads} keep-alive "
            f"connections; {os.cpu_count()} CPUs shared"
        )
        # Warm both workers on every scenario before measuring any, which also lets a freshly
        # loaded server finish its background work (InnoDB purge and flush after the bulk load).
        for paths in (api, pages):
            load(port, paths * 2, len(paths) * 2 * 4, args.processes, args.threads, args.seconds)
        for name, paths in (("JSON API", api), ("HTML pages", pages)):
            result = load(port, paths, args.requests, args.processes, args.threads, args.seconds)
            rate_target, p99_target = TARGETS[name]
            verdict = (
                "meets"
                if result.rate >= rate_target
                and (p99_target is None or result.percentile(99) < p99_target)
                else "misses"
            )
            target = f">= {rate_target:,.0f} req/s" + (
                f", p99 < {p99_target:.0f} ms" if p99_target else ""
            )
            print(f"[{backend}] " + report(name, result, f"{verdict} target: {target}"))
        # Cache misses: person pages nobody asked for yet (a query and a render each).
        warmed = set(people)
        cold = [quote(p) for p in summary["people"] if quote(p) not in warmed][: args.cold]
        result = load(
            port,
            [f"/people/{p}" for p in cold],
            len(cold),
            args.processes,
            args.threads,
            args.seconds,
        )
        print(f"[{backend}] " + report("cold pages", result, "uncached /people/<name>, no target"))
        cold_api = [quote(p) for p in summary["people"] if quote(p) not in warmed][
            args.cold : 2 * args.cold
        ]
        result = load(
            port,
            [f"/api/v1/people/{p}" for p in cold_api],
            len(cold_api),
            args.processes,
            args.threads,
            args.seconds,
        )
        print(
            f"[{backend}] "
            + report("cold JSON", result, "uncached /api/v1/people/<name>, no target")
        )
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000, help="per scenario")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per scenario")
    parser.add_argument("--processes", type=int, default=2, help="load client processes")
    parser.add_argument("--threads", type=int, default=4, help="connections per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--cold", type=int, default=3000, help="uncached person requests")
    parser.add_argument(
        "--backends",
        default="sqlite,mariadb",
        help="comma-separated: sqlite, mariadb (a private local MariaDB server, ToolsDB's engine)",
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-webtool-"))
    try:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                run_backend(backend, f"sqlite:///{tmp / 'bench.db'}", args)
            elif backend == "mariadb":
                from devtools.localmariadb import LocalMariaDB

                with LocalMariaDB.start(tmp / "mariadb") as db:
                    run_backend(backend, db.url, args)
            else:
                parser.error(f"unknown backend {backend!r}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
