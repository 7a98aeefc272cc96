"""A partner's witness against a live Sinergi server, over real HTTP.

The witness trusts the first checkpoint it sees (C2SP tlog-witness), pins the log key,
and from then on cosigns only checkpoints that provably extend the last one it saw. It
refuses a rollback, a fork (two roots for one size) and a rewritten history, even when
the malicious log signs those checkpoints with its real key.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sinergi.ledger import audit, checkpoints, notes, witness
from sinergi.ledger.models import Checkpoint, Cosignature, Witness
from tests.ledger import support

WITNESS_NAME = "witness.example.org/yayasan-air"


@pytest.fixture
def server(live_server, ledger) -> str:
    """A live server whose log holds five entries; returns its base URL."""
    support.append_events(5)
    return live_server.url


@pytest.fixture
def key() -> notes.Signer:
    return notes.generate_signer(WITNESS_NAME, notes.ALG_COSIGNATURE_V1)


@pytest.fixture
def registered(key) -> notes.Signer:
    Witness.objects.create(name=key.name, vkey=key.vkey())
    return key


@pytest.fixture
def state(tmp_path) -> Path:
    return tmp_path / "witness-state"


def saw(state: Path) -> notes.Checkpoint:
    """The checkpoint the witness remembers."""
    return notes.parse_checkpoint_text((state / "checkpoint").read_text())


def test_the_witness_trusts_the_first_checkpoint_then_cosigns_consistent_growth(
    server, registered, state
):
    """Given a registered witness with no state, when it runs, then it pins the log key,
    accepts checkpoint 5 on trust and its cosignature is published; after four more
    entries it checks the consistency proof 5 → 9 and cosigns again; `ledger verify`
    counts both cosignatures."""
    first = witness.run_once(server, registered, state)

    assert (first.size, first.previous, first.posted) == (5, None, True)
    assert first.message == "first checkpoint accepted on trust"
    assert (state / "log.vkey").read_text().strip() == checkpoints.verifier_key()
    assert saw(state).size == 5

    support.append_events(4)
    second = witness.run_once(server, registered, state)

    assert (second.size, second.previous, second.posted) == (9, 5, True)
    assert second.message == "consistent"
    assert saw(state).size == 9
    cosigned = Cosignature.objects.filter(witness__name=WITNESS_NAME)
    assert sorted(c.checkpoint.size for c in cosigned) == [5, 9]
    assert WITNESS_NAME in checkpoints.full_note(Checkpoint.objects.get(size=9))
    report = audit.verify_log()
    assert report.ok, report.problems
    assert report.cosignatures == 2


def test_an_unchanged_log_is_cosigned_again(server, registered, state):
    """Given no new entries between two runs, then the same checkpoint is cosigned again."""
    witness.run_once(server, registered, state)

    again = witness.run_once(server, registered, state)

    assert (again.size, again.previous, again.posted) == (5, 5, True)


def test_an_unregistered_witness_checks_but_is_not_accepted(server, key, state):
    """Given a witness the log does not know, then it still checks and remembers the
    checkpoint, but reports that the log refused its cosignature."""
    outcome = witness.run_once(server, key, state)

    assert outcome.posted is False
    assert "No registered witness" in outcome.message
    assert saw(state).size == 5
    assert not Cosignature.objects.exists()


def test_the_witness_refuses_a_rollback(server, registered, state):
    """Given a witness whose state shows a larger log than the server now serves (the
    log was rolled back), then it refuses with WitnessRefusal, keeps its state and
    cosigns nothing."""
    witness.run_once(server, registered, state)
    later = notes.checkpoint_text(checkpoints.origin(), 50, support.mth([support.leaf(b"x")]))
    (state / "checkpoint").write_text(later)

    with pytest.raises(witness.WitnessRefusal, match="rollback"):
        witness.run_once(server, registered, state)

    assert saw(state).size == 50
    assert Cosignature.objects.count() == 1


def test_the_witness_refuses_a_rewritten_history(server, registered, state):
    """Given a witness that cosigned checkpoint 5, when the log rewrites entry 2, grows to
    8 and signs the new tree with its real key (bypassing its own refusal), then the
    consistency proof 5 → 8 cannot lead to the root the witness saw: WitnessRefusal, and
    the forged checkpoint gets no cosignature."""
    witness.run_once(server, registered, state)
    original = saw(state)
    support.append_events(3)
    bodies = support.stored_bodies()
    bodies[2] = support.changed_body(bodies[2], n="rewritten")
    support.rewrite_history(bodies)
    Cosignature.objects.filter(checkpoint__size__gt=5).delete()
    Checkpoint.objects.filter(size__gt=5).delete()
    forged = support.forge_checkpoint(8, support.mth([support.leaf(b) for b in bodies]))

    with pytest.raises(witness.WitnessRefusal, match="rewritten"):
        witness.run_once(server, registered, state)

    assert saw(state) == original
    assert not Cosignature.objects.filter(checkpoint=forged).exists()


def test_the_witness_refuses_a_fork_at_the_same_size(server, registered, state):
    """Given a witness that cosigned checkpoint 5, when the log replaces it by another
    checkpoint of size 5 with a different root (history rewritten in place), then the
    witness refuses: two roots for one size."""
    witness.run_once(server, registered, state)
    bodies = support.stored_bodies()
    bodies[0] = support.changed_body(bodies[0], n="forked")
    support.rewrite_history(bodies)
    Cosignature.objects.all().delete()
    Checkpoint.objects.all().delete()
    support.forge_checkpoint(5, support.mth([support.leaf(b) for b in bodies]))

    with pytest.raises(witness.WitnessRefusal, match="fork"):
        witness.run_once(server, registered, state)

    assert not Cosignature.objects.exists()


def test_the_witness_refuses_a_checkpoint_not_signed_by_the_pinned_key(server, registered, state):
    """Given a witness that pinned another key under the log's name, then the served
    checkpoint is refused as not signed by the log."""
    impostor = notes.generate_signer(checkpoints.origin())

    with pytest.raises(witness.WitnessRefusal, match="not signed by the log"):
        witness.run_once(server, registered, state, log_vkey=impostor.vkey())

    assert not (state / "checkpoint").exists()
    assert not Cosignature.objects.exists()


def test_the_witness_command_registers_and_cosigns(server, tmp_path):
    """Given `sinergi ledger add-witness` with a key the witness made, when `sinergi
    ledger witness` runs once against the live server, then it cosigns checkpoint 5;
    a second key that was never registered makes the command fail with the hint."""
    key_file = tmp_path / "witness.key"
    key = witness.load_or_create_key(key_file, WITNESS_NAME)
    out = io.StringIO()
    call_command("ledger", "add-witness", key.vkey(), stdout=out)
    assert out.getvalue().strip() == f"registered witness {WITNESS_NAME}"

    out = io.StringIO()
    call_command(
        "ledger",
        "witness",
        "--url",
        server,
        "--key",
        str(key_file),
        "--state",
        str(tmp_path / "state"),
        stdout=out,
    )

    assert out.getvalue().strip() == "cosigned size 5 (first checkpoint accepted on trust)"
    assert Cosignature.objects.get().witness.name == WITNESS_NAME

    with pytest.raises(CommandError, match="add-witness"):
        call_command(
            "ledger",
            "witness",
            "--url",
            server,
            "--key",
            str(tmp_path / "stranger.key"),
            "--state",
            str(tmp_path / "stranger-state"),
            "--name",
            "witness.example.org/stranger",
            stdout=io.StringIO(),
        )
    assert (tmp_path / "stranger.key").exists()
    assert Cosignature.objects.count() == 1


def test_the_demo_prints_a_witness_command_that_cosigns_the_demo_log(
    live_server, ledger, settings, tmp_path
):
    """Given `sinergi demo --url <server>`, then the witness command it prints names that
    server and, run as printed, cosigns the demo log as the demo university's witness."""
    import shlex

    settings.DATA_DIR = tmp_path  # the demo witness's key and state, this test's own

    out = io.StringIO()
    call_command("demo", "--url", live_server.url, stdout=out)
    line = next(x for x in out.getvalue().splitlines() if " ledger witness " in x)
    program, *arguments = shlex.split(line)

    assert program == "sinergi"  # as invoked here; under `make run`, .venv/bin/sinergi
    assert arguments[arguments.index("--url") + 1] == live_server.url
    done = io.StringIO()
    call_command(*arguments, stdout=done)
    assert done.getvalue().startswith("cosigned size ")
    assert Cosignature.objects.get().witness.name == "witness.ugm.example/sinergi"


def test_a_fresh_demo_database_starts_the_demo_witness_afresh(ledger, settings, tmp_path):
    """Given the demo witness remembers a log, when the demo loads into a new database, then
    that memory is gone (the new log would look like a rollback to it); loading the demo
    again into the same database keeps it."""
    settings.DATA_DIR = tmp_path
    state = tmp_path / "demo-witness-state"
    state.mkdir()
    (state / "checkpoint").write_text("the earlier demo log's checkpoint")

    call_command("demo", "--quiet", stdout=io.StringIO())
    assert not state.exists()

    state.mkdir()
    (state / "checkpoint").write_text("this demo log's checkpoint")
    call_command("demo", "--quiet", stdout=io.StringIO())
    assert (state / "checkpoint").read_text() == "this demo log's checkpoint"
