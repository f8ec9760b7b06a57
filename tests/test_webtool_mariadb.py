"""The web tool's queries on both backends: the same pages and API answers on SQLite and MariaDB."""

from __future__ import annotations

from datetime import date

import pytest

from bot.store import Store
from webtool import sampledata
from webtool.app import create_app

PATHS = [
    "/",
    "/skills",
    "/skills/sparql",
    "/matches",
    "/needs",
    "/communities",
    "/events",
    "/api/v1/skills",
    "/api/v1/skills/sparql",
    "/api/v1/needs",
    "/api/v1/matches",
    "/api/v1/events",
    "/api/v1/needs.csv",
    "/api/v1/matches.csv",
    "/healthz",
    "/readyz",
    "/status",
    "/api/v1/status",
    "/skills?uselang=ar",
    "/needs?uselang=ja",
]


@pytest.fixture
def client(db_url: str):
    store = Store(db_url)
    store.create_schema()
    sampledata.populate(store, 60, seed=5, today=date(2026, 11, 25))
    store.engine.dispose()
    app = create_app({"store_url": db_url, "cache_seconds": 0})
    return app.test_client()


def test_every_route_answers_on_this_backend(client) -> None:
    for path in PATHS:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
    skills = client.get("/api/v1/skills").get_json()
    assert skills, "sample data yields skills"
    matches = client.get("/api/v1/matches").get_json()["matches"]
    assert matches, "sample data yields matches"
    person = matches[0]["a"]
    assert client.get(f"/people/{person}").status_code == 200
    assert client.get(f"/api/v1/people/{person}").get_json()["username"] == person
