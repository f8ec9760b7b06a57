"""Every language code MediaWiki knows is accepted; variants match through its fallback chains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import languages
from bot.matching import Learner, Mentor, solve
from devtools import refresh_languages

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = languages.mediawiki()
ALL_CODES = sorted({*SNAPSHOT.names, *SNAPSHOT.deprecated})


def parse_cli(path: Path) -> dict[str, list[dict[str, object]]]:
    p = subprocess.run(
        [sys.executable, "-m", "bot", "parse", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out: dict[str, list[dict[str, object]]] = json.loads(p.stdout)
    assert p.returncode == (1 if out["errors"] else 0), p.stderr
    return out


def test_snapshot_is_mediawikis_list() -> None:
    assert SNAPSHOT.version.startswith("1.39")
    assert len(SNAPSHOT.names) >= 490
    for code in ("dag", "fon", "bho", "nan", "gsw", "sr-ec", "kk-cyrl", "zh-tw", "de-ch"):
        assert code in SNAPSHOT.names, code
    assert SNAPSHOT.deprecated["be-x-old"] == "be-tarask"
    assert SNAPSHOT.fallbacks["zh-hant"][:2] == ("zh-tw", "zh-hk")


@pytest.mark.skipif(not refresh_languages.MEDIAWIKI.exists(), reason="no MediaWiki install")
def test_committed_snapshot_is_what_the_devtools_script_writes(tmp_path: Path) -> None:
    assert refresh_languages.main([str(tmp_path)]) == 0
    for committed in (refresh_languages.SNAPSHOT, refresh_languages.PLURALS):
        fresh = tmp_path / committed.name
        assert json.loads(fresh.read_text(encoding="utf-8")) == json.loads(
            committed.read_text(encoding="utf-8")
        )


def test_every_mediawiki_code_is_accepted_by_python_m_bot_parse(tmp_path: Path) -> None:
    lines = [
        f"{{{{Skill signup|user=Lang{i}|wants=Lua|languages={code}}}}}"
        for i, code in enumerate(ALL_CODES)
    ]
    # Values are capped at 1000 characters, so the other kinds get the codes 100 at a time.
    chunks = [", ".join(ALL_CODES[i : i + 100]) for i in range(0, len(ALL_CODES), 100)]
    for n, listed in enumerate(chunks):
        lines += [
            f"{{{{Skill offer|user=Offerer{n}|skills=Lua|languages={listed}|capacity=2}}}}",
            f"{{{{Skill need|community=wiki{n}|skill=SPARQL|by=Farid|languages={listed}}}}}",
            f"{{{{Skill resource|skill=Lua|title=Guide {n}|link=Help:Lua|languages={listed}}}}}",
            f"{{{{Skill event|id=e{n}|title=T|organizer=Grace|skills=Lua|date=2026-12-01"
            f"|languages={listed}}}}}",
        ]
    lines.append("{{Skill signup|user=Typo|wants=Lua|languages=eng}}")
    f = tmp_path / "all.wiki"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = parse_cli(f)
    assert len(out["signups"]) == len(ALL_CODES)
    expected = [languages.canonical(c) for c in ALL_CODES]
    assert [s["languages"] for s in out["signups"]] == [[c] for c in expected]
    canon = list(dict.fromkeys(expected))
    for kind in ("offers", "needs", "resources", "events"):
        assert len(out[kind]) == len(chunks), kind
        got = [code for record in out[kind] for code in record["languages"]]  # type: ignore[attr-defined]
        assert list(dict.fromkeys(got)) == canon, kind
    (err,) = out["errors"]
    assert err["code"] == "bad-language-suggest" and err["line"] == len(lines)
    assert '"eng"' in str(err["reason"]) and "Did you mean en?" in str(err["reason"])


@pytest.mark.parametrize(
    ("code", "hint"),
    [("eng", "en"), ("jpn", "ja"), ("ara", "ar"), ("English", "en"), ("français", "fr")],
)
def test_typos_get_a_hint(code: str, hint: str) -> None:
    assert not languages.is_known(code)
    assert languages.suggestion(code) == hint


def test_unknown_code_without_a_hint() -> None:
    assert not languages.is_known("xx") and languages.suggestion("xx") is None


def test_deprecated_codes_are_read_as_their_replacement() -> None:
    assert languages.canonical("be-x-old") == "be-tarask"
    assert languages.canonical("zh-min-nan") == "nan"
    assert languages.canonical("BE_X_OLD") == "be-tarask"
    assert languages.canonical("fr") == "fr"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("de-formal", "de"),
        ("de-ch", "de"),
        ("zh-hant", "zh-tw"),
        ("zh-hk", "zh-hant"),
        ("zh-cn", "zh-hans"),
        ("sr-ec", "sr"),
        ("sr-el", "sr-latn"),
        ("kk-cyrl", "kk"),
        ("nl-informal", "nl"),
        ("pt-br", "pt"),
        ("en-gb", "en"),
    ],
)
def test_same_language_variants_share_a_match_key(a: str, b: str) -> None:
    assert languages.match_key(a) == languages.match_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("zh-hant", "zh-hans"),
        ("zh-tw", "zh-cn"),
        ("sr-el", "sr-ec"),
        ("kk-arab", "kk-cyrl"),
        ("ku-arab", "ku-latn"),
        ("de", "en"),
        ("ar", "arz"),
    ],
)
def test_different_scripts_or_languages_do_not(a: str, b: str) -> None:
    assert languages.match_key(a) != languages.match_key(b)


def test_matching_pairs_a_zh_tw_learner_with_a_zh_hant_mentor() -> None:
    learners = [
        Learner(id="L1", wants=("lua",), languages=("zh-tw",)),
        Learner(id="L2", wants=("lua",), languages=("de-formal",)),
        Learner(id="L3", wants=("lua",), languages=("zh-cn",)),
    ]
    mentors = [
        Mentor(id="M1", offers=("lua",), languages=("zh-hant",), capacity=1),
        Mentor(id="M2", offers=("lua",), languages=("de",), capacity=1),
    ]
    result = solve(learners, mentors)
    pairs = {(m.learner, m.mentor) for m in result.matches}
    assert pairs == {("L1", "M1"), ("L2", "M2")}


def test_learned_codes_from_a_newer_wiki_are_accepted() -> None:
    code = "qqa-x-skillmatchtest"
    assert not languages.is_known(code)
    assert languages.learn(["en", code]) == 1
    try:
        assert languages.is_known(code)
    finally:
        languages._LEARNED.discard(code)
