"""Moving a partnership through its lifecycle: forward when the checklist is met, back
with a reason. Both go on the ledger in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold
from sinergi.partners.models import Person
from sinergi.partnerships.lifecycle.checklist import STAGES, Facts, Item, evaluate
from sinergi.partnerships.lifecycle.queries import next_stage
from sinergi.partnerships.models import Partnership, Stage

REASON_MAX_LENGTH = 500


class StageBlocked(ValidationError):
    """The partnership cannot move on: `missing` are the required items not done."""

    def __init__(self, stage: str, missing: list[Item]) -> None:
        self.missing = missing
        self.target = stage
        label = dict(Stage.choices)[stage]
        messages = [
            _("The partnership cannot move to “%(stage)s” yet.") % {"stage": label},
            *(f"{item.label}: {item.detail}" if item.detail else item.label for item in missing),
        ]
        super().__init__({"stage": messages})


def _snapshot(stage: str, items: list[Item]) -> dict[str, Any]:
    return {
        "stage": stage,
        "done": [item.id for item in items if item.done],
        "open": [item.id for item in items if not item.done],
    }


def _locked(partnership: Partnership) -> Partnership:
    # The row lock serialises stage changes, so two coordinators cannot both move it on.
    # The ledger's lock comes first, in the order every writer takes the two.
    hold()
    return Partnership.objects.select_for_update(no_key=True, of=("self",)).get(pk=partnership.pk)


def advance_stage(*, actor: Person, partnership: Partnership) -> Partnership:
    """Move `partnership` to the next stage if every required item of its stage is done.

    Raises StageBlocked (a ValidationError on `stage`) listing what is missing.
    """
    policy.require(actor, Action.EDIT, partnership)
    with transaction.atomic():
        current = _locked(partnership)
        target = next_stage(current.stage)
        if target is None:
            raise ValidationError(
                {"stage": [_("This is the last stage of the lifecycle; there is no next one.")]}
            )
        items = evaluate(Facts(current), current.stage)
        missing = [item for item in items if item.blocking and not item.done]
        if missing:
            raise StageBlocked(target, missing)
        previous = current.stage
        current.stage = target
        current.save(update_fields=["stage", "updated_at"])
        record(
            "stage.advanced",
            {"from": previous, "to": target, "reason": "", "checklist": _snapshot(previous, items)},
            current,
            actor,
        )
    partnership.stage = current.stage
    partnership.updated_at = current.updated_at
    return partnership


def set_stage(*, actor: Person, partnership: Partnership, stage: str, reason: str) -> Partnership:
    """Move `partnership` back to an earlier stage, saying why (e.g. to renegotiate the
    agreement). Going forward is only possible through `advance_stage`."""
    policy.require(actor, Action.EDIT, partnership)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if stage not in STAGES:
        errors["stage"] = [_("Choose one of the lifecycle stages.")]
    if not reason:
        errors["reason"] = [_("Say why the partnership goes back to an earlier stage.")]
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [
            _("Keep the reason under %(count)d characters.") % {"count": REASON_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked(partnership)
        previous = current.stage
        if STAGES.index(stage) >= STAGES.index(previous):
            message = (
                _("The partnership is already in this stage.")
                if stage == previous
                else _("Use “Move to the next stage” to go forward; its checklist must be met.")
            )
            raise ValidationError({"stage": [message]})
        items = evaluate(Facts(current), previous)
        current.stage = stage
        current.save(update_fields=["stage", "updated_at"])
        record(
            "stage.changed",
            {
                "from": previous,
                "to": stage,
                "reason": reason,
                "checklist": _snapshot(previous, items),
            },
            current,
            actor,
        )
    partnership.stage = current.stage
    partnership.updated_at = current.updated_at
    return partnership
