"""Usernames are capitalised as MediaWiki on Wikimedia wikis capitalises them.

Why: an entry counts only if the named user wrote it, so the parsed name must equal the
account name MediaWiki reports. MediaWiki uppercases the first letter
(Language::ucfirst), but Wikimedia overrides PHP's mapping where it would change a
name's length or script ('ßen' stays 'ßen', not 'SSen'; Georgian stays Mkhedruli).
"""

from __future__ import annotations

import pytest

from bot.usernames import ucfirst
from tests.helpers import codes, parse

# $wgOverrideUcfirstCharacters on Wikimedia wikis: wikimedia/operations-mediawiki-config,
# wmf-config/UcfirstOverrides.php (236 entries), first letter -> what MediaWiki makes of it.
# (U+1FD3 and U+1FE3 are there as written, not in NFC: they are distinct keys.)
KEYS = (
    "\u00df\u0149\u01c4\u01c5\u01c6\u01c7\u01c8\u01c9\u01ca\u01cb\u01cc\u01f0"
    "\u01f1\u01f2\u01f3\u0345\u0390\u03b0\u0587\u10d0\u10d1\u10d2\u10d3\u10d4"
    "\u10d5\u10d6\u10d7\u10d8\u10d9\u10da\u10db\u10dc\u10dd\u10de\u10df\u10e0"
    "\u10e1\u10e2\u10e3\u10e4\u10e5\u10e6\u10e7\u10e8\u10e9\u10ea\u10eb\u10ec"
    "\u10ed\u10ee\u10ef\u10f0\u10f1\u10f2\u10f3\u10f4\u10f5\u10f6\u10f7\u10f8"
    "\u10f9\u10fa\u10fd\u10fe\u10ff\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52"
    "\u1f54\u1f56\u1f80\u1f81\u1f82\u1f83\u1f84\u1f85\u1f86\u1f87\u1f88\u1f89"
    "\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f90\u1f91\u1f92\u1f93\u1f94\u1f95"
    "\u1f96\u1f97\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1fa0\u1fa1"
    "\u1fa2\u1fa3\u1fa4\u1fa5\u1fa6\u1fa7\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad"
    "\u1fae\u1faf\u1fb2\u1fb3\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fc3\u1fc4\u1fc6"
    "\u1fc7\u1fcc\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2"
    "\u1ff3\u1ff4\u1ff6\u1ff7\u1ffc\u2170\u2171\u2172\u2173\u2174\u2175\u2176"
    "\u2177\u2178\u2179\u217a\u217b\u217c\u217d\u217e\u217f\u24d0\u24d1\u24d2"
    "\u24d3\u24d4\u24d5\u24d6\u24d7\u24d8\u24d9\u24da\u24db\u24dc\u24dd\u24de"
    "\u24df\u24e0\u24e1\u24e2\u24e3\u24e4\u24e5\u24e6\u24e7\u24e8\u24e9\ua7b9"
    "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17"
    "\U00016e60\U00016e61\U00016e62\U00016e63\U00016e64\U00016e65\U00016e66\U00016e67\U00016e68\U00016e69\U00016e6a\U00016e6b"
    "\U00016e6c\U00016e6d\U00016e6e\U00016e6f\U00016e70\U00016e71\U00016e72\U00016e73\U00016e74\U00016e75\U00016e76\U00016e77"
    "\U00016e78\U00016e79\U00016e7a\U00016e7b\U00016e7c\U00016e7d\U00016e7e\U00016e7f"
)
VALUES = (
    "\u00df\u0149\u01c4\u01c5\u01c4\u01c7\u01c8\u01c7\u01ca\u01cb\u01ca\u01f0"
    "\u01f1\u01f2\u01f1\u0345\u0390\u03b0\u0587\u10d0\u10d1\u10d2\u10d3\u10d4"
    "\u10d5\u10d6\u10d7\u10d8\u10d9\u10da\u10db\u10dc\u10dd\u10de\u10df\u10e0"
    "\u10e1\u10e2\u10e3\u10e4\u10e5\u10e6\u10e7\u10e8\u10e9\u10ea\u10eb\u10ec"
    "\u10ed\u10ee\u10ef\u10f0\u10f1\u10f2\u10f3\u10f4\u10f5\u10f6\u10f7\u10f8"
    "\u10f9\u10fa\u10fd\u10fe\u10ff\u1e96\u1e97\u1e98\u1e99\u1e9a\u1f50\u1f52"
    "\u1f54\u1f56\u1f88\u1f89\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f88\u1f89"
    "\u1f8a\u1f8b\u1f8c\u1f8d\u1f8e\u1f8f\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d"
    "\u1f9e\u1f9f\u1f98\u1f99\u1f9a\u1f9b\u1f9c\u1f9d\u1f9e\u1f9f\u1fa8\u1fa9"
    "\u1faa\u1fab\u1fac\u1fad\u1fae\u1faf\u1fa8\u1fa9\u1faa\u1fab\u1fac\u1fad"
    "\u1fae\u1faf\u1fb2\u1fbc\u1fb4\u1fb6\u1fb7\u1fbc\u1fc2\u1fcc\u1fc4\u1fc6"
    "\u1fc7\u1fcc\u1fd2\u1fd3\u1fd6\u1fd7\u1fe2\u1fe3\u1fe4\u1fe6\u1fe7\u1ff2"
    "\u1ffc\u1ff4\u1ff6\u1ff7\u1ffc\u2170\u2171\u2172\u2173\u2174\u2175\u2176"
    "\u2177\u2178\u2179\u217a\u217b\u217c\u217d\u217e\u217f\u24d0\u24d1\u24d2"
    "\u24d3\u24d4\u24d5\u24d6\u24d7\u24d8\u24d9\u24da\u24db\u24dc\u24dd\u24de"
    "\u24df\u24e0\u24e1\u24e2\u24e3\u24e4\u24e5\u24e6\u24e7\u24e8\u24e9\ua7b9"
    "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06\ufb13\ufb14\ufb15\ufb16\ufb17"
    "\U00016e60\U00016e61\U00016e62\U00016e63\U00016e64\U00016e65\U00016e66\U00016e67\U00016e68\U00016e69\U00016e6a\U00016e6b"
    "\U00016e6c\U00016e6d\U00016e6e\U00016e6f\U00016e70\U00016e71\U00016e72\U00016e73\U00016e74\U00016e75\U00016e76\U00016e77"
    "\U00016e78\U00016e79\U00016e7a\U00016e7b\U00016e7c\U00016e7d\U00016e7e\U00016e7f"
)
WIKIMEDIA_OVERRIDES = dict(zip(KEYS, VALUES, strict=True))


def test_table_is_complete() -> None:
    assert len(WIKIMEDIA_OVERRIDES) == 236


@pytest.mark.parametrize(("first", "expected"), sorted(WIKIMEDIA_OVERRIDES.items()))
def test_wikimedia_overrides_are_followed(first: str, expected: str) -> None:
    assert ucfirst(first + "x") == expected + "x"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "Alice"),
        ("Alice", "Alice"),
        ("ßen", "ßen"),
        ("ǆuro", "Ǆuro"),
        ("ǅuro", "ǅuro"),
        ("ავთო", "ავთო"),
        ("ıșık", "Ișık"),
        ("iris", "Iris"),
        ("ﬁona", "ﬁona"),
        ("ᾀx", "ᾈx"),
        ("émile", "Émile"),
        ("ñandú", "Ñandú"),
        ("ωmega", "Ωmega"),
        ("иван", "Иван"),
        ("さくら", "さくら"),
        ("فريد", "فريد"),
        ("ǰ", "ǰ"),
        ("ŉ", "ŉ"),
        ("ſam", "Sam"),
        ("1abc", "1abc"),
        ("", ""),
    ],
)
def test_first_letter(name: str, expected: str) -> None:
    assert ucfirst(name) == expected


def test_first_letter_never_changes_length_and_is_idempotent() -> None:
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        once = ucfirst(chr(code) + "b")
        assert len(once) == 2, hex(code)
        assert once[1] == "b"
        assert ucfirst(once) == once, hex(code)


@pytest.mark.parametrize(
    ("written", "user"),
    [
        ("ßen", "ßen"),
        ("User:ßen", "ßen"),
        ("ǆuro", "Ǆuro"),
        ("ავთო", "ავთო"),
        ("ᾀx", "ᾈx"),
        ("émile_zola", "Émile zola"),
    ],
)
def test_signup_user_is_capitalised_like_mediawiki(written: str, user: str) -> None:
    r = parse(f"{{{{Skill signup|user={written}|wants=Lua|languages=en}}}}")
    assert codes(r) == []
    assert [s.user for s in r.signups] == [user]


def test_same_user_written_in_lower_case_is_a_duplicate() -> None:
    r = parse(
        "{{Skill signup|user=ßen|wants=Lua|languages=en}}\n"
        "{{Skill signup|user=ßen|wants=SPARQL|languages=en}}\n"
        "{{Skill signup|user=SSen|wants=SPARQL|languages=en}}"
    )
    assert [s.user for s in r.signups] == ["ßen", "SSen"]
    assert codes(r) == ["duplicate-entry"]
