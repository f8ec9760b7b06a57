"""The web tool's configuration: one frozen object built from defaults, a YAML file, env and code.

Why one object: the Flask tutorial's lesson is that production and tests must differ only in
configuration, never in globals. Layers, later ones win:

1. safe local defaults (a SQLite file under ``var/``, Meta-Wiki as the signup wiki);
2. the YAML file named by ``SKILLMATCH_CONFIG`` (default ``config/skillmatch.yaml``). That is
   the bot's operator file, so bot and tool share one source for the store, the wikis, the
   contact and the public URL (read through ``bot.config``, which also honours
   ``SKILLMATCH_STORE``); its optional ``webtool:`` section holds tool-only settings. A file
   without a ``wikis`` mapping is read as a web-tool-only file with the keys of ``ToolConfig``;
3. environment variables ``SKILLMATCH_*`` (Toolforge: ``toolforge envvars create``);
4. the mapping given to ``create_app`` (tests).

Open Badges: the issuer profile comes from the operator file's ``badge_issuer`` (name, url,
email; ``badge_issuer`` may also be given to ``create_app`` or in a web-tool-only file). The OB
3.0 signing key is never in the repository: ``ob3_key_file`` names a PEM file (EC P-256 for
ES256 or RSA for RS256, PKCS#8) through ``SKILLMATCH_OB3_KEY_FILE`` or the YAML's ``webtool:``
section.

Each wiki's signup page and preload pages (also per reader language) are set per wiki, so a
local wiki can offer its own signup page in its own language.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_STORE_URL = "sqlite:///var/skillmatch.db"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key is wrong."""


@dataclass(frozen=True)
class WikiConfig:
    """One wiki the bot reads, and where its volunteers sign up.

    ``preload_by_lang`` / ``offer_preload_by_lang`` / ``signup_page_by_lang`` map a reader's
    language to a translated page; the plain field is the fallback for every other language.
    """

    id: str
    name: str
    index_url: str
    article_url: str
    signup_page: str
    preload: str = ""
    offer_page: str = ""
    offer_preload: str = ""
    matches_page: str = ""  # the bot's match table (anchors = match ids), for badge evidence
    signup_page_by_lang: Mapping[str, str] = field(default_factory=dict)
    preload_by_lang: Mapping[str, str] = field(default_factory=dict)
    offer_preload_by_lang: Mapping[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()

    def page_url(self, title: str) -> str:
        """The reading URL of a wiki page (``article_url`` ends with ``/wiki/`` or ``?title=``),
        encoded like MediaWiki's wfUrlencode: the address a reader copies from the browser."""
        return self.article_url + quote(title.replace(" ", "_"), safe=";@$!*(),/~:")

    def user_page_url(self, username: str) -> str:
        """A user's page, its title spelled as ``bot.openbadges.user_page_url`` spells it."""
        return self.page_url("User:" + "_".join(username.replace("_", " ").split()))


META_WIKI = WikiConfig(
    id="meta",
    name="Meta-Wiki",
    index_url="https://meta.wikimedia.org/w/index.php",
    article_url="https://meta.wikimedia.org/wiki/",
    signup_page="Skill-sharing/Signups",
    preload="Skill-sharing/Preload/Signup",
)

# Pywikibot family → host, for the wikis of the operator file (a local wiki gives ``url``).
FAMILY_HOSTS: dict[str, str] = {
    "meta": "meta.wikimedia.org",
    "commons": "commons.wikimedia.org",
    "wikidata": "www.wikidata.org",
    "species": "species.wikimedia.org",
    "mediawiki": "www.mediawiki.org",
    "incubator": "incubator.wikimedia.org",
    "outreach": "outreach.wikimedia.org",
    "wikimania": "wikimania.wikimedia.org",
}
PROJECT_FAMILIES = frozenset(
    (
        *("wikipedia", "wiktionary", "wikibooks", "wikinews", "wikiquote"),
        *("wikisource", "wikiversity", "wikivoyage"),
    )
)
DEFAULT_CONFIG = REPO_ROOT / "config" / "skillmatch.yaml"


@dataclass(frozen=True)
class ToolConfig:
    """Everything ``create_app`` needs; see the module docstring for where values come from."""

    store_url: str = DEFAULT_STORE_URL
    base_url: str = ""
    contact: str = ""
    source_url: str = ""
    wikis: tuple[WikiConfig, ...] = (META_WIKI,)
    taxonomy_path: str = str(REPO_ROOT / "config" / "taxonomy.yaml")
    cache_seconds: float = 5.0
    page_size: int = 50
    list_limit: int = 100
    create_local_schema: bool = True
    issuer_name: str = ""
    issuer_url: str = ""
    issuer_email: str = ""
    ob3_key_file: str = ""
    ob3_key: str = field(default="", repr=False)  # the PEM itself (a Toolforge envvar)

    def wiki(self, wiki_id: str) -> WikiConfig | None:
        for wiki in self.wikis:
            if wiki.id == wiki_id:
                return wiki
        return None


_ENV_KEYS: dict[str, str] = {
    "SKILLMATCH_STORE": "store_url",  # shared with the bot
    "SKILLMATCH_STORE_URL": "store_url",  # wins over SKILLMATCH_STORE: the tool's own override
    "SKILLMATCH_BASE_URL": "base_url",
    "SKILLMATCH_CONTACT": "contact",
    "SKILLMATCH_SOURCE_URL": "source_url",
    "SKILLMATCH_TAXONOMY": "taxonomy_path",
    "SKILLMATCH_CACHE_SECONDS": "cache_seconds",
    "SKILLMATCH_WIKIS": "wikis",  # JSON list of wiki objects
    "SKILLMATCH_OB3_KEY_FILE": "ob3_key_file",  # PEM path of the OB 3.0 signing key
    "SKILLMATCH_OB3_KEY": "ob3_key",  # or the PEM itself, where no file is mounted
}
_ISSUER_KEYS = ("name", "url", "email")


def _wiki_from_mapping(raw: Any) -> WikiConfig:
    if isinstance(raw, WikiConfig):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError("each entry of 'wikis' must be a mapping")
    known = set(WikiConfig.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown wiki keys: {sorted(unknown)}")
    for required in ("id", "index_url", "article_url", "signup_page"):
        if not isinstance(raw.get(required), str) or not raw[required]:
            raise ConfigError(f"wiki needs a non-empty string '{required}'")
    values = dict(raw)
    values.setdefault("name", values["id"])
    for key in ("signup_page_by_lang", "preload_by_lang", "offer_preload_by_lang"):
        values[key] = {str(k).lower(): str(v) for k, v in dict(values.get(key) or {}).items()}
    values["languages"] = tuple(str(x) for x in values.get("languages") or ())
    for url_key in ("index_url", "article_url"):
        if not str(values[url_key]).startswith(("https://", "http://")):
            raise ConfigError(f"wiki '{url_key}' must be an http(s) URL")
    return WikiConfig(**values)


def _layer(values: dict[str, Any], layer: Mapping[str, Any]) -> None:
    """Merge one configuration layer; its ``badge_issuer`` mapping sets the ``issuer_*`` keys."""
    layer = dict(layer)
    raw = layer.pop("badge_issuer", None)
    values.update(layer)
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise ConfigError("'badge_issuer' must be a mapping with name, url and email")
    unknown = set(raw) - set(_ISSUER_KEYS)
    if unknown:
        raise ConfigError(f"unknown badge_issuer keys: {sorted(unknown)}")
    for key in _ISSUER_KEYS:
        if raw.get(key) is not None:
            values[f"issuer_{key}"] = str(raw[key])


def _coerce(values: dict[str, Any]) -> ToolConfig:
    known = set(ToolConfig.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown configuration keys: {sorted(unknown)}")
    if "wikis" in values:
        wikis = values["wikis"]
        if isinstance(wikis, str):
            wikis = json.loads(wikis)
        if not isinstance(wikis, list | tuple) or not wikis:
            raise ConfigError("'wikis' must be a non-empty list")
        values["wikis"] = tuple(_wiki_from_mapping(w) for w in wikis)
    for key, kind in (("cache_seconds", float), ("page_size", int), ("list_limit", int)):
        if key in values:
            try:
                values[key] = kind(values[key])
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"'{key}' must be a number") from exc
    if "create_local_schema" in values:
        values["create_local_schema"] = bool(values["create_local_schema"])
    text_keys = ("store_url", "base_url", "contact", "source_url", "taxonomy_path")
    secrets = ("ob3_key_file", "ob3_key")
    for key in (*text_keys, "issuer_name", "issuer_url", "issuer_email", *secrets):
        if key in values and not isinstance(values[key], str):
            raise ConfigError(f"'{key}' must be a string")
    if "base_url" in values:
        values["base_url"] = values["base_url"].rstrip("/")
    config = ToolConfig(**values)
    if not 1 <= config.page_size <= 1000:
        raise ConfigError("'page_size' must be between 1 and 1000")
    return config


def _base_url(raw: Mapping[str, Any]) -> str | None:
    family = str(raw.get("family", ""))
    code = str(raw.get("code", family))
    if family in FAMILY_HOSTS:
        return "https://" + FAMILY_HOSTS[family]
    if family in PROJECT_FAMILIES and re.fullmatch(r"[a-z][a-z0-9-]{1,20}", code):
        return f"https://{code}.{family}.org"
    return None


_WIKI_EXTRAS = (
    "name",
    "offer_page",
    "offer_preload",
    "signup_page_by_lang",
    "preload_by_lang",
    "offer_preload_by_lang",
)


def wikis_from_operator(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The operator file's ``wikis`` (the bot's shape) as web tool wiki settings.

    The store knows a wiki by its key in that file, so the key is the wiki's id here. URLs come
    from the Pywikibot family and code; a wiki outside Wikimedia's farm (a local test wiki)
    gives ``url`` (its script path, e.g. ``http://127.0.0.1:8080``) or both ``index_url`` and
    ``article_url``. Web-tool-only keys (``name``, ``offer_preload``, ``preload_by_lang``, …)
    may sit in the same wiki entry; the bot ignores them.
    """
    out = []
    for key, wiki in raw.items():
        if not isinstance(wiki, Mapping):
            raise ConfigError(f"wikis.{key} must be a mapping")
        pages = [str(p) for p in wiki.get("signup_pages") or ()]
        entry: dict[str, Any] = {
            "id": str(key),
            "signup_page": str(wiki.get("signup_page") or (pages[0] if pages else "")),
            "preload": str(wiki.get("preload") or ""),
            "languages": [str(wiki["lang"])] if wiki.get("lang") else [],
        }
        if wiki.get("url"):
            index = str(wiki["url"]).rstrip("/") + "/index.php"
            entry.update(index_url=index, article_url=index + "?title=")
        reports = wiki.get("pages")
        if isinstance(reports, Mapping) and reports.get("matches"):
            entry["matches_page"] = str(reports["matches"])
        base = _base_url(wiki)
        if base is not None:
            entry.setdefault("index_url", base + "/w/index.php")
            entry.setdefault("article_url", base + "/wiki/")
        for extra in ("index_url", "article_url", *_WIKI_EXTRAS):
            if wiki.get(extra):
                entry[extra] = wiki[extra]
        if "index_url" not in entry or not entry["signup_page"]:
            continue  # the bot reads it, but readers cannot be sent there to sign up
        if "name" not in entry:
            entry["name"] = "Meta-Wiki" if wiki.get("family") == "meta" else f"{key}"
        out.append(entry)
    return out


def _from_operator_file(path: str, data: Mapping[str, Any]) -> dict[str, Any]:
    from bot import config as bot_config

    try:
        operator = bot_config.load(path)
    except bot_config.ConfigError as exc:
        raise ConfigError(str(exc)) from exc
    values: dict[str, Any] = {
        "store_url": operator.store,
        "contact": operator.contact,
        "base_url": operator.web_base_url,
        "taxonomy_path": str(operator.taxonomy),
    }
    wikis = wikis_from_operator(data["wikis"])
    if wikis:
        values["wikis"] = wikis
    extra = data.get("webtool") or {}
    if not isinstance(extra, Mapping):
        raise ConfigError("'webtool' in the configuration file must be a mapping")
    merged: dict[str, Any] = {}
    if operator.badge_issuer:
        _layer(merged, {"badge_issuer": dict(operator.badge_issuer)})
    _layer(merged, values)
    _layer(merged, extra)
    return merged


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> ToolConfig:
    """Merge defaults, the YAML file, the environment and ``overrides`` (later wins)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = env.get("SKILLMATCH_CONFIG") or (str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else "")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = yaml.safe_load(handle) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read SKILLMATCH_CONFIG file: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError("the SKILLMATCH_CONFIG file is not valid YAML") from exc
        if not isinstance(loaded, Mapping):
            raise ConfigError("the SKILLMATCH_CONFIG file must hold a mapping")
        if isinstance(loaded.get("wikis"), Mapping):
            _layer(values, _from_operator_file(path, loaded))
        else:
            _layer(values, loaded)
    for env_key, key in _ENV_KEYS.items():
        if env.get(env_key):
            values[key] = env[env_key]
    if overrides:
        _layer(values, overrides)
    return _coerce(values)
