"""Controlled vocabulary, Level, and localized template/parameter names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import models
from bot.taxonomy import REQUIRED_LANGUAGES
from bot.vocabulary import Level, TemplateNames, Vocabulary


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


@pytest.fixture(scope="module")
def names() -> TemplateNames:
    return TemplateNames.load()


def _value(name: str) -> dict[str, Any]:
    return {"labels": {lang: f"{name} {lang}" for lang in REQUIRED_LANGUAGES}}


# ---------------------------------------------------------------------- Level


def test_level_order_and_parse():
    assert Level.BEGINNER < Level.INTERMEDIATE < Level.ADVANCED < Level.EXPERT
    assert [int(level) for level in Level] == [1, 2, 3, 4]
    assert Level.parse("beginner") is Level.BEGINNER
    assert Level.parse(" Expert ") is Level.EXPERT
    assert Level.ADVANCED.canonical == "advanced"
    with pytest.raises(ValueError, match="unknown level"):
        Level.parse("guru")
    with pytest.raises(ValueError):
        Level.parse("初級")  # localized words go through Vocabulary first


# ---------------------------------------------------------------------- the shipped vocabulary


def test_values_match_the_contract(vocab):
    assert vocab.values("levels") == models.LEVELS
    assert vocab.values("methods") == models.METHODS
    assert vocab.values("formats") == models.FORMATS
    assert vocab.values("statuses") == models.STATUSES
    assert vocab.values("priorities") == models.PRIORITIES
    assert vocab.values("outcomes") == models.OUTCOMES
    assert vocab.values("booleans") == ("yes", "no")
    assert vocab.default("formats") == "online"
    assert vocab.default("statuses") == "active"
    assert vocab.default("priorities") == "medium"
    assert vocab.default("outcomes") is None


def test_every_value_has_all_labels_and_resolves_to_itself(vocab):
    for kind in vocab.kinds():
        for value in vocab.values(kind):
            assert vocab.resolve(kind, value) == value
            for lang in REQUIRED_LANGUAGES:
                label = vocab.label(kind, value, lang)
                assert label
                assert vocab.resolve(kind, label, lang) == value, (kind, value, lang)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("levels", "Beginner", "beginner"),
        ("levels", "初級", "beginner"),
        ("levels", "上級", "advanced"),
        ("levels", "متوسط", "intermediate"),
        ("levels", "avanzado", "advanced"),
        ("levels", "Débutant", "beginner"),
        ("levels", "debutant", "beginner"),
        ("levels", "ＥＸＰＥＲＴ", "expert"),
        ("methods", "online course", "online-course"),
        ("methods", "Online_Course", "online-course"),
        ("methods", "peer support", "peer-support"),
        ("methods", "メンターシップ", "mentorship"),
        ("methods", "تدريب", "training"),
        ("methods", "mentoría", "mentorship"),
        ("methods", "atelier", "training"),
        ("formats", "オンライン", "online"),
        ("formats", "حضوري", "offline"),
        ("formats", "presencial", "offline"),
        ("formats", "en ligne", "online"),
        ("formats", "hybrid", "both"),
        ("statuses", "away", "away"),
        ("statuses", "不在", "away"),
        ("statuses", "مغلق", "closed"),
        ("statuses", "ausente", "away"),
        ("priorities", "高", "high"),
        ("priorities", "baja", "low"),
        ("priorities", "moyenne", "medium"),
        ("outcomes", "完了", "completed"),
        ("outcomes", "مقبول", "accepted"),
        ("outcomes", "rechazado", "declined"),
        ("outcomes", "retiré", "withdrawn"),
        ("booleans", "no", "no"),
        ("booleans", "No", "no"),
        ("booleans", "いいえ", "no"),
        ("booleans", "لا", "no"),
        ("booleans", "non", "no"),
        ("booleans", "sí", "yes"),
        ("booleans", "si", "yes"),
        ("booleans", "oui", "yes"),
        ("booleans", "0", "no"),
    ],
)
def test_resolves_in_every_language(vocab, kind, text, expected):
    assert vocab.resolve(kind, text) == expected


def test_singular_kind_names_and_unknowns(vocab):
    assert vocab.resolve("level", "初級") == "beginner"
    assert vocab.resolve("format", "offline") == "offline"
    assert vocab.resolve("levels", "guru") is None
    assert vocab.resolve("levels", "") is None
    assert vocab.resolve("formats", "beginner") is None  # words belong to one kind
    with pytest.raises(KeyError, match="unknown vocabulary kind"):
        vocab.resolve("colours", "red")


def test_zero_width_and_bidi_marks_are_ignored(vocab):
    assert vocab.resolve("booleans", "n\u200bo") == "no"
    assert vocab.resolve("formats", "\u200fحضوري\u200f") == "offline"


def test_level_helper(vocab):
    assert vocab.level("上級") is Level.ADVANCED
    assert vocab.level("Intermédiaire", "fr") is Level.INTERMEDIATE
    assert vocab.level("nope") is None


def test_labels_fall_back_to_english_then_value(vocab):
    assert vocab.label("levels", "beginner", "ja") == "初級"
    assert vocab.label("formats", "offline", "es-mx") == "presencial"
    assert vocab.label("formats", "offline", "de") == "offline"
    assert vocab.label("formats", "nonexistent", "ja") == "nonexistent"


def test_alias_count(vocab):
    assert vocab.alias_count() > 300


# ---------------------------------------------------------------------- vocabulary validation


def _vocab(values: dict[Any, Any], **kind: Any) -> dict[str, Any]:
    return {"kinds": {"colours": {"values": values, **kind}}}


def test_wiki_language_wins_when_languages_disagree():
    data = _vocab(
        {
            "red": {**_value("red"), "aliases": {"es": ["rojo"], "fr": ["rouge"], "pt": ["rosa"]}},
            "pink": {**_value("pink"), "aliases": {"es": ["rosa"], "fr": ["rose"]}},
        }
    )
    voc = Vocabulary.from_dict(data)
    assert voc.resolve("colours", "rosa", "es") == "pink"
    assert voc.resolve("colours", "rosa", "pt") == "red"
    assert voc.resolve("colours", "rosa", "pt-br") == "red"  # base language
    # Neither en nor the wiki's language has it: first configured language wins, deterministically.
    assert voc.resolve("colours", "rosa", "ja") == voc.resolve("colours", "rosa") == "pink"
    assert voc.resolve("colours", "rouge", "es") == "red"  # other languages still accepted


def test_english_wins_over_other_languages_when_wiki_language_is_silent():
    data = _vocab(
        {
            "red": {**_value("red"), "aliases": {"fr": ["ruby"]}},
            "pink": {**_value("pink"), "aliases": {"en": ["ruby"]}},
        }
    )
    assert Vocabulary.from_dict(data).resolve("colours", "ruby", "ja") == "pink"
    assert Vocabulary.from_dict(data).resolve("colours", "ruby", "fr") == "red"


def test_one_word_two_values_in_one_language_raises():
    data = _vocab(
        {
            "red": {**_value("red"), "aliases": {"es": ["rojo"]}},
            "pink": {**_value("pink"), "aliases": {"es": ["Rojo"]}},
        }
    )
    with pytest.raises(ValueError, match=r"es name 'Rojo' means both 'red'"):
        Vocabulary.from_dict(data)


def test_alias_equal_to_another_canonical_value_raises():
    data = _vocab({"red": {**_value("red"), "aliases": {"fr": ["pink"]}}, "pink": _value("pink")})
    with pytest.raises(ValueError, match="collides with the canonical name 'pink'"):
        Vocabulary.from_dict(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_vocab({"red": {"labels": {"en": "red"}}}), "missing labels for ja, ar, es, fr"),
        (_vocab({"red": {**_value("red"), "aliases": {"en": [True]}}}), "quote it"),
        (_vocab({True: _value("true")}), "must be a string"),
        (_vocab({"red": _value("red")}, default="blue"), "default 'blue'"),
        (_vocab({"red": {**_value("red"), "alias": {}}}), "unknown keys"),
        ({"kinds": {}}, "non-empty 'kinds'"),
        (
            {"kinds": {"levels": {"values": {"expert": _value("x"), "beginner": _value("y")}}}},
            "levels must be exactly",
        ),
    ],
)
def test_malformed_vocabulary_raises(data, message):
    with pytest.raises(ValueError, match=message):
        Vocabulary.from_dict(data)


def test_unquoted_yaml_yes_is_caught(tmp_path: Path):
    path = tmp_path / "v.yaml"
    path.write_text(
        "kinds:\n  booleans:\n    values:\n      yes:\n        labels: {en: yes}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="quote it"):
        Vocabulary.load(path)


# ---------------------------------------------------------------------- template names

CONTRACT_TEMPLATES = {
    "Skill signup",
    "Skill offer",
    "Skill need",
    "Skill resource",
    "Skill event",
    "Skill attendee",
    "Skill match confirm",
    "Skill badge",
}
CONTRACT_PARAMS = {
    "user",
    "wants",
    "offers",
    "languages",
    "community",
    "region",
    "timezone",
    "methods",
    "format",
    "status",
    "away_until",
    "notify",
    "organization",
    "skills",
    "capacity",
    "description",
    "skill",
    "priority",
    "learners",
    "by",
    "notes",
    "title",
    "link",
    "method",
    "id",
    "organizer",
    "date",
    "event",
    "outcome",
    "note",
    "badge",
}


def test_config_lists_every_contract_name(names):
    assert set(names.templates()) == CONTRACT_TEMPLATES
    assert set(names.params()) == CONTRACT_PARAMS
    assert set(names.languages()) >= {"en", "ja", "ar", "es", "fr"}
    for lang in ("ja", "ar", "es", "fr"):
        for template in CONTRACT_TEMPLATES:
            assert names.aliases_for(template, lang), (lang, template)


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Skill signup", "en", "Skill signup"),
        ("skill signup", "en", "Skill signup"),  # first letter, as MediaWiki
        ("Skill_signup", "en", "Skill signup"),
        ("  Skill   signup ", "en", "Skill signup"),
        ("Skill Signup", "en", "Skill signup"),  # beyond MediaWiki: any case
        ("Template:Skill signup", "en", "Skill signup"),
        ("template : Skill_offer", "en", "Skill offer"),
        ("Skill match confirm", "en", "Skill match confirm"),
        ("Skill badge", "en", "Skill badge"),
        ("Skill\u200b signup", "en", "Skill signup"),
        # ja
        ("スキル登録", "ja", "Skill signup"),
        ("テンプレート:スキル登録", "ja", "Skill signup"),
        ("スキル提供", "ja", "Skill offer"),
        ("スキルマッチ確認", "ja", "Skill match confirm"),
        ("スキルバッジ", "ja", "Skill badge"),
        ("スキル登録", "en", "Skill signup"),  # a ja signup copied to Meta still parses
        # ar
        ("تسجيل مهارة", "ar", "Skill signup"),
        ("قالب:تسجيل_مهارة", "ar", "Skill signup"),
        ("عرض مهارة", "ar", "Skill offer"),
        ("تأكيد مطابقة مهارة", "ar", "Skill match confirm"),
        ("شارة مهارة", "ar", "Skill badge"),
        ("تسجيل مهارة", None, "Skill signup"),
        # es, fr
        ("Plantilla:Inscripción de habilidad", "es", "Skill signup"),
        ("inscripción de habilidad", "es", "Skill signup"),
        ("Modèle:Offre de compétence", "fr", "Skill offer"),
        ("événement compétence", "fr", "Skill event"),
    ],
)
def test_canonical_template(names, name, lang, expected):
    assert names.canonical_template(name, lang) == expected


def test_unrelated_templates_are_not_ours(names):
    for name in ["Cite web", "Infobox person", "Skill", "Skills signup", "Template:", ""]:
        assert names.canonical_template(name, "en") is None


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("user", "en", "user"),
        ("User", "en", "user"),
        ("away_until", "en", "away_until"),
        ("Away until", "en", "away_until"),
        ("organisation", "en", "organization"),
        ("organiser", "en", "organizer"),
        # ja
        ("利用者", "ja", "user"),
        ("学びたい", "ja", "wants"),
        ("教えられる", "ja", "offers"),
        ("言語", "ja", "languages"),
        ("不在期限", "ja", "away_until"),
        ("結果", "ja", "outcome"),
        ("バッジ", "ja", "badge"),
        ("利用者", "en", "user"),  # from any wiki
        # ar
        ("مستخدم", "ar", "user"),
        ("يريد تعلم", "ar", "wants"),
        ("يريد_تعلم", "ar", "wants"),
        ("لغات", "ar", "languages"),
        ("المنطقة الزمنية", "ar", "timezone"),
        ("المنطقة", "ar", "region"),
        ("منظمة", "ar", "organization"),
        ("المنظم", "ar", "organizer"),
        ("ملاحظة", "ar", "note"),
        ("ملاحظات", "ar", "notes"),
        ("مهارة", "ar", "skill"),
        ("مهارات", "ar", "skills"),
        # es, fr
        ("usuario", "es", "user"),
        ("idiomas", "es", "languages"),
        ("nota", "es", "note"),
        ("notas", "es", "notes"),
        ("utilisateur", "fr", "user"),
        ("absent jusqu'au", "fr", "away_until"),
        ("absent jusqu’au", "fr", "away_until"),
        ("compétences", "fr", "skills"),
        ("compétence", "fr", "skill"),
    ],
)
def test_canonical_param(names, name, lang, expected):
    assert names.canonical_param(name, lang) == expected


def test_near_names_stay_distinct(names):
    for lang in ("en", "ja", "ar", "es", "fr"):
        assert names.canonical_param("note", lang) == "note"
        assert names.canonical_param("notes", lang) == "notes"
        assert names.canonical_param("method", lang) == "method"
        assert names.canonical_param("methods", lang) == "methods"
        assert names.canonical_param("skill", lang) == "skill"
        assert names.canonical_param("skills", lang) == "skills"
    assert names.canonical_param("colour", "en") is None


def test_aliases_for(names):
    assert "スキル登録" in names.aliases_for("Skill signup", "ja")
    assert "تسجيل مهارة" in names.aliases_for("skill_signup", "ar")
    assert names.aliases_for("Skill signup", "de") == ()
    assert names.aliases_for("Cite web", "ja") == ()
    assert names.names_for("Skill signup", "ja")[0] == "スキル登録"
    assert "Skill signup" in names.names_for("Skill signup", "ja")
    assert "利用者" in names.param_aliases_for("user", "ja")
    assert "مستخدم" in names.param_aliases_for("user", "ar")


def test_no_localized_name_shadows_another_canonical_name(names):
    for lang in ("en", "ja", "ar", "es", "fr"):
        for param in names.params():
            for alias in names.param_aliases_for(param, lang):
                assert names.canonical_param(alias, lang) == param
        for template in names.templates():
            for alias in names.aliases_for(template, lang):
                assert names.canonical_template(alias, lang) == template


# ---------------------------------------------------------------------- template name validation


def _names(**langs: dict[str, Any]) -> dict[str, Any]:
    en: dict[str, Any] = {
        "templates": {"Skill signup": [], "Skill offer": []},
        "params": {"user": [], "by": []},
    }
    return {"en": en, **langs}


def test_template_names_prefer_the_wikis_language():
    data = _names(
        xx={"params": {"user": ["quien"]}},
        yy={"params": {"by": ["quien"]}},
    )
    tn = TemplateNames.from_dict(data)
    assert tn.canonical_param("quien", "xx") == "user"
    assert tn.canonical_param("quien", "yy") == "by"
    assert tn.canonical_param("quien", "en") == "user"  # config order decides elsewhere


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_names(ja={"params": {"user": ["by"]}}), "collides with the canonical name 'by'"),
        (_names(ja={"params": {"user": ["x"], "by": ["X"]}}), "means both"),
        (
            _names(ja={"templates": {"Skill signup": ["登録"], "Skill offer": ["登録"]}}),
            "means both",
        ),
        (_names(ja={"templates": {"Skill signup": ["skill offer"]}}), "canonical name"),
        (_names(ja={"templates": {"Skill nonsense": ["x"]}}), "unknown canonical name"),
        (_names(ja={"params": {"colour": ["x"]}}), "unknown canonical name"),
        (_names(ja={"parameters": {}}), "unknown keys"),
        ({"ja": {}}, "'en' section"),
    ],
)
def test_malformed_template_names_raise(data, message):
    with pytest.raises(ValueError, match=message):
        TemplateNames.from_dict(data)


def test_template_names_load_from_file(tmp_path: Path):
    path = tmp_path / "t.yaml"
    data = _names(ja={"namespaces": ["テンプレート"], "templates": {"Skill signup": ["登録"]}})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    tn = TemplateNames.load(path)
    assert tn.canonical_template("テンプレート:登録", "ja") == "Skill signup"
