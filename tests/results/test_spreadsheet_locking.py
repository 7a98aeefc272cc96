"""A results spreadsheet import checks its rows against the indicators as they are when it
writes, under the ledger's lock that every results write takes first.

The file is read (every row and cell) before the lock, so a large or broken file never
holds up other writers; what it is checked against is read after, under the lock, and
cannot change until the import's transaction ends.
"""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from sinergi.ledger.models import Head
from sinergi.results import services
from sinergi.results import spreadsheet as ss
from sinergi.results.models import Indicator, Measure, Submission
from tests.results.conftest import build_monitored
from tests.results.spreadsheet_helpers import fill

pytestmark = pytest.mark.django_db

NUMBERS = {("2.1", ""): 76, ("2.1", "sex:female"): 77.5, ("2.1", "sex:male"): 74.5}


def _filled(m):
    template = ss.build_template(
        actor=m.health_admin, partnership=m.partnership, period=m.q1, organisation=m.health
    )
    return fill(template, NUMBERS)


def _import(m, fileobj, **kwargs) -> ss.SheetResult:
    return ss.import_values(
        actor=m.health_admin,
        partnership=m.partnership,
        fileobj=fileobj,
        filename="filled.xlsx",
        commit=True,
        **kwargs,
    )


def _made_qualitative(m) -> None:
    services.update_indicator(
        actor=m.coordinator,
        indicator=Indicator.objects.get(pk=m.coverage.pk),
        measure=Measure.QUALITATIVE,
        baseline_value=None,
    )


def test_an_indicator_changed_after_the_file_was_read_is_checked_as_it_is_now():
    m = build_monitored()
    filled = _filled(m)
    read = ss._read

    def read_then_changed(*args, **kwargs):  # another request commits after the read
        done = read(*args, **kwargs)
        _made_qualitative(m)
        return done

    with mock.patch.object(ss, "_read", read_then_changed):
        result = _import(m, filled)

    assert result.written == 0
    assert result.error_count > 0
    assert all(error.row is not None for error in result.errors)
    assert not Submission.objects.exists()


def test_errors_found_reading_and_checking_are_listed_in_the_sheet_order():
    m = build_monitored()

    def edit(workbook):
        sheet = workbook.worksheets[0]
        sheet["H2"] = "lots"  # checked against the indicator: a number is needed
        sheet["A4"] = None  # found while reading: the code is missing

    result = _import(m, fill(_filled(m).getvalue(), edit=edit))

    assert [error.row for error in result.errors] == sorted(error.row for error in result.errors)
    assert {error.cell for error in result.errors} >= {"H2", "A4"}
    assert result.written == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite's writers take the one database lock at BEGIN IMMEDIATE",
)
def test_an_indicator_change_waits_for_an_import_that_is_checking_against_it(transactional_db):
    """Given an import that has checked its rows against an indicator and not yet
    written, then a change of that indicator's measure waits for it, and is refused once
    the import's values are in. It used to go through at once, and the import then wrote
    numbers as values of a qualitative indicator."""
    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    m = build_monitored()
    filled = _filled(m)
    checking, go_on = threading.Event(), threading.Event()
    load_context = ss._load_context

    def slow_load(*args, **kwargs):  # the import, holding its locks while it checks
        context = load_context(*args, **kwargs)
        checking.set()
        go_on.wait(10)
        return context

    errors: list[BaseException] = []
    finished: list[str] = []

    def run(name, job) -> None:
        try:
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            finished.append(name)
            connections.close_all()

    with mock.patch.object(ss, "_load_context", slow_load):
        importing = threading.Thread(
            target=run, args=("import", lambda: _import(m, filled, submit=True))
        )
        importing.start()
        assert checking.wait(10)
        change = threading.Thread(target=run, args=("change", lambda: _made_qualitative(m)))
        change.start()
        time.sleep(1)
        assert finished == []  # the change waits for the import's lock
        go_on.set()
        importing.join(30)
        change.join(30)

    assert finished == ["import", "change"]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "measure" in errors[0].message_dict
    assert Indicator.objects.get(pk=m.coverage.pk).measure == m.coverage.measure
    assert Submission.objects.get(indicator=m.coverage).value == 76
