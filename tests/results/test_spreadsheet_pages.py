"""The spreadsheet pages: choose and download, upload → preview (nothing written) →
confirm (all or nothing), in both languages; who may use them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from sinergi.core.spreadsheets import XLSX_TYPE
from sinergi.results import spreadsheet as ss
from sinergi.results import spreadsheet_views
from sinergi.results.models import Status, Submission
from tests.conftest import client_for
from tests.results.spreadsheet_helpers import fill, meta_of

pytestmark = pytest.mark.django_db


def url(m, name: str = "results-spreadsheet", lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=[m.partnership.slug])


def download(client, m, organisation=None, period: str = "2025-Q1"):
    organisation = organisation or m.health
    return client.get(
        url(m, "results-spreadsheet-template"),
        {"period": period, "organisation": organisation.pk},
    )


def upload(client, m, data: bytes, submit: bool = False, organisation=None, period="2025-Q1"):
    fields = {
        "file": SimpleUploadedFile("filled.xlsx", data),
        "period": period,
        "organisation": str((organisation or m.health).pk),
    }
    if submit:
        fields["submit"] = "on"
    return client.post(url(m), fields)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_given_a_partner_when_opening_the_page_then_both_forms_in_either_language(monitored, lang):
    m = monitored
    response = client_for(m.health_admin).get(url(m, lang=lang))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    assert 'value="2025-Q1"' in page and 'name="submit"' in page
    assert f'value="{m.health.pk}"' in page and f'value="{m.ngo.pk}"' not in page


@pytest.mark.parametrize(("who", "status"), [("observer", 403), ("outsider", 404)])
def test_given_an_observer_or_outsider_then_no_page_no_template_no_upload(monitored, who, status):
    m = monitored
    client = client_for(getattr(m, who))
    body = ss.build_template(
        actor=m.health_admin, partnership=m.partnership, period=m.q1, organisation=m.health
    )
    assert client.get(url(m)).status_code == status
    assert download(client, m).status_code == status
    assert upload(client, m, fill(body).getvalue()).status_code == status
    assert client.post(url(m, "results-spreadsheet-confirm"), {}).status_code == status
    assert client_for(None).get(url(m)).status_code == 404


def test_given_a_partner_when_downloading_then_own_template_and_not_anothers(monitored):
    m = monitored
    client = client_for(m.health_admin)
    response = download(client, m)
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert meta_of(response.content)["organisation"] == str(m.health.pk)
    assert download(client, m, organisation=m.ngo).status_code == 422  # not offered
    unknown = download(client, m, period="2031-Q1")
    assert unknown.status_code == 422


def test_given_a_filled_template_when_previewed_and_confirmed_then_submitted(monitored):
    m = monitored
    client = client_for(m.health_admin)
    body = download(client, m).content
    data = fill(body, {("2.1", ""): 76, ("2.1", "sex:female"): 77, ("2.1", "sex:male"): 75})
    preview = upload(client, m, data.getvalue(), submit=True)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert 'data-kind="new"' in page and 'id="confirm-form"' in page
    assert not Submission.objects.exists()
    result = preview.context["result"]
    confirm = client.post(
        url(m, "results-spreadsheet-confirm"),
        {
            "sha256": result.sha256,
            "filename": result.filename,
            "period": result.period,
            "organisation": result.organisation,
            "submit": "1",
        },
    )
    assert confirm.status_code == 302
    submission = Submission.objects.get()
    assert submission.status == Status.SUBMITTED and submission.value == Decimal("76")
    # the stashed file is gone: a second confirm writes nothing more
    again = client.post(
        url(m, "results-spreadsheet-confirm"),
        {"sha256": result.sha256, "period": "2025-Q1", "organisation": m.health.pk},
    )
    assert again.status_code == 302 and Submission.objects.count() == 1


def test_given_a_confirm_naming_an_unknown_period_then_an_inline_error_and_the_file_kept(
    monitored, settings, tmp_path, monkeypatch
):
    """A confirm whose period is refused writes nothing and says why inline; the previewed
    file, opened before the period is looked up, is closed (on the file system the app
    uses; the tests' in-memory storage cannot tell) and kept for a proper confirm."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path)
    opened = []
    real_open = ss.open_stash

    def recording_open(*args, **kwargs):
        handle = real_open(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(ss, "open_stash", recording_open)  # records; the real file is used
    m = monitored
    client = client_for(m.health_admin)
    data = fill(download(client, m).content, {("2.1", ""): 76})
    result = upload(client, m, data.getvalue()).context["result"]
    fields = {
        "sha256": result.sha256,
        "filename": result.filename,
        "organisation": result.organisation,
    }

    refused = client.post(url(m, "results-spreadsheet-confirm"), {**fields, "period": "2031-Q1"})

    assert refused.status_code == 422
    assert "2031-Q1" in refused.content.decode()
    assert not Submission.objects.exists()
    assert len(opened) == 1 and opened[0].closed
    kept = client.post(url(m, "results-spreadsheet-confirm"), {**fields, "period": result.period})
    assert kept.status_code == 302
    assert Submission.objects.get().value == Decimal("76")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_given_a_bad_cell_when_previewed_then_the_error_table_names_it(monitored, lang):
    m = monitored
    client = client_for(m.health_admin)
    body = download(client, m).content
    data = fill(body, {("2.1", ""): "dua puluh"}).getvalue()
    with translation.override(lang):
        response = client.post(
            url(m, lang=lang),
            {
                "file": SimpleUploadedFile("filled.xlsx", data),
                "period": "2025-Q1",
                "organisation": str(m.health.pk),
            },
        )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-cell="H2"' in page and "dua puluh" in page
    assert 'id="confirm-form"' not in page
    assert not Submission.objects.exists()


def test_given_a_shifted_header_when_uploaded_then_inline_file_error(monitored):
    m = monitored
    client = client_for(m.health_admin)

    def swap(workbook) -> None:
        workbook.worksheets[0]["H1"] = "Narrative"

    data = fill(download(client, m).content, {("2.1", ""): 76}, edit=swap).getvalue()
    response = upload(client, m, data)
    assert response.status_code == 422
    assert "Column H should be “Value” but is “Narrative”." in response.content.decode()


def test_given_a_template_of_another_period_when_uploaded_then_inline_error(monitored):
    m = monitored
    client = client_for(m.health_admin)
    data = fill(download(client, m).content, {("2.1", ""): 76}).getvalue()
    response = upload(client, m, data, period="2025-Q2")
    assert response.status_code == 422
    assert "for the period 2025-Q1, not 2025-Q2" in response.content.decode()


def test_given_a_request_over_the_size_limit_then_413_inline_before_reading(monitored):
    m = monitored
    response = client_for(m.health_admin).post(
        url(m),
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(
            ss.MAX_BYTES + spreadsheet_views.REQUEST_SLACK + 1
        ),  # under the site-wide cap
    )
    assert response.status_code == 413
    assert "larger than 50 MB" in response.content.decode()


def test_given_a_file_of_50_mb_and_a_byte_then_inline_error_not_400(monitored):
    m = monitored
    data = b"PK\x03\x04" + b"\0" * (ss.MAX_BYTES + 1 - 4)
    response = upload(client_for(m.health_admin), m, data)
    assert response.status_code == 422
    assert "larger than 50 MB" in response.content.decode()
    assert not Submission.objects.exists()


def test_given_a_template_of_a_closed_period_when_uploaded_as_is_then_inline_error(monitored):
    m = monitored
    from sinergi.results import services

    client = client_for(m.health_admin)
    data = fill(download(client, m).content, {("2.1", ""): 76}).getvalue()
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    response = client.post(
        url(m), {"file": SimpleUploadedFile("filled.xlsx", data), "period": "", "organisation": ""}
    )
    assert response.status_code == 422
    assert "The period 2025-Q1 is closed; its figures are final." in response.content.decode()
    assert not Submission.objects.exists()
