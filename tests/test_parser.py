"""Parser and validator: typed records from wikitext, a reason for every rejection."""

from __future__ import annotations

import pytest

from bot.validate import parse_utc_offset, split_list
from tests.helpers import TODAY, codes, parse


def test_full_signup_becomes_typed_record() -> None:
    r = parse(
        "{{Skill signup|user=Alice|wants=SPARQL (beginner), Lua|offers=Commons|languages=en, fr"
        "|community=enwiki|region=KE|timezone=UTC+3|methods=mentorship, training|format=both"
        "|status=away|away_until=2027-01-31|notify=no}}"
    )
    assert codes(r) == []
    (s,) = r.signups
    assert s.user == "Alice"
    assert [(w.skill, w.level) for w in s.wants] == [("sparql", "beginner"), ("lua", None)]
    assert [o.skill for o in s.offers] == ["commons"]
    assert s.languages == ("en", "fr")
    assert (s.community, s.region, s.utc_offset, s.format) == ("enwiki", "KE", 180, "both")
    assert s.methods == ("mentorship", "training")
    assert (
        s.status == "away" and s.away_until is not None and s.away_until.isoformat() == "2027-01-31"
    )
    assert s.notify is False
    assert s.origin.line == 1


def test_spacing_comments_order_and_nowiki_do_not_matter() -> None:
    r = parse(
        "intro\n\n{{ skill_signup\n | languages = en <!-- English -->\n |user= bob\n"
        " | wants = <nowiki>Lua</nowiki>\n}}"
    )
    assert codes(r) == []
    assert r.signups[0].user == "Bob"
    assert r.signups[0].wants[0].skill == "lua"
    assert r.signups[0].origin.line == 3


def test_template_inside_nowiki_is_not_an_entry() -> None:
    r = parse("<nowiki>{{Skill signup|user=Alice|wants=Lua|languages=en}}</nowiki>")
    assert r.signups == [] and r.problems == []


def test_entry_nested_in_another_template_is_found() -> None:
    r = parse("{{Collapse|content={{Skill signup|user=Alice|wants=Lua|languages=en}}}}")
    assert [s.user for s in r.signups] == ["Alice"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{{Skill signup|user=A|wants=Sparq|languages=en}}", "unknown-skill-suggest"),
        ("{{Skill signup|user=A|wants=Qwertyuiop zzz|languages=en}}", "unknown-skill"),
        ("{{Skill signup|user=A|wants=Lua|languages=english}}", "bad-language-suggest"),
        ("{{Skill signup|user=A|wants=Lua|languages=eng}}", "bad-language-suggest"),
        ("{{Skill signup|user=A|wants=Lua|languages=qqqx}}", "bad-language"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|timezone=UTC+25}}", "bad-timezone"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|timezone=Mars/Olympus}}", "bad-timezone"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|format=offline}}", "offline-without-region"),
        ("{{Skill offer|user=A|skills=Lua|languages=en|capacity=-1}}", "negative-number"),
        ("{{Skill offer|user=A|skills=Lua|languages=en|capacity=many}}", "bad-number"),
        ("{{Skill offer|user=A|skills=Lua|languages=en|capacity=100000}}", "number-too-large"),
        ("{{Skill signup|wants=Lua|languages=en}}", "missing-param"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|colour=red}}", "unknown-param"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|skills=Lua}}", "param-not-for-template"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|languages=fr}}", "duplicate-param"),
        ("{{Skill signup|A|wants=Lua|languages=en}}", "positional-param"),
        ("{{Skill signup|user=A|wants={{Lua}}|languages=en}}", "template-in-value"),
        ("{{Skill signup|user=A|wants=<script>x</script>|languages=en}}", "markup-in-value"),
        ("{{Skill signup|user=A<b>|wants=Lua|languages=en}}", "bad-username"),
        ("{{Skill signup|user=A|B|wants=Lua|languages=en}}", "positional-param"),
        ("{{Skill signup|user=A/B|wants=Lua|languages=en}}", "bad-username"),
        ("{{Skill signup|user=A\u200b|wants=Lua|languages=en}}", "bad-username"),
        ("{{Skill signup|user=A|wants=Lua (guru)|languages=en}}", "bad-levels"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|methods=telepathy}}", "bad-methods"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|status=asleep}}", "bad-statuses"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|away_until=soon}}", "bad-date"),
        ("{{Skill signup|user=A|languages=en}}", "nothing-wanted-or-offered"),
        ("{{Skill offer|skills=Lua|languages=en}}", "missing-user-or-organization"),
        ("{{Skill need|community=arwiki|skill=Lua, SPARQL|by=A}}", "one-skill-only"),
        ("{{Skill need|community=arwiki|skill=Lua|by=A|priority=whenever}}", "bad-priorities"),
        ("{{Skill resource|skill=Lua|title=Guide|link=javascript:alert(1)}}", "bad-link"),
        ("{{Skill event|id=a b|title=T|organizer=A|skills=Lua|date=2026-12-01}}", "bad-event-id"),
        ("{{Skill event|id=e1|title=T|organizer=A|skills=Lua|date=2026-13-01}}", "bad-date"),
        ("{{Skill signup|user=A|wants=Lua|languages=en", "malformed-template"),
        ("{{Skill match confirm|id=M1|user=A|outcome=maybe}}", "bad-outcomes"),
        ("{{Skill signup|user=A|wants=Lua|languages=en|notify=perhaps}}", "bad-booleans"),
    ],
)
def test_each_bad_entry_is_rejected_with_its_reason(text: str, code: str) -> None:
    r = parse(text)
    assert code in codes(r), codes(r)
    assert r.signups == [] and r.offers == [] and r.needs == [] and r.events == []


def test_bad_entry_does_not_take_good_ones_down() -> None:
    r = parse(
        "{{Skill signup|user=A|wants=Lua|languages=xx}}\n"
        "{{Skill signup|user=B|wants=Lua|languages=en}}\n"
        "{{Skill offer|user=C|skills=Lua|languages=en|capacity=2}}\n"
        "{{Skill offer|user=D|skills=Lua|languages=en|capacity=-2}}\n"
    )
    assert [s.user for s in r.signups] == ["B"]
    assert [(o.user, o.capacity) for o in r.offers] == [("C", 2)]
    assert sorted((p.origin.line, p.code) for p in r.problems) == [
        (1, "bad-language"),
        (4, "negative-number"),
    ]


def test_all_issues_of_one_entry_are_reported_together() -> None:
    r = parse("{{Skill signup|user=A|wants=Luaa|languages=xx|timezone=nowhere}}")
    assert {"unknown-skill-suggest", "bad-language", "bad-timezone"} <= set(codes(r))


def test_duplicate_signup_keeps_the_first() -> None:
    r = parse(
        "{{Skill signup|user=A|wants=Lua|languages=en}}\n"
        "{{Skill signup|user=A|wants=SPARQL|languages=en}}"
    )
    assert [w.skill for w in r.signups[0].wants] == ["lua"]
    assert codes(r) == ["duplicate-entry"]
    assert r.problems[0].params == ("1",)


def test_japanese_template_and_values() -> None:
    r = parse("{{スキル登録|利用者=さくら|学びたい=SPARQL（初級）、Lua|言語=ja、en}}", lang="ja")
    assert codes(r) == []
    (s,) = r.signups
    assert s.user == "さくら"
    assert [(w.skill, w.level) for w in s.wants] == [("sparql", "beginner"), ("lua", None)]
    assert s.languages == ("ja", "en")


def test_qid_and_other_language_labels_resolve() -> None:
    r = parse("{{Skill signup|user=A|wants=Q54871|offers=سباركل|languages=ar}}")
    assert codes(r) == []
    assert r.signups[0].wants[0].skill == "sparql"


def test_offer_defaults_and_organization() -> None:
    r = parse("{{Skill offer|organization=Wikimedia Deutschland|skills=GLAM|languages=de}}")
    assert codes(r) == []
    (o,) = r.offers
    assert (o.owner, o.capacity, o.methods, o.format) == (
        "Wikimedia Deutschland",
        1,
        ("mentorship",),
        "online",
    )


def test_event_and_attendee_records() -> None:
    r = parse(
        "{{Skill event|id=wd-101|title=Wikidata 101|organizer=Grace|skills=Wikidata|date=2026-12-01"
        "|format=offline|region=KE|languages=en, sw}}\n{{Skill attendee|event=wd-101|user=Heidi}}"
    )
    assert codes(r) == []
    assert r.events[0].id == "wd-101" and r.events[0].region == "KE"
    assert r.attendees[0].user == "Heidi"


def test_user_link_in_user_param() -> None:
    r = parse("{{Skill signup|user=[[User:Alice|Alice]]|wants=Lua|languages=en}}")
    assert r.signups[0].user == "Alice"


def test_split_list_keeps_commas_inside_parentheses() -> None:
    assert split_list("Lua (expert, really), SPARQL、 Commons") == [
        "Lua (expert, really)",
        "SPARQL",
        "Commons",
    ]


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("UTC+9", 540),
        ("UTC-3:30", -210),
        ("UTC", 0),
        ("gmt+5:45", 345),
        ("Asia/Tokyo", 540),
        ("UTC−5", -300),
    ],
)
def test_utc_offsets(value: str, minutes: int) -> None:
    assert parse_utc_offset(value, TODAY) == minutes


def test_wikitext_never_raises_on_garbage() -> None:
    for text in [
        "{{",
        "}}",
        "{{{{{{",
        "{{Skill signup|",
        "[[[[",
        "<nowiki>",
        "{{Skill signup|user={{{1}}}}}",
        "\x00",
    ]:
        parse(text)
