"""Read paths for the results pages and API.

Every function here reads; writes live in `sinergi.results.services`. Progress figures
come from the roll-ups written with each approval (`IndicatorStatus`, `SdgProgress`):
nothing here adds up `Submission` rows per request, so the dashboard is a handful of
queries whatever the number of indicators, and the portfolio is one GROUP BY.

Public functions (used by the pages and by `sinergi.results.api`):

* `dashboard(partnership, user, today=None)` → `Dashboard`
* `indicator_detail(indicator, user)` → `IndicatorDetail`
* `portfolio(user, goal=None)` → `Portfolio`
* `review_queue(partnership, user)` → list of `Submission` (each with `.can_decide`)
* `my_reporting(partnership, user, today=None)` → list of `ReportingRow`
* `reporting_period(indicator, periods, partnership, today)` → the period whose values are
  expected now (see "Reporting traffic light" below)

Reporting traffic light. For each indicator, the period whose values are expected is
the latest period of its frequency whose end has passed (or the current period when
none has ended yet within the partnership's dates). Its state is:

* ``on_time`` — a value was submitted (or approved) on or before the due date: green;
* ``late`` — a value was submitted after the due date: yellow;
* ``due`` — the period has ended, the due date has not passed, nothing submitted: yellow;
* ``overdue`` — the due date has passed and nothing was submitted or approved: red;
* ``open`` — the period has not ended yet and nothing was submitted: green (nothing
  is expected yet).

Drafts and returned values count as nothing submitted. A partner's light (and the
partnership's) is red when any of its indicators is overdue, yellow when any is due or
late, green otherwise; `late` and `missing` (overdue) are counted per partner.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, F, Model, Prefetch, Q, Sum
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core import sql, stored
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Partnership
from sinergi.results import export, progress, services
from sinergi.results.models import (
    Dimension,
    DimensionKind,
    Evidence,
    Frequency,
    Indicator,
    IndicatorStatus,
    Measure,
    Period,
    Progress,
    Result,
    SdgProgress,
    Site,
    Status,
    Submission,
    SubmissionValue,
    Target,
    as_key,
)

GREEN = "green"
YELLOW = "yellow"
RED = "red"

ON_TIME = "on_time"
LATE = "late"
DUE = "due"
OVERDUE = "overdue"
OPEN = "open"

STATE_LIGHT = {ON_TIME: GREEN, OPEN: GREEN, LATE: YELLOW, DUE: YELLOW, OVERDUE: RED}
STATE_LABELS = {
    ON_TIME: _("Submitted on time"),
    LATE: _("Submitted late"),
    DUE: _("Due"),
    OVERDUE: _("Overdue"),
    OPEN: _("Not due yet"),
}
LIGHT_LABELS = {GREEN: _("On time"), YELLOW: _("Due or late"), RED: _("Overdue")}
_LIGHT_RANK = {GREEN: 0, YELLOW: 1, RED: 2}
T = TypeVar("T")


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def worst(lights: Iterable[str]) -> str:
    """The worst of traffic lights (green when there are none)."""
    found = GREEN
    for light in lights:
        if _LIGHT_RANK[light] > _LIGHT_RANK[found]:
            found = light
    return found


# ---------------------------------------------------------------- reporting periods


@dataclass(frozen=True)
class ExpectedPeriod:
    """The period whose values are expected now: a stored `Period` or, when none is
    stored yet, its bounds (`period` is None; nothing can have been submitted)."""

    frequency: str
    start: date
    end: date
    due: date
    period: Period | None = None

    @cached_property
    def label(self) -> str:
        return Period(frequency=self.frequency, start=self.start, end=self.end).label

    @property
    def pk(self) -> int | None:
        return self.period.pk if self.period else None


def expected_period(
    frequency: str,
    partnership: Partnership,
    stored: dict[tuple[str, date], Period],
    today: date,
) -> ExpectedPeriod:
    """The latest period of `frequency` that has ended by `today` (or the current one
    when none has ended within the partnership's dates). `stored` maps (frequency,
    start) to the partnership's stored periods."""
    start, end = _expected_bounds(frequency, partnership, today)
    row = stored.get((frequency, start))
    if row is not None:
        return ExpectedPeriod(frequency, row.start, row.end, row.due, row)
    return ExpectedPeriod(frequency, start, end, end + timedelta(days=services.due_days()))


def expected_periods(
    partnership: Partnership, frequencies: Iterable[str], today: date
) -> dict[str, ExpectedPeriod]:
    """frequency → `expected_period`, reading only those periods (one query)."""
    bounds = {f: _expected_bounds(f, partnership, today) for f in frequencies}
    if not bounds:
        return {}
    params: list[Any] = [partnership.pk]
    for frequency, (start, _end) in bounds.items():
        params += [frequency, connection.ops.adapt_datefield_value(start)]
    # Raw SQL: every dashboard read (and its freshness check) runs this, and compiling
    # the OR of ORM lookups cost more than the query.
    rows = sql.rows(Period, connection, _expected_periods_sql(len(bounds)), params)
    stored = {(p.frequency, p.start): p for p, _rest in rows}
    return {f: expected_period(f, partnership, stored, today) for f in bounds}


@cache
def _expected_periods_sql(count: int) -> str:
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in Period._meta.concrete_fields)
    wanted = " OR ".join([f"({q('frequency')} = %s AND {q('start')} = %s)"] * count)
    # Table and column names come from the model, never from input.
    return (
        f"SELECT {columns} FROM {q(Period._meta.db_table)}"  # noqa: S608
        f" WHERE {q('partnership_id')} = %s AND ({wanted})"
    )


def _expected_bounds(frequency: str, partnership: Partnership, today: date) -> tuple[date, date]:
    current_start, _current_end = services.period_bounds(frequency, today)
    day = current_start - timedelta(days=1)
    end_date = getattr(partnership, "end_date", None)
    if end_date and end_date < day:
        day = end_date
    start, end = services.period_bounds(frequency, day)
    start_date = getattr(partnership, "start_date", None)
    if start_date and end < start_date:
        start, end = services.period_bounds(frequency, max(today, start_date))
    return start, end


def reporting_state(expected: ExpectedPeriod, submitted_on: date | None, today: date) -> str:
    """One of on_time, late, due, overdue, open (see the module docstring)."""
    if submitted_on is not None:
        return ON_TIME if submitted_on <= expected.due else LATE
    if expected.end >= today:
        return OPEN
    if expected.due >= today:
        return DUE
    return OVERDUE


def _stored_periods(partnership: Partnership) -> dict[tuple[str, date], Period]:
    return {
        (p.frequency, p.start): p for p in Period.objects.filter(partnership=partnership).order_by()
    }


def _first_submitted(period_ids: Iterable[int], partnership: Partnership) -> dict:
    """(indicator id, period id) → the date its value was first submitted (counting
    submitted and approved revisions only)."""
    ids = sorted({pk for pk in period_ids if pk})
    if not ids:
        return {}
    with sql.cursor(connection) as cursor:
        cursor.execute(
            _first_submitted_sql(len(ids)),
            [partnership.pk, *ids, Status.SUBMITTED.value, Status.APPROVED.value],
        )
        found = sql.converted(connection, _first_submitted_fields(), cursor.fetchall())
    zone = timezone.get_current_timezone()
    return {
        (indicator_id, period_id): first.astimezone(zone).date()
        for indicator_id, period_id, first in found
        if first is not None
    }


@cache
def _first_submitted_sql(periods: int) -> str:
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * periods)
    # Raw SQL, prepared on PostgreSQL: every dashboard computed runs it, and the ORM's
    # compiling of the grouped query cost more than the query. Names come from the
    # model, never from input.
    return (
        f"SELECT {q('indicator_id')}, {q('period_id')},"  # noqa: S608
        f" MIN(COALESCE({q('submitted_at')}, {q('decided_at')}, {q('created_at')}))"
        f" FROM {q(Submission._meta.db_table)}"
        f" WHERE {q('partnership_id')} = %s AND {q('period_id')} IN ({marks})"
        f" AND {q('status')} IN (%s, %s)"
        f" GROUP BY {q('indicator_id')}, {q('period_id')}"
    )


@cache
def _first_submitted_fields() -> tuple[Any, ...]:
    return (None, None, Submission._meta.get_field("submitted_at"))


# ---------------------------------------------------------------- dashboard


@dataclass
class IndicatorRow:
    """One indicator on the dashboard with its progress roll-up and reporting state."""

    indicator: Indicator
    status: IndicatorStatus
    expected: ExpectedPeriod
    state: str

    @property
    def light(self) -> str:
        return STATE_LIGHT[self.state]

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def bar(self) -> Decimal:
        """Percent of target to date capped to 0-100, for a progress bar."""
        pct = self.status.percent_to_date
        return progress.capped(pct) if pct is not None else Decimal(0)


@dataclass
class ResultNode:
    """A result with its indicators and the results under it; `summary` adds up its
    own indicators and every indicator below it."""

    result: Result
    depth: int
    indicators: list[IndicatorRow] = field(default_factory=list)
    children: list[ResultNode] = field(default_factory=list)
    summary: progress.Summary = field(default_factory=progress.Summary)

    def walk(self) -> Iterable[ResultNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class PartnerReporting:
    """How one responsible partner is doing with its reporting."""

    organisation: Organisation
    indicators: int = 0
    on_time: int = 0
    late: int = 0  # submitted after the due date
    due: int = 0  # period ended, due date not passed, nothing submitted
    missing: int = 0  # due date passed, nothing submitted (overdue)
    open: int = 0
    light: str = GREEN

    def add(self, state: str) -> None:
        self.indicators += 1
        if state == ON_TIME:
            self.on_time += 1
        elif state == LATE:
            self.late += 1
        elif state == DUE:
            self.due += 1
        elif state == OVERDUE:
            self.missing += 1
        else:
            self.open += 1
        light = STATE_LIGHT[state]
        if _LIGHT_RANK[light] > _LIGHT_RANK[self.light]:
            self.light = light

    @property
    def light_label(self) -> str:
        return str(LIGHT_LABELS[self.light])


@dataclass
class SdgRow:
    """Progress towards one SDG target (or goal): counts per status and the mean
    capped percent of target to date of the scored indicators."""

    code: str
    goal: str
    partnerships: int
    indicators: int
    on_track: int
    at_risk: int
    off_track: int
    no_data: int
    not_scored: int  # qualitative indicators: counted, never scored
    scored: int
    percent_sum: Decimal
    indicator_codes: list[str] = field(default_factory=list)
    # The portfolio's drill-down: the visible partnerships behind this target.
    members: list[Any] = field(default_factory=list)

    @property
    def mean(self) -> Decimal | None:
        return progress.mean_of(self.percent_sum, self.scored)

    @property
    def progress(self) -> str:
        return progress.status_for(self.mean)

    @property
    def progress_label(self) -> str:
        return str(Progress(self.progress).label)

    @property
    def item(self) -> sdg.SdgItem | None:
        return sdg.get(self.code)

    @property
    def title(self) -> str:
        item = self.item
        if item is None:
            return self.code
        return item.short_title if item.kind == "goal" else item.title

    @property
    def title_lang(self) -> str:
        """The language of `title` (SDG texts are in English where the UN gives no
        Indonesian), for the HTML lang attribute."""
        item = self.item
        if item is None:
            return ""
        return item.short_title_lang if item.kind == "goal" else item.title_lang

    @property
    def bar(self) -> Decimal:
        return self.mean if self.mean is not None else Decimal(0)


@dataclass
class Dashboard:
    partnership: Partnership
    today: date
    tree: list[ResultNode]  # top-level results (impacts first, in framework order)
    indicators: list[IndicatorRow]  # every indicator, in framework order
    totals: progress.Summary  # every indicator of the partnership
    sdg: list[SdgRow]
    partners: list[PartnerReporting]
    light: str  # the partnership's reporting light (worst partner)

    @property
    def light_label(self) -> str:
        return str(LIGHT_LABELS[self.light])

    @property
    def late(self) -> int:
        return sum(p.late for p in self.partners)

    @property
    def missing(self) -> int:
        return sum(p.missing for p in self.partners)


def _default_status(indicator: Indicator) -> IndicatorStatus:
    prog = Progress.NOT_SCORED if indicator.measure == Measure.QUALITATIVE else Progress.NO_DATA
    return IndicatorStatus(
        indicator=indicator, partnership_id=indicator.partnership_id, progress=prog
    )


_INDICATOR_COLUMNS = (
    "id",
    "partnership_id",
    "result_id",
    "code",
    "title",
    "measure",
    "unit",
    "ascending",
    "accumulation",
    "frequency",
    "baseline_value",
    "baseline_date",
    "responsible_id",
    "sdg_indicator",
    "position",
)
_STATUS_COLUMNS = (
    "period_id",
    "actual",
    "target",
    "final_target",
    "percent",
    "percent_to_date",
    "progress",
    "trend",
    "approved",
)
_RESPONSIBLE = _INDICATOR_COLUMNS.index("responsible_id")
_FREQUENCY = _INDICATOR_COLUMNS.index("frequency")
_RESULT = _INDICATOR_COLUMNS.index("result_id")
_STATUS_START = len(_INDICATOR_COLUMNS)
_STATUS_PROGRESS = _STATUS_START + _STATUS_COLUMNS.index("progress")
M = TypeVar("M", bound=Model)


def _loaded(model: type[M], values: dict[str, Any], db: str) -> M:
    """An instance of `model` as the database has it, from columns already read and
    converted, without `Model.__init__`'s per-field work. A column left out loads on
    first access, as a deferred field does."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = db
    return instance


def _status_of(indicator: Indicator) -> IndicatorStatus:
    try:
        return indicator.status
    except IndicatorStatus.DoesNotExist:
        return _default_status(indicator)


def sdg_rows(partnership: Partnership) -> list[SdgRow]:
    """The partnership's SDG contribution, one row per SDG target (from `SdgProgress`)."""
    rows = SdgProgress.objects.filter(partnership=partnership).exclude(target=F("goal")).order_by()
    found = [
        SdgRow(
            code=r.target,
            goal=r.goal,
            partnerships=1,
            indicators=r.indicators,
            on_track=r.on_track,
            at_risk=r.at_risk,
            off_track=r.off_track,
            no_data=r.no_data,
            not_scored=r.not_scored,
            scored=r.scored,
            percent_sum=r.percent_sum,
            indicator_codes=list(r.indicator_codes or ()),
        )
        for r in rows
    ]
    return sorted(found, key=lambda r: sdg.sort_key(r.code))


@cache
def _indicators_sql() -> str:
    q = connection.ops.quote_name
    indicator, status = q(Indicator._meta.db_table), q(IndicatorStatus._meta.db_table)
    columns = ", ".join(
        [f"i.{q(c)}" for c in _INDICATOR_COLUMNS] + [f"s.{q(c)}" for c in _STATUS_COLUMNS]
    )
    # Table and column names come from the models, never from input.
    return (
        f"SELECT {columns} FROM {indicator} i"  # noqa: S608
        # The status rows through their partnership index: joined on the indicator alone,
        # PostgreSQL hashed the whole status table (100,000 rows) for one partnership's.
        f" LEFT OUTER JOIN {status} s ON s.{q('indicator_id')} = i.{q('id')}"
        f" AND s.{q('partnership_id')} = %s"
        f" WHERE i.{q('partnership_id')} = %s"
        f" ORDER BY i.{q('position')}, i.{q('code')}, i.{q('id')}"
    )


@cache
def _indicator_fields() -> tuple[Any, ...]:
    def field_of(model: type[Model], column: str) -> Any:
        found = model._meta.get_field(column.removesuffix("_id"))
        return found if found.get_internal_type() in _CONVERTED else None

    return tuple(
        [field_of(Indicator, c) for c in _INDICATOR_COLUMNS]
        + [field_of(IndicatorStatus, c) for c in _STATUS_COLUMNS]
    )


_CONVERTED = {"DecimalField", "DateField", "DateTimeField", "BooleanField"}


def _indicator_columns(
    partnership: Partnership,
) -> tuple[list[tuple[Any, ...]], dict[int, Organisation]]:
    """The partnership's indicators in framework order with their status rows, in one
    query read as plain columns (`_INDICATOR_COLUMNS` then `_STATUS_COLUMNS`, converted
    as the ORM would), and their responsible partners by id. Building hundreds of model
    instances field by field cost more than the query; the columns the dashboard never
    shows (a status's series, definitions, times) are not read."""
    with sql.cursor(connection) as cursor:
        cursor.execute(_indicators_sql(), [partnership.pk, partnership.pk])
        found = sql.converted(connection, _indicator_fields(), cursor.fetchall())
    # Hundreds of indicators share a handful of responsible partners, read once.
    return found, Organisation.objects.in_bulk({r[_RESPONSIBLE] for r in found})


def _indicator_and_status(
    values: tuple[Any, ...], responsible: dict[int, Organisation], db: str
) -> tuple[Indicator, IndicatorStatus]:
    """An `_indicator_columns` row as instances, as the ORM would load them (a column
    not read loads on first access); a default status when there is no status row."""
    indicator = _loaded(Indicator, dict(zip(_INDICATOR_COLUMNS, values, strict=False)), db)
    indicator._state.fields_cache["responsible"] = responsible[values[_RESPONSIBLE]]
    if values[_STATUS_PROGRESS] is None:  # no status row yet
        return indicator, _default_status(indicator)
    status_values = dict(zip(_STATUS_COLUMNS, values[_STATUS_START:], strict=True))
    status_values["indicator_id"] = values[0]
    status_values["partnership_id"] = values[1]
    return indicator, _loaded(IndicatorStatus, status_values, db)


def dashboard(partnership: Partnership, user: User, today: date | None = None) -> Dashboard:
    """Everything the results dashboard shows, in six queries whatever the size.

    `tree`: the framework (impact → outcome → output), each `ResultNode` with its
    `IndicatorRow`s (indicator, its `IndicatorStatus` roll-up, the expected reporting
    period and its state) and a `progress.Summary` of everything below it. `totals`:
    the summary over all indicators. `sdg`: `SdgRow` per SDG target. `partners`:
    `PartnerReporting` per responsible partner (traffic light, late and missing
    counts); `light`: the partnership's. Only approved figures are shown, so the same
    for every reader (`user` is accepted for symmetry with the other reads).
    """
    today = _today(today)
    results = list(
        Result.objects.filter(partnership=partnership)
        .defer("created_at")
        .order_by("position", "pk")
    )
    found, responsible = _indicator_columns(partnership)
    expected_by_frequency = expected_periods(partnership, {r[_FREQUENCY] for r in found}, today)
    expected_pk = {f: e.pk for f, e in expected_by_frequency.items()}
    submitted = _first_submitted(expected_pk.values(), partnership)

    rows: list[IndicatorRow] = []
    by_result: dict[int, list[IndicatorRow]] = defaultdict(list)
    # Each result's own indicators taken together; the tree adds the results below.
    own: dict[int, progress.Summary] = defaultdict(progress.Summary)
    partners: dict[int, PartnerReporting] = {}
    db = connection.alias
    for values in found:
        indicator, status = _indicator_and_status(values, responsible, db)
        frequency, result_id = values[_FREQUENCY], values[_RESULT]
        expected = expected_by_frequency[frequency]
        state = reporting_state(expected, submitted.get((values[0], expected_pk[frequency])), today)
        row = IndicatorRow(indicator, status, expected, state)
        rows.append(row)
        by_result[result_id].append(row)
        own[result_id].add(status.progress, status.percent_to_date)
        partner = partners.get(values[_RESPONSIBLE])
        if partner is None:
            partner = partners[values[_RESPONSIBLE]] = PartnerReporting(indicator.responsible)
        partner.add(state)
    totals = progress.Summary()
    for summary in own.values():
        totals.merge(summary)

    nodes = {
        r.pk: ResultNode(r, 0, by_result.get(r.pk, []), summary=own.pop(r.pk, progress.Summary()))
        for r in results
    }
    tree: list[ResultNode] = []
    for r in results:
        parent = nodes.get(r.parent_id) if r.parent_id else None
        (parent.children if parent else tree).append(nodes[r.pk])

    def fill(node: ResultNode, depth: int, seen: set[int]) -> progress.Summary:
        seen.add(node.result.pk)
        node.depth = depth
        for child in node.children:
            if child.result.pk not in seen:
                node.summary.merge(fill(child, depth + 1, seen))
        return node.summary

    seen: set[int] = set()
    type_order = {"3": 0, "2": 1, "1": 2, "9": 3}
    tree.sort(key=lambda n: (type_order.get(n.result.type, 9), n.result.position, n.result.pk))
    for node in tree:
        fill(node, 0, seen)

    partner_list = sorted(partners.values(), key=lambda p: p.organisation.name.lower())
    return Dashboard(
        partnership=partnership,
        today=today,
        tree=tree,
        indicators=rows,
        totals=totals,
        sdg=sdg_rows(partnership),
        partners=partner_list,
        light=worst(p.light for p in partner_list),
    )


# ---------------------------------------------------------------- cached pages


FRESH_SECONDS = 600
SHARED_SECONDS = 24 * 3600


def _scalars(query: str, params: list[Any]) -> tuple[Any, ...]:
    with sql.cursor(connection) as cursor:
        cursor.execute(query, params)
        return tuple(cursor.fetchone())


@cache
def _dashboard_version_sql() -> str:
    q = connection.ops.quote_name
    entry, indicator = q(Entry._meta.db_table), q(Indicator._meta.db_table)
    status, sdg_rows_ = q(IndicatorStatus._meta.db_table), q(SdgProgress._meta.db_table)
    org, submission = q(Organisation._meta.db_table), q(Submission._meta.db_table)
    result, period = q(Result._meta.db_table), q(Period._meta.db_table)
    expected = " OR ".join([f"({q('frequency')} = %s AND {q('start')} = %s)"] * len(Frequency))

    def text(column: str) -> str:
        return f"COALESCE(CAST({q(column)} AS TEXT), '')"

    def joined(row: str, table: str, where: str) -> str:
        # Every row of `table` matching `where` as one string, in id order. (SQLite
        # before 3.44 cannot order inside group_concat and follows the ordered subquery,
        # as it does in practice; were it not to, the digest would only miss the kept
        # page more often, never show a stale one.)
        if connection.vendor == "postgresql":
            return (
                f"SELECT string_agg({row}, '|' ORDER BY {q('id')})"  # noqa: S608
                f" FROM {table} WHERE {where}"
            )
        return (
            f"SELECT group_concat(r, '|') FROM (SELECT {row} AS r"  # noqa: S608
            f" FROM {table} WHERE {where} ORDER BY {q('id')})"
        )

    # A title is written with its length first, so no two framework states join alike.
    result_row = " || ',' || ".join(
        [
            text("id"),
            text("parent_id"),
            text("type"),
            text("position"),
            f"CAST(LENGTH({q('title')}) AS TEXT)",
            q("title"),
        ]
    )
    period_row = " || ',' || ".join(text(c) for c in ("id", "frequency", "start", "end", "due"))
    mine = f"{q('partnership_id')} = %s"
    # One statement, one round trip. Each derived table yields one row. Table and column
    # names come from the models, never from input.
    return (
        "SELECT e.n, i.n, i.last, st.n, st.last, sd.n, sd.last, o.last,"  # noqa: S608
        " s.n, s.last_id, s.last_submitted, s.last_decided,"
        f" ({joined(result_row, result, mine)}),"
        f" ({joined(period_row, period, f'{mine} AND ({expected})')})"
        f" FROM (SELECT MAX({q('index')}) AS n FROM {entry} WHERE {q('partnership_ref')} = %s) e"
        # MAX(id + 0): read through the partnership's index; a bare MAX(id) let
        # PostgreSQL walk the primary key backwards past every later partnership's rows.
        f" CROSS JOIN (SELECT COUNT(*) AS n, MAX({q('id')} + 0) AS last"
        f" FROM {indicator} WHERE {mine}) i"
        f" CROSS JOIN (SELECT COUNT(*) AS n, MAX({q('updated_at')}) AS last"
        f" FROM {status} WHERE {mine}) st"
        f" CROSS JOIN (SELECT COUNT(*) AS n, MAX({q('id')} + 0) AS last"
        f" FROM {sdg_rows_} WHERE {mine}) sd"
        # One primary-key probe per responsible partner (a handful), never a scan of the
        # whole organisation registry, which PostgreSQL chose for an IN (subquery).
        f" CROSS JOIN (SELECT MAX((SELECT x.{q('updated_at')} FROM {org} x"
        f" WHERE x.{q('id')} = r.rid)) AS last"
        f" FROM (SELECT DISTINCT {q('responsible_id')} AS rid FROM {indicator}"
        f" WHERE {mine}) r) o"
        # The submissions in the expected periods, in one pass over the partnership's rows.
        f" CROSS JOIN (SELECT COUNT(*) AS n, MAX({q('id')} + 0) AS last_id,"
        f" MAX({q('submitted_at')}) AS last_submitted, MAX({q('decided_at')}) AS last_decided"
        f" FROM {submission} WHERE {mine} AND {q('period_id')} IN"
        f" (SELECT {q('id')} FROM {period} WHERE {mine} AND ({expected}))) s"
    )


def dashboard_version(partnership: Partnership, today: date | None = None) -> str:
    """A digest of everything the dashboard shows, in one statement.

    Approvals, targets and indicator changes append a ledger entry; the rest changes
    without one, so it is read directly: the indicators (count, latest id: a deletion),
    their status rows (count, latest update), the SDG rows (rewritten, with new ids, by
    every change to the framework), the results themselves (type, title, place), the
    responsible partners' latest update (their names), the expected periods (stored or
    not, their due dates), and the submissions in the expected periods (count, latest id,
    latest submission and decision: submitted, returned and approved values move the
    traffic lights; drafts add a row). Any write that can change the page changes the
    digest."""
    today = _today(today)
    pid = partnership.pk
    # Only the expected periods (one per frequency) show on the dashboard; where one is
    # not stored, its dates come from these bounds and the due days.
    bounds = [(f, *_expected_bounds(f, partnership, today)) for f in sorted(Frequency)]
    wanted: list[Any] = []
    for frequency, start, _end in bounds:
        wanted += [frequency, connection.ops.adapt_datefield_value(start)]
    # In the statement's order: results, periods, then the derived tables.
    params = [pid, pid, *wanted] + [pid] * 5 + [pid, pid, *wanted]
    found = _scalars(_dashboard_version_sql(), params)
    state = repr(
        (
            found,
            bounds,
            services.due_days(),
            getattr(partnership, "start_date", None),
            getattr(partnership, "end_date", None),
        )
    )
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def _fresh(key: str, compute: Callable[[], T]) -> T:
    # The digests cover everything the pages show, the date is in the key: kept a day.
    return stored.reuse(key, compute, FRESH_SECONDS, shared_seconds=SHARED_SECONDS)


def dashboard_key(partnership: Partnership, name: str) -> str:
    """The key of what the dashboard shows now: the partnership, `name`, the language,
    today's date and `dashboard_version` (read from the database, so right on every app
    server). The first read after a write commits gets a new key, never a stale page."""
    today = timezone.localdate()
    version = dashboard_version(partnership, today)
    return f"results:{name}:{partnership.pk}:{get_language()}:{today.isoformat()}:{version}"


def fresh_dashboard(partnership: Partnership, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, reused while nothing the dashboard shows has changed (`dashboard_key`).

    The version is read before computing, so a write landing in between costs one more
    computation."""
    return _fresh(dashboard_key(partnership, name), compute)


def portfolio_version(user: User) -> str:
    """A digest of what the portfolio shows `user`, in two queries: the partnerships
    they may see (ids), every partnership's latest update (titles, visibility), the SDG
    rows (count and latest id: every roll-up rewrite inserts rows with new ids; the
    latest revision: an approval updates rows in place and stamps them with its ledger
    index, which only grows)."""
    visible = list(policy.visible_partnerships(user).order_by("pk").values_list("pk", flat=True))
    q = connection.ops.quote_name
    sdg_table = q(SdgProgress._meta.db_table)
    partnership_table = q(Partnership._meta.db_table)
    found = _scalars(
        f"SELECT (SELECT COUNT(*) FROM {sdg_table}), (SELECT MAX({q('id')}) FROM {sdg_table}),"  # noqa: S608
        f" (SELECT MAX({q('revision')}) FROM {sdg_table}),"
        f" (SELECT COUNT(*) FROM {partnership_table}),"
        f" (SELECT MAX({q('updated_at')}) FROM {partnership_table})",
        [],
    )
    state = repr((found, visible))
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def fresh_portfolio(user: User, goal: str | None, name: str, compute: Callable[[], T]) -> T:
    """`compute()` for the portfolio, reused while `portfolio_version(user)` stands (so
    readers who see the same partnerships share it, and no reader sees a stale one)."""
    version = portfolio_version(user)
    key = f"results:{name}:{goal or '-'}:{get_language()}:{timezone.localdate()}:{version}"
    return _fresh(key, compute)


# ---------------------------------------------------------------- evidence files


def evidence_file(user: User, partnership: Partnership, pk: int) -> Evidence:
    """The evidence file `pk` of `partnership` for `user` to fetch.

    Raises `Evidence.DoesNotExist` when `user` may not see the value it backs (an
    approved value is seen by every reader of the results; a draft, submitted or
    returned one by whoever may see that partner's unapproved values), and
    `PermissionDenied` when they see the value but not its files, which are for the
    partnership's own people and staff (`policy.can_see_result_evidence`)."""
    visible = Q(submission__status=Status.APPROVED) | Q(
        submission__in=export.visible_submissions(user, partnership).order_by().values("pk")
    )
    evidence = (
        Evidence.objects.filter(visible, pk=pk, submission__partnership=partnership)
        .select_related("submission")
        .get()
    )
    if not policy.can_see_result_evidence(user, partnership):
        raise PermissionDenied
    return evidence


# ---------------------------------------------------------------- indicator detail


@dataclass
class PeriodRow:
    """One period of an indicator: its total target and the approved value in force."""

    period: Period
    target: Decimal | None
    actual: Decimal | None
    text: str = ""
    submission: Submission | None = None  # the approved revision in force


@dataclass
class CategoryFigure:
    key: str
    label: str
    value: Decimal | None
    target: Decimal | None = None


@dataclass
class DimensionBreakdown:
    dimension: Dimension
    categories: list[CategoryFigure]

    @property
    def total(self) -> Decimal:
        return sum((c.value for c in self.categories if c.value is not None), Decimal(0))


@dataclass
class ProvinceRow:
    code: str
    label: str
    value: Decimal | None
    target: Decimal | None
    sites: int


@dataclass
class IndicatorDetail:
    indicator: Indicator
    status: IndicatorStatus
    periods: list[PeriodRow]  # every period with a target or an approved value, in order
    latest: Submission | None  # the latest approved value in force
    breakdown: list[DimensionBreakdown]  # of `latest`, per dimension
    provinces: list[ProvinceRow]  # of `latest`, per province or district category
    sites: list[Site]  # of the approved values in force
    history: list[Submission]  # the revisions `user` may see, newest first
    can_see_unapproved: bool
    series: list[list[str | None]]  # IndicatorStatus.series


def label_values(submissions: Iterable[Submission], dimensions: Iterable[Dimension]) -> None:
    """Give each disaggregated value of `submissions` (prefetched) its category's `label`
    and `dimension_name`, for pages that show them instead of the stored key
    ("sex:female"); a key whose category was since removed keeps its key as label."""
    known = services.categories_in(dimensions)
    for submission in submissions:
        for value in submission.values.all():
            dimension, value.label = known.get(value.category, (None, value.category))
            value.dimension_name = dimension.name if dimension else ""


def indicator_detail(indicator: Indicator, user: User) -> IndicatorDetail:
    """An indicator's targets and approved values per period, the disaggregation of its
    latest approved value, a table per province, its sites and the submissions history
    `user` may see (drafts, submitted and returned revisions only when
    `policy.can_see_unapproved_results`)."""
    partnership = indicator.partnership
    status = _status_of(indicator)
    dimensions = list(indicator.dimensions.all())
    targets = list(Target.objects.filter(indicator=indicator).select_related("period").order_by())
    current = list(
        Submission.objects.filter(indicator=indicator, is_current=True)
        .select_related("period", "organisation")
        .prefetch_related("values", "sites")
        .order_by("period__start")
    )
    by_period: dict[int, PeriodRow] = {}
    for target in targets:
        row = by_period.setdefault(target.period_id, PeriodRow(target.period, None, None))
        if not target.category:
            row.target = target.value
    for submission in current:
        row = by_period.setdefault(submission.period_id, PeriodRow(submission.period, None, None))
        row.actual = submission.value
        row.text = submission.text
        row.submission = submission
    periods = sorted(by_period.values(), key=lambda r: r.period.start)
    latest = current[-1] if current else None

    breakdown: list[DimensionBreakdown] = []
    provinces: list[ProvinceRow] = []
    if latest is not None:
        values = {v.category: v.value for v in latest.values.all()}
        category_targets = {
            t.category: t.value for t in targets if t.period_id == latest.period_id and t.category
        }
        site_counts: dict[str, int] = defaultdict(int)
        for site in latest.sites.all():
            if site.subdivision:
                site_counts[site.subdivision] += 1
        for dimension in dimensions:
            figures = [
                CategoryFigure(
                    key=as_key(dimension.code, c["code"]),
                    label=c["label"],
                    value=values.get(as_key(dimension.code, c["code"])),
                    target=category_targets.get(as_key(dimension.code, c["code"])),
                )
                for c in dimension.categories
            ]
            breakdown.append(DimensionBreakdown(dimension, figures))
            if dimension.kind == DimensionKind.SUBDIVISION:
                provinces.extend(
                    ProvinceRow(
                        code=c["code"],
                        label=c["label"],
                        value=f.value,
                        target=f.target,
                        sites=site_counts.get(c["code"], 0),
                    )
                    for c, f in zip(dimension.categories, figures, strict=True)
                )
    sites = [site for submission in current for site in submission.sites.all()]

    can_see = policy.can_see_unapproved_results(user, partnership, indicator.responsible_id)
    history_qs = Submission.objects.filter(indicator=indicator)
    if not can_see:
        history_qs = history_qs.filter(status=Status.APPROVED)
    history = list(
        history_qs.select_related("period", "created_by", "submitted_by", "decided_by")
        .prefetch_related(
            Prefetch("values", queryset=SubmissionValue.objects.order_by("pk")), "evidence"
        )
        .order_by("-period__start", "-revision")
    )
    label_values(history, dimensions)
    return IndicatorDetail(
        indicator=indicator,
        status=status,
        periods=periods,
        latest=latest,
        breakdown=breakdown,
        provinces=provinces,
        sites=sites,
        history=history,
        can_see_unapproved=can_see,
        series=list(status.series or []),
    )


# ---------------------------------------------------------------- portfolio


@dataclass
class PortfolioPartnership:
    partnership: Partnership
    row: SdgRow


@dataclass
class Portfolio:
    goals: list[SdgRow]  # one per SDG goal any visible partnership contributes to
    goal: str | None  # the goal drilled into, if any
    targets: list[SdgRow]  # per SDG target (of `goal` when given; `.members` filled then)
    partnerships: dict[str, list[PortfolioPartnership]]  # target → rows (only with `goal`)


_SUMS = {
    "partnerships": Count("partnership", distinct=True),
    "indicators_sum": Sum("indicators"),
    "on_track_sum": Sum("on_track"),
    "at_risk_sum": Sum("at_risk"),
    "off_track_sum": Sum("off_track"),
    "no_data_sum": Sum("no_data"),
    "not_scored_sum": Sum("not_scored"),
    "scored_sum": Sum("scored"),
    "percent": Sum("percent_sum"),
}


def _sdg_row(code: str, goal: str, r: dict[str, Any]) -> SdgRow:
    return SdgRow(
        code=code,
        goal=goal,
        partnerships=r["partnerships"] or 0,
        indicators=r["indicators_sum"] or 0,
        on_track=r["on_track_sum"] or 0,
        at_risk=r["at_risk_sum"] or 0,
        off_track=r["off_track_sum"] or 0,
        no_data=r["no_data_sum"] or 0,
        not_scored=r["not_scored_sum"] or 0,
        scored=r["scored_sum"] or 0,
        percent_sum=Decimal(r["percent"] or 0),
    )


def portfolio(user: User, goal: str | None = None) -> Portfolio:
    """SDG progress over every partnership `user` may see (`policy.visible_partnerships`):
    per goal, and per target (of `goal` when given), the number of partnerships and
    indicators, the counts per status and the mean percent (sum of percent_sum / sum of
    scored). GROUP BYs over `SdgProgress`; with `goal`, also the visible partnerships
    contributing to each of its targets."""
    visible = policy.visible_partnerships(user).order_by().values("pk")
    rows = SdgProgress.objects.filter(partnership_id__in=visible).order_by()
    # A goal's figures come from its own rows (each indicator once), not from adding up
    # its targets' rows (an indicator reaching two targets of a goal would count twice).
    base = rows.exclude(target=F("goal"))
    goals = [
        _sdg_row(r["goal"], r["goal"], r)
        for r in rows.filter(target=F("goal")).values("goal").annotate(**_SUMS).order_by()
    ]
    goals.sort(key=lambda r: int(r.goal) if r.goal.isdigit() else 99)
    target_qs = base.filter(goal=goal) if goal else base
    targets = [
        _sdg_row(r["target"], r["goal"], r)
        for r in target_qs.values("goal", "target").annotate(**_SUMS).order_by()
    ]
    targets.sort(key=lambda r: sdg.sort_key(r.code))
    partnerships: dict[str, list[PortfolioPartnership]] = defaultdict(list)
    if goal:
        for row in target_qs.select_related("partnership").order_by(
            "partnership__title", "partnership_id"
        ):
            partnerships[row.target].append(
                PortfolioPartnership(
                    row.partnership,
                    SdgRow(
                        code=row.target,
                        goal=row.goal,
                        partnerships=1,
                        indicators=row.indicators,
                        on_track=row.on_track,
                        at_risk=row.at_risk,
                        off_track=row.off_track,
                        no_data=row.no_data,
                        not_scored=row.not_scored,
                        scored=row.scored,
                        percent_sum=row.percent_sum,
                        indicator_codes=list(row.indicator_codes or ()),
                    ),
                )
            )
    for row in targets:
        row.members = partnerships.get(row.code, [])
    return Portfolio(goals=goals, goal=goal, targets=targets, partnerships=dict(partnerships))


# ---------------------------------------------------------------- review and reporting


REVIEW_PAGE = 100


def review_queue(
    partnership: Partnership, user: User, limit: int = REVIEW_PAGE
) -> list[Submission]:
    """Submitted values awaiting a coordinator's decision, the oldest `limit` first; empty
    for those who may not approve. Each submission carries `.can_decide` (False for the
    values `user` entered, changed or submitted: another coordinator must decide those)."""
    if not policy.can_approve_results(user, partnership):
        return []
    rows = list(
        Submission.objects.filter(partnership=partnership, status=Status.SUBMITTED)
        .select_related("indicator", "period", "organisation", "created_by", "submitted_by")
        .prefetch_related(
            Prefetch("values", queryset=SubmissionValue.objects.order_by("pk")),
            "evidence",
            "sites",
        )
        .order_by("submitted_at", "pk")[:limit]
    )
    for row in rows:
        row.can_decide = user.pk not in row.author_ids()
    dimensions = Dimension.objects.filter(partnership=partnership)
    label_values(rows, dimensions)
    return rows


def review_count(partnership: Partnership) -> int:
    """How many submitted values await a decision in all."""
    return Submission.objects.filter(partnership=partnership, status=Status.SUBMITTED).count()


@dataclass
class ReportingRow:
    """One (indicator, period) a partner reports: what is there and what is expected."""

    indicator: Indicator
    period: Period | ExpectedPeriod
    label: str
    due: date
    latest: Submission | None  # the latest revision, whatever its status
    state: str

    @property
    def light(self) -> str:
        return STATE_LIGHT[self.state]

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


def my_reporting(
    partnership: Partnership, user: User, today: date | None = None, *, back: int = 4
) -> list[ReportingRow]:
    """What `user` reports in `partnership`: for each indicator of a partner they may
    report for, the open (not closed) periods that have started, up to `back` of them
    per indicator, newest first, with the latest revision and its reporting state."""
    today = _today(today)
    orgs = policy.reporting_organisations(user, partnership)
    if orgs is not None and not orgs:
        return []
    indicators = Indicator.objects.filter(partnership=partnership).select_related("responsible")
    if orgs is not None:
        indicators = indicators.filter(responsible_id__in=orgs)
    indicators = list(indicators.order_by("position", "code", "pk"))
    if not indicators:
        return []
    stored = _stored_periods(partnership)
    by_frequency: dict[str, list[Period | ExpectedPeriod]] = {}
    for freq in {i.frequency for i in indicators}:
        periods: list[Period | ExpectedPeriod] = sorted(
            (p for (f, _s), p in stored.items() if f == freq and p.start <= today and not p.closed),
            key=lambda p: p.start,
            reverse=True,
        )
        current_start, current_end = services.period_bounds(freq, today)
        if (freq, current_start) not in stored:
            periods.insert(
                0,
                ExpectedPeriod(
                    freq,
                    current_start,
                    current_end,
                    current_end + timedelta(days=services.due_days()),
                ),
            )
        by_frequency[freq] = periods[:back]
    period_ids = {p.pk for ps in by_frequency.values() for p in ps if p.pk}
    latest: dict[tuple[int, int], Submission] = {}
    for s in (
        Submission.objects.filter(
            partnership=partnership,
            period_id__in=period_ids,
            indicator_id__in=[i.pk for i in indicators],
        )
        .order_by("revision")
        .only(
            "pk",
            "indicator_id",
            "period_id",
            "status",
            "revision",
            "value",
            "text",
            "submitted_at",
            "comment",
        )
    ):
        latest[(s.indicator_id, s.period_id)] = s
    submitted = _first_submitted(period_ids, partnership)
    rows = []
    for indicator in indicators:
        for period in by_frequency[indicator.frequency]:
            expected = (
                period
                if isinstance(period, ExpectedPeriod)
                else ExpectedPeriod(period.frequency, period.start, period.end, period.due, period)
            )
            state = reporting_state(expected, submitted.get((indicator.pk, period.pk)), today)
            rows.append(
                ReportingRow(
                    indicator=indicator,
                    period=period,
                    label=expected.label,
                    due=expected.due,
                    latest=latest.get((indicator.pk, period.pk)),
                    state=state,
                )
            )
    return rows
