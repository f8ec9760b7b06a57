"""Command line: `python -m bot run|parse|match` (see shared spec, "Command line").

A thin shell in the manner of Pywikibot's scripts/basic.py: global Pywikibot
options (-simulate, -maxlag:N, -user:…) go to `pywikibot.handle_args`, ours
to argparse. `parse` and `match` never import Pywikibot, so they run
anywhere without a user-config.py.

Exit status of `run`: 0 done; 1 failed (the store cannot be written, or an unexpected
error: one line on stderr, the details in the `runs` row and with -v); 2 usage or
configuration error (nothing touched); 3 another run holds the store; 4 the run would end
or revoke too much and needs --confirm-large-change (nothing of that phase written); 5 a
wiki stopped answering, the run stopped part-way and the next one resumes (partial). A run
never ends in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import ConfigError

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
EXIT_FAILED, EXIT_LARGE_CHANGE, EXIT_PARTIAL = 1, 4, 5
log = logging.getLogger("skillmatch")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m bot", description="SkillMatch bot")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="one full run against the configured wikis")
    run.add_argument(
        "--config", type=Path, help="configuration YAML (default config/skillmatch.yaml)"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="edit nothing; print a diff of every edit"
    )
    run.add_argument(
        "--confirm-large-change",
        action="store_true",
        help="let this run end or revoke more matches or badges than max_change_share allows",
    )
    run.add_argument("-v", "--verbose", action="store_true")
    parse = sub.add_parser("parse", help="parse wikitext files offline and print JSON")
    parse.add_argument("files", nargs="+", type=Path)
    parse.add_argument("--config", type=Path)
    parse.add_argument(
        "--lang", default="en", help="language of localized template names (any is accepted)"
    )
    match = sub.add_parser("match", help="match offline on a JSON instance")
    match.add_argument("--input", required=True, type=Path)
    match.add_argument("--output", required=True, type=Path)
    return p


def cmd_parse(args: argparse.Namespace) -> int:
    from bot import config as cfgmod
    from bot.gather import Core, parse_text
    from bot.i18n import Messages
    from bot.store import record_to_dict

    cfg = cfgmod.load(args.config) if args.config else None
    if cfg is not None:
        core = Core.load(cfg.taxonomy, cfg.vocabulary, cfg.templates)
    else:
        d = cfgmod.CONFIG_DIR
        core = Core.load(d / "taxonomy.yaml", d / "vocabulary.yaml", d / "templates.yaml")
    msgs = Messages("en")
    out: dict[str, list[Any]] = {
        k: []
        for k in ("signups", "offers", "needs", "resources", "events", "attendees", "confirmations")
    }
    errors: list[dict[str, Any]] = []
    today = datetime.now(UTC).date()
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"python -m bot parse: cannot read {path}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        result = parse_text(text, core, args.lang, "file", str(path), today)
        for key in out:
            out[key].extend(record_to_dict(r) for r in getattr(result, key))
        for p in result.problems:
            errors.append(
                {
                    "file": str(path),
                    "line": p.origin.line,
                    "template": p.template,
                    "code": p.code,
                    "reason": _plain(msgs(f"skillmatch-problem-{p.code}", *p.params)),
                }
            )
    out["errors"] = errors
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return EXIT_REJECTED if errors else EXIT_OK


def _plain(message: str) -> str:
    """Messages are wikitext; the JSON reader wants plain text."""
    for a, b in (("<code>", "`"), ("</code>", "`"), ("<nowiki>", ""), ("</nowiki>", "")):
        message = message.replace(a, b)
    return message


def cmd_match(args: argparse.Namespace) -> int:
    from bot.matching import match_json

    try:
        data = json.loads(args.input.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"python -m bot match: cannot read {args.input}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = match_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        print(f"python -m bot match: invalid instance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.output.write_text(
        json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace, pywikibot_args: Sequence[str]) -> int:
    from bot import config as cfgmod

    cfg = cfgmod.load(args.config)  # before anything else: a bad file touches nothing
    if args.confirm_large_change:
        cfg = dataclasses.replace(cfg, confirm_large_change=True)
    import pywikibot

    from bot.run import LargeChangeError, RunLockedError, Runner, RunStoppedError, _ending
    from bot.wiki import wiki_fault

    runner: Runner | None = None
    for name in ("max_retries", "retry_wait", "retry_max"):  # else user-config.py's
        if getattr(cfg, name) is not None:
            setattr(pywikibot.config, name, getattr(cfg, name))
    try:
        try:
            pywikibot.handle_args(list(pywikibot_args))
        except Exception as exc:
            # handle_args ends by opening the default site, which asks a wiki who is logged
            # in (every option is read by then). A wiki that does not answer now is met
            # again where the run connects to it, and handled there: a partial run with
            # its row (exit 5), not a failure before the run began.
            if (fault := wiki_fault(exc)) is None:
                raise
            log.warning("the default site did not answer (%s); the run goes on", fault)
        if not pywikibot.config.user_agent_description:
            # Wikimedia's User-Agent policy: say who runs the bot and how to reach them.
            contact = f"; {cfg.contact}" if cfg.contact else ""
            pywikibot.config.user_agent_description = f"{cfg.operator}{contact}"
        # -simulate, -simulate:N or `simulate = True` in user-config.py: all mean a dry run,
        # of the store too, or the messages it could not post would count as failed.
        runner = Runner(cfg, dry_run=args.dry_run or bool(pywikibot.config.simulate))
        report = runner.run()
    except RunLockedError as exc:
        print(f"python -m bot run: {exc}; nothing done", file=sys.stderr)
        return EXIT_LOCKED
    except LargeChangeError as exc:
        why = runner.report.stopped if runner and runner.report.stopped else str(exc)
        print(f"python -m bot run: stopped: {why}", file=sys.stderr)
        return EXIT_LARGE_CHANGE
    except RunStoppedError as exc:
        assert runner is not None  # only a run stops part-way
        print(json.dumps(runner.report.as_dict(), ensure_ascii=False, indent=1))
        print(
            f"python -m bot run: stopped part-way: {exc}; what was done is kept, "
            "the next run resumes",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    except Exception as exc:  # a fault outside a run (login, the store at start) or a bug
        log.debug("the run failed", exc_info=True)
        why = runner.report.stopped if runner and runner.report.stopped else _ending(exc)[1]
        print(f"python -m bot run: failed: {why}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    return EXIT_OK


def main(*argv: str) -> int:
    raw = list(argv) if argv else sys.argv[1:]
    # Pywikibot's global options start with a single dash and a word: -simulate, -maxlag:5.
    ours = [a for a in raw if not (a.startswith("-") and not a.startswith("--") and len(a) > 2)]
    theirs = [a for a in raw if a not in ours]
    args = _parser().parse_args(ours)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "parse":
            return cmd_parse(args)
        if args.command == "match":
            return cmd_match(args)
        return cmd_run(args, theirs)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"python -m bot: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("python -m bot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug outside a run: still one line, details with -v
        log.debug("python -m bot failed", exc_info=True)
        why = f"{type(exc).__name__}: {exc}".splitlines()[0]
        print(f"python -m bot: failed: {why}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
