"""The results API's progress figures and the SDG portfolio across partnerships."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.results.conftest import add_qualitative_indicator, build_monitored
from tests.results.test_api_framework import Api, error, ok
from tests.results.test_api_values import coverage_value

pytestmark = pytest.mark.django_db


def test_given_an_approval_when_progress_is_read_then_it_shows_at_once(monitored):
    m = monitored
    api = Api(m.observer)
    before = ok(api.get(Api.url(m, "/progress")))
    coverage = next(i for i in before["indicators"] if i["code"] == "2.1")
    assert coverage["progress"] == "no_data" and coverage["actual"] is None
    coverage_value(m, approve=True)
    body = ok(api.get(Api.url(m, "/progress")))
    coverage = next(i for i in body["indicators"] if i["code"] == "2.1")
    assert coverage["progress"] == "on_track"
    assert coverage["actual"] == "76" and coverage["target"] == "75"
    assert coverage["percent_to_date"] == "120" and coverage["bar"] == "100"
    assert coverage["responsible"]["id"] == m.health.pk
    assert coverage["light"] in ("green", "yellow", "red")
    assert body["totals"]["indicators"] == 2 and body["totals"]["on_track"] == 1
    assert [r["title"] for r in body["results"]] == [
        m.impact.title,
        m.outcome.title,
        m.output.title,
    ]
    assert body["results"][0]["summary"]["indicators"] == 2  # everything below the impact
    sdg = {row["code"]: row for row in body["sdg"]}
    assert sdg["3.b"]["on_track"] == 1 and sdg["3.b"]["indicators"] == 2
    assert {p["organisation"]["id"] for p in body["partners"]} == {m.health.pk, m.ngo.pk}
    assert body["light"] in ("green", "yellow", "red")


def test_given_a_private_partnership_when_outsiders_read_progress_then_404(monitored):
    m = monitored
    assert error(Api(m.outsider).get(Api.url(m, "/progress")), 404)
    assert error(Api().get(Api.url(m, "/progress")), 404)


def test_given_progress_when_read_then_the_queries_stay_few(
    monitored, django_assert_max_num_queries
):
    m = monitored
    coverage_value(m, approve=True)
    api = Api(m.coordinator)
    api.get(Api.url(m, "/progress"))
    with django_assert_max_num_queries(10):
        ok(api.get(Api.url(m, "/progress")))


def test_given_partnerships_when_the_portfolio_is_read_then_only_visible_ones_count(db):
    private = build_monitored("private")
    public = build_monitored("public")
    coverage_value(private, approve=True)
    coverage_value(public, approve=True)
    url = "/api/v1/results/portfolio"

    def goal_three(person) -> dict:
        body = ok(Api(person).get(url))
        return next(g for g in body["goals"] if g["goal"] == "3")

    assert goal_three(None)["partnerships"] == 1
    assert goal_three(PersonFactory())["partnerships"] == 1
    assert goal_three(private.observer)["partnerships"] == 2
    mine = ok(Api(private.observer).get(url, {"goal": "3"}))
    target = next(t for t in mine["targets"] if t["code"] == "3.b")
    assert target["partnerships"] == 2 and target["on_track"] == 2 and target["mean"] == "100"

    body = ok(Api().get(url, {"goal": "3"}))
    assert body["goal"] == "3"
    assert {t["code"] for t in body["targets"]} == {"3.2", "3.b"}
    contributions = {row["target"]: row["partnerships"] for row in body["partnerships"]}
    assert [c["partnership"]["slug"] for c in contributions["3.b"]] == [public.partnership.slug]
    assert contributions["3.b"][0]["progress"]["indicator_codes"]
    assert "goal" in error(Api().get(url, {"goal": "18"}), 422)["fields"]
    assert "goal" in error(Api().get(url, {"goal": "x"}), 422)["fields"]


def test_given_a_qualitative_indicator_then_every_sdg_count_adds_up(monitored):
    """Given a qualitative indicator beside the two scored ones, then the partnership's
    totals, its SDG rows and the portfolio all count it as not scored, not as having no
    data yet, and each row's counts add up to its indicators, in the API and on the
    dashboard's SDG table."""
    m = monitored
    add_qualitative_indicator(m)
    coverage_value(m, approve=True)

    body = ok(Api(m.observer).get(Api.url(m, "/progress")))
    portfolio = ok(Api(m.observer).get("/api/v1/results/portfolio", {"goal": "3"}))

    assert (body["totals"]["no_data"], body["totals"]["not_scored"]) == (1, 1)
    rows = [*body["sdg"], *portfolio["goals"], *portfolio["targets"]]
    by_code = {row["code"]: row for row in body["sdg"]}
    assert (by_code["3.2"]["no_data"], by_code["3.2"]["not_scored"]) == (1, 1)
    for row in rows:
        counted = ("on_track", "at_risk", "off_track", "no_data", "not_scored")
        assert sum(row[name] for name in counted) == row["indicators"], row
    goal = next(g for g in portfolio["goals"] if g["goal"] == "3")
    assert goal["not_scored"] == 1
    page = client_for(m.observer).get(reverse("results-dashboard", args=[m.partnership.slug]))
    assert page.status_code == 200
    sdg_table = page.content.decode().split('id="sdg-title"', 1)[1]
    assert "Not scored (qualitative)" in sdg_table
    drill = client_for(m.observer).get(reverse("results-portfolio-goal", kwargs={"goal": "3"}))
    section = drill.content.decode().split('<span class="sdg-code">3.2</span>', 1)[1]
    cells = re.findall(r'<td class="num">(\d+)</td>', section.split("</table>", 1)[0])
    assert cells == ["3", "1", "0", "0", "1", "1"]  # indicators, on track … not scored
