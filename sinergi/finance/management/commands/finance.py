"""`sinergi finance …`: reconcile the finance tables with the transparency ledger."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

SHOWN = 50


class Command(BaseCommand):
    help = "Finance tools: check (reconcile the finance rows with the ledger)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check",
            help="reconcile finance rows, ledger entries and totals; exit 1 on a mismatch",
        )
        check.add_argument("--partnership", metavar="SLUG", help="check one partnership only")

    def handle(self, *args: object, **options: object) -> None:
        getattr(self, "do_" + str(options["action"]))(options)

    def do_check(self, options: dict) -> None:
        from sinergi.finance.reconcile import check
        from sinergi.partnerships.models import Partnership

        partnership = None
        if options.get("partnership"):
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError("no partnership has that slug")
        report = check(partnership)
        for mismatch in report.mismatches[:SHOWN]:
            self.stderr.write(f"MISMATCH: {mismatch}")
        if not report.ok:
            more = len(report.mismatches) - SHOWN
            if more > 0:
                self.stderr.write(f"… and {more} more")
            raise CommandError(
                f"{len(report.mismatches)} mismatches between the finance rows and the ledger"
            )
        self.stdout.write(f"OK: {report.summary()} reconciled")
