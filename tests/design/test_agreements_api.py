"""The agreement API: /api/v1/partnerships/{slug}/agreement/… — shapes, field errors in the
one envelope, 403 for the wrong signer and 404 for outsiders of a private partnership."""

from __future__ import annotations

import hashlib

import pytest
import rfc8785

from sinergi.partnerships.agreements import services
from sinergi.partnerships.models import AgreementSignature, AgreementVersion
from tests.api.test_crud import ApiClient, ok
from tests.design.test_agreements_services import (
    CONTENT,
    Agreement,
    build_agreement,
    open_v1,
    sign_all,
)


@pytest.fixture
def ag(db) -> Agreement:
    return build_agreement()


def base(ag: Agreement) -> str:
    return f"/partnerships/{ag.partnership.slug}/agreement"


def test_the_whole_workflow_through_the_api(ag):
    """Given a coordinator and three partners' authorised people, when they draft, open and
    sign through the API, then the third signature adopts the version."""
    coordinator = ApiClient(ag.coordinator)
    created = ok(coordinator.post(f"{base(ag)}/versions", CONTENT), 201)
    assert created["number"] == 1
    assert created["status"] == "draft"
    assert created["content_hash"] == ""
    assert created["text_html"].startswith("<h4>Partnering agreement</h4>")  # under the h3
    assert created["created_by"] == "coordinator"

    patched = ok(coordinator.patch(f"{base(ag)}/versions/1", {"meeting_cadence": "monthly"}))
    assert patched["meeting_cadence"] == "monthly"

    opened = ok(coordinator.post(f"{base(ag)}/versions/1/open", {}))
    expected = hashlib.sha256(rfc8785.dumps({**CONTENT, "meeting_cadence": "monthly"}))
    assert opened["status"] == "open"
    assert opened["content_hash"] == expected.hexdigest()

    for person, organisation in [
        (ag.coordinator, "ministry"),
        (ag.ngo_admin, "yayasan-sehat"),
        (ag.company_admin, "vaksin-co"),
    ]:
        signed = ok(
            ApiClient(person).post(
                f"{base(ag)}/versions/1/signatures",
                {"organisation": organisation, "content_hash": opened["content_hash"]},
            ),
            201,
        )
        assert signed["organisation"]["slug"] == organisation
        assert signed["signed_by"] == person.username
        assert signed["content_hash"] == opened["content_hash"]
    assert signed["version_status"] == "adopted"

    listed = ok(ApiClient(ag.member).get(f"{base(ag)}/versions"))
    assert listed["count"] == 1
    assert listed["items"][0]["status"] == "adopted"
    assert listed["items"][0]["adopted_at"]


def test_signatures_list_each_partner_signed_or_pending(ag):
    v1 = open_v1(ag)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    rows = ok(ApiClient(ag.company_admin).get(f"{base(ag)}/versions/1/signatures"))
    by_slug = {row["organisation"]["slug"]: row for row in rows}
    assert list(by_slug) == ["ministry", "vaksin-co", "yayasan-sehat"]
    assert by_slug["yayasan-sehat"]["signed"] is True
    assert by_slug["yayasan-sehat"]["signed_by"] == "ngo_admin"
    assert by_slug["yayasan-sehat"]["content_hash"] == v1.content_hash
    assert by_slug["vaksin-co"] == {
        "organisation": {"slug": "vaksin-co", "name": "Vaksin Co", "acronym": ""},
        "is_partner": True,
        "signed": False,
        "signed_by": None,
        "signed_at": None,
        "content_hash": None,
        "may_sign": True,
    }
    assert by_slug["ministry"]["may_sign"] is False


def test_signing_an_old_version_is_a_422_on_version_and_saves_nothing(ag):
    open_v1(ag)
    coordinator = ApiClient(ag.coordinator)
    ok(coordinator.post(f"{base(ag)}/versions", {"leaving": "With a month's notice."}), 201)
    ok(coordinator.post(f"{base(ag)}/versions/2/open", {}))
    response = ApiClient(ag.ngo_admin).post(
        f"{base(ag)}/versions/1/signatures", {"organisation": "yayasan-sehat"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "version": ["Version 1 is no longer open for signature; sign version 2."]
    }
    assert not AgreementSignature.objects.exists()


def test_a_hash_mismatch_is_a_422_on_content_hash(ag):
    open_v1(ag)
    response = ApiClient(ag.ngo_admin).post(
        f"{base(ag)}/versions/1/signatures",
        {"organisation": "yayasan-sehat", "content_hash": "a" * 64},
    )
    assert response.status_code == 422
    assert "content_hash" in response.json()["error"]["fields"]
    assert not AgreementSignature.objects.exists()


def test_an_unknown_organisation_is_a_422(ag):
    open_v1(ag)
    response = ApiClient(ag.ngo_admin).post(
        f"{base(ag)}/versions/1/signatures", {"organisation": "nobody"}
    )
    assert response.status_code == 422
    assert "organisation" in response.json()["error"]["fields"]


def test_signing_for_another_partner_is_403(ag):
    open_v1(ag)
    response = ApiClient(ag.company_admin).post(
        f"{base(ag)}/versions/1/signatures", {"organisation": "yayasan-sehat"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not AgreementSignature.objects.exists()


def test_signing_twice_is_409(ag):
    open_v1(ag)
    client = ApiClient(ag.ngo_admin)
    ok(client.post(f"{base(ag)}/versions/1/signatures", {"organisation": "yayasan-sehat"}), 201)
    response = client.post(f"{base(ag)}/versions/1/signatures", {"organisation": "yayasan-sehat"})
    assert response.status_code == 409
    assert "organisation" in response.json()["error"]["fields"]


def test_a_second_draft_is_409_and_an_open_version_cannot_be_patched(ag):
    coordinator = ApiClient(ag.coordinator)
    ok(coordinator.post(f"{base(ag)}/versions", CONTENT), 201)
    assert coordinator.post(f"{base(ag)}/versions", CONTENT).status_code == 409
    ok(coordinator.post(f"{base(ag)}/versions/1/open", {}))
    response = coordinator.patch(f"{base(ag)}/versions/1", {"text": "Changed"})
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {
        "status": ["Version 1 is no longer a draft and cannot be changed."]
    }


def test_draft_field_errors_name_the_fields(ag):
    response = ApiClient(ag.coordinator).post(
        f"{base(ag)}/versions", {**CONTENT, "majority_percent": None}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "majority_percent": ["A qualified majority needs its percentage."]
    }
    response = ApiClient(ag.coordinator).post(
        f"{base(ag)}/versions", {**CONTENT, "decision_rule": "dictatorship"}
    )
    assert response.status_code == 422
    assert "decision_rule" in response.json()["error"]["fields"]
    assert not AgreementVersion.objects.exists()


@pytest.mark.parametrize("blank", ["   ", " \n\t ", "\r\n\r\n"])
def test_a_text_of_spaces_is_refused_as_blank_like_an_empty_one(ag, blank):
    """Given a text of spaces and line breaks only, then creating or changing a draft with
    it is a 422 on `text` with the message an empty text gets, and nothing changes."""
    coordinator = ApiClient(ag.coordinator)
    empty = coordinator.post(f"{base(ag)}/versions", {**CONTENT, "text": ""})
    assert empty.status_code == 422
    message = empty.json()["error"]["fields"]["text"]
    assert message == ["This field cannot be blank."]

    response = coordinator.post(f"{base(ag)}/versions", {**CONTENT, "text": blank})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"text": message}
    assert not AgreementVersion.objects.exists()

    ok(coordinator.post(f"{base(ag)}/versions", CONTENT), 201)
    response = coordinator.patch(f"{base(ag)}/versions/1", {"text": blank})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"text": message}
    assert AgreementVersion.objects.get().text == CONTENT["text"]


def test_a_draft_of_spaces_is_not_opened_for_signature(ag):
    """Given a draft whose text is spaces only (stored before such texts were refused), then
    opening it is a 422 on `text` and it stays a draft, with no hash."""
    coordinator = ApiClient(ag.coordinator)
    ok(coordinator.post(f"{base(ag)}/versions", CONTENT), 201)
    AgreementVersion.objects.update(text=" \n\t ")
    response = coordinator.post(f"{base(ag)}/versions/1/open", {})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"] == {"text": ["This field cannot be blank."]}
    version = AgreementVersion.objects.get()
    assert (version.status, version.content_hash) == ("draft", "")


def test_partner_admins_may_not_draft_or_open(ag):
    client = ApiClient(ag.ngo_admin)
    assert client.post(f"{base(ag)}/versions", CONTENT).status_code == 403
    services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    assert client.post(f"{base(ag)}/versions/1/open", {}).status_code == 403
    assert client.patch(f"{base(ag)}/versions/1", {"text": "x"}).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_a_private_partnership_agreement_is_404_for_outsiders(ag, who):
    v1 = open_v1(ag)
    sign_all(ag, v1)
    client = ApiClient(None if who == "anonymous" else ag.outsider)
    for path in ["/versions", "/versions/1", "/versions/1/signatures", "/diff?a=1&b=1"]:
        response = client.get(f"{base(ag)}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    response = client.post(f"{base(ag)}/versions/1/signatures", {"organisation": "ministry"})
    assert response.status_code in (401, 404)


def test_a_public_partnership_agreement_is_readable_by_anyone(db):
    ag = build_agreement("public")
    open_v1(ag)
    response = ApiClient(None).get(f"/partnerships/{ag.partnership.slug}/agreement/versions/1")
    assert response.status_code == 200
    assert response.json()["decision_rule"] == "qualified_majority"


def test_the_diff_lists_lines_and_rules(ag):
    open_v1(ag)
    coordinator = ApiClient(ag.coordinator)
    ok(
        coordinator.post(
            f"{base(ag)}/versions",
            {"text": CONTENT["text"] + "\n## 3. Money\nEach partner pays its own costs.\n"},
        ),
        201,
    )
    result = ok(ApiClient(ag.member).get(f"{base(ag)}/diff", {"a": 1, "b": 2}))
    assert result["a"] == 1
    assert result["b"] == 2
    assert "+## 3. Money" in result["unified"]
    assert "+Each partner pays its own costs." in result["unified"]
    assert result["rules"] == []
    assert ApiClient(ag.member).get(f"{base(ag)}/diff", {"a": 1, "b": 5}).status_code == 404


def test_drafts_are_hidden_from_outsiders_of_a_public_partnership(db):
    ag = build_agreement("public")
    open_v1(ag)
    services.create_draft(actor=ag.coordinator, partnership=ag.partnership, leaving="Secret.")
    path = f"/partnerships/{ag.partnership.slug}/agreement"
    for person in (None, ag.outsider):
        client = ApiClient(person)
        listed = ok(client.get(f"{path}/versions"))
        assert [v["number"] for v in listed["items"]] == [1]
        assert client.get(f"{path}/versions/2").status_code == 404
        assert client.get(f"{path}/versions/2/signatures").status_code == 404
        assert client.get(f"{path}/diff", {"a": 1, "b": 2}).status_code == 404
    listed = ok(ApiClient(ag.member).get(f"{path}/versions"))
    assert [v["number"] for v in listed["items"]] == [2, 1]
