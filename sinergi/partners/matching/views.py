"""The "Matching" tab: what the partnership needs, who covers it, who could join.

Everyone who may see the partnership sees its needs, their coverage by the partners,
the recommendations and an assembled team; coordinators (Action.EDIT) also edit the
needs (views in `sinergi.partnerships.needs.views`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.partners.matching import queries, rules
from sinergi.partnerships.models import Partnership
from sinergi.partnerships.needs.forms import NeedForm

RECOMMENDATIONS = 10
NEW_NEED_ID = "new-need-%s"


def matching_context(
    request: HttpRequest, partnership: Partnership, **extra: Any
) -> dict[str, Any]:
    """Everything the matching page shows; `extra` overrides (a bound form, a status…)."""
    can_edit = policy.can(request.user, Action.EDIT, partnership)
    result = queries.overview(partnership, limit=RECOMMENDATIONS)
    context = {
        "partnership": partnership,
        "can_edit": can_edit,
        "statuses": result.statuses,
        "unmet": result.unmet,
        "recommendations": result.recommendations,
        "form": NeedForm(partnership=partnership, auto_id=NEW_NEED_ID) if can_edit else None,
        "diversity_bonus": rules.DIVERSITY_BONUS,
        "presence_bonus": rules.PRESENCE_BONUS,
    }
    context.update(extra)
    return context


@require_GET
def partnership_matching(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    team = queries.assemble_team(partnership) if request.GET.get("team") else None
    return render(
        request,
        "partners/matching/matching.html",
        matching_context(request, partnership, team=team),
    )


@require_GET
def matching_recommendations(request: HttpRequest, slug: str) -> HttpResponse:
    """The recommendations alone (HTMX refreshes them when the needs change)."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not request.htmx:
        return redirect("partnership-matching", slug=slug)
    result = queries.overview(partnership, limit=RECOMMENDATIONS)
    context = {
        "partnership": partnership,
        "unmet": result.unmet,
        "statuses": result.statuses,
        "recommendations": result.recommendations,
        "diversity_bonus": rules.DIVERSITY_BONUS,
        "presence_bonus": rules.PRESENCE_BONUS,
    }
    return render(request, "partners/matching/_recommendations.html", context)


@require_GET
def matching_team(request: HttpRequest, slug: str) -> HttpResponse:
    """An assembled team: in place (HTMX) or on the page (?team=1)."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not request.htmx:
        response = redirect("partnership-matching", slug=slug)
        response["Location"] += "?team=1#team"
        return response
    context = {"partnership": partnership, "team": queries.assemble_team(partnership)}
    return render(request, "partners/matching/_team.html", context)
