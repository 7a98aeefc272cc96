"""`sinergi-ledger.pyz log URL`: an outsider verifies the whole live log over HTTP.

The tool is downloaded from a live server and run as a partner would run it (the partner's
python3 sees `cryptography` and nothing of Sinergi, as in test_tool.py); the database is
then tampered with directly, as an operator with write access could. `sinergi ledger
verify-remote` is the same check from the sinergi command.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.ledger import checkpoints, merkle, notes, offline
from sinergi.ledger.models import Checkpoint, Entry, Witness
from tests.factories import PartnershipFactory
from tests.ledger import support
from tests.ledger.test_tool import partner_python, run

WITNESS = "witness.ugm.example/sinergi"
PRIVATE_AT = [0, 1, 2, 6, 7]  # the private partnership's entries in `mixed`


@pytest.fixture
def site(live_server, ledger, settings) -> str:
    """A live server that signs checkpoints only when asked (so that the tests choose
    them); returns its base URL."""
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 3600
    return live_server.url


@pytest.fixture
def tool(site, tmp_path) -> Callable[[str], object]:
    """Run `python3 sinergi-ledger.pyz ARGS` in a partner's directory, with the tool the
    live server serves; returns the completed process."""
    work = tmp_path / "partner"
    work.mkdir()
    bin_dir = partner_python(tmp_path)
    (work / "sinergi-ledger.pyz").write_bytes(Client().get("/ledger/sinergi-ledger.pyz").content)

    def run_tool(args: str):
        return run(f"python3 sinergi-ledger.pyz {args}", work, bin_dir)

    return run_tool


@pytest.fixture
def mixed(site, private_cast) -> dict:
    """Entries of a private partnership (5), a public one (2) and the system (1), under
    checkpoints 3 and 8, the latter cosigned by UGM's witness."""
    public = PartnershipFactory(visibility="public", slug="open-data")
    coordinator = private_cast.people["coordinator"]
    support.append_events(3, partnership=private_cast.partnership, actor=coordinator)
    checkpoints.issue_checkpoint()
    support.append_events(2, partnership=public, kind="test.public")
    support.append_events(1, kind="test.system")
    support.append_events(2, partnership=private_cast.partnership, kind="test.private", first=3)
    latest = checkpoints.issue_checkpoint()
    key = notes.generate_signer(WITNESS, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=key.name, vkey=key.vkey())
    checkpoints.record_cosignature(latest.note, notes.cosign(latest.body, key, 1_700_000_000))
    return {"cast": private_cast, "witness": key, "vkey": checkpoints.verifier_key()}


FROM_SERVER = (
    "note: the log's key was taken from the server ({url}/ledger/vkey), not given by you: "
    "give --vkey VKEY to check against a key you obtained yourself"
)
NOT_CHECKED = (
    f"note: the cosignatures by {WITNESS} were NOT checked (no key you gave): give --witness "
    "VKEY to check a witness you trust, with the key you got from it"
)


def test_an_outsider_verifies_the_whole_log_with_private_bodies_hidden(site, tool, mixed):
    """Given a live log with a private partnership's entries, when an anonymous partner
    runs `log URL`, then it reads every leaf hash and the 3 public bodies, checks both
    checkpoints against the leaves and the log's key, and says OK with the counts, that
    the key came from the server and that UGM's cosignature was not checked. With the
    log's key and UGM's witness key given, the OK says up to where UGM cosigned, and
    nothing is left unchecked."""
    done = tool(f"log {site}")

    assert done.returncode == 0, done.stderr
    kept = Checkpoint.objects.count()  # 3 and 8, and 1 if the first append signed it
    assert done.stdout.strip().split("\n") == [
        f"OK: 8 entries (3 bodies read, 5 hidden: leaf hash only), {kept} checkpoints verified "
        "up to size 8",
        FROM_SERVER.format(url=site),
        NOT_CHECKED,
    ]
    assert "cosigned by" not in done.stdout

    done = tool(f'log {site}/ --vkey "{mixed["vkey"]}" --witness "{mixed["witness"].vkey()}"')

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"OK: 8 entries (3 bodies read, 5 hidden: leaf hash only), {kept} checkpoints verified "
        f"up to size 8; cosigned by {WITNESS} up to size 8"
    )


def test_a_member_s_token_reads_the_private_bodies_too(site, tool, mixed):
    """Given a member of the private partnership's API token, then every body is read and
    hashed to its leaf; `sinergi ledger verify-remote` says the same."""
    _token, secret = create_api_token(actor=mixed["cast"].people["member"], name="audit")
    witness = mixed["witness"].vkey()
    args = f'{site} --vkey "{mixed["vkey"]}" --witness "{witness}" --token {secret}'

    done = tool(f"log {args}")

    expected = (
        f"OK: 8 entries (8 bodies read), {Checkpoint.objects.count()} checkpoints verified "
        "up to size 8; "
        f"cosigned by {WITNESS} up to size 8"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected
    out = io.StringIO()
    call_command(
        "ledger",
        "verify-remote",
        site,
        "--vkey",
        mixed["vkey"],
        "--witness",
        witness,
        "--token",
        secret,
        stdout=out,
    )
    assert out.getvalue().strip() == expected


def test_a_bad_token_is_a_fail_with_the_server_s_reason(site, tool, mixed):
    """Given a token the server does not know, then the check fails saying what the
    server answered, not a traceback."""
    done = tool(f"log {site} --token sng_not-a-token")

    assert done.returncode == 1
    assert done.stderr.startswith(f"FAIL: cannot use the log at {site}: "), done.stderr
    assert "401" in done.stderr and "invalid or revoked" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_tampered_body_fails_at_its_index(site, tool, mixed):
    """Given a public entry's stored body changed in the database (the tree left as it
    was), then the tool fails naming index 3, the first bad index, and so does
    `sinergi ledger verify-remote`."""
    body = bytes(Entry.objects.get(index=3).body)
    Entry.objects.filter(index=3).update(body=support.changed_body(body, n="tampered"))

    done = tool(f'log {site} --vkey "{mixed["vkey"]}"')

    assert done.returncode == 1, done.stdout
    assert "FAIL: entry 3's body does not hash to its leaf hash" in done.stderr
    assert done.stderr.strip().endswith("first bad index: 3")
    assert not done.stdout
    with pytest.raises(CommandError, match="first bad index: 3"):
        call_command("ledger", "verify-remote", site, stderr=io.StringIO())


def test_a_rewritten_private_entry_fails_against_the_checkpoints_read_anonymously(
    site, tool, mixed
):
    """Given the operator's consistent rewrite of a private entry (body, every tree hash
    and the head), which an anonymous reader cannot see the body of, then the signed
    checkpoints no longer match the leaves: the tool fails, naming the range from the
    last matching checkpoint."""
    bodies = support.stored_bodies()
    bodies[6] = support.changed_body(bodies[6], n="rewritten")
    support.rewrite_history(bodies)

    done = tool(f'log {site} --vkey "{mixed["vkey"]}"')

    assert done.returncode == 1, done.stdout
    assert (
        "FAIL: the entries before index 8 do not match checkpoint 8 (the change lies at or "
        "after index 3)" in done.stderr
    )
    assert done.stderr.strip().endswith("first bad index: 3")


def test_entries_after_the_latest_checkpoint_are_read_and_reported_as_not_covered(
    site, tool, mixed
):
    """Given two entries appended since the latest checkpoint (not yet signed), then the
    log verifies up to size 8 and says that 2 entries are not yet covered."""
    support.append_events(2, kind="test.later")
    kept = Checkpoint.objects.count()

    done = tool(f'log {site} --vkey "{mixed["vkey"]}"')

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split("\n")[0] == (
        f"OK: 10 entries (5 bodies read, 5 hidden: leaf hash only), {kept} checkpoints verified "
        "up to size 8; 2 entries appended since, not yet covered by a checkpoint"
    )


def test_a_witness_that_cosigned_nothing_and_a_wrong_log_key_fail(site, tool, mixed):
    """Given a witness key that cosigned no checkpoint, or a log key that is not the
    log's, then the check fails and says which."""
    other = notes.generate_signer("witness.other.example/sinergi", notes.ALG_COSIGNATURE_V1)

    done = tool(f'log {site} --witness "{other.vkey()}"')

    assert done.returncode == 1
    assert (
        "FAIL: no kept checkpoint carries a valid cosignature by witness.other.example/sinergi"
        in done.stderr
    )
    stranger = notes.generate_signer(checkpoints.origin()).vkey()
    done = tool(f'log {site} --vkey "{stranger}"')
    assert done.returncode == 1
    assert "is not validly signed by the log" in done.stderr
    done = tool(f'log {site} --witness "{mixed["vkey"]}"')  # a log key, not a witness's
    assert done.returncode == 1
    assert "is not a cosignature/v1 key" in done.stderr
    assert "cannot use the log" not in done.stderr


def test_every_page_of_entries_and_checkpoints_is_read(site, tool):
    """Given 1,210 entries under 121 checkpoints or more (more than a page of either:
    1,000 entries, 100 checkpoints), then every entry and every checkpoint is checked."""
    for n in range(0, 1210, 10):
        support.append_events(10, first=n)
        checkpoints.issue_checkpoint()

    done = tool(f"log {site}")

    assert done.returncode == 0, done.stderr
    assert Checkpoint.objects.count() >= 121
    assert done.stdout.startswith(
        f"OK: 1210 entries (1210 bodies read), {Checkpoint.objects.count()} checkpoints "
        "verified up to size 1210\n"
    )


# A hostile log: the strict reading and the size limits ----------------------------------

ORIGIN = "log.example.org/hostile"


class FakeSite:
    """A small HTTP server that answers like Sinergi's ledger API for `bodies`."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.key = notes.generate_signer(ORIGIN)
        self.bodies = bodies
        self.requests: list[str] = []
        self.entry: Callable[[int, bytes], dict] = lambda index, body: {
            "index": index,
            "leaf_hash": base64.b64encode(merkle.leaf_hash(body)).decode(),
            "body": base64.b64encode(body).decode(),
        }
        self.url = ""
        self.kept: list[str] | None = None  # the kept checkpoints' notes: the latest only

    def checkpoint(self) -> str:
        root = merkle.root_of([merkle.leaf_hash(b) for b in self.bodies])
        return notes.sign_note(notes.checkpoint_text(ORIGIN, len(self.bodies), root), self.key)

    def answer(self, path: str, query: dict[str, str]) -> bytes:
        if path == "/ledger/vkey":
            return self.key.vkey().encode()
        if path == "/ledger/checkpoint":
            return self.checkpoint().encode()
        if path == "/api/v1/ledger/checkpoints":
            kept = [self.checkpoint()] if self.kept is None else self.kept
            items = [{"note": n} for n in kept] if int(query.get("offset", 0)) == 0 else []
            return json.dumps({"items": items, "count": len(kept)}).encode()
        start = int(query["start"])
        end = min(int(query["end"]), len(self.bodies))
        items = [self.entry(i, self.bodies[i]) for i in range(start, end)]
        return json.dumps({"tree_size": len(self.bodies), "items": items}).encode()


@pytest.fixture
def fake() -> Iterator[FakeSite]:
    site = FakeSite([b"entry %d" % i for i in range(5)])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path, _sep, query = self.path.partition("?")
            site.requests.append(self.path)
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            body = site.answer(path, params)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the tool stopped reading at its limit
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield site
    server.shutdown()
    server.server_close()


def test_the_fake_site_verifies_when_it_behaves(fake):
    report = offline.verify_remote(fake.url)
    assert report.ok, report.problems
    assert (report.size, report.bodies, report.checkpoints) == (5, 5, 1)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda item: {**item, "leaf_hash": "*" + item["leaf_hash"]}, "is not base64"),
        (lambda item: {**item, "body": item["body"] + "\n"}, "is not base64"),
        (lambda item: {**item, "leaf_hash": item["leaf_hash"][:-4]}, "not 32"),
        (lambda item: {**item, "index": 2.0}, "not a whole number"),
        (lambda item: {**item, "index": True}, "not a whole number"),
        (lambda item: {**item, "index": 3}, "entry 2 is missing"),
        (lambda item: [item], "is not an object"),
    ],
)
def test_a_malformed_entry_is_a_fail_never_a_guess(fake, change, problem):
    """Given entry 2 answered with stray characters around its base64, a short leaf hash,
    an index that is a float, a bool or skips one, or not an object, then the check fails
    saying so (and never reads such an entry as valid)."""
    entry = fake.entry
    fake.entry = lambda i, body: change(entry(i, body)) if i == 2 else entry(i, body)

    report = offline.verify_remote(fake.url)

    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


def test_large_entries_are_asked_for_in_smaller_pages(fake):
    """Given entries of 3 MB each (a page of all of them is larger than the 16 MiB a list
    answer may be), then the tool asks again for fewer at a time and verifies them all."""
    fake.bodies = [bytes([i]) * (3 << 20) for i in range(8)]

    report = offline.verify_remote(fake.url)

    assert report.ok, report.problems
    assert (report.size, report.bodies) == (8, 8)
    pages = [r for r in fake.requests if r.startswith("/api/v1/ledger/entries")]
    assert pages[0] == "/api/v1/ledger/entries?start=0&end=1000"
    assert len(pages) > 2


def test_an_entry_larger_than_any_answer_may_be_fails(fake):
    """Given one entry whose answer alone is larger than 16 MiB, then the check fails
    saying the answer was too large, after asking for it alone."""
    fake.bodies = [b"small", b"x" * (13 << 20)]

    report = offline.verify_remote(fake.url)

    assert not report.ok
    assert any(f"larger than {offline.LIST_ANSWER} bytes" in p for p in report.problems)
    assert fake.requests[-1] == "/api/v1/ledger/entries?start=1&end=2"


def test_a_latest_checkpoint_that_is_not_kept_fails(fake):
    """Given a site whose /ledger/checkpoint serves a checkpoint its list of kept ones
    does not hold (every checkpoint issued must be kept), then the check fails."""
    fake.kept = []

    report = offline.verify_remote(fake.url)

    assert not report.ok
    assert "is not among the kept ones" in report.problems[0]


# Remembering the log between runs: `log URL --state DIR` -------------------------------


def remembering(fake: FakeSite, state, *args: str) -> tuple[int, str, str]:
    """Run `log URL --state DIR` in this process (the same code as the .pyz); returns the
    exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = offline.main(["log", fake.url, "--state", str(state), *args])
    return status, out.getvalue(), err.getvalue()


def test_a_history_rewritten_between_two_runs_fails_the_second(fake, tmp_path):
    """Given a first run that passed and remembered the log, when the site rewrites entry
    2 and signs a new checkpoint over the new history with its own key (each run alone
    would pass), then the next run fails against the remembered checkpoint; the memory
    is not overwritten by the failed run."""
    status, out, _err = remembering(fake, tmp_path)
    assert status == 0
    assert "remembered the log's key and 1 checkpoints in" in out
    memory = json.loads((tmp_path / offline.MEMORY_FILE).read_text())
    assert memory["format"] == offline.MEMORY_FORMAT
    assert memory["vkey"] == fake.key.vkey()

    fake.bodies[2] = b"entry 2, rewritten"
    assert offline.verify_remote(fake.url).ok  # alone, the rewritten log verifies
    status, _out, err = remembering(fake, tmp_path)

    assert status == 1
    assert "do not match checkpoint 5" in err
    assert json.loads((tmp_path / offline.MEMORY_FILE).read_text()) == memory


def test_a_log_cut_back_or_a_checkpoint_dropped_since_the_last_run_fails(fake, tmp_path):
    """Given two runs that passed (the log grew from 5 to 7 entries in between: both
    checkpoints remembered), when the site then serves only its first 5 entries, or keeps
    only its latest checkpoint, then the next run fails, saying why."""
    fake.kept = [fake.checkpoint()]
    assert remembering(fake, tmp_path)[0] == 0
    fake.bodies += [b"entry 5", b"entry 6"]
    fake.kept = [fake.kept[0], fake.checkpoint()]
    status, out, _err = remembering(fake, tmp_path)
    assert status == 0, out
    assert "checked against, and remembering, 2 checkpoints" in out

    fake.kept = [fake.checkpoint()]
    status, _out, err = remembering(fake, tmp_path)
    assert status == 1
    assert "checkpoint 5, which you verified on an earlier run, is no longer among" in err

    fake.bodies = fake.bodies[:5]
    fake.kept = None
    status, _out, err = remembering(fake, tmp_path)
    assert status == 1
    assert "the log gives no entry at index 5" in err


def test_a_new_log_key_fails_against_the_remembered_one(fake, tmp_path):
    """Given a first run that remembered the log's key, when the site signs with another
    key under the same name, then the next run fails: the key is the remembered one."""
    assert remembering(fake, tmp_path)[0] == 0
    fake.key = notes.generate_signer(ORIGIN)

    status, _out, err = remembering(fake, tmp_path)

    assert status == 1
    assert "not validly signed by the log" in err


def test_a_state_that_is_not_a_remembered_log_is_a_fail_not_a_first_run(fake, tmp_path):
    (tmp_path / offline.MEMORY_FILE).write_text('{"format": "something else"}')

    status, out, err = remembering(fake, tmp_path)

    assert status == 1
    assert out == ""
    assert "is not a remembered log" in err


def test_the_tool_remembers_a_live_log_and_notices_a_deleted_checkpoint(site, tool, mixed):
    """Given the downloaded tool run twice with `--state` against a live log (both OK, the
    second against what the first remembered), when the operator deletes the older kept
    checkpoint from the database, then the third run fails saying so."""
    vkey = mixed["vkey"]
    first = tool(f'log {site} --vkey "{vkey}" --state remembered')
    assert first.returncode == 0, first.stderr
    assert "remembered the log's key and" in first.stdout
    second = tool(f"log {site} --state remembered")
    assert second.returncode == 0, second.stderr
    assert "checked against, and remembering," in second.stdout

    Checkpoint.objects.filter(size=3).delete()
    third = tool(f"log {site} --state remembered")

    assert third.returncode == 1
    assert "checkpoint 3, which you verified on an earlier run, is no longer among" in third.stderr


def test_sinergi_verify_remote_remembers_too(site, mixed, tmp_path):
    """`sinergi ledger verify-remote URL --state DIR` keeps the same memory as the tool:
    a checkpoint deleted after a run that remembered it fails the next run."""
    out = io.StringIO()
    call_command("ledger", "verify-remote", site, "--state", str(tmp_path), stdout=out)
    assert "remembered the log's key and" in out.getvalue()

    Checkpoint.objects.filter(size=3).delete()

    err = io.StringIO()
    with pytest.raises(CommandError, match="the log does not verify"):
        call_command("ledger", "verify-remote", site, "--state", str(tmp_path), stderr=err)
    assert "checkpoint 3, which you verified on an earlier run" in err.getvalue()
