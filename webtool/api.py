"""The JSON API (``/api/v1/…``), its OpenAPI document and the CSV downloads.

Why cache whole response bodies: API answers depend only on the store state (one bot run), the
validated parameters and the label language, so the serialised bytes are kept per run and a
request after the first costs a dictionary lookup. CSV cells that a spreadsheet would read as a
formula are prefixed with ``'`` (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cache
from typing import Any

import flask
from werkzeug.exceptions import NotFound

from webtool import queries
from webtool.context import (
    BadParam,
    bool_param,
    choice,
    int_param,
    skill_text,
    state,
    text_param,
)
from webtool.openapi import MAX_LIMIT, MAX_OFFSET, openapi_document
from webtool.pages import (
    cached,
    facets,
    match_filter,
    needs_filter,
    normalize_username,
    skill_filters,
    status_data,
)

bp = flask.Blueprint("api", __name__, url_prefix="/api/v1")

JSON_TYPE = "application/json; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(key: Hashable, build: Callable[[], Any]) -> flask.Response:
    """Serve cached JSON bytes for ``key`` (the label language is part of every key)."""
    full_key = ("api", choice().code, *((key,) if not isinstance(key, tuple) else key))
    body = state().cache.get(full_key, lambda: _dumps(build()))
    return flask.Response(body, content_type=JSON_TYPE)


def label(skill_id: str) -> dict[str, Any]:
    text, lang = skill_text(skill_id)
    info = state().skills.get(skill_id)
    return {
        "id": skill_id,
        "label": text,
        "label_lang": lang,
        "qid": info.qid if info else None,
        "parent": info.parent if info else None,
    }


def paging() -> tuple[int, int]:
    # An empty number is a 400 here (the document declares integers); HTML forms may send one.
    for name in ("limit", "offset"):
        if flask.request.args.get(name) == "":
            raise BadParam(name)
    return int_param("limit", 100, 1, MAX_LIMIT), int_param("offset", 0, 0, MAX_OFFSET)


@bp.get("/skills")
def skills() -> flask.Response:
    filters = skill_filters()
    key = ("skills", *sorted((k, v or "") for k, v in filters.items()))

    def build() -> Any:
        counts = facets().counts(**filters)
        ids = set(counts)
        if not any(filters.values()):
            ids |= set(state().skills.ids())
        rows = []
        for skill_id in sorted(ids):
            c = counts.get(skill_id) or queries.SkillCounts()
            rows.append({**label(skill_id), "counts": c.as_dict()})
        return {"filters": filters, "count": len(rows), "skills": rows}

    return json_response(key, build)


@bp.get("/skills/<skill_id>")
def skill(skill_id: str) -> flask.Response:
    if len(skill_id) > 64:
        raise NotFound()
    detail = cached(("skill", skill_id), lambda c: queries.skill_detail(c, skill_id))
    tool = state()
    if tool.skills.get(skill_id) is None and not any(detail.values()):
        raise NotFound()

    def build() -> Any:
        counts = facets().counts().get(skill_id) or queries.SkillCounts()
        return {
            "skill": {
                **label(skill_id),
                "ancestors": tool.skills.ancestors(skill_id),
                "children": tool.skills.children(skill_id),
            },
            "counts": counts.as_dict(),
            "learners": detail["want"],
            "sharers": detail["offer"],
            "offers": detail["mentor"],
            "needs": detail["need"],
            "resources": detail["resource"],
            "events": detail["event"],
            "needs_map": detail["cells"],
        }

    return json_response(("skill", skill_id), build)


@bp.get("/people/<username>")
def person(username: str) -> flask.Response:
    name = normalize_username(username)
    if name is None:
        raise NotFound()
    data = cached(("person", name), lambda c: queries.person(c, name))
    if data is None:
        raise NotFound()
    return json_response(("person", name), lambda: data)


@bp.get("/needs")
def needs() -> flask.Response:
    flt = needs_filter()
    limit, offset = paging()

    def build() -> Any:
        rows, total = cached(
            ("needs", flt, limit, offset, "api"),
            lambda c: queries.needs_rows(c, flt, limit, offset),
        )
        return {
            "filters": {k: getattr(flt, k) for k in ("skill", "community", "lang", "region")},
            "total": total,
            "limit": limit,
            "offset": offset,
            "cells": rows,
        }

    return json_response(("needs", flt, limit, offset), build)


@bp.get("/matches")
def matches() -> flask.Response:
    flt = match_filter()
    limit, offset = paging()

    def build() -> Any:
        rows, total = cached(
            ("matches", flt, limit, offset, "api"),
            lambda c: queries.match_rows(c, flt, limit, offset),
        )
        return {
            "filters": {"state": flt.state, "kind": flt.kind, "paused": flt.paused},
            "counts": cached(("match-counts",), queries.match_state_counts),
            "total": total,
            "limit": limit,
            "offset": offset,
            "matches": rows,
        }

    return json_response(("matches", flt, limit, offset), build)


@bp.get("/events")
def events() -> flask.Response:
    return json_response(("events",), lambda: {"events": cached(("events",), queries.events)})


@bp.get("/status")
def status() -> flask.Response:
    """The operator's status as JSON for monitoring; never cached (see pages.status_data)."""
    response = flask.Response(_dumps(status_data()), content_type=JSON_TYPE)
    response.cache_control.no_store = True
    return response


@bp.get("/openapi.json")
def openapi() -> flask.Response:
    base = state().config.base_url or flask.request.host_url.rstrip("/")

    def build() -> dict[str, Any]:
        f = facets()
        skill_facets = {"lang": f.languages, "community": f.communities, "region": f.regions}
        return openapi_document(base, skill_facets, cached(("needs-facets",), queries.needs_facets))

    return json_response(("openapi", base), build)


@cache
def _declared_query_params() -> dict[str, frozenset[str]]:
    """Each documented path's query parameter names (the data-independent part of the document)."""
    doc = openapi_document("")
    return {
        path: frozenset(p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query")
        for path, item in doc["paths"].items()
    }


_RULE_VAR = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@bp.before_request
def known_params_only() -> None:
    """A query parameter the document does not declare is a 400 naming it, as a bad value is:
    a misspelt filter (``stat=active``) must not silently return everything, and the document
    stays the whole contract. ``uselang`` is accepted everywhere (it only picks labels)."""
    rule = flask.request.url_rule
    if rule is None:
        return
    declared = _declared_query_params().get(_RULE_VAR.sub(r"{\1}", rule.rule))
    if declared is None:
        return
    for name in flask.request.args:
        if name not in declared and name != "uselang":
            raise BadParam(name)


# -- CSV ------------------------------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def csv_response(key: Hashable, filename: str, build: Callable[[], bytes]) -> flask.Response:
    body = state().cache.get(("csv", choice().code, key), build)
    response = flask.Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


NEEDS_COLUMNS = (
    "skill",
    "label",
    "community",
    "lang",
    "region",
    "learners",
    "mentor_capacity",
    "recorded_need",
    "resources",
    "demand",
    "gap",
    "rank",
    "suggestion",
)
MATCH_COLUMNS = (
    "id",
    "kind",
    "a",
    "b",
    "a_wiki",
    "b_wiki",
    "skills",
    "score",
    "state",
    "paused",
    "created",
    "updated",
)


@bp.get("/needs.csv")
def needs_csv() -> flask.Response:
    flt = needs_filter()

    def build() -> bytes:
        rows, _total = cached(
            ("needs", flt, 1_000_000, 0, "csv"),
            lambda c: queries.needs_rows(c, flt, 1_000_000, 0),
        )
        return csv_bytes(
            NEEDS_COLUMNS,
            (
                [r["skill"], skill_text(r["skill"])[0], *(r[c] for c in NEEDS_COLUMNS[2:])]
                for r in rows
            ),
        )

    return csv_response(("needs", flt), "skillmatch-needs.csv", build)


@bp.get("/matches.csv")
def matches_csv() -> flask.Response:
    paused = bool_param("paused")
    flt = queries.MatchFilter(
        state=text_param("state", queries.MATCH_STATES),
        kind=text_param("kind", queries.MATCH_KINDS),
        paused=paused,
    )

    def build() -> bytes:
        rows, _total = cached(
            ("matches", flt, 1_000_000, 0, "csv"),
            lambda c: queries.match_rows(c, flt, 1_000_000, 0),
        )
        rows.sort(key=lambda r: r["id"])
        return csv_bytes(MATCH_COLUMNS, ([r[c] for c in MATCH_COLUMNS] for r in rows))

    return csv_response(("matches", flt), "skillmatch-matches.csv", build)
