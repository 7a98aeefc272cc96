# ruff: noqa: E501, RUF001 (OLD_BODY is the template as it was)
"""The results dashboard and portfolio are cheap to render and never stale.

The dashboard body is rendered in Python (`sinergi.results.render`) and reused while
nothing it shows changes (`queries.fresh_dashboard`, `queries.dashboard_version`); the
portfolio's figures are reused per set of visible partnerships (`queries.fresh_portfolio`).
These tests hold the markup to what the template produced before (`OLD_BODY`, the
template's body with its two includes inlined), the number formatting to `floatformat`,
the queries of a reused page to a bound, and every kind of write to showing at once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sinergi.results import queries, render, services
from sinergi.results.models import Period, Result
from tests.conftest import client_for
from tests.results.conftest import add_indicators, approve

pytestmark = pytest.mark.django_db

OLD_BODY = """{% load i18n %}
{% with t=board.totals %}
<section aria-labelledby="summary-title" class="results-summary">
  <h2 id="summary-title">{% translate "Progress" %}</h2>
  <dl class="facts">
    <dt>{% translate "Indicators" %}</dt><dd>{{ t.indicators }}</dd>
    <dt>{% translate "On track" %}</dt><dd>{{ t.on_track }}</dd>
    <dt>{% translate "At risk" %}</dt><dd>{{ t.at_risk }}</dd>
    <dt>{% translate "Off track" %}</dt><dd>{{ t.off_track }}</dd>
    <dt>{% translate "No data yet" %}</dt><dd>{{ t.no_data }}</dd>
    <dt>{% translate "Not scored (qualitative)" %}</dt><dd>{{ t.not_scored }}</dd>
    <dt>{% translate "Mean percent of target to date" %}</dt><dd>{% if t.mean is not None %}{{ t.mean|floatformat:"-1" }} %{% else %}–{% endif %}</dd>
    <dt>{% translate "Reporting" %}</dt><dd><span class="light light-{{ board.light }}"><span aria-hidden="true">●</span> {{ board.light_label }}</span></dd>
  </dl>
</section>
{% endwith %}

<section aria-labelledby="indicators-title">
  <h2 id="indicators-title">{% translate "Indicators" %}</h2>
  {% if board.indicators %}
  <div class="table-scroll"><table class="list results-indicators">
    <thead><tr><th scope="col">{% translate "Code" %}</th><th scope="col">{% translate "Indicator" %}</th><th scope="col">{% translate "Responsible partner" %}</th><th scope="col">{% translate "Progress" %}</th><th scope="col" class="num">{% translate "Actual to date" %}</th><th scope="col" class="num">{% translate "Target to date" %}</th><th scope="col">{% translate "Percent of target to date" %}</th><th scope="col">{% translate "Trend" %}</th><th scope="col">{% translate "Reporting" %}</th></tr></thead>
    <tbody>
    {% for row in board.indicators %}{% with s=row.status i=row.indicator %}
      <tr>
        <td>{{ i.code }}</td>
        <td><a href="{% url 'results-indicator' partnership.slug i.pk %}">{{ i.title }}</a></td>
        <td>{{ i.responsible.name }}</td>
        <td><span class="progress-badge progress-{{ s.progress }}">{{ s.get_progress_display }}</span></td>
        <td class="num">{% if s.actual is not None %}{{ s.actual|floatformat:"-2" }}{% else %}–{% endif %}</td>
        <td class="num">{% if s.target is not None %}{{ s.target|floatformat:"-2" }}{% else %}–{% endif %}</td>
        <td>{% if s.percent_to_date is not None %}<span class="pbar" aria-hidden="true"><span class="fill progress-{{ s.progress }}" style="width: {{ row.bar|floatformat:'0u' }}%"></span></span> {{ s.percent_to_date|floatformat:"-1" }} %{% else %}–{% endif %}</td>
        <td>{{ s.get_trend_display }}</td>
        <td><span class="light light-{{ row.light }}"><span aria-hidden="true">●</span> {{ row.state_label }}</span> <span class="meta">{{ row.expected.label }}</span></td>
      </tr>
    {% endwith %}{% endfor %}
    </tbody>
  </table></div>
  {% else %}
  <p>{% translate "No indicators yet." %}{% if can_manage %} <a href="{% url 'results-framework' partnership.slug %}">{% translate "Set up the results framework" %}</a>{% endif %}</p>
  {% endif %}
</section>

{% if nodes %}
<section aria-labelledby="framework-title">
  <h2 id="framework-title">{% translate "Results framework" %}</h2>
  <ul class="results-tree">
  {% for node in nodes %}{% with s=node.summary %}
    <li class="depth-{{ node.depth }}">
      <span class="badge">{{ node.result.get_type_display }}</span> <strong>{{ node.result.title }}</strong>
      <span class="meta">{% blocktranslate count n=s.indicators %}{{ n }} indicator{% plural %}{{ n }} indicators{% endblocktranslate %} · {% translate "On track" %} {{ s.on_track }} · {% translate "At risk" %} {{ s.at_risk }} · {% translate "Off track" %} {{ s.off_track }}{% if s.mean is not None %} · {{ s.mean|floatformat:"-1" }} %{% endif %}</span>
      {% if node.indicators %}<ul>{% for row in node.indicators %}<li><a href="{% url 'results-indicator' partnership.slug row.indicator.pk %}">{{ row.indicator.code }} {{ row.indicator.title }}</a> <span class="progress-badge progress-{{ row.status.progress }}">{{ row.status.get_progress_display }}</span></li>{% endfor %}</ul>{% endif %}
    </li>
  {% endwith %}{% endfor %}
  </ul>
</section>
{% endif %}

{% if board.partners %}
<section aria-labelledby="partners-title">
  <h2 id="partners-title">{% translate "Reporting by partner" %}</h2>
  <table class="list">
    <thead><tr><th scope="col">{% translate "Partner" %}</th><th scope="col">{% translate "Reporting" %}</th><th scope="col" class="num">{% translate "Indicators" %}</th><th scope="col" class="num">{% translate "Submitted on time" %}</th><th scope="col" class="num">{% translate "Due" %}</th><th scope="col" class="num">{% translate "Late" %}</th><th scope="col" class="num">{% translate "Missing" %}</th></tr></thead>
    <tbody>{% for p in board.partners %}
      <tr><th scope="row">{{ p.organisation.name }}</th><td><span class="light light-{{ p.light }}"><span aria-hidden="true">●</span> {{ p.light_label }}</span></td><td class="num">{{ p.indicators }}</td><td class="num">{{ p.on_time }}</td><td class="num">{{ p.due }}</td><td class="num">{{ p.late }}</td><td class="num">{{ p.missing }}</td></tr>
    {% endfor %}</tbody>
  </table>
</section>
{% endif %}

{% if board.sdg %}
<section aria-labelledby="sdg-title">
  <h2 id="sdg-title">{% translate "Contribution to the SDGs" %}</h2>
  <table class="list">
    <thead><tr><th scope="col">{% translate "SDG target" %}</th><th scope="col" class="num">{% translate "Indicators" %}</th><th scope="col" class="num">{% translate "On track" %}</th><th scope="col" class="num">{% translate "At risk" %}</th><th scope="col" class="num">{% translate "Off track" %}</th><th scope="col" class="num">{% translate "No data yet" %}</th><th scope="col" class="num">{% translate "Not scored (qualitative)" %}</th><th scope="col">{% translate "Mean percent of target to date" %}</th></tr></thead>
    <tbody>{% for r in board.sdg %}
      <tr><th scope="row"><span class="sdg-code">{{ r.code }}</span> <span lang="{{ r.title_lang }}">{{ r.title|truncatechars:90 }}</span></th><td class="num">{{ r.indicators }}</td><td class="num">{{ r.on_track }}</td><td class="num">{{ r.at_risk }}</td><td class="num">{{ r.off_track }}</td><td class="num">{{ r.no_data }}</td><td class="num">{{ r.not_scored }}</td><td>{% if r.mean is not None %}<span class="pbar" aria-hidden="true"><span class="fill progress-{{ r.progress }}" style="width: {{ r.bar|floatformat:'0u' }}%"></span></span> {{ r.mean|floatformat:"-1" }} %{% else %}–{% endif %}</td></tr>
    {% endfor %}</tbody>
  </table>
</section>
{% endif %}
"""


def _norm(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _without_table_controls(html: str) -> str:
    """The body without what the template never had: the indicator table's filter form,
    its "Showing …" line and its pages (`test_dashboard_table.py` tests those)."""
    html = re.sub(r'<form method="get" action="#indicators-title".*?</form>', "", html, flags=re.S)
    html = re.sub(
        r'<p class="meta">Showing [^<]*</p>|<p class="meta">Menampilkan [^<]*</p>', "", html
    )
    return re.sub(r'<nav class="pagination".*?</nav>', "", html, flags=re.S)


def _old(board, partnership, can_manage: bool) -> str:
    nodes = [node for top in board.tree for node in top.walk()]
    context = {"board": board, "nodes": nodes, "partnership": partnership}
    context["can_manage"] = can_manage
    return engines["django"].from_string(OLD_BODY).render(context)


def url(m) -> str:
    return reverse("results-dashboard", kwargs={"slug": m.partnership.slug})


def page(client, m) -> str:
    response = client.get(url(m))
    assert response.status_code == 200
    html = response.content.decode()
    return _norm(html[html.index("<main") : html.index("</main>")])


def trained_row(html: str) -> str:
    """The table row of the training indicator (1.1)."""
    match = re.search(r"<tr><td>1\.1</td>.*?</tr>", html)
    assert match, html
    return match.group(0)


# ---------------------------------------------------------------- same markup


@pytest.mark.parametrize("lang", ["en", "id"])
def test_given_a_framework_with_values_when_rendered_then_the_markup_is_the_templates(
    monitored, lang
) -> None:
    m = monitored
    approve(m, m.trained, m.q1, "40", {"sex:female": "25", "sex:male": "15"})
    approve(m, m.coverage, m.q1, "76.55", {"sex:female": "80", "sex:male": "73.1"})
    with translation.override(lang):
        board = queries.dashboard(m.partnership, m.observer)
        for can_manage in (True, False):
            old = _norm(_old(board, m.partnership, can_manage))
            body = render.dashboard_body(board, m.partnership, can_manage)
            assert 'class="filters"' in body and 'id="filter-progress"' in body
            new = _norm(_without_table_controls(body))
            assert new == old
    assert "76.55" in new or "76,55" in new


@pytest.mark.parametrize("can_manage", [True, False])
def test_given_no_indicators_when_rendered_then_the_markup_is_the_templates(
    monitored, can_manage
) -> None:
    m = monitored
    services.delete_indicator(actor=m.coordinator, indicator=m.trained)
    services.delete_indicator(actor=m.coordinator, indicator=m.coverage)
    board = queries.dashboard(m.partnership, m.observer)
    new = _norm(render.dashboard_body(board, m.partnership, can_manage))
    assert new == _norm(_old(board, m.partnership, can_manage))
    assert ("Set up the results framework" in new) is can_manage


def test_given_hostile_titles_when_rendered_then_they_are_escaped(monitored) -> None:
    m = monitored
    services.update_indicator(
        actor=m.coordinator, indicator=m.trained, title='<script>alert("x")</script>'
    )
    services.update_result(actor=m.coordinator, result=m.output, title="<b>bold</b> & co")
    board = queries.dashboard(m.partnership, m.observer)
    new = render.dashboard_body(board, m.partnership, True)
    assert "<script>" not in new and "<b>" not in new
    assert "&lt;script&gt;" in new and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in new
    assert _norm(_without_table_controls(new)) == _norm(_old(board, m.partnership, True))


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
    ),
    places=st.sampled_from([-1, -2, 0, 1, 2]),
    lang=st.sampled_from(["en", "id"]),
)
def test_given_any_figure_when_formatted_then_it_is_what_floatformat_gives(
    value, places, lang
) -> None:
    """Grouped as the language groups thousands ("g"), as the indicator page shows them;
    plain digits for attributes ("u")."""
    with translation.override(lang):
        assert render.number(value, places) == floatformat(value, f"{places}g")
        assert render.number(value, places, localize=False) == floatformat(value, f"{places}u")


# ---------------------------------------------------------------- reused, bounded


def test_given_a_dashboard_read_once_when_read_again_then_it_is_reused_in_few_queries(
    monitored, django_assert_max_num_queries, monkeypatch
) -> None:
    m = monitored
    client = client_for(m.observer)
    first = page(client, m)

    def boom(*args, **kwargs):
        raise AssertionError("computed again although nothing changed")

    monkeypatch.setattr(queries, "dashboard", boom)
    with django_assert_max_num_queries(8):
        again = page(client, m)
    assert again == first
    # A coordinator gets the variant with the set-up link, cached apart.
    monkeypatch.undo()
    # (the same body: the framework has indicators, so no set-up link either way).
    summary = '<section aria-labelledby="summary-title"'
    coordinator = page(client_for(m.coordinator), m)
    assert coordinator[coordinator.index(summary) :] == again[again.index(summary) :]


def test_given_many_indicators_when_the_dashboard_is_computed_then_queries_are_bounded(
    monitored, django_assert_max_num_queries
) -> None:
    m = monitored
    add_indicators(m, 60, "Indicator")
    client = client_for(m.observer)
    client.get(url(m))
    from sinergi.core import stored

    stored.clear()
    with django_assert_max_num_queries(14):
        html = page(client, m)
    assert "Indicator 059" in html


# ---------------------------------------------------------------- never stale


def test_given_a_cached_dashboard_when_a_value_is_approved_then_it_shows_at_once(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.observer)
    before = trained_row(page(client, m))
    assert '<td class="num">40</td>' not in before
    approve(m, m.trained, m.q1, "40", {"sex:female": "25", "sex:male": "15"})
    after = trained_row(page(client, m))
    assert '<td class="num">40</td>' in after
    assert "40 %" in after  # of the 100 targeted to date


def test_given_a_cached_dashboard_when_a_target_changes_then_it_shows_at_once(
    monitored,
) -> None:
    m = monitored
    approve(m, m.trained, m.q1, "40", {"sex:female": "25", "sex:male": "15"})
    client = client_for(m.observer)
    assert "40 %" in trained_row(page(client, m))
    services.set_targets(actor=m.coordinator, indicator=m.trained, targets={"2025-Q1": "50"})
    row = trained_row(page(client, m))
    assert "80 %" in row and '<td class="num">50</td>' in row


def trained_period(m):
    """The period the dashboard expects the trained indicator's value for, stored."""
    board = queries.dashboard(m.partnership, m.observer)
    expected = next(r for r in board.indicators if r.indicator == m.trained).expected
    return expected, services.find_period(m.partnership, "quarterly", expected.label)


def test_given_a_cached_dashboard_when_a_value_is_submitted_or_returned_then_the_light_moves(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.observer)
    expected, period = trained_period(m)
    first = trained_row(page(client, m))
    draft = services.save_draft(
        actor=m.ngo_admin,
        indicator=m.trained,
        period=period,
        value="5",
        values={"sex:female": "3", "sex:male": "2"},
    )
    assert trained_row(page(client, m)) == first  # a draft counts as nothing submitted
    services.submit(actor=m.ngo_admin, submission=draft)
    submitted = trained_row(page(client, m))
    assert submitted != first
    state = queries.reporting_state(expected, timezone.localdate(), timezone.localdate())
    assert str(queries.STATE_LABELS[state]) in submitted
    services.return_submission(actor=m.coordinator, submission=draft, comment="Check it")
    assert trained_row(page(client, m)) == first


def test_given_a_cached_dashboard_when_the_framework_or_a_partner_changes_then_it_shows(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.observer)
    page(client, m)
    services.update_result(actor=m.coordinator, result=m.output, title="Midwives trained")
    assert "Midwives trained" in page(client, m)
    # Read from the rows themselves, not only the ledger: an edit that writes no entry
    # (an operator's fix in the database) shows too.
    Result.objects.filter(pk=m.output.pk).update(title="Midwives and nurses trained")
    assert "Midwives and nurses trained" in page(client, m)
    m.ngo.name = "Yayasan Imunisasi Baru"
    m.ngo.save()
    assert "Yayasan Imunisasi Baru" in page(client, m)
    extra = services.create_indicator(
        actor=m.coordinator,
        partnership=m.partnership,
        result=m.output,
        code="1.9",
        title="Cold boxes delivered",
        responsible=m.ngo,
    )
    assert "Cold boxes delivered" in page(client, m)
    services.delete_indicator(actor=m.coordinator, indicator=extra)
    assert "Cold boxes delivered" not in page(client, m)
    services.delete_result(
        actor=m.coordinator,
        result=services.create_result(
            actor=m.coordinator,
            partnership=m.partnership,
            type="1",
            title="Fridges installed",
            parent=m.outcome,
        ),
    )
    assert "Fridges installed" not in page(client, m)


def test_given_a_cached_dashboard_when_read_in_the_other_language_then_it_is_translated(
    monitored,
) -> None:
    m = monitored
    client = client_for(m.observer)
    english = page(client, m)
    indonesian = _norm(client.get(url(m).replace("/en/", "/id/", 1)).content.decode())
    assert english != indonesian


# ---------------------------------------------------------------- portfolio


def portfolio_page(client):
    response = client.get(reverse("results-portfolio"))
    assert response.status_code == 200
    return response


def test_given_a_cached_portfolio_when_a_value_is_approved_then_it_shows_at_once(
    public_monitored,
) -> None:
    m = public_monitored
    client = client_for(None)
    before = portfolio_page(client).context["data"]
    approve(m, m.coverage, m.q1, "76", {"sex:female": "80", "sex:male": "72"})
    after = portfolio_page(client).context["data"]
    assert after.goals == queries.portfolio(AnonymousUser()).goals
    assert after.goals != before.goals


def test_given_a_cached_portfolio_when_a_target_changes_then_it_shows_at_once(
    public_monitored,
) -> None:
    m = public_monitored
    approve(m, m.coverage, m.q1, "76", {"sex:female": "80", "sex:male": "72"})
    client = client_for(None)
    before = portfolio_page(client).context["data"]
    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025-Q1": "95"})
    after = portfolio_page(client).context["data"]
    assert after.goals == queries.portfolio(AnonymousUser()).goals
    assert after.goals != before.goals


def test_given_a_private_partnership_when_a_member_reads_first_then_others_do_not_get_it(
    monitored,
) -> None:
    m = monitored
    member_view = portfolio_page(client_for(m.observer)).context["data"]
    assert member_view.goals  # the member sees their private partnership's SDGs
    for reader in (None, m.outsider):
        data = portfolio_page(client_for(reader)).context["data"]
        assert data.goals == []
    m.partnership.visibility = "public"
    m.partnership.save()
    assert portfolio_page(client_for(None)).context["data"].goals == member_view.goals


def test_given_a_cached_dashboard_when_a_due_date_moves_in_the_database_then_the_lights_move(
    monitored,
) -> None:
    # The expected periods are read from their rows on every request: a due date moved
    # behind the services' back (an operator's fix) moves the partners' lights too.
    m = monitored
    client = client_for(m.observer)
    _expected, period = trained_period(m)
    today = timezone.localdate()
    # From overdue to due, or from due to overdue: either way the state changes.
    due = (
        today + timedelta(days=30)
        if period.due < today
        else max(period.end, today - timedelta(days=1))
    )
    moved = queries.ExpectedPeriod(period.frequency, period.start, period.end, due, period)
    before_state = queries.reporting_state(
        queries.ExpectedPeriod(period.frequency, period.start, period.end, period.due, period),
        None,
        today,
    )
    assert queries.reporting_state(moved, None, today) != before_state
    before = partners_section(page(client, m))
    Period.objects.filter(pk=period.pk).update(due=due)
    after = partners_section(page(client, m))
    assert after != before
    assert after == partners_section(
        render.dashboard_body(
            queries.dashboard(m.partnership, m.observer), m.partnership, False, render.TableView()
        )
    )


def partners_section(html: str) -> str:
    section = html.split('id="partners-title"')[1].split("</section>")[0]
    return re.sub(r">\s+<", "><", section).strip()  # the page is served without the spaces


def test_given_a_title_that_spells_the_next_row_when_that_row_goes_then_the_dashboard_moves(
    monitored,
) -> None:
    # The version joins the results' rows into one string; each title carries its
    # length, so a title that spells out the row after it (as the rows are joined,
    # without lengths) never joins like the two rows did.
    m = monitored
    last = services.create_result(
        actor=m.coordinator, partnership=m.partnership, type="1", title="Fridges", parent=m.outcome
    )
    client = client_for(m.observer)
    assert "Fridges" in page(client, m)
    spelled = f"{last.pk},{last.parent_id},{last.type},{last.position},{last.title}"
    before = (
        Result.objects.filter(partnership=m.partnership).exclude(pk=last.pk).order_by("pk").last()
    )
    Result.objects.filter(pk=last.pk).delete()
    Result.objects.filter(pk=before.pk).update(title=f"{before.title}|{spelled}")
    assert f"{before.title}|{spelled}" in page(client, m)


def test_sdg_titles_on_indonesian_pages_say_when_they_are_english(monitored):
    """Given an Indonesian results dashboard and SDG portfolio, then each SDG title is
    marked with its own language (WCAG 3.1.2): the UN's English target texts as lang="en",
    so a screen reader does not read English words with Indonesian sounds."""
    from django.utils import translation

    from tests.conftest import client_for

    client = client_for(monitored.coordinator)
    with translation.override("id"):
        dashboard = client.get(url(monitored)).text
        portfolio = client.get(reverse("results-portfolio-goal", kwargs={"goal": 3})).text
    for page in (dashboard, portfolio):
        titles = re.findall(r'<span class="sdg-code">[^<]+</span> <span lang="(\w+)">', page)
        assert titles and "en" in titles, page[:500]


def test_each_goal_of_the_portfolio_has_a_title_of_its_own(monitored):
    """Given the portfolio's page for SDG 3 and for SDG 4, then each names its goal in the
    window title (WCAG 2.4.2), not the same "Results portfolio" for all."""
    from tests.conftest import client_for

    client = client_for(monitored.coordinator)
    titles = [
        re.search(
            r"<title>(.*?)</title>",
            client.get(reverse("results-portfolio-goal", kwargs={"goal": goal})).text,
            re.S,
        ).group(1)
        for goal in ("3", "4")
    ]
    assert titles[0].startswith("SDG 3 Good health") and titles[1].startswith("SDG 4 Quality")
    assert all("Results portfolio" in title for title in titles)
