"""Per-request helpers shared by the blueprints and templates.

Why a module of small functions: pages and API need the same few things (the tool's state, the
reader's language, messages, links that keep ``?uselang=``, skill labels, validated query
parameters), and keeping them here keeps the blueprints to "read, query, render".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

import flask
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from bot import langnames, languages
from bot.store import Store
from webtool import translations as tr
from webtool.cache import RunCache
from webtool.config import ToolConfig, WikiConfig
from webtool.skills import Skills

MAX_PARAM = 255
_DIGITS = re.compile(r"^[0-9]{1,9}$")
_QID = re.compile(r"^Q[1-9][0-9]{0,11}$")


@dataclass
class ToolState:
    """Everything built once per process by the application factory."""

    config: ToolConfig
    store: Store
    skills: Skills
    catalog: tr.Catalog
    cache: RunCache
    pages: RunCache
    messages: dict[tuple[str, bool, str], Markup] = field(default_factory=dict)


def state() -> ToolState:
    return cast(ToolState, flask.current_app.extensions["skillmatch"])


def choice() -> tr.Choice:
    found = flask.g.get("lang_choice")
    if found is None:
        found = choose_language()
        flask.g.lang_choice = found
    return cast(tr.Choice, found)


def choose_language() -> tr.Choice:
    req = flask.request
    uselang = req.args.get("uselang")
    return tr.choose(uselang, req.accept_languages, state().catalog.messages.keys())


def msg(key: str, *params: object) -> Markup:
    """A message as HTML for the current reader (template global); plain ones are memoised."""
    tool = state()
    lang = choice()
    if params:
        return tr.render(tool.catalog, lang, key, params)
    memo_key = (lang.code, lang.qqx, key)
    found = tool.messages.get(memo_key)
    if found is None:
        found = tool.messages[memo_key] = tr.render(tool.catalog, lang, key, ())
    return found


def msg_text(key: str, *params: object) -> str:
    """A message as plain text (JSON errors, SVG titles, headers)."""
    return tr.text(state().catalog, choice(), key, params)


def has_message(key: str) -> bool:
    return state().catalog.lookup(key, ("en",)) is not None


def enum(prefix: str, value: object) -> Markup:
    """The message for a coded value (``level-expert``); an unknown code is shown as itself."""
    key = f"{prefix}-{value}"
    if choice().qqx or has_message(key):
        return msg(key)
    return Markup('<bdi class="code">{}</bdi>').format(value)


def enum_text(prefix: str, value: object) -> str:
    key = f"{prefix}-{value}"
    if choice().qqx or has_message(key):
        return msg_text(key)
    return str(value)


def suggestion(code: str, params: Sequence[object] = ()) -> Markup:
    """A needs-map suggestion (``bot/needsmap.py`` codes) with its parameters."""
    key = f"suggestion-{code}"
    if choice().qqx or has_message(key):
        return msg(key, *params)
    return Markup('<bdi class="code">{}</bdi>').format(code)


def lang_attrs(code: str) -> dict[str, str]:
    """``lang``/``dir`` for text in language ``code`` on the reader's page; none when they agree."""
    if tr.html_lang(code) == choice().html_lang:
        return {}
    return {"lang": tr.html_lang(code), "dir": tr.direction(code)}


def in_lang(text: str, code: str) -> Markup:
    """``text``, escaped, in a ``lang``/``dir`` span when ``code`` is not the page's language."""
    attrs = lang_attrs(code)
    if attrs:
        return Markup('<span lang="{lang}" dir="{dir}">{}</span>').format(text, **attrs)
    return Markup("{}").format(text)


def lang_name(code: str) -> str:
    """A language in the reader's language with its autonym: ``Japanese (日本語)``, never a code."""
    return langnames.label(code, choice().code) if code else code


def lang_names(codes: Sequence[str]) -> list[str]:
    """Languages named for the reader (lists in tables): ``French``, ``Wolof``."""
    return [langnames.name(c, choice().code) for c in codes]


def url(endpoint: str, **values: Any) -> str:
    """``url_for`` that keeps the reader's explicit ``?uselang=`` on every internal link."""
    explicit = choice().explicit
    if explicit and "uselang" not in values:
        values["uselang"] = explicit
    values = {k: v for k, v in values.items() if v is not None and v != ""}
    return flask.url_for(endpoint, **values)


def skill_label(skill_id: str) -> Markup:
    """The skill's label in the reader's language; tagged with its own language if it fell back."""
    label, lang = state().skills.label(skill_id, choice().chain)
    if lang is None:
        return Markup('<span dir="auto">{}</span>').format(label)
    return in_lang(label, lang)


def skill_text(skill_id: str) -> tuple[str, str | None]:
    label, lang = state().skills.label(skill_id, choice().chain)
    return label, lang


def skill_name(skill_id: str) -> str:
    """The label as plain text (``<title>``, ``<option>``)."""
    return skill_text(skill_id)[0]


def wikidata_url(qid: str | None) -> str | None:
    if qid and _QID.match(qid):
        return "https://www.wikidata.org/wiki/" + qid
    return None


def wiki(wiki_id: str | None) -> WikiConfig | None:
    return state().config.wiki(wiki_id) if wiki_id else None


def user_page_url(username: str, wiki_id: str | None) -> str:
    """The user's page on their home wiki (the first wiki for a wiki the tool does not list).

    Encoded like MediaWiki, so it is the address a person copies from their browser: the
    person page links it, and it is the recipient identity a badge assertion hashes.
    """
    found = wiki(wiki_id) or state().config.wikis[0]
    return found.user_page_url(username)


def revision_url(wiki_id: str, revid: int) -> str | None:
    found = wiki(wiki_id)
    if found is None or revid <= 0:
        return None
    return found.index_url + "?" + urlencode({"oldid": str(revid)})


def resource_url(link: str, wiki_id: str) -> str | None:
    """http(s) links as given; anything else is a page title on the entry's wiki.

    A title is always turned into an https URL on a configured wiki, so even a hostile value
    such as ``javascript:…`` can only ever become a link to a (missing) wiki page.
    """
    if link.startswith(("https://", "http://")):
        return link
    found = wiki(wiki_id)
    if link and found is not None:
        return found.page_url(link)
    return None


def _pick(mapping: Mapping[str, str], fallback: str) -> str:
    for code in choice().chain:
        if code in mapping:
            return mapping[code]
    return fallback


def signup_language() -> str:
    """The language code a signup should name: what the reader asked for, when the bot takes it.

    ``?uselang=pt-BR`` is served in English (no Portuguese interface yet), but the reader speaks
    Portuguese, so their signup must say ``pt-br``. A code the bot would refuse in ``languages=``
    (``es-mx``, ``qqx``) gives way to the language the page is served in.
    """
    lang = choice()
    if lang.explicit and not lang.qqx and languages.is_known(lang.explicit):
        return languages.normalize(lang.explicit)
    return lang.code


def signup_url(target: WikiConfig, *, kind: str = "signup", skill: str | None = None) -> str | None:
    """The wiki's edit form for a new section, preloaded with the signup (or offer) template.

    MediaWiki fills ``$1``, ``$2`` of the preload page from ``preloadparams[]``: here ``$1`` is
    the skill's label in the reader's language (empty on general buttons) and ``$2`` the
    reader's language code (`signup_language`). ``uselang`` shows the wiki's editor in that
    language. No credentials pass through the tool: the reader edits the wiki as themselves.
    """
    if kind == "offer":
        if not target.offer_preload:
            return None
        page = target.offer_page or target.signup_page
        preload = _pick(target.offer_preload_by_lang, target.offer_preload)
    else:
        page = _pick(target.signup_page_by_lang, target.signup_page)
        preload = _pick(target.preload_by_lang, target.preload)
    label = skill_text(skill)[0] if skill else ""
    code = signup_language()
    params = [
        ("title", page),
        ("action", "edit"),
        ("section", "new"),
        ("preload", preload),
        (
            "preloadtitle",
            msg_text("signup-section-title" if kind == "signup" else "offer-section-title"),
        ),
        ("preloadparams[]", label),
        ("preloadparams[]", code),
        ("uselang", code),
    ]
    return target.index_url + "?" + urlencode(params)


def signup_wikis() -> list[WikiConfig]:
    """Configured wikis, those that list the reader's language first."""
    wikis = list(state().config.wikis)
    code = choice().code
    return sorted(wikis, key=lambda w: (0 if code in w.languages else 1, wikis.index(w)))


# -- query parameters ---------------------------------------------------------------------------


class BadParam(BadRequest):
    """A query parameter with a value we do not know; the name (never the value) is reported."""

    def __init__(self, name: str, bounds: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.param = name
        # (low, high) when a number was out of range: the answer then says the allowed range.
        self.bounds = bounds


def text_param(name: str, allowed: Collection[str]) -> str | None:
    """An optional filter value that must be one of ``allowed``; empty means "no filter"."""
    raw = flask.request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_PARAM or raw not in allowed:
        raise BadParam(name)
    return raw


def int_param(name: str, default: int, low: int, high: int) -> int:
    raw = flask.request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.match(raw):
        raise BadParam(name)
    value = int(raw)
    if not low <= value <= high:
        raise BadParam(name, (low, high))
    return value


# What a yes/no parameter accepts (the OpenAPI document lists the same values).
TRUE_VALUES: tuple[str, ...] = ("1", "yes", "true")
FALSE_VALUES: tuple[str, ...] = ("0", "no", "false")


def bool_param(name: str) -> bool | None:
    raw = flask.request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise BadParam(name)


def table_id() -> str:
    """A fresh element id for a table caption in this response (template global).

    Each scrollable table region takes keyboard focus and is named by its caption
    (``aria-labelledby``); ids count up per render, so a page that is cached renders the same.
    """
    n = int(flask.g.get("table_ids", 0)) + 1
    flask.g.table_ids = n
    return f"table-{n}"
