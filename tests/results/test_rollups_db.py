"""Roll-ups against the database: an approval rewrites the indicator's status and the
partnership's SDG rows in its own transaction (and a failure takes them back with it), a
new revision counts only once approved, a full rebuild gives the rows the approvals
wrote, and indicators count towards the SDG targets of everything above them."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F

from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Goal
from sinergi.results import queries, rollups, services
from sinergi.results.models import IndicatorStatus, SdgProgress, Status, Submission
from tests.factories import PartnershipFactory
from tests.results.conftest import add_qualitative_indicator


class Boom(Exception):
    pass


def status_row(indicator) -> dict:
    return (
        IndicatorStatus.objects.filter(indicator=indicator)
        .values(
            "period_id",
            "actual",
            "target",
            "final_target",
            "percent",
            "percent_to_date",
            "progress",
            "trend",
            "approved",
            "series",
        )
        .get()
    )


def sdg_rows(partnership) -> list[tuple]:
    return list(
        SdgProgress.objects.filter(partnership=partnership)
        .order_by("target")
        .values_list(
            "goal",
            "target",
            "indicators",
            "on_track",
            "at_risk",
            "off_track",
            "no_data",
            "scored",
            "percent_sum",
            "indicator_codes",
            "not_scored",
        )
    )


def submitted(m, indicator, period, value, values=None) -> Submission:
    author = m.health_admin if indicator == m.coverage else m.ngo_admin
    draft = services.save_draft(
        actor=author, indicator=indicator, period=period, value=value, values=values or {}
    )
    return services.submit(actor=author, submission=draft)


# ---------------------------------------------------------------- one transaction


def test_given_an_approval_then_status_and_sdg_rows_change_before_it_commits(monitored):
    m = monitored
    value = submitted(m, m.coverage, m.q1, "76")
    assert status_row(m.coverage)["progress"] == "no_data"
    with transaction.atomic():
        services.approve(actor=m.coordinator, submission=value)
        # Inside the approval's transaction: already rewritten, no job to wait for.
        assert status_row(m.coverage)["actual"] == Decimal("76")
        assert SdgProgress.objects.get(partnership=m.partnership, target="3.b").on_track == 1


@pytest.mark.parametrize("failure", ["exception", "constraint"])
def test_given_a_failure_after_the_approval_then_nothing_of_it_remains(monitored, failure):
    m = monitored
    value = submitted(m, m.coverage, m.q1, "76")
    entries = Entry.objects.count()
    status_before = status_row(m.coverage)
    sdg_before = sdg_rows(m.partnership)
    expected = Boom if failure == "exception" else IntegrityError
    with pytest.raises(expected), transaction.atomic():
        services.approve(actor=m.coordinator, submission=value)
        assert status_row(m.coverage) != status_before  # the roll-up ran
        if failure == "exception":
            raise Boom
        # A real constraint: a second row for revision 1 of (coverage, 2025-Q1).
        Submission.objects.create(
            partnership=m.partnership,
            indicator=m.coverage,
            period=m.q1,
            organisation=m.health,
            revision=1,
        )
    value.refresh_from_db()
    assert value.status == Status.SUBMITTED and not value.is_current
    assert value.ledger_index is None and value.decided_by is None
    assert Entry.objects.count() == entries
    assert status_row(m.coverage) == status_before
    assert sdg_rows(m.partnership) == sdg_before
    # And it can still be approved afterwards.
    services.approve(actor=m.coordinator, submission=value)
    assert status_row(m.coverage)["actual"] == Decimal("76")


def test_given_a_refused_approval_then_the_ledger_and_rollups_are_untouched(monitored):
    """The approval's own checks fail after it took the ledger lock: nothing written."""
    m = monitored
    value = submitted(m, m.coverage, m.q1, "76")
    own = services.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q1, value="90")
    services.submit(actor=m.coordinator, submission=own)
    entries = Entry.objects.count()
    before = status_row(m.coverage), status_row(m.trained), sdg_rows(m.partnership)
    with pytest.raises(PermissionDenied):
        services.approve(actor=m.health_admin, submission=value)  # not a coordinator
    with pytest.raises(PermissionDenied, match="another coordinator"):
        services.approve(actor=m.coordinator, submission=own)  # their own value
    assert Entry.objects.count() == entries
    assert (status_row(m.coverage), status_row(m.trained), sdg_rows(m.partnership)) == before
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.SUBMITTED}


# ---------------------------------------------------------------- revisions


def test_given_a_new_revision_then_the_value_in_force_changes_only_when_it_is_approved(monitored):
    m = monitored
    first = submitted(m, m.coverage, m.q1, "76")
    services.approve(actor=m.coordinator, submission=first)
    assert status_row(m.coverage)["actual"] == Decimal("76")

    second = services.save_draft(
        actor=m.health_admin, indicator=m.coverage, period=m.q1, value="72"
    )
    assert second.pk != first.pk and second.revision == 2
    assert status_row(m.coverage)["actual"] == Decimal("76")
    services.submit(actor=m.health_admin, submission=second)
    assert status_row(m.coverage)["actual"] == Decimal("76")
    services.return_submission(actor=m.coordinator, submission=second, comment="Check Bogor")
    assert status_row(m.coverage)["actual"] == Decimal("76")
    second = services.save_draft(
        actor=m.health_admin, indicator=m.coverage, period=m.q1, value="73"
    )
    assert second.revision == 2
    services.submit(actor=m.health_admin, submission=second)
    services.approve(actor=m.coordinator, submission=second)

    row = status_row(m.coverage)
    assert row["actual"] == Decimal("73")
    assert row["percent_to_date"] == Decimal("60.00")  # (73 - 70) / (75 - 70)
    assert row["progress"] == "at_risk"
    assert row["approved"] == 1  # one period, whatever its revisions
    first.refresh_from_db()
    assert first.status == Status.APPROVED and not first.is_current
    assert Submission.objects.filter(indicator=m.coverage, is_current=True).get().pk == second.pk


def test_given_cumulative_approvals_then_the_status_sums_periods_and_follows_the_trend(monitored):
    m = monitored
    for period, value in ((m.q1, "60"), (m.q2, "90")):
        services.approve(actor=m.coordinator, submission=submitted(m, m.trained, period, value))
    row = status_row(m.trained)
    assert row["actual"] == Decimal("150")
    assert row["target"] == Decimal("200")
    assert row["final_target"] == Decimal("400")
    assert row["percent_to_date"] == Decimal("75.00")
    assert row["percent"] == Decimal("37.50")
    assert row["progress"] == "at_risk" and row["trend"] == "improving"
    assert row["period_id"] == m.q2.pk
    assert row["series"][:2] == [
        ["2025-Q1", "2025-03-31", "60", "100"],
        ["2025-Q2", "2025-06-30", "150", "200"],
    ]


def test_given_new_targets_then_the_status_is_rewritten_with_them(monitored):
    m = monitored
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q1, "76"))
    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025-Q1": "90"})
    row = status_row(m.coverage)
    assert row["target"] == Decimal("90") and row["percent_to_date"] == Decimal("30.00")
    assert row["progress"] == "off_track"
    assert SdgProgress.objects.get(partnership=m.partnership, target="3.b").off_track == 1


# ---------------------------------------------------------------- rebuild


def test_given_a_rebuild_then_the_rows_equal_those_of_the_approvals(monitored):
    m = monitored
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q1, "76"))
    services.approve(actor=m.coordinator, submission=submitted(m, m.trained, m.q1, "60"))
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q2, "74"))
    incremental = [status_row(m.coverage), status_row(m.trained)], sdg_rows(m.partnership)
    IndicatorStatus.objects.all().delete()
    SdgProgress.objects.all().delete()
    assert rollups.rebuild([m.partnership.pk]) == 2
    assert ([status_row(m.coverage), status_row(m.trained)], sdg_rows(m.partnership)) == (
        incremental
    )


# ---------------------------------------------------------------- SDG targets


def test_given_the_framework_then_each_indicator_counts_towards_every_target_above_it(monitored):
    m = monitored
    goal = Goal.objects.create(partnership=m.partnership, title="Decent work", sdg_targets=["8.7"])
    services.update_result(actor=m.coordinator, result=m.output, goal=goal)
    rows = {r[1]: r for r in sdg_rows(m.partnership)}
    # coverage: its SDG indicator 3.b.1 → 3.b, its result (3.b), the impact above (3.2).
    # trained: its result's goal (8.7), the outcome (3.b) and the impact (3.2).
    # Plus one row per goal ("3", "8") in which each indicator counts once.
    assert set(rows) == {"3", "3.2", "3.b", "8", "8.7"}
    assert rows["3"][2] == 2 and sorted(rows["3"][9]) == ["1.1", "2.1"]
    assert rows["8"][2] == 1 and rows["8"][0] == "8"
    assert rows["3.b"][9] == ["1.1", "2.1"] or rows["3.b"][9] == ["2.1", "1.1"]
    assert sorted(rows["3.2"][9]) == ["1.1", "2.1"]
    assert rows["8.7"][9] == ["1.1"]
    assert rows["8.7"][0] == "8"
    assert rows["3.b"][2] == 2  # counted once though reached twice


def test_given_an_sdg_indicator_alone_then_its_target_is_reached():
    results = {1: (None, None, [])}
    assert rollups.sdg_targets_of("3.b.1", 1, results, {}) == {"3.b"}
    assert rollups.sdg_targets_of("", 1, results, {}) == set()
    assert rollups.sdg_targets_of("9.9.9", 1, results, {}) == set()


def test_given_a_cycle_in_the_results_then_the_walk_stops():
    results = {1: (2, None, ["3.1"]), 2: (1, 7, ["3.2"])}
    assert rollups.sdg_targets_of("", 1, results, {7: ["8.7"]}) == {"3.1", "3.2", "8.7"}


def test_given_qualitative_and_unreported_indicators_then_not_scored_and_no_data(monitored):
    """Given a qualitative indicator beside two unreported ones under target 3.2, then the
    row counts the two as having no data yet and the qualitative one as not scored (as the
    dashboard's totals do), so that its counts add up to its indicators."""
    m = monitored
    add_qualitative_indicator(m)
    row = SdgProgress.objects.get(partnership=m.partnership, target="3.2")
    assert row.indicators == 3 and row.no_data == 2 and row.not_scored == 1 and row.scored == 0
    assert row.percent_sum == 0
    board = queries.dashboard(m.partnership, m.coordinator)
    assert (board.totals.no_data, board.totals.not_scored) == (2, 1)


def test_the_migration_splits_rows_written_before_not_scored_had_a_column(monitored):
    """Given SDG rows as they were stored before (qualitative indicators folded into
    `no_data`), when migration results 0006 runs, then each row's qualitative indicators
    move to `not_scored`; run backwards, they fold back."""
    m = monitored
    add_qualitative_indicator(m)
    current = sdg_rows(m.partnership)
    SdgProgress.objects.update(no_data=F("no_data") + F("not_scored"), not_scored=0)
    migration = importlib.import_module("sinergi.results.migrations.0006_sdgprogress_not_scored")

    migration.split_not_scored(django_apps, None)

    assert sdg_rows(m.partnership) == current
    assert SdgProgress.objects.filter(not_scored=1).count() >= 2  # 3.2 and goal 3
    migration.fold_not_scored(django_apps, None)
    assert not SdgProgress.objects.filter(not_scored__gt=0).exists()
    assert SdgProgress.objects.get(partnership=m.partnership, target="3.2").no_data == 3


def test_given_an_sdg_target_no_longer_linked_then_its_row_goes(monitored):
    m = monitored
    services.update_result(actor=m.coordinator, result=m.impact, sdg_targets=["3.1"])
    targets = {r[1] for r in sdg_rows(m.partnership)}
    assert "3.2" not in targets and {"3.1", "3.b"} <= targets


def test_given_a_value_millions_of_times_its_target_then_the_stored_percent_fits(monitored):
    """numeric(12, 2) holds 10 digits before the point; PostgreSQL refuses more (the
    approval would fail), so the stored percent is held at the bound."""
    m = monitored
    services.set_targets(actor=m.coordinator, indicator=m.trained, targets={"2025-Q1": "0.0001"})
    services.approve(
        actor=m.coordinator, submission=submitted(m, m.trained, m.q1, "999999999999999")
    )
    row = status_row(m.trained)
    assert row["percent_to_date"] == rollups.PERCENT_LIMIT
    assert row["progress"] == "on_track"
    assert SdgProgress.objects.get(partnership=m.partnership, target="3.b").percent_sum == 100


def test_given_stale_sdg_rows_of_a_partnership_without_indicators_then_rebuild_clears_them(
    monitored,
):
    m = monitored
    SdgProgress.objects.create(
        partnership=m.partnership, goal="1", target="1.1", indicators=1, percent_sum=0
    )
    stale = PartnershipFactory()
    SdgProgress.objects.create(partnership=stale, goal="1", target="1.1", percent_sum=0)
    rollups.rebuild([m.partnership.pk])
    assert not SdgProgress.objects.filter(partnership=m.partnership, target="1.1").exists()
    assert SdgProgress.objects.filter(partnership=stale).exists()  # not asked for
    rollups.rebuild()
    assert not SdgProgress.objects.filter(partnership=stale).exists()
    assert SdgProgress.objects.filter(partnership=m.partnership, target="3.b").exists()


# ---------------------------------------------------------------- approvals move rows in place


def rebuilt_sdg_rows(partnership) -> list[tuple]:
    """The SDG rows a full rewrite gives now (the rows as stored are put back after)."""
    with transaction.atomic():
        sid = transaction.savepoint()
        rollups.refresh_sdg(partnership)
        rows = sdg_rows(partnership)
        transaction.savepoint_rollback(sid)
    return rows


def test_given_approvals_then_the_sdg_rows_move_in_place_and_equal_a_full_rewrite(monitored):
    m = monitored
    goal = Goal.objects.create(partnership=m.partnership, title="Decent work", sdg_targets=["8.7"])
    services.update_result(actor=m.coordinator, result=m.output, goal=goal)
    services.set_targets(actor=m.coordinator, indicator=m.trained, targets={"2025-Q1": "100"})
    ids = set(SdgProgress.objects.filter(partnership=m.partnership).values_list("pk", flat=True))
    for indicator, period, value in [
        (m.coverage, m.q1, "76"),  # on track
        (m.trained, m.q1, "70"),  # at risk
        (m.trained, m.q1, "20"),  # a new revision: off track
        (m.coverage, m.q2, "40"),
    ]:
        services.approve(actor=m.coordinator, submission=submitted(m, indicator, period, value))
        assert sdg_rows(m.partnership) == rebuilt_sdg_rows(m.partnership)
    # Updated, not deleted and inserted again.
    assert (
        set(SdgProgress.objects.filter(partnership=m.partnership).values_list("pk", flat=True))
        == ids
    )
    rows = {r[1]: r for r in sdg_rows(m.partnership)}
    assert rows["8.7"][5] == 1 and rows["8.7"][3] == 0  # trained: off track, no longer at risk
    assert rows["8"][7] == 1  # one scored indicator in goal 8


def test_given_a_missing_sdg_row_then_the_approval_rewrites_them_all(monitored):
    m = monitored
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q1, "76"))
    SdgProgress.objects.filter(partnership=m.partnership, target="3.2").delete()
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q2, "20"))
    assert "3.2" in {r[1] for r in sdg_rows(m.partnership)}
    assert sdg_rows(m.partnership) == rebuilt_sdg_rows(m.partnership)


def test_given_sdg_rows_that_drifted_then_the_approval_rewrites_them_instead_of_failing(monitored):
    m = monitored
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q1, "76"))
    # A count the approval would take below zero (rows out of step with the statuses).
    SdgProgress.objects.filter(partnership=m.partnership, target="3.b").update(on_track=0)
    services.approve(actor=m.coordinator, submission=submitted(m, m.coverage, m.q2, "20"))
    assert sdg_rows(m.partnership) == rebuilt_sdg_rows(m.partnership)
