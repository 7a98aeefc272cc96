"""The SDG portfolio API, mounted at /api/v1/results.

`GET /portfolio?goal=` adds up the SDG progress roll-ups of every partnership the caller
may see (`policy.visible_partnerships`: the public ones, the caller's own, all for staff):
per SDG goal, and per target (of `goal` when given). With `goal`, each target also lists
the partnerships contributing to it. Figures are decimal strings, fresh as soon as an
approval commits.
"""

# No `from __future__ import annotations`: ninja reads the signatures.
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from sinergi.results import queries
from sinergi.results.api import SdgProgressOut, sdg_body

router = Router(tags=["results"])


class PartnershipRef(Schema):
    slug: str
    title: str


class ContributionOut(Schema):
    partnership: PartnershipRef
    progress: SdgProgressOut


class TargetContributionsOut(Schema):
    target: str
    partnerships: list[ContributionOut]


class PortfolioOut(Schema):
    goal: str | None = Field(description="The goal drilled into, if any")
    goals: list[SdgProgressOut] = Field(description="One per SDG goal contributed to")
    targets: list[SdgProgressOut] = Field(description="Per SDG target (of `goal` when given)")
    partnerships: list[TargetContributionsOut] = Field(
        description="With `goal`: per target, the visible partnerships contributing to it"
    )


@router.get(
    "/portfolio",
    response=PortfolioOut,
    summary="Read the SDG roll-up of the partnerships you may see",
    description="Per SDG goal and target: how many partnerships and indicators, the "
    "counts per progress status and the mean percent of target to date. `goal` (1-17) "
    "narrows the targets to one goal and lists the partnerships behind each.",
)
def read_portfolio(request: HttpRequest, goal: str = "") -> dict[str, Any]:
    goal = goal.strip()
    # ASCII digits only: "²" passes isdigit() but not int(), and int() of thousands of
    # digits raises too.
    if goal and not (goal.isascii() and goal.isdigit() and len(goal) <= 2 and 1 <= int(goal) <= 17):
        raise ValidationError({"goal": [_("Choose an SDG goal from 1 to 17.")]})
    goal = str(int(goal)) if goal else ""
    user = request.auth
    return queries.fresh_portfolio(
        user, goal or None, "portfolio-api", lambda: _portfolio_body(user, goal or None)
    )


def _portfolio_body(user: Any, goal: str | None) -> dict[str, Any]:
    found = queries.portfolio(user, goal)
    return {
        "goal": found.goal,
        "goals": [sdg_body(row) for row in found.goals],
        "targets": [sdg_body(row) for row in found.targets],
        "partnerships": [
            {
                "target": target,
                "partnerships": [
                    {
                        "partnership": {"slug": c.partnership.slug, "title": c.partnership.title},
                        "progress": sdg_body(c.row),
                    }
                    for c in rows
                ],
            }
            for target, rows in found.partnerships.items()
        ],
    }
