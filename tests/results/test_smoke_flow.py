"""The whole life of a value, end to end through the services, on the real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sinergi.ledger.models import Entry
from sinergi.results import services
from sinergi.results.models import IndicatorStatus, SdgProgress, Status


def test_submit_approve_moves_progress_and_sdg(monitored) -> None:
    m = monitored
    draft = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="76",
        values={"sex:female": "77", "sex:male": "75"},
        narrative="Catch-up campaign in Bandung",
    )
    assert draft.status == Status.DRAFT
    services.submit(actor=m.health_member, submission=draft)
    before = Entry.objects.count()
    approved = services.approve(actor=m.coordinator, submission=draft)
    assert approved.status == Status.APPROVED and approved.is_current
    assert Entry.objects.count() == before + 1
    status = IndicatorStatus.objects.get(indicator=m.coverage)
    assert status.actual == Decimal("76")
    assert status.target == Decimal("75")
    assert status.progress == "on_track"
    assert status.percent_to_date == Decimal("120.00")  # (76-70)/(75-70)
    row = SdgProgress.objects.get(partnership=m.partnership, target="3.b")
    assert row.on_track == 1 and row.indicators == 2


def test_breakdown_must_add_up(monitored) -> None:
    m = monitored
    with pytest.raises(ValidationError) as err:
        services.save_draft(
            actor=m.ngo_admin,
            indicator=m.trained,
            period=m.q1,
            value="100",
            values={"sex:female": "40", "sex:male": "50"},
        )
    assert "values.sex" in err.value.message_dict


def test_author_cannot_approve(monitored) -> None:
    m = monitored
    draft = services.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q1, value="90")
    services.submit(actor=m.coordinator, submission=draft)
    with pytest.raises(PermissionDenied):
        services.approve(actor=m.coordinator, submission=draft)
    services.approve(actor=m.coordinator_2, submission=draft)
