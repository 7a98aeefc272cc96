"""Partner matching: which needs the partners cover, who to recommend, a team for the rest.

The registry can hold 10^5 organisations and 10^6 index rows, so every read here goes
through the matching index (`CapabilityCoverage`) and reads only its indexed columns:

1. the partnership's needs, its partners (with their types) and the partners' index rows
   (three small queries), from which the needs they cover are computed in Python;
2. per unmet need, one indexed look-up on (kind, sector, region) that returns only
   organisation ids, turned into a set;
3. set arithmetic in Python for scores and team assembly;
4. details (name, type, where it works) only for the few organisations that can still
   make the list.

So the number of queries depends on the number of needs, never on the registry's size.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sinergi.core.geography import region_labels
from sinergi.partners.matching import index, rules
from sinergi.partners.matching.rules import NeedSpec
from sinergi.partners.models import (
    CapabilityCoverage,
    Organisation,
    partner_group,
    sector_label,
)
from sinergi.partnerships.models import CapabilityNeed, Participation, Partnership

# Candidates whose scores the presence bonus can still lift into the list get their
# details fetched; when more than this many tie there (needs that almost everybody
# covers), those with the highest score so far and then the lowest ids are kept.
# See docs/design/matching.md.
SHORTLIST_LIMIT = 1000


# Results --------------------------------------------------------------------------------


@dataclass
class NeedStatus:
    """One need and the current partners that cover it."""

    need: CapabilityNeed
    spec: NeedSpec
    partners: list[Organisation]

    @property
    def covered(self) -> bool:
        return bool(self.partners)

    @property
    def sector_label(self) -> str:
        return sector_label(self.need.sector_vocabulary, self.need.sector_code)

    @property
    def region_names(self) -> list[str]:
        return region_labels(list(self.need.regions))


@dataclass
class Recommendation:
    """An organisation worth inviting, its score and why."""

    organisation: Organisation
    score: int
    covers: list[NeedSpec]
    adds_group: str | None
    present_in: list[str]

    @property
    def coverage_points(self) -> int:
        return sum(need.weight for need in self.covers)

    @property
    def reasons(self) -> list[str]:
        reasons = [_("covers %(need)s") % {"need": need.describe()} for need in self.covers]
        if self.adds_group:
            reasons.append(rules.group_phrase(self.adds_group))
        if self.present_in:
            reasons.append(
                _("works in %(regions)s")
                % {"regions": rules.join_words(region_labels(self.present_in))}
            )
        return reasons

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class TeamMember:
    """One organisation chosen for the team and the needs it newly covers."""

    organisation: Organisation
    covers: list[NeedSpec]
    adds_group: str | None

    @property
    def gain(self) -> int:
        return sum(need.weight for need in self.covers)


@dataclass
class Team:
    """A greedy weighted set cover of the unmet needs."""

    members: list[TeamMember] = field(default_factory=list)
    uncoverable: list[NeedSpec] = field(default_factory=list)
    already_covered: list[NeedSpec] = field(default_factory=list)

    @property
    def covered(self) -> list[NeedSpec]:
        return [need for member in self.members for need in member.covers]


# The partnership's side --------------------------------------------------------------------


@dataclass
class _State:
    needs: list[CapabilityNeed]
    specs: list[NeedSpec]
    partner_types: dict[int, str]
    covered_by: dict[int, list[int]]  # need id → partner organisation ids
    targets: list[str]

    @property
    def unmet(self) -> list[NeedSpec]:
        return [spec for spec in self.specs if not self.covered_by[spec.id]]

    @property
    def partner_groups(self) -> set[str]:
        return {partner_group(org_type) for org_type in self.partner_types.values()}


def _state(partnership: Partnership) -> _State:
    needs = list(CapabilityNeed.objects.filter(partnership=partnership).order_by("-weight", "pk"))
    specs = [NeedSpec.of(need) for need in needs]
    partner_types = dict(
        Participation.objects.filter(partnership=partnership)
        .order_by()
        .values_list("organisation_id", "organisation__org_type")
        .distinct()
    )
    covered_by: dict[int, list[int]] = {spec.id: [] for spec in specs}
    if specs and partner_types:
        rows = (
            CapabilityCoverage.objects.filter(organisation_id__in=list(partner_types))
            .order_by()
            .values_list("organisation_id", "kind", "sector", "region")
        )
        for organisation_id, kind, sector, region in rows:
            for spec in specs:
                if spec.covered_by(kind, sector, region):
                    partners = covered_by[spec.id]
                    if organisation_id not in partners:
                        partners.append(organisation_id)
    targets = rules.target_regions(partnership.countries or [], partnership.regions or [])
    return _State(needs, specs, partner_types, covered_by, targets)


def _statuses(state: _State) -> list[NeedStatus]:
    ids = {org for partners in state.covered_by.values() for org in partners}
    organisations = Organisation.objects.in_bulk(ids) if ids else {}
    return [
        NeedStatus(
            need=need,
            spec=spec,
            partners=sorted(
                (organisations[org] for org in state.covered_by[spec.id]),
                key=lambda o: o.name.casefold(),
            ),
        )
        for need, spec in zip(state.needs, state.specs, strict=True)
    ]


def need_statuses(partnership: Partnership) -> list[NeedStatus]:
    """Each need of the partnership (heaviest first) with the current partners that cover it."""
    return _statuses(_state(partnership))


@dataclass
class Overview:
    """What the matching page and API show: the needs and the recommendations."""

    statuses: list[NeedStatus]
    recommendations: list[Recommendation]

    @property
    def unmet(self) -> list[NeedStatus]:
        return [status for status in self.statuses if not status.covered]


def overview(partnership: Partnership, limit: int = 10) -> Overview:
    """The needs with their coverage by partners, and `limit` recommendations."""
    state = _state(partnership)
    return Overview(_statuses(state), _recommend(state, limit))


# Recommendations ------------------------------------------------------------------------


def _shortlist(scores: dict[int, int], limit: int) -> list[int]:
    """Candidates that can still make the top `limit` once the presence bonus is added."""
    if len(scores) <= limit:
        return list(scores)
    kth = heapq.nlargest(limit, scores.values())[-1]
    floor = kth - rules.PRESENCE_BONUS
    band = [key for key, score in scores.items() if score >= floor]
    if len(band) > SHORTLIST_LIMIT:
        band = heapq.nlargest(SHORTLIST_LIMIT, band, key=lambda key: (scores[key], -key))
    return band


def _weighted_sum(unmet: list[NeedSpec], matches: list[set[int]]) -> dict[int, int]:
    """key → Σ weights of the needs whose match set holds it."""
    # A plain loop: set and dict-view tricks to do part of it in C measured no faster.
    scores: dict[int, int] = {}
    for spec, keys in zip(unmet, matches, strict=True):
        weight = spec.weight
        for key in keys:
            scores[key] = scores.get(key, 0) + weight
    return scores


def recommend(partnership: Partnership, limit: int = 10) -> list[Recommendation]:
    """Organisations outside the partnership that best cover its unmet needs, best first.

    Score = Σ weights of the unmet needs it covers + DIVERSITY_BONUS when its partner
    group is new to the partnership + PRESENCE_BONUS when it works in the partnership's
    regions. Only organisations that cover at least one unmet need are recommended; ties
    go by name.
    """
    return _recommend(_state(partnership), limit)


def _recommend(state: _State, limit: int) -> list[Recommendation]:
    limit = max(1, limit)
    unmet = state.unmet
    if not unmet:
        return []
    groups = state.partner_groups
    matches = index.organisations_covering(unmet)
    # Coverage and diversity for every candidate, from the index keys alone.
    scores = _weighted_sum(unmet, matches)
    for organisation_id, org_type in state.partner_types.items():
        scores.pop(index.org_key(organisation_id, org_type), None)
    if not scores:
        return []
    new_codes = {code for group, code in index.GROUP_CODES.items() if group not in groups}
    if new_codes:
        for key in scores:
            if key & 7 in new_codes:
                scores[key] += rules.DIVERSITY_BONUS
    # Details and presence only for those the presence bonus can still lift into the list.
    shortlist = _shortlist(scores, limit)
    ids = [index.key_id(key) for key in shortlist]
    facts = index.organisation_facts(ids)
    places = index.covered_places(ids, rules.presence_keys(state.targets))
    ranked = []
    for key in shortlist:
        fact = facts.get(index.key_id(key))
        if fact is None:  # removed from the registry meanwhile
            continue
        present = rules.present_in(
            [fact.country, *fact.subdivisions, *places.get(fact.id, ())], state.targets
        )
        score = scores[key] + (rules.PRESENCE_BONUS if present else 0)
        ranked.append((-score, fact.name.casefold(), fact.id, key, present))
    recommendations = []
    for negative_score, _name, organisation_id, key, present in heapq.nsmallest(limit, ranked):
        group = index.key_group(key)
        recommendations.append(
            Recommendation(
                organisation=facts[organisation_id].organisation(),
                score=-negative_score,
                covers=[spec for spec, keys in zip(unmet, matches, strict=True) if key in keys],
                adds_group=group if group not in groups else None,
                present_in=present,
            )
        )
    return recommendations


# Team assembly ------------------------------------------------------------------------------


def assemble_team(partnership: Partnership) -> Team:
    """A small set of organisations that together cover every unmet need anyone covers.

    Greedy weighted set cover: repeatedly take the organisation that covers the most
    still-uncovered weight; ties go to one that adds a partner group not yet in the
    partnership or the team, then by name. Greedy is within a factor ln(n) + 1 of the
    smallest cover (n = number of unmet needs); for a handful of needs it is usually
    optimal or one organisation more.
    """
    state = _state(partnership)
    unmet = state.unmet
    team = Team(already_covered=[spec for spec in state.specs if state.covered_by[spec.id]])
    if not unmet:
        return team
    matches = index.organisations_covering(unmet)
    masks: dict[int, int] = {}
    for position, keys in enumerate(matches):
        bit = 1 << position
        for key in keys:
            masks[key] = masks.get(key, 0) | bit
    for organisation_id, org_type in state.partner_types.items():
        masks.pop(index.org_key(organisation_id, org_type), None)
    by_mask: dict[int, list[int]] = {}
    for key, mask in masks.items():
        by_mask.setdefault(mask, []).append(key)
    remaining = 0
    for mask in by_mask:
        remaining |= mask
    team.uncoverable = [
        spec for position, spec in enumerate(unmet) if not remaining >> position & 1
    ]
    weights = [spec.weight for spec in unmet]

    def gain(mask: int) -> int:
        return sum(weight for position, weight in enumerate(weights) if mask >> position & 1)

    groups = state.partner_groups
    facts: dict[int, index.OrganisationFacts] = {}
    while remaining:
        gains = {mask: gain(mask & remaining) for mask in by_mask}
        best = max(gains.values())
        tied = [key for mask, value in gains.items() if value == best for key in by_mask[mask]]
        # Ties: a new partner group first (known from the key), then by name.
        diverse = [key for key in tied if index.key_group(key) not in groups]
        candidates = diverse or tied
        facts.update(
            index.organisation_facts(
                index.key_id(key) for key in candidates if index.key_id(key) not in facts
            )
        )
        candidates = [key for key in candidates if index.key_id(key) in facts]
        if not candidates:  # removed from the registry meanwhile
            break
        pick = min(candidates, key=lambda key: (facts[index.key_id(key)].name.casefold(), key))
        group = index.key_group(pick)
        new = masks[pick] & remaining
        team.members.append(
            TeamMember(
                organisation=facts[index.key_id(pick)].organisation(),
                covers=[spec for position, spec in enumerate(unmet) if new >> position & 1],
                adds_group=group if group not in groups else None,
            )
        )
        groups.add(group)
        remaining &= ~new
        del by_mask[masks[pick]]
    return team
