"""Uploaded evidence files: the name kept beside one, and sending it back; one way for
finance documents and results evidence alike."""

from __future__ import annotations

import base64
import logging

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

logger = logging.getLogger(__name__)


def kept_name(name: object, default: str, limit: int = 200) -> str:
    """An uploaded file's name as kept beside it: trimmed, and a long one cut to `limit`
    characters with its extension kept ("report.pdf" stays a PDF). A long name is no
    reason to refuse the file (the file is what counts, and its hash goes on the ledger)."""
    text = str(name or "").replace("\x00", "").strip()
    if len(text) > limit:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            text = stem[: limit - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:limit].rstrip()
    return text or default


def evidence_download(file: FieldFile, name: str, sha256: str) -> FileResponse:
    """`file` as an attachment named `name`, never shown inline (it is what a partner
    uploaded), with its SHA-256 — the hash that went on the ledger — in a `Repr-Digest`
    header (RFC 9530) for the reader to check what they received. A file missing from
    storage (restored from an older backup, removed by hand) is a 404, logged."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        logger.warning("Evidence file %s is missing from storage", file.name)
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type="application/octet-stream",
    )
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response
