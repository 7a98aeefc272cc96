"""The results API's reported values: who sees which, entering, submitting, approving
and returning them, and bad input answered with field errors and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest

from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Participation
from sinergi.partnerships.services import remove_partner
from sinergi.results import services
from sinergi.results.models import IndicatorStatus, Period, Status, Submission, SubmissionValue
from tests.factories import OrganisationFactory
from tests.results.test_api_framework import Api, error, ok

pytestmark = pytest.mark.django_db


def coverage_value(m, *, approve: bool = False, submit: bool = False, period=None) -> Submission:
    draft = services.save_draft(
        actor=m.health_admin,
        indicator=m.coverage,
        period=period or m.q1,
        value="76",
        values={"sex:female": "77", "sex:male": "75"},
        narrative="Catch-up campaign in Bandung",
    )
    if submit or approve:
        services.submit(actor=m.health_admin, submission=draft)
    if approve:
        services.approve(actor=m.coordinator, submission=draft)
    return draft


def trained_draft(m) -> Submission:
    return services.save_draft(
        actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="12", narrative="NGO draft"
    )


def ids(response) -> set[int]:
    return {row["id"] for row in ok(response)["items"]}


def test_given_values_when_listed_then_each_reader_sees_what_the_policy_allows(monitored):
    m = monitored
    approved = coverage_value(m, approve=True)
    health_draft = coverage_value(m, period=m.q2)
    ngo_draft = trained_draft(m)
    url = Api.url(m, "/values")
    assert ids(Api(m.coordinator).get(url)) == {approved.pk, health_draft.pk, ngo_draft.pk}
    assert ids(Api(m.observer).get(url)) == {approved.pk}
    # A partner sees its own drafts, not another partner's.
    assert ids(Api(m.health_member).get(url)) == {approved.pk, health_draft.pk}
    assert ids(Api(m.ngo_admin).get(url)) == {approved.pk, ngo_draft.pk}
    assert Api(m.outsider).get(url).status_code == 404
    assert Api().get(url).status_code == 404
    # One value's page: hidden ones are not found.
    assert Api(m.observer).get(Api.url(m, f"/values/{health_draft.pk}")).status_code == 404
    assert Api(m.ngo_admin).get(Api.url(m, f"/values/{health_draft.pk}")).status_code == 404
    ok(Api(m.health_admin).get(Api.url(m, f"/values/{health_draft.pk}")))


def test_given_a_public_partnership_when_anonymous_lists_values_then_approved_ones_only(
    public_monitored,
):
    m = public_monitored
    approved = coverage_value(m, approve=True)
    coverage_value(m, period=m.q2, submit=True)
    trained_draft(m)
    assert ids(Api().get(Api.url(m, "/values"))) == {approved.pk}
    assert ids(Api(m.outsider).get(Api.url(m, "/values"))) == {approved.pk}
    assert ids(Api().get(Api.url(m, "/values"), {"status": "submitted"})) == set()


def test_given_an_approved_value_when_read_then_its_shape_is_decimal_strings(monitored):
    m = monitored
    approved = coverage_value(m, approve=True)
    row = ok(Api(m.observer).get(Api.url(m, f"/values/{approved.pk}")))
    assert row["indicator"]["code"] == "2.1"
    assert row["period"]["label"] == "2025-Q1" and row["period"]["start"] == "2025-01-01"
    assert row["organisation"]["id"] == m.health.pk
    assert row["value"] == "76"
    assert row["values"] == {"sex:female": "77", "sex:male": "75"}
    assert row["breakdown"][0] == {
        "category": "sex:female",
        "dimension": "Sex",
        "label": "Female",
        "value": "77",
    }
    assert row["status"] == "approved" and row["is_current"] is True
    assert row["ledger_index"] is not None
    assert row["submitted_by"] is None  # observers do not see who entered it
    row = ok(Api(m.coordinator_2).get(Api.url(m, f"/values/{approved.pk}")))
    assert row["submitted_by"]["id"] == m.health_admin.pk


def test_given_values_when_filtered_and_paginated_then_the_page_and_count_match(monitored):
    m = monitored
    q1 = coverage_value(m, approve=True)
    q2 = coverage_value(m, period=m.q2, submit=True)
    ngo = trained_draft(m)
    api = Api(m.coordinator)
    url = Api.url(m, "/values")
    assert ids(api.get(url, {"indicator": "1.1"})) == {ngo.pk}
    assert ids(api.get(url, {"period": "2025-Q2"})) == {q2.pk}
    assert ids(api.get(url, {"status": "approved"})) == {q1.pk}
    assert ids(api.get(url, {"organisation": m.ngo.pk})) == {ngo.pk}
    page = ok(api.get(url, {"limit": 2, "offset": 0}))
    assert page["count"] == 3 and len(page["items"]) == 2
    rest = ok(api.get(url, {"limit": 2, "offset": 2}))
    assert len(rest["items"]) == 1
    assert {r["id"] for r in page["items"] + rest["items"]} == {q1.pk, q2.pk, ngo.pk}
    assert "indicator" in error(api.get(url, {"indicator": "nope"}), 422)["fields"]
    assert "period" in error(api.get(url, {"period": "Q2"}), 422)["fields"]
    assert "status" in error(api.get(url, {"status": "lost"}), 422)["fields"]
    assert "organisation" in error(api.get(url, {"organisation": 999_999}), 422)["fields"]
    assert "limit" in error(api.get(url, {"limit": 0}), 422)["fields"]


def test_given_a_former_partner_then_its_filter_answers_alike_whatever_the_other_filters(
    monitored,
):
    """A partner that left keeps its reported values; filtering by it is a list (empty or
    not), never an error that depends on the other filters."""
    m = monitored
    q1 = coverage_value(m, approve=True)  # reported by the health office
    remove_partner(
        actor=m.coordinator,
        participation=Participation.objects.get(partnership=m.partnership, organisation=m.health),
    )
    api = Api(m.coordinator)
    url = Api.url(m, "/values")

    assert ids(api.get(url, {"organisation": m.health.pk})) == {q1.pk}
    assert ids(api.get(url, {"organisation": m.health.pk, "status": "approved"})) == {q1.pk}
    assert ids(api.get(url, {"organisation": m.health.pk, "status": "draft"})) == set()
    assert ids(api.get(url, {"organisation": m.health.pk, "period": "2025-Q2"})) == set()
    # One that never took part and reported nothing stays an error.
    stranger = OrganisationFactory()
    fields = error(api.get(url, {"organisation": stranger.pk, "status": "draft"}), 422)["fields"]
    assert list(fields) == ["organisation"]


def test_given_many_values_when_listed_then_the_queries_stay_few(
    monitored, django_assert_max_num_queries
):
    m = monitored
    coverage_value(m, approve=True)
    coverage_value(m, period=m.q2, submit=True)
    trained_draft(m)
    api = Api(m.coordinator)
    api.get(Api.url(m, "/values"))
    with django_assert_max_num_queries(12):
        assert ok(api.get(Api.url(m, "/values")))["count"] == 3


def test_when_a_partner_enters_and_submits_a_value_then_it_awaits_review(monitored):
    m = monitored
    body = ok(
        Api(m.health_member).post(
            Api.url(m, "/values"),
            {
                "indicator": "2.1",
                "period": "2025-Q1",
                "value": "76.5",
                "values": {"sex:female": "77", "sex:male": 76},
                "narrative": "Catch-up campaign",
                "sites": [
                    {
                        "name": "Puskesmas Cibiru",
                        "latitude": "-6.9",
                        "longitude": "107.7",
                        "subdivision": "ID-JB",
                    }
                ],
                "submit": True,
            },
        ),
        201,
    )
    assert body["status"] == "submitted" and body["value"] == "76.5"
    assert body["values"] == {"sex:female": "77", "sex:male": "76"}
    assert body["sites"][0]["subdivision"] == "ID-JB"
    assert body["sites"][0]["latitude"] == "-6.900000"


def test_when_a_coordinator_approves_then_the_ledger_and_progress_move_together(monitored):
    m = monitored
    submitted = coverage_value(m, submit=True)
    before = Entry.objects.count()
    body = ok(
        Api(m.coordinator).post(Api.url(m, f"/values/{submitted.pk}/approve"), {"comment": "ok"})
    )
    assert body["status"] == "approved" and body["is_current"] is True
    assert Entry.objects.count() == before + 1
    entry = Entry.objects.order_by("-index").first()
    assert entry.kind == "results.value.approved" and body["ledger_index"] == entry.index
    assert IndicatorStatus.objects.get(indicator=m.coverage).progress == "on_track"
    framework = ok(Api(m.observer).get(Api.url(m)))
    coverage = next(i for i in framework["indicators"] if i["code"] == "2.1")
    assert coverage["status"]["actual"] == "76" and coverage["status"]["latest_period"] == "2025-Q1"
    # Approving twice is a conflict, and writes nothing more.
    err = error(Api(m.coordinator_2).post(Api.url(m, f"/values/{submitted.pk}/approve")), 409)
    assert err["code"] == "conflict"
    assert Entry.objects.count() == before + 1


def test_when_the_wrong_people_decide_then_403(monitored):
    m = monitored
    submitted = coverage_value(m, submit=True)
    url = Api.url(m, f"/values/{submitted.pk}/approve")
    assert error(Api(m.health_admin).post(url), 403)["code"] == "forbidden"
    # Observers cannot see the submitted value at all.
    assert Api(m.observer).post(url).status_code == 404
    assert Api(m.ngo_admin).post(url).status_code == 404
    draft = services.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q1, value="9")
    services.submit(actor=m.coordinator, submission=draft)
    assert error(Api(m.coordinator).post(Api.url(m, f"/values/{draft.pk}/approve")), 403)
    assert Submission.objects.filter(status=Status.APPROVED).count() == 0


def test_when_a_value_is_returned_then_its_partner_fixes_and_resubmits_it(monitored):
    m = monitored
    submitted = coverage_value(m, submit=True)
    url = Api.url(m, f"/values/{submitted.pk}")
    assert "comment" in error(Api(m.coordinator).post(url + "/return", {}), 422)["fields"]
    body = ok(Api(m.coordinator).post(url + "/return", {"comment": "Add the source"}))
    assert body["status"] == "returned" and body["comment"] == "Add the source"
    again = ok(
        Api(m.health_admin).post(
            Api.url(m, "/values"),
            {"indicator": "2.1", "period": "2025-Q1", "value": "76", "narrative": "Source: DHIS2"},
        ),
        201,
    )
    assert again["id"] == submitted.pk and again["status"] == "returned"
    assert ok(Api(m.health_admin).post(url + "/submit"))["status"] == "submitted"
    assert error(Api(m.health_admin).post(url + "/submit"), 409)["code"] == "conflict"


def test_when_someone_who_does_not_report_enters_a_value_then_403(monitored):
    m = monitored
    data = {"indicator": "2.1", "period": "2025-Q1", "value": "70"}
    assert error(Api(m.observer).post(Api.url(m, "/values"), data), 403)
    assert error(Api(m.ngo_admin).post(Api.url(m, "/values"), data), 403)
    assert not Submission.objects.exists()


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("text in a number", {"value": "seventy"}, "value"),
    ("a float", {"value": 76.5}, "value"),
    (
        "a float in the breakdown",
        {"value": "76", "values": {"sex:female": 1.5}},
        "values.sex:female",
    ),
    ("an unknown category", {"value": "76", "values": {"sex:other": "76"}}, "values.sex:other"),
    ("a percentage over 100", {"value": "101"}, "value"),
    ("an unknown indicator", {"indicator": "9.9"}, "indicator"),
    ("a period of the wrong frequency", {"period": "2025-05"}, "period"),
    (
        "a site off the globe",
        {"sites": [{"name": "x", "latitude": "91", "longitude": "0"}]},
        "sites.0.latitude",
    ),
    # `submit` is true or false: a word that reads as yes must not send a value for review.
    ("submit as a word", {"submit": "yes"}, "submit"),
    ("submit as a number", {"submit": 1}, "submit"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[c for c, _, _ in BAD])
def test_when_a_value_is_bad_then_422_names_the_field_and_nothing_is_saved(
    monitored, case, change, field
):
    m = monitored
    data = {"indicator": "2.1", "period": "2025-Q1", "value": "76", **change}
    err = error(Api(m.health_admin).post(Api.url(m, "/values"), data), 422)
    assert field in err["fields"], err
    assert not Submission.objects.exists()


def test_when_a_breakdown_does_not_add_up_then_422_on_the_dimension(monitored):
    m = monitored
    data = {
        "indicator": "1.1",
        "period": "2025-Q1",
        "value": "100",
        "values": {"sex:female": "40", "sex:male": "50"},
    }
    err = error(Api(m.ngo_admin).post(Api.url(m, "/values"), data), 422)
    assert "values.sex" in err["fields"]
    assert not SubmissionValue.objects.exists() and not Submission.objects.exists()


def test_when_the_period_is_closed_then_422_on_the_period(monitored):
    m = monitored
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    data = {"indicator": "2.1", "period": "2025-Q1", "value": "76"}
    err = error(Api(m.health_admin).post(Api.url(m, "/values"), data), 422)
    assert "period" in err["fields"]
    assert not Submission.objects.exists()


def test_when_a_body_is_not_an_object_then_400(monitored):
    m = monitored
    response = Api(m.health_admin).send("POST", Api.url(m, "/values"), [])
    assert error(response, 400)["code"] == "malformed"


@pytest.mark.parametrize("label", ["2030-Q1", "9999-Q4", "2025-13", "Q1"])
def test_when_the_period_has_not_started_or_is_not_one_then_no_period_is_left_behind(
    monitored, label
):
    m = monitored
    before = Period.objects.count()
    data = {"indicator": "2.1", "period": label, "value": "76"}
    err = error(Api(m.health_admin).post(Api.url(m, "/values"), data), 422)
    assert "period" in err["fields"]
    assert Period.objects.count() == before and not Submission.objects.exists()


def test_when_a_value_arrives_for_a_past_period_not_stored_yet_then_it_is_stored(monitored):
    m = monitored
    data = {"indicator": "2.1", "period": "2025-Q3", "value": "80"}
    body = ok(Api(m.health_admin).post(Api.url(m, "/values"), data), 201)
    assert body["period"]["label"] == "2025-Q3" and body["period"]["due"] == "2025-10-30"
