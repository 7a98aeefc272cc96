"""Results forms on the pages: values are saved and submitted, bad input shows inline
errors and writes nothing, coordinators approve and return from the review page, and
manage the framework, targets and periods."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sinergi.ledger.models import Entry
from sinergi.results import services
from sinergi.results.models import (
    Evidence,
    Period,
    Result,
    Site,
    Status,
    Submission,
    SubmissionValue,
    Target,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(m, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"slug": m.partnership.slug, **kwargs})


def counts() -> tuple[int, ...]:
    return (
        Submission.objects.count(),
        SubmissionValue.objects.count(),
        Site.objects.count(),
        Evidence.objects.count(),
    )


def trained_form(**extra) -> dict:
    data = {
        "value": "100",
        "cat:sex:female": "60",
        "cat:sex:male": "40",
        "cat:province:ID-JB": "70",
        "cat:province:ID-JT": "30",
        "narrative": "Two trainings in Bandung",
        "sites": "Puskesmas Bandung, -6.9175, 107.6191, ID-JB",
        "action": "draft",
    }
    data.update(extra)
    return data


def test_given_a_partner_when_saving_a_draft_then_value_breakdown_sites_and_file_are_kept(
    monitored, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    m = monitored
    client = client_for(m.ngo_admin)
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    data = trained_form(evidence=SimpleUploadedFile("list.pdf", b"attendance", "application/pdf"))
    response = client.post(page, data)
    assert response.status_code == 302
    submission = Submission.objects.get(indicator=m.trained)
    assert submission.status == Status.DRAFT and submission.value == 100
    assert {v.category: int(v.value) for v in submission.values.all()} == {
        "sex:female": 60,
        "sex:male": 40,
        "province:ID-JB": 70,
        "province:ID-JT": 30,
    }
    site = submission.sites.get()
    assert site.name == "Puskesmas Bandung" and site.subdivision == "ID-JB"
    assert submission.evidence.get().name == "list.pdf"
    again = client.get(page)
    assert 'value="60"' in again.content.decode()
    response = client.post(page, trained_form(action="submit"))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED


@pytest.mark.parametrize("lang", ["en", "id"])
def test_given_a_breakdown_that_does_not_add_up_when_saving_then_error_under_dimension(
    monitored, lang
) -> None:
    from django.utils import translation

    m = monitored
    with translation.override(lang):
        page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    before = counts()
    response = client_for(m.ngo_admin).post(page, trained_form(**{"cat:sex:male": "30"}))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="dimension-sex-errors"' in body
    assert counts() == before


def test_given_a_breakdown_that_does_not_add_up_then_the_summary_links_it_and_it_has_focus(
    monitored,
) -> None:
    m = monitored
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    data = trained_form(**{"cat:sex:female": "10", "cat:sex:male": "20"})
    response = client_for(m.ngo_admin).post(page, data)
    assert response.status_code == 422
    body = response.content.decode()
    # The summary every form has names the dimension and links its first input …
    summary = body.split('<div class="form-errors" role="alert" id="form-errors">')[1]
    summary = summary.split("</div>")[0]
    assert "Nothing was saved. Check:" in summary
    assert '<a href="#id_cat:sex:female">Sex</a>' in summary
    # … which has the focus; each input of the dimension is invalid, described by its errors.
    inputs = {
        name: re.findall(rf'<input[^>]*id="id_cat:sex:{name}"[^>]*>', body)[0]
        for name in ("female", "male")
    }
    assert " autofocus" in inputs["female"] and " autofocus" not in inputs["male"]
    for tag in inputs.values():
        assert 'aria-invalid="true"' in tag
        assert 'aria-describedby="dimension-sex-errors"' in tag
    province = re.findall(r'<input[^>]*id="id_cat:province:ID-JB"[^>]*>', body)[0]
    assert "aria-invalid" not in province


@pytest.mark.parametrize(
    ("sites", "name"),
    [
        ("Puskesmas Sentani; -2,5634; 140,5102; ID-PA", "Puskesmas Sentani"),
        ("Puskesmas Sentani;-2.5634;140.5102;ID-PA", "Puskesmas Sentani"),
        ("Puskesmas Sentani, -2.5634, 140.5102, ID-PA", "Puskesmas Sentani"),
        # A name may hold a semicolon between commas, or a comma between semicolons …
        ("Puskesmas Sentani; Unit 2, -2.5634, 140.5102, ID-PA", "Puskesmas Sentani; Unit 2"),
        ("Puskesmas Sentani, Unit 2; -2,5634; 140,5102; ID-PA", "Puskesmas Sentani, Unit 2"),
        # … and parts of a name between semicolons stay apart by semicolons.
        ("Desa Sentani; Blok 3; -2,5634; 140,5102; ID-PA", "Desa Sentani; Blok 3"),
    ],
)
def test_given_sites_with_semicolons_then_decimal_commas_read_as_in_indonesian(
    monitored, sites, name
) -> None:
    m = monitored
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    client = client_for(m.ngo_admin)

    response = client.post(page, trained_form(sites=sites))

    assert response.status_code == 302
    site = Submission.objects.get(indicator=m.trained).sites.get()
    assert (site.name, site.subdivision) == (name, "ID-PA")
    # Saved again as the form shows it, the site is the same.
    shown = client.get(page).context["form"]["sites"].value()
    assert client.post(page, trained_form(sites=shown)).status_code == 302
    assert Submission.objects.get(indicator=m.trained).sites.get().name == name
    assert (str(site.latitude), str(site.longitude)) == ("-2.563400", "140.510200")


@pytest.mark.parametrize(
    ("field", "bad", "name"),
    [
        ("value", "12,5", "id_value"),
        ("cat:sex:female", "lots", "id_cat:sex:female"),
        ("sites", "Nowhere, 95, 10", "id_sites"),
        ("sites", "just a name", "id_sites"),
    ],
)
def test_given_bad_input_when_saving_a_value_then_inline_error_and_nothing_written(
    monitored, field, bad, name
) -> None:
    m = monitored
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    before = counts()
    response = client_for(m.ngo_admin).post(page, trained_form(**{field: bad}))
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="{name}_error"' in body
    # The summary every form has: nothing saved, and a link to each field to check.
    summary = body.split('<div class="form-errors" role="alert" id="form-errors">')[1]
    assert "Nothing was saved. Check:" in summary.split("</div>")[0]
    assert f'href="#{name}"' in summary.split("</div>")[0]
    # … and the field it links first has the focus, also a category's input.
    (tag,) = re.findall(rf'<(?:input|textarea)[^>]*id="{re.escape(name)}"[^>]*>', body)
    assert " autofocus" in tag
    assert counts() == before


def test_given_a_bad_file_when_submitting_then_the_draft_is_not_saved_either(monitored) -> None:
    m = monitored
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    before = counts()
    empty = SimpleUploadedFile("empty.pdf", b"", "application/pdf")
    response = client_for(m.ngo_admin).post(page, trained_form(evidence=empty, action="submit"))
    assert response.status_code == 422
    assert counts() == before


def test_a_form_that_comes_back_asks_for_its_file_again(monitored) -> None:
    """Given a value with a file and an error elsewhere (sites that cannot be read), then
    the page that comes back says to choose the file again (a browser does not keep it:
    before, it came back empty and unremarked, and the value went in without its
    evidence); with no error, or on the file's own error, no such note."""
    m = monitored
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    evidence = SimpleUploadedFile("list.pdf", b"attendance", "application/pdf")

    response = client_for(m.ngo_admin).post(
        page, trained_form(evidence=evidence, sites="Puskesmas, north, east")
    )

    assert response.status_code == 422
    assert "Choose the file again" in response.content.decode()
    assert "Choose the file again" not in client_for(m.ngo_admin).get(page).content.decode()


def test_given_a_submitted_value_when_editing_then_refused(monitored) -> None:
    m = monitored
    draft = services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="5")
    services.submit(actor=m.ngo_admin, submission=draft)
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    response = client_for(m.ngo_admin).post(page, trained_form())
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.value == 5


def submitted(m):
    draft = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    return services.submit(actor=m.health_admin, submission=draft)


def test_given_a_submitted_value_when_a_coordinator_approves_from_the_page_then_in_force(
    monitored,
) -> None:
    m = monitored
    submission = submitted(m)
    client = client_for(m.coordinator)
    page = client.get(url(m, "results-review"))
    assert "DTP3 coverage" in page.content.decode()
    decide = url(m, "results-review-decide", pk=submission.pk)
    response = client.post(decide, {"action": "approve", f"s{submission.pk}-comment": ""})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.APPROVED and submission.is_current


def test_given_no_comment_when_returning_then_error_and_nothing_changes(monitored) -> None:
    m = monitored
    submission = submitted(m)
    client = client_for(m.coordinator)
    decide = url(m, "results-review-decide", pk=submission.pk)
    response = client.post(decide, {"action": "return"}, headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps only a 2xx answer in
    assert "This field is required." in response.content.decode()
    page = client.post(decide, {"action": "return"})
    assert page.status_code == 422
    assert "This field is required." in page.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
    response = client.post(
        decide,
        {"action": "return", f"s{submission.pk}-comment": "Source missing"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.comment == "Source missing"


def test_given_a_partner_admin_when_posting_a_decision_then_forbidden(monitored) -> None:
    m = monitored
    submission = submitted(m)
    decide = url(m, "results-review-decide", pk=submission.pk)
    response = client_for(m.health_admin).post(decide, {"action": "approve"})
    assert response.status_code == 403
    assert client_for(m.outsider).post(decide, {"action": "approve"}).status_code == 404
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED


def test_given_a_coordinator_when_adding_a_result_then_saved_or_inline_error(monitored) -> None:
    m = monitored
    client = client_for(m.coordinator)
    page = url(m, "results-result-new")
    before = Result.objects.count()
    bad = client.post(page, {"type": "1", "title": "Clinics", "sdg_targets": "99.9"})
    assert bad.status_code == 422
    assert 'id="id_sdg_targets_error"' in bad.content.decode()
    assert Result.objects.count() == before
    wrong_parent = client.post(page, {"type": "3", "title": "X", "parent": m.output.pk})
    assert wrong_parent.status_code == 422
    assert Result.objects.count() == before
    ok = client.post(page, {"type": "1", "title": "Clinics equipped", "parent": m.outcome.pk})
    assert ok.status_code == 302
    assert Result.objects.filter(title="Clinics equipped", parent=m.outcome).exists()


def test_given_a_coordinator_when_adding_an_indicator_then_saved(monitored) -> None:
    m = monitored
    client = client_for(m.coordinator)
    data = {
        "result": m.output.pk,
        "code": "1.2",
        "title": "Cold boxes delivered",
        "measure": "1",
        "accumulation": "cumulative",
        "frequency": "quarterly",
        "ascending": "on",
        "responsible": m.health.pk,
        "dimensions": [m.province.pk],
    }
    response = client.post(url(m, "results-indicator-new"), data)
    assert response.status_code == 302
    duplicate = client.post(url(m, "results-indicator-new"), data)
    assert duplicate.status_code == 422
    assert 'id="id_code_error"' in duplicate.content.decode()


def test_given_the_targets_grid_when_saving_then_targets_are_set_and_bad_cells_refused(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.coordinator)
    page = url(m, "results-targets", pk=m.coverage.pk) + "?year=2025"
    before = list(Target.objects.values_list("pk", "value"))
    grid = client.get(page)
    assert 'value="75"' in grid.content.decode()
    bad = {
        "year": "2025",
        "t:2025-Q1": "75",
        "t:2025-Q2": "120",
        "t:2025-Q3": "85",
        "t:2025-Q4": "90",
    }
    response = client.post(page, bad)
    assert response.status_code == 422
    assert list(Target.objects.values_list("pk", "value")) == before
    good = dict(bad, **{"t:2025-Q2": "82", "t:2025-Q1:sex:female": "76"})
    assert client.post(page, good).status_code == 302
    assert Target.objects.get(indicator=m.coverage, period=m.q2, category="").value == 82
    assert Target.objects.get(indicator=m.coverage, period=m.q1, category="sex:female").value == 76


def test_given_the_targets_grid_when_boxes_are_not_posted_then_their_targets_stay(
    monitored,
) -> None:
    """A box left empty clears its target; a box missing from the post (a bare post, or
    one made by hand) is not a choice to clear it: a bare post changes nothing."""
    m = monitored
    client = client_for(m.coordinator)
    page = url(m, "results-targets", pk=m.coverage.pk) + "?year=2025"
    before = list(Target.objects.order_by("pk").values_list("pk", "value"))
    assert before  # the fixture's targets for 2025
    entries = Entry.objects.count()

    assert client.post(page, {"year": "2025"}).status_code == 302
    assert client.post(page, {"year": "2025", "unrelated": "1"}).status_code == 302

    assert list(Target.objects.order_by("pk").values_list("pk", "value")) == before
    assert Entry.objects.count() == entries
    assert client.post(page, {"year": "2025", "t:2025-Q2": ""}).status_code == 302
    assert not Target.objects.filter(indicator=m.coverage, period=m.q2, category="").exists()
    assert Target.objects.filter(indicator=m.coverage, period=m.q1, category="").exists()


def test_given_a_period_when_a_coordinator_closes_it_then_values_are_refused(monitored) -> None:
    m = monitored
    client = client_for(m.coordinator)
    response = client.post(url(m, "results-period-closed", pk=m.q1.pk), {"closed": "1"})
    assert response.status_code == 302
    assert Period.objects.get(pk=m.q1.pk).closed
    page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    before = counts()
    response = client_for(m.ngo_admin).post(page, trained_form())
    assert response.status_code == 422
    assert counts() == before
    assert (
        client_for(m.ngo_admin)
        .post(url(m, "results-period-closed", pk=m.q1.pk), {"closed": "0"})
        .status_code
        == 403
    )


@pytest.mark.parametrize("sent", [{"closed": "true"}, {"closed": ""}, {}, {"closed": "2"}])
def test_a_closed_period_is_not_reopened_by_anything_but_0(monitored, sent) -> None:
    """The page's buttons send closed=1 or closed=0; anything else (a tampered or missing
    field) is a 400 and changes nothing: it reopened the period and logged it."""
    m = monitored
    client = client_for(m.coordinator)
    path = url(m, "results-period-closed", pk=m.q1.pk)
    assert client.post(path, {"closed": "1"}).status_code == 302
    entries = Entry.objects.count()

    response = client.post(path, sent)

    assert response.status_code == 400
    assert Period.objects.get(pk=m.q1.pk).closed
    assert Entry.objects.count() == entries


def test_given_an_indonesian_page_when_reporting_then_numbers_read_the_indonesian_way(
    monitored,
) -> None:
    """Given the value form in Indonesian, then 1.100 children with 660 and 440 by sex is
    saved as 1100 (not 1.1), shown back as 1100, and "1.5" is refused inline with an
    Indonesian example, nothing written; the targets grid reads 82,5 as 82.5."""
    from django.utils import translation

    m = monitored
    with translation.override("id"):
        page = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
        targets = url(m, "results-targets", pk=m.coverage.pk) + "?year=2025"
    client = client_for(m.ngo_admin)
    data = trained_form(
        value="1.100",
        **{
            "cat:sex:female": "660",
            "cat:sex:male": "440",
            "cat:province:ID-JB": "1.000",
            "cat:province:ID-JT": "100",
        },
    )
    before = counts()
    refused = client.post(page, {**data, "value": "1.5"})
    assert refused.status_code == 422
    assert "1.500,25" in refused.content.decode().split('id="id_value_error"')[1][:300]
    assert counts() == before

    assert client.post(page, data).status_code == 302

    submission = Submission.objects.get(indicator=m.trained)
    assert submission.value == 1100
    assert submission.values.get(category="province:ID-JB").value == 1000
    assert 'value="1100"' in client.get(page).content.decode()
    grid = {"year": "2025", "t:2025-Q1": "75", "t:2025-Q2": "82,5", "t:2025-Q3": "85"}
    grid["t:2025-Q4"] = "90"
    assert client_for(m.coordinator).post(targets, grid).status_code == 302
    assert Target.objects.get(indicator=m.coverage, period=m.q2, category="").value == 82.5


@pytest.mark.parametrize("htmx", [False, True])
def test_a_second_approve_says_why_at_the_top_of_the_queue(monitored, htmx) -> None:
    """Given a value already approved (a double click, or another coordinator first), when
    Approve is posted again, then the queue page says why at its top — its form is gone
    from the page — instead of a 422 with no message."""
    m = monitored
    submission = submitted(m)
    client = client_for(m.coordinator)
    decide = url(m, "results-review-decide", pk=submission.pk)
    data = {"action": "approve", f"s{submission.pk}-comment": ""}
    assert client.post(decide, data).status_code == 302
    headers = {"HX-Request": "true"} if htmx else {}
    again = client.post(decide, data, headers=headers)
    if htmx:
        assert again.status_code == 200 and again["HX-Redirect"].endswith("/results/review/")
        page = client.get(again["HX-Redirect"])
    else:
        assert again.status_code == 302
        page = client.get(again["Location"])
    messages = [str(message) for message in page.context["messages"]]
    assert messages[-1] == "Only a submitted value can be approved or returned."
    submission.refresh_from_db()
    assert submission.status == Status.APPROVED


def page_title(body: str) -> str:
    return re.search(r"<title>(.*?)</title>", body, re.S).group(1)


def test_the_value_form_and_the_framework_forms_are_titled_by_what_they_edit(monitored) -> None:
    """Each form's title says it is a form and which item it edits (the value form's was
    "1.1 2025-Q1", every indicator's "Edit indicator"); one coming back with errors says
    "Error:" first."""
    m = monitored
    value = url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1")
    client = client_for(m.ngo_admin)
    expected = f"Enter value: 1.1 Health workers trained, 2025-Q1 · {m.partnership.title}"
    assert page_title(client.get(value).content.decode()) == f"{expected} · Sinergi"
    wrong = client.post(value, trained_form(**{"cat:sex:male": "30"})).content.decode()
    assert page_title(wrong) == f"Error: {expected} · Sinergi"

    coordinator = client_for(m.coordinator)
    indicator = coordinator.get(url(m, "results-indicator-edit", pk=m.trained.pk))
    assert page_title(indicator.content.decode()).startswith(
        "Edit indicator: 1.1 Health workers trained · "
    )
    result = coordinator.get(url(m, "results-result-edit", pk=m.trained.result_id))
    assert page_title(result.content.decode()).startswith("Edit result: Health workers trained")
