"""`python -m bot parse|match` as the contract states: JSON out, exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_parse_clean_file_exits_0_with_records(tmp_path: Path) -> None:
    f = tmp_path / "ok.wiki"
    f.write_text(
        "{{Skill signup|user=Alice|wants=SPARQL|languages=en}}\n"
        "{{Skill offer|user=Bob|skills=Lua (expert)|languages=en|capacity=2}}\n"
        "{{Skill need|community=arwiki|skill=SPARQL|by=Farid}}\n"
        "{{Skill resource|skill=Lua|title=Lua guide|link=Help:Lua}}\n"
        "{{Skill event|id=e1|title=T|organizer=Grace|skills=Lua|date=2026-12-01}}\n"
        "{{Skill attendee|event=e1|user=Heidi}}\n",
        encoding="utf-8",
    )
    p = run("parse", str(f))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= {"signups", "offers", "needs", "resources", "events", "attendees", "errors"}
    assert out["signups"][0]["wants"][0]["skill"] == "sparql"
    assert out["offers"][0]["skills"] == [{"skill": "lua", "level": "expert"}]
    assert out["errors"] == []


def test_parse_rejection_exits_1_and_still_prints_json(tmp_path: Path) -> None:
    f = tmp_path / "bad.wiki"
    f.write_text(
        "{{Skill signup|user=Alice|wants=Sparq|languages=en}}\n"
        "{{Skill signup|user=Bob|wants=Lua|languages=en}}\n"
    )
    p = run("parse", str(f))
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert [s["user"] for s in out["signups"]] == ["Bob"]
    (err,) = out["errors"]
    assert err["file"] == str(f) and err["line"] == 1 and err["template"] == "Skill signup"
    assert "Did you mean" in err["reason"] and "sparql" in err["reason"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("parse").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("parse", str(tmp_path / "missing.wiki")).returncode == 2
    assert (
        run(
            "match", "--input", str(tmp_path / "nope.json"), "--output", str(tmp_path / "o.json")
        ).returncode
        == 2
    )


def test_match_reads_and_writes_contract_json(tmp_path: Path) -> None:
    instance = {
        "learners": [
            {
                "id": "L1",
                "wants": ["lua"],
                "languages": ["en"],
                "community": "enwiki",
                "region": None,
                "format": "online",
            },
            {
                "id": "L2",
                "wants": ["lua"],
                "languages": ["ar"],
                "community": None,
                "region": None,
                "format": "online",
            },
        ],
        "mentors": [
            {
                "id": "M1",
                "offers": ["lua"],
                "languages": ["en"],
                "community": "enwiki",
                "region": None,
                "format": "online",
                "capacity": 1,
            }
        ],
        "peers": [
            {
                "id": "P1",
                "wants": ["sparql"],
                "offers": ["glam"],
                "languages": ["en"],
                "community": None,
                "region": None,
                "format": "online",
            },
            {
                "id": "P2",
                "wants": ["glam"],
                "offers": ["sparql"],
                "languages": ["en"],
                "community": None,
                "region": None,
                "format": "online",
            },
        ],
        "existing": [],
    }
    src, dst = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(instance))
    p = run("match", "--input", str(src), "--output", str(dst))
    assert p.returncode == 0, p.stderr
    out = json.loads(dst.read_text())
    assert [(m["learner"], m["mentor"]) for m in out["matches"]] == [("L1", "M1")]
    assert out["matches"][0]["skills"] == ["lua"] and out["matches"][0]["reasons"]
    assert [(x["a"], x["b"]) for x in out["peer_pairs"]] == [("P1", "P2")]
    assert out["unmatched"] == ["L2"]
