"""The skill taxonomy: every way volunteers write a skill, mapped to one canonical skill id.

Volunteers write skills in their own language and spelling ("SPARQL", "スパークル", "WDQS",
"Q54871", "wiki-data"). Matching compares skill ids exactly, so everything must first become one
id, and an unknown skill must be reported rather than guessed. Resolution is a single dict lookup
on a normalised key because the parser calls it for every skill of every entry; fuzzy matching
(`suggest`) runs only after a lookup has failed, to build a "did you mean" message.

Loading validates the file as a whole (unique ids, existing parents, no cycles, no name that
means two skills) so that a careless edit to the config fails the run loudly instead of quietly
re-routing learners to the wrong mentors.
"""

from __future__ import annotations

import difflib
import heapq
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

REQUIRED_LANGUAGES: tuple[str, ...] = ("en", "ja", "ar", "es", "fr")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "taxonomy.yaml"

SUGGEST_CUTOFF = 0.6
"""difflib similarity a name needs to be suggested."""

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
# A Wikidata item written as a link or URL rather than a bare id: d:Q42, wikidata:Q42,
# https://www.wikidata.org/wiki/Q42, http://www.wikidata.org/entity/Q42.
_QID_REF = re.compile(
    r"^(?:\[\[)?\s*(?:(?:https?://)?(?:www\.|m\.)?wikidata\.org/(?:wiki|entity)/|(?:d|wikidata|wd)\s*:\s*)"
    r"(Q[1-9][0-9]*)\s*(?:\|[^\]]*)?(?:\]\])?/?$",
    re.IGNORECASE,
)


def _build_table() -> dict[int, str | None]:
    """Characters `normalize` deletes or folds, as one str.translate table (one C-level pass)."""
    table: dict[int, str | None] = {}
    drop = [
        *range(0x0300, 0x0370),  # Latin/Greek combining accents (after NFD): é = e
        *range(0x064B, 0x0660),  # Arabic harakat and hamza marks (after NFD): أ = ا
        0x0670,  # Arabic superscript alef
        0x0640,  # Arabic tatweel (kashida), pure elongation
        0x00AD,  # soft hyphen
        0x180E,  # Mongolian vowel separator
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        *range(0x2066, 0x206A),  # bidi isolates
        0xFEFF,  # byte-order mark / zero-width no-break space
    ]
    separators = " \t\n\r\f\v_-'`\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    separators += "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    separators += "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"  # dashes, minus
    separators += "\u00b7\u30fb\uff65"  # middle dots: ウィキ・データ = ウィキデータ
    separators += "\u2018\u2019\u02bc\u00b4"  # apostrophes: jusqu’au = jusqu'au = jusquau
    for code in drop:
        table[code] = None
    for char in separators:
        table[ord(char)] = None
    table[ord("\u0629")] = "\u0647"  # teh marbuta -> heh, a common Arabic spelling variant
    table[ord("\u0649")] = "\u064a"  # alef maksura -> yeh
    for digit in range(10):  # Arabic-Indic and Persian digits -> ASCII
        table[0x0660 + digit] = str(digit)
        table[0x06F0 + digit] = str(digit)
    return table


_TABLE = _build_table()


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Reduce `text` to the key under which names are compared.

    NFKC (full-width letters and digits become ASCII), casefold, then accents, Arabic
    vowel marks, zero-width and bidi characters, whitespace, underscores, hyphens and apostrophes
    are removed: volunteers type these inconsistently, and none of them tells two skills apart.
    Japanese voiced marks are kept (they are not in the removed ranges), so ガ and カ differ.
    Cached because the same few hundred names recur on every page.
    """
    if text.isascii():
        return text.lower().translate(_TABLE)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFD", folded).translate(_TABLE)


@dataclass(frozen=True)
class Skill:
    """One canonical skill; immutable so a loaded taxonomy can be shared between threads."""

    id: str
    parent: str | None
    qid: str | None
    labels: Mapping[str, str] = field(hash=False)
    aliases: Mapping[str, tuple[str, ...]] = field(hash=False)

    def label(self, lang: str) -> str:
        """Display name in `lang`, else its base language (`pt-br` -> `pt`), else en, else id."""
        for code in _fallbacks(lang):
            text = self.labels.get(code)
            if text:
                return text
        return self.id

    def names(self) -> Iterator[tuple[str, str]]:
        """Every (language, name) this skill answers to: labels first, then aliases."""
        for lang, text in self.labels.items():
            yield lang, text
        for lang, texts in self.aliases.items():
            for text in texts:
                yield lang, text


def _fallbacks(lang: str) -> tuple[str, ...]:
    base = lang.split("-", 1)[0]
    return tuple(dict.fromkeys((lang, base, "en")))


class Taxonomy:
    """All skills, with O(1) resolution of any label, alias, id or QID to a skill id."""

    def __init__(
        self,
        skills: Iterable[Skill],
        *,
        required_languages: Iterable[str] = REQUIRED_LANGUAGES,
    ) -> None:
        self._skills: dict[str, Skill] = {}
        for skill in skills:
            if skill.id in self._skills:
                raise ValueError(f"duplicate skill id {skill.id!r}")
            self._skills[skill.id] = skill
        required = tuple(required_languages)
        for skill in self._skills.values():
            _check_skill(skill, required)
            if skill.parent is not None and skill.parent not in self._skills:
                raise ValueError(f"skill {skill.id!r}: parent {skill.parent!r} does not exist")
        self._check_cycles()
        self._children: dict[str, list[str]] = {sid: [] for sid in self._skills}
        for skill in self._skills.values():
            if skill.parent is not None:
                self._children[skill.parent].append(skill.id)
        self._index: dict[str, str] = {}
        self._origin: dict[str, str] = {}
        self._suggest_keys: list[str] = []
        for skill in self._skills.values():
            self._add(skill.id, skill.id, "id")
            if skill.qid is not None:
                self._add(skill.qid, skill.id, "qid")
            for lang, text in skill.names():
                if self._add(text, skill.id, lang):
                    self._suggest_keys.append(normalize(text))
            self._suggest_keys.append(normalize(skill.id))
        self._suggest_keys = list(dict.fromkeys(self._suggest_keys))
        self._chars = _CharCounts(self._suggest_keys)

    def _add(self, text: str, skill_id: str, where: str) -> bool:
        """Index one name; refuse a name that already means another skill. True if new."""
        key = normalize(text)
        if not key:
            raise ValueError(f"skill {skill_id!r}: name {text!r} ({where}) normalises to nothing")
        owner = self._index.get(key)
        if owner is None:
            self._index[key] = skill_id
            self._origin[key] = f"{text!r} ({where})"
            return True
        if owner != skill_id:
            raise ValueError(
                f"name conflict: {text!r} ({where}) of skill {skill_id!r} normalises to the same "
                f"key as {self._origin[key]} of skill {owner!r}"
            )
        return False

    def _check_cycles(self) -> None:
        done: set[str] = set()
        for start in self._skills:
            path: list[str] = []
            seen: set[str] = set()
            node: str | None = start
            while node is not None and node not in done:
                if node in seen:
                    cycle = " -> ".join([*path[path.index(node) :], node])
                    raise ValueError(f"skill parent cycle: {cycle}")
                seen.add(node)
                path.append(node)
                node = self._skills[node].parent
            done.update(path)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        required_languages: Iterable[str] = REQUIRED_LANGUAGES,
    ) -> Taxonomy:
        """Build from parsed YAML: `{"skills": [{id, parent?, qid?, labels, aliases?}, ...]}`."""
        if not isinstance(data, Mapping) or not isinstance(data.get("skills"), list):
            raise ValueError("taxonomy must be a mapping with a 'skills' list")
        return cls(
            (_skill_from_dict(raw, n) for n, raw in enumerate(data["skills"], 1)),
            required_languages=required_languages,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Taxonomy:
        """Read and validate a taxonomy YAML file (default: config/taxonomy.yaml)."""
        with open(path if path is not None else DEFAULT_PATH, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        return cls.from_dict(data if data is not None else {})

    # ------------------------------------------------------------------ lookups

    def resolve(self, text: str) -> str | None:
        """The skill id `text` names (label or alias in any language, id, or QID), else None."""
        key = normalize(text)
        hit = self._index.get(key)
        if hit is not None or not key:
            return hit
        ref = _QID_REF.match(unicodedata.normalize("NFKC", text).strip())
        if ref is not None:
            return self._index.get(ref.group(1).lower())
        return None

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Skill ids `text` probably meant ("Wikidta" -> wikidata), best first, for messages.

        Not remembered here: the validator remembers each list item it reads, suggestions
        included (bot.validate._skill_item).
        """
        key = normalize(text)
        if not key or limit <= 0:
            return []
        out = self._chars.close_groups(
            key, limit * 4, SUGGEST_CUTOFF, self._index.__getitem__, limit
        )
        if len(out) < limit and len(key) >= 3:
            # "Wikidata SPARQL queries" or "Quickstat": a known name inside the text or vice versa.
            contained = [k for k in self._suggest_keys if (len(k) >= 4 and k in key) or (key in k)]
            for match in sorted(contained, key=len, reverse=True):
                sid = self._index[match]
                if sid not in out:
                    out.append(sid)
        return out[:limit]

    def label(self, skill_id: str, lang: str) -> str:
        """Display name of `skill_id` in `lang`; falls back to en, then to the id itself."""
        skill = self._skills.get(skill_id)
        return skill.label(lang) if skill is not None else skill_id

    def get(self, skill_id: str) -> Skill | None:
        return self._skills.get(skill_id)

    def __getitem__(self, skill_id: str) -> Skill:
        return self._skills[skill_id]

    def ancestors(self, skill_id: str) -> list[str]:
        """Broader skills, nearest first (sparql -> [wikidata]).

        An unknown id has none (rather than raising) because stored records may name a skill
        that a later edit of the taxonomy removed; roll-ups should skip it, not crash the run.
        """
        out: list[str] = []
        skill = self._skills.get(skill_id)
        parent = skill.parent if skill is not None else None
        while parent is not None:
            out.append(parent)
            parent = self._skills[parent].parent
        return out

    def children(self, skill_id: str) -> list[str]:
        """Direct sub-skills in file order; none for an unknown id."""
        return list(self._children.get(skill_id, ()))

    def descendants(self, skill_id: str) -> list[str]:
        """All sub-skills, depth first in file order, so "wants Wikidata" can match SPARQL."""
        out: list[str] = []
        stack = list(reversed(self._children.get(skill_id, ())))
        while stack:
            sid = stack.pop()
            out.append(sid)
            stack.extend(reversed(self._children[sid]))
        return out

    def roots(self) -> list[str]:
        """Skills without a parent, in file order."""
        return [s.id for s in self._skills.values() if s.parent is None]

    def ids(self) -> list[str]:
        return list(self._skills)

    def languages(self) -> list[str]:
        """Every language code that has at least one label or alias, sorted."""
        langs: set[str] = set()
        for skill in self._skills.values():
            langs.update(skill.labels)
            langs.update(skill.aliases)
        return sorted(langs)

    def name_count(self) -> int:
        """How many distinct normalised names (ids, QIDs, labels, aliases) resolve."""
        return len(self._index)

    def __iter__(self) -> Iterator[Skill]:
        """Skills (not ids) in file order."""
        return iter(self._skills.values())

    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, item: object) -> bool:
        """True for a known skill id (or Skill); names and QIDs need `resolve`."""
        if isinstance(item, Skill):
            return self._skills.get(item.id) == item
        return isinstance(item, str) and item in self._skills

    def __repr__(self) -> str:
        return f"<Taxonomy {len(self)} skills, {self.name_count()} names>"


# ---------------------------------------------------------------------- parsing helpers


def _lcs(masks: Mapping[str, int], m: int, other: str) -> int:
    """Length of the longest common subsequence of a word (given as its character position
    masks and length `m`) and `other`: the bit-parallel algorithm of Allison and Dix."""
    full = (1 << m) - 1
    v = full
    for ch in other:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
    return m - v.bit_count()


class _CharCounts:
    """Fuzzy name search with ``difflib.get_close_matches``'s answers, for less work.

    difflib tries every name in turn and prunes with ``quick_ratio`` (characters in common,
    order ignored), an upper bound of the real ratio. Here that bound is computed for all
    names at once from a names × characters count matrix; the few names that pass get the
    tighter longest-common-subsequence bound, are scored best bound first, and the search
    stops as soon as no bound left can change the answer.
    """

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.column: dict[str, int] = {}
        for name in names:
            for ch in name:
                self.column.setdefault(ch, len(self.column))
        self.counts = np.zeros((len(names), len(self.column)), dtype=np.int32)
        for row, name in enumerate(names):
            for ch in name:
                self.counts[row, self.column[ch]] += 1
        self.lengths = np.asarray([len(n) for n in names], dtype=np.float64)

    def close_groups(
        self, word: str, n: int, cutoff: float, group: Callable[[str], str], limit: int
    ) -> list[str]:
        """The first `limit` distinct ``group(name)`` among the names that
        ``difflib.get_close_matches(word, names, n, cutoff)`` returns, in its order."""
        common = np.zeros(len(self.names), dtype=np.int64)
        for ch in set(word):
            col = self.column.get(ch)
            if col is not None:
                common += np.minimum(self.counts[:, col], word.count(ch))
        loose = 2.0 * common / (self.lengths + len(word))
        rows = np.flatnonzero(loose >= cutoff).tolist()
        # A tighter bound for the survivors: difflib's matching blocks form a common
        # subsequence, so its ratio never exceeds 2·LCS / (len(a) + len(b)).
        masks: dict[str, int] = {}
        for i, ch in enumerate(word):
            masks[ch] = masks.get(ch, 0) | (1 << i)
        tight = [
            (2.0 * _lcs(masks, len(word), self.names[r]) / (len(self.names[r]) + len(word)), r)
            for r in rows
        ]
        tight.sort(key=lambda pair: -pair[0])  # stable: ties keep the names' order
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        scored: list[tuple[float, str]] = []
        answer: list[str] = []
        enough = cutoff  # a name whose bound is below this cannot change the answer
        for bound, row in tight:
            if bound < enough:
                break
            matcher.set_seq1(self.names[row])
            ratio = matcher.ratio()
            if ratio < cutoff:
                continue
            scored.append((ratio, self.names[row]))
            answer, reach = self._answer(scored, n, group, limit)
            enough = max(cutoff, reach)
        return answer if scored else []

    @staticmethod
    def _answer(
        scored: list[tuple[float, str]], n: int, group: Callable[[str], str], limit: int
    ) -> tuple[list[str], float]:
        """Groups of the best names so far, and the ratio a newcomer must reach to matter:
        that of the name completing `limit` groups, or of the n-th name (ties count, as
        difflib orders them by name)."""
        top = heapq.nlargest(n, scored)
        out: list[str] = []
        for ratio, name in top:
            g = group(name)
            if g not in out:
                out.append(g)
                if len(out) == limit:
                    return out, ratio
        return out, (top[-1][0] if len(top) == n else -1.0)


_SKILL_KEYS = frozenset({"id", "parent", "qid", "labels", "aliases"})


def _skill_from_dict(raw: Any, n: int) -> Skill:
    if not isinstance(raw, Mapping):
        raise ValueError(f"skill #{n}: expected a mapping, got {type(raw).__name__}")
    sid = raw.get("id")
    where = f"skill #{n} ({sid!r})"
    unknown = set(raw) - _SKILL_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    if not isinstance(sid, str):
        raise ValueError(f"{where}: 'id' must be a string")
    parent = raw.get("parent")
    qid = raw.get("qid")
    for name, value in (("parent", parent), ("qid", qid)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: {name!r} must be a string")
    labels = raw.get("labels") or {}
    if not isinstance(labels, Mapping):
        raise ValueError(f"{where}: 'labels' must be a mapping of language -> name")
    aliases = raw.get("aliases") or {}
    if not isinstance(aliases, Mapping):
        raise ValueError(f"{where}: 'aliases' must be a mapping of language -> list of names")
    clean_aliases: dict[str, tuple[str, ...]] = {}
    for lang, names in aliases.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            raise ValueError(f"{where}: aliases[{lang!r}] must be a list")
        clean_aliases[str(lang)] = tuple(_text(name, f"{where} alias ({lang})") for name in names)
    return Skill(
        id=sid,
        parent=parent,
        qid=qid.upper() if isinstance(qid, str) else None,
        labels=MappingProxyType(
            {str(lang): _text(text, f"{where} label ({lang})") for lang, text in labels.items()}
        ),
        aliases=MappingProxyType(clean_aliases),
    )


def _text(value: Any, where: str) -> str:
    """Names must be strings: YAML reads unquoted yes/no/1.0 as other types, which is a typo."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: {value!r} is not a string (quote it in YAML)")
    text: str = value.strip()
    if not text:
        raise ValueError(f"{where}: empty name")
    return text


def _check_skill(skill: Skill, required: tuple[str, ...]) -> None:
    if not _ID.match(skill.id):
        raise ValueError(f"skill id {skill.id!r} must be a lowercase ascii slug like 'sparql'")
    if skill.parent == skill.id:
        raise ValueError(f"skill parent cycle: {skill.id} -> {skill.id}")
    if skill.qid is not None and not _QID.match(skill.qid):
        raise ValueError(f"skill {skill.id!r}: qid {skill.qid!r} is not a Wikidata item id")
    missing = [lang for lang in required if not skill.labels.get(lang)]
    if missing:
        raise ValueError(f"skill {skill.id!r}: missing labels for {', '.join(missing)}")
