"""Plural forms for ``{{PLURAL:$1|…}}``, the way MediaWiki chooses them; shared by bot and web tool.

MediaWiki (``Language::convertPlural``) picks a form in two steps:

1. a form written ``N=text`` is used when the number is exactly N (``{{PLURAL:$1|0=none|one|
   other}}``); such forms are then left out of the list;
2. otherwise the number's CLDR category (zero, one, two, few, many, other) gives an index into
   the language's own list of categories, in that order, and the form at that index is used,
   clamped to the last form given (so ``{{PLURAL:$1|one|other}}`` still works in Arabic, and a
   single form is used for every number).

The rules below are MediaWiki's own data (``languages/data/plurals.xml``, which is CLDR 26, plus
``plurals-mediawiki.xml``), because translators on translatewiki.net write forms in the order
MediaWiki expects. Newer CLDR releases added a ``many`` category for millions to French,
Spanish, Italian and Portuguese; MediaWiki has no slot for it, so neither do we.

Numbers follow CLDR's operands: ``n`` absolute value, ``i`` integer digits, ``v`` number of
visible fraction digits, ``f``/``t`` the fraction digits with/without trailing zeros, so
``"1.0"`` is not singular in English while ``1`` is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CATEGORIES = ("zero", "one", "two", "few", "many", "other")


@dataclass(frozen=True)
class Operands:
    n: Decimal
    i: int
    v: int
    f: int
    t: int


_NUMBER = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")


def number(value: object) -> Decimal | None:
    """The number a parameter stands for (``1,234`` and ``1 234`` allowed), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def operands(value: Decimal) -> Operands:
    text = format(abs(value), "f")
    whole, _, fraction = text.partition(".")
    return Operands(
        n=abs(value),
        i=int(whole),
        v=len(fraction),
        f=int(fraction or "0"),
        t=int(fraction.rstrip("0") or "0"),
    )


def _is(x: Decimal, lo: int, hi: int | None = None) -> bool:
    """CLDR ``x = lo..hi``: an integral value within the range."""
    hi = lo if hi is None else hi
    return x == x.to_integral_value() and lo <= x <= hi


def _other(o: Operands) -> str:
    return "other"


def _one_i1_v0(o: Operands) -> str:  # en, de, it, nl, sv, sw, ur, ca, gl, fi, et …
    return "one" if o.i == 1 and o.v == 0 else "other"


def _one_n1(o: Operands) -> str:  # es, tr, el, hu, bg, nb …
    return "one" if o.n == 1 else "other"


def _one_i01(o: Operands) -> str:  # fr, hy, ff, kab
    return "one" if o.i in (0, 1) else "other"


def _one_i0_or_n1(o: Operands) -> str:  # hi, bn, fa, gu, kn, mr, am, zu
    return "one" if o.i == 0 or o.n == 1 else "other"


def _one_n01(o: Operands) -> str:  # pa, ln, mg, ti, wa, ak, bh, bho …; and pt (n = 0..2, n != 2)
    return "one" if _is(o.n, 0, 1) else "other"


def _arabic(o: Operands) -> str:
    if o.n == 0:
        return "zero"
    if o.n == 1:
        return "one"
    if o.n == 2:
        return "two"
    if _is(o.n % 100, 3, 10):
        return "few"
    if _is(o.n % 100, 11, 99):
        return "many"
    return "other"


def _hebrew(o: Operands) -> str:
    if o.i == 1 and o.v == 0:
        return "one"
    if o.i == 2 and o.v == 0:
        return "two"
    if o.v == 0 and not _is(o.n, 0, 10) and o.n % 10 == 0:
        return "many"
    return "other"


def _east_slavic(o: Operands) -> str:  # ru, uk
    if o.v != 0:
        return "other"
    if o.i % 10 == 1 and o.i % 100 != 11:
        return "one"
    if 2 <= o.i % 10 <= 4 and not 12 <= o.i % 100 <= 14:
        return "few"
    return "many"


def _polish(o: Operands) -> str:
    if o.v != 0:
        return "other"
    if o.i == 1:
        return "one"
    if 2 <= o.i % 10 <= 4 and not 12 <= o.i % 100 <= 14:
        return "few"
    return "many"


def _czech(o: Operands) -> str:  # cs, sk
    if o.v != 0:
        return "many"
    if o.i == 1:
        return "one"
    if 2 <= o.i <= 4:
        return "few"
    return "other"


Rule = Callable[[Operands], str]

# (locales, categories in MediaWiki's form order, rule) as grouped in MediaWiki's plurals.xml.
_GROUPS: tuple[tuple[str, tuple[str, ...], Rule], ...] = (
    (
        "bm bo dz id ig ii in ja jbo jv jw kde kea km ko lkt lo ms my nqo root sah ses sg th to "
        "vi wo yo zh",
        ("other",),
        _other,
    ),
    ("am bn fa gu hi kn mr zu", ("one", "other"), _one_i0_or_n1),
    ("ff fr hy kab", ("one", "other"), _one_i01),
    ("ast ca de en et fi fy gl it ji nl sv sw ur yi", ("one", "other"), _one_i1_v0),
    ("ak bh bho guw ln mg nso pa pt ti wa", ("one", "other"), _one_n01),
    (
        "af asa az bem bez bg brx cgg chr ckb dv ee el eo es eu fo fur gsw ha haw hu jgo jmc ka "
        "kaj kcg kk kkj kl ks ksb ku ky lb lg mas mgo ml mn nah nb nd ne nn nnh no nr ny nyn om "
        "or os pap ps rm rof rwk saq seh sn so sq ss ssy st syr ta te teo tig tk tn tr ts ug uz "
        "ve vo vun wae xh xog",
        ("one", "other"),
        _one_n1,
    ),
    ("he iw", ("one", "two", "many", "other"), _hebrew),
    ("ru uk", ("one", "few", "many", "other"), _east_slavic),
    ("pl", ("one", "few", "many", "other"), _polish),
    ("cs sk", ("one", "few", "many", "other"), _czech),
    ("ar", CATEGORIES, _arabic),
)

_RULES: dict[str, Rule] = {}
_ORDER: dict[str, tuple[str, ...]] = {}
for _locales, _order, _rule in _GROUPS:
    for _code in _locales.split():
        _RULES[_code] = _rule
        _ORDER[_code] = _order

#: Categories in the order MediaWiki expects ``{{PLURAL:}}`` forms, per language with rules.
PLURAL_ORDER: Mapping[str, tuple[str, ...]] = _ORDER

# Languages without rules of their own that MediaWiki gives their fallback's rules.
_RULE_FALLBACKS: Mapping[str, str] = {"arz": "ar", "ary": "ar", "aeb": "ar", "simple": "en"}


def rules_language(lang: str) -> str:
    """The language whose rules apply: ``pt-br`` → ``pt``, ``arz`` → ``ar``, unknown → ``en``."""
    code = lang.strip().lower().replace("_", "-")
    while code:
        if code in _RULES:
            return code
        if code in _RULE_FALLBACKS:
            return _RULE_FALLBACKS[code]
        code = code.rpartition("-")[0]
    return "en"


def categories(lang: str) -> tuple[str, ...]:
    """The language's plural categories, in MediaWiki's ``{{PLURAL:}}`` form order."""
    return _ORDER[rules_language(lang)]


def plural_category(lang: str, value: object) -> str:
    """The CLDR category of a number in ``lang`` (MediaWiki's rules); ``other`` for non-numbers."""
    n = number(value)
    if n is None:
        return "other"
    return _RULES[rules_language(lang)](operands(n))


def select(lang: str, value: object, forms: Sequence[str]) -> str:
    """The form MediaWiki's ``{{PLURAL:value|forms…}}`` shows in ``lang``."""
    n = number(value)
    plain: list[str] = []
    for raw in forms:
        form = raw.strip()
        head, sep, tail = form.partition("=")
        if sep and head.strip().isdigit():
            if n is not None and Decimal(head.strip()) == n:
                return tail.strip()
            continue
        plain.append(form)
    if not plain:
        return ""
    order = categories(lang)
    category = plural_category(lang, value)
    index = order.index(category) if category in order else len(order) - 1
    return plain[min(index, len(plain) - 1)]
