"""Finance API, mounted at /api/v1/partnerships (paths start with "/{slug}/finance").

Reading needs view access to the partnership (`policy.can_view_finance`); a private
partnership answers 404 to anyone outside it. Writes go through `sinergi.finance.services`,
which check the finance policy: partner admins record their own organisation's pledges and
transactions, coordinators manage budgets, rates and the approval rule, approvers decide.

Money is never a JSON number: amounts are decimal strings, always beside their ISO 4217
currency, e.g. `{"amount": "10000.00", "currency": "USD", "rate": "15800",
"rate_date": "2026-01-01", "base_amount": "158000000", "base_currency": "IDR"}`. Amounts
sent in are strings (or whole numbers); a JSON float is refused with a field error.
"""

# No `from __future__ import annotations` here: ninja's pagination decorator reads the
# list operations' signatures (their `Query[...]` filters) outside this module.
import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from sinergi.access import policy
from sinergi.core import pages
from sinergi.core.bodies import InputSchema, is_iso_day
from sinergi.core.geography import validate_currency
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import MAX_ID, Count, Flag, Id, PathId, decimal_string
from sinergi.finance import queries, services
from sinergi.finance.models import (
    Approval,
    ApprovalRule,
    BudgetLine,
    BudgetRevision,
    ExchangeRate,
    Pledge,
    PledgeStatus,
    PledgeStatusChange,
    Transaction,
    TransactionDocument,
    TransactionStatus,
    TransactionType,
)
from sinergi.finance.money import quantize
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Partnership, WorkPackage

router = Router(tags=["finance"])

MAX_APPROVERS = 50
MAX_RATES_CSV_BYTES = 2 * 1024 * 1024


# ---------------------------------------------------------------- input types


def _date_text(value: Any) -> Any:
    """Dates are ISO strings, YYYY-MM-DD: a number, or a string of digits, would be read
    as a Unix timestamp, and a date-time at midnight as its date (in a query too, where
    InputSchema's check does not reach)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not is_iso_day(value):
        raise PydanticCustomError("date_type", str(_("Enter a valid date (YYYY-MM-DD).")))
    return value


def _date_range(value: date) -> date:
    if not services.EARLIEST_DATE <= value <= services.LATEST_DATE:
        raise PydanticCustomError("date_range", str(services.date_range_message()))
    return value


FinanceDate = Annotated[date, BeforeValidator(_date_text), AfterValidator(_date_range)]


Amount = decimal_string(
    "amount",
    "10000.00",
    gettext_lazy('Enter the amount as a decimal string, e.g. "10000.00".'),
    gettext_lazy("The amount is too large."),
)
Rate = decimal_string(
    "rate",
    "15800",
    gettext_lazy('Enter the rate as a decimal string, e.g. "15800".'),
    gettext_lazy("The rate is too large."),
)

Quantity = decimal_string(
    "quantity",
    "120",
    gettext_lazy('Enter the quantity as a decimal string, e.g. "120".'),
    gettext_lazy("The quantity is too large."),
)


# ---------------------------------------------------------------- output helpers


def _money(amount: Decimal | None, currency: str) -> str | None:
    """`amount` as a decimal string with the minor unit of `currency`, e.g. "10000.00"."""
    if amount is None:
        return None
    return format(quantize(Decimal(amount), currency), "f")


def _plain(value: Decimal | None) -> str | None:
    """A rate or quantity without trailing zeros: "15800", "0.0000632"."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _org(organisation: Organisation | None) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {"id": organisation.pk, "name": organisation.name}


def _person(person: Any) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.pk, "name": str(person)}


def _line_ref(line: BudgetLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"id": line.pk, "title": line.title}


def _work_package_ref(work_package: WorkPackage | None) -> dict[str, Any] | None:
    if work_package is None:
        return None
    return {"id": work_package.pk, "code": work_package.code, "title": work_package.title}


# ---------------------------------------------------------------- output schemas


class FinanceOrganisationRef(Schema):
    id: int
    name: str


class FinancePersonRef(Schema):
    id: int
    name: str


class BudgetLineRef(Schema):
    id: int
    title: str


class WorkPackageRef(Schema):
    id: int
    code: str
    title: str


class PartyOut(Schema):
    organisation: FinanceOrganisationRef | None = Field(description="A registered organisation")
    name: str = Field(description="The organisation's name, or the outside party's as typed")
    activity_id: str = Field(description="Its IATI activity identifier, when known")


class TransactionOut(Schema):
    id: int
    transaction_type: str = Field(description="IATI TransactionType code: 1 2 3 4 11 12 13")
    transaction_type_name: str
    kind: str = Field(description="cash, goods, personnel, expertise or network")
    kind_name: str
    status: str = Field(description="recorded, pending (awaiting approval), approved, rejected")
    status_name: str
    counts: bool = Field(description="Whether the amount counts in the totals")
    amount: str = Field(description="Decimal string in `currency`; negative for a reversal")
    currency: str
    rate: str = Field(description="Units of the base currency for one unit of `currency`")
    rate_date: date | None = Field(description="The date of the rate used (none: base)")
    base_amount: str
    base_currency: str
    value_date: date
    provider: PartyOut
    receiver: PartyOut
    organisation: FinanceOrganisationRef = Field(description="The partner on whose books it is")
    budget_line: BudgetLineRef | None
    outside_budget_period: bool = Field(
        description="The value date falls outside the budget line's period (allowed, "
        "but worth a look; never set on a reversed transaction, its reversal or a rejected "
        "expenditure)"
    )
    budget_period_note: str = Field(
        description="What `outside_budget_period` means here, in the reader's language; "
        "empty when it is not set"
    )
    pledge: int | None
    description: str
    reverses: int | None = Field(description="The transaction this one reverses")
    corrects: int | None = Field(description="The transaction this one replaces")
    reversed_by: int | None = Field(description="The reversal of this transaction, if any")
    reason: str
    recorded_at: datetime
    ledger_index: int | None


class ChainLinkOut(Schema):
    id: int
    role: str = Field(description="original, reversal or replacement")
    amount: str
    currency: str
    base_amount: str
    status: str
    value_date: date
    recorded_at: datetime
    reason: str
    ledger_index: int | None


class ApprovalOut(Schema):
    id: int
    person: FinancePersonRef
    organisation: FinanceOrganisationRef | None = Field(
        description="The approving partner it counts for"
    )
    decision: str = Field(description="approve or reject")
    reason: str
    at: datetime
    ledger_index: int | None


class DocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    ledger_index: int | None


class TransactionDetail(TransactionOut):
    recorded_by: FinancePersonRef | None
    chain: list[ChainLinkOut] = Field(
        description="The correction chain in the order written: original, reversal, replacement, …"
    )
    approvals: list[ApprovalOut]
    approvals_required: int | None = Field(
        description="Approvals an expenditure awaiting approval needs"
    )
    documents_visible: bool = Field(
        description="Evidence documents are listed for the partnership's own people only"
    )
    documents: list[DocumentOut]


class CorrectionOut(Schema):
    reversal: TransactionOut
    replacement: TransactionOut


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    at: datetime
    by: FinancePersonRef | None
    ledger_index: int | None


class PledgeOut(Schema):
    id: int
    organisation: FinanceOrganisationRef
    kind: str
    kind_name: str
    status: str = Field(description="pledged, committed, fulfilled or cancelled")
    status_name: str
    amount: str
    currency: str
    quantity: str | None = Field(description="In kind: how many units (e.g. 120)")
    unit: str = Field(description="In kind: the unit (e.g. person-days)")
    unit_rate: str | None = Field(description="In kind: the value of one unit in `currency`")
    rate: str
    rate_date: date | None
    base_amount: str
    base_currency: str
    delivered: str = Field(description="Delivered so far, in the base currency")
    delivered_on: date | None = Field(description="When delivery reached the pledge")
    timing: str = Field(description="on_time, late, open (not due yet) or empty when cancelled")
    pledged_on: date
    period_start: date
    period_end: date = Field(description="Due by")
    description: str
    budget_line: BudgetLineRef | None
    created_at: datetime
    ledger_index: int | None


class PledgeDetail(PledgeOut):
    status_history: list[StatusChangeOut]


class BudgetLineOut(Schema):
    id: int
    title: str
    work_package: WorkPackageRef | None
    period_start: date
    period_end: date
    amount: str
    currency: str
    spent: str = Field(description="Spent (expenditure) against the line (base currency)")
    remaining: str
    revision: int


class RevisionOut(Schema):
    number: int
    amount: str
    currency: str
    period_start: date
    period_end: date
    reason: str
    at: datetime
    by: FinancePersonRef | None
    ledger_index: int | None


class BudgetLineDetail(BudgetLineOut):
    revisions: list[RevisionOut]


class RateOut(Schema):
    id: int
    currency: str
    date: date
    rate: str = Field(description="Units of the base currency for one unit of `currency`")
    base_currency: str
    source: str
    entered_at: datetime
    ledger_index: int | None


class RatesImported(Schema):
    imported: int
    rates: list[RateOut]


class ApprovalRuleOut(Schema):
    active: bool = Field(description="False when no rule is set: nothing needs approval")
    threshold: str | None = Field(description="Expenditures above this need approval")
    currency: str
    required: int
    approver_organisations: list[FinanceOrganisationRef] = Field(
        description="Empty: the coordinators approve"
    )
    updated_at: datetime | None
    ledger_index: int | None


class KindOut(Schema):
    kind: str = Field(description="cash, goods, …, in_kind (all in kind) or total")
    label: str
    pledged: str
    committed: str
    received: str
    spent: str


class PartnerFulfilmentOut(Schema):
    organisation: FinanceOrganisationRef
    pledged: str
    delivered: str
    delivered_percent: str | None
    on_time: int
    late: int
    open: int = Field(description="Pledges not due yet and not fully delivered")


class LineSpendingOut(Schema):
    budget_line: BudgetLineRef | None = Field(description="None: spent on no budget line")
    budget: str | None
    spent: str


class PartnerSpendingOut(Schema):
    organisation: FinanceOrganisationRef | None
    spent: str


class MonthOut(Schema):
    month: date
    spent: str


class PendingOut(Schema):
    count: int
    amount: str


class SummaryOut(Schema):
    currency: str = Field(description="The base currency of every amount below")
    budget: str
    pledged: str
    committed: str
    funding_gap: str = Field(description="Budget minus committed")
    received: str
    spent: str
    disbursed: str = Field(description="Disbursed to implementers (not counted as spent)")
    balance: str = Field(description="Cash received minus cash spent")
    burn_rate: str = Field(description="Average spent per month over the last three months")
    months_left: str | None
    pending_approval: PendingOut
    kinds: list[KindOut] = Field(description="Cash and in kind apart and together")
    partners: list[PartnerFulfilmentOut]
    budget_lines: list[LineSpendingOut]
    spending_by_partner: list[PartnerSpendingOut]
    monthly_spending: list[MonthOut]


# ---------------------------------------------------------------- input schemas


class TransactionIn(InputSchema):
    transaction_type: str = Field(description="IATI TransactionType code: 1 2 3 4 11 12 13")
    amount: Amount
    currency: str = Field("", max_length=3, description="ISO 4217; empty: the base currency")
    value_date: FinanceDate
    kind: str = Field("cash", description="cash, goods, personnel, expertise or network")
    provider_organisation: Id | None = Field(None, description="A registered organisation's id")
    provider_name: str = Field("", max_length=200, description="An outside provider's name")
    provider_activity_id: str = Field("", max_length=150)
    receiver_organisation: Id | None = Field(None, description="A registered organisation's id")
    receiver_name: str = Field("", max_length=200, description="An outside receiver's name")
    receiver_activity_id: str = Field("", max_length=150)
    description: str = Field("", max_length=500)
    budget_line: Id | None = None
    pledge: Id | None = Field(None, description="The provider's pledge this delivers")


class ReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=500)


class CorrectionIn(InputSchema):
    """The reason and only the fields that change; the others are copied. Only the links
    (organisations, budget line, pledge) can be cleared with null; text is cleared with ""."""

    reason: str = Field(min_length=1, max_length=500)
    transaction_type: str = Field(None)
    amount: Amount = Field(None)
    currency: str = Field(None, max_length=3)
    value_date: FinanceDate = Field(None)
    kind: str = Field(None)
    provider_organisation: Id | None = None
    provider_name: str = Field(None, max_length=200)
    provider_activity_id: str = Field(None, max_length=150)
    receiver_organisation: Id | None = None
    receiver_name: str = Field(None, max_length=200)
    receiver_activity_id: str = Field(None, max_length=150)
    description: str = Field(None, max_length=500)
    budget_line: Id | None = None
    pledge: Id | None = None


class DecisionIn(InputSchema):
    decision: str = Field(description="approve or reject")
    reason: str = Field("", max_length=500, description="Required to reject")


class PledgeIn(InputSchema):
    organisation: Id = Field(description="The pledging partner's id")
    kind: str = Field("cash", description="cash, goods, personnel, expertise or network")
    amount: Amount | None = Field(None, description="In kind: may be left out with a basis")
    currency: str = Field("", max_length=3, description="ISO 4217; empty: the base currency")
    quantity: Quantity | None = Field(None, description="In kind: e.g. 120")
    unit: str = Field("", max_length=50, description="In kind: e.g. person-days")
    unit_rate: Amount | None = Field(None, description="In kind: the value of one unit")
    pledged_on: FinanceDate | None = Field(None, description="Empty: today")
    period_start: FinanceDate
    period_end: FinanceDate = Field(description="Due by")
    description: str = Field("", max_length=500)
    budget_line: Id | None = None


class PledgeStatusIn(InputSchema):
    status: str = Field(description="committed, fulfilled or cancelled")
    reason: str = Field("", max_length=500, description="Required to cancel")


class BudgetLineIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    amount: Amount = Field(description="In the base currency; 0 is allowed")
    period_start: FinanceDate
    period_end: FinanceDate
    work_package: Id | None = None
    reason: str = Field("", max_length=500)


class BudgetLinePatch(InputSchema):
    reason: str = Field(min_length=1, max_length=500, description="Why the budget changes")
    title: str | None = Field(None, min_length=1, max_length=200)
    amount: Amount | None = None
    period_start: FinanceDate | None = None
    period_end: FinanceDate | None = None
    work_package: Id | None = Field(None, description="null takes the line off its package")


class RateIn(InputSchema):
    currency: str = Field(max_length=3, description="ISO 4217")
    date: FinanceDate
    rate: Rate = Field(description='Units of the base currency for one unit, e.g. "15800"')
    source: str = Field("", max_length=200)


class ApprovalRuleIn(InputSchema):
    threshold: Amount = Field(description="Expenditures above this (base currency) wait")
    required: Count = Field(1, ge=1, le=MAX_APPROVERS)
    approver_organisations: list[Id] = Field(
        default_factory=list, max_length=MAX_APPROVERS, description="Empty: the coordinators"
    )


class TransactionFilterIn(Schema):
    # Bounded only against huge values: a wrong code is told which codes there are.
    type: str = Field("", max_length=100, description="IATI TransactionType code")
    status: str = Field("", max_length=100)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    budget_line: int | None = Field(None, ge=0, le=MAX_ID, description="0: no budget line")
    date_from: FinanceDate | None = None
    date_to: FinanceDate | None = None
    outside_budget_period: Flag = Field(
        False, description="Only those dated outside their budget line's period"
    )


class PledgeFilterIn(Schema):
    status: str = Field("", max_length=100)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)


# ---------------------------------------------------------------- access and look-ups


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    """The partnership whose finance `request.auth` may read; 404 when it may not be seen."""
    partnership = policy.get_partnership_for(request.auth, slug)
    if not policy.can_view_finance(request.auth, partnership):
        raise Http404
    return partnership


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _may_record(user: Any, partnership: Partnership) -> bool:
    """Whether `user` may record finance for at least one organisation (their own, or any as
    a coordinator): checked before looking at a body, so observers get a 403, not a 422."""
    organisation_id = getattr(user, "organisation_id", None) or 0
    return policy.can_record_finance(user, partnership, Organisation(pk=organisation_id))


def _organisations(ids: list[int], field: str) -> dict[int, Organisation]:
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise ValidationError({field: [_("Choose an organisation that is a partner.")]})
    return found


def _transaction(partnership: Partnership, pk: int) -> Transaction:
    tx = (
        Transaction.objects.filter(partnership=partnership, pk=pk)
        .select_related("partnership", "organisation")
        .first()
    )
    if tx is None:
        raise Http404
    return tx


def _resolve_transaction_fields(partnership: Partnership, fields: dict[str, Any]) -> None:
    """Organisation ids become organisations (any registered one may be the outside
    party; the services check that the books are a partner's)."""
    wanted = [
        fields[name]
        for name in ("provider_organisation", "receiver_organisation")
        if fields.get(name) is not None
    ]
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=wanted)} if wanted else {}
    for name in ("provider_organisation", "receiver_organisation"):
        if fields.get(name) is not None:
            if fields[name] not in found:
                raise ValidationError({name: [_("Choose an organisation that is a partner.")]})
            fields[name] = found[fields[name]]


def _budget_line(partnership: Partnership, pk: int | None) -> BudgetLine | None:
    if pk is None:
        return None
    line = BudgetLine.objects.filter(partnership=partnership, pk=pk).first()
    if line is None:
        raise ValidationError({"budget_line": [_("Choose a budget line of this partnership.")]})
    return line


def _work_package(partnership: Partnership, pk: int | None) -> WorkPackage | None:
    if pk is None:
        return None
    work_package = WorkPackage.objects.filter(partnership=partnership, pk=pk).first()
    if work_package is None:
        raise ValidationError({"work_package": [_("Choose a work package of this partnership.")]})
    return work_package


# ---------------------------------------------------------------- bodies


def _party(organisation: Organisation | None, name: str, activity: str) -> dict[str, Any]:
    return {
        "organisation": _org(organisation),
        "name": organisation.name if organisation else name,
        "activity_id": activity,
    }


_LOADED: Any = object()


def transaction_body(
    tx: Transaction, base_currency: str, reversed_by: Any = _LOADED
) -> dict[str, Any]:
    """A transaction as the API shows it (its relations already loaded; `reversed_by`
    is read from the loaded reverse relation unless given)."""
    if reversed_by is _LOADED:
        try:
            reversed_by = tx.reversed_by.pk
        except Transaction.DoesNotExist:
            reversed_by = None
    return {
        "id": tx.pk,
        "transaction_type": tx.transaction_type,
        "transaction_type_name": str(tx.get_transaction_type_display()),
        "kind": tx.kind,
        "kind_name": str(tx.get_kind_display()),
        "status": tx.status,
        "status_name": str(tx.get_status_display()),
        "counts": tx.counts,
        "amount": _money(tx.amount, tx.currency),
        "currency": tx.currency,
        "rate": _plain(tx.rate),
        "rate_date": tx.rate_date,
        "base_amount": _money(tx.base_amount, base_currency),
        "base_currency": base_currency,
        "value_date": tx.value_date,
        "provider": _party(tx.provider_organisation, tx.provider_name, tx.provider_activity_id),
        "receiver": _party(tx.receiver_organisation, tx.receiver_name, tx.receiver_activity_id),
        "organisation": _org(tx.organisation),
        "budget_line": _line_ref(tx.budget_line),
        "outside_budget_period": tx.outside_budget_period,
        "budget_period_note": tx.budget_period_note(),
        "pledge": tx.pledge_id,
        "description": tx.description,
        "reverses": tx.reverses_id,
        "corrects": tx.corrects_id,
        "reversed_by": reversed_by,
        "reason": tx.reason,
        "recorded_at": tx.recorded_at,
        "ledger_index": tx.ledger_index,
    }


def _transaction_detail(request: HttpRequest, partnership: Partnership, pk: int) -> dict[str, Any]:
    tx = queries.transaction_for(partnership, pk)
    if tx is None:
        raise Http404
    base = partnership.base_currency
    links = queries.chain(tx)
    reversed_by = next(
        (link.transaction.pk for link in links if link.transaction.reverses_id == tx.pk), None
    )
    body = transaction_body(tx, base, reversed_by)
    body["chain"] = [
        {
            "id": link.transaction.pk,
            "role": link.role,
            "amount": _money(link.transaction.amount, link.transaction.currency),
            "currency": link.transaction.currency,
            "base_amount": _money(link.transaction.base_amount, base),
            "status": link.transaction.status,
            "value_date": link.transaction.value_date,
            "recorded_at": link.transaction.recorded_at,
            "reason": link.transaction.reason,
            "ledger_index": link.transaction.ledger_index,
        }
        for link in links
    ]
    body["recorded_by"] = _person(tx.recorded_by)
    body["approvals"] = [_approval(a) for a in tx.approvals.all()]
    required = None
    if tx.status == TransactionStatus.PENDING:
        rule = ApprovalRule.objects.filter(partnership=partnership).first()
        required = rule.required if rule else 1
    body["approvals_required"] = required
    visible = policy.can_see_finance_documents(request.auth, partnership)
    body["documents_visible"] = visible
    body["documents"] = [_document(d) for d in tx.documents.all()] if visible else []
    return body


def _approval(approval: Approval) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "person": _person(approval.person),
        "organisation": _org(approval.organisation),
        "decision": approval.decision,
        "reason": approval.reason,
        "at": approval.at,
        "ledger_index": approval.ledger_index,
    }


def _document(document: TransactionDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at,
        "ledger_index": document.ledger_index,
    }


def pledge_body(pledge: Pledge, base_currency: str, today: date) -> dict[str, Any]:
    cancelled = pledge.status == PledgeStatus.CANCELLED
    return {
        "id": pledge.pk,
        "organisation": _org(pledge.organisation),
        "kind": pledge.kind,
        "kind_name": str(pledge.get_kind_display()),
        "status": pledge.status,
        "status_name": str(pledge.get_status_display()),
        "amount": _money(pledge.amount, pledge.currency),
        "currency": pledge.currency,
        "quantity": _plain(pledge.quantity),
        "unit": pledge.unit,
        "unit_rate": _money(pledge.unit_rate, pledge.currency),
        "rate": _plain(pledge.rate),
        "rate_date": pledge.rate_date,
        "base_amount": _money(pledge.base_amount, base_currency),
        "base_currency": base_currency,
        "delivered": _money(pledge.delivered_base, base_currency),
        "delivered_on": pledge.delivered_on,
        "timing": "" if cancelled else queries.pledge_timing(pledge, today),
        "pledged_on": pledge.pledged_on,
        "period_start": pledge.period_start,
        "period_end": pledge.period_end,
        "description": pledge.description,
        "budget_line": _line_ref(pledge.budget_line),
        "created_at": pledge.created_at,
        "ledger_index": pledge.ledger_index,
    }


def _pledge_detail(partnership: Partnership, pk: int) -> dict[str, Any]:
    pledge = (
        Pledge.objects.filter(partnership=partnership, pk=pk)
        .select_related("organisation", "budget_line")
        .first()
    )
    if pledge is None:
        raise Http404
    body = pledge_body(pledge, partnership.base_currency, timezone.localdate())
    changes = PledgeStatusChange.objects.filter(pledge=pledge).select_related("actor")
    body["status_history"] = [
        {
            "from_status": change.from_status,
            "to_status": change.to_status,
            "reason": str(change.reason_text),
            "at": change.at,
            "by": _person(change.actor),
            "ledger_index": change.ledger_index,
        }
        for change in changes.order_by("at", "pk")
    ]
    return body


def _spent_by_line(partnership: Partnership) -> tuple[queries.Budget, dict[int, Decimal]]:
    found = queries.budget(partnership)
    return found, {row.line.pk: row.actual for row in found.rows}


def budget_line_body(line: BudgetLine, spent: Decimal, currency: str) -> dict[str, Any]:
    return {
        "id": line.pk,
        "title": line.title,
        "work_package": _work_package_ref(line.work_package),
        "period_start": line.period_start,
        "period_end": line.period_end,
        "amount": _money(line.amount, currency),
        "currency": currency,
        "spent": _money(spent, currency),
        "remaining": _money(line.amount - spent, currency),
        "revision": line.revision,
    }


def _budget_line_detail(partnership: Partnership, pk: int) -> dict[str, Any]:
    line = (
        BudgetLine.objects.filter(partnership=partnership, pk=pk)
        .select_related("work_package")
        .first()
    )
    if line is None:
        raise Http404
    currency = partnership.base_currency
    _found, spent = _spent_by_line(partnership)
    body = budget_line_body(line, spent.get(line.pk, Decimal(0)), currency)
    revisions = BudgetRevision.objects.filter(line=line).select_related("actor")
    body["revisions"] = [
        {
            "number": revision.number,
            "amount": _money(revision.amount, currency),
            "currency": currency,
            "period_start": revision.period_start,
            "period_end": revision.period_end,
            "reason": revision.reason,
            "at": revision.at,
            "by": _person(revision.actor),
            "ledger_index": revision.ledger_index,
        }
        for revision in revisions.order_by("-number")
    ]
    return body


def rate_body(rate: ExchangeRate, base_currency: str) -> dict[str, Any]:
    return {
        "id": rate.pk,
        "currency": rate.currency,
        "date": rate.date,
        "rate": _plain(rate.rate),
        "base_currency": base_currency,
        "source": rate.source,
        "entered_at": rate.entered_at,
        "ledger_index": rate.ledger_index,
    }


def _rule_body(partnership: Partnership) -> dict[str, Any]:
    rule = ApprovalRule.objects.filter(partnership=partnership).first()
    currency = partnership.base_currency
    if rule is None:
        return {
            "active": False,
            "threshold": None,
            "currency": currency,
            "required": 1,
            "approver_organisations": [],
            "updated_at": None,
            "ledger_index": None,
        }
    approvers = rule.approver_organisations.order_by("name", "pk")
    return {
        "active": True,
        "threshold": _money(rule.threshold, currency),
        "currency": currency,
        "required": rule.required,
        "approver_organisations": [_org(o) for o in approvers],
        "updated_at": rule.updated_at,
        "ledger_index": rule.ledger_index,
    }


# ---------------------------------------------------------------- summary


def _kind_rows(overview: queries.Overview) -> list[dict[str, Any]]:
    """Cash, each kind in kind that has figures, in kind all together, and the total."""
    currency = overview.currency
    found = []
    for row in overview.kinds:
        found.append(
            {
                "kind": row.key,
                "label": row.label,
                "pledged": _money(row.pledged, currency),
                "committed": _money(row.committed, currency),
                "received": _money(row.received, currency),
                "spent": _money(row.spent, currency),
            }
        )
    return found


def summary_body(partnership: Partnership) -> dict[str, Any]:
    """The overview's figures from the maintained totals (`queries.overview`, which reads
    `Rollup`, the budget lines and the pledges), with the budget against actual per line."""
    overview = queries.overview(partnership)
    found = queries.budget(partnership)
    currency = overview.currency

    def money(value: Decimal) -> str:
        return _money(value, currency)

    lines = [
        {
            "budget_line": _line_ref(row.line),
            "budget": money(row.line.amount),
            "spent": money(row.actual),
        }
        for row in found.rows
    ]
    if found.unassigned:
        lines.append({"budget_line": None, "budget": None, "spent": money(found.unassigned)})
    organisations = {row.organisation.pk: row.organisation for row in overview.fulfilment}
    missing = [s.key for s in overview.by_partner if s.key and s.key not in organisations]
    if missing:
        organisations.update({o.pk: o for o in Organisation.objects.filter(pk__in=missing)})
    return {
        "currency": currency,
        "budget": money(overview.budget),
        "pledged": money(overview.pledged),
        "committed": money(overview.committed),
        "funding_gap": money(overview.gap),
        "received": money(overview.received),
        "spent": money(overview.spent),
        "disbursed": money(overview.disbursed),
        "balance": money(overview.balance),
        "burn_rate": money(overview.burn_rate),
        "months_left": _plain(overview.months_left),
        "pending_approval": {
            "count": overview.pending_count,
            "amount": money(overview.pending_amount),
        },
        "kinds": _kind_rows(overview),
        "partners": [
            {
                "organisation": _org(row.organisation),
                "pledged": money(row.pledged),
                "delivered": money(row.delivered),
                "delivered_percent": _plain(row.share),
                "on_time": row.on_time,
                "late": row.late,
                "open": row.open,
            }
            for row in overview.fulfilment
        ],
        "budget_lines": lines,
        "spending_by_partner": [
            {"organisation": _org(organisations.get(s.key)), "spent": money(s.amount)}
            for s in overview.by_partner
        ],
        "monthly_spending": [
            {"month": month, "spent": money(amount)} for month, amount in overview.monthly_spending
        ],
    }


@router.get(
    "/{slug}/finance/summary",
    response=SummaryOut,
    summary="Read the finance overview",
    description="Budget, pledged, committed, funding gap, received, spent, awaiting approval, "
    "cash and in kind, each partner's pledges against deliveries, and spending by budget "
    "line, partner and month — all in the base currency, read from the maintained totals.",
)
def read_summary(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    return _reused_json(
        request, partnership, "summary", SummaryOut, lambda: summary_body(partnership)
    )


def _reused_json(
    request: HttpRequest,
    partnership: Partnership,
    name: str,
    schema: type[Schema],
    compute: Callable[[], Any],
    *,
    keep: bool = True,
) -> HttpResponse:
    """The JSON response of `schema` for `compute()`, encoded once per partnership version
    and reused until the partnership's next ledger entry (every finance write makes one):
    never stale (see `queries.fresh`, `pages.json_kept`)."""
    key = queries.fresh_key(partnership, f"json:{name}")
    seconds = queries.FRESH_SECONDS
    return pages.json_kept(
        request, key, schema, compute, keep=keep, seconds=seconds, max_age=seconds
    )


# ---------------------------------------------------------------- transactions


class TransactionPage(Schema):
    items: list[TransactionOut]
    count: int


@router.get(
    "/{slug}/finance/transactions",
    response=TransactionPage,
    summary="List the transactions",
    description="Newest value date first. Filters: `type` (IATI code), `status`, "
    "`organisation` (provider, receiver or books), `budget_line` (0: none), "
    "`date_from`, `date_to` (value dates, inclusive), `outside_budget_period=true` (only "
    "those dated outside their budget line's period). Pages: `limit` (default "
    f"{Pagination.Input.model_fields['limit'].default}) and `offset`.",
)
def list_transactions(
    request: HttpRequest,
    slug: str,
    filters: Query[TransactionFilterIn],
    page: Query[Pagination.Input],
) -> HttpResponse:
    partnership = _partnership(request, slug)
    if filters.type and filters.type not in TransactionType.values:
        raise ValidationError({"type": [_("Choose an IATI transaction type.")]})
    if filters.status and filters.status not in TransactionStatus.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    found = queries.TransactionFilter(
        transaction_type=filters.type,
        status=filters.status,
        organisation=filters.organisation,
        budget_line=filters.budget_line,
        date_from=filters.date_from,
        date_to=filters.date_to,
        outside_period=filters.outside_budget_period,
    )
    key = hashlib.sha256(repr(found).encode()).hexdigest()[:32]
    window = slice(page.offset, page.offset + page.limit)

    def body() -> dict[str, Any]:
        # The filter's count and the page's rows; each reused as before for the pages
        # that share them (see queries.fresh).
        rows = queries.transactions(partnership, found)
        count = queries.fresh(partnership, f"tx-count:{key}", rows.count)
        currency = partnership.base_currency
        return {"items": [transaction_body(tx, currency) for tx in rows[window]], "count": count}

    name = f"tx-page:{key}:{window.start}:{window.stop}"
    # Pages of the usual sizes are kept; a huge one is computed for its one reader.
    keep = page.limit <= KEEP_PAGE_LIMIT
    return _reused_json(request, partnership, name, TransactionPage, body, keep=keep)


KEEP_PAGE_LIMIT = 200


@router.post(
    "/{slug}/finance/transactions",
    response={201: TransactionOut},
    summary="Record a transaction",
    description="Provider and receiver are organisation ids or, for outside parties, names. "
    "The partner on whose books it is (the receiver of incoming types 1, 11, 13; the "
    "provider of outgoing 2, 3, 4, 12) must be one you may record for. Converted at the "
    "rate in force on the value date; an expenditure above the approval threshold waits "
    "for approval.",
)
def create_transaction(request: HttpRequest, slug: str, payload: TransactionIn) -> Status:
    partnership = _partnership(request, slug)
    _require(_may_record(request.auth, partnership))
    fields = payload.dict()
    _resolve_transaction_fields(partnership, fields)
    tx = services.record_transaction(actor=request.auth, partnership=partnership, **fields)
    return Status(201, transaction_body(tx, partnership.base_currency, None))


@router.get(
    "/{slug}/finance/transactions/{pk}",
    response=TransactionDetail,
    summary="Read a transaction",
    description="With its correction chain, approvals and (for the partnership's own "
    "people) its evidence documents and their SHA-256.",
)
def read_transaction(request: HttpRequest, slug: str, pk: PathId) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    return _transaction_detail(request, partnership, pk)


@router.post(
    "/{slug}/finance/transactions/{pk}/reverse",
    response={201: TransactionOut},
    summary="Reverse a transaction",
    description="Records the reversal (same movement, opposite amount) with the reason; "
    "answers with the reversal. An approved or pending expenditure is locked (409).",
)
def reverse_transaction(request: HttpRequest, slug: str, pk: PathId, payload: ReasonIn) -> Status:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    _require(policy.can_record_finance(request.auth, partnership, tx.organisation))
    reversal = services.reverse_transaction(
        actor=request.auth, transaction=tx, reason=payload.reason
    )
    return Status(201, transaction_body(reversal, partnership.base_currency, None))


@router.post(
    "/{slug}/finance/transactions/{pk}/correct",
    response={201: CorrectionOut},
    summary="Correct a transaction",
    description="Send the reason and only the fields that change: the transaction is "
    "reversed and its replacement recorded in one step.",
)
def correct_transaction(
    request: HttpRequest, slug: str, pk: PathId, payload: CorrectionIn
) -> Status:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    _require(policy.can_record_finance(request.auth, partnership, tx.organisation))
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason")
    _resolve_transaction_fields(partnership, changes)
    reversal, replacement = services.correct_transaction(
        actor=request.auth, transaction=tx, reason=reason, **changes
    )
    base = partnership.base_currency
    return Status(
        201,
        {
            "reversal": transaction_body(reversal, base, None),
            "replacement": transaction_body(replacement, base, None),
        },
    )


@router.post(
    "/{slug}/finance/transactions/{pk}/decision",
    response=TransactionDetail,
    summary="Approve or reject an expenditure awaiting approval",
    description="Approvers only (the approval rule's partners, or the coordinators); never "
    "the expenditure's author. A rejection needs a reason. Answers with the transaction.",
)
def decide(request: HttpRequest, slug: str, pk: PathId, payload: DecisionIn) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    rule = ApprovalRule.objects.filter(partnership=partnership).first()
    approvers = services.approver_ids(rule) if rule else set()
    _require(policy.can_approve_for(request.auth, partnership, approvers) is not None)
    _require(tx.recorded_by_id != request.auth.pk)
    services.decide(
        actor=request.auth, transaction=tx, decision=payload.decision, reason=payload.reason
    )
    return _transaction_detail(request, partnership, pk)


@router.post(
    "/{slug}/finance/transactions/{pk}/documents",
    response={201: DocumentOut},
    summary="Attach an evidence document",
    description="A multipart upload in the field `file` (at most 20 MB); its SHA-256 goes "
    "on the ledger.",
)
def attach_document(
    request: HttpRequest,
    slug: str,
    pk: PathId,
    file: UploadedFile | None = File(None),  # noqa: B008 (ninja's way to declare it)
) -> Status:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    _require(policy.can_record_finance(request.auth, partnership, tx.organisation))
    if file is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    document = services.attach_document(actor=request.auth, transaction=tx, uploaded_file=file)
    return Status(201, _document(document))


# ---------------------------------------------------------------- pledges


class _PledgeRows:
    def __init__(self, rows: Any, base_currency: str) -> None:
        self.rows = rows
        self.base_currency = base_currency
        self.today = timezone.localdate()

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [pledge_body(p, self.base_currency, self.today) for p in self.rows[window]]


@router.get(
    "/{slug}/finance/pledges",
    response=list[PledgeOut],
    summary="List the pledges",
    description="Newest first. Filters: `status`, `organisation`.",
)
@paginate(Pagination)
def list_pledges(request: HttpRequest, slug: str, filters: Query[PledgeFilterIn]) -> object:
    partnership = _partnership(request, slug)
    rows = Pledge.objects.filter(partnership=partnership)
    if filters.status:
        if filters.status not in PledgeStatus.values:
            raise ValidationError({"status": [_("Choose a status.")]})
        rows = rows.filter(status=filters.status)
    if filters.organisation:
        rows = rows.filter(organisation_id=filters.organisation)
    rows = rows.select_related("organisation", "budget_line").order_by("-pledged_on", "-pk")
    return _PledgeRows(rows, partnership.base_currency)


@router.post(
    "/{slug}/finance/pledges",
    response={201: PledgeOut},
    summary="Record a pledge",
    description="Cash or in kind; for in kind give the basis (quantity, unit, value per "
    "unit) or the value. Converted at the rate in force on `pledged_on` (today if empty).",
)
def create_pledge(request: HttpRequest, slug: str, payload: PledgeIn) -> Status:
    partnership = _partnership(request, slug)
    _require(_may_record(request.auth, partnership))
    fields = payload.dict()
    organisation = _organisations([fields.pop("organisation")], "organisation")
    fields["budget_line"] = _budget_line(partnership, fields["budget_line"])
    pledge = services.record_pledge(
        actor=request.auth,
        partnership=partnership,
        organisation=next(iter(organisation.values())),
        **fields,
    )
    return Status(201, pledge_body(pledge, partnership.base_currency, timezone.localdate()))


@router.get(
    "/{slug}/finance/pledges/{pk}",
    response=PledgeDetail,
    summary="Read a pledge with its status history",
)
def read_pledge(request: HttpRequest, slug: str, pk: PathId) -> dict[str, Any]:
    return _pledge_detail(_partnership(request, slug), pk)


@router.post(
    "/{slug}/finance/pledges/{pk}/status",
    response=PledgeDetail,
    summary="Move a pledge on",
    description="pledged → committed → fulfilled, or cancelled (with a reason) before it is "
    "fulfilled; another change is a 409.",
)
def change_pledge_status(
    request: HttpRequest, slug: str, pk: PathId, payload: PledgeStatusIn
) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    pledge = (
        Pledge.objects.filter(partnership=partnership, pk=pk)
        .select_related("partnership", "organisation")
        .first()
    )
    if pledge is None:
        raise Http404
    _require(policy.can_record_finance(request.auth, partnership, pledge.organisation))
    services.change_pledge_status(
        actor=request.auth, pledge=pledge, status=payload.status, reason=payload.reason
    )
    return _pledge_detail(partnership, pk)


# ---------------------------------------------------------------- budget lines


@router.get(
    "/{slug}/finance/budget-lines",
    response=list[BudgetLineOut],
    summary="List the budget lines with what was spent on each",
)
@paginate(Pagination)
def list_budget_lines(request: HttpRequest, slug: str) -> object:
    partnership = _partnership(request, slug)
    found, spent = _spent_by_line(partnership)
    currency = partnership.base_currency
    return [budget_line_body(row.line, spent[row.line.pk], currency) for row in found.rows]


@router.post(
    "/{slug}/finance/budget-lines",
    response={201: BudgetLineOut},
    summary="Add a budget line",
    description="In the base currency, for a period and optionally a work package. "
    "Coordinators only.",
)
def create_budget_line(request: HttpRequest, slug: str, payload: BudgetLineIn) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_finance(request.auth, partnership))
    fields = payload.dict()
    fields["work_package"] = _work_package(partnership, fields["work_package"])
    line = services.create_budget_line(actor=request.auth, partnership=partnership, **fields)
    return Status(201, budget_line_body(line, Decimal(0), partnership.base_currency))


@router.get(
    "/{slug}/finance/budget-lines/{pk}",
    response=BudgetLineDetail,
    summary="Read a budget line with its revisions",
)
def read_budget_line(request: HttpRequest, slug: str, pk: PathId) -> dict[str, Any]:
    return _budget_line_detail(_partnership(request, slug), pk)


@router.patch(
    "/{slug}/finance/budget-lines/{pk}",
    response=BudgetLineDetail,
    summary="Revise a budget line",
    description="A new revision with its reason (required); earlier figures stay in the "
    "history. Coordinators only.",
)
def revise_budget_line(
    request: HttpRequest, slug: str, pk: PathId, payload: BudgetLinePatch
) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_finance(request.auth, partnership))
    line = (
        BudgetLine.objects.filter(partnership=partnership, pk=pk)
        .select_related("partnership")
        .first()
    )
    if line is None:
        raise Http404
    changes = payload.dict(exclude_unset=True)
    # Fields sent as null first: a revision that changes nothing is refused on one of them.
    sent = sorted(changes, key=lambda name: changes[name] is not None)
    for name in ("title", "amount", "period_start", "period_end"):
        if name in changes and changes[name] is None:
            del changes[name]
    if "work_package" in changes:
        changes["work_package"] = _work_package(partnership, changes["work_package"])
    services.revise_budget_line(actor=request.auth, line=line, sent=sent, **changes)
    return _budget_line_detail(partnership, pk)


# ---------------------------------------------------------------- exchange rates


class _RateRows:
    def __init__(self, rows: Any, base_currency: str) -> None:
        self.rows = rows
        self.base_currency = base_currency

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [rate_body(r, self.base_currency) for r in self.rows[window]]


@router.get(
    "/{slug}/finance/rates",
    response=list[RateOut],
    summary="List the exchange rates",
    description="By currency, newest first. Filter: `currency`.",
)
@paginate(Pagination)
def list_rates(request: HttpRequest, slug: str, currency: str = "") -> object:
    partnership = _partnership(request, slug)
    rows = ExchangeRate.objects.filter(partnership=partnership)
    if currency:
        code = currency.strip().upper()
        try:
            validate_currency(code)  # "usdollars" is not read as USD
        except ValidationError as exc:
            raise ValidationError({"currency": exc.messages}) from None
        rows = rows.filter(currency=code)
    return _RateRows(rows.order_by("currency", "-date", "pk"), partnership.base_currency)


@router.post(
    "/{slug}/finance/rates",
    response={201: RateOut},
    summary="Set an exchange rate",
    description="One unit of `currency` is worth `rate` units of the base currency from "
    "`date` on. A rate already used by recorded figures cannot change (409). Coordinators.",
)
def set_rate(request: HttpRequest, slug: str, payload: RateIn) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_finance(request.auth, partnership))
    rate = services.set_rate(actor=request.auth, partnership=partnership, **payload.dict())
    return Status(201, rate_body(rate, partnership.base_currency))


@router.post(
    "/{slug}/finance/rates/import",
    response={201: RatesImported},
    summary="Import exchange rates from CSV",
    description="Columns `currency,date,rate` (and optionally `source`). Send the CSV as "
    "the body (`Content-Type: text/csv`) or as a multipart upload in the field `file`. "
    "All or nothing: errors name each bad row.",
)
def import_rates(
    request: HttpRequest,
    slug: str,
    file: UploadedFile | None = File(None),  # noqa: B008 (ninja's way to declare it)
    source: str = "",
) -> Status:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_finance(request.auth, partnership))
    if file is not None:
        if file.size is not None and file.size > MAX_RATES_CSV_BYTES:
            raise ValidationError({"file": [_("The file is too large.")]})
        data = file.read()
    elif request.content_type.startswith("multipart/"):
        raise ValidationError({"file": [_("Choose a CSV file.")]})
    elif request.content_type == "application/json" or request.content_type.endswith("+json"):
        # Rates sent like the single-rate endpoint's: read as CSV, the JSON would only be
        # said to lack the columns.
        raise ValidationError(
            {
                "file": [
                    _(
                        "The rates import takes a CSV file, not JSON: send it as the request "
                        "body with Content-Type: text/csv, or as a multipart upload in the "
                        "field “file”."
                    )
                ]
            }
        )
    else:
        data = request.body
    if not data:
        raise ValidationError({"file": [_("Choose a CSV file.")]})
    if b"\x00" in data:
        raise ValidationError({"file": [_("The file is not UTF-8 text (CSV).")]})
    rates = services.import_rates_csv(
        actor=request.auth, partnership=partnership, data=data, source=source
    )
    base = partnership.base_currency
    return Status(201, {"imported": len(rates), "rates": [rate_body(r, base) for r in rates]})


# ---------------------------------------------------------------- approval rule


@router.get(
    "/{slug}/finance/approval-rule",
    response=ApprovalRuleOut,
    summary="Read the approval rule",
)
def read_approval_rule(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _rule_body(_partnership(request, slug))


@router.put(
    "/{slug}/finance/approval-rule",
    response=ApprovalRuleOut,
    summary="Set the approval rule",
    description="Expenditures above `threshold` (base currency) need `required` approvals: "
    "from that many different coordinators, or from that many of "
    "`approver_organisations` (each through its partner admin). Coordinators only.",
)
def put_approval_rule(request: HttpRequest, slug: str, payload: ApprovalRuleIn) -> dict[str, Any]:
    partnership = _partnership(request, slug)
    _require(policy.can_manage_finance(request.auth, partnership))
    ids = payload.approver_organisations
    approvers = _organisations(ids, "approver_organisations") if ids else {}
    services.set_approval_rule(
        actor=request.auth,
        partnership=partnership,
        threshold=payload.threshold,
        required=payload.required,
        approver_organisations=list(approvers.values()),
    )
    return _rule_body(partnership)
