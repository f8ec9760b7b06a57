"""The operator's configuration: which wikis, which pages, where the store lives.

One YAML file (default `config/skillmatch.yaml`, or `--config PATH`, or the
`SKILLMATCH_CONFIG` environment variable). Secrets never live here: the
store URL may come from `SKILLMATCH_STORE` and wiki credentials from
Pywikibot's own password file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
DEFAULT_CONFIG = CONFIG_DIR / "skillmatch.yaml"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class WikiSource:
    key: str  # short name used in the store, e.g. "meta"
    family: str
    code: str
    lang: str
    signup_pages: tuple[str, ...] = ()
    signup_prefixes: tuple[str, ...] = ()
    pages: dict[str, str] = field(default_factory=dict)  # needs_map, problems, matches, ...
    notify: bool = True
    preload: str = ""  # page with the signup template to preload from the web tool

    def reads(self, title: str) -> bool:
        """Whether `title` is one of this wiki's signup pages, by name or by prefix."""
        norm = title.replace("_", " ")
        return norm in {t.replace("_", " ") for t in self.signup_pages} or any(
            norm.startswith(p.replace("_", " ")) for p in self.signup_prefixes
        )


@dataclass(frozen=True)
class Config:
    wikis: tuple[WikiSource, ...]
    store: str
    output_dir: Path
    operator: str = "SkillMatch"
    contact: str = ""
    inactive_days: int = 90
    reminder_days: int = 14
    lock_hours: float = 3.0  # a run lock older than this is taken for a crashed run's
    web_base_url: str = "http://127.0.0.1:8000"
    badge_issuer: dict[str, str] = field(default_factory=dict)
    taxonomy: Path = CONFIG_DIR / "taxonomy.yaml"
    vocabulary: Path = CONFIG_DIR / "vocabulary.yaml"
    templates: Path = CONFIG_DIR / "templates.yaml"
    badges: Path = CONFIG_DIR / "badges.yaml"
    source_path: Path | None = None

    def wiki(self, key: str) -> WikiSource:
        for w in self.wikis:
            if w.key == key:
                return w
        raise ConfigError(f"no wiki named {key!r} in the configuration")


def _path(base: Path, value: Any, default: Path) -> Path:
    if not value:
        return default
    p = Path(str(value))
    return p if p.is_absolute() else (base / p).resolve()


def load(path: str | Path | None = None) -> Config:
    """Read and check the configuration; errors name the offending key."""
    chosen = Path(path or os.environ.get("SKILLMATCH_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {chosen}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration {chosen} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"configuration {chosen} must be a mapping")
    base = chosen.resolve().parent
    root = base.parent if base.name == "config" else base
    wikis = []
    for key, w in (data.get("wikis") or {}).items():
        if not isinstance(w, dict) or "family" not in w or "lang" not in w:
            raise ConfigError(f"wikis.{key}: needs at least 'family' and 'lang'")
        wikis.append(
            WikiSource(
                key=str(key),
                family=str(w["family"]),
                code=str(w.get("code", w["family"])),
                lang=str(w["lang"]),
                signup_pages=tuple(w.get("signup_pages") or ()),
                signup_prefixes=tuple(w.get("signup_prefixes") or ()),
                pages={str(k): str(v) for k, v in (w.get("pages") or {}).items()},
                notify=bool(w.get("notify", True)),
                preload=str(w.get("preload", "")),
            )
        )
    if not wikis:
        raise ConfigError(f"{chosen}: 'wikis' must name at least one wiki")
    store = os.environ.get("SKILLMATCH_STORE") or str(data.get("store") or "")
    output_dir = _path(root, data.get("output_dir"), root / "var" / "out")
    if not store:
        store = f"sqlite:///{root / 'var' / 'skillmatch.db'}"
    elif store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
        store = f"sqlite:///{(root / store[len('sqlite:///') :]).resolve()}"
    return Config(
        wikis=tuple(wikis),
        store=store,
        output_dir=output_dir,
        operator=str(data.get("operator", "SkillMatch")),
        contact=str(data.get("contact", "")),
        inactive_days=int(data.get("inactive_days", 90)),
        reminder_days=int(data.get("reminder_days", 14)),
        lock_hours=float(data.get("lock_hours", 3.0)),
        web_base_url=str(data.get("web_base_url", "http://127.0.0.1:8000")).rstrip("/"),
        badge_issuer={str(k): str(v) for k, v in (data.get("badge_issuer") or {}).items()},
        taxonomy=_path(root, data.get("taxonomy"), CONFIG_DIR / "taxonomy.yaml"),
        vocabulary=_path(root, data.get("vocabulary"), CONFIG_DIR / "vocabulary.yaml"),
        templates=_path(root, data.get("templates"), CONFIG_DIR / "templates.yaml"),
        badges=_path(root, data.get("badges"), CONFIG_DIR / "badges.yaml"),
        source_path=chosen,
    )
