"""Rules added after review: each test names the scenario that used to go wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sinergi.core.errors import Conflict
from sinergi.ledger.models import Entry
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.models import Goal
from sinergi.results import queries, services
from sinergi.results.models import IndicatorStatus, SdgProgress, Status, Submission


def _targets(partnership) -> set[str]:
    return set(SdgProgress.objects.filter(partnership=partnership).values_list("target", flat=True))


def test_given_a_goal_linked_to_a_result_when_its_sdg_targets_change_then_the_roll_up_follows(
    monitored,
):
    m = monitored
    goal = goal_services.create_goal(
        actor=m.coordinator, partnership=m.partnership, title="Decent work", sdg_targets=["4.1"]
    )
    services.update_result(actor=m.coordinator, result=m.output, goal=goal)
    assert "4.1" in _targets(m.partnership)

    goal_services.update_goal(actor=m.coordinator, goal=goal, sdg_targets=["5.1"])
    assert "5.1" in _targets(m.partnership) and "4.1" not in _targets(m.partnership)

    goal_services.delete_goal(actor=m.coordinator, goal=Goal.objects.get(pk=goal.pk))
    assert "5.1" not in _targets(m.partnership) and "5" not in _targets(m.partnership)


def test_given_huge_cumulative_targets_then_the_stored_totals_stay_within_the_column(monitored):
    m = monitored
    big = "999999999999999"
    services.set_targets(
        actor=m.coordinator,
        indicator=m.trained,
        targets={f"2025-Q{q}": big for q in range(1, 5)}
        | {f"2026-Q{q}": big for q in range(1, 5)}
        | {f"2027-Q{q}": big for q in range(1, 5)},
    )
    status = IndicatorStatus.objects.get(indicator=m.trained)
    status.refresh_from_db()  # readable again: the value fits numeric(20, 4)
    assert status.final_target == Decimal("999999999999999")


def test_given_gps_coordinates_with_six_decimals_then_the_site_is_kept(monitored):
    m = monitored
    draft = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="76",
        sites=[{"name": "Puskesmas Coblong", "latitude": "-6.914744", "longitude": "107.609810"}],
    )
    site = draft.sites.get()
    assert site.latitude == Decimal("-6.914744") and site.longitude == Decimal("107.609810")
    with pytest.raises(ValidationError) as err:
        services.save_draft(
            actor=m.health_admin,
            indicator=m.coverage,
            period=m.q1,
            value="76",
            sites=[{"name": "X", "latitude": "-6.9147441", "longitude": "107.6"}],
        )
    assert "sites.0.latitude" in err.value.message_dict


def test_given_a_value_submitted_before_its_period_closed_then_it_cannot_be_approved(monitored):
    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.submit(actor=m.health_admin, submission=draft)
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    with pytest.raises(Conflict):
        services.approve(actor=m.coordinator, submission=draft)
    assert Submission.objects.get(pk=draft.pk).status == Status.SUBMITTED
    services.return_submission(actor=m.coordinator, submission=draft, comment="Period closed")


def test_given_a_coordinator_changed_the_figure_then_that_coordinator_cannot_approve_it(
    monitored,
):
    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.save_draft(actor=m.coordinator, indicator=m.coverage, period=m.q1, value="99")
    services.submit(actor=m.health_admin, submission=draft)
    with pytest.raises(PermissionDenied):
        services.approve(actor=m.coordinator, submission=draft)
    services.approve(actor=m.coordinator_2, submission=draft)


def test_given_a_coordinator_changed_a_figure_someone_else_saved_after_then_still_no_approval(
    monitored,
):
    """Given a returned value the coordinator changed to 99, which its author then saved
    again (unchanged) and resubmitted, then that coordinator still may not approve it —
    over the API too — and the review queue says so; another coordinator may."""
    from django.test import Client

    m = monitored
    draft = services.save_draft(
        actor=m.health_member, indicator=m.coverage, period=m.q1, value="76"
    )
    services.submit(actor=m.health_member, submission=draft)
    services.return_submission(actor=m.coordinator_2, submission=draft, comment="Recount")
    services.save_draft(actor=m.coordinator, indicator=m.coverage, period=m.q1, value="99")
    services.save_draft(
        actor=m.health_member, indicator=m.coverage, period=m.q1, value="99", narrative="ok"
    )
    services.submit(actor=m.health_member, submission=draft)

    with pytest.raises(PermissionDenied):
        services.approve(actor=m.coordinator, submission=draft)
    client = Client()
    client.force_login(m.coordinator)
    response = client.post(
        f"/api/v1/partnerships/{m.partnership.slug}/results/values/{draft.pk}/approve",
        {},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "another coordinator" in response.json()["error"]["message"]
    (row,) = queries.review_queue(m.partnership, m.coordinator)
    assert row.can_decide is False
    services.approve(actor=m.coordinator_2, submission=draft)
    assert Submission.objects.get(pk=draft.pk).status == Status.APPROVED


def test_given_a_coordinator_submitted_a_value_that_came_back_then_still_no_approval(
    monitored,
):
    """Given a value the coordinator submitted, which was returned and then sent again by
    its partner, then that coordinator still may not approve it."""
    m = monitored
    draft = services.save_draft(
        actor=m.health_member, indicator=m.coverage, period=m.q1, value="76"
    )
    services.submit(actor=m.coordinator, submission=draft)
    services.return_submission(actor=m.coordinator_2, submission=draft, comment="Recount")
    services.submit(actor=m.health_member, submission=draft)

    with pytest.raises(PermissionDenied):
        services.approve(actor=m.coordinator, submission=draft)


def test_given_a_value_awaiting_review_then_the_responsible_partner_cannot_change(monitored):
    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.submit(actor=m.health_admin, submission=draft)
    with pytest.raises(ValidationError) as err:
        services.update_indicator(actor=m.coordinator, indicator=m.coverage, responsible=m.ngo)
    assert "responsible" in err.value.message_dict


def test_given_an_open_draft_when_the_responsible_partner_changes_then_the_draft_follows(
    monitored,
):
    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.update_indicator(actor=m.coordinator, indicator=m.coverage, responsible=m.ngo)
    draft.refresh_from_db()
    assert draft.organisation_id == m.ngo.pk
    services.submit(actor=m.ngo_admin, submission=draft)


def test_given_the_same_targets_again_then_nothing_goes_on_the_ledger(monitored):
    m = monitored
    before = Entry.objects.count()
    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025-Q1": "75"})
    assert Entry.objects.count() == before
    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025-Q1": "76"})
    assert Entry.objects.count() == before + 1


@pytest.mark.parametrize("label", ["9999-Q4", "0000-Q1", "1899", "²025-Q1"])
def test_given_a_period_label_outside_the_years_then_a_field_error(monitored, label):
    m = monitored
    with pytest.raises(ValidationError):
        services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={label: "80"})
