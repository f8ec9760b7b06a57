"""Hostile-input corpus: ≥150 entries in English, Japanese and Arabic.

No crash; each entry accepted or rejected with a reason; every valid entry
kept; nothing from the corpus reaches the written wikitext unescaped.
"""

from __future__ import annotations

import html
import re

import mwparserfromhell
import pytest

from bot import needsmap, render
from bot.i18n import Messages
from tests.helpers import core, parse

PAYLOADS = [
    "]]",
    "}}",
    "|",
    "{{",
    "[[Category:Spam]]",
    "<script>alert(1)</script>",
    "{{subst:void}}",
    "{{PAGENAME}}",
    "{{{1}}}",
    "~~~~",
    "__NOINDEX__",
    "<!--",
    "-->",
    "'''bold'''",
    "[http://evil.example x]",
    "http://evil.example",
    "<ref>x</ref>",
    "&lt;b&gt;",
    "<nowiki>",
    "</nowiki>",
    "= Heading =",
    "----",
    "\u202eevil\u202c",
    "a\u200bb",
    "مرحبا بالعالم",
    "日本語の値",
    "x" * 5000,
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "#REDIRECT [[Target]]",
    "{|",
    "|}",
    "|-",
    "!",
    "ISBN 978-3-16-148410-0",
    "RFC 1234",
    "ISBN 0306406152",
    "PMID 12345",
    "see RFC\u00a02616.",
    '<div style="position:fixed">',
    "\\",
    "'",
    "%",
]

# Payloads that can never be a username; the rest (quotes, dashes, other scripts) are legal
# MediaWiki names and must be accepted, then escaped on output.
BAD_NAMES = [
    p for p in PAYLOADS if re.search(r"[#<>\[\]|{}/@:=]|~~~|^\s*$|\u200b|\u202e|x{100}", p)
]

SIGNUP = {
    "en": ("Skill signup", "user", "wants", "languages", "community"),
    "ja": ("スキル登録", "利用者", "学びたい", "言語", "コミュニティ"),
    "ar": ("تسجيل مهارة", "مستخدم", "يريد تعلم", "لغات", "مجتمع"),
}
GOOD_SKILL = {"en": "Lua", "ja": "SPARQL", "ar": "سباركل"}


def corpus() -> list[tuple[str, str, bool]]:
    """(lang, wikitext of one entry, expected valid)."""
    out: list[tuple[str, str, bool]] = []
    for lang, (tpl, user, wants, langs, _community) in SIGNUP.items():
        for i, payload in enumerate(PAYLOADS):
            # The payload in skills, languages and (where it can never be a name) the user.
            out.append((lang, f"{{{{{tpl}|{user}=U{i}|{wants}={payload}|{langs}=en}}}}", False))
            if payload in BAD_NAMES:
                out.append(
                    (
                        lang,
                        f"{{{{{tpl}|{user}={payload}|{wants}={GOOD_SKILL[lang]}|{langs}=en}}}}",
                        False,
                    )
                )
            out.append(
                (
                    lang,
                    f"{{{{{tpl}|{user}=V{i}|{wants}={GOOD_SKILL[lang]}|{langs}={payload}}}}}",
                    False,
                )
            )
        for i in range(5):
            out.append(
                (lang, f"{{{{{tpl}|{user}=Good{i}|{wants}={GOOD_SKILL[lang]}|{langs}=en}}}}", True)
            )
    return out


def test_corpus_size() -> None:
    c = corpus()
    assert len(c) >= 150
    assert {lang for lang, _, _ in c} == {"en", "ja", "ar"}


def test_every_entry_is_kept_or_rejected_with_reason() -> None:
    for lang, text, valid in corpus():
        r = parse(text, lang=lang)
        accepted = len(r.signups)
        if valid:
            assert accepted == 1 and r.problems == [], text
        else:
            assert accepted == 0, text
            assert r.problems, text
            for p in r.problems:
                assert (
                    Messages("en").raw(f"skillmatch-problem-{p.code}")
                    != f"⧼skillmatch-problem-{p.code}⧽"
                )


def test_whole_corpus_on_one_page_keeps_all_valid_entries() -> None:
    for lang in SIGNUP:
        texts = [t for la, t, _ in corpus() if la == lang]
        page = "\n".join(texts)
        r = parse(page, lang=lang)
        assert sorted(s.user for s in r.signups) == [f"Good{i}" for i in range(5)]


def test_free_text_with_markup_is_escaped_when_written() -> None:
    # Community is free text: hostile but plain strings are accepted there, then escaped.
    text = "\n".join(
        f"{{{{Skill signup|user=C{i}|wants=Lua|languages=en|community={p[:150]}}}}}"
        for i, p in enumerate(PAYLOADS)
    )
    r = parse(text)
    assert r.signups, "some free-text payloads are plain text and must be kept"
    rows = needsmap.build(r, core().taxonomy.ancestors)
    page = render.needs_map_page(rows, Messages("en"), lambda s: core().taxonomy.label(s, "en"))
    page += render.problems_page(r.problems, Messages("en"))
    assert_inert(page)


def test_problems_page_of_whole_corpus_is_inert() -> None:
    for lang in SIGNUP:
        page = "\n".join(t for la, t, _ in corpus() if la == lang)
        r = parse(page, lang=lang)
        out = render.problems_page(r.problems, Messages(lang))
        assert_inert(out)
        assert out.count("\n|-\n") == len(r.problems)


# MediaWiki's magic links (Parser::handleMagicLinks, on by default): "ISBN 0306406152",
# "RFC 2616" and "PMID 123" in running text become links.
_SPACE = r"(?:[^\S\n]|&nbsp;|&#0*160;|&#[Xx]0*[Aa]0;)"
MAGIC_LINK = re.compile(
    rf"\b(?:RFC|PMID){_SPACE}+[0-9]+\b"
    rf"|\bISBN{_SPACE}+(?:97[89](?:-|{_SPACE})?)?(?:[0-9](?:-|{_SPACE})?){{9}}[0-9Xx]\b"
)


def assert_inert(wikitext: str) -> None:
    """Only the markup the renderer itself writes may be live."""
    assert not MAGIC_LINK.search(wikitext), MAGIC_LINK.search(wikitext)
    code = mwparserfromhell.parse(wikitext)
    assert code.filter_templates() == [], code.filter_templates()[:3]
    for link in code.filter_wikilinks():
        assert re.match(r"(User:|Special:Diff/|:Test page)", str(link.title)), str(link)
    assert code.filter_external_links() == []
    tags = {str(t.tag).lower() for t in code.filter_tags()}
    assert tags <= {"code", "nowiki", "table", "tr", "td", "th", "b"}, tags
    assert "<script" not in wikitext.lower()
    assert "~~~" not in wikitext and "__NOINDEX__" not in wikitext
    assert "\u202e" not in wikitext and "\u200b" not in wikitext


def test_esc_makes_every_special_character_inert() -> None:
    hostile = "".join(PAYLOADS)
    escaped = render.esc(hostile)
    assert not re.search(r"[\[\]{}|<>~'=]", escaped)
    assert_inert(f"x {escaped} y")


@pytest.mark.parametrize(
    "value",
    [
        "ISBN 0306406152",
        "ISBN 978-0-306-40615-7",
        "ISBN 978 0 306 40615 7",
        "ISBN\t030640615X",
        "RFC 2616",
        "see RFC\u00a02616.",
        "(PMID 123)",
        "RFC  1 and PMID 2 and ISBN 0306406152",
        "ISBNRFCPMID 1",
    ],
)
def test_magic_links_are_escaped_and_read_the_same(value: str) -> None:
    escaped = render.esc(value)
    assert not MAGIC_LINK.search(escaped), escaped
    assert_inert(f"x {escaped} y")
    assert html.unescape(escaped) == " ".join(value.split())


def test_magic_link_pattern_finds_what_mediawiki_links() -> None:
    for text in ("ISBN 0306406152", "x RFC 2616 y", "PMID&nbsp;1", "ISBN 978-0-306-40615-7"):
        assert MAGIC_LINK.search(text), text
    for text in ("ISBN 12", "xRFC 1", "RFC x", "&#73;SBN 0306406152"):
        assert not MAGIC_LINK.search(text), text
