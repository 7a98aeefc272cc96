"""The lifecycle demo seed: moves running demo partnerships towards implementing, through the
service, as far as their data allows; quietly stops otherwise; idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sinergi.ledger.models import Entry
from sinergi.partnerships.lifecycle import checklist as checklist_module
from sinergi.partnerships.lifecycle import demo
from sinergi.partnerships.models import Partnership, Stage
from tests.design.test_lifecycle_checklist import TODAY, build_design


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(checklist_module, "today", lambda: TODAY)


def stage_entries() -> int:
    return Entry.objects.filter(kind__startswith="stage.").count()


def test_a_complete_design_is_moved_to_implementing_once(db):
    """Given a demo partnership with a complete design, the seed moves it to implementing
    in two recorded steps; a second run changes nothing."""
    design = build_design()
    Partnership.objects.filter(pk=design.partnership.pk).update(slug="immunisation-indonesia")

    demo.seed()

    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.IMPLEMENTING
    assert stage_entries() == 2
    demo.seed()
    assert stage_entries() == 2


def test_an_incomplete_design_stops_quietly(db):
    design = build_design()
    design.partnership.goals.all().delete()
    Partnership.objects.filter(pk=design.partnership.pk).update(
        slug="sustainable-textiles-indonesia"
    )

    demo.seed()  # no exception

    # Scoping needs an SDG-linked goal: it stays there.
    assert Partnership.objects.get(pk=design.partnership.pk).stage == Stage.SCOPING
    assert stage_entries() == 0


def test_the_whole_demo_runs_twice_without_moving_twice(db):
    call_command("demo", "--quiet")
    stages = dict(Partnership.objects.values_list("slug", "stage"))
    entries = stage_entries()

    call_command("demo", "--quiet")

    assert dict(Partnership.objects.values_list("slug", "stage")) == stages
    assert stage_entries() == entries
