"""Runs a dead worker left behind: a ledger of the runs a worker started, Crashed at its restart.

Prefect marks a run Crashed when its process dies under a live worker; when the worker itself
dies (SIGKILL, OOM), nobody reports the run, which would stay Running for ever. Its runs die
with it (deployments/launch.py), and each worker keeps one file per run it started, named
after the flow run and holding the launcher's pid, in a folder of its own (same name, same
machine). The next worker of that name (`prefect-olake up` restarts it) finds the files of
runs whose process is gone and still unfinished in Prefect, and sets them Crashed: the
deployment's concurrency slot is released and the next run resumes from the committed state.
A file whose process still lives (a cold run, which outlives its worker) is left to report
its own end. Whole machines that vanish need Prefect's heartbeats and a zombie automation.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
_EXIT_WAIT = 5.0  # seconds a launcher may take to notice its worker died and exit


def ledger_dir(data_dir: Path, worker_name: str) -> Path:
    return data_dir / "worker-runs" / re.sub(r"[^A-Za-z0-9_.-]", "_", worker_name)


def record_start(ledger: Path, flow_run_id: object, pid: object) -> None:
    ledger.mkdir(parents=True, exist_ok=True)
    (ledger / str(flow_run_id)).write_text(str(pid))


def record_end(ledger: Path, flow_run_id: object) -> None:
    (ledger / str(flow_run_id)).unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (an exited child its new parent never reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + _EXIT_WAIT
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


async def crash_orphans(ledger: Path, client: Any) -> list[str]:
    """Set Crashed every unfinished run of the ledger whose process is gone; their ids."""
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    crashed: list[str] = []
    for entry in sorted(ledger.glob("*")) if ledger.exists() else []:
        try:
            pid = int(entry.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and not _gone(pid):
            entry.unlink(missing_ok=True)
            continue
        try:
            flow_run = await client.read_flow_run(entry.name)
        except (ObjectNotFound, ValueError):
            entry.unlink(missing_ok=True)
            continue
        if flow_run.state is None or flow_run.state.type.value not in _FINAL:
            message = "The worker running this flow run died; its process was stopped."
            await client.set_flow_run_state(flow_run.id, Crashed(message=message), force=True)
            _record_failed(flow_run, message)
            crashed.append(str(flow_run.id))
        entry.unlink(missing_ok=True)
    return crashed


def _record_failed(flow_run: Any, message: str) -> None:
    """The job_runs index, as the run's own on_crashed hook would have kept it."""
    if "job_id" not in (flow_run.parameters or {}):
        return  # a system flow of prefect.yaml, not a job's run
    from flows.runs import record
    from metadata import runs

    record(flow_run, runs.FAILED, message, end_time=datetime.now(UTC))
