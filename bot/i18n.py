"""Banana-format messages for everything the bot writes on wikis.

Wikimedia tools keep messages as `i18n/<lang>.json` with `$1` placeholders and
`{{PLURAL:$1|…}}`, so translatewiki.net can sync them. The bot renders them to
wikitext itself; parameters are escaped by the caller before they are
substituted, never after, so a message may carry links while values cannot.

`{{PLURAL:$n|…}}` follows MediaWiki (bot/plurals.py, shared with the web tool):
forms in the order of the language's CLDR categories (Arabic has six, Japanese
one), explicit `0=…` forms first, and the rules of the language the text came
from, so an English text that filled in for a missing translation keeps English
plurals.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from bot import plurals

I18N_DIR = Path(__file__).with_name("i18n")
_PLURAL = re.compile(r"\{\{PLURAL:\s*\$(\d+)\s*\|([^{}]*)\}\}", re.IGNORECASE)
_PARAM = re.compile(r"\$(\d+)")

# Where a language falls back before English (MediaWiki's own chains, shortened).
FALLBACKS: dict[str, tuple[str, ...]] = {
    "arz": ("ar",),
    "ary": ("ar",),
    "pt-br": ("pt",),
    "es-419": ("es",),
    "fr-ca": ("fr",),
    "zh-hans": ("zh",),
    "zh-hant": ("zh",),
}


@cache
def _load(lang: str, directory: Path = I18N_DIR) -> dict[str, str]:
    path = directory / f"{lang}.json"
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    data.pop("@metadata", None)
    return data


def chain(lang: str) -> tuple[str, ...]:
    lang = lang.lower()
    base = lang.split("-")[0]
    out = [lang, *FALLBACKS.get(lang, ()), base, "en"]
    return tuple(dict.fromkeys(out))


def available_languages(directory: Path = I18N_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json") if p.stem != "qqq")


class Messages:
    """Messages of one language, with the fallback chain applied per key."""

    def __init__(self, lang: str, directory: Path = I18N_DIR) -> None:
        self.lang = lang
        self.directory = directory
        self._chain = chain(lang)

    def lookup(self, key: str) -> tuple[str, str] | None:
        """(text, language it came from) along the fallback chain, or None for an unknown key."""
        for code in self._chain:
            text = _load(code, self.directory).get(key)
            if text is not None:
                return text, code
        return None

    def raw(self, key: str) -> str:
        found = self.lookup(key)
        return found[0] if found is not None else f"⧼{key}⧽"

    def __call__(self, key: str, *params: object) -> str:
        """Fill `$1…` with already-escaped strings."""
        values = [str(p) for p in params]
        found = self.lookup(key)
        if found is None:
            return f"⧼{key}⧽"
        text, lang = found

        def plural(m: re.Match[str]) -> str:
            idx = int(m.group(1)) - 1
            value = values[idx] if idx < len(values) else "2"
            return plurals.select(lang, value, m.group(2).split("|"))

        text = _PLURAL.sub(plural, text)

        def param(m: re.Match[str]) -> str:
            idx = int(m.group(1)) - 1
            return values[idx] if idx < len(values) else m.group(0)

        return _PARAM.sub(param, text)
