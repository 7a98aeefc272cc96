"""Shared by the ledger benchmarks: fresh databases, Django set-up, events, timing.

Every measurement runs in its own process with the environment `database_env()` gives
it, so each one gets a fresh database (a new SQLite file in a new directory, or a new
PostgreSQL database) and its own ledger key. Nothing here touches var/ or the demo data.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
PYTHON = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")


# Events ------------------------------------------------------------------------------


def event(i: int) -> tuple[str, dict[str, Any]]:
    """The i-th synthetic ledger event (kind, payload): a typical partnership update."""
    return (
        "partnership.updated",
        {
            "partnership": f"water-and-sanitation-{i % 997}",
            "changes": {"title": [f"Title {i}", f"Title {i + 1}"], "status": ["active", "closed"]},
            "organisation": f"org-{i % 131}",
            "sequence": i,
        },
    )


def encode_event(i: int) -> bytes:
    """The exact bytes `ledger.append` would log for event(i) now (clock and RFC 8785 included)."""
    from sinergi.ledger import log

    kind, payload = event(i)
    return log.canonical_entry(kind, None, None, log.rfc3339(log.now()), payload)


# Databases ---------------------------------------------------------------------------


def new_workdir(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ledger-bench-{label}-", dir="/tmp"))


def database_env(workdir: Path, pg_url: str | None = None) -> dict[str, str]:
    """The environment for a Django process on a fresh database kept under `workdir`."""
    # Create the demo secret key now: sinergi.env.local_secret_key races when several
    # processes start at once on a fresh data directory.
    key_file = workdir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("SINERGI_SQLITE_PATH", None)
    env.update(
        DJANGO_SETTINGS_MODULE="sinergi.settings",
        SINERGI_DATA_DIR=str(workdir),
        SINERGI_LEDGER_KEY=str(workdir / "ledger.key"),
        STATIC_ROOT=str(workdir / "static"),
        PYTHONPATH=str(ROOT),
    )
    if pg_url:
        env["DATABASE_URL"] = pg_url
    else:
        env["SINERGI_SQLITE_PATH"] = str(workdir / "sinergi.sqlite3")
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_json(args: list[str], env: dict[str, str], timeout: float = 1800) -> dict:
    """Run a benchmark script in a child process; it prints one JSON object last."""
    done = subprocess.run(
        [PYTHON, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"{args[0]} failed with exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class PostgresCluster:
    """A throwaway PostgreSQL cluster in /tmp on a loopback port, owned by `postgres`.

    Default settings (fsync and synchronous_commit on), so commits are durable.
    """

    def __init__(self, port: int = 54329) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-bench-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.version = ""

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd="/tmp",
        )

    def start(self) -> PostgresCluster:
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E",
            "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c shared_buffers=256MB -c max_wal_size=4GB"
        )
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
            str(self.dir / "server.log"), "-w", "start",
        )  # fmt: skip
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            self.version = conn.execute("SHOW server_version").fetchone()[0]
        return self

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                 str(self.data), "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp", check=False,
            )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


# Timing ------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of samples, nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def wait_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)
