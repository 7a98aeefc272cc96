"""Only the latest invitation of an address to a place works, however they were sent.

Eight invitations of the same address sent at the same moment left three working links,
and two still worked after one was accepted: each request expired the open invitations
it saw and made its own without a lock. `invite_person` and `accept_invitation` now take
the ledger's lock, and an acceptance uses up every other link to the same place.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections

from sinergi.access import services
from sinergi.access.models import Invitation, hash_secret
from sinergi.ledger.models import Head
from sinergi.partnerships.models import Membership
from tests.conftest import build_cast
from tests.factories import PersonFactory

EMAIL = "dewi@example.org"
URL = "http://testserver/en/accounts/invitations/{token}/"


def _open() -> list[Invitation]:
    return list(Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=services.now()))


@pytest.mark.django_db
def test_accepting_one_link_uses_up_every_other_link_to_the_same_place(private_cast):
    """Given two open links to the same place (as two sends at once could leave), when
    one is accepted, then the other no longer opens."""
    cast = private_cast
    coordinator = cast.people["coordinator"]
    invitation = services.invite_person(
        actor=coordinator,
        email=EMAIL,
        organisation=coordinator.organisation,
        partnership=cast.partnership,
        role="member",
        accept_url_template=URL,
    )
    other = Invitation.objects.create(
        email=EMAIL.upper(),
        organisation=coordinator.organisation,
        partnership=cast.partnership,
        role="observer",
        token_hash=hash_secret("other-secret"),
        invited_by=coordinator,
        expires_at=services.now() + timedelta(days=7),
    )
    elsewhere = services.invite_person(
        actor=coordinator,
        email="someone.else@example.org",
        organisation=coordinator.organisation,
        partnership=cast.partnership,
        role="member",
        accept_url_template=URL,
    )

    person = PersonFactory(email=EMAIL, organisation=None)
    services.accept_invitation(invitation=invitation, person=person)

    assert services.open_invitation("other-secret") is None
    assert {i.pk for i in _open()} == {elsewhere.pk}
    assert other.pk not in {i.pk for i in _open()}


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent invitations are tested on PostgreSQL (DATABASE_URL=postgres://…)",
)
def test_eight_invitations_of_one_address_sent_at_once_leave_one_working_link(
    transactional_db,
):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    cast = build_cast("private")
    coordinator = cast.people["coordinator"]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def invite() -> None:
        try:
            start.wait()
            services.invite_person(
                actor=coordinator,
                email=EMAIL,
                organisation=coordinator.organisation,
                partnership=cast.partnership,
                role="member",
                accept_url_template=URL,
            )
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=invite) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert Invitation.objects.filter(email=EMAIL).count() == 8
    (live,) = _open()
    assert live == Invitation.objects.filter(email=EMAIL).latest("pk")
    assert not Membership.objects.filter(person__email=EMAIL).exists()
