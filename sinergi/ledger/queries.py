"""Read paths of the ledger for the API and pages."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.ledger import checkpoints, kinds, log, offline
from sinergi.ledger.models import Checkpoint, Cosignature, Entry, Witness
from sinergi.partners.models import Person
from sinergi.partnerships.models import Partnership


def entries_for(user: User, start: int, end: int) -> list[dict[str, Any]]:
    """Entries [start, end) with leaf hashes; bodies only where `user` may read them."""
    if end <= start:
        return []
    entries = list(Entry.objects.filter(index__gte=start, index__lt=end).order_by("index"))
    readable = policy.readable_partnership_ids(
        user, {e.partnership_ref for e in entries if e.partnership_ref is not None}
    )
    return [
        _item(
            entry,
            entry.partnership_ref in readable
            or (entry.partnership_ref is None and not log.names_partnership(entry.body)),
        )
        for entry in entries
    ]


def partnership_page(
    partnership_id: int, before: int, limit: int, kind: str | None = None
) -> list[dict[str, Any]]:
    """A partnership's entries, newest first: at most `limit` with an index below `before`
    (of one `kind`, or of a family of kinds when it ends with a dot: "finance."), each
    with its leaf hash and body. The caller has checked that the reader may see the
    partnership (`policy.get_partnership_for`)."""
    entries = Entry.objects.filter(partnership_ref=partnership_id, index__lt=before)
    if kind:
        entries = (
            entries.filter(kind__startswith=kind)
            if kind.endswith(".")
            else entries.filter(kind=kind)
        )
    return [_item(entry, True) for entry in entries.order_by("-index")[:limit]]


def _item(entry: Entry, readable: bool) -> dict[str, Any]:
    """One entry as the API gives it: its index and leaf hash, and where the reader may
    see it, the exact bytes that were hashed (base64) with their decoded fields."""
    item: dict[str, Any] = {
        "index": entry.index,
        "leaf_hash": log.b64(bytes(entry.leaf_hash or b"")),
    }
    if readable:
        body = bytes(entry.body)
        decoded = json.loads(body)
        item.update(
            body=log.b64(body),
            kind=decoded["kind"],
            partnership=decoded["partnership"],
            actor=decoded["actor"],
            time=decoded["time"],
            payload=decoded["payload"],
            salt=decoded.get("salt"),
        )
    return item


def partnership_entries(partnership_id: int, area: str | None = None) -> QuerySet[Entry]:
    """A partnership's entries, newest first: all of them, or those of one area
    (`kinds.AREAS`: governance, finance, results)."""
    entries = Entry.objects.filter(partnership_ref=partnership_id)
    if area in kinds.AREA_PREFIXES:
        entries = entries.filter(kind__startswith=kinds.AREA_PREFIXES[area])
    elif area == "governance":
        for prefix in kinds.AREA_PREFIXES.values():
            entries = entries.exclude(kind__startswith=prefix)
    return entries.order_by("-index")


def decode(entry: Entry) -> dict[str, Any]:
    return json.loads(bytes(entry.body))


def page_references(
    reader: User, partnership: Partnership, bodies: list[dict[str, Any]]
) -> kinds.References:
    """What the decoded entries `bodies` of one page refer to, named for `reader`: a query
    per kind of record, whatever the number of entries, and only what the policy lets
    `reader` see. Who holds which role is for the partnership's own people and staff
    (`policy.can_see_members`); others see the usernames the public entries sign, and
    nothing more. Organisations are named for everyone, as the organisation pages do;
    budget lines and indicators only from the partnership itself."""
    from sinergi.finance.models import BudgetLine
    from sinergi.partners.models import Organisation
    from sinergi.results.models import Dimension, DimensionKind, Indicator, as_key
    from sinergi.results.services import SEX_CATEGORIES

    wanted = kinds.wanted(bodies)
    finance = policy.can_view_finance(reader, partnership)
    results = policy.can_view_results(reader, partnership)
    people: dict[str, str] = {}
    if wanted.usernames and policy.can_see_members(reader, partnership):
        found = (
            Person.objects.filter(username__in=wanted.usernames)
            .select_related("organisation")
            .only(
                "username",
                "first_name",
                "last_name",
                "organisation__name",
                "organisation__acronym",
            )
            .order_by()
        )
        people = {
            person.username: kinds.person_text(
                person.get_full_name(),
                person.username,
                (person.organisation.acronym or person.organisation.name)
                if person.organisation
                else None,
            )
            for person in found
        }
    organisations: dict[int, str] = {}
    slugs: dict[str, str] = {}
    if wanted.organisations or wanted.organisation_slugs:
        rows = (
            Organisation.objects.filter(
                Q(pk__in=wanted.organisations) | Q(slug__in=wanted.organisation_slugs)
            )
            .order_by()
            .values_list("pk", "slug", "name")
        )
        for pk, slug, name in rows:
            organisations[pk] = name
            slugs[slug] = name
    budget_lines: dict[int, str] = {}
    if wanted.budget_lines and finance:
        budget_lines = dict(
            BudgetLine.objects.filter(partnership=partnership, pk__in=wanted.budget_lines)
            .order_by()
            .values_list("pk", "title")
        )
    indicators: dict[int, str] = {}
    if wanted.indicators and results:
        indicators = {
            pk: f"{code} {title}"
            for pk, code, title in Indicator.objects.filter(
                partnership=partnership, pk__in=wanted.indicators
            )
            .order_by()
            .values_list("pk", "code", "title")
        }
    categories: dict[str, str] = {}
    dimensions: dict[str, str] = {}
    if wanted.dimensions and results:
        sexes = dict(SEX_CATEGORIES)
        found = Dimension.objects.filter(partnership=partnership).order_by()
        for code, name, kind, items in found.values_list("code", "name", "kind", "categories"):
            dimensions[code] = name
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("code"), str):
                    words = sexes.get(item["code"]) if kind == DimensionKind.SEX else None
                    label = str(words) if words is not None else item.get("label")
                    categories[as_key(code, item["code"])] = str(label or item["code"])
    return kinds.References(
        people=people,
        organisations=organisations,
        organisation_slugs=slugs,
        budget_lines=budget_lines,
        indicators=indicators,
        categories=categories,
        dimensions=dimensions,
        finance_slug=partnership.slug if finance else None,
        results_slug=partnership.slug if results else None,
    )


def checkpoints_with_cosignatures() -> QuerySet[Checkpoint]:
    cosignatures = Cosignature.objects.select_related("witness").order_by("witness__name")
    return Checkpoint.objects.order_by("-size").prefetch_related(
        Prefetch("cosignatures", queryset=cosignatures)
    )


def receipt_text(index: int, checkpoint: Checkpoint) -> str:
    proof = log.inclusion(index, checkpoint.size)
    return offline.format_receipt(index, proof.hashes, checkpoints.full_note(checkpoint))


def witness_progress() -> list[Witness]:
    """Each registered witness with the largest checkpoint size it has cosigned
    (`largest`) and when it signed that cosignature (`last_timestamp`, POSIX seconds as
    the witness wrote it), in one query."""
    last = Cosignature.objects.filter(witness=OuterRef("pk")).order_by("-checkpoint__size")
    return list(
        Witness.objects.select_related("organisation")
        .annotate(
            largest=Subquery(last.values("checkpoint__size")[:1]),
            last_timestamp=Subquery(last.values("timestamp")[:1]),
        )
        .order_by("name")
    )


def earlier_checkpoint_size(latest: Checkpoint | None) -> int | None:
    """The size of the checkpoint issued before `latest`, if there is one."""
    if latest is None:
        return None
    return (
        Checkpoint.objects.filter(size__lt=latest.size)
        .order_by("-size")
        .values_list("size", flat=True)
        .first()
    )
