"""Reads of the matching index and of organisation details, shaped for speed.

The registry can hold 10^5 organisations and close to 10^6 index rows. These reads are
plain SQL over the index's own columns (no model instances, no per-row ORM work), and
return the ids of each need as one value (an array on PostgreSQL, a comma-separated
string on SQLite): reading 30,000 ids that way costs about half of reading 30,000 rows.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection

from sinergi.partners.matching import rules
from sinergi.partners.matching.rules import NeedSpec
from sinergi.partners.models import CapabilityCoverage, Organisation, partner_group

GROUP_CODES = CapabilityCoverage.GROUP_CODES

GROUP_OF_CODE = {number: group for group, number in GROUP_CODES.items()}


def org_key(organisation_id: int, org_type: str) -> int:
    """The index's `org_key` of an organisation: its id * 8 + its partner group's code."""
    return organisation_id * 8 + GROUP_CODES[partner_group(org_type)]


def key_id(key: int) -> int:
    return key >> 3


def key_group(key: int) -> str:
    return GROUP_OF_CODE[key & 7]


@dataclass
class OrganisationFacts:
    """What matching shows of an organisation and where it works."""

    id: int
    slug: str
    name: str
    acronym: str
    org_type: str
    country: str
    subdivisions: list[str]

    def organisation(self) -> Organisation:
        """An Organisation instance for display (links, names), without another query."""
        return Organisation(
            pk=self.id,
            slug=self.slug,
            name=self.name,
            acronym=self.acronym,
            org_type=self.org_type,
            country=self.country,
            subdivisions=self.subdivisions,
        )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _placeholders(values: Collection[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _id_list(column: str) -> str:
    """An aggregate of `column` as one value: an array on PostgreSQL (which psycopg reads
    into a list in C), a comma-separated string elsewhere."""
    if connection.vendor == "postgresql":
        return f"array_agg({column})"
    return f"group_concat({column})"


def _parse_ids(value: str | list[int] | None) -> set[int]:
    if not value:
        return set()
    if isinstance(value, list):
        return set(value)
    return set(map(int, value.split(",")))


def _in_ids(column: str, ids: list[int]) -> tuple[str, list[object]]:
    """`column` among `ids`, passed as a single parameter however many ids there are."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    if connection.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]  # noqa: S608
    return f"{column} IN ({_placeholders(ids)})", list(ids)


def _need_select(index: int, spec: NeedSpec) -> tuple[str, list[object]]:
    """One need as a select of (index, org_keys) over the (kind, sector, region, org_key)
    index: an indexed look-up that never reads the table.

    A need without a sector lists every sector the index can hold, so that its regions are
    still sought in the index instead of scanning every row of its kind.
    """
    table = _quote(CapabilityCoverage._meta.db_table)
    where = ["kind = %s"]
    params: list[object] = [spec.kind]
    sectors = spec.sector_keys()
    regions = spec.region_keys()
    if sectors is None and regions is not None:
        sectors = list(rules.all_sector_keys())
    if sectors is not None:
        where.append(f"sector IN ({_placeholders(sectors)})")
        params.extend(sectors)
    if regions is not None:
        where.append(f"region IN ({_placeholders(regions)})")
        params.extend(regions)
    if spec.is_broad:
        # Tens of thousands of organisations, several rows each: read them once each from
        # the (kind, org_key) index, whose order makes DISTINCT a comparison with the last.
        sql = (
            f"SELECT {index:d}, {_id_list('m.org_key')} FROM "  # noqa: S608 - no user text
            f"(SELECT DISTINCT org_key FROM {table} WHERE kind = %s) AS m"
        )
        return sql, [spec.kind]
    sql = (
        f"SELECT {index:d}, {_id_list('org_key')} "  # noqa: S608 - no user text
        f"FROM {table} WHERE {' AND '.join(where)}"
    )
    return sql, params


def organisations_covering(specs: list[NeedSpec]) -> list[set[int]]:
    """For each need, the `org_key`s of the organisations with a capability covering it.

    One query for all needs; `key_id` and `key_group` take a key apart.
    """
    if not specs:
        return []
    parts, params = [], []
    for index, spec in enumerate(specs):
        sql, part_params = _need_select(index, spec)
        parts.append(sql)
        params.extend(part_params)
    if connection.vendor == "postgresql":
        # PostgreSQL would scan the needs in parallel workers; on a small server those
        # compete with the app and with other requests, and the slowest 5 % of calls took
        # a third longer (docs/benchmarks.md). set_config is parallel-unsafe, so this
        # branch keeps the plan serial without a SET round trip; all it sets is a custom
        # variable, for this transaction only.
        parts.append(
            "SELECT -1, CASE WHEN set_config('sinergi.matching', 'serial', true) IS NULL "
            "THEN NULL::bigint[] END"
        )
    found: list[set[int]] = [set() for _spec in specs]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, keys in cursor.fetchall():
            if index >= 0:
                found[index] = _parse_ids(keys)
    return found


def organisation_facts(ids: Iterable[int]) -> dict[int, OrganisationFacts]:
    """Name, type and place of the given organisations (one query)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    condition, params = _in_ids("id", ids)
    table = _quote(Organisation._meta.db_table)
    sql = (
        "SELECT id, slug, name, acronym, org_type, country, subdivisions "  # noqa: S608
        f"FROM {table} WHERE {condition}"
    )
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            subdivisions = row[6]
            if not isinstance(subdivisions, list):
                subdivisions = json.loads(subdivisions or "[]")
            found[row[0]] = OrganisationFacts(*row[:6], subdivisions)
    return found


def covered_places(ids: Iterable[int], places: Collection[str]) -> dict[int, set[str]]:
    """Which of `places` the capabilities of each organisation cover (one query)."""
    ids = sorted(set(ids))
    if not ids or not places:
        return {}
    condition, params = _in_ids("organisation_id", ids)
    places = sorted(places)
    table = _quote(CapabilityCoverage._meta.db_table)
    sql = (
        f"SELECT DISTINCT organisation_id, region FROM {table} "  # noqa: S608
        f"WHERE {condition} AND region IN ({_placeholders(places)})"
    )
    found: dict[int, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *places])
        for organisation_id, region in cursor.fetchall():
            found.setdefault(organisation_id, set()).add(region)
    return found
