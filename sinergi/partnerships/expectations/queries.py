"""Read paths for partners' commitments and expectations, and where expectations diverge.

The alignment rule (documented in docs/design/expectations.md):

Partners are compared by partner group (government, private sector, NGO or foundation,
civil society, multilateral, academia). For each group present and each topic, the
mean importance of the group's expectations on that topic and the mix of horizons.
A divergence is flagged when

(a) horizon: one group's expectations are mostly short-term (at least two thirds of
    them) while another group's are mostly long-term (at least two thirds);
(b) priority: a topic is essential to one group (mean importance 4 or more) while
    another group that recorded expectations does not name it or rates it 2 or lower;
(c) unrecorded: a partner has recorded no expectation at all, so it cannot be compared.

Everything is computed from three queries (participations with their organisations,
their capabilities, their expectations), whatever the number of partners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Prefetch
from django.utils.formats import localize
from django.utils.translation import gettext as _

from sinergi.partners.models import Capability, Organisation, PartnerGroup, partner_group
from sinergi.partnerships.models import (
    Expectation,
    ExpectationTopic,
    Horizon,
    Participation,
    Partnership,
)

MOSTLY = Fraction(2, 3)  # share of expectations on one horizon that makes a group "mostly" so
ESSENTIAL = 4  # mean importance from which a topic is essential to a group
LOW = 2  # mean importance up to which a topic matters little to a group

GROUP_ORDER = list(PartnerGroup.values)
TOPIC_ORDER = list(ExpectationTopic.values)


@dataclass
class PartnerExpectations:
    """One participation with its organisation, linked capabilities and expectations."""

    participation: Participation
    group: str
    capabilities: list[Capability]
    expectations: list[Expectation]

    @property
    def organisation(self) -> Organisation:
        return self.participation.organisation

    @property
    def group_label(self) -> str:
        return str(PartnerGroup(self.group).label)


@dataclass
class PartnerGroupExpectations:
    group: str
    label: str
    partners: list[PartnerExpectations]


def _participations(partnership: Partnership) -> list[Participation]:
    expectations = Expectation.objects.order_by("-importance", "topic", "pk")
    capabilities = Capability.objects.order_by("kind", "pk")
    return list(
        Participation.objects.filter(partnership=partnership)
        .select_related("organisation")
        .prefetch_related(
            Prefetch("expectations", queryset=expectations),
            Prefetch("capabilities", queryset=capabilities),
        )
        .order_by("organisation__name", "role", "pk")
    )


def expectations_by_partner(partnership: Partnership) -> list[PartnerExpectations]:
    """Every participation with its role, contribution, capabilities and expectations.

    Ordered by partner group, then organisation name and role. Three queries.
    """
    rows = []
    for participation in _participations(partnership):
        participation.partnership = partnership  # spare the policy a query per partner
        rows.append(
            PartnerExpectations(
                participation=participation,
                group=partner_group(participation.organisation.org_type),
                capabilities=list(participation.capabilities.all()),
                expectations=list(participation.expectations.all()),
            )
        )
    rows.sort(key=lambda r: GROUP_ORDER.index(r.group))  # stable: keeps name order
    return rows


def grouped(partners: list[PartnerExpectations]) -> list[PartnerGroupExpectations]:
    """The rows of `expectations_by_partner` under their partner group, in group order."""
    groups: dict[str, PartnerGroupExpectations] = {}
    for row in partners:
        if row.group not in groups:
            groups[row.group] = PartnerGroupExpectations(row.group, row.group_label, [])
        groups[row.group].partners.append(row)
    return list(groups.values())


# ---------------------------------------------------------------- alignment


@dataclass
class TopicCell:
    """One group's expectations on one topic."""

    topic: str
    count: int = 0
    importance_total: int = 0
    short: int = 0
    long: int = 0
    partners: list[Organisation] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(ExpectationTopic(self.topic).label)

    @property
    def mean_importance(self) -> float | None:
        return round(self.importance_total / self.count, 1) if self.count else None

    @property
    def is_essential(self) -> bool:
        return bool(self.count) and self.importance_total >= ESSENTIAL * self.count

    @property
    def is_low(self) -> bool:
        return bool(self.count) and self.importance_total <= LOW * self.count

    @property
    def short_share(self) -> float | None:
        return round(self.short / self.count, 2) if self.count else None

    @property
    def long_share(self) -> float | None:
        return round(self.long / self.count, 2) if self.count else None

    @property
    def horizon(self) -> str:
        """ "short", "long" or "mixed": where this group's expectations on the topic point."""
        if not self.count:
            return ""
        if self.short == self.count:
            return Horizon.SHORT
        if self.long == self.count:
            return Horizon.LONG
        return "mixed"


@dataclass
class GroupAlignment:
    """One partner group: its partners and its expectations per topic."""

    group: str
    label: str
    partners: list[Organisation] = field(default_factory=list)
    topics: dict[str, TopicCell] = field(default_factory=dict)
    short: int = 0
    long: int = 0

    @property
    def count(self) -> int:
        return self.short + self.long

    @property
    def short_share(self) -> float | None:
        return round(self.short / self.count, 2) if self.count else None

    @property
    def long_share(self) -> float | None:
        return round(self.long / self.count, 2) if self.count else None

    @property
    def leaning(self) -> str:
        """ "short" or "long" when at least two thirds of the expectations are on that horizon."""
        if not self.count:
            return ""
        if Fraction(self.short, self.count) >= MOSTLY:
            return Horizon.SHORT
        if Fraction(self.long, self.count) >= MOSTLY:
            return Horizon.LONG
        return ""

    def cell(self, topic: str) -> TopicCell | None:
        return self.topics.get(topic)


@dataclass
class Divergence:
    """A place where partners' expectations pull apart, explained in words."""

    kind: str  # "horizon", "priority" or "unrecorded"
    message: str
    topic: str = ""
    groups: list[str] = field(default_factory=list)  # the groups on one side
    other_groups: list[str] = field(default_factory=list)  # the groups on the other side
    partners: list[Organisation] = field(default_factory=list)  # for "unrecorded"


@dataclass
class Alignment:
    groups: list[GroupAlignment]
    topics: list[str]  # the topics any partner named, in the vocabulary's order
    divergences: list[Divergence]
    unrecorded: list[Organisation]

    @property
    def topic_labels(self) -> list[tuple[str, str]]:
        return [(t, str(ExpectationTopic(t).label)) for t in self.topics]

    def rows(self) -> list[tuple[GroupAlignment, list[TopicCell | None]]]:
        """The matrix: for each group, its cell per topic (None where it names none)."""
        return [(g, [g.cell(t) for t in self.topics]) for g in self.groups]


def _names(items: list[str]) -> str:
    return ", ".join(items)


def _group_label(group: str) -> str:
    return str(PartnerGroup(group).label)


def _horizon_divergence(groups: list[GroupAlignment]) -> Divergence | None:
    short = [g for g in groups if g.leaning == Horizon.SHORT]
    long = [g for g in groups if g.leaning == Horizon.LONG]
    if not short or not long:
        return None

    def describe(side: list[GroupAlignment], attr: str) -> str:
        return _names(
            [
                _("%(group)s (%(n)s of %(total)s)")
                % {"group": g.label, "n": getattr(g, attr), "total": g.count}
                for g in side
            ]
        )

    message = _(
        "Horizons differ: %(short)s mostly expect short-term results, while %(long)s mostly "
        "expect long-term impact."
    ) % {"short": describe(short, "short"), "long": describe(long, "long")}
    return Divergence(
        kind="horizon",
        message=message,
        groups=[g.group for g in short],
        other_groups=[g.group for g in long],
    )


def _priority_divergences(groups: list[GroupAlignment], topics: list[str]) -> list[Divergence]:
    compared = [g for g in groups if g.count]
    divergences = []
    for topic in topics:
        essential, low, absent = [], [], []
        for g in compared:
            cell = g.cell(topic)
            if cell is None:
                absent.append(g)
            elif cell.is_essential:
                essential.append(g)
            elif cell.is_low:
                low.append(g)
        if not essential or not (low or absent):
            continue
        label = str(ExpectationTopic(topic).label)
        parts = [
            _("%(topic)s is essential to %(groups)s")
            % {
                "topic": label,
                "groups": _names(
                    [
                        _("%(group)s (importance %(mean)s)")
                        % {"group": g.label, "mean": localize(g.cell(topic).mean_importance)}
                        for g in essential
                    ]
                ),
            }
        ]
        if low:
            parts.append(
                _("%(groups)s rate it low")
                % {
                    "groups": _names(
                        [
                            _("%(group)s (importance %(mean)s)")
                            % {"group": g.label, "mean": localize(g.cell(topic).mean_importance)}
                            for g in low
                        ]
                    )
                }
            )
        if absent:
            parts.append(
                _("%(groups)s do not name it") % {"groups": _names([g.label for g in absent])}
            )
        divergences.append(
            Divergence(
                kind="priority",
                message="; ".join(parts) + ".",
                topic=topic,
                groups=[g.group for g in essential],
                other_groups=[g.group for g in low + absent],
            )
        )
    return divergences


def alignment_of(partners: list[PartnerExpectations]) -> Alignment:
    """The alignment view computed from already loaded partner rows (no queries)."""
    groups: dict[str, GroupAlignment] = {}
    expectation_count: dict[int, int] = {}
    organisations: dict[int, Organisation] = {}
    named: set[str] = set()
    for row in partners:
        organisation = row.organisation
        organisations[organisation.pk] = organisation
        expectation_count[organisation.pk] = expectation_count.get(organisation.pk, 0) + len(
            row.expectations
        )
        group = groups.setdefault(row.group, GroupAlignment(row.group, _group_label(row.group)))
        if organisation not in group.partners:
            group.partners.append(organisation)
        for expectation in row.expectations:
            named.add(expectation.topic)
            cell = group.topics.setdefault(expectation.topic, TopicCell(expectation.topic))
            cell.count += 1
            cell.importance_total += expectation.importance
            if organisation not in cell.partners:
                cell.partners.append(organisation)
            if expectation.horizon == Horizon.SHORT:
                cell.short += 1
                group.short += 1
            else:
                cell.long += 1
                group.long += 1
    ordered = sorted(groups.values(), key=lambda g: GROUP_ORDER.index(g.group))
    topics = [t for t in TOPIC_ORDER if t in named]
    unrecorded = sorted(
        (o for pk, o in organisations.items() if not expectation_count[pk]), key=lambda o: o.name
    )
    divergences: list[Divergence] = []
    horizon = _horizon_divergence(ordered)
    if horizon:
        divergences.append(horizon)
    divergences.extend(_priority_divergences(ordered, topics))
    if unrecorded:
        divergences.append(
            Divergence(
                kind="unrecorded",
                message=_(
                    "No expectations recorded yet for %(partners)s, so they cannot be compared."
                )
                % {"partners": _names([o.name for o in unrecorded])},
                partners=unrecorded,
            )
        )
    return Alignment(groups=ordered, topics=topics, divergences=divergences, unrecorded=unrecorded)


def alignment(partnership: Partnership) -> Alignment:
    """Where the partners' expectations meet and diverge, by partner group. Three queries."""
    return alignment_of(expectations_by_partner(partnership))


# ---------------------------------------------------------------- lifecycle checklist


def status_of(partners: list[PartnerExpectations]) -> dict:
    """`expectations_status` from already loaded partner rows (no queries)."""
    by_organisation: dict[int, dict] = {}
    for row in partners:
        organisation = row.organisation
        entry = by_organisation.setdefault(
            organisation.pk,
            {
                "organisation": organisation.slug,
                "name": organisation.name,
                "participation": row.participation.pk,
                "no_contribution": False,
                "expectations": 0,
            },
        )
        entry["expectations"] += len(row.expectations)
        if not row.participation.contribution.strip() and not entry["no_contribution"]:
            entry["no_contribution"] = True
            entry["participation"] = row.participation.pk
    missing = []
    for entry in sorted(by_organisation.values(), key=lambda e: e["name"]):
        lacks = []
        if entry["no_contribution"]:
            lacks.append("contribution")
        if not entry["expectations"]:
            lacks.append("expectations")
        if not lacks:
            continue
        if lacks == ["contribution"]:
            message = _("%(partner)s has not stated its contribution.")
        elif lacks == ["expectations"]:
            message = _("%(partner)s has not recorded its expectations.")
        else:
            message = _("%(partner)s has stated neither its contribution nor its expectations.")
        missing.append(
            {
                "organisation": entry["organisation"],
                "name": entry["name"],
                "participation": entry["participation"],
                "lacks": lacks,
                "message": message % {"partner": entry["name"]},
            }
        )
    return {"complete": bool(partners) and not missing, "missing": missing}


def expectations_status(partnership: Partnership) -> dict:
    """For the lifecycle checklist: has every partner stated its contribution and expectations?

    Returns {"complete": bool, "missing": [{"organisation": slug, "name": str,
    "participation": id to edit, "lacks": ["contribution" and/or "expectations"],
    "message": str}]}. A partnership without partners is not complete. Three queries.
    """
    return status_of(expectations_by_partner(partnership))
