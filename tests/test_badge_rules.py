"""Award rules: deterministic ids, award once, thresholds, events, revocation."""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.badge_rules import (
    CONFIG_PATH,
    IMAGE_DIR,
    REASON_BELOW_THRESHOLD,
    REASON_EVIDENCE_WITHDRAWN,
    REQUIRED_LANGUAGES,
    Attendance,
    Award,
    BadgeConfigError,
    CompletedMentorship,
    CompletedPeerExchange,
    Facts,
    RecordedNeed,
    award_id,
    badge_class_id,
    catalog_from_dict,
    compute_awards,
    default_catalog,
    diff_awards,
    load_catalog,
    revoked_awards,
)

D0 = date(2025, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def mentorship(mid: str, learner: str, mentor: str, skills=("sparql",), n: int = 0):
    return CompletedMentorship(mid, learner, mentor, tuple(skills), day(n))


def of(awards: list[Award], cls: str, user: str | None = None) -> list[Award]:
    return [a for a in awards if a.badge_class == cls and (user is None or a.user == user)]


# -- configuration -----------------------------------------------------------------------------


def test_shipped_catalog_is_complete() -> None:
    cat = load_catalog()
    ids = [k.id for k in cat.kinds]
    for expected in (
        "learner",
        "mentor-1",
        "mentor-3",
        "mentor-10",
        "peer-exchange",
        "event-online",
        "event-offline",
        "trainer",
        "needs-recorder",
    ):
        assert expected in ids
    for kind in cat.kinds:
        assert set(REQUIRED_LANGUAGES) <= set(kind.text)
        assert kind.image_path().is_file()
        svg = kind.image_path().read_text(encoding="utf-8")
        assert "<title" in svg and "<desc" in svg and 'role="img"' in svg
    assert [k.threshold for k in cat.kinds if k.rule == "mentorship-mentor"] == [1, 3, 10]


def test_every_svg_in_image_dir_is_used() -> None:
    # retired.svg: the web tool's image for an awarded class later taken out of the config.
    used = {k.image for k in default_catalog().kinds} | {"retired.svg"}
    assert {p.name for p in IMAGE_DIR.glob("*.svg")} == used


def test_localized_text_fills_in_the_skill() -> None:
    learner = default_catalog().get("learner")
    for lang in REQUIRED_LANGUAGES:
        t = learner.localized(lang, "SPARQL")
        assert "SPARQL" in t.name and "{skill}" not in t.name + t.description + t.criteria
    assert learner.localized("xx", "Lua").name == "Learner: Lua"  # falls back to English


def test_parse_class_id_round_trips() -> None:
    cat = default_catalog()
    assert cat.parse_class_id("learner-sparql")[1] == "sparql"
    assert cat.parse_class_id("peer-exchange-wiki-loves-monuments")[1] == "wiki-loves-monuments"
    assert cat.parse_class_id("mentor-10") == (cat.get("mentor-10"), None)
    for bad in ("learner", "learner-", "nope", "peer-exchange"):
        with pytest.raises(KeyError):
            cat.parse_class_id(bad)
    assert badge_class_id("learner", "lua") == "learner-lua"
    assert badge_class_id("trainer", None) == "trainer"


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["classes"][0].update(rule="nonsense"),
        lambda d: d["classes"][0]["text"].pop("ja"),
        lambda d: d["classes"][0]["text"]["en"].update(name="Learner"),  # no {skill}
        lambda d: d["classes"][1]["text"]["en"].update(name="Mentor {skill}"),
        lambda d: d["classes"].append(copy.deepcopy(d["classes"][1])),  # duplicate id
        lambda d: d["classes"][1].update(id="learner-x"),  # clashes with per-skill prefix
        lambda d: d["classes"][1].update(threshold=0),
        lambda d: d["classes"][1].update(image="missing.svg"),
        lambda d: d["classes"][5].update(format="sometimes"),
        lambda d: d["classes"][1].update(per_skill=True),  # mentor count is not per skill
        lambda d: d["classes"][1].update(id="Mentor One"),
    ],
)
def test_bad_config_is_rejected(mutate) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(BadgeConfigError):
        catalog_from_dict(data)


def test_load_catalog_from_other_path(tmp_path: Path) -> None:
    data = _raw()
    data["classes"] = [c for c in data["classes"] if c["id"] != "mentor-10"]
    p = tmp_path / "b.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "mentor-10" not in [k.id for k in load_catalog(p).kinds]


# -- determinism and award-once ----------------------------------------------------------------


def sample_facts() -> Facts:
    return Facts(
        mentorships=[
            mentorship("M1", "Alice", "Mentor_Max", ("sparql", "lua"), 1),
            mentorship("M2", "Bob", "Mentor Max", ("lua",), 2),
            mentorship("M3", "Chen", "Mentor Max", ("sparql",), 3),
        ],
        peer_exchanges=[CompletedPeerExchange("P1", "Dana", "Eli", ("commons", "lua"), day(4))],
        attendances=[
            Attendance("E1", "Alice", "Tina", "online", ("sparql",), day(5)),
            Attendance("E1", "Bob", "Tina", "online", ("sparql",), day(5)),
            Attendance("E2", "Chen", "Tina", "offline", ("lua",), day(6)),
        ],
        needs=[RecordedNeed("Nora", "arwiki", "sparql", day(7))],
    )


def test_same_facts_same_awards_in_any_order() -> None:
    facts = sample_facts()
    first = compute_awards(facts)
    for seed in range(5):
        rng = random.Random(seed)
        shuffled = Facts(
            mentorships=rng.sample(list(facts.mentorships), len(facts.mentorships)),
            peer_exchanges=rng.sample(list(facts.peer_exchanges), len(facts.peer_exchanges)),
            attendances=rng.sample(list(facts.attendances), len(facts.attendances)),
            needs=rng.sample(list(facts.needs), len(facts.needs)),
        )
        assert compute_awards(shuffled) == first
    assert len({a.id for a in first}) == len(first)
    assert all(len(a.id) == 32 and int(a.id, 16) >= 0 for a in first)


def test_award_id_is_a_stable_hash() -> None:
    a = award_id("learner", "Alice", "sparql", ("match:M1",))
    assert a == award_id("learner", "Alice", "sparql", ("match:M1",))
    assert a == award_id("learner", "Alice_", "sparql", ("match:M1",))  # user normalized
    assert a != award_id("learner", "Alice", "lua", ("match:M1",))
    assert a != award_id("learner", "Alice", "sparql", ("match:M2",))
    assert a != award_id("learner", "Bob", "sparql", ("match:M1",))
    # pinned: changing the scheme would re-issue every published badge under a new URL
    assert a == "3dc6272c2b8e9a43e15fedc7f37b146f"
    assert award_id("mentor-3", "Max", None, ()) == "deec1ba6d2a1dfb2ca6e1199bca40910"


def test_awarding_twice_adds_nothing_new() -> None:
    awards = compute_awards(sample_facts())
    d = diff_awards(awards, compute_awards(sample_facts()))
    assert d.new == () and d.revoked == () and d.evidence_changed == ()
    assert len(d.kept) == len(awards)


def test_new_facts_only_add() -> None:
    facts = sample_facts()
    before = compute_awards(facts)
    more = replace(facts, mentorships=[*facts.mentorships, mentorship("M4", "Dana", "Zoe", n=9)])
    d = diff_awards(before, compute_awards(more))
    assert {(a.user, a.badge_class_id) for a in d.new} == {
        ("Dana", "learner-sparql"),
        ("Zoe", "mentor-1"),
    }
    assert d.revoked == ()


# -- the rules ---------------------------------------------------------------------------------


def test_learner_gets_one_badge_per_skill_of_the_mentorship() -> None:
    awards = compute_awards(
        Facts(mentorships=[mentorship("M1", "Alice", "Max", ("sparql", "lua"))])
    )
    learner = of(awards, "learner", "Alice")
    assert sorted(a.badge_class_id for a in learner) == ["learner-lua", "learner-sparql"]
    assert all(a.evidence == ("match:M1",) for a in learner)
    assert all(a.date == day(0) for a in learner)


def test_two_mentorships_in_one_skill_are_two_achievements() -> None:
    awards = compute_awards(
        Facts(mentorships=[mentorship("M1", "Alice", "Max"), mentorship("M2", "Alice", "Ann", n=5)])
    )
    assert len(of(awards, "learner", "Alice")) == 2


def test_facts_accept_lists_for_skills() -> None:
    m = CompletedMentorship("M1", "Alice", "Max", ["lua"], D0)  # type: ignore[arg-type]
    assert m.skills == ("lua",) and hash(m)
    assert [a.badge_class_id for a in compute_awards(Facts(mentorships=[m]))] == [
        "learner-lua",
        "mentor-1",
    ]


def test_self_mentorship_earns_nothing() -> None:
    assert compute_awards(Facts(mentorships=[mentorship("M1", "Alice", "Alice")])) == []


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, set()),
        (1, {"mentor-1"}),
        (2, {"mentor-1"}),
        (3, {"mentor-1", "mentor-3"}),
        (9, {"mentor-1", "mentor-3"}),
        (10, {"mentor-1", "mentor-3", "mentor-10"}),
        (12, {"mentor-1", "mentor-3", "mentor-10"}),
    ],
)
def test_mentor_thresholds(count: int, expected: set[str]) -> None:
    ms = [mentorship(f"M{i}", f"L{i}", "Max", n=i) for i in range(count)]
    awards = compute_awards(Facts(mentorships=ms))
    mentor = (
        of(awards, "mentor-1", "Max")
        + of(awards, "mentor-3", "Max")
        + of(awards, "mentor-10", "Max")
    )
    assert {a.badge_class for a in mentor} == expected
    for a in mentor:
        n = int(a.badge_class.split("-")[1])
        assert len(a.evidence) == n  # the n earliest completed mentorships
        assert a.date == day(n - 1)  # earned when the n-th was completed


def test_mentor_count_uses_distinct_mentorships() -> None:
    m = mentorship("M1", "Alice", "Max")
    awards = compute_awards(Facts(mentorships=[m, m, replace(m, learner="Alice ")]))
    assert [a.badge_class for a in awards if a.user == "Max"] == ["mentor-1"]


def test_peer_exchange_rewards_both_peers_per_skill() -> None:
    awards = compute_awards(
        Facts(peer_exchanges=[CompletedPeerExchange("P1", "Dana", "Eli", ("lua", "commons"), D0)])
    )
    got = sorted((a.user, a.badge_class_id) for a in awards)
    assert got == [
        ("Dana", "peer-exchange-commons"),
        ("Dana", "peer-exchange-lua"),
        ("Eli", "peer-exchange-commons"),
        ("Eli", "peer-exchange-lua"),
    ]
    assert (
        compute_awards(
            Facts(peer_exchanges=[CompletedPeerExchange("P2", "Dana", "Dana", ("lua",), D0)])
        )
        == []
    )


def test_attendance_online_offline_and_hybrid() -> None:
    awards = compute_awards(
        Facts(
            attendances=[
                Attendance("E1", "Alice", "Tina", "online", ("lua",), D0),
                Attendance("E2", "Alice", "Tina", "offline", ("lua",), day(1)),
                Attendance("E3", "Bob", "Tina", "both", ("lua",), day(2)),
                Attendance("E4", "Chen", "Tina", "Offline", ("lua",), day(3)),
            ]
        )
    )
    part = {(a.user, a.badge_class, a.evidence) for a in awards if a.badge_class != "trainer"}
    assert part == {
        ("Alice", "event-online", ("event:E1",)),
        ("Alice", "event-offline", ("event:E2",)),
        ("Bob", "event-online", ("event:E3",)),  # hybrid counts as online
        ("Chen", "event-offline", ("event:E4",)),
    }


def test_each_event_attended_is_its_own_badge() -> None:
    awards = compute_awards(
        Facts(
            attendances=[
                Attendance("E1", "Alice", "Tina", "online", (), D0),
                Attendance("E2", "Alice", "Tina", "online", (), day(7)),
            ]
        )
    )
    assert len(of(awards, "event-online", "Alice")) == 2


def test_trainer_needs_attendees_other_than_themself() -> None:
    only_self = Facts(attendances=[Attendance("E1", "Tina", "Tina", "online", (), D0)])
    assert compute_awards(only_self) == []  # organizer listing themself is not an audience
    with_people = Facts(
        attendances=[
            Attendance("E1", "Tina", "Tina", "online", (), D0),
            Attendance("E1", "Alice", "Tina", "online", (), D0),
            Attendance("E1", "Bob", "Tina", "online", (), D0),
            Attendance("E1", "Carol", "Tina", "online", (), D0),
            Attendance("E2", "Alice", "Tina", "offline", (), day(3)),
            Attendance("E2", "Bob", "Tina", "offline", (), day(3)),
            Attendance("E2", "Carol", "Tina", "offline", (), day(3)),
        ]
    )
    trainer = of(compute_awards(with_people), "trainer", "Tina")
    assert sorted(a.evidence for a in trainer) == [("event:E1",), ("event:E2",)]


def test_trainer_needs_three_other_attendees() -> None:
    """The shipped threshold: organizer + one or two socks earn no trainer badge."""
    assert default_catalog().get("trainer").min_attendees == 3
    people = ["Tina", "Sock1", "Sock2", "Sock2", "sock2"]  # repeats count once
    two = Facts(attendances=[Attendance("E1", u, "Tina", "online", (), D0) for u in people])
    assert of(compute_awards(two), "trainer") == []
    assert {a.user for a in of(compute_awards(two), "event-online")} == {"Sock1", "Sock2"}
    three = Facts(
        attendances=[*two.attendances, Attendance("E1", "Sock3", "Tina", "online", (), D0)]
    )
    assert [a.user for a in of(compute_awards(three), "trainer")] == ["Tina"]


def test_needs_recorder_once_per_user() -> None:
    awards = compute_awards(
        Facts(
            needs=[
                RecordedNeed("Nora", "arwiki", "sparql", day(2)),
                RecordedNeed("Nora", "arwiki", "lua", day(1)),
                RecordedNeed("Nora", "jawiki", "lua", day(3)),
                RecordedNeed("Omar", "ArWiki", "lua", day(4)),  # confirms Nora's arwiki/lua
            ]
        )
    )
    (award,) = of(awards, "needs-recorder", "Nora")
    assert award.evidence == ("need:arwiki:lua",) and award.date == day(1)
    (omar,) = of(awards, "needs-recorder", "Omar")  # and Nora's confirms Omar's
    assert omar.evidence == ("need:ArWiki:lua",)


def test_needs_recorder_alone_earns_nothing() -> None:
    """Many needs by one person, under several spellings of their name: no badge."""
    needs = [RecordedNeed(u, "arwiki", s, D0) for u in ("Nora", "nora") for s in ("lua", "sql")]
    assert compute_awards(Facts(needs=needs)) == []


@pytest.mark.parametrize(
    ("facts", "confirmed"),
    [
        # an event on the skill organized and attended by others
        (Facts(attendances=[Attendance("E1", "Ann", "Tom", "online", ("lua",), D0)]), True),
        # ... but not one the recorder organized, attended, or on another skill
        (Facts(attendances=[Attendance("E1", "Ann", "Nora", "online", ("lua",), D0)]), False),
        (Facts(attendances=[Attendance("E1", "Nora", "Tom", "online", ("lua",), D0)]), False),
        (Facts(attendances=[Attendance("E1", "Ann", "Tom", "online", ("sql",), D0)]), False),
        # the organizer listing themself is no audience
        (Facts(attendances=[Attendance("E1", "Tom", "Tom", "online", ("lua",), D0)]), False),
        (Facts(mentorships=[mentorship("M1", "Ann", "Max", ("lua",))]), True),
        (Facts(mentorships=[mentorship("M1", "Nora", "Max", ("lua",))]), False),
        (Facts(peer_exchanges=[CompletedPeerExchange("P1", "A", "B", ("lua",), D0)]), True),
        (Facts(peer_exchanges=[CompletedPeerExchange("P1", "A", "Nora", ("lua",), D0)]), False),
        # another recorder of the same skill for another community does not confirm it
        (Facts(needs=[RecordedNeed("Omar", "jawiki", "lua", D0)]), False),
    ],
)
def test_needs_recorder_counts_needs_others_acted_on(facts: Facts, confirmed: bool) -> None:
    mine = RecordedNeed("Nora", "arwiki", "lua", D0)
    awards = compute_awards(replace(facts, needs=[*facts.needs, mine]))
    assert bool(of(awards, "needs-recorder", "Nora")) is confirmed


def test_confirmed_needs_is_checked_in_config() -> None:
    data = yaml.safe_load(Path("config/badges.yaml").read_text(encoding="utf-8"))
    kinds = {c["id"]: c for c in data["classes"]}
    kinds["needs-recorder"]["confirmed_needs"] = "yes"
    with pytest.raises(BadgeConfigError, match="confirmed_needs"):
        catalog_from_dict(data)
    kinds["needs-recorder"]["confirmed_needs"] = False
    kinds["trainer"]["confirmed_needs"] = True
    with pytest.raises(BadgeConfigError, match="needs-recorder"):
        catalog_from_dict(data)
    kinds["trainer"].pop("confirmed_needs")
    cat = catalog_from_dict(data)
    alone = [RecordedNeed("Nora", "arwiki", "lua", D0)]
    assert [a.user for a in compute_awards(Facts(needs=alone), cat)] == ["Nora"]


def test_user_names_are_normalized() -> None:
    awards = compute_awards(Facts(mentorships=[mentorship("M1", "Jane_Doe", "Max  Mentor")]))
    assert {a.user for a in awards} == {"Jane Doe", "Max Mentor"}


# -- revocation --------------------------------------------------------------------------------


def test_withdrawn_mentorship_revokes_exactly_its_awards() -> None:
    facts = sample_facts()
    before = compute_awards(facts)
    after_facts = replace(facts, mentorships=[m for m in facts.mentorships if m.match_id != "M1"])
    d = diff_awards(before, compute_awards(after_facts))
    revoked = {(r.award.user, r.award.badge_class_id, r.code) for r in d.revoked}
    assert revoked == {
        ("Alice", "learner-sparql", REASON_EVIDENCE_WITHDRAWN),
        ("Alice", "learner-lua", REASON_EVIDENCE_WITHDRAWN),
        ("Mentor Max", "mentor-3", REASON_BELOW_THRESHOLD),
    }
    assert d.new == ()
    # mentor-1 survives (two mentorships remain) with the same id but new evidence
    (changed,) = d.evidence_changed
    assert changed.badge_class == "mentor-1" and changed.evidence == ("match:M2",)
    assert all("withdrawn" in r.reason or "Fewer than" in r.reason for r in d.revoked)
    assert revoked_awards(before, compute_awards(after_facts)) == list(d.revoked)


def test_milestone_survives_substitution() -> None:
    """Four mentorships; the first is withdrawn: mentor-3 keeps its id (no revoke/re-issue)."""
    ms = [mentorship(f"M{i}", f"L{i}", "Max", n=i) for i in range(4)]
    before = of(compute_awards(Facts(mentorships=ms)), "mentor-3")
    after = of(compute_awards(Facts(mentorships=ms[1:])), "mentor-3")
    assert [a.id for a in before] == [a.id for a in after]
    d = diff_awards(before, after)
    assert d.revoked == () and d.new == ()
    assert d.evidence_changed[0].evidence == ("match:M1", "match:M2", "match:M3")


def test_withdrawn_attendance_revokes_participant_and_maybe_trainer() -> None:
    facts = Facts(
        attendances=[
            Attendance("E1", "Alice", "Tina", "online", (), D0),
            Attendance("E1", "Bob", "Tina", "online", (), D0),
            Attendance("E1", "Carol", "Tina", "online", (), D0),
            Attendance("E1", "Dan", "Tina", "online", (), D0),
        ]
    )
    before = compute_awards(facts)
    one_left = compute_awards(Facts(attendances=facts.attendances[1:]))
    d = diff_awards(before, one_left)
    assert {(r.award.user, r.award.badge_class) for r in d.revoked} == {("Alice", "event-online")}
    below = diff_awards(before, compute_awards(Facts(attendances=facts.attendances[2:])))
    assert {(r.award.user, r.award.badge_class) for r in below.revoked} == {
        ("Alice", "event-online"),
        ("Bob", "event-online"),
        ("Tina", "trainer"),
    }
    none_left = diff_awards(before, compute_awards(Facts()))
    assert {r.award.badge_class for r in none_left.revoked} == {"event-online", "trainer"}


def test_restored_confirmation_reinstates_the_same_award() -> None:
    facts = Facts(mentorships=[mentorship("M1", "Alice", "Max")])
    awards = compute_awards(facts)
    d1 = diff_awards(awards, compute_awards(Facts()))
    revoked = [r.award for r in d1.revoked]
    d2 = diff_awards([], compute_awards(facts), stored_revoked=revoked)
    assert d2.new == ()
    assert sorted(a.id for a in d2.reinstated) == sorted(a.id for a in awards)
