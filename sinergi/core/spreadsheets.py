"""What every spreadsheet export and import shares: content types, formula
neutralisation, sending a workbook, clearing uploads kept for a preview, and keeping the
rows an import has read until it checks them."""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_STARTS = "=+-@\t\r"


def neutralise(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection, OWASP):
    text starting with = + - @ tab or carriage return gets a leading apostrophe."""
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """The text `neutralise` was given: an imported cell loses the apostrophe an export
    or template put before a formula-like value."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def xlsx_file_response(write: Callable[[IO[bytes]], None], filename: str) -> FileResponse:
    """A workbook written by `write` into a temporary file on disk and sent from there
    (memory stays flat however large the workbook)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def sha256_of(fileobj: IO[bytes]) -> str:
    """The file's SHA-256 (hex), read in chunks; the file is rewound."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def keep_stash(name: str, fileobj: IO[bytes], sha256: str) -> None:
    """Keep a previewed upload as `name` in the default storage until it is confirmed.

    A file already there is kept only when it is whole (its hash is `sha256`): one left
    half-written by a full disk or a stopped server is replaced, or confirming would say
    "upload it again" until the prune removed it a day later. A failed save leaves
    nothing behind."""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            if sha256_of(handle) == sha256:
                fileobj.seek(0)
                return
        default_storage.delete(name)
    fileobj.seek(0)
    try:
        default_storage.save(name, File(fileobj))
    except BaseException:
        kept = open_stash(name, sha256)  # a whole copy another preview just kept stays
        if kept is None:
            default_storage.delete(name)
        else:
            kept.close()
        raise
    fileobj.seek(0)


def open_stash(name: str, sha256: str) -> IO[bytes] | None:
    """The kept upload `name` if it is whole (its hash is `sha256`), else None."""
    if not default_storage.exists(name):
        return None
    handle = default_storage.open(name, "rb")
    if sha256_of(handle) != sha256:  # changed or cut short on disk: do not trust it
        handle.close()
        return None
    return handle


def prune_stash(folder: str, max_age: timedelta) -> None:
    """Delete the files in `folder` of the default storage older than `max_age`: uploads
    kept for a preview that nobody confirmed."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, OSError):
        return
    cutoff = timezone.now() - max_age
    for name in files:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, OSError, NotImplementedError):
            continue


def csv_unreadable(error: Exception, line: int) -> str:
    """Why the csv module could not read a file, near `line`, in the reader's language
    (its own message is English and about its internals)."""
    text = str(error)
    if "field larger than field limit" in text:
        why = _("a cell holds more text than a spreadsheet cell can")
    elif "new-line character seen in unquoted field" in text:
        why = _("a line break inside a cell that is not in quotes")
    elif "unexpected end of data" in text:
        why = _("a quote that opens a cell is never closed")
    elif "line contains NUL" in text:
        why = _("the file holds NUL characters, so it is not text")
    else:
        why = _("its commas and quotes do not line up")
    return _("The CSV file cannot be read near line %(line)d: %(error)s") % {
        "line": line,
        "error": why,
    }


class RowSpool:
    """What an import read from a file, kept until it is checked: in a temporary file (in
    memory up to `in_memory` bytes), pickled in chunks of `chunk` rows, so memory stays
    flat however long the file. The imports read a whole file before they take the
    ledger's lock, and check and write it under the lock."""

    def __init__(self, in_memory: int = 8 * 1024 * 1024, chunk: int = 1000) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115
        self._kept: list[Any] = []
        self._rows = 0
        self._chunk = chunk
        self.empty = True

    def add(self, item: Any, rows: int = 1) -> None:
        """Keep `item`, which holds `rows` of the file's rows."""
        self._kept.append(item)
        self.empty = False
        self._rows += rows
        if self._rows >= self._chunk:
            self._flush()

    def _flush(self) -> None:
        if self._kept:
            pickle.dump(self._kept, self._file, pickle.HIGHEST_PROTOCOL)
            self._kept, self._rows = [], 0

    def __iter__(self) -> Iterator[Any]:
        self._flush()
        self._file.seek(0)
        while True:
            try:
                # Written by `add`, in this process, into a file no one else can open.
                chunk = pickle.load(self._file)  # noqa: S301
            except EOFError:
                return
            yield from chunk

    def close(self) -> None:
        self._file.close()
