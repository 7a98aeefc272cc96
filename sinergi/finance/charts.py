"""Charts for the finance pages, drawn on the server as inline SVG (no JavaScript).

Each chart is an `<svg role="img">` with a `<title>` and `<desc>`, a `<title>` on every
bar for pointer users, and the same figures as a table next to it in the template (the
table is the accessible alternative; the SVG repeats it for the eye).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Series colours (contrast ≥ 3:1 on white), in the order series are given.
PALETTE = ("#0b6e4f", "#2f6db5", "#b86e00", "#7b3fa8", "#b3261e")
WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 130
BAR_HEIGHT = 18
GAP = 8
# Labels longer than this go above their bars rather than beside them.
SHORT_LABEL = 24


@dataclass(frozen=True)
class Value:
    """One bar: its amount and the amount as shown (formatted money)."""

    amount: Decimal
    text: str


@dataclass(frozen=True)
class Group:
    """A label with one bar per series."""

    label: str
    values: list[Value]


def _length(amount: Decimal, largest: Decimal, room: int) -> int:
    if largest <= 0 or amount <= 0:
        return 0
    return max(1, int(room * amount / largest))


def _join(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _frame(
    chart_id: str, title: str, description: str, height: int, body: SafeString
) -> SafeString:
    return format_html(
        '<svg id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        body=body,
    )


def _legend(series: list[str], y: int, x: int) -> SafeString:
    items = []
    for index, name in enumerate(series):
        items.append(
            format_html(
                '<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}"/>'
                '<text x="{tx}" y="{ty}" font-size="12">{name}</text>',
                x=x,
                y=y,
                fill=PALETTE[index % len(PALETTE)],
                tx=x + 16,
                ty=y + 11,
                name=name,
            )
        )
        x += 24 + 7 * len(name)
    return _join(items)


def bar_chart(
    chart_id: str, title: str, description: str, groups: list[Group], series: list[str]
) -> SafeString:
    """Horizontal bars: one row of bars per group, one bar per series, a legend on top
    when there are several series. Bars share one scale; negative amounts draw no bar.

    Short labels sit left of their bars; when any label is long (a partner's or budget
    line's name), every label goes on its own line above its bars, so none is cut."""
    amounts = [v.amount for g in groups for v in g.values]
    largest = max(amounts, default=Decimal(0))
    above = any(len(g.label) > SHORT_LABEL for g in groups)
    left = 0 if above else LABEL_WIDTH
    room = WIDTH - left - VALUE_WIDTH
    parts = [_legend(series, 4, left)] if len(series) > 1 else []
    y = 24 if len(series) > 1 else 4
    for group in groups:
        group_height = len(group.values) * (BAR_HEIGHT + 2)
        if above:
            parts.append(
                format_html(
                    '<text x="0" y="{y}" font-size="13">{label}</text>',
                    y=y + 13,
                    label=_short(group.label, 90),
                )
            )
            y += 18
        else:
            parts.append(
                format_html(
                    '<text x="{x}" y="{y}" font-size="13" text-anchor="end">{label}</text>',
                    x=LABEL_WIDTH - 8,
                    y=y + group_height // 2 + 4,
                    label=group.label,
                )
            )
        for index, value in enumerate(group.values):
            length = _length(value.amount, largest, room)
            name = series[index] if index < len(series) else ""
            tip = f"{group.label}: {name + ' ' if len(series) > 1 else ''}{value.text}"
            parts.append(
                format_html(
                    '<g class="bar" data-series="{index}" data-amount="{amount}">'
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}">'
                    "<title>{tip}</title></rect>"
                    '<text x="{tx}" y="{ty}" font-size="12">{text}</text></g>',
                    index=index,
                    amount=value.amount,
                    x=left,
                    y=y,
                    w=length,
                    h=BAR_HEIGHT,
                    fill=PALETTE[index % len(PALETTE)],
                    tip=tip,
                    tx=left + length + 6,
                    ty=y + BAR_HEIGHT - 4,
                    text=value.text,
                )
            )
            y += BAR_HEIGHT + 2
        y += GAP
    return _frame(chart_id, title, description, y + 4, _join(parts))


def column_chart(
    chart_id: str, title: str, description: str, columns: list[tuple[str, str, Value]]
) -> SafeString:
    """Vertical columns (e.g. spending per month), each with a short label underneath and
    a full one in its tooltip."""
    height = 200
    chart_top, chart_bottom = 20, height - 30
    room = chart_bottom - chart_top
    largest = max((v.amount for _short, _label, v in columns), default=Decimal(0))
    step = (WIDTH - 20) / max(len(columns), 1)
    bar = max(int(step * 0.7), 4)
    parts = [
        format_html(
            '<line x1="10" y1="{y}" x2="{x2}" y2="{y}" stroke="#aab3c2"/>',
            y=chart_bottom,
            x2=WIDTH - 10,
        )
    ]
    for index, (short, label, value) in enumerate(columns):
        length = _length(value.amount, largest, room)
        x = int(10 + index * step + (step - bar) / 2)
        parts.append(
            format_html(
                '<g class="column" data-amount="{amount}">'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}">'
                "<title>{label}: {text}</title></rect>"
                '<text x="{cx}" y="{ly}" font-size="11" text-anchor="middle">{short}</text></g>',
                amount=value.amount,
                x=x,
                y=chart_bottom - length,
                w=bar,
                h=length,
                fill=PALETTE[0],
                label=label,
                short=short,
                text=value.text,
                cx=x + bar // 2,
                ly=chart_bottom + 16,
            )
        )
    if largest > 0:
        top_text = next(v.text for _short, _label, v in columns if v.amount == largest)
        parts.append(
            format_html(
                '<text x="12" y="{y}" font-size="11" fill="#5b6576">{text}</text>',
                y=chart_top - 6,
                text=top_text,
            )
        )
    return _frame(chart_id, title, description, height, _join(parts))


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
