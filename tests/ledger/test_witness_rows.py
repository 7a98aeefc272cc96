"""Registered witnesses whose key is not one: refused by the admin, reported by verify.

`ledger verify` and every export read every registered witness key; a row whose key does
not parse (an SQL edit, or one registered before keys were checked) must be a line in
the report and leave exports whole, never a traceback.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sinergi.ledger import audit, checkpoints, notes, offline
from sinergi.ledger.models import Witness
from tests.factories import PersonFactory
from tests.ledger import support

ADD = "/en/admin/ledger/witness/add/"
NAME = "witness.example.org/typo"


@pytest.fixture
def staff_client(ledger) -> Client:
    client = Client()
    client.force_login(PersonFactory(is_staff=True, is_superuser=True))
    return client


def cosignature_key(name: str = NAME) -> str:
    return notes.generate_signer(name, notes.ALG_COSIGNATURE_V1).vkey()


@pytest.mark.parametrize(
    ("vkey", "field", "message"),
    [
        (f"{NAME}+zz", "vkey", "This is not a verifier key"),
        (notes.generate_signer(NAME).vkey(), "vkey", "must be a cosignature/v1 key"),
        ("witness.example.org/other+00000000+AAAA", "vkey", "This is not a verifier key"),
        ("KEY", "vkey", "This is not a verifier key"),
        (None, "name", "must be the one in the verifier key: witness.example.org/other"),
    ],
    ids=["not-base64", "log-key-type", "wrong-id", "garbage", "another-name"],
)
def test_the_admin_refuses_a_witness_key_that_is_not_one(staff_client, vkey, field, message):
    """Given staff adding a witness in the admin with a key that does not parse, is not a
    cosignature/v1 key, or names another witness, then the form is shown again with the
    error at the field, and nothing is registered."""
    if vkey is None:
        vkey = cosignature_key("witness.example.org/other")

    response = staff_client.post(ADD, {"name": NAME, "vkey": vkey})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Witness.objects.exists()


def test_the_admin_registers_a_witness_with_its_cosignature_key(staff_client):
    vkey = cosignature_key()

    response = staff_client.post(ADD, {"name": NAME, "vkey": vkey})

    assert response.status_code == 302, response.content[:500]
    assert Witness.objects.get().vkey == vkey


@pytest.fixture
def bad_witness(ledger) -> Witness:
    """A log of 3 entries, a checkpoint, and a witness row whose key is not one (as an
    SQL edit, or a row older than the check, leaves it)."""
    support.append_events(3)
    checkpoints.issue_checkpoint()
    return Witness.objects.create(name=NAME, vkey=f"{NAME}+zz")


def test_verify_reports_a_witness_key_that_is_not_one(bad_witness):
    err = io.StringIO()
    with pytest.raises(CommandError, match="no entry is at fault"):
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)

    assert f"FAIL: witness {NAME}'s verifier key is not one" in err.getvalue()
    report = audit.verify_log()
    assert report.first_bad_index is None
    assert report.checkpoints == 1


def test_an_export_leaves_out_a_witness_key_that_is_not_one_and_verifies(
    bad_witness, tmp_path, caplog
):
    """Given the same row and a good witness, then `export` writes a bundle with the good
    key only, which verifies; the bad one is logged."""
    good = cosignature_key("witness.example.org/good")
    Witness.objects.create(name="witness.example.org/good", vkey=good)
    path = tmp_path / "bundle.json"

    with caplog.at_level("ERROR", logger="sinergi.ledger.audit"):
        call_command("ledger", "export", str(path), stdout=io.StringIO())

    bundle = json.loads(path.read_text())
    assert bundle["witnesses"] == [good]
    assert offline.verify_bundle(bundle).ok
    assert f"witness {NAME}'s verifier key is not one" in caplog.text


def test_the_admin_lists_of_the_log_read_in_indonesian(staff_client):
    """Given a checkpoint with a witness's cosignature, then in Indonesian the admin's
    checkpoint list heads its root column in Indonesian and the cosignature list names the
    checkpoint in Indonesian (they were English f-strings and a property's name)."""
    import html

    support.append_events(3)
    checkpoint = checkpoints.issue_checkpoint()
    witness = Witness.objects.create(name=NAME, vkey=cosignature_key())
    witness.cosignatures.create(checkpoint=checkpoint, timestamp=1, line="x")

    listed = html.unescape(staff_client.get("/id/admin/ledger/checkpoint/").text)
    assert "Hash akar (base64)" in listed
    assert "Root b64" not in listed
    cosignatures = html.unescape(staff_client.get("/id/admin/ledger/cosignature/").text)
    assert "titik periksa berisi 3 entri" in cosignatures
    english = html.unescape(staff_client.get("/en/admin/ledger/cosignature/").text)
    assert "checkpoint of 3 entries" in english
    from django.utils import translation

    from sinergi.ledger.models import Checkpoint

    with translation.override("en"):
        assert str(Checkpoint(size=1)) == "checkpoint of 1 entry"
