"""Who may do what with results, through the services: every kind of person against
every kind of write. Allowed ones succeed; the others raise PermissionDenied and write
nothing. The indicator is DTP3 coverage, reported by the health office."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.access import policy
from sinergi.ledger.models import Entry
from sinergi.results import services
from sinergi.results.models import (
    Dimension,
    Evidence,
    Indicator,
    Period,
    Result,
    Status,
    Submission,
    Target,
)
from tests.factories import PersonFactory

PEOPLE = (
    "coordinator",
    "responsible_admin",
    "responsible_member",
    "other_partner_admin",
    "observer",
    "outsider",
    "staff",
    "anonymous",
    "inactive_coordinator",
)
ACTIONS = ("manage", "save_draft", "submit", "approve", "return", "attach_evidence")

ALLOWED = {
    "manage": {"coordinator", "staff"},
    "save_draft": {"coordinator", "responsible_admin", "responsible_member"},
    "submit": {"coordinator", "responsible_admin", "responsible_member"},
    "attach_evidence": {"coordinator", "responsible_admin", "responsible_member"},
    "approve": {"coordinator"},
    "return": {"coordinator"},
}


def person(m, who: str):
    if who == "anonymous":
        return AnonymousUser()
    if who == "staff":
        return PersonFactory(is_staff=True)
    if who == "inactive_coordinator":
        coordinator = m.coordinator
        coordinator.is_active = False
        coordinator.save(update_fields=["is_active"])
        return type(coordinator).objects.get(pk=coordinator.pk)  # no roles cached
    return {
        "coordinator": m.coordinator,
        "responsible_admin": m.health_admin,
        "responsible_member": m.health_member,
        "other_partner_admin": m.ngo_admin,
        "observer": m.observer,
        "outsider": m.outsider,
    }[who]


def rows() -> dict[str, list]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Dimension, Result, Indicator, Period, Target, Submission, Evidence)
    } | {"Entry": [Entry.objects.count()]}


def manage(m, actor) -> None:
    services.create_result(
        actor=actor, partnership=m.partnership, type="1", title="Vaccine fridges"
    )
    services.set_targets(actor=actor, indicator=m.coverage, targets={"2025-Q1": "76"})
    services.update_indicator(actor=actor, indicator=m.coverage, title="DTP3 coverage (%)")
    services.set_period_closed(actor=actor, period=m.q2, closed=True)


def prepare(m, action: str) -> Submission | None:
    """The value the action works on, entered by the health office's admin."""
    if action in ("manage", "save_draft"):
        return None
    value = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    if action in ("approve", "return"):
        services.submit(actor=m.health_admin, submission=value)
    return value


def act(m, action: str, actor, value: Submission | None) -> None:
    if action == "manage":
        manage(m, actor)
    elif action == "save_draft":
        services.save_draft(actor=actor, indicator=m.coverage, period=m.q1, value="76")
    elif action == "submit":
        services.submit(actor=actor, submission=value)
    elif action == "approve":
        services.approve(actor=actor, submission=value)
    elif action == "return":
        services.return_submission(actor=actor, submission=value, comment="Check the districts")
    elif action == "attach_evidence":
        services.attach_evidence(
            actor=actor,
            submission=value,
            uploaded_file=SimpleUploadedFile("register.csv", b"district,children\nBogor,12\n"),
        )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", PEOPLE)
def test_permission_matrix(monitored, settings, tmp_path, who, action):
    settings.MEDIA_ROOT = tmp_path
    m = monitored
    value = prepare(m, action)
    actor = person(m, who)
    if who in ALLOWED[action]:
        act(m, action, actor, value)
        if value is not None:
            value.refresh_from_db()
            expected = {
                "submit": Status.SUBMITTED,
                "approve": Status.APPROVED,
                "return": Status.RETURNED,
                "attach_evidence": Status.DRAFT,
            }[action]
            assert value.status == expected
        return
    before = rows()
    with pytest.raises(PermissionDenied):
        act(m, action, actor, value)
    assert rows() == before


def test_the_matrix_matches_the_policy_functions(monitored):
    m = monitored
    for who in PEOPLE:
        if who == "inactive_coordinator":
            continue
        actor = person(m, who)
        assert policy.can_manage_results(actor, m.partnership) == (who in ALLOWED["manage"])
        assert policy.can_submit_results(actor, m.partnership, m.health.pk) == (
            who in ALLOWED["submit"]
        )
        assert policy.can_approve_results(actor, m.partnership) == (who in ALLOWED["approve"])


def test_the_other_partner_reports_its_own_indicator_only(monitored):
    m = monitored
    services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="10")
    with pytest.raises(PermissionDenied):
        services.save_draft(actor=m.health_admin, indicator=m.trained, period=m.q1, value="10")
    assert policy.reporting_organisations(m.ngo_admin, m.partnership) == {m.ngo.pk}
    assert policy.reporting_organisations(m.coordinator, m.partnership) is None
    assert policy.reporting_organisations(m.observer, m.partnership) == set()
    assert policy.reporting_organisations(AnonymousUser(), m.partnership) == set()


@pytest.mark.parametrize(
    ("who", "sees_drafts"),
    [
        ("coordinator", True),
        ("responsible_admin", True),
        ("responsible_member", True),
        ("other_partner_admin", False),
        ("observer", False),
        ("outsider", False),
        ("staff", True),
        ("anonymous", False),
    ],
)
def test_who_sees_values_not_yet_approved(monitored, who, sees_drafts):
    m = monitored
    actor = person(m, who)
    assert policy.can_see_unapproved_results(actor, m.partnership, m.health.pk) == sees_drafts


@pytest.mark.parametrize(
    ("who", "private", "public"),
    [
        ("coordinator", True, True),
        ("observer", True, True),
        ("outsider", False, True),
        ("staff", True, True),
        ("anonymous", False, True),
    ],
)
def test_who_reads_results(monitored, public_monitored, who, private, public):
    assert policy.can_view_results(person(monitored, who), monitored.partnership) == private
    assert (
        policy.can_view_results(person(public_monitored, who), public_monitored.partnership)
        == public
    )


def test_a_coordinator_of_another_partnership_has_no_say_here(monitored, public_monitored):
    m, elsewhere = monitored, public_monitored
    value = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="7")
    services.submit(actor=m.health_admin, submission=value)
    stranger = elsewhere.coordinator
    q3 = services.period_for(m.partnership, "quarterly", date(2025, 7, 1))
    before = rows()
    for call in (
        lambda: services.approve(actor=stranger, submission=value),
        lambda: services.return_submission(actor=stranger, submission=value, comment="No"),
        lambda: services.set_targets(
            actor=stranger, indicator=m.coverage, targets={"2025-Q1": "1"}
        ),
        lambda: services.save_draft(actor=stranger, indicator=m.coverage, period=m.q2, value="1"),
        lambda: services.set_period_closed(actor=stranger, period=q3, closed=True),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert rows() == before


@pytest.mark.parametrize("who", ["observer", "outsider", "anonymous", "responsible_admin"])
def test_a_reviewer_without_the_right_is_refused_before_the_comment_is_read(monitored, who):
    m = monitored
    value = prepare(m, "return")
    actor = person(m, who)
    before = rows()
    with pytest.raises(PermissionDenied):
        services.return_submission(actor=actor, submission=value, comment="")
    with pytest.raises(PermissionDenied):
        services.approve(actor=actor, submission=value, comment="x" * 2000)
    assert rows() == before
