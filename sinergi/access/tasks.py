"""Background work for access: e-mails go through the tasks framework."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(*, to: str, subject: str, body: str) -> None:
    """Send one plain-text e-mail through the configured backend."""
    send_mail(subject, body, None, [to])
