"""Finance services: recording, converting, correcting and approving, with the ledger."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sinergi.core.errors import Conflict
from sinergi.finance import services
from sinergi.finance.models import (
    Pledge,
    PledgeStatus,
    Rollup,
    Transaction,
    TransactionStatus,
)
from sinergi.ledger.models import Entry


def payload(index: int) -> dict:
    return json.loads(bytes(Entry.objects.get(index=index).body))["payload"]


def incoming(funded, **changes):
    fields = {
        "transaction_type": "1",
        "amount": "10000.00",
        "currency": "USD",
        "value_date": date(2026, 3, 15),
        "provider_organisation": funded.funder,
        "receiver_organisation": funded.ngo,
        "budget_line": funded.line,
    }
    fields.update(changes)
    return services.record_transaction(
        actor=funded.ngo_admin, partnership=funded.partnership, **fields
    )


def expenditure(funded, amount="50000000", actor=None, **changes):
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
        actor=actor or funded.ngo_admin, partnership=funded.partnership, **fields
    )


def test_given_usd_funds_when_recorded_then_converted_at_the_dated_rate_and_logged(funded):
    tx = incoming(funded)

    assert tx.base_amount == Decimal("158000000")
    assert tx.rate == Decimal("15800") and tx.rate_date == date(2026, 1, 1)
    entry = payload(tx.ledger_index)
    assert entry["amount"] == "10000.0000" or entry["amount"] == "10000.00"
    assert entry["base_amount"] == "158000000"
    assert entry["currency"] == "USD" and entry["base_currency"] == "IDR"
    rollup = Rollup.objects.get(partnership=funded.partnership, transaction_type="1")
    assert rollup.amount == Decimal("158000000") and rollup.count == 1


def test_given_idr_amount_with_cents_when_recorded_then_refused_by_minor_unit(funded):
    with pytest.raises(ValidationError) as error:
        expenditure(funded, amount="1000.50")
    assert "amount" in error.value.message_dict
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "NaN", "Infinity", 1.5, "1e30"])
def test_given_bad_amount_when_recorded_then_field_error_and_nothing_written(funded, amount):
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as error:
        incoming(funded, amount=amount)
    assert "amount" in error.value.message_dict
    assert Transaction.objects.count() == 0
    assert Entry.objects.count() == before


def test_given_unknown_currency_then_field_error(funded):
    with pytest.raises(ValidationError) as error:
        incoming(funded, currency="XYZ")
    assert "currency" in error.value.message_dict


def test_given_no_rate_before_the_value_date_then_field_error_names_currency(funded):
    with pytest.raises(ValidationError) as error:
        incoming(funded, value_date=date(2025, 12, 31))
    assert "currency" in error.value.message_dict
    assert "2025-12-31" in error.value.message_dict["currency"][0]


def test_given_provider_equal_to_receiver_then_refused(funded):
    with pytest.raises(ValidationError) as error:
        incoming(funded, provider_organisation=funded.ngo)
    assert "receiver_organisation" in error.value.message_dict


def test_given_outside_names_equal_then_refused(funded):
    with pytest.raises(ValidationError):
        expenditure(funded, provider_organisation=None, provider_name="Same", receiver_name="same")


def test_given_partner_admin_when_recording_for_another_partner_then_denied(funded):
    with pytest.raises(PermissionDenied):
        expenditure(funded, actor=funded.funder_admin)
    with pytest.raises(PermissionDenied):
        expenditure(funded, actor=funded.observer)
    with pytest.raises(PermissionDenied):
        expenditure(funded, actor=funded.outsider)
    assert not Transaction.objects.exists()


def test_given_transaction_when_corrected_then_reversal_and_replacement_chain(funded):
    original = incoming(funded)
    reversal, replacement = services.correct_transaction(
        actor=funded.ngo_admin, transaction=original, reason="Typo in amount", amount="12000.00"
    )
    assert reversal.reverses_id == original.pk and reversal.amount == Decimal("-10000.00")
    assert replacement.corrects_id == original.pk
    rollup = Rollup.objects.get(partnership=funded.partnership, transaction_type="1")
    assert rollup.amount == Decimal("12000") * Decimal("15800")
    assert rollup.count == 1  # +1 -1 +1
    assert payload(reversal.ledger_index)["reverses"] == original.pk
    with pytest.raises(Conflict):
        services.reverse_transaction(actor=funded.ngo_admin, transaction=original, reason="again")


def test_given_correction_without_reason_then_field_error(funded):
    original = incoming(funded)
    with pytest.raises(ValidationError) as error:
        services.correct_transaction(
            actor=funded.ngo_admin, transaction=original, reason=" ", amount="1"
        )
    assert "reason" in error.value.message_dict
    assert Transaction.objects.count() == 1


def rule_two_of_three(funded):
    return services.set_approval_rule(
        actor=funded.coordinator,
        partnership=funded.partnership,
        threshold="10000000",
        required=2,
        approver_organisations=[funded.funder, funded.company, funded.ngo],
    )


def test_given_two_of_three_rule_when_two_partners_approve_then_approved_and_counted(funded):
    rule_two_of_three(funded)
    tx = expenditure(funded)
    assert tx.status == TransactionStatus.PENDING
    assert not Rollup.objects.filter(transaction_type="4").exists()

    services.decide(actor=funded.funder_admin, transaction=tx, decision="approve")
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.PENDING
    services.decide(actor=funded.company_admin, transaction=tx, decision="approve", reason="ok")
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.APPROVED
    assert Rollup.objects.get(transaction_type="4").amount == Decimal("50000000")
    with pytest.raises(Conflict):
        services.reverse_transaction(actor=funded.ngo_admin, transaction=tx, reason="locked?")


def test_given_author_when_deciding_own_expenditure_then_denied(funded):
    rule_two_of_three(funded)
    tx = expenditure(funded)
    with pytest.raises(PermissionDenied):
        services.decide(actor=funded.ngo_admin, transaction=tx, decision="approve")


def test_given_same_partner_twice_then_second_approval_refused(funded):
    rule_two_of_three(funded)
    tx = expenditure(funded, actor=funded.coordinator)
    services.decide(actor=funded.ngo_admin, transaction=tx, decision="approve")
    with pytest.raises(Conflict):
        services.decide(actor=funded.ngo_admin_2, transaction=tx, decision="approve")


def test_given_rejection_without_reason_then_field_error_and_with_reason_rejected(funded):
    rule_two_of_three(funded)
    tx = expenditure(funded)
    with pytest.raises(ValidationError):
        services.decide(actor=funded.funder_admin, transaction=tx, decision="reject")
    approval = services.decide(
        actor=funded.funder_admin, transaction=tx, decision="reject", reason="No quote attached"
    )
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.REJECTED
    assert payload(approval.ledger_index)["reason"] == "No quote attached"
    assert not Rollup.objects.filter(transaction_type="4").exists()


def test_given_coordinators_rule_when_non_coordinator_decides_then_denied(funded):
    services.set_approval_rule(
        actor=funded.coordinator, partnership=funded.partnership, threshold="0", required=1
    )
    tx = expenditure(funded)
    with pytest.raises(PermissionDenied):
        services.decide(actor=funded.funder_admin, transaction=tx, decision="approve")
    services.decide(actor=funded.coordinator, transaction=tx, decision="approve")
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.APPROVED


def test_given_small_expenditure_then_no_approval_needed(funded):
    rule_two_of_three(funded)
    tx = expenditure(funded, amount="5000000")
    assert tx.status == TransactionStatus.RECORDED


def test_given_pledge_when_funds_arrive_in_full_then_fulfilled_on_the_value_date(funded):
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="20000",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    assert pledge.base_amount == Decimal("316000000")
    incoming(funded, pledge=pledge, amount="10000")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED
    assert pledge.delivered_on is None
    incoming(funded, pledge=pledge, amount="10000", value_date=date(2026, 5, 1))
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    assert pledge.delivered_on == date(2026, 5, 1)
    changes = list(pledge.status_changes.all())
    assert [c.to_status for c in changes] == ["committed", "fulfilled"]
    # Automatic reasons are stored as codes (language-neutral on the ledger), shown as text.
    assert [c.reason for c in changes] == ["delivery_started", "delivered_in_full"]
    assert payload(changes[1].ledger_index)["reason"] == "delivered_in_full"
    assert str(changes[1].reason_text) == "Delivered in full"


def test_given_in_kind_pledge_then_value_is_quantity_times_rate(funded):
    pledge = services.record_pledge(
        actor=funded.coordinator,
        partnership=funded.partnership,
        organisation=funded.company,
        kind="personnel",
        quantity="120",
        unit="person-days",
        unit_rate="1500000",
        currency="IDR",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    assert pledge.amount == Decimal("180000000")
    assert payload(pledge.ledger_index)["unit"] == "person-days"
    with pytest.raises(ValidationError) as error:
        services.record_pledge(
            actor=funded.coordinator,
            partnership=funded.partnership,
            organisation=funded.company,
            kind="personnel",
            amount="5",
            quantity="120",
            unit="person-days",
            unit_rate="1500000",
            currency="IDR",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        )
    assert "amount" in error.value.message_dict
    assert Pledge.objects.count() == 1


def test_given_cancelled_pledge_then_it_cannot_come_back(funded):
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="1000000",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    with pytest.raises(ValidationError):
        services.change_pledge_status(actor=funded.funder_admin, pledge=pledge, status="cancelled")
    services.change_pledge_status(
        actor=funded.funder_admin, pledge=pledge, status="cancelled", reason="Budget cut"
    )
    with pytest.raises(Conflict):
        services.change_pledge_status(actor=funded.funder_admin, pledge=pledge, status="committed")


def test_given_budget_revision_then_history_kept_and_logged(funded):
    line = services.revise_budget_line(
        actor=funded.coordinator, line=funded.line, amount="1200000000", reason="Second province"
    )
    assert line.revision == 2
    assert [r.amount for r in line.revisions.all()] == [
        Decimal("1000000000"),
        Decimal("1200000000"),
    ]
    assert payload(line.revisions.last().ledger_index)["reason"] == "Second province"
    with pytest.raises(PermissionDenied):
        services.revise_budget_line(actor=funded.ngo_admin, line=line, amount="1", reason="x")


def test_given_rates_csv_with_bad_row_then_nothing_written_and_row_named(funded):
    data = "currency,date,rate\nEUR,2026-01-01,17100\nEUR,2026-02-30,17000\nXYZ,2026-01-01,1\n"
    with pytest.raises(ValidationError) as error:
        services.import_rates_csv(
            actor=funded.coordinator, partnership=funded.partnership, data=data
        )
    messages = error.value.message_dict["file"]
    assert messages[0].startswith("Row 3") and messages[1].startswith("Row 4")
    assert not funded.partnership.exchange_rates.filter(currency="EUR").exists()


def test_given_rate_used_then_it_cannot_change(funded):
    incoming(funded)
    with pytest.raises(Conflict):
        services.set_rate(
            actor=funded.coordinator,
            partnership=funded.partnership,
            currency="USD",
            date=date(2026, 1, 1),
            rate="16000",
        )


def test_given_bulk_rows_with_bad_row_in_the_middle_then_nothing_written(funded):
    rows = [
        {
            "transaction_type": "4",
            "amount": "1000",
            "currency": "IDR",
            "value_date": "2026-02-01",
            "provider_organisation": funded.ngo.pk,
            "receiver_name": f"Supplier {n}",
        }
        for n in range(5)
    ]
    rows[2]["amount"] = "-3"
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as error:
        services.record_transactions(
            actor=funded.ngo_admin, partnership=funded.partnership, rows=rows
        )
    assert error.value.message_dict["rows"][0].startswith("Row 3")
    assert not Transaction.objects.exists() and Entry.objects.count() == before

    rows[2]["amount"] = "3"
    saved = services.record_transactions(
        actor=funded.ngo_admin, partnership=funded.partnership, rows=rows
    )
    assert [payload(t.ledger_index)["transaction"] for t in saved] == [t.pk for t in saved]
    assert Rollup.objects.get(transaction_type="4").amount == Decimal("4003")


def test_given_usd_pledge_paid_in_full_in_usd_when_rupiah_strengthened_then_fulfilled(funded):
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="10000",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    services.set_rate(
        actor=funded.coordinator,
        partnership=funded.partnership,
        currency="USD",
        date=date(2026, 3, 1),
        rate="15000",
    )
    incoming(funded, pledge=pledge, amount="10000")
    pledge.refresh_from_db()
    assert pledge.delivered == Decimal("10000")
    assert pledge.delivered_base == Decimal("150000000") < pledge.base_amount
    assert pledge.status == PledgeStatus.FULFILLED


def test_given_huge_in_kind_valuation_then_field_error_not_a_crash(funded):
    with pytest.raises(ValidationError) as error:
        services.record_pledge(
            actor=funded.coordinator,
            partnership=funded.partnership,
            organisation=funded.company,
            kind="goods",
            quantity="100000000",
            unit="boxes",
            unit_rate="100000000000000",
            currency="IDR",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        )
    assert "amount" in error.value.message_dict


def test_given_correction_that_changes_nothing_then_field_error(funded):
    original = incoming(funded)
    with pytest.raises(ValidationError) as error:
        services.correct_transaction(
            actor=funded.ngo_admin, transaction=original, reason="Same", amount="10000.00"
        )
    assert error.value.message_dict["amount"] == ["Nothing was changed."]
    assert Transaction.objects.count() == 1


def test_given_bad_threshold_then_the_error_names_the_threshold(funded):
    with pytest.raises(ValidationError) as error:
        services.set_approval_rule(
            actor=funded.coordinator, partnership=funded.partnership, threshold="-1"
        )
    assert "threshold" in error.value.message_dict


def test_given_outsider_deciding_with_garbage_then_denied_before_validation(funded):
    tx = expenditure(funded)
    with pytest.raises(PermissionDenied):
        services.decide(actor=funded.outsider, transaction=tx, decision="maybe")


def test_given_amount_converting_beyond_what_is_kept_exactly_then_field_error(funded):
    with pytest.raises(ValidationError) as error:
        incoming(funded, amount="9000000000000.00")  # x 15,800 IDR: 19 digits
    assert "amount" in error.value.message_dict
    assert not Transaction.objects.exists()


def test_given_fulfilled_pledge_when_its_delivery_is_reversed_then_committed_again(funded):
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="1000",
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
    )
    funds = incoming(funded, pledge=pledge, amount="1000")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    services.reverse_transaction(actor=funded.ngo_admin, transaction=funds, reason="Bounced")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED
    assert pledge.delivered == 0 and pledge.delivered_on is None
    assert pledge.status_changes.last().reason == "delivery_reversed"


def test_given_attached_document_then_its_name_stays_off_the_public_ledger(funded):
    from django.core.files.uploadedfile import SimpleUploadedFile

    tx = incoming(funded)
    document = services.attach_document(
        actor=funded.ngo_admin,
        transaction=tx,
        uploaded_file=SimpleUploadedFile("Invoice Budi Santoso.pdf", b"%PDF-1.4 receipt"),
    )
    entry = payload(document.ledger_index)
    assert entry["sha256"] == document.sha256 and "name" not in entry


def test_given_finance_recorded_then_the_base_currency_cannot_change(funded):
    from sinergi.partnerships.services import update_partnership

    with pytest.raises(ValidationError) as error:
        update_partnership(
            actor=funded.coordinator, partnership=funded.partnership, base_currency="USD"
        )
    assert "base_currency" in error.value.message_dict
    funded.partnership.refresh_from_db()
    assert funded.partnership.base_currency == "IDR"


def test_given_a_counterparty_in_recorded_finance_then_it_cannot_be_deleted(funded):
    from sinergi.core.errors import Conflict as Refused
    from sinergi.partners.services import delete_organisation
    from tests.factories import OrganisationFactory, PersonFactory

    outsider = OrganisationFactory(name="PT Pemasok Luar")
    incoming(funded, provider_organisation=outsider)
    with pytest.raises(Refused):
        delete_organisation(actor=PersonFactory(is_staff=True), organisation=outsider)
