"""Differential test: the parser and MediaWiki 1.39 agree on the entries a page calls.

Why: an entry counts when MediaWiki calls the template as the page is shown. The parser is
a port of MediaWiki's preprocessor; this runs a generated corpus (tests/parser_corpus.py)
through the real thing and through the parser and asserts 0 lost, 0 phantom entries and
equal values.

The oracle is a private local wiki with the extensions Wikimedia wikis run (Cite, Poem,
InputBox, Math, SyntaxHighlight, …), so `<ref>` and friends are extension tags as in
production. MediaWiki's side of each entry:
- where: the `<template>` nodes of `action=expandtemplates&prop=parsetree`, walked as the
  page is shown: not into `<ignore>`, comments, or the third and later parts of a template
  argument; into the content of the extension tags whose extension parses it as wikitext
  (their parse tree asked from the wiki as well);
- which page a name calls: `action=parse&prop=templates` of `{{name|x=1}}` (decoding,
  namespaces, invalid titles: all MediaWiki's), one request per distinct name;
- whether it is inside a parser function: the wiki's own list of function hooks;
- values: the `<value>` text without comments, trimmed as MediaWiki trims named arguments.
Requests run in parallel (the wiki serves four at a time), so the test takes seconds.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from threading import Lock

import pytest

from bot.preprocessor import EXPANDED_TAGS
from bot.wikitext import clean_text, extract
from devtools.localwiki import LocalWiki, WikiClient, WikiFarm, WikiSpec
from tests.helpers import core
from tests.parser_corpus import corpus

pytestmark = pytest.mark.wiki

EXTENSIONS = (
    "ParserFunctions",
    "Cite",
    "Poem",
    "InputBox",
    "Math",
    "SyntaxHighlight_GeSHi",
    "CategoryTree",
    "ImageMap",
    "TemplateData",
)
PAGES = int(os.environ.get("SKILLMATCH_CORPUS_PAGES", "160"))
SEED = int(os.environ.get("SKILLMATCH_CORPUS_SEED", "11"))
_PHP_TRIM = " \t\n\r\0\x0b"


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """A wiki with Wikimedia's parser extensions, no accounts needed: it only parses."""
    farm = WikiFarm.start(
        [WikiSpec("smoracle", "en")],
        tmp_path_factory.mktemp("oracle"),
        humans=(),
        extensions=EXTENSIONS,
    )
    try:
        yield farm["smoracle"]
    finally:
        farm.stop()


@dataclass(frozen=True)
class Call:
    kind: str
    in_function: bool
    params: tuple[tuple[str, str | None], ...]  # canonical name, plain value (None: markup)


class MediaWiki:
    """MediaWiki's answers, memoized, safe to use from several threads."""

    def __init__(self, client: WikiClient) -> None:
        self.client = client
        self.lock = Lock()
        self.titles: dict[str, str | None] = {}
        info = client.get({"action": "query", "meta": "siteinfo", "siprop": "functionhooks"})
        self.functions = {h.lower() for h in info["query"]["functionhooks"]} | {"subst", "msgnw"}

    def tree(self, text: str) -> ET.Element:
        r = self.client.post(
            {"action": "expandtemplates", "text": text, "title": "Probe", "prop": "parsetree"},
            token=False,
        )
        # the local wiki's own output, on loopback
        return ET.fromstring(r["expandtemplates"]["parsetree"])  # noqa: S314

    def page_called(self, title: str) -> str | None:
        """The template page `{{title|…}}` calls, without namespace, or None."""
        with self.lock:
            if title in self.titles:
                return self.titles[title]
        r = self.client.post(
            {
                "action": "parse",
                "text": "{{" + title + "|x=1}}",
                "title": "Probe",
                "prop": "templates",
                "contentmodel": "wikitext",
            },
            token=False,
        )
        called = [t for t in r["parse"]["templates"] if t["ns"] == 10]
        name = called[0]["title"].split(":", 1)[1] if len(called) == 1 else None
        with self.lock:
            self.titles[title] = name
        return name

    def is_function(self, title: str) -> bool:
        head, colon, _ = title.strip(_PHP_TRIM).partition(":")
        return bool(colon) and head.strip(_PHP_TRIM).lstrip("#").lower() in self.functions


def _text(node: ET.Element) -> str | None:
    """A title's or name's text without comments and ignored tags; None if a node is in it."""
    out = [node.text or ""]
    for child in node:
        if child.tag not in ("comment", "ignore"):
            return None
        out.append(child.tail or "")
    return "".join(out)


def _plain_value(node: ET.Element) -> str | None:
    """The value as the template receives it, when it is plain text (else None)."""
    text = _text(node)
    if text is None or any(c in text for c in "<[&{}"):
        return None
    return text.strip(_PHP_TRIM)


def _calls(mw: MediaWiki, root: ET.Element) -> list[Call]:
    names = core().names
    out: list[Call] = []

    def visit(node: ET.Element, in_function: bool) -> None:
        for child in node:
            if child.tag == "template":
                visit_template(child, in_function)
            elif child.tag == "tplarg":
                for part in list(child)[:2]:  # title, then the default: the rest never expands
                    visit(part, in_function)
            elif child.tag == "ext":
                name = (child.findtext("name") or "").lower()
                inner = child.find("inner")
                if name in EXPANDED_TAGS and inner is not None and inner.text:
                    visit(mw.tree(inner.text), in_function)
            elif child.tag in ("h", "possible-h", "name", "value", "part", "root"):
                visit(child, in_function)

    def visit_template(node: ET.Element, in_function: bool) -> None:
        title_node = node.find("title")
        assert title_node is not None
        title = _text(title_node)
        function = mw.is_function(title if title is not None else (title_node.text or ""))
        kind = None
        if title is not None and not function:
            page = mw.page_called(title)
            kind = names.canonical_template(page, "en") if page is not None else None
        if kind is not None:
            params: dict[str, str | None] = {}
            for part in node.findall("part"):
                if part.find("equals") is None:
                    continue
                pname = _text(part.find("name"))  # type: ignore[arg-type]
                canonical = names.canonical_param(clean_text(pname or ""), "en")
                if canonical is not None:
                    value = part.find("value")
                    assert value is not None
                    params[canonical] = _plain_value(value)
            out.append(Call(kind, in_function, tuple(sorted(params.items()))))
        visit(title_node, in_function or function)
        for part in node.findall("part"):
            visit(part, in_function or function)

    visit(root, False)
    return out


def _ours(page: str) -> list[Call]:
    raws, _ = extract(page, core().names, "en")
    out = []
    for raw in raws:
        function = any(i.code == "entry-in-parser-function" for i in raw.issues)
        out.append(Call(raw.kind, function, tuple(sorted(raw.params.items()))))
    return out


def _comparable(ours: list[Call], theirs: list[Call]) -> list[Call]:
    """Our calls with values kept only where MediaWiki's are plain text."""
    out = []
    for mine, other in zip(ours, theirs, strict=False):
        plain = dict(other.params)
        params = tuple((k, v if plain.get(k, "") is not None else None) for k, v in mine.params)
        out.append(Call(mine.kind, mine.in_function, params))
    return out + ours[len(theirs) :]


def _theirs(mw: MediaWiki, page: str) -> list[Call]:
    calls = _calls(mw, mw.tree(page))
    # MediaWiki's plain values, cleaned the one way both sides clean text
    return [
        Call(
            c.kind,
            c.in_function,
            tuple((k, None if v is None else clean_text(v)) for k, v in c.params),
        )
        for c in calls
    ]


@cache
def _pages() -> list[str]:
    return corpus(SEED, PAGES)


def test_corpus_is_big_and_tricky_enough() -> None:
    pages = _pages()
    assert len(pages) >= 150
    joined = "\n".join(pages)
    for construct in (
        "<!--", "<nowiki>", "<pre>", "<includeonly>", "<noinclude>", "<onlyinclude>", "== ",
        "{|", "{{!}}", "[[", "&#", "{{{{", "スキル", "{{#if:", "<ref>", "-{",
    ):  # fmt: skip
        assert construct in joined, construct


def test_parser_agrees_with_mediawiki_on_the_corpus(oracle: LocalWiki) -> None:
    mw = MediaWiki(oracle.client("Admin"))
    pages = _pages()
    with ThreadPoolExecutor(max_workers=4) as pool:
        theirs_all = list(pool.map(lambda p: _theirs(mw, p), pages))
    lost = phantom = entries = values = functions = 0
    mismatches: list[str] = []
    for number, (page, theirs) in enumerate(zip(pages, theirs_all, strict=True)):
        ours = _ours(page)
        entries += len(theirs)
        values += sum(v is not None for c in theirs for _, v in c.params)
        functions += sum(c.in_function for c in theirs)
        keys_ours = [(c.kind, c.in_function) for c in ours]
        keys_theirs = [(c.kind, c.in_function) for c in theirs]
        if keys_ours != keys_theirs:
            lost += max(0, len(theirs) - len(ours))
            phantom += max(0, len(ours) - len(theirs))
            mismatches.append(f"page {number}: calls {keys_theirs} != ours {keys_ours}\n{page!r}")
            continue
        mine = _comparable(ours, theirs)
        if mine != theirs:
            mismatches.append(f"page {number}: values\n{theirs}\n!= ours\n{mine}\n{page!r}")
    # the corpus really exercises entries, plain values and parser functions
    assert entries > 300 and values > 300 and functions > 20, (entries, values, functions)
    assert not mismatches, f"lost {lost}, phantom {phantom}\n" + "\n\n".join(mismatches[:5])


def test_a_template_name_mediawiki_decodes_is_read(oracle: LocalWiki) -> None:
    """The reviewer's case, end to end: `Skill&#32;offer` is called by MediaWiki."""
    mw = MediaWiki(oracle.client("Admin"))
    page = "{{Skill&#32;offer|user=A|skills=Lua|languages=en}}"
    assert mw.page_called("Skill&#32;offer") == "Skill offer"
    assert [c.kind for c in _ours(page)] == [c.kind for c in _theirs(mw, page)] == ["Skill offer"]
