"""factory_boy factories for the registry and partnerships."""

from __future__ import annotations

import factory

from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Membership, Participation, Partnership

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n} Foundation")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    org_type = "22"
    country = "ID"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Sequence(lambda n: f"Person{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(PASSWORD)


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    title = factory.Sequence(lambda n: f"Partnership {n}")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    visibility = "private"
    countries = ["ID"]


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    partnership = factory.SubFactory(PartnershipFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "4"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    partnership = factory.SubFactory(PartnershipFactory)
    person = factory.SubFactory(PersonFactory)
    role = "member"
