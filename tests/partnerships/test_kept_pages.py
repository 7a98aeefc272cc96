"""The partnership list and overview pages are kept whole between reads
(`sinergi.core.pages.render_kept`), and every write through the product's own paths shows
on the next read: services (which append to the ledger), the Django admin (which logs
every change), a partner's renaming, a person joining an organisation by invitation.
Readers never get a page meant for another, and a private partnership stays private.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sinergi.access.services import accept_invitation, create_api_token, invite_person
from sinergi.core import stored
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import services
from sinergi.partnerships.goals import services as goal_services
from sinergi.partnerships.lifecycle import services as lifecycle_services
from sinergi.partnerships.models import Membership, Participation
from tests.conftest import client_for
from tests.factories import (
    OrganisationFactory,
    PartnershipFactory,
    PersonFactory,
)
from tests.partnerships.conftest import private_partnership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cold() -> None:
    stored.clear()


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def _list_rows(client: Client, query: str = "") -> list[tuple[str, str]]:
    """(title, partner count) of every row of the list page."""
    html = _page(client, "/en/partnerships/" + query)
    rows = re.findall(r"<tr><td><a href=[^>]*>([^<]*)</a></td>.*?<td>(\d+)</td>", html, re.S)
    return [(title, count) for title, count in rows]


def _people(html: str) -> list[str]:
    if "<h2>People</h2>" not in html:
        return []
    block = html.split("<h2>People</h2>")[1].split("</ul>")[0]
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", block)]


@pytest.fixture
def setting() -> dict:
    """A private partnership with a coordinator, a partner and an observer."""
    return private_partnership()


# The overview ---------------------------------------------------------------------------


def test_a_second_read_is_the_kept_page_with_the_readers_token(setting) -> None:
    client = client_for(setting["coordinator"])
    with CaptureQueriesContext(connection) as first_read:
        first = _page(client, setting["url"])
    with CaptureQueriesContext(connection) as second_read:
        second = _page(client, setting["url"])
    # The same page, but for the CSRF tokens, which are masked afresh for each response.
    token = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"')
    assert token.sub("", first) == token.sub("", second)
    assert "UNICEF Indonesia" in second and "Budi Santoso (UNICEF)" in second
    # The session, the reader, the partnership with their role and the version: the
    # partners, people, goals and checklist are not read again.
    assert len(second_read) <= 4 < len(first_read)


def test_an_edit_shows_at_once(setting) -> None:
    client = client_for(setting["coordinator"])
    assert "Clean water" in _page(client, setting["url"])
    services.update_partnership(
        actor=setting["coordinator"],
        partnership=setting["partnership"],
        title="Safe water",
        vision="Every village drinks safe water.",
    )
    html = _page(client, setting["url"])
    assert "Safe water" in html and "Every village drinks safe water." in html


def test_partners_and_members_show_at_once(setting) -> None:
    coordinator, partnership = setting["coordinator"], setting["partnership"]
    client = client_for(coordinator)
    assert _people(_page(client, setting["url"])) == [
        "Sari Dewi (" + coordinator.organisation.name + ") — Coordinator",
        "Budi Santoso (UNICEF) — Observer",
    ]
    who = OrganisationFactory(name="World Health Organization", acronym="WHO")
    services.add_partner(actor=coordinator, partnership=partnership, organisation=who, role="2")
    assert "World Health Organization" in _page(client, setting["url"])
    services.change_membership_role(
        actor=coordinator, membership=setting["membership"], role="member"
    )
    assert "Budi Santoso (UNICEF) — Member" in _people(_page(client, setting["url"]))
    services.revoke_membership(actor=coordinator, membership=setting["membership"])
    assert all("Budi" not in person for person in _people(_page(client, setting["url"])))
    services.remove_partner(
        actor=coordinator, participation=Participation.objects.get(organisation=who)
    )
    assert "World Health Organization" not in _page(client, setting["url"])


def test_a_partner_renamed_shows_at_once(setting) -> None:
    client = client_for(setting["coordinator"])
    assert "UNICEF Indonesia" in _page(client, setting["url"])
    unicef = Organisation.objects.get(pk=setting["unicef"].pk)
    unicef.name, unicef.acronym = "United Nations Children's Fund", "UNICEF-ID"
    unicef.save()
    html = _page(client, setting["url"])
    assert "United Nations Children&#x27;s Fund" in html and "(UNICEF-ID)" in html


def test_a_person_joining_an_organisation_shows_at_once(setting) -> None:
    coordinator, partnership = setting["coordinator"], setting["partnership"]
    loner = PersonFactory(
        first_name="Rina", last_name="Putri", email="rina@example.org", organisation=None
    )
    services.grant_membership(
        actor=coordinator, partnership=partnership, person=loner, role="member"
    )
    client = client_for(coordinator)
    assert "Rina Putri — Member" in _people(_page(client, setting["url"]))
    # Joining an organisation appends nothing to the partnership's ledger.
    coordinator.organisation.people.update(is_organisation_admin=True)
    coordinator.refresh_from_db()
    invitation = invite_person(
        actor=coordinator,
        email="rina@example.org",
        organisation=coordinator.organisation,
        accept_url_template="http://testserver/en/accounts/invitations/{token}/",
    )
    accept_invitation(invitation=invitation, person=loner)
    expected = f"Rina Putri ({coordinator.organisation.name}) — Member"
    assert expected in _people(_page(client, setting["url"]))


def test_a_change_made_in_the_admin_shows_at_once(setting) -> None:
    client = client_for(setting["coordinator"])
    assert "Budi Santoso (UNICEF) — Observer" in _people(_page(client, setting["url"]))
    # As the Django admin saves a person: the row, and its log entry.
    staff = PersonFactory(is_staff=True, is_superuser=True)
    Person.objects.filter(pk=setting["observer"].pk).update(first_name="Bambang")
    LogEntry.objects.log_actions(
        staff.pk, Person.objects.filter(pk=setting["observer"].pk), CHANGE, single_object=True
    )
    assert "Bambang Santoso (UNICEF) — Observer" in _people(_page(client, setting["url"]))


def test_goals_show_in_the_sdg_tiles_and_the_checklist_at_once(setting) -> None:
    client = client_for(setting["coordinator"])
    before = _page(client, setting["url"])
    assert "SDG alignment" not in before
    done = re.search(r"(\d+) of (\d+) done", before)
    goal_services.create_goal(
        actor=setting["coordinator"],
        partnership=setting["partnership"],
        title="Every child fully immunised",
        sdg_targets=["3.b"],
    )
    after = _page(client, setting["url"])
    assert "SDG alignment" in after and "3.b" in after
    assert re.search(r"(\d+) of (\d+) done", after).groups() != done.groups()


def test_each_reader_gets_the_page_for_their_role(setting) -> None:
    staff = PersonFactory(is_staff=True, first_name="Staff", last_name="Person")
    for _round in range(2):
        coordinator = _page(client_for(setting["coordinator"]), setting["url"])
        observer = _page(client_for(setting["observer"]), setting["url"])
        as_staff = _page(client_for(staff), setting["url"])
        assert "Manage members" in coordinator and "Manage members" not in observer
        assert "Your role: Coordinator" in coordinator and "Your role: Observer" in observer
        assert "Your role" not in as_staff and "Budi Santoso (UNICEF)" in as_staff
        # Each reader's own name in the navigation bar.
        for html, name in [(coordinator, "Sari Dewi"), (observer, "Budi Santoso")]:
            assert f'/tokens/">{name}</a>' in html
        assert '/tokens/">Staff Person</a>' in as_staff


def test_outsiders_see_nothing_of_a_private_partnership_after_members_read_it(setting) -> None:
    for _round in range(2):
        _page(client_for(setting["coordinator"]), setting["url"])
        for reader in (None, PersonFactory()):
            response = client_for(reader).get(setting["url"])
            assert response.status_code == 404
            assert b"Clean water" not in response.content
            assert b"UNICEF" not in response.content


def test_a_public_partnership_shows_no_people_to_the_public(setting) -> None:
    services.update_partnership(
        actor=setting["coordinator"], partnership=setting["partnership"], visibility="public"
    )
    _page(client_for(setting["coordinator"]), setting["url"])
    for reader in (None, PersonFactory()):
        html = _page(client_for(reader), setting["url"])
        assert "UNICEF Indonesia" in html
        assert _people(html) == [] and "Budi" not in html


def test_the_indonesian_page_is_kept_apart(setting) -> None:
    client = client_for(setting["coordinator"])
    assert "Your role: Coordinator" in _page(client, setting["url"])
    indonesian = _page(client, setting["url"].replace("/en/", "/id/"))
    assert "Peran Anda" in indonesian and "Your role" not in indonesian


def test_a_contribution_changed_through_the_api_shows_at_once_and_is_logged(setting) -> None:
    coordinator = setting["coordinator"]
    client = client_for(coordinator)
    assert "Cold chain" not in _page(client, setting["url"])
    _token, secret = create_api_token(actor=coordinator, name="kept pages")
    participation = Participation.objects.get(organisation=setting["unicef"])
    response = Client(headers={"Authorization": f"Bearer {secret}"}).patch(
        f"/api/v1/partnerships/{setting['partnership'].slug}/participations/{participation.pk}",
        {"contribution": "Cold chain"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert "Cold chain" in _page(client, setting["url"])
    entry = Entry.objects.order_by("-index").first()
    assert entry.kind == "participation.commitment_changed"
    assert b'"contribution":"Cold chain"' in bytes(entry.body)


def test_a_stage_set_by_the_coordinator_shows_at_once(setting) -> None:
    partnership = setting["partnership"]
    partnership.stage = "building"  # as the setting's starting point
    partnership.save(update_fields=["stage"])
    client = client_for(setting["coordinator"])
    assert 'class="current" aria-current="step">Building' in _page(client, setting["url"])
    lifecycle_services.set_stage(
        actor=setting["coordinator"],
        partnership=partnership,
        stage="scoping",
        reason="The partners want to look again at who should take part.",
    )
    assert 'class="current" aria-current="step">Scoping' in _page(client, setting["url"])


def test_changes_made_in_the_admin_go_on_the_ledger_and_show_at_once(setting) -> None:
    """Through the real admin: a member's role changed in its change form, a partner
    removed with the "delete selected" action."""
    reader = client_for(setting["coordinator"])
    admin = client_for(PersonFactory(is_staff=True, is_superuser=True))
    membership = setting["membership"]
    response = admin.post(
        reverse("admin:partnerships_membership_change", args=[membership.pk]),
        {
            "partnership": membership.partnership_id,
            "person": membership.person_id,
            "role": "member",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert "Budi Santoso (UNICEF) — Member" in _people(_page(reader, setting["url"]))
    entry = Entry.objects.order_by("-index").first()
    assert (entry.kind, entry.partnership_ref) == ("admin.changed", setting["partnership"].pk)
    assert b'"fields":["role"]' in bytes(entry.body)

    participation = Participation.objects.get(organisation=setting["unicef"])
    response = admin.post(
        reverse("admin:partnerships_participation_changelist"),
        {"action": "delete_selected", "_selected_action": [participation.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Participation.objects.filter(pk=participation.pk).exists()
    assert "UNICEF Indonesia" not in _page(reader, setting["url"]).split("<h2>Partners</h2>")[1]
    assert Entry.objects.order_by("-index").first().kind == "admin.deleted"


def test_the_admins_delete_action_logs_and_deletes_together(setting) -> None:
    """A deletion that fails writes neither its admin log rows nor its ledger entries."""
    admin = client_for(PersonFactory(is_staff=True, is_superuser=True))
    participation = Participation.objects.get(organisation=setting["unicef"])
    logged, entries = LogEntry.objects.count(), Entry.objects.count()
    from django.db.models.signals import pre_delete

    def refuse(**_kwargs: object) -> None:
        raise RuntimeError("disk full")

    pre_delete.connect(refuse, sender=Participation)
    try:
        with pytest.raises(RuntimeError):
            admin.post(
                reverse("admin:partnerships_participation_changelist"),
                {
                    "action": "delete_selected",
                    "_selected_action": [participation.pk],
                    "post": "yes",
                },
            )
    finally:
        pre_delete.disconnect(refuse, sender=Participation)
    assert Participation.objects.filter(pk=participation.pk).exists()
    assert (LogEntry.objects.count(), Entry.objects.count()) == (logged, entries)


# The list -------------------------------------------------------------------------------


def test_the_list_follows_new_edited_and_deleted_partnerships() -> None:
    sari = PersonFactory()
    member, anonymous = client_for(sari), client_for(None)
    assert _list_rows(member) == [] and _list_rows(anonymous) == []
    made = services.create_partnership(
        actor=sari, title="Clean water", slug="clean-water", countries=["ID"]
    )
    assert _list_rows(member) == [("Clean water", "0")] and _list_rows(anonymous) == []
    services.update_partnership(actor=sari, partnership=made, visibility="public")
    assert _list_rows(anonymous) == [("Clean water", "0")]
    services.add_partner(actor=sari, partnership=made, organisation=OrganisationFactory(), role="1")
    assert _list_rows(anonymous) == [("Clean water", "1")]
    services.delete_partnership(actor=sari, partnership=made)
    assert _list_rows(member) == [] and _list_rows(anonymous) == []


def test_the_list_follows_memberships_and_the_admin(setting) -> None:
    outsider = PersonFactory()
    elsewhere = PartnershipFactory(visibility="private")
    client = client_for(outsider)
    assert _list_rows(client) == []
    membership = services.grant_membership(
        actor=setting["coordinator"],
        partnership=setting["partnership"],
        person=outsider,
        role="observer",
    )
    assert _list_rows(client) == [("Clean water", "1")]
    # The admin moves a participation to another partnership: a row and a log entry.
    staff = PersonFactory(is_staff=True, is_superuser=True)
    moved = Participation.objects.filter(partnership=setting["partnership"])
    ids = list(moved.values_list("pk", flat=True))
    moved.update(partnership=elsewhere)
    LogEntry.objects.log_actions(staff.pk, Participation.objects.filter(pk__in=ids), CHANGE)
    assert _list_rows(client) == [("Clean water", "0")]
    services.revoke_membership(actor=setting["coordinator"], membership=membership)
    assert not Membership.objects.filter(person=outsider).exists()
    assert _list_rows(client) == []


def test_searches_odd_filters_and_pages_are_answered_but_not_kept() -> None:
    for n in range(25):
        PartnershipFactory(title=f"Water {n:02}", visibility="public")
    client = client_for(None)
    stored.clear()
    odd = ("?q=water", "?page=abc", "?page=5000", "?page=²", "?page=" + "9" * 5000)
    for query in (*odd, "?status=xyz", "?country=XX"):
        assert client.get("/en/partnerships/" + query).status_code == 200, query
    assert caches["default"]._cache == {}  # nothing kept for them
    assert [title for title, _n in _list_rows(client, "?q=Water 2")] == [
        f"Water {n}" for n in range(20, 25)
    ]
    assert [title for title, _n in _list_rows(client, "?page=2")] == [
        f"Water {n}" for n in range(20, 25)
    ]
    assert _list_rows(client, "?page=abc") == _list_rows(client)


def test_an_htmx_request_gets_the_results_alone() -> None:
    PartnershipFactory(title="Water", visibility="public")
    client = client_for(None)
    for _round in range(2):
        response = client.get(
            "/en/partnerships/?status=", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
        )
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert "Water" in html and "1 partnership" in html
