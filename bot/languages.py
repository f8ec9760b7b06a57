"""Language codes a signup may name: every code MediaWiki knows, plus the Wikimedia wiki codes.

A closed list catches typos ("eng", "jp") that a pattern would let through, and a typo gets a hint
("eng" → en). The list is MediaWiki's own (``config/mediawiki-languages.json``, written by
``devtools/refresh_languages.py`` from ``Names.php`` and ``LanguageCode``), so every language a
wiki offers is accepted; deprecated codes are read as their replacement (``be-x-old`` →
``be-tarask``), and matching compares languages through MediaWiki's fallback chains
(:func:`match_key`: ``de-formal`` is German, a ``zh-hant`` reader reads ``zh-tw``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.core import get_global

SNAPSHOT = Path(__file__).resolve().parent.parent / "config" / "mediawiki-languages.json"

ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)

WIKIMEDIA_EXTRA = frozenset(
    [
        "ace",
        "ady",
        "als",
        "alt",
        "ami",
        "ang",
        "anp",
        "arc",
        "ary",
        "arz",
        "ast",
        "atj",
        "avk",
        "awa",
        "azb",
        "ban",
        "bar",
        "bat-smg",
        "bcl",
        "be-tarask",
        "bjn",
        "blk",
        "bpy",
        "bug",
        "bxr",
        "cbk-zam",
        "cdo",
        "ceb",
        "chr",
        "chy",
        "ckb",
        "crh",
        "csb",
        "din",
        "diq",
        "dsb",
        "dty",
        "eml",
        "ext",
        "fat",
        "fiu-vro",
        "frp",
        "frr",
        "fur",
        "gag",
        "gan",
        "gcr",
        "glk",
        "gom",
        "gor",
        "got",
        "gpe",
        "guc",
        "gur",
        "guw",
        "hak",
        "haw",
        "hif",
        "hsb",
        "hyw",
        "ilo",
        "inh",
        "jam",
        "jbo",
        "kaa",
        "kab",
        "kbd",
        "kbp",
        "kcg",
        "koi",
        "krc",
        "ksh",
        "kus",
        "lad",
        "lbe",
        "lez",
        "lfn",
        "lij",
        "lld",
        "lmo",
        "ltg",
        "mad",
        "mai",
        "map-bms",
        "mdf",
        "mhr",
        "min",
        "mni",
        "mnw",
        "mrj",
        "mwl",
        "myv",
        "mzn",
        "nah",
        "nap",
        "nds",
        "nds-nl",
        "new",
        "nia",
        "nov",
        "nqo",
        "nrm",
        "nso",
        "olo",
        "pag",
        "pam",
        "pap",
        "pcd",
        "pcm",
        "pdc",
        "pfl",
        "pih",
        "pms",
        "pnb",
        "pnt",
        "rmy",
        "roa-rup",
        "roa-tara",
        "rue",
        "sah",
        "sat",
        "scn",
        "sco",
        "sh",
        "shi",
        "shn",
        "skr",
        "smn",
        "srn",
        "stq",
        "szl",
        "szy",
        "tay",
        "tcy",
        "tet",
        "trv",
        "tum",
        "tyv",
        "udm",
        "vec",
        "vep",
        "vls",
        "war",
        "wuu",
        "xal",
        "xmf",
        "yue",
        "zea",
        "zgh",
        "zh-classical",
        "zh-min-nan",
        "zh-yue",
        "zh-hans",
        "zh-hant",
        "pt-br",
        "en-gb",
        "en-us",
        "es-419",
        "fr-ca",
        "sr-latn",
        "sr-cyrl",
        "simple",
        "mul",
        "sgn",
        "ase",
        "bfi",
        "fsl",
    ]
)


@dataclass(frozen=True)
class MediaWikiLanguages:
    """MediaWiki's language data: names (autonyms), code mappings and fallback chains."""

    version: str
    names: Mapping[str, str]
    deprecated: Mapping[str, str]
    nonstandard: Mapping[str, str]
    fallbacks: Mapping[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def mediawiki() -> MediaWikiLanguages:
    """The committed snapshot of MediaWiki's language list (read once)."""
    raw = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return MediaWikiLanguages(
        version=str(raw["version"]),
        names={str(k): str(v) for k, v in raw["names"].items()},
        deprecated={str(k): str(v) for k, v in raw["deprecated"].items()},
        nonstandard={str(k).lower(): str(v) for k, v in raw["nonstandard"].items()},
        fallbacks={str(k): tuple(str(c) for c in v) for k, v in raw["fallbacks"].items()},
    )


_MW = mediawiki()

KNOWN = ISO_639_1 | WIKIMEDIA_EXTRA | frozenset(_MW.names) | frozenset(_MW.deprecated)

# Codes a live wiki reports (siteinfo ``languages``) beyond the snapshot; see :func:`learn`.
_LEARNED: set[str] = set()


def normalize(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def is_known(code: str) -> bool:
    code = normalize(code)
    return code in KNOWN or code in _LEARNED


def learn(codes: Iterable[str]) -> int:
    """Also accept the codes a newer wiki knows (its siteinfo ``languages``); returns how many."""
    new = {normalize(c) for c in codes if c.strip()} - KNOWN - _LEARNED
    _LEARNED.update(new)
    return len(new)


def canonical(code: str) -> str:
    """The code MediaWiki uses today: ``be-x-old`` → ``be-tarask``, ``zh-min-nan`` → ``nan``."""
    code = normalize(code)
    return _MW.deprecated.get(code, code)


def suggestion(code: str) -> str | None:
    """A known code the writer probably meant (``eng`` → ``en``, ``English`` → ``en``), or None."""
    text = normalize(code)
    alias = get_global("language_aliases").get(text.replace("-", "_"))
    if isinstance(alias, str) and is_known(normalize(alias)):
        return normalize(alias)
    return _by_name().get(text.casefold())


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    """Autonyms (MediaWiki's) and English names (CLDR's) to codes: "français" → fr."""
    from babel import Locale

    out: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        if is_known(normalize(code)):
            out.setdefault(name.casefold(), normalize(code))
    for code, name in _MW.names.items():
        out.setdefault(name.casefold(), code)
    return out


def fallback_chain(code: str) -> tuple[str, ...]:
    """MediaWiki's fallback chain for ``code`` (``zh-hant`` → zh-tw, zh-hk, zh, zh-hans)."""
    return _MW.fallbacks.get(canonical(code), ())


def _explicit_script(code: str) -> bool:
    return any(len(p) == 4 and p.isalpha() for p in code.split("-")[1:])


def _script(code: str) -> str | None:
    """A code's explicit or implied script subtag (``kk`` falls back to ``kk-cyrl``: cyrl)."""
    for part in code.split("-")[1:]:
        if len(part) == 4 and part.isalpha():
            return part
    chain = _MW.fallbacks.get(code, ())
    if chain and chain[0].split("-")[0] == code.split("-")[0]:
        for part in chain[0].split("-")[1:]:
            if len(part) == 4 and part.isalpha():
                return part
    return None


@lru_cache(maxsize=1)
def _match_groups() -> dict[str, str]:
    """Each code to the representative of its group of same-language, same-script variants.

    Two codes share a group when one's first fallback is the other, both are the same language
    (same primary subtag) and their scripts do not differ: ``de-formal``/``de-ch``/``de``,
    ``zh-hant``/``zh-tw``/``zh-hk``, ``sr-ec``/``sr``; but not ``kk-arab`` and ``kk``.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for code, chain in _MW.fallbacks.items():
        first = chain[0]
        if first.split("-")[0] != code.split("-")[0]:
            continue
        a, b = _script(code), _script(first)
        if a and b and a != b:
            continue
        ra, rb = find(code), find(first)
        if ra != rb:
            parent[ra] = rb
    for code, target in _MW.nonstandard.items():  # sr-el → sr-Latn, zh-cn → zh-Hans-CN
        if code in _MW.deprecated:
            continue
        base = "-".join(target.lower().split("-")[:2])
        if base in _MW.names and base.split("-")[0] == code.split("-")[0]:
            ra, rb = find(code), find(base)
            if ra != rb:
                parent[ra] = rb
    members: dict[str, list[str]] = {}
    for code in set(parent) | set(parent.values()):
        members.setdefault(find(code), []).append(code)
    out: dict[str, str] = {}
    for group in members.values():
        key = min(group, key=lambda c: ("-" in c, not _explicit_script(c), len(c), c))
        for code in group:
            out[code] = key
    return out


def match_key(code: str) -> str:
    """The code matching compares: same-language variants share one (``de-formal`` → ``de``)."""
    known = canonical(code)
    return _match_groups().get(known, known if known != normalize(code) else code)
