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
    BudgetLine,
    Pledge,
    PledgeStatus,
    Rollup,
    Transaction,
    TransactionStatus,
)
from sinergi.ledger.models import Entry


def payload(index: int) -> dict:
    return json.loads(bytes(Entry.objects.get(index=index).body))["payload"]


def incoming_fields(funded) -> dict:
    return {
        "transaction_type": "1",
        "amount": "10000.00",
        "currency": "USD",
        "value_date": date(2026, 3, 15),
        "provider_organisation": funded.funder,
        "receiver_organisation": funded.ngo,
        "budget_line": funded.line,
    }


def incoming(funded, **changes):
    return services.record_transaction(
        actor=funded.ngo_admin, partnership=funded.partnership, **incoming_fields(funded) | changes
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
    assert error.value.message_dict["amount"] == [
        "IDR amounts are whole numbers, with no decimals."
    ]
    with pytest.raises(ValidationError) as error:
        incoming(funded, amount="10.505")
    assert error.value.message_dict["amount"] == [
        "USD amounts have at most 2 digits after the point."
    ]
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


def test_given_a_budget_revision_that_changes_nothing_then_it_is_refused(funded):
    """A revision with the figures the line already has (or with none at all) is a 422 on
    the field given, and writes no revision and no ledger entry."""
    line = funded.line
    entries, revisions = Entry.objects.count(), line.revisions.count()
    for changes, field in (
        ({}, "amount"),
        ({"amount": str(line.amount)}, "amount"),
        ({"title": f"  {line.title} "}, "title"),
        ({"period_end": line.period_end}, "period_end"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.revise_budget_line(
                actor=funded.coordinator, line=line, reason="No change", **changes
            )
        assert list(refused.value.message_dict) == [field]
    assert (Entry.objects.count(), line.revisions.count()) == (entries, revisions)
    assert BudgetLine.objects.get(pk=line.pk).revision == line.revision


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


def usd_pledge(funded, amount="1000", due=date(2026, 6, 30)):
    return services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount=amount,
        currency="USD",
        pledged_on=date(2026, 1, 10),
        period_start=date(2026, 1, 1),
        period_end=due,
    )


def test_given_fulfilled_pledge_when_part_of_its_delivery_is_reversed_then_committed_again(
    funded,
):
    pledge = usd_pledge(funded)
    incoming(funded, pledge=pledge, amount="400")
    funds = incoming(funded, pledge=pledge, amount="600")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    services.reverse_transaction(actor=funded.ngo_admin, transaction=funds, reason="Bounced")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED  # 400 of it still arrived
    assert pledge.delivered == 400 and pledge.delivered_on is None
    assert pledge.status_changes.last().reason == "delivery_reversed"


def test_given_its_only_delivery_is_reversed_then_the_pledge_is_pledged_again(funded):
    """Given a pledge that its one delivery made committed and then fulfilled, when that
    delivery is reversed, then nothing backs it and it is pledged again (one step, on the
    ledger), so the funding gap counts it as not committed."""
    pledge = usd_pledge(funded)
    funds = incoming(funded, pledge=pledge, amount="1000")
    services.reverse_transaction(actor=funded.ngo_admin, transaction=funds, reason="Bounced")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PLEDGED
    assert pledge.delivered == 0 and pledge.delivered_on is None
    last = pledge.status_changes.last()
    assert (last.from_status, last.to_status, last.reason) == (
        "fulfilled",
        "pledged",
        "delivery_reversed",
    )
    assert payload(last.ledger_index)["to"] == "pledged"


def test_given_its_incoming_commitment_is_reversed_then_the_pledge_is_pledged_again(funded):
    pledge = usd_pledge(funded)
    promise = incoming(funded, pledge=pledge, transaction_type="11", amount="1000")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED
    services.reverse_transaction(actor=funded.ngo_admin, transaction=promise, reason="Withdrawn")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PLEDGED
    last = pledge.status_changes.last()
    assert last.reason == "commitment_reversed"
    assert str(last.reason_text) == "The incoming commitment was reversed"


def test_given_a_commitment_still_stands_when_a_delivery_is_reversed_then_still_committed(
    funded,
):
    pledge = usd_pledge(funded)
    incoming(funded, pledge=pledge, transaction_type="11", amount="1000")
    funds = incoming(funded, pledge=pledge, amount="300")
    services.reverse_transaction(actor=funded.ngo_admin, transaction=funds, reason="Bounced")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED


def test_given_a_person_committed_the_pledge_then_a_reversal_leaves_it_committed(funded):
    pledge = usd_pledge(funded)
    services.change_pledge_status(actor=funded.funder_admin, pledge=pledge, status="committed")
    funds = incoming(funded, pledge=pledge, amount="300")
    services.reverse_transaction(actor=funded.ngo_admin, transaction=funds, reason="Bounced")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.COMMITTED


def test_delivered_in_full_is_the_value_date_the_total_was_reached_in_any_recording_order(
    funded,
):
    """Given half of a pledge due on 30 June paid on 1 August and recorded first, and the
    other half paid on 1 March and recorded second, then it was delivered in full on
    1 August (late), not on the date of whichever was recorded last."""
    pledge = usd_pledge(funded, due=date(2026, 6, 30))
    late = incoming(funded, pledge=pledge, amount="500", value_date=date(2026, 8, 1))
    incoming(funded, pledge=pledge, amount="500", value_date=date(2026, 3, 1))
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.FULFILLED
    assert pledge.delivered_on == date(2026, 8, 1)
    # The August payment reversed and paid again on 2 June: in full on 2 June.
    services.reverse_transaction(actor=funded.ngo_admin, transaction=late, reason="Wrong date")
    incoming(funded, pledge=pledge, amount="500", value_date=date(2026, 6, 2))
    pledge.refresh_from_db()
    assert pledge.delivered_on == date(2026, 6, 2)


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


def test_given_a_document_with_a_long_name_then_it_is_kept_under_a_shorter_one(funded):
    """A name over 200 characters is no reason to refuse the file: it is cut, with its
    extension kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    long_name = "Kwitansi " + "sangat panjang " * 20 + "akhir.pdf"
    document = services.attach_document(
        actor=funded.ngo_admin,
        transaction=incoming(funded),
        uploaded_file=SimpleUploadedFile(long_name, b"%PDF-1.4 receipt"),
    )
    assert 190 <= len(document.name) <= 200
    assert document.name.startswith("Kwitansi sangat panjang") and document.name.endswith(".pdf")


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


def disbursement(funded, **changes):
    """The funder's record of passing money to the NGO (type 3, on the funder's books)."""
    return services.record_transaction(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        **incoming_fields(funded)
        | {"transaction_type": "3", "amount": "600.00", "value_date": date(2026, 3, 10)}
        | changes,
    )


def test_the_two_records_of_one_transfer_do_not_deliver_a_pledge_twice(funded):
    """Given the funder's disbursement to the NGO delivers the funder's pledge, when the NGO
    records the same money as incoming funds against that pledge, then it is refused on
    `pledge` (nothing saved) and the pledge counts the money once; without the pledge the
    NGO's record goes in."""
    pledge = usd_pledge(funded)
    sent = disbursement(funded, pledge=pledge)
    before = Transaction.objects.count()
    with pytest.raises(ValidationError) as error:
        incoming(funded, pledge=pledge, amount="600")
    assert "counted once" in error.value.message_dict["pledge"][0]
    assert Transaction.objects.count() == before
    incoming(funded, amount="600")
    pledge.refresh_from_db()
    assert pledge.delivered == Decimal("600.00")
    assert pledge.status == PledgeStatus.COMMITTED
    # Once the disbursement is reversed, the receivers' side may deliver the pledge.
    services.reverse_transaction(actor=funded.funder_admin, transaction=sent, reason="Wrong")
    incoming(funded, pledge=pledge, amount="1000")
    pledge.refresh_from_db()
    assert pledge.delivered == Decimal("1000.00")
    assert pledge.status == PledgeStatus.FULFILLED


def test_a_pledge_delivered_by_incoming_funds_refuses_the_funders_disbursement(funded):
    pledge = usd_pledge(funded)
    incoming(funded, pledge=pledge, amount="400")
    with pytest.raises(ValidationError) as error:
        disbursement(funded, pledge=pledge, amount="400")
    assert "pledge" in error.value.message_dict
    # More incoming funds on the same side are fine.
    incoming(funded, pledge=pledge, amount="600")
    pledge.refresh_from_db()
    assert pledge.delivered == Decimal("1000.00")


def test_a_batch_holding_both_records_of_a_transfer_is_refused_whole(funded):
    pledge = usd_pledge(funded)
    rows = [
        {
            "transaction_type": "3", "amount": "600.00", "currency": "USD",
            "value_date": date(2026, 3, 10), "provider_organisation": funded.funder.pk,
            "receiver_organisation": funded.ngo.pk, "pledge": pledge.pk,
        },
        {
            "transaction_type": "1", "amount": "600.00", "currency": "USD",
            "value_date": date(2026, 3, 12), "provider_organisation": funded.funder.pk,
            "receiver_organisation": funded.ngo.pk, "pledge": pledge.pk,
        },
    ]  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.record_transactions(
            actor=funded.coordinator, partnership=funded.partnership, rows=rows
        )
    assert error.value.message_dict["rows"][0].startswith("Row 2:")
    assert not Transaction.objects.filter(pledge=pledge).exists()


@pytest.mark.parametrize("kind", ["1e400", "money", "CASH"])
def test_given_a_pledge_and_a_kind_that_is_no_kind_then_refused_on_kind(funded, kind):
    """Given a pledge to deliver, the transaction takes the pledge's kind of resource; a
    `kind` that names no kind at all is still refused rather than quietly replaced."""
    pledge = usd_pledge(funded)

    with pytest.raises(ValidationError) as refused:
        incoming(funded, pledge=pledge, kind=kind)

    assert "kind" in refused.value.message_dict
    assert not Transaction.objects.exists()


def test_given_a_pledge_then_a_valid_kind_follows_the_pledge(funded):
    pledge = usd_pledge(funded)

    tx = incoming(funded, pledge=pledge, kind="goods")

    assert tx.kind == pledge.kind == "cash"
