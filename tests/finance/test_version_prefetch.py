"""The finance version (the partnership's latest ledger index) comes with the partnership
read (`policy.get_partnership_for`): no query of its own, and never stale after an append
made in this process, even on the same partnership object."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sinergi.access import policy
from sinergi.finance import queries
from sinergi.ledger import log
from sinergi.ledger.models import Entry
from tests.finance.conftest import usd_pledge

pytestmark = pytest.mark.django_db


def latest_index(partnership) -> int:
    found = Entry.objects.filter(partnership_ref=partnership.pk).order_by("-index").first()
    return -1 if found is None else found.index


def test_given_a_partnership_read_for_a_reader_then_its_version_needs_no_query(funded) -> None:
    partnership = policy.get_partnership_for(funded.observer, funded.partnership.slug)

    with CaptureQueriesContext(connection) as queries_run:
        version = queries.version(partnership)

    assert version == latest_index(funded.partnership) >= 0
    assert len(queries_run) == 0


def test_given_an_append_after_the_read_then_the_same_object_gives_the_new_version(
    funded,
) -> None:
    partnership = policy.get_partnership_for(funded.funder_admin, funded.partnership.slug)
    before = queries.version(partnership)

    usd_pledge(funded)

    assert queries.version(partnership) == latest_index(funded.partnership) > before


def test_given_a_rolled_back_append_then_the_version_is_read_again_and_unchanged(
    funded,
) -> None:
    partnership = policy.get_partnership_for(funded.observer, funded.partnership.slug)
    before = queries.version(partnership)
    writes = log.writes()

    with pytest.raises(RuntimeError), transaction.atomic():
        usd_pledge(funded)
        raise RuntimeError("the caller gives up")

    assert log.writes() > writes
    with CaptureQueriesContext(connection) as queries_run:
        assert queries.version(partnership) == before
    assert len(queries_run) == 1  # read again: this process may have appended


def test_given_a_partnership_with_no_entry_then_its_version_is_minus_one(db) -> None:
    from tests.factories import PartnershipFactory

    partnership = PartnershipFactory(visibility="public")
    assert latest_index(partnership) == -1  # made by the factory, not through the services
    read = policy.get_partnership_for(policy.AnonymousUser(), partnership.slug)

    assert queries.version(read) == -1
