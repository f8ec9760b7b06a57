"""The web tool's configuration: one frozen object built from defaults, a YAML file, env and code.

Why one object: the Flask tutorial's lesson is that production and tests must differ only in
configuration, never in globals. Layers, later ones win:

1. safe local defaults (a SQLite file under ``var/``, Meta-Wiki as the signup wiki);
2. a private YAML file named by ``SKILLMATCH_CONFIG`` (Toolforge: a ``chmod 600`` file in the
   tool's home; it may hold the ToolsDB URL with its password);
3. environment variables ``SKILLMATCH_*`` (Toolforge: ``toolforge envvars create``);
4. the mapping given to ``create_app`` (tests).

Wikis are configurable one by one so a local wiki can offer its own signup page and its own
preload pages per reader language.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    preload: str
    offer_page: str = ""
    offer_preload: str = ""
    signup_page_by_lang: Mapping[str, str] = field(default_factory=dict)
    preload_by_lang: Mapping[str, str] = field(default_factory=dict)
    offer_preload_by_lang: Mapping[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()

    def page_url(self, title: str) -> str:
        """The reading URL of a wiki page (``article_url`` ends with ``/wiki/``)."""
        from urllib.parse import quote

        return self.article_url + quote(title.replace(" ", "_"), safe="/:()")


META_WIKI = WikiConfig(
    id="metawiki",
    name="Meta-Wiki",
    index_url="https://meta.wikimedia.org/w/index.php",
    article_url="https://meta.wikimedia.org/wiki/",
    signup_page="SkillMatch/Signups",
    preload="Template:Skill signup/preload",
    offer_page="SkillMatch/Offers",
    offer_preload="Template:Skill offer/preload",
)


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

    def wiki(self, wiki_id: str) -> WikiConfig | None:
        for wiki in self.wikis:
            if wiki.id == wiki_id:
                return wiki
        return None


_ENV_KEYS: dict[str, str] = {
    "SKILLMATCH_STORE_URL": "store_url",
    "SKILLMATCH_BASE_URL": "base_url",
    "SKILLMATCH_CONTACT": "contact",
    "SKILLMATCH_SOURCE_URL": "source_url",
    "SKILLMATCH_TAXONOMY": "taxonomy_path",
    "SKILLMATCH_CACHE_SECONDS": "cache_seconds",
    "SKILLMATCH_WIKIS": "wikis",  # JSON list of wiki objects
}


def _wiki_from_mapping(raw: Any) -> WikiConfig:
    if isinstance(raw, WikiConfig):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError("each entry of 'wikis' must be a mapping")
    known = set(WikiConfig.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown wiki keys: {sorted(unknown)}")
    for required in ("id", "index_url", "article_url", "signup_page", "preload"):
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
    for key in ("store_url", "base_url", "contact", "source_url", "taxonomy_path"):
        if key in values and not isinstance(values[key], str):
            raise ConfigError(f"'{key}' must be a string")
    if "base_url" in values:
        values["base_url"] = values["base_url"].rstrip("/")
    config = ToolConfig(**values)
    if not 1 <= config.page_size <= 1000:
        raise ConfigError("'page_size' must be between 1 and 1000")
    return config


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> ToolConfig:
    """Merge defaults, the YAML file, the environment and ``overrides`` (later wins)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = env.get("SKILLMATCH_CONFIG")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = yaml.safe_load(handle) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read SKILLMATCH_CONFIG file: {exc.strerror}") from exc
        if not isinstance(loaded, Mapping):
            raise ConfigError("the SKILLMATCH_CONFIG file must hold a mapping")
        values.update(loaded)
    for env_key, key in _ENV_KEYS.items():
        if env.get(env_key):
            values[key] = env[env_key]
    if overrides:
        values.update(overrides)
    return _coerce(values)
