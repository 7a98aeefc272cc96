"""Deleting results and indicators from the framework page: the coordinator is asked
first; what is still in use is refused on the same page (409) and nothing is deleted; an
indicator's deletion goes on the ledger with it; others may not delete at all."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from sinergi.ledger.models import Entry
from sinergi.results import services
from sinergi.results.models import Indicator, Result
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(m, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"slug": m.partnership.slug, **kwargs})


def test_the_framework_page_offers_delete_and_the_coordinator_confirms_first(monitored):
    m = monitored
    client = client_for(m.coordinator)
    framework = client.get(url(m, "results-framework")).content.decode()
    indicator_delete = url(m, "results-indicator-delete", pk=m.trained.pk)
    assert indicator_delete in framework
    assert url(m, "results-result-delete", pk=m.output.pk) in framework

    ask = client.get(indicator_delete)
    assert ask.status_code == 200
    assert "Delete “1.1 Health workers trained”?" in ask.content.decode()
    assert Indicator.objects.filter(pk=m.trained.pk).exists()  # asking deletes nothing

    done = client.post(indicator_delete)
    assert done.status_code == 302
    assert done["Location"] == url(m, "results-framework")
    assert not Indicator.objects.filter(pk=m.trained.pk).exists()
    entry = Entry.objects.filter(partnership_ref=m.partnership.pk).order_by("-index").first()
    assert entry.kind == "results.indicator.deleted"
    body = json.loads(bytes(entry.body))
    assert body["payload"] == {
        "indicator": m.trained.pk,
        "code": "1.1",
        "title": "Health workers trained",
    }
    assert body["actor"] == m.coordinator.username

    # With its indicator gone, the output result can go too.
    assert client.post(url(m, "results-result-delete", pk=m.output.pk)).status_code == 302
    assert not Result.objects.filter(pk=m.output.pk).exists()


def test_what_is_in_use_is_refused_on_the_page_and_nothing_is_deleted(monitored):
    m = monitored
    draft = services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="90")
    assert draft.pk
    client = client_for(m.coordinator)
    entries = Entry.objects.count()

    refused = client.post(url(m, "results-indicator-delete", pk=m.trained.pk))
    assert refused.status_code == 409
    assert "Values were reported for this indicator" in refused.content.decode()
    assert Indicator.objects.filter(pk=m.trained.pk).exists()

    parent = client.post(url(m, "results-result-delete", pk=m.outcome.pk))
    assert parent.status_code == 409
    assert "Move or delete the results and indicators under it first." in (parent.content.decode())
    assert Result.objects.filter(pk=m.outcome.pk).exists()
    assert Entry.objects.count() == entries

    indonesian = client.post(
        reverse(
            "results-indicator-delete",
            kwargs={"slug": m.partnership.slug, "pk": m.trained.pk},
        ).replace("/en/", "/id/", 1)
    )
    assert indonesian.status_code == 409
    assert "Values were reported" not in indonesian.content.decode()


@pytest.mark.parametrize("who", ["ngo_admin", "health_member", "observer", "outsider"])
def test_only_those_who_manage_the_framework_may_delete(monitored, who):
    m = monitored
    client = client_for(getattr(m, who))
    for name, pk in (
        ("results-indicator-delete", m.trained.pk),
        ("results-result-delete", m.output.pk),
    ):
        assert client.get(url(m, name, pk=pk)).status_code in (403, 404)
        assert client.post(url(m, name, pk=pk)).status_code in (403, 404)
    assert Indicator.objects.filter(pk=m.trained.pk).exists()
    assert Result.objects.filter(pk=m.output.pk).exists()


def test_signed_out_visitors_are_sent_to_sign_in_and_delete_nothing(public_monitored):
    m = public_monitored
    from django.test import Client

    answer = Client().post(url(m, "results-indicator-delete", pk=m.trained.pk))
    assert answer.status_code in (302, 403, 404)
    assert Indicator.objects.filter(pk=m.trained.pk).exists()
