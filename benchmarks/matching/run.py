"""Partner matching at scale, on SQLite and PostgreSQL: generate, measure, report.

    .venv/bin/python benchmarks/matching/run.py            # both databases, ~15 minutes here
    .venv/bin/python benchmarks/matching/run.py --no-pg    # SQLite only

For each database: a fresh one (a new SQLite file in a new /tmp directory; a new database
in a throwaway PostgreSQL 15 cluster on 127.0.0.1, created as the `postgres` user and
removed at the end), migrated, filled by `data.py` (100,000 organisations, 500,000
capabilities, their index rows, 230 partnerships with needs), then measured by
`measure.py` in a process of its own. Writes `benchmarks/out/matching.json` and
`benchmarks/out/matching.md`, prints the table, and exits with status 1 if a goal is
missed: recommend p99 < 100 ms and assemble_team < 500 ms (p99) on every database,
resident memory growing by less than 5 MiB between call 100 and call 1,000.

`--keep` leaves the databases in place and prints where they are, so `measure.py` can be
run again against them (set the printed environment).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parents[1]
OUT_DIR = ROOT / "benchmarks" / "out"
PYTHON = sys.executable
RECOMMEND_P99_MS = 100
TEAM_MS = 500
RSS_GROWTH_MIB = 5


def _ledger_common():
    """benchmarks/ledger/common.py: its throwaway PostgreSQL cluster is reused here."""
    spec = importlib.util.spec_from_file_location(
        "ledger_bench_common", ROOT / "benchmarks" / "ledger" / "common.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(workdir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("SINERGI_SQLITE_PATH", None)
    env.update(
        DJANGO_SETTINGS_MODULE="sinergi.settings",
        SINERGI_DATA_DIR=str(workdir),
        STATIC_ROOT=str(workdir / "static"),
        PYTHONPATH=str(ROOT),
        DEBUG="false",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SINERGI_SQLITE_PATH"] = str(workdir / "matching.sqlite3")
    return env


def run_json(script: str, env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [PYTHON, str(BENCH_DIR / script), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"{script} failed with exit status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_database(label: str, env: dict[str, str], generate_args: list[str]) -> dict:
    print(f"[{label}] migrating", flush=True)
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    print(f"[{label}] generating (a few minutes)", flush=True)
    generated = run_json("data.py", env, *generate_args)
    print(f"[{label}] generated: {generated}", flush=True)
    print(f"[{label}] measuring", flush=True)
    measured = run_json("measure.py", env)
    return {"generated": generated, "measured": measured}


def goals(results: dict[str, dict]) -> list[tuple[str, str, bool]]:
    rows = []
    for label, result in results.items():
        measured = result["measured"]
        typical, broad = measured["recommend_typical"], measured["recommend_broad"]
        rows.append(
            (
                f"recommend p99 < {RECOMMEND_P99_MS} ms, typical needs, {label}",
                f"{typical['p99_ms']} ms",
                typical["p99_ms"] < RECOMMEND_P99_MS,
            )
        )
        rows.append(
            (
                f"recommend p99 < {RECOMMEND_P99_MS} ms, with broad needs, {label}",
                f"{broad['p99_ms']} ms",
                broad["p99_ms"] < RECOMMEND_P99_MS,
            )
        )
        worst_team = max(measured["team_typical"]["p99_ms"], measured["team_broad"]["p99_ms"])
        rows.append(
            (
                f"assemble_team < {TEAM_MS} ms (p99), {label}",
                f"{worst_team} ms",
                worst_team < TEAM_MS,
            )
        )
        rss = measured["rss_mib"]
        growth = round(rss[max(rss, key=lambda k: int(k) if k.isdigit() else 0)] - rss["100"], 1)
        rows.append(
            (
                f"memory flat over 1,000 calls (RSS growth < {RSS_GROWTH_MIB} MiB), {label}",
                f"{growth:+} MiB",
                growth < RSS_GROWTH_MIB,
            )
        )
    return rows  # fmt: skip


def report(results: dict[str, dict], facts: dict[str, str]) -> str:
    lines = [
        f"Run {facts['when']} UTC, {facts['python']}; load average before/after: "
        + "; ".join(
            f"{label} {r['measured']['load_before']} → {r['measured']['load_after']}"
            for label, r in results.items()
        ),
        "",
        "| Database | Call | Calls | p50 ms | p95 ms | p99 ms | max ms | CPU p50 / p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results.values():
        measured = result["measured"]
        for key, name in (
            ("recommend_typical", "recommend, typical needs"),
            ("recommend_broad", "recommend, with broad needs"),
            ("team_typical", "assemble_team, typical needs"),
            ("team_broad", "assemble_team, with broad needs"),
        ):
            s = measured[key]
            lines.append(
                f"| {measured['database']} | {name} | {s['calls']} | {s['p50_ms']} | "
                f"{s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | "
                f"{s['cpu_p50_ms']} / {s['cpu_p99_ms']} |"
            )
    lines += [
        "",
        "| Database | RSS MiB (before; after call 100, 250, 500, 750, 1000) "
        "| tracemalloc KiB (call 100 → 600) |",
        "|---|---|---|",
    ]
    for result in results.values():
        measured = result["measured"]
        rss = measured["rss_mib"]
        traced = measured["tracemalloc_kib"]
        lines.append(
            f"| {measured['database']} | {', '.join(str(v) for v in rss.values())} | "
            f"{traced['100']} → {traced['600']} |"
        )
    lines += ["", "| Goal | Result | Met? |", "|---|---|---|"]
    lines += [
        f"| {goal} | {value} | {'yes' if met else '**no**'} |"
        for goal, value, met in goals(results)
    ]
    lines += ["", "Ids read per call (organisations matching the unmet needs, summed over needs):"]
    for label, result in results.items():
        measured = result["measured"]
        typical, broad = measured["typical_sizes"], measured["broad_sizes"]
        lines.append(
            f"- {label}: typical p50 {typical['ids_p50']:,}, p99 {typical['ids_p99']:,}, "
            f"max {typical['ids_max']:,}; broad p50 {broad['ids_p50']:,}, "
            f"max {broad['ids_max']:,}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--pg-port", type=int, default=54331)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--seed", default="2025")
    parser.add_argument("--organisations", default="100000")
    parser.add_argument("--capabilities", default="500000")
    args = parser.parse_args()
    generate_args = [
        "--seed", args.seed, "--organisations", args.organisations,
        "--capabilities", args.capabilities,
    ]  # fmt: skip
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    workdirs: list[Path] = []
    cluster = None
    try:
        if not args.no_sqlite:
            workdir = Path(tempfile.mkdtemp(prefix="matching-bench-sqlite-", dir="/tmp"))
            workdirs.append(workdir)
            env = environment(workdir, None)
            results["SQLite"] = one_database("SQLite", env, generate_args)
            if args.keep:
                print(f"SQLite kept: SINERGI_SQLITE_PATH={env['SINERGI_SQLITE_PATH']}")
        if not args.no_pg:
            cluster = _ledger_common().PostgresCluster(args.pg_port).start()
            workdir = Path(tempfile.mkdtemp(prefix="matching-bench-pg-", dir="/tmp"))
            workdirs.append(workdir)
            url = cluster.create_database("matching")
            results["PostgreSQL"] = one_database(
                "PostgreSQL", environment(workdir, url), generate_args
            )
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
        "python": f"Python {sys.version.split()[0]}",
    }
    (OUT_DIR / "matching.json").write_text(
        json.dumps({"facts": facts, "results": results}, indent=2)
    )
    table = report(results, facts)
    (OUT_DIR / "matching.md").write_text(table)
    print(table)
    sys.exit(0 if all(met for _goal, _value, met in goals(results)) else 1)


if __name__ == "__main__":
    main()
