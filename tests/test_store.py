"""The one SQL layer on both backends: SQLite and a real MariaDB server (db_url fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from bot import store as st
from bot.models import Event, Offer, Origin, ParseResult, Problem, Signup, SkillLevel
from bot.store import Store


def sample() -> ParseResult:
    r = ParseResult()
    r.signups.append(
        Signup(
            user="ليلى",
            languages=("ar", "en"),
            wants=(SkillLevel("sparql", "beginner"),),
            offers=(SkillLevel("lua", None),),
            community="arwiki",
            region="EG",
            timezone="UTC+2",
            utc_offset=120,
            away_until=date(2027, 1, 1),
            origin=Origin("meta", "P/Signups", 3, 42, "ليلى"),
        )
    )
    r.signups.append(
        Signup(
            user="さくら 🌸",
            languages=("ja",),
            wants=(SkillLevel("lua"),),
            origin=Origin("ja", "P", 1, 7, "さくら 🌸"),
        )
    )
    r.offers.append(
        Offer(
            skills=(SkillLevel("lua", "expert"),),
            languages=("en",),
            user="Carol",
            capacity=3,
            origin=Origin("meta", "P/Offers", 1, 5, "Carol"),
        )
    )
    r.events.append(
        Event(
            "ev1",
            "Wikidata day",
            "Grace",
            ("wikidata",),
            date(2026, 11, 1),
            "offline",
            "KE",
            ("en", "sw"),
            Origin("meta", "P/Events", 2, 9, "Grace"),
        )
    )
    r.problems.append(
        Problem(
            Origin("meta", "P/Signups", 9, 44, "Mallory"),
            "Skill signup",
            "not-own-entry",
            ("Alice", "Mallory"),
            "{{Skill signup|…}}",
        )
    )
    return r


def test_entries_round_trip_with_unicode(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    with s.transaction() as conn:
        s.replace_entries(
            conn,
            sample(),
            [("meta", "P/Signups"), ("ja", "P"), ("meta", "P/Offers"), ("meta", "P/Events")],
        )
    back = s.load_entries()
    assert back.signups == sample().signups
    assert back.offers == sample().offers
    assert back.events == sample().events
    assert back.problems == sample().problems
    with s.engine.connect() as conn:
        skills = sorted(
            conn.execute(sa.select(st.entry_skills.c.skill, st.entry_skills.c.role)).all()
        )
    assert ("sparql", "want") in skills and ("lua", "mentor") in skills


def test_replacing_one_page_keeps_the_others(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    with s.transaction() as conn:
        s.replace_entries(
            conn, sample(), [("meta", "P/Signups"), ("ja", "P"), ("meta", "P/Offers")]
        )
    only_offers = ParseResult(offers=sample().offers)
    with s.transaction() as conn:
        s.replace_entries(conn, ParseResult(), [("meta", "P/Signups")])
    back = s.load_entries()
    assert [x.user for x in back.signups] == ["さくら 🌸"]
    assert back.offers == only_offers.offers


def test_keys_are_exact_on_both_backends(db_url: str) -> None:
    """Case and emoji variants are different pages/people (MariaDB's _ci would merge them)."""
    s = Store(db_url)
    s.create_schema()
    with s.transaction() as conn:
        s.save_page_state(conn, "meta", "Foo", 1, {"a": 1})
        s.save_page_state(conn, "meta", "foo", 2, {"a": 2})
        s.save_page_state(conn, "meta", "😀", 3, {})
        s.save_page_state(conn, "meta", "😃", 4, {})
    states = s.page_states([("meta", "Foo"), ("meta", "foo"), ("meta", "😀"), ("meta", "😃")])
    assert {k: v[0] for k, v in states.items()} == {
        ("meta", "Foo"): 1,
        ("meta", "foo"): 2,
        ("meta", "😀"): 3,
        ("meta", "😃"): 4,
    }


def test_outbox_enqueues_once_and_tracks_delivery(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    msg = {
        "id": "match:M1:Alice",
        "wiki": "meta",
        "title": "User talk:Alice",
        "kind": "match",
        "payload": {"body": "x"},
    }
    with s.transaction() as conn:
        assert s.enqueue(conn, msg) is True
        assert s.enqueue(conn, msg) is False
    assert [m["id"] for m in s.pending_messages()] == ["match:M1:Alice"]
    s.mark_message("match:M1:Alice", "failed", "protected")
    assert s.pending_messages() == []
    assert s.undelivered("meta") == [
        {"id": "match:M1:Alice", "title": "User talk:Alice", "reason": "protected"}
    ]


def test_matches_awards_and_runs(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    now = datetime(2026, 11, 25, 12, 0, 0)
    row = {
        "id": "MABC",
        "kind": "peer",
        "a": "A",
        "b": "B",
        "a_wiki": "meta",
        "b_wiki": "ja",
        "skills": {"a_learns": ["lua"], "b_learns": ["sparql"]},
        "score": 71.5,
        "reasons": [{"key": "exchange", "params": {}}],
        "state": "proposed",
        "paused": False,
        "created": now,
        "updated": now,
    }
    with s.transaction() as conn:
        s.save_match(conn, row)
        s.save_match(conn, {**row, "state": "active"})
        s.save_award(
            conn,
            {
                "id": "a" * 32,
                "username": "A",
                "wiki": "meta",
                "badge_class": "learner",
                "skill": "lua",
                "issued_on": date(2026, 11, 2),
                "evidence": ["match:MABC"],
                "salt": "s",
                "revoked": False,
                "revocation_reason": None,
            },
        )
    (m,) = s.load_matches()
    assert m["state"] == "active" and m["skills"]["b_learns"] == ["sparql"] and m["score"] == 71.5
    (a,) = s.load_awards()
    assert a["issued_on"] == date(2026, 11, 2) and a["evidence"] == ["match:MABC"]
    run = s.begin_run()
    s.finish_run(run, "ok", {"edits": 0})
    assert s.last_run()["stats"] == {"edits": 0}


def test_edits_seen_keep_each_users_newest(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    old, new = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 6, 7, 8, 9, 10, tzinfo=UTC)
    with s.transaction() as conn:
        s.note_edits(conn, {"ليلى": old, "Carol": new})
    with s.transaction() as conn:
        s.note_edits(conn, {"ليلى": new, "Carol": old})  # an older edit never wins
    assert s.last_edits(["ليلى", "Carol", "Nobody"]) == {"ليلى": new, "Carol": new}
    assert s.last_edits(["carol"]) == {}  # names are exact keys


def test_one_run_lock_at_a_time(db_url: str) -> None:
    s = Store(db_url)
    s.create_schema()
    first, second = {"pid": 1, "host": "a"}, {"pid": 2, "host": "b"}
    assert s.take_lock(first, stale=lambda holder: False)
    assert not s.take_lock(second, stale=lambda holder: False)  # held by a live run
    assert s.take_lock(second, stale=lambda holder: holder == first)  # a dead one's is broken
    s.drop_lock(first)  # not the holder any more: changes nothing
    assert not s.take_lock(first, stale=lambda holder: False)
    s.drop_lock(second)
    assert s.take_lock(first, stale=lambda holder: False)


def test_a_store_copies_into_a_scratch_sqlite(db_url: str, tmp_path) -> None:
    """What a dry run on ToolsDB works on: the same rows, in a throwaway file."""
    s = Store(db_url)
    s.create_schema()
    with s.transaction() as conn:
        s.replace_entries(conn, sample(), [("meta", "P/Signups")])
        s.note_edits(conn, {"ليلى": datetime(2026, 1, 2, tzinfo=UTC)})
    scratch = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    s.copy_to(scratch)
    assert scratch.load_entries().signups == s.load_entries().signups
    assert scratch.last_edits(["ليلى"]) == s.last_edits(["ليلى"])
