"""One date style on every page, in both languages: day, short month, year.

Pages that pick a format write `|date:"j M Y"`; a date printed as it is (a period's due
date, a baseline date) or with DATE_FORMAT follows the platform's formats module and
comes out the same, not in Django's per-language default ("Dec. 31, 2029", "31 Des.
2029")."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.timezone import make_aware

TEMPLATE = Template('{{ d }}|{{ d|date:"DATE_FORMAT" }}|{{ d|date:"j M Y" }}|{{ t }}')


@pytest.mark.parametrize(
    ("lang", "day", "text", "moment"),
    [
        ("en", date(2029, 12, 31), "31 Dec 2029", "30 Jun 2026 14:05"),
        ("id", date(2029, 12, 31), "31 Des 2029", "30 Jun 2026 14:05"),
        ("id", date(2027, 1, 30), "30 Jan 2027", "30 Jun 2026 14:05"),
        ("id", date(2026, 8, 17), "17 Agu 2026", "30 Jun 2026 14:05"),
    ],
)
def test_a_date_printed_any_way_reads_day_short_month_year(lang, day, text, moment):
    when = make_aware(datetime(2026, 6, 30, 14, 5))
    with translation.override(lang):
        rendered = TEMPLATE.render(Context({"d": day, "t": when}))
    assert rendered == f"{text}|{text}|{text}|{moment}"
