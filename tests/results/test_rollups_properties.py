"""Roll-up properties (hypothesis, real database): whatever sequence of approvals,
revisions, returns and target changes a small framework goes through, the status rows the
services kept incrementally equal a full `rollups.rebuild`, and the value to date equals
the one worked out from the values in force by the pure rule.

Each example runs in a savepoint rolled back at its end: examples never see each other's
rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinergi.results import rollups, services
from sinergi.results.models import IndicatorStatus, SdgProgress

DB_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


percentages = st.integers(0, 100_0000).map(lambda n: Decimal(n).scaleb(-4))
counts = st.integers(0, 5000).map(Decimal)

operation = st.one_of(
    st.tuples(st.just("approve"), st.sampled_from(["coverage", "trained"]), st.integers(1, 4)),
    st.tuples(st.just("return"), st.sampled_from(["coverage", "trained"]), st.integers(1, 4)),
    st.tuples(st.just("target"), st.sampled_from(["coverage", "trained"]), st.integers(1, 4)),
)


def snapshot(partnership) -> tuple[list, list]:
    statuses = list(
        IndicatorStatus.objects.filter(partnership=partnership)
        .order_by("indicator_id")
        .values_list(
            "indicator_id",
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
    )
    sdgs = list(
        SdgProgress.objects.filter(partnership=partnership)
        .order_by("target")
        .values_list(
            "target",
            "indicators",
            "on_track",
            "at_risk",
            "off_track",
            "no_data",
            "not_scored",
            "scored",
            "percent_sum",
            "indicator_codes",
        )
    )
    return statuses, sdgs


@DB_SETTINGS
@given(operations=st.lists(operation, max_size=8), data=st.data())
def test_rebuild_equals_the_incremental_rollups(monitored, operations, data):
    m = monitored
    with rolled_back():
        in_force: dict[tuple[str, int], Decimal] = {}
        for action, name, quarter in operations:
            indicator = getattr(m, name)
            label = f"2025-Q{quarter}"
            value = data.draw(percentages if name == "coverage" else counts)
            if action == "target":
                services.set_targets(
                    actor=m.coordinator, indicator=indicator, targets={label: value}
                )
                continue
            period = services.find_period(m.partnership, "quarterly", label)
            author = m.health_admin if name == "coverage" else m.ngo_admin
            draft = services.save_draft(
                actor=author, indicator=indicator, period=period, value=value
            )
            services.submit(actor=author, submission=draft)
            if action == "approve":
                services.approve(actor=m.coordinator, submission=draft)
                in_force[(name, quarter)] = value
            else:
                # Returned: the value in force stays what it was.
                services.return_submission(actor=m.coordinator, submission=draft, comment="Fix")

        incremental = snapshot(m.partnership)

        # The value to date is the one the rule gives from the values in force.
        coverage = [v for (n, q), v in sorted(in_force.items()) if n == "coverage"]
        trained = [v for (n, q), v in in_force.items() if n == "trained"]
        status = {row[0]: row for row in incremental[0]}
        assert status[m.coverage.pk][2] == (coverage[-1] if coverage else None)
        assert status[m.trained.pk][2] == (sum(trained, Decimal(0)) if trained else None)
        assert status[m.coverage.pk][9] == len(coverage)
        assert status[m.trained.pk][9] == len(trained)

        IndicatorStatus.objects.filter(partnership=m.partnership).delete()
        SdgProgress.objects.filter(partnership=m.partnership).delete()
        assert rollups.rebuild([m.partnership.pk]) == 2
        assert snapshot(m.partnership) == incremental
        # Rebuilding over existing rows changes nothing either.
        rollups.rebuild()
        assert snapshot(m.partnership) == incremental
