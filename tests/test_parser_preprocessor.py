"""The cases where the parser used to disagree with MediaWiki on what a page calls.

Each expectation was checked against MediaWiki 1.39 (with Cite, Poem, InputBox, ImageMap,
ParserFunctions) through action=parse&prop=templates and expandtemplates&prop=parsetree;
tests/test_parser_mediawiki.py repeats such checks on a generated corpus against the live wiki.
"""

from __future__ import annotations

import pytest

from bot.wikitext import template_title
from tests.helpers import codes, parse

A = "user=A|wants=Lua|languages=en"
E = "{{Skill signup|" + A + "}}"

# (page, users whose entries MediaWiki calls and the bot accepts)
CASES: list[tuple[str, list[str]]] = [
    # a character reference in the name is decoded by Title::newFromText
    (f"{{{{Skill&#32;signup|{A}}}}}", ["A"]),
    (f"{{{{Skill&nbsp;signup|{A}}}}}", ["A"]),
    (f"{{{{Template&#58;Skill signup|{A}}}}}", ["A"]),
    (f"{{{{Skill signup&#x23;here|{A}}}}}", ["A"]),
    (f"{{{{ template : Skill_signup |{A}}}}}", ["A"]),
    (f"{{{{Skill signup\u200e|{A}}}}}", ["A"]),  # bidi marks are dropped
    (f"{{{{Skill signup\n|{A}}}}}", ["A"]),
    (f"{{{{safesubst:Skill signup|{A}}}}}", ["A"]),
    # a tab, newline, percent-escape or bracket inside the name: no title, nothing called
    (f"{{{{Skill\tsignup|{A}}}}}", []),
    (f"{{{{Skill\nsignup|{A}}}}}", []),
    (f"{{{{Skill%20signup|{A}}}}}", []),
    (f"{{{{Skill signup&#9;|{A}}}}}", []),
    (f"{{{{Skill signup&#x7C;|{A}}}}}", []),
    (f"{{{{Skill\u200bsignup|{A}}}}}", []),  # a zero-width space is part of the title
    (f"{{{{:Skill signup|{A}}}}}", []),  # the main namespace
    (f"{{{{Talk:Skill signup|{A}}}}}", []),
    # not called at view time
    (f"<includeonly>{E}</includeonly>", []),
    (f"<includeonly>{E}", []),  # runs to the end of the page
    (f"{{{{{{1|x|{E}}}}}}}", []),  # unused part of an argument
    (f"{{{{{{1|{E}|x}}}}}}", ["A"]),  # its default is used
    (f"<noinclude>{E}</noinclude>", ["A"]),
    (f"<onlyinclude>{E}</onlyinclude>", ["A"]),
    (f"{{{{Skill signup|{A}|x=[[y}}}}]]", []),  # the `}}` is inside an unclosed link
    (f"{{{{Skill signup|{A}|x=-{{y}}}}}}-", []),  # … inside a language conversion
    (f"[[x|{E}", ["A"]),  # a complete template inside an open link
    # extension tags: braces inside do not close the entry; some extensions expand content
    (f"<ref>{E}</ref>", ["A"]),
    (f"<inputbox>\ndefault={E}\n</inputbox>", ["A"]),
    (f"<poem>{E}</poem>", ["A"]),
    (f"<math>{E}</math>", []),
    (f"<templatedata>{E}</templatedata>", []),
]


@pytest.mark.parametrize(("page", "users"), CASES)
def test_entries_are_those_mediawiki_calls(page: str, users: list[str]) -> None:
    r = parse(page)
    assert [s.user for s in r.signups] == users, codes(r)


def test_braces_inside_ref_do_not_truncate_a_value() -> None:
    r = parse("{{Skill offer|user=A|skills=Lua|languages=en|description=x<ref>}}</ref>y}}")
    assert r.offers == []
    assert "markup-in-value" in codes(r)
    # before, `}}` in the ref closed the entry and `description=x<ref>` was read
    assert not any(p.code == "malformed-template" for p in r.problems)


@pytest.mark.parametrize(
    "page",
    [
        f"{{{{#if:x|{E}}}}}",
        f"{{{{#if:|x|{E}}}}}",
        f"{{{{#switch:a|a={E}}}}}",
        f"{{{{#tag:ref|{E}}}}}",
        f"{{{{lc:{E}}}}}",
        f"{{{{subst:x|{E}}}}}",
        f"{{{{#if:x|<ref>{E}</ref>}}}}",
        "{{#invoke:M|f|{{Collapse|" + E + "}}}}",
    ],
)
def test_entry_inside_a_parser_function_is_reported_never_accepted(page: str) -> None:
    r = parse(page)
    assert r.signups == []
    assert codes(r) == ["entry-in-parser-function"]


def test_a_parser_function_elsewhere_changes_nothing() -> None:
    r = parse(f"{{{{#if:x|y}}}}\n{E}")
    assert [s.user for s in r.signups] == ["A"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Skill&#32;offer", ("Skill offer", False)),
        (" Skill_offer\n", ("Skill offer", False)),
        ("Skill offer&#xD800;", (None, False)),
        ("Skill offer ~~~", (None, False)),
        ("#if:x", (None, True)),
        ("LC:x", (None, True)),
        ("msg:Skill offer", ("Skill offer", False)),
        ("subst:Skill offer", (None, True)),
    ],
)
def test_template_title(title: str, expected: tuple[str | None, bool]) -> None:
    assert template_title(title) == expected
