"""An entry's kind, partnership and time columns say what its logged body says.

The columns are signed by nothing, yet readers rely on them: partnership_ref decides who
may read a body (the entries API, `export --public`). So `verify` compares each with the
body and names the entry, and a reader outside a partnership is given a body that names
a partnership only by what the body says, whatever the column.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from sinergi.ledger import audit, checkpoints, log
from sinergi.ledger.models import Entry
from tests.factories import PartnershipFactory, PersonFactory
from tests.ledger import support

ENTRIES = "/api/v1/ledger/entries"


@pytest.fixture
def mixed(ledger):
    """Entries of a private partnership (0-2), a public one (3-4), the system (5), an
    admin change to the private partnership (6) and to the public one (7)."""
    private = PartnershipFactory(visibility="private", slug="secret-one")
    public = PartnershipFactory(visibility="public", slug="open-one")
    staff = PersonFactory(username='o\'brien "staff", {x}')
    support.append_events(3, partnership=private, kind="finance.transaction.recorded")
    support.append_events(2, partnership=public, kind="partner.joined", actor=staff)
    support.append_events(1, kind="test.system", actor=staff)
    for partnership in (private, public):
        with transaction.atomic():
            log.append(
                "admin.changed",
                {"model": "partnership", "id": partnership.pk, "name": "x", "fields": ["title"]},
                partnership,
                staff,
            )
    checkpoints.issue_checkpoint()
    return private, public


def verify_fails_at(index: int, problem: str) -> None:
    with pytest.raises(CommandError, match=rf"first bad index: {index}$"):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    report = audit.verify_log()
    assert not report.ok
    assert report.first_bad_index == index, report.problems
    assert problem in report.problems, report.problems


def test_an_honest_log_verifies(mixed):
    """Given entries of every shape (with and without a partnership, an actor whose name
    holds quotes and braces, admin entries naming a partnership), then verify passes."""
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == 8


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),  # no fraction: stored without one
        datetime(2026, 3, 4, 5, 6, 7, 999_999, tzinfo=UTC),  # truncated, not rounded
        datetime(2026, 3, 4, 5, 6, 7, 1_000, tzinfo=UTC),
    ],
)
def test_times_of_every_shape_verify(ledger, monkeypatch, moment):
    """Given entries logged at a whole second, or with microseconds that the body's
    milliseconds truncate, then the time column still agrees with the body."""
    monkeypatch.setattr(log, "now", lambda: moment)
    support.append_events(2, kind='odd "kind" \u00e9\\')
    report = audit.verify_log()
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("index", "change", "column"),
    [
        (0, {"kind": "test.forged"}, "kind"),
        (4, {"kind": "partner.left"}, "kind"),
        (2, {"time": datetime(2001, 1, 1, tzinfo=UTC)}, "time"),
        (5, {"time": datetime(2031, 1, 1, 0, 0, 0, 5_000, tzinfo=UTC)}, "time"),
        (1, {"partnership_ref": None}, "partnership"),
        (5, {"partnership_ref": "public"}, "partnership"),  # the system entry given one
        (6, {"partnership_ref": "public"}, "partnership"),  # the admin entry names its id
        # Edits that leave most of the bytes the quick check compares alike:
        (0, {"kind": "finance.transaction.recorde"}, "kind"),  # its prefix
        (1, {"kind": "finance.transaction.recordedx"}, "kind"),  # one longer
        (2, {"kind": "finance.transaction.recordex"}, "kind"),  # as long
        (3, {"kind": "partner.joined\u00e9"}, "kind"),  # one longer in bytes than in text
        (3, {"time": "one-ms-later"}, "time"),
        (4, {"time": "next-day"}, "time"),
    ],
    ids=[
        "kind",
        "kind-public",
        "time",
        "time-ms",
        "partnership-nulled",
        "system",
        "admin-id",
        "kind-prefix",
        "kind-longer",
        "kind-as-long",
        "kind-non-ascii",
        "time-one-ms",
        "time-next-day",
    ],
)
def test_a_column_edited_apart_from_its_body_is_found_at_its_index(mixed, index, change, column):
    """Given one entry's kind, time or partnership_ref column edited in the database (its
    body, and so every hash, untouched), then verify fails and names that entry."""
    _private, public = mixed
    if change.get("partnership_ref") == "public":
        change = {"partnership_ref": public.pk}
    if change.get("time") in ("one-ms-later", "next-day"):
        logged = Entry.objects.get(index=index).time
        later = timedelta(milliseconds=1) if change["time"] == "one-ms-later" else timedelta(days=1)
        change = {"time": logged + later}
    Entry.objects.filter(index=index).update(**change)

    verify_fails_at(index, f"entry {index}'s {column} column differs from its logged body")


def test_two_columns_edited_are_named_together(mixed):
    Entry.objects.filter(index=3).update(kind="test.forged", partnership_ref=None)

    verify_fails_at(3, "entry 3's kind and partnership columns differ from its logged body")


def test_a_column_edited_is_found_with_an_entry_missing_too(mixed):
    """The slower reading, when an entry is missing, compares the columns as well."""
    Entry.objects.filter(index=6).delete()
    Entry.objects.filter(index=2).update(kind="test.forged")

    verify_fails_at(2, "entry 2's kind column differs from its logged body")


def test_a_private_body_stays_withheld_when_its_partnership_column_is_nulled(mixed):
    """Given a private partnership's entry whose partnership_ref was set to NULL, then an
    anonymous reader of the entries API still gets its leaf hash without its body (the
    body names a partnership), while a system entry's body is still given."""
    Entry.objects.filter(index__in=[1, 6]).update(partnership_ref=None)

    items = Client().get(ENTRIES).json()["items"]

    for index in (0, 1, 2, 6):
        assert "body" not in items[index] or items[index]["body"] is None, items[index]
        assert items[index]["leaf_hash"]
    system = json.loads(base64.b64decode(items[5]["body"]))
    assert system["kind"] == "test.system" and system["partnership"] is None


def test_a_public_export_withholds_a_body_whose_partnership_column_is_nulled(mixed, tmp_path):
    Entry.objects.filter(index=2).update(partnership_ref=None)
    path = tmp_path / "public.json"

    call_command("ledger", "export", str(path), "--public", stdout=io.StringIO())

    entries = json.loads(path.read_text())["entries"]
    assert [isinstance(e, dict) for e in entries] == [True] * 3 + [False] * 3 + [True, False]
    assert base64.b64decode(entries[2]["leaf_hash"]) == support.leaf(support.stored_bodies()[2])


def test_names_partnership_reads_the_top_level_field_only(ledger):
    """The quick reading of the bytes is not fooled by a payload or an actor's name that
    holds the same words; what is not an entry counts as naming one (withheld)."""
    cases = [
        (log.canonical_entry("k", None, None, "t", {"partnership": "x"}), False),
        (log.canonical_entry("k", None, ',"partnership":"x"', "t", {}), False),
        (log.canonical_entry("k", "slug", None, "t", {}, "salt"), True),
        (log.canonical_entry("k", "slug", '",x', "t", {"partnership": None}), True),
        (b'{"partnership":null}', False),
        (b'{"partnership":"x"}', True),
        (b"not json", True),
        (b"[1]", True),
    ]
    for body, expected in cases:
        assert log.names_partnership(body) is expected, body


def test_outside_a_transaction_the_columns_are_checked_beside_the_hashing(
    transactional_db, ledger_key
):
    """As the command runs it (no transaction open), the database checks the columns on
    a connection of its own while the bodies are hashed: an edit is still found."""
    from django.db import connection

    from sinergi.ledger.models import Head

    Head.objects.get_or_create(pk=1, defaults={"size": 0, "frontier": b""})
    support.append_events(12, partnership=PartnershipFactory(visibility="private"))
    assert not connection.in_atomic_block
    assert audit.verify_log().ok

    Entry.objects.filter(index=7).update(partnership_ref=None)

    report = audit.verify_log()
    assert report.first_bad_index == 7, report.problems
    assert "entry 7's partnership column differs from its logged body" in report.problems


# An entry moved to another partnership's column -------------------------------------


@pytest.fixture
def two_partnerships(ledger):
    """A private partnership's entries 0-2 and a public one's 3-5, then 6-7 the private
    one's again, each logged as the services log them."""
    private = PartnershipFactory(visibility="private", slug="secret-one")
    public = PartnershipFactory(visibility="public", slug="open-one")
    support.append_events(3, partnership=private, kind="finance.transaction.recorded")
    support.append_events(3, partnership=public, kind="partner.joined")
    support.append_events(2, partnership=private, kind="finance.transaction.recorded", first=3)
    checkpoints.issue_checkpoint()
    return private, public


@pytest.mark.parametrize("index", [0, 2, 7], ids=["before-its-entries", "between", "after"])
def test_an_entry_moved_to_another_partnership_is_found(two_partnerships, index):
    """Given one of the private partnership's entries whose partnership_ref is set to the
    public partnership's (before, among or after the public one's entries), then verify
    fails at that entry; before the check, anonymous readers were served its body."""
    _private, public = two_partnerships
    assert audit.verify_log().ok
    Entry.objects.filter(index=index).update(partnership_ref=public.pk)

    verify_fails_at(
        index, f"entry {index}'s partnership column names a partnership its logged body does not"
    )


def test_entries_moved_between_two_partnerships_are_each_found(two_partnerships):
    """Given a private entry and a public entry swapped between the two partnerships'
    columns, then verify names both."""
    private, public = two_partnerships
    Entry.objects.filter(index=1).update(partnership_ref=public.pk)
    Entry.objects.filter(index=4).update(partnership_ref=private.pk)

    report = audit.verify_log()

    assert report.first_bad_index == 1, report.problems
    for index in (1, 4):
        assert (
            f"entry {index}'s partnership column names a partnership its logged body does not"
            in report.problems
        )


def test_a_renamed_partnership_still_verifies(two_partnerships):
    """Given the public partnership's short name changed by its coordinator and then in
    the admin (each change logged), with entries before and after each, then verify
    passes: the earlier entries name it by the names it had."""
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from sinergi.partnerships import services
    from sinergi.partnerships.models import Partnership

    _private, public = two_partnerships
    staff = PersonFactory(is_staff=True, is_superuser=True)
    services.update_partnership(actor=staff, partnership=public, slug="open-two")
    support.append_events(2, partnership=public, kind="partner.joined", first=10)
    model_admin = site._registry[Partnership]
    request = RequestFactory().post("/")
    request.user = staff
    public.refresh_from_db()
    public.slug = "open-three"
    form = type("Changed", (), {"changed_data": ["slug"]})()
    with transaction.atomic():
        model_admin.save_model(request, public, form, change=True)
    support.append_events(1, partnership=public, kind="partner.joined", first=20)

    report = audit.verify_log()

    assert report.ok, report.problems
    assert Entry.objects.filter(partnership_ref=public.pk).count() == 3 + 1 + 2 + 1 + 1


def test_a_short_name_changed_without_a_logged_change_is_found(two_partnerships):
    """Given the public partnership's short name changed in the database alone (no entry
    records it), then its entries no longer name it: verify reports them from the first."""
    _private, public = two_partnerships
    type(public).objects.filter(pk=public.pk).update(slug="someone-elses")

    report = audit.verify_log()

    assert not report.ok
    assert report.first_bad_index == 3, report.problems
