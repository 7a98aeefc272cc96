"""Properties of the progress rule (hypothesis, no database): the percent is anchored at
the start (0) and the target (100), monotonic in the value in the good direction,
status follows the percent, cumulative values add up exactly, the order of periods does
not matter, interpolation stays between its points, and summaries merge like sums.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sinergi.results import progress
from sinergi.results.progress import PeriodFigures, Summary, assess, interpolate, percent_of

RANK = {progress.OFF_TRACK: 0, progress.AT_RISK: 1, progress.ON_TRACK: 2}
STATUSES = [
    progress.ON_TRACK,
    progress.AT_RISK,
    progress.OFF_TRACK,
    progress.NO_DATA,
    progress.NOT_SCORED,
]

# Values as entered: at most 4 decimal places, kept to a size where Decimal's 28 digits
# are far more than the rule needs.
values = st.integers(0, 10**10).map(lambda n: Decimal(n).scaleb(-4))
signed = st.integers(-(10**10), 10**10).map(lambda n: Decimal(n).scaleb(-4))


def half_up(value: Fraction, digits: int = 2) -> Decimal:
    scaled = value * 10**digits
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return Decimal(whole if scaled >= 0 else -whole).scaleb(-digits)


@st.composite
def aims(draw):
    """(start, target, ascending) with the target on the good side of the start, or equal
    to it (holding a level)."""
    ascending = draw(st.booleans())
    start = draw(values)
    target = draw(values)
    if target != start and (target > start) != ascending:
        start, target = target, start
    return start, target, ascending


@st.composite
def quarters(draw, *, min_size=0, max_size=12):
    """Distinct quarters from 2024 on, each with an optional target and actual."""
    chosen = draw(st.sets(st.integers(0, 15), min_size=min_size, max_size=max_size))
    rows = []
    for n in sorted(chosen):
        year, quarter = 2024 + n // 4, n % 4
        start = date(year, 3 * quarter + 1, 1)
        end = (
            date(year, 3 * quarter + 4, 1) - timedelta(days=1)
            if quarter < 3
            else date(year, 12, 31)
        )
        rows.append(
            PeriodFigures(
                label=f"{year}-Q{quarter + 1}",
                start=start,
                end=end,
                target=draw(st.none() | values),
                actual=draw(st.none() | values),
                key=n,
            )
        )
    return rows


# ---------------------------------------------------------------- percent


@settings(max_examples=300)
@given(aim=aims())
def test_the_value_at_the_target_is_100_and_at_the_start_0(aim):
    start, target, ascending = aim
    assert percent_of(target, start, target, ascending) == 100
    if target != start:
        assert percent_of(start, start, target, ascending) == 0


@settings(max_examples=300)
@given(aim=aims(), a=values, b=values)
def test_a_better_value_never_scores_lower(aim, a, b):
    start, target, ascending = aim
    worse, better = (min(a, b), max(a, b)) if ascending else (max(a, b), min(a, b))
    assert percent_of(better, start, target, ascending) >= percent_of(
        worse, start, target, ascending
    )
    assert (
        RANK[progress.status_for(percent_of(better, start, target, ascending))]
        >= RANK[progress.status_for(percent_of(worse, start, target, ascending))]
    )


@settings(max_examples=300)
@given(value=signed, start=values, target=values, ascending=st.booleans())
def test_the_percent_is_the_exact_ratio_rounded_half_up_to_cents(value, start, target, ascending):
    assume(target != start and (target > start) == ascending)
    got = percent_of(value, start, target, ascending)
    exact = (
        Fraction(100) * (Fraction(value) - Fraction(start)) / (Fraction(target) - Fraction(start))
    )
    assert isinstance(got, Decimal)
    assert got == half_up(exact)
    assert got.as_tuple().exponent == -2


@settings(max_examples=300)
@given(percent=st.integers(-(10**6), 10**6).map(lambda n: Decimal(n).scaleb(-2)))
def test_status_is_the_threshold_band_of_the_percent(percent):
    status = progress.status_for(percent)
    if percent >= 90:
        assert status == progress.ON_TRACK
    elif percent >= 60:
        assert status == progress.AT_RISK
    else:
        assert status == progress.OFF_TRACK


# ---------------------------------------------------------------- assessment


@settings(max_examples=200)
@given(rows=quarters(min_size=1), data=st.data(), ascending=st.booleans())
def test_status_is_monotonic_in_the_latest_value(rows, data, ascending):
    """Moving the latest value in the good direction never worsens the status (for a
    level indicator whose targets lie on the good side of the baseline)."""
    baseline = data.draw(values)
    rows = [
        PeriodFigures(
            r.label,
            r.start,
            r.end,
            None
            if r.target is None
            else (baseline + r.target if ascending else max(baseline - r.target, Decimal(0))),
            None,
            r.key,
        )
        for r in rows
    ]
    assume(any(r.target is not None for r in rows))
    latest = data.draw(st.sampled_from(rows))
    a, b = data.draw(values), data.draw(values)
    worse, better = (min(a, b), max(a, b)) if ascending else (max(a, b), min(a, b))

    def judged(value):
        changed = [
            PeriodFigures(r.label, r.start, r.end, r.target, value, r.key) if r is latest else r
            for r in rows
        ]
        return assess(
            changed,
            baseline=baseline,
            baseline_date=date(2023, 12, 31),
            ascending=ascending,
            cumulative=False,
        )

    good, bad = judged(better), judged(worse)
    assert good.percent_to_date >= bad.percent_to_date
    assert RANK[good.progress] >= RANK[bad.progress]


@settings(max_examples=200)
@given(rows=quarters())
def test_the_cumulative_value_to_date_is_the_exact_sum_of_reported_values(rows):
    a = assess(rows, baseline=None, baseline_date=None, ascending=True, cumulative=True)
    reported = [r.actual for r in rows if r.actual is not None]
    if not reported:
        assert a.actual is None and a.progress == progress.NO_DATA
        return
    assert a.actual == sum(reported, Decimal(0))
    assert a.approved == len(reported)
    targets = [r.target for r in rows if r.target is not None]
    if targets:
        assert a.final_target == sum(targets, Decimal(0))
    # Each series row of a reported period carries the sum up to that period.
    series = {point[0]: point for point in a.series}
    running = Decimal(0)
    for row in rows:
        if row.actual is not None:
            running += row.actual
            assert Decimal(series[row.label][2]) == running


@settings(max_examples=200)
@given(
    rows=quarters(),
    order=st.randoms(use_true_random=False),
    cumulative=st.booleans(),
    ascending=st.booleans(),
    baseline=st.none() | values,
)
def test_the_order_the_periods_are_given_in_does_not_matter(
    rows, order, cumulative, ascending, baseline
):
    assume(ascending or not cumulative)
    shuffled = list(rows)
    order.shuffle(shuffled)
    kwargs = {
        "baseline": baseline,
        "baseline_date": None if baseline is None else date(2023, 12, 31),
        "ascending": ascending,
        "cumulative": cumulative,
    }
    assert assess(shuffled, **kwargs) == assess(rows, **kwargs)


@settings(max_examples=200)
@given(rows=quarters(min_size=1))
def test_a_cumulative_series_shows_the_target_to_date_the_status_uses(rows):
    a = assess(rows, baseline=None, baseline_date=None, ascending=True, cumulative=True)
    if a.latest is None or a.target is None:
        return
    latest = next(point for point in a.series if point[0] == a.latest)
    assert Decimal(latest[3]) == a.target


@settings(max_examples=200)
@given(rows=quarters(), cumulative=st.booleans(), baseline=st.none() | values)
def test_every_figure_is_a_decimal(rows, cumulative, baseline):
    a = assess(
        rows,
        baseline=baseline,
        baseline_date=None if baseline is None else date(2023, 12, 31),
        ascending=True,
        cumulative=cumulative,
    )
    for figure in (a.actual, a.target, a.final_target, a.percent, a.percent_to_date):
        assert figure is None or isinstance(figure, Decimal)
    for point in a.series:
        for text in point[2:]:
            assert text is None or Decimal(text).is_finite()


# ---------------------------------------------------------------- interpolate


@st.composite
def curves(draw):
    days = draw(st.lists(st.integers(0, 3000), min_size=1, max_size=8).map(sorted))
    base = date(2024, 1, 1)
    return [(base + timedelta(days=d), draw(signed)) for d in days]


@settings(max_examples=300)
@given(points=curves(), offset=st.integers(-100, 3200))
def test_interpolate_stays_between_its_neighbouring_points(points, offset):
    when = date(2024, 1, 1) + timedelta(days=offset)
    got = interpolate(points, when)
    assert isinstance(got, Decimal)
    if when <= points[0][0]:
        assert got == points[0][1]
        return
    if when > points[-1][0]:
        assert got == points[-1][1]
        return
    for (d0, v0), (d1, v1) in pairwise(points):
        if d0 < when <= d1:
            assert min(v0, v1) <= got <= max(v0, v1)
            if when == d1:
                assert got == v1
            return
    raise AssertionError("no neighbouring points")


@settings(max_examples=200)
@given(points=curves())
def test_interpolate_passes_through_every_point_with_a_distinct_date(points):
    dates = [d for d, _v in points]
    for i, (d, v) in enumerate(points):
        if dates.count(d) == 1:
            assert interpolate(points, d) == v
        elif i + 1 < len(points) and points[i + 1][0] != d:
            # Several points on one day: the curve arrives at the first of them.
            assert interpolate(points, d) == points[dates.index(d)][1]


# ---------------------------------------------------------------- summary


statuses = st.tuples(
    st.sampled_from(STATUSES),
    st.none() | st.integers(-50000, 50000).map(lambda n: Decimal(n) / 100),
)


@settings(max_examples=200)
@given(left=st.lists(statuses, max_size=20), right=st.lists(statuses, max_size=20))
def test_merging_summaries_equals_adding_everything_to_one(left, right):
    a, b, everything = Summary(), Summary(), Summary()
    for prog, pct in left:
        a.add(prog, pct)
        everything.add(prog, pct)
    for prog, pct in right:
        b.add(prog, pct)
        everything.add(prog, pct)
    a.merge(b)
    assert a == everything
    assert a.mean == everything.mean


@settings(max_examples=200)
@given(items=st.lists(statuses, max_size=30))
def test_the_summary_mean_is_the_exact_mean_of_capped_scored_percents(items):
    s = Summary()
    for prog, pct in items:
        s.add(prog, pct)
    scored = [
        min(max(pct, Decimal(0)), Decimal(100))
        for prog, pct in items
        if pct is not None and prog in RANK
    ]
    assert s.indicators == len(items)
    assert s.on_track + s.at_risk + s.off_track + s.no_data + s.not_scored == len(items)
    assert s.scored == len(scored)
    if not scored:
        assert s.mean is None
    else:
        assert s.mean == half_up(Fraction(sum(scored, Decimal(0))) / len(scored))
        assert Decimal(0) <= s.mean <= Decimal(100)
