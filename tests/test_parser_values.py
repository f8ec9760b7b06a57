"""Parsed values are text MediaWiki could store: no controls, surrogates or noncharacters; NFC.

Why: a lone surrogate that reaches a record makes every UTF-8 encoder downstream (the SQL
store, the API) raise, which stopped every run; and MediaWiki stores text in Unicode NFC,
so `Cafe&#x301;` and `Café` name the same community and must compare equal.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest

from bot.models import ParseResult
from bot.wikitext import clean_text, extract, snippet
from tests.helpers import codes, core, parse

FORBIDDEN_ENTITIES = [
    "&#xD800;",
    "&#xDFFF;",
    "&#55296;",
    "&#xFFFE;",
    "&#xFFFF;",
    "&#xFDD0;",
    "&#x1FFFE;",
    "&#x10FFFF;",
    "&#x1;",
    "&#x7;",
    "&#x0B;",
    "&#12;",
    "&#x1F;",
    "&#x7F;",
    "&#x80;",
    "&#x85;",
    "&#x9F;",
]
FORBIDDEN_RAW = ["\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\ufffe"]


def strings(value: Any) -> list[str]:
    """Every string inside a record or problem, however nested."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings(getattr(value, f.name))]
    if isinstance(value, dict):
        return [s for kv in value.items() for item in kv for s in strings(item)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in strings(item)]
    return []


def assert_storable(result: ParseResult) -> None:
    for s in strings(dataclasses.asdict(result)):
        s.encode("utf-8")  # raises on a lone surrogate
        assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in s), s
        assert "\ufffe" not in s and "\uffff" not in s


def test_reviewer_snippet_is_refused() -> None:
    r = parse("{{Skill signup|user=Mallory|languages=en|wants=Lua|community=x&#xD800;}}")
    assert r.signups == []
    assert [(p.code, p.params) for p in r.problems] == [
        ("markup-in-value", ("community", "&#xD800;"))
    ]
    assert_storable(r)


@pytest.mark.parametrize("entity", FORBIDDEN_ENTITIES)
@pytest.mark.parametrize("param", ["community", "user", "wants", "region", "timezone"])
def test_entity_for_a_forbidden_character_is_refused(entity: str, param: str) -> None:
    values = {"user": "Mallory", "wants": "Lua", "languages": "en", param: f"x{entity}"}
    text = "{{Skill signup|" + "|".join(f"{k}={v}" for k, v in values.items()) + "}}"
    r = parse(text)
    assert r.signups == [], text
    assert "markup-in-value" in codes(r)
    assert_storable(r)


@pytest.mark.parametrize("char", FORBIDDEN_RAW)
@pytest.mark.parametrize("param", ["community", "user", "wants", "description"])
@pytest.mark.parametrize("slow", [False, True])
def test_raw_forbidden_character_is_refused(char: str, param: str, slow: bool) -> None:
    values = {"user": "Mallory", "skills": "Lua", "languages": "en", param: f"a{char}b"}
    if slow:  # a link elsewhere sends the entry through mwparserfromhell
        values["region"] = "[[Kenya]]"
    text = "{{Skill offer|" + "|".join(f"{k}={v}" for k, v in values.items()) + "}}"
    r = parse(text)
    assert r.offers == [], repr(text)
    expected = "bad-username" if param == "user" else "invisible-characters"
    assert expected in codes(r), codes(r)
    assert_storable(r)


@pytest.mark.parametrize("char", FORBIDDEN_RAW)
def test_forbidden_characters_never_leave_the_parser(char: str) -> None:
    page = (
        f"{{{{Skill signup|user=A|wants=Lua|languages=en|x{char}y=1}}}}\n"
        f"{{{{Skill signup{char}|user=B}}}}\n"
        f"{{{{Skill signup|user=C|wants=Lua|languages=en|{char}}}}}\n"
        f"{{{{Skill signup|user=D|wants=[[Lua]]{char}|languages=en}}}}\n"
        f"{{{{Skill signup|user=E{char}|wants=Lua|languages=en"
    )
    r = parse(page)
    assert r.signups == []
    assert_storable(r)
    raws, strays = extract(page, core().names, "en")
    for raw in raws:
        for s in [raw.text, *raw.params, *raw.params.values()] + [
            p for i in raw.issues for p in i.params
        ]:
            s.encode("utf-8")
            assert char not in s, (char, s)
    for stray in strays:
        assert char not in stray.snippet


def test_allowed_whitespace_and_entities_still_read() -> None:
    r = parse(
        "{{Skill signup|user=A|wants=Lua,&#9;SPARQL|languages=en&#xA;|community=x&nbsp;y"
        "|region=&#x4B;E}}"
    )
    assert codes(r) == []
    (s,) = r.signups
    assert [w.skill for w in s.wants] == ["lua", "sparql"]
    assert (s.community, s.region) == ("x y", "KE")


def test_snippet_replaces_forbidden_characters() -> None:
    assert snippet("a\ud800b\x01c") == "a\ufffdb\ufffdc"


CAFE = unicodedata.normalize("NFC", "Café")


@pytest.mark.parametrize(
    "community",
    ["Cafe&#x301;", "Cafe&#769;", "Cafe\u0301", "[[Cafe\u0301]]", "Cafe\u0301 <!-- x -->", CAFE],
)
def test_values_are_nfc(community: str) -> None:
    r = parse(f"{{{{Skill signup|user=A|wants=Lua|languages=en|community={community}}}}}")
    assert codes(r) == []
    assert r.signups[0].community == CAFE


def test_user_names_are_nfc_and_the_same_user_is_a_duplicate() -> None:
    r = parse(
        "{{Skill signup|user=Zoe\u0308|wants=Lua|languages=en}}\n"
        "{{Skill signup|user=Zoë|wants=SPARQL|languages=en}}\n"
        "{{Skill signup|user=Zoe&#776;|wants=SPARQL|languages=en}}"
    )
    assert [s.user for s in r.signups] == [unicodedata.normalize("NFC", "Zoë")]
    assert codes(r) == ["duplicate-entry", "duplicate-entry"]


def test_template_and_parameter_names_are_nfc() -> None:
    r = parse(
        "{{Inscripcio\u0301n de habilidad|usuario=Ana|quiere aprender=Lua|idiomas=es"
        "|regio\u0301n=MX}}",
        lang="es",
    )
    assert codes(r) == []
    assert r.signups[0].region == "MX"


def test_same_entry_decomposed_has_the_same_key() -> None:
    names = core().names
    (a,), _ = extract("{{Skill signup|user=Zoë|community=Café}}", names, "en")
    (b,), _ = extract("{{Skill signup|user=Zoe\u0308|community=Cafe\u0301}}", names, "en")
    (c,), _ = extract("{{Skill signup|user=Zoe&#x308;|community=[[Cafe\u0301]]}}", names, "en")
    assert a.key_text() == b.key_text() == c.key_text()


def test_clean_text_composes() -> None:
    assert clean_text(" Cafe\u0301 \u200b ") == CAFE
    assert clean_text("\u1100\u1161") == "\uac00"  # Hangul jamo compose


def test_invisible_character_from_an_entity_is_refused_where_raw_is() -> None:
    r = parse("{{Skill signup|user=A&#x200B;B|wants=Lua|languages=en}}")
    assert r.signups == []
    assert "bad-username" in codes(r)
    r = parse("{{Skill signup|user=AB|wants=Lua|languages=en|community=x&#x200C;y}}")
    assert r.signups[0].community == "xy"
