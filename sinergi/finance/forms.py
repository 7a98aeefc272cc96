"""Forms of the finance pages: the transaction filter, and one form per service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from sinergi.core.dates import latest_past_date
from sinergi.core.numbers import NumberField
from sinergi.core.once import OnceForm
from sinergi.finance import queries
from sinergi.finance.models import (
    Decision,
    PledgeStatus,
    ResourceKind,
    TransactionStatus,
    TransactionType,
)
from sinergi.finance.money import format_money
from sinergi.finance.queries import TransactionFilter

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Ids beyond a 64-bit integer would overflow the database look-up.
MAX_ID = 2**63 - 1


class TransactionFilterForm(forms.Form):
    """The transaction list's (and exports') filters, read from the query string."""

    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All")), *TransactionType.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *TransactionStatus.choices]
    )
    partner = forms.TypedChoiceField(
        label=_("Partner"), required=False, coerce=int, empty_value=None
    )
    line = forms.TypedChoiceField(
        label=_("Budget line"), required=False, coerce=int, empty_value=None
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    outside_period = forms.BooleanField(
        label=_("Only those dated outside their budget line's period"), required=False
    )

    def __init__(self, *args: Any, partners: list, lines: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partners = partners
        self.fields["partner"].choices = [("", _("All"))] + [(o.pk, o.name) for o in partners]
        self.fields["line"].choices = (
            [("", _("All"))]
            + [(line.pk, queries.budget_line_label(line)) for line in lines]
            + [(0, _("No budget line"))]
        )

    def filter(self) -> TransactionFilter:
        """The valid filters (an invalid one is ignored, and shown as an error)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return TransactionFilter(
            transaction_type=data.get("type") or "",
            status=data.get("status") or "",
            organisation=data.get("partner"),
            budget_line=data.get("line"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            outside_period=bool(data.get("outside_period")),
        )

    def query(self) -> str:
        """The filters as a query string, for pagination and export links."""
        params = QueryDict(mutable=True)
        if self.is_bound:
            for name in self.fields:
                value = self.data.get(name)
                if value and name not in self.errors:
                    params[name] = value
        return params.urlencode()


# ---------------------------------------------------------------- service forms
# Amounts and rates are text fields: the services parse them (Decimal, the currency's
# minor unit) and their field errors land on these fields.

MAX_UPLOAD_HINT = _("PDF, image or spreadsheet, at most 20 MB.")


def _organisation_choices(organisations: list) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(o.pk), o.name) for o in organisations]


def _line_choices(lines: list) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(line.pk), queries.budget_line_label(line)) for line in lines]


class PledgeForm(OnceForm):
    organisation = forms.ChoiceField(label=_("Partner"))
    kind = forms.ChoiceField(label=_("Resource"), choices=ResourceKind.choices)
    amount = NumberField(
        label=_("Amount"),
        required=False,
        help_text=_("For in-kind pledges, give the quantity and value per unit instead."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("e.g. IDR, USD"))
    quantity = NumberField(label=_("Quantity"), required=False)
    unit = forms.CharField(
        label=_("Unit"), required=False, max_length=50, help_text=_("e.g. person-days")
    )
    unit_rate = NumberField(label=_("Value per unit"), required=False)
    pledged_on = forms.DateField(label=_("Pledged on"), widget=DATE)
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Due by"), widget=DATE)
    budget_line = forms.ChoiceField(label=_("Budget line"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=500, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, organisations: list, lines: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.lines = {str(line.pk): line for line in lines}
        self.fields["organisation"].choices = _organisation_choices(organisations)
        self.fields["budget_line"].choices = _line_choices(lines)

    def service_fields(self) -> dict[str, Any]:
        data = self.entered()
        data["organisation"] = self.organisations[data["organisation"]]
        data["budget_line"] = self.lines.get(data.get("budget_line") or "")
        return data


class PledgeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=PledgeStatus.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Needed when cancelling."),
    )


class TransactionForm(forms.Form):
    transaction_type = forms.ChoiceField(label=_("Type"), choices=TransactionType.choices)
    kind = forms.ChoiceField(label=_("Resource"), choices=ResourceKind.choices)
    amount = NumberField(label=_("Amount"))
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("e.g. IDR, USD"))
    value_date = forms.DateField(label=_("Value date"), widget=DATE)
    provider_organisation = forms.ChoiceField(label=_("Provider (a partner)"), required=False)
    provider_name = forms.CharField(
        label=_("or provider's name"),
        required=False,
        max_length=200,
        help_text=_("For a provider outside the partnership."),
    )
    provider_activity_id = forms.CharField(
        label=_("Provider's IATI activity"), required=False, max_length=150
    )
    receiver_organisation = forms.ChoiceField(label=_("Receiver (a partner)"), required=False)
    receiver_name = forms.CharField(
        label=_("or receiver's name"),
        required=False,
        max_length=200,
        help_text=_("For a receiver outside the partnership."),
    )
    receiver_activity_id = forms.CharField(
        label=_("Receiver's IATI activity"), required=False, max_length=150
    )
    budget_line = forms.ChoiceField(label=_("Budget line"), required=False)
    pledge = forms.ChoiceField(
        label=_("Pledge"), required=False, help_text=_("The pledge this delivers, if any.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=500, widget=forms.Textarea({"rows": 2})
    )

    def __init__(
        self, *args: Any, partners: list, lines: list, pledges: list, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The browser's date picker offers no day after today (the services refuse one).
        self.fields["value_date"].widget.attrs["max"] = latest_past_date().isoformat()
        self.fields["provider_organisation"].choices = _organisation_choices(partners)
        self.fields["receiver_organisation"].choices = _organisation_choices(partners)
        self.fields["budget_line"].choices = _line_choices(lines)
        self.fields["pledge"].choices = [("", "—")] + [
            (str(p.pk), f"{p.organisation.name}: {format_money(p.amount, p.currency)}")
            for p in pledges
        ]

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data as the services take it (ids for organisations, lines, pledges)."""
        data = {name: value for name, value in self.cleaned_data.items() if name in FIELDS}
        for name in ("provider_organisation", "receiver_organisation", "budget_line", "pledge"):
            data[name] = data.get(name) or None
        return data


FIELDS = frozenset(TransactionForm.base_fields)


class NewTransactionForm(OnceForm, TransactionForm):
    document = forms.FileField(
        label=_("Evidence document"), required=False, help_text=MAX_UPLOAD_HINT
    )


class CorrectionForm(TransactionForm):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)

    field_order = ["reason"]


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the reversal"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, help_text=_("Needed to reject.")
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Evidence document"), help_text=MAX_UPLOAD_HINT)


REVISABLE = ("title", "work_package", "amount", "period_start", "period_end")


class BudgetLineForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    work_package = forms.ChoiceField(label=_("Work package or output"), required=False)
    amount = NumberField(label=_("Amount"))
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Period end"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(
        self, *args: Any, work_packages: list, revising: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.work_packages = {str(wp.pk): wp for wp in work_packages}
        self.fields["work_package"].choices = [("", "—")] + [
            (str(wp.pk), str(wp)) for wp in work_packages
        ]
        self.revising = revising
        if revising:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Why the budget changes; kept in its history.")
            # The page keeps what it showed, so that only what the reader changed is
            # revised: a change someone else saved meanwhile is not silently undone.
            for name in REVISABLE:
                self.fields[name].show_hidden_initial = True

    def service_fields(self) -> dict[str, Any]:
        data = self.entered()
        if self.revising:
            data = {k: v for k, v in data.items() if k not in REVISABLE or k in self.changed_data}
        if "work_package" in data:
            data["work_package"] = self.work_packages.get(data.get("work_package") or "")
        return data


class RateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("e.g. USD"))
    date = forms.DateField(label=_("From"), widget=DATE)
    rate = NumberField(
        label=_("Rate"),
        help_text=_("How much of the base currency one unit is worth."),
    )
    source = forms.CharField(
        label=_("Source"), required=False, max_length=200, help_text=_("e.g. Bank Indonesia")
    )


class RateImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns: currency, date, rate (and source if you like).")
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=200)


class ApprovalRuleForm(forms.Form):
    threshold = NumberField(
        label=_("Approval needed above"),
        help_text=_("Expenditures above this amount (base currency) wait for approval."),
    )
    required = forms.IntegerField(label=_("Approvals needed"), min_value=1, max_value=50)
    approver_organisations = forms.MultipleChoiceField(
        label=_("Approving partners"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the coordinators approve."),
    )

    def __init__(self, *args: Any, partners: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partners = {str(o.pk): o for o in partners}
        self.fields["approver_organisations"].choices = [(str(o.pk), o.name) for o in partners]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["approver_organisations"] = [
            self.partners[key] for key in data.get("approver_organisations") or []
        ]
        return data
