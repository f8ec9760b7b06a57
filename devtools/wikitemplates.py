"""Install SkillMatch's on-wiki templates (config/wiki-templates) on a local wiki.

Each localized template name from config/templates.yaml becomes a thin wrapper that passes its
localized parameters on to the canonical template, so `{{スキル登録|利用者=さくら}}` renders
like `{{Skill signup|user=さくら}}` (a redirect would keep the localized parameter names).
"""

from __future__ import annotations

from pathlib import Path

from bot.config import CONFIG_DIR
from bot.validate import ALLOWED
from bot.vocabulary import TemplateNames
from devtools.localwiki import LocalWiki

TEMPLATE_DIR = CONFIG_DIR / "wiki-templates"


def install(wiki: LocalWiki, *, user: str = "Admin", directory: Path = TEMPLATE_DIR) -> int:
    """Write every template and its localized redirects; returns the number of pages written."""
    client = wiki.client(user)
    names = TemplateNames.load(CONFIG_DIR / "templates.yaml")
    written = 0
    for path in sorted(directory.glob("*.wiki")):
        canonical = path.stem
        client.edit(
            f"Template:{canonical}", path.read_text(encoding="utf-8"), "SkillMatch template"
        )
        written += 1
        for alias in names.aliases_for(canonical, wiki.lang):
            if alias != canonical:
                client.edit(
                    f"Template:{alias}",
                    wrapper(canonical, names, wiki.lang),
                    "SkillMatch template",
                )
                written += 1
    return written


EXTRA_PARAMS = {"Skill badge": ("user", "badge", "skill", "date", "id", "url")}


def wrapper(canonical: str, names: TemplateNames, lang: str) -> str:
    """`{{Canonical|p={{{alias1|{{{alias2|{{{p|}}}}}}}}}…}}` for every parameter."""
    params = sorted(ALLOWED.get(canonical, ())) or list(EXTRA_PARAMS.get(canonical, ()))
    parts = []
    for param in params:
        value = f"{{{{{{{param}|}}}}}}"
        for alias in reversed(names.param_aliases_for(param, lang)):
            value = f"{{{{{{{alias}|{value}}}}}}}"
        parts.append(f"|{param}={value}")
    return f"<includeonly>{{{{{canonical}{''.join(parts)}}}}}</includeonly>"
