"""Checks that need no database: audit bundles and receipts (offline), and a witness.

Runs with only the Python standard library and `cryptography`:

    python -m sinergi.ledger.offline bundle FILE [--vkey VKEY] [--witness WITNESS_VKEY ...]
    python -m sinergi.ledger.offline receipt FILE --vkey VKEY --entry ENTRY_FILE [--witness …]
    python -m sinergi.ledger.offline witness --url URL --key FILE --state DIR [--name NAME]
    python -m sinergi.ledger.offline log URL [--vkey VKEY] [--witness VKEY ...] [--token T]
        [--state DIR]

The same tools are served as one self-contained file, /ledger/sinergi-ledger.pyz
(sinergi.ledger.verifier builds it from these modules): `python3 sinergi-ledger.pyz …`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sinergi.ledger import merkle, notes
from sinergi.ledger import witness as net  # its HTTP reads, limits and escaping

BUNDLE_FORMAT = "sinergi-ledger-bundle/v1"
WITNESS_HELP = (
    "a witness's verifier key you trust (repeatable): require its cosignature, so that "
    "a history rewritten by whoever holds the log's key fails"
)
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
STATE_HELP = (
    "a directory where the log's key and every checkpoint verified are remembered: later "
    "runs fail if one is gone or contradicted (a rewrite between two runs)"
)


def build_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree hash, level by level: levels[k][i] covers 2**k leaves."""
    builder = LevelBuilder()
    builder.add(leaves)
    return builder.levels


class LevelBuilder:
    """`build_levels` of leaves given a batch at a time: each batch's complete pairs are
    hashed as it comes, so hashing overlaps the reading of the next batch (`sinergi
    ledger verify` reads them from the database). `levels` is then what `build_levels`
    gives for all the leaves added so far."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    def add(self, leaves: Sequence[bytes]) -> None:
        sha256 = hashlib.sha256  # merkle.node_hash, inlined: this runs once per node
        levels = self.levels
        levels[0] += leaves
        level = 0
        while True:
            lower = levels[level]
            if level + 1 == len(levels):
                if len(lower) < 2:
                    return
                levels.append([])
            upper = levels[level + 1]
            start = 2 * len(upper)
            end = start + (len(lower) - start) // 2 * 2  # an odd last hash waits
            if end == start:
                return
            pairs = iter(lower[start:end])  # an even number of hashes
            upper += [
                sha256(b"\x01" + left + right).digest()
                for left, right in zip(pairs, pairs, strict=False)
            ]
            level += 1


def prefix_root(levels: list[list[bytes]], size: int) -> bytes:
    """The root of the first `size` leaves from the complete-subtree hashes (O(log n))."""
    if size == 0:
        return merkle.EMPTY_ROOT
    parts: list[bytes] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            parts.append(levels[level][start >> level])
            start += 1 << level
    root = parts[-1]
    for left in reversed(parts[:-1]):
        root = merkle.node_hash(left, root)
    return root


def levels_hasher(levels: list[list[bytes]]) -> merkle.HashRange:
    def hash_range(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return levels[n.bit_length() - 1][lo // n]
        k = merkle.split_point(n)
        return merkle.node_hash(hash_range(lo, lo + k), hash_range(lo + k, hi))

    return hash_range


@dataclass
class Report:
    size: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    withheld: int = 0  # entries a public bundle gives as their leaf hash only
    # Witness name -> the largest checkpoint size it validly cosigned (under a key the
    # caller trusts: one the auditor gave, or the database's registered witnesses).
    witnessed: dict[str, int] = field(default_factory=dict)
    # Names on cosignature lines no trusted key checked: what they claim proves nothing.
    unchecked: set[str] = field(default_factory=set)
    # Whether the log's key was taken from the very file (or server) being checked.
    log_key_from: str | None = None
    problems: list[str] = field(default_factory=list)
    first_bad_index: int | None = None
    # Whether first_bad_index names an entry found bad, not only a lower bound on one.
    exact: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, index: int | None = None, *, bound: bool = False) -> None:
        """Record a problem. With `bound`, `index` only says the change lies at or after
        it (a checkpoint that no longer matches); an entry found bad takes precedence."""
        self.problems.append(message)
        if index is None:
            return
        if bound:
            if not self.exact and (self.first_bad_index is None or index < self.first_bad_index):
                self.first_bad_index = index
            return
        if not self.exact or index < self.first_bad_index:
            self.first_bad_index = index
        self.exact = True


def check_checkpoints(
    report: Report,
    levels: list[list[bytes]],
    size: int,
    checkpoint_notes: Iterable[str],
    verifier: notes.Verifier,
    witnesses: Sequence[notes.Verifier] = (),
) -> None:
    """Each checkpoint is signed by the log, matches the entries, and extends the one before."""
    previous: notes.Checkpoint | None = None
    hasher = levels_hasher(levels)
    for note in sorted(checkpoint_notes, key=_note_size):  # each bounded by the one below
        try:
            text = notes.verify_note(note, verifier)
            checkpoint = notes.parse_checkpoint_text(text)
        except notes.NoteError as exc:
            report.fail(f"a checkpoint is not validly signed by the log: {exc}")
            continue
        report.checkpoints += 1
        if checkpoint.origin != verifier.name:
            report.fail(f"checkpoint {checkpoint.size} names another log: {checkpoint.origin}")
        if checkpoint.size > size:
            report.fail(f"checkpoint {checkpoint.size} is larger than the log ({size})", size)
            continue
        if prefix_root(levels, checkpoint.size) != checkpoint.root:
            low = previous.size if previous is not None else 0
            report.fail(
                f"the entries before index {checkpoint.size} do not match checkpoint "
                f"{checkpoint.size} (the change lies at or after index {low})",
                low,
                bound=True,
            )
        if previous is not None and 0 < previous.size < checkpoint.size:
            proof = merkle.consistency_proof(previous.size, checkpoint.size, hasher)
            try:
                merkle.verify_consistency(
                    previous.size, checkpoint.size, proof, previous.root, checkpoint.root
                )
            except merkle.ProofError:
                report.fail(
                    f"checkpoint {checkpoint.size} is not consistent with {previous.size}",
                    previous.size,
                    bound=True,
                )
        _text, lines = notes.split_note(note)
        for line in lines:
            if line.name == verifier.name and line.key_id == verifier.key_id:
                continue  # the log's own signature
            witness = next(
                (w for w in witnesses if (w.name, w.key_id) == (line.name, line.key_id)), None
            )
            if witness is None:
                report.unchecked.add(line.name)
                continue
            try:
                notes.verify_cosignature(text, line, witness)
                report.cosignatures += 1
                size_seen = report.witnessed.get(witness.name, 0)
                report.witnessed[witness.name] = max(size_seen, checkpoint.size)
            except notes.NoteError as exc:
                report.fail(f"{witness.name}'s cosignature on {checkpoint.size}: {exc}")
        previous = checkpoint


def verify_bundle(
    bundle: object, pinned_vkey: str | None = None, trusted_witnesses: Sequence[str] = ()
) -> Report:
    """Rebuild the tree from a bundle's entries and check all its checkpoints.

    Every entry must lie under a signed checkpoint: entries past the last one are vouched
    for by nothing, so they fail the bundle. With `trusted_witnesses` (verifier keys the
    auditor got from the witnesses themselves), each of them must have cosigned one of
    the checkpoints: the log's own key alone cannot show that history was not rewritten
    by whoever holds it. The bundle's own witness keys are never used: whoever wrote the
    bundle chose them, so a cosignature checked against them proves nothing. Without
    `pinned_vkey` the log's key is the bundle's, and the report says so.

    A bundle that is not one, or a key that is not a verifier key, is a failed report
    saying so, never an exception."""
    report = Report()
    try:
        required = [witness_key(w) for w in trusted_witnesses]
    except notes.NoteError as exc:
        report.fail(str(exc))
        return report
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        report.fail(f"not a {BUNDLE_FORMAT} file")
        return report
    try:
        verifier = notes.parse_vkey(pinned_vkey or bundle["vkey"])
    except (notes.NoteError, KeyError, TypeError, AttributeError) as exc:
        given = "the verifier key you gave" if pinned_vkey else "the bundle's verifier key"
        report.fail(f"{given} is not a verifier key (name+keyid+base64): {exc}")
        return report
    if pinned_vkey and pinned_vkey.strip() != str(bundle.get("vkey", "")).strip():
        report.fail("the bundle's verifier key is not the one you pinned")
    if not pinned_vkey:
        report.log_key_from = "the bundle"
    try:
        entries, listed = bundle["entries"], bundle["checkpoints"]
        if not isinstance(entries, list) or not isinstance(listed, list):
            raise TypeError("entries and checkpoints must be lists")
        leaves = [_bundle_leaf(item, report) for item in entries]
        checkpoint_notes = [str(note) for note in listed]
    except (KeyError, TypeError, ValueError, AttributeError, notes.NoteError) as exc:
        report.fail(f"the bundle is malformed: {exc!r}")
        return report
    report.size = len(leaves)
    if leaves and not checkpoint_notes:
        report.fail("the bundle has entries but no checkpoint: nothing signed vouches for them")
        return report
    levels = build_levels(leaves)
    check_checkpoints(report, levels, len(leaves), checkpoint_notes, verifier, required)
    covered = _largest_size(checkpoint_notes)
    if covered < len(leaves):
        report.fail(
            f"entries {covered} to {len(leaves) - 1} are under no checkpoint: "
            "nothing signed vouches for them",
            covered,
            bound=True,
        )
    for witness in required:
        witnessed = report.witnessed.get(witness.name)
        if witnessed is None:
            report.fail(
                f"no checkpoint in the bundle carries a valid cosignature by {witness.name}"
            )
        elif witnessed < len(leaves):
            # Past the witness's size only the log's key vouches, and its holder could
            # have rewritten and signed again everything there.
            report.fail(
                f"entries {witnessed} to {len(leaves) - 1} are not cosigned by "
                f"{witness.name}: only the log's key vouches for them (export again after "
                "the witness's next run)",
                witnessed,
                bound=True,
            )
    return report


def _largest_size(checkpoint_notes: Iterable[str]) -> int:
    """The largest size among the checkpoints (their signatures are checked elsewhere)."""
    largest = 0
    for note in checkpoint_notes:
        try:
            largest = max(largest, notes.parse_checkpoint_text(notes.split_note(note)[0]).size)
        except notes.NoteError:
            continue
    return largest


MEMORY_FORMAT = "sinergi-ledger-log-memory/v1"
MEMORY_FILE = "log.json"


@dataclass
class LogMemory:
    """What `log URL --state DIR` remembers between runs: the log's key and every
    checkpoint it verified (signed notes). A later run takes the key from here (trust on
    first use, as a witness does) and requires each remembered checkpoint to be still
    kept and still the root of the log's first entries: a history rewritten, cut back
    or stripped of a checkpoint in between fails, though each run alone would pass."""

    vkey: str | None = None
    checkpoints: list[str] = field(default_factory=list)
    first_run: bool = True

    @classmethod
    def load(cls, directory: str) -> LogMemory:
        """The memory kept in `directory`; an empty one on the first run. Raises OSError
        when it exists but cannot be read as one (never taken for a first run)."""
        from pathlib import Path

        path = Path(directory) / MEMORY_FILE
        if not path.exists():
            return cls()
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, ValueError) as exc:
            raise OSError(f"cannot read the remembered log in {path}: {exc}") from exc
        if (
            not isinstance(kept, dict)
            or kept.get("format") != MEMORY_FORMAT
            or not isinstance(kept.get("vkey"), str)
            or not isinstance(kept.get("checkpoints"), list)
            or not all(isinstance(note, str) for note in kept["checkpoints"])
        ):
            raise OSError(f"{path} is not a remembered log ({MEMORY_FORMAT})")
        return cls(kept["vkey"], kept["checkpoints"], first_run=False)

    def keep(self, directory: str, report: RemoteReport) -> None:
        """Remember the key and the checkpoints of a run that passed (written whole)."""
        from pathlib import Path

        known = {_checkpoint_text(note): note for note in self.checkpoints}
        for note in report.verified_notes:
            known[_checkpoint_text(note)] = note  # the fuller note, with later cosignatures
        self.vkey = report.vkey
        self.checkpoints = sorted(known.values(), key=_note_size)
        text = json.dumps(
            {"format": MEMORY_FORMAT, "vkey": self.vkey, "checkpoints": self.checkpoints},
            indent=1,
        )
        try:
            net._keep(Path(directory) / MEMORY_FILE, text + "\n")
        except net.WitnessStateError as exc:
            raise OSError(str(exc).replace("witness state", "remembered log")) from exc


def memory_text(memory: LogMemory, directory: str) -> str:
    """The line after an OK of `log --state`: what is remembered, and since when."""
    count = len(memory.checkpoints)
    if memory.first_run:
        return (
            f"\nremembered the log's key and {count} checkpoints in {directory}: later runs "
            "with --state fail if any of them is gone or contradicted"
        )
    return (
        f"\nchecked against, and remembering, {count} checkpoints in {directory}, with the "
        "log's key remembered there since the first run"
    )


def _note_size(note: str) -> int:
    """The size a checkpoint note says (its signature unchecked), or -1 if none."""
    try:
        return notes.parse_checkpoint_text(notes.split_note(note)[0]).size
    except notes.NoteError:
        return -1


def witness_key(vkey: str) -> notes.Verifier:
    """A witness's verifier key as the auditor gave it (a cosignature/v1 key)."""
    try:
        verifier = notes.parse_vkey(vkey)
    except notes.NoteError as exc:
        raise notes.NoteError(
            f"the witness key {vkey[:80]!r} is not a verifier key: {exc}"
        ) from exc
    if verifier.alg != notes.ALG_COSIGNATURE_V1:
        raise notes.NoteError(f"the witness key of {verifier.name} is not a cosignature/v1 key")
    return verifier


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _value in pairs]
    if len(set(keys)) != len(keys):
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"the key {duplicate[:80]!r} appears twice in one object")
    return dict(pairs)


def load_bundle(path: str) -> object:
    """A bundle file as JSON. A key given twice in one object is an error: readers that
    keep the first and those that keep the last would verify different entries."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle, object_pairs_hook=_unique_keys)


def ok_text(report: Report) -> str:
    """What a verified bundle gets, the same from both commands: the OK line, then what
    it does not vouch for (a log key from the bundle, cosignatures no given key checked).
    "cosigned by" names only witnesses whose key the auditor gave (--witness)."""
    return (
        f"OK: {report.size} entries{withheld_text(report)}, "
        f"{report.checkpoints} checkpoints verified{witnessed_text(report)}"
        + caveats_text(report, "--vkey")
    )


def witnessed_text(report: Report) -> str:
    return "".join(
        f"; cosigned by {name} up to size {size}" for name, size in sorted(report.witnessed.items())
    )


def caveats_text(report: Report, vkey_option: str) -> str:
    """Lines (each after a newline) saying what an OK did not check."""
    lines = ""
    if report.log_key_from:
        lines += (
            f"\nnote: the log's key was taken from {report.log_key_from}, not given by you: "
            f"give {vkey_option} VKEY to check against a key you obtained yourself"
        )
    if report.unchecked:
        names = sorted(report.unchecked)
        listed = ", ".join(name[:100] for name in names[:5])
        if len(names) > 5:
            listed += f" and {len(names) - 5} more"
        lines += (
            f"\nnote: the cosignatures by {listed} were NOT checked (no key you gave): give "
            "--witness VKEY to check a witness you trust, with the key you got from it"
        )
    return lines


def _bundle_leaf(item: object, report: Report) -> bytes:
    """The leaf hash of one bundle entry: hashed from its bytes (base64), or given as
    `{"leaf_hash": base64}` for an entry a public bundle withholds."""
    if isinstance(item, dict):
        leaf = base64.b64decode(item["leaf_hash"], validate=True)
        if len(leaf) != 32:
            raise ValueError(f"a withheld entry's leaf hash is {len(leaf)} bytes, not 32")
        report.withheld += 1
        return leaf
    return merkle.leaf_hash(base64.b64decode(item, validate=True))


def format_receipt(index: int, proof: Sequence[bytes], checkpoint_note: str) -> str:
    """A C2SP tlog-proof: index, inclusion proof, and the (cosigned) checkpoint."""
    hashes = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"{PROOF_HEADER}\nindex {index}\n{hashes}\n{checkpoint_note}"


def verify_receipt(
    receipt: str, entry: bytes, vkey: str, trusted_witnesses: Sequence[str] = ()
) -> notes.Checkpoint:
    """Check that `entry` is in the log at the receipt's index, under a signed checkpoint
    that each of `trusted_witnesses` (verifier keys) has cosigned."""
    head, sep, checkpoint_note = receipt.partition("\n\n")
    if not sep:
        raise notes.NoteError("a tlog-proof has a blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise notes.NoteError(f"the receipt does not start with {PROOF_HEADER}")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise notes.NoteError("the receipt has no index line")
    index_text = rest[0][len("index ") :]
    if not notes.is_decimal(index_text):
        raise notes.NoteError("the receipt's index is not a number")
    try:
        proof = [base64.b64decode(line, validate=True) for line in rest[1:]]
    except ValueError as exc:
        raise notes.NoteError("a proof line is not base64") from exc
    verifier = notes.parse_vkey(vkey)
    text = notes.verify_note(checkpoint_note, verifier)
    checkpoint = notes.parse_checkpoint_text(text)
    _text, lines = notes.split_note(checkpoint_note)
    for witness in map(witness_key, trusted_witnesses):
        cosigned = [x for x in lines if x.name == witness.name and x.key_id == witness.key_id]
        if not cosigned:
            raise notes.NoteError(
                f"the receipt's checkpoint (size {checkpoint.size}) carries no cosignature by "
                f"{witness.name}: download the receipt again once the witness has cosigned"
            )
        notes.verify_cosignature(text, cosigned[0], witness)
    try:
        merkle.verify_inclusion(
            int(index_text), checkpoint.size, merkle.leaf_hash(entry), proof, checkpoint.root
        )
    except merkle.ProofError as exc:
        raise notes.NoteError(f"the inclusion proof does not verify: {exc}") from exc
    return checkpoint


# The whole log over HTTP ------------------------------------------------------------

ENTRIES_PAGE = 1000  # the entries API's largest page
CHECKPOINTS_PAGE = 100
# Bytes per answer of a list (entries, checkpoints). A page of 1000 entries carries each
# body twice (base64 and decoded), about 2.5 times its bytes: 16 MiB holds 1000 entries
# of 6 kB, several times a large one; a page that is larger anyway is asked for again in
# halves, down to one entry (up to about 6 MB). The vkey and the checkpoint, a few kB,
# keep the witness's 1 MiB; every answer keeps its 60 s.
LIST_ANSWER = 16 << 20
MISMATCHES_LISTED = 10  # bodies that do not hash to their leaf named one by one


@dataclass
class RemoteReport(Report):
    """What `log URL` found: the Report's checks, plus what was read over HTTP."""

    bodies: int = 0  # entries whose body the reader may see, each hashed to its leaf
    mismatched: int = 0  # bodies that do not hash to their leaf
    covered: int = 0  # the size of the latest checkpoint
    vkey: str = ""  # the log's key the checkpoints were checked with
    verified_notes: list[str] = field(default_factory=list)  # every checkpoint checked

    @property
    def hidden(self) -> int:
        return self.size - self.bodies


class _Remote:
    """GET requests to one Sinergi site, JSON read strictly, within the tool's limits."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(
        self, path: str, query: dict[str, int] | None = None, max_bytes: int | None = None
    ) -> bytes:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        try:
            return net._get(url, self.headers, max_bytes)
        except urllib.error.HTTPError as exc:
            with exc:
                try:
                    said = net._read(exc).decode("utf-8", "replace")
                except OSError:
                    said = ""
            raise OSError(f"{path} answered {exc.code}: {said[:300]}") from exc

    def json(self, path: str, query: dict[str, int]) -> dict:
        answer = json.loads(self.get(path, query, LIST_ANSWER), parse_constant=_no_constant)
        if not isinstance(answer, dict):
            raise ValueError(f"{path} did not answer a JSON object")
        return answer


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _count(value: object, what: str) -> int:
    """A JSON whole number in a size's range; not a float, a bool or a string."""
    if type(value) is not int or not 0 <= value < notes.MAX_SIZE:
        raise ValueError(f"{what} is not a whole number of entries: {str(value)[:40]!r}")
    return value


def _strict_b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ValueError(f"{what} is not base64") from exc


def _kept_checkpoints(remote: _Remote) -> list[str]:
    """Every kept checkpoint's note, from all pages of the list (newest first)."""
    found: dict[str, None] = {}
    offset = 0
    while True:
        query = {"limit": CHECKPOINTS_PAGE, "offset": offset}
        page = remote.json("/api/v1/ledger/checkpoints", query)
        items, count = page.get("items"), _count(page.get("count"), "the checkpoint count")
        if not isinstance(items, list):
            raise ValueError("the checkpoints answer has no list of items")
        new = 0
        for item in items:
            note = item.get("note") if isinstance(item, dict) else None
            if not isinstance(note, str):
                raise ValueError("a kept checkpoint has no note")
            new += note not in found
            found[note] = None
        offset += len(items)
        # Newest first: a checkpoint issued meanwhile shifts the pages by one, so a page
        # may repeat one; a page with nothing new, or the count reached, is the end.
        if not items or not new or offset >= count:
            return list(found)


def _fetch_leaves(remote: _Remote, report: RemoteReport, at_least: int) -> list[bytes]:
    """Every entry's leaf hash, index 0 up, each visible body hashed and compared."""
    leaves: list[bytes] = []
    page = ENTRIES_PAGE
    target = at_least
    while True:
        start = len(leaves)
        try:
            query = {"start": start, "end": start + page}
            answer = remote.json("/api/v1/ledger/entries", query)
        except net.AnswerTooLarge:
            if page == 1:
                raise
            page //= 2  # large entries: ask for fewer at a time
            continue
        if start == 0:
            target = max(target, _count(answer.get("tree_size"), "the log's size"))
        items = answer.get("items")
        if not isinstance(items, list):
            raise ValueError("the entries answer has no list of items")
        if not items:
            if start < target:
                report.fail(f"the log gives no entry at index {start} (it has {target})", start)
            return leaves
        for item in items:
            index = len(leaves)
            if not isinstance(item, dict):
                raise ValueError(f"entry {index} is not an object")
            given = _count(item.get("index"), f"the index after {index - 1}")
            if given != index:
                report.fail(
                    f"entry {index} is missing: the log's entries go from {index - 1} to {given}",
                    index,
                )
                return leaves
            leaf = _strict_b64(item.get("leaf_hash"), f"entry {index}'s leaf hash")
            if len(leaf) != 32:
                report.fail(f"entry {index}'s leaf hash is {len(leaf)} bytes, not 32", index)
                return leaves
            body = item.get("body")
            if body is not None:
                if merkle.leaf_hash(_strict_b64(body, f"entry {index}'s body")) != leaf:
                    report.mismatched += 1
                    if report.mismatched <= MISMATCHES_LISTED:
                        report.fail(f"entry {index}'s body does not hash to its leaf hash", index)
                report.bodies += 1
            leaves.append(leaf)
        page = min(ENTRIES_PAGE, page * 2)
        if len(leaves) >= target:
            return leaves


def verify_remote(
    base_url: str,
    pinned_vkey: str | None = None,
    trusted_witnesses: Sequence[str] = (),
    token: str | None = None,
    remembered: Sequence[str] = (),
) -> RemoteReport:
    """Check a live Sinergi log in full over HTTP, as `verify-bundle` checks a bundle.

    Reads the log's key (unless `pinned_vkey`), the latest checkpoint, every kept
    checkpoint and every entry's leaf hash, with the bodies the reader may see (`token`:
    a member's API token). Every visible body must hash to its leaf, the indices run
    from 0 without a gap, every checkpoint is signed by the log and has the root of the
    leaves up to its size, and each of `trusted_witnesses` has validly cosigned one of
    them. Entries appended after the latest checkpoint are read and counted, not judged.
    `remembered`: checkpoints this auditor verified on earlier runs (`LogMemory`); each
    must still be kept, and is checked like the kept ones, so a history rewritten, cut
    back or stripped of a checkpoint since then fails. The notes verified are left in
    `report.verified_notes`. Anything unreachable or malformed is a failed report,
    never an exception."""
    report = RemoteReport()
    remote = _Remote(base_url, token)
    try:
        required = [witness_key(w) for w in trusted_witnesses]
    except notes.NoteError as exc:
        report.fail(str(exc))
        return report
    try:
        if pinned_vkey:
            vkey = pinned_vkey
        else:
            vkey = remote.get("/ledger/vkey").decode("utf-8").strip()
            report.log_key_from = f"the server ({remote.base}/ledger/vkey)"
        try:
            verifier = notes.parse_vkey(vkey)
        except notes.NoteError as exc:
            given = "the verifier key you gave" if pinned_vkey else "the server's verifier key"
            report.fail(f"{given} is not a verifier key (name+keyid+base64): {exc}")
            return report
        latest = remote.get("/ledger/checkpoint").decode("utf-8")
        kept = _kept_checkpoints(remote)
        sizes = [_note_size(note) for note in [latest, *kept, *remembered]]
        leaves = _fetch_leaves(remote, report, max(sizes))
    except (OSError, ValueError, notes.NoteError, net.WitnessRefusal) as exc:
        report.fail(f"cannot use the log at {remote.base}: {exc}")
        return report
    report.size = len(leaves)
    if report.mismatched > MISMATCHES_LISTED:
        report.fail(
            f"and {report.mismatched - MISMATCHES_LISTED} more entries whose body does not "
            "hash to its leaf hash"
        )
    if _checkpoint_text(latest) not in {_checkpoint_text(note) for note in kept}:
        report.fail(
            f"the latest checkpoint (size {sizes[0]}, /ledger/checkpoint) is not among the "
            "kept ones: every checkpoint the log issues must be kept"
        )
    kept_texts = {_checkpoint_text(note) for note in kept}
    for note in remembered:
        if _checkpoint_text(note) not in kept_texts:
            report.fail(
                f"checkpoint {_note_size(note)}, which you verified on an earlier run, is no "
                "longer among the kept ones: every checkpoint the log issues must be kept"
            )
    # One note per checkpoint: the same one may come twice, once with a cosignature
    # that a witness added meanwhile; the fuller note is checked.
    by_text: dict[str, str] = {}
    for note in [*kept, latest, *remembered]:
        text = _checkpoint_text(note)
        if len(note) > len(by_text.get(text, "")):
            by_text[text] = note
    notes_by_size = sorted(by_text.values(), key=_note_size)
    check_checkpoints(report, build_levels(leaves), len(leaves), notes_by_size, verifier, required)
    report.covered = max(sizes)
    report.verified_notes = notes_by_size
    report.vkey = vkey
    for trusted in required:
        if trusted.name not in report.witnessed:
            report.fail(f"no kept checkpoint carries a valid cosignature by {trusted.name}")
    return report


def _note_size(note: str) -> int:
    return notes.parse_checkpoint_text(notes.split_note(note)[0]).size


def _checkpoint_text(note: str) -> str:
    return notes.split_note(note)[0]


def remote_ok_text(report: RemoteReport) -> str:
    """The OK line of `log URL` (and `sinergi ledger verify-remote`), then its caveats."""
    hidden = f", {report.hidden} hidden: leaf hash only" if report.hidden else ""
    later = report.size - report.covered
    pending = f"; {later} entries appended since, not yet covered by a checkpoint" if later else ""
    return (
        f"OK: {report.size} entries ({report.bodies} bodies read{hidden}), "
        f"{report.checkpoints} checkpoints verified up to size {report.covered}"
        f"{witnessed_text(report)}{pending}" + caveats_text(report, "--vkey")
    )


def main(argv: list[str] | None = None, prog: str = "python -m sinergi.ledger.offline") -> int:
    """The offline tools on the command line (also the downloadable sinergi-ledger.pyz)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bundle", help="verify an audit bundle exported by `sinergi ledger export`")
    b.add_argument("file")
    b.add_argument(
        "--vkey", help="the log's verifier key you trust (else the bundle's own, said so)"
    )
    b.add_argument("--witness", action="append", default=[], help=WITNESS_HELP)
    r = sub.add_parser("receipt", help="verify a receipt (C2SP tlog-proof) for one entry")
    r.add_argument("file")
    r.add_argument("--vkey", required=True)
    r.add_argument("--entry", required=True, help="file with the entry's exact bytes")
    r.add_argument("--witness", action="append", default=[], help=WITNESS_HELP)
    w = sub.add_parser("witness", help="run a witness once against a Sinergi log (network)")
    w.add_argument("--url", required=True, help="the Sinergi server, e.g. https://…")
    w.add_argument("--key", required=True, help="witness key file (created if new)")
    w.add_argument("--state", required=True, help="directory for the witness state")
    w.add_argument(
        "--name", help="witness name for a new key, e.g. witness.your-organisation.example/sinergi"
    )
    w.add_argument("--log-vkey", help="pin the log's verifier key")
    g = sub.add_parser("log", help="verify a live log in full: every entry and checkpoint")
    g.add_argument("url", help="the Sinergi site, e.g. https://sinergi.example.org")
    g.add_argument(
        "--vkey", help="the log's verifier key you trust (else the server's own, said so)"
    )
    g.add_argument("--witness", action="append", default=[], help=WITNESS_HELP)
    g.add_argument(
        "--token", help="your API token (Authorization: Bearer), to read the bodies you may see"
    )
    g.add_argument("--state", help=STATE_HELP)
    args = parser.parse_args(argv)
    try:
        if args.what == "witness":
            from pathlib import Path

            from sinergi.ledger.witness import run_command

            status, message = run_command(
                args.url, Path(args.key), Path(args.state), args.name, args.log_vkey
            )
            print(message, file=sys.stderr if status else sys.stdout)
            return status
        if args.what == "bundle":
            return _check_bundle(args.file, args.vkey, args.witness)
        if args.what == "log":
            return _check_remote(args.url, args.vkey, args.witness, args.token, args.state)
        return _check_receipt(args.file, args.entry, args.vkey, args.witness)
    except OSError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1


def _check_bundle(path: str, vkey: str | None, witnesses: Sequence[str]) -> int:
    try:
        bundle = load_bundle(path)
    except (ValueError, RecursionError, MemoryError) as exc:  # not JSON, not UTF-8, too deep
        bundle = None
        print(f"FAIL: {path} is not JSON: {exc!r}"[:500], file=sys.stderr)
    report = verify_bundle(bundle, vkey, witnesses)
    for problem in report.problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if report.ok:
        print(ok_text(report))
        return 0
    if report.first_bad_index is not None:
        print(f"first bad index: {report.first_bad_index}", file=sys.stderr)
    return 1


def _check_remote(
    url: str,
    vkey: str | None,
    witnesses: Sequence[str],
    token: str | None,
    state: str | None = None,
) -> int:
    memory = LogMemory.load(state) if state else None  # OSError: FAIL in main
    report = verify_remote(
        url,
        vkey or (memory.vkey if memory else None),
        witnesses,
        token,
        memory.checkpoints if memory else (),
    )
    for problem in report.problems:
        print(net.printable(f"FAIL: {problem}", 1000), file=sys.stderr)
    if report.ok:
        remembered = ""
        if memory is not None and state:
            memory.keep(state, report)
            remembered = memory_text(memory, state)
        print(net.printable(remote_ok_text(report) + remembered))
        return 0
    if report.first_bad_index is not None:
        print(f"first bad index: {report.first_bad_index}", file=sys.stderr)
    return 1


def withheld_text(report: Report) -> str:
    if not report.withheld:
        return ""
    return f" ({report.withheld} withheld: leaf hash only, the body is private)"


def _check_receipt(path: str, entry_path: str, vkey: str, witnesses: Sequence[str]) -> int:
    with open(path, encoding="utf-8", errors="replace") as handle:
        receipt = handle.read()
    with open(entry_path, "rb") as handle:
        entry = handle.read()
    try:
        checkpoint = verify_receipt(receipt, entry, vkey, witnesses)
    except notes.NoteError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    print(f"OK: the entry is in {checkpoint.origin} under checkpoint size {checkpoint.size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
