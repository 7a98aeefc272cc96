"""The RFC 9162 verifier agrees with every transparency-dev/merkle test vector."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sinergi.ledger.merkle import ProofError, verify_consistency, verify_inclusion

# transparency-dev/merkle's vectors, copied by scripts/copy_tlog_vectors.py (Apache 2.0).
VECTORS = Path(__file__).resolve().parents[1] / "data" / "tlog-vectors"


def _load(kind: str) -> list[tuple[str, dict]]:
    return [
        (str(path.relative_to(VECTORS)), json.loads(path.read_text()))
        for path in sorted((VECTORS / kind).rglob("*.json"))
    ]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


INCLUSION = _load("inclusion")
CONSISTENCY = _load("consistency")


def test_all_vectors_are_loaded():
    """Given the copied vectors, then all 196 good and broken proofs are exercised."""
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize(("name", "vector"), INCLUSION, ids=[n for n, _ in INCLUSION])
def test_inclusion_vector(name, vector):
    """When verifying an inclusion proof, then the verdict matches the vector's wantErr."""
    proof = [_b64(p) for p in vector.get("proof") or []]
    args = (
        vector["leafIdx"],
        vector["treeSize"],
        _b64(vector.get("leafHash")),
        proof,
        _b64(vector.get("root")),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize(("name", "vector"), CONSISTENCY, ids=[n for n, _ in CONSISTENCY])
def test_consistency_vector(name, vector):
    """When verifying a consistency proof, then the verdict matches the vector's wantErr."""
    proof = [_b64(p) for p in vector.get("proof") or []]
    args = (
        vector["size1"],
        vector["size2"],
        proof,
        _b64(vector.get("root1")),
        _b64(vector.get("root2")),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
