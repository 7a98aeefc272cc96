"""Generate the finance scale data into the configured (empty, migrated) database.

    .venv/bin/python benchmarks/finance/data.py [--seed 2025] [--partnerships 1000]
        [--transactions 1000000]

Uses the database the Django settings point at (DATABASE_URL for PostgreSQL, else SQLite at
SINERGI_SQLITE_PATH); `run.py` gives each run a fresh one. First the load benchmark's
registry (`benchmarks/generate.py`: 10,000 organisations, 20,000 people, 2,000
partnerships with ten partners each, the user `bench` and its API token), then, for
`--partnerships` of those partnerships (bench is a coordinator of each), a few years of
finance, deterministically from the seed:

- a base currency (IDR for most, USD for some) and monthly exchange rates for the other
  two of IDR, USD and EUR over the partnership's years;
- budget lines per work area and year (some revised once, with history), an approval rule
  (coordinators, or two of three funding partners, above a threshold);
- pledges by the partners (cash and in kind, with a valuation basis for in-kind, status
  changes), each tracking what linked incoming funds delivered;
- `--transactions` IATI transactions spread over the partnerships with a long tail (a few
  partnerships hold ten times the median): every type (incoming pledges, commitments and
  funds; outgoing pledges and commitments, disbursements, expenditures, most of them
  expenditures), amounts in IDR, USD and EUR as Decimal with each currency's minor unit,
  converted at the rate in force on the value date; expenditures above the threshold
  approved, pending or rejected with their approvals; a few reversed and replaced;
- every pledge, status change, budget revision, rate, rule, transaction and approval on the
  transparency ledger (`ledger.log.append_many`, one entry each, `ledger_index` on the row);
- the totals (`Rollup`), summed while the transactions are made (as the services keep
  them) and checked against `finance.rollups.compute` for a sample of partnerships
  (the largest among them) after the load.

Rows go in with plain multi-row writes (COPY on PostgreSQL, executemany on SQLite, through
the ledger's own bulk writer), a partnership at a time, so memory stays flat. Writes
`dataset.json` (slugs and counts) and `token.txt` to SINERGI_DATA_DIR and prints one JSON
line with the counts and timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

BENCHMARKS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCHMARKS))  # generate.py, common.py, matching/

from matching.data import pick  # noqa: E402

BATCH = 20_000
TODAY = date(2026, 6, 30)  # fixed, so the data set does not depend on the day it is made
# Rough value of one unit in rupiah, to draw amounts of a like size in every currency.
IDR_PER = {"IDR": Decimal(1), "USD": Decimal(16_000), "EUR": Decimal(17_400)}
CURRENCIES = {"IDR": 70, "USD": 20, "EUR": 10}
# IATI type: (share of transactions, median amount in IDR, spread).
TYPES = {
    "4": (62, 6_500_000, 1.3),  # expenditure
    "3": (18, 120_000_000, 1.0),  # disbursement
    "1": (9, 450_000_000, 1.0),  # incoming funds
    "2": (4, 300_000_000, 0.9),  # outgoing commitment
    "11": (4, 1_500_000_000, 0.8),  # incoming commitment
    "13": (2, 2_000_000_000, 0.8),  # incoming pledge
    "12": (1, 500_000_000, 0.8),  # outgoing pledge
}
INCOMING = {"1", "11", "13"}
IN_KIND = ["goods", "personnel", "expertise", "network"]
WORK_AREAS = [
    "Community outreach", "Training", "Equipment", "Monitoring and evaluation",
    "Coordination", "Research", "Infrastructure", "Communications", "Procurement",
    "Field operations", "Capacity building", "Data systems",
]  # fmt: skip
SUPPLIERS = [
    "CV Maju Jaya", "PT Sumber Makmur", "UD Sinar Terang", "PT Nusantara Logistik",
    "Koperasi Tani Sejahtera", "CV Karya Mandiri", "PT Cahaya Abadi", "Toko Bangunan Sentosa",
    "Hotel Mitra Kota", "PT Data Lestari",
]  # fmt: skip
PURPOSES = [
    "Village training session", "Field staff travel", "Water filters", "Seedlings",
    "Workshop venue and meals", "Survey enumerators", "Printing of materials", "Vehicle hire",
    "Monthly field allowance", "Laptop and tablets", "Community meeting", "Radio spots",
    "Audit fee", "Translation", "Cold-chain boxes", "Tranche of the grant",
]  # fmt: skip
UNITS = {
    "personnel": ("person-days", 1_500_000),
    "expertise": ("expert days", 4_000_000),
    "goods": ("units", 750_000),
    "network": ("introductions", 2_000_000),
}


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s."""
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1, day=1)


class Rows:
    """Buffered bulk writes of plain rows (dicts by attribute name), table by table.

    Values are adapted once per column the way the ORM would (dates, datetimes, decimals),
    then written by the ledger's bulk writer: COPY on PostgreSQL, executemany on SQLite.
    """

    def __init__(self) -> None:
        self.buffers: dict[type, list[dict]] = {}
        self.written: dict[str, int] = {}

    def add(self, model: type, row: dict) -> None:
        buffer = self.buffers.setdefault(model, [])
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush(model)

    def flush(self, model: type) -> None:
        from django.db import connection, models

        from sinergi.ledger.log import _insert_rows

        rows = self.buffers.pop(model, [])
        if not rows:
            return
        fields = model._meta.concrete_fields
        ops = connection.ops
        adapters = []
        for position, field in enumerate(fields):
            if isinstance(field, models.DateTimeField):
                adapters.append((position, ops.adapt_datetimefield_value))
            elif isinstance(field, models.DateField):
                adapters.append((position, ops.adapt_datefield_value))
            elif isinstance(field, models.DecimalField):
                adapters.append((position, ops.adapt_decimalfield_value))
        names = [field.attname for field in fields]
        values = []
        if set(rows[0]) != set(names):
            differ = set(rows[0]) ^ set(names)
            raise RuntimeError(f"{model.__name__}: columns differ from the model: {differ}")
        for row in rows:
            out = [row[name] for name in names]
            for position, adapt in adapters:
                if out[position] is not None:
                    out[position] = adapt(out[position])
            values.append(tuple(out))
        _insert_rows(model._meta.db_table, [field.column for field in fields], values)
        self.written[model.__name__] = self.written.get(model.__name__, 0) + len(values)

    def flush_all(self) -> None:
        for model in list(self.buffers):
            self.flush(model)


class Ids:
    """Explicit primary keys, so rows can point at each other before they are written."""

    def __init__(self, models: list[type]) -> None:
        from django.db.models import Max

        self.next = {
            model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for model in models
        }

    def __call__(self, model: type) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def reset_sequences(models: list[type]) -> None:
    """After explicit ids: PostgreSQL's sequences continue after them (SQLite's AUTOINCREMENT
    already does)."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def draw_amount(rng: random.Random, currency: str, median_idr: float, spread: float) -> Decimal:
    """A lognormal amount of about `median_idr` rupiah in `currency`, with its minor unit."""
    rupiah = median_idr * rng.lognormvariate(0, spread)
    if currency == "IDR":
        return Decimal(max(1, round(rupiah / 1000))) * 1000  # priced in thousands
    value = Decimal(f"{rupiah / float(IDR_PER[currency]):.2f}")
    return value if value > 0 else Decimal("0.01")


def spread_counts(rng: random.Random, total: int, n: int) -> list[int]:
    """`total` split over `n` with a long tail (lognormal weights), summing exactly."""
    weights = [rng.lognormvariate(0, 0.8) for _ in range(n)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in sorted(range(n), key=lambda i: (w := weights[i] * scale) - int(w), reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


def as_model(row: dict, **related: object) -> SimpleNamespace:
    """A row seen as the model instance the services' ledger payloads read."""
    return SimpleNamespace(**row, pk=row["id"], **related)


class Finance:
    """One partnership's finance, row by row, with its ledger events in order."""

    def __init__(self, ctx: Context, partnership: SimpleNamespace, n_transactions: int) -> None:
        self.ctx, self.p, self.n = ctx, partnership, n_transactions
        self.rng = random.Random(f"{ctx.seed}-{partnership.pk}")
        self.events: list[tuple] = []

    # Ledger ---------------------------------------------------------------------------

    def log(self, kind: str, payload: dict, actor: SimpleNamespace) -> int:
        index = self.ctx.next_index
        self.ctx.next_index += 1
        self.events.append((kind, payload, self.p, actor))
        return index

    # Build ----------------------------------------------------------------------------

    def build(self) -> list[tuple]:
        from sinergi.finance import money, rollups, services
        from sinergi.finance.models import (
            Approval,
            ApprovalRule,
            BudgetLine,
            BudgetRevision,
            ExchangeRate,
            Pledge,
            PledgeStatusChange,
            Rollup,
            Transaction,
        )

        ctx, p, rng = self.ctx, self.p, self.rng
        add, new_id = ctx.rows.add, ctx.ids
        coordinator = ctx.people[p.coordinator]
        bench = ctx.bench
        recorder = ctx.people[p.recorder]
        base = p.base_currency
        start, end = p.first_day, p.last_day

        # Exchange rates: monthly, for the two other currencies.
        rates: dict[str, tuple[list[date], list[Decimal]]] = {}
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        for currency in IDR_PER:
            if currency == base:
                continue
            level = float(IDR_PER[currency] / IDR_PER[base]) * rng.uniform(0.95, 1.05)
            days, values = [], []
            for m in range(months):
                level *= rng.uniform(0.985, 1.015)
                day = add_months(start, m)
                rate = Decimal(f"{level:.10f}") if level < 1 else Decimal(f"{level:.4f}")
                row = {
                    "id": new_id(ExchangeRate), "partnership_id": p.pk, "currency": currency,
                    "date": day, "rate": rate, "source": "Bank Indonesia",
                    "entered_by_id": coordinator.pk,
                    "entered_at": datetime.combine(day, datetime.min.time(), UTC)
                    - timedelta(days=2),
                }  # fmt: skip
                payload = services.rate_payload(as_model(row, partnership=p))
                row["ledger_index"] = self.log("finance.rate.set", payload, coordinator)
                add(ExchangeRate, row)
                days.append(day)
                values.append(rate)
            rates[currency] = (days, values)

        def rate_on(currency: str, day: date) -> tuple[Decimal, date | None]:
            if currency == base:
                return Decimal(1), None
            days, values = rates[currency]
            position = bisect_right(days, day) - 1
            return values[position], days[position]

        # Budget lines: a few work areas, one line per area and year.
        lines: list[tuple[int, date, date]] = []
        areas = rng.sample(WORK_AREAS, rng.randint(3, 6))
        year_amount = draw_amount(rng, base, 2_500_000_000, 0.6)
        for year in range(start.year, end.year + 1):
            period_start, period_end = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
            for area in areas:
                line_id = new_id(BudgetLine)
                amount = money.quantize(year_amount * Decimal(rng.uniform(0.05, 0.4)), base)
                created = datetime.combine(period_start, datetime.min.time(), UTC)
                revisions = [(amount, "")]
                if rng.random() < 0.2:
                    factor = Decimal(rng.choice(["0.8", "0.9", "1.1", "1.25"]))
                    revisions.append(
                        (money.quantize(amount * factor, base), "Mid-year budget review")
                    )
                line = {
                    "id": line_id, "partnership_id": p.pk, "work_package_id": None,
                    "title": f"{area} {year}", "period_start": period_start,
                    "period_end": period_end, "amount": revisions[-1][0],
                    "revision": len(revisions), "created_at": created,
                    "updated_at": created + timedelta(days=180 * (len(revisions) - 1)),
                }  # fmt: skip
                for number, (value, reason) in enumerate(revisions, start=1):
                    revision = {
                        "id": new_id(BudgetRevision), "line_id": line_id, "number": number,
                        "amount": value, "period_start": period_start,
                        "period_end": period_end, "reason": reason,
                        "actor_id": coordinator.pk,
                        "at": created + timedelta(days=180 * (number - 1)),
                    }  # fmt: skip
                    revision["ledger_index"] = self.log(
                        "finance.budget.created" if number == 1 else "finance.budget.revised",
                        services.budget_payload(as_model(line, partnership=p), as_model(revision)),
                        coordinator,
                    )
                    add(BudgetRevision, revision)
                add(BudgetLine, line)
                lines.append((line_id, period_start, period_end))

        # Approval rule: coordinators (one) or two of three funding partners.
        threshold = money.quantize(
            Decimal(50_000_000) / IDR_PER[base] * Decimal(rng.choice([1, 2, 4])), base
        )
        approvers = sorted(rng.sample(p.partners, 3)) if rng.random() < 0.4 else []
        required = 2 if approvers else 1
        rule_id = new_id(ApprovalRule)
        index = self.log(
            "finance.approval_rule.set",
            {
                "threshold": services._money(threshold), "currency": base,
                "required": required, "approvers": approvers,
            },
            coordinator,
        )  # fmt: skip
        add(ApprovalRule, {
            "id": rule_id, "partnership_id": p.pk, "threshold": threshold, "required": required,
            "updated_at": datetime.combine(start, datetime.min.time(), UTC),
            "ledger_index": index,
        })  # fmt: skip
        for org in approvers:
            add(ctx.rule_orgs, {"id": new_id(ctx.rule_orgs), "approvalrule_id": rule_id,
                                "organisation_id": org})  # fmt: skip

        # Pledges: most partners pledge once or twice, cash or in kind.
        pledges: list[dict] = []
        for org in p.partners:
            for _ in range(rng.choice([0, 1, 1, 2])):
                kind = "cash" if rng.random() < 0.7 else rng.choice(IN_KIND)
                pledged_on = start + timedelta(days=rng.randrange(max(1, (end - start).days // 2)))
                currency = base if kind != "cash" else pick(rng, CURRENCIES)
                quantity = unit = unit_rate = None
                if kind == "cash":
                    amount = draw_amount(rng, currency, 1_200_000_000, 0.8)
                else:
                    unit, per_unit = UNITS[kind]
                    quantity = Decimal(rng.randint(10, 400))
                    unit_rate = money.quantize(Decimal(per_unit) / IDR_PER[currency], currency)
                    amount = quantity * unit_rate
                rate, rate_date = rate_on(currency, pledged_on)
                pledge = {
                    "id": new_id(Pledge), "partnership_id": p.pk, "organisation_id": org,
                    "kind": kind, "amount": amount, "currency": currency,
                    "quantity": quantity, "unit": unit or "", "unit_rate": unit_rate,
                    "pledged_on": pledged_on, "period_start": pledged_on,
                    "period_end": min(end, pledged_on + timedelta(days=rng.randint(180, 720))),
                    "status": "pledged",
                    "description": f"{'Cash contribution' if kind == 'cash' else unit} "
                    f"from {ctx.orgs[org].name}",
                    "budget_line_id": None, "rate": rate, "rate_date": rate_date,
                    "base_amount": money.convert(amount, rate, base),
                    "delivered": Decimal(0), "delivered_base": Decimal(0), "delivered_on": None,
                    "created_by_id": coordinator.pk,
                    "created_at": datetime.combine(pledged_on, datetime.min.time(), UTC),
                    "ledger_index": None,
                }  # fmt: skip
                pledge["ledger_index"] = self.log(
                    "finance.pledge.recorded",
                    services.pledge_payload(
                        as_model(pledge, partnership=p, organisation=ctx.orgs[org])
                    ),
                    coordinator,
                )
                pledges.append(pledge)
        pledge_by_id = {pledge["id"]: pledge for pledge in pledges}
        pledges_of: dict[tuple[int, str], list[dict]] = {}
        for pledge in pledges:
            pledges_of.setdefault((pledge["organisation_id"], pledge["kind"]), []).append(pledge)

        # Transactions, in value-date order (as recorded over time).
        span = (end - start).days
        type_codes, type_weights = list(TYPES), [TYPES[t][0] for t in TYPES]
        drawn = sorted(
            (start + timedelta(days=rng.randrange(span + 1)), type_code)
            for type_code in rng.choices(type_codes, type_weights, k=self.n)
        )
        lead = p.partners[0]
        tx_rows: list[dict] = []
        for value_date, tx_type in drawn:
            _share, median, spread = TYPES[tx_type]
            currency = pick(rng, CURRENCIES)
            kind = "cash"
            if tx_type in INCOMING and rng.random() < 0.15:
                kind, currency = rng.choice(IN_KIND), base
            amount = draw_amount(rng, currency, median, spread)
            rate, rate_date = rate_on(currency, value_date)
            base_amount = money.convert(amount, rate, base)
            if base_amount == 0:  # a tiny amount converted to nothing: make it count
                amount = draw_amount(rng, currency, median * 10, 0.1)
                base_amount = money.convert(amount, rate, base)
            partner = rng.choice(p.partners[1:])
            provider, provider_name, receiver, receiver_name = partner, "", lead, ""
            if tx_type in ("3", "2"):
                provider, receiver = lead, partner
            elif tx_type == "4":
                provider, receiver = partner, None
                receiver_name = f"{rng.choice(SUPPLIERS)} {rng.randint(1, 400):03d}"
            elif tx_type == "12":
                provider, receiver = lead, None
                receiver_name = f"District health office {rng.randint(1, 99):02d}"
            books = receiver if tx_type in INCOMING else provider
            line_id = None
            if tx_type in ("2", "3", "4") and rng.random() < 0.9:
                fitting = [line for line in lines if line[1] <= value_date <= line[2]]
                line_id = rng.choice(fitting)[0] if fitting else None
            pledge_id = None
            if tx_type == "1" and rng.random() < 0.6:
                candidates = pledges_of.get((provider, kind))
                pledge_id = rng.choice(candidates)["id"] if candidates else None
            status = "recorded"
            if tx_type == "4" and base_amount > threshold:
                status = rng.choices(["approved", "pending", "rejected"], [80, 15, 5])[0]
            tx_rows.append({
                "id": new_id(Transaction), "partnership_id": p.pk,
                "transaction_type": tx_type, "kind": kind,
                "provider_organisation_id": provider, "provider_name": provider_name,
                "provider_activity_id": (f"{ctx.orgs[provider].iati_identifier}-A{p.pk}"
                                         if ctx.orgs[provider].iati_identifier else ""),
                "receiver_organisation_id": receiver, "receiver_name": receiver_name,
                "receiver_activity_id": "", "value_date": value_date, "amount": amount,
                "currency": currency, "rate": rate, "rate_date": rate_date,
                "base_amount": base_amount,
                "description": rng.choice(PURPOSES), "budget_line_id": line_id,
                "pledge_id": pledge_id, "status": status, "organisation_id": books,
                "recorded_by_id": recorder.pk,
                "recorded_at": datetime.combine(value_date, datetime.min.time(), UTC)
                + timedelta(hours=rng.randint(8, 17 + 24 * 3)),
                "reverses_id": None, "corrects_id": None, "reason": "",
                "ledger_index": None,
            })  # fmt: skip

        # A few counting transactions were wrong: reversed and replaced.
        corrections = []
        for row in tx_rows:
            if row["status"] == "recorded" and rng.random() < 0.003:
                reversal = dict(row, id=new_id(Transaction), amount=-row["amount"],
                                base_amount=-row["base_amount"], reverses_id=row["id"],
                                reason="Wrong amount keyed in",
                                recorded_at=row["recorded_at"] + timedelta(days=20))  # fmt: skip
                amount = money.quantize(
                    row["amount"] * Decimal(rng.choice(["0.9", "0.95", "1.05", "1.1"])),
                    row["currency"],
                )
                replacement = dict(reversal, id=new_id(Transaction), amount=amount,
                                   base_amount=money.convert(amount, row["rate"], base),
                                   reverses_id=None, corrects_id=row["id"])  # fmt: skip
                corrections += [reversal, replacement]
        tx_rows += corrections

        totals: dict[tuple, tuple[Decimal, int]] = {}
        for row in tx_rows:
            recorded = as_model(
                row,
                partnership=p,
                provider_organisation=ctx.orgs.get(row["provider_organisation_id"]),
                receiver_organisation=ctx.orgs.get(row["receiver_organisation_id"]),
            )
            if row["status"] != "recorded":
                recorded.status = "pending"  # as recorded; decided afterwards
            row["ledger_index"] = self.log(
                "finance.transaction.reversed" if row["reverses_id"]
                else "finance.transaction.recorded",
                services.transaction_payload(recorded),
                recorder,
            )  # fmt: skip
            add(Transaction, row)
            if row["status"] in ("recorded", "approved"):  # counting
                key = (
                    rollups.month_of(row["value_date"]), row["transaction_type"], row["kind"],
                    row["provider_organisation_id"] or 0, row["budget_line_id"] or 0,
                )  # fmt: skip
                amount, count = totals.get(key, (Decimal(0), 0))
                totals[key] = (
                    amount + row["base_amount"],
                    count + (-1 if row["reverses_id"] else 1),
                )
            if row["status"] in ("approved", "pending", "rejected"):
                self.approvals(row, approvers, required, [bench, coordinator], Approval)
            if row["pledge_id"] and row["status"] in ("recorded", "approved"):
                pledge = pledge_by_id[row["pledge_id"]]
                pledge["delivered"] += services.delivered_in_pledge_currency(
                    as_model(pledge), as_model(row)
                )
                pledge["delivered_base"] += row["base_amount"]
                if pledge["delivered_on"] is None and pledge["delivered"] >= pledge["amount"]:
                    pledge["delivered_on"] = row["value_date"]

        # Pledges' status follows what was delivered (as the services move it, with their
        # reason codes), or a partner confirms or withdraws it; each change on the ledger.
        for pledge in pledges:
            if pledge["delivered_on"] is not None:
                steps = [("committed", "delivery_started"), ("fulfilled", "delivered_in_full")]
            elif pledge["delivered_base"]:
                steps = [("committed", "delivery_started")]
            elif rng.random() < 0.05:
                steps = [("cancelled", "The partner withdrew")]
            else:
                steps = [("committed", "")] if rng.random() < 0.5 else []
            current, when = "pledged", pledge["created_at"]
            for step, reason in steps:
                when += timedelta(days=rng.randint(5, 90))
                index = self.log(
                    "finance.pledge.status_changed",
                    {"pledge": pledge["id"], "from": current, "to": step, "reason": reason},
                    coordinator,
                )
                add(PledgeStatusChange, {
                    "id": new_id(PledgeStatusChange), "pledge_id": pledge["id"],
                    "from_status": current, "to_status": step, "reason": reason,
                    "actor_id": coordinator.pk, "at": when, "ledger_index": index,
                })  # fmt: skip
                current = step
            pledge["status"] = current
            add(Pledge, pledge)

        for (month, tx_type, kind, provider, line), (amount, count) in totals.items():
            add(Rollup, {
                "id": new_id(Rollup), "partnership_id": p.pk, "month": month,
                "transaction_type": tx_type, "kind": kind, "provider_id": provider,
                "budget_line_id": line, "amount": amount, "count": count,
            })  # fmt: skip
        return self.events

    def approvals(self, row, approvers, required, people, model) -> None:
        """The decisions on an expenditure above the threshold: by the coordinators, or by
        the approving partners (one decision each, never the author's)."""
        decisions = {"approved": ["approve"] * required, "rejected": ["reject"]}.get(
            row["status"], ["approve"] * self.rng.randrange(required)
        )
        for n, decision in enumerate(decisions):
            person = people[n]
            approval = {
                "id": self.ctx.ids(model), "transaction_id": row["id"], "person_id": person.pk,
                "organisation_id": approvers[n] if approvers else None, "decision": decision,
                "reason": "" if decision == "approve" else "No receipt attached",
                "at": row["recorded_at"] + timedelta(days=n + 1),
            }  # fmt: skip
            last = n == len(decisions) - 1
            approval["ledger_index"] = self.log(
                f"finance.expenditure.{'approved' if decision == 'approve' else 'rejected'}",
                {  # as services.decide logs it
                    "transaction": row["id"], "approval": approval["id"],
                    "organisation": approval["organisation_id"], "reason": approval["reason"],
                    "approvals": n + 1 if decision == "approve" else 0, "required": required,
                    "status": row["status"] if last else "pending",
                },
                person,
            )  # fmt: skip
            self.ctx.rows.add(model, approval)


class Context:
    """What every partnership's generator shares: look-ups, id counters, the row writer."""

    def __init__(self, seed: int, models: list[type], rule_orgs: type) -> None:
        from sinergi.partners.models import Organisation, Person

        self.seed = seed
        self.rows = Rows()
        self.rule_orgs = rule_orgs
        self.ids = Ids([*models, rule_orgs])
        self.next_index = 0
        self.orgs = {
            pk: SimpleNamespace(pk=pk, name=name, iati_identifier=iati)
            for pk, name, iati in Organisation.objects.values_list("pk", "name", "iati_identifier")
        }
        self.people = {
            pk: SimpleNamespace(pk=pk, username=username)
            for pk, username in Person.objects.values_list("pk", "username")
        }
        self.bench = next(p for p in self.people.values() if p.username == "bench")


def finance_partnerships(rng: random.Random, count: int, bench_id: int) -> list[SimpleNamespace]:
    """`count` partnerships of the registry, each with bench as a coordinator, a base
    currency and its partners; `recorder` is a partner admin (never an approver)."""
    from django.db import transaction

    from sinergi.partnerships.models import Membership, Participation, Partnership

    rows = list(
        Partnership.objects.order_by("pk").values_list(
            "pk", "slug", "start_date", "end_date", "created_by_id"
        )
    )
    chosen = sorted(rng.sample(rows, count))
    partners: dict[int, list[tuple[str, int]]] = {}
    for pid, org, role in Participation.objects.values_list(
        "partnership_id", "organisation_id", "role"
    ):
        partners.setdefault(pid, []).append((role, org))
    admins: dict[int, list[int]] = {}
    for pid, person in Membership.objects.filter(role="partner_admin").values_list(
        "partnership_id", "person_id"
    ):
        if person != bench_id:
            admins.setdefault(pid, []).append(person)
    result = []
    for pk, slug, begins, ends, creator in chosen:
        last = min(ends or TODAY, TODAY)
        first = min(begins or last, last - timedelta(days=365))
        result.append(
            SimpleNamespace(
                pk=pk,
                slug=slug,
                first_day=first,
                last_day=last,
                base_currency="USD" if rng.random() < 0.1 else "IDR",
                partners=[org for _role, org in sorted(partners[pk])],  # lead (role 1) first
                coordinator=creator,
                recorder=sorted(admins.get(pk) or [creator])[0],
            )
        )
    ids = [p.pk for p in result]
    with transaction.atomic():
        Membership.objects.filter(partnership_id__in=ids, person_id=bench_id).delete()
        Membership.objects.bulk_create(
            [Membership(partnership_id=pk, person_id=bench_id, role="coordinator") for pk in ids],
            batch_size=1000,
        )
        for currency in ("USD",):
            Partnership.objects.filter(
                pk__in=[p.pk for p in result if p.base_currency == currency]
            ).update(base_currency=currency)
    return result


def generate(seed: int, partnerships: int, transactions: int) -> dict[str, object]:
    import generate as registry  # benchmarks/generate.py
    from django.db import connection, transaction

    from sinergi.finance import rollups
    from sinergi.finance.models import (
        Approval,
        ApprovalRule,
        BudgetLine,
        BudgetRevision,
        ExchangeRate,
        Pledge,
        PledgeStatusChange,
        Rollup,
        Transaction,
    )
    from sinergi.ledger import log

    timings: dict[str, float] = {}
    started = time.perf_counter()
    registry.PARTNERSHIPS = max(registry.PARTNERSHIPS, partnerships)
    dataset = registry.generate(seed)
    timings["registry_s"] = time.perf_counter() - started

    rng = random.Random(seed)
    from sinergi.partners.models import Person

    bench_id = Person.objects.get(username="bench").pk
    chosen = finance_partnerships(rng, partnerships, bench_id)
    counts = spread_counts(rng, transactions, partnerships)
    models = [
        ExchangeRate, BudgetLine, BudgetRevision, ApprovalRule, Pledge, PledgeStatusChange,
        Transaction, Approval, Rollup,
    ]  # fmt: skip
    rule_orgs = ApprovalRule.approver_organisations.through

    t0 = time.perf_counter()
    with transaction.atomic():
        ctx = Context(seed, models, rule_orgs)
        ctx.next_index = log.current_head().size

        def events() -> Iterator[tuple]:
            for p, n in zip(chosen, counts, strict=True):
                yield from Finance(ctx, p, n).build()
            ctx.rows.flush_all()

        first = ctx.next_index
        appended = log.append_many(events())
        if appended != range(first, ctx.next_index):
            raise RuntimeError(f"ledger indices {appended} differ from {first}..{ctx.next_index}")
        timings["finance_and_ledger_s"] = time.perf_counter() - t0
        reset_sequences([*models, rule_orgs])

    t0 = time.perf_counter()
    sizes = {p.pk: n for p, n in zip(chosen, counts, strict=True)}
    largest = max(chosen, key=lambda p: sizes[p.pk])
    sample = {largest.pk, *rng.sample([p.pk for p in chosen], min(len(chosen), 20))}
    for pk in sorted(sample):
        stored = {
            (r.month, r.transaction_type, r.kind, r.provider_id, r.budget_line_id): (
                r.amount,
                r.count,
            )
            for r in Rollup.objects.filter(partnership_id=pk)
        }
        if stored != rollups.compute(pk):
            raise RuntimeError(f"the totals of partnership {pk} differ from rollups.compute")
    timings["totals_checked_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load
    timings["vacuum_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started

    data_dir = Path(os.environ["SINERGI_DATA_DIR"])
    token = data_dir / "token.txt"
    token.write_text(dataset.pop("token") + "\n")
    token.chmod(0o600)
    facts = {
        "seed": seed,
        "slugs": [p.slug for p in chosen],
        "largest_slug": largest.slug,
        "largest_transactions": sizes[largest.pk],
        "median_transactions": sorted(counts)[len(counts) // 2],
        "usd_base": sum(1 for p in chosen if p.base_currency == "USD"),
        "counts": {
            "registry_partnerships": dataset["counts"]["partnerships"],
            "finance_partnerships": partnerships,
            **{model.__name__: ctx.rows.written.get(model.__name__, 0) for model in models},
            "ledger_entries": log.current_head().size,
        },
        "totals_checked": len(sample),
        **{key: round(value, 1) for key, value in timings.items()},
    }
    (data_dir / "dataset.json").write_text(json.dumps(facts, indent=2) + "\n")
    return {k: v for k, v in facts.items() if k != "slugs"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--partnerships", type=int, default=1_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    print(json.dumps(generate(args.seed, args.partnerships, args.transactions)))


if __name__ == "__main__":
    main()
