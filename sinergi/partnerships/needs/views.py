"""Add, edit and remove a partnership's capability needs (on the "Matching" tab).

Coordinators (Action.EDIT) edit in place with HTMX: every change swaps the needs table
back in and tells the page (event `needs-changed`) to refresh the recommendations.
Without JavaScript the same forms post and redirect back to the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.forms import focus_first_field
from sinergi.partners.matching.queries import need_statuses
from sinergi.partnerships.models import CapabilityNeed, Partnership
from sinergi.partnerships.needs import services
from sinergi.partnerships.needs.forms import NeedForm

NEW_NEED_ID = "new-need-%s"


def _edit_id(need: CapabilityNeed) -> str:
    return f"need-{need.pk}-%s"


def _needs_region(
    request: HttpRequest, partnership: Partnership, *, changed: bool = True, **extra: Any
) -> HttpResponse:
    """The needs table and add form, swapped into #needs; refreshes the recommendations.

    `focus` says where the keyboard goes once it is in (the element gets `autofocus`, which
    HTMX honours): a need's pk (its Edit link, after saving or cancelling it), "list" (the
    table's heading, after a removal) or "add" (the add form's first field, after adding)."""
    context = {
        "partnership": partnership,
        "can_edit": True,
        "statuses": need_statuses(partnership),
        "form": NeedForm(partnership=partnership, auto_id=NEW_NEED_ID),
    }
    context.update(extra)
    if context.get("focus") == "add":
        focus_first_field(context["form"])
    response = render(request, "partnerships/needs/_needs.html", context)
    response = reswap(retarget(response, "#needs"), "innerHTML")
    return trigger_client_event(response, "needs-changed") if changed else response


def _back(slug: str) -> HttpResponse:
    response = redirect("partnership-matching", slug=slug)
    response["Location"] += "#needs"
    return response


def _get_need(partnership: Partnership, pk: int) -> CapabilityNeed:
    need = get_object_or_404(CapabilityNeed, pk=pk, partnership=partnership)
    need.partnership = partnership
    return need


@require_POST
def need_create(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    form = NeedForm(request.POST, partnership=partnership, auto_id=NEW_NEED_ID)
    if form.is_valid():
        try:
            services.add_need(actor=request.user, partnership=partnership, **form.need_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if request.htmx:
                return _needs_region(
                    request, partnership, status=_("The need is added."), focus="add"
                )
            messages.success(request, _("The need is added."))
            return _back(slug)
    if request.htmx:
        # 200 so that htmx swaps the form with its inline errors in.
        return _needs_region(request, partnership, changed=False, form=form)
    from sinergi.partners.matching.views import matching_context

    return render(
        request,
        "partners/matching/matching.html",
        matching_context(request, partnership, form=form),
        status=422,
    )


@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Edit one need: in place of its table row (HTMX) or on a page of its own."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    need = _get_need(partnership, pk)
    if request.method == "GET" and request.GET.get("cancel") and request.htmx:
        return _needs_region(request, partnership, changed=False, focus=need.pk)
    form = NeedForm(
        request.POST if request.method == "POST" else None,
        partnership=partnership,
        auto_id=_edit_id(need),
        initial=NeedForm.initial_for(need, partnership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_need(actor=request.user, need=need, **form.need_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if request.htmx:
                return _needs_region(
                    request, partnership, status=_("Changes saved."), focus=need.pk
                )
            messages.success(request, _("Changes saved."))
            return _back(slug)
    context = {"partnership": partnership, "need": need, "form": form}
    if request.htmx:
        if request.method == "GET":  # the form opens in the row: the keyboard goes to it
            focus_first_field(form)  # (not in NeedForm: the matching page must not jump)
        return render(request, "partnerships/needs/_need_form_row.html", context)
    return render(
        request, "partnerships/needs/need_form.html", context, status=422 if form.errors else 200
    )


@require_POST
def need_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    need = _get_need(partnership, pk)
    services.delete_need(actor=request.user, need=need)
    if request.htmx:
        return _needs_region(request, partnership, status=_("The need was removed."), focus="list")
    messages.success(request, _("The need was removed."))
    return _back(slug)
