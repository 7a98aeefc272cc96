"""The members page: the least powerful role is preselected, and a role changed in place
says that it was saved."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from sinergi.partnerships.models import Membership
from tests.conftest import client_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def selected_role(html: str, form: str) -> str:
    """The preselected option of the role select in the form with hidden form=`form`."""
    part = html.split(f'name="form" value="{form}"')[1].split("</form>")[0]
    select = part.split('name="role"')[1].split("</select>")[0]
    return re.search(r'<option value="([^"]+)"[^>]*selected', select).group(1)


def test_the_invite_and_grant_forms_preselect_member_not_coordinator(private_cast):
    PersonFactory(organisation=private_cast.people["member"].organisation)  # has no role yet
    page = client_for(private_cast.people["coordinator"]).get(
        f"/en/partnerships/{private_cast.partnership.slug}/members/"
    )

    html = page.content.decode()
    assert selected_role(html, "invite") == "member"
    assert selected_role(html, "grant") == "member"


def test_a_role_changed_in_place_says_it_was_saved_in_the_reader_s_language(private_cast):
    member = Membership.objects.get(
        partnership=private_cast.partnership, person=private_cast.people["member"]
    )
    with translation.override("id"):
        address = f"/id/partnerships/{private_cast.partnership.slug}/members/{member.pk}/role/"

    row = client_for(private_cast.people["coordinator"]).post(
        address, {"role": "observer"}, HTTP_HX_REQUEST="true"
    )

    assert row.status_code == 200
    assert '<span class="meta" role="status">Disimpan: Pengamat.</span>' in row.content.decode()
    member.refresh_from_db()
    assert member.role == "observer"


def test_a_partner_admin_gets_controls_only_for_people_it_may_manage(private_cast):
    """Given a partner admin, then the members page offers a role choice and Remove only
    on the rows of its own organisation's people with roles it may give, not on the
    coordinator's nor another organisation's (the server refused those changes, and the
    page showed nothing: the change looked saved)."""
    from tests.factories import MembershipFactory, OrganisationFactory, ParticipationFactory

    cast = private_cast
    other_org = OrganisationFactory()
    ParticipationFactory(partnership=cast.partnership, organisation=other_org, role="1")
    stranger = MembershipFactory(
        partnership=cast.partnership, person=PersonFactory(organisation=other_org), role="member"
    )
    rows = {
        m.pk: m
        for m in Membership.objects.filter(partnership=cast.partnership).select_related("person")
    }

    html = (
        client_for(cast.people["partner_admin"])
        .get(f"/en/partnerships/{cast.partnership.slug}/members/")
        .content.decode()
    )

    def row(membership: Membership) -> str:
        return html.split(f'id="membership-{membership.pk}"')[1].split("</tr>")[0]

    coordinator = next(m for m in rows.values() if m.role == "coordinator")
    own_member = next(m for m in rows.values() if m.person == cast.people["member"])
    assert 'name="role"' in row(own_member) and "Remove" in row(own_member)
    for refused in (coordinator, stranger):
        assert 'name="role"' not in row(refused)
        assert "Remove" not in row(refused)
