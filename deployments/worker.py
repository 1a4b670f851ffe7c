"""A Prefect process worker run from Python, because `prefect worker start` ignores SIGTERM.

Runs start by forking a warm process that has imported Prefect and the flows (see
deployments/warm.py); `--cold` (or OLAKE_WARM_RUNS=0) starts a new interpreter per run instead.
Each run it starts is written down, so that the next worker of its name can mark Crashed the
runs this one left when it died (deployments/orphans.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from deployments.orphans import crash_orphans, ledger_dir, record_end, record_start


class _Recorded:
    """The task status a run reports its pid to, writing the run into the ledger on the way."""

    def __init__(self, inner: Any, ledger: Path, flow_run_id: object) -> None:
        self.inner, self.ledger, self.flow_run_id = inner, ledger, flow_run_id

    def started(self, value: Any = None) -> None:
        record_start(self.ledger, self.flow_run_id, value)
        self.inner.started(value)


def direct_worker_class(launcher: list[str], ledger: Path | None = None) -> type:
    """A process worker that starts each run with `launcher`: one process per run, not two.

    Without a configured command, Prefect 3.8 starts a workspace supervisor process that
    prepares the workspace and then starts the engine in a second process; each imports
    Prefect (about a second apiece here). Deployments of jobs pull no code, and prefect.yaml's
    pull step still runs in the engine, so the supervisor buys nothing but latency.
    """
    from prefect.utilities.processutils import command_to_string, get_sys_executable
    from prefect.workers.process import ProcessWorker

    with warnings.catch_warnings():
        # Prefect warns that our subclass takes over the "process" type: that is the point.
        warnings.simplefilter("ignore", UserWarning)

        class DirectProcessWorker(ProcessWorker):
            async def run(self, flow_run: Any, configuration: Any, task_status: Any = None) -> Any:
                if not configuration._command_configured:
                    configuration.command = command_to_string([get_sys_executable(), *launcher])
                    configuration._command_configured = True
                if ledger is None or task_status is None:
                    return await super().run(flow_run, configuration, task_status)
                try:
                    status = _Recorded(task_status, ledger, flow_run.id)
                    return await super().run(flow_run, configuration, status)
                finally:
                    # The run's process ended and Prefect knows its state (or we are being
                    # cancelled, which stops the run too): nothing is left to the next worker.
                    record_end(ledger, flow_run.id)

    return DirectProcessWorker


def start_warm_process() -> tuple[subprocess.Popen[bytes], str]:
    """The warm process runs are forked from (see deployments/warm.py), and its socket."""
    from deployments.launch import SOCKET_ENV

    path = os.path.join(tempfile.mkdtemp(prefix="olake-warm-"), "runs.sock")
    process = subprocess.Popen([sys.executable, "-m", "deployments.warm", path])
    os.environ[SOCKET_ENV] = path  # inherited by every run's launcher
    return process, path


async def crash_left_runs(ledger: Path) -> None:
    """Mark Crashed the runs a dead predecessor of this worker left unfinished."""
    from prefect import get_client

    try:
        async with get_client() as client:
            crashed = await crash_orphans(ledger, client)
    except Exception as exc:  # the worker must start anyway; the files stay for the next one
        print(f"could not check runs left by a previous worker: {exc!r}", flush=True)
        return
    for flow_run_id in crashed:
        print(f"flow run {flow_run_id} lost its worker: marked Crashed", flush=True)


async def run_worker(pool: str, name: str | None, limit: int | None, warm: bool) -> None:
    from metadata.settings import get_settings

    ledger = ledger_dir(get_settings().data_dir.resolve(), name or f"{pool}-{socket.gethostname()}")
    await crash_left_runs(ledger)
    warm_process = start_warm_process() if warm else None
    launcher = ["-m", "deployments.launch"] if warm else ["-m", "prefect.engine"]
    worker_class = direct_worker_class(launcher, ledger)
    worker = worker_class(work_pool_name=pool, name=name, limit=limit)
    task = asyncio.ensure_future(worker.start(printer=lambda msg: print(msg, flush=True)))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        print(f"worker for pool {pool!r} stopped", flush=True)
    finally:
        if warm_process is not None:
            process, path = warm_process
            process.terminate()
            process.wait(10)
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prefect-olake worker", description=__doc__)
    parser.add_argument("--pool", default="olake", help="work pool to poll")
    parser.add_argument("--name", default=None, help="worker name shown in the Prefect UI")
    parser.add_argument("--limit", type=int, default=None, help="max concurrent flow runs")
    parser.add_argument(
        "--cold",
        action="store_true",
        default=os.environ.get("OLAKE_WARM_RUNS", "1") == "0",
        help="start every run in a new interpreter instead of forking a warm one",
    )
    args = parser.parse_args(argv)
    asyncio.run(run_worker(args.pool, args.name, args.limit, warm=not args.cold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
