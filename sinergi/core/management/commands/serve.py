"""`sinergi serve`: the production WSGI server (granian), static files by WhiteNoise."""

from __future__ import annotations

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Sinergi with granian (WSGI). Two workers with two threads suit 2 cores."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SINERGI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=2, help="blocking threads per worker")
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
            str(options["threads"]),
            "--no-ws",
            "sinergi.wsgi:application",
        ]
        self.stdout.write(f"Sinergi at http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
