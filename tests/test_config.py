"""Configuration mistakes stop the bot before it touches anything (issue 11, point 9).

Each bad file is given to `python -m bot run --config BAD.yaml` in a separate process whose
Pywikibot points at a listening socket on 127.0.0.1 that counts connections: the run must
exit 2 with a message naming the file and the key, create no store and no output directory,
and never connect to the "wiki". Then the large-change guard, on the real local wiki.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import config as cfgmod
from bot import guard
from devtools.seed import append_as
from tests.wikirun import WikiRun, bot_process, crashed, write_config

ROOT = Path(__file__).resolve().parent.parent


def good(tmp: Path) -> dict[str, Any]:
    """A valid configuration, which each case below breaks in one place."""
    return {
        "store": f"sqlite:///{tmp / 'store.db'}",
        "output_dir": str(tmp / "out"),
        "inactive_days": 90,
        "lock_hours": 3,
        "badge_issuer": {"name": "SkillMatch", "url": "https://x.org", "email": "a@x.org"},
        "wikis": {
            "meta": {
                "family": "smmeta",
                "code": "smmeta",
                "lang": "en",
                "notify": True,
                "signup_pages": ["Skill-sharing/Signups", "Skill-sharing/Offers"],
                "pages": {"problems": "Skill-sharing/Problems"},
            }
        },
    }


def wiki0(d: dict[str, Any]) -> dict[str, Any]:
    wiki: dict[str, Any] = d["wikis"]["meta"]
    return wiki


def _rename(d: dict[str, Any], old: str, new: str) -> None:
    wiki0(d)[new] = wiki0(d).pop(old)


# (case id, how to break the good file, key the message must name, words it must contain)
CASES = [
    ("typo-signup_page", lambda d: _rename(d, "signup_pages", "signup_page"), "signup_page", ""),
    (
        "string-for-list",
        lambda d: wiki0(d).update(signup_pages="Skill-sharing/Signups"),
        "wikis.meta.signup_pages",
        "list",
    ),
    ("inactive-days-word", lambda d: d.update(inactive_days="ninety"), "inactive_days", "integer"),
    ("inactive-days-zero", lambda d: d.update(inactive_days=0), "inactive_days", "greater"),
    ("wikis-as-list", lambda d: d.update(wikis=["meta"]), "wikis", "dictionary"),
    ("wikis-empty-mapping", lambda d: d.update(wikis={}), "wikis", "at least 1"),
    ("wikis-missing", lambda d: d.pop("wikis"), "wikis", "missing"),
    ("wikis-empty-value", lambda d: d.update(wikis=None), "wikis", "empty"),
    ("lock-hours-negative", lambda d: d.update(lock_hours=-1), "lock_hours", "greater than 0"),
    ("notify-string-no", lambda d: wiki0(d).update(notify="no"), "wikis.meta.notify", "boolean"),
    ("notify-string-false", lambda d: wiki0(d).update(notify="false"), "notify", "boolean"),
    ("unknown-top-key", lambda d: d.update(reminder_dayz=3), "reminder_dayz", "unknown key"),
    ("unknown-wiki-key", lambda d: wiki0(d).update(colour="red"), "wikis.meta.colour", "unknown"),
    (
        "unknown-page-kind",
        lambda d: wiki0(d)["pages"].update(problem="X"),
        "wikis.meta.pages.problem",
        "unknown page kind",
    ),
    (
        "unknown-issuer-key",
        lambda d: d["badge_issuer"].update(phone="1"),
        "badge_issuer.phone",
        "unknown key",
    ),
    ("missing-lang", lambda d: wiki0(d).pop("lang"), "wikis.meta.lang", "missing"),
    ("empty-family", lambda d: wiki0(d).update(family=""), "wikis.meta.family", "at least 1"),
    ("empty-store", lambda d: d.update(store=None), "store", "empty"),
    ("code-yaml-no", lambda d: wiki0(d).update(code=False), "wikis.meta.code", "quote"),
    (
        "no-signup-pages",
        lambda d: wiki0(d).update(signup_pages=[]),
        "wikis.meta",
        "neither signup_pages nor signup_prefixes",
    ),
    (
        "bad-title",
        lambda d: wiki0(d)["pages"].update(problems="Skill|Problems"),
        "wikis.meta.pages.problems",
        "page title",
    ),
    ("share-over-one", lambda d: d.update(max_change_share=1.5), "max_change_share", "less"),
    ("lang-not-a-code", lambda d: wiki0(d).update(lang="English"), "wikis.meta.lang", "pattern"),
    (
        "report-over-signups",
        lambda d: wiki0(d)["pages"].update(problems="Skill-sharing/Signups"),
        "pages.problems",
        "also a signup page",
    ),
    (
        "two-reports-one-page",
        lambda d: wiki0(d)["pages"].update(matches="Skill-sharing/Problems"),
        "pages.matches",
        "same page",
    ),
    (
        "confirmations-unread",
        lambda d: wiki0(d)["pages"].update(confirmations="Skill-sharing/Elsewhere"),
        "pages.confirmations",
        "never read",
    ),
    (
        "same-wiki-twice",
        lambda d: d["wikis"].update(meta2=dict(wiki0(d))),
        "wikis.meta2",
        "same wiki as wikis.meta",
    ),
]


@pytest.fixture
def sentinel() -> Iterator[tuple[int, list[int]]]:
    """A 'wiki' on 127.0.0.1 that counts every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join()
    server.close()


def run_bot(config: Path, port: int, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` with a Pywikibot whose every family points at the sentinel."""
    pwb = tmp / "pwb"
    pwb.mkdir(exist_ok=True)
    url = f"http://127.0.0.1:{port}/api.php"
    (pwb / "user-config.py").write_text(
        "family = 'smmeta'\nmylang = 'smmeta'\n"
        f"family_files['smmeta'] = {url!r}\nusernames['smmeta']['*'] = 'Bot'\n"
        "max_retries = 0\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYWIKIBOT_DIR": str(pwb), "SKILLMATCH_STORE": ""}
    env.pop("SKILLMATCH_CONFIG", None)
    return bot_process(config, env, timeout=120)


@pytest.mark.parametrize(("case", "breaks", "key", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_configuration_exits_2_naming_the_key_and_touches_nothing(
    case: str, breaks: Any, key: str, words: str, tmp_path: Path, sentinel: Any
) -> None:
    port, hits = sentinel
    data = good(tmp_path)
    breaks(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = run_bot(path, port, tmp_path)
    assert proc.returncode == 2, (case, proc.stderr[-2000:])
    assert str(path) in proc.stderr and key in proc.stderr, proc.stderr
    assert words in proc.stderr, proc.stderr
    assert not crashed(proc)
    assert not (tmp_path / "store.db").exists() and not (tmp_path / "out").exists()
    assert hits == [], "the bot contacted the wiki"


def test_the_good_file_passes_the_check_and_only_then_contacts_the_wiki(
    tmp_path: Path, sentinel: Any
) -> None:
    """The control: the same harness with the unbroken file does reach the 'wiki' (and stops
    there without a traceback: a wiki that drops every connection is a wiki that does not
    answer, exit 5), so the cases above fail because of the check."""
    port, hits = sentinel
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(good(tmp_path)), encoding="utf-8")
    proc = run_bot(path, port, tmp_path)
    assert proc.returncode == 5, proc.stderr[-2000:]
    assert hits, "the good configuration never reached the wiki"
    assert not crashed(proc) and "python -m bot run: stopped part-way: gather: " in proc.stderr


def test_real_yaml_booleans_and_web_tool_keys_are_accepted(tmp_path: Path) -> None:
    data = good(tmp_path)
    wiki0(data).update(
        notify=False,
        signup_page="Skill-sharing/Signups",
        url="http://127.0.0.1:8080",
        preload_by_lang={"ja": "Preload/ja"},
    )
    data["webtool"] = {"cache_seconds": 1}
    path = tmp_path / "ok.yaml"
    path.write_text("# notify: no is a real YAML boolean\n" + yaml.safe_dump(data))
    cfg = cfgmod.load(path)
    (meta,) = cfg.wikis
    assert meta.notify is False and meta.signup_pages == (
        "Skill-sharing/Signups",
        "Skill-sharing/Offers",
    )
    assert cfg.lock_hours == 3.0 and cfg.max_change_share == 0.2
    assert cfgmod.load(ROOT / "config" / "skillmatch.yaml").wikis[1].key == "jawiki"


def test_the_web_tools_signup_page_must_be_one_the_bot_reads(tmp_path: Path) -> None:
    data = good(tmp_path)
    wiki0(data)["signup_page"] = "Skill-sharing/Elsewhere"
    with pytest.raises(cfgmod.ConfigError, match=r"wikis\.meta: .*signup_page 'Skill-sharing/Else"):
        cfgmod.validate(data, tmp_path / "x.yaml")


def test_a_missing_file_or_broken_yaml_exits_2(tmp_path: Path, sentinel: Any) -> None:
    port, hits = sentinel
    broken = tmp_path / "broken.yaml"
    broken.write_text("wikis: {meta: [\n")
    for path in (tmp_path / "missing.yaml", broken):
        proc = run_bot(path, port, tmp_path)
        assert proc.returncode == 2 and str(path) in proc.stderr, proc.stderr
        assert not crashed(proc)
    assert hits == []


# -- the large-change guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("live", "removed", "blocked"),
    [
        (100, 20, False),  # exactly the share: allowed
        (100, 21, True),
        (5, 5, False),  # a tiny store may lose everything: not more than the floor
        (12, 11, True),
        (1000, 11, False),  # a few of many
        (0, 0, False),
    ],
)
def test_guard_blocks_only_when_both_limits_are_passed(live: int, removed: int, blocked: bool):
    change = guard.Change("matches", live, removed)
    assert guard.too_large(change, max_share=0.2, floor=10) is blocked


def test_guard_message_gives_the_counts() -> None:
    text = guard.message(guard.Change("badges", 120, 108), max_share=0.2, floor=10)
    assert "revoke 108 of 120 live badges (90%" in text and "--confirm-large-change" in text


@pytest.mark.wiki
def test_dropping_a_signup_page_from_the_config_stops_before_ending_matches(
    meta_wiki, tmp_path: Path
) -> None:
    """The issue's accident: a configuration that no longer reads the signups would end every
    match. The run stops (exit 4, counts on stderr), nothing of it is written, and only
    --confirm-large-change lets it through."""
    w = WikiRun(tmp_path)
    learners = [f"{w.prefix}L{i}" for i in range(4)]
    append_as(meta_wiki, f"{w.prefix}M", w.title("Offers"), _offer(f"{w.prefix}M") + "\n")
    for user in learners:
        append_as(meta_wiki, user, w.title("Signups"), _signup(user) + "\n")
    w.run()
    path = write_config(w, tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["max_change_floor"] = 2
    data["wikis"]["smmeta"]["signup_pages"] = [w.title("Offers")]  # Signups forgotten
    data["wikis"]["smmeta"]["pages"].pop("confirmations")  # it was Signups, now forgotten
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    matches_before = meta_wiki.client(learners[0]).text(w.title("Matches"))
    env = {**os.environ, "SKILLMATCH_STORE": ""}
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert "end 4 of 4 live matches" in proc.stderr and not crashed(proc)
    states = [r["state"] for r in cfgmod_store(tmp_path).load_matches()]
    assert states == ["proposed"] * 4
    assert meta_wiki.client(learners[0]).text(w.title("Matches")) == matches_before
    runs = cfgmod_store(tmp_path).runs()
    assert runs[-1]["status"] == "stopped" and "end 4 of 4" in runs[-1]["stats"]["error"]
    proc = subprocess.run(
        [*cmd, "--confirm-large-change"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["matches"] == 0
    assert [r["state"] for r in cfgmod_store(tmp_path).load_matches()] == ["ended"] * 4


def cfgmod_store(tmp: Path) -> Any:
    from bot.store import Store

    return Store(f"sqlite:///{tmp / 'store.db'}")


def _signup(user: str) -> str:
    return f"{{{{Skill signup|user={user}|wants=Lua|languages=en}}}}"


def _offer(user: str) -> str:
    return f"{{{{Skill offer|user={user}|skills=Lua|languages=en|capacity=10}}}}"


@pytest.mark.wiki
def test_revoking_too_many_badges_stops_before_the_badge_phase_writes(
    meta_wiki, tmp_path: Path
) -> None:
    """The same guard on badges: the need behind a needs-recorder badge disappears; with the
    floor at 0 that one revocation is more than the share allows. A need earns the badge
    only once someone else recorded it too, so three people record the same need (each
    stays confirmed by the other two when one withdraws)."""
    w = WikiRun(tmp_path)
    user, others = f"{w.prefix}N", [f"{w.prefix}O", f"{w.prefix}P"]

    def need(by: str) -> str:
        return f"{{{{Skill need|community=arwiki|skill=SPARQL|by={by}}}}}"

    append_as(meta_wiki, user, w.title("Signups"), _signup(user) + "\n" + need(user) + "\n")
    for other in others:
        append_as(meta_wiki, other, w.title("Signups"), "\n" + need(other) + "\n")
    w.run()
    store = cfgmod_store(tmp_path)
    assert sorted((a["username"], a["badge_class"], a["revoked"]) for a in store.load_awards()) == [
        (u, "needs-recorder", False) for u in [user, *others]
    ]
    client = meta_wiki.client(user)
    text = client.text(w.title("Signups"))
    assert need(user) in text
    client.edit(w.title("Signups"), text.replace(need(user), "", 1), summary="no need")
    path = write_config(w, tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["max_change_floor"] = 0
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    env = {**os.environ, "SKILLMATCH_STORE": ""}
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4 and not crashed(proc), proc.stderr[-2000:]
    assert "revoke 1 of 3 live badges" in proc.stderr
    assert [a["revoked"] for a in store.load_awards()] == [False] * 3
    data["confirm_large_change"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted((a["username"], a["revoked"]) for a in store.load_awards()) == [
        (user, True),
        *((other, False) for other in others),
    ]


@pytest.mark.wiki
def test_a_config_that_stops_naming_signup_pages_stops_before_gathering(
    meta_wiki, tmp_path: Path
) -> None:
    """The earliest sign of a bad file: stored signup pages it no longer names. With the floor
    at 0, dropping one of two stops the run before the gather phase forgets anything."""
    w = WikiRun(tmp_path)
    mentor, learner = f"{w.prefix}M", f"{w.prefix}L"
    append_as(meta_wiki, mentor, w.title("Offers"), _offer(mentor) + "\n")
    append_as(meta_wiki, learner, w.title("Signups"), _signup(learner) + "\n")
    w.run()
    store = cfgmod_store(tmp_path)
    held = sorted(store.page_titles("smmeta"))
    entries = store.load_entries()
    assert held == [w.title("Offers"), w.title("Signups")] and len(entries.signups) == 1
    path = write_config(w, tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text())
    data["max_change_floor"] = 0
    data["wikis"]["smmeta"]["signup_pages"] = [w.title("Offers")]
    data["wikis"]["smmeta"]["pages"].pop("confirmations")  # it was Signups: no longer read
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    env = {**os.environ, "SKILLMATCH_STORE": ""}
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4 and not crashed(proc), proc.stderr[-2000:]
    assert "gather: this run would forget 1 of 2 signup pages" in proc.stderr
    assert sorted(store.page_titles("smmeta")) == held
    assert store.load_entries().signups == entries.signups
    assert store.runs()[-1]["status"] == "stopped"
