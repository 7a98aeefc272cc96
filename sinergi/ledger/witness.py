"""A partner's witness (C2SP tlog-witness behaviour, over Sinergi's HTTP API).

It keeps the last checkpoint it saw in a state directory, fetches the log's current
checkpoint, checks it is signed by the pinned log key and consistent with the one
before (refusing a fork or a rollback), and posts its tlog-cosignature/v1.
The first run has nothing to compare with and accepts the checkpoint on trust, as
C2SP tlog-witness allows; the log's verifier key is pinned on that first run unless
given with --log-vkey.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sinergi.ledger import merkle, notes

TIMEOUT = 15  # seconds the log may stay silent
DEADLINE = 60  # seconds for a whole answer, however it trickles in
MAX_ANSWER = 1 << 20  # bytes: a checkpoint is under 10 kB, the longest proof about 6 kB


class WitnessRefusal(Exception):
    """The witness will not cosign: the log forked, rolled back or sent bad data."""


class WitnessStateError(Exception):
    """The witness cannot read or keep its own state: a local problem, not the log's."""


def _keep(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file renamed into place, so
    a full or failing disk never leaves half a checkpoint as the witness's memory."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise WitnessStateError(f"cannot keep the witness state in {path.parent}: {exc}") from exc


class _SameSiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to http(s) on the host the witness was pointed at (say,
    from http to https): `--url` names the log, and no answer may send it elsewhere."""

    def redirect_request(  # type: ignore[override]
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urllib.parse.urlparse(req.full_url), urllib.parse.urlparse(newurl)
        if new.scheme not in ("http", "https") or new.hostname != old.hostname:
            raise urllib.error.URLError(f"redirected away from {old.hostname}: {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_SameSiteRedirects)


class AnswerTooLarge(OSError):
    """An answer longer than the reader's limit (the log may be hostile)."""


def _read(response: object, limit: int | None = None) -> bytes:
    """The whole answer, refused past `limit` bytes (MAX_ANSWER unless given) or DEADLINE
    seconds: a log that sends without end, or a byte now and then, must not hold a
    witness run forever."""
    limit = MAX_ANSWER if limit is None else limit
    deadline = time.monotonic() + DEADLINE
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(65536):  # type: ignore[attr-defined]
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"the answer is larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took more than {DEADLINE} seconds")
        chunks.append(chunk)
    return b"".join(chunks)


def _get(url: str, headers: dict[str, str] | None = None, limit: int | None = None) -> bytes:
    """GET `url` (http or https only, redirects only on its host) within `limit` bytes."""
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise WitnessRefusal(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - checked
    with _opener.open(request, timeout=TIMEOUT) as response:
        return _read(response, limit)


def _post_json(url: str, payload: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - scheme checked by _get's caller
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, _read(response)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _read(exc)


def printable(text: str, limit: int = 2000) -> str:
    """`text` safe for a terminal: control characters (an escape sequence from the log
    could clear the screen and print a fake OK) shown as escapes, cut at `limit`."""
    safe = "".join(
        c if c.isprintable() or c == "\n" else c.encode("unicode_escape").decode() for c in text
    )
    return safe if len(safe) <= limit else safe[:limit] + " …"


def load_or_create_key(path: Path, name: str) -> notes.Signer:
    """The witness's key from `path`, made and written there first if there is none.

    A key file that cannot be read or is not a witness key is a WitnessStateError naming
    that file: it is the witness's own problem, never the log's."""
    if path.exists():
        return _load_key(path)
    try:
        signer = notes.generate_signer(name, notes.ALG_COSIGNATURE_V1)
    except notes.NoteError as exc:
        raise WitnessStateError(f"cannot create the witness key {path}: {exc} ({name!r})") from exc
    text = signer.skey() + "\n"  # before any file exists: a failure here leaves none
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Private (0600) from the start, never readable by others even for a moment, and
        # complete before it is renamed into place: never an empty or half-written key.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(temporary, path)  # unlike a rename, never replaces a key made meanwhile
            except FileExistsError:
                return _load_key(path)  # another run made it first: use that one
            except OSError:
                os.replace(temporary, path)  # a file system without hard links
        finally:
            Path(temporary).unlink(missing_ok=True)
    except OSError as exc:
        raise WitnessStateError(f"cannot create the witness key {path}: {exc}") from exc
    return signer


def _load_key(path: Path) -> notes.Signer:
    try:
        text = path.read_text()
    except (OSError, UnicodeError) as exc:
        raise WitnessStateError(f"cannot read the witness key {path}: {exc}") from exc
    advice = (
        "restore it from a backup, or move it away so that a new key is created (which the "
        "platform's staff then register)"
    )
    if not text.strip():
        raise WitnessStateError(f"the witness key file {path} is empty: {advice}")
    try:
        signer = notes.parse_skey(text)
    except ValueError as exc:  # NoteError, or base64 that is not
        raise WitnessStateError(
            f"the witness key file {path} does not hold a witness key "
            f"(PRIVATE+KEY+name+id+key): {exc}; {advice}"
        ) from exc
    if signer.alg != notes.ALG_COSIGNATURE_V1:
        raise WitnessStateError(
            f"the key in {path} is not a witness (cosignature/v1) key: it may be a log's "
            "signing key; give the witness its own key file"
        )
    return signer


@dataclass
class Outcome:
    size: int
    previous: int | None
    posted: bool
    message: str


def run_once(
    base_url: str,
    key: notes.Signer,
    state_dir: Path,
    log_vkey: str | None = None,
    now: float | None = None,
) -> Outcome:
    """Check the log's latest checkpoint and cosign it. Raises WitnessRefusal."""
    base = base_url.rstrip("/")
    pinned = state_dir / "log.vkey"
    if log_vkey:
        vkey = log_vkey.strip()
        if pinned.exists() and _read_state(pinned).strip() != vkey:
            raise WitnessRefusal("the log key differs from the one pinned earlier")
    elif pinned.exists():
        vkey = _read_state(pinned).strip()
    else:
        vkey = _get(base + "/ledger/vkey").decode().strip()
    verifier = notes.parse_vkey(vkey)
    _keep(pinned, vkey + "\n")

    note = _get(base + "/ledger/checkpoint").decode()
    try:
        text = notes.verify_note(note, verifier)
    except notes.NoteError as exc:
        raise WitnessRefusal(f"the checkpoint is not signed by the log: {exc}") from exc
    try:
        checkpoint = notes.parse_checkpoint_text(text)
    except notes.NoteError as exc:
        raise WitnessRefusal(f"the log signed a malformed checkpoint: {exc}") from exc
    if checkpoint.origin != verifier.name:
        raise WitnessRefusal("the checkpoint is for another log")

    state_file = state_dir / "checkpoint"
    previous: notes.Checkpoint | None = None
    if state_file.exists():
        try:
            previous = notes.parse_checkpoint_text(_read_state(state_file))
        except notes.NoteError as exc:
            raise WitnessStateError(
                f"{state_file} is not the checkpoint this witness last cosigned ({exc}): "
                "restore it from a backup; without it, a fork could go unseen"
            ) from exc
    if previous is not None:
        if checkpoint.size < previous.size:
            raise WitnessRefusal(
                f"rollback: the log shows size {checkpoint.size}, I saw {previous.size}"
            )
        if checkpoint.size == previous.size and checkpoint.root != previous.root:
            raise WitnessRefusal(f"fork: two different roots for size {checkpoint.size}")
        if checkpoint.size > previous.size:
            query = urllib.parse.urlencode({"first": previous.size, "second": checkpoint.size})
            proof = json.loads(_get(f"{base}/api/v1/ledger/proof/consistency?{query}"))
            hashes = _proof_hashes(proof)
            try:
                merkle.verify_consistency(
                    previous.size, checkpoint.size, hashes, previous.root, checkpoint.root
                )
            except merkle.ProofError as exc:
                raise WitnessRefusal(
                    f"the log's history was rewritten: size {checkpoint.size} is not "
                    f"consistent with size {previous.size} ({exc})"
                ) from exc

    timestamp = int(now if now is not None else time.time())
    line = notes.cosign(text, key, timestamp)
    # Remember what we sign before anyone sees the signature (and whether or not the log
    # accepts it: we vouched for it). A state that cannot be kept stops the run here.
    _keep(state_file, text)
    status, body = _post_json(
        base + "/api/v1/ledger/cosignatures", {"checkpoint": note, "cosignature": line}
    )
    if status >= 300:
        return Outcome(checkpoint.size, previous.size if previous else None, False, body.decode())
    return Outcome(
        checkpoint.size,
        previous.size if previous else None,
        True,
        "first checkpoint accepted on trust" if previous is None else "consistent",
    )


def _read_state(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeError) as exc:
        raise WitnessStateError(f"cannot read the witness state {path}: {exc}") from exc


def _proof_hashes(proof: object) -> list[bytes]:
    """The hashes of a consistency proof answer, each strict base64; anything else is
    no proof, and the witness refuses rather than guess."""
    hashes = proof.get("hashes") if isinstance(proof, dict) else None
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise WitnessRefusal("the log's consistency proof is not a list of hashes")
    try:
        return [base64.b64decode(h, validate=True) for h in hashes]
    except ValueError as exc:
        raise WitnessRefusal("a hash in the log's consistency proof is not base64") from exc


def default_name(key_path: Path) -> str:
    """The name a new witness key gets without --name: a placeholder host and the file's
    stem. Names identify witnesses, so partners should choose their own (--name)."""
    return "witness.localhost/" + key_path.stem


def run_command(
    url: str,
    key_path: Path,
    state_dir: Path,
    name: str | None = None,
    log_vkey: str | None = None,
) -> tuple[int, str]:
    """What `witness` on the command line does: one run, as an exit status and a message.

    0: cosigned and accepted; 1: the log did not accept the cosignature (usually: the
    key is not registered yet; the message says how) or could not be reached; 2: the
    witness refused to cosign (fork, rollback, rewritten history, bad signature)."""
    try:
        key = load_or_create_key(key_path, name or default_name(key_path))
        outcome = run_once(url, key, state_dir, log_vkey)
    except WitnessRefusal as exc:  # a fork, a rollback, a rewrite, a foreign signature
        return 2, printable(f"REFUSED: {exc}")
    except WitnessStateError as exc:  # the witness's own disk: nothing was posted
        return 1, printable(str(exc))
    except (OSError, ValueError, KeyError, TypeError, notes.NoteError) as exc:
        # Unreachable, or an answer that is not this API (a proxy's error page, say):
        # nothing was judged, so this is not a refusal.
        return 1, printable(f"cannot use the log at {url}: {exc}")
    if not outcome.posted:
        return 1, (
            f"cosigned size {outcome.size} but the log did not accept it: "
            f"{printable(outcome.message, 500)}\n"
            f"If this witness is new, send its key to the platform's staff to register, "
            f"with the short name of the organisation that runs it:\n"
            f"  sinergi ledger add-witness {key.vkey()} --organisation SLUG"
        )
    return 0, f"cosigned size {outcome.size} ({outcome.message})"
