"""RFC 9162 Merkle tree hashing, proofs and their verification.

Pure functions over 32-byte SHA-256 hashes; storage is the caller's business. A tree is
seen through `hash_range(lo, hi)`, which returns the Merkle Tree Hash of leaves
[lo, hi). Proof generation asks only for ranges that are either aligned complete
subtrees (hi - lo a power of two and lo a multiple of it) or the right edge of the tree,
so a store that keeps every complete subtree's hash answers each call in O(log n) reads.

Hashing (RFC 9162 §2.1.1):  leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ l ‖ r),
and a tree of n > 1 leaves splits at k, the largest power of two smaller than n.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

HashRange = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof or its inputs are malformed or do not verify."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of leaf hashes, iteratively (no recursion limit)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Fold complete subtrees left to right, like an append-only log does.
    stack: list[tuple[int, bytes]] = []  # (size, hash) of complete subtrees
    for h in leaf_hashes:
        size, current = 1, h
        while stack and stack[-1][0] == size:
            _size, left = stack.pop()
            current = node_hash(left, current)
            size *= 2
        stack.append((size, current))
    _size, root = stack.pop()
    while stack:
        _size, left = stack.pop()
        root = node_hash(left, root)
    return root


def range_hasher(leaf_hashes: Sequence[bytes]) -> HashRange:
    """A `hash_range` over an in-memory list of leaf hashes (for tests and offline checks)."""

    def hash_range(lo: int, hi: int) -> bytes:
        return root_of(leaf_hashes[lo:hi])

    return hash_range


def inclusion_proof(index: int, size: int, hash_range: HashRange) -> list[bytes]:
    """The audit path for leaf `index` in the tree of the first `size` leaves (§2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            proof.append(hash_range(lo + k, hi))
            hi = lo + k
        else:
            proof.append(hash_range(lo, lo + k))
            lo = lo + k
    proof.reverse()
    return proof


def consistency_proof(first: int, second: int, hash_range: HashRange) -> list[bytes]:
    """The proof that the tree of `second` leaves extends the tree of `first` (§2.1.4.1)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to {second}")
    proof: list[bytes] = []
    m, lo, hi, complete = first, 0, second, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                proof.append(hash_range(lo, hi))
            break
        k = split_point(n)
        if m <= k:
            proof.append(hash_range(lo + k, hi))
            hi = lo + k
        else:
            proof.append(hash_range(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` implies for `leaf` at `index` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows `leaf` at `index` in the tree with `root`."""
    _check_hash(root, "root")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows tree `second` extends tree `first` (§2.1.4.2)."""
    if first < 1 or second < first:
        # A proof from the empty tree proves nothing (and C2SP forbids it).
        raise ProofError(f"no consistency proof from size {first} to {second}")
    if first == second:
        # Equal sizes need no proof: the roots must simply be identical (as in
        # transparency-dev/merkle, whatever their length).
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("equal sizes with different roots")
        return
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is itself a path node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than expected")
    if fr != first_root:
        raise ProofError("the proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the proof does not lead to the second root")
