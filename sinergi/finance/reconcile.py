"""Reconciling the finance tables with the transparency ledger (`sinergi finance check`).

Every finance row that went on the ledger keeps the index of its entry (`ledger_index`).
The check reads both sides in chunks (rows by primary key, their entries by index; the
set of referenced entries is a bitmap of one bit per ledger index), so it runs in
bounded memory on millions of transactions. It reports:

- a row without a ledger entry, or pointing at a missing entry, at an entry of another
  kind or partnership, or at an entry another row points at too;
- a row whose ledger payload differs from the one the services would write for it now
  (`services.*_payload`). Compared are the row's own fields; left out are the parts that
  legitimately change after the write — the name and IATI identifier of a partner
  organisation (organisations are renamed; their id is compared), a budget line's title
  in revisions before its latest and its work package code (work packages are renamed),
  and an approval's `required` (the rule at the time). A transaction's
  `needs_approval` is compared with what its status and approvals imply: it waited for
  approval if it is pending or has decisions. Amounts compare as numbers ("10.00" equals
  "10.0000"). The person who acted is compared by username when the row still has one;
  the partnership by id; the base currency as recorded;
- a `finance.*` entry that no row points at. Rates and the approval rule may be set
  several times: an earlier entry for the same rate (currency and date) or rule is
  history, as long as the row points at a later one;
- a transaction whose status disagrees with its decisions (the last decision sets it;
  every earlier one must be an approval; a reversal has the status of what it
  reverses), a pledge whose status is not the end of its chain of status changes or
  whose `delivered_base` is not the sum of its counting flow transactions, a budget line
  whose figures are not those of its latest revision;
- a stored total (`Rollup`) that differs from a fresh `rollups.compute`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, F, Max, QuerySet

from sinergi.core.snapshot import consistent_reads
from sinergi.finance import importer, rollups, services
from sinergi.finance.models import (
    COUNTING_STATUSES,
    FLOW_TYPES,
    Approval,
    ApprovalRule,
    BudgetLine,
    BudgetRevision,
    Decision,
    ExchangeRate,
    Pledge,
    PledgeStatus,
    PledgeStatusChange,
    Rollup,
    Transaction,
    TransactionDocument,
    TransactionStatus,
)
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership

CHUNK = 2000
MONEY_KEYS = frozenset({"amount", "rate", "base_amount", "quantity", "unit_rate", "threshold"})
RATE_KIND = "finance.rate.set"
RULE_KIND = "finance.approval_rule.set"
# Every kind the finance services write; an entry of another finance.* kind is reported.
KINDS = frozenset(
    {
        RATE_KIND,
        "finance.budget.created",
        "finance.budget.revised",
        "finance.pledge.recorded",
        "finance.pledge.status_changed",
        "finance.transaction.recorded",
        "finance.transaction.reversed",
        "finance.document.attached",
        RULE_KIND,
        "finance.expenditure.approved",
        "finance.expenditure.rejected",
    }
)
_MISSING = object()


@dataclass(frozen=True)
class Mismatch:
    """One disagreement: which row or entry, and what is wrong."""

    what: str  # e.g. "transaction 12", "ledger entry #40", "total 2026-03 type 4 …"
    problem: str

    def __str__(self) -> str:
        return f"{self.what}: {self.problem}"


@dataclass
class Report:
    mismatches: list[Mismatch] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in self.counts.items())


def reconcile(partnership: Partnership | None = None, *, chunk_size: int = CHUNK) -> list[Mismatch]:
    """Every disagreement between the finance rows and the ledger (all partnerships, or one)."""
    return check(partnership, chunk_size=chunk_size).mismatches


def check(partnership: Partnership | None = None, *, chunk_size: int = CHUNK) -> Report:
    """Reconcile and count what was checked (for the command's summary), on one snapshot
    of the database: writes committed meanwhile are not half seen."""
    with consistent_reads():
        return _Check(partnership, chunk_size).run()


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _same(key: str, expected: Any, actual: Any) -> bool:
    if expected == actual:
        return True
    if key in MONEY_KEYS and isinstance(expected, str) and isinstance(actual, str):
        try:
            return Decimal(expected) == Decimal(actual)
        except InvalidOperation:
            return False
    return False


def _without_org_names(payload: dict[str, Any]) -> dict[str, Any]:
    """A transaction payload without the partner names and references (they change)."""
    result = dict(payload)
    for side in ("provider", "receiver"):
        party = result.get(side)
        if isinstance(party, dict) and party.get("organisation") is not None:
            result[side] = {k: v for k, v in party.items() if k not in ("name", "ref")}
    return result


@dataclass
class _Entry:
    kind: str
    partnership_ref: int | None
    body: bytes


class _Check:
    def __init__(self, partnership: Partnership | None, chunk_size: int) -> None:
        self.partnership = partnership
        self.chunk = max(1, chunk_size)
        self.report = Report()
        top = Entry.objects.aggregate(top=Max("index"))["top"]
        self.size = 0 if top is None else top + 1
        self.referenced = bytearray((self.size + 7) // 8)
        self.partnerships: dict[int, Partnership] = {}
        self.organisations: dict[int, Organisation] = {}
        self.usernames: dict[int, str] = {}

    # ------------------------------------------------------------ plumbing

    def run(self) -> Report:
        self.check_rates()
        self.check_budgets()
        self.check_pledges()
        self.check_transactions()
        self.check_documents()
        self.check_rules()
        self.check_entries()
        self.check_totals()
        return self.report

    def fail(self, what: str, problem: str) -> None:
        self.report.mismatches.append(Mismatch(what, problem))

    def count(self, name: str, n: int = 1) -> None:
        self.report.counts[name] = self.report.counts.get(name, 0) + n

    def scoped(self, queryset: QuerySet, path: str = "partnership") -> QuerySet:
        if self.partnership is None:
            return queryset
        return queryset.filter(**{path: self.partnership.pk})

    def rows(self, queryset: QuerySet) -> Iterator[list[Any]]:
        return _chunks(queryset.order_by("pk").iterator(chunk_size=self.chunk), self.chunk)

    def entries(self, indices: Iterable[int | None]) -> dict[int, _Entry]:
        """The entries at `indices`: by index range when they lie close together (rows
        read in order of primary key mostly are), else in lists of at most 900."""
        wanted = sorted({i for i in indices if i is not None})
        found: dict[int, _Entry] = {}
        if not wanted:
            return found
        columns = ("index", "kind", "partnership_ref", "body")
        if wanted[-1] - wanted[0] < 2 * len(wanted) + 100:
            queries = [Entry.objects.filter(index__gte=wanted[0], index__lte=wanted[-1])]
        else:  # under SQLite's bound-parameter limit
            queries = [Entry.objects.filter(index__in=part) for part in _chunks(wanted, 900)]
        keep = set(wanted)
        for query in queries:
            for index, kind, ref, body in query.values_list(*columns).iterator(chunk_size=2000):
                if index in keep:
                    found[index] = _Entry(kind, ref, bytes(body))
        return found

    def partnership_of(self, pk: int) -> Partnership:
        if pk not in self.partnerships:
            self.partnerships[pk] = Partnership.objects.only("id", "slug", "base_currency").get(
                pk=pk
            )
        return self.partnerships[pk]

    def load_organisations(self, ids: Iterable[int | None]) -> None:
        if len(self.organisations) > 50_000:
            self.organisations.clear()
        missing = {i for i in ids if i is not None and i not in self.organisations}
        for part in _chunks(sorted(missing), 900):
            for organisation in Organisation.objects.filter(pk__in=part).only(
                "id", "name", "iati_identifier"
            ):
                self.organisations[organisation.pk] = organisation

    def load_usernames(self, ids: Iterable[int | None]) -> None:
        if len(self.usernames) > 50_000:
            self.usernames.clear()
        missing = {i for i in ids if i is not None and i not in self.usernames}
        for part in _chunks(sorted(missing), 900):
            self.usernames.update(Person.objects.filter(pk__in=part).values_list("pk", "username"))

    def mark(self, what: str, index: int) -> None:
        if not 0 <= index < self.size:
            return
        byte, bit = divmod(index, 8)
        if self.referenced[byte] & (1 << bit):
            self.fail(what, f"points at ledger entry #{index}, which another row points at too")
        self.referenced[byte] |= 1 << bit

    def is_marked(self, index: int) -> bool:
        byte, bit = divmod(index, 8)
        return bool(self.referenced[byte] & (1 << bit))

    def compare(
        self,
        what: str,
        index: int | None,
        entries: dict[int, _Entry],
        *,
        kind: str,
        partnership_id: int,
        expected: dict[str, Any],
        actor_id: int | None = None,
        ignore: frozenset[str] = frozenset(),
        normalise: Any = None,
    ) -> dict[str, Any] | None:
        """Check one row against its entry; return the entry's payload when it could be read."""
        if index is None:
            self.fail(what, "has no ledger entry")
            return None
        self.mark(what, index)
        entry = entries.get(index)
        if entry is None:
            self.fail(what, f"points at ledger entry #{index}, which does not exist")
            return None
        if entry.kind != kind:
            self.fail(what, f"ledger entry #{index} is a {entry.kind} entry, not {kind}")
            return None
        if entry.partnership_ref != partnership_id:
            self.fail(what, f"ledger entry #{index} belongs to another partnership")
        body = json.loads(entry.body)
        payload = body.get("payload") or {}
        actual = normalise(payload) if normalise else payload
        wanted = normalise(expected) if normalise else expected
        differences = [
            f"{key} is {wanted.get(key)!r} here but {actual.get(key)!r} on the ledger"
            for key in sorted(set(wanted) | set(actual))
            if key not in ignore
            and not _same(key, wanted.get(key, _MISSING), actual.get(key, _MISSING))
        ]
        if differences:
            self.fail(what, f"differs from ledger entry #{index}: " + "; ".join(differences))
        username = self.usernames.get(actor_id) if actor_id is not None else None
        if username is not None and body.get("actor") != username:
            self.fail(
                what,
                f"was done by {username!r} here but by {body.get('actor')!r} "
                f"in ledger entry #{index}",
            )
        return payload

    # ------------------------------------------------------------ rows → entries

    def check_rates(self) -> None:
        for batch in self.rows(self.scoped(ExchangeRate.objects.all())):
            entries = self.entries(r.ledger_index for r in batch)
            self.load_usernames(r.entered_by_id for r in batch)
            for rate in batch:
                rate.partnership = self.partnership_of(rate.partnership_id)
                self.compare(
                    f"exchange rate {rate.pk} ({rate.currency} {rate.date})",
                    rate.ledger_index,
                    entries,
                    kind=RATE_KIND,
                    partnership_id=rate.partnership_id,
                    expected=services.rate_payload(rate),
                    actor_id=rate.entered_by_id,
                )
            self.count("exchange rates", len(batch))

    def check_budgets(self) -> None:
        lines = self.scoped(BudgetLine.objects.all()).annotate(
            n=Count("revisions"), top=Max("revisions__number")
        )
        for batch in self.rows(lines):
            for line in batch:
                if not (line.n == line.revision == (line.top or 0)):
                    self.fail(
                        f"budget line {line.pk}",
                        f"is at revision {line.revision} but has {line.n} revisions "
                        f"numbered up to {line.top}",
                    )
            self.count("budget lines", len(batch))
        revisions = self.scoped(
            BudgetRevision.objects.select_related("line__work_package"), "line__partnership"
        )
        for batch in self.rows(revisions):
            entries = self.entries(r.ledger_index for r in batch)
            self.load_usernames(r.actor_id for r in batch)
            for revision in batch:
                line = revision.line
                line.partnership = self.partnership_of(line.partnership_id)
                latest = revision.number == line.revision
                what = f"budget revision {revision.pk} (line {line.pk} r{revision.number})"
                if latest and (
                    line.amount != revision.amount
                    or line.period_start != revision.period_start
                    or line.period_end != revision.period_end
                ):
                    self.fail(what, "the budget line's figures are not those of this revision")
                self.compare(
                    what,
                    revision.ledger_index,
                    entries,
                    kind="finance.budget.created"
                    if revision.number == 1
                    else "finance.budget.revised",
                    partnership_id=line.partnership_id,
                    expected=services.budget_payload(line, revision),
                    actor_id=revision.actor_id,
                    ignore=frozenset({"work_package"} if latest else {"work_package", "title"}),
                )
            self.count("budget revisions", len(batch))

    def check_pledges(self) -> None:
        for batch in self.rows(self.scoped(Pledge.objects.all())):
            ids = [p.pk for p in batch]
            # Added up here in Decimal (SQLite's SUM adds floats), in base and own currency.
            by_id = {p.pk: p for p in batch}
            delivered: dict[int, Decimal] = {}
            delivered_own: dict[int, Decimal] = {}
            for tx in Transaction.objects.filter(
                pledge_id__in=ids,
                status__in=COUNTING_STATUSES,
                transaction_type__in=FLOW_TYPES,
            ).only("pledge_id", "amount", "currency", "base_amount"):
                pledge = by_id[tx.pledge_id]
                delivered[tx.pledge_id] = delivered.get(tx.pledge_id, Decimal(0)) + tx.base_amount
                delivered_own[tx.pledge_id] = delivered_own.get(
                    tx.pledge_id, Decimal(0)
                ) + services.delivered_in_pledge_currency(pledge, tx)
            changes: dict[int, list[PledgeStatusChange]] = {}
            for change in PledgeStatusChange.objects.filter(pledge_id__in=ids).order_by(
                "pledge_id", "pk"
            ):
                changes.setdefault(change.pledge_id, []).append(change)
            every_change = [c for cs in changes.values() for c in cs]
            entries = self.entries(
                [p.ledger_index for p in batch] + [c.ledger_index for c in every_change]
            )
            self.load_usernames(
                [p.created_by_id for p in batch] + [c.actor_id for c in every_change]
            )
            self.load_organisations(p.organisation_id for p in batch)
            for pledge in batch:
                pledge.partnership = self.partnership_of(pledge.partnership_id)
                pledge.organisation = self.organisations.get(pledge.organisation_id)
                what = f"pledge {pledge.pk}"
                self.compare(
                    what,
                    pledge.ledger_index,
                    entries,
                    kind="finance.pledge.recorded",
                    partnership_id=pledge.partnership_id,
                    expected=services.pledge_payload(pledge),
                    actor_id=pledge.created_by_id,
                    ignore=frozenset({"organisation_ref"}),
                )
                total = delivered.get(pledge.pk) or Decimal(0)
                if pledge.delivered_base != total:
                    self.fail(
                        what,
                        f"delivered_base is {pledge.delivered_base} but its counting "
                        f"transactions deliver {total}",
                    )
                own = delivered_own.get(pledge.pk) or Decimal(0)
                if pledge.delivered != own:
                    self.fail(
                        what,
                        f"delivered is {pledge.delivered} {pledge.currency} but its counting "
                        f"transactions deliver {own}",
                    )
                status = PledgeStatus.PLEDGED
                for change in changes.get(pledge.pk, []):
                    change_what = f"pledge status change {change.pk} (pledge {pledge.pk})"
                    if change.from_status != status:
                        self.fail(
                            change_what,
                            f"starts from {change.from_status} but the pledge was {status}",
                        )
                    status = change.to_status
                    self.compare(
                        change_what,
                        change.ledger_index,
                        entries,
                        kind="finance.pledge.status_changed",
                        partnership_id=pledge.partnership_id,
                        expected={
                            "pledge": pledge.pk,
                            "from": change.from_status,
                            "to": change.to_status,
                            "reason": change.reason,
                        },
                        actor_id=change.actor_id,
                    )
                if pledge.status != status:
                    self.fail(
                        what,
                        f"is {pledge.status} but its status changes end at {status}",
                    )
            self.count("pledges", len(batch))
            self.count("pledge status changes", len(every_change))

    def check_transactions(self) -> None:
        queryset = self.scoped(Transaction.objects.all()).annotate(
            reversed_status=F("reverses__status")
        )
        for batch in self.rows(queryset):
            ids = [tx.pk for tx in batch]
            decisions: dict[int, list[Approval]] = {}
            for approval in Approval.objects.filter(transaction_id__in=ids).order_by(
                "transaction_id", "pk"
            ):
                decisions.setdefault(approval.transaction_id, []).append(approval)
            every = [a for approvals in decisions.values() for a in approvals]
            entries = self.entries(
                [tx.ledger_index for tx in batch] + [a.ledger_index for a in every]
            )
            self.load_usernames([tx.recorded_by_id for tx in batch] + [a.person_id for a in every])
            self.load_organisations(
                [tx.provider_organisation_id for tx in batch]
                + [tx.receiver_organisation_id for tx in batch]
            )
            for tx in batch:
                self.check_transaction(tx, decisions.get(tx.pk, []), entries)
            self.count("transactions", len(batch))
            self.count("approvals", len(every))

    def check_transaction(
        self, tx: Transaction, approvals: list[Approval], entries: dict[int, _Entry]
    ) -> None:
        what = f"transaction {tx.pk}"
        tx.partnership = self.partnership_of(tx.partnership_id)
        for name in ("provider_organisation", "receiver_organisation"):
            pk = getattr(tx, name + "_id")
            if pk is not None:
                setattr(tx, name, self.organisations.get(pk) or Organisation(pk=pk))
        reversal = tx.reverses_id is not None
        if reversal:
            if approvals:
                self.fail(what, "is a reversal but has approval decisions")
            if tx.status != tx.reversed_status:
                self.fail(
                    what,
                    f"is {tx.status} but reverses a transaction that is {tx.reversed_status}",
                )
        elif not approvals:
            if tx.status not in (TransactionStatus.RECORDED, TransactionStatus.PENDING):
                self.fail(what, f"is {tx.status} but has no approval decisions")
        else:
            last = approvals[-1].decision
            allowed = (
                {TransactionStatus.REJECTED}
                if last == Decision.REJECT
                else {TransactionStatus.APPROVED, TransactionStatus.PENDING}
            )
            if tx.status not in allowed:
                self.fail(what, f"is {tx.status} but its last decision is to {last}")
        # What the services wrote when recording it: it waited for approval if it is
        # pending or has decisions.
        status = tx.status
        tx.status = (
            TransactionStatus.PENDING
            if not reversal and (status == TransactionStatus.PENDING or approvals)
            else TransactionStatus.RECORDED
        )
        expected = services.transaction_payload(tx)
        tx.status = status
        self.compare(
            what,
            tx.ledger_index,
            entries,
            kind="finance.transaction.reversed" if reversal else "finance.transaction.recorded",
            partnership_id=tx.partnership_id,
            expected=expected,
            actor_id=tx.recorded_by_id,
            normalise=_without_org_names,
        )
        approved = 0
        for position, approval in enumerate(approvals, start=1):
            final = position == len(approvals)
            if not final and approval.decision != Decision.APPROVE:
                self.fail(
                    f"approval {approval.pk} (transaction {tx.pk})",
                    "a rejection is followed by further decisions",
                )
            approved += approval.decision == Decision.APPROVE
            rejected = approval.decision == Decision.REJECT
            self.compare(
                f"approval {approval.pk} (transaction {tx.pk})",
                approval.ledger_index,
                entries,
                kind="finance.expenditure.rejected" if rejected else "finance.expenditure.approved",
                partnership_id=tx.partnership_id,
                expected={
                    "transaction": tx.pk,
                    "approval": approval.pk,
                    "organisation": approval.organisation_id,
                    "reason": approval.reason,
                    "approvals": approved,
                    "status": tx.status if final else TransactionStatus.PENDING,
                },
                actor_id=approval.person_id,
                ignore=frozenset({"required"}),
            )

    def check_documents(self) -> None:
        documents = self.scoped(
            TransactionDocument.objects.annotate(partnership_id=F("transaction__partnership_id")),
            "transaction__partnership",
        )
        for batch in self.rows(documents):
            entries = self.entries(d.ledger_index for d in batch)
            self.load_usernames(d.uploaded_by_id for d in batch)
            for document in batch:
                self.compare(
                    f"document {document.pk} (transaction {document.transaction_id})",
                    document.ledger_index,
                    entries,
                    kind="finance.document.attached",
                    partnership_id=document.partnership_id,
                    expected={
                        "transaction": document.transaction_id,
                        "document": document.pk,
                        "size": document.size,
                        "sha256": document.sha256,
                    },
                    actor_id=document.uploaded_by_id,
                )
            self.count("documents", len(batch))

    def check_rules(self) -> None:
        rules = self.scoped(ApprovalRule.objects.all())
        for batch in self.rows(rules):
            entries = self.entries(r.ledger_index for r in batch)
            approvers: dict[int, list[int]] = {}
            through = ApprovalRule.approver_organisations.through
            for rule_id, organisation_id in through.objects.filter(
                approvalrule_id__in=[r.pk for r in batch]
            ).values_list("approvalrule_id", "organisation_id"):
                approvers.setdefault(rule_id, []).append(organisation_id)
            for rule in batch:
                partnership = self.partnership_of(rule.partnership_id)
                self.compare(
                    f"approval rule {rule.pk}",
                    rule.ledger_index,
                    entries,
                    kind=RULE_KIND,
                    partnership_id=rule.partnership_id,
                    expected={
                        "threshold": format(rule.threshold, "f"),
                        "currency": partnership.base_currency,
                        "required": rule.required,
                        "approvers": sorted(approvers.get(rule.pk, [])),
                    },
                )
            self.count("approval rules", len(batch))

    # ------------------------------------------------------------ entries → rows

    def check_entries(self) -> None:
        entries = Entry.objects.filter(kind__startswith="finance.")
        if self.partnership is not None:
            entries = entries.filter(partnership_ref=self.partnership.pk)
        rows = entries.order_by("index").values_list("index", "kind", "partnership_ref")
        for batch in _chunks(rows.iterator(chunk_size=self.chunk), self.chunk):
            history: list[tuple[int, str, int | None]] = []
            for index, kind, ref in batch:
                if self.is_marked(index):
                    continue
                if kind in (RATE_KIND, RULE_KIND):
                    history.append((index, kind, ref))
                elif kind == importer.IMPORT_KIND:  # a spreadsheet import's record
                    problem = importer.check_record(index, ref, self.entries([index])[index].body)
                    if problem:
                        self.fail(f"ledger entry #{index}", problem)
                elif kind in KINDS:
                    self.fail(f"ledger entry #{index}", f"{kind} has no finance row")
                else:
                    self.fail(f"ledger entry #{index}", f"{kind} is not a finance kind")
            if history:
                self.check_history(history)
            self.count("ledger entries", len(batch))

    def check_history(self, history: list[tuple[int, str, int | None]]) -> None:
        """An entry no row points at is history if the row points at a later one."""
        bodies = self.entries(index for index, _kind, _ref in history)
        for index, kind, ref in history:
            what = f"ledger entry #{index}"
            if kind == RULE_KIND:
                current = (
                    ApprovalRule.objects.filter(partnership_id=ref)
                    .values_list("ledger_index", flat=True)
                    .first()
                )
                if current is None or current < index:
                    self.fail(what, "the approval rule does not point at its latest entry")
                continue
            payload = json.loads(bodies[index].body).get("payload") or {}
            current = (
                ExchangeRate.objects.filter(
                    partnership_id=ref,
                    currency=payload.get("currency"),
                    date=payload.get("date"),
                )
                .values_list("ledger_index", flat=True)
                .first()
            )
            if current is None or current < index:
                self.fail(
                    what,
                    f"the {payload.get('currency')} rate of {payload.get('date')} "
                    "does not point at its latest entry",
                )

    # ------------------------------------------------------------ totals

    def check_totals(self) -> None:
        if self.partnership is not None:
            ids = [self.partnership.pk]
        else:  # partnerships with transactions or totals (the others have nothing to add)
            ids = sorted(
                set(
                    Transaction.objects.order_by()
                    .values_list("partnership_id", flat=True)
                    .distinct()
                )
                | set(Rollup.objects.order_by().values_list("partnership_id", flat=True).distinct())
            )
        for partnership_id in ids:
            fresh = {
                key: value for key, value in rollups.compute(partnership_id).items() if any(value)
            }
            stored: dict[tuple, tuple[Decimal, int]] = {}
            for row in Rollup.objects.filter(partnership_id=partnership_id).values_list(
                "month",
                "transaction_type",
                "kind",
                "provider_id",
                "budget_line_id",
                "amount",
                "count",
            ):
                if row[5] or row[6]:
                    stored[row[:5]] = (row[5], row[6])
            for key in sorted(set(fresh) | set(stored)):
                want = fresh.get(key, (Decimal(0), 0))
                have = stored.get(key, (Decimal(0), 0))
                if want[0] != have[0] or want[1] != have[1]:
                    month, kind_of, kind, provider, line = key
                    self.fail(
                        f"total of partnership {partnership_id} for {month:%Y-%m} type "
                        f"{kind_of} {kind} provider {provider} budget line {line}",
                        f"is {have[0]} ({have[1]} transactions) but the transactions add up "
                        f"to {want[0]} ({want[1]})",
                    )
            self.count("totals", len(stored))


__all__ = ["Mismatch", "Report", "check", "reconcile"]
