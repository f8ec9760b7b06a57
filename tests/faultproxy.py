"""A fault-injecting HTTP proxy for one local wiki: the faults a real server cannot be made
to produce on demand (overload, replication lag, read-only mode), on a seeded random share
of requests. Everything else is passed to the real MediaWiki untouched.

Pywikibot is pointed at it by a family URL (``http://127.0.0.1:PORT/api.php``); a faulty
request never reaches the wiki, so a refused edit is really not made.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_EDIT = re.compile(rb'action=edit\b|name="action"\r\n\r\nedit\r\n')


class FaultProxy:
    """``with FaultProxy(upstream, share=1/3, seed=1) as proxy:`` then use ``proxy.url``."""

    def __init__(
        self,
        upstream: str,
        *,
        share: float,
        seed: int,
        always: Callable[[bytes], bool] | None = None,
        stall: float = 0.0,
    ) -> None:
        """`share` of the requests (seeded) get a fault; so does every request for which
        `always(query + body)` is true (one page that the wiki never gives, say). With
        `stall` > 0, a tenth of the faults are timeouts: no answer for `stall` seconds, then
        the connection is closed (set the client's read timeout below it)."""
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.share = share
        self.always = always
        self.stall = stall
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fault(self, query: bytes, body: bytes) -> str | None:
        """Which fault this request gets, if any: a third of them by default, seeded."""
        with self.lock:
            self.counts["requests"] += 1
            roll, pick = self.rng.random(), self.rng.random()
            if self.always is not None and self.always(query + b"&" + body):
                self.counts["always"] += 1
                return "503"
            if roll >= self.share:
                return None
            if self.stall and pick < 0.1:
                kind = "timeout"
            elif _EDIT.search(body) and pick < 0.7:
                kind = "readonly"
            elif b"maxlag=" in query + body and pick < 0.6:
                kind = "maxlag"
            else:
                kind = "503"
            self.counts[kind] += 1
            return kind

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._relay(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._relay(self.rfile.read(length))

            def _relay(self, body: bytes) -> None:
                query = urlsplit(self.path).query.encode()
                kind = proxy.fault(query, body)
                if kind == "timeout":
                    time.sleep(proxy.stall)
                    self.close_connection = True
                    return
                if kind == "503":
                    self._answer(503, b"<html><h1>503 Service Unavailable</h1></html>", "text/html")
                    return
                if kind in ("maxlag", "readonly"):
                    error = (
                        {"code": "maxlag", "info": "Waiting for db1: 1 seconds lagged", "lag": 1}
                        if kind == "maxlag"
                        else {"code": "readonly", "info": "The wiki is in read-only mode"}
                    )
                    payload = json.dumps({"error": error}).encode()
                    # As MediaWiki answers: HTTP 200, the error in the JSON, lag in headers.
                    headers = {"Retry-After": "1", "X-Database-Lag": "1"}
                    self._answer(200, payload, "application/json", headers)
                    return
                conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.request(self.command, self.path, body or None, headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status, resp.reason)
                for key, value in resp.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(
                self, status: int, data: bytes, ctype: str, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
