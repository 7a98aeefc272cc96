"""Demo data for goals (called by `sinergi demo`; idempotent).

Each demo partnership gets SMART goals, all measurable, owned by its partners and linked
to SDG targets, added by its coordinator through the same service the pages use.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sinergi.partners.models import Organisation
from sinergi.partnerships.goals.services import create_goal
from sinergi.partnerships.models import Goal, MemberRole, Partnership

# slug → [(title, measure, baseline, target, unit, target date, owner slug, SDG targets)]
GOALS = {
    "immunisation-indonesia": [
        (
            "Full basic immunisation for children in East Nusa Tenggara",
            "Share of children aged 12 to 23 months in NTT who received every dose of the basic "
            "schedule (BCG, polio, DPT-HB-Hib, measles-rubella), from the annual coverage survey",
            "61.5", "95", "%", date(2029, 12, 31), "kemenkes", ["3.b", "3.8"],
        ),
        (
            "Full basic immunisation for children in Papua",
            "Share of children aged 12 to 23 months in Papua who received every dose of the basic "
            "schedule, from the annual coverage survey",
            "38", "85", "%", date(2029, 12, 31), "yayasan-sehat-ibu-anak", ["3.b", "3.8"],
        ),
        (
            "Halve the number of zero-dose children in the four eastern provinces",
            "Children aged 12 to 23 months in NTT, Papua, West Papua and Maluku who never received "
            "a first DPT-HB-Hib dose, estimated by UGM's household survey",
            "48000", "24000", "children", date(2028, 12, 31), "perkumpulan-kader-posyandu",
            ["3.b", "3.2"],
        ),
        (
            "A working cold chain in every health centre",
            "Share of puskesmas in the four provinces with a working WHO-prequalified vaccine "
            "refrigerator and continuous temperature monitoring, from the cold-chain inventory",
            "72", "98", "%", date(2027, 12, 31), "bio-farma", ["3.b", "3.8"],
        ),
        (
            "Monthly electronic coverage reports from every district",
            "Share of districts in the four provinces that report immunisation data "
            "electronically each month, from the national reporting system",
            "40", "100", "%", date(2026, 12, 31), "ugm", ["17.18", "3.b"],
        ),
    ],
    "sustainable-textiles-indonesia": [
        (
            "Living wages in the pilot factories",
            "Share of production workers in the 20 pilot factories whose take-home pay for "
            "standard hours meets the living-wage benchmark for their district, from payroll "
            "audits",
            "23", "80", "%", date(2028, 6, 30), "sandang-lestari", ["8.5", "10.4"],
        ),
        (
            "Workers' rights respected in every pilot factory",
            "Share of pilot factories with an elected worker committee and a grievance "
            "channel that answers every case within 30 days, verified by the union",
            "15", "100", "%", date(2026, 12, 31), "serikat-buruh-garmen", ["8.8"],
        ),
        (
            "Hazardous chemicals phased out of dyeing and finishing",
            "Share of the chemical inventory of the pilot mills that conforms to the ZDHC "
            "Manufacturing Restricted Substances List, from chemical audits",
            "55", "95", "%", date(2027, 12, 31), "tekstil-nusantara", ["12.4", "6.3"],
        ),
        (
            "Clean wastewater from the pilot mills",
            "Share of quarterly wastewater tests at the pilot mills that meet the national "
            "effluent limits for the textile industry",
            "60", "100", "%", date(2027, 6, 30), "lestari-institute", ["6.3", "12.4"],
        ),
        (
            "A national standard for chemical management in textile wet processing",
            "An Indonesian National Standard (SNI) for chemical management in textile wet "
            "processing, adopted and published",
            "0", "1", "standard", date(2026, 6, 30), "bsn", ["12.4"],
        ),
        (
            "Textile companies report on wages and chemicals",
            "Number of Indonesian textile and garment companies that publish a yearly "
            "sustainability report with wage and chemical data",
            "4", "40", "companies", date(2028, 6, 30), "kemenperin", ["12.6"],
        ),
    ],
}  # fmt: skip


def seed() -> None:
    """Add the demo goals to the two demo partnerships (nothing if they have goals)."""
    for slug, goals in GOALS.items():
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None or Goal.objects.filter(partnership=partnership).exists():
            continue
        coordinator = (
            partnership.memberships.filter(role=MemberRole.COORDINATOR)
            .select_related("person")
            .order_by("pk")
            .first()
            .person
        )
        owners = {o.slug: o for o in Organisation.objects.filter(slug__in=[g[6] for g in goals])}
        for title, measure, baseline, target, unit, when, owner, sdg_targets in goals:
            create_goal(
                actor=coordinator,
                partnership=partnership,
                title=title,
                measure=measure,
                baseline_value=Decimal(baseline),
                target_value=Decimal(target),
                unit=unit,
                target_date=when,
                owner=owners[owner],
                sdg_targets=sdg_targets,
            )
