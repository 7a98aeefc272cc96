"""Production settings pass Django's deployment checks; SQLite runs in WAL mode with
foreign keys enforced."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

REPO = Path(__file__).resolve().parents[2]


def run_django(args: list[str], tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    """Run `python -m django …` on the production settings module in a clean environment:
    only PATH and HOME are inherited, so no DEBUG, SECRET_KEY or DATABASE_URL leaks in."""
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="sinergi.settings",
        SINERGI_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(REPO),
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production(tmp_path):
    """Given SINERGI_ENV=production, a long random SECRET_KEY, DEBUG unset and
    ALLOWED_HOSTS=example.org, `check --deploy --fail-level WARNING` reports nothing."""
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SINERGI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_deploy_check_notices_debug_in_production(tmp_path):
    """Given the same production settings but DEBUG=1, the deploy check fails: it really
    inspects the settings module it is given."""
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SINERGI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
        DEBUG="1",
    )

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [None, ""])
def test_production_without_secret_key_refuses_to_start(tmp_path, secret_key):
    """Given SINERGI_ENV=production and SECRET_KEY unset or empty, Django does not start
    and says why; no generated key is written to the data directory."""
    variables = {"SINERGI_ENV": "production", "ALLOWED_HOSTS": "example.org"}
    if secret_key is not None:
        variables["SECRET_KEY"] = secret_key

    result = run_django(["check"], tmp_path, **variables)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when SINERGI_ENV=production" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()


def test_demo_mode_makes_its_own_secret_key(tmp_path):
    """Given no SINERGI_ENV and no SECRET_KEY, Django starts with a key generated into
    the data directory, readable by its owner only."""
    result = run_django(["check"], tmp_path)

    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "data" / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def pragma(conn, name: str):
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.fixture
def sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip(f"WAL and foreign_keys are SQLite PRAGMAs; this run uses {connection.vendor}")
    return connection


def test_sqlite_enforces_foreign_keys(sqlite):
    """Given the test database connection, foreign keys are on."""
    assert pragma(sqlite, "foreign_keys") == 1


def test_sqlite_file_connection_uses_wal_and_foreign_keys(sqlite, tmp_path):
    """Given the configured SQLite settings on a database file (the test database itself
    lives in memory, where WAL does not exist), a new connection runs in WAL mode with
    foreign keys on, synchronous=FULL (a commit is on disk before it is answered) and a
    busy timeout."""
    settings_dict = {**sqlite.settings_dict, "NAME": str(tmp_path / "probe.sqlite3")}
    probe = SQLiteWrapper(settings_dict, alias="wal-probe")
    try:
        assert pragma(probe, "journal_mode") == "wal"
        assert pragma(probe, "foreign_keys") == 1
        assert pragma(probe, "synchronous") == 2  # FULL
        assert pragma(probe, "busy_timeout") == 20000
    finally:
        probe.close()


def test_a_silent_mail_server_is_given_up_on_after_email_timeout(tmp_path):
    """Given no EMAIL_TIMEOUT, a send waits 10 seconds for the mail server at most (Django
    would wait for ever); EMAIL_TIMEOUT sets it."""
    show = ["shell", "-c", "from django.conf import settings; print(settings.EMAIL_TIMEOUT)"]
    default = run_django(show, tmp_path)
    assert default.returncode == 0, default.stderr
    assert default.stdout.splitlines()[-1] == "10"
    chosen = run_django(show, tmp_path, EMAIL_TIMEOUT="3")
    assert chosen.stdout.splitlines()[-1] == "3", chosen.stderr
