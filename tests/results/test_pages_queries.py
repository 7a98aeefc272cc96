"""The read paths behind the results pages and API (sinergi.results.queries)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser

from sinergi.results import queries, services
from sinergi.results.models import IndicatorStatus, Submission
from tests.factories import PartnershipFactory


def _approve(m, indicator, period, value, author=None, values=None):
    author = author or (m.health_admin if indicator == m.coverage else m.ngo_admin)
    draft = services.save_draft(
        actor=author, indicator=indicator, period=period, value=value, values=values or {}
    )
    services.submit(actor=author, submission=draft)
    return services.approve(actor=m.coordinator, submission=draft)


def test_given_an_approved_value_when_reading_the_dashboard_then_tree_and_totals_show_it(
    monitored,
) -> None:
    m = monitored
    _approve(m, m.coverage, m.q1, "76")
    board = queries.dashboard(m.partnership, m.observer, today=date(2025, 4, 10))
    assert [n.result for n in board.tree] == [m.impact]
    impact = board.tree[0]
    outcome = impact.children[0]
    assert outcome.result == m.outcome
    assert [r.indicator for r in outcome.indicators] == [m.coverage]
    assert outcome.indicators[0].status.progress == "on_track"
    assert impact.summary.indicators == 2 and impact.summary.on_track == 1
    assert board.totals.on_track == 1 and board.totals.no_data == 1
    assert {r.code for r in board.sdg} >= {"3.b", "3.2"}


def test_given_the_dashboard_rows_then_they_behave_as_the_indicators_and_statuses_read_whole(
    monitored,
) -> None:
    """The dashboard builds its rows from plain columns; they must still be the same
    models: equal, with every column's value, a left-out one read on first access."""
    m = monitored
    _approve(m, m.coverage, m.q1, "76")
    board = queries.dashboard(m.partnership, m.observer, today=date(2025, 4, 10))
    rows = {r.indicator.pk: r for r in board.indicators}
    coverage, trained = rows[m.coverage.pk], rows[m.trained.pk]
    stored = IndicatorStatus.objects.get(indicator=m.coverage)
    assert coverage.indicator == m.coverage and coverage.status == stored
    for name in ("code", "title", "unit", "measure", "baseline_value", "responsible_id"):
        assert getattr(coverage.indicator, name) == getattr(m.coverage, name)
    for name in ("actual", "target", "percent_to_date", "progress", "trend", "approved"):
        assert getattr(coverage.status, name) == getattr(stored, name)
    assert coverage.indicator.responsible == m.health
    assert str(coverage.status.get_progress_display()) == "On track"
    assert coverage.indicator.description == m.coverage.description  # left out: read now
    assert coverage.status.series == stored.series
    assert coverage.indicator._state.adding is False
    assert trained.status.progress == "no_data" and trained.status.actual is None


def test_given_periods_when_reading_reporting_lights_then_due_overdue_and_on_time(
    monitored,
) -> None:
    m = monitored
    approved = _approve(m, m.coverage, m.q1, "76")
    Submission.objects.filter(pk=approved.pk).update(submitted_at=datetime(2025, 4, 5, tzinfo=UTC))
    # 2025-Q1 ended on 31 March; due 30 days later.
    board = queries.dashboard(m.partnership, m.coordinator, today=date(2025, 4, 10))
    states = {r.indicator.code: r.state for r in board.indicators}
    assert states == {"2.1": "on_time", "1.1": "due"}
    by_org = {p.organisation: p for p in board.partners}
    assert by_org[m.health].light == "green"
    assert by_org[m.ngo].light == "yellow"
    late = queries.dashboard(m.partnership, m.coordinator, today=date(2025, 6, 1))
    by_org = {p.organisation: p for p in late.partners}
    assert by_org[m.ngo].missing == 1 and by_org[m.ngo].light == "red"
    assert late.light == "red"


def test_given_many_indicators_when_reading_the_dashboard_then_queries_stay_few(
    monitored, django_assert_max_num_queries
) -> None:
    m = monitored
    for i in range(30):
        services.create_indicator(
            actor=m.coordinator,
            partnership=m.partnership,
            result=m.output,
            code=f"9.{i}",
            title=f"Indicator {i}",
            responsible=m.ngo,
        )
    with django_assert_max_num_queries(6):
        board = queries.dashboard(m.partnership, m.coordinator, today=date(2025, 4, 10))
    assert len(board.indicators) == 32


def test_given_a_private_partnership_when_an_outsider_reads_the_portfolio_then_it_is_not_counted(
    monitored, public_monitored
) -> None:
    _approve(monitored, monitored.coverage, monitored.q1, "76")
    _approve(public_monitored, public_monitored.coverage, public_monitored.q1, "72")
    outsider = queries.portfolio(monitored.outsider)
    goal3 = next(g for g in outsider.goals if g.goal == "3")
    assert goal3.partnerships == 1
    anonymous = queries.portfolio(AnonymousUser(), goal="3")
    assert [p.partnership for p in anonymous.partnerships["3.b"]] == [public_monitored.partnership]
    member = queries.portfolio(monitored.observer, goal="3")
    target = next(t for t in member.targets if t.code == "3.b")
    assert target.partnerships == 2 and target.indicators == 4
    # 120 capped to 100 and (72-70)/(75-70) = 40.
    assert target.mean == Decimal("70.00")


def test_given_a_draft_when_an_observer_reads_the_indicator_then_only_approved_history(
    monitored,
) -> None:
    m = monitored
    _approve(
        m,
        m.trained,
        m.q1,
        "90",
        values={
            "sex:female": "50",
            "sex:male": "40",
            "province:ID-JB": "60",
            "province:ID-JT": "30",
        },
    )
    services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q2, value="10")
    seen = queries.indicator_detail(m.trained, m.observer)
    assert [s.status for s in seen.history] == ["approved"]
    own = queries.indicator_detail(m.trained, m.ngo_admin)
    assert [s.status for s in own.history] == ["draft", "approved"]
    assert [c.value for c in seen.breakdown[0].categories] == [Decimal("50"), Decimal("40")]
    assert [(p.code, p.value) for p in seen.provinces] == [
        ("ID-JB", Decimal("60")),
        ("ID-JT", Decimal("30")),
    ]
    assert seen.periods[0].actual == Decimal("90") and seen.periods[0].target == Decimal("100")


def test_given_a_submitted_value_when_reading_the_review_queue_then_coordinators_only(
    monitored,
) -> None:
    m = monitored
    draft = services.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q1, value="5")
    services.submit(actor=m.coordinator, submission=draft)
    assert queries.review_queue(m.partnership, m.ngo_admin) == []
    mine = queries.review_queue(m.partnership, m.coordinator)
    assert [s.can_decide for s in mine] == [False]
    assert [s.can_decide for s in queries.review_queue(m.partnership, m.coordinator_2)] == [True]


def test_given_a_partner_when_listing_my_reporting_then_only_its_indicators(monitored) -> None:
    m = monitored
    rows = queries.my_reporting(m.partnership, m.health_admin, today=date(2025, 4, 10))
    assert {r.indicator for r in rows} == {m.coverage}
    assert rows[0].label == "2025-Q2" and rows[1].label == "2025-Q1"
    assert queries.my_reporting(m.partnership, m.observer) == []
    assert len({r.indicator for r in queries.my_reporting(m.partnership, m.coordinator)}) == 2


def test_given_no_indicators_when_reading_the_dashboard_then_it_is_empty(db) -> None:
    partnership = PartnershipFactory()
    board = queries.dashboard(partnership, AnonymousUser())
    assert board.tree == [] and board.light == "green"
