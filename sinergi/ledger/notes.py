"""C2SP signed notes, tlog-checkpoints and tlog-cosignatures with Ed25519.

- signed-note: a note is UTF-8 text ending in a newline, then a blank line, then
  signature lines `— <name> base64(key ID ‖ signature)`. An Ed25519 key ID is
  SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)[:4]; a verifier key ("vkey") is
  `<name>+<hex key ID>+base64(0x01 ‖ public key)`.
- tlog-checkpoint: the note text is `<origin>\\n<tree size>\\n<base64 root>\\n`.
- tlog-cosignature/v1: a witness signs `cosignature/v1\\ntime <t>\\n` ‖ the checkpoint
  text with key type 0x04; its signature is key ID ‖ u64 big-endian time ‖ Ed25519.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIG_PREFIX = "\u2014 "  # em dash and a space


class NoteError(ValueError):
    """A note, key or signature is malformed or does not verify."""


def _valid_name(name: str) -> bool:
    """Non-empty, without spaces or '+' (signed-note), and printable: a control character
    such as ESC in a name would reach operators' terminals and pages as it is."""
    return bool(name) and "+" not in name and name.isprintable() and " " not in name


def key_id(name: str, alg: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key for one signature algorithm (0x01 or 0x04)."""

    name: str
    private: Ed25519PrivateKey
    alg: int = ALG_ED25519

    @property
    def public(self) -> bytes:
        return public_bytes(self.private.public_key())

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public)

    def vkey(self) -> str:
        return vkey_for(self.name, self.alg, self.public)

    def skey(self) -> str:
        """The private key in the Go note package's `PRIVATE+KEY+…` text form."""
        # Not private_bytes_raw(): that is cryptography 40 or later, and the ledger tool
        # must run on older ones (Debian 12's python3-cryptography is 38).
        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([self.alg]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{encoded}"


def vkey_for(name: str, alg: int, public: bytes) -> str:
    encoded = base64.b64encode(bytes([alg]) + public).decode()
    return f"{name}+{key_id(name, alg, public).hex()}+{encoded}"


def generate_signer(name: str, alg: int = ALG_ED25519) -> Signer:
    if not _valid_name(name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    return Signer(name=name, private=Ed25519PrivateKey.generate(), alg=alg)


def parse_skey(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a PRIVATE+KEY+name+id+key string")
    name, key_hex, encoded = parts[2], parts[3], parts[4]
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteError("unsupported private key type")
    signer = Signer(name=name, private=Ed25519PrivateKey.from_private_bytes(raw[1:]), alg=raw[0])
    if signer.key_id.hex() != key_hex:
        raise NoteError("the private key's ID does not match")
    return signer


@dataclass(frozen=True)
class Verifier:
    name: str
    alg: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.alg, self.public)

    def verify(self, message: bytes, signature: bytes) -> None:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError) as exc:
            raise NoteError("the signature does not verify") from exc


def parse_vkey(text: str) -> Verifier:
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise NoteError("a verifier key is name+keyid+base64(key)")
    name, key_hex, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise NoteError("the verifier key is not base64") from exc
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteError("unsupported verifier key type")
    verifier = Verifier(name=name, alg=raw[0], public=raw[1:])
    if verifier.key_id.hex() != key_hex.lower():
        raise NoteError("the verifier key's ID does not match its key")
    return verifier


# Notes and checkpoints ------------------------------------------------------------


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def signature_line(name: str, key: bytes, signature: bytes) -> str:
    return f"{SIG_PREFIX}{name} {base64.b64encode(key + signature).decode()}\n"


def sign_note(text: str, signer: Signer) -> str:
    """The signed note: text, a blank line and the signer's signature line."""
    signature = signer.private.sign(text.encode())
    return text + "\n" + signature_line(signer.name, signer.key_id, signature)


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes  # everything after the key ID


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    """The text and the signature lines of a signed note."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not text:
        raise NoteError("a signed note needs a blank line before its signatures")
    text += "\n"
    lines: list[SignatureLine] = []
    for line in sigs.split("\n"):
        if line == "":
            continue
        if not line.startswith(SIG_PREFIX):
            raise NoteError("malformed signature line")
        name, _sp, encoded = line[len(SIG_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise NoteError("a signature is not base64") from exc
        if len(raw) < 5 or not _valid_name(name):
            raise NoteError("malformed signature line")
        lines.append(SignatureLine(name=name, key_id=raw[:4], signature=raw[4:]))
    if not sigs.endswith("\n") or not lines:
        raise NoteError("a signed note ends with at least one signature line")
    return text, lines


def verify_note(note: str, verifier: Verifier) -> str:
    """The note's text if it carries a valid signature by `verifier`."""
    text, lines = split_note(note)
    for line in lines:
        if line.name == verifier.name and line.key_id == verifier.key_id:
            verifier.verify(text.encode(), line.signature)
            return text
    raise NoteError(f"the note has no signature by {verifier.name}")


MAX_SIZE = 1 << 63  # sizes and indices are unsigned 63-bit (C2SP, and the database's bigint)


def is_decimal(text: str) -> bool:
    """ASCII digits with no leading zero (or "0"), at most 19 of them: what C2SP notes
    write for a number. str.isdigit alone also takes superscripts and other scripts' digits."""
    return (
        0 < len(text) <= 19
        and text.isascii()
        and text.isdigit()
        and (text == "0" or not text.startswith("0"))
    )


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[0]:
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size_line, root_line = lines[0], lines[1], lines[2]
    if not is_decimal(size_line):
        raise NoteError("the tree size is not a decimal number")
    if int(size_line) >= MAX_SIZE:
        raise NoteError("the tree size is out of range")
    try:
        root = base64.b64decode(root_line, validate=True)
    except ValueError as exc:
        raise NoteError("the root hash is not base64") from exc
    if len(root) != 32:
        raise NoteError("the root hash is not 32 bytes")
    return Checkpoint(origin=origin, size=int(size_line), root=root)


# Cosignatures ---------------------------------------------------------------------


def cosigned_message(checkpoint_body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_body}".encode()


def cosign(checkpoint_body: str, witness: Signer, timestamp: int) -> str:
    """A tlog-cosignature/v1 signature line by `witness` over the checkpoint text."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise NoteError("a witness key has type 0x04 (cosignature/v1)")
    signature = witness.private.sign(cosigned_message(checkpoint_body, timestamp))
    return signature_line(witness.name, witness.key_id, struct.pack(">Q", timestamp) + signature)


def verify_cosignature(checkpoint_body: str, line: SignatureLine, witness: Verifier) -> int:
    """The cosignature's timestamp if `line` is a valid cosignature by `witness`."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise NoteError("the witness key is not a cosignature/v1 key")
    if line.name != witness.name or line.key_id != witness.key_id:
        raise NoteError("the cosignature is not by this witness")
    if len(line.signature) != 8 + 64:
        raise NoteError("a cosignature is a timestamp and a 64-byte signature")
    (timestamp,) = struct.unpack(">Q", line.signature[:8])
    if timestamp >= 1 << 63:
        raise NoteError("the cosignature's timestamp is out of range")
    witness.verify(cosigned_message(checkpoint_body, timestamp), line.signature[8:])
    return timestamp
