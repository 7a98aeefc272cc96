"""`sinergi results …`: reminder digests and rebuilding the progress roll-ups."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Results tools: remind (e-mail each reporter one digest of values due or overdue), "
        "rebuild (recompute every progress figure and SDG roll-up)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser(
            "remind", help="e-mail each person one digest of the values they have to report"
        )
        remind.add_argument(
            "--date", metavar="YYYY-MM-DD", help="act as if today were this date (default: today)"
        )
        remind.add_argument(
            "--days", type=int, default=7, metavar="N", help="include values due within N days"
        )
        remind.add_argument("--dry-run", action="store_true", help="list the digests, send nothing")
        remind.add_argument(
            "--base-url", metavar="URL", help="address of Sinergi for the links (SITE_URL)"
        )
        rebuild = sub.add_parser(
            "rebuild", help="recompute indicator progress and SDG roll-ups from the values"
        )
        rebuild.add_argument("--partnership", metavar="SLUG", help="one partnership only")

    def handle(self, *args: object, **options: object) -> None:
        getattr(self, "do_" + str(options["action"]))(options)

    def do_remind(self, options: dict) -> None:
        from sinergi.results import reminders

        today = None
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date: write the date as YYYY-MM-DD") from None
        days = options["days"]
        if days < 0:
            raise CommandError("--days: give 0 or more days")
        dry_run = bool(options.get("dry_run"))
        day = today or timezone.localdate()
        already = len(reminders.reminded(day))
        try:
            found = reminders.send_reminders(
                day, days, dry_run=dry_run, base=options.get("base_url")
            )
        except reminders.MailServerUnavailable as exc:
            host = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
            raise CommandError(
                f"cannot reach the mail server ({host}): {exc.reason}. "
                f"{exc.sent} digests were sent before; run the command again once the mail "
                "server works, and it sends the others."
            ) from None
        for digest in found:
            person = digest.person
            self.stdout.write(
                f"{person.username} <{person.email}>: {len(digest.items)} values "
                f"({len(digest.overdue)} overdue)"
            )
            for item in digest.items:
                state = "overdue" if item.overdue else "due"
                self.stdout.write(
                    f"  {item.partnership.slug} {item.indicator.code} {item.period.label} "
                    f"due {item.period.due.isoformat()} {state}"
                    + (f" ({item.status})" if item.status else "")
                )
            if digest.error:
                self.stdout.write(f"  NOT SENT: {digest.error}")
        failed = [digest for digest in found if digest.error]
        verb = "would e-mail" if dry_run else "e-mailed"
        self.stdout.write(f"{verb} {len(found) - len(failed)} people")
        if already:
            self.stdout.write(f"{already} people already reminded for {day.isoformat()}: not again")
        if failed:
            addresses = ", ".join(f"{digest.person.email} ({digest.error})" for digest in failed)
            raise CommandError(
                f"{len(failed)} digests not sent, the mail server refused them: {addresses}. "
                "The next run tries them again (and not those sent)."
            )

    def do_rebuild(self, options: dict) -> None:
        from sinergi.ledger.log import hold
        from sinergi.partnerships.models import Partnership
        from sinergi.results import rollups

        partnerships = None
        if options.get("partnership"):
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError("no partnership has that slug")
            partnerships = [partnership.pk]
        # Approvals and target changes take the ledger lock first: holding it, the
        # rebuild cannot overwrite a figure an approval is rewriting at the same time.
        with transaction.atomic():
            hold()
            count = rollups.rebuild(partnerships)
        self.stdout.write(f"OK: {count} indicators assessed")
