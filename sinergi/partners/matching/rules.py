"""What it means for a capability to cover a need, and how candidates are scored.

A need is covered by a capability when
- the kinds are equal;
- the sectors match: a need without a sector takes any sector, a capability without a
  sector offers any sector, otherwise vocabulary and code are equal;
- the regions match: a need without regions takes any place; otherwise some capability
  region is one of the need's regions, or contains it (the region's country, e.g. `ID`
  covers `ID-PA`, or an ISO 3166-2 parent unit, e.g. `ID-PP` Papua covers `ID-PA`), or the
  capability has no region (anywhere). A capability in one province does not cover a need
  for the whole country.

The matching index (`CapabilityCoverage`) holds one row per capability and region, so a
need becomes one indexed look-up: kind equal, sector in `sector_keys`, region in
`region_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pycountry
from django.utils.translation import gettext as _

from sinergi.codelists import SECTOR_CATEGORIES
from sinergi.core.geography import region_labels
from sinergi.partners.models import (
    CapabilityCoverage,
    CapabilityKind,
    PartnerGroup,
    SectorVocabulary,
    sector_label,
)

# Score of a candidate = Σ weights (1 to 5) of the unmet needs it covers
#                      + DIVERSITY_BONUS if its partner group is not among the partners yet
#                      + PRESENCE_BONUS if it works in the partnership's regions.
# A new kind of partner is worth about a middling need; presence breaks near-ties.
DIVERSITY_BONUS = 2
PRESENCE_BONUS = 1
MAX_BONUS = DIVERSITY_BONUS + PRESENCE_BONUS


@cache
def _parents() -> dict[str, str]:
    """ISO 3166-2 code → the code it belongs to (its parent unit, else its country)."""
    parents = {}
    for subdivision in pycountry.subdivisions:
        parents[subdivision.code] = subdivision.parent_code or subdivision.country_code
    return parents


@cache
def _children() -> dict[str, frozenset[str]]:
    """Code (country or subdivision) → every subdivision inside it, at any depth."""
    inside: dict[str, set[str]] = {}
    for code in _parents():
        for ancestor in containing(code):
            inside.setdefault(ancestor, set()).add(code)
    return {code: frozenset(codes) for code, codes in inside.items()}


def containing(region: str) -> list[str]:
    """The regions that contain `region`, nearest first, ending with its country."""
    found = []
    parents = _parents()
    code = region
    while code in parents:
        code = parents[code]
        if code in found:  # defensive: the catalogue has no cycles
            break
        found.append(code)
    country = region.split("-")[0]
    if "-" in region and country not in found:
        found.append(country)
    return found


def inside(region: str) -> frozenset[str]:
    """Every subdivision inside `region` (a country or a subdivision with parts)."""
    return _children().get(region, frozenset())


@cache
def all_sector_keys() -> tuple[str, ...]:
    """Every sector key the index can hold: any, each DAC category, each SDG goal."""
    dac = [
        CapabilityCoverage.sector_key(SectorVocabulary.DAC, code) for code, _l in SECTOR_CATEGORIES
    ]
    sdg = [CapabilityCoverage.sector_key(SectorVocabulary.SDG_GOAL, str(n)) for n in range(1, 18)]
    return ("", *dac, *sdg)


@dataclass(frozen=True)
class NeedSpec:
    """A need as matching sees it (built from a `CapabilityNeed`)."""

    id: int
    kind: str
    sector_vocabulary: str
    sector_code: str
    regions: tuple[str, ...]
    weight: int

    @classmethod
    def of(cls, need: object) -> NeedSpec:
        return cls(
            id=need.pk,
            kind=need.kind,
            sector_vocabulary=need.sector_vocabulary if need.sector_code else "",
            sector_code=need.sector_code,
            regions=tuple(need.regions or ()),
            weight=need.weight,
        )

    @property
    def sector(self) -> str:
        """The index's sector key: "<vocabulary>:<code>", or "" for any sector."""
        return CapabilityCoverage.sector_key(self.sector_vocabulary, self.sector_code)

    def sector_keys(self) -> list[str] | None:
        """Index sectors that cover this need; None when any sector does."""
        if not self.sector:
            return None
        return [self.sector, ""]

    def region_keys(self) -> list[str] | None:
        """Index regions that cover this need; None when any region does."""
        if not self.regions:
            return None
        keys = {""}
        for region in self.regions:
            keys.add(region)
            keys.update(containing(region))
        return sorted(keys)

    def covered_by(self, kind: str, sector: str, region: str) -> bool:
        """Whether one index row (kind, sector, region) covers this need."""
        if kind != self.kind:
            return False
        sectors = self.sector_keys()
        if sectors is not None and sector not in sectors:
            return False
        regions = self.region_keys()
        return regions is None or region in regions

    @property
    def is_broad(self) -> bool:
        return not self.sector and not self.regions

    def describe(self) -> str:
        """Plain words for the need: "local knowledge in Papua", "finance for SDG 3"."""
        kind = str(dict(CapabilityKind.choices).get(self.kind, self.kind)).lower()
        sector = self.sector_words()
        if sector and self.regions:
            return _("%(kind)s for %(sector)s in %(regions)s") % {
                "kind": kind,
                "sector": sector,
                "regions": join_words(region_labels(list(self.regions))),
            }
        if sector:
            return _("%(kind)s for %(sector)s") % {"kind": kind, "sector": sector}
        if self.regions:
            return _("%(kind)s in %(regions)s") % {
                "kind": kind,
                "regions": join_words(region_labels(list(self.regions))),
            }
        return kind

    def sector_words(self) -> str:
        """The sector, short: "SDG 3" for a goal, the DAC category's name; "" for any."""
        if not self.sector_code:
            return ""
        if self.sector_vocabulary == SectorVocabulary.SDG_GOAL:
            return _("SDG %(number)s") % {"number": self.sector_code}
        return sector_label(self.sector_vocabulary, self.sector_code)


def join_words(words: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C" in the active language."""
    words = [str(word) for word in words]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def group_phrase(group: str) -> str:
    """What adding an organisation of `group` brings, as a reason."""
    phrases = {
        PartnerGroup.GOVERNMENT: _("adds government"),
        PartnerGroup.PRIVATE: _("adds the private sector"),
        PartnerGroup.NGO: _("adds an NGO or foundation"),
        PartnerGroup.CIVIL_SOCIETY: _("adds civil society"),
        PartnerGroup.MULTILATERAL: _("adds a multilateral organisation"),
        PartnerGroup.ACADEMIC: _("adds academia and research"),
    }
    return str(phrases.get(group, phrases[PartnerGroup.CIVIL_SOCIETY]))


def target_regions(countries: list[str], regions: list[str]) -> list[str]:
    """Where a partnership works, for presence: its provinces, else its countries."""
    return list(regions) if regions else list(countries)


def presence_keys(targets: list[str]) -> frozenset[str]:
    """Region codes that put an organisation in one of `targets` (the targets and their parts)."""
    keys: set[str] = set()
    for target in targets:
        keys.add(target)
        keys.update(inside(target))
    return frozenset(keys)


def present_in(places: Iterable[str], targets: list[str]) -> list[str]:
    """Which of `targets` the places (org subdivisions, country, capability regions) fall in."""
    places = set(places)
    found = []
    for target in targets:
        if target in places or places & inside(target):
            found.append(target)
    return found
