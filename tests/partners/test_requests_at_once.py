"""Requests on one organisation at the same moment, each thread with its own database
connection as several app servers would have: no answer is a server error, a removal
that answered 204 stays done, and edits of different fields all stay."""

from __future__ import annotations

from functools import partial

import pytest
from django.conf import settings

from sinergi.ledger.models import Head
from sinergi.partners.models import Organisation
from tests.api.test_crud import ApiClient
from tests.factories import OrganisationFactory, PersonFactory
from tests.finance.test_concurrency import run_together

# Skipped before any database set-up, as tests/finance/test_concurrency.py explains.
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent requests are tested on PostgreSQL (DATABASE_URL=postgres://…)",
)


@pytest.fixture
def staff(transactional_db):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    return PersonFactory(is_staff=True)


def together(*requests) -> list[int]:
    """Send the requests at once; their status codes, in order."""
    statuses: list[int] = [0] * len(requests)

    def job(i, request):
        def send() -> None:
            statuses[i] = request().status_code

        return send

    errors = run_together(*(job(i, request) for i, request in enumerate(requests)))
    assert errors == []
    return statuses


def test_three_removals_at_once_remove_it_once_and_the_others_are_not_found(staff):
    organisation = OrganisationFactory()
    path = f"/organisations/{organisation.slug}"
    clients = [ApiClient(staff) for _ in range(3)]

    statuses = together(*(partial(c.delete, path) for c in clients))

    assert sorted(statuses) == [204, 404, 404]
    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_edits_and_a_removal_at_once_leave_it_removed(staff):
    for _round in range(3):
        organisation = OrganisationFactory()
        path = f"/organisations/{organisation.slug}"
        editors = [ApiClient(staff) for _ in range(4)]
        remover = ApiClient(staff)

        statuses = together(
            *(partial(c.patch, path, {"description_en": f"d{i}"}) for i, c in enumerate(editors)),
            partial(remover.delete, path),
        )

        assert statuses[-1] == 204
        assert set(statuses[:-1]) <= {200, 404}
        assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_two_edits_of_different_fields_at_once_both_stay(staff):
    organisation = OrganisationFactory()
    path = f"/organisations/{organisation.slug}"
    for n in range(4):
        first, second = ApiClient(staff), ApiClient(staff)

        statuses = together(
            partial(first.patch, path, {"description_en": f"en{n}"}),
            partial(second.patch, path, {"website": f"https://x{n}.example.org"}),
        )

        assert statuses == [200, 200]
        stored = Organisation.objects.get(pk=organisation.pk)
        assert (stored.description_en, stored.website) == (f"en{n}", f"https://x{n}.example.org")


def test_registrations_of_the_same_name_at_once_each_get_a_short_name(staff):
    people = [PersonFactory() for _ in range(8)]
    body = {"name": "Yayasan Tenun", "org_type": "21", "country": "ID", "confirm_duplicate": True}
    clients = [ApiClient(person) for person in people]

    statuses = together(*(partial(c.post, "/organisations", body) for c in clients))

    assert statuses == [201] * len(people)
    slugs = set(Organisation.objects.filter(name="Yayasan Tenun").values_list("slug", flat=True))
    assert len(slugs) == len(people) and "yayasan-tenun" in slugs


def test_registrations_of_one_iati_identifier_at_once_register_it_once(staff):
    """The others are refused on the identifier, the field that clashed."""
    people = [PersonFactory() for _ in range(6)]
    clients = [ApiClient(person) for person in people]
    bodies = [
        {"name": f"Organisation {n}", "org_type": "21", "country": "ID",
         "iati_identifier": "XM-DAC-41122", "confirm_duplicate": True}
        for n in range(len(people))
    ]  # fmt: skip
    answers: list = [None] * len(people)

    def register(n: int) -> object:
        answers[n] = clients[n].post("/organisations", bodies[n])
        return answers[n]

    statuses = together(*(partial(register, n) for n in range(len(people))))

    assert sorted(statuses) == [201] + [422] * (len(people) - 1)
    for answer in answers:
        if answer.status_code == 422:
            assert set(answer.json()["error"]["fields"]) == {"iati_identifier"}
    assert Organisation.objects.filter(iati_identifier="XM-DAC-41122").count() == 1
