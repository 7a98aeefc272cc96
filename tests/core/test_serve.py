"""`sinergi serve` picks its workers from the CPUs and its threads per worker from the
database it serves."""

from __future__ import annotations

import os

from django.db import connection

from sinergi.core.management.commands.serve import Command, default_threads


def test_one_thread_per_worker_on_sqlite_two_on_postgresql() -> None:
    assert default_threads("django.db.backends.sqlite3") == 1
    assert default_threads("django.db.backends.postgresql") == 2
    assert default_threads() == (1 if connection.vendor == "sqlite" else 2)


def test_workers_default_to_the_cpus_this_process_may_use() -> None:
    parser = Command().create_parser("sinergi", "serve")
    options = parser.parse_args([])
    assert options.workers == len(os.sched_getaffinity(0)) >= 1
    assert options.threads is None  # resolved from the database when serving
    assert parser.parse_args(["--threads", "3"]).threads == 3
