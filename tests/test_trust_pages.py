"""Issue 11, pages and history: hostile page edits on the real local wikis lose no entry.

Each test signs up its own learner and mentor (fresh accounts) on its own pages, lets the
bot match them, then does one thing an editor can do to the pages (redirect, move, delete,
blank, hide a revision, …) and runs the bot again. Every test asserts: no entry lost, no
match ended, no message posted again, and the problems page saved with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.gather import forget_parses
from bot.models import ParseResult
from bot.run import Runner, RunReport
from devtools.localwiki import LocalWiki, WikiClient
from devtools.seed import create_accounts
from tests.wikirun import WikiRun

pytestmark = pytest.mark.wiki


def fresh(wiki: LocalWiki, *roles: str) -> list[str]:
    """New accounts, one per role, unique to this test."""
    tag = uuid.uuid4().hex[:6]
    names = [f"{role}{tag}" for role in roles]
    create_accounts(wiki, names)
    return names


def signup(user: str, wants: str = "Lua", extra: str = "") -> str:
    return f"{{{{Skill signup|user={user}|wants={wants}|languages=en{extra}}}}}"


def offer(user: str, skills: str = "Lua") -> str:
    return f"{{{{Skill offer|user={user}|skills={skills}|languages=en|capacity=2}}}}"


def add(wiki: LocalWiki, user: str, title: str, text: str) -> int:
    return wiki.client(user).edit(title, text + "\n", summary="signup", append=True)


def entries(data: ParseResult) -> set[tuple[str, str, str]]:
    out = {("signup", s.user, ",".join(w.skill for w in s.wants)) for s in data.signups}
    out |= {("offer", o.user or "", ",".join(s.skill for s in o.skills)) for o in data.offers}
    out |= {("confirm", c.user, c.outcome) for c in data.confirmations}
    return out


@dataclass
class Before:
    entries: set[tuple[str, str, str]]
    matches: dict[str, str]
    outbox: int


def outbox_size(runner: Runner) -> int:
    import sqlalchemy as sa

    with runner.store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())


def snapshot(runner: Runner) -> Before:
    """What a later run must keep: the entries, the matches' states, the outbox's size."""
    rows = runner.store.load_matches()
    return Before(
        entries(runner.store.load_entries()),
        {r["id"]: r["state"] for r in rows},
        outbox_size(runner),
    )


def matched(w: WikiRun) -> tuple[Before, Runner]:
    """First run: the learner and mentor are matched and both told, once."""
    report, _, runner = w.run()
    assert report.new_matches == 1 and report.messages.get("saved") == 2
    return snapshot(runner), runner


def pair_matched(
    wiki: LocalWiki, w: WikiRun, page: str, learner: str, mentor: str
) -> tuple[Before, Runner]:
    """The learner signs up and the mentor offers on `page`; the first run matches them."""
    add(wiki, learner, page, signup(learner))
    add(wiki, mentor, page, offer(mentor))
    return matched(w)


def problems_text(wiki: LocalWiki, w: WikiRun) -> str:
    text = wiki.client(wiki.admin_user).text(w.title("Problems"))
    assert text is not None
    return text


def assert_nothing_lost(
    wiki: LocalWiki, w: WikiRun, before: Before, report: RunReport, runner: Runner, reason: str
) -> str:
    """No entry lost, no match ended or new, no message again, the problems page saved."""
    assert before.entries <= entries(runner.store.load_entries())
    rows = {r["id"]: r["state"] for r in runner.store.load_matches()}
    assert rows == before.matches
    assert report.new_matches == 0 and not report.messages
    assert outbox_size(runner) == before.outbox
    problems_page = w.title("Problems")
    assert [o.status for o in report.outcomes if o.title == problems_page] == ["saved"]
    text = problems_text(wiki, w)
    assert reason in text, text
    return text


def run_again_nothing_lost(
    wiki: LocalWiki, w: WikiRun, before: Before, reason: str
) -> tuple[str, Runner]:
    """The run after the hostile edit: `assert_nothing_lost`, with `reason` on the problems
    page. Returns that page's text and the run's runner."""
    report, _, runner = w.run()
    return assert_nothing_lost(wiki, w, before, report, runner, reason), runner


def assert_quiet(w: WikiRun, before: Before) -> None:
    """One more run: nothing to do, nothing lost."""
    report, _, runner = w.run()
    assert report.edits == 0 and not report.messages
    assert before.entries <= entries(runner.store.load_entries())
    assert {r["id"]: r["state"] for r in runner.store.load_matches()} == before.matches


def assert_restored(
    wiki: LocalWiki, w: WikiRun, before: Before, report: RunReport, runner: Runner, gone: str
) -> None:
    """After the repair: every entry and match as before, nothing posted anew, and the
    problems page no longer says `gone`."""
    assert before.entries <= entries(runner.store.load_entries())
    assert {r["id"]: r["state"] for r in runner.store.load_matches()} == before.matches
    assert report.new_matches == 0 and not report.messages
    assert outbox_size(runner) == before.outbox
    assert gone not in problems_text(wiki, w)


def anonymous(wiki: LocalWiki) -> WikiClient:
    """A logged-out editor (an IP)."""
    return WikiClient(wiki.api_url, "", "", login=False)


def test_a_signup_page_redirected_by_an_ip_keeps_its_entries(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor = fresh(meta_wiki, "Lea", "Men")
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    meta_wiki.client(meta_wiki.admin_user).edit("Some article", "An article.")
    anonymous(meta_wiki).edit(page, "#REDIRECT [[Some article]]")

    text, _ = run_again_nothing_lost(meta_wiki, w, before, "removed an entry of")
    assert "127.0.0.1" in text
    assert meta_wiki.client(meta_wiki.admin_user).text("Some article") == "An article."
    assert_quiet(w, before)


def test_a_page_moved_out_of_the_prefix_keeps_its_entries(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor = fresh(meta_wiki, "Lea", "Men")
    w = WikiRun(tmp_path)
    page, away = w.title("More/Spring"), f"Archive {w.prefix}/Spring"
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    admin = meta_wiki.client(meta_wiki.admin_user)
    admin.post({"action": "move", "from": page, "to": away, "reason": "tidy", "noredirect": 1})

    text, _ = run_again_nothing_lost(meta_wiki, w, before, "was moved out of the signup pages")
    assert away in text
    # Edits made out there do not count: a forgery at the new title changes nothing.
    add(meta_wiki, mentor, away, signup(learner, "GLAM"))
    assert_quiet(w, before)


def test_an_exact_title_page_moved_away_stays_in_force_run_after_run(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    """Read from the code: a configured title that was moved dropped out every other run."""
    learner, mentor = fresh(meta_wiki, "Lea", "Men")
    w = WikiRun(tmp_path)
    page, moved = w.title("Offers"), w.title("Offers 2026")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    admin = meta_wiki.client(meta_wiki.admin_user)
    admin.post({"action": "move", "from": page, "to": moved, "reason": "rename"})  # + redirect

    _, runner = run_again_nothing_lost(meta_wiki, w, before, "was moved out of the signup pages")
    assert runner.store.page_titles("smmeta") == [moved]
    for _ in range(2):
        report, _, runner = w.run()
        assert report.edits == 0 and not report.messages
        assert before.entries <= entries(runner.store.load_entries())
        assert runner.store.page_titles("smmeta") == [moved]
    # Moved back, the page is read again where it belongs, with nothing posted anew.
    admin.post({"action": "move", "from": moved, "to": page, "reason": "back", "movetalk": 0})
    report, _, runner = w.run()
    assert_restored(meta_wiki, w, before, report, runner, "was moved out of the signup pages")


def test_delete_and_restore_keeps_the_same_matches_and_posts_nothing(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor = fresh(meta_wiki, "Lea", "Men")
    w = WikiRun(tmp_path)
    page = w.title("More/Doomed")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    admin = meta_wiki.client(meta_wiki.admin_user)
    admin.post({"action": "delete", "title": page, "reason": "vandal"})

    run_again_nothing_lost(meta_wiki, w, before, "no longer exists")
    admin.post({"action": "undelete", "title": page, "reason": "restore"})
    report, _, runner = w.run()
    assert_restored(meta_wiki, w, before, report, runner, "no longer exists")
    assert_quiet(w, before)


def test_blank_and_restore_keeps_the_same_matches_and_posts_nothing(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor, vandal = fresh(meta_wiki, "Lea", "Men", "Van")
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    text = meta_wiki.client(vandal).text(page)
    assert text is not None
    meta_wiki.client(vandal).edit(page, "lol")

    problems, _ = run_again_nothing_lost(meta_wiki, w, before, "removed an entry of")
    assert vandal in problems
    meta_wiki.client(meta_wiki.admin_user).edit(page, text)  # the revert
    report, _, runner = w.run()
    assert_restored(meta_wiki, w, before, report, runner, vandal)


def test_a_draft_moved_into_the_prefix_publishes_nothing_of_others(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor, mover, o_learner, o_mentor = fresh(
        meta_wiki, "Lea", "Men", "Mov", "Ola", "Omn"
    )
    w = WikiRun(tmp_path)
    add(meta_wiki, o_learner, w.title("Signups"), signup(o_learner, "SPARQL"))
    add(meta_wiki, o_mentor, w.title("Signups"), offer(o_mentor, "SPARQL"))
    before, _ = matched(w)
    draft, target = f"User:{learner}/Draft", w.title("More/Draft")
    add(meta_wiki, learner, draft, signup(learner))
    add(meta_wiki, mentor, draft, offer(mentor))
    meta_wiki.client(mover).post({"action": "move", "from": draft, "to": target, "reason": "x"})

    text, runner = run_again_nothing_lost(meta_wiki, w, before, "was added or changed by")
    users = {u for _, u, _ in entries(runner.store.load_entries())}
    assert learner not in users and mentor not in users
    problems = [p for p in runner.store.load_entries().problems if p.origin.page == target]
    assert sorted(p.params for p in problems if p.code == "not-own-entry") == [
        (learner, mover),
        (mentor, mover),
    ]
    assert target in text
    assert_quiet(w, before)


def hide(wiki: LocalWiki, title: str, revid: int) -> None:
    """An administrator hides a revision's content (MediaWiki gives that right to the
    `suppress` group by default; Wikimedia wikis give it to administrators)."""
    with wiki.settings_override("$wgGroupPermissions['sysop']['deleterevision'] = true;"):
        done = wiki.client(wiki.admin_user).post(
            {
                "action": "revisiondelete",
                "type": "revision",
                "target": title,
                "ids": str(revid),
                "hide": "content",
                "reason": "forgery",
            }
        )
    assert [i["texthidden"] for i in done["revisiondelete"]["items"]] == [True]


def test_a_hidden_forgery_is_not_credited_to_the_owner_editing_next(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor, forger = fresh(meta_wiki, "Lea", "Men", "Forg")
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    text = meta_wiki.client(forger).text(page) or ""
    forged = meta_wiki.client(forger).edit(
        page, text.replace(signup(learner), signup(learner, "GLAM"))
    )
    add(meta_wiki, learner, page, "Looking forward to it.")  # the owner's unrelated edit
    hide(meta_wiki, page, forged)  # (MediaWiki hides no current revision)

    _, runner = run_again_nothing_lost(meta_wiki, w, before, "hidden")
    assert ("signup", learner, "glam") not in entries(runner.store.load_entries())
    assert_quiet(w, before)


def test_a_removal_by_another_survives_the_owners_unrelated_edit(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor, vandal = fresh(meta_wiki, "Lea", "Men", "Van")
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    _, runner = pair_matched(meta_wiki, w, page, learner, mentor)
    (match_id,) = [r["id"] for r in runner.store.load_matches()]
    confirm = f"{{{{Skill match confirm|id={match_id}|user={learner}|outcome=accepted}}}}"
    add(meta_wiki, learner, page, confirm)
    _, _, runner = w.run()
    before = snapshot(runner)
    assert ("confirm", learner, "accepted") in before.entries
    text = meta_wiki.client(vandal).text(page) or ""
    meta_wiki.client(vandal).edit(page, text.replace(confirm, ""))
    text = meta_wiki.client(learner).text(page) or ""
    meta_wiki.client(learner).edit(
        page, text.replace(signup(learner), signup(learner, extra="|community=enwiki"))
    )

    _, runner = run_again_nothing_lost(meta_wiki, w, before, "removed an entry of")
    assert ("confirm", learner, "accepted") in entries(runner.store.load_entries())


def test_a_localized_user_prefix_on_the_japanese_wiki(
    meta_wiki: LocalWiki, ja_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor = fresh(ja_wiki, "Sak", "Men")
    w = WikiRun(tmp_path, with_ja=True)
    page = w.title("登録")
    add(ja_wiki, learner, page, f"{{{{スキル登録|利用者=利用者:{learner}|学びたい=Lua|言語=ja}}}}")
    add(
        ja_wiki,
        mentor,
        page,
        f"{{{{スキル提供|利用者=[[利用者:{mentor}]]|提供スキル=Lua|言語=ja}}}}",
    )
    report, _, runner = w.run()
    data = runner.store.load_entries()
    assert [s.user for s in data.signups] == [learner]
    assert [o.user for o in data.offers] == [mentor]
    assert [p.code for p in data.problems] == []
    assert report.new_matches == 1 and report.messages.get("saved") == 2
    assert ja_wiki.client(mentor).text(w.title("問題")) is not None


def test_a_no_change_run_after_a_huge_edit_parses_nothing(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    learner, mentor, vandal = fresh(meta_wiki, "Lea", "Men", "Van")
    w = WikiRun(tmp_path)
    page = w.title("Signups")
    before, _ = pair_matched(meta_wiki, w, page, learner, mentor)
    filler = "<!-- " + "padding " * 60_000 + "-->\n"  # ~480 KB
    hostile = "{{Skill signup|user=" + vandal + "|wants=" + "[[x|" * 2_000 + "}}\n"
    add(meta_wiki, vandal, page, filler + hostile + "<b>" * 2_000)

    report, _, runner = w.run()
    assert report.texts_parsed >= 1
    assert_nothing_lost(meta_wiki, w, before, report, runner, vandal)
    saved_problems = problems_text(meta_wiki, w)
    forget_parses()  # as a new process would start
    report, _, runner = w.run()
    assert report.texts_parsed == 0 and report.revisions_fetched == 0
    assert report.edits == 0 and not report.messages
    assert problems_text(meta_wiki, w) == saved_problems
    assert before.entries <= entries(runner.store.load_entries())


def test_a_move_logged_after_its_null_revision_is_still_found(
    meta_wiki: LocalWiki, tmp_path: Path
) -> None:
    """MediaWiki stamps a move's log entry when it writes it, after the move's null revision:
    on a busy server a second or more later. Asked from a null revision two seconds older
    than its log entry, the move is still found (an exact match on the time missed it, and a
    draft moved into the signup pages then counted as written there); a move by someone else
    than the null revision's author, or logged before it, is not taken."""
    import io
    from datetime import datetime, timedelta

    from bot.wiki import Wiki

    (mover,) = fresh(meta_wiki, "Mov")
    w = WikiRun(tmp_path)
    source, target = f"User:{mover}/Draft", w.title("Moved/Draft")
    add(meta_wiki, mover, source, signup(mover))
    client = meta_wiki.client(mover)
    client.post({"action": "move", "from": source, "to": target, "reason": "x"})
    null = client.revisions(target)[-1]
    (page,) = client.get({"action": "query", "titles": target})["query"]["pages"]
    when = datetime.fromisoformat(null["timestamp"].replace("Z", "+00:00"))

    def at(seconds: int) -> str:
        return (when + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    wiki = Wiki.connect("smmeta", "smmeta", "smmeta", out=io.StringIO())
    for ts in (null["timestamp"], at(-2)):
        move = wiki.move_at(page["pageid"], ts, mover)
        assert move is not None and (move.source, move.target, move.user) == (
            source,
            target,
            mover,
        )
    assert wiki.move_at(page["pageid"], at(-2), "Someone else") is None
    assert wiki.move_at(page["pageid"], at(1), mover) is None
