"""The only module that talks to wikis, through Pywikibot.

Reads are batched: current text of up to 50 pages per request, revision
contents by id, 50 per request, across pages. Every write goes through
`save()` (a configured report page) or `post_section()` (a recipient's own
talk page), and both through `_refusal()`: never a page outside those, never a
redirect (it is not followed), never more bytes than MediaWiki accepts, never
against {{bots}}. Only changed text is written; dry-run/-simulate prints a
unified diff instead; a refused or failed save is an outcome the run reports,
not a crash.
"""

from __future__ import annotations

import difflib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
from bot.usernames import normalize_user

log = logging.getLogger("skillmatch.wiki")
MAX_BYTES = 2 * 1024 * 1024
"""MediaWiki's default $wgMaxArticleSize (2048 KiB), used when siteinfo does not say."""
USER_TALK = 3
BATCH = 50  # titles or revision ids per API request (the API's limit for normal accounts)
TRANSIENT = (ServerError, ApiTimeoutError, MaxlagTimeoutError)
"""Faults that pass: Pywikibot has already retried; the next run tries again."""
TRANSIENT_CODES = frozenset({"ratelimited", "readonly", "maxlag", "editconflict", "databaseerror"})
"""API error codes worth another try later (not refusals of this edit)."""
MOVE_LOG_SKEW = timedelta(seconds=60)
"""How long after a move's null revision its log entry may be stamped (see `move_at`)."""
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
class PageNow:
    """A page as it is now, found by title or by page id, never through a redirect.

    The page id is a signup page's identity: it survives moves, and a redirect left at
    the old title is another page.
    """

    pageid: int
    title: str
    redirect: bool
    revid: int
    parentid: int
    user: str
    timestamp: str
    sha1: str
    text: str  # "" when the content is hidden
    hidden: bool = False  # the content is hidden (revision deletion)


@dataclass(frozen=True)
class RevMeta:
    """One revision without its text: sha1 tells a null revision (a move) from an edit."""

    revid: int
    parentid: int
    user: str
    timestamp: str
    sha1: str


@dataclass(frozen=True)
class Move:
    """A move of a page, from the move log."""

    timestamp: str
    source: str
    target: str
    user: str


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
        self._user_prefixes: tuple[str, ...] | None = None
        self._allowed: set[str] = set()
        self._max_bytes: int | None = None

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

    def pages_now(
        self, titles: Sequence[str] = (), pageids: Sequence[int] = ()
    ) -> tuple[dict[str, PageNow | None], dict[int, PageNow | None]]:
        """Current revision of pages by title and by id, 50 per request; None if missing.

        Redirects are not followed: a signup page replaced by a redirect is still that
        page (its text now a redirect), and a redirect is never read as its target.
        """
        by_title: dict[str, PageNow | None] = {t: None for t in titles}
        by_id: dict[int, PageNow | None] = {i: None for i in pageids}
        batches: list[dict[str, str]] = [
            {"titles": "|".join(c)} for c in _chunks(list(dict.fromkeys(titles)), BATCH)
        ]
        batches += [
            {"pageids": "|".join(map(str, c))} for c in _chunks(sorted(set(pageids)), BATCH)
        ]
        for batch in batches:
            params: dict[str, Any] = {
                "action": "query",
                "prop": "info|revisions",
                "rvprop": "ids|user|timestamp|sha1|content",
                "rvslots": "main",
                **batch,
            }
            for data in self._query_all(params):
                query = data.get("query", {})
                back: dict[str, list[str]] = {}
                for n in query.get("normalized", []):
                    back.setdefault(n["to"], []).append(n["from"])
                for page in query.get("pages", []):
                    if page.get("missing") or page.get("invalid") or not page.get("revisions"):
                        continue
                    rev = page["revisions"][0]
                    main = rev.get("slots", {}).get("main", {})
                    found = PageNow(
                        pageid=int(page["pageid"]),
                        title=page["title"],
                        redirect=bool(page.get("redirect")),
                        revid=rev["revid"],
                        parentid=rev.get("parentid", 0),
                        user=rev.get("user", ""),
                        timestamp=rev.get("timestamp", ""),
                        sha1=rev.get("sha1", ""),
                        text="" if main.get("texthidden") else main.get("content") or "",
                        hidden=bool(main.get("texthidden")),
                    )
                    if found.pageid in by_id:
                        by_id[found.pageid] = found
                    for asked in back.get(page["title"], [page["title"]]):
                        if asked in by_title:
                            by_title[asked] = found
        return by_title, by_id

    def revisions_after(self, pageid: int, after: int) -> tuple[list[RevMeta], str | None]:
        """Revisions of a page newer than `after`, oldest first, and the sha1 of `after`
        itself when it is still in the history (None otherwise). Metadata only."""
        params: dict[str, Any] = {
            "action": "query",
            "prop": "revisions",
            "pageids": str(pageid),
            "rvprop": "ids|user|timestamp|sha1",
            "rvlimit": "max",
            "rvdir": "older",
        }
        found: list[RevMeta] = []
        seen_sha1: str | None = None
        for data in self._query_all(params):
            revisions = [
                r
                for page in data.get("query", {}).get("pages", [])
                for r in page.get("revisions", [])
            ]
            for r in revisions:
                meta = RevMeta(
                    r["revid"],
                    r.get("parentid", 0),
                    r.get("user", ""),
                    r.get("timestamp", ""),
                    r.get("sha1", ""),
                )
                if r["revid"] > after:
                    found.append(meta)
                elif r["revid"] == after:
                    seen_sha1 = meta.sha1
            if any(r["revid"] <= after for r in revisions):
                break  # reached a revision already seen
        found.sort(key=lambda m: m.revid)
        return found, seen_sha1

    def move_at(self, pageid: int, timestamp: str, user: str = "") -> Move | None:
        """The move of page `pageid` that made the null revision of `timestamp` (by `user`,
        when the revision shows it), if any.

        MediaWiki stamps the log entry when it writes it, after the null revision in the
        same request: on a busy server a second or more later. So the first such move
        logged in `MOVE_LOG_SKEW` seconds from `timestamp` on is taken; an exact match only
        would miss that move and take a page moved into the signup pages for one that was
        always there."""
        start = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        end = (start + MOVE_LOG_SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = self._request(
            action="query",
            list="logevents",
            letype="move",
            ledir="newer",
            lestart=timestamp,
            leend=end,
            leprop="ids|title|details|timestamp|user",
            lelimit="max",
        )
        for event in data.get("query", {}).get("logevents", []):
            if int(event.get("logpage", 0)) != pageid:
                continue
            if user and event.get("user") not in (None, user):  # a hidden performer: no user
                continue
            target = event.get("params", {}).get("target_title", "")
            if target:
                return Move(event["timestamp"], event["title"], target, event.get("user", ""))
        return None

    def user_prefixes(self) -> tuple[str, ...]:
        """Every name of the user namespace here: localized, canonical, aliases and gender
        forms (siteinfo), asked once per run."""
        if self._user_prefixes is None:
            data = self._request(
                action="query", meta="siteinfo", siprop="namespaces|namespacealiases"
            )
            query = data.get("query", {})
            user_ns = query.get("namespaces", {}).get("2", {})
            names = [user_ns.get("name", ""), user_ns.get("canonical", "")]
            names += [
                a.get("alias", "") for a in query.get("namespacealiases", []) if a.get("id") == 2
            ]
            self._user_prefixes = tuple(n for n in dict.fromkeys(names) if n)
        return self._user_prefixes

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

    def users(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """What the wiki says of each account name: its `list=users` row, 50 names a request.

        Rows carry ``missing`` or ``invalid`` when there is no such account, ``blockid`` (and
        ``blockpartial``) when it is blocked, ``registration`` and ``editcount``. A name the
        API spells differently (``alice`` → ``Alice``) is answered under the name asked.
        A batch that meets a passing fault is left out (asked again by the next run); the
        rest are answered.
        """
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(names)), BATCH):
            try:
                data = self._request(
                    action="query",
                    list="users",
                    ususers="|".join(chunk),
                    usprop="blockinfo|registration|editcount",
                )
            except (WikiUnavailableError, *TRANSIENT, APIError) as exc:  # after the retries
                log.warning("%s: could not look up %d accounts: %s", self.key, len(chunk), exc)
                continue
            asked: dict[str, list[str]] = {}  # the wiki's spelling → the names asked
            for name in chunk:
                asked.setdefault(normalize_user(name), []).append(name)
            for row in data.get("query", {}).get("users", []):
                for name in asked.get(row.get("name", ""), []):
                    out[name] = row
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

    def allow(self, titles: Iterable[str]) -> None:
        """The report pages this wiki's run may write: the only pages `save()` will touch."""
        self._allowed = {pywikibot.Page(self.site, t).title() for t in titles if t}

    def max_bytes(self) -> int:
        """The largest page MediaWiki accepts here, in bytes (siteinfo `maxarticlesize`)."""
        if self._max_bytes is None:
            try:
                value = self.site.siteinfo.get("maxarticlesize")
                self._max_bytes = int(value) if value else MAX_BYTES
            except (Error, KeyError, TypeError, ValueError):
                return MAX_BYTES  # asked again next time; the default is MediaWiki's
        return self._max_bytes

    def _refusal(
        self, page: Any, recipient: str | None, size: Callable[[str], int]
    ) -> tuple[Outcome | None, str]:
        """Why `page` must not be written now (None: it may), and its current text.

        The one gate of every write. A report page must be one of the configured ones
        (`allow()`); a message goes only to `User talk:<recipient>` itself. Either is refused
        when it is a redirect (never followed: a redirect made by anyone would otherwise
        choose where the bot writes), when the text after the edit (`size` of the current
        text, in UTF-8 bytes) would exceed what MediaWiki accepts, or when {{bots}} forbids.
        """
        title = page.title()
        if recipient is None:
            if title not in self._allowed:
                return Outcome(title, "refused", "not-allowed"), ""
        else:
            own = pywikibot.Page(self.site, f"User talk:{recipient}")
            if "/" in recipient or own.namespace() != USER_TALK or own.title() != title:
                return Outcome(title, "refused", "not-own-talk"), ""
        try:
            try:
                old = page.get(force=True)
                self.requests += 1
            except IsRedirectPageError:
                return Outcome(title, "refused", "redirect"), ""
            except NoPageError:
                old = ""
            if size(old) > self.max_bytes():
                return Outcome(title, "refused", "too-big"), old
            if not page.botMayEdit():
                log.warning("%s: {{bots}}/{{nobots}} forbids the bot to edit %s", self.key, title)
                return Outcome(title, "skipped-nobots", "nobots"), old
        except TRANSIENT as exc:
            return Outcome(title, "retry", type(exc).__name__), ""
        except Error as exc:  # e.g. an invalid title
            return Outcome(title, "failed", type(exc).__name__), ""
        return None, old

    def texts(self, titles: Sequence[str]) -> dict[str, str | None]:
        """Current text of each page as it is (a redirect is not followed), 50 a request;
        None if missing. Lets `save()` skip pages whose text is already right."""
        out: dict[str, str | None] = {t: None for t in titles}
        for chunk in _chunks(list(titles), BATCH):
            params = {"action": "query", "prop": "revisions", "titles": "|".join(chunk)}
            params.update(rvprop="content", rvslots="main")
            for data in self._query_all(params):
                query = data.get("query", {})
                back = {n["to"]: n["from"] for n in query.get("normalized", [])}
                for page in query.get("pages", []):
                    revisions = page.get("revisions") or [{}]
                    text = revisions[0].get("slots", {}).get("main", {}).get("content")
                    asked = back.get(page.get("title", ""), page.get("title", ""))
                    if asked in out and text is not None:
                        out[asked] = text
        return out

    def save(self, title: str, text: str, summary: str, current: str | None = None) -> Outcome:
        """Replace a configured report page's text if it changed (see `_refusal`).

        `current` (from `texts()`) only spares work when it equals `text`: any write is
        checked on the page as it is when written."""
        if current is not None and current.rstrip("\n") == text.rstrip("\n"):
            return Outcome(title, "unchanged")
        page = pywikibot.Page(self.site, title)
        size = len(text.encode("utf-8"))
        refused, old = self._refusal(page, None, lambda _old: size)
        if refused is not None:
            self._log_refusal(refused)
            return refused
        if old.rstrip("\n") == text.rstrip("\n"):
            return Outcome(title, "unchanged")
        if self.dry_run:
            self._diff(title, old, text)
            return Outcome(title, "dry-run")
        page.text = text
        return self._save(page, summary, size=lambda _old: size)

    def post_section(
        self, title: str, heading: str, text: str, summary: str, marker: str, *, recipient: str
    ) -> Outcome:
        """Add a new section to `recipient`'s own talk page unless `marker` is already there.

        Adding a section needs no base revision, so it cannot overwrite anyone's words;
        the marker makes a retried post after a crash a no-op. A talk page that is a
        redirect is refused, not followed: one edit could otherwise send someone's message
        to another person's talk page.
        """
        page = pywikibot.Page(self.site, title)
        section = f"\n\n== {heading} ==\n{text}\n"
        extra = len(section.encode("utf-8"))

        def size(old: str) -> int:
            return len(old.encode("utf-8")) + extra

        refused, old = self._refusal(page, recipient, size)
        if refused is not None:
            self._log_refusal(refused)
            return refused
        if marker in old:
            return Outcome(title, "unchanged", "already-posted")
        if self.dry_run:
            self._diff(title, old, old + section)
            return Outcome(title, "dry-run")
        return self._save(
            page,
            summary,
            recipient=recipient,
            size=size,
            text=text,
            section="new",
            sectiontitle=heading,
            minor=False,
        )

    def _log_refusal(self, outcome: Outcome) -> None:
        if outcome.status == "refused":
            log.error("%s: refused to write %s: %s", self.key, outcome.title, outcome.reason)

    def _save(
        self,
        page: Any,
        summary: str,
        *,
        recipient: str | None = None,
        size: Callable[[str], int],
        minor: bool = True,
        **kwargs: Any,
    ) -> Outcome:
        """The only call that edits a wiki. `page` has just passed `_refusal`; a retry after
        an edit conflict (someone changed the page meanwhile, e.g. into a redirect) passes it
        again on the fresh page before writing."""
        title = page.title()
        for attempt in (1, 2):
            try:
                self.requests += 1
                page.save(summary=summary, bot=True, minor=minor, quiet=True, **kwargs)
                return Outcome(title, "saved", revid=page.latest_revision_id)
            except EditConflictError:
                if attempt == 2 or "section" in kwargs:
                    return Outcome(title, "retry", "edit-conflict")
                text = page.text
                page = pywikibot.Page(self.site, title)
                refused, _old = self._refusal(page, recipient, size)  # loads the new base
                if refused is not None:
                    self._log_refusal(refused)
                    return refused
                page.text = text
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
