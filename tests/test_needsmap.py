"""Needs map: demand vs supply per skill (rolled up), language, community, region."""

from __future__ import annotations

from bot import needsmap, render
from bot.i18n import Messages
from tests.helpers import core, parse

TEXT = """
{{Skill signup|user=A1|wants=SPARQL|languages=ar|community=arwiki|region=EG}}
{{Skill signup|user=A2|wants=SPARQL, Wikidata|languages=ar|community=arwiki|region=EG}}
{{Skill signup|user=A3|wants=SPARQL|languages=ar|community=arwiki}}
{{Skill signup|user=A4|wants=SPARQL|languages=ar}}
{{Skill signup|user=A5|wants=SPARQL|languages=ar}}
{{Skill signup|user=A6|wants=SPARQL|languages=ar|status=closed}}
{{Skill signup|user=B1|wants=Lua|languages=en}}
{{Skill offer|user=M1|skills=Lua|languages=en|capacity=3}}
{{Skill offer|user=M2|skills=SPARQL|languages=en|capacity=1}}
{{Skill offer|user=M3|skills=SPARQL|languages=en|capacity=2|status=away}}
{{Skill need|community=arwiki|skill=SPARQL|priority=high|learners=10|by=Org|languages=ar}}
{{Skill resource|skill=SPARQL|title=SPARQL tutorial|link=Help:SPARQL|languages=en}}
"""


def rows_by(rows, **key):
    return [
        r
        for r in rows
        if all(
            getattr(r, k) == v
            for k, v in {"community": "", "lang": "", "region": "", **key}.items()
        )
    ]


def test_totals_demand_capacity_and_gap() -> None:
    rows = needsmap.build(parse(TEXT), core().taxonomy.ancestors)
    (sparql,) = rows_by(rows, skill="sparql")
    assert sparql.learners == 5  # A6 is closed
    assert sparql.recorded_need == 1
    assert sparql.demand == 5 + 3 * 10  # priority high × 10 estimated learners
    assert sparql.mentor_capacity == 1  # M3 is away
    assert sparql.gap == 34
    (lua,) = rows_by(rows, skill="lua")
    assert lua.gap == 1 - 3 and lua.suggestion.code == "covered"


def test_roll_up_to_parent_counts_people_once() -> None:
    rows = needsmap.build(parse(TEXT), core().taxonomy.ancestors)
    parents = core().taxonomy.ancestors("sparql")
    assert parents, "sparql has a parent skill in the taxonomy"
    (parent,) = rows_by(rows, skill=parents[0])
    assert parent.learners == 5  # A2 wants SPARQL and Wikidata: still one person


def test_language_slice_suggests_translation_and_ranking() -> None:
    rows = needsmap.build(parse(TEXT), core().taxonomy.ancestors)
    (ar,) = rows_by(rows, skill="sparql", lang="ar")
    assert ar.mentor_capacity == 0 and ar.resources == 0
    assert ar.suggestion.code == "translate" and ar.suggestion.params == ("en",)
    (arwiki,) = rows_by(rows, skill="sparql", community="arwiki")
    assert arwiki.learners == 3
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].gap == max(r.gap for r in rows)


def test_training_suggested_for_many_learners_few_mentors() -> None:
    text = "\n".join(f"{{{{Skill signup|user=L{i}|wants=Lua|languages=en}}}}" for i in range(9))
    text += "\n{{Skill offer|user=M|skills=Lua|languages=en|capacity=1}}"
    rows = needsmap.build(parse(text), core().taxonomy.ancestors)
    (lua,) = rows_by(rows, skill="lua")
    assert lua.suggestion.code == "training"


def test_needs_map_page_is_localized_and_sortable() -> None:
    rows = needsmap.build(parse(TEXT), core().taxonomy.ancestors)
    page = render.needs_map_page(rows, Messages("en"), lambda s: core().taxonomy.label(s, "en"))
    assert 'class="wikitable sortable"' in page and "SPARQL" in page
    assert "translate it" in page
    page_ja = render.needs_map_page(rows, Messages("ja"), lambda s: core().taxonomy.label(s, "ja"))
    assert page_ja != page
