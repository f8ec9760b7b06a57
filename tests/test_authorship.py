"""Authorship from page history: only the named user's own edit makes their entry count."""

from __future__ import annotations

from bot.authorship import Revision
from bot.gather import check_page
from bot.models import ParseResult
from tests.helpers import TODAY, codes, core

A = "{{Skill signup|user=Alice|wants=Lua|languages=en}}"
A2 = "{{Skill signup|user=Alice|wants=SPARQL|languages=en}}"
A_FORGED = "{{Skill signup|user=Alice|wants=Commons|languages=en}}"
B = "{{Skill signup|user=Bob|wants=Lua|languages=en}}"


class Page:
    """Replays revisions through check_page, carrying the state like the store does."""

    def __init__(self) -> None:
        self.state: dict | None = None
        self.revid = 0
        self.text = ""
        self.organizers: dict[str, str] = {}

    def edit(self, user: str, text: str) -> ParseResult:
        return self.edits([(user, text)])

    def edits(self, changes: list[tuple[str, str | None]]) -> ParseResult:
        """Revisions in a row; a text of None is a revision whose content is hidden."""
        revs = []
        for user, text in changes:
            self.revid += 1
            revs.append(Revision(self.revid, self.revid - 1, user, "", text))
            if text is not None:
                self.text = text
        self.state, result = check_page(
            wiki="w",
            title="P",
            lang="en",
            core=core(),
            state=self.state,
            revisions=revs,
            current_text=self.text,
            organizers=self.organizers,
            today=TODAY,
        )
        return result


def wants(result: ParseResult) -> dict[str, list[str]]:
    return {s.user: [w.skill for w in s.wants] for s in result.signups}


def test_own_entry_is_accepted_with_its_revision() -> None:
    p = Page()
    r = p.edit("Alice", A)
    assert wants(r) == {"Alice": ["lua"]}
    assert r.signups[0].origin.revid == 1 and r.signups[0].origin.author == "Alice"
    assert r.problems == []


def test_entry_added_under_another_name_is_rejected_and_reported() -> None:
    p = Page()
    r = p.edit("Mallory", A)
    assert r.signups == []
    (problem,) = r.problems
    assert problem.code == "not-own-entry"
    assert problem.params == ("Alice", "Mallory")
    assert problem.origin.revid == 1 and problem.origin.line == 1


def test_owner_later_own_edit_is_accepted() -> None:
    p = Page()
    p.edit("Alice", A)
    r = p.edit("Alice", A2)
    assert wants(r) == {"Alice": ["sparql"]}
    assert r.signups[0].origin.revid == 2


def test_someone_elses_change_leaves_owner_version_in_force() -> None:
    p = Page()
    p.edits([("Bob", B), ("Alice", B + "\n" + A)])
    r = p.edit("Mallory", B + "\n" + A_FORGED)
    assert wants(r) == {"Alice": ["lua"], "Bob": ["lua"]}
    assert {x.code for x in r.problems} == {"not-own-entry", "removed-by-other"}
    # Later unrelated edits by others keep it that way.
    r = p.edit("Bob", B + "\n" + A_FORGED + "\n")
    assert wants(r)["Alice"] == ["lua"]


def test_removal_by_someone_else_keeps_entry_until_owner_edits_own_entries() -> None:
    p = Page()
    p.edit("Alice", A)
    r = p.edit("Mallory", "")
    assert wants(r) == {"Alice": ["lua"]}
    assert [x.code for x in r.problems] == ["removed-by-other"]
    r = p.edit("Alice", A2)
    assert wants(r) == {"Alice": ["sparql"]}
    assert r.problems == []


def test_owner_removing_own_entry_removes_it() -> None:
    p = Page()
    p.edits([("Bob", B), ("Alice", B + "\n" + A)])
    r = p.edit("Alice", B)
    assert wants(r) == {"Bob": ["lua"]}


def test_anyone_may_clean_up_a_forgery() -> None:
    p = Page()
    p.edit("Mallory", A)
    r = p.edit("Bob", "")
    assert r.signups == [] and r.problems == []
    r = p.edit("Alice", A)
    assert wants(r) == {"Alice": ["lua"]}


def test_reformatting_by_others_is_not_a_change() -> None:
    p = Page()
    p.edit("Alice", A)
    r = p.edit("Bob", "{{Skill signup\n| languages = en\n| user = Alice\n| wants = Lua\n}}")
    assert wants(r) == {"Alice": ["lua"]} and r.problems == []


def test_incremental_state_equals_full_replay() -> None:
    texts = [
        ("Alice", A),
        ("Mallory", A_FORGED),
        ("Bob", A_FORGED + "\n" + B),
        ("Alice", A2 + "\n" + B),
    ]
    one = Page()
    one.edits(texts)
    step = Page()
    for user, text in texts:
        last = step.edit(user, text)
    assert one.state == step.state
    assert wants(last) == {"Alice": ["sparql"], "Bob": ["lua"]}


def test_attendance_only_from_the_event_organizer() -> None:
    event = "{{Skill event|id=e1|title=T|organizer=Grace|skills=Lua|date=2026-12-01}}"
    p = Page()
    p.edit("Grace", event)
    r = p.edit("Mallory", event + "\n{{Skill attendee|event=e1|user=Mallory}}")
    assert r.attendees == []
    assert [x.code for x in r.problems] == ["not-own-entry"]
    r = p.edit("Grace", event + "\n{{Skill attendee|event=e1|user=Heidi}}")
    assert [a.user for a in r.attendees] == ["Heidi"]


def test_hidden_revision_is_skipped() -> None:
    p = Page()
    p.edit("Alice", A)
    r = p.edits([("Mallory", None)])
    assert wants(r) == {"Alice": ["lua"]}


def test_owner_editing_next_to_a_verbatim_forgery_updates_their_entry() -> None:
    """Mallory copies Alice's entry verbatim; Alice then edits her copy: her new version
    is the one in force, and the leftover copy is still reported."""
    p = Page()
    p.edit("Alice", A)
    forged = p.edit("Mallory", A + "\n" + A)
    assert "not-own-entry" in codes(forged)
    r = p.edit("Alice", A2 + "\n" + A)
    assert wants(r) == {"Alice": ["sparql"]}
    assert "not-own-entry" in codes(r)  # Mallory's copy is still on the page


def test_a_revert_restores_the_owners_entry_without_blaming_the_reverter() -> None:
    p = Page()
    p.edit("Alice", A)
    p.edit("Mallory", A_FORGED)
    r = p.edit("Admin", A)  # an administrator reverts Mallory
    assert wants(r)["Alice"] == ["lua"]
    assert codes(r) == []  # neither "added by Admin" nor "removed by Mallory"
    assert r.signups[0].origin.author == "Alice" and r.signups[0].origin.revid == 1


def test_changes_across_a_hidden_revision_belong_to_its_author_too() -> None:
    """Bob adds his entry in a revision later hidden (it also held private data); Carol's
    next edit must not be read as Carol forging Bob's entry."""
    p = Page()
    p.edit("Alice", A)
    r = p.edits([("Bob", None), ("Carol", A + "\n" + B)])
    assert wants(r) == {"Alice": ["lua"], "Bob": ["lua"]}
    assert codes(r) == []


def test_names_compare_as_mediawiki_capitalises_them() -> None:
    """'ßen' is its own account on Wikimedia wikis (never 'SSen'): template and history agree."""
    p = Page()
    r = p.edit("ßen", "{{Skill signup|user=ßen|wants=Lua|languages=en}}")
    assert wants(r) == {"ßen": ["lua"]} and codes(r) == []
    r = p.edit("Bob_Smith", p.text + "\n{{Skill signup|user=bob Smith|wants=Lua|languages=en}}")
    assert set(wants(r)) == {"ßen", "Bob Smith"} and codes(r) == []
