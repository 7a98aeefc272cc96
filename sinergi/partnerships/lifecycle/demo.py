"""Demo data for lifecycle (called by `sinergi demo` after the other design seeds; idempotent).

Both demo partnerships are running, so each is moved towards "implementing" by its
coordinator, one stage at a time through `advance_stage`, for as long as its checklist
allows. If the design data of the earlier seeds is incomplete, it stops there quietly.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from sinergi.partnerships.lifecycle.checklist import STAGES
from sinergi.partnerships.lifecycle.services import advance_stage
from sinergi.partnerships.models import MemberRole, Partnership, Stage

DEMO_TARGETS = {
    "immunisation-indonesia": Stage.IMPLEMENTING,
    "sustainable-textiles-indonesia": Stage.IMPLEMENTING,
}


def seed() -> None:
    """Advance each demo partnership towards its target stage while its checklist is met."""
    for slug, target in DEMO_TARGETS.items():
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None:
            continue
        membership = (
            partnership.memberships.filter(role=MemberRole.COORDINATOR)
            .select_related("person")
            .order_by("granted_at", "pk")
            .first()
        )
        if membership is None:
            continue
        while STAGES.index(partnership.stage) < STAGES.index(target):
            try:
                advance_stage(actor=membership.person, partnership=partnership)
            except ValidationError:
                break  # the design is not complete enough yet: stay where it is
