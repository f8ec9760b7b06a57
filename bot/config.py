"""The operator's configuration: which wikis, which pages, where the store lives.

One YAML file (default `config/skillmatch.yaml`, or `--config PATH`, or the
`SKILLMATCH_CONFIG` environment variable). Secrets never live here: the
store URL may come from `SKILLMATCH_STORE` and wiki credentials from
Pywikibot's own password file.

The file is checked against a schema (pydantic, strict) before anything runs, because
a configuration mistake is the cheapest way to shred data: a typo'd key read as absent
makes the bot forget every signup page, a string where a list belongs becomes one-letter
titles, `notify: "no"` would be true. So every key has a type and a range, only real YAML
booleans are booleans, an unknown key at any level is an error (with the closest known
key as a hint), and the message names the file and the key. A new setting is a new field
in `_File` or `_Wiki` (and in `Config` or `WikiSource` when the bot reads it).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

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
    max_change_share: float = 0.2  # a run may end/revoke at most this share of the live ones,
    max_change_floor: int = 10  # … unless it ends/revokes no more than this many (small stores)
    confirm_large_change: bool = False  # the operator has checked a larger change (bot/guard.py)
    max_retries: int | None = None  # Pywikibot's retry settings; None keeps user-config.py's
    retry_wait: float | None = None
    retry_max: float | None = None

    def wiki(self, key: str) -> WikiSource:
        for w in self.wikis:
            if w.key == key:
                return w
        raise ConfigError(f"no wiki named {key!r} in the configuration")


# -- the schema -----------------------------------------------------------------------------

REPORT_PAGES = ("needs_map", "problems", "matches", "waiting", "badges", "confirmations")
"""Pages the bot writes (or, for confirmations, reads) per wiki; see bot/run.py."""
_BAD_TITLE = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f]")


def _title(value: str) -> str:
    """A page title MediaWiki accepts: a character it forbids means a typo, not a page."""
    if not value.strip():
        raise ValueError("must not be empty")
    bad = _BAD_TITLE.search(value)
    if bad:
        raise ValueError(f"{bad.group()!r} cannot be part of a page title")
    return value


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("must be an http:// or https:// URL")
    return value


Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Title = Annotated[str, StringConstraints(max_length=255), AfterValidator(_title)]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")]
WikiKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Url = Annotated[str, AfterValidator(_http_url)]
PageKind = Literal["needs_map", "problems", "matches", "waiting", "badges", "confirmations"]


class _Strict(BaseModel):
    """Strict: no coercion ("90" is not 90, "no" is not false) and no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Issuer(_Strict):
    name: Text
    url: Url
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")]


class _Wiki(_Strict):
    family: Text
    code: Text | None = None
    lang: Lang
    signup_pages: list[Title] = []
    signup_prefixes: list[Title] = []
    pages: dict[PageKind, Title] = {}
    notify: bool = True
    preload: Title | None = None
    # Read by the web tool (webtool/config.py), which shares this file.
    name: Text | None = None
    url: Url | None = None
    index_url: Url | None = None
    article_url: Url | None = None
    signup_page: Title | None = None
    offer_page: Title | None = None
    offer_preload: Title | None = None
    signup_page_by_lang: dict[Lang, Title] = {}
    preload_by_lang: dict[Lang, Title] = {}
    offer_preload_by_lang: dict[Lang, Title] = {}

    @model_validator(mode="after")
    def _consistent(self) -> _Wiki:
        """A wiki with no signup page would make the bot forget every entry it holds there;
        a page volunteers are sent to (or confirm on) must be one the bot reads; a report
        written over a signup page or over another report destroys what was there."""
        if not self.signup_pages and not self.signup_prefixes:
            hint = " (did you mean signup_pages?)" if self.signup_page else ""
            raise ValueError(f"names neither signup_pages nor signup_prefixes{hint}")
        source = WikiSource("", "", "", "", tuple(self.signup_pages), tuple(self.signup_prefixes))
        sent = {"signup_page": self.signup_page, "offer_page": self.offer_page}
        sent |= {f"signup_page_by_lang.{k}": v for k, v in self.signup_page_by_lang.items()}
        sent["pages.confirmations"] = self.pages.get("confirmations")
        for key, title in sent.items():
            if title and not source.reads(title):
                raise ValueError(
                    f"{key} {title!r} is not among signup_pages or under signup_prefixes, "
                    "so the bot would never read what volunteers write there"
                )
        written: dict[str, str] = {}
        for kind, title in self.pages.items():
            if kind == "confirmations":
                continue
            if source.reads(title):
                raise ValueError(
                    f"pages.{kind} {title!r} is also a signup page: the bot would overwrite "
                    "the volunteers' entries with its report"
                )
            norm = title.replace("_", " ")
            if norm in written:
                raise ValueError(f"pages.{kind} and pages.{written[norm]} are the same page")
            written[norm] = kind
        return self


class _File(_Strict):
    wikis: Annotated[dict[WikiKey, _Wiki], Field(min_length=1)]
    store: Text | None = None
    output_dir: Text | None = None
    operator: Text = "SkillMatch"
    contact: str = ""
    web_base_url: Url = "http://127.0.0.1:8000"
    inactive_days: Annotated[int, Field(ge=1, le=36500)] = 90
    reminder_days: Annotated[int, Field(ge=1, le=3650)] = 14
    lock_hours: Annotated[float, Field(gt=0, le=168)] = 3.0
    badge_issuer: _Issuer | None = None
    taxonomy: Text | None = None
    vocabulary: Text | None = None
    templates: Text | None = None
    badges: Text | None = None
    max_change_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    max_change_floor: Annotated[int, Field(ge=0)] = 10
    confirm_large_change: bool = False
    max_retries: Annotated[int, Field(ge=0, le=100)] | None = None
    retry_wait: Annotated[float, Field(gt=0, le=3600)] | None = None
    retry_max: Annotated[float, Field(gt=0, le=3600)] | None = None
    webtool: dict[str, Any] | None = None  # the web tool's own section, checked there

    @model_validator(mode="after")
    def _distinct_wikis(self) -> _File:
        """Two keys for one wiki would read every entry twice, as two people's."""
        seen: dict[tuple[str, str], str] = {}
        for key, w in self.wikis.items():
            site = (w.family, w.code or w.family)
            if site in seen:
                raise ValueError(f"wikis.{key} is the same wiki as wikis.{seen[site]}")
            seen[site] = key
        return self


_KNOWN_KEYS = sorted({*_File.model_fields, *_Wiki.model_fields, *_Issuer.model_fields})


def _describe(error: Any) -> str:
    """One pydantic error as the operator should read it: key path, what is wrong, hint."""
    loc = ".".join(str(p) for p in error["loc"] if p != "[key]")
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1, cutoff=0.6)
        return f"{loc}: unknown key" + (f" (did you mean {close[0]}?)" if close else "")
    if kind == "missing":
        return f"{loc}: required key is missing"
    msg = str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error" and "[key]" in error["loc"]:
        return f"{loc}: unknown page kind (known: {', '.join(REPORT_PAGES)})"
    shown = repr(value)
    if not isinstance(value, dict) and len(shown) <= 80 and kind != "value_error":
        msg += f", got {shown}"
    if isinstance(value, bool) and "string" in kind:
        msg += " (YAML reads yes/no/on/off/true/false as booleans: quote the value)"
    if isinstance(value, str) and kind == "list_type":
        msg += " (write a YAML list: one '- item' per line)"
    if error["loc"][-1:] == ("signup_page",):
        msg += " (the bot reads signup_pages, a list; signup_page is the web tool's one page)"
    return f"{loc or '(top level)'}: {msg}"


def _empty_keys(data: dict[Any, Any], at: str = "") -> list[str]:
    """Keys written with no value (`store:`): YAML reads them as null, which would silently
    mean "the default" for an optional key; a half-written line is a mistake to report."""
    out = []
    for key, value in data.items():
        path = f"{at}{key}"
        if value is None:
            out.append(path)
        elif isinstance(value, dict) and path != "webtool":
            out += _empty_keys(value, path + ".")
    return out


def _path(base: Path, value: Any, default: Path) -> Path:
    if not value:
        return default
    p = Path(str(value))
    return p if p.is_absolute() else (base / p).resolve()


def load(path: str | Path | None = None) -> Config:
    """Read and check the configuration; errors name the file and the offending key."""
    chosen = Path(path or os.environ.get("SKILLMATCH_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {chosen}: {exc.strerror}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration {chosen} is not valid YAML: {exc}") from exc
    return validate(data, chosen)


def validate(data: Any, chosen: Path) -> Config:
    """The checked configuration of `data`, read from the file `chosen` (paths are relative
    to the project when the file sits in a `config/` directory, else to the file)."""
    if not isinstance(data, dict):
        raise ConfigError(f"configuration {chosen}: must be a mapping of keys to values")
    empty = _empty_keys(data)
    if empty:
        raise ConfigError(
            "\n".join(
                f"configuration {chosen}: {key}: is empty (give it a value, or remove the key "
                "to use the default)"
                for key in empty
            )
        )
    try:
        raw = _File.model_validate(data)
    except ValidationError as exc:
        lines = [f"configuration {chosen}: {_describe(e)}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    base = chosen.resolve().parent
    root = base.parent if base.name == "config" else base
    wikis = tuple(
        WikiSource(
            key=key,
            family=w.family,
            code=w.code or w.family,
            lang=w.lang,
            signup_pages=tuple(w.signup_pages),
            signup_prefixes=tuple(w.signup_prefixes),
            pages={str(k): v for k, v in w.pages.items()},
            notify=w.notify,
            preload=w.preload or "",
        )
        for key, w in raw.wikis.items()
    )
    store = os.environ.get("SKILLMATCH_STORE") or raw.store or ""
    if not store:
        store = f"sqlite:///{root / 'var' / 'skillmatch.db'}"
    elif store.startswith("sqlite:///") and not store.startswith("sqlite:////"):
        store = f"sqlite:///{(root / store[len('sqlite:///') :]).resolve()}"
    files = {
        name: _path(root, getattr(raw, name), CONFIG_DIR / f"{name}.yaml")
        for name in ("taxonomy", "vocabulary", "templates", "badges")
    }
    for name, file in files.items():
        if not file.is_file():
            raise ConfigError(f"configuration {chosen}: {name}: no such file {file}")
    return Config(
        wikis=wikis,
        store=store,
        output_dir=_path(root, raw.output_dir, root / "var" / "out"),
        operator=raw.operator,
        contact=raw.contact,
        inactive_days=raw.inactive_days,
        reminder_days=raw.reminder_days,
        lock_hours=raw.lock_hours,
        web_base_url=raw.web_base_url.rstrip("/"),
        badge_issuer=raw.badge_issuer.model_dump() if raw.badge_issuer else {},
        taxonomy=files["taxonomy"],
        vocabulary=files["vocabulary"],
        templates=files["templates"],
        badges=files["badges"],
        source_path=chosen,
        max_change_share=raw.max_change_share,
        max_change_floor=raw.max_change_floor,
        confirm_large_change=raw.confirm_large_change,
        max_retries=raw.max_retries,
        retry_wait=raw.retry_wait,
        retry_max=raw.retry_max,
    )
