"""Finance pages, under /<lang>/partnerships/<slug>/finance/.

Every page reads the partnership through the policy (404 for those who may not see it)
and shows a form only to those the policy lets use it. Writes go through
`sinergi.finance.services`; their errors land on the form's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction as db
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.core.errors import Conflict
from sinergi.core.files import evidence_download
from sinergi.core.forms import apply_domain_errors
from sinergi.core.once import saved_once
from sinergi.core.pages import render_kept
from sinergi.finance import charts, export, forms, queries, services
from sinergi.finance.models import (
    PLEDGE_TRANSITIONS,
    ApprovalRule,
    BudgetLine,
    Pledge,
    PledgeStatus,
    Transaction,
    TransactionDocument,
    TransactionStatus,
)
from sinergi.finance.money import format_money
from sinergi.partnerships.models import Partnership

PAGE_SIZE = 50
T = TypeVar("T")


# ---------------------------------------------------------------- helpers


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    """The partnership if the user may read its finance (404 otherwise: no leak)."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_finance(request.user, partnership):
        raise Http404("No such partnership.")
    return partnership


def _recordable(request: HttpRequest, partnership: Partnership, partners: list) -> list:
    """The partners on whose books the user may record pledges and transactions."""
    if not request.user.is_authenticated:
        return []
    return [o for o in partners if policy.can_record_finance(request.user, partnership, o)]


def _render(
    request: HttpRequest,
    template: str,
    partnership: Partnership,
    section: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    base = _base(request, partnership, section)
    return render(request, f"finance/{template}", {**base, **context}, status=status)


def _base(request: HttpRequest, partnership: Partnership, section: str) -> dict[str, Any]:
    """What every finance page shows besides its own content."""
    return {
        "partnership": partnership,
        "section": section,
        "currency": partnership.base_currency,
        "can_manage": policy.can_manage_finance(request.user, partnership),
        # The tab bar's Members link (kept pages differ by it: sinergi.core.pages).
        "sees_members": policy.can_see_members(request.user, partnership),
    }


def _attempt(
    form: django_forms.Form, call: Callable[[], T], field_map: dict[str, str] | None = None
) -> T | None:
    """Run a service call; put its refusal on the form and return None instead of raising."""
    try:
        return call()
    except ValidationError as error:
        apply_domain_errors(form, error, field_map)
    except Conflict as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You may not do this in this partnership."))
    return None


def _saved_once(
    request: HttpRequest,
    form: django_forms.Form,
    call: Callable[[], T],
    location: Callable[[T], str],
    field_map: dict[str, str] | None = None,
) -> T | HttpResponse | None:
    """`_attempt(form, call)` once per form shown (`sinergi.core.once`): the same form
    sent again answers with a redirect to what the first one made, and says so."""
    return saved_once(request, form, lambda: _attempt(form, call, field_map), location)


def _month_label(month: date) -> str:
    return dateformat.format(month, "M Y")


# ---------------------------------------------------------------- overview


@require_GET
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    """The partners' questions answered: gap, fulfilment, burn rate, where money went.

    The figures and charts are the same for every reader in one language, so they are
    rendered once per partnership version (see `queries.fresh`) and reused."""
    partnership = _partnership(request, slug)
    key = queries.fresh_key(partnership, "overview")
    return render_kept(
        request,
        "finance/overview.html",
        _base(request, partnership, "overview"),
        {"body": (key, lambda: _overview_body(partnership))},
        seconds=queries.FRESH_SECONDS,
        max_age=queries.FRESH_SECONDS,
    )


def _overview_body(partnership: Partnership) -> str:
    figures = queries.overview(partnership)
    cur = figures.currency

    def value(amount: Any) -> charts.Value:
        return charts.Value(amount=amount, text=format_money(amount, cur))

    gap_chart = charts.bar_chart(
        "funding-gap-chart",
        _("Budget, committed, received and spent"),
        _("Funding gap: the budget minus what partners have committed."),
        [
            charts.Group(_("Budget"), [value(figures.budget)]),
            charts.Group(_("Committed"), [value(figures.committed)]),
            charts.Group(_("Received"), [value(figures.received)]),
            charts.Group(_("Spent"), [value(figures.spent)]),
        ],
        [_("Amount")],
    )
    fulfilment_chart = charts.bar_chart(
        "fulfilment-chart",
        _("Pledged and delivered, per partner"),
        _("For each partner, what it pledged and what it has delivered so far."),
        [
            charts.Group(row.organisation.name, [value(row.pledged), value(row.delivered)])
            for row in figures.fulfilment
        ],
        [_("Pledged"), _("Delivered")],
    )
    burn_chart = charts.column_chart(
        "burn-chart",
        _("Spending per month"),
        _("Expenditure in each of the last twelve months."),
        [
            (dateformat.format(month, "M"), _month_label(month), value(amount))
            for month, amount in figures.monthly_spending
        ],
    )
    line_chart = charts.bar_chart(
        "spending-by-output-chart",
        _("Spending by budget line"),
        _("What was spent under each budget line or work package."),
        [charts.Group(row.label, [value(row.amount)]) for row in figures.by_line],
        [_("Spent")],
    )
    return render_to_string(
        "finance/_overview_body.html",
        {
            "partnership": partnership,
            "currency": cur,
            "figures": figures,
            "gap_chart": gap_chart,
            "fulfilment_chart": fulfilment_chart,
            "burn_chart": burn_chart,
            "line_chart": line_chart,
            "months": [(_month_label(month), amount) for month, amount in figures.monthly_spending],
        },
    )


# ---------------------------------------------------------------- transactions


def _filter_form(request: HttpRequest, partnership: Partnership) -> forms.TransactionFilterForm:
    return forms.TransactionFilterForm(
        request.GET or None,
        partners=queries.partners(partnership),
        lines=queries.budget_lines(partnership),
    )


@require_GET
def transaction_list(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    filters = _filter_form(request, partnership)
    rows = queries.transactions(partnership, filters.filter())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_record = bool(_recordable(request, partnership, filters.partners))
    return _render(
        request,
        "transactions.html",
        partnership,
        "transactions",
        {
            "filters": filters,
            "page": page,
            "query": filters.query(),
            "can_record": can_record,
        },
    )


def _transaction_form_lists(partnership: Partnership) -> dict[str, list]:
    return {
        "partners": queries.partners(partnership),
        "lines": queries.budget_lines(partnership),
        "pledges": list(
            Pledge.objects.filter(partnership=partnership)
            .exclude(status=PledgeStatus.CANCELLED)
            .select_related("organisation")
            .order_by("organisation__name", "pk")
        ),
    }


@require_http_methods(["GET", "POST"])
def transaction_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a transaction, with an evidence document if given (both or neither)."""
    partnership = _partnership(request, slug)
    lists = _transaction_form_lists(partnership)
    recordable = _recordable(request, partnership, lists["partners"])
    if not recordable:
        raise PermissionDenied
    form = forms.NewTransactionForm(
        request.POST or None,
        request.FILES or None,
        initial={"currency": partnership.base_currency, "value_date": timezone.localdate()},
        **lists,
    )
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data.get("document")

        def record() -> Transaction:
            with db.atomic():
                tx = services.record_transaction(
                    actor=request.user, partnership=partnership, **form.service_fields()
                )
                if document:
                    services.attach_document(
                        actor=request.user, transaction=tx, uploaded_file=document
                    )
            return tx

        tx = _saved_once(
            request,
            form,
            record,
            lambda tx: reverse("finance-transaction", args=[slug, tx.pk]),
            {"file": "document"},
        )
        if isinstance(tx, HttpResponse):
            return tx
        if tx is not None:
            if tx.status == TransactionStatus.PENDING:
                messages.success(request, _("Recorded. It awaits approval."))
            else:
                messages.success(request, _("Recorded."))
            return redirect("finance-transaction", slug=slug, pk=tx.pk)
    return _render(
        request,
        "transaction_form.html",
        partnership,
        "transactions",
        {
            "form": form,
            "title": _("Record a transaction"),
            # Said up front when the reader keeps the books of only some partners.
            "own_books": recordable if len(recordable) < len(lists["partners"]) else [],
        },
        status=422 if form.errors else 200,
    )


def _transaction(partnership: Partnership, pk: int) -> Transaction:
    tx = queries.transaction_for(partnership, pk)
    if tx is None:
        raise Http404("No such transaction.")
    return tx


def _decision_context(request: HttpRequest, partnership: Partnership, tx: Transaction) -> dict:
    rule = ApprovalRule.objects.filter(partnership=partnership).first()
    approvers = services.approver_ids(rule) if rule else set()
    counts_for = (
        policy.can_approve_for(request.user, partnership, approvers)
        if tx.status == TransactionStatus.PENDING
        else None
    )
    may_decide = (
        counts_for is not None
        and tx.recorded_by_id != request.user.pk
        and not any(a.person_id == request.user.pk for a in tx.approvals.all())
    )
    return {"rule": rule, "may_decide": may_decide}


def _transaction_page(
    request: HttpRequest,
    partnership: Partnership,
    tx: Transaction,
    *,
    reverse_form: forms.ReverseForm | None = None,
    decision_form: forms.DecisionForm | None = None,
    document_form: forms.DocumentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_attach = request.user.is_authenticated and policy.can_record_finance(
        request.user, partnership, tx.organisation
    )
    correctable = (
        may_attach
        and not tx.is_reversal
        and tx.status in (TransactionStatus.RECORDED, TransactionStatus.REJECTED)
    )
    chain = queries.chain(tx)
    reversed_already = any(link.transaction.reverses_id == tx.pk for link in chain)
    decision = _decision_context(request, partnership, tx)
    may_correct = correctable and not reversed_already
    # A refused action whose form is no longer offered (e.g. already reversed, or the
    # author trying to approve) still says why, above the page.
    hidden = [
        (reverse_form, may_correct),
        (decision_form, decision["may_decide"]),
        (document_form, may_attach),
    ]
    action_errors = [
        message
        for form, shown in hidden
        if form is not None and form.errors and not shown
        for messages_ in form.errors.values()
        for message in messages_
    ]
    return _render(
        request,
        "transaction.html",
        partnership,
        "transactions",
        {
            "tx": tx,
            "chain": chain,
            "approvals": list(tx.approvals.all()),
            "documents": list(tx.documents.all()),
            "can_see_documents": policy.can_see_finance_documents(request.user, partnership),
            "may_attach": may_attach,
            "may_correct": may_correct,
            "action_errors": action_errors,
            "reverse_form": reverse_form or forms.ReverseForm(prefix="reverse"),
            "decision_form": decision_form or forms.DecisionForm(prefix="decide"),
            "document_form": document_form or forms.DocumentForm(prefix="document"),
            **decision,
        },
        status=status,
    )


@require_GET
def transaction_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    return _transaction_page(request, partnership, _transaction(partnership, pk))


@require_POST
def transaction_reverse(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    if not policy.can_record_finance(request.user, partnership, tx.organisation):
        raise PermissionDenied
    form = forms.ReverseForm(request.POST, prefix="reverse")
    if form.is_valid():
        reversal = _attempt(
            form,
            lambda: services.reverse_transaction(
                actor=request.user, transaction=tx, reason=form.cleaned_data["reason"]
            ),
        )
        if reversal is not None:
            messages.success(request, _("The transaction was reversed."))
            return redirect("finance-transaction", slug=slug, pk=reversal.pk)
    tx = _transaction(partnership, pk)
    return _transaction_page(request, partnership, tx, reverse_form=form, status=422)


def _initial_from(tx: Transaction) -> dict[str, Any]:
    return {
        "transaction_type": tx.transaction_type,
        "kind": tx.kind,
        "amount": tx.amount,  # a Decimal: the form shows it the reader's way
        "currency": tx.currency,
        "value_date": tx.value_date,
        "provider_organisation": str(tx.provider_organisation_id or ""),
        "provider_name": tx.provider_name,
        "provider_activity_id": tx.provider_activity_id,
        "receiver_organisation": str(tx.receiver_organisation_id or ""),
        "receiver_name": tx.receiver_name,
        "receiver_activity_id": tx.receiver_activity_id,
        "budget_line": str(tx.budget_line_id or ""),
        "pledge": str(tx.pledge_id or ""),
        "description": tx.description,
    }


def _changes(form: forms.CorrectionForm, tx: Transaction) -> dict[str, Any]:
    """The fields the correction changes (compared as the form shows them)."""
    before = _initial_from(tx)
    after = form.service_fields()
    changed = {}
    for name, value in after.items():
        old = before[name]
        if name == "amount":
            try:
                same = Decimal(str(value).strip()) == tx.amount
            except (ArithmeticError, ValueError):
                same = False
        else:
            same = str(value or "") == str(old or "")
        if not same:
            changed[name] = value
    return changed


@require_http_methods(["GET", "POST"])
def transaction_correct(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Correct a transaction: its reversal and the replacement, recorded together."""
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    if not policy.can_record_finance(request.user, partnership, tx.organisation):
        raise PermissionDenied
    form = forms.CorrectionForm(
        request.POST or None, initial=_initial_from(tx), **_transaction_form_lists(partnership)
    )
    if request.method == "POST" and form.is_valid():
        result = _attempt(
            form,
            lambda: services.correct_transaction(
                actor=request.user,
                transaction=tx,
                reason=form.cleaned_data["reason"],
                **_changes(form, tx),
            ),
            {"transaction": "reason"},
        )
        if result is not None:
            messages.success(request, _("The transaction was corrected."))
            return redirect("finance-transaction", slug=slug, pk=result[1].pk)
    return _render(
        request,
        "transaction_form.html",
        partnership,
        "transactions",
        {"form": form, "title": _("Correct a transaction"), "tx": tx},
        status=422 if form.errors else 200,
    )


@require_POST
def transaction_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve or reject an expenditure awaiting approval."""
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    if not request.user.is_authenticated:
        raise PermissionDenied
    form = forms.DecisionForm(request.POST, prefix="decide")
    if form.is_valid():
        approval = _attempt(
            form,
            lambda: services.decide(
                actor=request.user,
                transaction=tx,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if approval is not None:
            messages.success(request, _("Your decision is recorded."))
            return redirect("finance-transaction", slug=slug, pk=tx.pk)
    tx = _transaction(partnership, pk)
    return _transaction_page(request, partnership, tx, decision_form=form, status=422)


@require_POST
def transaction_attach(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    tx = _transaction(partnership, pk)
    if not policy.can_record_finance(request.user, partnership, tx.organisation):
        raise PermissionDenied
    form = forms.DocumentForm(request.POST, request.FILES, prefix="document")
    if form.is_valid():
        document = _attempt(
            form,
            lambda: services.attach_document(
                actor=request.user, transaction=tx, uploaded_file=form.cleaned_data["file"]
            ),
        )
        if document is not None:
            messages.success(request, _("The document is attached."))
            return redirect("finance-transaction", slug=slug, pk=tx.pk)
    tx = _transaction(partnership, pk)
    return _transaction_page(request, partnership, tx, document_form=form, status=422)


@require_GET
def document_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """An evidence document, for the partnership's own people and staff."""
    partnership = _partnership(request, slug)
    document = get_object_or_404(TransactionDocument, pk=pk, transaction__partnership=partnership)
    if not policy.can_see_finance_documents(request.user, partnership):
        raise PermissionDenied
    return evidence_download(document.file, document.name, document.sha256)


# ---------------------------------------------------------------- pledges


def _pledges_page(
    request: HttpRequest,
    partnership: Partnership,
    *,
    status_form: forms.PledgeStatusForm | None = None,
    form_pledge: int | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = queries.pledges(partnership)
    partners = queries.partners(partnership)
    recordable = {o.pk for o in _recordable(request, partnership, partners)}
    items = []
    for row in rows:
        next_statuses = PLEDGE_TRANSITIONS[row.pledge.status]
        may_change = row.pledge.organisation_id in recordable and bool(next_statuses)
        form = None
        if may_change:
            if status_form is not None and form_pledge == row.pledge.pk:
                form = status_form
            else:
                form = forms.PledgeStatusForm(prefix=f"pledge-{row.pledge.pk}")
            form.fields["status"].choices = [
                (value, label) for value, label in PledgeStatus.choices if value in next_statuses
            ]
        items.append((row, form))
    return _render(
        request,
        "pledges.html",
        partnership,
        "pledges",
        {"items": items, "can_record": bool(recordable)},
        status=status,
    )


@require_GET
def pledge_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _pledges_page(request, _partnership(request, slug))


@require_http_methods(["GET", "POST"])
def pledge_new(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    organisations = _recordable(request, partnership, queries.partners(partnership))
    if not organisations:
        raise PermissionDenied
    today = timezone.localdate()
    form = forms.PledgeForm(
        request.POST or None,
        organisations=organisations,
        lines=queries.budget_lines(partnership),
        initial={
            "currency": partnership.base_currency,
            "pledged_on": today,
            "organisation": str(organisations[0].pk) if len(organisations) == 1 else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        pledge = _saved_once(
            request,
            form,
            lambda: services.record_pledge(
                actor=request.user, partnership=partnership, **form.service_fields()
            ),
            lambda pledge: reverse("finance-pledges", args=[slug]) + f"#pledge-{pledge.pk}",
        )
        if isinstance(pledge, HttpResponse):
            return pledge
        if pledge is not None:
            messages.success(request, _("The pledge is recorded."))
            return redirect(reverse("finance-pledges", args=[slug]) + f"#pledge-{pledge.pk}")
    return _render(
        request,
        "pledge_form.html",
        partnership,
        "pledges",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def pledge_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    pledge = get_object_or_404(
        Pledge.objects.select_related("organisation", "partnership"),
        pk=pk,
        partnership=partnership,
    )
    if not policy.can_record_finance(request.user, partnership, pledge.organisation):
        raise PermissionDenied
    form = forms.PledgeStatusForm(request.POST, prefix=f"pledge-{pk}")
    if form.is_valid():
        changed = _attempt(
            form,
            lambda: services.change_pledge_status(
                actor=request.user, pledge=pledge, **form.cleaned_data
            ),
        )
        if changed is not None:
            messages.success(request, _("The pledge's status is changed."))
            return redirect(reverse("finance-pledges", args=[slug]) + f"#pledge-{pk}")
    return _pledges_page(request, partnership, status_form=form, form_pledge=pk, status=422)


# ---------------------------------------------------------------- budget


@require_GET
def budget(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    return _render(
        request, "budget.html", partnership, "budget", {"budget": queries.budget(partnership)}
    )


def _work_packages(partnership: Partnership) -> list:
    return list(partnership.work_packages.order_by("position", "code", "pk"))


@require_http_methods(["GET", "POST"])
def budget_line_new(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    if not policy.can_manage_finance(request.user, partnership):
        raise PermissionDenied
    form = forms.BudgetLineForm(request.POST or None, work_packages=_work_packages(partnership))
    if request.method == "POST" and form.is_valid():
        line = _saved_once(
            request,
            form,
            lambda: services.create_budget_line(
                actor=request.user, partnership=partnership, **form.service_fields()
            ),
            lambda line: reverse("finance-budget", args=[slug]) + f"#line-{line.pk}",
        )
        if isinstance(line, HttpResponse):
            return line
        if line is not None:
            messages.success(request, _("The budget line is added."))
            return redirect(reverse("finance-budget", args=[slug]) + f"#line-{line.pk}")
    return _render(
        request,
        "budget_form.html",
        partnership,
        "budget",
        {"form": form, "title": _("Add a budget line")},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def budget_line_revise(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    if not policy.can_manage_finance(request.user, partnership):
        raise PermissionDenied
    line = get_object_or_404(
        BudgetLine.objects.select_related("partnership"), pk=pk, partnership=partnership
    )
    initial = {
        "title": line.title,
        "work_package": str(line.work_package_id or ""),
        "amount": line.amount,
        "period_start": line.period_start,
        "period_end": line.period_end,
    }
    form = forms.BudgetLineForm(
        request.POST or None,
        initial=initial,
        work_packages=_work_packages(partnership),
        revising=True,
    )
    if request.method == "POST" and form.is_valid():
        revised = _attempt(
            form,
            lambda: services.revise_budget_line(
                actor=request.user, line=line, **form.service_fields()
            ),
        )
        if revised is not None:
            messages.success(request, _("The budget line is revised."))
            return redirect(reverse("finance-budget", args=[slug]) + f"#line-{line.pk}")
    return _render(
        request,
        "budget_form.html",
        partnership,
        "budget",
        {"form": form, "title": _("Revise a budget line"), "line": line},
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------- rates


def _rates_page(
    request: HttpRequest,
    partnership: Partnership,
    *,
    rate_form: forms.RateForm | None = None,
    import_form: forms.RateImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = Paginator(queries.rates(partnership), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "rates.html",
        partnership,
        "rates",
        {
            "page": page,
            "rate_form": rate_form or forms.RateForm(prefix="rate"),
            "import_form": import_form or forms.RateImportForm(prefix="import"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def rates(request: HttpRequest, slug: str) -> HttpResponse:
    """The exchange rates; coordinators set one here (POST)."""
    partnership = _partnership(request, slug)
    if request.method == "GET":
        return _rates_page(request, partnership)
    if not policy.can_manage_finance(request.user, partnership):
        raise PermissionDenied
    form = forms.RateForm(request.POST, prefix="rate")
    if form.is_valid():
        rate = _attempt(
            form,
            lambda: services.set_rate(
                actor=request.user, partnership=partnership, **form.cleaned_data
            ),
        )
        if rate is not None:
            messages.success(request, _("The rate is saved."))
            return redirect("finance-rates", slug=slug)
    return _rates_page(request, partnership, rate_form=form, status=422)


@require_POST
def rates_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Import rates from a CSV file: all of them, or none when a row is wrong."""
    partnership = _partnership(request, slug)
    if not policy.can_manage_finance(request.user, partnership):
        raise PermissionDenied
    form = forms.RateImportForm(request.POST, request.FILES, prefix="import")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_DOCUMENT_BYTES:
            form.add_error("file", _("A document can be at most 20 MB."))
        else:
            saved = _attempt(
                form,
                lambda: services.import_rates_csv(
                    actor=request.user,
                    partnership=partnership,
                    data=upload.read(),
                    source=form.cleaned_data["source"],
                ),
            )
            if saved is not None:
                messages.success(
                    request,
                    ngettext("%(n)d rate was imported.", "%(n)d rates were imported.", len(saved))
                    % {"n": len(saved)},
                )
                return redirect("finance-rates", slug=slug)
    return _rates_page(request, partnership, import_form=form, status=422)


# ---------------------------------------------------------------- approval rule


@require_http_methods(["GET", "POST"])
def approval_rule(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    rule = ApprovalRule.objects.filter(partnership=partnership).first()
    approvers = list(rule.approver_organisations.order_by("name")) if rule is not None else []
    can_manage = policy.can_manage_finance(request.user, partnership)
    form = None
    if can_manage:
        initial = {"required": 1}
        if rule is not None:
            initial = {
                "threshold": rule.threshold,
                "required": rule.required,
                "approver_organisations": [str(o.pk) for o in approvers],
            }
        form = forms.ApprovalRuleForm(
            request.POST or None, initial=initial, partners=queries.partners(partnership)
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            saved = _attempt(
                form,
                lambda: services.set_approval_rule(
                    actor=request.user, partnership=partnership, **form.service_fields()
                ),
            )
            if saved is not None:
                messages.success(request, _("The approval rule is saved."))
                return redirect("finance-approval-rule", slug=slug)
    return _render(
        request,
        "approval_rule.html",
        partnership,
        "rule",
        {"rule": rule, "approvers": approvers, "form": form},
        status=422 if form is not None and form.errors else 200,
    )


# ---------------------------------------------------------------- exports


def _export_rows(request: HttpRequest, partnership: Partnership):
    filters = _filter_form(request, partnership)
    return queries.export_rows(partnership, filters.filter())


@require_GET
def export_csv(request: HttpRequest, slug: str):
    partnership = _partnership(request, slug)
    return export.csv_response(partnership, _export_rows(request, partnership))


@require_GET
def export_xlsx(request: HttpRequest, slug: str):
    partnership = _partnership(request, slug)
    return export.xlsx_response(partnership, _export_rows(request, partnership))
