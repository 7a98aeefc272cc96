"""`verify` now against `verify` at an earlier commit, on one log, in one process.

    python benchmarks/ledger/verify_ab.py --base REV [--n 1000000] [--rounds 6]

Builds a fresh SQLite database with N entries (`append_many`, the events of `common`),
then takes turns, round by round: the bare hashlib loop over the same bodies
(`bulk.bare_tree`), `audit.verify_log()` as of REV (its `sinergi/ledger/audit.py`, taken
with `git show` and loaded beside the current modules) and `audit.verify_log()` now. Each
round's ratios to that round's bare loop are printed, then the medians: taking turns
puts both versions on the same machine at the same moment, which matters on a shared
machine whose speed drifts between runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, database_env, event, migrate, new_workdir, setup_django


def _child(n: int, rounds: int, base_file: str) -> None:
    setup_django()
    from bulk import bare_tree
    from django.db import connection, transaction

    from sinergi.ledger import audit, checkpoints, log

    with transaction.atomic():
        log.append_many((*event(i), None, None) for i in range(n))
    checkpoints.issue_checkpoint()
    spec = importlib.util.spec_from_file_location("audit_base", base_file)
    base = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(base)

    with connection.cursor() as cursor:
        cursor.execute('SELECT body FROM ledger_entry ORDER BY "index"')
        bodies = [bytes(body) for (body,) in cursor.fetchall()]
    ratios: dict[str, list[float]] = {"base": [], "now": []}
    for round_number in range(rounds):
        started = time.perf_counter()
        bare_tree(bodies)
        bare = time.perf_counter() - started
        line = {"round": round_number + 1, "bare_s": round(bare, 3)}
        for name, verify in (("base", base.verify_log), ("now", audit.verify_log)):
            started = time.perf_counter()
            report = verify()
            took = time.perf_counter() - started
            assert report.ok and report.size == n, report.problems[:3]
            ratios[name].append(took / bare)
            line[f"{name}_s"] = round(took, 3)
            line[f"{name}_ratio"] = round(took / bare, 2)
        print(json.dumps(line), flush=True)
    print(
        json.dumps(
            {f"{name}_median_ratio": round(statistics.median(r), 2) for name, r in ratios.items()}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the earlier commit, e.g. 1088cc9")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.n, args.rounds, args.child)
        return
    source = subprocess.run(
        ["git", "show", f"{args.base}:sinergi/ledger/audit.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    workdir = new_workdir("verify-ab")
    base_file = Path(tempfile.mkdtemp(dir=workdir)) / "audit_base.py"
    base_file.write_text(source)
    env = database_env(workdir)
    migrate(env)
    command = [sys.executable, __file__, "--base", args.base, "--child", str(base_file)]
    command += ["--n", str(args.n), "--rounds", str(args.rounds)]
    print(f"load average before: {os.getloadavg()}", flush=True)
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
