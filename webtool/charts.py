"""Server-rendered SVG bar charts: demand against supply, readable without JavaScript.

Why SVG on the server: no front-end build, nothing for the CSP to allow, and the chart is in
the page for screen readers (``role="img"`` with ``<title>``/``<desc>``), printers and text
browsers alike. Every bar carries its number as text, so colour is never the only cue, and the
same data is also given as a table on the page. Right-to-left pages get a mirrored chart (labels
on the right, bars growing leftwards); the SVG states its direction because ``text-anchor``
flips meaning with it. Colours and fonts come from CSS classes, not inline
styles, so the strict CSP holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
LABEL_W = 190
VALUE_W = 56
ROW_H = 34
BAR_H = 12
TOP = 36


@dataclass(frozen=True)
class Bar:
    """One row: a label (plain text, escaped here) and the two numbers compared."""

    label: str
    demand: float
    supply: float
    lang: str | None = None  # the label's language when it differs from the page


def format_number(value: float) -> str:
    """``294.0`` → ``294``, ``2.25`` → ``2.2``: counts read as counts (also a Jinja filter)."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    demand_label: str,
    supply_label: str,
    rtl: bool = False,
) -> Markup:
    """An accessible grouped bar chart; every text argument is plain text and gets escaped."""
    height = TOP + ROW_H * max(1, len(bars)) + 8
    plot_w = WIDTH - LABEL_W - VALUE_W
    top_value = max([1.0, *(b.demand for b in bars), *(b.supply for b in bars)])

    def x_of(start: float, length: float) -> float:
        # LTR: bars start after the label column; RTL: mirrored.
        return WIDTH - LABEL_W - start - length if rtl else LABEL_W + start

    parts: list[Markup] = [
        Markup(
            '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
            'direction="{d}" role="img" aria-labelledby="{id}-title {id}-desc" focusable="false">'
        ).format(w=WIDTH, h=height, id=chart_id, d="rtl" if rtl else "ltr"),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, desc),
    ]
    legend_y = 16
    legend = ((demand_label, "bar-demand"), (supply_label, "bar-supply"))
    lx = WIDTH - 10 if rtl else 10
    for text, css in legend:
        box_x = lx - 12 if rtl else lx
        parts.append(
            Markup('<rect class="{}" x="{}" y="{}" width="12" height="12"/>').format(
                css, box_x, legend_y - 10
            )
        )
        # text-anchor follows the SVG's direction: "start" is the right edge in RTL.
        text_x = lx - 18 if rtl else lx + 18
        anchor = "start"
        parts.append(
            Markup('<text class="legend" x="{}" y="{}" text-anchor="{}">{}</text>').format(
                text_x, legend_y, anchor, text
            )
        )
        step = 40 + 8 * len(text)
        lx = lx - step if rtl else lx + step
    for i, bar in enumerate(bars):
        y = TOP + i * ROW_H
        label_x = WIDTH - LABEL_W + 8 if rtl else LABEL_W - 8
        label_anchor = "end"
        lang_attr = Markup(' lang="{}"').format(bar.lang) if bar.lang else Markup("")
        label = bar.label if len(bar.label) <= 28 else bar.label[:27] + "…"
        parts.append(
            Markup('<text class="label" x="{}" y="{}" text-anchor="{}"{}>{}</text>').format(
                label_x, y + BAR_H + 4, label_anchor, lang_attr, label
            )
        )
        for j, (value, css) in enumerate(((bar.demand, "bar-demand"), (bar.supply, "bar-supply"))):
            length = max(0.0, value) / top_value * plot_w
            by = y + j * (BAR_H + 2)
            parts.append(
                Markup('<rect class="{}" x="{:.1f}" y="{}" width="{:.1f}" height="{}"/>').format(
                    css, x_of(0, length), by, length, BAR_H
                )
            )
            vx = x_of(0, length) - 4 if rtl else LABEL_W + length + 4
            parts.append(
                Markup('<text class="value" x="{:.1f}" y="{}" text-anchor="{}">{}</text>').format(
                    vx, by + BAR_H - 2, "start", format_number(value)
                )
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
