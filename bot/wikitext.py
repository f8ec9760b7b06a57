"""Find SkillMatch templates in wikitext and turn their parameters into plain strings.

This layer knows wikitext syntax and nothing about what the values mean: it
strips comments, unwraps ``<nowiki>``, decodes entities, composes text to NFC (as
MediaWiki stores it), maps localized template and parameter names to canonical
ones, and reports what it cannot read (unclosed braces, templates or markup
inside a value, positional or unknown parameters, characters MediaWiki would
refuse) instead of raising. Values never carry live wikitext onward, so nothing a
volunteer writes can execute when the bot writes it back.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
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
from mwparserfromhell.parser import ParserError
from mwparserfromhell.wikicode import Wikicode

# Values whose wikilinks name a user: [[User:Alice|Alice]] means Alice.
USER_PARAMS = frozenset({"user", "by", "organizer"})
# Free text may hold invisible characters legitimately (e.g. ZWNJ in Persian); they are dropped.
FREE_TEXT_PARAMS = frozenset({"description", "notes", "note", "title", "community"})
# Extension tags whose content MediaWiki hands to the extension as it is: the preprocessor
# never expands a template inside one, so no entry can be there. These are the tags
# mwparserfromhell does not parse either (its PARSER_BLACKLIST), so both read a value alike.
# `<code>` is not one: it is plain HTML, and templates inside it are expanded.
HIDDEN_TAGS = frozenset(
    {
        "categorytree",
        "ce",
        "chem",
        "gallery",
        "graph",
        "hiero",
        "imagemap",
        "inputbox",
        "math",
        "nowiki",
        "pre",
        "score",
        "section",
        "source",
        "syntaxhighlight",
        "templatedata",
        "timeline",
    }
)
# Tags whose content, inside a value, is the text as written. Any other tag in a value is
# markup, `<code>` too (a template inside it would be expanded, not shown).
LITERAL_TAGS = frozenset({"nowiki", "pre", "syntaxhighlight", "source"})
_INVISIBLE_CHARS = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# Characters MediaWiki never stores or renders (Sanitizer::validateCodepoint): C0 and C1
# controls other than tab and newlines, lone surrogates, noncharacters. A Python string
# holds them, but no UTF-8 encoder downstream (the store, the API) accepts a surrogate.
_FORBIDDEN_BMP = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_NONCHARACTERS_ASTRAL = "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17))
FORBIDDEN = re.compile(f"[{_FORBIDDEN_BMP}{_NONCHARACTERS_ASTRAL}]")
# What sends a value to the careful check: coarse (any astral character) because a class
# of astral characters one by one makes `re` scan several times slower.
_SUSPECT = re.compile(f"[{_INVISIBLE_CHARS}{_FORBIDDEN_BMP}\U00010000-\U0010ffff]")
_OPENING = re.compile(r"\{\{\s*([^{}|\n]{1,120}?)\s*(?=\||\}|\n|$)")
MAX_RAW = 1000  # characters kept of an entry reported without being read


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
    """Drop invisible formatting characters, fold whitespace and compose (NFC): MediaWiki
    stores text in NFC, so `Cafe&#x301;` must read as the `Café` typed elsewhere."""
    text = " ".join(INVISIBLE.sub("", value).split())
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def printable(text: str) -> str:
    """`text` with each forbidden character replaced by U+FFFD, as MediaWiki would store it."""
    if text.isprintable() or not FORBIDDEN.search(text):  # isprintable: a fast common case
        return text
    return FORBIDDEN.sub("\ufffd", text)


_clean_name = lru_cache(maxsize=4096)(clean_text)
"""clean_text for parameter names: a handful of names recur in every entry."""


def snippet(text: str, limit: int = 120) -> str:
    """A short one-line excerpt for problem reports; always storable text."""
    flat = printable(" ".join(text.split()))
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
    """Plain text of a parameter value, not yet cleaned; anything live in it, or an entity
    for a character MediaWiki would refuse (`&#xD800;`), becomes an issue."""
    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Comment):
            continue
        elif isinstance(node, HTMLEntity):
            char = node.normalize()
            if FORBIDDEN.search(char):
                issues.append(Issue("markup-in-value", (param, snippet(str(node), 40))))
            else:
                out.append(char)
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
    return "".join(out)


class LineIndex:
    """Offsets to 1-based line numbers, by binary search over newline positions."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


_HIDDEN_START = re.compile(
    r"<!--|<(" + "|".join(sorted(HIDDEN_TAGS)) + r")(?=\s|/>|>)", re.IGNORECASE
)
_HIDDEN_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in sorted(HIDDEN_TAGS)}
_NOT_NEWLINE = re.compile(r"[^\n]")
_BRACE_RUNS = re.compile(r"\{\{+|\}\}+")  # lone braces are text; `{2,}` scans slower
_NAME_END = re.compile(r"[|{}]")
_SLOW_MARKS = frozenset("<[&{}")


def _hidden_spans(text: str) -> list[tuple[int, int]]:
    """Comments and extension tags the preprocessor hides, found left to right as MediaWiki
    does (Preprocessor_Hash): an unclosed comment runs to the end of the page; an extension
    tag without its closing tag is plain text. Linear: like MediaWiki, once a tag has no
    closing tag (or no `>`) further on, it is not searched for again."""
    spans: list[tuple[int, int]] = []
    if "<" not in text:
        return spans
    unclosed: set[str] = set()
    no_gt = False
    pos = 0
    while (m := _HIDDEN_START.search(text, pos)) is not None:
        name = m.group(1)
        if name is None:  # a comment
            end = text.find("-->", m.end())
            pos = len(text) if end < 0 else end + 3
            spans.append((m.start(), pos))
            continue
        name = name.lower()
        gt = -1 if no_gt else text.find(">", m.end())
        if gt < 0:
            no_gt = True
            pos = m.start() + 1
            continue
        if text[gt - 1] == "/":  # self-closing: hides nothing
            pos = gt + 1
            continue
        close = None if name in unclosed else _HIDDEN_END[name].search(text, gt + 1)
        if close is None:
            unclosed.add(name)
            pos = gt + 1
            continue
        spans.append((m.start(), close.end()))
        pos = close.end()
    return spans


def _mask(text: str) -> str:
    """Blank out comments and hidden extension tags, keeping every offset (and newline)."""
    spans = _hidden_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for begin, end in spans:
        parts.append(text[last:begin])
        parts.append(_NOT_NEWLINE.sub(" ", text[begin:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _kind(masked: str, begin: int, finish: int, names: Names, lang: str) -> str | None:
    """The SkillMatch template named by the braces at begin..finish, if any.

    The name ends at the first pipe; a name holding a brace (a nested template or
    argument) is no SkillMatch name. Scanning stops at the first brace or pipe, so
    however deeply braces nest, each character is scanned once per page.
    """
    stop = _NAME_END.search(masked, begin + 2, finish - 2)
    end = finish - 2 if stop is None else stop.start()
    if end < finish - 2 and masked[end] != "|":
        return None
    return names.canonical_template(_clean_name(masked[begin + 2 : end]).replace("_", " "), lang)


def extract(text: str, names: Names, lang: str) -> tuple[list[RawTemplate], list[Stray]]:
    """Every SkillMatch template in `text`, in page order, plus malformed look-alikes.

    Templates are found as MediaWiki's preprocessor finds them: comments and extension
    tags that hide their content (`<nowiki>`, `<math>`, …) are masked first, then runs of
    braces are matched innermost first, three against three for an argument
    (`{{{1}}}`) and two against two for a template; an unclosed `{{` is plain text and
    does not swallow what follows. A template with only plain text inside is split
    directly; one with links, tags, entities or nested braces is handed to
    mwparserfromhell on its own, so a page's cost stays linear however many entries on
    it are broken. Total: any text gives templates and problems, never an exception.
    """
    masked = _mask(text)
    lines = LineIndex(text)
    params = _ParamNames(names, lang)
    stack: list[list[int]] = []
    inner: list[tuple[int, int]] = []  # (begin, nesting) of entries not yet inside another
    found: list[tuple[int, RawTemplate]] = []
    for begin, finish in _template_spans(masked, stack):
        kind = _kind(masked, begin, finish, names, lang)
        if kind is None:
            continue
        nesting = 1
        while inner and inner[-1][0] > begin:
            nesting = max(nesting, inner.pop()[1] + 1)
        inner.append((begin, nesting))
        line = lines.line(begin)
        if nesting > 2:
            # Entries in entries in entries: each level would re-read all those inside it
            # (quadratic), and the outer ones are invalid anyway.
            raw = printable(text[begin : begin + MAX_RAW])
            found.append((begin, RawTemplate(kind, {}, line, raw, [Issue("malformed-template")])))
            continue
        raw = text[begin:finish]
        body = raw[2:-2]
        if _SLOW_MARKS.isdisjoint(body):
            found.append((begin, _fast_template(kind, body, raw, line, params)))
        else:
            found.append((begin, _slow_template(kind, raw, line, params)))
    found.sort(key=lambda pair: pair[0])
    strays = []
    for start, count in stack:
        begin = start + count - 2
        opening = _OPENING.match(masked, begin)
        if opening is None:
            continue
        kind = names.canonical_template(_clean_name(opening.group(1)).replace("_", " "), lang)
        if kind is not None:
            strays.append(Stray(kind, lines.line(begin), snippet(text[begin : begin + 200])))
    return [t for _, t in found], strays


def _template_spans(masked: str, stack: list[list[int]]) -> Iterator[tuple[int, int]]:
    """(begin, end) of each template, innermost first, pairing brace runs as MediaWiki does.

    A closing run takes three braces from the innermost open run when both have three
    (an argument, skipped), else two (a template); a lone brace left over is text. Open
    runs never closed are left in `stack` as [start, braces left].
    """
    for m in _BRACE_RUNS.finditer(masked):
        at, end = m.span()
        if masked[at] == "{":
            stack.append([at, end - at])
            continue
        left = end - at
        while left >= 2 and stack:
            run = stack[-1]
            if left == 2 and run[1] == 2:  # `{{` … `}}`: by far the most common case
                stack.pop()
                yield run[0], end
                break
            size = 3 if min(left, run[1]) >= 3 else 2
            begin = run[0] + run[1] - size
            run[1] -= size
            if run[1] < 2:
                stack.pop()
            at, left = at + size, left - size
            if size == 2:
                yield begin, at


class _ParamNames:
    """Canonical parameter names for one page, remembered: the same few names as written
    recur in every entry."""

    __slots__ = ("_known", "_lang", "_names")

    def __init__(self, names: Names, lang: str) -> None:
        self._names, self._lang = names, lang
        self._known: dict[str, str | None] = {}

    def __call__(self, pname: str) -> str | None:
        try:
            return self._known[pname]
        except KeyError:
            found = self._names.canonical_param(_clean_name(pname), self._lang)
            self._known[pname] = found
            return found


def _param(template: RawTemplate, pname: str, value: str, params: _ParamNames) -> str | None:
    """Record one cleaned parameter; its canonical name, None when the name is unknown."""
    canonical = params(pname)
    if canonical is None:
        template.issues.append(Issue("unknown-param", (snippet(_clean_name(pname), 40),)))
        return None
    if canonical in template.params:
        template.issues.append(Issue("duplicate-param", (canonical,)))
    template.params[canonical] = value
    return canonical


def _checked_param(
    template: RawTemplate, pname: str, value: str, invisible: bool, params: _ParamNames
) -> None:
    """Record a value that holds invisible or forbidden characters (rare), judged as written.

    Invisible characters in a name or code make it look like another one (a spoofed
    username: "A", a zero-width space, "B" reads as "AB"): refused there, dropped from
    free text.
    Forbidden characters (controls, surrogates) are refused everywhere; the value kept
    for the record has them replaced, so nothing unstorable leaves the parser.
    `invisible`: the value's source held invisible characters (e.g. in a comment).
    """
    forbidden = FORBIDDEN.search(value) is not None
    invisible = invisible or INVISIBLE.search(value) is not None
    cleaned = clean_text(printable(value))
    canonical = _param(template, pname, cleaned, params)
    if canonical is None or not (forbidden or (invisible and canonical not in FREE_TEXT_PARAMS)):
        return
    problem = "bad-username" if canonical in USER_PARAMS else "invisible-characters"
    template.issues.append(Issue(problem, (canonical, snippet(cleaned, 60))))


def _fast_template(kind: str, body: str, raw: str, line: int, params: _ParamNames) -> RawTemplate:
    """Plain-text parameters only: split on pipes and the first equals sign."""
    # Rare: then check value by value. Text str.isprintable() accepts holds no control,
    # format (invisible), surrogate or unassigned character: one fast C loop for most.
    suspect = not body.isprintable() and _SUSPECT.search(body) is not None
    # Pieces of NFC text split at ASCII marks are NFC: one check for the whole body.
    nfc = body.isascii() or unicodedata.is_normalized("NFC", body)
    template = RawTemplate(kind, {}, line, printable(raw) if suspect else raw, [])
    for part in body.split("|")[1:]:
        key, eq, value = part.partition("=")
        if not eq:
            template.issues.append(Issue("positional-param", (snippet(part, 40),)))
        elif suspect:
            _checked_param(template, key, value, False, params)
        else:
            _param(template, key, " ".join(value.split()) if nfc else clean_text(value), params)
    return template


def _slow_template(kind: str, raw: str, line: int, params: _ParamNames) -> RawTemplate:
    """One template through mwparserfromhell. Its tree builder recurses once per level of
    nesting, so a template nested thousands deep raises RecursionError: reported as
    malformed, like braces MediaWiki would not read as this template."""
    try:
        node = mwparserfromhell.parse(raw, skip_style_tags=True).nodes[0]
        if isinstance(node, Template):
            return _from_node(kind, node, raw, line, params)
    except (RecursionError, ParserError):
        raw = raw[:MAX_RAW]
    # the braces matched, but not as mwparserfromhell reads them, or too deep to read
    return RawTemplate(kind, {}, line, printable(raw), [Issue("malformed-template")])


def _from_node(kind: str, tpl: Template, raw: str, line: int, params: _ParamNames) -> RawTemplate:
    template = RawTemplate(kind, {}, line, printable(raw), [])
    for p in tpl.params:
        if not p.showkey:
            template.issues.append(Issue("positional-param", (snippet(str(p.value), 40),)))
            continue
        pname, source = str(p.name), str(p.value)
        value = _value(p.value, params(pname) or "", template.issues)
        if _SUSPECT.search(source) or _SUSPECT.search(value):
            invisible = INVISIBLE.search(source) is not None
            _checked_param(template, pname, value, invisible, params)
        else:
            _param(template, pname, clean_text(value), params)
    return template
