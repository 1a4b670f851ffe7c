"""Load on the embedded default (issue 6): 50 clients for 60 s on list and read endpoints.

Usage: .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--jobs 1000] [--syncs 4]

Starts `prefect-olake up` in a temporary data dir, puts `--jobs` jobs in the store (four of them
through the API, with deployments; the rest straight into the metadata store, since a thousand
deployments are not what this measures), starts `--syncs` syncs of a 1,000,000-row Postgres
table and keeps them running, then lets `--clients` concurrent clients, each its own user,
call the list and read endpoints as fast as they are answered. Reports throughput, errors and
p50/p95/p99 latency per endpoint into bench/results/load.json and `## Load (issue 6)` of
docs/benchmarks.md. The per-client rate limit is raised for the run: it is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.raw_http import HTTPError, RawClient  # noqa: E402
from bench.stack import ROOT, start_stack, stop_stack, write_section  # noqa: E402

BASE = "/api/v1/project/123"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS = {"errors": 0, "jobs_p95_ms": 150.0, "throughput": 300.0}


def seed_table(rows: int) -> None:
    engine = create_engine(PG, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS load_bench"))
        count = conn.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema='load_bench'")
        ).scalar()
        if (
            count == 0
            or conn.execute(text("SELECT count(*) FROM load_bench.events")).scalar() != rows
        ):
            conn.execute(text("DROP TABLE IF EXISTS load_bench.events"))
            conn.execute(
                text(
                    "CREATE TABLE load_bench.events AS SELECT g AS id, g % 97 AS kind, "
                    "md5(g::text) AS note, now() - g * interval '1 second' AS at "
                    f"FROM generate_series(1, {rows}) g"
                )
            )
            conn.execute(text("ALTER TABLE load_bench.events ADD PRIMARY KEY (id)"))
    engine.dispose()


def seed_jobs(api: str, data_dir: Path, jobs: int, syncs: int) -> tuple[list[int], list[int]]:
    """Four real jobs through the API; the rest straight into the metadata store."""
    from metadata.db import make_engine, make_session_factory, session_scope
    from metadata.jobs import StepSpec, create_job
    from metadata.settings import Settings

    client = httpx.Client(base_url=api, timeout=60)
    client.post("/signup", json={"username": "owner", "password": "owner-pass-1"})
    client.post("/login", json={"username": "owner", "password": "owner-pass-1"})
    source = {
        "name": "events-db",
        "type": "postgres",
        "config": {
            "host": "127.0.0.1",
            "port": 5432,
            "database": "test",
            "username": "postgres",
            "password": "load-bench",
            "schemas": ["load_bench"],
            "max_threads": 1,
        },
    }
    real = []
    for i in range(syncs):
        body = {
            "name": f"sync-{i}",
            "source": source if i == 0 else {"name": "events-db"},
            "destination": {
                "name": f"lake-{i}",
                "type": "parquet",
                "config": {"local_path": str(data_dir / f"lake-{i}")},
            },
            "frequency": "0 3 * * *",
        }
        response = client.post(f"{BASE}/jobs", json=body)
        response.raise_for_status()
        real.append(response.json()["data"]["id"])
    jobs_data = client.get(f"{BASE}/jobs").json()["data"]
    source_id = jobs_data[0]["source"]["id"]
    destination_ids = [job["destination"]["id"] for job in jobs_data]
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.sqlalchemy_url)
    stored = []
    with session_scope(make_session_factory(engine)) as db:
        for i in range(jobs - syncs):
            job = create_job(
                db,
                project_id="olake",
                name=f"stored-{i:04d}",
                steps=[StepSpec(source_id, destination_ids[i % len(destination_ids)], None)],
                frequency="0 4 * * *",
                activate=False,
                username="owner",
            )
            stored.append(job.id)
    engine.dispose()
    return real, real + stored


async def keep_syncing(api: str, job_ids: list[int], stop: asyncio.Event) -> dict[str, Any]:
    """Start every job's sync and start it again whenever it finishes, one task per job (a
    slow call stalls only its own job); runs started and seen completed, how long the status
    and sync calls took, and which failed (they must not end the measurement: they are
    reported instead)."""
    counts: dict[str, Any] = {"started": 0, "failed_calls": 0, "completed": set(), "calls": []}
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        await client.post("/login", json={"username": "owner", "password": "owner-pass-1"})

        async def one(job_id: int) -> None:
            while not stop.is_set():
                try:
                    counts["started"] += await restart_if_idle(client, job_id, counts)
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    counts["failed_calls"] += 1
                    print(f"sync of job {job_id}: {type(exc).__name__}: {exc}", flush=True)
                await asyncio.sleep(1)

        await asyncio.gather(*(one(job_id) for job_id in job_ids))
    return counts


def _note_call(counts: dict[str, Any], what: str, job_id: int, seconds: float) -> None:
    counts["calls"].append(seconds)
    if seconds > 5:
        print(f"slow call: {what} of job {job_id} took {seconds:.1f} s", flush=True)


async def restart_if_idle(client: httpx.AsyncClient, job_id: int, counts: dict[str, Any]) -> int:
    started = time.perf_counter()
    try:
        tasks = (await client.get(f"{BASE}/jobs/{job_id}/tasks")).json()["data"]
    finally:
        _note_call(counts, "GET tasks", job_id, time.perf_counter() - started)
    counts["completed"].update(t["id"] for t in tasks if t["status"] == "Completed")
    if tasks and tasks[0]["status"] in ("Running", "Pending", "Scheduled"):
        return 0
    started = time.perf_counter()
    try:
        response = await client.post(f"{BASE}/jobs/{job_id}/sync")
    finally:
        _note_call(counts, "POST sync", job_id, time.perf_counter() - started)
    return int(response.status_code == 200)


async def logged_in_client(api: str, index: int) -> RawClient:
    """A keep-alive client with its own user and session (argon2 logins are not measured)."""
    name = f"load-{index}"
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        await client.post("/signup", json={"username": name, "password": "load-pass-1"})
        response = await client.post("/login", json={"username": name, "password": "load-pass-1"})
        response.raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return RawClient(api, {"Cookie": cookie})


async def client_loop(
    client: RawClient,
    index: int,
    job_ids: list[int],
    deadline: float,
    results: list[tuple[str, float, int]],
    failures: list[str],
) -> None:
    endpoints = [
        ("GET jobs", f"{BASE}/jobs", 3),
        ("GET job", None, 3),
        ("GET sources", f"{BASE}/sources", 1),
        ("GET destinations", f"{BASE}/destinations", 1),
        ("GET auth/check", "/auth/check", 1),
    ]
    weighted = [e for e in endpoints for _ in range(e[2])]
    rng = random.Random(index)
    while time.monotonic() < deadline:
        label, path, _ = rng.choice(weighted)
        path = path or f"{BASE}/jobs/{rng.choice(job_ids)}"
        started = time.perf_counter()
        try:
            status = await client.get(path)
        except HTTPError as exc:
            status = 0
            waited = time.perf_counter() - started
            failures.append(f"{label}: {type(exc).__name__} after {waited:.1f} s")
        results.append((label, time.perf_counter() - started, status))


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn's worker processes)."""
    total = 0.0
    for each in [pid, *descendants(pid)]:
        try:
            total += process_cpu(each)
        except OSError:
            continue
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def descendants(root: int) -> list[int]:
    """Every live process below `root` (by parent id), from /proc."""
    parents: dict[int, int] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def api_pid(api: str) -> int | None:
    """The uvicorn process serving `api` (a grandchild of `prefect-olake up`)."""
    port = api.rsplit(":", 1)[1]
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"api.main:make_app" in argv and port.encode() in argv:
            return int(proc.name)
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def revisions(data_dir: Path) -> dict[str, int]:
    """The metadata store's revision counters: how often the cached lists were rebuilt."""
    engine = create_engine(f"sqlite:///{data_dir / 'metadata.db'}")
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT name, value FROM revisions")).tuples().all())
    engine.dispose()
    return found


async def run_load(
    api: str,
    data_dir: Path,
    clients: int,
    seconds: float,
    syncs: list[int],
    all_ids: list[int],
) -> dict[str, Any]:
    stop = asyncio.Event()
    syncing = asyncio.create_task(keep_syncing(api, syncs, stop))
    http = [await logged_in_client(api, i) for i in range(clients)]
    await asyncio.sleep(3)  # let the syncs start
    results: list[tuple[str, float, int]] = []
    failures: list[str] = []  # requests that got no answer: which, how, after how long
    pid = api_pid(api)
    cpu_before = (resource.getrusage(resource.RUSAGE_SELF), tree_cpu(pid) if pid else 0.0)
    busy_before = machine_busy()
    revisions_before = revisions(data_dir)
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(client_loop(c, i, all_ids, deadline, results, failures) for i, c in enumerate(http))
    )
    elapsed = time.monotonic() - started
    usage, api_cpu = resource.getrusage(resource.RUSAGE_SELF), tree_cpu(pid) if pid else 0.0
    busy_after = machine_busy()
    revisions_after = revisions(data_dir)
    stop.set()
    runs = await syncing
    for client in http:
        await client.aclose()
    load_cpu = (usage.ru_utime + usage.ru_stime) - (cpu_before[0].ru_utime + cpu_before[0].ru_stime)
    cpu = {
        "load_generator_cores": round(load_cpu / elapsed, 2),
        "api_cores": round((api_cpu - cpu_before[1]) / elapsed, 2) if pid else None,
        "machine_busy_cores": round((busy_after[0] - busy_before[0]) / elapsed, 2),
    }
    by_label: dict[str, list[float]] = {}
    for label, seconds_taken, _ in results:
        by_label.setdefault(label, []).append(seconds_taken * 1000)
    errors = sum(1 for _, _, status in results if status != 200)
    return {
        "requests": len(results),
        "seconds": round(elapsed, 1),
        "throughput": round(len(results) / elapsed, 1),
        "errors": errors,
        "statuses": sorted({status for _, _, status in results}),
        "failures": failures[:20],
        "revision_bumps": {k: v - revisions_before.get(k, 0) for k, v in revisions_after.items()},
        "sync_runs_started": runs["started"],
        "sync_runs_completed": len(runs["completed"]),
        "sync_calls_failed": runs["failed_calls"],
        "sync_call_seconds": {
            "count": len(runs["calls"]),
            "p50": round(statistics.median(runs["calls"]), 2) if runs["calls"] else None,
            "max": round(max(runs["calls"]), 2) if runs["calls"] else None,
        },
        "cpu": cpu,
        "endpoints": {
            label: {
                "count": len(values),
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
            }
            for label, values in sorted(by_label.items())
        },
    }


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    rows = "\n".join(
        f"| {label} | {v['count']} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} |"
        for label, v in result["endpoints"].items()
    )
    jobs_p95 = result["endpoints"].get("GET jobs", {}).get("p95_ms", float("inf"))
    verdict = [
        f"errors {result['errors']} (target 0): {'met' if result['errors'] == 0 else 'missed'}",
        f"GET .../jobs p95 {jobs_p95} ms (target < 150): "
        f"{'met' if jobs_p95 < TARGETS['jobs_p95_ms'] else 'missed'}",
        f"throughput {result['throughput']} req/s (target >= 300): "
        f"{'met' if result['throughput'] >= TARGETS['throughput'] else 'missed'}",
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = (
        f"`.venv/bin/python bench/load.py --clients {args.clients} --seconds {args.seconds} "
        f"--jobs {args.jobs} --syncs {args.syncs}" + "`"
    )
    cpu, calls = result["cpu"], result["sync_call_seconds"]
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    machine = (
        f"{platform.node()} ({os.cpu_count()} cores, {memory_kib / 2**20:.0f} GiB, "
        f"{platform.machine()}, Python {platform.python_version()})"
    )
    return f"""{command} on {machine}, {when}. Embedded default (SQLite metadata, Prefect on
SQLite, one worker), {args.jobs} jobs in the store, {args.syncs} syncs of a
{args.rows:,}-row Postgres table kept running ({result["sync_runs_started"]} runs started,
{result["sync_runs_completed"]} seen completed; {calls["count"]} status and sync calls,
p50 {calls["p50"]} s, slowest {calls["max"]} s, {result["sync_calls_failed"]} failed;
revision counters bumped meanwhile, so lists rebuilt: {result["revision_bumps"]}),
{args.clients} clients each logged in as its own user.

{result["requests"]} requests in {result["seconds"]} s: **{result["throughput"]} requests/s**,
{result["errors"]} errors (statuses seen: {result["statuses"]}; 0 is no answer:
{result["failures"] or "none"}). CPU over the run, in cores
busy (of 2): load generator {cpu["load_generator_cores"]}, API processes {cpu["api_cores"]},
whole machine {cpu["machine_busy_cores"]} (the rest: Prefect server, worker, syncs, Postgres).

| endpoint | requests | p50 ms | p95 ms | p99 ms |
|---|---|---|---|---|
{rows}

Targets: {"; ".join(verdict)}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--syncs", type=int, default=4)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    seed_table(args.rows)
    with tempfile.TemporaryDirectory(prefix="olake-load-") as tmp:
        data_dir = Path(tmp)
        extra = {"OLAKE_RATE_LIMIT_PER_MINUTE": "1000000", "OLAKE_LOGIN_FAILURES_PER_IP": "100000"}
        process, api, _ = start_stack(data_dir, extra)
        try:
            syncs, all_ids = seed_jobs(api, data_dir, args.jobs, args.syncs)
            result = asyncio.run(
                run_load(api, data_dir, args.clients, args.seconds, syncs, all_ids)
            )
        finally:
            stop_stack(process)
            kept = ROOT / "bench" / "results" / "load-logs"  # the stack's logs, to look into
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(data_dir / "logs", kept)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=2))
    text_ = report(result, args)
    write_section(ROOT / "docs" / "benchmarks.md", "## Load (issue 6)", text_)
    print(text_)


if __name__ == "__main__":
    main()
