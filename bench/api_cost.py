"""API CPU per request with nothing else running: what the load benchmark's API pays.

Usage: .venv/bin/python bench/api_cost.py [--clients 20] [--seconds 15] [--jobs 1000]
       [--workers 1] [--http api.main:NoDelayHTTP h11]

Starts only the API (uvicorn, Prefect off) on a temporary SQLite store holding `--jobs` jobs,
then for each `--http` protocol in turn (the first is what `prefect-olake up` serves with; the
others are baselines in the same run) lets `--clients` clients send the load benchmark's mix
for `--seconds`, and prints requests/s, the API's CPU per request and latency per endpoint.
Results go to bench/results/api_cost.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load import client_loop, logged_in_client, percentile, seed_jobs, tree_cpu  # noqa: E402
from bench.stack import ROOT, free_port  # noqa: E402


def start_api(data_dir: Path, http: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OLAKE_"))}
    env.update(
        OLAKE_DATA_DIR=str(data_dir),
        OLAKE_PREFECT_ENABLED="false",
        OLAKE_RATE_LIMIT_PER_MINUTE="100000000",
        OLAKE_API_WORKERS=str(workers),
    )
    argv = [sys.executable, "-m", "uvicorn", "--factory", "api.main:make_app", "--http", http]
    argv += ["--port", str(port), "--no-access-log", "--workers", str(workers)]
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return process, api
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the API ({http}) did not start in 60 s")


async def measure(api: str, pid: int, clients: int, seconds: float, ids: list[int]) -> Any:
    http = [await logged_in_client(api, i) for i in range(clients)]
    results: list[tuple[str, float, int]] = []
    failures: list[str] = []
    warm = time.monotonic() + 2
    await asyncio.gather(*(client_loop(c, i, ids, warm, [], failures) for i, c in enumerate(http)))
    cpu, started = tree_cpu(pid), time.monotonic()
    deadline = started + seconds
    loops = (client_loop(c, i, ids, deadline, results, failures) for i, c in enumerate(http))
    await asyncio.gather(*loops)
    elapsed, cpu = time.monotonic() - started, tree_cpu(pid) - cpu
    for client in http:
        await client.aclose()
    by_label: dict[str, list[float]] = {}
    for label, taken, _ in results:
        by_label.setdefault(label, []).append(taken * 1000)
    return {
        "requests_per_s": round(len(results) / elapsed, 1),
        "api_cpu_ms_per_request": round(1000 * cpu / max(1, len(results)), 3),
        "errors": sum(1 for _, _, status in results if status != 200) + len(failures),
        "p50_p95_ms": {
            label: [round(statistics.median(v), 1), round(percentile(v, 0.95), 1)]
            for label, v in sorted(by_label.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--http", nargs="+", default=["api.main:NoDelayHTTP", "h11"])
    args = parser.parse_args()
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="olake-api-cost-") as tmp:
        data_dir = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "deployments.cli", "migrate", "--data-dir", str(data_dir)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ids: list[int] = []
        for http in args.http:
            process, api = start_api(data_dir, http, args.workers)
            try:
                if not ids:
                    ids = seed_jobs(api, data_dir, args.jobs, 4)[1]
                found[http] = asyncio.run(
                    measure(api, process.pid, args.clients, args.seconds, ids)
                )
            finally:
                process.terminate()
                process.wait(30)
            print(http, json.dumps(found[http]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "api_cost.json").write_text(json.dumps({"args": vars(args), **found}, indent=2))


if __name__ == "__main__":
    main()
