"""Results at scale, on SQLite and PostgreSQL, side by side with DuckDB: generate, serve
and load, measure in process, import, report.

    .venv/bin/pip install duckdb                                     # benchmark only
    .venv/bin/python benchmarks/results/run.py                       # both databases, full scale
    .venv/bin/python benchmarks/results/run.py --database sqlite --scale 0.01   # quick look

For each database: a fresh one (a new SQLite file in a new /tmp directory; a new database
in a throwaway PostgreSQL 15 cluster on 127.0.0.1, made by `benchmarks/ledger/common.py`'s
`PostgresCluster` and removed at the end), migrated and filled by `data.py` (at scale 1:
2,000 partnerships, 100,000 indicators, 10,000,000 approved values, with their roll-ups).
Then:

- `sinergi serve` (as `benchmarks/load.py` runs it: granian, its default workers and threads)
  first answers every page once, one request at a time (`--first-reads`: the first,
  cold read of each dashboard, with nothing kept yet), then answers wrk at 1 and 32
  connections, signed in as `bench` (staff, a coordinator of
  each partnership): the results dashboard of a partnership drawn at random for every
  request, the dashboard of the largest partnership, and the SDG portfolio page over
  all partnerships; server CPU per request from /proc;
- `measure.py`, in one process: Sinergi's dashboard figures and portfolio roll-up next
  to DuckDB computing the same figures from the raw rows (ratio and agreement), and the
  latency of `services.approve` over many values;
- `importing.py`, a process per file: XLSX uploads of 10,000 and 50,000 rows through
  `sinergi.results.spreadsheet.import_values`, time and peak memory.

Writes `benchmarks/out/results-bench.json` and `.md` (`results-bench-sqlite.*` or
`-postgres.*` for one database), prints the table, and exits with status 1 if a goal is
missed: dashboard p99 < 150 ms at 32 connections with no errors, portfolio < 1 s,
approval p99 < 50 ms, a 50,000-row import < 30 s with peak memory growing by less than
64 MiB from 10,000 rows, and Sinergi faster than DuckDB for each aggregate, figures equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = BENCH_DIR.parent
sys.path.insert(0, str(BENCHMARKS))

import load  # noqa: E402  benchmarks/load.py: the server, sign-in and wrk
from finance.run import postmaster_pid, wrk_paths  # noqa: E402
from ledger.common import PostgresCluster, database_env, migrate, run_json  # noqa: E402

OUT_DIR = BENCHMARKS / "out"
DASHBOARD_P99_MS = 150.0
PORTFOLIO_MS = 1000.0
APPROVE_P99_MS = 50.0
IMPORT_S = 30.0
IMPORT_RSS_GROWTH_MIB = 64.0
GOAL_CONNECTIONS = 32


def endpoints(dataset: dict) -> list[tuple[load.Endpoint, list[str]]]:
    page = "/en/partnerships/{}/results/"
    slugs = dataset["slugs"]
    return [
        (load.Endpoint("/healthz", "baseline", "/healthz", "none"), ["/healthz"]),
        (
            load.Endpoint("dashboard, random partnership", "page", page.format(slugs[0]),
                          "session"),
            [page.format(slug) for slug in slugs],
        ),
        (
            load.Endpoint("dashboard, largest", "page",
                          page.format(dataset["largest_slug"]), "session"),
            [page.format(dataset["largest_slug"])],
        ),
        (
            load.Endpoint("SDG portfolio page", "portfolio", "/en/results/", "session"),
            ["/en/results/"],
        ),
    ]  # fmt: skip


def measure_load(label: str, env: dict[str, str], workdir: Path, args, db_pid: int | None) -> dict:
    dataset = json.loads((workdir / "dataset.json").read_text())
    token = (workdir / "token.txt").read_text().strip()
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    load.SERVER_LOG = OUT_DIR / f"results-server-{label.lower()}.log"
    concurrencies = [int(c) for c in args.connections.split(",") if c.strip()]
    load_before = os.getloadavg()
    server = load.start_server(port, env)
    results = []
    try:
        load.wait_healthy(base, server, timeout=180)
        cookie = load.sign_in(base)
        present = []
        for endpoint, paths in endpoints(dataset):
            headers = load.headers_for(endpoint, cookie, token)
            for path in paths[:: max(1, len(paths) // 5)]:  # a few, so a broken one shows
                one = load.Endpoint(endpoint.label, endpoint.kind, path, endpoint.auth)
                load.check(base, one, headers)
            present.append((endpoint, paths, headers))
        first = load.first_read_pass(label, base, present) if args.first_reads else {}
        for connections in concurrencies:
            for endpoint, paths, headers in present:
                run = (connections, args.threads)
                if args.warmup > 0:
                    wrk_paths(workdir, endpoint.label, paths, base, headers, *run, args.warmup)
                    load.settle(base)
                app_before = load.server_cpu_seconds(server.pid)
                db_before = load.server_cpu_seconds(db_pid) if db_pid else 0.0
                raw = wrk_paths(workdir, endpoint.label, paths, base, headers, *run, args.duration)
                app_cpu = load.server_cpu_seconds(server.pid) - app_before
                db_cpu = (load.server_cpu_seconds(db_pid) - db_before) if db_pid else 0.0
                result = load.to_result(endpoint, connections, raw)
                row = asdict(result) | {"database": label, "paths": len(paths)}
                row["cpu_ms"] = app_cpu * 1000 / result.requests if result.requests else 0.0
                row["db_cpu_ms"] = db_cpu * 1000 / result.requests if result.requests else 0.0
                results.append(row)
                waited = load.settle(base)
                db = f" + db {row['db_cpu_ms']:.2f}" if db_pid else ""
                print(
                    f"  [{label}] {endpoint.label:<30} c={connections:<3} "
                    f"{result.rps:>7,.0f} req/s  p50 {result.p50_ms:7.1f} ms  "
                    f"p99 {result.p99_ms:7.1f} ms  CPU {row['cpu_ms']:6.2f}{db} ms/req  "
                    f"errors {result.errors}  (drained {waited:.1f} s)",
                    flush=True,
                )
    finally:
        load.stop_server(server)
    return {
        "results": results,
        "first_reads": first,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def measure_imports(env: dict[str, str], sizes: list[int]) -> dict:
    found = {}
    for slot, rows in enumerate(sizes):
        print(f"  importing {rows:,} rows from XLSX", flush=True)
        try:
            found[str(rows)] = run_json(
                [str(BENCH_DIR / "importing.py"), "--rows", str(rows), "--slot", str(slot)],
                env,
                timeout=1800,
            )
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            found[str(rows)] = {"error": f"failed: {error}"}
    return found


def one_database(label: str, env: dict[str, str], workdir: Path, args, cluster) -> dict:
    began = time.monotonic()
    print(f"[{label}] migrating", flush=True)
    migrate(env)
    print(f"[{label}] generating (scale {args.scale:g})", flush=True)
    generated = run_json(
        [str(BENCH_DIR / "data.py"), "--seed", str(args.seed), "--scale", str(args.scale)],
        env,
        timeout=4 * 3600,
    )
    print(f"[{label}] generated: {json.dumps(generated)}", flush=True)
    found: dict = {"generated": generated}
    if not args.no_load:
        print(f"[{label}] serving and loading", flush=True)
        found["load"] = measure_load(label, env, workdir, args, postmaster_pid(cluster))
    print(f"[{label}] side by side with DuckDB, and approvals", flush=True)
    command = [str(BENCH_DIR / "measure.py"), "--repeat", str(args.repeat),
               "--approvals", str(args.approvals)]  # fmt: skip
    if args.no_duckdb:
        command.append("--no-duckdb")
    found["measured"] = run_json(command, env, timeout=4 * 3600)
    print(f"[{label}] measured: {json.dumps(found['measured'])[:2000]}", flush=True)
    if not args.no_import:
        sizes = sorted({int(n) for n in args.import_rows.split(",") if n.strip()})
        found["imports"] = measure_imports(env, sizes)
    found["minutes"] = round((time.monotonic() - began) / 60, 1)
    return found


# Report ------------------------------------------------------------------------------


def goals(results: dict[str, dict]) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    for label, found in results.items():
        for r in found.get("load", {}).get("results", []):
            if r["kind"] == "page" and r["connections"] == GOAL_CONNECTIONS:
                rows.append((
                    f"{r['endpoint']} p99 < {DASHBOARD_P99_MS:g} ms @ {GOAL_CONNECTIONS}, {label}",
                    f"{r['p99_ms']:.1f} ms, {r['errors']} errors",
                    r["p99_ms"] < DASHBOARD_P99_MS and r["errors"] == 0,
                ))  # fmt: skip
            if r["kind"] == "portfolio" and r["connections"] == 1:
                rows.append((
                    f"portfolio page p99 < {PORTFOLIO_MS:g} ms @ 1 connection, {label}",
                    f"{r['p99_ms']:.1f} ms, {r['errors']} errors",
                    r["p99_ms"] < PORTFOLIO_MS and r["errors"] == 0,
                ))  # fmt: skip
        measured = found.get("measured", {})
        side = measured.get("side_by_side")
        if side:
            p = side["portfolio"]
            rows.append((
                f"portfolio roll-up (queries.portfolio) < {PORTFOLIO_MS:g} ms, {label}",
                f"p50 {p['sinergi']['p50_ms']} ms, max {p['sinergi']['max_ms']} ms",
                p["sinergi"]["max_ms"] < PORTFOLIO_MS,
            ))  # fmt: skip
            for name, d in side["dashboard"].items():
                rows.append((
                    f"dashboard figures ({name}) faster than DuckDB, {label}",
                    f"Sinergi {d['sinergi']['p50_ms']} ms, DuckDB {d['duckdb']['p50_ms']} ms; "
                    f"DuckDB takes {d['ratio']} times as long",
                    d["ratio"] > 1,
                ))  # fmt: skip
            rows.append((
                f"portfolio roll-up faster than DuckDB, {label}",
                f"Sinergi {p['sinergi']['p50_ms']} ms, DuckDB {p['duckdb']['p50_ms']} ms; "
                f"DuckDB takes {p['ratio']} times as long",
                p["ratio"] > 1,
            ))  # fmt: skip
            check = side["dashboard_check"]
            rows.append((
                f"same figures as DuckDB, {label}",
                f"{check['indicators']:,} indicators: {check['mismatches']} differ; "
                f"{p['targets']} SDG targets and {p.get('goals', 0)} goals: "
                f"{p['mismatches']} differ",
                check["mismatches"] == 0 and p["mismatches"] == 0,
            ))  # fmt: skip
        approvals = measured.get("approvals")
        if approvals:
            a = approvals["approve"]
            rows.append((
                f"approve one value p99 < {APPROVE_P99_MS:g} ms, {label}",
                f"p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms over {a['n']}"
                + (f"; {len(approvals['not_reflected'])} not reflected"
                   if approvals["not_reflected"] else ""),
                a["p99_ms"] < APPROVE_P99_MS and not approvals["not_reflected"],
            ))  # fmt: skip
        imports = {int(k): v for k, v in found.get("imports", {}).items()}
        if imports:
            top = imports[max(imports)]
            if top.get("error"):
                rows.append((f"import {max(imports):,} rows XLSX, {label}", top["error"], None))
            else:
                rows.append((
                    f"import {max(imports):,} rows XLSX < {IMPORT_S:g} s, {label}",
                    f"{top['wall_s']} s (preview {top['preview']['wall_s']} s before it)",
                    top["wall_s"] < IMPORT_S,
                ))  # fmt: skip
                low = imports[min(imports)]
                if len(imports) > 1 and not low.get("error"):
                    growth = round(top["peak_rss_mib"] - low["peak_rss_mib"], 1)
                    rows.append((
                        f"import memory bounded ({min(imports):,} → {max(imports):,} rows: "
                        f"peak RSS + < {IMPORT_RSS_GROWTH_MIB:g} MiB), {label}",
                        f"{growth:+} MiB",
                        growth < IMPORT_RSS_GROWTH_MIB,
                    ))  # fmt: skip
    return rows


def report(results: dict[str, dict], facts: dict) -> str:
    lines = [
        f"Run {facts['when']} UTC, commit {facts['code']}, {facts['python']}, "
        f"{facts['nproc']} CPUs ({facts['cpu']}); scale {facts['arguments']['scale']:g}; "
        f"wrk {facts['duration']} s per run after {facts['warmup']} s of warm-up.",
        "",
    ]
    for label, found in results.items():
        g = found["generated"]
        c = g["counts"]
        lines.append(
            f"- {label}: {c['results_partnerships']:,} partnerships with results, "
            f"{c['indicators']:,} indicators (median {g['median_indicators']}, largest "
            f"{g['largest_indicators']}), {c['approved_values']:,} approved values "
            f"({c['approved_totals']:,} totals + {c['approved_breakdown']:,} breakdown rows; "
            f"{c['superseded_revisions']:,} superseded revisions besides), {c['Target']:,} "
            f"targets, {c['Period']:,} periods, {c['SdgProgress']:,} SDG rows; generated in "
            f"{g['total_s']} s (roll-ups of {g['rollups_checked']['indicators']} indicators "
            f"checked against rollups); whole run {found['minutes']} min"
            + (
                f"; load average {found['load']['load_before']} → {found['load']['load_after']}"
                if "load" in found
                else ""
            )
        )
    lines += [
        "",
        "| Database | Endpoint | Conns | Req/s | p50 ms | p99 ms | Errors "
        "| CPU ms/req app (+ db) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for found in results.values():
        for r in found.get("load", {}).get("results", []):
            db = f" + {r['db_cpu_ms']:.2f}" if r["db_cpu_ms"] else ""
            lines.append(
                f"| {r['database']} | {r['endpoint']} | {r['connections']} | {r['rps']:,.0f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {r['cpu_ms']:.2f}{db} |"
            )
    lines += load.first_reads_table(results)
    lines += [
        "",
        "| Database | Aggregate (in process) | Sinergi p50 / max ms | DuckDB p50 / max ms "
        "| DuckDB ÷ Sinergi |",
        "|---|---|---:|---:|---:|",
    ]
    for label, found in results.items():
        side = found.get("measured", {}).get("side_by_side")
        if not side:
            continue
        items = [(f"dashboard figures, {k} partnership{'s' if k == 'random' else ''}", v)
                 for k, v in side["dashboard"].items()]  # fmt: skip
        items.append(("portfolio roll-up by SDG target, all partnerships", side["portfolio"]))
        for name, v in items:
            lines.append(
                f"| {label} | {name} | {v['sinergi']['p50_ms']} / {v['sinergi']['max_ms']} | "
                f"{v['duckdb']['p50_ms']} / {v['duckdb']['max_ms']} | {v['ratio']} |"
            )
    lines += [
        "",
        "| Database | Approve one value (services.approve) | n | p50 ms | p99 ms "
        "| max ms | draft + submit + approve p50 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, found in results.items():
        a = found.get("measured", {}).get("approvals")
        if a:
            x, w = a["approve"], a["draft_submit_approve"]
            lines.append(
                f"| {label} | ledger entry, indicator status, SDG rows | {x['n']} | "
                f"{x['p50_ms']} | {x['p99_ms']} | {x['max_ms']} | {w['p50_ms']} |"
            )
    imports = [
        (label, int(rows), v)
        for label, found in results.items()
        for rows, v in found.get("imports", {}).items()
    ]
    if imports:
        lines += [
            "",
            "| Database | XLSX rows | File MiB | Template s | Preview wall / CPU s "
            "| Import wall / CPU s | Peak RSS MiB: before, preview, import |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for label, rows, v in imports:
            if v.get("error") and "preview" not in v:
                lines.append(f"| {label} | {rows:,} | — | — | — | — | {v['error']} |")
                continue
            lines.append(
                f"| {label} | {v['rows']:,} | {v['file_mib']} | {v['made']['template_s']} | "
                f"{v['preview']['wall_s']} / {v['preview']['cpu_s']} | {v['wall_s']} / "
                f"{v['cpu_s']} | {v['rss_before_mib']}, {v['preview']['peak_rss_mib']}, "
                f"{v['peak_rss_mib']} |"
            )
    lines += ["", "| Goal | Result | Met? |", "|---|---|---|"]
    for goal, value, met in goals(results):
        lines.append(f"| {goal} | {value} | {'—' if met is None else 'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="1: 2,000 partnerships, …")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded warm-up")
    parser.add_argument("--connections", default="1,32", help="e.g. 1,32")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=5, help="in-process calls per figure")
    parser.add_argument("--approvals", type=int, default=200, help="values approved")
    parser.add_argument("--import-rows", default="10000,50000", help="import sizes")
    parser.add_argument("--no-load", action="store_true", help="skip the server and wrk")
    parser.add_argument(
        "--first-reads",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read every page once, one at a time, before the load (its first, cold read)",
    )
    parser.add_argument("--no-import", action="store_true", help="skip the imports")
    parser.add_argument("--no-duckdb", action="store_true", help="skip DuckDB")
    parser.add_argument("--pg-port", type=int, default=54333)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    if not args.no_load and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk).")
    if not args.no_duckdb:
        try:
            import duckdb  # noqa: F401
        except ImportError:
            sys.exit("duckdb is not installed (.venv/bin/pip install duckdb), or use --no-duckdb")
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict] = {}
    workdirs: list[Path] = []
    cluster = None
    try:
        if args.database in ("sqlite", "both"):
            workdir = Path(tempfile.mkdtemp(prefix="results-bench-sqlite-", dir="/tmp"))
            workdirs.append(workdir)
            env = database_env(workdir) | {"DEBUG": "false"}
            results["SQLite"] = one_database("SQLite", env, workdir, args, None)
            if args.keep:
                print(f"SQLite kept: SINERGI_SQLITE_PATH={env['SINERGI_SQLITE_PATH']}")
        if args.database in ("postgres", "both"):
            cluster = PostgresCluster(args.pg_port).start()
            workdir = Path(tempfile.mkdtemp(prefix="results-bench-pg-", dir="/tmp"))
            workdirs.append(workdir)
            url = cluster.create_database("results")
            env = database_env(workdir, url) | {"DEBUG": "false"}
            results["PostgreSQL"] = one_database("PostgreSQL", env, workdir, args, cluster)
            if args.keep:
                print(f"PostgreSQL kept: DATABASE_URL={url} (cluster in {cluster.dir})")
    finally:
        if cluster is not None and not args.keep:
            cluster.stop()
        if not args.keep:
            for workdir in workdirs:
                shutil.rmtree(workdir, ignore_errors=True)

    facts = {
        "when": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "code": load.code_version(),
        "python": f"Python {platform.python_version()}",
        "nproc": os.cpu_count(),
        "cpu": load.cpu_model(),
        "duration": args.duration,
        "warmup": args.warmup,
        "threads": args.threads,
        "postgres": cluster.version if cluster else None,
        "arguments": vars(args),
    }
    name = "results-bench" if args.database == "both" else f"results-bench-{args.database}"
    (OUT_DIR / f"{name}.json").write_text(
        json.dumps({"facts": facts, "results": results}, indent=2)
    )
    table = report(results, facts)
    (OUT_DIR / f"{name}.md").write_text(table)
    print(table)
    sys.exit(0 if all(met is not False for _goal, _value, met in goals(results)) else 1)


if __name__ == "__main__":
    main()
