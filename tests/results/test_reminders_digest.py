"""Reminder digests: one e-mail per person who may report, listing each of their values
due within the days ahead or overdue and not yet submitted."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sinergi.results import reminders, services
from sinergi.results.tasks import send_reminders_task

# 2025-Q1 was due on 30 April (overdue); 2025-Q2 is due on 30 July (within 7 days);
# 2025-Q3 is due on 30 October (not yet).
TODAY = date(2025, 7, 25)


def items_of(digests) -> dict[str, list[tuple[str, str]]]:
    return {
        d.person.username: [(i.indicator.code, i.period.label) for i in d.items] for d in digests
    }


def test_given_two_partners_when_digests_are_made_then_each_reporter_gets_their_partners_values(
    monitored,
) -> None:
    m = monitored
    found = items_of(reminders.digests(TODAY))
    coverage = [("2.1", "2025-Q1"), ("2.1", "2025-Q2")]
    trained = [("1.1", "2025-Q1"), ("1.1", "2025-Q2")]
    assert found == {
        # The health partner's admin, member and the coordinator who works there.
        m.health_admin.username: coverage,
        m.health_member.username: coverage,
        m.coordinator_2.username: coverage,
        # The NGO's admin and the coordinator who works there.
        m.ngo_admin.username: trained,
        m.coordinator.username: trained,
    }


def test_given_digests_then_observers_and_outsiders_are_not_reminded(monitored) -> None:
    m = monitored
    people = {d.person.pk for d in reminders.digests(TODAY)}
    assert m.observer.pk not in people
    assert m.outsider.pk not in people


def test_given_overdue_and_due_values_then_overdue_come_first_and_are_marked(monitored) -> None:
    digest = next(d for d in reminders.digests(TODAY) if d.person == monitored.health_admin)
    assert [i.overdue for i in digest.items] == [True, False]
    assert [i.period.label for i in digest.overdue] == ["2025-Q1"]
    assert [i.period.label for i in digest.due_soon] == ["2025-Q2"]
    assert digest.items[0].days == -86


def test_given_no_days_ahead_then_only_overdue_values_are_listed(monitored) -> None:
    found = items_of(reminders.digests(TODAY, days_ahead=0))
    assert found[monitored.health_admin.username] == [("2.1", "2025-Q1")]


def test_given_submitted_and_approved_values_then_they_are_left_out(monitored) -> None:
    m = monitored
    q1 = services.save_draft(actor=m.health_admin, indicator=m.coverage, period=m.q1, value="76")
    services.submit(actor=m.health_admin, submission=q1)
    assert items_of(reminders.digests(TODAY))[m.health_admin.username] == [("2.1", "2025-Q2")]
    services.approve(actor=m.coordinator, submission=q1)
    assert items_of(reminders.digests(TODAY))[m.health_admin.username] == [("2.1", "2025-Q2")]


def test_given_a_draft_or_a_returned_value_then_it_is_still_due(monitored) -> None:
    m = monitored
    q1 = services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q1, value="90")
    services.save_draft(actor=m.ngo_admin, indicator=m.trained, period=m.q2, value="80")
    services.submit(actor=m.ngo_admin, submission=q1)
    services.return_submission(actor=m.coordinator_2, submission=q1, comment="Check Banten")
    digest = next(d for d in reminders.digests(TODAY) if d.person == m.ngo_admin)
    assert [(i.period.label, i.status) for i in digest.items] == [
        ("2025-Q1", "returned"),
        ("2025-Q2", "draft"),
    ]


def test_given_a_closed_period_then_nothing_is_due_for_it(monitored) -> None:
    m = monitored
    services.set_period_closed(actor=m.coordinator, period=m.q1, closed=True)
    found = items_of(reminders.digests(TODAY))
    assert found[m.health_admin.username] == [("2.1", "2025-Q2")]


def test_given_people_without_an_address_or_inactive_then_they_are_left_out(monitored) -> None:
    m = monitored
    m.health_member.email = ""
    m.health_member.save()
    m.health_admin.is_active = False
    m.health_admin.save()
    people = {d.person.pk for d in reminders.digests(TODAY)}
    assert m.health_member.pk not in people
    assert m.health_admin.pk not in people
    assert m.coordinator_2.pk in people


def test_when_reminders_are_sent_then_each_person_gets_one_email_with_all_values(
    monitored, mailoutbox
) -> None:
    m = monitored
    sent = reminders.send_reminders(TODAY, base="https://sinergi.example")
    assert len(mailoutbox) == len(sent) == 5
    assert sorted(tuple(mail.to) for mail in mailoutbox) == sorted(
        (p.email,)
        for p in (m.health_admin, m.health_member, m.coordinator_2, m.ngo_admin, m.coordinator)
    )
    mail = next(mail for mail in mailoutbox if mail.to == [m.health_admin.email])
    assert "2 values to report" in mail.subject
    assert "2.1 DTP3 coverage" in mail.body
    assert "2025-Q1" in mail.body and "2025-Q2" in mail.body
    assert "due 2025-04-30: overdue" in mail.body
    link = (
        f"https://sinergi.example/en/partnerships/{m.partnership.slug}/results/indicators/"
        f"{m.coverage.pk}/values/2025-Q1/"
    )
    assert link in mail.body
    # Written in English and in Indonesian (people have no language of their own yet).
    assert "/id/partnerships/" in mail.body


def test_given_nothing_due_then_no_email_is_sent(monitored, mailoutbox) -> None:
    assert reminders.send_reminders(date(2025, 3, 1)) == []
    assert mailoutbox == []


def test_when_the_task_runs_then_the_digests_are_sent(monitored, mailoutbox) -> None:
    send_reminders_task.enqueue(today=TODAY.isoformat(), days_ahead=0)
    assert len(mailoutbox) == 5
    assert all("1 value to report" in mail.subject for mail in mailoutbox)


def test_when_remind_runs_dry_then_it_lists_the_digests_and_sends_nothing(
    monitored, mailoutbox
) -> None:
    m = monitored
    out = StringIO()
    call_command("results", "remind", "--date", "2025-07-25", "--dry-run", stdout=out)
    text = out.getvalue()
    assert mailoutbox == []
    assert f"{m.health_admin.username} <{m.health_admin.email}>: 2 values (1 overdue)" in text
    assert f"  {m.partnership.slug} 2.1 2025-Q1 due 2025-04-30 overdue" in text
    assert text.rstrip().endswith("would e-mail 5 people")


def test_when_remind_runs_then_it_sends_one_email_per_person(monitored, mailoutbox) -> None:
    out = StringIO()
    call_command("results", "remind", "--date", "2025-07-25", "--days", "0", stdout=out)
    assert len(mailoutbox) == 5
    assert out.getvalue().rstrip().endswith("e-mailed 5 people")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--date", "25/07/2025"], "YYYY-MM-DD"), (["--days", "-1"], "0 or more")],
)
def test_given_bad_arguments_then_remind_says_what_is_wrong(db, args, message) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("results", "remind", *args)


def test_when_rebuild_runs_then_every_indicator_is_assessed(monitored) -> None:
    out = StringIO()
    call_command("results", "rebuild", stdout=out)
    assert "OK: 2 indicators assessed" in out.getvalue()
    out = StringIO()
    call_command("results", "rebuild", "--partnership", monitored.partnership.slug, stdout=out)
    assert "OK: 2 indicators assessed" in out.getvalue()
    with pytest.raises(CommandError, match="slug"):
        call_command("results", "rebuild", "--partnership", "no-such-partnership")
