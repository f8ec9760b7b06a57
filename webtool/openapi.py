"""The OpenAPI 3 description of ``/api/v1``: what other tools and backpacks may rely on.

Written as data next to the code it describes so a route change and its documentation land in
one commit; the tests check every ``$ref`` resolves and every API route is described.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.models import METHODS
from webtool.context import FALSE_VALUES, TRUE_VALUES
from webtool.queries import MATCH_KINDS, MATCH_STATES
from webtool.status import RUN_STATUSES

API_VERSION = "1.1.0"
# Paging bounds the API enforces (``api.paging``); declared here so the document states them.
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(
    name: str, where: str, description: str, schema: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERROR = {
    "description": "Invalid parameter",
    "content": {"application/json": {"schema": _ref("Error")}},
}
_NOT_FOUND = {
    "description": "Not found",
    "content": {"application/json": {"schema": _ref("Error")}},
}

_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}
_INT = {"type": "integer"}
_STRS = {"type": "array", "items": _STR}


def _known(values: Collection[str] | None) -> dict[str, Any]:
    """A filter that accepts only values present in the data (else 400): the document lists them
    when it is served, so a client (or a property test) knows exactly what is accepted."""
    if values is None:
        return _STR
    return {"type": "string", "enum": ["", *sorted(set(values) - {""})]}


def openapi_document(
    base_url: str,
    skill_facets: Mapping[str, Collection[str]] | None = None,
    needs_facets: Mapping[str, Collection[str]] | None = None,
) -> dict[str, Any]:
    """The document; with ``skill_facets``/``needs_facets`` (the values the data holds now, per
    filter) the data-dependent filters are enums of exactly what the API accepts."""
    sf = dict(skill_facets or {})
    nf = dict(needs_facets or {})
    uselang = _param(
        "uselang",
        "query",
        "Language of skill labels (MediaWiki code); falls back along its chain to English.",
        _STR,
    )

    def lang(values: Collection[str] | None) -> dict[str, Any]:
        return _param(
            "lang",
            "query",
            "Only entries in this language (a code present in the data; any other is a 400);"
            " empty means no filter.",
            _known(values),
        )

    def community(values: Collection[str] | None) -> dict[str, Any]:
        return _param(
            "community",
            "query",
            "Only entries of this community (one present in the data; any other is a 400);"
            " empty means no filter.",
            _known(values),
        )

    def region(values: Collection[str] | None) -> dict[str, Any]:
        return _param(
            "region",
            "query",
            "Only entries of this region (one present in the data; any other is a 400);"
            " empty means no filter.",
            _known(values),
        )

    method = _param(
        "method",
        "query",
        "Only entries preferring or offering this method; empty means no filter.",
        {"type": "string", "enum": ["", *METHODS]},
    )
    skill = _param(
        "skill",
        "query",
        "Only this skill id (one present in the needs map; any other is a 400); empty means no"
        " filter.",
        _known(nf.get("skill")),
    )
    limit = _param(
        "limit",
        "query",
        "Page size.",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    )
    offset = _param(
        "offset",
        "query",
        f"Rows to skip (at most {MAX_OFFSET}; a larger value is a 400 naming the range).",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    )
    state = _param(
        "state",
        "query",
        "Match state; empty means no filter.",
        {"type": "string", "enum": ["", *MATCH_STATES]},
    )
    kind = _param(
        "kind",
        "query",
        "Match kind; empty means no filter.",
        {"type": "string", "enum": ["", *MATCH_KINDS]},
    )
    paused = _param(
        "paused",
        "query",
        "Only paused (1, yes, true) or running (0, no, false) matches; empty means both.",
        {"type": "string", "enum": ["", *TRUE_VALUES, *FALSE_VALUES]},
    )
    skill_id = _param("skill_id", "path", "Canonical skill id.", _STR, required=True)
    username = _param(
        "username", "path", "Wiki username (spaces or underscores).", _STR, required=True
    )

    def get(
        summary: str, params: list[dict[str, Any]], ok: dict[str, Any], *, not_found: bool = False
    ) -> dict[str, Any]:
        responses: dict[str, Any] = {"200": ok, "400": _ERROR}
        if not_found:
            responses["404"] = _NOT_FOUND
        return {"get": {"summary": summary, "parameters": params, "responses": responses}}

    needs_filters = [
        community(nf.get("community")),
        lang(nf.get("lang")),
        region(nf.get("region")),
    ]
    csv_ok = {
        "description": "CSV, UTF-8 with a header row; text that starts like a formula gets a '",
        "content": {"text/csv": {"schema": _STR}},
    }
    paths = {
        "/api/v1/skills": get(
            "Skills with counts of learners, sharers, needs, resources and events",
            [
                uselang,
                lang(sf.get("lang")),
                community(sf.get("community")),
                region(sf.get("region")),
                method,
            ],
            _ok("SkillList", "Skills"),
        ),
        "/api/v1/skills/{skill_id}": get(
            "One skill: everyone and everything that names it",
            [skill_id, uselang],
            _ok("SkillDetail", "The skill"),
            not_found=True,
        ),
        "/api/v1/people/{username}": get(
            "One person's entries, matches, waiting state and badges",
            [username, uselang],
            _ok("Person", "The person"),
            not_found=True,
        ),
        "/api/v1/needs": get(
            "Cells of the needs map, highest gap first",
            [skill, *needs_filters, limit, offset, uselang],
            _ok("NeedsPage", "Needs map cells"),
        ),
        "/api/v1/matches": get(
            "Matches with their state",
            [state, kind, paused, limit, offset, uselang],
            _ok("MatchesPage", "Matches"),
        ),
        "/api/v1/events": get(
            "Trainings and events with attendee counts", [uselang], _ok("Events", "Events")
        ),
        "/api/v1/needs.csv": get("The needs map as CSV", [skill, *needs_filters, uselang], csv_ok),
        "/api/v1/matches.csv": get("All matches as CSV", [state, kind, paused], csv_ok),
        "/api/v1/status": {
            "get": {
                "summary": "The bot's last runs and its next scheduled run (for monitoring)",
                "responses": {"200": _ok("Status", "Run status; never cached")},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    counts = {
        "type": "object",
        "properties": {
            k: _INT
            for k in (
                "learners",
                "sharers",
                "mentors",
                "capacity",
                "needs",
                "need_learners",
                "resources",
                "events",
            )
        },
    }
    skill_ref = {
        "type": "object",
        "required": ["id", "label"],
        "properties": {
            "id": _STR,
            "label": _STR,
            "label_lang": _NSTR,
            "qid": _NSTR,
            "parent": _NSTR,
        },
    }
    entry = {
        "type": "object",
        "description": "A stored wiki entry; its fields depend on kind (signup, offer, …).",
        "required": ["kind", "origin"],
        "properties": {
            "kind": _STR,
            "origin": {"type": "object", "properties": {"wiki": _STR, "page": _STR, "revid": _INT}},
            "level": _NSTR,
        },
        "additionalProperties": True,
    }
    cell = {
        "type": "object",
        "properties": {
            "skill": _STR,
            "community": _STR,
            "lang": _STR,
            "region": _STR,
            "learners": _INT,
            "mentor_capacity": _INT,
            "recorded_need": _INT,
            "resources": _INT,
            "demand": {"type": "number"},
            "gap": {"type": "number"},
            "rank": _INT,
            "suggestion": _STR,
            "suggestion_params": {"type": "array", "items": {}},
        },
    }
    match = {
        "type": "object",
        "properties": {
            "id": _STR,
            "kind": {"type": "string", "enum": list(MATCH_KINDS)},
            "a": _STR,
            "b": _STR,
            "a_wiki": _STR,
            "b_wiki": _STR,
            "skills": _STRS,
            "skill_detail": {},
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": {}},
            "state": {"type": "string", "enum": list(MATCH_STATES)},
            "paused": {"type": "boolean"},
            "created": _STR,
            "updated": _STR,
        },
    }
    award = {
        "type": "object",
        "properties": {
            "id": _STR,
            "username": _STR,
            "wiki": _STR,
            "badge_class": _STR,
            "skill": _NSTR,
            "issued_on": _STR,
            "revoked": {"type": "boolean"},
        },
    }
    schemas = {
        "SkillCounts": counts,
        "SkillRef": skill_ref,
        "SkillList": {
            "type": "object",
            "properties": {
                "filters": {"type": "object"},
                "count": _INT,
                "skills": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            _ref("SkillRef"),
                            {"type": "object", "properties": {"counts": _ref("SkillCounts")}},
                        ]
                    },
                },
            },
        },
        "Entry": entry,
        "SkillDetail": {
            "type": "object",
            "properties": {
                "skill": {
                    "allOf": [
                        _ref("SkillRef"),
                        {"type": "object", "properties": {"ancestors": _STRS, "children": _STRS}},
                    ]
                },
                "counts": _ref("SkillCounts"),
                **{
                    k: {"type": "array", "items": _ref("Entry")}
                    for k in ("learners", "sharers", "offers", "needs", "resources", "events")
                },
                "needs_map": {"type": "array", "items": _ref("NeedsCell")},
            },
        },
        "NeedsCell": cell,
        "NeedsPage": {
            "type": "object",
            "properties": {
                "filters": {"type": "object"},
                "total": _INT,
                "limit": _INT,
                "offset": _INT,
                "cells": {"type": "array", "items": _ref("NeedsCell")},
            },
        },
        "Match": match,
        "MatchesPage": {
            "type": "object",
            "properties": {
                "filters": {"type": "object"},
                "counts": {"type": "object", "additionalProperties": _INT},
                "total": _INT,
                "limit": _INT,
                "offset": _INT,
                "matches": {"type": "array", "items": _ref("Match")},
            },
        },
        "Award": award,
        "Person": {
            "type": "object",
            "required": ["username"],
            "properties": {
                "username": _STR,
                "wiki": _NSTR,
                "last_edit": _NSTR,
                **{
                    k: {"type": "array", "items": _ref("Entry")}
                    for k in ("signups", "offers", "needs", "resources", "events")
                },
                "attending": _STRS,
                "matches": {"type": "array", "items": _ref("Match")},
                "waiting": {
                    "type": "object",
                    "nullable": True,
                    "properties": {"wiki": _STR, "skills": _STRS, "why": _STR},
                },
                "awards": {"type": "array", "items": _ref("Award")},
            },
        },
        "Events": {
            "type": "object",
            "properties": {"events": {"type": "array", "items": _ref("Entry")}},
        },
        "Run": {
            "type": "object",
            "required": ["id", "status"],
            "properties": {
                "id": _INT,
                "started": {**_NSTR, "format": "date-time"},
                "finished": {**_NSTR, "format": "date-time"},
                "duration_seconds": {"type": "number", "nullable": True},
                "status": {"type": "string", "enum": list(RUN_STATUSES)},
                **{
                    k: _INT
                    for k in (
                        "pages_read",
                        "edits",
                        "problems",
                        "undelivered",
                        "refused",
                        "unread",
                        "failed_edits",
                    )
                },
                "error": _NSTR,
            },
        },
        "Status": {
            "type": "object",
            "required": ["now", "runs"],
            "properties": {
                "now": {"type": "string", "format": "date-time"},
                "schedule": _NSTR,
                "next_run": {**_NSTR, "format": "date-time"},
                "runs": {"type": "array", "items": _ref("Run")},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": _INT, "message": _STR, "parameter": _STR},
                }
            },
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SkillMatch API",
            "version": API_VERSION,
            "description": (
                "Read-only data of the SkillMatch bot (Wikimedia Movement Strategy initiative"
                " 32): skills, needs, matches and events, gathered from public wiki pages."
            ),
        },
        "servers": [{"url": base_url or "/"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
