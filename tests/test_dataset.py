"""The generated demo population: deterministic, realistic, and the bot agrees with its plan.

The pure tests check the dataset against the parser (no history); the wiki tests seed a small
dataset into the real local wikis, run the bot, and expect exactly the planned entries and
problems, with the one impersonation rejected.
"""

from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bot.config import CONFIG_DIR, Config, WikiSource
from bot.gather import parse_text
from devtools import dataset
from devtools.seed import page_texts, seed
from tests.helpers import TODAY, core

BUCKETS = ("signups", "offers", "needs", "resources", "events", "attendees")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ARABIC = re.compile(r"[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def demo() -> dataset.Dataset:
    return dataset.demo_dataset()


def test_same_seed_same_dataset_other_seed_other_dataset(demo: dataset.Dataset) -> None:
    again = dataset.demo_dataset()
    assert again.pages == demo.pages and again.people == demo.people
    assert dataset.demo_dataset(seed=7).pages != demo.pages
    assert dataset.parse_bench_text(300) == dataset.parse_bench_text(300)
    assert dataset.bulk_dataset(5, 60, 30).pages == dataset.bulk_dataset(5, 60, 30).pages


def test_population_is_multilingual_and_realistic(demo: dataset.Dataset) -> None:
    people = demo.people
    assert len(people) == 300
    assert len({p.name for p in people}) == 300
    scripts = Counter(
        "ja" if JAPANESE.search(p.name) else "ar" if ARABIC.search(p.name) else "latin"
        for p in people
    )
    assert all(scripts[s] >= 15 for s in ("ja", "ar", "latin")), scripts
    communities = {p.community for p in people}
    assert {
        "enwiki",
        "jawiki",
        "arwiki",
        "eswiki",
        "frwiki",
        "Wikimedia Deutschland",
        "Wikimedians of Kenya",
    } <= communities
    assert all(re.fullmatch(r"[A-Z]{2}|East Africa", p.region) for p in people)
    languages = Counter(lang for p in people for lang in p.languages)
    assert languages.most_common(1)[0][0] == "en"  # English is the common second language
    assert {"ja", "ar", "es", "fr", "de", "sw"} <= set(languages)
    # Everyone's first language is their community's.
    assert all(p.languages[0] == "ja" for p in people if p.community == "jawiki")


def test_every_template_kind_with_expected_counts(demo: dataset.Dataset) -> None:
    expected = demo.expected_entries()
    assert set(expected) == set(BUCKETS)
    assert 150 <= expected["signups"] <= 260 and 60 <= expected["offers"] <= 140
    assert expected["needs"] >= 20 and expected["events"] >= 5 and expected["attendees"] >= 20
    texts = [e.text for _w, _t, e in demo.edits() if e.kind == "Skill offer" and not e.expect]
    capacities = [
        int(m)
        for t in texts
        for m in re.findall(
            r"(?:capacity|定員|السعة|capacidad"
            r"|capacité)=(\d+)",
            t,
        )
    ]
    assert capacities and all(0 <= c <= 5 or c == 20 for c in capacities)
    assert any("status=away" in t for t in texts) and any("status=closed" in t for t in texts)
    assert any("organization=" in t for t in texts)


def test_attendance_lists_come_from_the_event_organizer(demo: dataset.Dataset) -> None:
    organizers: dict[str, str] = {}
    for _w, _t, e in demo.edits():
        if e.kind == "Skill event":
            event_id = re.search(r"(?:id|識別子|identificador|identifiant|معرف)=([^|}\n]+)", e.text)
            assert event_id is not None
            organizers[event_id.group(1)] = e.author
        elif e.kind == "Skill attendee":
            ids = set(re.findall(r"(?:event|イベント|evento|événement|فعالية)=([^|}\n]+)", e.text))
            assert len(ids) == 1
            assert organizers[ids.pop()] == e.author  # added after the event, by its organizer


def test_japanese_wiki_uses_japanese_names_and_labels(demo: dataset.Dataset) -> None:
    ja = [e for _t, edits in demo.pages[dataset.JA].items() for e in edits if e.kind]
    assert ja and all(e.text.lstrip("\n* ").startswith("{{スキル") for e in ja)
    labels = {s.label("ja") for s in core().taxonomy}
    assert sum(any(label in e.text for label in labels) for e in ja) >= len(ja) // 2
    assert any("利用者=" in e.text for e in ja) and any("言語=ja" in e.text for e in ja)
    meta_subpages = {
        t for t in demo.pages[dataset.META] if t.startswith(dataset.META_SIGNUP_PREFIX)
    }
    assert meta_subpages == {dataset.META_SIGNUP_PREFIX + x for x in ("es", "fr", "ar")}


def test_bad_entries_of_every_kind_and_exactly_one_impersonation(demo: dataset.Dataset) -> None:
    kinds = demo.bad_kinds()
    assert set(dataset.BAD_KINDS) <= set(kinds)
    assert kinds["impersonation"] == 1
    share = (sum(kinds.values()) - 1) / demo.entry_count()
    assert 0.05 <= share <= 0.10, share
    ((wiki, title, edit),) = demo.impersonations()
    assert (wiki, title) == (dataset.META, dataset.META_PAGES["signups"])
    assert edit.author != edit.subject and f"user={edit.subject}|" in edit.text
    assert edit.expect == (dataset.IMPERSONATION_CODE,)
    # The named person never signed up themselves.
    own = [e for _w, _t, e in demo.edits() if e.kind == "Skill signup" and e.author == e.subject]
    assert edit.subject not in {e.subject for e in own}


def test_parser_reads_every_page_as_planned(demo: dataset.Dataset) -> None:
    """Without history the forged signup is accepted; everything else is as planned."""
    got: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    for wiki, pages in demo.pages.items():
        for title, edits in pages.items():
            result = parse_text(page_texts(edits)[-1], core(), demo.langs[wiki], wiki, title, TODAY)
            for bucket in BUCKETS:
                got[bucket] += len(getattr(result, bucket))
            problems.update(p.code for p in result.problems)
    expected = demo.expected_entries()
    expected["signups"] += 1
    assert got == expected
    planned = demo.expected_problems()
    del planned[dataset.IMPERSONATION_CODE]
    assert problems == planned


def test_bulk_dataset_and_parse_bench_text() -> None:
    bulk = dataset.bulk_dataset(pages=7, entries=100, people=40)
    titles = bulk.titles(dataset.META)
    assert len(titles) == 7 and all(t.startswith(dataset.META_SIGNUP_PREFIX) for t in titles)
    assert bulk.entry_count() == 100
    for edits in bulk.pages[dataset.META].values():
        named = [e.subject for e in edits if e.kind == "Skill signup"]
        assert len(named) == len(set(named))
        assert all(e.author == e.subject for e in edits if e.kind in ("Skill signup",))
    text = dataset.parse_bench_text(400)
    result = parse_text(text, core(), "en", "bench", "Bench", TODAY)
    records = sum(len(getattr(result, b)) for b in BUCKETS)
    assert records + len(result.problems) == 400
    assert 0.02 <= len(result.problems) / 400 <= 0.10
    assert "malformed-template" not in {
        p.code
        for p in parse_text(
            dataset.parse_bench_text(400, malformed=False), core(), "en", "b", "B", TODAY
        ).problems
    }


# --------------------------------------------------------------------------- real wikis


def _config(tmp_path: Path, data: dataset.Dataset, prefix: str) -> Config:
    meta_titles = [
        t
        for t in data.titles(dataset.META)
        if not t.startswith(f"{prefix}/{dataset.META_SIGNUP_PREFIX}")
    ]
    return Config(
        wikis=(
            WikiSource(
                key=dataset.META,
                family=dataset.META,
                code=dataset.META,
                lang="en",
                signup_pages=tuple(meta_titles),
                signup_prefixes=(f"{prefix}/{dataset.META_SIGNUP_PREFIX}",),
                pages={"needs_map": f"{prefix}/Needs map", "problems": f"{prefix}/Problems"},
                notify=False,
            ),
            WikiSource(
                key=dataset.JA,
                family=dataset.JA,
                code=dataset.JA,
                lang="ja",
                signup_pages=tuple(data.titles(dataset.JA)),
                pages={"needs_map": f"{prefix}/ニーズマップ", "problems": f"{prefix}/問題"},
                notify=False,
            ),
        ),
        store=f"sqlite:///{tmp_path / 'store.db'}",
        output_dir=tmp_path / "out",
        taxonomy=CONFIG_DIR / "taxonomy.yaml",
        vocabulary=CONFIG_DIR / "vocabulary.yaml",
        templates=CONFIG_DIR / "templates.yaml",
    )


@pytest.mark.wiki
def test_seeded_wikis_give_the_planned_entries_and_reject_the_impersonation(
    meta_wiki, ja_wiki, tmp_path: Path
) -> None:
    from bot.run import Runner

    prefix = f"D{uuid.uuid4().hex[:8]}"
    data = dataset.demo_dataset(seed=5, people=40, bad_rate=0.25).with_prefix(prefix)
    report = seed({dataset.META: meta_wiki, dataset.JA: ja_wiki}, data)
    assert report.edits == data.edit_count
    ((_w, title, forged),) = data.impersonations()
    history = meta_wiki.client(forged.author).revisions(title)
    assert [r["user"] for r in history] == [e.author for e in data.pages[dataset.META][title]]

    cfg = _config(tmp_path, data, prefix)
    runner = Runner(cfg, out=io.StringIO())
    first = runner.run()
    stored = runner.store.load_entries()
    assert {b: first.entries[b] for b in BUCKETS} == dict(data.expected_entries())
    codes = Counter(p.code for p in stored.problems)
    for code, count in data.expected_problems().items():
        assert codes[code] == count, (code, codes)
    (forgery,) = [p for p in stored.problems if p.code == dataset.IMPERSONATION_CODE]
    assert forgery.params == (forged.subject, forged.author)
    assert forged.subject not in {s.user for s in stored.signups}
    assert first.revisions_fetched == data.edit_count

    second = Runner(cfg, out=io.StringIO()).run()
    assert (second.edits, second.revisions_fetched) == (0, 0)


@pytest.mark.wiki
def test_import_seeding_writes_the_same_histories(meta_wiki, tmp_path: Path) -> None:
    prefix = f"I{uuid.uuid4().hex[:8]}"
    data = dataset.bulk_dataset(pages=2, entries=12, people=10, seed=3).with_prefix(prefix)
    report = seed({dataset.META: meta_wiki}, data, method="import")
    assert report.edits == 14  # an introduction per page, then one edit per entry
    for title, edits in data.pages[dataset.META].items():
        revisions = meta_wiki.client("Admin").revisions(title)
        assert [r["user"] for r in revisions] == [e.author for e in edits]
        assert [r["content"] for r in revisions] == page_texts(edits)
