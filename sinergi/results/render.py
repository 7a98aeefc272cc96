"""The results dashboard's body rendered in Python.

The dashboard lists every indicator twice (the table and the framework tree), and a
partnership may have hundreds: through the template engine each row cost an `{% url %}`,
two `{% include %}`s, four `floatformat`s and several lazy translations, and the page
took half a second of CPU for the largest partnership. Here the URL prefix is reversed
once, labels are translated once per render, numbers go through `number`, which gives
what `floatformat` gives (tests compare the two), and each indicator's link and progress
badge are built once for both the table and the tree. Everything is escaped by
`format_html`. The markup is the one the template produced.

Public: `dashboard_body(board, partnership, can_manage, view)` → safe HTML (`view`: a
`TableView`, which indicators the table shows), `number(value, places)`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import floatformat, truncatechars
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.http import urlencode
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from sinergi.partnerships.models import Partnership
from sinergi.results.models import Progress, ResultType, Trend
from sinergi.results.queries import (
    STATE_LABELS,
    STATE_LIGHT,
    Dashboard,
    IndicatorRow,
    ResultNode,
)

DASH = "\u2013"  # en dash: no figure
_CONTEXT = Context(prec=60)
# Per language: get_format costs more than the rest.
_SEPARATORS: dict[str | None, tuple[str, str]] = {}


@receiver(setting_changed)
def _formats_changed(**kwargs: Any) -> None:
    _SEPARATORS.clear()  # as Django clears its own format cache


def _esc(value: Any) -> str:
    """`conditional_escape` without its lazy-string wrapper: safe strings as they are,
    anything else through `html.escape` (what Django's `escape` does)."""
    if isinstance(value, SafeData):
        return str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def format_html(template: str, *args: Any) -> SafeString:
    """`django.utils.html.format_html` for positional arguments, at a fraction of the
    cost: the dashboard formats thousands of cells."""
    return SafeString(template.format(*[_esc(a) for a in args]))


def format_html_join(sep: str, template: str, rows: Iterable[tuple[Any, ...]]) -> SafeString:
    """`django.utils.html.format_html_join` built on `format_html` above."""
    return SafeString(_esc(sep).join(template.format(*[_esc(a) for a in r]) for r in rows))


def number(value: Any, places: int, *, localize: bool = True) -> str:
    """`value|floatformat:places` (negative: decimals only when it is not whole), with the
    thousands grouped as the reader's language groups them ("19.900", "19,900"), as the
    indicator page and the charts show them; with `localize=False` plain digits (the "u"
    suffix), for attributes. For Decimals, without the filter's overhead."""
    if not isinstance(value, Decimal) or not value.is_finite() or len(value.as_tuple()[1]) > 60:
        return floatformat(value, f"{places}g" if localize else f"{places}u")
    whole = int(value)
    if whole == value and places <= 0:
        if not localize or -1000 < whole < 1000:
            return str(whole)
        return f"{whole:,}".replace(",", _separators()[1])
    rounded = value.quantize(Decimal(1).scaleb(-abs(places)), ROUND_HALF_UP, _CONTEXT)
    if not localize:
        text = f"{abs(rounded):f}"
        return "-" + text if rounded.is_signed() and rounded else text
    decimal, group = _separators()
    text = f"{abs(rounded):,f}".translate({ord(","): group, ord("."): decimal})
    return "-" + text if rounded.is_signed() and rounded else text


def _separators() -> tuple[str, str]:
    """(decimal separator, thousands separator) of the active language's formats."""
    language = get_language()
    found = _SEPARATORS.get(language)
    if found is None:
        found = _SEPARATORS[language] = (
            str(get_format("DECIMAL_SEPARATOR")),
            str(get_format("THOUSAND_SEPARATOR")),
        )
    return found


def _or_dash(value: Any, places: int) -> str:
    return DASH if value is None else number(value, places)


def _bar(progress: str, width: Any, percent: Any) -> SafeString:
    return format_html(
        '<span class="pbar" aria-hidden="true"><span class="fill progress-{}" '
        'style="width: {}%"></span></span> {} %',
        progress,
        number(width, 0, localize=False),
        number(percent, -1),
    )


def _light(light: str, label: str) -> SafeString:
    return format_html(
        '<span class="light light-{}"><span aria-hidden="true">●</span> {}</span>', light, label
    )


PAGE_SIZE = 100  # indicators per page of the table, as Django admin's list_per_page
TREE_INLINE = 10  # a result with more indicators of its own links to them instead


@dataclass(frozen=True)
class TableView:
    """Which indicators the dashboard's table shows: the filters and page asked for
    (checked by `forms.DashboardFilterForm`), and that form's errors to show inline."""

    progress: str = ""
    partner: int | None = None
    result: int | None = None
    page: int = 1
    errors: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False)

    @property
    def filtered(self) -> bool:
        return bool(self.progress or self.partner or self.result)

    @property
    def default(self) -> bool:
        """The first page of every indicator: the view a plain link to the dashboard shows."""
        return not self.filtered and self.page == 1 and not self.errors

    def query(self, **changes: Any) -> str:
        """The query string of this view with `changes`; no page for the first page."""
        values = {
            "progress": self.progress,
            "partner": self.partner,
            "result": self.result,
            "page": self.page,
            **changes,
        }
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def rows(self, board: Dashboard) -> list[IndicatorRow]:
        return [
            row
            for row in board.indicators
            if (not self.progress or row.status.progress == self.progress)
            and (not self.partner or row.indicator.responsible_id == self.partner)
            and (not self.result or row.indicator.result_id == self.result)
        ]


def dashboard_body(
    board: Dashboard, partnership: Partnership, can_manage: bool, view: TableView | None = None
) -> SafeString:
    """Everything below the results sub-tabs: summary, indicators (filtered and paged
    by `view`), framework, partners, SDGs."""
    view = view or TableView()
    progress_labels = {value: str(label) for value, label in Progress.choices}
    trend_labels = {value: str(label) for value, label in Trend.choices}
    type_labels = {value: str(label) for value, label in ResultType.choices}
    sentinel = 987654321
    href = reverse("results-indicator", args=[partnership.slug, sentinel])
    before, after = (_esc(part) for part in href.split(str(sentinel), 1))

    def badge(progress: str) -> SafeString:
        return format_html(
            '<span class="progress-badge progress-{}">{}</span>',
            progress,
            progress_labels.get(progress, progress),
        )

    parts: list[str] = []
    on_track, at_risk, off_track = _("On track"), _("At risk"), _("Off track")
    no_data = _("No data yet")
    not_scored = progress_labels[Progress.NOT_SCORED]
    mean_title = _("Mean percent of target to date")
    t = board.totals
    parts.append(
        format_html(
            '<section aria-labelledby="summary-title" class="results-summary">\n'
            '  <h2 id="summary-title">{}</h2>\n  <dl class="facts">\n'
            "    <dt>{}</dt><dd>{}</dd>\n    <dt>{}</dt><dd>{}</dd>\n"
            "    <dt>{}</dt><dd>{}</dd>\n    <dt>{}</dt><dd>{}</dd>\n"
            "    <dt>{}</dt><dd>{}</dd>\n    <dt>{}</dt><dd>{}</dd>\n"
            "    <dt>{}</dt><dd>{}</dd>\n    <dt>{}</dt><dd>{}</dd>\n  </dl>\n</section>\n",
            _("Progress"),
            _("Indicators"),
            t.indicators,
            on_track,
            t.on_track,
            at_risk,
            t.at_risk,
            off_track,
            t.off_track,
            no_data,
            t.no_data,
            not_scored,
            t.not_scored,
            mean_title,
            DASH if t.mean is None else f"{number(t.mean, -1)} %",
            _("Reporting"),
            _light(board.light, board.light_label),
        )
    )

    # Each indicator's link and badge, made once for the table and the tree.
    links: dict[int, SafeString] = {}
    badges: dict[str, SafeString] = {}
    for row in board.indicators:
        i = row.indicator
        links[i.pk] = mark_safe(f'<a href="{before}{i.pk}{after}">')  # noqa: S308 escaped
        if row.status.progress not in badges:
            badges[row.status.progress] = badge(row.status.progress)

    nodes = [node for top in board.tree for node in top.walk()]
    parts.append(
        format_html(
            '<section aria-labelledby="indicators-title">\n  <h2 id="indicators-title">{}</h2>\n',
            _("Indicators"),
        )
    )
    if board.indicators:
        parts.append(_filters(board, nodes, view, progress_labels))
        shown = view.rows(board)
        pages = max(1, -(-len(shown) // PAGE_SIZE))
        page = min(view.page, pages)
        first = (page - 1) * PAGE_SIZE
        on_page = shown[first : first + PAGE_SIZE]
        if on_page:
            parts.append(
                format_html(
                    '  <p class="meta">{}</p>\n',
                    ngettext(
                        "Showing %(first)s to %(last)s of %(n)s indicator",
                        "Showing %(first)s to %(last)s of %(n)s indicators",
                        len(shown),
                    )
                    % {"first": first + 1, "last": first + len(on_page), "n": len(shown)},
                )
            )
            parts.append(_indicator_table(on_page, links, badges, trend_labels))
            parts.append(_pages(view, page, pages))
        else:
            parts.append(format_html("  <p>{}</p>\n", _("No indicator matches these filters.")))
    else:
        link = ""
        if can_manage:
            link = format_html(
                ' <a href="{}">{}</a>',
                reverse("results-framework", args=[partnership.slug]),
                _("Set up the results framework"),
            )
        parts.append(format_html("  <p>{}{}</p>\n", _("No indicators yet."), link))
    parts.append("</section>\n")

    if nodes:
        parts.append(
            format_html(
                '<section aria-labelledby="framework-title">\n  <h2 id="framework-title">{}</h2>\n'
                '  <ul class="results-tree">\n',
                _("Results framework"),
            )
        )
        for node in nodes:
            s = node.summary
            meta = format_html(
                "{} · {} {} · {} {} · {} {}{}",
                ngettext("%(n)s indicator", "%(n)s indicators", s.indicators) % {"n": s.indicators},
                on_track,
                s.on_track,
                at_risk,
                s.at_risk,
                off_track,
                s.off_track,
                "" if s.mean is None else f" · {number(s.mean, -1)} %",
            )
            inner = ""
            if len(node.indicators) > TREE_INLINE:
                inner = format_html(
                    '<a href="?{}#indicators-title">{}</a>',
                    TableView(result=node.result.pk).query(),
                    ngettext(
                        "Show its own %(n)s indicator",
                        "Show its own %(n)s indicators",
                        len(node.indicators),
                    )
                    % {"n": len(node.indicators)},
                )
            elif node.indicators:
                inner = format_html(
                    "<ul>{}</ul>",
                    format_html_join(
                        "",
                        "<li>{}{} {}</a> {}</li>",
                        (
                            (
                                links[r.indicator.pk],
                                r.indicator.code,
                                r.indicator.title,
                                badges[r.status.progress],
                            )
                            for r in node.indicators
                        ),
                    ),
                )
            parts.append(
                format_html(
                    '    <li class="depth-{}">\n      <span class="badge">{}</span> '
                    '<strong>{}</strong>\n      <span class="meta">{}</span>\n'
                    "      {}\n    </li>\n",
                    node.depth,
                    type_labels.get(node.result.type, node.result.type),
                    node.result.title,
                    meta,
                    inner,
                )
            )
        parts.append("  </ul>\n</section>\n")

    if board.partners:
        heads = [
            (_("Partner"), False),
            (_("Reporting"), False),
            (_("Indicators"), True),
            (_("Submitted on time"), True),
            (_("Due"), True),
            (_("Late"), True),
            (_("Missing"), True),
        ]
        parts.append(
            format_html(
                '<section aria-labelledby="partners-title">\n  <h2 id="partners-title">{}</h2>\n'
                '  <table class="list">\n    <thead><tr>{}</tr></thead>\n    <tbody>',
                _("Reporting by partner"),
                _heads(heads),
            )
        )
        parts.append(
            format_html_join(
                "",
                '\n      <tr><th scope="row">{}</th><td>{}</td><td class="num">{}</td>'
                '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
                '<td class="num">{}</td></tr>\n    ',
                (
                    (
                        p.organisation.name,
                        _light(p.light, p.light_label),
                        p.indicators,
                        p.on_time,
                        p.due,
                        p.late,
                        p.missing,
                    )
                    for p in board.partners
                ),
            )
        )
        parts.append("</tbody>\n  </table>\n</section>\n")

    if board.sdg:
        heads = [
            (_("SDG target"), False),
            (_("Indicators"), True),
            (on_track, True),
            (at_risk, True),
            (off_track, True),
            (no_data, True),
            (not_scored, True),
            (mean_title, False),
        ]
        parts.append(
            format_html(
                '<section aria-labelledby="sdg-title">\n  <h2 id="sdg-title">{}</h2>\n'
                '  <table class="list">\n    <thead><tr>{}</tr></thead>\n    <tbody>',
                _("Contribution to the SDGs"),
                _heads(heads),
            )
        )
        parts.append(
            format_html_join(
                "",
                '\n      <tr><th scope="row"><span class="sdg-code">{}</span> '
                '<span lang="{}">{}</span></th>'
                '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
                '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
                "<td>{}</td></tr>\n    ",
                (
                    (
                        r.code,
                        r.title_lang,
                        truncatechars(r.title, 90),
                        r.indicators,
                        r.on_track,
                        r.at_risk,
                        r.off_track,
                        r.no_data,
                        r.not_scored,
                        DASH if r.mean is None else _bar(r.progress, r.bar, r.mean),
                    )
                    for r in board.sdg
                ),
            )
        )
        parts.append("</tbody>\n  </table>\n</section>\n")
    return mark_safe("".join(parts))  # noqa: S308 every part is escaped by format_html


def _filters(
    board: Dashboard, nodes: list[ResultNode], view: TableView, progress_labels: dict[str, str]
) -> SafeString:
    """The table's filter form: progress, responsible partner, result; errors inline."""

    def select(name: str, label: str, options: list[tuple[Any, str]], chosen: Any) -> SafeString:
        errors = view.errors.get(name, ())
        return format_html(
            '    <div class="field{}"><label for="filter-{}">{}</label>'
            '<select id="filter-{}" name="{}"{}>{}</select>{}</div>\n',
            " has-error" if errors else "",
            name,
            label,
            name,
            name,
            mark_safe(f' aria-invalid="true" aria-describedby="filter-{name}-error"')  # noqa: S308
            if errors
            else "",
            format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (value, mark_safe(" selected") if value == chosen else "", text)
                    for value, text in options
                ),
            ),
            format_html('<p class="error" id="filter-{}-error">{}</p>', name, " ".join(errors))
            if errors
            else "",
        )

    every = _("All")
    progress = [("", every), *progress_labels.items()]
    partners = [("", every), *((p.organisation.pk, p.organisation.name) for p in board.partners)]
    results = [("", every)] + [
        (node.result.pk, "\u2014 " * node.depth + truncatechars(node.result.title, 60))
        for node in nodes
    ]
    clear = ""
    if view.filtered or view.errors:
        clear = format_html(' <a href="?#indicators-title">{}</a>', _("Clear"))
    page_error = ""
    if view.errors.get("page"):  # the page has no control of its own: say it beside them
        page_error = format_html(
            '    <p class="error" id="filter-page-error">{}: {}</p>\n',
            _("Page"),
            " ".join(view.errors["page"]),
        )
    return format_html(
        '  <form method="get" action="#indicators-title" class="filters" aria-label="{}">\n'
        "{}{}{}{}"
        '    <div><button type="submit">{}</button>{}</div>\n  </form>\n',
        _("Filter the indicators"),
        select("progress", _("Progress"), progress, view.progress),
        select("partner", _("Responsible partner"), partners, view.partner or ""),
        select("result", _("Result"), results, view.result or ""),
        page_error,
        _("Filter"),
        clear,
    )


def _indicator_table(
    rows: list[IndicatorRow],
    links: dict[int, SafeString],
    badges: dict[str, SafeString],
    trend_labels: dict[str, str],
) -> str:
    heads = [
        _("Code"),
        _("Indicator"),
        _("Responsible partner"),
        _("Progress"),
        _("Actual to date"),
        _("Target to date"),
        _("Percent of target to date"),
        _("Trend"),
        _("Reporting"),
    ]
    numeric = {4, 5}
    parts = ['  <div class="table-scroll"><table class="list results-indicators">\n    <thead><tr>']
    parts.append(
        "".join(
            format_html('<th scope="col" class="num">{}</th>', h)
            if n in numeric
            else format_html('<th scope="col">{}</th>', h)
            for n, h in enumerate(heads)
        )
    )
    parts.append("</tr></thead>\n    <tbody>\n")
    lights = {
        state: _light(STATE_LIGHT[state], str(STATE_LABELS[state]))
        for state in {r.state for r in rows}
    }
    row_html = (
        "      <tr>\n        <td>{}</td>\n        <td>{}{}</a></td>\n        <td>{}</td>\n"
        '        <td>{}</td>\n        <td class="num">{}</td>\n'
        '        <td class="num">{}</td>\n'
        "        <td>{}</td>\n        <td>{}</td>\n"
        '        <td>{} <span class="meta">{}</span></td>\n      </tr>\n'
    )
    for row in rows:
        s, i = row.status, row.indicator
        pct = s.percent_to_date
        parts.append(
            format_html(
                row_html,
                i.code,
                links[i.pk],
                i.title,
                i.responsible.name,
                badges[s.progress],
                _or_dash(s.actual, -2),
                _or_dash(s.target, -2),
                DASH if pct is None else _bar(s.progress, row.bar, pct),
                trend_labels.get(s.trend, s.trend),
                lights[row.state],
                row.expected.label,
            )
        )
    parts.append("    </tbody>\n  </table></div>\n")
    return "".join(parts)


def _pages(view: TableView, page: int, pages: int) -> SafeString:
    """Previous and next links around "Page n of m", as `includes/pagination.html`."""
    if pages <= 1:
        return SafeString("")
    previous = next_ = ""
    if page > 1:
        previous = format_html(
            '<a href="?{}#indicators-title" rel="prev">{}</a>',
            view.query(page=page - 1),
            _("Previous"),
        )
    if page < pages:
        next_ = format_html(
            '<a href="?{}#indicators-title" rel="next">{}</a>',
            view.query(page=page + 1),
            _("Next"),
        )
    return format_html(
        '  <nav class="pagination" aria-label="{}">{}<span>{}</span>{}</nav>\n',
        _("Pages of indicators"),
        previous,
        _("Page %(number)s of %(total)s") % {"number": page, "total": pages},
        next_,
    )


def _heads(heads: list[tuple[str, bool]]) -> SafeString:
    return format_html_join(
        "",
        '<th scope="col"{}>{}</th>',
        ((mark_safe(' class="num"') if num else "", label) for label, num in heads),
    )
