"""Hostile edits against the bot's writes and accounts, on the real local wikis.

Each test plays a vandal with one ordinary edit (a redirect over a report page or a talk
page, attendee lines for accounts that are not real, a planted marker, ten thousand forged
entries) and then checks, in the wiki's own recent changes, that the bot edited nothing
but the pages it may write: its configured report pages and its recipients' own talk pages.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot import matchphase, messages, render
from devtools.seed import create_accounts
from tests.wikirun import WikiRun

pytestmark = pytest.mark.wiki

REPORTS = ("Needs map", "Problems", "Matches", "Waiting", "Badges")


def add(wiki: Any, user: str, title: str, text: str) -> None:
    wiki.client(user).edit(title, text + "\n", summary="test", append=True)


def signup(user: str, wants: str) -> str:
    return f"{{{{Skill signup|user={user}|wants={wants}|languages=en}}}}"


def offer(user: str, skills: str) -> str:
    return f"{{{{Skill offer|user={user}|skills={skills}|languages=en|capacity=3}}}}"


def last_rcid(wiki: Any) -> int:
    data = wiki.client("Admin").get(
        {"action": "query", "list": "recentchanges", "rcprop": "ids", "rclimit": 1}
    )
    changes = data["query"]["recentchanges"]
    return int(changes[0]["rcid"]) if changes else 0


def bot_edits_since(wiki: Any, rcid: int) -> list[str]:
    """Titles the bot changed (edits and page creations) after recent change `rcid`."""
    data = wiki.client("Admin").get(
        {
            "action": "query",
            "list": "recentchanges",
            "rcuser": "SkillBot",
            "rcprop": "ids|title",
            "rctype": "edit|new",
            "rclimit": "max",
        }
    )
    return [c["title"] for c in data["query"]["recentchanges"] if int(c["rcid"]) > rcid]


def assert_only_allowed(wiki: Any, since: int, w: WikiRun, recipients: set[str]) -> list[str]:
    edits = bot_edits_since(wiki, since)
    allowed = {w.title(r) for r in REPORTS} | {f"User talk:{u}" for u in recipients}
    assert set(edits) <= allowed, set(edits) - allowed
    return edits


def assert_only_allowed_then_quiet(
    wiki: Any, since: int, w: WikiRun, recipients: set[str]
) -> tuple[list[str], Any]:
    """The run after `since` wrote only report pages and the recipients' own talk pages,
    and one more run writes nothing. Returns the first run's edits and the second's runner."""
    edits = assert_only_allowed(wiki, since, w, recipients)
    again, _, runner = w.run()
    assert again.edits == 0
    return edits, runner


def accounts(wiki: Any, w: WikiRun, *names: str) -> list[str]:
    """Fresh accounts for this test only (their talk pages start empty)."""
    full = [f"{w.prefix}{n}" for n in names]
    create_accounts(wiki, full)
    return full


def test_report_page_replaced_by_a_redirect_is_refused_not_followed(
    meta_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    lea, max_ = accounts(meta_wiki, w, "Lea", "Max")
    add(meta_wiki, lea, w.title("Signups"), signup(lea, "Lua"))
    add(meta_wiki, max_, w.title("Offers"), offer(max_, "Lua"))
    w.run()
    article = f"{w.prefix} Some article"
    meta_wiki.client("Bob").edit(article, "An article nobody may overwrite.")
    before = meta_wiki.client("Bob").revisions(article)
    for name in ("Matches", "Badges"):  # a logged-in vandal, one edit each
        meta_wiki.client("Mallory").edit(w.title(name), f"#REDIRECT [[{article}]]")
    since = last_rcid(meta_wiki)

    report, _, _ = w.run()
    assert meta_wiki.client("Bob").revisions(article) == before  # untouched
    summary = report.as_dict()
    assert sorted(summary["refused"]) == [
        f"{w.title('Badges')}: redirect",
        f"{w.title('Matches')}: redirect",
    ]
    for name in ("Matches", "Badges"):
        assert meta_wiki.client("Bob").text(w.title(name)) == f"#REDIRECT [[{article}]]"
    problems = meta_wiki.client("Bob").text(w.title("Problems")) or ""
    assert "Pages the bot refused to write" in problems
    assert f"[[:{w.title('Matches')}]]" in problems and "is a redirect" in problems
    edits, runner = assert_only_allowed_then_quiet(meta_wiki, since, w, set())
    assert edits == [w.title("Problems")]  # the refusals are reported, nothing else changed
    assert runner.store.last_run()["stats"]["refused"] == summary["refused"]


def test_talk_page_redirected_to_another_users_talk_page_gets_no_message(
    meta_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    lea, max_, eve = accounts(meta_wiki, w, "Lea", "Max", "Eve")
    meta_wiki.client(eve).edit(f"User talk:{eve}", "Eve's talk page.")
    meta_wiki.client(eve).edit(f"User talk:{lea}", f"#REDIRECT [[User talk:{eve}]]")
    add(meta_wiki, lea, w.title("Signups"), signup(lea, "Lua"))
    add(meta_wiki, max_, w.title("Offers"), offer(max_, "Lua"))
    since = last_rcid(meta_wiki)

    report, _, runner = w.run()
    assert meta_wiki.client(eve).text(f"User talk:{eve}") == "Eve's talk page."
    assert meta_wiki.client(eve).text(f"User talk:{lea}") == f"#REDIRECT [[User talk:{eve}]]"
    assert "skillmatch:match:" in (meta_wiki.client(eve).text(f"User talk:{max_}") or "")
    assert f"User talk:{lea}: redirect" in report.as_dict()["refused"]
    undelivered = runner.store.undelivered("smmeta")
    assert [(u["title"], u["reason"]) for u in undelivered] == [(f"User talk:{lea}", "redirect")]
    problems = meta_wiki.client(eve).text(w.title("Problems")) or ""
    assert f"[[:User talk:{lea}]]" in problems and "is a redirect" in problems
    edits, _ = assert_only_allowed_then_quiet(meta_wiki, since, w, {max_})
    assert f"User talk:{max_}" in edits


def test_attendees_that_are_no_real_account_get_no_badge_and_no_talk_page(
    meta_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    org, real, blocked = accounts(meta_wiki, w, "Org", "Real", "Blocked")
    meta_wiki.client("Admin").block(blocked)
    ghost, ip, temp = f"{w.prefix}Ghost", "192.0.2.7", "~2026-31337"
    lines = [
        f"{{{{Skill event|id={w.prefix}-ev|title=Lua day|organizer={org}|skills=Lua"
        "|date=2026-11-01|format=online}}",
        *(
            f"{{{{Skill attendee|event={w.prefix}-ev|user={u}}}}}"
            for u in (real, ghost, ip, temp, blocked, "&lt;b&gt;x")
        ),
    ]
    add(meta_wiki, org, w.title("Signups"), "\n".join(lines))
    since = last_rcid(meta_wiki)

    report, _, runner = w.run()
    awards = {(a["username"], a["badge_class"]) for a in runner.store.load_awards()}
    # One real attendee: the five that are no account in good standing count for nothing,
    # so they cannot make up the trainer badge's three attendees either.
    assert awards == {(real, "event-online")}
    exported = json.loads((tmp_path / "out" / "needs-map.json").read_text(encoding="utf-8"))
    problems = {(p["code"], tuple(p["params"])) for p in exported["problems"]}
    assert {
        ("account-missing", (ghost,)),
        ("account-ip", (ip,)),
        ("account-temporary", (temp,)),
        ("account-blocked", (blocked,)),
    } <= problems
    for user in (ghost, ip, temp, blocked):
        assert meta_wiki.client("Admin").latest_revid(f"User talk:{user}") is None, user
    stored = runner.store.load_entries()  # what the web tool shows: the same view
    assert [a.user for a in stored.attendees] == [real]
    assert [e.id for e in stored.events] == [f"{w.prefix}-ev"]
    assert {"account-missing", "account-ip", "account-blocked"} <= {p.code for p in stored.problems}
    page = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert f"There is no account named {ghost}" in page
    assert "192.0.2.7 is an IP address" in page
    assert_only_allowed(meta_wiki, since, w, {real})
    cached = runner.store.load_accounts([("smmeta", ghost), ("smmeta", blocked)])
    assert {k[1]: v[0] for k, v in cached.items()} == {ghost: "missing", blocked: "blocked"}
    again, _, _ = w.run()
    assert again.edits == 0 and again.requests < report.requests  # answers come from the store


def test_planted_markers_do_not_suppress_a_message(
    meta_wiki: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(messages.KEY_ENV, "a secret the wiki never sees")
    w = WikiRun(tmp_path)
    lea, max_, eve = accounts(meta_wiki, w, "Lea", "Max", "Eve")
    scope = f"smmeta:{w.title('Matches')}"
    mid = matchphase.match_id("mentor", lea, max_, 0, scope)
    for user in (lea, max_):  # the old plain marker and a guessed MAC, planted beforehand
        msg_id = f"match:{mid}:{user}"
        meta_wiki.client(eve).edit(
            f"User talk:{user}",
            f"Hi!<!-- skillmatch:{msg_id} --><!-- skillmatch:{msg_id} {'0' * 32} -->",
        )
    add(meta_wiki, lea, w.title("Signups"), signup(lea, "Lua"))
    add(meta_wiki, max_, w.title("Offers"), offer(max_, "Lua"))
    since = last_rcid(meta_wiki)

    report, _, runner = w.run()
    (match,) = runner.store.load_matches()
    assert match["id"] == mid
    key = b"a secret the wiki never sees"
    for user in (lea, max_):
        talk = meta_wiki.client(eve).text(f"User talk:{user}") or ""
        assert talk.count(messages.marker(f"match:{mid}:{user}", key)) == 1, user
        assert talk.count("== ") == 1  # one section: the message, posted once
    assert report.messages["saved"] == 2
    assert_only_allowed_then_quiet(meta_wiki, since, w, {lea, max_})


def test_ten_thousand_forged_entries_leave_the_problems_page_savable(
    meta_wiki: Any, tmp_path: Path
) -> None:
    w = WikiRun(tmp_path)
    lea, max_ = accounts(meta_wiki, w, "Lea", "Max")
    meta_wiki.client(lea).edit(f"User talk:{lea}", "{{nobots}}")  # one undelivered message
    add(meta_wiki, lea, w.title("Signups"), signup(lea, "Lua"))
    add(meta_wiki, max_, w.title("Offers"), offer(max_, "Lua"))
    forged = "\n".join(
        f"{{{{Skill signup|user={lea}|wants=Lua|languages=en|community=c{i:05d}}}}}"
        for i in range(10_000)
    )
    add(meta_wiki, "Mallory", w.title("More/Flood"), forged)
    since = last_rcid(meta_wiki)

    report, _, _ = w.run()
    assert report.problems >= 10_000
    page = meta_wiki.client(lea).text(w.title("Problems")) or ""
    limit = int(
        meta_wiki.client(lea).get({"action": "query", "meta": "siteinfo"})["query"]["general"][
            "maxarticlesize"
        ]
    )
    assert 0 < len(page.encode("utf-8")) <= limit
    assert "Problems by kind" in page
    assert f"<code>{render.esc('not-own-entry')}</code> || 10000\n" in page
    assert page.count("\n|-\n") < 600  # the first 500 entries, not ten thousand
    assert "Messages that could not be delivered" in page and f"[[:User talk:{lea}]]" in page
    assert report.as_dict()["refused"] == []
    assert_only_allowed_then_quiet(meta_wiki, since, w, {max_})


def test_the_write_path_refuses_pages_it_was_not_given(meta_wiki: Any, tmp_path: Path) -> None:
    """Straight at `Wiki`: only allowed report pages, only the recipient's own talk page,
    never more bytes than the wiki accepts; none of these refusals touches the wiki."""
    from bot.wiki import Wiki

    w = WikiRun(tmp_path)
    (lea,) = accounts(meta_wiki, w, "Lea")
    wiki = Wiki.connect("smmeta", "smmeta", "smmeta", out=io.StringIO())
    wiki.allow([w.title("Problems")])
    since = last_rcid(meta_wiki)
    assert wiki.save(w.title("Elsewhere"), "x", "test").reason == "not-allowed"
    assert wiki.save(w.title("Problems"), "é" * (wiki.max_bytes() // 2 + 1), "t").reason == (
        "too-big"
    )
    posted = wiki.post_section(f"User talk:{lea}/Archive", "Hi", "x", "t", "m", recipient=lea)
    assert (posted.status, posted.reason) == ("refused", "not-own-talk")
    posted = wiki.post_section("User talk:Bob", "Hi", "x", "t", "m", recipient=lea)
    assert (posted.status, posted.reason) == ("refused", "not-own-talk")
    assert bot_edits_since(meta_wiki, since) == []
    assert wiki.save(w.title("Problems"), "fine", "test").status == "saved"
    assert bot_edits_since(meta_wiki, since) == [w.title("Problems")]


def test_ip_and_blocked_participants_hold_no_match_and_get_no_message(
    meta_wiki: Any, tmp_path: Path
) -> None:
    from devtools.localwiki import WikiClient

    w = WikiRun(tmp_path)
    lea, vandal, max_ = accounts(meta_wiki, w, "Lea", "Vandal", "Max")
    anon = WikiClient(meta_wiki.api_url, "anonymous", "", login=False)
    anon.edit(w.title("Signups"), signup("127.0.0.1", "Lua") + "\n", append=True)
    add(meta_wiki, vandal, w.title("Offers"), offer(vandal, "Lua"))
    meta_wiki.client("Admin").block(vandal)
    add(meta_wiki, lea, w.title("Signups"), signup(lea, "SPARQL"))
    add(meta_wiki, max_, w.title("Offers"), offer(max_, "SPARQL"))
    since = last_rcid(meta_wiki)
    history = meta_wiki.client("Admin").revisions(w.title("Signups"))
    assert history[0]["user"] == "127.0.0.1"  # a logged-out edit, by its own address

    report, _, runner = w.run()
    assert {(r["a"], r["b"]) for r in runner.store.load_matches()} == {(lea, max_)}
    assert runner.store.load_waiting() == []  # the IP is not even waiting for a mentor
    problems = meta_wiki.client("Admin").text(w.title("Problems")) or ""
    assert "127.0.0.1 is an IP address" in problems
    assert f"The account {vandal} is blocked" in problems
    for user in ("127.0.0.1", vandal):
        assert meta_wiki.client("Admin").latest_revid(f"User talk:{user}") is None, user
    assert_only_allowed(meta_wiki, since, w, {lea, max_})
    assert report.new_matches == 1


def test_a_page_that_becomes_a_redirect_while_the_bot_writes_is_refused(
    meta_wiki: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mallory turns the report page into a redirect between the bot's check and its save:
    the wiki answers with an edit conflict, and the retry checks the page again."""
    import time

    from bot.wiki import Wiki

    w = WikiRun(tmp_path)
    report, article = w.title("Problems"), f"{w.prefix} Target article"
    meta_wiki.client("Bob").edit(article, "An article.")
    meta_wiki.client("Bob").edit(report, "The old report.")
    time.sleep(1.1)  # the vandal's edit must not share the base revision's second
    wiki = Wiki.connect("smmeta", "smmeta", "smmeta", out=io.StringIO())
    wiki.allow([report])
    real = Wiki._refusal
    checks: list[str] = []

    def racing(self: Wiki, page: Any, recipient: str | None, size: Any) -> Any:
        found = real(self, page, recipient, size)
        if not checks:  # right after the first check, before the save
            meta_wiki.client("Mallory").edit(report, f"#REDIRECT [[{article}]]")
        checks.append(page.title())
        return found

    monkeypatch.setattr(Wiki, "_refusal", racing)
    since = last_rcid(meta_wiki)
    outcome = wiki.save(report, "The new report.", "test")
    assert (outcome.status, outcome.reason) == ("refused", "redirect")
    assert checks == [report, report]
    assert meta_wiki.client("Bob").text(report) == f"#REDIRECT [[{article}]]"
    assert meta_wiki.client("Bob").text(article) == "An article."
    assert bot_edits_since(meta_wiki, since) == []


def test_account_look_ups_go_fifty_names_a_request(meta_wiki: Any, tmp_path: Path) -> None:
    from bot import accounts as rules
    from bot.wiki import Wiki

    w = WikiRun(tmp_path)
    real = accounts(meta_wiki, w, *(f"R{i}" for i in range(30)))
    ghosts = [f"{w.prefix}G{i}" for i in range(40)]
    wiki = Wiki.connect("smmeta", "smmeta", "smmeta", out=io.StringIO())
    before = wiki.requests
    first_lower = real[0][0].lower() + real[0][1:]  # the wiki capitalises the first letter
    rows = wiki.users([*real, *ghosts, first_lower, real[1].lower()])
    assert wiki.requests - before == 2
    statuses = {name: rules.from_api(row) for name, row in rows.items()}
    assert statuses == {
        **dict.fromkeys(real, "ok"),
        **dict.fromkeys(ghosts, "missing"),
        first_lower: "ok",
        real[1].lower(): "missing",  # only the first letter is case-insensitive
    }
