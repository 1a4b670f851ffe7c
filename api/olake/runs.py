"""OLake job runs: sync now, run history (tasks), run logs in both forms, cancel."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from api.deps import EditableProjectDep, ProjectDep, SessionDep, SettingsDep
from api.olake.schemas import Envelope, Strict
from api.services import runs as service
from metadata import jobs as job_records

PREFIX = "/api/v1/project/{project_id}"
router = APIRouter(prefix=PREFIX, tags=["olake: runs"])


class LogsIn(Strict):
    file_path: str | None = None


@router.post("/jobs/{id}/sync", response_model=Envelope[None])
def sync_job(
    id: int, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[None]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    run_id = service.trigger(db, job, settings)
    return Envelope(message=f"sync started (run {run_id})")


@router.get("/jobs/{id}/tasks", response_model=Envelope[list[dict[str, Any]]])
def job_tasks(
    id: int,
    project: ProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    limit: int = Query(50, ge=1, le=200),
) -> Envelope[list[dict[str, Any]]]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    return Envelope(data=service.tasks(db, job, settings, limit=limit))


@router.get("/jobs/{id}/task/{run_id}/logs", response_model=Envelope[dict[str, Any]])
def task_logs(
    id: int, run_id: str, project: ProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[dict[str, Any]]:
    """The contract's form: every line at once."""
    job = job_records.read_job(db, project_id=project.id, id=id)
    return Envelope(data={"task_logs": service.run_logs(job, settings, run_id)})


@router.post("/jobs/{id}/tasks/{task_id}/logs", response_model=Envelope[dict[str, Any]])
def task_logs_page(
    id: int,
    task_id: str,
    project: ProjectDep,
    db: SessionDep,
    settings: SettingsDep,
    body: LogsIn | None = None,
    cursor: int | None = Query(None, ge=0),
    limit: int = Query(200, ge=1, le=1000),
    direction: Literal["older", "newer"] = Query("older"),
) -> Envelope[dict[str, Any]]:
    """The shipped UI's form: `file_path` names the run; paged, newest page first."""
    job = job_records.read_job(db, project_id=project.id, id=id)
    run_id = (body.file_path if body and body.file_path else None) or task_id
    lines = service.run_logs(job, settings, run_id)
    return Envelope(data=service.page_logs(lines, cursor, limit, direction))


@router.get("/jobs/{id}/cancel", response_model=Envelope[None])  # the shipped UI's form
@router.post("/jobs/{id}/cancel", response_model=Envelope[None])
def cancel_job(
    id: int, project: EditableProjectDep, db: SessionDep, settings: SettingsDep
) -> Envelope[None]:
    job = job_records.read_job(db, project_id=project.id, id=id)
    cancelled = service.cancel(db, job, settings)
    if not cancelled:
        return Envelope(message="no active run to cancel")
    return Envelope(message=f"cancelling {len(cancelled)} run(s): {', '.join(cancelled)}")
