"""Property tests: every generated proof verifies, and any flipped bit makes it fail."""

from __future__ import annotations

import functools
import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sinergi.ledger.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hasher,
    root_of,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
LEAVES = [leaf_hash(str(i).encode()) for i in range(MAX)]
ROOTS = [root_of(LEAVES[:n]) for n in range(MAX + 1)]
HASHER = functools.cache(range_hasher(LEAVES))


def reference_root(hashes: list[bytes]) -> bytes:
    """RFC 9162's recursive definition, written out literally."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(reference_root(hashes[:k]), reference_root(hashes[k:]))


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


def test_root_matches_the_recursive_definition_for_every_size():
    """The iterative root equals RFC 9162's recursive MTH for every size up to 300."""
    assert ROOTS[0] == EMPTY_ROOT
    for n in range(1, MAX + 1):
        assert ROOTS[n] == reference_root(LEAVES[:n])


def test_every_inclusion_proof_verifies():
    """For every (index, size) with size ≤ 300, the generated proof verifies."""
    for size in range(1, MAX + 1):
        for index in range(size):
            proof = inclusion_proof(index, size, HASHER)
            verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size])


def test_every_consistency_proof_verifies():
    """For every (m, n) with 1 ≤ m ≤ n ≤ 300, the generated proof verifies."""
    for second in range(1, MAX + 1):
        for first in range(1, second + 1):
            proof = consistency_proof(first, second, HASHER)
            verify_consistency(first, second, proof, ROOTS[first], ROOTS[second])


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_flipped_bit_breaks_an_inclusion_proof(data):
    """Flipping any bit of the leaf, the root or a proof hash makes verification fail."""
    size = data.draw(st.integers(2, MAX))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, HASHER)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.integers(-2, len(proof) - 1))
    leaf, root = LEAVES[index], ROOTS[size]
    if target == -2:
        leaf = flip(leaf, bit)
    elif target == -1:
        root = flip(root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_flipped_bit_breaks_a_consistency_proof(data):
    """Flipping any bit of either root or a proof hash makes verification fail."""
    second = data.draw(st.integers(2, MAX))
    first = data.draw(st.integers(1, second - 1))
    proof = consistency_proof(first, second, HASHER)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.integers(-2, len(proof) - 1))
    first_root, second_root = ROOTS[first], ROOTS[second]
    if target == -2:
        first_root = flip(first_root, bit)
    elif target == -1:
        second_root = flip(second_root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(ProofError):
        verify_consistency(first, second, proof, first_root, second_root)


def test_malformed_requests_are_errors():
    """Out-of-range indices, size 0 and short hashes are refused, not answered."""
    with pytest.raises(ProofError):
        inclusion_proof(5, 5, HASHER)
    with pytest.raises(ProofError):
        inclusion_proof(-1, 5, HASHER)
    with pytest.raises(ProofError):
        consistency_proof(0, 5, HASHER)
    with pytest.raises(ProofError):
        consistency_proof(6, 5, HASHER)
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, b"short", [], ROOTS[1])


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, MAX), cuts=st.lists(st.integers(0, MAX), max_size=8))
def test_the_tree_hashed_a_batch_at_a_time_is_every_complete_subtree(size, cuts):
    """`sinergi ledger verify` hashes the tree over the leaves a batch at a time as they
    are read: whatever the batches, levels[k][i] is the root of leaves i*2**k to
    (i+1)*2**k - 1, for every complete subtree and no other, as at once."""
    from sinergi.ledger.offline import LevelBuilder, build_levels, prefix_root

    builder = LevelBuilder()
    bounds = sorted({0, size, *(cut for cut in cuts if cut <= size)})
    for lo, hi in itertools.pairwise(bounds):
        builder.add(LEAVES[lo:hi])

    levels = builder.levels
    assert levels[0] == LEAVES[:size]
    for k, hashes in enumerate(levels):
        width = 1 << k
        assert len(hashes) == size // width
        assert hashes == [
            reference_root(LEAVES[i : i + width]) for i in range(0, len(hashes) * width, width)
        ]
    assert len(levels) == max(1, size.bit_length())
    assert build_levels(LEAVES[:size]) == levels
    assert prefix_root(levels, size) == ROOTS[size]
