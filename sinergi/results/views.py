"""Results pages, under /<lang>/partnerships/<slug>/results/ and /<lang>/results/.

Every page reads the partnership through the policy (404 for those who may not see
it) and shows a form only to those the policy lets use it. Reads come from
`sinergi.results.queries`; writes go through `sinergi.results.services`, whose errors
land on the form's fields. A form with an error writes nothing (one transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sinergi.access import policy
from sinergi.core.errors import Conflict
from sinergi.core.files import evidence_download
from sinergi.core.forms import apply_domain_errors
from sinergi.core.numbers import NumberField, localized
from sinergi.core.pages import Part, render_kept
from sinergi.ledger.log import hold
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Partnership
from sinergi.results import forms, queries, services
from sinergi.results.models import (
    Dimension,
    Evidence,
    Indicator,
    Measure,
    Period,
    Result,
    Status,
    Submission,
    Target,
)
from sinergi.results.render import TableView
from sinergi.results.render import dashboard_body as render_dashboard_body

T = TypeVar("T")


# ---------------------------------------------------------------- helpers


def _partnership(request: HttpRequest, slug: str) -> Partnership:
    """The partnership if the user may read its results (404 otherwise: no leak)."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_results(request.user, partnership):
        raise Http404("No such partnership.")
    return partnership


def _manager(request: HttpRequest, slug: str) -> Partnership:
    partnership = _partnership(request, slug)
    if not policy.can_manage_results(request.user, partnership):
        raise PermissionDenied
    return partnership


def _render(
    request: HttpRequest,
    template: str,
    partnership: Partnership,
    section: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    parts: Mapping[str, Part] | None = None,
) -> HttpResponse:
    """The page; with `parts` (computed from many rows, each under a versioned key),
    kept whole for every reader who sees the same (`sinergi.core.pages`)."""
    user = request.user
    base = {
        "partnership": partnership,
        "section": section,
        "can_manage": policy.can_manage_results(user, partnership),
        "can_approve": policy.can_approve_results(user, partnership),
        "can_report": policy.reporting_organisations(user, partnership) != set(),
        # The tab bar's Members link (kept pages differ by it: sinergi.core.pages).
        "sees_members": policy.can_see_members(user, partnership),
    }
    if parts is not None:
        return render_kept(
            request,
            f"results/{template}",
            {**base, **context},
            parts,
            seconds=queries.FRESH_SECONDS,
            shared_seconds=queries.SHARED_SECONDS,
        )
    return render(request, f"results/{template}", {**base, **context}, status=status)


def _attempt(form: django_forms.Form, call: Callable[[], T], field_map: Any = None) -> T | None:
    """Run a service call; put its refusal on the form and return None instead of raising."""
    try:
        return call()
    except ValidationError as error:
        if isinstance(form, forms.ValueForm):
            form.apply(error)
        else:
            apply_domain_errors(form, error, field_map)
    except Conflict as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You may not do this in this partnership."))
    return None


def _indicator(partnership: Partnership, pk: int) -> Indicator:
    return get_object_or_404(
        Indicator.objects.select_related("result", "responsible", "partnership"),
        partnership=partnership,
        pk=pk,
    )


def _chart(kind: str, labels: list[str], datasets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": kind, "labels": labels, "datasets": datasets}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------- dashboard


@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Progress per indicator, the framework tree, partners' reporting and the SDGs."""
    partnership = _partnership(request, slug)
    user = request.user
    can_manage = policy.can_manage_results(user, partnership)

    form = forms.DashboardFilterForm(request.GET)
    form.is_valid()
    chosen = form.cleaned_data  # the valid ones: a bad value is named, the rest still apply
    view = TableView(
        progress=chosen.get("progress") or "",
        partner=chosen.get("partner"),
        result=chosen.get("result"),
        page=chosen.get("page") or 1,
        errors={name: list(errors) for name, errors in form.errors.items()},
    )

    def body() -> str:
        board = queries.dashboard(partnership, user)
        return render_dashboard_body(board, partnership, can_manage, view)

    # The same for every reader (approved figures only) but for the set-up link. Only
    # the plain dashboard is kept: a filtered view, another page or a request with errors
    # is computed each time (kept, any reader could fill the shared store with views).
    name = "dashboard:manage" if can_manage else "dashboard"
    key = queries.dashboard_key(partnership, name) if view.default else None
    return _render(
        request, "dashboard.html", partnership, "dashboard", {}, parts={"body": (key, body)}
    )


# ---------------------------------------------------------------- indicator


@require_GET
def indicator(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _partnership(request, slug)
    item = _indicator(partnership, pk)
    detail = queries.indicator_detail(item, request.user)
    series = detail.series
    line = _chart(
        "line",
        [row[0] for row in series],
        [
            {"label": _("Actual to date"), "data": [_float(_dec(r[2])) for r in series]},
            {"label": _("Target to date"), "data": [_float(_dec(r[3])) for r in series]},
        ],
    )
    bars = None
    if detail.breakdown:
        labels, values = [], []
        for group in detail.breakdown:
            for c in group.categories:
                labels.append(f"{group.dimension.name}: {c.label}")
                values.append(_float(c.value))
        bars = _chart("bar", labels, [{"label": _("Value"), "data": values}])
    can_report = policy.can_submit_results(request.user, partnership, item.responsible_id)
    return _render(
        request,
        "indicator.html",
        partnership,
        "dashboard",
        {
            "indicator": item,
            "detail": detail,
            "series_rows": [[r[0], _dec(r[2]), _dec(r[3])] for r in series],
            "line_chart": line if series else None,
            "bar_chart": bars,
            "can_report_this": can_report,
            "can_see_evidence": policy.can_see_result_evidence(request.user, partnership),
        },
    )


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# ---------------------------------------------------------------- evidence files


@require_GET
def evidence(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """An evidence file, sent as a download (never shown inline: it is what a partner
    uploaded). 404 when the value it backs is not the reader's to see; 403 when the
    value is but its files are for the partnership's own people."""
    partnership = _partnership(request, slug)
    try:
        found = queries.evidence_file(request.user, partnership, pk)
    except Evidence.DoesNotExist:
        raise Http404("No such file.") from None
    return evidence_download(found.file, found.name, found.sha256)


# ---------------------------------------------------------------- entering a value


def _period_of(partnership: Partnership, item: Indicator, label: str) -> tuple[Period | None, str]:
    bounds = services.parse_period_label(item.frequency, label)
    if bounds is None:
        raise Http404("No such period.")
    period = Period.objects.filter(
        partnership=partnership, frequency=item.frequency, start=bounds[0]
    ).first()
    return period, label.upper()


@require_http_methods(["GET", "POST"])
def value_edit(request: HttpRequest, slug: str, pk: int, period: str) -> HttpResponse:
    """Enter the value of one indicator for one period; save a draft or submit it."""
    partnership = _partnership(request, slug)
    item = _indicator(partnership, pk)
    if not policy.can_submit_results(request.user, partnership, item.responsible_id):
        raise PermissionDenied
    row, label = _period_of(partnership, item, period)
    latest = services.current_draft(item, row) if row is not None else None
    waiting = latest is not None and latest.status == Status.SUBMITTED
    form = forms.ValueForm(
        request.POST or None,
        request.FILES or None,
        indicator=item,
        submission=latest,
    )
    status = 200
    if request.method == "POST" and not waiting:
        action = request.POST.get("action", "draft")
        if form.is_valid():
            done = _attempt(
                form, lambda: _save_value(request, partnership, item, label, form, action)
            )
            if done is not None and not any(g["errors"] for g in form.dimensions):
                if action == "submit":
                    messages.success(request, _("Submitted. It awaits review."))
                else:
                    messages.success(request, _("Saved as a draft."))
                return redirect("results-value-edit", slug=slug, pk=item.pk, period=label)
        status = 422
    elif request.method == "POST":
        form.add_error(
            None, _("This value is waiting for review; it can be changed once it is returned.")
        )
        status = 409
    closed = row is not None and row.closed
    return _render(
        request,
        "value_form.html",
        partnership,
        "reporting",
        {
            "indicator": item,
            "form": form,
            "label": label,
            "period": row,
            "latest": latest,
            "waiting": waiting,
            "closed": closed,
            "evidence": list(latest.evidence.all()) if latest else [],
        },
        status=status,
    )


def _save_value(
    request: HttpRequest,
    partnership: Partnership,
    item: Indicator,
    label: str,
    form: forms.ValueForm,
    action: str,
) -> Submission:
    data = form.cleaned_data
    sites = forms.parse_sites(data.get("sites", ""))
    with transaction.atomic():
        # The ledger's lock before a new period's row, in the order set_targets takes them.
        hold()
        period = services.find_period(partnership, item.frequency, label)
        submission = services.save_draft(
            actor=request.user,
            indicator=item,
            period=period,
            value=None if form.qualitative else data.get("value"),
            text=data.get("text", ""),
            narrative=data.get("narrative", ""),
            values=form.category_values(),
            sites=sites,
        )
        if data.get("evidence"):
            services.attach_evidence(
                actor=request.user, submission=submission, uploaded_file=data["evidence"]
            )
        if action == "submit":
            submission = services.submit(actor=request.user, submission=submission)
    return submission


# ---------------------------------------------------------------- my reporting


@require_GET
def reporting(request: HttpRequest, slug: str) -> HttpResponse:
    """What the reader's organisation reports, per indicator and period."""
    partnership = _partnership(request, slug)
    if policy.reporting_organisations(request.user, partnership) == set():
        raise PermissionDenied
    rows = queries.my_reporting(partnership, request.user)
    return _render(request, "reporting.html", partnership, "reporting", {"rows": rows})


# ---------------------------------------------------------------- review


@require_GET
def review(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _partnership(request, slug)
    if not policy.can_approve_results(request.user, partnership):
        raise PermissionDenied
    queue = _with_forms(queries.review_queue(partnership, request.user), {})
    context = {"queue": queue, "total": queries.review_count(partnership)}
    return _render(request, "review.html", partnership, "review", context)


def _with_forms(queue: list[Submission], bound: dict[int, Any]) -> list[Submission]:
    for submission in queue:
        submission.form = bound.get(submission.pk) or forms.DecisionForm(prefix=f"s{submission.pk}")
    return queue


@require_POST
def review_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve or return one submitted value (a comment is required to return)."""
    partnership = _partnership(request, slug)
    if not policy.can_approve_results(request.user, partnership):
        raise PermissionDenied
    submission = get_object_or_404(
        Submission.objects.select_related("indicator", "period", "partnership", "organisation"),
        partnership=partnership,
        pk=pk,
    )
    form = forms.DecisionForm(request.POST, prefix=f"s{pk}")
    action = request.POST.get("action")
    if form.is_valid() and action in ("approve", "return"):
        comment = form.cleaned_data["comment"]
        if action == "approve":
            done = _attempt(
                form,
                lambda: services.approve(
                    actor=request.user, submission=submission, comment=comment
                ),
            )
        else:
            done = _attempt(
                form,
                lambda: services.return_submission(
                    actor=request.user, submission=submission, comment=comment
                ),
            )
        if done is not None:
            text = _("Approved.") if action == "approve" else _("Returned to the partner.")
            if request.htmx:
                return render(
                    request, "results/_review_done.html", {"submission": done, "text": text}
                )
            messages.success(request, text)
            return redirect("results-review", slug=slug)
    elif form.is_valid():
        form.add_error(None, _("Choose approve or return."))
    queue = queries.review_queue(partnership, request.user)
    item = next((s for s in queue if s.pk == submission.pk), None)
    if item is None:
        # No longer in the queue (decided meanwhile, e.g. a second click): its form is not
        # on the page, so its error is said at the top of the queue instead.
        for error in form.errors.values():
            messages.error(request, " ".join(str(e) for e in error))
        if not form.errors:
            messages.error(request, _("This value is no longer waiting for review."))
        if request.htmx:
            return HttpResponseClientRedirect(reverse("results-review", args=[slug]))
        return redirect("results-review", slug=slug)
    if request.htmx:
        # 200 so that htmx swaps the item with its inline errors in (it drops a 4xx).
        return render(
            request,
            "results/_review_item.html",
            {"partnership": partnership, "submission": item, "form": form},
        )
    return _render(
        request,
        "review.html",
        partnership,
        "review",
        {
            "queue": _with_forms(queue, {submission.pk: form}),
            "total": queries.review_count(partnership),
        },
        status=422,
    )


# ---------------------------------------------------------------- framework


@require_GET
def framework(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _manager(request, slug)
    board = queries.dashboard(partnership, request.user)
    nodes = [node for top in board.tree for node in top.walk()]
    today = timezone.localdate()
    periods = list(
        Period.objects.filter(partnership=partnership, start__lte=today).order_by(
            "-start", "frequency"
        )[:24]
    )
    return _render(
        request,
        "framework.html",
        partnership,
        "framework",
        {
            "nodes": nodes,
            "dimensions": list(Dimension.objects.filter(partnership=partnership)),
            "periods": periods,
        },
    )


def _result_initial(result: Result) -> dict[str, Any]:
    return {
        "type": result.type,
        "title": result.title,
        "description": result.description,
        "parent": result.parent_id,
        "sdg_targets": ", ".join(result.sdg_targets or []),
    }


@require_http_methods(["GET", "POST"])
def result_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    partnership = _manager(request, slug)
    result = get_object_or_404(Result, partnership=partnership, pk=pk) if pk else None
    form = forms.ResultForm(
        request.POST or None,
        partnership=partnership,
        exclude=pk,
        initial=_result_initial(result) if result else None,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if result is None:
            done = _attempt(
                form,
                lambda: services.create_result(
                    actor=request.user, partnership=partnership, **fields
                ),
            )
        else:
            done = _attempt(
                form, lambda: services.update_result(actor=request.user, result=result, **fields)
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("results-framework", slug=slug)
    title = _("Edit result: %(title)s") % {"title": result.title} if result else _("Add a result")
    return _render(
        request,
        "form.html",
        partnership,
        "framework",
        {"form": form, "title": title},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def result_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _manager(request, slug)
    result = get_object_or_404(Result, partnership=partnership, pk=pk)
    return _confirm_delete(
        request,
        partnership,
        result,
        lambda: services.delete_result(actor=request.user, result=result),
        _("The result was deleted."),
    )


@require_http_methods(["GET", "POST"])
def indicator_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _manager(request, slug)
    item = _indicator(partnership, pk)
    return _confirm_delete(
        request,
        partnership,
        item,
        lambda: services.delete_indicator(actor=request.user, indicator=item),
        _("The indicator was deleted."),
    )


def _confirm_delete(
    request: HttpRequest,
    partnership: Partnership,
    item: object,
    delete: Callable[[], None],
    done: str,
) -> HttpResponse:
    """Ask first; on POST delete, or say on the same page why it cannot be (409)."""
    error = ""
    if request.method == "POST":
        try:
            delete()
        except Conflict as refusal:
            error = refusal.message
        else:
            messages.success(request, done)
            return redirect("results-framework", slug=partnership.slug)
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": item,
            "error": error,
            "cancel_url": reverse("results-framework", args=[partnership.slug]),
        },
        status=409 if error else 200,
    )


def _indicator_initial(item: Indicator) -> dict[str, Any]:
    initial = {name: getattr(item, name) for name in services.INDICATOR_FIELDS}
    initial["result"] = item.result_id
    initial["responsible"] = item.responsible_id
    initial["baseline_value"] = localized(item.baseline_value)
    initial["dimensions"] = [d.pk for d in item.dimensions.all()]
    return initial


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    partnership = _manager(request, slug)
    item = _indicator(partnership, pk) if pk else None
    form = forms.IndicatorForm(
        request.POST or None,
        partnership=partnership,
        initial=_indicator_initial(item) if item else None,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        if item is None:
            done = _attempt(
                form,
                lambda: services.create_indicator(
                    actor=request.user, partnership=partnership, **fields
                ),
            )
        else:
            done = _attempt(
                form,
                lambda: services.update_indicator(actor=request.user, indicator=item, **fields),
            )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("results-framework", slug=slug)
    title = (
        _("Edit indicator: %(code)s %(title)s") % {"code": item.code, "title": item.title}
        if item
        else _("Add an indicator")
    )
    return _render(
        request,
        "form.html",
        partnership,
        "framework",
        {"form": form, "title": title},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def dimension_new(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _manager(request, slug)
    form = forms.DimensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        done = _attempt(
            form,
            lambda: services.create_dimension(
                actor=request.user, partnership=partnership, **fields
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("results-framework", slug=slug)
    return _render(
        request,
        "form.html",
        partnership,
        "framework",
        {"form": form, "title": _("Add a disaggregation")},
        status=422 if form.errors else 200,
    )


def _year_periods(item: Indicator, year: int) -> list[str]:
    if item.frequency == "yearly":
        return [str(year)]
    if item.frequency == "quarterly":
        return [f"{year}-Q{q}" for q in range(1, 5)]
    return [f"{year}-{m:02d}" for m in range(1, 13)]


@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The indicator's targets for one year, in total and per category, as a grid."""
    partnership = _manager(request, slug)
    item = _indicator(partnership, pk)
    if item.measure == Measure.QUALITATIVE:
        raise Http404("A qualitative indicator has no targets.")
    asked = request.GET.get("year") or request.POST.get("year") or ""
    year = int(asked) if asked.isascii() and asked.isdigit() and len(asked) == 4 else 0
    bad_year = bool(asked) and not services.FIRST_YEAR <= year <= services.LAST_YEAR
    if not services.FIRST_YEAR <= year <= services.LAST_YEAR:
        year = (partnership.start_date or timezone.localdate()).year
    labels = _year_periods(item, year)
    categories = services.categories_of(item)
    existing: dict[tuple[str, str], Decimal] = {}
    for t in Target.objects.filter(indicator=item).select_related("period"):
        existing[(t.period.label, t.category)] = t.value
    form = django_forms.Form(request.POST or None)
    grid = []
    for label in labels:
        cells = []
        for key in ["", *categories]:
            name = f"t:{label}:{key}" if key else f"t:{label}"
            form.fields[name] = NumberField(
                required=False,
                label=f"{label} {categories[key][1] if key else _('Total')}",
                initial=localized(existing.get((label, key))),
            )
            form.fields[name].widget.attrs["size"] = 6
            cells.append(name)
        grid.append((label, cells))
    if request.method == "POST" and bad_year:
        # Never save the grid of one year under another: the year posted is refused.
        form.is_valid()
        form.add_error(
            None,
            _("Choose a year from %(first)d to %(last)d.")
            % {"first": services.FIRST_YEAR, "last": services.LAST_YEAR},
        )
    elif request.method == "POST" and form.is_valid():
        # A box left empty is posted empty and clears its target. A box not posted at all
        # was not on the sender's form (a post made by hand, an older page): it is not
        # named to set_targets, which keeps its target as it is, so a bare post changes
        # nothing.
        def posted(label: str, key: str = "") -> bool:
            return (f"t:{label}:{key}" if key else f"t:{label}") in request.POST

        totals = {label: form.cleaned_data[f"t:{label}"] for label in labels if posted(label)}
        by_category = {
            label: {k: form.cleaned_data[f"t:{label}:{k}"] for k in categories if posted(label, k)}
            for label in labels
        }
        field_map = {f"targets.{label}": f"t:{label}" for label in labels}
        field_map.update(
            {f"targets.{label}.{k}": f"t:{label}:{k}" for label in labels for k in categories}
        )
        done = _attempt(
            form,
            lambda: services.set_targets(
                actor=request.user, indicator=item, targets=totals, by_category=by_category
            ),
            field_map,
        )
        if done is not None:
            messages.success(request, _("Targets saved."))
            return redirect(f"{request.path}?year={year}")
    rows = [(label, [form[name] for name in cells]) for label, cells in grid]
    return _render(
        request,
        "targets.html",
        partnership,
        "framework",
        {
            "indicator": item,
            "form": form,
            "rows": rows,
            "columns": [_("Total")] + [label for _d, label in categories.values()],
            "year": year,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def period_closed(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _manager(request, slug)
    period = get_object_or_404(Period, partnership=partnership, pk=pk)
    asked = request.POST.get("closed")
    if asked not in ("0", "1"):  # the page's buttons send one or the other
        raise BadRequest("closed must be 0 or 1")
    closed = asked == "1"
    period = services.set_period_closed(actor=request.user, period=period, closed=closed)
    messages.success(
        request,
        _("The period %(period)s is closed.") % {"period": period.label}
        if closed
        else _("The period %(period)s is open again.") % {"period": period.label},
    )
    return redirect("results-framework", slug=slug)


# ---------------------------------------------------------------- portfolio


@require_GET
def portfolio(request: HttpRequest, goal: str | None = None) -> HttpResponse:
    """SDG progress over every partnership the reader may see, by goal and target."""
    if goal is not None:
        item = sdg.get(goal)
        if item is None or item.kind != "goal":
            raise Http404("No such goal.")
    user = request.user
    data = queries.fresh_portfolio(
        user, goal, "portfolio", lambda: queries.portfolio(user, goal=goal)
    )
    chart = _chart(
        "horizontalBar",
        [f"{row.goal}. {row.title}" for row in data.goals],
        [
            {
                "label": _("Mean percent of target to date"),
                "data": [_float(r.mean) for r in data.goals],
            }
        ],
    )
    return render(
        request,
        "results/portfolio.html",
        {
            "data": data,
            "goal_item": sdg.get(goal) if goal else None,
            "chart": chart if data.goals else None,
            "today": date.today(),
        },
    )
