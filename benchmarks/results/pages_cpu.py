"""CPU milliseconds per request of the results dashboard and SDG portfolio pages, in process.

    .venv/bin/python benchmarks/results/pages_cpu.py SLUG [SLUG ...] [--n 200] [--profile]

Runs against the database the settings point at (e.g. one filled by `data.py`), through
Django's test client as the staff user `bench`, and prints one JSON line: per page, the
mean `time.process_time` per request with the cache cleared before each request ("cold":
the page computed and rendered) and kept ("warm": what a repeat reader costs). With
`--profile`, prints the top of a cProfile of the cold dashboard of the first slug instead.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from sinergi.core import stored

    # Not setup_test_environment(): its instrumented template rendering would be measured.
    settings.ALLOWED_HOSTS = ["testserver"]
    parser = argparse.ArgumentParser()
    parser.add_argument("slugs", nargs="+")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    pages = {f"dashboard {slug}": f"/en/partnerships/{slug}/results/" for slug in args.slugs}
    pages["portfolio"] = "/en/results/"

    if args.profile:
        url = next(iter(pages.values()))
        client.get(url)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20):
            stored.clear()
            client.get(url)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return

    found = {}
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        cold = 0.0
        for _ in range(args.n):
            stored.clear()
            started = time.process_time()
            client.get(url)
            cold += time.process_time() - started
        client.get(url)
        started = time.process_time()
        for _ in range(args.n):
            client.get(url)
        warm = time.process_time() - started
        found[name] = {
            "cold_ms": round(cold * 1000 / args.n, 1),
            "warm_ms": round(warm * 1000 / args.n, 1),
        }
    print(json.dumps(found))


if __name__ == "__main__":
    main()
