"""Reads of a partnership's goals and its SDG alignment, for pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.formats import number_format

from sinergi.partners.models import Organisation
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Goal, Partnership
from sinergi.partnerships.sdg import SdgItem


def goals_of(partnership: Partnership) -> QuerySet[Goal]:
    """The partnership's goals in their order, with their owners (one query)."""
    return (
        Goal.objects.filter(partnership=partnership)
        .select_related("owner")
        .order_by("position", "pk")
    )


def _number(value: Decimal | None) -> str:
    """61.5000 → "61.5", 48000 → "48,000" (in the active language's format)."""
    if value is None:
        return ""
    return number_format(Decimal(format(value.normalize(), "f")), force_grouping=True)


def for_display(goals: Iterable[Goal]) -> list[Goal]:
    """The goals with what pages show: `sdg_items` (the linked targets as SdgItems) and
    `baseline_display` / `target_display` (numbers in the active language's format)."""
    result = []
    for goal in goals:
        goal.sdg_items = [item for item in map(sdg.get, goal.sdg_targets) if item is not None]
        goal.baseline_display = _number(goal.baseline_value)
        goal.target_display = _number(goal.target_value)
        result.append(goal)
    return result


@dataclass
class AlignedGoal:
    """One SDG goal a partnership works towards: the targets its goals link to."""

    goal: SdgItem
    targets: list[SdgItem] = field(default_factory=list)
    goal_ids: list[int] = field(default_factory=list)  # the partnership goals linked to it

    @property
    def codes(self) -> list[str]:
        return [target.code for target in self.targets]


def sdg_alignment(partnership: Partnership) -> list[AlignedGoal]:
    """The SDG goals of all targets the partnership's goals link to, in SDG order (one query)."""
    aligned: dict[str, AlignedGoal] = {}
    rows = Goal.objects.filter(partnership=partnership).order_by("position", "pk")
    for goal_id, codes in rows.values_list("pk", "sdg_targets"):
        for code in codes or []:
            target = sdg.get(code)
            if target is None or target.kind != "target":
                continue
            entry = aligned.setdefault(target.goal, AlignedGoal(goal=sdg.get(target.goal)))
            if target not in entry.targets:
                entry.targets.append(target)
            if goal_id not in entry.goal_ids:
                entry.goal_ids.append(goal_id)
    result = sorted(aligned.values(), key=lambda entry: entry.goal.number)
    for entry in result:
        entry.targets.sort(key=lambda target: sdg.sort_key(target.code))
    return result


def partner_organisations(partnership: Partnership) -> QuerySet[Organisation]:
    """The organisations taking part in the partnership, by name (possible goal owners)."""
    return Organisation.objects.filter(
        pk__in=partnership.participations.values("organisation_id")
    ).order_by("name")
