"""Finance writes: rates, budgets, pledges, transactions, corrections and approvals.

Every function takes the acting person first (keyword-only), checks the permission
policy, validates, and writes together with its transparency-ledger entry and the
finance totals in one database transaction: all of it commits, or none of it does.

Nothing on the ledger is edited in place. A wrong transaction is corrected by a
reversal (the same movement with the opposite amount) and, where needed, a replacement;
a budget line is revised with a reason and its history kept.

Ledger kinds (payloads are plain JSON; amounts are decimal strings):
`finance.rate.set`, `finance.budget.created`, `finance.budget.revised`,
`finance.pledge.recorded`, `finance.pledge.status_changed`, `finance.transaction.recorded`,
`finance.transaction.reversed`, `finance.document.attached`,
`finance.approval_rule.set`, `finance.expenditure.approved`, `finance.expenditure.rejected`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from itertools import groupby
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core.bulk import update_by_pk
from sinergi.core.dates import EARLIEST_DATE, LATEST_DATE, date_range_message, latest_past_date
from sinergi.core.errors import Conflict
from sinergi.core.files import kept_name
from sinergi.core.identifiers import check_activity_identifier
from sinergi.core.numbers import grouped_in_file, plain_decimal
from sinergi.core.spreadsheets import csv_unreadable
from sinergi.finance import rollups
from sinergi.finance.models import (
    COUNTING_STATUSES,
    FLOW_TYPES,
    INCOMING_TYPES,
    PLEDGE_TRANSITIONS,
    Approval,
    ApprovalRule,
    BudgetLine,
    BudgetRevision,
    Decision,
    ExchangeRate,
    Pledge,
    PledgeStatus,
    PledgeStatusChange,
    ResourceKind,
    Transaction,
    TransactionDocument,
    TransactionStatus,
    TransactionType,
)
from sinergi.finance.money import (
    EXACT_DIGITS,
    MAX_AMOUNT,
    SIGNIFICANT_DIGITS,
    check_currency,
    check_storable,
    convert,
    convert_back,
    parse_amount,
    quantize,
)
from sinergi.ledger.log import LedgerError, append_many, hold
from sinergi.ledger.log import append as record
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import MemberRole, Membership, Partnership, WorkPackage

ONE = Decimal(1)
# Choices' `.values` builds a new list on every call; bulk imports check these per row.
TYPE_CODES = frozenset(TransactionType.values)
KIND_CODES = frozenset(ResourceKind.values)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_RATE = Decimal("99999999999999")


# ---------------------------------------------------------------- helpers


def _atomic() -> Any:
    """`transaction.atomic()`, for functions whose `transaction` argument hides the module."""
    return transaction.atomic()


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _log(
    row: Any, kind: str, payload: dict[str, Any], partnership: Partnership, actor: User
) -> None:
    """Append `row`'s ledger entry (inside the caller's transaction) and keep its index on
    the row, for `sinergi finance check`."""
    entry = record(kind, payload, partnership, actor)
    type(row).objects.filter(pk=row.pk).update(ledger_index=entry.index)
    row.ledger_index = entry.index


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this in this partnership."))


# Finance dates outside the platform's years (sinergi.core.dates) are typing mistakes;
# pages, the API and imports all refuse them here.


def _date(value: object, field: str) -> date:
    parsed = None
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise _field_error(field, _("Enter a valid date (YYYY-MM-DD)."))
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise _field_error(field, date_range_message())
    return parsed


def _period(start: object, end: object) -> tuple[date, date]:
    first, last = _date(start, "period_start"), _date(end, "period_end")
    if last < first:
        raise _field_error("period_end", _("The period ends before it starts."))
    return first, last


def _text(value: object, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise _field_error(
            field, _("Keep this to %(limit)d characters or fewer.") % {"limit": limit}
        )
    return text


def _reason(value: object) -> str:
    text = _text(value, "reason", 500)
    if not text:
        raise _field_error("reason", _("Give a reason."))
    return text


def _is_partner(partnership: Partnership, organisation: Organisation) -> bool:
    return partnership.participations.filter(organisation=organisation).exists()


def _check_partner(partnership: Partnership, organisation: Organisation, field: str) -> None:
    if organisation is None or not _is_partner(partnership, organisation):
        raise _field_error(field, _("Choose an organisation that is a partner."))


def _check_budget_line(partnership: Partnership, line: BudgetLine | None) -> None:
    if line is not None and line.partnership_id != partnership.pk:
        raise _field_error("budget_line", _("Choose a budget line of this partnership."))


def _money(value: Decimal) -> str:
    return format(value, "f")


def _org_ref(organisation: Organisation | None, name: str, activity: str) -> dict[str, Any]:
    return {
        "organisation": organisation.pk if organisation else None,
        "ref": (organisation.iati_identifier or None) if organisation else None,
        "name": organisation.name if organisation else name,
        "activity_id": activity or None,
    }


# ---------------------------------------------------------------- exchange rates


def rate_for(partnership: Partnership, currency: str, on: date) -> tuple[Decimal, date | None]:
    """The rate in force on `on` for `currency` (the latest dated on or before it).

    Returns (1, None) for the base currency. Raises a field error on `currency` when the
    partnership has no rate for that currency on or before that date.
    """
    if currency == partnership.base_currency:
        return ONE, None
    found = (
        ExchangeRate.objects.filter(partnership=partnership, currency=currency, date__lte=on)
        .order_by("-date")
        .values_list("rate", "date")
        .first()
    )
    if found is None:
        raise _field_error(
            "currency",
            _(
                "There is no %(currency)s rate for %(date)s or before; "
                "a coordinator adds it under Finance → Exchange rates."
            )
            % {"currency": currency, "date": on.isoformat()},
        )
    return found


def rate_payload(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "currency": rate.currency,
        "base_currency": rate.partnership.base_currency,
        "date": rate.date.isoformat(),
        "rate": _money(rate.rate),
        "source": rate.source,
    }


def _parse_rate(value: object) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _field_error("rate", _("Enter the rate as a decimal number."))
    try:
        rate = plain_decimal(value)
    except (InvalidOperation, ValueError):
        raise _field_error("rate", _("Enter the rate as a decimal number.")) from None
    if not rate.is_finite() or rate <= 0:
        raise _field_error("rate", _("A rate must be more than zero."))
    if (
        rate > MAX_RATE
        or rate != rate.quantize(Decimal("1e-10"))
        or len(rate.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS
    ):
        raise _field_error(
            "rate", _("Enter at most 15 digits, no more than 10 of them after the point.")
        )
    return rate


def _clean_rate(
    partnership: Partnership, currency: object, on: object, rate: object
) -> tuple[str, date, Decimal]:
    code = check_currency(currency)
    if code == partnership.base_currency:
        raise _field_error("currency", _("The base currency needs no rate."))
    return code, _date(on, "date"), _parse_rate(rate)


def _put_rate(
    actor: User, partnership: Partnership, currency: str, day: date, value: Decimal, source: str
) -> ExchangeRate:
    existing = ExchangeRate.objects.filter(
        partnership=partnership, currency=currency, date=day
    ).first()
    if existing is not None:
        used = (
            Transaction.objects.filter(
                partnership=partnership, currency=currency, rate_date=day
            ).exists()
            or Pledge.objects.filter(
                partnership=partnership, currency=currency, rate_date=day
            ).exists()
        )
        if used and existing.rate != value:
            raise Conflict(
                _("This rate is already used by recorded figures and cannot change."), "rate"
            )
        rate = existing
        rate.rate, rate.source, rate.entered_by = value, source, actor
    else:
        rate = ExchangeRate(
            partnership=partnership,
            currency=currency,
            date=day,
            rate=value,
            source=source,
            entered_by=actor,
        )
    rate.partnership = partnership
    rate.save()
    _log(rate, "finance.rate.set", rate_payload(rate), partnership, actor)
    return rate


def set_rate(
    *,
    actor: User,
    partnership: Partnership,
    currency: object,
    date: object,
    rate: object,
    source: object = "",
) -> ExchangeRate:
    """Set the rate of `currency` on `date` (units of base currency per unit).

    Coordinators only. Setting a rate again for the same day replaces it unless a recorded
    pledge or transaction already used it (then Conflict: recorded figures never change).
    """
    _require(policy.can_manage_finance(actor, partnership))
    code, day, value = _clean_rate(partnership, currency, date, rate)
    text = _text(source, "source", 200)
    with transaction.atomic():
        hold()  # the "already used" check and the write see no concurrent recording
        _still_there(partnership)
        return _put_rate(actor, partnership, code, day, value, text)


RATE_COLUMNS = ("currency", "date", "rate")
MAX_RATE_ROWS = 10_000


def import_rates_csv(
    *, actor: User, partnership: Partnership, data: bytes | str, source: str = ""
) -> list[ExchangeRate]:
    """Import rates from CSV with columns `currency,date,rate` (and optionally `source`).

    All or nothing: any bad row raises a ValidationError on `file` listing every bad row
    by number ("Row 3: …"), and nothing is written.
    """
    _require(policy.can_manage_finance(actor, partnership))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _field_error("file", _("The file is not UTF-8 text (CSV).")) from None
    # Universal newlines: a file whose lines end in a bare CR (older Mac exports) reads too.
    reader = csv.DictReader(io.StringIO(data, newline=None), strict=True)
    try:
        return _import_rates(actor, partnership, reader, source)
    except csv.Error as error:
        # reader.line_num + 1: the line being read
        raise _field_error("file", csv_unreadable(error, reader.line_num + 1)) from None


def _import_rates(
    actor: User, partnership: Partnership, reader: csv.DictReader, source: str
) -> list[ExchangeRate]:
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:  # the last would win without a word
        raise _field_error(
            "file",
            _("The column %(columns)s appears more than once; keep one.")
            % {"columns": ", ".join(repeated)},
        )
    missing = [column for column in RATE_COLUMNS if column not in header]
    if missing:
        raise _field_error(
            "file",
            _("The file needs the columns %(columns)s.") % {"columns": ", ".join(RATE_COLUMNS)},
        )
    reader.fieldnames = header
    cleaned: list[tuple[int, str, date, Decimal, str]] = []
    errors: list[str] = []
    seen: set[tuple[str, date]] = set()
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_RATE_ROWS:
            errors.append(_("Import at most %(n)d rates at a time.") % {"n": MAX_RATE_ROWS})
            break
        try:
            ambiguous = grouped_in_file(row.get("rate"))
            if ambiguous:
                raise _field_error("rate", ambiguous)
            code, day, value = _clean_rate(
                partnership, row.get("currency"), row.get("date"), row.get("rate")
            )
            text = _text(row.get("source") or source, "source", 200)
        except ValidationError as error:
            messages = [m for ms in error.message_dict.values() for m in ms]
            errors.append(
                _("Row %(row)d: %(error)s") % {"row": number, "error": " ".join(messages)}
            )
            continue
        if (code, day) in seen:
            errors.append(
                _("Row %(row)d: %(error)s")
                % {"row": number, "error": _("There is already a rate for this currency and date.")}
            )
            continue
        seen.add((code, day))
        cleaned.append((number, code, day, value, text))
    if not errors and not cleaned:
        errors.append(_("The file has no rates."))
    if errors:
        raise ValidationError({"file": errors})
    with transaction.atomic():
        hold()
        rates = []
        for number, *row in cleaned:
            try:
                rates.append(_put_rate(actor, partnership, *row))
            except Conflict as conflict:  # a rate already used by recorded figures
                errors.append(
                    _("Row %(row)d: %(error)s") % {"row": number, "error": conflict.message}
                )
        if errors:  # nothing of the file is kept
            raise ValidationError({"file": errors})
        return rates


# ---------------------------------------------------------------- budgets


def _check_work_package(partnership: Partnership, work_package: WorkPackage | None) -> None:
    if work_package is not None and work_package.partnership_id != partnership.pk:
        raise _field_error("work_package", _("Choose a work package of this partnership."))


def _activity_id(fields: dict[str, Any], field: str) -> str:
    value = _text(fields.get(field), field, 150)
    check_activity_identifier(value, field)
    return value


def _budget_amount(partnership: Partnership, amount: object, field: str = "amount") -> Decimal:
    """A budget or threshold amount in the base currency; zero is allowed here."""
    if isinstance(amount, (int, Decimal, str)) and not isinstance(amount, bool):
        try:
            number = plain_decimal(amount)  # written as the API takes numbers: not "0_0"
        except InvalidOperation:
            number = None
        if number == 0:
            return Decimal(0)
        if number is not None and number < 0:
            # parse_amount would say "more than zero", but zero is fine here
            raise _field_error(field, _("The amount cannot be negative."))
    return parse_amount(amount, partnership.base_currency, field=field)


def budget_payload(line: BudgetLine, revision: BudgetRevision) -> dict[str, Any]:
    return {
        "line": line.pk,
        "revision": revision.number,
        "title": line.title,
        "work_package": line.work_package.code if line.work_package_id else None,
        "period_start": revision.period_start.isoformat(),
        "period_end": revision.period_end.isoformat(),
        "amount": _money(revision.amount),
        "currency": line.partnership.base_currency,
        "reason": revision.reason,
    }


def _add_revision(actor: User, line: BudgetLine, reason: str, kind: str) -> BudgetRevision:
    revision = BudgetRevision.objects.create(
        line=line,
        number=line.revision,
        amount=line.amount,
        period_start=line.period_start,
        period_end=line.period_end,
        reason=reason,
        actor=actor,
    )
    _log(revision, kind, budget_payload(line, revision), line.partnership, actor)
    return revision


def create_budget_line(
    *,
    actor: User,
    partnership: Partnership,
    title: object,
    amount: object,
    period_start: object,
    period_end: object,
    work_package: WorkPackage | None = None,
    reason: object = "",
) -> BudgetLine:
    """Add a budget line (IATI original budget) in the base currency. Coordinators only."""
    _require(policy.can_manage_finance(actor, partnership))
    name = _text(title, "title", 200)
    if not name:
        raise _field_error("title", _("This field is required."))
    value = _budget_amount(partnership, amount)
    first, last = _period(period_start, period_end)
    _check_work_package(partnership, work_package)
    note = _text(reason, "reason", 500)
    with transaction.atomic():
        hold()  # the ledger's lock first, as every other finance write takes it
        _still_there(partnership)
        if work_package is not None and not WorkPackage.objects.filter(pk=work_package.pk).exists():
            raise _field_error("work_package", _("Choose a work package of this partnership."))
        line = BudgetLine.objects.create(
            partnership=partnership,
            work_package=work_package,
            title=name,
            amount=value,
            period_start=first,
            period_end=last,
        )
        _add_revision(actor, line, note, "finance.budget.created")
    return line


_UNCHANGED: Any = object()


def revise_budget_line(
    *,
    actor: User,
    line: BudgetLine,
    reason: object,
    amount: object = None,
    period_start: object = None,
    period_end: object = None,
    title: object = None,
    work_package: Any = _UNCHANGED,
    sent: Sequence[str] = (),
) -> BudgetLine:
    """Revise a budget line (IATI revised budget); the reason is required and the previous
    figures stay in the line's history. Coordinators only. A revision that changes nothing
    is refused, on the first of `sent` (the fields a request named, where null stands for
    "unchanged") or else the first field given."""
    partnership = line.partnership
    _require(policy.can_manage_finance(actor, partnership))
    note = _reason(reason)
    with transaction.atomic():
        hold()
        line = BudgetLine.objects.select_for_update(no_key=True, of=("self",)).get(pk=line.pk)
        revised = ("title", "amount", "period_start", "period_end", "work_package_id")
        before = [getattr(line, name) for name in revised]
        if title is not None:
            line.title = _text(title, "title", 200)
            if not line.title:
                raise _field_error("title", _("This field is required."))
        if amount is not None:
            line.amount = _budget_amount(partnership, amount)
        first, last = _period(
            line.period_start if period_start is None else period_start,
            line.period_end if period_end is None else period_end,
        )
        line.period_start, line.period_end = first, last
        if work_package is not _UNCHANGED:
            _check_work_package(partnership, work_package)
            line.work_package = work_package
        if [getattr(line, name) for name in revised] == before:
            # A revision that revises nothing would only repeat the figures on the ledger.
            asked = [
                name
                for name, value in (
                    ("amount", amount),
                    ("period_start", period_start),
                    ("period_end", period_end),
                    ("title", title),
                    ("work_package", None if work_package is _UNCHANGED else work_package),
                )
                if value is not None
            ]
            named = [name for name in sent if name != "reason"] or asked or ["amount"]
            raise _field_error(named[0], _("Nothing was changed."))
        line.revision += 1
        line.save()
        _add_revision(actor, line, note, "finance.budget.revised")
    return line


# ---------------------------------------------------------------- pledges


def pledge_payload(pledge: Pledge) -> dict[str, Any]:
    return {
        "pledge": pledge.pk,
        "organisation": pledge.organisation_id,
        "organisation_ref": pledge.organisation.iati_identifier or None,
        "kind": pledge.kind,
        "amount": _money(pledge.amount),
        "currency": pledge.currency,
        "quantity": _money(pledge.quantity) if pledge.quantity is not None else None,
        "unit": pledge.unit or None,
        "unit_rate": _money(pledge.unit_rate) if pledge.unit_rate is not None else None,
        "rate": _money(pledge.rate),
        "rate_date": pledge.rate_date.isoformat() if pledge.rate_date else None,
        "base_amount": _money(pledge.base_amount),
        "base_currency": pledge.partnership.base_currency,
        "pledged_on": pledge.pledged_on.isoformat(),
        "period_start": pledge.period_start.isoformat(),
        "period_end": pledge.period_end.isoformat(),
        "budget_line": pledge.budget_line_id,
        "description": pledge.description,
    }


def _valuation(
    kind: str, amount: object, currency: str, quantity: object, unit: object, unit_rate: object
) -> tuple[Decimal, Decimal | None, str, Decimal | None]:
    """The pledge amount and, for in-kind, its valuation basis (quantity times value per unit)."""
    unit_text = _text(unit, "unit", 50)
    has_basis = quantity not in (None, "") or unit_rate not in (None, "")
    if kind == ResourceKind.CASH:
        if has_basis:
            raise _field_error("quantity", _("A cash pledge has no valuation basis."))
        return parse_amount(amount, currency), None, "", None
    if not has_basis:
        if amount in (None, ""):
            raise _field_error(
                "amount", _("Give the value, or the quantity and the value per unit.")
            )
        return parse_amount(amount, currency), None, unit_text, None
    count = _quantity(quantity)
    each = parse_amount(unit_rate, currency, field="unit_rate")
    if not unit_text:
        raise _field_error("unit", _("Name the unit, e.g. person-days."))
    with localcontext() as context:
        context.prec = EXACT_DIGITS  # 10^16 x 10^16 must not overflow into an error
        value = quantize(count * each, currency)
    if value <= 0:
        raise _field_error(
            "quantity",
            _("The quantity times the value per unit rounds to nothing in %(currency)s.")
            % {"currency": currency},
        )
    if value > MAX_AMOUNT:
        raise _field_error("amount", _("The amount is too large."))
    if amount not in (None, "") and parse_amount(amount, currency) != value:
        raise _field_error(
            "amount", _("The amount must equal the quantity times the value per unit.")
        )
    return value, count, unit_text, each


def _quantity(value: object) -> Decimal:
    """A positive quantity with at most 4 decimals (as CLF amounts have), or a field error
    that speaks of quantities, not of a currency."""
    try:
        return parse_amount(value, "CLF", field="quantity")
    except ValidationError as error:
        if any("CLF" in message for message in error.messages):
            raise _field_error(
                "quantity", _("A quantity has at most 4 digits after the point.")
            ) from None
        raise


def record_pledge(
    *,
    actor: User,
    partnership: Partnership,
    organisation: Organisation,
    kind: object = ResourceKind.CASH,
    amount: object = None,
    currency: object = None,
    pledged_on: object = None,
    period_start: object,
    period_end: object,
    quantity: object = None,
    unit: object = "",
    unit_rate: object = None,
    description: object = "",
    budget_line: BudgetLine | None = None,
) -> Pledge:
    """Record what a partner promises (cash or in kind) for a period.

    A partner admin records their own organisation's pledges, coordinators any partner's.
    The pledge is converted to the base currency at the rate in force on `pledged_on`
    (today when not given); a missing rate is a field error on `currency`.
    """
    _check_partner(partnership, organisation, "organisation")
    _require(policy.can_record_finance(actor, partnership, organisation))
    if kind not in ResourceKind.values:
        raise _field_error("kind", _("Choose a kind of resource."))
    code = check_currency(currency or partnership.base_currency)
    value, count, unit_text, each = _valuation(kind, amount, code, quantity, unit, unit_rate)
    day = _date(pledged_on, "pledged_on") if pledged_on else date.today()
    first, last = _period(period_start, period_end)
    _check_budget_line(partnership, budget_line)
    with transaction.atomic():
        hold()  # before the rate is read, as in record_transaction
        _still_there(partnership)
        # Again under the lock, which remove_partner takes too: an organisation taken out
        # since the check above would otherwise be left with an open pledge.
        _check_partner(partnership, organisation, "organisation")
        rate, rate_date = rate_for(partnership, code, day)
        pledge = Pledge(
            partnership=partnership,
            organisation=organisation,
            kind=kind,
            amount=value,
            currency=code,
            quantity=count,
            unit=unit_text,
            unit_rate=each,
            pledged_on=day,
            period_start=first,
            period_end=last,
            description=_text(description, "description", 500),
            budget_line=budget_line,
            rate=rate,
            rate_date=rate_date,
            base_amount=check_storable(
                convert(value, rate, partnership.base_currency), partnership.base_currency
            ),
            created_by=actor,
        )
        pledge.save()
        _log(pledge, "finance.pledge.recorded", pledge_payload(pledge), partnership, actor)
    return pledge


def _set_pledge_status(actor: User, pledge: Pledge, status: str, reason: str) -> None:
    change = PledgeStatusChange.objects.create(
        pledge=pledge, from_status=pledge.status, to_status=status, reason=reason, actor=actor
    )
    pledge.status = status
    Pledge.objects.filter(pk=pledge.pk).update(status=status)
    payload = {
        "pledge": pledge.pk,
        "from": change.from_status,
        "to": status,
        "reason": reason,
    }
    _log(change, "finance.pledge.status_changed", payload, pledge.partnership, actor)


def change_pledge_status(
    *, actor: User, pledge: Pledge, status: object, reason: object = ""
) -> Pledge:
    """Move a pledge on: pledged → committed → fulfilled, or cancelled before fulfilment.

    The pledging partner's admins and coordinators may do this; cancelling needs a reason.
    """
    partnership = pledge.partnership
    _require(policy.can_record_finance(actor, partnership, pledge.organisation))
    if status not in PledgeStatus.values:
        raise _field_error("status", _("Choose a status."))
    note = _reason(reason) if status == PledgeStatus.CANCELLED else _text(reason, "reason", 500)
    with transaction.atomic():
        hold()  # the ledger's lock first, as every other finance write takes it
        pledge = (
            Pledge.objects.select_for_update(no_key=True, of=("self",))
            .select_related("partnership")
            .get(pk=pledge.pk)
        )
        if status not in PLEDGE_TRANSITIONS[pledge.status]:
            raise Conflict(
                _("A pledge that is %(current)s cannot become %(next)s.")
                % {
                    "current": pledge.get_status_display().lower(),
                    "next": PledgeStatus(status).label.lower(),
                },
                "status",
            )
        _set_pledge_status(actor, pledge, status, note)
    return pledge


def delivered_in_pledge_currency(pledge: Pledge, tx: Transaction) -> Decimal:
    """What `tx` delivers towards `pledge`, in the pledge's currency: its own amount when
    the currencies match, else its base amount at the pledge's rate."""
    if tx.currency == pledge.currency:
        return tx.amount
    return convert_back(tx.base_amount, pledge.rate, pledge.currency)


def _deliver(actor: User, pledge_id: int, tx: Transaction, sign: int) -> None:
    """Keep the pledge's delivered total with a linked flow transaction that starts (1) or
    stops (-1) counting. A pledge whose delivery starts, or that an incoming commitment
    confirms, becomes committed; one delivered in full becomes fulfilled. When a reversal
    takes away the last commitment or delivery that made a pledge committed on its own, it
    is pledged again."""
    pledge = (
        Pledge.objects.select_for_update(no_key=True, of=("self",))
        .select_related("partnership")
        .get(pk=pledge_id)
    )
    if tx.transaction_type == TransactionType.INCOMING_COMMITMENT:
        if sign > 0 and tx.amount > 0 and pledge.status == PledgeStatus.PLEDGED:
            _set_pledge_status(actor, pledge, PledgeStatus.COMMITTED, "incoming_commitment")
        elif tx.amount * sign < 0 and pledge.status == PledgeStatus.COMMITTED and _unbacked(pledge):
            _set_pledge_status(actor, pledge, PledgeStatus.PLEDGED, "commitment_reversed")
        return
    if tx.transaction_type not in FLOW_TYPES:
        return
    pledge.delivered += delivered_in_pledge_currency(pledge, tx) * sign
    pledge.delivered_base += tx.base_amount * sign
    # Fulfilment is judged in the pledge's own currency: a USD pledge paid in full in USD
    # is fulfilled whatever the rupiah did between the pledge and the payment.
    pledge.delivered_on = (
        _delivered_in_full_on(pledge) if pledge.delivered >= pledge.amount else None
    )
    Pledge.objects.filter(pk=pledge.pk).update(
        delivered=pledge.delivered,
        delivered_base=pledge.delivered_base,
        delivered_on=pledge.delivered_on,
    )
    if sign > 0 and tx.amount > 0 and pledge.status == PledgeStatus.PLEDGED:
        _set_pledge_status(actor, pledge, PledgeStatus.COMMITTED, "delivery_started")
    if pledge.delivered_on is not None:
        if pledge.status == PledgeStatus.COMMITTED:
            _set_pledge_status(actor, pledge, PledgeStatus.FULFILLED, "delivered_in_full")
    elif pledge.status in (PledgeStatus.COMMITTED, PledgeStatus.FULFILLED):
        # A delivery was reversed: no longer delivered in full, and pledged again when
        # nothing else backs it.
        if tx.amount * sign < 0 and _unbacked(pledge):
            _set_pledge_status(actor, pledge, PledgeStatus.PLEDGED, "delivery_reversed")
        elif pledge.status == PledgeStatus.FULFILLED:
            _set_pledge_status(actor, pledge, PledgeStatus.COMMITTED, "delivery_reversed")


def _delivered_in_full_on(pledge: Pledge) -> date | None:
    """The value date from which the pledge's linked deliveries, added up in value-date
    order, stay at or above its amount (None while they fall short): the day the last
    missing part arrived, whatever order the movements were recorded in."""
    reached: date | None = None
    running = Decimal(0)
    linked = Transaction.objects.filter(
        pledge=pledge, transaction_type__in=FLOW_TYPES, status__in=COUNTING_STATUSES
    ).order_by("value_date", "pk")
    for day, movements in groupby(linked, key=lambda tx: tx.value_date):
        running += sum((delivered_in_pledge_currency(pledge, tx) for tx in movements), Decimal(0))
        if running < pledge.amount:
            reached = None
        elif reached is None:
            reached = day
    return reached


def _unbacked(pledge: Pledge) -> bool:
    """Whether nothing that counts backs the pledge's commitment any more (no delivery, no
    incoming commitment: all reversed) and it became committed on its own, by a commitment
    or a first delivery. One a person committed stays committed."""
    if pledge.delivered > 0:
        return False
    made = (
        pledge.status_changes.filter(
            from_status=PledgeStatus.PLEDGED, to_status=PledgeStatus.COMMITTED
        )
        .order_by("-at", "-pk")
        .first()
    )
    if made is None or made.reason not in ("incoming_commitment", "delivery_started"):
        return False
    backing = Transaction.objects.filter(
        pledge=pledge,
        transaction_type=TransactionType.INCOMING_COMMITMENT,
        status__in=COUNTING_STATUSES,
    ).aggregate(total=Sum("base_amount"))["total"]
    return backing is None or backing <= 0


# ---------------------------------------------------------------- transactions

TRANSACTION_FIELDS = (
    "transaction_type",
    "amount",
    "currency",
    "value_date",
    "kind",
    "provider_organisation",
    "provider_name",
    "provider_activity_id",
    "receiver_organisation",
    "receiver_name",
    "receiver_activity_id",
    "description",
    "budget_line",
    "pledge",
)


def books_of(
    transaction_type: str, provider: Organisation | None, receiver: Organisation | None
) -> Organisation | None:
    """The partner on whose books a transaction is: the receiver of incoming types (1, 11,
    13), the provider of outgoing ones (2, 3, 4, 12)."""
    return receiver if transaction_type in INCOMING_TYPES else provider


def transaction_payload(tx: Transaction) -> dict[str, Any]:
    """What goes on the ledger when a transaction is recorded; never changes afterwards."""
    return {
        "transaction": tx.pk,
        "type": tx.transaction_type,
        "kind": tx.kind,
        "amount": _money(tx.amount),
        "currency": tx.currency,
        "rate": _money(tx.rate),
        "rate_date": tx.rate_date.isoformat() if tx.rate_date else None,
        "base_amount": _money(tx.base_amount),
        "base_currency": tx.partnership.base_currency,
        "value_date": tx.value_date.isoformat(),
        "provider": _org_ref(tx.provider_organisation, tx.provider_name, tx.provider_activity_id),
        "receiver": _org_ref(tx.receiver_organisation, tx.receiver_name, tx.receiver_activity_id),
        "books": tx.organisation_id,
        "budget_line": tx.budget_line_id,
        "pledge": tx.pledge_id,
        "description": tx.description,
        "needs_approval": tx.status == TransactionStatus.PENDING,
        "reverses": tx.reverses_id,
        "corrects": tx.corrects_id,
        "reason": tx.reason or None,
    }


@dataclass
class Lookups:
    """Per-partnership lookups for validating many rows without a query per row."""

    partners: dict[int, Organisation]
    budget_lines: dict[int, BudgetLine]
    pledges: dict[int, Pledge]
    rates: dict[str, list[tuple[date, Decimal]]]
    rule: ApprovalRule | None
    # Per pledge named so far, the side its deliveries are recorded on: "incoming" (funds
    # its receivers record) or "outgoing" (the pledging partner's disbursements, spending).
    pledge_sides: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, partnership: Partnership) -> Lookups:
        partner_ids = partnership.participations.values_list("organisation_id", flat=True)
        rates: dict[str, list[tuple[date, Decimal]]] = {}
        for currency, day, rate in (
            ExchangeRate.objects.filter(partnership=partnership)
            .order_by("currency", "date")
            .values_list("currency", "date", "rate")
        ):
            rates.setdefault(currency, []).append((day, rate))
        return cls(
            partners={o.pk: o for o in Organisation.objects.filter(pk__in=list(partner_ids))},
            budget_lines={b.pk: b for b in partnership.budget_lines.all()},
            pledges={p.pk: p for p in partnership.pledges.all()},
            rates=rates,
            rule=ApprovalRule.objects.filter(partnership=partnership).first(),
        )

    def rate(
        self, partnership: Partnership, currency: str, on: date
    ) -> tuple[Decimal, date | None]:
        if currency == partnership.base_currency:
            return ONE, None
        found = None
        for day, rate in self.rates.get(currency, ()):
            if day > on:
                break
            found = (rate, day)
        if found is None:
            return rate_for(partnership, currency, on)  # raises the field error
        return found


def _side(transaction_type: str) -> str:
    return "incoming" if transaction_type == TransactionType.INCOMING_FUNDS else "outgoing"


def _pledge_sides(pledge: Pledge) -> set[str]:
    """The sides the pledge is delivered on: its linked movements not rejected whose
    amounts (reversals included) do not cancel out. Read when a movement names the
    pledge, so recording one without a pledge costs nothing."""
    sides: set[str] = set()
    for transaction_type, total in (
        Transaction.objects.filter(pledge=pledge, transaction_type__in=FLOW_TYPES)
        .exclude(status=TransactionStatus.REJECTED)
        .values_list("transaction_type")
        .annotate(total=Sum("base_amount"))
        .order_by()
    ):
        if total:
            sides.add(_side(transaction_type))
    return sides


def _organisation(value: Any, lookups: Lookups, field: str) -> Organisation | None:
    if value in (None, ""):
        return None
    key = value.pk if isinstance(value, Organisation) else value
    try:
        return lookups.partners[int(key)]
    except (KeyError, TypeError, ValueError):
        if isinstance(value, Organisation):
            return value  # not a partner: only allowed as the outside party
        raise _field_error(field, _("Choose an organisation that is a partner.")) from None


def build_transaction(
    *, actor: User, partnership: Partnership, lookups: Lookups | None = None, **fields: Any
) -> Transaction:
    """Validate one transaction and return it unsaved, converted and with its status.

    Raises ValidationError with field errors, or PermissionDenied when `actor` may not
    record on the books of the partner concerned. Used by `record_transaction` and by the
    spreadsheet import's preview (which passes `lookups` to avoid a query per row).
    """
    unknown = set(fields) - set(TRANSACTION_FIELDS)
    if unknown:
        raise _field_error(sorted(unknown)[0], _("Unknown field."))
    lookups = lookups or Lookups.load(partnership)
    kind_of = str(fields.get("transaction_type") or "").strip()
    if kind_of not in TYPE_CODES:
        raise _field_error("transaction_type", _("Choose an IATI transaction type."))
    code = check_currency(fields.get("currency") or partnership.base_currency)
    amount = parse_amount(fields.get("amount"), code)
    value_date = _date(fields.get("value_date"), "value_date")
    if value_date > latest_past_date():
        # The IATI Standard: a transaction's date "must not be in the future". What is
        # planned goes in a budget line or a pledge.
        raise _field_error(
            "value_date",
            _(
                "A transaction is recorded once it has happened: its date cannot be after "
                "today. Plan future amounts in the budget or as a pledge."
            ),
        )
    provider = _organisation(fields.get("provider_organisation"), lookups, "provider_organisation")
    receiver = _organisation(fields.get("receiver_organisation"), lookups, "receiver_organisation")
    provider_name = _text(fields.get("provider_name"), "provider_name", 200)
    receiver_name = _text(fields.get("receiver_name"), "receiver_name", 200)
    if provider is None and not provider_name:
        raise _field_error("provider_organisation", _("Name the provider."))
    if receiver is None and not receiver_name:
        raise _field_error("receiver_organisation", _("Name the receiver."))
    both = _("Choose a partner or type a name, not both.")
    if provider is not None and provider_name:  # one of the two would be dropped
        raise _field_error("provider_name", both)
    if receiver is not None and receiver_name:
        raise _field_error("receiver_name", both)
    same_org = provider is not None and provider == receiver
    same_name = (
        provider is None
        and receiver is None
        and provider_name.casefold() == receiver_name.casefold()
    )
    if same_org or same_name:
        raise _field_error(
            "receiver_organisation", _("The provider and the receiver must be different.")
        )
    books = books_of(kind_of, provider, receiver)
    if books is None or books.pk not in lookups.partners:
        field = "receiver_organisation" if kind_of in INCOMING_TYPES else "provider_organisation"
        raise _field_error(
            field,
            _("The receiver of incoming money must be a partner.")
            if kind_of in INCOMING_TYPES
            else _("The provider of outgoing money must be a partner."),
        )
    if not policy.can_record_finance(actor, partnership, books):
        raise PermissionDenied(_("You may record only your own organisation's transactions."))
    line = fields.get("budget_line")
    if line not in (None, ""):
        key = line.pk if isinstance(line, BudgetLine) else line
        try:
            line = lookups.budget_lines[int(key)]
        except (KeyError, TypeError, ValueError):
            raise _field_error(
                "budget_line", _("Choose a budget line of this partnership.")
            ) from None
    else:
        line = None
    pledge = fields.get("pledge")
    kind = fields.get("kind") or ResourceKind.CASH
    if kind not in KIND_CODES:  # checked even when a pledge then decides the kind
        raise _field_error("kind", _("Choose a kind of resource."))
    if pledge not in (None, ""):
        key = pledge.pk if isinstance(pledge, Pledge) else pledge
        try:
            pledge = lookups.pledges[int(key)]
        except (KeyError, TypeError, ValueError):
            raise _field_error("pledge", _("Choose a pledge of this partnership.")) from None
        if provider is None or pledge.organisation_id != provider.pk:
            raise _field_error("pledge", _("The pledge must be the provider's own."))
        if pledge.status == PledgeStatus.CANCELLED:
            raise _field_error("pledge", _("This pledge was cancelled."))
        if kind_of in FLOW_TYPES:
            _one_side(lookups, pledge, kind_of)
        kind = pledge.kind  # what a pledge delivers is of the pledge's kind
    else:
        pledge = None
    rate, rate_date = lookups.rate(partnership, code, value_date)
    tx = Transaction(
        partnership=partnership,
        transaction_type=kind_of,
        kind=kind,
        provider_organisation=provider,
        provider_name="" if provider else provider_name,
        provider_activity_id=_activity_id(fields, "provider_activity_id"),
        receiver_organisation=receiver,
        receiver_name="" if receiver else receiver_name,
        receiver_activity_id=_activity_id(fields, "receiver_activity_id"),
        value_date=value_date,
        amount=amount,
        currency=code,
        rate=rate,
        rate_date=rate_date,
        base_amount=check_storable(
            convert(amount, rate, partnership.base_currency), partnership.base_currency
        ),
        description=_text(fields.get("description"), "description", 500),
        budget_line=line,
        pledge=pledge,
        organisation=books,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    tx.status = _initial_status(tx, lookups.rule)
    return tx


def _still_there(partnership: Partnership) -> None:
    """Under the ledger's lock, which deleting a partnership takes too: a partnership
    deleted while this write waited is not found (404), rather than a foreign-key error."""
    if not Partnership.objects.filter(pk=partnership.pk).exists():
        raise Http404("No such partnership.")


def _one_side(lookups: Lookups, pledge: Pledge, transaction_type: str) -> None:
    """Count a pledge's money once: the movement that delivers it is recorded by the
    pledging partner (a disbursement or expenditure) or by whoever receives it (incoming
    funds), and both records of the same money must not deliver the pledge twice. The
    first side linked decides; a movement of the other side is refused on `pledge`."""
    side = _side(transaction_type)
    if pledge.pk not in lookups.pledge_sides:
        lookups.pledge_sides[pledge.pk] = _pledge_sides(pledge)
    sides = lookups.pledge_sides[pledge.pk]
    if sides and side not in sides:
        if side == "incoming":
            message = _(
                "This pledge is delivered by its partner's own disbursements and "
                "expenditure; record these incoming funds without the pledge, so the "
                "money is counted once."
            )
        else:
            message = _(
                "This pledge is delivered by the incoming funds its receivers record; "
                "record this movement without the pledge, so the money is counted once."
            )
        raise _field_error("pledge", message)
    sides.add(side)


def _initial_status(tx: Transaction, rule: ApprovalRule | None) -> str:
    """Expenditures above the partnership's threshold wait for approval."""
    if (
        tx.transaction_type == TransactionType.EXPENDITURE
        and rule is not None
        and tx.base_amount > rule.threshold
    ):
        return TransactionStatus.PENDING
    return TransactionStatus.RECORDED


def _save_transaction(actor: User, tx: Transaction, kind: str = "finance.transaction.recorded"):
    tx.save()
    _log(tx, kind, transaction_payload(tx), tx.partnership, actor)
    if tx.counts:
        _start_counting(actor, tx, 1)


def _start_counting(actor: User, tx: Transaction, sign: int) -> None:
    rollups.add(tx, sign)
    if tx.pledge_id:
        _deliver(actor, tx.pledge_id, tx, sign)


def record_transaction(*, actor: User, partnership: Partnership, **fields: Any) -> Transaction:
    """Record one IATI transaction (fields: see TRANSACTION_FIELDS).

    Provider and receiver are partner organisations or, for outside parties, names; the
    partner on whose books it is (see `books_of`) must be one the actor may record for.
    Amounts are converted at the partnership's rate in force on the value date. An
    expenditure above the approval threshold is saved as awaiting approval and does not
    count until approved. A linked pledge's delivered total follows.
    """
    with transaction.atomic():
        # The ledger's lock before the rate is read: a rate replaced meanwhile is either
        # in place already or refused as used (set_rate takes the same lock).
        hold()
        _still_there(partnership)
        tx = build_transaction(actor=actor, partnership=partnership, **fields)
        _save_transaction(actor, tx)
    return tx


def _lock_for_correction(actor: User, tx: Transaction) -> Transaction:
    hold()  # the ledger's lock first, as every other finance write takes it
    tx = (
        Transaction.objects.select_for_update(no_key=True, of=("self",))
        .select_related("partnership", "organisation")
        .get(pk=tx.pk)
    )
    _require(policy.can_record_finance(actor, tx.partnership, tx.organisation))
    if tx.is_reversal:
        raise Conflict(_("A reversal cannot itself be corrected."), "transaction")
    if Transaction.objects.filter(reverses=tx).exists():
        raise Conflict(_("This transaction has already been reversed."), "transaction")
    if tx.status == TransactionStatus.APPROVED:
        raise Conflict(_("An approved expenditure is locked."), "transaction")
    if tx.status == TransactionStatus.PENDING:
        raise Conflict(
            _("This expenditure awaits approval; it can be corrected once decided."),
            "transaction",
        )
    return tx


def _reverse(actor: User, tx: Transaction, reason: str) -> Transaction:
    reversal = Transaction(
        partnership=tx.partnership,
        transaction_type=tx.transaction_type,
        kind=tx.kind,
        provider_organisation=tx.provider_organisation,
        provider_name=tx.provider_name,
        provider_activity_id=tx.provider_activity_id,
        receiver_organisation=tx.receiver_organisation,
        receiver_name=tx.receiver_name,
        receiver_activity_id=tx.receiver_activity_id,
        value_date=tx.value_date,
        amount=-tx.amount,
        currency=tx.currency,
        rate=tx.rate,
        rate_date=tx.rate_date,
        base_amount=-tx.base_amount,
        description=tx.description,
        budget_line=tx.budget_line,
        pledge=tx.pledge,
        organisation=tx.organisation,
        recorded_by=actor,
        reverses=tx,
        reason=reason,
        status=TransactionStatus.RECORDED if tx.counts else TransactionStatus.REJECTED,
    )
    _save_transaction(actor, reversal, "finance.transaction.reversed")
    return reversal


def reverse_transaction(*, actor: User, transaction: Transaction, reason: object) -> Transaction:
    """Cancel a transaction with a reversal (same movement, opposite amount) and a reason.

    Its own recorders and coordinators may do this. Approved or pending expenditures are
    locked; a transaction is reversed at most once. Returns the reversal.
    """
    note = _reason(reason)
    try:
        with _atomic():
            tx = _lock_for_correction(actor, transaction)
            return _reverse(actor, tx, note)
    except IntegrityError:
        raise Conflict(_("This transaction has already been reversed."), "transaction") from None


# Compared between a transaction and its would-be replacement ("Nothing was changed").
CORRECTABLE_FIELDS = (
    "transaction_type",
    "kind",
    "amount",
    "currency",
    "value_date",
    "provider_organisation_id",
    "provider_name",
    "provider_activity_id",
    "receiver_organisation_id",
    "receiver_name",
    "receiver_activity_id",
    "description",
    "budget_line_id",
    "pledge_id",
)


def correct_transaction(
    *, actor: User, transaction: Transaction, reason: object, **changes: Any
) -> tuple[Transaction, Transaction]:
    """Correct a transaction: reverse it and record the replacement in one step.

    `changes` are the fields that differ (see TRANSACTION_FIELDS); the rest are copied.
    The replacement is converted afresh and goes through approval like any new
    expenditure. Returns (reversal, replacement).
    """
    note = _reason(reason)
    current = transaction
    fields = {
        "transaction_type": current.transaction_type,
        "amount": current.amount,
        "currency": current.currency,
        "value_date": current.value_date,
        "kind": current.kind,
        "provider_organisation": current.provider_organisation,
        "provider_name": current.provider_name,
        "provider_activity_id": current.provider_activity_id,
        "receiver_organisation": current.receiver_organisation,
        "receiver_name": current.receiver_name,
        "receiver_activity_id": current.receiver_activity_id,
        "description": current.description,
        "budget_line": current.budget_line,
        "pledge": current.pledge,
    }
    unknown = set(changes) - set(TRANSACTION_FIELDS)
    if unknown:
        raise _field_error(sorted(unknown)[0], _("Unknown field."))
    # A side changed to a partner drops the outside name it had. (A name sent for a side
    # that has a partner is "a partner and a name", refused in build_transaction: to name
    # an outside party instead, send the partner as null with the name.)
    for side in ("provider", "receiver"):
        if changes.get(f"{side}_organisation") and f"{side}_name" not in changes:
            fields[f"{side}_name"] = ""
    fields.update(changes)
    try:
        with _atomic():
            tx = _lock_for_correction(actor, current)  # the ledger's lock, then the rate
            replacement = build_transaction(actor=actor, partnership=tx.partnership, **fields)
            compared = (*CORRECTABLE_FIELDS, "rate", "base_amount")
            if all(getattr(replacement, name) == getattr(current, name) for name in compared):
                field = sorted(changes)[0] if changes else "amount"
                raise _field_error(field, _("Nothing was changed."))
            reversal = _reverse(actor, tx, note)
            replacement.corrects = tx
            replacement.reason = note
            _save_transaction(actor, replacement)
    except IntegrityError:
        raise Conflict(_("This transaction has already been reversed."), "transaction") from None
    return reversal, replacement


def attach_document(
    *, actor: User, transaction: Transaction, uploaded_file: UploadedFile
) -> TransactionDocument:
    """Attach an evidence document; its SHA-256 goes on the ledger with the transaction id."""
    tx = transaction
    _require(policy.can_record_finance(actor, tx.partnership, tx.organisation))
    if uploaded_file.size is None or uploaded_file.size == 0:
        raise _field_error("file", _("The file is empty."))
    if uploaded_file.size > MAX_DOCUMENT_BYTES:
        raise _field_error("file", _("A document can be at most 20 MB."))
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    name = kept_name(uploaded_file.name, "document")
    document = TransactionDocument(
        transaction=tx,
        name=name,
        content_type=(uploaded_file.content_type or "")[:100],
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    with _atomic():
        document.file.save(document.sha256, uploaded_file, save=False)
        document.save()
        # The file's name stays off the public log (it may name people); its hash is enough.
        payload = {
            "transaction": tx.pk,
            "document": document.pk,
            "size": document.size,
            "sha256": document.sha256,
        }
        _log(document, "finance.document.attached", payload, tx.partnership, actor)
    return document


# ---------------------------------------------------------------- approvals


def set_approval_rule(
    *,
    actor: User,
    partnership: Partnership,
    threshold: object,
    required: object = 1,
    approver_organisations: Iterable[Organisation] = (),
) -> ApprovalRule:
    """Set the rule: expenditures above `threshold` (base currency) need `required`
    approvals — from coordinators, or from that many of `approver_organisations`."""
    _require(policy.can_manage_finance(actor, partnership))
    limit = _budget_amount(partnership, threshold, "threshold")
    try:
        count = int(str(required).strip())
    except (TypeError, ValueError):
        raise _field_error("required", _("Enter a whole number.")) from None
    if count < 1:
        raise _field_error("required", _("At least one approval is needed."))
    approvers = list(approver_organisations)
    if approvers and count > len(approvers):
        raise _field_error(
            "required", _("More approvals are needed than there are approving partners.")
        )
    if count > 50:
        raise _field_error("required", _("At most 50 approvals can be required."))
    if not approvers:
        coordinators = Membership.objects.filter(
            partnership=partnership, role=MemberRole.COORDINATOR
        ).count()
        if count > coordinators:
            # Each coordinator approves once: the rule could never be met.
            raise _field_error(
                "required",
                _(
                    "More approvals are needed than the partnership has coordinators "
                    "(%(n)s); name the approving partners, or ask for fewer."
                )
                % {"n": coordinators},
            )
    with transaction.atomic():
        # The ledger's lock before the partners are checked, as remove_partner takes it
        # before refusing to take out an approving partner.
        hold()
        for organisation in approvers:
            _check_partner(partnership, organisation, "approver_organisations")
        rule, _created = ApprovalRule.objects.update_or_create(
            partnership=partnership, defaults={"threshold": limit, "required": count}
        )
        rule.approver_organisations.set(approvers)
        payload = {
            "threshold": _money(limit),
            "currency": partnership.base_currency,
            "required": count,
            "approvers": sorted(o.pk for o in approvers),
        }
        _log(rule, "finance.approval_rule.set", payload, partnership, actor)
    return rule


def approver_ids(rule: ApprovalRule) -> set[int]:
    return set(rule.approver_organisations.values_list("pk", flat=True))


def decide(
    *, actor: User, transaction: Transaction, decision: object, reason: object = ""
) -> Approval:
    """Approve or reject an expenditure awaiting approval.

    The author can never decide on their own expenditure. Approvals count once per person
    (coordinators' rule) or once per approving partner; when enough have approved, the
    expenditure is approved, counts in the totals and is locked. One rejection (with a
    reason) rejects it.
    """
    partnership = transaction.partnership
    rule = ApprovalRule.objects.filter(partnership=partnership).first()
    if policy.can_approve_for(actor, partnership, approver_ids(rule) if rule else set()) is None:
        raise PermissionDenied(_("You are not an approver in this partnership."))
    if decision not in Decision.values:
        raise _field_error("decision", _("Choose approve or reject."))
    note = _reason(reason) if decision == Decision.REJECT else _text(reason, "reason", 500)
    with _atomic():
        hold()
        tx = (
            Transaction.objects.select_for_update(no_key=True, of=("self",))
            .select_related("partnership")
            .get(pk=transaction.pk)
        )
        rule = ApprovalRule.objects.filter(partnership=partnership).first()
        approvers = approver_ids(rule) if rule else set()
        counts_for = policy.can_approve_for(actor, partnership, approvers)
        if counts_for is None:
            raise PermissionDenied(_("You are not an approver in this partnership."))
        if tx.recorded_by_id == actor.pk:
            raise PermissionDenied(_("You cannot decide on an expenditure you recorded."))
        if tx.status != TransactionStatus.PENDING:
            raise Conflict(_("This expenditure is not awaiting approval."), "decision")
        earlier = list(tx.approvals.all())
        if any(a.person_id == actor.pk for a in earlier):
            raise Conflict(_("You have already decided on this expenditure."), "decision")
        if counts_for and any(a.organisation_id == counts_for for a in earlier):
            raise Conflict(
                _("Your organisation has already decided on this expenditure."), "decision"
            )
        approval = Approval.objects.create(
            transaction=tx,
            person=actor,
            organisation_id=counts_for or None,
            decision=decision,
            reason=note,
        )
        approved = sum(1 for a in earlier if a.decision == Decision.APPROVE) + (
            decision == Decision.APPROVE
        )
        needed = rule.required if rule else 1
        if decision == Decision.REJECT:
            tx.status = TransactionStatus.REJECTED
        elif approved >= needed:
            tx.status = TransactionStatus.APPROVED
        kind = (
            "finance.expenditure.rejected"
            if decision == Decision.REJECT
            else "finance.expenditure.approved"
        )
        payload = {
            "transaction": tx.pk,
            "approval": approval.pk,
            "organisation": approval.organisation_id,
            "reason": note,
            "approvals": approved,
            "required": needed,
            "status": tx.status,
        }
        _log(approval, kind, payload, partnership, actor)
        if tx.status != TransactionStatus.PENDING:
            Transaction.objects.filter(pk=tx.pk).update(status=tx.status)
            if tx.counts:
                _start_counting(actor, tx, 1)
    transaction.status = tx.status
    return approval


# ---------------------------------------------------------------- bulk


def record_transactions(
    *, actor: User, partnership: Partnership, rows: Sequence[Mapping[str, Any]]
) -> list[Transaction]:
    """Record many transactions at once, all or nothing.

    Every row is validated first (ValidationError on `rows` listing "Row N: …" for each
    bad row, nothing written); then the rows, their ledger entries (one `append_many`
    batch) and the totals are written in one database transaction.
    """
    with transaction.atomic():
        hold()  # before the rates are read, as in record_transaction
        lookups = Lookups.load(partnership)
        built: list[Transaction] = []
        errors: list[str] = []
        for number, row in enumerate(rows, start=1):
            try:
                built.append(
                    build_transaction(actor=actor, partnership=partnership, lookups=lookups, **row)
                )
            except (ValidationError, PermissionDenied) as error:
                errors.append(
                    _("Row %(row)d: %(error)s") % {"row": number, "error": describe(error)}
                )
        if errors:
            raise ValidationError({"rows": errors})
        return save_built(actor, partnership, built)


def describe(error: Exception) -> str:
    """One line for a row's error: "field: message; …"."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def save_built(
    actor: User, partnership: Partnership, built: list[Transaction]
) -> list[Transaction]:
    """Write validated transactions with their ledger entries and totals (caller's atomic).

    Rows go in with `bulk_create` (with the indices their entries will get), their
    entries in one `append_many` batch; totals and pledge deliveries are updated once per
    distinct key rather than once per row.
    """
    if not built:
        return []
    # The entries' indices are known before the rows go in: the head stays locked until
    # the caller commits, so the batch gets the next ones. Each row is written once,
    # with its index, rather than inserted and then updated.
    first = hold()
    for offset, tx in enumerate(built):
        tx.ledger_index = first + offset
    Transaction.objects.bulk_create(built, batch_size=2000)
    if built[0].pk is None:  # SQLite before RETURNING support, or an old backend
        raise RuntimeError("bulk_create did not return primary keys")
    indices = append_many(
        ("finance.transaction.recorded", transaction_payload(tx), partnership, actor)
        for tx in built
    )
    if indices != range(first, first + len(built)):
        raise LedgerError("the ledger moved while its head was held")
    _add_totals(actor, built)
    return built


def _add_totals(actor: User, built: list[Transaction]) -> None:
    """Fold many counting transactions into the totals: the existing rows of the keys
    touched are read in one query, new keys go in with one `bulk_create` and changed
    rows with one batched UPDATE (an import touches thousands of keys)."""
    from sinergi.finance.models import Rollup

    grouped: dict[tuple, Decimal] = {}
    counted: dict[tuple, int] = {}
    currency: dict[int, str] = {}
    for tx in built:
        if not tx.counts:
            continue
        key = (
            tx.partnership_id,
            rollups.month_of(tx.value_date),
            tx.transaction_type,
            tx.kind,
            tx.provider_organisation_id or 0,
            tx.budget_line_id or 0,
        )
        grouped[key] = grouped.get(key, Decimal(0)) + tx.base_amount
        counted[key] = counted.get(key, 0) + (-1 if tx.is_reversal else 1)
        currency.setdefault(tx.partnership_id, tx.partnership.base_currency)
        if tx.pledge_id:
            _deliver(actor, tx.pledge_id, tx, 1)
    if not grouped:
        return
    existing: dict[tuple, Rollup] = {}
    for row in Rollup.objects.filter(
        partnership_id__in=currency, month__in={key[1] for key in grouped}
    ).order_by():
        found = (
            row.partnership_id,
            row.month,
            row.transaction_type,
            row.kind,
            row.provider_id,
            row.budget_line_id,
        )
        if found in grouped:
            existing[found] = row
    added: list[Rollup] = []
    changed: list[tuple[Decimal, int, int]] = []
    for key, amount in grouped.items():
        row = existing.get(key)
        if row is None:
            row = Rollup(
                partnership_id=key[0],
                month=key[1],
                transaction_type=key[2],
                kind=key[3],
                provider_id=key[4],
                budget_line_id=key[5],
                amount=Decimal(0),
                count=0,
            )
            added.append(row)
        row.amount += amount
        row.count += counted[key]
        check_storable(row.amount, currency[key[0]], "rows")
        if row.pk is not None:
            changed.append((row.amount, row.count, row.pk))
    Rollup.objects.bulk_create(added, batch_size=2000)
    if changed:
        update_by_pk(Rollup, ["amount", "count"], [(pk, amount, n) for amount, n, pk in changed])


# Old private names of the payload functions (public now for `sinergi finance check`).
_rate_payload = rate_payload
_budget_payload = budget_payload
_pledge_payload = pledge_payload
_transaction_payload = transaction_payload
