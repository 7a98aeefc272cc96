"""Shared by the benchmark scripts: where the data lives and how Django is set up.

Both scripts must agree on the database and on the secret key (the load test signs in
and sends the session cookie), so both read the environment through `configure()`:

- DATABASE_URL set: that database (PostgreSQL);
- otherwise SQLite at SINERGI_SQLITE_PATH, else SINERGI_DATA_DIR/sinergi.sqlite3, where
  SINERGI_DATA_DIR defaults to benchmarks/out/ (not the demo's var/).
"""

from __future__ import annotations

import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
TOKEN_FILE = OUT_DIR / "token.txt"
DATASET_FILE = OUT_DIR / "dataset.json"
RESULTS_FILE = OUT_DIR / "results.md"

BENCH_USERNAME = "bench"
# Only ever used against a generated, loopback-only benchmark database.
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105


def configure() -> dict[str, str]:
    """Set the environment defaults the benchmark uses and return them (for child processes)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("SINERGI_SQLITE_PATH") and not os.environ.get("SINERGI_DATA_DIR"):
        os.environ["SINERGI_DATA_DIR"] = str(OUT_DIR)
    os.environ.setdefault("STATIC_ROOT", str(OUT_DIR / "static"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    return dict(os.environ)


def setup_django() -> None:
    configure()
    import django

    django.setup()


def database_label() -> str:
    """A human description of the configured database, without credentials."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version} at {connection.settings_dict['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"
