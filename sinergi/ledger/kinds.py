"""What each kind of ledger entry means, in words, and an entry's fields as a reader sees them.

The kind (`finance.transaction.recorded`) and the payload are what the log signs; the
pages show them in the reader's language next to the code. A kind without a label here
shows as its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from functools import cache
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext, pgettext_lazy

from sinergi.core.numbers import grouped
from sinergi.ledger.models import Entry

LABELS = {
    "admin.added": gettext_lazy("Added by staff in the admin"),
    "admin.changed": gettext_lazy("Changed by staff in the admin"),
    "admin.deleted": gettext_lazy("Deleted by staff in the admin"),
    "agreement.adopted": gettext_lazy("Agreement adopted"),
    "agreement.draft_changed": gettext_lazy("Agreement draft changed"),
    "agreement.drafted": gettext_lazy("Agreement drafted"),
    "agreement.opened": gettext_lazy("Agreement opened for signature"),
    "agreement.signed": gettext_lazy("Agreement signed"),
    "expectation.added": gettext_lazy("Expectation added"),
    "expectation.removed": gettext_lazy("Expectation removed"),
    "expectation.updated": gettext_lazy("Expectation updated"),
    "finance.approval_rule.set": gettext_lazy("Approval rule set"),
    "finance.budget.created": gettext_lazy("Budget created"),
    "finance.budget.revised": gettext_lazy("Budget revised"),
    "finance.document.attached": gettext_lazy("Document attached"),
    "finance.expenditure.approved": gettext_lazy("Expenditure approved"),
    "finance.expenditure.rejected": gettext_lazy("Expenditure rejected"),
    "finance.import.recorded": gettext_lazy("Transactions imported"),
    "finance.pledge.recorded": gettext_lazy("Pledge recorded"),
    "finance.pledge.status_changed": gettext_lazy("Pledge status changed"),
    "finance.rate.set": gettext_lazy("Exchange rate set"),
    "finance.transaction.recorded": gettext_lazy("Transaction recorded"),
    "finance.transaction.reversed": gettext_lazy("Transaction reversed"),
    "goal.created": gettext_lazy("Goal created"),
    "goal.deleted": gettext_lazy("Goal deleted"),
    "goal.reordered": gettext_lazy("Goals reordered"),
    "goal.updated": gettext_lazy("Goal updated"),
    "membership.granted": gettext_lazy("Membership granted"),
    "membership.revoked": gettext_lazy("Membership revoked"),
    "membership.role_changed": gettext_lazy("Member's role changed"),
    "need.added": gettext_lazy("Need added"),
    "need.removed": gettext_lazy("Need removed"),
    "need.updated": gettext_lazy("Need updated"),
    "participation.commitment_changed": gettext_lazy("Partner's commitment changed"),
    "partner.confirmed": gettext_lazy("Partner confirmed taking part"),
    "partner.declined": gettext_lazy("Partner declined taking part"),
    "partner.joined": gettext_lazy("Partner joined"),
    "partner.left": gettext_lazy("Partner left"),
    "partner.role_changed": gettext_lazy("Partner's role changed"),
    "partnership.created": gettext_lazy("Partnership created"),
    "partnership.deleted": gettext_lazy("Partnership deleted"),
    "partnership.updated": gettext_lazy("Partnership updated"),
    "raci.changed": gettext_lazy("Responsibility changed"),
    "raci.replaced": gettext_lazy("Responsibilities replaced"),
    "raci.updated": gettext_lazy("Responsibilities changed"),
    "results.indicator.changed": gettext_lazy("Indicator changed"),
    "results.indicator.created": gettext_lazy("Indicator created"),
    "results.indicator.deleted": gettext_lazy("Indicator deleted"),
    "results.period.closed": gettext_lazy("Reporting period closed"),
    "results.period.reopened": gettext_lazy("Reporting period reopened"),
    "results.targets.set": gettext_lazy("Targets set"),
    "results.value.approved": gettext_lazy("Value approved"),
    "stage.advanced": gettext_lazy("Stage advanced"),
    "stage.changed": gettext_lazy("Stage changed"),
    "work_package.created": gettext_lazy("Work package created"),
    "work_package.deleted": gettext_lazy("Work package deleted"),
    "work_package.updated": gettext_lazy("Work package updated"),
}


# The areas a partnership's entries fall in, for the Ledger tab's filter: finance and
# results by their kinds' first part, governance (the partnership, its partners, members,
# agreement, goals, design and lifecycle, and staff's changes in the admin) all others.
AREAS = {
    "governance": gettext_lazy("Governance"),
    "finance": gettext_lazy("Finance"),
    "results": gettext_lazy("Results"),
}
AREA_PREFIXES = {"finance": "finance.", "results": "results."}


def area_of(kind: str) -> str:
    """The area an entry of `kind` falls in."""
    for area, prefix in AREA_PREFIXES.items():
        if kind.startswith(prefix):
            return area
    return "governance"


# Payload fields in words. The page shows the word, with the signed field name as its
# title; a field without a word here shows as its name.
FIELDS = {
    "accumulation": gettext_lazy("Accumulation"),
    "amount": gettext_lazy("Amount"),
    "approval": gettext_lazy("Decision"),  # the decision's record: "no. 7"
    "approvals": gettext_lazy("Approvals given"),  # how many so far
    "approvers": gettext_lazy("Approvers"),
    "ascending": gettext_lazy("Higher is better"),
    "base_amount": gettext_lazy("Amount in base currency"),
    "base_currency": gettext_lazy("Base currency"),
    "baseline": gettext_lazy("Baseline"),
    "baseline_date": gettext_lazy("Baseline date"),
    "baseline_value": gettext_lazy("Baseline value"),
    "books": gettext_lazy("Books of"),
    "budget_line": gettext_lazy("Budget line"),
    "capabilities": gettext_lazy("Capabilities"),
    "changed": gettext_lazy("Changed"),
    "changed_cells": gettext_lazy("Cells changed"),
    "changes": gettext_lazy("Changes"),
    "checklist": gettext_lazy("Checklist"),
    "code": gettext_lazy("Code"),
    "content_hash": gettext_lazy("Content hash"),
    "contribution": gettext_lazy("Contribution"),
    "coordinator": gettext_lazy("Coordinator"),
    "corrects": gettext_lazy("Corrects"),
    "currency": gettext_lazy("Currency"),
    "date": gettext_lazy("Date"),
    "description": gettext_lazy("Description"),
    "dimensions": gettext_lazy("Disaggregations"),
    "document": gettext_lazy("Document"),
    "evidence": gettext_lazy("Evidence"),
    "expectation": gettext_lazy("Expectation"),
    "final": gettext_lazy("Final"),
    "frequency": gettext_lazy("Frequency"),
    "from": gettext_lazy("From"),
    "goal": gettext_lazy("Goal"),
    "horizon": gettext_lazy("Horizon"),
    "importance": gettext_lazy("Importance"),
    "indicator": gettext_lazy("Indicator"),
    "kind": pgettext_lazy("ledger field", "Kind"),
    "line": gettext_lazy("Budget line"),
    "matrix": gettext_lazy("Matrix"),
    "measure": gettext_lazy("Measure"),
    "need": gettext_lazy("Need"),
    "needs_approval": gettext_lazy("Needs approval"),
    "note": gettext_lazy("Note"),
    "number": gettext_lazy("Number"),
    "organisation": gettext_lazy("Organisation"),
    "organisation_name": gettext_lazy("Organisation name"),
    "organisation_ref": gettext_lazy("Organisation identifier"),
    "owner": gettext_lazy("Owner"),
    "participation": gettext_lazy("Participation"),
    "period": gettext_lazy("Period"),
    "period_end": gettext_lazy("Period end"),
    "period_start": gettext_lazy("Period start"),
    "person": gettext_lazy("Person"),
    "pledge": gettext_lazy("Pledge"),
    "pledged_on": gettext_lazy("Pledged on"),
    "position": gettext_lazy("Position"),
    "provider": gettext_lazy("Provider"),
    "quantity": gettext_lazy("Quantity"),
    "rate": gettext_lazy("Rate"),
    "rate_date": gettext_lazy("Rate date"),
    "reason": gettext_lazy("Reason"),
    "receiver": gettext_lazy("Receiver"),
    "regions": gettext_lazy("Regions"),
    "reported_by": gettext_lazy("Reported by"),
    "required": gettext_lazy("Required"),
    "responsible": gettext_lazy("Responsible"),
    "result": gettext_lazy("Result"),
    "reverses": gettext_lazy("Reverses"),
    "revision": gettext_lazy("Revision"),
    "role": gettext_lazy("Role"),
    "sdg_indicator": gettext_lazy("SDG indicator"),
    "sdg_targets": gettext_lazy("SDG targets"),
    "sector_code": gettext_lazy("Sector code"),
    "sector_vocabulary": gettext_lazy("Sector vocabulary"),
    "sha256": gettext_lazy("SHA-256"),
    "signatories": gettext_lazy("Signatories"),
    "signed_by": gettext_lazy("Signed by"),
    "sites": gettext_lazy("Sites"),
    "size": gettext_lazy("Size in bytes"),
    "source": gettext_lazy("Source"),
    "status": gettext_lazy("Status"),
    "submission": gettext_lazy("Submission"),
    "superseded": gettext_lazy("Superseded"),
    "target_date": gettext_lazy("Target date"),
    "target_value": gettext_lazy("Target value"),
    "targets": gettext_lazy("Targets"),
    "text": gettext_lazy("Text"),
    "threshold": gettext_lazy("Threshold"),
    "title": gettext_lazy("Title"),
    "to": gettext_lazy("To"),
    "topic": gettext_lazy("Topic"),
    "transaction": gettext_lazy("Transaction"),
    "type": gettext_lazy("Type"),
    "unit": gettext_lazy("Unit"),
    "unit_rate": gettext_lazy("Unit rate"),
    "value": gettext_lazy("Value"),
    "value_date": gettext_lazy("Value date"),
    "values": gettext_lazy("Disaggregated values"),
    "visibility": gettext_lazy("Visibility"),
    "weight": gettext_lazy("Weight"),
    "work_package": gettext_lazy("Work package"),
}


# Payload fields that name a person by username, as the log signs them.
PERSON_FIELDS = frozenset({"coordinator", "invited_by", "person", "signed_by"})


# Payload fields that name an organisation: by its id in finance entries ("books": 11,
# "approvers": [1, 2]), by its slug in the others ("organisation": "gavi").
ORGANISATION_FIELDS = frozenset({"approvers", "books", "organisation", "owner", "signatories"})
BUDGET_LINE_FIELDS = frozenset({"budget_line", "line"})
# Payload fields that hold a record's number (its id): shown as "no. 12", so that it does
# not read as a count or as a position in the log; the transaction and pledge linked.
RECORD_FIELDS = frozenset(
    {
        "approval",
        "corrects",
        "document",
        "expectation",
        "goal",
        "indicator",
        "need",
        "participation",
        "pledge",
        "result",
        "reverses",
        "submission",
        "transaction",
    }
)
# Fields whose word does not say which kind of record they number.
TRANSACTION_FIELDS = frozenset({"corrects", "reverses"})


@dataclass(frozen=True)
class References:
    """What a page's entries refer to, in words, looked up in bulk once for the page and
    only where the reader may see it (`queries.page_references`); whatever is missing
    shows as the entry signed it, record numbers as "no. 12"."""

    # username → "Full name (Organisation)", for readers who may see the members
    people: Mapping[str, str] = field(default_factory=dict)
    organisations: Mapping[int, str] = field(default_factory=dict)  # by id
    organisation_slugs: Mapping[str, str] = field(default_factory=dict)  # slug → name
    budget_lines: Mapping[int, str] = field(default_factory=dict)  # id → title
    indicators: Mapping[int, str] = field(default_factory=dict)  # id → "code title"
    # A results breakdown's categories ("sex:female" → "Female") and dimensions by code
    categories: Mapping[str, str] = field(default_factory=dict)
    dimensions: Mapping[str, str] = field(default_factory=dict)
    # The partnership's slug where the reader may see its finance / results pages, for
    # links to the transactions, pledges, budget lines and indicators entries name.
    finance_slug: str | None = None
    results_slug: str | None = None


NO_REFERENCES = References()


@dataclass
class Wanted:
    """What a page's entries refer to by id, slug or username, to be looked up in bulk."""

    usernames: set[str] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    organisation_slugs: set[str] = field(default_factory=set)
    budget_lines: set[int] = field(default_factory=set)
    indicators: set[int] = field(default_factory=set)
    dimensions: bool = False  # whether any entry breaks a figure down by category


def _is_id(value: Any) -> bool:
    return type(value) is int


def wanted(bodies: Iterable[dict[str, Any]]) -> Wanted:
    """What the decoded entry bodies name: their actors, the people, organisations,
    budget lines and indicators of their payloads."""
    found = Wanted()
    for data in bodies:
        if isinstance(data.get("actor"), str):
            found.usernames.add(data["actor"])
        payload = data.get("payload")
        if not isinstance(payload, dict):
            continue
        for key, value in payload.items():
            if key in PERSON_FIELDS and isinstance(value, str):
                found.usernames.add(value)
            elif key in ORGANISATION_FIELDS:
                for item in value if isinstance(value, list) else [value]:
                    if _is_id(item):
                        found.organisations.add(item)
                    elif isinstance(item, str):
                        found.organisation_slugs.add(item)
            elif key in BUDGET_LINE_FIELDS and _is_id(value):
                found.budget_lines.add(value)
            elif key == "indicator" and _is_id(value):
                found.indicators.add(value)
            elif key in ("dimensions", "targets", "values") and value:
                found.dimensions = True
            elif key == "matrix" and isinstance(value, dict):
                found.organisation_slugs.update(
                    slug for row in value.values() if isinstance(row, dict) for slug in row
                )
    return found


def person_text(full_name: str, username: str, organisation: str | None) -> str:
    """A person as the partnership's own pages name them: "Full name (Organisation)"."""
    name = full_name.strip() or username
    return f"{name} ({organisation})" if organisation else name


# Fields whose meaning depends on the kind's first part ("kind" is a resource in finance,
# a capability in a need), so that no two fields of one entry read alike.
AREA_FIELDS = {
    ("finance", "kind"): gettext_lazy("Resource"),
    ("finance", "type"): gettext_lazy("Transaction type"),
    ("need", "kind"): gettext_lazy("Capability needed"),
    ("results", "type"): gettext_lazy("Result type"),
}
# The parts of a lifecycle checklist an entry records.
CHECKLIST_PARTS = {
    "done": gettext_lazy("Done"),
    "open": gettext_lazy("Still open"),
}


def label(kind: str) -> str:
    """The kind in words, in the active language; the code itself for an unknown kind."""
    found = LABELS.get(kind)
    return str(found) if found is not None else kind


def field_label(key: str, kind: str = "") -> str:
    """A payload field (of an entry of `kind`) in words, in the active language; its name
    for an unknown field."""
    found = AREA_FIELDS.get((kind.split(".", 1)[0], key)) or FIELDS.get(key)
    return str(found) if found is not None else key


@cache
def _coded_values() -> dict[tuple[str, str], dict[str, Any]]:
    """Payload values that are codes, by (the kind's first part, field): the code's words
    (lazy, so in the reader's language). The signed code stays in the entry's bytes."""
    from sinergi.codelists import ORGANISATION_ROLES
    from sinergi.finance.models import (
        PledgeStatus,
        PledgeStatusChange,
        ResourceKind,
        TransactionStatus,
        TransactionType,
    )
    from sinergi.partners.models import CapabilityKind, SectorVocabulary
    from sinergi.partnerships.models import (
        ExpectationTopic,
        Horizon,
        MemberRole,
        Stage,
        Visibility,
    )
    from sinergi.results.models import Accumulation, Frequency, Measure, ResultType, Status

    def words(choices: Any) -> dict[str, Any]:
        return dict(choices.choices if hasattr(choices, "choices") else choices)

    pledge_steps = words(PledgeStatus)
    return {
        ("expectation", "horizon"): words(Horizon),
        ("expectation", "topic"): words(ExpectationTopic),
        ("finance", "from"): pledge_steps,
        ("finance", "to"): pledge_steps,
        ("finance", "status"): words(TransactionStatus),
        ("finance", "kind"): words(ResourceKind),
        ("finance", "reason"): PledgeStatusChange.AUTOMATIC_REASONS,
        ("finance", "type"): words(TransactionType),
        ("membership", "role"): words(MemberRole),
        # A role revoked with its partner: the partner's entry's own words.
        ("membership", "reason"): {k: LABELS[k] for k in ("partner.left", "partner.declined")},
        ("need", "kind"): words(CapabilityKind),
        ("need", "sector_vocabulary"): words(SectorVocabulary),
        ("participation", "role"): words(ORGANISATION_ROLES),
        ("partner", "role"): words(ORGANISATION_ROLES),
        ("partnership", "visibility"): words(Visibility),
        ("results", "accumulation"): words(Accumulation),
        ("results", "frequency"): words(Frequency),
        ("results", "measure"): words(Measure),
        ("results", "type"): words(ResultType),
        ("results", "status"): words(Status),
        ("stage", "from"): words(Stage),
        ("stage", "to"): words(Stage),
    }


# Payload fields that hold figures as decimal strings ("2900.0000"): shown as the reader's
# language writes numbers ("2.900" in Indonesian, where "2900.0000" would read otherwise).
# Codes that look like numbers (an IATI type "4", a result code "5.1") are not among them.
NUMBER_FIELDS = frozenset(
    {
        "amount",
        "base_amount",
        "baseline",
        "baseline_value",
        "quantity",
        "rate",
        "target_value",
        "targets",
        "threshold",
        "unit_rate",
        "value",
        "values",
    }
)
_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")


# Payload fields that hold an amount, with the field that holds its currency.
MONEY_FIELDS = {
    "amount": "currency",
    "base_amount": "base_currency",
    "threshold": "currency",
    "unit_rate": "currency",
}
_CURRENCY = re.compile(r"[A-Z]{3}")


def field_value_text(
    kind: str,
    key: str,
    value: Any,
    refs: References = NO_REFERENCES,
    payload: Mapping[str, Any] | None = None,
) -> str:
    """A payload field's value as a reader sees it: a person by name where `refs` has it,
    an amount with its currency (from the entry's `payload`) as the finance pages write
    it, a coded value (a status, a role, an IATI type) in words in the reader's language,
    a figure as the language writes numbers, anything else as `value_text`."""
    if key in PERSON_FIELDS and isinstance(value, str) and value in refs.people:
        return refs.people[value]
    if key in MONEY_FIELDS and payload is not None:
        money = money_text(value, payload.get(MONEY_FIELDS[key]))
        if money is not None:
            return money
    referred = _reference(key, value, refs)
    if referred is not None:
        return referred
    nested = _nested(kind, key, value, refs)
    if nested is not None:
        return nested
    if isinstance(value, str):
        found = _coded_values().get((kind.split(".", 1)[0], key), {}).get(value)
        if found is not None:
            return str(found)
    if key in NUMBER_FIELDS:
        return value_text(_figures(key, value))
    return value_text(value)


def money_text(amount: Any, currency: Any) -> str | None:
    """A signed amount ("1150000.00") in `currency` as the finance pages write it
    ("US$1,150,000.00", "Rp18.216.000.000"); with every signed digit and the currency's
    code when it has more decimals than the currency uses. None when either is not what
    an amount and a currency look like."""
    from sinergi.finance.money import format_money, quantize

    if not (isinstance(amount, str) and _DECIMAL.fullmatch(amount)):
        return None
    if not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        return None
    number = Decimal(amount)
    try:
        if len(number.as_tuple().digits) <= 20 and quantize(number, currency) == number:
            return format_money(number, currency)
    except (InvalidOperation, ValueError):
        pass
    return f"{currency} {_figure(amount)}"


def _day(text: Any) -> str | None:
    """An ISO date ("2026-01-08") as the pages write a day ("8 Jan 2026"), month names in
    the reader's language."""
    try:
        return date_filter(date.fromisoformat(text), "j M Y")
    except (TypeError, ValueError):
        return None


def _words(kind: str, key: str, value: Any) -> str:
    """A coded value in words, its first letter made small to sit inside a sentence
    (unless the word is an acronym)."""
    text = field_value_text(kind, key, value)
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def summary(kind: str, payload: Mapping[str, Any], refs: References = NO_REFERENCES) -> str | None:
    """A finance entry in one line, money with its currency first ("$1,150,000.00
    (IDR18,216,000,000), incoming commitment, value date 8 Jan 2026"); None for other
    kinds, and for an entry that lacks what its line needs."""
    if not kind.startswith("finance."):
        return None
    amount = money_text(payload.get("amount"), payload.get("currency"))
    if amount is not None and payload.get("currency") != payload.get("base_currency"):
        base = money_text(payload.get("base_amount"), payload.get("base_currency"))
        if base is not None:
            amount = gettext("%(amount)s (%(base_amount)s)") % {
                "amount": amount,
                "base_amount": base,
            }
    if kind in ("finance.transaction.recorded", "finance.transaction.reversed"):
        day = _day(payload.get("value_date"))
        if amount is None or day is None:
            return None
        return gettext("%(amount)s, %(type)s, value date %(date)s") % {
            "amount": amount,
            "type": _words(kind, "type", payload.get("type")),
            "date": day,
        }
    if kind == "finance.pledge.recorded":
        day = _day(payload.get("pledged_on"))
        if amount is None or day is None:
            return None
        return gettext("%(organisation)s: %(amount)s, %(kind)s, pledged on %(date)s") % {
            "organisation": _organisation(payload.get("organisation"), refs),
            "amount": amount,
            "kind": _words(kind, "kind", payload.get("kind")),
            "date": day,
        }
    if kind in ("finance.budget.created", "finance.budget.revised"):
        start, end = _day(payload.get("period_start")), _day(payload.get("period_end"))
        if amount is None or start is None or end is None:
            return None
        return gettext("%(title)s: %(amount)s from %(start)s to %(end)s") % {
            "title": value_text(payload.get("title")),
            "amount": amount,
            "start": start,
            "end": end,
        }
    if kind == "finance.rate.set":
        day = _day(payload.get("date"))
        rate = payload.get("rate")
        if day is None or not (isinstance(rate, str) and _DECIMAL.fullmatch(rate)):
            return None
        return gettext("1 %(currency)s = %(rate)s %(base_currency)s, the rate of %(date)s") % {
            "currency": value_text(payload.get("currency")),
            "rate": _figure(rate),
            "base_currency": value_text(payload.get("base_currency")),
            "date": day,
        }
    if kind == "finance.approval_rule.set":
        threshold = money_text(payload.get("threshold"), payload.get("currency"))
        required = payload.get("required")
        if threshold is None or not _is_id(required):
            return None
        return ngettext(
            "Expenditures above %(threshold)s need %(required)s approval",
            "Expenditures above %(threshold)s need %(required)s approvals",
            required,
        ) % {"threshold": threshold, "required": required}
    if kind in ("finance.expenditure.approved", "finance.expenditure.rejected"):
        approvals, required = payload.get("approvals"), payload.get("required")
        if not (_is_id(approvals) and _is_id(required)):
            return None
        return ngettext(
            "%(approvals)s of %(required)s approval given; status: %(status)s",
            "%(approvals)s of %(required)s approvals given; status: %(status)s",
            required,
        ) % {
            "approvals": approvals,
            "required": required,
            "status": _words(kind, "status", payload.get("status")),
        }
    if kind == "finance.pledge.status_changed":
        if not (isinstance(payload.get("from"), str) and isinstance(payload.get("to"), str)):
            return None
        before = field_value_text(kind, "from", payload["from"])
        return f"{before} → {field_value_text(kind, 'to', payload['to'])}"
    return None


def _reference(key: str, value: Any, refs: References) -> str | None:
    """The record a payload field refers to, named or numbered; None for a field that
    refers to none. A link is given where the reader may see the record's page."""
    if key in ORGANISATION_FIELDS:
        if (
            isinstance(value, list)
            and value
            and all(_is_id(v) or isinstance(v, str) for v in value)
        ):
            return ", ".join(_organisation(item, refs) for item in value)
        if _is_id(value) or isinstance(value, str):
            return _organisation(value, refs)
        return None
    if not _is_id(value):
        return None
    if key in BUDGET_LINE_FIELDS:
        title = refs.budget_lines.get(value)
        if title is None:
            return _number(value)
        if refs.finance_slug is None:
            return title
        url = reverse("finance-budget", args=[refs.finance_slug]) + f"#line-{value}"
        return format_html('<a href="{}">{}</a>', url, title)
    if key == "indicator":
        name = refs.indicators.get(value)
        if name is None:
            return _number(value)
        if refs.results_slug is None:
            return name
        url = reverse("results-indicator", args=[refs.results_slug, value])
        return format_html('<a href="{}">{}</a>', url, name)
    if key not in RECORD_FIELDS:
        return None
    text = (
        gettext("transaction no. %(number)s") % {"number": value}
        if key in TRANSACTION_FIELDS
        else _number(value)
    )
    if refs.finance_slug is not None and key in TRANSACTION_FIELDS | {"transaction"}:
        url = reverse("finance-transaction", args=[refs.finance_slug, value])
        return format_html('<a href="{}">{}</a>', url, text)
    if refs.finance_slug is not None and key == "pledge":
        url = reverse("finance-pledges", args=[refs.finance_slug]) + f"#pledge-{value}"
        return format_html('<a href="{}">{}</a>', url, text)
    return text


def _nested(kind: str, key: str, value: Any, refs: References) -> str | None:
    """A payload value that holds objects, spelled out in the reader's language: the
    capabilities a partner brings, a breakdown by category, targets per period, the RACI
    matrix, a lifecycle checklist. None for any other value, or one not of that shape."""
    if key == "capabilities" and _all(value, list, dict):
        words = _coded_values()[("need", "kind")]
        return ", ".join(
            f"{words.get(item.get('kind'), value_text(item.get('kind')))}"
            + (f" ({_number(item['id'])})" if _is_id(item.get("id")) else "")
            for item in value
        )
    if key == "values" and isinstance(value, dict) and _all(list(value.values()), list, str):
        return "; ".join(
            f"{_category(name, refs)}: {_figure(figure)}" for name, figure in value.items()
        )
    if key == "targets" and _all(value, list, dict):
        return "; ".join(_target(item, refs) for item in value)
    if key == "dimensions" and _all(value, list, str):
        return ", ".join(refs.dimensions.get(code, code) for code in value)
    if key == "matrix" and isinstance(value, dict) and _all(list(value.values()), list, dict):
        return "; ".join(
            f"{package}: "
            + ", ".join(
                f"{refs.organisation_slugs.get(slug, slug)} {value_text(letter)}"
                for slug, letter in row.items()
            )
            for package, row in value.items()
        )
    if key == "checklist" and isinstance(value, dict):
        from sinergi.partnerships.lifecycle.checklist import REGISTRY

        items = {rule.id: rule.label for rules in REGISTRY.values() for rule in rules}
        parts = [
            f"{word}: "
            + (", ".join(str(items.get(i, i)) for i in value[part]) if value[part] else "—")
            for part, word in CHECKLIST_PARTS.items()
            if _all(value.get(part), list, str)
        ]
        return "; ".join(parts) or None
    if isinstance(value, dict) and not (isinstance(value.get("name"), str) and value["name"]):
        # Escaped here, for a field inside may be a link (a transaction, an indicator).
        shown = format_html_join(
            ", ",
            "{}: {}",
            (
                (field_label(name, kind), field_value_text(kind, name, item, refs))
                for name, item in value.items()
                if not _empty(item)
            ),
        )
        return format_html("({})", shown) if shown else "—"
    return None


def _all(value: Any, container: type, item: type) -> bool:
    """Whether `value` is a `container` whose items are all of type `item`."""
    return isinstance(value, container) and all(isinstance(i, item) for i in value)


def _category(name: str, refs: References) -> str:
    """A breakdown's category ("province:ID-MA") by its label ("Maluku") where known."""
    return refs.categories.get(name, name)


def _target(item: dict[str, Any], refs: References) -> str:
    """One target: "2025-Q1: 70", or "2025-Q1, Maluku: 74.3" for a category."""
    where = value_text(item.get("period"))
    if isinstance(item.get("category"), str) and item["category"]:
        where += f", {_category(item['category'], refs)}"
    figure = item.get("value")
    return f"{where}: {_figure(figure) if isinstance(figure, str) else value_text(figure)}"


def _number(value: int) -> str:
    """A record's number, told apart from a count and from a position in the log."""
    return gettext("no. %(number)s") % {"number": value}


def _organisation(value: int | str, refs: References) -> str:
    """An organisation an entry names by id or slug, by its name where it is known."""
    if _is_id(value):
        return refs.organisations.get(value) or _number(value)
    return refs.organisation_slugs.get(value) or value


def _figures(key: str, value: Any) -> Any:
    """The payload field `key`'s `value` with its figures written as the active language
    writes numbers (every signed digit but trailing zeros): the value itself, the items
    of a list, every value of a breakdown (`values`: category → figure), and in other
    objects (a target: period, category, value) only the fields that are figures."""
    if isinstance(value, str):
        return _figure(value)
    if isinstance(value, list):
        return [_figures(key, item) for item in value]
    if isinstance(value, dict):
        if key == "values":
            return {name: _figures(key, item) for name, item in value.items()}
        return {
            name: _figures(name, item) if name in NUMBER_FIELDS else item
            for name, item in value.items()
        }
    return value


def _figure(text: str) -> str:
    if not _DECIMAL.fullmatch(text):
        return text
    with localcontext() as wide:
        wide.prec = 80  # more digits than _DECIMAL lets through
        number = Decimal(text).normalize()
        if number == number.to_integral():
            number = number.quantize(Decimal(1))
    return grouped(number)


def value_text(value: Any) -> str:
    """One payload value as a reader sees it: a referenced row by its name, lists and
    objects spelled out, None as a dash."""
    if value is None:
        return "—"
    if value is True:
        return pgettext("ledger value", "yes")
    if value is False:
        return pgettext("ledger value", "no")
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value) or "—"
    if isinstance(value, dict):
        if isinstance(value.get("name"), str) and value["name"].strip():
            return value["name"]
        shown = [f"{key}: {value_text(item)}" for key, item in value.items() if not _empty(item)]
        return "(" + ", ".join(shown) + ")" if shown else "—"
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


@dataclass(frozen=True)
class Row:
    """One entry as the partnership's ledger page shows it."""

    index: int
    time: datetime | None
    time_text: str
    kind: str
    label: str | None  # None for a kind without words: the page shows its code alone
    actor: str | None  # the username the entry signs
    details: list[tuple[str, str, str]]  # (the field in words, its signed name, its value)
    actor_name: str | None = None  # "Full name (Organisation)" for readers who may see it
    summary: str | None = None  # a finance entry in one line; its fields then folded away

    @property
    def kind_parts(self) -> list[str]:
        """The code's dot-separated parts: a narrow column breaks it at its dots."""
        return self.kind.split(".")


def row(entry: Entry, data: dict[str, Any], refs: References = NO_REFERENCES) -> Row:
    """`entry` with its decoded body `data`: the time as a date (and as recorded), the
    kind in words, who acted and the payload's fields that hold something, as text, with
    what they refer to named from `refs`."""
    try:
        moment: datetime | None = datetime.fromisoformat(data.get("time").replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        moment = None
    payload = data.get("payload")
    if isinstance(payload, dict):
        details = [
            (
                field_label(key, data["kind"]),
                key,
                field_value_text(data["kind"], key, value, refs, payload),
            )
            for key, value in payload.items()
            if not _empty(value)
        ]
    else:
        details = [] if _empty(payload) else [("payload", "payload", value_text(payload))]
    return Row(
        index=entry.index,
        time=moment,
        time_text=str(data.get("time", "")),
        kind=data["kind"],
        label=str(LABELS[data["kind"]]) if data["kind"] in LABELS else None,
        actor=data.get("actor"),
        details=details,
        actor_name=refs.people.get(data["actor"]) if isinstance(data.get("actor"), str) else None,
        summary=summary(data["kind"], payload, refs) if isinstance(payload, dict) else None,
    )
