"""Read paths for the finance pages, exports and API.

The overview answers the partners' questions from the maintained totals (`Rollup`), the
budget lines and the pledges: a handful of small reads whatever the number of
transactions. Nothing here sums over a partnership's transactions, except the count and
amount awaiting approval, read through the (partnership, status) index.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sinergi.core import sql, stored
from sinergi.finance.models import (
    Approval,
    BudgetLine,
    BudgetRevision,
    ExchangeRate,
    Pledge,
    PledgeStatus,
    PledgeStatusChange,
    ResourceKind,
    Rollup,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from sinergi.ledger import log
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Participation, Partnership

T = TypeVar("T")
ZERO = Decimal(0)
# Movements that spend: expenditure on goods and services (IATI 4). Disbursements (3) pass
# funds on to an implementer, usually another partner who then reports its expenditure:
# counting both would count the same rupiah twice, so disbursements are shown apart.
SPENDING_TYPES = frozenset({TransactionType.EXPENDITURE})
# Pledges counted as committed resources (the funding gap is budget minus committed).
COMMITTED_STATUSES = frozenset({PledgeStatus.COMMITTED, PledgeStatus.FULFILLED})
BURN_MONTHS = 3
CHART_MONTHS = 12


def _month_back(month: date, n: int) -> date:
    """The first day of the month `n` months before `month` (itself a first day)."""
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# ---------------------------------------------------------------- overview


@dataclass
class KindTotals:
    """Pledged, committed, received and spent for one kind of resource (or all)."""

    label: str
    key: str  # a ResourceKind value, "in_kind" (all in kind) or "total"
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    received: Decimal = ZERO
    spent: Decimal = ZERO
    is_total: bool = False


@dataclass
class PledgeTiming:
    """Where one pledge stands against its due date."""

    pledge: Pledge
    state: str  # "on_time", "late" or "open" (not due yet, not fully delivered)

    @property
    def label(self) -> str:
        return {"on_time": _("On time"), "late": _("Late"), "open": _("Not due yet")}[self.state]


@dataclass
class PartnerFulfilment:
    """One partner's pledges against what it delivered (base currency)."""

    organisation: Organisation
    pledged: Decimal = ZERO
    delivered: Decimal = ZERO
    on_time: int = 0
    late: int = 0
    open: int = 0

    @property
    def share(self) -> Decimal | None:
        """Delivered as a percentage of pledged, one decimal."""
        if not self.pledged:
            return None
        return (self.delivered * 100 / self.pledged).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Spending:
    """Spent under one heading (a budget line, a work package or a partner)."""

    label: str
    amount: Decimal
    key: int = 0


@dataclass
class Overview:
    partnership: Partnership
    currency: str
    today: date
    budget: Decimal
    committed: Decimal
    pledged: Decimal
    received: Decimal
    spent: Decimal
    disbursed: Decimal
    cash_balance: Decimal
    burn_rate: Decimal
    months_left: Decimal | None
    pending_count: int
    pending_amount: Decimal
    monthly_spending: list[tuple[date, Decimal]]
    fulfilment: list[PartnerFulfilment]
    by_line: list[Spending]
    by_partner: list[Spending]
    kinds: list[KindTotals]
    has_budget: bool = False
    has_activity: bool = False

    @property
    def gap(self) -> Decimal:
        """Budget minus committed: what is still to be found (negative when over-committed)."""
        return self.budget - self.committed

    @property
    def balance(self) -> Decimal:
        """Cash received minus cash spent: funds in hand (in-kind deliveries are not
        spendable money)."""
        return self.cash_balance


def pledge_timing(pledge: Pledge, today: date) -> str:
    """ "on_time", "late" or "open" for a pledge that is not cancelled.

    Late: fully delivered after the due date, or past the due date and not fully
    delivered. On time: fully delivered by the due date.
    """
    delivered_on = pledge.delivered_on
    if delivered_on is None and pledge.status == PledgeStatus.FULFILLED:
        # Marked fulfilled without linked movements (e.g. in kind): count as delivered.
        return "on_time"
    if delivered_on is not None:
        return "late" if delivered_on > pledge.period_end else "on_time"
    return "late" if today > pledge.period_end else "open"


OVERVIEW_TYPES = (
    TransactionType.INCOMING_FUNDS,
    TransactionType.DISBURSEMENT,
    TransactionType.EXPENDITURE,
)


FRESH_SECONDS = 600


def version(partnership: Partnership) -> int:
    """The index of the partnership's latest ledger entry (-1 before any): every finance
    write appends one in the same transaction, so a new version means new figures."""
    # Read with the partnership by `policy.get_partnership_for` (one round trip fewer
    # per request), good while this process has appended nothing since.
    prefetched = getattr(partnership, "sinergi_ledger_index", None)
    if prefetched is not None and prefetched[1:] == (os.getpid(), log.writes()):
        latest = prefetched[0]
        return -1 if latest is None else latest
    # Raw SQL: every finance page and API read runs this first; compiling the ORM
    # query cost more than the index look-up itself.
    with sql.cursor(connection) as cursor:
        cursor.execute(_version_sql(), [partnership.pk])
        latest = cursor.fetchone()[0]
    return -1 if latest is None else latest


@cache
def _version_sql() -> str:
    q = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    return (
        f"SELECT MAX({q('index')}) FROM {q(Entry._meta.db_table)}"  # noqa: S608
        f" WHERE {q('partnership_ref')} = %s"
    )


def fresh(partnership: Partnership, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, reused while the partnership's ledger has no new entry.

    The key holds the partnership's version, the language and the date (figures such as
    "late" and the burn rate move with the calendar), so a cached value is never stale:
    the first read after a write commits computes afresh. The version is read before
    computing, so a write that lands in between only causes one more computation.
    A partner's renaming appends no finance entry, so the version misses it: nothing
    kept is shown once it is `FRESH_SECONDS` old, and the new name shows within that.
    """
    return stored.reuse(fresh_key(partnership, name), compute, FRESH_SECONDS, max_age=FRESH_SECONDS)


def fresh_key(partnership: Partnership, name: str) -> str:
    """The key `fresh` keeps `name` under: the partnership's version now, the language
    and the date. Keep under it with `max_age=FRESH_SECONDS` (see `fresh`)."""
    key = f"finance:{name}:{partnership.pk}:{version(partnership)}:{get_language()}"
    return key + f":{timezone.localdate().isoformat()}"


def rollups(partnership: Partnership) -> list[Any]:
    """The totals rows the overview adds up (received, disbursed, spent), as light tuples."""
    return list(
        Rollup.objects.filter(partnership=partnership, transaction_type__in=OVERVIEW_TYPES)
        .order_by()
        .values_list(
            "month",
            "transaction_type",
            "kind",
            "provider_id",
            "budget_line_id",
            "amount",
            named=True,
        )
    )


def _organisation_names(ids: Iterable[int], known: dict[int, Organisation]) -> None:
    """Load the organisations among `ids` not yet in `known` (one query)."""
    missing = {i for i in ids if i and i not in known}
    if missing:
        for org in Organisation.objects.filter(pk__in=missing).only("pk", "name", "acronym"):
            known[org.pk] = org


def _kind_label(kind: str) -> str:
    return str(dict(ResourceKind.choices).get(kind, kind))


def overview(partnership: Partnership, *, today: date | None = None) -> Overview:
    """The figures of the finance overview, in the partnership's base currency."""
    today = _today(today)
    currency = partnership.base_currency
    lines = list(BudgetLine.objects.filter(partnership=partnership).select_related("work_package"))
    pledges = list(
        Pledge.objects.filter(partnership=partnership)
        .exclude(status=PledgeStatus.CANCELLED)
        .select_related("organisation")
        .order_by("organisation__name", "period_end", "pk")
    )
    totals = rollups(partnership)
    # Few rows (through the status index), added in Decimal: SQLite's SUM uses floats.
    pending_amounts = list(
        Transaction.objects.filter(
            partnership=partnership, status=TransactionStatus.PENDING
        ).values_list("base_amount", flat=True)
    )
    pending = {"n": len(pending_amounts), "amount": sum(pending_amounts, ZERO)}

    # Pledges: committed and fulfilment per partner.
    organisations: dict[int, Organisation] = {}
    fulfilment: dict[int, PartnerFulfilment] = {}
    kinds: dict[str, KindTotals] = {
        k: KindTotals(str(label), k) for k, label in ResourceKind.choices
    }
    committed = pledged = ZERO
    for pledge in pledges:
        organisations[pledge.organisation_id] = pledge.organisation
        row = fulfilment.setdefault(
            pledge.organisation_id, PartnerFulfilment(organisation=pledge.organisation)
        )
        row.pledged += pledge.base_amount
        row.delivered += pledge.delivered_base
        state = pledge_timing(pledge, today)
        setattr(row, state, getattr(row, state) + 1)
        pledged += pledge.base_amount
        kinds[pledge.kind].pledged += pledge.base_amount
        if pledge.status in COMMITTED_STATUSES:
            committed += pledge.base_amount
            kinds[pledge.kind].committed += pledge.base_amount

    # Movements: received, spent, by month, by line and by partner.
    received = spent = disbursed = ZERO
    by_month: dict[date, Decimal] = defaultdict(Decimal)
    cash_by_month: dict[date, Decimal] = defaultdict(Decimal)
    by_line: dict[int, Decimal] = defaultdict(Decimal)
    by_provider: dict[int, Decimal] = defaultdict(Decimal)
    for total in totals:
        kind = kinds.get(total.kind)
        if kind is None:
            kind = kinds[total.kind] = KindTotals(_kind_label(total.kind), total.kind)
        if total.transaction_type == TransactionType.INCOMING_FUNDS:
            received += total.amount
            kind.received += total.amount
        elif total.transaction_type in SPENDING_TYPES:
            spent += total.amount
            kind.spent += total.amount
            by_month[total.month] += total.amount
            by_line[total.budget_line_id] += total.amount
            by_provider[total.provider_id] += total.amount
            if total.kind == ResourceKind.CASH:
                cash_by_month[total.month] += total.amount
        elif total.transaction_type == TransactionType.DISBURSEMENT:
            disbursed += total.amount

    this_month = today.replace(day=1)
    recent = [_month_back(this_month, n) for n in range(BURN_MONTHS)]
    burn_rate = sum((by_month.get(m, ZERO) for m in recent), ZERO) / BURN_MONTHS
    burn_rate = burn_rate.quantize(Decimal(1).scaleb(-4), ROUND_HALF_UP)
    # Months of funds left: cash in hand over the cash spent per month.
    cash = kinds[ResourceKind.CASH]
    balance = cash.received - cash.spent
    cash_burn = sum((cash_by_month.get(m, ZERO) for m in recent), ZERO) / BURN_MONTHS
    months_left = None
    if cash_burn > 0:
        months_left = max(balance / cash_burn, ZERO).quantize(Decimal("0.1"), ROUND_HALF_UP)
    monthly = [
        (m, by_month.get(m, ZERO))
        for m in (_month_back(this_month, n) for n in reversed(range(CHART_MONTHS)))
    ]

    line_by_id = {line.pk: line for line in lines}
    line_rows = []
    for line_id, amount in sorted(by_line.items(), key=lambda item: -item[1]):
        line = line_by_id.get(line_id)
        label = budget_line_label(line) if line else _("No budget line")
        line_rows.append(Spending(label=label, amount=amount, key=line_id))

    _organisation_names(by_provider, organisations)
    partner_rows = []
    for org_id, amount in sorted(by_provider.items(), key=lambda item: -item[1]):
        org = organisations.get(org_id)
        label = org.name if org else _("Not named")
        partner_rows.append(Spending(label=label, amount=amount, key=org_id))

    in_kind = KindTotals(_("All in kind"), "in_kind")
    for key, row in kinds.items():
        if key != ResourceKind.CASH:
            for name in ("pledged", "committed", "received", "spent"):
                setattr(in_kind, name, getattr(in_kind, name) + getattr(row, name))
    together = KindTotals(_("Cash and in kind"), "total", is_total=True)
    for name in ("pledged", "committed", "received", "spent"):
        setattr(together, name, getattr(kinds[ResourceKind.CASH], name) + getattr(in_kind, name))
    kind_rows = [kinds[ResourceKind.CASH]]
    kind_rows += [
        row
        for key, row in kinds.items()
        if key != ResourceKind.CASH and any((row.pledged, row.received, row.spent))
    ]
    kind_rows += [in_kind, together]

    budget = sum((line.amount for line in lines), ZERO)
    return Overview(
        partnership=partnership,
        currency=currency,
        today=today,
        budget=budget,
        committed=committed,
        pledged=pledged,
        received=received,
        spent=spent,
        disbursed=disbursed,
        cash_balance=balance,
        burn_rate=burn_rate,
        months_left=months_left,
        pending_count=pending["n"] or 0,
        pending_amount=pending["amount"] or ZERO,
        monthly_spending=monthly,
        fulfilment=sorted(fulfilment.values(), key=lambda r: r.organisation.name.lower()),
        by_line=line_rows,
        by_partner=partner_rows,
        kinds=kind_rows,
        has_budget=bool(lines),
        has_activity=bool(pledges or totals or pending["n"]),
    )


def budget_line_label(line: BudgetLine) -> str:
    if line.work_package_id:
        return f"{line.work_package.code} · {line.title}"
    return line.title


# ---------------------------------------------------------------- budget


@dataclass
class BudgetRow:
    line: BudgetLine
    actual: Decimal
    # Its transactions dated outside its period (see Transaction.outside_budget_period).
    outside: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.line.amount - self.actual

    @property
    def used(self) -> Decimal | None:
        """Actual as a percentage of the budget, one decimal."""
        if not self.line.amount:
            return None
        return (self.actual * 100 / self.line.amount).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def over(self) -> bool:
        return self.actual > self.line.amount

    @property
    def label(self) -> str:
        return budget_line_label(self.line)


@dataclass
class Budget:
    rows: list[BudgetRow]
    unassigned: Decimal  # spent on no budget line
    total: Decimal = ZERO
    actual: Decimal = ZERO


def budget(partnership: Partnership) -> Budget:
    """Budget lines with their revision history and what was spent on each (from Rollup)."""
    lines = list(
        BudgetLine.objects.filter(partnership=partnership)
        .select_related("work_package")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=BudgetRevision.objects.select_related("actor").order_by("-number"),
            )
        )
    )
    # Added up here, in Decimal: SQLite's SUM would add the amounts as floats.
    actual: dict[int, Decimal] = defaultdict(Decimal)
    rows = Rollup.objects.filter(
        partnership=partnership, transaction_type__in=SPENDING_TYPES
    ).values_list("budget_line_id", "amount")
    for line_id, amount in rows.order_by():
        actual[line_id] += amount
    outside = fresh(partnership, "outside-period", lambda: outside_period_counts(partnership))
    budget_rows = [
        BudgetRow(line=line, actual=actual.get(line.pk, ZERO), outside=outside.get(line.pk, 0))
        for line in lines
    ]
    return Budget(
        rows=budget_rows,
        unassigned=actual.get(0, ZERO),
        total=sum((line.amount for line in lines), ZERO),
        actual=sum(actual.values(), ZERO),
    )


def outside_period_counts(partnership: Partnership) -> dict[int, int]:
    """How many transactions of each budget line are dated outside its period."""
    rows = (
        Transaction.objects.filter(partnership=partnership)
        .filter(OUTSIDE_BUDGET_PERIOD)
        .values("budget_line_id")
        .annotate(n=Count("pk"))
        .values_list("budget_line_id", "n")
        .order_by()
    )
    return dict(rows)


# ---------------------------------------------------------------- pledges


def pledges(partnership: Partnership, *, today: date | None = None) -> list[PledgeTiming]:
    """Every pledge (cancelled included) with its status history and timing."""
    today = _today(today)
    rows = (
        Pledge.objects.filter(partnership=partnership)
        .select_related("organisation", "budget_line", "created_by")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=PledgeStatusChange.objects.select_related("actor").order_by("at", "pk"),
            )
        )
        .order_by("-pledged_on", "-pk")
    )
    result = []
    for pledge in rows:
        state = "" if pledge.status == PledgeStatus.CANCELLED else pledge_timing(pledge, today)
        result.append(PledgeTiming(pledge=pledge, state=state))
    return result


# ---------------------------------------------------------------- rates


def rates(partnership: Partnership) -> QuerySet[ExchangeRate]:
    return (
        ExchangeRate.objects.filter(partnership=partnership)
        .select_related("entered_by")
        .order_by("currency", "-date")
    )


# ---------------------------------------------------------------- transactions


@dataclass
class TransactionFilter:
    """What the transaction list and the exports are narrowed to (all optional)."""

    transaction_type: str = ""
    status: str = ""
    organisation: int | None = None
    budget_line: int | None = None  # 0: no budget line
    date_from: date | None = None
    date_to: date | None = None
    # Only those dated outside their budget line's period (reversals aside).
    outside_period: bool = False

    def apply(self, rows: QuerySet[Transaction]) -> QuerySet[Transaction]:
        if self.transaction_type:
            rows = rows.filter(transaction_type=self.transaction_type)
        if self.status:
            rows = rows.filter(status=self.status)
        if self.organisation:
            rows = rows.filter(
                Q(organisation_id=self.organisation)
                | Q(provider_organisation_id=self.organisation)
                | Q(receiver_organisation_id=self.organisation)
            )
        if self.budget_line == 0:
            rows = rows.filter(budget_line__isnull=True)
        elif self.budget_line:
            rows = rows.filter(budget_line_id=self.budget_line)
        if self.date_from:
            rows = rows.filter(value_date__gte=self.date_from)
        if self.date_to:
            rows = rows.filter(value_date__lte=self.date_to)
        if self.outside_period:
            rows = rows.filter(OUTSIDE_BUDGET_PERIOD)
        return rows


# Transaction.outside_budget_period as a query.
OUTSIDE_BUDGET_PERIOD = (
    Q(budget_line__isnull=False, reverses__isnull=True, reversed_by__isnull=True)
    & ~Q(status=TransactionStatus.REJECTED)
    & (
        Q(value_date__lt=F("budget_line__period_start"))
        | Q(value_date__gt=F("budget_line__period_end"))
    )
)


def transactions(
    partnership: Partnership, found: TransactionFilter | None = None
) -> QuerySet[Transaction]:
    """The partnership's transactions, newest value date first, with what a row shows."""
    rows = Transaction.objects.filter(partnership=partnership)
    if found is not None:
        rows = found.apply(rows)
    return rows.select_related(
        "provider_organisation",
        "receiver_organisation",
        "budget_line__work_package",
        "organisation",
        "reversed_by",
    ).order_by("-value_date", "-pk")


def export_rows(
    partnership: Partnership, found: TransactionFilter | None = None
) -> QuerySet[Transaction]:
    """Like `transactions` but lean, for streaming exports (no reversed_by join)."""
    rows = Transaction.objects.filter(partnership=partnership)
    if found is not None:
        rows = found.apply(rows)
    return rows.select_related(
        "provider_organisation", "receiver_organisation", "budget_line"
    ).order_by("-value_date", "-pk")


def transaction_for(partnership: Partnership, pk: int) -> Transaction | None:
    return (
        Transaction.objects.filter(partnership=partnership, pk=pk)
        .select_related(
            "provider_organisation",
            "receiver_organisation",
            "budget_line__work_package",
            "organisation",
            "recorded_by",
            "pledge__organisation",
            "reverses",
            "corrects",
        )
        .prefetch_related(
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("person", "organisation"),
            ),
            "documents",
        )
        .first()
    )


@dataclass
class ChainLink:
    transaction: Transaction
    role: str  # "original", "reversal" or "replacement"

    @property
    def label(self) -> str:
        return {
            "original": _("Original"),
            "reversal": _("Reversal"),
            "replacement": _("Replacement"),
        }[self.role]


# A correction chain longer than this is not walked further (each step is a query).
MAX_CHAIN = 50


def chain(transaction: Transaction) -> list[ChainLink]:
    """The correction chain `transaction` belongs to, in the order it was written:
    the original, its reversal, its replacement, that one's reversal, and so on.

    A transaction that was never corrected has a chain of one.
    """
    partnership_id = transaction.partnership_id
    # Walk back to the first transaction of the chain.
    root = transaction
    for _step in range(MAX_CHAIN):
        parent_id = root.reverses_id or root.corrects_id
        if not parent_id:
            break
        root = Transaction.objects.get(pk=parent_id, partnership_id=partnership_id)
    # Then forward: every row that reverses or replaces one already in the chain.
    members = {root.pk: root}
    frontier = [root.pk]
    for _step in range(MAX_CHAIN):
        if not frontier:
            break
        found = list(
            Transaction.objects.filter(partnership_id=partnership_id)
            .filter(Q(reverses_id__in=frontier) | Q(corrects_id__in=frontier))
            .exclude(pk__in=members)
        )
        frontier = [t.pk for t in found]
        members.update({t.pk: t for t in found})
    if len(members) == 1:
        return [ChainLink(transaction=root, role="original")]
    links = []
    for row in sorted(members.values(), key=lambda t: (t.recorded_at, t.pk)):
        if row.reverses_id:
            role = "reversal"
        elif row.corrects_id:
            role = "replacement"
        else:
            role = "original"
        links.append(ChainLink(transaction=row, role=role))
    return links


def partners(partnership: Partnership) -> list[Organisation]:
    """The partnership's organisations, by name (one query)."""
    ids = Participation.objects.filter(partnership=partnership).values("organisation_id")
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def budget_lines(partnership: Partnership) -> list[BudgetLine]:
    return list(BudgetLine.objects.filter(partnership=partnership).select_related("work_package"))


def awaiting_approval(partnership: Partnership, limit: int = 20) -> list[Transaction]:
    return list(
        Transaction.objects.filter(partnership=partnership, status=TransactionStatus.PENDING)
        .select_related("organisation", "provider_organisation", "receiver_organisation")
        .order_by("value_date", "pk")[:limit]
    )
