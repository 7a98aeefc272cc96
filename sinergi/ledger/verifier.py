"""The downloadable ledger tool: Sinergi's offline verifier and witness in one file.

`sinergi-ledger.pyz` is a Python zip application (PEP 441) holding exactly the modules
that check receipts and audit bundles and run a witness (merkle, notes, offline,
witness). It needs Python 3 and the `cryptography` package, no Django and no database,
so a partner or auditor can verify the log without installing Sinergi. Any cryptography
from MIN_CRYPTOGRAPHY on will do, such as the one Debian's python3 has:

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
# The oldest cryptography the tool is tested with (Debian 11's python3-cryptography is
# 3.3.2, Debian 12's 38.0.4). Ed25519 and Encoding.Raw are all it uses; private_bytes_raw
# and public_bytes_raw (cryptography 40) are not (tests/ledger/test_tool.py checks).
MIN_CRYPTOGRAPHY = "3.3"
_MAIN = """import sys

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat

    Ed25519PrivateKey, Encoding.Raw, PrivateFormat.Raw  # noqa: B018 - what the tool uses
except (ImportError, AttributeError) as exc:
    try:
        import cryptography

        found = "cryptography %s: %s" % (getattr(cryptography, "__version__", "?"), exc)
    except ImportError:
        found = "no cryptography package"
    sys.exit(
        "FILENAME needs the cryptography package, version MINIMUM or later (found: %s).\\n"
        "On Debian or Ubuntu: sudo apt install python3-cryptography\\n"
        "Elsewhere: pip install cryptography (in a venv if pip is refused)" % found
    )

from sinergi.ledger.offline import main

sys.exit(main(prog="python3 FILENAME"))
""".replace("FILENAME", FILENAME).replace("MINIMUM", MIN_CRYPTOGRAPHY)
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
