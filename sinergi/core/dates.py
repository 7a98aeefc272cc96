"""The dates the platform takes: a partnership's, a budget's, a transaction's, a
baseline's. Outside these years a date is a typing mistake (9999 for 2029), beyond what
exchange rates cover, and a period computed from it would not fit in a date at all."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def date_range_message() -> str:
    return _("Choose a date between %(start)s and %(end)s.") % {
        "start": EARLIEST_DATE.year,
        "end": LATEST_DATE.year,
    }


def check_in_range(value: date | None, field: str) -> None:
    """A ValidationError on `field` when `value` is a date outside the platform's years."""
    if isinstance(value, date) and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError({field: [date_range_message()]})


# UTC+14 (Kiribati's Line Islands) is the earliest time zone: a date after today there
# is after today everywhere.
EARLIEST_ZONE = timedelta(hours=14)


def latest_past_date() -> date:
    """The latest date that has begun somewhere on Earth: "today" for a person in any time
    zone, whatever the server's. What has happened (a transaction) is dated no later."""
    return (timezone.now() + EARLIEST_ZONE).date()
