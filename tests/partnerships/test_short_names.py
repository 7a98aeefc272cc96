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


# ---------------------------------------------------------------- letter case and shape


def edit_form(client, partnership: Partnership) -> tuple[str, dict[str, list[str]]]:
    from tests.forms_on_page import form_on_page

    address = f"/en/partnerships/{partnership.slug}/edit/"
    return address, form_on_page(client.get(address).text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["SUSTAINABLE-TEXTILES-INDONESIA", "Sustainable-Textiles-Indonesia"]
)
def test_a_short_name_differing_only_in_case_from_a_private_one_is_taken(typed):
    """Given a private partnership "sustainable-textiles-indonesia", when a coordinator of
    another renames theirs to the same name in other letter case, then the form says it is
    taken as it says of the same name, names nothing of the private one, and no second
    address or ledger entry appears."""
    from tests.factories import MembershipFactory

    hidden = create(PersonFactory(), visibility="private", slug="sustainable-textiles-indonesia")
    membership = MembershipFactory(role="coordinator")
    client = client_for(membership.person)
    address, data = edit_form(client, membership.partnership)
    entries = Entry.objects.count()

    data["slug"] = [typed]
    response = client.post(address, data)

    assert response.status_code == 422
    assert "A partnership with this short name already exists." in response.text
    assert hidden.title not in response.text
    assert Partnership.objects.filter(slug__iexact=typed).count() == 1
    assert Entry.objects.count() == entries


@pytest.mark.django_db
def test_a_short_name_typed_in_upper_case_is_lowered():
    from tests.factories import MembershipFactory

    membership = MembershipFactory(role="coordinator")
    client = client_for(membership.person)
    address, data = edit_form(client, membership.partnership)

    data["slug"] = ["  Batik-2030 "]
    assert client.post(address, data).status_code == 302

    membership.partnership.refresh_from_db()
    assert membership.partnership.slug == "batik-2030"
    created = create(PersonFactory(), slug="MANGROVES")
    assert created.slug == "mangroves"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["-", "__x", "a--b", "a_b", "-ab", "ab-"])
def test_a_short_name_is_letters_and_digits_with_single_hyphens_between(typed):
    from tests.factories import MembershipFactory

    membership = MembershipFactory(role="coordinator")
    client = client_for(membership.person)
    address, data = edit_form(client, membership.partnership)

    data["slug"] = [typed]
    response = client.post(address, data)

    assert response.status_code == 422
    assert "Use lower-case letters and digits, with single hyphens between them" in (response.text)
    assert not Partnership.objects.filter(slug=typed).exists()


@pytest.mark.django_db
def test_the_api_lowers_a_short_name_and_refuses_one_taken_in_another_case():
    hidden = create(PersonFactory(), visibility="private", slug="sustainable-textiles-indonesia")
    person = PersonFactory()
    api = ApiClient(person)

    made = ok(
        api.post("/partnerships", {"title": "Batik", "slug": "Batik-2030", "base_currency": "IDR"}),
        201,
    )
    refused = api.post(
        "/partnerships",
        {"title": "Other", "slug": "SUSTAINABLE-textiles-indonesia", "base_currency": "IDR"},
    )
    renamed = api.patch("/partnerships/batik-2030", {"slug": "Sustainable-Textiles-Indonesia"})
    misshaped = api.patch("/partnerships/batik-2030", {"slug": "__x"})

    assert made["slug"] == "batik-2030"
    for response in (refused, renamed):
        assert response.status_code == 422
        assert response.json()["error"]["fields"]["slug"] == [
            "A partnership with this short name already exists."
        ]
        assert hidden.title not in response.text
    assert misshaped.status_code == 422
    assert "slug" in misshaped.json()["error"]["fields"]
    assert set(Partnership.objects.values_list("slug", flat=True)) == {
        "sustainable-textiles-indonesia",
        "batik-2030",
    }


@pytest.mark.django_db
def test_a_short_name_given_before_these_rules_stays_and_a_made_one_avoids_it():
    """Given a partnership whose short name was stored in upper case with an underscore,
    when its coordinator changes its summary, then that is saved and the name stays; a
    public partnership of the same title gets another name than it in any case."""
    from tests.factories import MembershipFactory

    membership = MembershipFactory(role="coordinator")
    Partnership.objects.filter(pk=membership.partnership.pk).update(slug="Old_Name")
    membership.partnership.refresh_from_db()
    client = client_for(membership.person)
    address, data = edit_form(client, membership.partnership)

    data["summary"] = ["New summary"]
    assert client.post(address, data).status_code == 302

    membership.partnership.refresh_from_db()
    assert (membership.partnership.slug, membership.partnership.summary) == (
        "Old_Name",
        "New summary",
    )
    assert create(PersonFactory(), title="Old name", visibility="public").slug == "old-name"
    assert create(PersonFactory(), title="OLD-NAME", visibility="public").slug == "old-name-2"
    assert create(PersonFactory(), title="a_b __ c", visibility="public").slug == "a-b-c"
