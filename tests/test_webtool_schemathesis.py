"""Property-based test of the JSON API against its own OpenAPI document (schemathesis).

Why: the hand-written route tests check the cases we thought of; schemathesis generates requests
from ``/api/v1/openapi.json`` (valid ones and, in negative mode, invalid ones) and runs its
standard checks on every answer: no 5xx, a documented status code, the documented content type,
a body that matches the documented schema, and so on. Any disagreement between the document and
the API is a failure. The store is built the way tests/test_webtool_routes.py builds its store
(sample data through the bot's write path plus hostile entries); examples are bounded so the
whole file runs in seconds.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from bot.store import Store
from tests.test_webtool_routes import TODAY, WIKIS, add_hostile
from webtool import sampledata
from webtool.app import create_app

MAX_EXAMPLES = 25
# schemathesis 4.1 registers its OpenAPI checks only when their module is imported; without this
# call ``call_and_validate`` runs no check at all and every case passes.
load_all_checks()
STANDARD_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'store.db'}"
    store = Store(url)
    sampledata.populate(store, 150, seed=3, today=TODAY)
    add_hostile(store)
    store.engine.dispose()
    app = create_app({"store_url": url, "wikis": WIKIS})
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def api_schema(api_app: Flask) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    # Valid and invalid requests both: a bad parameter must be a documented 400, never a 500.
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        deterministic=True,
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(case: Any) -> None:
    case.call_and_validate()


def test_the_document_covers_the_api(api_schema: Any) -> None:
    """The property test above is not vacuous: it walks every JSON route of /api/v1 and runs the
    standard checks."""
    assert {check.__name__ for check in CHECKS.get_all()} >= STANDARD_CHECKS
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert {
        "/api/v1/skills",
        "/api/v1/skills/{skill_id}",
        "/api/v1/people/{username}",
        "/api/v1/needs",
        "/api/v1/matches",
        "/api/v1/events",
        "/api/v1/status",
    } <= paths
