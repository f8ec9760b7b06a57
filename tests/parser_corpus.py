"""A seeded corpus of realistic and tricky signup pages, for comparing the parser with MediaWiki.

Each page mixes ordinary wiki prose (headings, tables, links, lists) with the constructs that
decide whether MediaWiki calls a template: comments, nowiki/pre, includeonly/noinclude/
onlyinclude, extension tags that expand or hide their content, nested templates, `{{!}}`,
template arguments, parser functions, language conversion, brace runs, unclosed links,
character references in names, and the localized template and parameter names of
config/templates.yaml (Japanese, Arabic, Spanish, French). Deterministic for a given seed.

Left out on purpose: `{{msgnw:…}}` (MediaWiki records the template as used but shows its
source; the bot reads no entry there) and gallery/imagemap content, whose captions only
expand on lines that name a file.
"""

from __future__ import annotations

import random
from functools import cache

import yaml

from bot.config import CONFIG_DIR


@cache
def _names() -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(every template name, [(canonical parameter, its names)]) from config/templates.yaml."""
    data = yaml.safe_load((CONFIG_DIR / "templates.yaml").read_text(encoding="utf-8"))
    templates: list[str] = []
    params: dict[str, list[str]] = {}
    for section in data.values():
        for canonical, aliases in (section.get("templates") or {}).items():
            templates.extend([canonical, *(aliases or [])])
        for canonical, aliases in (section.get("params") or {}).items():
            params.setdefault(canonical, [canonical]).extend(aliases or [])
    return sorted(set(templates) - {"Skill badge"}), sorted(params.items())


WORDS = [
    "Lua", "SPARQL", "Commons", "Wikidata", "GLAM", "mentor", "édition", "café",
    "さくら", "ウィキデータ", "ليلى", "Ana María", "x-y", "a - b", "2026-12-01", "UTC+9",
]  # fmt: skip
PROSE = [
    "Welcome to the skill sharing page.",
    "Sign up below - one entry per person.",
    "See [[Meta:Skill sharing|the project page]] and [https://example.org the docs].",
    "* a list item\n* another [[link]]",
    "'''Bold''' and ''italic'' text; a lone { brace } and a lone }} and {{{ too.",
    "Temperature: 20 °C — 3 < 4 > 2 & so on.",
    "参加者の皆さん、下に登録してください。",
    "مرحبا بكم في صفحة تبادل المهارات.",
]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.templates, self.params = _names()

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    def name(self) -> str:
        """A template name as a volunteer (or a vandal) might write it."""
        name = self.pick(self.templates)
        roll = self.rng.random()
        if roll < 0.35:
            return name
        variants = [
            name.replace(" ", "_"),
            f" {name} ",
            f"{name}\n",
            f"Template:{name}",
            f"template : {name}",
            name[:1].lower() + name[1:],
            name.replace(" ", "&#32;", 1),
            name.replace(" ", "&nbsp;", 1),
            name.replace(" ", "\t", 1),
            name.replace(" ", "\n", 1),
            f"{name}<!-- note -->",
            f"<!-- x -->{name}",
            f"{name}#anchor",
            f":{name}",
            f"safesubst:{name}",
            f"{name}&#x7C;",
            name.upper(),
            f"{name}<noinclude>x</noinclude>",
            f"{name}<includeonly>x</includeonly>",
        ]
        return self.pick(variants)

    def value(self) -> str:
        word = self.pick(WORDS)
        variants = [
            word,
            f" {word} ",
            f"{word}, {self.pick(WORDS)}",
            f"{word} <!-- comment -->",
            f"<!-- c -->\n{word}\n",
            f"<nowiki>{word}</nowiki>",
            f"<nowiki>{{{{x}}}}</nowiki> {word}",
            f"{word}&amp;{self.pick(WORDS)}",
            "Caf&#233;",
            "[[User:Alice|Alice]]",
            f"[[{word}]]",
            f"{word}{{{{!}}}}x",
            f"{{{{lang|ja|{word}}}}}",
            f"{word}<ref>note</ref>",
            f"{word}<ref>}}}}</ref>",
            "{{{1|x}}}",
            f"{word}\n== Heading ==\n",
            f"a=b {word}",
            f"{word}<br />",
            f"-{{{word}}}-",
            "",
        ]
        return self.pick(variants)

    def entry(self) -> str:
        parts = []
        for _ in range(self.rng.randint(0, 6)):
            canonical, names = self.pick(self.params)  # type: ignore[arg-type]
            pname = self.pick(names) if self.rng.random() < 0.8 else f"x{canonical}"
            spacing = self.pick(["", " ", "\n ", "<!-- p -->"])
            parts.append(f"{spacing}{pname}{spacing}={self.value()}")
        if self.rng.random() < 0.1:
            parts.append(self.pick(WORDS))  # a positional parameter
        body = "|".join([self.name(), *parts])
        return "{{" + body + self.pick(["}}", "}}", "}}", "\n}}", " }}"])

    def fragment(self) -> str:
        e = self.entry
        kinds = [
            lambda: e(),
            lambda: e(),
            lambda: e(),
            lambda: self.pick(PROSE),
            lambda: f"== {self.pick(WORDS)} ==",
            lambda: f"=== {e()} ===",
            lambda: "{| class=wikitable\n|-\n! a !! b\n|-\n| " + e() + " || x\n|}",
            lambda: f"<!-- {e()} -->",
            lambda: f"<nowiki>{e()}</nowiki>",
            lambda: f"<pre>{e()}</pre>",
            lambda: f"<includeonly>{e()}</includeonly>",
            lambda: f"<noinclude>{e()}</noinclude>",
            lambda: f"<onlyinclude>{e()}</onlyinclude>",
            lambda: f"<ref>{e()}</ref>",
            lambda: "<ref name=a>x</ref>\n<references/>",
            lambda: f"<poem>\n{e()}\n</poem>",
            lambda: f"<inputbox>\ntype=search\ndefault={e()}\n</inputbox>",
            lambda: f"<math>{e()}</math>",
            lambda: f"<syntaxhighlight lang=text>{e()}</syntaxhighlight>",
            lambda: f"<code>{e()}</code>",
            lambda: f"{{{{Collapse|title=x|content={e()}}}}}",
            lambda: f"{{{{#if:{self.pick(['', 'x'])}|{e()}|{e()}}}}}",
            lambda: f"{{{{#switch:a|a={e()}|#default=x}}}}",
            lambda: f"{{{{#tag:ref|{e()}}}}}",
            lambda: f"{{{{{{1|{e()}|{e()}}}}}}}",
            lambda: f"{{{{lc:{e()}}}}}",
            lambda: "{{" * self.rng.randint(1, 4) + e() + "}}" * self.rng.randint(0, 4),
            lambda: f"[[File:X.jpg|thumb|{e()}]]",
            lambda: f"[[x|{e()}",
            lambda: f"-{{{e()}",
            lambda: f"-{{zh-hans:{e()};}}-",
            lambda: e()[: self.rng.randint(5, 40)],  # an entry cut short
            lambda: f"<span>{e()}</span>",
            lambda: "{{!}} {{=}} {{PAGENAME}} {{{x}}}",
            lambda: f"<ref>{e()}",  # an unclosed extension tag is plain text
        ]
        return self.pick(kinds)()  # type: ignore[no-any-return, operator]

    def page(self) -> str:
        count = self.rng.randint(2, 10)
        glue = [self.pick(["\n", "\n\n", "", " "]) for _ in range(count)]
        text = "".join(g + self.fragment() for g in glue)
        if self.rng.random() < 0.04:
            text += "\n<!-- unclosed " + self.entry()
        return text


def corpus(seed: int = 11, pages: int = 160) -> list[str]:
    """`pages` generated pages, the same for the same seed."""
    gen = _Gen(seed)
    return [gen.page() for _ in range(pages)]
