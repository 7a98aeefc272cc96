"""Pages to browse and search the SDG framework, and the target picker's suggestions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from sinergi.partnerships import sdg

RESULT_LIMIT = 60


@require_GET
def sdg_index(request: HttpRequest) -> HttpResponse:
    """The 17 goals as tiles, and a search over goals, targets and indicators."""
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "goals": sdg.goals(),
        "q": q,
        "results": sdg.search(q, limit=RESULT_LIMIT) if q else [],
        "limit": RESULT_LIMIT,
        "attribution": sdg.attribution(),
    }
    if request.htmx and request.htmx.target == "sdg-results":
        return render(request, "partnerships/sdg/_results.html", context)
    return render(request, "partnerships/sdg/index.html", context)


@require_GET
def sdg_goal(request: HttpRequest, code: str) -> HttpResponse:
    """One goal with its targets and their indicators."""
    goal = sdg.get(code)
    if goal is None or goal.kind != "goal" or goal.code != code:
        raise Http404("No such goal.")
    goals = sdg.goals()
    index = goals.index(goal)
    context = {
        "goal": goal,
        "targets": [(target, sdg.indicators(target.code)) for target in sdg.targets(goal.code)],
        "previous": goals[index - 1] if index > 0 else None,
        "next": goals[index + 1] if index + 1 < len(goals) else None,
    }
    return render(request, "partnerships/sdg/goal.html", context)


@require_GET
def target_options(request: HttpRequest) -> HttpResponse:
    """<option>s for a comma-separated SDG target field (HTMX datalist).

    The last code or words typed are completed; each option's value is the whole field
    with that part replaced by a target code, so picking one keeps the codes before it.
    """
    value = request.GET.get("sdg_targets", request.GET.get("q", ""))[:300]
    *before, last = value.split(",")
    kept = [code.strip() for code in before if code.strip()]
    choices = []
    if last.strip():
        for target in sdg.suggest_targets(last.strip()):
            if target.code in kept:
                continue
            label = f"{target.code} — {Truncator(target.title).chars(100)}"
            choices.append((", ".join([*kept, target.code]), label))
    return render(request, "core/_options.html", {"choices": choices})
