"""SkillMatch's ``{{PLURAL:}}`` picks the form MediaWiki's own ``Language::convertPlural`` picks.

The oracle is the local MediaWiki 1.39 (PHP, through ``maintenance/eval.php`` on the test wiki):
every language MediaWiki knows or has plural rules for, n in 0-200, 1001 and 1.5, with six
numbered forms (so the index MediaWiki chose is visible) and again with explicit ``N=`` forms.
One PHP run does it all. It takes about a minute and a half, nearly all of it MediaWiki
building its localisation cache for 500 languages, so its answer is kept next to the wiki
templates, keyed by the MediaWiki version, its plural data files, the PHP code and the input:
later runs take a few seconds, and any change to MediaWiki or to the question asks it again.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest

from bot import languages, plurals
from devtools.localwiki import LocalWiki, default_cache_dir, mediawiki_version

pytestmark = pytest.mark.wiki

NUMBERS: list[int | float] = [*range(201), 1001, 1.5]
FORMS = ["f0", "f1", "f2", "f3", "f4", "f5"]
EXPLICIT = ["0=zero", "1=single", "f0", "12=dozen", "f1", "f2", "f3", "f4", "f5"]
SHORT = ["a", "b"]  # fewer forms than categories: MediaWiki clamps to the last

_PHP = r"""
$lf = \MediaWiki\MediaWikiServices::getInstance()->getLanguageFactory();
$out = [];
foreach ( $__a['codes'] as $code ) {
    $lang = $lf->getLanguage( $code );
    $row = [];
    foreach ( $__a['forms'] as $forms ) {
        foreach ( $__a['numbers'] as $n ) {
            $row[] = $lang->convertPlural( $n, $forms );
        }
    }
    $out[$code] = $row;
}
echo LOCALWIKI_RESULT . json_encode( $out );
"""


def oracle(wiki: LocalWiki, payload: dict[str, object]) -> dict[str, list[str]]:
    """MediaWiki's answers (from the cache when MediaWiki and the question are unchanged)."""
    data = wiki.mw_dir / "languages" / "data"
    key = hashlib.sha256()
    for part in (
        mediawiki_version(wiki.mw_dir),
        (data / "plurals.xml").read_text(encoding="utf-8"),
        (data / "plurals-mediawiki.xml").read_text(encoding="utf-8"),
        _PHP,
        json.dumps(payload, sort_keys=True),
    ):
        key.update(part.encode())
    path = default_cache_dir() / f"plurals-oracle-{key.hexdigest()[:24]}.json"
    if path.is_file():
        cached: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
        return cached
    answer: dict[str, list[str]] = wiki.php_eval(_PHP, payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(answer), encoding="utf-8")
    tmp.replace(path)
    return answer


def codes() -> list[str]:
    """Every code MediaWiki knows, plus every locale its plural files name (valid codes only)."""
    rules = json.loads(plurals._DATA.read_text(encoding="utf-8"))["rules"]
    with_rules = {c for c in rules if c == c.lower() and "_" not in c}
    return sorted(set(languages.mediawiki().names) | with_rules)


def test_every_language_matches_convert_plural(meta_wiki: LocalWiki) -> None:
    all_codes = codes()
    assert len(all_codes) > 490
    form_sets = [FORMS, EXPLICIT, SHORT]
    expected = oracle(meta_wiki, {"codes": all_codes, "numbers": NUMBERS, "forms": form_sets})
    assert set(expected) == set(all_codes)
    wrong: list[str] = []
    distinct_forms = 0
    for code in all_codes:
        ours = [plurals.select(code, n, forms) for forms in form_sets for n in NUMBERS]
        distinct_forms = max(distinct_forms, len(set(ours[: len(NUMBERS)])))
        for i, (mine, theirs) in enumerate(zip(ours, expected[code], strict=True)):
            if mine != theirs:
                n = NUMBERS[i % len(NUMBERS)]
                wrong.append(f"{code} n={n} forms#{i // len(NUMBERS)}: ours {mine} MW {theirs}")
    langs = sorted({w.split()[0] for w in wrong})
    assert not wrong, f"{len(wrong)} differences in {langs}, first: {wrong[:20]}"
    assert distinct_forms == 6  # Arabic uses all six forms: the comparison is not vacuous


def test_languages_with_only_other_get_english_rules_as_in_mediawiki() -> None:
    # Language::getCompiledPluralRules treats an empty rule list as none and falls back to
    # English: MediaWiki 1.39 renders {{PLURAL:2|x|y}} as "y" in Japanese (the oracle agrees).
    assert plurals.categories("ja") == ("one", "other")
    assert plurals.select("ja", 2, ["x", "y"]) == "y"
    assert plurals.select("ja", 2, ["x"]) == "x"
    assert plurals.categories("ksh") == ("one", "other", "zero")  # LanguageKsh's own order
    assert plurals.select("ksh", 0, ["one", "other", "zero"]) == "zero"


def test_the_rules_are_not_englishs_for_the_languages_issue_13_names() -> None:
    # Serbian 5 is "other" (the third form), not "few"; Welsh and Irish have more forms.
    assert plurals.select("sr", 5, ["one", "few", "other"]) == "other"
    assert plurals.select("sr", 3, ["one", "few", "other"]) == "few"
    assert plurals.categories("cy") == ("zero", "one", "two", "few", "many", "other")
    assert plurals.categories("ga") == ("one", "two", "few", "many", "other")
    for code in ("hr", "bs", "ro", "lv", "lt", "sl", "be", "mt", "br", "gd", "dsb"):
        assert plurals.categories(code) != ("one", "other"), code
    assert plurals.plural_category("lt", Decimal("1.5")) == "many"
    assert plurals.plural_category("is", 21) == plurals.plural_category("mk", 21) == "one"
    assert plurals.plural_category("en", 21) == "other"
