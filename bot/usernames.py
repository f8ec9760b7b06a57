"""Usernames as MediaWiki spells them: the one rule the parser, the history check, the badge
rules and the web tool compare names by."""

from __future__ import annotations

import re
from collections.abc import Iterable

# First letters MediaWiki on Wikimedia wikis keeps although PHP's mb_strtoupper would change
# them ($wgOverrideUcfirstCharacters, wmf-config/UcfirstOverrides.php in
# wikimedia/operations-mediawiki-config): titlecase digraphs (ǅ), Georgian Mkhedruli (titles
# never use Mtavruli), small roman numerals, circled letters, and letters newer than the PHP
# the table was made for. Its other entries are what `ucfirst` computes anyway.
_UCFIRST_KEEP = re.compile(
    "[\u01c5\u01c8\u01cb\u01f2\u0345\u10d0-\u10fa\u10fd-\u10ff\u2170-\u217f\u24d0-\u24e9"
    "\ua7b9\U00016e60-\U00016e7f]"
)


def ucfirst(name: str) -> str:
    """The first letter uppercased as MediaWiki does on Wikimedia wikis (Language::ucfirst
    with Wikimedia's overrides), so a parsed username equals the account name.

    Only a one-character result is taken: 'ßen' stays 'ßen' (not 'SSen', which would be
    another account), 'ᾀ' becomes its titlecase 'ᾈ' (not 'ἈΙ'); so a name never changes
    length. Turkish wikis' dotted 'İ' is not modelled: names are compared as on Meta-Wiki.
    """
    if not name:
        return name
    first = name[0]
    if first.isascii():
        return first.upper() + name[1:]
    if _UCFIRST_KEEP.match(first):
        return name
    upper = first.upper()
    if len(upper) != 1:
        upper = first.title()
        if len(upper) != 1:
            return name
    return upper + name[1:]


def normalize_user(name: str) -> str:
    """MediaWiki's form of a username: underscores are spaces, runs of spaces folded, first
    letter as its ``ucfirst``."""
    return ucfirst(" ".join(name.replace("_", " ").split()))


DEFAULT_USER_PREFIXES: tuple[str, ...] = ("User",)
"""The user namespace's canonical name, understood on every wiki; each wiki adds its own
localized names and aliases (from siteinfo) to it."""


def user_prefixes(names: Iterable[str]) -> tuple[str, ...]:
    """Namespace names as compared: casefolded, underscores as spaces, no trailing colon;
    the canonical `User` always among them."""
    out = dict.fromkeys(
        " ".join(n.replace("_", " ").split()).casefold()
        for n in (*DEFAULT_USER_PREFIXES, *names)
        if n.strip()
    )
    return tuple(out)


def strip_user_prefix(value: str, prefixes: Iterable[str] = DEFAULT_USER_PREFIXES) -> str:
    """`Utilisateur:Erin` → `Erin` when `Utilisateur` is one of the wiki's user-namespace
    names (any case, underscores or spaces, spaces around the colon); anything else unchanged.

    `prefixes` are the wiki's own names (pass them in: this module does no I/O), so a
    title in another namespace (`Project:Erin`) is never taken for a username.
    """
    ns, sep, rest = value.partition(":")
    if not sep:
        return value
    wanted = set(user_prefixes(prefixes))
    if " ".join(ns.replace("_", " ").split()).casefold() in wanted:
        return rest.strip(" _")
    return value
