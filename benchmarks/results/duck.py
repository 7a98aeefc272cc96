"""DuckDB computing Sinergi's progress figures straight from the raw rows.

DuckDB is a benchmark-only tool (`.venv/bin/pip install duckdb`), never a dependency of
Sinergi. Its sqlite and postgres extensions are downloaded at run time, which this
machine cannot do, so `export()` copies the columns the figures need from the Django
database into a DuckDB database file once, through CSV (not timed), and DuckDB then works
on its own native storage:

- `ind`: indicators (id, partnership, measure, direction, cumulative or level, baseline
  and its date);
- `per`: reporting periods (id, start, end);
- `tgt`: total targets (category "") per indicator and period;
- `sub`: every submission (indicator, period, status, in force or not, value): the raw
  values, filtered by DuckDB (approved and in force, with a number);
- `ind_sdg`: which SDG targets each indicator counts towards (the framework's links:
  its SDG indicator's target, its result's and every parent result's targets and
  goals), derived once with `rollups.sdg_targets_of`. These are framework rows, not
  values: Sinergi derives them the same way when it writes its roll-ups.

`FIGURES` is the progress rule of `sinergi/results/progress.py` in SQL: value to date
(latest for level indicators, sum for cumulative ones), target to date (the target curve
through the baseline and each period's target to date, linear between points, at the end
of the latest reported period), percent of target to date and of the final target,
status by the 90 / 60 thresholds. `dashboard(pid)` runs it for one partnership's
indicators, `portfolio()` for all of them and adds them up per SDG target and per SDG
goal (each indicator once per goal).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

EXPORTS = {
    "ind": (
        "SELECT id, partnership_id, measure, ascending, accumulation = 'cumulative', "
        "baseline_value, baseline_date FROM results_indicator",
        "id BIGINT, partnership_id BIGINT, measure VARCHAR, ascending BOOLEAN, "
        "cumulative BOOLEAN, baseline DECIMAL(20,4), baseline_date DATE",
    ),
    "per": (
        'SELECT id, start, "end" FROM results_period',
        'id BIGINT, start DATE, "end" DATE',
    ),
    "tgt": (
        "SELECT indicator_id, period_id, value FROM results_target WHERE category = ''",
        "indicator_id BIGINT, period_id BIGINT, value DECIMAL(20,4)",
    ),
    "sub": (
        "SELECT indicator_id, period_id, status, is_current, value FROM results_submission",
        "indicator_id BIGINT, period_id BIGINT, status VARCHAR, is_current BOOLEAN, "
        "value DECIMAL(20,4)",
    ),
}

FIGURES = """
WITH cur AS (
    SELECT indicator_id AS ind, period_id AS pid, value AS actual FROM sub
    WHERE is_current AND status = 'approved' AND value IS NOT NULL {sub_filter}
), t AS (
    SELECT indicator_id AS ind, period_id AS pid, value AS target FROM tgt {tgt_filter}
), f AS (
    SELECT coalesce(t.ind, cur.ind) AS ind, coalesce(t.pid, cur.pid) AS pid,
           CAST(t.target AS DOUBLE) AS target, CAST(cur.actual AS DOUBLE) AS actual
    FROM t FULL JOIN cur ON t.ind = cur.ind AND t.pid = cur.pid
), w AS (
    SELECT f.*, per.start, per."end", i.cumulative,
           sum(f.target) OVER run AS tsum, sum(f.actual) OVER run AS asum,
           min(per.start) OVER (PARTITION BY f.ind) AS first_start
    FROM f JOIN per ON per.id = f.pid JOIN ind i ON i.id = f.ind
    WINDOW run AS (PARTITION BY f.ind ORDER BY per.start ROWS UNBOUNDED PRECEDING)
), agg AS (
    SELECT ind,
           count(actual) AS approved,
           count(target) AS targets,
           max(start) FILTER (WHERE actual IS NOT NULL) AS latest_start,
           arg_max("end", start) FILTER (WHERE actual IS NOT NULL) AS latest_end,
           arg_max(pid, start) FILTER (WHERE actual IS NOT NULL) AS latest_pid,
           arg_max(CASE WHEN cumulative THEN asum ELSE actual END, start)
               FILTER (WHERE actual IS NOT NULL) AS actual,
           CASE WHEN any_value(cumulative) THEN sum(target)
                ELSE arg_max(target, start) FILTER (WHERE target IS NOT NULL) END
               AS final_target,
           any_value(first_start) AS first_start
    FROM w GROUP BY ind
), pts AS (
    SELECT ind, "end" AS d, CASE WHEN cumulative THEN tsum ELSE target END AS v
    FROM w WHERE target IS NOT NULL
    UNION ALL
    SELECT a.ind, a.first_start, 0.0 FROM agg a JOIN ind i ON i.id = a.ind WHERE i.cumulative
    UNION ALL
    SELECT a.ind, i.baseline_date, CAST(i.baseline AS DOUBLE) FROM agg a JOIN ind i ON i.id = a.ind
    WHERE NOT i.cumulative AND i.baseline IS NOT NULL AND i.baseline_date IS NOT NULL
), curve AS (
    SELECT a.ind,
           max(p.d) FILTER (WHERE p.d <= a.latest_end) AS d0,
           arg_max(p.v, p.d) FILTER (WHERE p.d <= a.latest_end) AS v0,
           min(p.d) FILTER (WHERE p.d > a.latest_end) AS d1,
           arg_min(p.v, p.d) FILTER (WHERE p.d > a.latest_end) AS v1
    FROM agg a JOIN pts p ON p.ind = a.ind
    WHERE a.latest_end IS NOT NULL AND a.targets > 0
    GROUP BY a.ind
), judged AS (
    SELECT i.id AS ind, i.partnership_id, i.measure, i.ascending,
           coalesce(a.approved, 0) AS approved,
           a.latest_pid, a.actual, a.final_target,
           CASE WHEN c.d0 IS NULL THEN c.v1 WHEN c.d1 IS NULL THEN c.v0
                ELSE c.v0 + (c.v1 - c.v0) * date_diff('day', c.d0, a.latest_end)
                     / date_diff('day', c.d0, c.d1) END AS target,
           CASE WHEN i.cumulative OR (i.baseline IS NULL AND i.ascending) THEN 0.0
                ELSE CAST(i.baseline AS DOUBLE) END AS s
    FROM ind i LEFT JOIN agg a ON a.ind = i.id LEFT JOIN curve c ON c.ind = i.id
    {ind_filter}
), scored AS (
    SELECT *,
           {percent_to_date} AS percent_to_date,
           {percent_final} AS percent
    FROM judged
)
SELECT ind, partnership_id, latest_pid, actual, target, final_target, percent,
       percent_to_date, approved,
       CASE WHEN measure = '5' THEN 'not_scored'
            WHEN percent_to_date IS NULL THEN 'no_data'
            WHEN percent_to_date >= 90 THEN 'on_track'
            WHEN percent_to_date >= 60 THEN 'at_risk'
            ELSE 'off_track' END AS progress
FROM scored
"""


def percent_sql(t: str) -> str:
    """progress.percent_of in SQL for value `actual`, start `s` (NULL: none) and target
    `t`, kept within ±PERCENT_LIMIT as `rollups` stores it."""
    return f"""CASE WHEN actual IS NULL OR {t} IS NULL OR measure = '5' THEN NULL
        ELSE least(greatest(CASE
        WHEN s IS NOT NULL AND {t} <> s AND ({t} > s) = ascending
            THEN round(100 * (actual - s) / ({t} - s), 2)
        WHEN (ascending AND actual >= {t}) OR (NOT ascending AND actual <= {t}) THEN 100
        WHEN ascending AND {t} > 0 THEN round(100 * actual / {t}, 2)
        WHEN NOT ascending AND actual > 0 AND {t} > 0 THEN round(100 * {t} / actual, 2)
        ELSE 0 END, -{PERCENT_LIMIT}), {PERCENT_LIMIT}) END"""


def figures_sql(partnership: int | None) -> str:
    if partnership is None:
        sub_filter = tgt_filter = ind_filter = ""
    else:
        ids = f"(SELECT id FROM ind WHERE partnership_id = {int(partnership)})"  # noqa: S608
        sub_filter = f"AND indicator_id IN {ids}"
        tgt_filter = f"WHERE indicator_id IN {ids}"
        ind_filter = f"WHERE i.partnership_id = {int(partnership)}"
    return FIGURES.format(
        sub_filter=sub_filter,
        tgt_filter=tgt_filter,
        ind_filter=ind_filter,
        percent_to_date=percent_sql("target"),
        percent_final=percent_sql("final_target"),
    )


PERCENT_LIMIT = "9999999999.99"

PORTFOLIO = """
WITH f0 AS ({figures})
SELECT s.target AS code, count(DISTINCT f.partnership_id) AS partnerships,
       count(*) AS indicators,
       count(*) FILTER (WHERE progress = 'on_track') AS on_track,
       count(*) FILTER (WHERE progress = 'at_risk') AS at_risk,
       count(*) FILTER (WHERE progress = 'off_track') AS off_track,
       count(*) FILTER (WHERE progress = 'no_data') AS no_data,
       count(*) FILTER (WHERE progress = 'not_scored') AS not_scored,
       count(*) FILTER (WHERE progress IN ('on_track', 'at_risk', 'off_track')) AS scored,
       coalesce(sum(least(greatest(percent_to_date, 0), 100))
           FILTER (WHERE progress IN ('on_track', 'at_risk', 'off_track')), 0) AS percent_sum
FROM f0 f JOIN {links} s ON s.indicator_id = f.ind
GROUP BY s.target ORDER BY s.target
"""
# Per SDG goal each indicator counts once, however many of the goal's targets it reaches.
GOAL_LINKS = "(SELECT DISTINCT indicator_id, split_part(target, '.', 1) AS target FROM ind_sdg)"


def export(path: Path, workdir: Path) -> dict:
    """Copy the needed columns into a DuckDB file at `path`; returns rows and seconds."""
    import duckdb
    from django.db import connection

    from sinergi.partnerships.models import Goal
    from sinergi.results.models import Indicator, Result
    from sinergi.results.rollups import sdg_targets_of

    began = time.perf_counter()
    path.unlink(missing_ok=True)
    db = duckdb.connect(str(path))
    rows: dict[str, int] = {}
    for name, (query, columns) in EXPORTS.items():
        file = workdir / f"duck-{name}.csv"
        count = 0
        with file.open("w", newline="") as out, connection.cursor() as cursor:
            writer = csv.writer(out)
            cursor.execute(query)
            while batch := cursor.fetchmany(50_000):
                writer.writerows(batch)
                count += len(batch)
        rows[name] = count
        db.execute(f"CREATE TABLE {name} ({columns})")
        db.execute(  # table names and columns are the constants above
            f"INSERT INTO {name} SELECT * FROM read_csv(?, header = false, "  # noqa: S608
            f"columns = {{{_columns_dict(columns)}}})",
            [str(file)],
        )
        file.unlink()
    results = {
        pk: (parent, goal, list(targets or ()))
        for pk, parent, goal, targets in Result.objects.order_by().values_list(
            "pk", "parent_id", "goal_id", "sdg_targets"
        )
    }
    goals = {
        pk: list(targets or ())
        for pk, targets in Goal.objects.order_by().values_list("pk", "sdg_targets")
    }
    links = [
        (pk, target)
        for pk, sdg_indicator, result_id in Indicator.objects.order_by().values_list(
            "pk", "sdg_indicator", "result_id"
        )
        for target in sorted(sdg_targets_of(sdg_indicator, result_id, results, goals))
    ]
    db.execute("CREATE TABLE ind_sdg (indicator_id BIGINT, target VARCHAR)")
    file = workdir / "duck-ind_sdg.csv"
    with file.open("w", newline="") as out:
        csv.writer(out).writerows(links)
    db.execute(
        "INSERT INTO ind_sdg SELECT * FROM read_csv(?, header = false, "
        "columns = {'indicator_id': 'BIGINT', 'target': 'VARCHAR'})",
        [str(file)],
    )
    file.unlink()
    rows["ind_sdg"] = len(links)
    db.execute("CHECKPOINT")
    db.close()
    return {"rows": rows, "seconds": round(time.perf_counter() - began, 1),
            "mib": round(path.stat().st_size / 2**20, 1)}  # fmt: skip


def _columns_dict(columns: str) -> str:
    pairs = []
    for part in columns.split(", "):
        name, kind = part.strip().split(" ", 1)
        pairs.append(f"'{name.strip(chr(34))}': '{kind}'")
    return ", ".join(pairs)


class Duck:
    """A connection to the exported file; each call returns (rows, seconds)."""

    def __init__(self, path: Path, threads: int = 2) -> None:
        import duckdb

        self.db = duckdb.connect(str(path))
        self.db.execute(f"SET threads = {int(threads)}")
        self.version = duckdb.__version__

    def dashboard(self, partnership: int) -> tuple[list[tuple], float]:
        began = time.perf_counter()
        rows = self.db.execute(figures_sql(partnership)).fetchall()
        return rows, time.perf_counter() - began

    def portfolio(self) -> tuple[tuple[list[tuple], list[tuple]], float]:
        """(rows per SDG target, rows per SDG goal), seconds: what the portfolio shows."""
        began = time.perf_counter()
        figures = figures_sql(None)
        self.db.execute(f"CREATE OR REPLACE TEMP TABLE figures AS {figures}")
        targets = self.db.execute(
            PORTFOLIO.format(figures="SELECT * FROM figures", links="ind_sdg")
        ).fetchall()
        goals = self.db.execute(
            PORTFOLIO.format(figures="SELECT * FROM figures", links=GOAL_LINKS)
        ).fetchall()
        return (targets, goals), time.perf_counter() - began
