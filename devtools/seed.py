"""Apply a `devtools.dataset.Dataset` to running local wikis, fast, with honest authorship.

Why it matters how: SkillMatch trusts an entry only if the named user's own edit added it, so
every entry must become its own revision by its owner. Two ways, same resulting histories:

* ``api`` (default): every edit is a real ``action=edit`` with ``appendtext`` by the author's
  own logged-in session (one login per author, sessions reused; pages spread over a few
  threads, each page's edits in order). About 50 edits/s on two cores.
* ``import``: the same revisions written as an XML dump (each revision the page text after
  that author's append, attributed to that account) and loaded with
  ``maintenance/importDump.php``: about 10x faster, for benchmarks with thousands of entries.

Accounts are created in bulk inside one PHP process (AuthManager auto-creation plus a
BotPassword each, like the harness does for its fixed accounts): measured ~200 accounts/s,
against ~16/s for ``action=createaccount`` over the API (two requests each, and the API route
still needs a password login afterwards).
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from devtools.dataset import Dataset, Edit
from devtools.localwiki import LocalWiki, WikiAPIError

APP_ID = "pwb"
GRANTS = ("basic", "highvolume", "editpage", "createeditmovepage", "editmyoptions")
SUMMARY = "Skill-sharing: add my entry"

# Creates accounts ($__a['accounts']: name, secret) with a BotPassword each; echoes
# [name, problem] pairs (empty on success). Existing accounts only get the BotPassword.
_CREATE_PHP = r"""
$__s = \MediaWiki\MediaWikiServices::getInstance(); $__out = []; $__new = 0;
foreach ( $__a['accounts'] as $__acc ) {
    $__u = $__s->getUserFactory()->newFromName( $__acc['name'] );
    if ( !$__u ) { $__out[] = [ $__acc['name'], 'invalid name' ]; continue; }
    if ( $__u->getName() !== $__acc['name'] ) {
        $__out[] = [ $__acc['name'], 'normalised to ' . $__u->getName() ]; continue;
    }
    if ( $__u->idForName() === 0 ) {
        $__st = $__s->getAuthManager()->autoCreateUser( $__u,
            \MediaWiki\Auth\AuthManager::AUTOCREATE_SOURCE_MAINT, false );
        if ( !$__st->isGood() ) { $__out[] = [ $__acc['name'], $__st->getWikiText() ]; continue; }
        $__new++;
    }
    $__bp = \BotPassword::newUnsaved( [ 'username' => $__u->getName(),
        'appId' => $__a['appid'], 'grants' => $__a['grants'] ] );
    $__st = $__bp->save( 'insert',
        $__s->getPasswordFactory()->newFromPlaintext( $__acc['secret'] ) );
    if ( !$__st->isGood() ) { $__out[] = [ $__acc['name'], $__st->getWikiText() ]; }
}
\SiteStatsUpdate::factory( [ 'users' => $__new ] )->doUpdate();
echo LOCALWIKI_RESULT . json_encode( $__out ) . "\n";
"""


class SeedError(RuntimeError):
    """The dataset could not be applied (an account or an edit was refused)."""


@dataclass
class SeedReport:
    """What seeding did and how long each part took (seconds)."""

    method: str
    accounts: int = 0
    account_seconds: float = 0.0
    logins: int = 0
    login_seconds: float = 0.0
    edits: int = 0
    edit_seconds: float = 0.0
    seconds: float = 0.0
    pages: int = 0
    revids: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def __str__(self) -> str:
        rate = self.edits / self.edit_seconds if self.edit_seconds else 0.0
        logins = (
            f"{self.logins} logins {self.login_seconds:.1f} s, " if self.method == "api" else ""
        )
        return (
            f"seeded {self.edits} edits on {self.pages} pages by {self.method} in "
            f"{self.seconds:.1f} s ({self.accounts} accounts {self.account_seconds:.1f} s, "
            f"{logins}edits {self.edit_seconds:.1f} s = {rate:.0f}/s)"
        )


def create_accounts(wiki: LocalWiki, names: Iterable[str]) -> int:
    """Create the accounts `wiki` lacks, each with a BotPassword; return how many were new.

    The secrets are added to ``wiki.app_passwords``, so ``wiki.client(name)`` logs them in.
    """
    missing = [n for n in dict.fromkeys(names) if n not in wiki.app_passwords]
    if not missing:
        return 0
    accounts = [{"name": n, "secret": secrets.token_hex(16)} for n in missing]
    problems = wiki.php_eval(
        _CREATE_PHP, {"accounts": accounts, "appid": APP_ID, "grants": list(GRANTS)}
    )
    if problems:
        raise SeedError(f"{wiki.name}: could not create accounts: {problems[:5]}")
    for account in accounts:
        wiki.app_passwords[account["name"]] = account["secret"]
    return len(accounts)


def seed(
    wikis: Mapping[str, LocalWiki],
    dataset: Dataset,
    *,
    method: str = "api",
    workers: int = 3,
) -> SeedReport:
    """Create every account the dataset needs, then make every edit of `dataset` as its author."""
    if method not in ("api", "import"):
        raise ValueError(f"unknown seed method {method!r} (api or import)")
    began = time.monotonic()
    report = SeedReport(method)
    for name in dataset.pages:
        if name not in wikis:
            raise SeedError(f"the dataset edits {name!r}, which is not running")
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, len(dataset.pages))) as pool:
        report.accounts = sum(
            pool.map(
                lambda name: create_accounts(wikis[name], dataset.accounts(name)), dataset.pages
            )
        )
    report.account_seconds = time.monotonic() - t0
    if method == "api":
        _seed_api(wikis, dataset, report, workers)
    else:
        _seed_import(wikis, dataset, report)
    report.pages = sum(len(p) for p in dataset.pages.values())
    report.seconds = time.monotonic() - began
    return report


# --------------------------------------------------------------------------- API


def _seed_api(
    wikis: Mapping[str, LocalWiki], dataset: Dataset, report: SeedReport, workers: int
) -> None:
    t0 = time.monotonic()
    pairs = [(name, author) for name in dataset.pages for author in dataset.authors(name)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda pair: wikis[pair[0]].client(pair[1]), pairs))
    report.logins = len(pairs)
    report.login_seconds = time.monotonic() - t0

    t0 = time.monotonic()
    locks = {pair: threading.Lock() for pair in pairs}
    jobs = [
        (name, title, edits)
        for name, pages in dataset.pages.items()
        for title, edits in pages.items()
    ]
    # Longest pages first, so no thread is left with a long page at the end.
    jobs.sort(key=lambda job: -len(job[2]))

    def run_page(job: tuple[str, str, list[Edit]]) -> tuple[tuple[str, str], list[int]]:
        name, title, edits = job
        wiki = wikis[name]
        revids = []
        for edit in edits:
            with locks[(name, edit.author)]:
                revids.append(_append(wiki, title, edit))
        return (name, title), revids

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for key, revids in pool.map(run_page, jobs):
            report.revids[key] = revids
            report.edits += len(revids)
    report.edit_seconds = time.monotonic() - t0


def _append(wiki: LocalWiki, title: str, edit: Edit) -> int:
    """One append as the author; a busy SQLite database gets a second chance."""
    client = wiki.client(edit.author)
    for attempt in (1, 2, 3):
        try:
            return client.edit(title, edit.text, SUMMARY, append=True)
        except WikiAPIError as exc:
            if attempt == 3 or "DBQueryError" not in exc.code + exc.info:
                raise SeedError(
                    f"{wiki.name}: {edit.author} could not edit {title}: {exc}"
                ) from exc
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def append_as(wiki: LocalWiki, author: str, title: str, text: str) -> int:
    """One more edit by `author` (creating the account if needed); returns the revision id."""
    create_accounts(wiki, [author])
    return _append(wiki, title, Edit(author, text))


# --------------------------------------------------------------------------- import


def page_texts(edits: Sequence[Edit]) -> list[str]:
    """The page text after each edit, as MediaWiki stores it (trailing whitespace trimmed)."""
    out, text = [], ""
    for edit in edits:
        text = (text + edit.text).rstrip()
        out.append(text)
    return out


def dump_xml(pages: Mapping[str, Sequence[Edit]], start: datetime) -> str:
    """A MediaWiki XML export of `pages` with one revision per edit, one second apart."""
    parts = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">']
    tick = 0
    for title, edits in pages.items():
        parts.append(f"<page><title>{escape(title)}</title>")
        for edit, text in zip(edits, page_texts(edits), strict=True):
            tick += 1
            stamp = (start + timedelta(seconds=tick)).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.append(
                f"<revision><timestamp>{stamp}</timestamp><contributor><username>"
                f"{escape(edit.author)}</username></contributor><comment>{SUMMARY}</comment>"
                "<model>wikitext</model><format>text/x-wiki</format>"
                f'<text xml:space="preserve">{escape(text)}</text></revision>'
            )
        parts.append("</page>")
    parts.append("</mediawiki>\n")
    return "\n".join(parts)


def _seed_import(wikis: Mapping[str, LocalWiki], dataset: Dataset, report: SeedReport) -> None:
    t0 = time.monotonic()
    total = dataset.edit_count
    # Revisions end a little before now, so later real edits are newer than all of them.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=total + 60)

    def load(name: str) -> int:
        wiki = wikis[name]
        pages = dataset.pages[name]
        with tempfile.TemporaryDirectory(prefix="seed-", dir=wiki.root) as tmp:
            path = Path(tmp) / "dump.xml"
            path.write_text(dump_xml(pages, start), encoding="utf-8")
            wiki.maintenance("importDump", "--no-updates", str(path))
        return sum(len(e) for e in pages.values())

    with ThreadPoolExecutor(max_workers=max(1, len(dataset.pages))) as pool:
        report.edits = sum(pool.map(load, dataset.pages))
    report.edit_seconds = time.monotonic() - t0
