"""Signing checkpoints of the log and accepting witnesses' cosignatures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from contextlib import nullcontext
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sinergi.core import sql
from sinergi.env import write_once
from sinergi.ledger import merkle, notes
from sinergi.ledger.log import LedgerError, StoredTree, root_from_frontier, split_frontier
from sinergi.ledger.models import Checkpoint, Cosignature, Head, Witness

logger = logging.getLogger(__name__)
_last_attempt = 0.0
_lock = threading.Lock()


def origin() -> str:
    return settings.SINERGI_LEDGER_ORIGIN


def key_path() -> Path:
    return Path(settings.SINERGI_LEDGER_KEY)


CLOCK_SKEW = 60.0  # seconds app servers' clocks may differ


class LedgerKeyError(LedgerError):
    """The log's signing key is missing or cannot be used: nothing can be signed."""


class LogBehindCheckpoint(LedgerError):
    """The log holds fewer entries than a checkpoint it signed: entries were removed."""


@cache
def _signer_for(path: str, name: str) -> notes.Signer:
    file = Path(path)
    try:
        if file.exists() or file.is_symlink():
            text = file.read_text()
        elif Checkpoint.objects.exists():
            # A new key would sign checkpoints that no one can check against the old ones,
            # and the log would look forged from then on.
            raise LedgerKeyError(
                f"the ledger key at {path} is missing, and the log's checkpoints were signed "
                "with it: restore it from your backup (SINERGI_LEDGER_KEY)"
            )
        else:
            text = write_once(file, notes.generate_signer(name).skey() + "\n")
        signer = notes.parse_skey(text)
    except (OSError, UnicodeError) as exc:
        raise LedgerKeyError(f"the ledger key at {path} cannot be read: {exc}") from exc
    except ValueError as exc:  # notes.NoteError, or base64 that is not
        raise LedgerKeyError(f"the ledger key at {path} is not a signing key: {exc}") from exc
    if signer.name != name:
        raise LedgerKeyError(f"the ledger key at {path} is for {signer.name}, not {name}")
    return signer


def signer() -> notes.Signer:
    """The log's Ed25519 key, created on first use (while no checkpoint exists), kept
    outside the database. LedgerKeyError when it is missing later, or unusable."""
    return _signer_for(str(key_path()), origin())


def verifier_key() -> str:
    return signer().vkey()


def verifier_key_or_none() -> str | None:
    """The verifier key, or None (logged for the operators) when the key is unusable:
    for pages that show it among other things."""
    try:
        return verifier_key()
    except LedgerKeyError:
        logger.critical("the ledger's signing key cannot be used", exc_info=True)
        return None


def _consistent_with(previous: notes.Checkpoint, size: int, root: bytes, tree: StoredTree) -> bool:
    if previous.size == size:
        return previous.root == root
    proof = merkle.consistency_proof(previous.size, size, tree.hash_range)
    try:
        merkle.verify_consistency(previous.size, size, proof, previous.root, root)
    except merkle.ProofError:
        return False
    return True


def interval() -> float:
    """Seconds between checkpoints under load (SINERGI_LEDGER_CHECKPOINT_INTERVAL)."""
    return float(settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL)


def _recent(checkpoint: Checkpoint | None) -> bool:
    """Whether `checkpoint` was signed less than `interval()` seconds ago, by any process.
    A checkpoint up to a minute in the future counts as recent (app servers' clocks
    differ a little; otherwise a server behind the signer's would sign on every append).
    One further ahead does not: a clock set back would stop all signing until it caught up."""
    if checkpoint is None:
        return False
    age = (timezone.now() - checkpoint.created_at).total_seconds()
    return -CLOCK_SKEW < age < interval()


def issue_checkpoint(*, batched: bool = False, wait: bool = True) -> Checkpoint:
    """Sign the current tree head, unless the latest checkpoint already covers it, or,
    `batched`, was signed less than `interval()` seconds ago (whatever process signed it: this
    is what keeps checkpoints to one a second under load, across app servers).

    Without `wait`, OperationalError at once (SQLite: within READER_WAIT_MS) when another
    transaction holds the log's head: a writer, whose commit is followed by a signing.

    Refuses (LedgerError) to sign a tree that is not consistent with the last signed
    checkpoint, which is what a rewritten history looks like. The last size and root are
    taken from that checkpoint's signed note (`signed_head`), never from the unsigned
    columns beside it; a log smaller than it is refused too (LogBehindCheckpoint).
    """
    with sql.waiting_briefly(READER_WAIT_MS) if not wait else nullcontext(), transaction.atomic():
        head = Head.objects.locked(nowait=not wait)
        latest = Checkpoint.objects.order_by("-size").first()
        if latest is not None and (latest.size == head.size or (batched and _recent(latest))):
            return latest
        # What the log signed, not the unsigned size and root columns beside it.
        signed = signed_head(latest) if latest is not None else None
        if signed is not None and head.size < signed.size:
            raise LogBehindCheckpoint(
                f"refusing to sign size {head.size}: the log is smaller than its latest "
                f"signed checkpoint ({signed.size}); entries were removed (ledger verify)"
            )
        if head.size == 0:
            raise LedgerError("the log is empty")
        root = root_from_frontier(split_frontier(head.frontier))
        if signed is not None:
            tree = StoredTree()
            ranges: list[tuple[int, int]] = []
            merkle.consistency_proof(
                signed.size, head.size, lambda lo, hi: ranges.append((lo, hi)) or bytes(32)
            )
            tree.load([*ranges, (0, head.size)])
            if tree.hash_range(0, head.size) != root or not _consistent_with(
                signed, head.size, root, tree
            ):
                raise LedgerError(
                    f"refusing to sign size {head.size}: not consistent with checkpoint "
                    f"{signed.size}"
                )
        note = notes.sign_note(notes.checkpoint_text(origin(), head.size, root), signer())
        return Checkpoint.objects.create(size=head.size, root=root, note=note)


def signed_head(checkpoint: Checkpoint) -> notes.Checkpoint:
    """The size and root `checkpoint`'s note says, verified under the log's key.

    LedgerError when the note does not verify, or its size and root columns (which no
    signature covers) say otherwise: the database was edited, and signing on top of
    what the columns claim could vouch for a rewritten history. Logged for operators."""
    try:
        text = notes.verify_note(checkpoint.note, notes.parse_vkey(verifier_key()))
        signed = notes.parse_checkpoint_text(text)
    except notes.NoteError as exc:
        problem = f"checkpoint {checkpoint.size}'s note is not validly signed by the log: {exc}"
    else:
        if signed.origin != origin():
            problem = f"checkpoint {checkpoint.size}'s note names another log: {signed.origin}"
        elif (signed.size, signed.root) != (checkpoint.size, bytes(checkpoint.root)):
            problem = (
                f"checkpoint {checkpoint.size}'s size and root columns differ from its signed "
                f"note (size {signed.size}): the database was edited"
            )
        else:
            return signed
    logger.critical("refusing to sign a checkpoint: %s", problem)
    raise LedgerError(f"refusing to sign: {problem}")


def maybe_issue_checkpoint() -> Checkpoint | None:
    """Issue a checkpoint unless one was attempted in this process less than a second ago."""
    global _last_attempt
    with _lock:
        moment = time.monotonic()
        if moment - _last_attempt < interval():
            return None
        _last_attempt = moment
    try:
        return issue_checkpoint(batched=True)
    except IntegrityError:
        return None  # another process signed the same size first
    except Exception:  # after the caller's commit, nothing may fail it
        # Their change stands, so their request must not answer an error (people retry,
        # and record it twice). A refusal, an unusable key or a busy database is an alarm
        # for operators instead; the next append or reader signs the head.
        logger.critical("the ledger did not sign a checkpoint", exc_info=True)
        return None


#: How long a reader waits for the log's head before it serves the newest checkpoint
#: as it is (SQLite; PostgreSQL does not wait at all).
READER_WAIT_MS = 100


def latest_checkpoint(*, refresh: bool = True) -> Checkpoint | None:
    """The newest checkpoint; with `refresh`, first sign the head if it has grown and the
    newest is at least `interval()` seconds old. Readers, anonymous ones included, call this:
    however many there are, they sign no more than one checkpoint a second. A reader never
    waits for a writer (an import may hold the head for seconds): while the head is held,
    the newest checkpoint is served, and the writer's commit is followed by a signing."""
    if refresh:
        latest = Checkpoint.objects.order_by("-size").first()
        size = Head.objects.current().size
        if size and (latest is None or (latest.size < size and not _recent(latest))):
            try:
                return issue_checkpoint(batched=True, wait=False)
            except (IntegrityError, OperationalError):
                pass
            except LedgerError:  # a refusal, or an unusable key: the newest one stands
                logger.critical("the ledger did not sign a checkpoint", exc_info=True)
    return Checkpoint.objects.order_by("-size").first()


def full_note(checkpoint: Checkpoint, cosignatures: Iterable[Cosignature] | None = None) -> str:
    """The checkpoint note with every cosignature line appended (its `cosignatures`, when
    the caller has read them already, in witness name order).

    A stored line that is not exactly one signature line is left out (and logged): the
    lines are appended after the log's own signature, so a blank line among them would
    make readers take what follows it for the whole signature block, and the published
    checkpoint would no longer verify."""
    if cosignatures is None:
        cosignatures = checkpoint.cosignatures.select_related("witness").order_by("witness__name")
    lines = []
    for cosignature in cosignatures:
        try:
            signature_line(cosignature.line)
        except notes.NoteError:
            logger.error(
                "checkpoint %s: a stored cosignature line is not one signature line; left out",
                checkpoint.size,
            )
            continue
        lines.append(cosignature.line)
    return checkpoint.note + "".join(lines)


def signature_line(line: str) -> notes.SignatureLine:
    """The one signed-note signature line `line` is: `— <name> <base64>`, ending in its
    newline (or with none) and holding no other. NoteError otherwise."""
    if line.endswith("\n"):
        line = line[:-1]
    if "\n" in line:
        raise notes.NoteError(_("Send exactly one cosignature line."))
    _text, lines = notes.split_note("x\n\n" + line + "\n")
    return lines[0]


#: notes.NoteError's messages (notes.py also runs without Django, in the offline
#: verifier, so it raises them in English), worded for the API in the reader's language.
#: tests/ledger/test_api.py checks that every message notes.py raises is here.
NOTE_MESSAGES = {
    "a key name must be non-empty, without spaces or '+'": gettext_lazy(
        "A key name is not empty and has no spaces or '+'."
    ),
    "not a PRIVATE+KEY+name+id+key string": gettext_lazy(
        "This is not a private key string (PRIVATE+KEY+name+id+key)."
    ),
    "unsupported private key type": gettext_lazy("This type of private key is not supported."),
    "the private key's ID does not match": gettext_lazy(
        "The private key's ID does not match the key."
    ),
    "the signature does not verify": gettext_lazy("The signature does not verify."),
    "a verifier key is name+keyid+base64(key)": gettext_lazy(
        "A verifier key reads name+keyid+base64(key)."
    ),
    "the verifier key is not base64": gettext_lazy("The verifier key is not base64."),
    "unsupported verifier key type": gettext_lazy("This type of verifier key is not supported."),
    "the verifier key's ID does not match its key": gettext_lazy(
        "The verifier key's ID does not match its key."
    ),
    "a signed note needs a blank line before its signatures": gettext_lazy(
        "A signed note has a blank line before its signatures."
    ),
    "malformed signature line": gettext_lazy(
        "The signature line is malformed: it reads “— name base64”."
    ),
    "a signature is not base64": gettext_lazy("The signature is not base64."),
    "a signed note ends with at least one signature line": gettext_lazy(
        "Give one signature line: “— name base64”."
    ),
    "a checkpoint has an origin, a size and a root hash line": gettext_lazy(
        "A checkpoint has three lines: its origin, its tree size and its root hash."
    ),
    "the tree size is not a decimal number": gettext_lazy("The tree size is not a decimal number."),
    "the tree size is out of range": gettext_lazy(
        "The tree size is out of range: it is below 2^63."
    ),
    "the root hash is not base64": gettext_lazy("The root hash is not base64."),
    "the root hash is not 32 bytes": gettext_lazy("The root hash is not 32 bytes."),
    "a witness key has type 0x04 (cosignature/v1)": gettext_lazy(
        "A witness key has type 0x04 (cosignature/v1)."
    ),
    "the witness key is not a cosignature/v1 key": gettext_lazy(
        "The witness key is not a cosignature/v1 key."
    ),
    "the cosignature is not by this witness": gettext_lazy(
        "The cosignature is not by this witness."
    ),
    "a cosignature is a timestamp and a 64-byte signature": gettext_lazy(
        "A cosignature is a timestamp and a 64-byte signature."
    ),
    "the cosignature's timestamp is out of range": gettext_lazy(
        "The cosignature's timestamp is out of range."
    ),
}


def note_message(error: notes.NoteError) -> str:
    """`error`'s message in the reader's language (NOTE_MESSAGES), else as raised."""
    text = str(error)
    worded = NOTE_MESSAGES.get(text)
    return str(worded) if worded is not None else text


class CosignatureError(notes.NoteError):
    """A cosignature refused, with the field of the request it is about: `checkpoint`
    (the note's text) or `cosignature` (the witness's line)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


#: How far ahead of the log's clock a cosignature's timestamp may be (witnesses' clocks
#: differ a little). A timestamp beyond it is a witness's mistake, such as milliseconds
#: for seconds, and would stand as that witness's newest cosignature for ever.
COSIGNATURE_CLOCK_SKEW = 600


def record_cosignature(checkpoint_note: str, cosignature_line: str) -> Cosignature:
    """Accept a witness's cosignature on a checkpoint the log issued.

    `checkpoint_note` is the checkpoint's text, with or without its signatures after the
    blank line. It must be one the log signed; the line must verify under a registered
    witness key, with a timestamp no further than COSIGNATURE_CLOCK_SKEW ahead of the
    log's clock. Of a witness's cosignatures on one checkpoint the newest is kept, and
    a line already kept is not written again. Raises CosignatureError otherwise.
    """
    if "\r" in checkpoint_note or "\r" in cosignature_line:
        # A note copied through a program that writes Windows line endings: said as such
        # (its size line would otherwise read as "not a decimal number").
        field = "checkpoint" if "\r" in checkpoint_note else "cosignature"
        raise CosignatureError(
            _("Its lines end in CR LF; a signed note's lines end in LF alone (C2SP signed-note)."),
            field,
        )
    text = checkpoint_note.split("\n\n", 1)[0]
    text = text if text.endswith("\n") else text + "\n"
    try:
        parsed = notes.parse_checkpoint_text(text)
    except notes.NoteError as exc:
        raise CosignatureError(note_message(exc), "checkpoint") from exc
    if parsed.origin != origin():
        raise CosignatureError(_("The checkpoint is for another log."), "checkpoint")
    checkpoint = Checkpoint.objects.filter(size=parsed.size).first()
    if checkpoint is None or checkpoint.body != text:
        raise CosignatureError(_("This log never issued that checkpoint."), "checkpoint")
    try:
        sig = signature_line(cosignature_line)
    except notes.NoteError as exc:
        raise CosignatureError(note_message(exc), "cosignature") from exc
    line = cosignature_line if cosignature_line.endswith("\n") else cosignature_line + "\n"
    for witness in Witness.objects.filter(name=sig.name):
        try:
            verifier = notes.parse_vkey(witness.vkey)
        except notes.NoteError:
            # A registered key that is not one (an SQL edit, or a row older than the
            # admin's check): nothing verifies under it; `ledger verify` reports it.
            logger.warning("witness %s: its registered key is not a verifier key", witness.pk)
            continue
        if verifier.key_id != sig.key_id:
            continue
        try:
            timestamp = notes.verify_cosignature(text, sig, verifier)
        except notes.NoteError as exc:
            raise CosignatureError(note_message(exc), "cosignature") from exc
        if timestamp > time.time() + COSIGNATURE_CLOCK_SKEW:
            raise CosignatureError(
                _(
                    "The cosignature's time (%(timestamp)d) is ahead of the log's clock: "
                    "a timestamp is in seconds since 1970, and the witness's clock may be "
                    "wrong."
                )
                % {"timestamp": timestamp},
                "cosignature",
            )
        return _keep_newest(checkpoint, witness, timestamp, line)
    raise CosignatureError(_("No registered witness has this name and key."), "cosignature")


def _keep_newest(
    checkpoint: Checkpoint, witness: Witness, timestamp: int, line: str
) -> Cosignature:
    """Store `line` as the witness's cosignature on `checkpoint` unless a newer one (or
    this very one) is kept. The replacement is one conditional UPDATE, so of two
    cosignatures sent at once the newer always stays, on every database; in a
    transaction, so the row returned is the one this call stored."""
    kept = Cosignature.objects.filter(checkpoint=checkpoint, witness=witness)
    with transaction.atomic():
        # Each statement sees what was committed before it (PostgreSQL's READ COMMITTED):
        # a row may appear, or grow newer, between the UPDATE and the read after it; the
        # stored timestamp only ever grows, so a few rounds settle it.
        for _attempt in range(5):
            if kept.filter(timestamp__lt=timestamp).update(timestamp=timestamp, line=line):
                return kept.get()
            current = kept.first()
            if current is None:
                try:
                    with transaction.atomic():
                        return Cosignature.objects.create(
                            checkpoint=checkpoint, witness=witness, timestamp=timestamp, line=line
                        )
                except IntegrityError:
                    continue  # another request stored one first: compare with it
            if current.timestamp == timestamp:
                return current  # sent again (anyone can copy a published line)
            if current.timestamp > timestamp:
                raise CosignatureError(
                    _(
                        "This witness has already given a later cosignature (time "
                        "%(timestamp)d), which is kept."
                    )
                    % {"timestamp": current.timestamp},
                    "cosignature",
                )
            # An older one was stored after the UPDATE looked: replace it in the next round.
    raise CosignatureError(_("Send the cosignature again."), "cosignature")
