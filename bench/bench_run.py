"""End-to-end gather benchmark: one bot run over many signup pages with long histories.

Why: a bot run must stay cheap for the wikis as signup pages grow. This seeds a throwaway local
wiki with `--pages` signup pages holding `--entries` entries, each written by its own owner
(so every page has a long history), then measures three runs:

1. cold: everything is new — every revision is read once, contents batched across pages;
2. no change: must read no revision at all (and edit nothing);
3. after one new edit on one page: must read exactly that revision.

For each run it prints the wall time, the API requests the bot counted (``Wiki.requests``) and,
independently, the requests PHP's web server logged (which also sees Pywikibot's own requests:
login, tokens, siteinfo, page listing, saves), revisions fetched and how full the batched
reads were. Numbers are printed, not asserted.

    python -m bench.bench_run [--pages 200 --entries 5000 --people 400] [--quick]
                              [--seed-method import|api] [--notify] [--keep]

Runs are in-process, one after another, like back-to-back cron runs except that Pywikibot's
login and site information are reused from run 1.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devtools.dataset import META_SIGNUP_PREFIX, bulk_dataset
from devtools.localwiki import LocalWiki, WikiFarm, WikiSpec
from devtools.seed import append_as, seed

if TYPE_CHECKING:
    from bot.config import Config

_LOGGED = re.compile(r"\]: (?:GET|POST|HEAD) ")
REPORTS = {
    "needs_map": "Skill-sharing/Needs map",
    "problems": "Skill-sharing/Problems",
    "matches": "Skill-sharing/Matches",
    "waiting": "Skill-sharing/Waiting",
}


def access_log_requests(wiki: LocalWiki) -> int:
    """Requests PHP's built-in server has logged so far (one "[status]: METHOD" line each)."""
    path = wiki.root / "server.log"
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if _LOGGED.search(line))


def classify(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Break the bot's own API calls down by purpose, with how full each batch was."""
    kinds: Counter[str] = Counter()
    titles = revids = widest = 0
    for p in calls:
        if p.get("list") == "usercontribs":
            kinds["usercontribs"] += 1
        elif p.get("prop") == "revisions" and "revids" in p:
            kinds["contents-by-id"] += 1
            revids += len(str(p["revids"]).split("|"))
        elif p.get("prop") == "revisions" and "content" in str(p.get("rvprop", "")):
            names = str(p["titles"]).split("|")
            if set(names) <= set(REPORTS.values()):
                kinds["latest-of-report-pages"] += 1  # read before saving the bot's pages
                continue
            kinds["latest-of-signup-pages"] += 1
            titles += len(names)
            widest = max(widest, len(names))
        elif p.get("prop") == "revisions":
            kinds["history-listing"] += 1
        else:
            kinds["other"] += 1
    return {
        "kinds": kinds,
        "titles_per_read": titles / kinds["latest-of-signup-pages"]
        if kinds["latest-of-signup-pages"]
        else 0.0,
        "revids_per_read": revids / kinds["contents-by-id"] if kinds["contents-by-id"] else 0.0,
        "widest": widest,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.bench_run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--people", type=int, default=400)
    ap.add_argument("--quick", action="store_true", help="small smoke run (10 pages, 200 entries)")
    ap.add_argument(
        "--seed-method",
        choices=("import", "api"),
        default="import",
        help="import: importDump.php (fast); api: one action=edit per entry by its owner",
    )
    ap.add_argument(
        "--notify", action="store_true", help="also post match/badge messages on talk pages"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--profile", action="store_true", help="print where run 1 spends its time")
    args = ap.parse_args(argv)
    if args.quick:
        args.pages, args.entries, args.people = 10, 200, 50
    if "pywikibot" in sys.modules:
        raise SystemExit("pywikibot must not be imported before PYWIKIBOT_DIR is set")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("skillmatch").setLevel(logging.ERROR)  # planted problems are expected

    with bench_wiki("skillmatch-bench-run-", "SkillMatch bench_run", keep=args.keep) as (
        tmp,
        farm,
    ):
        data = bulk_dataset(args.pages, args.entries, args.people)
        print(f"bench_run: {data.summary()}")
        seeded = seed(farm.wikis, data, method=args.seed_method)
        print(f"  wiki started in {farm.start_seconds:.1f} s; {seeded}")
        return _runs(args, tmp, farm["smmeta"], data)


@contextmanager
def bench_wiki(prefix: str, agent: str, keep: bool = False) -> Iterator[tuple[Path, WikiFarm]]:
    """A throwaway local wiki `smmeta` in a temporary directory, with Pywikibot pointed at it
    (PYWIKIBOT_DIR set, the loopback unproxied, no SkillMatch config or store leaking in from
    the environment); stopped and removed afterwards unless `keep`. Shared by the benches so
    that they measure runs against the same setup."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["NO_PROXY"] = ",".join(
        x for x in (os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost") if x
    )
    for var in ("SKILLMATCH_CONFIG", "SKILLMATCH_STORE"):
        os.environ.pop(var, None)
    farm = WikiFarm.start([WikiSpec("smmeta", "en")], tmp / "wikis")
    try:
        os.environ["PYWIKIBOT_DIR"] = str(
            farm.write_pywikibot_config(tmp / "pywikibot", f"{agent} (loopback)")
        )
        yield tmp, farm
    finally:
        farm.stop()
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench_config(tmp: Path, notify: bool) -> Config:
    """The bot's configuration for the bench wiki: one wiki, the bulk dataset's signup prefix,
    its store and output under `tmp`. Imports bot.config only once PYWIKIBOT_DIR is set."""
    from bot.config import Config, WikiSource

    return Config(
        wikis=(
            WikiSource(
                key="smmeta",
                family="smmeta",
                code="smmeta",
                lang="en",
                signup_prefixes=(META_SIGNUP_PREFIX,),
                pages=REPORTS,
                notify=notify,
            ),
        ),
        store=f"sqlite:///{tmp / 'store.db'}",
        output_dir=tmp / "out",
    )


def _runs(args: argparse.Namespace, tmp: Path, wiki: LocalWiki, data: Any) -> int:
    from bot.config import WikiSource  # after PYWIKIBOT_DIR is set
    from bot.run import Runner
    from bot.wiki import Wiki

    class CountingWiki(Wiki):
        """A Wiki that keeps the parameters of every API call it makes."""

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.calls: list[dict[str, Any]] = []

        def _request(self, **params: Any) -> dict[str, Any]:
            self.calls.append(dict(params))
            return super()._request(**params)

    cfg = bench_config(tmp, args.notify)

    def one_run(label: str, profile: bool = False) -> Any:
        made: list[CountingWiki] = []

        def factory(source: WikiSource) -> Wiki:
            w = CountingWiki.connect(source.key, source.family, source.code, out=io.StringIO())
            assert isinstance(w, CountingWiki)
            made.append(w)
            return w

        before = access_log_requests(wiki)
        t0 = time.perf_counter()
        prof = cProfile.Profile() if profile else None
        if prof is not None:
            prof.enable()
        report = Runner(cfg, wiki_factory=factory, out=io.StringIO()).run()
        wall = time.perf_counter() - t0
        if prof is not None:
            prof.disable()
            text = io.StringIO()
            pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
            print(text.getvalue())
        time.sleep(0.3)  # let the server's log catch up
        logged = access_log_requests(wiki) - before
        calls = [c for w in made for c in w.calls]
        info = classify(calls)
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(info["kinds"].items()))
        entries = ", ".join(f"{n} {k}" for k, n in report.entries.items() if n)
        print(f"\n{label}")
        print(f"  wall time          {wall:8.2f} s")
        print(
            f"  API requests       {report.requests:8d} counted by the bot (Wiki.requests); "
            f"{logged} in the server's access log"
        )
        fetched, pages = report.revisions_fetched, report.pages_read
        print(f"  revisions fetched  {fetched:8d}   (signup pages read: {pages})")
        print(
            f"  read batching      {info['titles_per_read']:8.1f} signup titles per latest-text "
            f"request (widest {info['widest']}), "
            f"{info['revids_per_read']:.1f} revisions per contents-by-id request"
        )
        print(f"  bot requests by kind: {kinds}")
        print(
            f"  entries: {entries}; problems {report.problems}; matches {report.matches}; "
            f"edits {report.edits}; messages {dict(report.messages) or 0}"
        )
        return report

    one_run("run 1 — cold (every revision is new)", profile=args.profile)
    one_run("run 2 — nothing changed (expect 0 revisions fetched, 0 edits)")
    title = data.titles("smmeta")[0]
    on_page = {e.subject for e in data.pages["smmeta"][title]}
    author = next(p.name for p in data.people if p.name not in on_page)
    append_as(wiki, author, title, f"\n{{{{Skill signup|user={author}|wants=Lua|languages=en}}}}")
    print(f"\n(one new signup by {author} on {title})")
    one_run("run 3 — one new revision on one page (expect 1 revision fetched)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
