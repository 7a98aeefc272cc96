"""`sinergi finance check`: finance rows, ledger entries and totals reconcile, and any
tampering with a finance row (plain SQL, behind the services' back) is named."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from sinergi.finance import services
from sinergi.finance.models import (
    Approval,
    ApprovalRule,
    BudgetRevision,
    ExchangeRate,
    Pledge,
    PledgeStatusChange,
    Rollup,
    Transaction,
    TransactionDocument,
)
from sinergi.finance.reconcile import check, reconcile
from sinergi.ledger.log import append
from tests.finance.conftest import Funded, build_funded


@dataclass
class Books:
    funded: Funded
    pledge: Pledge
    delivery: Transaction
    approved: Transaction
    rejected: Transaction
    small: Transaction
    reversal: Transaction
    replacement: Transaction
    document: TransactionDocument


def expenditure(funded: Funded, amount: str, **changes) -> Transaction:
    fields = {
        "transaction_type": "4",
        "amount": amount,
        "currency": "IDR",
        "value_date": date(2026, 4, 2),
        "provider_organisation": funded.ngo,
        "receiver_name": "PT Dingin Sejahtera",
        "budget_line": funded.line,
    }
    fields.update(changes)
    return services.record_transaction(
        actor=funded.ngo_admin, partnership=funded.partnership, **fields
    )


def build_books(funded: Funded) -> Books:
    """A year's worth of every kind of finance write, each through the services."""
    coordinator, partnership = funded.coordinator, funded.partnership
    # A rate set twice for the same day (before any use): the first entry is history.
    services.set_rate(
        actor=coordinator, partnership=partnership, currency="EUR", date="2026-01-01", rate="17000"
    )
    services.set_rate(
        actor=coordinator, partnership=partnership, currency="EUR", date="2026-01-01", rate="17100"
    )
    # The rule set twice: the first entry is history.
    services.set_approval_rule(
        actor=coordinator, partnership=partnership, threshold="5000000", required=1
    )
    services.set_approval_rule(
        actor=coordinator, partnership=partnership, threshold="10000000", required=1
    )
    services.revise_budget_line(
        actor=coordinator, line=funded.line, amount="1200000000", reason="Second province"
    )
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=partnership,
        organisation=funded.funder,
        amount="20000",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    delivery = services.record_transaction(
        actor=funded.ngo_admin,
        partnership=partnership,
        transaction_type="1",
        amount="12500.50",
        currency="USD",
        value_date=date(2026, 3, 15),
        provider_organisation=funded.funder,
        receiver_organisation=funded.ngo,
        budget_line=funded.line,
        pledge=pledge,
    )
    approved = expenditure(funded, "50000000")
    services.decide(actor=coordinator, transaction=approved, decision="approve", reason="ok")
    rejected = expenditure(funded, "70000000")
    services.decide(
        actor=coordinator, transaction=rejected, decision="reject", reason="No quote attached"
    )
    small = expenditure(funded, "2500000", value_date=date(2026, 5, 3))
    reversal, replacement = services.correct_transaction(
        actor=funded.ngo_admin, transaction=small, reason="Typo", amount="2400000"
    )
    document = services.attach_document(
        actor=funded.ngo_admin,
        transaction=approved,
        uploaded_file=SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", "application/pdf"),
    )
    return Books(
        funded, pledge, delivery, approved, rejected, small, reversal, replacement, document
    )


@pytest.fixture
def books(funded) -> Books:
    return build_books(funded)


def run_check(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("finance", "check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_check(*args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("finance", "check", *args, stdout=io.StringIO(), stderr=err)
    assert "mismatch" in str(error.value)
    return err.getvalue()


def tamper(model, statement: str, params: list) -> None:
    """Change a finance table with plain SQL, behind the services' back."""
    name = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", name), params)


# ---------------------------------------------------------------- clean data


def test_given_books_written_by_the_services_then_the_check_passes_with_counts(books):
    out, err = run_check()

    assert err == ""
    assert out.startswith("OK: ")
    assert "6 transactions" in out  # delivery, approved, rejected, small, reversal, replacement
    assert "2 approvals" in out and "1 documents" in out and "2 exchange rates" in out
    assert "2 budget revisions" in out and "1 approval rules" in out


def test_given_one_partnership_then_only_its_rows_and_entries_are_checked(books):
    other = build_funded()
    build_books(other)
    out, _err = run_check("--partnership", books.funded.partnership.slug)
    assert "6 transactions" in out
    assert check().counts["transactions"] == 12


def test_given_an_unknown_slug_then_the_command_fails_plainly(db):
    with pytest.raises(CommandError, match="no partnership"):
        run_check("--partnership", "nope")


def test_given_no_finance_at_all_then_ok(db):
    out, _err = run_check()
    assert out.startswith("OK")


def test_given_bulk_recorded_transactions_then_they_reconcile(funded):
    services.record_transactions(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        rows=[
            {
                "transaction_type": "3",
                "amount": str(100 + n),
                "currency": "USD",
                "value_date": date(2026, 2, 1 + n),
                "provider_organisation": funded.ngo,
                "receiver_name": f"Clinic {n}",
            }
            for n in range(5)
        ],
    )
    assert reconcile() == []


def test_given_a_renamed_partner_then_still_reconciled(books):
    """Organisation names are not the ledger's to keep: the id is compared."""
    books.funded.funder.name = "Yayasan Dana Sehat Indonesia"
    books.funded.funder.save()
    assert reconcile() == []


def test_given_a_small_chunk_size_then_the_same_result(books):
    assert reconcile(chunk_size=1) == []
    tamper(Transaction, "UPDATE {table} SET amount = %s WHERE id = %s", [1, books.approved.pk])
    assert [m.what for m in reconcile(chunk_size=1)] == [f"transaction {books.approved.pk}"]


# ---------------------------------------------------------------- tampered rows


def test_given_an_amount_changed_in_sql_then_the_check_names_the_transaction(books):
    tx = books.delivery
    tamper(Transaction, "UPDATE {table} SET amount = %s WHERE id = %s", ["13000.50", tx.pk])

    err = failing_check()

    assert f"transaction {tx.pk}: differs from ledger entry #{tx.ledger_index}" in err
    assert "amount is '13000.5000' here but '12500.50' on the ledger" in err


def test_given_a_base_amount_changed_then_the_transaction_and_its_totals_are_named(books):
    tx = books.small
    tamper(Transaction, "UPDATE {table} SET base_amount = 1 WHERE id = %s", [tx.pk])

    err = failing_check()

    assert f"transaction {tx.pk}: differs" in err and "base_amount" in err
    assert "total of partnership" in err and "2026-05 type 4" in err


def test_given_a_deleted_transaction_row_then_its_entry_has_no_row(books):
    tx = books.rejected
    tamper(Approval, "DELETE FROM {table} WHERE transaction_id = %s", [tx.pk])
    tamper(Transaction, "DELETE FROM {table} WHERE id = %s", [tx.pk])

    err = failing_check()

    assert f"#{tx.ledger_index}: finance.transaction.recorded has no finance row" in err
    assert "finance.expenditure.rejected has no finance row" in err


def test_given_a_row_added_without_an_entry_then_named(books):
    tx = books.delivery
    tx.pk = None
    tx.ledger_index = None
    tx.reverses = None
    tx.status = "pending"
    tx.save()

    err = failing_check()

    assert f"transaction {tx.pk}: has no ledger entry" in err


def test_given_a_row_pointing_at_another_rows_entry_then_named(books):
    tamper(
        Transaction,
        "UPDATE {table} SET ledger_index = %s WHERE id = %s",
        [books.approved.ledger_index, books.small.pk],
    )

    err = failing_check()

    assert f"transaction {books.small.pk}: points at ledger entry" in err
    assert f"ledger entry #{books.small.ledger_index}: finance.transaction.recorded has no" in err


def test_given_a_row_pointing_at_an_entry_of_another_kind_then_named(books):
    tamper(
        Pledge,
        "UPDATE {table} SET ledger_index = %s WHERE id = %s",
        [books.delivery.ledger_index, books.pledge.pk],
    )
    err = failing_check()
    assert f"pledge {books.pledge.pk}: ledger entry #{books.delivery.ledger_index} is a " in err


def test_given_an_entry_of_another_partnership_then_named(books):
    other = build_funded()
    foreign = services.record_transaction(
        actor=other.ngo_admin,
        partnership=other.partnership,
        transaction_type="3",
        amount="100",
        currency="USD",
        value_date=date(2026, 2, 1),
        provider_organisation=other.ngo,
        receiver_name="Clinic",
    )
    tamper(
        Transaction,
        "UPDATE {table} SET partnership_id = %s WHERE id = %s",
        [books.funded.partnership.pk, foreign.pk],
    )
    err = failing_check()
    assert f"transaction {foreign.pk}: ledger entry #{foreign.ledger_index} belongs to" in err


def test_given_a_changed_rollup_then_the_total_is_named(books):
    tamper(Rollup, "UPDATE {table} SET amount = amount + 1 WHERE transaction_type = %s", ["1"])

    err = failing_check()

    assert f"total of partnership {books.funded.partnership.pk} for 2026-03 type 1 cash" in err
    assert "but the transactions add up to 197507900" in err


def test_given_a_deleted_rollup_then_the_total_is_named(books):
    tamper(Rollup, "DELETE FROM {table} WHERE transaction_type = %s", ["4"])
    err = failing_check()
    assert "type 4 cash" in err and "is 0 (0 transactions)" in err


def test_given_a_changed_delivered_base_then_the_pledge_is_named(books):
    tamper(Pledge, "UPDATE {table} SET delivered_base = 0 WHERE id = %s", [books.pledge.pk])

    err = failing_check()

    assert f"pledge {books.pledge.pk}: delivered_base is 0" in err
    assert "deliver 197507900" in err


def test_given_a_pledge_status_changed_in_sql_then_named(books):
    tamper(Pledge, "UPDATE {table} SET status = 'fulfilled' WHERE id = %s", [books.pledge.pk])
    err = failing_check()
    assert f"pledge {books.pledge.pk}: is fulfilled but its status changes end at committed" in err


def test_given_a_status_change_altered_then_named(books):
    change = PledgeStatusChange.objects.get(pledge=books.pledge)
    tamper(PledgeStatusChange, "UPDATE {table} SET reason = 'x' WHERE id = %s", [change.pk])
    err = failing_check()
    assert f"pledge status change {change.pk} (pledge {books.pledge.pk}): differs" in err


def test_given_an_approved_status_forged_then_named(books):
    tamper(Transaction, "UPDATE {table} SET status = 'approved' WHERE id = %s", [books.rejected.pk])

    err = failing_check()

    assert f"transaction {books.rejected.pk}: is approved but its last decision is to reject" in err


def test_given_a_pending_expenditure_marked_recorded_then_named(books):
    pending = expenditure(books.funded, "80000000")
    tamper(Transaction, "UPDATE {table} SET status = 'recorded' WHERE id = %s", [pending.pk])
    err = failing_check()
    assert f"transaction {pending.pk}: differs" in err and "needs_approval" in err


def test_given_an_approver_swapped_then_the_approval_is_named(books):
    approval = Approval.objects.get(transaction=books.approved)
    tamper(
        Approval,
        "UPDATE {table} SET person_id = %s WHERE id = %s",
        [books.funded.funder_admin.pk, approval.pk],
    )
    err = failing_check()
    assert f"approval {approval.pk} (transaction {books.approved.pk}): was done by" in err


def test_given_a_forged_author_then_named(books):
    """The author can never approve their own expenditure: the author is on the ledger."""
    tamper(
        Transaction,
        "UPDATE {table} SET recorded_by_id = %s WHERE id = %s",
        [books.funded.coordinator.pk, books.approved.pk],
    )
    err = failing_check()
    assert f"transaction {books.approved.pk}: was done by" in err


def test_given_a_reversal_status_changed_then_named(books):
    tamper(Transaction, "UPDATE {table} SET status = 'rejected' WHERE id = %s", [books.reversal.pk])
    err = failing_check()
    assert f"transaction {books.reversal.pk}: is rejected but reverses" in err


def test_given_a_rate_changed_then_the_rate_is_named(books):
    rate = ExchangeRate.objects.get(currency="USD")
    tamper(ExchangeRate, "UPDATE {table} SET rate = 16000 WHERE id = %s", [rate.pk])
    err = failing_check()
    assert f"exchange rate {rate.pk} (USD 2026-01-01): differs" in err and "rate is" in err


def test_given_a_rate_pointing_at_its_older_entry_then_named(books):
    rate = ExchangeRate.objects.get(currency="EUR")
    tamper(
        ExchangeRate,
        "UPDATE {table} SET ledger_index = %s WHERE id = %s",
        [rate.ledger_index - 1, rate.pk],
    )
    err = failing_check()
    assert f"exchange rate {rate.pk} (EUR 2026-01-01): differs" in err
    assert f"ledger entry #{rate.ledger_index}: the EUR rate of 2026-01-01 does not point" in err


def test_given_a_rule_changed_then_named(books):
    rule = ApprovalRule.objects.get()
    tamper(ApprovalRule, "UPDATE {table} SET threshold = 999999999 WHERE id = %s", [rule.pk])
    err = failing_check()
    assert f"approval rule {rule.pk}: differs" in err and "threshold" in err


def test_given_a_budget_revision_altered_then_named(books):
    revision = BudgetRevision.objects.get(number=2)
    tamper(BudgetRevision, "UPDATE {table} SET amount = 5 WHERE id = %s", [revision.pk])
    err = failing_check()
    assert f"budget revision {revision.pk} (line {books.funded.line.pk} r2)" in err


def test_given_a_document_hash_altered_then_named(books):
    tamper(
        TransactionDocument,
        "UPDATE {table} SET sha256 = %s WHERE id = %s",
        ["0" * 64, books.document.pk],
    )
    err = failing_check()
    assert f"document {books.document.pk} (transaction {books.approved.pk}): differs" in err
    assert "sha256" in err


def test_given_a_finance_entry_without_a_row_then_named(books):
    from django.db import transaction

    with transaction.atomic():
        entry = append("finance.transaction.recorded", {"transaction": 0}, books.funded.partnership)
    err = failing_check()
    assert f"ledger entry #{entry.index}: finance.transaction.recorded has no finance row" in err


def test_given_many_mismatches_then_the_first_fifty_are_shown(books):
    tamper(Transaction, "UPDATE {table} SET ledger_index = NULL", [])
    tamper(Pledge, "UPDATE {table} SET ledger_index = NULL", [])
    report = check()
    assert len(report.mismatches) >= 12
    err = failing_check()
    assert err.count("MISMATCH:") == min(50, len(report.mismatches))


def test_given_a_mismatch_then_the_check_for_another_partnership_still_passes(books):
    other = build_funded()
    tamper(Transaction, "UPDATE {table} SET amount = 1 WHERE id = %s", [books.approved.pk])
    out, _err = run_check("--partnership", other.partnership.slug)
    assert out.startswith("OK")
    assert Decimal(1) == Transaction.objects.get(pk=books.approved.pk).amount
