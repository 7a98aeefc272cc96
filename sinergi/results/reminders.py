"""Reminders to report: one digest e-mail per person, listing every value they may report
that is due soon or overdue.

A value is expected from an indicator's responsible partner for every open (not closed)
period of the indicator's frequency, from the period of its first target (or, without
targets, from the partnership's start) to the partnership's end. It is outstanding until
a revision is submitted or approved: nothing entered, a draft and a returned value all
count as not submitted, as on the reporting traffic light (`sinergi.results.queries`).

`digests(today, days_ahead=7)` finds every outstanding value whose due date is at most
`days_ahead` days away or has passed, and gives each person who may report it — the
responsible partner's admins and members in the partnership, and a coordinator who works
for that partner, as `policy.can_submit_results` says — one digest with all of theirs,
across partnerships. `send_reminders(today)` e-mails them through Django's mail API, one
message per person; `send_reminders_task` runs it from the tasks framework, and
`sinergi results remind` from the command line (or cron).

Each digest sent is recorded for its day (`ReminderSent`), and a person already reminded
that day is left out: a run repeated after a failure sends only what failed. An address
the mail server refuses fails its own digest only (`Digest.error`, sent again on the next
run); a mail server that cannot be reached stops the run (`MailServerUnavailable`).

The e-mail is written in the person's language when the model records one; Person has no
language yet, so it is written in every language of the settings (English, then
Indonesian), the default language first.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sinergi.access import policy
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import MemberRole, Membership, Partnership
from sinergi.results.models import Indicator, Period, ReminderSent, Status, Submission, Target

logger = logging.getLogger(__name__)

DAYS_AHEAD = 7
REPORTING_ROLES = (MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN, MemberRole.MEMBER)
# Partnerships that are closed (4) or cancelled (5) expect no more values (IATI
# ActivityStatus).
FINISHED = ("4", "5")


@dataclass(frozen=True)
class DueValue:
    """One value a partner still has to submit."""

    partnership: Partnership
    indicator: Indicator
    period: Period
    organisation: Organisation
    status: str  # "" nothing entered, "draft" or "returned"
    today: date

    @property
    def overdue(self) -> bool:
        return self.period.due < self.today

    @property
    def days(self) -> int:
        """Days until the due date (negative: days overdue)."""
        return (self.period.due - self.today).days

    def path(self) -> str:
        """Where the value is entered, in the active language."""
        return reverse(
            "results-value-edit",
            kwargs={
                "slug": self.partnership.slug,
                "pk": self.indicator.pk,
                "period": self.period.label,
            },
        )


@dataclass
class Digest:
    """Everything one person is reminded of, overdue values first, then by due date."""

    person: Person
    items: list[DueValue] = field(default_factory=list)
    # Why the mail server did not take it ("": sent, or not sent yet).
    error: str = ""

    @property
    def overdue(self) -> list[DueValue]:
        return [item for item in self.items if item.overdue]

    @property
    def due_soon(self) -> list[DueValue]:
        return [item for item in self.items if not item.overdue]


def due_values(
    today: date, days_ahead: int = DAYS_AHEAD, partnerships: Iterable[int] | None = None
) -> list[DueValue]:
    """Every outstanding value due by `today + days_ahead` (overdue ones included)."""
    horizon = today + timedelta(days=days_ahead)
    periods = Period.objects.filter(closed=False, due__lte=horizon, start__lte=today).exclude(
        partnership__activity_status__in=FINISHED
    )
    if partnerships is not None:
        periods = periods.filter(partnership_id__in=list(partnerships))
    by_frequency: dict[tuple[int, str], list[Period]] = defaultdict(list)
    for period in periods.order_by("due", "start"):
        by_frequency[(period.partnership_id, period.frequency)].append(period)
    if not by_frequency:
        return []
    partnership_ids = {pid for pid, _freq in by_frequency}
    indicators = list(
        Indicator.objects.filter(partnership_id__in=partnership_ids)
        .select_related("partnership", "responsible")
        .order_by("partnership_id", "position", "code", "pk")
    )
    first_target = dict(
        Target.objects.filter(indicator__partnership_id__in=partnership_ids)
        .order_by()
        .values("indicator_id")
        .annotate(first=Min("period__start"))
        .values_list("indicator_id", "first")
    )
    period_ids = [p.pk for ps in by_frequency.values() for p in ps]
    done: set[tuple[int, int]] = set()
    latest: dict[tuple[int, int], str] = {}
    rows = (
        Submission.objects.filter(period_id__in=period_ids)
        .order_by("revision")
        .values_list("indicator_id", "period_id", "status")
    )
    for indicator_id, period_id, status in rows:
        if status in (Status.SUBMITTED, Status.APPROVED):
            done.add((indicator_id, period_id))
        latest[(indicator_id, period_id)] = status
    found = []
    for indicator in indicators:
        partnership = indicator.partnership
        start = first_target.get(indicator.pk) or partnership.start_date
        for period in by_frequency.get((indicator.partnership_id, indicator.frequency), ()):
            if start and period.end < start:
                continue
            if partnership.end_date and period.start > partnership.end_date:
                continue
            if (indicator.pk, period.pk) in done:
                continue
            found.append(
                DueValue(
                    partnership=partnership,
                    indicator=indicator,
                    period=period,
                    organisation=indicator.responsible,
                    status=latest.get((indicator.pk, period.pk), ""),
                    today=today,
                )
            )
    return found


def digests(
    today: date | None = None,
    days_ahead: int = DAYS_AHEAD,
    partnerships: Iterable[int] | None = None,
) -> list[Digest]:
    """One digest per person who may report at least one outstanding value, by name."""
    today = today or timezone.localdate()
    values = due_values(today, days_ahead, partnerships)
    if not values:
        return []
    wanted: dict[tuple[int, int], list[DueValue]] = defaultdict(list)
    for value in values:
        wanted[(value.partnership.pk, value.organisation.pk)].append(value)
    memberships = (
        Membership.objects.filter(
            partnership_id__in={pid for pid, _org in wanted},
            role__in=REPORTING_ROLES,
            person__is_active=True,
            person__organisation_id__in={org for _pid, org in wanted},
        )
        .exclude(person__email="")
        .select_related("person", "partnership")
        .order_by("person_id", "partnership_id")
    )
    people: dict[int, Person] = {}
    found: dict[int, Digest] = {}
    for membership in memberships:
        person = people.setdefault(membership.person_id, membership.person)
        key = (membership.partnership_id, person.organisation_id)
        if key not in wanted:
            continue
        if not policy.can_submit_results(person, membership.partnership, person.organisation_id):
            continue
        digest = found.setdefault(person.pk, Digest(person))
        digest.items.extend(wanted[key])
    for digest in found.values():
        digest.items.sort(
            key=lambda v: (
                v.period.due,
                v.partnership.title,
                v.indicator.position,
                v.indicator.code,
            )
        )
    return sorted(found.values(), key=lambda d: (str(d.person).lower(), d.person.pk))


def languages_for(person: Person) -> list[str]:
    """The person's language when the model has one, else every language of the
    settings with the default first."""
    known = [code for code, _name in settings.LANGUAGES]
    own = getattr(person, "language", "") or ""
    if own in known:
        return [own]
    default = settings.LANGUAGE_CODE
    return [default, *(code for code in known if code != default)] if default in known else known


def base_url() -> str:
    """The address people open Sinergi at (setting SITE_URL; the local server otherwise)."""
    return str(getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def render(digest: Digest, base: str | None = None) -> tuple[str, str]:
    """The subject and plain-text body of one digest."""
    base = base_url() if base is None else base.rstrip("/")
    subjects, bodies = [], []
    for language in languages_for(digest.person):
        with translation.override(language):
            count = len(digest.items)
            subjects.append(
                ngettext(
                    "Sinergi: %(count)d value to report",
                    "Sinergi: %(count)d values to report",
                    count,
                )
                % {"count": count}
            )
            items = [
                {
                    "value": item,
                    "url": base + item.path(),
                    "state": _("overdue") if item.overdue else _("due"),
                }
                for item in digest.items
            ]
            bodies.append(
                render_to_string(
                    "results/email/reminder.txt",
                    {"digest": digest, "items": items, "person": digest.person},
                ).strip()
            )
    return " / ".join(subjects), "\n\n----------\n\n".join(bodies) + "\n"


class MailServerUnavailable(Exception):
    """The mail server could not be reached, or dropped the connection: the digests not
    sent yet are sent by the next run."""

    def __init__(self, reason: str, sent: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent


def reminded(today: date) -> set[int]:
    """The people a digest was sent to for `today`."""
    return set(ReminderSent.objects.filter(day=today).values_list("person_id", flat=True))


def send_reminders(
    today: date | None = None,
    days_ahead: int = DAYS_AHEAD,
    *,
    dry_run: bool = False,
    base: str | None = None,
) -> list[Digest]:
    """E-mail each person their digest (one message each), except those already reminded
    for `today`; returns the digests tried (with `dry_run`, that would be: nothing is
    sent). A digest whose address the mail server refused keeps the reason in `error`
    and is tried again by the next run; the others are recorded as sent. Raises
    MailServerUnavailable when the server cannot be reached (or drops the connection)."""
    today = today or timezone.localdate()
    done = reminded(today)
    found = [digest for digest in digests(today, days_ahead) if digest.person.pk not in done]
    if dry_run or not found:
        return found
    sent = 0
    try:
        connection = get_connection()
        connection.open()
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise MailServerUnavailable(_describe(exc), sent) from exc
    try:
        for digest in found:
            subject, body = render(digest, base)
            message = EmailMessage(subject, body, None, [digest.person.email])
            try:
                connection.send_messages([message])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                # This message refused (its address, most often): the others may go.
                digest.error = _describe(exc)
                logger.warning("reminder to %s not sent: %s", digest.person.email, digest.error)
                continue
            except OSError as exc:
                raise MailServerUnavailable(_describe(exc), sent) from exc
            ReminderSent.objects.get_or_create(person=digest.person, day=today)
            sent += 1
    finally:
        try:
            connection.close()
        except OSError:
            logger.warning("closing the mail connection failed", exc_info=True)
    return found


def _describe(error: BaseException) -> str:
    """The mail server's words for an SMTP refusal, else the error itself."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [
            f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for code, text in error.recipients.values()
        ]
        return "; ".join(codes) or str(error)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{error.smtp_code} {text}"
    return str(error) or type(error).__name__
