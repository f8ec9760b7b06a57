"""Languages are shown to people by name, in the reader's language, never as a bare code."""

from __future__ import annotations

import pytest

from bot import langnames, languages


@pytest.mark.parametrize(
    ("code", "reader", "shown"),
    [
        ("fr", "en", "French"),
        ("fr", "fr", "français"),
        ("wo", "fr", "wolof"),
        ("ja", "ja", "日本語"),
        ("ar", "ar", "العربية"),
        ("zh-hant", "en", "Chinese (Traditional)"),
        ("sr-ec", "en", "Serbian (Cyrillic)"),  # not "Serbian (Ecuador)"
        ("be-x-old", "en", "Belarusian (Taraskievica orthography)"),
        ("de-formal", "en", "Deutsch (Sie-Form)"),  # no CLDR name: MediaWiki's autonym
        ("dag", "en", "dagbanli"),
        ("xx", "en", "xx"),  # unknown: the code is all there is
    ],
)
def test_name_in_the_readers_language(code: str, reader: str, shown: str) -> None:
    assert langnames.name(code, reader) == shown


def test_label_adds_the_autonym_when_it_differs() -> None:
    assert langnames.label("fr", "en") == "French (français)"
    assert langnames.label("fr", "fr") == "français"
    assert langnames.label("ja", "ar") == "اليابانية (日本語)"


def test_every_mediawiki_code_gets_a_name_not_a_code() -> None:
    bare = [
        code
        for code in languages.mediawiki().names
        for reader in ("en", "ar", "ja")
        if langnames.name(code, reader) == code
    ]
    assert bare == []


def test_an_unknown_reader_language_reads_english() -> None:
    assert langnames.name("fr", "qqq-x-none") == "French"
