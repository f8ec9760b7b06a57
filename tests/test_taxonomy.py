"""The skill taxonomy: the shipped config, name resolution, suggestions and load-time validation."""

from __future__ import annotations

import difflib
import random
import time
from pathlib import Path

import pytest
import yaml

from bot.taxonomy import DEFAULT_PATH, REQUIRED_LANGUAGES, Skill, Taxonomy, normalize


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


def _skill(sid: str, parent: str | None = None, **extra):
    labels = {lang: f"{sid} {lang}" for lang in REQUIRED_LANGUAGES}
    return {"id": sid, "parent": parent, "labels": labels, **extra}


# ---------------------------------------------------------------------- the shipped taxonomy


def test_config_has_enough_skills_with_all_labels(tax):
    assert len(tax) >= 45
    for skill in tax:
        for lang in REQUIRED_LANGUAGES:
            assert skill.labels.get(lang), f"{skill.id} lacks a {lang} label"


def test_config_covers_the_core_movement_skills(tax):
    for sid in [
        "editing",
        "referencing",
        "visualeditor",
        "source-editing",
        "wikidata",
        "sparql",
        "quickstatements",
        "openrefine",
        "lua",
        "templates",
        "pywikibot",
        "toolforge",
        "gadgets",
        "mediawiki-development",
        "commons",
        "licensing",
        "structured-data-commons",
        "glam",
        "education",
        "photo-contests",
        "editathons",
        "grant-writing",
        "translation",
        "content-translation",
        "wikisource",
        "wiktionary",
        "wikivoyage",
        "wikibooks",
        "accessibility",
        "leadership",
        "affiliate-governance",
        "mentoring",
        "research",
        "wikifunctions",
    ]:
        assert sid in tax, sid


def test_every_configured_name_resolves_to_its_own_skill(tax):
    for skill in tax:
        assert tax.resolve(skill.id) == skill.id
        if skill.qid:
            assert tax.resolve(skill.qid) == skill.id
        for lang, name in skill.names():
            assert tax.resolve(name) == skill.id, (lang, name)


def test_config_structure(tax):
    assert tax.languages() == sorted(REQUIRED_LANGUAGES)
    assert tax.ancestors("sparql") == ["wikidata"]
    assert tax.ancestors("lua") == ["templates", "technical"]
    assert "sparql" in tax.children("wikidata")
    assert "wikidata" in tax.roots()
    assert "sparql" not in tax.roots()
    assert set(tax.descendants("wikidata")) >= {"sparql", "quickstatements", "lexemes"}
    for skill in tax:
        if skill.parent is not None:
            assert skill.id in tax.children(skill.parent)


def test_config_qids(tax):
    expected = {
        "Q54871": "sparql",
        "Q2013": "wikidata",
        "Q207316": "lua",
        "Q83": "mediawiki-development",
        "Q565": "commons",
    }
    for qid, sid in expected.items():
        assert tax.resolve(qid) == sid
        assert tax[sid].qid == qid
    qids = [s.qid for s in tax if s.qid]
    assert len(qids) == len(set(qids))


# ---------------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SPARQL", "sparql"),
        ("Wikidata Query Service", "sparql"),
        ("WDQS", "sparql"),
        ("QS", "quickstatements"),
        ("GLAM", "glam"),
        ("CX", "content-translation"),
        ("Lua", "lua"),
        ("Scribunto", "lua"),
        ("WLM", "photo-contests"),
        # ja
        ("ウィキデータ", "wikidata"),
        ("テンプレート", "templates"),
        ("出典", "referencing"),
        ("コンテンツ翻訳ツール", "content-translation"),
        # ar
        ("ويكي بيانات", "wikidata"),
        ("القوالب", "templates"),
        ("سباركل", "sparql"),
        ("ويكي مصدر", "wikisource"),
        # es
        ("Traducción", "translation"),
        ("Plantillas", "templates"),
        ("Wikcionario", "wiktionary"),
        ("Redacción de solicitudes de subvención", "grant-writing"),
        # fr
        ("Wiktionnaire", "wiktionary"),
        ("Modèles", "templates"),
        ("Droit d'auteur et licences", "licensing"),
        ("Sourçage", "referencing"),
    ],
)
def test_resolves_labels_and_aliases_in_every_language(tax, text, expected):
    assert tax.resolve(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Q54871",
        "q54871",
        " Q54871 ",
        "Ｑ５４８７１",  # full-width
        "d:Q54871",
        "wikidata:Q54871",
        "https://www.wikidata.org/wiki/Q54871",
        "http://www.wikidata.org/entity/Q54871",
        "[[d:Q54871|SPARQL]]",
    ],
)
def test_resolves_qids_in_any_usual_spelling(tax, text):
    assert tax.resolve(text) == "sparql"


def test_unknown_qid_is_not_invented(tax):
    assert tax.resolve("Q1") is None
    assert tax.resolve("d:Q999999999") is None


@pytest.mark.parametrize(
    "text",
    [
        "sparql",
        "Sparql",
        "ＳＰＡＲＱＬ",  # full-width Latin letters
        "SPA\u200bRQL",  # zero-width space
        "\ufeffSPARQL",  # BOM
        "SP\u00adARQL",  # soft hyphen
        "\u200eSPARQL\u200f",  # LRM / RLM
        "  SPARQL\t",
        "S_P-A R\u00a0QL",  # underscore, hyphen, space, NBSP
    ],
)
def test_normalisation_edge_cases(tax, text):
    assert tax.resolve(text) == "sparql"


def test_normalisation_of_separators_accents_and_scripts(tax):
    assert tax.resolve("wiki_data") == tax.resolve("Wiki-Data") == tax.resolve("WIKI DATA")
    assert tax.resolve("source_editing") == "source-editing"
    assert tax.resolve("Edit-a-thon") == tax.resolve("editathon") == "editathons"
    assert tax.resolve("Traduccion") == "translation"  # accent left out
    assert tax.resolve("Modelisation des donnees") == "data-modelling"
    assert tax.resolve("Droit d’auteur et licences") == "licensing"  # typographic apostrophe
    assert tax.resolve("ウィキメディアコモンズ") == "commons"  # middle dot left out
    assert tax.resolve("ウィキメディア　コモンズ") == "commons"  # ideographic space
    assert tax.resolve("ｳｨｷﾃﾞｰﾀ") == "wikidata"  # half-width katakana
    assert tax.resolve("ويكي\u0640بيانات") == "wikidata"  # tatweel
    assert tax.resolve("اقتراح الخصائص") == tax.resolve("إقتراح الخصائص") == "property-proposals"
    assert tax.resolve("\u200fويكي بيانات\u200f") == "wikidata"  # RTL marks around Arabic


def test_normalize_keeps_what_distinguishes_names():
    assert normalize("ガ") != normalize("カ")  # Japanese voiced mark is meaningful
    assert normalize("Wikidata") == normalize("ｗｉｋｉｄａｔａ")
    assert normalize("\u200b") == ""
    assert normalize("A\u200dB") == "ab"


def test_misses(tax):
    assert tax.resolve("") is None
    assert tax.resolve("   ") is None
    assert tax.resolve("\u200b") is None
    assert tax.resolve("Underwater basket weaving") is None
    assert tax.resolve("SPARQL (beginner)") is None  # levels are split off by the parser


def test_resolution_is_fast_enough_for_the_parser(tax):
    names = [name for skill in tax for _, name in skill.names()]
    texts = [f"{name} " if i % 2 else name.upper() for i, name in enumerate(names)]
    texts = (texts * (100_000 // len(texts) + 1))[:100_000]
    start = time.perf_counter()
    for text in texts:
        tax.resolve(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{len(texts) / elapsed:.0f} resolutions/s"


# ---------------------------------------------------------------------- suggestions, labels


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Sparq", "sparql"),
        ("Wikidta", "wikidata"),
        ("Pywikibto", "pywikibot"),
        ("Quickstat", "quickstatements"),
        ("Comons", "commons"),
        ("Wikidata SPARQL queries", "sparql"),
        ("ウィキデー", "wikidata"),
    ],
)
def test_suggestions_for_typos(tax, typo, expected):
    assert tax.resolve(typo) is None
    suggestions = tax.suggest(typo)
    assert suggestions[0] == expected
    assert len(suggestions) <= 3
    assert len(suggestions) == len(set(suggestions))
    assert all(s in tax for s in suggestions)


def test_suggest_limits_and_nonsense(tax):
    assert tax.suggest("Wikidta", limit=1) == ["wikidata"]
    assert tax.suggest("Wikidta", limit=0) == []
    assert tax.suggest("zzzzqqqq") == []
    assert tax.suggest("") == []


def _difflib_suggest(tax: Taxonomy, text: str, limit: int) -> list[str]:
    """The reference: plain difflib over every name, first `limit` distinct skills."""
    out: list[str] = []
    keys = [normalize(n) for s in tax for _, n in s.names()] + [s.id for s in tax]
    names = list(dict.fromkeys(keys))
    for name in difflib.get_close_matches(normalize(text), names, n=limit * 4, cutoff=0.6):
        sid = tax.resolve(name)
        if sid not in out:
            out.append(sid)
    return out[:limit]


def test_fuzzy_search_gives_difflibs_answers(tax):
    """The pruned search must rank exactly as difflib would, on many random typos."""
    rng = random.Random(20261129)
    names = [n for s in tax for _, n in s.names()]
    for _ in range(400):
        chars = list(normalize(rng.choice(names)))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(chars) + 1)
            op = rng.random()
            if op < 0.3 and chars:
                chars.pop(min(pos, len(chars) - 1))
            elif op < 0.7:
                chars.insert(pos, rng.choice("aeiouxyzrtデア "))
            elif chars:
                chars[min(pos, len(chars) - 1)] = rng.choice("aeioxyz")
        typo = "".join(chars)
        if not typo.strip() or tax.resolve(typo) is not None:
            continue
        limit = rng.choice([1, 3, 5])
        expected = _difflib_suggest(tax, typo, limit)
        got = tax.suggest(typo, limit)
        assert got[: len(expected)] == expected, typo


def test_label_fallback_chain(tax):
    assert tax.label("wikidata", "ja") == "ウィキデータ"
    assert tax.label("wikidata", "ar") == "ويكي بيانات"
    assert tax.label("translation", "es") == "Traducción"
    assert tax.label("translation", "es-mx") == "Traducción"  # base language
    assert tax.label("translation", "de") == "Translation"  # -> en
    assert tax.label("no-such-skill", "ja") == "no-such-skill"  # -> id
    assert tax["wikidata"].label("fr") == "Wikidata"


def test_collection_protocol(tax):
    assert "sparql" in tax
    assert "SPARQL" not in tax  # names need resolve(); ids are exact
    assert tax["sparql"] in tax
    assert tax.get("sparql") is tax["sparql"]
    assert tax.get("nope") is None
    with pytest.raises(KeyError):
        tax["nope"]
    # Stored records may name a skill removed from the config since: no crash, no relatives.
    assert tax.ancestors("nope") == tax.children("nope") == tax.descendants("nope") == []
    assert [s.id for s in tax] == tax.ids()
    assert len(list(tax)) == len(tax)
    assert tax.name_count() > len(tax) * 5


def test_skills_are_immutable_and_hashable(tax):
    skill = tax["sparql"]
    assert isinstance(skill, Skill)
    assert {skill: 1}[skill] == 1
    with pytest.raises(AttributeError):
        skill.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        skill.labels["en"] = "x"  # type: ignore[index]


# ---------------------------------------------------------------------- validation


def test_load_from_file(tmp_path: Path):
    data = {"skills": [_skill("alpha"), _skill("beta", "alpha", qid="Q42")]}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    tax = Taxonomy.load(path)
    assert len(tax) == 2
    assert tax.resolve("q42") == "beta"
    assert tax.resolve("beta ja") == "beta"
    assert Taxonomy.load(DEFAULT_PATH).ids() == Taxonomy.load().ids()


def test_duplicate_id_raises():
    with pytest.raises(ValueError, match=r"duplicate skill id 'alpha'"):
        Taxonomy.from_dict({"skills": [_skill("alpha"), _skill("alpha")]})


def test_missing_parent_raises():
    with pytest.raises(ValueError, match=r"parent 'ghost' does not exist"):
        Taxonomy.from_dict({"skills": [_skill("alpha", "ghost")]})


def test_cycle_raises_and_names_the_cycle():
    data = {"skills": [_skill("a", "c"), _skill("b", "a"), _skill("c", "b"), _skill("d")]}
    with pytest.raises(ValueError, match=r"cycle: .*a.*->.*a"):
        Taxonomy.from_dict(data)
    with pytest.raises(ValueError, match="cycle"):
        Taxonomy.from_dict({"skills": [_skill("a", "a")]})


def test_name_meaning_two_skills_raises_naming_both():
    a = _skill("alpha", aliases={"en": ["Shared name"]})
    b = _skill("beta", aliases={"fr": ["shared-name"]})  # same key after normalisation
    with pytest.raises(ValueError, match=r"'shared-name'.*'beta'.*'Shared name'.*'alpha'"):
        Taxonomy.from_dict({"skills": [a, b]})


def test_alias_equal_to_another_skills_id_raises():
    with pytest.raises(ValueError, match="name conflict"):
        Taxonomy.from_dict({"skills": [_skill("alpha"), _skill("beta", aliases={"en": ["Alpha"]})]})


def test_duplicate_qid_raises():
    with pytest.raises(ValueError, match="Q42"):
        Taxonomy.from_dict({"skills": [_skill("a", qid="Q42"), _skill("b", qid="q42")]})


def test_same_name_twice_for_one_skill_is_fine():
    data = {"skills": [_skill("alpha", aliases={"en": ["x-y"], "fr": ["X Y"]})]}
    assert Taxonomy.from_dict(data).resolve("xy") == "alpha"


@pytest.mark.parametrize(
    ("skill", "message"),
    [
        ({"id": "alpha", "labels": {"en": "Alpha"}}, "missing labels for ja, ar, es, fr"),
        ({**_skill("Bad Id")}, "lowercase ascii slug"),
        ({**_skill("alpha"), "qid": "P31"}, "not a Wikidata item"),
        ({**_skill("alpha"), "alias": {"en": ["x"]}}, "unknown keys"),
        ({**_skill("alpha"), "aliases": {"en": [True]}}, "quote it"),  # unquoted `yes` in YAML
        ({**_skill("alpha"), "aliases": {"en": ["\u200b"]}}, "normalises to nothing"),
    ],
)
def test_malformed_skills_raise(skill, message):
    with pytest.raises(ValueError, match=message):
        Taxonomy.from_dict({"skills": [skill]})


def test_required_languages_can_be_relaxed_for_small_test_taxonomies():
    data = {"skills": [{"id": "alpha", "labels": {"en": "Alpha"}}]}
    assert Taxonomy.from_dict(data, required_languages=["en"]).label("alpha", "ja") == "Alpha"


def test_not_a_taxonomy_raises():
    with pytest.raises(ValueError, match="'skills' list"):
        Taxonomy.from_dict({"skill": []})
