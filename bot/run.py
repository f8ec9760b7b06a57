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
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot import needsmap, render
from bot.config import Config, WikiSource
from bot.gather import Core, PageResult, check_page, new_organizers, organizers_from
from bot.i18n import Messages
from bot.models import ParseResult
from bot.store import Store, record_to_dict
from bot.wiki import Latest, Outcome, Wiki

log = logging.getLogger("skillmatch.run")


@dataclass
class RunReport:
    pages_read: int = 0
    revisions_fetched: int = 0
    entries: Counter[str] = field(default_factory=Counter)
    problems: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0

    @property
    def edits(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "saved")

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages_read": self.pages_read,
            "revisions_fetched": self.revisions_fetched,
            "entries": dict(self.entries),
            "problems": self.problems,
            "edits": self.edits,
            "failed": [o.title + ": " + o.reason for o in self.outcomes if o.status == "failed"],
            "skipped": [o.title for o in self.outcomes if o.status == "skipped-nobots"],
            "requests": self.requests,
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
        self.report = RunReport()

    def _store_url(self) -> str:
        """A dry run works on a throwaway copy, so it changes neither wiki nor store."""
        url = self.cfg.store
        if not self.dry_run:
            if url.startswith("sqlite:///"):
                Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            return url
        self._tmp = tempfile.mkdtemp(prefix="skillmatch-dry-")
        copy = Path(self._tmp) / "dry.db"
        src = Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
        if src is not None and src.exists():
            shutil.copyfile(src, copy)
        elif src is None:
            log.warning("dry run on a non-SQLite store starts from an empty copy")
        return f"sqlite:///{copy}"

    def _connect(self, source: WikiSource) -> Wiki:
        return Wiki.connect(
            source.key, source.family, source.code, dry_run=self.dry_run, out=self.out
        )

    def wiki(self, source: WikiSource) -> Wiki:
        if source.key not in self._wikis:
            self._wikis[source.key] = self._factory(source)
        return self._wikis[source.key]

    # -- phases ---------------------------------------------------------------------

    def run(self) -> RunReport:
        run_id = self.store.begin_run()
        try:
            data = self.gather()
            rows = needsmap.build(data, self.core.taxonomy.ancestors)
            with self.store.transaction() as conn:
                self.store.replace_needs_map(conn, [r.as_store_row() for r in rows])
            self.export(data, rows)
            self.write_reports(data, rows)
        except BaseException:
            self.store.finish_run(run_id, "failed", self.report.as_dict())
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
        """Read every signup page, replay only unseen revisions, store entries per page."""
        previous = self.store.load_entries()
        organizers = organizers_from(previous.events)
        fetched = []
        for source in self.cfg.wikis:
            wiki = self.wiki(source)
            titles = self.signup_titles(source, wiki)
            latest = wiki.latest(titles)
            states = self.store.page_states((source.key, t) for t in titles)
            wanted: dict[str, tuple[int, Latest]] = {}
            for title in titles:
                now = latest[title]
                if now is None:
                    log.warning("%s: signup page %r does not exist", source.key, title)
                    continue
                seen = states.get((source.key, title), (0, None))[0]
                if now.revid != seen:
                    wanted[title] = (seen, now)
            histories = wiki.histories(wanted) if wanted else {}
            self.report.pages_read += len(titles)
            fetched.append((source, titles, latest, states, histories))
        found = []
        for source, _titles, _latest, _states, histories in fetched:
            for revisions in histories.values():
                found.extend(new_organizers(self.core, source.lang, revisions))
        for _revid, event_id, organizer in sorted(found):
            organizers.setdefault(event_id, organizer)
        results: list[PageResult] = []
        for source, titles, latest, states, histories in fetched:
            for title in titles:
                now = latest[title]
                if now is None:
                    continue
                _last, state = states.get((source.key, title), (0, None))
                revisions = histories.get(title, [])
                self.report.revisions_fetched += len(revisions)
                new_state, result = check_page(
                    wiki=source.key,
                    title=title,
                    lang=source.lang,
                    core=self.core,
                    state=state,
                    revisions=revisions,
                    current_text=now.text,
                    organizers=organizers,
                    today=self.today,
                )
                results.append(
                    PageResult(source.key, title, now.revid, new_state, result, len(revisions))
                )
        with self.store.transaction() as conn:
            for page in results:
                self.store.save_page_state(conn, page.wiki, page.title, page.revid, page.state)
            merged = ParseResult()
            for page in results:
                merged.extend(page.result)
            self.store.replace_entries(conn, merged, [(p.wiki, p.title) for p in results])
            for s in merged.signups:
                self.store.upsert_person(conn, s.user, s.origin.wiki, s.notify)
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
        return merged

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
                    **record_to_dict(p.origin),
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
        """Needs map and problems page on every wiki that configures them."""
        tax = self.core.taxonomy
        for source in self.cfg.wikis:
            msgs = Messages(source.lang)
            wiki = self.wiki(source)
            pages: dict[str, tuple[str, str]] = {}
            if "needs_map" in source.pages:
                totals = [r for r in rows if not (r.community or r.lang or r.region)]
                text = render.needs_map_page(
                    rows, msgs, lambda s, lang=source.lang: tax.label(s, lang)
                )
                summary = msgs(
                    "skillmatch-summary-needs",
                    len(totals),
                    len({s.user for s in data.signups if s.wants}),
                    sum(o.capacity for o in data.offers if o.status == "active"),
                )
                pages[source.pages["needs_map"]] = (text, summary)
            if "problems" in source.pages:
                own = [p for p in data.problems if p.origin.wiki == source.key]
                text = render.problems_page(own, msgs)
                pages[source.pages["problems"]] = (
                    text,
                    msgs("skillmatch-summary-problems", len(own)),
                )
            self.save_pages(wiki, pages)

    def save_pages(self, wiki: Wiki, pages: dict[str, tuple[str, str]]) -> None:
        """Write bot-owned pages, reading their current text in one batch first."""
        if not pages:
            return
        current = wiki.latest(list(pages))
        for title, (text, summary) in pages.items():
            now = current.get(title)
            outcome = wiki.save(title, text, summary, current=now.text if now else "")
            self.report.outcomes.append(outcome)
            if outcome.status == "failed":
                log.error("%s: could not save %s: %s", wiki.key, title, outcome.reason)


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
