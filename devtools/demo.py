"""`make demo`: two local wikis full of realistic signups, two bot runs, then the web tool.

Why a script and not a README recipe: a newcomer should see SkillMatch work end to end with
one command and no network — real MediaWiki histories written by ~300 volunteers in English,
Spanish, French, Arabic and Japanese, the bot reading and answering them, the second run
proving it edits nothing when nothing changed, and the web tool showing the result.

    python -m devtools.demo [--root var/demo] [--no-serve] [--port 8000] [--keep-wikis]

Idempotent: a previous demo under the same root (its web server and wikis) is stopped and the
root recreated. Non-interactive: never reads stdin; Ctrl-C or SIGTERM stops the web tool and
the wikis. `--no-serve` stops after the second run (the wikis stop too unless --keep-wikis).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from devtools import dataset as ds_mod
from devtools.dataset import JA_PAGES, META_PAGES, META_SIGNUP_PREFIX
from devtools.localwiki import LocalWiki, WikiFarm, WikiSpec, free_port, port_is_free
from devtools.seed import seed

MARKER = ".skillmatch-demo"
PID_FILE = "demo.pid"
CONFIRMATIONS = "Skill-sharing/Confirmations"
META_REPORTS = {
    "confirmations": CONFIRMATIONS,
    "needs_map": "Skill-sharing/Needs map",
    "problems": "Skill-sharing/Problems",
    "matches": "Skill-sharing/Matches",
    "waiting": "Skill-sharing/Waiting",
    "badges": "Skill-sharing/Badges",
}
JA_REPORTS = {
    "needs_map": "スキル共有/ニーズマップ",
    "problems": "スキル共有/問題",
    "matches": "スキル共有/マッチング",
    "waiting": "スキル共有/待機中",
    "badges": "スキル共有/バッジ",
}
PRELOADS = {
    # The web tool's sign-up buttons pass preloadparams[]: $1 = the skill's label (empty on
    # the general button), $2 = the reader's language code; MediaWiki fills them in here.
    "smmeta": (
        "Skill-sharing/Preload/Signup",
        "{{Skill signup\n|user=\n|wants=$1\n|offers=\n|languages=$2\n|community=\n"
        "|region=\n|timezone=\n|format=online\n}}",
    ),
    "smja": (
        "スキル共有/登録テンプレート",
        "{{スキル登録\n|利用者=\n|学びたい=$1\n|教えられる=\n|言語=$2\n|コミュニティ=jawiki\n"
        "|地域=JP\n|タイムゾーン=Asia/Tokyo\n}}",
    ),
}

log = logging.getLogger("skillmatch.demo")


def say(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- previous demo


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def stop_previous(root: Path) -> None:
    """Stop a demo still running from `root` (its process, then any wiki left behind)."""
    pid_file = root / PID_FILE
    if pid_file.exists():
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().strip())
            if pid != os.getpid() and "devtools.demo" in _cmdline(pid).replace("/", "."):
                say(f"stopping the previous demo (pid {pid}) ...")
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while _cmdline(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _cmdline(pid):
                    os.kill(pid, signal.SIGKILL)
    farm_root = root / "wikis"
    if (farm_root / "farm.json").exists():
        with contextlib.suppress(Exception):
            WikiFarm.attach(farm_root).stop()


def reset_root(root: Path) -> None:
    """Recreate `root`, refusing to delete a directory the demo did not make."""
    if root.exists():
        if not (root / MARKER).exists() and any(root.iterdir()):
            raise SystemExit(f"{root} exists and is not a demo directory; choose another --root")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / MARKER).write_text("created by python -m devtools.demo; safe to delete\n")
    (root / PID_FILE).write_text(f"{os.getpid()}\n")


# --------------------------------------------------------------------------- configuration


def demo_issuer(web_url: str) -> dict[str, str]:
    """Who the demo's badges say issued them (bot and web tool alike)."""
    return {"name": "SkillMatch demo", "url": web_url, "email": "demo@skillmatch.invalid"}


def bot_config(root: Path, farm: WikiFarm, web_url: str) -> dict[str, Any]:
    """The bot's YAML configuration for the two demo wikis (see bot/config.py)."""
    return {
        "operator": "SkillMatch demo",
        "contact": "local demo (devtools/demo.py)",
        "store": f"sqlite:///{root / 'skillmatch.db'}",
        "output_dir": str(root / "out"),
        "web_base_url": web_url,
        "badge_issuer": demo_issuer(web_url),
        "wikis": {
            "smmeta": {
                "family": "smmeta",
                "code": "smmeta",
                "lang": "en",
                "signup_pages": [*META_PAGES.values(), CONFIRMATIONS],
                "signup_prefixes": [META_SIGNUP_PREFIX],
                "preload": PRELOADS["smmeta"][0],
                "pages": META_REPORTS,
            },
            "smja": {
                "family": "smja",
                "code": "smja",
                "lang": "ja",
                "signup_pages": list(JA_PAGES.values()),
                "preload": PRELOADS["smja"][0],
                "pages": JA_REPORTS,
            },
        },
    }


def page_url(wiki: LocalWiki, title: str) -> str:
    """A page's URL, readable in a terminal: only ASCII that needs it is percent-encoded."""
    path = "".join(ch if ord(ch) > 127 else quote(ch, safe="/:") for ch in title)
    return f"{wiki.index_url}?title={path.replace('%20', '_')}"


def signing_key(root: Path) -> Path:
    """The demo's own OB 3.0 signing key (EC P-256, ES256), made once, readable by its owner
    only; a key left by an older demo (Ed25519, no longer accepted) is replaced."""
    from bot import ob3

    path = root / "ob3-signing-key.pem"
    if path.exists():
        try:
            ob3.load_private_key_file(path)
        except ValueError:
            path.unlink()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(ob3.generate_key()[0])
    return path


def webtool_config(cfg: Any, farm: WikiFarm, web_url: str, root: Path) -> dict[str, Any]:
    """The web tool's configuration (webtool/config.py keys) for the same store and wikis."""
    meta, ja = farm["smmeta"], farm["smja"]
    return {
        "store_url": cfg.store,
        "base_url": web_url,
        "contact": "local demo",
        "cache_seconds": 1.0,
        "badge_issuer": demo_issuer(web_url),
        "ob3_key_file": str(signing_key(root)),
        "wikis": [
            {
                "id": "smmeta",
                "name": "smmeta (Meta-Wiki stand-in)",
                "index_url": meta.index_url,
                "article_url": f"{meta.index_url}?title=",
                "signup_page": META_PAGES["signups"],
                "preload": PRELOADS["smmeta"][0],
                "offer_page": META_PAGES["offers"],
                "matches_page": META_REPORTS["matches"],
                "signup_page_by_lang": {
                    lang: META_SIGNUP_PREFIX + lang for lang in ("es", "fr", "ar")
                },
                "languages": ["en", "es", "fr", "ar"],
            },
            {
                "id": "smja",
                "name": "smja (日本語)",
                "index_url": ja.index_url,
                "article_url": f"{ja.index_url}?title=",
                "signup_page": JA_PAGES["signups"],
                "preload": PRELOADS["smja"][0],
                "matches_page": JA_REPORTS["matches"],
                "languages": ["ja"],
            },
        ],
    }


# --------------------------------------------------------------------------- steps


def start_wikis(root: Path, keep: bool) -> WikiFarm:
    say("starting two local wikis (smmeta: English, stands in for Meta-Wiki; smja: Japanese)")
    farm = WikiFarm.start(
        [WikiSpec("smmeta", "en"), WikiSpec("smja", "ja")], root / "wikis", detached=keep
    )
    for wiki in farm:
        say(f"  {wiki.name}: {wiki.base_url}/  (admin: {wiki.admin_user} / {wiki.admin_password})")
    say(f"  started in {farm.start_seconds:.1f} s")
    return farm


def seed_wikis(farm: WikiFarm, people: int, seed_value: int, method: str) -> ds_mod.Dataset:
    data = ds_mod.demo_dataset(seed_value, people, today=date.today())
    say(f"dataset: {data.summary()}")
    report = seed(farm.wikis, data, method=method)
    for name, (title, text) in PRELOADS.items():
        farm[name].client(farm[name].admin_user).edit(title, text, "Signup preload")
    say(f"  {report}")
    install_templates(farm)
    return data


def install_templates(farm: WikiFarm) -> None:
    """The on-wiki templates, so signup and report pages render instead of showing red links.

    Meta's translated signup subpages use Spanish, French and Arabic template names, so the
    Meta stand-in gets those wrappers too (the installer adds only the wiki's own language).
    """
    try:
        from bot.config import CONFIG_DIR
        from bot.vocabulary import TemplateNames
        from devtools.wikitemplates import install, wrapper
    except ImportError as exc:
        say(f"  (on-wiki templates not installed: {exc})")
        return
    written = sum(install(wiki) for wiki in farm)
    names = TemplateNames.load(CONFIG_DIR / "templates.yaml")
    meta = farm["smmeta"]
    admin = meta.client(meta.admin_user)
    for canonical in names.templates():
        for lang in ("es", "fr", "ar"):
            for alias in names.aliases_for(canonical, lang):
                admin.edit(f"Template:{alias}", wrapper(canonical, names, lang), "SkillMatch")
                written += 1
    say(f"  installed {written} on-wiki template pages")


def bot_run(cfg: Any, n: int, what: str) -> Any:
    from bot.run import Runner

    say(f"bot run {n} ({what}) ...")
    t0 = time.monotonic()
    report = Runner(cfg).run()
    elapsed = time.monotonic() - t0
    entries = ", ".join(f"{v} {k}" for k, v in report.entries.items() if v)
    say(
        f"  run {n}: {elapsed:.1f} s, {report.pages_read} signup pages, "
        f"{report.revisions_fetched} revisions read, {report.requests} API requests; "
        f"{entries}; {report.problems} problems; {report.matches} matches; "
        f"{report.new_awards} new badges, {report.revoked_awards} revoked; "
        f"{sum(report.messages.values())} talk-page messages; {report.edits} edits"
    )
    return report


def run_bot(config_path: Path, farm: WikiFarm, pairs: int) -> tuple[Any, list[Any]]:
    """The bot's life in four runs, with the volunteers answering in between.

    1. reads the signups, writes the reports and proposes matches;
    2. after `pairs` matched pairs confirmed their mentorship completed (and one forged
       confirmation): matches completed, badges awarded and announced;
    3. after one learner withdrew their confirmation: that learner's badge is revoked;
    4. nothing changed on the wikis: it must edit nothing.
    """
    from bot import config as cfgmod  # after PYWIKIBOT_DIR is set

    cfg = cfgmod.load(config_path)
    reports = [bot_run(cfg, 1, "signups, reports and matches")]
    done = confirm_completions(cfg, farm, pairs)
    reports.append(bot_run(cfg, 2, f"{len(done)} mentorships confirmed completed"))
    if done:
        withdraw(farm, done[0])
        reports.append(bot_run(cfg, 3, f"{done[0]['a']} withdrew a completion"))
    last = bot_run(cfg, len(reports) + 1, "nothing changed")
    reports.append(last)
    say(
        f"the last run made {last.edits} edits and read {last.revisions_fetched} revisions"
        + (" — nothing changed, nothing written" if last.edits == 0 else " (expected 0!)")
    )
    return cfg, reports


def _confirm(match_id: str, user: str, outcome: str) -> str:
    return f"\n* {{{{Skill match confirm|id={match_id}|user={user}|outcome={outcome}}}}}"


def confirm_completions(cfg: Any, farm: WikiFarm, pairs: int) -> list[dict[str, Any]]:
    """Both people of `pairs` proposed mentorships confirm it went ahead and was completed,
    each with their own account, as the bot's talk-page message asked; and one volunteer
    tries to confirm a match in someone else's name, which the bot must reject."""
    from bot.store import Store

    meta = farm["smmeta"]
    local = set(meta.app_passwords)
    rows = [
        r
        for r in Store(cfg.store).load_matches()
        if r["kind"] == "mentor"
        and r["state"] == "proposed"
        and r["a"] in local
        and r["b"] in local
    ][:pairs]
    for r in rows:
        for user in (r["a"], r["b"]):  # the learner, then the mentor
            client = meta.client(user)
            client.edit(
                CONFIRMATIONS, _confirm(r["id"], user, "accepted"), "We agreed", append=True
            )
            client.edit(
                CONFIRMATIONS, _confirm(r["id"], user, "completed"), "Mentorship done", append=True
            )
    others = sorted(local - {u for r in rows for u in (r["a"], r["b"])} - {meta.admin_user})
    if rows and others:
        forger, victim = others[0], rows[-1]
        meta.client(forger).edit(
            CONFIRMATIONS,
            _confirm(victim["id"], victim["a"], "declined"),
            "Declining for them",
            append=True,
        )
        say(f"  {forger} wrote a 'declined' in {victim['a']}'s name (the bot must ignore it)")
    say(f"  {len(rows)} matched pairs confirmed their mentorships completed on {CONFIRMATIONS}")
    return rows


def withdraw(farm: WikiFarm, row: dict[str, Any]) -> None:
    """The learner of a completed mentorship takes the completion back."""
    meta = farm["smmeta"]
    meta.client(row["a"]).edit(
        CONFIRMATIONS,
        _confirm(row["id"], row["a"], "withdrawn"),
        "We did not finish after all",
        append=True,
    )
    say(f"  {row['a']} withdrew the completion of match {row['id']}")


def where_to_look(
    farm: WikiFarm,
    cfg: Any,
    reports: Sequence[Any],
    web_url: str | None,
    signup_titles: dict[str, list[str]],
) -> None:
    say("\nwhere to look:")
    for source in cfg.wikis:
        wiki = farm[source.key]
        say(f"  {source.key} ({source.lang}) — reports written by the bot:")
        for kind, title in source.pages.items():
            if kind != "confirmations":  # written by the volunteers, listed below
                say(f"    {kind:<10} {page_url(wiki, title)}")
        say("    signup pages (written by the volunteers):")
        titles = [*signup_titles.get(source.key, source.signup_pages)]
        titles += [t for t in source.signup_pages if t not in titles]
        for title in titles:
            say(f"               {page_url(wiki, title)}")
    talk = sorted(
        {o.title for r in reports for o in r.outcomes if o.status == "saved" and ":" in o.title}
    )
    if talk:
        say(f"  {len(talk)} user talk pages got a message (matches, badges), e.g. {talk[0]}")
    out = cfg.output_dir
    say(f"  files: {out / 'needs-map.json'}  {out / 'needs-map.csv'}")
    say(f"  store: {cfg.store}")
    if web_url:
        say(f"  web tool: {web_url}/  (API: {web_url}/api/v1/needs, {web_url}/api/v1/matches)")
        from bot.store import Store

        awards = Store(cfg.store).load_awards()
        kept = [a for a in awards if not a["revoked"]]
        gone = [a for a in awards if a["revoked"]]
        if kept:
            say(f"  {len(kept)} badges, e.g. {web_url}/badges/awards/{kept[0]['id']}")
            say(f"    Open Badges 2.0 assertion: {web_url}/badges/assertions/{kept[0]['id']}")
        if gone:
            say(f"  {len(gone)} revoked, e.g. {web_url}/badges/assertions/{gone[0]['id']} (410)")


def make_app(cfg: Any, farm: WikiFarm, web_url: str, root: Path) -> Any | None:
    """The web tool's WSGI app, or None (with the reason printed) when it cannot be built yet."""
    try:
        from webtool.app import create_app
    except Exception as exc:  # the web tool is written by another part of the project
        say(
            f"\nthe web tool is not available yet ({type(exc).__name__}: {exc});"
            " the wikis stay up until Ctrl-C"
        )
        return None
    try:
        return create_app(webtool_config(cfg, farm, web_url, root))
    except Exception as exc:
        say(
            f"\nthe web tool could not start ({type(exc).__name__}: {exc});"
            " the wikis stay up until Ctrl-C"
        )
        return None


def wait_for_stop() -> None:
    """Block until SIGINT/SIGTERM (no stdin needed: works under make, nohup and CI)."""
    stop = threading.Event()

    def handler(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(0.5):
        pass


def serve(app: Any | None, port: int) -> None:
    if app is None:
        wait_for_stop()
        return
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    say(f"\nserving the web tool on http://127.0.0.1:{port}/ — Ctrl-C to stop everything")
    try:
        wait_for_stop()
    finally:
        server.shutdown()
        thread.join(5)


def pick_port(port: int) -> int:
    deadline = time.monotonic() + 5
    while not port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.2)  # a previous demo may still be letting go of it
    if port_is_free(port):
        return port
    other = free_port()
    say(f"port {port} is busy; the web tool will use {other}")
    return other


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m devtools.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--root", type=Path, default=Path("var/demo"))
    ap.add_argument("--port", type=int, default=8000, help="web tool port (default 8000)")
    ap.add_argument(
        "--no-serve",
        action="store_true",
        help="stop after the second bot run instead of serving the web tool",
    )
    ap.add_argument(
        "--keep-wikis",
        action="store_true",
        help="leave the wikis running after exit (python -m devtools.localwiki "
        "stop --root ROOT/wikis stops them)",
    )
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument(
        "--pairs", type=int, default=8, help="matched pairs that confirm a completed mentorship"
    )
    ap.add_argument("--seed", type=int, default=ds_mod.DEFAULT_SEED)
    ap.add_argument(
        "--seed-method",
        choices=("api", "import"),
        default="api",
        help="api: real edits, one per entry by its author (default; fills Recent changes); "
        "import: the same revisions through importDump.php, ~10x faster",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="show the bot's log")
    args = ap.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("skillmatch").setLevel(logging.ERROR)  # problems are on the wiki
    for var in [v for v in os.environ if v.startswith("SKILLMATCH_")]:
        del os.environ[var]  # the demo's own configuration only
    os.environ["NO_PROXY"] = ",".join(
        x for x in (os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost") if x
    )
    if "pywikibot" in sys.modules:
        raise SystemExit("pywikibot was imported before the demo could configure it")

    began = time.monotonic()
    root = args.root.resolve()
    stop_previous(root)
    reset_root(root)
    port = pick_port(args.port) if not args.no_serve else args.port
    web_url = f"http://127.0.0.1:{port}"
    farm = start_wikis(root, args.keep_wikis)
    try:
        pwb = farm.write_pywikibot_config(
            root / "pywikibot", user_agent_description="SkillMatch demo (loopback)"
        )
        os.environ["PYWIKIBOT_DIR"] = str(pwb)
        data = seed_wikis(farm, args.people, args.seed, args.seed_method)
        config_path = root / "skillmatch.yaml"
        config_path.write_text(
            "# Written by python -m devtools.demo for the local demo wikis.\n"
            + yaml.safe_dump(bot_config(root, farm, web_url), allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        say(f"bot configuration: {config_path}")
        cfg, reports = run_bot(config_path, farm, args.pairs)
        titles = {name: data.titles(name) for name in data.pages}
        where_to_look(farm, cfg, reports, None if args.no_serve else web_url, titles)
        say(f"\ndemo ready in {time.monotonic() - began:.0f} s")
        if args.no_serve:
            if args.keep_wikis:
                say(
                    f"wikis left running; stop them with: python -m devtools.localwiki stop "
                    f"--root {root / 'wikis'}"
                )
            return 0
        serve(make_app(cfg, farm, web_url, root), port)
        return 0
    finally:
        if not (args.keep_wikis and args.no_serve):
            farm.stop()
            say("wikis stopped")


if __name__ == "__main__":
    sys.exit(main())
