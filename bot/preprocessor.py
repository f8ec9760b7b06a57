"""MediaWiki 1.39's preprocessor, ported: which braces form templates, as MediaWiki decides.

Why a port and not an approximation: whether an entry exists is decided by MediaWiki's
Preprocessor_Hash::buildDomTreeArrayFromText, a stack machine in which `[[` and `-{` hide a
template's closing `}}`, extension tags (`<ref>`, `<math>`, …) hide braces from the page
around them, `<includeonly>` hides its content at view time, a heading line ends what it
opened, and brace runs pair innermost first, three against three. Any simplification lets
an edit make the bot read an entry MediaWiki never calls, or miss one it does.

This is the view-time mode (a page shown, not transcluded), with language conversion on, as on
every Wikimedia wiki. Output is a tree of `Node`s and literal strings; nodes carry their source
offsets. Linear time: like MediaWiki it never searches twice for a closing tag or a `>` that
is not there, and unlike a naive Python port it never concatenates a growing string.

Speed on ordinary pages: the machine jumps by regex to the next place where it would act,
and a `{{…}}` or `[[…]]` with nothing inside it would act on is taken whole by that same
search (a plain template node, a link as text) with the result the machine would give
(adjacent literals may be split differently, which nothing reading the tree sees).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Tags whose content MediaWiki's preprocessor hands to an extension as it is (the wiki's
# "strip list"): braces inside never pair with braces outside. The tags of the extensions
# Wikimedia wikis run; checked against a local MediaWiki with those extensions.
EXTENSION_TAGS = frozenset(
    {
        "categorytree",
        "ce",
        "charinsert",
        "chem",
        "gallery",
        "graph",
        "hiero",
        "imagemap",
        "indicator",
        "inputbox",
        "langconvert",
        "mapframe",
        "maplink",
        "math",
        "nowiki",
        "poem",
        "pre",
        "ref",
        "references",
        "score",
        "section",
        "source",
        "syntaxhighlight",
        "templatedata",
        "templatestyles",
        "timeline",
    }
)
# Of those, the ones whose extension parses its content as wikitext when the page is shown
# (Cite, Poem, InputBox's replaceVariables, gallery and image-map captions, indicators):
# templates inside are called. Checked with action=parse&prop=templates.
EXPANDED_TAGS = frozenset(
    {"gallery", "imagemap", "indicator", "inputbox", "poem", "ref", "references"}
)

_IGNORED_TAGS = ("noinclude", "/noinclude", "onlyinclude", "/onlyinclude")
_ALLOW_MISSING_END = ("includeonly", "noinclude", "onlyinclude")
_ELEMENT_NAMES = "|".join([*sorted(EXTENSION_TAGS), "includeonly", *_IGNORED_TAGS])
# ASCII only, as PHP's byte regexes (no `u` flag): `<nowıki>` (dotless i) or `<ſource>` is
# no tag for MediaWiki, nor `<nowiki` followed by a no-break space; Python's Unicode case
# folding and `\s` would take them for one and hide an entry that MediaWiki calls.
_ELEMENTS = re.compile(f"({_ELEMENT_NAMES})(?:\\s|/>|>)|(!--)", re.IGNORECASE | re.ASCII)
# A `<` that starts no element (`<br>`, `3 < 4`): text to the machine.
_TEXT_ANGLE = rf"<(?!(?ai:(?:{_ELEMENT_NAMES})(?:\s|/>|>)|!--))"
# `[[…]]` and `{{…}}` with nothing inside that the machine would act on: no run that opens
# (`{{`, `[[`, `-{`) but a plain link in a template, no element, no `=` at a line's start (a
# heading) and no closing run before the last. The stack machine would push the piece, copy
# text (a link's pipes, equals signs and braces too), split a template's parts at pipes and
# the first `=` of each, and pop it at the closing run: the same result in one match.
# Possessive loops: a failed match costs the length scanned once, up to the next `{{` or `[[`.
_PLAIN_LINK = (
    r"\[\[(?!\[)(?:[^\[\]{<\n-]++|\[(?!\[)|\](?!\])|\{(?!\{)|-(?!\{)|\n(?!=)|"
    + _TEXT_ANGLE
    + r")*+\]\]"
)
_PLAIN_TEMPLATE = (
    r"\{\{(?!\{)(?:[^\[{}<\n-]++|"
    + _PLAIN_LINK
    + r"|\[(?!\[)|\{(?!\{)|\}(?!\})|-(?!\{)|\n(?!=)|"
    + _TEXT_ANGLE
    + r")*+\}\}"
)
_LINK_OR_PIPE = re.compile(f"{_PLAIN_LINK}|\\|")
_LINK_OR_EQUALS = re.compile(f"{_PLAIN_LINK}|=")
_RULES: dict[str, tuple[str, dict[int, str | None], int, int]] = {
    # open: (close, names by brace count, min, max)
    "{": ("}", {2: "template", 3: "tplarg"}, 2, 3),
    "[": ("]", {2: None}, 2, 2),
    "-{": ("}-", {2: None}, 2, 2),
}
_RUN = {c: re.compile(re.escape(c) + "*") for c in "{[}]="}
_BLANKS = " \t"


@dataclass(slots=True, eq=False)
class Part:
    """One pipe-separated part of a brace construct; `eq` is the index of its `=` node."""

    items: list[str | Node] = field(default_factory=list)
    eq: int = -1
    comment_end: int = -1
    visual_end: int = -1


@dataclass(slots=True, eq=False)
class Node:
    """`template`, `tplarg`, `ext`, `comment`, `ignore` or `equals`, at text[start:end]."""

    kind: str
    start: int
    end: int
    parts: list[Part] = field(default_factory=list)
    name: str = ""  # an extension tag's name as written
    inner: tuple[int, int] | None = None  # an extension tag's content
    # A template with only text and plain links inside (`{{a|b=[[c]]}}`, most entries): its
    # parts are left unbuilt (`parts` is empty); plain_parts() gives them when wanted.
    plain: bool = False


Item = str | Node


@dataclass(slots=True, eq=False)
class _Piece:
    open: str
    close: str
    count: int
    start: int
    line_start: bool = False
    saved_prefix: str = ""
    parts: list[Part] = field(default_factory=lambda: [Part()])

    def flags(self) -> tuple[bool, bool, bool]:
        """(find pipes, find equals, in heading), as PPDStackElement_Hash::getFlags."""
        pipe = self.open not in ("\n", "[")
        equals = pipe and len(self.parts) > 1 and self.parts[-1].eq < 0
        return pipe, equals, self.open == "\n"

    def break_syntax(self, opening: int = 0) -> list[Item]:
        """The piece as literal text around the nodes already found inside it."""
        if self.open == "\n":
            return [self.saved_prefix, *self.parts[0].items]
        count = opening or self.count
        head = self.open[:-1]
        out: list[Item] = [self.saved_prefix + head + self.open[-1] * (count - len(head))]
        for k, part in enumerate(self.parts):
            if k:
                out.append("|")
            out.extend(part.items)
        return out


@dataclass(slots=True)
class Tree:
    """The page's top-level items, and the `{` runs never closed: (offset, braces left)."""

    items: list[Item]
    unclosed: list[tuple[int, int]]


_SEARCH: dict[tuple[str, bool, bool, bool], re.Pattern[str]] = {}


def _search(closing: str, pipe: bool, equals: bool, heading: bool) -> re.Pattern[str]:
    """The next place where the stack machine does anything but copy text: a run that can
    open (`{{`, `[[`, `-{`) or close the top piece, `<`, a pipe or equals sign when they
    count, a newline that ends a heading or starts `=` at a line's start. A lone `{`, `[`,
    `-`, `}` or newline is text for the machine too; skipping them keeps its loop short."""
    key = (closing, pipe, equals, heading)
    found = _SEARCH.get(key)
    if found is None:
        chars = "<" + ("|" if pipe else "") + ("=" if equals else "") + ("\n" if heading else "")
        branches = [
            "[" + re.escape(chars) + "]",
            f"(?P<template>{_PLAIN_TEMPLATE})",
            r"\{\{",
            f"(?P<link>{_PLAIN_LINK})",
            r"\[\[",
            r"-\{",
            r"\n(?==)",
        ]
        if closing and closing != "\n":
            branches.append(re.escape(closing * 2 if len(closing) == 1 else closing))
        found = _SEARCH[key] = re.compile("|".join(branches))
    return found


def _blanks_before(text: str, pos: int) -> int:
    """strspn over " \\t" backwards from pos."""
    k = pos
    while k > 0 and text[k - 1] in _BLANKS:
        k -= 1
    return pos - k


def _run(text: str, char: str, pos: int, limit: int | None = None) -> int:
    """strspn(text, char, pos, limit)."""
    if limit is not None:
        k = pos
        end = min(len(text), pos + limit)
        while k < end and text[k] == char:
            k += 1
        return k - pos
    return _RUN[char].match(text, pos).end() - pos  # type: ignore[union-attr]


def _trim_tail(items: list[Item], length: int) -> None:
    """Drop `length` trailing blanks from the last literal, if it ends with that many."""
    tail: list[int] = []
    total = 0
    k = len(items) - 1
    while k >= 0 and isinstance(items[k], str) and total < length:
        tail.append(k)
        total += len(items[k])  # type: ignore[arg-type]
        k -= 1
    joined = "".join(items[j] for j in reversed(tail))  # type: ignore[misc]
    if len(joined) < length or joined[len(joined) - length :].strip(_BLANKS):
        return
    keep = joined[: len(joined) - length]
    for j in tail:
        del items[j]
    if keep:
        items.append(keep)


def preprocess(text: str) -> Tree:
    """The preprocessor's tree of `text` as shown (Preprocessor_Hash, flags 0)."""
    n = len(text)
    stack: list[_Piece] = []
    root: list[Item] = []
    accum = root
    find_equals = find_pipe = in_heading = False
    pattern = _search("", False, False, False)
    no_more_gt = False
    next_gt = -1  # the first `>` at or after the last position asked for
    no_more_closing: set[str] = set()
    fake_line_start = True
    i = 0

    def top_flags() -> tuple[bool, bool, bool]:
        return stack[-1].flags() if stack else (False, False, False)

    while True:
        cur = ""
        rule: tuple[str, dict[int, str | None], int, int] | None = None
        if fake_line_start:
            found = "line-start"
        else:
            closing = stack[-1].close if stack else ""
            m = pattern.search(text, i)
            while m is not None and m.lastgroup == "link":  # text, whatever surrounds it
                m = pattern.search(text, m.end())
            j = n if m is None else m.start()
            if j > i:
                accum.append(text[i:j])
                i = j
            if m is not None and m.lastgroup == "template":
                i = m.end()
                accum.append(Node("template", j, i, plain=True))
                continue
            if i >= n:
                if closing == "\n":
                    found = "line-end"
                else:
                    break
            else:
                cur = text[i]
                two = text[i : i + 2]
                if cur == "|":
                    found = "pipe"
                elif cur == "=":
                    found = "equals"
                elif cur == "<":
                    found = "angle"
                elif cur == "\n":
                    found = "line-end" if in_heading else "line-start"
                elif two == closing:
                    found, cur = "close", two
                elif cur == closing:
                    found = "close"
                elif two in _RULES:
                    found, cur, rule = "open", two, _RULES[two]
                elif cur in _RULES:
                    found, rule = "open", _RULES[cur]
                else:  # a `-` or `}` that opens or closes nothing
                    accum.append(cur)
                    i += 1
                    continue

        if found == "angle":
            m = _ELEMENTS.match(text, i + 1)
            if m is None:
                accum.append("<")
                i += 1
                continue
            if m.group(2):
                end = text.find("-->", i + 4)
                if end < 0:
                    accum.append(Node("comment", i, n))
                    i = n
                    continue
                ws_start = i - _blanks_before(text, i) if i else 0
                ws_end = end + 2 + _blank_run(text, end + 3)
                comments = [(ws_start, ws_end)]
                while text.startswith("<!--", ws_end + 1):
                    c = text.find("-->", ws_end + 4)
                    if c < 0:
                        break
                    c = c + 2 + _blank_run(text, c + 3)
                    comments.append((ws_end + 1, c))
                    ws_end = c
                if (
                    ws_start > 0
                    and text[ws_start - 1] == "\n"
                    and text[ws_end + 1 : ws_end + 2] == "\n"
                ):
                    ws_length = i - ws_start
                    if ws_length > 0 and accum:
                        _trim_tail(accum, ws_length)
                    for begin, finish in comments[:-1]:
                        accum.append(Node("comment", begin, finish + 1))
                    start_pos, end_pos = comments[-1][0], comments[-1][1] + 1
                    fake_line_start = True
                else:
                    start_pos, end_pos = i, end + 2
                if stack:
                    part = stack[-1].parts[-1]
                    if not (part.comment_end >= 0 and part.comment_end == ws_start - 1):
                        part.visual_end = ws_start
                    part.comment_end = end_pos
                i = end_pos + 1
                accum.append(Node("comment", start_pos, end_pos + 1))
                continue
            name = m.group(1)
            lower = name.lower()
            attr_start = i + len(name) + 1
            if no_more_gt:
                tag_end = -1
            else:
                if next_gt < attr_start:
                    next_gt = text.find(">", attr_start)
                tag_end = next_gt
            if tag_end < 0:
                no_more_gt = True
                accum.append("<")
                i += 1
                continue
            if lower in _IGNORED_TAGS:
                accum.append(Node("ignore", i, tag_end + 1))
                i = tag_end + 1
                continue
            tag_start = i
            inner: tuple[int, int] | None
            if text[tag_end - 1] == "/":
                inner = None
                i = tag_end + 1
            else:
                close = None
                if lower not in no_more_closing:
                    close = _closing_tag(lower).search(text, tag_end + 1)
                if close is not None:
                    inner = (tag_end + 1, close.start())
                    i = close.end()
                elif name in _ALLOW_MISSING_END:
                    inner = (tag_end + 1, n)
                    i = n
                else:
                    i = tag_end + 1
                    accum.append(text[tag_start:i])
                    no_more_closing.add(lower)
                    continue
            if lower == "includeonly":
                accum.append(Node("ignore", tag_start, i))
                continue
            accum.append(Node("ext", tag_start, i, name=name, inner=inner))
        elif found == "line-start":
            if fake_line_start:
                fake_line_start = False
            else:
                accum.append(cur)
                i += 1
            count = _run(text, "=", i, 6)
            if count == 1 and find_equals:
                pass  # DWIM: a name/value separator, not a heading
            elif count > 0:
                piece = _Piece("\n", "\n", count, i, parts=[Part(["=" * count])])
                stack.append(piece)
                accum = piece.parts[-1].items
                find_pipe, find_equals, in_heading = piece.flags()
                pattern = _search(piece.close, find_pipe, find_equals, in_heading)
                i += count
        elif found == "line-end":
            piece = stack.pop()
            # MediaWiki decides here whether the line is a heading; either way the text
            # and nodes inside go on unchanged, which is all that matters for templates.
            accum = stack[-1].parts[-1].items if stack else root
            find_pipe, find_equals, in_heading = top_flags()
            pattern = _search(stack[-1].close if stack else "", find_pipe, find_equals, in_heading)
            accum.extend(piece.parts[0].items)
        elif found == "open":
            assert rule is not None
            count = _run(text, cur[-1], i + 1) + 1 if len(cur) > 1 else _run(text, cur, i)
            saved_prefix = ""
            line_start = i > 0 and text[i - 1] == "\n"
            if cur == "-{" and count > 2:
                saved_prefix = "-"
                i += 1
                cur = "{"
                count -= 1
                rule = _RULES[cur]
            if count >= rule[2]:
                piece = _Piece(cur, rule[0], count, i, line_start, saved_prefix)
                stack.append(piece)
                accum = piece.parts[-1].items
                find_pipe, find_equals, in_heading = piece.flags()
                pattern = _search(piece.close, find_pipe, find_equals, in_heading)
            else:
                accum.append(saved_prefix + cur * count)
            i += count
        elif found == "close":
            piece = stack[-1]
            max_count = piece.count
            if piece.close == "}-" and cur == "}":
                max_count -= 1
            _close, names, _min, high = _RULES[piece.open]
            # no more than one past the most a rule can take: a long run is not rescanned
            count = len(cur) if len(cur) > 1 else _run(text, cur, i, min(max_count, high + 1))
            if count > high:
                matching = high
            else:
                matching = count
                while matching > 0 and matching not in names:
                    matching -= 1
            if matching <= 0:
                accum.append(text[i : i + count])
                i += count
                continue
            kind = names[matching]
            element: list[Item]
            if kind is None:
                element = piece.break_syntax(matching)
                element.append(text[i : i + matching])
            else:
                begin = piece.start + piece.count - matching
                element = [Node(kind, begin, i + matching, piece.parts)]
            i += matching
            stack.pop()
            accum = stack[-1].parts[-1].items if stack else root
            if matching < piece.count:
                piece.parts = [Part()]
                piece.count -= matching
                if piece.count >= _RULES[piece.open][2]:
                    stack.append(piece)
                    accum = piece.parts[-1].items
                elif piece.count == 1 and piece.open == "{" and piece.saved_prefix == "-":
                    piece.saved_prefix, piece.open, piece.count = "", "-{", 2
                    piece.close = _RULES["-{"][0]
                    piece.start -= 1
                    stack.append(piece)
                    accum = piece.parts[-1].items
                else:
                    head = piece.open[:-1]
                    accum.append(
                        piece.saved_prefix + head + piece.open[-1] * (piece.count - len(head))
                    )
            elif piece.saved_prefix:
                accum.append(piece.saved_prefix)
            find_pipe, find_equals, in_heading = top_flags()
            pattern = _search(stack[-1].close if stack else "", find_pipe, find_equals, in_heading)
            accum.extend(element)
        elif found == "pipe":
            find_equals = True
            pattern = _search(stack[-1].close, find_pipe, find_equals, in_heading)
            stack[-1].parts.append(Part())
            accum = stack[-1].parts[-1].items
            i += 1
        elif found == "equals":
            find_equals = False
            pattern = _search(stack[-1].close, find_pipe, find_equals, in_heading)
            part = stack[-1].parts[-1]
            part.eq = len(accum)
            accum.append(Node("equals", i, i + 1))
            i += 1

    unclosed = [(p.start, p.count) for p in stack if p.open == "{"]
    for piece in stack:
        root.extend(piece.break_syntax())
    return Tree(root, unclosed)


def plain_parts(text: str, node: Node, at: int = 0) -> list[Part]:
    """The parts of a plain template (node.plain) that the stack machine would have built:
    split at pipes, the first `=` of each part after the name an `equals` node. `at`: where
    the text the node's offsets count from begins in `text`."""
    parts: list[Part] = []
    pos = node.start + 2
    for k, chunk in enumerate(plain_split(text[at + pos : at + node.end - 2])):
        eq = plain_equals(chunk) if k else -1
        if eq < 0:
            parts.append(Part([chunk] if chunk else []))
        else:
            items: list[Item] = [chunk[:eq]] if eq else []
            items.append(Node("equals", pos + eq, pos + eq + 1))
            if eq + 1 < len(chunk):
                items.append(chunk[eq + 1 :])
            parts.append(Part(items, eq=len(items) - 1 - (eq + 1 < len(chunk))))
        pos += len(chunk) + 1
    return parts


def plain_split(body: str) -> list[str]:
    """A plain template's body split at its pipes (not those inside a link)."""
    if "[[" not in body:
        return body.split("|")
    out: list[str] = []
    start = 0
    for m in _LINK_OR_PIPE.finditer(body):
        if body[m.start()] == "|":
            out.append(body[start : m.start()])
            start = m.end()
    out.append(body[start:])
    return out


def plain_equals(chunk: str) -> int:
    """Where the first `=` of a plain template's part is (not one inside a link), or -1."""
    if "[[" not in chunk:
        return chunk.find("=")
    for m in _LINK_OR_EQUALS.finditer(chunk):
        if chunk[m.start()] == "=":
            return m.start()
    return -1


def _blank_run(text: str, pos: int) -> int:
    k = pos
    while k < len(text) and text[k] in _BLANKS:
        k += 1
    return k - pos


_CLOSING: dict[str, re.Pattern[str]] = {}


def _closing_tag(lower: str) -> re.Pattern[str]:
    found = _CLOSING.get(lower)
    if found is None:
        found = _CLOSING[lower] = re.compile(rf"</{re.escape(lower)}\s*>", re.IGNORECASE | re.ASCII)
    return found
