"""Operator status (/status, /api/v1/status), health vs readiness, and the API polish of issue 17.

Runs are written through the bot's own store methods (``begin_run``/``finish_run``/
``mark_killed_runs``) with stats from ``RunReport.as_dict``, so the page reads exactly what a
real run leaves behind.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.run import RunReport
from bot.store import Store
from bot.wiki import Outcome
from webtool import sampledata
from webtool.app import create_app
from webtool.context import FALSE_VALUES, TRUE_VALUES
from webtool.openapi import MAX_OFFSET
from webtool.status import next_run, run_summary

TODAY = datetime(2026, 11, 25, tzinfo=UTC).date()


def failed_report() -> dict[str, Any]:
    report = RunReport(pages_read=7, problems=4)
    report.outcomes += [
        Outcome("Skill-sharing/Report", "saved", "", 11),
        Outcome("Skill-sharing/Matches", "failed", "abusefilter"),
        Outcome("User:Protected", "refused", "not-allowed"),
        Outcome("User talk:Gone", "refused", "no-account"),
    ]
    report.messages.update(Counter({"saved": 2, "refused": 1, "retry": 2}))
    report.unread = ["Skill-sharing/Signups/fr"]
    return {**report.as_dict(), "error": "the store cannot be used: <disk full>"}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ops") / "store.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    sampledata.populate(store, 30, seed=7, today=TODAY)
    ok = store.begin_run()
    report = RunReport(pages_read=3)
    report.outcomes.append(Outcome("Skill-sharing/Report", "saved", "", 5))
    store.finish_run(ok, "ok", report.as_dict())
    failed = store.begin_run()
    store.finish_run(failed, "failed", failed_report())
    store.begin_run()  # dies without closing its row ...
    store.mark_killed_runs()  # ... and the next run marks it
    store.engine.dispose()
    return url


@pytest.fixture(scope="module")
def app(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    jobs = tmp_path_factory.mktemp("jobs") / "jobs.yaml"
    jobs.write_text(
        '- name: skillmatch-run\n  command: bot\n  image: x\n  schedule: "17 * * * *"\n'
    )
    flask_app = create_app({"store_url": store_url, "cache_seconds": 0})
    flask_app.config["SKILLMATCH_JOBS_FILE"] = str(jobs)
    return flask_app


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()


def rows_by_status(body: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'<tr data-run="\d+" data-status="([a-z]+)">(.*?)</tr>', body, re.S)
    }


# -- status ----------------------------------------------------------------------------------------


def test_status_api_shows_failed_and_killed_runs(client: FlaskClient) -> None:
    response = client.get("/api/v1/status")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "no-store" in response.headers["Cache-Control"]
    doc = response.get_json()
    # newest first (the sample data's own run is the oldest)
    assert [r["status"] for r in doc["runs"]] == ["killed", "failed", "ok", "ok"]
    killed, failed, ok = doc["runs"][:3]
    assert killed["finished"] is None and killed["duration_seconds"] is None
    assert failed["error"] == "the store cannot be used: <disk full>"
    assert failed["pages_read"] == 7 and failed["edits"] == 1 and failed["problems"] == 4
    assert failed["refused"] == 2 and failed["undelivered"] == 3 and failed["unread"] == 1
    assert failed["failed_edits"] == 1 and failed["duration_seconds"] is not None
    assert ok["error"] is None and ok["edits"] == 1 and ok["pages_read"] == 3
    assert doc["schedule"] == "17 * * * *"
    upcoming = datetime.fromisoformat(doc["next_run"])
    now = datetime.fromisoformat(doc["now"])
    assert upcoming.minute == 17 and 0 < (upcoming - now).total_seconds() <= 3600


def test_status_page_shows_each_run_with_its_result(client: FlaskClient) -> None:
    response = client.get("/status")
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    rows = rows_by_status(body)
    assert set(rows) == {"ok", "failed", "killed"}
    assert ">killed<" in rows["killed"] and ">failed<" in rows["failed"]
    # The recorded error is shown escaped, never as markup.
    assert "&lt;disk full&gt;" in rows["failed"] and "<disk full>" not in body
    assert "one edit failed" in rows["failed"]
    cells = re.findall(r'<td class="num">([^<]*)</td>', rows["failed"])
    assert cells[1:] == ["7", "1", "4", "3", "2", "1"]  # after the duration
    assert re.search(r'<time datetime="[^"]+:17:00\+00:00">', body)


def test_status_page_in_every_language(client: FlaskClient) -> None:
    english = client.get("/status").get_data(as_text=True)
    for lang in ("ar", "es", "fr", "ja"):
        body = client.get(f"/status?uselang={lang}").get_data(as_text=True)
        assert f'lang="{lang}"' in body
        title = re.search(r"<h1>(.*?)</h1>", body)
        assert title and title.group(1) != "Bot status"
        assert rows_by_status(body)["killed"] != rows_by_status(english)["killed"]
    qqx = client.get("/status?uselang=qqx").get_data(as_text=True)
    for key in ("status-title", "status-run-killed", "status-run-failed", "status-col-undelivered"):
        assert f"({key}" in qqx


def test_status_without_runs_or_schedule(tmp_path: Path) -> None:
    app = create_app({"store_url": f"sqlite:///{tmp_path}/fresh/s.db"})
    app.config["SKILLMATCH_JOBS_FILE"] = str(tmp_path / "none.yaml")
    client = app.test_client()
    assert client.get("/api/v1/status").get_json()["runs"] == []
    body = client.get("/status").get_data(as_text=True)
    assert "The bot has not run yet." in body and "Unknown (no schedule found)" in body


def test_status_of_the_repository_jobs_yaml(store_url: str) -> None:
    doc = create_app({"store_url": store_url}).test_client().get("/api/v1/status").get_json()
    assert doc["schedule"] and doc["next_run"]


def test_run_summary_of_a_running_run_counts_up_to_now() -> None:
    now = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    row = {"id": 1, "started": datetime(2026, 12, 6, 4, 59, 30), "status": "running", "stats": {}}
    summary = run_summary(row, now)
    assert summary["duration_seconds"] == 30.0 and summary["finished"] is None


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        ("17 * * * *", "2026-12-06T04:17:00", "2026-12-06T05:17:00"),
        ("17 * * * *", "2026-12-06T04:16:59", "2026-12-06T04:17:00"),
        ("@hourly", "2026-12-31T23:30:00", "2027-01-01T00:00:00"),
        ("0 3 * * 1", "2026-12-06T04:00:00", "2026-12-07T03:00:00"),  # a Sunday → Monday
        ("*/20 9-10 1 * *", "2026-12-06T00:00:00", "2027-01-01T09:00:00"),
    ],
)
def test_next_run(schedule: str, now: str, expected: str) -> None:
    got = next_run(schedule, datetime.fromisoformat(now).replace(tzinfo=UTC))
    assert got == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("schedule", ["every hour", "61 * * * *", "* * *"])
def test_next_run_of_nonsense_is_none(schedule: str) -> None:
    assert next_run(schedule, datetime(2026, 12, 6, tzinfo=UTC)) is None


# -- health and readiness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/missing/dir/x.db",  # a store that cannot be opened
        "mysql+pymysql://nobody:x@127.0.0.1:9/skillmatch?connect_timeout=2",  # nothing listens
    ],
)
def test_healthz_stays_up_while_the_store_is_down(tmp_path: Path, url: str) -> None:
    app = create_app({"store_url": url.format(tmp=tmp_path), "create_local_schema": False})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert client.get("/status").status_code == 503
    assert client.get("/api/v1/status").status_code == 503


# -- 405 and Allow ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/skills", "/status", "/healthz", "/readyz", "/api/v1/skills", "/api/v1/status"]
)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_every_405_says_what_is_allowed(client: FlaskClient, path: str, method: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and "HEAD" in allowed and method not in allowed
    assert client.open(path, method=sorted(allowed - {"OPTIONS"})[0]).status_code != 405
    json_expected = path.startswith("/api/")
    assert (response.mimetype == "application/json") is json_expected


# -- what the OpenAPI document says the API accepts ------------------------------------------------


def parameter(client: FlaskClient, path: str, name: str) -> dict[str, Any]:
    doc = client.get("/api/v1/openapi.json").get_json()
    params = doc["paths"][path]["get"]["parameters"]
    found: dict[str, Any] = next(p for p in params if p["name"] == name)
    return found


def test_paused_values_are_exactly_those_accepted(client: FlaskClient) -> None:
    declared = parameter(client, "/api/v1/matches", "paused")["schema"]["enum"]
    assert (
        set(declared)
        == {"", *TRUE_VALUES, *FALSE_VALUES}
        == {
            "",
            "1",
            "yes",
            "true",
            "0",
            "no",
            "false",
        }
    )
    for value in declared:
        doc = client.get(f"/api/v1/matches?paused={value}").get_json()
        want = None if value == "" else value in TRUE_VALUES
        assert doc["filters"]["paused"] is want
    for value in ("2", "True", "on"):
        assert client.get(f"/api/v1/matches?paused={value}").status_code == 400
    assert parameter(client, "/api/v1/matches.csv", "paused")["schema"]["enum"] == declared


def test_empty_filters_are_declared_and_accepted(client: FlaskClient) -> None:
    for path, name in (
        ("/api/v1/skills", "method"),
        ("/api/v1/matches", "state"),
        ("/api/v1/matches", "kind"),
    ):
        assert "" in parameter(client, path, name)["schema"]["enum"]
        assert client.get(f"{path}?{name}=").status_code == 200
    assert (
        client.get("/api/v1/skills?method=").get_json() == client.get("/api/v1/skills").get_json()
    )


@pytest.mark.parametrize("path", ["/api/v1/needs", "/api/v1/matches"])
def test_offset_maximum_is_declared_and_explained(client: FlaskClient, path: str) -> None:
    schema = parameter(client, path, "offset")["schema"]
    assert schema["maximum"] == MAX_OFFSET
    assert client.get(f"{path}?offset={MAX_OFFSET}").status_code == 200
    response = client.get(f"{path}?offset={MAX_OFFSET + 1}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "offset"
    assert error["message"] == "“offset” must be a whole number from 0 to 10,000,000." or (
        error["message"] == f"“offset” must be a whole number from 0 to {MAX_OFFSET}."
    )
    limit = parameter(client, path, "limit")["schema"]
    over = client.get(f"{path}?limit={limit['maximum'] + 1}").get_json()["error"]
    assert str(limit["maximum"]) in over["message"].replace(",", "")


def test_out_of_range_page_number_is_explained_on_the_page(client: FlaskClient) -> None:
    response = client.get("/matches?page=0")
    assert response.status_code == 400
    assert "must be a whole number from 1 to" in response.get_data(as_text=True)


def test_status_is_described_in_openapi(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/status"]["get"]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    status = client.get("/api/v1/status").get_json()
    assert set(schema["required"]) <= set(status)
    run_schema = doc["components"]["schemas"]["Run"]
    assert set(status["runs"][0]) == set(run_schema["properties"])
    assert set(run_schema["properties"]["status"]["enum"]) >= {"ok", "failed", "killed"}
    json.dumps(doc)


# -- scrollable tables take keyboard focus ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/skills/<busiest>", "/skills", "/", "/needs", "/matches", "/status"]
)
def test_scrollable_tables_are_focusable_named_regions(client: FlaskClient, path: str) -> None:
    if path == "/skills/<busiest>":
        skills = client.get("/api/v1/skills").get_json()["skills"]
        busiest = max(skills, key=lambda s: s["counts"]["learners"] + s["counts"]["sharers"])
        path = f"/skills/{busiest['id']}"
    body = client.get(path).get_data(as_text=True)
    wraps = re.findall(r'<div class="table-wrap"[^>]*>', body)
    assert wraps, path
    ids = re.findall(r'<caption id="([^"]+)"', body)
    assert len(ids) == len(set(ids)) == len(wraps)
    for wrap, caption_id in zip(wraps, ids, strict=True):
        assert 'tabindex="0"' in wrap and 'role="region"' in wrap
        assert f'aria-labelledby="{caption_id}"' in wrap
