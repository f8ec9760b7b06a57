"""The 1EdTech Open Badges validator accepts what the builders publish (and rejects tampering).

Serves issuer, classes, assertions and images from a small Flask app on a free 127.0.0.1
port, the way the web tool will at the contract routes, and runs devtools/obvalidate.py in
the separate .venv-ob (created on first use by devtools/setup-ob-validator.sh).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask, Response, abort
from werkzeug.serving import make_server

from bot import baking
from bot import openbadges as ob
from bot.badge_rules import Award, BadgeKind, award_id, default_catalog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ALICE = "https://meta.wikimedia.org/wiki/User:Alice"
MALLORY = "https://meta.wikimedia.org/wiki/User:Mallory"
SKILLS = {"sparql": ("SPARQL", "Q54871"), "lua": ("Lua", "Q207316")}


class Site:
    """What the web tool will host, built by the same builders."""

    def __init__(self) -> None:
        self.base = ""
        self.catalog = default_catalog()
        self.assertions: dict[str, dict[str, object]] = {}  # award id -> hosted document
        self.kinds: dict[str, tuple[BadgeKind, str | None]] = {}
        self.gone: set[str] = set()  # revoked: answer 410

    def app(self) -> Flask:
        app = Flask(__name__)

        def ld(doc: object, status: int = 200) -> Response:
            return Response(json.dumps(doc), status=status, mimetype=ob.JSONLD_MIME)

        @app.get("/badges/issuer")
        def issuer() -> Response:
            return ld(
                ob.issuer_profile(
                    self.base,
                    "SkillMatch (Wikimedia skill development)",
                    "https://meta.wikimedia.org/wiki/SkillMatch",
                    "skillmatch@example.org",
                    description="Recognises volunteers who learn and share skills.",
                )
            )

        @app.get("/badges/classes/<path:name>")
        def badge_class(name: str) -> Response:
            stem, _, ext = (
                name.rpartition(".") if name.endswith((".png", ".svg")) else (name, "", "")
            )
            try:
                kind, skill = self.catalog.parse_class_id(stem)
            except KeyError:
                abort(404)
            label, qid = SKILLS.get(skill or "", (None, None))
            if ext == "png":
                return Response(ob.class_png(kind), mimetype="image/png")
            if ext == "svg":
                return Response(ob.class_svg(kind, "en", label), mimetype="image/svg+xml")
            return ld(ob.badge_class(self.base, kind, "en", label, qid, skill=skill))

        @app.get("/badges/assertions/<path:name>")
        def assertion(name: str) -> Response:
            stem, _, ext = (
                name.rpartition(".") if name.endswith((".png", ".svg")) else (name, "", "")
            )
            doc = self.assertions.get(stem)
            if doc is None:
                abort(404)
            if stem in self.gone:
                return ld(doc, 410)
            kind, skill = self.kinds[stem]
            if ext == "png":
                return Response(ob.assertion_png(doc, kind), mimetype="image/png")
            if ext == "svg":
                label = SKILLS.get(skill or "", (None, None))[0]
                return Response(ob.assertion_svg(doc, kind, "en", label), mimetype="image/svg+xml")
            return ld(doc)

        return app

    def award(
        self, kind_id: str, skill: str | None, user: str, *, issued: date | None = None
    ) -> Award:
        day = issued or date(2025, 3, 1)
        a = Award(
            id=award_id(kind_id, user, skill, (f"match:{user}-{kind_id}-{skill}",)),
            user=user,
            badge_class=kind_id,
            skill=skill,
            date=day,
            evidence=(f"match:{user}",),
        )
        return a

    def publish(self, a: Award, identity: str = ALICE, **kw: object) -> str:
        kind = self.catalog.get(a.badge_class)
        doc = ob.assertion(
            self.base,
            a,
            identity,
            ob.new_salt(),
            evidence_urls=["https://meta.wikimedia.org/wiki/SkillMatch/Matches#M1"],
            **kw,  # type: ignore[arg-type]
        )
        self.assertions[a.id] = doc
        self.kinds[a.id] = (kind, a.skill)
        return str(doc["id"])


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    server = make_server("127.0.0.1", 0, s.app(), threaded=True)
    s.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        server.shutdown()
        thread.join(timeout=5)


def run_validator(py: Path, target: str, recipient: str | None = None) -> dict[str, object]:
    cmd = [str(py), str(ROOT / "devtools" / "obvalidate.py"), target]
    if recipient:
        cmd += ["--recipient-url", recipient]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    out: dict[str, object] = json.loads(proc.stdout)
    out["_exit"] = proc.returncode
    return out


def errors(result: dict[str, object]) -> list[str]:
    msgs = result["messages"]
    assert isinstance(msgs, list)
    return [str(m["result"]) for m in msgs if m["level"] == "ERROR"]


def test_hosted_per_skill_assertion_is_valid(ob_python: Path, site: Site) -> None:
    url = site.publish(site.award("learner", "sparql", "Alice"))
    result = run_validator(ob_python, url, ALICE)
    assert result["valid"] is True, errors(result)
    assert result["errorCount"] == 0
    assert result["revoked"] is False
    assert result["_exit"] == 0


@pytest.mark.parametrize("kind_id", ["mentor-10", "event-offline", "needs-recorder"])
def test_general_badges_are_valid(ob_python: Path, site: Site, kind_id: str) -> None:
    url = site.publish(site.award(kind_id, None, "Alice"))
    result = run_validator(ob_python, url)
    assert result["valid"] is True, errors(result)
    assert result["errorCount"] == 0


def test_baked_png_and_svg_files_are_valid(ob_python: Path, site: Site, tmp_path: Path) -> None:
    import urllib.request

    url = site.publish(site.award("peer-exchange", "lua", "Alice"))
    for ext in ("png", "svg"):
        with urllib.request.urlopen(f"{url}.{ext}", timeout=10) as resp:
            data = resp.read()
        path = tmp_path / f"badge.{ext}"
        path.write_bytes(data)
        result = run_validator(ob_python, str(path), ALICE)
        assert result["valid"] is True, (ext, errors(result))
        assert result["errorCount"] == 0
        assert result["validationSubject"] == url


def test_revoked_assertion_is_reported_revoked(ob_python: Path, site: Site) -> None:
    a = site.award("mentor-1", None, "Alice")
    url = site.publish(a, revoked=True, revocation_reason="Mentorship withdrawn on the wiki.")
    result = run_validator(ob_python, url)
    assert result["revoked"] is True
    assert result["valid"] is False
    assert result["_exit"] == 1
    site.gone.add(a.id)  # the web tool answers 410 as well: still revoked
    result = run_validator(ob_python, url)
    assert result["revoked"] is True


def test_wrong_recipient_fails(ob_python: Path, site: Site) -> None:
    url = site.publish(site.award("trainer", None, "Alice"))
    result = run_validator(ob_python, url, MALLORY)
    assert result["valid"] is False
    assert any("did not match" in e for e in errors(result))


def test_tampered_baked_copy_is_checked_against_hosted(
    ob_python: Path, site: Site, tmp_path: Path
) -> None:
    """Mallory edits the baked JSON to name herself; the validator trusts the hosted copy."""
    a = site.award("mentor-3", None, "Alice")
    url = site.publish(a)
    kind = site.catalog.get("mentor-3")
    forged = ob.assertion(site.base, a, MALLORY, "pepper")
    path = tmp_path / "forged.png"
    path.write_bytes(baking.bake_png(ob.class_png(kind), ob.to_json(forged)))
    result = run_validator(ob_python, str(path), MALLORY)
    assert result["valid"] is False
    assert result["validationSubject"] == url
    assert any("did not match" in e for e in errors(result))


def test_wrong_badge_id_fails(ob_python: Path, site: Site) -> None:
    """An assertion naming a badge class that does not exist (a per-skill class sans skill)."""
    a = replace(site.award("learner", None, "Alice"), id="0" * 32)
    url = site.publish(a)
    result = run_validator(ob_python, url)
    assert result["valid"] is False
    assert errors(result)


def test_assertion_on_foreign_origin_fails(ob_python: Path, site: Site) -> None:
    """Hosted on another origin than the issuer's: the hosted-verification check fails."""
    a = site.award("event-online", None, "Alice")
    site.publish(a)
    port = site.base.rsplit(":", 1)[1]
    foreign = f"http://localhost:{port}"
    doc = ob.assertion(foreign, a, ALICE, "salt")
    doc["badge"] = ob.class_url(site.base, a.badge_class_id)
    site.assertions[a.id] = doc
    result = run_validator(ob_python, str(doc["id"]))
    assert result["valid"] is False
    assert any("allowed origins" in e for e in errors(result))


def test_future_issue_date_fails(ob_python: Path, site: Site) -> None:
    a = site.award("event-offline", None, "Bob", issued=date.today() + timedelta(days=30))
    url = site.publish(a, ALICE)
    result = run_validator(ob_python, url)
    assert result["valid"] is False
    assert any("future" in e for e in errors(result))


def test_obvalidate_usage_error(ob_python: Path) -> None:
    proc = subprocess.run(
        [str(ob_python), str(ROOT / "devtools" / "obvalidate.py")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert sys.executable  # the test itself runs in the project venv
