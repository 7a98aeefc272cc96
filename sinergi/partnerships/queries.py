"""Read paths for partnerships, tuned for the list and detail pages and the API."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from sinergi.access import policy
from sinergi.access.policy import User
from sinergi.partnerships.models import Membership, Participation, Partnership


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


def with_counts(partnerships: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """Annotate the number of partner organisations and members, for list pages."""
    return partnerships.annotate(
        partner_count=Count("participations__organisation", distinct=True),
        member_count=Count("memberships", distinct=True),
    )


def participations_of(partnership: Partnership) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(partnership=partnership)
        .select_related("organisation")
        .order_by("role", "organisation__name", "pk")
    )


def memberships_of(partnership: Partnership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(partnership=partnership)
        .select_related("person__organisation")
        .order_by("role", "person__first_name", "person__last_name", "pk")
    )
