"""Finance: budgets, pledges, IATI transactions, approvals and exchange rates.

Money is always a Decimal amount together with an ISO 4217 currency. Every figure is
also kept converted to the partnership's base currency (`base_amount`) with the rate
and the rate's date that were used, rounded to the base currency's minor unit.

Nothing here is edited in place once it is on the transparency ledger: a wrong
transaction is reversed (a row with the opposite amount, `reverses` pointing at it) and
replaced (a new row, `corrects` pointing at the original). Each row keeps the index of
its ledger entry (`ledger_index`) so that `sinergi finance check` can reconcile them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sinergi.core.choices import display_of
from sinergi.core.geography import validate_currency
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Partnership, WorkPackage

# Enough for any ISO 4217 minor unit (at most 4, e.g. CLF) and 10^16 of any currency.
MONEY = {"max_digits": 20, "decimal_places": 4}
# Units of the base currency for one unit of the other currency.
RATE = {"max_digits": 24, "decimal_places": 10}


class TransactionType(models.TextChoices):
    """IATI TransactionType codes (2.03) used for the movements of a partnership."""

    INCOMING_FUNDS = "1", _("Incoming funds")
    OUTGOING_COMMITMENT = "2", _("Outgoing commitment")
    DISBURSEMENT = "3", _("Disbursement")
    EXPENDITURE = "4", _("Expenditure")
    INCOMING_COMMITMENT = "11", _("Incoming commitment")
    OUTGOING_PLEDGE = "12", _("Outgoing pledge")
    INCOMING_PLEDGE = "13", _("Incoming pledge")


INCOMING_TYPES = frozenset({"1", "11", "13"})
OUTGOING_TYPES = frozenset({"2", "3", "4", "12"})
# Types that move resources (as opposed to promising them).
FLOW_TYPES = frozenset({"1", "3", "4"})


class ResourceKind(models.TextChoices):
    CASH = "cash", _("Cash")
    GOODS = "goods", _("In-kind goods")
    PERSONNEL = "personnel", _("Personnel time")
    EXPERTISE = "expertise", _("Expertise")
    NETWORK = "network", _("Network access")


class ExchangeRate(models.Model):
    """One unit of `currency` is worth `rate` units of the partnership's base currency
    from `date` on (until the next rate). A rate used by a transaction is never changed."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="exchange_rates",
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), **RATE)
    source = models.CharField(_("source"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["partnership_id", "currency", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "currency", "date"],
                name="exchange_rate_one_per_day",
                violation_error_message=_("There is already a rate for this currency and date."),
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="exchange_rate_positive",
                violation_error_message=_("A rate must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}: {self.rate}"


class BudgetLine(models.Model):
    """Money planned for one output or work package in one period, in the base currency."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="budget_lines",
    )
    work_package = models.ForeignKey(
        WorkPackage,
        verbose_name=_("work package"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_lines",
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("amount"), **MONEY)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["partnership_id", "period_start", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="budget_line_not_negative",
                violation_error_message=_("A budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="budget_line_period_order",
                violation_error_message=_("The period ends before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BudgetRevision(models.Model):
    """The history of a budget line: revision 1 is the original budget (IATI budget type
    1), later ones are revisions (type 2), each with its reason."""

    line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("budget line"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    number = models.PositiveIntegerField(_("revision"))
    amount = models.DecimalField(_("amount"), **MONEY)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget revision")
        verbose_name_plural = _("budget revisions")
        ordering = ["line_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["line", "number"], name="budget_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.line} r{self.number}"


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    COMMITTED = "committed", _("Committed")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# Allowed status changes: a pledge firms up, is delivered, or is cancelled before that.
PLEDGE_TRANSITIONS: dict[str, frozenset[str]] = {
    PledgeStatus.PLEDGED: frozenset({PledgeStatus.COMMITTED, PledgeStatus.CANCELLED}),
    PledgeStatus.COMMITTED: frozenset({PledgeStatus.FULFILLED, PledgeStatus.CANCELLED}),
    PledgeStatus.FULFILLED: frozenset(),
    PledgeStatus.CANCELLED: frozenset(),
}


class Pledge(models.Model):
    """What a partner promises to bring: cash or in kind, for a period.

    For in-kind pledges the valuation basis is kept: `quantity` `unit` at `unit_rate`
    each (e.g. 120 person-days at 1,500,000 IDR) gives `amount`.
    """

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="pledges",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    kind = models.CharField(
        _("resource"), max_length=10, choices=ResourceKind.choices, default=ResourceKind.CASH
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    quantity = models.DecimalField(
        _("quantity"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=50, blank=True, help_text=_("e.g. person-days"))
    unit_rate = models.DecimalField(_("value per unit"), **MONEY, null=True, blank=True)
    pledged_on = models.DateField(_("pledged on"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("due by"))
    status = models.CharField(
        _("status"), max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    budget_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    # Converted at the rate in force on `pledged_on`.
    rate = models.DecimalField(_("rate"), **RATE)
    rate_date = models.DateField(_("rate date"), null=True, blank=True)
    base_amount = models.DecimalField(_("amount in base currency"), **MONEY)
    # Maintained by the services: what linked flow transactions delivered, in the pledge's
    # own currency (which decides fulfilment: a USD pledge paid in full is fulfilled
    # whatever the rupiah did meanwhile) and in base currency (for totals), and the value
    # date on which the delivered total first reached the pledge.
    delivered = models.DecimalField(_("delivered in the pledge's currency"), **MONEY, default=0)
    delivered_base = models.DecimalField(_("delivered"), **MONEY, default=0)
    delivered_on = models.DateField(_("fully delivered on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["partnership_id", "pledged_on", "pk"]
        indexes = [models.Index(fields=["partnership", "organisation"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="pledge_amount_positive",
                violation_error_message=_("The amount must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="pledge_period_order",
                violation_error_message=_("The period ends before it starts."),
            ),
        ]

    get_kind_display = display_of("kind", ResourceKind.choices)
    get_status_display = display_of("status", PledgeStatus.choices)

    def __str__(self) -> str:
        return f"{self.organisation}: {self.amount} {self.currency}"

    @property
    def is_in_kind(self) -> bool:
        return self.kind != ResourceKind.CASH


class PledgeStatusChange(models.Model):
    """One step in a pledge's life, as it went on the ledger."""

    pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("pledge"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=10, choices=PledgeStatus.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=PledgeStatus.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    # Reasons of the changes the services make on their own, stored as codes (the ledger
    # entry stays language-neutral) and shown in the reader's language.
    AUTOMATIC_REASONS: ClassVar[dict[str, Any]] = {
        "incoming_commitment": _("Incoming commitment"),
        "delivery_started": _("Delivery started"),
        "delivered_in_full": _("Delivered in full"),
        "delivery_reversed": _("A delivery was reversed"),
        "commitment_reversed": _("The incoming commitment was reversed"),
    }

    class Meta:
        verbose_name = _("pledge status change")
        verbose_name_plural = _("pledge status changes")
        ordering = ["pledge_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.pledge_id}: {self.from_status} → {self.to_status}"

    @property
    def reason_text(self) -> str:
        """The reason as written, or an automatic change's reason in the active language."""
        return self.AUTOMATIC_REASONS.get(self.reason, self.reason)


class TransactionStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# Statuses whose amounts count in totals (pending and rejected expenditures do not).
COUNTING_STATUSES = frozenset({TransactionStatus.RECORDED, TransactionStatus.APPROVED})


class Transaction(models.Model):
    """One IATI transaction of the partnership: a promise or a movement of resources."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="transactions",
    )
    transaction_type = models.CharField(_("type"), max_length=2, choices=TransactionType.choices)
    kind = models.CharField(
        _("resource"), max_length=10, choices=ResourceKind.choices, default=ResourceKind.CASH
    )
    provider_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provided_transactions",
    )
    provider_name = models.CharField(_("provider name"), max_length=200, blank=True)
    provider_activity_id = models.CharField(
        _("provider's IATI activity"), max_length=150, blank=True
    )
    receiver_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("receiver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_transactions",
    )
    receiver_name = models.CharField(_("receiver name"), max_length=200, blank=True)
    receiver_activity_id = models.CharField(
        _("receiver's IATI activity"), max_length=150, blank=True
    )
    value_date = models.DateField(_("value date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    rate = models.DecimalField(_("rate"), **RATE)
    rate_date = models.DateField(_("rate date"), null=True, blank=True)
    base_amount = models.DecimalField(_("amount in base currency"), **MONEY)
    description = models.CharField(_("description"), max_length=500, blank=True)
    budget_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("budget line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TransactionStatus.choices,
        default=TransactionStatus.RECORDED,
    )
    # The partner on whose books the transaction is: its admins may record and correct it.
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("recorded for"),
        on_delete=models.PROTECT,
        related_name="finance_transactions",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
    )
    reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["partnership_id", "-value_date", "-pk"]
        indexes = [
            models.Index(fields=["partnership", "-value_date", "-id"], name="tx_partnership_date"),
            models.Index(fields=["partnership", "status"], name="tx_partnership_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0),
                name="transaction_amount_not_zero",
                violation_error_message=_("The amount must not be zero."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(reverses__isnull=False),
                name="transaction_negative_only_reversal",
                violation_error_message=_("The amount must be more than zero."),
            ),
        ]

    get_transaction_type_display = display_of("transaction_type", TransactionType.choices)
    get_kind_display = display_of("kind", ResourceKind.choices)
    get_status_display = display_of("status", TransactionStatus.choices)

    def __str__(self) -> str:
        return f"{self.get_transaction_type_display()} {self.amount} {self.currency}"

    @property
    def counts(self) -> bool:
        """Whether the amount counts in totals (not awaiting approval, not rejected)."""
        return self.status in COUNTING_STATUSES

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def outside_budget_period(self) -> bool:
        """Whether the value date falls outside its budget line's period.

        Allowed (an invoice for a quarter is often paid after it ends) but worth a look, so
        pages, the API and the import preview point it out. Only for what stands on the
        books: a reversed transaction and its reversal cancel out (a correction's
        replacement is judged by its own date), and a rejected one never counts.
        """
        line = self.budget_line if self.budget_line_id is not None else None
        if line is None or self.is_reversal or self.status == TransactionStatus.REJECTED:
            return False
        if self.pk is not None and _has_reversal(self):
            return False
        return not line.period_start <= self.value_date <= line.period_end

    def budget_period_note(self) -> str:
        """What `outside_budget_period` means for this transaction, or "" when it is not."""
        if not self.outside_budget_period:
            return ""
        line = self.budget_line
        return _(
            "Dated %(date)s, outside the period of its budget line “%(line)s” "
            "(%(start)s to %(end)s). Check the date or the budget line."
        ) % {
            "date": self.value_date.isoformat(),
            "line": line.title,
            "start": line.period_start.isoformat(),
            "end": line.period_end.isoformat(),
        }


def _has_reversal(tx: Transaction) -> bool:
    try:
        tx.reversed_by  # noqa: B018 (loaded with the row where lists select it)
    except Transaction.DoesNotExist:
        return False
    return True


def document_path(instance: TransactionDocument, filename: str) -> str:
    """Stored under the content hash: a document cannot be swapped behind its hash."""
    return f"finance/{instance.sha256[:2]}/{instance.sha256}"


class TransactionDocument(models.Model):
    """Evidence for a transaction (invoice, receipt, contract); its SHA-256 is on the ledger."""

    transaction = models.ForeignKey(
        Transaction,
        verbose_name=_("transaction"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        ordering = ["transaction_id", "pk"]

    def __str__(self) -> str:
        return self.name


class ApprovalRule(models.Model):
    """Expenditures above `threshold` (base currency) need `required` approvals.

    With no approver organisations, the partnership's coordinators approve (that many
    different coordinators). With approver organisations, that many different
    organisations among them must approve, each through its partner admin or a
    coordinator working for it (e.g. 2 of the 3 funding partners).
    """

    partnership = models.OneToOneField(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="approval_rule",
    )
    threshold = models.DecimalField(_("approval needed above"), **MONEY)
    required = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    approver_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("approving partners"),
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0),
                name="approval_rule_threshold_not_negative",
                violation_error_message=_("The threshold cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(required__gte=1),
                name="approval_rule_required_positive",
                violation_error_message=_("At least one approval is needed."),
            ),
        ]

    def __str__(self) -> str:
        return ngettext(
            "%(partnership)s: %(required)d approval above %(threshold)s",
            "%(partnership)s: %(required)d approvals above %(threshold)s",
            self.required,
        ) % {
            "partnership": self.partnership,
            "required": self.required,
            "threshold": f"{self.threshold.normalize():f}",
        }


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class Approval(models.Model):
    """One approver's decision on an expenditure awaiting approval."""

    transaction = models.ForeignKey(
        Transaction,
        verbose_name=_("transaction"),
        on_delete=models.CASCADE,
        related_name="approvals",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The approving partner this decision counts for (none under a coordinators' rule).
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=7, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    ledger_index = models.BigIntegerField(_("ledger entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["transaction_id", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "person"],
                name="approval_once_per_person",
                violation_error_message=_("You have already decided on this expenditure."),
            ),
        ]

    get_decision_display = display_of("decision", Decision.choices)

    def __str__(self) -> str:
        return gettext("transaction %(transaction)s: %(decision)s by person %(person)s") % {
            "transaction": self.transaction_id,
            "decision": self.get_decision_display(),
            "person": self.person_id,
        }


class Rollup(models.Model):
    """Totals kept in the same transaction as every finance write, so pages read a few
    rows instead of summing a partnership's transactions (see DESIGN: no per-request
    aggregates over large tables).

    One row per (partnership, month, IATI type, resource kind, provider, budget
    line), holding the base-currency total and the number of counting transactions.
    """

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="finance_rollups"
    )
    month = models.DateField()
    transaction_type = models.CharField(max_length=2, choices=TransactionType.choices)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    # Plain ids (0 for none): part of the unique key, which NULLs would defeat.
    provider_id = models.BigIntegerField(default=0)
    budget_line_id = models.BigIntegerField(default=0)
    amount = models.DecimalField(**MONEY, default=0)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("finance total")
        verbose_name_plural = _("finance totals")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "partnership",
                    "month",
                    "transaction_type",
                    "kind",
                    "provider_id",
                    "budget_line_id",
                ],
                name="finance_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.month} {self.transaction_type}: {self.amount}"
