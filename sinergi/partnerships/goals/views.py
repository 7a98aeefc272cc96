"""The "Vision and goals" tab: the shared vision, SDG alignment and SMART goals.

Everyone who may see the partnership reads the tab; coordinators (Action.EDIT) edit in
place with HTMX. Without JavaScript the same forms post and redirect back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.forms import apply_domain_errors, focus_first_field
from sinergi.core.once import saved_once
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.goals import queries, services
from sinergi.partnerships.goals.forms import GoalForm, NewGoalForm, VisionForm
from sinergi.partnerships.models import Goal, Partnership

NEW_GOAL_ID = "new-goal-%s"


def _edit_id(goal: Goal) -> str:
    return f"goal-{goal.pk}-%s"


def _goals_context(request: HttpRequest, partnership: Partnership, **extra: Any) -> dict[str, Any]:
    can_edit = policy.can(request.user, Action.EDIT, partnership)
    context = {
        "partnership": partnership,
        "can_edit": can_edit,
        "goals": queries.for_display(queries.goals_of(partnership)),
        "alignment": queries.sdg_alignment(partnership),
        "form": NewGoalForm(partnership=partnership, auto_id=NEW_GOAL_ID) if can_edit else None,
    }
    context.update(extra)
    return context


def _goals_region(request: HttpRequest, partnership: Partnership, **extra: Any) -> HttpResponse:
    """The part of the tab that changes with the goals: alignment, list and add form."""
    response = render(
        request, "partnerships/goals/_goals.html", _goals_context(request, partnership, **extra)
    )
    return reswap(retarget(response, "#design-goals"), "innerHTML")


def _back(slug: str, anchor: str = "goals") -> HttpResponse:
    response = redirect("partnership-design", slug=slug)
    response["Location"] += f"#{anchor}"
    return response


@require_GET
def partnership_design(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    return render(request, "partnerships/goals/design.html", _goals_context(request, partnership))


# Vision -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def vision_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The vision editor: a partial in place (HTMX) or a page of its own."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    if request.method == "GET" and request.GET.get("cancel") and request.htmx:
        return render(
            request,
            "partnerships/goals/_vision.html",
            {"partnership": partnership, "can_edit": True},
        )
    form = VisionForm(
        request.POST if request.method == "POST" else None, initial={"vision": partnership.vision}
    )
    if request.method == "POST" and form.is_valid():
        try:
            partnership_services.update_partnership(
                actor=request.user, partnership=partnership, vision=form.cleaned_data["vision"]
            )
        except ValidationError as exc:
            partnership.refresh_from_db()
            apply_domain_errors(form, exc)
        else:
            if request.htmx:
                return render(
                    request,
                    "partnerships/goals/_vision.html",
                    {"partnership": partnership, "can_edit": True, "saved": True},
                )
            messages.success(request, _("The shared vision is saved."))
            return _back(slug, "vision")
    context = {"partnership": partnership, "form": form}
    if request.htmx:
        return render(request, "partnerships/goals/_vision_form.html", context)
    return render(
        request,
        "partnerships/goals/vision_form.html",
        context,
        status=422 if form.errors else 200,
    )


# Goals --------------------------------------------------------------------------------


@require_POST
def goal_create(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    form = NewGoalForm(request.POST, partnership=partnership, auto_id=NEW_GOAL_ID)
    if form.is_valid():
        goal = saved_once(
            request,
            form,
            lambda: services.create_goal(
                actor=request.user, partnership=partnership, **form.entered()
            ),
            lambda made: _back(slug, f"goal-{made.pk}").url,
        )
        if isinstance(goal, HttpResponse):
            return goal
        if goal is not None:
            if request.htmx:
                return _goals_region(
                    request,
                    partnership,
                    status=_("The goal is added."),
                    focus_goal=goal.pk,
                    focus_control="heading",
                )
            messages.success(request, _("The goal is added."))
            return _back(slug, f"goal-{goal.pk}")
    context = _goals_context(request, partnership, form=form)
    if request.htmx:
        # 200 so that htmx swaps the form with its inline errors in.
        return _goals_region(request, partnership, form=form)
    return render(request, "partnerships/goals/design.html", context, status=422)


@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Edit one goal: in place of its list item (HTMX) or on a page of its own."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=pk, partnership=partnership)
    goal.partnership = partnership
    if request.method == "GET" and request.GET.get("cancel") and request.htmx:
        # The goal back in place of its form, the keyboard back on its Edit link, and
        # its Move up / Move down as in the list (none up for the first, down for the last).
        order = list(
            Goal.objects.filter(partnership=partnership)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
        return render(
            request,
            "partnerships/goals/_goal.html",
            {
                "partnership": partnership,
                "goal": queries.for_display([goal])[0],
                "can_edit": True,
                "first": order[:1] == [goal.pk],
                "last": order[-1:] == [goal.pk],
                "focus_goal": goal.pk,
                "focus_control": "edit",
            },
        )
    form = GoalForm(
        request.POST if request.method == "POST" else None,
        partnership=partnership,
        auto_id=_edit_id(goal),
        initial=GoalForm.initial_for(goal),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_goal(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as exc:
            goal.refresh_from_db()
            apply_domain_errors(form, exc)
        else:
            if request.htmx:
                return _goals_region(
                    request,
                    partnership,
                    status=_("Changes saved."),
                    focus_goal=goal.pk,
                    focus_control="edit",
                )
            messages.success(request, _("Changes saved."))
            return _back(slug, f"goal-{goal.pk}")
    context = {"partnership": partnership, "goal": goal, "form": form}
    if request.htmx:
        if request.method == "GET":  # the form opens in the goal's place: the keyboard too
            focus_first_field(form)
        return render(request, "partnerships/goals/_goal_form.html", context)
    return render(
        request, "partnerships/goals/goal_form.html", context, status=422 if form.errors else 200
    )


@require_POST
def goal_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=pk, partnership=partnership)
    goal.partnership = partnership
    services.delete_goal(actor=request.user, goal=goal)
    if request.htmx:
        return _goals_region(
            request, partnership, status=_("The goal was removed."), focus_control="list"
        )
    messages.success(request, _("The goal was removed."))
    return _back(slug)


@require_POST
def goal_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move a goal one place up or down (buttons, so the order is keyboard-friendly)."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    order = list(queries.goals_of(partnership).values_list("pk", flat=True))
    if pk not in order:
        raise Http404("No such goal.")
    direction = request.POST.get("direction")
    index = order.index(pk)
    other = index - 1 if direction == "up" else index + 1
    if direction in ("up", "down") and 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        services.reorder_goals(actor=request.user, partnership=partnership, order=order)
        index = other
    if request.htmx:
        # Keep the keyboard on the button just used, or on the other one at either end.
        control = "up" if direction == "up" else "down"
        if index == 0:
            control = "down"
        if index == len(order) - 1:
            control = "up" if index > 0 else "heading"
        return _goals_region(request, partnership, focus_goal=pk, focus_control=control)
    return _back(slug, f"goal-{pk}")
