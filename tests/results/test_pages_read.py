"""Results pages for readers: each page renders for each role in both languages,
outsiders and anonymous readers of a private partnership get 404, observers and the
public see approved values only, and the dashboard's queries stay bounded."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from sinergi.results import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(m, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"slug": m.partnership.slug, **kwargs})


def approve(m, indicator, period, value, values=None, author=None):
    author = author or (m.health_admin if indicator == m.coverage else m.ngo_admin)
    draft = services.save_draft(
        actor=author, indicator=indicator, period=period, value=value, values=values or {}
    )
    services.submit(actor=author, submission=draft)
    return services.approve(actor=m.coordinator, submission=draft)


def reading_pages(m):
    return [
        url(m, "results-dashboard"),
        url(m, "results-indicator", pk=m.trained.pk),
        url(m, "results-indicator", pk=m.coverage.pk),
    ]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_given_each_member_when_reading_results_pages_then_they_render(monitored, lang) -> None:
    m = monitored
    approve(
        m,
        m.trained,
        m.q1,
        "90",
        values={
            "sex:female": "50",
            "sex:male": "40",
            "province:ID-JB": "60",
            "province:ID-JT": "30",
        },
    )
    with translation.override(lang):
        pages = reading_pages(m)
    for person in (m.coordinator, m.health_admin, m.health_member, m.observer):
        client = client_for(person)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (person, page)
            assert response.headers["Content-Language"] == lang or lang == "en"


def test_the_framework_names_a_results_sdg_targets_in_the_readers_language(monitored) -> None:
    """The framework page's SDG label is "TPB" on an Indonesian page, as elsewhere."""
    client = client_for(monitored.coordinator)
    english = client.get(url(monitored, "results-framework")).content.decode()
    assert '<span class="meta">SDG 3.b</span>' in english
    indonesian = client.get(url(monitored, "results-framework").replace("/en/", "/id/", 1))
    assert '<span class="meta">TPB 3.b</span>' in indonesian.content.decode()
    assert "SDG 3" not in indonesian.content.decode()


def test_given_a_private_partnership_when_an_outsider_or_anonymous_reads_then_404(
    monitored,
) -> None:
    m = monitored
    pages = [
        *reading_pages(m),
        url(m, "results-review"),
        url(m, "results-framework"),
        url(m, "results-reporting"),
        url(m, "results-value-edit", pk=m.trained.pk, period="2025-Q1"),
    ]
    for client in (client_for(m.outsider), client_for(None)):
        for page in pages:
            assert client.get(page).status_code == 404, page


def test_given_a_public_partnership_when_anonymous_reads_then_pages_render_without_drafts(
    public_monitored,
) -> None:
    m = public_monitored
    approve(m, m.trained, m.q1, "90")
    services.save_draft(
        actor=m.ngo_admin, indicator=m.trained, period=m.q2, value="654.32", narrative="secret"
    )
    submitted = services.save_draft(
        actor=m.health_admin, indicator=m.coverage, period=m.q1, value="87.65"
    )
    services.submit(actor=m.health_admin, submission=submitted)
    for client in (client_for(None), client_for(m.outsider), client_for(m.observer)):
        for page in reading_pages(m):
            response = client.get(page)
            assert response.status_code == 200
            body = response.content.decode()
            # Under 1,000, so no thousands separator could hide them from these checks.
            assert "654.32" not in body and "87.65" not in body and "secret" not in body
        assert client.get(url(m, "results-review")).status_code in (302, 403)
        assert client.get(url(m, "results-framework")).status_code in (302, 403)
    own = client_for(m.ngo_admin).get(url(m, "results-indicator", pk=m.trained.pk))
    assert "654.32" in own.content.decode()


def test_given_roles_when_opening_forms_then_only_those_allowed_get_them(monitored) -> None:
    m = monitored
    edit = url(m, "results-value-edit", pk=m.coverage.pk, period="2025-Q1")
    assert client_for(m.health_member).get(edit).status_code == 200
    assert client_for(m.coordinator).get(edit).status_code == 200
    assert client_for(m.ngo_admin).get(edit).status_code == 403
    assert client_for(m.observer).get(edit).status_code == 403
    assert client_for(m.observer).get(url(m, "results-reporting")).status_code == 403
    assert client_for(m.health_admin).get(url(m, "results-review")).status_code == 403
    assert client_for(m.health_admin).get(url(m, "results-framework")).status_code == 403
    for name in ("results-review", "results-framework", "results-reporting"):
        assert client_for(m.coordinator).get(url(m, name)).status_code == 200
    for name in ("results-result-new", "results-indicator-new", "results-dimension-new"):
        assert client_for(m.coordinator).get(url(m, name)).status_code == 200
    targets = url(m, "results-targets", pk=m.trained.pk)
    assert client_for(m.coordinator).get(targets).status_code == 200
    reporting = client_for(m.health_admin).get(url(m, "results-reporting"))
    assert reporting.status_code == 200 and "DTP3 coverage" in reporting.content.decode()
    assert "Health workers trained" not in reporting.content.decode()


def test_given_many_indicators_when_reading_the_dashboard_then_queries_are_bounded(
    monitored, django_assert_max_num_queries
) -> None:
    m = monitored
    for i in range(50):
        services.create_indicator(
            actor=m.coordinator,
            partnership=m.partnership,
            result=m.output,
            code=f"9.{i}",
            title=f"Indicator {i}",
            responsible=m.ngo,
        )
    client = client_for(m.observer)
    client.get(url(m, "results-dashboard"))
    with django_assert_max_num_queries(10):
        response = client.get(url(m, "results-dashboard"))
    assert response.status_code == 200
    assert "Indicator 49" in response.content.decode()


def test_given_visible_and_private_partnerships_when_reading_the_portfolio_then_only_visible(
    monitored, public_monitored
) -> None:
    approve(monitored, monitored.coverage, monitored.q1, "76")
    approve(public_monitored, public_monitored.coverage, public_monitored.q1, "72")
    private_title = monitored.partnership.title
    public_title = public_monitored.partnership.title
    for lang in ("en", "id"):
        with translation.override(lang):
            top = reverse("results-portfolio")
            goal = reverse("results-portfolio-goal", kwargs={"goal": "3"})
        assert client_for(None).get(top).status_code == 200
        body = client_for(monitored.outsider).get(goal).content.decode()
        assert public_title in body and private_title not in body
        body = client_for(monitored.observer).get(goal).content.decode()
        assert public_title in body and private_title in body
    assert (
        client_for(None).get(reverse("results-portfolio-goal", kwargs={"goal": "99"})).status_code
        == 404
    )


def test_given_staff_when_opening_the_results_admin_then_every_model_lists(monitored) -> None:
    from sinergi.results import models
    from tests.factories import PersonFactory

    m = monitored
    approve(m, m.trained, m.q1, "90")
    staff = PersonFactory(is_staff=True, is_superuser=True)
    client = client_for(staff)
    for model in (
        models.Dimension,
        models.Result,
        models.Indicator,
        models.Period,
        models.Target,
        models.Submission,
        models.SubmissionValue,
        models.Evidence,
        models.Site,
        models.IndicatorStatus,
        models.SdgProgress,
    ):
        page = reverse(f"admin:results_{model._meta.model_name}_changelist")
        assert client.get(page).status_code == 200, model


def test_given_approved_values_when_reading_an_indicator_then_charts_have_table_alternatives(
    monitored,
) -> None:
    m = monitored
    approve(m, m.trained, m.q1, "90", values={"sex:female": "50", "sex:male": "40"})
    body = client_for(m.observer).get(url(m, "results-indicator", pk=m.trained.pk)).content
    body = body.decode()
    assert 'id="series-data" type="application/json"' in body
    assert 'id="breakdown-data" type="application/json"' in body
    assert "js/Chart.min.js" in body and "sinergi/results.js" in body
    assert body.count('<table class="list">') >= 3


def test_given_disaggregated_values_when_reading_the_history_then_labels_not_keys(
    monitored,
) -> None:
    """Given an approved value broken down by sex, then the submissions history shows
    "Female: 50" with the dimension's name as its title, never the stored key
    "sex:female"."""
    m = monitored
    approve(m, m.trained, m.q1, "90", values={"sex:female": "50", "sex:male": "40"})

    body = client_for(m.observer).get(url(m, "results-indicator", pk=m.trained.pk)).content
    body = body.decode()

    # The dimension's name is text as well, not only a title (which most readers miss).
    hidden = '<span class="visually-hidden">Sex, </span>'
    assert f'<span class="meta" title="Sex">{hidden}Female: 50</span>' in body
    assert f'<span class="meta" title="Sex">{hidden}Male: 40</span>' in body
    assert "sex:female" not in body.replace('"sex:female"', "")  # JSON keys aside


def test_given_an_indonesian_coordinator_when_adding_a_sex_dimension_then_labels_in_indonesian(
    monitored,
) -> None:
    """Given the default categories of a sex dimension, then their labels are in the
    language of whoever adds the dimension (partners may rename them later)."""
    m = monitored
    with translation.override("id"):
        dimension = services.create_dimension(
            actor=m.coordinator, partnership=m.partnership, name="Jenis kelamin", kind="sex"
        )
    with translation.override("en"):
        english = services.create_dimension(
            actor=m.coordinator, partnership=m.partnership, name="Gender", kind="sex"
        )

    assert [c["label"] for c in dimension.categories] == ["Perempuan", "Laki-laki"]
    assert [c["label"] for c in english.categories] == ["Female", "Male"]


def test_given_a_value_to_review_then_its_breakdown_shows_labels_and_grouped_numbers(
    monitored,
) -> None:
    """Given a submitted value of 1100 broken down by sex, then the review page shows
    "Female: 660" (with the dimension as title) and the total with a thousands separator
    in the reader's language, never the stored key "sex:female"."""
    m = monitored
    draft = services.save_draft(
        actor=m.ngo_admin,
        indicator=m.trained,
        period=m.q1,
        value="1100",
        values={"sex:female": "660", "sex:male": "440"},
    )
    services.submit(actor=m.ngo_admin, submission=draft)

    english = client_for(m.coordinator).get(url(m, "results-review")).content.decode()
    with translation.override("id"):
        address = url(m, "results-review")
    indonesian = client_for(m.coordinator).get(address).content.decode()

    assert '<li title="Sex"><span class="visually-hidden">Sex, </span>Female: 660</li>' in english
    assert "sex:female" not in english
    assert "1,100" in english
    assert "1.100" in indonesian
