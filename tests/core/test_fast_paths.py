"""The hot-path shortcuts taken for the load benchmarks give the same results as before.

- display_of() labels equal Django's generated get_FOO_display(), in both languages;
- country_options() is byte for byte what the template loop rendered;
- with_counts() (now correlated subqueries) counts distinct partner organisations and
  memberships as the joined, grouped version did.
"""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.template import engines
from django.utils import translation

from sinergi.codelists import ACTIVITY_STATUSES, ORGANISATION_ROLES, ORGANISATION_TYPES
from sinergi.core.geography import country_choices, country_options
from sinergi.partners.models import Organisation
from sinergi.partnerships import queries
from sinergi.partnerships.models import (
    MemberRole,
    Membership,
    Participation,
    Partnership,
    Visibility,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
)

CASES = [
    (Organisation, "org_type", [code for code, _label in ORGANISATION_TYPES]),
    (Partnership, "activity_status", [code for code, _label in ACTIVITY_STATUSES]),
    (Partnership, "visibility", Visibility.values),
    (Participation, "role", [code for code, _label in ORGANISATION_ROLES]),
    (Membership, "role", MemberRole.values),
]


@pytest.mark.parametrize(("model", "field", "codes"), CASES)
@pytest.mark.parametrize("language", ["en", "id"])
def test_display_labels_match_djangos(model, field, codes, language):
    django_field = model._meta.get_field(field)
    with translation.override(language):
        for code in [*codes, "not-a-choice", ""]:
            instance = model(**{field: code})
            ours = getattr(instance, f"get_{field}_display")()
            theirs = model._get_FIELD_display(instance, django_field)
            assert ours == theirs
            assert type(ours) is type(theirs)


@pytest.mark.parametrize("selected", ["", "ID", "CI", "zz", '"><script>'])
def test_country_options_match_the_template_loop(selected):
    loop = engines["django"].from_string(
        "{% for code, name in countries %}"
        '<option value="{{ code }}" {% if code == country %}selected{% endif %}>'
        "{{ name }}</option>{% endfor %}"
    )
    expected = loop.render({"countries": country_choices(), "country": selected})
    assert country_options(selected) == expected


def test_with_counts_equals_the_grouped_join(db):
    crowded, empty = PartnershipFactory(), PartnershipFactory()
    twice = OrganisationFactory()
    ParticipationFactory(partnership=crowded, organisation=twice, role="1")
    ParticipationFactory(partnership=crowded, organisation=twice, role="4")  # counted once
    ParticipationFactory(partnership=crowded)
    for _ in range(3):
        MembershipFactory(partnership=crowded)

    grouped = {
        p.pk: (p.partner_count, p.member_count)
        for p in Partnership.objects.annotate(
            partner_count=Count("participations__organisation", distinct=True),
            member_count=Count("memberships", distinct=True),
        )
    }
    ours = {
        p.pk: (p.partner_count, p.member_count)
        for p in queries.with_counts(Partnership.objects.all())
    }
    assert ours == grouped == {crowded.pk: (2, 3), empty.pk: (0, 0)}


@pytest.mark.parametrize("role", [None, *MemberRole.values])
@pytest.mark.parametrize("visibility", Visibility.values)
def test_partnership_with_role_equals_the_orm_reads(db, role, visibility):
    """get_partnership_for() reads the role in the same query; it equals roles_of()."""
    from django.contrib.auth.models import AnonymousUser

    from sinergi.access import policy
    from tests.factories import PersonFactory

    partnership = PartnershipFactory(visibility=visibility)
    PartnershipFactory()  # another partnership, another role, must not leak in
    person = PersonFactory()
    if role:
        MembershipFactory(partnership=partnership, person=person, role=role)
    fetched = policy._partnership_with_role(person, partnership.slug)
    assert fetched == Partnership.objects.get(pk=partnership.pk)
    assert [getattr(fetched, f.attname) for f in Partnership._meta.concrete_fields] == [
        getattr(partnership, f.attname) for f in Partnership._meta.concrete_fields
    ]
    assert policy.role_in(person, fetched) == role
    fresh = type(person).objects.get(pk=person.pk)
    assert policy.roles_of(fresh).get(partnership.pk) == role
    assert policy._partnership_with_role(AnonymousUser(), partnership.slug) == fetched
    assert policy._partnership_with_role(person, "no-such-slug") is None


def test_the_role_read_with_the_partnership_is_forgotten_with_the_roles(db):
    """After a membership change, forget_roles() drops the remembered role too."""
    from sinergi.access import policy
    from tests.factories import PersonFactory

    partnership = PartnershipFactory(visibility=Visibility.PRIVATE)
    person = PersonFactory()
    fetched = policy._partnership_with_role(person, partnership.slug)
    assert policy.role_in(person, fetched) is None
    MembershipFactory(partnership=partnership, person=person, role=MemberRole.COORDINATOR)
    policy.forget_roles(person)
    assert policy.role_in(person, fetched) == MemberRole.COORDINATOR
    assert policy.can(person, policy.Action.EDIT, fetched)
