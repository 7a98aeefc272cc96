"""Hostile input to the results spreadsheet round trip: odd digits and labels in the
query or the meta sheet, crafted workbooks, and values changed by someone else between
the check and the write. Each gets a clear error (never a 500), quickly, and nothing is
written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sinergi.results import spreadsheet as ss
from sinergi.results.models import Submission
from tests.conftest import client_for
from tests.results.spreadsheet_helpers import fill

pytestmark = pytest.mark.django_db

GOOD = {("1.1", ""): 100, ("1.1", "sex:female"): 60, ("1.1", "sex:male"): 40}


def _api(m) -> str:
    return f"/api/v1/partnerships/{m.partnership.slug}/results/spreadsheet"


def _page(m, name: str = "results-spreadsheet-template") -> str:
    return reverse(name, args=[m.partnership.slug])


def _template(m) -> bytes:
    return ss.build_template(
        actor=m.ngo_admin, partnership=m.partnership, period=m.q1, organisation=m.ngo
    )


def _set_meta(key: str, value: object):
    def edit(workbook) -> None:
        for row in workbook["meta"].iter_rows():
            if row[0].value == key:
                row[1].value = value

    return edit


def _file_error(m, fileobj, **kwargs) -> str:
    """The file error of both the preview and the commit; nothing written."""
    for commit in (False, True):
        fileobj.seek(0)
        with pytest.raises(ValidationError) as error:
            ss.import_values(
                actor=m.ngo_admin,
                partnership=m.partnership,
                fileobj=fileobj,
                filename="filled.xlsx",
                commit=commit,
                **kwargs,
            )
    assert not Submission.objects.exists()
    return " ".join(error.value.message_dict["file"])


# ---------------------------------------------------------------- digits


@pytest.mark.parametrize("organisation", ["²", "١٢", "1" * 40, "-1", "1e3"])
def test_given_odd_digits_for_the_partner_when_getting_the_template_then_422_not_500(
    monitored, organisation
):
    m = monitored
    client = client_for(m.coordinator)
    params = {"period": "2025-Q1", "organisation": organisation}
    response = client.get(f"{_api(m)}/template", params)
    assert response.status_code == 422
    assert "organisation" in response.json()["error"]["fields"]
    assert client.get(_page(m), params).status_code == 422


@pytest.mark.parametrize("organisation", ["²", "1" * 40])
def test_given_odd_digits_for_the_partner_in_the_meta_sheet_then_a_file_error(
    monitored, organisation
):
    m = monitored
    filled = fill(_template(m), GOOD, edit=_set_meta("organisation", organisation))
    assert "partner that is not in this partnership" in _file_error(m, filled)


# ---------------------------------------------------------------- period labels

FULL_WIDTH = "\uff12\uff10\uff12\uff15-Q1"  # "2025-Q1" in full-width digits
ODD_PERIODS = ["9999", "9999-Q4", "9999-12", "0000-Q1", "1899-Q4", "2201", FULL_WIDTH, "2025-Q²"]


@pytest.mark.parametrize("period", ODD_PERIODS)
def test_given_an_extreme_period_label_when_getting_the_template_then_422_on_period(
    monitored, period
):
    m = monitored
    client = client_for(m.coordinator)
    params = {"period": period, "organisation": str(m.ngo.pk)}
    response = client.get(f"{_api(m)}/template", params)
    assert response.status_code == 422
    assert "period" in response.json()["error"]["fields"]
    assert client.get(_page(m), params).status_code == 422


@pytest.mark.parametrize("period", ["9999-Q4", FULL_WIDTH])
def test_given_an_extreme_period_label_when_uploading_then_422_on_period(monitored, period):
    from django.core.files.uploadedfile import SimpleUploadedFile

    m = monitored
    data = fill(_template(m), GOOD).getvalue()
    for action in ("preview", "import"):
        response = client_for(m.ngo_admin).post(
            f"{_api(m)}/{action}",
            {"file": SimpleUploadedFile("filled.xlsx", data), "period": period},
        )
        assert response.status_code == 422
        assert "period" in response.json()["error"]["fields"]
    assert not Submission.objects.exists()


@pytest.mark.parametrize("period", ["9999-Q4", "9999", "0001-01", FULL_WIDTH])
def test_given_an_extreme_period_in_the_meta_sheet_then_a_file_error(monitored, period):
    m = monitored
    filled = fill(_template(m), GOOD, edit=_set_meta("period", period))
    assert "which this partnership does not have" in _file_error(m, filled)


# ---------------------------------------------------------------- a new responsible partner


def test_given_a_new_responsible_partner_then_the_former_ones_draft_is_not_in_its_template(
    monitored,
):
    from decimal import Decimal

    from sinergi.results import services
    from sinergi.results.models import Indicator
    from tests.results.spreadsheet_helpers import rows_of

    m = monitored
    services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="55",
        narrative="Health's own notes",
        values={"sex:female": "50"},
    )
    services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="9")
    Indicator.objects.filter(pk=m.coverage.pk).update(responsible=m.ngo)

    body = _template(m)
    rows = {(row[0], row[2] or ""): row for row in rows_of(body)[1:]}
    assert rows[("2.1", "")][7] is None and rows[("2.1", "")][8] is None
    assert rows[("2.1", "sex:female")][7] is None
    assert rows[("1.1", "")][7] == 9  # the partner's own draft is pre-filled

    filled = fill(body, {("2.1", ""): 60})
    filled.seek(0)
    result = ss.import_values(
        actor=m.ngo_admin,
        partnership=m.partnership,
        fileobj=filled,
        filename="filled.xlsx",
        commit=True,
    )
    assert result.written == 1 and result.changed_drafts == 1
    draft = Submission.objects.get(indicator=m.coverage)
    assert draft.value == Decimal("60") and draft.organisation_id == m.ngo.pk


# ---------------------------------------------------------------- changed meanwhile


def _health_template(m) -> bytes:
    return ss.build_template(
        actor=m.health_admin, partnership=m.partnership, period=m.q1, organisation=m.health
    )


@pytest.mark.parametrize("submit", [False, True])
def test_given_a_returned_draft_approved_meanwhile_when_committed_then_conflict_and_untouched(
    monitored, monkeypatch, submit
):
    from decimal import Decimal

    from sinergi.core.errors import Conflict
    from sinergi.results import services
    from sinergi.results.models import Status

    m = monitored
    draft = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=m.q1,
        value="70",
        narrative="first",
        values={"sex:female": "71"},
    )
    services.submit(actor=m.health_admin, submission=draft)
    services.return_submission(actor=m.coordinator, submission=draft, comment="Check it")
    filled = fill(_health_template(m), {("2.1", ""): 72}, narrative={"2.1": "second"})

    load = ss._load_context

    def load_then_approved_meanwhile(*args, **kwargs):
        context = load(*args, **kwargs)  # the import plans on the returned draft...
        services.submit(actor=m.health_admin, submission=draft)
        services.approve(actor=m.coordinator, submission=draft)  # ...which is now in force
        return context

    monkeypatch.setattr(ss, "_load_context", load_then_approved_meanwhile)
    with pytest.raises(Conflict) as error:
        ss.import_values(
            actor=m.health_admin,
            partnership=m.partnership,
            fileobj=filled,
            filename="filled.xlsx",
            commit=True,
            submit=submit,
        )
    assert error.value.field == "file"
    assert error.value.message == (
        "Someone else changed the value of 2.1 at the same time; check the file again."
    )
    # The import's transaction is undone, the concurrent approval with it (one transaction
    # here); on PostgreSQL the approval commits apart and its row is left alone.
    submission = Submission.objects.get()
    assert submission.value == Decimal("70") and submission.narrative == "first"
    assert submission.status == Status.RETURNED


def test_given_an_approval_meanwhile_when_imported_through_the_api_then_409(
    monitored, monkeypatch
):
    from sinergi.results import services

    m = monitored
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="70")
    filled = fill(_health_template(m), {("2.1", ""): 72})
    load = ss._load_context

    def load_then_approved_meanwhile(*args, **kwargs):
        context = load(*args, **kwargs)
        services.submit(actor=m.health_admin, submission=draft)
        services.approve(actor=m.coordinator, submission=draft)
        return context

    monkeypatch.setattr(ss, "_load_context", load_then_approved_meanwhile)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(m.health_admin).post(
        f"{_api(m)}/import", {"file": SimpleUploadedFile("filled.xlsx", filled.getvalue())}
    )
    assert response.status_code == 409
    assert "2.1 at the same time" in response.json()["error"]["message"]
