"""Where a template counts: the extractor hides and shows what MediaWiki hides and shows.

Why: an entry MediaWiki renders must be read, and one it never expands (inside `<math>`,
`<nowiki>`, a comment) must not be, whatever else is on the page. Pages holding template
arguments (`{{{x}}}`) used to go through a second extraction path that disagreed with the
first on exactly these cases; each page below is also read with `{{{x}}}` in front, and
against mwparserfromhell reading the whole page (the former second path) as an oracle.
"""

from __future__ import annotations

import mwparserfromhell
import pytest
from mwparserfromhell.definitions import PARSER_BLACKLIST
from mwparserfromhell.nodes import Text

from bot.preprocessor import EXPANDED_TAGS, EXTENSION_TAGS
from bot.wikitext import HIDDEN_TAGS, LITERAL_TAGS, RawTemplate, Stray, extract
from tests.helpers import codes, core, parse


def entry(user: str) -> str:
    return f"{{{{Skill signup|user={user}|wants=Lua|languages=en}}}}"


A, B = entry("A"), entry("B")

BRIEF_HIDDEN = [
    "math",
    "chem",
    "ce",
    "syntaxhighlight",
    "source",
    "score",
    "timeline",
    "graph",
    "templatedata",
    "hiero",
    "pre",
    "nowiki",
]

# (page, users whose entries MediaWiki expands)
CORPUS: list[tuple[str, list[str]]] = [
    (A, ["A"]),
    (f"<code>{A}</code>{B}", ["A", "B"]),
    (f"<CODE class='x'>\n{A}\n</code>", ["A"]),
    *[(f"<{tag}>{A}</{tag}>{B}", ["B"]) for tag in BRIEF_HIDDEN],
    *[(f"<{tag.upper()} x='1'>\n{A}\n</{tag} >\n{B}", ["B"]) for tag in sorted(HIDDEN_TAGS)],
    (f'<syntaxhighlight lang="text" line>{A}</syntaxhighlight>', []),
    # Checked against MediaWiki 1.39 with Cite, Poem, InputBox, ImageMap (prop=templates):
    # these extensions expand the templates in their content; braces inside still never
    # pair with braces outside the tag.
    (f"<gallery>\nFile:X.jpg|{A}\n</gallery>{B}", ["A", "B"]),
    (f"<inputbox>\ntype=search\ndefault={A}\n</inputbox>", ["A"]),
    (f"<poem>{A}</poem><indicator name=x>{B}</indicator>", ["A", "B"]),
    (f"<references>\n<ref name=x>{A}</ref>\n</references>", ["A"]),
    (f"<pre/>{A}", ["A"]),
    (f"<nowiki />{A}<nowiki/>", ["A"]),
    (f"<pre/x>{A}</pre>", ["A"]),
    (f"<math>{A}", ["A"]),
    (f"<math>{A}</nowiki>{B}", ["A", "B"]),
    (f"<mathx>{A}</mathx>", ["A"]),
    (f"<!-- {A} -->{B}", ["B"]),
    (f"{A}<!-- {B}", ["A"]),
    (f"{A}\n<!--\n{B}\n", ["A"]),
    (f"<!-- x -->{A}<!-- y -->", ["A"]),
    (f"<!-->{A}", []),
    (f"<nowiki><!--</nowiki>{A}", ["A"]),
    (f"<!-- <nowiki> -->{A}</nowiki>", ["A"]),
    (f"<ref>{A}</ref>", ["A"]),
    (f"== {A} ==", ["A"]),
    (f"[[Foo|{A}]]", ["A"]),
    (f"{{{{Collapse|content={A}}}}}", ["A"]),
    (f"{{| class=wikitable\n| {A}\n|}}", ["A"]),
    (f"<div>{A}</div><span>{B}</span>", ["A", "B"]),
    (f"<ref><math>{A}</math></ref>{B}", ["B"]),
    (f"<math><!--</math>-->{A}", ["A"]),
]


def users(raws: list[RawTemplate]) -> list[str]:
    return [r.params.get("user", "") for r in raws]


def shape(result: tuple[list[RawTemplate], list[Stray]]) -> tuple[object, ...]:
    raws, strays = result
    return (
        [(r.kind, r.params, r.issues, r.line, r.text) for r in raws],
        [(s.kind, s.line, s.snippet) for s in strays],
    )


def oracle(page: str) -> list[str]:
    """SkillMatch templates as mwparserfromhell reads the whole page (it knows which tags
    hide their content). It leaves an unclosed comment as text; MediaWiki hides the rest of
    the page behind one, so the page is cut there first."""
    offset = 0
    for node in mwparserfromhell.parse(page, skip_style_tags=True).nodes:
        if isinstance(node, Text) and "<!--" in node.value:
            page = page[: offset + node.value.index("<!--")]
            break
        offset += len(str(node))
    names = core().names
    code = mwparserfromhell.parse(page, skip_style_tags=True)
    return [
        str(t)
        for t in code.filter_templates(recursive=True)
        if names.canonical_template(str(t.name).strip(), "en") is not None
    ]


@pytest.mark.parametrize(("page", "expected"), CORPUS)
def test_entries_mediawiki_expands_are_read_and_only_those(page: str, expected: list[str]) -> None:
    raws, _ = extract(page, core().names, "en")
    assert users(raws) == expected
    r = parse(page)
    assert [s.user for s in r.signups] == expected
    assert r.problems == []


@pytest.mark.parametrize(("page", "expected"), CORPUS)
def test_a_template_argument_on_the_page_changes_nothing(page: str, expected: list[str]) -> None:
    names = core().names
    assert shape(extract("{{{x}}}" + page, names, "en")) == shape(extract(page, names, "en"))
    assert shape(extract(page + "\n{{{x|{{{y}}}}}}", names, "en")) == shape(
        extract(page, names, "en")
    )


@pytest.mark.parametrize(
    ("page", "expected"),
    # mwparserfromhell treats only its own list of tags as extension tags, and none as
    # expanding its content
    [
        (p, e)
        for p, e in CORPUS
        if not any(
            f"<{t}" in p.lower() for t in EXPANDED_TAGS | (EXTENSION_TAGS - set(PARSER_BLACKLIST))
        )
    ],
)
def test_mwparserfromhell_reading_the_whole_page_agrees(page: str, expected: list[str]) -> None:
    raws, _ = extract(page, core().names, "en")
    assert [r.text for r in raws] == oracle(page)
    assert [r.text for r in extract("{{{x}}}" + page, core().names, "en")[0]] == oracle(
        "{{{x}}}" + page
    )


def test_hidden_tags_cover_every_tag_mwparserfromhell_does_not_parse() -> None:
    assert set(PARSER_BLACKLIST) <= EXTENSION_TAGS
    assert HIDDEN_TAGS == EXTENSION_TAGS - EXPANDED_TAGS
    assert set(BRIEF_HIDDEN) <= HIDDEN_TAGS
    assert "code" not in HIDDEN_TAGS
    assert LITERAL_TAGS <= HIDDEN_TAGS


@pytest.mark.parametrize("tag", ["code", "math", "b", "span"])
def test_markup_tags_in_a_value_are_markup(tag: str) -> None:
    r = parse(f"{{{{Skill signup|user=A|wants=<{tag}>Lua</{tag}>|languages=en}}}}")
    assert r.signups == []
    assert "markup-in-value" in codes(r)


@pytest.mark.parametrize("tag", sorted(LITERAL_TAGS))
def test_literal_tags_in_a_value_are_their_text(tag: str) -> None:
    r = parse(f"{{{{Skill signup|user=A|wants=<{tag}>Lua</{tag}>|languages=en}}}}")
    assert codes(r) == []
    assert [w.skill for w in r.signups[0].wants] == ["lua"]


def test_template_in_code_inside_a_value_is_not_taken_literally() -> None:
    r = parse("{{Skill signup|user=A|wants=<code>{{PAGENAME}}</code>|languages=en}}")
    assert r.signups == []
    assert "markup-in-value" in codes(r)


def test_braces_hidden_in_a_tag_do_not_close_the_entry() -> None:
    for tag in ("nowiki", "math", "pre"):
        r = parse(
            f"{{{{Skill offer|user=A|skills=Lua|languages=en|description=<{tag}>}}}}</{tag}>}}}}"
        )
        assert [o.user for o in r.offers] == ([] if tag == "math" else ["A"]), tag
