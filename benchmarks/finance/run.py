"""Finance at scale, on SQLite and PostgreSQL: generate, serve and load, import, report.

    .venv/bin/python benchmarks/finance/run.py                      # both databases
    .venv/bin/python benchmarks/finance/run.py --database sqlite    # one of them
    .venv/bin/python benchmarks/finance/run.py --partnerships 20 --transactions 20000

For each database: a fresh one (a new SQLite file in a new /tmp directory; a new database
in a throwaway PostgreSQL 15 cluster on 127.0.0.1, made by `benchmarks/ledger/common.py`'s
`PostgresCluster` and removed at the end), migrated and filled by `data.py` (1,000
partnerships with budgets, pledges, rates and 1,000,000 transactions, all on the ledger).
Then `sinergi serve` (as `benchmarks/load.py` runs it: granian, its default workers and threads)
answers wrk at 32 connections, each request for a partnership drawn at random from the
1,000, signed in as `bench`, a coordinator of each: the finance page (session cookie from
the real login form) and the finance API (Bearer token); the largest partnership on its
own as well. Last, `importing.py` imports generated spreadsheets of 10,000 and 100,000
rows (CSV and XLSX), each in a process of its own, for wall time and peak memory.

Writes `benchmarks/out/finance.json` and `benchmarks/out/finance.md`, prints the table, and
exits with status 1 if a goal is missed: p99 < 100 ms at 32 connections for the page and
each API endpoint, no errors, a 100,000-row import in < 60 s, and the import's peak memory
growing by less than 64 MiB from 10,000 to 100,000 rows (streaming, not row-proportional).
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
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = BENCH_DIR.parent
sys.path.insert(0, str(BENCHMARKS))

import load  # noqa: E402  benchmarks/load.py: the server, sign-in and wrk
from ledger.common import PostgresCluster, database_env, migrate, run_json  # noqa: E402

OUT_DIR = BENCHMARKS / "out"
P99_GOAL_MS = 100.0
GOAL_CONNECTIONS = 32
IMPORT_GOAL_S = 60.0
IMPORT_RSS_GROWTH_MIB = 64.0

# The random-partnership wrk script: the load benchmark's own (errors and percentiles as
# one JSON line), with a request() that draws one of the paths for every request.
RANDOM_LUA = """dofile({latency!r})
local paths = {{{paths}}}
local counter = 0
local base_setup = setup
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  base_setup(thread)
end
local base_init = init
function init(args)
  base_init(args)
  math.randomseed(seed or 1)
end
function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def endpoints(dataset: dict) -> list[tuple[load.Endpoint, list[str], bool]]:
    """(endpoint, paths drawn from, required): optional ones are skipped when missing (404)."""
    slugs, largest = dataset["slugs"], dataset["largest_slug"]
    page = "/en/partnerships/{}/finance/"
    transactions = "/api/v1/partnerships/{}/finance/transactions"
    summary = "/api/v1/partnerships/{}/finance/summary"

    def over(label: str, kind: str, auth: str, path: str, chosen: list[str]):
        paths = [path.format(slug) for slug in chosen]
        return load.Endpoint(label, kind, paths[0], auth), paths

    return [
        (load.Endpoint("/healthz", "baseline", "/healthz", "none"), ["/healthz"], True),
        (*over("finance page", "page", "session", page, slugs), True),
        (*over("transactions API", "api", "token", transactions, slugs), True),
        (*over("summary API", "api", "token", summary, slugs), False),
        (*over("finance page, largest", "page", "session", page, [largest]), True),
        (*over("transactions API, largest", "api", "token", transactions, [largest]), True),
    ]


def status_of(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk_paths(workdir: Path, label: str, paths: list[str], url: str, *args) -> dict:
    """wrk over `paths` (one drawn at random per request) with load.py's measuring script."""
    if len(paths) == 1:
        return load.wrk(url + paths[0], *args)
    script = workdir / f"{label.replace(' ', '-').replace(',', '')}.lua"
    quoted = ", ".join(json.dumps(path) for path in paths)
    script.write_text(RANDOM_LUA.format(latency=str(load.LUA_SCRIPT), paths=quoted))
    saved = load.LUA_SCRIPT
    load.LUA_SCRIPT = script  # load.wrk passes it with -s
    try:
        return load.wrk(url + paths[0], *args)
    finally:
        load.LUA_SCRIPT = saved


def postmaster_pid(cluster: PostgresCluster | None) -> int | None:
    if cluster is None:
        return None
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def measure_load(label: str, env: dict[str, str], workdir: Path, args, db_pid: int | None) -> dict:
    dataset = json.loads((workdir / "dataset.json").read_text())
    token = (workdir / "token.txt").read_text().strip()
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    load.SERVER_LOG = OUT_DIR / f"finance-server-{label.lower()}.log"
    concurrencies = [int(c) for c in args.connections.split(",") if c.strip()]
    load_before = os.getloadavg()
    server = load.start_server(port, env)
    results, missing = [], []
    try:
        load.wait_healthy(base, server, timeout=180)
        cookie = load.sign_in(base)
        present = []
        for endpoint, paths, required in endpoints(dataset):
            headers = load.headers_for(endpoint, cookie, token)
            if not required and status_of(base + paths[0], headers) == 404:
                missing.append(endpoint.label)
                continue
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
                    f"  [{label}] {endpoint.label:<26} c={connections:<3} "
                    f"{result.rps:>7,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                    f"p99 {result.p99_ms:6.1f} ms  CPU {row['cpu_ms']:5.2f}{db} ms/req  "
                    f"errors {result.errors}  (drained {waited:.1f} s)",
                    flush=True,
                )
    finally:
        load.stop_server(server)
    return {
        "results": results,
        "first_reads": first,
        "missing": missing,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def measure_imports(env: dict[str, str], sizes: list[int]) -> dict:
    found = {}
    for fmt in ("csv", "xlsx"):
        for rows in sizes:
            slot = len(found)  # a partnership no earlier import touched
            print(f"  importing {rows:,} rows from {fmt.upper()}", flush=True)
            try:
                found[f"{fmt}-{rows}"] = run_json(
                    [str(BENCH_DIR / "importing.py"), "--format", fmt, "--rows", str(rows),
                     "--slot", str(slot)],
                    env,
                    timeout=900,
                )  # fmt: skip
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                found[f"{fmt}-{rows}"] = {"error": f"failed: {error}"}
    return found


def one_database(label: str, env: dict[str, str], workdir: Path, args, cluster) -> dict:
    began = time.monotonic()
    print(f"[{label}] migrating", flush=True)
    migrate(env)
    print(f"[{label}] generating", flush=True)
    generated = run_json(
        [
            str(BENCH_DIR / "data.py"), "--seed", str(args.seed),
            "--partnerships", str(args.partnerships), "--transactions", str(args.transactions),
        ],
        env,
        timeout=3600,
    )  # fmt: skip
    print(f"[{label}] generated: {json.dumps(generated)}", flush=True)
    found: dict = {"generated": generated}
    if not args.no_load:
        print(f"[{label}] serving and loading", flush=True)
        found["load"] = measure_load(label, env, workdir, args, postmaster_pid(cluster))
    if not args.no_import:
        sizes = sorted({int(n) for n in args.import_rows.split(",") if n.strip()})
        found["imports"] = measure_imports(env, sizes)
    found["minutes"] = round((time.monotonic() - began) / 60, 1)
    return found


# Report ------------------------------------------------------------------------------


def goals(results: dict[str, dict]) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    for label, found in results.items():
        measured = found.get("load", {})
        for r in measured.get("results", []):
            if r["kind"] == "baseline" or r["connections"] != GOAL_CONNECTIONS:
                continue
            rows.append(
                (
                    f"{r['endpoint']} p99 < {P99_GOAL_MS:g} ms @ {GOAL_CONNECTIONS}, {label}",
                    f"{r['p99_ms']:.1f} ms, {r['errors']} errors",
                    r["p99_ms"] < P99_GOAL_MS and r["errors"] == 0,
                )
            )
        for name in measured.get("missing", []):
            rows.append((f"{name}, {label}", "not measured: the endpoint answers 404", None))
        imports = found.get("imports", {})
        for fmt in ("csv", "xlsx"):
            runs = {
                int(key.split("-")[1]): value
                for key, value in imports.items()
                if key.startswith(f"{fmt}-")
            }
            if not runs:
                continue
            top = runs[max(runs)]
            if top.get("error"):
                name = f"import {max(runs):,} rows {fmt.upper()}, {label}"
                rows.append((name, top["error"], None))
                continue
            rows.append(
                (
                    f"import {max(runs):,} rows {fmt.upper()} < {IMPORT_GOAL_S:g} s, {label}",
                    f"{top['wall_s']} s",
                    top["wall_s"] < IMPORT_GOAL_S,
                )
            )
            if len(runs) > 1 and not runs[min(runs)].get("error"):
                growth = round(top["peak_rss_mib"] - runs[min(runs)]["peak_rss_mib"], 1)
                rows.append(
                    (
                        f"import memory bounded ({min(runs):,} → {max(runs):,} rows: peak RSS "
                        f"+ < {IMPORT_RSS_GROWTH_MIB:g} MiB), {fmt.upper()}, {label}",
                        f"{growth:+} MiB",
                        growth < IMPORT_RSS_GROWTH_MIB,
                    )
                )
    return rows


def report(results: dict[str, dict], facts: dict) -> str:
    lines = [
        f"Run {facts['when']} UTC, commit {facts['code']}, {facts['python']}, "
        f"{facts['nproc']} CPUs ({facts['cpu']}); wrk {facts['duration']} s per run after "
        f"{facts['warmup']} s of warm-up, {facts['threads']} thread.",
        "",
    ]
    for label, found in results.items():
        g = found["generated"]
        c = g["counts"]
        lines.append(
            f"- {label}: {c['finance_partnerships']:,} partnerships with finance "
            f"(of {c['registry_partnerships']:,}), {c['Transaction']:,} transactions "
            f"(median {g['median_transactions']:,} per partnership, largest "
            f"{g['largest_transactions']:,}), {c['Pledge']:,} pledges, {c['BudgetLine']:,} "
            f"budget lines, {c['ExchangeRate']:,} rates, {c['Approval']:,} approvals, "
            f"{c['Rollup']:,} totals rows, {c['ledger_entries']:,} ledger entries; generated in "
            f"{g['total_s']} s (registry {g['registry_s']} s, finance with ledger and totals "
            f"{g['finance_and_ledger_s']} s; totals of {g['totals_checked']} partnerships equal "
            f"rollups.compute); whole run {found['minutes']} min"
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
    imports = [
        (label, key, value)
        for label, found in results.items()
        for key, value in found.get("imports", {}).items()
    ]
    if imports:
        lines += [
            "",
            "| Database | File | Rows | Preview wall / CPU s | Import wall / CPU s "
            "| Peak RSS MiB: before, preview, import |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for label, key, v in imports:
            fmt, rows = key.split("-")
            if v.get("error"):
                lines.append(f"| {label} | {fmt.upper()} | {int(rows):,} | — | — | {v['error']} |")
                continue
            preview = v["preview"]
            lines.append(
                f"| {label} | {fmt.upper()} ({v['file_mib']} MiB) | {int(rows):,} | "
                f"{preview['wall_s']} / {preview['cpu_s']} | {v['wall_s']} / {v['cpu_s']} | "
                f"{v['rss_before_mib']}, {preview['peak_rss_mib']}, {v['peak_rss_mib']} |"
            )
    lines += ["", "| Goal | Result | Met? |", "|---|---|---|"]
    for goal, value, met in goals(results):
        lines.append(f"| {goal} | {value} | {'—' if met is None else 'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--partnerships", type=int, default=1_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded warm-up")
    parser.add_argument("--connections", default=str(GOAL_CONNECTIONS), help="e.g. 4,32")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--import-rows", default="10000,100000", help="import sizes")
    parser.add_argument("--no-load", action="store_true", help="skip the server and wrk")
    parser.add_argument(
        "--first-reads",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read every page once, one at a time, before the load (its first, cold read)",
    )
    parser.add_argument("--no-import", action="store_true", help="skip the imports")
    parser.add_argument("--pg-port", type=int, default=54332)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    if not args.no_load and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk).")
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict] = {}
    workdirs: list[Path] = []
    cluster = None
    try:
        if args.database in ("sqlite", "both"):
            workdir = Path(tempfile.mkdtemp(prefix="finance-bench-sqlite-", dir="/tmp"))
            workdirs.append(workdir)
            env = database_env(workdir) | {"DEBUG": "false"}
            results["SQLite"] = one_database("SQLite", env, workdir, args, None)
            if args.keep:
                print(f"SQLite kept: SINERGI_SQLITE_PATH={env['SINERGI_SQLITE_PATH']}")
        if args.database in ("postgres", "both"):
            cluster = PostgresCluster(args.pg_port).start()
            workdir = Path(tempfile.mkdtemp(prefix="finance-bench-pg-", dir="/tmp"))
            workdirs.append(workdir)
            url = cluster.create_database("finance")
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
    name = "finance" if args.database == "both" else f"finance-{args.database}"
    (OUT_DIR / f"{name}.json").write_text(
        json.dumps({"facts": facts, "results": results}, indent=2)
    )
    table = report(results, facts)
    (OUT_DIR / f"{name}.md").write_text(table)
    print(table)
    sys.exit(0 if all(met is not False for _goal, _value, met in goals(results)) else 1)


if __name__ == "__main__":
    main()
