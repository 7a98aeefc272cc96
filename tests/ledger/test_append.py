"""Appending to the ledger: transactions, indices, the exact bytes hashed, governance events.

Every entry is the RFC 8785 canonical JSON of {kind, partnership, actor, time, payload};
its leaf is SHA-256(0x00 ‖ body). A domain change and its entry commit together or not
at all, and appends from several connections at once never fork the log.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.db.models import FileField
from django.db.models.signals import post_init, pre_init
from django.test import Client

from sinergi.access import services as access_services
from sinergi.ledger import audit, checkpoints, log
from sinergi.ledger.models import Entry, Head, Node, node_key
from sinergi.partnerships import services
from sinergi.partnerships.models import Membership, Participation, Partnership
from tests.factories import OrganisationFactory, PartnershipFactory, PersonFactory
from tests.ledger import support

INVITATION_LINK = re.compile(r"http://testserver(/en/accounts/invitations/[^/\s]+/)")


def entries() -> list[dict]:
    """Every entry's decoded body, in log order."""
    return [json.loads(bytes(e.body)) for e in Entry.objects.order_by("index")]


# Transactions -------------------------------------------------------------------------


def test_append_outside_a_transaction_is_refused(transactional_db, ledger):
    """Given autocommit (no transaction.atomic around the call), when a caller appends,
    then LedgerError is raised and nothing is written."""
    assert not connection.in_atomic_block

    with pytest.raises(log.LedgerError, match="inside the caller's transaction"):
        log.append("test.event", {"n": 1})

    assert Entry.objects.count() == 0
    assert Node.objects.count() == 0
    assert Head.objects.get(pk=1).size == 0


def test_a_domain_change_and_its_entry_roll_back_together(transactional_db, ledger):
    """Given a partnership created by the real service inside a transaction that then
    fails, when the transaction rolls back, then neither the partnership nor its entry
    (nor any tree node, nor the head's growth) remains; the next append takes index 0."""
    person = PersonFactory()

    with pytest.raises(RuntimeError, match="later step failed"), transaction.atomic():
        services.create_partnership(actor=person, title="Air bersih untuk Sumba")
        assert Entry.objects.filter(kind="partnership.created").count() == 1
        raise RuntimeError("a later step failed")

    assert not Partnership.objects.exists()
    assert not Membership.objects.exists()
    assert Entry.objects.count() == 0
    assert Node.objects.count() == 0
    assert Head.objects.get(pk=1).size == 0

    partnership = services.create_partnership(actor=person, title="Air bersih untuk Sumba")

    assert [(e.index, e.kind, e.partnership_ref) for e in Entry.objects.all()] == [
        (0, "partnership.created", partnership.pk)
    ]


def test_a_failed_append_inside_a_service_undoes_its_domain_change(
    transactional_db, ledger, monkeypatch
):
    """Given the ledger's clock failing while add_partner appends (the domain row is
    already saved at that point), when the service raises, then the participation is
    not stored either."""
    coordinator = PersonFactory()
    partnership = services.create_partnership(actor=coordinator, title="Sekolah hijau")
    organisation = OrganisationFactory()

    def broken_clock() -> datetime:
        raise RuntimeError("clock unavailable")

    monkeypatch.setattr(log, "now", broken_clock)
    with pytest.raises(RuntimeError, match="clock unavailable"):
        services.add_partner(
            actor=coordinator, partnership=partnership, organisation=organisation, role="1"
        )

    assert not Participation.objects.exists()
    assert [e.kind for e in Entry.objects.all()] == ["partnership.created"]
    assert Head.objects.get(pk=1).size == 1


# Indices, bodies and hashes -----------------------------------------------------------


def test_indices_run_from_zero_without_gaps_and_the_tree_is_stored_whole(ledger):
    """Given 21 appends, then the entries are 0..20, each leaf node holds SHA-256(0x00 ‖
    body), exactly the complete subtrees are stored, and the head's size, frontier and
    root agree with a tree computed independently from the bodies."""
    appended = support.append_events(21)

    assert [e.index for e in appended] == list(range(21))
    assert list(Entry.objects.values_list("index", flat=True)) == list(range(21))
    bodies = support.stored_bodies()
    leaves = [support.leaf(b) for b in bodies]
    stored_nodes = {key: bytes(value) for key, value in Node.objects.values_list("key", "hash")}
    assert stored_nodes == support.stored_subtrees(leaves)
    assert list(stored_nodes) == [node_key(4, 0)]
    stored_leaves = Entry.objects.order_by("index").values_list("leaf_hash", flat=True)
    assert [bytes(value) for value in stored_leaves] == leaves
    head = Head.objects.get(pk=1)
    assert head.size == 21
    assert bytes(head.frontier) == support.frontier(leaves)
    assert log.current_head() == log.TreeHead(size=21, root=support.mth(leaves))


def test_seventy_appends_store_every_subtree_up_to_level_six_and_verify(ledger):
    """Given 70 appends (on PostgreSQL each one call of the server-side function, on
    SQLite hashed in Python), then the stored nodes are exactly the complete subtrees of
    a tree computed independently from the bodies, up to the 64-leaf one at level 6, and
    the head and a full verification agree."""
    support.append_events(70)

    leaves = [support.leaf(b) for b in support.stored_bodies()]
    stored = {key: bytes(value) for key, value in Node.objects.values_list("key", "hash")}
    assert stored == support.stored_subtrees(leaves)
    assert node_key(6, 0) in stored
    stored_leaves = Entry.objects.order_by("index").values_list("leaf_hash", flat=True)
    assert [bytes(value) for value in stored_leaves] == leaves
    assert bytes(Head.objects.get(pk=1).frontier) == support.frontier(leaves)
    checkpoints.issue_checkpoint()
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == 70


def test_an_append_with_no_head_row_creates_it(ledger):
    """Given a database whose head row is gone (as after a flush), when an event is
    appended, then the head row is made again and the entry is index 0."""
    Head.objects.all().delete()

    with transaction.atomic():
        entry = log.append("test.event", {"n": 0})

    assert entry.index == 0
    head = Head.objects.get(pk=1)
    assert head.size == 1
    assert bytes(head.frontier) == support.leaf(bytes(Entry.objects.get(index=0).body))


DAMAGED_HEADS = {
    "no hashes at an odd size": (3, 0),
    "no hashes at an even size": (4, 0),
    "one hash short": (7, 2 * 32),
    "one hash too many": (2, 2 * 32),
    "a torn hash": (3, 2 * 32 + 8),
}

APPENDS = {
    "append": lambda: log.append("test.event", {"n": "damaged"}),
    "append_many": lambda: log.append_many([("test.event", {"n": "damaged"})]),
    "hold": lambda: log.hold(),
}


@pytest.mark.parametrize("write", APPENDS.values(), ids=APPENDS.keys())
@pytest.mark.parametrize("size, length", DAMAGED_HEADS.values(), ids=DAMAGED_HEADS.keys())
def test_an_append_on_a_damaged_head_is_refused_and_writes_nothing(ledger, size, length, write):
    """Given a head whose frontier does not hold one hash per 1-bit of its size (too few,
    too many, a torn one), when anything locks it to append, then it is refused with a
    clear error, nothing is written, and once the head is repaired the same connection
    appends at the next index."""
    support.append_events(size)
    good = bytes(Head.objects.get(pk=1).frontier)
    damaged = (good + bytes(64))[:length]
    Head.objects.filter(pk=1).update(frontier=damaged)

    with pytest.raises(log.LedgerError, match="damaged"), transaction.atomic():
        write()

    assert Entry.objects.count() == size
    head = Head.objects.get(pk=1)
    assert (head.size, bytes(head.frontier)) == (size, damaged)
    Head.objects.filter(pk=1).update(frontier=good)
    with transaction.atomic():
        assert log.append("test.event", {"n": "after"}).index == size
    assert audit.verify_log().ok


def test_a_rolled_back_append_leaves_no_gap(ledger):
    """Given three appends, one rolled back and one more, then the indices are 0, 1, 2, 3."""
    support.append_events(3)

    with pytest.raises(RuntimeError), transaction.atomic():
        log.append("test.event", {"n": "lost"})
        raise RuntimeError

    support.append_events(1)
    assert list(Entry.objects.values_list("index", flat=True)) == [0, 1, 2, 3]
    assert all(json.loads(bytes(e.body))["payload"] != {"n": "lost"} for e in Entry.objects.all())


def test_the_body_is_exactly_rfc8785_canonical_json(ledger, monkeypatch):
    """Given a payload with unordered keys, non-ASCII text, control characters, large and
    fractional numbers and a key outside the BMP, and a clock in Jakarta time, when it is
    appended, then the stored body is byte for byte the RFC 8785 serialisation (keys
    sorted by UTF-16 code units, numbers in ECMAScript form, time in UTC with
    milliseconds, a partnership's entry salted) and the leaf is SHA-256(0x00 ‖ body)."""
    moment = datetime(2025, 3, 4, 12, 6, 7, 89_000, tzinfo=ZoneInfo("Asia/Jakarta"))
    monkeypatch.setattr(log, "now", lambda: moment)
    monkeypatch.setattr(log, "new_salt", lambda: "q83vEjRWeJCrze8SNFZ4kA==")
    partnership = PartnershipFactory(slug="air-bersih")
    actor = PersonFactory(username="ana")
    payload = {
        "z": [1, 2.5, 1e21, 1e-7],
        "\ufb01": 2,  # U+FB01 sorts after U+1F600 in UTF-16 (0xD83D…), before it by code point
        "\U0001f600": 1,
        "nested": {"b": None, "a": True},
        "a": "café €\n\x1f",
    }

    with transaction.atomic():
        entry = log.append("test.canonical", payload, partnership, actor)

    expected = (
        '{"actor":"ana","kind":"test.canonical","partnership":"air-bersih",'
        '"payload":{"a":"café €\\n\\u001f","nested":{"a":true,"b":null},'
        '"z":[1,2.5,1e+21,1e-7],"\U0001f600":1,"\ufb01":2},'
        '"salt":"q83vEjRWeJCrze8SNFZ4kA==","time":"2025-03-04T05:06:07.089Z"}'
    ).encode()
    stored = Entry.objects.get(index=entry.index)
    assert bytes(stored.body) == expected
    assert bytes(stored.leaf_hash) == support.leaf(expected)
    assert stored.kind == "test.canonical"
    assert stored.partnership_ref == partnership.pk
    assert stored.time == moment.astimezone(UTC)


def test_the_returned_entry_is_the_stored_row(ledger):
    """Given an event of a partnership, when it is appended, then what `append` returns
    is the row as the database has it: every field the same, its primary key, marked as
    saved, and usable as any row read by the ORM."""
    partnership = PartnershipFactory()

    with transaction.atomic():
        entry = log.append("test.event", {"n": 1}, partnership, PersonFactory())

    assert not entry.get_deferred_fields()  # every field set, none left to load
    stored = Entry.objects.get(index=entry.index)

    def fields(row: Entry) -> dict:
        values = {f.attname: getattr(row, f.attname) for f in Entry._meta.concrete_fields}
        return {k: bytes(v) if isinstance(v, bytes | memoryview) else v for k, v in values.items()}

    assert fields(entry) == fields(stored)
    assert entry == stored
    assert entry.pk == entry.index
    assert not entry._state.adding
    assert entry._state.db == stored._state.db
    entry.refresh_from_db()
    assert fields(entry) == fields(stored)


def test_entry_rows_need_nothing_from_model_init():
    """`append` makes the row it returns without `Model.__init__` (log._appended). That
    stays right only while nothing listens for Entry's pre_init or post_init and none of
    its fields needs setting up on assignment (a relation, a file): this fails first."""
    assert not pre_init.has_listeners(Entry)
    assert not post_init.has_listeners(Entry)
    for field in Entry._meta.concrete_fields:
        assert not field.is_relation, field.name
        assert not isinstance(field, FileField), field.name


def test_an_entry_without_partnership_or_actor_says_null(ledger, monkeypatch):
    """Given a system event, then partnership and actor are JSON null in the body."""
    monkeypatch.setattr(log, "now", lambda: datetime(2025, 1, 1, tzinfo=UTC))

    with transaction.atomic():
        entry = log.append("system.note", {})

    assert bytes(entry.body) == (
        b'{"actor":null,"kind":"system.note","partnership":null,"payload":{},'
        b'"time":"2025-01-01T00:00:00.000Z"}'
    )
    assert entry.partnership_ref is None


@pytest.mark.parametrize("kind", ["", "x" * 61])
def test_an_entry_kind_is_one_to_sixty_characters(ledger, kind):
    """Given an empty or a 61-character kind, then the append is refused."""
    with pytest.raises(log.LedgerError), transaction.atomic():
        log.append(kind, {})

    assert Entry.objects.count() == 0


# Governance events --------------------------------------------------------------------


def test_creating_a_partnership_is_logged(ledger):
    """Given a person creating a partnership through the service, then one entry
    `partnership.created` names the partnership, the person and what was created."""
    person = PersonFactory(username="budi")

    partnership = services.create_partnership(
        actor=person, title="Gizi anak NTT", visibility="public", base_currency="USD"
    )

    (entry,) = Entry.objects.all()
    assert entry.partnership_ref == partnership.pk
    body = json.loads(bytes(entry.body))
    assert len(base64.b64decode(body.pop("salt"), validate=True)) == 16
    assert body == {
        "kind": "partnership.created",
        "partnership": partnership.slug,
        "actor": "budi",
        "time": log.rfc3339(entry.time),
        "payload": {
            "title": "Gizi anak NTT",
            "visibility": "public",
            "base_currency": "USD",
            "coordinator": "budi",
        },
    }


def test_partners_joining_changing_role_and_leaving_are_logged(ledger, private_cast):
    """Given a coordinator who adds an organisation, changes its role and removes it,
    then the log holds partner.joined, partner.role_changed and partner.left, in that
    order, for that partnership and by that coordinator."""
    cast = private_cast
    coordinator = cast.people["coordinator"]
    organisation = OrganisationFactory(slug="yayasan-air")

    participation = services.add_partner(
        actor=coordinator,
        partnership=cast.partnership,
        organisation=organisation,
        role="3",
        contribution="Pipes",
    )
    services.change_partner_role(actor=coordinator, participation=participation, role="1")
    services.remove_partner(actor=coordinator, participation=participation)

    logged = entries()
    assert [(e["kind"], e["payload"]) for e in logged] == [
        (
            "partner.joined",
            {
                "organisation": "yayasan-air",
                "organisation_name": organisation.name,
                "role": "3",
                "contribution": "Pipes",
            },
        ),
        ("partner.role_changed", {"organisation": "yayasan-air", "from": "3", "to": "1"}),
        ("partner.left", {"organisation": "yayasan-air", "role": "1"}),
    ]
    assert {e["partnership"] for e in logged} == {cast.partnership.slug}
    assert {e["actor"] for e in logged} == {coordinator.username}
    assert set(Entry.objects.values_list("partnership_ref", flat=True)) == {cast.partnership.pk}


def test_memberships_granted_changed_and_revoked_are_logged(ledger, private_cast):
    """Given a coordinator who gives a person a role, changes it and takes it away, then
    the log holds membership.granted, membership.role_changed and membership.revoked."""
    cast = private_cast
    coordinator = cast.people["coordinator"]
    newcomer = PersonFactory(username="citra")

    membership = services.grant_membership(
        actor=coordinator, partnership=cast.partnership, person=newcomer, role="observer"
    )
    services.change_membership_role(actor=coordinator, membership=membership, role="member")
    services.revoke_membership(actor=coordinator, membership=membership)

    assert [(e["kind"], e["actor"], e["payload"]) for e in entries()] == [
        ("membership.granted", coordinator.username, {"person": "citra", "role": "observer"}),
        (
            "membership.role_changed",
            coordinator.username,
            {"person": "citra", "from": "observer", "to": "member"},
        ),
        ("membership.revoked", coordinator.username, {"person": "citra", "role": "member"}),
    ]
    assert not Membership.objects.filter(person=newcomer).exists()


def test_a_grant_through_the_members_page_is_logged(ledger, private_cast):
    """Given a coordinator granting a partner's employee a role on the members page, then
    membership.granted is logged."""
    cast = private_cast
    newcomer = PersonFactory(username="dodi", organisation=cast.people["member"].organisation)
    client = Client()
    client.force_login(cast.people["coordinator"])

    response = client.post(
        f"/en/partnerships/{cast.partnership.slug}/members/",
        {"form": "grant", "person": newcomer.pk, "role": "observer"},
    )

    assert response.status_code == 302
    (entry,) = entries()
    assert entry["kind"] == "membership.granted"
    assert entry["payload"] == {"person": "dodi", "role": "observer"}


def test_an_accepted_invitation_is_logged(ledger, private_cast, django_capture_on_commit_callbacks):
    """Given a coordinator's invitation sent from the members page, when the invitee
    signs up through the link, then membership.granted is logged by the invitee with the
    inviter named; the invitation itself logs nothing."""
    cast = private_cast
    coordinator = Client()
    coordinator.force_login(cast.people["coordinator"])
    organisation = cast.people["member"].organisation
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            f"/en/partnerships/{cast.partnership.slug}/members/",
            {
                "form": "invite",
                "email": "eka@example.org",
                "organisation": organisation.pk,
                "role": "member",
            },
        )
    assert response.status_code == 302
    assert Entry.objects.count() == 0
    (link,) = INVITATION_LINK.findall(mail.outbox[0].body)

    password = "Kopi-tubruk-di-pagi-hari-42"
    response = Client().post(
        link,
        {
            "username": "eka",
            "first_name": "Eka",
            "last_name": "Putri",
            "password1": password,
            "password2": password,
        },
    )

    assert response.status_code == 302
    (entry,) = entries()
    assert entry["kind"] == "membership.granted"
    assert entry["partnership"] == cast.partnership.slug
    assert entry["actor"] == "eka"
    assert entry["payload"] == {
        "person": "eka",
        "role": "member",
        "invited_by": cast.people["coordinator"].username,
    }


def test_accepting_an_invitation_through_the_service_is_logged(ledger, private_cast):
    """Given an invitation accepted by an existing person through the service, then
    membership.granted is logged once for that person."""
    cast = private_cast
    organisation = cast.people["member"].organisation
    invitation = access_services.invite_person(
        actor=cast.people["coordinator"],
        email="fajar@example.org",
        organisation=organisation,
        partnership=cast.partnership,
        role="observer",
        accept_url_template="http://testserver/en/accounts/invitations/{token}/",
    )
    person = PersonFactory(username="fajar", email="fajar@example.org", organisation=None)

    access_services.accept_invitation(invitation=invitation, person=person)

    (entry,) = entries()
    assert (entry["kind"], entry["actor"], entry["payload"]["person"]) == (
        "membership.granted",
        "fajar",
        "fajar",
    )
    assert entry["payload"]["role"] == "observer"


# Concurrency --------------------------------------------------------------------------


THREADS = 4
APPENDS_PER_THREAD = 15


def test_concurrent_appends_do_not_fork_the_log(transactional_db, ledger):
    """Given several threads, each with its own database connection, appending at the
    same time, when they are done, then every append got its own index, the indices run
    0..n-1, and the whole log (entries, nodes, head, checkpoints) verifies."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the in-memory SQLite test database is one shared-cache database whose table "
            "locks are not retried; concurrent appends are tested on PostgreSQL "
            "(DATABASE_URL=postgres://…)"
        )
    errors: list[BaseException] = []
    appended: list[int] = []
    start = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        try:
            start.wait()
            for n in range(APPENDS_PER_THREAD):
                with transaction.atomic():
                    entry = log.append("test.concurrent", {"worker": worker, "n": n})
                appended.append(entry.index)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = THREADS * APPENDS_PER_THREAD
    assert sorted(appended) == list(range(total))
    assert list(Entry.objects.values_list("index", flat=True)) == list(range(total))
    stored = Entry.objects.values_list("body", "leaf_hash")
    assert all(bytes(leaf) == support.leaf(bytes(body)) for body, leaf in stored)
    assert Head.objects.get(pk=1).size == total
    checkpoints.issue_checkpoint()
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.size == total
    bodies = support.stored_bodies()
    assert log.current_head().root == support.mth([support.leaf(b) for b in bodies])
    per_worker = {w: [] for w in range(THREADS)}
    for body in bodies:
        payload = json.loads(body)["payload"]
        per_worker[payload["worker"]].append(payload["n"])
    assert per_worker == {w: list(range(APPENDS_PER_THREAD)) for w in range(THREADS)}


def _append_from_another_connection(count: int, errors: list[BaseException]) -> None:
    def work() -> None:
        try:
            for n in range(count):
                with transaction.atomic():
                    log.append("test.concurrent", {"meanwhile": n})
            checkpoints.issue_checkpoint()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)


def test_verify_on_a_live_server_takes_appends_meanwhile_for_no_fault(
    transactional_db, ledger, monkeypatch
):
    """Given `ledger verify` has read the log's head when other connections append (and a
    checkpoint is issued) before it reads the entries, then it verifies the log as of its
    start, reporting nothing (it took the newer entries, nodes and checkpoint for rows
    beyond the log); the next run verifies them too."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the in-memory SQLite test database is one shared-cache database without WAL "
            "snapshots; verifying a live log is tested on PostgreSQL (DATABASE_URL=postgres://…)"
        )
    for n in range(20):
        with transaction.atomic():
            log.append("test.concurrent", {"before": n})
    checkpoints.issue_checkpoint()
    errors: list[BaseException] = []
    original = audit._entry_count

    def counted_after_appends() -> tuple[int, bool]:
        _append_from_another_connection(7, errors)
        return original()

    monkeypatch.setattr(audit, "_entry_count", counted_after_appends)
    report = audit.verify_log()
    assert not errors, errors
    assert report.ok, report.problems
    assert report.size == 20
    monkeypatch.setattr(audit, "_entry_count", original)
    report = audit.verify_log()
    assert report.ok and report.size == 27
