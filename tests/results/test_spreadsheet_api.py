"""The spreadsheet API: template, preview (nothing written), import (all or nothing)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.core.spreadsheets import XLSX_TYPE
from sinergi.results import spreadsheet as ss
from sinergi.results.models import Status, Submission
from tests.conftest import client_for
from tests.results.spreadsheet_helpers import fill, meta_of

pytestmark = pytest.mark.django_db


def base(m) -> str:
    return f"/api/v1/partnerships/{m.partnership.slug}/results/spreadsheet"


def template(person, m, organisation=None, period="2025-Q1"):
    params = {"period": period}
    if organisation is not None:
        params["organisation"] = organisation.pk
    return client_for(person).get(f"{base(m)}/template", params)


def post(person, m, action: str, data: bytes, **fields):
    body = {"file": SimpleUploadedFile("filled.xlsx", data), **fields}
    return client_for(person).post(f"{base(m)}/{action}", body)


def _body(m) -> bytes:
    return ss.build_template(
        actor=m.ngo_admin, partnership=m.partnership, period=m.q1, organisation=m.ngo
    )


GOOD = {("1.1", ""): 100, ("1.1", "sex:female"): 60, ("1.1", "sex:male"): 40}


def test_given_a_partner_when_getting_the_template_then_its_own_xlsx(monitored):
    m = monitored
    response = template(m.ngo_admin, m)
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert meta_of(response.content)["organisation"] == str(m.ngo.pk)
    assert template(m.ngo_admin, m, organisation=m.health).status_code == 403
    coordinator = template(m.coordinator, m, organisation=m.health)
    assert meta_of(coordinator.content)["organisation"] == str(m.health.pk)


@pytest.mark.parametrize(("who", "status"), [("observer", 403), ("outsider", 404)])
def test_given_an_observer_or_outsider_then_refused(monitored, who, status):
    m = monitored
    person = getattr(m, who)
    assert template(person, m, organisation=m.ngo).status_code == status
    data = fill(_body(m), GOOD).getvalue()
    assert post(person, m, "preview", data).status_code == status
    assert post(person, m, "import", data).status_code == status
    assert not Submission.objects.exists()


def test_given_missing_period_or_unknown_period_then_422_on_period(monitored):
    m = monitored
    response = client_for(m.ngo_admin).get(f"{base(m)}/template")
    assert response.status_code == 422 and "period" in response.json()["error"]["fields"]
    assert template(m.ngo_admin, m, period="2030-Q9").status_code == 422


def test_given_a_good_file_when_previewed_then_summary_and_nothing_written(monitored):
    m = monitored
    response = post(m.ngo_admin, m, "preview", fill(_body(m), GOOD).getvalue())
    assert response.status_code == 200
    body = response.json()
    assert body["summary"]["new_drafts"] == 1 and body["errors"] == []
    assert body["period"] == "2025-Q1" and body["organisation"] == m.ngo.pk
    assert body["changes"][0]["values"] == {"sex:female": "60", "sex:male": "40"}
    assert not Submission.objects.exists()


def test_given_a_good_file_when_imported_with_submit_then_submitted(monitored):
    m = monitored
    data = fill(_body(m), GOOD).getvalue()
    response = post(m.ngo_admin, m, "import", data, submit="true")
    assert response.status_code == 200 and response.json()["written"] == 1
    assert Submission.objects.get().status == Status.SUBMITTED


def test_given_a_bad_cell_when_imported_then_422_with_located_errors(monitored):
    m = monitored
    data = fill(_body(m), {**GOOD, ("1.1", "sex:male"): "empat puluh"}).getvalue()
    response = post(m.ngo_admin, m, "import", data)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["error_count"] == 1
    assert error["errors"][0]["cell"] == "H4"
    assert error["errors"][0]["message"] == "H4: “empat puluh” is not a number."
    assert not Submission.objects.exists()


def test_given_another_period_when_previewed_then_422_on_file(monitored):
    m = monitored
    data = fill(_body(m), GOOD).getvalue()
    response = post(m.ngo_admin, m, "preview", data, period="2025-Q2")
    assert response.status_code == 422
    assert "2025-Q2" in response.json()["error"]["fields"]["file"][0]


def test_given_no_file_then_422_on_file(monitored):
    m = monitored
    response = client_for(m.ngo_admin).post(f"{base(m)}/preview", {})
    assert response.status_code == 422 and "file" in response.json()["error"]["fields"]


def test_given_a_file_over_50_mb_then_422_not_400(monitored):
    m = monitored
    data = b"PK\x03\x04" + b"\0" * (ss.MAX_BYTES + 1 - 4)
    response = post(m.ngo_admin, m, "import", data)
    assert response.status_code == 422
    assert "50 MB" in response.json()["error"]["fields"]["file"][0]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("flag", ["yes", "on", "1"])
def test_given_submit_other_than_true_or_false_then_422_and_nothing_written(monitored, flag):
    m = monitored
    data = _body(m)

    response = post(m.ngo_admin, m, "import", data, submit=flag)

    assert response.status_code == 422
    assert response.json()["error"]["fields"]["submit"] == ["Enter true or false."]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/form-data"])
def test_a_file_upload_whose_multipart_body_cannot_be_read_is_400(monitored, content_type):
    """It was a 500 (Django's MultiPartParserError reached the API unhandled)."""
    from tests.conftest import client_for

    client = client_for(monitored.ngo_admin)
    slug = monitored.partnership.slug
    for path in (
        f"/api/v1/partnerships/{slug}/results/spreadsheet/preview",
        f"/api/v1/partnerships/{slug}/finance/transactions/import",
    ):
        response = client.generic("POST", path, b"--x\r\nbad\r\n", content_type=content_type)

        assert response.status_code == 400, (path, response.content[:300])
        assert response.json()["error"]["code"] == "malformed"
