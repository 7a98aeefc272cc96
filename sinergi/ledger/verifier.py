"""The downloadable ledger tool: Sinergi's offline verifier and witness in one file.

`sinergi-ledger.pyz` is a Python zip application (PEP 441) holding exactly the modules
that check receipts and audit bundles and run a witness (merkle, notes, offline,
witness). It needs Python 3 and the `cryptography` package, no Django and no database,
so a partner or auditor can verify the log without installing Sinergi:

    python3 sinergi-ledger.pyz receipt entry.tlog-proof --vkey VKEY --entry entry.bin

The archive is built from this installation's source, byte for byte the same on every
build (fixed times and order), so its SHA-256, shown on the verification page, can be
compared with one built from a reviewed copy of the source (`build_tool()`).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import cache
from pathlib import Path

FILENAME = "sinergi-ledger.pyz"
MODULES = ("merkle.py", "notes.py", "offline.py", "witness.py")
_MAIN = f"""import sys

try:
    import cryptography  # noqa: F401 - Ed25519 signatures
except ImportError:
    sys.exit("{FILENAME} needs the cryptography package: pip install cryptography")

from sinergi.ledger.offline import main

sys.exit(main(prog="python3 {FILENAME}"))
"""
_PACKAGE = '"""Sinergi\'s ledger tool: offline verification and a witness."""\n'
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def _add(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    # Stored, not deflated: deflate's output depends on the zlib build, and the hash must
    # not (anyone rebuilding the tool from the same source gets the same bytes).
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("utf-8"))


@cache
def build_tool() -> bytes:
    """The zip application's bytes: a shebang line, then the archive."""
    here = Path(__file__).resolve().parent
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "__main__.py", _MAIN)
        _add(archive, "sinergi/__init__.py", _PACKAGE)
        _add(archive, "sinergi/ledger/__init__.py", "")
        for module in MODULES:
            _add(archive, f"sinergi/ledger/{module}", (here / module).read_text("utf-8"))
    return buffer.getvalue()


def tool_sha256() -> str:
    return hashlib.sha256(build_tool()).hexdigest()
