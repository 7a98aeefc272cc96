"""The ledger over HTTP: checkpoint and key, entries, proofs, receipts and cosignatures.

Hashes and checkpoints are public; an entry's body (and what it says) only reaches those
who may see its partnership. Every proof is checked with the RFC 9162 verifier against
the root of the signed checkpoint, never against a root the same response supplied.
Bad input is answered 4xx with the JSON error envelope, never 500.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.ledger import audit, checkpoints, log, merkle, notes, offline
from sinergi.ledger.models import Checkpoint, Cosignature, Entry, Witness
from sinergi.partnerships.models import Partnership
from tests.conftest import Cast
from tests.factories import PartnershipFactory
from tests.ledger import support

ENTRIES = "/api/v1/ledger/entries"
INCLUSION = "/api/v1/ledger/proof/inclusion"
CONSISTENCY = "/api/v1/ledger/proof/consistency"
CHECKPOINTS = "/api/v1/ledger/checkpoints"
COSIGNATURES = "/api/v1/ledger/cosignatures"
PRIVATE = range(0, 5)  # indices of the private partnership's entries
PUBLIC = range(5, 8)  # the public partnership's
SYSTEM = range(8, 9)  # no partnership
SIZE = 12  # then three more private ones: 9, 10, 11
PRIVATE_INDICES = [*PRIVATE, 9, 10, 11]


class StrictClient(Client):
    """The test client, failing the test on any server error."""

    def request(self, **request: Any):
        response = super().request(**request)
        assert response.status_code < 500, response.content[:1000]
        return response


@dataclass
class Log:
    cast: Cast
    public: Partnership
    bodies: list[bytes]
    vkey: str

    @property
    def leaves(self) -> list[bytes]:
        return [support.leaf(b) for b in self.bodies]


@pytest.fixture
def ledger_log(ledger, private_cast) -> Log:
    """Twelve entries (private partnership, public one, a system event, private again)
    with checkpoints at sizes 5 and 12."""
    public = PartnershipFactory(visibility="public", slug="public-one")
    coordinator = private_cast.people["coordinator"]
    support.append_events(5, partnership=private_cast.partnership, actor=coordinator)
    checkpoints.issue_checkpoint()
    support.append_events(3, partnership=public, actor=coordinator, kind="test.public")
    support.append_events(1, kind="test.system")
    support.append_events(3, partnership=private_cast.partnership, kind="test.private")
    checkpoints.issue_checkpoint()
    vkey = checkpoints.verifier_key()
    return Log(cast=private_cast, public=public, bodies=support.stored_bodies(), vkey=vkey)


@pytest.fixture
def client() -> StrictClient:
    return StrictClient()


def signed_checkpoint(client: Client, vkey: str) -> notes.Checkpoint:
    """The checkpoint served at /ledger/checkpoint, verified with the given key."""
    note = client.get("/ledger/checkpoint").content.decode()
    return notes.parse_checkpoint_text(notes.verify_note(note, notes.parse_vkey(vkey)))


def assert_error(response, status: int | None = None) -> dict[str, Any]:
    """A 4xx answer in the JSON error envelope; returns its `error` object."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    if status is not None:
        assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == response.status_code
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    if "fields" in error:
        assert error["fields"]
        assert all(msgs and all(m.strip() for m in msgs) for msgs in error["fields"].values())
    return error


def field_messages(error: dict[str, Any]) -> str:
    return " ".join(m for msgs in error.get("fields", {}).values() for m in msgs)


# Checkpoint and key ---------------------------------------------------------------------


def test_the_checkpoint_is_plain_text_signed_by_the_published_key(client, ledger_log, ledger):
    """Given the log, when /ledger/checkpoint and /ledger/vkey are fetched, then both are
    text/plain, the vkey is the log's key on disk, and the checkpoint verifies under it,
    naming the configured origin, the size and the root of the entries as logged."""
    checkpoint_response = client.get("/ledger/checkpoint")
    vkey_response = client.get("/ledger/vkey")

    assert checkpoint_response.status_code == vkey_response.status_code == 200
    assert checkpoint_response["Content-Type"].startswith("text/plain")
    assert vkey_response["Content-Type"].startswith("text/plain")
    vkey = vkey_response.content.decode().strip()
    assert vkey == notes.parse_skey(ledger.read_text()).vkey()
    text = notes.verify_note(checkpoint_response.content.decode(), notes.parse_vkey(vkey))
    checkpoint = notes.parse_checkpoint_text(text)
    assert checkpoint.origin == settings.SINERGI_LEDGER_ORIGIN
    assert checkpoint.size == SIZE
    assert checkpoint.root == support.mth(ledger_log.leaves)


def test_the_checkpoint_does_not_verify_under_another_key(client, ledger_log):
    """Given a different key with the log's name, then the served checkpoint is refused."""
    stranger = notes.generate_signer(settings.SINERGI_LEDGER_ORIGIN)
    note = client.get("/ledger/checkpoint").content.decode()

    with pytest.raises(notes.NoteError):
        notes.verify_note(note, notes.parse_vkey(stranger.vkey()))


def test_an_empty_log_has_no_checkpoint(client, ledger):
    """Given no entries, then /ledger/checkpoint is 404 and the vkey is still served."""
    response = client.get("/ledger/checkpoint")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert client.get("/ledger/vkey").status_code == 200


def test_the_checkpoint_follows_the_log_as_it_grows(client, ledger_log):
    """Given two more entries after the last checkpoint, then /ledger/checkpoint signs the
    grown log (size 14) when asked."""
    support.append_events(2)

    checkpoint = signed_checkpoint(client, ledger_log.vkey)

    assert checkpoint.size == SIZE + 2
    assert checkpoint.root == support.mth([support.leaf(b) for b in support.stored_bodies()])


# Entries --------------------------------------------------------------------------------


def get_entries(client: Client, **headers: str) -> list[dict[str, Any]]:
    response = client.get(ENTRIES, {"start": 0, "end": SIZE}, **headers)
    assert response.status_code == 200
    data = response.json()
    assert (data["start"], data["end"], data["tree_size"]) == (0, SIZE, SIZE)
    assert [item["index"] for item in data["items"]] == list(range(SIZE))
    return data["items"]


def assert_body_shown(item: dict[str, Any], body: bytes) -> None:
    raw = base64.b64decode(item["body"], validate=True)
    assert raw == body
    assert base64.b64decode(item["leaf_hash"]) == support.leaf(raw)
    assert item["kind"] is not None
    assert item["payload"] is not None
    assert item["salt"] == json.loads(raw).get("salt")


def assert_body_hidden(item: dict[str, Any]) -> None:
    for key in ("body", "kind", "partnership", "actor", "time", "payload", "salt"):
        assert item.get(key) is None, (key, item)


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_outsiders_get_leaf_hashes_but_no_private_bodies(client, ledger_log, who):
    """Given someone who may not see the private partnership, then every entry still
    comes with its leaf hash, but its entries carry no body, kind or payload; public and
    system entries are readable and their bodies hash to their leaves."""
    if who == "outsider":
        client.force_login(ledger_log.cast.people["outsider"])

    items = get_entries(client)

    for item in items:
        assert base64.b64decode(item["leaf_hash"]) == ledger_log.leaves[item["index"]]
    for index in PRIVATE_INDICES:
        assert_body_hidden(items[index])
    for index in [*PUBLIC, *SYSTEM]:
        assert_body_shown(items[index], ledger_log.bodies[index])
    assert items[5]["partnership"] == "public-one"
    assert items[8]["partnership"] is None
    assert ledger_log.cast.partnership.slug.encode() not in client.get(ENTRIES).content


@pytest.mark.parametrize("who", ["coordinator", "member", "observer", "staff"])
def test_those_who_may_see_the_partnership_get_its_bodies(client, ledger_log, who):
    """Given a member (any role) or staff, then the private partnership's entries come
    with their exact bytes, which hash to the leaf, and their decoded fields."""
    client.force_login(ledger_log.cast.people[who])

    items = get_entries(client)

    for index in range(SIZE):
        assert_body_shown(items[index], ledger_log.bodies[index])
    assert items[0]["kind"] == "test.event"
    assert items[0]["partnership"] == ledger_log.cast.partnership.slug
    assert items[0]["actor"] == ledger_log.cast.people["coordinator"].username
    assert items[0]["payload"] == {"n": 0}
    assert items[11]["kind"] == "test.private"


def test_a_private_leaf_hash_does_not_confirm_a_guessed_body(client, ledger_log):
    """Given an outsider who guesses everything a private entry says (kind, partnership,
    actor, time to the millisecond, payload), then hashing the guess does not give the
    published leaf hash: entries of a partnership carry 16 random bytes, which only
    those who may read the body see. Entries with no partnership (public by nature)
    carry none."""
    outsider_items = get_entries(client)
    for index in PRIVATE_INDICES:
        known = json.loads(ledger_log.bodies[index])
        salt = base64.b64decode(known["salt"], validate=True)
        assert len(salt) == 16
        guess = log.canonical_entry(
            known["kind"], known["partnership"], known["actor"], known["time"], known["payload"]
        )
        published = base64.b64decode(outsider_items[index]["leaf_hash"])
        assert support.leaf(guess) != published
        assert support.leaf(ledger_log.bodies[index]) == published
    salts = [json.loads(ledger_log.bodies[i]).get("salt") for i in range(SIZE)]
    assert len({s for s in salts if s is not None}) == len(PRIVATE_INDICES) + len(PUBLIC)
    assert [salts[i] for i in SYSTEM] == [None]
    assert outsider_items[5]["salt"] == salts[5]


def test_identical_events_of_a_partnership_have_different_leaves(ledger, private_cast, monkeypatch):
    """Given the same event appended twice at the same moment (the same bytes but for the
    salt), then the two leaf hashes differ, so a leaf cannot be matched to a known public
    twin either."""
    moment = log.now()
    monkeypatch.setattr(log, "now", lambda: moment)

    first = support.append_events(1, partnership=private_cast.partnership)[0]
    second = support.append_events(1, partnership=private_cast.partnership)[0]

    assert json.loads(first.body)["time"] == json.loads(second.body)["time"]
    assert support.leaf(bytes(first.body)) != support.leaf(bytes(second.body))


def test_a_members_api_token_reads_the_bodies(client, ledger_log):
    """Given a member's personal API token (no session), then the bodies are included."""
    _token, secret = create_api_token(actor=ledger_log.cast.people["member"], name="audit")

    items = get_entries(client, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert_body_shown(items[0], ledger_log.bodies[0])


def partnership_entries_url(slug: str) -> str:
    return f"/api/v1/ledger/partnerships/{slug}/entries"


def test_a_partnership_s_entries_come_newest_first_page_by_page(client, ledger_log):
    """Given a member of the private partnership, then its entries alone come newest
    first with their exact bytes (hashing to the published leaves), a page at a time:
    each page names the `before` of the next, and the last names none."""
    client.force_login(ledger_log.cast.people["member"])
    url = partnership_entries_url(ledger_log.cast.partnership.slug)

    pages, before = [], None
    while True:
        params = {"limit": 3} if before is None else {"limit": 3, "before": before}
        response = client.get(url, params)
        assert response.status_code == 200
        data = response.json()
        pages.append([item["index"] for item in data["items"]])
        for item in data["items"]:
            assert_body_shown(item, ledger_log.bodies[item["index"]])
            assert item["partnership"] == ledger_log.cast.partnership.slug
        assert data["tree_size"] == SIZE
        before = data["next_before"]
        if before is None:
            break

    assert pages == [[11, 10, 9], [4, 3, 2], [1, 0]]
    everything = client.get(url).json()
    assert [i["index"] for i in everything["items"]] == sorted(PRIVATE_INDICES, reverse=True)
    assert everything["next_before"] is None


def test_a_partnership_s_entries_of_one_kind_or_family(client, ledger_log):
    """Given `kind`, then only entries of that kind come back, or of a family of kinds when
    it ends with a dot; a kind that is none of them gives an empty page."""
    client.force_login(ledger_log.cast.people["member"])
    url = partnership_entries_url(ledger_log.cast.partnership.slug)

    def indices(kind: str) -> list[int]:
        response = client.get(url, {"kind": kind})
        assert response.status_code == 200
        return [item["index"] for item in response.json()["items"]]

    assert indices("test.private") == [11, 10, 9]
    assert indices("test.event") == [4, 3, 2, 1, 0]
    assert indices("test.") == sorted(PRIVATE_INDICES, reverse=True)
    assert indices("test") == []  # a family needs its dot
    assert indices("test.public") == []  # another partnership's


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_outsiders_get_404_for_a_private_partnership_s_entries(client, ledger_log, who):
    """Given someone who may not see the private partnership, then its entries list is a
    404 like its pages (not even a count), while a public partnership's is open."""
    if who == "outsider":
        client.force_login(ledger_log.cast.people["outsider"])

    hidden = client.get(partnership_entries_url(ledger_log.cast.partnership.slug))
    public = client.get(partnership_entries_url("public-one"))

    assert_error(hidden, 404)
    assert ledger_log.cast.partnership.slug.encode() not in hidden.content
    assert [i["index"] for i in public.json()["items"]] == sorted(PUBLIC, reverse=True)
    assert_error(client.get(partnership_entries_url("no-such-partnership")), 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"before": "-1"}, "before"),
        ({"before": "x"}, "before"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"kind": "Test.Private"}, "kind"),
        ({"kind": "test.%"}, "kind"),
        ({"kind": "test..event"}, "kind"),
        ({"kind": "a" * 62}, "kind"),
    ],
)
def test_a_partnership_s_entries_refuse_bad_paging_by_field(client, ledger_log, params, field):
    client.force_login(ledger_log.cast.people["member"])
    response = client.get(partnership_entries_url(ledger_log.cast.partnership.slug), params)
    assert field in assert_error(response, 422)["fields"]


def test_a_malformed_kind_is_explained_not_shown_as_a_pattern(client, ledger_log):
    """Given a kind that is not one, then the message says what a kind looks like, with
    examples, not the regular expression that checks it; so in Indonesian."""
    client.force_login(ledger_log.cast.people["member"])
    url = partnership_entries_url(ledger_log.cast.partnership.slug)
    (message,) = assert_error(client.get(url, {"kind": "test.%"}), 422)["fields"]["kind"]
    assert "such as finance.transaction.recorded" in message
    assert "[a-z" not in message
    indonesian = client.get(url, {"kind": "test.%"}, HTTP_ACCEPT_LANGUAGE="id")
    (message,) = assert_error(indonesian, 422)["fields"]["kind"]
    assert "misalnya finance.transaction.recorded" in message
    too_long = assert_error(client.get(url, {"kind": "a" * 62}), 422)["fields"]["kind"]
    assert too_long == ["Must be at most 61 characters long."]


def test_entries_are_paged_within_the_log(client, ledger_log):
    """Given start and end inside the log, then exactly that range is returned; past the
    end the page is cut at the log size, and a start beyond it gives an empty page."""
    page = client.get(ENTRIES, {"start": 3, "end": 7}).json()
    assert [i["index"] for i in page["items"]] == [3, 4, 5, 6]

    tail = client.get(ENTRIES, {"start": 10, "end": 50}).json()
    assert [i["index"] for i in tail["items"]] == [10, 11]

    beyond = client.get(ENTRIES, {"start": 100}).json()
    assert beyond["items"] == []
    assert beyond["tree_size"] == SIZE

    default = client.get(ENTRIES).json()
    assert [i["index"] for i in default["items"]] == list(range(SIZE))


# Proofs ---------------------------------------------------------------------------------


def test_inclusion_proofs_by_index_verify_against_the_signed_checkpoint(client, ledger_log):
    """Given every index, then its proof (in the latest checkpoint's tree) verifies with
    the RFC 9162 verifier against the root of the signed checkpoint."""
    checkpoint = signed_checkpoint(client, ledger_log.vkey)

    for index in range(SIZE):
        response = client.get(INCLUSION, {"index": index})
        assert response.status_code == 200
        proof = response.json()
        assert (proof["index"], proof["tree_size"]) == (index, checkpoint.size)
        leaf = ledger_log.leaves[index]
        assert base64.b64decode(proof["leaf_hash"]) == leaf
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        merkle.verify_inclusion(index, checkpoint.size, leaf, hashes, checkpoint.root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, checkpoint.size, os.urandom(32), hashes, checkpoint.root)


def test_inclusion_proof_in_an_older_tree(client, ledger_log):
    """Given tree_size=5 (the first checkpoint), then the proof leads to that tree's root."""
    (first,) = [c for c in client.get(CHECKPOINTS).json()["items"] if c["size"] == len(PRIVATE)]
    root = base64.b64decode(first["root"])
    assert root == support.mth(ledger_log.leaves[:5])

    proof = client.get(INCLUSION, {"index": 3, "tree_size": 5}).json()

    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    merkle.verify_inclusion(3, 5, ledger_log.leaves[3], hashes, root)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_inclusion_proof_by_leaf_hash(client, ledger_log, who):
    """Given a leaf hash from the entries list (a private one too: hashes are public),
    then the proof names its index and verifies against the signed checkpoint."""
    if who == "member":
        client.force_login(ledger_log.cast.people["member"])
    checkpoint = signed_checkpoint(client, ledger_log.vkey)
    items = get_entries(client)

    for index in (0, 6, 11):
        response = client.get(INCLUSION, {"leaf_hash": items[index]["leaf_hash"]})
        assert response.status_code == 200
        proof = response.json()
        assert proof["index"] == index
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        merkle.verify_inclusion(
            index, checkpoint.size, ledger_log.leaves[index], hashes, checkpoint.root
        )


def test_a_leaf_hash_is_found_through_its_index_not_by_reading_every_leaf(ledger_log):
    """Given the public `?leaf_hash=` lookup, then the database finds the entry through the
    index on the entries' leaf hashes (a scan read 44 ms of a million leaves per
    request), and a hash stored twice gives its first index. On PostgreSQL sequential
    scans are turned off for the plan: on a table this small the planner would rightly
    prefer one."""
    leaf = ledger_log.leaves[6]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = log.leaf_entries(leaf).explain()

    assert "ledger_entry_leaf_hash" in plan, plan
    assert log.index_of_leaf(leaf) == 6
    assert log.index_of_leaf(os.urandom(32)) is None
    Entry.objects.filter(index=9).update(leaf_hash=leaf)  # a second entry, same hash
    assert log.index_of_leaf(leaf) == 6


@pytest.mark.parametrize(("first", "second"), [(1, 12), (5, 12), (8, 12), (3, 7), (12, 12)])
def test_consistency_proofs_verify(client, ledger_log, first, second):
    """Given two sizes, then the proof verifies from the independently computed root of
    the first tree to that of the second (the signed checkpoint's root for 12)."""
    checkpoint = signed_checkpoint(client, ledger_log.vkey)
    first_root = support.mth(ledger_log.leaves[:first])
    second_root = support.mth(ledger_log.leaves[:second])
    assert second != SIZE or second_root == checkpoint.root

    response = client.get(CONSISTENCY, {"first": first, "second": second})

    assert response.status_code == 200
    proof = response.json()
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    merkle.verify_consistency(first, second, hashes, first_root, second_root)
    assert base64.b64decode(proof["first_root"]) == first_root
    assert base64.b64decode(proof["second_root"]) == second_root
    if first < second:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(first, second, hashes, os.urandom(32), second_root)


def test_a_page_of_checkpoints_holds_at_most_a_thousand(client, ledger_log):
    """Given `limit` of 1000 then 1001 (and 2**31 - 1) on the public checkpoint list, then
    the first is a page and the others are 422 on `limit`: a list that grows by one a
    second cannot be asked for whole in one request."""
    assert client.get(CHECKPOINTS, {"limit": 1000}).status_code == 200
    for limit in (1001, 2**31 - 1):
        error = assert_error(client.get(CHECKPOINTS, {"limit": limit}), 422)
        assert list(error["fields"]) == ["limit"]


def test_checkpoints_are_listed_newest_first_and_each_verifies(client, ledger_log):
    """Given checkpoints at 5 and 12, then the list has both, newest first, each note
    signed by the log with the root it states."""
    data = client.get(CHECKPOINTS).json()

    assert data["count"] == 2
    assert [c["size"] for c in data["items"]] == [SIZE, 5]
    verifier = notes.parse_vkey(ledger_log.vkey)
    for item in data["items"]:
        checkpoint = notes.parse_checkpoint_text(notes.verify_note(item["note"], verifier))
        assert checkpoint.size == item["size"]
        assert checkpoint.root == base64.b64decode(item["root"])
        assert checkpoint.root == support.mth(ledger_log.leaves[: item["size"]])


def test_a_receipt_downloads_and_verifies_offline(client, ledger_log):
    """Given entry 6's receipt (C2SP tlog-proof) and its exact bytes from the entries
    list, then offline.verify_receipt accepts them under the log key, and refuses other
    bytes or another key."""
    response = client.get(f"{ENTRIES}/6/receipt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" in response["Content-Disposition"]
    receipt = response.content.decode()
    assert receipt.startswith("c2sp.org/tlog-proof@v1\nindex 6\n")
    body = base64.b64decode(get_entries(client)[6]["body"])
    checkpoint = offline.verify_receipt(receipt, body, ledger_log.vkey)
    assert checkpoint.size == SIZE
    with pytest.raises(notes.NoteError):
        offline.verify_receipt(receipt, body + b" ", ledger_log.vkey)
    with pytest.raises(notes.NoteError):
        offline.verify_receipt(receipt, ledger_log.bodies[7], ledger_log.vkey)
    stranger = notes.generate_signer(settings.SINERGI_LEDGER_ORIGIN)
    with pytest.raises(notes.NoteError):
        offline.verify_receipt(receipt, body, stranger.vkey())


# Bad input ------------------------------------------------------------------------------

HUGE = str(10**30)
VAST = str(10**1000)  # more bits than Python's recursion limit
NOT_BASE64 = "not base64!"
SHORT_HASH = base64.b64encode(bytes(31)).decode()
UNKNOWN_HASH = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (ENTRIES, {"start": -1}),
        (ENTRIES, {"start": "abc"}),
        (ENTRIES, {"end": "1.5"}),
        (ENTRIES, {"start": 0, "end": -3}),
        (ENTRIES, {"start": 5, "end": 2}),
        (ENTRIES, {"start": 0, "end": 1001}),
        (ENTRIES, {"start": HUGE, "end": HUGE + "0"}),
        (INCLUSION, {}),
        (INCLUSION, {"index": 1, "leaf_hash": UNKNOWN_HASH}),
        (INCLUSION, {"index": -1}),
        (INCLUSION, {"index": "abc"}),
        (INCLUSION, {"index": SIZE}),
        (INCLUSION, {"index": HUGE}),
        (INCLUSION, {"index": 0, "tree_size": 0}),
        (INCLUSION, {"index": 0, "tree_size": SIZE + 1}),
        (INCLUSION, {"index": 0, "tree_size": HUGE}),
        (INCLUSION, {"index": 0, "tree_size": VAST}),
        (INCLUSION, {"index": 1, "tree_size": VAST}),
        (INCLUSION, {"index": 6, "tree_size": 5}),
        (INCLUSION, {"index": 0, "tree_size": "abc"}),
        (INCLUSION, {"leaf_hash": NOT_BASE64}),
        (INCLUSION, {"leaf_hash": "AAAA===="}),
        (INCLUSION, {"leaf_hash": SHORT_HASH}),
        (INCLUSION, {"leaf_hash": UNKNOWN_HASH}),
        (INCLUSION, {"leaf_hash": "A" * 200}),
        (CONSISTENCY, {}),
        (CONSISTENCY, {"first": 1}),
        (CONSISTENCY, {"first": 0, "second": 5}),
        (CONSISTENCY, {"first": 0, "second": 0}),
        (CONSISTENCY, {"first": -1, "second": 5}),
        (CONSISTENCY, {"first": "abc", "second": 5}),
        (CONSISTENCY, {"first": 6, "second": 5}),
        (CONSISTENCY, {"first": 1, "second": SIZE + 1}),
        (CONSISTENCY, {"first": HUGE, "second": HUGE}),
        (CONSISTENCY, {"first": 1, "second": VAST}),
        (CONSISTENCY, {"first": 3, "second": VAST}),
        (f"{ENTRIES}/-1/receipt", {}),
        (f"{ENTRIES}/{SIZE}/receipt", {}),
        (f"{ENTRIES}/{HUGE}/receipt", {}),
        (f"{ENTRIES}/abc/receipt", {}),
        (CHECKPOINTS, {"limit": "abc"}),
        (CHECKPOINTS, {"offset": -1}),
    ],
)
def test_bad_input_is_a_4xx_in_the_error_envelope(client, ledger_log, path, params):
    """Given a negative, non-numeric, out-of-range, empty, inverted, too large or badly
    encoded parameter, then the answer is 4xx in the JSON error envelope, not 500."""
    response = client.get(path, params)

    assert_error(response)


@pytest.mark.parametrize("written", ["1_0", "+1", "1.0", " 1", "\u0663", "\uff13", "0x1"])
def test_a_number_is_decimal_digits_only(client, ledger_log, written):
    """Given a number written otherwise than in ASCII decimal digits (which pydantic would
    read: "1_0" as 10, "+1", "1.0" and " 1" as 1), then each ledger parameter refuses it
    with a 422 on that field, as the verification page's form does; the log's own URLs
    only ever write digits. An index in the path follows the API's rule for ids in paths
    (tests/api/test_path_ids.py), which also refuses leading zeros."""
    whole = "Enter a whole number."
    in_path = "Enter a whole number in plain digits, without leading zeros."
    cases = [
        (ENTRIES, {"start": written}, "start", whole),
        (ENTRIES, {"start": 0, "end": written}, "end", whole),
        (INCLUSION, {"index": written}, "index", whole),
        (INCLUSION, {"index": 0, "tree_size": written}, "tree_size", whole),
        (CONSISTENCY, {"first": written, "second": 5}, "first", whole),
        (f"{ENTRIES}/{quote(written)}/receipt", {}, "index", in_path),
        (CHECKPOINTS, {"limit": written}, "limit", whole),
        (CHECKPOINTS, {"offset": written}, "offset", whole),
    ]
    for path, params, field, message in cases:
        error = assert_error(client.get(path, params), 422)
        assert error["fields"][field] == [message], (path, params, error)


def test_bad_input_names_the_field_and_says_why(client, ledger_log):
    """Given a few typical mistakes, then the message says what is wrong with which field."""
    error = assert_error(client.get(ENTRIES, {"start": 5, "end": 2}), 422)
    assert "end" in error["fields"]

    error = assert_error(client.get(ENTRIES, {"start": 0, "end": 5000}), 422)
    assert "1000" in error["fields"]["end"][0]

    error = assert_error(client.get(INCLUSION, {"leaf_hash": NOT_BASE64}), 422)
    assert "base64" in error["fields"]["leaf_hash"][0]

    error = assert_error(client.get(INCLUSION, {"index": SIZE}), 422)
    assert "index" in error["fields"]

    error = assert_error(client.get(CONSISTENCY, {"first": 6, "second": 5}), 422)
    assert "first" in error["fields"]

    error = assert_error(client.get(f"{ENTRIES}/-1/receipt"), 422)
    assert error["fields"]["index"] == ["Must be at least 0."]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (INCLUSION, {}),
        (INCLUSION, {"index": 1, "leaf_hash": UNKNOWN_HASH}),
        (INCLUSION, {"leaf_hash": NOT_BASE64}),
        (INCLUSION, {"leaf_hash": SHORT_HASH}),
        (INCLUSION, {"leaf_hash": UNKNOWN_HASH}),
        (f"{ENTRIES}/-1/receipt", {}),
    ],
)
def test_a_refused_proof_request_signs_no_checkpoint(client, ledger_log, path, params):
    """Given entries appended after the last checkpoint, when a proof or receipt request is
    refused for a reason that does not depend on the log's size, then no checkpoint is
    signed on its account (a valid request for the latest size would sign one)."""
    support.append_events(2, kind="test.later")
    before = list(Checkpoint.objects.values_list("size", flat=True))

    assert_error(client.get(path, params))

    assert list(Checkpoint.objects.values_list("size", flat=True)) == before
    assert client.get(INCLUSION, {"index": 0}).json()["tree_size"] == SIZE + 2
    assert Checkpoint.objects.count() == len(before) + 1


def test_a_leaf_hash_with_a_raw_plus_is_told_to_percent_encode_it(client, ledger_log):
    """Given a leaf hash holding '+' put in the URL as it is (curl "…?leaf_hash=ab+c…"),
    which the query string reads as a space, then the 422 says to percent-encode it,
    '+' as %2B, on the leaf_hash field (in Indonesian too); the same hash encoded is
    found."""
    plus = next(
        (b64 for b64 in map(support.b64, ledger_log.leaves) if "+" in b64),
        None,
    )
    if plus is None:  # no leaf of this run happens to hold a '+': one that is not in the log
        plus = support.b64(b"\xfb" * 32)

    error = assert_error(client.get(f"{INCLUSION}?leaf_hash={plus}"), 422)
    assert list(error["fields"]) == ["leaf_hash"]
    (message,) = error["fields"]["leaf_hash"]
    assert "percent-encoded" in message
    assert "'+' as %2B" in message
    error = assert_error(
        client.get(f"{INCLUSION}?leaf_hash={plus}", HTTP_ACCEPT_LANGUAGE="id"), 422
    )
    assert "tulis '+' sebagai %2B" in error["fields"]["leaf_hash"][0]

    encoded = client.get(INCLUSION, {"leaf_hash": plus})  # the client writes %2B
    if plus in map(support.b64, ledger_log.leaves):
        assert encoded.status_code == 200
    else:
        assert assert_error(encoded, 422)["fields"] == {
            "leaf_hash": ["No entry has this leaf hash."]
        }
    error = assert_error(client.get(INCLUSION, {"leaf_hash": NOT_BASE64}), 422)
    assert error["fields"] == {"leaf_hash": ["Give a base64-encoded hash."]}


def test_refused_proof_requests_speak_the_reader_s_language(client, ledger_log):
    """Given out-of-range proof requests with Accept-Language id, then the field messages
    are in Indonesian and name the right parameter (leaf_hash when the entry it names is
    outside the requested tree)."""
    indonesian = {"HTTP_ACCEPT_LANGUAGE": "id"}

    error = assert_error(client.get(INCLUSION, {"index": 0, "tree_size": 0}, **indonesian), 422)
    assert error["fields"] == {"tree_size": ["Minimal 1."]}
    error = assert_error(client.get(INCLUSION, {"index": 3, "tree_size": 2}, **indonesian), 422)
    assert error["fields"] == {
        "index": ["index minimal 0 dan harus lebih kecil daripada tree_size."]
    }
    # Without tree_size, the size it defaults to is named instead.
    error = assert_error(client.get(INCLUSION, {"index": SIZE}, **indonesian), 422)
    assert error["fields"] == {
        "index": [
            f"Entri harus tercakup dalam titik periksa terbaru: indeksnya lebih kecil "
            f"daripada {SIZE}, ukuran titik periksa itu."
        ]
    }
    error = assert_error(client.get(INCLUSION, {"index": 0, "tree_size": SIZE + 1}, **indonesian))
    assert error["fields"] == {"tree_size": [f"tree_size harus antara 1 dan ukuran log, {SIZE}."]}
    error = assert_error(client.get(CONSISTENCY, {"first": 6, "second": 5}, **indonesian))
    assert error["fields"] == {"first": ["first minimal 1 dan paling besar sama dengan second."]}
    error = assert_error(client.get(CONSISTENCY, {"first": 1, "second": SIZE + 1}, **indonesian))
    assert list(error["fields"]) == ["second"]
    leaf = base64.b64encode(ledger_log.leaves[9]).decode()
    error = assert_error(client.get(INCLUSION, {"leaf_hash": leaf, "tree_size": 5}))
    assert error["fields"] == {
        "leaf_hash": ["index must be at least 0 and smaller than tree_size."]
    }


def test_an_empty_log_answers_proof_requests_with_4xx(client, ledger):
    """Given no entries at all, then proofs and receipts are 4xx, not 500."""
    assert_error(client.get(INCLUSION, {"index": 0}))
    assert_error(client.get(INCLUSION, {"leaf_hash": UNKNOWN_HASH}))
    assert_error(client.get(CONSISTENCY, {"first": 1, "second": 1}))
    assert_error(client.get(f"{ENTRIES}/0/receipt"))
    assert client.get(ENTRIES).json()["items"] == []


# Cosignatures ---------------------------------------------------------------------------

WITNESS_NAME = "witness.example.org/yayasan"


@pytest.fixture
def witness(ledger_log) -> notes.Signer:
    """A partner's witness key (cosignature/v1), registered with the log."""
    signer = notes.generate_signer(WITNESS_NAME, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=signer.name, vkey=signer.vkey())
    return signer


def post_cosignature(client: Client, checkpoint_note: str, line: str):
    return client.post(
        COSIGNATURES,
        {"checkpoint": checkpoint_note, "cosignature": line},
        content_type="application/json",
    )


def current_note(client: Client) -> str:
    return client.get("/ledger/checkpoint").content.decode()


def body_of(note: str) -> str:
    return note.split("\n\n", 1)[0] + "\n"


def test_a_registered_witness_cosigns_and_the_cosignature_is_published(client, witness):
    """Given a registered witness's valid cosignature on the latest checkpoint, then the
    log answers 201 and /ledger/checkpoint (and the checkpoints list) carry the line,
    which verifies under the witness key."""
    note = current_note(client)

    response = post_cosignature(client, note, notes.cosign(body_of(note), witness, 1_767_225_600))

    assert response.status_code == 201, response.content
    assert response.json() == {"witness": WITNESS_NAME, "size": SIZE, "timestamp": 1_767_225_600}
    published = current_note(client)
    assert published.startswith(note)
    text, lines = notes.split_note(published)
    (line,) = [sig for sig in lines if sig.name == WITNESS_NAME]
    verifier = notes.parse_vkey(witness.vkey())
    assert notes.verify_cosignature(text, line, verifier) == 1_767_225_600
    listed = client.get(CHECKPOINTS).json()["items"][0]
    assert listed["note"] == published
    assert Cosignature.objects.count() == 1


def test_a_witness_cosigning_again_replaces_its_cosignature(client, witness):
    """Given a second cosignature by the same witness on the same checkpoint, then it is
    accepted and only the newer one is kept; an older one sent again (anyone can replay
    a line the log published) is refused and changes nothing."""
    note = current_note(client)
    older = notes.cosign(body_of(note), witness, 1000)
    post_cosignature(client, note, older)

    response = post_cosignature(client, note, notes.cosign(body_of(note), witness, 2000))

    assert response.status_code == 201
    assert Cosignature.objects.get().timestamp == 2000
    assert current_note(client).count(WITNESS_NAME) == 1
    error = assert_error(post_cosignature(client, note, older), 422)
    assert "later cosignature" in error["fields"]["cosignature"][0]
    assert Cosignature.objects.get().timestamp == 2000


def test_a_registered_key_that_is_not_one_is_passed_over(client, witness):
    """Given a witness row whose key does not parse (an SQL edit, or a row older than the
    admin's check), then a cosignature under its name is a 422 (no registered witness
    has that name and key), never a 500; the other witnesses still cosign."""
    broken = "witness.example.org/broken"
    Witness.objects.create(name=broken, vkey=f"{broken}+zz")
    note = current_note(client)
    signer = notes.generate_signer(broken, notes.ALG_COSIGNATURE_V1)

    response = post_cosignature(client, note, notes.cosign(body_of(note), signer, 6))

    error = assert_error(response, 422)
    assert error["fields"]["cosignature"] == ["No registered witness has this name and key."]
    good = notes.cosign(body_of(note), witness, 5)
    assert post_cosignature(client, note, good).status_code == 201


def test_the_checkpoint_text_alone_or_with_its_signatures_is_accepted(client, witness):
    """Given the checkpoint's text alone (what the witness signed, no blank line after
    it) or the whole note, then both are accepted; the kept line sent again is accepted
    and leaves the stored cosignature as it was."""
    note = current_note(client)
    line = notes.cosign(body_of(note), witness, 3000)

    response = post_cosignature(client, body_of(note), line)

    assert response.status_code == 201, response.content
    kept = list(Cosignature.objects.values())
    again = post_cosignature(client, note, line)
    assert again.status_code == 201
    assert (
        again.json()
        == response.json()
        == {"witness": WITNESS_NAME, "size": SIZE, "timestamp": 3000}
    )
    assert list(Cosignature.objects.values()) == kept


def test_an_older_checkpoint_can_be_cosigned(client, witness, ledger_log):
    """Given the first checkpoint (size 5) from the list, then its cosignature is
    accepted too."""
    (older,) = [c["note"] for c in client.get(CHECKPOINTS).json()["items"] if c["size"] == 5]

    response = post_cosignature(client, older, notes.cosign(body_of(older), witness, 7))

    assert response.status_code == 201
    assert response.json()["size"] == 5


def flip_last_signature_byte(line: str) -> str:
    prefix, encoded = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


def test_refused_cosignatures(client, witness, ledger_log):
    """Given a cosignature that is wrongly signed, signed over another checkpoint,
    malformed, by an unknown witness, by a known name with another key, or on a
    checkpoint the log never issued, then each is 422 with a message saying why, and
    nothing is stored. Each message is under the field it is about, and a timestamp
    ahead of the log's clock (milliseconds for seconds, or the largest a line can hold)
    is refused too."""
    note = current_note(client)
    body = body_of(note)
    good = notes.cosign(body, witness, 1234)
    (older,) = [c["note"] for c in client.get(CHECKPOINTS).json()["items"] if c["size"] == 5]
    stranger = notes.generate_signer("witness.example.org/unknown", notes.ALG_COSIGNATURE_V1)
    impostor = notes.generate_signer(WITNESS_NAME, notes.ALG_COSIGNATURE_V1)
    forged_root = notes.checkpoint_text(checkpoints.origin(), SIZE, os.urandom(32))
    never_size = notes.checkpoint_text(checkpoints.origin(), 7, support.mth(ledger_log.leaves[:7]))
    other_log = notes.checkpoint_text("other.example/log", SIZE, support.mth(ledger_log.leaves))
    squared = body.replace(f"\n{SIZE}\n", "\n\u00b2\n")  # "²": str.isdigit, but int() fails
    cases = [
        (note, flip_last_signature_byte(good), "cosignature", "does not verify"),
        (note, notes.cosign(body_of(older), witness, 1234), "cosignature", "does not verify"),
        (note, "this is not a signature line", "cosignature", "malformed"),
        (note, "\u2014 witness.example.org/yayasan ***", "cosignature", "not base64"),
        (note, "\u2014 witness.example.org/yayasan AAAA", "cosignature", "malformed"),
        (note, good + good, "cosignature", "exactly one"),
        (note, good[:-30] + "\n", "cosignature", "base64"),
        (note, notes.cosign(body, stranger, 1234), "cosignature", "No registered witness"),
        (note, notes.cosign(body, impostor, 1234), "cosignature", "No registered witness"),
        (
            support.sign_as_log(forged_root),
            notes.cosign(forged_root, witness, 1),
            "checkpoint",
            "never",
        ),
        (never_size, notes.cosign(never_size, witness, 1), "checkpoint", "never issued"),
        (other_log, notes.cosign(other_log, witness, 1), "checkpoint", "another log"),
        ("not a checkpoint", good, "checkpoint", "checkpoint"),
        (support.sign_as_log(squared), notes.cosign(squared, witness, 1), "checkpoint", "decimal"),
        (
            note,
            notes.cosign(body, witness, int(time.time() * 1000)),
            "cosignature",
            "ahead of the log's clock",
        ),
        (note, notes.cosign(body, witness, 2**63 - 1), "cosignature", "ahead of the log's clock"),
        (note.replace("\n", "\r\n"), good, "checkpoint", "CR LF"),
        (note, good.replace("\n", "\r\n"), "cosignature", "CR LF"),
    ]

    for checkpoint_note, line, field, reason in cases:
        response = post_cosignature(client, checkpoint_note, line)
        error = assert_error(response, 422)
        assert list(error["fields"]) == [field], (reason, error)
        assert reason in error["fields"][field][0], (reason, error)

    assert not Cosignature.objects.exists()
    assert WITNESS_NAME not in current_note(client)


def test_every_message_of_the_note_parser_is_worded_for_the_api():
    """Given every fixed message notes.py raises (in English: it also runs without
    Django, in the offline verifier), then each has its wording in the API's language
    table, so a new one cannot reach a witness untranslated."""
    import ast
    import inspect

    raised = {
        node.args[0].value
        for node in ast.walk(ast.parse(inspect.getsource(notes)))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "NoteError"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(raised) > 20
    assert raised <= set(checkpoints.NOTE_MESSAGES)


def test_a_refused_cosignature_says_why_in_the_reader_s_language(client, witness):
    """Given cosignatures refused for a malformed line, a bad signature and a checkpoint
    text that is not one, then in Indonesian each field's message is Indonesian."""
    note = current_note(client)
    good = notes.cosign(body_of(note), witness, 1234)
    indonesian = {"HTTP_ACCEPT_LANGUAGE": "id"}
    cases = [
        (note, "this is not a signature line", "cosignature", "Baris tanda tangan"),
        (note, flip_last_signature_byte(good), "cosignature", "Tanda tangan tidak valid"),
        (note, "", "cosignature", "Berikan satu baris tanda tangan"),
        (note, good + good, "cosignature", "tepat satu baris"),
        ("not a checkpoint", good, "checkpoint", "Titik periksa terdiri atas tiga baris"),
    ]
    for checkpoint_note, line, field, words in cases:
        response = client.post(
            COSIGNATURES,
            {"checkpoint": checkpoint_note, "cosignature": line},
            content_type="application/json",
            **indonesian,
        )
        error = assert_error(response, 422)
        assert list(error["fields"]) == [field]
        assert words in error["fields"][field][0], (line, error)


@pytest.mark.parametrize(
    "shape",
    [
        lambda line: line + "\n\n" + line,
        lambda line: line + "\n" + line,
        lambda line: line + "\n\n",
        lambda line: "\n" + line,
        lambda line: line + "\n\n\u2014 anyone AAAAAAAA",
    ],
    ids=["twice-blank-line-between", "twice", "blank-line-after", "newline-before", "then-more"],
)
def test_a_published_cosignature_sent_again_with_extra_lines_is_refused(
    client, witness, ledger_log, shape
):
    """Given a witness's published cosignature line (anyone can read it) sent again by an
    anonymous client with a blank line or another line around it, then it is refused
    (422, "exactly one"), nothing is stored, and the served checkpoint still verifies
    under the log's key, as does the whole log: were the text stored as sent, readers
    would take what follows its blank line for the signatures and find none by the log."""
    note = current_note(client)
    line = notes.cosign(body_of(note), witness, 1_767_225_600).rstrip("\n")
    assert post_cosignature(client, note, line).status_code == 201  # published

    error = assert_error(post_cosignature(client, note, shape(line)), 422)

    assert "exactly one" in field_messages(error)
    assert Cosignature.objects.get().line == line + "\n"
    served = current_note(client)
    assert notes.verify_note(served, notes.parse_vkey(ledger_log.vkey)) == body_of(note)
    assert served.count(WITNESS_NAME) == 1
    assert audit.verify_log().ok


def test_a_stored_cosignature_that_is_not_one_line_is_left_out_of_the_note(
    client, witness, ledger_log, caplog
):
    """Given a cosignature row whose line holds a blank line (written before lines were
    checked, or by an SQL edit), then the served checkpoint, the checkpoints list and the
    receipts leave that line out and verify; a well-formed cosignature stays in."""
    note = current_note(client)
    line = notes.cosign(body_of(note), witness, 1_767_225_600)
    checkpoint = Checkpoint.objects.get(size=SIZE)
    other = notes.generate_signer("witness.example.org/other", notes.ALG_COSIGNATURE_V1)
    Cosignature.objects.create(
        checkpoint=checkpoint,
        witness=Witness.objects.create(name=other.name, vkey=other.vkey()),
        timestamp=1,
        line=line + "\n" + notes.cosign(body_of(note), other, 1),
    )
    assert post_cosignature(client, note, line).status_code == 201

    with caplog.at_level("ERROR", logger="sinergi.ledger.checkpoints"):
        served = current_note(client)
        listed = client.get(CHECKPOINTS).json()["items"][0]["note"]
        receipt = client.get(f"{ENTRIES}/6/receipt").content.decode()

    assert served == listed == note + line
    assert notes.verify_note(served, notes.parse_vkey(ledger_log.vkey)) == body_of(note)
    assert receipt.endswith("\n\n" + served)
    assert "not one signature line" in caplog.text


def test_a_cosignature_body_that_is_not_json_is_400(client, witness):
    """Given a body that is not JSON, or JSON without the fields, then 400 / 422."""
    response = client.post(COSIGNATURES, "{not json", content_type="application/json")
    assert_error(response, 400)

    response = client.post(COSIGNATURES, {}, content_type="application/json")
    error = assert_error(response, 422)
    assert {"checkpoint", "cosignature"} <= set(error["fields"])
    assert not Cosignature.objects.exists()
    assert Entry.objects.count() == SIZE


def test_a_receipt_can_require_a_witness_cosignature(client, witness, ledger_log):
    """Given a witness key the auditor trusts, then a receipt verifies only once that
    witness has cosigned its checkpoint: before, the refusal says to download it again;
    after, the receipt carries the cosignature and verifies."""
    body = base64.b64decode(get_entries(client)[6]["body"])
    trusted = [witness.vkey()]
    before = client.get(f"{ENTRIES}/6/receipt").content.decode()
    with pytest.raises(notes.NoteError, match=r"no cosignature by .* download the receipt again"):
        offline.verify_receipt(before, body, ledger_log.vkey, trusted)

    note = current_note(client)
    post_cosignature(client, note, notes.cosign(body_of(note), witness, 1_767_225_600))
    after = client.get(f"{ENTRIES}/6/receipt").content.decode()

    assert offline.verify_receipt(after, body, ledger_log.vkey, trusted).size == SIZE
    stranger = notes.generate_signer(WITNESS_NAME, notes.ALG_COSIGNATURE_V1).vkey()
    with pytest.raises(notes.NoteError):  # the same name, another key: not its cosignature
        offline.verify_receipt(after, body, ledger_log.vkey, [stranger])


ROUNDS = 8


def test_of_cosignatures_sent_at_once_the_newest_is_kept(transactional_db, ledger):
    """Given one witness's cosignatures on one checkpoint with 12 different timestamps,
    sent at the same moment from 12 threads (each with its own connection), eight times
    over, then each time the one kept is the newest, and every call either stored its own
    or was told a later one is kept. (A read-then-write let an older one win, as did a
    row stored between the conditional UPDATE and the read after it: each seen in about
    one run of a dozen.)"""
    import random

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("the in-memory SQLite test database's table locks are not retried")
    support.append_events(3)
    body = checkpoints.issue_checkpoint().body
    signer = notes.generate_signer(WITNESS_NAME, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=signer.name, vkey=signer.vkey())
    now = int(time.time())
    for round_ in range(ROUNDS):
        stamps = [now - 100 * (ROUNDS - round_) + k for k in range(12)]
        random.Random(round_).shuffle(stamps)

        outcomes = send_at_once(body, signer, stamps)

        assert Cosignature.objects.get().timestamp == max(stamps)
        assert len(outcomes) == len(stamps)
        assert all(o == "kept" or "later cosignature" in o for _s, o in outcomes), outcomes


def send_at_once(body: str, signer: notes.Signer, stamps: list[int]) -> list[tuple[int, str]]:
    """Each stamp's cosignature recorded from its own thread and connection, all released
    at once (`run_together`); (stamp, "kept" or the refusal) for each."""
    from tests.finance.test_concurrency import run_together

    outcomes: list[tuple[int, str]] = []

    def send(stamp: int) -> Callable[[], None]:
        def job() -> None:
            try:
                checkpoints.record_cosignature(body, notes.cosign(body, signer, stamp))
                outcomes.append((stamp, "kept"))
            except checkpoints.CosignatureError as exc:
                outcomes.append((stamp, str(exc)))

        return job

    errors = run_together(*(send(stamp) for stamp in stamps))
    assert not errors, errors
    return outcomes
