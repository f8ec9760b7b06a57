"""The pure rules behind safe writes: account statuses, keyed markers, bounded report pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import mwparserfromhell
import pytest

from bot import accounts, messages, render
from bot.config import ConfigError
from bot.i18n import Messages
from bot.models import Attendee, Event, Need, Offer, Origin, ParseResult, Problem, Signup
from bot.run import Runner, report_pages
from bot.store import Store
from tests.wikirun import WikiRun

EN = Messages("en")


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("192.0.2.7", "ip"),
        ("10.0.0.xxx", "ip"),  # how MediaWiki shows hidden addresses
        ("001.002.003.004", "ip"),  # MediaWiki's User::isIP takes leading zeros too
        ("2001:DB8:0:0:0:0:0:1", "ip"),
        ("2001:db8::1", "ip"),
        ("~2026-12345", "temporary"),
        ("~2027-1-23", "temporary"),
        ("<b>x", "invalid"),
        ("a|b", "invalid"),
        ("", "invalid"),
        ("Alice", None),
        ("~Tilde", None),  # an ordinary (if odd) name: the wiki decides
        ("1.2.3", None),
        ("さくら", None),
    ],
)
def test_names_decided_by_their_spelling(name: str, status: str | None) -> None:
    assert accounts.by_rule(name) == status


@pytest.mark.parametrize(
    ("row", "status"),
    [
        ({"name": "Ghost", "missing": True}, "missing"),
        ({"name": "<b>x", "invalid": True}, "invalid"),
        ({"name": "Vandal", "userid": 7, "blockid": 3, "blockexpiry": "infinite"}, "blocked"),
        ({"name": "Edgy", "userid": 8, "blockid": 4, "blockpartial": True}, "ok"),
        ({"name": "Alice", "userid": 1, "editcount": 0, "registration": None}, "ok"),
        ({"name": "~2026-1", "userid": 9, "temp": True}, "temporary"),
    ],
)
def test_api_rows_become_statuses(row: dict[str, object], status: str) -> None:
    assert accounts.from_api(row) == status


def origin(wiki: str = "w", author: str = "Org") -> Origin:
    return Origin(wiki, "Page", 3, 42, author)


def test_filter_holds_out_entries_with_a_bad_name_and_says_why() -> None:
    event = Event("ev", "Lua day", "Org", ("lua",), date(2026, 11, 1), origin=origin())
    result = ParseResult(
        signups=[Signup("Alice", ("en",), origin=origin(author="Alice"))],
        offers=[Offer((), ("en",), organization="WMXX", origin=origin())],  # names nobody
        needs=[Need("c", "lua", "1.2.3.4", origin=origin(author="1.2.3.4"))],
        events=[event],
        attendees=[
            Attendee("ev", u, origin=origin()) for u in ("Real", "Ghost", "Vandal", "Unasked")
        ],
        problems=[Problem(origin(), "Skill signup", "bad-username", ("user", "x"))],
    )
    known = {
        ("w", "Alice"): "ok",
        ("w", "Org"): "ok",
        ("w", "Real"): "ok",
        ("w", "Ghost"): "missing",
        ("w", "Vandal"): "blocked",
        ("w", "1.2.3.4"): "ip",
        ("other", "Unasked"): "ok",  # an answer for another wiki does not count here
    }
    assert accounts.wanted(result) == {
        ("w", n) for n in ("Alice", "Org", "Real", "Ghost", "Vandal", "Unasked", "1.2.3.4")
    }
    out = accounts.filter(result, known)
    assert [s.user for s in out.signups] == ["Alice"]
    assert len(out.offers) == 1 and out.events == [event]
    assert out.needs == [] and [a.user for a in out.attendees] == ["Real"]
    assert [(p.code, p.params, p.template) for p in out.problems] == [
        ("bad-username", ("user", "x"), "Skill signup"),
        ("account-ip", ("1.2.3.4",), "Skill need"),
        ("account-missing", ("Ghost",), "Skill attendee"),
        ("account-blocked", ("Vandal",), "Skill attendee"),
        ("account-unchecked", ("Unasked",), "Skill attendee"),
    ]
    assert all(p.origin.revid == 42 for p in out.problems[1:])  # the report links the edit
    assert len(result.attendees) == 4  # the input is not changed


def test_every_account_status_has_a_problem_message_in_every_language() -> None:
    for lang in ("en", "ar", "es", "fr", "ja"):
        msgs = Messages(lang)
        for status in accounts.STATUSES:
            if status == accounts.OK:
                continue
            text = msgs(f"skillmatch-problem-account-{status}", "Zed")
            assert "Zed" in text and "⧼" not in text, (lang, status)


def test_markers_are_keyed_and_replace_the_plain_one() -> None:
    mid = "match:M1234567890:Alice"
    one, other = messages.marker(mid, b"k1"), messages.marker(mid, b"k2")
    assert one != other and one.startswith(f"<!-- skillmatch:{mid} ") and one.endswith(" -->")
    assert messages.marker(mid, b"k1") == one  # a retried post is byte-identical
    assert messages.marker("match:M1234567890:Bob", b"k1") != one
    queued = messages.match_message(
        {"id": "M1", "kind": "mentor", "a": "Alice", "b": "Bob", "skills": ["lua"], "reasons": []},
        "Alice",
        "w",
        EN,
        str,
        {"matches": "M"},
    )
    posted = messages.with_marker(queued["payload"]["body"], queued["id"], b"k1")
    assert posted.endswith("\n" + messages.marker(queued["id"], b"k1"))
    assert messages.plain_marker(queued["id"]) not in posted


def test_the_marker_key_comes_from_the_environment_a_file_or_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = WikiRun(tmp_path).config()
    monkeypatch.delenv(messages.KEY_ENV, raising=False)
    monkeypatch.delenv(messages.KEY_FILE_ENV, raising=False)
    stored = Runner(cfg).marker_key
    assert len(stored) == 64 and Runner(cfg).marker_key == stored  # kept in the store
    assert Store(cfg.store).marker_key() == stored
    key_file = tmp_path / "marker.key"
    key_file.write_text("from a file\n")
    monkeypatch.setenv(messages.KEY_FILE_ENV, str(key_file))
    assert Runner(cfg).marker_key == b"from a file"
    monkeypatch.setenv(messages.KEY_ENV, "from the environment")
    assert Runner(cfg).marker_key == b"from the environment"
    monkeypatch.delenv(messages.KEY_ENV)
    monkeypatch.setenv(messages.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(ConfigError, match="SKILLMATCH_MARKER_KEY_FILE"):
        Runner(cfg)


def test_account_cache_and_marker_key_round_trip(db_url: str) -> None:
    store = Store(db_url)  # SQLite and MariaDB (ToolsDB)
    store.create_schema()
    key = store.marker_key()
    assert len(key) == 64 and store.marker_key() == key
    with store.transaction() as conn:
        store.save_accounts(
            conn,
            [
                {"wiki": "w", "username": "Alice", "status": "ok", "editcount": 5},
                {"wiki": "w", "username": "Ghost", "status": "missing"},
                {"wiki": "w", "username": "ghost", "status": "invalid"},  # another name
            ],
        )
        store.save_accounts(conn, [{"wiki": "w", "username": "Ghost", "status": "ok"}])
    got = store.load_accounts([("w", "Alice"), ("w", "Ghost"), ("w", "ghost"), ("x", "Alice")])
    assert {k: v[0] for k, v in got.items()} == {
        ("w", "Alice"): "ok",
        ("w", "Ghost"): "ok",
        ("w", "ghost"): "invalid",
    }
    checked = got[("w", "Alice")][1]
    assert abs(datetime.now(UTC) - checked) < timedelta(minutes=5)


def test_only_report_pages_are_writable_never_a_signup_page(tmp_path: Path) -> None:
    source = WikiRun(tmp_path).config().wikis[0]
    pages = report_pages(source)
    assert "confirmations" not in pages  # points at the signup page in this configuration
    assert set(pages) == {"needs_map", "problems", "matches", "waiting", "badges"}
    slip = type(source)(**{**source.__dict__, "pages": {"problems": source.signup_pages[0]}})
    assert report_pages(slip) == {}


def flood(n: int) -> list[Problem]:
    snippet = "{{Skill signup|user=Alice|wants=Lua|languages=en|community=c}}"
    return [
        Problem(Origin("w", "Flood", i + 1, 99, "Mallory"), "Skill signup", "not-own-entry",
                ("Alice", "Mallory"), snippet)
        for i in range(n)
    ]  # fmt: skip


def test_ten_thousand_problems_are_summarised_under_the_size_limit() -> None:
    problems = flood(10_000)
    whole = render.problems_page(problems, EN, shown=len(problems))
    assert len(whole.encode()) > 2 * 1024 * 1024  # what the bot used to try to save
    page = render.problems_page(problems, EN)
    assert len(page.encode()) < 1024 * 1024
    assert page.count("\n|-\n") == render.SHOWN + 1  # the first 500 and one row per code
    assert "10000" in page and EN("skillmatch-problems-shown", 500, 10_000) in page
    small = render.problems_page(problems[:3], EN)
    assert small.count("\n|-\n") == 3 and "Problems by kind" not in small


def test_long_values_are_cut_in_report_cells() -> None:
    (p,) = flood(1)
    p = Problem(p.origin, p.template, "not-own-entry", ("x" * 100_000, "Mallory"), "y" * 100_000)
    page = render.problems_page([p], EN)
    assert len(page) < 2_000 and "x" * render.CELL + "…" in page


def test_fit_cuts_at_a_row_closes_the_table_and_counts_what_is_left_out() -> None:
    rows = [[f"cell {i} " + "é" * 50] for i in range(1000)]
    text = render.wikitable(["Head"], rows) + "\n\nafter the table\n"
    assert render.fit(text, len(text.encode()), EN) == text
    cut = render.fit(text, 20_000, EN)
    assert len(cut.encode()) <= 20_000
    kept = cut.count("\n|-\n")
    assert 100 < kept < 1000 and "after the table" not in cut
    assert EN("skillmatch-report-truncated", 1000 - kept, 20_000) in cut
    tables = mwparserfromhell.parse(cut).filter_tags(matches=lambda t: t.tag == "table")
    assert len(tables) == 1  # still one whole table: opened and closed
    assert cut.rstrip("\n").splitlines()[-2] == "|}"


def test_delivery_section_lists_the_first_rows_and_names_refusals() -> None:
    failures = [
        {"id": str(i), "title": f"User talk:U{i:04d}", "reason": "redirect"} for i in range(600)
    ]
    text = render.delivery_section(failures, EN)
    assert text.count("\n|-\n") == render.SHOWN
    assert EN("skillmatch-report-more", 100) in text
    assert EN("skillmatch-refused-redirect") in text


def test_fit_keeps_whole_row_templates_of_the_badges_page() -> None:
    awards = [
        {
            "id": f"{i:040x}",
            "username": f"User{i}",
            "badge_class": "learner",
            "skill": None,
            "issued_on": "2026-11-01",
        }
        for i in range(2000)
    ]

    class Kind:
        def localized(self, lang: str, skill: str | None) -> Kind:
            return self

        name = "Learner"

    class Catalog:
        def get(self, badge_class: str) -> Kind:
            return Kind()

    text = render.badges_page(awards, EN, str, Catalog(), "http://x", "en")
    cut = render.fit(text, 50_000, EN)
    assert len(cut.encode()) <= 50_000
    lines = cut.rstrip("\n").splitlines()
    rows = [line for line in lines if line.startswith("{{Skill badge")]
    assert 100 < len(rows) < 2000 and all(line.endswith("}}") for line in rows)
    assert lines[-2] == "|}" and EN("skillmatch-report-truncated", 2000 - len(rows), 50_000) in cut
