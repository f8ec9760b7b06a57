"""One full bot run: gather → aggregate → (match, notify, recognise) → write back.

Each phase commits its own facts to the store before the next starts, so a
run killed anywhere resumes from the last committed phase: page histories
already read are not read again, queued messages are posted once.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from bot import accounts, badge_rules, guard, lifecycle, matchphase, messages, needsmap, render
from bot.authorship import Revision
from bot.config import Config, ConfigError, WikiSource
from bot.gather import (
    PARSED,
    Core,
    PageResult,
    check_page,
    claims_from,
    drop_duplicate_events,
    event_owners,
    new_organizers,
    scoped_revisions,
)
from bot.i18n import Messages
from bot.matching import solve
from bot.models import Origin, ParseResult, Problem
from bot.openbadges import award_page_url, new_salt
from bot.store import Store, store_fault
from bot.usernames import normalize_user
from bot.wiki import Outcome, PageNow, RevMeta, Wiki, WikiUnavailableError, wiki_fault

log = logging.getLogger("skillmatch.run")
AUTHORSHIP_CODES = frozenset(
    {"not-own-entry", "removed-by-other", "unknown-event-organizer", "changed-in-hidden-revision"}
)
"""Problems about who wrote an entry, not about the entry its owner wrote."""
ACTIVITY_RECHECK = timedelta(days=1)
"""How long a mentor found inactive is not asked about again."""
MESSAGE_TRIES = 5
"""Runs in a row a message may meet a passing fault (edit conflict, rate limit, server
error) before it is reported as undelivered."""


class RunLockedError(RuntimeError):
    """Another run holds the store: two runs at once could post a message twice."""


class LargeChangeError(RuntimeError):
    """The run would end or revoke too much at once; see bot/guard.py."""


class RunStoppedError(RuntimeError):
    """The run stopped part-way for a fault outside the bot (a wiki that does not answer,
    a store that cannot be written); `status` is what its row in `runs` says."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class RunReport:
    pages_read: int = 0
    revisions_fetched: int = 0
    texts_parsed: int = 0  # texts parsed this run: none when no page has a new revision
    entries: Counter[str] = field(default_factory=Counter)
    problems: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    matches: int = 0
    new_matches: int = 0
    new_awards: int = 0
    revoked_awards: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    stopped: str = ""  # why the run stopped part-way, if it did
    unread: list[str] = field(default_factory=list)  # pages skipped this run: wiki faults

    @property
    def edits(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "saved")

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages_read": self.pages_read,
            "revisions_fetched": self.revisions_fetched,
            "texts_parsed": self.texts_parsed,
            "entries": dict(self.entries),
            "problems": self.problems,
            "edits": self.edits,
            "failed": [o.title + ": " + o.reason for o in self.outcomes if o.status == "failed"],
            "retrying": [o.title + ": " + o.reason for o in self.outcomes if o.status == "retry"],
            "skipped": [o.title for o in self.outcomes if o.status == "skipped-nobots"],
            "refused": [o.title + ": " + o.reason for o in self.outcomes if o.status == "refused"],
            "requests": self.requests,
            "matches": self.matches,
            "new_matches": self.new_matches,
            "new_awards": self.new_awards,
            "revoked_awards": self.revoked_awards,
            "messages": dict(self.messages),
            **({"stopped": self.stopped} if self.stopped else {}),
            **({"unread": self.unread} if self.unread else {}),
        }


WikiFactory = Callable[[WikiSource], Wiki]


class Runner:
    def __init__(
        self,
        cfg: Config,
        *,
        dry_run: bool = False,
        wiki_factory: WikiFactory | None = None,
        out: TextIO | None = None,
        today: date | None = None,
    ) -> None:
        self.cfg = cfg
        self.dry_run = dry_run
        self.out = out or sys.stdout
        self.today = today or datetime.now(UTC).date()
        self.core = Core.load(cfg.taxonomy, cfg.vocabulary, cfg.templates)
        self._factory = wiki_factory or self._connect
        self._wikis: dict[str, Wiki] = {}
        self._tmp: str | None = None
        self.store = Store(self._store_url())
        self.store.create_schema()
        self.marker_key = self._marker_key()
        self.report = RunReport()
        self._unread: dict[tuple[str, str], int] = {}  # pages whose history the wiki withheld

    def _marker_key(self) -> bytes:
        """The secret of talk-page markers: SKILLMATCH_MARKER_KEY, else the file named by
        SKILLMATCH_MARKER_KEY_FILE, else the store's own (see `Store.marker_key`)."""
        if value := os.environ.get(messages.KEY_ENV, "").strip():
            return value.encode("utf-8")
        if path := os.environ.get(messages.KEY_FILE_ENV, ""):
            try:
                key = Path(path).read_bytes().strip()
            except OSError as exc:
                raise ConfigError(
                    f"{messages.KEY_FILE_ENV}={path}: cannot read the marker key: {exc.strerror}"
                ) from exc
            if not key:
                raise ConfigError(f"{messages.KEY_FILE_ENV}={path}: the marker key file is empty")
            return key
        return self.store.marker_key()

    def _store_url(self) -> str:
        """A dry run works on a throwaway copy, so it changes neither wiki nor store."""
        url = self.cfg.store
        if not self.dry_run:
            if url.startswith("sqlite:///"):
                Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            return url
        self._tmp = tempfile.mkdtemp(prefix="skillmatch-dry-")
        copy = f"sqlite:///{Path(self._tmp) / 'dry.db'}"
        src = Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
        if src is not None:
            if src.exists():
                shutil.copyfile(src, Path(self._tmp) / "dry.db")
        else:  # ToolsDB: copy its rows, so the dry run shows what a real run would do
            Store(url).copy_to(Store(copy))
        return copy

    def _connect(self, source: WikiSource) -> Wiki:
        return Wiki.connect(
            source.key, source.family, source.code, dry_run=self.dry_run, out=self.out
        )

    def wiki(self, source: WikiSource) -> Wiki:
        if source.key not in self._wikis:
            wiki = self._wikis[source.key] = self._factory(source)
            wiki.allow(report_pages(source).values())
        return self._wikis[source.key]

    # -- phases ---------------------------------------------------------------------

    def run(self) -> RunReport:
        holder = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": _process_start(os.getpid()),
            "started": time.time(),
        }
        if not self.dry_run and not self.store.take_lock(holder, self._lock_is_stale):
            raise RunLockedError("another run is in progress on this store")
        try:
            if not self.dry_run:
                for run_id in self.store.mark_killed_runs():
                    log.warning("run %s ended without closing its row: marked killed", run_id)
            return self._run()
        finally:
            if not self.dry_run:
                self.store.drop_lock(holder)

    def _lock_is_stale(self, holder: dict[str, Any]) -> bool:
        """A lock is stale when its process is gone (same host) or it is too old (any host:
        a Toolforge job runs in a new container each time)."""
        if time.time() - float(holder.get("started", 0)) > self.cfg.lock_hours * 3600:
            return True
        if holder.get("host") != socket.gethostname():
            return False
        pid = int(holder.get("pid", 0))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError, OverflowError):
            return False
        since = holder.get("since")  # a recycled pid belongs to a younger process
        return since is not None and _process_start(pid) != since

    def _run(self) -> RunReport:
        """The phases in order. Each commits all or nothing, so a run stopped anywhere (a
        wiki that stops answering, a large change to confirm) leaves the store consistent
        and the next run resumes; the `runs` row says how it ended."""
        run_id = self.store.begin_run()
        phase = "gather"
        try:
            self._guard("signup pages", *self._dropped_by_config())
            data = self.real_accounts(self.gather())
            phase = "match"
            people = self.match(data)
            phase = "recognise"
            self.recognise(data, people)
            phase = "needs map"
            rows = needsmap.build(data, self.core.taxonomy.ancestors)
            with self.store.transaction() as conn:
                self.store.replace_needs_map(conn, [r.as_store_row() for r in rows])
            self.export(data, rows)
            phase = "deliver"
            self.deliver()
            phase = "reports"
            self.write_reports(data, rows)
        except BaseException as exc:
            status, why = _ending(exc)
            why = f"{phase}: {why}"
            self.report.stopped = why
            stats = {**self.report.as_dict(), "error": why}
            if status == "failed":  # a bug, or the store: the operator needs the details
                stats["traceback"] = traceback.format_exc()[-4000:]
            try:
                self.store.finish_run(run_id, status, stats)
            except Exception as again:  # the store itself is what failed
                log.error("could not mark run %s %s: %s", run_id, status, again)
            if status == "partial":
                raise RunStoppedError(status, why) from exc
            raise
        finally:
            self.report.requests = sum(w.requests for w in self._wikis.values())
            if self._tmp:
                shutil.rmtree(self._tmp, ignore_errors=True)
        self.store.finish_run(run_id, "ok", self.report.as_dict())
        return self.report

    def signup_titles(self, source: WikiSource, wiki: Wiki) -> list[str]:
        titles = list(source.signup_pages)
        for prefix in source.signup_prefixes:
            titles.extend(wiki.titles_with_prefix(prefix))
        return list(dict.fromkeys(titles))

    def gather(self) -> ParseResult:
        """Read every signup page, replay only unseen revisions, store entries per page.

        A page is known by its page id, not its title: a page moved within the signup
        pages is read at its new title; one moved out of them (or deleted) keeps the
        entries it had, reported, and edits made while it was out of scope never count
        (`bot.authorship`). A redirect is never followed: a signup page replaced by a
        redirect is an edit of that page like any other. Only a page that stays where it
        was and is no longer configured is forgotten: that is the operator's choice.
        A page without a new revision is not parsed (its state keeps what is needed).
        """
        parsed_before = PARSED.texts
        previous = self.store.load_entries()
        fetched: list[tuple[WikiSource, dict[str, _Tracked], tuple[str, ...], Any]] = []
        forget: list[tuple[str, str]] = []
        frozen: dict[tuple[str, str], tuple[int, str]] = {}  # page → (revid, problem code)
        renamed: dict[tuple[str, str], tuple[str, int, Any]] = {}  # moved out: old → new
        for source in self.cfg.wikis:
            wiki = self.wiki(source)
            prefixes = wiki.user_prefixes()
            stored = self.store.page_rows(source.key)
            listed = self.signup_titles(source, wiki)
            legacy = [t for t, (_, st) in stored.items() if not (st or {}).get("page_id")]
            ids = [int(st["page_id"]) for _, st in stored.values() if (st or {}).get("page_id")]
            by_title, by_id = wiki.pages_now([*listed, *legacy], ids)
            pages: dict[int, _Tracked] = {}
            for title, (revid, st) in stored.items():
                pid = int((st or {}).get("page_id") or 0)
                now = by_id.get(pid) if pid else by_title.get(title)
                if now is None:
                    frozen[(source.key, title)] = (revid, "page-missing")
                elif now.pageid in pages:
                    forget.append((source.key, title))  # an older row of the same page
                else:
                    pages[now.pageid] = _Tracked(title, revid, st, now)
            for title in listed:
                now = by_title.get(title)
                if now is None:
                    log.warning("%s: signup page %r does not exist", source.key, title)
                elif now.pageid not in pages and not now.redirect:
                    pages[now.pageid] = _Tracked(None, 0, None, now)
            current: dict[str, _Tracked] = {}
            for page in pages.values():
                now = page.now
                moved = page.key is not None and now.title != page.key
                if not source.reads(now.title):
                    if page.key is None:  # listed under a spelling `reads` does not know
                        log.warning("%s: %r is not a signup page", source.key, now.title)
                        continue
                    if not moved and not (page.state or {}).get("moved_out"):
                        forget.append((source.key, page.key))  # left the configuration
                        continue
                    frozen[(source.key, now.title)] = (page.revid, "page-out-of-scope")
                    if moved:
                        renamed[(source.key, page.key)] = (now.title, page.revid, page.state)
                    continue
                if moved and page.key is not None:
                    forget.append((source.key, page.key))
                current[now.title] = page
            wanted = {t: p for t, p in current.items() if p.now.revid != p.revid}
            histories = self._histories(wiki, source, wanted, current)
            self.report.pages_read += len(current)
            fetched.append((source, current, prefixes, histories))
        found_organizers = claims_from(previous.events)
        for source, _pages, prefixes, histories in fetched:
            for revisions in histories.values():
                found_organizers += new_organizers(
                    self.core, source.lang, revisions, source.key, prefixes
                )
        organizers = event_owners(found_organizers)  # first by time over every wiki
        results: list[PageResult] = []
        for source, current, prefixes, histories in fetched:
            for title, page in current.items():
                revisions = histories.get(title, [])
                self.report.revisions_fetched += len(revisions)
                new_state, result = check_page(
                    wiki=source.key,
                    title=title,
                    lang=source.lang,
                    core=self.core,
                    state=page.state,
                    revisions=revisions,
                    current_text=page.now.text,
                    organizers=organizers,
                    today=self.today,
                    current_revid=page.now.revid,
                    user_prefixes=prefixes,
                )
                new_state.pop("moved_out", None)
                new_state.update(page_id=page.now.pageid, sha1=page.now.sha1)
                results.append(
                    PageResult(source.key, title, page.now.revid, new_state, result, len(revisions))
                )
        written = {(p.wiki, p.title) for p in results}
        written |= {(key, new) for (key, _old), (new, _r, _s) in renamed.items()}
        with self.store.transaction() as conn:
            for done in results:
                self.store.save_page_state(conn, done.wiki, done.title, done.revid, done.state)
            merged = ParseResult()
            for done in results:
                merged.extend(done.result)
            drop_duplicate_events(merged, organizers)
            self.store.replace_entries(conn, merged, [(p.wiki, p.title) for p in results])
            for (key, old), (new, revid, state) in renamed.items():
                carried = _renamed_view(previous, key, old, new)
                self.store.replace_entries(conn, carried, [(key, new)])
                self.store.save_page_state(conn, key, new, revid, {**state, "moved_out": True})
                forget.append((key, old))
            self.store.forget_pages(conn, [k for k in dict.fromkeys(forget) if k not in written])
            for s in merged.signups:
                self.store.upsert_person(conn, s.user, s.origin.wiki, s.notify)
            self.store.note_edits(conn, _newest_edits(fetched))
        for (key, old), (new, _revid, _state) in renamed.items():
            carried = _renamed_view(previous, key, old, new)
            previous = _without_page(previous, key, old)
            previous.extend(carried)
        frozen.update({page: (revid, "page-unread") for page, revid in self._unread.items()})
        merged.extend(_kept_from(previous, frozen))
        drop_duplicate_events(merged, organizers)
        for p in merged.problems:
            log.warning(
                "%s:%s line %s: %s %s (%s)",
                p.origin.wiki,
                p.origin.page,
                p.origin.line,
                p.code,
                "; ".join(p.params),
                p.template,
            )
        for kind in (
            "signups",
            "offers",
            "needs",
            "resources",
            "events",
            "attendees",
            "confirmations",
        ):
            self.report.entries[kind] = len(getattr(merged, kind))
        self.report.problems = len(merged.problems)
        self.report.texts_parsed = PARSED.texts - parsed_before
        return merged

    def _histories(
        self,
        wiki: Wiki,
        source: WikiSource,
        wanted: Mapping[str, _Tracked],
        current: dict[str, _Tracked],
    ) -> dict[str, list[Revision]]:
        """New revisions of the wanted pages, batched; if the wiki withholds the batch after
        every retry, page by page. A page still unreadable is dropped from `current` for this
        run: its stored state and entries stay as they are and a problem says so."""
        if not wanted:
            return {}
        try:
            return self._read_histories(wiki, source, wanted)
        except WikiUnavailableError as exc:
            log.warning("%s: %s; reading the pages one by one", wiki.key, exc)
        out: dict[str, list[Revision]] = {}
        for title, page in wanted.items():
            try:
                out |= self._read_histories(wiki, source, {title: page})
            except WikiUnavailableError as exc:
                del current[title]
                self._unread[(wiki.key, title)] = page.revid
                self.report.unread.append(f"{wiki.key}:{title}: {exc.reason}")
        return out

    def _read_histories(
        self, wiki: Wiki, source: WikiSource, wanted: Mapping[str, _Tracked]
    ) -> dict[str, list[Revision]]:
        """New revisions per page since the last one read, contents batched across pages,
        each marked with whether the page was a signup page when it was made.

        A move leaves a null revision (same sha1 as its parent); only those are looked up
        in the move log, so the cost stays one request per move.
        """
        metas: dict[str, list[RevMeta]] = {}
        before: dict[str, str | None] = {}
        for title, page in wanted.items():
            now, known = page.now, (page.state or {}).get("sha1")
            if page.revid and now.parentid == page.revid and known:
                meta = RevMeta(now.revid, now.parentid, now.user, now.timestamp, now.sha1)
                metas[title], before[title] = [meta], known
            else:
                metas[title], before[title] = wiki.revisions_after(now.pageid, page.revid)
        latest = {p.now.revid: p.now.text for p in wanted.values() if not p.now.hidden}
        need = [m.revid for ms in metas.values() for m in ms if m.revid not in latest]
        texts = {**wiki.revision_texts(need), **latest}
        out: dict[str, list[Revision]] = {}
        for title, ms in metas.items():
            page = wanted[title]
            moves: dict[int, tuple[str, str]] = {}
            sha1 = before[title]
            for m in ms:
                if sha1 and m.sha1 == sha1 and m.parentid:
                    move = wiki.move_at(page.now.pageid, m.timestamp, m.user)
                    if move is not None:
                        moves[m.revid] = (move.source, move.target)
                sha1 = m.sha1
            out[title] = scoped_revisions(ms, texts, moves, page.now.title, source.reads)
        return out

    # -- accounts ----------------------------------------------------------------------

    def real_accounts(self, data: ParseResult) -> ParseResult:
        """Only entries whose names are real accounts in good standing (`bot.accounts`).

        The store (what the web tool shows) gets the same view: the pages with entries held
        out are stored again without them and with their reasons. Events stay stored, so
        later runs still know who organises them; pages that are gone are left as they are.
        """
        checked = accounts.filter(data, self.account_states(accounts.wanted(data)))

        def page(r: Any) -> tuple[str, str]:
            return (r.origin.wiki, r.origin.page)

        frozen = ("page-missing", "page-out-of-scope", "page-unread")  # kept as stored
        gone = {page(p) for p in data.problems if p.code in frozen}
        held = checked.problems[len(data.problems) :]  # filter adds its problems at the end
        touched = {page(p) for p in held} - gone
        if touched:
            kept = ParseResult(problems=[p for p in checked.problems if page(p) in touched])
            for record in checked.records():
                if page(record) in touched:
                    kept.add(record)
            stored = set(kept.events)
            kept.events += [e for e in data.events if page(e) in touched and e not in stored]
            with self.store.transaction() as conn:
                self.store.replace_entries(conn, kept, sorted(touched))
        for kind in self.report.entries:
            self.report.entries[kind] = len(getattr(checked, kind))
        self.report.problems = len(checked.problems)
        return checked

    def account_states(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The `bot.accounts` status of each (wiki, name): by its spelling, else from the
        store's cache, else (or when older than `accounts.RECHECK`) asked of the wiki in
        batches. A name the wiki could not be asked about keeps its cached status; one never
        answered is left out (it counts as unchecked)."""
        keys = set(keys)
        out: dict[tuple[str, str], str] = {}
        asked: set[tuple[str, str]] = set()
        for key in keys:
            rule = accounts.by_rule(key[1])
            if rule is None:
                asked.add(key)
            else:
                out[key] = rule
        now = datetime.now(UTC)
        ask: dict[str, list[str]] = {}
        for key, (status, checked) in self.store.load_accounts(asked).items():
            out[key] = status
            if now - checked <= accounts.RECHECK:
                asked.discard(key)
        for wiki, name in sorted(asked):
            ask.setdefault(wiki, []).append(name)
        rows = []
        for wiki, names in ask.items():
            source = self._source(wiki)
            if source is None:
                continue
            for name, row in self.wiki(source).users(names).items():
                out[(wiki, name)] = status = accounts.from_api(row)
                rows.append(
                    {
                        "wiki": wiki,
                        "username": name,
                        "status": status,
                        "registration": row.get("registration"),
                        "editcount": row.get("editcount"),
                    }
                )
        if rows:
            with self.store.transaction() as conn:
                self.store.save_accounts(conn, rows)
        return out

    # -- matching ----------------------------------------------------------------------

    def _dropped_by_config(self) -> tuple[int, int]:
        """(signup pages the store holds, how many of them the configuration no longer
        reads): a mistake in the file shows here first, before gather forgets them."""
        held = dropped = 0
        for source in self.cfg.wikis:
            titles = self.store.page_titles(source.key)
            held += len(titles)
            dropped += sum(1 for t in titles if not source.reads(t))
        return held, dropped

    def _guard(self, kind: str, live: int, removed: int) -> None:
        """Stop before a phase's transaction if it would take away too much (bot/guard.py)."""
        change = guard.Change(kind, live, removed)
        share, floor = self.cfg.max_change_share, self.cfg.max_change_floor
        if not guard.too_large(change, max_share=share, floor=floor):
            return
        if not self.cfg.confirm_large_change:
            raise LargeChangeError(guard.message(change, max_share=share, floor=floor))
        log.warning("confirmed large change: %s %s of %s", kind, removed, live)

    def _label(self, lang: str) -> Callable[[str], str]:
        tax = self.core.taxonomy
        return lambda skill: tax.label(skill, lang)

    def _words(self, lang: str) -> Callable[[str, str], str]:
        vocab = self.core.vocabulary
        return lambda kind, value: vocab.label(kind, value, lang)

    def _source(self, key: str) -> WikiSource | None:
        return next((w for w in self.cfg.wikis if w.key == key), None)

    def _pages(self, source: WikiSource) -> dict[str, str]:
        pages = dict(source.pages)
        if "confirmations" not in pages and source.signup_pages:
            pages["confirmations"] = source.signup_pages[0]
        return pages

    def last_edits(self, users: list[str]) -> dict[str, datetime | None]:
        """Newest edit of each user over every configured wiki.

        Activity only moves forward: someone whose known edit (from the page histories read,
        or an earlier run's question) is inside the `inactive_days` window is active without
        asking. The others are looked up in their contributions at most once a day, so an
        hourly run does not ask the wikis about the same quiet mentors again and again.
        """
        now = datetime.now(UTC)
        cutoff = now - timedelta(days=self.cfg.inactive_days)
        known = self.store.activity(users)
        out: dict[str, datetime | None] = {}
        ask = []
        for user in users:
            last, checked = known.get(user, (None, None))
            if (last is not None and last >= cutoff) or (
                checked is not None and checked > now - ACTIVITY_RECHECK
            ):
                out[user] = last
            else:
                ask.append(user)
        fresh: dict[str, datetime] = {}
        for source in self.cfg.wikis if ask else ():
            for user, when in self.wiki(source).last_edits(ask).items():
                if when is not None and (user not in fresh or when > fresh[user]):
                    fresh[user] = when
        with self.store.transaction() as conn:
            self.store.note_edits(conn, fresh, checked=ask)
        for user in ask:
            out[user] = fresh.get(user) or known.get(user, (None, None))[0]
        return out

    def match(self, data: ParseResult) -> dict[str, matchphase.Person]:
        """Confirmations → states; then matches, kept stable; new ones queued for announcement."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        stored = self.store.load_matches()
        life = lifecycle.apply(
            stored, data.confirmations, now=now, reminder_days=self.cfg.reminder_days
        )
        data.problems.extend(life.problems)
        mentors = sorted({o.user for o in data.offers if o.user})
        open_rows = [r for r in life.rows if r["state"] in matchphase.OPEN_STATES]
        inputs = matchphase.build_inputs(
            data,
            today=self.today,
            last_edits=self.last_edits(mentors) if mentors else {},
            inactive_days=self.cfg.inactive_days,
            learned=matchphase.learned_skills(life.rows),
            held=Counter(r["b"] for r in open_rows if r["kind"] == "mentor"),
        )
        existing = [(r["a"], r["b"]) for r in open_rows if r["kind"] == "mentor"]
        existing_peers = [(r["a"], r["b"]) for r in open_rows if r["kind"] == "peer"]
        forbidden, forbidden_peers = matchphase.declined_pairs(
            life.rows, data.confirmations, matchphase.newest_entries(data)
        )
        result = solve(
            inputs.learners,
            inputs.mentors,
            inputs.peers,
            existing,
            existing_peers,
            forbidden=forbidden,
            forbidden_peers=forbidden_peers,
        )
        first = self.cfg.wikis[0]
        scope = f"{first.key}:{first.pages.get('matches', '')}"
        unsure = {p.origin.author for p in data.problems if p.code not in AUTHORSHIP_CODES}
        plan = matchphase.plan(result, life.rows, inputs.people, scope, unsure - {""})
        changed = {
            r["id"]: r
            for r in life.rows
            if r != next((x for x in stored if x["id"] == r["id"]), None)
        }
        for row in plan.rows:
            changed[row["id"]] = row
        wants = {lr.id: list(lr.wants) for lr in inputs.learners}
        paired = {u for p in result.peer_pairs for u in (p.a, p.b)}
        waiting = [
            {
                "username": w.id,
                "wiki": inputs.people[w.id].wiki,
                "skills": wants.get(w.id, []),
                "why": w.why,
            }
            for w in result.waiting
            if w.id in inputs.people and w.id not in paired  # a peer partner is not "waiting"
        ]
        reminders = []
        for row, user in life.reminders:
            planned = changed.get(row["id"], row)  # what the plan made of it wins
            if planned["state"] != "proposed":
                continue  # ended by this very run: nothing to remind of
            changed[row["id"]] = planned = {**planned, "reminded": now}
            reminders.append((planned, user))
        self._guard("matches", *_ended(stored, changed.values()))
        with self.store.transaction() as conn:
            for row in changed.values():
                self.store.save_match(
                    conn,
                    {
                        **row,
                        "updated": row.get("updated") or now,
                        "created": row.get("created") or now,
                    },
                )
            self.store.replace_waiting(conn, waiting)
            for row in plan.new:
                for user in (row["a"], row["b"]):
                    self._queue(conn, inputs.people.get(user), partial(self._match_msg, row, user))
            for row, user in reminders:
                self._queue(conn, inputs.people.get(user), partial(self._reminder_msg, row, user))
        self.report.matches = len(result.matches) + len(result.peer_pairs)
        self.report.new_matches = len(plan.new)
        return inputs.people

    def _match_msg(
        self, row: dict[str, Any], user: str, src: WikiSource, msgs: Messages
    ) -> dict[str, Any]:
        return messages.match_message(
            row, user, src.key, msgs, self._label(src.lang), self._pages(src), self._words(src.lang)
        )

    def _reminder_msg(
        self, row: dict[str, Any], user: str, src: WikiSource, msgs: Messages
    ) -> dict[str, Any]:
        return messages.reminder_message(row, user, src.key, msgs, self._pages(src))

    def _badge_msg(
        self, award: badge_rules.Award, kind: badge_rules.BadgeKind, src: WikiSource, msgs: Messages
    ) -> dict[str, Any]:
        skill_label = self.core.taxonomy.label(award.skill, src.lang) if award.skill else None
        name = kind.localized(src.lang, skill_label).name
        url = award_page_url(self.cfg.web_base_url, award.id)
        return messages.badge_message(
            award.id, award.user, src.key, name, skill_label, url, msgs, self._pages(src)
        )

    def _queue(
        self,
        conn: Any,
        person: matchphase.Person | None,
        compose: Callable[[WikiSource, Messages], dict[str, Any]],
    ) -> None:
        """Queue one message to a person on their home wiki, unless they or the wiki opted out."""
        if person is None or not person.notify:
            return
        source = self._source(person.wiki)
        if source is None or not source.notify:
            return
        self.store.enqueue(conn, compose(source, Messages(source.lang)))

    # -- recognition ---------------------------------------------------------------------

    def recognise(self, data: ParseResult, people: dict[str, matchphase.Person]) -> None:
        """Award badges for facts on the wiki, once; revoke those whose facts were withdrawn."""
        catalog = badge_rules.load_catalog(self.cfg.badges)
        facts = self.facts(data)
        current = badge_rules.compute_awards(facts, catalog)
        stored = self.store.load_awards()
        as_award = [
            badge_rules.Award(
                r["id"],
                r["username"],
                r["badge_class"],
                r["skill"],
                r["issued_on"],
                tuple(r["evidence"]),
            )
            for r in stored
        ]
        diff = badge_rules.diff_awards(
            [a for a, r in zip(as_award, stored, strict=True) if not r["revoked"]],
            current,
            stored_revoked=[a for a, r in zip(as_award, stored, strict=True) if r["revoked"]],
            catalog=catalog,
        )
        by_id = {r["id"]: r for r in stored}
        wiki_of = self._award_wikis(data, people)
        self._guard("badges", sum(1 for r in stored if not r["revoked"]), len(diff.revoked))
        with self.store.transaction() as conn:
            for award in diff.new:
                wiki = wiki_of.get(award.user, self.cfg.wikis[0].key)
                self.store.save_award(
                    conn,
                    {
                        "id": award.id,
                        "username": award.user,
                        "wiki": wiki,
                        "badge_class": award.badge_class,
                        "skill": award.skill,
                        "issued_on": award.date,
                        "evidence": list(award.evidence),
                        "salt": new_salt(),
                        "revoked": False,
                        "revocation_reason": None,
                    },
                )
                person = people.get(award.user) or matchphase.Person(award.user, wiki, True)
                self._queue(
                    conn, person, partial(self._badge_msg, award, catalog.get(award.badge_class))
                )
            for rev in diff.revoked:
                self.store.save_award(
                    conn,
                    {**by_id[rev.award.id], "revoked": True, "revocation_reason": rev.reason[:255]},
                )
            for award in diff.reinstated:
                self.store.save_award(
                    conn,
                    {
                        **by_id[award.id],
                        "revoked": False,
                        "revocation_reason": None,
                        "evidence": list(award.evidence),  # it may rest on new facts now
                    },
                )
            for award in diff.evidence_changed:
                self.store.save_award(conn, {**by_id[award.id], "evidence": list(award.evidence)})
        self.report.new_awards = len(diff.new)
        self.report.revoked_awards = len(diff.revoked)

    def facts(self, data: ParseResult) -> badge_rules.Facts:
        rows = self.store.load_matches()
        events = {e.id: e for e in data.events}
        mentorships = [
            badge_rules.CompletedMentorship(
                r["id"], r["a"], r["b"], tuple(r["skills"]), r["updated"].date()
            )
            for r in rows
            if r["kind"] == "mentor" and r["state"] == "completed"
        ]
        peers = [
            badge_rules.CompletedPeerExchange(
                r["id"],
                r["a"],
                r["b"],
                tuple(r["skills"]["a_learns"] + r["skills"]["b_learns"]),
                r["updated"].date(),
            )
            for r in rows
            if r["kind"] == "peer" and r["state"] == "completed"
        ]
        attendances = [
            badge_rules.Attendance(a.event, a.user, e.organizer, e.format, e.skills, e.date)
            for a in data.attendees
            if (e := events.get(a.event)) is not None and e.date <= self.today
        ]
        needs = [
            badge_rules.RecordedNeed(n.by, n.community, n.skill, self.today) for n in data.needs
        ]
        return badge_rules.Facts(mentorships, peers, attendances, needs)

    def _award_wikis(
        self, data: ParseResult, people: dict[str, matchphase.Person]
    ) -> dict[str, str]:
        """Where to announce a badge: the person's home wiki, else where the fact was written."""
        out = {user: p.wiki for user, p in people.items()}
        for a in data.attendees:
            out.setdefault(a.user, a.origin.wiki)
        for e in data.events:
            out.setdefault(e.organizer, e.origin.wiki)
        for n in data.needs:
            out.setdefault(n.by, n.origin.wiki)
        return out

    # -- delivery --------------------------------------------------------------------------

    def deliver(self) -> None:
        """Post queued messages. A message already on its page (keyed marker found) counts as
        posted. A recipient that is no account in good standing gets nothing (no talk page
        is made in their name); a refused write (a redirected talk page) is reported."""
        pending = self.store.pending_messages()
        states = self.account_states({(m["wiki"], m["payload"]["user"]) for m in pending})
        for msg in pending:
            source = self._source(msg["wiki"])
            if source is None:
                self.store.mark_message(msg["id"], "failed", "unknown-wiki")
                continue
            p = msg["payload"]
            status = states.get((msg["wiki"], p["user"]), "unchecked")
            if status == accounts.OK:
                outcome = self.wiki(source).post_section(
                    msg["title"],
                    p["heading"],
                    messages.with_marker(p["body"], msg["id"], self.marker_key),
                    p["summary"],
                    messages.marker(msg["id"], self.marker_key),
                    recipient=p["user"],
                )
            elif status == "unchecked":
                outcome = Outcome(msg["title"], "retry", "account-unchecked")
            else:
                outcome = Outcome(msg["title"], "refused", "no-account")
            self.report.outcomes.append(outcome)
            self.report.messages[outcome.status] += 1
            if self.dry_run or outcome.status == "dry-run":
                continue
            if outcome.status in ("saved", "unchanged"):
                self.store.mark_message(msg["id"], "posted", outcome.reason or None, outcome.revid)
            elif outcome.status == "skipped-nobots":
                self.store.mark_message(msg["id"], "skipped", "nobots")
            elif outcome.status == "retry":
                if self.store.retry_message(msg["id"], outcome.reason, MESSAGE_TRIES):
                    log.error(
                        "%s: gave up posting on %s: %s", source.key, msg["title"], outcome.reason
                    )
                else:
                    log.warning("%s: will retry %s: %s", source.key, msg["title"], outcome.reason)
            else:
                self.store.mark_message(msg["id"], "failed", outcome.reason)
                log.error("%s: could not post on %s: %s", source.key, msg["title"], outcome.reason)

    def export(self, data: ParseResult, rows: list[needsmap.NeedsRow]) -> None:
        """The aggregate as JSON and CSV files for people who want the numbers, not the wiki."""
        if self.dry_run:
            return
        out_dir = self.cfg.output_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "needs_map": [r.as_store_row() for r in rows],
            "counts": {
                k: len(getattr(data, k))
                for k in ("signups", "offers", "needs", "resources", "events")
            },
            "problems": [
                {
                    **asdict(p.origin),
                    "template": p.template,
                    "code": p.code,
                    "params": list(p.params),
                }
                for p in data.problems
            ],
        }
        _atomic_write(
            out_dir / "needs-map.json",
            json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True),
        )
        tmp = out_dir / "needs-map.csv.tmp"
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            cols = list(rows[0].as_store_row()) if rows else ["skill"]
            writer.writerow(cols)
            for r in rows:
                values = r.as_store_row()
                writer.writerow([_csv_safe(values[c]) for c in cols])
        os.replace(tmp, out_dir / "needs-map.csv")

    def write_reports(self, data: ParseResult, rows: list[needsmap.NeedsRow]) -> None:
        """Report pages on every wiki that configures them; the problems page last, so it
        lists the report pages this run refused to write."""
        for source in self.cfg.wikis:
            msgs = Messages(source.lang)
            wiki = self.wiki(source)
            pages: dict[str, tuple[str, str]] = {}
            if "needs_map" in source.pages:
                totals = [r for r in rows if not (r.community or r.lang or r.region)]
                text = render.needs_map_page(rows, msgs, self._label(source.lang))
                summary = msgs(
                    "skillmatch-summary-needs",
                    len(totals),
                    len({s.user for s in data.signups if s.wants}),
                    sum(o.capacity for o in data.offers if o.status == "active"),
                )
                pages[source.pages["needs_map"]] = (text, summary)
            central = source is self.cfg.wikis[0]
            label = self._label(source.lang)
            if "matches" in source.pages:
                rows_m = [
                    r
                    for r in self.store.load_matches()
                    if central or source.key in (r["a_wiki"], r["b_wiki"])
                ]
                live = sum(1 for r in rows_m if r["state"] in matchphase.OPEN_STATES)
                pages[source.pages["matches"]] = (
                    render.matches_page(rows_m, msgs, label, self._words(source.lang)),
                    msgs("skillmatch-summary-matches", live),
                )
            if "waiting" in source.pages:
                rows_w = [
                    r for r in self.store.load_waiting() if central or r["wiki"] == source.key
                ]
                pages[source.pages["waiting"]] = (
                    render.waiting_page(rows_w, msgs, label),
                    msgs("skillmatch-summary-waiting", len(rows_w)),
                )
            if "badges" in source.pages:
                awards = [a for a in self.store.load_awards() if not a["revoked"]]
                catalog = badge_rules.load_catalog(self.cfg.badges)
                text = render.badges_page(
                    awards, msgs, label, catalog, self.cfg.web_base_url, source.lang
                )
                pages[source.pages["badges"]] = (
                    text,
                    msgs("skillmatch-summary-badges", len(awards)),
                )
            outcomes = self.save_pages(wiki, pages, msgs)
            if "problems" in source.pages:
                own = [p for p in data.problems if p.origin.wiki == source.key]
                failures = self.store.undelivered(source.key)
                refused = [(o.title, o.reason) for o in outcomes if o.status == "refused"]
                text = (
                    render.problems_page(own, msgs)
                    + render.refused_section(refused, msgs)
                    + render.delivery_section(failures, msgs)
                )
                summary = msgs("skillmatch-summary-problems", len(own) + len(failures))
                self.save_pages(wiki, {source.pages["problems"]: (text, summary)}, msgs)

    def save_pages(
        self, wiki: Wiki, pages: dict[str, tuple[str, str]], msgs: Messages
    ) -> list[Outcome]:
        """Write report pages through the wiki's one safe write path, each cut to what the
        wiki accepts. A page that is (or became) a redirect is refused, never followed."""
        limit = wiki.max_bytes()
        current = wiki.texts(list(pages))
        outcomes = []
        for title, (text, summary) in pages.items():
            outcome = wiki.save(title, render.fit(text, limit, msgs), summary, current[title])
            outcomes.append(outcome)
            if outcome.status == "failed":
                log.error("%s: could not save %s: %s", wiki.key, title, outcome.reason)
        self.report.outcomes += outcomes
        return outcomes


def report_pages(source: WikiSource) -> dict[str, str]:
    """The pages the bot may write on a wiki: its configured report pages, never one of
    its signup pages (a configuration slip must not make the bot overwrite signups) nor the
    confirmations page volunteers write on."""
    return {
        key: title
        for key, title in source.pages.items()
        if key != "confirmations" and not source.reads(title)
    }


def _process_start(pid: int) -> str | None:
    """When a process started, in clock ticks since boot (Linux), to tell pids apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _ended(
    stored: Sequence[Mapping[str, Any]], changed: Iterable[Mapping[str, Any]]
) -> tuple[int, int]:
    """(open matches stored, how many of them `changed` ends): what the guard weighs."""
    was_open = {r["id"] for r in stored if r["state"] in matchphase.OPEN_STATES}
    return len(was_open), sum(1 for r in changed if r["id"] in was_open and r["state"] == "ended")


def _ending(exc: BaseException) -> tuple[str, str]:
    """The `runs` status and a one-line reason for a run that raised `exc`."""
    if isinstance(exc, LargeChangeError):
        return "stopped", str(exc)
    fault = wiki_fault(exc)
    if fault is not None:
        return "partial", fault
    fault = store_fault(exc)
    if fault is not None:
        return "failed", f"the store cannot be used: {fault}"
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "interrupted", type(exc).__name__
    return "failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


@dataclass
class _Tracked:
    """One signup page this run: the title the store knows it by (None: new), what was
    read of it, and the page as it is now."""

    key: str | None
    revid: int
    state: Any
    now: PageNow


def _kept_from(
    previous: ParseResult, frozen: Mapping[tuple[str, str], tuple[int, str]]
) -> ParseResult:
    """The stored entries and problems of pages that are gone (deleted) or were moved out
    of the signup pages, and a problem per page: losing a page loses nobody's entry."""
    out = ParseResult()
    if not frozen:
        return out
    for record in previous.records():
        if (record.origin.wiki, record.origin.page) in frozen:
            out.add(record)
    counts = Counter((r.origin.wiki, r.origin.page) for r in out.records())
    out.problems += [p for p in previous.problems if (p.origin.wiki, p.origin.page) in frozen]
    for (wiki, title), (revid, code) in sorted(frozen.items()):
        log.warning("%s: signup page %r is gone (%s); its entries stay in force", wiki, title, code)
        origin = Origin(wiki, title, 0, revid)
        out.problems.append(Problem(origin, "", code, (title, str(counts[(wiki, title)]))))
    return out


def _renamed_view(previous: ParseResult, wiki: str, old: str, new: str) -> ParseResult:
    """The stored entries and problems of one page, as found at its new title."""
    out = ParseResult()
    for record in previous.records():
        if (record.origin.wiki, record.origin.page) == (wiki, old):
            out.add(replace(record, origin=replace(record.origin, page=new)))
    out.problems += [
        replace(p, origin=replace(p.origin, page=new))
        for p in previous.problems
        if (p.origin.wiki, p.origin.page) == (wiki, old)
    ]
    return out


def _without_page(previous: ParseResult, wiki: str, page: str) -> ParseResult:
    out = ParseResult()
    for record in previous.records():
        if (record.origin.wiki, record.origin.page) != (wiki, page):
            out.add(record)
    out.problems += [p for p in previous.problems if (p.origin.wiki, p.origin.page) != (wiki, page)]
    return out


def _newest_edits(fetched: Sequence[tuple[Any, ...]]) -> dict[str, datetime]:
    """Each editor's newest revision among the histories just read (spares activity checks)."""
    out: dict[str, datetime] = {}
    for *_, histories in fetched:
        for revisions in histories.values():
            for rev in revisions:
                if not rev.user or not rev.timestamp:
                    continue
                user = normalize_user(rev.user)
                when = datetime.fromisoformat(rev.timestamp.replace("Z", "+00:00"))
                if user not in out or when > out[user]:
                    out[user] = when
    return out


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return value


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
