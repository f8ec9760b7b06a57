"""Interface messages: banana JSON files, language choice with fallbacks, ``?uselang=qqx``.

Why not Lucas Werkmeister's ``toolforge-i18n`` (0.1.2, evaluated from its wheel): it follows the
convention we want, and this module copies its behaviour, but as a dependency it does not fit:

* it asks Meta-Wiki's API (``meta=languageinfo``) for every language's direction, BCP 47 code
  and fallbacks the first time a page is rendered, and the default ``{{GENDER:}}`` handler asks
  Meta-Wiki again per user name; with no network (tests, CI, this machine) the first page fails,
  and on Toolforge every worker start costs an outbound request;
* it pulls in Babel, Beautiful Soup and mwapi (plus requests) for plural rules and a test that
  parses messages as HTML; our messages are plain text, so we need neither;
* it finds its configuration by importing a top-level module ``tool_translations_config``, a
  global that the application factory cannot pass in, and it installs a ``pytest11`` plugin that
  runs for every test session in the virtualenv (the bot's tests included).

What we keep from it: messages are MediaWiki-style (``$1``, ``{{PLURAL:$1|…}}``), a missing
translation falls back along the language's chain to English, ``qqx`` shows keys, ``<html lang
dir>`` follow the language actually used, and text in another language than the page (a skill
label that fell back) is wrapped in an element carrying its own ``lang``/``dir``. Messages are
plain text: the formatter escapes them, so a hostile translation cannot inject markup.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

from bot import plurals

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent / "i18n"

# MediaWiki language codes: lower case, a 2-3 letter language and up to three subtags.
_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}$")
_MAX_CODE = 35

RTL_LANGUAGES = frozenset(
    (
        *("ar", "arc", "arz", "ary", "azb", "bcc", "bgn", "bqi", "ckb", "dv", "fa", "glk", "he"),
        *("khw", "kk-arab", "kk-cn", "ks", "ks-arab", "ku-arab", "lki", "lrc", "luz", "mzn"),
        *("nqo", "pnb", "ps", "sd", "sdh", "skr", "skr-arab", "ug", "ug-arab", "ur", "yi"),
    )
)

# MediaWiki's explicit fallback chains for languages whose fallback is not just the shorter
# code (from languages/messages/Messages*.php); the generic rule strips subtags.
MW_FALLBACKS: Mapping[str, tuple[str, ...]] = {
    "arz": ("ar",),
    "ary": ("ar",),
    "aeb": ("ar",),
    "apc": ("ar",),
    "pt-br": ("pt",),
    "gl": ("pt",),
    "ca": ("oc",),
    "oc": ("fr",),
    "br": ("fr",),
    "wa": ("fr",),
    "frp": ("fr",),
    "co": ("it",),
    "an": ("es",),
    "ast": ("es",),
    "gn": ("es",),
    "qu": ("es",),
    "ryu": ("ja",),
    "ckb": ("fa",),
    "de-at": ("de",),
    "de-ch": ("de",),
    "de-formal": ("de",),
}

# BCP 47 codes where MediaWiki's code is not one (``<html lang>`` must be BCP 47).
BCP47: Mapping[str, str] = {
    "simple": "en-simple",
    "als": "gsw",
    "be-tarask": "be-tarask",
    "zh-classical": "lzh",
    "zh-yue": "yue",
    "nrm": "nrf",
    "roa-tara": "nap-x-tara",
}

# Names of languages in themselves (not translated: a reader finds their language by its
# own name), for the interface language menu and language filters.
AUTONYMS: Mapping[str, str] = {
    "ar": "العربية",
    "bn": "বাংলা",
    "de": "Deutsch",
    "en": "English",
    "es": "español",
    "fa": "فارسی",
    "fr": "français",
    "he": "עברית",
    "hi": "हिन्दी",
    "id": "Bahasa Indonesia",
    "it": "italiano",
    "ja": "日本語",
    "ko": "한국어",
    "pt": "português",
    "ru": "русский",
    "sw": "Kiswahili",
    "tr": "Türkçe",
    "uk": "українська",
    "ur": "اردو",
    "zh": "中文",
}


def valid_code(code: str) -> bool:
    return len(code) <= _MAX_CODE and bool(_CODE.match(code))


def normalize_code(raw: str) -> str | None:
    """A MediaWiki-style code from user input (``es_MX`` → ``es-mx``), or None if malformed."""
    code = raw.strip().replace("_", "-").lower()
    return code if code == "qqx" or valid_code(code) else None


def fallback_chain(code: str) -> tuple[str, ...]:
    """``es-mx`` → (es-mx, es, en): explicit MediaWiki fallbacks, then shorter codes, then en."""
    chain: list[str] = []

    def add(item: str) -> None:
        if item not in chain:
            chain.append(item)
            for extra in MW_FALLBACKS.get(item, ()):
                add(extra)
            parts = item.split("-")
            if len(parts) > 1:
                add("-".join(parts[:-1]))

    add(code)
    add("en")
    return tuple(chain)


def html_lang(code: str) -> str:
    return BCP47.get(code, code)


def direction(code: str) -> str:
    return "rtl" if code in RTL_LANGUAGES or code.split("-")[0] in RTL_LANGUAGES else "ltr"


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\d+", text))


class Catalog:
    """All message files of one directory: ``{lang: {key: text}}`` plus the qqq documentation."""

    def __init__(self, directory: Path = I18N_DIR) -> None:
        self.directory = directory
        self.messages: dict[str, dict[str, str]] = {}
        self.documentation: dict[str, str] = {}
        for path in sorted(directory.glob("*.json")):
            with path.open(encoding="utf-8") as handle:
                data = json.load(handle)
            body = {k: v for k, v in data.items() if not k.startswith("@")}
            if path.stem == "qqq":
                self.documentation = body
            else:
                self.messages[path.stem] = body
        if "en" not in self.messages:
            raise RuntimeError(f"no en.json in {directory}")

    @property
    def languages(self) -> tuple[str, ...]:
        """Interface languages, English first, then by code."""
        others = sorted(code for code in self.messages if code != "en")
        return ("en", *others)

    def lookup(self, key: str, chain: Sequence[str]) -> tuple[str, str] | None:
        """(text, language it came from) along the chain, or None for an unknown key."""
        for code in chain:
            text = self.messages.get(code, {}).get(key)
            if text is not None:
                return text, code
        return None

    def problems(self) -> list[str]:
        """Everything that makes a message file unsafe or incomplete; empty when all is well.

        Checked at start-up (and by the tests): every English key is documented in qqq, no
        translation has a key English lacks, placeholders agree with English, no markup.
        """
        found: list[str] = []
        english = self.messages["en"]
        for key in english:
            if key not in self.documentation:
                found.append(f"qqq: undocumented key {key}")
        for key in self.documentation:
            if key not in english:
                found.append(f"qqq: documents unknown key {key}")
        for lang, messages in self.messages.items():
            for key, text in messages.items():
                if key not in english:
                    found.append(f"{lang}: unknown key {key}")
                    continue
                if not isinstance(text, str):
                    found.append(f"{lang}: {key} is not a string")
                    continue
                if _placeholders(text) != _placeholders(english[key]):
                    found.append(f"{lang}: {key} placeholders differ from en")
                if "<" in text or ">" in text:
                    found.append(f"{lang}: {key} contains markup")
        return found


@cache
def default_catalog() -> Catalog:
    """Loaded once per process: message files change only with a deployment."""
    return Catalog()


@dataclass(frozen=True)
class Choice:
    """The language a request is served in."""

    code: str  # the language messages are taken from first (``en`` for qqx)
    chain: tuple[str, ...]  # fallbacks for messages and skill labels
    qqx: bool = False
    explicit: str | None = None  # the valid ``?uselang=`` to carry on links, if any

    @property
    def html_lang(self) -> str:
        return html_lang(self.code)

    @property
    def dir(self) -> str:
        return direction(self.code)


def choose(
    uselang: str | None, accept: Iterable[tuple[str, float]], available: Iterable[str]
) -> Choice:
    """``?uselang=`` first, then the Accept-Language list in order, then English.

    A malformed ``uselang`` is ignored (never echoed); a well-formed but unknown one falls back
    along its chain (``es-mx`` → ``es``), and links keep carrying it as the reader asked.
    """
    have = set(available)
    if uselang is not None:
        code = normalize_code(uselang)
        if code == "qqx":
            return Choice("en", ("en",), qqx=True, explicit="qqx")
        if code is not None:
            chain = fallback_chain(code)
            served = next((c for c in chain if c in have), "en")
            return Choice(served, fallback_chain(served), explicit=code)
    for raw, quality in accept:
        if quality <= 0 or raw == "*":
            continue
        asked = normalize_code(raw)
        if asked is None or asked == "qqx":
            continue
        # English is everyone's last fallback: "de" must not win over a later "fr".
        english = asked.split("-")[0] == "en"
        found = next(
            (c for c in fallback_chain(asked) if c in have and (c != "en" or english)), None
        )
        if found is not None:
            return Choice(found, fallback_chain(found))
    return Choice("en", ("en",))


_PLURAL = re.compile(r"\{\{PLURAL:\$(\d+)\|([^{}]*)\}\}")
_PARAM = re.compile(r"\$(\d+)")


def format_message(text: str, params: Sequence[object], lang: str) -> Markup:
    """Fill ``$n`` and ``{{PLURAL:$n|…}}``; the text and plain-string params are escaped."""

    def plural(match: re.Match[str]) -> str:
        # The parameter as text, as the bot passes it: ``1,234`` is a number, ``x`` is none.
        index = int(match.group(1)) - 1
        value = str(params[index]) if 0 <= index < len(params) else "0"
        return plurals.select(lang, value, match.group(2).split("|"))

    text = _PLURAL.sub(plural, text)
    escaped = str(escape(text))

    def param(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        if 0 <= index < len(params):
            return str(escape(params[index]))
        return match.group(0)

    # Safe: the text was escaped above and every substituted parameter is escaped.
    return Markup(_PARAM.sub(param, escaped))  # noqa: S704


def render(catalog: Catalog, choice: Choice, key: str, params: Sequence[object]) -> Markup:
    """One message for one request; wrapped in a ``lang``/``dir`` span when it fell back."""
    if choice.qqx:
        if not params:
            return Markup("({})").format(key)
        return Markup("({}: {})").format(key, Markup(", ").join(escape(p) for p in params))
    found = catalog.lookup(key, choice.chain)
    if found is None:
        log.warning("unknown message key %s", key)
        return Markup("⧼{}⧽").format(key)
    text, lang = found
    out = format_message(text, params, lang)
    if lang != choice.code and html_lang(lang) != choice.html_lang:
        return Markup('<span lang="{}" dir="{}">{}</span>').format(
            html_lang(lang), direction(lang), out
        )
    return out


def text(catalog: Catalog, choice: Choice, key: str, params: Sequence[object] = ()) -> str:
    """A message as plain text (for CSV headers, SVG ``<title>``, JSON), never markup."""
    if choice.qqx:
        return f"({key}: {', '.join(map(str, params))})" if params else f"({key})"
    found = catalog.lookup(key, choice.chain)
    if found is None:
        return f"⧼{key}⧽"
    raw, lang = found
    return format_message(raw, [str(p) for p in params], lang).unescape()
