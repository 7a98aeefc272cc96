"""The results demo: two years of monitoring for both demo partnerships, relative to
today, all of it through the services (so approved values are on the ledger); progress
comes out mixed and one partner in each partnership is late; a second run adds nothing."""

from __future__ import annotations

import hashlib
import json
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from sinergi.core.management.commands import demo as demo_command
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Partnership
from sinergi.results import demo, reminders, services
from sinergi.results.models import (
    Evidence,
    Indicator,
    IndicatorStatus,
    Measure,
    Result,
    SdgProgress,
    Status,
    Submission,
    SubmissionValue,
    split_key,
)

SLUGS = (demo.IMMUNISATION, demo.TEXTILES)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo, loaded once for this module and rolled back after it; each test
    runs in a savepoint inside it. Yields the seconds the results seed took."""
    media = tmp_path_factory.mktemp("media")
    others = [m for m in demo_command.DESIGN_SEEDS if m != "sinergi.results.demo"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        with mock.patch.object(demo_command, "DESIGN_SEEDS", others):
            call_command("demo", "--quiet")
        started = time.perf_counter()
        with transaction.atomic():
            demo.seed()
        yield time.perf_counter() - started
        transaction.set_rollback(True)


@pytest.fixture
def loaded(seeded, db) -> float:
    return seeded


def test_the_seed_is_quick(loaded) -> None:
    # About 5 s on an idle machine; the bound leaves room for a busy one.
    assert loaded < 30


def test_both_partnerships_have_a_framework_linked_to_goals_and_sdg_targets(loaded) -> None:
    for slug in SLUGS:
        partnership = Partnership.objects.get(slug=slug)
        results = Result.objects.filter(partnership=partnership)
        assert {r.type for r in results} == {"1", "2", "3"}
        assert results.exclude(goal=None).count() >= 4
        assert results.exclude(work_package=None).count() >= 4
        assert SdgProgress.objects.filter(partnership=partnership).count() >= 3
        assert Indicator.objects.filter(partnership=partnership).count() >= 6


def test_approved_values_are_on_the_ledger(loaded) -> None:
    approved = Submission.objects.filter(status=Status.APPROVED, partnership__slug__in=SLUGS)
    assert approved.count() > 100
    assert not approved.filter(ledger_index=None).exists()
    indexes = set(approved.values_list("ledger_index", flat=True))
    kinds = set(Entry.objects.filter(index__in=indexes).values_list("kind", flat=True))
    assert kinds == {"results.value.approved"}
    # Reviewed by a coordinator who neither entered nor submitted the value.
    for s in approved.select_related("indicator"):
        assert s.decided_by_id not in (s.created_by_id, s.submitted_by_id)
        assert s.decided_at >= s.submitted_at >= s.created_at


def test_evidence_files_back_approved_values_and_their_hashes_are_on_the_ledger(loaded) -> None:
    for slug in SLUGS:
        files = Evidence.objects.filter(submission__partnership__slug=slug).select_related(
            "submission"
        )
        assert files.count() >= 4, slug
        for evidence in files:
            with evidence.file.open("rb") as handle:
                content = handle.read()
            assert hashlib.sha256(content).hexdigest() == evidence.sha256
            assert content.startswith(b"site,province,")
            if evidence.submission.status == Status.APPROVED:
                entry = Entry.objects.get(index=evidence.submission.ledger_index)
                assert evidence.sha256 in json.loads(bytes(entry.body))["payload"]["evidence"]


def test_progress_is_mixed_in_each_partnership(loaded) -> None:
    for slug in SLUGS:
        progress = set(
            IndicatorStatus.objects.filter(partnership__slug=slug).values_list(
                "progress", flat=True
            )
        )
        assert {"on_track", "at_risk", "off_track", "not_scored"} <= progress, slug


def test_every_status_of_a_value_shows(loaded) -> None:
    for slug in SLUGS:
        statuses = set(
            Submission.objects.filter(partnership__slug=slug).values_list("status", flat=True)
        )
        assert statuses == {"draft", "submitted", "approved", "returned"}, slug
    # Corrected after being returned: approved with the reviewer's comment.
    assert Submission.objects.filter(status=Status.APPROVED).exclude(comment="").count() >= 2


def test_counts_by_category_add_up_to_the_total(loaded) -> None:
    values = SubmissionValue.objects.filter(
        submission__partnership__slug__in=SLUGS, submission__indicator__measure=Measure.UNIT
    ).select_related("submission")
    sums: dict[tuple[int, str], Decimal] = {}
    totals = {}
    for v in values:
        key = (v.submission_id, split_key(v.category)[0])
        sums[key] = sums.get(key, Decimal(0)) + v.value
        totals[v.submission_id] = v.submission.value
    assert sums
    for (submission, _dimension), added in sums.items():
        assert added == totals[submission]


def test_one_partner_of_each_partnership_is_late(loaded) -> None:
    today = timezone.localdate()
    late = {
        (item.partnership.slug, item.organisation.slug)
        for digest in reminders.digests(today, days_ahead=0)
        for item in digest.items
        if item.overdue
    }
    assert ("immunisation-indonesia", "yayasan-sehat-ibu-anak") in late
    assert ("sustainable-textiles-indonesia", "serikat-buruh-garmen") in late


def test_a_second_run_adds_nothing(loaded) -> None:
    before = (Submission.objects.count(), Entry.objects.count(), Result.objects.count())
    demo.seed()
    call_command("demo", "--quiet")
    assert (Submission.objects.count(), Entry.objects.count(), Result.objects.count()) == before


def test_the_late_partners_light_is_red_once_the_quarter_is_overdue(loaded) -> None:
    from sinergi.partners.models import Person
    from sinergi.results import queries

    today = timezone.localdate()
    previous_quarter = demo.quarter_labels(today)[-2]
    period = Partnership.objects.get(slug=demo.IMMUNISATION).reporting_periods.get(
        frequency="quarterly", start=services.parse_period_label("quarterly", previous_quarter)[0]
    )
    # Within 30 days of a quarter's end its values are due, not yet overdue.
    expected = "red" if period.due < today else "yellow"
    admin = Person.objects.get(username="admin")
    for slug, late in (
        (demo.IMMUNISATION, "yayasan-sehat-ibu-anak"),
        (demo.TEXTILES, "serikat-buruh-garmen"),
    ):
        dashboard = queries.dashboard(Partnership.objects.get(slug=slug), admin)
        lights = {p.organisation.slug: p.light for p in dashboard.partners}
        assert lights[late] == expected, slug
        assert "green" in lights.values()
        assert [o for o, light in lights.items() if light == "red"] in ([], [late])
