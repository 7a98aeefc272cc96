"""`sinergi rebuild_capability_coverage`: rebuild the partner-matching index from scratch."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sinergi.partners.capabilities.services import rebuild_coverage


class Command(BaseCommand):
    help = (
        "Rebuild the capability coverage index (partner matching) from the capabilities, "
        "e.g. after a bulk load or a restore."
    )

    def handle(self, *args: object, **options: object) -> None:
        written = rebuild_coverage()
        self.stdout.write(f"Capability coverage rebuilt: {written} rows.")
