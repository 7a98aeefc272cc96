"""Read paths for partnerships, tuned for the list and detail pages and the API."""

from __future__ import annotations

import hashlib
from functools import cache

from django.contrib.admin.models import LogEntry
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.core import sql
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Membership, Participation, Partnership


def list_version(user: User) -> tuple[object, ...]:
    """What the partnership list can show `user`, read in one query: which partnerships
    they may see (everyone's public ones, all for staff, or also those of their
    memberships: the count, latest id and sum of partnership ids of their membership
    rows) and every
    partnership's state (count, latest id, latest update: every change saves
    `updated_at`) and the ledger's latest index. A new partnership, an edit, a deletion,
    a membership granted or revoked: each changes it. The ledger's index grows in commit
    order (appends are serialised), so two edits committing out of the order of their
    `updated_at` still change it. The Django admin appends ledger entries for the
    partnerships, partners and members it changes (`partnerships.admin`) and logs every
    change it makes: the log's latest id is read too. A signed-in reader with no
    membership sees the public list and shares its key."""
    if policy.is_staff(user):
        reader: object = "all"
    elif not user.is_authenticated or not user.is_active:
        reader = "public"
    else:
        reader = ("member", user.pk)
    person_id = reader[1] if isinstance(reader, tuple) else None
    with sql.cursor(connection) as cursor:
        cursor.execute(_list_version_sql(), [person_id, person_id, person_id])
        found = tuple(cursor.fetchone())
    if found[5] == 0 and reader != "all":  # no membership: their figures are (0, None, None)
        reader = "public"
    return reader, found


@cache
def _list_version_sql() -> str:
    q = connection.ops.quote_name
    partnerships, memberships = q(Partnership._meta.db_table), q(Membership._meta.db_table)
    # Table and column names come from the models, never from input.
    return (
        f"SELECT (SELECT COUNT(*) FROM {partnerships}), (SELECT MAX({q('id')}) FROM"  # noqa: S608
        f" {partnerships}), (SELECT MAX({q('updated_at')}) FROM {partnerships}),"
        f" (SELECT MAX({q('index')}) FROM {q(Entry._meta.db_table)}),"
        f" (SELECT MAX({q('id')}) FROM {q(LogEntry._meta.db_table)}),"
        f" (SELECT COUNT(*) FROM {memberships} WHERE {q('person_id')} = %s),"
        # id + 0: through the person's index, not the primary key walked backwards. The
        # sum of the partnership ids: a membership moved to another partnership.
        f" (SELECT MAX({q('id')} + 0) FROM {memberships} WHERE {q('person_id')} = %s),"
        f" (SELECT SUM({q('partnership_id')}) FROM {memberships} WHERE {q('person_id')} = %s)"
    )


def overview_version(partnership: Partnership) -> str:
    """A digest of everything the partnership's overview page shows besides the
    partnership's own row, in one query.

    Every change to the partnership's partners, members, goals, needs, expectations,
    work packages, responsibilities and agreement appends a ledger entry for it in the
    same transaction, so the latest index of its entries covers them all (and the
    lifecycle checklist they feed). What changes without one is read directly: the
    partner organisations' latest update (names, acronyms, types), the members'
    organisations (how many people have one, the sum of their ids: a person joins an
    organisation by invitation) and those organisations' latest update, and the admin
    log's latest id (the Django admin records every change it makes there; for
    partnerships, partners and members it appends ledger entries too). The partnership's
    row itself is part of the digest. Two organisations' updates committing in the
    opposite order of their timestamps (PostgreSQL, concurrent edits) can leave the
    latest update unchanged: pages kept under this version pass `max_age`."""
    pid = partnership.pk
    with sql.cursor(connection) as cursor:
        cursor.execute(_overview_version_sql(), [pid] * 5)
        found = tuple(cursor.fetchone())
    row = tuple(getattr(partnership, field.attname) for field in Partnership._meta.concrete_fields)
    return hashlib.sha256(repr((found, row)).encode()).hexdigest()[:32]


@cache
def _overview_version_sql() -> str:
    q = connection.ops.quote_name
    org, person = q(Organisation._meta.db_table), q(Person._meta.db_table)
    participations = q(Participation._meta.db_table)
    memberships = q(Membership._meta.db_table)
    members = (
        f" FROM {memberships} m JOIN {person} p ON p.{q('id')} = m.{q('person_id')}"
        f" WHERE m.{q('partnership_id')} = %s"
    )
    # Table and column names come from the models, never from input. Organisations are
    # read by one primary-key probe each (a handful), never by a scan of the registry.
    return (
        f"SELECT (SELECT MAX({q('index')}) FROM {q(Entry._meta.db_table)}"  # noqa: S608
        f" WHERE {q('partnership_ref')} = %s),"
        f" (SELECT MAX({q('id')}) FROM {q(LogEntry._meta.db_table)}),"
        f" (SELECT MAX((SELECT o.{q('updated_at')} FROM {org} o WHERE o.{q('id')} = r.oid))"
        f" FROM (SELECT DISTINCT {q('organisation_id')} AS oid FROM {participations}"
        f" WHERE {q('partnership_id')} = %s) r),"
        f" (SELECT COUNT(p.{q('organisation_id')}) {members}),"
        f" (SELECT SUM(p.{q('organisation_id')}) {members}),"
        f" (SELECT MAX((SELECT o.{q('updated_at')} FROM {org} o WHERE o.{q('id')} = r.oid))"
        f" FROM (SELECT DISTINCT p.{q('organisation_id')} AS oid {members}) r)"
    )


def search_partnerships(
    user: User,
    *,
    q: str = "",
    status: str = "",
    country: str = "",
    visibility: str = "",
    organisation: str = "",
) -> QuerySet[Partnership]:
    """Partnerships `user` may see that match a free-text query and filters."""
    partnerships = policy.visible_partnerships(user)
    if q:
        partnerships = partnerships.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    if status:
        partnerships = partnerships.filter(activity_status=status)
    if country:
        # Country codes are stored as a JSON list; match the quoted code in its text.
        partnerships = partnerships.filter(countries__icontains=f'"{country.upper()[:2]}"')
    if visibility:
        partnerships = partnerships.filter(visibility=visibility)
    if organisation:
        partnerships = partnerships.filter(
            pk__in=Participation.objects.filter(organisation__slug=organisation).values(
                "partnership_id"
            )
        )
    return partnerships


def _count_per_partnership(rows: QuerySet, counted: str) -> Coalesce:
    """COUNT(DISTINCT counted) over `rows` of the outer partnership, as a subquery (0 if none).

    A correlated subquery is evaluated only for the rows a page shows, where joining both
    relations and grouping would multiply partners by members for every visible
    partnership before the page could be cut, and make the paginator's count do it again.
    """
    per_partnership = (
        rows.filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(n=Count(counted, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(per_partnership, output_field=IntegerField()), 0)


def with_counts(partnerships: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """Annotate the number of partner organisations and members, for list pages."""
    return partnerships.annotate(
        partner_count=_count_per_partnership(Participation.objects.all(), "organisation"),
        member_count=_count_per_partnership(Membership.objects.all(), "pk"),
    )


def participations_of(partnership: Partnership) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(partnership=partnership)
        .select_related("organisation")
        .order_by("role", "organisation__name", "pk")
    )


def unconfirmed_of(organisation_id: int) -> QuerySet[Participation]:
    """The participations of an organisation it has not yet confirmed, with their
    partnerships, oldest first: what its admins are asked to answer (whatever the
    partnership's visibility: they are the ones asked)."""
    return (
        Participation.objects.filter(organisation_id=organisation_id, confirmed_at__isnull=True)
        .select_related("partnership")
        .order_by("joined_at", "pk")
    )


def consent_url(organisation_slug: str) -> str:
    """Where an organisation's admins answer the partnerships that list it: the consent
    section of its page."""
    return reverse("organisation-detail", args=[organisation_slug]) + "#consent"


def answerable(user: User, organisation_slug: str, pk: int) -> Participation:
    """The participation `pk` of the organisation `organisation_slug` if `user` answers
    for that organisation (`policy.can_answer_for`); else Http404, so that nobody else
    learns whether it exists."""
    found = (
        Participation.objects.select_related("partnership", "organisation")
        .filter(pk=pk, organisation__slug=organisation_slug)
        .first()
    )
    if found is None or not policy.can_answer_for(user, found.organisation):
        raise Http404("No such participation.")
    return found


def memberships_of(partnership: Partnership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(partnership=partnership)
        .select_related("person__organisation")
        .order_by("role", "person__first_name", "person__last_name", "pk")
    )
