"""The web tool through Flask's test client: every route, the API contract, headers, hostile input.

The store is filled by ``webtool.sampledata`` (through the bot's own write path) plus a handful of
hostile entries, so escaping is tested on exactly the rows the bot can store.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bot.models import Need, Offer, Origin, ParseResult, Resource, Signup, SkillLevel
from bot.store import Store, needs_map
from bot.taxonomy import Taxonomy
from devtools.demo import PRELOADS
from tests.helpers import parse
from webtool import sampledata
from webtool.app import create_app
from webtool.config import ConfigError, load_config

TODAY = date(2026, 11, 25)
SCRIPT = "<script>alert(1)</script>"
HOSTILE_USER = '"><img src=x onerror=alert(1)>'
TAXONOMY = Taxonomy.load()
SKILL = "sparql"
WIKIS: list[dict[str, Any]] = [
    {
        "id": "meta",
        "name": "Meta-Wiki",
        "index_url": "https://meta.wikimedia.org/w/index.php",
        "article_url": "https://meta.wikimedia.org/wiki/",
        "signup_page": "Skill-sharing/Signups",
        "preload": "Skill-sharing/Preload/Signup",
        "preload_by_lang": {"ja": "Skill-sharing/Preload/Signup/ja"},
        "offer_page": "Skill-sharing/Offers",
        "offer_preload": "Skill-sharing/Preload/Offer",
    },
    {
        "id": "jawiki",
        "name": "ウィキペディア日本語版",
        "index_url": "https://ja.wikipedia.org/w/index.php",
        "article_url": "https://ja.wikipedia.org/wiki/",
        "signup_page": "Wikipedia:スキル共有/登録",
        "preload": "Wikipedia:スキル共有/登録テンプレート",
        "languages": ["ja"],
    },
]


def add_hostile(store: Store) -> None:
    """Entries whose every free-text field is an injection attempt."""
    origin = Origin("meta", "Hostile", 1, 4242, HOSTILE_USER)
    result = ParseResult()
    result.add(
        Signup(
            user=HOSTILE_USER,
            languages=("en",),
            wants=(SkillLevel(SKILL, "beginner"),),
            community=SCRIPT,
            region="=1+1",
            origin=origin,
        )
    )
    result.add(
        Offer(
            skills=(SkillLevel(SKILL, "expert"),),
            languages=("en",),
            user="@SUM(A1)",
            description=SCRIPT + ' "><img src=x onerror=alert(2)>',
            origin=origin,
        )
    )
    result.add(
        Need(
            community='=HYPERLINK("http://x")',
            skill=SKILL,
            by=HOSTILE_USER,
            notes=SCRIPT,
            origin=origin,
        )
    )
    result.add(
        Resource(
            skills=(SKILL,),
            title=SCRIPT,
            link="javascript:alert(1)",
            by=HOSTILE_USER,
            origin=origin,
        )
    )
    with store.transaction() as conn:
        store.replace_entries(conn, result, [("meta", "Hostile")])
        store.save_match(
            conn,
            {
                "id": "hostile-1",
                "kind": "mentor",
                "a": HOSTILE_USER,
                "b": "-2+3",
                "a_wiki": "meta",
                "b_wiki": "meta",
                "skills": [SKILL],
                "score": 0.5,
                "reasons": [],
                "state": "active",
                "paused": True,
            },
        )
        conn.execute(
            needs_map.insert().values(
                skill=SKILL,
                community='=HYPERLINK("http://x")',
                lang="",
                region="",
                learners=1,
                mentor_capacity=0,
                recorded_need=1,
                resources=0,
                demand=4.0,
                gap=4.0,
                rank=99999,
                suggestion="recruit",
                suggestion_params=[],
            )
        )


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("webtool") / "store.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    summary = sampledata.populate(store, 150, seed=3, today=TODAY)
    add_hostile(store)
    store.engine.dispose()
    (path.parent / "summary.json").write_text(json.dumps(summary))
    return url


@pytest.fixture(scope="module")
def summary(store_url: str) -> dict[str, Any]:
    path = Path(store_url.removeprefix("sqlite:///")).parent / "summary.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture(scope="module")
def app(store_url: str) -> Flask:
    return create_app({"store_url": store_url, "cache_seconds": 0, "wikis": WIKIS})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def html(client: FlaskClient, path: str, status: int = 200, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def api(client: FlaskClient, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "application/json"
    return response.get_json()


def person_with_match(summary: dict[str, Any], store_url: str) -> str:
    with Store(store_url).engine.connect() as conn:
        name = conn.execute(
            sa.text(
                "SELECT a FROM matches WHERE kind='mentor' AND id != 'hostile-1' "
                "ORDER BY id LIMIT 1"
            )
        ).scalar_one()
    return str(name)


# -- every page ------------------------------------------------------------------------------------


PAGES = ["/", "/skills", f"/skills/{SKILL}", "/matches", "/needs", "/communities", "/events"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_english(client: FlaskClient, path: str) -> None:
    body = html(client, path)
    assert '<html lang="en" dir="ltr">' in body
    assert '<main id="content"' in body and 'class="skip-link" href="#content"' in body
    assert "⧼" not in body, "a message key is missing"
    assert "<h1>" in body and "<nav" in body and "<footer" in body


def test_home_shows_numbers_and_top_unmet_needs(
    client: FlaskClient, summary: dict[str, Any]
) -> None:
    body = html(client, "/")
    numbers = re.findall(r'<div class="stat"><dt>([^<]+)</dt><dd>(\d+)</dd>', body)
    assert dict(numbers)["Participants"] == str(len(summary["people"]) + 3 + 2)  # orgs, hostile
    assert "Top unmet needs" in body
    rows = re.findall(r'<th scope="row"><a href="/skills/([a-z0-9-]+)">', body)
    assert 1 <= len(rows) <= 10


def test_skill_page_lists_everything_about_the_skill(client: FlaskClient) -> None:
    body = html(client, f"/skills/{SKILL}")
    label = TAXONOMY.label(SKILL, "en")
    assert f"<h1>{label}</h1>" in body
    for heading in (
        "Learners",
        "Peers who can share it",
        "Mentoring and training offers",
        "Recorded community needs",
        "Learning resources",
        "Needs map",
        "Sub-skills",
    ):
        assert f">{heading}</h2>" in body, heading
    qid = TAXONOMY.get(SKILL).qid  # type: ignore[union-attr]
    if qid:
        assert f'href="https://www.wikidata.org/wiki/{qid}"' in body


def test_skill_page_links_parent_and_children(client: FlaskClient) -> None:
    parent = next(s for s in TAXONOMY if TAXONOMY.children(s.id))
    child = TAXONOMY.children(parent.id)[0]
    body = html(client, f"/skills/{parent.id}")
    assert f'href="/skills/{child}"' in body
    body = html(client, f"/skills/{child}")
    assert 'class="breadcrumbs"' in body and f'href="/skills/{parent.id}"' in body


def test_person_page_shows_entries_matches_and_badges(client: FlaskClient, store_url: str) -> None:
    with Store(store_url).engine.connect() as conn:
        name = conn.execute(
            sa.text("SELECT username FROM awards WHERE skill IS NOT NULL ORDER BY id LIMIT 1")
        ).scalar_one()
    body = html(client, "/people/" + quote(name.replace(" ", "_")))
    assert f"<bdi>{name}</bdi>" in body
    assert "Wants to learn" in body
    assert ">Matches</h2>" in body and "state state-" in body
    assert "/badges/awards/" in body


def test_matches_page_shows_states_and_paused(client: FlaskClient) -> None:
    body = html(client, "/matches?paused=yes")
    assert "state state-active" in body and 'class="paused"' in body
    for state in ("proposed", "active", "completed", "declined", "ended"):
        assert f"<dt>{state}</dt>" in body
    body = html(client, "/matches?state=completed")
    states = set(re.findall(r'class="state state-([a-z]+)"', body))
    assert states == {"completed"}


def test_matches_pagination(client: FlaskClient) -> None:
    first = html(client, "/matches")
    assert 'rel="next" href="/matches?page=2"' in first
    second = html(client, "/matches?page=2")
    assert 'rel="prev"' in second
    ids1 = set(re.findall(r"<code>([^<]+)</code>", first))
    ids2 = set(re.findall(r"<code>([^<]+)</code>", second))
    assert ids1 and ids2 and not ids1 & ids2
    html(client, "/matches?page=100000")  # past the end: an empty page, not an error


def match_tables(body: str) -> dict[str, tuple[list[str], set[str]]]:
    """Each matches table by kind: its column headings and the match ids in its rows."""
    out = {}
    for kind, table in re.findall(r'<table class="matches-([a-z]+)">(.*?)</table>', body, re.S):
        headings = re.findall(r'<th scope="col">([^<]+)</th>', table)
        out[kind] = (headings, set(re.findall(r"<code>([^<]+)</code>", table)))
    return out


def test_peer_exchanges_get_their_own_headings(client: FlaskClient, store_url: str) -> None:
    """Two peers are not a learner and a mentor: mentorships and peer exchanges are separate
    tables, each with headings that fit it, in the reader's language."""
    with Store(store_url).engine.connect() as conn:
        kinds = dict(conn.execute(sa.text("SELECT id, kind FROM matches")).tuples().all())
    tables = match_tables(html(client, "/matches"))
    assert set(tables) == {"mentor", "peer"}
    assert tables["mentor"][0][:3] == ["Match", "Learner", "Mentor"]
    assert tables["peer"][0][:3] == ["Match", "Peer", "Exchanges with"]
    assert {kinds[i] for i in tables["mentor"][1]} == {"mentor"}
    assert {kinds[i] for i in tables["peer"][1]} == {"peer"}
    body = html(client, "/matches")
    assert "Mentorships: learners with their mentors" in body
    assert "Peer exchanges: two people teaching each other" in body
    assert "(or peer)" not in body

    peers_only = match_tables(html(client, "/matches?kind=peer"))
    assert list(peers_only) == ["peer"] and peers_only["peer"][1]
    assert "Learner" not in peers_only["peer"][0] and "Mentor" not in peers_only["peer"][0]
    assert list(match_tables(html(client, "/matches?kind=mentor"))) == ["mentor"]
    japanese = match_tables(html(client, "/matches?kind=peer&uselang=ja"))
    assert japanese["peer"][0][1:3] == ["仲間", "交換相手"]


def test_needs_page_has_accessible_charts(client: FlaskClient) -> None:
    body = html(client, "/needs")
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"', body)
    assert len(charts) == 2
    for ids in charts:
        for chart_id in ids.split():
            assert f'id="{chart_id}"' in body
    assert "<title id=" in body and "<desc id=" in body
    assert 'class="label"' in body and 'class="value"' in body
    assert "<caption" in body and '<th scope="col"' in body


def test_communities_and_events(client: FlaskClient, summary: dict[str, Any]) -> None:
    body = html(client, "/communities")
    for community in summary["communities"]:
        assert f"<bdi>{community}</bdi>" in body
    body = html(client, "/events")
    assert ">Upcoming</h2>" in body and ">Past</h2>" in body
    assert body.count("Skill clinic") == len(summary["events"])


def test_skills_index_filters(client: FlaskClient) -> None:
    all_rows = html(client, "/skills").count('<th scope="row">')
    assert all_rows >= len(TAXONOMY)
    filtered = html(client, "/skills?lang=ja&method=mentorship")
    assert 0 < filtered.count('<th scope="row">') < all_rows
    assert '<option value="ja" selected>' in filtered
    assert '<option value="mentorship" selected>' in filtered
    by_learners = html(client, "/skills?sort=learners")
    counts = [int(n) for n in re.findall(r'</th>\s*<td class="num">(\d+)</td>', by_learners)]
    assert counts == sorted(counts, reverse=True)


# -- 404 and 400 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/skills/no-such-skill", "/people/Nobody_Here_At_All", "/nope", "/skills/" + "x" * 300]
)
def test_unknown_things_are_404_pages(client: FlaskClient, path: str) -> None:
    body = html(client, path, status=404)
    assert "Page not found" in body


@pytest.mark.parametrize(
    "path", ["/api/v1/skills/no-such-skill", "/api/v1/people/Nobody_Here_At_All"]
)
def test_unknown_things_are_404_json(client: FlaskClient, path: str) -> None:
    data = api(client, path, status=404)
    assert data["error"]["code"] == 404


def test_unknown_filter_value_is_400_naming_only_the_parameter(client: FlaskClient) -> None:
    unknown = "<i>no such place</i>"
    body = html(client, "/skills?community=" + quote(unknown), status=400)
    assert "community" in body and "no such place" not in body
    data = api(client, "/api/v1/matches?state=" + quote(SCRIPT), status=400)
    assert data["error"]["parameter"] == "state"
    assert "alert" not in json.dumps(data)


def test_post_is_405_not_500(client: FlaskClient) -> None:
    assert client.post("/").status_code == 405
    assert client.post("/api/v1/skills").status_code == 405


# -- the API ---------------------------------------------------------------------------------------


def test_api_skills(client: FlaskClient) -> None:
    data = api(client, "/api/v1/skills")
    ids = {s["id"] for s in data["skills"]}
    assert set(TAXONOMY.ids()) <= ids
    sparql = next(s for s in data["skills"] if s["id"] == SKILL)
    assert sparql["label"] == TAXONOMY.label(SKILL, "en")
    assert set(sparql["counts"]) >= {
        "learners",
        "sharers",
        "capacity",
        "needs",
        "resources",
        "events",
    }
    filtered = api(client, "/api/v1/skills?lang=ar")
    assert filtered["filters"]["lang"] == "ar"
    assert all(
        s["counts"]["learners"]
        <= next(t for t in data["skills"] if t["id"] == s["id"])["counts"]["learners"]
        for s in filtered["skills"]
    )


def test_api_skill_detail_in_japanese(client: FlaskClient) -> None:
    data = api(client, f"/api/v1/skills/{SKILL}?uselang=ja")
    assert data["skill"]["label"] == TAXONOMY.label(SKILL, "ja")
    assert data["skill"]["label_lang"] == "ja"
    assert any(e["user"] == HOSTILE_USER for e in data["learners"])
    assert set(data) >= {
        "learners",
        "sharers",
        "offers",
        "needs",
        "resources",
        "events",
        "needs_map",
    }


def test_api_person(client: FlaskClient, summary: dict[str, Any], store_url: str) -> None:
    name = person_with_match(summary, store_url)
    data = api(client, "/api/v1/people/" + quote(name))
    assert data["username"] == name
    assert data["signups"] and data["matches"]
    assert {"id", "state", "paused", "skills"} <= set(data["matches"][0])


def test_api_needs_and_paging(client: FlaskClient) -> None:
    data = api(client, "/api/v1/needs?limit=5")
    assert data["limit"] == 5 and len(data["cells"]) == 5 and data["total"] > 5
    ranks = [c["rank"] for c in data["cells"]]
    assert ranks == sorted(ranks)
    page2 = api(client, "/api/v1/needs?limit=5&offset=5")
    assert page2["cells"][0]["rank"] > ranks[-1]
    only = api(client, f"/api/v1/needs?skill={SKILL}")
    assert {c["skill"] for c in only["cells"]} == {SKILL}


def test_api_matches_and_events(client: FlaskClient, summary: dict[str, Any]) -> None:
    data = api(client, "/api/v1/matches?limit=1000")
    assert data["total"] == len(summary["matches"]) + 1
    assert set(data["counts"]) >= {"proposed", "active", "completed", "declined", "ended", "paused"}
    assert {m["state"] for m in data["matches"]} <= {
        "proposed",
        "active",
        "completed",
        "declined",
        "ended",
    }
    peers = api(client, "/api/v1/matches?kind=peer")
    assert peers["matches"] and all(m["kind"] == "peer" for m in peers["matches"])
    events = api(client, "/api/v1/events")
    assert len(events["events"]) == len(summary["events"])
    assert all("attendees" in e for e in events["events"])


def test_api_is_readable_cross_origin(client: FlaskClient) -> None:
    assert client.get("/api/v1/skills").headers["Access-Control-Allow-Origin"] == "*"


API_PATHS = [
    "/api/v1/needs.csv",
    "/api/v1/matches.csv",
    "/api/v1/needs",
    "/api/v1/skills",
    f"/api/v1/skills/{SKILL}",
    "/api/v1/openapi.json",
    "/api/v1/skills/no-such-skill",
]


@pytest.mark.parametrize("path", API_PATHS)
def test_api_varies_with_accept_language(client: FlaskClient, path: str) -> None:
    """Labels follow Accept-Language, so a shared cache must not hand English to a reader of
    Japanese: every /api/ answer (errors included) says it varies on that header."""
    response = client.get(path, headers={"Accept-Language": "ja"})
    assert "Accept-Language" in response.headers.get("Vary", ""), path


def test_csv_labels_do_follow_accept_language(client: FlaskClient) -> None:
    english = client.get("/api/v1/needs.csv", headers={"Accept-Language": "en"})
    japanese = client.get("/api/v1/needs.csv", headers={"Accept-Language": "ja"})
    assert english.data != japanese.data


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_openapi_document_describes_every_route(app: Flask, client: FlaskClient) -> None:
    doc = api(client, "/api/v1/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    routes = {
        re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes == set(doc["paths"])
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc))
    assert refs
    for ref in refs:
        assert _resolve(doc, ref) is not None
    for path, item in doc["paths"].items():
        op = item["get"]
        assert "200" in op["responses"], path
        for param in op.get("parameters", []):
            assert param["in"] in ("query", "path")
            if param["in"] == "path":
                assert "{" + param["name"] + "}" in path and param["required"] is True


# -- CSV -------------------------------------------------------------------------------------------


def read_csv(client: FlaskClient, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_downloads_are_injection_safe(client: FlaskClient, summary: dict[str, Any]) -> None:
    rows = read_csv(client, "/api/v1/matches.csv")
    assert rows[0][:4] == ["id", "kind", "a", "b"]
    assert len(rows) == len(summary["matches"]) + 2
    hostile = next(r for r in rows if r[0] == "hostile-1")
    assert hostile[3] == "'-2+3"
    needs = read_csv(client, "/api/v1/needs.csv")
    assert needs[0][0] == "skill" and len(needs) > 10
    cell = next(r for r in needs if "HYPERLINK" in r[2])
    assert cell[2].startswith("'=")
    for row in rows[1:] + needs[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "@")), value
            assert not (value.startswith("-") and not re.fullmatch(r"-[0-9.]+", value)), value


# -- security headers and escaping -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/skills", "/api/v1/skills", "/nope", "/healthz", "/api/v1/needs.csv"]
)
def test_security_headers_everywhere(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


@pytest.mark.parametrize("path", [*PAGES, "/people/" + quote(HOSTILE_USER)])
def test_no_inline_script_style_or_handlers(client: FlaskClient, path: str) -> None:
    body = html(client, path)
    assert "<script" not in body.lower()
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"<[^>]+\son[a-z]+=", body)


def test_hostile_username_and_descriptions_are_escaped(client: FlaskClient) -> None:
    body = html(client, "/people/" + quote(HOSTILE_USER, safe=""))
    assert "<bdi>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</bdi>" in body
    assert "<img" not in body
    body = html(client, f"/skills/{SKILL}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert SCRIPT not in body and "<img" not in body
    assert 'href="javascript:' not in body
    assert "https://meta.wikimedia.org/wiki/javascript:alert(1)" in body  # a wiki title, inert
    data = client.get(f"/api/v1/skills/{SKILL}").get_data(as_text=True)
    assert json.loads(data)["offers"]


HOSTILE_QUERIES = [
    "/?uselang=" + quote(SCRIPT),
    "/?uselang=" + quote('"><svg onload=alert(1)>'),
    "/?uselang=" + "a" * 5000,
    "/?uselang=xx-yy-zz-ww-vv-uu",
    "/?uselang=%00",
    "/skills?lang=" + quote(SCRIPT),
    "/skills?method=%FF%FE",
    "/skills?sort=" + quote("label;DROP TABLE entries"),
    "/skills?community=" + "x" * 10000,
    "/matches?page=99999999999999999999999",
    "/matches?page=-1",
    "/matches?page=0",
    "/matches?page=1e9",
    "/matches?paused=maybe",
    "/needs?page=" + quote(SCRIPT),
    "/needs?skill=../../etc/passwd",
    "/api/v1/needs?limit=100000",
    "/api/v1/needs?offset=-5",
    "/api/v1/needs?limit=" + quote(SCRIPT),
    "/api/v1/matches?offset=99999999999999999999",
    "/api/v1/skills?method=" + quote(SCRIPT),
    "/people/" + quote(SCRIPT, safe=""),
    "/people/%00",
    "/people/" + "x" * 5000,
    "/skills/" + quote(SCRIPT, safe=""),
    "/skills/%E2%80%AE",
    "/api/v1/people/" + quote("'; DROP TABLE matches; --", safe=""),
    "/?" + "&".join(f"p{i}=<x>" for i in range(500)),
]


@pytest.mark.parametrize("path", HOSTILE_QUERIES)
def test_hostile_query_strings_never_500(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept-Language": "<script>, zz;q=2, ;;;"})
    assert response.status_code < 500, (path, response.status_code)
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<svg onload" not in body and "<x>" not in body
    if response.status_code == 200 and response.mimetype == "text/html":
        assert '<html lang="en" dir="ltr">' in body


def test_store_still_intact_after_hostile_queries(client: FlaskClient) -> None:
    assert client.get("/api/v1/matches").get_json()["total"] > 1


# -- i18n ------------------------------------------------------------------------------------------


def test_uselang_japanese(client: FlaskClient) -> None:
    body = html(client, f"/skills/{SKILL}?uselang=ja")
    assert '<html lang="ja" dir="ltr">' in body
    assert ">ホーム</a>" in body
    assert f"<h1>{TAXONOMY.label(SKILL, 'ja')}</h1>" in body
    assert 'href="/skills?uselang=ja"' in body  # links keep the reader's language


def test_arabic_is_right_to_left_with_bdi_usernames(
    client: FlaskClient, summary: dict[str, Any], store_url: str
) -> None:
    name = person_with_match(summary, store_url)
    body = html(client, "/people/" + quote(name) + "?uselang=ar")
    assert '<html lang="ar" dir="rtl">' in body
    assert f"<bdi>{name}</bdi>" in body
    assert client.get("/?uselang=ar").headers["Content-Language"] == "ar"
    chart = html(client, "/needs?uselang=ar")
    assert 'direction="rtl"' in chart


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("es-MX,es;q=0.9", "es"),
        ("es-MX", "es"),
        ("fr-CA, en;q=0.5", "fr"),
        ("de, ja;q=0.8", "ja"),
        ("de", "en"),
        ("ar-EG", "ar"),
        ("", "en"),
        ("*", "en"),
    ],
)
def test_accept_language_with_fallback(client: FlaskClient, accept: str, lang: str) -> None:
    body = html(client, "/", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}"' in body
    assert "Accept-Language" in client.get("/", headers={"Accept-Language": accept}).headers["Vary"]


def test_uselang_beats_accept_language_and_falls_back(client: FlaskClient) -> None:
    body = html(client, "/?uselang=es-mx", headers={"Accept-Language": "ja"})
    assert '<html lang="es" dir="ltr">' in body
    assert 'href="/skills?uselang=es-mx"' in body
    body = html(client, "/?uselang=zz")
    assert '<html lang="en"' in body


def test_qqx_shows_message_keys(client: FlaskClient) -> None:
    body = html(client, "/?uselang=qqx")
    assert "(nav-home)" in body and "(home-title)" in body
    assert "(signup-button: Meta-Wiki)" in body
    assert "Learn and share skills" not in body


def test_missing_translation_is_wrapped_in_its_own_language(app: Flask) -> None:
    from webtool import translations as tr

    catalog = tr.Catalog()
    catalog.messages["fr"].pop("nav-home")
    choice = tr.choose("fr", [], catalog.messages)
    out = tr.render(catalog, choice, "nav-home", ())
    assert out == '<span lang="en" dir="ltr">Home</span>'


# -- sign-up links ---------------------------------------------------------------------------------


def signup_links(body: str) -> list[tuple[str, dict[str, list[str]]]]:
    out = []
    for href in re.findall(r'data-kind="(?:signup|offer)" href="([^"]+)"', body):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            params.setdefault(key, []).append(value)
        out.append((f"{parts.scheme}://{parts.netloc}{parts.path}", params))
    return out


def test_signup_link_preloads_the_template_in_the_readers_language(client: FlaskClient) -> None:
    links = signup_links(html(client, "/?uselang=ja"))
    # jawiki lists Japanese, so it comes first for a Japanese reader
    assert links[0][0] == "https://ja.wikipedia.org/w/index.php"
    meta = [params for base, params in links if base == "https://meta.wikimedia.org/w/index.php"]
    signup, offer = meta
    assert signup["title"] == ["Skill-sharing/Signups"]
    assert signup["action"] == ["edit"] and signup["section"] == ["new"]
    assert signup["preload"] == ["Skill-sharing/Preload/Signup/ja"]
    assert signup["preloadparams[]"] == ["", "ja"]
    assert signup["uselang"] == ["ja"]
    assert signup["preloadtitle"] == ["スキル登録"]
    assert offer["title"] == ["Skill-sharing/Offers"] and offer["preload"] == [
        "Skill-sharing/Preload/Offer"
    ]


def test_signup_link_on_a_skill_page_names_the_skill(client: FlaskClient) -> None:
    links = signup_links(html(client, f"/skills/{SKILL}?uselang=es"))
    params = next(p for base, p in links if "meta" in base)
    assert params["preloadparams[]"] == [TAXONOMY.label(SKILL, "es"), "es"]
    assert params["preload"] == ["Skill-sharing/Preload/Signup"]  # no Spanish preload configured


@pytest.mark.parametrize(
    ("uselang", "code"),
    [("pt-BR", "pt-br"), ("fr", "fr"), ("es-mx", "es"), ("xx-nonsense", "en"), ("qqx", "en")],
)
def test_signup_link_names_the_language_the_reader_asked_for(
    client: FlaskClient, uselang: str, code: str
) -> None:
    """``$2`` is the reader's explicit code when a signup may name it, else the served one."""
    links = signup_links(html(client, f"/skills/{SKILL}?uselang={uselang}"))
    params = next(p for base, p in links if "meta" in base)
    assert params["preloadparams[]"][1] == code
    assert params["uselang"] == [code]


def mediawiki_preload(text: str, params: list[str]) -> str:
    """What MediaWiki's edit form shows: ``$n`` of the preload page replaced by the n-th
    ``preloadparams[]`` (a RawMessage's parameters); a ``$n`` without a value stays as it is."""

    def fill(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return params[n - 1] if 0 < n <= len(params) else match.group(0)

    return re.sub(r"\$(\d+)", fill, text)


def test_demo_preloads_take_the_skill_and_the_language(client: FlaskClient) -> None:
    """The demo's preload pages put $1 in wants= and $2 in languages=, so "Learn SPARQL"
    opens a form the bot accepts as soon as the volunteer adds their name."""
    links = signup_links(html(client, f"/skills/{SKILL}?uselang=pt-BR"))
    params = next(p for base, p in links if "meta" in base)["preloadparams[]"]
    assert params == [TAXONOMY.label(SKILL, "en"), "pt-br"]
    for wiki, lang, user in (("smmeta", "en", "user"), ("smja", "ja", "利用者")):
        _title, text = PRELOADS[wiki]
        form = mediawiki_preload(text, params)
        assert "$" not in form, wiki
        result = parse(form.replace(f"|{user}=\n", f"|{user}=Alice\n", 1), lang)
        assert result.problems == [], wiki
        (signup,) = result.signups
        assert [want.skill for want in signup.wants] == [SKILL], wiki
        assert signup.languages == ("pt-br",), wiki


# -- health, cache and configuration ---------------------------------------------------------------


def test_healthz(client: FlaskClient, tmp_path: Path) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert client.get("/readyz").status_code == 200
    broken = create_app(
        {"store_url": f"sqlite:///{tmp_path}/missing/dir/x.db", "create_local_schema": False}
    ).test_client()
    # Shallow: the process answers while the store is down (a restart would not cure it) ...
    response = broken.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    # ... and readiness says the store is not there.
    response = broken.get("/readyz")
    assert response.status_code == 503 and b"store" in response.data


def test_pages_answer_503_when_the_store_is_gone(tmp_path: Path) -> None:
    broken = create_app(
        {"store_url": f"sqlite:///{tmp_path}/missing/dir/x.db", "create_local_schema": False}
    ).test_client()
    assert broken.get("/").status_code == 503
    assert broken.get("/api/v1/skills").status_code == 503


def test_fresh_local_store_gets_an_empty_schema(tmp_path: Path) -> None:
    client = create_app({"store_url": f"sqlite:///{tmp_path}/new/skillmatch.db"}).test_client()
    assert client.get("/healthz").status_code == 200
    body = client.get("/").get_data(as_text=True)
    assert "The bot has not finished a run yet" in body


def test_cache_follows_bot_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/run.db"
    store = Store(url)
    sampledata.populate(store, 20, seed=1, today=TODAY)
    client = create_app({"store_url": url, "cache_seconds": 0}).test_client()
    before = client.get("/api/v1/matches").get_json()["total"]
    with store.transaction() as conn:
        store.save_match(
            conn,
            {
                "id": "late",
                "kind": "mentor",
                "a": "A",
                "b": "B",
                "a_wiki": "x",
                "b_wiki": "x",
                "skills": [SKILL],
                "score": 1.0,
                "reasons": [],
                "state": "proposed",
                "paused": False,
            },
        )
    assert client.get("/api/v1/matches").get_json()["total"] == before  # same run: cached
    store.finish_run(store.begin_run(), "ok", {})
    assert client.get("/api/v1/matches").get_json()["total"] == before + 1


def test_config_layers(tmp_path: Path) -> None:
    path = tmp_path / "private.yaml"
    path.write_text("store_url: sqlite:///from-yaml.db\ncontact: yaml@example.org\n")
    env = {"SKILLMATCH_CONFIG": str(path), "SKILLMATCH_CONTACT": "env@example.org"}
    config = load_config(None, environ=env)
    assert config.store_url == "sqlite:///from-yaml.db"
    assert config.contact == "env@example.org"
    config = load_config({"contact": "code@example.org"}, environ=env)
    assert config.contact == "code@example.org"
    env_store = {
        **env,
        "SKILLMATCH_STORE": "sqlite:///a.db",
        "SKILLMATCH_STORE_URL": "sqlite:///b.db",
    }
    assert load_config(None, environ=env_store).store_url == "sqlite:///b.db"
    env_wikis = {"SKILLMATCH_CONFIG": str(path), "SKILLMATCH_WIKIS": json.dumps(WIKIS)}
    assert load_config(None, environ=env_wikis).wikis[1].id == "jawiki"
    with pytest.raises(ConfigError):
        load_config({"no_such_key": 1}, environ={})
    with pytest.raises(ConfigError):
        load_config({"wikis": [{"id": "x"}]}, environ={})
    with pytest.raises(ConfigError):
        load_config({"wikis": [{**WIKIS[0], "index_url": "javascript:alert(1)"}]}, environ={})


def test_config_from_the_bots_operator_file(tmp_path: Path) -> None:
    config = load_config(None, environ={})  # config/skillmatch.yaml, shared with the bot
    assert config.store_url.startswith("sqlite:///") and config.store_url.endswith(
        "var/skillmatch.db"
    )
    assert config.base_url == "https://skillmatch.toolforge.org"
    meta, ja = config.wikis
    assert (meta.id, meta.index_url) == ("meta", "https://meta.wikimedia.org/w/index.php")
    assert meta.signup_page == "Skill-sharing/Signups"
    assert meta.preload == "Skill-sharing/Preload/Signup"
    assert ja.index_url == "https://ja.wikipedia.org/w/index.php" and ja.languages == ("ja",)
    assert ja.page_url("利用者:A") == "https://ja.wikipedia.org/wiki/%E5%88%A9%E7%94%A8%E8%80%85:A"
    local = tmp_path / "operator.yaml"
    local.write_text(
        "store: sqlite:////tmp/x.db\n"
        "wikis:\n"
        "  dev:\n"
        "    family: devwiki\n"
        "    lang: ar\n"
        "    url: http://127.0.0.1:8080\n"
        "    signup_pages: [Signups]\n"
        "    preload: Preload\n"
        "    preload_by_lang: {ja: Preload/ja}\n"
        "webtool:\n"
        "  cache_seconds: 1\n"
    )
    config = load_config(None, environ={"SKILLMATCH_CONFIG": str(local)})
    (dev,) = config.wikis
    assert dev.index_url == "http://127.0.0.1:8080/index.php"
    assert dev.page_url("User:A") == "http://127.0.0.1:8080/index.php?title=User:A"
    assert dev.preload_by_lang == {"ja": "Preload/ja"}
    assert config.cache_seconds == 1.0 and config.store_url == "sqlite:////tmp/x.db"


@pytest.fixture
def plain_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path}/plain.db"
    sampledata.populate(Store(url), 10, seed=2, today=TODAY)
    from webtool.skills import Skills

    yield create_app({"store_url": url}, skills=Skills(()))


def test_tool_works_without_a_taxonomy(plain_app: Flask) -> None:
    client = plain_app.test_client()
    body = client.get("/skills").get_data(as_text=True)
    assert client.get("/skills").status_code == 200
    assert '<span dir="auto">' in body  # ids stand in for labels
    assert client.get("/communities").status_code == 200


def test_person_page_names_languages_never_bare_codes(client: FlaskClient, store_url: str) -> None:
    from bot import langnames, languages

    with Store(store_url).engine.connect() as conn:
        name = conn.execute(
            sa.text("SELECT username FROM awards WHERE skill IS NOT NULL ORDER BY id LIMIT 1")
        ).scalar_one()
    pages = {}
    for uselang in ("en", "fr"):
        body = html(client, f"/people/{quote(name.replace(' ', '_'))}?uselang={uselang}")
        cells = re.findall(r"<dt>[^<]*</dt><dd>((?:<bdi>[^<]*</bdi>[^<]*)+)</dd>", body)
        shown = [n for cell in cells for n in re.findall(r"<bdi>([^<]*)</bdi>", cell)]
        assert shown, "the page lists the person's languages"
        assert not [n for n in shown if languages.is_known(n)], shown
        pages[uselang] = shown
    by_english = {langnames.name(c, "en"): c for c in languages.mediawiki().names}
    codes = [by_english[n] for n in pages["en"] if n in by_english]
    assert codes, pages
    for code in codes:  # the same languages, named in French this time
        assert langnames.name(code, "fr") in pages["fr"], (code, pages)
