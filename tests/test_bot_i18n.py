"""The bot's message files (bot/i18n/*.json) and the plural rules it shares with the web tool.

The bot writes these messages as wikitext onto report pages, talk pages and edit summaries, so a
translation must keep every placeholder and may not add markup English does not have: an extra
``|`` splits a table cell, an extra ``[[`` or ``{{`` links or transcludes, an extra ``~~~~``
signs. A translation may add or drop ``{{PLURAL:}}`` (Arabic needs more forms, Japanese none).
The template examples a message shows must be ones the bot reads on a wiki in that language.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import mwparserfromhell
import pytest

from bot import i18n, messages, needsmap, plurals, render
from bot.badge_rules import load_catalog
from bot.i18n import Messages
from bot.models import Origin, Problem
from tests.helpers import core, parse
from webtool import translations as tr

I18N = i18n.I18N_DIR
SHIPPED = ("ja", "ar", "es", "fr")


def load(lang: str) -> dict[str, str]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"{lang}: duplicate keys"
        return dict(pairs)

    data = json.loads(
        (I18N / f"{lang}.json").read_text(encoding="utf-8"), object_pairs_hook=no_duplicates
    )
    meta = data.get("@metadata")
    assert isinstance(meta, dict), lang
    authors = meta.get("authors")
    assert isinstance(authors, list) and authors, lang
    assert all(isinstance(a, str) and a.strip() for a in authors), lang
    return {k: v for k, v in data.items() if not k.startswith("@")}


EN = load("en")
QQQ = load("qqq")
LANGS = sorted(p.stem for p in I18N.glob("*.json") if p.stem not in ("en", "qqq"))
PAIRS = [(lang, key) for lang in LANGS for key in EN]

_PLURAL = re.compile(r"\{\{PLURAL:\s*\$(\d+)\s*\|([^{}]*)\}\}", re.IGNORECASE)
_NOWIKI = re.compile(r"<nowiki>.*?</nowiki>", re.DOTALL)
_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
# Wikitext that does something on a page; counted per message, outside {{PLURAL:}}.
_MARKUP = ("[[", "]]", "{{", "}}", "<nowiki>", "</nowiki>", "~~~~", "''", "__", "://", "\n", "----")


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\d+", text))


def without_plurals(text: str) -> str:
    return _PLURAL.sub(lambda m: " ".join(m.group(2).split("|")), text)


def markup(text: str) -> dict[str, Any]:
    plain = without_plurals(text)
    counts: dict[str, Any] = {m: plain.count(m) for m in _MARKUP}
    counts["tags"] = Counter(t.lower() for t in re.findall(r"<(/?[a-zA-Z]+)", plain))
    counts["links"] = sorted(_LINK.findall(plain))
    counts["signed"] = plain.rstrip().endswith("~~~~")
    return counts


def sample_params(key: str) -> list[str]:
    count = max((int(p[1:]) for p in placeholders(EN[key])), default=0)
    return ["3"] * count


# -- the files -------------------------------------------------------------------------------------


def test_shipped_languages_exist() -> None:
    for lang in ("en", "qqq", *SHIPPED):
        assert (I18N / f"{lang}.json").is_file(), lang
    assert set(SHIPPED) <= set(i18n.available_languages())


@pytest.mark.parametrize("lang", ["en", "qqq", *LANGS])
def test_valid_json_with_metadata_and_text(lang: str) -> None:
    for key, text in load(lang).items():
        assert key.startswith("skillmatch-"), (lang, key)
        assert isinstance(text, str) and text.strip(), (lang, key)


def test_qqq_documents_every_english_key() -> None:
    assert set(QQQ) == set(EN)


@pytest.mark.parametrize("lang", SHIPPED)
def test_shipped_languages_are_complete(lang: str) -> None:
    """No intentional fallback: every key is translated, so no English reaches these wikis."""
    assert set(load(lang)) == set(EN)


@pytest.mark.parametrize("lang", LANGS)
def test_no_unknown_keys(lang: str) -> None:
    assert set(load(lang)) <= set(EN)


@pytest.mark.parametrize("lang", SHIPPED)
def test_messages_are_translated_not_copied(lang: str) -> None:
    same = {k for k, v in load(lang).items() if v == EN[k]}
    # Words that are the same in French (Page, Date, Badge, Mentor, Suggestion, active),
    # and punctuation that Latin-script languages share with English.
    punctuation = {"skillmatch-comma-separator", "skillmatch-semicolon-separator"}
    allowed = (
        {"skillmatch-reason-other"}
        | (punctuation if lang in ("es", "fr") else set())
        | (
            {
                "skillmatch-problems-col-page",
                "skillmatch-needs-col-suggestion",
                "skillmatch-matches-col-mentor",
                "skillmatch-state-active",
                "skillmatch-badges-col-badge",
                "skillmatch-badges-col-date",
            }
            if lang == "fr"
            else set()
        )
    )
    assert same <= allowed, same - allowed


@pytest.mark.parametrize(("lang", "key"), PAIRS)
def test_placeholders_match_english(lang: str, key: str) -> None:
    text = load(lang).get(key)
    if text is not None:
        assert placeholders(text) == placeholders(EN[key])


@pytest.mark.parametrize(("lang", "key"), PAIRS)
def test_no_wikitext_english_does_not_have(lang: str, key: str) -> None:
    text = load(lang).get(key)
    if text is None:
        return
    assert markup(text) == markup(EN[key])
    # A bare | or !! would split the table cell or header the message is written into.
    bare = _LINK.sub("", _NOWIKI.sub("", without_plurals(text)))
    assert "|" not in bare and "!!" not in bare
    assert "{{" not in _NOWIKI.sub("", _PLURAL.sub("", text))
    if key.startswith("skillmatch-summary-"):  # edit summaries are plain text
        assert not re.search(r"[<>\[\]]", text)


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_plural_forms_fit_the_language(lang: str) -> None:
    order = plurals.categories(lang)
    for key, text in load(lang).items():
        assert text.count("{{") == text.count("}}"), (lang, key)
        for n, body in _PLURAL.findall(text):
            assert f"${n}" in placeholders(EN[key]), (lang, key)
            forms = body.split("|")
            plain = [f for f in forms if not re.match(r"^\s*\d+\s*=", f)]
            assert 1 <= len(plain) <= len(order), (lang, key, len(plain), order)
            assert all(f.strip() for f in forms), (lang, key)


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_every_message_renders_completely(lang: str) -> None:
    msgs = Messages(lang)
    for key in EN:
        out = msgs(key, *sample_params(key))
        assert "⧼" not in out and "{{PLURAL" not in out.upper(), (lang, key)
        assert not re.search(r"\$\d", out), (lang, key, out)


# -- template examples are what the wiki's bot reads -----------------------------------------------

CONFIRM_BODIES = (
    "skillmatch-notify-learner-body",
    "skillmatch-notify-mentor-body",
    "skillmatch-notify-peer-body",
)
USER = {"en": "Alice", "ja": "さくら", "ar": "سارة", "es": "Lucía", "fr": "Zoé"}


def code_spans(text: str) -> list[str]:
    """The text of each ``<code>…</code>`` as a reader copies it (nowiki tags removed)."""
    return [
        s.replace("<nowiki>", "").replace("</nowiki>", "")
        for s in re.findall(r"<code>(.*?)</code>", text)
    ]


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_template_examples_use_names_accepted_on_that_wiki(lang: str) -> None:
    names = core().names
    for key, text in load(lang).items():
        for inner in re.findall(r"<nowiki>(.*?)</nowiki>", text):
            for match in re.finditer(r"\{\{([^{}|]+)", inner):
                name = match.group(1).strip()
                if name in ("bots", "nobots"):
                    continue
                assert names.canonical_template(name, lang) == "Skill match confirm", (lang, key)
            for param in re.findall(r"\|([^=|{}]+)=", inner):
                assert names.canonical_param(param.strip(), lang) is not None, (lang, key, param)


@pytest.mark.parametrize("lang", ["en", *LANGS])
@pytest.mark.parametrize("key", [*CONFIRM_BODIES, "skillmatch-reminder-body"])
def test_confirmation_a_volunteer_copies_is_read(lang: str, key: str) -> None:
    user = USER.get(lang, "Alice")
    if key == "skillmatch-reminder-body":
        params = [user, "[[User:Bob|Bob]]", "M3F2A9C01BD", user, "P/Signups"]
    else:
        params = [user, "[[User:Bob|Bob]]", "Lua", "x", "M3F2A9C01BD", user, "P/Signups", "P#M"]
    body = Messages(lang)(key, *params)
    (example,) = [s for s in code_spans(body) if s.startswith("{{")]
    result = parse(example, lang)
    assert result.problems == []
    (confirmation,) = result.confirmations
    assert (confirmation.match_id, confirmation.user, confirmation.outcome) == (
        "M3F2A9C01BD",
        user,
        "accepted",
    )


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_matches_intro_lists_the_outcomes_the_bot_reads(lang: str) -> None:
    (example,) = code_spans(Messages(lang)("skillmatch-matches-intro"))
    _name, *params = example.strip("{}").split("|")
    outcome = next(
        p for p in params if core().names.canonical_param(p.split("=")[0], lang) == "outcome"
    )
    values = outcome.split("=", 1)[1].split("/")
    resolved = [core().vocabulary.resolve("outcomes", v, lang) for v in values]
    assert resolved == ["accepted", "completed", "declined"]


@pytest.mark.parametrize("lang", ["en", *LANGS])
@pytest.mark.parametrize(
    ("key", "entry"),
    [
        ("skillmatch-notify-learner-body", "{{Skill signup|user=A|wants=Lua|languages=en|$}}"),
        ("skillmatch-notify-mentor-body", "{{Skill offer|user=A|skills=Lua|languages=en|$}}"),
        ("skillmatch-badge-body", "{{Skill signup|user=A|wants=Lua|languages=en|$}}"),
        ("skillmatch-reminder-body", "{{Skill match confirm|id=M1|user=A|$}}"),
    ],
)
def test_parameter_snippets_in_messages_work(lang: str, key: str, entry: str) -> None:
    """``notify=no`` and ``outcome=declined``, as each language writes them, do what they say."""
    body = Messages(lang)(key, *sample_params(key))
    (snippet,) = [s for s in code_spans(body) if "=" in s and not s.startswith("{{")]
    result = parse(entry.replace("$", snippet), lang)
    assert result.problems == [], snippet
    if "match confirm" in entry:
        assert result.confirmations[0].outcome == "declined"
    else:
        records: list[Any] = [*result.signups, *result.offers]
        (record,) = records
        assert record.notify is False


_VALUE_LISTS = {
    "skillmatch-problem-bad-levels": "levels",
    "skillmatch-problem-bad-methods": "methods",
    "skillmatch-problem-bad-formats": "formats",
    "skillmatch-problem-bad-statuses": "statuses",
    "skillmatch-problem-bad-priorities": "priorities",
    "skillmatch-problem-bad-outcomes": "outcomes",
    "skillmatch-problem-bad-booleans": "booleans",
}


@pytest.mark.parametrize("lang", SHIPPED)
def test_problem_reasons_list_the_values_in_that_language(lang: str) -> None:
    vocab = core().vocabulary
    for key, kind in _VALUE_LISTS.items():
        text = load(lang)[key]
        for value in vocab.values(kind):
            label = vocab.label(kind, value, lang)
            assert label in text, (key, label)
            assert vocab.resolve(kind, label, lang) == value


# -- plural rules (shared with the web tool) -------------------------------------------------------

CLDR = {
    # CLDR categories of 0, 1, 2, 3, 11, 100 (MediaWiki's data: no "many" for French millions).
    "en": ("other", "one", "other", "other", "other", "other"),
    "fr": ("one", "one", "other", "other", "other", "other"),
    # Japanese has only "other", and MediaWiki 1.39 then applies English rules
    # (Language::getCompiledPluralRules; tests/test_plurals_mediawiki.py checks it on MediaWiki).
    "ja": ("other", "one", "other", "other", "other", "other"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
    "es": ("other", "one", "other", "other", "other", "other"),
}
NUMBERS = (0, 1, 2, 3, 11, 100)


@pytest.mark.parametrize("lang", sorted(CLDR))
def test_plural_categories_match_cldr(lang: str) -> None:
    assert tuple(plurals.plural_category(lang, n) for n in NUMBERS) == CLDR[lang]
    assert tuple(plurals.plural_category(lang, str(n)) for n in NUMBERS) == CLDR[lang]


def test_plural_category_order_is_mediawikis() -> None:
    assert plurals.categories("ar") == ("zero", "one", "two", "few", "many", "other")
    assert plurals.categories("ja") == ("one", "other")  # MediaWiki: empty rules → English
    assert plurals.categories("fr") == plurals.categories("en") == ("one", "other")
    assert plurals.categories("ru") == ("one", "few", "many", "other")
    assert plurals.categories("he") == ("one", "two", "many", "other")
    # Variants and unknown codes: the base language's rules, else English.
    assert plurals.categories("pt-br") == plurals.categories("pt")
    assert plurals.categories("arz") == plurals.categories("ar")
    assert plurals.categories("xx-unknown") == ("one", "other")


@pytest.mark.parametrize(
    ("lang", "n", "category"),
    [
        ("ar", 103, "few"),
        ("ar", 110, "few"),
        ("ar", 111, "many"),
        ("ar", 199, "many"),
        ("ar", 1000, "other"),
        ("ar", "2.5", "other"),
        ("en", "1.0", "other"),  # visible decimals are not singular in English (v != 0)
        ("en", -1, "one"),
        ("en", "1,000", "other"),
        ("fr", "1.5", "one"),
        ("fr", 1000000, "other"),
        ("es", "1.0", "one"),
        ("ru", 21, "one"),
        ("ru", 22, "few"),
        ("ru", 25, "many"),
        ("ru", 11, "many"),
        ("ru", "1.5", "other"),
        ("he", 20, "many"),
        ("pt", 0, "one"),
        ("hi", 0, "one"),
        ("ja", "not a number", "other"),
    ],
)
def test_plural_category_edge_cases(lang: str, n: object, category: str) -> None:
    assert plurals.plural_category(lang, n) == category


def test_select_follows_mediawiki() -> None:
    six = ["صفر", "واحد", "اثنان", "قليل", "كثير", "آخر"]
    assert [plurals.select("ar", n, six) for n in NUMBERS] == six
    # Fewer forms than categories: the last one is used for the rest.
    assert [plurals.select("ar", n, ["a", "b"]) for n in NUMBERS] == ["a", "b", "b", "b", "b", "b"]
    assert plurals.select("ja", 1, ["x", "y"]) == "x"
    assert plurals.select("en", 0, ["0=none", "one", "other"]) == "none"
    assert plurals.select("en", 1, ["0=none", "one", "other"]) == "one"
    assert plurals.select("fr", 0, ["0=aucun", "un", "plusieurs"]) == "aucun"
    assert plurals.select("fr", 0, ["un", "plusieurs"]) == "un"
    assert plurals.select("en", 12, ["12=a dozen", "one", "other"]) == "a dozen"
    assert plurals.select("en", 5, ["0=none"]) == ""
    assert plurals.select("en", 2, [" one ", " other "]) == "other"  # forms are trimmed


def test_web_tool_uses_the_same_rules() -> None:
    assert tr.plurals is plurals
    forms = ["0=لا شيء", "صفر", "واحد", "اثنان", "قليل", "كثير", "آخر"]
    text = "{{PLURAL:$1|" + "|".join(forms) + "}}"
    assert [str(tr.format_message(text, [n], "ar")) for n in NUMBERS] == [
        plurals.select("ar", n, forms) for n in NUMBERS
    ]
    # Parameters are read as the bot reads them (bot/i18n.py passes them as text).
    for value in ("1,234", "1 234", "2.5", "1.0", "x"):
        assert str(tr.format_message(text, [value], "ar")) == plurals.select("ar", value, forms)
    assert str(tr.format_message(text, ["1,234"], "ar")) == "كثير"
    assert str(tr.format_message(text, [0], "ar")) == "لا شيء"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "0 problems.",
                "1 problem.",
                "2 problems.",
                "3 problems.",
                "11 problems.",
                "100 problems.",
            ],
        ),
        (
            "fr",
            [
                "0 problème.",
                "1 problème.",
                "2 problèmes.",
                "3 problèmes.",
                "11 problèmes.",
                "100 problèmes.",
            ],
        ),
        (
            "es",
            [
                "0 problemas.",
                "1 problema.",
                "2 problemas.",
                "3 problemas.",
                "11 problemas.",
                "100 problemas.",
            ],
        ),
        ("ja", [f"{n} 件の問題があります。" for n in NUMBERS]),
        (
            "ar",
            ["لا توجد مشكلات.", "مشكلة واحدة.", "مشكلتان.", "3 مشكلات.", "11 مشكلة.", "100 مشكلة."],
        ),
    ],
)
def test_messages_pick_plural_forms(lang: str, expected: list[str]) -> None:
    msgs = Messages(lang)
    assert [msgs("skillmatch-problems-count", n) for n in NUMBERS] == expected


def test_plural_rules_follow_the_language_the_text_came_from(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(
        json.dumps({"a": "{{PLURAL:$1|one|other}}", "b": "{{PLURAL:$1|0=none|one|other}} ($1)"})
    )
    (tmp_path / "ar.json").write_text(
        json.dumps({"b": "{{PLURAL:$1|0=لا شيء|صفر|واحد|اثنان|قليل|كثير|آخر}}"})
    )
    ar = Messages("ar", tmp_path)
    # "a" fell back to English: English rules, so 0 is "other", not Arabic "zero" (form 1).
    assert [ar("a", n) for n in (0, 1, 2)] == ["other", "one", "other"]
    assert ar.lookup("a") == ("{{PLURAL:$1|one|other}}", "en")
    assert [ar("b", n) for n in (0, 1, 2, 5, 11, 100)] == [
        "لا شيء",
        "واحد",
        "اثنان",
        "قليل",
        "كثير",
        "آخر",
    ]
    assert Messages("en", tmp_path)("b", 0) == "none (0)"
    assert Messages("arz", tmp_path)("b", 2) == "اثنان"
    assert ar("missing") == "⧼missing⧽"


# -- real messages and pages in Japanese and Arabic ------------------------------------------------

PAGES = {"confirmations": "Wikipedia:スキル共有/登録", "matches": "Wikipedia:スキル共有/マッチング"}
MATCH: dict[str, Any] = {
    "id": "M3F2A9C01BD",
    "kind": "mentor",
    "a": "さくら",
    "b": "Bob",
    "skills": ["sparql"],
    "state": "proposed",
    "reasons": [
        {"key": "teaches", "params": {"skills": ["sparql"]}},
        {"key": "shares_language", "params": {"languages": ["ja", "en"]}},
        {"key": "time_zones", "params": {"minutes": 120}},
        {"key": "format", "params": {"mode": "offline", "region": "JP"}},
        {"key": "methods", "params": {"methods": ["mentorship"]}},
    ],
}
PEER: dict[str, Any] = {
    "id": "P0000000001",
    "kind": "peer",
    "a": "Zoé",
    "b": "سارة",
    "skills": {"a_learns": ["lua"], "b_learns": ["sparql"]},
    "state": "active",
    "paused": True,
    "reasons": [
        {"key": "exchange", "params": {"a_learns": ["lua"], "b_learns": ["sparql"]}},
        {"key": "same_community", "params": {"community": "jawiki"}},
        {"key": "existing", "params": {}},
        {"key": "something-new", "text": "a reason without translation"},
    ],
}


def label(lang: str) -> Any:
    return lambda skill: core().taxonomy.label(skill, lang)


def test_talk_page_notification_in_japanese() -> None:
    msg = messages.match_message(MATCH, "さくら", "jawiki", Messages("ja"), label("ja"), PAGES)
    body = msg["payload"]["body"]
    assert body.startswith("さくら さん、こんにちは。SkillMatch により、")
    assert "[[User:Bob|Bob]] さん" in body
    assert core().taxonomy.label("sparql", "ja") in body
    assert "共通の言語: 日本語、英語" in body and "時差 2 時間" in body
    assert (
        "[[Wikipedia:スキル共有/登録]]" in body
        and "[[Wikipedia:スキル共有/マッチング#M3F2A9C01BD]]" in body
    )
    assert (
        "{{スキルマッチ確認|id=</nowiki>M3F2A9C01BD<nowiki>|利用者=</nowiki>さくら<nowiki>|結果=承諾}}"
        in body
    )
    assert "~~~~" in body and "<!-- skillmatch:match:M3F2A9C01BD:さくら -->" in body
    assert msg["payload"]["heading"].startswith("SkillMatch: メンターが見つかりました（")
    assert msg["payload"]["summary"] == "SkillMatch: Bob さんとの新しいマッチング"
    mentor = messages.match_message(MATCH, "Bob", "jawiki", Messages("ja"), label("ja"), PAGES)
    assert mentor["payload"]["body"].startswith("Bob さん、こんにちは。")


def test_talk_page_notifications_in_arabic() -> None:
    msgs = Messages("ar")
    peer = messages.match_message(PEER, "سارة", "arwiki", msgs, label("ar"), PAGES)
    assert peer["payload"]["body"].startswith("مرحبًا سارة! جمعك SkillMatch مع [[User:Zoé|Zoé]]")
    assert (
        "{{تأكيد مطابقة مهارة|id=</nowiki>P0000000001<nowiki>|مستخدم=</nowiki>سارة"
        in peer["payload"]["body"]
    )
    reminder = messages.reminder_message(MATCH, "Bob", "arwiki", msgs, PAGES)
    assert reminder["payload"]["heading"] == "SkillMatch: تذكير بشأن المطابقة M3F2A9C01BD"
    assert "<code>نتيجة=مرفوض</code>" in reminder["payload"]["body"]
    badge = messages.badge_message(
        "A1",
        "سارة",
        "arwiki",
        "مرشد",
        "SPARQL",
        "https://example.org/badges/awards/A1",
        msgs,
        {"badges": "B"},
    )
    body = badge["payload"]["body"]
    assert "«مرشد» في SPARQL." in body
    # The award URL is followed by a space, or the next word would become part of the link.
    assert "https://example.org/badges/awards/A1 " in body
    reasons = [render.reason_text(msgs, r, label("ar")) for r in MATCH["reasons"]]
    assert reasons[1] == "لغتان مشتركتان: اليابانية، الإنجليزية"  # names, not codes
    assert reasons[2] == "فارق التوقيت ساعتان"


@pytest.mark.parametrize("lang", SHIPPED)
def test_award_links_are_followed_by_a_space(lang: str) -> None:
    body = Messages(lang)("skillmatch-badge-body", "A", "B", "", "https://example.org/x", "P")
    assert "https://example.org/x " in body


BAD_ENTRIES = """
{{Skill signup|user=A1|wants=Nonexistentskill|languages=xx!|format=offline}}
{{Skill signup|user=A2|wants=Lua (guru)|languages=en|methods=telepathy|notify=perhaps}}
{{Skill offer|skills=Lua|languages=en|capacity=-3}}
{{Skill need|community=arwiki|skill=SPARQL, Lua|priority=urgentest|learners=ten|by=Org}}
{{Skill event|id=bad id!|title=T|organizer=O|skills=Lua|date=2026-13-45}}
{{Skill match confirm|id=M1|user=A|outcome=maybe}}
{{Skill signup|user=A3|wants=Lua|languages=en|colour=blue}}
{{Skill signup|user=A4|wants=Lua|languages=en
"""


@pytest.mark.parametrize("lang", ["ar", "ja"])
def test_full_report_pages_render(lang: str) -> None:
    msgs = Messages(lang)
    english = Messages("en")
    needs = render.needs_map_page(
        needsmap.build(parse(_NEEDS), core().taxonomy.ancestors), msgs, label(lang)
    )
    result = parse(BAD_ENTRIES)
    assert len(result.problems) >= 10
    # Every problem code, with made-up parameters, plus the ones the parser really produced.
    every = [
        Problem(
            Origin("w", "P", i + 1, 100 + i),
            "Skill signup",
            key.removeprefix("skillmatch-problem-"),
            tuple(sample_params(key)),
        )
        for i, key in enumerate(k for k in EN if k.startswith("skillmatch-problem-"))
    ]
    failures = [
        {"id": f"m{i}", "title": f"User talk:U{i}", "reason": r}
        for i, r in enumerate(("nobots", "protected", "abusefilter", "blocked", "readonly"))
    ]
    problems = render.problems_page([*result.problems, *every], msgs) + render.delivery_section(
        failures, msgs
    )
    matches = render.matches_page([MATCH, PEER], msgs, label(lang))
    waiting = render.waiting_page(
        [
            {"username": f"W{i}", "skills": ["lua"], "why": why}
            for i, why in enumerate(
                (
                    "no_mentor_for_skill",
                    "no_mentor_in_language",
                    "format_or_region",
                    "all_at_capacity",
                    "not_available",
                )
            )
        ],
        msgs,
        label(lang),
    )
    awards = [
        {
            "id": "AW1",
            "badge_class": "mentor-1",
            "skill": "sparql",
            "username": "さくら",
            "issued_on": "2026-11-01",
        },
        {
            "id": "AW2",
            "badge_class": "learner",
            "skill": "lua",
            "username": "Bob",
            "issued_on": "2026-11-02",
        },
    ]
    badges = render.badges_page(
        awards, msgs, label(lang), load_catalog(), "https://example.org", lang
    )
    pages = {
        "needs": needs,
        "problems": problems,
        "matches": matches,
        "waiting": waiting,
        "badges": badges,
    }
    for name, page in pages.items():
        assert "⧼" not in page and not re.search(r"\$\d", page), name
        assert "{{PLURAL" not in page, name
        code = mwparserfromhell.parse(page)
        templates = {str(t.name).strip() for t in code.filter_templates()}
        assert templates <= {"Skill badge"}, (name, templates)
        for link in code.filter_wikilinks():
            assert re.match(
                r"(User:|Special:Diff/|:P$|:Test page$|:User talk:U\d$)", str(link.title)
            ), (name, str(link))
        links = [str(x.url) for x in code.filter_external_links()]
        assert all(u.startswith("https://example.org/badges/awards/") for u in links), name
        # Tables keep their shape: one header line per column, no stray cell separators.
        for table in re.findall(r"\{\|.*?\n\|\}", page, re.DOTALL):
            headers = [line for line in table.splitlines() if line.startswith("!")]
            assert all(
                "!!" not in h and "|" not in h.removeprefix("! ").split(" | ")[-1] for h in headers
            ), name
    # Each page is written in the wiki's language, with its localized headings.
    assert msgs("skillmatch-needs-heading-unmet") in needs
    assert english("skillmatch-needs-heading-unmet") not in needs
    assert (
        msgs("skillmatch-delivery-nobots") in problems
        and msgs("skillmatch-delivery-other", "readonly") in problems
    )
    assert problems.count("\n|-\n") == len(result.problems) + len(every) + len(failures)
    assert (
        msgs("skillmatch-state-paused") in matches and msgs("skillmatch-reason-existing") in matches
    )
    assert "a reason without translation" in matches
    assert all(
        msgs(f"skillmatch-why-{w}") in waiting for w in ("no_mentor_for_skill", "not_available")
    )
    assert msgs("skillmatch-badges-col-user") in badges


_NEEDS = """
{{Skill signup|user=A1|wants=SPARQL|languages=ar|community=arwiki|region=EG}}
{{Skill signup|user=A2|wants=SPARQL, Wikidata|languages=ja|community=jawiki|region=JP}}
{{Skill signup|user=B1|wants=Lua|languages=en}}
{{Skill offer|user=M1|skills=Lua|languages=en|capacity=3}}
{{Skill need|community=arwiki|skill=SPARQL|priority=high|learners=10|by=Org|languages=ar}}
{{Skill resource|skill=SPARQL|title=SPARQL tutorial|link=Help:SPARQL|languages=en}}
"""
