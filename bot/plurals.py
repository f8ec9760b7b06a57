"""Plural forms for ``{{PLURAL:$1|…}}``, the way MediaWiki chooses them; shared by bot and web tool.

MediaWiki (``Language::convertPlural``) picks a form in two steps:

1. a form written ``N=text`` is used when the number is exactly N (``{{PLURAL:$1|0=none|one|
   other}}``); such forms are then left out of the list;
2. otherwise the number's CLDR category (zero, one, two, few, many, other) gives an index into
   the language's own list of categories, in that order, and the form at that index is used,
   clamped to the last form given (so ``{{PLURAL:$1|one|other}}`` still works in Arabic, and a
   single form is used for every number).

The rules are MediaWiki's own data (``languages/data/plurals.xml``, which is CLDR 26, plus
``plurals-mediawiki.xml``, copied to ``config/mediawiki-plurals.json`` by
``devtools/refresh_languages.py``), evaluated with babel's ``PluralRule``, because
translators on translatewiki.net write forms in the order
MediaWiki expects. Newer CLDR releases added a ``many`` category for millions to French,
Spanish, Italian and Portuguese; MediaWiki has no slot for it, so neither do we.

Numbers follow CLDR's operands: ``n`` absolute value, ``i`` integer digits, ``v`` number of
visible fraction digits, ``f``/``t`` the fraction digits with/without trailing zeros, so
``"1.0"`` is not singular in English while ``1`` is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel.plural import PluralRule

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


_DATA = Path(__file__).resolve().parent.parent / "config" / "mediawiki-plurals.json"


@lru_cache(maxsize=1)
def _rules() -> dict[str, tuple[tuple[str, PluralRule], ...]]:
    """Each locale's rules, one babel ``PluralRule`` per category, in MediaWiki's order.

    One rule per category (rather than one ``PluralRule`` for all) because MediaWiki takes the
    first category whose condition holds, in file order; babel would sort them.
    """
    raw = json.loads(_DATA.read_text(encoding="utf-8"))["rules"]
    return {
        str(code): tuple((str(cat), PluralRule({str(cat): str(cond)})) for cat, cond in pairs)
        for code, pairs in raw.items()
    }


# Languages whose MediaWiki class overrides convertPlural: LanguageKsh reads forms as
# one|other|zero (padding missing ones with the last).
_FORM_ORDER: Mapping[str, tuple[str, ...]] = {"ksh": ("one", "other", "zero")}


@lru_cache(maxsize=1)
def _order() -> dict[str, tuple[str, ...]]:
    order = {code: (*(c for c, _ in rules), "other") for code, rules in _rules().items()}
    order.update(_FORM_ORDER)
    return order


#: Categories in the order MediaWiki expects ``{{PLURAL:}}`` forms, per language with rules.
PLURAL_ORDER: Mapping[str, tuple[str, ...]] = _order()


@lru_cache(maxsize=2048)
def rules_language(lang: str) -> str:
    """The language whose rules apply, found the way MediaWiki 1.39 finds them.

    ``LocalisationCache`` gives a language its own rules, else the first rules (even an empty
    list) along its fallback chain and English; ``Language::getCompiledPluralRules`` then treats
    an empty list as none and walks the fallback chain again. So ``pt-br`` → ``pt``,
    ``arz`` → ``ar``, and languages whose only category is ``other`` (``ja``, ``zh``, ``id``…)
    end up with English rules: that is what MediaWiki renders, so translators' forms are read the
    same way here. A code MediaWiki does not know (not in ``Names.php``: ``fil``, ``iw``,
    ``xx``) gets English rules there, even when the plural files name it; so it does here.
    """
    from bot import languages

    code = languages.canonical(lang)
    if code not in languages.mediawiki().names:
        return "en"
    chain = [code, *languages.fallback_chain(code), "en"]
    for candidate in chain:
        item = _cache_item(candidate)
        if item is not None and _rules()[item]:
            return item
    return "en"


def _cache_item(code: str) -> str | None:
    """Whose rules ``LocalisationCache`` stores for ``code``: the first along its chain, or None."""
    from bot import languages

    for candidate in (code, *languages.fallback_chain(code), "en"):
        if candidate in _rules():
            return candidate
    return None


def categories(lang: str) -> tuple[str, ...]:
    """The language's plural categories, in MediaWiki's ``{{PLURAL:}}`` form order."""
    return _order()[rules_language(lang)]


def plural_category(lang: str, value: object) -> str:
    """The CLDR category of a number in ``lang`` (MediaWiki's rules); ``other`` for non-numbers."""
    n = number(value)
    if n is None:
        return "other"
    for category, rule in _rules()[rules_language(lang)]:
        if rule(abs(n)) == category:
            return category
    return "other"


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
