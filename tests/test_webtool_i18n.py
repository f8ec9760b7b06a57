"""The web tool's message files and language machinery.

Message files are the translators' interface (translatewiki.net syncs them), so these checks are
what keeps a bad export from reaching readers: documentation for every key, no unknown keys, the
same placeholders as English, no markup, plural forms that fit the language.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest
from markupsafe import Markup

from bot import needsmap, plurals
from bot.matching import model as matching_model
from bot.models import FORMATS, LEVELS, METHODS, PRIORITIES, STATUSES
from webtool import translations as tr
from webtool.pages import SKILL_SORTS
from webtool.queries import MATCH_KINDS, MATCH_STATES

I18N = Path(tr.__file__).parent / "i18n"
WEBTOOL = Path(tr.__file__).parent
REQUIRED = ("en", "qqq", "ja", "ar", "es", "fr")


def load(lang: str) -> dict[str, str]:
    data = json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))
    assert "@metadata" in data and isinstance(data["@metadata"].get("authors"), list)
    return {k: v for k, v in data.items() if not k.startswith("@")}


EN = load("en")
QQQ = load("qqq")
LANGS = sorted(p.stem for p in I18N.glob("*.json") if p.stem not in ("en", "qqq"))


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\d+", text))


def test_required_files_exist() -> None:
    for lang in REQUIRED:
        assert (I18N / f"{lang}.json").is_file(), lang


def test_every_english_key_is_documented_and_nothing_else() -> None:
    assert set(EN) == set(QQQ)
    for key, doc in QQQ.items():
        assert len(doc) >= 10, f"qqq for {key} says too little"
        for ph in placeholders(EN[key]):
            assert ph in doc, f"qqq for {key} does not explain {ph}"


@pytest.mark.parametrize("lang", LANGS)
def test_language_files_have_only_known_keys(lang: str) -> None:
    assert set(load(lang)) <= set(EN)


@pytest.mark.parametrize("lang", ["ja", "ar", "es", "fr"])
def test_shipped_languages_are_complete(lang: str) -> None:
    messages = load(lang)
    assert set(messages) == set(EN)
    assert all(
        (isinstance(v, str) and v.strip()) or k == "list-separator" for k, v in messages.items()
    )


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match_english(lang: str) -> None:
    for key, text in load(lang).items():
        assert placeholders(text) == placeholders(EN[key]), (lang, key)


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_no_markup_and_well_formed_plurals(lang: str) -> None:
    order = plurals.PLURAL_ORDER.get(lang, ("one", "other"))
    for key, text in load(lang).items():
        assert "<" not in text and ">" not in text, (lang, key)
        assert text.count("{{") == text.count("}}"), (lang, key)
        for forms in re.findall(r"\{\{PLURAL:\$\d+\|([^{}]*)\}\}", text):
            plain = [f for f in forms.split("|") if not re.match(r"^\d+=", f)]
            assert 1 <= len(plain) <= len(order), (lang, key, len(plain))
        assert not re.search(r"\{\{(?!PLURAL:)", text), (lang, key)


def test_catalog_reports_no_problems() -> None:
    assert tr.Catalog().problems() == []


def test_catalog_catches_bad_files(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"a": "A $1", "b": "B"}))
    (tmp_path / "qqq.json").write_text(json.dumps({"a": "doc $1"}))
    (tmp_path / "xx.json").write_text(json.dumps({"a": "A <b>x</b>", "c": "C"}))
    problems = tr.Catalog(tmp_path).problems()
    assert "qqq: undocumented key b" in problems
    assert "xx: unknown key c" in problems
    assert "xx: a placeholders differ from en" in problems
    assert "xx: a contains markup" in problems


# -- every key the code uses exists ----------------------------------------------------------------


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (WEBTOOL / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bmsgt?\('([a-z0-9-]+)'", text))
        keys |= set(re.findall(r"\bm\.empty\('([a-z0-9-]+)'", text))
        keys |= set(re.findall(r"\('((?:nav|stat|col|error)-[a-z0-9-]+)'", text))
        if "'sort-' ~ option" in text:
            keys |= {f"sort-{option}" for option in SKILL_SORTS}
    for path in WEBTOOL.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bmsg(?:_text)?\(\s*\"([a-z0-9-]+)\"", text))
        keys |= set(
            re.findall(r"\"(error-[a-z0-9-]+|chart-[a-z-]+-title|[a-z]+-section-title)\"", text)
        )
    return {k for k in keys if not k.endswith("-")}  # 'sort-' ~ option is handled above


def test_every_used_key_exists() -> None:
    keys = used_keys()
    assert len(keys) > 100
    missing = sorted(k for k in keys if k not in EN)
    assert missing == []


ENUMS = {
    "level": LEVELS,
    "method": METHODS,
    "format": FORMATS,
    "status": STATUSES,
    "priority": PRIORITIES,
    "state": MATCH_STATES,
    "kind": MATCH_KINDS,
    "why": typing.get_args(matching_model.WaitingCode),
}


@pytest.mark.parametrize("prefix", sorted(ENUMS))
def test_every_coded_value_has_a_message(prefix: str) -> None:
    for value in ENUMS[prefix]:
        assert f"{prefix}-{value}" in EN, f"{prefix}-{value}"


def test_every_needs_map_suggestion_has_a_message() -> None:
    source = Path(needsmap.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'Suggestion\("([a-z_-]+)"', source))
    assert codes >= {"covered", "recruit", "training"}
    for code in codes:
        assert f"suggestion-{code}" in EN, code


# -- language choice -------------------------------------------------------------------------------


AVAILABLE = ["en", "ja", "ar", "es", "fr"]


@pytest.mark.parametrize(
    ("code", "chain"),
    [
        ("es-mx", ("es-mx", "es", "en")),
        ("pt-br", ("pt-br", "pt", "en")),
        ("arz", ("arz", "ar", "en")),
        ("en", ("en",)),
        ("zh-hant-tw", ("zh-hant-tw", "zh-hant", "zh", "en")),
    ],
)
def test_fallback_chain(code: str, chain: tuple[str, ...]) -> None:
    assert tr.fallback_chain(code) == chain


@pytest.mark.parametrize(
    ("uselang", "accept", "served", "explicit"),
    [
        ("ja", [("fr", 1.0)], "ja", "ja"),
        ("es-MX", [], "es", "es-mx"),
        ("es_MX", [], "es", "es-mx"),
        ("arz", [], "ar", "arz"),
        ("de", [("fr", 1.0)], "en", "de"),
        ("<script>", [("fr", 1.0)], "fr", None),
        ("a" * 100, [], "en", None),
        (None, [("de", 1.0), ("fr", 0.5)], "fr", None),
        (None, [("en-GB", 1.0), ("fr", 0.5)], "en", None),
        (None, [("fr", 0.0), ("es", 0.3)], "es", None),
        (None, [("*", 1.0)], "en", None),
        (None, [], "en", None),
    ],
)
def test_choose(
    uselang: str | None, accept: list[tuple[str, float]], served: str, explicit: str | None
) -> None:
    choice = tr.choose(uselang, accept, AVAILABLE)
    assert choice.code == served
    assert choice.explicit == explicit
    assert not choice.qqx


def test_qqx_and_direction() -> None:
    choice = tr.choose("qqx", [], AVAILABLE)
    assert choice.qqx and choice.explicit == "qqx"
    assert tr.choose("ar", [], AVAILABLE).dir == "rtl"
    assert tr.choose("ja", [], AVAILABLE).dir == "ltr"
    assert tr.direction("ckb") == "rtl" and tr.direction("ug-arab") == "rtl"
    assert tr.html_lang("simple") == "en-simple"


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "zero"),
        (1, "one"),
        (2, "two"),
        (3, "few"),
        (10, "few"),
        (11, "many"),
        (99, "many"),
        (100, "other"),
        (103, "few"),
    ],
)
def test_arabic_plural_rules(n: int, category: str) -> None:
    assert plurals.plural_category("ar", n) == category


def test_plural_forms_and_escaping() -> None:
    text = "{{PLURAL:$1|One skill|$1 skills}} for $2"
    assert tr.format_message(text, [1, "<b>"], "en") == "One skill for &lt;b&gt;"
    assert tr.format_message(text, [5, Markup("<bdi>x</bdi>")], "en") == "5 skills for <bdi>x</bdi>"
    assert tr.format_message("{{PLURAL:$1|0=none|one|many}}", [0], "en") == "none"
    ar = "{{PLURAL:$1|صفر|واحد|اثنان|قليل|كثير|آخر}}"
    assert [str(tr.format_message(ar, [n], "ar")) for n in (0, 1, 2, 5, 20, 100)] == [
        "صفر",
        "واحد",
        "اثنان",
        "قليل",
        "كثير",
        "آخر",
    ]
    assert tr.format_message("$1", ["<script>"], "fr") == "&lt;script&gt;"
    assert tr.format_message("{{PLURAL:$1|a|b}}", [1], "fr") == "a"
    assert tr.format_message("{{PLURAL:$1|a|b}}", [0], "fr") == "a"
    assert tr.format_message("{{PLURAL:$1|x}}", [7], "ja") == "x"


def test_render_and_text() -> None:
    catalog = tr.Catalog()
    ja = tr.choose("ja", [], AVAILABLE)
    assert tr.render(catalog, ja, "nav-home", ()) == "ホーム"
    assert tr.render(catalog, ja, "no-such-key", ()) == "⧼no-such-key⧽"
    qqx = tr.choose("qqx", [], AVAILABLE)
    assert tr.render(catalog, qqx, "signup-button", ("<x>",)) == "(signup-button: &lt;x&gt;)"
    en = tr.choose("en", [], AVAILABLE)
    assert (
        tr.text(catalog, en, "error-bad-param", ("a&b",))
        == "The value given for “a&b” is not one the tool knows."
    )
