"""Background work for results: the reminder digests, through the tasks framework."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from sinergi.results import reminders


@task()
def send_reminders_task(*, today: str | None = None, days_ahead: int = reminders.DAYS_AHEAD) -> int:
    """Send the reminder digests for `today` (ISO date; the local date when omitted);
    returns how many people were e-mailed. Addresses the mail server refused are logged
    and tried again by the next run; a mail server out of reach fails the task."""
    day = date.fromisoformat(today) if today else None
    return sum(not digest.error for digest in reminders.send_reminders(day, days_ahead))
