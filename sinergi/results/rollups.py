"""Progress roll-ups, rewritten in the same transaction as the change that moves them.

`refresh_indicator` rewrites one indicator's `IndicatorStatus` from its targets and
approved values (three indexed reads of that indicator's rows); `refresh_sdg` rewrites
one partnership's `SdgProgress` rows from its indicator statuses. An approval calls both,
so every dashboard and the portfolio roll-up show the approved value as soon as it
commits, with no batch job and no cache to go stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F

from sinergi.ledger.log import hold
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Goal, Partnership
from sinergi.results import progress
from sinergi.results.models import (
    Accumulation,
    Indicator,
    IndicatorStatus,
    Measure,
    Period,
    Result,
    SdgProgress,
    Submission,
    Target,
)


def assess_indicator(indicator: Indicator) -> progress.Assessment:
    """The indicator judged from what is in the database now."""
    found: dict[int, list[Any]] = {}
    # Each read brings its period's bounds along: two queries, not three.
    for column, rows in (
        (1, Target.objects.filter(indicator=indicator, category="")),
        (2, Submission.objects.filter(indicator=indicator, is_current=True).exclude(value=None)),
    ):
        for pk, frequency, start, end, value in rows.order_by().values_list(
            "period_id", "period__frequency", "period__start", "period__end", "value"
        ):
            found.setdefault(
                pk, [Period(pk=pk, frequency=frequency, start=start, end=end), None, None]
            )[column] = value
    figures = [
        progress.PeriodFigures(
            label=p.label, start=p.start, end=p.end, target=target, actual=actual, key=p.pk
        )
        for p, target, actual in found.values()
    ]
    return progress.assess(
        figures,
        baseline=indicator.baseline_value,
        baseline_date=indicator.baseline_date,
        ascending=indicator.ascending,
        cumulative=indicator.accumulation == Accumulation.CUMULATIVE,
        scored=indicator.measure != Measure.QUALITATIVE,
    )


# The percent columns keep 10 digits before the point (numeric(12, 2)): a value
# millions of times its target (a unit mix-up, a tiny target) is kept at this bound
# rather than overflowing the column and failing the approval.
PERCENT_LIMIT = Decimal("9999999999.99")


def _stored_percent(percent: Decimal | None) -> Decimal | None:
    if percent is None:
        return None
    return min(max(percent, -PERCENT_LIMIT), PERCENT_LIMIT)


# A cumulative sum of many large values could exceed what numeric(20, 4) holds (and what
# SQLite keeps exactly: 15 significant digits); stored totals are held within this.
VALUE_LIMIT = Decimal("999999999999999")


def _stored_value(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return min(max(value, -VALUE_LIMIT), VALUE_LIMIT)


def refresh_indicator(indicator: Indicator) -> IndicatorStatus:
    """Rewrite the indicator's status row; call inside the transaction of the change.

    The returned row's `previous` is what the row said before, `(progress,
    percent_to_date)`, or None when the indicator had no row yet (for `shift_sdg`)."""
    a = assess_indicator(indicator)
    figures = {
        "partnership_id": indicator.partnership_id,
        "period_id": a.latest_key,
        "actual": _stored_value(a.actual),
        "target": _stored_value(a.target),
        "final_target": _stored_value(a.final_target),
        "percent": _stored_percent(a.percent),
        "percent_to_date": _stored_percent(a.percent_to_date),
        "progress": a.progress,
        "trend": a.trend,
        "approved": a.approved,
        "series": a.series,
    }
    status = IndicatorStatus.objects.filter(indicator=indicator).order_by().first()
    previous: tuple[str, Decimal | None] | None = None
    if status is None:
        status = IndicatorStatus.objects.create(indicator=indicator, **figures)
    else:
        previous = (status.progress, status.percent_to_date)
        for name, value in figures.items():
            setattr(status, name, value)
        status.save()
    status.previous = previous  # type: ignore[attr-defined]
    return status


def sdg_targets_of(
    indicator_sdg: str,
    result_id: int,
    results: dict[int, tuple[int | None, int | None, list[str]]],
    goals: dict[int, list[str]],
) -> set[str]:
    """The SDG targets an indicator counts towards: the target of its SDG indicator, and
    the targets of its result, of every result above it and of their goals.

    `results` maps result id → (parent id, goal id, sdg targets); `goals` goal id →
    sdg targets.
    """
    found: set[str] = set()
    item = sdg.get(indicator_sdg) if indicator_sdg else None
    if item is not None and item.kind == "indicator" and item.parent:
        found.add(item.parent)
    seen: set[int] = set()
    current: int | None = result_id
    while current is not None and current not in seen and current in results:
        seen.add(current)
        parent, goal, targets = results[current]
        found.update(targets)
        if goal is not None:
            found.update(goals.get(goal, ()))
        current = parent
    return found


def refresh_sdg(partnership: Partnership | int) -> list[SdgProgress]:
    """Rewrite the partnership's SDG progress rows from its indicator statuses: one per SDG
    target reached, and one per SDG goal (`target` equal to `goal`, e.g. "3") in which
    each indicator counts once even when it reaches several of the goal's targets."""
    pid = partnership if isinstance(partnership, int) else partnership.pk
    # Writers of one partnership's rows take turns (delete-then-insert would otherwise
    # collide on PostgreSQL): the ledger's head lock, which every results write takes
    # first, before any row lock.
    hold()
    results = {
        pk: (parent, goal, list(targets or ()))
        for pk, parent, goal, targets in Result.objects.filter(partnership_id=pid)
        .order_by()
        .values_list("pk", "parent_id", "goal_id", "sdg_targets")
    }
    goals = {
        pk: list(targets or ())
        for pk, targets in Goal.objects.filter(partnership_id=pid)
        .order_by()
        .values_list("pk", "sdg_targets")
    }
    statuses = {
        pk: (prog, pct)
        for pk, prog, pct in IndicatorStatus.objects.filter(partnership_id=pid)
        .order_by()
        .values_list("indicator_id", "progress", "percent_to_date")
    }
    summaries: dict[str, progress.Summary] = defaultdict(progress.Summary)
    codes: dict[str, list[str]] = defaultdict(list)
    indicators = (
        Indicator.objects.filter(partnership_id=pid)
        .order_by("position", "code")
        .values_list("pk", "code", "result_id", "sdg_indicator", "measure")
    )
    for pk, code, result_id, sdg_indicator, measure in indicators:
        default = progress.NOT_SCORED if measure == Measure.QUALITATIVE else progress.NO_DATA
        prog, pct = statuses.get(pk, (default, None))
        targets = sdg_targets_of(sdg_indicator, result_id, results, goals)
        # One row per target, and one per goal (keyed by the goal's code) that counts an
        # indicator once however many of the goal's targets it reaches.
        for key in sorted(targets | {target.split(".")[0] for target in targets}):
            summaries[key].add(prog, pct)
            codes[key].append(code)
    rows = [
        SdgProgress(
            partnership_id=pid,
            goal=target.split(".")[0],
            target=target,
            indicators=s.indicators,
            on_track=s.on_track,
            at_risk=s.at_risk,
            off_track=s.off_track,
            no_data=s.no_data,
            not_scored=s.not_scored,
            scored=s.scored,
            percent_sum=s.percent_sum,
            indicator_codes=codes[target],
        )
        for target, s in sorted(summaries.items(), key=lambda kv: sdg.sort_key(kv[0]))
    ]
    SdgProgress.objects.filter(partnership_id=pid).delete()
    SdgProgress.objects.bulk_create(rows)
    return rows


def _counts(prog: str, percent: Decimal | None) -> dict[str, Any]:
    one = progress.Summary()
    one.add(prog, percent)
    return {
        "on_track": one.on_track,
        "at_risk": one.at_risk,
        "off_track": one.off_track,
        "no_data": one.no_data,
        "not_scored": one.not_scored,
        "scored": one.scored,
        "percent_sum": one.percent_sum,
    }


def shift_sdg(indicator: Indicator, status: IndicatorStatus, revision: int) -> None:
    """Move the partnership's SDG rows from what `status` said before to what it says now
    (`status` as returned by `refresh_indicator`): one UPDATE of the rows of the SDG
    targets and goals the indicator counts towards, instead of `refresh_sdg`'s rewrite of
    every row. The indicator's place in the framework is unchanged (an approval), so
    only its counts move. Falls back to `refresh_sdg` when the indicator had no status
    row or a row it should count in is missing. The rows moved are stamped with
    `revision`, the approval's ledger index. Call inside the transaction, after the
    ledger's `hold()` (as every results write does first)."""
    previous = getattr(status, "previous", None)
    pid = indicator.partnership_id
    if previous is None:
        refresh_sdg(pid)
        return
    before = _counts(*previous)
    after = _counts(status.progress, status.percent_to_date)
    delta = {name: after[name] - before[name] for name in after}
    if not any(delta.values()):
        return
    results: dict[int, tuple[int | None, int | None, list[str]]] = {}
    goals: dict[int, list[str]] = {}
    for pk, parent, goal, targets, goal_targets in (
        Result.objects.filter(partnership_id=pid)
        .order_by()
        .values_list("pk", "parent_id", "goal_id", "sdg_targets", "goal__sdg_targets")
    ):
        results[pk] = (parent, goal, list(targets or ()))
        if goal is not None:
            goals[goal] = list(goal_targets or ())
    targets = sdg_targets_of(indicator.sdg_indicator, indicator.result_id, results, goals)
    keys = targets | {target.split(".")[0] for target in targets}
    if not keys:
        return
    changes = {name: F(name) + value for name, value in delta.items() if value}
    changes["revision"] = revision
    # A count that would go below zero means the rows drifted from the statuses (they
    # never should): those rows are left alone and everything is rewritten instead.
    enough = {f"{name}__gte": -value for name, value in delta.items() if value < 0}
    rows = SdgProgress.objects.filter(partnership_id=pid, target__in=keys, **enough)
    if rows.update(**changes) != len(keys):
        refresh_sdg(pid)


def rebuild(partnerships: Iterable[int] | None = None) -> int:
    """Recompute every status and SDG row (after a bulk load, or to repair); returns the
    number of indicators assessed."""
    indicators = Indicator.objects.order_by("pk")
    if partnerships is not None:
        partnerships = list(partnerships)
        indicators = indicators.filter(partnership_id__in=partnerships)
    # Partnerships whose SDG rows may be stale even without indicators left.
    touched: set[int] = (
        set(partnerships)
        if partnerships is not None
        else set(SdgProgress.objects.order_by().values_list("partnership_id", flat=True))
    )
    count = 0
    for indicator in indicators.iterator(chunk_size=2000):
        refresh_indicator(indicator)
        touched.add(indicator.partnership_id)
        count += 1
    for pid in sorted(touched):
        refresh_sdg(pid)
    return count
