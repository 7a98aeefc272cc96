"""Time the spreadsheet import of transactions on the data `data.py` made; print one JSON line.

    .venv/bin/python benchmarks/finance/importing.py --format csv --rows 100000 [--slot 0]

Uses the database the Django settings point at and SINERGI_DATA_DIR/dataset.json. First a
child process writes the file (so its memory is not counted): `--rows` transactions for one
of the generated partnerships (`--slot` picks which, so each import goes to a partnership
no earlier import touched), in the importer's template columns — mostly expenditures by
the partners to named suppliers, with disbursements, incoming funds and commitments, in
IDR, USD and EUR, partners given by IATI identifier or name, most tagged to a budget
line by id; CSV as text, XLSX with numeric and date cells (openpyxl, write-only).

Then, in this process, as the web page and the API do it, as `bench` (a coordinator):
`importer.import_transactions(..., commit=False)` (the preview) and then `commit=True`
(validate again and write everything, ledger entries and totals included, in one database
transaction). Reported: wall and CPU seconds of each step (CPU is this process's, which for
SQLite includes the database engine), the resident set size before and its peak
(getrusage ru_maxrss) after each step, and with `--tracemalloc` Python's peak allocations.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from data import PURPOSES, SUPPLIERS, draw_amount  # noqa: E402
from matching.measure import rss_mib  # noqa: E402

TYPES = {"4": 70, "3": 15, "1": 10, "2": 5}
CURRENCIES = {"IDR": 75, "USD": 18, "EUR": 7}


def data_dir() -> Path:
    return Path(os.environ["SINERGI_DATA_DIR"])


def target_slug(slot: int) -> str:
    """A partnership of about the median size, a different one per slot."""
    dataset = json.loads((data_dir() / "dataset.json").read_text())
    slugs = dataset["slugs"]
    return slugs[(len(slugs) // 2 + 7 * slot) % len(slugs)]


def make_rows(slug: str, count: int, seed: int):
    """The header and `count` valid rows for partnership `slug`, as Python values."""
    from sinergi.core.dates import latest_past_date
    from sinergi.finance import importer
    from sinergi.finance.models import BudgetLine, ExchangeRate
    from sinergi.partnerships.models import Partnership

    rng = random.Random(f"{seed}-{slug}-{count}")
    partnership = Partnership.objects.get(slug=slug)
    base = partnership.base_currency
    partners = [
        o.iati_identifier or o.name
        for o in (
            p.organisation
            for p in partnership.participations.select_related("organisation").order_by("role")
        )
    ]
    lines = list(
        BudgetLine.objects.filter(partnership=partnership).values_list(
            "pk", "period_start", "period_end"
        )
    )
    first_rate = min(
        ExchangeRate.objects.filter(partnership=partnership).values_list("date", flat=True)
    )
    start = max(first_rate, min(line[1] for line in lines))
    # No value date after today: the services refuse one (the IATI Standard's rule).
    end = min(max(line[2] for line in lines), latest_past_date())
    span = (end - start).days
    yield list(importer.COLUMNS)
    for _ in range(count):
        tx_type = rng.choices(list(TYPES), weights=list(TYPES.values()))[0]
        currency = rng.choices(list(CURRENCIES), weights=list(CURRENCIES.values()))[0]
        value_date = start + timedelta(days=rng.randrange(span + 1))
        median = {"4": 6_500_000, "3": 120_000_000, "1": 450_000_000, "2": 300_000_000}[tx_type]
        amount = draw_amount(rng, currency, median, 1.0)
        lead, partner = partners[0], rng.choice(partners[1:])
        provider, receiver = partner, lead
        if tx_type in ("3", "2"):
            provider, receiver = lead, partner
        elif tx_type == "4":
            receiver = f"{rng.choice(SUPPLIERS)} {rng.randint(1, 400):03d}"
        fitting = [pk for pk, begins, ends in lines if begins <= value_date <= ends]
        line = rng.choice(fitting) if tx_type != "1" and fitting and rng.random() < 0.9 else ""
        row = {
            "type": tx_type,
            "value_date": value_date,
            "amount": amount,
            "currency": currency if currency != base or rng.random() < 0.5 else "",
            "provider": provider,
            "provider_activity_id": "",
            "receiver": receiver,
            "receiver_activity_id": "",
            "description": rng.choice(PURPOSES),
            "budget_line": line,
            "pledge": "",
            "kind": "cash",
        }
        yield [row[name] for name in importer.COLUMNS]


def write_file(path: Path, slug: str, count: int, seed: int) -> None:
    rows = make_rows(slug, count, seed)
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            for row in rows:
                writer.writerow([v.isoformat() if hasattr(v, "isoformat") else v for v in row])
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Transactions")
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    book.save(path)


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(step, trace: bool) -> tuple[object, dict]:
    if trace:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    value = step()
    found = {
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "peak_rss_mib": peak_rss_mib(),
    }
    if trace:
        found["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    return value, found


def measure(path: Path, slug: str, trace: bool) -> dict:
    from sinergi.finance import importer
    from sinergi.partners.models import Person
    from sinergi.partnerships.models import Partnership

    actor = Person.objects.get(username="bench")
    partnership = Partnership.objects.get(slug=slug)
    before = round(rss_mib(), 1)

    def run(commit: bool):
        with path.open("rb") as upload:
            return importer.import_transactions(actor, partnership, upload, path.name, commit)

    preview, previewed = timed(lambda: run(False), trace)
    result, committed = timed(lambda: run(True), trace)
    found = {
        "via": "importer.import_transactions (preview, then commit)",
        "partnership": slug,
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "rows": result.rows,
        "imported": result.imported,
        "pending": result.pending,
        "rss_before_mib": before,
        "preview": previewed,
        **committed,
    }
    if result.error_count or preview.error_count or result.imported != result.rows:
        found["error"] = (
            f"{result.error_count} row errors, {result.imported} of {result.rows} imported: "
            + "; ".join(f"row {e.row} {e.column}: {e.message}" for e in result.errors[:3])
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--slot", type=int, default=0, help="which generated partnership")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    parser.add_argument("--make", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    slug = target_slug(args.slot)
    if args.make:
        write_file(Path(args.make), slug, args.rows, args.seed)
        return
    path = data_dir() / f"import-{args.slot}-{args.rows}.{args.format}"
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--make", str(path), "--rows", str(args.rows),
         "--slot", str(args.slot), "--seed", str(args.seed)],
        check=True,
    )  # fmt: skip
    made = round(time.perf_counter() - began, 1)
    found = measure(path, slug, args.tracemalloc)
    found["file_written_s"] = made
    path.unlink()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
