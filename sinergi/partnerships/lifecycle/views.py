"""The lifecycle page: the stages, the checklist for moving on, and moving back."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.forms import apply_domain_errors
from sinergi.partnerships.lifecycle import queries, services
from sinergi.partnerships.lifecycle.forms import MoveBackForm
from sinergi.partnerships.models import Partnership, Stage


def _respond(
    request: HttpRequest,
    partnership: Partnership,
    *,
    back_form: MoveBackForm | None = None,
    advance_errors: list[str] | None = None,
    status_message: str = "",
) -> HttpResponse:
    """The page, or for HTMX the lifecycle section alone (always 200, so HTMX swaps it)."""
    can_edit = policy.can(request.user, Action.EDIT, partnership)
    if can_edit and back_form is None and partnership.stage != Stage.SCOPING:
        back_form = MoveBackForm(current=partnership.stage)
    context = {
        "partnership": partnership,
        "overview": queries.stage_overview(partnership),
        "can_edit": can_edit,
        "back_form": back_form if can_edit else None,
        "advance_errors": advance_errors or [],
        "status_message": status_message,
    }
    if request.htmx:
        return render(request, "partnerships/lifecycle/_lifecycle.html", context)
    failed = bool(advance_errors) or (back_form is not None and back_form.errors)
    return render(
        request, "partnerships/lifecycle/lifecycle.html", context, status=422 if failed else 200
    )


@require_GET
def lifecycle_page(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    return _respond(request, partnership)


@require_POST
def lifecycle_advance(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    try:
        services.advance_stage(actor=request.user, partnership=partnership)
    except ValidationError as exc:
        errors = exc.message_dict.get("stage", exc.messages)
        return _respond(request, partnership, advance_errors=errors)
    done = _("The partnership moved to “%(stage)s”.") % {"stage": partnership.get_stage_display()}
    if request.htmx:
        return _respond(request, partnership, status_message=done)
    messages.success(request, done)
    return redirect("partnership-lifecycle", slug=slug)


@require_POST
def lifecycle_move_back(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    form = MoveBackForm(request.POST, current=partnership.stage)
    if form.is_valid():
        try:
            services.set_stage(
                actor=request.user,
                partnership=partnership,
                stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        else:
            done = _("The partnership moved back to “%(stage)s”.") % {
                "stage": partnership.get_stage_display()
            }
            if request.htmx:
                return _respond(request, partnership, status_message=done)
            messages.success(request, done)
            return redirect("partnership-lifecycle", slug=slug)
    return _respond(request, partnership, back_form=form)
