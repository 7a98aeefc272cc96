"""API tokens expire (90 days unless chosen otherwise) and may be read-only: an expired
token is refused with the date it expired, a read-only one may read and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sinergi.access import services
from sinergi.access.models import ApiToken
from sinergi.partnerships.models import Partnership
from tests.conftest import client_for
from tests.factories import MembershipFactory, PartnershipFactory, PersonFactory


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def coordinator(db):
    person = PersonFactory(username="ana")
    partnership = PartnershipFactory(slug="clean-water", visibility="private")
    MembershipFactory(partnership=partnership, person=person, role="coordinator")
    return person


def test_a_new_token_expires_in_90_days_unless_chosen_otherwise(coordinator):
    before = timezone.now()
    token, _secret = services.create_api_token(actor=coordinator, name="script")
    assert before + timedelta(days=90) <= token.expires_at <= timezone.now() + timedelta(days=90)
    lasting, _secret = services.create_api_token(
        actor=coordinator, name="server", expires_in_days=None
    )
    assert lasting.expires_at is None


def test_an_expired_token_is_refused_and_says_when_it_expired(coordinator):
    token, secret = services.create_api_token(actor=coordinator, name="script", expires_in_days=1)
    client = Client()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = client.get("/api/v1/me", **bearer(secret))
    assert answer.status_code == 401
    message = str(answer.json())
    expired = ApiToken.objects.get(pk=token.pk).expires_at
    assert f"expired on {timezone.localtime(expired):%Y-%m-%d %H:%M}" in message
    assert "create a new one" in message

    # A token that was never valid says only that.
    unknown = client.get("/api/v1/me", **bearer("sng_" + "x" * 40))
    assert unknown.status_code == 401
    assert "expired" not in str(unknown.json())


def test_a_read_only_token_reads_and_changes_nothing(coordinator):
    _token, secret = services.create_api_token(actor=coordinator, name="dashboard", read_only=True)
    client = Client()
    read = client.get("/api/v1/partnerships/clean-water", **bearer(secret))
    assert read.status_code == 200
    title = Partnership.objects.get(slug="clean-water").title

    change = client.patch(
        "/api/v1/partnerships/clean-water",
        data={"title": "Renamed by a read-only token"},
        content_type="application/json",
        **bearer(secret),
    )
    assert change.status_code == 403
    assert "may only read" in str(change.json())
    assert Partnership.objects.get(slug="clean-water").title == title

    _token, writer = services.create_api_token(actor=coordinator, name="sync")
    allowed = client.patch(
        "/api/v1/partnerships/clean-water",
        data={"title": "Renamed by a read and write token"},
        content_type="application/json",
        **bearer(writer),
    )
    assert allowed.status_code == 200
    assert Partnership.objects.get(slug="clean-water").title == "Renamed by a read and write token"


@pytest.mark.parametrize("days", [0, -1, 367, 10**9, True, "30", 1.5])
def test_an_expiry_out_of_range_is_a_field_error_and_makes_no_token(coordinator, days):
    client = client_for(coordinator)
    answer = client.post(
        "/api/v1/tokens",
        data={"name": "script", "expires_in_days": days},
        content_type="application/json",
    )
    assert 400 <= answer.status_code < 500
    assert "expires_in_days" in str(answer.json())
    assert not ApiToken.objects.filter(person=coordinator).exists()


def test_the_api_creates_and_lists_tokens_with_expiry_and_scope(coordinator):
    client = client_for(coordinator)
    made = client.post(
        "/api/v1/tokens",
        data={"name": "viewer", "expires_in_days": 7, "read_only": True},
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert body["read_only"] is True
    assert body["expires_at"] is not None
    forever = client.post(
        "/api/v1/tokens",
        data={"name": "server", "expires_in_days": None},
        content_type="application/json",
    )
    assert forever.json()["expires_at"] is None
    assert forever.json()["read_only"] is False
    listed = {t["name"]: t for t in client.get("/api/v1/tokens").json()}
    assert listed["viewer"]["read_only"] is True
    assert listed["server"]["expires_at"] is None


def test_the_account_page_makes_a_read_only_token_for_a_chosen_time_in_both_languages(
    coordinator,
):
    client = client_for(coordinator)
    page = client.post(
        "/en/accounts/tokens/", {"name": "monthly", "expires_in_days": "30", "read_only": "on"}
    )
    assert page.status_code == 200
    token = ApiToken.objects.get(person=coordinator, name="monthly")
    assert token.read_only
    days = (token.expires_at - timezone.now()).total_seconds() / 86400
    assert 29.9 < days <= 30
    text = page.content.decode()
    assert "Read and write" not in text.split("<tbody>")[1]  # the one token reads only
    assert "Read only</td>" in text
    assert timezone.localtime(token.expires_at).strftime("%-d %b %Y") in text

    client.post("/en/accounts/tokens/", {"name": "forever", "expires_in_days": ""})
    assert ApiToken.objects.get(name="forever").expires_at is None

    bad = client.post("/en/accounts/tokens/", {"name": "odd", "expires_in_days": "12"})
    assert bad.status_code == 422
    assert not ApiToken.objects.filter(name="odd").exists()

    ApiToken.objects.filter(name="monthly").update(expires_at=timezone.now() - timedelta(days=1))
    indonesian = client.get("/id/accounts/tokens/").content.decode()
    assert "Kedaluwarsa" in indonesian
    assert "Tanpa batas waktu" in indonesian
    assert "30 hari" in indonesian and "30 days" not in indonesian
    assert "30 days" in client.get("/en/accounts/tokens/").content.decode()
    assert "Berlaku sampai" in indonesian
