"""What the browser tests share: the web tool served on 127.0.0.1 and Debian's Chromium.

`serve_sample_store` runs the app on a sample store in a real WSGI server (werkzeug's, in a
thread) on a free loopback port; `chromium` launches Debian's headless Chromium through
Playwright (a browser download by Playwright would fail here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from bot.store import Store
from webtool import sampledata
from webtool.app import create_app

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def serve_sample_store(directory: Path, wiki: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The base URL and the sample data's summary, while the server runs."""
    url = f"sqlite:///{directory / 'store.db'}"
    summary = sampledata.populate(Store(url), 120, seed=11, today=date.today())
    app = create_app({"store_url": url, "wikis": [wiki]})
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{srv.server_port}", "summary": summary}
    finally:
        srv.shutdown()
        thread.join(timeout=5)


@contextmanager
def chromium(args: list[str]) -> Iterator[Any]:
    """Debian's Chromium, headless, closed on exit."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (devtools/install-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield b
        finally:
            b.close()
