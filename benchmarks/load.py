"""Load-test Sinergi as deployed: `sinergi serve` (granian, its default workers) + wrk.

    .venv/bin/python benchmarks/generate.py     # once: the scale data set and a token
    .venv/bin/python benchmarks/load.py         # about 3 minutes with the defaults

Starts the server on a free loopback port against the generated database, waits for
/healthz, signs in as the benchmark user through the real login form (so the pages are
measured with a session cookie, as a signed-in partner sees them; the anonymous pages are
measured too), then runs wrk against every endpoint at each concurrency: a short warm-up
that is thrown away, then `--duration` seconds that count. /healthz is the baseline: each
endpoint's throughput is also given as a share of /healthz in the same run.

Writes a markdown table to stdout and benchmarks/out/results.md (raw figures in
results.json, server output in server.log) and always stops the server at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common import (
    BENCH_DIR,
    BENCH_PASSWORD,
    BENCH_USERNAME,
    DATASET_FILE,
    OUT_DIR,
    RESULTS_FILE,
    TOKEN_FILE,
    configure,
)

LUA_SCRIPT = BENCH_DIR / "latency.lua"
SERVER_LOG = OUT_DIR / "server.log"
RAW_FILE = OUT_DIR / "results.json"

# Goals on 2 cores at the generated scale (see docs/benchmarks.md).
API_MIN_RPS = 1_000
API_MAX_P99_MS = {4: 10.0, 32: 50.0}
PAGE_MIN_RPS = 500


@dataclass
class Endpoint:
    label: str
    kind: str  # baseline, page or api
    path: str
    auth: str  # none, session or token


@dataclass
class Result:
    endpoint: str
    kind: str
    auth: str
    connections: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    non2xx: int
    socket_errors: int
    cpu_ms: float = 0.0  # server CPU time (all processes) per completed request
    ratio: float | None = None
    raw: dict = field(default_factory=dict)


def endpoints(dataset: dict, anonymous: bool) -> list[Endpoint]:
    private, public = dataset["private_detail_slug"], dataset["public_detail_slug"]
    found = [
        Endpoint("/healthz", "baseline", "/healthz", "none"),
        Endpoint("list page (signed in)", "page", "/en/partnerships/", "session"),
        Endpoint("detail page (signed in)", "page", f"/en/partnerships/{private}/", "session"),
    ]
    if anonymous:
        found += [
            Endpoint("list page (anonymous)", "page", "/en/partnerships/", "none"),
            Endpoint("detail page (anonymous)", "page", f"/en/partnerships/{public}/", "none"),
        ]
    found += [
        Endpoint("API list ?limit=20", "api", "/api/v1/partnerships?limit=20", "token"),
        Endpoint("API detail", "api", f"/api/v1/partnerships/{private}", "token"),
    ]
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int, workers: int = 0, threads: int = 0) -> list[str]:
    """`sinergi serve` on `port`, with its own defaults unless `workers`/`threads` given."""
    sinergi = Path(sys.executable).with_name("sinergi")
    base = [str(sinergi)] if sinergi.exists() else [sys.executable, "-m", "sinergi.cli"]
    command = [*base, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    return command


def server_args(port: int, args: argparse.Namespace) -> list[str]:
    """The `sinergi serve …` arguments this run used, for the report."""
    command = server_command(port, args.server_workers, args.server_threads)
    return command[command.index("serve") :]


def start_server(
    port: int, env: dict[str, str], workers: int = 0, threads: int = 0
) -> subprocess.Popen:
    log = SERVER_LOG.open("w")
    return subprocess.Popen(
        server_command(port, workers, threads),
        cwd=BENCH_DIR.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the granian workers stop with it
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # granian shuts its workers down gracefully
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this script created, and only it
        proc.wait(timeout=5)


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process and its workers so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, ... utime and stime are the 12th and 13th (stat(5)).
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}); see {SERVER_LOG}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"/healthz did not answer within {timeout:.0f} s; see {SERVER_LOG}")


def sign_in(base: str) -> str:
    """Sign in through the login form like a browser; returns the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{base}/en/accounts/login/"
    with opener.open(login_url, timeout=10) as response:
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {
            "username": BENCH_USERNAME,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": match.group(1),
            "next": "/en/",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        login_url, data=form, headers={"Referer": login_url}
    )
    with opener.open(request, timeout=30):
        pass
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"signing in as {BENCH_USERNAME!r} failed (no session cookie)")
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def headers_for(endpoint: Endpoint, cookie: str, token: str) -> dict[str, str]:
    if endpoint.auth == "session":
        return {"Cookie": cookie}
    if endpoint.auth == "token":
        return {"Authorization": f"Bearer {token}"}
    return {}


def settle(base: str, timeout: float = 120) -> float:
    """Wait until the server has drained requests queued by the last run; returns seconds.

    wrk closes its connections when a run ends, but requests already handed to the
    blocking threads still run; without this a slow endpoint would eat into the next run.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        start = time.monotonic()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=timeout) as response:  # noqa: S310
                response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() - start < 0.05:
            break
        time.sleep(0.1)
    return time.monotonic() - began


def check(base: str, endpoint: Endpoint, headers: dict[str, str]) -> None:
    """One request first, so that a broken endpoint fails loudly instead of as a fast 404."""
    request = urllib.request.Request(base + endpoint.path, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{endpoint.label}: {endpoint.path} answered {exc.code}") from exc
    if status != 200 or not body:
        raise RuntimeError(f"{endpoint.label}: {endpoint.path} answered {status}")
    if endpoint.auth == "session" and b"Bench Marker" not in body:
        # The header shows the signed-in person's name; without it we would measure anonymous.
        raise RuntimeError(f"{endpoint.label}: the page does not look signed in")


def first_reads(base: str, paths: list[str], headers: dict[str, str]) -> dict:
    """Every path once, one request at a time, over one kept-alive connection: the first
    read of each page, before the server has kept anything of it. Latency per request
    (client side) and the server's answers; the pages it computes stay kept for the load
    that follows, as after readers have been through a site."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    where = urlsplit(base)
    connection = HTTPConnection(where.hostname, where.port, timeout=30)
    times, errors = [], 0
    began = time.monotonic()
    try:
        for path in paths:
            start = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            times.append((time.perf_counter() - start) * 1000)
            errors += response.status != 200
    finally:
        connection.close()
    times.sort()

    def at(q: float) -> float:
        return round(times[min(len(times) - 1, int(q * len(times)))], 1)

    return {
        "requests": len(times), "errors": errors, "seconds": round(time.monotonic() - began, 1),
        "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(times[-1], 1),
    }  # fmt: skip


def first_read_pass(label: str, base: str, present: list[tuple[Endpoint, list[str], dict]]) -> dict:
    """`first_reads` of every endpoint but the baseline, printed as it goes."""
    found = {}
    for endpoint, paths, headers in present:
        if endpoint.kind == "baseline":
            continue
        f = found[endpoint.label] = first_reads(base, paths, headers)
        print(
            f"  [{label}] first reads, {endpoint.label:<30} {f['requests']:>5} pages in "
            f"{f['seconds']} s: p50 {f['p50_ms']} ms  p99 {f['p99_ms']} ms  "
            f"max {f['max_ms']} ms  errors {f['errors']}",
            flush=True,
        )
    return found


def first_reads_table(results: dict[str, dict]) -> list[str]:
    """Markdown lines for the first reads of each database's run (none: no lines)."""
    rows = [(label, name, f) for label, found in results.items()
            for name, f in found.get("load", {}).get("first_reads", {}).items()]  # fmt: skip
    if not rows:
        return []
    return [
        "",
        "First reads, before the load (every page once, one at a time; nothing kept yet):",
        "",
        "| Database | Endpoint | Pages | Seconds | p50 ms | p99 ms | max ms | Errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {label} | {name} | {f['requests']:,} | {f['seconds']} | {f['p50_ms']} | "
            f"{f['p99_ms']} | {f['max_ms']} | {f['errors']} |"
            for label, name, f in rows
        ),
    ]


def wrk(url: str, headers: dict[str, str], connections: int, threads: int, seconds: int) -> dict:
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections)]
    command += ["-d", f"{seconds}s", "--timeout", "5s", "--latency", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"no BENCH_JSON line in wrk's output:\n{done.stdout}")


def to_result(endpoint: Endpoint, connections: int, raw: dict) -> Result:
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    seconds = raw["duration_us"] / 1e6
    return Result(
        endpoint=endpoint.label,
        kind=endpoint.kind,
        auth=endpoint.auth,
        connections=connections,
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        requests=raw["requests"],
        errors=raw["non2xx"] + socket_errors,
        non2xx=raw["non2xx"],
        socket_errors=socket_errors,
        raw=raw,
    )


def goal_checks(results: list[Result]) -> list[tuple[str, bool]]:
    checks = []
    for r in results:
        name = f"{r.endpoint} @ {r.connections}"
        if r.kind == "api":
            limit = API_MAX_P99_MS.get(r.connections)
            if r.connections == max(API_MAX_P99_MS):
                checks.append((f"{name}: ≥ {API_MIN_RPS:,} req/s", r.rps >= API_MIN_RPS))
            if limit is not None:
                checks.append((f"{name}: p99 ≤ {limit:g} ms", r.p99_ms <= limit))
        if r.kind == "page" and r.connections == max(API_MAX_P99_MS):
            checks.append((f"{name}: ≥ {PAGE_MIN_RPS} req/s", r.rps >= PAGE_MIN_RPS))
        checks.append((f"{name}: 0 errors", r.errors == 0))
    return checks


def code_version() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    try:
        run = {"cwd": BENCH_DIR.parent, "capture_output": True, "text": True, "timeout": 10}
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sinergi"], **run).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not commit:
        return "unknown (not a git checkout)"
    return f"{commit}{' with uncommitted changes under sinergi/' if dirty.strip() else ''}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def render(results: list[Result], meta: dict) -> str:
    lines = [
        "# Sinergi load benchmark",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['nproc']} CPUs, {meta['cpu']}; Python {meta['python']}",
        f"- Code: {meta['code']}",
        f"- Server: `{meta['server']}` (granian WSGI; one worker per CPU and, unless given, "
        "1 blocking thread each on SQLite, 2 on PostgreSQL), "
        f"wrk {meta['wrk_threads']} thread(s), on the same machine",
        f"- Load average (1, 5, 15 min) before: {meta['load_before']}, "
        f"after: {meta['load_after']} (shared machine: other work lowers the figures)",
        f"- Database: {meta['database']}",
        f"- Data: {meta['counts']}",
        f"- Each run: {meta['warmup']:g} s warm-up (discarded), then {meta['duration']:g} s",
        "- Pages signed in with a session cookie from the real login form; API with a "
        "Bearer token; both as `bench` (member of 40 partnerships); the detail endpoints "
        "read a private partnership that `bench` coordinates",
        "- CPU ms/req: CPU time of all server processes during the run / completed "
        f"requests; ceiling = {meta['nproc']} CPUs / CPU ms/req, the rate the server could "
        "reach with every CPU to itself (no wrk, no other work)",
        "",
        "| Endpoint | Conns | Req/s | p50 ms | p99 ms | Errors | vs /healthz | CPU ms/req "
        "| Ceiling req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        errors = f"{r.errors}" if not r.errors else f"{r.errors} ({r.non2xx} non-2xx)"
        ceiling = f"{meta['nproc'] * 1000 / r.cpu_ms:,.0f}" if r.cpu_ms else "—"
        lines.append(
            f"| {r.endpoint} | {r.connections} | {r.rps:,.0f} | {r.p50_ms:.1f} | "
            f"{r.p99_ms:.1f} | {errors} | {ratio} | {r.cpu_ms:.2f} | {ceiling} |"
        )
    checks = goal_checks(results)
    lines += ["", "Goals:", ""]
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in checks]
    missed = sum(1 for _text, ok in checks if not ok)
    lines += ["", f"{len(checks) - missed} of {len(checks)} goal checks met.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded warm-up")
    parser.add_argument("--connections", default="4,32", help="comma-separated concurrencies")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (it shares 2 CPUs)")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument(
        "--server-workers", type=int, default=0, help="`sinergi serve --workers` (its default)"
    )
    parser.add_argument(
        "--server-threads", type=int, default=0, help="`sinergi serve --threads` (its default)"
    )
    parser.add_argument("--only", default="", help="only endpoints whose label contains this")
    parser.add_argument("--no-anonymous", action="store_true", help="skip the anonymous pages")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2
    if not DATASET_FILE.exists() or not TOKEN_FILE.exists():
        print("No data set: run .venv/bin/python benchmarks/generate.py first.", file=sys.stderr)
        return 2
    dataset = json.loads(DATASET_FILE.read_text())
    token = TOKEN_FILE.read_text().strip()
    concurrencies = [int(c) for c in args.connections.split(",") if c.strip()]
    targets = [
        e
        for e in endpoints(dataset, anonymous=not args.no_anonymous)
        if e.kind == "baseline" or args.only.lower() in e.label.lower()
    ]

    env = configure()
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"Starting `sinergi serve` on {base} (log: {SERVER_LOG}) …", flush=True)
    load_before = os.getloadavg()
    server = start_server(port, env, args.server_workers, args.server_threads)
    results: list[Result] = []
    try:
        wait_healthy(base, server, timeout=120)
        cookie = sign_in(base)
        for endpoint in targets:
            check(base, endpoint, headers_for(endpoint, cookie, token))
        for connections in concurrencies:
            for endpoint in targets:
                headers = headers_for(endpoint, cookie, token)
                url = base + endpoint.path
                if args.warmup > 0:
                    wrk(url, headers, connections, args.threads, args.warmup)
                    settle(base)
                cpu_before = server_cpu_seconds(server.pid)
                raw = wrk(url, headers, connections, args.threads, args.duration)
                cpu_used = server_cpu_seconds(server.pid) - cpu_before
                result = to_result(endpoint, connections, raw)
                if result.requests:
                    result.cpu_ms = cpu_used * 1000 / result.requests
                results.append(result)
                waited = settle(base)
                print(
                    f"  {endpoint.label:<26} c={connections:<3} {result.rps:>8,.0f} req/s  "
                    f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                    f"CPU {result.cpu_ms:5.2f} ms/req  errors {result.errors}  "
                    f"(drained {waited:.1f} s)",
                    flush=True,
                )
    finally:
        stop_server(server)

    for r in results:
        baseline = next(
            (b for b in results if b.kind == "baseline" and b.connections == r.connections), None
        )
        if baseline is not None and r is not baseline and baseline.rps:
            r.ratio = r.rps / baseline.rps
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "code": code_version(),
        "database": dataset.get("database", "?"),
        "counts": ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in dataset["counts"].items()),
        "duration": args.duration,
        "warmup": args.warmup,
        "wrk_threads": args.threads,
        "server": "sinergi " + " ".join(server_args(port, args)),
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    report = render(results, meta)
    RESULTS_FILE.write_text(report)
    RAW_FILE.write_text(
        json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=2)
    )
    print()
    print(report)
    return 0 if all(ok for _text, ok in goal_checks(results)) else 1


if __name__ == "__main__":
    sys.exit(main())
