"""A transaction is recorded once it has happened: no value date after today.

The IATI Standard: a transaction's date "must not be in the future". "Today" is the
latest date that has begun anywhere (UTC+14), so a person east of the server, in Papua
at UTC+9 say, can record what happened this morning while the server's clock is still on
yesterday. Pages, the API, the spreadsheet import and corrections all take the one rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from sinergi.core import dates
from sinergi.finance import services
from sinergi.finance.models import Transaction
from sinergi.ledger.models import Entry
from tests.conftest import client_for
from tests.finance.import_helpers import csv_bytes, expenditure_row
from tests.finance.test_api_transactions import Api, error, expenditure_body, ok
from tests.finance.test_import_api import post as post_import
from tests.finance.test_pages_forms import field_error, tx_data
from tests.finance.test_pages_read import url
from tests.finance.test_services_transactions import expenditure

pytestmark = pytest.mark.django_db

REFUSED = "cannot be after today"


def tomorrow_everywhere() -> date:
    return dates.latest_past_date() + timedelta(days=1)


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the rule reads to a UTC moment."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(dates, "timezone", _Clock(moment))

    return set_to


class _Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.mark.parametrize(
    ("moment", "latest"),
    [
        # 10:00 UTC on 2 December is already midnight past on 3 December at UTC+14.
        (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), date(2026, 12, 3)),
        # 09:59 UTC: 3 December has begun nowhere yet.
        (datetime(2026, 12, 2, 9, 59, tzinfo=UTC), date(2026, 12, 2)),
        # 23:30 UTC on 31 December: the new year has begun in Jakarta and Jayapura.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_today_is_the_latest_date_begun_anywhere(clock, moment, latest):
    clock(moment)

    assert dates.latest_past_date() == latest


def test_a_value_date_up_to_today_anywhere_is_recorded_and_the_next_day_refused(funded, clock):
    clock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))

    kept = expenditure(funded, value_date=date(2026, 12, 3))
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as refused:
        expenditure(funded, value_date=date(2026, 12, 4))

    assert kept.value_date == date(2026, 12, 3)
    assert REFUSED in refused.value.message_dict["value_date"][0]
    assert Transaction.objects.count() == 1 and Entry.objects.count() == before


def test_a_correction_to_a_future_date_is_refused_and_the_original_stands(funded):
    original = expenditure(funded, value_date=date(2026, 4, 2))
    before = Entry.objects.count()

    with pytest.raises(ValidationError) as refused:
        services.correct_transaction(
            actor=funded.ngo_admin,
            transaction=original,
            reason="Wrong date",
            value_date=tomorrow_everywhere(),
        )

    assert REFUSED in refused.value.message_dict["value_date"][0]
    assert list(Transaction.objects.values_list("pk", flat=True)) == [original.pk]
    assert Entry.objects.count() == before


def test_the_api_answers_422_on_value_date_and_writes_nothing(funded):
    api = Api(funded.ngo_admin)
    path = api.url(funded, "/transactions")
    before = Entry.objects.count()

    refused = error(
        api.post(path, expenditure_body(funded, value_date=tomorrow_everywhere().isoformat())),
        422,
    )
    kept = ok(
        api.post(path, expenditure_body(funded, value_date=timezone.localdate().isoformat())),
        201,
    )

    assert list(refused["fields"]) == ["value_date"]
    assert REFUSED in refused["fields"]["value_date"][0]
    assert Transaction.objects.count() == 1 and kept["value_date"] == str(timezone.localdate())
    assert Entry.objects.count() == before + 1


def test_the_page_shows_the_message_inline_in_both_languages_and_offers_no_later_day(funded):
    client = client_for(funded.ngo_admin)
    data = tx_data(funded, value_date=tomorrow_everywhere().isoformat())

    english = client.post(url(funded, "finance-transaction-new"), data)
    with translation.override("id"):
        indonesian = client.post(url(funded, "finance-transaction-new"), data)
    blank = client.get(url(funded, "finance-transaction-new"))

    assert english.status_code == 422 and REFUSED in field_error(english.text, "value_date")
    assert indonesian.status_code == 422
    indonesian_message = field_error(indonesian.text, "value_date")
    assert indonesian_message and REFUSED not in indonesian_message
    assert f'max="{dates.latest_past_date().isoformat()}"' in blank.text
    assert Transaction.objects.count() == 0


def test_the_import_names_the_row_and_column_and_imports_nothing(funded):
    later = tomorrow_everywhere().isoformat()
    data = csv_bytes([expenditure_row(funded), expenditure_row(funded, value_date=later)])

    preview = post_import(funded.ngo_admin, funded, data)
    refused = post_import(funded.ngo_admin, funded, data, commit="true")

    errors = preview.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "value_date")]
    assert REFUSED in errors[0]["message"]
    assert refused.status_code == 422 and Transaction.objects.count() == 0
