"""The progress rule, case by case (pure functions, no database).

Each test names one clause of the rule in `sinergi/results/progress.py` (and
docs/results/progress.md) and checks it with figures worked out by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sinergi.results import progress
from sinergi.results.progress import PeriodFigures, Summary, assess, interpolate, percent_of

D = Decimal
QUARTERS = {
    1: (date(2025, 1, 1), date(2025, 3, 31)),
    2: (date(2025, 4, 1), date(2025, 6, 30)),
    3: (date(2025, 7, 1), date(2025, 9, 30)),
    4: (date(2025, 10, 1), date(2025, 12, 31)),
}


def q(n: int, target: str | None = None, actual: str | None = None) -> PeriodFigures:
    start, end = QUARTERS[n]
    return PeriodFigures(
        label=f"2025-Q{n}",
        start=start,
        end=end,
        target=None if target is None else D(target),
        actual=None if actual is None else D(actual),
        key=n,
    )


def level(periods, baseline="70", baseline_date=date(2024, 12, 31), ascending=True):
    return assess(
        periods,
        baseline=None if baseline is None else D(baseline),
        baseline_date=baseline_date if baseline is not None else None,
        ascending=ascending,
        cumulative=False,
    )


def cumulative(periods):
    return assess(periods, baseline=None, baseline_date=None, ascending=True, cumulative=True)


# ---------------------------------------------------------------- direction


def test_given_an_increase_is_the_aim_when_the_value_passes_the_target_then_ahead_and_on_track():
    a = level([q(1, "75", "76"), q(2, "80"), q(3, "85"), q(4, "90")])
    assert a.actual == D("76") and a.target == D("75") and a.final_target == D("90")
    assert a.percent_to_date == D("120.00")  # (76 - 70) / (75 - 70)
    assert a.percent == D("30.00")  # (76 - 70) / (90 - 70)
    assert a.progress == progress.ON_TRACK
    assert a.latest == "2025-Q1" and a.latest_key == 1 and a.approved == 1


def test_given_a_decrease_is_the_aim_when_the_value_falls_part_way_then_the_share_of_the_fall():
    # Hazardous chemicals in use: 40 at baseline, aim 35 by Q1 and 20 by Q4.
    a = level([q(1, "35", "37"), q(4, "20")], baseline="40", ascending=False)
    assert a.percent_to_date == D("60.00")  # (37 - 40) / (35 - 40)
    assert a.percent == D("15.00")  # (37 - 40) / (20 - 40)
    assert a.progress == progress.AT_RISK


def test_given_a_decrease_is_the_aim_when_the_value_rises_then_below_zero_and_off_track():
    a = level([q(1, "35", "42")], baseline="40", ascending=False)
    assert a.percent_to_date == D("-40.00")
    assert a.progress == progress.OFF_TRACK


def test_given_an_increase_is_the_aim_when_the_value_falls_below_the_baseline_then_negative():
    a = level([q(1, "75", "65")])
    assert a.percent_to_date == D("-100.00")
    assert a.progress == progress.OFF_TRACK


# ---------------------------------------------------------------- zero baselines


def test_given_a_zero_baseline_then_the_percent_is_the_plain_ratio():
    a = level([q(1, "50", "25")], baseline="0")
    assert a.percent_to_date == D("50.00")
    assert a.progress == progress.OFF_TRACK


def test_given_a_zero_baseline_and_a_zero_target_for_a_decrease_then_zero_is_met():
    # Child labour cases: none at baseline, none wanted.
    assert level([q(1, "0", "0")], baseline="0", ascending=False).percent_to_date == D("100.00")
    a = level([q(1, "0", "5")], baseline="0", ascending=False)
    assert a.percent_to_date == D("0")  # t / v = 0 / 5
    assert a.progress == progress.OFF_TRACK


def test_given_a_zero_target_held_for_an_increase_then_any_value_meets_it():
    assert percent_of(D("0"), D("0"), D("0"), True) == D("100")
    assert percent_of(D("3"), D("0"), D("0"), True) == D("100")


# ---------------------------------------------------------------- hold a level


@pytest.mark.parametrize(
    ("value", "ascending", "expected"),
    [
        ("95", True, "100"),  # at the level
        ("96", True, "100"),  # better than the level
        ("76", True, "80.00"),  # 76 / 95
        ("0", True, "0.00"),
        ("10", False, "100"),
        ("8", False, "100"),  # lower is better
        ("20", False, "50.00"),  # 10 / 20
    ],
)
def test_given_the_target_equals_the_baseline_then_holding_the_level_scores_100(
    value, ascending, expected
):
    held = "95" if ascending else "10"
    a = level([q(1, held, value)], baseline=held, ascending=ascending)
    assert a.percent_to_date == D(expected)


def test_given_a_held_level_when_a_decrease_is_the_aim_and_the_value_is_zero_then_100():
    assert percent_of(D("0"), D("10"), D("10"), False) == D("100")


# ---------------------------------------------------------------- missing periods


def test_given_a_level_indicator_with_a_gap_then_the_latest_reported_period_counts():
    a = level([q(1, "75", "74"), q(2, "80"), q(3, "85", "83"), q(4, "90")])
    assert a.latest == "2025-Q3" and a.actual == D("83")
    assert a.target == D("85")
    assert a.approved == 2
    assert a.trend == progress.IMPROVING  # Q1 74 → Q3 83; the empty Q2 is skipped


def test_given_a_cumulative_indicator_with_a_gap_then_the_gap_adds_nothing():
    a = cumulative([q(1, "100", "30"), q(2, "100"), q(3, "100", "50"), q(4, "100")])
    assert a.actual == D("80")
    assert a.target == D("300")  # targets add up to the latest reported period
    assert a.final_target == D("400")
    assert a.percent_to_date == D("26.67")
    assert a.percent == D("20.00")
    assert a.series == [
        ["2025-Q1", "2025-03-31", "30", "100"],
        ["2025-Q2", "2025-06-30", None, "200"],
        ["2025-Q3", "2025-09-30", "80", "300"],
        ["2025-Q4", "2025-12-31", None, "400"],
    ]


def test_given_cumulative_values_then_the_trend_compares_period_values_not_totals():
    a = cumulative([q(1, "100", "60"), q(2, "100", "40")])
    assert a.actual == D("100")
    assert a.trend == progress.WORSENING  # 40 this quarter after 60


def test_given_no_approved_value_then_no_data():
    a = level([q(1, "75"), q(2, "80")])
    assert a.progress == progress.NO_DATA
    assert a.actual is None and a.percent_to_date is None and a.trend == ""
    assert a.final_target == D("80")
    assert a.series == [
        ["2025-Q1", "2025-03-31", None, "75"],
        ["2025-Q2", "2025-06-30", None, "80"],
    ]


def test_given_values_but_no_target_then_not_judged():
    a = level([q(1, None, "50"), q(2, None, "55")])
    assert a.actual == D("55") and a.target is None and a.final_target is None
    assert a.percent is None and a.percent_to_date is None
    assert a.progress == progress.NO_DATA
    assert a.trend == progress.IMPROVING


def test_given_no_periods_then_no_data():
    a = level([])
    assert a.progress == progress.NO_DATA and a.series == [] and a.approved == 0


# ---------------------------------------------------------------- no baseline


def test_given_no_baseline_then_the_start_is_zero():
    a = level([q(1, "50", "40")], baseline=None)
    assert a.percent_to_date == D("80.00")
    assert a.progress == progress.AT_RISK


def test_given_a_baseline_without_a_date_then_it_is_the_start_but_not_a_point_of_the_curve():
    # Only a Q4 target: without a baseline date the curve is flat at 90 before Q4.
    a = assess(
        [q(2, None, "80"), q(4, "90")],
        baseline=D("70"),
        baseline_date=None,
        ascending=True,
        cumulative=False,
    )
    assert a.target == D("90")
    assert a.percent_to_date == D("50.00")  # (80 - 70) / (90 - 70)


# ---------------------------------------------------------------- target to date


def test_given_no_target_for_the_latest_period_then_the_target_is_interpolated():
    # Baseline 70 on 2024-12-31, target 90 on 2025-12-31; value 80 at 2025-06-30.
    a = level([q(2, None, "80"), q(4, "90")])
    exact = D(70) + D(20) * D(181) / D(365)
    assert a.target == exact.quantize(D("0.0001"))
    assert a.target == D("79.9178")
    assert a.percent_to_date == ((D(80) - 70) * 100 / (exact - 70)).quantize(D("0.01"))
    assert a.percent_to_date == D("100.83")
    assert a.percent == D("50.00")
    # The series shows each period's own target: none for Q2.
    assert a.series[0] == ["2025-Q2", "2025-06-30", "80", None]


def test_given_a_cumulative_indicator_with_sparse_targets_then_the_sum_is_interpolated():
    # Points: 0 at 2025-01-01, 100 at Q1's end, 200 at Q4's end.
    a = cumulative([q(1, "100"), q(2, None, "60"), q(4, "100")])
    exact = D(100) + D(100) * D(91) / D(275)
    assert a.target == exact.quantize(D("0.0001")) == D("133.0909")
    assert a.percent_to_date == (D(60) * 100 / exact).quantize(D("0.01")) == D("45.08")
    # The series shows the same curve: 133.0909 by Q2's end, as the status says.
    assert a.series == [
        ["2025-Q1", "2025-03-31", None, "100"],
        ["2025-Q2", "2025-06-30", "60", "133.0909"],
        ["2025-Q4", "2025-12-31", None, "200"],
    ]


def test_given_a_cumulative_value_before_the_first_target_then_the_curve_rises_from_zero():
    # 0 on 2025-01-01, 100 on 2025-06-30; Q1 ends on day 89 of 180.
    a = cumulative([q(1, None, "40"), q(2, "100")])
    exact = D(100) * D(89) / D(180)
    assert a.target == exact.quantize(D("0.0001")) == D("49.4444")
    assert a.series[0] == ["2025-Q1", "2025-03-31", "40", "49.4444"]


def test_given_a_value_before_every_target_then_the_curve_is_flat_at_the_first_point():
    a = level([q(1, None, "40"), q(4, "50")], baseline=None)
    assert a.target == D("50")
    assert a.percent_to_date == D("80.00")


def test_given_a_value_after_every_target_then_the_last_point_holds():
    a = level([q(1, "75"), q(2, "80"), q(4, None, "79")])
    assert a.target == D("80")
    assert a.final_target == D("80")
    assert a.percent_to_date == D("90.00")
    assert a.progress == progress.ON_TRACK


def test_given_a_baseline_dated_after_a_target_then_the_target_replaces_it_on_the_curve():
    a = assess(
        [q(1, "80", "75")],
        baseline=D("70"),
        baseline_date=date(2025, 3, 31),
        ascending=True,
        cumulative=False,
    )
    assert a.target == D("80") and a.percent_to_date == D("50.00")


def test_interpolate_exact_halfway_and_ends():
    points = [(date(2025, 1, 1), D("0")), (date(2025, 1, 11), D("10"))]
    assert interpolate(points, date(2025, 1, 6)) == D("5")
    assert interpolate(points, date(2024, 1, 1)) == D("0")
    assert interpolate(points, date(2026, 1, 1)) == D("10")
    assert interpolate([], date(2025, 1, 1)) is None
    same_day = [(date(2025, 1, 1), D("1")), (date(2025, 1, 1), D("2"))]
    assert interpolate(same_day, date(2025, 1, 1)) == D("1")


# ---------------------------------------------------------------- trend


@pytest.mark.parametrize(
    ("previous", "latest", "ascending", "expected"),
    [
        ("70", "75", True, progress.IMPROVING),
        ("75", "70", True, progress.WORSENING),
        ("70", "70", True, progress.STEADY),
        ("40", "35", False, progress.IMPROVING),
        ("35", "40", False, progress.WORSENING),
        ("35", "35.0000", False, progress.STEADY),
    ],
)
def test_trend_follows_the_direction(previous, latest, ascending, expected):
    a = level(
        [q(1, "75", previous), q(2, "80", latest)],
        baseline="90" if not ascending else "70",
        ascending=ascending,
    )
    assert a.trend == expected


def test_given_one_reported_period_then_no_trend():
    assert level([q(1, "75", "76")]).trend == ""


# ---------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        ("100", progress.ON_TRACK),
        ("90", progress.ON_TRACK),
        ("90.00", progress.ON_TRACK),
        ("89.99", progress.AT_RISK),
        ("60", progress.AT_RISK),
        ("59.99", progress.OFF_TRACK),
        ("0", progress.OFF_TRACK),
        ("-5", progress.OFF_TRACK),
        ("250", progress.ON_TRACK),
    ],
)
def test_status_thresholds_at_exactly_90_and_60(percent, expected):
    assert progress.status_for(D(percent)) == expected


def test_status_of_no_percent_is_no_data():
    assert progress.status_for(None) == progress.NO_DATA


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", progress.ON_TRACK),
        ("89.99", progress.AT_RISK),
        ("60", progress.AT_RISK),
        ("59.99", progress.OFF_TRACK),
    ],
)
def test_given_values_at_the_thresholds_when_assessed_then_the_boundaries_hold(value, expected):
    a = level([q(1, "100", value)], baseline="0")
    assert a.percent_to_date == D(value).quantize(D("0.01"))
    assert a.progress == expected


# ---------------------------------------------------------------- qualitative


def test_given_a_qualitative_indicator_then_not_scored():
    a = assess(
        [q(1, None, None), q(2, None, None)],
        baseline=None,
        baseline_date=None,
        ascending=True,
        cumulative=False,
        scored=False,
    )
    assert a.progress == progress.NOT_SCORED
    assert a.percent is None and a.percent_to_date is None and a.actual is None


def test_given_a_scored_false_indicator_with_values_then_still_not_scored_but_latest_known():
    a = assess(
        [q(1, "1", "1"), q(2, None, "1")],
        baseline=None,
        baseline_date=None,
        ascending=True,
        cumulative=False,
        scored=False,
    )
    assert a.progress == progress.NOT_SCORED
    assert a.percent_to_date is None and a.trend == ""
    assert a.latest == "2025-Q2" and a.latest_key == 2


# ---------------------------------------------------------------- summary


def test_summary_mean_caps_each_percent_to_0_100():
    s = Summary()
    s.add(progress.ON_TRACK, D("150"))  # counts as 100
    s.add(progress.OFF_TRACK, D("-20"))  # counts as 0
    s.add(progress.AT_RISK, D("70"))
    s.add(progress.NO_DATA, None)
    s.add(progress.NOT_SCORED, None)
    assert (s.indicators, s.on_track, s.at_risk, s.off_track, s.no_data, s.not_scored) == (
        5,
        1,
        1,
        1,
        1,
        1,
    )
    assert s.scored == 3
    assert s.percent_sum == D("170")
    assert s.mean == D("56.67")
    assert s.progress == progress.OFF_TRACK


def test_summary_of_nothing_scored_has_no_mean():
    s = Summary()
    s.add(progress.NO_DATA, None)
    assert s.mean is None and s.progress == progress.NO_DATA


def test_one_indicator_far_ahead_cannot_hide_one_far_behind():
    s = Summary()
    s.add(progress.ON_TRACK, D("900"))
    s.add(progress.OFF_TRACK, D("10"))
    assert s.mean == D("55.00") and s.progress == progress.OFF_TRACK


# ---------------------------------------------------------------- docs/results/progress.md


def test_worked_example_dtp3_coverage():
    after_q1 = level([q(1, "75", "76"), q(2, "80"), q(3, "85"), q(4, "90")])
    assert (after_q1.percent_to_date, after_q1.percent, after_q1.progress) == (
        D("120.00"),
        D("30.00"),
        progress.ON_TRACK,
    )
    after_q3 = level([q(1, "75", "76"), q(2, "80"), q(3, "85", "78"), q(4, "90")])
    assert (after_q3.actual, after_q3.target) == (D("78"), D("85"))
    assert (after_q3.percent_to_date, after_q3.percent) == (D("53.33"), D("40.00"))
    assert (after_q3.progress, after_q3.trend) == (progress.OFF_TRACK, progress.IMPROVING)
    year_only = level([q(1, None, "76"), q(3, None, "78"), q(4, "90")])
    assert (year_only.target, year_only.percent_to_date) == (D("84.9589"), D("53.48"))


def test_worked_example_factories_audited():
    a = cumulative([q(1, "10", "8"), q(2, "15"), q(3, "15", "22"), q(4, "20")])
    assert (a.actual, a.target, a.final_target) == (D("30"), D("40"), D("60"))
    assert (a.percent_to_date, a.percent) == (D("75.00"), D("50.00"))
    assert (a.progress, a.trend) == (progress.AT_RISK, progress.IMPROVING)
    assert [row[3] for row in a.series] == ["10", "25", "40", "60"]
    year_only = cumulative([q(1, None, "8"), q(3, None, "22"), q(4, "60")])
    assert (year_only.target, year_only.percent_to_date) == (D("44.8352"), D("66.91"))
    assert year_only.progress == progress.AT_RISK
    assert [row[3] for row in year_only.series] == ["14.6703", "44.8352", "60"]


def test_worked_examples_lower_is_better_and_adding_up():
    assert percent_of(D("30"), D("40"), D("20"), False) == D("50.00")
    assert percent_of(D("42"), D("40"), D("20"), False) == D("-10.00")
    s = Summary()
    s.add(progress.ON_TRACK, D("120"))
    s.add(progress.OFF_TRACK, D("53.33"))
    assert (s.mean, s.progress) == (D("76.67"), progress.AT_RISK)


# ---------------------------------------------------------------- targets without a start


def test_given_lower_is_better_and_no_baseline_then_the_value_is_held_against_the_target():
    # "Restricted chemicals in use", no baseline, target 5: 2 is ahead, 9 is behind.
    ahead = assess(
        [PeriodFigures("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), D("5"), D("2"))],
        baseline=None,
        baseline_date=None,
        ascending=False,
        cumulative=False,
    )
    assert ahead.percent_to_date == D("100") and ahead.progress == "on_track"
    behind = assess(
        [PeriodFigures("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), D("5"), D("9"))],
        baseline=None,
        baseline_date=None,
        ascending=False,
        cumulative=False,
    )
    assert behind.percent_to_date == D("55.56") and behind.progress == "off_track"


def test_given_a_target_on_the_other_side_of_the_baseline_then_it_is_a_floor_to_keep():
    # Higher is better, baseline 95, "keep at least 90": 96 meets it, 81 is 90 % of it.
    assert percent_of(D("96"), D("95"), D("90"), True) == D("100")
    assert percent_of(D("81"), D("95"), D("90"), True) == D("90.00")
    # Lower is better, baseline 10, "stay under 12": 11 meets it.
    assert percent_of(D("11"), D("10"), D("12"), False) == D("100")


@pytest.mark.parametrize(
    ("percent_sum", "scored", "mean"),
    [("499.71", 6, "83.29"), ("498.15", 6, "83.03"), ("100.005", 1, "100.01"), ("0", 0, None)],
)
def test_the_dashboard_and_the_sdg_rows_round_a_mean_half_up_alike(percent_sum, scored, mean):
    """Given percentages whose mean ends in a half cent (499.71 / 6 = 83.285), then the
    framework's summary and an SDG target's row both show it rounded half up (83.29), as
    docs/results/progress.md says, not to the even cent (83.28)."""
    from sinergi.results.queries import SdgRow

    expected = None if mean is None else Decimal(mean)
    row = SdgRow(
        code="3.8",
        goal="3",
        partnerships=1,
        indicators=scored,
        on_track=0,
        at_risk=0,
        off_track=0,
        no_data=0,
        not_scored=0,
        scored=scored,
        percent_sum=Decimal(percent_sum),
    )
    summary = Summary(scored=scored, percent_sum=Decimal(percent_sum))
    assert row.mean == expected
    assert summary.mean == expected


def test_a_cumulative_line_does_not_move_when_a_report_is_left_out():
    """Given two cumulative indicators with the same Q4 target of 60 and the same 30 counted
    by the end of Q3 — one reported Q1 = 8 and Q3 = 22, the other only Q3 = 30 — then both
    have the same target to date (the line starts on 1 January either way), so leaving the
    Q1 report out does not make the second look better."""
    reported = cumulative([q(1, None, "8"), q(3, None, "22"), q(4, "60")])
    skipped = cumulative([q(3, None, "30"), q(4, "60")])
    assert skipped.target == reported.target == D("44.8352")
    assert skipped.percent_to_date == reported.percent_to_date == D("66.91")
    assert skipped.progress == reported.progress == progress.AT_RISK
