"""Transparency-ledger benchmark: Sinergi's ledger side by side with pymerkle, same machine.

    .venv/bin/pip install pymerkle        # not a project dependency; only for this benchmark
    .venv/bin/python benchmarks/ledger/run.py            # full run, about 10-15 minutes
    .venv/bin/python benchmarks/ledger/run.py --quick    # smaller sizes, about 2-3 minutes

Measures, each next to pymerkle (SqliteTree) doing the same work in the same run:

- durable appends per second, one transaction each, 1 and 4 writer processes, on SQLite
  and PostgreSQL (a throwaway cluster this script starts on a loopback port and removes),
  and beside them PostgreSQL's own floor: psycopg alone committing one-row updates;
- a bulk append of 10^6 entries (ledger.log.append_many vs SqliteTree.append_entries);
- p50/p99 latency of inclusion and consistency proofs at 10^4, 10^5 and 10^6 entries;
- `sinergi ledger verify` (audit.verify_log) of 10^6 entries vs a bare hashlib loop that
  computes the same tree from the same bodies;
- bytes stored per entry.

Every measurement gets a fresh database (migrated first) and runs in its own processes.
Prints a markdown table and writes it to benchmarks/out/ledger.md (raw numbers beside it
in ledger.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_DIR,
    OUT_DIR,
    PYTHON,
    ROOT,
    PostgresCluster,
    database_env,
    migrate,
    new_workdir,
    run_json,
)

TRILLIAN = 500  # entries/s: Trillian's published 400-500 sequenced entries/s on MySQL


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Durable appends ------------------------------------------------------------------------


def start_writers(args: list[str], writers: int, env: dict[str, str], seconds: float) -> float:
    """Start `writers` processes that append for `seconds` from a common start; entries/s."""
    start_at = time.time() + 6  # time for every process to set Django up first
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                str(BENCH_DIR / "appends.py"),
                *args,
                "--worker",
                str(w),
                "--start-at",
                str(start_at),
                "--seconds",
                str(seconds),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    total = 0
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 300)
        if proc.returncode != 0:
            sys.stderr.write(err)
            raise RuntimeError("an append writer failed")
        total += json.loads(out.strip().splitlines()[-1])["count"]
    if time.time() < start_at:
        raise RuntimeError("writers finished before the start: clock trouble")
    return total


def ours_appends(
    vendor: str, writers: int, seconds: float, cluster: PostgresCluster | None, sync: str = ""
) -> dict:
    workdir = new_workdir(f"append-{vendor}{writers}")
    name = f"ledger_append_{writers}_{int(time.time())}"
    url = cluster.create_database(name) if vendor == "postgresql" else None
    env = database_env(workdir, url)
    migrate(env)
    extra = ["--sync", sync] if sync else []
    total = start_writers(["ours", *extra], writers, env, seconds)
    # Every acknowledged append is in the log and the whole log verifies.
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "ledger", "verify"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    verified = done.returncode == 0 and done.stdout.startswith(f"OK: {total} entries")
    if not verified:
        raise RuntimeError(f"ledger verify after the append run: {done.stdout} {done.stderr}")
    if cluster is not None and vendor == "postgresql":
        cluster.drop_database(name)
    shutil.rmtree(workdir, ignore_errors=True)
    return {"per_s": total / seconds, "count": total, "verified": verified}


def floor_appends(
    writers: int, seconds: float, cluster: PostgresCluster, autocommit: bool = False
) -> dict:
    """PostgreSQL's own limit here: psycopg alone updating the head row (appends.floor)."""
    workdir = new_workdir(f"append-floor{writers}")
    name = f"ledger_floor_{writers}_{int(time.time())}"
    env = database_env(workdir, cluster.create_database(name))
    migrate(env)
    args = ["floor", *(["--autocommit"] if autocommit else [])]
    total = start_writers(args, writers, env, seconds)
    cluster.drop_database(name)
    shutil.rmtree(workdir, ignore_errors=True)
    return {"per_s": total / seconds, "count": total}


def pymerkle_appends(writers: int, seconds: float) -> dict:
    workdir = new_workdir(f"append-pymerkle{writers}")
    db = workdir / "pymerkle.sqlite3"
    from pymerkle import SqliteTree

    SqliteTree(str(db)).close()  # create the schema before the writers race for it
    env = database_env(workdir)
    total = start_writers(["pymerkle", "--db", str(db)], writers, env, seconds)
    con = sqlite3.connect(db)
    stored = con.execute("SELECT COUNT(*) FROM leaf").fetchone()[0]
    con.close()
    if stored != total:
        raise RuntimeError(f"pymerkle stored {stored} leaves, writers counted {total}")
    shutil.rmtree(workdir, ignore_errors=True)
    return {"per_s": total / seconds, "count": total}


# Bulk, proofs, verify, bytes --------------------------------------------------------------


def ours_bulk(
    vendor: str,
    n: int,
    proofs: int,
    verify: int,
    cluster: PostgresCluster | None,
    pymerkle_db: Path,
) -> dict:
    workdir = new_workdir(f"bulk-{vendor}-{n}")
    name = f"ledger_bulk_{n}"
    url = cluster.create_database(name) if vendor == "postgresql" else None
    env = database_env(workdir, url)
    migrate(env)
    args = [str(BENCH_DIR / "bulk.py"), "ours", "--n", str(n), "--verify", str(verify)]
    result = run_json([*args, "--proofs", str(proofs), "--pymerkle-db", str(pymerkle_db)], env)
    if cluster is not None and vendor == "postgresql":
        cluster.drop_database(name)
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def pymerkle_bulk(n: int) -> tuple[dict, Path]:
    """pymerkle's bulk append of n entries; the tree is kept for the proof timings."""
    workdir = new_workdir(f"bulk-pymerkle-{n}")
    env = database_env(workdir)
    db = workdir / "pymerkle.sqlite3"
    result = run_json([str(BENCH_DIR / "bulk.py"), "pymerkle", "--n", str(n), "--db", str(db)], env)
    return result, workdir


# Report --------------------------------------------------------------------------------


def machine_facts(cluster: PostgresCluster | None) -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": cluster.version if cluster else "not run",
        "pymerkle": metadata.version("pymerkle"),
        "commit": commit,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def fmt(value: float, digits: int = 2) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def row(what: str, ours: str, theirs: str, ratio: float | None, goal: str, met: bool | None):
    ratio_text = "" if ratio is None else f"{ratio:.2f}"
    met_text = "" if met is None else ("yes" if met else "**no**")
    return f"| {what} | {ours} | {theirs} | {ratio_text} | {goal} | {met_text} |"


def report(results: dict, facts: dict[str, str], sizes: list[int], command: str) -> str:
    big = sizes[-1]
    lines = [
        "| Measure | Sinergi | pymerkle | Sinergi ÷ pymerkle | Goal | Met? |",
        "|---|---|---|---|---|---|",
    ]
    appends = results["appends"]
    for key, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        for writers in (1, 4):
            ours = appends.get(f"{key}-{writers}")
            theirs = appends.get(f"pymerkle-{writers}")
            if not ours or not theirs:
                continue
            ratio = ours["per_s"] / theirs["per_s"]
            lines.append(
                row(
                    f"Durable appends/s, {label}, {writers} writer{'s' * (writers > 1)}",
                    fmt(ours["per_s"]),
                    fmt(theirs["per_s"]) + " (" + " / ".join(fmt(r) for r in theirs["runs"]) + ")",
                    ratio,
                    f"≥ 3.00 and > {TRILLIAN}/s (Trillian)",
                    ratio >= 3 and ours["per_s"] > TRILLIAN,
                )
            )
    for writers in (1, 4):
        ours = appends.get(f"sqlite-normal-{writers}")
        theirs = appends.get(f"pymerkle-{writers}")
        if ours and theirs:
            lines.append(
                row(
                    "… SQLite with synchronous=NORMAL (no fsync at commit: survives the "
                    "process's crash, not a power cut; the app's setting before 2026-12-02), "
                    f"{writers} writer{'s' * (writers > 1)}",
                    fmt(ours["per_s"]),
                    fmt(theirs["per_s"]),
                    ours["per_s"] / theirs["per_s"],
                    "(not durable; no goal)",
                    None,
                )
            )
    for key, what in (
        ("floor-1", "BEGIN, UPDATE of the head row, COMMIT; 1 writer"),
        ("floor-4", "BEGIN, UPDATE of the head row, COMMIT; 4 writers"),
        ("floor-autocommit-1", "one UPDATE of the head row committing alone; 1 writer"),
    ):
        ours = appends.get(key)
        theirs = appends.get("pymerkle-4" if key == "floor-4" else "pymerkle-1")
        if ours and theirs:
            lines.append(
                row(
                    f"… PostgreSQL's floor, psycopg alone (no Django, no ledger): {what}",
                    fmt(ours["per_s"]),
                    fmt(theirs["per_s"]),
                    ours["per_s"] / theirs["per_s"],
                    "(what the server allows; no goal)",
                    None,
                )
            )
    bulk = results["bulk"]
    theirs = bulk.get(f"pymerkle-{big}")
    for key, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        ours = bulk.get(f"{key}-{big}")
        if ours and theirs:
            ratio = ours["bulk_s"] / theirs["bulk_s"]
            lines.append(
                row(
                    f"Bulk append of {big:,} entries, {label} (s)",
                    fmt(ours["bulk_s"]),
                    fmt(theirs["bulk_s"])
                    + (
                        " (" + " / ".join(fmt(r) for r in theirs["runs"]) + ")"
                        if "runs" in theirs
                        else ""
                    )
                    + f"; encoding ≈ {fmt(theirs['encode_s'])}",
                    ratio,
                    "< 1.00 (faster)",
                    ratio < 1,
                )
            )
    for key, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        for proof in ("inclusion", "consistency"):
            for n in sizes:
                ours = bulk.get(f"{key}-{n}", {}).get(proof)
                theirs = bulk.get(f"{key}-{n}", {}).get(f"pymerkle_{proof}")
                if not ours or not theirs:
                    continue
                ratio = ours["p99_ms"] / theirs["p99_ms"]
                lines.append(
                    row(
                        f"{proof.capitalize()} proof at {n:,}, {label}: p50 / p99 (ms)",
                        f"{ours['p50_ms']:.3f} / {ours['p99_ms']:.3f}",
                        f"{theirs['p50_ms']:.3f} / {theirs['p99_ms']:.3f}",
                        ratio,
                        "p99 < 2 ms and ratio ≤ 1.00",
                        ours["p99_ms"] < 2 and ratio <= 1,
                    )
                )
    for key, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        ours = bulk.get(f"{key}-{big}")
        if ours and "verify_s" in ours:
            ratio = ours["verify_s"] / ours["bare_s"]
            lines.append(
                row(
                    f"`ledger verify` of {big:,} entries, {label} (s) vs bare hashlib loop",
                    fmt(ours["verify_s"]),
                    f"bare loop {fmt(ours['bare_s'])}",
                    ratio,
                    "≤ 2.00",
                    ratio <= 2,
                )
            )
    theirs = bulk.get(f"pymerkle-{big}")
    for key, label in (("sqlite", "SQLite file after VACUUM"), ("postgresql", "PostgreSQL")):
        ours = bulk.get(f"{key}-{big}")
        if ours and theirs:
            lines.append(
                row(
                    f"Bytes per entry at {big:,}, {label}",
                    fmt(ours["bytes_per_entry"], 0),
                    fmt(theirs["bytes_per_entry"], 0) + " (SQLite)",
                    ours["bytes_per_entry"] / theirs["bytes_per_entry"],
                    "(reported; no goal)",
                    None,
                )
            )
    notes = []
    for n in sizes:
        pair = bulk.get(f"sqlite-{n}", {})
        if "pymerkle_inclusion" in pair:
            notes.append(
                f"{n:,}: {pair['pymerkle_inclusion']['first_ms']:.1f} ms "
                f"(ours {pair['inclusion']['first_ms']:.1f} ms)"
            )
    facts_text = (
        f"{facts['date']}, commit {facts['commit']}; {facts['nproc']} cores, {facts['cpu']}; "
        f"Python {facts['python']}, SQLite {facts['sqlite']}, PostgreSQL {facts['postgresql']}, "
        f"pymerkle {facts['pymerkle']}; load average before {facts['load_before']}, "
        f"after {facts['load_after']}."
    )
    return "\n".join(
        [
            "## Transparency ledger vs pymerkle",
            "",
            facts_text,
            "",
            f"Command: `{command}`",
            "",
            *lines,
            "",
            "Proof latencies: ours and pymerkle's in the same process, taking turns call by "
            "call, each after 200 warm-up proofs; the pymerkle column of the PostgreSQL rows is "
            "the run beside the PostgreSQL one. pymerkle's first proof on a freshly opened "
            "tree (it rebuilds subtree hashes from the leaves, then caches them): "
            + "; ".join(notes)
            + ".",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, shorter runs")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-port", type=int, default=54329)
    parser.add_argument("--seconds", type=float, help="length of each append run")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    seconds = args.seconds or (4.0 if args.quick else 10.0)
    proofs = 300 if args.quick else 1000
    verify_rounds = 1 if args.quick else 2
    command = "python benchmarks/ledger/run.py" + " ".join(["", *sys.argv[1:]]).rstrip()

    cluster = None if args.no_pg else PostgresCluster(args.pg_port)
    results: dict = {"appends": {}, "bulk": {}}
    started = time.time()
    try:
        if cluster is not None:
            log(f"starting PostgreSQL in {cluster.dir} on 127.0.0.1:{cluster.port}")
            cluster.start()
        facts = machine_facts(cluster)
        vendors = ["sqlite"] + ([] if cluster is None else ["postgresql"])
        appends = results["appends"]
        for writers in (1, 4):
            log(f"durable appends, {writers} writer(s), {seconds:.0f} s each")
            # pymerkle runs before and after ours (fsync cost drifts with the disk's other
            # users); its figure is the mean of the two.
            before = pymerkle_appends(writers, seconds)
            for vendor in vendors:
                appends[f"{vendor}-{writers}"] = ours_appends(vendor, writers, seconds, cluster)
            appends[f"sqlite-normal-{writers}"] = ours_appends(
                "sqlite", writers, seconds, None, sync="normal"
            )
            if cluster is not None:
                appends[f"floor-{writers}"] = floor_appends(writers, seconds, cluster)
                if writers == 1:
                    appends["floor-autocommit-1"] = floor_appends(1, seconds, cluster, True)
            after = pymerkle_appends(writers, seconds)
            appends[f"pymerkle-{writers}"] = {
                "per_s": (before["per_s"] + after["per_s"]) / 2,
                "runs": [before["per_s"], after["per_s"]],
            }
            log(json.dumps({k: round(v["per_s"]) for k, v in appends.items()}))
        for n in sizes:
            rounds = verify_rounds if n == sizes[-1] else 0
            log(f"bulk append, proofs{', verify' if rounds else ''} and bytes at {n:,}")
            results["bulk"][f"pymerkle-{n}"], pymerkle_dir = pymerkle_bulk(n)
            for vendor in vendors:
                results["bulk"][f"{vendor}-{n}"] = ours_bulk(
                    vendor, n, proofs, rounds, cluster, pymerkle_dir / "pymerkle.sqlite3"
                )
            shutil.rmtree(pymerkle_dir, ignore_errors=True)
            if n == sizes[-1]:  # pymerkle again after ours, as the machine's pace drifts
                again, again_dir = pymerkle_bulk(n)
                shutil.rmtree(again_dir, ignore_errors=True)
                first = results["bulk"][f"pymerkle-{n}"]
                first["runs"] = [first["bulk_s"], again["bulk_s"]]
                first["bulk_s"] = (first["bulk_s"] + again["bulk_s"]) / 2
                first["encode_s"] = (first["encode_s"] + again["encode_s"]) / 2
            log(json.dumps({k: v.get("bulk_s") for k, v in results["bulk"].items()}))
    finally:
        if cluster is not None:
            cluster.stop()
    facts["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    facts["minutes"] = f"{(time.time() - started) / 60:.1f}"
    text = report(results, facts, sizes, command)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "ledger.md").write_text(text, encoding="utf-8")
    (OUT_DIR / "ledger.json").write_text(
        json.dumps({"facts": facts, "results": results}, indent=2), encoding="utf-8"
    )
    print(text)
    log(f"done in {facts['minutes']} min; wrote {OUT_DIR / 'ledger.md'}")


if __name__ == "__main__":
    main()
