"""The SkillMatch web tool: application factory, security headers, errors and the health check.

Why a factory: tests, the benchmark and Toolforge build the same app from different
configuration (see ``config.py``); nothing is read from globals at import time. The pages, the
JSON API and (later) the Open Badges routes are separate blueprints; this module only wires
them together and sets what every response needs: language, security headers, error pages that
never echo input.

Run locally:  ``flask --app 'webtool.app:create_app()' run``
Toolforge (Build Service): see ``Procfile`` (gunicorn ``'webtool.app:create_app()'``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import flask
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers.response import Response

from bot.store import Store
from webtool import charts, context, queries
from webtool import translations as tr
from webtool.cache import RunCache
from webtool.config import REPO_ROOT, ToolConfig, load_config
from webtool.skills import Skills

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Blueprints added by other parts of the project when they exist (``webtool/badges.py`` will
# serve the Open Badges routes, /badges/...). Each module must define ``bp``.
OPTIONAL_BLUEPRINTS: tuple[str, ...] = ("webtool.badges",)


def _open_store(config: ToolConfig) -> Store:
    """Open the store; a fresh local SQLite file gets the (empty) schema so pages work at once."""
    store = Store(config.store_url)
    if store.dialect == "sqlite" and config.create_local_schema:
        database = store.engine.url.database
        if database and database != ":memory:":
            path = Path(database)
            if not path.is_absolute():
                path = Path.cwd() / path
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                store.create_schema()
        elif database in (None, "", ":memory:"):
            store.create_schema()
    return store


def create_app(
    config: Mapping[str, Any] | None = None, *, skills: Skills | None = None
) -> flask.Flask:
    """Build the tool from configuration (``webtool.config``); ``skills`` replaces the taxonomy."""
    cfg = load_config(config)
    app = flask.Flask(__name__)
    app.config["SKILLMATCH"] = cfg
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = _open_store(cfg)
    catalog = tr.default_catalog()
    problems = catalog.problems()
    if problems:
        raise RuntimeError("unsafe or incomplete message files: " + "; ".join(problems[:5]))

    def key_source() -> Any:
        with store.engine.connect() as conn:
            return queries.run_key(conn)

    app.extensions["skillmatch"] = context.ToolState(
        config=cfg,
        store=store,
        skills=skills if skills is not None else Skills.load(cfg.taxonomy_path),
        catalog=catalog,
        cache=RunCache(key_source, check_seconds=cfg.cache_seconds),
        pages=RunCache(key_source, check_seconds=cfg.cache_seconds, max_items=512),
    )
    app.jinja_env.globals.update(
        msg=context.msg,
        msgt=context.msg_text,
        enum=context.enum,
        enumt=context.enum_text,
        url=context.url,
        skill_label=context.skill_label,
        skill_name=context.skill_name,
        signup_url=context.signup_url,
        signup_wikis=context.signup_wikis,
        user_page_url=context.user_page_url,
        revision_url=context.revision_url,
        resource_url=context.resource_url,
        wikidata_url=context.wikidata_url,
        autonyms=tr.AUTONYMS,
        lang_name=context.lang_name,
        lang_names=context.lang_names,
        suggestion=context.suggestion,
        table_id=context.table_id,
    )
    app.jinja_env.filters["num"] = charts.format_number
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.before_request
    def _language() -> None:
        flask.g.lang_choice = context.choose_language()

    @app.context_processor
    def _template_context() -> dict[str, Any]:
        return {
            "lang": context.choice(),
            "tool": cfg,
            "ui_languages": catalog.languages,
            "keep_args": None,
        }

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if flask.request.path.startswith("/api/"):
            headers["Access-Control-Allow-Origin"] = "*"
            # JSON and CSV carry labels in the reader's language (Accept-Language when no
            # ?uselang=), so shared caches must key on the header like they do for pages.
            response.vary.add("Accept-Language")
        choice = flask.g.get("lang_choice")
        if choice is not None and response.mimetype == "text/html":
            headers["Content-Language"] = choice.html_lang
            response.vary.add("Accept-Language")
        return response

    from webtool import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    for name in OPTIONAL_BLUEPRINTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)

    @app.get("/healthz")
    def healthz() -> Response:
        """200 while the process answers. Shallow on purpose: the platform restarts a service
        whose health check fails, and restarting does not cure a ToolsDB blip (see /readyz)."""
        return Response("ok\n", mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Response:
        """200 when the store answers a query on a real table, 503 otherwise (no details)."""
        try:
            with store.engine.connect() as conn:
                queries.ping(conn)
        except sa.exc.SQLAlchemyError:
            log.exception("readiness check failed")
            return Response("store unavailable\n", status=503, mimetype="text/plain")
        return Response("ok\n", mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        return pages.error_response(exc)

    @app.errorhandler(sa.exc.SQLAlchemyError)
    def _store_error(exc: sa.exc.SQLAlchemyError) -> Any:
        log.exception("store error")
        return pages.error_response(InternalServerError(), status=503)

    return app


__all__ = ["REPO_ROOT", "create_app"]
