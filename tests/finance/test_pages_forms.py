"""Finance forms on the pages: each service reachable by the people the policy allows,
its refusals shown on the fields (422), and nothing written when it refuses."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from sinergi.finance import services
from sinergi.finance.models import (
    ApprovalRule,
    BudgetLine,
    ExchangeRate,
    Pledge,
    Transaction,
    TransactionDocument,
)
from sinergi.ledger.models import Entry
from tests.conftest import client_for
from tests.finance.conftest import usd_pledge
from tests.finance.test_pages_read import url

pytestmark = pytest.mark.django_db


def field_error(html: str, field: str) -> str:
    """The text of the field group for `field` when it has an error."""
    marker = f'id="id_{field}_error"'
    assert marker in html, f"no error on {field}"
    return html.split(marker)[1].split("</ul>")[0]


def pledge_data(funded, **changes):
    data = {
        "organisation": str(funded.funder.pk),
        "kind": "cash",
        "amount": "25000",
        "currency": "USD",
        "pledged_on": "2026-02-01",
        "period_start": "2026-02-01",
        "period_end": "2026-09-30",
        "budget_line": str(funded.line.pk),
        "description": "Second tranche",
    }
    data.update(changes)
    return data


def tx_data(funded, **changes):
    data = {
        "transaction_type": "1",
        "kind": "cash",
        "amount": "10000",
        "currency": "USD",
        "value_date": "2026-03-15",
        "provider_organisation": str(funded.funder.pk),
        "receiver_organisation": str(funded.ngo.pk),
        "budget_line": str(funded.line.pk),
        "description": "First tranche",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- pledges


def test_a_partner_admin_records_a_pledge_for_their_own_organisation_only(funded):
    client = client_for(funded.funder_admin)
    page = client.get(url(funded, "finance-pledge-new")).text
    assert f'value="{funded.funder.pk}"' in page and f'value="{funded.ngo.pk}"' not in page
    before = Entry.objects.count()
    response = client.post(url(funded, "finance-pledge-new"), pledge_data(funded))
    assert response.status_code == 302
    pledge = Pledge.objects.get()
    assert pledge.base_amount == 395_000_000 and pledge.budget_line == funded.line
    assert Entry.objects.count() == before + 1
    listing = client.get(url(funded, "finance-pledges")).text
    assert f'id="pledge-{pledge.pk}"' in listing and "Change the status" in listing
    # Another partner's books are not on offer.
    response = client.post(
        url(funded, "finance-pledge-new"), pledge_data(funded, organisation=str(funded.ngo.pk))
    )
    assert response.status_code == 422 and Pledge.objects.count() == 1


def test_a_bad_pledge_shows_field_errors_and_saves_nothing(funded):
    client = client_for(funded.funder_admin)
    before = Entry.objects.count()
    response = client.post(url(funded, "finance-pledge-new"), pledge_data(funded, amount="-5"))
    assert response.status_code == 422
    assert "more than zero" in field_error(response.text, "amount")
    response = client.post(url(funded, "finance-pledge-new"), pledge_data(funded, currency="EUR"))
    assert response.status_code == 422
    assert "no EUR rate" in field_error(response.text, "currency")
    response = client.post(
        url(funded, "finance-pledge-new"), pledge_data(funded, period_end="2026-01-01")
    )
    assert "ends before it starts" in field_error(response.text, "period_end")
    assert Pledge.objects.count() == 0 and Entry.objects.count() == before


def test_an_in_kind_pledge_is_valued_from_its_quantity_and_rate(funded):
    client = client_for(funded.ngo_admin)
    response = client.post(
        url(funded, "finance-pledge-new"),
        pledge_data(
            funded,
            organisation=str(funded.ngo.pk),
            kind="personnel",
            amount="",
            currency="IDR",
            quantity="120",
            unit="person-days",
            unit_rate="1500000",
        ),
    )
    assert response.status_code == 302
    assert Pledge.objects.get().amount == 180_000_000


def test_a_pledge_moves_on_through_the_status_form_and_cancelling_needs_a_reason(funded):
    pledge = services.record_pledge(
        actor=funded.funder_admin,
        partnership=funded.partnership,
        organisation=funded.funder,
        amount="1000",
        currency="USD",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    client = client_for(funded.funder_admin)
    prefix = f"pledge-{pledge.pk}"
    address = url(funded, "finance-pledge-status", pk=pledge.pk)
    response = client.post(address, {f"{prefix}-status": "cancelled", f"{prefix}-reason": ""})
    assert response.status_code == 422
    assert "Give a reason" in response.text
    pledge.refresh_from_db()
    assert pledge.status == "pledged"
    response = client.post(address, {f"{prefix}-status": "committed"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == "committed"
    html = client.get(url(funded, "finance-pledges")).text
    assert "Status history" in html and "Committed" in html
    # Not a partner admin of the funder: no form, and a post is refused.
    other = client_for(funded.company_admin)
    assert "Change the status" not in other.get(url(funded, "finance-pledges")).text
    assert other.post(address, {f"{prefix}-status": "fulfilled"}).status_code == 403


# ---------------------------------------------------------------- transactions


def test_a_transaction_is_recorded_with_its_evidence_document(funded):
    client = client_for(funded.ngo_admin)
    upload = SimpleUploadedFile("slip.pdf", b"%PDF-1.4 bank slip", "application/pdf")
    response = client.post(
        url(funded, "finance-transaction-new"), {**tx_data(funded), "document": upload}
    )
    assert response.status_code == 302
    tx = Transaction.objects.get()
    assert tx.base_amount == 158_000_000
    document = TransactionDocument.objects.get()
    assert document.transaction == tx and len(document.sha256) == 64
    html = client.get(response["Location"]).text
    assert document.sha256 in html and "slip.pdf" in html


def test_when_the_document_fails_the_transaction_is_not_recorded_either(funded, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"file": ["The scanner ate it."]})

    monkeypatch.setattr(services, "attach_document", refuse)
    before = Entry.objects.count()
    upload = SimpleUploadedFile("slip.pdf", b"%PDF-1.4", "application/pdf")
    response = client_for(funded.ngo_admin).post(
        url(funded, "finance-transaction-new"), {**tx_data(funded), "document": upload}
    )
    assert response.status_code == 422
    assert "The scanner ate it." in field_error(response.text, "document")
    assert Transaction.objects.count() == 0 and Entry.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "12.3456"}, "amount", "at most 2 digits"),
        ({"amount": "12.345"}, "amount", "can be read two ways"),
        ({"currency": "XYZ"}, "currency", ""),
        ({"value_date": "2025-06-01"}, "currency", "no USD rate"),
        ({"receiver_organisation": "", "receiver_name": ""}, "receiver_organisation", "receiver"),
        (
            {"provider_organisation": "", "provider_name": "Lembaga Vaksin Nusantara X"},
            "",
            "",
        ),
    ],
)
def test_bad_transactions_show_field_errors_and_save_nothing(funded, changes, field, message):
    before = Entry.objects.count()
    response = client_for(funded.ngo_admin).post(
        url(funded, "finance-transaction-new"), tx_data(funded, **changes)
    )
    if not field:  # an outside provider is fine for incoming funds
        assert response.status_code == 302
        return
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert Transaction.objects.count() == 0 and Entry.objects.count() == before


def test_provider_equal_to_receiver_is_refused_on_the_receiver(funded):
    response = client_for(funded.ngo_admin).post(
        url(funded, "finance-transaction-new"),
        tx_data(funded, transaction_type="4", provider_organisation=str(funded.ngo.pk)),
    )
    assert response.status_code == 422
    assert "must be different" in field_error(response.text, "receiver_organisation")


def test_a_partner_admin_recording_on_another_partners_books_gets_a_message_not_a_403(funded):
    response = client_for(funded.company_admin).post(
        url(funded, "finance-transaction-new"), tx_data(funded)
    )
    assert response.status_code == 422
    assert "only your own organisation" in response.text
    assert Transaction.objects.count() == 0


def record_incoming(funded) -> Transaction:
    return services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="1",
        amount="10000",
        currency="USD",
        value_date=date(2026, 3, 15),
        provider_organisation=funded.funder,
        receiver_organisation=funded.ngo,
    )


def test_correcting_a_transaction_records_a_reversal_and_a_replacement(funded):
    tx = record_incoming(funded)
    client = client_for(funded.ngo_admin)
    address = url(funded, "finance-transaction-correct", pk=tx.pk)
    form = client.get(address).text
    assert 'value="10000"' in form
    unchanged = {**tx_data(funded, budget_line="", description=""), "reason": "Typo"}
    response = client.post(address, unchanged)
    assert response.status_code == 422
    assert "Nothing was changed." in response.text
    response = client.post(address, {**unchanged, "amount": "12000"})
    assert response.status_code == 302
    replacement = Transaction.objects.get(corrects=tx)
    assert replacement.amount == 12000 and Transaction.objects.get(reverses=tx).amount == -10000
    # Once reversed, it can no longer be corrected or reversed.
    html = client.get(url(funded, "finance-transaction", pk=tx.pk)).text
    assert "Correct this transaction" not in html
    response = client.post(
        url(funded, "finance-transaction-reverse", pk=tx.pk), {"reverse-reason": "again"}
    )
    assert response.status_code == 422
    assert "already been reversed" in response.text
    assert Transaction.objects.count() == 3


def test_reversing_needs_a_reason(funded):
    tx = record_incoming(funded)
    client = client_for(funded.ngo_admin)
    address = url(funded, "finance-transaction-reverse", pk=tx.pk)
    response = client.post(address, {"reverse-reason": ""})
    assert response.status_code == 422 and Transaction.objects.count() == 1
    response = client.post(address, {"reverse-reason": "Bank returned it"})
    assert response.status_code == 302
    assert Transaction.objects.get(reverses=tx).reason == "Bank returned it"


# ---------------------------------------------------------------- approvals


def pending_expenditure(funded) -> Transaction:
    services.set_approval_rule(
        actor=funded.coordinator, partnership=funded.partnership, threshold="1000000"
    )
    return services.record_transaction(
        actor=funded.ngo_admin,
        partnership=funded.partnership,
        transaction_type="4",
        amount="5000000",
        currency="IDR",
        value_date=date(2026, 4, 2),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
    )


def test_the_coordinator_approves_an_expenditure_and_the_author_sees_no_decision_form(funded):
    tx = pending_expenditure(funded)
    assert tx.status == "pending"
    author = client_for(funded.ngo_admin).get(url(funded, "finance-transaction", pk=tx.pk)).text
    assert 'id="decide-form"' not in author
    client = client_for(funded.coordinator)
    page = client.get(url(funded, "finance-transaction", pk=tx.pk)).text
    assert 'id="decide-form"' in page
    response = client.post(
        url(funded, "finance-transaction-decide", pk=tx.pk),
        {"decide-decision": "approve", "decide-reason": "Quotes checked"},
    )
    assert response.status_code == 302
    tx.refresh_from_db()
    assert tx.status == "approved"
    html = client.get(url(funded, "finance-transaction", pk=tx.pk)).text
    assert "Quotes checked" in html and 'id="decide-form"' not in html
    # The decision taken, not the button's verb ("Approve").
    assert re.search(r'id="approvals".*?<tbody>\s*<tr><td>Approved</td>', html, re.S)
    overview = client.get(url(funded, "finance-overview")).text
    assert 'data-testid="finance-spent">IDR5,000,000<' in overview


def test_rejecting_needs_a_reason_and_the_author_cannot_decide(funded):
    tx = pending_expenditure(funded)
    client = client_for(funded.coordinator)
    address = url(funded, "finance-transaction-decide", pk=tx.pk)
    response = client.post(address, {"decide-decision": "reject", "decide-reason": ""})
    assert response.status_code == 422
    assert "Give a reason" in field_error(response.text, "decide-reason")
    tx.refresh_from_db()
    assert tx.status == "pending"
    response = client_for(funded.ngo_admin).post(
        address, {"decide-decision": "approve", "decide-reason": ""}
    )
    assert response.status_code == 422
    assert "not an approver" in response.text
    own = services.record_transaction(
        actor=funded.coordinator,
        partnership=funded.partnership,
        transaction_type="4",
        amount="7000000",
        currency="IDR",
        value_date=date(2026, 4, 3),
        provider_organisation=funded.ngo,
        receiver_name="PT Dingin Sejahtera",
    )
    page = client.get(url(funded, "finance-transaction", pk=own.pk)).text
    assert 'id="decide-form"' not in page
    response = client.post(
        url(funded, "finance-transaction-decide", pk=own.pk),
        {"decide-decision": "approve", "decide-reason": ""},
    )
    assert response.status_code == 422
    assert "cannot decide on an expenditure you recorded" in response.text
    for row in (tx, own):
        row.refresh_from_db()
        assert row.status == "pending"


# ---------------------------------------------------------------- budget, rates, rule


def test_the_coordinator_adds_and_revises_a_budget_line_with_a_reason(funded):
    client = client_for(funded.coordinator)
    data = {
        "title": "Training",
        "amount": "200000000",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    assert client.post(url(funded, "finance-budget-new"), data).status_code == 302
    line = BudgetLine.objects.get(title="Training")
    address = url(funded, "finance-budget-revise", pk=line.pk)
    response = client.post(address, {**data, "amount": "250000000"})
    assert response.status_code == 422
    assert "required" in field_error(response.text, "reason")
    response = client.post(address, {**data, "amount": "250000000", "reason": "More trainees"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.amount, line.revision) == (250_000_000, 2)
    html = client.get(url(funded, "finance-budget")).text
    assert "More trainees" in html and "Revision 1" in html and "revision 2" in html
    response = client.post(url(funded, "finance-budget-new"), {**data, "amount": "abc"})
    assert response.status_code == 422
    assert "Enter a number such as 1,500.25" in field_error(response.text, "amount")
    assert client_for(funded.ngo_admin).get(address).status_code == 403


def test_the_coordinator_sets_a_rate_and_a_used_rate_cannot_change(funded):
    client = client_for(funded.coordinator)
    address = url(funded, "finance-rates")
    data = {"rate-currency": "eur", "rate-date": "2026-01-01", "rate-rate": "17250.5"}
    assert client.post(address, data).status_code == 302
    assert ExchangeRate.objects.get(currency="EUR").rate == 17250.5
    record_incoming(funded)  # uses the USD rate of 2026-01-01
    response = client.post(
        address, {"rate-currency": "USD", "rate-date": "2026-01-01", "rate-rate": "16000"}
    )
    assert response.status_code == 422
    assert "cannot change" in field_error(response.text, "rate-rate")
    response = client.post(address, {**data, "rate-rate": "-1"})
    assert "more than zero" in field_error(response.text, "rate-rate")


def test_rates_import_from_csv_all_or_nothing(funded):
    client = client_for(funded.coordinator)
    address = url(funded, "finance-rates-import")
    bad = b"currency,date,rate\nEUR,2026-02-01,17300\nSGD,not-a-date,11800\nJPY,2026-02-01,105\n"
    response = client.post(address, {"import-file": SimpleUploadedFile("r.csv", bad)})
    assert response.status_code == 422
    assert "Row 3" in field_error(response.text, "import-file")
    assert ExchangeRate.objects.count() == 1  # only the fixture's USD rate
    good = b"currency,date,rate\nEUR,2026-02-01,17300\nJPY,2026-02-01,105.25\n"
    response = client.post(
        address, {"import-file": SimpleUploadedFile("r.csv", good), "import-source": "BI"}
    )
    assert response.status_code == 302
    assert ExchangeRate.objects.filter(source="BI").count() == 2
    observer = client_for(funded.observer)
    assert "Import rates from CSV" not in observer.get(url(funded, "finance-rates")).text
    assert observer.post(address, {}).status_code == 403


def test_the_coordinator_sets_an_n_of_m_approval_rule(funded):
    client = client_for(funded.coordinator)
    address = url(funded, "finance-approval-rule")
    response = client.post(
        address,
        {
            "threshold": "50000000",
            "required": "3",
            "approver_organisations": [str(funded.funder.pk), str(funded.company.pk)],
        },
    )
    assert response.status_code == 422
    assert "More approvals" in field_error(response.text, "required")
    response = client.post(address, {"threshold": "-1", "required": "1"})
    assert "cannot be negative" in field_error(response.text, "threshold")
    assert not ApprovalRule.objects.exists()
    response = client.post(
        address,
        {
            "threshold": "50000000",
            "required": "2",
            "approver_organisations": [str(funded.funder.pk), str(funded.company.pk)],
        },
    )
    assert response.status_code == 302
    html = client.get(address).text
    assert "need 2 approvals" in html and "PT Tekstil Hijau" in html
    assert client_for(funded.funder_admin).post(address, {}).status_code == 403


def test_the_transaction_form_says_whose_books_a_partner_admin_keeps(funded):
    """Given a partner admin, who records only their own organisation's transactions, then
    the form says so before they fill it in; a coordinator, who may record for every
    partner, is not told."""
    own = client_for(funded.ngo_admin).get(url(funded, "finance-transaction-new")).text
    everyone = client_for(funded.coordinator).get(url(funded, "finance-transaction-new")).text

    notice = "You record transactions on the books of"
    assert f"{notice} {funded.ngo.name}: one of them gives or receives the money." in own
    assert notice not in everyone


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1949-12-31", "2200-01-01"])
def test_a_page_refuses_a_value_date_outside_1950_to_2199_as_the_api_does(funded, day):
    """Given a transaction typed on the page with a value date no one means (year 1 or
    9999), then it is refused inline on the date, as the API refuses it, and nothing is
    stored or logged."""
    from sinergi.ledger.models import Entry

    before = Entry.objects.count()
    response = client_for(funded.ngo_admin).post(
        url(funded, "finance-transaction-new"), tx_data(funded, value_date=day)
    )
    assert response.status_code == 422
    assert "between 1950 and 2199" in field_error(response.text, "value_date")
    assert not Transaction.objects.exists()
    assert Entry.objects.count() == before


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_revision_form_opened_earlier_keeps_a_top_up_saved_meanwhile(funded, language):
    """Given the coordinator opened a budget line's revision page, when another revision
    raises its amount meanwhile and the coordinator then changes only the title (with a
    reason) and saves, then the title changes and the raised amount stays, in either
    language's way of writing the amount shown."""
    from django.utils import translation

    from tests.forms_on_page import form_on_page

    line = funded.line
    client = client_for(funded.coordinator)
    with translation.override(language):
        address = url(funded, "finance-budget-revise", pk=line.pk)
    data = form_on_page(client.get(address).text)
    raised = line.amount + 1_000_000
    services.revise_budget_line(
        actor=funded.coordinator, line=line, amount=str(raised), reason="Top-up"
    )
    data["title"] = ["Cold chain, renamed"]
    data["reason"] = ["A clearer name"]

    assert client.post(address, data).status_code == 302
    line.refresh_from_db()
    assert line.title == "Cold chain, renamed"
    assert line.amount == raised


@pytest.mark.parametrize(("language", "shown"), [("en", "$20,000.00"), ("id", "US$20.000,00")])
def test_the_pledge_choices_show_amounts_as_money_in_the_reader_s_language(funded, language, shown):
    pledge = usd_pledge(funded)
    client = client_for(funded.coordinator)

    with translation.override(language):
        page = client.get(url(funded, "finance-transaction-new")).text

    choices = re.search(r'<select name="pledge"[^>]*>(.*?)</select>', page, re.S)
    assert choices
    option = re.search(rf'<option value="{pledge.pk}">([^<]*)</option>', choices.group(1))
    assert option and option.group(1) == f"{funded.funder.name}: {shown}"


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("day", ["01/11/2026", "1/11/2026", "2026-11-01 00:00", "11/01/26"])
def test_a_date_typed_in_a_languages_own_order_is_refused_not_read_two_ways(funded, language, day):
    """Given a value date typed as 01/11/2026 (11 January to an English reader, 1 November
    to an Indonesian one) rather than picked, then both pages refuse it inline and
    nothing is stored: the date picker sends YYYY-MM-DD, which means one day to all."""
    from django.utils import translation

    with translation.override(language):
        path = url(funded, "finance-transaction-new")
    response = client_for(funded.ngo_admin).post(path, tx_data(funded, value_date=day))

    assert response.status_code == 422
    assert field_error(response.text, "value_date")
    assert not Transaction.objects.exists()
