"""A seeded, deterministic, multilingual SkillMatch population for the demo, seeding and benches.

Why generated rather than hand-written: the demo, the end-to-end test and the benchmarks need a
few hundred people whose entries look like what volunteers really write (Latin, Japanese and
Arabic user names; Japanese template and parameter names on the Japanese wiki; skill labels
in the writer's language; a sprinkling of mistakes), and the test needs to know in advance
what the bot must accept and reject. Every entry therefore carries its expected outcome.

Pure: no I/O apart from reading the project's YAML configuration; the same arguments always
give the same dataset.

* `demo_dataset()` — one Meta stand-in (English pages plus es/fr/ar translation subpages) and
  one Japanese wiki, ~300 people, every template kind, ~5–10 % bad entries of six kinds and
  exactly one impersonation attempt;
* `bulk_dataset()` — many signup pages on one wiki, for the run benchmark;
* `parse_bench_text()` — N raw entries as one big wikitext, for the parse benchmark.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot import languages
from bot.config import CONFIG_DIR
from bot.taxonomy import Taxonomy

#: Dates are relative to this unless the caller passes `today` (keeps the default deterministic).
DEFAULT_TODAY = date(2026, 3, 1)
DEFAULT_SEED = 32  # Movement Strategy initiative 32

META = "smmeta"
JA = "smja"

#: Pages of the Meta stand-in. Signups in es/fr/ar live on translation subpages, which the
#: demo configuration reads through the signup prefix.
META_PAGES: dict[str, str] = {
    "signups": "Skill-sharing/Signups",
    "offers": "Skill-sharing/Offers",
    "needs": "Skill-sharing/Needs",
    "resources": "Skill-sharing/Resources",
    "events": "Skill-sharing/Events",
}
META_SIGNUP_PREFIX = "Skill-sharing/Signups/"
#: Pages of the Japanese wiki. Production uses the project namespace ("Wikipedia:…"), but on
#: a fresh MediaWiki "Wikipedia:" is an interwiki prefix, so the demo keeps them in the main one.
JA_PAGES: dict[str, str] = {
    "signups": "スキル共有/登録",  # signups and offers, as on the real jawiki page
    "needs": "スキル共有/ニーズ",
    "resources": "スキル共有/教材",
    "events": "スキル共有/イベント",
}
BULK_PREFIX = "Skill-sharing/Signups/Batch "

#: The kinds of mistakes the dataset plants, and the problem code each yields.
BAD_KINDS: dict[str, str] = {
    "typo-skill": "unknown-skill-suggest",
    "bad-language": "bad-language",  # or bad-language-suggest when a hint exists ("eng")
    "offline-no-region": "offline-without-region",
    "negative-capacity": "negative-number",
    "malformed": "malformed-template",
    "unknown-param": "unknown-param",
}
IMPERSONATION_CODE = "not-own-entry"

KINDS = (
    "Skill signup",
    "Skill offer",
    "Skill need",
    "Skill resource",
    "Skill event",
    "Skill attendee",
)
#: RunReport / ParseResult bucket of each template kind.
BUCKET = {
    "Skill signup": "signups",
    "Skill offer": "offers",
    "Skill need": "needs",
    "Skill resource": "resources",
    "Skill event": "events",
    "Skill attendee": "attendees",
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Person:
    """One volunteer: where they sign up, what they write in, and what they do."""

    name: str
    wiki: str  # the farm wiki they write on
    lang: str  # language of the template names and labels they use
    community: str
    region: str
    timezone: str
    languages: tuple[str, ...]
    roles: frozenset[str]  # learner, mentor, organiser


@dataclass(frozen=True)
class Edit:
    """One revision to make: `author` appends `text`; `expect` lists the problem codes it causes.

    `kind` is the template kind ("" for page intros), `entries` how many entries the text
    holds (an attendance list holds several), `subject` whom the entry names.
    """

    author: str
    text: str
    kind: str = ""
    entries: int = 0
    expect: tuple[str, ...] = ()
    subject: str = ""
    bad: str = ""  # a BAD_KINDS key, or "impersonation"
    names: tuple[str, ...] = ()  # other accounts the entries name (an attendance list's)


@dataclass
class Dataset:
    """Per wiki, per page, the ordered edits; plus who everybody is."""

    seed: int
    today: date
    langs: dict[str, str]  # wiki -> content language
    people: list[Person]
    pages: dict[str, dict[str, list[Edit]]] = field(default_factory=dict)

    def add(self, wiki: str, title: str, edit: Edit) -> None:
        self.pages.setdefault(wiki, {}).setdefault(title, []).append(edit)

    def with_prefix(self, prefix: str) -> Dataset:
        """The same edits on pages under `prefix/` (tests that share wikis get their own pages)."""
        out = Dataset(self.seed, self.today, dict(self.langs), list(self.people))
        for wiki, title, edit in self.edits():
            out.add(wiki, f"{prefix}/{title}", edit)
        return out

    def edits(self) -> Iterator[tuple[str, str, Edit]]:
        """(wiki, title, edit) for every edit, page by page in order."""
        for wiki, pages in self.pages.items():
            for title, edits in pages.items():
                for edit in edits:
                    yield wiki, title, edit

    @property
    def edit_count(self) -> int:
        return sum(1 for _ in self.edits())

    def authors(self, wiki: str) -> list[str]:
        """Every account that edits `wiki`, in first-edit order (they all need accounts)."""
        seen: dict[str, None] = {}
        for title_edits in self.pages.get(wiki, {}).values():
            for edit in title_edits:
                seen.setdefault(edit.author, None)
        return list(seen)

    def accounts(self, wiki: str) -> list[str]:
        """Every account `wiki` needs: its authors and the people their entries name (the bot
        holds out entries that name no account there)."""
        seen = dict.fromkeys(self.authors(wiki))
        for title_edits in self.pages.get(wiki, {}).values():
            for edit in title_edits:
                seen.update(dict.fromkeys(edit.names))
        return list(seen)

    def titles(self, wiki: str) -> list[str]:
        return list(self.pages.get(wiki, {}))

    def expected_entries(self) -> Counter[str]:
        """Entries the bot must accept, by ParseResult bucket (signups, offers, ...)."""
        out: Counter[str] = Counter()
        for _wiki, _title, edit in self.edits():
            if edit.kind and not edit.expect:
                out[BUCKET[edit.kind]] += edit.entries
        return out

    def expected_problems(self) -> Counter[str]:
        """Problem codes the bot must report (one per bad edit)."""
        out: Counter[str] = Counter()
        for _wiki, _title, edit in self.edits():
            out.update(edit.expect)
        return out

    def bad_kinds(self) -> Counter[str]:
        return Counter(edit.bad for _w, _t, edit in self.edits() if edit.bad)

    def impersonations(self) -> list[tuple[str, str, Edit]]:
        return [(w, t, e) for w, t, e in self.edits() if e.bad == "impersonation"]

    def entry_count(self) -> int:
        return sum(edit.entries for _w, _t, edit in self.edits())

    def summary(self) -> str:
        """One line for the demo's and benchmark's output."""
        per_wiki = ", ".join(
            f"{w}: {len(p)} pages, {sum(len(e) for e in p.values())} edits"
            for w, p in self.pages.items()
        )
        bad = sum(self.bad_kinds().values())
        return (
            f"{len(self.people)} people, {self.entry_count()} entries in {self.edit_count} edits "
            f"({per_wiki}); {bad} planted problems"
        )


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class _Config:
    templates: Mapping[str, Any]
    vocabulary: Mapping[str, Any]
    taxonomy_raw: Mapping[str, Any]
    taxonomy: Taxonomy


@cache
def _config(config_dir: Path = CONFIG_DIR) -> _Config:
    def read(name: str) -> Any:
        return yaml.safe_load((config_dir / name).read_text(encoding="utf-8"))

    return _Config(
        read("templates.yaml"),
        read("vocabulary.yaml"),
        read("taxonomy.yaml"),
        Taxonomy.load(config_dir / "taxonomy.yaml"),
    )


_UNSAFE = set(",()（）、،;|={}[]<>#")


class _Writer:
    """Writes templates the way a volunteer of one language would: local names and labels."""

    def __init__(self, lang: str, cfg: _Config) -> None:
        self.lang = lang
        local = cfg.templates.get(lang) or {}
        self._tpl: dict[str, str] = {str(k): str(k) for k in cfg.templates["en"]["templates"]}
        self._par: dict[str, str] = {str(k): str(k) for k in cfg.templates["en"]["params"]}
        if lang != "en":  # English volunteers use the canonical names; others their own
            for k, v in (local.get("templates") or {}).items():
                self._tpl[str(k)] = str(v[0]) if v else str(k)
            for k, v in (local.get("params") or {}).items():
                self._par[str(k)] = str(v[0]) if v else str(k)
        self._vocab: dict[tuple[str, str], str] = {}
        for kind, spec in cfg.vocabulary["kinds"].items():
            for value, vspec in spec["values"].items():
                labels = vspec.get("labels") or {}
                self._vocab[(kind, str(value))] = str(labels.get(lang) or labels["en"])
        self.sep = {"ja": "、", "ar": "، "}.get(lang, ", ")
        self.skills: dict[str, list[str]] = {}
        for skill in cfg.taxonomy_raw["skills"]:
            names = [skill["labels"].get(lang) or skill["labels"]["en"]]
            names += list((skill.get("aliases") or {}).get(lang) or [])
            self.skills[skill["id"]] = [n for n in names if not (set(n) & _UNSAFE)]

    def skill(self, rng: random.Random, skill_id: str) -> str:
        """The label most of the time, sometimes an alias (people write both)."""
        names = self.skills[skill_id]
        return names[0] if len(names) == 1 or rng.random() < 0.8 else rng.choice(names[1:])

    def word(self, kind: str, value: str) -> str:
        return self._vocab[(kind, value)]

    def leveled(self, rng: random.Random, skill_id: str, level: str | None) -> str:
        label = self.skill(rng, skill_id)
        if level is None:
            return label
        word = self.word("levels", level)
        return f"{label}（{word}）" if self.lang == "ja" else f"{label} ({word})"

    def template(
        self,
        kind: str,
        params: Sequence[tuple[str, str]],
        *,
        multiline: bool = False,
        raw_params: Sequence[tuple[str, str]] = (),
    ) -> str:
        """`{{Name|param=value|…}}`; `raw_params` are written as given (unknown names)."""
        parts = [f"{self._par[k]}={v}" for k, v in params]
        parts += [f"{k}={v}" for k, v in raw_params]
        name = self._tpl[kind]
        if multiline:
            return "{{" + name + "\n" + "".join(f"|{p}\n" for p in parts) + "}}"
        return "{{" + "|".join([name, *parts]) + "}}"

    def signature(self, user: str, when: date) -> str:
        """A signature as MediaWiki's ~~~~ would have expanded it (identical in every seed mode)."""
        if self.lang == "ja":
            return f"[[利用者:{user}|{user}]]（[[利用者‐会話:{user}|会話]]） {when.isoformat()}"
        return f"[[User:{user}|{user}]] ([[User talk:{user}|talk]]) {when.isoformat()} (UTC)"


# --------------------------------------------------------------------------- population


def _words(text: str) -> tuple[str, ...]:
    """A tuple from a space-separated string (keeps the tables below readable)."""
    return tuple(text.split())


def _odds(text: str) -> tuple[tuple[str, float], ...]:
    """("en", 1.0), ... from "en:1 hi:.1": a language and the chance a person has it."""
    return tuple((k, float(v)) for k, v in (item.split(":") for item in text.split()))


@dataclass(frozen=True)
class _Community:
    """Where a community's volunteers live, which languages they have, and what they write."""

    name: str
    weight: int  # relative share of the population
    regions: tuple[str, ...]
    zones: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]  # the first is everybody's; others by chance
    names: tuple[str, ...]  # name pools
    writes: tuple[tuple[str, float], ...]  # language written in, with probability
    home: str = META


def _community(
    name: str,
    weight: int,
    regions: str,
    zones: str,
    langs: str,
    names: str,
    writes: str,
    home: str = META,
) -> _Community:
    return _Community(
        name,
        weight,
        tuple(regions.split(",")),
        _words(zones),
        _odds(langs),
        _words(names),
        _odds(writes),
        home,
    )


# fmt: off
COMMUNITIES: tuple[_Community, ...] = (
    _community("enwiki", 20, "US,GB,IN,AU,CA,PH",
               "America/New_York America/Chicago Europe/London Asia/Kolkata Australia/Sydney "
               "UTC-5 UTC+5:30", "en:1 hi:.1 es:.08 fr:.05", "en in", "en:1"),
    _community("jawiki", 18, "JP", "Asia/Tokyo UTC+9", "ja:1 en:.45 zh:.05 ko:.05",
               "ja ja ja en", "ja:1", home=JA),
    _community("arwiki", 12, "EG,MA,SA,JO,TN,DZ,IQ,AE",
               "Africa/Cairo Africa/Casablanca Asia/Riyadh Asia/Amman UTC+3 UTC+1",
               "ar:1 en:.5 fr:.25", "ar ar ar en", "ar:.7 en:.3"),
    _community("eswiki", 12, "ES,MX,AR,CO,CL,PE",
               "Europe/Madrid America/Mexico_City America/Argentina/Buenos_Aires America/Bogota "
               "America/Santiago UTC-5", "es:1 en:.4 pt:.1 ca:.05", "es", "es:.75 en:.25"),
    _community("frwiki", 10, "FR,BE,CH,SN,CI,CA,CM",
               "Europe/Paris Europe/Brussels Africa/Dakar Africa/Abidjan America/Toronto UTC+1",
               "fr:1 en:.4 wo:.05", "fr", "fr:.75 en:.25"),
    _community("dewiki", 4, "DE,AT,CH", "Europe/Berlin Europe/Vienna", "de:1 en:.8", "de",
               "en:1"),
    _community("Wikimedia Deutschland", 6, "DE", "Europe/Berlin UTC+1", "de:1 en:.9", "de",
               "en:1"),
    _community("Wikimedians of Kenya", 6, "KE,East Africa", "Africa/Nairobi UTC+3",
               "en:1 sw:.8", "ke", "en:1"),
    _community("Wikimedia Community User Group Nigeria", 4, "NG", "Africa/Lagos UTC+1",
               "en:1 yo:.3 ha:.2 ig:.2", "ng", "en:1"),
    _community("Wikimedia Argentina", 3, "AR", "America/Argentina/Buenos_Aires UTC-3",
               "es:1 en:.3", "es", "es:.8 en:.2"),
    _community("Wikimedia France", 3, "FR", "Europe/Paris", "fr:1 en:.5", "fr", "fr:.7 en:.3"),
    _community("Wikimedians of the Levant", 3, "JO,LB,PS", "Asia/Amman Asia/Beirut",
               "ar:1 en:.6 fr:.1", "ar", "ar:.6 en:.4"),
)
# fmt: on
AFFILIATES = tuple(c.name for c in COMMUNITIES if not c.name.endswith("wiki"))

_GIVEN: dict[str, tuple[str, ...]] = {
    "en": _words(
        "James Olivia Liam Emma Noah Ava Ethan Sophie Lucas Grace Henry Chloe Jack "
        "Ruby Owen Isla Maya Daniel"
    ),
    "in": _words("Priya Arjun Ananya Rahul Kavya Vikram Sneha Rohan Deepa"),
    "ke": _words("Wanjiru Otieno Achieng Kamau Njeri Kiprono Amina Baraka Zawadi"),
    "ng": _words("Chinedu Ngozi Tunde Adaeze Emeka Funmilayo Ifeoma Musa"),
    "es": _words(
        "María Juan Lucía Carlos Sofía Diego Valentina Mateo Camila Santiago Paula Andrés Ximena"
    ),
    "fr": _words(
        "Camille Louis Chloé Hugo Léa Jules Manon Arthur Aïssatou Moussa Fatou Mamadou Élodie"
    ),
    "de": _words("Lukas Anna Jonas Lena Felix Mia Paul Hannah Jan Katharina Jürgen"),
    "ja": _words("太郎 花子 健太 美咲 翔太 陽菜 大輔 由美 拓也 愛 蓮 結衣"),
    "ar": _words("أحمد محمد فاطمة ليلى يوسف مريم خالد نور عمر سارة حسن ريم"),
}
_FAMILY: dict[str, tuple[str, ...]] = {
    "en": _words("Smith Taylor Brown Wilson Evans Clarke Walker Hughes"),
    "in": _words("Sharma Iyer Nair Gupta Reddy Das"),
    "ke": _words("Mwangi Odhiambo Wambui Kariuki Ochieng Chebet"),
    "ng": _words("Okafor Adeyemi Bello Eze Okonkwo"),
    "es": _words("García Fernández López Martínez Rodríguez Gómez Díaz Romero"),
    "fr": _words("Martin Bernard Dubois Moreau Laurent Diop Ndiaye Traoré"),
    "de": _words("Müller Schmidt Schneider Fischer Weber Wagner Becker"),
    "ja": _words("山田 佐藤 鈴木 高橋 田中 伊藤 渡辺 中村 小林 加藤"),
    "ar": _words("العلي المصري حداد الشامي منصور التونسي الحسيني يوسف"),
}
_KANA = _words(
    "さくら ひまわり もみじ つばさ ゆうき あおい ハルカ ケンジ ミドリ ソラ ウィキ好き ほしぞら"
)
_ROMAJI_GIVEN = _words("Hiro Yuki Kenji Aiko Takeshi Naoko Sora Ren")
_ROMAJI_FAMILY = _words("Tanaka Sato Suzuki Watanabe Ito Nakamura")
_ARABIC_LATIN = (
    "Ahmed Hassan",
    "Mona Salem",
    "Youssef Benali",
    "Rania Haddad",
    "Omar Farouk",
    "Salma Idrissi",
    "Karim Mansour",
    "Nadia Khalil",
)


def _username(rng: random.Random, pool: str) -> str:
    if pool == "ja":
        r = rng.random()
        if r < 0.45:
            return rng.choice(_FAMILY["ja"]) + rng.choice(_GIVEN["ja"])
        if r < 0.8:
            return rng.choice(_KANA) + (str(rng.randint(1, 2026)) if rng.random() < 0.5 else "")
        return f"{rng.choice(_ROMAJI_GIVEN)} {rng.choice(_ROMAJI_FAMILY)}"
    if pool == "ar":
        r = rng.random()
        if r < 0.6:
            return f"{rng.choice(_GIVEN['ar'])} {rng.choice(_FAMILY['ar'])}"
        if r < 0.8:
            return rng.choice(_GIVEN["ar"]) + str(rng.randint(1, 999))
        return rng.choice(_ARABIC_LATIN)
    given, family = rng.choice(_GIVEN[pool]), rng.choice(_FAMILY[pool])
    style = rng.random()
    if style < 0.45:
        return f"{given} {family}"
    if style < 0.6:
        return f"{given}{family}"
    if style < 0.75:
        return f"{given}{rng.randint(1, 99)}"
    if style < 0.88:
        return f"{given} {family[0]}."
    return f"Wiki{given}"


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in items)
    for item, weight in items:
        x -= weight
        if x <= 0:
            return item
    return items[-1][0]


def _people(rng: random.Random, count: int, *, taken: set[str]) -> list[Person]:
    """`count` people with unique MediaWiki-normalised names, roles and profiles."""
    out: list[Person] = []
    weights = [(c.name, float(c.weight)) for c in COMMUNITIES]
    by_name = {c.name: c for c in COMMUNITIES}
    while len(out) < count:
        c = by_name[_weighted(rng, weights)]
        name = _username(rng, rng.choice(c.names))
        name = name[0].upper() + name[1:]
        if name.casefold() in taken:  # big crowds run out of pool names: number them
            name = f"{name} {rng.randint(2, 99_999)}"
            if name.casefold() in taken:
                continue
        taken.add(name.casefold())
        langs = [c.languages[0][0]] + [lang for lang, p in c.languages[1:] if rng.random() < p]
        if "en" not in langs and rng.random() < 0.15:
            langs.append("en")
        writes = _weighted(rng, c.writes)
        wiki = c.home if writes == "ja" or c.home == META else META
        if wiki == META and writes == "ja":
            writes = "en"
        if c.home == JA and rng.random() < 0.15:  # some Japanese volunteers sign up on Meta
            wiki, writes = META, "en"
        roles = set()
        r = rng.random()
        if r < 0.08:
            roles.add("organiser")
        if (r < 0.08 and rng.random() < 0.5) or 0.08 <= r < 0.33:
            roles.add("mentor")
        if not roles or rng.random() < 0.12:
            roles.add("learner")
        out.append(
            Person(
                name=name,
                wiki=wiki,
                lang=writes,
                community=c.name,
                region=rng.choice(c.regions),
                timezone=rng.choice(c.zones),
                languages=tuple(dict.fromkeys(langs)),
                roles=frozenset(roles),
            )
        )
    return out


# Popular skills come up far more often than rare ones (Zipf-like weights in this order).
_POPULAR = _words(
    "wikidata editing referencing sparql commons-uploading article-writing templates lua "
    "event-organizing editathons translation content-translation licensing photography glam "
    "education grant-writing visualeditor source-editing quickstatements openrefine pywikibot "
    "python toolforge patrolling policies newcomer-support wikisource proofreading social-media "
    "copyediting data-visualization structured-data-commons event-dashboard project-management "
    "volunteer-management public-speaking lexemes wiktionary gadgets javascript bots admin-tools "
    "conflict-resolution online-safety"
)


class _Factory:
    """Builds entries (with their expected outcome) for people, in their own language."""

    def __init__(self, rng: random.Random, today: date, cfg: _Config) -> None:
        self.rng = rng
        self.today = today
        self.cfg = cfg
        self.writers = {lang: _Writer(lang, cfg) for lang in ("en", "ja", "ar", "es", "fr")}
        ids = [s["id"] for s in cfg.taxonomy_raw["skills"]]
        rest = [i for i in ids if i not in _POPULAR]
        self._skills = list(_POPULAR) + rest
        self._weights = [1.0 / (n + 2) for n in range(len(self._skills))]
        self.event_serial = 0

    # -- building blocks

    def skills(self, k: int, exclude: Sequence[str] = ()) -> list[str]:
        out: list[str] = []
        while len(out) < k:
            (s,) = self.rng.choices(self._skills, self._weights)
            if s not in out and s not in exclude:
                out.append(s)
        return out

    def _finish(self, w: _Writer, p: Person, body: str, sign: bool) -> str:
        """The text to append: a line of its own (MediaWiki trims trailing newlines on save)."""
        if sign:
            return f"\n* {body} {w.signature(p.name, self.today)}"
        return "\n" + body

    def _typo(self, w: _Writer, skill_id: str) -> str | None:
        """A one-letter slip in a skill label that the taxonomy does not know."""
        label = w.skills[skill_id][0]
        for _ in range(20):
            i = self.rng.randrange(1, max(2, len(label) - 1))
            op = self.rng.random()
            if op < 0.4:
                typo = label[:i] + label[i + 1 :]
            elif op < 0.7 and i + 1 < len(label):
                typo = label[:i] + label[i + 1] + label[i] + label[i + 2 :]
            else:
                typo = label[:i] + label[i] + label[i:]
            tax = self.cfg.taxonomy
            if typo != label and tax.resolve(typo) is None and tax.suggest(typo):
                return typo
        return None

    def _languages(self, w: _Writer, p: Person, bad: str) -> tuple[str, str]:
        if bad == "bad-language":
            wrong = {"ja": "日本語", "ar": "عربي", "es": "español", "fr": "français"}.get(
                p.lang, self.rng.choice(["eng", "english", "jp", "sp"])
            )
            code = "bad-language-suggest" if languages.suggestion(wrong) else "bad-language"
            return w.sep.join([*p.languages[:1], wrong]), code
        return w.sep.join(p.languages), ""

    # -- entries

    def signup(self, p: Person, bad: str = "", named: str | None = None) -> Edit:
        """A learner's (and maybe peer's) signup; `named` forges one for somebody else."""
        rng, w = self.rng, self.writers[p.lang]
        wants = self.skills(rng.choice((1, 1, 2, 2, 3)))
        offers = self.skills(rng.choice((1, 2)), exclude=wants) if rng.random() < 0.3 else []
        levels = ("beginner", "beginner", "intermediate", "advanced")
        expect: list[str] = []
        want_text = [
            w.leveled(rng, s, rng.choice(levels) if rng.random() < 0.4 else None) for s in wants
        ]
        if bad == "typo-skill":
            typo = self._typo(w, wants[0])
            if typo is None:
                bad = ""
            else:
                want_text[0] = typo
                expect.append("unknown-skill-suggest")
        params: list[tuple[str, str]] = [
            ("user", named or p.name),
            ("wants", w.sep.join(want_text)),
        ]
        if offers:
            params.append(
                (
                    "offers",
                    w.sep.join(
                        w.leveled(
                            rng,
                            s,
                            rng.choice(("intermediate", "advanced", "expert"))
                            if rng.random() < 0.5
                            else None,
                        )
                        for s in offers
                    ),
                )
            )
        langs, code = self._languages(w, p, bad)
        params.append(("languages", langs))
        expect += [code] if code else []
        if rng.random() < 0.9:
            params.append(("community", p.community))
        fmt = rng.choices(("online", "both", "offline", None), (0.35, 0.2, 0.1, 0.35))[0]
        if bad == "offline-no-region":
            fmt = "offline"
            expect.append("offline-without-region")
        elif fmt in ("both", "offline") or rng.random() < 0.7:
            params.append(("region", p.region))
        if fmt is not None:
            params.append(("format", w.word("formats", fmt)))
        if rng.random() < 0.65:
            params.append(("timezone", p.timezone))
        if rng.random() < 0.5:
            methods = rng.sample(
                ("mentorship", "training", "online-course", "peer-support", "event", "consulting"),
                rng.choice((1, 1, 2)),
            )
            params.append(("methods", w.sep.join(w.word("methods", m) for m in methods)))
        r = rng.random()
        if r < 0.06:
            params.append(("status", w.word("statuses", "away")))
            away = self.today + timedelta(days=rng.randint(10, 120))
            params.append(("away_until", away.isoformat()))
        elif r < 0.08:
            params.append(("status", w.word("statuses", "closed")))
        if rng.random() < 0.05:
            params.append(("notify", w.word("booleans", "no")))
        return self._entry(w, p, "Skill signup", params, bad, expect, named)

    def offer(
        self, p: Person, bad: str = "", organization: str | None = None, exclude: Sequence[str] = ()
    ) -> Edit:
        """A mentor's offer (capacity 1–5, some away or closed), or an affiliate's programme."""
        rng, w = self.rng, self.writers[p.lang]
        skills = self.skills(rng.choice((1, 2, 2, 3)), exclude=exclude)
        texts = [
            w.leveled(
                rng,
                s,
                rng.choice(("advanced", "expert", "intermediate")) if rng.random() < 0.6 else None,
            )
            for s in skills
        ]
        expect: list[str] = []
        if bad == "typo-skill":
            typo = self._typo(w, skills[0])
            if typo is None:
                bad = ""
            else:
                texts[0] = typo
                expect.append("unknown-skill-suggest")
        owner = ("organization", organization) if organization else ("user", p.name)
        params: list[tuple[str, str]] = [owner, ("skills", w.sep.join(texts))]
        langs, code = self._languages(w, p, bad)
        params.append(("languages", langs))
        expect += [code] if code else []
        methods = (
            ["training", "event"]
            if organization
            else rng.choice(
                (["mentorship"], ["mentorship"], ["mentorship", "consulting"], ["peer-support"])
            )
        )
        if organization or rng.random() < 0.6:
            params.append(("methods", w.sep.join(w.word("methods", m) for m in methods)))
        fmt = rng.choices(("online", "both", "offline", None), (0.3, 0.25, 0.1, 0.35))[0]
        if organization:
            fmt = "both"
        if bad == "offline-no-region":
            fmt = "offline"
            expect.append("offline-without-region")
        elif fmt in ("both", "offline") or rng.random() < 0.5:
            params.append(("region", p.region))
        if fmt is not None:
            params.append(("format", w.word("formats", fmt)))
        capacity = rng.choice((1, 1, 2, 2, 3, 3, 4, 5)) if not organization else 20
        if bad == "negative-capacity":
            capacity = -rng.randint(1, 3)
            expect.append("negative-number")
        elif rng.random() < 0.05:
            capacity = 0
        if capacity != 1 or rng.random() < 0.5:
            params.append(("capacity", str(capacity)))
        r = rng.random()
        if r < 0.1 and not organization:
            params.append(("status", w.word("statuses", "away")))
            away = self.today + timedelta(days=rng.randint(14, 150))
            params.append(("away_until", away.isoformat()))
        elif r < 0.15 and not organization:
            params.append(("status", w.word("statuses", "closed")))
        if organization or rng.random() < 0.4:
            params.append(("description", self._description(p, skills, organization)))
        edit = self._entry(w, p, "Skill offer", params, bad, expect, None)
        return edit

    def _description(self, p: Person, skills: Sequence[str], org: str | None) -> str:
        label = self.writers[p.lang].skills[skills[0]][0]
        if p.lang == "ja":
            return f"{label}を一緒に学びましょう。週末に対応できます。"
        if p.lang == "es":
            return f"Acompaño a personas nuevas en {label}."
        if p.lang == "fr":
            return f"J'accompagne les débutants en {label}."
        if p.lang == "ar":
            return f"أساعد المبتدئين في {label}."
        if org:
            return f"{org} runs regular {label} trainings; ask on our talk page."
        return self.rng.choice(
            (
                f"Happy to help with {label}, evenings UTC.",
                f"I have run {label} workshops for my community.",
                f"Weekly office hours on {label}.",
            )
        )

    def need(self, p: Person, skill: str, bad: str = "") -> Edit:
        rng, w = self.rng, self.writers[p.lang]
        expect: list[str] = []
        label = w.skill(rng, skill)
        if bad == "typo-skill":
            typo = self._typo(w, skill)
            if typo is not None:
                label = typo
                expect.append("unknown-skill-suggest")
            else:
                bad = ""
        params: list[tuple[str, str]] = [
            ("community", p.community),
            ("skill", label),
            ("priority", w.word("priorities", rng.choice(("high", "medium", "medium", "low")))),
        ]
        if rng.random() < 0.8:
            params.append(("learners", str(rng.choice((3, 5, 8, 10, 12, 15, 20, 25, 40, 60)))))
        if rng.random() < 0.7 or bad == "bad-language":
            langs, code = self._languages(w, p, bad)
            params.append(("languages", langs))
            expect += [code] if code else []
        params.append(("by", p.name))
        if rng.random() < 0.3:
            params.append(
                (
                    "notes",
                    {
                        "ja": "新規参加者向けの講習会を希望します。",
                        "es": "Lo pidieron en el último encuentro.",
                        "fr": "Demandé lors de la dernière rencontre.",
                        "ar": "طُلب في اللقاء الأخير.",
                    }.get(p.lang, "Asked for at our last meetup."),
                )
            )
        return self._entry(w, p, "Skill need", params, bad, expect, None)

    def resource(self, p: Person) -> Edit:
        rng, w = self.rng, self.writers[p.lang]
        skills = self.skills(rng.choice((1, 1, 2)))
        label = w.skills[skills[0]][0]
        title = {
            "ja": f"{label}入門ガイド",
            "es": f"Guía de {label}",
            "fr": f"Guide : {label}",
            "ar": f"دليل {label}",
        }.get(
            p.lang,
            rng.choice(
                (
                    f"{label} for beginners",
                    f"Getting started with {label}",
                    f"{label} clinic recording",
                )
            ),
        )
        link = rng.choice(
            (
                f"https://www.youtube.com/watch?v=sm{rng.randrange(10**6):06d}",
                f"https://meta.wikimedia.org/wiki/Training/{skills[0]}",
                f"Help:{label}",
            )
        )
        params: list[tuple[str, str]] = [
            ("skill", w.sep.join(w.skill(rng, s) for s in skills)),
            ("title", title),
            ("link", link),
            ("languages", p.languages[0]),
            ("method", w.word("methods", rng.choice(("online-course", "training", "event")))),
        ]
        if rng.random() < 0.8:
            params.append(("by", p.name))
        return self._entry(w, p, "Skill resource", params, "", [], None)

    def event(self, p: Person, skills: Sequence[str]) -> tuple[str, Edit]:
        rng, w = self.rng, self.writers[p.lang]
        self.event_serial += 1
        day = self.today + timedelta(days=rng.randint(-60, 90))
        slug = "".join(ch for ch in p.community.lower() if ch.isalnum())[:16] or "event"
        event_id = f"{slug}-{day.isoformat()}-{self.event_serial}"
        label = w.skills[skills[0]][0]
        title = {
            "ja": f"{label}講習会",
            "es": f"Taller de {label}",
            "fr": f"Atelier {label}",
            "ar": f"ورشة {label}",
        }.get(
            p.lang, rng.choice((f"{label} workshop", f"{label} edit-a-thon", f"Intro to {label}"))
        )
        fmt = rng.choice(("online", "offline", "both"))
        params: list[tuple[str, str]] = [
            ("id", event_id),
            ("title", title),
            ("organizer", p.name),
            ("skills", w.sep.join(w.skill(rng, s) for s in skills)),
            ("date", day.isoformat()),
            ("format", w.word("formats", fmt)),
        ]
        if fmt != "online":
            params.append(("region", p.region))
        params.append(("languages", w.sep.join(p.languages[:2])))
        return event_id, self._entry(w, p, "Skill event", params, "", [], None)

    def attendees(self, p: Person, event_id: str, users: Sequence[str]) -> Edit:
        """The attendance list the organizer adds after the event: several entries, one edit."""
        w = self.writers[p.lang]
        lines = "".join(
            "\n* " + w.template("Skill attendee", [("event", event_id), ("user", u)]) for u in users
        )
        return Edit(p.name, lines, "Skill attendee", len(users), (), p.name, names=tuple(users))

    def _entry(
        self,
        w: _Writer,
        p: Person,
        kind: str,
        params: list[tuple[str, str]],
        bad: str,
        expect: list[str],
        named: str | None,
    ) -> Edit:
        rng = self.rng
        raw: list[tuple[str, str]] = []
        if bad == "unknown-param":
            raw.append(
                rng.choice(
                    {
                        "ja": [("趣味", "写真"), ("メールアドレス", "なし")],
                        "ar": [("هواية", "التصوير")],
                        "es": [("afición", "fotografía")],
                        "fr": [("loisir", "photographie")],
                    }.get(
                        w.lang,
                        [
                            ("hobby", "photography"),
                            ("comunity", p.community),
                            ("timezon", "UTC+3"),
                            ("email", "on request"),
                        ],
                    )
                )
            )
            expect.append("unknown-param")
        multiline = rng.random() < 0.15
        body = w.template(kind, params, multiline=multiline, raw_params=raw)
        if bad == "malformed":
            body = body[:-2] if not multiline else body[:-3]  # closing braces forgotten
            expect.append("malformed-template")
        sign = rng.random() < 0.35 and not multiline and bad != "malformed"
        text = self._finish(w, p, body, sign)
        if named is not None:
            expect = [IMPERSONATION_CODE]
            bad = "impersonation"
        return Edit(p.name, text, kind, 1, tuple(expect), named or p.name, bad)


#: Which planted mistakes make sense in which template.
APPLICABLE: dict[str, frozenset[str]] = {
    "Skill signup": frozenset(BAD_KINDS) - {"negative-capacity"},
    "Skill offer": frozenset(BAD_KINDS),
    "Skill need": frozenset(("typo-skill", "bad-language", "malformed", "unknown-param")),
    "Skill resource": frozenset(),
}


class _BadPicker:
    """Chooses which entries go wrong (at `rate`) and how: the least used applicable kind,
    so that every kind shows up once there are a handful of bad entries."""

    def __init__(self, rng: random.Random, rate: float, exclude: Sequence[str] = ()) -> None:
        self.rng = rng
        self.rate = rate
        self.exclude = frozenset(exclude)
        self.used: Counter[str] = Counter()

    def __call__(self, kind: str) -> str:
        if self.rng.random() >= self.rate:
            return ""
        choices = [k for k in BAD_KINDS if k in APPLICABLE[kind] and k not in self.exclude]
        if not choices:
            return ""
        pick = min(choices, key=lambda k: self.used[k])
        self.used[pick] += 1
        return pick


def _intro(lang: str, author: str, kind: str) -> Edit:
    """The text an organiser creates a page with: what the page is for, then a heading."""
    ja_kind = {
        "signups": "登録",
        "offers": "提供",
        "needs": "ニーズ",
        "resources": "教材",
        "events": "イベント",
    }.get(kind, kind)
    text = {
        "ja": f"スキル共有の{ja_kind}ページです。下にテンプレートを一つずつ追加してください。"
        f"\n\n== {ja_kind} ==",
        "es": "Añade tu inscripción debajo, una plantilla por persona.\n\n== Inscripciones ==",
        "fr": "Ajoutez votre inscription ci-dessous, un modèle par personne.\n\n== Inscriptions ==",
        "ar": "أضف تسجيلك أدناه، قالب واحد لكل شخص.\n\n== التسجيلات ==",
    }.get(
        lang,
        f"This page collects {kind} for skill-sharing. Add one template per entry "
        f"below; the bot reads them every day.\n\n== {kind.capitalize()} ==",
    )
    return Edit(author, text)


# --------------------------------------------------------------------------- datasets


def demo_dataset(
    seed: int = DEFAULT_SEED,
    people: int = 300,
    *,
    today: date | None = None,
    bad_rate: float = 0.07,
    meta: str = META,
    ja: str = JA,
) -> Dataset:
    """The demo population on two wikis: a Meta stand-in (en) and a Japanese wiki.

    Edits are interleaved in a plausible order (offers and needs before most signups, an
    event's attendance list after the event) and then grouped by page, order kept.
    """
    rng = random.Random(seed)
    today = today or DEFAULT_TODAY
    f = _Factory(rng, today, _config())
    crowd = _people(rng, people, taken={"admin", "skillbot"})
    crowd = [
        Person(
            p.name,
            meta if p.wiki == META else ja,
            p.lang,
            p.community,
            p.region,
            p.timezone,
            p.languages,
            p.roles,
        )
        for p in crowd
    ]
    ds = Dataset(seed, today, {meta: "en", ja: "ja"}, crowd)

    def page(p: Person, kind: str) -> tuple[str, str]:
        if p.wiki == ja:
            return ja, JA_PAGES["signups" if kind in ("signups", "offers") else kind]
        if kind == "signups" and p.lang != "en":
            return meta, META_SIGNUP_PREFIX + p.lang
        return meta, META_PAGES[kind]

    # The first organiser of each wiki creates its pages with an introduction.
    timeline: list[tuple[float, str, str, Edit]] = []
    for wiki, lang, pages in ((meta, "en", META_PAGES), (ja, "ja", JA_PAGES)):
        local = [p for p in crowd if p.wiki == wiki] or crowd
        host = next((p for p in local if "organiser" in p.roles), local[0])
        for kind, title in pages.items():
            timeline.append((-1.0, wiki, title, _intro(lang, host.name, kind)))
        if wiki == meta:
            for sub in ("es", "fr", "ar"):
                timeline.append(
                    (-1.0, wiki, META_SIGNUP_PREFIX + sub, _intro(sub, host.name, "signups"))
                )

    learners = [p for p in crowd if "learner" in p.roles]
    mentors = [p for p in crowd if "mentor" in p.roles]
    organisers = [p for p in crowd if "organiser" in p.roles]
    pick = _BadPicker(rng, bad_rate)

    def when(lo: float, hi: float) -> float:
        return rng.uniform(lo, hi)

    for p in mentors:
        timeline.append((when(0, 0.6), *page(p, "offers"), f.offer(p, pick("Skill offer"))))
        if rng.random() < 0.2:  # a second offer on other skills
            timeline.append((when(0.3, 1), *page(p, "offers"), f.offer(p, exclude=("lua",))))
    for p in learners:
        timeline.append((when(0.1, 1), *page(p, "signups"), f.signup(p, pick("Skill signup"))))
    for p in organisers:
        wanted = f.skills(rng.choice((2, 3, 4)))
        for skill in wanted:
            timeline.append((when(0, 0.5), *page(p, "needs"), f.need(p, skill, pick("Skill need"))))
        for _ in range(rng.choice((1, 1, 2))):
            timeline.append((when(0.1, 0.9), *page(p, "resources"), f.resource(p)))
        if p.community in AFFILIATES and rng.random() < 0.6:
            timeline.append(
                (when(0, 0.5), *page(p, "offers"), f.offer(p, organization=p.community))
            )
        for _ in range(rng.choice((0, 1, 1, 2))):
            start = when(0.1, 0.7)
            event_id, edit = f.event(p, f.skills(rng.choice((1, 2))))
            timeline.append((start, *page(p, "events"), edit))
            pool = [q.name for q in crowd if q.community == p.community and q is not p]
            pool = pool or [q.name for q in learners]
            who = rng.sample(pool, min(len(pool), rng.randint(3, 12)))
            timeline.append(
                (when(start + 0.01, 1.0), *page(p, "events"), f.attendees(p, event_id, who))
            )

    # Exactly one impersonation: a learner on Meta signs up a mentor who never signed up.
    signed = {e.subject for _, _, _, e in timeline if e.kind == "Skill signup"}
    on_meta = [p for p in crowd if p.wiki == meta]
    forger = next((p for p in on_meta if "learner" in p.roles and p.lang == "en"), on_meta[0])
    unsigned = [p for p in on_meta if p.name not in signed and p is not forger]
    victim = next((p for p in unsigned if "mentor" in p.roles), None) or (
        unsigned[0]
        if unsigned
        else Person("Y. Someone", meta, "en", "enwiki", "GB", "Europe/London", ("en",), frozenset())
    )
    timeline.append(
        (when(0.5, 1), meta, META_PAGES["signups"], f.signup(forger, named=victim.name))
    )

    timeline.sort(key=lambda item: item[0])
    for _t, wiki, title, edit in timeline:
        ds.add(wiki, title, edit)
    return ds


def bulk_dataset(
    pages: int = 200,
    entries: int = 5000,
    people: int = 400,
    *,
    seed: int = DEFAULT_SEED,
    wiki: str = META,
    today: date | None = None,
    bad_rate: float = 0.05,
) -> Dataset:
    """`entries` entries spread over `pages` signup subpages of one wiki, for the run bench.

    Each entry is its own edit by its owner (so every page has a long history), every page
    names each person at most once, and a few hundred people share all pages.
    """
    rng = random.Random(seed * 7919 + pages)
    today = today or DEFAULT_TODAY
    f = _Factory(rng, today, _config())
    crowd = [
        Person(
            p.name,
            wiki,
            "ja" if p.wiki == JA else p.lang,
            p.community,
            p.region,
            p.timezone,
            p.languages,
            p.roles | {"learner"},
        )
        for p in _people(rng, people, taken={"admin", "skillbot"})
    ]
    ds = Dataset(seed, today, {wiki: "en"}, crowd)
    pick = _BadPicker(rng, bad_rate)
    per_page = [entries // pages + (1 if i < entries % pages else 0) for i in range(pages)]
    for i, n in enumerate(per_page):
        title = f"{BULK_PREFIX}{i + 1:03d}"
        ds.add(wiki, title, _intro("en", crowd[i % len(crowd)].name, "signups"))
        for p in rng.sample(crowd, min(n, len(crowd))):
            r = rng.random()
            if r < 0.72:
                edit = f.signup(p, pick("Skill signup"))
            elif r < 0.9:
                edit = f.offer(p, pick("Skill offer"))
            elif r < 0.96:
                edit = f.need(p, f.skills(1)[0], pick("Skill need"))
            else:
                edit = f.resource(p)
            ds.add(wiki, title, edit)
    return ds


def parse_bench_entries(
    n: int = 10_000, seed: int = 1, *, bad_rate: float = 0.05, malformed: bool = True
) -> list[str]:
    """`n` raw entries (all kinds, five languages' template names, ~5 % bad), one text each.

    `malformed=False` leaves out the entries with a forgotten `}}`, whose cost to the
    tokenizer grows with the length of the text after them.
    """
    rng = random.Random(seed)
    f = _Factory(rng, DEFAULT_TODAY, _config())
    crowd = _people(rng, n, taken=set())  # one person per entry: no duplicate entries
    pick = _BadPicker(rng, bad_rate, exclude=() if malformed else ("malformed",))
    out: list[str] = []
    for i in range(n):
        p = crowd[i]
        r = rng.random()
        if r < 0.6:
            edit = f.signup(p, pick("Skill signup"))
        elif r < 0.82:
            edit = f.offer(p, pick("Skill offer"))
        elif r < 0.9:
            edit = f.need(p, f.skills(1)[0], pick("Skill need"))
        elif r < 0.95:
            edit = f.resource(p)
        else:
            _event_id, edit = f.event(p, f.skills(1))
        out.append(edit.text)
    return out


def parse_bench_text(
    n: int = 10_000, seed: int = 1, *, bad_rate: float = 0.05, malformed: bool = True
) -> str:
    """The entries of `parse_bench_entries` as one page: a line each, a heading every 250."""
    parts = ["== Skill-sharing =="]
    for i, text in enumerate(parse_bench_entries(n, seed, bad_rate=bad_rate, malformed=malformed)):
        if i and i % 250 == 0:
            parts.append(f"\n\n=== Section {i // 250} ===")
        parts.append(text)
    return "".join(parts)
