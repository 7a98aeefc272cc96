"""The witness against a hostile log, over real HTTP.

A small HTTP server in a thread plays the log: it signs its checkpoints with a real
Ed25519 key and answers like Sinergi's API, except where a test makes it misbehave. The
witness must refuse or give up with a clear message, within bounds of time and memory,
print nothing the log chose to a terminal as it is, and keep its state as it was.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sinergi.ledger import merkle, notes, witness

ORIGIN = "log.example.org/hostile"
Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FakeLog:
    """What the fake log serves: a signed tree of `size` leaves, and per-path overrides."""

    key: notes.Signer = field(default_factory=lambda: notes.generate_signer(ORIGIN))
    size: int = 5
    overrides: dict[str, Answer] = field(default_factory=dict)
    url: str = ""
    cosignatures: int = 0  # cosignatures posted and accepted

    def leaves(self) -> list[bytes]:
        return [merkle.leaf_hash(b"entry %d" % i) for i in range(self.size)]

    def checkpoint(self, size_text: str | None = None) -> str:
        root = merkle.root_of(self.leaves())
        text = notes.checkpoint_text(ORIGIN, self.size, root)
        if size_text is not None:
            text = text.replace(f"\n{self.size}\n", f"\n{size_text}\n", 1)
        return notes.sign_note(text, self.key)

    def consistency(self, first: int) -> dict:
        hashes = merkle.consistency_proof(first, self.size, merkle.range_hasher(self.leaves()))
        return {"hashes": [base64.b64encode(h).decode() for h in hashes]}


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def log() -> Iterator[FakeLog]:
    fake = FakeLog()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def answer(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in fake.overrides:
                fake.overrides[path](self)
            elif path == "/ledger/vkey":
                send(self, 200, fake.key.vkey().encode())
            elif path == "/ledger/checkpoint":
                send(self, 200, fake.checkpoint().encode())
            elif path == "/api/v1/ledger/proof/consistency":
                first = int(self.path.split("first=")[1].split("&")[0])
                send(self, 200, json.dumps(fake.consistency(first)).encode())
            elif path == "/api/v1/ledger/cosignatures":
                self.rfile.read(int(self.headers["Content-Length"]))
                fake.cosignatures += 1
                send(self, 201, b"{}")
            else:
                send(self, 404, b"no")

        do_GET = answer
        do_POST = answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def key_path(tmp_path) -> Path:
    return tmp_path / "witness.key"


@pytest.fixture
def state(tmp_path) -> Path:
    return tmp_path / "state"


def run(log: FakeLog, key_path: Path, state: Path) -> tuple[int, str]:
    return witness.run_command(log.url, key_path, state, "witness.example.org/w")


def seen(state: Path) -> int | None:
    file = state / "checkpoint"
    return notes.parse_checkpoint_text(file.read_text()).size if file.exists() else None


def test_the_fake_log_is_cosigned_when_it_behaves(log, key_path, state):
    """Given the fake log behaving, then the witness cosigns it, and again after growth:
    the misbehaviours below are the only difference."""
    assert run(log, key_path, state) == (0, "cosigned size 5 (first checkpoint accepted on trust)")
    log.size = 9
    assert run(log, key_path, state) == (0, "cosigned size 9 (consistent)")


def endless(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"x" * 65536
    try:
        while True:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass  # the witness hung up


def test_an_endless_answer_is_cut_at_the_size_limit(log, key_path, state):
    """Given a checkpoint answer that never ends, then the witness stops reading at
    MAX_ANSWER bytes and gives up (exit 1) instead of filling its memory."""
    log.overrides["/ledger/checkpoint"] = endless

    status, message = run(log, key_path, state)

    assert status == 1
    assert f"larger than {witness.MAX_ANSWER} bytes" in message
    assert seen(state) is None


def test_an_answer_that_trickles_in_is_cut_at_the_deadline(log, key_path, state, monkeypatch):
    """Given a log that sends a byte at a time, each well within the read timeout, then
    the witness gives up once the whole answer has taken longer than DEADLINE."""
    monkeypatch.setattr(witness, "DEADLINE", 0.5)

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    log.overrides["/ledger/checkpoint"] = drip
    started = time.monotonic()

    status, message = run(log, key_path, state)

    assert status == 1
    assert "took more than 0.5 seconds" in message
    assert time.monotonic() - started < 5  # 1000 bytes would take 50 s
    assert seen(state) is None


@pytest.mark.parametrize("target", ["http://127.0.0.2:9/ledger/checkpoint", "ftp://127.0.0.1/x"])
def test_a_redirect_away_from_the_log_is_not_followed(log, key_path, state, target):
    """Given a redirect to another host or to another scheme, then the witness does not
    follow it: `--url` names the log it checks."""

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    log.overrides["/ledger/checkpoint"] = redirect

    status, message = run(log, key_path, state)

    assert status == 1
    assert "redirected away from 127.0.0.1" in message
    assert seen(state) is None


def test_a_redirect_on_the_same_host_is_followed(log, key_path, state):
    """Given a redirect to another path on the same host (as from http to https), then
    the witness follows it and cosigns."""

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(301)
        handler.send_header("Location", f"{log.url}/moved/checkpoint")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    log.overrides["/ledger/checkpoint"] = redirect
    log.overrides["/moved/checkpoint"] = lambda h: send(h, 200, log.checkpoint().encode())

    assert run(log, key_path, state)[0] == 0


@pytest.mark.parametrize(
    "proof",
    [
        "junk",  # padding characters around valid base64
        {"hashes": "not a list"},
        {"hashes": 7},
        {"hashes": [7]},
        {"hashes": ["not base64!"]},
        ["a list, not an object"],
    ],
)
def test_a_malformed_consistency_proof_is_refused(log, key_path, state, proof):
    """Given a grown log whose consistency proof is malformed (even one whose base64 is
    right but for stray characters), then the witness refuses (exit 2) and keeps what
    it saw."""
    assert run(log, key_path, state)[0] == 0
    log.size = 9
    if proof == "junk":
        proof = {"hashes": ["*" + h + "!" for h in log.consistency(5)["hashes"]]}
    body = json.dumps(proof).encode()
    log.overrides["/api/v1/ledger/proof/consistency"] = lambda h: send(h, 200, body)

    status, message = run(log, key_path, state)

    assert status == 2, message
    assert message.startswith("REFUSED: ")
    assert seen(state) == 5


@pytest.mark.parametrize("size_text", ["\u0668", "\uff18", "\u00b2", "0" * 20, "9" * 30])
def test_a_size_that_is_not_ascii_decimal_is_refused(log, key_path, state, size_text):
    """Given a checkpoint validly signed by the log whose size is Arabic-Indic, full-width
    or superscript digits, or too long for a 63-bit size, then the witness refuses it
    (C2SP: ASCII decimal) rather than cosign what other verifiers reject."""
    log.overrides["/ledger/checkpoint"] = lambda h: send(h, 200, log.checkpoint(size_text).encode())

    status, message = run(log, key_path, state)

    assert status == 2, message
    assert "malformed checkpoint" in message
    assert seen(state) is None


def test_what_the_log_says_reaches_the_terminal_escaped_and_cut(log, key_path, state):
    """Given a refusal of the cosignature whose text holds terminal escape sequences and
    is 300 kB long, then the witness's message shows the escapes as text and is cut."""
    trick = "\x1b[2J\x1b[32mOK: all good\x1b[0m" + "x" * 300_000

    def refuse(handler: BaseHTTPRequestHandler) -> None:
        handler.rfile.read(int(handler.headers["Content-Length"]))
        send(handler, 422, trick.encode())

    log.overrides["/api/v1/ledger/cosignatures"] = refuse

    status, message = run(log, key_path, state)

    assert status == 1
    assert "\x1b" not in message
    assert "\\x1b[2J" in message
    assert len(message) < 2000


def test_a_log_key_name_with_control_characters_is_not_a_key(log, key_path, state):
    """Given a log whose verifier key's name holds an escape character, then the witness
    does not pin it (a name that reaches terminals and pages must be printable)."""
    evil = notes.vkey_for(log.key.name + "\x1b[2J", notes.ALG_ED25519, log.key.public)
    log.overrides["/ledger/vkey"] = lambda h: send(h, 200, evil.encode())

    status, message = run(log, key_path, state)

    assert status == 1
    assert "\x1b" not in message
    assert seen(state) is None


def test_a_state_that_cannot_be_kept_stops_the_run_before_it_cosigns(log, key_path, tmp_path):
    """Given a state folder that cannot be written (here, under a file), then the witness
    says the problem is its own folder, not the log, and posts nothing: a cosignature it
    could not remember would leave it unable to see a fork from it later."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    status, message = run(log, key_path, blocker / "state")

    assert status == 1
    assert message.startswith("cannot keep the witness state in ")
    assert "cannot use the log" not in message
    assert log.cosignatures == 0


def test_a_damaged_state_is_named_as_such(log, key_path, state):
    """Given the remembered checkpoint cut short, then the witness says which file is
    damaged and what to do, and does not cosign on trust again."""
    assert run(log, key_path, state)[0] == 0
    (state / "checkpoint").write_text("log.example.org/hostile\n")
    log.size = 9

    status, message = run(log, key_path, state)

    assert status == 1
    assert "is not the checkpoint this witness last cosigned" in message
    assert log.cosignatures == 1


def test_the_state_is_written_whole_and_the_key_private(log, key_path, state):
    """Given a run, then the state holds the cosigned checkpoint with no temporary file
    left beside it, and the new witness key was created readable by its owner only."""
    assert run(log, key_path, state)[0] == 0

    assert sorted(p.name for p in state.iterdir()) == ["checkpoint", "log.vkey"]
    assert seen(state) == 5
    assert key_path.stat().st_mode & 0o777 == 0o600


REPO = Path(__file__).resolve().parents[2]


def witness_process(
    log: FakeLog,
    key_path: Path,
    state: Path,
    *,
    max_file_size: int | None = None,
    name: str = "witness.example.org/w",
) -> subprocess.CompletedProcess[str]:
    """`python -m sinergi.ledger.offline witness` in a process of its own, optionally
    unable to write more than `max_file_size` bytes to any file (RLIMIT_FSIZE: a full
    disk or a quota, as the operating system reports it)."""

    def limit() -> None:
        if max_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_size, max_file_size))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON"))}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "sinergi.ledger.offline", "witness", "--url", log.url]
    command += ["--key", str(key_path), "--state", str(state), "--name", name]
    return subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,  # only setrlimit, before exec
    )


def test_a_key_that_cannot_be_written_leaves_no_key_file(log, key_path, state):
    """Given a witness that cannot write files (a full disk), then its first run says it
    cannot create the key, and leaves no key file at all (it used to leave an empty one,
    0600, which every later run blamed on the log) nor a temporary one; the next run,
    with room, makes the key and cosigns."""
    done = witness_process(log, key_path, state, max_file_size=0)

    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"cannot create the witness key {key_path}: "), done.stderr
    assert list(key_path.parent.iterdir()) == []
    assert log.cosignatures == 0

    done = witness_process(log, key_path, state)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cosigned size 5 (first checkpoint accepted on trust)"
    assert notes.parse_skey(key_path.read_text()).name == "witness.example.org/w"
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["state", "witness.key"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is empty"),
        ("garbage\n", "does not hold a witness key"),
        ("PRIVATE+KEY+witness.example.org/w+0000+not base64!\n", "does not hold a witness key"),
        (None, "is not a witness (cosignature/v1) key"),  # the log's own kind of key
    ],
)
def test_a_bad_key_file_is_named_as_the_problem_not_the_log(log, key_path, state, content, problem):
    """Given a key file that is empty (as the failure above used to leave), garbage, not
    base64, or a log's signing key, then the witness names that file and what is wrong
    with it (exit 1), says nothing against the log, posts nothing, and leaves it as it was."""
    if content is None:
        content = notes.generate_signer("witness.example.org/w").skey() + "\n"
    key_path.write_text(content)
    key_path.chmod(0o600)

    done = witness_process(log, key_path, state)

    assert done.returncode == 1, done.stderr
    assert str(key_path) in done.stderr, done.stderr
    assert problem in done.stderr, done.stderr
    assert "cannot use the log" not in done.stderr
    assert "Traceback" not in done.stderr
    assert log.cosignatures == 0
    assert key_path.read_text() == content


def test_a_bad_name_for_a_new_key_is_not_blamed_on_the_log(log, key_path, state):
    """Given no key file and a --name that cannot name a key, then the witness says it
    cannot create its key and why, not that it cannot use the log, and writes nothing."""
    done = witness_process(log, key_path, state, name="my witness")

    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"cannot create the witness key {key_path}: "), done.stderr
    assert "'my witness'" in done.stderr
    assert "cannot use the log" not in done.stderr
    assert list(key_path.parent.iterdir()) == []
