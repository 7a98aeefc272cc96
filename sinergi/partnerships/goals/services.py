"""Operations on a partnership's SMART goals: add, change, remove and reorder them.

Each takes the acting person first, needs Action.EDIT on the partnership (coordinators
and staff), validates, and writes together with its ledger entry in one transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold, hold_row
from sinergi.partners.models import Person
from sinergi.partnerships import sdg
from sinergi.partnerships.models import Goal, Partnership

GOAL_FIELDS = (
    "title",
    "measure",
    "baseline_value",
    "target_value",
    "unit",
    "target_date",
    "owner",
    "sdg_targets",
)
MAX_SDG_TARGETS = 20
# A target date "within reason": the SDG era and a plausible planning horizon.
EARLIEST_TARGET_DATE = date(2000, 1, 1)
LATEST_TARGET_DATE = date(2100, 12, 31)


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown goal fields: {sorted(unknown)}")
    for name in ("title", "measure", "unit"):
        if isinstance(fields.get(name), str):
            # Trimmed, so that a title of spaces is as blank as an empty one.
            fields[name] = fields[name].strip()


def _normalised_targets(codes: object) -> object:
    """Trimmed, lower-case codes ("SDG 3.B" → "3.b") without repeats; other input as given."""
    if not isinstance(codes, list | tuple):
        return codes
    if not all(isinstance(code, str) for code in codes):
        return list(codes)
    return list(dict.fromkeys(sdg.normalise_code(code) for code in codes if code.strip()))


def decimal_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def goal_payload(goal: Goal) -> dict[str, Any]:
    """The SMART fields of a goal as plain JSON for the ledger (decimals as strings)."""
    return {
        "goal": goal.pk,
        "title": goal.title,
        "measure": goal.measure,
        "baseline_value": decimal_text(goal.baseline_value),
        "target_value": decimal_text(goal.target_value),
        "unit": goal.unit,
        "target_date": goal.target_date.isoformat() if goal.target_date else None,
        "owner": goal.owner.slug if goal.owner_id else None,
        "sdg_targets": list(goal.sdg_targets),
    }


def _validate(goal: Goal) -> None:
    """full_clean plus the rules that need the partnership: owner and target date."""
    errors: dict[str, list[str]] = {}
    try:
        goal.full_clean(exclude=["partnership", "position"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    partnership = goal.partnership
    if goal.owner_id is not None and "owner" not in errors:
        is_partner = partnership.participations.filter(organisation_id=goal.owner_id).exists()
        if not is_partner:
            errors["owner"] = [
                _("The owner must be one of the partnership's partner organisations.")
            ]
    if isinstance(goal.target_date, date) and "target_date" not in errors:
        if not EARLIEST_TARGET_DATE <= goal.target_date <= LATEST_TARGET_DATE:
            errors["target_date"] = [
                _("Choose a target date between %(start)s and %(end)s.")
                % {"start": EARLIEST_TARGET_DATE.year, "end": LATEST_TARGET_DATE.year}
            ]
        elif partnership.start_date and goal.target_date < partnership.start_date:
            errors["target_date"] = [
                _("The target date must not be before the partnership starts (%(date)s).")
                % {"date": partnership.start_date.isoformat()}
            ]
    if isinstance(goal.sdg_targets, list) and len(goal.sdg_targets) > MAX_SDG_TARGETS:
        errors.setdefault("sdg_targets", []).append(
            _("Link at most %(count)d SDG targets.") % {"count": MAX_SDG_TARGETS}
        )
    if errors:
        raise ValidationError(errors)


def create_goal(*, actor: Person, partnership: Partnership, **fields: Any) -> Goal:
    """Add a SMART goal to `partnership`, after its existing goals."""
    policy.require(actor, Action.EDIT, partnership)
    _check_fields(fields)
    if "sdg_targets" in fields:
        fields["sdg_targets"] = _normalised_targets(fields["sdg_targets"])
    goal = Goal(partnership=partnership, **fields)
    _validate(goal)  # the request's own mistakes, told before any lock is taken
    with transaction.atomic():
        # Under the ledger's lock, which every goal write takes: the partnership as it is
        # now (Http404 once deleted), checked again, and the next place, which no other
        # new goal can take meanwhile.
        hold_row(partnership)
        _validate(goal)
        last = Goal.objects.filter(partnership=partnership).aggregate(last=Max("position"))
        goal.position = (last["last"] or 0) + 1
        goal.save()
        record("goal.created", goal_payload(goal), partnership, actor)
    return goal


def update_goal(*, actor: Person, goal: Goal, **fields: Any) -> Goal:
    """Change some of a goal's fields; nothing is recorded when nothing changed."""
    partnership = goal.partnership
    policy.require(actor, Action.EDIT, partnership)
    _check_fields(fields)
    if "sdg_targets" in fields:
        fields["sdg_targets"] = _normalised_targets(fields["sdg_targets"])
    for name, value in fields.items():
        setattr(goal, name, value)
    _validate(goal)  # the request's own mistakes, told before any lock is taken
    with transaction.atomic():
        hold_row(goal)
        before = goal_payload(goal)
        for name, value in fields.items():
            setattr(goal, name, value)
        _validate(goal)
        after = goal_payload(goal)
        changed = [name for name in after if after[name] != before[name]]
        goal.save(update_fields=[*fields, "updated_at"])
        if changed:
            record("goal.updated", {**after, "changed": changed}, partnership, actor)
        if "sdg_targets" in changed:
            _refresh_sdg_progress(partnership)
    return goal


def delete_goal(*, actor: Person, goal: Goal) -> None:
    """Remove a goal (work packages that served it keep existing, without a goal)."""
    partnership = goal.partnership
    policy.require(actor, Action.EDIT, partnership)
    with transaction.atomic():
        # Logged as it is now (changed meanwhile, or already deleted: Http404, logged once).
        hold_row(goal)
        record("goal.deleted", goal_payload(goal), partnership, actor)
        goal.delete()
        _refresh_sdg_progress(partnership)


def _refresh_sdg_progress(partnership: Partnership) -> None:
    """Results linked to a goal count towards its SDG targets: their roll-up follows the
    goal's targets in the same transaction (imported here: results builds on goals)."""
    from sinergi.results import rollups

    rollups.refresh_sdg(partnership)


def reorder_goals(*, actor: Person, partnership: Partnership, order: list[int]) -> list[Goal]:
    """Put the partnership's goals in the order of the ids in `order` (all of them, once)."""
    policy.require(actor, Action.EDIT, partnership)
    with transaction.atomic():
        hold()  # the ledger's lock before the goals' rows, as update_goal takes them
        goals = {
            goal.pk: goal
            for goal in Goal.objects.select_for_update(no_key=True, of=("self",)).filter(
                partnership=partnership
            )
        }
        if not isinstance(order, list) or sorted(order) != sorted(goals):
            raise ValidationError(
                {"order": [_("List every goal of this partnership exactly once.")]}
            )
        changed = []
        for position, pk in enumerate(order, start=1):
            if goals[pk].position != position:
                goals[pk].position = position
                changed.append(goals[pk])
        if changed:
            Goal.objects.bulk_update(changed, ["position"])
            record("goal.reordered", {"order": list(order)}, partnership, actor)
    return [goals[pk] for pk in order]
