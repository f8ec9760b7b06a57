"""Small shared builders for tests (no fixtures with side effects here)."""

from __future__ import annotations

from datetime import date
from functools import cache

from bot.config import CONFIG_DIR
from bot.gather import Core, parse_text
from bot.models import ParseResult

TODAY = date(2026, 11, 25)


@cache
def core() -> Core:
    return Core.load(
        CONFIG_DIR / "taxonomy.yaml", CONFIG_DIR / "vocabulary.yaml", CONFIG_DIR / "templates.yaml"
    )


def parse(text: str, lang: str = "en") -> ParseResult:
    return parse_text(text, core(), lang, "testwiki", "Test page", TODAY)


def codes(result: ParseResult) -> list[str]:
    return [p.code for p in result.problems]
