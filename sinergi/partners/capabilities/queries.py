"""Read paths for organisations' comparative advantages: the organisation page's panel,
the API list and the registry filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from sinergi.access import policy
from sinergi.codelists import SECTOR_CATEGORIES
from sinergi.partners.models import (
    Capability,
    CapabilityKind,
    Organisation,
    SectorVocabulary,
    sector_label,
)

if TYPE_CHECKING:
    from sinergi.access.policy import User
    from sinergi.partners.capabilities.forms import CapabilityForm


@dataclass
class CapabilityGroup:
    kind: str
    label: str
    capabilities: list[Capability]


@dataclass
class CapabilityPanel:
    """What the organisation page's capabilities section shows, and the open form if any."""

    organisation: Organisation
    groups: list[CapabilityGroup]
    can_edit: bool
    form: CapabilityForm | None = None
    adding: bool = False
    editing: int | None = None  # pk of the capability whose form is open

    @property
    def count(self) -> int:
        return sum(len(group.capabilities) for group in self.groups)


def capabilities_of(organisation: Organisation) -> QuerySet[Capability]:
    """The organisation's capabilities, by kind then in the order they were recorded."""
    return Capability.objects.filter(organisation=organisation).order_by("kind", "pk")


def group_by_kind(capabilities: list[Capability]) -> list[CapabilityGroup]:
    """Capabilities grouped by kind, the kinds in their listed order, empty kinds left out."""
    by_kind: dict[str, list[Capability]] = {}
    for capability in capabilities:
        by_kind.setdefault(capability.kind, []).append(capability)
    return [
        CapabilityGroup(kind=value, label=str(label), capabilities=by_kind[value])
        for value, label in CapabilityKind.choices
        if value in by_kind
    ]


def capability_panel(
    user: User,
    organisation: Organisation,
    *,
    form: CapabilityForm | None = None,
    adding: bool = False,
    editing: int | None = None,
) -> CapabilityPanel:
    """The capabilities section of the organisation page for `user` (one query)."""
    return CapabilityPanel(
        organisation=organisation,
        groups=group_by_kind(list(capabilities_of(organisation))),
        can_edit=policy.can_edit_capabilities(user, organisation),
        form=form,
        adding=adding,
        editing=editing,
    )


def with_capability(organisations: QuerySet[Organisation], kind: str) -> QuerySet[Organisation]:
    """Organisations that record at least one capability of `kind` (unknown kinds: none)."""
    return organisations.filter(
        Exists(Capability.objects.filter(organisation=OuterRef("pk"), kind=kind))
    )


def sector_choices() -> list[tuple[str, object]]:
    """The sector picker's options: any sector, then each vocabulary's codes as a group.

    Values are "<vocabulary>:<code>" (IATI SectorVocabulary and code); labels are in the
    active language.
    """
    dac = [
        (f"{SectorVocabulary.DAC}:{code}", f"{code} — {label}") for code, label in SECTOR_CATEGORIES
    ]
    sdg = [
        (f"{SectorVocabulary.SDG_GOAL}:{n}", sector_label(SectorVocabulary.SDG_GOAL, str(n)))
        for n in range(1, 18)
    ]
    return [
        ("", str(sector_label("", ""))),
        (str(SectorVocabulary.DAC.label), dac),
        (str(SectorVocabulary.SDG_GOAL.label), sdg),
    ]
