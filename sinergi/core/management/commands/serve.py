"""`sinergi serve`: the production WSGI server (granian), static files by WhiteNoise."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_threads(engine: str | None = None) -> int:
    """Threads per worker: one on SQLite, two on PostgreSQL.

    A request on SQLite never waits for the network: a second thread in the worker only
    takes turns with the first for Python's interpreter lock, and the turns (5 ms each)
    show in the slowest responses. On PostgreSQL every query is a round trip, during
    which the other thread can work."""
    engine = engine or settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("sqlite3") else 2


class Command(BaseCommand):
    help = (
        "Serve Sinergi with granian (WSGI): one worker process per CPU, one thread each on"
        " SQLite and two on PostgreSQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SINERGI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=len(os.sched_getaffinity(0)),
            help="worker processes (default: the CPUs this process may use)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="blocking threads per worker (default: 1 on SQLite, 2 on PostgreSQL)",
        )
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="skip collecting static files"
        )

    def handle(self, *args: object, **options: object) -> None:
        if not options["no_collectstatic"]:
            # Chart.js comes from the django-chartjs package, which also ships Highcharts
            # (not open source) and an IE8 canvas shim: those are not served.
            call_command(
                "collectstatic",
                interactive=False,
                verbosity=0,
                ignore_patterns=["highcharts", "excanvas.js"],
            )
        argv = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            str(options["host"]),
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--blocking-threads",
            str(options["threads"] or default_threads()),
            "--no-ws",
            "sinergi.wsgi:application",
        ]
        self.stdout.write(f"Sinergi at http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
