"""Time the results spreadsheet import (XLSX) on the data `data.py` made; print one JSON line.

    .venv/bin/python benchmarks/results/importing.py --rows 50000 [--slot 0]

First a child process (not timed, its memory not counted) makes what a field team's upload
needs: a partnership of its own (`--slot` numbers it) with one reporting partner, `bench`
a coordinator, dimensions sex (2), age group (4) and six provinces (exhaustive), and
enough quarterly count indicators under one output for `--rows` template rows (13 per
indicator: the total and one per category); then it downloads the template for 2026-Q3
with `spreadsheet.build_template` (timed apart: "template") and fills the value column
(totals, and breakdowns that add up to them) with openpyxl, keeping the template's
header and hidden `meta` sheet, as a spreadsheet program would save it.

Then, in this process, as the upload page and the API do it, as `bench`:
`spreadsheet.import_values(..., commit=False)` (the preview: every cell checked) and
`commit=True, submit=True` (checked again and written, all or nothing). Reported: wall
and CPU seconds of each step, the resident set size before and its peak (ru_maxrss)
after each step, and how long the commit spent reading the file before it took the
ledger's lock (`read_before_lock_s`; the rest of its wall time holds the lock).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from matching.measure import rss_mib  # noqa: E402

PERIOD = "2026-Q3"
PROVINCES = ["ID-JB", "ID-JT", "ID-JI", "ID-NT", "ID-NB", "ID-PA"]
ROWS_PER_INDICATOR = 1 + 2 + 4 + len(PROVINCES)


def data_dir() -> Path:
    return Path(os.environ["SINERGI_DATA_DIR"])


def setup(slot: int, rows: int) -> tuple[str, int]:
    """The partnership and partner for the upload; returns (slug, organisation id)."""
    from django.db import transaction

    from sinergi.partners.models import Organisation, Person
    from sinergi.partnerships.models import Membership, Participation, Partnership
    from sinergi.results import services
    from sinergi.results.models import Dimension, Indicator, Result

    bench = Person.objects.get(username="bench")
    organisation = Organisation.objects.order_by("pk")[slot + 1]
    slug = f"results-import-{slot}-{rows}-{int(time.time())}"
    with transaction.atomic():
        partnership = Partnership.objects.create(
            title=f"Results import {slot} ({rows:,} rows)",
            slug=slug,
            start_date=date(2023, 1, 1),
            end_date=date(2027, 12, 31),
            created_by=bench,
        )
        Participation.objects.create(partnership=partnership, organisation=organisation, role="1")
        Membership.objects.create(partnership=partnership, person=bench, role="coordinator")
        dims = [
            Dimension.objects.create(
                partnership=partnership, code="sex", name="Sex", kind="sex", position=0,
                categories=[{"code": "female", "label": "Female"},
                            {"code": "male", "label": "Male"}],
            ),
            Dimension.objects.create(
                partnership=partnership, code="age", name="Age group", kind="age", position=1,
                categories=[{"code": c, "label": c} for c in ("0-4", "5-14", "15-24", "25+")],
            ),
            Dimension.objects.create(
                partnership=partnership, code="province", name="Province", kind="subdivision",
                position=2, categories=[{"code": c, "label": c} for c in PROVINCES],
            ),
        ]  # fmt: skip
        result = Result.objects.create(partnership=partnership, type="1", title="Output 1")
        count = -(-rows // ROWS_PER_INDICATOR)
        indicators = Indicator.objects.bulk_create(
            [
                Indicator(
                    partnership=partnership, result=result, code=f"1.{n + 1}",
                    title=f"People reached {n + 1}", measure="1", unit="people",
                    accumulation="cumulative", frequency="quarterly",
                    responsible=organisation, position=n,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )  # fmt: skip
        through = Indicator.dimensions.through
        through.objects.bulk_create(
            [through(indicator_id=i.pk, dimension_id=d.pk) for i in indicators for d in dims],
            batch_size=2000,
        )
        services.find_period(partnership, "quarterly", PERIOD)
    return slug, organisation.pk


def make(path: Path, slot: int, rows: int, seed: int) -> dict:
    from django.utils import translation
    from openpyxl import Workbook, load_workbook

    from sinergi.partners.models import Organisation, Person
    from sinergi.partnerships.models import Partnership
    from sinergi.results import spreadsheet
    from sinergi.results.models import Period

    slug, org = setup(slot, rows)
    bench = Person.objects.get(username="bench")
    partnership = Partnership.objects.get(slug=slug)
    period = Period.objects.get(partnership=partnership, frequency="quarterly", start__month=7)
    began = time.perf_counter()
    with translation.override("en"):
        body = spreadsheet.build_template(
            actor=bench,
            partnership=partnership,
            period=period,
            organisation=Organisation.objects.get(pk=org),
        )
    template_s = time.perf_counter() - began

    rng = random.Random(f"{seed}-{slot}-{rows}")
    source = load_workbook(io.BytesIO(body), read_only=True)
    sheets = source.sheetnames
    book = Workbook(write_only=True)
    out = book.create_sheet(sheets[0])
    parts: dict[str, int] = {}
    written = 0
    for number, row in enumerate(source[sheets[0]].iter_rows(values_only=True)):
        row = [*row, *[None] * (len(spreadsheet.COLUMNS) - len(row))]
        if number > 0:
            category = row[spreadsheet.CATEGORY]
            if not category:  # the total: draw it and its breakdowns
                total = rng.randint(100, 5000)
                row[spreadsheet.VALUE] = total
                row[spreadsheet.NARRATIVE] = "Sessions held in every district planned."
                parts = {}
                for prefix, keys in (
                    ("sex", ["female", "male"]),
                    ("age", ["0-4", "5-14", "15-24", "25+"]),
                    ("province", PROVINCES),
                ):
                    left = total
                    for key in keys[:-1]:
                        share = rng.randint(0, left // 2)
                        parts[f"{prefix}:{key}"] = share
                        left -= share
                    parts[f"{prefix}:{keys[-1]}"] = left
            else:
                row[spreadsheet.VALUE] = parts[category]
            written += 1
        out.append(row)
    meta = book.create_sheet(spreadsheet.META_SHEET)
    meta.sheet_state = "hidden"
    for row in source[spreadsheet.META_SHEET].iter_rows(values_only=True):
        meta.append(list(row))
    book.save(path)
    return {"slug": slug, "rows": written, "template_s": round(template_s, 1)}


def peak_rss_mib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(step) -> tuple[object, dict]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = step()
    return value, {
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "peak_rss_mib": peak_rss_mib(),
    }


def measure(path: Path, slug: str) -> dict:
    from sinergi.partners.models import Person
    from sinergi.partnerships.models import Partnership
    from sinergi.results import spreadsheet

    bench = Person.objects.get(username="bench")
    partnership = Partnership.objects.get(slug=slug)
    before = round(rss_mib(), 1)
    # How long each import spends reading the file, before it takes the ledger's lock.
    reads: list[float] = []
    read = spreadsheet._read

    def timed_read(*args, **kwargs):
        started = time.perf_counter()
        try:
            return read(*args, **kwargs)
        finally:
            reads.append(time.perf_counter() - started)

    spreadsheet._read = timed_read

    def run(commit: bool):
        with path.open("rb") as upload:
            return spreadsheet.import_values(
                actor=bench, partnership=partnership, fileobj=upload, filename=path.name,
                commit=commit, submit=commit,
            )  # fmt: skip

    preview, previewed = timed(lambda: run(False))
    result, committed = timed(lambda: run(True))
    found = {
        "via": "spreadsheet.import_values (preview, then commit with submit)",
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "rows": result.rows,
        "indicators": result.indicators,
        "written": result.written,
        "rss_before_mib": before,
        "preview": previewed,
        **committed,
        "read_before_lock_s": round(reads[-1], 1),
    }
    if result.error_count or preview.error_count or not result.written:
        found["error"] = f"{result.error_count} errors, {result.written} written: " + "; ".join(
            e.message for e in result.errors[:3]
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--make", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    if args.make:
        print(json.dumps(make(Path(args.make), args.slot, args.rows, args.seed)))
        return
    path = data_dir() / f"results-import-{args.slot}-{args.rows}.xlsx"
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--make", str(path), "--rows", str(args.rows),
         "--slot", str(args.slot), "--seed", str(args.seed)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    made = json.loads(done.stdout.strip().splitlines()[-1])
    made["file_written_s"] = round(time.perf_counter() - began, 1)
    found = measure(path, made["slug"])
    found["made"] = made
    path.unlink()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
