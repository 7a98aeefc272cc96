"""The log's signing key gone or broken: writes still answer what happened, nothing makes
a new key that would sign checkpoints no one can check, and the commands say why.

The live server runs the requests through the whole stack, with the post-commit
checkpoint that used to turn a saved change into a 500.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sinergi.access.services import create_api_token
from sinergi.ledger import checkpoints
from sinergi.ledger.models import Checkpoint, Entry
from sinergi.partnerships.models import Partnership
from tests.factories import PersonFactory
from tests.ledger import support


def break_key(path: Path, how: str) -> None:
    checkpoints._signer_for.cache_clear()
    path.unlink()
    if how == "garbage":
        path.write_text("garbage\n")
    elif how == "truncated":
        path.write_text("PRIVATE+KEY+sinergi.localhost/ledger+0000")
    elif how == "directory":
        path.mkdir()


@pytest.fixture
def signed(ledger) -> Path:
    """A log of 3 entries under a checkpoint; returns the key's path."""
    support.append_events(3)
    checkpoints.issue_checkpoint()
    return ledger


def test_a_missing_key_is_not_made_again_once_checkpoints_exist(signed):
    """Given the key file gone after checkpoints were signed with it, then `ledger verify`,
    `ledger vkey` and `ledger checkpoint` say to restore it, and no new key file appears
    (before, each made a new key, and the next checkpoint made `verify` fail for good)."""
    break_key(signed, "missing")
    support.append_events(1, first=3)  # so that `ledger checkpoint` has a head to sign

    for action in ("verify", "vkey", "checkpoint"):
        with pytest.raises(CommandError, match="is missing, and the log's checkpoints were signed"):
            call_command("ledger", action, stdout=io.StringIO(), stderr=io.StringIO())

    assert not signed.exists()


def test_a_key_is_made_on_first_use_while_nothing_is_signed(ledger):
    """Given no key and no checkpoint (a new installation), then the first checkpoint
    makes the key, as before."""
    assert not ledger.exists()
    support.append_events(1)

    assert checkpoints.issue_checkpoint().size == 1
    assert ledger.exists()


def post_json(url: str, data: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.mark.parametrize("how", ["missing", "garbage", "truncated", "directory"])
def test_a_write_with_an_unusable_key_answers_what_happened(
    live_server, signed, how, caplog, settings
):
    """Given an unusable key, when a partnership is created over HTTP, then the answer is
    201 (the change and its entry are committed; before, the checkpoint after the commit
    failed and the answer was 500, and people retried), the failure is logged as critical,
    readers get the last checkpoint, and the verifier key answers 503 saying why."""
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 0.0
    person = PersonFactory()
    _token, secret = create_api_token(actor=person, name="tests")
    break_key(signed, how)
    entries = Entry.objects.count()

    with caplog.at_level(logging.CRITICAL, logger="sinergi.ledger.checkpoints"):
        status, body = post_json(
            f"{live_server.url}/api/v1/partnerships", {"title": "Key trouble"}, secret
        )

    assert status == 201, body
    assert Partnership.objects.filter(title="Key trouble").exists()
    assert Entry.objects.count() > entries
    assert "did not sign a checkpoint" in caplog.text
    with urllib.request.urlopen(f"{live_server.url}/ledger/checkpoint", timeout=30) as r:
        assert r.status == 200
        newest = Checkpoint.objects.order_by("-size")[0]
        assert f"\n{newest.size}\n" in r.read().decode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{live_server.url}/ledger/vkey", timeout=30)
    assert refused.value.code == 503
    with urllib.request.urlopen(f"{live_server.url}/en/ledger/", timeout=30) as r:
        assert r.status == 200


def test_an_export_that_fails_leaves_no_file(signed, tmp_path):
    """Given an unusable key, or a folder that does not exist, then `ledger export` says
    why and leaves no truncated bundle behind."""
    break_key(signed, "garbage")
    target = tmp_path / "ledger.json"

    with pytest.raises(CommandError, match="is not a signing key"):
        call_command("ledger", "export", str(target), stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot write"):
        call_command("ledger", "export", str(tmp_path / "no" / "x.json"), stdout=io.StringIO())

    assert list(tmp_path.iterdir()) == []


def test_verify_names_no_index_when_no_entry_is_at_fault(signed):
    """Given a checkpoint signed by another key (a key replaced by mistake), then verify
    fails on the signature and says no entry is at fault, not "first bad index: None"."""
    stray = Checkpoint.objects.get()
    stray.note = support.sign_as_log(stray.body).replace("\u2014 ", "\u2014 x", 1)
    stray.save()

    with pytest.raises(CommandError, match="no entry is at fault") as failed:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=io.StringIO())

    assert "None" not in str(failed.value)
