"""Wikitext the bot writes: tables, reports, messages.

Every string that came from a volunteer goes through `esc()` before it is
placed into wikitext. `esc()` turns each character that could start markup
into an HTML entity, so the text displays as written but can never open a
template, link, table cell, tag, signature, magic word or external link.
Output is deterministic (no timestamps), which is what lets an unchanged wiki
produce byte-identical pages and therefore zero edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote

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
_ESC = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
_USERNAME_OK = re.compile(r"^[^#<>\[\]|{}/@:\n]{1,85}$")


def esc(value: object) -> str:
    """Display `value` literally in wikitext, whatever it contains."""
    text = INVISIBLE.sub("", " ".join(str(value).split()))
    return _ESC.sub(lambda m: _ENTITIES[m.group(0)], text)


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
                        esc(getattr(r, dim)),
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
    return msgs(f"skillmatch-problem-{problem.code}", *(esc(p) for p in problem.params))


def problems_page(problems: Sequence[Problem], msgs: Messages) -> str:
    """Every rejected entry with its reason and a link to the revision that wrote it."""
    parts = [notice(msgs), msgs("skillmatch-problems-intro"), ""]
    if not problems:
        parts.append(f"'''{msgs('skillmatch-problems-none')}'''")
        return "\n".join(parts) + "\n"
    parts.append(msgs("skillmatch-problems-count", len(problems)))
    ordered = sorted(problems, key=lambda p: (p.origin.page, p.origin.line, p.code, p.params))
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
                    f"<code>{esc(p.snippet)}</code>" if p.snippet else "",
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
