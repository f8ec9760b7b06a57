"""Build a Runner against the harness wikis, one private set of pages per test."""

from __future__ import annotations

import io
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import CONFIG_DIR, Config, WikiSource
from bot.run import Runner, RunReport


@dataclass
class WikiRun:
    """A configuration whose pages live under a fresh prefix, so tests never share pages."""

    tmp: Path
    prefix: str = field(default_factory=lambda: f"T{uuid.uuid4().hex[:8]}")
    with_ja: bool = False

    def title(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def config(self) -> Config:
        wikis = [
            WikiSource(
                key="smmeta",
                family="smmeta",
                code="smmeta",
                lang="en",
                signup_pages=(self.title("Signups"), self.title("Offers")),
                signup_prefixes=(self.title("More/"),),
                pages={
                    "needs_map": self.title("Needs map"),
                    "problems": self.title("Problems"),
                    "matches": self.title("Matches"),
                    "waiting": self.title("Waiting"),
                    "badges": self.title("Badges"),
                    "confirmations": self.title("Signups"),
                },
            )
        ]
        if self.with_ja:
            wikis.append(
                WikiSource(
                    key="smja",
                    family="smja",
                    code="smja",
                    lang="ja",
                    signup_pages=(self.title("登録"),),
                    pages={"needs_map": self.title("ニーズマップ"), "problems": self.title("問題")},
                )
            )
        return Config(
            wikis=tuple(wikis),
            store=f"sqlite:///{self.tmp / 'store.db'}",
            output_dir=self.tmp / "out",
            taxonomy=CONFIG_DIR / "taxonomy.yaml",
            vocabulary=CONFIG_DIR / "vocabulary.yaml",
            templates=CONFIG_DIR / "templates.yaml",
        )

    def run(self, *, dry_run: bool = False) -> tuple[RunReport, str, Runner]:
        out = io.StringIO()
        runner = Runner(self.config(), dry_run=dry_run, out=out)
        report = runner.run()
        return report, out.getvalue(), runner


def write_config(w: WikiRun, path: Path, *, extra_pages: dict[str, str] | None = None) -> Path:
    """The same configuration as YAML, for the bot run as a separate process."""
    import yaml

    cfg = w.config()
    data = {
        "store": cfg.store,
        "output_dir": str(cfg.output_dir),
        "inactive_days": 3650,
        "wikis": {
            s.key: {
                "family": s.family,
                "code": s.code,
                "lang": s.lang,
                "signup_pages": list(s.signup_pages),
                "signup_prefixes": list(s.signup_prefixes),
                "pages": {**s.pages, **(extra_pages or {})},
            }
            for s in cfg.wikis
        },
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def posted_count(store_path: Path) -> int:
    """Messages the bot has marked posted so far (0 before the store exists)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=5) as conn:
            return int(
                conn.execute("SELECT count(*) FROM outbox WHERE state='posted'").fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def kill_loop(
    cmd: list[str], env: dict[str, str], store_path: Path, *, times: int, seed: int
) -> int:
    """Start the bot, SIGKILL it at a random moment once it is posting, `times` times.

    Each run is killed between 0 and 1.5 s after its first post, so every kill lands in
    the delivery phase. Pywikibot's throttle file is cleared before each start: killed
    processes stay listed in it and would multiply the write delay.
    """
    import random
    import signal
    import subprocess
    import time

    rng = random.Random(seed)
    ctrl = Path(env["PYWIKIBOT_DIR"]) / "throttle.ctrl"
    kills = 0
    for _ in range(times):
        ctrl.unlink(missing_ok=True)
        before = posted_count(store_path)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while (
            proc.poll() is None
            and posted_count(store_path) == before
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    ctrl.unlink(missing_ok=True)
    return kills


def slow_writes_env(tmp: Path) -> dict[str, str]:
    """A copy of the test Pywikibot config with Pywikibot's own put throttle at 1 s.

    One save a second stretches the delivery phase (~20 s for a few dozen messages), so
    random kills land inside it rather than before or after it.
    """
    import os
    import shutil

    src = Path(os.environ["PYWIKIBOT_DIR"])
    dst = tmp / "pywikibot-slow"
    shutil.copytree(
        src, dst, ignore=shutil.ignore_patterns("*.lwp", "logs", "apicache*", "throttle.ctrl")
    )
    with (dst / "user-config.py").open("a", encoding="utf-8") as fh:
        fh.write("\nput_throttle = 1\nmaxthrottle = 10\n")
    return {**os.environ, "PYWIKIBOT_DIR": str(dst)}


def crashed(proc: subprocess.CompletedProcess[str]) -> bool:
    """Died of an uncaught exception: a failed run's last word is not the bot's own line.
    (Pywikibot logs the tracebacks of faults it caught and retried; those are no crash.)"""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if "Exiting due to uncaught exception" in proc.stderr:
        return True
    return proc.returncode != 0 and not (lines and lines[-1].startswith("python -m bot"))


ROOT = Path(__file__).resolve().parent.parent


def bot_process(
    config: Path, env: dict[str, str], *, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m bot run --config <config>` as cron starts it: a new process from the
    repository root with only `env`, its output captured, killed after `timeout` seconds."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
