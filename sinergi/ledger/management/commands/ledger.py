"""`sinergi ledger …`: verify, export and check the transparency ledger; run a witness."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sinergi.ledger.offline import STATE_HELP, WITNESS_HELP, Report


def _first_bad(report: Report) -> str:
    if report.first_bad_index is None:
        return "no entry is at fault: see the failures above"
    return f"first bad index: {report.first_bad_index}"


class Command(BaseCommand):
    help = (
        "Transparency ledger tools: verify, export, verify-bundle, verify-remote, checkpoint, "
        "witness."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute every hash and check every checkpoint")
        export = sub.add_parser("export", help="write an offline audit bundle")
        export.add_argument("file")
        export.add_argument(
            "--public",
            action="store_true",
            help="give the entries the public may not read as their leaf hash only",
        )
        bundle = sub.add_parser("verify-bundle", help="verify a bundle with no database")
        bundle.add_argument("file")
        bundle.add_argument("--vkey", help="the log verifier key you trust")
        bundle.add_argument("--witness", action="append", default=[], help=WITNESS_HELP)
        remote = sub.add_parser(
            "verify-remote",
            help="verify another site's log in full over HTTP (as sinergi-ledger.pyz log)",
        )
        remote.add_argument("url", help="the Sinergi site, e.g. https://sinergi.example.org")
        remote.add_argument("--vkey", help="the log verifier key you trust (else the server's)")
        remote.add_argument("--witness", action="append", default=[], help=WITNESS_HELP)
        remote.add_argument("--token", help="your API token there, to read the bodies you may see")
        remote.add_argument("--state", help=STATE_HELP)
        sub.add_parser("checkpoint", help="sign a checkpoint of the current log now")
        sub.add_parser("vkey", help="print the log's verifier key")
        add = sub.add_parser("add-witness", help="register a partner's witness key")
        add.add_argument("vkey", help="the witness's name+keyid+base64 verifier key")
        add.add_argument("--organisation", help="slug of the witness's organisation")
        add.add_argument(
            "--replace", action="store_true", help="give a registered witness name a new key"
        )
        witness = sub.add_parser("witness", help="run a witness once against a Sinergi log")
        witness.add_argument("--url", required=True, help="the Sinergi server, e.g. http://…")
        witness.add_argument("--key", required=True, help="witness key file (created if new)")
        witness.add_argument("--state", required=True, help="directory for the witness state")
        witness.add_argument(
            "--name",
            help="witness name for a new key, e.g. witness.your-organisation.example/sinergi",
        )
        witness.add_argument("--log-vkey", help="pin the log's verifier key")

    def handle(self, *args: object, **options: object) -> None:
        from sinergi.ledger.log import LedgerError

        action = options["action"]
        try:
            getattr(self, "do_" + str(action).replace("-", "_"))(options)
        except LedgerError as exc:  # an unusable signing key, an empty log, a refusal
            raise CommandError(str(exc)) from exc

    def do_verify(self, options: dict) -> None:
        from sinergi.ledger.audit import verify_log

        report = verify_log()
        for problem in report.problems:
            self.stderr.write(f"FAIL: {problem}")
        if not report.ok:
            raise CommandError(f"the ledger does not verify; {_first_bad(report)}")
        self.stdout.write(
            f"OK: {report.size} entries, {report.checkpoints} checkpoints, "
            f"{report.cosignatures} cosignatures verified"
        )

    def do_export(self, options: dict) -> None:
        from sinergi.ledger.audit import export_bundle

        # Written beside the file and renamed into place once complete: a failure (a full
        # disk, an unusable key) leaves no truncated bundle behind.
        target = Path(options["file"])
        partial = target.with_name(f".{target.name}.partial")
        try:
            with open(partial, "w", encoding="utf-8") as handle:
                size, withheld, unsalted = export_bundle(handle, public=bool(options.get("public")))
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {target}: {exc}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        held = f" ({withheld} withheld: leaf hash only)" if options.get("public") else ""
        self.stdout.write(f"wrote {size} entries{held} to {options['file']}")
        if unsalted:
            self.stderr.write(
                f"warning: {unsalted} of the withheld entries were recorded before entries "
                "were salted; their leaf hashes can confirm a guess of what they say"
            )

    def do_verify_bundle(self, options: dict) -> None:
        from sinergi.ledger.offline import load_bundle, ok_text, verify_bundle

        try:
            bundle = load_bundle(options["file"])
        except (OSError, ValueError, RecursionError, MemoryError) as exc:
            message = f"cannot read {options['file']} as a bundle: {exc!r}"[:500]
            raise CommandError(message) from exc
        report = verify_bundle(bundle, options.get("vkey"), options["witness"])
        for problem in report.problems:
            self.stderr.write(f"FAIL: {problem}")
        if not report.ok:
            raise CommandError(f"the bundle does not verify; {_first_bad(report)}")
        self.stdout.write(ok_text(report))

    def do_verify_remote(self, options: dict) -> None:
        from sinergi.ledger.offline import LogMemory, memory_text, remote_ok_text, verify_remote
        from sinergi.ledger.witness import printable

        state = options.get("state")
        try:
            memory = LogMemory.load(state) if state else None
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        report = verify_remote(
            options["url"],
            options.get("vkey") or (memory.vkey if memory else None),
            options["witness"],
            options.get("token"),
            memory.checkpoints if memory else (),
        )
        for problem in report.problems:
            self.stderr.write(printable(f"FAIL: {problem}", 1000))
        if not report.ok:
            raise CommandError(f"the log does not verify; {_first_bad(report)}")
        remembered = ""
        if memory is not None and state:
            try:
                memory.keep(state, report)
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            remembered = memory_text(memory, state)
        self.stdout.write(printable(remote_ok_text(report) + remembered))

    def do_checkpoint(self, options: dict) -> None:
        from sinergi.ledger.checkpoints import issue_checkpoint
        from sinergi.ledger.log import LedgerError

        try:
            checkpoint = issue_checkpoint()
        except LedgerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(checkpoint.note)

    def do_vkey(self, options: dict) -> None:
        from sinergi.ledger.checkpoints import verifier_key

        self.stdout.write(verifier_key())

    def do_add_witness(self, options: dict) -> None:
        from sinergi.ledger import notes
        from sinergi.ledger.models import Witness
        from sinergi.partners.models import Organisation

        try:
            verifier = notes.parse_vkey(options["vkey"])
        except notes.NoteError as exc:
            raise CommandError(str(exc)) from exc
        if verifier.alg != notes.ALG_COSIGNATURE_V1:
            raise CommandError("a witness key must have type 0x04 (cosignature/v1)")
        organisation = None
        if options.get("organisation"):
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError("no organisation has that slug")
        vkey = options["vkey"].strip()
        existing = Witness.objects.filter(name=verifier.name).first()
        if existing is not None and existing.vkey != vkey and not options["replace"]:
            owner = f" ({existing.organisation})" if existing.organisation else ""
            raise CommandError(
                f"a witness named {verifier.name}{owner} is already registered with another "
                "key. Witness names must be unique: ask the partner to create a key with "
                "its own --name, or pass --replace if this is the same witness's new key."
            )
        Witness.objects.update_or_create(
            name=verifier.name, defaults={"vkey": vkey, "organisation": organisation}
        )
        self.stdout.write(f"registered witness {verifier.name}")

    def do_witness(self, options: dict) -> None:
        from sinergi.ledger.witness import run_command

        status, message = run_command(
            options["url"],
            Path(options["key"]),
            Path(options["state"]),
            options.get("name"),
            options.get("log_vkey"),
        )
        if status == 2:
            self.stderr.write(message)
            sys.exit(2)
        if status:
            raise CommandError(message)
        self.stdout.write(message)
