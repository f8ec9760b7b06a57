"""Acceptance: the real web tool's Open Badges pass the 1EdTech validator, every one of them.

The application from ``create_app`` serves a store filled by ``webtool.sampledata`` and by
awards written the bot's way (``tests/badgeharness.py``) over HTTP on a free 127.0.0.1 port
(werkzeug's server in a thread), with that address as its public base URL. Every assertion in
the store then goes through devtools/obvalidate.py in the separate ``.venv-ob``: valid ones
with zero errors (and the right recipient), the revoked one reported revoked, and tampered
baked copies rejected. To keep the run short on a small machine, one validator process checks
the whole batch through obvalidate's own ``validate``/``summary`` (the CLI is run once too).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot import baking
from bot import openbadges as ob
from bot.store import Store
from tests.badgeharness import ISSUER, WIKIS, badge_store, write_key
from webtool.app import create_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MALLORY = "https://meta.wikimedia.org/wiki/User:Mallory"
# Runs inside .venv-ob: obvalidate's own functions over a batch of targets, one JSON per line.
DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import obvalidate
with open(sys.argv[2], encoding="utf-8") as jobs:
    for line in jobs:
        job = json.loads(line)
        out = obvalidate.summary(obvalidate.validate(job["target"], job.get("recipient")))
        print(json.dumps({"target": job["target"], **out}, default=str), flush=True)
"""


@dataclass
class Served:
    base: str
    store_url: str
    rows: dict[str, dict[str, Any]]
    directory: Path

    def awards(self) -> list[dict[str, Any]]:
        return Store(self.store_url).load_awards()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("ob-web")
    store_url, rows = badge_store(directory, 200, seed=7)
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    server.app = create_app(  # the real tool, told the address it is served at
        {
            "store_url": store_url,
            "base_url": base,
            "wikis": WIKIS,
            "badge_issuer": ISSUER,
            "ob3_key_file": str(write_key(directory)),
        }
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(base, store_url, rows, directory)
    finally:
        server.shutdown()
        thread.join(timeout=5)


def user_page(row: dict[str, Any]) -> str:
    """The recipient's user page URL, computed independently of the tool."""
    article = {str(w["id"]): str(w["article_url"]) for w in WIKIS}[row["wiki"]]
    title = "User:" + "_".join(str(row["username"]).split())
    return article + quote(title, safe=";@$!*(),/~:")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def validate_all(py: Path, jobs: list[dict[str, str]], workdir: Path) -> dict[str, dict[str, Any]]:
    """Run the validator over ``jobs`` ({"target", "recipient"?}) in one .venv-ob process."""
    path = workdir / "jobs.jsonl"
    path.write_text("".join(json.dumps(job) + "\n" for job in jobs), encoding="utf-8")
    proc = subprocess.run(
        [str(py), "-c", DRIVER, str(ROOT / "devtools"), str(path)],
        capture_output=True,
        text=True,
        timeout=60 + 20 * len(jobs),
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(jobs), proc.stderr[-3000:]
    return {r["target"]: r for r in results}


def errors(result: dict[str, Any]) -> list[str]:
    return [str(m["result"]) for m in result["messages"] if m["level"] == "ERROR"]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        data: bytes = resp.read()
    return data


def test_every_assertion_in_the_store_passes_the_validator(
    ob_python: Path, served: Served, tmp_path: Path
) -> None:
    rows = served.awards()
    jobs = []
    for row in rows:
        job = {"target": f"{served.base}/badges/assertions/{row['id']}"}
        if not row["revoked"]:
            job["recipient"] = user_page(row)
        jobs.append(job)
    results = validate_all(ob_python, jobs, tmp_path)
    valid = revoked = warnings = 0
    for row, job in zip(rows, jobs, strict=True):
        result = results[job["target"]]
        if row["revoked"]:
            assert result["revoked"] is True, job["target"]
            assert result["valid"] is False
            revoked += 1
            continue
        assert result["valid"] is True, (row["badge_class"], row["username"], errors(result))
        assert result["errorCount"] == 0, errors(result)
        assert result["revoked"] is False
        assert result["validationSubject"] == job["target"]
        valid += 1
        warnings += int(result["warningCount"])
    assert revoked == 2  # sampledata's and the harness's
    assert valid >= 10 and valid + revoked == len(rows)
    kinds = {row["badge_class"] for row in rows}
    assert {"learner", "mentor-1", "mentor-3", "peer-exchange", "event-offline"} <= kinds
    assert {"trainer", "needs-recorder"} <= kinds
    print(
        f"\nvalidator: {len(rows)} assertions: {valid} valid with 0 errors"
        f" ({warnings} warnings), {revoked} revoked"
    )


def test_the_cli_accepts_an_assertion_and_rejects_a_revoked_one(
    ob_python: Path, served: Served
) -> None:
    script = str(ROOT / "devtools" / "obvalidate.py")
    learner = served.rows["learner"]
    url = f"{served.base}/badges/assertions/{learner['id']}"
    proc = subprocess.run(
        [str(ob_python), script, url, "--recipient-url", user_page(learner)],
        capture_output=True,
        text=True,
        timeout=180,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["valid"] is True and out["errorCount"] == 0
    gone = f"{served.base}/badges/assertions/{served.rows['revoked']['id']}"
    proc = subprocess.run(
        [str(ob_python), script, gone], capture_output=True, text=True, timeout=180, env=clean_env()
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["revoked"] is True


def test_baked_images_pass_and_tampered_copies_fail(
    ob_python: Path, served: Served, tmp_path: Path
) -> None:
    """Baked PNG/SVG files validate; a copy re-baked to name Mallory is checked against the
    hosted assertion and rejected."""
    jobs: list[dict[str, str]] = []
    expect: dict[str, tuple[bool, str]] = {}  # file → (valid?, hosted assertion URL)
    for name in ("learner", "event", "peer"):
        row = served.rows[name]
        url = f"{served.base}/badges/assertions/{row['id']}"
        hosted = json.loads(fetch(url))
        mallory = {"type": "url", "hashed": True, "salt": "pepper"}
        mallory["identity"] = ob.hash_identity(MALLORY, "pepper")
        forged = {**hosted, "recipient": mallory}
        for ext in ("png", "svg"):
            data = fetch(f"{url}.{ext}")
            good = tmp_path / f"{name}.{ext}"
            good.write_bytes(data)
            jobs.append({"target": str(good), "recipient": user_page(row)})
            expect[str(good)] = (True, url)
            bad = tmp_path / f"{name}-forged.{ext}"
            if ext == "png":
                bad.write_bytes(baking.bake_png(data, ob.to_json(forged)))
                assert (
                    json.loads(baking.unbake_png(bad.read_bytes()))["recipient"]
                    != hosted["recipient"]
                )
            else:
                text = data.decode("utf-8")
                bad.write_text(baking.bake_svg(text, ob.to_json(forged), url), encoding="utf-8")
            jobs.append({"target": str(bad), "recipient": MALLORY})
            expect[str(bad)] = (False, url)
    results = validate_all(ob_python, jobs, tmp_path)
    for target, (ok, url) in expect.items():
        result = results[target]
        assert result["validationSubject"] == url, target
        if ok:
            assert result["valid"] is True and result["errorCount"] == 0, (target, errors(result))
        else:
            assert result["valid"] is False, target
            assert any("did not match" in e for e in errors(result)), errors(result)
