"""The `sinergi` command: a thin wrapper over Django's management commands.

sinergi demo        load the demo partnerships
sinergi serve       run the production server (granian, WSGI)
sinergi <command>   any manage.py command (migrate, createsuperuser, …)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sinergi", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
