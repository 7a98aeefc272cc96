"""A form that creates something is saved once, however often the same form is sent.

A double click, a browser's retry after a slow answer or a resubmission from history
sends the same form again; without JavaScript (which disables the button) each one
recorded a transaction, pledge or budget line of its own, each on the ledger. The form
carries a one-time key (`sinergi.core.once`): the second post is sent to what the first
made, and says so.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from sinergi.core.models import FormSubmission
from sinergi.core.once import KEEP_KEYS_FOR, prune_form_keys
from sinergi.finance.models import BudgetLine, Pledge, Transaction
from sinergi.ledger.models import Entry, Head
from tests.conftest import client_for
from tests.finance.conftest import build_funded
from tests.finance.test_pages_forms import pledge_data, tx_data
from tests.finance.test_pages_read import url

KEY = re.compile(r'name="once" value="([^"]+)"')


def key_of(client: Client, path: str) -> str:
    found = KEY.search(client.get(path).content.decode())
    assert found, "the form carries no one-time key"
    return found.group(1)


def line_data(**changes) -> dict:
    data = {
        "title": "Cold chain",
        "amount": "1000",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
    }
    data.update(changes)
    return data


FORMS = [
    ("finance-transaction-new", Transaction, lambda funded: tx_data(funded)),
    ("finance-pledge-new", Pledge, lambda funded: pledge_data(funded)),
    ("finance-budget-new", BudgetLine, lambda funded: line_data()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "model", "data"), FORMS)
def test_the_same_form_sent_twice_makes_one_and_the_second_is_sent_to_it(funded, page, model, data):
    client = client_for(funded.coordinator)
    path = url(funded, page)
    posted = {**data(funded), "once": key_of(client, path)}
    before, entries = model.objects.count(), Entry.objects.count()

    first = client.post(path, posted)
    made = model.objects.count() - before
    logged = Entry.objects.count() - entries
    second = client.post(path, posted, follow=True)

    assert first.status_code == 302
    assert made == 1 and logged >= 1
    assert model.objects.count() == before + 1
    assert Entry.objects.count() == entries + logged
    assert second.redirect_chain[0][0] == first["Location"]
    assert "This form was sent before and is saved; nothing was added." in second.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "model", "data"), FORMS)
def test_each_form_shown_has_its_own_key_and_each_saves(funded, page, model, data):
    client = client_for(funded.coordinator)
    path = url(funded, page)
    before = model.objects.count()

    for _ in range(2):
        assert client.post(path, {**data(funded), "once": key_of(client, path)}).status_code == 302

    assert model.objects.count() == before + 2


@pytest.mark.django_db
def test_a_refused_form_keeps_its_key_and_saves_once_corrected(funded):
    client = client_for(funded.coordinator)
    path = url(funded, "finance-transaction-new")
    key = key_of(client, path)

    refused = client.post(path, {**tx_data(funded, amount="-5"), "once": key})
    assert refused.status_code == 422
    assert f'name="once" value="{key}"' in refused.content.decode()
    assert not FormSubmission.objects.exists()  # nothing was saved, so nothing is kept

    assert client.post(path, {**tx_data(funded), "once": key}).status_code == 302
    assert client.post(path, {**tx_data(funded), "once": key}).status_code == 302
    assert Transaction.objects.count() == 1


@pytest.mark.django_db
def test_the_same_form_sent_again_with_other_values_is_a_new_entry(funded):
    """A page the browser's Back button restored still holds the key it was shown with;
    changed and sent, it records what it now says, as the person means."""
    client = client_for(funded.coordinator)
    path = url(funded, "finance-transaction-new")
    key = key_of(client, path)

    for amount in ("10000", "12500", "12500"):
        assert client.post(path, {**tx_data(funded, amount=amount), "once": key}).status_code == 302

    assert sorted(t.amount for t in Transaction.objects.all()) == [10000, 12500]


@pytest.mark.django_db
def test_a_key_is_only_its_own_persons(funded):
    """Another person sending the same key (it is in their page's HTML only if they saw
    it) saves their own form: keys are kept per person."""
    path = url(funded, "finance-transaction-new")
    key = key_of(client_for(funded.coordinator), path)

    for person in (funded.coordinator, funded.ngo_admin):
        assert client_for(person).post(path, {**tx_data(funded), "once": key}).status_code == 302

    assert Transaction.objects.count() == 2


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="concurrent posts are tested on PostgreSQL (DATABASE_URL=postgres://…)",
)
def test_the_same_form_sent_four_times_at_once_makes_one(transactional_db):
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    funded = build_funded()
    path = url(funded, "finance-transaction-new")
    posted = {**tx_data(funded), "once": key_of(client_for(funded.coordinator), path)}
    start = threading.Barrier(4)
    answers: list[int] = []

    def post() -> None:
        try:
            client = client_for(funded.coordinator)
            start.wait()
            answers.append(client.post(path, posted).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert answers == [302] * 4
    assert Transaction.objects.count() == 1


@pytest.mark.django_db
def test_keys_older_than_a_week_are_pruned_when_a_form_is_saved(
    funded, django_capture_on_commit_callbacks
):
    """Given one-time keys recorded eight and six days ago, when a form is saved, then the
    eight-day-old key is deleted once the save commits, and the six-day-old one and the
    new one are kept: the table holds about a week of forms."""
    now = timezone.now()
    old = FormSubmission.objects.create(key="o" * 64, location="/old/")
    recent = FormSubmission.objects.create(key="r" * 64, location="/recent/")
    FormSubmission.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=8))
    FormSubmission.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=6))
    client = client_for(funded.coordinator)
    path = url(funded, "finance-budget-new")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {**line_data(), "once": key_of(client, path)})

    assert response.status_code == 302
    kept = set(FormSubmission.objects.values_list("location", flat=True))
    assert kept == {"/recent/", response["Location"]}


@pytest.mark.django_db
def test_pruning_deletes_only_keys_older_than_the_window():
    now = timezone.now()
    for days in (KEEP_KEYS_FOR.days + 1, KEEP_KEYS_FOR.days - 1):
        row = FormSubmission.objects.create(key=str(days).ljust(64, "k"), location=str(days))
        FormSubmission.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=days))

    assert prune_form_keys(now) == 1
    assert prune_form_keys(now) == 0
    assert list(FormSubmission.objects.values_list("location", flat=True)) == ["6"]
