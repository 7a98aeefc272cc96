"""Bad input to the results services: each is refused with an error naming the field
(or a conflict, or a permission error where that is the rule), and nothing is written."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.core.errors import Conflict
from sinergi.ledger.models import Entry
from sinergi.partnerships.models import Goal
from sinergi.results import services
from sinergi.results.models import (
    Dimension,
    Evidence,
    Indicator,
    IndicatorStatus,
    Period,
    Result,
    SdgProgress,
    Site,
    Status,
    Submission,
    SubmissionValue,
    Target,
)
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.results.conftest import add_qualitative_indicator

MODELS = (
    Dimension,
    Result,
    Indicator,
    Period,
    Target,
    Submission,
    SubmissionValue,
    Site,
    Evidence,
    IndicatorStatus,
    SdgProgress,
    Entry,
    Goal,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def values_in_db() -> list:
    return list(Submission.objects.order_by("pk").values_list("pk", "status", "value", "revision"))


@contextmanager
def refused(field: str | None, kind: type[Exception] = ValidationError):
    """The block raises `kind` (naming `field` for field errors), and the database keeps
    every row as it was."""
    before, rows = counts(), values_in_db()
    with pytest.raises(kind) as err:
        yield err
    if kind is ValidationError:
        assert field in err.value.message_dict, err.value.message_dict
        assert all(err.value.message_dict[field])
    elif kind is Conflict and field is not None:
        assert err.value.field == field
    assert counts() == before
    assert values_in_db() == rows


def draft(m, indicator=None, period=None, **kwargs):
    indicator = indicator or m.coverage
    actor = m.health_admin if indicator.responsible_id == m.health.pk else m.ngo_admin
    return services.save_draft(actor=actor, indicator=indicator, period=period or m.q1, **kwargs)


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value",
    [
        "n/a",
        "12,5",
        "1.2.3",
        "",  # an empty value is allowed in a draft, so checked separately below
        12.5,  # a float: not exact
        float("nan"),
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        Decimal("NaN"),
        True,
        "1e400",
        "99999999999999999",  # 17 digits
        "1234567890.123456",  # 16 significant digits
        "75.12345",  # 5 decimals
        "1e-5",
        "-1",
        "-0.0001",
        "100.0001",  # a percentage above 100
        "101",
        [75],
        {"value": 75},
    ],
)
def test_given_a_bad_number_when_saving_a_draft_then_a_value_error_and_nothing_saved(
    monitored, value
):
    if value == "":
        # Blank in a draft means "not entered yet"; it is refused on submit instead.
        saved = draft(monitored, value=value)
        assert saved.value is None
        with refused("value"):
            services.submit(actor=monitored.health_admin, submission=saved)
        return
    with refused("value"):
        draft(monitored, value=value)


@pytest.mark.parametrize("value", ["0", "100", "99.9999", "0.0001", Decimal("75.5"), 75, " 75 "])
def test_given_good_percentages_then_they_are_kept_exactly(monitored, value):
    saved = draft(monitored, value=value)
    saved.refresh_from_db()
    assert saved.value == Decimal(str(value).strip())


def test_given_a_count_above_100_then_it_is_fine_for_a_unit_indicator(monitored):
    saved = draft(monitored, monitored.trained, value="12345678.5")
    assert saved.value == Decimal("12345678.5")


# ---------------------------------------------------------------- breakdowns


def test_given_a_breakdown_that_does_not_add_up_then_an_error_on_its_dimension(monitored):
    with refused("values.sex") as err:
        draft(
            monitored, monitored.trained, value="100", values={"sex:female": "40", "sex:male": "50"}
        )
    assert "90" in err.value.message_dict["values.sex"][0]


def test_given_a_breakdown_missing_a_category_then_an_error_naming_it(monitored):
    with refused("values.province") as err:
        draft(
            monitored,
            monitored.trained,
            value="100",
            values={"province:ID-JB": "100"},
        )
    assert (
        "ID-JT" in err.value.message_dict["values.province"][0]
        or "Jawa Tengah" in (err.value.message_dict["values.province"][0])
    )


def test_given_an_unknown_category_then_an_error_on_that_key(monitored):
    with refused("values.sex:other"):
        draft(monitored, value="76", values={"sex:other": "76"})
    with refused("values.province:ID-JB"):  # coverage is not broken down by province
        draft(monitored, value="76", values={"province:ID-JB": "76"})


def test_given_a_bad_number_in_a_breakdown_then_an_error_on_that_key(monitored):
    with refused("values.sex:female"):
        draft(monitored, value="76", values={"sex:female": "lots", "sex:male": "75"})
    with refused("values.sex:female"):
        draft(monitored, value="76", values={"sex:female": "101", "sex:male": "75"})
    with refused("values.sex:male"):
        draft(
            monitored, monitored.trained, value="10", values={"sex:female": "11", "sex:male": "-1"}
        )


def test_given_a_breakdown_without_a_total_then_an_error_on_the_value(monitored):
    with refused("value"):
        draft(monitored, monitored.trained, values={"sex:female": "40", "sex:male": "60"})


def test_given_a_percentage_breakdown_then_it_need_not_add_up(monitored):
    saved = draft(monitored, value="76", values={"sex:female": "77", "sex:male": "75"})
    assert saved.values.count() == 2


def test_given_a_breakdown_that_adds_up_in_every_dimension_then_it_is_kept(monitored):
    saved = draft(
        monitored,
        monitored.trained,
        value="100",
        values={
            "sex:female": "40.5",
            "sex:male": "59.5",
            "province:ID-JB": "70",
            "province:ID-JT": "30",
        },
    )
    assert saved.values.count() == 4


# ---------------------------------------------------------------- qualitative


@pytest.fixture
def story(monitored):
    return add_qualitative_indicator(monitored)


@pytest.mark.parametrize("value", ["3", 0, Decimal("1")])
def test_given_a_number_for_a_qualitative_indicator_then_an_error(monitored, story, value):
    with refused("value"):
        draft(monitored, story, value=value, text="Mothers' groups formed")


def test_given_a_code_stored_under_the_older_rule_then_other_edits_still_pass(monitored):
    """Codes were once checked less strictly ("IND 1"): an indicator that has one keeps it
    through an edit of its other fields, and only a new code must follow the rule."""
    m = monitored
    Indicator.objects.filter(pk=m.coverage.pk).update(code="IND 1")
    stored = Indicator.objects.get(pk=m.coverage.pk)
    changed = services.update_indicator(actor=m.coordinator, indicator=stored, title="Coverage")
    assert (changed.code, changed.title) == ("IND 1", "Coverage")
    with refused("code"):
        services.update_indicator(actor=m.coordinator, indicator=stored, code="IND 2")


def test_given_a_breakdown_for_a_qualitative_indicator_then_an_error(monitored, story):
    """A qualitative value has no breakdown by category: one sent is refused on its key
    rather than dropped; empty boxes are fine."""
    with refused("values.sex:female"):
        draft(monitored, story, text="Mothers' groups formed", values={"sex:female": "1"})
    saved = draft(monitored, story, text="Mothers' groups formed", values={"sex:female": ""})
    assert not saved.values.exists()


def test_given_a_qualitative_draft_without_text_then_it_cannot_be_submitted(monitored, story):
    saved = draft(monitored, story, text="")
    with refused("text"):
        services.submit(actor=monitored.health_admin, submission=saved)


def test_given_a_qualitative_indicator_then_no_numeric_targets_or_baseline(monitored, story):
    with refused("targets"):
        services.set_targets(actor=monitored.coordinator, indicator=story, targets={"2025-Q1": "1"})
    with refused("baseline_value"):
        services.update_indicator(actor=monitored.coordinator, indicator=story, baseline_value="1")


# ---------------------------------------------------------------- periods


def test_given_a_closed_period_then_no_value_is_entered_or_submitted(monitored):
    m = monitored
    open_draft = draft(m, value="76")
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    m.q1.refresh_from_db()
    with refused("period"):
        draft(m, m.trained, value="10")
    with refused("period"):
        draft(m, value="77")
    with refused("period"):
        services.submit(actor=m.health_admin, submission=open_draft)


def test_given_a_period_not_started_then_no_value(monitored):
    m = monitored
    later = services.period_for(m.partnership, "quarterly", date(2099, 1, 1))
    with refused("period"):
        draft(m, period=later, value="76")


def test_given_a_period_of_another_frequency_then_no_value(monitored):
    m = monitored
    year = services.find_period(m.partnership, "yearly", "2025")
    month = services.find_period(m.partnership, "monthly", "2025-02")
    with refused("period"):
        draft(m, period=year, value="76")
    with refused("period"):
        draft(m, period=month, value="76")


def test_given_a_period_of_another_partnership_then_no_value(monitored):
    m = monitored
    other = services.period_for(PartnershipFactory(), "quarterly", date(2025, 1, 1))
    with refused("period"):
        draft(m, period=other, value="76")


@pytest.mark.parametrize("label", ["2025", "2025-Q5", "2025-13", "Q1 2025", "", "0000-Q1"])
def test_given_a_target_for_a_label_that_is_not_a_quarter_then_an_error(monitored, label):
    with refused(f"targets.{label}"):
        services.set_targets(
            actor=monitored.coordinator, indicator=monitored.coverage, targets={label: "80"}
        )


def test_given_bad_target_values_then_errors_naming_period_and_category(monitored):
    m = monitored
    with refused("targets.2025-Q1"):
        services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025-Q1": "101"})
    with refused("targets.2025-Q1"):
        services.set_targets(actor=m.coordinator, indicator=m.trained, targets={"2025-Q1": "-3"})
    with refused("targets.2025-Q1.sex:other"):
        services.set_targets(
            actor=m.coordinator,
            indicator=m.coverage,
            targets={},
            by_category={"2025-Q1": {"sex:other": "40"}},
        )
    with refused("targets.2025-Q2"):
        # The first label is fine; the second fails: neither is written.
        services.set_targets(
            actor=m.coordinator,
            indicator=m.coverage,
            targets={"2025-Q3": "50", "2025-Q2": "abc"},
        )


# ---------------------------------------------------------------- the value's life


def test_given_an_empty_draft_when_submitted_then_an_error_on_the_value(monitored):
    saved = draft(monitored)
    with refused("value"):
        services.submit(actor=monitored.health_admin, submission=saved)


def test_given_a_submitted_value_when_edited_then_a_conflict(monitored):
    m = monitored
    saved = draft(m, value="76")
    services.submit(actor=m.health_admin, submission=saved)
    with refused("value", Conflict):
        draft(m, value="77")
    with refused("status", Conflict):
        services.submit(actor=m.health_admin, submission=saved)
    with refused("file", Conflict):
        services.attach_evidence(
            actor=m.health_admin,
            submission=Submission.objects.get(pk=saved.pk),
            uploaded_file=SimpleUploadedFile("list.pdf", b"%PDF-1.4"),
        )


def test_given_a_draft_when_approved_or_returned_then_a_conflict(monitored):
    m = monitored
    saved = draft(m, value="76")
    with refused("status", Conflict):
        services.approve(actor=m.coordinator, submission=saved)
    with refused("status", Conflict):
        services.return_submission(actor=m.coordinator, submission=saved, comment="Why?")


def test_given_an_approved_value_when_approved_again_then_a_conflict(monitored):
    m = monitored
    saved = draft(m, value="76")
    services.submit(actor=m.health_admin, submission=saved)
    services.approve(actor=m.coordinator, submission=saved)
    with refused("status", Conflict):
        services.approve(actor=m.coordinator_2, submission=saved)
    with refused("status", Conflict):
        services.return_submission(actor=m.coordinator_2, submission=saved, comment="Late")


def test_given_ones_own_value_then_approving_it_is_refused(monitored):
    m = monitored
    saved = services.save_draft(actor=m.coordinator, indicator=m.trained, period=m.q1, value="90")
    services.submit(actor=m.coordinator, submission=saved)
    with refused(None, PermissionDenied):
        services.approve(actor=m.coordinator, submission=saved)
    with refused(None, PermissionDenied):
        services.return_submission(actor=m.coordinator, submission=saved, comment="Mine")
    # Submitted by the other coordinator on the partner's behalf: still an author.
    other = services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q2, value="9")
    services.submit(actor=m.coordinator_2, submission=other)
    with refused(None, PermissionDenied):
        services.approve(actor=m.coordinator_2, submission=other)


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_given_no_comment_when_returning_then_an_error_on_the_comment(monitored, comment):
    m = monitored
    saved = draft(m, value="76")
    services.submit(actor=m.health_admin, submission=saved)
    with refused("comment"):
        services.return_submission(actor=m.coordinator, submission=saved, comment=comment)
    assert Submission.objects.get(pk=saved.pk).status == Status.SUBMITTED


def test_given_too_long_texts_then_errors_naming_them(monitored):
    m = monitored
    with refused("narrative"):
        draft(m, value="76", narrative="x" * 10001)
    saved = draft(m, value="76")
    services.submit(actor=m.health_admin, submission=saved)
    with refused("comment"):
        services.approve(actor=m.coordinator, submission=saved, comment="x" * 1001)


@pytest.mark.parametrize(
    ("site", "field"),
    [
        ({"name": "", "latitude": "0", "longitude": "0"}, "sites.0.name"),
        ({"name": "Puskesmas", "latitude": "91", "longitude": "0"}, "sites.0.latitude"),
        ({"name": "Puskesmas", "latitude": "-6.9", "longitude": "181"}, "sites.0.longitude"),
        ({"name": "Puskesmas", "latitude": "abc", "longitude": "107.6"}, "sites.0.latitude"),
        (
            {"name": "Puskesmas", "latitude": "-6.9", "longitude": "107.6", "subdivision": "ID-XX"},
            "sites.0.subdivision",
        ),
    ],
)
def test_given_a_bad_site_then_an_error_naming_it(monitored, site, field):
    with refused(field):
        draft(monitored, value="76", sites=[site])


def test_given_an_empty_evidence_file_then_an_error_on_the_file(monitored):
    saved = draft(monitored, value="76")
    with refused("file"):
        services.attach_evidence(
            actor=monitored.health_admin,
            submission=saved,
            uploaded_file=SimpleUploadedFile("empty.pdf", b""),
        )


# ---------------------------------------------------------------- the framework


def test_given_an_output_above_an_impact_then_an_error_on_the_parent(monitored):
    m = monitored
    with refused("parent"):
        services.create_result(
            actor=m.coordinator, partnership=m.partnership, type="3", title="X", parent=m.output
        )
    with refused("parent"):
        services.create_result(
            actor=m.coordinator, partnership=m.partnership, type="2", title="X", parent=m.output
        )
    with refused("parent"):
        services.update_result(actor=m.coordinator, result=m.impact, parent=m.outcome)
    with refused("type"):
        # The outcome has an output under it: it cannot become an output itself.
        services.update_result(actor=m.coordinator, result=m.outcome, type="1")


def test_given_a_result_moved_under_its_own_descendant_then_an_error_on_the_parent(monitored):
    m = monitored
    top = services.create_result(
        actor=m.coordinator, partnership=m.partnership, type="9", title="Top"
    )
    middle = services.create_result(
        actor=m.coordinator, partnership=m.partnership, type="9", title="Middle", parent=top
    )
    bottom = services.create_result(
        actor=m.coordinator, partnership=m.partnership, type="9", title="Bottom", parent=middle
    )
    with refused("parent"):
        services.update_result(actor=m.coordinator, result=top, parent=bottom)
    with refused("parent"):
        services.update_result(actor=m.coordinator, result=top, parent=top)


def test_given_framework_rows_of_another_partnership_then_errors(monitored):
    m = monitored
    other = PartnershipFactory()
    foreign_goal = Goal.objects.create(partnership=other, title="Elsewhere")
    foreign = Result.objects.create(partnership=other, type="3", title="Elsewhere")
    with refused("parent"):
        services.create_result(
            actor=m.coordinator, partnership=m.partnership, type="2", title="X", parent=foreign
        )
    with refused("goal"):
        services.create_result(
            actor=m.coordinator, partnership=m.partnership, type="3", title="X", goal=foreign_goal
        )
    with refused("result"):
        indicator_kwargs(m, result=foreign)


@pytest.mark.parametrize("targets", [["3.z"], ["18.1"], "3.2, nonsense", ["3.b.1"]])
def test_given_unknown_sdg_targets_on_a_result_then_an_error(monitored, targets):
    with refused("sdg_targets"):
        services.create_result(
            actor=monitored.coordinator,
            partnership=monitored.partnership,
            type="3",
            title="X",
            sdg_targets=targets,
        )


def test_given_a_result_with_something_under_it_then_it_is_not_deleted(monitored):
    m = monitored
    with refused(None, Conflict):
        services.delete_result(actor=m.coordinator, result=m.outcome)  # has indicators
    with refused(None, Conflict):
        services.delete_result(actor=m.coordinator, result=m.impact)  # has children


def indicator_kwargs(m, **overrides):
    data = {
        "actor": m.coordinator,
        "partnership": m.partnership,
        "result": m.output,
        "code": "1.2",
        "title": "Factories audited",
        "measure": "1",
        "frequency": "quarterly",
        "accumulation": "cumulative",
        "responsible": m.ngo,
    }
    data.update(overrides)
    return services.create_indicator(**data)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "1.1"}, "code"),  # taken by "trained"
        ({"code": ""}, "code"),
        ({"code": "=SUM(A1)"}, "code"),
        # Part of the indicator's address and of a spreadsheet's first column:
        ({"code": "?#"}, "code"),
        ({"code": ".."}, "code"),
        ({"code": "a b"}, "code"),
        ({"code": "\u202e1.1"}, "code"),  # a right-to-left override: reads as another code
        ({"code": "\u216b"}, "code"),  # a Roman numeral twelve
        ({"code": "x" * 21}, "code"),
        ({"title": ""}, "title"),
        ({"measure": "4"}, "measure"),
        ({"frequency": "weekly"}, "frequency"),
        ({"accumulation": "running"}, "accumulation"),
        ({"ascending": "no"}, "ascending"),
        ({"ascending": False}, "accumulation"),  # cumulative and a decrease as aim
        ({"measure": "2"}, "accumulation"),  # a cumulative percentage
        ({"accumulation": "level", "measure": "2", "baseline_value": "120"}, "baseline_value"),
        ({"baseline_value": "-1"}, "baseline_value"),
        ({"baseline_value": "ten"}, "baseline_value"),
        ({"baseline_value": "1", "baseline_date": "31/12/2024"}, "baseline_date"),
        ({"sdg_indicator": "3.b"}, "sdg_indicator"),  # a target, not an indicator
        ({"sdg_indicator": "3.b.9"}, "sdg_indicator"),
        ({"sdg_indicator": "nonsense"}, "sdg_indicator"),
        ({"result": None}, "result"),
        ({"responsible": None}, "responsible"),
    ],
)
def test_given_a_bad_indicator_then_an_error_naming_the_field(monitored, overrides, field):
    with refused(field):
        indicator_kwargs(monitored, **overrides)


def test_given_a_responsible_organisation_that_is_not_a_partner_then_an_error(monitored):
    with refused("responsible"):
        indicator_kwargs(monitored, responsible=OrganisationFactory())


def test_given_a_dimension_of_another_partnership_then_an_error(monitored):
    other = PartnershipFactory()
    foreign = Dimension.objects.create(
        partnership=other, code="sex", name="Sex", kind="sex", categories=[]
    )
    with refused("dimensions"):
        indicator_kwargs(monitored, dimensions=[foreign])


def test_given_a_duplicate_code_on_update_then_an_error(monitored):
    m = monitored
    with refused("code"):
        services.update_indicator(actor=m.coordinator, indicator=m.coverage, code="1.1")


def test_given_values_then_the_frequency_and_measure_are_fixed(monitored):
    m = monitored
    draft(m, value="76")
    with refused("frequency"):
        services.update_indicator(actor=m.coordinator, indicator=m.coverage, frequency="yearly")
    with refused("measure"):
        services.update_indicator(actor=m.coordinator, indicator=m.coverage, measure="1")


def test_given_targets_then_the_frequency_is_fixed_until_they_are_cleared(monitored):
    """Targets belong to periods of the indicator's frequency: a yearly indicator cannot
    keep quarterly targets (its progress would mix the two)."""
    m = monitored
    with refused("frequency"):
        services.update_indicator(actor=m.coordinator, indicator=m.coverage, frequency="yearly")
    services.set_targets(
        actor=m.coordinator,
        indicator=m.coverage,
        targets={f"2025-Q{n}": "" for n in range(1, 5)},
    )
    services.update_indicator(actor=m.coordinator, indicator=m.coverage, frequency="yearly")
    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2025": "90"})
    status = IndicatorStatus.objects.get(indicator=m.coverage)
    assert status.final_target == Decimal("90")


def test_given_values_then_the_indicator_is_not_deleted(monitored):
    m = monitored
    draft(m, value="76")
    with refused(None, Conflict):
        services.delete_indicator(actor=m.coordinator, indicator=m.coverage)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "kind": "sex"}, "name"),
        ({"name": "Sex", "kind": "gender"}, "kind"),
        ({"name": "Sex", "kind": "sex"}, "name"),  # already there (its code is made from the name)
        ({"name": "Ward", "kind": "subdivision", "categories": ["ID-XX", "ID-JB"]}, "categories"),
        ({"name": "Group", "kind": "custom", "categories": ["a"]}, "categories"),
        ({"name": "Group", "kind": "custom", "categories": ["a", "a"]}, "categories"),
        ({"name": "Group", "kind": "custom", "categories": ["a:b", "c"]}, "categories"),
        ({"name": "Group", "kind": "custom"}, "categories"),
    ],
)
def test_given_a_bad_dimension_then_an_error_naming_the_field(monitored, kwargs, field):
    with refused(field):
        services.create_dimension(
            actor=monitored.coordinator, partnership=monitored.partnership, **kwargs
        )


def test_given_text_for_a_number_indicator_then_an_error_and_the_draft_kept(monitored):
    """Text sent for an indicator that takes a number used to be dropped without a word,
    and the draft's value with it (the API's reviewer found it)."""
    m = monitored
    saved = draft(m, m.coverage, value="76", narrative="ok")
    with refused("text"):
        draft(m, m.coverage, text="hello")
    kept = Submission.objects.get(pk=saved.pk)
    assert (kept.value, kept.narrative) == (Decimal("76"), "ok")


@pytest.mark.parametrize("when", ["1800-01-01", "9999-12-31"])
def test_given_a_baseline_date_beyond_the_platforms_years_then_an_error(monitored, when):
    m = monitored
    with refused("baseline_date"):
        services.update_indicator(
            actor=m.coordinator,
            indicator=Indicator.objects.get(pk=m.coverage.pk),
            baseline_date=when,
        )


def test_the_parent_errors_read_well_for_each_type(monitored):
    """ "A outcome cannot sit under a outcome" was the message for an outcome moved under
    itself (the API review): itself is said first, and types are named as labels."""
    m = monitored
    with refused("parent") as err:
        services.update_result(actor=m.coordinator, result=m.outcome, parent=m.outcome)
    assert err.value.message_dict["parent"] == ["A result cannot sit under itself."]
    with refused("parent") as err:
        services.update_result(actor=m.coordinator, result=m.impact, parent=m.outcome)
    [message] = err.value.message_dict["parent"]
    assert message.startswith("“Impact” cannot sit under “Outcome”"), message


def test_clearing_a_target_of_a_period_with_no_row_makes_no_row(monitored):
    m = monitored
    before = Period.objects.filter(partnership=m.partnership).count()

    services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={"2031-Q1": None})

    assert Period.objects.filter(partnership=m.partnership).count() == before


@pytest.mark.parametrize("label", ["1949-Q4", "2200-Q1"])
def test_a_period_beyond_the_platforms_years_is_refused(monitored, label):
    m = monitored
    with refused(f"targets.{label}"):
        services.set_targets(actor=m.coordinator, indicator=m.coverage, targets={label: "80"})


def test_a_dimension_named_as_another_is_refused_on_its_name(monitored):
    """Its code is made from the name, and the form has no code: the clash was said as
    "this code", in a box above the form (the forms review)."""
    m = monitored
    with refused("name") as err:
        services.create_dimension(
            actor=m.coordinator, partnership=m.partnership, name="Sex", kind="sex"
        )
    assert err.value.message_dict["name"] == ["Another dimension already has this name."]
    with refused("code"):
        services.create_dimension(
            actor=m.coordinator, partnership=m.partnership, name="Gender", kind="sex", code="sex"
        )
