"""Refresh config/mediawiki-languages.json from the local MediaWiki install.

The bot accepts every language code MediaWiki knows; rather than keep that list by hand, this
script asks MediaWiki's own PHP for it (``Names::$names``, the deprecated and non-standard code
mappings of ``LanguageCode``) and reads each language's ``$fallback`` chain from its
``Messages*.php``. Run it after upgrading MediaWiki: ``python -m devtools.refresh_languages``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bot.config import CONFIG_DIR

MEDIAWIKI = Path("/usr/share/mediawiki")
SNAPSHOT = CONFIG_DIR / "mediawiki-languages.json"

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


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else SNAPSHOT
    data = snapshot()
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    target.write_text(text, encoding="utf-8")
    names = data["names"]
    assert isinstance(names, dict)
    print(f"{target}: {len(names)} language codes (MediaWiki {data['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
