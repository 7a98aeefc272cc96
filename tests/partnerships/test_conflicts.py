"""Adding what is there already (an organisation in a role it holds, a second role for a
member) is a conflict with the partnership as it is: 409 in the API with the message on
its field, and the same message at the field on the page."""

from __future__ import annotations

import re

from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Membership, Participation
from tests.api.test_crud import ApiClient
from tests.conftest import client_for
from tests.factories import ParticipationFactory

TAKEN = "This organisation already takes part in this role."
MEMBER = "This person is already a member of the partnership."


def test_adding_an_organisation_in_a_role_it_holds_is_a_409_on_the_role(private_cast):
    """Given an organisation implementing the partnership, when the coordinator adds it
    again as implementing, then the API answers 409 with the reason on `role`, and nothing
    is written."""
    partnership = private_cast.partnership
    listed = partnership.participations.get()
    api = ApiClient(private_cast.people["coordinator"])
    entries = Entry.objects.count()

    response = api.post(
        f"/partnerships/{partnership.slug}/participations",
        {"organisation": listed.organisation.slug, "role": listed.role},
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {"status": 409, "code": "conflict", "message": TAKEN, "fields": {"role": [TAKEN]}}
    }
    assert partnership.participations.count() == 1
    assert Entry.objects.count() == entries


def test_the_same_organisation_in_another_role_is_still_added(private_cast):
    """Given an organisation implementing the partnership, when it is added as funding,
    then it is (one organisation may hold several roles)."""
    partnership = private_cast.partnership
    listed = partnership.participations.get()

    response = ApiClient(private_cast.people["coordinator"]).post(
        f"/partnerships/{partnership.slug}/participations",
        {"organisation": listed.organisation.slug, "role": "1"},
    )

    assert response.status_code == 201


def test_changing_a_partner_to_a_role_its_organisation_holds_is_a_409(private_cast):
    """Given an organisation both implementing and funding, when its funding listing is
    changed to implementing, then the API answers 409 on `role` and the listing stays."""
    partnership = private_cast.partnership
    listed = partnership.participations.get()
    funding = ParticipationFactory(
        partnership=partnership, organisation=listed.organisation, role="1"
    )

    response = ApiClient(private_cast.people["coordinator"]).patch(
        f"/partnerships/{partnership.slug}/participations/{funding.pk}", {"role": listed.role}
    )

    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"role": [TAKEN]}
    funding.refresh_from_db()
    assert funding.role == "1"


def test_giving_a_member_a_second_role_is_a_409_on_the_person(private_cast):
    """Given a member, when the coordinator gives them a role again, then the API answers
    409 with the reason on `person`, and their role stays as it was."""
    partnership = private_cast.partnership
    member = private_cast.people["member"]

    response = ApiClient(private_cast.people["coordinator"]).post(
        f"/partnerships/{partnership.slug}/memberships",
        {"person": member.username, "role": "observer"},
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "status": 409,
            "code": "conflict",
            "message": MEMBER,
            "fields": {"person": [MEMBER]},
        }
    }
    assert Membership.objects.get(partnership=partnership, person=member).role == "member"


def test_the_conflict_is_worded_in_indonesian(private_cast):
    """Given an Indonesian reader, the conflict's message is in Indonesian."""
    partnership = private_cast.partnership
    listed = partnership.participations.get()
    api = ApiClient(private_cast.people["coordinator"])
    api.headers["HTTP_ACCEPT_LANGUAGE"] = "id"

    response = api.post(
        f"/partnerships/{partnership.slug}/participations",
        {"organisation": listed.organisation.slug, "role": listed.role},
    )

    assert response.status_code == 409
    assert response.json()["error"]["message"] not in ("", TAKEN)


def test_the_partners_page_says_so_at_the_role(private_cast):
    """Given an organisation implementing the partnership, when the coordinator adds it
    again as implementing on the Partners page, then the page answers 409 with the form
    and the message at the role field, and nothing is added."""
    partnership = private_cast.partnership
    listed = partnership.participations.get()

    response = client_for(private_cast.people["coordinator"]).post(
        f"/en/partnerships/{partnership.slug}/partners/",
        {"organisation": listed.organisation.slug, "role": listed.role},
    )

    assert response.status_code == 409
    text = response.content.decode()
    role_field = re.search(r'<div class="field has-error[^"]*">(.*?)</div>', text, re.S)
    assert role_field is not None and 'name="role"' in role_field.group(1)
    assert TAKEN in role_field.group(1)
    assert Participation.objects.filter(partnership=partnership).count() == 1
