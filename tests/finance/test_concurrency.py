"""Finance writes from many connections at once: totals, pledges and approvals stay exact.

Each thread has its own database connection, as several app servers would. Every
finance write takes the ledger's head lock before it touches the totals, so nothing
races; `sinergi finance check` finds nothing amiss afterwards.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections

from sinergi.core.errors import Conflict
from sinergi.finance import reconcile, services
from sinergi.finance.models import Rollup, Transaction, TransactionStatus
from sinergi.ledger.models import Head
from tests.finance.conftest import build_funded

# Skipped before any database set-up (a skipped transactional test would still flush the
# database, which the browser tests' serialized rollback does not expect): the in-memory
# SQLite test database is one shared-cache database whose table locks are not retried.
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent finance writes are tested on PostgreSQL (DATABASE_URL=postgres://…)",
)

THREADS = 4
PER_THREAD = 6


def run_together(*jobs) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def work(job) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.fixture
def shared(transactional_db):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    return build_funded()


def test_concurrent_recording_keeps_totals_and_ledger_exact(shared):
    f = shared

    def record(worker: int):
        def job() -> None:
            for n in range(PER_THREAD):
                tx = services.record_transaction(
                    actor=f.ngo_admin,
                    partnership=f.partnership,
                    transaction_type="4",
                    amount=str(1000 * (worker + 1) + n),
                    currency="IDR",
                    value_date=date(2026, 3, 1 + n),
                    provider_organisation=f.ngo,
                    receiver_name=f"Supplier {worker}-{n}",
                    budget_line=f.line,
                )
                if n == 0:
                    services.reverse_transaction(actor=f.ngo_admin, transaction=tx, reason="x")

        return job

    errors = run_together(*(record(w) for w in range(THREADS)))
    assert not errors, errors

    counting = Transaction.objects.filter(status__in=["recorded", "approved"])
    exact = sum((t.base_amount for t in counting), Decimal(0))
    totals = Rollup.objects.filter(partnership=f.partnership)
    assert sum((r.amount for r in totals), Decimal(0)) == exact
    assert sum(r.count for r in totals) == THREADS * (PER_THREAD - 1)
    assert reconcile.reconcile() == []


def test_two_approvers_deciding_at_once_approve_once(shared):
    f = shared
    services.set_approval_rule(
        actor=f.coordinator,
        partnership=f.partnership,
        threshold="1000000",
        required=2,
        approver_organisations=[f.funder, f.company, f.ngo],
    )
    tx = services.record_transaction(
        actor=f.ngo_admin,
        partnership=f.partnership,
        transaction_type="4",
        amount="50000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=f.ngo,
        receiver_name="PT Dingin Sejahtera",
    )
    assert tx.status == TransactionStatus.PENDING

    def approve(person):
        return lambda: services.decide(actor=person, transaction=tx, decision="approve")

    errors = run_together(approve(f.funder_admin), approve(f.company_admin))
    assert not errors, errors
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.APPROVED
    assert tx.approvals.count() == 2
    assert Rollup.objects.get(transaction_type="4").amount == Decimal("50000000")
    assert reconcile.reconcile() == []


def test_a_rate_replaced_while_a_transaction_is_recorded_is_never_half_used(shared, monkeypatch):
    """Given a USD transaction being recorded that has just read the rate of its value
    date, when a coordinator replaces that rate at that moment, then either the rate
    change waits and is refused (the transaction used the rate), or the transaction
    converts at the new rate — never a new rate in force and a transaction recorded after
    it at the old one (its base amount on the ledger would be wrong)."""
    f = shared
    day = date(2026, 3, 2)
    services.set_rate(
        actor=f.coordinator, partnership=f.partnership, currency="USD", date=day, rate="15000"
    )
    read = threading.Event()
    original = services.Lookups.rate

    def slow_rate(self, partnership, currency, on):
        found = original(self, partnership, currency, on)
        if threading.current_thread().name == "recorder":
            read.set()
            threading.Event().wait(1.0)  # the replacement arrives now
        return found

    monkeypatch.setattr(services.Lookups, "rate", slow_rate)
    outcome: dict[str, object] = {}

    def record() -> None:
        threading.current_thread().name = "recorder"
        outcome["tx"] = services.record_transaction(
            actor=f.ngo_admin, partnership=f.partnership, transaction_type="4", amount="10.00",
            currency="USD", value_date=day, provider_organisation=f.ngo, receiver_name="Shop",
            budget_line=f.line,
        )  # fmt: skip

    def replace() -> None:
        read.wait(10)
        try:
            services.set_rate(
                actor=f.coordinator, partnership=f.partnership, currency="USD", date=day,
                rate="16000",
            )  # fmt: skip
            outcome["replaced"] = True
        except Conflict:
            outcome["replaced"] = False

    errors = run_together(record, replace)
    assert not errors, errors
    tx = Transaction.objects.get(pk=outcome["tx"].pk)
    if outcome["replaced"]:
        assert (tx.rate, tx.base_amount) == (Decimal("16000"), Decimal("160000"))
    else:
        assert (tx.rate, tx.base_amount) == (Decimal("15000"), Decimal("150000"))
    assert reconcile.reconcile() == []
