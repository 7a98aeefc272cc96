"""The finance totals (`Rollup`), kept in the same database transaction as each write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

from sinergi.finance.models import Rollup, Transaction
from sinergi.finance.money import check_storable


def month_of(day: date) -> date:
    return day.replace(day=1)


def add(transaction: Transaction, sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1) a counting transaction's base amount to its totals.

    Call inside the writing transaction, after the row is saved, whenever a transaction
    starts or stops counting (recorded, approved, reversed …). One upsert statement.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("rollups.add must run inside the caller's transaction")
    amount = transaction.base_amount * sign
    # A reversal cancels one transaction: it takes one off the count as well as its amount.
    count = -sign if transaction.is_reversal else sign
    key = {
        "partnership_id": transaction.partnership_id,
        "month": month_of(transaction.value_date),
        "transaction_type": transaction.transaction_type,
        "kind": transaction.kind,
        "provider_id": transaction.provider_organisation_id or 0,
        "budget_line_id": transaction.budget_line_id or 0,
    }
    # Read, add in Decimal, write: SQLite would add `F("amount") + amount` in floating
    # point. Safe without a row lock: every finance write holds the ledger's head lock.
    row = Rollup.objects.filter(**key).first()
    if row is None:
        Rollup.objects.create(**key, amount=amount, count=count)
    else:
        row.amount += amount
        row.count += count
        check_storable(row.amount, transaction.partnership.base_currency)
        row.save(update_fields=["amount", "count"])


Key = tuple[date, str, str, int, int]  # month, IATI type, kind, provider id, budget line id


def compute(partnership_id: int) -> dict[Key, tuple[Decimal, int]]:
    """One partnership's totals computed afresh from its counting transactions, without
    writing anything: {(month, type, kind, provider id, budget line id): (amount, count)}.

    The amounts are added here, in Decimal, row by row (streamed): SQLite's SUM adds
    decimals as binary floats (0.61 - 0.55 gives 0.0599999…), PostgreSQL's would be exact
    but one way of adding is simpler to trust. For `rebuild` and `sinergi finance check`;
    pages never call this.
    """
    from sinergi.finance.models import COUNTING_STATUSES

    totals: dict[Key, tuple[Decimal, int]] = {}
    rows = (
        Transaction.objects.filter(partnership_id=partnership_id, status__in=COUNTING_STATUSES)
        .order_by()
        .values_list(
            "value_date",
            "transaction_type",
            "kind",
            "provider_organisation_id",
            "budget_line_id",
            "base_amount",
            "reverses_id",
        )
    )
    for day, kind_of, kind, provider, line, base_amount, reverses in rows.iterator(chunk_size=5000):
        key = (month_of(day), kind_of, kind, provider or 0, line or 0)
        amount, count = totals.get(key, (Decimal(0), 0))
        totals[key] = (amount + base_amount, count + (1 if reverses is None else -1))
    return totals


def rebuild(partnership_id: int) -> int:
    """Recompute one partnership's totals from its transactions; return the row count.

    For repairs; pages never call this.
    """
    totals = compute(partnership_id)
    Rollup.objects.filter(partnership_id=partnership_id).delete()
    Rollup.objects.bulk_create(
        Rollup(
            partnership_id=partnership_id,
            month=key[0],
            transaction_type=key[1],
            kind=key[2],
            provider_id=key[3],
            budget_line_id=key[4],
            amount=amount,
            count=count,
        )
        for key, (amount, count) in totals.items()
    )
    return len(totals)
