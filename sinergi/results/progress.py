"""How progress is judged: pure functions over Decimals, no database.

The rule (also in docs/results/progress.md):

* **Value to date.** A *level* indicator (coverage %, wages) is worth its latest
  approved period value. A *cumulative* one (factories audited) is worth the sum of its
  approved period values; periods not reported add nothing.
* **Target to date.** The targets make a curve over time: the baseline at its date (for
  level indicators; cumulative ones start at 0 on 1 January of the first target's
  year), then each period's target at the period's end (summed up to that period for cumulative
  indicators). The target to date is the curve at the end of the latest reported
  period: exact when that period has a target, interpolated linearly between the
  neighbouring points when not, and the last point when past every point.
* **Percent of target.** With start s (the baseline; 0 for cumulative indicators, and
  for level indicators without a baseline when higher is better), value v and target t:
  100 x (v - s) / (t - s), when the target lies in the good direction from the start
  (above it when higher is better, below it when lower is better). Otherwise - the aim
  is to hold a level (t equals s), the target is on the other side of the start ("keep
  at least 90" from a baseline of 95), or a decrease is the aim and there is no baseline
  to measure it from - the value is compared with the target itself: 100 if v is at
  least as good as t, otherwise the ratio v / t (or t / v when lower is better), and 0
  when that ratio is undefined.
  The raw figure can be below 0 (worse than the baseline) or above 100 (ahead).
* **Status** compares the value to date with the target to date: *on track* at 90 % or
  more, *at risk* from 60 % to under 90 %, *off track* under 60 %. No approved value:
  *no data*. Qualitative indicators are not scored.
* **Trend** compares the two latest reported periods' own values: a change in the good
  direction is *improving*, in the other *worsening*, none *steady*.
* **Aggregation** up the framework and across SDG targets: the mean of the scored
  indicators' percent of target to date, each first capped to 0-100, so that one
  indicator far ahead cannot hide another far behind; the counts per status are shown
  next to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

ON_TRACK_FROM = Decimal(90)
AT_RISK_FROM = Decimal(60)
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
NOT_SCORED = "not_scored"

IMPROVING = "improving"
WORSENING = "worsening"
STEADY = "steady"


@dataclass(frozen=True)
class PeriodFigures:
    """One reporting period of an indicator: its target and approved actual (totals)."""

    label: str
    start: date
    end: date
    target: Decimal | None = None
    actual: Decimal | None = None
    key: int | None = None  # the period's id, when it has one


@dataclass
class Assessment:
    actual: Decimal | None = None
    target: Decimal | None = None
    final_target: Decimal | None = None
    percent: Decimal | None = None  # of the final target
    percent_to_date: Decimal | None = None  # of the target to date; decides the status
    progress: str = NO_DATA
    trend: str = ""
    latest: str | None = None  # label of the latest reported period
    latest_key: int | None = None  # and its key
    approved: int = 0
    # [label, end ISO date, actual to date, target to date] as strings or None.
    series: list[list[str | None]] = field(default_factory=list)


def percent_of(value: Decimal, start: Decimal | None, target: Decimal, ascending: bool) -> Decimal:
    """100 x (value - start) / (target - start) when the target lies in the good direction
    from `start`; otherwise (no start, a level to hold, a target on the other side of the
    start) how `value` compares with the target itself (see above)."""
    if start is not None and target != start and (target > start) == ascending:
        return _round(HUNDRED * (value - start) / (target - start))
    good = value >= target if ascending else value <= target
    if good:
        return HUNDRED
    if ascending and target > 0:
        return _round(HUNDRED * value / target)
    if not ascending and value > 0 and target > 0:
        return _round(HUNDRED * target / value)
    return Decimal(0)


def status_for(percent_to_date: Decimal | None) -> str:
    if percent_to_date is None:
        return NO_DATA
    if percent_to_date >= ON_TRACK_FROM:
        return ON_TRACK
    if percent_to_date >= AT_RISK_FROM:
        return AT_RISK
    return OFF_TRACK


def trend_of(previous: Decimal, latest: Decimal, ascending: bool) -> str:
    if latest == previous:
        return STEADY
    better = latest > previous if ascending else latest < previous
    return IMPROVING if better else WORSENING


def capped(percent: Decimal) -> Decimal:
    """Percent limited to 0-100, for averaging."""
    return min(max(percent, Decimal(0)), HUNDRED)


def interpolate(points: Sequence[tuple[date, Decimal]], when: date) -> Decimal | None:
    """The piecewise-linear curve through `points` (sorted by date) at `when`; flat
    before the first point and after the last."""
    if not points:
        return None
    if when <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in pairwise(points):
        if when <= d1:
            if d1 == d0:
                return v1
            fraction = Decimal((when - d0).days) / Decimal((d1 - d0).days)
            return v0 + (v1 - v0) * fraction
    return points[-1][1]


def assess(
    periods: Iterable[PeriodFigures],
    *,
    baseline: Decimal | None,
    baseline_date: date | None,
    ascending: bool,
    cumulative: bool,
    scored: bool = True,
) -> Assessment:
    """Judge one indicator from its periods (any order) by the rule above."""
    rows = sorted(periods, key=lambda p: p.start)
    result = Assessment()
    start: Decimal | None = baseline
    if cumulative or (baseline is None and ascending):
        start = Decimal(0)

    # The target curve and the to-date figures per period.
    points: list[tuple[date, Decimal]] = []
    if cumulative:
        # From 0 on 1 January of the first target's year. Where the line starts must not
        # depend on which periods have values, or leaving a report out would move it
        # later and lower the target to date.
        first = next((row for row in rows if row.target is not None), None)
        if first is not None:
            points.append((first.start.replace(month=1, day=1), Decimal(0)))
    elif baseline is not None and baseline_date is not None:
        points.append((baseline_date, baseline))
    target_sum = Decimal(0)
    actual_sum = Decimal(0)
    to_date: list[tuple[PeriodFigures, Decimal | None, Decimal | None]] = []
    any_target = False
    for row in rows:
        target_to_date: Decimal | None = None
        if row.target is not None:
            any_target = True
            target_sum += row.target
            target_to_date = target_sum if cumulative else row.target
            # Later points at the same date replace earlier ones.
            while points and points[-1][0] >= row.end:
                points.pop()
            points.append((row.end, target_to_date))
        actual_to_date: Decimal | None = None
        if row.actual is not None:
            actual_sum += row.actual
            actual_to_date = actual_sum if cumulative else row.actual
        to_date.append((row, actual_to_date, target_to_date))
    if any_target:
        result.final_target = target_sum if cumulative else _last_target(rows)
    if cumulative and any_target:
        # A cumulative period without its own target: the curve at its end (the same
        # target to date the status uses), not the sum of the targets before it.
        to_date = [
            (row, actual, target if row.target is not None else _curve(points, row.end))
            for row, actual, target in to_date
        ]

    result.series = [
        [row.label, row.end.isoformat(), _str(actual), _str(target)]
        for row, actual, target in to_date
        if actual is not None or target is not None
    ]
    reported = [(row, actual) for row, actual, _target in to_date if actual is not None]
    result.approved = len(reported)
    if not scored:
        result.progress = NOT_SCORED
        if reported:
            result.latest = reported[-1][0].label
            result.latest_key = reported[-1][0].key
        return result
    if not reported:
        return result

    latest_row, actual = reported[-1]
    assert actual is not None
    result.latest = latest_row.label
    result.latest_key = latest_row.key
    result.actual = actual
    if len(reported) >= 2:
        previous = reported[-2][0].actual
        assert previous is not None and latest_row.actual is not None
        result.trend = trend_of(previous, latest_row.actual, ascending)
    if any_target:
        target = interpolate(points, latest_row.end)
        assert target is not None
        result.target = _round(target, Decimal("0.0001"))
        result.percent_to_date = percent_of(actual, start, target, ascending)
        assert result.final_target is not None
        result.percent = percent_of(actual, start, result.final_target, ascending)
    result.progress = status_for(result.percent_to_date)
    return result


@dataclass
class Summary:
    """Indicators below a result, or under an SDG target, taken together."""

    indicators: int = 0
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    no_data: int = 0
    not_scored: int = 0
    scored: int = 0
    percent_sum: Decimal = Decimal(0)

    def add(self, progress: str, percent_to_date: Decimal | None) -> None:
        self.indicators += 1
        if progress == ON_TRACK:
            self.on_track += 1
        elif progress == AT_RISK:
            self.at_risk += 1
        elif progress == OFF_TRACK:
            self.off_track += 1
        elif progress == NOT_SCORED:
            self.not_scored += 1
        else:
            self.no_data += 1
        if percent_to_date is not None and progress in (ON_TRACK, AT_RISK, OFF_TRACK):
            self.scored += 1
            self.percent_sum += capped(percent_to_date)

    def merge(self, other: Summary) -> None:
        self.indicators += other.indicators
        self.on_track += other.on_track
        self.at_risk += other.at_risk
        self.off_track += other.off_track
        self.no_data += other.no_data
        self.not_scored += other.not_scored
        self.scored += other.scored
        self.percent_sum += other.percent_sum

    @property
    def mean(self) -> Decimal | None:
        """Mean capped percent of target to date of the scored indicators."""
        return mean_of(self.percent_sum, self.scored)

    @property
    def progress(self) -> str:
        return status_for(self.mean)


def mean_of(percent_sum: Decimal, scored: int) -> Decimal | None:
    """The mean of `scored` percentages adding up to `percent_sum`, to the cent, half up
    (None when nothing is scored): one rounding for every dashboard and SDG row."""
    if not scored:
        return None
    return _round(Decimal(percent_sum) / scored)


def _last_target(rows: Sequence[PeriodFigures]) -> Decimal | None:
    for row in reversed(rows):
        if row.target is not None:
            return row.target
    return None


def _curve(points: Sequence[tuple[date, Decimal]], when: date) -> Decimal | None:
    value = interpolate(points, when)
    return None if value is None else _round(value, Decimal("0.0001"))


def _round(value: Decimal, step: Decimal = CENTS) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
