"""`make demo` end to end, and the acceptance test of recognition on the demo's own data.

The demo runs as a newcomer runs it (a subprocess, no standard input): two local wikis, a
seeded multilingual crowd, four bot runs with volunteers confirming, forging and withdrawing
in between, then the web tool on 127.0.0.1. While it serves, every Open Badges assertion in
its store goes through the 1EdTech validator over HTTP: the valid ones with zero errors and
the right recipient, the revoked ones reported revoked. SIGTERM then stops everything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot import ob3
from bot.store import Store
from devtools.localwiki import WikiFarm, free_port
from tests.test_webtool_badges_ob3 import (
    JWT_CLAIMS,
    check_claims_against_body,
    pyjwt_verify,
    schema_validator,
)
from tests.test_webtool_badges_validator import errors, validate_all

pytestmark = [pytest.mark.wiki, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def _lines_until(proc: subprocess.Popen[str], pattern: str, timeout: float) -> list[str]:
    """Read the demo's output until a line matches (the demo never asks for input)."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail("the demo ended early:\n" + "".join(seen[-40:]))
        seen.append(line)
        if re.search(pattern, line):
            return seen
    pytest.fail(f"no {pattern!r} after {timeout} s:\n" + "".join(seen[-40:]))


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_demo_runs_and_every_badge_it_issued_validates(ob_python: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("PYWIKIBOT_DIR", None)
    cmd = [sys.executable, "-m", "devtools.demo", "--root", str(root), "--port", str(port)]
    cmd += ["--people", "90", "--pairs", "3", "--seed-method", "import"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out = "".join(_lines_until(proc, r"serving the web tool on", 600))
        runs = re.findall(r"run (\d): .*?; (\d+) new badges, (\d+) revoked; .*?(\d+) edits", out)
        assert [r[0] for r in runs] == ["1", "2", "3", "4"], out
        assert int(runs[1][1]) > 0, "confirmed completions must award badges"
        assert int(runs[2][2]) > 0, "the withdrawn completion must revoke badges"
        assert runs[3][3] == "0", "the last run must edit nothing"
        assert "the bot must ignore it" in out

        base = f"http://127.0.0.1:{port}"
        assert _get(base + "/healthz")[0] == 200
        store = Store(f"sqlite:///{root / 'skillmatch.db'}")
        awards = store.load_awards()
        kinds = {a["badge_class"] for a in awards}
        assert {"learner", "mentor-1", "trainer", "needs-recorder"} <= kinds, kinds
        assert any(a["badge_class"].startswith("event-") for a in awards), kinds
        revoked = [a for a in awards if a["revoked"]]
        # The withdrawn mentorship's badges, and a needs-recorder badge whose need only that
        # mentorship had acted on (its skill): nothing else rested on the withdrawal.
        taken_back = {a["skill"] for a in revoked if a["badge_class"] == "learner"}
        assert revoked and all(
            a["badge_class"] in ("learner", "mentor-1")
            or (
                a["badge_class"] == "needs-recorder"
                and a["evidence"][0].rsplit(":", 1)[1] in taken_back
            )
            for a in revoked
        ), revoked

        farm = WikiFarm.attach(root / "wikis")
        article = {w.name: f"{w.index_url}?title=" for w in farm}
        jobs: list[dict[str, Any]] = []
        for a in awards:
            job = {"target": f"{base}/badges/assertions/{a['id']}"}
            if not a["revoked"]:
                title = "User:" + "_".join(a["username"].split())
                job["recipient"] = article[a["wiki"]] + quote(title, safe=";@$!*(),/~:")
            jobs.append(job)
        results = validate_all(ob_python, jobs, tmp_path)
        for a, job in zip(awards, jobs, strict=True):
            result = results[job["target"]]
            if a["revoked"]:
                assert result["revoked"] is True and result["valid"] is False, job
                assert _get(job["target"])[0] == 410
            else:
                assert result["valid"] is True, (a["badge_class"], errors(result))
                assert result["errorCount"] == 0, errors(result)
        # Every OB 3.0 credential the demo issued: verified by an outside JOSE library
        # (PyJWT) with the published JWKS, claims matching the body, the official
        # AchievementCredential schema, and the revoked ones in the published list.
        schema = schema_validator()
        jwks = json.loads(_get(base + "/badges/issuer/jwks.json")[1])
        revocations = json.loads(_get(base + "/badges/revocations")[1])
        listed = {e["id"] for e in revocations["revokedCredential"] if e.get("revoked", True)}
        for a in awards:
            status, token = _get(f"{base}/badges/credentials/{a['id']}")
            if a["revoked"]:
                assert status == 410 and ob3.credential_id(a["id"]) in listed, a["id"]
                continue
            assert status == 200, a["id"]
            claims = pyjwt_verify(token.decode("ascii"), jwks)
            check_claims_against_body(claims)
            body = {k: v for k, v in claims.items() if k not in JWT_CLAIMS}
            assert not [e.message for e in schema.iter_errors(body)], a["id"]
            assert body["id"] not in listed
        page_status, page = _get(f"{base}/badges/awards/{awards[0]['id']}?uselang=ar")
        assert page_status == 200 and b'dir="rtl"' in page
        print(
            f"\ndemo: {len(awards)} assertions through the validator, "
            f"{len(awards) - len(revoked)} valid with 0 errors, {len(revoked)} revoked; "
            f"as many OB 3.0 credentials verified and schema-valid"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
    assert proc.returncode == 0, rest[-3000:]
    assert "wikis stopped" in rest
