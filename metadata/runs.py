"""The `job_runs` index of Prefect flow runs: written on trigger, start and end of a run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DBSession

from metadata.models import JobRun

# OLake UI status names; the index stores these so that job lists need no mapping.
RUNNING, COMPLETED, FAILED, CANCELED = "Running", "Completed", "Failed", "Canceled"
SCHEDULED, PENDING = "Scheduled", "Pending"
FINAL = {COMPLETED, FAILED, CANCELED}


def preload(db: DBSession, flow_run_ids: list[str]) -> list[JobRun]:
    """Load these runs into the session in one query: record_run then finds each without one,
    while the caller holds the list (the session keeps only weak references)."""
    if not flow_run_ids:
        return []
    return list(db.scalars(select(JobRun).where(JobRun.flow_run_id.in_(flow_run_ids))))


def record_run(
    db: DBSession,
    *,
    flow_run_id: str,
    job_id: int,
    state: str,
    run_type: str = "sync",
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    message: str | None = None,
    created_at: datetime | None = None,
) -> JobRun:
    """Insert or update one run; a final state is never overwritten by an earlier one."""
    run = db.get(JobRun, flow_run_id)
    if run is None:
        run = JobRun(flow_run_id=flow_run_id, job_id=job_id, run_type=run_type, state=state)
        if created_at is not None:
            run.created_at = created_at
        try:
            # The API (reading run history) and the run itself may insert the same run at
            # once: the loser of that race updates the winner's row instead of failing.
            with db.begin_nested():
                db.add(run)
        except IntegrityError:
            found = db.get(JobRun, flow_run_id)
            if found is None:
                raise
            run = found
    if run.state in FINAL and state not in FINAL:
        return run  # a late "Running" from a slow writer must not resurrect a finished run
    run.state = state
    if start_time is not None:
        run.start_time = start_time
    if end_time is not None:
        run.end_time = end_time
    if message is not None:
        run.message = message[:2000]
    db.flush()
    return run
