"""Job runs for the OLake UI: trigger, history, logs (both forms), cancel, over Prefect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session as DBSession

from deployments import jobs as orchestration
from metadata import runs as run_index
from metadata.errors import Conflict, Invalid, NotFound, Unavailable
from metadata.models import Job, JobRun
from metadata.settings import Settings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

# Prefect state types -> the status names the OLake UI shows.
STATUS = {
    "RUNNING": run_index.RUNNING,
    "CANCELLING": run_index.RUNNING,  # still running until the worker has stopped it
    "COMPLETED": run_index.COMPLETED,
    "FAILED": run_index.FAILED,
    "CRASHED": run_index.FAILED,
    "CANCELLED": run_index.CANCELED,
    "PENDING": run_index.PENDING,
    "SCHEDULED": run_index.SCHEDULED,
    "PAUSED": run_index.PENDING,
}
DISABLED = "running jobs needs Prefect; orchestration is off (OLAKE_PREFECT_ENABLED=false)"


def _require(settings: Settings) -> None:
    if not orchestration.enabled(settings):
        raise Unavailable(DISABLED)


def status_of(run: FlowRun) -> str:
    state_type = run.state_type.value if run.state_type is not None else "SCHEDULED"
    return STATUS.get(state_type, run_index.PENDING)


def trigger(db: DBSession, job: Job, settings: Settings) -> str:
    """Start a run now; refused while the job is paused. The flow run id."""
    if not job.activate:
        raise Invalid(orchestration.PAUSED_MESSAGE)
    _require(settings)
    run = orchestration.trigger(job, settings)
    run_index.record_run(
        db, flow_run_id=str(run.id), job_id=job.id, state=run_index.PENDING, created_at=run.created
    )
    return str(run.id)


def runtime_seconds(run: FlowRun) -> int:
    if run.start_time is None:
        return 0
    if run.end_time is not None:
        return max(0, round((run.end_time - run.start_time).total_seconds()))
    return max(0, round((datetime.now(UTC) - run.start_time).total_seconds()))


def task_of(run: FlowRun) -> dict[str, Any]:
    return {
        "id": str(run.id),
        "name": run.name,
        "start_time": run.start_time or run.expected_start_time,
        "runtime": runtime_seconds(run),
        "status": status_of(run),
        "file_path": str(run.id),  # the UI sends it back to ask for this run's logs
        "job_type": "clear" if orchestration.CLEAR_TAG in (run.tags or []) else "sync",
    }


def _indexed(row: JobRun, run: FlowRun) -> bool:
    """Whether the index already says what Prefect does of this run (times: at all)."""
    return (
        row.state == status_of(run)
        and (row.start_time is not None or run.start_time is None)
        and (row.end_time is not None or run.end_time is None)
    )


def tasks(db: DBSession, job: Job, settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    """The job's runs newest first (future scheduled ones left out); refreshes the run index."""
    _require(settings)
    found = orchestration.runs(job, limit=limit)
    # The UI polls this every few seconds: one query for the runs the index has, not one each.
    indexed = {row.flow_run_id: row for row in run_index.preload(db, [str(r.id) for r in found])}
    for run in found:
        if run.start_time is None and status_of(run) not in run_index.FINAL:
            continue
        row = indexed.get(str(run.id))
        if row is not None and _indexed(row, run):
            continue  # the run wrote its own state and times: rewriting them only churns caches
        # Cancelled or crashed processes cannot report their own end: Prefect can.
        run_index.record_run(
            db,
            flow_run_id=str(run.id),
            job_id=job.id,
            state=status_of(run),
            start_time=run.start_time,
            end_time=run.end_time,
            created_at=run.created,
        )
    return [task_of(run) for run in found]


def run_logs(job: Job, settings: Settings, flow_run_id: str) -> list[dict[str, Any]]:
    _require(settings)
    if orchestration.read_run(job, flow_run_id) is None:
        raise NotFound(f"run {flow_run_id} of job {job.id} not found")
    return orchestration.logs(flow_run_id)


def page_logs(
    lines: list[dict[str, Any]], cursor: int | None, limit: int, direction: str
) -> dict[str, Any]:
    """One page in the shipped UI's form; cursors are positions in the run's log.

    Without a cursor the newest page comes back. `older` reads the lines before the cursor,
    `newer` the lines from it on; lines stay in time order within a page.
    """
    total = len(lines)
    if direction == "newer":
        start = min(max(cursor or 0, 0), total)
        end = min(start + limit, total)
    else:
        end = total if cursor is None else min(max(cursor, 0), total)
        start = max(0, end - limit)
    return {
        "logs": lines[start:end],
        "older_cursor": str(start),
        "newer_cursor": str(end),
        "has_more_older": start > 0,
        "has_more_newer": end < total,
    }


def cancel(db: DBSession, job: Job, settings: Settings) -> list[str]:
    _require(settings)
    return orchestration.cancel(job)


def stream_keys(streams_config: dict[str, Any]) -> list[str]:
    """`namespace.name` of every selected stream of a catalog (the form a UI sends)."""
    keys = [
        f"{namespace}.{selection.get('stream_name')}"
        if namespace
        else str(selection.get("stream_name"))
        for namespace, selections in (streams_config.get("selected_streams") or {}).items()
        for selection in selections or []
        if selection.get("stream_name")
    ]
    return list(dict.fromkeys(keys))


def clear(
    db: DBSession, job: Job, settings: Settings, streams_config: dict[str, Any]
) -> tuple[str, list[str]]:
    """Start a clear-destination run for the catalog's selected streams; 409 while one runs."""
    _require(settings)
    keys = stream_keys(streams_config)
    if not keys:
        raise Invalid("streams_config selects no stream to clear")
    if orchestration.active_clear(job):
        raise Conflict("operation already in progress: a clear-destination run is active")
    run = orchestration.trigger(job, settings, clear_streams=keys)
    run_index.record_run(
        db,
        flow_run_id=str(run.id),
        job_id=job.id,
        state=run_index.PENDING,
        run_type="clear",
        created_at=run.created,
    )
    return str(run.id), keys


def clear_running(job: Job, settings: Settings) -> bool:
    _require(settings)
    return orchestration.active_clear(job)
