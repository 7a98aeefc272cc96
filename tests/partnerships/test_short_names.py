"""Short names (slugs) are unique across the site, so they must not give a private
partnership away: a made one is unguessable, and a made one that loses a race is made
again. Member lists are for the partnership's own people, on the page and in the API."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from sinergi.core.slugs import RANDOM_LENGTH
from sinergi.ledger.models import Entry, Head
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Partnership
from tests.api.test_crud import ApiClient, ok
from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.finance.test_concurrency import run_together

RANDOM_ENDING = re.compile(rf"^sustainable-textiles-indonesia-[a-z2-9]{{{RANDOM_LENGTH}}}$")


def create(actor, **fields) -> Partnership:
    fields = {"title": "Sustainable Textiles Indonesia", "base_currency": "IDR"} | fields
    return services.create_partnership(actor=actor, **fields)


@pytest.mark.django_db
def test_given_a_private_partnership_without_a_short_name_then_its_own_has_a_random_ending():
    person = PersonFactory()

    first = create(person, visibility="private")
    second = create(person, visibility="private")

    assert RANDOM_ENDING.match(first.slug) and RANDOM_ENDING.match(second.slug)
    assert first.slug != second.slug
    assert not re.search(r"[01lo]", first.slug.rsplit("-", 1)[1])  # no look-alikes


@pytest.mark.django_db
def test_given_a_public_one_or_a_chosen_short_name_then_it_stays_readable():
    person = PersonFactory()

    public = create(person, visibility="public")
    chosen = create(person, visibility="private", slug="batik-2030")
    again = create(person, visibility="public")

    assert public.slug == "sustainable-textiles-indonesia"
    assert chosen.slug == "batik-2030"
    assert again.slug == "sustainable-textiles-indonesia-2"


@pytest.mark.django_db
def test_given_a_private_one_then_a_same_title_made_by_an_outsider_does_not_reveal_it():
    """An outsider making a public partnership of the same title gets the plain short
    name: nothing in the answer depends on the private one."""
    coordinator, outsider = PersonFactory(), PersonFactory()
    hidden = create(coordinator, visibility="private")
    api = ApiClient(outsider)

    body = ok(
        api.post(
            "/partnerships",
            {"title": hidden.title, "base_currency": "IDR", "visibility": "public"},
        ),
        201,
    )

    assert body["slug"] == "sustainable-textiles-indonesia"


@pytest.mark.django_db
def test_given_the_form_then_the_short_name_help_says_what_is_revealed(client):
    person = PersonFactory()
    client.force_login(person)

    page = client.get(reverse("partnership-create")).content.decode()

    assert "random ending" in page and "unique across Sinergi" in page


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent creation is tested on PostgreSQL (DATABASE_URL=postgres://…)",
)
def test_given_many_people_creating_the_same_title_at_once_then_each_gets_a_short_name(
    transactional_db,
):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    people = [PersonFactory() for _ in range(10)]
    made: list[str] = []

    def job(person):
        return lambda: made.append(create(person, visibility="public").slug)

    errors = run_together(*(job(person) for person in people))

    assert errors == []
    assert len(set(made)) == len(people) and "sustainable-textiles-indonesia" in made
    assert Membership.objects.filter(role="coordinator").count() == len(people)
    assert Entry.objects.filter(kind="partnership.created").count() == len(people)


# ---------------------------------------------------------------- member lists


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("outsider", 403),
        ("observer", 200),
        ("member", 200),
        ("coordinator", 200),
        ("staff", 200),
    ],
)
def test_given_a_public_partnership_then_only_its_people_list_its_members(public_cast, who, status):
    person = public_cast.people[who]
    slug = public_cast.partnership.slug

    api = ApiClient(person)
    response = api.get(f"/partnerships/{slug}/memberships")
    page = client_for(person).get(reverse("partnership-members", args=[slug]))

    assert response.status_code == status
    assert page.status_code == (status if status == 200 else 403 if person else 302)
    if status == 200:
        assert response.json()["count"] == 4
    else:
        assert b"username" not in response.content
        assert public_cast.people["coordinator"].username.encode() not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["new", "organisation-lookup"])
def test_a_short_name_that_is_a_page_of_the_site_is_refused(slug):
    """/partnerships/new/ is the form for a new one: a partnership named so could not be
    reached at its own address (the forms review found it)."""
    from django.core.exceptions import ValidationError

    from sinergi.partnerships import services
    from tests.factories import OrganisationFactory, PersonFactory

    person = PersonFactory(organisation=OrganisationFactory())
    with pytest.raises(ValidationError) as refused:
        services.create_partnership(actor=person, title="Fine", slug=slug)
    assert "slug" in refused.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["New", "Subdivisions"])
def test_a_made_short_name_steps_around_the_sites_pages(name):
    from sinergi.partners import services as partners
    from sinergi.partnerships import services
    from tests.factories import OrganisationFactory, PersonFactory

    person = PersonFactory(organisation=OrganisationFactory())
    partnership = services.create_partnership(actor=person, title=name, visibility="public")
    organisation = partners.register_organisation(
        actor=person, name=name, org_type="21", country="ID", confirm_duplicate=True
    )
    assert partnership.slug not in {"new", "subdivisions"}
    assert organisation.slug not in {"new", "subdivisions"}
