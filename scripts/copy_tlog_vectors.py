"""Copy the RFC 9162 Merkle-proof test vectors into `tests/data/tlog-vectors/`.

Run from the repository root:

    python scripts/copy_tlog_vectors.py [SHARED_DATA_DIR]

Copies `tlog-vectors/` from SHARED_DATA_DIR (default `../shared/data`): the inclusion and
consistency proofs of transparency-dev/merkle's `testdata/` (github.com/transparency-dev/merkle,
Apache License 2.0), good and deliberately broken, each with its expected verdict. The
licence is copied with them, and a README names the source. The tests read this copy, so
they run wherever the repository is cloned. Re-running the script on the same files
reproduces the copy exactly (files are copied byte for byte, nothing else is kept).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
TARGET = ROOT / "tests" / "data" / "tlog-vectors"

README = """# RFC 9162 Merkle-proof test vectors

Copied by `scripts/copy_tlog_vectors.py` from transparency-dev/merkle's `testdata/`
(https://github.com/transparency-dev/merkle, as of 2026-07-23), under the Apache License
2.0 (`LICENSE`, beside this file). Unchanged.

- `inclusion/`: inclusion proofs, good and broken, each with `wantErr`.
- `consistency/`: consistency proofs, likewise.

Two verdicts that RFC 9162's text leaves implicit: a hash that is not 32 bytes is an
error, and a consistency proof from size 0 is an error.
"""


def main() -> None:
    source = (Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SHARED) / "tlog-vectors"
    if not source.is_dir():
        sys.exit(f"no tlog-vectors folder in {source.parent}")
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    shutil.copy2(source / "LICENSE", TARGET / "LICENSE")
    copied = 0
    for kind in ("inclusion", "consistency"):
        for path in sorted((source / kind).rglob("*.json")):
            target = TARGET / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
            copied += 1
    (TARGET / "README.md").write_text(README)
    print(f"copied {copied} vectors to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
