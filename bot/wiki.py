"""The only module that talks to wikis, through Pywikibot.

Reads are batched: current text of up to 50 pages per request, revision
contents by id, 50 per request, across pages. Every write goes through
`save()` (or `post_section()`), which checks `botMayEdit()`, writes only when
the text changed, honours dry-run/-simulate by printing a unified diff, and
turns a refused save into an outcome the run reports instead of a crash.
"""

from __future__ import annotations

import difflib
import logging
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import pywikibot
import requests
from pywikibot.exceptions import (
    AbuseFilterDisallowedError,
    APIError,
    ApiTimeoutError,
    EditConflictError,
    Error,
    IsRedirectPageError,
    LockedPageError,
    MaxlagTimeoutError,
    NoPageError,
    PageSaveRelatedError,
    ServerError,
    SpamblacklistError,
    TitleblacklistError,
)

from bot.authorship import Revision

log = logging.getLogger("skillmatch.wiki")
BATCH = 50  # titles or revision ids per API request (the API's limit for normal accounts)
TRANSIENT = (ServerError, ApiTimeoutError, MaxlagTimeoutError)
"""Faults that pass: Pywikibot has already retried; the next run tries again."""
TRANSIENT_CODES = frozenset({"ratelimited", "readonly", "maxlag", "editconflict", "databaseerror"})
"""API error codes worth another try later (not refusals of this edit)."""
READ_TRIES = 3
"""Tries of one read request after Pywikibot's own retries gave up (it does not retry some
faults: a second `readonly` in a row, a refused connection)."""


class WikiUnavailableError(RuntimeError):
    """A wiki did not answer a read after every retry: the run stops where it is (each phase
    commits all or nothing) and the next run resumes; nothing is inferred from silence."""

    def __init__(self, wiki: str, reason: str) -> None:
        super().__init__(f"wiki {wiki} did not answer ({reason})")
        self.wiki = wiki
        self.reason = reason


def _read_fault(exc: Exception) -> str | None:
    """The short name of a passing fault worth retrying a read for, else None."""
    if isinstance(exc, APIError):
        return exc.code if _transient(exc) else None
    if isinstance(exc, (*TRANSIENT, requests.ConnectionError, requests.Timeout)):
        return type(exc).__name__
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return type(exc).__name__
    return None


def wiki_fault(exc: BaseException) -> str | None:
    """What went wrong, if `exc` is a passing fault of a wiki or the network (one the next
    run may not meet) rather than a bug or a setup error such as a refused login."""
    if isinstance(exc, WikiUnavailableError):
        return str(exc)
    if isinstance(exc, Exception) and _read_fault(exc) is not None:
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    if isinstance(exc, requests.RequestException):
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return None


@dataclass(frozen=True)
class Latest:
    """A page's newest revision as read in the batched preload."""

    title: str
    revid: int
    parentid: int
    user: str
    timestamp: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """What became of one write: saved, unchanged, simulated, or refused and why."""

    title: str
    status: str  # saved unchanged dry-run skipped-nobots failed retry (a passing fault)
    reason: str = ""
    revid: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("saved", "unchanged", "dry-run")


def _transient(exc: APIError) -> bool:
    return exc.code in TRANSIENT_CODES or exc.code.startswith("internal_api_error")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Wiki:
    """One wiki, seen through Pywikibot."""

    def __init__(
        self, key: str, site: Any, *, dry_run: bool = False, out: TextIO | None = None
    ) -> None:
        self.key = key
        self.site = site
        self.dry_run = dry_run or bool(pywikibot.config.simulate)
        self.out = out or sys.stdout
        self.requests = 0

    @classmethod
    def connect(cls, key: str, family: str, code: str, **kwargs: Any) -> Wiki:
        site = pywikibot.Site(code, family)
        site.login()
        return cls(key, site, **kwargs)

    def _request(self, **params: Any) -> dict[str, Any]:
        """One read, retried with a growing wait (Pywikibot's `retry_wait`, doubled up to
        `retry_max`) when a passing fault gets through Pywikibot's own retries."""
        params.setdefault("formatversion", 2)
        for attempt in range(READ_TRIES):
            self.requests += 1
            try:
                result: dict[str, Any] = self.site.simple_request(**params).submit()
                return result
            except Exception as exc:
                fault = _read_fault(exc)
                if fault is None:
                    raise
                if attempt == READ_TRIES - 1:
                    raise WikiUnavailableError(self.key, fault) from exc
                cfg = pywikibot.config
                wait = min(float(cfg.retry_wait) * 2**attempt, float(cfg.retry_max))
                log.warning("%s: %s; retrying in %.1f s", self.key, fault, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _query_all(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each answer of a query, following the API's continuations until the last."""
        params = dict(params)
        while True:
            data = self._request(**params)
            yield data
            cont = data.get("continue")
            if not cont:
                return
            params.update(cont)

    # -- reading ----------------------------------------------------------------

    def titles_with_prefix(self, prefix: str) -> list[str]:
        """Every page (not redirect) whose title starts with `prefix` (namespace allowed).

        A moved signup page leaves a redirect behind; its entries are read at the new title.
        """
        page = pywikibot.Page(self.site, prefix)
        ns = page.namespace().id
        start = page.title(with_ns=False)
        return sorted(
            p.title()
            for p in self.site.allpages(
                prefix=start, namespace=ns, content=False, filterredir=False
            )
        )

    def latest(self, titles: Sequence[str]) -> dict[str, Latest | None]:
        """Current text and revision of each title, 50 titles per request; None if missing.

        Redirects are followed (a moved page is read at its new title, which the returned
        Latest names). A batch whose contents exceed the API's result size comes back in
        parts; the continuation is followed so no page is mistaken for a missing one.
        """
        out: dict[str, Latest | None] = {t: None for t in titles}
        for chunk in _chunks(list(titles), BATCH):
            params: dict[str, Any] = {
                "action": "query",
                "prop": "revisions",
                "titles": "|".join(chunk),
                "rvprop": "ids|user|timestamp|content",
                "rvslots": "main",
                "redirects": 1,
            }
            for data in self._query_all(params):
                query = data.get("query", {})
                back: dict[str, list[str]] = {}
                for n in query.get("normalized", []):
                    back.setdefault(n["to"], []).append(n["from"])
                for r in query.get("redirects", []):
                    for asked in back.pop(r["from"], [r["from"]]):
                        back.setdefault(r["to"], []).append(asked)
                for page in query.get("pages", []):
                    if page.get("missing") or not page.get("revisions"):
                        continue
                    rev = page["revisions"][0]
                    main = rev.get("slots", {}).get("main", {})
                    found = Latest(
                        title=page["title"],
                        revid=rev["revid"],
                        parentid=rev.get("parentid", 0),
                        user=rev.get("user", ""),
                        timestamp=rev.get("timestamp", ""),
                        text=main.get("content") or "",
                    )
                    for asked in back.get(page["title"], [page["title"]]):
                        if asked in out:
                            out[asked] = found
        return out

    def revision_ids_after(self, title: str, after: int) -> list[tuple[int, int, str, str]]:
        """(revid, parentid, user, timestamp) of revisions newer than `after`, oldest first.

        Metadata only; the contents are fetched by id in batches afterwards. Newest first,
        stopping at the first revision already seen: no ``rvendid``, which the API refuses
        once that revision is gone (the page was deleted and made anew).
        """
        params: dict[str, Any] = {
            "action": "query",
            "prop": "revisions",
            "titles": title,
            "rvprop": "ids|user|timestamp",
            "rvlimit": "max",
            "rvdir": "older",
        }
        found: list[tuple[int, int, str, str]] = []
        for data in self._query_all(params):
            revisions = [
                r
                for page in data.get("query", {}).get("pages", [])
                for r in page.get("revisions", [])
            ]
            newer = [r for r in revisions if r["revid"] > after]
            found += [
                (r["revid"], r.get("parentid", 0), r.get("user", ""), r.get("timestamp", ""))
                for r in newer
            ]
            if len(newer) < len(revisions):
                break  # reached a revision already seen
        found.sort()
        return found

    def revision_texts(self, revids: Sequence[int]) -> dict[int, str | None]:
        """Content of the given revisions, any pages, 50 ids per request; None if hidden."""
        out: dict[int, str | None] = {}
        for chunk in _chunks(sorted(set(revids)), BATCH):
            params: dict[str, Any] = {
                "action": "query",
                "prop": "revisions",
                "revids": "|".join(map(str, chunk)),
                "rvprop": "ids|content",
                "rvslots": "main",
            }
            for data in self._query_all(params):
                for page in data.get("query", {}).get("pages", []):
                    for rev in page.get("revisions", []):
                        main = rev.get("slots", {}).get("main", {})
                        out[rev["revid"]] = None if main.get("texthidden") else main.get("content")
        return out

    def histories(self, wanted: dict[str, tuple[int, Latest]]) -> dict[str, list[Revision]]:
        """New revisions per title since the last one seen, contents batched across pages.

        `wanted` maps title → (last seen revid, latest). When the latest revision directly
        follows the one seen, the preload already holds everything and nothing is fetched.
        """
        metas: dict[str, list[tuple[int, int, str, str]]] = {}
        for title, (after, latest) in wanted.items():
            if latest.parentid == after:
                metas[title] = [(latest.revid, latest.parentid, latest.user, latest.timestamp)]
            else:
                metas[title] = self.revision_ids_after(title, after)
        known = {latest.revid: latest.text for _, latest in wanted.values()}
        need = [m[0] for ms in metas.values() for m in ms if m[0] not in known]
        texts = {**self.revision_texts(need), **known}
        return {
            title: [Revision(r, p, u, ts, texts.get(r)) for r, p, u, ts in ms]
            for title, ms in metas.items()
        }

    def last_edits(self, users: Iterable[str]) -> dict[str, datetime | None]:
        """When each user last edited this wiki (None: never, or not found)."""
        out: dict[str, datetime | None] = {}
        for user in sorted(set(users)):
            data = self._request(
                action="query", list="usercontribs", ucuser=user, uclimit=1, ucprop="timestamp"
            )
            contribs = data.get("query", {}).get("usercontribs", [])
            out[user] = (
                datetime.fromisoformat(contribs[0]["timestamp"].replace("Z", "+00:00")).astimezone(
                    UTC
                )
                if contribs
                else None
            )
        return out

    def read(self, title: str) -> str | None:
        page = pywikibot.Page(self.site, title)
        try:
            text: str = page.get(force=True)
        except NoPageError:
            return None
        self.requests += 1
        return text

    # -- writing ----------------------------------------------------------------

    def _diff(self, title: str, old: str, new: str) -> None:
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{self.key}:{title} (current)",
            tofile=f"{self.key}:{title} (proposed)",
        )
        self.out.writelines(lines)
        if not new.endswith("\n"):
            self.out.write("\n")

    def save(self, title: str, text: str, summary: str, current: str | None = None) -> Outcome:
        """Replace a bot-owned page's text if it changed; `current` saves a read when known."""
        page = pywikibot.Page(self.site, title)
        try:
            old = current if current is not None else (self.read(title) or "")
            if old.rstrip("\n") == text.rstrip("\n"):
                return Outcome(title, "unchanged")
            if not page.botMayEdit():
                log.warning("%s: {{bots}}/{{nobots}} forbids the bot to edit %s", self.key, title)
                return Outcome(title, "skipped-nobots", "nobots")
        except TRANSIENT as exc:
            return Outcome(title, "retry", type(exc).__name__)
        if self.dry_run:
            self._diff(title, old, text)
            return Outcome(title, "dry-run")
        page.text = text
        return self._save(page, summary)

    def post_section(
        self, title: str, heading: str, text: str, summary: str, marker: str
    ) -> Outcome:
        """Add a new section to a talk page unless `marker` shows it is already there.

        Adding a section needs no base revision, so it cannot overwrite anyone's words;
        the marker makes a retried post after a crash a no-op. A talk page that redirects
        to another in the same namespace (a renamed user) is followed once.
        """
        page = pywikibot.Page(self.site, title)
        try:
            try:
                old = page.get(force=True)
            except IsRedirectPageError:
                target = page.getRedirectTarget()
                if target.namespace() != page.namespace():
                    return Outcome(title, "failed", "redirect")
                page, title = target, target.title()
                old = page.get(force=True)
            self.requests += 1
            if marker in old:
                return Outcome(title, "unchanged", "already-posted")
            if not page.botMayEdit():
                log.warning(
                    "%s: {{bots}}/{{nobots}} forbids the bot to post on %s", self.key, title
                )
                return Outcome(title, "skipped-nobots", "nobots")
        except NoPageError:
            old = ""
        except TRANSIENT as exc:
            return Outcome(title, "retry", type(exc).__name__)
        except Error as exc:  # e.g. a redirect loop, an invalid title
            return Outcome(title, "failed", type(exc).__name__)
        if self.dry_run:
            self._diff(title, old, old + f"\n\n== {heading} ==\n{text}\n")
            return Outcome(title, "dry-run")
        return self._save(
            page, summary, text=text, section="new", sectiontitle=heading, minor=False
        )

    def _save(self, page: Any, summary: str, *, minor: bool = True, **kwargs: Any) -> Outcome:
        title = page.title()
        for attempt in (1, 2):
            try:
                self.requests += 1
                page.save(summary=summary, bot=True, minor=minor, quiet=True, **kwargs)
                return Outcome(title, "saved", revid=page.latest_revision_id)
            except EditConflictError:
                if attempt == 2 or "section" in kwargs:
                    return Outcome(title, "retry", "edit-conflict")
                fresh = pywikibot.Page(self.site, title)
                fresh.text = page.text
                page = fresh
            except LockedPageError:
                return Outcome(title, "failed", "protected")
            except AbuseFilterDisallowedError:
                return Outcome(title, "failed", "abusefilter")
            except (SpamblacklistError, TitleblacklistError):
                return Outcome(title, "failed", "blacklist")
            except TRANSIENT as exc:
                return Outcome(title, "retry", type(exc).__name__)
            except PageSaveRelatedError as exc:
                cause = getattr(exc, "reason", None)  # OtherPageSaveError wraps the cause
                if isinstance(cause, TRANSIENT) or (
                    isinstance(cause, APIError) and _transient(cause)
                ):
                    return Outcome(title, "retry", getattr(cause, "code", type(cause).__name__))
                reason = "blocked" if "blocked" in str(exc).lower() else type(exc).__name__
                return Outcome(title, "failed", reason)
            except APIError as exc:
                if _transient(exc):
                    return Outcome(title, "retry", exc.code)
                reason = "blocked" if "blocked" in exc.code else exc.code
                return Outcome(title, "failed", reason)
        return Outcome(title, "retry", "edit-conflict")  # pragma: no cover
