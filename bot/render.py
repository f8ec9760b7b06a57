"""Wikitext the bot writes: tables, reports, messages.

Every string that came from a volunteer goes through `esc()` before it is
placed into wikitext. `esc()` turns each character that could start markup
into an HTML entity, so the text displays as written but can never open a
template, link, table cell, tag, signature, magic word, magic link (ISBN, RFC,
PMID) or external link.
Output is deterministic (no timestamps), which is what lets an unchanged wiki
produce byte-identical pages and therefore zero edits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from bot import langnames
from bot.i18n import Messages
from bot.models import Problem
from bot.needsmap import ALL, NeedsRow
from bot.wikitext import INVISIBLE

_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    "'": "&#39;",
    '"': "&quot;",
    "=": "&#61;",
    "~": "&#126;",
    "_": "&#95;",
    ":": "&#58;",
    "*": "&#42;",
    "#": "&#35;",
    ";": "&#59;",
    "!": "&#33;",
    "-": "&#45;",
    "/": "&#47;",
    "\\": "&#92;",
    "%": "&#37;",
}
# Magic links, on by default in MediaWiki: "ISBN 0306406152", "RFC 2616" and "PMID 123" in
# running text become links. Any occurrence of the word gets its first letter as an entity
# (`&#73;SBN`), which reads the same and no longer matches.
_MAGIC_WORDS = ("ISBN", "RFC", "PMID")
_ESC = re.compile("|".join(_MAGIC_WORDS) + "|[" + re.escape("".join(_ENTITIES)) + "]")
_USERNAME_OK = re.compile(r"^[^#<>\[\]|{}/@:\n]{1,85}$")


def _entity(m: re.Match[str]) -> str:
    found = m.group(0)
    return _ENTITIES[found] if len(found) == 1 else f"&#{ord(found[0])};{found[1:]}"


def esc(value: object) -> str:
    """Display `value` literally in wikitext, whatever it contains."""
    text = INVISIBLE.sub("", " ".join(str(value).split()))
    return _ESC.sub(_entity, text)


def user_link(name: str) -> str:
    """`[[User:Name|Name]]` for a validated username; escaped text for anything else."""
    if not _USERNAME_OK.match(name):
        return esc(name)
    return f"[[User:{name}|{esc(name)}]]"


def diff_link(revid: int) -> str:
    return f"[[Special:Diff/{int(revid)}|{int(revid)}]]" if revid else ""


def page_link(title: str, line: int = 0) -> str:
    if re.search(r"[#<>\[\]|{}\n]", title):
        return esc(title)
    return f"[[:{title}]]"


def wikitable(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()
) -> str:
    """A sortable wikitable; cells must already be wikitext-safe."""
    out = ['{| class="wikitable sortable"']
    for i, h in enumerate(headers):
        out.append(f'! data-sort-type="number" | {h}' if i in numeric else f"! {h}")
    for row in rows:
        out.append("|-")
        out.append("| " + " || ".join(row))
    out.append("|}")
    return "\n".join(out)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def notice(msgs: Messages) -> str:
    return f"<!-- {esc(msgs('skillmatch-generated-notice'))} -->"


SkillLabel = Callable[[str], str]
Words = Callable[[str, str], str]
"""(vocabulary kind, canonical value) → the word in the wiki's language."""


def suggestion_text(msgs: Messages, code: str, params: Sequence[str]) -> str:
    return msgs(f"skillmatch-suggest-{code}", *(esc(p) for p in params))


def needs_map_page(
    rows: Sequence[NeedsRow], msgs: Messages, label: SkillLabel, top: int = 25
) -> str:
    """The needs map: totals by skill, then the largest gaps per language, community, region."""
    parts = [notice(msgs), msgs("skillmatch-needs-intro"), ""]
    totals = [r for r in rows if r.community == ALL and r.lang == ALL and r.region == ALL]
    if not totals:
        parts.append(msgs("skillmatch-needs-none"))
        return "\n".join(parts) + "\n"
    cols = [
        msgs("skillmatch-needs-col-learners"),
        msgs("skillmatch-needs-col-recorded"),
        msgs("skillmatch-needs-col-demand"),
        msgs("skillmatch-needs-col-capacity"),
        msgs("skillmatch-needs-col-resources"),
        msgs("skillmatch-needs-col-gap"),
    ]

    def figures(r: NeedsRow) -> list[str]:
        return [
            str(r.learners),
            str(r.recorded_need),
            _num(r.demand),
            str(r.mentor_capacity),
            str(r.resources),
            _num(r.gap),
        ]

    unmet = [r for r in totals if r.gap > 0][:top]
    parts.append(f"== {msgs('skillmatch-needs-heading-unmet')} ==")
    parts.append(
        wikitable(
            [
                msgs("skillmatch-needs-col-rank"),
                msgs("skillmatch-needs-col-skill"),
                *cols,
                msgs("skillmatch-needs-col-suggestion"),
            ],
            (
                [
                    str(i),
                    esc(label(r.skill)),
                    *figures(r),
                    suggestion_text(msgs, r.suggestion.code, r.suggestion.params),
                ]
                for i, r in enumerate(unmet, start=1)
            ),
            numeric=(0, 2, 3, 4, 5, 6, 7),
        )
        if unmet
        else msgs("skillmatch-needs-none")
    )
    parts.append("")
    parts.append(f"== {msgs('skillmatch-needs-heading-skills')} ==")
    by_skill = sorted(totals, key=lambda r: (label(r.skill).casefold(), r.skill))
    parts.append(
        wikitable(
            [msgs("skillmatch-needs-col-skill"), *cols],
            ([esc(label(r.skill)), *figures(r)] for r in by_skill),
            numeric=(1, 2, 3, 4, 5, 6),
        )
    )
    for heading, dim, col in (
        ("skillmatch-needs-heading-languages", "lang", "skillmatch-needs-col-language"),
        ("skillmatch-needs-heading-communities", "community", "skillmatch-needs-col-community"),
        ("skillmatch-needs-heading-regions", "region", "skillmatch-needs-col-region"),
    ):
        sliced = [r for r in rows if getattr(r, dim) != ALL and r.gap > 0][:top]
        if not sliced:
            continue
        parts.append("")
        parts.append(f"== {msgs(heading)} ==")
        parts.append(
            wikitable(
                [
                    msgs(col),
                    msgs("skillmatch-needs-col-skill"),
                    *cols,
                    msgs("skillmatch-needs-col-suggestion"),
                ],
                (
                    [
                        esc(
                            langnames.name(r.lang, msgs.lang) if dim == "lang" else getattr(r, dim)
                        ),
                        esc(label(r.skill)),
                        *figures(r),
                        suggestion_text(msgs, r.suggestion.code, r.suggestion.params),
                    ]
                    for r in sliced
                ),
                numeric=(2, 3, 4, 5, 6, 7),
            )
        )
    return "\n".join(parts) + "\n"


def problem_reason(msgs: Messages, problem: Problem) -> str:
    return msgs(f"skillmatch-problem-{problem.code}", *(esc(_cut(p)) for p in problem.params))


SHOWN = 500
"""Rows a report lists at most: one edit can write thousands of entries, each reported."""
CELL = 300
"""Characters of a volunteer's value shown in a report cell (the rest is cut, marked …)."""


def _cut(value: str, limit: int = CELL) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def problems_page(problems: Sequence[Problem], msgs: Messages, shown: int = SHOWN) -> str:
    """Every rejected entry with its reason and a link to the revision that wrote it.

    Beyond `shown` entries the page says how many there are of each code and lists the
    first `shown`: a flood of forged entries must not make the page (and the undelivered
    messages listed with it) too big to save. The bot's JSON export has them all.
    """
    parts = [notice(msgs), msgs("skillmatch-problems-intro"), ""]
    if not problems:
        parts.append(f"'''{msgs('skillmatch-problems-none')}'''")
        return "\n".join(parts) + "\n"
    parts.append(msgs("skillmatch-problems-count", len(problems)))
    ordered = sorted(problems, key=lambda p: (p.origin.page, p.origin.line, p.code, p.params))
    if len(ordered) > shown:
        by_code = Counter(p.code for p in ordered)
        parts.append(f"== {msgs('skillmatch-problems-summary-heading')} ==")
        parts.append(
            wikitable(
                [msgs("skillmatch-problems-col-code"), msgs("skillmatch-problems-col-count")],
                ([f"<code>{esc(c)}</code>", str(n)] for c, n in sorted(by_code.items())),
                numeric=(1,),
            )
        )
        parts.append(msgs("skillmatch-problems-shown", shown, len(ordered)))
        ordered = ordered[:shown]
    parts.append(
        wikitable(
            [
                msgs("skillmatch-problems-col-page"),
                msgs("skillmatch-problems-col-line"),
                msgs("skillmatch-problems-col-template"),
                msgs("skillmatch-problems-col-reason"),
                msgs("skillmatch-problems-col-entry"),
                msgs("skillmatch-problems-col-revision"),
            ],
            (
                [
                    page_link(p.origin.page),
                    str(p.origin.line) if p.origin.line else "",
                    esc(p.template),
                    problem_reason(msgs, p),
                    f"<code>{esc(_cut(p.snippet))}</code>" if p.snippet else "",
                    diff_link(p.origin.revid),
                ]
                for p in ordered
            ),
            numeric=(1, 5),
        )
    )
    return "\n".join(parts) + "\n"


def url_title(title: str) -> str:
    return quote(title.replace(" ", "_"), safe="/:")


def join_list(items: Iterable[str], msgs: Messages) -> str:
    """A list in the wiki's language: "a, b" in English, "a、b" in Japanese, "a، b" in Arabic."""
    return msgs("skillmatch-comma-separator").join(items)


def join_reasons(
    msgs: Messages, reasons: Iterable[Mapping[str, Any]], label: SkillLabel, words: Words | None
) -> str:
    """A match's reasons, one after another in the wiki's language."""
    return msgs("skillmatch-semicolon-separator").join(
        reason_text(msgs, r, label, words) for r in reasons
    )


def reason_text(
    msgs: Messages, reason: Mapping[str, Any], label: SkillLabel, words: Words | None = None
) -> str:
    """One matcher reason in the reader's language; every value escaped.

    `words` gives a vocabulary value's word in the wiki's language (methods); without it
    the canonical value is shown."""
    key = str(reason.get("key", ""))
    p = reason.get("params") or {}

    def skills(name: str) -> str:
        return esc(join_list((label(str(s)) for s in p.get(name) or []), msgs))

    if key == "teaches":
        return msgs("skillmatch-reason-teaches", skills("skills"))
    if key == "level_fits":
        return msgs("skillmatch-reason-level_fits", skills("skills"))
    if key == "shares_language":
        langs = [langnames.name(str(x), msgs.lang) for x in p.get("languages") or []]
        return msgs("skillmatch-reason-shares_language", esc(join_list(langs, msgs)), len(langs))
    if key == "same_community":
        return msgs("skillmatch-reason-same_community", esc(p.get("community", "")))
    if key == "time_zones":
        return msgs("skillmatch-reason-time_zones", _num(round(int(p.get("minutes") or 0) / 60, 1)))
    if key == "format":
        if p.get("mode") == "offline":
            return msgs("skillmatch-reason-format-offline", esc(p.get("region", "")))
        return msgs("skillmatch-reason-format-online")
    if key == "methods":
        methods = [words("methods", str(x)) if words else str(x) for x in p.get("methods") or []]
        return msgs("skillmatch-reason-methods", esc(join_list(methods, msgs)), len(methods))
    if key == "exchange":
        return msgs("skillmatch-reason-exchange", skills("a_learns"), skills("b_learns"))
    if key in ("existing", "paused", "learner_away", "peer_away"):
        return msgs(f"skillmatch-reason-{key}")
    return msgs("skillmatch-reason-other", esc(reason.get("text", key)))


def state_text(msgs: Messages, row: Mapping[str, Any]) -> str:
    if row.get("paused") and row["state"] in ("proposed", "active"):
        return msgs("skillmatch-state-paused")
    return msgs(f"skillmatch-state-{row['state']}")


def matches_page(
    rows: Sequence[Mapping[str, Any]],
    msgs: Messages,
    label: SkillLabel,
    words: Words | None = None,
) -> str:
    """Mentorships and peer exchanges: stable id, people, skills, state and reasons."""
    parts = [notice(msgs), msgs("skillmatch-matches-intro"), ""]
    mentor = [r for r in rows if r["kind"] == "mentor"]
    peer = [r for r in rows if r["kind"] == "peer"]
    parts.append(f"== {msgs('skillmatch-matches-heading-mentor')} ==")
    parts.append(
        wikitable(
            [
                msgs(f"skillmatch-matches-col-{c}")
                for c in ("id", "learner", "mentor", "skills", "state", "reasons")
            ],
            (
                [
                    f'<span id="{esc(r["id"])}">{esc(r["id"])}</span>',
                    user_link(r["a"]),
                    user_link(r["b"]),
                    esc(join_list((label(s) for s in r["skills"]), msgs)),
                    state_text(msgs, r),
                    join_reasons(msgs, r["reasons"], label, words),
                ]
                for r in sorted(mentor, key=lambda r: (r["a"], r["id"]))
            ),
        )
        if mentor
        else msgs("skillmatch-matches-none")
    )
    parts.append("")
    parts.append(f"== {msgs('skillmatch-matches-heading-peer')} ==")
    parts.append(
        wikitable(
            [
                msgs(f"skillmatch-matches-col-{c}")
                for c in ("id", "peer-a", "peer-b", "a-learns", "b-learns", "state", "reasons")
            ],
            (
                [
                    f'<span id="{esc(r["id"])}">{esc(r["id"])}</span>',
                    user_link(r["a"]),
                    user_link(r["b"]),
                    esc(join_list((label(s) for s in r["skills"]["a_learns"]), msgs)),
                    esc(join_list((label(s) for s in r["skills"]["b_learns"]), msgs)),
                    state_text(msgs, r),
                    join_reasons(
                        msgs,
                        [x for x in r["reasons"] if x.get("key") != "exchange"],
                        label,
                        words,
                    ),
                ]
                for r in sorted(peer, key=lambda r: (r["a"], r["id"]))
            ),
        )
        if peer
        else msgs("skillmatch-matches-none")
    )
    return "\n".join(parts) + "\n"


def waiting_page(rows: Sequence[Mapping[str, Any]], msgs: Messages, label: SkillLabel) -> str:
    parts = [notice(msgs), msgs("skillmatch-waiting-intro"), ""]
    if not rows:
        parts.append(msgs("skillmatch-waiting-none"))
        return "\n".join(parts) + "\n"
    parts.append(
        wikitable(
            [msgs(f"skillmatch-waiting-col-{c}") for c in ("learner", "skills", "why")],
            (
                [
                    user_link(r["username"]),
                    esc(join_list((label(s) for s in r["skills"]), msgs)),
                    msgs(f"skillmatch-why-{r['why']}"),
                ]
                for r in sorted(rows, key=lambda r: (r["why"], r["username"]))
            ),
        )
    )
    return "\n".join(parts) + "\n"


REFUSALS = ("redirect", "not-allowed", "not-own-talk", "too-big", "no-account")
"""Why the bot's one write path (`bot.wiki`) refused a page: each has a message."""


def _why(msgs: Messages, reason: str) -> str:
    if reason in ("nobots", "protected", "abusefilter", "blocked"):
        return msgs(f"skillmatch-delivery-{reason}")
    if reason in REFUSALS:
        return msgs(f"skillmatch-refused-{reason}")
    return msgs("skillmatch-delivery-other", esc(reason))


def _more(msgs: Messages, rows: int, shown: int) -> str:
    return f"\n{msgs('skillmatch-report-more', rows - shown)}" if rows > shown else ""


def delivery_section(
    failures: Sequence[Mapping[str, Any]], msgs: Messages, shown: int = SHOWN
) -> str:
    """Talk pages the bot could not post on, so a human can pass the message on."""
    if not failures:
        return ""
    ordered = sorted(failures, key=lambda f: (f["title"], f["id"]))
    table = wikitable(
        [msgs("skillmatch-delivery-col-page"), msgs("skillmatch-delivery-col-reason")],
        ([page_link(f["title"]), _why(msgs, f["reason"] or "")] for f in ordered[:shown]),
    )
    more = _more(msgs, len(ordered), shown)
    return f"\n== {msgs('skillmatch-delivery-heading')} ==\n{table}{more}\n"


def refused_section(refused: Sequence[tuple[str, str]], msgs: Messages) -> str:
    """Report pages the bot would not write this run ((title, reason)): a redirect put in
    their place is never followed, so someone has to restore the page or the setting."""
    if not refused:
        return ""
    table = wikitable(
        [msgs("skillmatch-problems-col-page"), msgs("skillmatch-problems-col-reason")],
        ([page_link(title), _why(msgs, reason)] for title, reason in sorted(refused)),
    )
    return f"\n== {msgs('skillmatch-refused-heading')} ==\n{table}\n"


def _row_starts(lines: Sequence[str]) -> list[bool]:
    """Which lines begin a table row: `|-`, or a row template such as `{{Skill badge|…}}`."""
    out = []
    depth = 0
    for line in lines:
        out.append(depth > 0 and (line == "|-" or line.startswith("{{")))
        if line.startswith("{|"):
            depth += 1
        elif line == "|}" and depth:
            depth -= 1
    return out


def fit(text: str, max_bytes: int, msgs: Messages) -> str:
    """`text` cut to at most `max_bytes` UTF-8 bytes, at a table row, saying how many rows
    were left out: a report page that grew past what the wiki accepts is still saved.

    Pages the bot writes are lines of wikitext whose tables have one row per `|-` (or per
    row template); the cut keeps whole rows, closes an open table and drops what follows.
    """
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    lines = text.split("\n")
    starts = _row_starts(lines)

    def note(left_out: int) -> str:
        return msgs("skillmatch-report-truncated", left_out, max_bytes)

    budget = max_bytes - len(note(sum(starts)).encode("utf-8")) - 16  # "|}" and newlines
    used = 0
    end = 0  # lines[:end] fit
    for line in lines:
        used += len(line.encode("utf-8")) + 1
        if used > budget:
            break
        end += 1
    depth = sum(1 if line.startswith("{|") else -1 if line == "|}" else 0 for line in lines[:end])
    if depth > 0:  # inside a table: back to the start of the row being cut, then close it
        while 0 < end < len(lines) and not starts[end] and not lines[end - 1].startswith("{|"):
            end -= 1
        kept = [*lines[:end], *["|}"] * depth]
    else:
        kept = lines[:end]
    left_out = sum(starts[end:])
    return "\n".join([*kept, note(left_out)]) + "\n"


def badges_page(
    awards: Sequence[Mapping[str, Any]],
    msgs: Messages,
    label: SkillLabel,
    catalog: Any,
    base_url: str,
    lang: str,
) -> str:
    """One `{{Skill badge}}` row per award, inside a localized sortable table."""
    parts = [notice(msgs), msgs("skillmatch-badges-intro"), ""]
    if not awards:
        parts.append(msgs("skillmatch-badges-none"))
        return "\n".join(parts) + "\n"
    out = ['{| class="wikitable sortable"']
    for col in ("user", "badge", "skill", "date", "id"):
        out.append(f"! {msgs(f'skillmatch-badges-col-{col}')}")
    for a in sorted(awards, key=lambda a: (str(a["issued_on"]), a["username"], a["id"])):
        kind = catalog.get(a["badge_class"])
        skill_label = label(a["skill"]) if a["skill"] else None
        name = kind.localized(lang, skill_label).name
        user = a["username"] if _USERNAME_OK.match(a["username"]) else esc(a["username"])
        out.append(
            "{{Skill badge"
            f"|user={user}|badge={esc(name)}|skill={esc(skill_label or '')}"
            f"|date={esc(a['issued_on'])}|id={esc(a['id'])}|url={base_url}/badges/awards/{esc(a['id'])}"
            "}}"
        )
    out.append("|}")
    parts.append("\n".join(out))
    return "\n".join(parts) + "\n"
