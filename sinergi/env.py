"""Reading settings from the environment, with safe defaults for the embedded demo."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or `default` when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool = False) -> bool:
    """True for 1/true/yes/on (any case), False for 0/false/no/off, else `default`."""
    value = os.environ.get(name, "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    return default


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable as a list of stripped, non-empty items."""
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


def env_float(name: str, default: float) -> float:
    """A number variable; a malformed value is a configuration error."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc


def env_int(name: str, default: int) -> int:
    """An integer variable; a malformed value is a configuration error."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def local_secret_key(data_dir: Path) -> str:
    """A per-installation secret kept in `data_dir/secret_key`, created on first use.

    Used only when SECRET_KEY is not set, so that a demo never runs on a key that
    is published in the source code.
    """
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    return write_once(path, secrets.token_urlsafe(50)).strip()


def write_once(path: Path, content: str) -> str:
    """Create `path` (mode 0600) holding `content`, unless it exists; return what it holds.

    The content is written under a private name and then linked into place. link() fails
    if another process got there first, so racing processes all end up with the first
    complete file, never a partial one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text()


CODE_SUFFIXES = (".py", ".html", ".txt", ".mo", ".json", ".csv", ".xml")


def code_fingerprint(root: Path) -> str:
    """A short digest of the code under `root`: every source, template, catalogue and
    data file's path, size and modification time. Another release (or an edited file)
    gives another digest, so what the old code computed and kept is never reused."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(CODE_SUFFIXES):
                path = os.path.join(folder, name)
                stat = os.stat(path)
                digest.update(
                    f"{os.path.relpath(path, root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
                )
    return digest.hexdigest()[:12]
