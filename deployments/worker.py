"""A Prefect process worker run from Python, because `prefect worker start` ignores SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys


async def run_worker(pool: str, name: str | None, limit: int | None) -> None:
    from prefect.workers.process import ProcessWorker

    worker = ProcessWorker(work_pool_name=pool, name=name, limit=limit)
    task = asyncio.ensure_future(worker.start(printer=lambda msg: print(msg, flush=True)))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        print(f"worker for pool {pool!r} stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prefect-olake worker", description=__doc__)
    parser.add_argument("--pool", default="olake", help="work pool to poll")
    parser.add_argument("--name", default=None, help="worker name shown in the Prefect UI")
    parser.add_argument("--limit", type=int, default=None, help="max concurrent flow runs")
    args = parser.parse_args(argv)
    asyncio.run(run_worker(args.pool, args.name, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
