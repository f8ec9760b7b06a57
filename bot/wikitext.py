"""Find SkillMatch templates in wikitext and turn their parameters into plain strings.

This layer knows wikitext syntax and nothing about what the values mean: it
strips comments, unwraps ``<nowiki>``, maps localized template and parameter
names to canonical ones, and reports what it cannot read (unclosed braces,
templates or markup inside a value, positional or unknown parameters) instead
of raising. Values never carry live wikitext onward, so nothing a volunteer
writes can execute when the bot writes it back.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

# Values whose wikilinks name a user: [[User:Alice|Alice]] means Alice.
USER_PARAMS = frozenset({"user", "by", "organizer"})
# Free text may hold invisible characters legitimately (e.g. ZWNJ in Persian); they are dropped.
FREE_TEXT_PARAMS = frozenset({"description", "notes", "note", "title", "community"})
LITERAL_TAGS = frozenset({"nowiki", "pre", "syntaxhighlight", "source", "code"})
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_OPENING = re.compile(r"\{\{\s*([^{}|\n]{1,120}?)\s*(?=\||\}|\n|$)")


class Names(Protocol):
    def canonical_template(self, name: str, lang: str) -> str | None: ...

    def canonical_param(self, name: str, lang: str) -> str | None: ...


@dataclass(frozen=True)
class Issue:
    code: str
    params: tuple[str, ...] = ()


@dataclass
class RawTemplate:
    """One SkillMatch template as written: canonical names, cleaned values, its position."""

    kind: str
    params: dict[str, str]
    line: int
    text: str
    issues: list[Issue] = field(default_factory=list)

    def key_text(self) -> str:
        """Canonical form: the same entry written with other spacing or order compares equal."""
        body = "|".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.kind}|{body}"


@dataclass(frozen=True)
class Stray:
    """Something that looks like a SkillMatch template but is not one MediaWiki would parse."""

    kind: str
    line: int
    snippet: str


def clean_text(value: str) -> str:
    """Drop invisible formatting characters and fold whitespace."""
    return " ".join(INVISIBLE.sub("", value).split())


_clean_name = lru_cache(maxsize=4096)(clean_text)
"""clean_text for parameter names: a handful of names recur in every entry."""


def snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _template_name(tpl: Template) -> str:
    parts = [str(n) for n in tpl.name.nodes if not isinstance(n, Comment)]
    return clean_text("".join(parts)).replace("_", " ")


USER_NAMESPACES = (
    "user",
    "利用者",
    "ユーザー",
    "مستخدم",
    "usuario",
    "usuaria",
    "utilisateur",
    "utilisatrice",
)


def _user_from_link(link: Wikilink) -> str | None:
    """The name in `[[User:Name|…]]`; None for a link to anything but a user page."""
    title = str(link.title).strip()
    ns, sep, name = title.partition(":")
    if not sep or ns.strip().replace("_", " ").casefold() not in USER_NAMESPACES:
        return None
    return name


def _value(code: Wikicode, param: str, issues: list[Issue]) -> str:
    """Plain text of a parameter value; anything live in it becomes an issue."""
    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Comment):
            continue
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, Tag):
            tag = str(node.tag).strip().lower()
            if tag in LITERAL_TAGS and node.contents is not None:
                out.append(str(node.contents))
            elif tag == "br":
                out.append(" ")
            else:
                issues.append(Issue("markup-in-value", (param, f"<{snippet(tag, 20)}>")))
        elif isinstance(node, Template):
            issues.append(Issue("template-in-value", (param, snippet(_template_name(node), 40))))
        elif isinstance(node, Argument):
            issues.append(Issue("template-in-value", (param, snippet(str(node), 40))))
        elif isinstance(node, Wikilink):
            if param in USER_PARAMS:
                name = _user_from_link(node)
                if name is None:
                    issues.append(Issue("markup-in-value", (param, snippet(str(node), 40))))
                else:
                    out.append(name)
            elif node.text is not None and param not in ("link",):
                out.append(str(node.text))
            else:
                out.append(str(node.title))
        elif isinstance(node, ExternalLink):
            out.append(str(node.url))
        elif isinstance(node, Heading):
            out.append(str(node.title))
        else:  # pragma: no cover - every node type is handled above
            out.append(str(node))
    return clean_text("".join(out))


class LineIndex:
    """Offsets to 1-based line numbers, by binary search over newline positions."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


_MASKED = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(nowiki|pre|syntaxhighlight|source|code)\b[^>]*/>"
    r"|<(nowiki|pre|syntaxhighlight|source|code)\b[^>]*>.*?</\2\s*>",
    re.DOTALL | re.IGNORECASE,
)
_BRACES = re.compile(r"\{\{|\}\}")
_SLOW_MARKS = frozenset("<[&{}")


def _mask(text: str) -> str:
    """Blank out comments and literal tags, keeping every offset (and newline) in place."""

    def blank(m: re.Match[str]) -> str:
        return "".join("\n" if c == "\n" else " " for c in m.group(0))

    return _MASKED.sub(blank, text)


def extract(text: str, names: Names, lang: str) -> tuple[list[RawTemplate], list[Stray]]:
    """Every SkillMatch template in `text`, in page order, plus malformed look-alikes.

    Templates are found by matching braces outside comments and literal tags, as
    MediaWiki's preprocessor does (an unclosed `{{` is plain text and does not swallow
    what follows). A template with only plain text inside is split directly; one with
    links, tags, entities or nested braces is handed to mwparserfromhell on its own, so
    a page's cost stays linear however many entries on it are broken.
    """
    if "{{{" in text:  # template parameters: leave brace runs to the full parser
        return _extract_full(text, names, lang)
    masked = _mask(text)
    lines = LineIndex(text)
    stack: list[int] = []
    spans: list[tuple[int, int]] = []
    for m in _BRACES.finditer(masked):
        if m.group(0) == "{{":
            stack.append(m.start())
        elif stack:
            spans.append((stack.pop(), m.end()))
    found: list[tuple[int, RawTemplate]] = []
    for begin, finish in spans:
        inner = masked[begin + 2 : finish - 2]
        name = clean_text(inner.split("|", 1)[0]).replace("_", " ")
        kind = names.canonical_template(name, lang)
        if kind is None:
            continue
        raw = text[begin:finish]
        body = raw[2:-2]
        if _SLOW_MARKS.isdisjoint(body):
            template = _fast_template(kind, body, raw, lines.line(begin), names, lang)
        else:
            template = _slow_template(kind, raw, lines.line(begin), names, lang)
        found.append((begin, template))
    found.sort(key=lambda pair: pair[0])
    strays = []
    for begin in stack:
        opening = _OPENING.match(masked, begin)
        if opening is None:
            continue
        kind = names.canonical_template(clean_text(opening.group(1)).replace("_", " "), lang)
        if kind is not None:
            strays.append(Stray(kind, lines.line(begin), snippet(text[begin : begin + 200])))
    return [t for _, t in found], strays


def _param(
    template: RawTemplate, pname: str, value: str, invisible: bool, names: Names, lang: str
) -> None:
    """Record one parameter; `invisible`: its raw value held invisible characters."""
    canonical = names.canonical_param(_clean_name(pname), lang)
    if canonical is None:
        template.issues.append(Issue("unknown-param", (snippet(_clean_name(pname), 40),)))
        return
    if canonical in template.params:
        template.issues.append(Issue("duplicate-param", (canonical,)))
    template.params[canonical] = value
    if invisible and canonical not in FREE_TEXT_PARAMS:
        # Invisible characters in a name or code make it look like another one
        # (a spoofed username, "a\u200bb" reading as "ab"): refuse, never clean up.
        problem = "bad-username" if canonical in USER_PARAMS else "invisible-characters"
        template.issues.append(Issue(problem, (canonical, value)))


def _fast_template(
    kind: str, body: str, raw: str, line: int, names: Names, lang: str
) -> RawTemplate:
    """Plain-text parameters only: split on pipes and the first equals sign."""
    template = RawTemplate(kind, {}, line, raw, [])
    invisible = INVISIBLE.search(body) is not None  # rare: then check value by value
    for part in body.split("|")[1:]:
        key, eq, value = part.partition("=")
        if not eq:
            template.issues.append(Issue("positional-param", (snippet(part, 40),)))
            continue
        if invisible:
            _param(template, key, clean_text(value), bool(INVISIBLE.search(value)), names, lang)
        else:
            _param(template, key, " ".join(value.split()), False, names, lang)
    return template


def _slow_template(kind: str, raw: str, line: int, names: Names, lang: str) -> RawTemplate:
    node = mwparserfromhell.parse(raw, skip_style_tags=True).nodes[0]
    if not isinstance(node, Template):  # the braces matched, but not as MediaWiki reads them
        return RawTemplate(kind, {}, line, raw, [Issue("malformed-template")])
    return _from_node(kind, node, raw, line, names, lang)


def _from_node(
    kind: str, tpl: Template, raw: str, line: int, names: Names, lang: str
) -> RawTemplate:
    template = RawTemplate(kind, {}, line, raw, [])
    for p in tpl.params:
        if not p.showkey:
            template.issues.append(Issue("positional-param", (snippet(str(p.value), 40),)))
            continue
        canonical = names.canonical_param(clean_text(str(p.name)), lang)
        value = _value(p.value, canonical or "", template.issues)
        invisible = INVISIBLE.search(str(p.value)) is not None
        _param(template, str(p.name), value, invisible, names, lang)
    return template


def _extract_full(text: str, names: Names, lang: str) -> tuple[list[RawTemplate], list[Stray]]:
    """The whole page through mwparserfromhell: for pages with triple braces."""
    code = mwparserfromhell.parse(text, skip_style_tags=True)
    lines = LineIndex(text)
    found: list[RawTemplate] = []
    pos = 0
    for tpl in code.filter_templates(recursive=True):
        kind = names.canonical_template(_template_name(tpl), lang)
        if kind is None:
            continue
        raw = str(tpl)
        at = text.find(raw, pos)
        if at >= 0:
            pos = at + 1
        found.append(_from_node(kind, tpl, raw, lines.line(max(at, 0)), names, lang))
    return found, _strays(code, text, names, lang, lines)


def _strays(code: Wikicode, text: str, names: Names, lang: str, lines: LineIndex) -> list[Stray]:
    """Look for `{{Skill …` openings left as plain text: the parser gave up on them."""
    strays: list[Stray] = []
    cursor = 0
    for chunk in _plain_chunks(code):
        if "{{" not in chunk:
            continue
        for m in _OPENING.finditer(chunk):
            kind = names.canonical_template(clean_text(m.group(1)).replace("_", " "), lang)
            if kind is None:
                continue
            pos = text.find(chunk, cursor)
            cursor = max(cursor, pos)
            offset = (pos if pos >= 0 else 0) + m.start()
            strays.append(Stray(kind, lines.line(offset), snippet(chunk[m.start() :])))
    return strays


def _plain_chunks(code: Wikicode | str) -> list[str]:
    """Text nodes outside comments and literal tags, in order."""
    if isinstance(code, str):
        return [code]
    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Tag):
            if str(node.tag).strip().lower() not in LITERAL_TAGS and node.contents is not None:
                out.extend(_plain_chunks(node.contents))
        elif isinstance(node, Template):
            for p in node.params:
                out.extend(_plain_chunks(p.value))
        elif isinstance(node, Wikilink) and node.text is not None:
            out.extend(_plain_chunks(node.text))
        elif isinstance(node, Heading):
            out.extend(_plain_chunks(node.title))
    return out
