"""Closed vocabularies (levels, methods, formats, ...) and localized template/parameter names.

Both map what volunteers write in their own language to the canonical English names of the wiki
contract. A localized word is accepted on every wiki, because entries get copied between wikis
(a Japanese signup pasted on Meta must still parse); when the same word means different things
in two languages, the language of the wiki being read wins. Loading refuses any configuration in
which one word could mean two things within a language, so a config edit cannot silently change
what existing entries mean.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from bot.taxonomy import REQUIRED_LANGUAGES, normalize

_CONFIG = Path(__file__).resolve().parent.parent / "config"
DEFAULT_VOCABULARY_PATH = _CONFIG / "vocabulary.yaml"
DEFAULT_TEMPLATES_PATH = _CONFIG / "templates.yaml"
NAME_MEMO = 4096
"""Template and parameter names a TemplateNames remembers (cleared when full)."""
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


class Level(IntEnum):
    """Skill levels, ordered so that matching can compare them (a mentor should out-rank)."""

    BEGINNER = 1
    INTERMEDIATE = 2
    ADVANCED = 3
    EXPERT = 4

    @classmethod
    def parse(cls, canonical: str) -> Level:
        """The level for a canonical name (`"beginner"`); ValueError for anything else.

        Takes canonical names only: localized words go through `Vocabulary.resolve` first.
        """
        try:
            return cls[canonical.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {canonical!r}") from None

    @property
    def canonical(self) -> str:
        """The contract's name for this level (`"beginner"`)."""
        return self.name.lower()


def _fallbacks(lang: str | None) -> tuple[str, ...]:
    if not lang:
        return ("en",)
    return tuple(dict.fromkeys((lang, lang.split("-", 1)[0], "en")))


def _strings(value: Any, where: str) -> list[str]:
    """A list of non-empty strings; YAML's unquoted yes/no/1 would arrive as bool/int."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of names")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{where}: {item!r} is not a non-empty string (quote it in YAML)")
        out.append(item.strip())
    return out


def _read_yaml(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class _Lookup:
    """One namespace of names: canonical names, per-language aliases, and the any-language fallback.

    Shared by vocabulary kinds, template names and parameter names, which all follow the same
    rules: canonical names win, then the wiki's language, then English, then the other languages
    in configuration order.
    """

    def __init__(self, what: str, canonical: Iterable[str], key: Any) -> None:
        self.what = what
        self.key = key
        self.canonical: dict[str, str] = {}
        for name in canonical:
            k = key(name)
            if not k:
                raise ValueError(f"{what}: canonical name {name!r} is empty once normalised")
            if k in self.canonical:
                raise ValueError(f"{what}: canonical {self.canonical[k]!r} and {name!r} clash")
            self.canonical[k] = name
        self.by_lang: dict[str, dict[str, str]] = {}
        self.origin: dict[tuple[str, str], str] = {}
        self.any_lang: dict[str, str] = {}

    def add(self, lang: str, alias: str, target: str) -> None:
        k = self.key(alias)
        if not k:
            raise ValueError(f"{self.what}: {lang} name {alias!r} is empty once normalised")
        owner = self.canonical.get(k)
        if owner is not None and owner != target:
            raise ValueError(
                f"{self.what}: {lang} name {alias!r} for {target!r} collides with the canonical "
                f"name {owner!r}"
            )
        names = self.by_lang.setdefault(lang, {})
        previous = names.get(k)
        if previous is not None and previous != target:
            raise ValueError(
                f"{self.what}: {lang} name {alias!r} means both {previous!r} "
                f"({self.origin[(lang, k)]!r}) and {target!r}"
            )
        names[k] = target
        self.origin[(lang, k)] = alias

    def finish(self) -> None:
        """Build the any-language table: English first, then languages in config order."""
        order = sorted(self.by_lang, key=lambda lang: lang != "en")
        for lang in order:
            for k, target in self.by_lang[lang].items():
                self.any_lang.setdefault(k, target)

    def find(self, text: str, lang: str | None) -> str | None:
        k = self.key(text)
        hit = self.canonical.get(k)
        if hit is not None:
            return hit
        if lang:
            for code in _fallbacks(lang)[:-1]:
                names = self.by_lang.get(code)
                if names is not None:
                    hit = names.get(k)
                    if hit is not None:
                        return hit
        return self.any_lang.get(k)


@dataclass(frozen=True)
class _Kind:
    name: str
    values: tuple[str, ...]
    ordered: bool
    default: str | None
    labels: Mapping[str, Mapping[str, str]]
    lookup: _Lookup


class Vocabulary:
    """The closed value sets of the wiki contract, with localized words for each value.

    Kinds are named in the plural (`levels`, `methods`, `formats`, `statuses`, `priorities`,
    `outcomes`, `booleans`); singular forms (`level`, `format`, ...) are accepted too.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        required_languages: Iterable[str] = REQUIRED_LANGUAGES,
    ) -> None:
        kinds = data.get("kinds") if isinstance(data, Mapping) else None
        if not isinstance(kinds, Mapping) or not kinds:
            raise ValueError("vocabulary must be a mapping with a non-empty 'kinds' mapping")
        required = tuple(required_languages)
        self._kinds: dict[str, _Kind] = {}
        self._kind_names: dict[str, str] = {}
        for name, raw in kinds.items():
            kind = _parse_kind(str(name), raw, required)
            self._kinds[kind.name] = kind
            for alias in [kind.name, *_strings(raw.get("also"), f"kind {name!r} also")]:
                if self._kind_names.setdefault(alias, kind.name) != kind.name:
                    raise ValueError(f"kind name {alias!r} is used by two kinds")
        if "levels" in self._kinds:
            expected = tuple(level.canonical for level in Level)
            if self._kinds["levels"].values != expected:
                raise ValueError(f"levels must be exactly {', '.join(expected)} in that order")

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        required_languages: Iterable[str] = REQUIRED_LANGUAGES,
    ) -> Vocabulary:
        return cls(data, required_languages=required_languages)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Vocabulary:
        """Read and validate a vocabulary YAML file (default: config/vocabulary.yaml)."""
        data = _read_yaml(path if path is not None else DEFAULT_VOCABULARY_PATH)
        return cls(data if data is not None else {})

    def _kind(self, kind: str) -> _Kind:
        try:
            return self._kinds[self._kind_names[kind]]
        except KeyError:
            raise KeyError(f"unknown vocabulary kind {kind!r}") from None

    def resolve(self, kind: str, text: str, lang: str | None = None) -> str | None:
        """The canonical value `text` means in `kind`, in any language; None if it means nothing.

        `lang` is the wiki's language: it decides when a word means different values in
        different languages. KeyError for an unknown kind (a programming error, not bad input).
        """
        return self._kind(kind).lookup.find(text, lang)

    def values(self, kind: str) -> tuple[str, ...]:
        """Canonical values of `kind`, in configuration order (lowest first for levels)."""
        return self._kind(kind).values

    def default(self, kind: str) -> str | None:
        """The value the contract assumes when the parameter is left out, if it names one."""
        return self._kind(kind).default

    def label(self, kind: str, value: str, lang: str) -> str:
        """Display word for `value` in `lang`; falls back to en, then to the value itself."""
        labels = self._kind(kind).labels.get(value, {})
        for code in _fallbacks(lang):
            text = labels.get(code)
            if text:
                return text
        return value

    def kinds(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def level(self, text: str, lang: str | None = None) -> Level | None:
        """A written level ("初級", "Avancé") as a comparable `Level`, or None."""
        value = self.resolve("levels", text, lang)
        return Level.parse(value) if value is not None else None

    def alias_count(self) -> int:
        """Distinct (language, word) pairs across all kinds, for reports."""
        return sum(
            len(names) for kind in self._kinds.values() for names in kind.lookup.by_lang.values()
        )


_KIND_KEYS = frozenset({"also", "ordered", "default", "values"})
_VALUE_KEYS = frozenset({"labels", "aliases"})


def _parse_kind(name: str, raw: Any, required: tuple[str, ...]) -> _Kind:
    where = f"kind {name!r}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("values"), Mapping):
        raise ValueError(f"{where}: expected a mapping with a 'values' mapping")
    unknown = set(raw) - _KIND_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    values: list[str] = []
    for value in raw["values"]:
        if not isinstance(value, str) or not value:
            raise ValueError(f"{where}: value {value!r} must be a string (quote it in YAML)")
        values.append(value)
    lookup = _Lookup(where, values, normalize)
    labels: dict[str, dict[str, str]] = {}
    for value in values:
        spec = raw["values"][value] or {}
        vwhere = f"{where} value {value!r}"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{vwhere}: expected a mapping")
        unknown = set(spec) - _VALUE_KEYS
        if unknown:
            raise ValueError(f"{vwhere}: unknown keys {sorted(map(str, unknown))}")
        raw_labels = spec.get("labels") or {}
        raw_aliases = spec.get("aliases") or {}
        if not isinstance(raw_labels, Mapping) or not isinstance(raw_aliases, Mapping):
            raise ValueError(f"{vwhere}: 'labels' and 'aliases' must be mappings by language")
        labels[value] = {}
        for lang, text in raw_labels.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{vwhere}: label ({lang}) {text!r} must be a string (quote it)")
            label = text.strip()
            labels[value][str(lang)] = label
            lookup.add(str(lang), label, value)
        missing = [lang for lang in required if not labels[value].get(lang)]
        if missing:
            raise ValueError(f"{vwhere}: missing labels for {', '.join(missing)}")
        for lang, texts in raw_aliases.items():
            for alias in _strings(texts, f"{vwhere} aliases ({lang})"):
                lookup.add(str(lang), alias, value)
    lookup.finish()
    default = raw.get("default")
    if default is not None and default not in values:
        raise ValueError(f"{where}: default {default!r} is not one of its values")
    return _Kind(
        name=name,
        values=tuple(values),
        ordered=bool(raw.get("ordered", False)),
        default=default,
        labels=labels,
        lookup=lookup,
    )


# ---------------------------------------------------------------------- template names


def _title(name: str) -> str:
    """MediaWiki's view of a title: NFC, `_` = space, runs of spaces collapsed, first letter up."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", name)).replace("_", " ")
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _title_key(name: str) -> str:
    """Lookup key for template names: the MediaWiki title, then case-insensitive throughout.

    `{{Skill Signup}}` is a red link on the wiki, but its author plainly meant the signup
    template; reading it beats dropping the entry without a word.
    """
    return _title(name).casefold()


class TemplateNames:
    """Localized names of the SkillMatch templates and their parameters.

    Template names are compared like MediaWiki titles (underscores = spaces, runs of spaces
    collapsed, a `Template:` prefix or its localized form ignored) and, beyond MediaWiki, without
    regard to case. Parameter names are compared leniently (the `normalize` key: case, spaces,
    underscores, hyphens ignored) because `Away until=` can only mean `away_until=`.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping) or not isinstance(data.get("en"), Mapping):
            raise ValueError("templates config must be a mapping with an 'en' section")
        en = data["en"]
        if not (isinstance(en.get("templates"), Mapping) and isinstance(en.get("params"), Mapping)):
            raise ValueError("templates config: 'en' must list all 'templates' and 'params'")
        self._templates: tuple[str, ...] = tuple(_title(str(t)) for t in en["templates"])
        self._params: tuple[str, ...] = tuple(str(p) for p in en["params"])
        self._tpl = _Lookup("template names", self._templates, _title_key)
        self._par = _Lookup("parameter names", self._params, normalize)
        self._namespaces: set[str] = {"template"}
        self._tpl_aliases: dict[tuple[str, str], tuple[str, ...]] = {}
        self._par_aliases: dict[tuple[str, str], tuple[str, ...]] = {}
        for lang, section in data.items():
            lang = str(lang)
            if not isinstance(section, Mapping):
                raise ValueError(f"templates config: {lang!r} must be a mapping")
            unknown = set(section) - {"namespaces", "templates", "params"}
            if unknown:
                keys = sorted(map(str, unknown))
                raise ValueError(f"templates config {lang!r}: unknown keys {keys}")
            for ns in _strings(section.get("namespaces"), f"{lang} namespaces"):
                self._namespaces.add(ns.casefold())
            self._read_names(lang, section.get("templates"), self._tpl, self._tpl_aliases, _title)
            self._read_names(lang, section.get("params"), self._par, self._par_aliases, str)
        self._tpl.finish()
        self._par.finish()
        # Name lookups are pure and few names recur across thousands of entries.
        self._memo: dict[tuple[str, str, str | None], str | None] = {}

    @staticmethod
    def _read_names(
        lang: str,
        raw: Any,
        lookup: _Lookup,
        store: dict[tuple[str, str], tuple[str, ...]],
        canon: Any,
    ) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            raise ValueError(f"templates config {lang!r}: {lookup.what} must be a mapping")
        known = set(lookup.canonical.values())
        for canonical, aliases in raw.items():
            name = canon(str(canonical))
            if name not in known:
                raise ValueError(f"templates config {lang!r}: unknown canonical name {canonical!r}")
            names = _strings(aliases, f"{lang} {lookup.what} for {canonical!r}")
            for alias in names:
                lookup.add(lang, alias, name)
            store[(lang, name)] = tuple(names)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemplateNames:
        return cls(data)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> TemplateNames:
        """Read and validate a templates YAML file (default: config/templates.yaml)."""
        data = _read_yaml(path if path is not None else DEFAULT_TEMPLATES_PATH)
        return cls(data if data is not None else {})

    def _strip_namespace(self, name: str) -> str:
        title = _title(name)
        prefix, colon, rest = title.partition(":")
        if colon and prefix.strip().casefold() in self._namespaces:
            return _title(rest)
        return title

    def canonical_template(self, name: str, lang: str | None = None) -> str | None:
        """The canonical template `name` refers to ("スキル登録" -> "Skill signup"), or None."""
        return self._lookup("t", name, lang)

    def canonical_param(self, name: str, lang: str | None = None) -> str | None:
        """The canonical parameter `name` refers to ("利用者" -> "user"), or None."""
        return self._lookup("p", name, lang)

    def _lookup(self, kind: str, name: str, lang: str | None) -> str | None:
        key = (kind, name, lang)
        try:
            return self._memo[key]
        except KeyError:
            pass
        if kind == "t":
            hit = self._tpl.find(self._strip_namespace(name), lang)
        else:
            hit = self._par.find(name, lang)
        if len(self._memo) >= NAME_MEMO:
            self._memo.clear()
        self._memo[key] = hit
        return hit

    def aliases_for(self, canonical_template: str, lang: str) -> tuple[str, ...]:
        """Localized names of a template configured for `lang` (canonical name not included)."""
        canonical = self._tpl.canonical.get(_title_key(canonical_template))
        return self._tpl_aliases.get((lang, canonical), ()) if canonical is not None else ()

    def names_for(self, canonical_template: str, lang: str) -> tuple[str, ...]:
        """Every name a `lang` wiki's own pages typically use: local aliases, canonical, en."""
        canonical = self._tpl.canonical.get(_title_key(canonical_template))
        if canonical is None:
            return ()
        names = [*self.aliases_for(canonical, lang), canonical, *self.aliases_for(canonical, "en")]
        return tuple(dict.fromkeys(names))

    def param_aliases_for(self, canonical_param: str, lang: str) -> tuple[str, ...]:
        """Localized names of a parameter configured for `lang` (canonical name not included)."""
        return self._par_aliases.get((lang, canonical_param), ())

    def templates(self) -> tuple[str, ...]:
        return self._templates

    def params(self) -> tuple[str, ...]:
        return self._params

    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(lang for lang, _ in self._tpl_aliases))
