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
import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import mwparserfromhell
from mwparserfromhell.definitions import URI_SCHEMES
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

from bot.preprocessor import (
    EXPANDED_TAGS,
    EXTENSION_TAGS,
    Item,
    Node,
    Part,
    Tree,
    plain_equals,
    plain_parts,
    plain_split,
    preprocess,
)

# Values whose wikilinks name a user: [[User:Alice|Alice]] means Alice.
USER_PARAMS = frozenset({"user", "by", "organizer"})
# Free text may hold invisible characters legitimately (e.g. ZWNJ in Persian); they are dropped.
FREE_TEXT_PARAMS = frozenset({"description", "notes", "note", "title", "community"})
# Extension tags whose content the page never expands: no entry can be there. The others
# of EXTENSION_TAGS (`<ref>`, `<poem>`, `<inputbox>`, …) hide braces from the page around
# them, but their extension expands the templates inside. `<code>` is no extension tag: it
# is plain HTML, and templates inside it are expanded.
HIDDEN_TAGS = EXTENSION_TAGS - EXPANDED_TAGS
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
    return _user_from_title(str(link.title))


def _user_from_title(title: str) -> str | None:
    ns, sep, name = title.strip().partition(":")
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


# Parser functions and magic words that take an argument after a colon (core, ParserFunctions,
# Scribunto, and the ones Wikimedia wikis add). An entry inside one is called or not depending
# on what the function computes; the bot cannot tell, so such an entry is never accepted.
PARSER_FUNCTIONS = frozenset(
    [
        "ns",
        "nse",
        "urlencode",
        "lcfirst",
        "ucfirst",
        "lc",
        "uc",
        "localurl",
        "localurle",
        "fullurl",
        "fullurle",
        "canonicalurl",
        "canonicalurle",
        "formatnum",
        "grammar",
        "gender",
        "plural",
        "bidi",
        "numberofpages",
        "numberofusers",
        "numberofactiveusers",
        "numberofarticles",
        "numberoffiles",
        "numberofadmins",
        "numberingroup",
        "numberofedits",
        "padleft",
        "padright",
        "anchorencode",
        "defaultsort",
        "defaultsortkey",
        "defaultcategorysort",
        "filepath",
        "pagesincategory",
        "pagesize",
        "protectionlevel",
        "protectionexpiry",
        "namespace",
        "namespacee",
        "namespacenumber",
        "talkspace",
        "talkspacee",
        "subjectspace",
        "subjectspacee",
        "articlespace",
        "articlespacee",
        "pagename",
        "pagenamee",
        "fullpagename",
        "fullpagenamee",
        "rootpagename",
        "rootpagenamee",
        "basepagename",
        "basepagenamee",
        "subpagename",
        "subpagenamee",
        "talkpagename",
        "talkpagenamee",
        "subjectpagename",
        "subjectpagenamee",
        "articlepagename",
        "articlepagenamee",
        "pageid",
        "revisionid",
        "revisionday",
        "revisionday2",
        "revisionmonth",
        "revisionmonth1",
        "revisionyear",
        "revisiontimestamp",
        "revisionuser",
        "cascadingsources",
        "int",
        "special",
        "speciale",
        "displaytitle",
        "subst",
        "safesubst",
        "msgnw",
    ]
)
# Prefixes MediaWiki strips before looking the template up (a call all the same).
_CALL_PREFIXES = ("safesubst:", "msg:", "raw:")
# Title::newFromText: these runs become one space; bidi marks are dropped; these characters
# (and ASCII controls, a percent-escape, a signature) make the title invalid.
_TITLE_SPACES = re.compile("[ _\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_TITLE_BIDI = re.compile("[\u200e\u200f\u202a-\u202e]")
_TITLE_ILLEGAL = re.compile(r"[<>\[\]|{}\x00-\x1f\x7f\ufffd]|%[0-9A-Fa-f]{2}|~~~")
_PHP_TRIM = " \t\n\r\0\x0b"
# Size limits: what no real entry needs, so that one edit cannot make every run slow. A
# template longer than this is reported unread; a value with markup longer than this, or
# with more markup marks, is refused rather than handed to mwparserfromhell.
MAX_TEMPLATE = 20_000
MAX_MARKUP_VALUE = 4_000
MAX_MARKS = 100
_MARKS = re.compile(r"<|\[|&")
_SLOW_MARKS = re.compile(r"[<\[&{}]")  # a search in C; set.isdisjoint hashes every char


@lru_cache(maxsize=4096)
def template_title(title: str) -> tuple[str | None, bool]:
    """(the page name a `{{title|…}}` calls, whether it is a parser function), as MediaWiki's
    Parser::braceSubstitution and Title::newFromText decide: `Skill&#32;offer` calls Skill
    offer; a tab, a newline or a bracket inside the name calls nothing."""
    name = title.strip(_PHP_TRIM)
    lowered = name.lower()
    if lowered.startswith("subst:"):
        return None, True  # shown as written at view time; its arguments still expand
    stripped = True
    while stripped:
        stripped = False
        for prefix in _CALL_PREFIXES:
            if name.lower().startswith(prefix):
                name, stripped = name[len(prefix) :].strip(_PHP_TRIM), True
    head, colon, _rest = name.partition(":")
    if colon and (head.startswith("#") or head.strip(_PHP_TRIM).lower() in PARSER_FUNCTIONS):
        return None, True
    name = html.unescape(name) if "&" in name else name
    name = unicodedata.normalize("NFC", name)
    name = _TITLE_BIDI.sub("", name).partition("#")[0]
    if _TITLE_ILLEGAL.search(name) or FORBIDDEN.search(name):
        return None, False
    name = _TITLE_SPACES.sub(" ", name).strip(" ")
    if not name or name.startswith(":") or len(name.encode("utf-8", "replace")) > 255:
        return None, False
    return name, False


def _text(items: list[Item]) -> str | None:
    """The literal text of a title or name, comments and ignored tags left out; None when a
    node inside (a template, an argument, a tag) makes it something only MediaWiki knows."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif item.kind == "equals":
            out.append("=")
        elif item.kind not in ("comment", "ignore"):
            return None
    return "".join(out)


@dataclass
class _Page:
    """What one extraction collects while walking the preprocessor's tree."""

    text: str
    names: Names
    lang: str
    lines: LineIndex
    params: _ParamNames
    found: list[tuple[int, RawTemplate]] = field(default_factory=list)
    strays: list[tuple[int, Stray]] = field(default_factory=list)
    kinds: dict[str, str | None] = field(default_factory=dict)  # of plain titles, remembered

    def kind(self, title: str) -> tuple[str | None, bool]:
        name, function = template_title(title)
        if name is None:
            return None, function
        return self.names.canonical_template(name, self.lang), False

    def stray(self, offset: int, count: int) -> None:
        begin = offset + count - 2
        opening = _OPENING.match(self.text, begin)
        if opening is None:
            return
        kind = self.kind(opening.group(1))[0]
        if kind is not None:
            snip = snippet(self.text[begin : begin + 200])
            self.strays.append((begin, Stray(kind, self.lines.line(begin), snip)))


def extract(text: str, names: Names, lang: str) -> tuple[list[RawTemplate], list[Stray]]:
    """Every SkillMatch template MediaWiki calls when it shows `text`, in page order, plus
    malformed look-alikes.

    The page goes through a port of MediaWiki's own preprocessor (bot.preprocessor), so the
    braces that form a template, the names it calls and its parameters are MediaWiki's:
    nothing inside a comment, `<includeonly>`, `<nowiki>`, `<math>` or the unused parts of
    `{{{1|a|b}}}` counts; entries inside `<ref>`, `<poem>` or `<inputbox>` do; an entry
    inside a parser function (`{{#if:…}}`) is reported, never accepted. Values are read one
    by one, plain ones directly and ones with markup through mwparserfromhell within size
    limits, so a page's cost stays linear. Total: any text gives templates and problems,
    never an exception.
    """
    page = _Page(text, names, lang, LineIndex(text), _ParamNames(names, lang))
    _walk(page, preprocess(text), 0)
    page.found.sort(key=lambda pair: pair[0])
    page.strays.sort(key=lambda pair: pair[0])
    return [t for _, t in page.found], [s for _, s in page.strays]


def _walk(page: _Page, tree: Tree, base: int, in_function: bool = False) -> None:
    """Visit every node MediaWiki expands at view time; no recursion (pages nest deeply)."""
    for offset, count in tree.unclosed:
        page.stray(base + offset, count)
    # (items, offset of the text they index, inside a parser function)
    work: list[tuple[list[Item], int, bool]] = [(tree.items, base, in_function)]
    text, kinds = page.text, page.kinds
    while work:
        items, at, in_function = work.pop()
        for item in items:
            if isinstance(item, str):
                continue
            if item.plain:  # no node inside: its name is all there is to look at
                begin, end = at + item.start + 2, at + item.end - 2
                bar = text.find("|", begin, end)
                name = text[begin : end if bar < 0 else bar]
                if "[[" in name:  # that pipe may be a link's
                    name = plain_split(text[begin:end])[0]
                known = kinds[name] if name in kinds else page.kind(name)[0]
                kinds[name] = known
                if known is not None:
                    page.found.append((begin - 2, _plain_entry(page, known, item, at, in_function)))
                continue
            if item.kind in ("comment", "ignore", "equals"):
                continue
            if item.kind == "ext":
                if item.inner is not None and item.name.lower() in EXPANDED_TAGS:
                    begin, end = item.inner
                    _walk_inner(page, at + begin, at + end, in_function)
                continue
            if item.kind == "tplarg":  # its name and default expand, further parts never
                work.extend((part.items, at, in_function) for part in item.parts[:2])
                continue
            title = _text(item.parts[0].items)
            if title is not None:
                kind, function = page.kind(title)
            else:  # `{{#if:{{x}}|…}}`: a function whatever its argument expands to
                head = _leading_text(item.parts[0].items)
                kind, function = None, ":" in head and template_title(head)[1]
            inside = in_function or function
            work.extend((part.items, at, inside) for part in item.parts)
            if kind is not None:
                page.found.append((at + item.start, _entry(page, kind, item, at, in_function)))


def _walk_inner(page: _Page, begin: int, end: int, in_function: bool) -> None:
    """An extension tag's content that its extension parses as wikitext (`<ref>`)."""
    _walk(page, preprocess(page.text[begin:end]), begin, in_function)


def _entry(page: _Page, kind: str, node: Node, at: int, in_function: bool) -> RawTemplate:
    begin, end = at + node.start, at + node.end
    line = page.lines.line(begin)
    if end - begin > MAX_TEMPLATE:
        raw = printable(page.text[begin : begin + MAX_RAW])
        return RawTemplate(kind, {}, line, raw, [Issue("template-too-large", (str(MAX_TEMPLATE),))])
    template = RawTemplate(kind, {}, line, printable(page.text[begin:end]), [])
    if in_function:  # read all the same, so that one report lists every fix needed
        template.issues.append(Issue("entry-in-parser-function"))
    for part in _parts(node, page, at)[1:]:
        if part.eq < 0:
            source = _source(part.items, page.text, at)
            template.issues.append(Issue("positional-param", (snippet(source, 40),)))
            continue
        pname = _text(part.items[: part.eq])
        if pname is None:
            pname = _source(part.items[: part.eq], page.text, at)
        _part_value(template, pname, part.items[part.eq + 1 :], page, at)
    return template


def _plain_entry(page: _Page, kind: str, node: Node, at: int, in_function: bool) -> RawTemplate:
    """_entry for a plain template (text and plain links inside): parts split here, not
    built as nodes."""
    begin, end = at + node.start, at + node.end
    if end - begin > MAX_TEMPLATE:
        return _entry(page, kind, node, at, in_function)
    raw = page.text[begin:end]
    body = raw[2:-2]
    suspect = not body.isprintable() and _SUSPECT.search(body) is not None
    template = RawTemplate(kind, {}, page.lines.line(begin), printable(raw) if suspect else raw, [])
    if in_function:
        template.issues.append(Issue("entry-in-parser-function"))
    # Values whose text _part_value reads as it is, all at once: most entries.
    plain = not suspect and not _SLOW_MARKS.search(body)
    # clean_text of such a value is its whitespace folded: no invisible character in it, and
    # a piece of NFC text cut at ASCII marks and whitespace, rejoined with spaces, is NFC.
    nfc = plain and (body.isascii() or unicodedata.is_normalized("NFC", body))
    params, found = page.params, template.params
    links = "[[" in body
    for chunk in (plain_split(body) if links else body.split("|"))[1:]:
        if links and "[[" in chunk:  # a link's `=` is no separator
            k = plain_equals(chunk)
            pname, eq, value = (chunk, "", "") if k < 0 else (chunk[:k], "=", chunk[k + 1 :])
        else:
            pname, eq, value = chunk.partition("=")
        if not eq:
            template.issues.append(Issue("positional-param", (snippet(chunk, 40),)))
        elif plain:
            value = " ".join(value.split()) if nfc else clean_text(value)
            canonical = params[pname]
            if canonical is None or canonical in found:  # reported by _param
                _param(template, pname, value, params)
            else:
                found[canonical] = value
        else:
            _part_value(template, pname, [value] if value else [], page, at)
    return template


def _parts(node: Node, page: _Page, at: int) -> list[Part]:
    return plain_parts(page.text, node, at) if node.plain else node.parts


def _leading_text(items: list[Item]) -> str:
    """The literal text before the first node other than a comment."""
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif item.kind not in ("comment", "ignore"):
            break
    return "".join(out)


def _source(items: list[Item], text: str, at: int) -> str:
    """Items as written (nodes by their source span)."""
    return "".join(i if isinstance(i, str) else text[at + i.start : at + i.end] for i in items)


def _part_value(template: RawTemplate, pname: str, items: list[Item], page: _Page, at: int) -> None:
    """Read one named parameter's value: text as written, nodes the preprocessor found
    (a nested template, an extension tag) judged here, markup through mwparserfromhell."""
    if not items or (len(items) == 1 and isinstance(items[0], str)):  # plain text: most values
        plain = items[0] if items else ""
        assert isinstance(plain, str)
        if not _SLOW_MARKS.search(plain) and (plain.isprintable() or not _SUSPECT.search(plain)):
            _param(template, pname, clean_text(plain), page.params)
            return
    canonical = page.params(pname) or ""
    issues = template.issues
    pieces: list[str] = []
    wikitext: list[str] = []
    invisible = False

    def flush() -> None:
        if wikitext:
            pieces.append(_markup_text("".join(wikitext), canonical, issues))
            wikitext.clear()

    for item in items:
        if isinstance(item, str):
            wikitext.append(item)
        elif item.kind == "comment":
            invisible = (
                invisible or INVISIBLE.search(page.text, at + item.start, at + item.end) is not None
            )
        elif item.kind == "ignore":
            continue
        elif item.kind in ("template", "tplarg"):
            source = page.text[at + item.start : at + item.end]
            title = _text(_parts(item, page, at)[0].items) if item.kind == "template" else None
            shown = _clean_name(title) if title is not None else source
            issues.append(Issue("template-in-value", (canonical or pname, snippet(shown, 40))))
        elif item.kind == "ext":
            tag = item.name.lower()
            if tag in LITERAL_TAGS and item.inner is not None:
                flush()
                begin, end = item.inner
                pieces.append(page.text[at + begin : at + end])
            else:
                issues.append(
                    Issue("markup-in-value", (canonical or pname, f"<{snippet(tag, 20)}>"))
                )
        else:  # pragma: no cover - every node kind is handled above
            wikitext.append(page.text[at + item.start : at + item.end])
    flush()
    value = "".join(pieces)
    if invisible or (not value.isprintable() and _SUSPECT.search(value) is not None):
        _checked_param(template, pname, value, invisible, page.params)
    else:
        _param(template, pname, clean_text(value), page.params)


def _markup_text(source: str, param: str, issues: list[Issue]) -> str:
    """Plain text of wikitext without templates: links, tags and entities read by
    mwparserfromhell, but only within size limits (its cost grows faster than the text)."""
    if not _SLOW_MARKS.search(source):
        return source
    if len(source) > MAX_MARKUP_VALUE or len(_MARKS.findall(source, 0)) > MAX_MARKS:
        issues.append(Issue("markup-too-large", (param, str(MAX_MARKUP_VALUE), str(MAX_MARKS))))
        return ""
    if _LINKS_ONLY.fullmatch(source):
        return _links_text(source, param, issues)
    try:
        code = mwparserfromhell.parse(source, skip_style_tags=True)
    except (RecursionError, ParserError):  # pragma: no cover - bounded by the limits above
        issues.append(Issue("markup-too-large", (param, str(MAX_MARKUP_VALUE), str(MAX_MARKS))))
        return ""
    return _value(code, param, issues)


# A value of plain words and simple wikilinks (`[[User:A|A]]`, `[[Lua]], [[SPARQL]]`): read
# here as mwparserfromhell would, without its cost (a parse per value). No line-start
# markup (headings, lists), entities, tags, `=` or bracket outside a link; a newline only
# in trailing blanks.
# mwparserfromhell reads `[[http://x]]` or `[[mailto:x]]` as an external link in brackets.
_SCHEMES = "|".join(sorted(URI_SCHEMES))
_LINK = (
    rf"\[\[(?!\s*(?i:{_SCHEMES}):)(?![^\]]*//)"
    r"([^\[\]{}<>|&\n]+)(?:\|([^\[\]{}<>|&\n]*))?\]\]"
)
_LINKS_ONLY = re.compile(rf"(?:[^\[\]{{}}<>&=\n*#:;'~_-]++|{_LINK})*+[ \t\n]*")
_LINK_PARTS = re.compile(_LINK)


def _links_text(source: str, param: str, issues: list[Issue]) -> str:
    """_value of a _LINKS_ONLY value: a link's text, or its title, or the user it names."""
    out: list[str] = []
    pos = 0
    for m in _LINK_PARTS.finditer(source):
        out.append(source[pos : m.start()])
        pos = m.end()
        title, text = m.group(1), m.group(2)
        if param in USER_PARAMS:
            name = _user_from_title(title)
            if name is None:
                issues.append(Issue("markup-in-value", (param, snippet(m.group(), 40))))
            else:
                out.append(name)
        elif text is not None and param != "link":
            out.append(text)
        else:
            out.append(title)
    out.append(source[pos:])
    return "".join(out)


class _ParamNames(dict[str, str | None]):
    """Canonical parameter names for one page, remembered: the same few names as written
    recur in every entry (`params[name]` looks a known one up without a Python call)."""

    __slots__ = ("_lang", "_names")

    def __init__(self, names: Names, lang: str) -> None:
        super().__init__()
        self._names, self._lang = names, lang

    def __missing__(self, pname: str) -> str | None:
        found = self[pname] = self._names.canonical_param(_clean_name(pname), self._lang)
        return found

    def __call__(self, pname: str) -> str | None:
        return self[pname]


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
