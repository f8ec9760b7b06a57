"""Parse time of hostile pages: one edit must not make every run slow.

Why: anyone can save a page of up to 2 MB that the bot reads on its next run. Before the
preprocessor port, a 160 KB value (`[[x|` 40,000 times inside a signup) took ~150 s to parse
(quadratic) and `<b>` 20,000 times in a description 16 s. Target: growth linear in the page
size, a 2 MB page under 5 s.

    python -m bench.bench_pathological [--sizes 100,500,2000] [--run]

Prints, per shape and size (KB), the full parse time (`bot.gather.parse_text`: extraction and
validation) and the time per MB; the last column is the time of the largest page divided by
the smallest, over their size ratio (1.0 = linear). With `--run`, also seeds a small local
wiki, saves a hostile edit (`--edit-kb`, default 160 KB, the issue's case), and times a bot
run that reads it and a following run with nothing changed (bench/bench_run.py's set-up).

Measured (2 CPUs, load ~3.9): every shape linear, slowest 2 MB page 3.3 s (entries with
links); with --run: the run reading the 160 KB edit 0.98 s, the next no-change run 0.53 s.
After the fast paths for plain templates, links and link-only values (load ~2.1, reference
loop ~0.14 s): every shape linear, slowest 2 MB page 2.3–3.1 s (language conversion, a shape
the fast paths do not touch), entries with links 1.07 s, nested entries 2.13 s.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from datetime import date

from bench import machine
from bot.config import CONFIG_DIR
from bot.gather import Core, parse_text

KB = 1000
ENTRY = "{{Skill signup|user=Good|wants=Lua|languages=en}}\n"
HEAD = "{{Skill signup|user=A|wants=Lua|languages=en|community="
OFFER = "{{Skill offer|user=A|skills=Lua|languages=en|description="


def _fill(prefix: str, unit: str, suffix: str) -> Callable[[int], str]:
    def make(size: int) -> str:
        return prefix + unit * max(1, (size - len(prefix) - len(suffix)) // len(unit)) + suffix

    return make


def _nested(size: int) -> str:
    n = size // (len(HEAD) + 2)
    return HEAD * n + "}}" * n


def _braces(size: int) -> str:
    return "{{" * (size // 4) + "}}" * (size // 4)


SHAPES: dict[str, Callable[[int], str]] = {
    "link runs in a value": _fill(HEAD, "[[x|", "}}"),
    "tag runs in a description": _fill(OFFER, "<b>", "}}"),
    "closed links in a value": _fill(HEAD, "[[x]]", "}}"),
    "long plain value": _fill(HEAD, "word ", "}}"),
    "brace runs": _braces,
    "nested entries": _nested,
    "many entries": _fill("", ENTRY, ""),
    "entries with links": _fill("", "{{Skill signup|user=[[User:A|A]]|wants=[[Lua]]}}\n", ""),
    "many parameters": _fill("{{Skill signup|user=A|", "a=b|", "}}"),
    "comment openings": _fill("", "<!--", ""),
    "unclosed tags": _fill("", "<ref>", ""),
    "headings": _fill("", "\n== h ==", ""),
    "language conversion": _fill("", "-{a|", ""),
}


def load_core() -> Core:
    return Core.load(
        CONFIG_DIR / "taxonomy.yaml", CONFIG_DIR / "vocabulary.yaml", CONFIG_DIR / "templates.yaml"
    )


def parse_seconds(core: Core, text: str) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        parse_text(text, core, "en", "bench", "Bench page", date(2026, 3, 1))
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_pathological", description=__doc__)
    ap.add_argument("--sizes", default="100,500,2000", help="page sizes in KB")
    ap.add_argument("--run", action="store_true", help="also time bot runs on a local wiki")
    ap.add_argument(
        "--edit-kb",
        type=int,
        default=160,
        help="size of the hostile edit for --run (the local MediaWiki itself takes over a "
        "minute to save 1.9 MB of link openings, past the client's timeout)",
    )
    args = ap.parse_args(argv)
    sizes = [int(s) * KB for s in args.sizes.split(",")]
    print(machine.describe())
    core = load_core()
    parse_text(ENTRY, core, "en", "bench", "warm", date(2026, 3, 1))
    header = "".join(f"{s // KB:>8} KB" for s in sizes)
    print(f"\n{'shape':28}{header}   s/MB at largest   growth (1.0 = linear)")
    worst = 0.0
    for name, make in SHAPES.items():
        times = [parse_seconds(core, make(size)) for size in sizes]
        worst = max(worst, times[-1])
        growth = (times[-1] / max(times[0], 1e-6)) / (sizes[-1] / sizes[0])
        cells = "".join(f"{t:9.2f} s" for t in times)
        print(f"{name:28}{cells}   {times[-1] / (sizes[-1] / 1e6):8.2f}          {growth:5.2f}")
    print(f"\nslowest page at {sizes[-1] // KB} KB: {worst:.2f} s (target < 5 s)")
    if args.run:
        return _bot_runs(args.edit_kb * KB)
    return 0


def _bot_runs(edit_size: int) -> int:
    """A cold run, a run after a hostile edit, and a run with nothing changed."""
    if "pywikibot" in sys.modules:
        raise SystemExit("pywikibot must not be imported before PYWIKIBOT_DIR is set")
    from bench.bench_run import bench_config, bench_wiki
    from devtools.dataset import bulk_dataset
    from devtools.seed import append_as, seed

    with bench_wiki("skillmatch-bench-patho-", "SkillMatch bench") as (tmp, farm):
        wiki = farm["smmeta"]
        data = bulk_dataset(10, 200, 50)
        seed(farm.wikis, data, method="import")
        from bot.run import Runner

        cfg = bench_config(tmp, notify=False)

        def run(label: str) -> None:
            t0 = time.perf_counter()
            report = Runner(cfg, out=io.StringIO()).run()
            print(
                f"  {label:48} {time.perf_counter() - t0:7.2f} s  "
                f"revisions fetched {report.revisions_fetched}, edits {report.edits}"
            )

        print(f"\nbot runs ({data.summary()})")
        run("run 1: cold")
        run("run 2: nothing changed")
        title = data.titles("smmeta")[0]
        author = data.people[0].name
        hostile = "\n" + SHAPES["link runs in a value"](edit_size)
        append_as(wiki, author, title, hostile)
        print(f"  (a {len(hostile) // KB} KB hostile edit by {author} on {title})")
        run("run 3: reads the hostile revision")
        run("run 4: nothing changed since")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
