"""Offline audit: `sinergi ledger export`, `verify-bundle`, and the stand-alone verifier.

`python -m sinergi.ledger.offline` must work for an auditor with only this source tree:
no Django settings, no database, no network. The subprocesses here run with no
DJANGO_SETTINGS_MODULE, from an empty directory, with only PYTHONPATH pointing at the
checkout.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sinergi.ledger import checkpoints, log, notes
from sinergi.ledger.models import Checkpoint, Entry, Witness
from tests.factories import PartnershipFactory
from tests.ledger import support

REPO = Path(__file__).resolve().parents[2]
SIZE = 20
WITNESS = "witness.example.org/audit"
WITNESSED = f"; cosigned by {WITNESS} up to size {SIZE}"
# What an OK says when the log's key, or a witness's, was not given by the auditor.
FROM_BUNDLE = (
    "note: the log's key was taken from the bundle, not given by you: give --vkey VKEY to "
    "check against a key you obtained yourself"
)
NOT_CHECKED = (
    f"note: the cosignatures by {WITNESS} were NOT checked (no key you gave): give --witness "
    "VKEY to check a witness you trust, with the key you got from it"
)


def offline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m sinergi.ledger.offline …` as an auditor would: no Django at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "sinergi.ledger.offline", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def auditor_dir(tmp_path) -> Path:
    path = tmp_path / "auditor"
    path.mkdir()
    return path


@pytest.fixture
def bundle(ledger, tmp_path) -> Path:
    """An export of 20 entries, each followed by a checkpoint, the last one cosigned by a
    registered witness."""
    for n in range(SIZE):
        support.append_events(1, first=n)  # distinct bytes, however fast the clock
        checkpoints.issue_checkpoint()
    key = notes.generate_signer(WITNESS, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=key.name, vkey=key.vkey())
    latest = checkpoints.latest_checkpoint()
    checkpoints.record_cosignature(latest.note, notes.cosign(latest.body, key, 1_700_000_000))
    path = tmp_path / "ledger.json"
    out = io.StringIO()
    call_command("ledger", "export", str(path), stdout=out)
    assert out.getvalue().strip() == f"wrote {SIZE} entries to {path}"
    return path


def edit(path: Path, change) -> Path:
    """Apply `change` to the bundle's JSON and write it beside the original."""
    data = json.loads(path.read_text())
    change(data)
    edited = path.with_name("edited.json")
    edited.write_text(json.dumps(data))
    return edited


def replace_entry(index: int, **payload):
    def change(data: dict) -> None:
        body = base64.b64decode(data["entries"][index])
        data["entries"][index] = support.b64(support.changed_body(body, **payload))

    return change


def test_the_export_holds_the_log(bundle):
    """Given an export, then it holds every entry's exact bytes, every checkpoint (the
    last with its cosignature), the log key and the witness key."""
    data = json.loads(bundle.read_text())

    assert data["format"] == "sinergi-ledger-bundle/v1"
    assert data["vkey"] == checkpoints.verifier_key()
    assert [base64.b64decode(e) for e in data["entries"]] == support.stored_bodies()
    assert len(data["checkpoints"]) == SIZE
    assert "witness.example.org/audit" in data["checkpoints"][-1]
    assert data["witnesses"] == list(Witness.objects.values_list("vkey", flat=True))


def test_export_then_verify_bundle_passes(bundle):
    """Given a fresh export, then `sinergi ledger verify-bundle` (pinned key or not)
    reports every entry and checkpoint verified; without --vkey it says the log's key came
    from the bundle, and without --witness that the cosignatures were not checked (the
    witness keys in the bundle are not used)."""
    out = io.StringIO()
    call_command("ledger", "verify-bundle", str(bundle), stdout=out)
    assert out.getvalue().strip().split("\n") == [
        f"OK: {SIZE} entries, {SIZE} checkpoints verified",
        FROM_BUNDLE,
        NOT_CHECKED,
    ]

    out = io.StringIO()
    call_command(
        "ledger", "verify-bundle", str(bundle), "--vkey", checkpoints.verifier_key(), stdout=out
    )
    assert out.getvalue().strip().split("\n") == [
        f"OK: {SIZE} entries, {SIZE} checkpoints verified",
        NOT_CHECKED,
    ]


def test_the_offline_verifier_needs_no_django(auditor_dir):
    """Given a Python with only the checkout on its path, importing the verifier loads no
    Django module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PYTHONPATH"] = str(REPO)
    code = (
        "import sys, sinergi.ledger.offline\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=auditor_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_offline_verifier_passes_a_fresh_bundle(bundle, auditor_dir):
    """Given the export and the log key, then `python -m sinergi.ledger.offline bundle`
    run without Django exits 0 and says what it verified, and what not: the witness's
    cosignature, whose key the auditor did not give."""
    result = offline("bundle", str(bundle), "--vkey", checkpoints.verifier_key(), cwd=auditor_dir)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"OK: {SIZE} entries, {SIZE} checkpoints verified\n{NOT_CHECKED}"
    )


@pytest.mark.parametrize("index", [0, 13, SIZE - 1])
def test_one_altered_entry_fails_with_its_index(bundle, auditor_dir, index):
    """Given one entry in the JSON replaced by other valid canonical JSON, then the
    offline verifier exits 1 and prints that index as the first bad one (a checkpoint
    follows every entry, so the change is pinned exactly); `verify-bundle` agrees."""
    edited = edit(bundle, replace_entry(index, n="forged"))

    result = offline("bundle", str(edited), "--vkey", checkpoints.verifier_key(), cwd=auditor_dir)

    assert result.returncode == 1, result.stdout
    assert f"first bad index: {index}\n" in result.stderr
    assert "FAIL:" in result.stderr
    assert "OK" not in result.stdout
    with pytest.raises(CommandError, match=rf"first bad index: {index}$"):
        call_command("ledger", "verify-bundle", str(edited), stderr=io.StringIO())


def test_with_sparse_checkpoints_the_index_is_the_last_checkpoint_before_the_change(
    ledger, tmp_path, auditor_dir
):
    """Given checkpoints only at 10 and 20 and entry 13 altered in the bundle, then the
    verifier can only bound the change: it prints 10, the last size still matching."""
    support.append_events(10)
    checkpoints.issue_checkpoint()
    support.append_events(10)
    checkpoints.issue_checkpoint()
    path = tmp_path / "sparse.json"
    call_command("ledger", "export", str(path), stdout=io.StringIO())
    edited = edit(path, replace_entry(13, n="forged"))

    result = offline("bundle", str(edited), cwd=auditor_dir)

    assert result.returncode == 1
    assert "first bad index: 10\n" in result.stderr
    assert "the change lies at or after index 10" in result.stderr


@pytest.mark.parametrize("order", ["newest-first", "shuffled"])
def test_the_checkpoints_listed_in_another_order_bound_the_change_the_same(
    ledger, tmp_path, auditor_dir, order
):
    """Given checkpoints at 10, 15 and 20 listed newest first (or out of order) and entry
    13 altered, then each checkpoint is still checked against the one below it in size,
    not before it in the file: the first bad index stays 10, as in order."""
    for count in (10, 5, 5):
        support.append_events(count, first=log.current_head().size)
        checkpoints.issue_checkpoint()
    path = tmp_path / "reordered.json"
    call_command("ledger", "export", str(path), stdout=io.StringIO())

    def reorder(data: dict) -> None:
        replace_entry(13, n="forged")(data)
        listed = data["checkpoints"]
        data["checkpoints"] = listed[::-1] if order == "newest-first" else [listed[2], *listed[:2]]

    edited = edit(path, reorder)

    result = offline("bundle", str(edited), cwd=auditor_dir)

    assert result.returncode == 1
    assert "first bad index: 10\n" in result.stderr, result.stderr
    with pytest.raises(CommandError, match=r"first bad index: 10$"):
        call_command("ledger", "verify-bundle", str(edited), stderr=io.StringIO())


def test_entries_under_no_checkpoint_fail(bundle, auditor_dir):
    """Given made-up entries appended after the last checkpoint, then the bundle fails:
    every other check passes (nothing signed covers them), so before this it said OK."""
    made_up = [support.b64(support.changed_body(support.stored_bodies()[0], n=n)) for n in "ab"]
    edited = edit(bundle, lambda data: data["entries"].extend(made_up))

    result = offline("bundle", str(edited), cwd=auditor_dir)

    assert result.returncode == 1, result.stdout
    assert f"entries {SIZE} to {SIZE + 1} are under no checkpoint" in result.stderr
    assert f"first bad index: {SIZE}\n" in result.stderr
    with pytest.raises(CommandError, match=rf"first bad index: {SIZE}$"):
        call_command("ledger", "verify-bundle", str(edited), stderr=io.StringIO())


def test_the_export_signs_the_head_so_every_entry_it_holds_is_covered(ledger, tmp_path):
    """Given entries appended after the last checkpoint, then the export signs the head
    first and holds them all, under a checkpoint of their number."""
    support.append_events(3)
    checkpoints.issue_checkpoint()
    support.append_events(4)
    Checkpoint.objects.filter(size=7).delete()  # as if the batching had not signed yet
    path = tmp_path / "ledger.json"

    call_command("ledger", "export", str(path), stdout=io.StringIO())

    data = json.loads(path.read_text())
    assert len(data["entries"]) == 7
    last = notes.parse_checkpoint_text(notes.split_note(data["checkpoints"][-1])[0])
    assert last.size == 7
    out = io.StringIO()
    call_command("ledger", "verify-bundle", str(path), stdout=out)
    assert out.getvalue().startswith("OK: 7 entries")


def operator_rewrite(data: dict) -> None:
    """What the holder of the log's key can do alone: change entry 3, sign every
    checkpoint again over the new tree, and drop the cosignatures it cannot forge."""
    from sinergi.ledger.offline import build_levels, prefix_root

    body = base64.b64decode(data["entries"][3])
    data["entries"][3] = support.b64(support.changed_body(body, n="rewritten"))
    levels = build_levels([support.leaf(base64.b64decode(e)) for e in data["entries"]])
    key = checkpoints.signer()
    resigned = []
    for note in data["checkpoints"]:
        size = notes.parse_checkpoint_text(notes.split_note(note)[0]).size
        text = notes.checkpoint_text(key.name, size, prefix_root(levels, size))
        resigned.append(notes.sign_note(text, key))
    data["checkpoints"] = resigned


def test_a_trusted_witness_catches_a_history_rewritten_with_the_log_key(bundle, auditor_dir):
    """Given the log's key holder's rewrite of entry 3, then the log key alone cannot
    tell (every checkpoint is validly signed), and the witness's key, given by the
    auditor, can: no checkpoint carries its cosignature any more. The untouched bundle
    passes with the same witness key; a key of no witness in it, or a log key, fails."""
    witness_vkey = Witness.objects.get(name=WITNESS).vkey
    rewritten = edit(bundle, operator_rewrite)
    vkey = checkpoints.verifier_key()

    assert offline("bundle", str(rewritten), "--vkey", vkey, cwd=auditor_dir).returncode == 0
    result = offline(
        "bundle", str(rewritten), "--vkey", vkey, "--witness", witness_vkey, cwd=auditor_dir
    )
    assert result.returncode == 1, result.stdout
    assert f"no checkpoint in the bundle carries a valid cosignature by {WITNESS}" in result.stderr

    result = offline("bundle", str(bundle), "--witness", witness_vkey, cwd=auditor_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"OK: {SIZE} entries, {SIZE} checkpoints verified{WITNESSED}\n{FROM_BUNDLE}"
    )
    out = io.StringIO()
    call_command("ledger", "verify-bundle", str(bundle), "--witness", witness_vkey, stdout=out)
    assert out.getvalue().strip() == result.stdout.strip()

    other = notes.generate_signer("witness.other.example", notes.ALG_COSIGNATURE_V1).vkey()
    result = offline("bundle", str(bundle), "--witness", other, cwd=auditor_dir)
    assert result.returncode == 1
    assert "cosignature by witness.other.example" in result.stderr
    result = offline("bundle", str(bundle), "--witness", vkey, cwd=auditor_dir)
    assert result.returncode == 1
    assert "is not a cosignature/v1 key" in result.stderr


def test_entries_past_what_a_trusted_witness_cosigned_fail(ledger, tmp_path, auditor_dir):
    """Given a witness that cosigned checkpoint 10 of a log of 20, then with its key the
    bundle fails from index 10: past the witness's size only the log's key vouches, and
    its holder could have rewritten and signed again entries 10 to 19 (a review showed
    such a rewrite passing). Without --witness the bundle verifies, and says that the
    cosignatures it lists were not checked."""
    key = notes.generate_signer(WITNESS, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=key.name, vkey=key.vkey())
    support.append_events(10)
    ten = checkpoints.issue_checkpoint()
    checkpoints.record_cosignature(ten.note, notes.cosign(ten.body, key, 1_700_000_000))
    support.append_events(10, first=10)
    path = tmp_path / "ledger.json"
    call_command("ledger", "export", str(path), stdout=io.StringIO())

    result = offline("bundle", str(path), "--witness", key.vkey(), cwd=auditor_dir)

    assert result.returncode == 1, result.stdout
    assert f"entries 10 to 19 are not cosigned by {WITNESS}" in result.stderr
    assert "first bad index: 10" in result.stderr
    plain = offline("bundle", str(path), cwd=auditor_dir)
    assert plain.returncode == 0, plain.stderr
    assert "cosigned by" not in plain.stdout
    assert plain.stdout.strip().endswith(NOT_CHECKED)


def test_a_key_given_twice_fails(bundle, auditor_dir):
    """Given a bundle whose "entries" appear twice (made-up first, the real ones last),
    then it is refused: a reader keeping the first and one keeping the last would check
    different entries."""
    text = bundle.read_text()
    edited = bundle.with_name("twice.json")
    edited.write_text(text.replace('"entries": [', '"entries": ["e30="], "entries": [', 1))

    result = offline("bundle", str(edited), cwd=auditor_dir)

    assert result.returncode == 1
    assert "'entries' appears twice" in result.stderr
    with pytest.raises(CommandError, match="appears twice"):
        call_command("ledger", "verify-bundle", str(edited), stderr=io.StringIO())


def test_a_dropped_entry_fails(bundle, auditor_dir):
    """Given the last five entries cut from the bundle, then it fails at index 15."""
    edited = edit(bundle, lambda data: data["entries"].__delitem__(slice(15, None)))

    result = offline("bundle", str(edited), cwd=auditor_dir)

    assert result.returncode == 1
    assert "first bad index: 15\n" in result.stderr


def test_a_pinned_wrong_vkey_fails(bundle, auditor_dir):
    """Given a verifier key that is not the log's (same name, other key), then the
    offline verifier exits 1."""
    stranger = notes.generate_signer(checkpoints.origin()).vkey()

    result = offline("bundle", str(bundle), "--vkey", stranger, cwd=auditor_dir)

    assert result.returncode == 1
    assert "not the one you pinned" in result.stderr
    assert "not validly signed by the log" in result.stderr


def test_a_bundle_re_signed_with_another_key_fails_against_the_pinned_key(bundle, auditor_dir):
    """Given a bundle whose entries were changed and whose checkpoints were all re-signed
    with the forger's own key (its vkey put in the bundle), then it passes only without a
    pinned key; with the log's real key pinned it fails."""
    forger = notes.generate_signer(checkpoints.origin())

    def forge(data: dict) -> None:
        replace_entry(3, n="forged")(data)
        bodies = [base64.b64decode(e) for e in data["entries"]]
        leaves = [support.leaf(b) for b in bodies]
        data["vkey"] = forger.vkey()
        data["witnesses"] = []
        data["checkpoints"] = [
            notes.sign_note(
                notes.checkpoint_text(checkpoints.origin(), size, support.mth(leaves[:size])),
                forger,
            )
            for size in range(1, SIZE + 1)
        ]

    edited = edit(bundle, forge)

    assert offline("bundle", str(edited), cwd=auditor_dir).returncode == 0
    pinned = offline("bundle", str(edited), "--vkey", checkpoints.verifier_key(), cwd=auditor_dir)
    assert pinned.returncode == 1
    assert "not the one you pinned" in pinned.stderr


UGM = "witness.ugm.example/sinergi"


def test_a_forged_bundle_never_reads_as_cosigned_by_a_witness(ledger, tmp_path, auditor_dir):
    """Given a log of 601 entries cosigned by UGM's witness, and a forgery of its export:
    entry 3 rewritten, every checkpoint signed again with the forger's log key under the
    log's name, and the forger's witness key put under UGM's name with its own
    cosignature lines. Then without --vkey and --witness both checks pass (nothing the
    auditor trusts is involved) but never say "cosigned by": they say the log's key came
    from the bundle and that UGM's cosignatures were not checked. With the log's real key
    or UGM's real key it fails; the genuine export passes with both and is "cosigned by"."""
    ugm = notes.generate_signer(UGM, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=ugm.name, vkey=ugm.vkey())
    support.append_events(601)
    latest = checkpoints.issue_checkpoint()
    checkpoints.record_cosignature(latest.note, notes.cosign(latest.body, ugm, 1_700_000_000))
    genuine = tmp_path / "ledger.json"
    call_command("ledger", "export", str(genuine), stdout=io.StringIO())
    forger_log = notes.generate_signer(checkpoints.origin())
    forger_witness = notes.generate_signer(UGM, notes.ALG_COSIGNATURE_V1)

    def forge(data: dict) -> None:
        from sinergi.ledger.offline import build_levels, prefix_root

        body = base64.b64decode(data["entries"][3])
        data["entries"][3] = support.b64(support.changed_body(body, n="forged"))
        levels = build_levels([support.leaf(base64.b64decode(e)) for e in data["entries"]])
        data["vkey"] = forger_log.vkey()
        data["witnesses"] = [forger_witness.vkey()]
        forged = []
        for note in data["checkpoints"]:
            size = notes.parse_checkpoint_text(notes.split_note(note)[0]).size
            text = notes.checkpoint_text(forger_log.name, size, prefix_root(levels, size))
            line = notes.cosign(text, forger_witness, 1_700_000_000)
            forged.append(notes.sign_note(text, forger_log) + line)
        data["checkpoints"] = forged

    forgery = edit(genuine, forge)

    for done in (
        offline("bundle", str(forgery), cwd=auditor_dir),
        offline("bundle", str(forgery), "--vkey", "", cwd=auditor_dir),
    ):
        assert done.returncode == 0, done.stderr
        assert "cosigned by" not in done.stdout
        assert done.stdout.strip().split("\n") == [
            f"OK: 601 entries, {Checkpoint.objects.count()} checkpoints verified",
            FROM_BUNDLE,
            NOT_CHECKED.replace(WITNESS, UGM),
        ]
    out = io.StringIO()
    call_command("ledger", "verify-bundle", str(forgery), stdout=out)
    assert "cosigned by" not in out.getvalue()
    assert out.getvalue().strip() == done.stdout.strip()

    vkey = checkpoints.verifier_key()
    refused = offline("bundle", str(forgery), "--vkey", vkey, cwd=auditor_dir)
    assert refused.returncode == 1
    assert "cosigned by" not in refused.stdout + refused.stderr
    refused = offline("bundle", str(forgery), "--witness", ugm.vkey(), cwd=auditor_dir)
    assert refused.returncode == 1
    assert f"no checkpoint in the bundle carries a valid cosignature by {UGM}" in refused.stderr
    with pytest.raises(CommandError):
        call_command(
            "ledger", "verify-bundle", str(forgery), "--witness", ugm.vkey(), stderr=io.StringIO()
        )

    trusted = offline(
        "bundle", str(genuine), "--vkey", vkey, "--witness", ugm.vkey(), cwd=auditor_dir
    )
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == (
        f"OK: 601 entries, {Checkpoint.objects.count()} checkpoints verified; "
        f"cosigned by {UGM} up to size 601"
    )


def test_a_receipt_verifies_offline_in_a_subprocess(bundle, auditor_dir):
    """Given entry 4's receipt from the API and its exact bytes from the entries list,
    then `python -m sinergi.ledger.offline receipt` exits 0; with other bytes or another
    key it exits 1."""
    client = Client()
    receipt = client.get("/api/v1/ledger/entries/4/receipt")
    assert receipt.status_code == 200
    item = client.get("/api/v1/ledger/entries", {"start": 4, "end": 5}).json()["items"][0]
    (auditor_dir / "entry.tlog-proof").write_bytes(receipt.content)
    (auditor_dir / "entry.bin").write_bytes(base64.b64decode(item["body"]))
    (auditor_dir / "other.bin").write_bytes(support.stored_bodies()[5])
    vkey = client.get("/ledger/vkey").content.decode().strip()

    ok = offline(
        "receipt", "entry.tlog-proof", "--vkey", vkey, "--entry", "entry.bin", cwd=auditor_dir
    )
    wrong_entry = offline(
        "receipt", "entry.tlog-proof", "--vkey", vkey, "--entry", "other.bin", cwd=auditor_dir
    )
    stranger = notes.generate_signer(checkpoints.origin()).vkey()
    wrong_key = offline(
        "receipt", "entry.tlog-proof", "--vkey", stranger, "--entry", "entry.bin", cwd=auditor_dir
    )

    latest = Checkpoint.objects.order_by("-size").first()
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == (
        f"OK: the entry is in {checkpoints.origin()} under checkpoint size {latest.size}"
    )
    assert wrong_entry.returncode == 1
    assert "the inclusion proof does not verify" in wrong_entry.stderr
    assert wrong_key.returncode == 1
    assert "FAIL:" in wrong_key.stderr
    assert log.current_head().size == SIZE


@pytest.fixture
def mixed_log(ledger, private_cast):
    """Entries of a private partnership, a public one and the system, then a checkpoint
    cosigned by a witness; returns (the private partnership, the stored bodies)."""
    public = PartnershipFactory(visibility="public", slug="open-data")
    coordinator = private_cast.people["coordinator"]
    support.append_events(3, partnership=private_cast.partnership, actor=coordinator)
    support.append_events(2, partnership=public, kind="test.public")
    support.append_events(1, kind="test.system")
    support.append_events(2, partnership=private_cast.partnership, kind="test.private", first=3)
    checkpoints.issue_checkpoint()
    key = notes.generate_signer(WITNESS, notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=key.name, vkey=key.vkey())
    latest = checkpoints.latest_checkpoint()
    checkpoints.record_cosignature(latest.note, notes.cosign(latest.body, key, 1_700_000_000))
    return private_cast.partnership, support.stored_bodies()


PRIVATE_AT = [0, 1, 2, 6, 7]


def test_a_public_bundle_withholds_private_bodies_and_still_verifies(
    mixed_log, tmp_path, auditor_dir
):
    """Given `sinergi ledger export --public`, then a private partnership's entries are
    their leaf hashes only (nothing of what they say, not even the partnership's slug),
    the others their exact bytes; the bundle verifies in full, offline and with the
    command, and says how many entries it withheld."""
    private, bodies = mixed_log
    path = tmp_path / "public.json"
    out, err = io.StringIO(), io.StringIO()

    call_command("ledger", "export", str(path), "--public", stdout=out, stderr=err)

    assert out.getvalue().strip() == f"wrote 8 entries (5 withheld: leaf hash only) to {path}"
    assert err.getvalue() == ""  # every withheld entry is salted
    text = path.read_text()
    assert private.slug not in text and "test.private" not in text
    entries = json.loads(text)["entries"]
    for index, item in enumerate(entries):
        if index in PRIVATE_AT:
            assert item == {"leaf_hash": support.b64(support.leaf(bodies[index]))}
        else:
            assert base64.b64decode(item) == bodies[index]
    witness_vkey = Witness.objects.get(name=WITNESS).vkey
    vkey = checkpoints.verifier_key()
    result = offline(
        "bundle", str(path), "--vkey", vkey, "--witness", witness_vkey, cwd=auditor_dir
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "OK: 8 entries (5 withheld: leaf hash only, the body is private), 1 checkpoints "
        f"verified; cosigned by {WITNESS} up to size 8"
    )
    out = io.StringIO()
    call_command(
        "ledger", "verify-bundle", str(path), "--vkey", vkey, "--witness", witness_vkey, stdout=out
    )
    assert out.getvalue().strip() == result.stdout.strip()  # the same words as the tool


@pytest.mark.parametrize(
    "change",
    [
        lambda item: {"leaf_hash": support.b64(b"\x01" * 32)},  # another hash
        lambda item: {"leaf_hash": support.b64(b"\x01" * 31)},  # not 32 bytes
        lambda item: {"leaf_hash": "not base64!"},
        lambda item: {"hash": item["leaf_hash"]},
    ],
)
def test_a_changed_withheld_leaf_fails_the_public_bundle(mixed_log, tmp_path, auditor_dir, change):
    """Given a public bundle in which one withheld entry's leaf hash was replaced or
    broken, then the offline check fails, naming the problem; never a traceback."""
    path = tmp_path / "public.json"
    call_command("ledger", "export", str(path), "--public", stdout=io.StringIO())

    def swap(data: dict) -> None:
        data["entries"][6] = change(data["entries"][6])

    edited = edit(path, swap)
    result = offline("bundle", str(edited), "--vkey", checkpoints.verifier_key(), cwd=auditor_dir)

    assert result.returncode == 1
    assert "FAIL:" in result.stderr and "Traceback" not in result.stderr


def test_a_public_bundle_warns_of_withheld_entries_written_before_salts(mixed_log, tmp_path):
    """Given a private partnership's entry recorded before entries were salted (its body
    has no salt), then `export --public` still withholds it but warns that its leaf hash
    can confirm a guess."""
    _private, bodies = mixed_log
    # The last private entry as it would have been written before: the same, unsalted.
    old = json.loads(bodies[7])
    # A payload field named "salt" is not the entry's salt.
    unsalted = log.canonical_entry(
        old["kind"], old["partnership"], old["actor"], old["time"], {"salt": "in the payload"}
    )
    Entry.objects.filter(index=7).update(body=unsalted)
    path = tmp_path / "public.json"
    err = io.StringIO()

    call_command("ledger", "export", str(path), "--public", stdout=io.StringIO(), stderr=err)

    assert "warning: 1 of the withheld entries were recorded before entries were salted" in (
        err.getvalue()
    )
    assert json.loads(path.read_text())["entries"][-1] == {
        "leaf_hash": support.b64(support.leaf(unsalted))
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"format": "sinergi-ledger-bundle/v1", "entries": ' + "[" * 200_000, "is not JSON"),
        ('{"format": "sinergi-ledger-bundle/v1", "vkey": VKEY, "entries": {"AAAA": 1}, '
         '"checkpoints": []}', "malformed"),
        ('{"format": "sinergi-ledger-bundle/v1", "vkey": VKEY, "entries": ["AAAA"], '
         '"checkpoints": []}', "no checkpoint"),
    ],
)  # fmt: skip
def test_a_hostile_bundle_is_a_fail_never_a_traceback(ledger, tmp_path, auditor_dir, text, problem):
    """Given a bundle nested 200,000 deep, entries that are not a list, or entries with no
    checkpoint to vouch for them, then both checks say FAIL and why: nothing verified is
    never reported as OK."""
    path = tmp_path / "hostile.json"
    path.write_text(text.replace("VKEY", json.dumps(checkpoints.verifier_key())))

    result = offline("bundle", str(path), cwd=auditor_dir)

    assert result.returncode == 1
    assert problem in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(CommandError):
        call_command(
            "ledger", "verify-bundle", str(path), stdout=io.StringIO(), stderr=io.StringIO()
        )
