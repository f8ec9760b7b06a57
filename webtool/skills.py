"""Skill names and hierarchy for the web tool, from the bot's taxonomy when it is there.

The bot canonicalises every skill to an id before it stores anything, so the web tool only has
to turn ids back into labels in the reader's language and walk parents and children. This
module wraps ``bot.taxonomy.Taxonomy`` behind the few calls the pages need, and falls back to
"the id is the label" when the taxonomy file or module is missing, so the tool still serves data
(with plain ids) rather than failing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkillInfo:
    """What the pages show of one taxonomy entry."""

    id: str
    parent: str | None = None
    qid: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


class Skills:
    """Labels, Wikidata ids and the parent/child tree of the configured taxonomy."""

    def __init__(self, infos: Iterable[SkillInfo]) -> None:
        self._by_id: dict[str, SkillInfo] = {info.id: info for info in infos}
        self._children: dict[str, list[str]] = {}
        for info in self._by_id.values():
            if info.parent:
                self._children.setdefault(info.parent, []).append(info.id)
        for kids in self._children.values():
            kids.sort()

    @classmethod
    def load(cls, path: str) -> Skills:
        """Read the taxonomy through ``bot.taxonomy``; an empty tree if that is impossible."""
        try:
            from bot import taxonomy as taxonomy_module
        except ImportError:
            log.warning("bot.taxonomy is not available; skill ids are shown as labels")
            return cls(())
        try:
            taxonomy = taxonomy_module.Taxonomy.load(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("cannot load taxonomy %s: %s", path, exc)
            return cls(())
        return cls.from_taxonomy(taxonomy)

    @classmethod
    def from_taxonomy(cls, taxonomy: Iterable[Any]) -> Skills:
        infos = []
        for skill in taxonomy:
            labels = getattr(skill, "labels", {}) or {}
            infos.append(
                SkillInfo(
                    id=str(skill.id),
                    parent=getattr(skill, "parent", None) or None,
                    qid=getattr(skill, "qid", None) or None,
                    labels={str(k).lower(): str(v) for k, v in dict(labels).items()},
                )
            )
        return cls(infos)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def get(self, skill_id: str) -> SkillInfo | None:
        return self._by_id.get(skill_id)

    def label(self, skill_id: str, chain: Sequence[str]) -> tuple[str, str | None]:
        """(label, language of the label); the language is None when the id stands in."""
        info = self._by_id.get(skill_id)
        if info is not None:
            for code in chain:
                if code in info.labels:
                    return info.labels[code], code
            if info.labels:
                code = "en" if "en" in info.labels else sorted(info.labels)[0]
                return info.labels[code], code
        return skill_id, None

    def roots(self) -> list[str]:
        """Skills without a (known) parent: summing over them counts each rolled-up need once."""
        return sorted(
            i
            for i, info in self._by_id.items()
            if not info.parent or info.parent not in self._by_id
        )

    def children(self, skill_id: str) -> list[str]:
        return list(self._children.get(skill_id, ()))

    def ancestors(self, skill_id: str) -> list[str]:
        """Parent first, root last; stops on a cycle rather than looping."""
        out: list[str] = []
        info = self._by_id.get(skill_id)
        while info is not None and info.parent and info.parent not in out:
            out.append(info.parent)
            info = self._by_id.get(info.parent)
        return out

    def descendants(self, skill_id: str) -> list[str]:
        out: list[str] = []
        stack = list(reversed(self.children(skill_id)))
        while stack:
            item = stack.pop()
            if item in out or item == skill_id:
                continue
            out.append(item)
            stack.extend(reversed(self.children(item)))
        return out
