"""Demo data for capabilities (called by `sinergi demo`; idempotent).

Every demo organisation records two to four comparative advantages, entered by one of its
own admins (the platform admin where it has none). An organisation that already records
any capability is left alone.
"""

from __future__ import annotations

from sinergi.partners.capabilities.services import add_capability
from sinergi.partners.models import Organisation, Person

DAC = "2"
SDG = "7"

# organisation slug → (kind, vocabulary, code, regions, description, evidence)
CAPABILITIES: dict[str, list[tuple[str, str, str, list[str], str, str]]] = {
    "gavi": [
        ("finance", SDG, "3", [],
         "Co-financing of routine vaccines and of new vaccine introductions.",
         "Co-finances vaccines in more than 50 lower-income countries."),
        ("technical", DAC, "122", [],
         "Immunisation system strengthening: cold chain, data and supply-chain design.",
         "Cold Chain Equipment Optimisation Platform; health system strengthening grants."),
        ("network", SDG, "3", [],
         "Convenes vaccine manufacturers, UNICEF, WHO and donor governments.",
         "Board with constituencies of implementing and donor countries, industry and CSOs."),
    ],
    "kemenkes": [
        ("policy", DAC, "122", ["ID"],
         "Sets the national immunisation schedule and programme rules.",
         "Regulation of the Minister of Health on immunisation (Permenkes 12/2017)."),
        ("data_tech", DAC, "122", ["ID"],
         "National immunisation registry and district coverage reports.",
         "ASIK electronic immunisation records in every province."),
        ("in_kind", DAC, "122", ["ID"],
         "Health workers and puskesmas in every district.",
         "More than 10,000 community health centres."),
    ],
    "bio-farma": [
        ("in_kind", SDG, "3", ["ID"],
         "Vaccine supply and cold-chain logistics to the provinces.",
         "WHO-prequalified vaccines; supplies the national immunisation programme."),
        ("technical", DAC, "122", ["ID"],
         "Vaccine production, quality assurance and cold-chain handling.",
         "WHO prequalification of measles-rubella, polio and DTP vaccines."),
        ("finance", DAC, "321", ["ID-JB"],
         "Co-funds cold-chain upgrades near its Bandung plant.",
         "Corporate social responsibility programme reports."),
    ],
    "yayasan-sehat-ibu-anak": [
        ("local_knowledge", SDG, "3", ["ID-NT", "ID-PA"],
         "Knows the remote villages, languages and leaders of Nusa Tenggara Timur and Papua.",
         "Field teams in 14 districts since 2012."),
        ("community", DAC, "130", ["ID-NT", "ID-PA"],
         "Outreach to mothers for antenatal care and child immunisation.",
         "Mother-and-child outreach programme evaluations, 2019 and 2023."),
    ],
    "perkumpulan-kader-posyandu": [
        ("community", SDG, "3", ["ID-NT", "ID-PA", "ID-JT"],
         "Posyandu volunteers who find zero-dose children and bring them to sessions.",
         "Some 6,000 member volunteers in three provinces."),
        ("local_knowledge", DAC, "122", ["ID-NT", "ID-PA", "ID-JT"],
         "Village-by-village knowledge of who has not been vaccinated and why.",
         "Monthly posyandu registers."),
    ],
    "ugm": [
        ("data_tech", DAC, "122", ["ID"],
         "Coverage surveys, dashboards and cold-chain temperature monitoring.",
         "Centre for health policy and management: national coverage surveys."),
        ("technical", DAC, "121", ["ID"],
         "Programme evaluation and implementation research.",
         "Peer-reviewed evaluations of immunisation programmes in eastern Indonesia."),
        ("network", SDG, "4", ["ID-YO"],
         "Alumni and student field placements across the provinces.",
         "Community service programme (KKN) placing students in villages every year."),
    ],
    "kemenperin": [
        ("policy", DAC, "321", ["ID"],
         "Industrial policy and regulation for the textile and garment sector.",
         "Green industry standards programme and textile industry roadmap."),
        ("network", DAC, "321", ["ID"],
         "Convenes industry associations and regional industry offices.",
         "Works with API (the Indonesian textile association) and provincial offices."),
    ],
    "sandang-lestari": [
        ("in_kind", DAC, "321", ["ID-JB"],
         "Pilot factory lines and staff time for audits and trials.",
         "Two factories, 3,500 workers."),
        ("finance", SDG, "8", ["ID-JB"],
         "Co-funds factory audits and wage studies.",
         "Supplier code of conduct budget."),
    ],
    "tekstil-nusantara": [
        ("in_kind", DAC, "321", ["ID-JT"],
         "Spinning and dyeing mill available for chemical substitution trials.",
         "Mill in Central Java with its own wastewater plant."),
        ("technical", SDG, "12", ["ID-JT"],
         "Dyeing chemistry and wastewater treatment know-how.",
         "ZDHC wastewater guideline tests since 2021."),
        ("finance", DAC, "321", ["ID-JT"],
         "Invests in cleaner dyeing equipment.",
         "Capital budget for equipment replacement."),
    ],
    "serikat-buruh-garmen": [
        ("community", SDG, "8", ["ID-JB", "ID-JT", "ID-BT"],
         "Mobilises garment workers; runs grievance channels and worker training.",
         "Member unions in factories of three provinces."),
        ("local_knowledge", DAC, "160", ["ID-JB", "ID-JT", "ID-BT"],
         "Knows working conditions on the factory floor.",
         "Collective bargaining agreements and grievance records."),
    ],
    "lestari-institute": [
        ("technical", SDG, "8", ["ID"],
         "Living-wage benchmarks and wage studies for garment supply chains (SDG 8.5, 8.8).",
         "Published wage studies for West and Central Java."),
        ("network", SDG, "12", [],
         "Links brands, NGOs and researchers working on fair fashion.",
         "Member of international fair-fashion networks."),
    ],
    "bsn": [
        ("technical", DAC, "331", ["ID"],
         "Technical standards (SNI) for chemical management in textiles.",
         "Maintains the SNI textile standards; national member of ISO."),
        ("policy", DAC, "331", ["ID"],
         "Makes standards mandatory through conformity assessment schemes.",
         "National conformity assessment system."),
    ],
}  # fmt: skip


def _actor_for(organisation: Organisation) -> Person:
    """One of the organisation's own admins, else the platform admin."""
    admin = (
        Person.objects.filter(organisation=organisation, is_organisation_admin=True, is_active=True)
        .order_by("pk")
        .first()
    )
    return admin or Person.objects.get(username="admin")


def seed() -> None:
    """Record the demo organisations' comparative advantages (skips those that have some)."""
    for slug, capabilities in CAPABILITIES.items():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None or organisation.capabilities.exists():
            continue
        actor = _actor_for(organisation)
        for kind, vocabulary, code, regions, description, evidence in capabilities:
            add_capability(
                actor=actor,
                organisation=organisation,
                kind=kind,
                sector_vocabulary=vocabulary,
                sector_code=code,
                regions=regions,
                description=description,
                evidence=evidence,
            )
