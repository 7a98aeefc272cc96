"""Demo data for expectations (called by `sinergi demo` after the capabilities; idempotent).

Each partner of the two demo partnerships links its contribution to its own capabilities
(where it has recorded any) and states what it expects, entered by its own partner admin.
The expectations are chosen so the alignment view shows the divergences such partnerships
really meet: a manufacturer after market access and reputation next to an alliance after
long-term coverage; garment companies after cost and market access next to a union after
living wages; ministries after policy change.
"""

from __future__ import annotations

from sinergi.partners.models import Person
from sinergi.partnerships.expectations.services import add_expectation, update_commitment
from sinergi.partnerships.models import MemberRole, Participation, Partnership

SHORT, LONG = "short", "long"

# (partnership slug, organisation slug, IATI role) → (capability kinds the contribution
# draws on, [(topic, horizon, importance, what it wants)])
DESIGN: dict[tuple[str, str, str], tuple[list[str], list[tuple[str, str, int, str]]]] = {
    ("immunisation-indonesia", "gavi", "1"): (
        ["finance", "technical"],
        [
            ("social_impact", LONG, 5,
             "Sustained full-schedule coverage and far fewer zero-dose children in eastern "
             "Indonesia by 2029."),
            ("policy_change", LONG, 4,
             "Government co-financing of vaccines rises as Gavi support tapers off."),
            ("learning", LONG, 3,
             "Lessons on reaching zero-dose children that other countries can use."),
        ],
    ),
    ("immunisation-indonesia", "kemenkes", "2"): (
        ["policy", "in_kind", "data_tech"],
        [
            ("social_impact", LONG, 5,
             "95% full basic immunisation coverage in every district of the four provinces."),
            ("policy_change", LONG, 4,
             "District governments budget routine immunisation themselves."),
            ("capacity", SHORT, 4,
             "Health workers trained and cold chain working in the four provinces in year one."),
        ],
    ),
    ("immunisation-indonesia", "bio-farma", "4"): (
        ["in_kind", "technical"],
        [
            ("market_access", SHORT, 5,
             "Predictable multi-year orders for its vaccines in the national programme."),
            ("reputation", SHORT, 4,
             "Seen as the national supplier that reaches even the remotest provinces."),
            ("financial_return", SHORT, 3,
             "The extra cold-chain logistics to the eastern provinces paid for."),
            ("social_impact", LONG, 3, "Higher coverage in eastern Indonesia."),
        ],
    ),
    ("immunisation-indonesia", "yayasan-sehat-ibu-anak", "4"): (
        ["local_knowledge", "community"],
        [
            ("social_impact", LONG, 5, "Mothers and children in remote villages reached."),
            ("capacity", SHORT, 4, "Funding for field staff and motorbikes for outreach."),
            ("networks", LONG, 3, "Lasting working relations with district health offices."),
        ],
    ),
    ("immunisation-indonesia", "perkumpulan-kader-posyandu", "4"): (
        ["community", "local_knowledge"],
        [
            ("social_impact", LONG, 5, "No child left unvaccinated in member villages."),
            ("capacity", SHORT, 4, "Transport allowances and training for posyandu volunteers."),
            ("reputation", SHORT, 2, "Public recognition of the volunteers' work."),
        ],
    ),
    ("immunisation-indonesia", "ugm", "4"): (
        ["data_tech", "technical"],
        [
            ("learning", LONG, 5,
             "Publishable evidence on what works to reach zero-dose children."),
            ("social_impact", LONG, 4, "Better coverage in the provinces it studies."),
            ("networks", LONG, 3, "Data-sharing agreements with the ministry."),
            ("capacity", SHORT, 3, "Field research placements for its students."),
        ],
    ),
    ("sustainable-textiles-indonesia", "kemenperin", "2"): (
        ["policy", "network"],
        [
            ("policy_change", LONG, 5,
             "A national green-industry standard for textiles adopted and applied."),
            ("market_access", LONG, 4,
             "Indonesian garments keep their access to markets with due-diligence laws."),
            ("reputation", SHORT, 3, "Early results to report to parliament."),
        ],
    ),
    ("sustainable-textiles-indonesia", "sandang-lestari", "1"): (
        ["finance"],
        [
            ("market_access", SHORT, 5,
             "Keep the orders of European brands that require audited suppliers."),
            ("risk_sharing", SHORT, 4,
             "Audit costs shared with other suppliers, with fewer duplicate audits."),
        ],
    ),
    ("sustainable-textiles-indonesia", "sandang-lestari", "4"): (
        ["in_kind"],
        [("reputation", SHORT, 4, "Recognised by buyers as a compliant supplier.")],
    ),
    ("sustainable-textiles-indonesia", "tekstil-nusantara", "4"): (
        ["in_kind", "technical"],
        [
            ("financial_return", SHORT, 4,
             "Cheaper dyeing with fewer chemicals and less water."),
            ("market_access", SHORT, 4, "Qualify for brands' restricted-substances lists."),
            ("risk_sharing", SHORT, 3, "The cost of substitution trials shared."),
        ],
    ),
    ("sustainable-textiles-indonesia", "serikat-buruh-garmen", "4"): (
        ["community", "local_knowledge"],
        [
            ("social_impact", LONG, 5, "Living wages in member factories."),
            ("policy_change", LONG, 4, "Minimum wages set with living costs in mind."),
            ("capacity", SHORT, 3, "A recognised grievance channel in every pilot factory."),
        ],
    ),
    ("sustainable-textiles-indonesia", "lestari-institute", "3"): (
        ["technical", "network"],
        [
            ("social_impact", LONG, 5,
             "Living wages and safe chemicals across the supply chain."),
            ("learning", LONG, 4, "Wage studies published and used by brands."),
            ("networks", LONG, 3, "More brands joining the partnership."),
        ],
    ),
    ("sustainable-textiles-indonesia", "bsn", "4"): (
        ["technical", "policy"],
        [
            ("policy_change", LONG, 4, "The SNI on chemical management used by factories."),
            ("learning", SHORT, 3, "Pilot data to draft the standard."),
        ],
    ),
}  # fmt: skip


def _actor_for(participation: Participation) -> Person:
    """The partner's own admin (or a coordinator working for it), else a coordinator."""
    memberships = participation.partnership.memberships.select_related("person").order_by("pk")
    own = memberships.filter(
        person__organisation_id=participation.organisation_id,
        role__in=[MemberRole.PARTNER_ADMIN, MemberRole.COORDINATOR],
        person__is_active=True,
    ).first()
    if own is not None:
        return own.person
    return memberships.filter(role=MemberRole.COORDINATOR).first().person


def seed() -> None:
    """Link contributions to capabilities and add expectations (skips what is already there)."""
    partnerships = {
        p.slug: p for p in Partnership.objects.filter(slug__in={slug for slug, _o, _r in DESIGN})
    }
    for (slug, org_slug, role), (kinds, expectations) in DESIGN.items():
        partnership = partnerships.get(slug)
        if partnership is None:
            continue
        participation = (
            Participation.objects.select_related("organisation")
            .filter(partnership=partnership, organisation__slug=org_slug, role=role)
            .first()
        )
        if participation is None:
            continue
        participation.partnership = partnership
        actor = _actor_for(participation)
        if not participation.capabilities.exists():
            own = list(
                participation.organisation.capabilities.filter(kind__in=kinds).order_by("pk")
            )
            if own:
                update_commitment(
                    actor=actor,
                    participation=participation,
                    contribution=participation.contribution,
                    capabilities=own,
                )
        if participation.expectations.exists():
            continue
        for topic, horizon, importance, description in expectations:
            add_expectation(
                actor=actor,
                participation=participation,
                topic=topic,
                horizon=horizon,
                importance=importance,
                description=description,
            )
