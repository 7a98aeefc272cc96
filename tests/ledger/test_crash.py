"""Crash test: kill -9 the server while clients append over HTTP.

Given a real granian server on a SQLite file and clients creating partnerships (each
one appends to the ledger) over HTTP, when the server is killed with SIGKILL mid-load
and started again, then `sinergi ledger verify` passes and every creation that was
acknowledged with 201 has its ledger entry.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the crash test runs against a SQLite file"
)

SETUP = """
import django; django.setup()
from sinergi.partners.models import Person
from sinergi.access.services import create_api_token
person = Person.objects.create_user("crash", password="x-unused-x")
print(create_api_token(actor=person, name="crash")[1])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="sinergi.settings",
        SINERGI_DATA_DIR=str(tmp_path),
        SINERGI_LEDGER_KEY=str(tmp_path / "ledger.key"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2", "--blocking-threads", "2", "--no-ws",
         "sinergi.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the server did not start")


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sinergi.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_acknowledged_appends_survive_kill_9(tmp_path):
    env = _env(tmp_path)
    assert _manage(env, "migrate", "--noinput", "-v0").returncode == 0
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True
    )
    token = setup.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = _start(env, port)

    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            slug = f"crash-{worker}-{n}"
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/partnerships",
                data=json.dumps({"title": slug, "slug": slug}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 201:
                        with lock:
                            acknowledged.append(slug)
            except (OSError, urllib.error.HTTPError):
                if stop.is_set():
                    return
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    # Kill the whole server (master and workers) mid-load.
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) >= 20, "too few appends before the kill to mean anything"

    verify = _manage(env, "ledger", "verify")
    assert verify.returncode == 0, verify.stderr

    db = sqlite3.connect(tmp_path / "sinergi.sqlite3")
    logged = {
        json.loads(body)["payload"]["title"]
        for (body,) in db.execute("SELECT body FROM ledger_entry")
        if json.loads(body)["kind"] == "partnership.created"
    }
    db.close()
    missing = set(acknowledged) - logged
    assert not missing, f"acknowledged but not on the ledger: {sorted(missing)[:5]}"

    # After a restart the log serves a checkpoint that covers everything acknowledged.
    server = _start(env, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ledger/checkpoint") as response:
            size = int(response.read().decode().split("\n")[1])
        assert size >= len(acknowledged)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
