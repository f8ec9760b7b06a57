"""The HTML pages: home, skills, one skill, one person, matches, needs map, communities, events.

Each view validates its query parameters (unknown values are a 400 that names the parameter,
never echoes the value), takes its data from ``queries`` through the run cache, and renders a
template; all text comes from the message files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import flask
from werkzeug.exceptions import HTTPException, NotFound

from bot.models import METHODS
from bot.usernames import normalize_user
from webtool import charts, queries, status
from webtool.config import REPO_ROOT
from webtool.context import (
    BadParam,
    bool_param,
    choice,
    int_param,
    msg_text,
    skill_text,
    state,
    text_param,
)

bp = flask.Blueprint("pages", __name__)

T = TypeVar("T")
SKILL_SORTS = ("label", "learners", "sharers", "gap")
MAX_PAGE = 100_000
CHART_ROWS = 12


def cached(key: Hashable, compute: Callable[[Any], T]) -> T:
    """Run ``compute(conn)`` once per bot run for ``key``."""
    tool = state()

    def run() -> T:
        with tool.store.engine.connect() as conn:
            return compute(conn)

    return tool.cache.get(key, run)


def cached_page(view: Callable[..., str]) -> Callable[..., str]:
    """Keep a rendered page until the next bot run.

    A page is a pure function of the store state, the URL and the reader's language, and big
    tables cost tens of milliseconds to render, so the HTML is kept in the run cache. Errors
    (400/404) are raised before anything is stored. The events split into upcoming and past
    moves with the bot's runs, which happen far more often than days change.
    """

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> str:
        lang = choice()
        key = (
            "page",
            flask.request.endpoint,
            tuple(sorted(kwargs.items())),
            tuple(sorted(flask.request.args.items(multi=True))),
            lang.code,
            lang.explicit,
            lang.qqx,
        )
        return state().pages.get(key, lambda: view(**kwargs))

    return wrapper


def facets() -> queries.Facets:
    return cached(("facets",), queries.load_facets)


def roots() -> list[str] | None:
    """Root skills of the taxonomy, or None (every skill) when no taxonomy is loaded."""
    return state().skills.roots() or None


def today() -> date:
    return date.today()


ERROR_KEYS = {
    400: "error-bad-request",
    404: "error-not-found",
    405: "error-method",
    503: "error-unavailable",
}


def error_response(
    exc: HTTPException, status: int | None = None, *, as_json: bool | None = None
) -> Any:
    """The error page, or a small JSON error for machines (``as_json``; by default under /api/).

    Only fixed messages, never the request's input: the exception's own message ``key`` when
    it has one (``badges.BadgeProblem``), else the status's. JSON errors are readable from any
    origin and never stored, so a cache does not keep an error in place of a public document.
    """
    code = status or exc.code or 500
    key = getattr(exc, "key", None) or ERROR_KEYS.get(code, "error-internal")
    param = getattr(exc, "param", None)
    bounds = getattr(exc, "bounds", None)
    # Werkzeug's own headers (Allow on a 405, as RFC 9110 requires; WWW-Authenticate, ...),
    # minus the content type, which belongs to the body built here.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if as_json is None:
        as_json = flask.request.path.startswith("/api/")
    if as_json:
        body: dict[str, Any] = {"error": {"code": code, "message": msg_text(key)}}
        if param:
            body["error"]["parameter"] = param
            body["error"]["message"] = (
                msg_text("error-param-range", param, bounds[0], bounds[1])
                if bounds
                else msg_text("error-bad-param", param)
            )
        response = flask.jsonify(body)
        response.status_code = code
        response.headers.extend(headers)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.cache_control.no_store = True
        return response
    page = flask.render_template("error.html", code=code, key=key, param=param, bounds=bounds)
    return page, code, headers


def page_window(total: int, page: int, size: int) -> dict[str, Any]:
    pages = max(1, (total + size - 1) // size)
    return {"page": page, "pages": pages, "total": total, "size": size}


# -- home -----------------------------------------------------------------------------------------


@bp.get("/")
@cached_page
def home() -> str:
    numbers = cached(("headline",), queries.headline)
    top = cached(("skill-totals", 10), lambda c: queries.skill_totals(c, 10, unmet_only=True))
    run = cached(("last-run",), queries.last_run)
    upcoming = [
        e for e in cached(("events",), queries.events) if (e["date"] or "") >= today().isoformat()
    ]
    return flask.render_template(
        "home.html", numbers=numbers, top=top, run=run, upcoming=upcoming[:5]
    )


# -- skills ---------------------------------------------------------------------------------------


def skill_filters() -> dict[str, str | None]:
    f = facets()
    return {
        "lang": text_param("lang", f.languages),
        "community": text_param("community", f.communities),
        "region": text_param("region", f.regions),
        "method": text_param("method", METHODS),
    }


def skill_rows(filters: dict[str, str | None]) -> list[dict[str, Any]]:
    """One row per skill with counts; all taxonomy skills when no filter is set."""
    key = ("skill-counts", *sorted((k, v or "") for k, v in filters.items()))
    counts = cached(key, lambda _c: facets().counts(**filters))
    ids = set(counts)
    if not any(filters.values()):
        ids |= set(state().skills.ids())
    rows = []
    for skill_id in ids:
        c = counts.get(skill_id) or queries.SkillCounts()
        label, label_lang = skill_text(skill_id)
        rows.append(
            {
                "id": skill_id,
                "label": label,
                "label_lang": label_lang,
                "gap": c.learners - c.capacity,
                **c.as_dict(),
            }
        )
    return rows


@bp.get("/skills")
@cached_page
def skills() -> str:
    filters = skill_filters()
    sort = text_param("sort", SKILL_SORTS) or "label"
    rows = skill_rows(filters)
    if sort == "label":
        rows.sort(key=lambda r: (r["label"].casefold(), r["id"]))
    else:
        rows.sort(key=lambda r: (-r[sort], r["label"].casefold()))
    return flask.render_template(
        "skills.html",
        rows=rows,
        filters=filters,
        sort=sort,
        sorts=SKILL_SORTS,
        facets=facets(),
        methods=METHODS,
        keep_args={**filters, "sort": None if sort == "label" else sort},
    )


@bp.get("/skills/<skill_id>")
@cached_page
def skill(skill_id: str) -> str:
    if len(skill_id) > 64:
        raise NotFound()
    tool = state()
    detail = cached(("skill", skill_id), lambda c: queries.skill_detail(c, skill_id))
    info = tool.skills.get(skill_id)
    has_data = any(detail[k] for k in detail)
    if info is None and not has_data:
        raise NotFound()
    counts = facets().counts()
    children = [
        {"id": child, "counts": counts.get(child) or queries.SkillCounts()}
        for child in tool.skills.children(skill_id)
    ]
    limit = tool.config.list_limit
    return flask.render_template(
        "skill.html",
        skill_id=skill_id,
        info=info,
        ancestors=list(reversed(tool.skills.ancestors(skill_id))),
        detail=detail,
        counts=counts.get(skill_id) or queries.SkillCounts(),
        children=children,
        limit=limit,
    )


# -- people ---------------------------------------------------------------------------------------


def normalize_username(raw: str) -> str | None:
    """MediaWiki's form: underscores are spaces, first letter as its ucfirst; None if impossible."""
    name = normalize_user(raw)
    return name if name and len(name) <= 255 else None


@bp.get("/people/<username>")
@cached_page
def person(username: str) -> str:
    name = normalize_username(username)
    if name is None:
        raise NotFound()
    data = cached(("person", name), lambda c: queries.person(c, name))
    if data is None:
        raise NotFound()
    titles = {e["id"]: e["title"] for e in cached(("events",), queries.events)}
    return flask.render_template("person.html", person=data, event_titles=titles)


# -- matches --------------------------------------------------------------------------------------


def match_filter() -> queries.MatchFilter:
    return queries.MatchFilter(
        state=text_param("state", queries.MATCH_STATES),
        kind=text_param("kind", queries.MATCH_KINDS),
        paused=bool_param("paused"),
    )


def match_args(flt: queries.MatchFilter) -> dict[str, str | None]:
    paused = None if flt.paused is None else ("yes" if flt.paused else "no")
    return {"state": flt.state, "kind": flt.kind, "paused": paused}


@bp.get("/matches")
@cached_page
def matches() -> str:
    flt = match_filter()
    size = state().config.page_size
    page = int_param("page", 1, 1, MAX_PAGE)
    rows, total = cached(
        ("matches", flt, page, size),
        lambda c: queries.match_rows(c, flt, size, (page - 1) * size),
    )
    counts = cached(("match-counts",), queries.match_state_counts)
    return flask.render_template(
        "matches.html",
        rows=rows,
        counts=counts,
        flt=flt,
        window=page_window(total, page, size),
        states=queries.MATCH_STATES,
        kinds=queries.MATCH_KINDS,
        keep_args=match_args(flt),
    )


# -- needs map ------------------------------------------------------------------------------------


def needs_filter() -> queries.NeedsFilter:
    known = cached(("needs-facets",), queries.needs_facets)
    return queries.NeedsFilter(
        skill=text_param("skill", known["skill"]),
        community=text_param("community", known["community"]),
        lang=text_param("lang", known["lang"]),
        region=text_param("region", known["region"]),
    )


def chart_bars(items: list[dict[str, Any]], key: str, *, skills: bool) -> list[charts.Bar]:
    bars = []
    for item in items[:CHART_ROWS]:
        if skills:
            label, lang = skill_text(item[key])
            bars.append(charts.Bar(label, item["demand"], item["mentor_capacity"], lang))
        else:
            bars.append(charts.Bar(item[key] or "—", item["demand"], item["mentor_capacity"]))
    return bars


def demand_chart(items: list[dict[str, Any]], key: str, chart_id: str, title_key: str) -> Any:
    rtl = choice().dir == "rtl"
    return charts.bar_chart(
        chart_bars(items, key, skills=key == "skill"),
        chart_id=chart_id,
        title=msg_text(title_key),
        desc=msg_text("chart-desc", min(len(items), CHART_ROWS)),
        demand_label=msg_text("chart-demand"),
        supply_label=msg_text("chart-supply"),
        rtl=rtl,
    )


@bp.get("/needs")
@cached_page
def needs() -> str:
    flt = needs_filter()
    size = state().config.page_size
    page = int_param("page", 1, 1, MAX_PAGE)
    rows, total = cached(
        ("needs", flt, page, size), lambda c: queries.needs_rows(c, flt, size, (page - 1) * size)
    )
    by_skill = cached(("skill-totals", CHART_ROWS), lambda c: queries.skill_totals(c, CHART_ROWS))
    by_community = cached(
        ("totals-by", "community", CHART_ROWS),
        lambda c: queries.totals_by(c, "community", CHART_ROWS, roots()),
    )
    known = cached(("needs-facets",), queries.needs_facets)
    return flask.render_template(
        "needs.html",
        rows=rows,
        flt=flt,
        known=known,
        keep_args={k: getattr(flt, k) for k in ("skill", "community", "lang", "region")},
        window=page_window(total, page, size),
        by_skill=by_skill[:CHART_ROWS],
        by_community=by_community[:CHART_ROWS],
        skill_chart=demand_chart(by_skill, "skill", "chart-skills", "chart-skills-title"),
        community_chart=demand_chart(
            by_community, "community", "chart-communities", "chart-communities-title"
        ),
    )


# -- communities and events -------------------------------------------------------------------


@bp.get("/communities")
@cached_page
def communities() -> str:
    rows = cached(("communities",), lambda c: queries.communities(c, roots()))
    items = [
        {
            "community": r["community"],
            "demand": r["demand"],
            "mentor_capacity": r["mentor_capacity"],
        }
        for r in sorted(rows, key=lambda r: -r["gap"])
    ]
    return flask.render_template(
        "communities.html",
        rows=rows,
        chart=demand_chart(items, "community", "chart-communities", "chart-communities-title"),
    )


@bp.get("/events")
@cached_page
def events() -> str:
    all_events = cached(("events",), queries.events)
    now = today().isoformat()
    upcoming = [e for e in all_events if (e["date"] or "") >= now]
    past = [e for e in reversed(all_events) if (e["date"] or "") < now]
    return flask.render_template("events.html", upcoming=upcoming, past=past)


STATUS_RUNS = 20


def status_data() -> dict[str, Any]:
    """The last runs and the next scheduled one; not cached (a running run's time moves)."""
    tool = state()
    with tool.store.engine.connect() as conn:
        rows = queries.recent_runs(conn, STATUS_RUNS)
    jobs_file = flask.current_app.config.get("SKILLMATCH_JOBS_FILE") or REPO_ROOT / "jobs.yaml"
    schedule = status.job_schedule(Path(jobs_file))
    return status.status_document(rows, schedule, datetime.now(UTC))


@bp.get("/status")
def status_page() -> str:
    return flask.render_template(
        "status.html", status=status_data(), run_statuses=status.RUN_STATUSES
    )


__all__ = ["BadParam", "bp", "error_response"]
