"""In-process results measures on the data `data.py` made; prints one JSON line.

    .venv/bin/python benchmarks/results/measure.py [--repeat 5] [--approvals 200]
        [--no-duckdb] [--duckdb-threads 2]

Uses the database the Django settings point at and SINERGI_DATA_DIR/dataset.json, as the
user `bench` (staff, so it sees every partnership, and a coordinator of each).

1. Side by side with DuckDB (`duck.py`; the export into DuckDB's own file is not timed):
   the dashboard figures of the largest partnership, a median one and 20 drawn at
   random — Sinergi's `queries.dashboard()` (which reads the `IndicatorStatus` and
   `SdgProgress` roll-ups) against DuckDB's SQL computing every indicator's value and
   target to date, percents and status from the raw values and targets — and the
   portfolio roll-up by SDG target over all partnerships: `queries.portfolio(bench)`
   against DuckDB over all raw values. Each is run `--repeat` times after one warm-up
   call, alternating, and the figures must agree (statuses and counts exactly, percents
   within 0.01 points, sums within rounding).
2. Approval of one value: for `--approvals` indicators drawn at random (scored ones), a
   coordinator enters and submits a value for the period after the last approved one
   (`services.save_draft`, `services.submit`, with a breakdown that adds up), then `bench`
   approves it with `services.approve` — ledger entry, indicator status and the
   partnership's SDG rows in one transaction — timed alone; each approval must show in
   the indicator's status right after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ledger.common import percentile  # noqa: E402


def data_dir() -> Path:
    return Path(os.environ["SINERGI_DATA_DIR"])


def summary(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def close(a, b, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tolerance


def compare_dashboard(sinergi, duck_rows) -> tuple[int, int, list[str]]:
    """(indicators compared, mismatches, examples)."""
    mine = {row.indicator.pk: row.status for row in sinergi.indicators}
    bad, examples = 0, []
    for ind, _pid, latest, actual, target, final, percent, to_date, approved, prog in duck_rows:
        s = mine.get(ind)
        checks = {
            "progress": s is not None and s.progress == prog,
            "period": s is not None and (s.period_id or None) == latest,
            "actual": s is not None and close(s.actual, actual, 1e-4),
            "target": s is not None and close(s.target, target, 1e-3),
            "final_target": s is not None and close(s.final_target, final, 1e-4),
            "percent": s is not None and close(s.percent, percent, 0.011),
            "percent_to_date": s is not None and close(s.percent_to_date, to_date, 0.011),
            "approved": s is not None and s.approved == approved,
        }  # fmt: skip
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            bad += 1
            if len(examples) < 3:
                examples.append(
                    f"indicator {ind}: {wrong} "
                    f"sinergi={s and (s.progress, s.actual, s.target, s.percent_to_date)} "
                    f"duckdb={(prog, actual, target, to_date)}"
                )
    if len(mine) != len(duck_rows):
        bad += abs(len(mine) - len(duck_rows))
        examples.append(f"{len(mine)} indicators in Sinergi, {len(duck_rows)} in DuckDB")
    return len(duck_rows), bad, examples


def compare_portfolio(mine_rows, duck_rows) -> tuple[int, int, list[str]]:
    mine = {r.code: r for r in mine_rows}
    bad, examples = 0, []
    for code, parts, inds, on, risk, off, nodata, unscored, scored, psum in duck_rows:
        r = mine.get(code)
        ok = r is not None and (
            (
                r.partnerships,
                r.indicators,
                r.on_track,
                r.at_risk,
                r.off_track,
                r.no_data,
                r.not_scored,
                r.scored,
            )
            == (parts, inds, on, risk, off, nodata, unscored, scored)
            and close(r.percent_sum, psum, 0.005 * max(1, scored))
        )
        if not ok:
            bad += 1
            if len(examples) < 3:
                theirs = (parts, inds, on, risk, off, nodata, unscored, scored, round(psum, 2))
                ours = r and (r.partnerships, r.indicators, r.on_track, r.at_risk, r.off_track,
                              r.no_data, r.not_scored, r.scored, r.percent_sum)  # fmt: skip
                examples.append(f"{code}: sinergi={ours} duckdb={theirs}")
    if len(mine) != len(duck_rows):
        bad += abs(len(mine) - len(duck_rows))
        examples.append(f"{len(mine)} SDG targets in Sinergi, {len(duck_rows)} in DuckDB")
    return len(duck_rows), bad, examples


def side_by_side(dataset: dict, repeat: int, threads: int, bench) -> dict:
    from django.db import reset_queries
    from duck import Duck, export

    from sinergi.access import policy
    from sinergi.partnerships.models import Partnership
    from sinergi.results import queries

    rng = random.Random(dataset["seed"])
    exported = export(data_dir() / "results.duckdb", data_dir())
    duck = Duck(data_dir() / "results.duckdb", threads)
    slugs = dataset["slugs"]
    sizes = dict(Partnership.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    median = dataset.get("median_slug") or slugs[len(slugs) // 2]
    chosen = [("largest", dataset["largest_slug"]), ("median", median)]
    chosen += [("random", s) for s in rng.sample(slugs, min(20, len(slugs)))]

    def ours(slug: str):
        partnership = policy.get_partnership_for(bench, slug)
        return queries.dashboard(partnership, bench)

    found: dict = {"export": exported, "duckdb": duck.version, "threads": threads}
    groups: dict[str, dict[str, list[float]]] = {}
    checked = mismatched = 0
    examples: list[str] = []
    for label, slug in chosen:
        pid = sizes[slug]
        ours(slug)
        duck.dashboard(pid)  # warm-up, both
        times = groups.setdefault(label, {"sinergi": [], "duckdb": []})
        for _ in range(repeat if label != "random" else max(1, repeat // 2)):
            began = time.perf_counter()
            board = ours(slug)
            times["sinergi"].append(time.perf_counter() - began)
            rows, seconds = duck.dashboard(pid)
            times["duckdb"].append(seconds)
            reset_queries()
        n, bad, ex = compare_dashboard(board, rows)
        checked, mismatched = checked + n, mismatched + bad
        examples += ex[: max(0, 5 - len(examples))]
    found["dashboard"] = {
        label: {
            "sinergi": summary(t["sinergi"]),
            "duckdb": summary(t["duckdb"]),
            "ratio": round(statistics.median(t["duckdb"]) / statistics.median(t["sinergi"]), 2),
        }
        for label, t in groups.items()
    }
    found["dashboard_check"] = {"indicators": checked, "mismatches": mismatched,
                                "examples": examples}  # fmt: skip

    queries.portfolio(bench)
    duck.portfolio()
    mine_t, duck_t = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        result = queries.portfolio(bench)
        mine_t.append(time.perf_counter() - began)
        rows, seconds = duck.portfolio()
        duck_t.append(seconds)
    n, bad, ex = compare_portfolio(result.targets, rows[0])
    n_goals, bad_goals, ex_goals = compare_portfolio(result.goals, rows[1])
    goal_t = []
    for _ in range(repeat):
        began = time.perf_counter()
        queries.portfolio(bench, goal="3")
        goal_t.append(time.perf_counter() - began)
    found["portfolio"] = {
        "sinergi": summary(mine_t),
        "duckdb": summary(duck_t),
        "ratio": round(statistics.median(duck_t) / statistics.median(mine_t), 2),
        "sinergi_goal_3": summary(goal_t),
        "targets": n,
        "goals": n_goals,
        "mismatches": bad + bad_goals,
        "examples": ex + ex_goals,
        "indicators_rolled_up": sum(r.indicators for r in result.targets),
    }
    return found


def breakdown(indicator, total: Decimal, rng: random.Random) -> dict[str, str]:
    from sinergi.results import services
    from sinergi.results.models import Measure

    values: dict[str, str] = {}
    by_dimension: dict[int, list[str]] = {}
    known = services.categories_of(indicator)
    for key, (dimension, _label) in known.items():
        by_dimension.setdefault(dimension.pk, []).append(key)
    for keys in by_dimension.values():
        dimension = known[keys[0]][0]
        if indicator.measure == Measure.PERCENTAGE:
            for key in keys:
                values[key] = str(min(Decimal(100), total))
        elif dimension.exhaustive:
            left = int(total)
            for key in keys[:-1]:
                part = rng.randint(0, left)
                values[key] = str(part)
                left -= part
            values[keys[-1]] = str(left)
        else:
            values[keys[0]] = str(int(total) // 10)
    return values


def approvals(dataset: dict, count: int, bench) -> dict:
    from sinergi.partners.models import Person
    from sinergi.results import services
    from sinergi.results.models import Indicator, IndicatorStatus, Measure, Submission

    rng = random.Random(f"{dataset['seed']}-approve")
    ids = list(
        Indicator.objects.exclude(measure=Measure.QUALITATIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(ids, min(count, len(ids)))
    labels = {"monthly": "2026-10", "quarterly": "2026-Q4", "yearly": "2026"}
    people = {}
    times, whole, failures = [], [], []
    for pk in chosen:
        indicator = Indicator.objects.select_related("partnership").get(pk=pk)
        partnership = indicator.partnership
        coordinator = people.get(partnership.created_by_id)
        if coordinator is None:
            coordinator = people[partnership.created_by_id] = Person.objects.get(
                pk=partnership.created_by_id
            )
        before = IndicatorStatus.objects.get(pk=pk).approved
        period = services.find_period(partnership, indicator.frequency, labels[indicator.frequency])
        if indicator.measure == Measure.PERCENTAGE:
            total = Decimal(rng.randint(30, 95))
        else:
            total = Decimal(rng.randint(50, 5000))
        started = time.perf_counter()
        draft = services.save_draft(
            actor=coordinator, indicator=indicator, period=period, value=str(total),
            narrative="Reported after the field visits.",
            values=breakdown(indicator, total, rng),
        )  # fmt: skip
        services.submit(actor=coordinator, submission=draft)
        submission = Submission.objects.get(pk=draft.pk)
        began = time.perf_counter()
        services.approve(actor=bench, submission=submission, comment="")
        ended = time.perf_counter()
        times.append(ended - began)
        whole.append(ended - started)
        if IndicatorStatus.objects.get(pk=pk).approved != before + 1:
            failures.append(pk)
    return {
        "approve": summary(times),
        "draft_submit_approve": summary(whole),
        "not_reflected": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--approvals", type=int, default=200)
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--duckdb-threads", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    from sinergi.partners.models import Person

    dataset = json.loads((data_dir() / "dataset.json").read_text())
    bench = Person.objects.get(username="bench")
    found: dict = {}
    if not args.no_duckdb:
        found["side_by_side"] = side_by_side(dataset, args.repeat, args.duckdb_threads, bench)
    if args.approvals:
        found["approvals"] = approvals(dataset, args.approvals, bench)
    print(json.dumps(found, default=str))


if __name__ == "__main__":
    main()
