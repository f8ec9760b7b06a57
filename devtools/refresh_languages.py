"""Refresh config/mediawiki-languages.json and config/mediawiki-plurals.json from MediaWiki.

The bot accepts every language code MediaWiki knows; rather than keep that list by hand, this
script asks MediaWiki's own PHP for it (``Names::$names``, the deprecated and non-standard code
mappings of ``LanguageCode``) and reads each language's ``$fallback`` chain from its
``Messages*.php``. The plural rules are MediaWiki's ``languages/data/plurals.xml`` (CLDR) with
``plurals-mediawiki.xml`` overriding it per language, as ``LocalisationCache`` loads them, in the
order MediaWiki numbers ``{{PLURAL:}}`` forms. Run it after upgrading MediaWiki:
``python -m devtools.refresh_languages``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from bot.config import CONFIG_DIR

MEDIAWIKI = Path("/usr/share/mediawiki")
SNAPSHOT = CONFIG_DIR / "mediawiki-languages.json"
PLURALS = CONFIG_DIR / "mediawiki-plurals.json"

_PHP = r"""
require $argv[1] . '/includes/languages/data/Names.php';
require $argv[1] . '/includes/language/LanguageCode.php';
echo json_encode([
    'names' => MediaWiki\Languages\Data\Names::$names,
    'deprecated' => LanguageCode::getDeprecatedCodeMapping(),
    'nonstandard' => LanguageCode::getNonstandardLanguageCodeMapping(),
], JSON_UNESCAPED_UNICODE);
"""

_VERSION = re.compile(r"define\(\s*'MW_VERSION',\s*'([^']+)'")
_FALLBACK = re.compile(r"^\$fallback\s*=\s*'([^']*)'\s*;", re.MULTILINE)


def fallbacks(mediawiki: Path) -> dict[str, list[str]]:
    """Each language's fallback chain as its Messages file declares it (``zh-hant`` → zh-tw…)."""
    chains: dict[str, list[str]] = {}
    for path in sorted((mediawiki / "languages" / "messages").glob("Messages*.php")):
        code = path.stem.removeprefix("Messages").lower().replace("_", "-")
        match = _FALLBACK.search(path.read_text(encoding="utf-8"))
        if match:
            chain = [c.strip() for c in match.group(1).split(",") if c.strip()]
            if chain:
                chains[code] = chain
    return chains


def snapshot(mediawiki: Path = MEDIAWIKI) -> dict[str, object]:
    """MediaWiki's language data as one JSON-ready mapping."""
    out = subprocess.run(
        ["php", "-r", _PHP, "--", str(mediawiki)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    data["fallbacks"] = fallbacks(mediawiki)
    defines = (mediawiki / "includes" / "Defines.php").read_text(encoding="utf-8")
    version = _VERSION.search(defines)
    data["version"] = version.group(1) if version else "unknown"
    return data


def plural_rules(mediawiki: Path = MEDIAWIKI) -> dict[str, list[list[str]]]:
    """Per locale, its (category, CLDR condition) pairs in MediaWiki's order, ``other`` left out.

    Like ``LocalisationCache::loadPluralFile``: locales split on spaces, samples (``@integer``…)
    dropped, and a later file replaces a locale's rules.
    """
    rules: dict[str, list[list[str]]] = {}
    for name in ("plurals.xml", "plurals-mediawiki.xml"):
        # The local MediaWiki install's own data files, not untrusted input.
        root = ET.parse(mediawiki / "languages" / "data" / name).getroot()  # noqa: S314
        for ruleset in root.iter("pluralRules"):
            pairs = [
                [str(rule.get("count")), (rule.text or "").split("@")[0].strip()]
                for rule in ruleset.iter("pluralRule")
                if rule.get("count") != "other"
            ]
            for code in (ruleset.get("locales") or "").split(" "):
                if code:
                    rules[code] = pairs
    return rules


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str]) -> int:
    """Write both snapshots (into the directory ``argv[0]`` if given, else config/)."""
    directory = Path(argv[0]) if argv else CONFIG_DIR
    data = snapshot()
    _write(directory / SNAPSHOT.name, data)
    rules = plural_rules()
    _write(directory / PLURALS.name, {"version": data["version"], "rules": rules})
    names = data["names"]
    assert isinstance(names, dict)
    print(
        f"{directory}: {len(names)} language codes, plural rules for {len(rules)} "
        f"(MediaWiki {data['version']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
