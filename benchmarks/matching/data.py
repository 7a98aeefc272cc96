"""Generate the partner-matching scale data into the configured (empty, migrated) database.

    .venv/bin/python benchmarks/matching/data.py [--seed 2025] [--organisations 100000]
        [--capabilities 500000]

Uses the database the Django settings point at (DATABASE_URL for PostgreSQL, else SQLite at
SINERGI_SQLITE_PATH / SINERGI_DATA_DIR); `run.py` gives each run a fresh one. Creates,
deterministically from the seed and with bulk inserts:

- 100,000 organisations: 70 % Indonesian (0-3 provinces each, Java most often, Papua
  least), the rest from 15 other countries; IATI types skewed towards NGOs, companies and
  civil society;
- 500,000 capabilities spread over them with a long tail (a few organisations list dozens,
  some none); kinds depend on the organisation type (companies bring finance, data and
  in-kind assets, NGOs community and local knowledge…); 12 % any sector, 58 % an OECD DAC
  sector, 30 % an SDG goal, popular sectors far more common; regions anywhere, the
  country, or one to three provinces;
- the matching index rows of every capability, made by `CapabilityCoverage.rows_for`
  (the builder the capability services use);
- 200 "typical" partnerships (Indonesia, one to four provinces, four to ten partners,
  three to eight needs, most with a sector and a region) and 30 "broad" ones that also
  have one or two needs with neither sector nor region (tens of thousands of matches).

Prints one JSON line with the counts and timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ORG_TYPES = {
    "22": 20, "21": 6, "24": 8, "23": 2, "60": 5, "70": 10, "71": 4, "72": 9, "30": 2,
    "10": 4, "11": 6, "15": 2, "40": 2, "80": 8, "90": 12,
}  # fmt: skip
OTHER_COUNTRIES = {
    "MY": 6, "PH": 5, "TL": 3, "SG": 4, "AU": 4, "NL": 2, "CH": 2, "US": 3, "GB": 2,
    "JP": 2, "KE": 1, "IN": 2, "TH": 2, "VN": 2, "DE": 1,
}  # fmt: skip
# Indonesian provinces, weighted roughly by population and NGO density.
PROVINCES = {
    "ID-JB": 18, "ID-JT": 14, "ID-JI": 15, "ID-JK": 12, "ID-BT": 5, "ID-YO": 4, "ID-SU": 6,
    "ID-SB": 3, "ID-SS": 3, "ID-LA": 3, "ID-RI": 2, "ID-AC": 2, "ID-KR": 1, "ID-JA": 1,
    "ID-BE": 1, "ID-BB": 1, "ID-KB": 2, "ID-KT": 1, "ID-KS": 2, "ID-KI": 2, "ID-KU": 1,
    "ID-SN": 4, "ID-ST": 1, "ID-SA": 1, "ID-SG": 1, "ID-GO": 1, "ID-SR": 1, "ID-BA": 3,
    "ID-NB": 2, "ID-NT": 2, "ID-MA": 1, "ID-MU": 1, "ID-PA": 1, "ID-PB": 1, "ID-PS": 1,
    "ID-PT": 1, "ID-PE": 1, "ID-PD": 1,
}  # fmt: skip
KINDS = [
    "technical", "community", "local_knowledge", "network", "data_tech", "finance",
    "policy", "in_kind",
]  # fmt: skip
# Kind weights by partner group (same order as KINDS).
KIND_WEIGHTS = {
    "government": [20, 6, 8, 10, 8, 14, 30, 4],
    "private": [20, 3, 4, 10, 22, 20, 3, 18],
    "ngo": [22, 22, 20, 12, 6, 6, 6, 6],
    "civil_society": [10, 32, 28, 14, 3, 2, 8, 3],
    "multilateral": [28, 2, 4, 14, 8, 28, 14, 2],
    "academic": [40, 4, 10, 10, 26, 2, 6, 2],
}
DAC_SECTORS = {
    "121": 14, "122": 12, "111": 9, "112": 8, "140": 8, "311": 8, "151": 7, "160": 6,
    "410": 7, "130": 5, "250": 4, "240": 4, "321": 4, "220": 3, "740": 4, "720": 3,
    "113": 2, "114": 2, "123": 2, "152": 1, "210": 2, "231": 1, "232": 2, "312": 2,
    "313": 2, "322": 1, "323": 1, "331": 1, "332": 2, "430": 3, "520": 1, "730": 1,
}  # fmt: skip
SDG_GOALS = {
    "3": 12, "4": 10, "5": 8, "6": 8, "13": 8, "8": 7, "1": 6, "2": 6, "17": 5, "10": 5,
    "11": 4, "16": 4, "9": 4, "12": 4, "7": 3, "14": 3, "15": 3,
}  # fmt: skip
ADJECTIVES = [
    "Nusantara", "Lestari", "Sejahtera", "Mandiri", "Bersama", "Harapan", "Cahaya",
    "Sehat", "Hijau", "Maju", "Pelita", "Sinar", "Tunas", "Karya", "Bina", "Mitra",
]  # fmt: skip
NOUNS = [
    "Foundation", "Institute", "Cooperative", "Association", "Agency", "Network",
    "Alliance", "Trust", "Society", "Centre", "Collective", "Council", "Group", "Union",
]  # fmt: skip
TYPICAL_PARTNERSHIPS = 200
BROAD_PARTNERSHIPS = 30
BATCH = 5000


def pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def provinces(rng: random.Random, n: int) -> list[str]:
    chosen: set[str] = set()
    while len(chosen) < n:
        chosen.add(pick(rng, PROVINCES))
    return sorted(chosen)


def capability_regions(rng: random.Random, kind: str, country: str, home: list[str]) -> list[str]:
    """Where one capability applies: local kinds in a few places, others wider."""
    local = kind in ("local_knowledge", "community")
    draw = rng.random()
    if country != "ID":
        if local or draw < 0.6:
            return [country]
        if draw < 0.8:
            return []
        return sorted({country, "ID", *rng.sample(list(OTHER_COUNTRIES), 2)})
    if local:
        if home and draw < 0.7:
            return rng.sample(home, rng.randint(1, len(home)))
        return provinces(rng, rng.randint(1, 3))
    if draw < 0.25:
        return []
    if draw < 0.6:
        return ["ID"]
    return home[:2] if home and draw < 0.8 else provinces(rng, rng.randint(1, 2))


def sector(rng: random.Random) -> tuple[str, str]:
    draw = rng.random()
    if draw < 0.12:
        return "", ""
    if draw < 0.70:
        return "2", pick(rng, DAC_SECTORS)
    return "7", pick(rng, SDG_GOALS)


def generate(seed: int, organisations: int, capabilities: int) -> dict[str, object]:
    from django.db import connection, transaction

    from sinergi.partners.models import (
        Capability,
        CapabilityCoverage,
        Organisation,
        partner_group,
    )
    from sinergi.partnerships.models import CapabilityNeed, Participation, Partnership

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        orgs = []
        for i in range(organisations):
            country = "ID" if rng.random() < 0.7 else pick(rng, OTHER_COUNTRIES)
            n = rng.choices([0, 1, 2, 3], weights=[30, 40, 20, 10])[0]
            orgs.append(
                Organisation(
                    name=f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {i + 1:06d}",
                    slug=f"match-{i + 1:06d}",
                    org_type=pick(rng, ORG_TYPES),
                    country=country,
                    subdivisions=provinces(rng, n) if country == "ID" else [],
                )
            )
        Organisation.objects.bulk_create(orgs, batch_size=BATCH)
        org_rows = list(
            Organisation.objects.order_by("pk").values_list(
                "pk", "org_type", "country", "subdivisions"
            )
        )
        org_type_of = {row[0]: row[1] for row in org_rows}
        timings["organisations_s"] = time.perf_counter() - started

        # A long tail: activity ~ Pareto, so some organisations list dozens of capabilities.
        activity = [rng.paretovariate(1.6) for _ in org_rows]
        owners = sorted(rng.choices(range(len(org_rows)), weights=activity, k=capabilities))
        t0 = time.perf_counter()
        coverage_rows = 0
        for start in range(0, len(owners), BATCH):
            batch = []
            for index in owners[start : start + BATCH]:
                pk, org_type, country, home = org_rows[index]
                home = home if isinstance(home, list) else json.loads(home or "[]")
                kind = rng.choices(KINDS, weights=KIND_WEIGHTS[partner_group(org_type)])[0]
                vocabulary, code = sector(rng)
                batch.append(
                    Capability(
                        organisation_id=pk,
                        kind=kind,
                        sector_vocabulary=vocabulary,
                        sector_code=code,
                        regions=capability_regions(rng, kind, country, home),
                    )
                )
            Capability.objects.bulk_create(batch)
            rows = [
                row
                for capability in batch
                for row in CapabilityCoverage.rows_for(
                    capability, org_type_of[capability.organisation_id]
                )
            ]
            CapabilityCoverage.objects.bulk_create(rows, batch_size=BATCH)
            coverage_rows += len(rows)
        timings["capabilities_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        id_orgs = [row[0] for row in org_rows if row[2] == "ID"]
        all_orgs = [row[0] for row in org_rows]
        partnerships = []
        plans = []
        for i in range(TYPICAL_PARTNERSHIPS + BROAD_PARTNERSHIPS):
            broad = i >= TYPICAL_PARTNERSHIPS
            regions = provinces(rng, rng.randint(1, 4))
            partnerships.append(
                Partnership(
                    title=f"Matching {'broad' if broad else 'typical'} {i + 1:03d}",
                    slug=f"matching-{'broad' if broad else 'typical'}-{i + 1:03d}",
                    countries=["ID"],
                    regions=regions,
                    visibility="public",
                )
            )
            plans.append((broad, regions))
        Partnership.objects.bulk_create(partnerships)
        participations, needs = [], []
        for partnership, (broad, regions) in zip(partnerships, plans, strict=True):
            partners = set(rng.sample(id_orgs, rng.randint(3, 8)))
            partners.update(rng.sample(all_orgs, rng.randint(1, 2)))
            for org in sorted(partners):
                participations.append(
                    Participation(partnership=partnership, organisation_id=org, role="4")
                )
            for _n in range(rng.randint(3, 8)):
                kind = rng.choice(KINDS)
                vocabulary, code = sector(rng) if rng.random() < 0.85 else ("", "")
                if not code:
                    vocabulary = ""
                draw = rng.random()
                if draw < 0.75:
                    where = rng.sample(regions, rng.randint(1, min(2, len(regions))))
                elif draw < 0.85:
                    where = ["ID"]
                else:
                    where = []
                needs.append(
                    CapabilityNeed(
                        partnership=partnership,
                        kind=kind,
                        sector_vocabulary=vocabulary,
                        sector_code=code,
                        regions=where,
                        weight=rng.randint(1, 5),
                    )
                )
            if broad:
                for kind in rng.sample(KINDS, rng.randint(1, 2)):
                    needs.append(
                        CapabilityNeed(partnership=partnership, kind=kind, weight=rng.randint(1, 5))
                    )
        Participation.objects.bulk_create(participations, batch_size=BATCH)
        CapabilityNeed.objects.bulk_create(needs, batch_size=BATCH)
        timings["partnerships_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        # Fresh statistics and visibility map, as autovacuum leaves them after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    timings["vacuum_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started
    return {
        "seed": seed,
        "organisations": len(org_rows),
        "capabilities": capabilities,
        "coverage_rows": coverage_rows,
        "partnerships": len(partnerships),
        "participations": len(participations),
        "needs": len(needs),
        **{key: round(value, 1) for key, value in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--capabilities", type=int, default=500_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    result = generate(args.seed, args.organisations, args.capabilities)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
