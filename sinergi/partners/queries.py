"""Read paths for the partner registry."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from rapidfuzz import fuzz, process

from sinergi.partners.models import Capability, Organisation

# Words that carry no identity in organisation names, in English and Indonesian.
_NOISE = {
    "the", "of", "and", "for", "a", "an", "&",
    "dan", "untuk", "yang", "di",
    "pt", "tbk", "cv", "inc", "ltd", "limited", "co", "corp", "corporation", "llc",
    "yayasan", "perkumpulan",
}  # fmt: skip
DUPLICATE_THRESHOLD = 88


def normalise_name(name: str) -> str:
    """Case-, accent- and punctuation-free name without legal-form noise words."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w for w in words if w not in _NOISE)


def find_likely_duplicates(
    *,
    name: str,
    acronym: str = "",
    iati_identifier: str = "",
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Organisation]:
    """Registered organisations that are probably the one described.

    Same IATI identifier, same acronym in the same words, or a name whose normalised
    form matches closely (token-set ratio ≥ 88) — e.g. "Ministry of Health" and
    "Ministry of Health, Republic of Indonesia".
    """
    rows = Organisation.objects.values_list("pk", "name", "acronym", "iati_identifier")
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    target = normalise_name(name)
    acronym_key = acronym.strip().casefold()
    identifier_key = iati_identifier.strip().casefold()
    hits: dict[int, float] = {}
    names: dict[int, str] = {}
    for pk, other_name, other_acronym, other_identifier in rows:
        if identifier_key and other_identifier.casefold() == identifier_key:
            hits[pk] = 200.0
        elif acronym_key and other_acronym.casefold() == acronym_key:
            hits[pk] = 150.0
        names[pk] = normalise_name(other_name)
    if target:
        for _choice, score, pk in process.extract(
            target,
            names,
            scorer=fuzz.token_set_ratio,
            score_cutoff=DUPLICATE_THRESHOLD,
            limit=limit * 2,
        ):
            hits[pk] = max(hits.get(pk, 0.0), score)
    best = sorted(hits, key=lambda pk: -hits[pk])[:limit]
    found = Organisation.objects.in_bulk(best)
    return [found[pk] for pk in best if pk in found]


def search_organisations(
    *, q: str = "", org_type: str = "", country: str = "", capability: str = ""
) -> QuerySet[Organisation]:
    """Organisations matching a free-text query and filters, for lists and the API.

    `capability` keeps those that record a capability of that kind (CapabilityKind).
    """
    organisations = Organisation.objects.all()
    if q:
        organisations = organisations.filter(
            Q(name__icontains=q) | Q(acronym__icontains=q) | Q(iati_identifier__icontains=q)
        )
    if org_type:
        organisations = organisations.filter(org_type=org_type)
    if country:
        organisations = organisations.filter(country=country)
    if capability:
        organisations = organisations.filter(
            Exists(Capability.objects.filter(organisation=OuterRef("pk"), kind=capability))
        )
    return organisations


def with_partnership_counts(
    organisations: QuerySet[Organisation], visible_ids: QuerySet
) -> QuerySet[Organisation]:
    """Annotate how many partnerships the reader may see each organisation take part in."""
    return organisations.annotate(
        partnership_count=Count(
            "participations__partnership",
            filter=Q(participations__partnership__in=visible_ids),
            distinct=True,
        )
    )
