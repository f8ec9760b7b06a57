"""The local MediaWiki harness behaves like a real wiki for Pywikibot and for humans.

Needs the plugin tests.wikiharness (pytest_plugins in tests/conftest.py). Pywikibot is
imported inside the tests: the plugin sets PYWIKIBOT_DIR at configure time, and nothing here
must import pywikibot before that.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from devtools.localwiki import (
    APP_ID,
    BOT_USER,
    DEFAULT_HUMANS,
    LocalWiki,
    WikiAPIError,
    WikiFarm,
    WikiSpec,
    process_group_alive,
)

pytestmark = pytest.mark.wiki

REPO = Path(__file__).resolve().parents[1]


def unique(prefix: str) -> str:
    """A page title no other test uses (the wikis are shared by the whole session)."""
    return f"Harness test/{prefix} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def pwb() -> Any:
    import pywikibot

    return pywikibot


def site(pwb: Any, wiki: LocalWiki) -> Any:
    s = pwb.Site(wiki.name, wiki.name)
    s.login()
    return s


def test_pywikibot_config_points_at_the_local_wikis(pwb: Any, wiki_farm: WikiFarm) -> None:
    pwb_dir = Path(os.environ["PYWIKIBOT_DIR"])
    assert Path(pwb.config.base_dir) == pwb_dir
    for wiki in wiki_farm:
        assert pwb.config.family_files[wiki.name] == wiki.api_url
    assert pwb.config.put_throttle == 0
    assert pwb.config.write_maxlag == 5
    assert (pwb_dir / "user-password.cfg").stat().st_mode & 0o077 == 0


def test_farm_has_the_promised_accounts(meta_wiki: LocalWiki, ja_wiki: LocalWiki) -> None:
    assert len(meta_wiki.humans) >= 8
    assert {"Alice", "Mallory", "さくら", "ليلى"} <= set(meta_wiki.humans)
    assert set(meta_wiki.humans) == set(DEFAULT_HUMANS)
    assert len(meta_wiki.bot_secret) == 32
    assert meta_wiki.bot_app_id == APP_ID
    users = meta_wiki.client("Admin").get(
        {"action": "query", "list": "users", "ususers": "SkillBot|Admin|Alice", "usprop": "groups"}
    )["query"]["users"]
    groups = {u["name"]: set(u["groups"]) for u in users}
    assert "bot" in groups["SkillBot"]
    assert "sysop" in groups["Admin"]
    assert "sysop" not in groups["Alice"] and "bot" not in groups["Alice"]
    general = ja_wiki.client("さくら").get({"action": "query", "meta": "siteinfo"})
    assert general["query"]["general"]["lang"] == "ja"


def test_every_account_logs_in_on_every_wiki(wiki_farm: WikiFarm) -> None:
    for wiki in wiki_farm:
        for user in [*wiki.humans, BOT_USER, "Admin"]:
            client = wiki.client(user, fresh=True)
            info = client.get({"action": "query", "meta": "userinfo"})["query"]["userinfo"]
            assert info["name"] == user
            client.close()


def test_pywikibot_logs_in_as_skillbot_and_saves(pwb: Any, meta_wiki: LocalWiki) -> None:
    s = site(pwb, meta_wiki)
    assert s.user() == BOT_USER
    assert s.has_group("bot")
    title = unique("bot save")
    page = pwb.Page(s, title)
    page.text = "Saved by '''SkillBot''' through Pywikibot."
    page.save(summary="harness test")
    revs = meta_wiki.client("Alice").revisions(title)
    assert [r["user"] for r in revs] == [BOT_USER]
    assert revs[0]["content"] == page.text
    assert revs[0]["comment"] == "harness test"


def test_pywikibot_works_on_the_japanese_wiki(pwb: Any, ja_wiki: LocalWiki) -> None:
    s = site(pwb, ja_wiki)
    assert s.code == "smja" and s.lang == "ja"
    title = unique("日本語")
    page = pwb.Page(s, title)
    page.text = "技能開発のテスト"
    page.save(summary="テスト")
    assert ja_wiki.client("さくら").text(title) == "技能開発のテスト"


@pytest.mark.parametrize("human", ["Alice", "さくら", "ليلى"])
def test_human_edit_is_attributed_to_the_human(pwb: Any, meta_wiki: LocalWiki, human: str) -> None:
    title = unique("signup")
    bot = meta_wiki.client(BOT_USER)
    first = bot.edit(title, "== Signups ==\n", "start")
    second = meta_wiki.client(human).edit(title, f"* [[User:{human}]]", "sign up", append=True)
    revs = meta_wiki.client("Bob").revisions(title)
    assert [(r["revid"], r["user"]) for r in revs] == [(first, BOT_USER), (second, human)]
    assert revs[1]["parentid"] == first
    assert revs[0]["timestamp"] <= revs[1]["timestamp"]
    # ...and Pywikibot sees the same history.
    page = pwb.Page(site(pwb, meta_wiki), title)
    assert page.latest_revision.user == human
    assert page.latest_revision_id == second


def test_client_section_edit_and_missing_pages(meta_wiki: LocalWiki) -> None:
    alice = meta_wiki.client("Alice")
    title = unique("sections")
    assert alice.text(title) is None
    assert alice.revisions(title) == []
    alice.edit(title, "intro\n== A ==\na\n== B ==\nb", "create")
    alice.edit(title, "== B ==\nbee", "fix B", section=2)
    assert alice.text(title) == "intro\n== A ==\na\n== B ==\nbee"
    # a null edit returns the current revision
    rev = alice.latest_revid(title)
    assert alice.edit(title, "intro\n== A ==\na\n== B ==\nbee") == rev


def test_nobots_makes_bot_may_edit_false(pwb: Any, meta_wiki: LocalWiki) -> None:
    opted_out, normal = unique("nobots"), unique("bots welcome")
    carol = meta_wiki.client("Carol")
    carol.edit(opted_out, "{{nobots}}\nPlease do not touch.", "opt out")
    carol.edit(normal, "Bots welcome.", "plain page")
    s = site(pwb, meta_wiki)
    assert pwb.Page(s, opted_out).botMayEdit() is False
    assert pwb.Page(s, normal).botMayEdit() is True


def test_protected_page_refuses_the_bot(pwb: Any, meta_wiki: LocalWiki) -> None:
    from pywikibot.exceptions import LockedPageError

    title = unique("protected")
    meta_wiki.client("Dave").edit(title, "Original.", "create")
    meta_wiki.client("Admin").protect(title, edit="sysop")
    page = pwb.Page(site(pwb, meta_wiki), title)
    page.text = "Bot change."
    with pytest.raises(LockedPageError):
        page.save(summary="should be refused")
    assert meta_wiki.client("Dave").text(title) == "Original."
    # the admin (editprotected grant) still can edit it
    meta_wiki.client("Admin").edit(title, "Admin change.", "allowed")
    assert meta_wiki.client("Dave").text(title) == "Admin change."


def test_abuse_filter_refuses_matching_edits_only(pwb: Any, meta_wiki: LocalWiki) -> None:
    from pywikibot.exceptions import AbuseFilterDisallowedError

    marker = f"FORBIDDEN-{uuid.uuid4().hex[:6]}"
    filter_id = meta_wiki.add_abuse_filter(marker, "harness test filter")
    try:
        title = unique("abuse filter")
        s = site(pwb, meta_wiki)
        page = pwb.Page(s, title)
        page.text = "Clean text."
        page.save(summary="allowed")
        page.text = f"Clean text.\nNow with {marker} in it."
        with pytest.raises(AbuseFilterDisallowedError):
            page.save(summary="should be refused")
        page.text = "Clean text.\nAnother harmless line."
        page.save(summary="allowed again")

        erin = meta_wiki.client("Erin")
        with pytest.raises(WikiAPIError) as err:
            erin.edit(title, f"{marker}!", "refused for humans too", append=True)
        assert err.value.code == "abusefilter-disallowed"
        assert err.value.data["abusefilter"]["description"] == "harness test filter"
        assert erin.text(title) == "Clean text.\nAnother harmless line."
        assert [r["user"] for r in erin.revisions(title)] == [BOT_USER, BOT_USER]
    finally:
        meta_wiki.disable_abuse_filter(filter_id)
    meta_wiki.client("Erin").edit(unique("after filter"), f"{marker} is fine now")


def test_blocked_user_cannot_edit(ja_wiki: LocalWiki) -> None:
    title = unique("block")
    admin = ja_wiki.client("Admin")
    admin.block("Mallory", reason="vandalism test")
    try:
        with pytest.raises(WikiAPIError) as err:
            ja_wiki.client("Mallory", fresh=True).edit(title, "vandalism")
        assert err.value.code == "blocked"
        # no autoblock: the others, all on 127.0.0.1, can still edit
        ja_wiki.client("Grace").edit(title, "fine")
    finally:
        admin.unblock("Mallory")
    ja_wiki.client("Mallory", fresh=True).edit(title, "fine again", append=True)


def test_maintenance_script_runs_against_the_wiki(meta_wiki: LocalWiki) -> None:
    out = meta_wiki.maintenance("showSiteStats")
    assert "Total edits" in out


def test_cli_status_reports_the_running_farm(wiki_farm: WikiFarm) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "devtools.localwiki", "status", "--root", str(wiki_farm.root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "smmeta (en)" in proc.stdout and "running" in proc.stdout


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_stop_closes_ports_and_kills_the_process_group(tmp_path: Path) -> None:
    with WikiFarm.start([WikiSpec("smmeta", "en")], tmp_path / "farm") as farm:
        wiki = farm["smmeta"]
        port, pgid = wiki.port, wiki.pgid
        assert pgid is not None
        assert _port_open(port)
        assert wiki.is_running()
        assert wiki.client("Heidi").edit("Stop test", "x") > 0
    assert not _port_open(port)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    assert not wiki.is_running()
    farm.stop()  # idempotent


def test_servers_die_with_their_owner_process(tmp_path: Path) -> None:
    """Even if pytest is SIGKILLed, the watchdog stops the PHP servers."""
    code = (
        "import sys; from pathlib import Path; from devtools.localwiki import *; "
        "f = WikiFarm.start([WikiSpec('smmeta', 'en')], Path(sys.argv[1])); "
        "w = f['smmeta']; print(w.port, w.pgid, flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "farm")],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    port, pgid = map(int, child.stdout.readline().split())
    try:
        assert _port_open(port)
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process_group_alive(pgid):
        time.sleep(0.05)
    assert not process_group_alive(pgid)
    assert not _port_open(port)
