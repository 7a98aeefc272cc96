"""Evidence files of reported values fetched back, from the pages and the API: the bytes
that were uploaded, as an attachment, with the SHA-256 that went on the ledger; for the
partnership's own people and staff only, and never for a value the reader may not see."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sinergi.ledger.models import Entry
from sinergi.results import services
from sinergi.results.models import Evidence
from tests.factories import PersonFactory
from tests.results.test_api_framework import Api

pytestmark = pytest.mark.django_db

REGISTER = b"district,children\nBogor,12\nDepok,7\n"
PAGE_HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def reported(m, *, approve: bool, content: bytes = REGISTER, name: str = "register.csv"):
    """A value of the health office's coverage indicator with one evidence file."""
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    evidence = services.attach_evidence(
        actor=m.health_admin,
        submission=draft,
        uploaded_file=SimpleUploadedFile(name, content, content_type="text/csv"),
    )
    if approve:
        services.submit(actor=m.health_admin, submission=draft)
        services.approve(actor=m.coordinator, submission=draft)
    return evidence


def page(m, evidence: Evidence) -> str:
    return reverse("results-evidence", args=[m.partnership.slug, evidence.pk])


def client_for(person) -> Client:
    client = Client()
    if person is not None and not isinstance(person, AnonymousUser):
        client.force_login(person)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_given_an_approved_value_when_a_member_fetches_its_file_then_the_bytes_and_hash_match(
    monitored,
):
    m = monitored
    evidence = reported(m, approve=True)
    response = client_for(m.observer).get(page(m, evidence))
    assert response.status_code == 200
    assert body(response) == REGISTER
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="register.csv"' in response["Content-Disposition"]
    digest = base64.b64encode(hashlib.sha256(REGISTER).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    # The same hash as the approval's ledger entry.
    entry = Entry.objects.filter(kind="results.value.approved").latest("index")
    assert json.loads(bytes(entry.body))["payload"]["evidence"] == [
        hashlib.sha256(REGISTER).hexdigest()
    ]


def test_given_an_uploaded_page_when_fetched_then_it_is_a_download_not_a_page(monitored):
    m = monitored
    evidence = reported(m, approve=True, content=PAGE_HTML, name="report.html")
    response = client_for(m.coordinator).get(page(m, evidence))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("health_admin", 200),  # the reporting partner
        ("health_member", 200),
        ("coordinator", 200),
        ("staff", 200),
        ("ngo_admin", 404),  # another partner's unapproved value: not theirs to see
        ("observer", 404),  # observers see approved values only
        ("outsider", 404),
        ("anonymous", 404),
    ],
)
def test_given_a_draft_when_each_reader_fetches_its_file_then_only_its_readers_get_it(
    monitored, who, status
):
    m = monitored
    evidence = reported(m, approve=False)
    person = PersonFactory(is_staff=True) if who == "staff" else getattr(m, who, None)
    response = client_for(person).get(page(m, evidence))
    assert response.status_code == status
    if status == 200:
        assert body(response) == REGISTER
    else:
        assert REGISTER not in response.content


def test_given_a_public_partnership_then_visitors_see_the_hash_but_may_not_fetch_the_file(
    public_monitored,
):
    m = public_monitored
    evidence = reported(m, approve=True)
    indicator = reverse("results-indicator", args=[m.partnership.slug, m.coverage.pk])
    visitor = Client()
    listed = visitor.get(indicator).content.decode()
    assert evidence.sha256[:10] in listed and page(m, evidence) not in listed
    # Signed out: not the file, but the way to sign in (and back) where a role may allow it.
    refused = visitor.get(page(m, evidence))
    assert refused.status_code == 302
    assert refused["Location"] == f"/en/accounts/login/?next={page(m, evidence)}"
    assert client_for(m.outsider).get(page(m, evidence)).status_code == 403
    member = client_for(m.observer)
    assert page(m, evidence) in member.get(indicator).content.decode()
    assert member.get(page(m, evidence)).status_code == 200


def test_given_a_file_of_another_partnership_then_its_number_under_this_one_is_404(
    monitored, public_monitored
):
    other = reported(public_monitored, approve=True)
    m = monitored
    url = reverse("results-evidence", args=[m.partnership.slug, other.pk])
    assert client_for(m.coordinator).get(url).status_code == 404
    assert client_for(m.coordinator).get(page(m, Evidence(pk=999_999))).status_code == 404


def test_given_the_review_queue_then_the_reviewer_can_open_the_file(monitored):
    m = monitored
    evidence = reported(m, approve=False)
    draft = evidence.submission
    services.submit(actor=m.health_admin, submission=draft)
    coordinator = client_for(m.coordinator)
    queue = coordinator.get(reverse("results-review", args=[m.partnership.slug]))
    assert page(m, evidence) in queue.content.decode()
    assert body(coordinator.get(page(m, evidence))) == REGISTER


def test_given_the_api_then_the_file_follows_the_same_rules(monitored):
    m = monitored
    evidence = reported(m, approve=False)
    url = Api.url(m, f"/evidence/{evidence.pk}")
    response = Api(m.health_admin).get(url)
    assert response.status_code == 200 and body(response) == REGISTER
    assert response["Repr-Digest"].startswith("sha-256=:")
    assert Api(m.observer).get(url).status_code == 404  # not approved yet
    assert Api(m.outsider).get(url).status_code == 404
    assert Api().get(url).status_code == 404
    services.submit(actor=m.health_admin, submission=evidence.submission)
    services.approve(actor=m.coordinator, submission=evidence.submission)
    assert body(Api(m.observer).get(url)) == REGISTER
    listed = Api(m.observer).get(Api.url(m, f"/values/{evidence.submission_id}")).json()
    assert listed["evidence"][0]["id"] == evidence.pk


def test_given_a_file_missing_from_storage_then_404_not_a_server_error(monitored):
    m = monitored
    evidence = reported(m, approve=True)
    evidence.file.storage.delete(evidence.file.name)
    response = client_for(m.coordinator).get(page(m, evidence))
    assert response.status_code == 404
