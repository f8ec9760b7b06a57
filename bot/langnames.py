"""Language names for people, shared by the bot's pages and the web tool: never a bare code.

A reader sees each language named in the reader's own language ("Wolof", « wolof »,
「ウォロフ語」), from CLDR through babel; where CLDR has no name (``be-tarask``, ``de-formal``,
``dag``) MediaWiki's autonym from the committed names snapshot is used, so every code MediaWiki
knows gets a name. :func:`label` adds the autonym when it differs ("French (français)"), for
menus where people look for their own language.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError

from bot import languages


@lru_cache(maxsize=256)
def _locale(code: str) -> Locale | None:
    """Babel's locale for a MediaWiki code (``sr-ec`` is ``sr-Cyrl``, not Serbian in Ecuador)."""
    code = languages.canonical(code)
    tag = languages.mediawiki().nonstandard.get(code, code)
    if "-x-" in tag.lower() or tag.lower().endswith("-simple"):
        return None  # private-use variants (de-x-formal): CLDR has no name, MediaWiki does
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


@lru_cache(maxsize=8192)
def name(code: str, reader: str) -> str:
    """``code``'s name in the reader's language; MediaWiki's autonym or the code as last resort."""
    locale = _locale(code)
    shown = _locale(reader) or _locale("en")
    if locale is not None and shown is not None:
        text = locale.get_display_name(shown)
        if text and text.lower() != str(locale).lower().replace("_", "-"):
            return text
    return autonym(code) or code


def autonym(code: str) -> str | None:
    """The language's name for itself, as MediaWiki gives it (``fr`` → français)."""
    mw = languages.mediawiki()
    canonical = languages.canonical(code)
    return mw.names.get(canonical) or mw.names.get(languages.normalize(code))


@lru_cache(maxsize=8192)
def label(code: str, reader: str) -> str:
    """The name in the reader's language, with the autonym when it differs: French (français)."""
    shown = name(code, reader)
    own = autonym(code)
    if own and own.casefold() != shown.casefold():
        return f"{shown} ({own})"
    return shown
