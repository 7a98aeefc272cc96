"""Time partner matching on the configured database filled by data.py; print one JSON line.

    .venv/bin/python benchmarks/matching/measure.py [--rounds 2] [--memory-calls 1000]

Measured in this one process, as an app server would call it (a warm connection, the
same code path the page and the API use):

- `recommend(partnership, limit=10)` for each of the 200 "typical" partnerships, `--rounds`
  times (400 calls by default), after 20 warm-up calls; and for each of the 30 "broad"
  ones (needs with neither sector nor region), 7 rounds;
- `assemble_team(partnership)` likewise (typical 1 round, broad 3 rounds);
- memory: `recommend` called `--memory-calls` times in a row, cycling through all the
  partnerships; the process's resident set size (VmRSS) is read after calls 100, 250,
  500, 750 and the last, and Python's own allocations are compared by tracemalloc between
  call 100 and the last call of a second, traced run of 600 calls.

Wall-clock milliseconds per call (time.perf_counter) and this process's CPU milliseconds
(time.process_time: Python and, for SQLite, the database engine; PostgreSQL's server work
is not in it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of samples, nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        "calls": len(wall),
        "p50_ms": round(percentile(wall, 0.50), 1),
        "p95_ms": round(percentile(wall, 0.95), 1),
        "p99_ms": round(percentile(wall, 0.99), 1),
        "max_ms": round(max(wall), 1),
        "cpu_p50_ms": round(percentile(cpu, 0.50), 1),
        "cpu_p99_ms": round(percentile(cpu, 0.99), 1),
    }


def timed(function, partnerships: list, rounds: int) -> dict[str, float]:
    wall, cpu = [], []
    for _round in range(rounds):
        for partnership in partnerships:
            started, started_cpu = time.perf_counter(), time.process_time()
            function(partnership)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    return summary(wall, cpu)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def sizes(partnerships: list) -> dict[str, float]:
    """How many organisations the unmet needs match (ids read per call)."""
    from sinergi.partners.matching.index import organisations_covering
    from sinergi.partners.matching.queries import _state

    totals = []
    for partnership in partnerships:
        state = _state(partnership)
        totals.append(sum(len(keys) for keys in organisations_covering(state.unmet)))
    return {
        "ids_p50": int(percentile(totals, 0.5)),
        "ids_p99": int(percentile(totals, 0.99)),
        "ids_max": max(totals),
    }


def measure(rounds: int, memory_calls: int) -> dict[str, object]:
    from django.db import connection

    from sinergi.partners.matching.queries import assemble_team, recommend
    from sinergi.partners.models import CapabilityCoverage, Organisation
    from sinergi.partnerships.models import CapabilityNeed, Partnership

    typical = list(
        Partnership.objects.filter(slug__startswith="matching-typical-").order_by("slug")
    )
    broad = list(Partnership.objects.filter(slug__startswith="matching-broad-").order_by("slug"))
    if not typical:
        raise SystemExit("no matching-typical-* partnerships: run data.py first")
    result: dict[str, object] = {
        "vendor": connection.vendor,
        "python": platform.python_version(),
        "organisations": Organisation.objects.count(),
        "coverage_rows": CapabilityCoverage.objects.count(),
        "needs": CapabilityNeed.objects.count(),
        "load_before": load_average(),
    }
    if connection.vendor == "sqlite":
        result["database"] = f"SQLite {connection.Database.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            result["database"] = f"PostgreSQL {cursor.fetchone()[0]}"
    result["typical_sizes"] = sizes(typical)
    result["broad_sizes"] = sizes(broad)

    for partnership in typical[:20]:  # warm-up: connection, caches, code paths
        recommend(partnership)
    result["recommend_typical"] = timed(recommend, typical, rounds)
    result["recommend_broad"] = timed(recommend, broad, 7)
    result["team_typical"] = timed(assemble_team, typical, 1)
    result["team_broad"] = timed(assemble_team, broad, 3)

    everyone = typical + broad
    gc.collect()
    marks = {100, 250, 500, 750, memory_calls}
    rss: dict[str, float] = {"before": round(rss_mib(), 1)}
    for call in range(1, memory_calls + 1):
        recommend(everyone[call % len(everyone)])
        if call in marks:
            rss[str(call)] = round(rss_mib(), 1)
    result["rss_mib"] = rss
    tracemalloc.start()
    traced = {}
    for call in range(1, 601):
        recommend(everyone[call % len(everyone)])
        if call == 100:
            gc.collect()
            traced["100"] = tracemalloc.get_traced_memory()[0]
    gc.collect()
    traced["600"] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    result["tracemalloc_kib"] = {key: round(value / 1024, 1) for key, value in traced.items()}
    result["load_after"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-calls", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    print(json.dumps(measure(args.rounds, args.memory_calls)))


if __name__ == "__main__":
    main()
