"""`sinergi demo`: load two partnerships modelled on real ones, with people in every role.

Deterministic and idempotent: a second run changes nothing and prints the logins again.
The immunisation partnership is public and the textiles partnership private, so both
sides of the permission policy show.
"""

from __future__ import annotations

import shutil
import sys
from datetime import date
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from sinergi.ledger.models import Witness
from sinergi.ledger.witness import load_or_create_key
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.models import Participation, Partnership

DEMO_PASSWORD = "sinergi-demo"  # noqa: S105 - the published demo password

ORGANISATIONS = [
    # slug, name, acronym, type, IATI identifier, country, subdivisions, website, en, id
    ("kemenkes", "Ministry of Health of the Republic of Indonesia", "Kemenkes", "10", "",
     "ID", [], "https://www.kemkes.go.id",
     "Sets national immunisation policy and runs the national programme.",
     "Menetapkan kebijakan imunisasi nasional dan menjalankan program nasional."),
    ("gavi", "Gavi, the Vaccine Alliance", "Gavi", "40", "XM-DAC-47122",
     "CH", [], "https://www.gavi.org",
     "Co-finances vaccines and strengthens immunisation systems.",
     "Membiayai bersama vaksin dan memperkuat sistem imunisasi."),
    ("bio-farma", "PT Bio Farma (Persero)", "Bio Farma", "72", "",
     "ID", ["ID-JB"], "https://www.biofarma.co.id",
     "State-owned vaccine manufacturer.", "Produsen vaksin milik negara."),
    ("yayasan-sehat-ibu-anak", "Yayasan Sehat Ibu dan Anak", "YSIA", "22", "",
     "ID", ["ID-NT", "ID-PA"], "",
     "National NGO for maternal and child health in eastern Indonesia.",
     "LSM nasional untuk kesehatan ibu dan anak di Indonesia timur."),
    ("perkumpulan-kader-posyandu", "Perkumpulan Kader Posyandu Nusantara", "PKPN", "24", "",
     "ID", ["ID-NT", "ID-PA", "ID-JT"], "",
     "Association of community health volunteers who run village health posts.",
     "Perkumpulan kader kesehatan yang menjalankan posyandu di desa."),
    ("ugm", "Universitas Gadjah Mada", "UGM", "80", "",
     "ID", ["ID-YO"], "https://ugm.ac.id",
     "Public university; evaluates coverage and cold-chain performance.",
     "Universitas negeri; mengevaluasi cakupan dan rantai dingin."),
    ("kemenperin", "Ministry of Industry of the Republic of Indonesia", "Kemenperin", "10", "",
     "ID", [], "https://kemenperin.go.id",
     "Sets industrial policy for the textile and garment sector.",
     "Menetapkan kebijakan industri untuk sektor tekstil dan garmen."),
    ("sandang-lestari", "PT Sandang Lestari", "", "72", "",
     "ID", ["ID-JB"], "", "Garment manufacturer in West Java.", "Produsen garmen di Jawa Barat."),
    ("tekstil-nusantara", "PT Tekstil Nusantara", "", "72", "",
     "ID", ["ID-JT"], "", "Spinning and dyeing mill in Central Java.",
     "Pabrik pemintalan dan pencelupan di Jawa Tengah."),
    ("serikat-buruh-garmen", "Federasi Serikat Buruh Garmen Indonesia", "FSBGI", "90", "",
     "ID", ["ID-JB", "ID-JT", "ID-BT"], "", "Trade union federation of garment workers.",
     "Federasi serikat pekerja garmen."),
    ("lestari-institute", "Lestari Institute for Fair Fashion", "LIFF", "22", "",
     "ID", [], "", "NGO working on wages and chemical safety in supply chains.",
     "LSM yang bekerja pada upah dan keamanan bahan kimia di rantai pasok."),
    ("bsn", "Badan Standardisasi Nasional", "BSN", "15", "",
     "ID", [], "https://bsn.go.id", "National standards body; maintains the SNI standards.",
     "Lembaga standardisasi nasional; mengelola standar SNI."),
]  # fmt: skip

PEOPLE = [
    # username, first, last, organisation slug, organisation admin, job title
    ("sari", "Sari", "Wulandari", "kemenkes", True, "Immunisation programme manager"),
    ("budi", "Budi", "Santoso", "bio-farma", True, "Partnerships lead"),
    ("dewi", "Dewi", "Lestari", "ugm", False, "Researcher"),
    ("agus", "Agus", "Pratama", "gavi", False, "Country officer"),
    ("nur", "Nur", "Hidayah", "perkumpulan-kader-posyandu", True, "Chair"),
    ("rina", "Rina", "Kusuma", "kemenperin", True, "Director, textile industry"),
    ("hendra", "Hendra", "Wijaya", "sandang-lestari", True, "Sustainability manager"),
    ("wati", "Wati", "Susanti", "serikat-buruh-garmen", False, "Organiser"),
    ("joko", "Joko", "Purnomo", "bsn", False, "Standards officer"),
    ("tamu", "Tamu", "Luar", "lestari-institute", False, "Analyst (no partnership role)"),
]

# The authorised signatories of partners that had none among the people above
# (partner admins of their own organisation), so every partner can sign the agreement.
SIGNATORIES = [
    # username, first, last, organisation slug, job title, partnership slug
    ("maria", "Maria", "Hutapea", "gavi", "Senior country manager", "immunisation-indonesia"),
    ("yuni", "Yuni", "Rahmawati", "yayasan-sehat-ibu-anak", "Executive director",
     "immunisation-indonesia"),
    ("tono", "Tono", "Saputra", "ugm", "Head, centre for health policy", "immunisation-indonesia"),
    ("ani", "Ani", "Setiawati", "tekstil-nusantara", "Compliance manager",
     "sustainable-textiles-indonesia"),
    ("rudi", "Rudi", "Hartono", "serikat-buruh-garmen", "General secretary",
     "sustainable-textiles-indonesia"),
    ("lina", "Lina", "Marpaung", "lestari-institute", "Programme director",
     "sustainable-textiles-indonesia"),
    ("eko", "Eko", "Nugroho", "bsn", "Director of standards development",
     "sustainable-textiles-indonesia"),
]  # fmt: skip

IMMUNISATION = {
    "slug": "immunisation-indonesia",
    "title": "Every Child Immunised — Indonesia",
    "summary": (
        "Government, a vaccine alliance, a manufacturer, NGOs, community health volunteers "
        "and a university work together to reach zero-dose children in eastern Indonesia."
    ),
    "vision": (
        "Every child in Indonesia receives the full basic immunisation schedule, "
        "whatever the distance to the nearest health post."
    ),
    "start_date": date(2025, 1, 1),
    "end_date": date(2029, 12, 31),
    "activity_status": "2",
    "base_currency": "IDR",
    "countries": ["ID"],
    "regions": ["ID-NT", "ID-PA", "ID-PB", "ID-MA"],
    "visibility": "public",
}
IMMUNISATION_PARTNERS = [
    ("gavi", "1", "Co-financing of vaccines and cold-chain equipment"),
    ("kemenkes", "2", "National programme leadership and health workers"),
    ("bio-farma", "4", "Vaccine supply and cold-chain logistics"),
    ("yayasan-sehat-ibu-anak", "4", "Outreach to remote villages"),
    ("perkumpulan-kader-posyandu", "4", "Community mobilisation through posyandu volunteers"),
    ("ugm", "4", "Coverage surveys and evaluation"),
]
IMMUNISATION_MEMBERS = [
    ("budi", "partner_admin"),
    ("nur", "partner_admin"),
    ("dewi", "member"),
    ("agus", "observer"),
]

TEXTILES = {
    "slug": "sustainable-textiles-indonesia",
    "title": "Sustainable Textiles Partnership Indonesia",
    "summary": (
        "Government, garment companies, a trade union, an NGO and the standards body "
        "improve wages, working conditions and chemical safety in textile supply chains."
    ),
    "vision": (
        "Indonesian garments are made in factories that pay living wages, respect workers' "
        "rights and have phased out hazardous chemicals."
    ),
    "start_date": date(2024, 7, 1),
    "end_date": date(2028, 6, 30),
    "activity_status": "2",
    "base_currency": "IDR",
    "countries": ["ID"],
    "regions": ["ID-JB", "ID-JT", "ID-BT"],
    "visibility": "private",
}
TEXTILES_PARTNERS = [
    ("kemenperin", "2", "Policy and industry convening"),
    ("sandang-lestari", "1", "Co-funding of factory audits"),
    ("sandang-lestari", "4", "Pilot factories"),
    ("tekstil-nusantara", "4", "Chemical substitution pilots"),
    ("serikat-buruh-garmen", "4", "Worker representation and grievance channels"),
    ("lestari-institute", "3", "Programme management and wage studies"),
    ("bsn", "4", "Standards for chemical management"),
]
TEXTILES_MEMBERS = [
    ("hendra", "partner_admin"),
    ("wati", "member"),
    ("joko", "observer"),
    ("sari", "observer"),
]

LOGINS = [
    ("admin", "platform staff (Django admin)"),
    ("sari", "coordinator, immunisation (public); observer, textiles (private)"),
    ("budi", "partner admin (Bio Farma), immunisation"),
    ("dewi", "member, immunisation"),
    ("agus", "observer, immunisation"),
    ("rina", "coordinator, textiles (private)"),
    ("hendra", "partner admin (PT Sandang Lestari), textiles"),
    ("wati", "member, textiles"),
    ("joko", "observer, textiles"),
    ("tamu", "signed in, but in no partnership (an outsider)"),
    (
        "maria, yuni, tono, nur",
        "partner admins who sign for Gavi, YSIA, UGM and PKPN, immunisation",
    ),
    ("ani, rudi, lina, eko", "partner admins who sign for their organisations, textiles"),
]

# Each part of the partnership design adds its demo rows, in this order (later parts
# build on earlier ones: the lifecycle stage moves only when the checklist is met).
DESIGN_SEEDS = [
    "sinergi.partners.capabilities.demo",
    "sinergi.partnerships.goals.demo",
    "sinergi.partnerships.expectations.demo",
    "sinergi.partnerships.raci.demo",
    "sinergi.partnerships.agreements.demo",
    "sinergi.partnerships.needs.demo",
    "sinergi.partnerships.lifecycle.demo",
    "sinergi.finance.demo",
    "sinergi.results.demo",
]


class Command(BaseCommand):
    help = "Load the demo organisations, people and two partnerships (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="where the demo will be served (for the witness command it prints)",
        )

    def handle(self, *args: object, **options: object) -> None:
        if Partnership.objects.filter(slug=IMMUNISATION["slug"]).exists():
            self.stdout.write("Demo data is already loaded.")
        else:
            with transaction.atomic():
                load_demo()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
            # A new demo database is a new log: the demo witness's memory of an earlier
            # one would make it refuse this log as a rollback.
            shutil.rmtree(demo_witness_state(), ignore_errors=True)
        with transaction.atomic():
            ensure_signatories()
        with transaction.atomic():
            confirm_partners()
        for module in DESIGN_SEEDS:
            with transaction.atomic():
                import_module(module).seed()
        key_file = register_demo_witness()
        if not options["quiet"]:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for username, what in LOGINS:
                self.stdout.write(f"  {username:<8} {what}")
            # As it was invoked (`.venv/bin/sinergi` under `make run`), so it can be pasted.
            program = sys.argv[0] if Path(sys.argv[0]).name == "sinergi" else "sinergi"
            self.stdout.write(
                "\nUGM runs a witness of the transparency ledger. Once the server is up:\n"
                f"  {program} ledger witness --url {options['url']} --key {key_file} "
                f"--state {demo_witness_state()}"
            )


def ensure_signatories() -> None:
    """Add the partners' authorised signatories (idempotent)."""
    for username, first, last, org_slug, title, partnership_slug in SIGNATORIES:
        if Person.objects.filter(username=username).exists():
            continue
        partnership = Partnership.objects.get(slug=partnership_slug)
        coordinator = partnership.memberships.filter(role="coordinator").first().person
        person = Person.objects.create_user(
            username=username, email=f"{username}@sinergi.localhost", password=DEMO_PASSWORD,
            first_name=first, last_name=last,
            organisation=Organisation.objects.get(slug=org_slug),
            is_organisation_admin=True, job_title=title,
        )  # fmt: skip
        partnership_services.grant_membership(
            actor=coordinator, partnership=partnership, person=person, role="partner_admin"
        )


# The one listing its organisation has not answered yet, so that the request to confirm
# shows (to eko, BSN's admin: on BSN's page and under "Waiting for you").
LEFT_UNCONFIRMED = ("bsn", TEXTILES["slug"])


def confirm_partners() -> None:
    """Each partner's admin confirms that it takes part, through the service so that the
    ledger records it, but for LEFT_UNCONFIRMED (idempotent)."""
    unconfirmed = Participation.objects.filter(
        partnership__slug__in=(IMMUNISATION["slug"], TEXTILES["slug"]), confirmed_at__isnull=True
    ).select_related("organisation", "partnership")
    for participation in unconfirmed.order_by("pk"):
        if (participation.organisation.slug, participation.partnership.slug) == LEFT_UNCONFIRMED:
            continue
        admin = (
            Person.objects.filter(
                organisation=participation.organisation, is_organisation_admin=True, is_active=True
            )
            .order_by("pk")
            .first()
        )
        if admin is not None:
            partnership_services.confirm_participation(actor=admin, participation=participation)


def demo_witness_state() -> Path:
    """Where the printed witness command keeps the last checkpoint it cosigned."""
    return Path(settings.DATA_DIR) / "demo-witness-state"


def register_demo_witness() -> Path:
    """Give the demo university a witness key (in the data folder) and register it."""
    key_file = Path(settings.DATA_DIR) / "demo-witness.key"
    signer = load_or_create_key(key_file, "witness.ugm.example/sinergi")
    Witness.objects.update_or_create(
        name=signer.name,
        defaults={"vkey": signer.vkey(), "organisation": Organisation.objects.get(slug="ugm")},
    )
    return key_file


def load_demo() -> None:
    """Create the demo rows through the same services the pages use."""
    organisations = {}
    for (
        slug,
        name,
        acronym,
        org_type,
        iati_id,
        country,
        subdivisions,
        web,
        en,
        id_,
    ) in ORGANISATIONS:
        organisation = Organisation(
            slug=slug, name=name, acronym=acronym, org_type=org_type, iati_identifier=iati_id,
            country=country, subdivisions=subdivisions, website=web,
            description_en=en, description_id=id_,
        )  # fmt: skip
        organisation.full_clean()
        organisation.save()
        organisations[slug] = organisation

    admin = Person.objects.create_superuser(
        username="admin", email="admin@sinergi.localhost", password=DEMO_PASSWORD,
        first_name="Platform", last_name="Admin",
    )  # fmt: skip
    people = {"admin": admin}
    for username, first, last, org_slug, org_admin, title in PEOPLE:
        people[username] = Person.objects.create_user(
            username=username, email=f"{username}@sinergi.localhost", password=DEMO_PASSWORD,
            first_name=first, last_name=last, organisation=organisations[org_slug],
            is_organisation_admin=org_admin, job_title=title,
        )  # fmt: skip

    for fields, coordinator, partners, members in [
        (IMMUNISATION, "sari", IMMUNISATION_PARTNERS, IMMUNISATION_MEMBERS),
        (TEXTILES, "rina", TEXTILES_PARTNERS, TEXTILES_MEMBERS),
    ]:
        actor = people[coordinator]
        partnership = partnership_services.create_partnership(actor=actor, **fields)
        for org_slug, role, contribution in partners:
            partnership_services.add_partner(
                actor=actor, partnership=partnership, organisation=organisations[org_slug],
                role=role, contribution=contribution,
            )  # fmt: skip
        for username, role in members:
            partnership_services.grant_membership(
                actor=actor, partnership=partnership, person=people[username], role=role
            )
