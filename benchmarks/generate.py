"""Generate a deterministic, realistically sized Sinergi database for the load benchmarks.

    .venv/bin/python benchmarks/generate.py [--seed 2025]

Creates, in a fresh SQLite file (benchmarks/out/sinergi.sqlite3 unless SINERGI_SQLITE_PATH
or SINERGI_DATA_DIR say otherwise) or in the PostgreSQL database named by DATABASE_URL:

- 10,000 organisations, 20,000 people (two per organisation on average),
- 2,000 partnerships (half public, half private) with 20,000 participations (ten each),
- about 26,000 memberships: each partnership has a coordinator, partner admins, members
  and observers drawn from the people of its partner organisations,
- the benchmark user `bench`, a member of 40 partnerships (30 private, 10 public) in every
  role, so that it sees the public ones plus its own private ones,
- one API token for `bench`, written to benchmarks/out/token.txt.

Everything goes in with bulk_create in batches; every person shares one password hash
(made once) so that the run takes seconds, not the hours Argon2 per user would.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from common import (
    BENCH_PASSWORD,
    BENCH_USERNAME,
    DATASET_FILE,
    TOKEN_FILE,
    configure,
    database_label,
)

ORGANISATIONS = 10_000
PEOPLE = 20_000
PARTNERSHIPS = 2_000
PARTICIPATIONS_PER_PARTNERSHIP = 10  # 20,000 in all
PUBLIC_SHARE = 0.5
BENCH_PRIVATE = 30
BENCH_PUBLIC = 10
BATCH = 1_000

ORG_TYPES = ["10", "11", "15", "21", "22", "24", "40", "60", "70", "72", "80", "90"]
COUNTRIES = ["ID"] * 8 + ["MY", "PH", "TL", "SG", "AU", "NL", "CH", "US"]
ID_REGIONS = ["ID-JB", "ID-JT", "ID-JI", "ID-BT", "ID-YO", "ID-NT", "ID-NB", "ID-PA", "ID-SN"]
ADJECTIVES = [
    "Nusantara", "Lestari", "Sejahtera", "Mandiri", "Bersama", "Harapan", "Cahaya",
    "Sehat", "Hijau", "Maju", "Pelita", "Sinar", "Tunas", "Karya", "Bina", "Mitra",
]  # fmt: skip
NOUNS = [
    "Foundation", "Institute", "Cooperative", "Association", "Agency", "Network",
    "Alliance", "Trust", "Society", "Centre", "Collective", "Council", "Group", "Union",
]  # fmt: skip
THEMES = [
    "Clean Water",
    "Immunisation",
    "Fair Textiles",
    "Mangrove Restoration",
    "Girls' Education",
    "Smallholder Coffee",
    "Maternal Health",
    "Waste to Value",
    "Digital Villages",
    "Disaster Readiness",
    "Renewable Islands",
    "School Meals",
    "Coral Futures",
    "Safe Migration",
    "Inclusive Finance",
    "Palm Oil Traceability",
    "Urban Sanitation",
    "Teacher Training",
    "Tuberculosis Elimination",
    "Seaweed Livelihoods",
]
PLACES = [
    "West Java",
    "Central Java",
    "East Java",
    "Yogyakarta",
    "Papua",
    "East Nusa Tenggara",
    "West Nusa Tenggara",
    "South Sulawesi",
    "Banten",
    "Aceh",
    "Bali",
    "Maluku",
]
FIRST_NAMES = [
    "Ayu", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hadi", "Indah", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Putri", "Rizki", "Sari", "Teguh", "Wahyu", "Yuni", "Anna",
    "Mark", "Lucia", "Tomas",
]  # fmt: skip
LAST_NAMES = [
    "Santoso", "Wijaya", "Pratama", "Siregar", "Nasution", "Hidayat", "Kusuma", "Saputra",
    "Halim", "Lubis", "Gunawan", "Purnomo", "Simanjuntak", "Tan", "de Vries", "Rossi",
]  # fmt: skip
JOBS = ["Programme officer", "Director", "Field coordinator", "Analyst", "Adviser", ""]
WORDS = [
    "partners", "align", "funding", "and", "delivery", "so", "that", "communities", "gain",
    "lasting", "access", "to", "services", "while", "local", "government", "leads", "civil",
    "society", "monitors", "quality", "the", "private", "sector", "brings", "supply", "chains",
    "skills", "across", "provinces", "with", "shared", "targets", "for", "every", "district",
]  # fmt: skip


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def fresh_sqlite_file() -> Path | None:
    """Delete the SQLite file (and its WAL) the settings point at; None for PostgreSQL."""
    if os.environ.get("DATABASE_URL"):
        return None
    from django.conf import settings

    path = Path(settings.DATABASES["default"]["NAME"])
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def generate(seed: int) -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils.text import slugify

    from sinergi.access.services import create_api_token
    from sinergi.partners.models import Organisation, Person
    from sinergi.partnerships.models import Membership, Participation, Partnership

    rng = random.Random(seed)
    password_hash = make_password(BENCH_PASSWORD)  # once: Argon2 per person would take hours

    with transaction.atomic():
        organisations = []
        for i in range(ORGANISATIONS):
            adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
            country = rng.choice(COUNTRIES)
            regions = rng.sample(ID_REGIONS, rng.randint(0, 3)) if country == "ID" else []
            organisations.append(
                Organisation(
                    name=f"{adjective} {noun} {i + 1:05d}",
                    acronym=f"{adjective[:2]}{noun[:2]}{i % 100}".upper() if i % 3 else "",
                    slug=f"{slugify(adjective)}-{slugify(noun)}-{i + 1:05d}",
                    org_type=rng.choice(ORG_TYPES),
                    iati_identifier=f"ID-BENCH-{i + 1:05d}" if i % 4 == 0 else "",
                    country=country,
                    subdivisions=sorted(regions),
                    description_en=sentence(rng, 25),
                    description_id="",
                )
            )
        Organisation.objects.bulk_create(organisations, batch_size=BATCH)
        org_ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))

        people = [
            Person(
                username=BENCH_USERNAME,
                email="bench@example.org",
                first_name="Bench",
                last_name="Marker",
                organisation_id=org_ids[0],
                password=password_hash,
            )
        ]
        for i in range(1, PEOPLE):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            people.append(
                Person(
                    username=f"person{i:05d}",
                    email=f"person{i:05d}@example.org",
                    first_name=first,
                    last_name=last,
                    organisation_id=org_ids[rng.randrange(ORGANISATIONS)],
                    is_organisation_admin=rng.random() < 0.05,
                    job_title=rng.choice(JOBS),
                    password=password_hash,
                )
            )
        Person.objects.bulk_create(people, batch_size=BATCH)
        person_rows = Person.objects.order_by("pk").values_list("pk", "organisation_id")
        people_by_org: dict[int, list[int]] = {}
        bench_id = 0
        for pk, org_id in person_rows:
            if bench_id == 0:
                bench_id = pk  # the first one created
                continue
            people_by_org.setdefault(org_id, []).append(pk)

        start = date(2018, 1, 1)
        partnerships = []
        for i in range(PARTNERSHIPS):
            theme, place = rng.choice(THEMES), rng.choice(PLACES)
            title = f"{theme} in {place} {i + 1:04d}"
            begins = start + timedelta(days=rng.randrange(2500))
            countries = ["ID"] if rng.random() < 0.8 else sorted({"ID", rng.choice(COUNTRIES)})
            partnerships.append(
                Partnership(
                    title=title,
                    slug=slugify(title)[:80],
                    summary=sentence(rng, 40),
                    vision=sentence(rng, 30),
                    start_date=begins,
                    end_date=begins + timedelta(days=rng.randrange(365, 2000)),
                    activity_status=rng.choice("12234"),
                    countries=countries,
                    regions=sorted(rng.sample(ID_REGIONS, rng.randint(0, 2))),
                    visibility="public" if rng.random() < PUBLIC_SHARE else "private",
                )
            )
        Partnership.objects.bulk_create(partnerships, batch_size=BATCH)
        partnership_rows = list(Partnership.objects.order_by("pk").values_list("pk", "visibility"))

        participations, memberships, creators = [], [], {}
        for partnership_id, _visibility in partnership_rows:
            partner_orgs = rng.sample(org_ids, PARTICIPATIONS_PER_PARTNERSHIP)
            for org_id in partner_orgs:
                participations.append(
                    Participation(
                        partnership_id=partnership_id,
                        organisation_id=org_id,
                        role=rng.choice("1234"),
                        contribution=sentence(rng, 8) if rng.random() < 0.5 else "",
                    )
                )
            candidates = [pk for org_id in partner_orgs for pk in people_by_org.get(org_id, [])]
            rng.shuffle(candidates)
            chosen = candidates[: rng.randint(8, 18)]
            for n, person_id in enumerate(chosen):
                role = (
                    "coordinator"
                    if n == 0
                    else "partner_admin"
                    if n < 3
                    else rng.choice(["member", "member", "observer"])
                )
                memberships.append(
                    Membership(partnership_id=partnership_id, person_id=person_id, role=role)
                )
            if chosen:
                creators[partnership_id] = chosen[0]

        private_ids = [pk for pk, visibility in partnership_rows if visibility == "private"]
        public_ids = [pk for pk, visibility in partnership_rows if visibility == "public"]
        bench_partnerships = rng.sample(private_ids, BENCH_PRIVATE) + rng.sample(
            public_ids, BENCH_PUBLIC
        )
        bench_roles = ["coordinator", "partner_admin", "member", "member", "observer"]
        for n, partnership_id in enumerate(bench_partnerships):
            memberships.append(
                Membership(
                    partnership_id=partnership_id,
                    person_id=bench_id,
                    role=bench_roles[n % len(bench_roles)],
                )
            )
        Participation.objects.bulk_create(participations, batch_size=BATCH)
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        _set_creators(creators)

        bench = Person.objects.get(pk=bench_id)
        _token, secret = create_api_token(actor=bench, name="benchmark")

    detail_private = Partnership.objects.get(pk=bench_partnerships[0])  # bench: coordinator
    detail_public = (
        Partnership.objects.filter(visibility="public").exclude(pk__in=bench_partnerships).first()
    )
    return {
        "seed": seed,
        "username": BENCH_USERNAME,
        "private_detail_slug": detail_private.slug,
        "public_detail_slug": detail_public.slug,
        "token": secret,
        "counts": {
            "organisations": Organisation.objects.count(),
            "people": Person.objects.count(),
            "partnerships": Partnership.objects.count(),
            "public_partnerships": Partnership.objects.filter(visibility="public").count(),
            "participations": Participation.objects.count(),
            "memberships": Membership.objects.count(),
            "bench_memberships": Membership.objects.filter(person_id=bench_id).count(),
        },
    }


def _set_creators(creators: dict[int, int]) -> None:
    """created_by for every partnership, in one statement per batch (CASE … WHEN)."""
    from django.db.models import Case, IntegerField, Value, When

    from sinergi.partnerships.models import Partnership

    items = sorted(creators.items())
    for offset in range(0, len(items), 500):
        chunk = items[offset : offset + 500]
        Partnership.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
            created_by_id=Case(
                *(When(pk=pk, then=Value(person)) for pk, person in chunk),
                output_field=IntegerField(),
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="with DATABASE_URL: empty a database that already has data (flush) first",
    )
    args = parser.parse_args()

    began = time.monotonic()
    configure()
    import django

    django.setup()
    from django.core.management import call_command

    from sinergi.partners.models import Organisation

    sqlite_path = fresh_sqlite_file()
    call_command("migrate", interactive=False, verbosity=0)
    if sqlite_path is None and Organisation.objects.exists():
        if not args.reset:
            print("DATABASE_URL names a database with data in it; rerun with --reset to flush.")
            return 2
        call_command("flush", interactive=False, verbosity=0)
    migrated = time.monotonic()

    dataset = generate(args.seed)
    secret = dataset.pop("token")
    TOKEN_FILE.write_text(f"{secret}\n")
    TOKEN_FILE.chmod(0o600)
    dataset["database"] = database_label()
    DATASET_FILE.write_text(json.dumps(dataset, indent=2) + "\n")

    done = time.monotonic()
    print(f"Database: {dataset['database']}")
    for name, count in dataset["counts"].items():
        print(f"  {name:>20}: {count:,}")
    print(f"Token for {BENCH_USERNAME!r} in {TOKEN_FILE}; dataset facts in {DATASET_FILE}")
    print(f"Migrated in {migrated - began:.1f} s, generated in {done - migrated:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
