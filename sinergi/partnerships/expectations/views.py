"""Pages for partners' commitments and expectations, and the alignment view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.core.forms import apply_domain_errors
from sinergi.partnerships.expectations import queries, services
from sinergi.partnerships.expectations.forms import CommitmentForm, ExpectationForm
from sinergi.partnerships.models import Expectation, Participation

ADD_PREFIX = "new"


@require_GET
def alignment_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Each partner's role, contribution and expectations by partner group; where they diverge."""
    partnership = policy.get_partnership_for(request.user, slug)
    partners = queries.expectations_by_partner(partnership)
    editable = {
        row.participation.pk
        for row in partners
        if policy.can_edit_participation(request.user, row.participation)
    }
    return render(
        request,
        "partnerships/expectations/alignment.html",
        {
            "partnership": partnership,
            "groups": queries.grouped(partners),
            "alignment": queries.alignment_of(partners),
            "status": queries.status_of(partners),
            "editable": editable,
        },
    )


def _editable_participation(request: HttpRequest, slug: str, pk: int) -> Participation:
    """The participation `pk` of partnership `slug`, if the user may edit it (else 404/403)."""
    partnership = policy.get_partnership_for(request.user, slug)
    participation = get_object_or_404(
        Participation.objects.select_related("organisation"), pk=pk, partnership=partnership
    )
    participation.partnership = partnership
    if not policy.can_edit_participation(request.user, participation):
        raise PermissionDenied
    return participation


def _expectation_of(participation: Participation, eid: int) -> Expectation:
    expectation = get_object_or_404(Expectation, pk=eid, participation=participation)
    expectation.participation = participation
    return expectation


def _expectations(participation: Participation) -> list[Expectation]:
    rows = list(participation.expectations.order_by("-importance", "topic", "pk"))
    for row in rows:
        row.participation = participation
    return rows


def _section_context(
    participation: Participation,
    add_form: ExpectationForm | None = None,
    *,
    editing: int | None = None,
    edit_form: ExpectationForm | None = None,
    focus_add: bool = False,
) -> dict:
    add_form = add_form or ExpectationForm(prefix=ADD_PREFIX)
    if focus_add or add_form.errors:
        add_form.fields["topic"].widget.attrs["autofocus"] = True
    return {
        "partnership": participation.partnership,
        "participation": participation,
        "expectations": _expectations(participation),
        "add_form": add_form,
        "editing": editing,
        "edit_form": edit_form,
        "focus_add": focus_add,
    }


def _page(
    request: HttpRequest,
    participation: Participation,
    *,
    commitment_form: CommitmentForm | None = None,
    status: int = 200,
    **section: object,
) -> HttpResponse:
    if commitment_form is None:
        commitment_form = CommitmentForm(
            initial={
                "contribution": participation.contribution,
                "capabilities": list(participation.capabilities.values_list("pk", flat=True)),
            },
            capabilities=_capabilities(participation),
        )
    context = _section_context(participation, **section)
    context["commitment_form"] = commitment_form
    return render(request, "partnerships/expectations/participation.html", context, status=status)


def _capabilities(participation: Participation):
    return participation.organisation.capabilities.order_by("kind", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def participation_expectations(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Edit a partner's contribution, the capabilities it draws on, and its expectations."""
    participation = _editable_participation(request, slug, pk)
    if request.method == "GET":
        return _page(request, participation)
    form = CommitmentForm(request.POST, capabilities=_capabilities(participation))
    if form.is_valid():
        try:
            services.update_commitment(
                actor=request.user,
                participation=participation,
                contribution=form.cleaned_data["contribution"],
                capabilities=list(form.cleaned_data["capabilities"]),
            )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("participation-expectations", slug=slug, pk=pk)
    return _page(request, participation, commitment_form=form, status=422)


def _section(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    # HTMX swaps only 2xx responses, so inline errors come back with 200 to a partial.
    return render(request, "partnerships/expectations/_expectations.html", context, status=status)


@login_required
@require_POST
def expectation_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    participation = _editable_participation(request, slug, pk)
    form = ExpectationForm(request.POST, prefix=ADD_PREFIX)
    if form.is_valid():
        try:
            services.add_expectation(
                actor=request.user, participation=participation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        else:
            if request.htmx:
                return _section(request, _section_context(participation, focus_add=True))
            messages.success(request, _("The expectation was added."))
            return redirect("participation-expectations", slug=slug, pk=pk)
    if request.htmx:
        return _section(request, _section_context(participation, form))
    return _page(request, participation, add_form=form, status=422)


def _row(
    request: HttpRequest,
    expectation: Expectation,
    form: ExpectationForm | None = None,
    *,
    focus: bool = False,
) -> HttpResponse:
    participation = expectation.participation
    if form is not None:
        form.fields["topic"].widget.attrs["autofocus"] = True
    return render(
        request,
        "partnerships/expectations/_expectation_row.html",
        {
            "partnership": participation.partnership,
            "participation": participation,
            "e": expectation,
            "editing": expectation.pk if form is not None else None,
            "edit_form": form,
            "focus": focus,
        },
    )


@login_required
@require_GET
def expectation_row(request: HttpRequest, slug: str, pk: int, eid: int) -> HttpResponse:
    """One expectation as shown in the list (HTMX: cancels an inline edit)."""
    participation = _editable_participation(request, slug, pk)
    expectation = _expectation_of(participation, eid)
    if request.htmx:
        return _row(request, expectation, focus=True)
    return redirect("participation-expectations", slug=slug, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def expectation_edit(request: HttpRequest, slug: str, pk: int, eid: int) -> HttpResponse:
    participation = _editable_participation(request, slug, pk)
    expectation = _expectation_of(participation, eid)
    prefix = f"e{expectation.pk}"
    if request.method == "GET":
        form = ExpectationForm(
            prefix=prefix,
            initial={
                "topic": expectation.topic,
                "horizon": expectation.horizon,
                "importance": expectation.importance,
                "description": expectation.description,
            },
        )
        if request.htmx:
            return _row(request, expectation, form)
        return _page(request, participation, editing=expectation.pk, edit_form=form)
    form = ExpectationForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.update_expectation(
                actor=request.user, expectation=expectation, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        else:
            if request.htmx:
                return _row(request, expectation, focus=True)
            messages.success(request, _("Changes saved."))
            return redirect("participation-expectations", slug=slug, pk=pk)
    if request.htmx:
        return _row(request, expectation, form)
    return _page(request, participation, editing=expectation.pk, edit_form=form, status=422)


@login_required
@require_POST
def expectation_remove(request: HttpRequest, slug: str, pk: int, eid: int) -> HttpResponse:
    participation = _editable_participation(request, slug, pk)
    services.delete_expectation(actor=request.user, expectation=_expectation_of(participation, eid))
    if request.htmx:
        return _section(request, _section_context(participation))
    messages.success(request, _("The expectation was removed."))
    return redirect("participation-expectations", slug=slug, pk=pk)
